"""The benchmark: is every page fast at 1 and 10 million leads?

    .venv/bin/python bench/run.py                      # 1M and 10M leads: writes bench/results.md
    .venv/bin/python bench/run.py --sizes 100000 --quick

For each size it generates the demo dataset as CSV (10.4 touches a lead: 104 million touches at
10 million leads), imports it with the normal importer (time and peak memory of that process),
records the exact queries every page runs (each page run once through AppTest, the database's
`run` recorded), then times each page's whole query set, each page in a fresh process: cold (the
first run after opening; the OS file cache is left as it is) and warm (best of three), next to
a bare DuckDB reference aggregate over the same columns in the same process, so the ratio shows
Handoff's own overhead whatever the machine.
Then, in Debian's Chromium against `streamlit run`: the time from starting the app to the first
page drawn, the time from a filter change to the chart redrawn and to the page's whole run
finished (median and p95 over 26 changes, each to a filter state the app has not answered
before, then 8 back to states it has),
and 8 sessions (tabs of one browser, driven at once) changing filters for a minute
(errors, numbers compared with a single session's, p95 latency). Results go to bench/results.md
and bench/results.json, with each target marked met or not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff import agreement as agreement_mod  # noqa: E402
from handoff import report  # noqa: E402
from handoff.db import Database  # noqa: E402
from handoff.filters import PERIODS, VIEWS  # noqa: E402
from handoff.ui import NAVIGATION  # noqa: E402

PYTHON = sys.executable
AGREEMENT = ROOT / "data" / "agreement.toml"
PAGES = [link.path for _, links in NAVIGATION for link in links]
CHROMIUM = report.CHROMIUM
CHROMIUM_ARGS = list(report.CHROMIUM_ARGS)
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
FAILED = '[data-testid="stException"], [data-testid="stAlertContentError"]'

# The bare reference per page: the minimal aggregate over the columns the page reads, on the
# imported tables, with the period's bounds bound as parameters.
REFERENCES = {
    "app.py": "select count(*), count(mql_at), count(sal_at), count(sql_at), count(won_at),"
    " sum(amount) from leads where created_at >= $start and created_at < $end",
    "pages/funnel.py": "select source, count(*), count(mql_at), count(sal_at), count(sql_at),"
    " count(opportunity_at), count(won_at) from leads"
    " where created_at >= $start and created_at < $end group by source",
    "pages/quality.py": "select source, campaign, count(*), count(mql_at), count(sql_at),"
    " count(won_at), sum(amount), avg(score) from leads"
    " where created_at >= $start and created_at < $end group by source, campaign",
    "pages/follow_up.py": "select l.owner, count(*), min(a.activity_at) from leads as l"
    " join activities as a on a.lead_key = l.lead_key"
    " where l.mql_at >= $start and l.mql_at < $end group by l.owner",
    "pages/discards.py": "select source, discard_reason, count(*), count(sal_at),"
    " count(discarded_at) from leads where mql_at >= $start and mql_at < $end group by all",
    "pages/attribution.py": "select t.channel, count(*), sum(d.amount) from deals as d"
    " join touches as t on t.lead_key = d.lead_key"
    " where d.closed_at >= $start and d.closed_at < $end and d.status = 'won'"
    " and t.touched_at >= $start - interval 90 day and t.touched_at < $end"
    " and t.touched_at <= d.closed_at group by t.channel",
    "pages/data.py": "select table_name, count(*) from import_rejects group by table_name",
    "pages/definitions.py": "select count(*) from leads",
    # One lead's journey: its touches, found by the lead.
    "pages/lead.py": "select count(*) from touches"
    " where lead_key = (select min(lead_key) from leads)",
}


# --- Steps run in their own process, measured from outside --------------------------------------


def run_measured(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; its wall time and peak memory (its own, not this process's)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return {
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
        "output": output,
    }


def generate(n_leads: int, folder: Path) -> dict[str, Any]:
    shutil.rmtree(folder, ignore_errors=True)
    return run_measured(
        [PYTHON, "-m", "handoff", "demo", "--leads", str(n_leads), "--months", "20",
         "--touches-per-lead", "10.4", "--format", "csv", "--out", str(folder),
         "--end-date", "2026-11-01", "--agreement", str(AGREEMENT)]
    )  # fmt: skip


def import_csv(folder: Path, db: Path) -> dict[str, Any]:
    db.unlink(missing_ok=True)
    return run_measured(
        [PYTHON, "-m", "handoff", "import", str(folder), "--db", str(db), "--agreement",
         str(AGREEMENT)]
    )  # fmt: skip


# --- Which queries each page runs ---------------------------------------------------------------


def record_pages(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Run every page once through AppTest and record the queries it asks the database for."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    recorded: dict[str, list[dict[str, Any]]] = {}
    original = Database.run
    current: list[dict[str, Any]] = []

    def recording(self, name, params=None, columns=None):
        current.append({"name": name, "params": params or {}, "columns": columns or {}})
        return original(self, name, params, columns)

    os.environ["HANDOFF_DB"] = str(db)
    os.environ["HANDOFF_AGREEMENT"] = str(AGREEMENT)
    Database.run = recording
    try:
        for path in PAGES:
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.run()
            # Every query of the page itself, none answered from the cache.
            st.cache_data.clear()
            current.clear()
            if path == "app.py":
                at.run()
            else:
                at.switch_page(path).run()
            if at.exception:
                raise RuntimeError(f"{path}: {at.exception[0].message}")
            recorded[path] = list(current)
    finally:
        Database.run = original
    return recorded


def time_pages(db: Path, calls: dict[str, list[dict[str, Any]]], repeats: int = 3) -> dict:
    """Each page's query set, cold and warm, and its reference, each page in a fresh process
    (so its cold run finds nothing of another page's in DuckDB's buffers)."""
    out: dict[str, Any] = {"pages": {}}
    for page, page_calls in calls.items():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({page: page_calls}, f, default=_json_value)
            calls_path = f.name
        result = run_measured(
            [PYTHON, str(Path(__file__)), "--time-pages", str(db), calls_path, "--repeats",
             str(repeats)]
        )  # fmt: skip
        Path(calls_path).unlink()
        timed = json.loads(result["output"].strip().splitlines()[-1])
        out["open_seconds"] = max(out.get("open_seconds", 0), timed["open_seconds"])
        out["pages"].update(timed["pages"])
    return out


def _time_pages_here(db: Path, calls_path: Path, repeats: int) -> dict:
    """Inside the fresh process: open the database, time every page's queries."""
    calls = json.loads(calls_path.read_text())
    agreement = agreement_mod.load(AGREEMENT)
    opened = time.perf_counter()
    database = Database(db, agreement)
    open_seconds = time.perf_counter() - opened
    end = database.con.execute("select max(created_at) from leads").fetchone()[0]
    month_end = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
    bounds = {"start": month_start, "end": month_end}
    out = {"open_seconds": round(open_seconds, 2), "pages": {}}
    for page, page_calls in calls.items():
        runs = []
        for _ in range(1 + repeats):
            started = time.perf_counter()
            for call in page_calls:
                database.run(call["name"], _decode(call["params"]), call["columns"] or None)
            runs.append(time.perf_counter() - started)
        reference_runs = []
        for _ in range(1 + repeats):
            started = time.perf_counter()
            sql = REFERENCES[page]
            database.con.execute(sql, bounds if "$start" in sql else {}).fetchall()
            reference_runs.append(time.perf_counter() - started)
        warm, reference = min(runs[1:]), min(reference_runs[1:])
        out["pages"][page] = {
            "n_queries": len(page_calls),
            "cold_seconds": round(runs[0], 3),
            "warm_seconds": round(warm, 3),
            "reference_seconds": round(reference, 4),
            "ratio": round(warm / reference, 1) if reference > 0 else None,
            "slowest": sorted(
                (
                    (c["name"], round(_one(database, c), 3))
                    for c in {c["name"]: c for c in page_calls}.values()
                ),
                key=lambda x: -x[1],
            )[:3],
        }
    return out


def _one(database: Database, call: dict[str, Any]) -> float:
    started = time.perf_counter()
    database.run(call["name"], _decode(call["params"]), call["columns"] or None)
    return time.perf_counter() - started


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot record {value!r}")


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    return {key: _decoded(value) for key, value in params.items()}


def _decoded(value: Any) -> Any:
    """A recorded value back as it was bound (nested in lists, like a query's $periods)."""
    if isinstance(value, dict) and "__datetime__" in value:
        return dt.datetime.fromisoformat(value["__datetime__"])
    if isinstance(value, dict) and "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    if isinstance(value, dict):
        return {key: _decoded(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


# --- In the browser -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """`streamlit run app.py` on a database, for the browser measurements."""

    def __init__(self, db: Path, agreement: Path | None = None, env: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            **(env or {}),
            "HANDOFF_DB": str(db),
            "HANDOFF_AGREEMENT": str(agreement or AGREEMENT),
        }
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
             str(self.port), "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise RuntimeError("streamlit did not start")

    def close(self) -> dict[str, float]:
        """Stop the app; its peak memory (GB) and the CPU time it used (s)."""
        self.proc.terminate()
        try:
            _, _, usage = os.wait4(self.proc.pid, 0)
        except ChildProcessError:
            return {}
        return {
            "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        }


def _drawn(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_selector(DONE, timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=timeout_ms,
    )
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout_ms)


def first_page(db: Path) -> dict[str, Any]:
    """Seconds from starting the app to the home page drawn in the browser."""
    from playwright.sync_api import sync_playwright

    app = App(db)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app.url)
            page.wait_for_selector("h1", timeout=120_000)
            _drawn(page)
            seconds = time.perf_counter() - app.started
            errors = len(page.query_selector_all(FAILED))
            browser.close()
    finally:
        app.close()
    return {"seconds": round(seconds, 1), "errors": errors}


# The filter changes a session goes through: periods and views on the funnel page.
CHANGES = [
    ("f_period", "Last full quarter"),
    ("f_period", "Last full month"),
    ("f_view", "Flow: stage entries in the period"),
    ("f_view", "Cohort: leads created in the period"),
    ("f_period", "Year to date"),
    ("f_view", "Cohort: leads handed over (MQL) in the period"),
    ("f_period", "Last full month"),
    ("f_view", "Cohort: leads created in the period"),
]


# The period × count grid, walked so that every step changes one filter and reaches a state
# the app has not seen before (nothing answered from its query cache).
PERIOD_LABELS = [PERIODS[k] for k in ("last_month", "last_quarter", "ytd")]
VIEW_LABELS = [VIEWS[k] for k in ("created", "flow", "handover")]
SNAKE = [(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1), (0, 2), (1, 2), (2, 2)]


def _walk(cells: list[tuple[int, int]]) -> list[tuple[str, str]]:
    return [
        ("f_period", PERIOD_LABELS[p1]) if p1 != p0 else ("f_view", VIEW_LABELS[v1])
        for (p0, _), (p1, v1) in itertools.pairwise(cells)
    ]


def fresh_changes() -> list[tuple[str, str]]:
    """26 filter changes from the default page, each to a state not seen before: the grid, a
    source added, the grid back, a second source added, the grid again."""
    back = list(reversed(SNAKE))
    return [
        *_walk(SNAKE), ("f_source", "Paid search"), *_walk(back), ("f_source", "Webinar"),
        *_walk(SNAKE),
    ]  # fmt: skip


def revisits() -> list[tuple[str, str]]:
    """After fresh_changes(): the grid walked back, through states seen in its last walk."""
    return _walk(list(reversed(SNAKE)))


def _change(page, key: str, label: str) -> float:
    """Set a sidebar filter through its widget, as a user would; the instant of the click that
    changes it (a source is typed into the box first, untimed, as its list opens only so)."""
    widget = page.locator(f".st-key-{key}")
    if key == "f_view":
        started = time.perf_counter()
        widget.get_by_text(label, exact=True).click()
        return started
    box = widget.get_by_role("combobox")
    box.click()
    if key == "f_source":
        box.fill(label)
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    started = time.perf_counter()
    option.click()
    if key == "f_source":
        page.keyboard.press("Escape")
    return started


def filter_latency(db: Path, n_changes: int = 26, path: str = "funnel") -> dict[str, Any]:
    """Seconds from a filter change to the page's first chart redrawn, and to the page's whole
    run finished: over n changes each to a state the app has not answered before, then over
    changes back to states it has (cached)."""
    from playwright.sync_api import sync_playwright

    fresh = fresh_changes()[:n_changes]
    again = revisits()[: max(2, n_changes // 3)] if n_changes >= len(fresh_changes()) else []
    app = App(db)
    times: dict[str, list[float]] = {"fresh": [], "cached": [], "finished": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{app.url}/{path}")
            _drawn(page)
            for kind, changes in (("fresh", fresh), ("cached", again)):
                for key, label in changes:
                    old = page.locator(".js-plotly-plot .main-svg").first.inner_html()[:4000]
                    started = _change(page, key, label)
                    times[kind].append(_redrawn(page, old) - started)
                    if kind == "fresh":
                        times["finished"].append(time.perf_counter() - started)
            browser.close()
    finally:
        app.close()
    out = {**_latencies(times["fresh"]), "page_finished": _latencies(times["finished"])}
    if times["cached"]:
        out["cached"] = _latencies(times["cached"])
    return out


def _redrawn(page, old: str) -> float:
    """Wait until the chart shows the new data and the run the change started has ended; the
    instant the chart changed (Streamlit draws each element as its run reaches it, so the
    chart at the top of the page is redrawn before the run reaches the bottom)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Every change in CHANGES alters the first chart; a run that ends with the same picture
    # (which would be a bug) is still waited for, to the end of the run.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "(old) => { const s = document.querySelector('.js-plotly-plot .main-svg');"
            " return s && s.innerHTML.slice(0, 4000) !== old; }",
            arg=old,
            timeout=60_000,
            polling=50,
        )
    changed = time.perf_counter()
    seen = page.locator(".js-plotly-plot .main-svg").first.inner_html()[:4000]
    _drawn(page)
    # Counted only if what was drawn then is what the finished run shows; otherwise the chart
    # was redrawn when the run finished.
    final = page.locator(".js-plotly-plot .main-svg").first.inner_html()[:4000]
    return changed if final == seen else time.perf_counter()


def _latencies(times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    return {
        "n": len(times),
        "median_seconds": round(statistics.median(times), 2),
        "p95_seconds": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
        "max_seconds": round(ordered[-1], 2),
    }


def concurrency(db: Path, sessions: int = 8, seconds: float = 60) -> dict[str, Any]:
    """Sessions changing filters at once (tabs of one browser, driven concurrently); their
    numbers are compared with one session's for the same filters, taken from another app so
    that the sessions start with nothing cached (their first round of changes runs the
    queries concurrently)."""
    app = App(db)
    try:
        reference = asyncio.run(_sessions(app.url, 1, seconds=0, n_changes=len(CHANGES)))[0]
    finally:
        app.close()
    app = App(db)
    try:
        results = asyncio.run(_sessions(app.url, sessions, seconds=seconds))
    finally:
        usage = app.close()
    times = [t for r in results for t in r["times"]]
    expected = [shown for _, shown in reference["shown"]]
    wrong = sum(
        1 for r in results for step, shown in r["shown"] if shown != expected[step % len(CHANGES)]
    )
    return {
        "sessions": sessions,
        "seconds": seconds,
        "changes": len(times),
        "errors": sum(r["errors"] for r in results),
        "wrong_numbers": wrong,
        "app_peak_rss_gb": usage.get("peak_rss_gb"),
        "app_cpu_seconds": usage.get("cpu_seconds"),
        **_latencies(times),
    }


async def _sessions(
    url: str, n: int, seconds: float, n_changes: int | None = None
) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return list(
                await asyncio.gather(
                    *(_session(browser, url, seconds, n_changes) for _ in range(n))
                )
            )
        finally:
            await browser.close()


async def _session(browser, url: str, seconds: float, n_changes: int | None) -> dict[str, Any]:
    """One session cycling through the filter changes on the funnel page; what it saw after
    each change, and how long each took."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.goto(f"{url}/funnel")
    await _adrawn(page)
    times, shown, errors, step = [], [], 0, 0
    deadline = time.monotonic() + seconds
    while (step < n_changes) if n_changes is not None else (time.monotonic() < deadline):
        key, label = CHANGES[step % len(CHANGES)]
        old = (await page.locator(".js-plotly-plot .main-svg").first.inner_html())[:4000]
        started = time.perf_counter()
        widget = page.locator(f".st-key-{key}")
        if key == "f_view":
            await widget.get_by_text(label, exact=True).click()
        else:
            await widget.get_by_role("combobox").click()
            await page.get_by_role("option", name=label, exact=True).click()
        with contextlib.suppress(Exception):
            await page.wait_for_function(
                "(old) => { const s = document.querySelector('.js-plotly-plot .main-svg');"
                " return s && s.innerHTML.slice(0, 4000) !== old; }",
                arg=old,
                timeout=120_000,
                polling=50,
            )
        await _adrawn(page)
        times.append(time.perf_counter() - started)
        errors += len(await page.query_selector_all(FAILED))
        values = await page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        chart = (await page.locator(".js-plotly-plot").first.inner_text())[:200]
        shown.append((step, [*values, chart]))
        step += 1
    await context.close()
    return {"times": times, "shown": shown, "errors": errors}


async def _adrawn(page, timeout_ms: int = 180_000) -> None:
    await page.wait_for_selector(DONE, timeout=timeout_ms)
    await page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=timeout_ms,
    )
    await page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout_ms)


# --- The report ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "memory_gb": round(total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": __import__("duckdb").__version__,
        "streamlit": __import__("streamlit").__version__,
    }


TARGETS = {"warm_seconds": 1.0, "cold_seconds": 5.0, "import_seconds": 60, "peak_rss_gb": 6,
           "first_page_seconds": 10, "filter_median_seconds": 1.5}  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {m['date']} on {m['cpus']} CPUs, {m['memory_gb']} GB ({m['platform']}; Python "
        f"{m['python']}, DuckDB {m['duckdb']}, Streamlit {m['streamlit']}) by `bench/run.py`.",
        "Targets at 10 million leads: every page's queries under 1 s warm and 5 s cold, the CSV "
        "import under 60 s and 6 GB, the first page under 10 s after start, a filter change "
        "redrawn in under 1.5 s (median).",
    ]
    for size in results["sizes"]:
        r = size
        lines += ["", f"## {r['n_leads']:,} leads", ""]
        if "generate" in r:
            lines.append(
                f"- Demo generated as CSV in {r['generate']['seconds']} s "
                f"(peak {r['generate']['peak_rss_gb']} GB){_reused(r['generate'])}."
            )
        if "import" in r:
            imp = r["import"]
            lines.append(
                f"- Import: {imp['seconds']} s, peak memory {imp['peak_rss_gb']} GB "
                f"({imp.get('rows', '?')} rows read){_reused(imp)}."
            )
        if "pages" in r:
            lines += [
                "- Opening the imported database (slowest of the page processes): "
                f"{r['pages']['open_seconds']} s{_reused(r['pages'])}.",
                "",
                "| page | queries | cold (s) | warm (s) | reference (s) | warm / reference |"
                " slowest queries (s) |",
                "|---|---|---|---|---|---|---|",
            ]
            for page, p in r["pages"]["pages"].items():
                slow = ", ".join(f"{n} {s}" for n, s in p["slowest"])
                lines.append(
                    f"| {page} | {p['n_queries']} | {p['cold_seconds']} | {p['warm_seconds']} |"
                    f" {p['reference_seconds']} | {p['ratio']} | {slow} |"
                )
        if "first_page" in r:
            lines.append("")
            lines.append(
                f"- First page drawn {r['first_page']['seconds']} s after start"
                f"{_reused(r['first_page'])}."
            )
        if "filter_latency" in r:
            f = r["filter_latency"]
            lines.append(
                f"- Filter change to chart redrawn (Lead funnel, {f['n']} changes, each to a "
                f"filter state not seen before): median {f['median_seconds']} s, p95 "
                f"{f['p95_seconds']} s, max {f['max_seconds']} s."
            )
            if "page_finished" in f:
                done = f["page_finished"]
                lines.append(
                    f"- The same changes to the page's whole run finished (down to the lead "
                    f"list at its bottom): median {done['median_seconds']} s, p95 "
                    f"{done['p95_seconds']} s."
                )
            if "cached" in f:
                c = f["cached"]
                lines.append(
                    f"- Back to states already seen ({c['n']} changes, answered from the app's "
                    f"query cache): median {c['median_seconds']} s, p95 {c['p95_seconds']} s."
                )
        if "concurrency" in r:
            c = r["concurrency"]
            lines.append(
                f"- {c['sessions']} sessions for {c['seconds']:g} s: {c['changes']} filter "
                f"changes, {c['errors']} errors, {c['wrong_numbers']} numbers unlike a single "
                f"session's; latency to each run finished: median {c['median_seconds']} s, p95 "
                f"{c['p95_seconds']} s; "
                f"the app's peak memory {c.get('app_peak_rss_gb', '?')} GB, its CPU time "
                f"{c.get('app_cpu_seconds', '?')} s (the browser shares the same {m['cpus']} "
                f"CPUs){_reused(c)}."
            )
        checks = target_checks(r)
        if checks:
            lines += ["", "| target | measured | met |", "|---|---|---|"]
            lines += [f"| {name} | {value} | {'yes' if met else '**no**'} |"
                      for name, value, met in checks]  # fmt: skip
    return "\n".join(lines) + "\n"


def _reused(step: dict[str, Any]) -> str:
    return f" (from the run of {step['from_run']})" if step.get("from_run") else ""


def target_checks(size: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target against what one size measured: (target, measured, met)."""
    t, out = TARGETS, []
    pages = size.get("pages", {}).get("pages", {})
    if pages:
        for key, label in (("warm_seconds", "warm"), ("cold_seconds", "cold")):
            page, worst = max(((p, v[key]) for p, v in pages.items()), key=lambda x: x[1])
            out.append((f"every page's queries {label} < {t[key]:g} s", f"{worst} s ({page})",
                        worst < t[key]))  # fmt: skip
    if "import" in size:
        imp = size["import"]
        out.append((f"import < {t['import_seconds']} s", f"{imp['seconds']} s",
                    imp["seconds"] < t["import_seconds"]))  # fmt: skip
        out.append((f"peak memory < {t['peak_rss_gb']} GB", f"{imp['peak_rss_gb']} GB (import)",
                    imp["peak_rss_gb"] < t["peak_rss_gb"]))  # fmt: skip
    if size.get("concurrency", {}).get("app_peak_rss_gb"):
        rss = size["concurrency"]["app_peak_rss_gb"]
        out.append((f"peak memory < {t['peak_rss_gb']} GB", f"{rss} GB (app, 8 sessions)",
                    rss < t["peak_rss_gb"]))  # fmt: skip
    if "first_page" in size:
        first = size["first_page"]["seconds"]
        out.append((f"first page < {t['first_page_seconds']} s", f"{first} s",
                    first < t["first_page_seconds"]))  # fmt: skip
    if "filter_latency" in size:
        median = size["filter_latency"]["median_seconds"]
        out.append((f"filter change median < {t['filter_median_seconds']} s", f"{median} s",
                    median < t["filter_median_seconds"]))  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data", help="scratch folder")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, 5 filter changes, 2 sessions for 10 s"
    )
    parser.add_argument("--skip", nargs="*", default=[], help="steps to skip: generate, import, "
                        "pages, first_page, filter_latency, concurrency (their figures are "
                        "taken from the last run written to --out)")  # fmt: skip
    parser.add_argument("--time-pages", nargs=2, metavar=("DB", "CALLS"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_pages:
        print(json.dumps(_time_pages_here(Path(args.time_pages[0]), Path(args.time_pages[1]),
                                          args.repeats)))  # fmt: skip
        return 0
    results: dict[str, Any] = {"machine": machine(), "targets": TARGETS, "sizes": []}
    previous = _previous(args.out)
    for n in args.sizes:
        folder, db = args.work / f"demo-{n}", args.work / f"bench-{n}.duckdb"
        size: dict[str, Any] = {"n_leads": n}
        # A skipped step keeps its figures from the last run written to --out, marked so.
        for step in args.skip:
            if step in previous.get(n, {}):
                kept = previous[n][step]
                size[step] = {**kept, "from_run": kept.get("from_run") or previous[n].get("date")}
        results["sizes"].append(size)
        say = lambda msg, n=n: print(f"[{n:,}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
        if "generate" not in args.skip:
            say("generating the demo as CSV ...")
            size["generate"] = _strip(generate(n, folder))
        if "import" not in args.skip:
            say("importing ...")
            size["import"] = _strip(import_csv(folder, db))
        if "pages" not in args.skip:
            say("recording every page's queries ...")
            calls = record_pages(db)
            say("timing the pages cold and warm ...")
            size["pages"] = time_pages(db, calls, repeats=1 if args.quick else 3)
        if "first_page" not in args.skip:
            say("first page in the browser ...")
            size["first_page"] = first_page(db)
        if "filter_latency" not in args.skip:
            say("filter changes in the browser ...")
            size["filter_latency"] = filter_latency(db, n_changes=5 if args.quick else 26)
        if "concurrency" not in args.skip:
            say("concurrent sessions ...")
            size["concurrency"] = concurrency(
                db, sessions=2 if args.quick else 8, seconds=10 if args.quick else 60
            )
        _write(results, args.out)
    _write(results, args.out)
    print(markdown(results))
    return 0


def _previous(out: Path) -> dict[int, dict[str, Any]]:
    """The figures of the last run written to `out`, by size."""
    path = out.with_suffix(".json")
    if not path.is_file():
        return {}
    old = json.loads(path.read_text())
    date = old.get("machine", {}).get("date")
    return {s["n_leads"]: {**s, "date": s.get("date", date)} for s in old.get("sizes", [])}


def _strip(step: dict[str, Any]) -> dict[str, Any]:
    """Keep the figures; the import's summary line gives the rows read."""
    out = {k: v for k, v in step.items() if k != "output"}
    for line in step.get("output", "").splitlines():
        if line.startswith("total "):
            out["rows"] = line.split()[1]
    return out


# Where the part of results.md written from bench/import_speed.py's runs starts: kept as it is.
KEPT_MARK = "<!-- kept: written from bench/import_speed.py runs -->"


def _write(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.read_text(encoding="utf-8") if out.is_file() else ""
    kept = old[old.index(KEPT_MARK) :] if KEPT_MARK in old else ""
    out.write_text(markdown(results) + ("\n" + kept if kept else ""), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    sys.exit(main())
