"""Import an export (a canonical dataset, a CRM export or anything a mapping describes), safely.

Every file is read as text, made into canonical columns as its mapping says (`handoff.mapping`,
`handoff.extract`), typed column by column against the data contract, and every row that cannot
be taken is kept in a rejects table with its file, line and a reason a person understands:
accepted + rejected = read, always, for every file. The database is built in a new file and
swapped in only when everything succeeded, so a failed import leaves the previous data untouched.

Defined handling of bad input (each has a test):
- UTF-8 BOM, `,` `;` or tab delimiters, CRLF and quoted fields are detected by DuckDB's sniffer.
- Blank strings (after trimming) are NULL, and so is any value a mapping lists as `missing`
  (X Education's `Select`); a blank `source` becomes `(unknown)`.
- Timestamps are ISO 8601 with or without offset, or date-only (midnight), or one of the
  mapping's date formats; without an offset they are read in the mapping's time zone, else the
  agreement's (a wall-clock time skipped by a daylight-saving change moves forward by the gap; a
  repeated one takes the later instant).
- Numbers may carry a currency sign, thousands separators and a K/M/B suffix (`$1,117.10K` is
  1117100); a decimal comma, text or an infinite value rejects the row.
- A second row with the same `lead_id` (or `deal_id`) is rejected, naming the first one's line.
- A touch, activity or deal whose `lead_id` is not an accepted lead is rejected as an orphan.
- Rows with more or fewer fields than the header, or bytes that are not UTF-8, are rejected.
- Rows a mapping sets aside (a Salesforce task about a contact) are rejected with its reason.
- Stage timestamps out of order are kept and counted as a data-quality warning (staging views).
- Label spellings that differ only in case, spaces or punctuation ("Online Store" and
  "OnlineStore", "google" and "Google") are merged into the most frequent spelling when the
  mapping asks for it (the CRM formats do), and the import lists every merge.
- A missing required column, an unreadable file or a missing leads file stops the import with a
  message naming the file and column.

Every lead gets a `lead_key` (1, 2, ... in order of creation) that the other tables carry too:
the staging tables join on it, and leads are stored sorted by it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from handoff import __version__, reading
from handoff import limits as limits_mod
from handoff import mapping as mapping_mod
from handoff.agreement import Agreement
from handoff.contract import FILE_SUFFIXES, TABLES, Column, ColumnType, Table  # noqa: F401
from handoff.db import IMPORT_MEMORY_BYTES, SCHEMA_VERSION, build_staging, limit_memory
from handoff.extract import (
    ExtractError,
    Extractor,
    Source,
    create_zone_type,
    day_month_order,
    iso_parts,
)
from handoff.mapping import Mapping

# The read path lives in handoff.reading; its names stay importable from here for callers.
from handoff.reading import (  # noqa: F401
    _CSV_ERRORS,
    LOOKUP_TABLE,
    MAX_LINE_BYTES,
    ImportFailure,
    Plan,
    _canonical_assignment,
    _headers,
    _read_source,
    _sniff,
    _structural_rejects,
    export_files,
    normalize_headers,
    plan_export,
    plan_import,
    read_headers,
)
from handoff.sql import Sql, compose, ident, join, stripped, trimmed

Progress = Callable[[str], None]

_SQL_TYPES = {
    ColumnType.TEXT: Sql("varchar"),
    ColumnType.CHOICE: Sql("varchar"),
    ColumnType.TIMESTAMP: Sql("timestamptz"),
    ColumnType.NUMBER: Sql("double"),
    ColumnType.MONTH: Sql("date"),
}

# Label columns whose spellings are merged together, by shared vocabulary. Campaign names are
# left alone: two campaigns may differ by one character on purpose ("Dashboards #2" and
# "Dashboards - 2" are two Zoho campaigns with their own costs).
LABEL_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("source", (("leads", "source"), ("deals", "source"), ("spend", "source"))),
    ("channel", (("touches", "channel"),)),
    ("owner", (("leads", "owner"), ("activities", "rep"))),
    ("team", (("leads", "team"),)),
    ("discard reason", (("leads", "discard_reason"),)),
    ("touch type", (("touches", "touch_type"),)),
    ("activity type", (("activities", "activity_type"),)),
)

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


@dataclass
class TableResult:
    """What happened to one file of the export (or to a canonical table no file feeds)."""

    table: str | None  # the canonical table fed; None for a file used for lookups only
    file: str | None
    kind: str | None = None  # the mapping's kind of file
    n_read: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of reading an export."""

    folder: Path
    tables: list[TableResult]
    reasons: list[tuple[str, str, int]]  # (table, reason, rows), most frequent first
    format: str = mapping_mod.CANONICAL
    format_title: str = ""
    detection: list[str] = field(default_factory=list)  # how the format and files were chosen
    merges: list[tuple[str, str, str, int]] = field(default_factory=list)  # group, from, to, n
    rejects_path: Path | None = None
    db_path: Path | None = None
    data_end_at: dt.datetime | None = None

    @property
    def n_rejected(self) -> int:
        return sum(t.n_rejected for t in self.tables)

    @property
    def lead_attributes(self) -> list[str]:
        out: list[str] = []
        for t in self.tables:
            if t.table == "leads":
                out += [c for c in t.extra_columns if c not in out]
        return out

    def counts(self) -> dict[str, int]:
        """Accepted rows per canonical table."""
        out = {t.name: 0 for t in TABLES}
        for t in self.tables:
            if t.table in out:
                out[t.table] += t.n_accepted
        return out

    def summary(self) -> str:
        """The per-file counts, the merges and the reasons, as printed by the CLI."""
        lines = []
        if self.format != mapping_mod.CANONICAL:
            lines += [f"Format: {self.format} ({self.format_title})"]
        if self.detection:
            lines += [f"  {line}" for line in self.detection] + [""]
        lines.append(f"{'table':<11} {'file':<22} {'read':>10} {'accepted':>10} {'rejected':>10}")
        for t in self.tables:
            file = t.file or "(none)"
            lines.append(
                f"{t.table or LOOKUP_TABLE:<11} {file:<22} {t.n_read:>10,} {t.n_accepted:>10,}"
                f" {t.n_rejected:>10,}"
            )
            for note in t.notes:
                lines.append(f"    {note}")
            if t.extra_columns:
                kind = "lead attributes" if t.table == "leads" else "extra columns"
                lines.append(f"    kept as {kind}: {', '.join(t.extra_columns)}")
        total_read = sum(t.n_read for t in self.tables)
        total_acc = sum(t.n_accepted for t in self.tables)
        lines.append(
            f"{'total':<34} {total_read:>10,} {total_acc:>10,} {self.n_rejected:>10,}"
            + (
                "   (accepted + rejected = read)"
                if total_acc + self.n_rejected == total_read
                else ""
            )
        )
        if self.merges:
            lines.append("")
            lines.append(
                "Label spellings merged (they differ only in case, spaces or punctuation):"
            )
            for group, before, after, n in self.merges:
                lines.append(f"  {group}: '{before}' → '{after}' ({n:,} rows)")
        if self.reasons:
            lines.append("")
            lines.append("Rejected rows by reason:")
            for table, reason, n in self.reasons[:20]:
                lines.append(f"  {n:>8,}  {table}: {reason}")
            if len(self.reasons) > 20:
                lines.append(f"  ... and {len(self.reasons) - 20} more reasons")
        if self.rejects_path is not None and self.n_rejected:
            lines.append(f"Every rejected row, with its line and reason: {self.rejects_path}")
        return "\n".join(lines)


# --- Entry points -------------------------------------------------------------------------------


def import_dataset(
    folder: str | Path,
    db_path: str | Path,
    agreement: Agreement,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
) -> ImportResult:
    """Import an export (a folder or one file) into `db_path`, replacing it only if the whole
    import succeeds. `format` or `mapping` say how to read it; otherwise it is recognised."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(db_path)
    wait = reading.current_limits().import_wait_seconds
    try:
        with limits_mod.import_lock(db_path, wait, f"importing {Path(folder).resolve()}"):
            # Files that killed imports left (one holds the lock now, so none is in use).
            for target in (db_path, rejects_path):
                limits_mod.remove_stale_building_files(target)
            result = _import_locked(
                Path(folder), db_path, agreement, rejects_path, progress, format, mapping
            )
    except limits_mod.ImportBusy as exc:
        raise ImportFailure(str(exc)) from exc
    result.rejects_path = rejects_path
    result.db_path = db_path
    return result


def _import_locked(
    folder: Path,
    db_path: Path,
    agreement: Agreement,
    rejects_path: Path,
    progress: Progress | None,
    format: str | None,
    mapping: str | Path | None,
) -> ImportResult:
    """Build the database and its rejects file under temporary names, then swap both in: the
    rejects file always belongs to the database beside it."""
    token = f"building-{os.getpid()}-{secrets.token_hex(4)}"
    building = db_path.with_name(f".{db_path.name}.{token}")
    rejects_building = rejects_path.with_name(f".{rejects_path.name}.{token}")
    try:
        con = duckdb.connect(str(building))
        try:
            plan = plan_import(con, folder, format, mapping)
            result = load(con, plan, agreement, progress)
            if progress:
                progress("Building the staging tables ...")
            # The per-lead facts, built once here for this agreement (see handoff.db).
            build_staging(con, agreement, tuple(result.lead_attributes))
            con.execute(
                "copy (select table_name as table, file_name as file, line,"
                " column_name as column, reason, record from import_rejects"
                " order by table_name, file_name, line) to $path (header, delimiter ',')",
                {"path": str(rejects_building)},
            )
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(building, db_path)
        os.replace(rejects_building, rejects_path)
    except BaseException:
        for p in (building, Path(str(building) + ".wal"), rejects_building):
            p.unlink(missing_ok=True)
        raise
    return result


def check_dataset(
    folder: str | Path,
    agreement: Agreement,
    progress: Progress | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
) -> tuple[ImportResult, duckdb.DuckDBPyConnection]:
    """Read an export into an in-memory database without touching any file; return both."""
    con = duckdb.connect()
    plan = plan_import(con, Path(folder), format, mapping)
    return load(con, plan, agreement, progress), con


def default_rejects_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".rejects.csv")


def rejected(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every rejected row (file, line, column, reason), and the rows per file, column and
    reason (values in a reason shown as …), from a checked or imported export."""
    rows = con.sql(
        "select file_name, line, column_name, reason from import_rejects"
        " order by table_name, file_name, line"
    ).to_arrow_table()
    counts = con.sql(
        "select file_name, coalesce(column_name, '') as column_name,"
        " regexp_replace(reason, $quoted, '…', 'g') as reason, count(*) as n_rows"
        " from import_rejects group by all order by n_rows desc, 1, 2, 3",
        params={"quoted": "'[^']*'"},
    ).to_arrow_table()
    return rows.to_pandas(), counts.to_pandas()


# --- Loading ------------------------------------------------------------------------------------


def load(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    agreement: Agreement,
    progress: Progress | None = None,
) -> ImportResult:
    """Read every file of the plan into typed canonical tables on `con`."""
    say = progress or (lambda _msg: None)
    mapping = plan.mapping
    con.execute("set TimeZone = $tz", {"tz": agreement.time_zone})
    con.execute("set enable_progress_bar = false")
    limit_memory(con, most=IMPORT_MEMORY_BYTES)
    _create_macros(con)
    con.execute(
        "create or replace table import_rejects (table_name varchar, file_name varchar,"
        " line bigint, column_name varchar, reason varchar, record varchar)"
    )
    files = list(plan.assignment.files)
    index = {key: i for i, (key, _) in enumerate(files)}
    looked_into = {
        spec.lookup
        for key, _ in files
        for spec in mapping_mod.all_specs(mapping.kind(key))
        if spec.lookup is not None
    }
    sources: dict[str, Source] = {}

    def source(key: str) -> Source:
        if key not in sources:
            path = dict(files)[key]
            say(f"Reading {path.name} ...")
            sources[key] = _read_source(con, mapping.kind(key), path, index[key])
        return sources[key]

    results: list[TableResult] = []
    for table in TABLES:
        keys = [k for k, _ in files if mapping.kind(k).table == table.name]
        if not keys:
            _create_empty(con, table)
            results.append(TableResult(table=table.name, file=None))
            continue
        parts = [source(k) for k in keys]
        for k in keys:
            for spec in mapping_mod.all_specs(mapping.kind(k)):
                if spec.lookup is not None and spec.lookup in index:
                    source(spec.lookup)
        try:
            built = _build_table(con, table, parts, mapping, sources, agreement)
        except ExtractError as exc:
            raise ImportFailure(str(exc)) from exc
        # What reading each file had to say (its encoding, lines that do not add up).
        for part, result in zip(parts, built, strict=True):
            result.notes[:0] = part.notes
        results += built
        for part in parts:
            if part.kind.key not in looked_into:
                con.execute(compose("drop table {t}", t=part.table))
    for key, path in files:
        kind = mapping.kind(key)
        if kind.table is None:
            src = source(key)
            n = con.execute(compose("select count(*) from {t}", t=src.table)).fetchone()[0]
            results.append(
                TableResult(
                    table=None,
                    file=path.name,
                    kind=key,
                    n_read=n + src.n_structural,
                    n_accepted=n,
                    n_rejected=src.n_structural,
                    notes=["used to look up values for the other files", *src.notes],
                )
            )
    for src in sources.values():
        con.execute(compose("drop table if exists {t}", t=src.table))
    merges = _merge_label_spellings(con) if mapping.normalize_labels else []
    result = ImportResult(
        folder=plan.folder,
        tables=results,
        reasons=[],
        format=mapping.name,
        format_title=mapping.title,
        detection=plan.explanation,
        merges=merges,
    )
    _build_lead_attributes(con, result.lead_attributes)
    result.data_end_at = _write_metadata(con, plan, agreement, result)
    result.reasons = [
        (t, r, n)
        for t, r, n in con.execute(
            "select table_name, regexp_replace(reason, '''[^'']*''', '…', 'g') as reason,"
            " count(*) as n from import_rejects group by all order by n desc, 1, 2"
        ).fetchall()
    ]
    return result


def _create_macros(con: duckdb.DuckDBPyConnection) -> None:
    create_zone_type(con)
    # Money and plain numbers: one optional sign (before or after the currency), thousands
    # commas, K/M/B suffix. `--5` and `-$-5` are not numbers (DuckDB's cast reads `+-5` as -5).
    con.execute(
        r"""
        create or replace temp macro money_parts(v) as regexp_extract(
            v,
            '^([-+]?)\s*[$€£]?\s*([-+]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*([KkMmBb]?)$',
            ['sign', 'sign2', 'whole', 'frac', 'suffix']
        )
        """
    )
    con.execute(
        r"""
        create or replace temp macro parse_number(v) as case
            when v is null then null
            when regexp_matches(v, '[-+]\s*[-+]') then null
            when try_cast(v as double) is not null
                then case when isfinite(try_cast(v as double)) then try_cast(v as double) end
            when regexp_full_match(
                v, '([-+]\s*[$€£]?|[$€£]?\s*[-+]?)\s*'
                   || '([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*[KkMmBb]?'
            ) and regexp_matches(v, '[0-9]')
                then (case when money_parts(v).sign = '-' or money_parts(v).sign2 = '-'
                           then -1 else 1 end)
                     * cast(replace(money_parts(v).whole, ',', '') || money_parts(v).frac
                            as double)
                     * case upper(money_parts(v).suffix)
                           when 'K' then 1e3 when 'M' then 1e6 when 'B' then 1e9 else 1 end
        end
        """
    )


def _create_empty(con: duckdb.DuckDBPyConnection, table: Table) -> None:
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
        + [compose("{c} {typ}", c=ident(c.name), typ=_SQL_TYPES[c.type]) for c in table.columns]
        + after
    )
    con.execute(compose("create or replace table {t} ({cols})", t=ident(table.name), cols=columns))


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


def _build_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    parts: list[Source],
    mapping: Mapping,
    sources: dict[str, Source],
    agreement: Agreement,
) -> list[TableResult]:
    """Type the rows of every file feeding `table`, reject the bad ones, and create the table."""
    results = []
    extras_of = {}
    all_extras: list[str] = []
    for src in parts:
        kept, notes = _extras(con, table, src, mapping)
        extras_of[src.index] = kept
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
    for n, src in enumerate(parts):
        ex = Extractor(
            mapping, sources, agreement.time_zone, _day_month_order(con, table, src, mapping)
        )
        typed_cols = []
        made: list[Sql] = []  # each column's value as the mapping makes it (__v_<column>)
        # Each timestamp's text (__t_), its ISO 8601 parts (__z_) and its instant (__p_).
        stages: tuple[list[Sql], list[Sql], list[Sql]] = ([], [], [])
        problems = []
        skips = [
            compose(
                "case when {c} then {{'col': {label}, 'why': {why}}} end",
                # A skip rule whose column the file lacks skips nothing.
                c=ex.condition(s.when, src, "s", optional=True),
                label=ex.bind(s.when.column),
                why=ex.bind(s.reason),
            )
            for s in src.kind.skip
        ]
        for col in table.columns:
            spec = src.kind.spec(col.name)
            if spec is None:
                typed_cols.append(
                    compose(
                        "cast(null as {typ}) as {c}", typ=_SQL_TYPES[col.type], c=ident(col.name)
                    )
                )
                if col.required and col.blank_becomes is None:
                    raise ImportFailure(
                        f"{src.path.name}: nothing in {mapping.said} gives the required column "
                        f"{col.name}"
                    )
                if col.blank_becomes is not None:
                    typed_cols[-1] = compose(
                        "cast('" + col.blank_becomes + "' as varchar) as {c}", c=ident(col.name)
                    )
                continue
            value, native = ex.value(spec, src)
            if mapping.is_canonical:
                label = Sql("'" + col.name + "'")
            else:
                label = ex.bind(spec.column if spec.column else col.name)
            # The value is made once, in a subquery, and typed over its column: an expression
            # that repeated a mapping's value (a coalesce of lookups) in every test of it would
            # grow past what DuckDB plans quickly. A timestamp is parsed once, one level up.
            raw = ident(f"__v_{col.name}")
            made.append(compose("{v} as {n}", v=value, n=raw))
            value = compose("s.{n}", n=raw)
            parsed = None
            if col.type is ColumnType.TIMESTAMP and not _native_time(native):
                # The value's text, what it is made of, and the instant: one level each.
                text, pieces, instant = (ident(f"__{k}_{col.name}") for k in "tzp")
                stages[0].append(compose("{v} as {n}", v=stripped(value), n=text))
                text = compose("s.{n}", n=text)
                stages[1].append(compose("{v} as {n}", v=iso_parts(text), n=pieces))
                pieces = compose("s.{n}", n=pieces)
                stages[2].append(compose("{v} as {n}", v=ex.timestamp(text, pieces), n=instant))
                parsed = _Parsed(
                    compose("s.{n}", n=instant), ex.timestamp_problem(text, pieces), text
                )
            expr = _value_expr(col, value, native, label, ex, spec.if_blank, parsed)
            typed_cols.append(compose("{e} as {c}", e=expr.value, c=ident(col.name)))
            if expr.problem is not None:
                problems.append(expr.problem)
            if col.name == "lead_id" and table.lead_key:
                lead_id = expr.value
        kept = {k: n_ for n_, k in extras_of[src.index]}
        for name in all_extras:
            if name in kept:
                typed_cols.append(
                    compose(
                        "{v} as {k}",
                        v=stripped(compose("s.{c}", c=ident(kept[name]))),
                        k=ident(name),
                    )
                )
            else:
                typed_cols.append(compose("cast(null as varchar) as {k}", k=ident(name)))
        # The file's columns and the values made of them (the lookups' joins are made here),
        # then the timestamps parsed from those values; `s` names each level in turn.
        made_from = compose(
            "(select s.*, s.rowid as rowid, {made} from {src} as s {lookups})",
            made=join(made),
            src=src.table,
            lookups=join(ex.joins, sep=" "),
        )
        for stage in stages:
            if stage:
                made_from = compose("(select *, {c} from {f} as s)", c=join(stage), f=made_from)
        joins: list[Sql] = []
        if table.lead_key:
            # The lead each row belongs to, found once here: a row whose lead was not accepted
            # is an orphan, and the others carry its lead_key.
            joins.append(
                compose("left join leads as owner_lead on owner_lead.lead_id = {l}", l=lead_id)
            )
            typed_cols.append(Sql("owner_lead.lead_key as lead_key"))
            problems.append(
                compose(
                    "case when {l} is not null and owner_lead.lead_key is null then"
                    " {{'col': 'lead_id', 'why': 'lead_id ''' || {l} || ''' is not an accepted"
                    " lead (orphan)'}} end",
                    l=lead_id,
                )
            )
        # A row set aside says only why; any other row lists every problem it has.
        skip = compose("coalesce({s})", s=join(skips, sep=", ")) if skips else Sql("null")
        select = compose(
            "select {i} as src_index, {n} as part_no, s.rowid as raw_rowid, {line} as line, {cols},"
            " cast(case when {skip} is not null then [{skip}]"
            " else list_filter([{problems}], lambda p: p is not null) end"
            " as struct(col varchar, why varchar)[]) as problems"
            " from {src} as s {joins}",
            i=Sql(str(src.index)),
            n=Sql(str(n)),
            line=src.line,
            cols=join(typed_cols),
            skip=skip,
            problems=join(problems, sep=", ") if problems else Sql(""),
            src=made_from,
            joins=join(joins, sep=" "),
        )
        # Only what the statement uses is bound (DuckDB refuses unused parameters).
        used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", select))
        params = {k: v for k, v in {**ex.params, **src.line_params}.items() if k in used}
        if n == 0:
            con.execute(compose("create or replace temp table typed as {s}", s=select), params)
        else:
            con.execute(compose("insert into typed {s}", s=select), params)
    _reject_duplicates_and_orphans(con, table, parts)
    for src in parts:
        con.execute(
            compose(
                "insert into import_rejects select $table, $file, typed.line,"
                " typed.problems[1].col, array_to_string(list_transform(typed.problems,"
                " lambda p: p.col || ': ' || p.why), '; '), to_json(s)"
                " from typed join {src} as s on s.rowid = typed.raw_rowid"
                " where typed.src_index = {i} and len(typed.problems) > 0",
                src=src.table,
                i=Sql(str(src.index)),
            ),
            {"table": table.name, "file": src.path.name},
        )
    keep = join(
        [compose("t.{c}", c=ident(c)) for c in table.column_names]
        + [compose("t.{c}", c=ident(c)) for c in all_extras]
    )
    if table.name == "leads":
        # lead_key numbers leads by creation: a compact join key, and the table's sort order
        # (so a period filter on created_at skips most of the table).
        select = compose(
            "select row_number() over (order by t.created_at, t.lead_id) as lead_key, {keep}"
            " from typed as t where len(t.problems) = 0 order by lead_key",
            keep=keep,
        )
    elif table.name == "touches":
        # Touches keep their line as touch_key (after the lines of earlier files, when several
        # feed the table): attribution orders touches at the same instant by it, so ties
        # resolve the same way on every run. Each also knows its lead's touch before it and
        # the time of the one after it, so the Markov model counts the steps of any window
        # without sorting the touches again. They are stored in time order, so that a query
        # on a window of months reads only those months.
        select = compose(
            "select *, lag(channel) over journey as prev_channel,"
            " lag(campaign) over journey as prev_campaign,"
            " lag(touched_at) over journey as prev_touched_at,"
            " lead(touched_at) over journey as next_touched_at"
            " from (select t.lead_key, t.part_no * 10000000000 + t.line as touch_key, {keep}"
            " from typed as t where len(t.problems) = 0)"
            " window journey as (partition by lead_key order by touched_at, touch_key)"
            " order by touched_at, touch_key",
            keep=keep,
        )
    elif table.lead_key:
        select = compose(
            "select t.lead_key, {keep} from typed as t where len(t.problems) = 0", keep=keep
        )
    else:
        select = compose("select {keep} from typed as t where len(t.problems) = 0", keep=keep)
    con.execute(
        compose("create or replace table {t} as {select}", t=ident(table.name), select=select)
    )
    per_file = dict(
        con.execute(
            "select src_index, count(*) filter (where len(problems) = 0) from typed group by 1"
        ).fetchall()
    )
    read = dict(con.execute("select src_index, count(*) from typed group by 1").fetchall())
    rejected = dict(
        con.execute(
            "select file_name, count(*) from import_rejects where table_name = $t group by 1",
            {"t": table.name},
        ).fetchall()
    )
    for src, result in zip(parts, results, strict=True):
        result.n_read = read.get(src.index, 0) + src.n_structural
        result.n_accepted = per_file.get(src.index, 0)
        result.n_rejected = rejected.get(src.path.name, 0)
    result_notes = _status_notes(con, parts, mapping)
    for result, notes in zip(results, result_notes, strict=True):
        result.notes += notes
    con.execute("drop table typed")
    return results


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
            cell = ex.cell("s", name)
            rows = con.execute(
                compose(
                    "select {c} as v, count(*) as n from {t} as s where {c} is not null"
                    " and not list_contains({keys}, lower({c})) group by 1 order by n desc, v",
                    c=cell,
                    t=src.table,
                    keys=ex.bind([k for k, _ in rule.targets]),
                ),
                ex.params,
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


# A date written with numbers only, day and month in either order: 05/04/2026, 5.4.26.
_NUMERIC_DATE = r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{2,4}"


def _day_month_order(
    con: duckdb.DuckDBPyConnection, table: Table, src: Source, mapping: Mapping
) -> str | None:
    """The day-month order of a file's dates when its mapping lists date formats of both orders
    (HubSpot writes 03/31/2026 or 31/03/2026, by the account's locale): "month" or "day",
    decided from every date the file writes, so one file is never read both ways (05/04/2026 as
    4 May beside 13/04/2026 as 13 April). A file that writes both orders, or whose dates could
    all be read either way, stops with a message saying how to name the order; so does a file
    that writes the other order than a mapping that declares one (Salesforce: month first).
    None: read with every format."""
    formats = mapping.date_formats
    declared = {day_month_order(f) for f in formats} - {None}
    if not declared:
        return None
    names = sorted(
        {
            name
            for col in table.columns
            if col.type in (ColumnType.TIMESTAMP, ColumnType.MONTH)
            and (spec := src.kind.spec(col.name)) is not None
            for header in spec.columns()
            if (name := src.column(header)) is not None
        }
    )
    if not names:
        return None
    values = join(
        [
            compose(
                "select {h} as header, s.{c} as v, {line} as line from {t} as s"
                " where regexp_matches(s.{c}, {p})",
                h=Sql("'" + name + "'"),
                c=ident(name),
                line=src.line,
                t=src.table,
                p=Sql("'" + _NUMERIC_DATE + "'"),
            )
            for name in names
        ],
        sep=" union all ",
    )
    sql = compose(
        "with d as (select header, v, line, cast(regexp_extract(v, {p}, 1) as integer) as a,"
        " cast(regexp_extract(v, {p}, 2) as integer) as b from ({values}))"
        " select kind, count(*), arg_min([header, trim(v), cast(line as varchar)], line) from"
        " (select *, case when a > 12 and b <= 12 then 'day' when b > 12 and a <= 12"
        " then 'month' when a <> b and a <= 12 and b <= 12 then 'either' end as kind from d)"
        " where kind is not null group by kind",
        p=Sql("'" + _NUMERIC_DATE + "'"),
        values=values,
    )
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    found = {
        kind: (n, example)
        for kind, n, example in con.execute(
            sql, {k: v for k, v in src.line_params.items() if k in used}
        ).fetchall()
    }
    name = src.path.name
    header = dict(zip(src.types, src.headers, strict=False))
    said = {k: f"{header.get(h, h)} '{v}' on line {line}" for k, (_, (h, v, line)) in found.items()}
    # The formats of each order: the mapping's own, or its numeric ones with day and month
    # swapped when it declares one order only.
    month = [f for f in formats if day_month_order(f) != "day"]
    day = [f for f in formats if day_month_order(f) != "month"]
    if declared == {"month"}:
        day = [_swapped(f) for f in formats if day_month_order(f) == "month"]
    if declared == {"day"}:
        month = [_swapped(f) for f in formats if day_month_order(f) == "day"]
    where = (
        f'a mapping file (--mapping) with extends = "{mapping.name}" and'
        if mapping.name in mapping_mod.BUILTIN_FORMATS
        else f"{mapping.said}:"
    )
    how = (
        f"name the order in {where} date_formats = {_toml_list(month)} for month first (US), "
        f"or {_toml_list(day)} for day first"
    )
    if len(declared) == 1:
        # One order declared (Salesforce reports write US dates): a date that can only be the
        # other order means the file is not written as the mapping says, and its dates that
        # could be either would be read wrong. A file never read half one way, half the other.
        (order,) = declared
        other = "day" if order == "month" else "month"
        if other in found:
            raise ImportFailure(
                f"{name}: {mapping.said} reads numeric dates {order} first, but the file writes "
                f"them {other} first ({said[other]}); {how}"
            )
        return None
    if "month" in found and "day" in found:
        raise ImportFailure(
            f"{name}: dates are written both month first ({said['month']}) and day first "
            f"({said['day']}); one file has one order: correct the file, or {how}"
        )
    if "month" in found or "day" in found:
        return "month" if "month" in found else "day"
    if "either" in found:
        raise ImportFailure(
            f"{name}: dates like {said['either']} could be month first or day first, and no "
            f"date in the file decides it (a day above 12); {how}"
        )
    return None


def _swapped(fmt: str) -> str:
    """A date format with its day and month swapped: %m/%d/%Y becomes %d/%m/%Y."""
    return fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


@dataclass(frozen=True)
class _Parsed:
    instant: Sql  # the timestamp's instant, NULL when it cannot be read
    problem: Sql  # why its offset or zone is wrong, NULL when it is not that
    text: Sql | None = None  # its trimmed text, when made already


@dataclass(frozen=True)
class _Expr:
    value: Sql  # the typed value
    problem: Sql | None  # a struct(col, why) when the value is bad, else NULL


def _value_expr(
    col: Column,
    expr: Sql,
    raw_type: str | None,
    label: Sql,
    ex: Extractor,
    blank_reason: str | None = None,
    parsed: _Parsed | None = None,
) -> _Expr:
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
    blank = compose("{text} is null", text=text)

    def problem(condition: Sql, why: Sql) -> Sql:
        return compose(
            "case when {cond} then {{'col': {label}, 'why': {why}}} end",
            cond=condition,
            label=label,
            why=why,
        )

    quoted = compose("'''' || {text} || ''''", text=text)
    said_blank = Sql("'is blank'")
    if blank_reason is not None:
        said_blank = ex.bind(blank_reason)
    blank_problem = problem(blank, said_blank) if col.required else None
    native = (raw_type or "VARCHAR").upper()
    if col.type is ColumnType.TEXT:
        if col.blank_becomes is not None:
            return _Expr(compose("coalesce({text}, '" + col.blank_becomes + "')", text=text), None)
        return _Expr(text, blank_problem)
    if col.type is ColumnType.CHOICE:
        choices = Sql(", ".join("'" + v + "'" for v in col.choices))
        value = compose("lower({text})", text=text)
        bad = compose(
            "{text} is not null and {value} not in ({choices})",
            text=text,
            value=value,
            choices=choices,
        )
        why = compose("{q} || ' is not one of " + " / ".join(col.choices) + "'", q=quoted)
        return _Expr(
            compose(
                "case when {value} in ({choices}) then {value} end", value=value, choices=choices
            ),
            _either(blank_problem, problem(bad, why)),
        )
    if col.type is ColumnType.TIMESTAMP:
        if _native_time(native):
            return _Expr(compose("cast({e} as timestamptz)", e=expr), blank_problem)
        if parsed is None:
            parsed = _Parsed(ex.timestamp(text), ex.timestamp_problem(text))
        if ex.mapping.is_canonical:
            formats = Sql("'(use ISO 8601: 2026-01-31 or 2026-01-31T14:05:00+01:00)'")
        else:
            formats = ex.bind(f"(expected {ex.date_formats_said()})")
        # A year outside 1900-2199 is a misread (a two-digit year read as year 26), not a date.
        value = compose(
            "case when {p} >= timestamptz '1900-01-01 00:00:00+00'"
            " and {p} < timestamptz '2200-01-01 00:00:00+00' then {p} end",
            p=parsed.instant,
        )
        bad = compose("{text} is not null and {value} is null", text=text, value=value)
        why = compose(
            "{q} || coalesce(': ' || {tail}, ' is not a date or timestamp ' || {f})",
            q=quoted,
            tail=parsed.problem,
            f=formats,
        )
        return _Expr(value, _either(blank_problem, problem(bad, why)))
    if col.type is ColumnType.NUMBER:
        if native in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"} or (
            native.startswith("DECIMAL")
        ):
            # A Parquet number is a number, but NaN and infinity are no amount or score.
            raw = compose("cast({e} as double)", e=expr)
            value = compose("case when isfinite({r}) then {r} end", r=raw)
            bad = compose("{r} is not null and not isfinite({r})", r=raw)
            why = compose("{q} || ' is not a finite number'", q=quoted)
        else:
            value = compose("parse_number({text})", text=text)
            bad = compose("{text} is not null and {value} is null", text=text, value=value)
            why = compose(
                "{q} || ' is not a number (digits with an optional sign, currency, thousands "
                "commas, decimal point and K/M/B)'",
                q=quoted,
            )
        found = _either(blank_problem, problem(bad, why))
        if col.minimum is not None:
            least = Sql(repr(float(col.minimum)))
            below = problem(
                compose("{v} < {m}", v=value, m=least),
                compose(
                    "{q} || ' is below ' || {m} || ': " + col.name + " cannot be negative'",
                    q=quoted,
                    m=Sql("'" + f"{col.minimum:g}" + "'"),
                ),
            )
            found = _either(found, below)
        return _Expr(value, found)
    # ColumnType.MONTH
    if ex.mapping.is_canonical:
        value = compose(
            "case when regexp_full_match({text}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
            " then cast({text} || '-01' as date) end",
            text=text,
        )
        why = compose("{q} || ' is not a month (use YYYY-MM, e.g. 2026-01)'", q=quoted)
    else:
        value = ex.month(text)
        why = compose(
            "{q} || ' is not a month (YYYY-MM) or a date ' || {f}",
            q=quoted,
            f=ex.bind(f"(expected {ex.date_formats_said()})"),
        )
    bad = compose("{text} is not null and {value} is null", text=text, value=value)
    return _Expr(value, _either(blank_problem, problem(bad, why)))


def _native_time(native: str | None) -> bool:
    """Whether a file's own type is a time (Parquet), read as it is."""
    native = (native or "").upper()
    return native.startswith("TIMESTAMP") or native == "DATE"


def _either(first: Sql | None, second: Sql) -> Sql:
    return second if first is None else compose("coalesce({a}, {b})", a=first, b=second)


def _reject_duplicates_and_orphans(
    con: duckdb.DuckDBPyConnection, table: Table, parts: list[Source]
) -> None:
    """Add the duplicate-key problem to rows that are otherwise fine (orphans are found when the
    rows are typed)."""
    if table.key:
        key = ident(table.key)
        # The first row (in file order, files in the mapping's order) keeps the key.
        con.execute(
            compose(
                "update typed set problems = [{{'col': '{k}', 'why': 'duplicate ' || '{k}' || ' '"
                " || '''' || typed.{key} || '''' || ', first on line ' || d.first_line"
                " || case when d.first_file <> typed.src_index"
                " then ' of ' || list_extract($files, d.first_file + 1) else '' end}}]"
                " from (select src_index, line,"
                " first_value(line) over w as first_line, first_value(src_index) over w"
                " as first_file, row_number() over w as nth"
                " from typed where len(problems) = 0"
                " window w as (partition by {key} order by part_no, line)) as d"
                " where typed.src_index = d.src_index and typed.line = d.line and d.nth > 1",
                key=key,
                k=Sql(table.key),
            ),
            {"files": _file_names(parts)},
        )


def _file_names(parts: list[Source]) -> list[str]:
    """File names by source index (for messages that name another file)."""
    names = [""] * (max(p.index for p in parts) + 1)
    for p in parts:
        names[p.index] = p.path.name
    return names


def _merge_label_spellings(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """Merge label spellings that differ only in case, spaces or punctuation.

    Within each vocabulary (sources of leads, deals and spend; campaigns; channels; owners and
    reps; ...) values whose letters and digits agree, ignoring case, are one label; every
    spelling becomes the most frequent one (ties: the one with more spaces, then the first in
    alphabetical order). Handoff's own placeholders like `(unknown)` are left alone.
    """
    merges: list[tuple[str, str, str, int]] = []
    for group, columns in LABEL_GROUPS:
        values = join(
            [
                compose("select {c} as v from {t} where {c} is not null", c=ident(c), t=ident(t))
                for t, c in columns
            ],
            sep=" union all ",
        )
        rows = con.execute(
            compose(
                "with counted as (select v, count(*) as n,"
                " lower(regexp_replace(v, '[^\\p{{L}}\\p{{N}}]', '', 'g')) as k"
                " from ({values}) where not starts_with(v, '(') group by v),"
                " chosen as (select k, arg_max(v, (n, length(v) - length(replace(v, ' ', '')),"
                " -rank)) as canon from (select *, rank() over (partition by k order by v) as rank"
                " from counted) group by k having count(*) > 1)"
                " select c.v, h.canon, c.n from counted as c join chosen as h using (k)"
                " where c.v <> h.canon and h.k <> '' order by h.canon, c.v",
                values=values,
            )
        ).fetchall()
        if not rows:
            continue
        for table, column in columns:
            con.execute(
                compose(
                    "update {t} set {c} = m.canon from (select unnest($from) as v,"
                    " unnest($to) as canon) as m where {t}.{c} = m.v",
                    t=ident(table),
                    c=ident(column),
                ),
                {"from": [r[0] for r in rows], "to": [r[1] for r in rows]},
            )
        merges += [(group, before, after, n) for before, after, n in rows]
    return merges


def _build_lead_attributes(con: duckdb.DuckDBPyConnection, attributes: list[str]) -> None:
    """One row per lead and attribute with a value: filters and breakdowns bind the name."""
    con.execute(
        "create or replace table lead_attributes"
        " (lead_key bigint, lead_id varchar, attribute varchar, value varchar)"
    )
    for name in attributes:
        con.execute(
            compose(
                "insert into lead_attributes select lead_key, lead_id, $n, {c} from leads"
                " where {c} is not null",
                c=ident(name),
            ),
            {"n": name},
        )


_TIMESTAMP_COLUMNS = [
    (t.name, c.name) for t in TABLES for c in t.columns if c.type is ColumnType.TIMESTAMP
]


def _write_metadata(
    con: duckdb.DuckDBPyConnection, plan: Plan, agreement: Agreement, result: ImportResult
) -> dt.datetime | None:
    """Record what was imported, from where and how, and where the data ends."""
    maxes = join(
        compose("(select max({c}) from {t})", c=ident(c), t=ident(t)) for t, c in _TIMESTAMP_COLUMNS
    )
    data_end = con.execute(compose("select greatest({m})", m=maxes)).fetchone()[0]
    con.execute(
        "create or replace table import_runs as select now() as imported_at,"
        " $folder as source_folder, $tz as agreement_time_zone,"
        " cast($data_end as timestamptz) as data_end_at, $version as handoff_version,"
        " $schema as schema_version, $format as format, $title as format_title,"
        " $detection as detection, $merges as label_merges",
        {
            "folder": str(plan.folder.resolve()),
            "tz": agreement.time_zone,
            "data_end": data_end,
            "version": __version__,
            "schema": SCHEMA_VERSION,
            "format": result.format,
            "title": result.format_title,
            "detection": result.detection,
            "merges": [f"{g}: '{a}' → '{b}' ({n:,} rows)" for g, a, b, n in result.merges],
        },
    )
    con.execute(
        "create or replace table import_tables (table_name varchar, file_name varchar,"
        " file_kind varchar, n_read bigint, n_accepted bigint, n_rejected bigint,"
        " extra_columns varchar[], notes varchar[])"
    )
    for r in result.tables:
        con.execute(
            "insert into import_tables values ($t, $f, $k, $r, $a, $x, $e, $n)",
            {
                "t": r.table or LOOKUP_TABLE,
                "f": r.file,
                "k": r.kind,
                "r": r.n_read,
                "a": r.n_accepted,
                "x": r.n_rejected,
                "e": r.extra_columns,
                "n": r.notes,
            },
        )
    return data_end
