"""Dated versions of the agreement: parsing, the version in force, and golden tests of a period
that spans a change of targets, of the follow-up clock and of the MQL score threshold.

Every expected value is worked out by hand from tests/fixtures/golden (the leads and activities
are listed in its README) and the change below, with the reasoning beside it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from handoff import agreement as agreement_mod
from handoff import metrics, report, scorecard, tables
from handoff.agreement import AgreementError
from handoff.db import Database
from handoff.filters import Filters, Period
from tests.conftest import GOLDEN, ROOT

# Version 2 of the golden agreement, in force from Monday 16 March 2026 (00:00 Berlin): a
# 48-hour calendar-clock follow-up target instead of 4 business hours, a score threshold of 96
# instead of 80, acceptance at least 50% instead of 70%, and 20 MQLs a month instead of 10.
CHANGE = """
[[change]]
effective_on = 2026-03-16
changed_by = "Ana (sales) and Cara (marketing)"
reason = "Follow-up on the calendar clock; fewer leads by score"
follow_up.clock = "calendar"
follow_up.target_hours = 48
mql_rule.score_threshold = 96
targets.min_acceptance_rate = 0.5
mql_goal.per_month = 20
"""
MARCH = Filters(Period("custom", dt.date(2026, 3, 1), dt.date(2026, 4, 1)))


def golden_text() -> str:
    return (GOLDEN / "agreement.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def versioned() -> agreement_mod.Agreement:
    return agreement_mod.parse(golden_text() + CHANGE)


@pytest.fixture(scope="module")
def versioned_db(golden_db_path, versioned):
    db = Database(golden_db_path, versioned)
    yield db
    db.close()


@pytest.fixture(scope="module")
def leads(versioned_db) -> pd.DataFrame:
    return (
        versioned_db.con.sql("select * from stg_leads")
        .to_arrow_table()
        .to_pandas()
        .set_index("lead_id")
    )


# --- Parsing ----------------------------------------------------------------------------------


def test_versions_and_what_changed(versioned):
    one, two = versioned.versions
    assert (one.number, one.effective_on, one.changes) == (1, dt.date(2026, 1, 1), ())
    assert (two.number, two.effective_on) == (2, dt.date(2026, 3, 16))
    assert two.changed_by == "Ana (sales) and Cara (marketing)"
    assert two.reason == "Follow-up on the calendar clock; fewer leads by score"
    # In the order of the key table, each with its value before and after.
    assert [(c.key, c.before, c.after) for c in two.changes] == [
        ("mql_rule.score_threshold", 80, 96),
        ("follow_up.target_hours", 4, 48),
        ("follow_up.clock", "business", "calendar"),
        ("targets.min_acceptance_rate", 0.7, 0.5),
        ("mql_goal.per_month", 10, 20),
    ]
    # The parsed agreement is the latest version's; version 1 keeps its own values.
    assert (versioned.follow_up_clock, versioned.score_threshold) == ("calendar", 96.0)
    assert (one.agreement.follow_up_clock, one.agreement.score_threshold) == ("business", 80.0)
    assert versioned.version is two


def test_a_file_without_changes_is_one_version(golden_agreement):
    (only,) = golden_agreement.versions
    assert (only.number, only.effective_on, only.agreement) == (
        1,
        dt.date(2026, 1, 1),
        golden_agreement,
    )


def test_version_in_force_on_each_day(versioned):
    # Version 1 judges the days before it was agreed too: nothing would judge them otherwise.
    assert versioned.version_on(dt.date(2025, 6, 1)).number == 1
    assert versioned.version_on(dt.date(2026, 3, 15)).number == 1
    assert versioned.version_on(dt.date(2026, 3, 16)).number == 2
    spans = versioned.in_force(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [(s.version.number, s.first_day.day, s.last_day.day, s.days) for s in spans] == [
        (1, 1, 15, 15),
        (2, 16, 31, 16),
    ]
    (april,) = versioned.in_force(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert april.version.number == 2


def test_tables_and_lists_are_replaced_whole_and_unset_removes():
    text = (
        golden_text()
        + """
[[change]]
effective_on = 2026-02-01
changed_by = "Cara"
reason = "Webinars dropped"
mql_goal.by_source = { "Paid search" = 6 }
unset = ["follow_up.min_within_sla_rate"]
"""
    )
    a = agreement_mod.parse(text)
    assert a.mql_goal_by_source == {"Paid search": 6.0}
    assert a.min_within_sla_rate is None
    assert a.versions[0].agreement.min_within_sla_rate == 0.8
    (webinar_gone, sla_gone) = [c.key for c in a.version.changes]
    assert (webinar_gone, sla_gone) == ("follow_up.min_within_sla_rate", "mql_goal.by_source")


CHANGE_HEAD = '\n[[change]]\nchanged_by = "Ana"\nreason = "x"\n'


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Overlapping: the same day as version 1, or before the version before it.
        (
            CHANGE_HEAD + "effective_on = 2026-01-01\nfollow_up.target_hours = 5\n",
            "change 1 (version 2): effective_on 2026-01-01 overlaps version 1 (from 1 Jan 2026): "
            "each change must take effect after the version before it (2026-01-01)",
        ),
        (
            CHANGE_HEAD
            + "effective_on = 2026-05-01\nfollow_up.target_hours = 5\n"
            + CHANGE_HEAD
            + "effective_on = 2026-04-01\nfollow_up.target_hours = 6\n",
            "change 2 (version 3): effective_on 2026-04-01 overlaps version 2 (from 1 May 2026)",
        ),
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\ntime_zone = 'UTC'\n",
            "change 1 (version 2): 'time_zone' cannot change in a version",
        ),
        (
            CHANGE_HEAD + "effective_on = '2026-05-01'\nfollow_up.target_hours = 5\n",
            "'effective_on' must be a date like 2026-07-01, got '2026-05-01'",
        ),
        (
            '\n[[change]]\nchanged_by = "Ana"\neffective_on = 2026-05-01\n'
            "follow_up.target_hours = 5\n",
            "change 1 (version 2): 'reason' must say why it changed, got None",
        ),
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\n",
            "change 1 (version 2): the change changes no key",
        ),
        # The same messages as the file loader, naming the change.
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\nfollow_up.target_hours = -1\n",
            "change 1 (version 2): 'follow_up.target_hours' must be a positive number of hours",
        ),
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\nfollow_up.target = 5\n",
            "change 1 (version 2): unknown key 'follow_up.target'",
        ),
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\nunset = ['follow_up.target_hours']\n",
            "'unset' cannot remove required key 'follow_up.target_hours'",
        ),
        (
            CHANGE_HEAD + "effective_on = 2026-05-01\nunset = ['revenue_goal']\n",
            "'unset' names 'revenue_goal', which version 1 does not set",
        ),
    ],
)
def test_bad_changes_name_the_change_and_the_problem(change, message):
    with pytest.raises(AgreementError) as caught:
        agreement_mod.parse(golden_text() + change, source="agreement.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("agreement.toml")


# --- Staging: each lead judged by the version in force at its moment ----------------------------


def test_agreement_versions_table(versioned_db):
    rows = versioned_db.con.execute(
        "select version, effective_on, follow_up_target_hours, follow_up_clock, score_threshold,"
        " isinf(starts_at), cast(ends_at as varchar) from agreement_versions order by version"
    ).fetchall()
    assert rows == [
        (1, None, 4.0, "business", 80.0, True, "2026-03-16 00:00:00+01"),
        (2, dt.date(2026, 3, 16), 48.0, "calendar", 96.0, False, None),
    ]


# lead: (version, status, follow_up_hours on its version's clock, hours waiting, hours overdue)
VERSIONED_FOLLOW_UP = {
    # Handed over before 16 March: version 1, 4 business hours, as in test_staging.FOLLOW_UP.
    "L01": (1, "met", 1.0, None, None),
    "L02": (1, "met", 2.0, None, None),  # MQL by score: 90 >= 80 at its creation on 6 March
    "L06": (1, "met", 3.0, None, None),
    "L07": (1, "invalid", None, None, None),  # handed over at its SAL on 10 March
    # Handed over on 2 March and never followed up: version 1's business clock runs to the
    # data's end (219 business hours), through version 2's days.
    "L14": (1, "breached", None, 219.0, 215.0),
    # Handed over from 16 March: version 2, 48 calendar hours.
    "L03": (2, "breached", 67.0, None, 19.0),  # Fri 27 Mar 18:00 -> Mon 14:00, the DST night: 67 h
    "L04": (2, "breached", None, 188.0, 140.0),  # Thu 2 Apr 16:00 -> Fri 10 Apr 12:00: 8 d - 4 h
    "L05": (2, "pending", None, 2.0, None),  # 10:00 -> 12:00 on the data's last day
    "L10": (2, "met", 3.0, None, None),
    "L11": (2, "met", 5.0, None, None),  # 5 h: breached on version 1's 4 h, met on 48
}


@pytest.mark.parametrize("lead_id", sorted(VERSIONED_FOLLOW_UP))
def test_follow_up_by_the_version_at_hand_over(leads, lead_id):
    version, status, hours, waiting, overdue = VERSIONED_FOLLOW_UP[lead_id]
    row = leads.loc[lead_id]

    def value(column):
        return None if pd.isna(row[column]) else round(float(row[column]), 6)

    assert (row["agreement_version"], row["sla_status"]) == (version, status)
    assert value("follow_up_hours") == hours
    assert value("hours_waiting") == waiting
    assert value("hours_overdue") == overdue


def test_score_threshold_of_the_version_at_creation(leads):
    # L08 (score 95, no mql_at) was created on 16 March, under version 2's threshold of 96: not
    # an MQL by score. It is still handed over, at its won deal's opportunity (20 March 09:00),
    # so version 2 judges it; the 16 March call came before that, so it was never followed up,
    # and it is won: breached, closed without follow-up (no hours waiting or overdue).
    # L02 (score 90, created 6 March) stays an MQL by score under version 1's 80.
    l08 = leads.loc["L08"]
    assert (l08["is_mql"], l08["is_mql_by_score"], l08["agreement_version"]) == (True, False, 2)
    assert l08["handover_at"] == pd.Timestamp("2026-03-20 09:00", tz="Europe/Berlin")
    assert (l08["sla_status"], l08["breach"]) == ("breached", "closed without follow-up")
    assert pd.isna(l08["hours_waiting"])
    assert pd.isna(l08["hours_overdue"])
    assert leads.loc["L02", "is_mql_by_score"]
    # Never handed over: judged at creation. L13 (1 March 00:30 Berlin) and L09 by version 1,
    # L12 (10 April) by version 2.
    assert leads.loc[["L09", "L13", "L12"], "agreement_version"].tolist() == [1, 1, 2]


# --- A period that spans the change ------------------------------------------------------------


def test_march_is_judged_by_both_versions(versioned_db):
    card = scorecard.scorecard(versioned_db, MARCH)
    assert [(v["version"], v["first_day"], v["last_day"], v["days"]) for v in card.versions] == [
        (1, "2026-03-01", "2026-03-15", 15),
        (2, "2026-03-16", "2026-03-31", 16),
    ]
    got = {
        c.key: (c.value, c.numerator, c.denominator, c.target, c.is_met) for c in card.commitments
    }
    # Handed over in March: L01, L02, L03, L06, L07, L11, L14, and L08 (at its opportunity on
    # 20 March now): 8, against 10 a month for 15 of March's 31 days and 20 for 16:
    # 150/31 + 320/31 = 15.16. Paid search (L01, L02) keeps 4 a month in both versions: 4.0.
    # Follow-up: met L01, L02, L06 (version 1) and L11 (version 2, 5 h of 48); breached L14
    # (version 1), L03 and L08 (version 2); L07 invalid: 4 of 7 against 80% in both versions.
    # Acceptance, March's creation cohort (L01-L03, L06-L08, L10, L11): 5 of 8 against 70% for
    # 15 days and 50% for 16: (0.7 * 15 + 0.5 * 16) / 31 = 18.5 / 31 = 59.7%: met, where version
    # 1 alone would have missed it. Discards L03, L11: 2 of 8, at most 25% in both.
    assert got == {
        "mql_volume": (8, None, None, 15.2, False),
        "mql_volume:Paid search": (2, None, None, 4.0, False),
        "mql_volume:Webinar": (1, None, None, 2.0, False),
        "follow_up": (pytest.approx(4 / 7), 4, 7, 0.8, False),
        "acceptance": (0.625, 5, 8, pytest.approx(18.5 / 31), True),
        "discards": (0.25, 2, 8, 0.25, True),
    }
    volume = card.commitment("mql_volume")
    assert [(p["version"], p["target"], p["agreed"]) for p in volume.target_spans] == [
        (1, pytest.approx(4.8), 10),  # 10 * 15/31 = 4.84, shown to one decimal
        (2, pytest.approx(10.3), 20),  # 20 * 16/31 = 10.32
    ]
    assert volume.note == (
        "goal: all sources; the period spans a change of the agreement (version 1 for "
        "1–15 Mar 2026: 4.8 MQLs; version 2 for 16–31 Mar 2026: 10.3 MQLs)"
    )
    follow = card.commitment("follow_up")
    # Two rules judged March's leads: the name cannot say one of them.
    assert follow.label == "Followed up within the agreed hours"
    assert (
        "version 1 for 1–15 Mar 2026: 4 business hours; version 2 for 16–31 Mar 2026: 48 hours"
        in (follow.note)
    )
    # The versions agree on the discard target: nothing to say.
    assert card.commitment("discards").note == ""
    assert "version 1 for 1–15 Mar 2026: 70%; version 2 for 16–31 Mar 2026: 50%" in (
        card.commitment("acceptance").note
    )


def test_april_is_version_2_alone(versioned_db):
    april = Filters(Period("custom", dt.date(2026, 4, 1), dt.date(2026, 5, 1)))
    card = scorecard.scorecard(versioned_db, april)
    assert [v["version"] for v in card.versions] == [2]
    assert card.commitment("follow_up").label == "Followed up within 48 hours"
    assert card.commitment("mql_volume").target == 20.0
    assert card.commitment("acceptance").target == 0.5


def test_metrics_json_names_the_version(versioned_db):
    data = report.collect(versioned_db, MARCH)
    assert data["agreement"]["version"] == {
        "number": 2,
        "effective_on": "2026-03-16",
        "changed_by": "Ana (sales) and Cara (marketing)",
        "reason": "Follow-up on the calendar clock; fewer leads by score",
    }
    assert [v["version"] for v in data["scorecard"]["versions"]] == [1, 2]


def test_every_page_counts_the_same_targets(versioned_db):
    # One name, one number: the Discards page's targets (metrics.discard_summary) are the
    # scorecard's for the same period, and the Follow-up page heads with the rule of the version
    # in force on the period's last day (version 2 on 31 March: 48 calendar hours).
    card = scorecard.scorecard(versioned_db, MARCH)
    summary = metrics.discard_summary(versioned_db, MARCH)
    assert summary["min_acceptance_rate"] == card.commitment("acceptance").target
    assert summary["max_discard_rate"] == card.commitment("discards").target
    assert summary["current"]["acceptance_met"] is card.commitment("acceptance").is_met
    follow = metrics.follow_up_summary(versioned_db, MARCH)
    assert (follow["target_hours"], follow["clock"]) == (48.0, "calendar")
    # Each month of the trend against its own month's targets: February (version 1 alone) has
    # no MQL cohort to judge but its target is 70%; the scorecard's trend target is the period's.
    feb = Filters(Period("custom", dt.date(2026, 2, 1), dt.date(2026, 3, 1)))
    assert metrics.discard_summary(versioned_db, feb)["min_acceptance_rate"] == 0.7


def test_history_table(versioned):
    rows = tables.agreement_history(versioned).to_dict("records")
    assert [(r["Version"], r["From"], r["Until"]) for r in rows] == [
        (2, "16 Mar 2026", "in force"),
        (1, "the start", "to 15 Mar 2026"),
    ]
    assert rows[0]["What changed"] == (
        "mql_rule.score_threshold: 80 → 96; follow_up.target_hours: 4 → 48; follow_up.clock: "
        "business → calendar; targets.min_acceptance_rate: 70% → 50%; mql_goal.per_month: 10 → 20"
    )
    assert (rows[1]["Changed by"], rows[1]["Why"]) == ("–", "agreed on 1 Jan 2026")


def open_page(page: str, tmp_path, monkeypatch, golden_db_path) -> AppTest:
    agreement_file = tmp_path / "agreement.toml"
    agreement_file.write_text(golden_text() + CHANGE, encoding="utf-8")
    monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(agreement_file))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.run()
    if page != "app.py":
        app.switch_page(page).run()
    assert not app.exception
    return app


def test_pages_say_the_period_spans_a_change(tmp_path, monkeypatch, golden_db_path):
    # The golden data ends 10 April 2026: the pages open on March, which spans the change.
    home = open_page("app.py", tmp_path, monkeypatch, golden_db_path)
    notice = " ".join(i.value for i in home.info)
    assert (
        "March 2026 spans a change of the agreement:** version 1 (from 1 Jan 2026) for 1–15 Mar "
        "2026; version 2 (from 16 Mar 2026) for 16–31 Mar 2026."
    ) in notice
    captions = [c.value.replace("\\", "") for c in home.caption]  # as read: no markdown escapes
    assert "Targets: version 1 for 1–15 Mar 2026: 70%; version 2 for 16–31 Mar 2026: 50%." in (
        captions
    )
    definitions = open_page("pages/definitions.py", tmp_path, monkeypatch, golden_db_path)
    text = " ".join(m.value for m in definitions.markdown)
    assert "In force: version 2 (from 16 Mar 2026).** 1 change since it was agreed." in text
    assert "**Version 2** · from 16 Mar 2026 · in force · changed by Ana (sales) and Cara" in text
    follow = open_page("pages/follow_up.py", tmp_path, monkeypatch, golden_db_path)
    assert "follow up within **48 calendar hours**" in " ".join(m.value for m in follow.markdown)


def test_the_report_names_the_versions(versioned_db, golden_agreement):
    march = report.render(report.collect(versioned_db, MARCH))
    assert (
        "The period spans a change of the agreement: version 1 (from 1 Jan 2026) for 1–15 Mar "
        "2026; version 2 (from 16 Mar 2026) for 16–31 Mar 2026."
    ) in march
    april = Filters(Period("custom", dt.date(2026, 4, 1), dt.date(2026, 5, 1)))
    assert "Judged by version 2 (from 16 Mar 2026) of the agreement." in report.render(
        report.collect(versioned_db, april)
    )
    february = Filters(Period("custom", dt.date(2026, 2, 1), dt.date(2026, 3, 1)))
    assert (
        "Judged by version 1 (from 1 Jan 2026) of the agreement; it has changed since (version 2 "
        "(from 16 Mar 2026))."
    ) in report.render(report.collect(versioned_db, february))
