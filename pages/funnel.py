"""Lead funnel: how many leads of each source reached each stage, and where they dropped."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import dataclasses

import pandas as pd
import streamlit as st

from handoff import charts, drill, fmt, metrics, safe, tables, ui
from handoff.contract import GROUP_COLUMNS
from handoff.filters import VIEWS
from handoff.tables import dimension_label

ctx = ui.page(
    "Lead funnel",
    "Of the leads each source brought, how many became MQLs, were accepted, qualified, became "
    "opportunities and were won, and where do they drop?",
)
labels = ctx.agreement.stage_labels
dimensions = [*GROUP_COLUMNS, *ctx.db.attributes]

# How to count: the order rule, and what to break the funnel down by.
c1, c2, c3 = st.columns([1, 1, 1])
with c1:
    order = ui.control(
        st.radio,
        "funnel_order",
        "any",
        "Stage order",
        options=["any", "strict"],
        format_func={
            "any": "Any order (skipped stages count as passed)",
            "strict": "Strict order (every stage dated, in order)",
        }.get,
    )
with c2:
    by = ui.control(
        st.selectbox,
        "funnel_by",
        "source",
        "Break down by",
        options=dimensions,
        format_func=dimension_label,
    )
with c3:
    by2 = ui.control(
        st.selectbox,
        "funnel_by2",
        "(none)",
        "and by",
        options=["(none)", *[d for d in dimensions if d != by]],
        format_func=lambda d: "nothing else" if d == "(none)" else dimension_label(d),
    )
by2 = None if by2 == "(none)" else by2
ctx = dataclasses.replace(ctx, filters=dataclasses.replace(ctx.filters, strict=order == "strict"))
filters = ctx.filters
period = filters.period
st.markdown(
    f"**{period.label}** · {VIEWS[filters.view]} · {order} order: counting "
    f"{metrics.counting(filters)['counts']}."
)
ui.maturity_notice(ctx, tuple(s for s, _, _ in metrics.FUNNEL_STEPS if s != "lead_to_won"))

# The waterfall: leads per stage, step and cumulative conversion with their intervals.
stages = metrics.funnel_stages(ctx.db, filters)
if stages["n_leads"].sum() == 0:
    ui.no_leads(ctx)
mature = metrics.period_maturity(filters, ctx.agreement, ctx.data_end)
left, right = st.columns([1.25, 1])
# A click on a stage's bar lists its leads below (the drill-down's Stage).
left.plotly_chart(
    charts.funnel_bars(stages, labels),
    width="stretch",
    **drill.on_click("drill_funnel_stages", {labels[s]: s for s in labels}, "funnel_drill_stage"),
)
right.plotly_chart(
    charts.rate_whiskers(
        tables.funnel_steps_rows(stages, labels), "Step conversion, with its 95% interval"
    ),
    width="stretch",
)
ui.table(
    tables.funnel_stages_table(stages, labels),
    hide_index=True,
    column_config={
        "Leads": st.column_config.NumberColumn(format="localized"),
    },
)
drill.hint(
    "Click a stage's bar to list its leads under “Who reached a stage, and who went no further”."
)
if filters.view == "flow":
    st.caption(
        "Flow view counts stage entries in the period, whoever they belong to: a step's ratio "
        "compares volumes and can pass 100%; it has no interval then."
    )

# Closed opportunities: the win rate sales quotes, and how long won and lost deals take.
closed = metrics.closed_opportunities(ctx.db, filters)
o1, o2, o3 = st.columns(3)
o1.metric(
    "Win rate of closed opportunities",
    fmt.rate(closed["win_rate"], 1),
    help=f"{labels['won']} / ({labels['won']} + lost): {closed['n_won']:,} won of "
    f"{closed['n_closed']:,} closed. The {metrics.step_label('opportunity_to_won', ctx.agreement)}"
    " step above also counts the opportunities still open.",
)
o1.caption(
    f"{fmt.count(closed['n_won'])} won of {fmt.count(closed['n_closed'])} closed · "
    f"{fmt.count(closed['n_open'])} still open"
)
for column, outcome in ((o2, "won"), (o3, "lost")):
    cycle = closed["cycle_days"][outcome]
    column.metric(
        f"Median days to close, {outcome}",
        "–" if cycle["median_days"] is None else f"{cycle['median_days']:.1f} d",
        help="From the opportunity's creation to its close, on the lead's own dates.",
    )
    column.caption(
        f"{fmt.count(cycle['n_opportunities'])} {outcome}"
        + (
            f"; half within {cycle['p25_days']:.0f}–{cycle['p75_days']:.0f} d"
            if cycle["p25_days"] is not None
            else ""
        )
        + (
            f"; {cycle['n_opportunities'] - cycle['n_with_days']:,} without both dates"
            if cycle["n_with_days"] < cycle["n_opportunities"]
            else ""
        )
    )

# Conversion per group: which sources (or owners, campaigns...) convert better or worse.
st.subheader(
    f"By {safe.md(dimension_label(by).lower())}"
    + (f" × {safe.md(dimension_label(by2).lower())}" if by2 else "")
)
compare_immature = ui.control(
    st.checkbox, "funnel_compare_immature", False, "Compare rates that are still immature"
)
groups = metrics.funnel_breakdown(ctx.db, filters, by, by2, stages, mature, compare_immature)
step_keys = tables.shown_steps(filters.view)
table, verdicts = tables.funnel_breakdown_table(groups, by, by2, filters.view, ctx.agreement)


def shade(column: pd.Series) -> list[str]:
    colors = {"better": "background-color: #d8eed9", "worse": "background-color: #f6d5d5"}
    return [colors.get(v, "") for v in verdicts.get(column.name, [""] * len(column))]


ui.table(
    table.style.apply(shade, axis=0),
    hide_index=True,
    column_config={
        **{name: ui.percent(table[name]) for name in verdicts},
        **{labels[s]: st.column_config.NumberColumn(format="localized") for s in labels},
        "Won revenue": ui.dollars(),
    },
)
n_better = sum(v == "better" for vs in verdicts.values() for v in vs)
n_worse = sum(v == "worse" for vs in verdicts.values() for v in vs)
st.caption(
    f"Green: better than overall, red: worse — only where the group's 95% interval excludes the "
    f"overall rate ({n_better} better, {n_worse} worse). Small groups are shown with their wide "
    "intervals; click a column to sort."
)

# One step across groups, with intervals and the overall rate.
step = ui.control(
    st.selectbox,
    "funnel_step",
    "mql_to_sal",
    "Step to compare",
    options=step_keys,
    format_func=lambda s: metrics.step_label(s, ctx.agreement),
)
n_col = next(n for s, _, n in metrics.FUNNEL_STEPS if s == step)
shown = tables.funnel_group_rows(groups, by2, step)
st.plotly_chart(
    charts.rate_whiskers(
        shown,
        f"{metrics.step_label(step, ctx.agreement)} by {dimension_label(by).lower()}"
        + (f" (the {len(shown)} largest of {len(groups)})" if len(groups) > len(shown) else ""),
        overall=metrics.overall_step_rates(stages)[step],
    ),
    width="stretch",
)

# The trend: the step's conversion by cohort month, immature months drawn hollow.
st.subheader("Month by month")
limits = metrics.step_limits(ctx.agreement)
t1, t2 = st.columns(2)
with t1:
    months = ui.control(st.slider, "funnel_months", 12, "Cohort months", min_value=3, max_value=24)
with t2:
    # Cohorts of different ages compare fairly only over the same span: by default a conversion
    # counts only within the step's agreed days.
    when = ui.control(
        st.radio,
        "funnel_within",
        "agreed",
        "Count a conversion",
        options=["agreed", "any"],
        format_func={
            "agreed": f"within the agreed {limits[step]:g} days (comparable months)",
            "any": "at any time (young months still rising)",
        }.get,
    )
within = limits[step] if when == "agreed" else None
by_one = {"group_1": by, "group_2": None}
trend = ctx.run("funnel_trend", columns=by_one, trend_months=months, step=step, within_days=within)
top = list(groups.sort_values(n_col, ascending=False)["group_1"].drop_duplicates().head(6))
trend = tables.funnel_trend_rows(trend, top)
st.plotly_chart(
    charts.trend_lines(
        trend,
        f"{metrics.step_label(step, ctx.agreement)} by cohort month"
        + (f", converted within {within:g} days" if within else ", converted at any time"),
    ),
    width="stretch",
)
st.caption(
    f"A cohort is the leads {'handed over' if filters.view == 'handover' else 'created'} in a "
    f"month. Hollow, dotted points are immature: fewer than {limits[step]:g} days have passed "
    "since the month ended, so the rate is still rising. "
    + (
        f"Only conversions within {within:g} days of entering the step count, so every mature "
        "month is measured over the same span."
        if within
        else "Counting conversions at any time favours older months."
    )
)
with st.expander("Numbers behind the chart"):
    ui.table(
        trend[["month", "group", "n_from", "n_to", "rate", "is_mature"]].assign(
            rate=trend["rate"] * 100
        ),
        hide_index=True,
        column_config={
            "month": st.column_config.DatetimeColumn("Cohort month", format="MMM YYYY"),
            "rate": ui.percent(trend["rate"] * 100, "Rate"),
            "n_from": "Entered the step",
            "n_to": "Converted",
            "is_mature": "Mature",
        },
    )

# Velocity: how long each step takes.
st.subheader("How long each step takes")
velocity = ctx.run("stage_velocity", columns=by_one)
ui.table(
    tables.velocity_table(velocity, ctx.agreement),
    hide_index=True,
    column_config={
        "Leads": st.column_config.NumberColumn(format="localized"),
        **{
            heading: st.column_config.NumberColumn(format="%.1f")
            for _, heading in tables.VELOCITY_QUANTILES
        },
    },
)
velocity_step = step if step != "lead_to_won" else "opportunity_to_won"
group_choice = ui.control(
    st.selectbox,
    "funnel_velocity_group",
    "All",
    f"Which {safe.md(dimension_label(by).lower())}",
    options=["All", *top],
)
group_param = None if group_choice == "All" else group_choice
histogram = ctx.run(
    "stage_velocity_histogram", columns=by_one, group=group_param, step=velocity_step
)
h1, h2 = st.columns(2)
h1.plotly_chart(
    charts.histogram_bins(
        histogram,
        f"{metrics.step_label(velocity_step, ctx.agreement)}: time taken ({group_choice})",
        charts.STAGE_COLORS[velocity_step.split("_to_")[1]],
    ),
    width="stretch",
)
velocity_trend = ctx.run(
    "stage_velocity_trend",
    columns=by_one,
    trend_months=months,
    group=group_param,
    step=velocity_step,
)
h2.plotly_chart(
    charts.median_trend(
        velocity_trend,
        f"{metrics.step_label(velocity_step, ctx.agreement)}: days by month ({group_choice})",
        "Month the step was completed" if filters.view == "flow" else "Cohort month",
    ),
    width="stretch",
)
per_group = velocity[(velocity["step"] == velocity_step) & velocity["group_1"].notna()]
with st.expander(
    f"{metrics.step_label(velocity_step, ctx.agreement)} per {safe.md(dimension_label(by).lower())}"
):
    ui.table(
        per_group[["group_1", "n_leads", "p25_days", "median_days", "p75_days", "p90_days"]],
        hide_index=True,
        column_config={
            "group_1": dimension_label(by),
            "n_leads": st.column_config.NumberColumn("Leads", format="localized"),
            **{
                column: st.column_config.NumberColumn(heading, format="%.1f")
                for column, heading in tables.VELOCITY_QUANTILES
            },
        },
    )

# Drill-down: the leads behind a number, to act on.
st.subheader("Who reached a stage, and who went no further")
d1, d2, d3 = st.columns(3)
stage_options = list(stages["stage"])
stage_pick = ui.control(
    d1.selectbox,
    "funnel_drill_stage",
    stage_options[0],
    "Stage",
    options=stage_options,
    format_func=labels.get,
)
group_values = ["All", *groups["group_1"].drop_duplicates()]
group_pick = ui.control(
    d2.selectbox, "funnel_drill_group", "All", safe.md(dimension_label(by)), options=group_values
)
group2_pick = None
if by2:
    group2_values = ["All", *groups["group_2"].drop_duplicates()]
    group2_pick = ui.control(
        d3.selectbox,
        "funnel_drill_group2",
        "All",
        safe.md(dimension_label(by2)),
        options=group2_values,
    )
only_dropped = ui.control(
    st.checkbox, "funnel_drill_dropped", False, "Only leads that went no further"
)
leads = ctx.run(
    "funnel_drilldown",
    columns={"group_1": by, "group_2": by2},
    stage=stage_pick,
    group_1=None if group_pick == "All" else group_pick,
    group_2=None if group2_pick in (None, "All") else group2_pick,
    only_dropped=only_dropped,
    limit=10_000,
)
counts, leads = tables.split_totals(leads, "n_total", "n_dropped", "n_too_early")
n_total, n_dropped, n_too_early = counts["n_total"], counts["n_dropped"], counts["n_too_early"]
leads = leads.assign(furthest_stage=lambda f: [fmt.stage(s, labels) for s in f["furthest_stage"]])
has_crm_score = "crm" in metrics.scores_available(ctx.db)
leads = tables.lead_list(leads, has_crm_score)
next_step = next((s for s, *_ in metrics.FUNNEL_STEPS if s.startswith(stage_pick + "_to_")), None)
if only_dropped:
    summary = f"**{fmt.count(n_total)}** leads reached {labels[stage_pick]} and went no further"
elif stage_pick == "won":
    summary = f"**{fmt.count(n_total)}** leads reached {labels['won']}"
else:
    summary = (
        f"**{fmt.count(n_total)}** leads reached {labels[stage_pick]}; "
        f"**{fmt.count(n_dropped)}** of them ({fmt.rate(n_dropped / n_total if n_total else None)})"
        " went no further"
        + (f", and for {fmt.count(n_too_early)} it is too early to say" if n_too_early else "")
    )
if n_total > len(leads):
    summary += f" (showing the first {len(leads):,}, those who went no further first)"
st.markdown(summary + ".")
if next_step and stage_pick != "won":
    st.caption(
        f"Dropped: has not reached {labels[next_step.partition('_to_')[2]]} by the data's end "
        f"though the agreement's {ctx.agreement.time_limits_days[next_step]:g} days for "
        f"{metrics.step_label(next_step, ctx.agreement)} have passed since it reached "
        f"{labels[stage_pick]}. Too early to say: those days have not passed yet."
    )
lead_columns = {
    "lead_id": "Lead",
    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
    "source": "Source",
    "campaign": "Campaign",
    "owner": "Owner",
    "team": "Team",
    **tables.SCORE_HEADINGS,
    "outcome": "Outcome",
    "furthest_stage": "Furthest stage",
    "disposition": "Disposition",
    "handover_at": st.column_config.DatetimeColumn("Handed over", format="YYYY-MM-DD HH:mm"),
    "sla_status": "Follow-up SLA",
    "last_activity_at": st.column_config.DatetimeColumn(
        "Last sales activity", format="YYYY-MM-DD HH:mm"
    ),
    "last_stage_change_at": st.column_config.DatetimeColumn(
        "Last stage change", format="YYYY-MM-DD HH:mm"
    ),
}
ui.show_lead_list(
    leads,
    ctx,
    lead_columns,
    blanks="–: none. Handed over –: never handed over; Last sales activity –: no sales activity "
    "yet",
    has_crm_score=has_crm_score,
    download="Download this list (CSV)",
    file_name=f"funnel_{stage_pick}_{'dropped' if only_dropped else 'reached'}.csv",
)
