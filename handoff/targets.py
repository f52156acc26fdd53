"""The agreement's targets for a period: which versions were in force over its days, and a
period's target when it spans a change (a goal by each version's share of the months, a rate
target weighted by days). One definition for the scorecard, the pages and `metrics --json`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from handoff.agreement import Agreement, Span
from handoff.filters import Period

_DAY = dt.timedelta(days=1)


def versions_in_force(agreement: Agreement, period: Period) -> list[Span]:
    """The agreement versions that judge the period's local days, one span each."""
    return agreement.in_force(period.start, period.end - dt.timedelta(days=1))


def span_json(span: Span) -> dict[str, Any]:
    """A span as `metrics --json` prints it."""
    v = span.version
    return {
        "version": v.number,
        "effective_on": v.effective_on.isoformat(),
        "first_day": span.first_day.isoformat(),
        "last_day": span.last_day.isoformat(),
        "days": span.days,
    }


def period_target(
    spans: list[Span], target_of: Callable[[Agreement], float | None], measure: str
) -> tuple[float | None, list[dict[str, Any]]]:
    """A period's target when each version in force over it judges its own days: a goal (count)
    is each version's monthly goal over its share of the period's months, added; a rate target is
    each version's weighted by its days. None when any version in force sets none. With the
    spans, each with its own part of the target."""
    parts: list[dict[str, Any]] = []
    for span in spans:
        target = target_of(span.version.agreement)
        own = target
        if measure == "count" and target is not None:
            target = target * Period("custom", span.first_day, span.last_day + _DAY).months
        parts.append({**span_json(span), "target": target, "agreed": own})
    targets = [p["target"] for p in parts]
    for p in parts:
        if measure == "count" and p["target"] is not None:
            p["target"] = round(p["target"], 1)
    if not parts or any(t is None for t in targets):
        return None, parts
    if measure == "count":
        return round(sum(targets), 1), parts
    if len(set(targets)) == 1:
        return targets[0], parts
    return sum(t * p["days"] for t, p in zip(targets, parts, strict=True)) / sum(
        p["days"] for p in parts
    ), parts


def judging(agreement: Agreement, period: Period) -> Agreement:
    """The version in force on the period's last day: the one whose rules head a page."""
    return versions_in_force(agreement, period)[-1].version.agreement
