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
