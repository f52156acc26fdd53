"""SQL that turns one loaded export file into a canonical table's columns, as a mapping says.

The importer loads every file of an export as text into its own table (`src_0`, `src_1`, ...);
`Extractor` compiles a file kind's specs into a SELECT over that table, with the lookups into
other files as joins. Every value a mapping supplies (constants, value maps, patterns, reasons,
missing-value markers, date formats) is a bound parameter; header names become identifiers only
after they matched one of the file's own headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.mapping import Condition, FileKind, Mapping, Spec, header_key
from handoff.sql import Sql, compose, ident, join


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


# Text of a timestamp that carries its own offset (Z, +01, +0100, +01:00) after a time of day.
_OFFSET = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"


class Extractor:
    """Compiles the specs of one file into SQL, collecting the parameters it binds."""

    def __init__(self, mapping: Mapping, sources: dict[str, Source], agreement_tz: str):
        self.mapping = mapping
        self.sources = sources
        self.params: dict[str, Any] = {}
        self.joins: list[Sql] = []
        self._zone = mapping.time_zone or agreement_tz
        self._bound: dict[str, Sql] = {}  # values bound once per statement
        self._naive_formats = [f for f in mapping.date_formats if "%z" not in f.replace("%%", "")]
        self._offset_formats = [f for f in mapping.date_formats if f not in self._naive_formats]

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
            value = self._absent(spec, src) if name is None else self._cell(alias, name)
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
            value = compose(
                "nullif(trim(split_part({v}, {sep}, {n})), '')",
                v=value,
                sep=self.bind(spec.split),
                n=self.bind(spec.part),
            )
        if spec.pattern is not None:
            value = compose(
                "nullif(trim(regexp_extract({v}, {p}, 1)), '')", v=value, p=self.bind(spec.pattern)
            )
        if spec.chars is not None:
            value = compose("left({v}, {n})", v=value, n=self.bind(spec.chars))
        if spec.values:
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
            value = compose(
                "case when {v} is null then null"
                " when list_contains({keys}, lower({v})) then nullif({m}, '') else {o} end",
                v=value,
                keys=keys,
                m=mapped,
                o=other,
            )
        if spec.when is not None:
            value = compose(
                "case when {c} then {v} end",
                c=self.condition(spec.when, src, alias, optional=spec.optional),
                v=value,
            )
        return value

    def condition(self, cond: Condition, src: Source, alias: str, optional: bool = False) -> Sql:
        name = src.column(cond.column)
        if name is None:
            if optional:
                return Sql("false")
            raise self._missing(cond.column, src)
        cell = self._cell(alias, name)
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

    def _cell(self, alias: str, name: str) -> Sql:
        col = compose("{a}.{c}", a=Sql(alias), c=ident(name))
        text = compose("nullif(trim(cast({c} as varchar)), '')", c=col)
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
        if spec.pick in ("earliest", "latest"):
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

    # Reading text as typed values ----------------------------------------------------------

    def timestamp(self, text: Sql) -> Sql:
        """Text as an instant: ISO 8601 with an offset as written; anything else (ISO without an
        offset, or one of the mapping's date formats) as wall-clock time in the mapping's zone."""
        # DuckDB's cast would read 03/07/26 as the year 3: it only gets ISO-looking text.
        naive = compose(
            "case when regexp_matches({t}, '^[0-9]{{4}}-') then try_cast({t} as timestamp) end",
            t=text,
        )
        if self._naive_formats:
            naive = compose(
                "coalesce({n}, try_strptime({t}, {f}))",
                n=naive,
                t=text,
                f=self.bind(self._naive_formats),
            )
        with_offset = compose(
            "case when regexp_matches({t}, {p}) then try_cast({t} as timestamptz) end",
            t=text,
            p=self.bind(_OFFSET),
        )
        if self._offset_formats:
            with_offset = compose(
                "coalesce({w}, try_strptime({t}, {f}))",
                w=with_offset,
                t=text,
                f=self.bind(self._offset_formats),
            )
        return compose("coalesce({w}, timezone({tz}, {n}))", w=with_offset, tz=self._tz, n=naive)

    def month(self, text: Sql) -> Sql:
        """Text as the first day of a month: YYYY-MM, or any date or timestamp in that month."""
        return compose(
            "case when regexp_full_match({t}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
            " then cast({t} || '-01' as date)"
            " else cast(date_trunc('month', timezone({tz}, {ts})) as date) end",
            t=text,
            tz=self._tz,
            ts=self.timestamp(text),
        )

    def date_formats_said(self) -> str:
        formats = ["ISO 8601 (2026-01-31, 2026-01-31T14:05:00+01:00)", *self.mapping.date_formats]
        return ", ".join(formats)
