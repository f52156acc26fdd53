"""The SLA scorecard: each team's commitments in the agreement, kept or not, and the plain summary
that opens the home page and the feedback-session report.

Marketing commits to a volume of MQLs (overall, and per source where the agreement sets it);
sales commits to following up in time, accepting enough MQLs and discarding few. Every value
here comes from the same functions as the pages and `metrics --json` (`handoff.metrics`), so the
scorecard, the pages, the report and the JSON cannot disagree; only the 12-month sparklines come
from their own query (by month of hand-over).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handoff import fmt, metrics
from handoff.db import Database
from handoff.filters import Filters

TREND_MONTHS = 12
# The page behind each commitment, for the links on the home page.
PAGES = {
    "mql_volume": "pages/quality.py",
    "follow_up": "pages/follow_up.py",
    "acceptance": "pages/discards.py",
    "discards": "pages/discards.py",
}


def scorecard(
    db: Database,
    filters: Filters,
    home: dict[str, Any] | None = None,
    follow_up: dict[str, Any] | None = None,
    discards: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every commitment: value, target, met or missed, the previous period, a 12-month trend.

    The pages' own summaries can be passed in when they are already computed.
    """
    agreement = db.agreement
    home = home or metrics.home(db, filters)
    follow = follow_up or metrics.follow_up_summary(db, filters)
    disc = discards or metrics.discard_summary(db, filters)
    params = metrics.trend_params(filters, agreement, TREND_MONTHS, counting=False)
    trend = db.run("commitments_trend", params)
    trend["month"] = [f"{m:%Y-%m}" for m in trend["month_start"]]
    months = _months(params["trend_start_at"].date(), filters.period.end)
    overall = trend[trend["source"].isna()].set_index("month")

    def series(frame, numerator: str, denominator: str | None = None) -> list[dict[str, Any]]:
        out = []
        for month in months:
            row = frame.loc[month] if month in frame.index else None
            n = int(row[numerator]) if row is not None else 0
            if denominator is None:
                value: float | None = n
            else:
                d = int(row[denominator]) if row is not None else 0
                value = n / d if d else None
            out.append({"month": month, "value": value})
        return out

    judged = overall.assign(n_judged=overall["n_met"] + overall["n_breached"])
    goal = home["mql_goal"]
    commitments = [
        _commitment(
            key="mql_volume",
            team="marketing",
            label="MQLs handed over",
            kind="count",
            value=goal["handed_over"],
            target=goal["goal"],
            direction="at least",
            previous=goal["previous_handed_over"],
            previous_target=goal["previous_goal"],
            trend=series(overall, "n_handed_over"),
            note=f"goal: {goal['scope']}",
            trend_target=goal["monthly_goal"],
        )
    ]
    for source, monthly in _source_goals(agreement, filters).items():
        counts = _by_source(db, filters).get(source, {})
        source_trend = trend[trend["source"] == source].set_index("month")
        commitments.append(
            _commitment(
                key=f"mql_volume:{source}",
                team="marketing",
                label=f"MQLs from {source}",
                kind="count",
                value=counts.get("current", 0),
                target=round(monthly * filters.period.months, 1),
                direction="at least",
                previous=counts.get("previous", 0),
                previous_target=round(monthly * filters.period.previous().months, 1),
                trend=series(source_trend, "n_handed_over"),
                note=f"goal: {monthly:,.0f} a month",
                trend_target=monthly,
            )
        )
    current, before = follow["current"], follow["previous"]
    commitments.append(
        _commitment(
            key="follow_up",
            team="sales",
            label=f"Followed up within {agreement.follow_up_target_hours:g} "
            f"{'business ' if agreement.follow_up_clock == 'business' else ''}hours",
            short_label="Followed up in time",
            kind="rate",
            value=current["within_sla_rate"],
            numerator=current["n_met"],
            denominator=current["n_judged"],
            target=agreement.min_within_sla_rate,
            direction="at least",
            previous=before["within_sla_rate"],
            previous_target=agreement.min_within_sla_rate,
            trend=series(judged, "n_met", "n_judged"),
            note=f"{fmt.count(current['n_pending'])} still pending"
            if current.get("n_pending")
            else "",
        )
    )
    now, then = disc["current"], disc["previous"]
    commitments.append(
        _commitment(
            key="acceptance",
            team="sales",
            label="MQLs accepted by sales",
            kind="rate",
            value=now["acceptance_rate"],
            numerator=now["n_accepted"],
            denominator=now["n_mql"],
            target=agreement.min_acceptance_rate,
            direction="at least",
            previous=then["acceptance_rate"],
            previous_target=agreement.min_acceptance_rate,
            trend=series(overall, "n_accepted", "n_handed_over"),
        )
    )
    commitments.append(
        _commitment(
            key="discards",
            team="sales",
            label="MQLs discarded",
            kind="rate",
            value=now["discard_rate"],
            numerator=now["n_discarded"],
            denominator=now["n_mql"],
            target=agreement.max_discard_rate,
            direction="at most",
            previous=then["discard_rate"],
            previous_target=agreement.max_discard_rate,
            trend=series(overall, "n_discarded", "n_handed_over"),
        )
    )
    return {
        "period": filters.period.label,
        "previous_period": filters.period.previous().label,
        "trend_months": months,
        "commitments": commitments,
        "funnel": {key: home[key] for key, _, _ in metrics.SCORECARD},
    }


def _months(first: dt.date, end: dt.date) -> list[str]:
    """'YYYY-MM' from the month of `first` to the month holding the day before `end`."""
    out, year, month = [], first.year, first.month
    last = end - dt.timedelta(days=1)
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _commitment(
    *,
    key: str,
    team: str,
    label: str,
    kind: str,
    value: float | None,
    target: float | None,
    direction: str,
    previous: float | None,
    previous_target: float | None,
    trend: list[dict[str, Any]],
    numerator: int | None = None,
    denominator: int | None = None,
    note: str = "",
    trend_target: float | None = None,
    short_label: str | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "team": team,
        "label": label,
        "short_label": short_label or label,
        "kind": kind,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "target": target,
        "direction": direction,
        "is_met": _met(value, target, direction),
        "previous": previous,
        "previous_is_met": _met(previous, previous_target, direction),
        "trend": trend,
        # The target of one month of the trend: the monthly goal, or the rate itself.
        "trend_target": trend_target if kind == "count" else target,
        "page": PAGES[key.partition(":")[0]],
        "note": note,
    }


def _met(value: float | None, target: float | None, direction: str) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if direction == "at least" else value <= target


def _source_goals(agreement, filters: Filters) -> dict[str, float]:
    """The per-source MQL goals that apply to the filters' scope."""
    if filters.campaigns or filters.owners or filters.teams or filters.attributes:
        return {}
    goals = agreement.mql_goal_by_source
    if filters.sources:
        return {s: goals[s] for s in filters.sources if s in goals}
    return dict(goals)


def _by_source(db: Database, filters: Filters) -> dict[str, dict[str, int]]:
    frame = db.run("mqls_by_source", _period_params(filters, db))
    out: dict[str, dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        out.setdefault(row.source, {})[row.period] = int(row.n_handed_over)
    return out


def _period_params(filters: Filters, db: Database) -> dict[str, Any]:
    return metrics.query_params(filters, db.agreement, previous=True, counting=False)


# --- The plain summary ------------------------------------------------------------------------


def said(c: dict[str, Any]) -> str:
    """A commitment's value as the summary says it: "412 MQLs" or "88% (412 of 468)"."""
    if c["value"] is None:
        return "no data"
    if c["kind"] == "count":
        return fmt.count(c["value"])
    # One decimal: 69.6% reads as under a 70% target, where "70%" would not.
    shown = fmt.rate(c["value"], 1)
    return f"{shown} ({fmt.count(c['numerator'])} of {fmt.count(c['denominator'])})"


def target_said(c: dict[str, Any]) -> str:
    if c["target"] is None:
        return "no target agreed"
    shown = fmt.count(c["target"]) if c["kind"] == "count" else fmt.rate(c["target"])
    return f"{c['direction']} {shown}"


def summary(data: dict[str, Any]) -> list[str]:
    """Sentences from the numbers, for the top of the home page and the report.

    `data` is what `metrics --json` prints (at least `scorecard`; `discards`, `follow_up` and
    `attribution` add sentences when present).
    """
    card = data["scorecard"]
    by_key = {c["key"]: c for c in card["commitments"]}
    out = []
    volume = by_key["mql_volume"]
    if volume["target"]:
        gap = volume["value"] / volume["target"] - 1
        how = (
            f"{fmt.rate(abs(gap))} {'over' if gap >= 0 else 'under'} the goal of "
            f"{fmt.count(volume['target'])}"
        )
    else:
        how = "with no goal for this selection"
    out.append(f"Marketing handed over {fmt.count(volume['value'])} MQLs, {how}.")
    misses = [
        c["label"].removeprefix("MQLs from ")
        for c in card["commitments"]
        if c["key"].startswith("mql_volume:") and c["is_met"] is False
    ]
    if misses:
        out.append(f"Below their MQL goal: {', '.join(misses)}.")
    follow = by_key["follow_up"]
    if follow["value"] is not None:
        within = follow["label"].removeprefix("Followed up ")
        out.append(f"Sales followed up {said(follow)} of MQLs {within}{_verdict(follow)}.")
    accept, discard = by_key["acceptance"], by_key["discards"]
    if accept["value"] is not None:
        out.append(
            f"Sales accepted {said(accept)} of the MQLs{_verdict(accept)}, and discarded "
            f"{said(discard)}{_verdict(discard)}."
        )
    out += _outliers(data)
    funnel = card["funnel"]
    out.append(
        f"Of {fmt.count(funnel['leads']['value'])} leads, {fmt.count(funnel['mqls']['value'])} "
        f"became MQLs and {fmt.count(funnel['won']['value'])} were won "
        f"({fmt.usd(funnel['won_revenue_usd']['value'])})."
    )
    reading = (data.get("attribution") or {}).get("won", {}).get("reading") or []
    if reading:
        out.append(reading[0])
    actions = _actions(data)
    if actions:
        out.append("To act on: " + "; ".join(actions) + ".")
    return out


def _verdict(c: dict[str, Any]) -> str:
    if c["is_met"] is None:
        return ""
    shown = fmt.count(c["target"]) if c["kind"] == "count" else fmt.rate(c["target"])
    if c["is_met"]:
        return f", within the target ({c['direction']} {shown})"
    word = "below" if c["direction"] == "at least" else "above"
    return f", {word} the {shown} target"


def _outliers(data: dict[str, Any]) -> list[str]:
    """The source discarded most often, where that is more than chance."""
    discards = data.get("discards")
    if not discards:
        return []
    overall = discards["summary"]["current"]["discard_rate"]
    if not overall:
        return []
    rows = [
        r
        for r in discards["by_source"]
        if r.get("n_mql", 0) >= 20
        and r.get("discard_low") is not None
        and r["discard_low"] > overall
    ]
    if not rows:
        return []
    worst = max(rows, key=lambda r: r["discard_rate"])
    ratio = worst["discard_rate"] / overall
    return [
        f"{worst['group_1']} leads were discarded at {ratio:.1f}× the average rate "
        f"({fmt.rate(worst['discard_rate'])} of {fmt.count(worst['n_mql'])} MQLs against "
        f"{fmt.rate(overall)})."
    ]


def _actions(data: dict[str, Any]) -> list[str]:
    out = []
    follow = data.get("follow_up")
    if follow:
        n_open = follow["summary"]["current"]["n_open_breaches"]
        if n_open:
            out.append(f"{fmt.plural(n_open, 'MQL')} still waiting past the follow-up target")
    discards = data.get("discards")
    if discards:
        current = discards["summary"]["current"]
        if current["n_slipping"]:
            out.append(f"{fmt.plural(current['n_slipping'], 'lead')} slipping through the cracks")
        if current["n_discarded_no_reason"]:
            out.append(
                f"{fmt.plural(current['n_discarded_no_reason'], 'discard')} without a reason"
            )
    return out
