"""Exports as they come: which file is which table, and how each canonical column is made.

Nobody keeps data in Handoff's canonical format. A *mapping* (a TOML file) describes an export:
the kinds of file it holds (recognised by their headers, optionally by name), the canonical table
each feeds, how every canonical column is made from the file's columns (renames, constants, value
maps, lookups into another file of the export), how statuses become stages, discards and other
exits, how dates are written, which values mean "blank", and the time zone. HubSpot, Salesforce
and Zoho are mappings shipped with Handoff (`handoff/formats/*.toml`); the canonical dataset is a
mapping too, built from the data contract. A user's mapping may `extends` a shipped one and
override any part of it (a status map, one column, the time zone).

Everything a mapping says reaches SQL as a bound parameter, except header names, which are
matched against the file's own (normalised) headers and quoted by `ident`.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from handoff import zones
from handoff.contract import EXITS, STAGE_COLUMNS, TABLES, TABLES_BY_NAME, ColumnType

FORMATS_DIR = Path(__file__).parent / "formats"
BUILTIN_FORMATS = ("hubspot", "salesforce", "zoho")
CANONICAL = "canonical"

# What a status may say: a stage reached, an exit, or nothing (a known status with no stage).
STATUS_TARGETS = (*(s for s in STAGE_COLUMNS if s != "lead"), *EXITS, "none")
EXIT_COLUMNS = {"lost": "lost_at", "discarded": "discarded_at", "recycled": "recycled_at"}
PICKS = ("first", "last", "earliest", "latest")
# Bounds on what one value may be made of, checked when the mapping is read: each lookup is a
# join over another file and each level of `first` a nested expression, so a mapping past them
# would run out of time or of DuckDB's expression depth on the data (an audit's mapping with
# 1,500 lookups in one `first` stopped with "Max expression depth limit of 1000 exceeded"; 300
# took 130 s and 565 MB). The shipped formats use at most 3 lookups, 6 alternatives, 3 levels.
MAX_NESTING = 8  # levels of first / lookup inside one value
MAX_ALTERNATIVES = 50  # values in one `first`
MAX_LOOKUPS = 20  # lookups in one file kind, over all its columns


class MappingError(ValueError):
    """A mapping file is unreadable or has a bad key or value; the message names the key."""


# --- What a mapping says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A test on one column of a row: its value in a list, not in it, starting so, or blank."""

    column: str
    any_of: tuple[str, ...] | None = None  # case-insensitive
    none_of: tuple[str, ...] | None = None  # case-insensitive; blank counts as none of them
    prefix: tuple[str, ...] | None = None
    not_prefix: tuple[str, ...] | None = None  # blank counts as not starting so
    blank: bool | None = None
    said: tuple[str, ...] = ()  # the values as the mapping writes them, for messages


@dataclass(frozen=True)
class Spec:
    """How one value is made. Exactly one of column, constant, line, first or lookup is set."""

    column: str | None = None
    constant: str | None = None
    line: bool = False  # "line 17": the row's own line, for exports without a record id
    first: tuple[Spec, ...] = ()
    lookup: str | None = None  # the file kind looked into
    key: Spec | None = None  # lookup: the value in this file ...
    match: Spec | None = None  # ... equal to this value in the other file
    take: Spec | None = None  # ... gives this value of the other file
    where: Condition | None = None  # ... among the other file's rows that pass this
    pick: str = "first"  # ... and of several, the first or last in file order, or by time
    order: str | None = None  # pick earliest/latest: of the row whose column this is (a date)
    # Modifiers, applied in this order to the value.
    split: str | None = None  # take one part of a list like "1;2;3"
    part: int = 1
    pattern: str | None = None  # a regular expression: its first group is the value
    chars: int | None = None  # the first n characters (Salesforce ids: 15)
    values: tuple[tuple[str, str], ...] = ()  # value map, matched case-insensitively
    others: str | None = None  # what an unmapped value becomes ("" blank); default: itself
    when: Condition | None = None  # the value only where this holds, else blank
    optional: bool = False  # a missing column reads as blank instead of stopping the import
    if_blank: str | None = None  # the reason a row is rejected when the value is blank

    def columns(self) -> set[str]:
        """Columns of this file that the value is read from (not conditions or lookups)."""
        out: set[str] = set()
        if self.column is not None:
            out.add(self.column)
        for s in self.first:
            out |= s.columns()
        if self.key is not None:
            out |= self.key.columns()
        return out


@dataclass(frozen=True)
class StatusRule:
    """A status column whose values say which stage a record reached, or how it left."""

    column: str
    date: Spec  # when the status was reached, as well as the export tells
    targets: tuple[tuple[str, str], ...]  # status (lower case) -> stage, exit or none
    reasons: tuple[tuple[str, str], ...]  # status (lower case) -> discard reason
    labels: tuple[str, ...]  # the statuses as the file writes them, for messages


@dataclass(frozen=True)
class Skip:
    """Rows that are set aside with a reason, e.g. tasks about contacts: not bad data, so not
    rejected, but not imported either (the import counts them apart, naming the rule)."""

    when: Condition
    reason: str


# How a file about leads (deals, activities, touches) gives a lead attribute when a lead has
# several rows: first or last in file order, earliest or latest by a date column, or any.
ATTRIBUTE_PICKS = ("first", "last", "any")
# `any`: every distinct value of the lead's rows, in alphabetical order, joined by this.
ANY_SEPARATOR = " + "


@dataclass(frozen=True)
class LeadAttribute:
    """A lead attribute a mapping declares: made by a spec on the leads file (a lookup, say),
    or on a file about leads, of each lead's rows (`pick` says which)."""

    name: str
    spec: Spec
    pick: str = "first"  # first, last, any, earliest or latest (the two with `order`)
    order: str | None = None  # earliest/latest: the file's date column that orders the rows


@dataclass(frozen=True)
class FileKind:
    """One kind of file in an export, and how it becomes rows of a canonical table."""

    key: str
    table: str | None  # None: a reference file other files look into
    match: tuple[str, ...]  # headers the file must have
    name: str | None  # a file-name pattern, e.g. "Lead*.csv"
    required: bool
    columns: tuple[tuple[str, Spec], ...]  # canonical column -> spec
    status: tuple[StatusRule, ...]
    skip: tuple[Skip, ...]
    keep_extra: bool
    # The rows of its file this kind takes (an event log's `type` in a list): kinds with a row
    # rule may read the same file, each row going to the first kind whose rule it passes.
    rows: Condition | None = None

    def skip_rule(self, skip: Skip) -> str:
        """A skip rule as the import names it: kind, condition and reason."""
        return f"files.{self.key}.skip when {describe_condition(skip.when)}: {skip.reason}"

    def row_rule(self) -> str:
        """The row rule as messages name it."""
        assert self.rows is not None
        return f"files.{self.key}.rows ({describe_condition(self.rows)})"

    lead_attributes: tuple[LeadAttribute, ...] = ()

    def spec(self, column: str) -> Spec | None:
        """The spec of a canonical column, status rules folded in (explicit columns first)."""
        explicit = dict(self.columns).get(column)
        derived = [d for d in (_status_spec(r, column) for r in self.status) if d is not None]
        parts = [s for s in [explicit, *derived] if s is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Spec(first=tuple(parts))

    def mapped_columns(self) -> list[str]:
        table = TABLES_BY_NAME[self.table] if self.table else None
        names = [c.name for c in table.columns] if table else []
        return [c for c in names if self.spec(c) is not None]

    def used_columns(self) -> set[str]:
        """Source columns read as a canonical value (they are not kept again as extras)."""
        out: set[str] = set()
        for _, spec in self.columns:
            out |= spec.columns()
        if self.table == "leads":  # a leads column made an attribute is not kept again as-is
            for attribute in self.lead_attributes:
                out |= attribute.spec.columns()
        return out


@dataclass(frozen=True)
class Mapping:
    """A whole export: its file kinds and how values are written."""

    name: str
    title: str
    files: tuple[FileKind, ...]
    time_zone: str | None = None  # timestamps without an offset; default the agreement's
    date_formats: tuple[str, ...] = ()  # strptime formats tried after ISO 8601
    missing: tuple[str, ...] = ()  # values read as blank in every column
    normalize_labels: bool = False
    origin: str = ""  # where the mapping came from, for messages
    notes: tuple[str, ...] = field(default=())

    @property
    def is_canonical(self) -> bool:
        return self.name == CANONICAL

    @property
    def said(self) -> str:
        """How messages name it: "the zoho format", "the mapping x_education.toml"."""
        if self.name in BUILTIN_FORMATS:
            return f"the {self.name} format"
        return f"the mapping {Path(self.origin).name}" if self.origin else "the mapping"

    def kind(self, key: str) -> FileKind:
        return next(f for f in self.files if f.key == key)

    @property
    def lead_attribute_names(self) -> set[str]:
        """The lead attributes the mapping declares, on any kind of file."""
        return {a.name for f in self.files for a in f.lead_attributes}


def _status_spec(rule: StatusRule, column: str) -> Spec | None:
    """The spec a status rule gives a canonical column of its table, if any."""
    targets = dict(rule.targets)
    if column == "discard_reason":
        reasons = tuple((s, r) for s, r in rule.reasons if targets[s] == "discarded")
        if not reasons:
            return None
        statuses = tuple(s for s, _ in reasons)
        said = tuple(label for label in rule.labels if label.strip().lower() in statuses)
        return Spec(
            column=rule.column,
            values=reasons,
            when=Condition(rule.column, any_of=statuses, said=said),
        )
    for target in STATUS_TARGETS:
        target_column = STAGE_COLUMNS.get(target) or EXIT_COLUMNS.get(target)
        if target_column == column:
            statuses = tuple(s for s, t in rule.targets if t == target)
            if not statuses:
                return None
            said = tuple(label for label in rule.labels if label.strip().lower() in statuses)
            return _with_when(rule.date, Condition(rule.column, any_of=statuses, said=said))
    return None


def _with_when(spec: Spec, cond: Condition) -> Spec:
    if spec.when is None:
        return Spec(**{**spec.__dict__, "when": cond})
    return Spec(first=(spec,), when=cond)  # both conditions: the inner one stays on the spec


# --- Reading a mapping file ---------------------------------------------------------------------

_TOP_KEYS = {
    "title",
    "extends",
    "time_zone",
    "date_formats",
    "missing",
    "normalize_labels",
    "notes",
    "files",
}
_FILE_KEYS = {
    "table",
    "match",
    "name",
    "required",
    "columns",
    "status",
    "skip",
    "keep_extra",
    "rows",
    "lead_attributes",
}
_SPEC_KEYS = {
    "column",
    "constant",
    "line",
    "first",
    "lookup",
    "key",
    "match",
    "take",
    "where",
    "pick",
    "split",
    "part",
    "pattern",
    "chars",
    "map",
    "others",
    "when",
    "optional",
    "if_blank",
}
_COND_KEYS = {"column", "in", "not_in", "prefix", "not_prefix", "blank"}


def builtin_path(name: str) -> Path:
    return FORMATS_DIR / f"{name}.toml"


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file (a user's, or a shipped format by path)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise MappingError(f"{path}: not valid TOML: nested too deeply") from None
    name = path.stem if path.parent == FORMATS_DIR else "mapping"
    return _from_dict(data, name, str(path))


def builtin(name: str) -> Mapping:
    """A format shipped with Handoff: hubspot, salesforce or zoho."""
    if name not in BUILTIN_FORMATS:
        raise MappingError(
            f"unknown format {name!r} (expected one of {', '.join(BUILTIN_FORMATS)})"
        )
    return load_mapping(builtin_path(name))


def _from_dict(data: dict[str, Any], name: str, origin: str) -> Mapping:
    where = origin
    if "extends" in data:
        base_name = data["extends"]
        if base_name not in BUILTIN_FORMATS:
            raise MappingError(
                f"{where}: extends: {base_name!r} is not a shipped format "
                f"({', '.join(BUILTIN_FORMATS)})"
            )
        base = tomllib.loads(builtin_path(base_name).read_text(encoding="utf-8"))
        data = _merge(base, {k: v for k, v in data.items() if k != "extends"})
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    title = _text(data, "title", where, required=True)
    time_zone = _text(data, "time_zone", where)
    if time_zone is not None and (why := zones.problem(time_zone)) is not None:
        raise MappingError(f"{where}: time_zone: {why}")
    formats = _texts(data, "date_formats", where)
    for fmt in formats:
        if (why := _date_format_problem(fmt)) is not None:
            raise MappingError(f"{where}: date_formats: {fmt!r} {why}")
    files_data = data.get("files")
    if not isinstance(files_data, dict) or not files_data:
        raise MappingError(f"{where}: files: expected at least one [files.<kind>] table")
    files = tuple(_file_kind(k, v, f"{where}: files.{k}") for k, v in files_data.items())
    if not any(f.table == "leads" for f in files):
        raise MappingError(f"{where}: files: no file kind feeds the leads table")
    keys = {f.key for f in files}
    declared: dict[str, str] = {}
    for f in files:
        for attribute in f.lead_attributes:
            other = declared.setdefault(attribute.name, f.key)
            if other != f.key and not (f.table == "leads" == _kind_of(files, other).table):
                raise MappingError(
                    f"{where}: files.{f.key}.lead_attributes.{attribute.name}: files.{other} "
                    "declares it too; a lead attribute comes from one kind of file (name one "
                    "otherwise)"
                )
    for f in files:
        lookups = [spec for spec in all_specs(f) if spec.lookup is not None]
        for spec in lookups:
            if spec.lookup not in keys:
                raise MappingError(
                    f"{where}: files.{f.key}: lookup into {spec.lookup!r}, which is not a file kind"
                )
        if len(lookups) > MAX_LOOKUPS:
            raise MappingError(
                f"{where}: files.{f.key}: {len(lookups):,} lookups; at most {MAX_LOOKUPS} are "
                "allowed in one kind of file (each is a join over another file)"
            )
    normalize = data.get("normalize_labels", True)
    if not isinstance(normalize, bool):
        raise MappingError(f"{where}: normalize_labels: expected true or false")
    return Mapping(
        name=name,
        title=title,
        files=files,
        time_zone=time_zone,
        date_formats=tuple(formats),
        missing=tuple(_texts(data, "missing", where)),
        normalize_labels=normalize,
        origin=origin,
        notes=tuple(_texts(data, "notes", where)),
    )


def _kind_of(files: tuple[FileKind, ...], key: str) -> FileKind:
    return next(f for f in files if f.key == key)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else in `over` replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _file_kind(key: str, data: Any, where: str) -> FileKind:
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected a table")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        raise MappingError(f"{where}: a file kind is named with lower-case letters, digits and _")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    table = _text(data, "table", where)
    if table is not None and table not in TABLES_BY_NAME:
        raise MappingError(f"{where}.table: {table!r} is not a table ({', '.join(TABLES_BY_NAME)})")
    match = tuple(_texts(data, "match", where))
    if not match:
        raise MappingError(f"{where}.match: list the headers that identify this kind of file")
    columns_data = data.get("columns", {})
    if not isinstance(columns_data, dict):
        raise MappingError(f"{where}.columns: expected a table")
    if table is None and columns_data:
        raise MappingError(f"{where}.columns: a reference file (no table) maps no columns")
    columns = []
    for column, value in columns_data.items():
        if column not in TABLES_BY_NAME[table].column_names:
            raise MappingError(
                f"{where}.columns.{column}: {table} has no column {column!r} "
                f"({', '.join(TABLES_BY_NAME[table].column_names)})"
            )
        columns.append((column, _spec(value, f"{where}.columns.{column}")))
    status = tuple(
        _status_rule(r, f"{where}.status[{i}]") for i, r in enumerate(_list(data, "status", where))
    )
    if status and table != "leads":
        raise MappingError(f"{where}.status: status rules apply to the leads table only")
    skip = tuple(_skip(s, f"{where}.skip[{i}]") for i, s in enumerate(_list(data, "skip", where)))
    rows = _condition(data["rows"], f"{where}.rows") if "rows" in data else None
    if rows is not None and table is None:
        raise MappingError(f"{where}.rows: a reference file (no table) takes every row")
    required = data.get("required", table == "leads")
    keep_extra = data.get("keep_extra", True)
    for flag, value in (("required", required), ("keep_extra", keep_extra)):
        if not isinstance(value, bool):
            raise MappingError(f"{where}.{flag}: expected true or false")
    kind = FileKind(
        key=key,
        table=table,
        match=match,
        name=_text(data, "name", where),
        required=required,
        columns=tuple(columns),
        status=status,
        skip=skip,
        keep_extra=keep_extra,
        rows=rows,
        lead_attributes=_lead_attributes(data.get("lead_attributes", {}), table, where),
    )
    _check_picks(kind, where)
    if table is not None:
        missing = [c for c in TABLES_BY_NAME[table].required_columns if kind.spec(c) is None]
        if missing and not (table == "leads" and missing == ["source"]):
            raise MappingError(f"{where}.columns: nothing gives the required column {missing[0]!r}")
    return kind


def _spec(value: Any, where: str, depth: int = 1) -> Spec:
    if isinstance(value, str):
        return Spec(column=value)
    if not isinstance(value, dict):
        raise MappingError(f"{where}: expected a column name or a table")
    if depth > MAX_NESTING:
        raise MappingError(
            f"{where}: nested more than {MAX_NESTING} levels deep (first and lookup inside one "
            "another); write the alternatives as one flat first = [...]"
        )
    unknown = set(value) - _SPEC_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kinds = [k for k in ("column", "constant", "line", "first", "lookup") if k in value]
    if len(kinds) != 1:
        raise MappingError(f"{where}: give exactly one of column, constant, line, first or lookup")
    if "line" in value and value["line"] is not True:
        raise MappingError(f"{where}.line: write line = true")
    args: dict[str, Any] = {"line": "line" in value}
    if "column" in value:
        args["column"] = _text(value, "column", where, required=True)
    if "constant" in value:
        constant = value["constant"]
        if isinstance(constant, bool) or not isinstance(constant, str | int | float):
            raise MappingError(f"{where}.constant: expected text or a number")
        args["constant"] = str(constant)
    if "first" in value:
        items = value["first"]
        if not isinstance(items, list) or not items:
            raise MappingError(f"{where}.first: expected a non-empty list")
        if len(items) > MAX_ALTERNATIVES:
            raise MappingError(
                f"{where}.first: {len(items):,} alternatives; at most {MAX_ALTERNATIVES} "
                "are allowed"
            )
        args["first"] = tuple(
            _spec(v, f"{where}.first[{i}]", depth + 1) for i, v in enumerate(items)
        )
    if "lookup" in value:
        args["lookup"] = _text(value, "lookup", where, required=True)
        for part in ("key", "match", "take"):
            if part not in value:
                raise MappingError(f"{where}: a lookup needs key, match and take")
            args[part] = _spec(value[part], f"{where}.{part}", depth + 1)
        if "where" in value:
            args["where"] = _condition(value["where"], f"{where}.where")
        args["pick"], args["order"] = _pick(value.get("pick", "first"), f"{where}.pick")
    elif set(value) & {"key", "match", "take", "where", "pick"}:
        raise MappingError(f"{where}: key, match, take, where and pick belong to a lookup")
    if "split" in value:
        args["split"] = _text(value, "split", where, required=True)
        part = value.get("part", 1)
        if not isinstance(part, int) or isinstance(part, bool) or part < 1:
            raise MappingError(f"{where}.part: expected a whole number from 1")
        args["part"] = part
    if "pattern" in value:
        pattern = _text(value, "pattern", where, required=True)
        if (why := _pattern_problem(pattern)) is not None:
            raise MappingError(f"{where}.pattern: {why}")
        args["pattern"] = pattern
    if "chars" in value:
        chars = value["chars"]
        if not isinstance(chars, int) or isinstance(chars, bool) or chars < 1:
            raise MappingError(f"{where}.chars: expected a whole number from 1")
        args["chars"] = chars
    if "map" in value:
        mapped = value["map"]
        if not isinstance(mapped, dict) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in mapped.values()
        ):
            raise MappingError(f"{where}.map: expected a table of value = replacement")
        args["values"] = tuple((k.strip().lower(), str(v)) for k, v in mapped.items())
    if "others" in value:
        args["others"] = _text(value, "others", where, required=True)
    if "when" in value:
        args["when"] = _condition(value["when"], f"{where}.when")
    for flag in ("optional",):
        if flag in value:
            if not isinstance(value[flag], bool):
                raise MappingError(f"{where}.{flag}: expected true or false")
            args[flag] = value[flag]
    if "if_blank" in value:
        args["if_blank"] = _text(value, "if_blank", where, required=True)
    return Spec(**args)


def _lead_attributes(data: Any, table: str | None, where: str) -> tuple[LeadAttribute, ...]:
    """A kind of file's `lead_attributes`: name = how the value is made (and, on a file about
    leads, which of a lead's rows gives it)."""
    where = f"{where}.lead_attributes"
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected a table of name = value")
    if data and (table is None or (table != "leads" and TABLES_BY_NAME[table].lead_key is None)):
        about = [t.name for t in TABLES if t.lead_key]
        raise MappingError(
            f"{where}: lead attributes come from the leads file or a file about leads "
            f"({', '.join(about)}); this file feeds {table or 'no table'}"
        )
    leads_columns = TABLES_BY_NAME["leads"].column_names
    out = []
    for name, value in data.items():
        at = f"{where}.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in (*leads_columns, "lead_key"):
            raise MappingError(
                f"{at}: a lead attribute is named with lower-case letters, digits and _, and "
                f"not as a column of leads ({', '.join(leads_columns)})"
            )
        pick, order = "first", None
        if table != "leads" and isinstance(value, dict) and "pick" in value:
            if "lookup" in value:
                raise MappingError(
                    f"{at}: pick here says which of the lead's rows gives the value; a lookup's "
                    "own pick goes inside it: { first = [{ lookup = …, pick = … }], pick = … }"
                )
            value = dict(value)
            pick, order = _attribute_pick(value.pop("pick"), f"{at}.pick")
        out.append(LeadAttribute(name, _spec(value, at), pick, order))
    return tuple(out)


def _attribute_pick(value: Any, where: str) -> tuple[str, str | None]:
    if value in ("earliest", "latest"):
        raise MappingError(
            f'{where}: a lead attribute is text, not a date: write {{ {value} = "<a date column '
            f"of the file>\" }} for the value of the lead's {value} row"
        )
    if isinstance(value, str) and value in ATTRIBUTE_PICKS:
        return value, None
    try:
        pick, order = _pick(value, where)
    except MappingError:
        pick, order = "", None
    if order is None:
        raise MappingError(
            f"{where}: expected first, last or any (the values joined), or {{ earliest = "
            f'"<column>" }} or {{ latest = "<column>" }}'
        )
    return pick, order


def _pick(value: Any, where: str) -> tuple[str, str | None]:
    """A lookup's pick: one of PICKS, or { earliest = "<column>" } / { latest = "<column>" }
    (of the rows, the one whose column, read as a date, is earliest or latest)."""
    if isinstance(value, str) and value in PICKS:
        return value, None
    if isinstance(value, dict) and len(value) == 1:
        ((pick, column),) = value.items()
        if pick in ("earliest", "latest"):
            if not isinstance(column, str) or not column.strip():
                raise MappingError(f'{where}.{pick}: expected a column name, e.g. "Created"')
            return pick, column
    raise MappingError(
        f'{where}: expected one of {", ".join(PICKS)}, or {{ earliest = "<column>" }} or '
        '{ latest = "<column>" } to take the value of the row whose <column> (a date) is the '
        "earliest or latest"
    )


def _check_picks(kind: FileKind, where: str) -> None:
    """Plain `pick = "earliest"/"latest"` reads the looked-up values as dates: only a timestamp
    column of the table can be made so; any other value is told how to pick by a date column."""
    table = TABLES_BY_NAME[kind.table] if kind.table else None
    types = {c.name: c.type for c in table.columns} if table else {}

    def walk(spec: Spec | None, key: str, column: str, is_date: bool) -> None:
        if spec is None:
            return
        plain = spec.pick in ("earliest", "latest") and spec.order is None
        if spec.lookup is not None and plain and not is_date:
            dates = ", ".join(c for c, t in types.items() if t is ColumnType.TIMESTAMP)
            raise MappingError(
                f'{where}.{key}: pick = "{spec.pick}" takes the {spec.pick} of the '
                f"looked-up values read as dates, so it applies only to a date column of "
                f"{kind.table} ({dates}), and {column} is not one; to take the {column} of the "
                f"{spec.lookup} row whose date is the {spec.pick}, write pick = {{ {spec.pick} = "
                f'"<a date column of the {spec.lookup} file>" }}'
            )
        for s in spec.first:
            walk(s, key, column, is_date)
        walk(spec.key, key, column, False)

    for column, spec in kind.columns:
        walk(spec, f"columns.{column}", column, types.get(column) is ColumnType.TIMESTAMP)
    for attribute in kind.lead_attributes:
        walk(attribute.spec, f"lead_attributes.{attribute.name}", attribute.name, False)


def _pattern_problem(pattern: str) -> str | None:
    """Why DuckDB cannot use `pattern` as the value's regular expression, or None.

    DuckDB's expressions are RE2: no back-references, no look-around and no repetition above
    1,000, all of which Python's `re` accepts; so DuckDB compiles the pattern itself, on no data,
    when the mapping is read."""
    try:
        _probe("select regexp_extract('', $p, 1)", {"p": pattern})
    except duckdb.Error as exc:
        return (
            f"not a regular expression DuckDB can use ({_said(exc)}); back-references and "
            "look-around are not supported"
        )
    try:
        groups = re.compile(pattern).groups
    except re.error as exc:
        return f"not a regular expression: {exc}"
    return None if groups >= 1 else "needs a group (…) around the value"


def _date_format_problem(fmt: str) -> str | None:
    """Why DuckDB's strptime cannot use `fmt`, or None."""
    if "%" not in fmt:
        return "has no % directive"
    try:
        _probe("select try_strptime('', $f)", {"f": fmt})
    except duckdb.Error as exc:
        return f"is not a date format DuckDB can read ({_said(exc)})"
    return None


_PROBE_LOCK = threading.Lock()


@cache
def _probe_connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _probe(sql: str, params: dict[str, Any]) -> None:
    """Run a check that reads no data (raises duckdb.Error), on one in-memory connection."""
    with _PROBE_LOCK:
        _probe_connection().execute(sql, params).fetchall()


def _said(exc: duckdb.Error) -> str:
    """DuckDB's message without its error class: "invalid escape sequence: \\1"."""
    return str(exc).split("Error:", 1)[-1].strip().splitlines()[0]


def _condition(value: Any, where: str) -> Condition:
    if not isinstance(value, dict):
        raise MappingError(f'{where}: expected a table like {{ column = "IsWon", in = ["1"] }}')
    unknown = set(value) - _COND_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    column = _text(value, "column", where, required=True)
    tests = [k for k in ("in", "not_in", "prefix", "not_prefix", "blank") if k in value]
    if len(tests) != 1:
        raise MappingError(f"{where}: give exactly one of in, not_in, prefix, not_prefix or blank")
    test = tests[0]
    if test == "blank":
        if not isinstance(value["blank"], bool):
            raise MappingError(f"{where}.blank: expected true or false")
        return Condition(column, blank=value["blank"])
    items = value[test]
    if isinstance(items, str | int) and not isinstance(items, bool):
        items = [items]
    if not isinstance(items, list) or not items or not all(isinstance(i, str | int) for i in items):
        raise MappingError(f"{where}.{test}: expected a value or a list of values")
    texts = tuple(str(i) for i in items)
    if test == "prefix":
        return Condition(column, prefix=texts)
    if test == "not_prefix":
        return Condition(column, not_prefix=texts)
    lowered = tuple(t.strip().lower() for t in texts)
    if test == "in":
        return Condition(column, any_of=lowered, said=texts)
    return Condition(column, none_of=lowered, said=texts)


def _status_rule(value: Any, where: str) -> StatusRule:
    if not isinstance(value, dict):
        raise MappingError(f"{where}: expected a table")
    unknown = set(value) - {"column", "date", "values"}
    if unknown:
        raise MappingError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    column = _text(value, "column", where, required=True)
    if "date" not in value:
        raise MappingError(f"{where}.date: say which column dates the status")
    date = _spec(value["date"], f"{where}.date")
    values = value.get("values")
    if not isinstance(values, dict) or not values:
        raise MappingError(f"{where}.values: expected a table of status = stage")
    targets, reasons, labels = [], [], []
    for status, target in values.items():
        reason = None
        if isinstance(target, dict):
            if set(target) != {"discard"} or not isinstance(target["discard"], str):
                raise MappingError(
                    f'{where}.values.{status}: expected a stage or {{ discard = "reason" }}'
                )
            reason, target = target["discard"], "discarded"
        if target not in STATUS_TARGETS:
            raise MappingError(
                f"{where}.values.{status}: {target!r} is not one of {', '.join(STATUS_TARGETS)}"
            )
        key = status.strip().lower()
        targets.append((key, target))
        labels.append(status)
        if target == "discarded":
            reasons.append((key, reason or status))
    return StatusRule(column, date, tuple(targets), tuple(reasons), tuple(labels))


def _skip(value: Any, where: str) -> Skip:
    if not isinstance(value, dict) or set(value) != {"when", "reason"}:
        raise MappingError(f'{where}: expected {{ when = {{ … }}, reason = "…" }}')
    return Skip(_condition(value["when"], f"{where}.when"), _text(value, "reason", where, True))


def _text(data: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    if key not in data:
        if required:
            raise MappingError(f"{where}: {key} is required")
        return None
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where}: {key}: expected non-empty text")
    return value


def _texts(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where}: {key}: expected a list of text")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise MappingError(f"{where}.{key}: expected a list ([[…]] tables)")
    return value


def all_specs(kind: FileKind) -> list[Spec]:
    """Every spec of a kind of file, nested ones included (the lookups among them)."""
    out: list[Spec] = []

    def walk(spec: Spec | None) -> None:
        if spec is None:
            return
        out.append(spec)
        for s in (*spec.first, spec.key, spec.match, spec.take):
            walk(s)

    for column in kind.mapped_columns() if kind.table else []:
        walk(kind.spec(column))
    for attribute in kind.lead_attributes:
        walk(attribute.spec)
    return out


def canonical() -> Mapping:
    """The canonical dataset as a mapping: one file per table, named after it, columns as-is."""
    files = []
    for table in TABLES:
        files.append(
            FileKind(
                key=table.name,
                table=table.name,
                match=table.required_columns,
                name=f"{table.name}.*",
                required=table.required,
                columns=tuple(
                    (c.name, Spec(column=c.name, optional=not c.required)) for c in table.columns
                ),
                status=(),
                skip=(),
                keep_extra=True,
            )
        )
    return Mapping(name=CANONICAL, title="Handoff canonical dataset", files=tuple(files))


# --- Recognising an export ----------------------------------------------------------------------


def header_key(header: str) -> str:
    """Headers compare without case, surrounding space, a BOM or punctuation differences."""
    return re.sub(r"[^a-z0-9]+", " ", header.strip().lstrip("\ufeff").lower()).strip()


@dataclass(frozen=True)
class Assignment:
    """Which file is which kind of file of a mapping, and why."""

    mapping: Mapping
    files: tuple[tuple[str, Path], ...]  # (kind key, file), in the mapping's order
    unused: tuple[Path, ...]
    missing: tuple[str, ...]  # kinds with no file
    reasons: tuple[str, ...]  # one line per file, said plainly
    # Kinds with no file of their own whose headers fit a file another kind took: (kind, file,
    # the kind that took it). Only kinds with a row rule share a file.
    contested: tuple[tuple[str, Path, str], ...] = ()

    @property
    def score(self) -> int:
        return sum(1 for k, _ in self.files if self.mapping.kind(k).table is not None)

    def path(self, key: str) -> Path | None:
        return next((p for k, p in self.files if k == key), None)

    @property
    def has_leads(self) -> bool:
        return any(self.mapping.kind(k).table == "leads" for k, _ in self.files)

    def sharing(self, key: str) -> list[str]:
        """The kinds reading the same file as `key` (itself included), in the mapping's order:
        the first one reads the file and owns what reading it rejects."""
        path = self.path(key)
        return [k for k, p in self.files if p == path]

    def contest_message(self, key: str) -> str | None:
        """What to write when kind `key` got no file because another kind took the one it fits."""
        for kind, path, taker in self.contested:
            if kind != key:
                continue
            mine, theirs = self.mapping.kind(kind), self.mapping.kind(taker)
            if mine.rows is not None and theirs.rows is not None:
                return (
                    f"{path.name} is read for the {theirs.table} table by [files.{taker}]; a "
                    f"file feeds each table through one kind only, so [files.{kind}] gets no "
                    f"file: list its rows in [files.{taker}]'s row rule instead"
                )
            return (
                f"{path.name} fits both [files.{taker}] and [files.{kind}] and is read as "
                f"{taker} only. For one file to feed both, give each a row rule saying which "
                f'rows it takes, e.g. rows = {{ column = "type", in = ["click"] }} in '
                f"[files.{taker}] and another in [files.{kind}] (see the README's mapping "
                "table); else give them name patterns that tell their files apart"
            )
        return None


def assign(mapping: Mapping, headers: MappingABC[Path, list[str]]) -> Assignment:
    """Give each kind of file of `mapping` the file whose headers (and name) fit it best."""
    keys_of = {p: {header_key(h) for h in hs} for p, hs in headers.items()}
    taken: dict[Path, str] = {}
    files: list[tuple[str, Path]] = []
    reasons: list[str] = []
    missing: list[str] = []
    # The most specific kinds (most headers to match) choose first.
    order = sorted(mapping.files, key=lambda k: -len(k.match))
    chosen: dict[str, Path] = {}
    readers: dict[Path, list[FileKind]] = {}  # the kinds that took each file
    contested: list[tuple[str, Path, str]] = []

    def free(kind: FileKind, p: Path) -> bool:
        # A file taken by kinds with row rules is free for another such kind of another table.
        others = readers.get(p, [])
        return not others or (
            kind.rows is not None
            and all(o.rows is not None and o.table != kind.table for o in others)
        )

    for kind in order:
        wanted = {header_key(h) for h in kind.match}
        fitting = [
            p
            for p in headers
            if wanted <= keys_of[p]
            and (kind.name is None or fnmatch.fnmatch(p.name.lower(), kind.name.lower()))
        ]
        fits = [p for p in fitting if free(kind, p)]
        if not fits:
            missing.append(kind.key)
            if fitting:
                # The kind in the way: one of the same table (which no row rule can share
                # with), else the first that took the file.
                others = readers[fitting[0]]
                same = [o for o in others if o.table == kind.table]
                contested.append((kind.key, fitting[0], (same or others)[0].key))
            continue
        best = sorted(fits, key=lambda p: (-len(wanted & keys_of[p]), p.name))[0]
        taken.setdefault(best, kind.key)
        readers.setdefault(best, []).append(kind)
        chosen[kind.key] = best
    for kind in mapping.files:
        if kind.key in chosen:
            path = chosen[kind.key]
            files.append((kind.key, path))
            target = f"the {kind.table} table" if kind.table else "lookups only"
            named = f", named like {kind.name}" if kind.name else ""
            rows = f"; the rows where {describe_condition(kind.rows)}" if kind.rows else ""
            reasons.append(
                f"{path.name} → {kind.key} ({target}): has {', '.join(kind.match)}{named}{rows}"
            )
    unused = tuple(sorted((p for p in headers if p not in taken), key=lambda p: p.name))
    for p in unused:
        reasons.append(f"{p.name}: not used (its headers fit no kind of file of {mapping.name})")
    assignment = Assignment(
        mapping=mapping,
        files=tuple(files),
        unused=unused,
        missing=tuple(k for k in (f.key for f in mapping.files) if k in missing),
        reasons=tuple(reasons),
        contested=tuple(contested),
    )
    for key, _, _ in contested:
        message = assignment.contest_message(key)
        assert message is not None
        reasons.append(f"{key}: no file: {message}")
    return replace(assignment, reasons=tuple(reasons))


def detect(headers: MappingABC[Path, list[str]]) -> tuple[Assignment, list[str]]:
    """The format whose file kinds fit the export best, and the explanation of the choice."""
    candidates = [assign(canonical(), headers)] + [
        assign(builtin(name), headers) for name in BUILTIN_FORMATS
    ]
    fitting = [a for a in candidates if a.has_leads]
    lines = []
    for a in candidates:
        lines.append(
            f"{a.mapping.name}: {a.score} of {sum(1 for f in a.mapping.files if f.table)} "
            f"table files recognised{'' if a.has_leads else ' (no leads file)'}"
        )
    if not fitting:
        raise MappingError(
            "could not tell the export's format: no file has the headers of a leads file of any "
            "format (canonical: lead_id, created_at, source; HubSpot contacts: Record ID, Create "
            "Date, Lifecycle Stage; Salesforce Lead: Id, LeadSource, Status, CreatedDate; Zoho "
            "Leads: LEADID, Lead Status, Created Time). Give --format or --mapping.\n  "
            + "\n  ".join(lines)
        )
    fitting.sort(key=lambda a: -a.score)
    if len(fitting) > 1 and fitting[0].score == fitting[1].score:
        raise MappingError(
            f"the export fits {fitting[0].mapping.name} and {fitting[1].mapping.name} equally "
            "well; give --format.\n  " + "\n  ".join(lines)
        )
    return fitting[0], lines


# --- Saying what a mapping does -----------------------------------------------------------------


def describe(spec: Spec) -> str:
    """A spec in words, for the upload page: where a canonical column's values come from."""
    if spec.column is not None:
        text = spec.column
    elif spec.constant is not None:
        text = f"always “{spec.constant}”"
    elif spec.line:
        text = "the row's line number"
    elif spec.first:
        text = ", else ".join(describe(s) for s in spec.first)
    else:
        # A parsed lookup always has take, match and key.
        assert spec.take is not None
        assert spec.match is not None
        assert spec.key is not None
        text = (
            f"{describe(spec.take)} of the {spec.lookup} file where {describe(spec.match)}"
            f" = {describe(spec.key)}"
        )
        if spec.pick in ("earliest", "latest") and spec.order is not None:
            text += f", of the row with the {spec.pick} {spec.order}"
        elif spec.pick in ("earliest", "latest"):
            text = f"the {spec.pick} " + text
    if spec.split is not None:
        text += f" (part {spec.part} of a “{spec.split}” list)"
    if spec.pattern is not None:
        text += " (the part matching a pattern)"
    if spec.chars is not None:
        text += f" (first {spec.chars} characters)"
    if spec.values:
        shown = ", ".join(f"{k} → {v or 'blank'}" for k, v in spec.values[:4])
        more = f", … {len(spec.values) - 4} more" if len(spec.values) > 4 else ""
        text += f" mapped ({shown}{more})"
    if spec.when is not None:
        text += f", when {describe_condition(spec.when)}"
    return text


def describe_condition(cond: Condition) -> str:
    if cond.blank is not None:
        return f"{cond.column} is {'blank' if cond.blank else 'not blank'}"
    if cond.prefix is not None:
        return f"{cond.column} starts with {' or '.join(cond.prefix)}"
    if cond.not_prefix is not None:
        return f"{cond.column} does not start with {' or '.join(cond.not_prefix)}"
    values = cond.said or (cond.any_of if cond.any_of is not None else cond.none_of or ())
    listed = " / ".join(values[:6]) + (" / …" if len(values) > 6 else "")
    return f"{cond.column} is {'' if cond.any_of is not None else 'not '}{listed}"


def describe_attribute(kind: FileKind, attribute: LeadAttribute) -> str:
    """Where a declared lead attribute comes from, in words."""
    text = describe(attribute.spec)
    if kind.table == "leads":
        return text
    if attribute.pick == "any":
        how = f"every value of the lead's {kind.key} rows, joined by “{ANY_SEPARATOR.strip()}”"
    elif attribute.order is not None:
        how = f"the lead's {kind.key} row with the {attribute.pick} {attribute.order}"
    else:
        how = f"the lead's {attribute.pick} {kind.key} row with a value"
    return f"{text}, of {how}"


def column_mapping(assignment: Assignment) -> list[dict[str, str]]:
    """One row per file and canonical column it gives: where the values come from."""
    rows = []
    for key, path in assignment.files:
        kind = assignment.mapping.kind(key)
        if kind.table is None:
            rows.append(
                {
                    "file": path.name,
                    "table": "(lookups)",
                    "column": "",
                    "from": "looked up by others",
                }
            )
            continue
        for column in kind.mapped_columns():
            spec = kind.spec(column)
            assert spec is not None
            rows.append(
                {"file": path.name, "table": kind.table, "column": column, "from": describe(spec)}
            )
        for attribute in kind.lead_attributes:
            rows.append(
                {
                    "file": path.name,
                    "table": "leads",
                    "column": f"{attribute.name} (lead attribute)",
                    "from": describe_attribute(kind, attribute),
                }
            )
        for skip in kind.skip:
            rows.append(
                {
                    "file": path.name,
                    "table": kind.table,
                    "column": "(rows set aside)",
                    "from": f"when {describe_condition(skip.when)}: {skip.reason}",
                }
            )
    return rows


# --- The keys of a mapping file, documented once (the README's table is checked against it) --

KEY_DOCS: tuple[tuple[str, str], ...] = (
    ("title", "What the export is; shown when it is read (required)"),
    ("extends", "A shipped format (hubspot, salesforce, zoho) to start from; any key given replaces"
     " the format's (tables merge key by key, lists and [[…]] tables are replaced whole)"),
    ("time_zone", "IANA time zone of times of day written without an offset (default: the"
     " agreement's); a date alone is midnight in the agreement's zone whatever this says"),
    ("date_formats", "strptime formats tried after ISO 8601, e.g. \"%d %b, %Y %H:%M:%S\"; put"
     " two-digit-year formats (%y) before four-digit ones (%Y)"),
    ("missing", "Values read as blank in every column, e.g. [\"Select\", \"-None-\"]"),
    ("normalize_labels", "Merge source, channel, owner, team and reason spellings that differ only"
     " in case, spaces or punctuation into the most frequent one (default true)"),
    ("notes", "Sentences shown with the import: what the mapping assumes"),
    ("files.<kind>.table", "The table this kind of file feeds: leads, touches, activities, deals or"
     " spend; none for a file only looked into"),
    ("files.<kind>.match", "Headers a file must have to be this kind (compared without case or"
     " punctuation)"),
    ("files.<kind>.name", "A file-name pattern it must also match, e.g. \"Lead*.csv\""),
    ("files.<kind>.columns.<column>", "How a canonical column is made: a header name, or a table"
     " with one of column, constant, line, first or lookup and any modifiers"),
    ("files.<kind>.status", "[[…]] rules: column, date (how to date the status) and values"
     " (status = mql, sal, sql, opportunity, won, lost, recycled, none,"
     " or { discard = \"reason\" })"),
    ("files.<kind>.skip", "[[…]] rows set aside: when (a condition) and reason; they are not bad"
     " data: counted as set aside, apart from the rejected rows, naming the rule"
     " (files.<kind>.skip when … : reason); a row set aside is not checked further"),
    ("files.<kind>.rows", "The rows of its file this kind takes, a condition like `when`'s:"
     " { column = \"type\", in = [\"click\", \"impression\"] }. Kinds with a row rule feeding"
     " different tables may match the same file (an event log of touches and conversions): each"
     " row goes to the first kind in the mapping's order whose rule takes it; a row no"
     " rule takes is set aside (counted with the first kind); the file is read once"),
    ("files.<kind>.keep_extra", "Keep the file's other columns as attributes (default true)"),
    ("files.<kind>.lead_attributes", "name = value: lead attributes the mapping makes, filters and"
     " breakdowns like the leads file's other columns. On the leads file any value (a lookup, a"
     " map); on a file about leads (deals, activities, touches), of each lead's accepted rows,"
     " with `pick` first or last (file order, default first), `{ earliest = \"time\" }` or"
     " `{ latest = \"time\" }` (by a date column, as a lookup's pick), or any: every distinct"
     " value in alphabetical order joined by \" + \" (\"New + Upsell\")"),
    ("column", "The value of a header"),
    ("constant", "A fixed value"),
    ("line", "true: the row's line, as \"line 17\" (an id for exports without one)"),
    ("first", "A list of values: the first that is not blank"),
    ("lookup", "Another kind of file: the value of its `take` where its `match` equals this row's"
     " `key`, optionally among its rows passing `where`; `pick` which of several rows"),
    ("pick", "Of a lookup's rows with a value: first or last in file order (default first);"
     " `{ earliest = \"time\" }` or `{ latest = \"time\" }`, the row whose time column, read as"
     " a date with the mapping's date_formats, is the earliest or latest (a tie goes to the first"
     " row in the file for earliest, the last for latest; rows whose column is blank or not a"
     " date only when no row has one); `earliest` or `latest` alone, the earliest or latest of"
     " the values read as dates (for a date column only)"),
    ("split, part", "Take part `part` (from 1) of a list separated by `split`"),
    ("pattern", "A regular expression: the value is its first group"),
    ("chars", "The first n characters (Salesforce ids: 15)"),
    ("map", "Value map, matched without case: { \"Closed Won\" = \"won\" }"),
    ("others", "What an unmapped value becomes (\"\" for blank; default: itself)"),
    ("when", "The value only where a condition holds: { column = …, in | not_in | prefix |"
     " not_prefix = […] } or { column = …, blank = true }"),
    ("optional", "true: a missing header reads as blank instead of stopping the import"),
    ("if_blank", "The reason a row is rejected when this required value is blank"),
)  # fmt: skip


def keys_markdown() -> str:
    """The mapping file's keys as the Markdown table the README shows."""
    lines = ["| key | meaning |", "|---|---|"]
    lines += [f"| `{key}` | {meaning} |" for key, meaning in KEY_DOCS]
    return "\n".join(lines)
