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
