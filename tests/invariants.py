"""What must hold whatever the data and the filters, each declared once.

An invariant has a name, what it says, and a check over a `Database` and `Filters` that raises
AssertionError, saying how, when it does not hold. tests/test_invariants.py checks every one on
the golden data and on a demo for several filter sets; tests/test_properties.py holds the
disposition invariant to random data as well. None is a hand-worked value: the golden tests
(tests/golden/) pin the numbers, these pin how the numbers relate.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from handoff import attribution, metrics
from handoff.db import Database
from handoff.filters import Filters

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")
COHORT_VIEWS = ("created", "handover")
# Float sums (revenue, shares) agree to this.
REL = 1e-9


@dataclass(frozen=True)
class Invariant:
    name: str
    says: str
    check: Callable[[Database, Filters], None]


INVARIANTS: list[Invariant] = []


def invariant(says: str) -> Callable[[Callable[[Database, Filters], None]], Callable]:
    """Declare the decorated check as an invariant that says `says`."""

    def declare(check: Callable[[Database, Filters], None]) -> Callable:
        INVARIANTS.append(Invariant(check.__name__, says, check))
        return check

    return declare


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(db: Database, name: str, filters: Filters, **how: Any) -> list[dict[str, Any]]:
    """The query's rows, unrounded (NULL as None)."""
    frame = metrics.run(db, name, filters, **how).astype(object)
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-6)


@invariant(
    "In a cohort (created or handed over in the period), in any order or strict, each stage "
    "counts no more leads than the one before it: n_mql ≤ n_lead, n_sal ≤ n_mql, … n_won ≤ "
    "n_opportunity; overall and in every group of a breakdown"
)
def funnel_narrows(db: Database, filters: Filters) -> None:
    if filters.view not in COHORT_VIEWS:
        return  # flow counts entries: a stage entered in the period may follow one before it
    stages = _rows(db, "funnel_stages", filters)
    counts = [r["n_leads"] for r in stages]
    assert counts == sorted(counts, reverse=True), f"funnel_stages: {counts}"
    for r in stages[1:]:
        assert r["n_leads"] <= r["n_previous_stage"], r
    columns = [f"n_{s}" for s in STAGES if not (filters.view == "handover" and s == "lead")]
    for r in _rows(db, "funnel_breakdown", filters, columns={"group_1": "source"}):
        counts = [r[c] for c in columns]
        assert counts == sorted(counts, reverse=True), f"funnel_breakdown {r['group_1']}: {counts}"


@invariant(
    "Every lead counted is in exactly one group of a breakdown: the groups' stage counts sum to "
    "the funnel's"
)
def groups_sum_to_the_funnel(db: Database, filters: Filters) -> None:
    stages = {r["stage"]: r["n_leads"] for r in _rows(db, "funnel_stages", filters)}
    groups = _rows(db, "funnel_breakdown", filters, columns={"group_1": "team"})
    for stage, n in stages.items():
        assert sum(r[f"n_{stage}"] for r in groups) == n, (stage, n)


@invariant(
    "Each funnel rate lies in [0, 1] with its counts: the step and cumulative conversion of "
    "every stage, and its 95% interval contains it"
)
def funnel_rates_are_shares(db: Database, filters: Filters) -> None:
    if filters.view not in COHORT_VIEWS:
        return
    frame = metrics.funnel_stages(db, filters)
    for r in metrics.records(frame):
        for kind in ("step", "cumulative"):
            rate = r[f"{kind}_rate"]
            if rate is None or (isinstance(rate, float) and math.isnan(rate)):
                continue
            assert 0 <= r[f"{kind}_low"] <= rate <= r[f"{kind}_high"] <= 1, (r["stage"], kind, r)


@invariant(
    "Every hand-over of the period is met, breached, pending or invalid (met + breached + "
    "pending + invalid = handed over); breached = followed up late + open + closed without "
    "follow-up; judged = met + breached, and % within SLA = met / judged lies in [0, 1]; "
    "overall and summed over owners"
)
def follow_up_accounts_for_every_hand_over(db: Database, filters: Filters) -> None:
    summary = metrics.follow_up_summary(db, filters)
    if not summary["has_follow_up_data"]:
        return
    for when in ("current", "previous"):
        r = summary[when]
        assert r["n_met"] + r["n_breached"] + r["n_pending"] + r["n_invalid"] == r["n_handed_over"]
        assert r["n_breached"] == (
            r["n_followed_up_late"] + r["n_open_breaches"] + r["n_closed_without_follow_up"]
        ), r
        assert r["n_judged"] == r["n_met"] + r["n_breached"], r
        assert r["n_open_breaches"] <= r["n_not_followed_up"] <= r["n_handed_over"], r
        if r["n_judged"]:
            assert 0 <= r["within_sla_rate"] <= 1, r
    rows = _rows(db, "follow_up_summary", filters, columns={"group_1": "owner"})
    overall = next(r for r in rows if r["group_1"] is None)
    owners = [r for r in rows if r["group_1"] is not None]
    for column in ("n_handed_over", "n_met", "n_breached", "n_pending", "n_invalid"):
        assert sum(r[column] for r in owners) == overall[column], column


@invariant(
    "The follow-up curve and the cost of slow follow-up count the same hand-overs: the curve's "
    "denominator is the hand-overs less the invalid ones, it never falls and never passes its "
    "denominator; the latency buckets sum to the hand-overs"
)
def follow_up_curve_and_buckets(db: Database, filters: Filters) -> None:
    if not metrics.dataset(db)["has_follow_up_data"]:
        return
    [total] = [r for r in _rows(db, "follow_up_summary", filters) if r["group_1"] is None]
    curve = _rows(db, "follow_up_curve", filters)
    within = [r["n_within"] for r in curve]
    assert within == sorted(within), within
    for r in curve:
        assert r["n_handed_over"] == total["n_handed_over"] - total["n_invalid"], r
        assert r["n_within"] <= r["n_handed_over"], r
    buckets = _rows(db, "follow_up_cost", filters)
    assert sum(r["n_leads"] for r in buckets) == total["n_handed_over"]
    for r in buckets:
        assert r["n_sql"] <= r["n_leads"], r
        assert r["n_won"] <= r["n_leads"], r


@invariant("Every open breach is an active lead, handed over and never followed up")
def open_breaches_are_active(db: Database, filters: Filters) -> None:
    [(n_bad,)] = db.con.execute(
        "select count(*) from stg_leads where is_open_breach and"
        " (not is_active or first_follow_up_at is not null or handover_at is null)"
    ).fetchall()
    assert n_bad == 0


@invariant(
    "Every MQL has exactly one disposition: the dispositions sum to the MQLs, and so do won + "
    "lost + discarded + recycled + active; accepted ≤ MQLs; discarded without a reason ≤ "
    "discarded ≤ MQLs; slipping leads are active"
)
def every_mql_has_one_disposition(db: Database, filters: Filters) -> None:
    current, previous = metrics.compare(db, "discard_summary", filters)
    for d in (current, previous):
        parts = d["n_won"] + d["n_lost"] + d["n_now_discarded"] + d["n_recycled"] + d["n_active"]
        assert parts == d["n_mql"], d
        assert 0 <= d["n_accepted"] <= d["n_mql"], d
        assert 0 <= d["n_discarded_no_reason"] <= d["n_discarded"] <= d["n_mql"], d
        assert d["n_slipping"] <= d["n_active"], d
    accounts = _rows(db, "dispositions", filters)
    assert sum(r["n_leads"] for r in accounts) == current["n_mql"]
    assert sum(r["n_slipping"] for r in accounts) == current["n_slipping"]
    [(n_without,)] = db.con.execute(
        "select count(*) from stg_leads where is_mql and disposition is null"
    ).fetchall()
    assert n_without == 0


@invariant(
    "Shares sum to 1: the discard reasons' shares (and the last cumulative share is 1), and "
    "the revenue shares by recorded source"
)
def shares_sum_to_one(db: Database, filters: Filters) -> None:
    reasons = _rows(db, "discard_reasons", filters, group=None)
    if reasons:
        assert _close(sum(r["share"] for r in reasons), 1.0), reasons
        assert _close(reasons[-1]["cumulative_share"], 1.0), reasons
    for revenue in ("won", "pipeline"):
        rows = _rows(db, "revenue_by_recorded_source", filters, revenue=revenue)
        if sum(r["revenue_usd"] or 0 for r in rows):
            assert _close(sum(r["revenue_share"] for r in rows), 1.0), rows


@invariant(
    "Attribution credits the period's revenue and nothing else: under every model the credit "
    "sums to the attributed revenue, which is the revenue won (or opened) in the period"
)
def attribution_credit_sums_to_the_revenue(db: Database, filters: Filters) -> None:
    for revenue in ("won", "pipeline"):
        result = attribution.compare(db, filters, revenue=revenue, by="channel")
        credit, totals = result["credit"], result["totals"]
        for model in attribution.MODELS:
            credited = float(credit[model].astype(float).sum())
            assert credited == pytest.approx(totals["revenue_usd"], rel=REL, abs=1e-6), model
        [period] = _rows(db, "revenue_in_period", filters, revenue=revenue)
        assert totals["n_events"] == period["n_deals"], revenue
        assert totals["revenue_usd"] == pytest.approx(period["revenue_usd"], rel=REL), revenue


@invariant(
    "Won opportunities are the funnel's wins: closed_opportunities counts as many won as the "
    "scorecard, and a win rate of closed opportunities lies in [0, 1]"
)
def closed_opportunities_match_the_funnel(db: Database, filters: Filters) -> None:
    current, _ = metrics.compare(db, "scorecard", filters)
    outcomes = {r["outcome"]: r for r in _rows(db, "closed_opportunities", filters)}
    assert outcomes["won"]["n_opportunities"] == current["n_won"]
    for r in outcomes.values():
        assert r["n_with_days"] <= r["n_opportunities"], r


@invariant(
    "Score AUCs lie in [0, 1], and the score thresholds hand over more leads the lower they go"
)
def score_measures_are_bounded(db: Database, filters: Filters) -> None:
    for score_by in metrics.SCORES:  # the CRM's score and Handoff's (none without [scoring])
        for r in _rows(db, "score_auc", filters, score_by=score_by):
            assert r["auc"] is None or math.isnan(r["auc"]) or 0 <= r["auc"] <= 1, r
        thresholds = _rows(db, "score_thresholds", filters, score_by=score_by)
        handed = [r["n_handed_over"] for r in thresholds]
        assert handed == sorted(handed), handed
        for r in thresholds:
            assert r["n_sql"] <= r["n_handed_over"], r
            assert r["n_won"] <= r["n_handed_over"], r


@invariant(
    "Every row read at import is accepted, set aside by a rule or rejected: their sum is read"
)
def every_row_read_is_accounted_for(db: Database, filters: Filters) -> None:
    tables = db.run("dataset_tables").to_dict("records")
    for r in tables:
        assert r["n_accepted"] + r["n_set_aside"] + r["n_rejected"] == r["n_read"], r
    rejected = sum(r["n_rejected"] for r in tables)
    assert sum(r["n_rows"] for r in db.run("rejects_by_reason").to_dict("records")) == rejected
    aside = sum(r["n_set_aside"] for r in tables)
    assert sum(r["n_rows"] for r in db.run("set_aside_by_rule").to_dict("records")) == aside
