"""The importer, one bad input at a time: each case says what is accepted, what is rejected, on
which line, for which column, and why. In every case accepted + rejected = read."""

from __future__ import annotations

import datetime as dt
import os
import re

import duckdb
import pytest

from handoff import importer
from handoff.cli import main
from tests.conftest import GOLDEN, check_files, write_dataset

HEADER = "lead_id,created_at,source\n"


load = check_files


def rejects(con):
    return con.execute(
        "select table_name, line, column_name, reason from import_rejects order by table_name, line"
    ).fetchall()


def counts(result, table="leads"):
    t = next(t for t in result.tables if t.table == table)
    return (t.n_read, t.n_accepted, t.n_rejected)


# name, leads.csv bytes, (read, accepted, rejected), expected rejects [(line, column, reason part)]
CASES = [
    ("utf8 bom", b"\xef\xbb\xbf" + HEADER.encode() + b"L1,2026-01-05,Web\n", (1, 1, 0), []),
    ("semicolons", b"lead_id;created_at;source\nL1;2026-01-05;Web\nL2;2026-01-06;Mail\n", (2, 2, 0), []),
    ("tabs", b"lead_id\tcreated_at\tsource\nL1\t2026-01-05\tWeb, paid\n", (1, 1, 0), []),
    ("crlf", b"lead_id,created_at,source\r\nL1,2026-01-05,Web\r\nL2,2026-01-06,Web\r\n", (2, 2, 0), []),
    # Mixed line endings defeat DuckDB's strict sniffer: read leniently, nothing lost.
    ("mixed line endings", b"lead_id,created_at,source\nL1,2026-01-05,Web\r\nL2,2026-01-06,Web\r\n", (2, 2, 0), []),
    (
        "quoted fields with commas, quotes and a line break",
        b'lead_id,created_at,source\nL1,2026-01-05,"Trade show, Berlin"\nL2,2026-01-06,"say ""hi""\nthere"\nL3,2026-01-07,Web\n',
        (3, 3, 0),
        [],
    ),
    (
        "duplicate lead ids keep the first",
        (HEADER + "L1,2026-01-05,Web\nL2,2026-01-05,Web\nL1,2026-01-09,Mail\n L1 ,2026-01-09,Mail\n").encode(),
        (4, 2, 2),
        [(4, "lead_id", "duplicate lead_id 'L1', first seen on line 2"), (5, "lead_id", "first seen on line 2")],
    ),
    (
        "unparseable dates",
        (HEADER + "L1,31/01/2026,Web\nL2,2026-02-30,Web\nL3,yesterday,Web\nL4,2026-01-05,Web\n").encode(),
        (4, 1, 3),
        [
            (2, "created_at", "'31/01/2026' is not a date or timestamp"),
            (3, "created_at", "'2026-02-30' is not a date"),
            (4, "created_at", "'yesterday' is not a date"),
        ],
    ),
    (
        "required values blank",
        (HEADER + ",2026-01-05,Web\nL2,,Web\nL3,  ,Web\n").encode(),
        (3, 0, 3),
        [(2, "lead_id", "is blank"), (3, "created_at", "is blank"), (4, "created_at", "is blank")],
    ),
    (
        "ragged rows",
        (HEADER + "L1,2026-01-05,Web,extra\nL2,2026-01-05\nL3,2026-01-05,Web\n").encode(),
        (3, 1, 2),
        [(2, None, "more fields than the header"), (3, None, "fewer fields than the header")],
    ),
    (
        "bytes that are not UTF-8",
        HEADER.encode() + b"L1,2026-01-05,Caf\xe9\nL2,2026-01-05,Web\n",
        (2, 1, 1),
        [(2, None, "not UTF-8")],
    ),
    (
        "unparseable numbers",
        b"lead_id,created_at,source,score,amount\nL1,2026-01-05,Web,12,5\nL2,2026-01-05,Web,1e3,inf\nL3,2026-01-05,Web,x,\nL4,2026-01-05,Web,,\"12,5\"\n",
        (4, 1, 3),
        [
            # L1's "12,5" is two fields, score 12 and amount 5: a decimal comma cannot be told
            # from a delimiter, which is why a quoted "12,5" is refused rather than guessed.
            (3, "amount", "'inf' is not a number"),
            (4, "score", "'x' is not a number"),
            (5, "amount", "'12,5' is not a number"),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "expected", "problems"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input(tmp_path, golden_agreement, name, content, expected, problems):
    result, con = load(tmp_path, golden_agreement, leads=content)
    assert counts(result) == expected
    got = [(line, column, reason) for _, line, column, reason in rejects(con)]
    assert len(got) == len(problems)
    for (line, column, reason), (want_line, want_column, want_reason) in zip(
        got, problems, strict=True
    ):
        assert line == want_line
        if want_column:
            assert column == want_column
        assert want_reason in reason, reason


def test_quoted_line_break_is_kept_and_lines_count_records(tmp_path, golden_agreement):
    _, con = load(
        tmp_path,
        golden_agreement,
        leads=next(c for n, c, *_ in CASES if n.startswith("quoted fields")),
    )
    assert (
        con.execute("select source from leads where lead_id = 'L2'").fetchone()[0]
        == 'say "hi"\nthere'
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-01-05T10:00:00+02:00", dt.datetime(2026, 1, 5, 8, 0)),  # offset given
        ("2026-01-05T10:00:00Z", dt.datetime(2026, 1, 5, 10, 0)),
        ("2024-01-22T20:36:47.000+0000", dt.datetime(2024, 1, 22, 20, 36, 47)),  # Salesforce
        ("2026-01-05 10:00", dt.datetime(2026, 1, 5, 9, 0)),  # no offset: Berlin winter time
        ("2026-07-05 10:00", dt.datetime(2026, 7, 5, 8, 0)),  # no offset: Berlin summer time
        ("2026-07-05", dt.datetime(2026, 7, 4, 22, 0)),  # date only: local midnight
        ("  2026-07-05  ", dt.datetime(2026, 7, 4, 22, 0)),  # surrounding blanks are trimmed
        ("2026-03-29 02:30", dt.datetime(2026, 3, 29, 1, 30)),  # skipped by DST: moved forward
    ],
)
def test_timestamps(tmp_path, golden_agreement, text, utc):
    result, con = load(tmp_path, golden_agreement, leads=f"{HEADER}L1,{text},Web\n")
    assert counts(result) == (1, 1, 0)
    con.execute("set TimeZone = 'UTC'")
    assert con.execute("select created_at from leads").fetchone()[0].replace(tzinfo=None) == utc


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1117.10", 1117.1),
        ("$1,117.10K", 1_117_100.0),
        ("$22,700.00", 22_700.0),
        ("€ 3.5M", 3_500_000.0),
        ("-1,000", -1000.0),
        ("$-250", -250.0),
        (".5", 0.5),
        ("2B", 2e9),
        ("1e3", 1000.0),
    ],
)
def test_money(tmp_path, golden_agreement, text, value):
    # Read as a score, a number that may be negative (money never is: see test_bad_values).
    result, con = load(
        tmp_path,
        golden_agreement,
        leads=f'lead_id,created_at,source,score\nL1,2026-01-05,Web,"{text}"\n',
    )
    assert counts(result) == (1, 1, 0)
    assert con.execute("select score from leads").fetchone()[0] == pytest.approx(value)


def test_blanks_are_null_and_blank_source_is_unknown(tmp_path, golden_agreement):
    result, con = load(
        tmp_path,
        golden_agreement,
        leads='lead_id,created_at,source,campaign,owner\nL1,2026-01-05, ,  ,\nL2,2026-01-05,"",x,\n',
    )
    assert counts(result) == (2, 2, 0)
    assert con.execute("select source, campaign, owner from leads order by lead_id").fetchall() == [
        ("(unknown)", None, None),
        ("(unknown)", "x", None),
    ]


def test_unknown_columns_are_kept_as_attributes(tmp_path, golden_agreement):
    result, con = load(
        tmp_path,
        golden_agreement,
        leads="Lead ID,Created At,Source,Company Size,Region,,\nL1,2026-01-05,Web,1-50,EMEA,,\n",
    )
    leads = result.tables[0]
    # Headers are matched case-insensitively with spaces as underscores; empty unnamed columns go.
    assert leads.extra_columns == ["company_size", "region"]
    assert any("dropped unnamed column" in n for n in leads.notes)
    assert con.execute("select attribute, value from lead_attributes order by 1").fetchall() == [
        ("company_size", "1-50"),
        ("region", "EMEA"),
    ]


def test_orphans_in_every_child_table(tmp_path, golden_agreement):
    result, con = load(
        tmp_path,
        golden_agreement,
        leads=HEADER + "L1,2026-01-05,Web\nL2,bad,Web\n",
        touches="lead_id,touched_at,channel\nL1,2026-01-04,Web\nL2,2026-01-04,Web\nL9,2026-01-04,Web\n",
        activities="lead_id,activity_at\nL1,2026-01-06\nL9,2026-01-06\n",
        deals="deal_id,lead_id,created_at,status\nD1,L1,2026-01-07,open\nD2,L2,2026-01-07,open\nD1,L1,2026-01-08,won\n",
    )
    assert counts(result, "touches") == (3, 1, 2)
    assert counts(result, "activities") == (2, 1, 1)
    assert counts(result, "deals") == (3, 1, 2)
    reasons = {(t, line): reason for t, line, _, reason in rejects(con)}
    # L2 was rejected from leads, so its touch and deal are orphans too.
    assert "lead_id 'L2' is not an accepted lead (orphan)" in reasons[("touches", 3)]
    assert "lead_id 'L9' is not an accepted lead" in reasons[("activities", 3)]
    assert "duplicate deal_id 'D1', first seen on line 2" in reasons[("deals", 4)]


def test_deal_status_and_spend_month(tmp_path, golden_agreement):
    result, con = load(
        tmp_path,
        golden_agreement,
        leads=HEADER + "L1,2026-01-05,Web\n",
        deals="deal_id,lead_id,created_at,status\nD1,L1,2026-01-07, WON \nD2,L1,2026-01-07,pending\n",
        spend="month,campaign,cost\n2026-01,A,100\n2026-13,A,100\n2026-01-15,A,100\n2026-02,A,\n",
    )
    assert counts(result, "deals") == (2, 1, 1)
    assert con.execute("select status from deals").fetchone()[0] == "won"
    assert counts(result, "spend") == (4, 1, 3)
    reasons = [r for t, _, _, r in rejects(con) if t == "spend"]
    assert reasons == [
        "column \"month\": '2026-13' is not a month (use YYYY-MM, e.g. 2026-01)",
        "column \"month\": '2026-01-15' is not a month (use YYYY-MM, e.g. 2026-01)",
        'column "cost": is blank',
    ]


def test_out_of_order_stages_are_kept(tmp_path, golden_agreement):
    result, _ = load(
        tmp_path,
        golden_agreement,
        leads="lead_id,created_at,source,mql_at,sal_at\nL1,2026-01-05,Web,2026-01-09,2026-01-06\n",
    )
    assert counts(result) == (1, 1, 0)  # the staging views count it as a warning


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"leads": "lead_id,source\nL1,Web\n"}, "leads.csv: missing required column 'created_at'"),
        ({"leads": "lead_id created_at source\nL1 2026-01-05 Web\n"}, "delimited by comma, semicolon or tab"),
        ({"leads": HEADER, "deals": "deal_id,lead_id,status\n"}, "deals.csv: missing required column 'created_at'"),
        ({"leads": b""}, "leads.csv: "),
        ({"touches": "lead_id,touched_at,channel\n"}, "no leads file"),
        ({"leads": HEADER, "leads.parquet": b"not parquet"}, "more than one file for leads"),
        ({"leads.parquet": b"PAR1 garbage"}, "leads.parquet: cannot read the file"),
    ],
)  # fmt: skip
def test_fatal_problems_stop_the_import(tmp_path, golden_agreement, files, message):
    folder = write_dataset(tmp_path / "data", **files)
    with pytest.raises(importer.ImportFailure, match=re.escape(message)):
        importer.check_dataset(folder, golden_agreement)


def test_parquet_input(tmp_path, golden_agreement):
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(
        "copy (select * from (values ('L1', timestamp '2026-01-05 10:00', 'Web', 12.5),"
        " ('L2', timestamp '2026-01-06 10:00', null, null)) t(lead_id, created_at, source, score))"
        " to $p (format parquet)",
        {"p": str(folder / "leads.parquet")},
    )
    result, db = importer.check_dataset(folder, golden_agreement)
    assert counts(result) == (2, 2, 0)
    db.execute("set TimeZone = 'UTC'")
    rows = db.execute("select lead_id, created_at, source, score from leads order by 1").fetchall()
    # A naive Parquet timestamp is local time, like a CSV timestamp without an offset.
    assert rows[0][1].replace(tzinfo=None) == dt.datetime(2026, 1, 5, 9, 0)
    assert rows[1][2] == "(unknown)"


def test_failed_import_leaves_previous_data_untouched(tmp_path, golden_agreement):
    db_path = tmp_path / "handoff.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    before = (db_path.read_bytes(), os.stat(db_path).st_mtime_ns)
    bad = write_dataset(tmp_path / "bad", leads="lead_id,source\nL1,Web\n")
    with pytest.raises(importer.ImportFailure):
        importer.import_dataset(bad, db_path, golden_agreement)
    assert (db_path.read_bytes(), os.stat(db_path).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".handoff.duckdb.import-lock",  # the import lock, left for the next import
        "bad",
        "handoff.duckdb",
        "handoff.rejects.csv",
    ]


def test_rejects_file_lists_every_rejected_row(tmp_path, golden_agreement):
    folder = write_dataset(
        tmp_path / "data", leads=HEADER + "L1,2026-01-05,Web\nL1,2026-01-06,Web\nL2,nope,Web\n"
    )
    result = importer.import_dataset(folder, tmp_path / "x.duckdb", golden_agreement)
    lines = result.rejects_path.read_text().splitlines()
    assert lines[0] == "table,file,line,outcome,column,reason,cause,record"
    assert len(lines) == 1 + result.n_rejected == 3
    assert lines[1].startswith("leads,leads.csv,3,rejected,lead_id,")
    assert "nope" in lines[2]


def test_cli_import_and_check_exit_codes(tmp_path, capsys):
    db_path = tmp_path / "cli.duckdb"
    agreement = str(GOLDEN / "agreement.toml")
    assert main(["import", str(GOLDEN), "--db", str(db_path), "--agreement", agreement]) == 0
    out = capsys.readouterr().out
    assert "activities  activities.csv                 11         10          0          1" in out
    assert "(accepted + set aside + rejected = read)" in out
    assert "Stage dates out of order" in out
    # check finds the orphan activity and says so with a non-zero exit, importing nothing.
    assert main(["check", str(GOLDEN), "--agreement", agreement]) == 1
    out = capsys.readouterr().out
    assert (
        "activities.csv line 11, column \"lead_id\": lead_id 'LX9' is not an accepted lead (orphan)"
        in out
    )
    bad = write_dataset(tmp_path / "bad", leads="lead_id,source\nL1,Web\n")
    assert main(["import", str(bad), "--db", str(db_path), "--agreement", agreement]) == 2
    assert "leads.csv: missing required column 'created_at'" in capsys.readouterr().err


def test_import_caps_duckdb_memory(monkeypatch):
    """The importer caps DuckDB at IMPORT_MEMORY_BYTES however large the machine (at 10 million
    leads that keeps the import under 6 GB), and at 40% of a smaller machine's memory."""
    from handoff import db

    con = duckdb.connect()
    db.limit_memory(con, most=db.IMPORT_MEMORY_BYTES)
    limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    expected_gib = min(total * 0.4, 3.5 * 2**30) / 2**30
    # DuckDB reports the limit in its own units (e.g. "3.4 GiB" for 3584 MB).
    value, unit = limit.split()
    gib = float(value) * {"GiB": 1, "MiB": 1 / 1024}[unit]
    assert gib == pytest.approx(expected_gib, abs=0.06)
    pages = 5 * 2**18  # a 5 GiB machine of 4 KiB pages: 40% of it is 2 GiB, under the cap
    monkeypatch.setattr(os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else pages)
    db.limit_memory(con, most=db.IMPORT_MEMORY_BYTES)
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "2.0 GiB"
