"""Reading an export's files: which files there are, how the export is read (the plan), and
each file loaded as text into its own table, with structurally broken lines set aside.

This is the first step of an import (`handoff.importer` types and builds the tables after it).
Nothing here interprets a value: a file becomes rows of text, and every line that cannot be a
row (too many or too few fields, not UTF-8, too long) goes to the rejects with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from handoff import mapping as mapping_mod
from handoff.contract import FILE_SUFFIXES, TABLES
from handoff.extract import Source
from handoff.mapping import Assignment, Mapping, MappingError
from handoff.sql import Sql, compose, ident, join

# Longest line a CSV may hold (DuckDB's default is 2 MB); longer lines are rejected.
MAX_LINE_BYTES = 8_000_000

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

LOOKUP_TABLE = "(lookup)"


class ImportFailure(Exception):
    """The import cannot go on; the message names the file and, where it applies, the column."""


# --- Which file is which ------------------------------------------------------------------------


@dataclass
class Plan:
    """The export's files, the mapping that reads them, and how that was decided."""

    folder: Path
    assignment: Assignment
    explanation: list[str]

    @property
    def mapping(self) -> Mapping:
        return self.assignment.mapping


def plan_export(
    path: str | Path, format: str | None = None, mapping: str | Path | None = None
) -> Plan:
    """How an export would be read (files, format, explanation), reading headers only."""
    con = duckdb.connect()
    try:
        return plan_import(con, Path(path), format, mapping)
    finally:
        con.close()


def export_files(path: Path) -> list[Path]:
    """The data files of an export: a folder's CSV, TSV, TXT and Parquet files, or one file."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImportFailure(f"{path}: no such folder or file")
    return [
        p
        for p in sorted(path.iterdir())
        if p.is_file() and p.suffix.lower() in FILE_SUFFIXES and not p.name.startswith(".")
    ]


def read_headers(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """A file's header names, or [] when it cannot be read as a table."""
    try:
        if path.suffix.lower() == ".parquet":
            return [
                r[0]
                for r in con.execute(
                    "select name from parquet_schema($p) where num_children is null",
                    {"p": str(path)},
                ).fetchall()
            ]
        return [c["name"] for c in _sniff(con, path).columns]
    except duckdb.Error:
        return []


@dataclass(frozen=True)
class _Dialect:
    delim: str
    quote: str
    escape: str
    columns: list[dict]
    strict: bool


def _sniff(con: duckdb.DuckDBPyConnection, path: Path) -> _Dialect:
    """The CSV dialect of a file. Strict first; a file the strict sniffer cannot read (mixed
    line endings, a stray quote) is sniffed and read leniently, its bad lines still rejected."""
    error: duckdb.Error | None = None
    for strict in (True, False):
        try:
            delim, quote, escape, columns = con.execute(
                "select Delimiter, Quote, Escape, Columns from sniff_csv($path,"
                " store_rejects = true, max_line_size = $max_line, strict_mode = $strict)",
                {"path": str(path), "max_line": MAX_LINE_BYTES, "strict": strict},
            ).fetchone()
        except duckdb.Error as exc:
            error = error or exc
            continue
        return _Dialect(
            delim=delim,
            quote="" if quote == "(empty)" else quote,
            escape="" if escape == "(empty)" else escape,
            columns=columns,
            strict=strict,
        )
    assert error is not None
    raise error


def plan_import(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    format: str | None = None,
    mapping: str | Path | None = None,
) -> Plan:
    """Decide how to read the export at `path`: the given mapping or format, else recognised."""
    files = export_files(path)
    folder = path if path.is_dir() else path.parent
    named = any(p.stem.lower() in {t.name for t in TABLES} for p in files)
    try:
        if mapping is not None:
            chosen = mapping_mod.load_mapping(mapping)
            assignment = mapping_mod.assign(chosen, _headers(con, files))
            explanation = [f"mapping {mapping}: {chosen.title}"]
        elif format == mapping_mod.CANONICAL:
            assignment, explanation = _canonical_assignment(folder, files), []
        elif format is not None:
            chosen = mapping_mod.builtin(format)
            assignment = mapping_mod.assign(chosen, _headers(con, files))
            explanation = [f"format {format} as given: {chosen.title}"]
        else:
            try:
                assignment, lines = mapping_mod.detect(_headers(con, files))
            except MappingError:
                if not named:
                    raise
                # Files named after the tables that fit no format: read them as canonical,
                # so the import says what is missing from them.
                assignment, lines = _canonical_assignment(folder, files), []
            if assignment.mapping.is_canonical:
                assignment = _canonical_assignment(folder, files)
                explanation = []
            else:
                explanation = [
                    f"detected {assignment.mapping.name} ({assignment.mapping.title}) from the "
                    "headers; formats tried:",
                    *(f"  {line}" for line in lines),
                ]
    except MappingError as exc:
        raise ImportFailure(str(exc)) from exc
    if not assignment.has_leads:
        leads = next(k for k in assignment.mapping.files if k.table == "leads")
        raise ImportFailure(
            f"{path}: no leads file for {assignment.mapping.name}: a "
            f"{leads.key} file needs the headers {', '.join(leads.match)}"
            + (f" and a name like {leads.name}" if leads.name else "")
        )
    explanation += list(assignment.reasons)
    return Plan(folder=folder, assignment=assignment, explanation=explanation)


def _headers(con: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[Path, list[str]]:
    return {p: read_headers(con, p) for p in files}


def _canonical_assignment(folder: Path, files: list[Path]) -> Assignment:
    """The canonical dataset's files, by name: one per table; refuses two for one table."""
    canonical = mapping_mod.canonical()
    chosen: list[tuple[str, Path]] = []
    for table in TABLES:
        matches = [p for p in files if p.stem.lower() == table.name]
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise ImportFailure(f"{folder}: more than one file for {table.name} ({names})")
        if matches:
            chosen.append((table.name, matches[0]))
    if not any(k == "leads" for k, _ in chosen):
        raise ImportFailure(
            f"{folder}: no leads file (expected leads.csv or leads.parquet; found "
            f"{', '.join(sorted(p.name for p in files)) or 'nothing'})"
        )
    used = {p for _, p in chosen}
    return Assignment(
        mapping=canonical,
        files=tuple(chosen),
        unused=tuple(p for p in files if p not in used),
        missing=tuple(t.name for t in TABLES if t.name not in dict(chosen)),
        reasons=tuple(
            f"{p.name}: not used (not named after a table)" for p in files if p not in used
        ),
    )


# --- Reading a file as text ---------------------------------------------------------------------


def _read_source(
    con: duckdb.DuckDBPyConnection, kind: mapping_mod.FileKind, path: Path, index: int
) -> Source:
    """Load a file as text into `src_<index>`, moving structurally broken lines to the rejects."""
    target = ident(f"src_{index}")
    label = kind.table or LOOKUP_TABLE
    headers: list[str] = []
    try:
        if path.suffix.lower() == ".parquet":
            headers = [
                r[0]
                for r in con.execute(
                    "describe select * from read_parquet($path)", {"path": str(path)}
                ).fetchall()
            ]
            # Columns by position, so a header of any spelling gets a safe name.
            columns = join(
                [
                    compose("#{i} as {n}", i=Sql(str(i)), n=ident(n))
                    for i, n in enumerate(normalize_headers(headers), start=1)
                ]
            )
            con.execute(
                compose(
                    "create or replace temp table {t} as select {c} from read_parquet($path)",
                    t=target,
                    c=columns,
                ),
                {"path": str(path)},
            )
            # Parquet has no lines: rows are numbered from 1.
            line, line_params, n_structural = Sql("s.rowid + 1"), {}, 0
        else:
            # Sniff once, tolerating broken lines (a ragged row must not make the sniffer fall
            # back to a one-column reading), then read with exactly that dialect.
            dialect = _sniff(con, path)
            headers = [c["name"] for c in dialect.columns]
            con.execute(
                compose(
                    "create or replace temp table {t} as select * from read_csv($path,"
                    " all_varchar = true, header = true, names = $names, delim = $delim,"
                    " quote = $quote, escape = $escape, store_rejects = true,"
                    " rejects_table = 'csv_reject_errors', rejects_scan = 'csv_reject_scans',"
                    " max_line_size = $max_line, strict_mode = $strict)",
                    t=target,
                ),
                {
                    "path": str(path),
                    "names": normalize_headers(headers),
                    "delim": dialect.delim,
                    "quote": dialect.quote,
                    "escape": dialect.escape,
                    "max_line": MAX_LINE_BYTES,
                    "strict": dialect.strict,
                },
            )
            line, line_params, n_structural = _structural_rejects(con, label, path)
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ImportFailure(f"{path.name}: cannot read the file: {reason}") from exc
    described = con.execute(compose("describe {t}", t=target)).fetchall()
    types = {r[0]: r[1] for r in described}
    if not types:
        raise ImportFailure(f"{path.name}: the file is empty (no header line)")
    names = list(types)
    headers = headers if len(headers) == len(names) else names
    columns: dict[str, str] = {}
    for header, name in zip(headers, names, strict=True):
        columns.setdefault(mapping_mod.header_key(header), name)
        columns.setdefault(mapping_mod.header_key(name), name)
    return Source(
        index=index,
        kind=kind,
        path=path,
        columns=columns,
        headers=[h.strip().lstrip("\ufeff") for h in headers],
        types=types,
        line=line,
        line_params=line_params,
        n_structural=n_structural,
    )


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


def _structural_rejects(
    con: duckdb.DuckDBPyConnection, label: str, path: Path
) -> tuple[Sql, dict[str, list[int]], int]:
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
            "table": label,
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
        return Sql("s.rowid + 2"), {}, 0
    gaps = [line - 1 - j for j, line in enumerate(bad_lines, start=1)]
    return (
        Sql("s.rowid + 2 + (select count(*) from unnest($gaps) as g(a) where g.a < s.rowid + 1)"),
        {"gaps": gaps},
        len(bad_lines),
    )
