"""SQL that turns one loaded export file into a canonical table's columns, as a mapping says.

The importer loads every file of an export as text into its own table (`src_0`, `src_1`, ...);
`Extractor` compiles a file kind's specs into a SELECT over that table, with the lookups into
other files as joins. Every value a mapping supplies (constants, value maps, patterns, reasons,
missing-value markers, date formats) is a bound parameter; header names become identifiers only
after they matched one of the file's own headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from handoff import zones
from handoff.mapping import Condition, FileKind, Mapping, Spec, header_key
from handoff.sql import Sql, compose, ident, join, stripped, trimmed


class ExtractError(ValueError):
    """A mapping refers to something the export does not have; the message names the file."""


@dataclass
class Source:
    """One loaded file of the export."""

    index: int
    kind: FileKind
    path: Path
    columns: dict[str, str]  # header key -> column name in the loaded table
    headers: list[str]  # as the file writes them
    types: dict[str, str]  # column name -> DuckDB type
    line: Sql  # the row's line in the file, as an expression over the alias `s`
    line_params: dict[str, Any] = field(default_factory=dict)
    n_structural: int = 0

    @property
    def table(self) -> Sql:
        return ident(f"src_{self.index}")

    def column(self, header: str) -> str | None:
        return self.columns.get(header_key(header))


# ISO 8601 as Handoff reads it: a date, optionally a time of day (T or a space between), then
# optionally Z, an offset (+01, +0100, +01:00) or an IANA zone name, with or without a space.
_ISO_NAIVE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
_ISO_PARTS = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)\s*(.+)$"
)
# The common forms, read by DuckDB's own cast without taking them apart: a date, or a date and
# time with no offset, or one with Z or an offset in use (-12:00 to +14:00) written right after
# the time (2025-03-01 00:38:26-05, 2024-01-22T20:36:47.000+0000).
_ISO_PLAIN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"([zZ]|\+((0[0-9]|1[0-3])(:?[0-5][0-9])?|14(:?00)?)|-((0[0-9]|1[01])(:?[0-5][0-9])?|12(:?00)?))?)?"
)
# An offset after a time of day (in a `%z` date format's value).
_OFFSET = r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*([+-][0-9]{2}(?::?[0-9]{2})?)$"
_OFFSET_ONLY = r"[+-][0-9]{2}(:?[0-9]{2})?"


# The enum type of zone names DuckDB converts (handoff.zones), made by `create_zone_type` on
# the connection that reads the data: a cast to it is how a zone name in the data is checked.
ZONE_TYPE = "handoff_zone"


def create_zone_type(con: duckdb.DuckDBPyConnection) -> None:
    """Make the ZONE_TYPE enum on `con` (before any SQL of this module runs there)."""
    con.execute("drop type if exists handoff_zone")
    con.execute("create type handoff_zone as enum (select name from pg_timezone_names())")


def iso_parts(text: Sql) -> Sql:
    """What a timestamp that is not in a common ISO 8601 form (`_ISO_PLAIN`) is made of:
    struct(stamp, zone), the date and time and what follows it ('' when it is not ISO 8601 at
    all); NULL for a common one. Computed once per value, in its own column."""
    return compose(
        "case when regexp_full_match({t}, {plain}) then null"
        " else regexp_extract({t}, {p}, ['stamp', 'zone']) end",
        t=text,
        plain=Sql(_sql(_ISO_PLAIN)),
        p=Sql(_sql(_ISO_PARTS)),
    )


def iso_timestamp(text: Sql, parts: Sql, zone: Sql, day_zone: Sql | None = None) -> Sql:
    """ISO 8601 text as an instant, strictly, given its `iso_parts`: without an offset it is
    wall-clock time in `zone` (a date alone, midnight in `day_zone` when given); with Z, an
    offset from -12:00 to +14:00 (minutes below 60) or a zone name DuckDB knows, at that offset
    or in that zone. Anything else (`epoch`, `infinity`, `+25:00`, `Mars/Olympus`, trailing
    words) reads as NULL, so the row is rejected rather than read at a wrong time: DuckDB's own
    cast ignores a zone name after a timestamp and takes `+99` as 99 hours."""
    stamp, tail = compose("{p}.stamp", p=parts), compose("{p}.zone", p=parts)
    return compose(
        "case when {p} is null then case when {t} is null then null"
        " when contains(substr({t}, 12), '+') or contains(substr({t}, 12), '-')"
        " or upper(right({t}, 1)) = 'Z' then try_cast({t} as timestamptz)"
        + (
            " when length({t}) = 10 then timezone({day}, try_cast({t} as timestamp))"
            if day_zone is not None
            else ""
        )
        + " else timezone({tz}, try_cast({t} as timestamp)) end"
        " when {stamp} = '' then null"
        " when upper({tail}) = 'Z' then timezone('UTC', try_cast({stamp} as timestamp))"
        " when regexp_full_match({tail}, {offset}) then case when {ok}"
        " then try_cast({stamp} || {tail} as timestamptz) end"
        " when try_cast({tail} as " + ZONE_TYPE + ") is not null"
        " then timezone({tail}, try_cast({stamp} as timestamp)) end",
        p=parts,
        t=text,
        tz=zone,
        day=day_zone if day_zone is not None else zone,
        tail=tail,
        stamp=stamp,
        offset=Sql(_sql(_OFFSET_ONLY)),
        ok=_offset_ok(tail),
    )


def iso_tail_problem(parts: Sql) -> Sql:
    """Why the offset or zone after an ISO 8601 time of day cannot be read, else NULL."""
    tail = compose("{p}.zone", p=parts)
    return compose(
        "case when {p} is null or {p}.stamp = '' or upper({tail}) = 'Z' then null"
        " when regexp_full_match({tail}, {offset}) then case when not {ok}"
        " then 'the offset ' || {tail} || ' is not between -12:00 and +14:00' end"
        " when try_cast({tail} as " + ZONE_TYPE + ") is null"
        " then chr(39) || {tail} || chr(39) || ' is not a UTC offset or an IANA time zone' end",
        p=parts,
        tail=tail,
        offset=Sql(_sql(_OFFSET_ONLY)),
        ok=_offset_ok(tail),
    )


def _offset_ok(offset: Sql) -> Sql:
    """Whether an offset (+01, +0100, +01:00) is one in use: -12:00 to +14:00, minutes < 60."""
    digits = compose("replace({o}, ':', '')", o=offset)
    hours = compose("try_cast(substr({d}, 2, 2) as integer)", d=digits)
    mins = compose("coalesce(try_cast(nullif(substr({d}, 4, 2), '') as integer), 0)", d=digits)
    return compose(
        "({mins} < 60 and (case when starts_with({o}, '-') then -1 else 1 end)"
        " * ({hours} * 60 + {mins}) between {lo} and {hi})",
        o=offset,
        hours=hours,
        mins=mins,
        lo=Sql(str(zones.MIN_OFFSET_MINUTES)),
        hi=Sql(str(zones.MAX_OFFSET_MINUTES)),
    )


def _offset_in_range(text: Sql) -> Sql:
    """True unless `text` ends in an offset after a time of day that no place on Earth uses."""
    offset = compose("regexp_extract({t}, {p}, 1)", t=text, p=Sql(_sql(_OFFSET)))
    return compose("({o} = '' or {ok})", o=offset, ok=_offset_ok(offset))


# A date written with no time of day: ISO 8601's date alone, or a date format without a time.
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME_DIRECTIVE = re.compile(r"%[HIklMSpTRXcfsz]")


def has_time_of_day(fmt: str) -> bool:
    """Whether a strptime format reads a time of day (or an offset): %H, %M, %p, %T, ..."""
    return _TIME_DIRECTIVE.search(fmt.replace("%%", "")) is not None


def pick_by_order(pick: str, value: Sql, epoch: Sql, file_order: list[Sql]) -> Sql:
    """Of a group's rows with a value, the value of the row whose order column (its
    `order_epoch`) is the earliest or the latest. Ties: the earliest takes the first row in file
    order, the latest the last. Rows whose order column is blank or not a date come after every
    dated row: they are picked only when no row has a date, the first of them (earliest) or the
    last (latest), as `first` and `last` would."""
    dated = "1 else 0" if pick == "earliest" else "0 else 1"
    key = compose(
        "[case when {e} is null then " + dated + " end, coalesce({e}, 0), {o}]",
        e=epoch,
        o=join(file_order, ", "),
    )
    f = Sql("arg_min" if pick == "earliest" else "arg_max")
    return compose("{f}({v}, {k}) filter (where {v} is not null)", f=f, v=value, k=key)


def day_month_order(fmt: str) -> str | None:
    """Whether a strptime format writes the month before the day ("month", 03/31/2026), the day
    before the month ("day", 31/03/2026), or neither (a month name, or no day): None."""
    plain = fmt.replace("%%", "")
    month, day = plain.find("%m"), plain.find("%d")
    if month < 0 or day < 0:
        return None
    return "month" if month < day else "day"


def _sql(literal: str) -> str:
    """A constant of this module as a SQL string literal (it holds no quote)."""
    assert "'" not in literal
    return "'" + literal + "'"


class Extractor:
    """Compiles the specs of one file into SQL, collecting the parameters it binds."""

    def __init__(
        self,
        mapping: Mapping,
        sources: dict[str, Source],
        agreement_tz: str,
        order: str | None = None,
    ):
        self.mapping = mapping
        self.sources = sources
        self.params: dict[str, Any] = {}
        self.joins: list[Sql] = []
        self._zone = mapping.time_zone or agreement_tz
        # A date without a time of day is a calendar day of the agreement: midnight in its
        # zone, whatever zone the mapping reads the export's timestamps in.
        self.agreement_zone = agreement_tz
        self._bound: dict[str, Sql] = {}  # values bound once per statement
        # The file's day-month order, when its mapping lists formats of both (see
        # `day_month_order`): "month" or "day"; None reads with every format.
        self.order = order

    def bind(self, value: Any) -> Sql:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return Sql("$" + name)

    def _once(self, what: str, value: Any) -> Sql:
        # Only what a statement uses is bound: DuckDB refuses unused parameters.
        if what not in self._bound:
            self._bound[what] = self.bind(value)
        return self._bound[what]

    @property
    def _tz(self) -> Sql:
        return self._once("tz", self._zone)

    @property
    def zones_differ(self) -> bool:
        """Whether the mapping reads timestamps in another zone than the agreement's, so a date
        alone (midnight in the agreement's zone) is read otherwise than a time of day."""
        return self._zone != self.agreement_zone

    @property
    def _day_tz(self) -> Sql:
        return self._once("day_tz", self.agreement_zone) if self.zones_differ else self._tz

    def date_only(self, text: Sql) -> Sql:
        """Whether a value is a date with no time of day (ISO 8601's, or one of the mapping's
        date formats without a time), read as midnight in the agreement's zone."""
        test = compose("regexp_full_match({t}, {p})", t=text, p=Sql(_sql(ISO_DATE)))
        days = [f for f in self.formats()[0] if not has_time_of_day(f)]
        if days:
            test = compose(
                "({iso} or try_strptime({t}, {f}) is not null)",
                iso=test,
                t=text,
                f=self.bind(days),
            )
        return compose("coalesce({v}, false)", v=test)

    # Values --------------------------------------------------------------------------------

    def value(self, spec: Spec, src: Source, alias: str = "s") -> tuple[Sql, str | None]:
        """The SQL of a spec's value over `alias`, and its native type when it is a plain column.

        Plain columns of a canonical dataset keep their type (Parquet timestamps stay
        timestamps); everything else is text, read later with the mapping's formats.
        """
        plain = (
            spec.column is not None
            and not self.mapping.missing
            and spec == Spec(column=spec.column, optional=spec.optional, if_blank=spec.if_blank)
        )
        if plain:
            name = src.column(spec.column)
            if name is None:
                return self._absent(spec, src), None
            return compose("{a}.{c}", a=Sql(alias), c=ident(name)), src.types.get(name)
        return self.text(spec, src, alias), None

    def text(self, spec: Spec, src: Source, alias: str = "s") -> Sql:
        """A spec's value as trimmed text, NULL when blank."""
        if spec.column is not None:
            name = src.column(spec.column)
            value = self._absent(spec, src) if name is None else self.cell(alias, name)
        elif spec.constant is not None:
            value = compose("cast({v} as varchar)", v=self.bind(spec.constant))
        elif spec.line:
            if alias != "s":
                raise ExtractError(f"{src.path.name}: a lookup cannot take another file's line")
            value = compose("'line ' || cast({l} as varchar)", l=src.line)
        elif spec.first:
            parts = [self.text(s, src, alias) for s in spec.first]
            value = parts[0] if len(parts) == 1 else compose("coalesce({p})", p=join(parts, ", "))
        else:
            value = self._lookup(spec, src, alias)
        if spec.split is not None:
            value = stripped(
                compose(
                    "split_part({v}, {sep}, {n})",
                    v=value,
                    sep=self.bind(spec.split),
                    n=self.bind(spec.part),
                )
            )
        if spec.pattern is not None:
            value = stripped(
                compose("regexp_extract({v}, {p}, 1)", v=value, p=self.bind(spec.pattern))
            )
        if spec.chars is not None:
            # Of an id (Salesforce's first 15 characters): counted after every kind of
            # whitespace is trimmed, as the id itself is.
            value = compose("left({v}, {n})", v=trimmed(value), n=self.bind(spec.chars))
        if spec.values:
            value = self._mapped(spec, value)
        if spec.when is not None:
            value = compose(
                "case when {c} then {v} end",
                c=self.condition(spec.when, src, alias, optional=spec.optional),
                v=value,
            )
        return value

    def _mapped(self, spec: Spec, value: Sql) -> Sql:
        """A value through the spec's value map (case-insensitive); others as the spec says."""
        keys = self.bind([k for k, _ in spec.values])
        mapped = compose(
            "list_extract({vals}, list_position({keys}, lower({v})))",
            vals=self.bind([v for _, v in spec.values]),
            keys=keys,
            v=value,
        )
        other = (
            value
            if spec.others is None
            else compose("nullif(cast({o} as varchar), '')", o=self.bind(spec.others))
        )
        return compose(
            "case when {v} is null then null"
            " when list_contains({keys}, lower({v})) then nullif({m}, '') else {o} end",
            v=value,
            keys=keys,
            m=mapped,
            o=other,
        )

    def condition(self, cond: Condition, src: Source, alias: str, optional: bool = False) -> Sql:
        name = src.column(cond.column)
        if name is None:
            if optional:
                return Sql("false")
            raise self._missing(cond.column, src)
        cell = self.cell(alias, name)
        if cond.blank is not None:
            return (
                compose("{c} is null", c=cell) if cond.blank else compose("{c} is not null", c=cell)
            )
        if cond.prefix is not None or cond.not_prefix is not None:
            prefixes = cond.prefix if cond.prefix is not None else cond.not_prefix or ()
            tests = [compose("starts_with({c}, {p})", c=cell, p=self.bind(p)) for p in prefixes]
            test = compose("coalesce({t}, false)", t=join(tests, " or "))
            return test if cond.prefix is not None else compose("not {t}", t=test)
        if cond.any_of is not None:
            return compose(
                "coalesce(list_contains({vals}, lower({c})), false)",
                vals=self.bind(list(cond.any_of)),
                c=cell,
            )
        return compose(
            "not coalesce(list_contains({vals}, lower({c})), false)",
            vals=self.bind(list(cond.none_of or ())),
            c=cell,
        )

    def cell(self, alias: str, name: str) -> Sql:
        """A column of the file as text: trimmed, NULL when blank or a `missing` marker."""
        col = compose("{a}.{c}", a=Sql(alias), c=ident(name))
        text = stripped(col)
        if not self.mapping.missing:
            return text
        return compose(
            "case when list_contains({m}, {t}) then null else {t} end",
            m=self._once("missing", list(self.mapping.missing)),
            t=text,
        )

    def _absent(self, spec: Spec, src: Source) -> Sql:
        if spec.optional:
            return Sql("cast(null as varchar)")
        raise self._missing(spec.column or "", src)

    def _missing(self, header: str, src: Source) -> ExtractError:
        has = ", ".join(src.headers)
        if len(src.headers) == 1:
            has += "; is it delimited by comma, semicolon or tab?"
        if self.mapping.is_canonical:
            return ExtractError(
                f"{src.path.name}: missing required column '{header}' (the file has: {has})"
            )
        return ExtractError(
            f"{src.path.name}: no column '{header}', which {self.mapping.said} reads for "
            f"{src.kind.key} (the file has: {has})"
        )

    def _lookup(self, spec: Spec, src: Source, alias: str) -> Sql:
        other = self.sources.get(spec.lookup or "")
        if other is None:
            if spec.optional:
                return Sql("cast(null as varchar)")
            raise ExtractError(
                f"{src.path.name}: {self.mapping.said} looks up values in the {spec.lookup} "
                "file, which the export does not have"
            )
        for part in (spec.match, spec.take):
            if part.lookup is not None or any(s.lookup for s in part.first):
                raise ExtractError(f"{spec.lookup}: a lookup's match and take read its own columns")
        # A parsed lookup always has key, match and take.
        assert spec.key is not None
        assert spec.match is not None
        assert spec.take is not None
        key = self.text(spec.key, src, alias)
        match = self.text(spec.match, other, "o")
        take = self.text(spec.take, other, "o")
        if spec.order is not None:
            agg = self._by_order(spec, src, other, take)
            if agg is None:
                return Sql("cast(null as varchar)")
        elif spec.pick in ("earliest", "latest"):
            agg = compose(
                "cast({f}({t}) as varchar)",
                f=Sql("min" if spec.pick == "earliest" else "max"),
                t=self.timestamp(take),
            )
        else:
            agg = compose(
                "{f}({t}, o.rowid) filter (where {t} is not null)",
                f=Sql("arg_min" if spec.pick == "first" else "arg_max"),
                t=take,
            )
        where = (
            self.condition(spec.where, other, "o", optional=spec.optional)
            if spec.where is not None
            else Sql("true")
        )
        name = ident("lk" + str(len(self.joins)))
        self.joins.append(
            compose(
                "left join (select {m} as k, {agg} as v from {t} as o where {w} and {m} is not null"
                " group by k) as {n} on {n}.k = {key}",
                m=match,
                agg=agg,
                t=other.table,
                w=where,
                n=name,
                key=key,
            )
        )
        return compose("{n}.v", n=name)

    def _by_order(self, spec: Spec, src: Source, other: Source, take: Sql) -> Sql | None:
        """A lookup's `pick = { earliest/latest = "<column>" }` over the other file's rows; None
        when an optional lookup's file lacks the column."""
        assert spec.order is not None
        order_name = other.column(spec.order)
        if order_name is None:
            if spec.optional:
                return None
            raise ExtractError(
                f"{other.path.name}: no column '{spec.order}', by which {self.mapping.said}"
                f" orders the {other.kind.key} rows it looks into for {src.kind.key}"
                f' (pick = {{ {spec.pick} = "{spec.order}" }}; the file has: '
                f"{', '.join(other.headers)})"
            )
        epoch = self.order_epoch(self.cell("o", order_name))
        return pick_by_order(spec.pick, take, epoch, [Sql("o.rowid")])

    def order_epoch(self, order_text: Sql) -> Sql:
        """A row's order column (see `pick_by_order`) read as a date: seconds since 1970, NULL
        when it is blank, not a date, or outside 1900-2199 (a misread)."""
        at = self.timestamp(order_text)
        return compose(
            "case when {t} >= timestamptz '1900-01-01 00:00:00+00'"
            " and {t} < timestamptz '2200-01-01 00:00:00+00' then epoch({t}) end",
            t=at,
        )

    # Reading text as typed values ----------------------------------------------------------

    def timestamp(self, text: Sql, parts: Sql | None = None) -> Sql:
        """Text as an instant: ISO 8601 as `iso_timestamp` reads it (given its `iso_parts`, or
        working them out), else one of the mapping's date formats (of this file's day-month
        order) as wall-clock time in the mapping's zone, or with the offset a `%z` format
        reads (one outside -12:00..+14:00 reads as nothing)."""
        parts = parts if parts is not None else iso_parts(text)
        day = self._day_tz if self.zones_differ else None
        value = iso_timestamp(text, parts, self._tz, day)
        naive, offset = self.formats()
        # The formats in the mapping's order, those without a time of day read in the
        # agreement's zone when it is not the mapping's (one run of formats per zone).
        runs: list[tuple[Sql, list[str]]] = []
        for f in naive:
            zone = self._day_tz if day is not None and not has_time_of_day(f) else self._tz
            if runs and runs[-1][0] == zone:
                runs[-1][1].append(f)
            else:
                runs.append((zone, [f]))
        for zone, formats in runs:
            value = compose(
                "coalesce({v}, timezone({tz}, try_strptime({t}, {f})))",
                v=value,
                tz=zone,
                t=text,
                f=self.bind(formats),
            )
        if offset:
            value = compose(
                "coalesce({v}, case when {ok} then try_strptime({t}, {f}) end)",
                v=value,
                ok=_offset_in_range(text),
                t=text,
                f=self.bind(offset),
            )
        return value

    def timestamp_problem(self, text: Sql, parts: Sql | None = None) -> Sql:
        """Why a timestamp's offset or zone is wrong (NULL when it is not that)."""
        problem = iso_tail_problem(parts if parts is not None else iso_parts(text))
        if not self.formats()[1]:
            return problem
        return compose(
            "coalesce({iso}, case when not {ok} then"
            " 'its offset is not between -12:00 and +14:00' end)",
            iso=problem,
            ok=_offset_in_range(text),
        )

    def formats(self) -> tuple[list[str], list[str]]:
        """The mapping's date formats this file is read with: (without %z, with %z)."""
        chosen = [
            f
            for f in self.mapping.date_formats
            if self.order is None or day_month_order(f) in (None, self.order)
        ]
        with_offset = [f for f in chosen if "%z" in f.replace("%%", "")]
        return [f for f in chosen if f not in with_offset], with_offset

    def month(self, text: Sql) -> Sql:
        """Text as the first day of a month: YYYY-MM, or any date or timestamp in that month."""
        # A date alone is read at midnight in the agreement's zone: its month is taken there.
        zone = self._tz
        if self.zones_differ:
            zone = compose(
                "case when {d} then {day} else {tz} end",
                d=self.date_only(text),
                day=self._day_tz,
                tz=self._tz,
            )
        return compose(
            "case when regexp_full_match({t}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
            " then cast({t} || '-01' as date)"
            " else cast(date_trunc('month', timezone({tz}, {ts})) as date) end",
            t=text,
            tz=zone,
            ts=self.timestamp(text),
        )

    def date_formats_said(self) -> str:
        naive, offset = self.formats()
        formats = ["ISO 8601 (2026-01-31, 2026-01-31T14:05:00+01:00)", *naive, *offset]
        return ", ".join(formats)
