"""Drill-down from charts (issue 21, item 3): a click on a bar or point narrows the page to it.

A page's main chart is drawn with `st.plotly_chart(fig, **drill.on_click(...))`: Streamlit's
plotly selection event (on_select, selection_mode "points") calls back before the rerun, and the
click becomes a change of one of the page's choices through its shadow key (handoff.ui.control):
a shared filter (`f_source`, `f_campaign`, `f_owner`, `f_team`: the page, its URL and every
number follow, and the sidebar shows the choice, clearable there or with the button of
`notice`) or a page's own control (the funnel's lead list, `funnel_drill_stage`).

`change` is the pure part: the selection payload Streamlit returns
(`{"selection": {"points": [{"x": …, "y": …, "point_index": …}, …], …}}`) and the chart's
labels to a {shadow key: value} change, tested without a browser.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import streamlit as st

from handoff import safe

# The shared filters a click may set, by the chart's dimension, and their words.
FILTER_KEYS = {"source": "f_source", "campaign": "f_campaign", "owner": "f_owner", "team": "f_team"}
_LAST = "_drill_last"  # the latest click's (target, value, dimension, label), for `notice`


def change(
    event: Mapping[str, Any] | None,
    labels: Mapping[str, Any],
    target: str,
    field: str = "y",
    many: bool = False,
) -> dict[str, Any]:
    """The shadow-key change a chart selection asks for: {"_<target>": value} (a list of the
    values for a multiselect, `many`), or {} when nothing known was clicked.

    `labels` maps what the chart shows (its category labels, before the chart escapes them for
    plotly: handoff.safe.figure) to the value the target takes; `field` is the point's field that
    holds the label ("x", "y", or "text" for a labelled bubble). A point whose label is not in
    `labels` (an "others" bar, "(no touch)") changes nothing."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    shown = {safe.plot_text(label): value for label, value in labels.items()}
    picked = list(dict.fromkeys(shown[p[field]] for p in points if p.get(field) in shown))
    if not picked:
        return {}
    return {"_" + target: picked if many else picked[0]}


def on_click(
    key: str,
    labels: Mapping[str, Any],
    target: str,
    field: str = "y",
    dimension: str | None = None,
) -> dict[str, Any]:
    """The st.plotly_chart arguments that make a click on a point drill to `target`: a page's
    control, or, with `dimension` (source, campaign, owner, team), that shared filter."""
    return {
        "key": key,
        "on_select": functools.partial(_apply, key, dict(labels), target, field, dimension),
        "selection_mode": "points",
    }


def filter_click(key: str, labels: Mapping[str, Any], dimension: str, field: str = "y") -> dict:
    """`on_click` for a chart whose points are values of a shared filter's dimension."""
    return on_click(key, labels, FILTER_KEYS[dimension], field, dimension)


def _apply(
    key: str, labels: dict[str, Any], target: str, field: str, dimension: str | None
) -> None:
    """The selection callback: set the target's shadow before the rerun draws it."""
    changed = change(st.session_state.get(key), labels, target, field, many=dimension is not None)
    st.session_state.update(changed)
    if changed and dimension is not None:
        value = changed["_" + target]
        st.session_state[_LAST] = (target, value, dimension)


def hint(text: str) -> None:
    """Say under a chart what a click on it does."""
    st.caption(f":material/touch_app: {text}")


def notice(dimension: str) -> None:
    """While a click on a chart narrows the page's `dimension` filter, say so, with a button
    that shows every value again (the sidebar's filter shows the choice too)."""
    last = st.session_state.get(_LAST)
    target = FILTER_KEYS[dimension]
    if not last or last[2] != dimension or st.session_state.get("_" + target) != last[1]:
        return
    chosen = ", ".join(safe.md(v) for v in last[1])
    c1, c2 = st.columns([3, 1])
    c1.info(f"Narrowed by a click on the chart to {dimension} **{chosen}**.")
    c2.button(
        f"Show every {dimension} again",
        key=f"drill_clear_{dimension}",
        on_click=_clear,
        args=(target,),
        icon=":material/filter_alt_off:",
    )


def _clear(target: str) -> None:
    st.session_state["_" + target] = []
    st.session_state.pop(_LAST, None)
