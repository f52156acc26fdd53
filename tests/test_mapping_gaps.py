"""Issue 19's gaps in the mapping language: `pick` by another column's order, lead attributes
from lookups and from the files about leads, and date-only values under a mapping time zone.
Every expected value is worked out by hand from the small export each test writes."""

from __future__ import annotations

import pytest

from handoff import agreement as agreement_mod
from handoff.importer.extract import ExtractError
from handoff.importer.result import ImportFailure
from handoff.mapping import MappingError, load_mapping
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
