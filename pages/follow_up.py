"""Follow-up: did sales follow up every handed-over lead within the agreed time, and what does
slow follow-up cost?"""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import pandas as pd
import streamlit as st

from handoff import charts, drill, fmt, metrics, tables, targets, ui

ctx = ui.page(
    "Follow-up",
    "Did sales follow up every lead marketing handed over within the agreed time, who is slow, "
    "which leads are still waiting, and what does slow follow-up cost?",
)
agreement = ctx.judging  # the version in force at the period's end; a change is said above
target = agreement.follow_up_target_hours
bh = agreement.business_hours
clock = (
    f"business hours ({bh.opens:%H:%M}–{bh.closes:%H:%M}, working days, holidays excluded, "
    f"{agreement.time_zone})"
    if agreement.follow_up_clock == "business"
    else "calendar hours"
)
period, previous = ctx.filters.period, ctx.filters.period.previous()
st.markdown(
    f"**{period.label}** (leads handed over in it) compared with **{previous.label}** · target: "
    f"follow up within **{target:g} {clock}**"
)

# The headline: % within SLA, latency, and the leads still waiting.
summary = metrics.follow_up_summary(ctx.db, ctx.filters)
now, before = summary["current"], summary["previous"]
if now["n_handed_over"] == 0:
    ui.no_leads(ctx)
if not summary["has_follow_up_data"]:
    st.info(
        f"**No follow-up data.** {fmt.plural(now['n_handed_over'], 'MQL')} were handed over in "
        f"{period.label}, but the export holds no sales activities and no first-contact dates, so "
        "nobody can say whether or when sales followed them up. Import the CRM's activities "
        "(calls, e-mails, meetings) or a first-contacted date to judge follow-up."
    )
    st.stop()


def delta(key: str, scale: float = 1.0, suffix: str = "", higher_is_better: bool = True):
    return tables.metric_delta(
        now[key],
        before[key],
        previous.label,
        scale=scale,
        suffix=suffix,
        higher_is_better=higher_is_better,
    )


# The in-time share counts the leads judged; the latency quantiles the leads followed up.
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(
    "Followed up in time",
    fmt.rate(now["within_sla_rate"], 1),
    **delta("within_sla_rate", 100, " pts"),
    help=f"{now['n_met']:,} met of {now['n_judged']:,} judged (met + breached; pending and "
    f"invalid ones are not judged); 95% interval "
    f"{fmt.rate(now['within_sla_low'])}–{fmt.rate(now['within_sla_high'])}.",
)
c1.caption(tables.follow_up_bases(now)["in_time"])
c2.metric(
    "Median time to follow-up",
    fmt.hours(now["median_hours"]),
    **delta("median_hours", suffix=" h", higher_is_better=False),
    help=f"Of the leads followed up, on the agreement's clock; target {target:g} h.",
)
c2.caption(tables.follow_up_bases(now)["latency"])
c3.metric(
    "90% of follow-ups within",
    fmt.hours(now["p90_hours"]),
    **delta("p90_hours", suffix=" h", higher_is_better=False),
    help="Of the leads followed up (not of every hand-over).",
)
c3.caption(tables.follow_up_bases(now)["latency"])
c4.metric(
    "Waiting past the target",
    fmt.count(now["n_open_breaches"]),
    help="Open breaches: still active, no follow-up yet, past the target. The leads to act on.",
)
c5.metric(
    "Closed without follow-up",
    fmt.count(now["n_closed_without_follow_up"]),
    help="Won, lost, discarded or recycled with no follow-up at all: breached, but no longer "
    "waiting.",
)
st.markdown(
    f"Of the **{fmt.plural(now['n_handed_over'], 'MQL')}** handed over in {period.label}, "
    f"**{now['n_met']:,}** "
    f"were followed up within the target and **{now['n_breached']:,}** breached it: "
    f"{now['n_followed_up_late']:,} followed up late, {now['n_open_breaches']:,} still waiting "
    f"past the target and {now['n_closed_without_follow_up']:,} closed without follow-up; "
    f"{now['n_pending']:,} are pending, still inside the target."
    + (
        f" {fmt.plural(now['n_invalid'], 'lead')} "
        f"{'shows' if now['n_invalid'] == 1 else 'show'} a follow-up dated before the "
        "hand-over: a data error, counted apart and left out of the averages."
        if now["n_invalid"]
        else ""
    )
)

# The distribution, with the target on it.
curve = ctx.run("follow_up_curve")
st.plotly_chart(charts.follow_up_curve(curve, target, agreement.follow_up_clock), width="stretch")

# Who is slow, and which sources wait longest.
st.subheader("By owner, team and source")
by = ui.control(
    st.radio,
    "follow_up_by",
    "owner",
    "Compare",
    options=["owner", "team", "source"],
    horizontal=True,
)
groups = metrics.follow_up_by_group(ctx.db, ctx.filters, by)
judged = groups[groups["n_judged"] > 0]
overall = now["within_sla_rate"]
colors = tables.verdict_colors(tables.versus(judged, "within_sla", overall))
# The agreed floor in force in the period (the scorecard's), if the agreement sets one.
sla_floor = targets.period_target(
    targets.versions_in_force(ctx.db.agreement, period), lambda a: a.min_within_sla_rate, "rate"
)[0]
st.plotly_chart(
    charts.rate_whiskers(
        tables.rate_rows(judged, judged["group_1"], "within_sla", "n_met", "n_judged", colors),
        f"Followed up in time, by {by}",
        overall=overall,
        x_title="Followed up in time (95% interval)",
        target=sla_floor,
        target_label="agreed at least",
    ),
    width="stretch",
    # A click on an owner's (team's, source's) dot narrows the page to it (the shared filter).
    **drill.filter_click("drill_follow_up", {g: g for g in judged["group_1"].dropna()}, by),
)
drill.hint(f"Click a dot to narrow every number to that {by}.")
drill.notice(by)
owner_table = tables.follow_up_table(groups, by)
ui.table(
    owner_table,
    hide_index=True,
    column_config={
        "Followed up in time": ui.percent(owner_table["Followed up in time"]),
        **{
            c: st.column_config.NumberColumn(format="%.1f")
            for c in (
                "Median hours",
                "90% within (hours)",
                "Median routing hours",
                "Median rep hours",
            )
        },
    },
)
if now["n_routed"]:
    st.caption(
        f"Where leads carry an assignment time ({now['n_routed']:,} this period), the wait splits "
        f"into routing (hand-over to assignment: median {fmt.hours(now['median_routing_hours'])}) "
        f"and the rep's own delay (assignment to follow-up: median "
        f"{fmt.hours(now['median_rep_hours'])}), so a slow router is not blamed on reps."
    )
else:
    st.caption("No lead carries an assignment time, so routing and rep delay cannot be split.")

# Trend.
st.subheader("Getting faster?")
grain = ui.control(
    st.radio, "follow_up_grain", "month", "By", options=["week", "month"], horizontal=True
)
trend = pd.DataFrame(metrics.follow_up_trend(ctx.db, ctx.filters, grain))
trend["period_start"] = pd.to_datetime(trend["start"])
st.plotly_chart(
    charts.sla_trend(trend, f"Followed up in time and median hours, by {grain} of hand-over"),
    width="stretch",
)

# Every breach, open ones first.
st.subheader("Every breach, the ones still waiting first")
breaches = ctx.run("follow_up_breaches", limit=10_000)
counts, breaches = tables.split_totals(breaches, "n_total", "n_open")
n_total, n_open = counts["n_total"], counts["n_open"]
st.markdown(
    f"**{n_total:,}** leads handed over in {period.label} breached the SLA, **{n_open:,}** of "
    "them still waiting"
    + (f" (showing the first {len(breaches):,})" if n_total > len(breaches) else "")
    + ". An average can hide a breach; this list cannot."
)
breaches = breaches.assign(
    breach=lambda f: f["breach"].replace({"open": "still waiting: no follow-up yet"})
)
has_crm_score = "crm" in metrics.scores_available(ctx.db)
breaches = tables.lead_list(breaches, has_crm_score)
breach_columns = {
    "lead_id": "Lead",
    "breach": "Breach",
    "owner": "Owner",
    "team": "Team",
    "source": "Source",
    "campaign": "Campaign",
    "handover_at": st.column_config.DatetimeColumn("Handed over", format="YYYY-MM-DD HH:mm"),
    "first_follow_up_at": st.column_config.DatetimeColumn("Followed up", format="YYYY-MM-DD HH:mm"),
    "hours_on_clock": st.column_config.NumberColumn("Hours on the clock", format="%.1f"),
    "hours_overdue": st.column_config.NumberColumn("Hours overdue", format="%.1f"),
    "disposition": "Disposition now",
    **tables.SCORE_HEADINGS,
}
ui.show_lead_list(
    breaches,
    ctx,
    breach_columns,
    blanks="–: none. Followed up –: no follow-up yet (still waiting, or closed without one)",
    has_crm_score=has_crm_score,
    download="Download the breaches (CSV)",
    file_name=f"follow_up_breaches_{period.start}.csv",
)

# What slow follow-up costs.
st.subheader("What slow follow-up costs")
cost = metrics.follow_up_cost(ctx.db, ctx.filters)
shown = cost[cost["n_leads"] > 0]
st.plotly_chart(
    charts.rates_by_category(
        shown, "bucket", "Conversion by how fast the lead was followed up", "Time to follow-up"
    ),
    width="stretch",
)
st.caption(
    "Time to follow-up here is calendar time (how long the lead really waited), in the buckets "
    "the speed-to-lead studies use. SQL and won mean reached by the data's end; recent leads may "
    "still convert. Read it as association, not proof: the slow reps may also get harder leads."
)
