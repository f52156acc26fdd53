"""Golden tests of the definitions issue 15 settled (PRODUCT.md, Metric definitions), each on a
small dataset written here and worked out by hand:

- follow-up: an open breach is a lead still active with no follow-up past the target; a lead
  closed (won, lost, discarded, recycled) with no follow-up is its own kind of breach, never
  waiting; without any follow-up data nothing is judged ("no follow-up data", never 0%);
- the win rate of closed opportunities (won / (won + lost)) and the cycle time of won and lost
  opportunities, in a cohort and in the flow;
- in flow view, a period's revenue is what its won deals brought, as attribution counts it;
- a goal for a source the data lacks is "not in the data";
- the latest month mature for a step.
"""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import agreement as agreement_mod
from handoff import metrics, report, scorecard
from handoff.filters import Filters, resolve_period
from tests.conftest import GOLDEN
from tests.test_queries import imported

MAY = Filters(period=resolve_period("custom", dt.date(2026, 5, 20), dt.date(2026, 5, 1),
                                    dt.date(2026, 5, 31)))  # fmt: skip
MARCH = Filters(period=resolve_period("custom", dt.date(2026, 4, 5), dt.date(2026, 3, 1),
                                      dt.date(2026, 3, 31)))  # fmt: skip


def agreement(**replace: str) -> agreement_mod.Agreement:
    """The golden agreement with some of its lines replaced."""
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return agreement_mod.parse(text)


# On the calendar clock with a 24-hour target, in Berlin in May (no clock change). The data ends
# at F9's creation, 20 May 12:00.
CALENDAR = {"target_hours = 4": "target_hours = 24", 'clock = "business"': 'clock = "calendar"'}
FOLLOW_UP_LEADS = (
    "lead_id,created_at,source,mql_at,sal_at,won_at,discarded_at,recycled_at,amount\n"
    "F1,2026-05-04 09:00,Web,2026-05-04 10:00,,,2026-05-04 11:00,,\n"
    "F2,2026-05-04 09:00,Web,2026-05-04 10:00,,,,,\n"
    "F3,2026-05-20 09:00,Web,2026-05-20 10:00,,,,,\n"
    "F4,2026-05-05 09:00,Fair,2026-05-05 10:00,,2026-05-10 10:00,,,100\n"
    "F5,2026-05-05 09:00,Fair,2026-05-05 10:00,,,2026-05-08 10:00,,\n"
    "F6,2026-05-06 09:00,Fair,2026-05-06 10:00,,,,2026-05-06 12:00,\n"
    "F7,2026-05-01 09:00,Web,2026-05-01 10:00,2026-05-03 10:00,,2026-05-02 10:00,,\n"
    "F8,2026-05-11 09:00,Web,2026-05-11 10:00,,,,,\n"
    "F9,2026-05-20 12:00,Web,,,,,,\n"
)
FOLLOW_UP_ACTIVITIES = "lead_id,activity_at,rep\nF5,2026-05-07 10:00,Ana\nF8,2026-05-11 11:00,Ana\n"


@pytest.fixture
def follow_up_db(tmp_path):
    with imported(
        tmp_path, agreement(**CALENDAR), leads=FOLLOW_UP_LEADS, activities=FOLLOW_UP_ACTIVITIES
    ) as db:
        yield db


def test_follow_up_statuses_by_hand(follow_up_db):
    rows = follow_up_db.con.execute(
        "select lead_id, sla_status, breach, is_open_breach, disposition, hours_waiting,"
        " hours_overdue from stg_leads order by lead_id"
    ).fetchall()
    assert rows == [
        # Discarded an hour after its hand-over, never followed up: closed without follow-up,
        # breached though the target had not passed; it waits no more, so nothing is overdue.
        ("F1", "breached", "closed without follow-up", False, "discarded", None, None),
        # Active, never followed up, 16 days 2 hours (386 h) after its hand-over: open.
        ("F2", "breached", "open", True, "active", 386.0, 362.0),
        # Active, 2 hours after its hand-over at the data's end: pending.
        ("F3", "pending", None, False, "active", 2.0, None),
        # Won with no follow-up at all: closed without follow-up.
        ("F4", "breached", "closed without follow-up", False, "won", None, None),
        # Followed up 48 hours after its hand-over, 24 past the target, then discarded.
        ("F5", "breached", "followed up late", False, "discarded", None, 24.0),
        # Recycled two hours after its hand-over, never followed up.
        ("F6", "breached", "closed without follow-up", False, "recycled", None, None),
        # Discarded on 2 May, then accepted on 3 May: active again, and never followed up since
        # its hand-over on 1 May 10:00: 19 days 2 hours (458 h) waiting, open.
        ("F7", "breached", "open", True, "active", 458.0, 434.0),
        ("F8", "met", None, False, "active", None, None),  # 1 hour
        ("F9", None, None, False, None, None, None),  # never handed over
    ]


def test_follow_up_summary_and_breach_list_by_hand(follow_up_db):
    summary = metrics.follow_up_summary(follow_up_db, MAY)["current"]
    # 8 hand-overs in May: F8 met; F1 F2 F4 F5 F6 F7 breached; F3 pending: 1 + 6 + 1 = 8.
    # Breached: F5 late, F2 and F7 open, F1 F4 F6 closed without follow-up.
    counts = {k: summary[k] for k in (
        "n_handed_over", "n_met", "n_breached", "n_pending", "n_invalid", "n_followed_up_late",
        "n_open_breaches", "n_closed_without_follow_up", "n_not_followed_up", "n_judged")}  # fmt: skip
    assert counts == {
        "n_handed_over": 8, "n_met": 1, "n_breached": 6, "n_pending": 1, "n_invalid": 0,
        "n_followed_up_late": 1, "n_open_breaches": 2, "n_closed_without_follow_up": 3,
        "n_not_followed_up": 6, "n_judged": 7,
    }  # fmt: skip
    assert summary["within_sla_rate"] == round(1 / 7, 6)
    breaches = metrics.run(follow_up_db, "follow_up_breaches", MAY, limit=100)
    # Open ones first (oldest hand-over first), then closed without follow-up, then late.
    assert breaches[["lead_id", "breach"]].values.tolist() == [
        ["F7", "open"], ["F2", "open"],
        ["F1", "closed without follow-up"], ["F4", "closed without follow-up"],
        ["F6", "closed without follow-up"],
        ["F5", "followed up late"],
    ]  # fmt: skip
    assert breaches["n_open"].iloc[0] == 2
    # The summary's action list counts open breaches only: F2 and F7, not F1, F4 or F6.
    data = report.collect(follow_up_db, MAY)
    assert (
        "2 MQLs still waiting past the follow-up target (active, no follow-up yet)"
        in data["summary"][-1]
    )


def test_no_follow_up_data_is_said_not_zero(tmp_path):
    with imported(tmp_path, agreement(**CALENDAR), leads=FOLLOW_UP_LEADS) as db:
        assert metrics.dataset(db) == {
            "has_follow_up_data": False, "has_touch_data": False, "has_revenue_data": True,
            "has_deal_data": False, "has_spend_data": False,
        }  # fmt: skip
        data = report.collect(db, MAY)
    summary = data["follow_up"]["summary"]
    assert summary["has_follow_up_data"] is False
    now = summary["current"]
    # The hand-overs are known (8); whether anyone followed them up is not.
    assert now["n_handed_over"] == 8
    assert [now[k] for k in ("n_met", "n_breached", "n_pending", "n_open_breaches",
                             "n_not_followed_up", "n_judged", "within_sla_rate")] == [None] * 7  # fmt: skip
    assert data["follow_up"]["note"] == "no follow-up data"
    follow = next(c for c in data["scorecard"]["commitments"] if c["key"] == "follow_up")
    assert (follow["value"], follow["is_met"], follow["note"]) == (
        None, None, "no follow-up data in the export",
    )  # fmt: skip
    assert (
        "The export has no follow-up data (no sales activities and no first-contact dates), so "
        "follow-up cannot be judged." in data["summary"]
    )
    assert not any("waiting past the follow-up target" in s for s in data["summary"])
    page = report.render(data)
    assert "No follow-up data:" in page
    assert "0% followed up" not in page


def test_first_contacted_at_alone_is_follow_up_data(tmp_path):
    leads = (
        "lead_id,created_at,source,mql_at,first_contacted_at\n"
        "C1,2026-05-04 09:00,Web,2026-05-04 10:00,2026-05-04 12:00\n"
        "C2,2026-05-04 09:00,Web,2026-05-04 10:00,\n"
        "C3,2026-05-20 12:00,Web,,\n"
    )
    with imported(tmp_path, agreement(**CALENDAR), leads=leads) as db:
        now = metrics.follow_up_summary(db, MAY)["current"]
    # C1 met (2 h); C2 never contacted, 386 hours waiting: an open breach.
    assert (now["n_met"], now["n_breached"], now["n_open_breaches"]) == (1, 1, 1)


# Opportunities in March 2026 (Berlin; the clocks go forward on 29 March). The data ends at O9's
# loss, 5 April 00:00.
OPPORTUNITY_LEADS = (
    "lead_id,created_at,source,sql_at,opportunity_at,won_at,lost_at,amount\n"
    "O1,2026-03-02,Web,,2026-03-05 10:00,2026-03-20 10:00,,100\n"  # won after 15 days
    "O2,2026-03-03,Web,,2026-03-06 10:00,,2026-03-16 10:00,\n"  # lost after 10 days
    "O3,2026-03-04,Web,,2026-03-10,,,\n"  # open
    "O4,2026-03-05,Web,2026-03-06,,,2026-03-07,\n"  # lost before it was an opportunity
    "O5,2026-03-06,Web,2026-03-12,2026-03-08,,2026-03-09,\n"  # lost, then back: active, open
    "O6,2026-03-07,Web,,,2026-03-25,,50\n"  # won with no opportunity date
    "O7,2026-03-08 10:00,Fair,,2026-03-28 10:00,,2026-03-30 10:00,\n"  # lost across the DST change
    "O8,2026-02-20,Fair,,2026-03-01,2026-03-15,,70\n"  # a February lead won in March
    "O9,2026-03-09,Fair,,2026-04-01,,2026-04-05,\n"  # lost in April
    "O10,2026-03-20,Fair,,,,,\n"
)


def test_win_rate_and_cycle_time_of_closed_opportunities(tmp_path):
    with imported(tmp_path, agreement(), leads=OPPORTUNITY_LEADS) as db:
        rows = metrics.run(db, "closed_opportunities", MARCH)
        cohort = metrics.closed_opportunities(db, MARCH)
        flow = metrics.closed_opportunities(db, Filters(period=MARCH.period, view="flow"))
        stages = metrics.funnel_stages(db, MARCH).set_index("stage")
    # March's creation cohort reached opportunity: O1 O2 O3 O5 O6 (its win implies it) O7 O9 =
    # 7. Won: O1, O6. Closed lost: O2, O7, O9 (O4 was lost before any opportunity; O5 came back
    # after its loss). Open: O3, O5. Win rate 2 / (2 + 3); the step rate counts the open ones.
    assert stages.loc["won", "step_rate"] == pytest.approx(2 / 7)
    assert {k: cohort[k] for k in ("n_won", "n_lost", "n_closed", "n_open", "win_rate")} == {
        "n_won": 2, "n_lost": 3, "n_closed": 5, "n_open": 2, "win_rate": 0.4,
    }  # fmt: skip
    assert rows[["outcome", "n_opportunities", "n_with_days"]].values.tolist() == [
        ["won", 2, 1], ["lost", 3, 3], ["open", 2, 0],
    ]  # fmt: skip
    won, lost = cohort["cycle_days"]["won"], cohort["cycle_days"]["lost"]
    # Won: O1 after 15 days; O6 has no opportunity date (counted, no cycle time).
    assert (won["n_opportunities"], won["n_with_days"], won["median_days"]) == (2, 1, 15.0)
    # Lost: O2 10 days, O7 2 days less the skipped hour, O9 4 days: median 4; quartiles by
    # linear interpolation halfway between neighbours.
    o7 = 2 - 1 / 24
    assert (lost["n_opportunities"], lost["n_with_days"], lost["median_days"]) == (3, 3, 4.0)
    assert lost["p25_days"] == pytest.approx((o7 + 4) / 2, abs=1e-6)
    assert lost["p75_days"] == pytest.approx(7.0)
    # Flow: won in March O1, O6 and O8 (a February lead); lost in March O2 and O7; opportunities
    # entered in March and neither won nor lost: O3, O5.
    assert {k: flow[k] for k in ("n_won", "n_lost", "n_open", "win_rate")} == {
        "n_won": 3, "n_lost": 2, "n_open": 2, "win_rate": 0.6,
    }  # fmt: skip
    assert flow["cycle_days"]["won"]["median_days"] == pytest.approx(14.5)  # O8 14 d, O1 15 d
    assert flow["cycle_days"]["lost"]["median_days"] == pytest.approx((10 + o7) / 2, abs=1e-6)


def test_flow_revenue_is_the_deals_won_in_the_period(tmp_path):
    # W1 won its first deal in February and a second one in March; W2 won once, in March.
    with imported(
        tmp_path,
        agreement(),
        leads="lead_id,created_at,source\nW1,2026-01-05,Web\nW2,2026-03-02,Web\n",
        deals="deal_id,lead_id,created_at,closed_at,status,amount\n"
        "DA,W1,2026-01-10,2026-02-10,won,100\nDB,W1,2026-02-15,2026-03-12,won,50\n"
        "DC,W2,2026-03-03,2026-03-20,won,30\n",
    ) as db:
        flow = Filters(period=MARCH.period, view="flow")
        home = metrics.home(db, flow)
        breakdown = metrics.run(db, "funnel_breakdown", flow, columns={"group_1": "source"})
        cohort = metrics.home(db, Filters(period=resolve_period("custom", dt.date(2026, 4, 5),
                                                               dt.date(2026, 1, 1),
                                                               dt.date(2026, 1, 31))))  # fmt: skip
    # Flow March: one lead won for the first time (W2), but two deals closed won: DB (50) and
    # DC (30). The revenue counted is the deals', as attribution credits it.
    assert home["won"]["value"] == 1
    assert home["won_revenue_usd"]["value"] == 80
    assert home["won_in_period"] == {
        "label": "Won in March 2026 (deals closed in it)", "n_deals": 2, "revenue_usd": 80,
    }  # fmt: skip
    assert breakdown["won_amount_usd"].sum() == 80
    # January's creation cohort is W1: won, with all its revenue, whenever closed (150).
    assert (cohort["won"]["value"], cohort["won_revenue_usd"]["value"]) == (1, 150)


def test_a_goal_for_a_source_the_data_lacks_is_not_in_the_data(golden_db_path):
    from handoff.db import Database

    terms = agreement(**{'"Webinar" = 2': '"Webinar" = 2\n"Podcast" = 3'})
    db = Database(golden_db_path, terms)
    try:
        march = Filters(period=resolve_period("last_month", dt.date(2026, 4, 10)))
        card = scorecard.scorecard(db, march)
    finally:
        db.close()
    podcast = card.commitment("mql_volume:Podcast")
    # No lead has the source Podcast (it only spent): not judged, never "0 · Missed".
    assert (podcast.in_data, podcast.value, podcast.is_met, podcast.previous) == (
        False, None, None, None,
    )  # fmt: skip
    assert podcast.note == "goal: 3 a month; Podcast is not in the data"
    assert {p.value for p in podcast.trend} == {None}
    sentences = scorecard.summary(card)
    assert "The agreement sets an MQL goal for Podcast, which the data does not have." in sentences
    assert "Below their MQL goal: Paid search, Webinar." in sentences  # not Podcast


@pytest.mark.parametrize(
    ("step", "month"),
    [
        # The data ends on 10 April 2026 12:00. A month is mature for a step once its end lies at
        # least the step's limit before that: MQL → SAL (2 days) → March (ended 1 April);
        # SAL → SQL (14 days: 27 March 12:00) → February; lead → won (166 days: 25 October 2025)
        # → September 2025.
        ("mql_to_sal", (dt.date(2026, 3, 1), dt.date(2026, 4, 1))),
        ("sal_to_sql", (dt.date(2026, 2, 1), dt.date(2026, 3, 1))),
        ("lead_to_won", (dt.date(2025, 9, 1), dt.date(2025, 10, 1))),
    ],
)
def test_latest_mature_month(golden_agreement, step, month):
    end = dt.datetime(2026, 4, 10, 12, tzinfo=golden_agreement.tz)
    found = metrics.latest_mature_month(golden_agreement, end, step)
    assert (found.start, found.end) == month
    # It is mature; the month after it is not.
    after = Filters(period=resolve_period("custom", end.date(), month[1],
                                          (month[1] + dt.timedelta(days=32)).replace(day=1)
                                          - dt.timedelta(days=1)))  # fmt: skip
    assert metrics.period_maturity(Filters(period=found), golden_agreement, end)[step]
    assert not metrics.period_maturity(after, golden_agreement, end)[step]


def test_wins_without_any_amount_are_unknown_revenue_not_zero(tmp_path):
    # Two leads won in March, and no amount anywhere in the export (like X Education's).
    with imported(
        tmp_path,
        agreement(),
        leads="lead_id,created_at,source,won_at\nN1,2026-03-02,Web,2026-03-10\n"
        "N2,2026-03-03,Web,2026-03-11\nN3,2026-04-05,Web,\n",
    ) as db:
        data = report.collect(db, MARCH)
    home = data["home"]
    assert home["won"]["value"] == 2
    assert (home["won_revenue_usd"]["value"], home["won_revenue_usd"]["note"]) == (
        None, "no amounts in the export",
    )  # fmt: skip
    assert (home["won_in_period"]["n_deals"], home["won_in_period"]["revenue_usd"]) == (2, None)
    # N1 and N2 are March's leads (N3, in April, ends the data): both won, at no known amount.
    assert (
        "Of the 2 leads created in March 2026, 2 became MQLs and 2 have been won so far (no "
        "amounts in the export); 2 deals (no amounts) were won in March 2026 (deals closed in it)."
    ) in data["summary"]
    assert "$0" not in " ".join(data["summary"])
