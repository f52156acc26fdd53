"""Every page-level choice is in the URL (issue 20, item 4): a link restores the exact view.

A page's own choice (the funnel's breakdown, the attribution's lookback, the drill-down's stage)
is written to the URL under its widget's key when it differs from the page's default, next to the
shared filters' keys; a new session opened on that URL shows the same choice and so the same
numbers. A value a link holds that is not a choice on the page is said under the widget and the
default is used. The golden fixture's agreement and data (tests/fixtures/golden).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def widget(at: AppTest, key: str):
    return next(w for kind in ("selectbox", "radio", "checkbox", "number_input", "slider")
                for w in at.get(kind) if getattr(w, "key", None) == key)  # fmt: skip


def url(at: AppTest) -> dict:
    return dict(at.query_params)


def test_a_choice_is_written_to_the_url_and_a_default_is_not(new_session):
    at = new_session("pages/funnel.py", **MARCH)
    # Defaults only: the URL holds the filters, no page key.
    assert url(at) == MARCH
    widget(at, "funnel_by").set_value("campaign").run()
    assert not at.exception
    assert url(at) == {**MARCH, "funnel_by": "campaign"}
    widget(at, "funnel_drill_dropped").set_value(True).run()
    assert url(at)["funnel_drill_dropped"] == "true"
    # Back to the default: the key leaves the URL.
    widget(at, "funnel_by").set_value("source").run()
    assert "funnel_by" not in url(at)


def test_a_link_restores_the_exact_view(new_session):
    by_hand = new_session("pages/funnel.py", **MARCH)
    widget(by_hand, "funnel_by").set_value("campaign").run()
    widget(by_hand, "funnel_order").set_value("strict").run()
    link = url(by_hand)
    shared = new_session("pages/funnel.py", **link)
    assert widget(shared, "funnel_by").value == "campaign"
    assert widget(shared, "funnel_order").value == "strict"
    assert url(shared) == link
    # The same view, so the same numbers: every table the page shows, cell for cell.
    tables = [d.value.to_csv() for d in by_hand.dataframe]
    assert tables
    assert [d.value.to_csv() for d in shared.dataframe] == tables
    assert [m.value for m in shared.markdown] == [m.value for m in by_hand.markdown]


def test_numbers_and_flags_from_a_link_are_read_within_their_bounds(new_session):
    at = new_session("pages/attribution.py", **MARCH, attribution_lookback="30")
    assert widget(at, "attribution_lookback").value == 30.0
    assert url(at)["attribution_lookback"] == "30"
    # Outside the widget's bounds (1 to 730 days): the default, and the page says so.
    at = new_session("pages/attribution.py", **MARCH, attribution_lookback="9999")
    assert widget(at, "attribution_lookback").value != 9999
    assert "attribution_lookback" not in url(at)
    said = " ".join(c.value for c in at.caption)
    assert "The link asked for Lookback window (days) “9999”, not a choice here." in said
    at = new_session("pages/funnel.py", **MARCH, funnel_compare_immature="true")
    assert widget(at, "funnel_compare_immature").value is True


def test_a_value_that_is_not_a_choice_is_said_and_the_default_used(new_session):
    at = new_session("pages/funnel.py", **MARCH, funnel_by="nonsense")
    assert widget(at, "funnel_by").value == "source"
    assert "funnel_by" not in url(at)
    said = " ".join(c.value for c in at.caption)
    assert "“nonsense”, not a choice here." in said


def test_filters_and_page_choices_share_the_url(new_session):
    at = new_session("pages/quality.py", **MARCH, source="Webinar")
    other = "campaign"  # the page compares by source unless told otherwise
    widget(at, "quality_by").set_value(other).run()
    assert url(at) == {**MARCH, "source": "Webinar", "quality_by": other}
    # A filter change keeps the page's choice in the URL.
    at.selectbox(key="f_period").set_value("last_quarter").run()
    assert not at.exception
    assert url(at)["quality_by"] == other
    assert url(at)["period"] == "last_quarter"
