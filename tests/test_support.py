"""Marketing's support after hand-over, worked by hand on leads of its own.

The golden fixture's three touches are all at or before a hand-over (tests/golden/
support_after_handover.toml), so the rule is worked through here on thirteen leads in the golden
agreement's Berlin time (the clocks go forward on Sunday 29 March 2026). A handed-over lead is
supported when marketing touched it strictly after its hand-over, within the agreement's
support window (30 days by default, counted in elapsed time) and before its first close (won,
lost, discarded or recycled) at or after the hand-over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from handoff import agreement as agreement_mod
from handoff import importer, metrics, report
from handoff.db import Database
from handoff.filters import Filters, resolve_period
from tests.conftest import GOLDEN, write_dataset

LEADS = """\
lead_id,created_at,source,mql_at,sql_at,won_at,discarded_at,recycled_at
S01,2026-03-01 09:00,Web,2026-03-02 10:00,2026-03-05 10:00,,,
S02,2026-03-02 09:00,Web,2026-03-03 10:00,,2026-03-25 10:00,,
S03,2026-03-03 09:00,Web,2026-03-04 10:00,2026-03-10 10:00,,,
S04,2026-03-04 09:00,Web,2026-03-05 10:00,,,2026-03-06 10:00,
S05,2026-03-02 09:00,Web,,,,,
S06,2026-03-05 09:00,Web,2026-03-06 10:00,,,,
S07,2026-03-06 09:00,Event,2026-03-07 10:00,,2026-03-20 10:00,,
S08,2026-03-07 09:00,Event,2026-03-08 10:00,,,,
S09,2026-03-08 09:00,Event,2026-03-09 10:00,,,,
S10,2026-02-28T23:00:00Z,Event,2026-02-28T23:30:00Z,,,,
S11,2026-03-31 09:00,Event,2026-03-31 23:30,,,,
S12,2026-03-31 10:00,Event,2026-03-31T22:30:00Z,,,,
S13,2026-03-09 09:00,Event,2026-03-10 10:00,,,,2026-03-12 10:00
"""
TOUCHES = """\
lead_id,touched_at,channel,campaign,touch_type
S01,2026-03-01 12:00,Email,,e-mail
S02,2026-03-03 10:00,Email,,form fill
S03,2026-03-05 10:00,Email,,e-mail
S04,2026-03-06 10:00,Email,,e-mail
S04,2026-03-07 10:00,Email,,e-mail
S05,2026-03-10 10:00,Email,,e-mail
S07,2026-03-08 10:00,Email,,e-mail
S07,2026-03-08 10:00,Display,,ad click
S08,2026-04-07 10:30,Email,,e-mail
S09,2026-04-08 11:30,Email,,e-mail
S10,2026-03-01T00:15:00+01:00,Email,,e-mail
S10,2026-02-28T23:45:00Z,Email,,e-mail
S11,2026-03-31T22:00:00Z,Email,,e-mail
S12,2026-04-02 10:00,Email,,e-mail
S13,2026-03-15 10:00,Email,,e-mail
"""
MARCH = resolve_period("custom", dt.date(2026, 4, 8), dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _open(tmp_path, name: str, terms, **files: str) -> Database:
    folder = write_dataset(tmp_path / name, **files)
    importer.import_dataset(folder, tmp_path / f"{name}.duckdb", terms)
    return Database(tmp_path / f"{name}.duckdb", terms)


@pytest.fixture(scope="module")
def terms():
    return agreement_mod.load(GOLDEN / "agreement.toml")


@pytest.fixture(scope="module")
def db(tmp_path_factory, terms):
    database = _open(tmp_path_factory.mktemp("support"), "s", terms, leads=LEADS, touches=TOUCHES)
    yield database
    database.close()


def test_who_counts_as_supported(db):
    # March's hand-overs (Berlin time): S01-S04, S06-S11 and S13, 11 leads. S05 was never
    # handed over (its touch counts for nobody); S12's MQL, 31 March 22:30 UTC, is 1 April 00:30
    # in Berlin: April's. S10's, 28 February 23:30 UTC, is 1 March 00:30: March's.
    # Supported:
    #   S03  touched the day after its MQL;
    #   S07  two touches at the same instant, 8 March, before its win on 20 March: one lead;
    #   S08  MQL 8 March 10:00 CET (09:00 UTC), touch 7 April 10:30 CEST (08:30 UTC): 29 days
    #        23.5 hours later across the clock change, inside 30 days (on the wall clock it
    #        would look 30 days and half an hour);
    #   S10  its touch at 28 February 23:45 UTC is a quarter of an hour after its hand-over
    #        (the one at 1 March 00:15 +01:00 is 23:15 UTC, before it);
    #   S11  MQL 31 March 23:30 Berlin (21:30 UTC), touch 22:00 UTC, half an hour later.
    # Not supported:
    #   S01  touched only before its hand-over;   S02  only at the very moment of it;
    #   S04  discarded 6 March 10:00: its touch at that moment and the one after do not count;
    #   S06  no touches;   S09  MQL 9 March 09:00 UTC, touch 8 April 09:30 UTC: 30 days and
    #        half an hour, past the window;   S13  recycled 12 March, touched in nurture 15 March.
    support = metrics.support(db, Filters(period=MARCH))
    o = support["overall"]
    assert support["has_touch_data"]
    assert "note" not in support
    assert support["window_days"] == 30
    assert (o["n_handed_over"], o["n_supported"], o["n_unsupported"]) == (11, 5, 6)
    # 5 of 11: p = 0.4545, z² = 3.8415; centre (p + z²/22) / (1 + z²/11) = 0.62916 / 1.34923
    # = 0.46631; half-width 1.96·sqrt(p(1-p)/11 + z²/484) / 1.34923 = 1.96·0.17457 / 1.34923
    # = 0.25360: 21.3% to 72.0%.
    assert o["supported_rate"] == pytest.approx(5 / 11, abs=1e-6)
    assert o["supported_low"] == pytest.approx(0.2127, abs=5e-4)
    assert o["supported_high"] == pytest.approx(0.7199, abs=5e-4)
    # Reached SQL by the data's end: S01, S03 (SQL stamped), S02, S07 (won: SQL passed).
    # Supported S03 S07: 2 of 5; unsupported S01 S02: 2 of 6. Won: S07 of 5, S02 of 6.
    assert (o["n_sql_supported"], o["n_sql_unsupported"]) == (2, 2)
    assert (o["n_won_supported"], o["n_won_unsupported"]) == (1, 1)
    assert o["sql_supported_rate"] == pytest.approx(2 / 5, abs=1e-6)
    assert o["won_unsupported_rate"] == pytest.approx(1 / 6, abs=1e-6)
    columns = ("group_name", "n_handed_over", "n_supported", "n_sql_supported",
               "n_sql_unsupported", "n_won_supported", "n_won_unsupported")  # fmt: skip
    # Event: S07 S08 S09 S10 S11 S13, supported S07 S08 S10 S11 (S07 reached SQL and won);
    # Web: S01 S02 S03 S04 S06, supported S03 (SQL); unsupported SQL S01 S02, won S02.
    assert [tuple(r[c] for c in columns) for r in support["by_source"]] == [
        ("Event", 6, 4, 1, 0, 1, 0),
        ("Web", 5, 1, 1, 2, 0, 1),
    ]
    # Furthest stage at the data's end: MQL S04 (discarded) S06 S08 S09 S10 S11 S13 (recycled),
    # supported S08 S10 S11; SQL S01 S03, supported S03; won S02 S07, supported S07.
    assert [tuple(r[c] for c in columns) for r in support["by_stage"]] == [
        ("mql", 7, 3, 0, 0, 0, 0),
        ("sql", 2, 1, 1, 1, 0, 0),
        ("won", 2, 1, 1, 1, 1, 1),
    ]


def test_the_window_is_the_agreement_s(tmp_path, terms):
    # With 40 days S09's touch, 30 days and half an hour after its hand-over, counts too.
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    wider = agreement_mod.parse(text + "\n[support]\nwindow_days = 40\n")
    database = _open(tmp_path, "w", wider, leads=LEADS, touches=TOUCHES)
    support = metrics.support(database, Filters(period=MARCH))
    database.close()
    assert support["window_days"] == 40
    assert support["overall"]["n_supported"] == 6


def test_without_touch_data_it_says_so(tmp_path, terms):
    # The same leads without a touches file: 11 hand-overs, nothing judged, never 0%.
    database = _open(tmp_path, "n", terms, leads=LEADS)
    support = metrics.support(database, Filters(period=MARCH))
    database.close()
    o = support["overall"]
    assert support["note"] == "no touch data"
    assert not support["has_touch_data"]
    assert o["n_handed_over"] == 11
    assert o["n_supported"] is None
    assert o["supported_rate"] is None
    assert o["sql_unsupported_rate"] is None


def test_the_report_says_what_the_json_says(db):
    data = report.collect(db, Filters(period=MARCH))
    html = report.render(data)
    # The report's support section quotes the JSON's numbers under their paths.
    assert 'data-key="support.overall.n_supported"' in html
    assert 'data-key="support.overall.supported_rate"' in html
    assert "association, not cause" in html


def test_the_report_says_no_touch_data(tmp_path, terms):
    database = _open(tmp_path, "r", terms, leads=LEADS)
    html = report.render(report.collect(database, Filters(period=MARCH)))
    database.close()
    section = html.split('<section id="support">')[1].split("</section>")[0]
    assert "No touch data" in section
    assert "0%" not in section


def test_filters_narrow_it(db):
    # Only the Web leads: S01 S02 S03 S04 S06, of which S03 supported.
    narrowed = dataclasses.replace(Filters(period=MARCH), sources=("Web",))
    o = metrics.support(db, narrowed)["overall"]
    assert (o["n_handed_over"], o["n_supported"]) == (5, 1)


def _quality_page(monkeypatch, db_path, **query: str):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv("HANDOFF_DB", str(db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key, value in {
        "period": "custom",
        "from": "2026-03-01",
        "to": "2026-03-31",
        **query,
    }.items():
        app.query_params[key] = value
    app.run()
    app.switch_page("pages/quality.py").run()
    assert not app.exception
    return app


def test_the_quality_page_shows_the_section(db, monkeypatch):
    app = _quality_page(monkeypatch, db.path)
    shown = {m.label: (m.value, m.help) for m in app.metric}
    # 5 of 11 kept receiving touches; SQL 2 of 5 with touches, 2 of 6 without (see above).
    assert shown["Kept receiving touches"][0] == "45.5%"
    assert shown["SQL: with touches"][0] == "40.0%"
    assert shown["SQL: without"][0] == "33.3%"
    captions = [c.value for c in app.caption]
    assert "5 of 11 · 95% 21%–72%" in captions
    assert any("association, not cause" in i.value for i in app.info)
    # By furthest stage, in the agreement's words: MQL 7 (3 touched), SQL 2 (1), Won 2 (1).
    app.radio(key="quality_support_by").set_value("stage").run()
    table = app.dataframe[-1].value
    assert table["Furthest stage"].tolist() == ["MQL", "SQL", "Won"]
    assert table["Kept receiving touches"].tolist() == [3, 1, 1]
    assert "SQL: with" not in table.columns  # the stage itself says it
    app.radio(key="quality_support_by").set_value("source").run()
    table = app.dataframe[-1].value
    # Event: SQL S07 of the 4 touched, none of the 2 others; Web: S03 of 1, S01 S02 of 4.
    assert table["SQL: with"].tolist() == ["25.0% (1 of 4)", "100.0% (1 of 1)"]
    assert table["SQL: without"].tolist() == ["0.0% (0 of 2)", "50.0% (2 of 4)"]


def test_the_quality_page_says_no_touch_data(tmp_path, terms, monkeypatch):
    database = _open(tmp_path, "p", terms, leads=LEADS)
    database.close()
    app = _quality_page(monkeypatch, tmp_path / "p.duckdb")
    assert "Kept receiving touches" not in {m.label for m in app.metric}
    notes = [i.value for i in app.info if "touch data" in i.value]
    assert notes == [
        "No touch data: 11 MQLs were handed over in March 2026, but the export holds no "
        "marketing touches, so support after hand-over cannot be judged."
    ]
