"""One name, one number. Wherever Handoff shows a quantity under a name (the home page's
scorecard and funnel line, each page's section of `metrics --json`, the report, the summary
sentences), it is the same number for the same filters; and a trend's point for a month is the
headline when that month is the period, and the previous period's value is the headline of the
previous period.

Checked on the golden fixture, on a 100,000-lead demo and on 24 random filter sets over it
(every period kind, every view, strict order, sources, teams and attributes). Nothing here is a
hand-worked value: the golden tests (tests/golden/, test_definitions) pin the numbers; this test
pins that they agree with each other. What must hold between the numbers (follow-up accounts
for every hand-over, dispositions sum to the MQLs, credit sums to the revenue, ...) is declared
once in tests/invariants.py and checked by tests/test_invariants.py. The pages themselves are
held to the same numbers in tests/test_pages.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from collections import defaultdict
from typing import Any

import pytest

from handoff import agreement as agreement_mod
from handoff import demo, importer, metrics, report, scorecard, starter
from handoff.db import Database
from handoff.filters import Filters, Period, resolve_period
from tests.conftest import DEMO_AGREEMENT
from tests.test_pages import shown_text

DEMO_END = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo100k")
    demo.generate(
        folder / "data", n_leads=100_000, end_date=DEMO_END, agreement_path=DEMO_AGREEMENT
    )
    terms = agreement_mod.load(DEMO_AGREEMENT)
    importer.import_dataset(folder / "data", folder / "demo.duckdb", terms)
    db = Database(folder / "demo.duckdb", terms)
    yield db
    db.close()


def total(rows: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] or 0 for r in rows)


def by_key(rows: list[dict[str, Any]], key: str, value_key: str) -> dict[Any, Any]:
    return {r[key]: r[value_key] for r in rows}


class Names:
    """Every quantity seen, by name: {name: [(where, value)]}."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[str, Any]]] = defaultdict(list)

    def add(self, name: str, where: str, value: Any) -> None:
        self.seen[name].append((where, _plain(value)))

    def disagreements(self) -> dict[str, list[tuple[str, Any]]]:
        return {
            name: places
            for name, places in self.seen.items()
            if len({_key(v) for _, v in places}) > 1
        }


def _plain(value: Any) -> Any:
    return round(float(value), 6) if isinstance(value, float | int) and value is not True else value


def _key(value: Any) -> Any:
    # Money summed over groups can differ in the last cent's float noise.
    return round(value, 2) if isinstance(value, float) else value


def names_in(data: dict[str, Any]) -> Names:
    """Every quantity the JSON, the report and the summary show, under the name they show it."""
    n = Names()
    home, card, funnel = data["home"], data["scorecard"], data["funnel"]
    follow, disc, quality = data["follow_up"], data["discards"], data["quality"]
    commitments = {c["key"]: c for c in card["commitments"]}
    stages = {s["stage"]: s["n_leads"] for s in funnel["stages"]}
    breakdown = [r for r in funnel["breakdown"] if r["group_2"] is None]
    view = data["filters"]["view"]

    # The funnel's stages: the home line, the funnel page, its breakdown, the quality page.
    for key, stage, column in (
        ("leads", "lead", "n_lead"),
        ("mqls", "mql", "n_mql"),
        ("sals", "sal", "n_sal"),
        ("sqls", "sql", "n_sql"),
        ("opportunities", "opportunity", "n_opportunity"),
        ("won", "won", "n_won"),
    ):
        name = home[key]["label"]
        n.add(name, "home", home[key]["value"])
        n.add(name, "scorecard.funnel", card["funnel"][key]["value"])
        if stage in stages:
            n.add(name, "funnel.stages", stages[stage])
        n.add(name, "funnel.breakdown (sum)", total(breakdown, column))
        if key in ("leads", "mqls", "sals", "sqls", "won"):
            n.add(name, "quality.by_source (sum)", total(quality["by_source"], column))
    n.add("Won", "funnel.closed_opportunities", funnel["closed_opportunities"]["n_won"])
    revenue = home["won_revenue_usd"]["label"]
    n.add(revenue, "home", home["won_revenue_usd"]["value"])
    n.add(revenue, "funnel.breakdown (sum)", total(breakdown, "won_amount_usd"))
    n.add(revenue, "quality.by_source (sum)", total(quality["by_source"], "won_amount_usd"))
    handoff = quality.get("handoff_score")
    if handoff is not None:
        # Handoff scores every lead: its ROC area counts all the period's leads, and each rule's
        # contribution all of them that reached MQL, converted or not.
        for r in handoff["auc"]:
            n.add(home["leads"]["label"], f"quality.handoff_score.auc ({r['outcome']})",
                  r["n_converted"] + r["n_not_converted"])  # fmt: skip
        if view != "flow":
            for r in handoff["rule_contributions"]:
                n.add("Leads that reached MQL", "quality.handoff_score.rule_contributions",
                      r["n_converted"] + r["n_not_converted"])  # fmt: skip
                if r["outcome"] == "sql" and view == "created":
                    n.add(home["mqls"]["label"], "quality.handoff_score.rule_contributions",
                          r["n_converted"] + r["n_not_converted"])  # fmt: skip

    # Deals won in the period: the home page, the scorecard, attribution, the CRM's report.
    won = data["attribution"]["won"]
    in_period = home["won_in_period"]["label"]
    n.add(in_period + ": deals", "home", home["won_in_period"]["n_deals"])
    n.add(in_period + ": deals", "scorecard", card["won_in_period"]["n_deals"])
    n.add(in_period + ": deals", "attribution.totals", won["totals"]["n_events"])
    n.add(in_period + ": deals", "attribution.recorded_source (sum)",
          total(won["recorded_source"], "n_deals"))  # fmt: skip
    n.add(in_period + ": revenue", "home", home["won_in_period"]["revenue_usd"])
    n.add(in_period + ": revenue", "attribution.totals", won["totals"]["revenue_usd"])
    n.add(in_period + ": revenue", "attribution.recorded_source (sum)",
          total(won["recorded_source"], "revenue_usd"))  # fmt: skip
    if view == "flow":
        # In flow view the funnel's revenue is the period's won deals: the same name.
        n.add(revenue, "home.won_in_period", home["won_in_period"]["revenue_usd"])

    # Hand-overs: marketing's volume, the follow-up page, its breakdowns.
    now = follow["summary"]["current"]
    name = card["counting"]["handed_over"]
    n.add(name, "scorecard.mql_volume", commitments["mql_volume"]["value"])
    n.add(name, "follow_up.summary", now["n_handed_over"])
    for group in ("by_owner", "by_team", "by_source"):
        if group in follow:
            n.add(name, f"follow_up.{group} (sum)", total(follow[group], "n_handed_over"))
    if view != "created" and data["funnel"]["order"] != "strict":
        # A hand-over cohort's MQLs and the flow's MQL entries are the hand-overs themselves.
        n.add(name, "home.mqls", home["mqls"]["value"])
    for key, c in commitments.items():
        if key.startswith("mql_volume:") and c["in_data"] and "by_source" in follow:
            source = key.partition(":")[2]
            n.add(c["counts"], "scorecard", c["value"])
            n.add(c["counts"], "follow_up.by_source",
                  by_key(follow["by_source"], "group_1", "n_handed_over").get(source, 0))  # fmt: skip

    # Marketing's support after hand-over counts the same hand-overs, overall and in each
    # breakdown; its counts add up over the sources and over the stages.
    support = data["support"]
    n.add(name, "support.overall", support["overall"]["n_handed_over"])
    for group in ("by_source", "by_stage"):
        n.add(name, f"support.{group} (sum)", total(support[group], "n_handed_over"))
    if support["has_touch_data"]:
        for label, key in (
            ("Kept receiving touches", "n_supported"),
            ("Not touched after hand-over", "n_unsupported"),
            ("Reached SQL: with touches", "n_sql_supported"),
            ("Reached SQL: without", "n_sql_unsupported"),
            ("Won: with touches", "n_won_supported"),
            ("Won: without", "n_won_unsupported"),
        ):
            n.add(label, "support.overall", support["overall"][key])
            for group in ("by_source", "by_stage"):
                n.add(label, f"support.{group} (sum)", total(support[group], key))

    # Follow-up in time: the commitment, the page's headline and every breakdown.
    follow_c = commitments["follow_up"]
    n.add("Followed up in time", "scorecard", follow_c["value"])
    n.add("Followed up in time", "follow_up.summary", now["within_sla_rate"])
    n.add("Followed up in time: met", "scorecard", follow_c["numerator"])
    n.add("Followed up in time: met", "follow_up.summary", now["n_met"])
    n.add("Followed up in time: judged", "scorecard", follow_c["denominator"])
    n.add("Followed up in time: judged", "follow_up.summary", now["n_judged"])
    n.add("Waiting past the target", "follow_up.summary", now["n_open_breaches"])
    for group in ("by_owner", "by_team", "by_source"):
        if group in follow:
            rows = follow[group]
            n.add("Followed up in time: met", f"follow_up.{group} (sum)", total(rows, "n_met"))
            n.add("Followed up in time: judged", f"follow_up.{group} (sum)",
                  total(rows, "n_met") + total(rows, "n_breached"))  # fmt: skip
            n.add("Waiting past the target", f"follow_up.{group} (sum)",
                  total(rows, "n_open_breaches"))  # fmt: skip
            n.add("Pending", f"follow_up.{group} (sum)", total(rows, "n_pending"))
    n.add("Pending", "follow_up.summary", now["n_pending"])
    if "breaches" in follow and len(follow["breaches"]) < 1000:
        n.add("Waiting past the target", "follow_up.breaches (open)",
              sum(b["breach"] == "open" for b in follow["breaches"]))  # fmt: skip

    # The period's MQLs (the view's cohort): the scorecard, the discards page, the funnel.
    d = disc["summary"]["current"]
    mqls = disc["summary"]["mqls"]
    n.add(mqls, "discards.summary", d["n_mql"])
    n.add(mqls, "scorecard.acceptance", commitments["acceptance"]["denominator"])
    n.add(mqls, "scorecard.discards", commitments["discards"]["denominator"])
    n.add(mqls, "discards.dispositions (sum)", total(disc["dispositions"], "n_leads"))
    n.add(mqls, "home.mqls", home["mqls"]["value"])
    for group in ("by_source", "by_campaign", "by_owner", "by_team"):
        n.add(mqls, f"discards.{group} (sum)", total(disc[group], "n_mql"))
        n.add("Accepted", f"discards.{group} (sum)", total(disc[group], "n_accepted"))
        n.add("Discarded", f"discards.{group} (sum)", total(disc[group], "n_discarded"))
        n.add("Discarded without a reason", f"discards.{group} (sum)",
              total(disc[group], "n_discarded_no_reason"))  # fmt: skip
    n.add("Accepted", "discards.summary", d["n_accepted"])
    n.add("Accepted", "scorecard.acceptance", commitments["acceptance"]["numerator"])
    if view != "flow":
        # In a cohort, the accepted MQLs are the cohort's SALs.
        n.add("Accepted", "home.sals", home["sals"]["value"])
    n.add("MQLs accepted by sales", "scorecard", commitments["acceptance"]["value"])
    n.add("MQLs accepted by sales", "discards.summary", d["acceptance_rate"])
    n.add("MQLs discarded", "scorecard", commitments["discards"]["value"])
    n.add("MQLs discarded", "discards.summary", d["discard_rate"])
    n.add("Discarded", "discards.summary", d["n_discarded"])
    n.add("Discarded", "scorecard.discards", commitments["discards"]["numerator"])
    n.add("Discarded", "discards.reasons (sum)", total(disc["reasons"], "n_discarded"))
    n.add("Discarded without a reason", "discards.summary", d["n_discarded_no_reason"])
    n.add("Discarded without a reason", "discards.reasons",
          by_key(disc["reasons"], "reason", "n_discarded").get("(no reason given)", 0))  # fmt: skip
    if len(disc["without_reason"]) < 1000:
        n.add("Discarded without a reason", "discards.without_reason (rows)",
              len(disc["without_reason"]))  # fmt: skip
    accounts = by_key(disc["dispositions"], "account", "n_leads")
    for label, key, account in (
        ("Won (disposition)", "n_won", "won"),
        ("Closed lost", "n_lost", "lost"),
        ("Discarded now", "n_now_discarded", "discarded"),
        ("In nurture now", "n_recycled", "recycled"),
    ):
        n.add(label, "discards.summary", d[key])
        n.add(label, "discards.dispositions", accounts[account])
    n.add("In nurture now", "discards.recycling",
          by_key(disc["recycling"], "outcome", "n_leads")["still in nurture"])  # fmt: skip
    n.add("Active", "discards.summary", d["n_active"])
    n.add("Active", "discards.dispositions (active)",
          sum(r["n_leads"] for r in disc["dispositions"] if r["is_active"]))  # fmt: skip
    n.add("Slipping through the cracks", "discards.summary", d["n_slipping"])
    n.add("Slipping through the cracks", "discards.dispositions (sum)",
          total(disc["dispositions"], "n_slipping"))  # fmt: skip
    if len(disc["slipping"]) < 1000:
        n.add("Slipping through the cracks", "discards.slipping (rows)", len(disc["slipping"]))

    _sentences(n, data)
    return n


def _sentences(n: Names, data: dict[str, Any]) -> None:
    """The numbers the summary sentences say, under the names of the numbers they quote."""
    card = data["scorecard"]
    commitments = {c["key"]: c for c in card["commitments"]}
    text = " ".join(data["summary"])

    def number(s: str) -> float:
        s = s.replace(",", "")
        scale = {"K": 1e3, "M": 1e6}.get(s[-1], 1)
        return float(s.rstrip("KM")) * scale

    m = re.search(r"Marketing handed over ([\d,]+) MQLs? in", text)
    n.add(card["counting"]["handed_over"], "summary", number(m[1]))
    m = re.search(r"Of the ([\d,]+) MQLs? handed over in .*? whose follow-up can be judged, sales "
                  r"followed up ([\d,]+) within", text)  # fmt: skip
    if m:
        n.add("Followed up in time: judged", "summary", number(m[1]))
        n.add("Followed up in time: met", "summary", number(m[2]))
    else:
        assert commitments["follow_up"]["value"] is None
    verdict = r"(?:, (?:below|above) the [\d.]+% target|, within the target \([^)]*\))?"
    m = re.search(rf"Of the ([\d,]+) (MQLs .+?), sales accepted ([\d,]+) \([\d.]+%\){verdict}"
                  r", and discarded ([\d,]+)", text)  # fmt: skip
    if m:
        n.add(m[2], "summary", number(m[1]))
        n.add("Accepted", "summary", number(m[3]))
        n.add("Discarded", "summary", number(m[4]))
    else:
        assert commitments["acceptance"]["value"] is None
    m = re.search(r"([\d,]+) deals? for \$([\d.,]+[KM]?) (?:was|were) won in", text)
    in_period = data["home"]["won_in_period"]["label"]
    n.add(in_period + ": deals", "summary", number(m[1]))
    n.add(in_period + ": revenue (rounded)", "summary", number(m[2]))
    n.add(in_period + ": revenue (rounded)", "home (rounded)",
          number(_usd(data["home"]["won_in_period"]["revenue_usd"])))  # fmt: skip
    for pattern, name, path in (
        (r"([\d,]+) MQLs? still waiting past the follow-up target", "Waiting past the target",
         ("follow_up", "summary", "current", "n_open_breaches")),
        (r"([\d,]+) leads? slipping through the cracks", "Slipping through the cracks",
         ("discards", "summary", "current", "n_slipping")),
        (r"([\d,]+) discards? without a reason", "Discarded without a reason",
         ("discards", "summary", "current", "n_discarded_no_reason")),
    ):  # fmt: skip
        m = re.search(pattern, text)
        value: Any = data
        for part in path:
            value = value[part]
        if m:
            n.add(name, "summary", number(m[1]))
        else:
            assert not value, f"{name}: {value} but the summary does not say so"


def _usd(value: float) -> str:
    from handoff import fmt

    return fmt.usd(value).lstrip("$")


def trend_is_the_headline(db: Database, filters: Filters, data: dict[str, Any]) -> None:
    """Each commitment's line, month by month, is the headline for that month: checked on the
    line's last whole month and the one before it; and the previous period's value is the
    previous period's headline."""
    card = data["scorecard"]
    months = metrics.trend_periods(filters)
    whole = [p for p in months if p.shape == "month"]
    for month in whole[-2:]:
        label = month.start.strftime("%Y-%m")
        again = scorecard.scorecard(db, dataclasses.replace(filters, period=month))
        headline = {c.key: c.value for c in again.commitments}
        for c in card["commitments"]:
            point = next(p["value"] for p in c["trend"] if p["month"] == label)
            assert (
                point == pytest.approx(headline[c["key"]])
                if point is not None
                else (headline[c["key"]] is None)
            ), (c["key"], label)
    before = scorecard.scorecard(db, dataclasses.replace(filters, period=filters.period.previous()))
    headline = {c.key: c.value for c in before.commitments}
    for c in card["commitments"]:
        assert c["previous"] == headline[c["key"]], c["key"]


# Every lead list that carries scores: where it is in `metrics --json` (section, key).
SCORED_LISTS = (("follow_up", "breaches"), ("discards", "slipping"), ("discards", "without_reason"))


def lead_scores_agree(db: Database, filters: Filters, data: dict[str, Any]) -> int:
    """A lead's scores in every lead list (the JSON's lists, the funnel's drill-down of the
    period's leads) are its scores in stg_lead_scores: the CRM's, Handoff's and the grade; and
    the drill-down counts the leads the Quality page judges: all of them, and at any threshold
    of either score as many at or above it as the what-if. Returns the rows compared."""
    truth = {
        r[0]: r[1:]
        for r in db.con.execute(
            "select lead_id, crm_score, handoff_score, grade from stg_lead_scores"
        ).fetchall()
    }
    drill = metrics.run(db, "funnel_drilldown", filters, columns={"group_1": "source"},
                        stage="lead", group_1=None, group_2=None, only_dropped=False,
                        limit=10**9)  # fmt: skip
    lists = {f"{section}.{key}": data[section].get(key, []) for section, key in SCORED_LISTS} | {
        "funnel_drilldown": drill.to_dict("records")
    }
    compared = 0
    for where, rows in lists.items():
        for position, row in enumerate(rows):
            crm, score, grade = truth[row["lead_id"]]
            got = (row["crm_score"], row["handoff_score"], row["grade"])
            assert (_none(got[0]), got[1], got[2]) == (crm, score, grade), (where, row["lead_id"])
            compared += 1
            # The lead's journey shows the same scores, owner and disposition under those names:
            # checked for the first 30 of each list (one query per lead; the drill-down of a
            # demo period holds thousands).
            if position >= 30:
                continue
            journey = metrics.run(db, "lead_profile", filters, lead_id=row["lead_id"]).iloc[0]
            shown = (_none(journey["crm_score"]), journey["handoff_score"], journey["grade"])
            assert shown == (crm, score, grade), ("lead_profile", where, row["lead_id"])
            for name in ("owner", "disposition"):
                if name in row:
                    got = (_none(journey[name]), _none(row[name]))
                    assert got[0] == got[1], ("lead_profile", where, row["lead_id"], name, got)
    n_leads = int(drill["n_total"].iloc[0]) if len(drill) else 0
    assert len(drill) == n_leads
    bands = data["quality"]["handoff_score"]["bands"]
    assert sum(b["n_leads"] for b in bands) == n_leads
    for score_by, column in (("handoff", "handoff_score"), ("crm", "crm_score")):
        scores = drill[column].dropna()
        for threshold in sorted(set(scores.quantile([0.1, 0.5, 0.9]).round())):
            what_if = metrics.score_what_if(db, filters, float(threshold), score_by)
            assert what_if["n_handed_over_at_threshold"] == int((scores >= threshold).sum()), (
                score_by, threshold,
            )  # fmt: skip
        assert metrics.score_what_if(db, filters, 0.0, score_by)["n_unscored"] == int(
            drill[column].isna().sum()
        )
    return compared


def _none(value: Any) -> Any:
    return None if value is None or value != value else value  # NaN is no score


def check(db: Database, filters: Filters) -> dict[str, Any]:
    data = report.collect(db, filters)
    disagreements = names_in(data).disagreements()
    assert disagreements == {}, f"{filters.describe()}: {disagreements}"
    if db.agreement.scoring is not None:
        lead_scores_agree(db, filters, data)
    return data


# ---- the golden fixture -------------------------------------------------------------------------

GOLDEN_MARCH = resolve_period("last_month", dt.date(2026, 4, 10))


@pytest.mark.parametrize("view", ["created", "handover", "flow"])
@pytest.mark.parametrize("strict", [False, True])
def test_golden_numbers_agree_everywhere(golden_db, view, strict):
    filters = Filters(period=GOLDEN_MARCH, view=view, strict=strict)
    check(golden_db, filters)
    trend_is_the_headline(golden_db, filters, report.collect(golden_db, filters))


def test_golden_numbers_agree_for_a_source_and_an_attribute(golden_db):
    for filters in (
        Filters(period=GOLDEN_MARCH, sources=("Paid search", "Referral")),
        Filters(period=GOLDEN_MARCH, attributes=(("region", ("NA",)),), view="handover"),
    ):
        check(golden_db, filters)


@pytest.mark.parametrize("view", ["created", "handover", "flow"])
@pytest.mark.parametrize("strict", [False, True])
def test_golden_lead_scores_agree_everywhere(golden_scored_db, view, strict):
    filters = Filters(period=GOLDEN_MARCH, view=view, strict=strict)
    data = check(golden_scored_db, filters)
    # Not an empty check: March's breaches (3), slipping leads (2) and its leads are compared.
    assert lead_scores_agree(golden_scored_db, filters, data) >= 5


def revenue_goal_agrees(db: Database) -> dict[str, Any]:
    """The revenue goal's window counts are the hand-over cohort's, under the same names: the
    MQLs handed over, won and their won revenue of the window, overall and per source, are the
    home page's (and the quality page's) for the window counted by hand-over; the number the
    home page's card shows is the Definitions page's and the JSON's."""
    from handoff import revenue_goal, tables

    goal = revenue_goal.worked_back(db)
    window = goal["window"]
    period = Period("custom", dt.date.fromisoformat(window["start_date"]),
                    dt.date.fromisoformat(window["end_date"]))  # fmt: skip
    data = report.collect(db, Filters(period=period, view="handover"))
    assert data["revenue_goal"] == goal
    home, o = data["home"], goal["overall"]
    assert (home["mqls"]["value"], home["won"]["value"]) == (o["n_mql"], o["n_won"])
    assert home["won_revenue_usd"]["value"] == pytest.approx(o["won_amount_usd"])
    quality = {r["group_name"]: r for r in data["quality"]["by_source"]}
    for s in goal["by_source"]:
        q = quality.get(s["source"], {"n_mql": 0, "n_won": 0, "won_amount_usd": 0})
        assert (q["n_mql"], q["n_won"]) == (s["n_mql"], s["n_won"]), s["source"]
        assert q["won_amount_usd"] == pytest.approx(s["won_amount_usd"]), s["source"]
    # Both splits share out a month's number (rounding each source up adds at most one each).
    sources = [s for s in goal["by_source"] if s["n_mql"]]
    needed = o["mqls_needed_per_month"]
    for way in ("today_mix", "by_quality"):
        shared = [s[way]["mqls_needed"] for s in sources if s[way]["mqls_needed"] is not None]
        assert needed <= sum(shared) <= needed + len(shared), way
    per = goal["goal"]["period"]
    assert f"needs {o['mqls_needed']:,} MQLs a {per}" in tables.revenue_goal_line(goal)
    return goal


def test_golden_revenue_goal_agrees(golden_db):
    from tests.test_revenue_goal import SECTION, SHORT

    db = Database(golden_db.path, agreement_mod.parse(SHORT + SECTION))
    assert revenue_goal_agrees(db)["overall"]["mqls_needed"] == 12
    db.close()


# ---- a 100,000-lead demo -----------------------------------------------------------------------


def test_demo_numbers_agree_everywhere(demo_db):
    end = metrics.data_end(demo_db).date()
    filters = Filters(period=resolve_period("last_month", end))
    data = check(demo_db, filters)
    trend_is_the_headline(demo_db, filters, data)
    # Not an empty check: the demo's last month has hand-overs, breaches and wins, and its
    # lead lists have Handoff's scores (the demo's agreement has [scoring] rules).
    assert data["follow_up"]["summary"]["current"]["n_open_breaches"] > 0
    assert data["home"]["won_in_period"]["n_deals"] > 0
    assert demo_db.agreement.scoring is not None
    assert lead_scores_agree(demo_db, filters, data) > 1000


def test_each_discard_reason_lists_the_leads_its_bar_counts(demo_db):
    # The Discards page's Pareto bar for a reason and the list a click on it opens say the same
    # number ("Discarded" for that reason), over the whole demo and for one source; the rows
    # listed are as many as the count (the list is not limited at 10,000 here).
    end = metrics.data_end(demo_db).date()
    filters = Filters(period=resolve_period("last_quarter", end))
    columns = {"group_1": "source"}
    checked = 0
    for group in (None, "Webinar"):
        reasons = metrics.run(demo_db, "discard_reasons", filters, columns=columns, group=group)
        assert len(reasons) > 2
        for reason, n in zip(reasons["reason"], reasons["n_discarded"], strict=True):
            listed = metrics.run(
                demo_db, "discarded_leads", filters, columns=columns, reason=reason,
                group=group, limit=10_000,
            )  # fmt: skip
            assert (int(listed["n_total"].iloc[0]), len(listed)) == (n, n), (group, reason)
            assert group is None or set(listed["source"]) == {group}
            checked += 1
    assert checked > 5


def test_demo_revenue_goal_agrees(demo_db, tmp_path):
    text = DEMO_AGREEMENT.read_text(encoding="utf-8")
    terms = agreement_mod.parse(text + "\n[revenue_goal]\nper_quarter = 9000000\n")
    db = Database(demo_db.path, terms)
    goal = revenue_goal_agrees(db)
    db.close()
    # Not an empty check: six mature months of a 100,000-lead demo have MQLs, wins and amounts.
    assert goal["window"]["months"] == 6
    assert goal["overall"]["n_won"] > 0
    assert goal["overall"]["mqls_needed"] is not None


def starter_agrees(db: Database) -> starter.Learnt:
    """The starter agreement's counts are the pages' own: each goal month's hand-overs are the
    home page's "MQLs handed over" for that month (overall and per source), and its rates'
    counts are the Discards page's hand-over cohorts of the rate months added up."""
    learnt = starter.learn(db)
    for n, month in enumerate(learnt.goal_months):
        card = scorecard.scorecard(db, Filters(period=month))
        assert card.commitment("mql_volume").value == learnt.handed_over[n], month.label
        volume = metrics.hand_overs(db, Filters(period=month))["by_source"]
        for source, counts in learnt.by_source.items():
            assert volume.get(source, {"current": 0})["current"] == counts[n], (source, month)
    cohorts = [
        metrics.discard_summary(db, Filters(period=month, view="handover"))["current"]
        for month in learnt.rate_months
    ]
    assert learnt.n_mql == sum(c["n_mql"] for c in cohorts)
    assert learnt.n_accepted == sum(c["n_accepted"] for c in cohorts)
    assert learnt.n_discarded == sum(c["n_discarded"] for c in cohorts)
    return learnt


def test_golden_starter_counts_agree(golden_db):
    assert starter_agrees(golden_db).handed_over == [8]


def test_demo_starter_counts_agree(demo_db):
    learnt = starter_agrees(demo_db)
    # Not an empty check: three complete months with hand-overs from every source.
    assert len(learnt.goal_months) == 3
    assert min(learnt.handed_over) > 0
    assert learnt.n_accepted > 0


def random_filters(rng: random.Random, data_end: dt.date, options: dict[str, list[str]]):
    kind = rng.choice(["last_month", "last_quarter", "ytd", "custom", "month"])
    if kind == "month":
        first = dt.date(2025, 5, 1) + dt.timedelta(days=31 * rng.randrange(18))
        first = first.replace(day=1)
        period = Period("custom", first, (first + dt.timedelta(days=32)).replace(day=1))
    elif kind == "custom":
        start = dt.date(2025, 5, 1) + dt.timedelta(days=rng.randrange(540))
        stop = min(start + dt.timedelta(days=rng.randrange(1, 120)), data_end)
        period = resolve_period("custom", data_end, start, stop)
    else:
        period = resolve_period(kind, data_end)
    scope: dict[str, Any] = {}
    if rng.random() < 0.35:
        scope["sources"] = tuple(rng.sample(options["source"], rng.randint(1, 3)))
    if rng.random() < 0.15:
        scope["teams"] = tuple(rng.sample(options["team"], 1))
    if rng.random() < 0.15:
        scope["attributes"] = (("region", tuple(rng.sample(options["region"], 2))),)
    return Filters(
        period=period,
        view=rng.choice(["created", "handover", "flow"]),
        strict=rng.random() < 0.25,
        **scope,
    )


@pytest.mark.slow
def test_random_filter_sets_agree_everywhere(demo_db):
    rng = random.Random(15)
    end = metrics.data_end(demo_db).date()
    frame = demo_db.run("filter_options")
    options = {k: list(g["value"]) for k, g in frame.groupby("dimension")}
    attributes = demo_db.run("attribute_options")
    options["region"] = list(attributes.loc[attributes["attribute"] == "region", "value"])
    kinds = set()
    for n in range(24):
        filters = random_filters(rng, end, options)
        kinds.add((filters.period.shape, filters.view))
        data = check(demo_db, filters)
        if n % 4 == 0:
            trend_is_the_headline(demo_db, filters, data)
    # The draw covers every view and the period shapes.
    assert {v for _, v in kinds} == {"created", "handover", "flow"}
    assert {s for s, _ in kinds} >= {"month", "quarter", "ytd", "days"}


# ---- the pages, on the demo --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [{}, {"view": "flow", "source": ["Paid search", "Webinar"]}, {"period": "last_quarter",
                                                                  "view": "handover"}],
    ids=["last-month", "flow-two-sources", "quarter-handover"],
)  # fmt: skip
def test_the_pages_show_the_json_s_numbers(demo_db, monkeypatch, url):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from handoff import fmt
    from handoff.filters import from_query_params
    from tests.conftest import ROOT

    monkeypatch.setenv("HANDOFF_DB", str(demo_db.path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(DEMO_AGREEMENT))
    end = metrics.data_end(demo_db).date()
    params = {k: v if isinstance(v, list) else [v] for k, v in url.items()}
    filters = from_query_params(params, end)
    data = report.collect(demo_db, filters)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in url.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception

    def shown() -> dict[str, str]:
        return {m.label: m.value for m in app.metric}

    # Home: every commitment's value, and the funnel line.
    home = shown()
    for c in data["scorecard"]["commitments"]:
        value = c["value"]
        expected = (
            "–"
            if value is None
            else fmt.rate(value, 1)
            if c["kind"] == "rate"
            else fmt.count(value)
        )
        assert home[c["short_label"]] == expected, c["key"]
    line = next(m.value for m in app.markdown if " Leads → " in m.value)
    for key in ("leads", "mqls", "sals", "sqls", "opportunities", "won"):
        assert f"**{fmt.count(data['home'][key]['value'])}** {data['home'][key]['label']}" in line
    assert f"**{fmt.usd(data['home']['won_revenue_usd']['value'])}**" in line
    text = shown_text(" ".join(m.value for m in app.markdown))
    for sentence in data["summary"][:4]:
        assert sentence in text
    # Follow-up: the same name, the same number.
    app.switch_page("pages/follow_up.py").run()
    assert not app.exception
    now = data["follow_up"]["summary"]["current"]
    page = shown()
    assert page["Followed up in time"] == fmt.rate(now["within_sla_rate"], 1)
    assert page["Waiting past the target"] == fmt.count(now["n_open_breaches"])
    assert page["Closed without follow-up"] == fmt.count(now["n_closed_without_follow_up"])
    # The counts under the headlines are the JSON's: met of judged, and the leads followed up
    # (met + late: every valid follow-up is one or the other) apart from those without one.
    captions = " ".join(c.value for c in app.caption)
    assert f"{now['n_met']:,} met of {now['n_judged']:,} leads judged" in captions
    followed_up = now["n_met"] + now["n_followed_up_late"]
    assert (
        f"over the {followed_up:,} leads followed up (not the {now['n_not_followed_up']:,} "
        "without a follow-up yet)"
    ) in captions
    assert followed_up + now["n_invalid"] + now["n_not_followed_up"] == now["n_handed_over"]
    # Discards: the acceptance and discard rates and the block.
    app.switch_page("pages/discards.py").run()
    assert not app.exception
    d = data["discards"]["summary"]["current"]
    page = shown()
    assert page["MQLs accepted by sales"] == fmt.rate(d["acceptance_rate"], 1)
    assert page["MQLs discarded"] == fmt.rate(d["discard_rate"], 1)
    assert (page["MQLs"], page["In nurture now"], page["Discarded now"]) == (
        fmt.count(d["n_mql"]), fmt.count(d["n_recycled"]), fmt.count(d["n_now_discarded"]),
    )  # fmt: skip
    # The funnel: the stages and the closed win rate.
    app.switch_page("pages/funnel.py").run()
    assert not app.exception
    stages = app.dataframe[0].value
    assert stages["Leads"].tolist() == [s["n_leads"] for s in data["funnel"]["stages"]]
    closed = data["funnel"]["closed_opportunities"]
    assert shown()["Win rate of closed opportunities"] == fmt.rate(closed["win_rate"], 1)
    # Quality: marketing's support after hand-over, each rate under its name.
    app.switch_page("pages/quality.py").run()
    assert not app.exception
    support, labels = data["support"]["overall"], data["agreement"]["stage_labels"]
    page = shown()
    for label, key in (
        ("Kept receiving touches", "supported"),
        (f"{labels['sql']}: with touches", "sql_supported"),
        (f"{labels['sql']}: without", "sql_unsupported"),
        (f"{labels['won']}: with touches", "won_supported"),
        (f"{labels['won']}: without", "won_unsupported"),
    ):
        assert page[label] == fmt.rate(support[f"{key}_rate"], 1), label
    # Attribution: the revenue won in the period.
    app.switch_page("pages/attribution.py").run()
    assert not app.exception
    totals = data["attribution"]["won"]["totals"]
    text = shown_text(" ".join(m.value for m in app.markdown))
    assert f"**{fmt.usd(totals['revenue_usd'])}** won in {filters.period.label}" in text
    st.cache_data.clear()
    st.cache_resource.clear()
