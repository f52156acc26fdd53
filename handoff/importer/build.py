"""The fourth step of an import: each canonical table built from the typed rows of its files.

Every file feeding a table is typed into one temporary table, `typed` (one row per row read:
its source index, line, typed columns and a list of problems, from `queries/import/
typed_rows.sql`). Then a repeated key is marked on the later rows, every row with a problem goes
to `import_rejects` with all its reasons, and the accepted rows become the table: leads numbered
by `lead_key` in order of creation, touches with their neighbours in the lead's journey (both in
`queries/import/`), the other tables with their lead's `lead_key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from handoff import db
from handoff.agreement import Agreement
from handoff.contract import Column, ColumnType, Table
from handoff.importer import dates, queries
from handoff.importer.extract import Extractor, Source, iso_parts
from handoff.importer.result import ImportFailure, TableResult
from handoff.importer.typed import SQL_TYPES, Parsed, native_time, value_expr
from handoff.mapping import Mapping
from handoff.sql import Sql, compose, ident, join, stripped

# Names the importer gives columns of its own; an export's column of that name is renamed.
_RESERVED = {
    "lead_key",
    "touch_key",
    "line",
    "raw_rowid",
    "src_index",
    "part_no",
    "problems",
    "prev_channel",
    "prev_campaign",
    "prev_touched_at",
    "next_touched_at",
}


def create_empty(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create a canonical table no file feeds, with the columns an imported one has."""
    key = [Sql('"lead_key" bigint')] if table.lead_key or table.name == "leads" else []
    if table.name == "touches":
        key.append(Sql('"touch_key" bigint'))
    after = (
        [Sql('"prev_channel" varchar, "prev_campaign" varchar'),
         Sql('"prev_touched_at" timestamptz, "next_touched_at" timestamptz')]
        if table.name == "touches"
        else []
    )  # fmt: skip
    columns = join(
        key
        + [compose("{c} {typ}", c=ident(c.name), typ=SQL_TYPES[c.type]) for c in table.columns]
        + after
    )
    con.execute(compose("create or replace table {t} ({cols})", t=ident(table.name), cols=columns))


def build_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    parts: list[Source],
    mapping: Mapping,
    sources: dict[str, Source],
    agreement: Agreement,
) -> list[TableResult]:
    """Type the rows of every file feeding `table`, reject the bad ones, and create the table."""
    results, kept_of, all_extras = _file_results(con, table, parts, mapping)
    # Leads and touches are stored in the order of a unique key (_create_table), so the order
    # of `typed` does not matter for them; every other table keeps its files' order.
    sorted_table = table.name in ("leads", "touches")
    if sorted_table:
        con.execute("set preserve_insertion_order = false")
    try:
        for n, src in enumerate(parts):
            ex = Extractor(
                mapping, sources, agreement.time_zone, dates.file_order(con, table, src, mapping)
            )
            select = _typed_rows(table, src, ex, kept_of[src.index], all_extras)
            params = {**ex.params, **src.line_params, "src_index": src.index, "part_no": n}
            if n == 0:
                into = compose("create or replace temp table typed as {s}", s=select)
            else:
                into = compose("insert into typed {s}", s=select)
            queries.execute(con, into, params)
    finally:
        if sorted_table:
            con.execute("reset preserve_insertion_order")
    if table.key:
        queries.run(
            con,
            "duplicates",
            {"key_name": table.key, "files": _file_names(parts)},
            key=ident(table.key),
        )
    for src in parts:
        queries.run(
            con,
            "file_rejects",
            {"table": table.name, "file": src.path.name, "src_index": src.index},
            source=src.table,
        )
    _create_table(con, table, all_extras)
    _count_rows(con, table, parts, results)
    for result, notes in zip(results, _status_notes(con, parts, mapping), strict=True):
        result.notes += notes
    con.execute("drop table typed")
    return results


def _file_results(
    con: duckdb.DuckDBPyConnection, table: Table, parts: list[Source], mapping: Mapping
) -> tuple[list[TableResult], dict[int, list[tuple[str, str]]], list[str]]:
    """Per file, its result so far and the other columns it keeps (column, kept name); and the
    kept names of all files together, in order."""
    results = []
    kept_of = {}
    all_extras: list[str] = []
    for src in parts:
        kept, notes = _extras(con, table, src, mapping)
        kept_of[src.index] = kept
        results.append(
            TableResult(
                table=table.name,
                file=src.path.name,
                kind=src.kind.key,
                extra_columns=[k for _, k in kept],
                notes=notes,
            )
        )
        all_extras += [k for _, k in kept if k not in all_extras]
    return results, kept_of, all_extras


def _extras(
    con: duckdb.DuckDBPyConnection, table: Table, src: Source, mapping: Mapping
) -> tuple[list[tuple[str, str]], list[str]]:
    """The file's other columns, kept as attributes or extra columns: (column, kept name)."""
    kind = src.kind
    if not kind.keep_extra:
        return [], []
    if mapping.is_canonical:
        used = set(table.column_names)
    else:
        used = {src.column(h) for h in kind.used_columns()} - {None}
    notes = []
    kept: list[tuple[str, str]] = []
    for name in src.types:
        if name in used:
            continue
        if re.fullmatch(r"column_?\d+", name):
            empty = con.execute(
                compose("select count({c}) = 0 from {t}", c=ident(name), t=src.table)
            ).fetchone()[0]
            if empty:
                notes.append(f"dropped unnamed column '{name}': it is empty on every line")
                continue
        kept_name = name
        if name in table.column_names or name in _RESERVED:
            kept_name = f"orig_{name}"
        kept.append((name, kept_name))
    return kept, notes


@dataclass
class _Row:
    """The SQL of one file's typed row, built column by column."""

    columns: list[Sql] = field(default_factory=list)  # each typed value, as its column
    made: list[Sql] = field(default_factory=list)  # each value as the mapping makes it (__v_)
    # Each timestamp's text (__t_), its ISO 8601 parts (__z_) and its instant (__p_).
    stages: tuple[list[Sql], list[Sql], list[Sql]] = field(default_factory=lambda: ([], [], []))
    problems: list[Sql] = field(default_factory=list)
    lead_id: Sql | None = None  # the typed lead_id, for a table that belongs to leads


def _typed_rows(
    table: Table, src: Source, ex: Extractor, kept: list[tuple[str, str]], all_extras: list[str]
) -> Sql:
    """The SELECT of one file's rows as `typed` holds them (queries/import/typed_rows.sql)."""
    row = _Row()
    for col in table.columns:
        _add_column(row, table, col, src, ex)
    kept_as = {k: name for name, k in kept}
    for name in all_extras:
        if name in kept_as:
            value = stripped(compose("s.{c}", c=ident(kept_as[name])))
            row.columns.append(compose("{v} as {k}", v=value, k=ident(name)))
        else:
            row.columns.append(compose("cast(null as varchar) as {k}", k=ident(name)))
    joins: list[Sql] = []
    if table.lead_key:
        # The lead each row belongs to, found once here: a row whose lead was not accepted
        # is an orphan, and the others carry its lead_key.
        assert row.lead_id is not None
        joins.append(
            compose("left join leads as owner_lead on owner_lead.lead_id = {l}", l=row.lead_id)
        )
        row.columns.append(Sql("owner_lead.lead_key as lead_key"))
        row.problems.append(
            compose(
                "case when {l} is not null and owner_lead.lead_key is null then"
                " {{'col': 'lead_id', 'canon': 'lead_id', 'cause': 'not an accepted lead (orphan)',"
                " 'why': 'lead_id ''' || {l} || ''' is not an accepted"
                " lead (orphan)'}} end",
                l=row.lead_id,
            )
        )
    skips = [
        compose(
            "case when {c} then"
            " {{'col': {label}, 'canon': null, 'cause': {why}, 'why': {why}}} end",
            # A skip rule whose column the file lacks skips nothing.
            c=ex.condition(s.when, src, "s", optional=True),
            label=ex.bind(s.when.column),
            why=ex.bind(s.reason),
        )
        for s in src.kind.skip
    ]
    return queries.sql(
        "typed_rows",
        line=src.line,
        columns=join(row.columns),
        skip=compose("coalesce({s})", s=join(skips, sep=", ")) if skips else Sql("null"),
        problems=join(row.problems, sep=", ") if row.problems else Sql(""),
        made=_made_from(src, ex, row),
        joins=join(joins, sep=" "),
    )


def _add_column(row: _Row, table: Table, col: Column, src: Source, ex: Extractor) -> None:
    """Add one canonical column's typed value and its problem to the row."""
    spec = src.kind.spec(col.name)
    if spec is None:
        if col.blank_becomes is not None:
            value = compose("cast({b} as varchar)", b=ex.bind(col.blank_becomes))
        elif col.required:
            raise ImportFailure(
                f"{src.path.name}: nothing in {ex.mapping.said} gives the required column "
                f"{col.name}"
            )
        else:
            value = compose("cast(null as {typ})", typ=SQL_TYPES[col.type])
        row.columns.append(compose("{v} as {c}", v=value, c=ident(col.name)))
        return
    value, native = ex.value(spec, src)
    if ex.mapping.is_canonical:
        label = ex.bind(col.name)
    else:
        label = ex.bind(spec.column if spec.column else col.name)
    # The value is made once, in a subquery, and typed over its column: an expression that
    # repeated a mapping's value (a coalesce of lookups) in every test of it would grow past
    # what DuckDB plans quickly. A timestamp is parsed once, one level up.
    made = ident(f"__v_{col.name}")
    row.made.append(compose("{v} as {n}", v=value, n=made))
    value = compose("s.{n}", n=made)
    parsed = None
    if col.type is ColumnType.TIMESTAMP and not native_time(native):
        parsed = _parse_in_stages(row, col, value, ex)
    typed = value_expr(col, value, native, label, ex, spec.if_blank, parsed)
    row.columns.append(compose("{e} as {c}", e=typed.value, c=ident(col.name)))
    if typed.problem is not None:
        row.problems.append(typed.problem)
    if col.name == "lead_id" and table.lead_key:
        row.lead_id = typed.value


def _parse_in_stages(row: _Row, col: Column, value: Sql, ex: Extractor) -> Parsed:
    """A timestamp's text, what it is made of, and its instant: one subquery level each."""
    text, pieces, instant = (ident(f"__{k}_{col.name}") for k in "tzp")
    row.stages[0].append(compose("{v} as {n}", v=stripped(value), n=text))
    text = compose("s.{n}", n=text)
    row.stages[1].append(compose("{v} as {n}", v=iso_parts(text), n=pieces))
    pieces = compose("s.{n}", n=pieces)
    row.stages[2].append(compose("{v} as {n}", v=ex.timestamp(text, pieces), n=instant))
    return Parsed(compose("s.{n}", n=instant), ex.timestamp_problem(text, pieces), text)


def _made_from(src: Source, ex: Extractor, row: _Row) -> Sql:
    """The file's columns and the values made of them (the lookups' joins are made here), then
    the timestamps parsed from those values; `s` names each level in turn."""
    made_from = compose(
        "(select s.*, s.rowid as rowid, {made} from {src} as s {lookups})",
        made=join(row.made),
        src=src.table,
        lookups=join(ex.joins, sep=" "),
    )
    for stage in row.stages:
        if stage:
            made_from = compose("(select *, {c} from {f} as s)", c=join(stage), f=made_from)
    return made_from


def _file_names(parts: list[Source]) -> list[str]:
    """File names by source index (for messages that name another file)."""
    names = [""] * (max(p.index for p in parts) + 1)
    for p in parts:
        names[p.index] = p.path.name
    return names


def _create_table(con: duckdb.DuckDBPyConnection, table: Table, all_extras: list[str]) -> None:
    """Create the table of the accepted rows of `typed`, in the shape of its kind of table."""
    columns = join(
        [compose("t.{c}", c=ident(c)) for c in table.column_names]
        + [compose("t.{c}", c=ident(c)) for c in all_extras]
    )
    if table.name in ("leads", "touches"):
        select = queries.sql(table.name, columns=columns)
    else:
        select = queries.sql("lead_rows" if table.lead_key else "rows", columns=columns)
    create = compose("create or replace table {t} as {select}", t=ident(table.name), select=select)
    if table.name in ("leads", "touches"):
        # Both end in an ORDER BY on a unique key, which fixes the stored order on its own.
        db.unordered(con, create)
    else:
        con.execute(create)


def _count_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    parts: list[Source],
    results: list[TableResult],
) -> None:
    """Each file's rows read, accepted and rejected (accepted + rejected = read)."""
    counts = {i: (n, a) for i, n, a in queries.run(con, "file_counts").fetchall()}
    rejected = dict(queries.run(con, "file_rejected", {"table": table.name}).fetchall())
    for src, result in zip(parts, results, strict=True):
        n_read, n_accepted = counts.get(src.index, (0, 0))
        result.n_read = n_read + src.n_structural
        result.n_accepted = n_accepted
        result.n_rejected = rejected.get(src.path.name, 0)


def _status_notes(
    con: duckdb.DuckDBPyConnection, parts: list[Source], mapping: Mapping
) -> list[list[str]]:
    """Per file: the status values its mapping does not map (they set no stage)."""
    out = []
    for src in parts:
        notes = []
        for rule in src.kind.status:
            name = src.column(rule.column)
            if name is None:
                continue
            ex = Extractor(mapping, {}, "UTC")
            status = ex.cell("s", name)
            params = {**ex.params, "mapped_statuses": [k for k, _ in rule.targets]}
            rows = queries.run(
                con, "unmapped_statuses", params, status=status, source=src.table
            ).fetchall()
            if rows:
                listed = ", ".join(f"'{v}' ({n:,})" for v, n in rows[:10])
                more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
                notes.append(
                    f"{rule.column}: {len(rows)} value(s) the mapping does not map set no stage: "
                    f"{listed}{more}"
                )
        out.append(notes)
    return out
