"""Incremental refresh: a newer export merged into an imported database (`import --update`).

The newer export is read exactly as a full import reads it (the same plan, typing and rejects),
into a file of its own. The database is copied under a temporary name, under the import lock,
and the newer rows are merged into the copy lead by lead; the copy is swapped in with the
update's rejects file, keeping the replaced pair as the previous copy, as a full import does.

What identifies a row, and when it has changed (README, "Daily refresh"):

- A lead is its `lead_id`. A lead of the newer export is *new* when the database has no lead of
  that id; *changed* when its lead row, or the set of its touches, activities or deals, differs
  from the database's in any canonical column or kept column; *unchanged* otherwise. New leads
  are added, changed ones replaced with all their rows; unchanged ones are left as they are
  (their staging facts are not rebuilt).
- Touches, activities and deals belong to their lead: a lead in the newer export brings the
  whole set of them. A deal is also its `deal_id`: a deal id of the newer export replaces that
  deal wherever it was (a deal moved to another lead leaves its old lead).
- Spend is per month: a month the newer export has spend for replaces that month's rows.
- A table the newer export has no file for is kept as it is.
- Label spellings (when the mapping merges them) are merged again over the merged data.
- Nothing is deleted unless the export is declared complete (`complete`): then the leads it
  lacks are deleted with their rows, and its spend (and every table, fed or not) is the whole.

The result equals a full import of what the two exports together say (tests/
test_import_update.py checks it over random splits). Surrogate keys differ: an added lead gets
the next `lead_key` after the database's (keys no longer follow creation order), and its touches
`touch_key`s after the database's, in the order of its file.

The staging tables are rebuilt for the added, changed and deleted leads only (their per-lead
rows replaced; the agreement's tables, the calendar, the dataset facts, the data-quality counts
and the filter values, all small or global, rebuilt whole) when what every lead's facts depend
on is unchanged: the agreement (staging fingerprint), the calendar's first day, the kinds of
data the export holds and whether deals record a source. When any of these moved, every lead's
facts are rebuilt, and the update says why. When only the data's end moved, the facts that read
it are moved for every other lead in one pass (`_move_the_end`), and the leads never handed over
whose score can change with it are rescored.

An update is refused when the database was written by another layout (SCHEMA_VERSION), read in
another time zone, with another format or mapping, or has other columns (lead attributes or
extra columns) than the newer export: those need a full import.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from handoff import db
from handoff.agreement import Agreement
from handoff.contract import TABLES
from handoff.importer import finish, queries
from handoff.importer import limits as limits_mod
from handoff.importer.plan import Plan
from handoff.importer.progress import Progress, Tracker
from handoff.importer.read import current_limits
from handoff.importer.result import SCHEMA_VERSION, ImportFailure, ImportResult
from handoff.importer.run import default_rejects_path, keep_previous, load, planned
from handoff.sql import Sql, compose, ident, join

# The tables that hold one row per lead (or several), keyed by lead_key, merged lead by lead.
LEAD_TABLES = ("leads", "touches", "activities", "deals")
# Columns the importer derives from a row's neighbours or its place in the file: not compared.
_DERIVED = ("lead_key", "touch_key", "prev_channel", "prev_campaign", "prev_touched_at",
            "next_touched_at")  # fmt: skip
# Staging objects made from the whole dataset before the per-lead ones (small: one row per
# agreement version, step, version × day, or one row), and after them (counts over every lead).
STAGING_BEFORE = (
    "agreement_versions",
    "agreement_settings",
    "agreement_steps",
    "business_calendar",
    "stg_dataset",
)
STAGING_AFTER = ("stg_data_quality", "stg_filter_values")


def staging_per_lead() -> tuple[str, ...]:
    """Staging objects with rows per lead (tables keyed by lead_key; views remade with them)."""
    return tuple(n for n in db.STAGING if n not in STAGING_BEFORE + STAGING_AFTER)


Say = Callable[[str], None]  # a stage begun by its name (progress.Tracker.begin)
_RESTAGE = "restage"  # the schema the per-lead staging is built in, over the leads it rebuilds


@dataclass
class UpdateResult:
    """What an update did: the newer export's outcome per file, and what it did to the leads."""

    result: ImportResult
    complete: bool
    n_added: int
    n_changed: int
    n_unchanged: int
    n_deleted: int
    n_leads: int  # in the database after the update
    restaged_all: str | None  # why every lead's staging facts were rebuilt; None when not
    moved_end: str | None = None  # the data's end moved: "from … to …" (only its facts moved)
    table_counts: dict[str, int] = field(default_factory=dict)  # rows per table, after

    def summary(self) -> str:
        """The lines the CLI prints after the newer export's own summary."""
        kind = "Update (complete export)" if self.complete else "Update"
        lines = [
            f"{kind}: {self.n_added:,} leads "
            f"added, {self.n_changed:,} changed (replaced), {self.n_unchanged:,} unchanged, "
            f"{self.n_deleted:,} deleted; {self.n_leads:,} leads now.",
        ]
        if not self.complete:
            lines.append(
                "  Leads missing from this export were kept (pass --complete when it holds "
                "every lead, to delete the others)."
            )
        if self.restaged_all:
            lines.append(f"  Every lead's staging facts were rebuilt: {self.restaged_all}.")
        else:
            lines.append("  Staging facts rebuilt for the added, changed and deleted leads only.")
            if self.moved_end:
                lines.append(
                    f"  The data's end moved {self.moved_end}: every other lead's facts that "
                    "read it (hours waiting, SLA status, days without activity, the scores of "
                    "leads never handed over) were moved with it."
                )
        return "\n".join(lines)


def update_dataset(
    folder: str | Path,
    db_path: str | Path,
    agreement: Agreement,
    complete: bool = False,
    rejects_path: str | Path | None = None,
    progress: Progress | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
    source_name: str | None = None,
) -> UpdateResult:
    """Merge a newer export into the database at `db_path` (see the module's docstring),
    replacing the file only if the whole update succeeds."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise ImportFailure(
            f"{db_path}: no database to update; run a full import first (without --update)"
        )
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(db_path)
    fresh_target = db_path.with_name(db_path.name + ".update")
    wait = current_limits().import_wait_seconds
    tracker = Tracker(progress)
    try:
        with limits_mod.import_lock(db_path, wait, f"updating from {Path(folder).resolve()}"):
            # Files killed imports or updates left (this one holds the lock: none is in use).
            for target in (db_path, rejects_path, fresh_target):
                limits_mod.remove_stale_building_files(target)
            paths = (db_path, rejects_path, fresh_target)
            how = (format, mapping, source_name)
            out = _update_locked(Path(folder), paths, agreement, complete, tracker, *how)
            tracker.close()
    except limits_mod.ImportBusy as busy:
        raise ImportFailure(str(busy)) from busy
    out.result.rejects_path = rejects_path
    out.result.db_path = db_path
    return out


def _update_locked(
    folder: Path,
    paths: tuple[Path, Path, Path],
    agreement: Agreement,
    complete: bool,
    tracker: Tracker,
    format: str | None,
    mapping: str | Path | None,
    source_name: str | None,
) -> UpdateResult:
    db_path, rejects_path, fresh_target = paths
    say = tracker.begin
    base = _database_record(db_path)
    _refuse_other(db_path, base, agreement)
    token = f"building-{os.getpid()}-{secrets.token_hex(4)}"
    building = db_path.with_name(f".{db_path.name}.{token}")
    rejects_building = rejects_path.with_name(f".{rejects_path.name}.{token}")
    fresh = fresh_target.with_name(f".{fresh_target.name}.{token}")
    made = (building, rejects_building, fresh)
    try:
        plan, result = _read_newer(
            fresh, rejects_building, folder, agreement, tracker, format, mapping, source_name
        )
        if result.format != base["format"]:
            raise ImportFailure(
                f"{db_path} was imported as {base['format']}, this export reads as "
                f"{result.format}: an update needs the same format or mapping; import it in full "
                "(without --update)"
            )
        say("copying the database to update it")
        shutil.copyfile(db_path, building)
        con = duckdb.connect(str(building))
        try:
            con.execute("set TimeZone = $tz", {"tz": agreement.time_zone})
            con.execute("set enable_progress_bar = false")
            db.limit_memory(con, most=db.IMPORT_MEMORY_BYTES)
            con.execute("attach $path as fresh (read_only)", {"path": str(fresh)})
            normalize = plan.mapping.normalize_labels
            out = _merge(
                con, db_path, result, complete, agreement, base, say, source_name, normalize
            )
            con.execute("detach fresh")
            con.execute("checkpoint")
        finally:
            con.close()
        _swap_in(building, rejects_building, db_path, rejects_path)
    except BaseException:
        _remove(*made)
        raise
    _remove(fresh)
    return out


def _swap_in(building: Path, rejects_building: Path, db_path: Path, rejects_path: Path) -> None:
    """The updated copy and its rejects file replace the pair in use, kept as the previous."""
    keep_previous(db_path, rejects_path)
    os.replace(building, db_path)
    os.replace(rejects_building, rejects_path)


def _remove(*paths: Path) -> None:
    """Remove the files an update made (a database's with its write-ahead log)."""
    for p in paths:
        for q in (p, Path(str(p) + ".wal")):
            q.unlink(missing_ok=True)


def _read_newer(
    fresh: Path,
    rejects_path: Path,
    folder: Path,
    agreement: Agreement,
    tracker: Tracker,
    format: str | None,
    mapping: str | Path | None,
    source_name: str | None,
) -> tuple[Plan, ImportResult]:
    """Read the newer export into the database file `fresh` as a full import reads it, and
    write its rejects file."""
    con = duckdb.connect(str(fresh))
    try:
        # The update's own stages after the reading: copying, comparing, merging, staging.
        plan = planned(con, tracker, folder, format, mapping, after=4)
        result = load(con, plan, agreement, tracker, source_name)
        rejects = queries.sql("rejects_file")
        con.execute(
            compose("copy ({q}) to $path (header, delimiter ',')", q=rejects),
            {"path": str(rejects_path)},
        )
        con.execute("checkpoint")
    finally:
        con.close()
    return plan, result


def _database_record(db_path: Path) -> dict[str, Any]:
    """The database's import record (import_runs), read through JSON so that a column a newer
    layout added reads as missing, not as an error."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        if "import_runs" not in tables:
            raise ImportFailure(f"{db_path}: not a Handoff database; import the export in full")
        row = con.execute("select to_json(r) from import_runs as r limit 1").fetchone()
        record = json.loads(row[0]) if row else {}
        record["staging_fingerprint"] = (
            con.execute("select fingerprint from staging_info").fetchone()[0]
            if "staging_info" in tables
            else None
        )
        return record
    finally:
        con.close()


def _refuse_other(db_path: Path, base: dict[str, Any], agreement: Agreement) -> None:
    """Refuse to update a database an update cannot extend: another layout or time zone."""
    version = base.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ImportFailure(
            f"{db_path} was written by another version of Handoff (database layout {version}, "
            f"this one writes {SCHEMA_VERSION}): import the export in full (without --update)"
        )
    zone = base.get("agreement_time_zone")
    if zone != agreement.time_zone:
        raise ImportFailure(
            f"{db_path} was imported in the time zone {zone}, the agreement's is "
            f"{agreement.time_zone}: times without an offset would be read differently; import "
            "the export in full (without --update)"
        )


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return [
        (name, typ)
        for name, typ in con.execute(
            "select column_name, data_type from duckdb_columns()"
            " where database_name = $d and schema_name = 'main' and table_name = $t"
            " order by column_index",
            {"d": catalog, "t": table},
        ).fetchall()
    ]


def _refuse_other_columns(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """The newer export's tables must have the database's columns (the same lead attributes,
    the same extra columns), or the two cannot be one dataset."""
    catalog = con.execute("select current_database()").fetchone()[0]
    for table in (*(t.name for t in TABLES), "lead_attributes"):
        ours, theirs = _columns(con, catalog, table), _columns(con, "fresh", table)
        if dict(ours) != dict(theirs):
            only_ours = [c for c, _ in ours if c not in dict(theirs)]
            only_theirs = [c for c, _ in theirs if c not in dict(ours)]
            said = (
                "; ".join(
                    part
                    for part in (
                        f"only the database has {', '.join(only_ours)}" if only_ours else "",
                        f"only the export has {', '.join(only_theirs)}" if only_theirs else "",
                    )
                    if part
                )
                or "their types differ"
            )
            raise ImportFailure(
                f"{table}: the export's columns are not the database's ({said}): an update "
                f"needs the same columns; import it in full (without --update) into {db_path}"
            )


def _fed(result: ImportResult) -> set[str]:
    """The canonical tables a file of the newer export feeds."""
    return {t.table for t in result.tables if t.table is not None and t.file is not None}


def _compared(con: duckdb.DuckDBPyConnection, table: str) -> Sql:
    """The columns of `table` compared to tell a changed lead: all but the derived ones."""
    catalog = con.execute("select current_database()").fetchone()[0]
    return join(
        [
            compose("t.{c}", c=ident(c))
            for c, _ in _columns(con, catalog, table)
            if c not in _DERIVED
        ],
        sep=", ",
    )


def _merge(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    result: ImportResult,
    complete: bool,
    agreement: Agreement,
    base: dict[str, Any],
    say: Say,
    source_name: str | None,
    normalize_labels: bool,
) -> UpdateResult:
    """Merge the attached `fresh` export into the database on `con`, then its staging."""
    _refuse_other_columns(con, db_path)
    say("comparing the export with the database")
    fed = _fed(result)
    before = _staging_basis(con)
    # Each lead of the export with its key in the database (NULL for a new lead).
    con.execute(
        "create temp table update_keys as"
        " select f.lead_key as fresh_key, f.lead_id, o.lead_key as old_key"
        " from fresh.leads as f left join main.leads as o on o.lead_id = f.lead_id"
    )
    _find_changed(con, fed)
    _map_keys(con, fed, complete)
    say("merging the export into the database")
    _replace_rows(con, fed, complete)
    if normalize_labels:
        _merge_label_spellings(con, result)
    # The update's record: the newer export's files and rejects, the merged data's end.
    result.data_end_at = finish.write_metadata(
        con, str(result.folder.resolve()), agreement.time_zone, result, source_name
    )
    con.execute("create or replace table import_rejects as select * from fresh.import_rejects")
    out = _record(con, result, complete, base)
    out.restaged_all = _restage(con, agreement, result, base, before, say)
    if out.restaged_all is None and before[0] != _staging_basis(con)[0]:
        out.moved_end = f"from {before[0][0]} to {result.data_end_at}"
    return out


def _find_changed(con: duckdb.DuckDBPyConnection, fed: set[str]) -> None:
    """update_changed: the export's leads in the database whose rows differ."""
    # A lead is changed when any of its rows in a table the export feeds differs (as a
    # multiset: a row twice is not the row once).
    differences = []
    for table in LEAD_TABLES:
        if table not in fed:
            continue
        cols = _compared(con, table)
        # Each side's rows of the leads in both, read once (the database's table is the big one).
        fresh_rows, old_rows = ident(f"update_fresh_{table}"), ident(f"update_old_{table}")
        con.execute(
            compose(
                "create temp table {n} as select k.lead_id, {c} from fresh.{t} as t"
                " inner join update_keys as k on k.fresh_key = t.lead_key"
                " where k.old_key is not null",
                n=fresh_rows,
                c=cols,
                t=ident(table),
            )
        )
        con.execute(
            compose(
                "create temp table {n} as select k.lead_id, {c} from main.{t} as t"
                " inner join update_keys as k on k.old_key = t.lead_key",
                n=old_rows,
                c=cols,
                t=ident(table),
            )
        )
        differences += [
            compose("select lead_id from (from {a} except all from {b})", a=fresh_rows, b=old_rows),
            compose("select lead_id from (from {a} except all from {b})", a=old_rows, b=fresh_rows),
        ]
    changed = join(differences, sep=" union ") if differences else Sql("select null as lead_id")
    con.execute(
        compose("create temp table update_changed as select distinct lead_id from ({c})", c=changed)
    )


def _map_keys(con: duckdb.DuckDBPyConnection, fed: set[str], complete: bool) -> None:
    """update_gone (the database's leads that go), update_map (the export's that come in, with
    their keys) and update_touched (leads that lose a deal to another)."""
    # The database's leads that go: the changed ones (replaced) and, for a complete export, the
    # ones it lacks (deleted).
    con.execute(
        "create temp table update_gone as"
        " select k.old_key as lead_key, false as is_deleted from update_keys as k"
        " where k.old_key is not null and k.lead_id in (select lead_id from update_changed)"
    )
    if complete:
        con.execute(
            "insert into update_gone select lead_key, true from main.leads"
            " where lead_id not in (select lead_id from fresh.leads)"
        )
    # The export's leads that come in, each with its key in the database: a changed lead keeps
    # its key, a new one gets the next ones, in order of creation.
    con.execute(
        "create temp table update_map as"
        " select k.fresh_key, k.old_key as lead_key from update_keys as k"
        " where k.old_key in (select lead_key from update_gone)"
        " union all"
        " select k.fresh_key,"
        "   (select coalesce(max(lead_key), 0) from main.leads)"
        "   + row_number() over (order by f.created_at, f.lead_id) as lead_key"
        " from update_keys as k inner join fresh.leads as f on f.lead_key = k.fresh_key"
        " where k.old_key is null"
    )
    # A deal id the export has replaces that deal wherever it was: a lead that loses a deal to
    # another lead has changed too (its facts are rebuilt).
    con.execute("create temp table update_touched (lead_key bigint)")
    if "deals" in fed:
        con.execute(
            "create temp table update_deal_ids as select d.deal_id from fresh.deals as d"
            " inner join update_map as m on m.fresh_key = d.lead_key"
        )
        con.execute(
            "insert into update_touched select distinct lead_key from main.deals"
            " where deal_id in (select deal_id from update_deal_ids)"
            " and lead_key not in (select lead_key from update_gone)"
        )
        con.execute("delete from main.deals where deal_id in (select deal_id from update_deal_ids)")


def _replace_rows(con: duckdb.DuckDBPyConnection, fed: set[str], complete: bool) -> None:
    """The database's rows of the leads that go deleted, the export's of those that come in
    inserted under their keys; spend by month."""
    for table in (*LEAD_TABLES, "lead_attributes"):
        if table not in fed and table != "lead_attributes":
            # Without a file for it, the export says nothing of the table (its rows stay with
            # their leads); a complete export says it is empty.
            if complete:
                con.execute(compose("delete from main.{t}", t=ident(table)))
            continue
        con.execute(
            compose(
                "delete from main.{t} where lead_key in (select lead_key from update_gone)",
                t=ident(table),
            )
        )
        # The touches' order within a lead is their touch_key: the export's, after the
        # database's keys.
        replace = (
            Sql(
                "m.lead_key as lead_key, t.touch_key - (select min(touch_key) from fresh.touches)"
                " + (select coalesce(max(touch_key), 0) + 1 from main.touches) as touch_key"
            )
            if table == "touches"
            else Sql("m.lead_key as lead_key")
        )
        con.execute(
            compose(
                "insert into main.{t} by name select t.* replace ({r}) from fresh.{t} as t"
                " inner join update_map as m on m.fresh_key = t.lead_key",
                t=ident(table),
                r=replace,
            )
        )
    if complete:
        con.execute("delete from main.spend")
        con.execute("insert into main.spend by name select * from fresh.spend")
    elif "spend" in fed:
        con.execute("delete from main.spend where month in (select month from fresh.spend)")
        con.execute("insert into main.spend by name select * from fresh.spend")


def _record(
    con: duckdb.DuckDBPyConnection, result: ImportResult, complete: bool, base: dict[str, Any]
) -> UpdateResult:
    """What the update did, counted, and written beside the import record (import_runs)."""
    counts = con.execute(
        "select"
        " (select count(*) from update_keys where old_key is null),"
        " (select count(*) from update_gone where not is_deleted),"
        " (select count(*) from update_keys where old_key is not null)"
        "   - (select count(*) from update_gone where not is_deleted),"
        " (select count(*) from update_gone where is_deleted),"
        " (select count(*) from main.leads)"
    ).fetchone()
    out = UpdateResult(result, complete, *counts, restaged_all=None)
    for table in TABLES:
        n = con.execute(compose("select count(*) from main.{t}", t=ident(table.name))).fetchone()
        out.table_counts[table.name] = n[0]
    queries.run(
        con,
        "update_record",
        {
            "complete": complete,
            "n_added": out.n_added,
            "n_changed": out.n_changed,
            "n_unchanged": out.n_unchanged,
            "n_deleted": out.n_deleted,
            "base_name": base.get("source_name") or base.get("source_folder"),
            "base_at": _when(base.get("imported_at")),
        },
    )
    return out


def _merge_label_spellings(con: duckdb.DuckDBPyConnection, result: ImportResult) -> None:
    """Merge label spellings over the merged data, as a full import does over its own: a
    spelling the newer export brings that differs from the database's only in case, spaces or
    punctuation joins the more frequent one (counted over the merged rows, the database's
    already merged). Every lead with a row holding a merged label has its facts rebuilt."""
    merges = finish.merge_label_spellings(con)
    result.merges += merges
    targets = sorted({after for _, _, after, _ in merges})
    if not targets:
        return
    for _, columns in finish.LABEL_GROUPS:
        for table, column in columns:
            if table in LEAD_TABLES:
                con.execute(
                    compose(
                        "insert into update_touched select distinct lead_key from main.{t}"
                        " where {c} = any($targets)",
                        t=ident(table),
                        c=ident(column),
                    ),
                    {"targets": targets},
                )


def _when(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def _staging_basis(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """What every lead's staging facts depend on besides its own rows: the data's end, the
    calendar's span, the kinds of data held (stg_dataset), whether any deal records a source
    (stg_revenue_events)."""
    return (
        con.execute("select data_end_at from import_runs").fetchone(),
        con.execute("select min(day), max(day) from business_calendar").fetchone(),
        con.execute("select * from stg_dataset").fetchone(),
        con.execute("select exists (select 1 from deals where source is not null)").fetchone(),
    )


def _restage(
    con: duckdb.DuckDBPyConnection,
    agreement: Agreement,
    result: ImportResult,
    base: dict[str, Any],
    before: tuple[Any, ...],
    say: Say,
) -> str | None:
    """Rebuild the staging tables for the leads the update touched, or, when what every lead
    depends on moved, for all; return why all, or None."""
    attributes = tuple(result.lead_attributes)
    statements = dict(zip(db.STAGING, db.staging_statements(agreement, attributes), strict=True))
    for name in STAGING_BEFORE:
        con.execute(statements[name][0], statements[name][1] or None)
    after = _staging_basis(con)
    why = None
    if base.get("staging_fingerprint") != db.staging_fingerprint(agreement):
        why = "the database's staging was built for another agreement (or Handoff version)"
    elif before[1][0] != after[1][0]:
        # Each day's business hours before it count from the calendar's first day; days added
        # after its last (a later data end) change no earlier day's.
        why = "the business calendar's first day changed (an earlier first lead or activity)"
    elif before[2] != after[2]:
        why = "the kinds of data the export holds changed (stg_dataset)"
    elif before[3] != after[3]:
        why = "whether deals record a source changed"
    if why is not None:
        say(f"building the staging tables (every lead: {why})")
        db.build_staging(con, agreement, attributes)
        return why
    say("building the staging tables for the changed leads")
    _restage_touched(con, statements)
    if before[0] != after[0]:
        say("moving every lead's facts to the data's new end")
        _move_the_end(con, agreement, statements, before[0][0])
    for name in STAGING_AFTER:
        con.execute(statements[name][0], statements[name][1] or None)
    con.execute(
        "create or replace table staging_info as select $fingerprint as fingerprint,"
        " now() as built_at",
        {"fingerprint": db.staging_fingerprint(agreement)},
    )
    return None


def _restage_touched(
    con: duckdb.DuckDBPyConnection, statements: dict[str, tuple[Sql, dict[str, Any]]]
) -> None:
    """Replace the per-lead staging rows of the leads the update touched."""
    # The leads whose facts are rebuilt: every one the update added, replaced, deleted, or took
    # a deal from.
    con.execute(
        "create temp table update_restage as"
        " select lead_key from update_map union select lead_key from update_gone"
        " union select lead_key from update_touched"
    )
    _rebuild_for(
        con, statements, "update_restage", staging_per_lead(), (*LEAD_TABLES, "lead_attributes")
    )


def _rebuild_for(
    con: duckdb.DuckDBPyConnection,
    statements: dict[str, tuple[Sql, dict[str, Any]]],
    keys: str,
    names: tuple[str, ...],
    tables: tuple[str, ...],
) -> None:
    """Replace the rows of the staging tables `names` of the leads in the temp table `keys`:
    they are built over those leads alone, in a schema of its own where each of `tables` is a
    view of those leads' rows; everything else is read from main."""
    keyed = compose("select lead_key from {k}", k=ident(keys))
    con.execute(compose("create schema {s}", s=ident(_RESTAGE)))
    for table in tables:
        con.execute(
            compose(
                "create view {s}.{t} as select * from main.{t} where lead_key in ({k})",
                s=ident(_RESTAGE),
                t=ident(table),
                k=keyed,
            )
        )
    con.execute(Sql("set search_path = 'restage,main'"))
    try:
        for name in names:
            con.execute(statements[name][0], statements[name][1] or None)
    finally:
        con.execute("set search_path = 'main'")
    for name in names:
        if load_kind(name) == "view":
            continue
        con.execute(compose("delete from main.{t} where lead_key in ({k})", t=ident(name), k=keyed))
        con.execute(
            compose(
                "insert into main.{t} by name select * from {s}.{t}",
                t=ident(name),
                s=ident(_RESTAGE),
            )
        )
    con.execute(compose("drop schema {s} cascade", s=ident(_RESTAGE)))


# The facts of stg_leads that read the data's end (queries/staging/stg_leads.sql), recomputed
# for the leads an update did not touch when the end moves, with stg_leads.sql's expressions
# (the same doubles): every lead's data_end_at, days_without_activity and is_slipping; and for a
# lead waiting for its follow-up (handed over, none yet, still active, judged), its hours
# waiting, SLA status (pending or breached), breach, open breach and hours overdue. Nothing
# else of a lead reads the end: its stages, follow-up and disposition are its own rows'.
_END_OF_EVERY_LEAD = Sql(
    "update main.stg_leads as l set"
    " data_end_at = s.data_end_at,"
    " days_without_activity ="
    "   (epoch(s.data_end_at) - epoch(coalesce(l.last_activity_at, l.handover_at))) / 86400,"
    " is_slipping = coalesce("
    "   l.disposition = 'active'"
    "   and (epoch(s.data_end_at) - epoch(coalesce(l.last_activity_at, l.handover_at))) / 86400"
    "   > (select v.stale_after_days from agreement_versions as v"
    "      where v.version = l.agreement_version),"
    "   false)"
    " from agreement_settings as s"
)
_END_OF_WAITING_LEADS = Sql(
    "with end_reading as ("
    "   select v.version, s.data_end_at,"
    "   c.hours_before + least(greatest((epoch(s.data_end_at) - epoch(c.open_at)) / 3600, 0),"
    "     c.open_hours) as end_business_hours"
    "   from agreement_versions as v cross join agreement_settings as s"
    "   left join business_calendar as c"
    "     on c.version = v.version and c.day = cast(s.data_end_at as date)),"
    " waiting as ("
    "   select l.lead_key, l.follow_up_target_hours as target,"
    "   case v.follow_up_clock"
    "     when 'business' then e.end_business_hours - (ch.hours_before"
    "       + least(greatest((epoch(l.handover_at) - epoch(ch.open_at)) / 3600, 0),"
    "         ch.open_hours))"
    "     else (epoch(e.data_end_at) - epoch(l.handover_at)) / 3600"
    "   end as hours_waiting"
    "   from main.stg_leads as l"
    "   inner join agreement_versions as v on v.version = l.agreement_version"
    "   inner join end_reading as e on e.version = l.agreement_version"
    "   left join business_calendar as ch"
    "     on ch.version = l.agreement_version and ch.day = cast(l.handover_at as date)"
    "   where l.sla_status in ('pending', 'breached') and l.first_follow_up_at is null"
    "   and l.handover_at is not null and l.disposition = 'active')"
    " update main.stg_leads as l set"
    " hours_waiting = w.hours_waiting,"
    " sla_status = case when w.hours_waiting > w.target then 'breached' else 'pending' end,"
    " breach = case when w.hours_waiting > w.target then 'open' end,"
    " is_open_breach = coalesce(w.hours_waiting > w.target, false),"
    " hours_overdue = case when w.hours_waiting > w.target then w.hours_waiting - w.target end"
    " from waiting as w where l.lead_key = w.lead_key"
)


def _move_the_end(
    con: duckdb.DuckDBPyConnection,
    agreement: Agreement,
    statements: dict[str, tuple[Sql, dict[str, Any]]],
    old_end: dt.datetime | None,
) -> None:
    """The data's end moved (the touched leads' facts are already built at the new end): move
    every other lead's facts that read it, and rescore the leads whose score can change."""
    con.execute(_END_OF_EVERY_LEAD)
    con.execute(_END_OF_WAITING_LEADS)
    if not any(v.agreement.scoring for v in agreement.versions):
        return
    # A lead never handed over is scored at the data's end (stg_lead_score_rules), by the
    # version in force then: its scored_at moves. Its points change only when the version does,
    # or when one of its events that a rule counts counts differently at the new end (events
    # strictly before the end count, within a rule's window, halved with age by its half-life):
    # those leads are rescored; the others keep their points.
    _find_rescored(con, agreement, old_end)
    con.execute(
        "update main.stg_lead_scores set scored_at = (select data_end_at from agreement_settings)"
        " where not is_scored_at_handover"
    )
    _rebuild_for(
        con,
        statements,
        "update_rescore",
        ("stg_lead_score_rules", "stg_lead_scores"),
        ("stg_leads", "touches", "activities", "lead_attributes"),
    )


def _find_rescored(
    con: duckdb.DuckDBPyConnection, agreement: Agreement, old_end: dt.datetime | None
) -> None:
    """update_rescore: the untouched leads never handed over whose points can change when the
    data's end moves from `old_end` to the new one (see _move_the_end)."""
    new_end = con.execute("select data_end_at from agreement_settings").fetchone()[0]
    bands = _moving_events(agreement, old_end, new_end)
    con.execute(
        "create temp table update_rescore as"
        " with moved as ("
        "   select (select max(version) from agreement_versions where starts_at <= $old)"
        "     is distinct from"
        "     (select max(version) from agreement_versions where starts_at <= $new) as moved),"
        " bands as ("
        "   select unnest(cast($sources as varchar[])) as event_source,"
        "   unnest(cast($types as varchar[])) as event_type,"
        "   unnest(cast($lows as timestamptz[])) as low,"
        "   unnest(cast($highs as timestamptz[])) as high),"
        " events as ("
        "   select lead_key, 'touch' as event_source, lower(trim(touch_type)) as event_type,"
        "   touched_at as event_at from main.touches"
        "   union all"
        "   select lead_key, 'activity', lower(trim(activity_type)), activity_at"
        "   from main.activities),"
        " moving as ("
        "   select distinct e.lead_key from events as e inner join bands as b"
        "   on b.event_source = e.event_source and b.event_type = e.event_type"
        "   and (b.low is null or e.event_at >= b.low)"
        "   and (b.high is null or e.event_at <= b.high))"
        " select l.lead_key from main.stg_leads as l"
        " where l.entered_mql_at is null"
        " and l.lead_key not in (select lead_key from update_restage)"
        " and ((select moved from moved) or l.lead_key in (select lead_key from moving))",
        {
            "old": old_end,
            "new": new_end,
            "sources": [b[0] for b in bands],
            "types": [b[1] for b in bands],
            "lows": [b[2] for b in bands],
            "highs": [b[3] for b in bands],
        },
    )


def _moving_events(
    agreement: Agreement, old_end: dt.datetime | None, new_end: dt.datetime
) -> list[tuple[str, str, dt.datetime | None, dt.datetime | None]]:
    """The events whose points can differ between a moment at the old end and one at the new:
    per engagement rule (of any version), its event source and type and a span of event times
    (from, to; None: unbounded). An event counts when it is strictly before the moment and no
    older than the rule's window (`within_days`), halved every half-life of age:

    - with a half-life, every event it counts at the earlier end or later one: from the
      earlier end less the window (no window: every event);
    - with a window only, the events that enter or leave it: from the earlier end less the
      window to the later end less the window, and those at the earlier end or after;
    - with neither, only those at the earlier end or after.

    Each span is a day wider at both ends than it needs to be (an age is in 24-hour days, as
    here)."""
    earlier, later = min(old_end or new_end, new_end), max(old_end or new_end, new_end)
    margin = dt.timedelta(days=1)
    out: list[tuple[str, str, dt.datetime | None, dt.datetime | None]] = []
    for version in agreement.versions:
        for r in version.agreement.scoring.engagement if version.agreement.scoring else ():
            kind = (r.event_source, r.event_type)
            window = dt.timedelta(days=r.within_days) if r.within_days is not None else None
            if r.half_life_days is not None:
                out.append((*kind, earlier - window - margin if window else None, None))
                continue
            if window is not None:
                out.append((*kind, earlier - window - margin, later - window + margin))
            out.append((*kind, earlier - margin, None))
    return out


def load_kind(name: str) -> str:
    """Whether a staging object is a table or a view."""
    return db.load_query(name, "staging").creates
