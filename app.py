"""Home: the SLA scorecard. Did each team keep its side of the agreement in the period, and where
do the numbers point? With the feedback-session report to download."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import datetime as dt

import streamlit as st

from handoff import (
    charts,
    fmt,
    metrics,
    navigation,
    report,
    revenue_goal,
    safe,
    scorecard,
    tables,
    ui,
)

ctx = ui.page(
    "Scorecard",
    "Did marketing hand over the MQLs it promised, and did sales follow up, accept and discard as "
    "agreed? Then the funnel in one line and the report for the feedback session.",
)
numbers = metrics.home(ctx.db, ctx.filters)
hand_overs = metrics.hand_overs(ctx.db, ctx.filters)
discards = metrics.discard_summary(ctx.db, ctx.filters)
card = scorecard.scorecard(ctx.db, ctx.filters, discards=discards, home=numbers)
# Sales' revenue goal worked back to MQLs, beside the MQL goal in force (with the agreement's
# [revenue_goal] section only).
goal = revenue_goal.worked_back(ctx.db)
words = card.counting
period, previous = ctx.filters.period, ctx.filters.period.previous()
st.markdown(f"**{period.label}** compared with **{previous.label}** · counting {words['counts']}.")

if numbers["leads"]["value"] == 0 and numbers["mqls"]["value"] == 0:
    ui.no_leads(ctx, stop=False)
ui.maturity_notice(ctx, ("mql_to_sal",))

# The plain summary, from the same numbers as the report.
by_source = metrics.records(metrics.discard_by_group(ctx.db, ctx.filters, "source"))
sentences = scorecard.summary(
    card,
    {
        "follow_up": {"summary": hand_overs},
        "discards": {"summary": discards, "by_source": by_source},
    },
)
st.markdown("\n".join(f"- {safe.md(s)}" for s in sentences))


def verdict_color(c: scorecard.Commitment) -> str:
    """The colour of a commitment's verdict: its badge's, its change's and its line's."""
    if not c.in_data or c.value is None or c.target is None:
        return "gray"
    return "green" if c.is_met else "red"


def commitment(column, c: scorecard.Commitment) -> None:
    """One commitment: value, change against the period before, 12-month line, verdict, link."""
    is_rate = c.is_rate
    show = (lambda v: fmt.rate(v, 1)) if is_rate else fmt.count
    delta = None
    if c.value is not None and c.previous is not None:
        change = c.value - c.previous
        delta = (
            f"{change * 100:+.1f} pts vs {previous.label}"
            if is_rate
            else f"{change:+,.0f} vs {previous.label}"
        )
    elif c.value is not None:
        # Streamlit greys a metric's line when it has no change: say there is none to compare,
        # so the line still takes the verdict's colour.
        delta = f"none in {previous.label} to compare"
    known = [p.value for p in c.trend if p.value is not None]
    with column.container(border=True):
        st.metric(
            safe.md(c.short_label),
            "–" if c.value is None else show(c.value),
            delta=delta,
            # The change and the 12-month line take the badge's colour (green met, red missed,
            # grey unjudged), never one of their own from the change's sign.
            delta_color=verdict_color(c),
            delta_arrow="auto" if c.previous is not None else "off",
            chart_data=[0 if p.value is None else p.value for p in c.trend] if known else None,
            chart_type="line",
            help=f"{safe.md(c.label)}: {safe.md(c.counts)}. The line: the last 12 months "
            f"({safe.md(c.trend[0].month)} to {safe.md(c.trend[-1].month)}), each month counted as "
            f"the headline is. {safe.md(c.note)}".strip(),
        )
        if c.targets_by_version:
            st.caption("Targets: " + safe.md(c.targets_by_version) + ".")
        if not c.in_data:
            st.caption(safe.md(c.note.partition("; ")[2]) + ".")
            st.badge("not in the data", color="gray", icon=":material/help:")
        elif c.value is None:
            st.caption(safe.md(c.note) if c.note else f"{safe.md(c.counts)}: none.")
            st.badge("not judged", color="gray")
        else:
            if is_rate:
                st.caption(
                    f"{fmt.count(c.numerator)} of {fmt.count(c.denominator)} {safe.md(c.counts)}"
                )
            else:
                st.caption(safe.md(c.counts))
            if c.target is None:
                st.badge("no target agreed", color="gray")
            else:
                target = fmt.rate(c.target) if is_rate else fmt.count(c.target)
                word = "Met" if c.is_met else "Missed"
                st.badge(
                    f"{word}: {safe.md(c.direction)} {target}",
                    color=verdict_color(c),
                    icon=":material/check:" if c.is_met else ":material/close:",
                )
        if c.key == "mql_volume" and goal is not None:
            st.caption(safe.md(tables.revenue_goal_line(goal)))
            st.page_link(
                "pages/definitions.py", label="How it is worked back", icon=":material/calculate:",
                query_params=ui.link_params(ctx.filters),
            )  # fmt: skip
        st.page_link(
            navigation.see_why(c.key), label="See why", icon=":material/arrow_forward:",
            query_params=ui.link_params(ctx.filters),
        )  # fmt: skip


for team, title in (("marketing", "Marketing's commitments"), ("sales", "Sales' commitments")):
    st.subheader(title)
    items = card.of_team(team)
    for start in range(0, len(items), 4):
        row = items[start : start + 4]
        for column, c in zip(st.columns(4), row, strict=False):
            commitment(column, c)

# The funnel in one line, and where each number comes from.
st.subheader("The funnel in one line")
keys = [key for key, _, _ in metrics.SCORECARD[:-1]]
line = " → ".join(f"**{fmt.count(numbers[k]['value'])}** {numbers[k]['label']}" for k in keys)
revenue = numbers["won_revenue_usd"]
worth = fmt.usd(revenue["value"]) if revenue["value"] is not None else revenue["note"]
st.markdown(f"{line} · **{worth}** {words['won_revenue']}")
won = numbers["won_in_period"]
if ctx.filters.view != "flow":
    st.markdown(
        f"{won['label']}: **{fmt.plural(won['n_deals'], 'deal')}** · "
        f"**{fmt.usd(won['revenue_usd']) if won['revenue_usd'] is not None else won['note']}**, "
        "whoever's leads they were (the revenue Attribution credits)."
    )
links = st.columns(4)
for column, (target, label) in zip(
    links,
    (
        ("pages/funnel.py", "Funnel by source"),
        ("pages/quality.py", "Quantity vs quality"),
        ("pages/follow_up.py", "Follow-up"),
        ("pages/attribution.py", "Revenue attribution"),
    ),
    strict=True,
):
    column.page_link(target, label=label, query_params=ui.link_params(ctx.filters))
if ctx.filters.view != "flow":
    st.caption(
        "A cohort keeps converting after its period ends: later stages and revenue of a recent "
        "cohort are still growing (the agreement allows "
        f"{ctx.agreement.time_limits_days['opportunity_to_won']:g} days from opportunity to won)."
        " Count *Flow* to compare what happened in each period."
    )
st.plotly_chart(
    charts.stage_counts(tables.stage_counts(numbers), period.label, previous.label),
    width="stretch",
)

# The report for the feedback session: every section, for the filters on screen.
st.subheader("The feedback-session report")
st.caption(
    "One HTML file for the joint meeting: the summary and this scorecard, the funnel by source, "
    "quantity versus quality, follow-up and its breaches, discards and where every MQL is, "
    "attribution under eight models, and the lists to act on. It opens offline; the numbers are "
    "those of `python -m handoff metrics --json` for the same filters."
)
database, filters = ctx.db.database, ctx.filters


def build_report() -> bytes:
    return report.render(report.collect(database, filters)).encode("utf-8")


st.download_button(
    "Download the report (HTML)",
    data=build_report,
    file_name=f"handoff-report-{period.start:%Y-%m-%d}-to-"
    f"{period.end - dt.timedelta(days=1):%Y-%m-%d}.html",
    mime="text/html",
    icon=":material/download:",
    on_click="ignore",
)
