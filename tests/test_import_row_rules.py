"""One file feeding several tables by row rules: an event log whose rows are either touches or
conversions, mapped once, each row going to the table its kind's `rows` rule says."""

from __future__ import annotations

import pytest

from handoff import importer, mapping
from handoff.cli import main
from tests.conftest import GOLDEN, checked, write_dataset

AGREEMENT = str(GOLDEN / "agreement.toml")

EVENT_LOG_MAPPING = """
title = "An event log"
time_zone = "UTC"

# A signup or a demo request makes the lead ...
[files.conversion]
table = "leads"
match = ["user", "time", "type", "channel"]
rows = { column = "type", in = ["signup", "demo_request"] }
[files.conversion.columns]
lead_id = "user"
created_at = "time"
source = "channel"

# ... and an impression or a click is a marketing touch.
[files.touch]
table = "touches"
match = ["user", "time", "type", "channel"]
rows = { column = "type", in = ["impression", "click"] }
[files.touch.columns]
lead_id = "user"
touched_at = "time"
channel = "channel"
touch_type = "type"
"""

EVENTS = (
    "user,time,type,channel\n"
    "u1,2026-01-05 10:00,impression,Search\n"  # line 2: touch, accepted
    "u1,2026-01-05 10:05,click,Search\n"  # line 3: touch, accepted
    "u1,2026-01-05 10:10,signup,Search\n"  # line 4: lead u1, accepted
    "u2,2026-01-06 09:00,click,Social\n"  # line 5: touch, accepted (u2's lead is line 6)
    "u2,2026-01-06 09:30,demo_request,Social\n"  # line 6: lead u2, accepted
    "u2,2026-01-07 09:00,signup,Social\n"  # line 7: lead u2 again, rejected (duplicate)
    "u3,2026-01-07 10:00,click,Email\n"  # line 8: touch, rejected (u3 is no lead: orphan)
    "u4,2026-01-08 10:00,pageview,Web\n"  # line 9: no rule takes it: set aside
    "u5,yesterday,signup,Web\n"  # line 10: lead, rejected (not a date)
    "u1,2026-01-09 10:00,Impression,Search\n"  # line 11: touch (values compare without case)
    "u6,2026-01-10 10:00,click\n"  # line 12: three fields of four: rejected as it is read
)
NO_RULE = (
    "no row rule takes it: files.conversion.rows (type is signup / demo_request), "
    "files.touch.rows (type is impression / click)"
)


def event_log(tmp_path, text=EVENTS, mapping_text=EVENT_LOG_MAPPING):
    folder = write_dataset(tmp_path / "log", **{"events.csv": text})
    path = tmp_path / "events.toml"
    path.write_text(mapping_text, encoding="utf-8")
    return folder, path


def test_one_event_log_feeds_leads_and_touches(tmp_path, golden_agreement):
    folder, path = event_log(tmp_path)
    result, con = checked(folder, golden_agreement, mapping=path)
    by_table = {
        t.table: (t.file, t.n_read, t.n_accepted, t.n_set_aside, t.n_rejected)
        for t in result.tables
        if t.file
    }
    # (file, read, accepted, set aside, rejected). The conversion kind (first in the mapping)
    # reads the file, so it owns line 12 (rejected as read) and line 9 (no rule takes it):
    # lines 4, 6, 7, 10 + 9 + 12 = 6 rows, of which u1 and u2 are accepted. The touch kind
    # takes lines 2, 3, 5, 8 and 11: all accepted but line 8.
    assert by_table == {
        "leads": ("events.csv", 6, 2, 1, 3),
        "touches": ("events.csv", 5, 4, 0, 1),
    }
    # One file's read is the sum over the tables it fed: 11 rows below the header.
    assert sum(t.n_read for t in result.tables if t.file == "events.csv") == 11
    assert con.execute("select lead_id, source from leads order by 1").fetchall() == [
        ("u1", "Search"),
        ("u2", "Social"),
    ]
    assert con.execute(
        "select lead_id, channel, lower(touch_type) from touches order by touched_at"
    ).fetchall() == [
        ("u1", "Search", "impression"),
        ("u1", "Search", "click"),
        ("u2", "Social", "click"),
        ("u1", "Search", "impression"),  # spellings merged: 'impression' or 'Impression'
    ]
    rows = con.execute(
        "select table_name, line, outcome from import_rejects order by line"
    ).fetchall()
    assert rows == [
        ("leads", 7, "rejected"),
        ("touches", 8, "rejected"),
        ("leads", 9, "set_aside"),
        ("leads", 10, "rejected"),
        ("leads", 12, "rejected"),
    ]
    assert result.set_aside == [("leads", "events.csv", NO_RULE, 1)]
    summary = result.summary()
    assert "events.csv fed 2 tables by row rules: 11 rows read = leads 6 + touches 5" in summary
    assert "(accepted + set aside + rejected = read)" in summary
    assert f"       1  leads (events.csv): {NO_RULE}" in summary
    # How the file was assigned says which rows each kind takes.
    assert any(
        "events.csv → touch (the touches table)" in line
        and "the rows where type is impression / click" in line
        for line in result.detection
    )


def test_a_row_two_rules_take_goes_to_the_first_kind(tmp_path, golden_agreement):
    # The touch kind's rule takes signups too; a signup row is a lead's (the first kind in the
    # mapping's order), not a touch: lines 2 and 3 go to leads, line 4 to touches.
    text = EVENT_LOG_MAPPING.replace('in = ["impression", "click"]', 'in = ["click", "signup"]')
    events = (
        "user,time,type,channel\n"
        "u1,2026-01-05 10:10,signup,Search\n"
        "u2,2026-01-05 10:20,signup,Search\n"
        "u1,2026-01-06 10:00,click,Search\n"
    )
    folder, path = event_log(tmp_path, events, text)
    result, con = checked(folder, golden_agreement, mapping=path)
    assert result.counts()["leads"] == 2
    assert result.counts()["touches"] == 1
    assert con.execute("select lead_id, touch_type from touches").fetchall() == [("u1", "click")]


def test_a_row_rule_on_a_column_the_file_lacks_stops_the_import(tmp_path, golden_agreement):
    text = EVENT_LOG_MAPPING.replace(
        'rows = { column = "type", in = ["signup"', 'rows = { column = "kind", in = ["signup"'
    )
    folder, path = event_log(tmp_path, mapping_text=text)
    with pytest.raises(importer.ImportFailure, match="no column 'kind'"):
        importer.check_dataset(folder, golden_agreement, mapping=path)


def test_row_rules_are_checked_when_the_mapping_is_read(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        EVENT_LOG_MAPPING.replace('in = ["impression", "click"]', 'inn = ["click"]'),
        encoding="utf-8",
    )
    with pytest.raises(mapping.MappingError, match=r"files\.touch\.rows: unknown key 'inn'"):
        mapping.load_mapping(path)


# Two kinds matching one file without row rules: the natural first try. The leads file's source
# is the channel of the lead's signup, looked up in the conversions.
WITHOUT_RULES = """
title = "Leads and an event log"
time_zone = "UTC"

[files.lead]
table = "leads"
match = ["Id", "Created"]
[files.lead.columns]
lead_id = "Id"
created_at = "Created"
source = { lookup = "conversion", key = "Id", match = "user", take = "channel" }

[files.touch]
table = "touches"
match = ["user", "time", "type", "channel"]
[files.touch.columns]
lead_id = "user"
touched_at = "time"
channel = "channel"

[files.conversion]
table = "activities"
match = ["user", "time", "type", "channel"]
[files.conversion.columns]
lead_id = "user"
activity_at = "time"
activity_type = "type"
"""


def test_two_kinds_on_one_file_without_row_rules_say_what_to_write(tmp_path, golden_agreement):
    folder = write_dataset(
        tmp_path / "crm",
        **{
            "leads.csv": "Id,Created\nu1,2026-01-05\n",
            "events.csv": "user,time,type,channel\nu1,2026-01-05 10:00,signup,Search\n",
        },
    )
    path = tmp_path / "m.toml"
    path.write_text(WITHOUT_RULES, encoding="utf-8")
    # Not "the export does not have" a conversions file: it has one, taken by the touch kind.
    with pytest.raises(importer.ImportFailure) as caught:
        importer.check_dataset(folder, golden_agreement, mapping=path)
    message = str(caught.value)
    assert "does not have" not in message
    assert "[files.lead] looks up values in [files.conversion]" in message
    assert "events.csv fits both [files.touch] and [files.conversion]" in message
    assert 'rows = { column = "type", in = ["click"] }' in message
    # Without the lookup the import goes on, and says why the conversions got no file.
    path.write_text(
        WITHOUT_RULES.replace(
            'source = { lookup = "conversion", key = "Id", match = "user", take = "channel" }',
            'source = { constant = "Web" }',
        ),
        encoding="utf-8",
    )
    result, _ = checked(folder, golden_agreement, mapping=path)
    assert any(
        line.startswith("conversion: no file: events.csv fits both") for line in result.detection
    )
    assert main(["check", str(folder), "--mapping", str(path), "--agreement", AGREEMENT]) == 0


def test_kinds_of_one_table_cannot_share_a_file(tmp_path, golden_agreement):
    # Two kinds with row rules feeding touches from one file: the second gets no file (one kind
    # per table reads a file), and the plan says why.
    text = (
        EVENT_LOG_MAPPING
        + """
[files.click]
table = "touches"
match = ["user", "time", "type", "channel"]
rows = { column = "type", in = ["click"] }
[files.click.columns]
lead_id = "user"
touched_at = "time"
channel = "channel"
"""
    )
    folder, path = event_log(tmp_path, mapping_text=text)
    result, _ = checked(folder, golden_agreement, mapping=path)
    assert [t.kind for t in result.tables if t.table == "touches"] == ["touch"]
    assert (
        "click: no file: events.csv is read for the touches table by [files.touch]; a file feeds"
        " each table through one kind only, so [files.click] gets no file: list its rows in"
        " [files.touch]'s row rule instead"
    ) in result.detection
