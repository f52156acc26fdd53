"""The display tables (handoff/tables.py): what the pages show, shaped from metrics results.
Every expected value below is worked out by hand from the few rows given."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from handoff import charts, tables
from handoff.agreement import load
from tests.conftest import GOLDEN

AGREEMENT = load(GOLDEN / "agreement.toml")


def test_k_of_n_and_intervals_read_as_text():
    frame = pd.DataFrame(
        {"n_met": [3, 1200], "n_judged": [4, 2000], "x_low": [0.3049, math.nan],
         "x_high": [0.9544, math.nan]}
    )  # fmt: skip
    assert tables.k_of_n(frame, "n_met", "n_judged") == ["3 of 4", "1,200 of 2,000"]
    # 0.3049 rounds to 30%, 0.9544 to 95%; no interval (NaN) is no text.
    assert tables.intervals(frame, "x") == ["30%–95%", ""]


def test_rate_rows_colour_a_group_only_where_its_interval_excludes_overall():
    # Overall 50%: A's interval 60–80% is above it (better), B's 20–40% below (worse), C's
    # 40–60% holds it; a discard rate reads the other way round.
    groups = pd.DataFrame(
        {"group_1": ["A", "B", "C"], "k": [7, 3, 5], "n": [10, 10, 10],
         "r_rate": [0.7, 0.3, 0.5], "r_low": [0.6, 0.2, 0.4], "r_high": [0.8, 0.4, 0.6]}
    )  # fmt: skip
    verdicts = tables.versus(groups, "r", 0.5)
    assert verdicts == ["better", "worse", ""]
    assert tables.versus(groups, "r", 0.5, higher_is_better=False) == ["worse", "better", ""]
    rows = tables.rate_rows(
        groups, groups["group_1"], "r", "k", "n", tables.verdict_colors(verdicts)
    )
    assert rows.to_dict("list") == {
        "label": ["A", "B", "C"],
        "rate": [0.7, 0.3, 0.5],
        "low": [0.6, 0.2, 0.4],
        "high": [0.8, 0.4, 0.6],
        "counts": ["7 of 10", "3 of 10", "5 of 10"],
        "color": [charts.MET_COLOR, charts.MISSED_COLOR, charts.GROUP_COLORS[0]],
    }


def test_split_totals_takes_the_repeated_count_off_the_rows():
    leads = pd.DataFrame({"lead_id": ["L1", "L2"], "n_total": [40, 40], "n_open": [3, 3]})
    totals, rows = tables.split_totals(leads, "n_total", "n_open")
    assert totals == {"n_total": 40, "n_open": 3}
    assert list(rows.columns) == ["lead_id"]
    # An empty list has none.
    totals, rows = tables.split_totals(leads.iloc[0:0], "n_total", "n_open")
    assert totals == {"n_total": 0, "n_open": 0}
    assert rows.empty


def test_a_hand_over_cohort_shows_no_lead_stage():
    assert tables.shown_steps("created")[0] == "lead_to_mql"
    assert "lead_to_mql" not in tables.shown_steps("handover")
    groups = pd.DataFrame(
        {
            "group_1": ["Paid search"],
            "group_2": [None],
            **{f"n_{s}": [n] for s, n in zip(["lead", "mql", "sal", "sql", "opportunity", "won"],
                                              [10, 8, 4, 2, 1, 1], strict=True)},
            **{f"{s}_{x}": [0.5] for s in tables.shown_steps("created")
               for x in ("rate", "low", "high")},
            **{f"{s}_vs": ["better"] for s in tables.shown_steps("created")},
            "won_amount_usd": [1000.0],
        }
    )  # fmt: skip
    table, verdicts = tables.funnel_breakdown_table(groups, "source", None, "handover", AGREEMENT)
    # The golden agreement's stage names; no "Lead" count and no Lead → MQL step by hand-over.
    assert list(table.columns) == [
        "Source", "MQL", "SAL", "SQL", "Opportunity", "Won",
        "MQL → SAL", "MQL → SAL 95%", "SAL → SQL", "SAL → SQL 95%", "SQL → Opportunity",
        "SQL → Opportunity 95%", "Opportunity → Won", "Opportunity → Won 95%", "Lead → Won",
        "Lead → Won 95%", "Won revenue",
    ]  # fmt: skip
    assert table["MQL → SAL"].tolist() == [50.0]  # a rate of 0.5 shown in percent
    assert list(verdicts) == ["MQL → SAL", "SAL → SQL", "SQL → Opportunity",
                              "Opportunity → Won", "Lead → Won"]  # fmt: skip


def test_quality_trend_rows_rates_and_revenue_per_lead():
    trend = pd.DataFrame(
        {
            "cohort_month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
            "group_1": [None, "Webinar", "Events"],
            "n_lead": [20, 4, 16],
            "n_sql": [5, 1, 4],
            "n_won": [2, 1, 1],
            "won_amount_usd": [3000.0, 1000.0, 2000.0],
            "is_mature_sql": [True, True, True],
            "is_mature_won": [False, False, False],
        }
    )
    # Events is not picked: the overall line and Webinar stay.
    rows = tables.quality_trend_rows(trend, "sql", ["Webinar"])
    assert rows["group"].tolist() == ["All", "Webinar"]
    assert rows["rate"].tolist() == [5 / 20, 1 / 4]
    assert rows[["n_to", "n_from"]].to_dict("list") == {"n_to": [5, 1], "n_from": [20, 4]}
    assert rows["is_mature"].tolist() == [True, True]
    # Revenue per lead: 3,000 over 20 leads, 1,000 over 4; mature as the wins are.
    rows = tables.quality_trend_rows(trend, "revenue_per_lead", ["Webinar"])
    assert rows["rate"].tolist() == [150.0, 250.0]
    assert rows["n_to"].tolist() == [2, 1]
    assert rows["is_mature"].tolist() == [False, False]


def test_tradeoff_rows_leave_out_groups_without_leads():
    groups = pd.DataFrame(
        {"group_name": ["A", "B"], "n_lead": [5, 0], "sql_rate": [0.4, math.nan],
         "sql_low": [0.1, math.nan], "sql_high": [0.8, math.nan], "cost_usd": [None, 10.0]}
    )  # fmt: skip
    rows = tables.tradeoff_rows(groups, "sql_rate", "sql", "cost_usd")
    assert rows["name"].tolist() == ["A"]
    assert rows[["leads", "quality", "low", "high"]].iloc[0].tolist() == [5, 0.4, 0.1, 0.8]
    assert "low" not in tables.tradeoff_rows(groups, "sql_rate", None, "cost_usd")


def test_stage_counts_pairs_each_stage_with_the_period_before():
    home = {
        key: {"label": key.capitalize(), "value": n, "previous": n - 1}
        for key, n in zip(["leads", "mqls", "sals", "sqls", "opportunities", "won"],
                          [10, 8, 5, 4, 3, 2], strict=True)
    }  # fmt: skip
    rows = tables.stage_counts(home)
    assert rows["stage"].tolist() == ["lead", "mql", "sal", "sql", "opportunity", "won"]
    assert rows["current"].tolist() == [10, 8, 5, 4, 3, 2]
    assert rows["previous"].tolist() == [9, 7, 4, 3, 2, 1]


@pytest.mark.parametrize(("name", "label"), [("source", "Source"), ("lead_region", "Lead region")])
def test_dimension_label(name, label):
    assert tables.dimension_label(name) == label


# ---- CSV downloads: the table as the page shows it ---------------------------------------------


def test_a_download_reads_as_the_page_shows_its_table():
    import streamlit as st

    # New York moved to summer time on 8 Mar 2026 (the second Sunday of March): 7 Mar 15:30 UTC
    # is EST (UTC−5), 10:30 local; 9 Mar 15:30 UTC is EDT (UTC−4), 11:30 local.
    utc = pd.to_datetime(["2026-03-07 15:30:00", "2026-03-09 15:30:00", None], utc=True)
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "handover_at": utc,
            "last_activity_at": utc,
            "hours_on_clock": [26.613958333333333, 0.04, None],
            "crm_score": [32.0, 7.0, None],
            "handoff_score": [32.5, 7.0, 1.0],
            "within_sla_rate": [0.79, 0.0004, 1.0],
            "cost_per_lead_usd": [12.346, 3.0, None],
            "is_open": [True, False, True],
            "Followed up in time": [79.04, 12.0, 100.0],
        }
    )
    config = {
        "lead_id": "Lead",
        "handover_at": st.column_config.DatetimeColumn("Handed over", format="YYYY-MM-DD HH:mm"),
        "last_activity_at": st.column_config.DatetimeColumn("Last activity", format="YYYY-MM-DD"),
        "hours_on_clock": st.column_config.NumberColumn("Hours on the clock", format="%.1f"),
        "crm_score": "CRM score",
        "Followed up in time": st.column_config.NumberColumn(format="%.1f%%"),
    }
    out = tables.download_frame(frame, config, "America/New_York")
    assert list(out.columns) == [
        "Lead",
        "Handed over (America/New_York)",
        "Last activity (America/New_York)",
        "Hours on the clock",
        "CRM score",
        "Handoff score",  # no label on the page: the name as words
        "Within sla rate (%)",
        "Cost per lead usd",
        "Is open",
        "Followed up in time (%)",  # the page's label when the config gives none
    ]
    assert out["Handed over (America/New_York)"].tolist()[:2] == [
        "2026-03-07 10:30",  # UTC−5 before the switch
        "2026-03-09 11:30",  # UTC−4 after it
    ]
    assert out["Handed over (America/New_York)"].isna().iloc[2]
    assert out["Last activity (America/New_York)"].tolist()[:2] == ["2026-03-07", "2026-03-09"]
    # '%.1f': one decimal; 26.6139… → 26.6, 0.04 → 0.0.
    assert out["Hours on the clock"].tolist()[:2] == [26.6, 0.0]
    # Whole scores are integers: 32.0 → 32; a column with 32.5 keeps its decimals.
    assert out["CRM score"].tolist()[:2] == [32, 7]
    assert str(out["CRM score"].dtype) == "Int64"
    assert out["Handoff score"].tolist() == [32.5, 7.0, 1.0]
    # A rate in [0, 1] without a format: percent, one decimal (0.79 → 79.0, 0.0004 → 0.0).
    assert out["Within sla rate (%)"].tolist() == [79.0, 0.0, 100.0]
    # Money to cents by its unit: 12.346 → 12.35; 3.0 stays 3.0 (cents are not whole-checked).
    assert out["Cost per lead usd"].tolist()[:2] == [12.35, 3.0]
    assert out["Is open"].tolist() == ["yes", "no", "yes"]
    assert out["Followed up in time (%)"].tolist() == [79.0, 12.0, 100.0]
    assert frame["hours_on_clock"].iloc[0] == 26.613958333333333  # the page's frame is kept


def test_money_and_shares_in_a_table_read_as_on_the_metrics():
    from handoff import ui

    # Money in whole dollars on screen (step 1 on the dollar format) and in the download:
    # 12,345.67 → 12,346; 0.4 → 0. Shares take the decimals their smallest needs: 0.04% and
    # 19.82% in one column both read to two decimals ('%.2f%%'), so no share reads 0.0%.
    revenue, share = ui.dollars("Revenue"), ui.percent([0.04, 19.82], "Share")
    assert (revenue["type_config"]["format"], revenue["type_config"]["step"]) == ("dollar", 1)
    assert share["type_config"]["format"] == "%.2f%%"
    out = tables.download_frame(
        pd.DataFrame({"revenue_usd": [12_345.67, 0.4], "share": [0.04, 19.82]}),
        {"revenue_usd": revenue, "share": share},
        "UTC",
    )
    assert out["Revenue"].tolist() == [12_346, 0]
    assert out["Share (%)"].tolist() == [0.04, 19.82]


def test_no_page_formats_money_or_shares_by_hand():
    # A page writing format="dollar" would show cents beside a metric's whole dollars, and
    # "%.1f%%" would read 0.04% as 0.0%: money goes through ui.dollars, shares ui.percent.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        text = path.read_text()
        assert 'format="dollar"' not in text, path.name
        assert not re.search(r'format="%\.\d+f%%"', text), path.name


def test_the_download_button_writes_the_readable_csv(monkeypatch):
    import streamlit as st

    from handoff import ui

    seen = {}
    monkeypatch.setattr(st, "download_button", lambda label, data, **kw: seen.update(data=data))
    frame = pd.DataFrame(
        {
            "lead_id": ["=1+1"],
            # 1 Nov 2026 06:30 UTC: New York is back on EST (UTC−5) from 1 Nov 2026 02:00 local.
            "created_at": pd.to_datetime(["2026-11-01 06:30:00"], utc=True),
            "hours_overdue": [-1.25],
        }
    )
    config = {"lead_id": "Lead", "created_at": st.column_config.DatetimeColumn("Created")}
    ui.csv_download("Download", frame, "x.csv", column_config=config, time_zone="America/New_York")
    # 06:30 UTC is 01:30 EST (the second 01:30 of that night); −1.25 h rounds to −1.2 (half
    # to even) and stays a number (no quote), the formula-like id is made inert.
    assert seen["data"]() == (
        b"Lead,Created (America/New_York),Hours overdue\r\n'=1+1,2026-11-01 01:30,-1.2\r\n"
    )


def test_every_csv_download_on_a_page_goes_through_the_helper():
    # A CSV button drawn straight with st.download_button would skip download_frame (snake_case
    # headings, raw floats, bare offsets); every ui.csv_download names the page's headings and
    # the zone. The HTML report and the TOML agreement are not tables and keep their buttons.
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    calls = []
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                keywords = {k.arg: k.value for k in node.keywords}
                if node.func.attr == "download_button":
                    mime = keywords.get("mime")
                    assert isinstance(mime, ast.Constant), f"{path.name}:{node.lineno}"
                    assert mime.value != "text/csv", f"{path.name}:{node.lineno}"
                if node.func.attr == "csv_download":
                    calls.append(path.name)
                    assert {"column_config", "time_zone"} <= set(keywords), (
                        f"{path.name}:{node.lineno}"
                    )
                if node.func.attr == "show_lead_list":  # a lead list: csv_download within
                    calls.append(path.name)
    # The six lists and files a page offers as CSV: the breaches, the funnel's leads, the leads
    # discarded for a reason and those slipping through the cracks, and the Data page's
    # problems and rejected rows.
    assert sorted(calls) == [
        "data.py", "data.py", "discards.py", "discards.py", "follow_up.py", "funnel.py",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("now", "before", "kwargs", "expected"),
    [
        # 0.768 − 0.724 = 0.044, ×100 = +4.4 points: better, green.
        (0.768, 0.724, {"scale": 100, "suffix": " pts"},
         {"delta": "+4.4 pts vs Oct", "delta_color": "normal"}),
        # 0.72 h − 0.74 h = −0.02 h reads −0.0: no change, no arrow, no colour (it was a red or
        # green arrow on "+0.0 h").
        (0.72, 0.74, {"suffix": " h", "higher_is_better": False},
         {"delta": "no change vs Oct", "delta_color": "off", "delta_arrow": "off"}),
        # 8.4 h − 11.4 h = −3.0 h: faster, and for hours lower is better (inverse: green).
        (8.4, 11.4, {"suffix": " h", "higher_is_better": False},
         {"delta": "-3.0 h vs Oct", "delta_color": "inverse"}),
        (None, 11.4, {}, {"delta": None}),
    ],
)  # fmt: skip
def test_metric_delta_shows_no_arrow_for_no_change(now, before, kwargs, expected):
    assert tables.metric_delta(now, before, "Oct", **kwargs) == expected


@pytest.mark.parametrize(("n_rows", "px"), [(0, 73), (3, 143), (11, 423), (20, 738), (500, 738)])
def test_a_table_shows_every_row_up_to_twenty(n_rows, px):
    # 35 px a row plus the header and a 3 px border: 11 sources are 12 × 35 + 3 = 423 px (the
    # default height showed 10 and hid the 11th); past 20 rows the table scrolls at 21 × 35 + 3.
    assert tables.table_height(n_rows) == px


def test_every_page_table_follows_the_table_rules():
    # st.dataframe straight from a page would show raw "None" and stop at ten rows: pages draw
    # tables with ui.table. The Definitions page (the agreement's reference) is left to its own
    # rewrite (issue 21, item 2).
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        if path.name == "definitions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("dataframe", "table"):
                # The lead's journey prints as one page: st.table draws every row as HTML
                # (st.dataframe is a canvas the browser does not print), its cells formatted
                # by tables.journey_* (no "None").
                if path.name == "lead.py" and node.attr == "table":
                    continue
                owner = ast.unparse(node.value)
                assert owner != "st", f"{path.name}:{node.lineno}: st.{node.attr}"
