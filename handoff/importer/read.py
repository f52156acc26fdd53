"""The second step of an import: each file of the plan loaded as text into its own table
(`src_0`, `src_1`, ...), with structurally broken lines set aside.

Nothing here interprets a value: a file becomes rows of text, and every line that cannot be a
row (too many or too few fields, not UTF-8, too long) goes to the rejects with its line. A text
file is looked at as bytes first (`scan`), so DuckDB never sees what it cannot be told how to
handle; a Parquet file is refused from its metadata when it is over the limits (`limits`).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from handoff import mapping as mapping_mod
from handoff.importer import limits as limits_mod
from handoff.importer import queries
from handoff.importer import scan as scan_mod
from handoff.importer.extract import Source
from handoff.importer.result import LOOKUP_TABLE, ImportFailure
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

# A Parquet file of fewer rows is never taken for a decompression bomb (see `limits`).
BOMB_MIN_ROWS = 1_000_000


def current_limits() -> limits_mod.Limits:
    """The limits in force (`limits`), a bad environment variable said as a failure."""
    try:
        return limits_mod.current()
    except limits_mod.LimitError as exc:
        raise ImportFailure(str(exc)) from exc


@dataclass(frozen=True)
class _Dialect:
    delim: str
    quote: str
    escape: str
    columns: list[dict]
    strict: bool


def sniff(con: duckdb.DuckDBPyConnection, path: Path) -> _Dialect:
    """The CSV dialect of a file. Strict first; a file the strict sniffer cannot read (mixed
    line endings, a stray quote) is sniffed and read leniently, its bad lines still rejected."""
    error: duckdb.Error | None = None
    for strict in (True, False):
        try:
            rows = queries.run(
                con, "sniff", {"path": str(path), "max_line": MAX_LINE_BYTES, "strict": strict}
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


@contextlib.contextmanager
def duckdb_path(path: Path) -> Iterator[Path]:
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


def parquet_figures(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int, int]:
    """A Parquet file's rows, uncompressed bytes and columns, from its metadata alone."""
    rows = queries.run(con, "parquet_figures", {"p": str(path)}).fetchall()
    n_rows, n_bytes, n_columns = rows[0]
    return int(n_rows or 0), int(n_bytes or 0), int(n_columns or 0)


def check_parquet(con: duckdb.DuckDBPyConnection, path: Path, limits: limits_mod.Limits) -> None:
    """Refuse a Parquet file over the limits, from its metadata, before reading any row."""
    try:
        n_rows, n_bytes, n_columns = parquet_figures(con, path)
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


@dataclass(frozen=True)
class _Numbering:
    """How a loaded file's rows are numbered by line, and what reading it set aside."""

    line: Sql  # the row's line, as an expression over the alias `s`
    params: dict[str, list[int]]
    n_structural: int  # records rejected before they became rows
    notes: list[str]


def read_source(
    con: duckdb.DuckDBPyConnection, kind: mapping_mod.FileKind, path: Path, index: int
) -> TextSource:
    """Load a file as text into `src_<index>`, moving structurally broken lines to the rejects."""
    target = ident(f"src_{index}")
    limits = current_limits()
    try:
        if path.suffix.lower() == ".parquet":
            headers = _load_parquet(con, path, target, limits)
            # Parquet has no lines: rows are numbered from 1.
            numbering = _Numbering(Sql("s.rowid + 1"), {}, 0, [])
        else:
            label = kind.table or LOOKUP_TABLE
            headers, numbering = _load_csv(con, label, path, target, index, limits)
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
        line=numbering.line,
        line_params=numbering.params,
        n_structural=numbering.n_structural,
        notes=numbering.notes,
    )


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, target: Sql, limits: limits_mod.Limits
) -> list[str]:
    """Load a Parquet file into `target`, its columns by position under safe names; its headers."""
    with duckdb_path(path) as readable:
        check_parquet(con, readable, limits)
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
    return headers


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    label: str,
    path: Path,
    target: Sql,
    index: int,
    limits: limits_mod.Limits,
) -> tuple[list[str], _Numbering]:
    """Load a CSV into `target` as text, its broken records rejected; its headers and numbering."""
    with tempfile.TemporaryDirectory(prefix="handoff-read-") as tmp:
        prepared = _prepare_csv(path, limits, Path(tmp))
        # Sniff once, tolerating broken lines (a ragged row must not make the sniffer fall
        # back to a one-column reading), then read with exactly that dialect.
        dialect = sniff(con, prepared.path)
        headers = [c["name"] for c in dialect.columns]
        queries.run(
            con,
            "read_csv",
            {
                "path": str(prepared.path),
                "names": normalize_headers(headers),
                "delim": dialect.delim,
                "quote": dialect.quote,
                "escape": dialect.escape,
                "max_line": MAX_LINE_BYTES,
                "strict": dialect.strict,
            },
            table=target,
        )
        numbering = _structural_rejects(con, label, path, prepared, target, index)
    return headers, _Numbering(
        numbering.line,
        numbering.params,
        numbering.n_structural,
        prepared.notes + numbering.notes,
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
) -> _Numbering:
    """Put the records the byte scan took out and DuckDB's rejected lines into import_rejects,
    each on the line a text editor shows it on; say how to number the rows that were read."""
    found = prepared.scan
    for rec in found.rejected:
        queries.run(
            con,
            "scan_reject",
            {
                "table": label,
                "file": path.name,
                "line": rec.line,
                "reason": rec.reason,
                "cause": rec.cause,
                "text": scan_mod.preview(prepared.scanned, rec),
            },
        )
    lines = _reject_unreadable(con, label, path, prepared)
    multi = {r.line: r.n_lines for r in found.multi_line}
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
    notes = _line_notes(found, n_rows, n_skipped, events)
    line, params = _line_numbers(con, index, events, n_rows)
    return _Numbering(line, params, n_skipped, notes)


def _reject_unreadable(
    con: duckdb.DuckDBPyConnection, label: str, path: Path, prepared: _Prepared
) -> list[int]:
    """Put DuckDB's own rejects into import_rejects, one per record, found in the scanned file by
    where the record starts; their lines."""
    duck = queries.run(
        con,
        "csv_errors",
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
    if duck:
        queries.run(
            con,
            "csv_rejects",
            {
                "table": label,
                "file": path.name,
                "lines": lines,
                "cols": [r[1] for r in duck],
                "reasons": [r[2] for r in duck],
                "records": [r[4] for r in duck],
                "causes": [r[3] for r in duck],
            },
        )
    return lines


def _line_notes(
    found: scan_mod.Scan, n_rows: int, n_skipped: int, events: list[tuple[int, int, bool]]
) -> list[str]:
    """What the summary says about a file's lines: counts that do not add up, multi-line records."""
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
    return notes


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
    queries.run(
        con, "line_numbers", {"from_rows": from_rows, "shifts": shifts, "n": n_rows}, lines=lines
    )
    return compose("(select m.line from {lines} as m where m.row = s.rowid)", lines=lines), {}
