"""The tables the pages show, shaped from the metrics layer's results: column headings in the
agreement's stage names, rates as percentages, intervals and "k of n" as text, and the rows a
rate chart draws. No Streamlit and no arithmetic of their own: every count and rate comes from
`handoff.metrics`; this module only arranges them for reading (a page keeps its layout and its
column formats).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from handoff import attribution, charts, fmt, metrics, stats
from handoff.agreement import JUDGED_PREFIXES, Agreement
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
    """Per source or campaign (metrics.quality_by_group): volume, each stage's count and rate in
    percent with its interval, revenue, spend and the costs per lead, MQL, SQL and won deal."""
    table = pd.DataFrame({by.capitalize(): groups["group_name"], "Leads": groups["n_lead"]})
    for key, count, _ in metrics.QUALITY_RATES:
        table[labels[key]] = groups[count]
        table[measures[key]] = groups[f"{key}_rate"] * 100
        table[f"{measures[key]} 95%"] = intervals(groups, key)
    table["Won revenue"] = groups["won_amount_usd"]
    table["Revenue per lead"] = groups["revenue_per_lead_usd"]
    table["Median days to win"] = groups["median_days_to_win"]
    table["Spend"] = [fmt.usd(c) if pd.notna(c) else "no spend data" for c in groups["cost_usd"]]
    for name, column in (
        ("lead", "cost_per_lead_usd"),
        ("MQL", "cost_per_mql_usd"),
        ("SQL", "cost_per_sql_usd"),
        ("won deal", "cost_per_won_usd"),
    ):
        table[f"Cost per {name}"] = groups[column]
    table["Return on spend"] = groups["return_on_spend"]
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
