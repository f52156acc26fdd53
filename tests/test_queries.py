"""Golden tests of every query in queries/ on the hand-checkable fixture.

The fixture's data ends on Friday 10 April 2026, so "last full month" is March 2026 and the
previous period February 2026. Expected counts were worked out by hand from
tests/fixtures/golden/leads.csv (see its README for what each lead exercises).
"""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import metrics
from handoff.filters import Filters, resolve_period

MARCH = resolve_period("custom", dt.date(2026, 4, 10), dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def scorecard(db, **filters):
    f = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)), **filters)
    frame = db.run("scorecard", metrics.query_params(f, db.agreement, previous=True)).set_index(
        "period"
    )
    columns = ["n_leads", "n_mql", "n_sal", "n_sql", "n_opportunity", "n_won", "won_amount_usd"]
    return (
        tuple(int(v) for v in frame.loc["current", columns]),
        tuple(int(v) for v in frame.loc["previous", columns]),
        int(frame.loc["current", "n_handed_over"]),
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
    frame = golden_db.run("scorecard", metrics.query_params(f, golden_db.agreement, previous=True))
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
        "activities": (10, 9, 1),  # LX9 is an orphan
        "deals": (3, 3, 0),
        "spend": (3, 3, 0),
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
    assert metrics.monthly_mql_goal(golden_agreement, f) == (monthly, scope)


def test_home_metrics(golden_db):
    f = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)))
    home = metrics.home(golden_db, f)
    assert home["leads"] == {
        "label": "Leads", "value": 10, "previous": 1, "change": 9, "change_rate": 9.0,
    }  # fmt: skip
    assert home["won"]["change_rate"] is None  # nothing won in February: no rate
    assert home["mql_goal"] == {
        "handed_over": 8,
        "goal": 10.0,
        "monthly_goal": 10.0,
        "attainment_rate": 0.8,
        "is_met": False,
        "scope": "all sources",
        "months": 1.0,
    }
