"""Progress of a check or an import (issue 19, item 3): a stage per file read, per table built,
the finishing, and for an import the staging and the writing; each reported as it begins and as
it ends with its rows; on the command line a line per stage on stderr (`--quiet` silences it);
on the Data page a progress bar.

The export is written here: leads.csv with 3 rows (L3's date is not a date, so 2 are accepted)
and touches.csv with 4 rows (all of known leads). So, by hand: reading leads.csv handles 3 rows
and building leads types 3; reading touches.csv 4 and building touches 4; the staging stages the
2 accepted leads; the rejects file gets the 1 rejected row. The stages: finding the files (1),
two files read and two tables built (4), finishing (1): 6 for a check, 8 with the import's two.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from handoff import importer, ui
from handoff.importer.progress import Stage, Tracker
from tests.conftest import GOLDEN, ROOT, write_dataset

LEADS = (
    "lead_id,created_at,source\n"
    "L1,2026-01-05 09:00,Web\n"
    "L2,2026-01-06 10:00,Referral\n"
    "L3,not a date,Web\n"
)
TOUCHES = (
    "lead_id,touched_at,channel,campaign\n"
    "L1,2026-01-04 09:00,Paid search,Spring\n"
    "L1,2026-01-05 08:00,Email,Spring\n"
    "L2,2026-01-05 10:00,Email,Spring\n"
    "L2,2026-01-06 09:00,Paid search,Spring\n"
)
CHECK_STAGES = [
    ("finding the export's files", None),
    ("reading leads.csv", 3),
    ("building leads: typing and checking", 3),
    ("reading touches.csv", 4),
    ("building touches: typing and checking", 4),
    ("finishing: label spellings, lead attributes, the import's record", None),
]
IMPORT_STAGES = [
    *CHECK_STAGES,
    ("building the staging tables", 2),
    ("writing the rejects file and the database", 1),
]


@pytest.fixture
def export(tmp_path):
    return write_dataset(tmp_path / "export", leads=LEADS, touches=TOUCHES)


def ended(stages: list[Stage]) -> list[tuple[str, int | None]]:
    return [(s.name, s.rows) for s in stages if s.ended]


def test_stage_lines_and_share_done():
    assert Stage("reading leads.csv", 2, 8).line() == "[2/8] reading leads.csv ..."
    done = Stage("reading leads.csv", 2, 8, rows=1_200_000, seconds=4.0)
    assert done.line() == "[2/8] reading leads.csv: 1,200,000 rows in 4.0 s, 300,000 rows/s"
    # Begun, stage 2 of 8 has 1 stage behind it; ended, 2.
    assert Stage("x", 2, 8).done == 1 / 8
    assert done.done == 2 / 8
    # Before the files are found the stages are not known: no share, a question mark.
    assert Stage("finding the export's files", 1, None).done == 0.0
    assert Stage("finding the export's files", 1, None).line().startswith("[1/?] ")
    # Too quick to time: no rate rather than a made-up one; a stage without rows says its time.
    assert Stage("s", 3, 8, rows=739, seconds=0.01).line() == "[3/8] s: 739 rows in 0.0 s"
    assert Stage("s", 3, 8, rows=None, seconds=1.25).line() == "[3/8] s: 1.2 s"
    assert Stage("s", 3, 8, rows=0, seconds=1.0, unit="rejected row").line() == (
        "[3/8] s: 0 rejected rows in 1.0 s"
    )


def test_tracker_numbers_stages_and_does_not_report_a_failed_stage_as_ended():
    seen: list[Stage] = []
    tracker = Tracker(seen.append)
    with tracker.stage("first"):
        pass
    tracker.expect(2)  # 1 run + 2 planned

    def fails() -> None:
        with tracker.stage("second") as stage:
            stage.rows = 5
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert [(s.name, s.step, s.steps, s.ended) for s in seen] == [
        ("first", 1, None, False),
        ("first", 1, None, True),
        ("second", 2, 3, False),
    ]


def test_check_reports_each_stage_with_its_rows(export, golden_agreement):
    seen: list[Stage] = []
    result, con = importer.check_dataset(export, golden_agreement, seen.append)
    con.close()
    assert result.n_rejected == 1
    assert ended(seen) == CHECK_STAGES
    # Every stage begins before it ends, and the share done only grows, to all of it.
    assert [s.ended for s in seen] == [False, True] * len(CHECK_STAGES)
    shares = [s.done for s in seen]
    assert shares == sorted(shares)
    assert shares[-1] == 1.0
    assert {s.steps for s in seen[2:]} == {len(CHECK_STAGES)}


def test_import_adds_the_staging_and_the_writing(export, golden_agreement, tmp_path):
    seen: list[Stage] = []
    importer.import_dataset(export, tmp_path / "h.duckdb", golden_agreement, progress=seen.append)
    assert ended(seen) == IMPORT_STAGES
    assert ": 1 rejected row in " in seen[-1].line()
    assert seen[-1].done == 1.0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "handoff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_cli_prints_a_line_per_stage_on_stderr_and_quiet_silences_it(export, tmp_path):
    agreement = str(GOLDEN / "agreement.toml")
    db = str(tmp_path / "cli.duckdb")
    done = run_cli("import", str(export), "--db", db, "--agreement", agreement)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    # Not a terminal: each stage's beginning and its end, on stderr only.
    assert lines[0] == "[1/?] finding the export's files ..."
    assert "[2/8] reading leads.csv ..." in lines
    assert any(line.startswith("[2/8] reading leads.csv: 3 rows in ") for line in lines)
    assert any(line.startswith("[7/8] building the staging tables: 2 leads in ") for line in lines)
    assert any(
        line.startswith("[8/8] writing the rejects file and the database: 1 rejected row in ")
        for line in lines
    )
    assert len([line for line in lines if line.startswith("[")]) == 2 * len(IMPORT_STAGES)
    assert "[2/8]" not in done.stdout
    quiet = run_cli("import", str(export), "--db", db, "--agreement", agreement, "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "leads.csv" in quiet.stdout  # the summary is still printed
    checked = run_cli("check", str(export), "--agreement", agreement)
    assert "[6/6] finishing" in checked.stderr
    assert run_cli("check", str(export), "--agreement", agreement, "--quiet").stderr == ""


def test_data_page_shows_a_progress_bar_during_check_and_import(
    export, golden_db_path, tmp_path, monkeypatch
):
    db_path = tmp_path / "data" / "handoff.duckdb"
    db_path.parent.mkdir()
    shutil.copy(golden_db_path, db_path)
    monkeypatch.setenv("HANDOFF_DB", str(db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    shown: list[tuple[str, Stage]] = []
    # The bar is drawn and emptied within one run; what it was given is recorded here.
    real = ui.StageBar.__call__
    monkeypatch.setattr(
        ui.StageBar,
        "__call__",
        lambda self, stage: (shown.append((self.what, stage)), real(self, stage))[1],
    )
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.run()
    app.switch_page("pages/data.py").run()
    app.file_uploader(key="upload_files").set_value(
        [
            ("leads.csv", LEADS.encode(), "text/csv"),
            ("touches.csv", TOUCHES.encode(), "text/csv"),
        ]
    ).run()
    assert not app.exception
    app.button[0].click().run()  # Check
    assert not app.exception
    assert [(s.name, s.rows) for w, s in shown if s.ended] == CHECK_STAGES
    assert {w for w, _ in shown} == {"Checking the export"}
    shown.clear()
    app.button[1].click().run()  # Import
    assert not app.exception
    assert [(s.name, s.rows) for w, s in shown if s.ended] == IMPORT_STAGES
    assert {w for w, _ in shown} == {"Importing the export"}
    assert not app.get("progress")  # emptied once the outcome is shown
    st.cache_data.clear()
    st.cache_resource.clear()


def test_an_update_reports_its_reading_then_its_own_stages(export, golden_agreement, tmp_path):
    db = tmp_path / "u.duckdb"
    importer.import_dataset(export, db, golden_agreement)
    seen: list[Stage] = []
    importer.update_dataset(export, db, golden_agreement, progress=seen.append)
    names = [s.name for s in seen if s.ended]
    # The newer export read as a check reads it, then copying, comparing, merging, staging.
    assert names[: len(CHECK_STAGES)] == [n for n, _ in CHECK_STAGES]
    assert names[len(CHECK_STAGES) : len(CHECK_STAGES) + 3] == [
        "copying the database to update it",
        "comparing the export with the database",
        "merging the export into the database",
    ]
    assert names[-1].startswith("building the staging tables")
    assert len(names) == len(CHECK_STAGES) + 4
    assert seen[-1].done == 1.0
