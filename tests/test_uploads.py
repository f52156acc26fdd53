"""Uploaded files are written only inside the data folder's uploads/, under safe names."""

from __future__ import annotations

import pytest

from handoff import uploads


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Leads.csv", "Leads.csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\leads.tsv", "leads.tsv"),
        ("/abs/path/deals.parquet", "deals.parquet"),
        ("my mapping (v2).toml", "my mapping _v2_.toml"),
        ("semi;colon$`rm -rf`.csv", "semi_colon_rm -rf_.csv"),
        ("notes.exe", None),  # not a data file
        (".hidden.csv", "hidden.csv"),  # no hidden files
        ("..", None),
        ("", None),
        ("x" * 200 + ".csv", None),  # too long
    ],
)
def test_safe_name(name, stored):
    assert uploads.safe_name(name) == stored


def test_save_stays_inside_the_upload_folder(tmp_path):
    root = tmp_path / "data" / "uploads"
    saved = uploads.save(
        [
            ("../../escape.csv", b"a\n1\n"),
            ("map.toml", b'title = "x"\n'),
            ("second.toml", b""),
            ("escape.csv", b"again"),
            ("run.sh", b"#!/bin/sh"),
        ],
        root,
    )
    assert [p.name for p in saved.files] == ["escape.csv"]
    assert saved.mapping is not None
    assert saved.mapping.name == "map.toml"
    assert saved.refused == [
        "second.toml: only one mapping file per upload",
        "escape.csv: a second file named escape.csv",
        "run.sh: not a data file (.csv, .tsv, .txt, .parquet, .toml) with a usable name",
    ]
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert [str(p.parent.parent) for p in written] == ["data/uploads", "data/uploads"]
    assert (saved.folder / "escape.csv").read_bytes() == b"a\n1\n"


def test_old_upload_folders_are_removed(tmp_path):
    root = tmp_path / "uploads"
    for n in range(uploads.KEEP_FOLDERS + 3):
        (root / f"20260101-00000{n}-old").mkdir(parents=True)
    saved = uploads.save([("leads.csv", b"x")], root)
    left = sorted(p.name for p in root.iterdir())
    assert len(left) == uploads.KEEP_FOLDERS
    assert saved.folder.name in left


def test_changes_per_table():
    assert uploads.changes({"leads": 10, "deals": 2}, {"leads": 6, "deals": 2, "spend": 4}) == [
        {"table": "leads", "rows_before": 10, "rows_after": 6, "change": -4},
        {"table": "deals", "rows_before": 2, "rows_after": 2, "change": 0},
        {"table": "spend", "rows_before": 0, "rows_after": 4, "change": 4},
    ]
