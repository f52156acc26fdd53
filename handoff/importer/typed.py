"""The third step of an import: every value typed against the data contract, with its problem.

For each canonical column the contract says its kind (text, choice, timestamp, number, month),
whether it is required, and what a blank becomes; `value_expr` turns that into two SQL
expressions over a file's row: the typed value, and a struct(col, canon, cause, why) saying what
is wrong with it (NULL when nothing is): the file's column, the canonical one, the kind of
problem and what is wrong with this row's value. Every constant of the contract that reaches
the SQL (a choice's options, a minimum, a column's name in a reason) is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handoff.contract import Column, ColumnType
from handoff.importer.extract import Extractor
from handoff.sql import Sql, compose, join, stripped, trimmed

SQL_TYPES = {
    ColumnType.TEXT: Sql("varchar"),
    ColumnType.CHOICE: Sql("varchar"),
    ColumnType.TIMESTAMP: Sql("timestamptz"),
    ColumnType.NUMBER: Sql("double"),
    ColumnType.MONTH: Sql("date"),
}

# A file's own types that are numbers (Parquet): read as numbers, not parsed from text.
_NUMERIC_TYPES = {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"}


@dataclass(frozen=True)
class Parsed:
    """A timestamp parsed already, one subquery level down (see `handoff.importer.build`)."""

    instant: Sql  # the timestamp's instant, NULL when it cannot be read
    problem: Sql  # why its offset or zone is wrong, NULL when it is not that
    text: Sql | None = None  # its trimmed text, when made already


@dataclass(frozen=True)
class Typed:
    """A column's typed value and its problem."""

    value: Sql  # the typed value
    problem: Sql | None  # a struct(col, canon, cause, why) when the value is bad, else NULL


@dataclass(frozen=True)
class _Value:
    """One value of a file to be typed as one column, with what every check of it needs."""

    col: Column
    expr: Sql  # the file's value (a column, or what a mapping made of it)
    text: Sql  # its trimmed text, NULL when blank
    native: str  # the file's own type (VARCHAR for a text file)
    label: Sql  # names the value in a rejected row's reason
    ex: Extractor
    blank: Sql | None  # the problem of a required value left blank

    @property
    def quoted(self) -> Sql:
        return compose("'''' || {text} || ''''", text=self.text)

    def problem(self, condition: Sql, why: Sql, cause: Sql) -> Sql:
        """The problem when `condition` holds: `why` says it of this row (its value), `cause`
        is the same text for every row with this kind of problem (what summaries count)."""
        return compose(
            "case when {cond} then"
            " {{'col': {label}, 'canon': {canon}, 'cause': {cause}, 'why': {why}}} end",
            cond=condition,
            label=self.label,
            canon=self.ex.bind(self.col.name),
            cause=cause,
            why=why,
        )

    def unread(self, value: Sql, why: Sql, cause: Sql) -> Sql:
        """The problem of a blank, or of a text that `value` could not read."""
        bad = compose("{text} is not null and {value} is null", text=self.text, value=value)
        return either(self.blank, self.problem(bad, why, cause))

    def unreadable(self, value: Sql, why: Sql, cause: Sql) -> Typed:
        """`value`, and its problem when it is blank or could not be read."""
        return Typed(value, self.unread(value, why, cause))


def value_expr(
    col: Column,
    expr: Sql,
    raw_type: str | None,
    label: Sql,
    ex: Extractor,
    blank_reason: str | None = None,
    parsed: Parsed | None = None,
) -> Typed:
    """SQL for a column's typed value and for the problem with it, from the contract.

    `expr` is the file's value (a column, or what a mapping made of it); `label` names it in a
    rejected row's reason. Timestamps are read by the extractor (strict ISO 8601, then the
    mapping's formats, in its time zone), or given `parsed` already; a canonical dataset's
    months only as YYYY-MM.
    """
    if parsed is not None and parsed.text is not None:
        text = parsed.text
    else:
        # An id is trimmed of tabs and no-break spaces too ("\tL1" is L1); other values of
        # spaces only, which is three times faster.
        text = trimmed(expr) if col.name.endswith("_id") else stripped(expr)
    said_blank = Sql("'is blank'") if blank_reason is None else ex.bind(blank_reason)
    value = _Value(col, expr, text, (raw_type or "VARCHAR").upper(), label, ex, None)
    if col.required:
        blank = value.problem(compose("{text} is null", text=text), said_blank, said_blank)
        value = _Value(col, expr, text, value.native, label, ex, blank)
    if col.type is ColumnType.TIMESTAMP:
        return _timestamp(value, parsed)
    return _TYPERS[col.type](value)


def _text(v: _Value) -> Typed:
    if v.col.blank_becomes is not None:
        return Typed(
            compose("coalesce({t}, {b})", t=v.text, b=v.ex.bind(v.col.blank_becomes)), None
        )
    return Typed(v.text, v.blank)


def _choice(v: _Value) -> Typed:
    choices = v.ex.bind(list(v.col.choices))
    value = compose("lower({text})", text=v.text)
    bad = compose(
        "{text} is not null and not list_contains({choices}, {value})",
        text=v.text,
        value=value,
        choices=choices,
    )
    one_of = v.ex.bind("is not one of " + " / ".join(v.col.choices))
    why = compose("{q} || ' ' || {c}", q=v.quoted, c=one_of)
    typed = compose(
        "case when list_contains({choices}, {value}) then {value} end",
        value=value,
        choices=choices,
    )
    return Typed(typed, either(v.blank, v.problem(bad, why, one_of)))


def _timestamp(v: _Value, parsed: Parsed | None) -> Typed:
    if native_time(v.native):
        return Typed(compose("cast({e} as timestamptz)", e=v.expr), v.blank)
    if parsed is None:
        parsed = Parsed(v.ex.timestamp(v.text), v.ex.timestamp_problem(v.text))
    if v.ex.mapping.is_canonical:
        formats = Sql("'(use ISO 8601: 2026-01-31 or 2026-01-31T14:05:00+01:00)'")
    else:
        formats = v.ex.bind(f"(expected {v.ex.date_formats_said()})")
    # A year outside 1900-2199 is a misread (a two-digit year read as year 26), not a date.
    value = compose(
        "case when {p} >= timestamptz '1900-01-01 00:00:00+00'"
        " and {p} < timestamptz '2200-01-01 00:00:00+00' then {p} end",
        p=parsed.instant,
    )
    if v.ex.mapping.is_canonical:
        why = compose(
            "{q} || coalesce(': ' || {tail}, ' is not a date or timestamp ' || {f})",
            q=v.quoted,
            tail=parsed.problem,
            f=formats,
        )
        cause = compose("coalesce({tail}, 'is not a date or timestamp')", tail=parsed.problem)
    else:
        # Said the way the mapping would fix it: the first common format that reads the value.
        tries = join(
            [
                compose(
                    "when year(try_strptime({t}, {f})) between 1900 and 2199 then {f}",
                    t=v.text,
                    f=f,
                )
                for f in map(v.ex.bind, SUGGESTED_DATE_FORMATS)
            ],
            sep=" ",
        )
        fix = compose(
            "coalesce('; add date_formats = [\"' || (case {tries} end) || '\"] to the mapping',"
            " ' ' || {f} || '; if it is one, add its format to date_formats in the mapping"
            " (strptime codes such as %d/%m/%Y %H:%M)')",
            tries=tries,
            f=formats,
        )
        why = compose(
            "'\"' || {t} || '\"' || coalesce(': ' || {tail}, ' is not a date' || {fix})",
            t=v.text,
            tail=parsed.problem,
            fix=fix,
        )
        cause = compose(
            "coalesce({tail}, 'is not a date in a format the mapping reads (date_formats)')",
            tail=parsed.problem,
        )
    return v.unreadable(value, why, cause)


# Formats tried on a date the mapping cannot read, to suggest one for its `date_formats`: the
# first that reads the value is suggested (day-first before month-first, as a value such as
# 31/12/2025 reads only day-first).
SUGGESTED_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d %b, %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %B %Y",
)


def _number(v: _Value) -> Typed:
    if v.native in _NUMERIC_TYPES or v.native.startswith("DECIMAL"):
        # A Parquet number is a number, but NaN and infinity are no amount or score.
        raw = compose("cast({e} as double)", e=v.expr)
        value = compose("case when isfinite({r}) then {r} end", r=raw)
        bad = compose("{r} is not null and not isfinite({r})", r=raw)
        why = compose("{q} || ' is not a finite number'", q=v.quoted)
        found = either(v.blank, v.problem(bad, why, Sql("'is not a finite number'")))
    else:
        value = compose("parse_number({text})", text=v.text)
        why = compose(
            "{q} || ' is not a number (digits with an optional sign, currency, thousands "
            "commas, decimal point and K/M/B)'",
            q=v.quoted,
        )
        found = v.unread(value, why, Sql("'is not a number'"))
    if v.col.minimum is not None:
        below = v.problem(
            compose("{v} < {m}", v=value, m=v.ex.bind(float(v.col.minimum))),
            compose(
                "{q} || ' is below ' || {m} || ': ' || {c} || ' cannot be negative'",
                q=v.quoted,
                m=v.ex.bind(f"{v.col.minimum:g}"),
                c=v.ex.bind(v.col.name),
            ),
            v.ex.bind(f"is below {v.col.minimum:g}: {v.col.name} cannot be negative"),
        )
        found = either(found, below)
    return Typed(value, found)


def _month(v: _Value) -> Typed:
    if v.ex.mapping.is_canonical:
        value = compose(
            "case when regexp_full_match({text}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
            " then cast({text} || '-01' as date) end",
            text=v.text,
        )
        why = compose("{q} || ' is not a month (use YYYY-MM, e.g. 2026-01)'", q=v.quoted)
    else:
        value = v.ex.month(v.text)
        why = compose(
            "{q} || ' is not a month (YYYY-MM) or a date ' || {f}",
            q=v.quoted,
            f=v.ex.bind(f"(expected {v.ex.date_formats_said()})"),
        )
    return v.unreadable(value, why, Sql("'is not a month'"))


_TYPERS: dict[ColumnType, Callable[[_Value], Typed]] = {
    ColumnType.TEXT: _text,
    ColumnType.CHOICE: _choice,
    ColumnType.NUMBER: _number,
    ColumnType.MONTH: _month,
}


def native_time(native: str | None) -> bool:
    """Whether a file's own type is a time (Parquet), read as it is."""
    native = (native or "").upper()
    return native.startswith("TIMESTAMP") or native == "DATE"


def either(first: Sql | None, second: Sql) -> Sql:
    """The first problem found, of two (`first` may be none)."""
    return second if first is None else compose("coalesce({a}, {b})", a=first, b=second)
