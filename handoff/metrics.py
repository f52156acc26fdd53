"""The numbers the pages show, as plain data: what the home page and `metrics --json` print.

Each function runs named queries and adds only arithmetic that needs the agreement (goals,
changes against the previous period); every count itself comes from a query.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from handoff import stats, targets
from handoff.agreement import Agreement
from handoff.contract import GROUP_COLUMNS
from handoff.db import Database, missing_scoring_attributes, query_param_names
from handoff.filters import Filters, Period

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
TREND_MONTHS = 12

# What each view counts, in words: every page says which one its period counts.
COUNTING = {
    "created": "the leads created in {period} and the stages they reached by the data's end",
    "handover": "the leads handed over (MQL) in {period} and the stages they reached by the "
    "data's end",
    "flow": "the stage entries dated in {period}, whoever made them",
}
# The MQLs a view's acceptance and discard rates are shares of. In the hand-over and flow views
# they are the MQLs handed over in the period; in the creation cohort, the MQLs among the leads
# created in it (whenever handed over), a different number under its own name.
MQL_COHORT = {
    "created": "MQLs among the leads created in {period}",
    "handover": "MQLs handed over in {period}",
    "flow": "MQLs handed over in {period}",
}


def counting(filters: Filters) -> dict[str, str]:
    """What the filters' view counts, in words, for pages, the report and the JSON."""
    period = filters.period.label
    # In strict order a stage counts only with every stage date up to it present and in order:
    # its MQLs are not the hand-overs any more, and say so.
    strict = ", stage dates in strict order" if filters.strict else ""
    return {
        "view": filters.view,
        "counts": COUNTING[filters.view].format(period=period) + strict,
        "mqls": MQL_COHORT[filters.view].format(period=period) + strict,
        "handed_over": f"MQLs handed over in {period}",
        "won_revenue": (
            f"won in {period} (deals closed in it)"
            if filters.view == "flow"
            else "won by these leads, whenever closed"
        ),
        "won_in_period": f"won in {period} (deals closed in it)",
    }


def data_end(db: Database) -> dt.datetime | None:
    """The last timestamp in the loaded data, in the agreement's time zone."""
    frame = db.run("dataset_import")
    if frame.empty or frame["data_end_at"].isna().all():
        return None
    return frame["data_end_at"].iloc[0].to_pydatetime().astimezone(db.agreement.tz)


def not_in_data(db: Database) -> dict[str, list[str]]:
    """What the agreement names that no lead in the data has, per lead column (source,
    campaign, owner, team): the sources of its per-source MQL goals (matched exactly, as the
    scorecard matches them), and the values its scoring fit rules look for in those columns
    (matched as the rules match: case and spaces ignored, so listed as the rule holds them).
    Every page warns while any are left, and absent goals show as not in the data rather than
    as zero MQLs."""
    options = db.run("filter_options")
    scoring = db.agreement.scoring
    out: dict[str, list[str]] = {}
    for dimension in GROUP_COLUMNS:
        present = set(options.loc[options["dimension"] == dimension, "value"])
        folded = {str(v).strip().lower() for v in present}
        names: list[str] = []
        if dimension == "source":
            names = [s for s in db.agreement.mql_goal_by_source if s not in present]
        for rule in scoring.fit if scoring else ():
            if rule.attribute == dimension and rule.values:
                names += [v for v in rule.values if v not in folded and v not in names]
        out[dimension] = names
    return out


def data_years(db: Database) -> range:
    """The calendar years the loaded data spans, from its first timestamp to its end, in the
    agreement's time zone (empty without data)."""
    end = data_end(db)
    firsts = db.run("dataset_tables")["first_at"].dropna()
    if end is None or firsts.empty:
        return range(0)
    first = firsts.min().to_pydatetime().astimezone(db.agreement.tz)
    return range(first.year, end.year + 1)


def dataset(db: Database) -> dict[str, bool]:
    """Which kinds of data the export holds at all (stg_dataset): follow-up, touches, deals,
    spend. Missing data is said, never shown as zero."""
    return {key: bool(value) for key, value in db.run("dataset_facts").iloc[0].items()}


def run(
    db: Database,
    name: str,
    filters: Filters,
    *,
    columns: dict[str, str | None] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run a named query for the filters, its column slots filled from `columns`: it is given
    the parameters `params_for` makes of the filters and `options` (the periods a comparison or
    trend counts, the trend's months, the query's own values); the runner refuses anything
    else. A page's database notes the call, to ask it again for the next filters at once
    (handoff.prefetch)."""
    recorder = getattr(db, "recorder", None)
    if recorder is not None:
        recorder.note(name, filters, columns, options)
    return db.run(name, params_for(db, name, filters, **options), columns)


def params_for(
    db: Database,
    name: str,
    filters: Filters,
    *,
    periods: Sequence[Period] | None = None,
    trend_months: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The parameters `run` gives a query: those of the filters' it binds, and `extra`."""
    given = filters.params(db.agreement, periods=periods, trend_months=trend_months)
    wanted = query_param_names(name)
    return {**{key: value for key, value in given.items() if key in wanted}, **extra}


def compare(
    db: Database, name: str, filters: Filters, **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A one-row-per-period query counted for the period and the one before it, in one run:
    (current, previous) as JSON-ready records. Every comparison is made this way."""
    frame = run(db, name, filters, periods=[filters.period, filters.period.previous()], **extra)
    rows = {row["period_index"]: row for row in records(frame)}
    return rows[1], rows[2]


def trend_periods(filters: Filters, months: int = TREND_MONTHS, grain: str = "month") -> list:
    """The months (or Monday-based weeks) of a trend: the `months` calendar months up to the one
    holding the period's last day, the last one ending with the period. Counted by the same
    query as the headline, so the point of a month is the headline for that month."""
    end = filters.period.end
    first = filters.trend_start(months, dt.UTC).date()
    if grain == "week":
        first += dt.timedelta(days=-first.weekday() % 7)
        step = dt.timedelta(days=7)
    elif grain != "month":
        raise ValueError(f"a trend is by week or month, not {grain!r}")
    out, day = [], first
    while day < end:
        following = day + step if grain == "week" else (day + dt.timedelta(days=32)).replace(day=1)
        out.append(Period("custom", day, min(following, end)))
        day = following
    return out


def trend(
    db: Database, name: str, filters: Filters, grain: str = "month", **extra: Any
) -> list[dict[str, Any]]:
    """A one-row-per-period query over the trend's months (or weeks), oldest first, each record
    with its 'start' date."""
    return headline_and_trend(db, name, filters, grain, **extra)[2]


def headline_periods(
    filters: Filters, grain: str = "month"
) -> tuple[list[Period], list[Period], dict[tuple[dt.date, dt.date], int]]:
    """The distinct periods of a headline with its line, in the order a query numbers them:
    the period, the one before it, then the trend's months (or weeks) that are neither; the
    trend's months; and each period's number by its (start, end)."""
    months = trend_periods(filters, grain=grain)
    index: dict[tuple[dt.date, dt.date], int] = {}
    for period in (filters.period, filters.period.previous(), *months):
        index.setdefault((period.start, period.end), len(index) + 1)
    return [Period("custom", start, end) for start, end in index], months, index


def headline_and_trend(
    db: Database, name: str, filters: Filters, grain: str = "month", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A one-row-per-period query for the period, the one before it and the trend's months (or
    weeks), in one run over every distinct one of them: (current, previous, trend). A month
    that is also the period is counted once, so its point is the headline itself; and the
    headline and its line cost one scan. Pages that show a headline with its line use this."""
    periods, months, index = headline_periods(filters, grain)
    frame = run(db, name, filters, periods=periods, **extra)
    rows = {row["period_index"]: row for row in records(frame)}

    def of(period: Period) -> dict[str, Any]:
        return rows[index[(period.start, period.end)]]

    line = [{**of(p), "start": p.start.isoformat()} for p in months]
    return of(filters.period), of(filters.period.previous()), line


def home(db: Database, filters: Filters) -> dict[str, Any]:
    """The home page's numbers: stage counts and won revenue of the view with their change
    against the previous period, and the revenue won in the period (deals closed in it)."""
    current, previous = compare(db, "scorecard", filters)
    out: dict[str, Any] = {"counting": counting(filters)}
    for key, column, label in SCORECARD:
        value, before = float(current[column]), float(previous[column])
        out[key] = {
            "label": label,
            "value": _number(value),
            "previous": _number(before),
            "change": _number(value - before),
            "change_rate": (value - before) / before if before else None,
        }
    out["won_revenue_usd"]["label"] = f"Won revenue ({out['counting']['won_revenue']})"
    out["won_in_period"] = won_in_period(db, filters)
    if not dataset(db)["has_revenue_data"]:
        # No amount anywhere in the export: the revenue is unknown, never $0.
        out["won_revenue_usd"].update(value=None, previous=None, change=None, note=NO_AMOUNTS)
        out["won_in_period"].update(revenue_usd=None, note=NO_AMOUNTS)
    return out


NO_AMOUNTS = "no amounts in the export"


def won_in_period(db: Database, filters: Filters) -> dict[str, Any]:
    """Deals won in the period (closed in it) and their revenue, whoever's leads they are: what
    attribution credits, under its own name."""
    row = records(run(db, "revenue_in_period", filters, revenue="won"))[0]
    return {
        "label": f"Won in {filters.period.label} (deals closed in it)",
        "n_deals": row["n_deals"],
        "revenue_usd": row["revenue_usd"],
    }


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


def step_label(step: str, agreement: Agreement) -> str:
    """'MQL → SAL' in the agreement's own stage names."""
    first, _, second = step.partition("_to_")
    return f"{agreement.stage_labels[first]} → {agreement.stage_labels[second]}"


def funnel_stages(db: Database, filters: Filters) -> pd.DataFrame:
    """Leads per stage with step and cumulative conversion, each with its 95% interval."""
    frame = run(db, "funnel_stages", filters)
    frame = stats.add_rate(frame, "n_leads", "n_previous_stage", "step")
    return stats.add_rate(frame, "n_leads", "n_first_stage", "cumulative")


def step_limits(agreement: Agreement) -> dict[str, float]:
    """The days the agreement allows per step, and per lead-to-stage span (lead_to_sal,
    lead_to_sql, ... lead_to_won: the sum of the steps up to it)."""
    limits = dict(agreement.time_limits_days)
    total = 0.0
    for step, days in agreement.time_limits_days.items():
        total += days
        limits["lead_to_" + step.partition("_to_")[2]] = total
    return limits


def period_maturity(filters: Filters, agreement: Agreement, end: dt.datetime) -> dict[str, bool]:
    """Per step, and per lead-to-stage span: has the period's cohort had the time the agreement
    allows by the data's end? Flow counts are not cohorts: they are always complete."""
    limits = step_limits(agreement)
    if filters.view == "flow":
        return dict.fromkeys(limits, True)
    _, period_end = filters.period.bounds(agreement.tz)
    age_days = (end - period_end).total_seconds() / 86400
    return {step: age_days >= days for step, days in limits.items()}


def latest_mature_month(agreement: Agreement, end: dt.datetime, step: str) -> Period:
    """The latest calendar month whose cohort has had `step`'s agreed time by the data's end:
    its end (local midnight on the 1st) lies at least the limit before the data's end."""
    return month_mature_after(agreement, end, step_limits(agreement)[step])


def month_mature_after(agreement: Agreement, end: dt.datetime, days: float) -> Period:
    """The latest calendar month whose end lies at least `days` before the data's end."""
    latest_end = end.astimezone(agreement.tz) - dt.timedelta(days=days)
    month_end = latest_end.date().replace(day=1)
    return Period("custom", (month_end - dt.timedelta(days=1)).replace(day=1), month_end)


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
    frame = run(db, "funnel_breakdown", filters, columns={"group_1": by, "group_2": by2})
    overall_rates = overall_step_rates(overall)
    for step, k, n in FUNNEL_STEPS:
        frame = stats.add_rate(frame, k, n, step)
        compare = mature[step] or compare_immature
        frame[f"{step}_vs"] = [
            stats.versus(low, high, overall_rates[step]) if compare else ""
            for low, high in zip(frame[f"{step}_low"], frame[f"{step}_high"], strict=True)
        ]
    return frame


def overall_totals(stages: pd.DataFrame) -> dict[str, int]:
    """The funnel's overall counts as n_<stage>; a hand-over cohort starts at MQL, so its
    leads are its MQLs."""
    counts = zip(stages["stage"], stages["n_leads"], strict=True)
    totals = {f"n_{stage}": int(n) for stage, n in counts}
    totals.setdefault("n_lead", totals.get("n_mql", 0))
    return totals


def overall_step_rates(stages: pd.DataFrame) -> dict[str, float]:
    """Each funnel step's overall rate, from funnel_stages (NaN where the step had no leads):
    what a group's rate is compared with."""
    totals = overall_totals(stages)
    return {
        step: totals[k] / totals[n] if totals.get(n) else math.nan for step, k, n in FUNNEL_STEPS
    }


def closed_opportunities(db: Database, filters: Filters) -> dict[str, Any]:
    """Win rate of closed opportunities (won / (won + lost)) with its interval, the open ones,
    and the cycle time to close for won and for lost opportunities apart."""
    frame = run(db, "closed_opportunities", filters)
    rows = {row["outcome"]: row for row in records(frame)}
    n_won, n_lost = rows["won"]["n_opportunities"], rows["lost"]["n_opportunities"]
    closed = n_won + n_lost
    low, high = stats.wilson(n_won, closed)
    return {
        "n_won": n_won,
        "n_lost": n_lost,
        "n_closed": closed,
        "n_open": rows["open"]["n_opportunities"],
        "win_rate": round(n_won / closed, 6) if closed else None,
        "win_low": None if math.isnan(low) else round(low, 6),
        "win_high": None if math.isnan(high) else round(high, 6),
        "cycle_days": {outcome: rows[outcome] for outcome in ("won", "lost")},
    }


def funnel(db: Database, filters: Filters, by: str = "source", by2: str | None = None) -> dict:
    """The funnel page's numbers for `metrics --json`: stages overall and per group, and the
    closed opportunities' win rate and cycle times."""
    stages = funnel_stages(db, filters)
    end = data_end(db)
    mature = period_maturity(filters, db.agreement, end) if end else {}
    groups = funnel_breakdown(db, filters, by, by2, stages, mature)
    return {
        "counting": counting(filters)["counts"],
        "order": "strict" if filters.strict else "any",
        "by": by,
        "by2": by2,
        "mature": mature,
        "stages": records(stages.drop(columns=["stage_order"])),
        "closed_opportunities": closed_opportunities(db, filters),
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
            elif isinstance(value, np.bool_):
                clean[key] = bool(value)
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
    ("won", "n_won", "Won rate"),
)


def quality_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Per source or campaign: volume, rates of reaching each stage with intervals, revenue,
    and, where spend is known, cost per lead, MQL, SQL and won deal and return on spend."""
    if by not in ("source", "campaign"):
        raise ValueError(f"quality is compared by source or campaign, not {by!r}")
    frame = run(db, "quality_by_group", filters, columns={"group_1": by})
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


# Which score the Quality page judges: the CRM's own (the export's `score` column) or Handoff's
# (the agreement's [scoring] rules, stg_lead_scores).
SCORES = {"crm": "the CRM's score", "handoff": "Handoff's score"}


def scores_available(db: Database) -> list[str]:
    """The scores there are to judge: the CRM's when some lead has one, Handoff's when the
    agreement has a [scoring] section; the CRM's first."""
    row = db.run("score_sources").iloc[0]
    return [k for k in SCORES if row[f"has_{k}_score"]]


def scoring_gaps(db: Database) -> list[str]:
    """The agreement's fit rules on attributes the data does not have, said naming each."""
    database = getattr(db, "database", db)  # the page's cached database wraps the Database
    return missing_scoring_attributes(db.agreement, database.attributes)


def score_calibration(db: Database, filters: Filters, score_by: str = "crm") -> dict[str, Any]:
    """Does the score predict conversion: rates by band, the ROC area, the thresholds. The
    agreement's score bands are for the CRM's score; Handoff's is banded by deciles."""
    starts = list(db.agreement.score_bands or []) if score_by == "crm" else []
    bands = run(db, "score_bands", filters, band_starts=starts or None, score_by=score_by)
    bands = stats.add_rate(bands, "n_sql", "n_leads", "sql")
    bands = stats.add_rate(bands, "n_won", "n_leads", "won")
    return {
        "bands": bands,
        "auc": run(db, "score_auc", filters, score_by=score_by),
        "thresholds": run(db, "score_thresholds", filters, score_by=score_by),
    }


def score_auc_side_by_side(db: Database, filters: Filters, scores: list[str]) -> pd.DataFrame:
    """The ROC areas of each score there is, one row per score × outcome ('sql', 'won')."""
    frames = [run(db, "score_auc", filters, score_by=k).assign(score_by=k) for k in scores]
    return pd.concat(frames, ignore_index=True)


def score_what_if(
    db: Database, filters: Filters, threshold: float, score_by: str = "crm"
) -> dict[str, int]:
    """What sales would have received at another MQL threshold of the score."""
    row = run(db, "score_what_if", filters, threshold=threshold, score_by=score_by).iloc[0]
    return {key: int(value) for key, value in row.items()}


def score_rule_contributions(db: Database, filters: Filters) -> pd.DataFrame:
    """Each scoring rule's points given to the period's MQLs that converted and to those that
    did not (empty without a [scoring] section)."""
    scoring = db.agreement.scoring
    return run(
        db,
        "score_rule_contributions",
        filters,
        fit_rule_names=[r.name for r in scoring.fit] if scoring else [],
        engagement_rule_names=[r.name for r in scoring.engagement] if scoring else [],
    )


def quality(db: Database, filters: Filters) -> dict[str, Any]:
    """The quality page's numbers for `metrics --json`: by source and by campaign, and the
    score's calibration."""
    calibration = score_calibration(db, filters)
    threshold = db.agreement.score_threshold
    return {
        "counting": counting(filters)["counts"],
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
        **({"handoff_score": handoff_score(db, filters)} if db.agreement.scoring else {}),
    }


def handoff_score(db: Database, filters: Filters) -> dict[str, Any]:
    """Handoff's score for `metrics --json`: its calibration and each rule's contribution."""
    calibration = score_calibration(db, filters, "handoff")
    return {
        "bands": records(calibration["bands"]),
        "auc": records(calibration["auc"]),
        "thresholds": records(calibration["thresholds"]),
        "rule_contributions": records(score_rule_contributions(db, filters)),
    }


def _within_sla(row: dict[str, Any]) -> dict[str, Any]:
    """A follow-up summary row with its judged count and % within SLA (met / (met + breached))
    and the 95% interval; all None without follow-up data."""
    if row["n_met"] is None:
        return {**row, "n_judged": None, "within_sla_rate": None}
    judged = row["n_met"] + row["n_breached"]
    low, high = stats.wilson(row["n_met"], judged)
    return {
        **row,
        "n_judged": judged,
        "within_sla_rate": round(row["n_met"] / judged, 6) if judged else None,
        "within_sla_low": None if math.isnan(low) else round(low, 6),
        "within_sla_high": None if math.isnan(high) else round(high, 6),
    }


def hand_overs(db: Database, filters: Filters, grain: str = "month") -> dict[str, Any]:
    """Hand-overs and their follow-up counts for the period, the one before and the trend's
    months (or weeks), overall and per source, from one query (follow_up_summary): marketing's
    volume and sales' follow-up, headline and line alike. Each overall row has its judged count
    and % within SLA."""
    periods, months, index = headline_periods(filters, grain)
    rows = records(
        run(db, "follow_up_summary", filters, periods=periods, columns={"group_1": "source"})
    )
    overall = {r["period_index"]: _within_sla(r) for r in rows if r["group_1"] is None}
    by_source: dict[str, dict[int, int]] = {}
    for r in rows:
        if r["group_1"] is not None:
            by_source.setdefault(r["group_1"], {})[r["period_index"]] = r["n_handed_over"]

    def at(period: Period) -> int:
        return index[(period.start, period.end)]

    before = filters.period.previous()
    return {
        "has_follow_up_data": bool(overall[1]["has_follow_up_data"]),
        "current": overall[at(filters.period)],
        "previous": overall[at(before)],
        "trend": [{**overall[at(p)], "start": p.start.isoformat()} for p in months],
        "by_source": {
            source: {
                "current": counts.get(at(filters.period), 0),
                "previous": counts.get(at(before), 0),
                "trend": [counts.get(at(p), 0) for p in months],
            }
            for source, counts in by_source.items()
        },
    }


def follow_up_summary(db: Database, filters: Filters) -> dict[str, Any]:
    """The follow-up headline for the period and the one before: hand-overs, % within SLA with
    its counts and interval, the kinds of breach, pending ones, latency quantiles."""
    counts = hand_overs(db, filters)
    current, previous, _ = headline_and_trend(db, "follow_up_latency", filters)
    return {
        # The rule of the version in force on the period's last day (each lead is judged by its
        # own version's, in stg_leads).
        "target_hours": targets.judging(db.agreement, filters.period).follow_up_target_hours,
        "clock": targets.judging(db.agreement, filters.period).follow_up_clock,
        "has_follow_up_data": counts["has_follow_up_data"],
        "current": {**counts["current"], **_latency(current)},
        "previous": {**counts["previous"], **_latency(previous)},
    }


def _latency(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("period_index", "group_1", "start")}


def follow_up_trend(db: Database, filters: Filters, grain: str = "month") -> list[dict]:
    """The follow-up counts and latency for each month (or week) of the trend, oldest first."""
    counts = hand_overs(db, filters, grain)["trend"]
    latency = trend(db, "follow_up_latency", filters, grain)
    return [{**c, **_latency(lat)} for c, lat in zip(counts, latency, strict=True)]


def follow_up_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Follow-up per owner, team or source in the period, with % within SLA and its interval:
    the same counts (follow_up_summary) and latency (follow_up_latency) as the headline, per
    group."""
    groups = {"group_1": by}
    counts = run(db, "follow_up_summary", filters, columns=groups)
    counts = counts[counts["group_1"].notna()].drop(columns=["period_index", "has_follow_up_data"])
    latency = run(db, "follow_up_latency", filters, columns=groups).drop(columns="period_index")
    frame = counts.merge(latency, on="group_1", how="left")
    frame = frame.sort_values(["n_handed_over", "group_1"], ascending=[False, True])
    frame = frame.reset_index(drop=True)
    frame["n_judged"] = frame["n_met"] + frame["n_breached"]
    return stats.add_rate(frame, "n_met", "n_judged", "within_sla")


def follow_up_cost(db: Database, filters: Filters) -> pd.DataFrame:
    """SQL and win rates by how fast the lead was followed up, with intervals."""
    frame = run(db, "follow_up_cost", filters)
    frame = stats.add_rate(frame, "n_sql", "n_leads", "sql")
    return stats.add_rate(frame, "n_won", "n_leads", "won")


def follow_up(db: Database, filters: Filters) -> dict[str, Any]:
    """The follow-up page's numbers for `metrics --json`."""
    summary = follow_up_summary(db, filters)
    if not summary["has_follow_up_data"]:
        # Nothing to judge: every list and breakdown would be empty or zero.
        return {"summary": summary, "note": "no follow-up data"}
    return {
        "summary": summary,
        "by_owner": records(follow_up_by_group(db, filters, "owner")),
        "by_team": records(follow_up_by_group(db, filters, "team")),
        "by_source": records(follow_up_by_group(db, filters, "source")),
        "cost_of_slow_follow_up": records(follow_up_cost(db, filters)),
        "breaches": records(
            run(db, "follow_up_breaches", filters, limit=1000).drop(columns=["n_total", "n_open"])
        ),
    }


def _against_targets(row: dict[str, Any], agreement: Agreement, period: Period) -> dict[str, Any]:
    """A discard summary row with acceptance and discard rates, intervals, met or missed against
    the period's targets (targets.period_target: each version's, by its days)."""
    out = dict(row)
    for key, k in (("acceptance", "n_accepted"), ("discard", "n_discarded")):
        n = row["n_mql"]
        low, high = stats.wilson(row[k], n)
        out[f"{key}_rate"] = round(row[k] / n, 6) if n else None
        out[f"{key}_low"] = None if math.isnan(low) else round(low, 6)
        out[f"{key}_high"] = None if math.isnan(high) else round(high, 6)
    floor, ceiling = _discard_targets(agreement, period)
    rate = out["acceptance_rate"]
    out["acceptance_met"] = None if rate is None else rate >= floor
    rate = out["discard_rate"]
    out["discard_met"] = None if rate is None else rate <= ceiling
    return out


def _discard_targets(agreement: Agreement, period: Period) -> tuple[float, float]:
    spans = targets.versions_in_force(agreement, period)
    floor = targets.period_target(spans, lambda a: a.min_acceptance_rate, "rate")[0]
    ceiling = targets.period_target(spans, lambda a: a.max_discard_rate, "rate")[0]
    return floor, ceiling


def discard_summary(db: Database, filters: Filters) -> dict[str, Any]:
    """Acceptance and discard rates of the period's MQLs against the agreement, with counts,
    intervals, the previous period and met/missed; and the disposition of every MQL."""
    agreement, period = db.agreement, filters.period
    current, previous, _ = headline_and_trend(db, "discard_summary", filters)
    floor, ceiling = _discard_targets(agreement, period)
    return {
        "mqls": counting(filters)["mqls"],
        "min_acceptance_rate": floor,
        "max_discard_rate": ceiling,
        "current": _against_targets(current, agreement, period),
        "previous": _against_targets(previous, agreement, period.previous()),
    }


def discard_trend(db: Database, filters: Filters) -> list[dict[str, Any]]:
    """discard_summary for each month of the trend, oldest first, each against its own month's
    targets."""
    rows = trend(db, "discard_summary", filters)
    months = trend_periods(filters)
    return [
        _against_targets(row, db.agreement, month) for row, month in zip(rows, months, strict=True)
    ]


def discard_by_group(db: Database, filters: Filters, by: str) -> pd.DataFrame:
    """Acceptance and discard rates per group, with intervals."""
    frame = run(db, "discard_by_group", filters, columns={"group_1": by})
    frame = stats.add_rate(frame, "n_accepted", "n_mql", "acceptance")
    return stats.add_rate(frame, "n_discarded", "n_mql", "discard")


def discards(db: Database, filters: Filters) -> dict[str, Any]:
    """The discards page's numbers for `metrics --json`."""
    return {
        "summary": discard_summary(db, filters),
        "by_source": records(discard_by_group(db, filters, "source")),
        "by_campaign": records(discard_by_group(db, filters, "campaign")),
        "by_owner": records(discard_by_group(db, filters, "owner")),
        "by_team": records(discard_by_group(db, filters, "team")),
        "reasons": records(run(db, "discard_reasons", filters, group=None)),
        "dispositions": records(run(db, "dispositions", filters)),
        "recycling": records(run(db, "recycling", filters)),
        "slipping": records(
            run(db, "slipping_leads", filters, limit=1000).drop(columns=["n_total"])
        ),
        "without_reason": records(
            run(db, "discarded_leads", filters, reason=NO_REASON, group=None, limit=1000).drop(
                columns=["n_total"]
            )
        ),
    }


# A discard without a reason, as discard_reasons and discarded_leads name it (stg_leads).
NO_REASON = "(no reason given)"


# Marketing's support after hand-over: the rates of support_after_handover, each of its counts.
# (name, numerator, denominator)
SUPPORT_RATES = (
    ("supported", "n_supported", "n_handed_over"),
    ("sql_supported", "n_sql_supported", "n_supported"),
    ("sql_unsupported", "n_sql_unsupported", "n_unsupported"),
    ("won_supported", "n_won_supported", "n_supported"),
    ("won_unsupported", "n_won_unsupported", "n_unsupported"),
)
SUPPORT_CAUTION = (
    "This shows association, not cause: a lead that stays open longer has more time to receive "
    "touches, and marketing may touch the leads that already look promising, so supported leads "
    "can convert more (or less) often without the touches making the difference."
)


def support_after_handover(db: Database, filters: Filters) -> pd.DataFrame:
    """The period's hand-overs overall, by source and by furthest stage: how many marketing kept
    touching after the hand-over (within the agreement's support window, while still open),
    and the SQL and win rates of those with and without such touches, with intervals. The
    supported counts and rates are NULL without touch data."""
    frame = run(
        db,
        "support_after_handover",
        filters,
        window_days=float(db.agreement.support_window_days),
    )
    for name, k, n in SUPPORT_RATES:
        frame = stats.add_rate(frame, k, n, name)
    return frame


def support(db: Database, filters: Filters) -> dict[str, Any]:
    """Marketing's support after hand-over for `metrics --json`: overall, by source, by stage."""
    frame = support_after_handover(db, filters)
    rows = records(frame.drop(columns="has_touch_data"))
    overall = next(r for r in rows if r["breakdown"] == "all")
    out: dict[str, Any] = {
        "handed_over": counting(filters)["handed_over"],
        "window_days": float(db.agreement.support_window_days),
        "has_touch_data": bool(frame["has_touch_data"].iloc[0]),
        "overall": {k: v for k, v in overall.items() if k not in ("breakdown", "group_name")},
        "by_source": [r for r in rows if r["breakdown"] == "source"],
        # The furthest stage at the data's end, in the agreement's words beside its key.
        "by_stage": [
            {**r, "stage": db.agreement.stage_labels.get(r["group_name"], r["group_name"])}
            for r in rows
            if r["breakdown"] == "stage"
        ],
        "caution": SUPPORT_CAUTION,
    }
    if not out["has_touch_data"]:
        out["note"] = "no touch data"
    return out
