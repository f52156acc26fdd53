"""The lead's journey (issue 21, item 4) and the links of every lead list (item 3): the page on
the golden fixture (its leads in tests/fixtures/golden/README.md), the links' addresses worked
out by hand, and the agreement's crm_url checked at load. The queries' values are pinned in
tests/golden/lead_*.toml."""

from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from handoff import agreement as agreement_mod
from handoff import tables
from tests.conftest import GOLDEN, ROOT
from tests.test_lead_lists import lead_list, open_page
from tests.test_pages import shown_text

TIMEOUT = 30
GOOD = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
SCORING = (GOLDEN / "scoring.toml").read_text(encoding="utf-8")
CRM = 'crm_url = "https://crm.example.com/leads/{lead_id}"\n'  # top level: before any table


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# ---- the links -------------------------------------------------------------------------------


def test_the_journey_link_quotes_the_id_and_keeps_the_filters():
    # "A B/1": the space is %20 and the slash %2F (a slash would start a new path); each filter
    # value is quoted the same way, a list as the key repeated.
    url = tables.journey_url("A B/1", {"period": ["last_month"], "source": ["Paid search", "Web"]})
    assert url == "lead?lead_id=A%20B%2F1&period=last_month&source=Paid%20search&source=Web"
    # What a link could smuggle in stays inside the id: & = # ? are quoted.
    assert tables.journey_url("x&period=ytd#?", {}) == "lead?lead_id=x%26period%3Dytd%23%3F"


@pytest.mark.parametrize(
    ("lead_id", "expected"),
    [
        ("L14", "https://crm.example.com/leads/L14"),
        ("A B/1", "https://crm.example.com/leads/A%20B%2F1"),  # space %20, slash %2F
        ("7?x=1#top", "https://crm.example.com/leads/7%3Fx%3D1%23top"),  # ? = # quoted
        ("Zoë", "https://crm.example.com/leads/Zo%C3%AB"),  # UTF-8 bytes: ë is C3 AB
    ],
)
def test_the_crm_link_puts_the_quoted_id_in_the_template(lead_id, expected):
    assert tables.crm_record_url("https://crm.example.com/leads/{lead_id}", lead_id) == expected


def test_the_links_sit_beside_the_lead_column():
    frame = pd.DataFrame({"lead_id": ["A B", "L2"], "owner": ["Ana", "Ben"]})
    shown = tables.with_lead_links(frame, {"period": ["ytd"]}, "https://crm.test/x?id={lead_id}")
    assert list(shown.columns) == ["lead_id", "journey", "crm_record", "owner"]
    assert shown["journey"].tolist() == [
        "lead?lead_id=A%20B&period=ytd",
        "lead?lead_id=L2&period=ytd",
    ]
    assert shown["crm_record"].tolist() == [
        "https://crm.test/x?id=A%20B",
        "https://crm.test/x?id=L2",
    ]
    assert list(frame.columns) == ["lead_id", "owner"]  # the download's list keeps its columns
    plain = tables.with_lead_links(frame, {}, None)  # no crm_url: no CRM column
    assert list(plain.columns) == ["lead_id", "journey", "owner"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://crm.example.com/{lead_id}", "it must start with https:// or http:// and a host"),
        ("javascript:alert(1)//{lead_id}", "it must start with https:// or http:// and a host"),
        ("https:///leads/{lead_id}", "it must start with https:// or http:// and a host"),
        ("https://crm.example.com/leads/", "it must hold {lead_id} exactly once"),
        ("https://crm.example.com/{lead_id}/{lead_id}", "it must hold {lead_id} exactly once"),
        ("https://crm.example.com/{org}/{lead_id}", "{lead_id} is its only placeholder"),
        ("https://crm.example.com/{lead_id}}", "{lead_id} is its only placeholder"),
    ],
)
def test_a_bad_crm_url_is_refused_naming_the_key(value, problem):
    with pytest.raises(agreement_mod.AgreementError) as error:
        agreement_mod.parse(f'crm_url = "{value}"\n' + GOOD)
    text = str(error.value)
    assert text.startswith("agreement.toml: 'crm_url' must be an http or https address")
    assert text.endswith(f"got {value!r} ({problem})")


def test_a_good_crm_url_is_kept():
    assert agreement_mod.parse(GOOD).crm_url is None
    assert agreement_mod.parse(CRM + GOOD).crm_url == "https://crm.example.com/leads/{lead_id}"
    http = agreement_mod.parse('crm_url = "http://crm.local:8080/l?id={lead_id}"\n' + GOOD)
    assert http.crm_url == "http://crm.local:8080/l?id={lead_id}"


# The golden pages open on March ("last month" of data ending 10 April): the filters a link keeps.
MARCH = "&period=last_month"


def test_follow_up_s_breaches_link_to_the_journey_and_the_crm(
    golden_db_path, tmp_path, monkeypatch
):
    app = open_page(golden_db_path, CRM + GOOD, "follow_up", tmp_path, monkeypatch)
    leads = lead_list(app, "breach")
    # March's breaches L14, L03, L11 (follow_up_breaches.toml), each linked by its id.
    assert list(leads.columns[:3]) == ["lead_id", "journey", "crm_record"]
    assert leads["journey"].tolist() == [f"lead?lead_id={i}{MARCH}" for i in ("L14", "L03", "L11")]
    assert leads["crm_record"].tolist() == [
        f"https://crm.example.com/leads/{i}" for i in ("L14", "L03", "L11")
    ]


@pytest.mark.parametrize(("page", "column"), [("discards", "days_without_activity"),
                                              ("funnel", "outcome")])  # fmt: skip
def test_every_lead_list_links_to_the_journey(golden_db_path, tmp_path, monkeypatch, page, column):
    app = open_page(golden_db_path, GOOD, page, tmp_path, monkeypatch)
    leads = lead_list(app, column)
    assert list(leads.columns[:2]) == ["lead_id", "journey"]
    assert "crm_record" not in leads.columns  # no crm_url in the agreement
    assert leads["journey"].tolist() == [f"lead?lead_id={i}{MARCH}" for i in leads["lead_id"]]


# ---- the page --------------------------------------------------------------------------------


def journey(db_path, agreement_text: str, lead_id: str, tmp_path, monkeypatch) -> AppTest:
    """The journey page with `lead_id` typed into its search box."""
    app = open_page(db_path, agreement_text, "lead", tmp_path, monkeypatch)
    app.text_input(key="lead_id").input(lead_id).run()
    assert not app.exception
    return app


def text_of(app: AppTest) -> str:
    parts = [*app.markdown, *app.caption, *app.subheader, *app.info, *app.warning]
    return shown_text(" ".join(str(p.value) for p in parts))


def tables_of(app: AppTest) -> list[pd.DataFrame]:
    return [t.value for t in app.table]


def test_the_page_asks_for_an_id(golden_db_path, tmp_path, monkeypatch):
    app = open_page(golden_db_path, GOOD, "lead", tmp_path, monkeypatch)
    assert "Type a lead's id above" in text_of(app)
    assert not app.table


def test_a_known_lead_s_journey(golden_db_path, tmp_path, monkeypatch):
    """L06 under the scored agreement (its values: tests/golden/lead_*.toml, the README)."""
    app = journey(golden_db_path, GOOD + "\n" + SCORING, "L06", tmp_path, monkeypatch)
    text = text_of(app)
    assert "Lead L06" in text
    for said in ("Source Webinar", "Campaign Web 1", "Created 5 Mar 2026 09:00", "Owner Cara",
                 "Team East", "Furthest stage SQL", "Disposition lost",
                 "Exits lost 20 Mar 2026 10:00"):  # fmt: skip
        assert said in text.replace("**", ""), said
    # Handed over at its MQL, 09:30; the e-mail at 12:30 is 3 business hours later: met.
    assert (
        "Handed over 5 Mar 2026 09:30; followed up 5 Mar 2026 12:30, 3.0 h after it on the "
        "business clock (target 4 h): met" in text.replace("**", "")
    )
    # Fit 15 (EMEA 10 + Webinar 5) + engagement 4 (the call before it) = 19, A1; CRM 60.
    assert (
        "Handoff score 19 (grade A1) as of its hand-over, 5 Mar 2026 09:30: fit 15 + engagement 4"
        in text.replace("**", "")
    )
    assert "CRM score 60" in text
    rules, stages, activities = tables_of(app)
    assert rules["Points"].tolist() == ["10", "5", "4"]
    assert rules.index.tolist() == ["region = EMEA", "source in Webinar, Referral", "activity call"]
    assert stages.index.tolist() == ["Lead", "MQL", "SAL", "SQL", "Opportunity", "Won"]
    assert stages["Took"].tolist() == ["–", "0.5 h", "–", "–", "–", "–"]
    assert stages["Against the limit"].tolist() == [
        "–", "met", "skipped: a later stage's date passed it",
        "no time: the stage before has no date", "not reached", "not reached",
    ]  # fmt: skip
    assert stages["Limit"].tolist() == ["–", "30 days", "2 days", "14 days", "30 days", "90 days"]
    # No touches of L06 (the export has L01's and L08's): said, not an empty table.
    assert "No touch data for this lead" in text
    assert activities.index.tolist() == ["5 Mar 2026 09:00", "5 Mar 2026 12:30"]
    assert activities["Hand-over"].tolist() == ["before", "first follow-up"]


def test_a_lead_with_touches_and_stages_out_of_order(golden_db_path, tmp_path, monkeypatch):
    app = journey(golden_db_path, GOOD, "L01", tmp_path, monkeypatch)
    text = text_of(app)
    # No [scoring] section: the CRM's score only.
    assert "CRM score 50. The agreement has no scoring rules" in text
    stages, touches, activities = tables_of(app)
    # Won when D01 closed, 1 April 12:00 CEST: 17 days and 1 hour after the opportunity.
    assert stages.loc["Won", "Date"] == "1 Apr 2026 12:00"
    assert stages.loc["Won", "Took"] == "17.0 days"
    assert touches.index.tolist() == ["20 Feb 2026 10:00", "2 Mar 2026 09:00"]
    assert touches["Type"].tolist() == ["ad click", "form fill"]
    assert touches["Hand-over"].tolist() == ["before", "before"]  # both before its MQL, 10:00
    assert activities["Hand-over"].tolist() == ["first follow-up"]  # the call at 11:00
    # L07: its SAL (10 March) before its MQL (11 March).
    app.text_input(key="lead_id").input("L07").run()
    assert not app.exception
    stages = tables_of(app)[0]
    assert stages.loc["SAL", "Against the limit"] == "out of order: dated before the stage before"
    assert "Some of its stage dates are out of order" in text_of(app)
    assert "first contact 10 Mar 2026 11:30, before the hand-over: not judged" in text_of(app)


def test_an_unknown_id_is_said(golden_db_path, tmp_path, monkeypatch):
    app = journey(golden_db_path, GOOD, "L99 *", tmp_path, monkeypatch)
    assert [w.value for w in app.warning] == ["No lead with id “L99 \\*” in the data."]
    assert not app.table


def test_a_link_opens_the_lead(golden_db_path, tmp_path, monkeypatch):
    """A lead list's link: the page opened with ?lead_id= in the URL shows that lead."""
    agreement_file = tmp_path / "agreement.toml"
    agreement_file.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(agreement_file))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    app.query_params["lead_id"] = "L09"
    app.run()
    app.switch_page("pages/lead.py").run()
    assert not app.exception
    assert app.text_input(key="lead_id").value == "L09"
    text = text_of(app)
    # L09 never reached MQL: no hand-over; its call is neither before nor after one.
    assert "Disposition not handed over" in text.replace("**", "")
    assert "Never handed over: the lead has not reached MQL." in text
    assert tables_of(app)[-1]["Hand-over"].tolist() == ["–"]


def test_an_export_without_touches_says_no_touch_data(tmp_path, monkeypatch):
    from handoff import importer
    from tests.conftest import write_dataset

    folder = write_dataset(
        tmp_path / "data",
        leads="lead_id,created_at,source,mql_at\nT1,2026-03-02 09:00,Web,2026-03-02 10:00\n",
    )
    importer.import_dataset(folder, tmp_path / "t.duckdb", agreement_mod.parse(GOOD))
    app = journey(tmp_path / "t.duckdb", GOOD, "T1", tmp_path, monkeypatch)
    text = text_of(app)
    assert "No touch data: the export holds no marketing touches." in text
    assert "No follow-up data: the export holds no sales activities" in text
    assert "No sales activity recorded for this lead." in text
