"""Reading an export's files: which files there are, how the export is read (the plan), and
each file loaded as text into its own table, with structurally broken lines set aside.

This is the first step of an import (`handoff.importer` types and builds the tables after it).
Nothing here interprets a value: a file becomes rows of text, and every line that cannot be a
row (too many or too few fields, not UTF-8, too long) goes to the rejects with its line.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from handoff import limits as limits_mod
from handoff import mapping as mapping_mod
from handoff import scan as scan_mod
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

# How much of a text file the sniffer sees when only its headers are wanted.
SAMPLE_BYTES = 4 * 1024 * 1024

# A Parquet file of fewer rows is never taken for a decompression bomb (see handoff.limits).
BOMB_MIN_ROWS = 1_000_000


class ImportFailure(Exception):
    """The import cannot go on; the message names the file and, where it applies, the column."""


def current_limits() -> limits_mod.Limits:
    """The limits in force (handoff.limits), a bad environment variable said as a failure."""
    try:
        return limits_mod.current()
    except limits_mod.LimitError as exc:
        raise ImportFailure(str(exc)) from exc


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


def export_files(path: Path, skipped: list[str] | None = None) -> list[Path]:
    """The data files of an export: a folder's CSV, TSV, TXT and Parquet files, or one file.

    Symbolic links inside a folder are not followed (an upload or export cannot point the import
    at another file on the machine); each one skipped is said in `skipped`.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImportFailure(f"{path}: no such folder or file")
    out = []
    for p in sorted(path.iterdir()):
        if p.suffix.lower() not in FILE_SUFFIXES or p.name.startswith("."):
            continue
        if p.is_symlink():
            if skipped is not None:
                skipped.append(f"{p.name}: not used (a symbolic link; links are not followed)")
            continue
        if p.is_file():
            out.append(p)
    return out


def read_headers(
    con: duckdb.DuckDBPyConnection, path: Path, refused: dict[Path, str] | None = None
) -> list[str]:
    """A file's header names, or [] when it cannot be read as a table (and why, in `refused`)."""
    limits = current_limits()
    try:
        if path.suffix.lower() == ".parquet":
            with _duckdb_path(path) as readable:
                _check_parquet(con, readable, limits)
                return [
                    r[0]
                    for r in con.execute(
                        "select name from parquet_schema($p) where num_children is null",
                        {"p": str(readable)},
                    ).fetchall()
                ]
        head = scan_mod.read_head(path, limits.max_columns)
        with tempfile.TemporaryDirectory(prefix="handoff-head-") as tmp:
            sample = Path(tmp) / "sample.csv"
            _write_sample(path, head, sample)
            return [c["name"] for c in _sniff(con, sample).columns]
    except (scan_mod.FileRefused, ImportFailure) as exc:
        if refused is not None:
            refused[path] = str(exc).removeprefix(f"{path.name}: ")
        return []
    except duckdb.Error:
        return []


def _write_sample(path: Path, head: scan_mod.Head, target: Path) -> None:
    """The first few MB of a text file, as UTF-8, up to its last whole line, for the sniffer."""
    with open(path, "rb") as f:
        raw = f.read(SAMPLE_BYTES)
    if head.encoding is not None:
        unit = 4 if "32" in head.encoding else 2
        raw = raw[head.bom_bytes :]
        raw = raw[: len(raw) // unit * unit].decode(head.encoding, errors="replace").encode()
    if len(raw) == SAMPLE_BYTES and b"\n" in raw:
        raw = raw[: raw.rfind(b"\n") + 1]
    target.write_bytes(raw)


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
            rows = con.execute(
                "select Delimiter, Quote, Escape, Columns from sniff_csv($path,"
                " store_rejects = true, max_line_size = $max_line, strict_mode = $strict,"
                " compression = 'none')",
                {"path": str(path), "max_line": MAX_LINE_BYTES, "strict": strict},
            ).fetchall()
        except duckdb.Error as exc:
            error = error or exc
            continue
        delim, quote, escape, columns = rows[0]
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
    skipped: list[str] = []
    refused: dict[Path, str] = {}
    files = export_files(path, skipped)
    folder = path if path.is_dir() else path.parent
    named = any(p.stem.lower() in {t.name for t in TABLES} for p in files)
    try:
        if mapping is not None:
            chosen = mapping_mod.load_mapping(mapping)
            assignment = mapping_mod.assign(chosen, _headers(con, files, refused))
            explanation = [f"mapping {mapping}: {chosen.title}"]
        elif format == mapping_mod.CANONICAL:
            assignment, explanation = _canonical_assignment(folder, files), []
        elif format is not None:
            chosen = mapping_mod.builtin(format)
            assignment = mapping_mod.assign(chosen, _headers(con, files, refused))
            explanation = [f"format {format} as given: {chosen.title}"]
        else:
            try:
                assignment, lines = mapping_mod.detect(_headers(con, files, refused))
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
        raise ImportFailure(_with_refusals(str(exc), refused, skipped)) from exc
    if not assignment.has_leads:
        leads = next(k for k in assignment.mapping.files if k.table == "leads")
        message = (
            f"{path}: no leads file for {assignment.mapping.name}: a "
            f"{leads.key} file needs the headers {', '.join(leads.match)}"
            + (f" and a name like {leads.name}" if leads.name else "")
        )
        raise ImportFailure(_with_refusals(message, refused, skipped))
    explanation += list(assignment.reasons)
    used = {p for _, p in assignment.files}
    explanation += [f"{p.name}: not read: {why}" for p, why in refused.items() if p not in used]
    explanation += skipped
    _check_table_rows(con, assignment, current_limits())
    return Plan(folder=folder, assignment=assignment, explanation=explanation)


def _with_refusals(message: str, refused: dict[Path, str], skipped: list[str]) -> str:
    """A planning error, with the files that could not be read and why."""
    said = [f"{p.name}: not read: {why}" for p, why in refused.items()] + skipped
    return message + "".join(f"\n  {line}" for line in said)


def _headers(
    con: duckdb.DuckDBPyConnection, files: list[Path], refused: dict[Path, str] | None = None
) -> dict[Path, list[str]]:
    return {p: read_headers(con, p, refused) for p in files}


def _check_table_rows(
    con: duckdb.DuckDBPyConnection, assignment: Assignment, limits: limits_mod.Limits
) -> None:
    """Refuse a table whose Parquet files hold more rows together than the per-table limit
    (each file is checked on its own when it is read; a CSV's rows are bounded by its size)."""
    rows: dict[str, list[tuple[str, int]]] = {}
    for key, p in assignment.files:
        table = assignment.mapping.kind(key).table
        if table is None or p.suffix.lower() != ".parquet":
            continue
        with _duckdb_path(p) as readable:
            try:
                n = _parquet_figures(con, readable)[0]
            except duckdb.Error:
                continue  # said when the file is read
        rows.setdefault(table, []).append((p.name, n))
    for table, files in rows.items():
        total = sum(n for _, n in files)
        if total > limits.max_rows_per_table:
            listed = ", ".join(f"{name} {n:,}" for name, n in files)
            raise ImportFailure(
                f"{table}: {total:,} rows in its files ({listed}); at most"
                f" {limits.max_rows_per_table:,} rows are imported into one table"
                f" ({limits_mod.ENV['max_rows_per_table']} raises the limit)"
            )


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


@contextlib.contextmanager
def _duckdb_path(path: Path) -> Iterator[Path]:
    """A path DuckDB reads as this one file: DuckDB expands `*`, `?`, `[...]` and `{...}` in a
    path (so `contacts[z].csv` would read `contactsz.csv`), so such a name is read through a
    link under a plain name in a temporary folder."""
    if not scan_mod.GLOB_CHARACTERS.search(str(path.resolve())):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="handoff-read-") as tmp:
        link = Path(tmp) / ("file" + path.suffix.lower())
        link.symlink_to(path.resolve())
        yield link


def _parquet_figures(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int, int]:
    """A Parquet file's rows, uncompressed bytes and columns, from its metadata alone."""
    rows = con.execute(
        "select (select sum(num_rows) from parquet_file_metadata($p)),"
        " (select coalesce(sum(total_uncompressed_size), 0) from parquet_metadata($p)),"
        " (select count(*) from parquet_schema($p) where num_children is null)",
        {"p": str(path)},
    ).fetchall()
    n_rows, n_bytes, n_columns = rows[0]
    return int(n_rows or 0), int(n_bytes or 0), int(n_columns or 0)


def _check_parquet(con: duckdb.DuckDBPyConnection, path: Path, limits: limits_mod.Limits) -> None:
    """Refuse a Parquet file over the limits, from its metadata, before reading any row."""
    try:
        n_rows, n_bytes, n_columns = _parquet_figures(con, path)
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ImportFailure(f"{path.name}: cannot read the file: {reason}") from exc
    on_disk = max(1, path.stat().st_size)
    env = limits_mod.ENV
    if n_columns > limits.max_columns:
        raise ImportFailure(
            f"{path.name}: {n_columns:,} columns; at most {limits.max_columns:,} are read"
            f" ({env['max_columns']} raises the limit)"
        )
    if n_rows > limits.max_rows_per_file:
        raise ImportFailure(
            f"{path.name}: {n_rows:,} rows; at most {limits.max_rows_per_file:,} are read from"
            f" one file ({env['max_rows_per_file']} raises the limit)"
        )
    if n_bytes > limits.max_file_bytes:
        raise ImportFailure(
            f"{path.name}: {n_bytes:,} bytes uncompressed; at most {limits.max_file_bytes:,}"
            f" are read from one file ({env['max_file_bytes']} raises the limit)"
        )
    if n_rows > BOMB_MIN_ROWS and n_rows > limits.max_rows_per_byte * on_disk:
        raise ImportFailure(
            f"{path.name}: {n_rows:,} rows in {on_disk:,} bytes ({n_rows / on_disk:,.0f} rows"
            f" per byte): real exports hold at most {limits.max_rows_per_byte} rows per byte of"
            f" file, so this one is refused as a decompression bomb"
            f" ({env['max_rows_per_byte']} raises the limit)"
        )


@dataclass
class _Prepared:
    """A CSV made ready for DuckDB: the path it reads and what the byte scan found."""

    path: Path  # the file DuckDB reads (the original, or a copy in a temporary folder)
    scanned: Path  # the UTF-8 file the scan looked at (the original or its transcoded copy)
    head: scan_mod.Head
    scan: scan_mod.Scan
    gaps: list[tuple[int, int]]  # from the copy's offsets to the scanned file's (write_without)
    notes: list[str] = field(default_factory=list)


def _prepare_csv(path: Path, limits: limits_mod.Limits, tmp: Path) -> _Prepared:
    """Check a CSV's size and first bytes, scan its records, and write the copy DuckDB reads
    when it needs one (transcoded, without the records rejected here, or under a plain name)."""
    env = limits_mod.ENV
    size = path.stat().st_size
    try:
        if size > limits.max_file_bytes:
            raise scan_mod.FileRefused(
                f"{size:,} bytes; at most {limits.max_file_bytes:,} are read from one file"
                f" ({env['max_file_bytes']} raises the limit)"
            )
        head = scan_mod.read_head(path, limits.max_columns)
        notes = []
        scanned = path
        if head.encoding is not None:
            scanned = tmp / "utf8.csv"
            scan_mod.transcode(path, head, scanned)
            notes.append(f"read as {head.encoding.upper()} text (converted to UTF-8)")
        found = scan_mod.scan(scanned, head, MAX_LINE_BYTES)
    except scan_mod.FileRefused as exc:
        raise ImportFailure(f"{path.name}: {exc}") from exc
    n_rows = found.n_records - 1
    if n_rows > limits.max_rows_per_file:
        raise ImportFailure(
            f"{path.name}: {n_rows:,} rows; at most {limits.max_rows_per_file:,} are read from"
            f" one file ({env['max_rows_per_file']} raises the limit)"
        )
    readable, gaps = scanned, []
    if found.rejected:
        readable = tmp / "kept.csv"
        gaps = scan_mod.write_without(scanned, readable, found.rejected)
    elif scan_mod.GLOB_CHARACTERS.search(str(scanned.resolve())):
        readable = tmp / "file.csv"
        readable.symlink_to(scanned.resolve())
    return _Prepared(readable, scanned, head, found, gaps, notes)


@dataclass
class TextSource(Source):
    """A loaded file, with what reading it had to say (the encoding, a line count that does not
    add up) for the import's summary."""

    notes: list[str] = field(default_factory=list)


def _read_source(
    con: duckdb.DuckDBPyConnection, kind: mapping_mod.FileKind, path: Path, index: int
) -> TextSource:
    """Load a file as text into `src_<index>`, moving structurally broken lines to the rejects."""
    target = ident(f"src_{index}")
    label = kind.table or LOOKUP_TABLE
    limits = current_limits()
    headers: list[str] = []
    notes: list[str] = []
    try:
        if path.suffix.lower() == ".parquet":
            with _duckdb_path(path) as readable:
                _check_parquet(con, readable, limits)
                headers = [
                    r[0]
                    for r in con.execute(
                        "describe select * from read_parquet($path)", {"path": str(readable)}
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
                    {"path": str(readable)},
                )
            # Parquet has no lines: rows are numbered from 1.
            line, line_params, n_structural = Sql("s.rowid + 1"), {}, 0
        else:
            with tempfile.TemporaryDirectory(prefix="handoff-read-") as tmp:
                prepared = _prepare_csv(path, limits, Path(tmp))
                notes += prepared.notes
                # Sniff once, tolerating broken lines (a ragged row must not make the sniffer
                # fall back to a one-column reading), then read with exactly that dialect.
                dialect = _sniff(con, prepared.path)
                headers = [c["name"] for c in dialect.columns]
                con.execute(
                    compose(
                        "create or replace temp table {t} as select * from read_csv($path,"
                        " all_varchar = true, header = true, names = $names, delim = $delim,"
                        " quote = $quote, escape = $escape, store_rejects = true,"
                        " rejects_table = 'csv_reject_errors', rejects_scan = 'csv_reject_scans',"
                        " max_line_size = $max_line, strict_mode = $strict,"
                        " compression = 'none')",
                        t=target,
                    ),
                    {
                        "path": str(prepared.path),
                        "names": normalize_headers(headers),
                        "delim": dialect.delim,
                        "quote": dialect.quote,
                        "escape": dialect.escape,
                        "max_line": MAX_LINE_BYTES,
                        "strict": dialect.strict,
                    },
                )
                line, line_params, n_structural, said = _structural_rejects(
                    con, label, path, prepared, target, index
                )
                notes += said
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
    return TextSource(
        index=index,
        kind=kind,
        path=path,
        columns=columns,
        headers=[h.strip().lstrip("\ufeff") for h in headers],
        types=types,
        line=line,
        line_params=line_params,
        n_structural=n_structural,
        notes=notes,
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
    con: duckdb.DuckDBPyConnection,
    label: str,
    path: Path,
    prepared: _Prepared,
    target: Sql,
    index: int,
) -> tuple[Sql, dict[str, list[int]], int, list[str]]:
    """Put the records the byte scan took out and DuckDB's rejected lines into import_rejects,
    each on the line a text editor shows it on; say how to number the rows that were read."""
    found = prepared.scan
    for rec in found.rejected:
        con.execute(
            "insert into import_rejects values ($table, $file, $line, null, $reason,"
            " to_json({'csv_line': $text}))",
            {
                "table": label,
                "file": path.name,
                "line": rec.line,
                "reason": rec.reason,
                "text": scan_mod.preview(prepared.scanned, rec),
            },
        )
    # DuckDB's own rejects, one per record (it may report one error per missing column of a
    # short line), found in the scanned file by where the record starts.
    duck = con.execute(
        "select e.line_byte_position, arg_min(e.column_name, e.column_idx),"
        " arg_min(coalesce(m.said, e.error_message) || coalesce(' (' || nullif(regexp_replace("
        "regexp_extract(e.error_message, $counts, 0), $counts, 'expected \\1 fields, found \\2'),"
        " '') || ')', ''), e.column_idx),"
        " to_json({'csv_line': trim(arg_min(e.csv_line, e.column_idx), chr(10))})"
        " from csv_reject_errors as e left join"
        " (select unnest($codes) as code, unnest($said) as said) as m"
        " on m.code = cast(e.error_type as varchar)"
        " group by e.line_byte_position order by 1",
        {
            "codes": list(_CSV_ERRORS),
            "said": list(_CSV_ERRORS.values()),
            "counts": r"Expected Number of Columns: (\d+) Found: (\d+)",
        },
    ).fetchall()
    con.execute("drop table if exists csv_reject_errors")
    con.execute("drop table if exists csv_reject_scans")
    starts = [scan_mod.original_offset(prepared.gaps, int(r[0])) for r in duck]
    lines = scan_mod.lines_of(prepared.scanned, starts)
    multi = {r.line: r.n_lines for r in found.multi_line}
    if duck:
        con.execute(
            "insert into import_rejects select $table, $file, unnest($lines), unnest($cols),"
            " unnest($reasons), unnest($records)",
            {
                "table": label,
                "file": path.name,
                "lines": lines,
                "cols": [r[1] for r in duck],
                "reasons": [r[2] for r in duck],
                "records": [r[3] for r in duck],
            },
        )
    # Every record not read as a row shifts the rows after it down by its lines, and so does
    # every extra line of a multi-line record that was read.
    events = sorted(
        [(line, 1, False) for line in found.blank_lines]
        + [(r.line, r.n_lines, False) for r in found.rejected]
        + [(line, multi.pop(line, 1), False) for line in lines]
        + [(line, n, True) for line, n in multi.items()]
    )
    n_rows = con.execute(compose("select count(*) from {t}", t=target)).fetchall()[0][0]
    n_skipped = len(found.rejected) + len(lines)
    notes = []
    said = found.n_records - 1 - n_skipped
    if said != n_rows:
        notes.append(
            f"the file's {found.n_records - 1:,} records ({found.n_lines:,} lines) do not match"
            f" the {n_rows:,} rows read and {n_skipped:,} rejected: line numbers after line"
            f" {events[0][0] if events else 2} may be off"
        )
    if found.multi_line:
        blank = f" and {found.n_blank:,} blank lines" if found.n_blank else ""
        notes.append(
            f"{len(found.multi_line):,} record(s) span more than one line (a quoted field with a"
            f" line break); the file's {found.n_lines:,} lines hold {found.n_records:,} records"
            f" (the header included){blank}"
        )
    return (*_line_numbers(con, index, events, n_rows), n_skipped, notes)


def _line_numbers(
    con: duckdb.DuckDBPyConnection, index: int, events: list[tuple[int, int, bool]], n_rows: int
) -> tuple[Sql, dict[str, list[int]]]:
    """How to number a file's rows by the line a text editor shows each on.

    `events` are (line, lines, read) for every record that is not one plain line read as one row:
    row r is on line r + 2 plus the lines of every such record before it (less one for each read
    multi-line record, which is a row itself). The shifts go into a small table `src_<i>_shift`
    (from_row, shift), and a row's line is its rowid + 2 + the last shift at or before it.
    """
    from_rows, shifts = [], []
    extra, skipped = 0, 0
    for line, n_lines, read in events:
        k = line - 2 - extra  # the record's place among the file's records
        if read:
            extra += n_lines - 1
            at = k - skipped + 1
        else:
            extra += n_lines - 1
            skipped += 1
            at = k - skipped + 1
        if at >= n_rows:
            continue
        if from_rows and from_rows[-1] == at:
            shifts[-1] = extra + skipped
        else:
            from_rows.append(at)
            shifts.append(extra + skipped)
    if not from_rows:
        return Sql("s.rowid + 2"), {}
    lines = ident(f"src_{index}_lines")
    con.execute(
        compose(
            "create or replace temp table {lines} as"
            " with shift as (select unnest($from_rows) as from_row, unnest($shifts) as shift)"
            " select r.range as row, r.range + 2 + coalesce(h.shift, 0) as line"
            " from range($n) as r asof left join shift as h on r.range >= h.from_row",
            lines=lines,
        ),
        {"from_rows": from_rows, "shifts": shifts, "n": n_rows},
    )
    return compose("(select m.line from {lines} as m where m.row = s.rowid)", lines=lines), {}
