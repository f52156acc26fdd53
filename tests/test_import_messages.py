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


def test_duplicates_are_counted_under_one_cause_and_each_row_keeps_its_line(tmp_path, capsys):
    # Leads A, B, C each appear twice: lines 5, 6, 7 repeat lines 2, 3, 4. One cause, three
    # rows; the row-level list keeps "first seen on line 2/3/4". The mapping reads lead_id from
    # the file's column "id": the messages name both.
    rows = "".join(f"{k},2026-01-0{i},web\n" for i, k in enumerate("ABCABC", start=1))
    folder = write_dataset(tmp_path / "x", a="id,at,s\n" + rows)
    path = _mapping(tmp_path)
    assert main(["check", str(folder), "--mapping", str(path), "--agreement",
                 str(DEMO_AGREEMENT)]) == 1  # fmt: skip
    out = capsys.readouterr().out
    by_cause = out.split("Rejected rows by cause:")[1].split("\n\n")[0].strip().splitlines()
    assert by_cause == ["3  leads: id: duplicate lead_id"], out
    for line, first in ((5, 2), (6, 3), (7, 4)):
        assert f'a.csv line {line}, column "id" (lead_id): duplicate lead_id \'' in out
        assert f"first seen on line {first}\n" in out, out
    assert "3 rows would be rejected" in out


_TWO_FROM_ONE = _MAPPING.replace('created_at = "at"\n', 'created_at = "at"\nmql_at = "at"\n')


def test_a_bad_date_names_file_line_both_columns_and_suggests_a_date_format(tmp_path, capsys):
    # Line 3's value reads as day/month/year with hours and minutes; line 4's in no common
    # format. "at" feeds created_at and mql_at: each value is said once, naming both.
    folder = write_dataset(
        tmp_path / "x", a="id,at,s\nA,2026-01-05,web\nB,31/12/2025 14:00,web\nC,soon,web\n"
    )
    path = _mapping(tmp_path, _TWO_FROM_ONE)
    assert main(["check", str(folder), "--mapping", str(path), "--agreement",
                 str(DEMO_AGREEMENT)]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert (
        'a.csv line 3, column "at" (created_at, mql_at): "31/12/2025 14:00" is not a date; '
        'add date_formats = ["%d/%m/%Y %H:%M"] to the mapping\n'
    ) in out, out
    assert (
        'a.csv line 4, column "at" (created_at, mql_at): "soon" is not a date (expected ISO 8601'
        " (2026-01-31, 2026-01-31T14:05:00+01:00)); if it is one, add its format to date_formats"
        " in the mapping"
    ) in out, out
    assert out.count("31/12/2025 14:00") == 1, out
    assert "     2  leads: at: is not a date in a format the mapping reads (date_formats)\n" in out


def test_the_suggested_format_reads_the_value_it_was_suggested_for(tmp_path, capsys):
    # The suggestion, added to the mapping, makes the same file import without a reject.
    folder = write_dataset(tmp_path / "x", a="id,at,s\nA,05.01.2026 09:30,web\n")
    path = _mapping(tmp_path)
    assert main(["check", str(folder), "--mapping", str(path), "--agreement",
                 str(DEMO_AGREEMENT)]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert 'add date_formats = ["%d.%m.%Y %H:%M"] to the mapping' in out, out
    path.write_text(_MAPPING.replace('title = "Notes test"\n',
                                     'title = "Notes test"\ndate_formats = ["%d.%m.%Y %H:%M"]\n'),
                    encoding="utf-8")  # fmt: skip
    assert main(["check", str(folder), "--mapping", str(path), "--agreement",
                 str(DEMO_AGREEMENT)]) == 0  # fmt: skip


def test_a_bad_amount_names_the_file_column_and_the_canonical_one(tmp_path, capsys):
    # Deal D2's amount "12,5" (a decimal comma) is no number; D3's -5 is below 0.
    mapping = _MAPPING + (
        '[files.d]\ntable = "deals"\nmatch = ["deal"]\n[files.d.columns]\n'
        'deal_id = "deal"\nlead_id = "lead"\ncreated_at = "on"\nstatus = "st"\namount = "Amt"\n'
    )
    folder = write_dataset(
        tmp_path / "x",
        a="id,at,s\nA,2026-01-05,web\n",
        d='deal,lead,on,st,Amt\nD1,A,2026-01-06,open,100\nD2,A,2026-01-06,open,"12,5"\n'
        "D3,A,2026-01-06,open,-5\n",
    )
    assert main(["check", str(folder), "--mapping", str(_mapping(tmp_path, mapping)),
                 "--agreement", str(DEMO_AGREEMENT)]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "d.csv line 3, column \"Amt\" (amount): '12,5' is not a number" in out, out
    assert "d.csv line 4, column \"Amt\" (amount): '-5' is below 0" in out, out
