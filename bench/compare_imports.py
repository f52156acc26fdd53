"""Are two imported databases the same? Every table, row for row in stored order, and the rejects
files beside them byte for byte.

    python bench/compare_imports.py OLD.duckdb NEW.duckdb

For each table of either file: its columns and types, its row count, a hash of every row taken
in stored order (a change of order is a difference: leads and touches are stored sorted), and
the rows of one missing from the other. Columns that say when or where an import ran
(import_runs' times and folder, staging_info's built_at) are left out. Exit status 1 when
anything differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handoff.sql import compose, ident, join  # noqa: E402

# Columns that differ between two runs of the same import by design.
RUN_COLUMNS = {"started_at", "finished_at", "imported_at", "built_at", "source_folder", "seconds"}


def tables(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_name, column_name, data_type from duckdb_columns()"
        " where database_name = $db and table_name in (select table_name from duckdb_tables()"
        " where database_name = $db) order by table_name, column_index",
        {"db": db},
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, typ in rows:
        out.setdefault(table, []).append((column, typ))
    return out


def compare(old: Path, new: Path) -> list[str]:
    con = duckdb.connect()
    con.execute("attach $p as a (read_only)", {"p": str(old)})
    con.execute("attach $p as b (read_only)", {"p": str(new)})
    ta, tb = tables(con, "a"), tables(con, "b")
    problems = []
    for name in sorted(set(ta) | set(tb)):
        if name not in ta or name not in tb:
            problems.append(f"{name}: only in {'new' if name in tb else 'old'}")
            continue
        if ta[name] != tb[name]:
            problems.append(f"{name}: columns {ta[name]} != {tb[name]}")
            continue
        cols = join([ident(c) for c, _ in ta[name] if c not in RUN_COLUMNS])
        figures = []
        for db in ("a", "b"):
            t = compose("{db}.main.{t}", db=ident(db), t=ident(name))
            figures.append(
                con.execute(
                    compose(
                        "select count(*), hash(list(hash(row({c})) order by rowid)) from {t}",
                        c=cols,
                        t=t,
                    )
                ).fetchone()
            )
        if figures[0] != figures[1]:
            ta_, tb_ = (compose("a.main.{t}", t=ident(name)), compose("b.main.{t}", t=ident(name)))
            gone = con.execute(
                compose(
                    "select count(*) from (select {c} from {x} except all select {c} from {y})",
                    c=cols,
                    x=ta_,
                    y=tb_,
                )
            ).fetchone()[0]
            added = con.execute(
                compose(
                    "select count(*) from (select {c} from {y} except all select {c} from {x})",
                    c=cols,
                    x=ta_,
                    y=tb_,
                )
            ).fetchone()[0]
            what = "same rows, another order" if not gone and not added else "rows differ"
            problems.append(
                f"{name}: {what} ({figures[0][0]:,} rows old, {figures[1][0]:,} new;"
                f" {gone:,} only old, {added:,} only new)"
            )
    views = (
        "select view_name, sql from duckdb_views() where database_name = $db and not internal"
        " order by view_name"
    )
    if con.execute(views, {"db": "a"}).fetchall() != con.execute(views, {"db": "b"}).fetchall():
        problems.append("views differ")
    ra = old.with_name(old.stem + ".rejects.csv")
    rb = new.with_name(new.stem + ".rejects.csv")
    if (ra.is_file() or rb.is_file()) and (
        not (ra.is_file() and rb.is_file()) or ra.read_bytes() != rb.read_bytes()
    ):
        problems.append(f"rejects file: {ra.name} and {rb.name} differ")
    return problems


def main() -> int:
    old, new = (Path(p) for p in sys.argv[1:3])
    problems = compare(old, new)
    for p in problems:
        print(p)
    print("identical" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
