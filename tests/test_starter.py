"""The starter agreement from the team's own data (handoff/starter.py): goals and rates worked by
hand on small datasets written here, the round trip through agreement.parse, what does not fit,
and the command line."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import pytest

from handoff import agreement as agreement_mod
from handoff import importer, metrics, starter
from handoff.cli import main
from handoff.db import Database
from tests.conftest import GOLDEN, write_dataset

GOLDEN_TERMS = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
# The golden agreement (Berlin time, MQL → SAL 2 days, goals for Paid search and Webinar) with
# fit rules naming an owner and a team the data below does not have (values matched as the rules
# match them: case and spaces ignored).
TERMS = GOLDEN_TERMS + (
    '\n[[scoring.fit]]\nattribute = "owner"\nin = ["Ana", "Bob"]\npoints = 5\n'
    '\n[[scoring.fit]]\nattribute = "team"\nequals = "West"\npoints = 5\n'
)
HEADER = "lead_id,created_at,source,owner,team,mql_at,sal_at,discarded_at\n"

# Five months of hand-overs, in Berlin time, every lead owned by ana (team East):
# - January: J1 (A). The first lead is created on 5 January, so January is not complete.
# - February: F1 (A), never an MQL: no hand-over in February.
# - March (4): M1 A (accepted), M2 A (accepted), M3 A (discarded), M4 C (accepted). B none.
# - April (4): P1 A (accepted), P2 B (accepted), P3 B, P4 B.
# - May (8): Y1-Y4 A (Y1 accepted, outside the rates' months), Y5-Y7 B, Y8 blank source.
# - Z1 (A), created 31 May 23:00, never an MQL: the last lead and the data's end.
MONTHS_ROWS = {
    "April": """P1,2026-04-06 10:00,A,ana,East,2026-04-06 10:00,2026-04-07 10:00,
P2,2026-04-07 10:00,B,ana,East,2026-04-07 10:00,2026-04-08 10:00,
P3,2026-04-14 10:00,B,ana,East,2026-04-14 10:00,,
P4,2026-04-21 10:00,B,ana,East,2026-04-21 10:00,,
""",
    "May": """Y1,2026-05-04 10:00,A,ana,East,2026-05-04 10:00,2026-05-05 10:00,
Y2,2026-05-05 10:00,A,ana,East,2026-05-05 10:00,,
Y3,2026-05-06 10:00,A,ana,East,2026-05-06 10:00,,
Y4,2026-05-07 10:00,A,ana,East,2026-05-07 10:00,,
Y5,2026-05-11 10:00,B,ana,East,2026-05-11 10:00,,
Y6,2026-05-12 10:00,B,ana,East,2026-05-12 10:00,,
Y7,2026-05-13 10:00,B,ana,East,2026-05-13 10:00,,
Y8,2026-05-14 10:00,,ana,East,2026-05-14 10:00,,
""",
}
FIVE_MONTHS = (
    HEADER
    + """J1,2026-01-05 10:00,A,ana,East,2026-01-05 10:00,,
F1,2026-02-10 10:00,A,ana,East,,,
M1,2026-03-02 10:00,A,ana,East,2026-03-02 10:00,2026-03-03 10:00,
M2,2026-03-09 10:00,A,ana,East,2026-03-09 10:00,2026-03-10 10:00,
M3,2026-03-16 10:00,A,ana,East,2026-03-16 10:00,,2026-03-17 10:00
M4,2026-03-23 10:00,C,ana,East,2026-03-23 10:00,2026-03-24 10:00,
"""
    + MONTHS_ROWS["April"]
    + MONTHS_ROWS["May"]
    + "Z1,2026-05-31 23:00,A,ana,East,,,\n"
)
# April and May alone, with a first lead (S1, never an MQL) on 20 March: two complete months.
TWO_MONTHS = (
    HEADER
    + "S1,2026-03-20 10:00,A,ana,East,,,\n"
    + MONTHS_ROWS["April"]
    + MONTHS_ROWS["May"]
    + "Z1,2026-05-31 23:00,A,ana,East,,,\n"
)
# May's leads alone, 4 to 14 May, and Z2 on 20 May: no complete month.
NO_MONTH = HEADER + MONTHS_ROWS["May"] + "Z2,2026-05-20 10:00,A,ana,East,,,\n"

GIVEN = {
    "time_zone": "Europe/Berlin",
    "opens": "08:30",
    "closes": "17:30",
    "working_days": ["Mon", "Tue", "Wed", "Thu"],
    "name": 'Team "A" SLA',
}


def imported(tmp_path, leads: str, terms: str = TERMS) -> Database:
    agreement = agreement_mod.parse(terms)
    folder = write_dataset(tmp_path / "export", leads=leads)
    result = importer.import_dataset(folder, tmp_path / "db.duckdb", agreement)
    return Database(result.db_path, agreement)


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    db = imported(tmp_path_factory.mktemp("five"), FIVE_MONTHS)
    yield db
    db.close()


def proposed(db, **changes):
    return starter.propose(db, **{**GIVEN, **changes}, today=dt.date(2026, 6, 2))


def test_goals_are_the_median_of_the_last_three_complete_months(five):
    learnt = starter.learn(five)
    # The last lead was created on 31 May: May is the latest complete month; January is not
    # complete (the first lead came on 5 January), so March, April and May are the three.
    assert [p.start for p in learnt.goal_months] == [
        dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1),
    ]  # fmt: skip
    # Hand-overs: March 4 (M1-M4), April 4 (P1-P4), May 8 (Y1-Y8). Median of 4, 4, 8 (a tie at
    # 4): 4. January's J1 counts nowhere.
    assert learnt.handed_over == [4, 4, 8]
    assert learnt.per_month == 4
    # A: March 3 (M1-M3), April 1 (P1), May 4 (Y1-Y4): median 3. B handed over nothing in March,
    # which counts 0: 0, 3, 3: median 3 (the tie). C: 1, 0, 0: median 0, so no goal.
    # (unknown) (Y8's blank source): 0, 0, 1. The data's sources are all listed, each month.
    assert learnt.by_source == {
        "(unknown)": [0, 0, 1], "A": [3, 1, 4], "B": [0, 3, 3], "C": [1, 0, 0],
    }  # fmt: skip
    assert [learnt.source_goal(s) for s in ("A", "B", "C")] == [3, 3, 0]


def test_rates_come_from_the_latest_months_mature_for_mql_to_sal(five):
    learnt = starter.learn(five)
    # The data ends 31 May 23:00; May ends 1 June 00:00, less than MQL → SAL's 2 days before
    # the end: May is not mature. April is (it ended 30 days before), so February to April.
    assert [p.start for p in learnt.rate_months] == [
        dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1),
    ]  # fmt: skip
    # Their MQL cohorts: February 0, March 4, April 4 = 8 MQLs. Accepted: M1, M2, M4, P1, P2 =
    # 5 (Y1's acceptance is May's). Discarded: M3 = 1.
    assert (learnt.n_mql, learnt.n_accepted, learnt.n_discarded) == (8, 5, 1)
    text = proposed(five).toml
    # 5 / 8 = 62.5% and 1 / 8 = 12.5%: rounded half up to whole percent, 63% and 13% (rounding
    # halves to even would give 62% and 12%).
    assert (
        "min_acceptance_rate = 0.63  # 5 of 8 MQLs handed over in Feb–Apr 2026 were accepted "
        "(reached SAL) (62.5%)"
    ) in text
    assert "max_discard_rate = 0.13  # 1 of 8 MQLs handed over in Feb–Apr 2026 were discarded" in (
        text
    )


def test_the_toml_says_where_each_number_came_from(five):
    text = proposed(five).toml
    assert "per_month = 4  # median of Mar 4, Apr 4, May 8 MQLs handed over in 2026\n" in text
    assert '"A" = 3  # median of Mar 3, Apr 1, May 4 MQLs handed over in 2026\n' in text
    assert '"B" = 3  # median of Mar 0, Apr 3, May 3 MQLs handed over in 2026\n' in text
    assert (
        '# "C": no goal: the median of Mar 1, Apr 0, May 0 MQLs handed over in 2026 rounds to 0'
    ) in text
    assert "# (unknown): leads with a blank source get no goal" in text
    # Given, never guessed; kept from the agreement in use: the golden score threshold, 80.
    assert 'time_zone = "Europe/Berlin"  # given' in text
    assert 'opens = "08:30"  # given' in text
    assert 'working_days = ["Mon", "Tue", "Wed", "Thu"]  # given' in text
    assert "score_threshold = 80  # kept from the agreement in use" in text
    assert "agreed_on = 2026-06-02" in text


def test_the_proposal_round_trips_through_the_agreement_parser(five):
    proposal = proposed(five)
    parsed = agreement_mod.parse(proposal.toml)
    assert parsed == proposal.agreement
    assert parsed.name == 'Team "A" SLA'  # the quotes escaped in the TOML
    assert parsed.time_zone == "Europe/Berlin"
    bh = parsed.business_hours
    assert (bh.opens, bh.closes, bh.working_days, bh.holidays) == (
        dt.time(8, 30), dt.time(17, 30), (0, 1, 2, 3), (),
    )  # fmt: skip
    assert parsed.mql_goal_per_month == 4
    assert parsed.mql_goal_by_source == {"A": 3, "B": 3}
    assert (parsed.min_acceptance_rate, parsed.max_discard_rate) == (0.63, 0.13)
    assert parsed.score_threshold == 80
    assert parsed.scoring is None
    assert parsed.min_within_sla_rate is None
    assert parsed.time_limits_days["mql_to_sal"] == 2
    # Every key the file holds is a documented agreement key.
    raw = tomllib.loads(proposal.toml)
    flat = {f"{s}.{k}" for s, t in raw.items() if isinstance(t, dict) for k in t}
    known = {k.path for k in agreement_mod.KEYS}
    assert flat <= known
    assert "mql_goal.by_source" in flat
    # The reasoning names what the data gave, what was kept and what was given.
    reasons = {r.key: (r.value, r.source) for r in proposal.reasons}
    assert reasons["mql_goal.per_month"] == ("4", "learnt")
    assert reasons["mql_goal.by_source.B"] == ("3", "learnt")
    assert reasons["targets.min_acceptance_rate"] == ("0.63", "learnt")
    assert reasons["time_zone"] == ('"Europe/Berlin"', "given")
    assert reasons["mql_rule.score_threshold"] == ("80", "kept")
    assert starter.reasons_table(proposal)["source"].iloc[0] == "learnt"


def test_a_starter_agreement_fits_the_data_it_was_made_from(five, tmp_path):
    terms = proposed(five, time_zone="Europe/Berlin").toml
    db = Database(five.path, agreement_mod.parse(terms))
    assert starter.mismatch(db) == {
        "source": [], "campaign": [], "owner": [], "team": [], "no_goal": [],
    }  # fmt: skip
    db.close()


def test_fewer_than_three_complete_months(tmp_path):
    db = imported(tmp_path, TWO_MONTHS)
    learnt = starter.learn(db)
    # The first lead came on 20 March: March is not complete, April and May are.
    assert [p.start for p in learnt.goal_months] == [dt.date(2026, 4, 1), dt.date(2026, 5, 1)]
    # Median of two months is their mean: (4 + 8) / 2 = 6; A's (1 + 4) / 2 = 2.5 rounds half up
    # to 3; B's (3 + 3) / 2 = 3.
    text = proposed(db).toml
    assert "per_month = 6  # median of Apr 4, May 8 MQLs handed over in 2026 (only 2 complete)" in (
        text
    )
    assert '"A" = 3  # median of Apr 1, May 4' in text
    assert '"B" = 3  # median of Apr 3, May 3' in text
    # Rates: April alone is mature and complete: 4 MQLs, P1 and P2 accepted, none discarded.
    assert (learnt.n_mql, learnt.n_accepted, learnt.n_discarded) == (4, 2, 0)
    assert "min_acceptance_rate = 0.50  # 2 of 4 MQLs handed over in Apr 2026" in text
    assert "max_discard_rate = 0.00  # 0 of 4 MQLs" in text
    db.close()


def test_no_complete_month_uses_the_whole_span_and_says_so(tmp_path):
    db = imported(tmp_path, NO_MONTH)
    learnt = starter.learn(db)
    assert not learnt.goal_months_complete
    assert not learnt.rate_months_mature
    # 4 to 20 May: no month is covered. Every hand-over of the span: Y1-Y8 = 8; A 4, B 3.
    text = proposed(db).toml
    assert (
        "per_month = 8  # no complete calendar month in the data (04 May 2026 – 20 May 2026): "
        "every MQL handed over in it, not a monthly figure; agree the monthly goal"
    ) in text
    assert agreement_mod.parse(text).mql_goal_by_source == {"A": 4, "B": 3}
    assert '"A" = 4  # every MQL handed over in 04 May 2026 – 20 May 2026 (no complete month)' in (
        text
    )
    # Rates over the span: 8 MQLs, Y1 accepted: 12.5% → 13%.
    assert "min_acceptance_rate = 0.13  # 1 of 8 MQLs handed over in the data's whole span" in text
    # Without months to take a median over, no source is said to lack a goal.
    assert starter.sources_without_goal(db, learnt) == []
    db.close()


def test_no_hand_over_at_all_is_refused_with_the_reason(tmp_path):
    db = imported(tmp_path, HEADER + "N1,2026-03-02 10:00,A,ana,East,,,\n")
    with pytest.raises(starter.StarterError, match="no monthly MQL goal can be learnt"):
        proposed(db)
    db.close()


def test_what_does_not_fit_is_said_per_dimension(five):
    gaps = starter.mismatch(five)
    # The golden agreement's goal sources (Paid search, Webinar) are not in the data; its fit
    # rules look for owner bob (ana is there, in another case) and team west; the data's A and
    # B would get goals and have none (C's median is 0; (unknown) gets none).
    assert gaps == {
        "source": ["Paid search", "Webinar"],
        "campaign": [],
        "owner": ["bob"],
        "team": ["west"],
        "no_goal": ["A", "B"],
    }
    assert metrics.not_in_data(five) == {k: v for k, v in gaps.items() if k != "no_goal"}
    assert not starter.fits(gaps)
    assert starter.describe(gaps) == (
        "sources it names that the data does not have: Paid search, Webinar; owners it names "
        "that the data does not have: bob; teams it names that the data does not have: west; "
        "sources in the data with no MQL goal: A, B"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Base"},
         "'time_zone' must be an IANA time zone like Europe/Berlin, got 'Mars/Base'"),
        ({"opens": "9am"}, "'business_hours.opens' must be a time like 09:00, got '9am'"),
        ({"closes": "08:00"}, "'business_hours.closes' must be after 'business_hours.opens'"),
        ({"working_days": ["Mon", "Funday"]}, "'business_hours.working_days' must be a list of "
         "Mon, Tue, Wed, Thu, Fri, Sat, Sun, got ['Mon', 'Funday']"),
        ({"working_days": []}, "'business_hours.working_days' must be a list"),
        ({"name": " "}, "'name' must be text, got ' '"),
    ],
)  # fmt: skip
def test_given_values_get_the_agreement_s_own_messages(five, change, message):
    with pytest.raises(agreement_mod.AgreementError, match=re.escape(message)):
        proposed(five, **change)


def test_another_time_zone_is_noted(five):
    proposal = proposed(five, time_zone="America/Chicago")
    assert proposal.notes == [
        "The data was imported in Europe/Berlin time and its months were counted in it; import "
        "it again with this agreement to count in America/Chicago."
    ]


def test_the_golden_data_as_the_home_page_counts_it(golden_db):
    # The golden leads run from 28 February (L14, 23:30 Berlin) to 10 April: March alone is
    # complete. Its hand-overs (tests/golden/starter_counts.toml): 8, as the home page's "MQLs
    # handed over" for March; per source Paid search 2, Referral 2, the others 1.
    learnt = starter.learn(golden_db)
    assert [p.start for p in learnt.goal_months] == [dt.date(2026, 3, 1)]
    assert learnt.handed_over == [8]
    assert learnt.by_source["Paid search"] == [2]
    assert learnt.by_source["Email"] == [0]
    # Rates: the data ends 10 April 12:00, March ended 9.5 days before: mature. 5 of its 8 MQLs
    # accepted, 2 discarded (tests/golden/discard_summary.toml's hand-over cohort).
    assert (learnt.n_mql, learnt.n_accepted, learnt.n_discarded) == (8, 5, 2)
    # The golden agreement's goals are for Paid search and Webinar; Referral (2), Trade show
    # and Paid social (1 each) would get one.
    assert starter.mismatch(golden_db)["no_goal"] == ["Paid social", "Referral", "Trade show"]


# ---- the command line ---------------------------------------------------------------------------


def starter_args(db, *extra):
    return [
        "starter", "--db", str(db.path), "--agreement", str(GOLDEN / "agreement.toml"),
        "--time-zone", "Europe/Berlin", "--opens", "09:00", "--closes", "17:00", *extra,
    ]  # fmt: skip


def test_cli_prints_the_starter_agreement(five, capsys):
    assert main(starter_args(five, "--working-days", "Mon,Tue, Wed")) == 0
    out = capsys.readouterr().out
    parsed = agreement_mod.parse(out)
    assert parsed.business_hours.working_days == (0, 1, 2)
    assert parsed.mql_goal_by_source == {"A": 3, "B": 3}
    assert parsed.name == "Starter agreement for export"  # the export's folder


def test_cli_writes_out_and_refuses_to_overwrite_without_force(five, tmp_path, capsys):
    out = tmp_path / "terms" / "starter.toml"
    assert main(starter_args(five, "--out", str(out), "--name", "Ours")) == 0
    said = capsys.readouterr().out
    assert f"Starter agreement written to {out}." in said
    assert agreement_mod.load(out).name == "Ours"
    out.write_text("kept", encoding="utf-8")
    assert main(starter_args(five, "--out", str(out))) == 2
    assert f"error: {out} exists; give --force to overwrite it" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "kept"
    assert main(starter_args(five, "--out", str(out), "--force")) == 0
    assert agreement_mod.load(out).mql_goal_per_month == 4


def test_cli_bad_time_zone_is_the_agreement_s_message(five, tmp_path, capsys):
    out = tmp_path / "never.toml"
    args = starter_args(five, "--out", str(out))
    args[args.index("Europe/Berlin")] = "Europe/Berlinn"
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "error: the starter agreement: 'time_zone' must be an IANA time zone like Europe/Berlin, "
        "got 'Europe/Berlinn'\n"
    )
    assert not out.exists()


def test_import_says_when_the_agreement_does_not_fit(tmp_path, capsys):
    folder = write_dataset(tmp_path / "export", leads=FIVE_MONTHS)
    db = tmp_path / "db.duckdb"
    terms = tmp_path / "agreement.toml"
    terms.write_text(TERMS, encoding="utf-8")
    assert main(["import", str(folder), "--db", str(db), "--agreement", str(terms)]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if "does not fit" in x]
    assert lines == [
        "The agreement does not fit this data (sources it names that the data does not have: "
        "Paid search, Webinar; owners it names that the data does not have: bob; teams it names "
        "that the data does not have: west; sources in the data with no MQL goal: A, B); for a "
        f"starter agreement from it: python -m handoff starter --db {db} --time-zone "
        "Europe/Berlin --opens 09:00 --closes 17:00 --out starter.toml (the time zone and hours "
        "shown are the agreement in use's: give yours)"
    ]
    # With the starter agreement it was told to make, the same import says nothing of the kind.
    out = tmp_path / "starter.toml"
    assert main([*starter_args(Database(db, agreement_mod.parse(TERMS)), "--out", str(out))]) == 0
    assert main(["import", str(folder), "--db", str(db), "--agreement", str(out)]) == 0
    assert "does not fit" not in capsys.readouterr().out


def test_a_source_name_of_any_text_round_trips(tmp_path):
    # A source with quotes, a hash (a TOML comment's mark) and a backslash: two hand-overs in
    # March and two in April; the leads run from 1 March to 30 April, so both months are
    # complete: median of 2 and 2, 2.
    name = 'Events "fairs" # 1 \\ expo'
    quoted = '"' + name.replace('"', '""') + '"'
    leads = HEADER + "".join(
        f"Q{n},2026-{m}-{d} 10:00,{quoted},ana,East,2026-{m}-{d} 10:00,,\n"
        for n, (m, d) in enumerate([("03", "01"), ("03", "02"), ("04", "01"), ("04", "30")])
    )
    db = imported(tmp_path, leads)
    proposal = proposed(db)
    assert agreement_mod.parse(proposal.toml).mql_goal_by_source == {name: 2}
    assert proposal.agreement.mql_goal_per_month == 2
    db.close()
