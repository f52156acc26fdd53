"""A page's queries started together for new filters (handoff.prefetch): which calls are guessed
and how, that after a filter change the page's own thread waits for answers already under way
instead of asking them one by one, and that a guess never changes a number."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from handoff import prefetch
from handoff.db import Database
from handoff.filters import Filters, Period
from tests.conftest import GOLDEN, ROOT

MARCH = Period("month", dt.date(2026, 3, 1), dt.date(2026, 4, 1))
APRIL = Period("month", dt.date(2026, 4, 1), dt.date(2026, 5, 1))
SIDEBAR = Filters(period=MARCH, sources=("Webinar",))


# --- The rules of a guess -------------------------------------------------------------------


def test_a_call_on_the_sidebars_filters_is_asked_again_for_the_next_ones():
    call = prefetch.call_of("funnel_stages", SIDEBAR, SIDEBAR, {"group_1": "source"}, {})
    nxt = dataclasses.replace(SIDEBAR, period=APRIL, view="flow")
    assert call.filters(nxt) == nxt
    assert call.options_for(nxt) == {}
    assert dict(call.columns) == {"group_1": "source"}


def test_what_the_page_changed_itself_is_kept_and_the_sidebars_part_follows():
    # The funnel page counts in strict order when its own switch says so: the next run's
    # sidebar filters (April) with strict kept.
    strict = dataclasses.replace(SIDEBAR, strict=True)
    call = prefetch.call_of("funnel_stages", strict, SIDEBAR, None, {"limit": 10})
    nxt = dataclasses.replace(SIDEBAR, period=APRIL)
    assert call.filters(nxt) == dataclasses.replace(nxt, strict=True)
    assert call.options_for(nxt) == {"limit": 10}


def test_a_comparison_keeps_its_rule_not_its_dates():
    # Asked for March and February; for April's filters the guess is April and March.
    call = prefetch.call_of(
        "scorecard", SIDEBAR, SIDEBAR, None, {"periods": [MARCH, MARCH.previous()], "x": 1}
    )
    assert call.periods == "compare"
    nxt = dataclasses.replace(SIDEBAR, period=APRIL)
    assert call.options_for(nxt) == {"x": 1, "periods": [APRIL, MARCH]}


def test_a_call_whose_filters_or_periods_follow_no_rule_is_not_guessed():
    other_source = dataclasses.replace(SIDEBAR, sources=("Paid search",))
    assert prefetch.call_of("funnel_stages", other_source, SIDEBAR, None, {}) is None
    odd = [Period("custom", dt.date(2025, 1, 1), dt.date(2025, 1, 8))]
    assert prefetch.call_of("scorecard", SIDEBAR, SIDEBAR, None, {"periods": odd}) is None


def test_options_keep_the_order_they_were_asked_in():
    # The query cache's key reads a dict in its order: a guess asked with the same values in
    # another order would be another key, computed twice.
    call = prefetch.call_of("q", SIDEBAR, SIDEBAR, {"b": "x", "a": None}, {"z": 1, "a": 2})
    assert list(call.options_for(SIDEBAR)) == ["z", "a"]
    assert list(dict(call.columns)) == ["b", "a"]


# --- On a page ------------------------------------------------------------------------------


@pytest.fixture
def logged(golden_db_path, monkeypatch):
    """The app on the golden data, caches cleared; every query run: (thread, name, params)."""
    monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    runs: list[tuple[str, str, str]] = []
    original = Database.run

    def run(self, name, params=None, columns=None):
        runs.append((threading.current_thread().name, name, repr((params, columns))))
        return original(self, name, params, columns)

    monkeypatch.setattr(Database, "run", run)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield runs
    st.cache_data.clear()
    st.cache_resource.clear()


def _funnel(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/funnel.py").run()
    assert not at.exception
    return at


def _shown(at: AppTest) -> list[str]:
    return (
        [m.value for m in at.markdown]
        + [f"{m.label}={m.value}" for m in at.metric]
        + [str(df.value.to_dict()) for df in at.dataframe]
    )


def _finished(at: AppTest) -> None:
    for future in at.session_state["_prefetch_futures"]:
        future.result(timeout=30)


def test_after_a_filter_change_the_pages_queries_are_answered_by_the_workers(logged):
    at = _funnel()
    _finished(at)
    logged.clear()
    at.selectbox(key="f_period").set_value("last_quarter")
    at.run()
    assert not at.exception
    _finished(at)
    by_worker = [(name, key) for thread, name, key in logged if thread.startswith("handoff-")]
    by_page = [(name, key) for thread, name, key in logged if not thread.startswith("handoff-")]
    # The funnel page asks eight questions of its filters (stages, closed opportunities,
    # breakdown, trend, velocity, its histogram and trend, the drill-down list). The two trends
    # count the 12 months up to the period's end, the same for the golden data's last month
    # (March 2026) and last quarter (January-March): answered from the cache. The other six
    # were asked by the workers, each once, and the page's own thread asked none of them again.
    assert sorted(name for name, _ in by_worker) == [
        "closed_opportunities", "funnel_breakdown", "funnel_drilldown", "funnel_stages",
        "stage_velocity", "stage_velocity_histogram",
    ]  # fmt: skip
    assert len(set(by_worker)) == len(by_worker)
    assert by_page == []


def test_a_wrong_guess_costs_time_never_a_number(logged):
    # The breakdown changes with the period: the guesses made for "by source" are not what
    # the page asks, so it asks for itself; what it shows is what a session opened on that
    # link shows, computed with no guess at all.
    at = _funnel()
    _finished(at)
    at.selectbox(key="f_period").set_value("last_quarter")
    at.selectbox(key="funnel_by").set_value("campaign")
    at.run()
    assert not at.exception
    _finished(at)
    changed = _shown(at)
    guessed = {key for thread, _, key in logged if thread.startswith("handoff-")}
    asked = {key for thread, _, key in logged if not thread.startswith("handoff-")}
    assert asked - guessed, "the page asked questions no guess had asked"
    st.cache_data.clear()
    fresh = _funnel(period="last_quarter", funnel_by="campaign")
    assert _shown(fresh) == changed


def test_off_means_the_page_asks_everything_itself(logged, monkeypatch):
    monkeypatch.setenv("HANDOFF_PREFETCH", "off")
    at = _funnel()
    logged.clear()
    at.selectbox(key="f_period").set_value("last_quarter")
    at.run()
    assert not at.exception
    assert logged
    assert all(not t.startswith("handoff-") for t, _, _ in logged)
