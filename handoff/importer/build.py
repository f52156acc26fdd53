"""The fourth step of an import: each canonical table built from the typed rows of its files.

Every file feeding a table is typed into one temporary table, `typed` (one row per row read:
its source index, line, typed columns and a list of problems, from `queries/import/
typed_rows.sql`; a kind with a row rule takes only its rows of a file it may share). Then a
repeated key is marked on the later rows, every row with a problem goes to `import_rejects` with
all its reasons (a row a rule of the mapping sets aside goes there as set aside, naming the rule:
it is not bad data), and the accepted rows become the table: leads numbered
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
from handoff.importer.extract import Extractor, Source, iso_parts, pick_by_order
from handoff.importer.result import ImportFailure, TableResult
from handoff.importer.typed import SQL_TYPES, Parsed, native_time, value_expr
from handoff.mapping import ANY_SEPARATOR, FileKind, LeadAttribute, Mapping
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
    sharing: dict[str, list[FileKind]] | None = None,
) -> list[TableResult]:
    """Type the rows of every file feeding `table`, reject the bad ones, set aside the ones a
    rule of the mapping leaves out, and create the table. `sharing` gives, per kind of file,
    the kinds reading the same file by row rules (in the mapping's order)."""
    results, kept_of, all_extras = _file_results(con, table, parts, mapping)
    row_attributes = _row_attributes(table, parts)
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
            group = (sharing or {}).get(src.kind.key, [src.kind])
            select = _typed_rows(
                table, src, ex, kept_of[src.index], all_extras, group, row_attributes
            )
            params = {**ex.params, **src.line_params, "src_index": src.index, "part_no": n}
            if n == 0:
                into = compose("create or replace temp table typed as {s}", s=select)
            else:
                into = compose("insert into typed {s}", s=select)
            queries.execute(con, into, params)
    finally:
        if sorted_table:
            con.execute("reset preserve_insertion_order")
    _reject(con, table, parts, mapping)
    _create_table(con, table, all_extras)
    _count_rows(con, table, parts, results)
    for result, notes in zip(results, _status_notes(con, parts, mapping), strict=True):
        result.notes += notes
    _date_only_notes(con, table, parts, results, mapping, agreement)
    if row_attributes:
        _add_row_attributes(con, parts, results, row_attributes)
    con.execute("drop table typed")
    return results


def _reject(
    con: duckdb.DuckDBPyConnection, table: Table, parts: list[Source], mapping: Mapping
) -> None:
    """Mark the rows that repeat an earlier row's key, then move every bad or set-aside row of
    `typed` to the rejects, file by file."""
    if table.key:
        queries.run(
            con,
            "duplicates",
            {
                "key_name": table.key,
                "files": _file_names(parts),
                "key_columns": _key_columns(parts, table.key, mapping),
            },
            key=ident(table.key),
        )
    for src in parts:
        queries.run(
            con,
            "file_rejects",
            {"table": table.name, "file": src.path.name, "src_index": src.index},
            source=src.table,
        )


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
        # The lead attributes the mapping makes on a leads file sit beside the kept columns.
        made = [a.name for a in src.kind.lead_attributes] if table.name == "leads" else []
        results.append(
            TableResult(
                table=table.name,
                file=src.path.name,
                kind=src.kind.key,
                extra_columns=[k for _, k in kept] + made,
                notes=notes,
            )
        )
        all_extras += [k for k in [k for _, k in kept] + made if k not in all_extras]
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
        declared = mapping.lead_attribute_names if table.name == "leads" else set()
        if name in table.column_names or name in _RESERVED or name in declared:
            kept_name = f"orig_{name}"
        kept.append((name, kept_name))
    return kept, notes


@dataclass
class _Row:
    """The SQL of one file's typed row, built column by column."""

    columns: list[Sql] = field(default_factory=list)  # each typed value, as its column
    made: list[Sql] = field(default_factory=list)  # each value as the mapping makes it (__v_)
    # Each timestamp's text (__t_), its ISO 8601 parts (__z_) and its instant (__p_).
    # and the typed lead_id a table that belongs to leads joins on (__k_lead_id).
    stages: tuple[list[Sql], list[Sql], list[Sql]] = field(default_factory=lambda: ([], [], []))
    problems: list[Sql] = field(default_factory=list)
    lead_id: Sql | None = None  # the typed lead_id's column, for a table that belongs to leads
    texts: dict[str, Sql] = field(default_factory=dict)  # each timestamp's text, by column


def _typed_rows(
    table: Table,
    src: Source,
    ex: Extractor,
    kept: list[tuple[str, str]],
    all_extras: list[str],
    group: list[FileKind],
    parts_attributes: list[LeadAttribute] | None = None,
) -> Sql:
    """The SELECT of one file's rows as `typed` holds them (queries/import/typed_rows.sql)."""
    row = _Row()
    for col in table.columns:
        _add_column(row, table, col, src, ex)
    _add_extras(row, table, src, ex, kept, all_extras)
    row.columns += _date_only_flags(table, ex, row)
    row.columns += _row_attribute_columns(src, ex, row, parts_attributes)
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
    rows, unmatched = _row_rule(src, ex, group)
    skips = ([unmatched] if unmatched is not None else []) + _skips(src, ex)
    return queries.sql(
        "typed_rows",
        line=src.line,
        columns=join(row.columns),
        skip=compose("coalesce({s})", s=join(skips, sep=", ")) if skips else Sql("null"),
        problems=join(row.problems, sep=", ") if row.problems else Sql(""),
        made=_made_from(src, ex, row),
        joins=join(joins, sep=" "),
        rows=rows,
    )


def _skips(src: Source, ex: Extractor) -> list[Sql]:
    """Per skip rule of the file's kind, the problem that sets a row aside, naming the rule."""
    return [
        compose(
            "case when {c} then"
            " {{'col': {label}, 'canon': null, 'cause': {why}, 'why': {why}}} end",
            # A skip rule whose column the file lacks skips nothing.
            c=ex.condition(s.when, src, "s", optional=True),
            label=ex.bind(s.when.column),
            why=ex.bind(src.kind.skip_rule(s)),
        )
        for s in src.kind.skip
    ]


def _row_rule(src: Source, ex: Extractor, group: list[FileKind]) -> tuple[Sql, Sql | None]:
    """Which rows of its file a kind takes, and (for the first of the kinds sharing the file)
    the problem that sets aside a row no kind's row rule takes. A row passing two rules goes to
    the first kind in the mapping's order."""
    ruled = [k for k in group if k.rows is not None]
    if src.kind.rows is None or not ruled:
        return Sql("true"), None
    tests = [ex.condition(k.rows, src, "s") for k in ruled]
    mine = ruled.index(src.kind)
    earlier = tests[:mine]
    rows = tests[mine]
    if earlier:
        rows = compose("({r}) and not ({e})", r=rows, e=join(earlier, sep=" or "))
    if mine > 0:
        return rows, None
    none = compose("not ({t})", t=join(tests, sep=" or "))
    said = ", ".join(k.row_rule() for k in ruled)
    rule = f"no row rule takes it: {said}" if len(ruled) > 1 else f"not taken by {said}"
    unmatched = compose(
        "case when {n} then {{'col': {label}, 'canon': null, 'cause': {why}, 'why': {why}}} end",
        n=none,
        label=ex.bind(src.kind.rows.column),
        why=ex.bind(rule),
    )
    return compose("({r}) or {n}", r=rows, n=none), unmatched


def _add_extras(
    row: _Row,
    table: Table,
    src: Source,
    ex: Extractor,
    kept: list[tuple[str, str]],
    all_extras: list[str],
) -> None:
    """The other columns every file of the table keeps (NULL where this one has none), and the
    lead attributes a leads file's mapping makes."""
    kept_as = {k: name for name, k in kept}
    made_here = {a.name: a.spec for a in src.kind.lead_attributes} if table.name == "leads" else {}
    for name in all_extras:
        if name in made_here:
            made = ident(f"__a_{name}")
            row.made.append(compose("{v} as {n}", v=ex.text(made_here[name], src), n=made))
            row.columns.append(compose("s.{m} as {k}", m=made, k=ident(name)))
        elif name in kept_as:
            value = stripped(compose("s.{c}", c=ident(kept_as[name])))
            row.columns.append(compose("{v} as {k}", v=value, k=ident(name)))
        else:
            row.columns.append(compose("cast(null as varchar) as {k}", k=ident(name)))


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
        row.texts[col.name] = parsed.text or value
    typed = value_expr(col, value, native, label, ex, spec.if_blank, parsed)
    row.columns.append(compose("{e} as {c}", e=typed.value, c=ident(col.name)))
    if typed.problem is not None:
        row.problems.append(typed.problem)
    if col.name == "lead_id" and table.lead_key:
        # The lead each row belongs to is looked up by this value: made once, one level down,
        # the join compares a column rather than working the expression out for every probe
        # (a fifth less time typing touches at 1M; bench/results.md).
        key = ident("__k_lead_id")
        row.stages[0].append(compose("{v} as {n}", v=typed.value, n=key))
        row.lead_id = compose("s.{n}", n=key)


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


# --- Lead attributes from the rows of a file about leads (deals, activities, touches) -------


def _row_attributes(table: Table, parts: list[Source]) -> list[LeadAttribute]:
    """The lead attributes the files feeding `table` declare, once each, in their order."""
    if table.name == "leads" or not table.lead_key:
        return []
    out: dict[str, LeadAttribute] = {}
    for src in parts:
        for attribute in src.kind.lead_attributes:
            out.setdefault(attribute.name, attribute)
    return list(out.values())


def _row_attribute_columns(
    src: Source, ex: Extractor, row: _Row, attributes: list[LeadAttribute] | None
) -> list[Sql]:
    """Per lead attribute of the table's files: this row's value (`__a_<name>`) and its order
    column read as a date (`__o_<name>`, seconds; NULL when blank, not a date, or not asked
    for); NULL both where this file does not declare it, so every file's rows have them."""
    out = []
    mine = {a.name: a for a in src.kind.lead_attributes}
    for attribute in attributes or []:
        value, order = Sql("cast(null as varchar)"), Sql("cast(null as double)")
        declared = mine.get(attribute.name)
        if declared is not None:
            made = ident(f"__a_{attribute.name}")
            row.made.append(compose("{v} as {n}", v=ex.text(declared.spec, src), n=made))
            value = compose("s.{m}", m=made)
            if declared.order is not None:
                name = src.column(declared.order)
                if name is None:
                    raise ImportFailure(
                        f"{src.path.name}: no column '{declared.order}', by which "
                        f"{ex.mapping.said} orders a lead's {src.kind.key} rows for its "
                        f"attribute {attribute.name} (pick = {{ {declared.pick} = "
                        f'"{declared.order}" }}; the file has: {", ".join(src.headers)})'
                    )
                order = ex.order_epoch(ex.cell("s", name))
        out.append(compose("{v} as {n}", v=value, n=ident(f"__a_{attribute.name}")))
        out.append(compose("{v} as {n}", v=order, n=ident(f"__o_{attribute.name}")))
    return out


def _add_row_attributes(
    con: duckdb.DuckDBPyConnection,
    parts: list[Source],
    results: list[TableResult],
    attributes: list[LeadAttribute],
) -> None:
    """Each lead's value of every attribute, of its accepted rows in the files of the table just
    built, added to the leads table as a column; each file names the attributes it gives."""
    file_order = [Sql("t.part_no"), Sql("t.raw_rowid")]
    values = []
    for attribute in attributes:
        value = compose("t.{c}", c=ident(f"__a_{attribute.name}"))
        if attribute.pick == "any":
            agg = compose(
                "nullif(array_to_string(list_sort(list_distinct(list({v}))), {sep}), '')",
                v=value,
                sep=Sql("'" + ANY_SEPARATOR + "'"),
            )
        elif attribute.order is not None:
            epoch = compose("t.{c}", c=ident(f"__o_{attribute.name}"))
            agg = pick_by_order(attribute.pick, value, epoch, file_order)
        else:
            agg = compose(
                "{f}({v}, [{o}]) filter (where {v} is not null)",
                f=Sql("arg_min" if attribute.pick == "first" else "arg_max"),
                v=value,
                o=join(file_order, ", "),
            )
        values.append(compose("{a} as {n}", a=agg, n=ident(attribute.name)))
    queries.run(con, "row_lead_attributes", values=join(values))
    counts = con.execute(
        compose(
            "select {c} from row_lead_attributes",
            c=join(compose("count({n})", n=ident(a.name)) for a in attributes),
        )
    ).fetchone()
    queries.run(
        con,
        "leads_with_attributes",
        columns=join(compose("a.{n}", n=ident(a.name)) for a in attributes),
    )
    con.execute("drop table row_lead_attributes")
    for src, result in zip(parts, results, strict=True):
        for attribute, n in zip(attributes, counts, strict=True):
            declared = next((a for a in src.kind.lead_attributes if a == attribute), None)
            if declared is None:
                continue
            result.lead_attributes.append(attribute.name)
            result.notes.append(
                f"lead attribute {attribute.name}: {_pick_said(attribute)} of each lead's "
                f"accepted rows ({n:,} leads have a value)"
            )


def _pick_said(attribute: LeadAttribute) -> str:
    if attribute.pick == "any":
        return f"every value, in alphabetical order joined by '{ANY_SEPARATOR.strip()}',"
    if attribute.order is not None:
        return f"the value of the row with the {attribute.pick} {attribute.order},"
    return f"the {attribute.pick} value in file order,"


# --- Dates without a time of day, when the mapping's zone is not the agreement's ----------


def _date_only_flags(table: Table, ex: Extractor, row: _Row) -> list[Sql]:
    """Per timestamp column, whether the row's value is a date alone (`__d_<column>`), when the
    mapping reads timestamps in another zone than the agreement's; every file of the table has
    the same flags (false where its value is not text), so their rows insert into one table."""
    if not ex.zones_differ:
        return []
    return [
        compose(
            "{v} as {n}",
            v=ex.date_only(row.texts[c.name]) if c.name in row.texts else Sql("false"),
            n=ident(f"__d_{c.name}"),
        )
        for c in table.columns
        if c.type is ColumnType.TIMESTAMP
    ]


def _date_only_notes(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    parts: list[Source],
    results: list[TableResult],
    mapping: Mapping,
    agreement: Agreement,
) -> None:
    """Say, per file and column, how many dates without a time of day were read at midnight in
    the agreement's zone rather than in the mapping's."""
    if not mapping.time_zone or mapping.time_zone == agreement.time_zone:
        return
    columns = [c.name for c in table.columns if c.type is ColumnType.TIMESTAMP]
    if not columns:
        return
    counts = join([compose("count(*) filter (where {f})", f=ident(f"__d_{c}")) for c in columns])
    by_src = {src.index: (src, result) for src, result in zip(parts, results, strict=True)}
    for src_index, *ns in queries.run(con, "date_only_values", counts=counts).fetchall():
        src, result = by_src[src_index]
        for column, n in zip(columns, ns, strict=True):
            if not n:
                continue
            spec = src.kind.spec(column)
            said = f'{column} ("{spec.column}")' if spec is not None and spec.column else column
            result.notes.append(
                f"{said}: {n:,} value(s) are dates with no time of day; each is read as midnight "
                f"in the agreement's time zone ({agreement.time_zone}), not in the mapping's "
                f"time_zone ({mapping.time_zone}) that its times of day are read in, so it "
                "counts on the day it names"
            )


def _file_names(parts: list[Source]) -> list[str]:
    """File names by source index (for messages that name another file)."""
    names = [""] * (max(p.index for p in parts) + 1)
    for p in parts:
        names[p.index] = p.path.name
    return names


def _key_columns(parts: list[Source], key: str, mapping: Mapping) -> list[str]:
    """The file's column each file's key is read from, by source index (as `_file_names`): the
    mapped column, or the key's own name when the mapping makes it otherwise."""
    names = [key] * (max(p.index for p in parts) + 1)
    for p in parts:
        spec = p.kind.spec(key)
        if not mapping.is_canonical and spec is not None and spec.column:
            names[p.index] = spec.column
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
    """Each file's rows read, accepted, set aside and rejected (their sum is read)."""
    counts = {i: (n, a, s) for i, n, a, s in queries.run(con, "file_counts").fetchall()}
    rejected = dict(queries.run(con, "file_rejected", {"table": table.name}).fetchall())
    for src, result in zip(parts, results, strict=True):
        n_read, n_accepted, n_set_aside = counts.get(src.index, (0, 0, 0))
        result.n_read = n_read + src.n_structural
        result.n_accepted = n_accepted
        result.n_set_aside = n_set_aside
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
