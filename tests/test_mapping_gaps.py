"""Issue 19's gaps in the mapping language: `pick` by another column's order, lead attributes
from lookups and from the files about leads, and date-only values under a mapping time zone.
Every expected value is worked out by hand from the small export each test writes."""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import agreement as agreement_mod
from handoff import importer
from handoff.importer.extract import ExtractError
from handoff.importer.result import ImportFailure
from handoff.mapping import MappingError, assign, column_mapping, load_mapping
from tests.conftest import GOLDEN, checked, write_dataset

BERLIN = agreement_mod.load(GOLDEN / "agreement.toml")  # time_zone = "Europe/Berlin"

# A leads file whose source comes from an event log: each customer's rows, in file order.
_EVENTS = """customer,channel,time
C1,Email,2026-03-05 10:00
C1,Paid Search,2026-03-02 09:00
C1,Social,2026-03-02 09:00
C1,Webinar,
C2,Referral,not a date
C2,Display,
C3,,2026-01-01 08:00
C3,Organic,2026-02-01 08:00
C3,Events,2026-02-01 08:00
"""
_CUSTOMERS = "id,created\nC1,2026-03-01\nC2,2026-03-01\nC3,2026-03-01\nC4,2026-03-01\n"


def _pick_mapping(pick: str, column: str = "source") -> str:
    return f"""title = "Event log"
[files.customers]
table = "leads"
match = ["id", "created"]
[files.customers.columns]
lead_id = "id"
created_at = "created"
{column} = {{ lookup = "events", key = "id", match = "customer", take = "channel", pick = {pick} }}
[files.events]
match = ["customer", "channel", "time"]
"""


def _import_with(tmp_path, mapping_text: str, agreement=BERLIN, **files: str):
    folder = write_dataset(tmp_path / "export", **files)
    path = tmp_path / "m.toml"
    path.write_text(mapping_text, encoding="utf-8")
    return checked(folder, agreement, mapping=path)


@pytest.mark.parametrize(
    ("pick", "expected"),
    [
        # C1: the earliest time is 2026-03-02 09:00, on lines 3 and 4; the tie goes to the first
        # row in file order: Paid Search. C2: no row has a readable time ("not a date", blank),
        # so the undated rows are taken in file order: the first, Referral. C3: line 8's row has
        # the earliest time but no channel; of the rows with a channel, 2026-02-01 08:00 ties on
        # lines 9 and 10: Organic. C4 has no events: blank, which becomes (unknown).
        ('{ earliest = "time" }', {"C1": "Paid Search", "C2": "Referral", "C3": "Organic",
                                    "C4": "(unknown)"}),
        # C1: the latest time is 2026-03-05 10:00 (line 2, Email); the undated Webinar row comes
        # after every dated row, so it is not taken. C2: no dated row: the last undated one,
        # Display. C3: 2026-02-01 08:00 ties on lines 9 and 10; the latest takes the last: Events.
        ('{ latest = "time" }', {"C1": "Email", "C2": "Display", "C3": "Events",
                                  "C4": "(unknown)"}),
        # File order, for comparison: the first and last rows with a channel.
        ('"first"', {"C1": "Email", "C2": "Referral", "C3": "Organic", "C4": "(unknown)"}),
        ('"last"', {"C1": "Webinar", "C2": "Display", "C3": "Events", "C4": "(unknown)"}),
    ],
)  # fmt: skip
def test_pick_takes_the_value_of_the_row_with_the_earliest_or_latest_date(tmp_path, pick, expected):
    result, con = _import_with(tmp_path, _pick_mapping(pick), customers=_CUSTOMERS, events=_EVENTS)
    assert result.n_rejected == 0
    got = dict(con.execute("select lead_id, source from leads").fetchall())
    assert got == expected


def test_pick_by_column_reads_the_order_column_with_the_mapping_date_formats(tmp_path):
    # With date_formats = ["%d/%m/%Y"], C1's rows are 2 March 2026 (Email), 5 January 2026
    # (Social) and 31 December 2025 (Display): the earliest is Display. As text, "02/03/2026"
    # sorts first (Email): the order column is read as dates, not compared as text.
    events = (
        "customer,channel,time\nC1,Email,02/03/2026\nC1,Social,05/01/2026\nC1,Display,31/12/2025\n"
    )
    text = _pick_mapping('{ earliest = "time" }').replace(
        'title = "Event log"', 'title = "Event log"\ndate_formats = ["%d/%m/%Y"]'
    )
    _, con = _import_with(tmp_path, text, customers="id,created\nC1,2026-03-01\n", events=events)
    assert con.execute("select source from leads").fetchall() == [("Display",)]


def test_plain_earliest_on_a_column_that_is_not_a_date_is_refused_with_the_fix(tmp_path):
    # It used to give blanks silently: the min of "Paid Search" read as a timestamp.
    path = tmp_path / "m.toml"
    path.write_text(_pick_mapping('"earliest"'), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    said = str(err.value)
    assert "files.customers.columns.source" in said
    assert 'pick = "earliest"' in said
    assert "applies only to a date column of leads (created_at, mql_at," in said
    assert 'write pick = { earliest = "<a date column of the events file>" }' in said


def test_plain_earliest_on_a_date_column_still_takes_the_earliest_date(tmp_path):
    # mql_at = the earliest of C1's times: 2026-03-02 09:00 Berlin (an MQL before creation is
    # kept, a data-quality warning, not a reject).
    text = (
        _pick_mapping('"earliest"', column="mql_at").replace('take = "channel"', 'take = "time"')
        + "\n"
    )
    _, con = _import_with(
        tmp_path,
        text.replace(
            "[files.customers.columns]\n",
            '[files.customers.columns]\nsource = { constant = "web" }\n',
        ),
        customers="id,created\nC1,2026-03-01\n",
        events=_EVENTS,
    )
    (at,) = con.execute(
        "select strftime(timezone('Europe/Berlin', mql_at), '%Y-%m-%d %H:%M') from leads"
    ).fetchone()
    assert at == "2026-03-02 09:00"


@pytest.mark.parametrize(
    "pick",
    ['"soonest"', '{ earliest = "time", latest = "time" }', '{ first = "time" }',
     '{ earliest = 3 }'],
)  # fmt: skip
def test_a_pick_that_is_not_one_is_refused_naming_the_key(tmp_path, pick):
    path = tmp_path / "m.toml"
    path.write_text(_pick_mapping(pick), encoding="utf-8")
    with pytest.raises(MappingError, match=r"files\.customers\.columns\.source\.pick"):
        load_mapping(path)


def test_an_order_column_the_file_lacks_names_the_file_and_the_column(tmp_path):
    events = _EVENTS.replace("customer,channel,time", "customer,channel,when")
    text = _pick_mapping('{ earliest = "time" }').replace('"channel", "time"]', '"channel"]')
    with pytest.raises(ImportFailure) as err:
        _import_with(tmp_path, text, customers=_CUSTOMERS, events=events)
    said = str(err.value)
    assert said.startswith("events.csv: no column 'time'"), said
    assert 'pick = { earliest = "time" }' in said
    assert "the file has: customer, channel, when" in said
    assert isinstance(err.value.__cause__, ExtractError)


# --- Dates without a time of day, when the mapping's time zone is not the agreement's ---------

NEW_YORK = agreement_mod.parse(
    (GOLDEN / "agreement.toml")
    .read_text(encoding="utf-8")
    .replace('time_zone = "Europe/Berlin"', 'time_zone = "America/New_York"')
)

_DATED = """title = "Dates and zones"
time_zone = "{zone}"
date_formats = ["%m/%d/%Y %H:%M", "%m/%d/%Y"]
[files.leads]
table = "leads"
match = ["id", "created"]
[files.leads.columns]
lead_id = "id"
created_at = "created"
mql_at = {{ column = "mql", optional = true }}
source = {{ constant = "web" }}
[files.spend]
table = "spend"
match = ["month", "cost"]
[files.spend.columns]
month = "month"
cost = "cost"
"""
_LEADS = """id,created,mql
A,2026-03-01,2026-03-02
B,2026-03-01 00:30,
C,03/01/2026,
D,03/01/2026 00:30,
E,2026-03-01T00:00:00+00:00,
"""


_UTC = {
    c: f"select lead_id, strftime(timezone('UTC', {c}), '%Y-%m-%d %H:%M') from leads"
    f" where {c} is not null"
    for c in ("created_at", "mql_at")
}


def _utc(con, column: str = "created_at") -> dict[str, str]:
    return dict(con.execute(_UTC[column]).fetchall())


def test_a_date_alone_is_midnight_in_the_agreements_zone_whatever_the_mapping_says(tmp_path):
    # Mapping America/New_York, agreement Europe/Berlin (UTC+1 in March).
    # A 2026-03-01 and C 03/01/2026 are dates alone: midnight in Berlin = 2026-02-28 23:00 UTC
    # (before, midnight in New York: 2026-03-01 05:00 UTC, 06:00 in Berlin).
    # B 2026-03-01 00:30 and D 03/01/2026 00:30 have a time of day: New York's, UTC-5 in March
    # (DST starts on 8 March): 05:30 UTC. E has an offset: 00:00 UTC.
    result, con = _import_with(
        tmp_path, _DATED.format(zone="America/New_York"), BERLIN, leads=_LEADS,
        spend="month,cost\n2026-03-01,100\n03/01/2026,50\n2026-03-15 23:30,7\n",
    )  # fmt: skip
    assert result.n_rejected == 0
    assert _utc(con) == {
        "A": "2026-02-28 23:00",
        "B": "2026-03-01 05:30",
        "C": "2026-02-28 23:00",
        "D": "2026-03-01 05:30",
        "E": "2026-03-01 00:00",
    }
    # A's mql 2026-03-02: midnight in Berlin, 2026-03-01 23:00 UTC.
    assert _utc(con, "mql_at") == {"A": "2026-03-01 23:00"}
    # Spend months: a date alone is its own month (March), as is a time of day in March.
    assert con.execute("select strftime(month, '%Y-%m'), cost from spend order by cost").fetchall() == [
        ("2026-03", 7.0), ("2026-03", 50.0), ("2026-03", 100.0)
    ]  # fmt: skip
    # The note, on the leads file: A and C in created_at; A in mql_at.
    (leads,) = [t for t in result.tables if t.table == "leads"]
    rule = (
        "each is read as midnight in the agreement's time zone (Europe/Berlin), not in the "
        "mapping's time_zone (America/New_York) that its times of day are read in, so it counts "
        "on the day it names"
    )
    assert (
        f'created_at ("created"): 2 value(s) are dates with no time of day; {rule}' in leads.notes
    )
    assert f'mql_at ("mql"): 1 value(s) are dates with no time of day; {rule}' in leads.notes
    (spend,) = [t for t in result.tables if t.table == "spend"]
    assert not spend.notes  # a month is a calendar month already


def test_a_date_alone_stays_in_its_month_when_the_mapping_zone_is_east_of_the_agreement(tmp_path):
    # Mapping Europe/Berlin, agreement America/New_York. Before, 2026-03-01 was midnight in
    # Berlin, 2026-02-28 18:00 in New York: February's count gained the lead, March's lost it.
    # Now it is midnight in New York: 3 leads created in March, 1 (2026-02-27) in February.
    leads = "id,created\nA,2026-03-01\nB,2026-03-01\nC,2026-03-31\nD,2026-02-27\n"
    result, con = _import_with(tmp_path, _DATED.format(zone="Europe/Berlin"), NEW_YORK, leads=leads)
    months = con.execute(
        "select strftime(timezone('America/New_York', created_at), '%Y-%m') as m, count(*)"
        " from leads group by m order by m"
    ).fetchall()
    assert months == [("2026-02", 1), ("2026-03", 3)]
    (leads_result,) = [t for t in result.tables if t.table == "leads"]
    assert any(
        n.startswith('created_at ("created"): 4 value(s) are dates with no time of day')
        for n in leads_result.notes
    ), leads_result.notes


def test_no_note_when_the_mapping_reads_in_the_agreements_zone(tmp_path):
    # Same zone (or none): midnight is the same instant either way, and nothing is said.
    same = _DATED.format(zone="Europe/Berlin")
    for text in (same, same.replace('time_zone = "Europe/Berlin"\n', "")):
        result, con = _import_with(tmp_path, text, BERLIN, leads=_LEADS)
        assert not any("no time of day" in n for t in result.tables for n in t.notes)
        # Dates alone and times of day alike in Berlin: A midnight = 23:00 UTC, B 00:30 = 23:30.
        assert _utc(con)["A"] == "2026-02-28 23:00"
        assert _utc(con)["B"] == "2026-02-28 23:30"


def test_check_prints_the_date_only_note_under_the_file(tmp_path, capsys):
    from handoff.cli import main

    folder = write_dataset(tmp_path / "export", leads=_LEADS)
    path = tmp_path / "m.toml"
    path.write_text(_DATED.format(zone="America/New_York"), encoding="utf-8")
    agreement = tmp_path / "agreement.toml"
    agreement.write_text((GOLDEN / "agreement.toml").read_text(encoding="utf-8"))
    assert main(["check", str(folder), "--mapping", str(path), "--agreement", str(agreement)]) == 0
    out = capsys.readouterr().out
    assert (
        '    created_at ("created"): 2 value(s) are dates with no time of day; each is read' in out
    )


# --- Lead attributes from a lookup and from the deals about a lead ---------------------------

_ATTRIBUTES = """title = "Leads, deals and teams"
[files.leads]
table = "leads"
match = ["id", "created", "team"]
[files.leads.columns]
lead_id = "id"
created_at = "created"
source = "source"
team = "team"
[files.leads.lead_attributes]
region = { lookup = "teams", key = "team", match = "Team", take = "Region" }
[files.teams]
match = ["Team", "Region"]
[files.deals]
table = "deals"
match = ["deal", "lead", "stage"]
[files.deals.columns]
deal_id = "deal"
lead_id = "lead"
created_at = "opened"
status = { column = "stage", map = { "Won" = "won", "Lost" = "lost", "Open" = "open" } }
amount = "amount"
[files.deals.lead_attributes]
segment = { column = "Segment", pick = { latest = "opened" } }
first_segment = "Segment"
deal_types = { column = "Type", pick = "any" }
"""
_LEADS_FILE = """id,created,source,team,region
L1,2026-03-02,Web,North team,old
L2,2026-03-03,Web,South team,old
L3,2026-03-04,Ads,North team,old
L4,2026-03-05,Ads,East team,old
L5,2026-03-06,Web,South team,old
"""
_TEAMS = "Team,Region\nNorth team,EMEA\nSouth team,AMER\n"
_DEALS = """deal,lead,opened,stage,amount,Segment,Type
D1,L1,2026-03-20,Won,100,SMB,New
D2,L1,2026-03-10,Open,,Enterprise,Upsell
D3,L3,2026-03-21,Lost,,Enterprise,New
D4,L3,2026-03-21,Open,,Mid-Market,New
D5,L9,2026-03-20,Won,50,SMB,New
D6,L5,,Open,,SMB,New
D7,L2,2026-03-22,Open,,,Renewal
"""
# By hand:
# region (a lookup of the lead's team): L1, L3 North team → EMEA; L2, L5 South team → AMER; L4's
#   East team is not in teams.csv → blank. The leads file's own "region" column is kept as
#   orig_region (the name is the mapping's attribute).
# segment (the lead's deal with the latest opened): L1's D1 (20 March) is later than D2 (10
#   March) → SMB. L3's D3 and D4 both opened on 21 March: the tie goes to the last in the file,
#   D4 → Mid-Market. D5 is an orphan (L9 is no lead) and D6 has no created date: both rejected,
#   so they give nothing (L5 has no segment). L2's D7 has a blank segment → none.
# first_segment (the first deal in file order with a segment): L1 SMB (D1), L3 Enterprise (D3).
# deal_types (every distinct type, alphabetically, joined by " + "): L1 "New + Upsell", L2
#   "Renewal", L3 "New" (twice, once), L5 none (its only deal was rejected).
_EXPECTED = {
    "region": {"L1": "EMEA", "L2": "AMER", "L3": "EMEA", "L5": "AMER"},
    "segment": {"L1": "SMB", "L3": "Mid-Market"},
    "first_segment": {"L1": "SMB", "L3": "Enterprise"},
    "deal_types": {"L1": "New + Upsell", "L2": "Renewal", "L3": "New"},
    "orig_region": {f"L{i}": "old" for i in range(1, 6)},
}


def _attribute_export(tmp_path, mapping_text: str = _ATTRIBUTES):
    folder = write_dataset(tmp_path / "export", leads=_LEADS_FILE, teams=_TEAMS, deals=_DEALS)
    path = tmp_path / "m.toml"
    path.write_text(mapping_text, encoding="utf-8")
    return folder, path


def test_lookups_and_deal_fields_become_lead_attributes(tmp_path):
    folder, path = _attribute_export(tmp_path)
    result, con = checked(folder, BERLIN, mapping=path)
    assert set(result.lead_attributes) == set(_EXPECTED)
    (deals,) = [t for t in result.tables if t.table == "deals"]
    assert deals.n_rejected == 2  # D5 (orphan) and D6 (no created date)
    assert deals.lead_attributes == ["segment", "first_segment", "deal_types"]
    assert (
        "lead attribute segment: the value of the row with the latest opened, of each lead's"
        " accepted rows (2 leads have a value)"
    ) in deals.notes
    assert (
        "lead attribute deal_types: every value, in alphabetical order joined by '+', of each"
        " lead's accepted rows (3 leads have a value)"
    ) in deals.notes
    rows = con.execute(
        "select attribute, lead_id, value from lead_attributes order by attribute, lead_id"
    ).fetchall()
    got: dict[str, dict[str, str]] = {}
    for attribute, lead, value in rows:
        got.setdefault(attribute, {})[lead] = value
    assert got == _EXPECTED
    # The leads table keeps one row per lead, in lead_key order.
    assert con.execute("select list(lead_id order by lead_key) from leads").fetchone()[0] == [
        "L1", "L2", "L3", "L4", "L5"
    ]  # fmt: skip


def test_lead_attributes_from_deals_filter_and_break_down_the_funnel(tmp_path):
    from handoff import metrics
    from handoff.db import Database
    from handoff.filters import Filters, resolve_period

    folder, path = _attribute_export(tmp_path)
    importer.import_dataset(folder, tmp_path / "h.duckdb", BERLIN, mapping=path)
    db = Database(tmp_path / "h.duckdb", BERLIN)
    try:
        assert set(_EXPECTED) <= set(db.attributes)
        march = resolve_period("custom", dt.date(2026, 4, 10), dt.date(2026, 3, 1),
                               dt.date(2026, 3, 31))  # fmt: skip
        # Every lead was created in March. By segment: SMB L1, Mid-Market L3, (blank) L2 L4 L5.
        # L1 won its deal D1: won counts 1 in SMB.
        frame = metrics.run(db, "funnel_breakdown", Filters(period=march),
                            columns={"group_1": "segment"})  # fmt: skip
        by_segment = {r["group_1"]: (r["n_lead"], r["n_won"]) for _, r in frame.iterrows()}
        assert by_segment == {"SMB": (1, 1), "Mid-Market": (1, 0), "(blank)": (3, 0)}
        # Filtered to region EMEA (L1, L3) and broken down by deal_types: "New + Upsell" L1,
        # "New" L3.
        emea = Filters(period=march, attributes=(("region", ("EMEA",)),))
        frame = metrics.run(db, "funnel_breakdown", emea, columns={"group_1": "deal_types"})
        assert dict(zip(frame["group_1"], frame["n_lead"], strict=True)) == {
            "New + Upsell": 1, "New": 1
        }  # fmt: skip
        # The filter options count leads per value: deal_types New 1 (L3), New + Upsell 1 (L1),
        # Renewal 1 (L2).
        options = db.run("attribute_options")
        types = options[options["attribute"] == "deal_types"]
        assert sorted(zip(types["value"], types["n_leads"], strict=True)) == [
            ("New", 1), ("New + Upsell", 1), ("Renewal", 1)
        ]  # fmt: skip
    finally:
        db.close()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # A lead attribute on a file that is not about leads.
        (('[files.teams]\nmatch = ["Team", "Region"]\n',
          '[files.teams]\nmatch = ["Team", "Region"]\n[files.teams.lead_attributes]\nx = "Region"\n'),
         "files.teams.lead_attributes: lead attributes come from the leads file or a file about"
         " leads"),
        # Named as a column of leads.
        (("first_segment = ", "source = "), "files.deals.lead_attributes.source: a lead attribute"
         " is named with lower-case letters"),
        # Declared by two kinds of file.
        (("first_segment = ", "region = "), "files.deals.lead_attributes.region: files.leads"
         " declares it too"),
        # Plain earliest: an attribute is text.
        (('pick = { latest = "opened" }', 'pick = "latest"'),
         'files.deals.lead_attributes.segment.pick: a lead attribute is text, not a date: write'
         ' { latest = "<a date column of the file>" }'),
        (('pick = "any"', 'pick = "most"'),
         "files.deals.lead_attributes.deal_types.pick: expected first, last or any"),
        # A lookup's own pick inside an attribute of the leads file's lookups: plain earliest.
        (('take = "Region" }', 'take = "Region", pick = "earliest" }'),
         'files.leads.lead_attributes.region: pick = "earliest" takes the earliest'),
    ],
)  # fmt: skip
def test_a_lead_attribute_that_cannot_be_made_is_refused_naming_the_key(tmp_path, change, said):
    _, path = _attribute_export(tmp_path, _ATTRIBUTES.replace(*change))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert said in str(err.value)


def test_an_order_column_the_deals_file_lacks_names_the_file_and_column(tmp_path):
    folder, path = _attribute_export(
        tmp_path, _ATTRIBUTES.replace('{ latest = "opened" }', '{ latest = "closed" }')
    )
    with pytest.raises(ImportFailure) as err:
        checked(folder, BERLIN, mapping=path)
    said = str(err.value)
    assert said.startswith("deals.csv: no column 'closed'"), said
    assert 'pick = { latest = "closed" }' in said


def test_the_column_mapping_says_where_each_lead_attribute_comes_from(tmp_path):
    _, path = _attribute_export(tmp_path)
    m = load_mapping(path)
    headers = {
        tmp_path / "leads.csv": ["id", "created", "source", "team"],
        tmp_path / "teams.csv": ["Team", "Region"],
        tmp_path / "deals.csv": ["deal", "lead", "opened", "stage", "amount", "Segment", "Type"],
    }
    rows = {r["column"]: r["from"] for r in column_mapping(assign(m, headers))}
    assert rows["region (lead attribute)"] == "Region of the teams file where Team = team"
    assert (
        rows["segment (lead attribute)"]
        == "Segment, of the lead's deals row with the latest opened"
    )
    assert (
        rows["first_segment (lead attribute)"]
        == "Segment, of the lead's first deals row with a value"
    )
    assert (
        rows["deal_types (lead attribute)"]
        == "Type, of every value of the lead's deals rows, joined by “+”"
    )
