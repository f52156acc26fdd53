"""Going back: the database an import replaced, or the demo data, restored into the app's.

Every import keeps the database it replaces (and its rejects file) as `<name>.previous.duckdb`
beside it (handoff.importer.run.keep_previous). `restore_previous` swaps the two under the
database's import lock: the database in use becomes the previous one, so a second restore swaps
back. Each step is a hard link or a rename, so the database's path always holds a whole file and
the open pages pick the restored one up on their next run, as they do a new import.
`restore_demo` imports a freshly generated demo dataset the same way an upload is imported.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from handoff import demo
from handoff.importer import ImportFailure, default_rejects_path
from handoff.importer import limits as limits_mod
from handoff.importer.read import current_limits
from handoff.importer.run import previous_path


@dataclass(frozen=True)
class Loaded:
    """What a database file holds, as the Data page names it."""

    name: str
    imported_at: dt.datetime
    n_leads: int


def describe(db_path: Path) -> Loaded | None:
    """The name, import time and lead count of the database at `db_path`; None when there is
    no such file or it is not a Handoff database this version can read."""
    if not db_path.is_file():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        name, imported_at = con.execute(
            "select coalesce(json_extract_string(to_json(r), '$.source_name'),"
            " regexp_extract(source_folder, '[^/\\\\]+$')), imported_at"
            " from import_runs as r"
        ).fetchone()
        n_leads = con.execute("select count(*) from leads").fetchone()[0]
    except (duckdb.Error, TypeError):
        return None
    finally:
        con.close()
    return Loaded(name=name, imported_at=imported_at, n_leads=n_leads)


def previous(db_path: Path) -> Loaded | None:
    """The database the last import into `db_path` replaced, if it is kept and readable."""
    return describe(previous_path(db_path))


def restore_previous(db_path: Path) -> Loaded:
    """Swap the database in use with the previous one (and their rejects files); return what
    is now in use. Raises ImportFailure when there is no previous database or an import runs."""
    wait = current_limits().import_wait_seconds
    try:
        with limits_mod.import_lock(db_path, wait, "restoring the previous database"):
            kept = previous(db_path)
            if kept is None:
                raise ImportFailure(f"{db_path.name}: no previous database is kept to restore")
            _swap(db_path, previous_path(db_path))
            _swap(default_rejects_path(db_path), default_rejects_path(previous_path(db_path)))
    except limits_mod.ImportBusy as exc:
        raise ImportFailure(str(exc)) from exc
    return kept


def restore_demo(db_path: Path, agreement_path: Path, say=lambda _msg: None) -> None:
    """Import the demo data into `db_path`; the database it replaces becomes the previous one."""
    demo.import_demo(db_path, agreement_path, say)


def _swap(a: Path, b: Path) -> None:
    """Exchange two files by links and renames: each path holds one whole file at every
    moment (or, for a file that did not exist, none until it appears whole)."""
    for stale in (*a.parent.glob(f".{a.name}.swapping-*"), *b.parent.glob(f".{b.name}.swapping-*")):
        stale.unlink(missing_ok=True)  # a killed restore's (the lock is held: none is in use)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    a_kept = a.with_name(f".{a.name}.swapping-{token}")
    b_kept = b.with_name(f".{b.name}.swapping-{token}")
    a_changed = False  # once `a` holds b's data, a_kept is the only copy of a's
    try:
        if a.is_file():
            os.link(a, a_kept)
        if b.is_file():
            os.link(b, b_kept)
            os.replace(b_kept, a)
        else:
            a.unlink(missing_ok=True)
        a_changed = True
        if a_kept.exists():
            os.replace(a_kept, b)
        else:
            b.unlink(missing_ok=True)
    finally:
        if not a_changed:
            a_kept.unlink(missing_ok=True)
            b_kept.unlink(missing_ok=True)
        elif a_kept.exists():  # stopped between the two renames: finish the swap
            os.replace(a_kept, b)
