"""Drill-down from charts (issue 21, item 3): the selection payload Streamlit's plotly event
returns becomes a change of a page's choice through its shadow key (handoff.drill.change). A
real click is the browser test's (tests/test_browser.py); AppTest cannot click plotly, but it
can check that each page's main chart listens for clicks."""

from __future__ import annotations

import pytest

from handoff import drill


def event(*points: dict) -> dict:
    """A payload as Streamlit returns it (PlotlySelectionState), for these points."""
    return {
        "selection": {
            "points": list(points),
            "point_indices": [p.get("point_index", 0) for p in points],
            "box": [],
            "lasso": [],
        }
    }


# The funnel's bars: stage labels on y, the drill-down's Stage takes the stage key.
STAGES = {"Inquiry": "lead", "MQL": "mql", "SAL": "sal"}


@pytest.mark.parametrize(
    ("payload", "labels", "target", "field", "many", "expected"),
    [
        # A click on SAL's bar: the drill-down's Stage becomes "sal".
        (
            event({"curve_number": 0, "point_index": 2, "x": 120, "y": "SAL"}),
            STAGES,
            "funnel_drill_stage",
            "y",
            False,
            {"_funnel_drill_stage": "sal"},
        ),
        # A click on a source's bubble (its name is the point's text): the shared source filter
        # becomes that source alone, a list as the multiselect holds it.
        (
            event({"point_index": 0, "x": 40, "y": 0.2, "text": "Webinar"}),
            {"Webinar": "Webinar", "Paid search": "Paid search"},
            "f_source",
            "text",
            True,
            {"_f_source": ["Webinar"]},
        ),
        # A label the chart escaped for plotly (safe.figure: & < >) still finds its value.
        (
            event({"y": "R&amp;D &lt;EU&gt;"}),
            {"R&D <EU>": "R&D <EU>"},
            "f_team",
            "y",
            True,
            {"_f_team": ["R&D <EU>"]},
        ),
        # Two points of one group (grouped bars, one per model): the value once.
        (
            event({"curve_number": 0, "y": "Email"}, {"curve_number": 3, "y": "Email"}),
            {"Email": "Email"},
            "f_source",
            "y",
            True,
            {"_f_source": ["Email"]},
        ),
        # A bar that is no value of the target ("(no touch)", "others"): nothing changes.
        (event({"y": "(no touch)"}), {"Email": "Email"}, "f_source", "y", True, {}),
        # Nothing selected (a click that cleared the selection), or no payload at all.
        (event(), STAGES, "funnel_drill_stage", "y", False, {}),
        (None, STAGES, "funnel_drill_stage", "y", False, {}),
        # The label on the wrong field (a bubble's rate on y): nothing.
        (event({"y": 0.2, "x": 40}), {"Webinar": "Webinar"}, "f_source", "text", True, {}),
    ],
)
def test_a_selection_becomes_a_change_of_the_shadow_key(
    payload, labels, target, field, many, expected
):
    assert drill.change(payload, labels, target, field, many) == expected


def test_a_shared_filter_s_click_names_its_shadow_key():
    args = drill.filter_click("drill_x", {"Ana": "Ana"}, "owner")
    assert args["key"] == "drill_x"
    assert args["selection_mode"] == "points"
    assert callable(args["on_select"])
    # The callback's arguments: the chart's key, its labels, the owner filter's key, the point's
    # field and the dimension (a list then, as the multiselect holds it).
    assert args["on_select"].args == ("drill_x", {"Ana": "Ana"}, "f_owner", "y", "owner")


@pytest.mark.parametrize(
    ("page", "key"),
    [
        ("pages/funnel.py", "drill_funnel_stages"),
        ("pages/quality.py", "drill_quality"),
        ("pages/discards.py", "drill_acceptance"),
        ("pages/discards.py", "drill_discard_reasons"),
        ("pages/follow_up.py", "drill_follow_up"),
    ],
)
def test_each_page_s_main_chart_listens_for_clicks(new_session, page, key):
    at = new_session(page)
    # A chart with on_select is a widget: its selection is in the session under its key, empty
    # until a click.
    assert at.session_state[key]["selection"]["points"] == []
    # And the page says what a click does.
    assert any(c.value.startswith(":material/touch_app: Click") for c in at.caption)


def test_a_narrowing_click_is_said_and_undone_with_one_button(new_session):
    at = new_session("pages/quality.py")
    # What the callback leaves after a click on Paid search's bubble (drill._apply).
    at.session_state["_f_source"] = ["Paid search"]
    at.session_state["_drill_last"] = ("f_source", ["Paid search"], "source")
    at.run()
    assert not at.exception
    assert at.multiselect(key="f_source").value == ["Paid search"]
    assert "Narrowed by a click on the chart to source **Paid search**." in [
        i.value for i in at.info
    ]
    at.button(key="drill_clear_source").click().run()
    assert not at.exception
    assert at.multiselect(key="f_source").value == []
    assert not any("Narrowed by a click" in i.value for i in at.info)
    # A source chosen in the sidebar, not by a click, is not said to be a click's.
    at.multiselect(key="f_source").set_value(["Webinar"]).run()
    assert not any("Narrowed by a click" in i.value for i in at.info)


def test_a_click_on_a_discard_reason_lists_its_leads(new_session):
    # The golden fixture's March discards (tests/golden/discard_reasons.toml): L03 "Bad data",
    # L11 "Not a fit" (won later). One each: the Pareto's order is then by name, so the list
    # starts on Bad data; a click on Not a fit's bar (its x) lists L11.
    at = new_session("pages/discards.py", period="last_month")
    assert not at.exception
    assert at.selectbox(key="discards_reason").value == "Bad data"
    (listed,) = [t.value for t in at.dataframe if "discarded_at" in t.value]
    assert listed["lead_id"].tolist() == ["L03"]
    click = drill.change(
        event({"curve_number": 0, "point_index": 1, "x": "Not a fit", "y": 1}),
        {"Bad data": "Bad data", "Not a fit": "Not a fit"},
        "discards_reason",
        "x",
    )
    assert click == {"_discards_reason": "Not a fit"}
    at.session_state["_discards_reason"] = "Not a fit"
    at.run()
    assert not at.exception
    assert at.selectbox(key="discards_reason").value == "Not a fit"
    (listed,) = [t.value for t in at.dataframe if "discarded_at" in t.value]
    assert listed["lead_id"].tolist() == ["L11"]
    assert listed["account"].tolist() == ["won"]
    assert any("discarded as “Not a fit”" in m.value for m in at.markdown)
