"""A page's queries started together, as soon as its filters are known.

A page asks its questions one after the other, each drawn before the next is asked: at 10
million leads a dozen queries of 0.05-0.3 s each, with the charts and tables built between them
on the one thread Python gives a page run. After a filter change, the new run asks the same
questions as the page's last run, for the new filters. So, as soon as the sidebar has given the
filters, `start` sends those questions to a few worker threads (each query on its own DuckDB
cursor, outside Python's lock), and the page finds each answer in the query cache when it gets
there, or waits for the computation already under way: Streamlit's cache computes a key once,
whoever asks (handoff.ui._cached_run).

A guess can only cost time, never change a number: the page always runs what it asks for, and
a prefetched answer is the answer to exactly that question (the same query, parameters and
columns, so the same cache key). What is guessed:

- the calls of the page's last run in this session (a session's first run of a page guesses
  nothing: twenty people opening one link find its answers in the cache, or wait for the one
  computation under way, and guesses from another session's run only cost them CPU — measured
  in bench/meeting.py);
- each call's filters are the new sidebar filters, with what the page itself changed (the
  funnel's strict order) kept; a call counting other periods than the filters' (a comparison
  with the period before, a headline with its trend) keeps its rule, not its dates
  (`PERIOD_RULES`); a call whose filters or periods follow no known rule is not guessed.

`HANDOFF_PREFETCH=off` turns it off (the page asks everything itself, one after the other): for
measuring what it gains (bench/meeting.py) and for a machine with one CPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from handoff.filters import Filters, Period

# Three workers: on two CPUs, one query's DuckDB threads stay busy while the page's own thread
# builds charts and another query waits for its turn.
WORKERS = 3
# The filter fields a page may set itself (the sidebar does not): kept from the last run.
PAGE_FIELDS = ("strict",)
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="handoff-prefetch")


def _compare(filters: Filters) -> list[Period]:
    return [filters.period, filters.period.previous()]


def _headline(grain: str) -> Callable[[Filters], list[Period]]:
    def periods(filters: Filters) -> list[Period]:
        from handoff.metrics import headline_periods  # metrics imports this module

        return headline_periods(filters, grain)[0]

    return periods


# The rules a query's periods follow, by name: the period and the one before it
# (metrics.compare), a headline with its monthly or weekly line (metrics.headline_periods).
PERIOD_RULES: dict[str, Callable[[Filters], list[Period]]] = {
    "compare": _compare,
    "headline by month": _headline("month"),
    "headline by week": _headline("week"),
}


@dataclass(frozen=True)
class Call:
    """One question a page asked, kept so that it can be asked again for other filters."""

    name: str
    columns: tuple[tuple[str, str | None], ...]
    options: tuple[tuple[str, Any], ...]
    page_fields: tuple[tuple[str, Any], ...]
    periods: str | None  # a PERIOD_RULES name, or None when the query counts the filters' period

    def filters(self, sidebar: Filters) -> Filters:
        return dataclasses.replace(sidebar, **dict(self.page_fields))

    def options_for(self, filters: Filters) -> dict[str, Any]:
        options = dict(self.options)
        if self.periods is not None:
            options["periods"] = PERIOD_RULES[self.periods](filters)
        return options


def call_of(
    name: str,
    filters: Filters,
    sidebar: Filters,
    columns: dict[str, str | None] | None,
    options: dict[str, Any],
) -> Call | None:
    """The call as a rule over the sidebar's filters, or None when it follows none."""
    if dataclasses.replace(filters, **{f: getattr(sidebar, f) for f in PAGE_FIELDS}) != sidebar:
        return None
    rule = None
    if options.get("periods") is not None:
        asked = list(options["periods"])
        rule = next((r for r, periods in PERIOD_RULES.items() if periods(filters) == asked), None)
        if rule is None:
            return None
    return Call(
        name=name,
        # In the order asked: the cache's key reads a dict in its order.
        columns=tuple((columns or {}).items()),
        options=tuple((k, v) for k, v in options.items() if k != "periods"),
        page_fields=tuple((f, getattr(filters, f)) for f in PAGE_FIELDS),
        periods=rule,
    )


class Recorder:
    """The calls of one page run, in the order it asked them."""

    def __init__(self, sidebar: Filters):
        self.sidebar = sidebar
        self.calls: list[Call] = []

    def note(
        self,
        name: str,
        filters: Filters,
        columns: dict[str, str | None] | None,
        options: dict[str, Any],
    ) -> None:
        call = call_of(name, filters, self.sidebar, columns, options)
        if call is not None and call not in self.calls:
            self.calls.append(call)


def start(
    page: str,
    sidebar: Filters,
    session: dict[str, Any],
    ask: Callable[[str, Filters, dict[str, str | None], dict[str, Any]], Any],
) -> Recorder:
    """Send the page's last calls, for these filters, to the workers; record this run's calls.

    `session` is the session's state (st.session_state), `ask(name, filters, columns,
    options)` the page's cached query; returns the recorder the page's queries note into."""
    key = f"_prefetch_{page}"
    last = session.get(key) or []
    if os.environ.get("HANDOFF_PREFETCH", "on") == "off":
        last = []
    for future in session.get("_prefetch_futures", []):
        future.cancel()  # the last run's guesses not yet started: its filters are gone
    context = get_script_run_ctx()
    futures: list[Future] = []
    for call in last:
        filters = call.filters(sidebar)
        futures.append(
            _POOL.submit(_asked, context, ask, call.name, filters, dict(call.columns),
                         call.options_for(filters))
        )  # fmt: skip
    session["_prefetch_futures"] = futures
    recorder = Recorder(sidebar)
    # The list fills as the page runs: the next run reads it as this run left it.
    session[key] = recorder.calls
    return recorder


def _asked(context: Any, ask: Callable, name: str, *args: Any) -> None:
    # The worker runs in the session's script context, as the page's own thread does (no
    # "missing ScriptRunContext" warnings from the cache). A failed guess is dropped: the page
    # asks the same question itself and shows its error.
    add_script_run_ctx(threading.current_thread(), context)
    with contextlib.suppress(Exception):
        ask(name, *args)


def pending(futures: Sequence[Future]) -> int:
    """How many of a run's guesses are still queued or running (for tests and the bench)."""
    return sum(not f.done() for f in futures)
