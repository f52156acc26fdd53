"""`python -m handoff metrics --json` prints what the pages show, for the hand-worked fixture."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from handoff.cli import main
from tests.conftest import GOLDEN, ROOT


@pytest.fixture
def run_metrics(golden_db_path, capsys):
    def run(*args: str) -> dict:
        code = main(
            ["metrics", "--json", "--db", str(golden_db_path), "--agreement",
             str(GOLDEN / "agreement.toml"), *args]
        )  # fmt: skip
        assert code == 0
        return json.loads(capsys.readouterr().out)

    return run


def test_metrics_json_home(run_metrics):
    out = run_metrics()
    assert out["data_end_at"] == "2026-04-10T12:00:00+02:00"
    assert out["filters"]["period"]["label"] == "March 2026"
    home = out["home"]
    assert [home[k]["value"] for k in ("leads", "mqls", "sals", "sqls", "opportunities", "won")] == [
        10, 8, 5, 4, 3, 3,
    ]  # fmt: skip
    assert home["won_revenue_usd"]["value"] == 6700
    volume = out["scorecard"]["commitments"][0]
    assert (volume["key"], volume["value"], volume["target"]) == ("mql_volume", 8, 10.0)


def test_metrics_json_funnel(run_metrics):
    funnel = run_metrics("--strict", "--by", "team", "--by2", "region")["funnel"]
    assert funnel["order"] == "strict"
    assert [s["n_leads"] for s in funnel["stages"]] == [10, 8, 1, 1, 1, 1]
    mql = funnel["stages"][1]
    assert mql["step_rate"] == 0.8
    assert mql["step_low"] == pytest.approx(0.490162, abs=1e-6)  # Wilson 8 of 10
    groups = {(g["group_1"], g["group_2"]): g for g in funnel["breakdown"]}
    assert groups[("East", "EMEA")]["n_lead"] == 6
    assert groups[("(no team)", "(blank)")]["lead_to_won_rate"] == 0  # L11 skipped stages: strict


def test_metrics_json_filters_and_errors(run_metrics, capsys, golden_db_path):
    out = run_metrics("--view", "flow", "--source", "Referral", "--attribute", "region=NA")
    assert out["home"]["won"]["value"] == 1  # L08, won 30 March
    assert out["funnel"]["breakdown"][0]["group_1"] == "Referral"
    code = main(["metrics", "--json", "--db", str(golden_db_path), "--agreement",
                 str(GOLDEN / "agreement.toml"), "--attribute", "region"])  # fmt: skip
    assert code == 2
    assert "--attribute takes NAME=VALUE" in capsys.readouterr().err


def metrics_error(capsys, golden_db_path, *args) -> str:
    code = main(["metrics", "--json", "--db", str(golden_db_path), "--agreement",
                 str(GOLDEN / "agreement.toml"), *args])  # fmt: skip
    assert code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "label", "previous"),
    [
        # A month is that month, compared with the month before (not the 28 days before it).
        (["--period", "2026-03"], "March 2026", ("February 2026", "2026-02-01", "2026-03-01")),
        # --from and --to alone are a custom period; a whole month written as dates is a month.
        (["--from", "2026-03-01", "--to", "2026-03-31"], "March 2026",
         ("February 2026", "2026-02-01", "2026-03-01")),
        # Any other range is compared with the same number of days just before it: 1-10 March
        # (10 days) with 19-28 February.
        (["--from", "2026-03-01", "--to", "2026-03-10"], "01 Mar 2026 – 10 Mar 2026",
         ("19 Feb 2026 – 28 Feb 2026", "2026-02-19", "2026-03-01")),
        # A quarter, with the quarter before.
        (["--period", "2026-Q1"], "Q1 2026", ("Q4 2025", "2025-10-01", "2026-01-01")),
    ],
)  # fmt: skip
def test_metrics_periods(run_metrics, args, label, previous):
    filters = run_metrics(*args)["filters"]
    assert filters["period"]["label"] == label
    before = filters["previous_period"]
    assert (before["label"], before["start"], before["end_exclusive"]) == previous


def test_metrics_period_conflicts_and_unknown_values(capsys, golden_db_path):
    err = metrics_error(capsys, golden_db_path, "--period", "last_month", "--from", "2026-01-01")
    assert "--period last_month conflicts with --from" in err
    err = metrics_error(capsys, golden_db_path, "--from", "2026-01-01")
    assert "needs both --from and --to" in err
    # A value the data does not have is an error naming the closest ones, never silent zeros.
    err = metrics_error(capsys, golden_db_path, "--source", "Paid serch", "--team", "Bogus")
    assert "source 'Paid serch' is not in the data (closest: 'Paid search'" in err
    assert "team 'Bogus' is not in the data (3 values, e.g. '(no team)', 'East', 'West')" in err
    err = metrics_error(capsys, golden_db_path, "--attribute", "size=10")
    assert "size '10' is not in the data (no such attribute)" in err


def test_python_dash_m_entry_point(golden_db_path):
    result = subprocess.run(
        [sys.executable, "-m", "handoff", "metrics", "--json", "--db", str(golden_db_path),
         "--agreement", str(GOLDEN / "agreement.toml"), "--period", "custom", "--from",
         "2026-03-01", "--to", "2026-03-31"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout)["home"]["leads"]["value"] == 10


def test_metrics_json_quality(run_metrics):
    quality = run_metrics()["quality"]
    by_campaign = {g["group_name"]: g for g in quality["by_campaign"]}
    assert by_campaign["Podcast"]["n_lead"] == 0
    assert by_campaign["Podcast"]["cost_usd"] == 500
    assert by_campaign["Web 1"]["cost_usd"] is None  # no spend data, not 0
    assert by_campaign["Search A"]["cost_per_lead_usd"] == 600
    assert {a["outcome"]: round(a["auc"], 4) for a in quality["score"]["auc"]} == {
        "sql": round(10 / 12, 4),
        "won": 0.8,
    }
    # At the agreed threshold, 80: L02 and L08 instead of March's 8 MQLs; L01 and L06 reached
    # SQL below it.
    at = quality["score"]["at_agreed_threshold"]
    assert (at["n_handed_over_at_threshold"], at["n_handed_over_now"], at["n_sql_missed"]) == (
        2,
        8,
        2,
    )


def test_metrics_json_follow_up(run_metrics):
    follow_up = run_metrics()["follow_up"]
    current = follow_up["summary"]["current"]
    assert (current["n_met"], current["n_judged"], current["within_sla_rate"]) == (4, 7, 0.571429)
    assert follow_up["summary"]["target_hours"] == 4
    assert [b["lead_id"] for b in follow_up["breaches"]] == ["L14", "L03", "L11"]
    assert follow_up["breaches"][0]["handover_at"] == "2026-03-02T09:00:00+01:00"
    never = next(b for b in follow_up["cost_of_slow_follow_up"] if b["bucket"] == "never")
    assert (never["n_leads"], never["sql_rate"]) == (1, 0.0)


def test_metrics_json_discards(run_metrics):
    discards = run_metrics()["discards"]
    now = discards["summary"]["current"]
    assert (now["n_mql"], now["acceptance_rate"], now["acceptance_met"]) == (8, 0.625, False)
    assert sum(d["n_leads"] for d in discards["dispositions"]) == now["n_mql"]
    assert [s["lead_id"] for s in discards["slipping"]] == ["L02", "L07"]
    assert discards["recycling"][1] == {"outcome_order": 2, "outcome": "back with sales",
                                        "n_leads": 1,
                                        "median_days_in_nurture": round(14 - 1 / 24, 6)}  # fmt: skip


def test_metrics_json_attribution(run_metrics):
    won = run_metrics()["attribution"]["won"]
    # The golden fixture's March wins: only D08 (5,000, one Referral touch); D01 was won on
    # 1 April and L11 on 9 April.
    assert won["totals"]["revenue_usd"] == 5000
    credit = {c["group_name"]: c for c in won["credit"]}
    # L01's Paid search touches are a journey that did not convert in March: the Markov model
    # sees the channel and gives it nothing; so do the others.
    assert {name: c["w_shaped"] for name, c in credit.items()} == {
        "Referral": 5000,
        "Paid search": 0,
    }
    assert (credit["Referral"]["markov"], credit["Paid search"]["markov"]) == (5000, 0)
    assert won["params"] == {
        "revenue": "won",
        "by": "channel",
        "lookback_days": 90.0,
        "half_life_days": 7.0,
    }


MARCH = ["--period", "2026-03"]
# (query, options after the filters' own): filters, breakdowns and parameters of every type a
# query binds: timestamps with time zone (across the DST change of 29 March), lists of text, a
# list of structs ($periods), booleans, NULL, whole numbers, fractions and text.
SCRIPTS = [
    ("funnel_breakdown", [*MARCH, "--by", "source", "--by2", "region", "--owner", "Ana"]),
    ("scorecard", ["--period", "2026-Q1", "--compare", "--team", "East", "--strict"]),
    ("quality_by_group", [*MARCH, "--by", "campaign", "--attribute", "region=EMEA"]),
    ("funnel_trend", [*MARCH, "--view", "flow", "--param", "step=mql_to_sal",
                      "--param", "within_days=2.5"]),
    ("funnel_drilldown", [*MARCH, "--by", "owner", "--param", "stage=sal", "--param",
                          "group_1=Ana", "--param", "group_2=null", "--param", "only_dropped=false",
                          "--param", "limit=50"]),
    ("attribution_credit", [*MARCH, "--source", "Referral", "--source", "Webinar",
                            "--param", "revenue=won", "--by", "channel", "--param",
                            "lookback_days=90", "--param", "half_life_days=7.0"]),
]  # fmt: skip


def _sql_script(*args: str, db_path, agreement_path, capsys) -> str:
    code = main(["sql", *args, "--db", str(db_path), "--agreement", str(agreement_path)])
    assert code == 0
    return capsys.readouterr().out


def _run_script(script: str):
    """The script as the DuckDB CLI runs it: statement by statement on a fresh in-memory
    database; the last statement's rows."""
    import duckdb

    statements = duckdb.extract_statements(script)
    con = duckdb.connect()
    try:
        for statement in statements[:-1]:
            con.execute(statement)
        return con.sql(statements[-1].query).to_arrow_table().to_pandas()
    finally:
        con.close()


@pytest.mark.parametrize(("name", "args"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_sql_prints_a_script_that_gives_the_rows_the_app_gets(
    name, args, golden_db, golden_db_path, capsys
):
    """The printed script, run on its own, returns what Database.run returns for the same
    filters, breakdown and parameters (which the test states here itself)."""
    import pandas as pd

    from handoff import metrics
    from handoff.filters import Filters, Period

    script = _sql_script(
        name, *args, db_path=golden_db_path, agreement_path=GOLDEN / "agreement.toml", capsys=capsys
    )
    assert "$" not in "".join(  # every parameter reads its variable
        line for line in script.splitlines() if not line.lstrip().startswith("--")
    ).replace("'$.", "")
    march = Period("custom", dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    q1 = Period("custom", dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    channel = {"revenue": "won", "lookback_days": 90, "half_life_days": 7.0}
    expected = {
        "funnel_breakdown": (
            Filters(march, owners=("Ana",)), {}, {"group_1": "source", "group_2": "region"}, {}
        ),
        "scorecard": (Filters(q1, teams=("East",), strict=True), {"periods": [q1, q1.previous()]},
                      {}, {}),
        "quality_by_group": (
            Filters(march, attributes=(("region", ("EMEA",)),)), {}, {"group_1": "campaign"}, {}
        ),
        "funnel_trend": (Filters(march, view="flow"), {"trend_months": 12}, {},
                         {"step": "mql_to_sal", "within_days": 2.5}),
        "funnel_drilldown": (Filters(march), {}, {"group_1": "owner"},
                             {"stage": "sal", "group_1": "Ana", "group_2": None,
                              "only_dropped": False, "limit": 50}),
        "attribution_credit": (Filters(march, sources=("Referral", "Webinar")), {},
                               {"credited": "channel"}, channel),
    }[name]  # fmt: skip
    filters, how, columns, own = expected
    params = metrics.params_for(golden_db, name, filters, **how, **own)
    app = golden_db.run(name, params, columns)
    assert len(app) > 0, "a case that returns no rows shows nothing"
    pd.testing.assert_frame_equal(_run_script(script), app)


def test_sql_script_builds_the_staging_for_another_agreement(tmp_path, golden_db_path, capsys):
    """With an agreement other than the import's, the staging tables are built by the script
    itself (their SQL with the agreement's values as variables), as Database builds them."""
    from handoff import agreement as agreement_mod
    from handoff.db import Database

    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    other = tmp_path / "agreement.toml"
    other.write_text(text.replace("target_hours = 4", "target_hours = 2"), encoding="utf-8")
    db = Database(golden_db_path, agreement_mod.load(other))
    assert db.staging_built_on_open
    args = ["follow_up_summary", *MARCH, "--by", "team"]
    script = _sql_script(*args, db_path=golden_db_path, agreement_path=other, capsys=capsys)
    assert 'set variable "follow_up_target_hours" = [2.0::double];' in script  # one version
    assert 'create or replace table "stg_leads" as' in script
    from handoff import metrics
    from handoff.filters import Filters, Period

    filters = Filters(Period("custom", dt.date(2026, 3, 1), dt.date(2026, 4, 1)))
    app = db.run("follow_up_summary", metrics.params_for(db, "follow_up_summary", filters),
                 {"group_1": "team"})  # fmt: skip
    import pandas as pd

    pd.testing.assert_frame_equal(_run_script(script), app)
    db.close()


def test_sql_explain_and_mistakes(golden_db_path, capsys):
    agreement_path = GOLDEN / "agreement.toml"
    script = _sql_script(
        "scorecard", *MARCH, "--explain", db_path=golden_db_path, agreement_path=agreement_path,
        capsys=capsys,
    )  # fmt: skip
    assert "\nexplain analyze\nwith " in script
    plan = _run_script(script)
    assert list(plan.columns) == ["explain_key", "explain_value"]
    assert "Total Time" in plan["explain_value"].iloc[0]
    base = ["--db", str(golden_db_path), "--agreement", str(agreement_path), *MARCH]
    for wrong, said in (
        (["scorecard", "--param", "limit=3"], "--param takes NAME=VALUE with a parameter"),
        (["slipping_leads"], "slipping_leads needs --param for limit"),
        (["dataset_facts", "--by", "source"], "no column slots ['group_1']"),
        (["funnel_breakdown", "--by", "x; drop table leads"], "cannot break down by"),
        (["no_such_query"], "no query file"),
    ):
        assert main(["sql", *wrong, *base]) == 2
        assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -3, 2**40, 2.5, 1e-7, float("nan"), float("inf"), "O'Neil", "",
        "a\nb -- not a comment", dt.date(2026, 3, 29),
        dt.datetime(2026, 3, 29, 3, 0, 0, 250, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 3, 1, 9, 30), ["Paid search", "Web"], [], [None],
        [{"period_index": 1, "start_at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)}],
    ],
    ids=repr,
)  # fmt: skip
def test_a_literal_reads_back_as_the_value_bound(value):
    """`literal` (for printed scripts only) gives the value and the type that binding gives."""
    import math

    import duckdb

    from handoff.sql import literal

    con = duckdb.connect()
    typed = "select v, typeof(v) from (select {} as v)"
    printed = con.execute(typed.format(literal(value))).fetchall()
    bound = con.execute(typed.format("$v"), {"v": value}).fetchall()
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(printed[0][0])
        assert printed[0][1] == bound[0][1] == "DOUBLE"
    else:
        assert printed == bound
    con.close()
