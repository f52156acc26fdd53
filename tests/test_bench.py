"""The benchmark at 100,000 leads, every step, quickly: keeps bench/run.py working. (The real
run, at 1 and 10 million leads, takes an hour: `bench/run.py`, results in bench/results.md.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.bench


def test_the_benchmark_runs_end_to_end_at_100k(tmp_path):
    out = tmp_path / "results.md"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "100000", "--quick",
         "--work", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    results = json.loads(out.with_suffix(".json").read_text())
    size = results["sizes"][0]
    assert size["n_leads"] == 100_000
    # The demo: 100,000 leads, about 10.4 touches each, all read and imported.
    assert size["import"]["rows"].replace(",", "").isdigit()
    assert int(size["import"]["rows"].replace(",", "")) > 1_000_000
    pages = size["pages"]["pages"]
    assert set(pages) == {
        "app.py", "pages/funnel.py", "pages/discards.py", "pages/quality.py",
        "pages/follow_up.py", "pages/attribution.py", "pages/data.py", "pages/definitions.py",
        "pages/lead.py",
    }  # fmt: skip
    assert pages["pages/funnel.py"]["n_queries"] >= 7
    assert all(p["warm_seconds"] >= 0 and p["reference_seconds"] > 0 for p in pages.values())
    assert size["first_page"]["errors"] == 0
    assert size["filter_latency"]["n"] == 5
    assert size["concurrency"]["errors"] == 0
    assert size["concurrency"]["wrong_numbers"] == 0
    text = out.read_text()
    assert "| pages/funnel.py |" in text
    assert "Filter change to chart redrawn" in text


@pytest.fixture(scope="module")
def small_demo_db(tmp_path_factory):
    """A 3,000-lead demo database, for the meeting benchmark's quick run."""
    from handoff import agreement as agreement_mod
    from handoff import demo, importer

    folder = tmp_path_factory.mktemp("meeting")
    demo.generate(folder / "demo", n_leads=3_000, months=6)
    agreement = agreement_mod.load(ROOT / "data" / "agreement.toml")
    return importer.import_dataset(folder / "demo", folder / "demo.duckdb", agreement).db_path


def test_the_meeting_benchmark_runs_and_compares_what_sessions_see(small_demo_db, tmp_path):
    out = tmp_path / "meeting.md"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "meeting.py"), str(small_demo_db), "--sessions",
         "3", "--within", "1", "--changers", "2", "--seconds", "3", "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    results = json.loads(out.with_suffix(".json").read_text())
    link, changing, single = (
        results["shared_link"], results["filter_changes"], results["single_session"]
    )  # fmt: skip
    assert link["n"] == 3
    assert link["errors"] == 0
    assert link["unlike_single_session"] == 0
    assert link["reference_elements"] > 20  # the funnel page's texts, metrics, charts, tables
    assert link["app_peak_rss_gb"] > 0
    # Each changer changes a filter at least once in its 3 s (a change takes well under 1 s
    # on 3,000 leads), and sees what one session alone saw at that step.
    assert changing["changes"] >= 2
    assert changing["errors"] == 0
    assert changing["unlike_single_session"] == 0
    assert single["n"] == 24
    assert single["errors"] == 0
    assert "| shared link: page complete p95 < 3 s |" in out.read_text()


def test_the_meetings_page_comparison_tells_two_links_apart(small_demo_db):
    # The check "no number unlike a single session's" could not fail if every page digested
    # alike: two sessions on one link see the same page, on two periods two different ones.
    import asyncio

    sys.path.insert(0, str(ROOT / "bench"))
    import meeting

    app = meeting.App(small_demo_db)
    try:
        quarter = asyncio.run(meeting._open_one(app.url, "funnel?period=last_quarter"))
        again = asyncio.run(meeting._open_one(app.url, "funnel?period=last_quarter"))
        year = asyncio.run(meeting._open_one(app.url, "funnel?period=ytd"))
    finally:
        app.close()
    assert quarter.finished
    assert quarter.errors == 0
    assert quarter.page == again.page
    assert quarter.page != year.page
