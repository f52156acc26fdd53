"""Golden tests of every query in queries/ on the hand-checkable fixture.

The fixture's data ends on Friday 10 April 2026, so "last full month" is March 2026 and the
previous period February 2026. Expected counts were worked out by hand from
tests/fixtures/golden/leads.csv (see its README for what each lead exercises).
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


def scorecard(db, **filters):
    f = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)), **filters)
    current, previous = metrics.compare(db, "scorecard", f)
    handed_over = metrics.hand_overs(db, f)["current"]
    columns = ["n_leads", "n_mql", "n_sal", "n_sql", "n_opportunity", "n_won", "won_amount_usd"]
    return (
        tuple(int(current[c]) for c in columns),
        tuple(int(previous[c]) for c in columns),
        handed_over["n_handed_over"],
    )


def test_scorecard_cohort_by_creation(golden_db):
    current, previous, handed_over = scorecard(golden_db)
    # Created in March (Berlin): L01 L02 L03 L06 L07 L08 L09 L10 L11 and L13 (00:30 on 1 March).
    # Reached MQL: all but L09 and L13 = 8. SAL: L01, L06 (via SQL), L07, L08 (via deal),
    # L11 (via won) = 5. SQL: L01 L06 L08 L11 = 4. Opportunity: L01 L08 L11 = 3. Won: the same 3,
    # revenue 1,000 + 5,000 + 700.
    assert current == (10, 8, 5, 4, 3, 3, 6700)
    # February: only L14 (23:30 on 28 February, Berlin), an MQL that went no further.
    assert previous == (1, 1, 0, 0, 0, 0, 0)
    # Handed over in March: L01 L02 L03 L06 L07 L08 L11 L14 (L10's hand-over is in April).
    assert handed_over == 8


def test_scorecard_cohort_by_handover(golden_db):
    current, previous, _ = scorecard(golden_db, view="handover")
    # The 8 hand-overs of March and how far they got: SAL L01 L06 L07 L08 L11; SQL L01 L06 L08
    # L11; opportunity and won L01 L08 L11.
    assert current == (8, 8, 5, 4, 3, 3, 6700)
    assert previous == (0, 0, 0, 0, 0, 0, 0)


def test_scorecard_flow_differs_from_cohort(golden_db):
    current, previous, _ = scorecard(golden_db, view="flow")
    # Entries in March: MQL 8 (as above); SAL L01 (3rd), L06 (12th), L07 (10th), L08 (20th) —
    # L11's is 9 April; SQL L01 L06 L08; opportunity L01 L08; won only L08 (30 March, 5,000):
    # L01 was won on 1 April.
    assert current == (10, 8, 4, 3, 2, 1, 5000)
    # February: L14 was created, nothing else happened.
    assert previous == (1, 0, 0, 0, 0, 0, 0)


def test_scorecard_scoped_by_source(golden_db):
    current, _, handed_over = scorecard(golden_db, sources=("Paid search",))
    # L01 (the whole funnel, won 1,000) and L02 (MQL by score).
    assert current == (2, 2, 1, 1, 1, 1, 1000)
    assert handed_over == 2


def test_scorecard_scoped_by_attribute_and_owner(golden_db):
    current, _, _ = scorecard(golden_db, attributes=(("region", ("NA",)),))
    # NA leads created in March: L03, L07, L08. SAL: L07, L08. SQL, opportunity, won: L08.
    assert current == (3, 3, 2, 1, 1, 1, 5000)
    current, _, _ = scorecard(golden_db, owners=("Ana",), attributes=(("region", ("EMEA", "NA")),))
    # Ana's leads created in March: L01 L02 L09 L10 (all EMEA). MQL: L01 L02 L10.
    assert current == (4, 3, 1, 1, 1, 1, 1000)


def test_scorecard_blank_labels_are_filterable(golden_db):
    current, _, _ = scorecard(golden_db, sources=("(unknown)",), teams=("(no team)",))
    assert current == (1, 1, 1, 1, 1, 1, 700)  # L11


def test_scorecard_empty_selection(golden_db):
    current, previous, handed_over = scorecard(golden_db, campaigns=("No such campaign",))
    assert current == (0, 0, 0, 0, 0, 0, 0)
    assert previous == (0, 0, 0, 0, 0, 0, 0)
    assert handed_over == 0


def test_scorecard_empty_period(golden_db):
    f = Filters(
        period=resolve_period(
            "custom", dt.date(2026, 4, 10), dt.date(2025, 1, 1), dt.date(2025, 1, 31)
        )
    )
    frame = metrics.run(golden_db, "scorecard", f, periods=[f.period, f.period.previous()])
    assert frame["n_leads"].tolist() == [0, 0]
    assert frame["won_amount_usd"].tolist() == [0, 0]


def test_filter_options(golden_db):
    frame = golden_db.run("filter_options")
    by_dim = {
        dim: dict(zip(group["value"], group["n_leads"], strict=True))
        for dim, group in frame.groupby("dimension")
    }
    assert by_dim["source"] == {
        "Paid search": 2, "Trade show": 2, "Webinar": 2, "Referral": 2, "Email": 2,
        "Paid social": 2, "Partner": 1, "(unknown)": 1,
    }  # fmt: skip
    assert by_dim["team"] == {"East": 8, "West": 5, "(no team)": 1}
    assert by_dim["owner"]["(unassigned)"] == 1
    assert by_dim["campaign"]["(no campaign)"] == 3  # L07, L08, L11


def test_attribute_options(golden_db):
    rows = golden_db.run("attribute_options").values.tolist()
    # L11 has no region: it has no attribute row.
    assert rows == [["region", "EMEA", 8], ["region", "NA", 5]]


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


def test_dataset_import(golden_db):
    row = golden_db.run("dataset_import").iloc[0]
    assert row["agreement_time_zone"] == "Europe/Berlin"
    # The data ends at L12's creation: 10 April 2026 12:00 in Berlin, 10:00 UTC.
    assert row["data_end_at"].to_pydatetime() == dt.datetime(2026, 4, 10, 10, 0, tzinfo=dt.UTC)


def test_dataset_tables(golden_db):
    frame = golden_db.run("dataset_tables").set_index("table_name")
    counts = {t: tuple(frame.loc[t, ["n_read", "n_accepted", "n_rejected"]]) for t in frame.index}
    assert counts == {
        "leads": (14, 14, 0),
        "touches": (3, 3, 0),
        "activities": (11, 10, 1),  # LX9 is an orphan
        "deals": (3, 3, 0),
        "spend": (4, 4, 0),  # Podcast: spend without leads
    }
    assert list(frame.loc["leads", "extra_columns"]) == ["region"]
    assert frame.loc["spend", "first_at"].date() == dt.date(2026, 2, 1)


def test_rejects_by_reason_and_rejected_rows(golden_db):
    reasons = golden_db.run("rejects_by_reason")
    assert reasons[["table_name", "column_name", "n_rows", "first_line"]].values.tolist() == [
        ["activities", "lead_id", 1, 11]
    ]
    assert reasons["reason"].iloc[0] == "lead_id: lead_id … is not an accepted lead (orphan)"
    rows = golden_db.run("rejected_rows", {"limit": 10})
    assert rows[["file_name", "line"]].values.tolist() == [["activities.csv", 11]]
    assert '"lead_id":"LX9"' in rows["record"].iloc[0]


def test_data_quality_query_orders_warnings_first(golden_db):
    frame = golden_db.run("data_quality")
    assert frame["severity"].tolist() == ["warning"] * 6 + ["note"] * 4


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


def stage_counts(db, **kw):
    frame = q(db, "funnel_stages", **kw)
    return dict(zip(frame["stage"], frame["n_leads"], strict=True))


def test_funnel_stages_any_order(golden_db):
    frame = q(golden_db, "funnel_stages")
    assert frame["n_leads"].tolist() == [10, 8, 5, 4, 3, 3]  # as the scorecard
    assert frame["n_previous_stage"].tolist()[1:] == [10, 8, 5, 4, 3]
    assert frame["n_first_stage"].tolist() == [10] * 6


def test_funnel_stages_strict_order(golden_db):
    # Strict: every stage date up to the stage present and in order. Of March's cohort only L01
    # has SAL, SQL, opportunity and won dated in order (L06 has no SAL date, L07's SAL is before
    # its MQL, L08 and L11 skip stages). MQL counts L01 L02 L03 L06 L07 L08 L10 L11 (the score
    # rule dates L02 and L08's MQL at creation, which is in order).
    assert stage_counts(golden_db, strict=True) == {
        "lead": 10, "mql": 8, "sal": 1, "sql": 1, "opportunity": 1, "won": 1,
    }  # fmt: skip


def test_funnel_stages_flow_strict(golden_db):
    # Strict MQL dates in March: L01 L02 L03 L06 L07 (its own MQL date, 11 March) L08 L11 L14;
    # strict SAL, SQL and opportunity dates in March: L01 only; L01 was won in April.
    assert stage_counts(golden_db, view="flow", strict=True) == {
        "lead": 10, "mql": 8, "sal": 1, "sql": 1, "opportunity": 1, "won": 0,
    }  # fmt: skip


def test_funnel_stages_handover_cohort_starts_at_mql(golden_db):
    frame = q(golden_db, "funnel_stages", view="handover")
    assert frame["stage"].tolist() == ["mql", "sal", "sql", "opportunity", "won"]
    assert frame["n_leads"].tolist() == [8, 5, 4, 3, 3]
    assert frame["n_first_stage"].tolist() == [8] * 5


def test_funnel_stages_empty_period(golden_db):
    f = Filters(
        period=resolve_period(
            "custom", dt.date(2026, 4, 10), dt.date(2025, 6, 1), dt.date(2025, 6, 30)
        )
    )
    frame = metrics.run(golden_db, "funnel_stages", f)
    assert frame["n_leads"].tolist() == [0] * 6


def test_funnel_breakdown_by_source(golden_db):
    frame = q(golden_db, "funnel_breakdown", columns=BY_SOURCE)
    rows = {
        r.group_1: (r.n_lead, r.n_mql, r.n_sal, r.n_sql, r.n_opportunity, r.n_won, r.won_amount_usd)
        for r in frame.itertuples()
    }
    assert list(rows) == [
        "Paid search",
        "Referral",
        "Email",
        "(unknown)",
        "Trade show",
        "Webinar",
        "Paid social",
    ]  # fmt: skip  (most leads first, then most MQLs, then by name)
    assert rows == {
        "Paid search": (2, 2, 1, 1, 1, 1, 1000),  # L01 all the way, L02 MQL only
        "Referral": (2, 2, 2, 1, 1, 1, 5000),  # L07 to SAL, L08 won by its deal
        "Email": (2, 1, 0, 0, 0, 0, 0),  # L09 never MQL, L10 MQL
        "(unknown)": (1, 1, 1, 1, 1, 1, 700),  # L11, won without the stages between
        "Trade show": (1, 1, 0, 0, 0, 0, 0),  # L03
        "Webinar": (1, 1, 1, 1, 0, 0, 0),  # L06: SQL implies SAL
        "Paid social": (1, 0, 0, 0, 0, 0, 0),  # L13, a March lead in Berlin
    }


def test_funnel_breakdown_two_ways_and_by_attribute(golden_db):
    frame = q(golden_db, "funnel_breakdown", columns={"group_1": "team", "group_2": "region"})
    rows = {(r.group_1, r.group_2): (r.n_lead, r.n_won) for r in frame.itertuples()}
    # East × EMEA: L01 L02 L06 L09 L10 L13; West × NA: L03 L07 L08; L11 has no team or region.
    assert rows == {
        ("East", "EMEA"): (6, 1),
        ("West", "NA"): (3, 1),
        ("(no team)", "(blank)"): (1, 1),
    }
    frame = q(golden_db, "funnel_breakdown", columns={"group_1": "region"})
    assert dict(zip(frame["group_1"], frame["n_lead"], strict=True)) == {
        "EMEA": 6,
        "NA": 3,
        "(blank)": 1,
    }


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


STEPS = ("lead_to_mql", "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_won")


def trend_rows(db, within=None):
    # Two months up to March's end: February and March, one query per step.
    out = {}
    for step in STEPS:
        frame = metrics.run(
            db, "funnel_trend", MARCH_FILTERS, trend_months=2, within_days=within, step=step,
            columns=BY_SOURCE,
        )  # fmt: skip
        assert frame["step"].unique().tolist() == [step]
        for r in frame[frame["group_1"].isna()].itertuples():
            out[(r.cohort_month.month, step)] = (r.n_from, r.n_to, bool(r.is_mature))
    return out


def test_funnel_trend_and_maturity(golden_db):
    rows = trend_rows(golden_db)
    # February's cohort is L14 alone; the data ends 40.5 days after February: mature for every
    # step but opportunity → won (90 days).
    assert rows[(2, "lead_to_mql")] == (1, 1, True)
    assert rows[(2, "mql_to_sal")] == (1, 0, True)
    assert rows[(2, "opportunity_to_won")] == (0, 0, False)
    # March: 9.5 days old, mature only for MQL → SAL.
    assert rows[(3, "lead_to_mql")] == (10, 8, False)
    assert rows[(3, "mql_to_sal")] == (8, 5, True)
    assert rows[(3, "sal_to_sql")] == (5, 4, False)
    assert rows[(3, "sql_to_opportunity")] == (4, 3, False)
    assert rows[(3, "opportunity_to_won")] == (3, 3, False)
    assert not any(month == 4 for month, _ in rows)  # the trend ends with the period


def test_funnel_trend_of_the_whole_way(golden_db):
    frame = metrics.run(
        golden_db, "funnel_trend", MARCH_FILTERS, trend_months=1, within_days=None,
        step="lead_to_won", columns=BY_SOURCE,
    )  # fmt: skip
    march = frame[frame["group_1"].isna()].iloc[0]
    # March's 10 leads, 3 won (L01, L08, L11); lead → won is allowed 30 + 2 + 14 + 30 + 90 days.
    assert (march["n_from"], march["n_to"], march["limit_days"], bool(march["is_mature"])) == (
        10, 3, 166.0, False,
    )  # fmt: skip


def test_funnel_trend_within_n_days(golden_db):
    rows = trend_rows(golden_db, within=1)
    # Within a day of creation: all March MQLs but L10 (19 days): 7 of 10.
    assert rows[(3, "lead_to_mql")] == (10, 7, True)
    # Within a day of the MQL: L01 (exactly one day) and L07 (SAL at its hand-over): 2 of 8.
    assert rows[(3, "mql_to_sal")] == (8, 2, True)


def test_funnel_trend_per_group_with_one_lead(golden_db):
    frame = metrics.run(
        golden_db,
        "funnel_trend",
        MARCH_FILTERS,
        trend_months=1,
        within_days=None,
        step="sal_to_sql",
        columns=BY_SOURCE,
    )
    webinar = frame[frame["group_1"] == "Webinar"]
    assert webinar[["n_from", "n_to"]].values.tolist() == [[1, 1]]  # L06 alone


def test_stage_velocity(golden_db):
    frame = q(golden_db, "stage_velocity", columns=BY_SOURCE)
    assert frame["step"].tolist()[:1] == ["lead_to_mql"]
    overall = frame[frame["group_1"].isna()].set_index("step")
    # Lead → MQL on the leads' own dates, March cohort: 0 (L02, L03, L08, L11: MQL at creation),
    # 0.5 h (L06), 1 h (L01), 1 day (L07), 19 days less the DST hour (L10). Quantiles
    # interpolate between the sorted values.
    row = overall.loc["lead_to_mql"]
    assert row["n_leads"] == 8
    assert row["p25_days"] == 0
    assert row["median_days"] == pytest.approx(0.5 / 48)  # halfway between 0 and 0.5 h
    assert row["p75_days"] == pytest.approx(1 / 24 + 0.25 * (1 - 1 / 24))
    assert row["p90_days"] == pytest.approx(1 + 0.3 * (19 - 1 / 24 - 1))
    # MQL → SAL: only L01 (1 day); L07's SAL date is before its MQL date and is left out.
    assert (overall.loc["mql_to_sal", "n_leads"], overall.loc["mql_to_sal", "median_days"]) == (
        1,
        1.0,
    )
    # Opportunity → won: L01 17 days and 1 hour (across the DST change), L08 exactly 10 days.
    assert overall.loc["opportunity_to_won", "n_leads"] == 2
    assert overall.loc["opportunity_to_won", "median_days"] == pytest.approx((17 + 1 / 24 + 10) / 2)


def test_stage_velocity_histogram(golden_db):
    frame = q(
        golden_db, "stage_velocity_histogram", group=None, step="lead_to_mql", columns=BY_SOURCE
    )
    # Every bin, even empty. Lead → MQL in March's cohort: six under a day (0 four times, half
    # an hour, an hour), L07's day, L10's 19 days.
    assert len(frame) == 8
    assert frame["n_leads"].tolist() == [6, 1, 0, 0, 1, 0, 0, 0]
    referral = q(
        golden_db,
        "stage_velocity_histogram",
        group="Referral",
        step="lead_to_mql",
        columns=BY_SOURCE,
    )
    # Referral's March leads: L07 (1 day: the 1-3 days bin) and L08 (0).
    assert referral["n_leads"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    won = q(
        golden_db,
        "stage_velocity_histogram",
        group=None,
        step="opportunity_to_won",
        columns=BY_SOURCE,
    )
    assert won["n_leads"].tolist() == [0, 0, 0, 1, 1, 0, 0, 0]  # L08 10 days, L01 17 days


def velocity_trend(db, filters, step):
    frame = metrics.run(
        db,
        "stage_velocity_trend",
        filters,
        trend_months=3,
        columns=BY_SOURCE,
        group=None,
        step=step,
    )
    return {r.month.month: (r.n_leads, r.median_days, r.is_mature) for r in frame.itertuples()}


def test_stage_velocity_trend_by_cohort(golden_db):
    lead_to_mql = velocity_trend(golden_db, MARCH_FILTERS, "lead_to_mql")
    # February's cohort is L14: created 28 Feb 23:30, MQL 2 March 09:00: 1 day 9.5 hours;
    # February is 40.5 days old at the data's end, past the 30 days allowed.
    assert lead_to_mql[2] == (1, pytest.approx(1 + 9.5 / 24), True)
    # March's cohort: as in test_stage_velocity; only MQL → SAL (2 days allowed) is mature.
    assert lead_to_mql[3] == (8, pytest.approx(0.5 / 48), False)
    assert velocity_trend(golden_db, MARCH_FILTERS, "mql_to_sal") == {3: (1, 1.0, True)}
    assert velocity_trend(golden_db, MARCH_FILTERS, "opportunity_to_won") == {
        3: (2, pytest.approx((17 + 1 / 24 + 10) / 2), False)
    }


def test_stage_velocity_trend_by_completion_in_flow_view(golden_db):
    flow = Filters(period=MARCH_FILTERS.period, view="flow")
    # MQLs dated in March: L01 L02 L03 L06 L07 L08 L11 and L14 (1.40 days); the median is
    # halfway between 0 and L06's half hour.
    assert velocity_trend(golden_db, flow, "lead_to_mql") == {3: (8, pytest.approx(0.5 / 48), True)}
    # Won in March: only L08, 10 days after its opportunity (L01 was won on 1 April).
    assert velocity_trend(golden_db, flow, "opportunity_to_won") == {3: (1, 10.0, True)}


DRILL = {"group_1": None, "group_2": None, "only_dropped": False, "limit": 100}


def test_funnel_drilldown(golden_db):
    params = {**DRILL, "stage": "mql"}
    frame = q(golden_db, "funnel_drilldown", columns=BY_SOURCE, **params)
    # March's 8 MQLs; dropped = no SAL by the data's end though the 2 days allowed for MQL → SAL
    # have passed: L03 (MQL 27 March), L10 (8 April 10:00, 2 days 2 hours before the end), L02
    # (newest first), then those who moved on.
    assert frame["lead_id"].tolist() == ["L03", "L10", "L02", "L11", "L08", "L07", "L06", "L01"]
    assert frame["outcome"].tolist() == ["dropped"] * 3 + ["moved on"] * 5
    assert frame["n_total"].unique().tolist() == [8]
    assert frame["n_dropped"].unique().tolist() == [3]
    assert frame["n_too_early"].unique().tolist() == [0]
    # Furthest stages by key (the page shows the agreement's labels): L03 and L10 never got past
    # MQL; L11 was won.
    assert frame["furthest_stage"].tolist()[:4] == ["mql", "mql", "mql", "won"]
    dropped = q(
        golden_db,
        "funnel_drilldown",
        columns=BY_SOURCE,
        **{**params, "only_dropped": True, "limit": 2},
    )
    assert dropped["lead_id"].tolist() == ["L03", "L10"]
    assert dropped["n_total"].iloc[0] == 3  # the full count, though only 2 are returned
    one = q(
        golden_db,
        "funnel_drilldown",
        columns=BY_SOURCE,
        **{**params, "group_1": "Webinar", "stage": "sql"},
    )
    assert one["lead_id"].tolist() == ["L06"]
    assert one["disposition"].tolist() == ["lost"]


def test_funnel_drilldown_says_too_early_before_the_step_s_time_has_passed(golden_db):
    april = resolve_period(
        "custom", dt.date(2026, 4, 10), dt.date(2026, 4, 1), dt.date(2026, 4, 10)
    )
    frame = q(golden_db, "funnel_drilldown", period=april, columns=BY_SOURCE, **DRILL, stage="mql")
    # April's MQLs (created in April): L04, handed over 2 April 16:00, nearly 8 days before the
    # data's end and never accepted: dropped; L05, handed over at 10:00 on the data's last day,
    # two hours before its end: too early to say (2 days are allowed for MQL → SAL).
    assert frame[["lead_id", "outcome"]].values.tolist() == [
        ["L04", "dropped"], ["L05", "too early to say"],
    ]  # fmt: skip
    assert frame[["n_total", "n_dropped", "n_too_early"]].iloc[0].tolist() == [2, 1, 1]
    won = q(golden_db, "funnel_drilldown", columns=BY_SOURCE, **DRILL, stage="won")
    # A lead at won has no next stage: L11, L08, L01 (newest first) are "won", not "moved on".
    assert won[["lead_id", "outcome"]].values.tolist() == [
        ["L11", "won"], ["L08", "won"], ["L01", "won"],
    ]  # fmt: skip


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


def quality_rows(db, by, filters=MARCH_FILTERS):
    frame = metrics.run(db, "quality_by_group", filters, columns={"group_1": by})
    return {
        r.group_name: (r.n_lead, r.n_mql, r.n_sal, r.n_sql, r.n_won, r.won_amount_usd,
                       None if pd.isna(r.median_days_to_win) else round(r.median_days_to_win, 4),
                       None if pd.isna(r.cost_usd) else round(r.cost_usd, 2))
        for r in frame.itertuples()
    }  # fmt: skip


def test_quality_by_campaign(golden_db):
    rows = quality_rows(golden_db, "campaign")
    # Order: most leads first. Campaigns with no spend have no cost (None), not 0; Podcast spent
    # 500 in March and brought no lead; Social 1 and (no campaign) have no spend row.
    assert list(rows) == [
        "(no campaign)", "Newsletter", "Search A", "Expo", "Social 1", "Web 1", "Podcast",
    ]  # fmt: skip
    # (no campaign): L07, L08, L11. Won: L08 (5,000, 14 days from creation: the DST hour and
    # the extra hour cancel) and L11 (700, 9 days): median 11.5.
    assert rows["(no campaign)"] == (3, 3, 3, 2, 2, 5700, 11.5, None)
    # Search A: L01 (won 1,000 after 30 days and 2 hours) and L02; March's spend only.
    assert rows["Search A"] == (2, 2, 1, 1, 1, 1000, round(30 + 2 / 24, 4), 1200.0)
    assert rows["Expo"] == (1, 1, 0, 0, 0, 0, None, 3500.0)  # L03, spend "$3.5K"
    assert rows["Social 1"] == (1, 0, 0, 0, 0, 0, None, None)  # L13 alone: a one-lead campaign
    assert rows["Podcast"] == (0, 0, 0, 0, 0, 0, None, 500.0)


def test_quality_by_source(golden_db):
    rows = quality_rows(golden_db, "source")
    costs = {name: row[-1] for name, row in rows.items()}
    # Podcast's spend row names its source, Paid social, so it counts there.
    assert costs == {
        "Email": None, "Paid search": 1200.0, "Referral": None, "(unknown)": None,
        "Paid social": 500.0, "Trade show": 3500.0, "Webinar": None,
    }  # fmt: skip


def test_quality_spend_is_prorated_and_dropped_for_unattributable_filters(golden_db):
    first_half = Filters(
        period=resolve_period(
            "custom", dt.date(2026, 4, 10), dt.date(2026, 3, 1), dt.date(2026, 3, 15)
        )
    )
    rows = quality_rows(golden_db, "campaign", first_half)
    # 15 of March's 31 days.
    assert rows["Search A"][-1] == round(1200 * 15 / 31, 2)
    assert rows["Expo"][-1] == round(3500 * 15 / 31, 2)
    by_owner = Filters(period=MARCH_FILTERS.period, owners=("Ana",))
    assert {row[-1] for row in quality_rows(golden_db, "campaign", by_owner).values()} == {None}


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


def test_quality_trend(golden_db):
    frame = metrics.run(
        golden_db, "quality_trend", MARCH_FILTERS, trend_months=2, columns={"group_1": "source"}
    )
    overall = {
        r.cohort_month.month: (r.n_lead, r.n_mql, r.n_sql, r.n_won, r.won_amount_usd,
                               r.is_mature_mql, r.is_mature_sql, r.is_mature_won)
        for r in frame[frame["group_1"].isna()].itertuples()
    }  # fmt: skip
    # February (L14), 40.5 days old: mature for MQL (30 days), not SQL (30 + 2 + 14 = 46).
    assert overall[2] == (1, 1, 0, 0, 0, True, False, False)
    assert overall[3] == (10, 8, 4, 3, 6700, False, False, False)


def test_score_bands_from_the_agreement(golden_db):
    frame = q(golden_db, "score_bands", band_starts=[0.0, 25.0, 50.0, 75.0])
    rows = [(r.band, r.n_leads, r.n_sql, r.n_won) for r in frame.itertuples()]
    # March's scored leads: L13 10, L09 20 | L03 30 | L01 50 (SQL, won), L06 60 (SQL) |
    # L02 90, L08 95 (SQL, won); no score: L07, L10, L11 (SQL, won).
    assert rows == [
        ("0–25", 2, 0, 0), ("25–50", 1, 0, 0), ("50–75", 2, 2, 1), ("75 and above", 2, 1, 1),
        ("(no score)", 3, 1, 1),
    ]  # fmt: skip


def test_score_bands_by_decile_keep_ties_together(golden_db):
    feb_mar = Filters(
        period=resolve_period(
            "custom", dt.date(2026, 4, 10), dt.date(2026, 2, 1), dt.date(2026, 3, 31)
        )
    )
    frame = metrics.run(golden_db, "score_bands", feb_mar, band_starts=None)
    # Eight scored leads with seven distinct scores (L13 and L14 both score 10): at most seven
    # bands, the tie in one, every scored lead in exactly one band.
    scored = frame[frame["band"] != "(no score)"]
    assert scored["n_leads"].sum() == 8
    assert scored.loc[scored["min_score"] == 10, "n_leads"].tolist() == [2]
    assert (scored["min_score"] == scored["max_score"]).all()


def test_score_auc(golden_db):
    frame = q(golden_db, "score_auc").set_index("outcome")
    # SQL: converted 50, 60, 95 against 90, 30, 20, 10: 10 of 12 pairs ranked right.
    assert (frame.loc["sql", "n_converted"], frame.loc["sql", "n_not_converted"]) == (3, 4)
    assert frame.loc["sql", "auc"] == pytest.approx(10 / 12)
    # Won: 50 and 95 against 90, 60, 30, 20, 10: 8 of 10 pairs.
    assert frame.loc["won", "auc"] == pytest.approx(8 / 10)


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
    frame = metrics.run(db, "score_auc", f).set_index("outcome")
    db.close()
    # SQL (50, 60) against (50, 40): 50-50 a tie (0.5), 50>40, 60>50, 60>40: 3.5 of 4.
    assert frame.loc["sql", "auc"] == pytest.approx(3.5 / 4)
    assert frame.loc["won", "auc"] is None or pd.isna(frame.loc["won", "auc"])  # nobody won


def test_score_thresholds(golden_db):
    frame = q(golden_db, "score_thresholds")
    assert frame.values.tolist() == [
        [95, 1, 1, 1], [90, 2, 1, 1], [60, 3, 2, 1], [50, 4, 3, 2], [30, 5, 3, 2],
        [20, 6, 3, 2], [10, 7, 3, 2],
    ]  # fmt: skip


def test_score_what_if(golden_db):
    row = q(golden_db, "score_what_if", threshold=55).iloc[0]
    # At 55: L02, L06, L08 would be handed over instead of March's 8 MQLs; L01 (50) reached SQL
    # and won but would have been missed; L07, L10, L11 have no score.
    assert row.to_dict() == {
        "n_handed_over_now": 8, "n_handed_over_at_threshold": 3, "n_sql_at_threshold": 2,
        "n_won_at_threshold": 1, "n_sql_missed": 1, "n_won_missed": 1, "n_sql": 4, "n_won": 3,
        "n_unscored": 3,
    }  # fmt: skip


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


def test_follow_up_routing_split(golden_db):
    current = metrics.follow_up_summary(golden_db, MARCH_FILTERS)["current"]
    # Only L01 carries assigned_at: 0.5 h routing, 0.5 h rep.
    assert [current[c] for c in ("n_routed", "median_routing_hours", "median_rep_hours")] == [
        1, 0.5, 0.5,
    ]  # fmt: skip


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


def test_follow_up_curve(golden_db):
    frame = metrics.run(golden_db, "follow_up_curve", MARCH_FILTERS).set_index("hours")
    # 7 valid hand-overs (L07 invalid left out); followed up within 0.5 h: L08; 1 h: + L01;
    # 2: + L02; 3: + L06; 6: + L03, L11; L14 never.
    assert frame["n_handed_over"].unique().tolist() == [7]
    assert [frame.loc[h, "n_within"] for h in (0.25, 0.5, 1, 2, 3, 4, 6, 168)] == [
        0,
        1,
        2,
        3,
        4,
        4,
        6,
        6,
    ]


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


def test_follow_up_breaches(golden_db):
    frame = metrics.run(golden_db, "follow_up_breaches", MARCH_FILTERS, limit=10)
    # The open breach first (L14, still active, 215 h overdue), then the late ones, oldest
    # hand-over first.
    assert frame[["lead_id", "breach", "hours_overdue"]].values.tolist() == [
        ["L14", "open", 215.0],
        ["L03", "followed up late", 1.0],
        ["L11", "followed up late", 1.0],
    ]
    assert frame[["n_total", "n_open"]].drop_duplicates().values.tolist() == [[3, 1]]


def test_follow_up_cost(golden_db):
    frame = metrics.run(golden_db, "follow_up_cost", MARCH_FILTERS)
    rows = {r.bucket: (r.n_leads, r.n_sql, r.n_won) for r in frame.itertuples()}
    # Calendar hours: L08 0.5 h; L01 1 h and L06 3 h; L11 5 h; L02 66 h and L03 67 h; L14 never;
    # L07 invalid. SQL: L01 L06 L08 L11; won: L01 L08 L11.
    assert rows == {
        "under 5 min": (0, 0, 0), "5–60 min": (1, 1, 1), "1–4 hours": (2, 2, 1),
        "4–24 hours": (1, 1, 1), "1–3 days": (2, 0, 0), "over 3 days": (0, 0, 0),
        "never": (1, 0, 0), "invalid (follow-up before hand-over)": (1, 0, 0),
    }  # fmt: skip


# ---- discards and dispositions ------------------------------------------------------------------


def test_discard_summary(golden_db):
    current, previous = metrics.compare(golden_db, "discard_summary", MARCH_FILTERS)
    # March's MQLs (creation cohort): L01 L02 L03 L06 L07 L08 L10 L11. Accepted (SAL by the data's
    # end): L01, L06 (via SQL), L07, L08 (via its deal), L11 (via its win) = 5 of 8. Discarded at
    # some point: L03 and L11 (which was won later) = 2 of 8, none without a reason.
    # Now: won L01 L08 L11; lost L06; discarded L03; active L02 (MQL) L07 (SAL) L10 (MQL, back
    # from nurture). Slipping (active, untouched for over the agreement's 10 days): L02 (32 days
    # since its call) and L07 (31 days since its hand-over, never called); L10 was called 2 days
    # before the end.
    assert current == {
        "period_index": 1, "n_mql": 8, "n_accepted": 5, "n_discarded": 2,
        "n_discarded_no_reason": 0, "n_won": 3, "n_lost": 1, "n_now_discarded": 1,
        "n_recycled": 0, "n_active": 3, "n_slipping": 2,
    }  # fmt: skip
    # February's creation cohort: L14 (28 February 23:30 in Berlin), an MQL still active and
    # never called.
    assert {k: v for k, v in previous.items() if v} == {
        "period_index": 2, "n_mql": 1, "n_active": 1, "n_slipping": 1,
    }  # fmt: skip


def test_discard_metrics_against_the_agreement(golden_db):
    summary = metrics.discard_summary(golden_db, MARCH_FILTERS)
    now = summary["current"]
    # 5 of 8 accepted: 62.5%, under the 70% floor; 2 of 8 discarded: 25%, at the 25% ceiling.
    assert (now["acceptance_rate"], now["acceptance_met"]) == (0.625, False)
    assert (now["discard_rate"], now["discard_met"]) == (0.25, True)
    # February's cohort: L14, an MQL nobody accepted or called.
    assert (summary["previous"]["n_mql"], summary["previous"]["n_slipping"]) == (1, 1)


def test_discard_by_group(golden_db):
    frame = q(golden_db, "discard_by_group", columns={"group_1": "owner"})
    rows = {r.group_1: (r.n_mql, r.n_accepted, r.n_discarded) for r in frame.itertuples()}
    # Ana: L01 L02 L10; Dan: L07 L08; Ben: L03; Cara: L06; (unassigned): L11.
    assert rows == {
        "Ana": (3, 1, 0), "Dan": (2, 2, 0), "(unassigned)": (1, 1, 1), "Ben": (1, 0, 1),
        "Cara": (1, 1, 0),
    }  # fmt: skip


def test_discard_reasons(golden_db):
    frame = q(golden_db, "discard_reasons", group=None, columns=BY_SOURCE)
    assert frame.values.tolist() == [["Bad data", 1, 0.5, 0.5], ["Not a fit", 1, 0.5, 1.0]]
    trade = q(golden_db, "discard_reasons", group="Trade show", columns=BY_SOURCE)
    assert trade["reason"].tolist() == ["Bad data"]


def test_dispositions_sum_to_the_mqls(golden_db):
    frame = q(golden_db, "dispositions", columns=BY_SOURCE)
    assert frame["is_active"].tolist() == [False] * 4 + [True] * 4
    rows = {r.account: (r.n_leads, r.n_slipping) for r in frame.itertuples()}
    assert rows == {
        "won": (3, 0), "lost": (1, 0), "discarded": (1, 0), "recycled": (0, 0),
        "active: opportunity": (0, 0), "active: sql": (0, 0), "active: sal": (1, 1),
        "active: mql": (2, 1),
    }  # fmt: skip
    assert frame["n_leads"].sum() == 8
    ages = dict(zip(frame["account"], frame["median_days_since_stage_change"], strict=True))
    # L07's last stage change: its MQL, 11 March 10:00 UTC, 30 days before the end. Active MQLs:
    # L02 (34 days 19 hours) and L10 (2 days 2 hours): median 18.4375.
    assert ages["active: sal"] == pytest.approx(30.0)
    assert ages["active: mql"] == pytest.approx((34 + 19 / 24 + 2 + 2 / 24) / 2)


def test_slipping_leads(golden_db):
    frame = q(golden_db, "slipping_leads", limit=10, columns=BY_SOURCE)
    assert frame["lead_id"].tolist() == ["L02", "L07"]
    assert frame["days_without_activity"].round(4).tolist() == [
        round(32 + 1 / 24, 4),
        round(30 + 23 / 24, 4),
    ]


def test_recycling(golden_db):
    frame = metrics.run(golden_db, "recycling", MARCH_FILTERS)
    rows = {r.outcome: (r.n_leads, r.median_days_in_nurture) for r in frame.itertuples()}
    # Of March's MQLs only L10 was sent back to nurture: recycled 25 March, handed over again 8
    # April and active now (back with sales): 14 days in nurture less the DST hour.
    assert rows["back with sales"] == (1, pytest.approx(14 - 1 / 24))
    assert [rows[o][0] for o in ("still in nurture", "won", "lost", "discarded")] == [0] * 4


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
    both = [MARCH_FILTERS.period, MARCH_FILTERS.period.previous()]
    frame = metrics.run(
        golden_db, "follow_up_summary", MARCH_FILTERS, periods=both, columns={"group_1": "source"}
    )
    # The hand-overs of March by source: L11 (unknown); L01, L02 (Paid search); L14 (Paid
    # social); L07, L08 (Referral); L03 (Trade show); L06 (Webinar); all 8 together first. None
    # in February (index 2), which has its row for every source together only.
    assert [
        [r["period_index"], r["group_1"], r["n_handed_over"]] for r in metrics.records(frame)
    ] == [
        [1, None, 8],
        [1, "(unknown)", 1],
        [1, "Paid search", 2],
        [1, "Paid social", 1],
        [1, "Referral", 2],
        [1, "Trade show", 1],
        [1, "Webinar", 1],
        [2, None, 0],
    ]
    by_source = metrics.hand_overs(golden_db, MARCH_FILTERS)["by_source"]
    assert (by_source["Referral"]["current"], by_source["Referral"]["previous"]) == (2, 0)
    assert by_source["Referral"]["trend"][-1] == 2  # March, the trend's last month
    # L07 is invalid and L08 met: Referral's follow-up, per source, as the totals count it.
    referral = frame[frame["group_1"] == "Referral"].iloc[0]
    assert (referral["n_met"], referral["n_invalid"]) == (1, 1)
    # With no group in the slot, only the rows for every source together: nothing twice.
    overall = metrics.run(golden_db, "follow_up_summary", MARCH_FILTERS, periods=both)
    assert overall[["period_index", "n_handed_over"]].values.tolist() == [[1, 8], [2, 0]]


def test_follow_up_latency(golden_db):
    frame = metrics.run(
        golden_db,
        "follow_up_latency",
        MARCH_FILTERS,
        periods=[MARCH_FILTERS.period, MARCH_FILTERS.period.previous()],
    )
    # March (test_follow_up_summary): 0.5, 1, 2, 3, 5, 5 hours: median 2.5, p90 5; February: no
    # hand-over, no latency.
    assert frame[["period_index", "median_hours", "p90_hours"]].values.tolist()[0] == [1, 2.5, 5.0]
    assert frame[["median_hours", "p90_hours"]].iloc[1].isna().all()


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
        frame = metrics.run(db, "discards_without_reason", Filters(period=MARCH), limit=10)
    assert frame[["lead_id", "source", "account", "n_total"]].values.tolist() == [
        ["D1", "Web", "discarded", 2],  # latest discard first
        ["D4", "Fair", "won", 2],
    ]
