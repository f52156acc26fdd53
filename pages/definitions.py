"""Definitions: the agreement in plain language, the playbook both teams read from."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import datetime as dt

import streamlit as st

from handoff import (
    access,
    changelog,
    contract,
    editor,
    fmt,
    metrics,
    revenue_goal,
    safe,
    tables,
    ui,
)
from handoff import agreement as agreement_mod
from handoff.db import Database, agreement_path_from_env, db_path_from_env

ctx = ui.page(
    "Definitions",
    "What did sales and marketing agree: stages, follow-up, time limits, targets and goals? "
    "Every number in Handoff is counted this way.",
)

# The glossary first: what each word means in this team's terms, with the agreement's own
# numbers and each team's words (agreement.glossary), for anyone who reads Handoff's pages.
st.subheader("Glossary")
st.caption(
    "The words on every page, in this agreement's terms. The full agreement, its history and, "
    "for admins, the file's keys and the data contract follow below."
)
for term in agreement_mod.glossary(ctx.agreement):
    heading = f"**{safe.md(term.name)}**"
    if term.usual:
        heading += f" · the usual term: {safe.md(term.usual)}"
    said = f"  \n*{safe.md(term.said)}*" if term.said else ""
    st.markdown(f"{heading}{said}  \n{safe.md(term.meaning)}")

st.header("The agreement in full")
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
# Who saved each version and when, from the agreement's change log (handoff.changelog); a
# version written into the file by hand has no line there.
saved_by = changelog.saved_by(agreement_path_from_env())
for row in tables.agreement_history(ctx.agreement).to_dict("records"):
    who = "" if row["Changed by"] == "–" else f" · changed by {safe.md(row['Changed by'])}"
    if saver := saved_by.get(row["Version"]):
        when = ui.change_rows([saver], ctx.agreement.time_zone)[0]["When"]
        who += f" · saved by {safe.md(saver.who)} on {safe.md(when)}"
    st.markdown(
        f"**Version {row['Version']:d}** · from {safe.md(row['From'])} · "
        f"{safe.md(row['Until'])}{who}: "
        f"*{safe.md(row['Why'])}*  \n{safe.md(row['What changed'])}"
    )

# ---- Change the agreement (issue 18, item 2) ---------------------------------------------------
# Who may change the terms, and how: a draft becomes a new version appended to the file, previewed
# on the scorecard first. The logic is handoff.editor; this block is its form.
st.subheader("Change the agreement")
edit_refusal = ui.data_changes_refusal("agreement")
agreement_file = agreement_path_from_env()
opened = st.session_state.get("editor_opened")
if opened is None or st.session_state.get("editor_file") != str(agreement_file):
    opened = editor.Opened.read(agreement_file)
    st.session_state["editor_opened"], st.session_state["editor_file"] = opened, str(agreement_file)
    st.session_state.pop("editor_proposal", None)
latest = agreement_mod.latest_values(opened.text, str(agreement_file))
defaults = editor.form_defaults(latest)
data_end_day = ctx.data_end.date()
if saved := st.session_state.pop("editor_saved", None):
    st.success(safe.md(saved))
st.caption(
    f"A change is saved as the next version, appended to {safe.md(agreement_file)} (no version "
    "is ever rewritten): only the keys you change are written, from the date it takes effect. "
    f"Every value is checked as the file is. The data ends {data_end_day:%d %b %Y}: a change "
    "taking effect on or before that day changes periods already reported, and is saved only "
    "once you have seen which and confirmed."
)
if edit_refusal:
    st.info(edit_refusal)
read_only = bool(edit_refusal)


def number_field(label: str, key: str, fmt_: str = "%g", help_: str | None = None) -> None:
    """A number field of the form, filled from the latest version (empty: not set)."""
    value = defaults[key]
    form_fields[key] = st.number_input(
        label,
        value=None if value is None else float(value),
        step=0.01 if fmt_ == "%.2f" else 1.0,
        format=fmt_,
        key=f"ed:{key}",
        disabled=read_only,
        help=help_,
    )


form_fields: dict = {}
with st.form("agreement_editor", enter_to_submit=False):
    st.markdown("**Targets and follow-up**")
    c1, c2, c3 = st.columns(3)
    with c1:
        number_field("Min acceptance rate (SAL / MQL)", "targets.min_acceptance_rate", "%.2f")
        number_field("Max discard rate", "targets.max_discard_rate", "%.2f")
    with c2:
        number_field(
            "Min within-SLA rate", "follow_up.min_within_sla_rate", "%.2f", "Empty: not judged"
        )
        number_field("Follow-up target (hours)", "follow_up.target_hours")
    with c3:
        form_fields["follow_up.clock"] = st.selectbox(
            "Follow-up clock",
            agreement_mod.CLOCKS,
            index=agreement_mod.CLOCKS.index(defaults["follow_up.clock"]),
            key="ed:follow_up.clock",
            disabled=read_only,
        )
        number_field("Stale after (days)", "follow_up.stale_after_days")
    st.markdown("**Business hours and holidays**")
    c1, c2, c3 = st.columns([1, 1, 2])
    for column, key, label in ((c1, "business_hours.opens", "Opens"),
                               (c2, "business_hours.closes", "Closes")):  # fmt: skip
        form_fields[key] = column.time_input(
            label, defaults[key], step=300, key=f"ed:{key}", disabled=read_only
        )
    form_fields["business_hours.working_days"] = c3.multiselect(
        "Working days",
        agreement_mod.WEEKDAYS,
        default=[
            d for d in defaults["business_hours.working_days"] or [] if d in agreement_mod.WEEKDAYS
        ],
        key="ed:business_hours.working_days",
        disabled=read_only,
    )
    form_fields["holidays_kind"] = st.radio(
        "Holidays",
        ["dates", "calendar"],
        index=0 if defaults["holidays_kind"] == "dates" else 1,
        format_func={"dates": "The dates listed", "calendar": "A country's calendar"}.get,
        horizontal=True,
        key="ed:holidays_kind",
        disabled=read_only,
    )
    c1, c2, c3, c4 = st.columns(4)
    form_fields["holidays_dates"] = c1.text_area(
        "Listed dates (one a line)", defaults["holidays_dates"], key="ed:holidays_dates",
        disabled=read_only, height=140,
    )  # fmt: skip
    form_fields["holidays_country"] = c2.text_input(
        "Country (like US)", defaults["holidays_country"], key="ed:holidays_country",
        disabled=read_only,
    )  # fmt: skip
    form_fields["holidays_subdivision"] = c2.text_input(
        "Subdivision (like NY)", defaults["holidays_subdivision"], key="ed:holidays_subdivision",
        disabled=read_only,
    )  # fmt: skip
    form_fields["holidays_observed"] = c2.checkbox(
        "Observed days", defaults["holidays_observed"], key="ed:holidays_observed",
        disabled=read_only,
        help="A holiday on a weekend moves to the weekday the calendar observes it on",
    )  # fmt: skip
    form_fields["holidays_extra"] = c3.text_area(
        "Extra days off (one a line)", defaults["holidays_extra"], key="ed:holidays_extra",
        disabled=read_only, height=140,
    )  # fmt: skip
    form_fields["holidays_remove"] = c4.text_area(
        "Calendar days worked (one a line)", defaults["holidays_remove"],
        key="ed:holidays_remove", disabled=read_only, height=140,
    )  # fmt: skip
    st.markdown("**Stages: the agreed label and each team's other words (comma-separated)**")
    for stage_row in (contract.STAGES[:3], contract.STAGES[3:]):
        for column, stage in zip(st.columns(3), stage_row, strict=True):
            form_fields[f"stages.{stage}"] = column.text_input(
                f"`{stage}` label", defaults[f"stages.{stage}"], key=f"ed:stages.{stage}",
                disabled=read_only,
            )  # fmt: skip
            form_fields[f"aliases.{stage}"] = column.text_input(
                f"`{stage}` also called (both teams)", defaults[f"aliases.{stage}"],
                key=f"ed:aliases.{stage}", disabled=read_only,
            )  # fmt: skip
            for team in agreement_mod.TEAMS:
                form_fields[f"aliases_{team}.{stage}"] = column.text_input(
                    f"`{stage}`: {safe.md(team)} says", defaults[f"aliases_{team}.{stage}"],
                    key=f"ed:aliases_{team}.{stage}", disabled=read_only,
                )  # fmt: skip
    st.markdown("**MQL goals and scoring**")
    c1, c2 = st.columns([1, 2])
    with c1:
        number_field("MQL goal per month", "mql_goal.per_month")
        form_fields["goals_rows"] = st.data_editor(
            defaults["goals_rows"] or [{"source": None, "goal": None}],
            num_rows="dynamic",
            column_config={
                "source": st.column_config.TextColumn("Source"),
                "goal": st.column_config.NumberColumn("MQL goal a month", format="%g"),
            },
            hide_index=True,
            key="ed:goals_rows",
            disabled=read_only,
        )
        number_field(
            "Score threshold", "mql_rule.score_threshold", help_="Empty: only stamped MQLs count"
        )
    form_fields["scoring_text"] = c2.text_area(
        "Scoring rules (the [scoring] keys: caps, grades, [[fit]] and [[engagement]] rules)",
        defaults["scoring_text"],
        height=330,
        key="ed:scoring_text",
        disabled=read_only,
    )
    st.markdown("**The change**")
    c1, c2, c3 = st.columns([1, 1, 2])
    effective_on = c1.date_input(
        "Takes effect on",
        data_end_day + dt.timedelta(days=1),
        format="YYYY-MM-DD",
        key="ed:effective_on",
        disabled=read_only,
    )
    changed_by = c2.text_input("Changed by", key="ed:changed_by", disabled=read_only)
    reason = c3.text_input("Why (both teams agreed)", key="ed:reason", disabled=read_only)
    previewed = st.form_submit_button(
        "Preview the change", type="primary", disabled=read_only, icon=":material/preview:"
    )

if previewed and not read_only:
    values, form_errors = editor.read_form(str(agreement_file), form_fields)
    draft = editor.Draft(values, effective_on, changed_by, reason)
    proposal = editor.propose(opened.text, str(agreement_file), draft, form_errors)
    outcome: dict = {"proposal": proposal, "rows": [], "reported": []}
    if proposal.agreement is not None:
        with st.spinner("Counting the scorecard under the draft…"):
            draft_db = Database(db_path_from_env(), proposal.agreement)
            try:
                outcome["rows"] = editor.preview(ctx.db, draft_db, ctx.filters)
                if proposal.is_past(data_end_day):
                    outcome["reported"] = editor.reported_changes(
                        ctx.db, draft_db, effective_on, data_end_day
                    )
            finally:
                draft_db.close()
    st.session_state["editor_proposal"] = outcome

outcome = st.session_state.get("editor_proposal")
if outcome and not read_only:
    proposal = outcome["proposal"]
    if proposal.error:
        st.error(f"Not saved: {safe.md(proposal.error)}")
    else:
        n = len(proposal.agreement.versions)
        st.markdown(
            f"**The draft is version {n}, from {proposal.draft.effective_on:%d %b %Y}.** "
            f"{ctx.filters.period.label}'s scorecard now and under it:"
        )
        st.dataframe(outcome["rows"], hide_index=True)
        st.markdown("The change appended to the file:")
        st.code(proposal.diff, language="diff")
        confirmed = True
        if proposal.is_past(data_end_day):
            reported = outcome["reported"]
            st.warning(
                f"This version takes effect on {proposal.draft.effective_on:%d %b %Y}, on or "
                f"before the data's end ({data_end_day:%d %b %Y}): it changes how periods already "
                "reported read. "
                + (
                    f"{fmt.plural(len(reported), 'month')} read differently:"
                    if reported
                    else "No month's commitments read differently under it."
                )
            )
            for month in reported:
                st.markdown(
                    f"- **{safe.md(month['month'])}**: "
                    + "; ".join(safe.md(c) for c in month["changes"])
                )
            confirmed = st.checkbox(
                "I have seen which reported periods it changes; save it anyway",
                key="ed:confirm_past",
            )
        if st.button(
            f"Save as version {n}",
            type="primary",
            disabled=not confirmed,
            icon=":material/save:",
            key="ed:save",
        ):
            try:
                editor.save(agreement_file, opened, proposal, data_end_day, confirmed)
            except editor.Conflict as conflict:
                st.error(safe.md(conflict))
                st.code(conflict.diff, language="diff")
                st.session_state["editor_conflict"] = True
            except editor.EditRefused as refused:
                st.error(safe.md(refused))
            else:
                changelog.record(
                    agreement_file,
                    access.current_person().actor,
                    "agreement",
                    f"version {n}, in force from {proposal.draft.effective_on:%d %b %Y}",
                    version=n,
                )
                for key in [k for k in st.session_state if str(k).startswith("ed:")]:
                    del st.session_state[key]
                for key in ("editor_opened", "editor_proposal"):
                    st.session_state.pop(key, None)
                st.session_state["editor_saved"] = (
                    f"Saved version {n}, in force from {proposal.draft.effective_on:%d %b %Y}, "
                    f"to {agreement_file}. Every page counts by it from now on."
                )
                st.rerun()
if st.session_state.get("editor_conflict") and st.button(
    "Re-open the editor on the file as it is now", icon=":material/refresh:", key="ed:reopen"
):
    for key in [k for k in st.session_state if str(k).startswith("ed:")]:
        del st.session_state[key]
    for key in ("editor_opened", "editor_proposal", "editor_conflict"):
        st.session_state.pop(key, None)
    st.rerun()

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

# For admins: the file's keys and the data contract, below everything the teams read. Markdown
# tables, not data frames: long meanings wrap instead of being cut, and `keys` read as code.
st.header("For admins")
st.caption(
    f"The agreement file, {safe.md(agreement_path_from_env())}: edit it, and every page counts "
    "by the new terms on its next run."
)
with st.expander("The agreement file's keys"):
    st.markdown(agreement_mod.keys_markdown())
with st.expander("The file as written"):
    st.code(agreement_path_from_env().read_text(encoding="utf-8"), language="toml")
with st.expander("The data contract: the files and columns an import reads"):
    st.markdown(contract.markdown_table())
