"""Definitions: the agreement in plain language, the playbook both teams read from."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import streamlit as st

from handoff import agreement as agreement_mod
from handoff import contract, fmt, metrics, revenue_goal, safe, tables, ui
from handoff.db import agreement_path_from_env

ctx = ui.page(
    "Definitions",
    "What did sales and marketing agree: stages, follow-up, time limits, targets and goals? "
    "Every number in Handoff is counted this way.",
)

for section, sentences in agreement_mod.plain_language(ctx.agreement):
    st.subheader(section)
    st.markdown("\n".join(f"- {s}" for s in sentences))

# The agreement's history: each version, when it was in force, who changed it, why and what.
st.subheader("History")
versions = ctx.agreement.versions
st.markdown(
    f"**In force: {safe.md(ctx.agreement.version.label)}.** "
    + (
        "The agreement has not changed since it was agreed."
        if len(versions) == 1
        else f"{fmt.plural(len(versions) - 1, 'change')} since it was agreed. Each lead is "
        "judged by the version in force at its hand-over (the MQL-by-score rule at its "
        "creation); a period that spans a change takes each version's targets for its own days. "
        "Stage labels, time limits, score bands, the attribution window and the revenue goal "
        "say how the data is read: the latest version's apply to every period."
    )
)
for row in tables.agreement_history(ctx.agreement).to_dict("records"):
    who = "" if row["Changed by"] == "–" else f" · changed by {safe.md(row['Changed by'])}"
    st.markdown(
        f"**Version {row['Version']:d}** · from {safe.md(row['From'])} · "
        f"{safe.md(row['Until'])}{who}: "
        f"*{safe.md(row['Why'])}*  \n{safe.md(row['What changed'])}"
    )

# Which days does the business clock stop on, in the years the data spans?
years = metrics.data_years(ctx.db)
st.subheader("Holidays")
st.caption(safe.md(agreement_mod.holidays_in_words(ctx.agreement, years)))
if days_off := ctx.agreement.business_hours.holidays_in(years):
    st.dataframe(days_off, hide_index=True)

# What does sales' revenue goal ask of marketing, at the team's own rates? (Only with a
# [revenue_goal] section: the proposed marketing commitment beside the MQL goal in force.)
goal = revenue_goal.worked_back(ctx.db)
if goal is not None:
    st.subheader("The MQL goal worked back from revenue")
    st.markdown(f"**{safe.md(tables.revenue_goal_line(goal))}**")
    o, window = goal["overall"], goal["window"]
    lines = [
        f"Sales' goal: {fmt.usd(goal['goal']['usd'])} won a "
        + (
            "quarter (`revenue_goal.per_quarter`)."
            if goal["goal"]["period"] == "quarter"
            else "month (`revenue_goal.per_month`)."
        )
    ]
    if window is not None:
        lines.append(
            f"Learnt from the MQLs handed over in {safe.md(window['label'])}: the latest "
            f"{fmt.plural(window['months'], 'month')} whose hand-overs have had the "
            f"{goal['mature_after_days']:g} days the agreement allows from MQL to won "
            "(`revenue_goal.window_months`)."
        )
    if o is not None and o["n_mql"]:
        lines.append(
            f"MQL → won: {fmt.count(o['n_won'])} of {fmt.count(o['n_mql'])} "
            f"({fmt.rate(o['won_rate'], 1)}, 95% interval "
            f"{fmt.interval(o['won_low'], o['won_high'])})."
        )
    if o is not None and o["deal_size_usd"] is not None:
        days = o["median_mql_to_won_days"]
        lines += [
            f"Deal size: {fmt.usd(o['deal_size_usd'])}, the window's won revenue "
            f"{fmt.usd(o['won_amount_usd'])} over its "
            f"{fmt.plural(o['n_won_with_amount'], 'won MQL')} with an amount; revenue per MQL "
            f"{fmt.usd(o['revenue_per_mql_usd'])}.",
            f"MQLs needed = goal / (MQL → won rate × deal size), rounded up; the range puts the "
            f"interval's ends in place of the rate: {fmt.count(o['mqls_needed_low'])} at "
            f"{fmt.rate(o['won_high'], 1)}, {fmt.count(o['mqls_needed_high'])} at "
            f"{fmt.rate(o['won_low'], 1)}.",
            f"Cycle time: a won MQL took {days:,.1f} days from hand-over to win (median), so the "
            "MQLs a month's revenue needs are handed over that long before it.",
        ]
    if o is not None and o["mqls_needed"] is not None:
        change = o["mqls_needed_per_month"] - goal["mql_goal_per_month"]
        lines.append(
            f"The proposed marketing commitment: **{fmt.count(o['mqls_needed_per_month'])} MQLs a "
            f"month** ({fmt.count(o['mqls_needed_per_month_low'])}–"
            f"{fmt.count(o['mqls_needed_per_month_high'])}), against "
            f"{fmt.count(goal['mql_goal_per_month'])} in force "
            f"(`mql_goal.per_month`): "
            + (
                f"{fmt.count(abs(change))} {'more' if change > 0 else 'fewer'}."
                if change
                else "the same."
            )
        )
    else:
        lines.append(
            f"No number is worked back: {safe.md(goal['note'])}. The MQL goal in force stays "
            f"{fmt.count(goal['mql_goal_per_month'])} a month (`mql_goal.per_month`)."
        )
    st.markdown("\n".join(f"- {line}" for line in lines))
    if o is not None and o["n_mql"]:  # per source only where the window has hand-overs
        st.dataframe(
            tables.revenue_goal_sources(goal),
            hide_index=True,
            height=38 + 35 * len(goal["by_source"]),  # every source, no inner scroll
        )
        st.caption(
            "Per source, a month's overall number is shared out two ways, each with its range: by "
            "today's mix (each source's share of the window's MQLs) and by quality (each "
            "source's won revenue per MQL over the sum of all sources' revenue per MQL, so the "
            "MQLs lean to the sources that turn into revenue; a source with no won deal in the "
            "window gets none). Goal in force: `mql_goal.by_source`. Counted over the whole "
            "team, whatever the filters."
        )

st.subheader("The agreement file")
st.caption(
    f"{safe.md(agreement_path_from_env())}: edit it, and every page counts by the new terms on "
    "its next run. Its keys:"
)
st.dataframe(
    [
        {
            "key": k.path,
            "required": "yes" if k.required else "no",
            "expected": k.expected,
            "meaning": k.doc,
        }
        for k in agreement_mod.KEYS
    ],
    hide_index=True,
)
with st.expander("The file as written"):
    st.code(agreement_path_from_env().read_text(encoding="utf-8"), language="toml")

st.subheader("The data contract")
st.markdown(contract.markdown_table())
