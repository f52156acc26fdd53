"""Editing the agreement in the app (issue 18, item 2): the change-block writer, validation
through the file loader, the preview and the reported periods a past version changes, saving
(atomic, under a lock, refusing a save over someone else's), the localhost rule, the
`stages.aliases` key, and the Definitions page's editor end to end.

The data is the golden fixture (tests/fixtures/golden, its README lists the leads); the
scorecard values below are the hand-worked ones of tests/test_versions.py, reasoned again here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import tomllib

import pytest
from streamlit import config as st_config

from handoff import agreement as agreement_mod
from handoff import editor, safe
from handoff.agreement import AgreementError
from handoff.db import Database
from handoff.filters import Filters, Period
from tests.conftest import GOLDEN, ROOT

TIMEOUT = 30
SOURCE = "agreement.toml"
MARCH = Filters(Period("custom", dt.date(2026, 3, 1), dt.date(2026, 4, 1)))
DATA_END = dt.date(2026, 4, 10)  # the golden data ends Friday 10 April 2026, 12:00 Berlin


def golden_text() -> str:
    return (GOLDEN / "agreement.toml").read_text(encoding="utf-8")


def draft(values: dict, effective_on=dt.date(2026, 5, 1), by="Dana", why="Two SDRs hired"):
    return editor.Draft(values, effective_on, by, why)


# ---- TOML text -------------------------------------------------------------------------------

STRANGE = [
    'He said "yes"',
    "C:\\path\\to\\",
    "two\nlines\r\nand a\ttab",
    "Ünïcödé ✓ 日本語 🙂",
    "\x00\x01\x1f\x7f control",
    '\'single\' and """ triple',
    "",
    "# not a comment = [x]",
    "\u2028line separator\u2029",
]


@pytest.mark.parametrize("text", STRANGE)
def test_strings_are_quoted_and_escaped(text):
    assert tomllib.loads(f"x = {editor.toml_string(text)}")["x"] == text
    # As a key too (a source name in the per-source goals).
    assert tomllib.loads(f"t = {editor.toml_value({text: 1})}")["t"] == {text: 1}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.75, "0.75"),
        (8.0, "8"),  # a whole number reads as TOML shows it
        (12, "12"),
        (True, "true"),
        (dt.date(2026, 7, 1), "2026-07-01"),  # dates bare
        ("09:00", '"09:00"'),
        (["Mon", "Tue"], '["Mon", "Tue"]'),
        ({"Paid search": 100, "Webinar": 50}, '{ "Paid search" = 100, Webinar = 50 }'),
        ({}, "{}"),
        (float("nan"), "nan"),  # written as given, for the loader to refuse
    ],
)
def test_values_are_written_as_toml(value, written):
    assert editor.toml_value(value) == written


def test_a_long_list_is_written_one_item_a_line():
    days = [dt.date(2026, 1, d) for d in range(1, 13)]
    line = editor.toml_line("business_hours.holidays", days)
    assert line.splitlines()[0] == "business_hours.holidays = ["
    assert line.splitlines()[1] == "  2026-01-01,"
    assert tomllib.loads(line)["business_hours"]["holidays"] == days


# ---- the change block --------------------------------------------------------------------------

# A new value for every key the editor sets, the text ones strange.
EVERY_KEY = {
    "targets.min_acceptance_rate": 0.65,
    "targets.max_discard_rate": 0.3,
    "follow_up.min_within_sla_rate": 0.85,
    "follow_up.target_hours": 6.5,
    "follow_up.clock": "calendar",
    "follow_up.stale_after_days": 12,
    "business_hours.opens": "08:30",
    "business_hours.closes": "18:00",
    "business_hours.working_days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    "business_hours.holidays": {
        "country": "DE",
        "subdivision": "BE",
        "extra": [dt.date(2026, 12, 24)],
        "observed": False,
    },
    "stages.lead": 'Lead "raw"',
    "stages.mql": "MQL\\qualified",
    "stages.sal": "Angenommen ✓",
    "stages.sql": "SQL",  # unchanged: not written
    "stages.opportunity": "Opp\ttab",
    "stages.won": "Won 🙂",
    "stages.aliases": {"sal": ["accepted", "taken on"], "won": ["closed-won"]},
    "mql_goal.per_month": 12,
    "mql_goal.by_source": {"Paid search": 5, 'Web "inar"': 3.5, "Événement": 1},
    "mql_rule.score_threshold": 75,
    "scoring.fit": [
        {"attribute": "industry", "in": ["Software", 'Fin "services"'], "points": 20},
        {"name": "Big", "attribute": "employees", "between": [200, 5000], "points": 15},
    ],
    "scoring.engagement": [
        {"touch_type": "form fill", "points": 10, "within_days": 90, "half_life_days": 30}
    ],
    "scoring.fit_cap": 40,
    "scoring.engagement_cap": 30,
    "scoring.fit_grades": {"A": 30, "B": 10, "C": 0},
    "scoring.engagement_grades": {"1": 20, "2": 0},
}


def test_every_editable_key_round_trips_through_the_loader():
    assert set(EVERY_KEY) == set(editor.EDITABLE)  # the draft covers every editable key
    proposal = editor.propose(golden_text(), SOURCE, draft(EVERY_KEY))
    assert proposal.error is None
    after = agreement_mod.latest_values(proposal.new_text, SOURCE)
    for key, value in EVERY_KEY.items():
        assert after[key] == value, key
    a = proposal.agreement
    assert (a.version.number, a.version.effective_on) == (2, dt.date(2026, 5, 1))
    assert a.stage_labels["lead"] == 'Lead "raw"'
    assert a.stage_aliases == {"sal": ("accepted", "taken on"), "won": ("closed-won",)}
    assert a.mql_goal_by_source == {"Paid search": 5.0, 'Web "inar"': 3.5, "Événement": 1.0}
    assert a.business_hours.calendar.country == "DE"
    assert [r.name for r in a.scoring.fit] == ['industry in Software, Fin "services"', "Big"]
    # Version 1 is the file's top-level keys, untouched.
    assert a.versions[0].agreement.min_acceptance_rate == 0.7
    # Only appended: the old text is the new text's start.
    assert proposal.new_text.startswith(golden_text())
    # The unchanged key (stages.sql) is not written; every other is, once.
    block = proposal.block
    assert "stages.sql" not in block
    written = [line.split(" = ")[0] for line in block.splitlines() if " = " in line]
    assert written.count("stages.lead") == 1
    assert block.startswith(
        '[[change]]\neffective_on = 2026-05-01\nchanged_by = "Dana"\nreason = "Two SDRs hired"\n'
    )


def test_only_the_keys_that_differ_are_written():
    text = golden_text()
    values, errors = editor.read_form(
        SOURCE, editor.form_defaults(agreement_mod.latest_values(text, SOURCE))
    )
    assert errors == []
    values["targets.min_acceptance_rate"] = 0.75
    values["follow_up.min_within_sla_rate"] = None  # emptied: removed
    proposal = editor.propose(text, SOURCE, draft(values, by='Dana "DR" Reyes\n(sales ops)'))
    assert proposal.error is None
    assert proposal.block == (
        "[[change]]\n"
        "effective_on = 2026-05-01\n"
        'changed_by = "Dana \\"DR\\" Reyes\\n(sales ops)"\n'
        'reason = "Two SDRs hired"\n'
        "targets.min_acceptance_rate = 0.75\n"
        'unset = ["follow_up.min_within_sla_rate"]\n'
    )
    assert proposal.agreement.version.changed_by == 'Dana "DR" Reyes\n(sales ops)'
    assert proposal.agreement.min_within_sla_rate is None


@pytest.mark.parametrize("path", [GOLDEN / "agreement.toml", ROOT / "data" / "agreement.toml"])
def test_an_unedited_form_changes_nothing(path):
    # The form filled from the file and read back: every key the same, so the change is empty
    # and the loader says so.
    text = path.read_text(encoding="utf-8")
    before = agreement_mod.latest_values(text, SOURCE)
    values, errors = editor.read_form(SOURCE, editor.form_defaults(before))
    assert errors == []
    assert editor.differences(before, values) == ({}, [])
    proposal = editor.propose(text, SOURCE, draft(values))
    assert proposal.error.endswith("change 1 (version 2): the change changes no key")


def test_the_form_reads_listed_holidays_goals_and_aliases():
    form = editor.form_defaults(agreement_mod.latest_values(golden_text(), SOURCE))
    assert form["holidays_dates"] == "2026-04-03\n2026-04-06"
    form["holidays_dates"] = "2026-04-03, 2026-05-01\n\n2026-04-03"
    form["goals_rows"] = [
        {"source": "Paid search", "goal": 4},
        {"source": None, "goal": None},  # the editable table's empty new row
        {"source": "Trade show", "goal": 3},
    ]
    form["aliases.sal"] = " accepted ,  , taken"
    values, errors = editor.read_form(SOURCE, form)
    assert errors == []
    changed, unset = editor.differences(agreement_mod.latest_values(golden_text(), SOURCE), values)
    assert changed == {
        "business_hours.holidays": [dt.date(2026, 4, 3), dt.date(2026, 5, 1)],
        "stages.aliases": {"sal": ["accepted", "taken"]},
        "mql_goal.by_source": {"Paid search": 4.0, "Trade show": 3.0},
    }
    assert unset == []


# ---- validation: the loader's messages ---------------------------------------------------------

V2 = f"{SOURCE}, change 1 (version 2)"


@pytest.mark.parametrize(
    ("values", "meta", "message"),
    [
        (
            {"targets.min_acceptance_rate": 1.5},
            {},
            f"{V2}: 'targets.min_acceptance_rate' must be a rate between 0 and 1, got 1.5",
        ),
        (
            {"mql_goal.by_source": {"Paid search": -2}},
            {},
            f"{V2}: 'mql_goal.by_source' must be a table of source = positive number, got "
            "{'Paid search': -2}",
        ),
        (
            {"business_hours.closes": "08:00"},
            {},
            f"{V2}: 'business_hours.closes' must be after 'business_hours.opens'",
        ),
        (
            {"business_hours.working_days": []},
            {},
            f"{V2}: 'business_hours.working_days' must be a list of Mon, Tue, Wed, Thu, Fri, "
            "Sat, Sun, got []",
        ),
        (
            {"business_hours.holidays": {"country": "Germany"}},
            {},
            f"{V2}: 'business_hours.holidays.country' is not a country the holidays package "
            "knows: 'Germany' (close: DE)",
        ),
        (
            {"scoring.fit": [{"attribute": "industry", "equals": "x", "points": 0}]},
            {},
            f"{V2}: 'scoring.fit' rule 1: 'points' must be a number other than 0, got 0",
        ),
        (
            {"stages.aliases": {"sal": ["accepted"], "sql": ["Accepted "]}},
            {},
            f"{V2}: 'stages.aliases' gives 'Accepted' to both sal and sql: each word names one "
            "stage",
        ),
        (
            {"follow_up.target_hours": 5},
            {"why": "  "},
            f"{V2}: 'reason' must say why it changed, got '  '",
        ),
        (
            {"follow_up.target_hours": 5},
            {"by": ""},
            f"{V2}: 'changed_by' must say who agreed the change, got ''",
        ),
        (
            {"follow_up.target_hours": 5},
            {"effective_on": dt.date(2026, 1, 1)},
            f"{V2}: effective_on 2026-01-01 overlaps version 1 (from 1 Jan 2026): each change "
            "must take effect after the version before it (2026-01-01), so that exactly one "
            "version is in force on every day",
        ),
        (
            {"follow_up.target_hours": 5},
            {"effective_on": None},
            f"{V2}: 'effective_on' must be a date like 2026-07-01, got ''",
        ),
    ],
)
def test_validation_messages_are_the_loader_s(tmp_path, values, meta, message):
    proposal = editor.propose(golden_text(), SOURCE, draft(values, **meta))
    assert proposal.error == message
    assert proposal.agreement is None
    # The same change written into the file by hand: the loader says the same.
    path = tmp_path / SOURCE
    path.write_text(proposal.new_text, encoding="utf-8")
    with pytest.raises(AgreementError) as raised:
        agreement_mod.load(path)
    assert str(raised.value) == message.replace(SOURCE, str(path), 1)
    # And nothing is saved.
    path.write_text(golden_text(), encoding="utf-8")
    with pytest.raises(editor.EditRefused, match="Nothing was saved"):
        editor.save(path, editor.Opened.read(path), proposal, DATA_END)
    assert path.read_text(encoding="utf-8") == golden_text()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "holidays_dates",
            "2026-04-03\n2026-13-01",
            f"{SOURCE}: 'business_hours.holidays' must be a list of dates like 2026-12-25, got "
            "'2026-13-01'",
        ),
        (
            "scoring_text",
            "fit_cap = [",
            f"{SOURCE}: 'scoring' is not valid TOML: ",
        ),
        ("scoring_text", "bonus = 5", f"{SOURCE}: unknown key 'scoring.bonus'"),
    ],
)
def test_what_the_form_cannot_read_names_the_key(field, typed, message):
    form = editor.form_defaults(agreement_mod.latest_values(golden_text(), SOURCE))
    form[field] = typed
    values, errors = editor.read_form(SOURCE, form)
    proposal = editor.propose(golden_text(), SOURCE, draft(values), errors)
    assert proposal.error.startswith(message)
    assert proposal.agreement is None


def test_goal_rows_without_a_source_or_twice_are_refused():
    assert editor.goals_from_rows(SOURCE, [{"source": "", "goal": 3}])[1] == (
        f"{SOURCE}: 'mql_goal.by_source' has a goal (3) with no source"
    )
    rows = [{"source": "Webinar", "goal": 3}, {"source": "Webinar ", "goal": 4}]
    assert editor.goals_from_rows(SOURCE, rows)[1] == (
        f"{SOURCE}: 'mql_goal.by_source' names 'Webinar' twice"
    )


# ---- stages.aliases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ('{ deal = ["x"] }', "'stages.aliases' names 'deal', which is not a stage (stages: "),
        ('{ sal = "accepted" }', "'stages.aliases' must be a table of stage = list of words"),
        ('{ sal = [""] }', "'stages.aliases' must be a table of stage = list of words"),
        (
            '{ sal = ["MQL"] }',
            "'stages.aliases' gives 'MQL' to sal, but it is the agreed label of mql",
        ),
    ],
)
def test_bad_aliases_name_the_key(aliases, message):
    text = golden_text().replace('won = "Won"', f'won = "Won"\naliases = {aliases}')
    with pytest.raises(AgreementError, match="^" + SOURCE + ": " + message.replace("(", r"\(")):
        agreement_mod.parse(text, SOURCE)


def test_aliases_read_and_shown_in_plain_language():
    text = golden_text().replace(
        'won = "Won"', 'won = "Won"\naliases = { sal = ["accepted", " taken  on "] }'
    )
    a = agreement_mod.parse(text)
    assert a.stage_aliases == {"sal": ("accepted", "taken on")}
    stages = dict(agreement_mod.plain_language(a))["Stages"]
    assert "Other words the teams use: SAL is also called “accepted”, “taken on”." in stages
    # Without the key, no sentence.
    assert not any("Other words" in s for s in dict(agreement_mod.plain_language(
        agreement_mod.parse(golden_text())))["Stages"])  # fmt: skip


# ---- preview and the periods a past version changes --------------------------------------------


@pytest.fixture(scope="module")
def now_db(golden_db_path, golden_agreement):
    db = Database(golden_db_path, golden_agreement)
    yield db
    db.close()


def acceptance_at_60(effective_on: dt.date) -> editor.Proposal:
    return editor.propose(
        golden_text(),
        SOURCE,
        draft({"targets.min_acceptance_rate": 0.6}, effective_on=effective_on),
    )


def test_the_preview_reads_the_period_under_the_draft(golden_db_path, now_db):
    proposal = acceptance_at_60(dt.date(2026, 3, 1))
    before = hashlib.sha256(golden_db_path.read_bytes()).hexdigest()
    draft_db = Database(golden_db_path, proposal.agreement)
    try:
        assert draft_db.staging_built_on_open  # another agreement: staging rebuilt in memory
        rows = {r["commitment"]: r for r in editor.preview(now_db, draft_db, MARCH)}
    finally:
        draft_db.close()
    # The database file is read, never written.
    assert hashlib.sha256(golden_db_path.read_bytes()).hexdigest() == before
    # March's creation cohort (L01-L03, L06-L08, L10, L11): 5 of 8 accepted, 62.5%; against
    # 70% it missed, against the draft's 60% for all of March it is met.
    accepted = rows["MQLs accepted by sales"]
    assert (accepted["value now"], accepted["target now"], accepted["now"]) == (
        "62.5%",
        "70.0%",
        "missed",
    )
    assert (
        accepted["value under the draft"],
        accepted["target under the draft"],
        accepted["under the draft"],
    ) == ("62.5%", "60.0%", "met")
    assert accepted["differs"]
    # Nothing else changed: the other commitments read the same.
    assert [r for r in rows.values() if r["differs"]] == [accepted]
    # 8 MQLs handed over in March against 10 a month (test_versions: L01, L02, L03, L06, L07,
    # L11, L14, L08).
    handed = rows["MQLs handed over"]
    assert (handed["value now"], handed["target now"], handed["value under the draft"]) == (
        "8",
        "10",
        "8",
    )


def test_a_past_version_lists_the_reported_months_it_changes(golden_db_path, now_db):
    proposal = acceptance_at_60(dt.date(2026, 3, 1))
    assert proposal.is_past(DATA_END)
    draft_db = Database(golden_db_path, proposal.agreement)
    try:
        reported = editor.reported_changes(now_db, draft_db, dt.date(2026, 3, 1), DATA_END)
    finally:
        draft_db.close()
    # From March (the effective date's month) to April (the data's end): the acceptance
    # target moves from 70% to 60% in both; March's 5 of 8 turns from missed to met.
    assert [m["month"] for m in reported] == ["March 2026", "April 2026"]
    assert reported[0]["changes"] == [
        "MQLs accepted by sales: 62.5% against 70.0%, missed → 62.5% against 60.0%, met"
    ]
    assert all(c.startswith("MQLs accepted by sales: ") for c in reported[1]["changes"])
    assert "against 70.0%" in reported[1]["changes"][0]
    assert "against 60.0%" in reported[1]["changes"][0]


@pytest.mark.parametrize(
    ("effective_on", "past"),
    [
        (dt.date(2026, 4, 10), True),  # the data's last day: already reported
        (dt.date(2026, 4, 11), False),
        (dt.date(2026, 2, 1), True),
    ],
)
def test_past_means_on_or_before_the_data_s_end(effective_on, past):
    assert acceptance_at_60(effective_on).is_past(DATA_END) is past


def test_a_past_version_is_saved_only_once_confirmed(tmp_path):
    path = tmp_path / SOURCE
    path.write_text(golden_text(), encoding="utf-8")
    opened = editor.Opened.read(path)
    proposal = acceptance_at_60(dt.date(2026, 4, 10))
    with pytest.raises(editor.EditRefused, match="changes periods already reported"):
        editor.save(path, opened, proposal, DATA_END)
    assert path.read_text(encoding="utf-8") == golden_text()
    saved = editor.save(path, opened, proposal, DATA_END, confirmed_past=True)
    assert saved.version.number == 2
    assert agreement_mod.load(path).min_acceptance_rate == 0.6
    # A future version needs no confirmation.
    reopened = editor.Opened.read(path)
    future = editor.propose(
        reopened.text,
        SOURCE,
        draft({"targets.min_acceptance_rate": 0.65}, effective_on=dt.date(2026, 5, 1)),
    )
    assert editor.save(path, reopened, future, DATA_END).version.number == 3


# ---- saving -----------------------------------------------------------------------------------


def test_the_second_of_two_editors_is_refused_and_shown_the_first_s_change(tmp_path):
    path = tmp_path / SOURCE
    path.write_text(golden_text(), encoding="utf-8")
    first, second = editor.Opened.read(path), editor.Opened.read(path)
    assert first.hash == second.hash
    mine = editor.propose(first.text, SOURCE, draft({"follow_up.target_hours": 6}, by="Ana"))
    theirs = editor.propose(second.text, SOURCE, draft({"mql_goal.per_month": 30}, by="Cara"))
    editor.save(path, first, mine, DATA_END)
    with pytest.raises(editor.Conflict) as refused:
        editor.save(path, second, theirs, DATA_END)
    assert str(refused.value).startswith("The agreement changed since you opened it")
    assert "Re-open the editor" in str(refused.value)
    # The diff shows the first editor's change, added.
    added = [line for line in refused.value.diff.splitlines() if line.startswith("+")]
    assert "+follow_up.target_hours = 6" in added
    assert '+changed_by = "Ana"' in added
    # The file holds the first's change only.
    saved = agreement_mod.load(path)
    assert [v.changed_by for v in saved.versions[1:]] == ["Ana"]
    assert (saved.follow_up_target_hours, saved.mql_goal_per_month) == (6.0, 10.0)


def test_two_saves_at_once_never_lose_an_edit(tmp_path):
    path = tmp_path / SOURCE
    path.write_text(golden_text(), encoding="utf-8")
    opened = editor.Opened.read(path)
    proposals = [
        editor.propose(opened.text, SOURCE, draft({"follow_up.target_hours": h}, by=f"E{h}"))
        for h in (5, 6, 7, 9)
    ]
    start = threading.Barrier(len(proposals))
    outcomes: list[str] = []

    def save(proposal):
        start.wait()
        try:
            editor.save(path, opened, proposal, DATA_END)
            outcomes.append("saved")
        except editor.Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(p,)) for p in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exactly one wins; every other is told, and the file holds the winner's change whole.
    assert sorted(outcomes) == ["refused", "refused", "refused", "saved"]
    saved = agreement_mod.load(path)
    assert len(saved.versions) == 2
    assert saved.version.changed_by == f"E{saved.follow_up_target_hours:g}"


def test_the_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / SOURCE
    path.write_text(golden_text(), encoding="utf-8")
    path.chmod(0o640)
    opened = editor.Opened.read(path)
    proposal = editor.propose(opened.text, SOURCE, draft({"follow_up.target_hours": 6}))

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        editor.save(path, opened, proposal, DATA_END)
    # The file is the old one, whole; no temporary file is left behind.
    assert path.read_text(encoding="utf-8") == golden_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [SOURCE, SOURCE + ".lock"]
    monkeypatch.undo()
    editor.save(path, opened, proposal, DATA_END)
    assert path.read_text(encoding="utf-8") == proposal.new_text
    assert path.stat().st_mode & 0o777 == 0o640  # its permissions kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [SOURCE, SOURCE + ".lock"]


def test_a_proposal_that_would_rewrite_the_file_is_refused(tmp_path):
    path = tmp_path / SOURCE
    path.write_text(golden_text(), encoding="utf-8")
    opened = editor.Opened.read(path)
    proposal = editor.propose(opened.text, SOURCE, draft({"follow_up.target_hours": 6}))
    rewritten = editor.Proposal(
        proposal.draft,
        proposal.block,
        proposal.new_text.replace("target_hours = 4", "target_hours = 5"),
        proposal.diff,
        proposal.agreement,
        None,
    )
    with pytest.raises(editor.EditRefused, match="only ever appended"):
        editor.save(path, opened, rewritten, DATA_END)
    assert path.read_text(encoding="utf-8") == golden_text()


# ---- who may edit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "ip", "host", "allowed"),
    [
        ("127.0.0.1", None, "localhost", True),
        ("127.0.0.1", None, None, True),  # no Host header (AppTest): the address decides
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", True),
        ("::1", None, "::1", True),
        ("0.0.0.0", None, "localhost", False),  # noqa: S104
        (None, None, "localhost", False),
        ("127.0.0.1", "10.0.0.5", "localhost", False),
        ("127.0.0.1", None, "handoff.example.com", False),  # a proxy passing the public name
        ("127.0.0.1", None, "192.168.1.20", False),
    ],
)
def test_editing_is_allowed_only_on_localhost(address, ip, host, allowed):
    refusal = safe.data_changes_refusal(address, ip, host, change="agreement")
    assert (refusal is None) == allowed
    if not allowed:
        assert refusal.startswith("Editing the agreement is turned off")
        assert "README, Sign-in and roles" in refusal
    # The one rule: uploads are refused in exactly the same cases.
    assert (safe.data_changes_refusal(address, ip, host) is None) == allowed


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("localhost:8501", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]:8501", "::1"),
        ("handoff.example.com:443", "handoff.example.com"),
        ("", None),
        (None, None),
    ],
)
def test_the_request_host_is_read_from_the_host_header(header, host):
    assert safe.request_host(header) == host


# ---- the page ----------------------------------------------------------------------------------


@pytest.fixture
def editable(definitions_page):
    at, path = definitions_page(golden_text())
    assert not at.exception
    return at, path


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_the_page_previews_and_saves_a_new_version(editable):
    at, path = editable
    at.number_input(key="ed:targets.min_acceptance_rate").set_value(0.6)
    at.text_input(key="ed:aliases.sal").set_value("accepted, taken on")
    at.text_input(key="ed:changed_by").set_value("Dana (sales ops)")
    at.text_input(key="ed:reason").set_value("Two SDRs hired")
    at.date_input(key="ed:effective_on").set_value(dt.date(2026, 3, 1))
    button(at, "Preview the change").click().run()
    assert not at.exception
    assert not at.error
    # The period is March (the last full month before the data's end on 10 April).
    preview = next(d.value for d in at.dataframe if "commitment" in d.value.columns)
    preview = preview.set_index("commitment")
    assert preview.loc["MQLs accepted by sales"].tolist()[:6] == [
        "62.5%", "70.0%", "missed", "62.5%", "60.0%", "met"
    ]  # fmt: skip
    diff = next(c.value for c in at.code if "[[change]]" in c.value)
    assert "+targets.min_acceptance_rate = 0.6" in diff
    assert '+stages.aliases = { sal = ["accepted", "taken on"] }' in diff
    # Dated before the data's end: the reported months it changes, and a confirmation.
    warning = at.warning[-1].value
    assert "on or before the data's end (10 Apr 2026)" in warning
    assert "2 months read differently" in warning
    save = button(at, "Save as version 2")
    assert save.disabled
    assert path.read_text(encoding="utf-8") == golden_text()  # nothing saved yet
    at.checkbox(key="ed:confirm_past").check().run()
    button(at, "Save as version 2").click().run()
    assert not at.exception
    saved = agreement_mod.load(path)
    assert (saved.version.number, saved.version.changed_by) == (2, "Dana (sales ops)")
    assert saved.min_acceptance_rate == 0.6
    assert path.read_text(encoding="utf-8").startswith(golden_text())
    # The page now reads the new version.
    assert any("Saved version 2, in force from 01 Mar 2026" in s.value for s in at.success)
    text = " ".join(m.value for m in at.markdown)
    assert "Sales accepts at least 60% of MQLs" in text
    assert "SAL is also called “accepted”, “taken on”" in text
    # The form opens on the new version.
    assert at.number_input(key="ed:targets.min_acceptance_rate").value == 0.6


def test_the_page_shows_the_loader_s_message_and_saves_nothing(editable):
    at, path = editable
    at.number_input(key="ed:targets.max_discard_rate").set_value(1.25)
    at.text_input(key="ed:changed_by").set_value("Dana")
    at.text_input(key="ed:reason").set_value("Typo")
    button(at, "Preview the change").click().run()
    assert not at.exception
    assert "'targets.max_discard_rate' must be a rate between 0 and 1, got 1.25" in (
        at.error[0].value.replace("\\", "")
    )
    assert not [b for b in at.button if b.label.startswith("Save as")]
    assert path.read_text(encoding="utf-8") == golden_text()


def test_the_page_refuses_a_save_over_another_editor_s(editable):
    at, path = editable
    at.number_input(key="ed:follow_up.target_hours").set_value(6.0)
    at.text_input(key="ed:changed_by").set_value("Ana")
    at.text_input(key="ed:reason").set_value("Faster")
    button(at, "Preview the change").click().run()
    # Meanwhile someone else saves a change.
    other = editor.Opened.read(path)
    theirs = editor.propose(other.text, str(path), draft({"mql_goal.per_month": 30}, by="Cara"))
    editor.save(path, other, theirs, DATA_END)
    button(at, "Save as version 2").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("The agreement changed since you opened it")
    assert any("+mql_goal.per_month = 30" in c.value for c in at.code)
    assert agreement_mod.load(path).follow_up_target_hours == 4.0  # not saved
    button(at, "Re-open the editor on the file as it is now").click().run()
    assert at.number_input(key="ed:mql_goal.per_month").value == 30


def test_the_editor_is_read_only_when_served_elsewhere(editable):
    at, _ = editable
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")  # noqa: S104
    try:
        at.run()
    finally:
        st_config.set_option("server.address", before)
    assert not at.exception
    assert any("Editing the agreement is turned off" in i.value for i in at.info)
    assert at.number_input(key="ed:targets.min_acceptance_rate").disabled
    assert button(at, "Preview the change").disabled
