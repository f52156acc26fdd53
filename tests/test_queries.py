"""Golden tests of the metrics layer over the queries, and of queries on small datasets of their own.

The rows each query returns on the golden fixture are in tests/golden/<query>.toml (run by
tests/test_golden.py). Here: what `handoff.metrics` and `handoff.scorecard` add to them (the
home page's changes, maturity and better/worse, derived rates and costs, summaries that merge
two queries, trends, goals), and cases the golden fixture lacks, each on a small dataset written
in the test. The golden data ends on Friday 10 April 2026, so "last full month" is March 2026
and the previous period February 2026; expected values were worked out by hand from
tests/fixtures/golden/ (see its README for what each lead exercises).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pandas as pd
import pytest

from handoff import importer, metrics
from handoff import scorecard as scorecard_mod
from handoff.db import Database
from handoff.filters import Filters, resolve_period
from tests.conftest import write_dataset

MARCH = resolve_period("custom", dt.date(2026, 4, 10), dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_attribute_options_leave_out_identifiers(tmp_path, golden_agreement):
    # 51 leads: every e-mail differs (51 values, an identifier); plan has exactly 50 values.
    rows = [f"L{i},2026-03-02,Web,lead{i}@example.com,p{i % 50}" for i in range(51)]
    folder = write_dataset(
        tmp_path / "ids", leads="lead_id,created_at,source,email,plan\n" + "\n".join(rows) + "\n"
    )
    importer.import_dataset(folder, tmp_path / "ids.duckdb", golden_agreement)
    db = Database(tmp_path / "ids.duckdb", golden_agreement)
    frame = db.run("attribute_options")
    db.close()
    assert set(frame["attribute"]) == {"plan"}
    assert len(frame) == 50
    assert frame.iloc[0].tolist() == ["plan", "p0", 2]  # p0: L0 and L50


@pytest.mark.parametrize(
    ("sources", "monthly", "scope"),
    [
        ((), 10, "all sources"),
        (("Paid search",), 4, "Paid search"),
        (("Paid search", "Webinar"), 6, "Paid search, Webinar"),
        (("Referral",), None, "no goal is set for Referral"),
    ],
)
def test_monthly_mql_goal(golden_agreement, sources, monthly, scope):
    f = Filters(period=MARCH, sources=sources)
    assert scorecard_mod.monthly_mql_goal(golden_agreement, f) == (monthly, scope)


def test_handed_over_counts_old_leads_in_every_view(tmp_path, golden_agreement):
    # L1 was created in January and handed over in March; L2 created and handed over in March.
    # The March creation cohort holds L2 only, but marketing handed over both in March.
    folder = write_dataset(
        tmp_path / "h",
        leads="lead_id,created_at,source,mql_at\nL1,2026-01-05,Web,2026-03-10\n"
        "L2,2026-03-02,Web,2026-03-03\n",
    )
    importer.import_dataset(folder, tmp_path / "h.duckdb", golden_agreement)
    db = Database(tmp_path / "h.duckdb", golden_agreement)
    for view, n_leads in (("created", 1), ("handover", 2), ("flow", 1)):
        f = Filters(period=MARCH, view=view)
        home = metrics.home(db, f)
        handed_over = metrics.follow_up_summary(db, f)["current"]["n_handed_over"]
        assert (home["leads"]["value"], handed_over) == (n_leads, 2), view
    db.close()


def test_home_metrics(golden_db):
    f = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)))
    home = metrics.home(golden_db, f)
    assert home["leads"] == {
        "label": "Leads", "value": 10, "previous": 1, "change": 9, "change_rate": 9.0,
    }  # fmt: skip
    assert home["won"]["change_rate"] is None  # nothing won in February: no rate
    # Won by March's leads (L01 1,000 in April, L08 5,000, L11 700 in April), whenever closed;
    # won in March itself (deals closed in it): only L08's D08.
    assert home["won_revenue_usd"]["value"] == 6700
    assert home["won_revenue_usd"]["label"] == "Won revenue (won by these leads, whenever closed)"
    assert home["won_in_period"] == {
        "label": "Won in March 2026 (deals closed in it)", "n_deals": 1, "revenue_usd": 5000,
    }  # fmt: skip


# ---- the lead funnel ------------------------------------------------------------------------


MARCH_FILTERS = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)))
BY_SOURCE = {"group_1": "source", "group_2": None}


def q(db, name, *, view="created", strict=False, period=None, **extra):
    """A query for March (or `period`) in a view and order mode, with its own parameters."""
    f = Filters(period=period or MARCH_FILTERS.period, view=view, strict=strict)
    return metrics.run(db, name, f, **extra)


@contextlib.contextmanager
def imported(tmp_path, agreement, **files):
    """A small dataset written, imported and opened for one test."""
    folder = write_dataset(tmp_path / "data", **files)
    importer.import_dataset(folder, tmp_path / "small.duckdb", agreement)
    db = Database(tmp_path / "small.duckdb", agreement)
    try:
        yield db
    finally:
        db.close()


def test_funnel_better_or_worse_only_when_mature(golden_db):
    f = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)))
    stages = metrics.funnel_stages(golden_db, f)
    end = metrics.data_end(golden_db)
    mature = metrics.period_maturity(f, golden_db.agreement, end)
    # The data ends 9.5 days after March: mature only for MQL → SAL (2 days allowed).
    # Lead → SAL takes up to 30 + 2 days, → SQL 46, → opportunity 76, → won 166.
    assert mature == {
        "lead_to_mql": False, "mql_to_sal": True, "sal_to_sql": False, "sql_to_opportunity": False,
        "opportunity_to_won": False, "lead_to_sal": False, "lead_to_sql": False,
        "lead_to_opportunity": False, "lead_to_won": False,
    }  # fmt: skip
    groups = metrics.funnel_breakdown(golden_db, f, "source", None, stages, mature).set_index(
        "group_1"
    )
    # Paid social: 0 of 1 lead became an MQL. At k = 0 Wilson's upper bound is z²/(n + z²) =
    # 3.8415/4.8415 = 0.7935, below the overall 8/10.
    assert groups.loc["Paid social", "lead_to_mql_vs"] == ""  # immature: not compared
    assert groups.loc["Paid social", "lead_to_mql_high"] == pytest.approx(0.79345, abs=1e-5)
    compared = metrics.funnel_breakdown(
        golden_db, f, "source", None, stages, mature, compare_immature=True
    ).set_index("group_1")
    assert compared.loc["Paid social", "lead_to_mql_vs"] == "worse"
    # (unknown): 1 of 1, Wilson (0.207, 1) contains 0.8: not better.
    assert compared.loc["(unknown)", "lead_to_mql_vs"] == ""


DRILL = {"group_1": None, "group_2": None, "only_dropped": False, "limit": 100}


def test_funnel_drilldown_ties_and_limit(tmp_path, golden_agreement):
    # Five March leads, written out of order: LB and LA created at the same instant (ties go
    # by lead_id), LC the newest, LD handed over (moved on past "lead"), LE in February
    # (outside the period); LF, created 1 May, ends the data, so the March leads have had the
    # 30 days allowed for lead → MQL. Expected by hand: dropped first (newest first, then
    # lead_id), then LD; the count covers every lead that reached the stage, whatever the limit.
    with imported(
        tmp_path,
        golden_agreement,
        leads="lead_id,created_at,source,mql_at\n"
        "LB,2026-03-10 09:00,Web,\n"
        "LD,2026-03-05 09:00,Web,2026-03-06 09:00\n"
        "LC,2026-03-20 09:00,Web,\n"
        "LA,2026-03-10 09:00,Web,\n"
        "LE,2026-02-10 09:00,Web,\n"
        "LF,2026-05-01 09:00,Web,\n",
    ) as db:
        params = {**DRILL, "stage": "lead"}
        frame = q(db, "funnel_drilldown", columns=BY_SOURCE, **params)
        assert frame["lead_id"].tolist() == ["LC", "LA", "LB", "LD"]
        assert frame["outcome"].tolist() == ["dropped"] * 3 + ["moved on"]
        first = q(db, "funnel_drilldown", columns=BY_SOURCE, **{**params, "limit": 2})
        assert first["lead_id"].tolist() == ["LC", "LA"]
        assert first["n_total"].tolist() == [4, 4]
        assert first["n_dropped"].tolist() == [3, 3]  # LA, LB, LC; not LD


# ---- quantity vs quality ----------------------------------------------------------------------


def test_quality_metrics_derive_rates_and_costs(golden_db):
    frame = metrics.quality_by_group(golden_db, MARCH_FILTERS, "campaign").set_index("group_name")
    search = frame.loc["Search A"]
    assert search["sql_rate"] == 0.5  # 1 of 2 leads
    assert search["cost_per_lead_usd"] == 600.0
    assert search["cost_per_won_usd"] == 1200.0
    assert search["return_on_spend"] == pytest.approx(1000 / 1200)
    assert pd.isna(frame.loc["Expo", "cost_per_won_usd"])  # nothing won: no cost per win
    assert pd.isna(frame.loc["Podcast", "cost_per_lead_usd"])  # no leads
    assert pd.isna(frame.loc["Web 1", "cost_per_lead_usd"])  # no spend data


def test_score_auc_counts_ties_as_half(tmp_path, golden_agreement):
    folder = write_dataset(
        tmp_path / "ties",
        leads="lead_id,created_at,source,score,sql_at\n"
        "T1,2026-03-02,Web,50,2026-03-03\nT2,2026-03-02,Web,50,\n"
        "T3,2026-03-02,Web,40,\nT4,2026-03-02,Web,60,2026-03-04\nT5,2026-03-02,Web,,\n",
    )
    importer.import_dataset(folder, tmp_path / "ties.duckdb", golden_agreement)
    db = Database(tmp_path / "ties.duckdb", golden_agreement)
    f = Filters(period=resolve_period("ytd", dt.date(2026, 3, 31)))
    frame = metrics.run(db, "score_auc", f, score_by="crm").set_index("outcome")
    db.close()
    # SQL (50, 60) against (50, 40): 50-50 a tie (0.5), 50>40, 60>50, 60>40: 3.5 of 4.
    assert frame.loc["sql", "auc"] == pytest.approx(3.5 / 4)
    assert frame.loc["won", "auc"] is None or pd.isna(frame.loc["won", "auc"])  # nobody won


# ---- follow-up ---------------------------------------------------------------------------------

APRIL = Filters(
    period=resolve_period("custom", dt.date(2026, 4, 10), dt.date(2026, 4, 1), dt.date(2026, 4, 10))
)


def follow_up_summary(db, filters=MARCH_FILTERS):
    summary = metrics.follow_up_summary(db, filters)
    rows = {"current": summary["current"], "previous": summary["previous"]}
    columns = ["n_handed_over", "n_met", "n_breached", "n_pending", "n_invalid", "n_open_breaches",
               "n_not_followed_up", "median_hours", "p90_hours", "n_followed_up_late",
               "n_closed_without_follow_up"]  # fmt: skip
    return {p: tuple(row[c] for c in columns) for p, row in rows.items()}


def test_follow_up_summary(golden_db):
    rows = follow_up_summary(golden_db)
    # Handed over in March: L01 (1 h), L02 (2), L06 (3), L08 (0.5) met; L03 (5), L11 (5) late;
    # L14 never followed up, 215 h past the target and still active: an open breach; L07 invalid
    # (its first contact is dated before the hand-over). Median of 0.5, 1, 2, 3, 5, 5 = 2.5;
    # p90 = 5. Breached = 2 late + 1 open + 0 closed without follow-up.
    assert rows["current"] == (8, 4, 3, 0, 1, 1, 1, 2.5, 5.0, 2, 0)
    # Nothing handed over in February: no latency, zero counts.
    assert rows["previous"] == (0, 0, 0, 0, 0, 0, 0, None, None, 0, 0)


def test_follow_up_pending_versus_breached_at_the_data_end(golden_db):
    rows = follow_up_summary(golden_db, APRIL)
    # 1-10 April: L10 met (3 h); L04 waited 28 business hours (breached, open); L05 has waited
    # 2 of its 4 hours at the data's end: pending.
    assert rows["current"] == (3, 1, 1, 1, 0, 1, 2, 3.0, 3.0, 0, 0)


def test_follow_up_by_owner(golden_db):
    frame = metrics.follow_up_by_group(golden_db, MARCH_FILTERS, "owner")
    rows = {r.group_1: (r.n_handed_over, r.n_met, r.n_breached, r.n_invalid, r.n_not_followed_up,
                        r.n_open_breaches, r.median_hours)
            for r in frame.itertuples()}  # fmt: skip
    # Latency medians of the leads followed up (test_follow_up_summary's hours): Ana 1 and 2 h;
    # Cara 3 h (L14 never); Dan 0.5 h (L07 invalid, left out); Ben 5 h; (unassigned) 5 h.
    assert rows == {
        "Ana": (2, 2, 0, 0, 0, 0, 1.5),  # L01, L02
        "Cara": (2, 1, 1, 0, 1, 1, 3.0),  # L06 met, L14 never followed up: the open breach
        "Dan": (2, 1, 0, 1, 0, 0, 0.5),  # L08 met, L07 invalid
        "Ben": (1, 0, 1, 0, 0, 0, 5.0),  # L03
        "(unassigned)": (1, 0, 1, 0, 0, 0, 5.0),  # L11
    }
    # Most hand-overs first, ties by name.
    assert frame["group_1"].tolist() == ["Ana", "Cara", "Dan", "(unassigned)", "Ben"]
    assert frame.loc[frame["group_1"] == "Ana", "within_sla_rate"].iloc[0] == 1.0


def test_follow_up_trend_by_week_and_month(golden_db):
    weeks = metrics.follow_up_trend(golden_db, MARCH_FILTERS, "week")
    rows = {r["start"]: (r["n_handed_over"], r["n_met"], r["n_breached"]) for r in weeks}
    # Weeks from Monday, over the 12 months up to March 2026: the first Monday on or after 1
    # April 2025 is the 7th; the last week, from 30 March, ends with the period (1 April).
    assert weeks[0]["start"] == "2025-04-07"
    assert (weeks[-1]["start"], len(weeks)) == ("2026-03-30", 52)
    # 2 March: L01 L02 L06 (met) L14 (breached); 9 March L07 (invalid); 16 March L08; 23 March
    # L03 (late); 30 March L11 (late). Every other week: nothing handed over.
    assert {k: v for k, v in rows.items() if v != (0, 0, 0)} == {
        "2026-03-02": (4, 3, 1), "2026-03-09": (1, 0, 0), "2026-03-16": (1, 1, 0),
        "2026-03-23": (1, 0, 1), "2026-03-30": (1, 0, 1),
    }  # fmt: skip
    months = metrics.follow_up_trend(golden_db, MARCH_FILTERS, "month")
    assert [m["start"] for m in months][::11] == ["2025-04-01", "2026-03-01"]
    last = months[-1]
    assert (last["n_handed_over"], last["n_met"], last["n_breached"], last["median_hours"]) == (
        8, 4, 3, 2.5,
    )  # fmt: skip
    # A month with nothing to judge has no rate, not 0%.
    assert months[0]["within_sla_rate"] is None


# ---- discards and dispositions ------------------------------------------------------------------


def test_discard_metrics_against_the_agreement(golden_db):
    summary = metrics.discard_summary(golden_db, MARCH_FILTERS)
    now = summary["current"]
    # 5 of 8 accepted: 62.5%, under the 70% floor; 2 of 8 discarded: 25%, at the 25% ceiling.
    assert (now["acceptance_rate"], now["acceptance_met"]) == (0.625, False)
    assert (now["discard_rate"], now["discard_met"]) == (0.25, True)
    # February's cohort: L14, an MQL nobody accepted or called.
    assert (summary["previous"]["n_mql"], summary["previous"]["n_slipping"]) == (1, 1)


def discard_fixture(tmp_path, agreement):
    """Six leads for the cases the golden fixture lacks: MQLs discarded without a reason, a lead
    won with every other stage missing, and a recycled lead still in nurture."""
    folder = write_dataset(
        tmp_path / "discards",
        leads="lead_id,created_at,source,mql_at,sal_at,won_at,discarded_at,discard_reason,recycled_at,amount\n"
        "D1,2026-03-02,Web,2026-03-02,,,2026-03-03,,,\n"
        "D2,2026-03-02,Web,2026-03-02,,,2026-03-04,,,\n"
        "D3,2026-03-02,Fair,2026-03-02,,,2026-03-05,No budget,,\n"
        "D4,2026-03-02,Fair,,,2026-03-20,,,,900\n"
        "D5,2026-03-02,Fair,2026-03-02,,,,,2026-03-06,\n"
        "D6,2026-03-31,Web,2026-03-31,2026-03-31,,,,,\n",
    )
    importer.import_dataset(folder, tmp_path / "d.duckdb", agreement)
    return Database(tmp_path / "d.duckdb", agreement)


def test_discards_without_reason_and_a_lead_won_with_no_other_stage(tmp_path, golden_agreement):
    db = discard_fixture(tmp_path, golden_agreement)
    f = Filters(period=resolve_period("ytd", dt.date(2026, 3, 31)))
    reasons = metrics.run(db, "discard_reasons", f, columns=BY_SOURCE, group=None)
    # D1 and D2 have no reason: the process gap is two thirds of the discards.
    assert reasons.values.tolist() == [
        ["(no reason given)", 2, 2 / 3, 2 / 3], ["No budget", 1, 1 / 3, 1.0],
    ]  # fmt: skip
    accounts = metrics.run(db, "dispositions", f, columns=BY_SOURCE)
    counts = dict(zip(accounts["account"], accounts["n_leads"], strict=True))
    # D4 reached MQL through its win alone; D5 is in nurture; D6 was accepted on the last day.
    assert (counts["won"], counts["discarded"], counts["recycled"], counts["active: sal"]) == (
        1,
        3,
        1,
        1,
    )
    assert accounts["n_leads"].sum() == 6
    # D5, recycled and still in nurture, is the one recycling row: the same lead, the same count.
    recycling = metrics.run(db, "recycling", f, columns=BY_SOURCE).set_index("outcome")
    assert recycling["n_leads"].to_dict() == {
        "still in nurture": 1, "back with sales": 0, "won": 0, "lost": 0, "discarded": 0,
    }  # fmt: skip
    # In nurture from 6 March 00:00 to the data's end (31 March 00:00, D6's dates): 25 days on
    # the wall clock, less the hour the clocks skip on 29 March.
    assert recycling.loc["still in nurture", "median_days_in_nurture"] == pytest.approx(25 - 1 / 24)
    db.close()


# ---- the scorecard's commitments ----------------------------------------------------------------


def test_commitment_trends_are_the_headline_month_by_month(golden_db):
    # The acceptance and discard lines count as the view's headline does (the creation cohort
    # here); the follow-up and volume lines by month of hand-over, as their headlines do.
    discards = metrics.discard_trend(golden_db, MARCH_FILTERS)
    follow = metrics.follow_up_trend(golden_db, MARCH_FILTERS)
    assert [r["start"] for r in discards] == [r["start"] for r in follow]
    assert len(discards) == 12
    by_month = {r["start"]: (r["n_mql"], r["n_accepted"], r["n_discarded"]) for r in discards}
    # March's creation cohort: 8 MQLs, 5 accepted, 2 discarded (test_discard_summary); February's
    # is L14 alone; every other month is empty.
    assert {m: v for m, v in by_month.items() if v != (0, 0, 0)} == {
        "2026-02-01": (1, 0, 0), "2026-03-01": (8, 5, 2),
    }  # fmt: skip
    handed = {r["start"]: (r["n_handed_over"], r["n_met"], r["n_breached"]) for r in follow}
    # Handed over in March: the 8 of test_follow_up_summary; L14's hand-over is 2 March.
    assert {m: v for m, v in handed.items() if v != (0, 0, 0)} == {"2026-03-01": (8, 4, 3)}
    # The hand-over cohort counts March's acceptance over the same 8 hand-overs: L01, L06, L07,
    # L08 and L11 accepted; L03 and L11 discarded.
    handover = Filters(period=MARCH_FILTERS.period, view="handover")
    last = metrics.discard_trend(golden_db, handover)[-1]
    assert (last["n_mql"], last["n_accepted"], last["n_discarded"]) == (8, 5, 2)


def test_hand_overs_by_source(golden_db):
    # The per-source counts of follow_up_summary (tests/golden/follow_up_summary.toml: Referral
    # handed over L07 and L08 in March, nothing in February), as hand_overs gives them to the
    # scorecard: the period, the one before and the trend.
    by_source = metrics.hand_overs(golden_db, MARCH_FILTERS)["by_source"]
    assert (by_source["Referral"]["current"], by_source["Referral"]["previous"]) == (2, 0)
    assert by_source["Referral"]["trend"][-1] == 2  # March, the trend's last month


def test_discards_without_reason(tmp_path, golden_agreement):
    # D1: an MQL discarded without a reason; D2: discarded with one; D3: discarded without a
    # reason but never an MQL (not in the MQL cohort); D4: an MQL discarded without a reason,
    # later won (it still counts: it was discarded at some point).
    with imported(
        tmp_path,
        golden_agreement,
        leads="lead_id,created_at,source,mql_at,discarded_at,discard_reason,won_at\n"
        "D1,2026-03-02,Web,2026-03-02 10:00,2026-03-05,,\n"
        "D2,2026-03-02,Web,2026-03-02 10:00,2026-03-06,Duplicate,\n"
        "D3,2026-03-02,Web,,2026-03-07,,\n"
        "D4,2026-03-03,Fair,2026-03-03 10:00,2026-03-04,,2026-03-20\n",
    ) as db:
        frame = metrics.run(
            db,
            "discarded_leads",
            Filters(period=MARCH),
            reason=metrics.NO_REASON,
            group=None,
            limit=10,
        )
    assert frame[["lead_id", "source", "account", "n_total"]].values.tolist() == [
        ["D1", "Web", "discarded", 2],  # latest discard first
        ["D4", "Fair", "won", 2],
    ]
