"""The tables the pages show, shaped from the metrics layer's results: column headings in the
agreement's stage names, rates as percentages, intervals and "k of n" as text, and the rows a
rate chart draws. No Streamlit and no arithmetic of their own: every count and rate comes from
`handoff.metrics`; this module only arranges them for reading (a page keeps its layout and its
column formats).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from handoff import attribution, charts, fmt, metrics, stats
from handoff.agreement import CRM_PLACEHOLDER, JUDGED_PREFIXES, Agreement
from handoff.contract import STAGES

VERDICT_COLORS = {"better": charts.MET_COLOR, "worse": charts.MISSED_COLOR}
VELOCITY_QUANTILES = (
    ("p25_days", "25% within (days)"),
    ("median_days", "Median (days)"),
    ("p75_days", "75% within (days)"),
    ("p90_days", "90% within (days)"),
)


def dimension_label(name: str) -> str:
    """A breakdown column as a heading: 'lead_region' reads 'Lead region'."""
    return name.replace("_", " ").capitalize()


def intervals(frame: pd.DataFrame, name: str) -> list[str]:
    """Each row's 95% interval of the rate `name` (stats.add_rate's columns) as '31%–42%'."""
    pairs = zip(frame[f"{name}_low"], frame[f"{name}_high"], strict=True)
    return [fmt.interval(low, high) for low, high in pairs]


def k_of_n(frame: pd.DataFrame, k: str, n: str) -> list[str]:
    """Each row's counts behind a rate, as '12 of 40'."""
    return [f"{int(a):,} of {int(b):,}" for a, b in zip(frame[k], frame[n], strict=True)]


def verdict_colors(verdicts: list[str]) -> list[str]:
    """A dot's colour per stats.versus verdict: green better, red worse, else the group colour."""
    return [VERDICT_COLORS.get(v, charts.GROUP_COLORS[0]) for v in verdicts]


def versus(
    frame: pd.DataFrame, name: str, overall: float, higher_is_better: bool = True
) -> list[str]:
    """Each row's verdict against the overall rate (stats.versus on the rate's interval)."""
    pairs = zip(frame[f"{name}_low"], frame[f"{name}_high"], strict=True)
    return [stats.versus(low, high, overall, higher_is_better) for low, high in pairs]


def split_totals(frame: pd.DataFrame, *columns: str) -> tuple[dict[str, int], pd.DataFrame]:
    """A list query's totals (the same on every row, so a page can show a limited list and say
    how many there are) apart from its rows: (total per column, 0 for an empty list; the rows
    without those columns)."""
    totals = {c: int(frame[c].iloc[0]) if len(frame) else 0 for c in columns}
    return totals, frame.drop(columns=list(columns))


def rate_rows(
    frame: pd.DataFrame,
    labels: list[str] | pd.Series,
    name: str,
    k: str,
    n: str,
    colors: list[str] | None = None,
) -> pd.DataFrame:
    """The rows charts.rate_whiskers draws: a dot per row of `frame` for the rate `name`, with
    its interval, its counts k of n and, when given, its colour."""
    rows = pd.DataFrame(
        {
            "label": list(labels),
            "rate": frame[f"{name}_rate"].tolist(),
            "low": frame[f"{name}_low"].tolist(),
            "high": frame[f"{name}_high"].tolist(),
            "counts": k_of_n(frame, k, n),
        }
    )
    if colors is not None:
        rows["color"] = colors
    return rows


# --- Showing a table ------------------------------------------------------------------------------

# What a table shows for a missing value (st.dataframe's placeholder; fmt says "–" for none too):
# never Streamlit's raw "None"; a table whose blanks mean something says what in its caption.
MISSING = "–"
# A lead list's caption on its blanks: what "–" means in the columns every list has.
MISSING_IN_LEAD_LIST = "a team, campaign or score –: the export has none"
# Rows a table shows before it scrolls: every source, team or owner of a breakdown up to 20
# (Streamlit's default height stops at 10 and hid the 11th source in a scroll box).
MAX_VISIBLE_ROWS = 20
ROW_PX = 35  # Streamlit's row (and header) height at the default row height


def table_height(n_rows: int) -> int:
    """A table's height in pixels: its header and every row up to MAX_VISIBLE_ROWS (a longer
    table scrolls), plus the frame's border."""
    return ROW_PX * (min(max(n_rows, 1), MAX_VISIBLE_ROWS) + 1) + 3


# --- Downloads ------------------------------------------------------------------------------------

# A column's decimals in its CSV download by the unit its name carries (STYLE: names carry units;
# 'median_hours', 'hours_overdue', 'cost_usd'), where the page gives it no number format: hours
# and days to one decimal, money to cents.
UNIT_DECIMALS = {"hours": 1, "days": 1, "usd": 2}
# A page's number formats (st.column_config.NumberColumn) as decimals in the download.
_PRINTF = re.compile(r"%[,]?\.(\d+)f")
NAMED_FORMAT_DECIMALS = {"dollar": 2, "localized": 0, "plain": 0, "%d": 0}


def download_frame(
    frame: pd.DataFrame, column_config: Mapping[str, Any] | None, time_zone: str
) -> pd.DataFrame:
    """A table as its CSV download reads: each column under the heading the page shows it with
    (its `column_config` label; else a snake_case name as words, 'lead_id' reads 'Lead id'),
    numbers rounded as the page shows them, times local.

    Numbers: the page's format's decimals ('%.1f' one, 'dollar' cents or its step's, 'localized'
    none; a '%.1f%%' column holds percent already and its heading says '(%)'); without one, by
    the name's unit (`UNIT_DECIMALS`), a `_rate` in [0, 1] as percent with one decimal, anything
    else to two decimals; a column whose every value is then whole is written as integers
    (a score 32.0 reads 32). Times: in the agreement's zone, to the minute ('YYYY-MM-DD' where
    the page shows only the day), the zone named in the heading: 'Created (America/New_York)'.
    Yes/no columns read 'yes'/'no'; a missing value is an empty cell. The frame on screen is
    not changed.
    """
    config = column_config or {}
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        series = frame[name]
        spec = config.get(name)
        # A heading as given, or a column_config object (a dict with a label and a format).
        label = spec if isinstance(spec, str) else (spec or {}).get("label")
        heading = label or (
            dimension_label(name) if isinstance(name, str) and "_" in name else str(name)
        )
        type_config = {} if isinstance(spec, str) else ((spec or {}).get("type_config") or {})
        shown, step = type_config.get("format"), type_config.get("step")
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            day_only = isinstance(shown, str) and "H" not in shown
            local = series.dt.tz_convert(time_zone)
            series = local.dt.strftime("%Y-%m-%d" if day_only else "%Y-%m-%d %H:%M")
            heading = f"{heading} ({time_zone})"
        elif pd.api.types.is_bool_dtype(series):
            series = series.map({True: "yes", False: "no"})
        elif pd.api.types.is_float_dtype(series):
            series, heading = _rounded(series, str(name), heading, shown, step)
        out[heading] = series
    return out


def _rounded(
    series: pd.Series, name: str, heading: str, shown: str | None, step: float | None = None
) -> tuple[pd.Series, str]:
    """A float column rounded for its download (download_frame's rules), and its heading."""
    decimals = None
    if isinstance(shown, str):
        printf = _PRINTF.search(shown)
        decimals = int(printf.group(1)) if printf else NAMED_FORMAT_DECIMALS.get(shown)
        if not printf and shown in NAMED_FORMAT_DECIMALS and step:
            # A named format's step sets its decimals on screen (ui.dollars: step 1, no cents).
            decimals = max(0, -Decimal(str(step)).normalize().as_tuple().exponent)
        if shown.endswith("%%") and "%" not in heading:
            heading = f"{heading} (%)"
    if decimals is None:
        words = name.split("_")
        decimals = next((d for unit, d in UNIT_DECIMALS.items() if unit in words), None)
    if decimals is None and name.endswith("_rate"):
        series, decimals = series * 100, 1
        heading = heading if "%" in heading else f"{heading} (%)"
    rounded = series.round(2 if decimals is None else decimals)
    values = rounded.dropna()
    if decimals == 0 or (decimals is None and (values == values.round()).all()):
        return rounded.astype("Int64"), heading
    return rounded, heading


# --- Lead lists -----------------------------------------------------------------------------------

# A lead list's scores (db.SCORE_SLOTS): the CRM's own from the export, and, when the agreement
# has [scoring] rules, Handoff's as of the hand-over and its grade.
SCORE_HEADINGS = {"crm_score": "CRM score", "handoff_score": "Handoff score", "grade": "Grade"}
NO_CRM_SCORE = "none in the export"


def lead_list(frame: pd.DataFrame, has_crm_score: bool) -> pd.DataFrame:
    """A lead list as the page shows and downloads it: when no lead of the export has a CRM
    score, its CRM score column says so instead of showing blanks."""
    if has_crm_score or "crm_score" not in frame.columns:
        return frame
    return frame.assign(crm_score=NO_CRM_SCORE)


def scores_caption(frame: pd.DataFrame, agreement: Agreement, has_crm_score: bool) -> str | None:
    """What a lead list's scores are, for its caption; None when it has no Handoff score."""
    if "handoff_score" not in frame.columns:
        return None
    text = (
        "Handoff score: Handoff's score as of the hand-over (the agreement's scoring rules; only "
        "touches and activities before the hand-over count)"
    )
    if "handover_at" in frame.columns and frame["handover_at"].isna().any():
        text += "; a lead never handed over is scored as of the data's end"
    scoring = agreement.scoring
    if "grade" in frame.columns and scoring is not None:
        parts = [
            f"{name} {'/'.join(g for g, _ in grades)}"
            for name, grades in (
                ("fit", scoring.fit_grades),
                ("engagement", scoring.engagement_grades),
            )
            if grades
        ]
        text += f". Grade: {' × '.join(parts)}"
    text += (
        ". CRM score: the export's own." if has_crm_score else ". CRM score: the export has none."
    )
    return text


# --- A lead list's links (issue 21, items 3 and 4) ----------------------------------------------

# The journey page's address, relative to any page's (pages/lead.py).
JOURNEY_PAGE = "lead"
LINK_COLUMNS = ("journey", "crm_record")


def journey_url(lead_id: str, filter_params: dict[str, list[str]]) -> str:
    """The lead's journey page, keeping the shared filters: 'lead?lead_id=A%20B%2F1&period=...'
    (every part URL-quoted, a space as %20)."""
    query = urllib.parse.urlencode(
        {"lead_id": lead_id, **filter_params}, doseq=True, quote_via=urllib.parse.quote
    )
    return f"{JOURNEY_PAGE}?{query}"


def crm_record_url(template: str, lead_id: str) -> str:
    """The lead's record in the CRM: the agreement's crm_url, the id URL-quoted (a slash too) in
    place of {lead_id}."""
    return template.replace(CRM_PLACEHOLDER, urllib.parse.quote(lead_id, safe=""))


def with_lead_links(
    frame: pd.DataFrame, filter_params: dict[str, list[str]], crm_url: str | None
) -> pd.DataFrame:
    """A lead list as the page shows it: right after its lead column, the link to each lead's
    journey and, when the agreement gives crm_url, to its CRM record. The downloads keep the
    list without them."""
    ids = frame["lead_id"].astype(str)
    # The filters' part of the address is the same for every lead: quoted once, not per lead
    # (a list of 10,000 leads took 0.2 s of the page's run urlencoding it 10,000 times).
    kept = urllib.parse.urlencode(filter_params, doseq=True, quote_via=urllib.parse.quote)
    links = {
        "journey": [
            f"{JOURNEY_PAGE}?lead_id={urllib.parse.quote(i, safe='')}"
            + (f"&{kept}" if kept else "")
            for i in ids
        ]
    }
    if crm_url:
        links["crm_record"] = [crm_record_url(crm_url, i) for i in ids]
    at = list(frame.columns).index("lead_id") + 1
    shown = frame.copy()
    for n, (name, values) in enumerate(links.items()):
        shown.insert(at + n, name, values)
    return shown


# --- The lead's journey (issue 21, item 4) ------------------------------------------------------

STEP_STATUS = {
    "met": "met",
    "over": "over the limit",
    "skipped": "skipped: a later stage's date passed it",
    "not_reached": "not reached",
    "no_start": "no time: the stage before has no date",
    "out_of_order": "out of order: dated before the stage before",
}


def local_time(value: Any, time_zone: str) -> str:
    """A timestamp in the agreement's zone, '5 Mar 2026 09:30'; '–' when there is none."""
    if value is None or pd.isna(value):
        return "–"
    at = pd.Timestamp(value).tz_convert(time_zone)
    return f"{at.day} {at:%b %Y %H:%M}"


def days_taken(days: float | None) -> str:
    """A step's time: '0.5 h' under a day, else '7.0 days'; '–' when it has none."""
    if days is None or pd.isna(days):
        return "–"
    return fmt.hours(days * 24) if days < 1 else f"{days:,.1f} days"


def journey_stages(stages: pd.DataFrame, agreement: Agreement) -> pd.DataFrame:
    """lead_stages as the journey shows it: each stage's date and the step into it against the
    agreement's limit, in the agreement's words."""
    labels = agreement.stage_labels
    return pd.DataFrame(
        {
            "Stage": [fmt.stage(s, labels) for s in stages["stage"]],
            "Date": [local_time(v, agreement.time_zone) for v in stages["stage_at"]],
            "Step": [
                "–" if pd.isna(step) else metrics.step_label(step, agreement)
                for step in stages["step"]
            ],
            "Took": [days_taken(d) for d in stages["step_days"]],
            "Limit": ["–" if pd.isna(d) else f"{d:g} days" for d in stages["limit_days"]],
            "Against the limit": [
                "–" if pd.isna(v) else STEP_STATUS[v] for v in stages["step_status"]
            ],
        }
    )


def _handover_word(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else ("before" if value else "after")


def journey_touches(touches: pd.DataFrame, time_zone: str) -> pd.DataFrame:
    """lead_touches as the journey shows them, oldest first."""
    return pd.DataFrame(
        {
            "When": [local_time(v, time_zone) for v in touches["touched_at"]],
            "Channel": touches["channel"].fillna("–").tolist(),
            "Campaign": touches["campaign"].fillna("–").tolist(),
            "Type": touches["touch_type"].fillna("–").tolist(),
            "Hand-over": [_handover_word(v) for v in touches["is_before_handover"]],
        }
    )


def journey_activities(activities: pd.DataFrame, time_zone: str) -> pd.DataFrame:
    """lead_activities as the journey shows them, oldest first, the first follow-up marked."""
    notes = [
        "first follow-up" if follow_up else _handover_word(before)
        for follow_up, before in zip(
            activities["is_follow_up"], activities["is_before_handover"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "When": [local_time(v, time_zone) for v in activities["activity_at"]],
            "Type": activities["activity_type"].fillna("–").tolist(),
            "Rep": activities["rep"].fillna("–").tolist(),
            "Hand-over": notes,
        }
    )


def points(value: float) -> str:
    """Score points to one decimal, a whole number without it: '14.9', '25'."""
    return f"{value:,.1f}".removesuffix(".0")


def journey_rules(rules: pd.DataFrame) -> pd.DataFrame:
    """lead_score_rules as the journey shows them: each rule's points (before the caps)."""
    return pd.DataFrame(
        {
            "Rule": rules["rule"].tolist(),
            "Kind": rules["rule_type"].tolist(),
            "Points": [points(p) for p in rules["points"]],
            "Events counted": ["–" if pd.isna(n) else f"{int(n):,}" for n in rules["n_events"]],
        }
    )


# --- The funnel ---------------------------------------------------------------------------------


def stage_counts(home: dict[str, Any]) -> pd.DataFrame:
    """The home page's leads per stage (metrics.home), this period and the one before, for
    charts.stage_counts."""
    keys = [key for key, _, _ in metrics.SCORECARD[:-1]]  # the stages, not the revenue
    return pd.DataFrame(
        {
            "stage": list(STAGES),
            "label": [home[k]["label"] for k in keys],
            "current": [home[k]["value"] for k in keys],
            "previous": [home[k]["previous"] for k in keys],
        }
    )


def shown_steps(view: str) -> list[str]:
    """The funnel steps a view shows: a hand-over cohort starts at MQL, so no lead → MQL."""
    return [
        s for s, _, _ in metrics.FUNNEL_STEPS if not (view == "handover" and s == "lead_to_mql")
    ]


def funnel_steps_rows(stages: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Each step's conversion (funnel_stages, after the first stage) for charts.rate_whiskers,
    in the stage colours."""
    steps = stages.iloc[1:]
    names = [
        f"{labels[a]} → {labels[b]}" for a, b in zip(stages["stage"], steps["stage"], strict=False)
    ]
    colors = [charts.STAGE_COLORS[s] for s in steps["stage"]]
    return rate_rows(steps, names, "step", "n_leads", "n_previous_stage", colors)


def funnel_stages_table(stages: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Leads per stage with step and cumulative conversion and their intervals, as text."""
    return pd.DataFrame(
        {
            "Stage": [labels[s] for s in stages["stage"]],
            "Leads": stages["n_leads"],
            "Step conversion": [
                fmt.rate(r, 1) if pd.notna(r) else "—" for r in stages["step_rate"]
            ],
            "Step 95% interval": intervals(stages, "step"),
            "Cumulative": [fmt.rate(r, 1) for r in stages["cumulative_rate"]],
            "Cumulative 95% interval": intervals(stages, "cumulative"),
        }
    )


def funnel_breakdown_table(
    groups: pd.DataFrame, by: str, by2: str | None, view: str, agreement: Agreement
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The funnel per group (metrics.funnel_breakdown): counts per stage, each shown step's rate
    in percent with its interval, and won revenue; and, per rate column, each group's verdict
    against overall ('better', 'worse' or '')."""
    labels = agreement.stage_labels
    table = pd.DataFrame({dimension_label(by): groups["group_1"]})
    if by2:
        table[dimension_label(by2)] = groups["group_2"]
    for stage in ("lead", "mql", "sal", "sql", "opportunity", "won"):
        if not (view == "handover" and stage == "lead"):
            table[labels[stage]] = groups[f"n_{stage}"]
    steps = shown_steps(view)
    for step in steps:
        heading = metrics.step_label(step, agreement)
        table[heading] = groups[f"{step}_rate"] * 100
        table[f"{heading} 95%"] = intervals(groups, step)
    table["Won revenue"] = groups["won_amount_usd"]
    verdicts = {metrics.step_label(s, agreement): groups[f"{s}_vs"].tolist() for s in steps}
    return table, verdicts


def funnel_group_rows(
    groups: pd.DataFrame, by2: str | None, step: str, limit: int = 25
) -> pd.DataFrame:
    """One step's rate for the largest `limit` groups with leads in it, for charts.rate_whiskers,
    coloured by their verdict against overall."""
    _, k, n = next(x for x in metrics.FUNNEL_STEPS if x[0] == step)
    shown = groups[groups[n] > 0].head(limit)
    names = shown["group_1"] if not by2 else shown["group_1"] + " × " + shown["group_2"]
    return rate_rows(shown, names, step, k, n, verdict_colors(shown[f"{step}_vs"].tolist()))


def funnel_trend_rows(trend: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """The funnel_trend query's months for charts.trend_lines: the step's rate with its interval
    for the overall line ("All") and the given groups."""
    trend = stats.add_rate(trend, "n_to", "n_from", "step")
    trend = trend[trend["group_1"].isna() | trend["group_1"].isin(groups)]
    return trend.assign(
        month=trend["cohort_month"], group=trend["group_1"].fillna("All"), rate=trend["step_rate"]
    )


def velocity_table(velocity: pd.DataFrame, agreement: Agreement) -> pd.DataFrame:
    """How long each step takes overall (stage_velocity's overall rows): leads and quantiles."""
    overall = velocity[velocity["group_1"].isna()]
    return pd.DataFrame(
        {
            "Step": [metrics.step_label(s, agreement) for s in overall["step"]],
            "Leads": overall["n_leads"],
            **{heading: overall[column] for column, heading in VELOCITY_QUANTILES},
        }
    )


# --- Quality, follow-up, discards, attribution ---------------------------------------------


def tradeoff_rows(
    groups: pd.DataFrame, quality: str, interval: str | None, size: str
) -> pd.DataFrame:
    """The bubbles charts.tradeoff draws: a group with leads (metrics.quality_by_group) per row,
    its volume, the quality column, that rate's interval when it is one, and the size column."""
    with_leads = groups[groups["n_lead"] > 0]
    rows = pd.DataFrame(
        {
            "name": with_leads["group_name"].tolist(),
            "leads": with_leads["n_lead"].tolist(),
            "quality": with_leads[quality].tolist(),
            "size": with_leads[size].tolist(),
        }
    )
    if interval is not None:
        rows["low"] = with_leads[f"{interval}_low"].tolist()
        rows["high"] = with_leads[f"{interval}_high"].tolist()
    return rows


def quality_table(
    groups: pd.DataFrame, by: str, labels: dict[str, str], measures: dict[str, str]
) -> pd.DataFrame:
    """Per source or campaign (metrics.quality_by_group): volume, each stage's count and rate
    in percent with its interval, the revenue per lead and the days to win (what it cost and
    returned is `quality_money_table`)."""
    table = pd.DataFrame({by.capitalize(): groups["group_name"], "Leads": groups["n_lead"]})
    for key, count, _ in metrics.QUALITY_RATES:
        table[labels[key]] = groups[count]
        table[measures[key]] = groups[f"{key}_rate"] * 100
        table[f"{measures[key]} 95%"] = intervals(groups, key)
    table["Revenue per lead"] = groups["revenue_per_lead_usd"]
    table["Median days to win"] = groups["median_days_to_win"]
    return table


def quality_money_table(groups: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per source or campaign, in `quality_table`'s order: what it spent, won and returned,
    then what each lead, MQL, SQL and won deal cost. Apart from the rates, so that the cost and
    return columns are on screen at 1440 px, not past sixteen columns of rates."""
    table = pd.DataFrame(
        {
            by.capitalize(): groups["group_name"],
            "Spend": [fmt.usd(c) if pd.notna(c) else "no spend data" for c in groups["cost_usd"]],
            "Won revenue": groups["won_amount_usd"],
            "Return on spend": groups["return_on_spend"],
        }
    )
    for name, column in (
        ("lead", "cost_per_lead_usd"),
        ("MQL", "cost_per_mql_usd"),
        ("SQL", "cost_per_sql_usd"),
        ("won deal", "cost_per_won_usd"),
    ):
        table[f"Cost per {name}"] = groups[column]
    return table


def quality_trend_rows(trend: pd.DataFrame, measure: str, groups: list[str]) -> pd.DataFrame:
    """The quality_trend query's cohort months for charts.trend_lines: a stage's rate (`measure`
    a key of metrics.QUALITY_RATES) or the revenue per lead ("revenue_per_lead"), for the
    overall line ("All") and the given groups; a month is mature once its leads have had the
    agreed time to reach that stage (won, for revenue)."""
    trend = trend[trend["group_1"].isna() | trend["group_1"].isin(groups)]
    if measure != "revenue_per_lead":
        trend = stats.add_rate(trend, f"n_{measure}", "n_lead", "m")
        trend = trend.assign(rate=trend["m_rate"], n_to=trend[f"n_{measure}"])
    else:
        trend = trend.assign(rate=trend["won_amount_usd"] / trend["n_lead"], n_to=trend["n_won"])
    mature = "is_mature_won" if measure in ("won", "revenue_per_lead") else f"is_mature_{measure}"
    return trend.assign(
        month=trend["cohort_month"],
        group=trend["group_1"].fillna("All"),
        n_from=trend["n_lead"],
        is_mature=trend[mature],
    )


def follow_up_table(groups: pd.DataFrame, by: str) -> pd.DataFrame:
    """Follow-up per owner, team or source (metrics.follow_up_by_group), rates in percent."""
    return pd.DataFrame(
        {
            by.capitalize(): groups["group_1"],
            "Handed over": groups["n_handed_over"],
            "Met": groups["n_met"],
            "Breached": groups["n_breached"],
            "Followed up in time": groups["within_sla_rate"] * 100,
            "Waiting past the target": groups["n_open_breaches"],
            "Pending": groups["n_pending"],
            "Never followed up": groups["n_not_followed_up"],
            "Median hours": groups["median_hours"],
            "90% within (hours)": groups["p90_hours"],
            "Median routing hours": groups["median_routing_hours"],
            "Median rep hours": groups["median_rep_hours"],
        }
    )


def metric_delta(
    now: float | None,
    before: float | None,
    against: str,
    *,
    scale: float = 1.0,
    suffix: str = "",
    higher_is_better: bool = True,
) -> dict[str, Any]:
    """st.metric's delta arguments for a change from `before` to `now`, shown to one decimal:
    '+4.4 pts vs October 2026' green when it is better, red when worse; a change that reads
    +0.0 or -0.0 is 'no change' with no arrow and no colour; none when either is missing."""
    if now is None or before is None:
        return {"delta": None}
    change = round((now - before) * scale, 1)
    if change == 0:
        return {"delta": f"no change vs {against}", "delta_color": "off", "delta_arrow": "off"}
    return {
        "delta": f"{change:+.1f}{suffix} vs {against}",
        "delta_color": "normal" if higher_is_better else "inverse",
    }


def follow_up_bases(now: dict[str, Any]) -> dict[str, str]:
    """What each follow-up headline counts, for the line under it: the in-time share is of the
    leads judged (met + breached), the latency quantiles of the leads followed up."""
    # A valid follow-up (follow_up_hours, the latency's base) is either within the target (met)
    # or after it (breached, followed up late): stg_leads' sla_status and breach.
    followed_up = now["n_met"] + now["n_followed_up_late"]
    not_judged = now["n_pending"] + now["n_invalid"]
    return {
        "in_time": f"{now['n_met']:,} met of {fmt.plural(now['n_judged'], 'lead')} judged "
        f"(met + breached; {not_judged:,} pending or invalid not judged)",
        "latency": f"over the {fmt.plural(followed_up, 'lead')} followed up (not the "
        f"{now['n_not_followed_up']:,} without a follow-up yet)",
    }


def discards_table(groups: pd.DataFrame, by: str) -> pd.DataFrame:
    """Acceptance and discards per group (metrics.discard_by_group), rates in percent."""
    return pd.DataFrame(
        {
            by.capitalize(): groups["group_1"],
            "MQLs": groups["n_mql"],
            "Accepted": groups["n_accepted"],
            "Acceptance": groups["acceptance_rate"] * 100,
            "Discarded": groups["n_discarded"],
            "Discard rate": groups["discard_rate"] * 100,
            "Discarded without a reason": groups["n_discarded_no_reason"],
        }
    )


def attribution_table(credit: pd.DataFrame, by: str, revenue_usd: float) -> pd.DataFrame:
    """Each group's credit under every model (attribution.compare), the spread between the
    models, its best and worst rank, and what it touched; shares of the revenue in percent."""
    table = pd.DataFrame({by.capitalize(): credit["group_name"]})
    for column, label in attribution.MODELS.items():
        table[label] = credit[column]
    table["Spread (highest − lowest)"] = credit["spread_usd"]
    table["Rank (best–worst)"] = [
        f"{b}" if b == w else f"{b}–{w}"
        for b, w in zip(credit["best_rank"], credit["worst_rank"], strict=True)
    ]
    table["Deals touched"] = credit["n_events_touched"]
    table["Revenue touched"] = credit["revenue_touched_usd"]
    table["Share credited (linear)"] = credit["linear"] / revenue_usd * 100
    table["Share touched"] = credit["revenue_touched_usd"] / revenue_usd * 100
    return table


def rule_contributions_table(rows: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Each scoring rule's points to converted MQLs and the rest, for one outcome ('sql' or
    'won'), with the counts behind each average (metrics.score_rule_contributions)."""
    chosen = rows[rows["outcome"] == outcome]
    if chosen.empty or int(chosen["n_converted"].iloc[0] + chosen["n_not_converted"].iloc[0]) == 0:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "Rule": chosen["rule"],
            "Rule type": chosen["rule_type"],
            "Converted: points each": chosen["points_per_converted"],
            "Converted: given points": k_of_n(chosen, "n_converted_with_points", "n_converted"),
            "Not converted: points each": chosen["points_per_not_converted"],
            "Not converted: given points": k_of_n(
                chosen, "n_not_converted_with_points", "n_not_converted"
            ),
        }
    )


def _needed(split: dict[str, int | None]) -> str:
    """MQLs needed with their range: '12 (7–33)'; '–' when there is no number."""
    if split["mqls_needed"] is None:
        return "–"
    return f"{split['mqls_needed']:,} ({split['mqls_needed_low']:,}–{split['mqls_needed_high']:,})"


def revenue_goal_line(goal: dict[str, Any]) -> str:
    """The revenue goal and the MQLs it needs a month, in one line (revenue_goal.worked_back):
    'Revenue goal $900.0K a month needs 420 MQLs a month (360–510) at the rates of …'."""
    g = goal["goal"]
    per = "quarter" if g["period"] == "quarter" else "month"
    head = f"Revenue goal {fmt.usd(g['usd'])} a {per}"
    o = goal["overall"]
    if o is None or o["mqls_needed"] is None:
        return f"{head}: no MQL goal worked back ({goal['note']})."
    window = goal["window"]["label"]
    month = (
        f"{o['mqls_needed_per_month']:,} MQLs a month "
        f"({o['mqls_needed_per_month_low']:,}–{o['mqls_needed_per_month_high']:,})"
    )
    if per == "quarter":
        quarter = (
            f"{o['mqls_needed']:,} MQLs a quarter "
            f"({o['mqls_needed_low']:,}–{o['mqls_needed_high']:,})"
        )
        return f"{head} needs {quarter}, {month}, at the rates of {window}."
    return f"{head} needs {month} at the rates of {window}."


def revenue_goal_sources(goal: dict[str, Any]) -> pd.DataFrame:
    """Per source: the window's counts and rates, and a month's MQLs needed both ways with
    their ranges."""
    rows = []
    for s in goal["by_source"]:
        rows.append(
            {
                "Source": s["source"],
                "Goal in force": fmt.count(s["mql_goal_in_force"]),
                "Needed a month: today's mix": _needed(s["today_mix"]),
                "Needed a month: by quality": _needed(s["by_quality"]),
                "MQLs in the window": s["n_mql"],
                "Share of MQLs": fmt.rate(s["share_of_mqls"], 1),
                "Won": s["n_won"],
                "MQL → won": fmt.rate(s["won_rate"], 1),
                "95% interval": fmt.interval(s["won_low"], s["won_high"]),
                "Deal size": fmt.usd(s["deal_size_usd"]),
                "Revenue per MQL": fmt.usd(s["revenue_per_mql_usd"]),
                "Days to win (median)": (
                    "–"
                    if s["median_mql_to_won_days"] is None
                    else f"{s['median_mql_to_won_days']:,.1f}"
                ),
                "Why no number": s["note"] or "",
            }
        )
    return pd.DataFrame(rows)


def agreement_history(agreement: Agreement) -> pd.DataFrame:
    """Every version of the agreement, newest first: when it was in force, who changed it and
    why, and what it changed (key: before → after)."""
    versions = agreement.versions
    rows = []
    for n, v in enumerate(versions):
        later = versions[n + 1] if n + 1 < len(versions) else None
        until = f"to {fmt.day(later.effective_on - dt.timedelta(days=1))}" if later else "in force"
        rows.append(
            {
                "Version": v.number,
                "From": "the start" if v.number == 1 else fmt.day(v.effective_on),
                "Until": until,
                "Changed by": v.changed_by or "–",
                "Why": v.reason or f"agreed on {fmt.day(agreement.agreed_on)}",
                "What changed": "; ".join(
                    f"{c.key}: {agreement_value(c.before, c.key)} → "
                    f"{agreement_value(c.after, c.key)}"
                    + ("" if c.key.startswith(JUDGED_PREFIXES) else " (for every period)")
                    for c in v.changes
                )
                or "the first version",
            }
        )
    return pd.DataFrame(rows[::-1])


def agreement_value(value: Any, key: str = "") -> str:
    """An agreement value as read in a table: 'not set', '8', '75%', 'Mon, Tue',
    'Paid search 90'."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int) and key.endswith("_rate"):
        return fmt.rate(value, 1).replace(".0%", "%")
    if isinstance(value, float | int):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {agreement_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        if value and all(isinstance(x, dict) for x in value):
            return fmt.plural(len(value), "rule")
        return ", ".join(agreement_value(x) for x in value)
    if isinstance(value, dt.date):
        return fmt.day(value)
    return str(value)


# --- Marketing's support after hand-over (issue 21, item 5) --------------------------------------


def support_table(rows: pd.DataFrame, heading: str, labels: dict[str, str]) -> pd.DataFrame:
    """Support after hand-over per source or furthest stage (metrics.support's rows): how many
    were handed over and kept receiving marketing touches, the share in percent with its
    interval, and, per source, the SQL and win rates of the leads with and without such
    touches, each with its counts."""
    name = "stage" if "stage" in rows.columns else "group_name"
    table = pd.DataFrame(
        {
            heading: rows[name],
            "Handed over": rows["n_handed_over"],
            "Kept receiving touches": rows["n_supported"],
            "Share": rows["supported_rate"] * 100,
            "Share 95%": intervals(rows, "supported"),
        }
    )
    if name == "stage":  # the furthest stage says itself whether the lead reached SQL or won
        return table
    for key, stage in (("sql", labels["sql"]), ("won", labels["won"])):
        for side, n in (("supported", "n_supported"), ("unsupported", "n_unsupported")):
            rate = f"{key}_{side}"
            table[f"{stage}: {'with' if side == 'supported' else 'without'}"] = [
                "–" if pd.isna(r) else f"{fmt.rate(r, 1)} ({int(k):,} of {int(m):,})"
                for r, k, m in zip(rows[f"{rate}_rate"], rows[f"n_{rate}"], rows[n], strict=True)
            ]
    return table
