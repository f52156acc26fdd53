"""Meta-tests on the code's layout: the importer reads as a pipeline of short functions, and
its SQL lives in queries/import/, every file of it used."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

IMPORTER = ROOT / "handoff" / "importer"
MAX_FUNCTION_LINES = 60


def _function_lengths(source: str) -> list[tuple[str, int]]:
    """(name, lines) of every function and method in a module, nested ones included."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def test_function_lengths_are_counted_from_def_to_last_line():
    # Worked by hand: `f` spans lines 1-4 (its nested `g` lines 2-3), `h` the lines 6-7.
    source = "def f():\n    def g():\n        pass\n    return g\n\ndef h(a,\n      b): pass\n"
    assert sorted(_function_lengths(source)) == [("f", 4), ("g", 2), ("h", 2)]


@pytest.mark.parametrize("path", sorted(IMPORTER.glob("*.py")), ids=lambda p: p.name)
def test_no_importer_function_is_over_60_lines(path):
    long = [
        f"{path.name}: {name} has {n} lines"
        for name, n in _function_lengths(path.read_text(encoding="utf-8"))
        if n > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_every_import_query_is_used_by_the_importer():
    """Each queries/import/<name>.sql is run by name somewhere in handoff/importer/."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in IMPORTER.glob("*.py"))
    names = sorted(p.stem for p in (ROOT / "queries" / "import").glob("*.sql"))
    assert names
    unused = [n for n in names if not re.search(rf"[\"']{n}[\"']", code)]
    # leads.sql and touches.sql are run by their table's name (build._create_table).
    unused = [n for n in unused if n not in ("leads", "touches")]
    assert unused == []
