"""Outside tests, no block of six or more lines appears twice (issue 17): a copied block is a
helper waiting to be named. Lines are compared stripped, with blank and comment-only lines
dropped, so re-indenting a copy does not hide it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = 6  # lines


def sources(root: Path = ROOT) -> list[Path]:
    """The application's Python: handoff/ (with subpackages), pages/ and app.py."""
    return sorted(
        [*root.glob("handoff/**/*.py"), *root.glob("pages/*.py"), root / "app.py"],
    )


def normalised(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line) for every line that is not blank or only a comment."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, stripped))
    return out


def repeated_runs(files: dict[str, str], run: int = RUN) -> list[tuple[str, str]]:
    """Pairs of places ("file:line") where the same `run` consecutive normalised lines start;
    a longer copied block is named once, by its first line."""
    places: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    numbers = {}
    for name, text in files.items():
        lines = normalised(text)
        numbers[name] = [number for number, _ in lines]
        for start in range(len(lines) - run + 1):
            window = tuple(line for _, line in lines[start : start + run])
            places[window].append((name, start))
    pairs = {
        (first, other) for where in places.values() for first in where[:1] for other in where[1:]
    }
    # A pair whose two places both continue a pair one line up is the same block again.
    starts = {(a, b) for a, b in pairs if ((a[0], a[1] - 1), (b[0], b[1] - 1)) not in pairs}
    return sorted(
        (f"{a[0]}:{numbers[a[0]][a[1]]}", f"{b[0]}:{numbers[b[0]][b[1]]}") for a, b in starts
    )


def test_the_scanner_finds_a_copied_block_and_ignores_a_short_one():
    # Worked by hand: `block` is six lines; a.py has it once, re-indented in b.py with a comment
    # and a blank line inside (both dropped), so the one pair is a.py:1 ~ b.py:2. Five of its
    # lines again in c.py are one short of a run.
    block = [f"x{n} = {n}" for n in range(6)]
    a = "\n".join(block)
    b = "def f():\n" + "\n".join(
        ["    " + block[0], "    # a comment", "", *("    " + line for line in block[1:])]
    )
    c = "\n".join(block[:5])
    assert repeated_runs({"a.py": a, "b.py": b, "c.py": c}) == [("a.py:1", "b.py:2")]
    # Inside one file too: the block twice, apart, is one pair; seven lines twice are still
    # one pair (two overlapping runs of six, named by the first).
    assert repeated_runs({"d.py": a + "\ny = 0\n" + a}) == [("d.py:1", "d.py:8")]
    seven = a + "\nx6 = 6"
    assert repeated_runs({"e.py": seven, "f.py": seven}) == [("e.py:1", "f.py:1")]


def test_no_block_of_six_lines_appears_twice_outside_tests():
    files = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in sources()}
    assert {"app.py", "pages/funnel.py", "handoff/metrics.py"} <= set(files)
    assert repeated_runs(files) == []
