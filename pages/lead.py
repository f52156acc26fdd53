"""The lead's journey: one lead as marketing knows it, for sales at hand-over: where it came
from, its touches, its score and how it was reached, its stages against the agreement's limits,
its activities, owner and disposition. Reached from every lead list, or by its id; printable as
one page."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import pandas as pd
import streamlit as st

from handoff import fmt, safe, tables, ui

ctx = ui.page(
    "Lead journey",
    "What marketing knows about one lead, in front of sales at hand-over: where it came from, "
    "what it did, how it was scored, how fast each step went and where it stands.",
)
agreement = ctx.agreement
zone = agreement.time_zone
labels = agreement.stage_labels

# Printed (Ctrl+P, or a PDF), the page is the journey alone: no sidebar, toolbar or search box.
st.html(
    "<style>@media print {"
    '[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], '
    '[data-testid="stDecoration"], [data-testid="stTextInput"], '
    '[data-testid="stSidebarCollapsedControl"] {display: none !important;}'
    '[data-testid="stMain"] {margin-left: 0 !important;}'
    '[data-testid="stMainBlockContainer"] {padding: 0 !important; max-width: 100% !important;}'
    # Small enough that a lead with a handful of touches and activities fits one A4 page.
    '[data-testid="stMainBlockContainer"] {zoom: 0.55;}'
    '.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] '
    "{height: auto !important; min-height: 0 !important; overflow: visible !important;}"
    '[data-testid="stVerticalBlock"] {gap: 0.35rem !important;}'
    "h3 {padding-top: 0.4rem !important;}"
    "@page {size: A4; margin: 10mm;}"
    "}</style>"
)

# Which lead: typed, or from a lead list's link (lead?lead_id=...).
lead_id = ui.control(
    st.text_input,
    "lead_id",
    "",
    "Lead id",
    placeholder="The lead's id as the CRM export has it",
    help="Printed (Ctrl+P, or Save as PDF), the journey is one page without the sidebar.",
).strip()
if not lead_id:
    st.info(
        "Type a lead's id above, or open a lead from any lead list (Follow-up's breaches, the "
        "leads slipping through the cracks, the funnel's drill-down): its Journey link opens it."
    )
    st.stop()
profile = ctx.run("lead_profile", lead_id=lead_id)
if profile.empty:
    st.warning(f"No lead with id “{safe.md(safe.shorten(lead_id))}” in the data.")
    st.stop()
lead = profile.iloc[0]


def when(value) -> str:
    return tables.local_time(value, zone)


def has(key: str) -> bool:
    return bool(pd.notna(lead[key]))


def shown(key: str) -> str:
    """A field as the page says it (through safe.md where it is shown): '–' when empty."""
    return str(lead[key]) if has(key) else "–"


# The lead's times, in the agreement's zone (safe.md: they are shown in markdown).
created = safe.md(when(lead["created_at"]))
handed_over = safe.md(when(lead["handover_at"]))
followed_up = safe.md(when(lead["first_follow_up_at"]))
scored = safe.md(when(lead["scored_at"]))
data_end = safe.md(when(lead["data_end_at"]))

# Who and where from.
st.subheader(f"Lead {safe.md(lead['lead_id'])}")
a, b, c = st.columns(3)
a.markdown(
    f"**Source** {safe.md(shown('source'))}  \n**Campaign** {safe.md(shown('campaign'))}  \n"
    f"**Created** {created}"
)
b.markdown(f"**Owner** {safe.md(shown('owner'))}  \n**Team** {safe.md(shown('team'))}")
exits = ", ".join(f"{key} {when(lead[key + '_at'])}" for key in ("lost", "discarded", "recycled")
                  if has(key + "_at"))  # fmt: skip
c.markdown(
    f"**Furthest stage** {fmt.stage(lead['furthest_stage'], labels)}  \n**Disposition** "
    + safe.md(shown("disposition"))
    + (
        f"  \n**Discard reason** {safe.md(shown('discard_reason'))}"
        if has("discard_reason")
        else ""
    )
    + (f"  \n**Exits** {safe.md(exits)}" if exits else "")
)
st.caption(f"Times in {zone} (the agreement's time zone). Data through {data_end}.")

# The hand-over: when, and whether sales followed up in time.
st.subheader("Hand-over and follow-up")
if not has("handover_at"):
    st.markdown("Never handed over: the lead has not reached " + safe.md(labels["mql"]) + ".")
elif not lead["has_follow_up_data"]:
    st.markdown(
        f"Handed over {handed_over}. No follow-up data: the export holds no sales "
        "activities or first-contact dates."
    )
else:
    status = lead["sla_status"]
    # The clock of the agreement version that judged the lead: the one in force at its hand-over.
    judge = agreement.version_on(lead["handover_at"].tz_convert(zone).date()).agreement
    clock = "business" if judge.follow_up_clock == "business" else "calendar"
    target = f"target {lead['follow_up_target_hours']:g} h"
    if status == "invalid":
        follow = f"first contact {followed_up}, before the hand-over: not judged"
    elif has("first_follow_up_at"):
        follow = (
            f"followed up {followed_up}, "
            f"{fmt.hours(lead['follow_up_hours'])} after it on the {clock} clock ({target}): "
            f"**{safe.md(status)}**"
        )
    else:
        follow = f"no follow-up ({target}): **{safe.md(status)}**"
        if has("hours_waiting"):
            follow += f", waiting {fmt.hours(lead['hours_waiting'])} on the {clock} clock"
    st.markdown(f"Handed over {handed_over}; {follow}.")

# The score, and how it was reached.
st.subheader("Score at hand-over")
crm_text = f"CRM score {lead['crm_score']:g}" if has("crm_score") else "no CRM score in the export"
crm_first = f"CRM score {lead['crm_score']:g}" if has("crm_score") else "No CRM score in the export"
if agreement.scoring is None:
    st.markdown(
        f"{crm_first}. The agreement has no scoring rules, so Handoff does not score leads."
    )
else:
    moment = "its hand-over" if lead["is_scored_at_handover"] else "the data's end (no hand-over)"
    fit = safe.md(tables.points(lead["fit_points"]))
    engagement = safe.md(tables.points(lead["engagement_points"]))
    st.markdown(
        f"Handoff score **{lead['handoff_score']:g}**"
        + (f" (grade **{safe.md(shown('grade'))}**)" if has("grade") else "")
        + f" as of {moment}, {scored}: fit {fit} + engagement {engagement} (after the "
        f"agreement's caps, rounded); {crm_text}."
    )
    rules = ctx.run("lead_score_rules", lead_id=lead_id)
    if rules.empty:
        st.caption("No scoring rule gave this lead points.")
    else:
        st.table(tables.journey_rules(rules).set_index("Rule"))
        st.caption(
            "Points each rule gave before the caps, counting only touches and activities "
            "strictly before the moment it was scored."
        )

# Stages against the agreement's limits.
st.subheader("Stages and the time each step took")
stages = ctx.run("lead_stages", lead_id=lead_id)
st.table(tables.journey_stages(stages, agreement).set_index("Stage"))
st.caption(
    "A step's time runs between the lead's own dates of its two stages, in calendar days, "
    "against the agreement's limit for it (time_limits_days)."
    + (" Some of its stage dates are out of order." if lead["is_out_of_order"] else "")
)

# Marketing's touches.
st.subheader("Marketing touches")
touches = ctx.run("lead_touches", lead_id=lead_id)
if not lead["has_touch_data"]:
    st.markdown("No touch data: the export holds no marketing touches.")
elif touches.empty:
    st.markdown("No touch data for this lead: the export holds no touches of it.")
else:
    st.table(tables.journey_touches(touches, zone).set_index("When"))
    st.caption(
        f"{len(touches):,} touch{'' if len(touches) == 1 else 'es'}, oldest first; hand-over: "
        "whether it came before the hand-over (what marketing knew then) or after it."
    )

# Sales' activities.
st.subheader("Sales activities")
activities = ctx.run("lead_activities", lead_id=lead_id)
if activities.empty:
    st.markdown("No sales activity recorded for this lead.")
else:
    st.table(tables.journey_activities(activities, zone).set_index("When"))
