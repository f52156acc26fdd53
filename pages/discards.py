"""Discards & dispositions: how many MQLs sales accepted and discarded against the agreement,
why, what became of recycled leads, and where every MQL stands now."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import streamlit as st

from handoff import charts, drill, fmt, metrics, safe, tables, ui
from handoff.contract import GROUP_COLUMNS
from handoff.filters import VIEWS

ctx = ui.page(
    "Discards & dispositions",
    "Did sales accept enough of the MQLs and discard few enough, why were leads discarded, what "
    "became of leads sent back to nurture, and where does every MQL stand now?",
)
agreement = ctx.agreement
labels = agreement.stage_labels
period, previous = ctx.filters.period, ctx.filters.period.previous()
summary = metrics.discard_summary(ctx.db, ctx.filters)
now, before = summary["current"], summary["previous"]
if now["n_mql"] == 0:
    ui.no_leads(ctx)
ui.maturity_notice(ctx, ("mql_to_sal",))
mqls = summary["mqls"]
columns = {"group_1": "source"}

# The feedback session's numbers in one block.
stages = metrics.funnel_stages(ctx.db, ctx.filters).set_index("stage")["n_leads"]
st.markdown(
    f"**The {fmt.counted(now['n_mql'], mqls)}** and where they stand now · "
    f"{VIEWS[ctx.filters.view]}"
)
block = st.columns(8)
for column, (label, value, help_text) in zip(
    block,
    (
        ("Leads", int(stages.get("lead", now["n_mql"])), metrics.counting(ctx.filters)["counts"]),
        (f"{labels['mql']}s", now["n_mql"], mqls),
        ("Accepted", now["n_accepted"], f"reached {labels['sal']} by the data's end"),
        (labels["won"], now["n_won"], "disposition now: won"),
        ("Closed lost", now["n_lost"], "disposition now: lost"),
        ("Active", now["n_active"], "disposition now: still in the funnel"),
        ("Discarded now", now["n_now_discarded"], "disposition now: discarded (the discard "
         "rate also counts leads discarded and later revived)"),
        ("In nurture now", now["n_recycled"], "disposition now: recycled to marketing"),
    ),
    strict=True,
):  # fmt: skip
    column.metric(label, fmt.count(value), help=help_text)
st.caption(
    f"Won, lost, active, discarded now and in nurture now account for every one of the "
    f"{fmt.plural(now['n_mql'], 'MQL')}: their disposition at the data's end."
)


# Acceptance and discards against the agreement.
def status(is_met: bool | None, value: float | None, target: float, floor: bool) -> str:
    if value is None:
        return "no MQLs"
    word = "at least" if floor else "at most"
    return f"{'Met' if is_met else 'Missed'}: agreed {word} {fmt.rate(target)}"


a1, a2 = st.columns(2)
for column, key, name, target, floor in (
    (a1, "acceptance", "MQLs accepted by sales", summary["min_acceptance_rate"], True),
    (a2, "discard", "MQLs discarded", summary["max_discard_rate"], False),
):
    count = now["n_accepted"] if key == "acceptance" else now["n_discarded"]
    change = (
        None
        if before[f"{key}_rate"] is None or now[f"{key}_rate"] is None
        else f"{(now[f'{key}_rate'] - before[f'{key}_rate']) * 100:+.1f} pts vs {previous.label}"
    )
    column.metric(
        name,
        fmt.rate(now[f"{key}_rate"], 1),
        delta=change,
        delta_color="normal" if floor else "inverse",
        help=f"{count:,} of the {fmt.counted(now['n_mql'], mqls)}"
        + ("" if key == "acceptance" else ", discarded at any point")
        + "; 95% interval "
        f"{fmt.rate(now[f'{key}_low'])}–{fmt.rate(now[f'{key}_high'])}.",
    )
    verdict = status(now[f"{key}_met"], now[f"{key}_rate"], target, floor)
    color = "green" if now[f"{key}_met"] else "red"
    column.markdown(f":{color}[**{verdict}**] ({count:,} of the {fmt.counted(now['n_mql'], mqls)})")

# The same by group, with the targets drawn.
st.subheader("By source, campaign, owner and team")
by = ui.control(
    st.radio,
    "discards_by",
    "source",
    "Compare",
    options=list(GROUP_COLUMNS),
    horizontal=True,
)
groups = metrics.discard_by_group(ctx.db, ctx.filters, by)
g1, g2 = st.columns(2)
for column, key, name, target, target_label in (
    (g1, "acceptance", "Acceptance rate", summary["min_acceptance_rate"], "floor"),
    (g2, "discard", "Discard rate", summary["max_discard_rate"], "ceiling"),
):
    overall = now[f"{key}_rate"]
    count = "n_accepted" if key == "acceptance" else "n_discarded"
    verdicts = tables.versus(groups, key, overall, higher_is_better=key == "acceptance")
    column.plotly_chart(
        charts.rate_whiskers(
            tables.rate_rows(
                groups, groups["group_1"], key, count, "n_mql", tables.verdict_colors(verdicts)
            ),
            f"{name} by {by}",
            overall=overall,
            x_title=f"{name} (95% interval)",
            target=target,
            target_label=target_label,
        ),
        width="stretch",
        # A click on a group's dot narrows the page to it (the shared filter).
        **drill.filter_click(f"drill_{key}", {g: g for g in groups["group_1"].dropna()}, by),
    )
drill.hint(f"Click a dot to narrow every number to that {by}.")
drill.notice(by)
group_table = tables.discards_table(groups, by)
ui.table(
    group_table,
    hide_index=True,
    column_config={
        "Acceptance": ui.percent(group_table["Acceptance"], digits=0),
        "Discard rate": ui.percent(group_table["Discard rate"], digits=0),
    },
)
st.caption(
    "Green: better than overall, red: worse, only where the 95% interval excludes the overall "
    "rate. Dotted red lines: the agreement's floor and ceiling."
)


def discarded_leads(reason_options: list[str], group: str | None) -> None:
    """The MQLs discarded for one reason of the Pareto (its bar clicked, or picked here), with
    links to their journeys and CRM records, and their download."""
    reason = ui.control(
        st.selectbox,
        "discards_reason",
        reason_options[0],
        "Leads discarded as",
        options=reason_options,
    )
    listed = ctx.run(
        "discarded_leads",
        columns={"group_1": "source"},
        reason=reason,
        group=group,
        limit=10_000,
    )
    counts, listed = tables.split_totals(listed, "n_total")
    has_crm_score = "crm" in metrics.scores_available(ctx.db)
    listed = tables.lead_list(listed, has_crm_score).assign(
        account=lambda f: [fmt.account(a, labels) for a in f["account"]]
    )
    n_total = counts["n_total"]
    st.markdown(
        f"**{fmt.plural(n_total, 'MQL')}** of {period.label}"
        + (f" from {safe.md(group)}" if group else "")
        + f" discarded as “{safe.md(reason)}”"
        + (f" (showing the latest {len(listed):,})" if n_total > len(listed) else "")
        + ", latest discard first:"
    )
    columns = {
        "lead_id": "Lead",
        "owner": "Owner",
        "team": "Team",
        "source": "Source",
        "campaign": "Campaign",
        "handover_at": st.column_config.DatetimeColumn("Handed over", format="YYYY-MM-DD"),
        "discarded_at": st.column_config.DatetimeColumn("Discarded", format="YYYY-MM-DD"),
        "account": "Disposition now",
        **tables.SCORE_HEADINGS,
    }
    ui.show_lead_list(
        listed,
        ctx,
        columns,
        blanks="Disposition now: where the lead stands at the data's end (a discarded lead can "
        "come back and be won). –: none",
        has_crm_score=has_crm_score,
        download=f"Download the {fmt.plural(n_total, 'MQL')} discarded as “{safe.md(reason)}” "
        "(CSV)",
        file_name=f"discarded_{period.start}.csv",
    )


# Why leads were discarded.
st.subheader("Why leads were discarded")
sources = ["All sources", *groups["group_1"]] if by == "source" else ["All sources"]
source_pick = ui.control(
    st.selectbox, "discards_reason_source", "All sources", "Whose discards", options=sources
)
reasons = ctx.run(
    "discard_reasons",
    columns={"group_1": "source"},
    group=None if source_pick == "All sources" else source_pick,
)
if reasons.empty:
    st.info("No MQL of the period was discarded.")
else:
    reason_options = reasons["reason"].tolist()
    st.plotly_chart(
        charts.pareto(reasons, f"Discard reasons, most frequent first ({source_pick.lower()})"),
        width="stretch",
        # A click on a reason's bar lists its leads below (the page's own choice).
        **drill.on_click(
            "drill_discard_reasons", {r: r for r in reason_options}, "discards_reason", "x"
        ),
    )
    drill.hint("Click a reason's bar to list the MQLs discarded for it.")
    gap = reasons[reasons["reason"] == metrics.NO_REASON]
    if not gap.empty:
        st.warning(
            f"**{int(gap['n_discarded'].iloc[0]):,} discards ({fmt.rate(gap['share'].iloc[0])}) "
            "carry no reason.** That is a process gap: the agreement asks sales to record why, "
            "and marketing cannot learn from a discard without one."
        )
    discarded_leads(reason_options, None if source_pick == "All sources" else source_pick)

# Recycling: what became of the period's MQLs that were sent back to nurture.
st.subheader("Sent back to nurture")
recycling = ctx.run("recycling", columns=columns)
n_recycled = int(recycling["n_leads"].sum())
if n_recycled == 0:
    st.info(f"None of the {fmt.counted(now['n_mql'], mqls)} was sent back to nurture.")
else:
    st.markdown(
        f"**{n_recycled:,}** of the {fmt.counted(now['n_mql'], mqls)} "
        f"{'was' if n_recycled == 1 else 'were'} sent back to nurture "
        "at some point; where they are now:"
    )
    nurture_shares = recycling["n_leads"] / n_recycled * 100
    ui.table(
        recycling[["outcome", "n_leads", "median_days_in_nurture"]].assign(share=nurture_shares),
        hide_index=True,
        column_config={
            "outcome": "Where they are now",
            "n_leads": "Leads",
            "share": ui.percent(nurture_shares, "Share", digits=0),
            "median_days_in_nurture": st.column_config.NumberColumn(
                "Median days in nurture", format="%.0f"
            ),
        },
    )
    st.caption(
        "Still in nurture: the leads the block above counts as in nurture now. Back with sales: "
        "handed over again and active. Days in nurture run to the first stage or exit after the "
        "recycling, or to the data's end for leads still there."
    )

# The account of every lead.
st.subheader(f"Where every {labels['mql']} of {period.label} stands now")
accounts = ctx.run("dispositions", columns=columns)
st.plotly_chart(
    charts.accounts(
        accounts,
        now["n_mql"],
        f"The {fmt.plural(now['n_mql'], 'MQL')} by disposition at the data's end",
        labels,
    ),
    width="stretch",
)
ui.table(
    accounts[["account", "n_leads", "median_days_since_stage_change", "n_slipping"]].assign(
        account=[fmt.account(a, labels) for a in accounts["account"]]
    ),
    hide_index=True,
    column_config={
        "account": "Disposition",
        "n_leads": "MQLs",
        "median_days_since_stage_change": st.column_config.NumberColumn(
            "Median days since last stage change", format="%.0f"
        ),
        "n_slipping": "Slipping through the cracks",
    },
)
st.caption(
    f"The rows sum to {fmt.plural(int(accounts['n_leads'].sum()), 'MQL')}. Days since the last "
    "stage change are for active leads only (–: won, lost, discarded or recycled leads have left "
    "the funnel, or no lead is active at that stage)."
)

st.markdown(
    f"**Slipping through the cracks**: active leads with no sales activity for more than "
    f"{agreement.stale_after_days:g} days."
)
slipping = ctx.run("slipping_leads", columns=columns, limit=10_000)
counts, slipping = tables.split_totals(slipping, "n_total")
n_slipping = counts["n_total"]
if n_slipping == 0:
    st.success("None: every active MQL has been worked recently.")
else:
    has_crm_score = "crm" in metrics.scores_available(ctx.db)
    slipping = tables.lead_list(slipping, has_crm_score).assign(
        furthest_stage=lambda f: [fmt.stage(s, labels) for s in f["furthest_stage"]]
    )
    slipping_columns = {
        "lead_id": "Lead",
        "owner": "Owner",
        "team": "Team",
        "source": "Source",
        "campaign": "Campaign",
        "furthest_stage": "Stage",
        "handover_at": st.column_config.DatetimeColumn("Handed over", format="YYYY-MM-DD"),
        "last_stage_change_at": st.column_config.DatetimeColumn(
            "Last stage change", format="YYYY-MM-DD"
        ),
        "last_activity_at": st.column_config.DatetimeColumn(
            "Last sales activity", format="YYYY-MM-DD"
        ),
        "days_without_activity": st.column_config.NumberColumn(
            "Days without activity", format="%.0f"
        ),
        **tables.SCORE_HEADINGS,
    }
    ui.show_lead_list(
        slipping,
        ctx,
        slipping_columns,
        blanks="–: none. Last sales activity –: no sales activity at all since the hand-over",
        has_crm_score=has_crm_score,
        download=f"Download the {n_slipping:,} leads slipping through the cracks (CSV)",
        file_name=f"slipping_{period.start}.csv",
    )
