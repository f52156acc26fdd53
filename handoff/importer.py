"""Import a canonical dataset folder into a DuckDB file, safely.

Every file is read as text, typed column by column against the data contract, and every row that
cannot be taken is kept in a rejects table with its line and a reason a person understands:
accepted + rejected = read, always. The database is built in a new file and swapped in only when
everything succeeded, so a failed import leaves the previous data untouched.

Defined handling of bad input (each has a test):
- UTF-8 BOM, `,` `;` or tab delimiters, CRLF and quoted fields are detected by DuckDB's sniffer.
- Blank strings (after trimming) are NULL; a blank `source` becomes `(unknown)`.
- Timestamps are ISO 8601 with or without offset, or date-only (midnight); without an offset they
  are read in the agreement's time zone (a wall-clock time skipped by a daylight-saving change
  moves forward by the gap; a repeated one takes the later instant).
- Numbers may carry a currency sign, thousands separators and a K/M/B suffix (`$1,117.10K` is
  1117100); a decimal comma, text or an infinite value rejects the row.
- A second row with the same `lead_id` (or `deal_id`) is rejected, naming the first one's line.
- A touch, activity or deal whose `lead_id` is not an accepted lead is rejected as an orphan.
- Rows with more or fewer fields than the header, or bytes that are not UTF-8, are rejected.
- Stage timestamps out of order are kept and counted as a data-quality warning (staging views).
- A missing required column, an unreadable file or a missing leads file stops the import with a
  message naming the file and column.

Every lead gets a `lead_key` (1, 2, ... in order of creation) that the other tables carry too:
the staging tables join on it, and leads are stored sorted by it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from handoff import __version__
from handoff.agreement import Agreement
from handoff.contract import FILE_SUFFIXES, TABLES, Column, Kind, Table
from handoff.db import SCHEMA_VERSION, build_staging, limit_memory
from handoff.sql import Sql, compose, ident, join

Progress = Callable[[str], None]

# Longest line a CSV may hold (DuckDB's default is 2 MB); longer lines are rejected.
MAX_LINE_BYTES = 8_000_000

_SQL_TYPES = {
    Kind.TEXT: Sql("varchar"),
    Kind.CHOICE: Sql("varchar"),
    Kind.TIMESTAMP: Sql("timestamptz"),
    Kind.NUMBER: Sql("double"),
    Kind.MONTH: Sql("date"),
}

# DuckDB's structural CSV errors, said the way a person would.
_CSV_ERRORS = {
    "TOO MANY COLUMNS": "more fields than the header has columns",
    "MISSING COLUMNS": "fewer fields than the header has columns",
    "INVALID ENCODING": "not UTF-8 text (save the file as UTF-8)",
    "INVALID UNICODE": "not UTF-8 text (save the file as UTF-8)",
    "UNQUOTED VALUE": "a quote inside a field that is not quoted",
    "LINE SIZE OVER MAXIMUM": f"line longer than {MAX_LINE_BYTES:,} bytes",
    "CAST": "value could not be read",
}


class ImportFailure(Exception):
    """The import cannot go on; the message names the file and, where it applies, the column."""


@dataclass
class TableResult:
    """What happened to one table of the dataset."""

    table: str
    file: str | None
    n_read: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of reading a dataset folder."""

    folder: Path
    tables: list[TableResult]
    reasons: list[tuple[str, str, int]]  # (table, reason, rows), most frequent first
    rejects_path: Path | None = None
    db_path: Path | None = None
    data_end_at: dt.datetime | None = None

    @property
    def n_rejected(self) -> int:
        return sum(t.n_rejected for t in self.tables)

    def summary(self) -> str:
        """The per-table counts and the reasons, as printed by the CLI."""
        lines = [f"{'table':<11} {'file':<22} {'read':>10} {'accepted':>10} {'rejected':>10}"]
        for t in self.tables:
            file = t.file or "(none)"
            lines.append(
                f"{t.table:<11} {file:<22} {t.n_read:>10,} {t.n_accepted:>10,} {t.n_rejected:>10,}"
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


def import_dataset(
    folder: str | Path,
    db_path: str | Path,
    agreement: Agreement,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a dataset folder into `db_path`, replacing it only if the whole import succeeds."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(db_path)
    building = db_path.with_name(f".{db_path.name}.building-{os.getpid()}")
    building.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(building))
        try:
            result = load(con, Path(folder), agreement, progress)
            if progress:
                progress("Building the staging tables ...")
            # The per-lead facts, built once here for this agreement (see handoff.db).
            build_staging(con, agreement, tuple(result.tables[0].extra_columns))
            con.execute(
                "copy (select table_name as table, file_name as file, line,"
                " column_name as column, reason, record from import_rejects"
                " order by table_name, line) to $path (header, delimiter ',')",
                {"path": str(rejects_path)},
            )
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(building, db_path)
    except BaseException:
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
        raise
    result.rejects_path = rejects_path
    result.db_path = db_path
    return result


def check_dataset(
    folder: str | Path, agreement: Agreement, progress: Progress | None = None
) -> tuple[ImportResult, duckdb.DuckDBPyConnection]:
    """Read a dataset into an in-memory database without touching any file; return both."""
    con = duckdb.connect()
    return load(con, Path(folder), agreement, progress), con


def default_rejects_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".rejects.csv")


def find_files(folder: Path) -> dict[str, Path]:
    """The dataset's file per table; refuses a folder without leads or with two leads files."""
    if not folder.is_dir():
        raise ImportFailure(f"{folder}: not a folder")
    found: dict[str, Path] = {}
    for table in TABLES:
        matches = [
            p
            for p in sorted(folder.iterdir())
            if p.stem.lower() == table.name and p.suffix.lower() in FILE_SUFFIXES and p.is_file()
        ]
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise ImportFailure(f"{folder}: more than one file for {table.name} ({names})")
        if matches:
            found[table.name] = matches[0]
    if "leads" not in found:
        raise ImportFailure(
            f"{folder}: no leads file (expected leads.csv or leads.parquet; found "
            f"{', '.join(sorted(p.name for p in folder.iterdir())) or 'nothing'})"
        )
    return found


def normalize_headers(headers: list[str]) -> list[str]:
    """Header names as identifiers: lower case, runs of other characters become `_`."""
    out: list[str] = []
    for i, header in enumerate(headers):
        name = re.sub(r"[^a-z0-9]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")
        if not name:
            name = f"column_{i + 1}"
        if name[0].isdigit():
            name = "c_" + name
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def load(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    agreement: Agreement,
    progress: Progress | None = None,
) -> ImportResult:
    """Read every dataset file of `folder` into typed tables on `con`."""
    say = progress or (lambda _msg: None)
    files = find_files(folder)
    con.execute("set TimeZone = $tz", {"tz": agreement.time_zone})
    con.execute("set enable_progress_bar = false")
    limit_memory(con)
    _create_macros(con)
    con.execute(
        "create or replace table import_rejects (table_name varchar, file_name varchar,"
        " line bigint, column_name varchar, reason varchar, record varchar)"
    )
    results = []
    for table in TABLES:
        path = files.get(table.name)
        say(f"Reading {path.name if path else table.name} ...")
        results.append(_load_table(con, table, path))
    _build_lead_attributes(con, results[0].extra_columns)
    data_end = _write_metadata(con, folder, agreement, results)
    reasons = [
        (t, r, n)
        for t, r, n in con.execute(
            "select table_name, regexp_replace(reason, '''[^'']*''', '…', 'g') as reason,"
            " count(*) as n from import_rejects group by all order by n desc, 1, 2"
        ).fetchall()
    ]
    return ImportResult(folder=folder, tables=results, reasons=reasons, data_end_at=data_end)


def _create_macros(con: duckdb.DuckDBPyConnection) -> None:
    # Money and plain numbers: optional sign and currency, thousands commas, K/M/B suffix.
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
            when try_cast(v as double) is not null
                then case when isfinite(try_cast(v as double)) then try_cast(v as double) end
            when regexp_full_match(
                v, '[-+]?\s*[$€£]?\s*[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*[KkMmBb]?'
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


def _read_raw(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> _Raw:
    """Load a file as text into `raw`, moving structurally broken lines to import_rejects."""
    try:
        if path.suffix.lower() == ".parquet":
            con.execute(
                "create or replace temp table raw as select * from read_parquet($path,"
                " file_row_number = true)",
                {"path": str(path)},
            )
            # Parquet has no lines: rows are numbered from 1.
            raw = _Raw(line=Sql("raw.file_row_number + 1"), n_structural=0)
        else:
            # Sniff once, tolerating broken lines (a ragged row must not make the sniffer fall
            # back to a one-column reading), then read with exactly that dialect.
            delim, quote, escape, columns = con.execute(
                "select Delimiter, Quote, Escape, Columns from sniff_csv($path,"
                " store_rejects = true, max_line_size = $max_line)",
                {"path": str(path), "max_line": MAX_LINE_BYTES},
            ).fetchone()
            con.execute(
                "create or replace temp table raw as select * from read_csv($path,"
                " all_varchar = true, header = true, names = $names, delim = $delim,"
                " quote = $quote, escape = $escape, store_rejects = true,"
                " rejects_table = 'csv_reject_errors', rejects_scan = 'csv_reject_scans',"
                " max_line_size = $max_line)",
                {
                    "path": str(path),
                    "names": normalize_headers([c["name"] for c in columns]),
                    "delim": delim,
                    "quote": "" if quote == "(empty)" else quote,
                    "escape": "" if escape == "(empty)" else escape,
                    "max_line": MAX_LINE_BYTES,
                },
            )
            raw = _structural_rejects(con, table, path)
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ImportFailure(f"{path.name}: cannot read the file: {reason}") from exc
    described = con.execute("describe raw").fetchall()
    raw.types = {r[0]: r[1] for r in described if r[0] != "file_row_number"}
    if not raw.types:
        raise ImportFailure(f"{path.name}: the file is empty (no header line)")
    return raw


@dataclass
class _Raw:
    line: Sql  # the expression numbering a row of `raw` as the user sees it
    n_structural: int  # lines rejected before typing
    gaps: list[int] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)


def _structural_rejects(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> _Raw:
    """Move DuckDB's rejected CSV lines into import_rejects; say how to number the others."""
    # DuckDB may report one error per missing column of a short line: keep one row per line.
    con.execute(
        "insert into import_rejects"
        " select $table, $file, e.line, arg_min(e.column_name, e.column_idx),"
        " arg_min(coalesce(m.said, e.error_message) || coalesce(' (' || nullif(regexp_replace("
        "regexp_extract(e.error_message, $counts, 0), $counts, 'expected \\1 fields, found \\2'),"
        " '') || ')', ''), e.column_idx),"
        " to_json({'csv_line': trim(arg_min(e.csv_line, e.column_idx), chr(10))})"
        " from csv_reject_errors as e left join"
        " (select unnest($codes) as code, unnest($said) as said) as m"
        " on m.code = cast(e.error_type as varchar)"
        " group by e.line",
        {
            "table": table.name,
            "file": path.name,
            "codes": list(_CSV_ERRORS),
            "said": list(_CSV_ERRORS.values()),
            "counts": r"Expected Number of Columns: (\d+) Found: (\d+)",
        },
    )
    bad_lines = [
        r[0]
        for r in con.execute("select distinct line from csv_reject_errors order by line").fetchall()
    ]
    con.execute("drop table if exists csv_reject_errors")
    con.execute("drop table if exists csv_reject_scans")
    # Rows are numbered as a spreadsheet shows them: the header is line 1, each record one line.
    # A rejected record leaves a gap; gaps[j] is how many accepted rows precede the j-th one.
    if not bad_lines:
        return _Raw(line=Sql("raw.rowid + 2"), n_structural=0)
    gaps = [line - 1 - j for j, line in enumerate(bad_lines, start=1)]
    return _Raw(
        line=Sql(
            "raw.rowid + 2 + (select count(*) from unnest($gaps) as g(a) where g.a < raw.rowid + 1)"
        ),
        n_structural=len(bad_lines),
        gaps=gaps,
    )


def _load_table(con: duckdb.DuckDBPyConnection, table: Table, path: Path | None) -> TableResult:
    result = TableResult(table=table.name, file=path.name if path else None)
    if path is None:
        key = [Sql('"lead_key" bigint')] if table.lead_key or table.name == "leads" else []
        if table.name == "touches":
            key.append(Sql('"touch_key" bigint'))
        columns = join(
            key
            + [compose("{c} {typ}", c=ident(c.name), typ=_SQL_TYPES[c.kind]) for c in table.columns]
        )
        con.execute(
            compose("create or replace table {t} ({cols})", t=ident(table.name), cols=columns)
        )
        return result
    raw = _read_raw(con, table, path)
    columns = list(raw.types)
    missing = [c for c in table.required_columns if c not in columns]
    if missing:
        hint = "; is it delimited by comma, semicolon or tab?" if len(columns) == 1 else ""
        raise ImportFailure(
            f"{path.name}: missing required column '{missing[0]}' "
            f"(the file has: {', '.join(columns)}{hint})"
        )
    extras = [c for c in columns if c not in table.column_names]
    for name in [c for c in extras if re.fullmatch(r"column_?\d+", c)]:
        empty = con.execute(compose("select count({c}) = 0 from raw", c=ident(name))).fetchone()[0]
        if empty:
            extras.remove(name)
            result.notes.append(f"dropped unnamed column '{name}': it is empty on every line")
    result.extra_columns = extras

    exprs = {c.name: _value_expr(c, raw.types[c.name]) for c in table.columns if c.name in columns}
    typed_cols = [
        compose("{e} as {c}", e=exprs[c.name].value, c=ident(c.name))
        if c.name in exprs
        else compose("cast(null as {typ}) as {c}", typ=_SQL_TYPES[c.kind], c=ident(c.name))
        for c in table.columns
    ]
    typed_cols += [
        compose("nullif(trim(cast({c} as varchar)), '') as {c}", c=ident(c)) for c in extras
    ]
    problems = join((e.problem for e in exprs.values() if e.problem is not None), sep=", ")
    params = {"gaps": raw.gaps} if raw.gaps else {}
    con.execute(
        compose(
            "create or replace temp table typed as select raw.rowid as raw_rowid, {line} as line,"
            " {cols}, cast(list_filter([{problems}], lambda p: p is not null)"
            " as struct(col varchar, why varchar)[]) as problems from raw",
            line=raw.line,
            cols=join(typed_cols),
            problems=problems,
        ),
        params,
    )
    _reject_duplicates_and_orphans(con, table)
    con.execute(
        "insert into import_rejects select $table, $file, typed.line, typed.problems[1].col,"
        " array_to_string(list_transform(typed.problems, lambda p: p.col || ': ' || p.why), '; '),"
        " to_json(raw) from typed join raw on raw.rowid = typed.raw_rowid"
        " where len(typed.problems) > 0",
        {"table": table.name, "file": path.name},
    )
    keep = join(
        [compose("t.{c}", c=ident(c)) for c in table.column_names]
        + [compose("t.{c}", c=ident(c)) for c in extras]
    )
    if table.name == "leads":
        # lead_key numbers leads by creation: a compact join key, and the table's sort order
        # (so a period filter on created_at skips most of the table).
        select = compose(
            "select row_number() over (order by t.created_at, t.lead_id) as lead_key, {keep}"
            " from typed as t where len(t.problems) = 0 order by lead_key",
            keep=keep,
        )
    elif table.lead_key:
        # Touches keep their line as touch_key: attribution orders touches at the same instant
        # by it, so ties resolve the same way on every run. They are stored in time order, so
        # that a query on a window of months reads only those months.
        is_touches = table.name == "touches"
        select = compose(
            "select l.lead_key{line}, {keep} from typed as t"
            " inner join leads as l on l.lead_id = t.lead_id where len(t.problems) = 0{order}",
            keep=keep,
            line=Sql(", t.line as touch_key") if is_touches else Sql(""),
            order=Sql(" order by t.touched_at, t.line") if is_touches else Sql(""),
        )
    else:
        select = compose("select {keep} from typed as t where len(t.problems) = 0", keep=keep)
    con.execute(
        compose("create or replace table {t} as {select}", t=ident(table.name), select=select)
    )
    n_typed = con.execute("select count(*) from typed").fetchone()[0]
    result.n_read = n_typed + raw.n_structural
    result.n_accepted = con.execute(
        compose("select count(*) from {t}", t=ident(table.name))
    ).fetchone()[0]
    result.n_rejected = con.execute(
        "select count(*) from import_rejects where table_name = $t", {"t": table.name}
    ).fetchone()[0]
    con.execute("drop table typed")
    con.execute("drop table raw")
    return result


@dataclass(frozen=True)
class _Expr:
    value: Sql  # the typed value
    problem: Sql | None  # a struct(col, why) when the value is bad, else NULL


def _value_expr(col: Column, raw_type: str | None) -> _Expr:
    """SQL for a column's typed value and for the problem with it, from the contract."""
    c = ident(col.name)
    name = Sql("'" + col.name + "'")
    text = compose("nullif(trim(cast({c} as varchar)), '')", c=c)
    blank = compose("{text} is null", text=text)

    def problem(condition: Sql, why: Sql) -> Sql:
        return compose(
            "case when {cond} then {{'col': {name}, 'why': {why}}} end",
            cond=condition,
            name=name,
            why=why,
        )

    quoted = compose("'''' || {text} || ''''", text=text)
    blank_problem = problem(blank, Sql("'is blank'")) if col.required else None
    native = (raw_type or "VARCHAR").upper()
    if col.kind is Kind.TEXT:
        if col.blank_becomes is not None:
            return _Expr(compose("coalesce({text}, '" + col.blank_becomes + "')", text=text), None)
        return _Expr(text, blank_problem)
    if col.kind is Kind.CHOICE:
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
    if col.kind is Kind.TIMESTAMP:
        if native.startswith("TIMESTAMP") or native == "DATE":
            return _Expr(compose("cast({c} as timestamptz)", c=c), blank_problem)
        value = compose("try_cast({text} as timestamptz)", text=text)
        bad = compose("{text} is not null and {value} is null", text=text, value=value)
        why = compose(
            "{q} || ' is not a date or timestamp (use ISO 8601: 2026-01-31 or "
            "2026-01-31T14:05:00+01:00)'",
            q=quoted,
        )
        return _Expr(value, _either(blank_problem, problem(bad, why)))
    if col.kind is Kind.NUMBER:
        if native in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"} or (
            native.startswith("DECIMAL")
        ):
            return _Expr(compose("cast({c} as double)", c=c), blank_problem)
        value = compose("parse_number({text})", text=text)
        bad = compose("{text} is not null and {value} is null", text=text, value=value)
        why = compose(
            "{q} || ' is not a number (digits with an optional sign, currency, thousands "
            "commas, decimal point and K/M/B)'",
            q=quoted,
        )
        return _Expr(value, _either(blank_problem, problem(bad, why)))
    # Kind.MONTH
    value = compose(
        "case when regexp_full_match({text}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
        " then cast({text} || '-01' as date) end",
        text=text,
    )
    bad = compose("{text} is not null and {value} is null", text=text, value=value)
    why = compose("{q} || ' is not a month (use YYYY-MM, e.g. 2026-01)'", q=quoted)
    return _Expr(value, _either(blank_problem, problem(bad, why)))


def _either(first: Sql | None, second: Sql) -> Sql:
    return second if first is None else compose("coalesce({a}, {b})", a=first, b=second)


def _reject_duplicates_and_orphans(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Add the duplicate-key and orphan problems to rows that are otherwise fine."""
    if table.key:
        key = ident(table.key)
        con.execute(
            compose(
                "update typed set problems = [{{'col': '{k}', 'why': 'duplicate ' || '{k}' || ' '"
                " || '''' || typed.{key} || '''' || ', first on line ' || d.first_line}}]"
                " from (select line, first_value(line) over (partition by {key} order by line)"
                " as first_line, row_number() over (partition by {key} order by line) as nth"
                " from typed where len(problems) = 0) as d"
                " where typed.line = d.line and d.nth > 1",
                key=key,
                k=Sql(table.key),
            )
        )
    if table.lead_key:
        con.execute(
            "update typed set problems = [{'col': 'lead_id', 'why': 'lead_id ''' || lead_id"
            " || ''' is not an accepted lead (orphan)'}]"
            " where len(problems) = 0 and lead_id not in (select lead_id from leads)"
        )


def _build_lead_attributes(con: duckdb.DuckDBPyConnection, attributes: list[str]) -> None:
    """One row per lead and attribute with a value: filters and breakdowns bind the name."""
    con.execute(
        "create or replace table lead_attributes"
        " (lead_key bigint, lead_id varchar, attribute varchar, value varchar)"
    )
    for name in attributes:
        con.execute(
            compose(
                "insert into lead_attributes select lead_key, lead_id, '{n}', {c} from leads"
                " where {c} is not null",
                n=Sql(name),
                c=ident(name),
            )
        )


_TIMESTAMP_COLUMNS = [
    (t.name, c.name) for t in TABLES for c in t.columns if c.kind is Kind.TIMESTAMP
]


def _write_metadata(
    con: duckdb.DuckDBPyConnection, folder: Path, agreement: Agreement, results: list[TableResult]
) -> dt.datetime | None:
    """Record what was imported, from where, and where the data ends."""
    maxes = join(
        compose("(select max({c}) from {t})", c=ident(c), t=ident(t)) for t, c in _TIMESTAMP_COLUMNS
    )
    data_end = con.execute(compose("select greatest({m})", m=maxes)).fetchone()[0]
    con.execute(
        "create or replace table import_runs as select now() as imported_at,"
        " $folder as source_folder, $tz as agreement_time_zone,"
        " cast($data_end as timestamptz) as data_end_at, $version as handoff_version,"
        " $schema as schema_version",
        {
            "folder": str(folder.resolve()),
            "tz": agreement.time_zone,
            "data_end": data_end,
            "version": __version__,
            "schema": SCHEMA_VERSION,
        },
    )
    con.execute(
        "create or replace table import_tables (table_name varchar, file_name varchar,"
        " n_read bigint, n_accepted bigint, n_rejected bigint, extra_columns varchar[])"
    )
    for r in results:
        con.execute(
            "insert into import_tables values ($t, $f, $r, $a, $x, $e)",
            {
                "t": r.table,
                "f": r.file,
                "r": r.n_read,
                "a": r.n_accepted,
                "x": r.n_rejected,
                "e": r.extra_columns,
            },
        )
    return data_end
