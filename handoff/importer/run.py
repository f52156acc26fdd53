"""The import's entry points, and the pipeline they run: plan, read, type and build, finish.

`import_dataset` builds the database in a new file, under the database's import lock, and swaps
it in with its rejects file only when everything succeeded, keeping the pair it replaces as
`<name>.previous.duckdb` and its rejects file (one previous copy, for handoff.restore);
`check_dataset` reads an export into an in-memory database and touches no file. Both run
`load`: every file of the plan read as text, the tables of the contract built in its order
(leads first, so the others find their lead), the lookup files counted, then the finishing
steps.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
from pathlib import Path

import duckdb
import pandas as pd

# The module, not its names: handoff.db imports SCHEMA_VERSION from this package.
from handoff import db
from handoff import mapping as mapping_mod
from handoff.agreement import Agreement
from handoff.contract import TABLES, Table
from handoff.importer import build, finish, queries
from handoff.importer import limits as limits_mod
from handoff.importer.extract import ExtractError, Source, create_zone_type
from handoff.importer.plan import Plan, plan_import
from handoff.importer.progress import Progress, Tracker
from handoff.importer.read import current_limits, read_source
from handoff.importer.result import ImportFailure, ImportResult, TableResult
from handoff.sql import compose


def import_dataset(
    folder: str | Path,
    db_path: str | Path,
    agreement: Agreement,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
    source_name: str | None = None,
) -> ImportResult:
    """Import an export (a folder or one file) into `db_path`, replacing it only if the whole
    import succeeds. `format` or `mapping` say how to read it; otherwise it is recognised.
    `source_name` is recorded as the export's name (default: the folder's name)."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(db_path)
    wait = current_limits().import_wait_seconds
    try:
        with limits_mod.import_lock(db_path, wait, f"importing {Path(folder).resolve()}"):
            # Files that killed imports left (one holds the lock now, so none is in use).
            for target in (db_path, rejects_path):
                limits_mod.remove_stale_building_files(target)
            result = _import_locked(
                Path(folder),
                db_path,
                agreement,
                rejects_path,
                progress,
                format,
                mapping,
                source_name,
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
    source_name: str | None = None,
) -> ImportResult:
    """Build the database and its rejects file under temporary names, then swap both in: the
    rejects file always belongs to the database beside it."""
    token = f"building-{os.getpid()}-{secrets.token_hex(4)}"
    building = db_path.with_name(f".{db_path.name}.{token}")
    rejects_building = rejects_path.with_name(f".{rejects_path.name}.{token}")
    tracker = Tracker(progress)
    try:
        con = duckdb.connect(str(building))
        try:
            plan = planned(con, tracker, folder, format, mapping, after=2)
            result = load(con, plan, agreement, tracker, source_name)
            with tracker.stage("building the staging tables") as stage:
                # The per-lead facts, built once here for this agreement (see handoff.db).
                db.build_staging(con, agreement, tuple(result.lead_attributes))
                stage.rows, stage.unit = result.counts()["leads"], "lead"
            with tracker.stage("writing the rejects file and the database") as stage:
                rejects = queries.sql("rejects_file")
                stage.rows = con.execute(
                    compose("copy ({q}) to $path (header, delimiter ',')", q=rejects),
                    {"path": str(rejects_building)},
                ).fetchall()[0][0]
                stage.unit = "rejected row"
                con.execute("checkpoint")
        finally:
            con.close()
        keep_previous(db_path, rejects_path)
        os.replace(building, db_path)
        os.replace(rejects_building, rejects_path)
    except BaseException:
        for p in (building, Path(str(building) + ".wal"), rejects_building):
            p.unlink(missing_ok=True)
        raise
    return result


def previous_path(db_path: Path) -> Path:
    """Where the database an import replaced is kept: `<name>.previous.duckdb` beside it."""
    return db_path.with_name(db_path.stem + ".previous" + db_path.suffix)


def keep_previous(db_path: Path, rejects_path: Path) -> None:
    """Keep the database about to be replaced (and its rejects file) as the previous copy,
    replacing the one kept before. Hard links then renames: `db_path` stays in place, whole,
    throughout, and the previous copy appears whole or not at all."""
    if not db_path.is_file():
        return
    previous = previous_path(db_path)
    for source, target in (
        (db_path, previous),
        (rejects_path, default_rejects_path(previous)),
    ):
        if not source.is_file():
            default_rejects_path(previous).unlink(missing_ok=True)
            continue
        for stale in target.parent.glob(f".{target.name}.linking-*"):  # a killed import's
            stale.unlink(missing_ok=True)
        link = target.with_name(f".{target.name}.linking-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            try:
                os.link(source, link)
            except OSError:  # a file system without hard links: a copy, then the same rename
                shutil.copy2(source, link)
            os.replace(link, target)
        except BaseException:
            link.unlink(missing_ok=True)
            raise


def check_dataset(
    folder: str | Path,
    agreement: Agreement,
    progress: Progress | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
) -> tuple[ImportResult, duckdb.DuckDBPyConnection]:
    """Read an export into an in-memory database without touching any file; return both."""
    con = duckdb.connect()
    tracker = Tracker(progress)
    plan = planned(con, tracker, Path(folder), format, mapping, after=0)
    return load(con, plan, agreement, tracker), con


def planned(
    con: duckdb.DuckDBPyConnection,
    tracker: Tracker,
    folder: Path,
    format: str | None,
    mapping: str | Path | None,
    after: int,
) -> Plan:
    """The export's files found (the first stage), and the stages `load` and the `after` ones
    following it planned: one per file read, one per table built, and the finishing."""
    with tracker.stage("finding the export's files"):
        plan = plan_import(con, folder, format, mapping)
    files = plan.assignment.files
    tables = {plan.mapping.kind(key).table for key, _ in files} - {None}
    # A file feeding several tables by row rules is read once.
    tracker.expect(len({path for _, path in files}) + len(tables) + 1 + after)
    return plan


def default_rejects_path(db_path: Path) -> Path:
    """The rejects file beside a database: `<name>.rejects.csv`."""
    return db_path.with_name(db_path.stem + ".rejects.csv")


def rejected(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every rejected row (file, line, column, reason), and the rows per file, column and
    cause (the kind of problem; each row's detail is in its reason), from a checked or imported
    export."""
    rows = con.sql(queries.sql("rejects_listed")).to_arrow_table()
    counts = con.sql(queries.sql("rejects_counted")).to_arrow_table()
    return rows.to_pandas(), counts.to_pandas()


def load(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    agreement: Agreement,
    tracker: Tracker | None = None,
    source_name: str | None = None,
) -> ImportResult:
    """Read every file of the plan into typed canonical tables on `con`, each file and each
    table a stage of `tracker`."""
    tracker = tracker or Tracker(None)
    _prepare(con, agreement)
    reader = _Reader(con, plan, tracker)
    results: list[TableResult] = []
    for table in TABLES:
        results += _load_table(con, table, plan, reader, agreement, tracker)
    results += _lookup_results(con, plan, reader)
    finish.gather_lead_attributes(results)
    for src in reader.sources.values():
        con.execute(compose("drop table if exists {t}", t=src.table))
    with tracker.stage("finishing: label spellings, lead attributes, the import's record"):
        return _finished(con, plan, agreement, results, source_name)


def _finished(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    agreement: Agreement,
    results: list[TableResult],
    source_name: str | None,
) -> ImportResult:
    mapping = plan.mapping
    result = ImportResult(
        folder=plan.folder,
        tables=results,
        reasons=[],
        format=mapping.name,
        format_title=mapping.title,
        detection=plan.explanation,
        mapping_notes=list(mapping.notes),
        merges=finish.merge_label_spellings(con) if mapping.normalize_labels else [],
    )
    finish.build_lead_attributes(con, result.lead_attributes)
    result.data_end_at = finish.write_metadata(
        con, str(plan.folder.resolve()), agreement.time_zone, result, source_name
    )
    result.reasons = finish.reasons(con)
    result.set_aside = finish.set_aside(con)
    return result


def _prepare(con: duckdb.DuckDBPyConnection, agreement: Agreement) -> None:
    """Settings, the macros the typing uses, and the empty rejects table."""
    con.execute("set TimeZone = $tz", {"tz": agreement.time_zone})
    con.execute("set enable_progress_bar = false")
    db.limit_memory(con, most=db.IMPORT_MEMORY_BYTES)
    create_zone_type(con)
    queries.run(con, "money_parts")
    queries.run(con, "parse_number")
    queries.run(con, "rejects_table")


class _Reader:
    """The plan's files, each read once when first needed (a lookup file by the files that
    look into it), and kept until no file needs it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, plan: Plan, tracker: Tracker):
        self.con = con
        self.plan = plan
        self.tracker = tracker
        self.files = dict(plan.assignment.files)
        # Kinds reading one file (by row rules) share its loaded table and index; the first in
        # the mapping's order reads it and owns what reading it rejected.
        first_of: dict[Path, int] = {}
        for i, (_, path) in enumerate(plan.assignment.files):
            first_of.setdefault(path, i)
        self.index = {key: first_of[path] for key, path in plan.assignment.files}
        self.sharing = {
            key: [plan.mapping.kind(k) for k in plan.assignment.sharing(key)] for key in self.files
        }
        self.sources: dict[str, Source] = {}
        self.looked_into = {
            spec.lookup
            for key in self.files
            for spec in mapping_mod.all_specs(plan.mapping.kind(key))
            if spec.lookup is not None
        }

    def source(self, key: str) -> Source:
        if key not in self.sources:
            owner = self.sharing[key][0]
            if owner.key not in self.sources:
                path = self.files[key]
                with self.tracker.stage(f"reading {path.name}") as stage:
                    src = read_source(self.con, owner, path, self.index[key])
                    n = self.con.execute(compose("select count(*) from {t}", t=src.table))
                    stage.rows = n.fetchall()[0][0] + src.n_structural
                self.sources[owner.key] = src
            if key != owner.key:
                # The same loaded rows, read as this kind; what reading rejected is the owner's.
                base = self.sources[owner.key]
                kind = self.plan.mapping.kind(key)
                self.sources[key] = dataclasses.replace(base, kind=kind, n_structural=0, notes=[])
        return self.sources[key]

    def is_shared(self, key: str) -> bool:
        return len(self.sharing[key]) > 1

    def parts(self, table: Table) -> list[Source]:
        """The files feeding `table`, and the files they look into, read."""
        mapping = self.plan.mapping
        keys = [k for k in self.files if mapping.kind(k).table == table.name]
        parts = [self.source(k) for k in keys]
        for k in keys:
            for spec in mapping_mod.all_specs(mapping.kind(k)):
                if spec.lookup is not None and spec.lookup in self.index:
                    self.source(spec.lookup)
        return parts


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    plan: Plan,
    reader: _Reader,
    agreement: Agreement,
    tracker: Tracker,
) -> list[TableResult]:
    """Build one canonical table from its files (an empty one when no file feeds it)."""
    parts = reader.parts(table)
    if not parts:
        build.create_empty(con, table)
        return [TableResult(table=table.name, file=None)]
    try:
        with tracker.stage(f"building {table.name}: typing and checking") as stage:
            built = build.build_table(
                con, table, parts, plan.mapping, reader.sources, agreement, reader.sharing
            )
            stage.rows = sum(r.n_read for r in built)
    except ExtractError as exc:
        raise ImportFailure(str(exc)) from exc
    # What reading each file had to say (its encoding, lines that do not add up).
    for part, result in zip(parts, built, strict=True):
        result.notes[:0] = part.notes
    for part in parts:
        # A shared file's table is dropped with the others at the end.
        if part.kind.key not in reader.looked_into and not reader.is_shared(part.kind.key):
            con.execute(compose("drop table {t}", t=part.table))
    return built


def _lookup_results(
    con: duckdb.DuckDBPyConnection, plan: Plan, reader: _Reader
) -> list[TableResult]:
    """A result for each file used only to look up values for the others."""
    results = []
    for key, path in plan.assignment.files:
        if plan.mapping.kind(key).table is not None:
            continue
        src = reader.source(key)
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
    return results
