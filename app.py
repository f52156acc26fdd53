"""Home: the scorecard of the selected period, against the one before and marketing's goal."""

import streamlit as st

from handoff import charts, fmt, metrics, ui
from handoff.contract import STAGES
from handoff.filters import VIEWS

ctx = ui.page(
    "Scorecard",
    "How many leads did marketing hand over and sales move forward in the period, compared "
    "with the period before and with marketing's MQL goal?",
)
numbers = metrics.home(ctx.db, ctx.filters)
period, previous = ctx.filters.period, ctx.filters.period.previous()
st.markdown(f"**{period.label}** compared with **{previous.label}** · {VIEWS[ctx.filters.view]}")

if numbers["leads"]["value"] == 0 and numbers["mqls"]["value"] == 0:
    ui.no_leads(ctx, stop=False)

if ctx.filters.view != "flow":
    st.caption(
        "A cohort keeps converting after its period ends: later stages and revenue of a recent "
        "cohort are still growing (the agreement allows "
        f"{ctx.agreement.time_limits_days['opportunity_to_won']:g} days from opportunity to won)."
        " Count *Flow* to compare what happened in each period."
    )

# The funnel's counts and won revenue, each against the previous period.
columns = st.columns(len(metrics.SCORECARD))
for column, (key, _, label) in zip(columns, metrics.SCORECARD, strict=True):
    m = numbers[key]
    is_money = key == "won_revenue_usd"
    show = fmt.usd if is_money else fmt.count
    column.metric(
        label,
        show(m["value"]),
        delta=fmt.change(m["change"], m["change_rate"], money=is_money),
        help=f"{previous.label}: {show(m['previous'])}",
    )

# Marketing's volume commitment: MQLs handed over against the goal.
st.subheader("MQLs handed over against marketing's goal")
goal = numbers["mql_goal"]
if goal["goal"] is None:
    st.info(f"No MQL goal applies here: {goal['scope']}.")
else:
    verdict = "Met" if goal["is_met"] else "Missed"
    st.markdown(
        f"**{verdict}:** {fmt.count(goal['handed_over'])} MQLs handed over against a goal of "
        f"{fmt.count(goal['goal'])} ({fmt.rate(goal['attainment_rate'])}; "
        f"{goal['months']:g} month{'' if goal['months'] == 1 else 's'} × the monthly goal of "
        f"{fmt.count(goal['monthly_goal'])}, {goal['scope']})."
    )
    st.plotly_chart(
        charts.goal_bullet(goal["handed_over"], goal["goal"], "MQLs handed over"),
        width="stretch",
        config={"displayModeBar": False},
    )

# Where the period's leads stand, stage by stage.
stages = [key for key, _, _ in metrics.SCORECARD[:-1]]
st.plotly_chart(
    charts.stage_counts(
        stages=list(STAGES),
        labels=[numbers[k]["label"] for k in stages],
        current=[numbers[k]["value"] for k in stages],
        previous=[numbers[k]["previous"] for k in stages],
        current_label=period.label,
        previous_label=previous.label,
    ),
    width="stretch",
)
