"""kill -9 at a few moments of a 100,000-lead import: the previous data is never touched.

A database holds a small known dataset (five leads, one rejected with a known reason). An import
of the 100,000-lead demo into it runs as `python -m handoff import` in a subprocess and is sent
SIGKILL at a moment: half a second in, two seconds in, while the staging tables are built (its
progress on stderr says so), and the moment the rejects file next to the database changes. After
each kill the database file is byte-identical (sha256) and opens with the same counts, and the
rejects file still belongs to the import in the database. A kill cannot clean up after itself,
so the next import that succeeds must: after it, no `.handoff.duckdb.building-*` file remains.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from handoff import agreement as agreement_mod
from handoff import importer
from handoff.sql import compose, ident
from tests.conftest import ROOT, write_dataset

pytestmark = pytest.mark.slow

N_LEADS = 100_000
# How long one import may run before the test gives up on it (the demo imports in about 20 s).
IMPORT_BOUND_S = 120.0

KNOWN_LEADS = (
    "lead_id,created_at,source\n"
    "K1,2026-01-05 09:00,Web\n"
    "K2,2026-01-06 10:00,Referral\n"
    "K3,2026-01-07 11:00,Web\n"
    "K4,not a date,Web\n"
    "K5,2026-01-09 13:00,Partner\n"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db: Path) -> dict[str, int]:
    """Rows per table and the rejected rows of the import a database holds."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(compose("select count(*) from {t}", t=ident(t))).fetchall()[0][0]
            for t in ("leads", "touches", "activities", "deals", "spend", "import_rejects")
        }
    finally:
        con.close()


def rejects_rows(path: Path) -> int:
    """Rows of a rejects file, header excepted."""
    con = duckdb.connect()
    try:
        return con.execute(
            "select count(*) from read_csv($p, header = true, all_varchar = true)",
            {"p": str(path)},
        ).fetchall()[0][0]
    finally:
        con.close()


def building_files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f".{db.name}.building-*"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The 100,000-lead demo export, written once (deterministic: fixed seed and end date)."""
    out = tmp_path_factory.mktemp("demo100k")
    subprocess.run(
        [sys.executable, "-m", "handoff", "demo", "--out", str(out), "--leads", str(N_LEADS),
         "--end-date", "2026-06-01", "--seed", "7"],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def known(tmp_path_factory) -> dict:
    """A database holding the known dataset, and what its files are."""
    folder = write_dataset(tmp_path_factory.mktemp("known") / "export", leads=KNOWN_LEADS)
    db = tmp_path_factory.mktemp("db") / "handoff.duckdb"
    agreement = agreement_mod.load(ROOT / "tests" / "fixtures" / "golden" / "agreement.toml")
    result = importer.import_dataset(folder, db, agreement)
    assert result.counts()["leads"] == 4
    assert result.n_rejected == 1
    return {"db": db, "rejects": result.rejects_path}


class Import:
    """`python -m handoff import` of the demo, with its stderr lines collected as they come."""

    def __init__(self, demo: Path, db: Path):
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "handoff", "import", str(demo), "--db", str(db),
             "--agreement", str(demo / "agreement.toml")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        self.started = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, moment) -> bool:
        """Poll until `moment()` is true; False when the import ended first."""
        while time.monotonic() - self.started < IMPORT_BOUND_S:
            if moment():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.005)
        self.kill()
        pytest.fail(f"the import did not reach the moment within {IMPORT_BOUND_S:.0f} s")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._reader.join(10)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)


def _after(seconds: float):
    started = time.monotonic()
    return lambda: time.monotonic() - started >= seconds


def _rejects_changed(path: Path):
    before = (path.stat().st_mtime_ns, path.stat().st_size, sha256(path))

    def changed() -> bool:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return True
        if (stat.st_mtime_ns, stat.st_size) == before[:2]:
            return False
        return sha256(path) != before[2]

    return changed


# Moments to kill at: a name, and a function of (import, known) giving the poll condition.
MOMENTS = {
    "after-0.5s": lambda imp, known: _after(0.5),
    "after-2s": lambda imp, known: _after(2.0),
    "during-staging": lambda imp, known: lambda: imp.said("building the staging tables ..."),
    "rejects-written": lambda imp, known: _rejects_changed(known["rejects"]),
}


def test_kill_9_leaves_the_previous_database_and_its_rejects_untouched(demo, known):
    db, rejects = known["db"], known["rejects"]
    db_sha, old_rejects, db_counts = sha256(db), rejects.read_bytes(), counts(db)
    assert db_counts["leads"] == 4
    assert rejects_rows(rejects) == 1
    problems = []
    for name, make in MOMENTS.items():
        imp = Import(demo, db)
        reached = imp.wait_for(make(imp, known))
        imp.kill()
        took = time.monotonic() - imp.started
        if not reached:
            problems.append(
                f"{name}: the import ended (exit {imp.proc.returncode}) before the moment, "
                f"after {took:.1f} s; it said: {imp.lines[-3:]}"
            )
            break
        if sha256(db) != db_sha:
            if name == "rejects-written":
                # The swap came first: the new database and its rejects file must agree.
                new = counts(db)
                if rejects_rows(rejects) != new["import_rejects"]:
                    problems.append(f"{name}: the new database and its rejects file disagree")
                break
            problems.append(f"{name}: the database changed after kill -9 at {took:.1f} s")
            break
        if counts(db) != db_counts:
            problems.append(f"{name}: the database opens with other counts: {counts(db)}")
        if rejects.read_bytes() != old_rejects:
            problems.append(
                f"{name}: killed at {took:.1f} s, the rejects file no longer belongs to the "
                f"database's import: it holds {rejects_rows(rejects)} rows, the database's "
                f"import rejected {db_counts['import_rejects']}"
            )
            # The old import's rejects back, so that the later moments test the rest alone.
            rejects.write_bytes(old_rejects)
    # The next import that succeeds clears what the killed ones left behind.
    left = building_files(db)
    imp = Import(demo, db)
    imp.proc.wait(IMPORT_BOUND_S)
    imp.kill()
    assert imp.proc.returncode == 0, imp.lines[-5:]
    after = counts(db)
    assert after["leads"] > 0
    assert after != db_counts
    assert rejects_rows(rejects) == after["import_rejects"]
    remaining = building_files(db)
    if remaining:
        problems.append(
            f"after a successful import {len(remaining)} building file(s) of killed imports "
            f"remain ({', '.join(remaining)}; {len(left)} were there before it)"
        )
    assert not problems, "\n".join(problems)
