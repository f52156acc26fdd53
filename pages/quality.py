"""Quantity vs quality: which sources and campaigns bring volume, which bring quality, at what
cost, and whether the agreed lead score predicts conversion."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import pandas as pd
import streamlit as st

from handoff import charts, drill, fmt, metrics, safe, tables, ui

ctx = ui.page(
    "Quantity vs quality",
    "Which sources and campaigns bring many leads, which bring good ones, what does each cost, "
    "and does the agreed lead score predict who converts?",
)
labels = ctx.agreement.stage_labels
MEASURES = {
    "mql": f"{labels['mql']} rate",
    "sal": f"{labels['sal']} rate",
    "sql": f"{labels['sql']} rate",
    "won": f"{labels['won']} rate",
    "revenue_per_lead": "Revenue per lead",
}

c1, c2, c3 = st.columns(3)
with c1:
    by = ui.control(
        st.radio,
        "quality_by",
        "source",
        "Compare",
        options=["source", "campaign"],
        format_func=lambda b: f"by {b}",
        horizontal=True,
    )
with c2:
    measure = ui.control(
        st.selectbox,
        "quality_measure",
        "sql",
        "Quality measure",
        options=list(MEASURES),
        format_func=MEASURES.get,
    )
with c3:
    size_by = ui.control(
        st.radio,
        "quality_size",
        "revenue",
        "Bubble size",
        options=["revenue", "cost"],
        format_func={"revenue": "won revenue", "cost": "spend"}.get,
        horizontal=True,
    )

groups = metrics.quality_by_group(ctx.db, ctx.filters, by)
period = ctx.filters.period
if groups["n_lead"].sum() == 0:
    ui.no_leads(ctx)
overall = metrics.quality_overall(groups)
st.markdown(
    f"**{period.label}** · counting {metrics.counting(ctx.filters)['counts']} · rates are "
    f"shares of each {by}'s leads reaching the stage"
)
ui.maturity_notice(ctx, ("lead_to_mql", "lead_to_sal", "lead_to_sql", "lead_to_won"))

# The trade-off: volume against quality, one bubble per source or campaign.
is_rate = measure != "revenue_per_lead"
st.plotly_chart(
    charts.tradeoff(
        tables.tradeoff_rows(
            groups,
            f"{measure}_rate" if is_rate else "revenue_per_lead_usd",
            measure if is_rate else None,
            "won_amount_usd" if size_by == "revenue" else "cost_usd",
        ),
        overall["leads_per_group"],
        overall["revenue_per_lead" if not is_rate else measure],
        MEASURES[measure],
        "Won revenue" if size_by == "revenue" else "Spend",
        is_rate=is_rate,
    ),
    width="stretch",
    # A click on a bubble narrows the page to that source or campaign (the shared filter).
    **drill.filter_click(
        "drill_quality", {n: n for n in groups["group_name"].dropna()}, by, field="text"
    ),
)
drill.hint(
    f"Click a bubble to narrow every number to that {by}. On a phone the bubbles are not "
    f"labelled (a dozen names would print on one another): tap one for its {by}, or see the "
    "table below."
)
drill.notice(by)
# On a screen narrower than a tablet the bubbles' names print on one another: hidden there,
# each still shows in its hover (a tap) and the table.
st.html(
    "<style>@media (max-width: 640px) {"
    ".st-key-drill_quality .scatterlayer .textpoint {display: none;}"
    "}</style>"
)
st.caption(
    f"Dashed lines: the average {by} ({fmt.count(overall['leads_per_group'])} leads) and the "
    f"overall {MEASURES[measure]} "
    f"({fmt.rate(overall[measure]) if is_rate else fmt.usd(overall['revenue_per_lead'])}). "
    "Whiskers: 95% intervals; a small group's wide whisker means its rate could be far off."
    + (" Groups without spend data have no bubble size." if size_by == "cost" else "")
)


# The numbers, per group: volume and quality with counts and intervals; then spend, return and
# costs. Two tables, the group pinned in each: the cost and return columns are on screen, not
# past the rates' sixteen columns.
table = tables.quality_table(groups, by, labels, MEASURES)
ui.table(
    table,
    hide_index=True,
    column_config={
        by.capitalize(): st.column_config.Column(pinned=True),
        **{MEASURES[k]: ui.percent(table[MEASURES[k]]) for k, _, _ in metrics.QUALITY_RATES},
        "Leads": st.column_config.NumberColumn(format="localized"),
        "Revenue per lead": ui.dollars(),
        "Median days to win": st.column_config.NumberColumn(format="%.0f"),
    },
)
st.markdown(f"**What each {by} cost and returned**")
money = tables.quality_money_table(groups, by)
ui.table(
    money,
    hide_index=True,
    column_config={
        by.capitalize(): st.column_config.Column(pinned=True),
        "Won revenue": ui.dollars(),
        "Return on spend": st.column_config.NumberColumn(format="%.2f×"),
        **{c: ui.dollars() for c in money if c.startswith("Cost per")},
    },
)
if ctx.filters.owners or ctx.filters.teams or ctx.filters.attributes:
    st.caption(
        "Spend is recorded per source and campaign, not per owner, team or lead attribute: "
        "with those filters on, costs are not shown."
    )
else:
    st.caption(
        "Spend counts the months of the period (a month partly in it by its share of days). "
        "'no spend data' means no spend was recorded, not that it was free; a cost per stage "
        "or a return reads – where there is no spend, or nothing reached that stage, to divide by."
    )

# Quality over time for the chosen groups.
st.subheader(f"{MEASURES[measure]} month by month")
with_leads = groups[groups["n_lead"] > 0]
largest = list(with_leads.sort_values("n_lead", ascending=False)["group_name"].head(5))
picked = ui.control(
    st.multiselect,
    f"quality_trend_{by}",
    largest,
    f"Which {by}s",
    options=list(with_leads["group_name"]),
)
months = ui.control(st.slider, "quality_months", 12, "Cohort months", min_value=3, max_value=24)
trend = ctx.run("quality_trend", columns={"group_1": by}, trend_months=months)
trend = tables.quality_trend_rows(trend, measure, picked)
st.plotly_chart(
    charts.trend_lines(
        trend,
        f"{MEASURES[measure]} by cohort month",
        MEASURES[measure],
        y_format=".0%" if is_rate else "$,.0f",
    ),
    width="stretch",
)
st.caption(
    "Hollow, dotted points are immature: the month's leads have not yet had the time the "
    "agreement allows to get that far, so the value is still rising."
)

# Marketing's support after hand-over: did marketing keep touching the leads sales took over,
# and did those convert more often? Here, beside the sources' quality: it is marketing's work,
# judged per source, for the marketers who read this page.
st.subheader("Does marketing keep supporting the leads it handed over?")
support = metrics.support(ctx.db, ctx.filters)
o = support["overall"]
if not support["has_touch_data"]:
    st.info(
        f"No touch data: {fmt.count(o['n_handed_over'])} MQLs were handed over in "
        f"{period.label}, but the export holds no marketing touches, so support after hand-over "
        "cannot be judged."
    )
elif o["n_handed_over"] == 0:
    st.info(f"No MQLs were handed over in {period.label} for these filters.")
else:
    st.markdown(
        f"The **{metrics.counting(ctx.filters)['handed_over']}** (dated by the hand-over, "
        "whatever the view). A lead counts as supported when marketing touched it after its "
        f"hand-over, within {support['window_days']:g} days (the agreement's support window) "
        "and while it was still open: before it was won, lost, discarded or recycled."
    )
    helps = {
        "supported": "Of the leads handed over, those marketing touched after the hand-over.",
        "sql_supported": f"Of the leads that kept receiving touches, those that reached "
        f"{labels['sql']}.",
        "sql_unsupported": f"Of the leads that did not, those that reached {labels['sql']}.",
        "won_supported": "Of the leads that kept receiving touches, those won.",
        "won_unsupported": "Of the leads that did not, those won.",
    }
    c1, c2, c3, c4, c5 = st.columns(5)
    for column, label, key, k, n in (
        (c1, "Kept receiving touches", "supported", "n_supported", "n_handed_over"),
        (c2, f"{labels['sql']}: with touches", "sql_supported", "n_sql_supported", "n_supported"),
        (c3, f"{labels['sql']}: without", "sql_unsupported", "n_sql_unsupported", "n_unsupported"),
        (c4, f"{labels['won']}: with touches", "won_supported", "n_won_supported", "n_supported"),
        (c5, f"{labels['won']}: without", "won_unsupported", "n_won_unsupported", "n_unsupported"),
    ):
        with column:
            st.metric(label, fmt.rate(o[f"{key}_rate"], 1), help=safe.md(helps[key]))
            band = fmt.interval(o[f"{key}_low"], o[f"{key}_high"])
            st.caption(
                f"{fmt.count(o[k])} of {fmt.count(o[n])}" + (f" · 95% {band}" if band else "")
            )
    st.info(safe.md(metrics.SUPPORT_CAUTION))
    support_by = ui.control(
        st.radio,
        "quality_support_by",
        "source",
        "Break down by",
        options=["source", "stage"],
        format_func={"source": "source", "stage": "furthest stage now"}.get,
        horizontal=True,
    )
    rows = pd.DataFrame(support[f"by_{support_by}"])
    heading = "Source" if support_by == "source" else "Furthest stage"
    support_rows = tables.support_table(rows, heading, labels)
    ui.table(
        support_rows,
        width="stretch",
        column_config={
            "Handed over": st.column_config.NumberColumn(format="localized"),
            "Kept receiving touches": st.column_config.NumberColumn(format="localized"),
            "Share": ui.percent(support_rows["Share"]),
        },
    )
    st.caption(
        "With: the leads that kept receiving touches; without: the others. "
        f"{labels['sql']} and {labels['won']} mean reached by the data's end. The furthest stage "
        "is where the lead got to by the data's end. A lead handed over less than "
        f"{support['window_days']:g} days before the data's end has had less time to be touched."
    )

# Does the agreed score predict conversion? The CRM's own, or Handoff's from the agreement's rules.
st.subheader("Does the lead score predict conversion?")
available = metrics.scores_available(ctx.db)
if not available:
    st.info(
        "The export has no lead scores and the agreement no [scoring] section: there is no score "
        "to check. Add scoring rules to the agreement to have Handoff score every lead."
    )
    st.stop()
score_by = (
    ui.control(
        st.radio,
        "quality_score",
        available[0],
        "Score to check",
        options=available,
        format_func=metrics.SCORES.get,
        horizontal=True,
        help="The CRM's score is the export's own; Handoff's is computed from the agreement's "
        "scoring rules for every lead as of its hand-over (only touches and activities before it "
        "count).",
    )
    if len(available) > 1
    else available[0]
)
score_name = metrics.SCORES[score_by]
if len(available) == 1:
    st.caption(f"Checking {score_name}, the only one there is.")
else:
    # The two scores side by side: which ranks the period's converters better?
    side = metrics.score_auc_side_by_side(ctx.db, ctx.filters, available)
    st.caption(
        "Side by side, the ROC area (0.5: no better than a coin toss; 1.0: ranks every converted "
        "lead above the rest) "
        + "; ".join(
            f"for {name}: "
            + ", ".join(
                f"{metrics.SCORES[r.score_by]} "
                + ("– (no pair to rank)" if pd.isna(r.auc) else f"{r.auc:.2f}")
                for r in side[side["outcome"] == outcome].itertuples()
            )
            for outcome, name in (("sql", f"reaching {labels['sql']}"), ("won", "winning"))
        )
        + "."
    )
calibration = metrics.score_calibration(ctx.db, ctx.filters, score_by)
bands = calibration["bands"]
scored = bands[bands["band"] != "(no score)"]
unscored = int(bands.loc[bands["band"] == "(no score)", "n_leads"].sum())
n_leads = int(bands["n_leads"].sum())
if scored.empty:
    st.info(f"None of the {fmt.count(n_leads)} leads of {period.label} has {score_name}.")
    st.stop()
auc = calibration["auc"].set_index("outcome")
a1, a2, a3 = st.columns(3)
for column, outcome, name in ((a1, "sql", "reaching SQL"), (a2, "won", "winning")):
    value = auc.loc[outcome, "auc"] if outcome in auc.index else None
    column.metric(
        f"Score's ROC area for {name}",
        "–" if value is None or pd.isna(value) else f"{value:.2f}",
        help=f"Of {score_name}: the chance that a lead that converted scored higher than one that "
        "did not (ties count half): 0.5 is a coin toss, 1 is perfect. "
        f"{fmt.count(auc.loc[outcome, 'n_converted']) if outcome in auc.index else 0} converted, "
        f"{fmt.count(auc.loc[outcome, 'n_not_converted']) if outcome in auc.index else 0} not.",
    )
a3.metric("Leads without a score", fmt.count(unscored), help=f"of {fmt.count(n_leads)} leads")
st.caption(
    "The ROC area says how well the score ranks leads: pick one lead that converted and one that "
    "did not; it is the chance the converted one scored higher. 0.5 means the score ranks no "
    "better than a coin toss, 1.0 that every lead that converted scored above every lead that "
    "did not; the closer to 1.0, the better the score tells them apart."
)
st.plotly_chart(
    charts.rates_by_category(
        bands, "band", f"Conversion by band of {score_name}, with 95% intervals", "Score band"
    ),
    width="stretch",
)
st.caption(
    "Bands "
    + ("from the agreement" if score_by == "crm" and ctx.agreement.score_bands else "by decile")
    + "; leads without a score are their own band. Counts are converted / leads in the band."
)

thresholds = calibration["thresholds"]
total_sql = int(bands["n_sql"].sum())
total_won = int(bands["n_won"].sum())
# The agreement's MQL threshold is on the CRM's score; Handoff's has none yet.
current = ctx.agreement.score_threshold if score_by == "crm" else None
st.plotly_chart(
    charts.threshold_curve(thresholds, current, total_sql, total_won),
    width="stretch",
)
low, high = float(thresholds["threshold"].min()), float(thresholds["threshold"].max())
threshold = ui.control(
    st.slider,
    "quality_threshold" if score_by == "crm" else "quality_threshold_handoff",
    float(min(max(current or low, low), high)),
    f"What if the MQL threshold on {score_name} were",
    min_value=low,
    max_value=max(high, low + 1),
    step=1.0,
    format="%g",
)
what_if = metrics.score_what_if(ctx.db, ctx.filters, threshold, score_by)
agreed = (
    " (the agreed threshold)"
    if current is not None and threshold == current
    else (f" (the agreement's is {current:g})" if current is not None else "")
)
st.markdown(
    f"**If only leads scoring {threshold:g} or more{agreed} became MQLs:** sales would have "
    f"received **{fmt.count(what_if['n_handed_over_at_threshold'])}** of this period's leads as "
    f"MQLs, against the {fmt.plural(what_if['n_handed_over_now'], 'MQL')} it really received. "
    f"Of the {fmt.plural(what_if['n_sql'], 'lead')} that reached {labels['sql']}, "
    f"**{fmt.count(what_if['n_sql_missed'])}** scored below {threshold:g} and would never have "
    f"reached sales (nor would {fmt.count(what_if['n_won_missed'])} of the "
    f"{fmt.plural(what_if['n_won'], 'win')}). {fmt.plural(what_if['n_unscored'], 'lead')} "
    "without a score cannot be judged by a threshold."
)

# Which of the agreed scoring rules tell converting MQLs apart?
if ctx.agreement.scoring is not None:
    st.subheader("What each scoring rule gives")
    outcome = ui.control(
        st.radio,
        "quality_rule_outcome",
        "sql",
        "Converted means",
        options=["sql", "won"],
        format_func={"sql": f"reached {labels['sql']}", "won": f"{labels['won'].lower()}"}.get,
        horizontal=True,
    )
    for gap in metrics.scoring_gaps(ctx.db):
        st.warning(safe.md(gap))
    contributions = metrics.score_rule_contributions(ctx.db, ctx.filters)
    rules = tables.rule_contributions_table(contributions, outcome)
    if rules.empty:
        st.info(f"No {labels['mql']}s among the leads of {period.label}.")
    else:
        ui.table(
            rules,
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(format="%.1f")
                for c in ("Converted: points each", "Not converted: points each")
            },
        )
        st.caption(
            f"Of the {labels['mql']}s among {period.label}'s leads: the points each rule gave "
            "(before the caps, as of the hand-over), averaged over the converted MQLs and over "
            "the rest, 0 where the rule gave none; the counts say how many it gave points to. "
            "A rule that gives converted MQLs more points than the rest helps the score rank "
            "them."
        )
