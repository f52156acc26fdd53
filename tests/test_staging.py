"""Golden tests of the staging tables on the hand-checkable fixture (tests/fixtures/golden).

Every expected value below was worked out by hand from the fixture's rows, the golden agreement
(Berlin time, business hours 09:00-17:00 on weekdays, 3 and 6 April 2026 off, target 4 business
hours, score threshold 80) and PRODUCT.md's definitions. The data ends at L12's creation,
Friday 10 April 2026 12:00 CEST. The reasoning is next to each number.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo

import pandas as pd
import pytest

from handoff import agreement as agreement_mod
from handoff import importer, metrics
from handoff.db import Database
from tests.conftest import GOLDEN, write_dataset

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(text: str) -> pd.Timestamp:
    """A Berlin wall-clock time as an instant."""
    return pd.Timestamp(dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN))


@pytest.fixture(scope="module")
def leads(golden_db) -> pd.DataFrame:
    frame = (
        golden_db.con.sql("select * from stg_leads order by lead_id").to_arrow_table().to_pandas()
    )
    return frame.set_index("lead_id")


# lead: (entered mql, sal, sql, opportunity, won) — the earliest date of the stage or a later one.
ENTERED = {
    "L01": ("2026-03-02 10:00", "2026-03-03 10:00", "2026-03-10 10:00", "2026-03-15 10:00",
            "2026-04-01 12:00"),  # opportunity and won come from deal D01
    "L02": ("2026-03-06 16:00", None, None, None, None),  # MQL by score from creation
    "L03": ("2026-03-27 18:00", None, None, None, None),
    "L04": ("2026-04-02 16:00", None, None, None, None),
    "L05": ("2026-04-10 10:00", None, None, None, None),
    "L06": ("2026-03-05 09:30", "2026-03-12 10:00", "2026-03-12 10:00", None, None),  # SAL skipped
    "L07": ("2026-03-10 12:00", "2026-03-10 12:00", None, None, None),  # SAL before MQL: MQL passed
    "L08": ("2026-03-16 09:00", "2026-03-20 09:00", "2026-03-20 09:00", "2026-03-20 09:00",
            "2026-03-30 10:00"),  # score MQL; first deal created 20 March, won 30 March
    "L09": (None, None, None, None, None),
    "L10": ("2026-04-08 10:00", None, None, None, None),  # the MQL after recycling
    "L11": ("2026-03-31 10:00", "2026-04-09 10:00", "2026-04-09 10:00", "2026-04-09 10:00",
            "2026-04-09 10:00"),  # won (lead column) implies every stage before it
    "L12": (None, None, None, None, None),
    "L13": (None, None, None, None, None),
    "L14": ("2026-03-02 09:00", None, None, None, None),
}  # fmt: skip


@pytest.mark.parametrize("lead_id", sorted(ENTERED))
def test_entered_stage_dates(leads, lead_id):
    row = leads.loc[lead_id]
    columns = ["entered_mql_at", "entered_sal_at", "entered_sql_at", "entered_opportunity_at",
               "entered_won_at"]  # fmt: skip
    got = [None if pd.isna(row[c]) else row[c] for c in columns]
    assert got == [None if v is None else at(v) for v in ENTERED[lead_id]]
    flags = [bool(row[c]) for c in ["is_mql", "is_sal", "is_sql", "is_opportunity", "is_won"]]
    assert flags == [v is not None for v in ENTERED[lead_id]]


# Strict order: which stages count (all stage dates up to it present and in order).
STRICT = {
    "L01": ("mql", "sal", "sql", "opportunity", "won"),
    "L02": ("mql",),  # score MQL at creation: equal dates are in order
    "L03": ("mql",),
    "L06": ("mql",),  # no sal_at: SQL does not count strictly
    "L07": ("mql",),  # sal_at before mql_at
    "L08": ("mql",),  # no sal_at or sql_at
    "L09": (),
    "L11": ("mql",),  # won without SAL, SQL or opportunity dates
}


@pytest.mark.parametrize("lead_id", sorted(STRICT))
def test_strict_order(leads, lead_id):
    row = leads.loc[lead_id]
    strict = tuple(
        s for s in ("mql", "sal", "sql", "opportunity", "won") if not pd.isna(row[f"strict_{s}_at"])
    )
    assert strict == STRICT[lead_id]


def test_out_of_order_is_only_l07(leads):
    # L07's SAL (10 March 12:00) is before its MQL (11 March 11:00); every other lead is in order.
    assert leads.index[leads["is_out_of_order"]].tolist() == ["L07"]


# lead: (status, business hours to follow-up, calendar hours, hours waiting, hours overdue)
FOLLOW_UP = {
    "L01": ("met", 1.0, 1.0, None, None),  # 10:00 -> 11:00 on a Monday
    "L02": ("met", 2.0, 66.0, None, None),  # Fri 16:00-17:00 + Mon 09:00-10:00; 66 h of clock
    "L03": ("breached", 5.0, 67.0, None, 1.0),  # after hours Friday: Mon 09-14 = 5 h; DST: 67 h
    "L04": ("breached", None, None, 28.0, 24.0),  # Thu 1 + Tue-Thu 3x8 + Fri 3 (holidays, weekend)
    "L05": ("pending", None, None, 2.0, None),  # Fri 10:00 -> data's end 12:00
    "L06": ("met", 3.0, 3.0, None, None),  # the 09:00 call is before the 09:30 hand-over
    "L07": ("invalid", None, None, None, None),  # first contact 11:30 before hand-over 12:00
    "L08": ("met", 0.5, 0.5, None, None),
    "L10": ("met", 3.0, 3.0, None, None),  # 8 April 10:00 -> 13:00; the March call does not count
    "L11": ("breached", 5.0, 5.0, None, 1.0),
    # 2 March 09:00 to 10 April 12:00: 22 working days in March x 8 + 1-2 April 16 + 7-9 April 24
    # + 3 on the 10th = 219 business hours, 215 over the target.
    "L14": ("breached", None, None, 219.0, 215.0),
}


@pytest.mark.parametrize("lead_id", sorted(FOLLOW_UP))
def test_follow_up_against_sla(leads, lead_id):
    row = leads.loc[lead_id]
    status, hours, calendar, waiting, overdue = FOLLOW_UP[lead_id]
    assert row["sla_status"] == status

    def value(column):
        return None if pd.isna(row[column]) else round(float(row[column]), 6)

    assert value("follow_up_hours") == hours
    assert value("follow_up_calendar_hours") == calendar
    assert value("hours_waiting") == waiting
    assert value("hours_overdue") == overdue


def test_leads_not_handed_over_have_no_sla_status(leads):
    assert leads.loc[["L09", "L12", "L13"], "sla_status"].isna().all()


def test_routing_and_rep_delay_split_the_latency(leads):
    # L01: hand-over 10:00, assigned 10:30, follow-up 11:00.
    assert leads.loc["L01", "routing_hours"] == 0.5
    assert leads.loc["L01", "rep_hours"] == 0.5
    # Without assigned_at there is no split.
    assert pd.isna(leads.loc["L02", "routing_hours"])


def test_negative_latency_is_flagged_not_averaged(leads):
    assert bool(leads.loc["L07", "has_negative_follow_up"])
    assert pd.isna(leads.loc["L07", "follow_up_hours"])


# lead: disposition at the data's end (MQLs only), and the furthest stage reached.
DISPOSITION = {
    "L01": ("won", "won"),
    "L02": ("active", "mql"),
    "L03": ("discarded", "mql"),
    "L04": ("active", "mql"),
    "L05": ("active", "mql"),
    "L06": ("lost", "sql"),  # lost 20 March after SQL 12 March
    "L07": ("active", "sal"),
    "L08": ("won", "won"),  # a later lost deal does not undo the win
    "L09": (None, "lead"),  # never an MQL: no disposition
    "L10": ("active", "mql"),  # recycled 25 March, MQL again 8 April
    "L11": ("won", "won"),  # discarded 1 April, won 9 April
    "L12": (None, "lead"),
    "L13": (None, "lead"),
    "L14": ("active", "mql"),
}


@pytest.mark.parametrize("lead_id", sorted(DISPOSITION))
def test_disposition(leads, lead_id):
    row = leads.loc[lead_id]
    disposition, furthest = DISPOSITION[lead_id]
    assert (None if pd.isna(row["disposition"]) else row["disposition"]) == disposition
    assert row["furthest_stage"] == furthest


def test_dispositions_sum_to_mqls(leads):
    mqls = leads[leads["is_mql"]]
    assert mqls["disposition"].notna().all()
    assert len(mqls) == 11


def test_deals_outrank_lead_columns(leads):
    # L08 has a won deal of $5,000 (status written "Won") and a lost one of 2,000: only won counts.
    assert leads.loc["L08", "won_amount"] == 5000
    assert leads.loc["L08", "n_deals"] == 2
    # L11 has no deals: its won_at and amount come from the lead columns.
    assert leads.loc["L11", "won_amount"] == 700


def test_blank_labels_become_named_groups(leads):
    row = leads.loc["L11"]
    assert (row["source"], row["campaign"], row["owner"], row["team"]) == (
        "(unknown)",
        "(no campaign)",
        "(unassigned)",
        "(no team)",
    )


def test_discard_reason_labels(leads):
    assert leads.loc["L09", "discard_reason"] == "(no reason given)"
    assert leads.loc["L03", "discard_reason"] == "Bad data"
    assert pd.isna(leads.loc["L01", "discard_reason"])


def test_mql_by_score(leads):
    # L02 (90) and L08 (95) are scored past 80 with no mql_at; L05 (85) was stamped.
    assert leads.index[leads["is_mql_by_score"].fillna(False)].tolist() == ["L02", "L08"]


def test_time_zone_at_the_month_boundary(leads):
    # L13 was created at 23:30 UTC on 28 February: 00:30 on 1 March in Berlin.
    assert leads.loc["L13", "created_at"].tz_convert(BERLIN).month == 3
    assert leads.loc["L14", "created_at"].tz_convert(BERLIN).month == 2


def test_business_calendar_around_the_dst_change(golden_db):
    rows = golden_db.con.execute(
        "select day, open_hours, hours_before from business_calendar"
        " where day between date '2026-03-27' and date '2026-03-31' order by day"
    ).fetchall()
    hours = [(str(day), open_hours) for day, open_hours, _ in rows]
    # Friday 8 h, the weekend 0 (the clocks change on Sunday), Monday and Tuesday 8 h each.
    assert hours == [
        ("2026-03-27", 8.0),
        ("2026-03-28", 0.0),
        ("2026-03-29", 0.0),
        ("2026-03-30", 8.0),
        ("2026-03-31", 8.0),
    ]
    before = [hb for _, _, hb in rows]
    assert before[1] - before[0] == 8.0
    assert before[3] - before[1] == 0.0


def business_hours_by_minute(
    start: dt.datetime, end: dt.datetime, agreement: agreement_mod.Agreement
) -> float:
    """An independent reference: walk minute by minute in local time, count the open ones."""
    bh = agreement.business_hours
    tz = agreement.tz
    minute = dt.timedelta(minutes=1)
    t = start.astimezone(dt.UTC)
    stop = end.astimezone(dt.UTC)
    minutes = 0
    while t < stop:
        local = t.astimezone(tz)
        if (
            local.weekday() in bh.working_days
            and local.date() not in bh.holidays
            and bh.opens <= local.time() < bh.closes
        ):
            minutes += 1
        t += minute
    return minutes / 60


def test_business_hours_match_a_minute_by_minute_count(tmp_path, golden_agreement):
    """Random hand-overs and follow-ups around weekends, holidays and both DST changes."""
    rng = random.Random(20260329)
    windows = [
        dt.datetime(2026, 3, 26, 0, 0, tzinfo=BERLIN),  # spring forward on 29 March
        dt.datetime(2026, 4, 1, 0, 0, tzinfo=BERLIN),  # Good Friday and Easter Monday
        dt.datetime(2026, 10, 22, 0, 0, tzinfo=BERLIN),  # fall back on 25 October
    ]
    rows, activities, expected = ["lead_id,created_at,source,mql_at"], ["lead_id,activity_at"], {}
    for n in range(60):
        base = windows[n % 3]
        mql = base + dt.timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
        follow = mql + dt.timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        lead = f"R{n:03d}"
        rows.append(f"{lead},{mql.isoformat()},Web,{mql.isoformat()}")
        activities.append(f"{lead},{follow.isoformat()}")
        expected[lead] = business_hours_by_minute(mql, follow, golden_agreement)
    folder = write_dataset(
        tmp_path / "random", leads="\n".join(rows) + "\n", activities="\n".join(activities) + "\n"
    )
    importer.import_dataset(folder, tmp_path / "random.duckdb", golden_agreement)
    db = Database(tmp_path / "random.duckdb", golden_agreement)
    got = dict(db.con.execute("select lead_id, follow_up_hours from stg_leads").fetchall())
    db.close()
    for lead, hours in expected.items():
        assert math.isclose(got[lead], hours, abs_tol=1e-6), (lead, got[lead], hours)


def test_calendar_clock(golden_db_path):
    """On the calendar clock the target counts every hour, nights and weekends included."""
    text = (
        (GOLDEN / "agreement.toml").read_text().replace('clock = "business"', 'clock = "calendar"')
    )
    calendar = agreement_mod.parse(text)
    db = Database(golden_db_path, calendar)
    # The import built the staging tables for the business clock; this agreement differs, so
    # they are rebuilt on opening.
    assert db.staging_built_on_open
    rows = dict(
        db.con.execute(
            "select lead_id, follow_up_hours from stg_leads where lead_id in ('L02', 'L03')"
        ).fetchall()
    )
    status = dict(
        db.con.execute(
            "select lead_id, sla_status from stg_leads where lead_id in ('L02', 'L03', 'L05')"
        ).fetchall()
    )
    db.close()
    # L02: Friday 16:00 to Monday 10:00 is 66 hours; L03 crosses the DST change: 67, not 68.
    assert rows == {"L02": 66.0, "L03": 67.0}
    # 66 and 67 hours are past 4; L05 has waited 2 calendar hours (10:00 to 12:00): pending.
    assert status == {"L02": "breached", "L03": "breached", "L05": "pending"}


def table(db, sql: str) -> pd.DataFrame:
    return db.con.sql(sql).to_arrow_table().to_pandas()


def test_staging_built_at_import_is_used(golden_db):
    assert golden_db.staging_built_on_open is False


def test_agreement_versions_of_a_file_without_changes(golden_db):
    # One version, in force from the beginning: every lead is judged by it (tests/test_versions.py
    # has the golden fixture across a change).
    rows = table(golden_db, "select * from agreement_versions")
    assert rows["version"].tolist() == [1]
    assert pd.isna(rows.loc[0, "effective_on"])
    assert pd.isna(rows.loc[0, "ends_at"])
    assert rows.loc[0, "working_isodows"].tolist() == [1, 2, 3, 4, 5]
    judged = golden_db.con.execute("select distinct agreement_version from stg_leads").fetchall()
    assert judged == [(1,)]


def test_agreement_settings(golden_db):
    row = table(golden_db, "select * from agreement_settings").iloc[0]
    assert row["version"] == 1
    assert (row["follow_up_target_hours"], row["follow_up_clock"], row["score_threshold"]) == (
        4.0,
        "business",
        80.0,
    )
    assert row["stale_after_days"] == 10.0
    # The data's end: L12's creation, 10 April 2026 12:00 Berlin (CEST).
    assert row["data_end_at"] == at("2026-04-10 12:00")


def test_stg_deals(golden_db):
    rows = table(
        golden_db,
        "select l.lead_id, d.* from stg_deals as d join leads as l using (lead_key) order by 1",
    ).set_index("lead_id")
    assert list(rows.index) == ["L01", "L08"]
    assert rows.loc["L01", "first_won_at"] == at("2026-04-01 12:00")
    assert rows.loc["L01", "won_amount"] == 1000
    # L08: D08 won ($5,000), D08b lost (2,000): the lead is not lost by its deals.
    assert rows.loc["L08", "n_deals"] == 2
    assert rows.loc["L08", "first_deal_at"] == at("2026-03-20 09:00")
    assert rows.loc["L08", "won_amount"] == 5000
    assert pd.isna(rows.loc["L08", "all_lost_at"])
    assert pd.isna(rows.loc["L08", "open_amount"])


def test_stg_lead_stages(golden_db):
    rows = table(golden_db, "select * from stg_lead_stages order by lead_id").set_index("lead_id")
    # The score rule stamps L02 and L08 at creation; L05 (85) was stamped by hand.
    assert rows.loc["L02", "mql_at"] == at("2026-03-06 16:00")
    assert rows.loc["L05", "mql_at"] == at("2026-04-10 10:00")
    assert bool(rows.loc["L05", "is_mql_by_score"]) is False
    # Deals outrank the lead's empty opportunity_at and won_at.
    assert rows.loc["L08", "opportunity_at"] == at("2026-03-20 09:00")
    assert rows.loc["L08", "won_at"] == at("2026-03-30 10:00")
    assert pd.isna(rows.loc["L08", "lost_at"])
    assert rows.loc["L06", "lost_at"] == at("2026-03-20 10:00")


def test_stg_follow_up(golden_db):
    rows = table(
        golden_db,
        "select l.lead_id, f.* from stg_follow_up as f join leads as l using (lead_key) order by 1",
    ).set_index("lead_id")
    # L06: the 09:00 call is before the 09:30 hand-over; the 12:30 email is the follow-up.
    assert rows.loc["L06", "first_follow_up_at"] == at("2026-03-05 12:30")
    assert rows.loc["L06", "n_activities"] == 2
    assert rows.loc["L06", "n_activities_before_handover"] == 1
    # L07 has no activities, so its first_contacted_at column (11:30) is the follow-up.
    assert rows.loc["L07", "first_follow_up_at"] == at("2026-03-10 11:30")
    assert rows.loc["L07", "handover_at"] == at("2026-03-10 12:00")
    # L10: the March call was before the April hand-over.
    assert rows.loc["L10", "first_follow_up_at"] == at("2026-04-08 13:00")
    assert rows.loc["L10", "last_activity_at"] == at("2026-04-08 13:00")
    assert pd.isna(rows.loc["L09", "handover_at"])
    # L09 was called once but never handed over: an activity, and no follow-up.
    assert rows.loc["L09", "n_activities"] == 1
    assert pd.isna(rows.loc["L09", "first_follow_up_at"])


def test_stg_data_quality_has_one_row_per_check(golden_db):
    rows = table(golden_db, "select severity, count(*) as n from stg_data_quality group by 1")
    assert dict(rows.itertuples(index=False)) == {"warning": 6, "note": 4}


def test_agreement_steps(golden_db):
    rows = table(golden_db, "select step, from_stage, to_stage, limit_days from agreement_steps")
    assert rows.values.tolist() == [
        ["lead_to_mql", "lead", "mql", 30.0],
        ["mql_to_sal", "mql", "sal", 2.0],
        ["sal_to_sql", "sal", "sql", 14.0],
        ["sql_to_opportunity", "sql", "opportunity", 30.0],
        ["opportunity_to_won", "opportunity", "won", 90.0],
    ]


def test_stg_filter_values(golden_db):
    rows = table(golden_db, "select * from stg_filter_values")
    counts = {(r.dimension, r.value): r.n_leads for r in rows.itertuples()}
    assert counts[("team", "East")] == 8
    assert counts[("campaign", "(no campaign)")] == 3  # L07, L08, L11
    assert counts[("region", "NA")] == 5
    assert rows.loc[rows["dimension"] == "region", "is_attribute"].all()
    assert not rows.loc[rows["dimension"] == "source", "is_attribute"].any()


def test_stg_revenue_events(golden_db):
    rows = table(golden_db, "select * from stg_revenue_events order by event_id").set_index(
        "event_id"
    )
    # D01 and D08 won (their close), D08b lost (not revenue), L11 won by its lead columns (no
    # deal); no deal is open.
    assert list(rows.index) == ["D01", "D08", "lead L11"]
    assert rows.loc["D08", "converted_at"] == at("2026-03-30 10:00")
    assert rows.loc["D08", "opportunity_at"] == at("2026-03-20 09:00")
    assert rows.loc["lead L11", ["revenue_type", "amount_usd"]].tolist() == ["won", 700]
    assert rows["lead_source"].tolist() == ["Paid search", "Referral", "(unknown)"]


def test_dataset_facts_of_the_golden_fixture(golden_db):
    # The golden fixture has activities, touches, deals and spend; stg_dataset says so.
    rows = golden_db.con.execute("select * from stg_dataset").fetchall()
    assert rows == [(True, True, True, True, True)]
    assert metrics.dataset(golden_db) == {
        "has_follow_up_data": True, "has_touch_data": True, "has_revenue_data": True,
        "has_deal_data": True, "has_spend_data": True,
    }  # fmt: skip
    assert golden_db.run("dataset_facts").iloc[0].tolist() == [True] * 5


def test_business_clock_stops_on_a_calendar_holiday(tmp_path):
    """A holidays-package calendar reaches the business clock: US (NY) Thanksgiving is off."""
    text = (
        (GOLDEN / "agreement.toml")
        .read_text()
        .replace('time_zone = "Europe/Berlin"', 'time_zone = "America/New_York"')
    )
    holidays = "holidays = [2026-04-03, 2026-04-06]"
    calendar = agreement_mod.parse(
        text.replace(holidays, 'holidays = { country = "US", subdivision = "NY" }')
    )
    listed = agreement_mod.parse(text.replace(holidays, "holidays = []"))
    # Handed over Wednesday 25 November 2026 16:30 New York time (EST, -05:00), the evening
    # before Thanksgiving (the fourth Thursday: 1 November is a Sunday, so the 26th); followed
    # up Friday 27 November 10:15.
    folder = write_dataset(
        tmp_path / "thanksgiving",
        leads="lead_id,created_at,source,mql_at\n"
        "T1,2026-11-25T16:30:00-05:00,Web,2026-11-25T16:30:00-05:00\n",
        activities="lead_id,activity_at\nT1,2026-11-27T10:15:00-05:00\n",
    )
    hours = {}
    for name, agreement in (("calendar", calendar), ("no holidays", listed)):
        db_path = tmp_path / f"{name}.duckdb"
        importer.import_dataset(folder, db_path, agreement)
        db = Database(db_path, agreement)
        hours[name] = db.con.execute("select follow_up_hours from stg_leads").fetchone()[0]
        db.close()
    # Wed 16:30-17:00 = 0.5 h, Thanksgiving 0 h, Fri 09:00-10:15 = 1.25 h: 1.75 business hours.
    # Without the holiday Thursday adds its 8 hours: 9.75.
    assert hours == {"calendar": 1.75, "no holidays": 9.75}


def test_no_scoring_section_no_handoff_scores(golden_db):
    """The golden agreement has no [scoring] section: stg_lead_score_rules and stg_lead_scores
    exist and are empty (tests/test_scoring.py works out the scores of a section by hand)."""
    for table in ("stg_lead_score_rules", "stg_lead_scores"):
        assert golden_db.con.execute(f"select count(*) from {table}").fetchone() == (0,)
