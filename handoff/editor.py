"""Editing the agreement in the app: a draft becomes a `[[change]]` block appended to the file.

The file stays the source of truth. A draft holds the editable keys' values (flat key paths, as
`agreement._flatten` gives them); `change_block` writes only the keys that differ from the latest
version as TOML text (strings quoted and escaped, dates bare, tables inline), `propose` appends
it to the file's text and validates the whole with `agreement.parse` (the file loader's own
messages), and `save` writes the file atomically under a lock, refusing when someone else saved
since the form was opened. An old version is never rewritten: the new text always starts with
the text the form opened.

Before saving, the page shows how the period's scorecard reads under the draft (`preview`) and,
for a version that takes effect on or before the data's end, which already-reported months it
changes (`reported_changes`); such a version is saved only once the editor confirmed it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fcntl
import hashlib
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handoff import fmt, scorecard
from handoff.agreement import (
    KEYS,
    KEYS_BY_PATH,
    STAGES,
    TEAMS,
    WEEKDAYS,
    Agreement,
    AgreementError,
    latest_values,
    parse,
)
from handoff.db import Database
from handoff.filters import Filters, Period

SCORING_KEYS = tuple(k.path for k in KEYS if k.path.startswith("scoring."))
# The keys the editor's form sets (every other key is kept as the latest version has it).
EDITABLE = (
    "targets.min_acceptance_rate",
    "targets.max_discard_rate",
    "follow_up.min_within_sla_rate",
    "follow_up.target_hours",
    "follow_up.clock",
    "follow_up.stale_after_days",
    "business_hours.opens",
    "business_hours.closes",
    "business_hours.working_days",
    "business_hours.holidays",
    *(f"stages.{s}" for s in STAGES),
    "stages.aliases",
    "mql_goal.per_month",
    "mql_goal.by_source",
    "mql_rule.score_threshold",
    *SCORING_KEYS,
)
LINE_LENGTH = 100  # a list longer than this is written one item a line, to diff cleanly


class EditRefused(Exception):
    """A save that cannot go ahead, with the reason in words for the editor."""


class Conflict(EditRefused):
    """The file changed since the form was opened: the other change's diff is in `diff`."""

    def __init__(self, diff: str):
        super().__init__(
            "The agreement changed since you opened it: someone else saved a change (below). "
            "Nothing was saved. Re-open the editor to start from their version."
        )
        self.diff = diff


# ---- TOML text -------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}  # fmt: skip


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.fullmatch(name) else toml_string(name)


def toml_value(value: Any) -> str:
    """A value as inline TOML: strings quoted, numbers and dates bare, lists and tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.datetime):
        raise TypeError(f"the agreement holds dates and times of day, not {value!r}")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in
                                value.items()) + " }"  # fmt: skip
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_line(key: str, value: Any) -> str:
    """`key = value`, a long list one item a line (each item inline)."""
    line = f"{key} = {toml_value(value)}"
    if len(line) <= LINE_LENGTH or not isinstance(value, list | tuple) or len(value) < 2:
        return line
    return f"{key} = [\n" + "".join(f"  {toml_value(v)},\n" for v in value) + "]"


# ---- the draft and its change block ------------------------------------------------------------


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _normal(key: str, value: Any) -> Any:
    """A value as compared: numbers as floats, times as HH:MM, days in week order, holidays
    sorted, a calendar's defaults left out; so an unedited value never counts as changed."""
    if value is None:
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not value.second else value.isoformat()
    if key == "business_hours.working_days" and isinstance(value, list):
        days = [d for d in value if d in WEEKDAYS]
        return sorted(days, key=WEEKDAYS.index) if len(days) == len(value) else value
    if key == "business_hours.holidays" and isinstance(value, list):
        return sorted(set(value), key=str)
    if key == "business_hours.holidays" and isinstance(value, dict):
        table = {k: v for k, v in value.items() if not (k == "observed" and v is True)}
        for name in ("extra", "remove"):
            if not table.get(name):
                table.pop(name, None)
            elif isinstance(table[name], list):
                table[name] = sorted({str(d) for d in table[name]})
        return table
    if isinstance(value, list):
        return [_normal("", v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normal("", v) for k, v in value.items()}
    return _number(value)


def differences(before: dict[str, Any], draft: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The keys a draft sets anew (in KEYS order) and the ones it removes (given as None); a key
    the draft leaves out stays as it is."""
    order = [k.path for k in KEYS]
    unknown = sorted(set(draft) - set(EDITABLE))
    if unknown:
        raise ValueError(f"not editable keys: {unknown}")
    changed = {
        k: draft[k]
        for k in sorted(draft, key=order.index)
        if draft[k] is not None and _normal(k, draft[k]) != _normal(k, before.get(k))
    }
    # An empty list or table set before is no more than an unset one: nothing to remove.
    unset = [
        k
        for k in order
        if k in before and k in draft and draft[k] is None and before[k] not in ([], {})
    ]
    return changed, unset


def change_block(
    before: dict[str, Any],
    draft: dict[str, Any],
    effective_on: dt.date | None,
    changed_by: str,
    reason: str,
) -> str:
    """The `[[change]]` block that turns the latest version (its flat values `before`) into the
    draft: who, when and why, then only the keys that differ, then the keys removed."""
    changed, unset = differences(before, draft)
    lines = ["[[change]]"]
    # A missing date is written as text, so that the loader says what it must be.
    lines.append(f"effective_on = {toml_value(effective_on if effective_on else '')}")
    lines.append(f"changed_by = {toml_string(changed_by)}")
    lines.append(f"reason = {toml_string(reason)}")
    lines += [toml_line(k, v) for k, v in changed.items()]
    if unset:
        lines.append(toml_line("unset", unset))
    return "\n".join(lines) + "\n"


def appended(text: str, block: str) -> str:
    """The file's text with the block after it, a blank line between; the text itself untouched."""
    return text + ("" if text.endswith("\n") or not text else "\n") + "\n" + block


def file_diff(old: str, new: str, path: str | Path) -> str:
    """The unified diff of the file's text, as git shows it."""
    name = str(path)
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{name} (as opened)",
            tofile=f"{name} (with the change)",
        )
    )


@dataclass(frozen=True)
class Draft:
    """What the form holds: the editable keys' values (None: not set) and who, when and why."""

    values: dict[str, Any]
    effective_on: dt.date | None
    changed_by: str
    reason: str


@dataclass(frozen=True)
class Proposal:
    """A draft written out: its block, the file's new text and the diff, and either the
    agreement it makes or the loader's message (never both)."""

    draft: Draft
    block: str
    new_text: str
    diff: str
    agreement: Agreement | None
    error: str | None

    def is_past(self, data_end: dt.date | None) -> bool:
        """Whether it takes effect on or before the data's last day: periods already reported."""
        effective = self.draft.effective_on
        return data_end is not None and effective is not None and effective <= data_end


def propose(text: str, source: str, draft: Draft, form_errors: Iterable[str] = ()) -> Proposal:
    """The draft as a change appended to the file's text, validated by `agreement.parse` with the
    file's name as its source (so the messages are the file loader's); a message the form found
    itself (a value it could not read) comes first."""
    before = latest_values(text, source)
    block = change_block(before, draft.values, draft.effective_on, draft.changed_by, draft.reason)
    new_text = appended(text, block)
    errors = list(form_errors)
    agreement = None
    if not errors:
        try:
            agreement = parse(new_text, source)
        except AgreementError as exc:
            errors.append(str(exc))
    return Proposal(
        draft=draft,
        block=block,
        new_text=new_text,
        diff=file_diff(text, new_text, source),
        agreement=agreement,
        error="; ".join(errors) if errors else None,
    )


# ---- reading the form's values -----------------------------------------------------------------


def bad_value(source: str, path: str, got: Any) -> str:
    """The loader's message for a value the form could not even read."""
    return f"{source}: '{path}' must be {KEYS_BY_PATH[path].expected}, got {got!r}"


def parse_dates(source: str, path: str, text: str) -> tuple[list[dt.date], str | None]:
    """Dates written one a line or separated by commas, and a message for the first bad one."""
    days = []
    for item in re.split(r"[,\n]", text):
        item = item.strip()
        if not item:
            continue
        try:
            days.append(dt.date.fromisoformat(item))
        except ValueError:
            return days, f"{source}: '{path}' must be a list of dates like 2026-12-25, got {item!r}"
    return sorted(set(days)), None


def parse_scoring(source: str, text: str) -> tuple[dict[str, Any], str | None]:
    """The `[scoring]` section as typed in the text area (its keys without the `scoring.`
    prefix, rules as `[[fit]]` and `[[engagement]]`), as flat key paths."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{source}: 'scoring' is not valid TOML: {exc}"
    values = {}
    for name, value in raw.items():
        path = f"scoring.{name}"
        if path not in SCORING_KEYS:
            return {}, f"{source}: unknown key '{path}'"
        values[path] = value
    return values, None


def scoring_text(values: dict[str, Any]) -> str:
    """The latest version's `[scoring]` keys as the text area shows them: the caps and grades,
    then each rule as a `[[fit]]` or `[[engagement]]` table."""
    lines = [
        toml_line(path.removeprefix("scoring."), values[path])
        for path in SCORING_KEYS
        if path in values and path not in ("scoring.fit", "scoring.engagement")
    ]
    for kind in ("fit", "engagement"):
        for rule in values.get(f"scoring.{kind}", []):
            lines += ["", f"[[{kind}]]"]
            lines += [toml_line(toml_key(str(k)), v) for k, v in rule.items()]
    return "\n".join(lines).strip() + ("\n" if lines else "")


def goals_from_rows(
    source: str, rows: Iterable[dict[str, Any]]
) -> tuple[dict[str, Any], str | None]:
    """The per-source goals from the editable table's rows (source, goal); blank rows dropped."""
    goals: dict[str, Any] = {}
    for row in rows:
        name, goal = row.get("source"), row.get("goal")
        name = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
        blank_goal = goal is None or (isinstance(goal, float) and math.isnan(goal))
        if not name.strip() and blank_goal:
            continue
        if not name.strip():
            return goals, f"{source}: 'mql_goal.by_source' has a goal ({goal!r}) with no source"
        if name.strip() in goals:
            return goals, f"{source}: 'mql_goal.by_source' names {name.strip()!r} twice"
        goals[name.strip()] = _number(goal) if not blank_goal else ""
    return goals, None


def words(text: str) -> list[str]:
    """Comma-separated words, trimmed, blanks dropped."""
    return [w.strip() for w in text.split(",") if w.strip()]


# ---- before saving: what the draft changes ------------------------------------------------------


def _verdict(c: scorecard.Commitment) -> str:
    if c.is_met is None:
        return "not judged"
    return "met" if c.is_met else "missed"


def _shown(c: scorecard.Commitment | None, value: float | None) -> str:
    if c is None:
        return "not in this version"
    if value is None:
        return "—"
    return fmt.rate(value, 1) if c.is_rate else fmt.count(value)


def _reading(c: scorecard.Commitment | None) -> tuple[str, str, str]:
    if c is None:
        return ("not in this version", "—", "—")
    return (_shown(c, c.value), _shown(c, c.target), _verdict(c))


def compare(now: scorecard.Scorecard, draft: scorecard.Scorecard) -> list[dict[str, Any]]:
    """The commitments side by side, now and under the draft: value, target, verdict, and
    whether any of them differs."""
    by_key_now = {c.key: c for c in now.commitments}
    by_key_draft = {c.key: c for c in draft.commitments}
    rows = []
    for key in dict.fromkeys([*by_key_now, *by_key_draft]):
        a, b = by_key_now.get(key), by_key_draft.get(key)
        (value_a, target_a, verdict_a), (value_b, target_b, verdict_b) = _reading(a), _reading(b)
        rows.append(
            {
                "commitment": (a or b).label,
                "value now": value_a,
                "target now": target_a,
                "now": verdict_a,
                "value under the draft": value_b,
                "target under the draft": target_b,
                "under the draft": verdict_b,
                "differs": (value_a, target_a, verdict_a) != (value_b, target_b, verdict_b),
            }
        )
    return rows


def preview(now_db: Any, draft_db: Database, filters: Filters) -> list[dict[str, Any]]:
    """How the period's scorecard reads now and under the draft."""
    return compare(scorecard.scorecard(now_db, filters), scorecard.scorecard(draft_db, filters))


def months_between(first: dt.date, last: dt.date) -> list[Period]:
    """The calendar months from the one holding `first` to the one holding `last`."""
    months, start = [], first.replace(day=1)
    while start <= last:
        end = (start + dt.timedelta(days=32)).replace(day=1)
        months.append(Period("custom", start, end))
        start = end
    return months


def reported_changes(
    now_db: Any, draft_db: Database, effective_on: dt.date, data_end: dt.date
) -> list[dict[str, Any]]:
    """The already-reported months (from the version's effective date to the data's end) whose
    commitments read differently under the draft: per month, what changes, in words."""
    out = []
    for month in months_between(effective_on, data_end):
        filters = Filters(month)
        changed = [r for r in preview(now_db, draft_db, filters) if r["differs"]]
        if changed:
            out.append(
                {
                    "month": month.label,
                    "changes": [
                        f"{r['commitment']}: {r['value now']} against {r['target now']}, "
                        f"{r['now']} → {r['value under the draft']} against "
                        f"{r['target under the draft']}, {r['under the draft']}"
                        for r in changed
                    ],
                }
            )
    return out


# ---- saving ------------------------------------------------------------------------------------


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Opened:
    """The file as the form opened it: its text and that text's hash."""

    text: str
    hash: str

    @classmethod
    def read(cls, path: str | Path) -> Opened:
        text = Path(path).read_text(encoding="utf-8")
        return cls(text, content_hash(text))


def lock_path(path: Path) -> Path:
    """The lock file beside the agreement (data/*.lock is ignored by git)."""
    return path.with_name(path.name + ".lock")


def write_atomically(path: Path, text: str) -> None:
    """Write the file whole or not at all: a temporary file in the same folder, synced, then
    renamed over it (os.replace), keeping the file's permissions."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save(
    path: str | Path,
    opened: Opened,
    proposal: Proposal,
    data_end: dt.date | None,
    confirmed_past: bool = False,
) -> Agreement:
    """Append the proposal's change to the agreement file and return the agreement it makes.

    Refused (EditRefused, nothing written) when the proposal does not validate, when it takes
    effect in already-reported days and the editor has not confirmed it, or when it would
    rewrite the text opened; and (Conflict) when the file changed since the form opened it:
    checked under an exclusive lock on the lock file, so two saves at once are one after the
    other and the second is refused, not lost."""
    path = Path(path)
    if proposal.error is not None or proposal.agreement is None:
        raise EditRefused(f"Nothing was saved: {proposal.error}")
    if proposal.is_past(data_end) and not confirmed_past:
        raise EditRefused(
            f"Nothing was saved: the change takes effect on {proposal.draft.effective_on}, on "
            f"or before the data's end ({data_end}), so it changes periods already reported. "
            "Read which ones above and confirm."
        )
    if not proposal.new_text.startswith(opened.text):
        raise EditRefused("Nothing was saved: a change is only ever appended to the file")
    with lock_path(path).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = path.read_text(encoding="utf-8")
            if content_hash(current) != opened.hash:
                raise Conflict(file_diff(opened.text, current, path))
            agreement = parse(proposal.new_text, str(path))
            write_atomically(path, proposal.new_text)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return agreement


# ---- the form ----------------------------------------------------------------------------------

# The form's plain fields: each is the value of its key (None: not set). The others are edited
# in a shape of their own (times, holidays, aliases, the goals' table, the scoring text).
SHAPED_FIELDS = ("business_hours.opens", "business_hours.closes", "business_hours.holidays",
                 "stages.aliases", "mql_goal.by_source", *SCORING_KEYS)  # fmt: skip
PLAIN_FIELDS = tuple(k for k in EDITABLE if k not in SHAPED_FIELDS)


def form_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """The form's fields filled from the latest version's flat values (the inverse of
    `read_form`): the plain keys as they are, times as times, holidays, aliases, goals and
    scoring as the form edits them."""
    holidays = values.get("business_hours.holidays", [])
    table = holidays if isinstance(holidays, dict) else {}

    def day_lines(days: Any) -> str:
        return "\n".join(str(d) for d in (days or []))

    def time_of(text: Any) -> dt.time | None:
        if isinstance(text, dt.time):
            return text
        try:
            return dt.time.fromisoformat(str(text))
        except ValueError:
            return None

    aliases = values.get("stages.aliases", {})
    return {
        **{k: values.get(k) for k in PLAIN_FIELDS},
        "business_hours.opens": time_of(values.get("business_hours.opens")),
        "business_hours.closes": time_of(values.get("business_hours.closes")),
        "holidays_kind": "calendar" if table else "dates",
        "holidays_dates": "" if table else day_lines(holidays),
        "holidays_country": table.get("country", ""),
        "holidays_subdivision": table.get("subdivision", "") or "",
        "holidays_extra": day_lines(table.get("extra")),
        "holidays_remove": day_lines(table.get("remove")),
        "holidays_observed": table.get("observed", True),
        **{field: ", ".join(words) for field, words in alias_fields(aliases).items()},
        "goals_rows": [
            {"source": s, "goal": g} for s, g in values.get("mql_goal.by_source", {}).items()
        ],
        "scoring_text": scoring_text(values),
    }


def alias_fields(aliases: dict[str, Any]) -> dict[str, list[str]]:
    """The form's alias fields from `stages.aliases`: per stage, the words both teams use
    (`aliases.<stage>`: the list form, or the words both teams' lists hold) and each team's
    own (`aliases_<team>.<stage>`)."""
    out: dict[str, list[str]] = {}
    for s in STAGES:
        got = aliases.get(s, [])
        teams = {
            t: [got[t]] if isinstance(got[t], str) else list(got[t])
            for t in TEAMS
            if isinstance(got, dict) and t in got
        }
        both = list(got) if isinstance(got, list) else []
        if len(teams) == len(TEAMS):
            both = [w for w in teams[TEAMS[0]] if all(w in ws for ws in teams.values())]
        out[f"aliases.{s}"] = both
        for t in TEAMS:
            out[f"aliases_{t}.{s}"] = [w for w in teams.get(t, []) if w not in both]
    return out


def aliases_from_form(form: dict[str, Any]) -> dict[str, Any] | None:
    """`stages.aliases` from the form (the inverse of `alias_fields`): a stage with only words
    both teams use is a list; with a team's own words, a table of each team's words, the shared
    ones in both."""
    out: dict[str, Any] = {}
    for s in STAGES:
        both = words(form.get(f"aliases.{s}") or "")
        own = {t: words(form.get(f"aliases_{t}.{s}") or "") for t in TEAMS}
        if any(own.values()):
            teams = {t: both + [w for w in own[t] if w not in both] for t in TEAMS}
            out[s] = {t: ws for t, ws in teams.items() if ws}
        elif both:
            out[s] = both
    return out or None


def read_form(source: str, form: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The draft's flat values from the form's fields (see `form_defaults`), and the messages
    for what the form could not read (the loader judges everything else)."""
    errors: list[str] = []
    values = {k: form.get(k) for k in PLAIN_FIELDS}
    if isinstance(values["business_hours.working_days"], list):
        values["business_hours.working_days"] = _normal(
            "business_hours.working_days", values["business_hours.working_days"]
        )
    for path in ("business_hours.opens", "business_hours.closes"):
        t = form.get(path)
        values[path] = t.strftime("%H:%M") if isinstance(t, dt.time) else t
    path = "business_hours.holidays"
    if form.get("holidays_kind") == "calendar":
        table: dict[str, Any] = {"country": str(form.get("holidays_country") or "").strip()}
        subdivision = str(form.get("holidays_subdivision") or "").strip()
        if subdivision:
            table["subdivision"] = subdivision
        for name in ("extra", "remove"):
            days, problem = parse_dates(source, f"{path}.{name}", form.get(f"holidays_{name}", ""))
            if problem:
                errors.append(problem)
            if days:
                table[name] = days
        if form.get("holidays_observed") is False:
            table["observed"] = False
        values[path] = table
    else:
        days, problem = parse_dates(source, path, form.get("holidays_dates", ""))
        if problem:
            errors.append(problem)
        values[path] = days or None
    values["stages.aliases"] = aliases_from_form(form)
    goals, problem = goals_from_rows(source, form.get("goals_rows") or [])
    if problem:
        errors.append(problem)
    values["mql_goal.by_source"] = goals or None
    scoring, problem = parse_scoring(source, form.get("scoring_text") or "")
    if problem:
        errors.append(problem)
    values.update({k: scoring.get(k) for k in SCORING_KEYS})
    return values, errors
