"""What `check` and `import` say on the command line: the mapping's notes, rejects grouped by
cause with the row-level detail kept, and typed-value errors that name the fix."""

from __future__ import annotations

from handoff.cli import main
from tests.conftest import DEMO_AGREEMENT, write_dataset

_MAPPING = """title = "Notes test"
notes = ["Every lead is handed to sales when it is created.", "Blank sources are (unknown)."]
[files.a]
table = "leads"
match = ["id"]
[files.a.columns]
lead_id = "id"
created_at = "at"
source = "s"
"""


def _mapping(tmp_path, text=_MAPPING):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_and_import_print_the_mapping_notes_once_before_the_results(tmp_path, capsys):
    folder = write_dataset(tmp_path / "x", a="id,at,s\nA,2026-01-05,web\nB,2026-01-06,\n")
    path = _mapping(tmp_path)
    db = tmp_path / "h.duckdb"
    for args in (
        ["check", str(folder), "--mapping", str(path)],
        ["import", str(folder), "--mapping", str(path), "--db", str(db)],
    ):
        assert main([*args, "--agreement", str(DEMO_AGREEMENT)]) == 0
        out = capsys.readouterr().out
        for note in ("Every lead is handed to sales when it is created.",
                     "Blank sources are (unknown)."):  # fmt: skip
            assert out.count(note) == 1, out
            assert out.index(note) < out.index("accepted"), out
