"""Three outcomes per row: every row read is accepted, set aside by a rule of the mapping (not
bad data, naming the rule) or rejected as bad (naming the cause), and accepted + set aside +
rejected = read for every file. And one file feeding several tables by row rules."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from handoff import importer
from handoff.cli import main
from handoff.db import Database
from tests.conftest import GOLDEN, checked, write_dataset
from tests.test_realdata import SALESFORCE, ZOHO

AGREEMENT = str(GOLDEN / "agreement.toml")

# --- Rows set aside by skip rules, beside bad rows ---------------------------------------------

TASKS_MAPPING = """
title = "A small CRM"
time_zone = "UTC"

[files.lead]
table = "leads"
match = ["Id", "Created", "Source"]
[files.lead.columns]
lead_id = "Id"
created_at = "Created"
source = "Source"

[files.task]
table = "activities"
match = ["Who", "When", "Kind"]
[files.task.columns]
lead_id = "Who"
activity_at = "When"
activity_type = "Kind"

[[files.task.skip]]
when = { column = "Who", prefix = "003" }
reason = "the task is about a contact"

[[files.task.skip]]
when = { column = "Who", blank = true }
reason = "the task is about no one"
"""

LEADS = "Id,Created,Source\nL1,2026-01-05,Web\nL2,2026-01-06,Email\n"
TASKS = (
    "Who,When,Kind\n"
    "L1,2026-01-05 12:00,call\n"  # line 2: accepted
    "003A,2026-01-05 13:00,call\n"  # line 3: set aside (a contact)
    "003B,not a date,call\n"  # line 4: set aside (a rule comes first: not checked further)
    "L9,2026-01-06 12:00,email\n"  # line 5: rejected (L9 is no lead: an orphan)
    ",2026-01-06 13:00,email\n"  # line 6: set aside (about no one)
    "L2,2026-01-07 09:00,meeting\n"  # line 7: accepted
)
CONTACT_RULE = "files.task.skip when Who starts with 003: the task is about a contact"
NO_ONE_RULE = "files.task.skip when Who is blank: the task is about no one"


def tasks_export(tmp_path, leads=LEADS + "L2,2026-01-07,Email\n", tasks=TASKS):
    """The small CRM export: by default a duplicate lead (leads.csv line 4) and the tasks above."""
    folder = write_dataset(tmp_path / "crm", **{"leads.csv": leads, "tasks.csv": tasks})
    mapping = tmp_path / "crm.toml"
    mapping.write_text(TASKS_MAPPING, encoding="utf-8")
    return folder, mapping


def outcomes(result):
    return {t.file: (t.n_read, t.n_accepted, t.n_set_aside, t.n_rejected) for t in result.tables}


def test_rows_a_rule_sets_aside_are_counted_apart_from_bad_rows(tmp_path, golden_agreement):
    folder, mapping = tasks_export(tmp_path)
    result, con = checked(folder, golden_agreement, mapping=mapping)
    # (read, accepted, set aside, rejected): leads L1, L2 and L2 again (a duplicate); tasks:
    # lines 2 and 7 accepted, 3, 4 and 6 set aside, 5 rejected.
    assert outcomes(result) == {
        "leads.csv": (3, 2, 0, 1),
        "tasks.csv": (6, 2, 3, 1),
        None: (0, 0, 0, 0),  # touches, deals, spend: no file
    }
    assert (result.n_set_aside, result.n_rejected) == (3, 2)
    assert result.set_aside == [
        ("activities", "tasks.csv", CONTACT_RULE, 2),
        ("activities", "tasks.csv", NO_ONE_RULE, 1),
    ]
    assert sorted(result.reasons) == [
        ("activities", "lead_id: not an accepted lead (orphan)", 1),
        ("leads", "Id: duplicate lead_id", 1),
    ]
    rows = con.execute(
        "select file_name, line, outcome, cause from import_rejects order by file_name, line"
    ).fetchall()
    assert rows == [
        ("leads.csv", 4, "rejected", "Id: duplicate lead_id"),
        ("tasks.csv", 3, "set_aside", CONTACT_RULE),
        ("tasks.csv", 4, "set_aside", CONTACT_RULE),
        ("tasks.csv", 5, "rejected", "lead_id: not an accepted lead (orphan)"),
        ("tasks.csv", 6, "set_aside", NO_ONE_RULE),
    ]
    summary = result.summary()
    header = f"{'table':<11} {'file':<22} {'read':>10} {'accepted':>10} {'set aside':>10}"
    assert header in summary
    assert f"{'activities':<11} {'tasks.csv':<22} {6:>10} {2:>10} {3:>10} {1:>10}" in summary
    # 9 read = 4 accepted + 3 set aside + 2 rejected.
    assert f"{'total':<34} {9:>10} {4:>10} {3:>10} {2:>10}" in summary
    assert "(accepted + set aside + rejected = read)" in summary
    aside = summary.split("Set aside by rule")[1].split("Rejected rows by cause")[0]
    assert f"       2  activities (tasks.csv): {CONTACT_RULE}" in aside
    assert f"       1  activities (tasks.csv): {NO_ONE_RULE}" in aside
    assert "orphan" not in aside


def test_check_exit_codes_and_json(tmp_path, capsys):
    folder, mapping = tasks_export(tmp_path)
    how = ["--mapping", str(mapping), "--agreement", AGREEMENT]
    # Bad rows: exit 1; the rejected rows are listed, the set-aside ones are not among them.
    assert main(["check", str(folder), *how]) == 1
    out = capsys.readouterr().out
    assert "2 rows would be rejected. 3 rows would be set aside by the mapping's rules" in out
    listed = out.split("Rejected rows (file line: what is wrong):")[1]
    assert "tasks.csv line 5," in listed
    assert "leads.csv line 4," in listed
    assert "tasks.csv line 3," not in listed
    # The same as JSON, for a scheduled job.
    assert main(["check", str(folder), *how, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1
    files = {f["file"]: f for f in data["files"] if f["file"]}
    assert files["tasks.csv"] == {
        "table": "activities",
        "file": "tasks.csv",
        "kind": "task",
        "read": 6,
        "accepted": 2,
        "set_aside": 3,
        "rejected": 1,
    }
    assert data["total"] == {"read": 9, "accepted": 4, "set_aside": 3, "rejected": 2}
    assert data["set_aside_by_rule"] == [
        {"table": "activities", "file": "tasks.csv", "rule": CONTACT_RULE, "rows": 2},
        {"table": "activities", "file": "tasks.csv", "rule": NO_ONE_RULE, "rows": 1},
    ]
    assert sorted(r["cause"] for r in data["rejected_by_cause"]) == [
        "Id: duplicate lead_id",
        "lead_id: not an accepted lead (orphan)",
    ]
    # Without the duplicate lead and the orphan task, nothing is bad: exit 0, though three rows
    # are set aside.
    good, mapping = tasks_export(tmp_path / "good", leads=LEADS, tasks=TASKS.replace("L9,", "L1,"))
    how = ["--mapping", str(mapping), "--agreement", AGREEMENT]
    assert main(["check", str(good), *how]) == 0
    out = capsys.readouterr().out
    assert "No problems: ready to import. 3 rows would be set aside" in out
    assert main(["check", str(good), *how, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["exit_code"], data["total"]["set_aside"], data["total"]["rejected"]) == (0, 3, 0)
    # An export that cannot be read: exit 2, the error as JSON with --json.
    empty = write_dataset(tmp_path / "empty", **{"notes.csv": "a,b\n1,2\n"})
    assert main(["check", str(empty), *how]) == 2
    assert "no leads file" in capsys.readouterr().err
    assert main(["check", str(empty), *how, "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 2
    assert "no leads file" in data["error"]


def test_the_rejects_file_and_the_database_tell_the_outcomes_apart(tmp_path, golden_agreement):
    folder, mapping = tasks_export(tmp_path)
    db_path = tmp_path / "crm.duckdb"
    result = importer.import_dataset(folder, db_path, golden_agreement, mapping=mapping)
    with open(result.rejects_path, newline="", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    assert list(lines[0]) == [
        "table", "file", "line", "outcome", "column", "reason", "cause", "record",
    ]  # fmt: skip
    assert [(r["file"], r["line"], r["outcome"], r["cause"]) for r in lines] == [
        ("tasks.csv", "3", "set_aside", CONTACT_RULE),
        ("tasks.csv", "4", "set_aside", CONTACT_RULE),
        ("tasks.csv", "5", "rejected", "lead_id: not an accepted lead (orphan)"),
        ("tasks.csv", "6", "set_aside", NO_ONE_RULE),
        ("leads.csv", "4", "rejected", "Id: duplicate lead_id"),
    ]  # by table (activities before leads), then file and line
    assert lines[0]["reason"] == CONTACT_RULE
    assert '"who":"003A"' in lines[0]["record"]
    db = Database(db_path, golden_agreement)
    tables = db.run("dataset_tables").set_index("table_name")
    assert tables.loc["activities", ["n_read", "n_accepted", "n_set_aside", "n_rejected"]].tolist() == [
        6, 2, 3, 1,
    ]  # fmt: skip
    assert tables.loc["leads", ["n_read", "n_accepted", "n_set_aside", "n_rejected"]].tolist() == [
        3, 2, 0, 1,
    ]  # fmt: skip
    # The rejected rows are the bad ones only; the set-aside ones are counted per rule.
    by_reason = db.run("rejects_by_reason")
    assert sorted(zip(by_reason["reason"], by_reason["n_rows"], strict=True)) == [
        ("Id: duplicate lead_id", 1),
        ("lead_id: not an accepted lead (orphan)", 1),
    ]
    rejected = db.run("rejected_rows", {"limit": 10})
    assert sorted(zip(rejected["file_name"], rejected["line"], strict=True)) == [
        ("leads.csv", 4),
        ("tasks.csv", 5),
    ]
    by_rule = db.run("set_aside_by_rule")
    assert by_rule[["file_name", "rule", "n_rows", "first_line"]].values.tolist() == [
        ["tasks.csv", CONTACT_RULE, 2, 3],
        ["tasks.csv", NO_ONE_RULE, 1, 6],
    ]


# --- Real exports: contacts' tasks and calls are set aside, not bad -----------------------------

needs_realdata = pytest.mark.skipif(not SALESFORCE.is_dir(), reason="no ../shared/realdata")


@needs_realdata
def test_salesforce_rows_set_aside_by_its_rules_are_not_bad(tmp_path, golden_agreement, capsys):
    # The workshop export without its opportunities (none of them was converted from a lead,
    # which the format rejects as it cannot tell them from bad data); the files are copied.
    folder = tmp_path / "workshop"
    folder.mkdir()
    workshop = SALESFORCE / "sfdc_assets_data_cloud_workshop"
    for name in ("Lead.csv", "CampaignMember.csv", "Task.csv", "Campaign.csv"):
        shutil.copy(workshop / name, folder / name)
    result, _ = checked(folder, golden_agreement, format="salesforce")
    # SOURCE.md and the CSVs: 34 of 68 campaign members are contacts; 60 of 75 tasks are about
    # contacts (003…) and the other 15 are not completed; none of the 8 campaigns has a cost.
    assert {t.file: t.n_set_aside for t in result.tables if t.file} == {
        "Lead.csv": 0,
        "CampaignMember.csv": 34,
        "Task.csv": 75,
        "Campaign.csv": 8,
    }
    assert result.n_rejected == 0
    rules = {rule: n for _, _, rule, n in result.set_aside}
    assert rules["files.task.skip when WhoId does not start with 00Q: the task is about a contact"
                 " or an account, not a lead (its WhoId does not start with 00Q)"] == 60  # fmt: skip
    assert main(["check", str(folder), "--format", "salesforce", "--agreement", AGREEMENT]) == 0
    assert "117 rows would be set aside" in capsys.readouterr().out


@needs_realdata
def test_zoho_calls_and_events_about_contacts_are_set_aside(capsys):
    # The 5,793 "rejected" rows: 4,100 calls of which 170 name a lead, and 2,978 events
    # of which 1,115 do (tests/test_realdata.py counts them from the CSVs): 3,930 + 1,863.
    assert main(["check", str(ZOHO), "--agreement", AGREEMENT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["set_aside"] == 5793
    assert data["total"]["rejected"] == 0
    assert [(r["file"], r["rows"]) for r in data["set_aside_by_rule"]] == [
        ("Calls.csv", 3930),
        ("Events.csv", 1863),
    ]


# --- The Data page ------------------------------------------------------------------------------


def test_the_data_page_checks_an_export_with_set_aside_and_rejected_rows(
    golden_db_path, tmp_path, monkeypatch
):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    db_path = tmp_path / "data" / "handoff.duckdb"
    db_path.parent.mkdir()
    shutil.copy(golden_db_path, db_path)
    monkeypatch.setenv("HANDOFF_DB", str(db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", AGREEMENT)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="upload_files").set_value(
        [
            ("leads.csv", (LEADS + "L2,2026-01-07,Email\n").encode(), "text/csv"),
            ("tasks.csv", TASKS.encode(), "text/csv"),
            ("crm.toml", TASKS_MAPPING.encode(), "application/toml"),
        ]
    ).run()
    assert not at.exception
    at.button[0].click().run()  # Check
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    per_file = next(f for f in frames if "n_set_aside" in f.columns)
    assert per_file[["file", "n_read", "n_accepted", "n_set_aside", "n_rejected"]].values.tolist() == [
        ["leads.csv", 3, 2, 0, 1],
        ["tasks.csv", 6, 2, 3, 1],
    ]  # fmt: skip
    captions = " ".join(c.value for c in at.caption)
    assert (
        "9 rows read = 4 accepted + 3 set aside by a rule of the mapping + 2 rejected." in captions
    )
    # The rows set aside, by rule and one by one, apart from the rejected ones.
    by_rule = next(f for f in frames if "rule" in f.columns)
    assert by_rule[["file_name", "rule", "n_rows"]].values.tolist() == [
        ["tasks.csv", CONTACT_RULE, 2],
        ["tasks.csv", NO_ONE_RULE, 1],
    ]
    listed = [f for f in frames if "line" in f.columns and "reason" in f.columns]
    # Set aside, then rejected (activities before leads); then the loaded data's rejected rows.
    assert [f["line"].tolist() for f in listed[:2]] == [[3, 4, 6], [5, 4]]
    assert listed[0]["reason"].tolist() == [CONTACT_RULE, CONTACT_RULE, NO_ONE_RULE]
    assert "3 rows would be set aside by the mapping's rules" in at.info[-1].value
    assert "2 rows would be rejected as bad data." in at.warning[-1].value
    # Import it: the tables and the rows set aside at import, each rule with its rows.
    at.button[1].click().run()
    assert not at.exception
    assert "(3 set aside by a rule, 2 rejected)" in at.success[0].value
    frames = [d.value for d in at.dataframe]
    tables = next(f for f in frames if "n_set_aside" in f.columns and "table_name" in f.columns)
    assert tables.set_index("table_name").loc["activities", "n_set_aside"] == 3
    rules = next(f for f in frames if "rule" in f.columns)
    assert rules[["rule", "n_rows", "first_line"]].values.tolist() == [
        [CONTACT_RULE, 2, 3],
        [NO_ONE_RULE, 1, 6],
    ]
    reasons = next(f for f in frames if "reason" in f.columns and "first_line" in f.columns)
    assert sorted(reasons["n_rows"].tolist()) == [1, 1]  # the duplicate and the orphan only
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_database_from_before_the_outcomes_is_refused(tmp_path, golden_agreement):
    # Its import_rejects has no outcome column and its import_tables no n_set_aside: a
    # database of schema version 5 asks for the data to be imported again.
    import duckdb

    from handoff.db import OutdatedDatabase

    assert importer.SCHEMA_VERSION == 6
    folder, mapping = tasks_export(tmp_path)
    db_path = tmp_path / "old.duckdb"
    importer.import_dataset(folder, db_path, golden_agreement, mapping=mapping)
    con = duckdb.connect(str(db_path))
    con.execute("update import_runs set schema_version = 5")
    con.close()
    with pytest.raises(OutdatedDatabase, match="import the data again"):
        Database(db_path, golden_agreement).run("dataset_tables")
