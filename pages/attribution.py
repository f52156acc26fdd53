"""Attribution: which channels, campaigns and sources earn the revenue and the pipeline under
eight models, and where the models disagree."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import streamlit as st

from handoff import attribution, charts, drill, fmt, metrics, safe, tables, ui

ctx = ui.page(
    "Attribution",
    "Which channels, campaigns and sources earn the revenue and the pipeline, under each of eight "
    "attribution models, and where does the answer depend on the model?",
)
agreement = ctx.agreement
period = ctx.filters.period

c1, c2, c3, c4 = st.columns(4)
with c1:
    revenue = ui.control(
        st.radio,
        "attribution_revenue",
        "won",
        "Credit",
        options=["won", "pipeline"],
        format_func={
            "won": "revenue won in the period",
            "pipeline": "open pipeline created in it",
        }.get,
    )
with c2:
    by = ui.control(
        st.radio,
        "attribution_by",
        "channel",
        "To",
        options=["channel", "campaign", "source"],
        format_func={
            "channel": "the touch's channel",
            "campaign": "the touch's campaign",
            "source": "the lead's source",
        }.get,
    )
with c3:
    lookback = ui.control(
        st.number_input,
        "attribution_lookback",
        float(agreement.lookback_days),
        "Lookback window (days)",
        min_value=1.0,
        max_value=730.0,
        step=1.0,
        format="%g",
    )
with c4:
    half_life = ui.control(
        st.number_input,
        "attribution_half_life",
        float(agreement.half_life_days),
        "Time-decay half-life (days)",
        min_value=0.5,
        max_value=365.0,
        step=0.5,
        format="%g",
    )
if lookback != agreement.lookback_days or half_life != agreement.half_life_days:
    st.caption(
        f"What-if: the agreement says {agreement.lookback_days:g} days of lookback and a "
        f"{agreement.half_life_days:g}-day half-life."
    )


def crm_report() -> None:
    """What the CRM's own report says: the source written on each deal takes all its revenue."""
    recorded = attribution.recorded_sources(ctx.db, ctx.filters, revenue)
    st.markdown("**What the CRM's own report says**")
    if recorded.empty:
        st.info(f"No {what} in {period.label} for these filters.")
        return
    shares = recorded["revenue_share"] * 100
    ui.table(
        recorded.assign(revenue_share=shares),
        hide_index=True,
        column_config={
            "source": "Source recorded on the deal",
            "n_deals": st.column_config.NumberColumn("Deals", format="localized"),
            "revenue_usd": ui.dollars("Revenue"),
            "revenue_share": ui.percent(shares, "Share"),
            "n_unlike_lead_source": st.column_config.NumberColumn(
                "Deals unlike their lead's source", format="localized"
            ),
        },
    )
    n_unlike = int(recorded["n_unlike_lead_source"].sum())
    st.caption(
        f"The same {what} by the lead source written on each deal (Salesforce's Opportunity "
        "LeadSource, a Zoho potential's Lead Source), as a CRM report shows it: one source takes "
        "a whole deal. Where no deal records a source, the lead's source stands in. "
        + (
            f"{fmt.plural(n_unlike, 'deal')} name a different source than their lead's."
            if n_unlike
            else "Every deal names its lead's source."
        )
    )


what = "won revenue" if revenue == "won" else "open pipeline"
if not metrics.dataset(ctx.db)["has_touch_data"]:
    # Without touches no model has anything to credit: lead with what the CRM says.
    st.info(
        "**No touch data.** This export has no marketing touches (campaign members, form fills, "
        "e-mail clicks), so no attribution model can share the revenue among channels. Here is "
        "what the CRM itself reports; import touches to compare the eight models."
    )
    crm_report()
    st.stop()

result = attribution.compare(ctx.db, ctx.filters, revenue, by, lookback, half_life)
credit, totals, journeys = result["credit"], result["totals"], result["journeys"]
if not totals["n_events"]:
    st.info(
        f"No {'deal was won' if revenue == 'won' else 'open deal was created'} in {period.label} "
        "for these filters. Choose a longer period or clear a filter."
    )
    st.stop()
counted = (
    f"won in {period.label} (deals closed in it, whenever their leads came in)"
    if revenue == "won"
    else f"open pipeline created in {period.label}"
)
st.markdown(
    f"**{fmt.usd(totals['revenue_usd'])}** {counted}, from "
    f"{fmt.plural(int(totals['n_events']), 'deal')}; every model shares all of it. "
    + (
        f"{fmt.usd(totals['revenue_without_touch_usd'])} "
        f"({fmt.plural(int(totals['n_events_without_touch']), 'deal')}) had no touch in the "
        f"{lookback:g} days before and shows as “(no touch)”."
        if totals["n_events_without_touch"]
        else ""
    )
)

if totals["n_events_without_touch"] == totals["n_events"]:
    st.info(
        f"None of these deals has a marketing touch in the {lookback:g} days before it "
        "converted, so every model credits all of it to “(no touch)”: import touches (campaign "
        "members, form fills, e-mail clicks) to compare the models. Further down, the CRM's own "
        "report shows the revenue by the source recorded on each deal."
    )

# The linear model's credit (the table's share credited), the largest groups and the rest as
# "others"; every model's credit in the hover and the table below.
st.plotly_chart(
    charts.credit_bars(
        credit,
        "linear",
        attribution.MODELS,
        totals["revenue_usd"],
        f"{what.capitalize()} credited to each {by} (linear model), USD",
        f"{what.capitalize()} credited (USD)",
    ),
    width="stretch",
    # Credited to the lead's source, a click on a source's bars narrows the page to it (the
    # shared filter); a touch's channel or campaign is not a lead's, so those bars do nothing.
    **(
        drill.filter_click(
            "drill_attribution",
            {g: g for g in credit["group_name"] if g != attribution.NO_TOUCH},
            "source",
        )
        if by == "source"
        else {}
    ),
)
if by == "source":
    drill.hint("Click a source's bars to narrow every number to that source.")
    drill.notice("source")
sentences = attribution.reading(credit)
if sentences:
    st.markdown("**Where the story depends on the model**")
    st.markdown("\n".join(f"- {safe.md(s)}" for s in sentences))

# The table: each model's credit, the spread, the ranks and the influence.
table = tables.attribution_table(credit, by, totals["revenue_usd"])
money = {
    c: ui.dollars()
    for c in table
    if c
    not in (
        by.capitalize(),
        "Rank (best–worst)",
        "Deals touched",
        "Share credited (linear)",
        "Share touched",
    )
}
ui.table(
    table,
    hide_index=True,
    column_config={
        **money,
        "Share credited (linear)": ui.percent(table["Share credited (linear)"]),
        "Share touched": ui.percent(table["Share touched"]),
    },
)
st.caption(
    "Influence: the deals a group touched at all in their window and their revenue, next to the "
    "share it is credited; a group can touch most deals and still be credited little. Ranks go "
    "from 1 (most credit) across the eight models."
)

crm_report()

# How each model works, and the Markov model's data.
with st.expander("How the eight models share a deal's revenue"):
    st.markdown(
        f"""
- **First touch** / **Last touch**: all of it to the first / last touch in the {lookback:g} days
  before the conversion.
- **Linear**: equal shares to every touch.
- **U-shaped**: 40% to the first touch, 40% to the lead-creation touch (the last at or before the
  lead was created), 20% over the others.
- **W-shaped**: 30% each to the first, lead-creation and opportunity-creation touches, 10% over
  the others.
- **Full path**: 22.5% each to those three and the last touch, 10% over the others.
- **Time decay**: a touch's weight halves every {half_life:g} days before the conversion.
- **Markov**: the share of conversions lost when a {by} is removed from the journeys
  (first-order removal effect).

Milestones that fall on the same touch add up; a missing part's share is spread over the parts
present. A deal with no touch in the window is credited to “(no touch)” by every model.
"""
    )
rate = journeys["conversion_rate"]
st.caption(
    f"The Markov model learned from {fmt.count(journeys['n_journeys'])} journeys (leads with a "
    f"touch in the {lookback:g} days before the period or in it), "
    f"{fmt.count(journeys['n_converted'])} of which converted "
    f"({fmt.rate(rate, 1) if rate is not None else '–'})."
)
