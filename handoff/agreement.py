"""The agreement: the definitions and service levels sales and marketing signed.

It lives in `data/agreement.toml`, is parsed with tomllib into a typed, validated `Agreement`, and
feeds every metric (time zone, MQL rule, follow-up clock and target, step time limits, targets,
goals, attribution settings). A malformed file raises `AgreementError` naming the key.

The business clock's holidays are either listed date by date or named as a calendar (a country and
region of the `holidays` package, with days added or removed), expanded here into dates.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import re
import tomllib
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import Any

import holidays as holidays_package
from holidays import registry as holidays_registry

from handoff import zones
from handoff.contract import LEADS, STAGES

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STEPS = ("lead_to_mql", "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_won")
CLOCKS = ("calendar", "business")
# The teams that may have words of their own for a stage (`stages.aliases`' table form).
TEAMS = ("sales", "marketing")
# The years a holiday calendar is expanded for. Fixed, so an agreement means the same whatever
# data it meets: the business calendar spans the data's days and 400 days after its end, and
# Handoff's exports start after 2000. Expanding all 51 years costs about 10 ms per load.
HOLIDAY_YEARS = range(2000, 2051)
HOLIDAY_TABLE_KEYS = ("country", "subdivision", "extra", "remove", "observed")


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
        'a list of dates like 2026-12-25, or a table like { country = "US", subdivision = '
        '"NY", extra = [2026-12-24] }',
        False,
        "Days the business clock stops: the dates listed, or a country's public holidays from "
        "the `holidays` package for 2000–2050 (`country`: a code like US or DE; optional "
        "`subdivision`: a state or region code like NY or BE; `extra`: dates added; `remove`: "
        "the package's dates the teams work on; `observed`: false to leave out the weekday a "
        "weekend holiday is moved to, true by default)",
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
    Key(
        "support.window_days",
        "a positive number of days",
        False,
        "Marketing's support after hand-over: a handed-over lead counts as supported when "
        "marketing touched it within this many days after the hand-over, while it was still "
        "open (default 30)",
    ),
    # Lead scoring computed by Handoff (issue 18, item 4): see `Scoring` below.
    Key(
        "scoring.fit",
        "a list of tables, each with attribute, points and one of equals, in or between "
        "(name optional)",
        False,
        "Fit rules: a lead whose attribute (a column of the export the contract does not name, or "
        "source, campaign, owner, team) equals a value, is one of a list (case and spaces "
        "ignored) or lies in a range of numbers (both ends included) gets the points; a rule on an "
        "attribute the data lacks gives none, and the Quality page says so",
    ),
    Key(
        "scoring.engagement",
        "a list of tables, each with touch_type or activity_type, points, and optionally "
        "within_days, half_life_days and name",
        False,
        "Engagement rules: points for every touch or sales activity of that type (case and spaces "
        "ignored) strictly before the lead's hand-over, or the data's end for a lead never handed "
        "over (only within_days before it when given; halved every half_life_days of age when "
        "given)",
    ),
    Key("scoring.fit_cap", "a positive number", False, "The most fit points a lead can have"),
    Key(
        "scoring.engagement_cap",
        "a positive number",
        False,
        "The most engagement points a lead can have",
    ),
    Key(
        "scoring.fit_grades",
        "a table of grade = minimum fit points",
        False,
        "Fit grades (e.g. A = 40, B = 20, C = 0): a lead has the grade with the highest minimum "
        "its fit points reach, none below every minimum",
    ),
    Key(
        "scoring.engagement_grades",
        "a table of grade = minimum engagement points",
        False,
        "Engagement grades (e.g. 1 = 30, 2 = 10, 3 = 0), read as the fit grades; with both, "
        "a lead's grade is the two side by side (A1)",
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
    # Each team's own words for a stage (issue 18, item 2): shown beside the agreed label.
    Key(
        "stages.aliases",
        "a table of stage = list of words, or of stage = { sales = words, marketing = words } "
        '(a word or a list of words each), like { sal = { sales = "accepted", marketing = '
        '"SAL" }, opportunity = ["deal"] }',
        False,
        "Other words the teams use for a stage: a list is words both teams use, a table says "
        "which team says what (sales may say “accepted” for SAL); shown beside the agreed label "
        "and in the glossary; each word names one stage",
    ),
    # Every lead list links to the lead's CRM record (issue 21, item 3): the team's CRM address.
    Key(
        "crm_url",
        "an http or https address holding {lead_id} once (an example below the table)",
        False,
        "The address of a lead's record in the CRM: each lead list links to it, the lead's id "
        "(URL-quoted) in place of {lead_id}",
    ),
)
KEYS_BY_PATH = {k.path: k for k in KEYS}
CRM_PLACEHOLDER = "{lead_id}"  # where crm_url takes the lead's id
_TABLE_VALUES = {"mql_goal.by_source", "business_hours.holidays"}  # keys whose value is a table
_TABLE_VALUES |= {"scoring.fit_grades", "scoring.engagement_grades"}  # grade names are free text
_TABLE_VALUES |= {"stages.aliases"}  # stage -> its other words


@dataclass(frozen=True)
class HolidayCalendar:
    """Where the holidays come from when the agreement names a calendar, not dates."""

    country: str
    subdivision: str | None = None
    extra: tuple[dt.date, ...] = ()
    remove: tuple[dt.date, ...] = ()
    observed: bool = True

    def package_dates(self) -> dict[dt.date, str]:
        """The package's holidays for HOLIDAY_YEARS, by date, with their names."""
        return dict(_package_dates(self.country, self.subdivision, self.observed))

    def dates(self) -> tuple[dt.date, ...]:
        """The package's holidays, less the removed days, plus the extra ones."""
        return tuple(sorted((set(self.package_dates()) - set(self.remove)) | set(self.extra)))

    def source(self) -> str:
        """The package's part, in words: 'US (NY) public holidays from the holidays package'."""
        where = self.country + (f" ({self.subdivision})" if self.subdivision else "")
        return f"{where} public holidays from the holidays package"

    def describe(self) -> str:
        """Where the holidays come from, in words, with the days added and removed."""
        text = self.source()
        if not self.observed:
            text += " (not moved off weekends)"
        if self.extra:
            text += f", plus {_days(len(self.extra), 'extra')}"
        if self.remove:
            text += f", less {_days(len(self.remove), 'worked')}"
        return text


@functools.cache  # an agreement is parsed on every page run; the package's answer never changes
def _package_dates(
    country: str, subdivision: str | None, observed: bool
) -> tuple[tuple[dt.date, str], ...]:
    found = holidays_package.country_holidays(
        country, subdiv=subdivision, years=HOLIDAY_YEARS, observed=observed
    )
    return tuple(sorted(found.items()))


def _as_date(item: Any) -> dt.date | None:
    """A TOML date, or text like "2026-12-24", as a date; None for anything else."""
    if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
        return item
    if isinstance(item, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
        try:
            return dt.date.fromisoformat(item)
        except ValueError:
            return None
    return None


def _days(n: int, kind: str) -> str:
    return f"{n} {kind} day" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class BusinessHours:
    opens: dt.time
    closes: dt.time
    working_days: tuple[int, ...]  # 0 = Monday, as datetime.weekday()
    holidays: tuple[dt.date, ...]  # every day off, a calendar's expanded over HOLIDAY_YEARS
    calendar: HolidayCalendar | None = None  # where they come from, when not listed

    def holiday_names(self) -> dict[dt.date, str]:
        """Every holiday with its name: the package's, 'extra day' or 'listed'."""
        if self.calendar is None:
            return dict.fromkeys(self.holidays, "listed")
        names = self.calendar.package_dates()
        return {d: names.get(d, "extra day") for d in self.holidays}

    def describe_holidays(self) -> str:
        """Where the days off come from, in words."""
        if self.calendar is None:
            return f"{len(self.holidays)} listed holidays"
        return self.calendar.describe()

    def holidays_in(self, years: range) -> list[dict[str, str]]:
        """The holidays that fall in `years`, one row each: date, weekday, name."""
        return [
            {"date": day.isoformat(), "day": WEEKDAYS[day.weekday()], "holiday": name}
            for day, name in self.holiday_names().items()
            if day.year in years
        ]

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
    support_window_days: float = 30  # marketing's support after hand-over counts this long
    scoring: Scoring | None = None  # lead scoring computed by Handoff, when the section exists
    revenue_goal: RevenueGoal | None = None
    stage_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # stage -> words
    # stage -> team ('sales', 'marketing') -> that team's own words, from the table form only.
    team_terms: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    crm_url: str | None = None  # a lead's CRM record, {lead_id} in place of its id
    # Every version of the file, oldest first; this agreement is the latest's (see `Version`).
    history: tuple[Version, ...] = ()

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def versions(self) -> tuple[Version, ...]:
        """Every version, oldest first (one for a file without changes)."""
        return self.history or (Version(1, self.agreed_on, "", "", (), self),)

    @property
    def version(self) -> Version:
        """The latest version: the one in force from its date on, and for every reading key."""
        return self.versions[-1]

    def version_on(self, day: dt.date) -> Version:
        """The version in force on a local day; the first one before it took effect too."""
        return next(v for v in reversed(self.versions) if v.number == 1 or v.effective_on <= day)

    def in_force(self, first_day: dt.date, last_day: dt.date) -> list[Span]:
        """The versions in force over the local days first_day..last_day, one span each."""
        spans = []
        for n, v in enumerate(self.versions):
            starts = first_day if v.number == 1 else max(first_day, v.effective_on)
            later = self.versions[n + 1 :]
            ends = (
                min(last_day, later[0].effective_on - dt.timedelta(days=1)) if later else last_day
            )
            if starts <= ends:
                spans.append(Span(v, starts, ends))
        return spans


# The keys a version may change that judge each period by the version in force; every other key
# says how the data is read (stage labels, time limits, attribution window, score bands, the
# revenue goal) and is the latest version's for every period.
JUDGED_PREFIXES = ("follow_up.", "business_hours.", "mql_rule.score_threshold", "targets.",
                   "mql_goal.", "scoring.")  # fmt: skip
# Keys no version may change: the time zone moves every day boundary of the history.
FIXED_KEYS = ("time_zone", "agreed_on")
CHANGE_FIELDS = ("effective_on", "changed_by", "reason", "unset")


@dataclass(frozen=True)
class Change:
    """One key a version changed: its value before (None: not set) and after (None: unset)."""

    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Version:
    """One dated version of the agreement. Version 1 is the file's top-level keys, in force from
    `agreed_on` (and for anything before it); each `[[change]]` makes the next, in force from its
    `effective_on` (local midnight in the agreement's time zone) until the next one."""

    number: int
    effective_on: dt.date
    changed_by: str
    reason: str
    changes: tuple[Change, ...]
    agreement: Agreement  # this version's values (its own history empty)

    @property
    def label(self) -> str:
        return f"version {self.number} (from {self.effective_on:%-d %b %Y})"


@dataclass(frozen=True)
class Span:
    """The local days of a period that one version judged."""

    version: Version
    first_day: dt.date
    last_day: dt.date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


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
    changes = raw.pop("change", [])
    if not isinstance(changes, list) or any(not isinstance(c, dict) for c in changes):
        raise AgreementError(f"{source}: 'change' must be [[change]] tables, got {changes!r}")
    values = _flatten(raw, source)
    first = _from_values(values, source)
    history = [Version(1, first.agreed_on, "", "", (), first)]
    for n, change in enumerate(changes, start=2):
        before, values = values, _apply_change(values, change, history[-1], n, source)
        where = f"{source}, change {n - 1} (version {n})"
        version = Version(
            n,
            change["effective_on"],
            _change_text(change, "changed_by", where),
            _change_text(change, "reason", where),
            _changes(before, values),
            _from_values(values, where),
        )
        history.append(version)
    latest = history[-1].agreement
    return dataclass_replace(latest, history=tuple(history)) if changes else latest


def _apply_change(
    values: dict[str, Any], change: dict[str, Any], before: Version, n: int, source: str
) -> dict[str, Any]:
    """The flat values of version n: version n-1's with the change's keys set and its `unset`
    keys (or whole sections) removed. Lists and tables are replaced whole, never merged."""
    where = f"{source}, change {n - 1} (version {n})"
    effective = change.get("effective_on")
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise AgreementError(f"{where}: 'effective_on' must be a date like 2026-07-01, got "
                             f"{effective!r}")  # fmt: skip
    if effective <= before.effective_on:
        raise AgreementError(
            f"{where}: effective_on {effective} overlaps {before.label}: each change must take "
            f"effect after the version before it ({before.effective_on}), so that exactly one "
            "version is in force on every day"
        )
    keys = {k: v for k, v in change.items() if k not in CHANGE_FIELDS}
    if not keys and not change.get("unset"):
        raise AgreementError(f"{where}: the change changes no key")
    changed = _flatten(keys, where)
    for key in FIXED_KEYS:
        if key in changed:
            raise AgreementError(
                f"{where}: '{key}' cannot change in a version: it fixes every day boundary of "
                "the history (start a new agreement file instead)"
            )
    unset = change.get("unset", [])
    if not isinstance(unset, list) or any(not isinstance(u, str) for u in unset):
        raise AgreementError(f"{where}: 'unset' must be a list of keys, got {unset!r}")
    out = dict(values)
    for name in unset:
        gone = [k for k in out if k == name or k.startswith(name + ".")]
        required = [k for k in gone if KEYS_BY_PATH.get(k) and KEYS_BY_PATH[k].required]
        if not gone:
            raise AgreementError(f"{where}: 'unset' names '{name}', which version {n - 1} "
                                 "does not set")  # fmt: skip
        if required:
            raise AgreementError(f"{where}: 'unset' cannot remove required key '{required[0]}'")
        for k in gone:
            del out[k]
    for key, value in changed.items():
        for k in [k for k in out if k.startswith(key + ".")]:
            del out[k]  # a table given whole replaces the one before
        out[key] = value
    return out


def _change_text(change: dict[str, Any], name: str, where: str) -> str:
    value = change.get(name)
    if not isinstance(value, str) or not value.strip():
        what = "who agreed the change" if name == "changed_by" else "why it changed"
        raise AgreementError(f"{where}: '{name}' must say {what}, got {value!r}")
    return value.strip()


def _changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[Change, ...]:
    """What a version changed, key by key, from the flat values of it and the one before."""
    keys = sorted(set(old) | set(new), key=_key_order)
    return tuple(Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def _key_order(key: str) -> tuple[int, str]:
    paths = [k.path for k in KEYS]
    return (paths.index(key) if key in paths else len(paths), key)


def _from_values(values: dict[str, Any], source: str) -> Agreement:
    """The agreement of one version's flat values, every key validated."""
    for key in KEYS:
        if key.required and key.path not in values:
            raise AgreementError(f"{source}: missing key '{key.path}' (expected {key.expected})")
    v = _Validator(values, source)
    calendar = v.holiday_calendar("business_hours.holidays")
    bh = BusinessHours(
        opens=v.time("business_hours.opens"),
        closes=v.time("business_hours.closes"),
        working_days=v.weekdays("business_hours.working_days"),
        holidays=v.dates("business_hours.holidays") if calendar is None else calendar.dates(),
        calendar=calendar,
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
        support_window_days=(
            v.positive("support.window_days") if "support.window_days" in values else 30
        ),
        scoring=_scoring(values, source),
        revenue_goal=v.revenue_goal(),
        stage_aliases=v.aliases("stages.aliases"),
        team_terms=v.team_terms("stages.aliases"),
        crm_url=v.crm_url("crm_url"),
    )


def _flatten(raw: dict[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in raw.items():
        path = f"{prefix}{name}"
        if path in _TABLE_VALUES:
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

    def crm_url(self, path: str) -> str | None:
        """A lead's CRM address: http(s), a host, and {lead_id} once, no other braces."""
        if path not in self.values:
            return None
        value = self.text(path)
        parts = urllib.parse.urlsplit(value)
        problem = None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problem = "it must start with https:// or http:// and a host"
        elif value.count(CRM_PLACEHOLDER) != 1:
            problem = f"it must hold {CRM_PLACEHOLDER} exactly once"
        elif re.search(r"[{}]", value.replace(CRM_PLACEHOLDER, "")):
            problem = f"{CRM_PLACEHOLDER} is its only placeholder"
        if problem:
            raise AgreementError(f"{self._bad(path, value)} ({problem})")
        return value

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

    def holiday_calendar(self, path: str) -> HolidayCalendar | None:
        """The holidays' calendar when the key holds a table, checked against the package."""
        table = self.values.get(path)
        if not isinstance(table, dict):
            return None

        def bad(name: str, problem: str) -> AgreementError:
            return AgreementError(f"{self.source}: '{path}.{name}' {problem}")

        unknown = sorted(set(table) - set(HOLIDAY_TABLE_KEYS))
        if unknown:
            raise AgreementError(
                f"{self.source}: unknown key '{path}.{unknown[0]}' (a holiday calendar holds "
                + ", ".join(HOLIDAY_TABLE_KEYS)
                + ")"
            )
        if "country" not in table:
            raise AgreementError(
                f"{self.source}: '{path}' as a table needs 'country', a code like US or DE"
            )
        supported = holidays_package.list_supported_countries()
        country = table["country"]
        if not isinstance(country, str):
            raise bad("country", f"must be a country code like US or DE, got {country!r}")
        if country not in supported:
            # Close codes, and the code of a country written out by name ("Germany": DE).
            names = {name.lower(): code for name, code, *_ in holidays_registry.COUNTRIES.values()}
            close = [
                *(
                    names[n]
                    for n in difflib.get_close_matches(country.lower(), names, n=2, cutoff=0.8)
                ),
                *difflib.get_close_matches(country.upper(), sorted(supported), n=5, cutoff=0.5),
            ]
            hint = f" (close: {', '.join(close)})" if close else ""
            raise bad("country", f"is not a country the holidays package knows: {country!r}{hint}")
        subdivision = table.get("subdivision")
        if subdivision is not None:
            entity = holidays_package.country_holidays(country, years=[])
            codes = tuple(entity.subdivisions)
            if not isinstance(subdivision, str):
                raise bad("subdivision", f"must be a region code like NY, got {subdivision!r}")
            aliases = getattr(entity, "subdivisions_aliases", {})
            if subdivision not in codes and subdivision not in aliases:
                valid = ", ".join(codes) if codes else f"none: {country} has no subdivisions"
                raise bad(
                    "subdivision", f"is not a region of {country}: {subdivision!r} (valid: {valid})"
                )
        observed = table.get("observed", True)
        if not isinstance(observed, bool):
            raise bad("observed", f"must be true or false, got {observed!r}")
        calendar = HolidayCalendar(
            country=country,
            subdivision=subdivision,
            extra=self._date_list(path, "extra", table.get("extra", [])),
            remove=self._date_list(path, "remove", table.get("remove", [])),
            observed=observed,
        )
        package_dates = calendar.package_dates()
        for day in calendar.remove:
            if day not in package_dates:
                raise bad("remove", f"lists {day}, which is not one of the {calendar.source()}")
        return calendar

    def _date_list(self, path: str, name: str, value: Any) -> tuple[dt.date, ...]:
        """A list of dates, written as TOML dates or as text like "2026-12-24"."""
        items = value if isinstance(value, list) else [value]
        days = [_as_date(item) if isinstance(value, list) else None for item in items]
        for item, day in zip(items, days, strict=True):
            if day is None:
                raise AgreementError(
                    f"{self.source}: '{path}.{name}' must be a list of dates like 2026-12-24, "
                    f"got {item!r}"
                )
        return tuple(sorted(set(days)))

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

    def _alias_words(self, path: str) -> dict[str, dict[str, list[str]]]:
        """`stages.aliases` as stage -> team -> words, checked for shape: a list is both
        teams' words (team ''), a table each team's own (TEAMS), a word or a list of words."""
        value = self.values.get(path, {})
        if not isinstance(value, dict):
            raise self._bad(path, value)

        def words_of(where: str, got: Any) -> list[str]:
            listed = [got] if isinstance(got, str) else got
            if (
                not isinstance(listed, list)
                or not listed
                or any(not isinstance(w, str) or not w.strip() for w in listed)
            ):
                raise AgreementError(
                    f"{self.source}: '{where}' must be a word or a list of words, got {got!r}"
                )
            return listed

        out: dict[str, dict[str, list[str]]] = {}
        for stage, got in value.items():
            where = f"{path}.{stage}"
            if isinstance(got, dict):
                unknown = [t for t in got if t not in TEAMS]
                if unknown:
                    raise AgreementError(
                        f"{self.source}: '{where}' names the team {unknown[0]!r}; a stage's "
                        f"table holds {' and '.join(TEAMS)}, each a word or a list of words"
                    )
                if not got:
                    raise self._bad(path, value)
                out[stage] = {t: words_of(f"{where}.{t}", got[t]) for t in TEAMS if t in got}
            elif isinstance(got, list) and got and all(isinstance(w, str) and w.strip()
                                                       for w in got):  # fmt: skip
                out[stage] = {"": got}
            else:
                raise self._bad(path, value)
        return out

    def team_terms(self, path: str) -> dict[str, dict[str, tuple[str, ...]]]:
        """Each team's own words per stage (the table form of `stages.aliases`), in STAGES
        order; checked by `aliases`."""
        return {
            stage: {t: tuple(dict.fromkeys(" ".join(w.split()) for w in ws)) for t, ws in teams}
            for stage in STAGES
            if (teams := [(t, w) for t, w in self._alias_words(path).get(stage, {}).items() if t])
        }

    def aliases(self, path: str) -> dict[str, tuple[str, ...]]:
        """Each stage's other words, whichever team says them: known stages only, each word
        (case and spaces ignored) for one stage and never another stage's label."""
        by_team = self._alias_words(path)
        value = {s: [w for ws in teams.values() for w in ws] for s, teams in by_team.items()}
        unknown = [s for s in value if s not in STAGES]
        if unknown:
            raise AgreementError(
                f"{self.source}: '{path}' names {unknown[0]!r}, which is not a stage (stages: "
                f"{', '.join(STAGES)})"
            )
        seen: dict[str, str] = {}
        labels = {
            str(self.values.get(f"stages.{s}", "")).strip().lower(): s
            for s in STAGES
            if f"stages.{s}" in self.values
        }
        for stage, words in value.items():
            for word in words:
                said = " ".join(word.split()).lower()
                other = seen.setdefault(said, stage)
                if other != stage:
                    raise AgreementError(
                        f"{self.source}: '{path}' gives {word.strip()!r} to both {other} and "
                        f"{stage}: each word names one stage"
                    )
                if labels.get(said, stage) != stage:
                    raise AgreementError(
                        f"{self.source}: '{path}' gives {word.strip()!r} to {stage}, but it is "
                        f"the agreed label of {labels[said]}"
                    )
        return {
            s: tuple(dict.fromkeys(" ".join(w.split()) for w in value[s]))
            for s in STAGES
            if value.get(s)
        }

    def goal_map(self, path: str) -> dict[str, float]:
        value = self.values.get(path, {})
        if not isinstance(value, dict) or any(
            isinstance(g, bool) or not isinstance(g, int | float) or g <= 0 for g in value.values()
        ):
            raise self._bad(path, value)
        return {str(k): float(g) for k, g in value.items()}


def holidays_in_words(a: Agreement, years: range) -> str:
    """Where the holidays come from and how many fall in `years` (the data's), in a sentence."""
    bh = a.business_hours
    if not years:
        return f"{bh.describe_holidays()}; no data loaded, so no years to list them for."
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}"
    unused = (
        ""
        if a.follow_up_clock == "business"
        else " (the follow-up target runs on the calendar clock: they change nothing)"
    )
    n = len(bh.holidays_in(years))
    return (
        f"{bh.describe_holidays()}: {n} in the data's years ({span}) stop the business "
        f"clock{unused}."
    )


def plain_language(a: Agreement) -> list[tuple[str, list[str]]]:
    """The agreement as sentences both teams can read, grouped by topic."""
    labels = a.stage_labels
    bh = a.business_hours
    days = ", ".join(WEEKDAYS[d] for d in bh.working_days)
    if a.follow_up_clock == "business":
        clock = (
            f"business hours: {bh.opens:%H:%M}–{bh.closes:%H:%M} on {days}, "
            f"{a.time_zone} time, except {bh.describe_holidays()}. A lead handed over "
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
                *aliases_language(a),
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
        (
            "Marketing's support after hand-over",
            [
                f"A handed-over {labels['mql']} counts as supported when marketing touches it "
                f"after the hand-over, within {a.support_window_days:g} days of it and while "
                "it is still open (not yet won, lost, discarded or recycled).",
                "The Quality page compares how often supported and other handed-over leads "
                "reach the later stages: an association, not a cause.",
            ],
        ),
        *scoring_language(a),
    ]


def aliases_language(a: Agreement) -> list[str]:
    """The teams' other words for the stages, as a sentence (none without `stages.aliases`)."""
    if not a.stage_aliases:
        return []
    said = "; ".join(
        f"{a.stage_labels[s]} is also called " + ", ".join(f"“{w}”" for w in words)
        for s, words in a.stage_aliases.items()
    )
    return [f"Other words the teams use: {said}."]


# ---- The glossary (issue 21, item 2): the words both teams use, in this agreement's terms -----

# The usual name of each stage, said beside the agreed label when the team calls it otherwise.
USUAL_NAMES = {
    "lead": "lead",
    "mql": "MQL (marketing-qualified lead)",
    "sal": "SAL (sales-accepted lead)",
    "sql": "SQL (sales-qualified lead)",
    "opportunity": "opportunity",
    "won": "won (closed won)",
}


@dataclass(frozen=True)
class Term:
    """One glossary entry: the team's word, the usual name when it differs, what each team
    says instead, and what it means under the agreement in force."""

    name: str
    meaning: str
    usual: str | None = None
    said: str | None = None  # "Sales says “accepted”; marketing says “SAL”."


def _a(label: str, capital: bool = False) -> str:
    """A label with its article: "an MQL", "a SAL", "an Inquiry" (an acronym by its letter's
    sound, a word by its first letter)."""
    first = label[:1]
    vowel = first in "AEFHILMNORSX" if label.isupper() else first.lower() in "aeiou"
    article = "an" if vowel else "a"
    return f"{article.capitalize() if capital else article} {label}"


def _hours(n: float) -> str:
    return f"{n:g} hour" + ("" if n == 1 else "s")


def _days_of(n: float) -> str:
    return f"{n:g} day" + ("" if n == 1 else "s")


def _said(a: Agreement, stage: str) -> str | None:
    """What each team says for a stage, from `stages.aliases`, in a sentence."""
    teams = a.team_terms.get(stage, {})
    quoted = {t: " or ".join(f"“{w}”" for w in ws) for t, ws in teams.items()}
    own = {w for ws in teams.values() for w in ws}
    shared = [w for w in a.stage_aliases.get(stage, ()) if w not in own]
    parts = [f"{t} says {quoted[t]}" for t in TEAMS if t in quoted]
    if shared:
        parts.append("both teams also say " + " or ".join(f"“{w}”" for w in shared))
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def glossary(a: Agreement) -> list[Term]:
    """The stages, exits and service-level words in business language, each with this
    agreement's own labels, numbers and each team's words (the Definitions page's first part)."""
    labels, limits, bh = a.stage_labels, a.time_limits_days, a.business_hours
    mql, sal = labels["mql"], labels["sal"]
    opportunity, won = labels["opportunity"], labels["won"]
    if a.score_threshold is None:
        becomes = (
            f"A lead becomes {_a(mql)} only when marketing hands it over to sales; the "
            "agreement has no score rule."
        )
    else:
        becomes = (
            f"A lead becomes {_a(mql)} when its score reaches {a.score_threshold:g} or "
            f"marketing hands it over (scored {a.score_threshold:g} or more and never handed "
            "over, it counts from the day it came in)."
        )
    if a.follow_up_clock == "business":
        days = ", ".join(WEEKDAYS[d] for d in bh.working_days)
        clock = (
            f"business hours ({bh.opens:%H:%M}–{bh.closes:%H:%M} on {days}, {a.time_zone} "
            "time, holidays excluded: a lead handed over at night waits for the next opening)"
        )
    else:
        clock = "hours around the clock (nights and weekends count)"
    floor = (
        f", and at least {a.min_within_sla_rate:.0%} of them in time"
        if a.min_within_sla_rate is not None
        else ""
    )
    target = _hours(a.follow_up_target_hours)
    stage_terms = [
        (
            "lead",
            "Someone who has shown interest (filled in a form, visited a stand, downloaded a "
            f"guide) and is in the CRM. Marketing works it; the agreement gives it "
            f"{_days_of(limits['lead_to_mql'])} to become {_a(mql)}.",
        ),
        (
            "mql",
            f"A lead marketing judges ready for sales. {becomes}",
        ),
        (
            "sal",
            f"{_a(mql, True)} sales has looked at and accepted as worth working. Sales "
            f"decides within {_days_of(limits['mql_to_sal'])} of the hand-over, and accepts at "
            f"least {a.min_acceptance_rate:.0%} of {mql}s.",
        ),
        (
            "sql",
            f"An accepted lead that sales, after talking to it, has qualified as a likely buyer; "
            f"within {_days_of(limits['sal_to_sql'])} of being accepted.",
        ),
        (
            "opportunity",
            f"A qualified lead with a deal open in the CRM, one sales is working to close; within "
            f"{_days_of(limits['sql_to_opportunity'])} of qualifying.",
        ),
        (
            "won",
            f"The deal was signed and its amount counts as won revenue; the agreement allows "
            f"{_days_of(limits['opportunity_to_won'])} from {opportunity} to {won}.",
        ),
    ]
    terms = [
        Term(
            labels[stage],
            meaning,
            usual=None if labels[stage].lower() == stage else USUAL_NAMES[stage],
            said=_said(a, stage),
        )
        for stage, meaning in stage_terms
    ]
    terms += [
        Term("Lost", "The deal closed without a sale."),
        Term(
            "Discarded",
            f"Sales rejected the lead as not worth working, and records why. At most "
            f"{a.max_discard_rate:.0%} of {mql}s are discarded; a discard without a reason "
            "counts as “(no reason given)”.",
        ),
        Term(
            "Recycled",
            "Sent back to marketing to nurture: not ready to buy now. Marketing may hand it over "
            "again later.",
        ),
        Term(
            "Hand-over",
            f"The moment a lead becomes {_a(mql)} and passes from marketing to sales: the "
            f"follow-up clock starts. A lead that reached {sal} or later without being marked as "
            "handed over was handed over at the latest then.",
        ),
        Term(
            "Follow-up",
            "Sales' first call, e-mail or meeting with the lead at or after the hand-over; "
            "anything before the hand-over does not count.",
        ),
        Term(
            "SLA (service-level agreement)",
            f"What both teams signed: sales follows up every {mql} within {target}, counted in "
            f"{clock}{floor}. Followed up within {target}, a lead has “met” the SLA; later, or "
            f"never and already past {target}, it has “breached” it; not yet followed up but "
            "still inside the target, it is “pending”.",
        ),
    ]
    return terms


def keys_markdown() -> str:
    """Every agreement key as the Markdown table the README shows."""
    lines = ["| key | required | expected | meaning |", "|---|---|---|---|"]
    for k in KEYS:
        lines.append(f"| `{k.path}` | {'yes' if k.required else 'no'} | {k.expected} | {k.doc} |")
    return "\n".join(lines)


# ---- Lead scoring computed by Handoff (issue 18, item 4) ----------------------------------------
# The agreement's `[scoring]` section: fit rules on lead attributes, engagement rules on touches
# and sales activities, caps and grades. The score itself is computed in SQL at staging
# (queries/staging/stg_lead_score_rules.sql, stg_lead_scores.sql).

FIT_TESTS = ("equals", "in", "between")
EVENT_KINDS = ("touch_type", "activity_type")
# Lead columns a fit rule may test besides the export's own attributes.
SCORED_LEAD_COLUMNS = ("source", "campaign", "owner", "team")
_CONTRACT_LEAD_COLUMNS = frozenset(LEADS.column_names) - set(SCORED_LEAD_COLUMNS)


@dataclass(frozen=True)
class FitRule:
    """Points for a lead whose attribute matches: one of `values`, or within [low, high]."""

    name: str
    attribute: str
    points: float
    values: tuple[str, ...] | None = None  # lower-cased and trimmed, as they are compared
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class EngagementRule:
    """Points for every touch or activity of a type before the lead's hand-over."""

    name: str
    event_source: str  # 'touch' or 'activity'
    event_type: str  # lower-cased and trimmed, as it is compared
    points: float
    within_days: float | None = None
    half_life_days: float | None = None


@dataclass(frozen=True)
class Scoring:
    """The agreed scoring rules, caps and grades (grades by descending minimum)."""

    fit: tuple[FitRule, ...]
    engagement: tuple[EngagementRule, ...]
    fit_cap: float | None
    engagement_cap: float | None
    fit_grades: tuple[tuple[str, float], ...]
    engagement_grades: tuple[tuple[str, float], ...]

    @property
    def attributes(self) -> tuple[str, ...]:
        """The lead attributes the fit rules read, each once."""
        return tuple(dict.fromkeys(r.attribute for r in self.fit))


def _scoring(values: dict[str, Any], source: str) -> Scoring | None:
    """The `[scoring]` section, validated; None when the agreement has none."""
    if not any(p.startswith("scoring.") for p in values):
        return None
    v = _Validator(values, source)

    def bad(path: str, n: int, problem: str) -> AgreementError:
        return AgreementError(f"{source}: '{path}' rule {n}: {problem}")

    def rules(path: str) -> list[tuple[int, dict[str, Any]]]:
        got = values.get(path, [])
        if not isinstance(got, list) or any(not isinstance(r, dict) for r in got):
            raise v._bad(path, got)
        return list(enumerate(got, start=1))

    def points(path: str, n: int, rule: dict[str, Any]) -> float:
        p = rule.get("points")
        if isinstance(p, bool) or not isinstance(p, int | float) or p == 0:
            raise bad(path, n, f"'points' must be a number other than 0, got {p!r}")
        return float(p)

    def days(path: str, n: int, rule: dict[str, Any], name: str) -> float | None:
        d = rule.get(name)
        if d is None:
            return None
        if isinstance(d, bool) or not isinstance(d, int | float) or d <= 0:
            raise bad(path, n, f"'{name}' must be a positive number of days, got {d!r}")
        return float(d)

    def text(path: str, n: int, rule: dict[str, Any], name: str) -> str:
        t = rule.get(name)
        if not isinstance(t, str) or not t.strip():
            raise bad(path, n, f"'{name}' must be text, got {t!r}")
        return t.strip()

    def value(path: str, n: int, x: Any) -> str:
        # CSV values are text: 50 and "50" are the same value; 50.5 would never match "50.5 "
        # once trimmed either way, so numbers are written as TOML shows them.
        if isinstance(x, bool) or not isinstance(x, str | int | float) or str(x).strip() == "":
            raise bad(path, n, f"a value to match must be text or a number, got {x!r}")
        return str(x).strip().lower()

    def unknown(path: str, n: int, rule: dict[str, Any], allowed: set[str]) -> None:
        extra = sorted(set(rule) - allowed)
        if extra:
            raise bad(path, n, f"unknown key {', '.join(repr(e) for e in extra)}")

    fit: list[FitRule] = []
    for n, rule in rules("scoring.fit"):
        unknown("scoring.fit", n, rule, {"name", "attribute", "points", *FIT_TESTS})
        attribute = text("scoring.fit", n, rule, "attribute")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", attribute):
            raise bad("scoring.fit", n, f"'attribute' must be a lead attribute, got {attribute!r}")
        if attribute in STAGES or attribute in _CONTRACT_LEAD_COLUMNS:
            raise bad(
                "scoring.fit",
                n,
                f"'{attribute}' is a column of the contract, not a lead attribute (fit rules "
                f"read the export's own attributes and {', '.join(SCORED_LEAD_COLUMNS)})",
            )
        tests = [t for t in FIT_TESTS if t in rule]
        if len(tests) != 1:
            raise bad("scoring.fit", n, "give exactly one of 'equals', 'in' or 'between'")
        kept: dict[str, Any] = {}
        if tests == ["equals"]:
            kept["values"] = (value("scoring.fit", n, rule["equals"]),)
        elif tests == ["in"]:
            listed = rule["in"]
            if not isinstance(listed, list) or not listed:
                raise bad("scoring.fit", n, f"'in' must be a list of values, got {listed!r}")
            kept["values"] = tuple(dict.fromkeys(value("scoring.fit", n, x) for x in listed))
        else:
            ends = rule["between"]
            if (
                not isinstance(ends, list)
                or len(ends) != 2
                or any(isinstance(e, bool) or not isinstance(e, int | float) for e in ends)
                or ends[0] > ends[1]
            ):
                raise bad(
                    "scoring.fit",
                    n,
                    f"'between' must be two numbers [low, high], low first, got {ends!r}",
                )
            kept["low"], kept["high"] = float(ends[0]), float(ends[1])
        label = rule.get("name") or _fit_label(attribute, rule, tests[0])
        fit.append(
            FitRule(
                name=text("scoring.fit", n, {"name": label}, "name"),
                attribute=attribute,
                points=points("scoring.fit", n, rule),
                **kept,
            )
        )
    engagement: list[EngagementRule] = []
    for n, rule in rules("scoring.engagement"):
        unknown(
            "scoring.engagement",
            n,
            rule,
            {"name", "points", "within_days", "half_life_days", *EVENT_KINDS},
        )
        kinds = [k for k in EVENT_KINDS if k in rule]
        if len(kinds) != 1:
            raise bad(
                "scoring.engagement", n, "give exactly one of 'touch_type' or 'activity_type'"
            )
        event_type = text("scoring.engagement", n, rule, kinds[0])
        within = days("scoring.engagement", n, rule, "within_days")
        half_life = days("scoring.engagement", n, rule, "half_life_days")
        label = rule.get("name") or (
            f"{kinds[0].removesuffix('_type')} {event_type}"
            + (f" within {within:g} days" if within else "")
            + (f", half-life {half_life:g} days" if half_life else "")
        )
        engagement.append(
            EngagementRule(
                name=text("scoring.engagement", n, {"name": label}, "name"),
                event_source=kinds[0].removesuffix("_type"),
                event_type=event_type.lower(),
                points=points("scoring.engagement", n, rule),
                within_days=within,
                half_life_days=half_life,
            )
        )
    if not fit and not engagement:
        raise AgreementError(
            f"{source}: '[scoring]' needs at least one rule in 'scoring.fit' or "
            "'scoring.engagement'"
        )
    names = [r.name for r in fit] + [r.name for r in engagement]
    twice = sorted({x for x in names if names.count(x) > 1})
    if twice:
        raise AgreementError(
            f"{source}: 'scoring' rules must have different names; {', '.join(twice)} is used "
            "twice (give each a 'name')"
        )
    return Scoring(
        fit=tuple(fit),
        engagement=tuple(engagement),
        fit_cap=v.positive("scoring.fit_cap") if "scoring.fit_cap" in values else None,
        engagement_cap=(
            v.positive("scoring.engagement_cap") if "scoring.engagement_cap" in values else None
        ),
        fit_grades=_grades(v, "scoring.fit_grades"),
        engagement_grades=_grades(v, "scoring.engagement_grades"),
    )


def _fit_label(attribute: str, rule: dict[str, Any], test: str) -> str:
    if test == "equals":
        return f"{attribute} = {rule['equals']}"
    if test == "in":
        return f"{attribute} in {', '.join(str(x) for x in rule['in'])}"
    low, high = rule["between"]
    return f"{attribute} {low:g}–{high:g}"


def _grades(v: _Validator, path: str) -> tuple[tuple[str, float], ...]:
    value = v.values.get(path, {})
    if (
        not isinstance(value, dict)
        or any(isinstance(m, bool) or not isinstance(m, int | float) for m in value.values())
        or len(set(value.values())) != len(value)
    ):
        raise AgreementError(
            f"{v.source}: '{path}' must be {KEYS_BY_PATH[path].expected}, each minimum different, "
            f"got {value!r}"
        )
    return tuple(sorted(((str(g), float(m)) for g, m in value.items()), key=lambda g: -g[1]))


def scoring_language(a: Agreement) -> list[tuple[str, list[str]]]:
    """The scoring section as sentences, for `plain_language` (nothing without one)."""
    s = a.scoring
    if s is None:
        return []
    lines = [
        "Handoff scores every lead as of its hand-over (or, never handed over, the data's end): "
        "only touches and sales activities strictly before that moment count, so the score is "
        "the one the lead was handed over with. Lead attributes are read as the export has them. "
        "The score is the fit points plus the engagement points, each capped where the agreement "
        "caps it, rounded to whole points.",
    ]
    lines += [f"Fit: {r.name}: {r.points:+g} points." for r in s.fit]
    for r in s.engagement:
        lines.append(
            f"Engagement: {r.name}: {r.points:+g} points for every {r.event_source} of type "
            f"“{r.event_type}”"
            + (f" in the {r.within_days:g} days before the hand-over" if r.within_days else "")
            + (
                f", halved for every {r.half_life_days:g} days of its age"
                if r.half_life_days
                else ""
            )
            + "."
        )
    if s.fit_cap is not None or s.engagement_cap is not None:
        lines.append(
            "At most "
            + " and ".join(
                f"{cap:g} {part} points"
                for part, cap in (("fit", s.fit_cap), ("engagement", s.engagement_cap))
                if cap is not None
            )
            + "."
        )
    for part, grades in (("Fit", s.fit_grades), ("Engagement", s.engagement_grades)):
        if grades:
            lines.append(
                f"{part} grades: " + ", ".join(f"{g} from {m:g} points" for g, m in grades) + "."
            )
    return [("Lead scoring", lines)]


# ---- Editing in the app (issue 18, item 2) -----------------------------------------------------


def latest_values(text: str, source: str = "agreement.toml") -> dict[str, Any]:
    """The latest version's flat values (key path -> value as the TOML gave it): what the editor
    fills its form with and diffs a draft against. Raises AgreementError as `parse` does."""
    agreement = parse(text, source)
    raw = tomllib.loads(text)
    changes = raw.pop("change", [])
    values = _flatten(raw, source)
    for n, change in enumerate(changes, start=2):
        values = _apply_change(values, change, agreement.versions[n - 2], n, source)
    return values
