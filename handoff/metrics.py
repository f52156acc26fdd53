"""The numbers the pages show, as plain data: what the home page and `metrics --json` print.

Each function runs named queries and adds only arithmetic that needs the agreement (goals,
changes against the previous period); every count itself comes from a query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
from typing import Any

import numpy as np
import pandas as pd

from handoff import stats
from handoff.agreement import Agreement
from handoff.db import Database
from handoff.filters import Filters

# (key in the output, column of the scorecard query, label)
SCORECARD = (
    ("leads", "n_leads", "Leads"),
    ("mqls", "n_mql", "MQLs"),
    ("sals", "n_sal", "SALs"),
    ("sqls", "n_sql", "SQLs"),
    ("opportunities", "n_opportunity", "Opportunities"),
    ("won", "n_won", "Won"),
    ("won_revenue_usd", "won_amount_usd", "Won revenue"),
)


def data_end(db: Database) -> dt.datetime | None:
    """The last timestamp in the loaded data, in the agreement's time zone."""
    frame = db.run("dataset_import")
    if frame.empty or frame["data_end_at"].isna().all():
        return None
    return frame["data_end_at"].iloc[0].to_pydatetime().astimezone(db.agreement.tz)


def query_params(
    filters: Filters, agreement: Agreement, previous: bool = False, counting: bool = True
) -> dict[str, Any]:
    """The parameters every scoped, period-bound query takes (and the previous period's).

    `counting` adds the view and order mode of the queries that count stages (counted_stages);
    the follow-up queries date leads by their hand-over instead.
    """
    params = {
        **filters.scope_params(),
        **filters.period_params(agreement.tz),
        **({"view": filters.view, "strict": filters.strict} if counting else {}),
    }
    params["scan_start_at"] = params["previous_start_at"] if previous else params["start_at"]
    params["scan_end_at"] = params["end_at"]
    if not previous:
        del params["previous_start_at"], params["previous_end_at"]
    return params


def trend_params(
    filters: Filters, agreement: Agreement, months: int, counting: bool = True
) -> dict[str, Any]:
    """The parameters of a monthly trend: the `months` calendar months before the period's
    end month, and that month itself when the period ends inside it."""
    params = query_params(filters, agreement, counting=counting)
    end = filters.period.end
    index = end.year * 12 + end.month - 1 - months
    start_at = dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=agreement.tz)
    del params["start_at"]
    params["trend_start_at"] = params["scan_start_at"] = start_at
    return params


def monthly_mql_goal(agreement: Agreement, filters: Filters) -> tuple[float | None, str]:
    """Marketing's monthly MQL goal for the filters' scope, or None with the reason why not."""
    if filters.campaigns or filters.owners or filters.teams or filters.attributes:
        return None, "the goal is set for all leads or per source, not for this selection"
    if not filters.sources:
        return agreement.mql_goal_per_month, "all sources"
    by_source = agreement.mql_goal_by_source
    missing = [s for s in filters.sources if s not in by_source]
    if missing:
        return None, f"no goal is set for {', '.join(missing)}"
    return sum(by_source[s] for s in filters.sources), ", ".join(filters.sources)


def home(db: Database, filters: Filters) -> dict[str, Any]:
    """The home page's numbers: stage counts and won revenue with their change, and the goal."""
    frame = db.run("scorecard", query_params(filters, db.agreement, previous=True))
    frame = frame.set_index("period")
    current, previous = frame.loc["current"], frame.loc["previous"]
    out: dict[str, Any] = {}
    for key, column, label in SCORECARD:
        value, before = float(current[column]), float(previous[column])
        out[key] = {
            "label": label,
            "value": _number(value),
            "previous": _number(before),
            "change": _number(value - before),
            "change_rate": (value - before) / before if before else None,
        }
    monthly, goal_scope = monthly_mql_goal(db.agreement, filters)
    # A partial month (year to date, custom dates) gets its share of the monthly goal by days.
    goal = monthly * filters.period.months if monthly is not None else None
    handed_over = int(current["n_handed_over"])
    before = filters.period.previous()
    previous_goal = monthly * before.months if monthly is not None else None
    out["mql_goal"] = {
        "handed_over": handed_over,
        "goal": round(goal, 1) if goal is not None else None,
        "monthly_goal": monthly,
        "attainment_rate": handed_over / goal if goal else None,
        "is_met": handed_over >= goal if goal is not None else None,
        "scope": goal_scope,
        "months": round(filters.period.months, 3),
        "previous_handed_over": int(previous["n_handed_over"]),
        "previous_goal": round(previous_goal, 1) if previous_goal is not None else None,
    }
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


# The funnel's steps: (key, numerator column, denominator column). lead_to_won is the whole way.
FUNNEL_STEPS = (
    ("lead_to_mql", "n_mql", "n_lead"),
    ("mql_to_sal", "n_sal", "n_mql"),
    ("sal_to_sql", "n_sql", "n_sal"),
    ("sql_to_opportunity", "n_opportunity", "n_sql"),
    ("opportunity_to_won", "n_won", "n_opportunity"),
    ("lead_to_won", "n_won", "n_lead"),
)
BREAKDOWN_COLUMNS = ("source", "campaign", "owner", "team")


def step_label(step: str, agreement: Agreement) -> str:
    """'MQL → SAL' in the agreement's own stage names."""
    first, _, second = step.partition("_to_")
    return f"{agreement.stage_labels[first]} → {agreement.stage_labels[second]}"


def funnel_stages(db: Database, filters: Filters) -> pd.DataFrame:
    """Leads per stage with step and cumulative conversion, each with its 95% interval."""
    frame = db.run("funnel_stages", query_params(filters, db.agreement))
    frame = stats.add_rate(frame, "n_leads", "n_previous_stage", "step")
    return stats.add_rate(frame, "n_leads", "n_first_stage", "cumulative")


def period_maturity(filters: Filters, agreement: Agreement, end: dt.datetime) -> dict[str, bool]:
    """Per step, and per lead-to-stage span (lead_to_sal, lead_to_sql, ... lead_to_won): has
    the period's cohort had the time the agreement allows by the data's end?

    Flow counts are not cohorts: they are always complete.
    """
    limits = dict(agreement.time_limits_days)
    total = 0.0
    for step, days in agreement.time_limits_days.items():
        total += days
        limits["lead_to_" + step.partition("_to_")[2]] = total
    if filters.view == "flow":
        return dict.fromkeys(limits, True)
    _, period_end = filters.period.bounds(agreement.tz)
    age_days = (end - period_end).total_seconds() / 86400
    return {step: age_days >= days for step, days in limits.items()}


def funnel_breakdown(
    db: Database,
    filters: Filters,
    by: str,
    by2: str | None,
    overall: pd.DataFrame,
    mature: dict[str, bool],
    compare_immature: bool = False,
) -> pd.DataFrame:
    """Per group: counts, each step's rate with its interval, and better/worse than overall.

    A group is marked only where its interval excludes the overall rate, and, unless asked,
    only for steps the period's cohort is mature for.
    """
    frame = db.run(
        "funnel_breakdown",
        query_params(filters, db.agreement),
        columns={"group_1": by, "group_2": by2},
    )
    counts = dict(zip(overall["stage"], overall["n_leads"], strict=True))
    totals = {f"n_{stage}": n for stage, n in counts.items()}
    if filters.view == "handover":
        totals["n_lead"] = totals["n_mql"]
    for step, k, n in FUNNEL_STEPS:
        frame = stats.add_rate(frame, k, n, step)
        overall_rate = totals[k] / totals[n] if totals.get(n) else math.nan
        compare = mature[step] or compare_immature
        frame[f"{step}_vs"] = [
            stats.versus(low, high, overall_rate) if compare else ""
            for low, high in zip(frame[f"{step}_low"], frame[f"{step}_high"], strict=True)
        ]
    return frame


def funnel(db: Database, filters: Filters, by: str = "source", by2: str | None = None) -> dict:
    """The funnel page's numbers for `metrics --json`: stages overall and per group."""
    stages = funnel_stages(db, filters)
    end = data_end(db)
    mature = period_maturity(filters, db.agreement, end) if end else {}
    groups = funnel_breakdown(db, filters, by, by2, stages, mature)
    return {
        "order": "strict" if filters.strict else "any",
        "by": by,
        "by2": by2,
        "mature": mature,
        "stages": records(stages.drop(columns=["stage_order"])),
        "breakdown": records(groups),
    }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes None, numpy numbers become Python numbers."""
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, decimal.Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            if isinstance(value, float | np.floating):
                clean[key] = None if math.isnan(value) else round(float(value), 6)
            elif isinstance(value, np.integer):
                clean[key] = int(value)
            elif isinstance(value, pd.Timestamp | dt.datetime | dt.date):
                clean[key] = None if pd.isna(value) else value.isoformat()
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                clean[key] = None
            else:
                clean[key] = value
        out.append(clean)
    return out


# The quality page's measures: (key, numerator, label). Rates are shares of the group's leads.
QUALITY_RATES = (
    ("mql", "n_mql", "MQL rate"),
    ("sal", "n_sal", "SAL rate"),
    ("sql", "n_sql", "SQL rate"),
    ("won", "n_won", "Win rate"),
)


def quality_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Per source or campaign: volume, rates of reaching each stage with intervals, revenue,
    and, where spend is known, cost per lead, MQL, SQL and won deal and return on spend."""
    if by not in ("source", "campaign"):
        raise ValueError(f"quality is compared by source or campaign, not {by!r}")
    frame = db.run(
        "quality_by_group", {**query_params(filters, db.agreement), "by": by}, {"group_1": by}
    )
    for key, k, _ in QUALITY_RATES:
        frame = stats.add_rate(frame, k, "n_lead", key)
    leads = frame["n_lead"].astype(float)
    cost = frame["cost_usd"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["revenue_per_lead_usd"] = np.where(leads > 0, frame["won_amount_usd"] / leads, np.nan)
        for name, column in (
            ("lead", "n_lead"),
            ("mql", "n_mql"),
            ("sql", "n_sql"),
            ("won", "n_won"),
        ):
            count = frame[column].astype(float)
            frame[f"cost_per_{name}_usd"] = np.where(count > 0, cost / count, np.nan)
        frame["return_on_spend"] = np.where(cost > 0, frame["won_amount_usd"] / cost, np.nan)
    return frame


def quality_overall(groups: pd.DataFrame) -> dict[str, float]:
    """The overall values the trade-off chart's quadrant lines sit on."""
    totals = groups[["n_lead", "n_mql", "n_sal", "n_sql", "n_won", "won_amount_usd"]].sum()
    leads = totals["n_lead"]
    with_leads = groups[groups["n_lead"] > 0]
    return {
        "leads_per_group": float(with_leads["n_lead"].mean()) if len(with_leads) else math.nan,
        **{key: totals[k] / leads if leads else math.nan for key, k, _ in QUALITY_RATES},
        "revenue_per_lead": totals["won_amount_usd"] / leads if leads else math.nan,
    }


def score_calibration(db: Database, filters: Filters) -> dict[str, Any]:
    """Does the agreed score predict conversion: rates by band, the ROC area, the thresholds."""
    params = query_params(filters, db.agreement)
    bands = db.run(
        "score_bands",
        {**params, "band_starts": list(db.agreement.score_bands or []) or None},
    )
    bands = stats.add_rate(bands, "n_sql", "n_leads", "sql")
    bands = stats.add_rate(bands, "n_won", "n_leads", "won")
    return {
        "bands": bands,
        "auc": db.run("score_auc", params),
        "thresholds": db.run("score_thresholds", params),
    }


def score_what_if(db: Database, filters: Filters, threshold: float) -> dict[str, int]:
    """What sales would have received at another MQL threshold."""
    row = db.run(
        "score_what_if", {**query_params(filters, db.agreement), "threshold": threshold}
    ).iloc[0]
    return {key: int(value) for key, value in row.items()}


def quality(db: Database, filters: Filters) -> dict[str, Any]:
    """The quality page's numbers for `metrics --json`: by source and by campaign, and the
    score's calibration."""
    calibration = score_calibration(db, filters)
    threshold = db.agreement.score_threshold
    return {
        "by_source": records(quality_by_group(db, filters, "source")),
        "by_campaign": records(quality_by_group(db, filters, "campaign")),
        "score": {
            "bands": records(calibration["bands"]),
            "auc": records(calibration["auc"]),
            "thresholds": records(calibration["thresholds"]),
            "at_agreed_threshold": (
                score_what_if(db, filters, threshold) if threshold is not None else None
            ),
        },
    }


def follow_up_params(filters: Filters, agreement: Agreement, previous: bool = False) -> dict:
    """Parameters of the follow-up queries: leads are dated by their hand-over."""
    return query_params(filters, agreement, previous=previous, counting=False)


def follow_up_summary(db: Database, filters: Filters) -> dict[str, Any]:
    """The follow-up headline for the period and the one before: % within SLA with its counts
    and interval, latency quantiles, leads not followed up, pending ones."""
    frame = db.run("follow_up_summary", follow_up_params(filters, db.agreement, previous=True))
    frame["n_judged"] = frame["n_met"] + frame["n_breached"]
    frame = stats.add_rate(frame, "n_met", "n_judged", "within_sla")
    rows = {r["period"]: r for r in records(frame.drop(columns=["start_at", "end_at"]))}
    return {
        "target_hours": db.agreement.follow_up_target_hours,
        "clock": db.agreement.follow_up_clock,
        "current": rows["current"],
        "previous": rows["previous"],
    }


def follow_up_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Follow-up per owner, team or source, with % within SLA and its interval."""
    frame = db.run("follow_up_by_group", follow_up_params(filters, db.agreement), {"group_1": by})
    frame["n_judged"] = frame["n_met"] + frame["n_breached"]
    return stats.add_rate(frame, "n_met", "n_judged", "within_sla")


def follow_up_cost(db: Database, filters: Filters) -> pd.DataFrame:
    """SQL and win rates by how fast the lead was followed up, with intervals."""
    frame = db.run("follow_up_cost", follow_up_params(filters, db.agreement))
    frame = stats.add_rate(frame, "n_sql", "n_leads", "sql")
    return stats.add_rate(frame, "n_won", "n_leads", "won")


def follow_up(db: Database, filters: Filters) -> dict[str, Any]:
    """The follow-up page's numbers for `metrics --json`."""
    params = follow_up_params(filters, db.agreement)
    return {
        "summary": follow_up_summary(db, filters),
        "by_owner": records(follow_up_by_group(db, filters, "owner")),
        "by_team": records(follow_up_by_group(db, filters, "team")),
        "by_source": records(follow_up_by_group(db, filters, "source")),
        "cost_of_slow_follow_up": records(follow_up_cost(db, filters)),
        "breaches": records(
            db.run("follow_up_breaches", {**params, "limit": 1000}).drop(columns=["n_total"])
        ),
    }


def discard_summary(db: Database, filters: Filters) -> dict[str, Any]:
    """Acceptance and discard rates of the period's MQLs against the agreement, with counts,
    intervals, the previous period and met/missed; and the account of every MQL."""
    agreement = db.agreement

    def one(f: Filters) -> dict[str, Any]:
        frame = db.run(
            "discard_summary",
            {**query_params(f, agreement), "stale_after_days": agreement.stale_after_days},
        )
        frame = stats.add_rate(frame, "n_accepted", "n_mql", "acceptance")
        frame = stats.add_rate(frame, "n_discarded", "n_mql", "discard")
        return records(frame)[0]

    current = one(filters)
    previous = one(dataclasses.replace(filters, period=filters.period.previous()))
    for row in (current, previous):
        row["acceptance_met"] = (
            None
            if row["acceptance_rate"] is None
            else row["acceptance_rate"] >= agreement.min_acceptance_rate
        )
        row["discard_met"] = (
            None
            if row["discard_rate"] is None
            else row["discard_rate"] <= agreement.max_discard_rate
        )
    return {
        "min_acceptance_rate": agreement.min_acceptance_rate,
        "max_discard_rate": agreement.max_discard_rate,
        "current": current,
        "previous": previous,
    }


def discard_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Acceptance and discard rates per group, with intervals."""
    frame = db.run("discard_by_group", query_params(filters, db.agreement), {"group_1": by})
    frame = stats.add_rate(frame, "n_accepted", "n_mql", "acceptance")
    return stats.add_rate(frame, "n_discarded", "n_mql", "discard")


def discards(db: Database, filters: Filters) -> dict[str, Any]:
    """The discards page's numbers for `metrics --json`."""
    params = query_params(filters, db.agreement)
    stale = {"stale_after_days": db.agreement.stale_after_days}
    return {
        "summary": discard_summary(db, filters),
        "by_source": records(discard_by_group(db, filters, "source")),
        "by_campaign": records(discard_by_group(db, filters, "campaign")),
        "by_owner": records(discard_by_group(db, filters, "owner")),
        "by_team": records(discard_by_group(db, filters, "team")),
        "reasons": records(db.run("discard_reasons", {**params, "group": None})),
        "dispositions": records(db.run("dispositions", {**params, **stale})),
        "recycling": records(
            db.run("recycling", query_params(filters, db.agreement, counting=False))
        ),
        "slipping": records(
            db.run("slipping_leads", {**params, **stale, "limit": 1000}).drop(columns=["n_total"])
        ),
        "without_reason": records(
            db.run("discards_without_reason", {**params, "limit": 1000}).drop(columns=["n_total"])
        ),
    }
