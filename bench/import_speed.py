"""The CSV import against a bare DuckDB load of the same files, measured back to back.

    PYTHONPATH=. python bench/import_speed.py /work/main/bench-data/demo-1000000 --out /tmp/x

The bare load reads every CSV of the export into a fresh database file, one
`create table t as select * from read_csv(file, header = true, all_varchar = false)` per file,
with the import's memory limit and threads; the import is `import_dataset` on the same
folder. Each runs in its own process (its peak memory is that process's), the import with a
profile of its stages: the wall time spent in each of the importer's steps (the byte scan,
the sniffer, read_csv, typing, duplicates, rejects, the canonical tables, lead attributes,
label merging, staging, the rejects file, the checkpoint), nested steps counted in their own
line and taken out of the step around them. The machine's load (`uptime`) is recorded at the
start and end of each side.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _child(args: list[str]) -> dict[str, Any]:
    """Run this script in `--side` mode in a child process: its answer, wall time, peak RSS."""
    started = time.perf_counter()
    before = uptime()
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{args}: exit {proc.returncode}\n{stderr.decode()[-4000:]}")
    answer = json.loads(stdout.decode().strip().splitlines()[-1])
    return {
        **answer,
        "wall_seconds": round(seconds, 1),
        "peak_rss_gb": answer.get("peak_rss_gb"),
        "uptime_before": before,
        "uptime_after": uptime(),
    }


def _peak() -> float:
    """This process's peak resident memory, GB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def bare(folder: Path, db: Path) -> dict[str, Any]:
    """A bare DuckDB load: each CSV into a table of a fresh database file."""
    import duckdb

    from handoff import db as db_mod
    from handoff.sql import compose, ident

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    db_mod.limit_memory(con, most=db_mod.IMPORT_MEMORY_BYTES)
    con.execute("set enable_progress_bar = false")
    per_file = {}
    for i, path in enumerate(sorted(folder.glob("*.csv"))):
        started = time.perf_counter()
        con.execute(
            compose(
                "create table {t} as select *"
                " from read_csv($p, header = true, all_varchar = false)",
                t=ident(f"t{i}"),
            ),
            {"p": str(path)},
        )
        per_file[path.name] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    con.execute("checkpoint")
    per_file["checkpoint"] = round(time.perf_counter() - started, 2)
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.close()
    return {"per_file": per_file, "threads": threads, "seconds": round(sum(per_file.values()), 1)}


class _Profile:
    """Wall time per named step; a step's time excludes the steps nested inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list[float]] = []

    def wrap(self, module: Any, name: str, label: str | None = None, by_arg: bool = False):
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            key = label or name
            if by_arg:  # queries.run(con, "<name>", ...): one line per query file
                key = f"{key}:{args[1]}"
            self.stack.append([time.perf_counter(), 0.0])
            try:
                return original(*args, **kwargs)
            finally:
                start, nested = self.stack.pop()
                total = time.perf_counter() - start
                self.own[key] = self.own.get(key, 0.0) + total - nested
                self.calls[key] = self.calls.get(key, 0) + 1
                if self.stack:
                    self.stack[-1][1] += total

        setattr(module, name, timed)


def profiled_import(
    folder: Path, db: Path, agreement_path: Path, min_seconds: float = 0.05
) -> dict[str, Any]:
    """`import_dataset` with its steps timed; steps under `min_seconds` are left out."""
    import duckdb

    from handoff import agreement as agreement_mod
    from handoff import db as db_mod
    from handoff.importer import build, finish, read, run, scan, typed  # noqa: F401
    from handoff.importer import queries as queries_mod

    prof = _Profile()
    for mod, names in (
        (scan, ["read_head", "transcode", "scan", "write_without", "lines_of"]),
        (read, ["sniff", "_structural_rejects", "_reject_unreadable", "_line_numbers"]),
        (build, ["_extras", "_count_rows", "_status_notes"]),
        (finish, ["merge_label_spellings", "build_lead_attributes", "write_metadata", "reasons"]),
        (run, ["plan_import", "_prepare", "_lookup_results"]),
    ):
        for name in names:
            prof.wrap(mod, name, f"{mod.__name__.rsplit('.', 1)[1]}.{name}")
    current = {"table": "", "in_run": 0}

    def timed(key, call):
        prof.stack.append([time.perf_counter(), 0.0])
        try:
            return call()
        finally:
            start, nested = prof.stack.pop()
            total = time.perf_counter() - start
            prof.own[key] = prof.own.get(key, 0.0) + total - nested
            prof.calls[key] = prof.calls.get(key, 0) + 1
            if prof.stack:
                prof.stack[-1][1] += total

    original_build_table = build.build_table

    def build_table(con, table, *a, **k):
        current["table"] = table.name
        return timed(
            f"build.build_table ({table.name}, rest)",
            lambda: original_build_table(con, table, *a, **k),
        )

    build.build_table = build_table
    original_create = build._create_table
    build._create_table = lambda con, table, extras: timed(
        f"build._create_table ({table.name})", lambda: original_create(con, table, extras)
    )
    original_load_csv = read._load_csv

    def load_csv(con, label, path, *a, **k):  # a file's reading is labelled by its name
        before, current["table"] = current["table"], path.name
        try:
            return original_load_csv(con, label, path, *a, **k)
        finally:
            current["table"] = before

    read._load_csv = load_csv
    original_run = queries_mod.run

    def run_query(con, name, params=None, **slots):
        current["in_run"] += 1
        try:
            return timed(
                f"query {name} ({current['table']})",
                lambda: original_run(con, name, params, **slots),
            )
        finally:
            current["in_run"] -= 1

    queries_mod.run = run_query
    original_execute = queries_mod.execute

    def execute(con, text, params=None):  # the typed rows: the one big composed statement
        if current["in_run"]:
            return original_execute(con, text, params)
        return timed(
            f"typed rows ({current['table']})", lambda: original_execute(con, text, params)
        )

    queries_mod.execute = execute

    # Staging runs through the real build_staging (so each statement runs as the import runs
    # it, the sorted ones with insertion order off); a connection proxy times each statement.
    original_statements = db_mod.staging_statements
    original_build_staging = db_mod.build_staging
    staging_names: dict[str, str] = {}

    def staging_statements(agreement, attributes, lake_tables=False):
        statements = original_statements(agreement, attributes, lake_tables)
        for (sql, _), name in zip(statements, db_mod.STAGING, strict=True):
            staging_names[str(sql)] = name
        return statements

    class _StagingCon:
        def __init__(self, con):
            self._con = con

        def execute(self, text, *a, **k):
            name = staging_names.get(str(text))
            if name is None:
                return self._con.execute(text, *a, **k)
            return timed(f"staging {name}", lambda: self._con.execute(text, *a, **k))

        def __getattr__(self, name):
            return getattr(self._con, name)

    def build_staging(con, agreement, attributes, lake_tables=False):
        return original_build_staging(_StagingCon(con), agreement, attributes, lake_tables)

    db_mod.staging_statements = staging_statements
    db_mod.build_staging = build_staging
    # The rejects file and the checkpoint are plain con.execute calls in _import_locked:
    # time them by wrapping duckdb.connect's connection in a thin proxy.
    real_connect = duckdb.connect

    class _Con:
        def __init__(self, con):
            self._con = con

        def execute(self, text, *a, **k):
            head = str(text)[:40].lower()
            if head.startswith("copy (") or head.startswith("checkpoint"):
                key = "run.rejects file" if head.startswith("copy") else "run.checkpoint"
                start = time.perf_counter()
                try:
                    return self._con.execute(text, *a, **k)
                finally:
                    t = time.perf_counter() - start
                    prof.own[key] = prof.own.get(key, 0.0) + t
                    prof.calls[key] = prof.calls.get(key, 0) + 1
            return self._con.execute(text, *a, **k)

        def __getattr__(self, name):
            return getattr(self._con, name)

    def connect(*a, **k):
        return _Con(real_connect(*a, **k))

    run.duckdb = type("duckdb_proxy", (), {"connect": staticmethod(connect)})
    agreement = agreement_mod.load(agreement_path)
    started = time.perf_counter()
    result = run.import_dataset(folder, db, agreement)
    seconds = time.perf_counter() - started
    rows = sum(t.n_read for t in result.tables)
    accounted = sum(prof.own.values())
    profile = dict(sorted(prof.own.items(), key=lambda kv: -kv[1]))
    profile = {k: round(v, 2) for k, v in profile.items() if v >= min_seconds}
    profile["(not in a timed step)"] = round(seconds - accounted, 2)
    return {"seconds": round(seconds, 1), "rows_read": rows, "profile": profile}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, help="where the databases go (default: a temp folder)")
    ap.add_argument("--side", choices=["bare", "import"], help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip-bare", action="store_true", help="the import alone")
    ap.add_argument("--json", type=Path, help="append the run's figures to this JSON-lines file")
    args = ap.parse_args()
    if args.side == "bare":
        print(json.dumps({**bare(args.folder, args.db), "peak_rss_gb": _peak()}))
        return 0
    if args.side == "import":
        agreement = ROOT / "data" / "agreement.toml"  # as bench/run.py imports
        print(
            json.dumps({**profiled_import(args.folder, args.db, agreement), "peak_rss_gb": _peak()})
        )
        return 0
    with contextlib.ExitStack() as stack:
        out = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        out.mkdir(parents=True, exist_ok=True)
        figures: dict[str, Any] = {"folder": str(args.folder)}
        if not args.skip_bare:
            figures["bare"] = _child(
                [str(args.folder), "--side", "bare", "--db", str(out / "bare.duckdb")]
            )
            (out / "bare.duckdb").unlink(missing_ok=True)
            print(json.dumps(figures["bare"]), flush=True)
        figures["import"] = _child(
            [str(args.folder), "--side", "import", "--db", str(out / "import.duckdb")]
        )
        if "bare" in figures:
            figures["ratio"] = round(figures["import"]["seconds"] / figures["bare"]["seconds"], 2)
        print(json.dumps(figures, indent=1))
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
