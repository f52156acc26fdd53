"""The SLA scorecard: each team's commitments in the agreement, kept or not, and the plain summary
that opens the home page and the feedback-session report.

Marketing commits to a volume of MQLs (overall, and per source where the agreement sets it);
sales commits to following up in time, accepting enough MQLs and discarding few. Every value
here comes from the same functions as the pages and `metrics --json` (`handoff.metrics`), and
each 12-month line from the same query as its headline, counted month by month: the scorecard,
the pages, the report and the JSON cannot disagree, and the line's last month is the headline
when the period is that month. Each commitment says what it counts (`counts`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from handoff import fmt, metrics, navigation
from handoff.agreement import Agreement
from handoff.db import Database
from handoff.filters import Filters
from handoff.targets import period_target, span_json, versions_in_force


@dataclass(frozen=True)
class TrendPoint:
    """One month of a commitment's 12-month line, counted as the headline is."""

    month: str  # YYYY-MM
    value: float | None


@dataclass(frozen=True)
class Commitment:
    """One commitment of a team: its value for the period, target and verdict, the period before
    and the 12-month line."""

    key: str  # "mql_volume", "mql_volume:<source>", "follow_up", "acceptance", "discards"
    team: str  # "marketing" or "sales"
    label: str
    short_label: str
    measure: str  # "count" or "rate": how the value and its target are shown
    counts: str  # what the value counts, in words
    in_data: bool
    value: float | None
    numerator: int | None
    denominator: int | None
    target: float | None
    direction: str  # "at least" or "at most"
    is_met: bool | None
    previous: float | None
    previous_is_met: bool | None
    trend: list[TrendPoint]
    # The target of one month of the trend: the monthly goal, or the rate itself.
    trend_target: float | None
    note: str
    # The agreement versions in force over the period, each with the days it judged and its
    # target for them (one entry unless the period spans a change).
    target_spans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_rate(self) -> bool:
        return self.measure == "rate"

    @property
    def targets_by_version(self) -> str:
        """Which target applied to which days, when the period spans a change of the agreement
        that changed this target ('' otherwise): the part of the note _with_spans wrote."""
        _, found, parts = self.note.partition(SPANS_A_CHANGE + " (")
        return parts.removesuffix(")") if found else ""

    def to_json(self) -> dict[str, Any]:
        """As `metrics --json` prints it: `measure` under its JSON name `kind`, and the page
        that explains it."""
        fields = dataclasses.asdict(self)
        fields["kind"] = fields.pop("measure")
        fields["page"] = navigation.see_why(self.key)
        return {name: fields[name] for name in _COMMITMENT_JSON}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Commitment:
        """The commitment `to_json` printed."""
        fields = {name: data[name] for name in _COMMITMENT_JSON if name not in ("kind", "page")}
        trend = [TrendPoint(**point) for point in data["trend"]]
        return cls(**{**fields, "measure": data["kind"], "trend": trend})


_COMMITMENT_JSON = (
    "key", "team", "label", "short_label", "kind", "counts", "in_data", "value", "numerator",
    "denominator", "target", "direction", "is_met", "previous", "previous_is_met", "trend",
    "trend_target", "page", "note", "target_spans",
)  # fmt: skip


@dataclass(frozen=True)
class Scorecard:
    """Every commitment for the period, with the funnel in one line and the deals won in it."""

    period: str
    previous_period: str
    counting: dict[str, str]  # metrics.counting
    trend_months: list[str]
    commitments: list[Commitment]
    funnel: dict[str, dict[str, Any]]  # metrics.home's stage counts, by key of metrics.SCORECARD
    won_in_period: dict[str, Any]  # metrics.won_in_period
    # The agreement versions in force over the period (versions_in_force), oldest first.
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def spans_a_change(self) -> bool:
        return len(self.versions) > 1

    def commitment(self, key: str) -> Commitment:
        return next(c for c in self.commitments if c.key == key)

    def of_team(self, team: str) -> list[Commitment]:
        return [c for c in self.commitments if c.team == team]

    def to_json(self) -> dict[str, Any]:
        """As `metrics --json` prints it."""
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {**fields, "commitments": [c.to_json() for c in self.commitments]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorecard:
        """The scorecard `to_json` printed."""
        commitments = [Commitment.from_json(c) for c in data["commitments"]]
        return cls(**{**data, "commitments": commitments})


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


def scorecard(
    db: Database,
    filters: Filters,
    discards: dict[str, Any] | None = None,
    home: dict[str, Any] | None = None,
) -> Scorecard:
    """Every commitment: value, target, met or missed, the previous period, a 12-month trend.

    Each headline, its previous period and its trend come from one query over all of those
    periods (metrics.headline_and_trend, metrics.hand_overs), so a month's point is the headline
    for that month. The pages' own summaries can be passed in when they are already computed.
    """
    agreement = db.agreement
    period, before = filters.period, filters.period.previous()
    words = metrics.counting(filters)
    volume = metrics.hand_overs(db, filters)
    disc = discards or metrics.discard_summary(db, filters)
    home = home or metrics.home(db, filters)
    follow_trend = volume["trend"]
    discard_trend = metrics.discard_trend(db, filters)
    months = [p.start.strftime("%Y-%m") for p in metrics.trend_periods(filters)]

    def series(rows: list[dict[str, Any]], key: str) -> list[TrendPoint]:
        return [TrendPoint(m, r[key]) for m, r in zip(months, rows, strict=True)]

    spans, spans_before = versions_in_force(agreement, period), versions_in_force(agreement, before)
    monthly, goal_scope = monthly_mql_goal(agreement, filters)
    # A partial month (year to date, custom dates) gets its share of the monthly goal by days,
    # and each version of the agreement its share of the period's.
    goal, goal_spans = period_target(spans, lambda a: monthly_mql_goal(a, filters)[0], "count")
    now, then = volume["current"], volume["previous"]
    commitments = [
        _commitment(
            key="mql_volume",
            team="marketing",
            label="MQLs handed over",
            measure="count",
            value=now["n_handed_over"],
            target=goal,
            direction="at least",
            previous=then["n_handed_over"],
            previous_target=period_target(
                spans_before, lambda a: monthly_mql_goal(a, filters)[0], "count"
            )[0],
            trend=series(follow_trend, "n_handed_over"),
            counts=words["handed_over"],
            note=_with_spans(f"goal: {goal_scope}", goal_spans, "count"),
            trend_target=monthly,
            target_spans=goal_spans,
        )
    ]
    absent = set(metrics.not_in_data(db)["source"])
    sources = dict.fromkeys(
        source for span in spans for source in _source_goals(span.version.agreement, filters)
    )
    for source in sources:
        counts = volume["by_source"].get(source, {"current": 0, "previous": 0, "trend": []})
        in_data = source not in absent

        def source_goal(a: Agreement, source: str = source) -> float | None:
            return _source_goals(a, filters).get(source)

        target, target_spans = period_target(spans, source_goal, "count")
        monthly_goal = source_goal(spans[-1].version.agreement)
        commitments.append(
            _commitment(
                key=f"mql_volume:{source}",
                team="marketing",
                label=f"MQLs from {source}",
                measure="count",
                value=counts["current"] if in_data else None,
                target=target,
                direction="at least",
                previous=counts["previous"] if in_data else None,
                previous_target=period_target(spans_before, source_goal, "count")[0],
                trend=[
                    TrendPoint(
                        m, (counts["trend"][n] if counts["trend"] else 0) if in_data else None
                    )
                    for n, m in enumerate(months)
                ],
                counts=f"MQLs from {source} handed over in {period.label}",
                note=_with_spans(
                    (f"goal: {monthly_goal:,.0f} a month" if monthly_goal is not None else "")
                    + ("" if in_data else f"; {source} is not in the data"),
                    target_spans,
                    "count",
                ),
                trend_target=monthly_goal,
                in_data=in_data,
                target_spans=target_spans,
            )
        )
    has_follow_up = volume["has_follow_up_data"]
    rules = list(dict.fromkeys(_follow_up_rule(s.version.agreement) for s in spans))
    sla, sla_spans = period_target(spans, lambda a: a.min_within_sla_rate, "rate")
    pending = f"{fmt.count(now['n_pending'])} still pending" if now["n_pending"] else ""
    rule_spans = [
        {**part, "rule": _follow_up_rule(span.version.agreement)}
        for part, span in zip(sla_spans, spans, strict=True)
    ]
    commitments.append(
        _commitment(
            key="follow_up",
            team="sales",
            label=(
                f"Followed up within {rules[0]}"
                if len(rules) == 1
                else "Followed up within the agreed hours"
            ),
            short_label="Followed up in time",
            measure="rate",
            value=now["within_sla_rate"],
            numerator=now["n_met"],
            denominator=now["n_judged"],
            target=sla,
            direction="at least",
            previous=then["within_sla_rate"],
            previous_target=period_target(spans_before, lambda a: a.min_within_sla_rate, "rate")[0],
            trend=series(follow_trend, "within_sla_rate"),
            counts=f"{words['handed_over']} that were due (met or breached; pending and invalid "
            "ones are not judged)",
            note=(
                "no follow-up data in the export"
                if not has_follow_up
                else _with_spans(pending, rule_spans, "rule" if len(rules) > 1 else "rate")
            ),
            target_spans=sla_spans,
        )
    )
    current, previous = disc["current"], disc["previous"]
    for key, label, k, rate, target_of, direction in (
        ("acceptance", "MQLs accepted by sales", "n_accepted", "acceptance_rate",
         lambda a: a.min_acceptance_rate, "at least"),
        ("discards", "MQLs discarded", "n_discarded", "discard_rate",
         lambda a: a.max_discard_rate, "at most"),
    ):  # fmt: skip
        target, target_spans = period_target(spans, target_of, "rate")
        commitments.append(
            _commitment(
                key=key,
                team="sales",
                label=label,
                measure="rate",
                value=current[rate],
                numerator=current[k],
                denominator=current["n_mql"],
                target=target,
                direction=direction,
                previous=previous[rate],
                previous_target=period_target(spans_before, target_of, "rate")[0],
                trend=series(discard_trend, rate),
                counts=words["mqls"],
                note=_with_spans("", target_spans, "rate"),
                target_spans=target_spans,
            )
        )
    return Scorecard(
        period=period.label,
        previous_period=before.label,
        counting=words,
        trend_months=months,
        commitments=commitments,
        funnel={key: home[key] for key, _, _ in metrics.SCORECARD},
        won_in_period=home["won_in_period"],
        versions=[span_json(s) for s in spans],
    )


def _follow_up_rule(a: Agreement) -> str:
    """The follow-up target in words: '8 business hours'."""
    clock = "business " if a.follow_up_clock == "business" else ""
    return f"{a.follow_up_target_hours:g} {clock}hours"


SPANS_A_CHANGE = "the period spans a change of the agreement"


def _with_spans(note: str, parts: list[dict[str, Any]], measure: str) -> str:
    """The note, and, when the period spans a change of the agreement, which target applied to
    which days: 'version 1 for 1–15 Mar 2026: 70%; version 2 for 16–31 Mar 2026: 50%'."""
    key = "rule" if measure == "rule" else "agreed"
    if len({p[key] for p in parts}) < 2:
        return note  # one version, or versions that agree on this target

    def days(p: dict[str, Any]) -> str:
        first, last = dt.date.fromisoformat(p["first_day"]), dt.date.fromisoformat(p["last_day"])
        return fmt.day_range(first, last)

    def target(p: dict[str, Any]) -> str:
        if measure == "rule":
            return p["rule"]
        if p["target"] is None:
            return "none set"
        return fmt.rate(p["target"]) if measure == "rate" else f"{p['target']:,.1f} MQLs"

    spans = "; ".join(f"version {p['version']} for {days(p)}: {target(p)}" for p in parts)
    text = f"{SPANS_A_CHANGE} ({spans})"
    return f"{note}; {text}" if note else text


def _month_count(trend: list[int], n: int) -> int:
    """A source's hand-overs in the trend's nth month: none where it handed over nothing."""
    return trend[n] if trend else 0


def _commitment(
    *,
    key: str,
    team: str,
    label: str,
    measure: str,
    value: float | None,
    target: float | None,
    direction: str,
    previous: float | None,
    previous_target: float | None,
    trend: list[TrendPoint],
    counts: str,
    numerator: int | None = None,
    denominator: int | None = None,
    note: str = "",
    trend_target: float | None = None,
    short_label: str | None = None,
    in_data: bool = True,
    target_spans: list[dict[str, Any]] | None = None,
) -> Commitment:
    return Commitment(
        key=key,
        team=team,
        label=label,
        short_label=short_label or label,
        measure=measure,
        counts=counts,
        in_data=in_data,
        value=value,
        numerator=numerator,
        denominator=denominator,
        target=target,
        direction=direction,
        is_met=_met(value, target, direction),
        previous=previous,
        previous_is_met=_met(previous, previous_target, direction),
        trend=trend,
        trend_target=trend_target if measure == "count" else target,
        note=note,
        target_spans=target_spans or [],
    )


def _met(value: float | None, target: float | None, direction: str) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if direction == "at least" else value <= target


def _source_goals(agreement: Agreement, filters: Filters) -> dict[str, float]:
    """The per-source MQL goals that apply to the filters' scope."""
    if filters.campaigns or filters.owners or filters.teams or filters.attributes:
        return {}
    goals = agreement.mql_goal_by_source
    if filters.sources:
        return {s: goals[s] for s in filters.sources if s in goals}
    return dict(goals)


# --- The plain summary ------------------------------------------------------------------------


def summary(card: Scorecard, data: dict[str, Any] | None = None) -> list[str]:
    """Sentences from the numbers, for the top of the home page and the report; each names
    what it counts.

    `data` holds sections of what `metrics --json` prints: `discards`, `follow_up` and
    `attribution` add sentences when present.
    """
    data = data or {}
    out = []
    volume = card.commitment("mql_volume")
    if volume.target:
        gap = volume.value / volume.target - 1
        how = (
            f"{fmt.rate(abs(gap))} {'over' if gap >= 0 else 'under'} the goal of "
            f"{fmt.count(volume.target)}"
        )
    else:
        how = "with no goal for this selection"
    out.append(f"Marketing handed over {fmt.plural(volume.value, 'MQL')} in {card.period}, {how}.")
    sources = [c for c in card.commitments if c.key.startswith("mql_volume:")]
    misses = [c.label.removeprefix("MQLs from ") for c in sources if c.is_met is False]
    if misses:
        out.append(f"Below their MQL goal: {', '.join(misses)}.")
    absent = [c.label.removeprefix("MQLs from ") for c in sources if not c.in_data]
    if absent:
        out.append(
            f"The agreement sets an MQL goal for {_and(absent)}, which the data does not have."
        )
    follow = card.commitment("follow_up")
    within = follow.label.removeprefix("Followed up ")
    if follow.value is not None:
        pending = data.get("follow_up", {}).get("summary", {}).get("current", {}).get("n_pending")
        out.append(
            f"Of the {fmt.plural(follow.denominator, 'MQL')} handed over in {card.period} "
            f"whose follow-up can be judged, sales followed up {fmt.count(follow.numerator)} "
            f"{within} ({fmt.rate(follow.value, 1)}){_verdict(follow)}"
            + (f"; {fmt.count(pending)} more still inside the target" if pending else "")
            + "."
        )
    elif follow.note.startswith("no follow-up data"):
        out.append(
            "The export has no follow-up data (no sales activities and no first-contact dates), "
            "so follow-up cannot be judged."
        )
    accept, discard = card.commitment("acceptance"), card.commitment("discards")
    if accept.value is not None:
        out.append(
            f"Of the {fmt.count(accept.denominator)} {accept.counts}, sales accepted "
            f"{fmt.count(accept.numerator)} ({fmt.rate(accept.value, 1)}){_verdict(accept)}"
            f", and discarded {fmt.count(discard.numerator)} "
            f"({fmt.rate(discard.value, 1)}){_verdict(discard)}."
        )
    out += _outliers(data)
    out.append(_funnel_sentence(card))
    reading = (data.get("attribution") or {}).get("won", {}).get("reading") or []
    if reading:
        out.append(reading[0])
    actions = _actions(data)
    if actions:
        out.append("To act on: " + "; ".join(actions) + ".")
    return out


def _funnel_sentence(card: Scorecard) -> str:
    """The funnel in one sentence, naming what it counts: a cohort and what it has won so far,
    or the period's stage entries; and the deals won in the period."""
    funnel, won = card.funnel, card.won_in_period
    worth = (
        f"for {fmt.usd(won['revenue_usd'])}" if won["revenue_usd"] is not None else "(no amounts)"
    )
    deals = (
        f"{fmt.plural(won['n_deals'], 'deal')} {worth} "
        f"{'was' if won['n_deals'] == 1 else 'were'} won in {card.period} (deals closed in it)"
    )
    revenue = funnel["won_revenue_usd"]
    won_worth = fmt.usd(revenue["value"]) if revenue["value"] is not None else revenue["note"]
    if card.counting["view"] == "flow":
        return (
            f"In {card.period}, {fmt.plural(funnel['leads']['value'], 'lead')} came in, "
            f"{fmt.count(funnel['mqls']['value'])} were handed over and "
            f"{fmt.count(funnel['won']['value'])} won for the first time; {deals}."
        )
    cohort = "created" if card.counting["view"] == "created" else "handed over"
    return (
        f"Of the {fmt.plural(funnel['leads']['value'], 'lead')} {cohort} in {card.period}, "
        f"{fmt.count(funnel['mqls']['value'])} became MQLs and "
        f"{fmt.count(funnel['won']['value'])} have been won so far "
        f"({won_worth}); {deals}."
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _verdict(c: Commitment) -> str:
    if c.is_met is None:
        return ""
    shown = fmt.rate(c.target) if c.is_rate else fmt.count(c.target)
    if c.is_met:
        return f", within the target ({c.direction} {shown})"
    word = "below" if c.direction == "at least" else "above"
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
            out.append(
                f"{fmt.plural(n_open, 'MQL')} still waiting past the follow-up target (active, "
                "no follow-up yet)"
            )
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
