"""CRM formats and mapping files: which format an export is, how its rows become canonical rows
(worked out by hand), and what a bad mapping file says."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from handoff import importer, mapping
from handoff.cli import main
from tests.conftest import ROOT, write_dataset
from tests.test_realdata import SALESFORCE, rows

HUBSPOT = ROOT / "tests" / "fixtures" / "hubspot"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
needs_realdata = pytest.mark.skipif(not SALESFORCE.is_dir(), reason="no ../shared/realdata")


def at(text: str | None) -> dt.datetime | None:
    """A Berlin wall-clock time like '03-02 09:00' in March 2025."""
    if text is None:
        return None
    return dt.datetime.strptime("2025-" + text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


def check(folder, agreement, **how):
    result, con = importer.check_dataset(folder, agreement, **how)
    for t in result.tables:
        assert t.n_accepted + t.n_set_aside + t.n_rejected == t.n_read, t
    return result, con


# --- HubSpot -------------------------------------------------------------------------------------

# Worked out by hand from tests/fixtures/hubspot (times are the account's, read in Berlin):
# lead: source, campaign, mql, sal, sql, opportunity, won, discarded (reason), recycled
HUBSPOT_LEADS = {
    # Every "Became a … Date" given; Lead Status "Open Deal" implies no stage of its own.
    "101": ("Paid Search", "google", "03-02 09:00", None, "03-05 09:00", "03-10 09:00",
            "03-20 09:00", None, None, None),
    # ORGANIC_SEARCH is HubSpot's internal value; "In Progress" is accepted, dated by the
    # Last Modified Date; the MQL date column beats the lifecycle stage's implied date.
    "102": ("Organic Search", "google", "03-03 12:00", "03-04 08:00", None, None, None, None,
            None, None),
    # Lifecycle "Lead" sets no stage; Lead Status "Unqualified" is a discard.
    "103": ("Organic Search", "bing", None, None, None, None, None, "03-06 15:00",
            "Unqualified", None),
    # No lifecycle dates at all: "Sales Qualified Lead" and "Connected" are dated by the
    # Last Modified Date.
    "104": ("Direct Traffic", None, None, "03-07 16:45", "03-07 16:45", None, None, None, None,
            None),
    # A subscriber with no source.
    "105": ("(unknown)", None, None, None, None, None, None, None, None, None),
    # "Bad Timing" sends the lead back to nurture.
    "106": ("Email Marketing", "March newsletter", "03-07 10:00", None, None, None, None, None,
            None, "03-12 11:00"),
}  # fmt: skip


def test_hubspot_contacts_and_deals(golden_agreement):
    result, con = check(HUBSPOT, golden_agreement)
    assert result.format == "hubspot"
    con.execute("set TimeZone = 'Europe/Berlin'")
    got = {
        r[0]: r[1:]
        for r in con.execute(
            "select lead_id, source, campaign, mql_at, sal_at, sql_at, opportunity_at, won_at,"
            " discarded_at, discard_reason, recycled_at from leads"
        ).fetchall()
    }
    expected = {
        lead: (
            source,
            campaign,
            *(at(v) for v in stamps[:6]),
            reason,
            at(recycled),
        )
        for lead, (source, campaign, *stamps, reason, recycled) in HUBSPOT_LEADS.items()
    }
    assert got == expected
    owners = dict(con.execute("select lead_id, owner from leads").fetchall())
    assert (owners["101"], owners["105"]) == ("Rita Rep", None)
    scores = dict(con.execute("select lead_id, score from leads").fetchall())
    assert (scores["101"], scores["104"]) == (80, None)
    # Columns Handoff has no place for are lead attributes.
    assert result.lead_attributes == [
        "first_name",
        "last_name",
        "email",
        "lead_status",
        "lifecycle_stage",
        "last_modified_date",
        "original_source_drill_down_2",
        "became_a_lead_date",
        "marketing_contact_status",
    ]
    deals = con.execute(
        "select deal_id, lead_id, created_at, closed_at, status, amount from deals order by 1"
    ).fetchall()
    assert deals == [
        ("9001", "101", at("03-10 09:00"), at("03-20 09:00"), "won", 12000.0),
        # No contact id: found by the e-mail in Associated Contact. Its Close Date is only
        # expected, so an open deal has none.
        ("9002", "102", at("03-12 14:00"), None, "open", 5000.0),
        # Two contacts: the first one's.
        ("9003", "104", at("03-08 10:00"), at("03-15 17:00"), "lost", 3000.0),
    ]
    rejected = con.execute(
        "select file_name, line, column_name, reason from import_rejects order by 1, 2"
    ).fetchall()
    assert [r[:3] for r in rejected] == [
        ("contacts.csv", 8, "Create Date"),
        ("deals.csv", 5, "lead_id"),
        ("deals.csv", 6, "lead_id"),
    ]
    assert rejected[0][3].startswith(
        'column "Create Date" (created_at): "yesterday" is not a date (expected ISO 8601'
    )
    assert "no associated contact" in rejected[1][3]
    assert "'107' is not an accepted lead (orphan)" in rejected[2][3]


# --- Salesforce (real exports) -------------------------------------------------------------------

WORKSHOP = SALESFORCE / "sfdc_assets_data_cloud_workshop"
POWERBI = SALESFORCE / "sf_dev_org_powerbi_demo"


@needs_realdata
def test_salesforce_workshop_export(golden_agreement):
    result, con = check(WORKSHOP, golden_agreement)
    assert result.format == "salesforce"
    by_file = {t.file: t for t in result.tables if t.file}
    # By hand from the CSVs: 60 leads (BOM, 18-character ids); 68 campaign members, 34 of them
    # leads; 75 tasks, 60 about contacts (003…) and 15 about leads, none completed; 50
    # opportunities, none converted from a lead; 8 campaigns, none with an ActualCost.
    lead_rows = rows(WORKSHOP / "Lead.csv")
    members = rows(WORKSHOP / "CampaignMember.csv")
    tasks = rows(WORKSHOP / "Task.csv")
    assert by_file["Lead.csv"].n_accepted == len(lead_rows) == 60
    assert by_file["CampaignMember.csv"].n_accepted == sum(1 for r in members if r["LeadId"]) == 34
    assert sum(1 for r in tasks if r["WhoId"].startswith("00Q")) == 15
    assert by_file["Task.csv"].n_accepted == 0
    assert by_file["Opportunity.csv"].n_accepted == 0
    assert by_file["Campaign.csv"].n_accepted == 0
    reasons = dict(
        con.execute(
            "select outcome || ' ' || cause, count(*) from import_rejects group by 1 order by 2 desc"
        ).fetchall()
    )
    # The skip rules' rows are set aside, naming the rule; only the opportunities no lead was
    # converted into are rejected (the format cannot tell them apart from bad data).
    assert reasons == {
        "set_aside files.task.skip when WhoId does not start with 00Q: the task is about a"
        " contact or an account, not a lead (its WhoId does not start with 00Q)": 60,
        "rejected lead_id: no lead was converted into this opportunity (no"
        " Lead.ConvertedOpportunityId names it)": 50,
        "set_aside files.campaign_member.skip when LeadId is blank: the campaign member is a"
        " contact, not a lead": 34,
        "set_aside files.task.skip when Status is not Completed: the task is not completed": 15,
        "set_aside files.campaign.skip when ActualCost is blank: the campaign has no ActualCost": 8,
    }
    assert {t.file: t.n_set_aside for t in result.tables if t.file} == {
        "Lead.csv": 0,
        "CampaignMember.csv": 34,
        "Task.csv": 75,  # 60 about contacts + 15 not completed
        "Opportunity.csv": 0,
        "Campaign.csv": 8,
    }
    assert result.n_rejected == 50
    # Ids compare by their first 15 characters; 2024-01-22T20:36:47.000+0000 is UTC.
    lead = con.execute(
        "select lead_id, created_at, source from leads where lead_id = '00QEc00000BBaeX'"
    ).fetchone()
    assert lead[1] == dt.datetime(2024, 1, 22, 20, 36, 47, tzinfo=dt.UTC)
    assert lead[2] == next(r["LeadSource"] for r in lead_rows if r["Id"].startswith(lead[0]))
    # Touches take the campaign's Type as channel and its Name as campaign.
    campaigns = {r["Id"][:15]: r for r in rows(WORKSHOP / "Campaign.csv")}
    member = next(r for r in members if r["LeadId"])
    touch = con.execute(
        "select channel, campaign, touch_type from touches where lead_id = $l order by touch_key",
        {"l": member["LeadId"][:15]},
    ).fetchone()
    campaign = campaigns[member["CampaignId"][:15]]
    assert touch == (campaign["Type"], campaign["Name"], member["Status"])


SF_REPORT_MAPPING = """
extends = "salesforce"
title = "Salesforce report export without CreatedDate"

[files.lead.columns]
created_at = { first = [{ column = "CreatedDate", optional = true }, { column = "LastModifiedDate" }] }
mql_at = { first = [{ column = "CreatedDate", optional = true }, { column = "LastModifiedDate" }] }
"""


@needs_realdata
def test_salesforce_conversions_join_through_converted_opportunity_id(tmp_path, golden_agreement):
    # This export has no CreatedDate: a mapping that extends the format dates leads by their
    # LastModifiedDate instead, and keeps everything else of the format.
    path = tmp_path / "report.toml"
    path.write_text(SF_REPORT_MAPPING, encoding="utf-8")
    result, con = check(POWERBI, golden_agreement, mapping=path)
    converted = {
        r["Id"][:15]: r["ConvertedOpportunityId"][:15]
        for r in rows(POWERBI / "Lead.csv")
        if r["IsConverted"] == "TRUE"
    }
    assert len(converted) == 5
    deals = dict(con.execute("select deal_id, lead_id from deals").fetchall())
    assert deals == {opp: lead for lead, opp in converted.items()}
    # Converted leads reached the opportunity stage on their ConvertedDate (US short dates).
    opportunity = dict(
        con.execute(
            "select lead_id, opportunity_at from leads where opportunity_at is not null"
        ).fetchall()
    )
    assert set(opportunity) == set(converted)
    assert {v.astimezone(BERLIN).date() for v in opportunity.values()} == {dt.date(2026, 2, 24)}
    by_file = {t.file: t for t in result.tables if t.file}
    assert by_file["Opportunity.csv"].n_read == 36
    assert by_file["OpportunityHistory.csv"].table is None


# --- Detection -----------------------------------------------------------------------------------


def test_detection_explains_itself(tmp_path, capsys):
    db = tmp_path / "h.duckdb"
    agreement = str(ROOT / "tests" / "fixtures" / "golden" / "agreement.toml")
    assert main(["import", str(HUBSPOT), "--db", str(db), "--agreement", agreement]) == 0
    out = capsys.readouterr().out
    assert "detected hubspot (HubSpot export (contacts and deals)) from the headers" in out
    assert "hubspot: 2 of 2 table files recognised" in out
    assert "zoho: 0 of 5 table files recognised (no leads file)" in out
    assert "contacts.csv → contacts (the leads table): has Record ID, Create Date" in out


def test_one_file_can_be_imported_on_its_own(golden_agreement):
    result, _ = check(HUBSPOT / "contacts.csv", golden_agreement)
    assert result.format == "hubspot"
    assert result.counts() == {"leads": 6, "touches": 0, "activities": 0, "deals": 0, "spend": 0}


def test_an_export_of_no_known_format_is_refused_with_the_formats_tried(tmp_path, golden_agreement):
    folder = write_dataset(tmp_path / "x", people="name,email\nAna,ana@example.com\n")
    with pytest.raises(importer.ImportFailure, match="could not tell the export's format") as e:
        check(folder, golden_agreement)
    assert "salesforce: 0 of 5 table files recognised" in str(e.value)


def test_a_given_format_must_find_its_leads_file(golden_agreement):
    with pytest.raises(importer.ImportFailure, match="no leads file for zoho: a leads file needs"):
        check(HUBSPOT, golden_agreement, format="zoho")


def test_canonical_dataset_is_still_recognised_by_file_names(golden_agreement):
    result, _ = check(ROOT / "tests" / "fixtures" / "golden", golden_agreement)
    assert result.format == "canonical"


# --- Mapping files -------------------------------------------------------------------------------

MINIMAL = """
title = "Shop export"
date_formats = ["%d.%m.%Y %H:%M"]
time_zone = "Asia/Tokyo"
missing = ["n/a"]

[files.people]
table = "leads"
match = ["Kunde", "Angelegt"]

[files.people.columns]
lead_id = "Kunde"
created_at = "Angelegt"
source = { column = "Kanal", map = { "SEA" = "Paid search" } }
amount = { column = "Umsatz", when = { column = "Status", in = ["gewonnen"] } }
won_at = { column = "Angelegt", when = { column = "Status", in = ["Gewonnen"] } }
"""


def test_a_mapping_file_reads_any_export(tmp_path, golden_agreement):
    folder = write_dataset(
        tmp_path / "shop",
        kunden="Kunde;Angelegt;Kanal;Status;Umsatz\n"
        "K1;31.01.2026 09:30;SEA;gewonnen;1.200\n"
        "K2;01.02.2026 10:00;n/a;offen;\n"
        "K3;2026-02-02T10:00:00+01:00;Messe;offen;\n"
        "K4;32.01.2026 09:30;SEA;offen;\n",
    )
    path = tmp_path / "shop.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    result, con = check(folder, golden_agreement, mapping=path)
    con.execute("set TimeZone = 'UTC'")
    got = con.execute(
        "select lead_id, created_at, source, won_at, amount from leads order by 1"
    ).fetchall()
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert got == [
        # 09:30 in Tokyo is 00:30 UTC; "SEA" maps to "Paid search"; "1.200" is 1.2 (a decimal
        # point, not a thousands separator); the status test ignores case.
        ("K1", dt.datetime(2026, 1, 31, 9, 30, tzinfo=tokyo), "Paid search",
         dt.datetime(2026, 1, 31, 9, 30, tzinfo=tokyo), 1.2),
        # "n/a" is blank, so the source is (unknown).
        ("K2", dt.datetime(2026, 2, 1, 10, 0, tzinfo=tokyo), "(unknown)", None, None),
        # An offset in the text wins over the mapping's time zone; unmapped values stay.
        ("K3", dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC), "Messe", None, None),
    ]  # fmt: skip
    bad = con.execute("select line, column_name, reason from import_rejects").fetchall()
    assert bad == [
        (
            5,
            "Angelegt",
            'column "Angelegt" (created_at): "32.01.2026 09:30" is not a date (expected ISO 8601'
            " (2026-01-31, 2026-01-31T14:05:00+01:00), %d.%m.%Y %H:%M); if it is one, add its"
            " format to date_formats in the mapping (strptime codes such as %d/%m/%Y %H:%M)",
        )
    ]
    # Status is only tested, not read as a value: it stays, as a lead attribute.
    assert result.lead_attributes == ["status"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = 'x'\n", "files: expected at least one [files.<kind>] table"),
        ("title = 'x'\nextends = 'pipedrive'\n", "extends: 'pipedrive' is not a shipped format"),
        ("title = 'x'\ncolour = 1\n[files.a]\n", "unknown key 'colour'"),
        ("title = 'x'\n[files.a]\ntable = 'leeds'\nmatch = ['a']\n", "files.a.table: 'leeds' is not a table"),
        ("title = 'x'\n[files.a]\ntable = 'leads'\nmatch = ['a']\n[files.a.columns]\nlead_id = 'a'\n",
         "files.a.columns: nothing gives the required column 'created_at'"),
        ("title = 'x'\n[files.a]\ntable = 'leads'\nmatch = ['a']\n[files.a.columns]\nlead_id = 'a'\n"
         "created_at = { column = 'b', pattern = '[' }\n", "files.a.columns.created_at.pattern: not a regular"),
        ("title = 'x'\n[files.a]\ntable = 'leads'\nmatch = ['a']\n[files.a.columns]\nlead_id = 'a'\n"
         "created_at = 'b'\nsal_at = { column = 'c', when = { column = 'd' } }\n",
         "files.a.columns.sal_at.when: give exactly one of in, not_in"),
        ("title = 'x'\n[files.a]\ntable = 'leads'\nmatch = ['a']\n[files.a.columns]\nlead_id = 'a'\n"
         "created_at = 'b'\n[[files.a.status]]\ncolumn = 's'\ndate = 'b'\nvalues = { Hot = 'sales' }\n",
         "files.a.status[0].values.Hot: 'sales' is not one of mql, sal"),
        ("title = 'x'\ntime_zone = 'Mars/Olympus'\n[files.a]\n", "time_zone: 'Mars/Olympus' is not an IANA"),
        ("title = [\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_mapping_file_names_the_key(tmp_path, text, message):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(mapping.MappingError, match=re.escape(message)):
        mapping.load_mapping(path)


def test_a_mapping_may_extend_a_format_and_override_its_status_map(tmp_path, golden_agreement):
    # The Zoho format counts "Contacted" as accepted; this team counts it as an MQL only.
    folder = write_dataset(
        tmp_path / "z",
        Leads="LEADID,Lead Status,Created Time,Lead Source\n"
        '1,Contacted,"15 Apr, 2021 00:03:00",Web\n'
        '2,Junk Lead,"16 Apr, 2021 10:00:00",Web\n',
    )
    override = tmp_path / "ours.toml"
    # Arrays of tables are replaced whole: repeat the rule with the values this team uses.
    override.write_text(
        'extends = "zoho"\n\n[[files.leads.status]]\ncolumn = "Lead Status"\n'
        'date = "Created Time"\nvalues = { "Contacted" = "none", "Junk Lead" = { discard = "Junk" } }\n',
        encoding="utf-8",
    )
    _, con = check(folder, golden_agreement, mapping=override)
    got = con.execute("select lead_id, sal_at, discard_reason from leads order by 1").fetchall()
    assert got == [("1", None, None), ("2", None, "Junk")]
    _, con = check(folder, golden_agreement, format="zoho")
    got = con.execute("select lead_id, sal_at is not null, discard_reason from leads order by 1")
    assert got.fetchall() == [("1", True, None), ("2", False, "Junk Lead")]


def test_mapping_values_never_reach_sql_text(tmp_path, golden_agreement):
    # Quotes and SQL in every place a mapping supplies text: they are bound, so they are data.
    evil = "x'); drop table leads; --"
    folder = write_dataset(
        tmp_path / "e", people=f"id,when,src\n1,2026-01-05,{evil}\n2,2026-01-06,web\n"
    )
    path = tmp_path / "evil.toml"
    path.write_text(
        'title = "evil"\nmissing = ["x\'); drop table leads; --"]\n'
        '[files.p]\ntable = "leads"\nmatch = ["id"]\n[files.p.columns]\nlead_id = "id"\n'
        'created_at = "when"\nsource = { column = "src", map = { "web" = "\'; select 1; --" } }\n'
        'campaign = { constant = "Robert\'); drop table students;--" }\n',
        encoding="utf-8",
    )
    _, con = check(folder, golden_agreement, mapping=path)
    got = con.execute("select lead_id, source, campaign from leads order by 1").fetchall()
    assert got == [
        ("1", "(unknown)", "Robert'); drop table students;--"),
        ("2", "'; select 1; --", "Robert'); drop table students;--"),
    ]


def test_headers_from_a_mapping_must_name_columns_of_the_file(tmp_path, golden_agreement):
    folder = write_dataset(tmp_path / "h", people='id,"we""ird"\n1,2026-01-05\n')
    path = tmp_path / "m.toml"
    path.write_text(
        'title = "t"\n[files.p]\ntable = "leads"\nmatch = ["id"]\n[files.p.columns]\n'
        'lead_id = "id"\ncreated_at = "when\\"; drop table x; --"\n',
        encoding="utf-8",
    )
    with pytest.raises(importer.ImportFailure, match="no column 'when\"; drop table x; --'"):
        check(folder, golden_agreement, mapping=path)


def test_the_x_education_example_mapping_is_shipped_and_valid():
    shipped = mapping.load_mapping(ROOT / "data" / "mappings" / "x_education.toml")
    assert shipped.missing == ("Select",)
    assert shipped.kind("leads").spec("won_at") is not None


def test_every_shipped_format_parses_and_feeds_leads():
    for name in mapping.BUILTIN_FORMATS:
        fmt = mapping.builtin(name)
        assert any(k.table == "leads" for k in fmt.files), name
        assert all(k.match for k in fmt.files), name
