"""The statements built without insertion order (handoff.db.unordered) must each end in an ORDER
BY of their own: it alone decides the order their rows are stored in."""

from __future__ import annotations

import re

import pytest

from handoff import db
from tests.conftest import ROOT

# The last ORDER BY of the text, outside any parentheses, with nothing after it but its keys.
FINAL_ORDER_BY = re.compile(r"\border\s+by\s+[\w\s,.]+$", re.IGNORECASE)


def _body(text: str) -> str:
    """The SQL without its comments."""
    return re.sub(r"--[^\n]*", "", text).strip()


@pytest.mark.parametrize("name", sorted(db.SORTED_STAGING))
def test_sorted_staging_ends_in_order_by(name):
    text = _body(db.load_query(name, "staging").path.read_text(encoding="utf-8"))
    assert FINAL_ORDER_BY.search(text), f"{name} no longer ends in an ORDER BY"


@pytest.mark.parametrize("name", ["leads", "touches"])
def test_sorted_canonical_tables_end_in_order_by(name):
    text = _body((db.QUERY_DIR / "import" / f"{name}.sql").read_text(encoding="utf-8"))
    assert FINAL_ORDER_BY.search(text), f"import/{name}.sql no longer ends in an ORDER BY"


def test_final_order_by_is_told_from_an_inner_one():
    # An ORDER BY inside a window or a subquery does not order the stored rows.
    assert not FINAL_ORDER_BY.search("select *, lag(x) over (order by t) from a")
    assert not FINAL_ORDER_BY.search("select * from (select * from a order by t) as s")
    assert FINAL_ORDER_BY.search("select * from final\norder by lead_key, rule_type desc, rule_no")


def test_bench_run_keeps_the_hand_written_tail_of_results_md(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    monkeypatch.setattr(run, "markdown", lambda results: "# generated\n")
    out = tmp_path / "results.md"
    out.write_text("# old generated\n\n" + run.KEPT_MARK + "\n## by hand\n", encoding="utf-8")
    run._write({}, out)
    # The generated part is replaced; the part from the mark on is kept as it was.
    assert out.read_text(encoding="utf-8") == "# generated\n\n" + run.KEPT_MARK + "\n## by hand\n"
    out.write_text("# old generated, no mark\n", encoding="utf-8")
    run._write({}, out)
    assert out.read_text(encoding="utf-8") == "# generated\n"


def test_profiled_import_stages_as_the_import_does(tmp_path):
    """bench/import_speed.py times each staging statement, and runs it as the import does: the
    sorted ones without insertion order (db.unordered), so its figures are the import's."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, sys; sys.path.insert(0, 'bench'); import import_speed\n"
        "from handoff import db\n"
        "seen = []; real = db.unordered\n"
        "def unordered(con, sql, params=None):\n"
        "    seen.append(str(sql)); return real(con, sql, params)\n"
        "db.unordered = unordered\n"
        "folder = sys.argv[1]\n"
        "out = import_speed.profiled_import(folder, sys.argv[2], folder + '/agreement.toml', 0)\n"
        "print(json.dumps({'seen': seen, 'profile': out['profile']}))\n"
    )
    fixture = ROOT / "tests" / "fixtures" / "golden"
    done = subprocess.run(
        [sys.executable, "-c", script, str(fixture), str(tmp_path / "x.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    # The leads and touches tables are built unordered (2 statements); every sorted staging
    # table is too, one statement each.
    assert len(answer["seen"]) == 2 + len(db.SORTED_STAGING)
    # Each staging statement has its own line (every step is kept: min_seconds 0; by default
    # those under 0.05 s are left out, and on a quiet machine this fixture's are all under it).
    assert "staging stg_leads" in answer["profile"]
