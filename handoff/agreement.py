"""The agreement: the definitions and service levels sales and marketing signed.

It lives in `data/agreement.toml`, is parsed with tomllib into a typed, validated `Agreement`, and
feeds every metric (time zone, MQL rule, follow-up clock and target, step time limits, targets,
goals, attribution settings). A malformed file raises `AgreementError` naming the key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff import zones
from handoff.contract import STAGES

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STEPS = ("lead_to_mql", "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_won")
CLOCKS = ("calendar", "business")


class AgreementError(ValueError):
    """The agreement file is missing, unreadable or has a bad key or value."""


@dataclass(frozen=True)
class Key:
    """One documented key of the agreement file."""

    path: str
    expected: str  # what a valid value looks like, for error messages and the docs
    required: bool
    doc: str


# Every key the file may hold. The parser rejects anything else; the README and the Definitions
# page are checked against this list.
KEYS: tuple[Key, ...] = (
    Key("name", "text", True, "Name of the agreement"),
    Key("agreed_on", "a date like 2026-01-15", True, "Date both teams signed it"),
    Key(
        "time_zone",
        "an IANA time zone like Europe/Berlin",
        True,
        "Time zone for periods, months and the business clock; timestamps without an offset are "
        "read in it",
    ),
    *(Key(f"stages.{s}", "text", True, f"What both teams call the `{s}` stage") for s in STAGES),
    Key(
        "mql_rule.score_threshold",
        "a number",
        False,
        "A lead scored at or above it with no `mql_at` counts as an MQL from its creation",
    ),
    Key(
        "mql_rule.score_bands",
        "a list of increasing numbers",
        False,
        "Where the score bands of the calibration start (score deciles when absent)",
    ),
    Key("follow_up.target_hours", "a positive number of hours", True, "Follow-up target after MQL"),
    Key("follow_up.clock", "'calendar' or 'business'", True, "Which clock the target runs on"),
    Key(
        "follow_up.min_within_sla_rate",
        "a rate between 0 and 1",
        False,
        "Floor for the share of MQLs followed up within the target (met / (met + breached)); "
        "without it the scorecard shows the share but judges nothing",
    ),
    Key(
        "follow_up.stale_after_days",
        "a positive number of days",
        True,
        "An active lead with no sales activity for longer is slipping through the cracks",
    ),
    Key("business_hours.opens", "a time like 09:00", True, "Start of the working day"),
    Key("business_hours.closes", "a time like 17:30, after opens", True, "End of the working day"),
    Key(
        "business_hours.working_days",
        "a list of Mon, Tue, Wed, Thu, Fri, Sat, Sun",
        True,
        "Days the business clock runs",
    ),
    Key(
        "business_hours.holidays",
        "a list of dates like 2026-12-25",
        False,
        "Days the business clock stops",
    ),
    *(
        Key(
            f"time_limits_days.{step}",
            "a positive number of days",
            True,
            f"Time allowed for the step {step.replace('_to_', ' → ')}; younger cohorts are "
            "immature for it",
        )
        for step in STEPS
    ),
    Key(
        "targets.min_acceptance_rate",
        "a rate between 0 and 1",
        True,
        "Floor for SAL / MQL",
    ),
    Key("targets.max_discard_rate", "a rate between 0 and 1", True, "Ceiling for discarded / MQL"),
    Key("mql_goal.per_month", "a positive number", True, "Marketing's monthly MQL volume goal"),
    Key(
        "mql_goal.by_source",
        "a table of source = positive number",
        False,
        "Monthly MQL goal per source",
    ),
    Key(
        "attribution.lookback_days",
        "a positive number of days",
        True,
        "Touches this long before the conversion earn credit",
    ),
    Key(
        "attribution.half_life_days",
        "a positive number of days",
        True,
        "Time-decay model: a touch's weight halves every half-life before the conversion",
    ),
    # The revenue goal the MQL goal is worked back from (optional: without the section nothing
    # is worked back). One of per_month or per_quarter.
    Key(
        "revenue_goal.per_month",
        "a positive amount in USD",
        False,
        "Sales' won-revenue goal per month; the MQLs it needs are worked back from the team's "
        "own mature rates (not with per_quarter)",
    ),
    Key(
        "revenue_goal.per_quarter",
        "a positive amount in USD",
        False,
        "Sales' won-revenue goal per quarter, instead of per_month",
    ),
    Key(
        "revenue_goal.window_months",
        "a whole number of months from 1 to 36",
        False,
        "How many of the latest months mature for MQL → won the rates, deal sizes and cycle "
        "times are learnt from (default 6)",
    ),
)
KEYS_BY_PATH = {k.path: k for k in KEYS}
_MAP_KEYS = {"mql_goal.by_source"}


@dataclass(frozen=True)
class BusinessHours:
    opens: dt.time
    closes: dt.time
    working_days: tuple[int, ...]  # 0 = Monday, as datetime.weekday()
    holidays: tuple[dt.date, ...]

    @property
    def hours_per_day(self) -> float:
        return (
            dt.datetime.combine(dt.date.min, self.closes)
            - dt.datetime.combine(dt.date.min, self.opens)
        ).total_seconds() / 3600


@dataclass(frozen=True)
class RevenueGoal:
    """Sales' revenue goal, per month or per quarter, and the months to learn the rates from."""

    period: str  # 'month' or 'quarter'
    usd: float  # the goal for one such period
    window_months: int = 6

    @property
    def per_month_usd(self) -> float:
        return self.usd / 3 if self.period == "quarter" else self.usd


@dataclass(frozen=True)
class Agreement:
    """The parsed, validated agreement."""

    name: str
    agreed_on: dt.date
    time_zone: str
    stage_labels: dict[str, str]
    score_threshold: float | None
    score_bands: tuple[float, ...] | None
    follow_up_target_hours: float
    follow_up_clock: str
    stale_after_days: float
    business_hours: BusinessHours
    time_limits_days: dict[str, float]
    min_acceptance_rate: float
    max_discard_rate: float
    mql_goal_per_month: float
    min_within_sla_rate: float | None = None
    mql_goal_by_source: dict[str, float] = field(default_factory=dict)
    lookback_days: float = 90
    half_life_days: float = 7
    revenue_goal: RevenueGoal | None = None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def load(path: str | Path) -> Agreement:
    """Read and validate an agreement file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgreementError(f"{path}: cannot read the agreement file ({exc.strerror})") from exc
    return parse(text, source=str(path))


def parse(text: str, source: str = "agreement.toml") -> Agreement:
    """Parse agreement TOML text; every problem names the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgreementError(f"{source}: not valid TOML: {exc}") from exc
    values = _flatten(raw, source)
    for key in KEYS:
        if key.required and key.path not in values:
            raise AgreementError(f"{source}: missing key '{key.path}' (expected {key.expected})")
    v = _Validator(values, source)
    bh = BusinessHours(
        opens=v.time("business_hours.opens"),
        closes=v.time("business_hours.closes"),
        working_days=v.weekdays("business_hours.working_days"),
        holidays=v.dates("business_hours.holidays"),
    )
    if bh.closes <= bh.opens:
        raise AgreementError(
            f"{source}: 'business_hours.closes' must be after 'business_hours.opens'"
        )
    return Agreement(
        name=v.text("name"),
        agreed_on=v.date("agreed_on"),
        time_zone=v.time_zone("time_zone"),
        stage_labels={s: v.text(f"stages.{s}") for s in STAGES},
        score_threshold=v.number("mql_rule.score_threshold", optional=True),
        score_bands=v.increasing("mql_rule.score_bands"),
        follow_up_target_hours=v.positive("follow_up.target_hours"),
        follow_up_clock=v.choice("follow_up.clock", CLOCKS),
        stale_after_days=v.positive("follow_up.stale_after_days"),
        business_hours=bh,
        time_limits_days={s: v.positive(f"time_limits_days.{s}") for s in STEPS},
        min_acceptance_rate=v.rate("targets.min_acceptance_rate"),
        min_within_sla_rate=v.rate("follow_up.min_within_sla_rate", optional=True),
        max_discard_rate=v.rate("targets.max_discard_rate"),
        mql_goal_per_month=v.positive("mql_goal.per_month"),
        mql_goal_by_source=v.goal_map("mql_goal.by_source"),
        lookback_days=v.positive("attribution.lookback_days"),
        half_life_days=v.positive("attribution.half_life_days"),
        revenue_goal=v.revenue_goal(),
    )


def _flatten(raw: dict[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in raw.items():
        path = f"{prefix}{name}"
        if path in _MAP_KEYS:
            out[path] = value
        elif isinstance(value, dict):
            if not any(k.path.startswith(path + ".") for k in KEYS):
                raise AgreementError(f"{source}: unknown section '{path}'")
            out.update(_flatten(value, source, path + "."))
        elif path in KEYS_BY_PATH:
            out[path] = value
        else:
            raise AgreementError(f"{source}: unknown key '{path}'")
    return out


class _Validator:
    def __init__(self, values: dict[str, Any], source: str):
        self.values = values
        self.source = source

    def _bad(self, path: str, got: Any) -> AgreementError:
        return AgreementError(
            f"{self.source}: '{path}' must be {KEYS_BY_PATH[path].expected}, got {got!r}"
        )

    def text(self, path: str) -> str:
        value = self.values[path]
        if not isinstance(value, str) or not value.strip():
            raise self._bad(path, value)
        return value.strip()

    def date(self, path: str) -> dt.date:
        value = self.values[path]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise self._bad(path, value)

    def time_zone(self, path: str) -> str:
        value = self.text(path)
        if zones.problem(value) is not None:  # one DuckDB converts, not only zoneinfo opens
            raise self._bad(path, value)
        return value

    def number(self, path: str, optional: bool = False) -> float | None:
        if path not in self.values and optional:
            return None
        value = self.values[path]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._bad(path, value)
        return float(value)

    def positive(self, path: str) -> float:
        value = self.number(path)
        if value is None or not value > 0:
            raise self._bad(path, self.values[path])
        return value

    def rate(self, path: str, optional: bool = False) -> float | None:
        if path not in self.values and optional:
            return None
        value = self.number(path)
        if value is None or not 0 <= value <= 1:
            raise self._bad(path, self.values[path])
        return value

    def choice(self, path: str, choices: tuple[str, ...]) -> str:
        value = self.values[path]
        if value not in choices:
            raise self._bad(path, value)
        return value

    def time(self, path: str) -> dt.time:
        value = self.values[path]
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value):
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                pass
        raise self._bad(path, value)

    def weekdays(self, path: str) -> tuple[int, ...]:
        value = self.values[path]
        if (
            not isinstance(value, list)
            or not value
            or any(d not in WEEKDAYS for d in value)
            or len(set(value)) != len(value)
        ):
            raise self._bad(path, value)
        return tuple(sorted(WEEKDAYS.index(d) for d in value))

    def increasing(self, path: str) -> tuple[float, ...] | None:
        if path not in self.values:
            return None
        value = self.values[path]
        if (
            not isinstance(value, list)
            or not value
            or any(isinstance(x, bool) or not isinstance(x, int | float) for x in value)
            or any(b <= a for a, b in itertools.pairwise(value))
        ):
            raise self._bad(path, value)
        return tuple(float(x) for x in value)

    def dates(self, path: str) -> tuple[dt.date, ...]:
        value = self.values.get(path, [])
        if not isinstance(value, list) or any(
            not isinstance(d, dt.date) or isinstance(d, dt.datetime) for d in value
        ):
            raise self._bad(path, value)
        return tuple(sorted(set(value)))

    def revenue_goal(self) -> RevenueGoal | None:
        given = [p for p in self.values if p.startswith("revenue_goal.")]
        if not given:
            return None
        goals = [p for p in ("revenue_goal.per_month", "revenue_goal.per_quarter") if p in given]
        if len(goals) != 1:
            raise AgreementError(
                f"{self.source}: the [revenue_goal] section needs exactly one of "
                f"'revenue_goal.per_month' and 'revenue_goal.per_quarter', got "
                f"{', '.join(repr(g) for g in goals) or 'neither'}"
            )
        path = "revenue_goal.window_months"
        window = self.values.get(path, 6)
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 36:
            raise self._bad(path, window)
        return RevenueGoal(
            period=goals[0].rpartition("_")[2],
            usd=self.positive(goals[0]),
            window_months=window,
        )

    def goal_map(self, path: str) -> dict[str, float]:
        value = self.values.get(path, {})
        if not isinstance(value, dict) or any(
            isinstance(g, bool) or not isinstance(g, int | float) or g <= 0 for g in value.values()
        ):
            raise self._bad(path, value)
        return {str(k): float(g) for k, g in value.items()}


def plain_language(a: Agreement) -> list[tuple[str, list[str]]]:
    """The agreement as sentences both teams can read, grouped by topic."""
    labels = a.stage_labels
    bh = a.business_hours
    days = ", ".join(WEEKDAYS[d] for d in bh.working_days)
    if a.follow_up_clock == "business":
        clock = (
            f"business hours: {bh.opens:%H:%M}–{bh.closes:%H:%M} on {days}, "
            f"{a.time_zone} time, except {len(bh.holidays)} listed holidays. A lead handed over "
            "outside those hours starts its clock at the next opening"
        )
    else:
        clock = "calendar hours, around the clock, nights and weekends included"
    mql_rule = (
        f"A lead scored {a.score_threshold:g} or more counts as an MQL from the moment it was "
        "created, even when nobody stamped it."
        if a.score_threshold is not None
        else "Only leads stamped with an MQL date count as MQLs; there is no score rule."
    )
    bands = (
        "Score bands for checking the score start at "
        + ", ".join(f"{b:g}" for b in a.score_bands)
        + "."
        if a.score_bands
        else "The score is checked in deciles of its distribution."
    )
    step_names = {
        "lead_to_mql": f"{labels['lead']} → {labels['mql']}",
        "mql_to_sal": f"{labels['mql']} → {labels['sal']}",
        "sal_to_sql": f"{labels['sal']} → {labels['sql']}",
        "sql_to_opportunity": f"{labels['sql']} → {labels['opportunity']}",
        "opportunity_to_won": f"{labels['opportunity']} → {labels['won']}",
    }
    by_source = "".join(
        f" {src}: {goal:,.0f} a month." for src, goal in sorted(a.mql_goal_by_source.items())
    )
    return [
        (
            "The agreement",
            [
                f"“{a.name}”, agreed on {a.agreed_on:%d %B %Y}.",
                f"Days, weeks and months are counted in {a.time_zone} time; a timestamp without "
                "a time-zone offset is read as local time there.",
            ],
        ),
        (
            "Stages",
            [
                "A lead moves through "
                + " → ".join(f"{labels[s]}" for s in STAGES)
                + ". It can leave the funnel as lost, discarded, or recycled to marketing "
                "nurture.",
                "A lead has reached a stage when it has that stage's date or any later one "
                "(skipped stages count as passed). In strict order, only leads whose stage dates "
                "are all present and in order count.",
                mql_rule,
                bands,
            ],
        ),
        (
            "Follow-up",
            [
                f"Sales follows up every {labels['mql']} within "
                f"{a.follow_up_target_hours:g} hours, counted in {clock}"
                + (
                    f", at least {a.min_within_sla_rate:.0%} of them in time."
                    if a.min_within_sla_rate is not None
                    else "."
                ),
                "The first sales activity at or after the hand-over counts; activity before it "
                "does not. A lead followed up within the target has *met* the SLA; later, or "
                "never and already older than the target, it has *breached* it; never but still "
                "inside the target, it is *pending*. % within SLA = met / (met + breached).",
                "A breached lead still active (not won, lost, discarded or recycled) with no "
                "follow-up yet is *waiting past the target*: an open breach, to act on. A lead "
                "closed with no follow-up at all is *closed without follow-up*: breached, but no "
                "longer waiting. Without any sales activities or first-contact dates in the "
                "export, follow-up is not judged: “no follow-up data”, never 0%.",
                f"An active lead with no sales activity for {a.stale_after_days:g} days is "
                "slipping through the cracks.",
            ],
        ),
        (
            "Time allowed per step",
            [f"{step_names[s]}: {a.time_limits_days[s]:g} days." for s in STEPS]
            + [
                "A cohort younger than a step's time limit is immature for that step: its rate "
                "is marked and not compared with mature cohorts."
            ],
        ),
        (
            "How a period counts",
            [
                "A cohort is the leads created (or handed over) in the period and every stage "
                "they reached by the data's end; the flow is the stage entries dated in the "
                "period. Every page says which it counts.",
                "Won revenue of a cohort is what its leads have won so far, whenever the deals "
                "closed; revenue won in the period is the deals closed won in it, whoever's "
                "leads they are (what attribution credits). In the flow they are the same.",
                "A period is compared with the one before it: a month with the month before, a "
                "quarter with the quarter before, year to date with the same days a year "
                "earlier, any other range with the same number of days just before it.",
                "The win rate of closed opportunities is won / (won + lost); the "
                f"{labels['opportunity']} → {labels['won']} step also counts open ones.",
            ],
        ),
        (
            "Acceptance and discards",
            [
                f"Sales accepts at least {a.min_acceptance_rate:.0%} of MQLs "
                f"({labels['sal']} / {labels['mql']}).",
                f"Sales discards at most {a.max_discard_rate:.0%} of MQLs, and records why; a "
                "discard with no reason counts as “(no reason given)”.",
            ],
        ),
        (
            "Marketing's volume goal",
            [f"Marketing hands over {a.mql_goal_per_month:,.0f} MQLs a month.{by_source}"],
        ),
        (
            "Attribution",
            [
                f"Touches in the {a.lookback_days:g} days before a deal is won (or created, for "
                "open pipeline) share its credit.",
                f"In the time-decay model a touch's weight halves every {a.half_life_days:g} "
                "days before the conversion.",
            ],
        ),
    ]


def keys_markdown() -> str:
    """Every agreement key as the Markdown table the README shows."""
    lines = ["| key | required | expected | meaning |", "|---|---|---|---|"]
    for k in KEYS:
        lines.append(f"| `{k.path}` | {'yes' if k.required else 'no'} | {k.expected} | {k.doc} |")
    return "\n".join(lines)
