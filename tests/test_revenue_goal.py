"""The MQL goal worked back from revenue (handoff/revenue_goal.py): the agreement's section, the
arithmetic on the golden data worked by hand, and every way the data can fall short."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handoff import agreement as agreement_mod
from handoff import importer, report, revenue_goal, tables
from handoff.db import Database
from tests.conftest import GOLDEN, write_dataset

GOOD = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
# The golden agreement with the steps after MQL shortened to 1 + 1 + 1 + 6 = 9 days, so that
# March 2026 is mature for MQL → won by the data's end (10 April 12:00 less 9 days is 1 April
# 12:00, after March's end), and a revenue goal learnt from one month.
SHORT = (
    GOOD.replace("mql_to_sal = 2", "mql_to_sal = 1")
    .replace("sal_to_sql = 14", "sal_to_sql = 1")
    .replace("sql_to_opportunity = 30", "sql_to_opportunity = 1")
    .replace("opportunity_to_won = 90", "opportunity_to_won = 6")
)
SECTION = "\n[revenue_goal]\nper_month = 10000\nwindow_months = 1\n"


def test_agreement_without_the_section_has_no_revenue_goal():
    assert agreement_mod.parse(GOOD).revenue_goal is None


def test_agreement_section_values():
    goal = agreement_mod.parse(GOOD + SECTION).revenue_goal
    assert (goal.period, goal.usd, goal.per_month_usd, goal.window_months) == (
        "month",
        10000,
        10000,
        1,
    )
    goal = agreement_mod.parse(GOOD + "\n[revenue_goal]\nper_quarter = 2700000\n").revenue_goal
    assert (goal.period, goal.usd, goal.per_month_usd, goal.window_months) == (
        "quarter",
        2700000,
        900000,
        6,  # the default window
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("window_months = 6", "exactly one of 'revenue_goal.per_month' and "
         "'revenue_goal.per_quarter', got neither"),
        ("per_month = 1\nper_quarter = 3", "got 'revenue_goal.per_month', "
         "'revenue_goal.per_quarter'"),
        ("per_month = 0", "'revenue_goal.per_month' must be a positive amount in USD, got 0"),
        ('per_quarter = "lots"', "'revenue_goal.per_quarter' must be a positive amount"),
        ("per_month = 1\nwindow_months = 2.5", "'revenue_goal.window_months' must be a whole "
         "number of months from 1 to 36, got 2.5"),
        ("per_month = 1\nwindow_months = 0", "'revenue_goal.window_months' must be"),
        ("per_month = 1\nwindow_months = 37", "'revenue_goal.window_months' must be"),
        ("per_month = 1\nwindow_months = true", "'revenue_goal.window_months' must be"),
        ("per_month = 1\nper_year = 12", "unknown key 'revenue_goal.per_year'"),
    ],
)  # fmt: skip
def test_bad_revenue_goal_names_the_key(section, message):
    with pytest.raises(agreement_mod.AgreementError, match=re.escape(message)):
        agreement_mod.parse(f"{GOOD}\n[revenue_goal]\n{section}\n")


def _db(tmp_path, text: str, folder=GOLDEN) -> Database:
    terms = agreement_mod.parse(text)
    result = importer.import_dataset(folder, tmp_path / "db.duckdb", terms)
    return Database(result.db_path, terms)


@pytest.fixture(scope="module")
def golden_goal(tmp_path_factory):
    db = _db(tmp_path_factory.mktemp("goal"), SHORT + SECTION)
    yield revenue_goal.worked_back(db)
    db.close()


def test_window_is_the_latest_mature_months():
    terms = agreement_mod.parse(SHORT)
    end = dt.datetime(2026, 4, 10, 12, tzinfo=terms.tz)
    # 10 April 12:00 less 9 days = 1 April 12:00: March's end (1 April 00:00) is before it.
    assert revenue_goal.window(terms, end, 1).label == "March 2026"
    # Three months back from March.
    assert revenue_goal.window_label(revenue_goal.window(terms, end, 3)) == (
        "January 2026 to March 2026"
    )
    # One hour earlier than 1 April 00:00 + 9 days, March is not mature: February is the latest.
    early = dt.datetime(2026, 4, 9, 23, tzinfo=terms.tz)
    assert revenue_goal.window(terms, early, 1).label == "February 2026"


def test_overall_worked_by_hand(golden_goal):
    o = golden_goal["overall"]
    assert golden_goal["window"]["label"] == "March 2026"
    assert golden_goal["mature_after_days"] == 9
    # March's hand-overs (see tests/golden/revenue_goal_rates.toml): 8 MQLs, 3 won (L01 $1,000,
    # L08 $5,000, L11 $700), median 14 days from hand-over to win.
    assert (o["n_mql"], o["n_won"], o["won_amount_usd"]) == (8, 3, 6700)
    assert o["won_rate"] == 0.375
    # Wilson, 3 of 8, z = 1.96: centre (0.375 + 3.8415/16) / (1 + 3.8415/8) = 0.41555, half
    # 1.96 × sqrt(0.375 × 0.625 / 8 + 3.8415/256) / 1.48018 = 0.27871: 0.13684 to 0.69426.
    assert o["won_low"] == pytest.approx(0.13684, abs=1e-5)
    assert o["won_high"] == pytest.approx(0.69426, abs=1e-5)
    # Deal size 6,700 / 3 = 2,233.33; revenue per MQL 0.375 × 2,233.33 = 837.50.
    assert o["deal_size_usd"] == pytest.approx(2233.333333)
    assert o["revenue_per_mql_usd"] == 837.5
    assert o["median_mql_to_won_days"] == 14
    # 10,000 / 837.5 = 11.94 → 12; 10,000 / (0.69426 × 2,233.33) = 6.45 → 7;
    # 10,000 / (0.13684 × 2,233.33) = 32.72 → 33.
    assert (o["mqls_needed"], o["mqls_needed_low"], o["mqls_needed_high"]) == (12, 7, 33)
    assert o["mqls_needed_per_month"] == 12
    assert (o["mqls_needed_per_month_low"], o["mqls_needed_per_month_high"]) == (7, 33)
    assert o["note"] is None
    assert golden_goal["note"] is None
    assert golden_goal["mql_goal_per_month"] == 10


def test_per_source_both_ways_worked_by_hand(golden_goal):
    rows = {s["source"]: s for s in golden_goal["by_source"]}
    assert list(rows) == [
        "Paid search", "Referral", "(unknown)", "Paid social", "Trade show", "Webinar",
    ]  # fmt: skip

    def split(source, way):
        d = rows[source][way]
        return (d["mqls_needed"], d["mqls_needed_low"], d["mqls_needed_high"])

    # Today's mix: 2/8, 2/8 and 1/8 of 11.94 (6.45 to 32.72): 2.99 → 3 (1.61 → 2, 8.18 → 9);
    # 1.49 → 2 (0.81 → 1, 4.09 → 5).
    assert split("Paid search", "today_mix") == (3, 2, 9)
    assert split("Referral", "today_mix") == (3, 2, 9)
    for source in ("(unknown)", "Paid social", "Trade show", "Webinar"):
        assert split(source, "today_mix") == (2, 1, 5), source
    # By quality: won revenue per MQL 1,000/2 = 500, 5,000/2 = 2,500, 700/1 = 700, others 0;
    # sum 3,700. Paid search 500/3,700 × 11.94 = 1.61 → 2 (0.87 → 1, 4.42 → 5); Referral
    # 2,500/3,700 × 11.94 = 8.07 → 9 (4.36 → 5, 22.11 → 23); (unknown) 700/3,700 × 11.94 =
    # 2.26 → 3 (1.22 → 2, 6.19 → 7).
    assert rows["Referral"]["quality_weight"] == pytest.approx(2500 / 3700, abs=1e-6)
    assert split("Paid search", "by_quality") == (2, 1, 5)
    assert split("Referral", "by_quality") == (9, 5, 23)
    assert split("(unknown)", "by_quality") == (3, 2, 7)
    # A source with no won deal in the window has nothing to weigh: no number and the reason.
    for source in ("Paid social", "Trade show", "Webinar"):
        assert split(source, "by_quality") == (None, None, None)
        assert rows[source]["note"] == "no MQL handed over in the window has been won"
        assert rows[source]["deal_size_usd"] is None
    # The goals in force stand beside them.
    assert rows["Paid search"]["mql_goal_in_force"] == 4
    assert rows["Webinar"]["mql_goal_in_force"] == 2
    assert rows["Referral"]["mql_goal_in_force"] is None


def test_quarter_goal(tmp_path):
    db = _db(tmp_path, SHORT + "\n[revenue_goal]\nper_quarter = 30000\nwindow_months = 1\n")
    goal = revenue_goal.worked_back(db)
    db.close()
    o = goal["overall"]
    # 30,000 / 837.5 = 35.82 → 36 a quarter, 30,000 / (0.69426 × 2,233.33) = 19.35 → 20 and
    # 30,000 / (0.13684 × 2,233.33) = 98.16 → 99; a month's third is the monthly goal's 12
    # (7–33), and the sources share out a month's, as with the monthly goal.
    assert (o["mqls_needed"], o["mqls_needed_low"], o["mqls_needed_high"]) == (36, 20, 99)
    per_month = (o["mqls_needed_per_month"], o["mqls_needed_per_month_low"],
                 o["mqls_needed_per_month_high"])  # fmt: skip
    assert per_month == (12, 7, 33)
    referral = next(s for s in goal["by_source"] if s["source"] == "Referral")
    assert referral["by_quality"] == {
        "mqls_needed": 9,
        "mqls_needed_low": 5,
        "mqls_needed_high": 23,
    }
    assert tables.revenue_goal_line(goal) == (
        "Revenue goal $30K a quarter needs 36 MQLs a quarter (20–99), 12 MQLs a month (7–33), "
        "at the rates of March 2026."
    )


def test_no_mature_cohort_in_the_window(tmp_path):
    # The golden agreement's steps after MQL take 2 + 14 + 30 + 90 = 136 days: from 10 April
    # 2026 the latest mature month is October 2025, before any lead.
    db = _db(tmp_path, GOOD + "\n[revenue_goal]\nper_month = 10000\nwindow_months = 2\n")
    goal = revenue_goal.worked_back(db)
    db.close()
    assert goal["window"]["label"] == "September 2025 to October 2025"
    assert goal["overall"]["n_mql"] == 0
    assert goal["overall"]["mqls_needed"] is None
    assert goal["overall"]["won_rate"] is None
    assert goal["note"] == (
        "no MQL handed over in September 2025 to October 2025, the latest months mature for MQL "
        "→ won"
    )
    # The sources with a goal in force still have their row, saying why there is no number.
    rows = {s["source"]: s for s in goal["by_source"]}
    assert set(rows) == {"Paid search", "Webinar"}
    assert rows["Paid search"]["today_mix"]["mqls_needed"] is None
    assert rows["Paid search"]["note"] == "no MQL handed over in the window"


LEADS = "lead_id,created_at,source,mql_at,won_at,amount\n"


@pytest.mark.parametrize(
    ("rows", "note"),
    [
        # Handed over in March, none won.
        ("A,2026-03-02 09:00,Web,2026-03-02 09:00,,\nZ,2026-04-10 12:00,Web,,,\n",
         "no MQL handed over in March 2026 has been won"),
        # Won, but no amount anywhere in the export: the size is unknown, never $0.
        ("A,2026-03-02 09:00,Web,2026-03-02 09:00,2026-03-05 09:00,\nZ,2026-04-10 12:00,Web,,,\n",
         "no amounts in the export"),
        # Won for $0 (an amount, but none of it revenue): no finite number.
        ("A,2026-03-02 09:00,Web,2026-03-02 09:00,2026-03-05 09:00,0\n"
         "Z,2026-04-10 12:00,Web,,,5\n",
         "the won deals of March 2026 add up to $0"),
    ],
)  # fmt: skip
def test_missing_data_is_said(tmp_path, rows, note):
    folder = write_dataset(tmp_path / "data", leads=LEADS + rows)
    db = _db(tmp_path, SHORT + SECTION, folder)
    goal = revenue_goal.worked_back(db)
    db.close()
    assert goal["note"] == note
    o = goal["overall"]
    assert (o["mqls_needed"], o["mqls_needed_low"], o["mqls_needed_high"]) == (None, None, None)
    assert o["deal_size_usd"] is None
    for s in goal["by_source"]:
        assert s["today_mix"]["mqls_needed"] is None
        assert s["by_quality"]["mqls_needed"] is None


def test_a_won_lead_without_an_amount_counts_in_the_rate_not_the_size(tmp_path):
    folder = write_dataset(
        tmp_path / "data",
        leads=LEADS
        + "A,2026-03-02 09:00,Web,2026-03-02 09:00,2026-03-05 09:00,4000\n"
        + "B,2026-03-03 09:00,Web,2026-03-03 09:00,2026-03-13 09:00,\n"
        + "C,2026-03-04 09:00,Ads,2026-03-04 09:00,,\n"
        + "D,2026-03-05 09:00,Ads,2026-03-05 09:00,,\n"
        + "Z,2026-04-10 12:00,Web,,,\n",
    )
    db = _db(tmp_path, SHORT + SECTION, folder)
    o = revenue_goal.worked_back(db)["overall"]
    db.close()
    # 2 of 4 won; the size is A's 4,000 alone (B has no amount): revenue per MQL 0.5 × 4,000 =
    # 2,000; 10,000 / 2,000 = 5 MQLs exactly (not 6: no rounding up of a whole number).
    assert (o["n_won"], o["n_won_with_amount"], o["deal_size_usd"]) == (2, 1, 4000)
    assert o["mqls_needed"] == 5
    # Cycle: A 3 days, B 10 days: median 6.5.
    assert o["median_mql_to_won_days"] == 6.5


def test_metrics_json_has_the_key_only_with_the_section(golden_db, tmp_path):
    from tests.test_golden import filters_of

    filters = filters_of({})
    assert "revenue_goal" not in report.collect(golden_db, filters)
    db = _db(tmp_path, SHORT + SECTION)
    data = report.collect(db, filters)
    db.close()
    assert data["revenue_goal"]["overall"]["mqls_needed"] == 12
