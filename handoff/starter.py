"""A starter agreement made from the team's own data, for when the agreement in use does not fit it.

After importing an export whose sources (or owners, teams) the agreement in use does not name,
the team would be judged against another team's goals. `propose` writes an agreement from the
loaded data instead, as TOML text that `handoff.agreement.parse` accepts, each learnt number with
a comment saying where it came from:

- **Months.** A calendar month is *complete* when the leads cover all of it: the first lead was
  created on or before its first day and the last lead on or after its last day (the home page's
  "Last full month" counted back from the last lead's creation rather than the data's end, which
  an export's future-dated closes can put weeks later). Months are counted in the time zone of
  the agreement in use (the one the data was imported with), as the home page counts them.
- **MQL goals.** `mql_goal.per_month` = the median of the MQLs handed over in the last three
  complete months (queries/starter_counts.sql: the handed_over fragment, as the home page's
  "MQLs handed over"); with two or one complete months, the median of those (of two, their
  mean); with none, every MQL handed over in the data's whole span, said as such (not a monthly
  figure). `mql_goal.by_source`: the same for each source found, a month in which a source
  handed over nothing counting 0 for it. Goals are rounded half up to whole MQLs; a source whose
  goal rounds to 0 gets none (a goal must be at least 1), and neither does `(unknown)` (blank
  sources: nothing to aim at). A median of 0 overall is refused: no monthly goal can be learnt.
- **Targets.** `targets.min_acceptance_rate` = SAL / MQL and `targets.max_discard_rate` =
  discarded / MQL over the MQL cohorts (hand-over view, as the Discards page counts them) of the
  last three complete months that are mature for MQL → SAL: whose end lies at least the starter's
  `time_limits_days.mql_to_sal` (2 days) before the data's end, so every MQL has had the time to
  be accepted. Fewer such months: those there are; none: the whole span. Rates are pooled (all
  accepted / all MQLs of those months, not a median of monthly rates) and rounded half up to
  whole percent. With no MQL there, the defaults below are written, said as such.
- **Given, never guessed.** The time zone, business hours, working days and name come from the
  caller (the CLI's options, the Data page's inputs); they are validated by parsing the result,
  so a bad value gets the agreement's own message naming the key.
- **Kept.** `mql_rule.score_threshold` is the agreement in use's: the MQLs counted above were
  counted with it, so the goals stay true to it.
- **Defaults** (`DEFAULTS`, each commented in the output) for everything else.

`mismatch` says what of the agreement in use does not fit the data: the names it holds that the
data lacks (`metrics.not_in_data`, per dimension), and, when it sets goals by source, the data's
sources it would give a goal that have none.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pandas as pd

from handoff import agreement as agreement_mod
from handoff import metrics
from handoff.agreement import STEPS, WEEKDAYS
from handoff.contract import STAGES, UNKNOWN_SOURCE
from handoff.filters import Filters, Period, resolve_period

MONTHS = 3  # how many complete months the goals and rates are learnt from
QUERY = "starter_counts"


class StarterError(ValueError):
    """No starter agreement can be learnt from the data (said why)."""


# The values a starter agreement takes from no count, each with the reason written beside it.
DEFAULTS: dict[str, tuple[Any, str]] = {
    **{f"stages.{s}": (label, "the stage's own name") for s, label in zip(
        STAGES, ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Won"), strict=True
    )},
    "follow_up.target_hours": (8, "default: one working day of the business hours"),
    "follow_up.clock": ("business", "default: the target runs on the business hours below"),
    "follow_up.stale_after_days": (14, "default: two weeks without sales activity"),
    "time_limits_days.lead_to_mql": (30, "default: a month to qualify"),
    "time_limits_days.mql_to_sal": (2, "default: two days to accept or reject"),
    "time_limits_days.sal_to_sql": (14, "default: two weeks to qualify"),
    "time_limits_days.sql_to_opportunity": (30, "default: a month to open an opportunity"),
    "time_limits_days.opportunity_to_won": (90, "default: a quarter to close"),
    "targets.min_acceptance_rate": (0.70, "default (no MQL to learn it from)"),
    "targets.max_discard_rate": (0.25, "default (no MQL to learn it from)"),
    "attribution.lookback_days": (90, "default: a quarter of touches before the conversion"),
    "attribution.half_life_days": (7, "default: a touch's weight halves every week"),
}  # fmt: skip


@dataclass(frozen=True)
class Reason:
    """One learnt or given key of the proposal: its value as written and what it comes from."""

    key: str
    value: str
    source: str  # "learnt", "default" (nothing to learn from), "kept" or "given"
    counts: str  # from what counts, in words


@dataclass(frozen=True)
class Learnt:
    """What the data says, before any value is given: the months and their counts."""

    goal_months: list[Period]  # oldest first; one whole-span period when no month is complete
    goal_months_complete: bool  # False: the data's whole span stands in for the months
    rate_months: list[Period]
    rate_months_mature: bool
    handed_over: list[int]  # per goal month
    by_source: dict[str, list[int]]  # every source of the data, per goal month (0 where none)
    n_mql: int  # over the rate months together
    n_accepted: int
    n_discarded: int

    @property
    def per_month(self) -> int:
        return half_up(statistics.median(self.handed_over)) if self.handed_over else 0

    def source_goal(self, source: str) -> int:
        return half_up(statistics.median(self.by_source[source]))


@dataclass(frozen=True)
class Starter:
    """A proposed agreement: its TOML text, the parsed agreement and the reasoning."""

    toml: str
    agreement: agreement_mod.Agreement
    reasons: list[Reason]
    learnt: Learnt
    notes: list[str] = field(default_factory=list)


def half_up(value: float) -> int:
    """A count rounded to a whole number, halves up (305.5 → 306), not to the even one."""
    return math.floor(value + 0.5)


def percent_half_up(k: int, n: int) -> float:
    """k / n rounded half up to whole percent, in exact integer arithmetic: 0.71 for 71%."""
    return (200 * k + n) // (2 * n) / 100


def _months_back(last: Period, first_day: dt.date, n: int) -> list[Period]:
    """Up to `n` calendar months ending with `last`, none starting before `first_day`, oldest
    first."""
    out: list[Period] = []
    month = last
    while len(out) < n and month.start >= first_day:
        out.insert(0, month)
        previous_start = (month.start - dt.timedelta(days=1)).replace(day=1)
        month = Period("custom", previous_start, month.start)
    return out


def _data_span(db: Any) -> tuple[dt.date, dt.date, dt.datetime]:
    """The leads' first and last creation days and the data's end, in the agreement's time
    zone."""
    end = metrics.data_end(db)
    tables = db.run("dataset_tables")
    leads = tables[tables["table_name"] == "leads"]
    if end is None or leads["first_at"].dropna().empty:
        raise StarterError("the database holds no leads: there is nothing to learn from")

    def day(value: Any) -> dt.date:
        return value.to_pydatetime().astimezone(db.agreement.tz).date()

    return day(leads["first_at"].min()), day(leads["last_at"].max()), end


def learn(db: Any) -> Learnt:
    """The months, hand-overs and rates a starter agreement is made from (one query)."""
    agreement = db.agreement
    first_day, last_day, end = _data_span(db)
    whole = Period("custom", first_day, end.date() + dt.timedelta(days=1))
    # The latest month the leads cover to its last day (an export's future-dated closes can
    # put the data's end weeks after its last lead), and the latest one also mature for MQL →
    # SAL by the data's end.
    last_full = resolve_period("last_month", last_day)
    last_full = Period("custom", last_full.start, last_full.end)
    goal_months = _months_back(last_full, first_day, MONTHS)
    mql_to_sal = DEFAULTS["time_limits_days.mql_to_sal"][0]
    mature = metrics.month_mature_after(agreement, end, mql_to_sal)
    rate_months = _months_back(min(mature, last_full, key=lambda p: p.start), first_day, MONTHS)
    goal_complete, rates_mature = bool(goal_months), bool(rate_months)
    goal_months = goal_months or [whole]
    rate_months = rate_months or [whole]
    periods = list(dict.fromkeys([*goal_months, *rate_months]))
    filters = Filters(period=whole, view="handover")
    frame = metrics.run(db, QUERY, filters, periods=periods)
    rows = metrics.records(frame)
    index = {p: n for n, p in enumerate(periods, start=1)}
    overall = {r["period_index"]: r for r in rows if r["source"] is None}
    counts: dict[tuple[int, str], int] = {
        (r["period_index"], r["source"]): int(r["n_handed_over"]) for r in rows if r["source"]
    }
    options = db.run("filter_options")
    sources = sorted(options.loc[options["dimension"] == "source", "value"])
    rate_rows = [overall[index[p]] for p in rate_months]
    return Learnt(
        goal_months=goal_months,
        goal_months_complete=goal_complete,
        rate_months=rate_months,
        rate_months_mature=rates_mature,
        handed_over=[int(overall[index[p]]["n_handed_over"]) for p in goal_months],
        by_source={s: [counts.get((index[p], s), 0) for p in goal_months] for s in sources},
        n_mql=sum(int(r["n_mql"]) for r in rate_rows),
        n_accepted=sum(int(r["n_accepted"]) for r in rate_rows),
        n_discarded=sum(int(r["n_discarded"]) for r in rate_rows),
    )


def _goal_words(learnt: Learnt, values: list[int], overall: bool = False) -> str:
    """'median of Sep 298, Oct 312, Nov 340 MQLs handed over in 2026', or what stands in for
    it."""
    if not learnt.goal_months_complete:
        span = learnt.goal_months[0].label
        return (
            f"no complete calendar month in the data ({span}): every MQL handed over in it, "
            "not a monthly figure; agree the monthly goal"
            if overall
            else f"every MQL handed over in {span} (no complete month)"
        )
    months = learnt.goal_months
    one_year = len({p.start.year for p in months}) == 1
    listed = ", ".join(
        f"{p.start:%b}{'' if one_year else f' {p.start.year}'} {v:,}"
        for p, v in zip(months, values, strict=True)
    )
    year = f" in {months[0].start.year}" if one_year else ""
    only = "" if len(values) == MONTHS else f" (only {len(values)} complete)"
    return f"median of {listed} MQLs handed over{year}{only}"


def _months_words(months: list[Period], whole: bool) -> str:
    """'Aug–Oct 2026', 'Nov 2025–Jan 2026', or the whole span when no month is mature."""
    if not whole:
        return (
            f"the data's whole span ({months[0].label}; no month complete and mature for MQL → SAL)"
        )
    first, last = months[0].start, months[-1].start
    if first == last:
        return f"{first:%b %Y}"
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def _rate(learnt: Learnt, k: int, key: str, verb: str) -> tuple[float, str]:
    """A target from the rate months' MQL cohort, or the default when there is none."""
    n = learnt.n_mql
    where = _months_words(learnt.rate_months, learnt.rate_months_mature)
    if not n:
        value, why = DEFAULTS[key]
        return value, f"{why}: no MQL handed over in {where}"
    return (
        percent_half_up(k, n),
        f"{k:,} of {n:,} MQLs handed over in {where} {verb} ({k / n:.1%})",
    )


# What TOML allows neither in a comment nor unescaped in a string: control characters but tab.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, and DEL, which JSON leaves, escaped."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _comment(text: str) -> str:
    """Text on one comment line: a line break or another control character in a value from the
    data would end the comment or make the file invalid."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def propose(
    db: Any,
    *,
    time_zone: str,
    opens: str,
    closes: str,
    working_days: list[str] | tuple[str, ...],
    name: str,
    today: dt.date | None = None,
) -> Starter:
    """A starter agreement from the loaded data, for the time zone and hours given (see the
    module's docstring); the values given are checked by the agreement's own parser."""
    learnt = learn(db)
    in_use = db.agreement
    per_month = learnt.per_month
    per_month_words = _goal_words(learnt, learnt.handed_over, overall=True)
    if per_month < 1:
        raise StarterError(
            f"no monthly MQL goal can be learnt: it comes to 0 MQLs ({per_month_words}), and a "
            "goal must be at least 1"
        )
    reasons: list[Reason] = []
    notes: list[str] = []
    lines: list[str] = [
        "# A starter agreement, proposed by Handoff from the team's own data. The MQL goals and",
        "# the acceptance and discard targets come from the data (each says from what counts);",
        "# the time zone and business hours are the ones given; every other value is a default",
        '# for both teams to review. Keys are documented in README.md ("The agreement").',
        "",
    ]

    def put(key: str, value: str, comment: str, source: str | None = None) -> None:
        lines.append(f"{key.rpartition('.')[2]} = {value}  # {_comment(comment)}")
        if source is not None:
            reasons.append(Reason(key, value, source, comment))

    def section(title: str) -> None:
        lines.extend(["", f"[{title}]"])

    given = "given (not guessed: asked for)"
    put("name", _string(name), given, "given")
    agreed_on = today or dt.datetime.now(in_use.tz).date()
    put("agreed_on", agreed_on.isoformat(), "the day it was proposed: set the day both teams sign")
    put("time_zone", _string(time_zone), given, "given")
    if time_zone != in_use.time_zone:
        notes.append(
            f"The data was imported in {in_use.time_zone} time and its months were counted in "
            f"it; import it again with this agreement to count in {time_zone}."
        )
    section("stages")
    for s in STAGES:
        value, why = DEFAULTS[f"stages.{s}"]
        put(f"stages.{s}", _string(value), why)
    section("mql_rule")
    if in_use.score_threshold is not None:
        put(
            "mql_rule.score_threshold",
            f"{in_use.score_threshold:g}",
            "kept from the agreement in use: the MQLs counted here were counted with it",
            "kept",
        )
    else:
        lines.append("# No score threshold: only leads stamped with mql_at count as MQLs.")
    lines.append("# No score_bands: the calibration chart bands the score by its deciles.")
    section("follow_up")
    for key in ("follow_up.target_hours", "follow_up.clock"):
        value, why = DEFAULTS[key]
        put(key, _string(value) if isinstance(value, str) else f"{value:g}", why)
    lines += [
        "# No min_within_sla_rate: the scorecard shows the share followed up in time, judged",
        "# against nothing until both teams agree a floor (for example 0.9).",
    ]
    value, why = DEFAULTS["follow_up.stale_after_days"]
    put("follow_up.stale_after_days", f"{value:g}", why)
    section("business_hours")
    put("business_hours.opens", _string(opens), given, "given")
    put("business_hours.closes", _string(closes), given, "given")
    days = "[" + ", ".join(_string(d) for d in working_days) + "]"
    put("business_hours.working_days", days, given, "given")
    put(
        "business_hours.holidays",
        "[]",
        'none listed: add the days off, or a calendar like { country = "US", subdivision = "NY" }',
    )
    section("time_limits_days")
    for step in STEPS:
        value, why = DEFAULTS[f"time_limits_days.{step}"]
        put(f"time_limits_days.{step}", f"{value:g}", why)
    section("targets")
    for key, k, verb in (
        ("targets.min_acceptance_rate", learnt.n_accepted, "were accepted (reached SAL)"),
        ("targets.max_discard_rate", learnt.n_discarded, "were discarded"),
    ):
        rate, words = _rate(learnt, k, key, verb)
        put(key, f"{rate:.2f}", words, "learnt" if learnt.n_mql else "default")
    section("mql_goal")
    put(
        "mql_goal.per_month",
        f"{per_month}",
        _goal_words(learnt, learnt.handed_over, overall=True),
        "learnt",
    )
    section("mql_goal.by_source")
    for source, values in learnt.by_source.items():
        goal = learnt.source_goal(source)
        words = _goal_words(learnt, values)
        if source == UNKNOWN_SOURCE:
            lines.append(
                f"# {_comment(source)}: leads with a blank source get no goal (nothing to aim "
                f"at); {_comment(words)}"
            )
        elif goal < 1:
            lines.append(
                f"# {_comment(_string(source))}: no goal: the {_comment(words)} rounds to 0 "
                "(a goal must be at least 1)"
            )
        else:
            lines.append(f"{_string(source)} = {goal}  # {_comment(words)}")
            reasons.append(Reason(f"mql_goal.by_source.{source}", f"{goal}", "learnt", words))
    section("attribution")
    for key in ("attribution.lookback_days", "attribution.half_life_days"):
        value, why = DEFAULTS[key]
        put(key, f"{value:g}", why)
    lines += [
        "",
        "# No [scoring] section: Handoff computes no score of its own until both teams agree the",
        "# rules (see the demo agreement, data/agreement.toml, for an example).",
    ]
    text = "\n".join(lines) + "\n"
    parsed = agreement_mod.parse(text, source="the starter agreement")
    return Starter(toml=text, agreement=parsed, reasons=reasons, learnt=learnt, notes=notes)


def sources_without_goal(db: Any, learnt: Learnt | None = None) -> list[str]:
    """The data's sources a starter agreement would give a goal (a median of at least one MQL a
    month, not `(unknown)`) that the agreement in use, setting goals by source, has none for."""
    goals = db.agreement.mql_goal_by_source
    if not goals:
        return []
    learnt = learnt or learn(db)
    if not learnt.goal_months_complete:
        return []  # no month to take a median over: no goal to miss
    return [
        s
        for s in learnt.by_source
        if s not in goals and s != UNKNOWN_SOURCE and learnt.source_goal(s) >= 1
    ]


def mismatch(db: Any) -> dict[str, list[str]]:
    """What of the agreement in use does not fit the data: per dimension the names it holds that
    the data lacks (`metrics.not_in_data`), and under 'no_goal' the data's sources with no goal
    (`sources_without_goal`). Empty lists everywhere: it fits."""
    out = dict(metrics.not_in_data(db))
    try:
        out["no_goal"] = sources_without_goal(db)
    except StarterError:
        out["no_goal"] = []
    return out


def fits(gaps: dict[str, list[str]]) -> bool:
    """Whether the agreement fits the data: it names nothing the data lacks. Sources without a
    goal ('no_goal') do not make it unfit (a team may set goals for its main sources only); the
    Data page's starter section says them."""
    return not any(names for dimension, names in gaps.items() if dimension != "no_goal")


def describe(gaps: dict[str, list[str]]) -> str:
    """What does not fit, in one sentence's parts: "goal sources not in the data: Webinar; ..."."""
    parts = []
    for dimension, names in gaps.items():
        if not names:
            continue
        listed = ", ".join(names)
        if dimension == "no_goal":
            parts.append(f"sources in the data with no MQL goal: {listed}")
        else:
            parts.append(f"{dimension}s it names that the data does not have: {listed}")
    return "; ".join(parts)


def default_name(db: Any) -> str:
    """'Starter agreement for <the export's folder>'."""
    folder = db.run("dataset_import")["source_folder"].iloc[0]
    return f"Starter agreement for {PurePath(str(folder)).name}"


def reasons_table(proposal: Starter) -> pd.DataFrame:
    """The proposal's reasoning as rows to show: key, proposed value, from what counts."""
    # What the data says first, then what was kept from the agreement in use, then the inputs.
    order = {"learnt": 0, "default": 1, "kept": 2, "given": 3}
    reasons = sorted(proposal.reasons, key=lambda r: order[r.source])
    return pd.DataFrame(
        [{"key": r.key, "value": r.value, "source": r.source, "counts": r.counts}
         for r in reasons],
        columns=["key", "value", "source", "counts"],
    )  # fmt: skip


def working_days_of(text: str) -> list[str]:
    """'Mon,Tue, Wed' as ['Mon', 'Tue', 'Wed'] (checked by the agreement's parser)."""
    return [d.strip() for d in text.split(",") if d.strip()]


DEFAULT_WORKING_DAYS = WEEKDAYS[:5]
