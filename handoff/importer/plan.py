"""The first step of an import: which file is which, and the mapping that reads them (the plan).

Only headers are read here (a few MB of each text file, a Parquet file's schema). An export is
read by the mapping or format it is given, else by the one its headers are recognised as; a
folder of files named after the tables that fits no format is read as the canonical dataset,
so the import can say what is missing from it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from handoff import mapping as mapping_mod
from handoff.contract import FILE_SUFFIXES, TABLES
from handoff.importer import limits as limits_mod
from handoff.importer import scan as scan_mod
from handoff.importer.read import (
    check_parquet,
    current_limits,
    duckdb_path,
    parquet_figures,
    sniff,
)
from handoff.importer.result import ImportFailure
from handoff.mapping import Assignment, Mapping, MappingError

# How much of a text file the sniffer sees when only its headers are wanted.
SAMPLE_BYTES = 4 * 1024 * 1024


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
            with duckdb_path(path) as readable:
                check_parquet(con, readable, limits)
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
            return [c["name"] for c in sniff(con, sample).columns]
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
    _check_contested(assignment)
    explanation += list(assignment.reasons)
    used = {p for _, p in assignment.files}
    explanation += [f"{p.name}: not read: {why}" for p, why in refused.items() if p not in used]
    explanation += skipped
    _check_table_rows(con, assignment, current_limits())
    return Plan(folder=folder, assignment=assignment, explanation=explanation)


def _check_contested(assignment: Assignment) -> None:
    """Refuse a mapping whose lookup looks into a kind of file that got no file because another
    kind took the one it fits: say what to write, not that the export lacks the file."""
    mapping = assignment.mapping
    for key, _ in assignment.files:
        for spec in mapping_mod.all_specs(mapping.kind(key)):
            if spec.lookup is None or assignment.path(spec.lookup) is not None:
                continue
            message = assignment.contest_message(spec.lookup)
            if message is not None:
                raise ImportFailure(
                    f"{mapping.said}: [files.{key}] looks up values in [files.{spec.lookup}], "
                    f"which has no file of its own: {message}"
                )


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
        with duckdb_path(p) as readable:
            try:
                n = parquet_figures(con, readable)[0]
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
