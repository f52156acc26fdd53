"""The meeting: twenty people open one shared link at once, and eight change filters for a minute.

    .venv/bin/python bench/meeting.py bench-data/bench-10000000.duckdb
    .venv/bin/python bench/meeting.py DB --sessions 5 --within 2 --changers 2 --seconds 10

Each session is a client of Streamlit's own websocket protocol (`/_stcore/stream`, the
protobuf messages the browser exchanges), on loopback: it asks for the page as a browser does
on opening the link, and the page is complete when the server says its run finished. Clients
instead of browser tabs, so the two CPUs measure the app and not twenty copies of Chromium
drawing charts (a person's browser runs on their own machine).

1. The shared link. One session alone on a fresh app gives the reference: what the page shows
   and how long it takes. Then a second fresh app gets the sessions, opening
   the link at seeded random instants within the window (each app has run the home page once
   first, as an app running before a meeting has: the link's own queries are not cached, the
   modules and the database are loaded): seconds from opening to the page
   complete (median, p95, max), errors (an exception or an error box on the page, a run that
   did not finish), and every session's page compared with the reference element by element
   (each text, metric, chart and table): "numbers unlike a single session's" counts the
   sessions whose page differs.
2. Filter changes. The changers, each on its own session, go through the changes for the
   given time, changing a sidebar filter as the browser does (the widget's new value in the
   rerun request) and waiting for the run to finish: seconds per change, errors; then one
   session alone on a fresh app goes through as many changes (the reference), and pages
   unlike the reference's at the same step are counted.
3. One session's whole page run after a filter change: the changes of bench/run.py's
   `fresh_changes` (each to a filter state the app has not answered before), on a fresh app,
   one at a time: seconds from the change to the run finished (median, p95).

The app's memory: its resident size sampled every 0.1 s (peak during each part) and its peak
as the kernel counts it when it stops. Results go to bench/meeting.md and bench/meeting.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CHANGES, App, fresh_changes, machine
from run import _latencies as latencies

ROOT = Path(__file__).resolve().parent.parent
# The agreement the app judges by (--agreement), and its environment (--no-prefetch).
AGREEMENT_IN_USE = [ROOT / "data" / "agreement.toml"]
ENV: dict[str, str] = {}
# A running app before the meeting: its modules loaded and the database open, by someone who
# looked at the home page; the shared link's own questions are not in its cache.
WARM = ""
# The shared link: the funnel page for last quarter's leads, broken down by campaign.
LINK = "funnel?period=last_quarter&funnel_by=campaign"
ERROR_ALERT = 1  # streamlit.proto.Alert.Format.ERROR
FINISHED = 0  # ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
# What a page shows: every element but the widgets, whose ids and states are per session.
SHOWN = {
    "markdown", "metric", "heading", "alert", "plotly_chart", "arrow_data_frame",
    "arrow_table", "json", "code", "text", "exception", "progress", "empty",
}  # fmt: skip
WIDGET_VALUE = {"selectbox": "string_value", "radio": "string_value"}


@dataclass
class Run:
    """One page run as a session saw it."""

    seconds: float
    finished: bool
    errors: int
    # Each shown element's digest, by its place on the page (delta path).
    page: dict[tuple[int, ...], str] = field(default_factory=dict)


class Session:
    """One person's tab, spoken through Streamlit's websocket protocol."""

    def __init__(self, url: str):
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.origin = url
        self.ws: Any = None
        self.widgets: dict[str, str] = {}  # user key -> widget id
        self.kinds: dict[str, str] = {}  # user key -> widget type
        self.page_name = ""

    async def open(self, link: str) -> Run:
        """Connect and run the page a link names, as a browser does on opening it."""
        started = time.perf_counter()
        self.ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], origin=self.origin, max_size=None,
            open_timeout=120, ping_interval=None,
        )  # fmt: skip
        self.page_name, _, query = link.partition("?")
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = self.page_name
        return await self._run(msg, started)

    async def change(self, key: str, label: str) -> Run:
        """Set one sidebar filter (by its key) to the option shown as `label`."""
        msg = BackMsg()
        msg.rerun_script.page_name = self.page_name
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = self.widgets[key]
        setattr(state, WIDGET_VALUE[self.kinds[key]], label)
        return await self._run(msg, time.perf_counter())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _run(self, msg: BackMsg, started: float) -> Run:
        await self.ws.send(msg.SerializeToString())
        page: dict[tuple[int, ...], str] = {}
        errors = 0
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=300))
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                what = element.WhichOneof("type")
                widget = getattr(element, what)
                if hasattr(widget, "id") and widget.id and what in WIDGET_VALUE:
                    user_key = widget.id.rsplit("-", 1)[-1]
                    self.widgets[user_key] = widget.id
                    self.kinds[user_key] = what
                if what in SHOWN:
                    path = tuple(reply.metadata.delta_path)
                    page[path] = _digest(what, widget)
                    errors += what == "exception" or (
                        what == "alert" and widget.format == ERROR_ALERT
                    )
            elif kind == "script_finished":
                status = reply.script_finished
                return Run(time.perf_counter() - started, status == FINISHED, errors, page)


def _digest(what: str, element: Any) -> str:
    return what + ":" + hashlib.sha256(element.SerializeToString(deterministic=True)).hexdigest()


class Memory:
    """The app's resident size, sampled every 0.1 s while a part runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> Memory:
        self.peak = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_gb(self) -> float:
        return round(self.peak / 2**30, 2)


# --- The three parts ----------------------------------------------------------------------------


def shared_link(db: Path, link: str, sessions: int, within: float, seed: int = 20) -> dict:
    """`sessions` sessions open `link` at random instants within `within` seconds."""
    app = App(db, AGREEMENT_IN_USE[0], ENV)
    try:
        asyncio.run(_open_one(app.url, WARM))
        reference = asyncio.run(_open_one(app.url, link))
    finally:
        app.close()
    app = App(db, AGREEMENT_IN_USE[0], ENV)
    rng = random.Random(seed)
    offsets = sorted(rng.uniform(0, within) for _ in range(sessions))
    try:
        asyncio.run(_open_one(app.url, WARM))
        idle = Memory(app.proc.pid).rss()
        with Memory(app.proc.pid) as memory:
            runs = asyncio.run(_open_many(app.url, link, offsets))
    finally:
        usage = app.close()
    times = [r.seconds for r in runs]
    return {
        "link": link,
        "sessions": sessions,
        "within_seconds": within,
        "reference_seconds": round(reference.seconds, 2),
        "reference_elements": len(reference.page),
        "errors": sum(r.errors + (not r.finished) for r in runs),
        "unlike_single_session": sum(r.page != reference.page for r in runs),
        "app_idle_rss_gb": round(idle / 2**30, 2),
        "app_peak_rss_gb": memory.peak_gb,
        "app_peak_rss_gb_kernel": usage.get("peak_rss_gb"),
        "app_cpu_seconds": usage.get("cpu_seconds"),
        **latencies(times),
    }


async def _open_one(url: str, link: str) -> Run:
    session = Session(url)
    try:
        return await session.open(link)
    finally:
        await session.close()


async def _open_many(url: str, link: str, offsets: list[float]) -> list[Run]:
    async def one(offset: float) -> Run:
        await asyncio.sleep(offset)
        return await _open_one(url, link)

    return list(await asyncio.gather(*(one(o) for o in offsets)))


def filter_changes(db: Path, changers: int, seconds: float, link: str = "funnel") -> dict:
    """`changers` sessions go through CHANGES for `seconds`, each change waited for; then one
    session alone, on a fresh app, through as many changes as the busiest of them made (a
    page's own choices follow what the session went through: the funnel's drill-down stage
    moves to MQL in the hand-over view and stays there, so step 9 is compared with step 9)."""
    app = App(db, AGREEMENT_IN_USE[0], ENV)
    try:
        with Memory(app.proc.pid) as memory:
            results = asyncio.run(_changers(app.url, link, changers, seconds))
    finally:
        usage = app.close()
    app = App(db, AGREEMENT_IN_USE[0], ENV)
    try:
        reference = asyncio.run(_changing(app.url, link, None, max(map(len, results))))
    finally:
        app.close()
    runs = [(step, run) for result in results for step, run in enumerate(result)]
    return {
        "sessions": changers,
        "seconds": seconds,
        "changes": len(runs),
        "errors": sum(r.errors + (not r.finished) for _, r in runs),
        "unlike_single_session": sum(r.page != reference[step].page for step, r in runs),
        "app_peak_rss_gb": memory.peak_gb,
        "app_peak_rss_gb_kernel": usage.get("peak_rss_gb"),
        "app_cpu_seconds": usage.get("cpu_seconds"),
        **latencies([r.seconds for _, r in runs]),
    }


async def _changers(url: str, link: str, n: int, seconds: float) -> list[list[Run]]:
    return list(await asyncio.gather(*(_changing(url, link, seconds, None) for _ in range(n))))


async def _changing(url: str, link: str, seconds: float | None, n_changes: int | None) -> list[Run]:
    """One session through CHANGES: for `seconds` after its page opened, or n_changes of them."""
    session = Session(url)
    runs: list[Run] = []
    try:
        await session.open(link)
        deadline = time.monotonic() + (seconds or 0)
        step = 0
        while step < n_changes if n_changes is not None else time.monotonic() < deadline:
            key, label = CHANGES[step % len(CHANGES)]
            runs.append(await session.change(key, label))
            step += 1
    finally:
        await session.close()
    return runs


def single_session(db: Path, link: str = "funnel") -> dict:
    """One session through fresh_changes() (period and view; sources are left to bench/run.py,
    whose multiselect a browser drives), each to a state the app has not answered before."""
    changes = [(k, v) for k, v in fresh_changes() if k in ("f_period", "f_view")]
    app = App(db, AGREEMENT_IN_USE[0], ENV)
    try:
        runs = asyncio.run(_through(app.url, link, changes))
    finally:
        app.close()
    return {
        "errors": sum(r.errors + (not r.finished) for r in runs),
        **latencies([r.seconds for r in runs]),
    }


async def _through(url: str, link: str, changes: list[tuple[str, str]]) -> list[Run]:
    session = Session(url)
    try:
        await session.open(link)
        return [await session.change(key, label) for key, label in changes]
    finally:
        await session.close()


# --- The report ---------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    m, link, changing, single = (
        results["machine"], results["shared_link"], results["filter_changes"],
        results["single_session"],
    )  # fmt: skip
    return "\n".join(
        [
            "# The meeting benchmark",
            "",
            f"Run {m['date']} on {m['cpus']} CPUs, {m['memory_gb']} GB, DuckDB {m['duckdb']}, "
            f"Streamlit {m['streamlit']}; database `{results['db']}` ({results['n_leads']:,} "
            f"leads, agreement `{results['agreement']}`, prefetch "
            f"{'on' if results['prefetch'] else 'off'}); load average {results['load_before']} "
            f"before, {results['load_after']} after. "
            "Sessions are websocket clients on loopback (bench/meeting.py).",
            "",
            f"- **The shared link** (`{link['link']}`): {link['sessions']} sessions opening it "
            f"within {link['within_seconds']:g} s on a fresh app: page complete in median "
            f"{link['median_seconds']} s, p95 {link['p95_seconds']} s, max {link['max_seconds']} s "
            f"(one session alone: {link['reference_seconds']} s); {link['errors']} errors; "
            f"{link['unlike_single_session']} sessions whose page differs from a single session's "
            f"({link['reference_elements']} elements compared). The app's memory: "
            f"{link['app_idle_rss_gb']} GB idle, peak {link['app_peak_rss_gb']} GB.",
            f"- **Filter changes**: {changing['sessions']} sessions for {changing['seconds']:g} s, "
            f"{changing['changes']} changes: page run finished in median "
            f"{changing['median_seconds']} s, p95 {changing['p95_seconds']} s; "
            f"{changing['errors']} errors; {changing['unlike_single_session']} pages unlike a "
            f"single session's; the app's peak memory {changing['app_peak_rss_gb']} GB.",
            f"- **One session**: {single['n']} filter changes, each to a state not seen before: "
            f"whole page run in median {single['median_seconds']} s, p95 "
            f"{single['p95_seconds']} s, max {single['max_seconds']} s; {single['errors']} errors.",
            "",
            "| target | measured | met |",
            "|---|---|---|",
            *(
                f"| {name} | {value} | {'yes' if ok else '**no**'} |"
                for name, value, ok in target_checks(results)
            ),
            "",
        ]
    )


def target_checks(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    link, single = results["shared_link"], results["single_session"]
    changing = results["filter_changes"]
    return [
        ("shared link: page complete p95 < 3 s", f"{link['p95_seconds']} s",
         link["p95_seconds"] < 3),
        ("shared link: no error", str(link["errors"]), link["errors"] == 0),
        ("shared link: every page as a single session's",
         f"{link['unlike_single_session']} unlike", link["unlike_single_session"] == 0),
        ("filter changes: no error, same pages",
         f"{changing['errors']} errors, {changing['unlike_single_session']} unlike",
         changing["errors"] == 0 and changing["unlike_single_session"] == 0),
        ("one session: whole page run median < 1.5 s", f"{single['median_seconds']} s",
         single["median_seconds"] < 1.5),
    ]  # fmt: skip


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--link", default=LINK)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--within", type=float, default=10)
    parser.add_argument("--changers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--agreement", type=Path, default=AGREEMENT_IN_USE[0])
    parser.add_argument(
        "--no-prefetch", action="store_true", help="the app with HANDOFF_PREFETCH=off"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "meeting.md")
    args = parser.parse_args()
    AGREEMENT_IN_USE[0] = args.agreement
    if args.no_prefetch:
        ENV["HANDOFF_PREFETCH"] = "off"
    import duckdb

    with duckdb.connect(str(args.db), read_only=True) as con:
        n_leads = con.execute("select count(*) from leads").fetchone()[0]
    results: dict[str, Any] = {
        "machine": machine(), "db": str(args.db), "agreement": str(args.agreement),
        "prefetch": not args.no_prefetch, "n_leads": n_leads, "load_before": _load(),
    }  # fmt: skip
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    say(f"the shared link, {args.sessions} sessions within {args.within:g} s ...")
    results["shared_link"] = shared_link(args.db, args.link, args.sessions, args.within)
    say(json.dumps(results["shared_link"]))
    say(f"filter changes, {args.changers} sessions for {args.seconds:g} s ...")
    results["filter_changes"] = filter_changes(args.db, args.changers, args.seconds)
    say(json.dumps(results["filter_changes"]))
    say("one session's filter changes ...")
    results["single_session"] = single_session(args.db)
    results["load_after"] = _load()
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    text = markdown(results)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
