"""Reading files safely (issue 16): limits refused before any work, wide headers, over-long
lines, stray quotes, encodings, empty files, blank lines, NUL bytes, glob characters in paths,
symbolic links, one import at a time, and what killed imports leave behind. Each case is built
from the audit's reproducer; line numbers are the ones a text editor shows."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import time

import duckdb
import pytest

from handoff import importer
from handoff.importer import limits, scan
from tests.conftest import GOLDEN, ROOT, check_files, write_dataset

HEADER = "lead_id,created_at,source\n"
HUBSPOT = ROOT / "tests" / "fixtures" / "hubspot"


check = check_files


def leads_counts(result):
    t = next(t for t in result.tables if t.table == "leads")
    return (t.n_read, t.n_accepted, t.n_rejected)


def rejects(con):
    return con.execute("select line, reason from import_rejects order by line").fetchall()


def lead_lines(con):
    """The accepted leads' ids."""
    return con.execute("select lead_id from leads order by lead_id").fetchall()


# --- Item 2: limits, before the work starts --------------------------------------------------


def test_parquet_decompression_bomb_is_refused_from_its_metadata(tmp_path, golden_agreement):
    folder = tmp_path / "bomb"
    folder.mkdir()
    duckdb.connect().execute(
        "copy (select 'L1' lead_id, '2026-01-01' created_at, 'Web' source"
        " from range(20000000)) to $p (compression zstd)",
        {"p": str(folder / "leads.parquet")},
    )
    db_path = tmp_path / "live.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    before = db_path.read_bytes()
    started = time.monotonic()
    with pytest.raises(importer.ImportFailure) as caught:
        importer.check_dataset(folder, golden_agreement)
    with pytest.raises(importer.ImportFailure):
        importer.import_dataset(folder, db_path, golden_agreement)
    assert time.monotonic() - started < 5  # was 106 s and 4.6 GB
    message = str(caught.value)
    assert message.startswith("leads.parquet: 20,000,000 rows in ")
    assert "rows per byte" in message
    assert "decompression bomb" in message
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HANDOFF_MAX_ROWS_PER_FILE", "2", "leads.csv: 3 rows; at most 2 are read from one file"),
        ("HANDOFF_MAX_FILE_BYTES", "50", "leads.csv: 80 bytes; at most 50 are read from one file"),
        ("HANDOFF_MAX_COLUMNS", "2", "leads.csv: the header has 3 columns; at most 2 are read"),
        ("HANDOFF_MAX_ROWS_PER_FILE", "many", "HANDOFF_MAX_ROWS_PER_FILE='many' is not a number"),
    ],
)
def test_csv_limits_are_refused_with_the_limit_and_the_figure(
    tmp_path, golden_agreement, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    content = HEADER + "L1,2026-01-01,Web\nL2,2026-01-02,Web\nL3,2026-01-03,Web\n"
    assert len(content) == 80
    with pytest.raises(importer.ImportFailure, match=re.escape(message)):
        check(tmp_path, golden_agreement, leads=content)


def test_parquet_limits_per_file_and_per_table(tmp_path, golden_agreement, monkeypatch):
    folder = tmp_path / "pq"
    folder.mkdir()
    duckdb.connect().execute(
        "copy (select 'L' || range lead_id, '2026-01-01' created_at, 'Web' source"
        " from range(5)) to $p",
        {"p": str(folder / "leads.parquet")},
    )
    monkeypatch.setenv("HANDOFF_MAX_ROWS_PER_FILE", "4")
    with pytest.raises(importer.ImportFailure, match=r"leads.parquet: 5 rows; at most 4 are read"):
        importer.check_dataset(folder, golden_agreement)
    monkeypatch.setenv("HANDOFF_MAX_ROWS_PER_FILE", "5")
    monkeypatch.setenv("HANDOFF_MAX_ROWS_PER_TABLE", "4")
    with pytest.raises(importer.ImportFailure, match="leads: 5 rows in its files"):
        importer.check_dataset(folder, golden_agreement)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            gzip.compress((HEADER + "L1,2026-01-01,Web\n").encode(), mtime=0),
            "a gzip-compressed file",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "a zip-compressed file"),
    ],
)
def test_compressed_csv_is_refused(tmp_path, golden_agreement, content, said):
    with pytest.raises(importer.ImportFailure, match=f"leads.csv: {said}"):
        check(tmp_path, golden_agreement, leads=content)


def test_second_import_into_the_same_database_stops_naming_the_first(
    tmp_path, golden_agreement, monkeypatch
):
    db_path = tmp_path / "handoff.duckdb"
    monkeypatch.setenv("HANDOFF_IMPORT_WAIT_SECONDS", "0.5")
    with (
        limits.import_lock(db_path, 0, "importing /exports/first"),
        pytest.raises(importer.ImportFailure) as caught,
    ):
        importer.import_dataset(GOLDEN, db_path, golden_agreement)
    message = str(caught.value)
    assert "another import into this database is running" in message
    assert f"pid {os.getpid()}" in message
    assert "importing /exports/first" in message
    assert not db_path.exists()
    # Once the first has finished, the next import goes ahead.
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    assert db_path.exists()


def test_killed_imports_leave_nothing_behind_at_the_next_import(tmp_path, golden_agreement):
    db_path = tmp_path / "handoff.duckdb"
    dead = 2**22 + 12345  # above Linux's pid_max default: no such process
    stale = [
        tmp_path / f".handoff.duckdb.building-{dead}-0a1b2c3d",
        tmp_path / f".handoff.duckdb.building-{dead}-0a1b2c3d.wal",
        tmp_path / f".handoff.rejects.csv.building-{dead}-0a1b2c3d",
    ]
    for p in stale:
        p.write_bytes(b"x" * 1000)
    live = tmp_path / f".handoff.duckdb.building-{os.getpid()}-99999999"
    live.write_bytes(b"in use")
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    assert not any(p.exists() for p in stale)
    assert live.exists()  # its process is alive: not ours to remove


def test_rejects_file_is_swapped_in_with_the_database(tmp_path, golden_agreement, monkeypatch):
    db_path = tmp_path / "handoff.duckdb"
    good = write_dataset(tmp_path / "good", leads=HEADER + "L1,2026-01-01,Web\nL2,nope,Web\n")
    importer.import_dataset(good, db_path, golden_agreement)
    rejects_path = importer.default_rejects_path(db_path)
    before = rejects_path.read_text()
    assert "nope" in before
    other = write_dataset(tmp_path / "other", leads=HEADER + "L1,2026-01-01,Web\nL9,never,Web\n")
    real_replace = os.replace

    def killed(src, dst):  # the process dies as the database is swapped in
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        importer.import_dataset(other, db_path, golden_agreement)
    monkeypatch.setattr(os, "replace", real_replace)
    assert rejects_path.read_text() == before  # still the live database's rejects
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [
        ".handoff.duckdb.import-lock"
    ]


# --- Item 3: very wide headers ----------------------------------------------------------------


def test_a_very_wide_header_is_refused_at_once_naming_the_count(tmp_path, golden_agreement):
    header = ",".join(f"c{i}" for i in range(100_000))
    started = time.monotonic()
    with pytest.raises(importer.ImportFailure) as caught:
        check(tmp_path, golden_agreement, leads=header + "\n" + ",".join("x" * 100_000) + "\n")
    assert time.monotonic() - started < 2  # was DuckDB's "Out of Memory Error"
    assert str(caught.value).startswith(
        "leads.csv: the header has 100,000 columns; at most 1,000 are read"
    )


def test_a_header_line_longer_than_a_megabyte_is_refused(tmp_path, golden_agreement):
    header = ",".join(f"column_{i:07d}" for i in range(200_000))  # 3 MB, no newline read
    with pytest.raises(
        importer.ImportFailure,
        match=r"the header line has more than 69,905 columns in its first 1,048,576 bytes",
    ):
        check(tmp_path, golden_agreement, leads=header + "\nx\n")


def test_a_thousand_columns_are_read(tmp_path, golden_agreement):
    extra = [f"attr_{i}" for i in range(997)]
    header = "lead_id,created_at,source," + ",".join(extra) + "\n"
    row = "L1,2026-01-01,Web," + ",".join("v" for _ in extra) + "\n"
    result, _ = check(tmp_path, golden_agreement, leads=header + row)
    assert leads_counts(result) == (1, 1, 0)
    assert len(result.lead_attributes) == 997


# --- Item 4: over-long lines rejected one by one ----------------------------------------------


@pytest.mark.parametrize("long_at", [2, 4])
def test_over_long_lines_are_rejected_one_by_one(tmp_path, golden_agreement, long_at):
    rows = ["z1,2026-01-01,Web", "z2,2026-01-02,Web", "z3,2026-01-03,Web"]
    rows[long_at - 2] = "z9," + "9" * 9_000_000 + ",Web"
    result, con = check(tmp_path, golden_agreement, leads=HEADER + "\n".join(rows) + "\n")
    assert leads_counts(result) == (3, 2, 1)
    [(line, reason)] = rejects(con)
    assert (line, reason) == (long_at, "line longer than 8,000,000 bytes")
    kept = {r[0] for r in lead_lines(con)}
    assert kept == {"z1", "z2", "z3"} - {f"z{long_at - 1}"}


# --- Item 7: stray quotes ---------------------------------------------------------------------

STRAY = (
    HEADER + 'L1,2026-01-01,Web\nL2,2026-01-02,"Web\nL3,2026-01-03,Web\nL4,2026-01-04,Web"\n'
    "L5,2026-01-05,Web\nL6,nope,Web\n"
)


def test_a_stray_quote_that_swallows_rows_is_rejected_naming_the_lines(tmp_path, golden_agreement):
    result, con = check(tmp_path, golden_agreement, leads=STRAY)
    assert leads_counts(result) == (6, 3, 3)  # 6 rows on 6 lines, as many as were written
    got = rejects(con)
    assert got[:2] == [
        (
            3,
            "a quote opened on this line is not closed until line 5, and line 4 in between looks"
            " like a row of its own, so it is read (a stray quote?)",
        ),
        (5, "a quote closes on this line that line 3 opened (a stray quote?)"),
    ]
    assert got[2][0] == 7  # the lines after it keep their numbers
    assert "'nope' is not a date" in got[2][1]
    assert [r[0] for r in lead_lines(con)] == ["L1", "L3", "L5"]
    assert con.execute("select source from leads where lead_id = 'L3'").fetchall() == [("Web",)]


def test_quotes_inside_words_are_characters_not_multi_line_fields(tmp_path, golden_agreement):
    content = HEADER + 'L1,2026-01-01,Web "Ads Jr\nL2,2026-01-02,Web\nL3,2026-01-03,Mail" Jr\n'
    result, con = check(tmp_path, golden_agreement, leads=content)
    assert leads_counts(result) == (3, 3, 0)
    assert con.execute("select source from leads order by lead_id").fetchall() == [
        ('Web "Ads Jr',),
        ("Web",),
        ('Mail" Jr',),
    ]


def test_a_line_break_inside_a_quoted_address_still_imports(tmp_path, golden_agreement):
    content = (
        "lead_id,created_at,source,address\n"
        'L1,2026-01-01,Web,"Hauptstr. 1\n10115 Berlin"\n'
        'L2,2026-01-02,Web,"c/o Rita, Floor 2\nHall 3, Stand 4\nMesse"\n'
        "L3,never,Web,x\n"
    )
    result, con = check(tmp_path, golden_agreement, leads=content)
    assert leads_counts(result) == (3, 2, 1)
    assert rejects(con)[0][0] == 7  # L3 is on line 7 in a text editor
    address = dict(con.execute("select lead_id, address from leads").fetchall())
    assert address == {
        "L1": "Hauptstr. 1\n10115 Berlin",
        "L2": "c/o Rita, Floor 2\nHall 3, Stand 4\nMesse",
    }
    notes = next(t for t in result.tables if t.table == "leads").notes
    assert any("2 record(s) span more than one line" in n and "7 lines" in n for n in notes)


# --- Item 12, file level -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_converted(tmp_path, golden_agreement, encoding):
    text = HEADER + "L1,2026-01-01,Café\nL2,nope,Web\n"
    result, con = check(tmp_path, golden_agreement, leads=text.encode(encoding))
    assert leads_counts(result) == (2, 1, 1)
    assert rejects(con)[0][0] == 3
    assert con.execute("select source from leads").fetchall() == [("Café",)]
    notes = next(t for t in result.tables if t.table == "leads").notes
    assert any("converted to UTF-8" in n for n in notes)


def test_a_utf16_file_of_a_crm_export_is_used(tmp_path, golden_agreement):
    folder = tmp_path / "hubspot"
    shutil.copytree(HUBSPOT, folder)
    deals = folder / "deals.csv"
    deals.write_bytes(deals.read_text(encoding="utf-8").encode("utf-16"))
    plain, _ = importer.check_dataset(HUBSPOT, golden_agreement)
    result, _ = importer.check_dataset(folder, golden_agreement)
    assert result.counts() == plain.counts()
    assert result.counts()["deals"] > 0


def test_an_empty_file_says_empty(tmp_path, golden_agreement):
    with pytest.raises(importer.ImportFailure, match=r"^leads.csv: empty file \(0 bytes\)"):
        check(tmp_path, golden_agreement, leads=b"")


def test_value_errors_after_a_blank_line_name_the_editors_line(tmp_path, golden_agreement):
    content = HEADER + "L1,2026-01-01,Web\n\nL2,nope,Web\n\r\n\nL3,later,Web\nL4,2026-01-02,x"
    result, con = check(tmp_path, golden_agreement, leads=content)
    assert leads_counts(result) == (4, 2, 2)
    assert [line for line, _ in rejects(con)] == [4, 7]


def test_nul_bytes_reject_their_row(tmp_path, golden_agreement):
    content = HEADER.encode() + b"L1,2026-01-01,W\x00eb\nL2,2026-01-02,Web\nL3,bad,Web\n"
    result, con = check(tmp_path, golden_agreement, leads=content)
    assert leads_counts(result) == (3, 1, 2)
    assert rejects(con)[0] == (2, "a NUL byte (binary data, not text) in the line")
    assert rejects(con)[1][0] == 4
    assert con.execute("select count(*) from leads where contains(source, chr(0))").fetchall() == [
        (0,)
    ]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_glob_characters_in_a_path_read_that_file_only(tmp_path, golden_agreement, suffix):
    con = duckdb.connect()
    for folder, lead in (("export[1]", "MINE"), ("export1", "OTHER")):
        (tmp_path / folder).mkdir()
        con.execute(
            "copy (select $lead as lead_id, '2026-01-01' as created_at, 'Web' as source) to $p",
            {"lead": lead, "p": str(tmp_path / folder / f"leads.{suffix}")},
        )
    _, db = importer.check_dataset(tmp_path / "export[1]", golden_agreement)
    assert db.execute("select lead_id from leads").fetchall() == [("MINE",)]


def test_symbolic_links_in_an_export_folder_are_not_followed(tmp_path, golden_agreement):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOP SECRET first line\n")
    folder = write_dataset(tmp_path / "data", leads=HEADER + "L1,2026-01-01,Web\n")
    (folder / "touches.csv").symlink_to(secret)
    (folder / "deals.csv").symlink_to(secret)
    result, _ = importer.check_dataset(folder, golden_agreement)
    said = "\n".join(result.detection) + result.summary()
    assert "touches.csv: not used (a symbolic link; links are not followed)" in said
    assert "TOP SECRET" not in said
    assert result.counts()["touches"] == 0
    (folder / "leads.csv").unlink()
    (folder / "leads.csv").symlink_to(secret)
    with pytest.raises(importer.ImportFailure) as caught:
        importer.check_dataset(folder, golden_agreement)
    assert "TOP SECRET" not in str(caught.value)


# --- The byte scan on its own -----------------------------------------------------------------


def test_scan_counts_lines_records_and_blank_lines_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(scan, "BLOCK_BYTES", 7)  # records and quotes cut by every block
    path = tmp_path / "x.csv"
    path.write_bytes(b'a,b\n1,"x\ny"\n\n2,3\r\n\r\n4,"q""\n"\n5,6')
    head = scan.read_head(path, 10)
    found = scan.scan(path, head, 100)
    assert (found.n_lines, found.n_records, found.n_blank) == (9, 5, 2)
    assert found.blank_lines == [4, 6]
    assert [(r.line, r.n_lines) for r in found.multi_line] == [(2, 2), (7, 2)]
    assert scan.lines_of(path, [0, 4, 13, 30]) == [1, 2, 5, 9]


def test_scan_of_plain_blocks_by_byte_search_agrees_with_numpy(tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    rows = [f"L{i},2026-01-01,Web" for i in range(2000)]
    rows[1500] = ""  # a blank line in a late block
    rows[1700] = 'L1700,2026-01-01,"Web\nshop"'
    path.write_text("lead_id,created_at,source\n" + "\r\n".join(rows) + "\r\n", newline="")
    monkeypatch.setattr(scan, "BLOCK_BYTES", 4096)
    head = scan.read_head(path, 10)
    fast = scan.scan(path, head, 1000)
    monkeypatch.setattr(scan, "_is_plain_block", lambda *args: False)
    slow = scan.scan(path, head, 1000)
    assert fast == slow
    assert (fast.n_lines, fast.n_records, fast.blank_lines) == (2002, 2000, [1502])
    assert [(r.line, r.n_lines) for r in fast.multi_line] == [(1702, 2)]
