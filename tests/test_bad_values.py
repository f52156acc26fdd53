"""Issue 16's reproducers for values and mappings: nothing read at a wrong time, nothing read in
two day-month orders, no negative money, no traceback from a mapping DuckDB cannot run.

Every expected instant below is worked out by hand: the golden agreement's zone is
Europe/Berlin (UTC+1 in winter, UTC+2 from 29 March 2026), so wall-clock 14:05 without an offset
is 13:05Z on 31 January; `+05:45` is Nepal's offset, so 14:05+05:45 is 08:20Z.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from handoff import agreement as agreement_mod
from handoff import importer, mapping, zones
from tests.conftest import ROOT, checked, write_dataset

UTC = dt.UTC


check = checked  # accepted + rejected = read, asserted for every file


def created(con) -> dict[str, dt.datetime]:
    rows = con.execute("select lead_id, created_at from leads").fetchall()
    return {lead: at.astimezone(UTC) for lead, at in rows}


def reasons(con) -> dict[int, str]:
    return dict(con.execute("select line, reason from import_rejects").fetchall())


# --- Item 6: zone names, impossible offsets, infinity and epoch --------------------------------

# (text, the instant it is, or None when it must be rejected, and the reason's words)
TIMESTAMPS = [
    ("2026-01-31 14:05:00 Europe/Berlin", dt.datetime(2026, 1, 31, 13, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05:00 America/New_York", dt.datetime(2026, 1, 31, 19, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05:00 UTC", dt.datetime(2026, 1, 31, 14, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05:00 Mars/Olympus", None, "'Mars/Olympus' is not a UTC offset or an IANA"),
    ("2026-01-31 14:05:00+25:00", None, "the offset +25:00 is not between -12:00 and +14:00"),
    ("2026-01-31 14:05:00+99", None, "the offset +99 is not between -12:00 and +14:00"),
    ("2026-01-31 14:05:00+14:01", None, "the offset +14:01 is not between"),
    ("2026-01-31 14:05:00+01:60", None, "the offset +01:60 is not between"),
    ("2026-01-31 14:05:00+14:00", dt.datetime(2026, 1, 31, 0, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05:00-12:00", dt.datetime(2026, 2, 1, 2, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05:00+05:45", dt.datetime(2026, 1, 31, 8, 20, tzinfo=UTC), None),
    ("2026-01-31 14:05:00 +01:00", dt.datetime(2026, 1, 31, 13, 5, tzinfo=UTC), None),
    ("2026-01-31T14:05:00.000+0000", dt.datetime(2026, 1, 31, 14, 5, tzinfo=UTC), None),
    ("2026-01-31T14:05:00Z", dt.datetime(2026, 1, 31, 14, 5, tzinfo=UTC), None),
    ("2026-01-31 14:05", dt.datetime(2026, 1, 31, 13, 5, tzinfo=UTC), None),
    ("2026-01-31", dt.datetime(2026, 1, 30, 23, 0, tzinfo=UTC), None),
    ("infinity", None, "is not a date"),
    ("-infinity", None, "is not a date"),
    ("epoch", None, "is not a date"),
    ("now", None, "is not a date"),
    ("2026-02-30", None, "is not a date"),
    ("0001-01-01", None, "is not a date"),
    ("9999-12-31", None, "is not a date"),
    ("2026-01-31 14:05 and more", None, "'and more' is not a UTC offset or an IANA time zone"),
]


def _timestamp_file(header: str, row: str) -> str:
    return (
        header
        + "\n"
        + "".join(row.format(i=i, ts=ts) + "\n" for i, (ts, _, _) in enumerate(TIMESTAMPS))
    )


@pytest.mark.parametrize(
    ("how", "file", "header", "row"),
    [
        ({}, "leads", "lead_id,created_at,source", "L{i},{ts},Web"),
        (
            {"format": "hubspot"},
            "contacts",
            "Record ID,Create Date,Lifecycle Stage,Original Source,Lead Status",
            "L{i},{ts},Lead,Paid Search,New",
        ),
        (
            {"format": "salesforce"},
            "Lead",
            "Id,LeadSource,Status,IsConverted,CreatedDate,ConvertedDate",
            "00Q0000000000{i:02d}AAA,Web,Open - Not Contacted,,{ts},",
        ),
        (
            {"format": "zoho"},
            "Leads",
            "LEADID,Lead Status,Created Time,Lead Source,Lead Owner",
            "Z{i},Not Contacted,{ts},Web,David Love",
        ),
    ],
    ids=["canonical", "hubspot", "salesforce", "zoho"],
)
def test_every_format_reads_zones_and_offsets_right_or_rejects_them(
    tmp_path, golden_agreement, how, file, header, row
):
    folder = write_dataset(tmp_path, **{file: _timestamp_file(header, row)})
    result, con = check(folder, golden_agreement, **how)
    leads = result.tables[0]
    assert leads.n_read == len(TIMESTAMPS)
    assert leads.n_accepted + leads.n_rejected == leads.n_read
    got = sorted(created(con).values())
    expected = sorted(at for _, at, _ in TIMESTAMPS if at is not None)
    assert got == expected
    said = reasons(con)
    for i, (text, at, why) in enumerate(TIMESTAMPS):
        if at is None:
            assert why in said[i + 2], (text, said.get(i + 2))
            assert text in said[i + 2]


def test_the_offset_of_a_format_with_percent_z_is_checked_too(tmp_path, golden_agreement):
    path = tmp_path / "m.toml"
    path.write_text(
        'title = "t"\ndate_formats = ["%d.%m.%Y %H:%M %z"]\n[files.a]\ntable = "leads"\n'
        'match = ["id"]\n[files.a.columns]\nlead_id = "id"\ncreated_at = "at"\n',
        encoding="utf-8",
    )
    folder = write_dataset(
        tmp_path / "x", leads="id,at\nA,31.01.2026 14:05 +0100\nB,31.01.2026 14:05 +2500\n"
    )
    _result, con = check(folder, golden_agreement, mapping=path)
    assert created(con) == {"A": dt.datetime(2026, 1, 31, 13, 5, tzinfo=UTC)}
    assert (
        reasons(con)[3]
        == 'column "at" (created_at): "31.01.2026 14:05 +2500": its offset is not between -12:00'
        " and +14:00"
    )


# --- Item 5: one file, one day-month order -----------------------------------------------------

HUBSPOT = "Record ID,Create Date,Lifecycle Stage,Original Source,Lead Status\n"


def _hubspot(tmp_path, dates: list[str]):
    rows = "".join(f"{i},{d},Lead,Paid Search,New\n" for i, d in enumerate(dates, start=1))
    return write_dataset(tmp_path, contacts=HUBSPOT + rows)


def _days(con) -> dict[str, str]:
    return {
        k: f"{v.astimezone(dt.timezone(dt.timedelta(hours=2))):%Y-%m-%d}"
        for k, v in created(con).items()
    }


def test_a_day_above_12_decides_the_order_of_the_whole_file(tmp_path, golden_agreement):
    # The audit's file: 05/04 read as 4 May, 12/04 as 4 December and 13/04 as 13 April. The
    # 13 can only be a day, so the file writes day first: 5 April, 12 April, 13 April.
    folder = _hubspot(tmp_path, ["05/04/2026", "12/04/2026", "13/04/2026"])
    result, con = check(folder, golden_agreement, format="hubspot")
    assert result.n_rejected == 0
    assert _days(con) == {"1": "2026-04-05", "2": "2026-04-12", "3": "2026-04-13"}


def test_a_month_first_file_reads_every_date_month_first(tmp_path, golden_agreement):
    folder = _hubspot(tmp_path, ["05/04/2026 10:00", "04/13/2026", "05/05/2026"])
    result, con = check(folder, golden_agreement, format="hubspot")
    assert result.n_rejected == 0
    assert _days(con) == {"1": "2026-05-04", "2": "2026-04-13", "3": "2026-05-05"}


def test_a_file_whose_dates_could_be_either_order_stops_with_a_suggestion(
    tmp_path, golden_agreement
):
    folder = _hubspot(tmp_path, ["05/04/2026", "12/04/2026", "2026-03-01 10:00"])
    with pytest.raises(importer.ImportFailure) as caught:
        check(folder, golden_agreement, format="hubspot")
    message = str(caught.value)
    assert message.startswith("contacts.csv: dates like Create Date '05/04/2026' on line 2")
    assert "could be month first or day first" in message
    assert 'extends = "hubspot"' in message
    assert '"%m/%d/%Y"' in message
    assert '"%d/%m/%Y"' in message


def test_a_file_writing_both_orders_stops_naming_a_line_of_each(tmp_path, golden_agreement):
    folder = _hubspot(tmp_path, ["04/13/2026", "05/05/2026", "13/04/2026"])
    with pytest.raises(importer.ImportFailure) as caught:
        check(folder, golden_agreement, format="hubspot")
    message = str(caught.value)
    assert "month first (Create Date '04/13/2026' on line 2)" in message
    assert "day first (Create Date '13/04/2026' on line 4)" in message


def test_the_suggested_mapping_reads_an_ambiguous_file(tmp_path, golden_agreement):
    folder = _hubspot(tmp_path / "x", ["05/04/2026", "12/04/2026"])
    path = tmp_path / "us.toml"
    path.write_text(
        'extends = "hubspot"\ndate_formats = ["%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y"]\n',
        encoding="utf-8",
    )
    result, con = check(folder, golden_agreement, mapping=path)
    assert result.n_rejected == 0
    assert _days(con) == {"1": "2026-05-04", "2": "2026-12-04"}


# --- Item 12: ids with tabs, negative money ----------------------------------------------------


def test_an_id_is_trimmed_of_tabs_and_no_break_spaces_like_spaces(tmp_path, golden_agreement):
    folder = write_dataset(
        tmp_path,
        leads="lead_id,created_at,source\nL1,2026-01-05,Web\n\tL1,2026-01-05,Web\n"
        " L1 ,2026-01-05,Web\nL2\u00a0,2026-01-05,Web\n",
    )
    _result, con = check(folder, golden_agreement)
    assert sorted(created(con)) == ["L1", "L2"]
    said = reasons(con)
    assert said == {
        3: "column \"lead_id\": duplicate lead_id 'L1', first seen on line 2",
        4: "column \"lead_id\": duplicate lead_id 'L1', first seen on line 2",
    }


@pytest.mark.parametrize(
    ("files", "table", "line", "why"),
    [
        (
            {
                "leads": "lead_id,created_at,source,won_at,amount\nL1,2026-01-05,Web,2026-01-09,-500\n"
            },
            "leads",
            2,
            "column \"amount\": '-500' is below 0: amount cannot be negative",
        ),
        (
            {
                "leads": "lead_id,created_at,source\nL1,2026-01-05,Web\n",
                "deals": "deal_id,lead_id,created_at,closed_at,status,amount\n"
                'D1,L1,2026-01-06,2026-01-09,won,"$-1,200"\n',
            },
            "deals",
            2,
            "column \"amount\": '$-1,200' is below 0: amount cannot be negative",
        ),
        (
            {
                "leads": "lead_id,created_at,source\nL1,2026-01-05,Web\n",
                "spend": "month,source,cost\n2026-01,Web,-10\n",
            },
            "spend",
            2,
            "column \"cost\": '-10' is below 0: cost cannot be negative",
        ),
    ],
    ids=["lead-amount", "deal-amount", "spend-cost"],
)
def test_negative_money_is_rejected_not_counted(
    tmp_path, golden_agreement, files, table, line, why
):
    folder = write_dataset(tmp_path, **files)
    _result, con = check(folder, golden_agreement)
    assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)]
    assert con.execute("select table_name, line, reason from import_rejects").fetchall() == [
        (table, line, why)
    ]


def test_a_parquet_amount_that_is_not_finite_is_rejected(tmp_path, golden_agreement):
    import duckdb

    tmp_path.mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute(
        "copy (select * from (values ('L1', '2026-01-05', 'Web', 'nan'::double),"
        " ('L2', '2026-01-05', 'Web', 'inf'::double), ('L3', '2026-01-05', 'Web', 10.0))"
        " t(lead_id, created_at, source, amount)) to $p (format parquet)",
        {"p": str(tmp_path / "leads.parquet")},
    )
    _result, con = check(tmp_path, golden_agreement)
    assert con.execute("select lead_id, amount from leads").fetchall() == [("L3", 10.0)]
    assert sorted(reasons(con)) == [1, 2]


# --- Item 8: mappings DuckDB cannot run are refused when they are read --------------------------

_LEADS_KIND = '[files.a]\ntable = "leads"\nmatch = ["id"]\n[files.a.columns]\nlead_id = "id"\ncreated_at = "at"\n'


@pytest.mark.parametrize(
    ("top", "column", "message"),
    [
        ("", 'source = { column = "s", pattern = "(a)\\\\1" }',
         "files.a.columns.source.pattern: not a regular expression DuckDB can use (invalid escape"),
        ("", 'source = { column = "s", pattern = "(?=a)(a+)" }',
         "files.a.columns.source.pattern: not a regular expression DuckDB can use (invalid perl"),
        ("", 'source = { column = "s", pattern = "((a{1000}){1000})" }',
         "pattern: not a regular expression DuckDB can use (invalid repetition size"),
        ('date_formats = ["%Q %Y"]', "", "date_formats: '%Q %Y' is not a date format DuckDB can read"),
        ('date_formats = ["%"]', "", "date_formats: '%' is not a date format DuckDB can read"),
        ('date_formats = ["%Y%"]', "", "date_formats: '%Y%' is not a date format DuckDB can read"),
        ('time_zone = "posix/Europe/Berlin"', "", "time_zone: 'posix/Europe/Berlin' is not an IANA"),
        ('time_zone = "right/UTC"', "", "time_zone: 'right/UTC' is not an IANA time zone"),
        ('time_zone = "localtime"', "", "time_zone: 'localtime' is not an IANA time zone"),
        ("", "source = " + "{ first = [" * 200 + '"s"' + "] }" * 200, "nested too deeply"),
        ("", "source = " + "{ first = [" * 12 + '"s"' + "] }" * 12,
         "nested more than 8 levels deep"),
        ("", 'source = { first = [' + ", ".join(
            ['{ lookup = "a", key = "id", match = "id", take = "s" }'] * 1500) + "] }",
         "files.a.columns.source.first: 1,500 alternatives; at most 50"),
        ("", 'source = { first = [' + ", ".join(
            ['{ lookup = "a", key = "id", match = "id", take = "s" }'] * 21) + "] }",
         "files.a: 21 lookups; at most 20"),
    ],
    ids=["backreference", "lookahead", "repetition", "format-%Q", "format-%", "format-%Y%",
         "zone-posix", "zone-right", "zone-localtime", "nested-200", "nested-12", "lookups-1500",
         "lookups-21"],
)  # fmt: skip
def test_a_mapping_duckdb_cannot_run_is_refused_naming_the_key(tmp_path, top, column, message):
    path = tmp_path / "m.toml"
    path.write_text(f'title = "t"\n{top}\n{_LEADS_KIND}{column}\n', encoding="utf-8")
    with pytest.raises(mapping.MappingError, match=re.escape(message)):
        mapping.load_mapping(path)


def test_a_bad_mapping_stops_check_on_the_command_line_without_a_traceback(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        f'title = "t"\n{_LEADS_KIND}source = {{ column = "s", pattern = "(a)\\\\1" }}\n',
        encoding="utf-8",
    )
    folder = write_dataset(tmp_path / "x", leads="id,at,s\nA,2026-01-05,aa\n")
    done = subprocess.run(
        [sys.executable, "-m", "handoff", "check", str(folder), "--mapping", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "pattern: not a regular expression DuckDB can use" in done.stderr + done.stdout


def test_an_agreement_zone_duckdb_does_not_know_is_refused(tmp_path):
    text = (ROOT / "data" / "agreement.toml").read_text(encoding="utf-8")
    zone = re.search(r'^time_zone = "([^"]+)"', text, re.M).group(1)
    path = tmp_path / "agreement.toml"
    path.write_text(text.replace(f'time_zone = "{zone}"', 'time_zone = "posix/Europe/Berlin"'))
    with pytest.raises(agreement_mod.AgreementError, match="'time_zone' must be an IANA"):
        agreement_mod.load(path)


def test_every_zone_handoff_accepts_is_one_duckdb_converts(tmp_path):
    import duckdb

    con = duckdb.connect()
    for name in sorted(zones.names())[::40]:
        con.execute("select timezone($z, timestamp '2026-01-01')", {"z": name}).fetchall()
    assert zones.problem("Europe/Berlin") is None
    assert "did you mean Europe/Berlin" in zones.problem("Europe/Berlim")


@pytest.mark.parametrize("text", ["--5", "-$-5", "+-5", "$--1,000"])
def test_a_number_has_one_sign_at_most(tmp_path, golden_agreement, text):
    # The audit's robustness suite read `--5` as -5: two signs are no number.
    folder = write_dataset(
        tmp_path, leads=f'lead_id,created_at,source,score\nL1,2026-01-05,Web,"{text}"\n'
    )
    _, con = check(folder, golden_agreement)
    assert con.execute("select count(*) from leads").fetchall() == [(0,)]
    assert "is not a number" in reasons(con)[2]


def test_a_day_first_file_read_by_a_month_first_format_stops(tmp_path, golden_agreement):
    # Salesforce reports write US dates; this one writes 23/04/2026, so its 05/04/2026 is 5 April
    # and reading it as 4 May (the format's order) would be silently wrong.
    header = "Id,LeadSource,Status,IsConverted,CreatedDate,ConvertedDate\n"
    rows = "".join(
        f"00Q00000000000{i}AAA,Web,Open - Not Contacted,,{d},\n"
        for i, d in enumerate(["05/04/2026", "23/04/2026"], start=1)
    )
    folder = write_dataset(tmp_path, Lead=header + rows)
    with pytest.raises(importer.ImportFailure) as caught:
        check(folder, golden_agreement, format="salesforce")
    message = str(caught.value)
    assert message.startswith(
        "Lead.csv: the salesforce format reads numeric dates month first, but the file writes "
        "them day first (CreatedDate '23/04/2026' on line 3)"
    )
    assert '"%d/%m/%Y"' in message


def test_a_month_first_file_read_by_a_month_first_format_reads(tmp_path, golden_agreement):
    header = "Id,LeadSource,Status,IsConverted,CreatedDate,ConvertedDate\n"
    rows = "".join(
        f"00Q00000000000{i}AAA,Web,Open - Not Contacted,,{d},\n"
        for i, d in enumerate(["05/04/2026", "04/23/2026"], start=1)
    )
    folder = write_dataset(tmp_path, Lead=header + rows)
    result, con = check(folder, golden_agreement, format="salesforce")
    assert result.n_rejected == 0
    assert sorted(_days(con).values()) == ["2026-04-23", "2026-05-04"]


def test_a_salesforce_id_with_a_tab_is_cut_to_15_characters_after_trimming(
    tmp_path, golden_agreement
):
    # The robustness suite's case: "\t00Q3EC341E10001…" was cut to 15 characters with its tab,
    # then trimmed, leaving a 14-character id of a lead that does not exist.
    header = "Id,LeadSource,Status,IsConverted,CreatedDate,ConvertedDate\n"
    folder = write_dataset(
        tmp_path,
        Lead=header + "\t00Q3EC341E10001AAA,Web,Open - Not Contacted,,2026-01-05,\n",
    )
    _, con = check(folder, golden_agreement, format="salesforce")
    assert list(created(con)) == ["00Q3EC341E10001"]
