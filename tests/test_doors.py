"""The app's doors (issue 16 items 1, 2, 9, 10, 11, 12): who may replace the data, how big an
upload may be, links with bad values, downloads that a spreadsheet would run, labels that would
render as markdown or HTML, and the heavy modules imported once. Each test is built from the
audit's reproducer."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tomllib

import pandas as pd
import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from handoff import agreement as agreement_mod
from handoff import charts, importer, safe
from tests.conftest import GOLDEN, ROOT, write_dataset

TIMEOUT = 30
PAGES = ["app.py", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))]
# The audit's labels: a tracking pixel, a link, a colour, maths and HTML.
PAYLOADS = [
    "![px](https://evil.example/pixel.png)",
    "[login](https://evil.example/login)",
    ":red[x]",
    "$$x$$",
    "<img src=x>",
]
# Each payload's working part, unescaped, in markdown source.
LIVE_MARKDOWN = re.compile(r"(?<!\\)\[(px|login)\]|(?<!\\):red\[x|(?<!\\)\$\$x|(?<!\\)<img")
# A bare URL, www. or e-mail address that GFM would turn into a link, in the text as shown.
AUTOLINK = re.compile(r"(?i)\bhttps?://|\bwww\.|[\w.+-]@[\w-]+\.\w")
J = safe.WORD_JOINER


def live(text: str) -> bool:
    """Whether markdown source still holds a working part of a payload."""
    return bool(LIVE_MARKDOWN.search(text) or AUTOLINK.search(re.sub(r"\\(.)", r"\1", text)))


# ---- markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "escaped"),
    [
        ("![px](https://evil.example/pixel.png)", rf"!\[px\](https{J}\://evil.example/pixel.png)"),
        ("[login](https://evil.example/login)", rf"\[login\](https{J}\://evil.example/login)"),
        (":red[x]", r"\:red\[x\]"),
        ("$$x$$", r"\$\$x\$\$"),
        ("<img src=x>", r"\<img src=x\>"),
        ("**bold** _it_ ~~s~~ `code`", r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`code\`"),
        # GFM links these after parsing, escaped or not: a word joiner breaks them.
        ("www.evil.example", f"www{J}.evil.example"),
        ("ana@evil.example", rf"ana{J}\@evil.example"),
        ("http://x.example", rf"http{J}\://x.example"),
        ("a\\b &amp;", r"a\\b \&amp;"),
        # What starts a line must not start a heading, a quote or a list.
        ("# Title", r"\# Title"),
        ("> quote", r"\> quote"),
        ("- item", r"\- item"),
        ("1. item", r"1\. item"),
        # A line break would start a new block.
        ("first\nsecond\r\nthird", "first second third"),
        # Ordinary labels are left as they read.
        ("Paid search", "Paid search"),
        ("(unknown)", "(unknown)"),
        ("Région Île-de-France 東京", "Région Île-de-France 東京"),
    ],
)
def test_md_escapes_what_markdown_would_render(label, escaped):
    assert safe.md(label) == escaped


def test_md_of_a_non_string_is_its_text():
    assert safe.md(12.5) == "12.5"
    assert safe.md(ValueError("x:y")) == r"x\:y"


# ---- plotly ---------------------------------------------------------------------------------


def strings(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def live_html(fig_json: str) -> list[str]:
    """The strings of a figure that plotly would render as a tag of the payloads."""
    return [s for s in strings(json.loads(fig_json)) if re.search(r"<(img|a)\b", s, re.I)]


def test_every_chart_builder_shows_labels_literally():
    builders = [
        name
        for name, f in vars(charts).items()
        if callable(f) and getattr(f, "__module__", "") == "handoff.charts" and name[0] != "_"
        if "return" in getattr(f, "__annotations__", {})
    ]
    assert builders
    assert [
        b for b in builders if not getattr(getattr(charts, b), "shows_labels_literally", 0)
    ] == []


def test_chart_labels_from_the_data_are_escaped():
    p = [*PAYLOADS, '<a href="https://evil.example">x</a>']
    months = pd.to_datetime(["2026-01-01", "2026-02-01"])
    trend = pd.DataFrame(
        {"month": months, "group": [p[4], p[5]], "rate": [0.5, 0.4], "n_to": [1, 2],
         "n_from": [2, 5], "is_mature": [True, False]}
    )  # fmt: skip
    # fmt: off
    figures = [
        charts.models_side_by_side(
            pd.DataFrame({"group_name": p, "linear": [1.0] * len(p)}),
            {"linear": "Linear"},
            f"Credit to {p[4]}",
        ),
        charts.rate_whiskers(
            pd.DataFrame(
                {"label": p, "rate": [0.5] * 6, "low": [0.4] * 6, "high": [0.6] * 6,
                 "counts": ["1 of 2"] * 6}
            ),
            p[5],
            overall=0.5,
            target=0.4,
            target_label=p[4],
        ),
        charts.tradeoff(
            pd.DataFrame(
                {"name": p, "leads": [1] * 6, "quality": [0.5] * 6, "low": [0.4] * 6,
                 "high": [0.6] * 6, "size": [3] * 6}
            ),
            1, 0.5, p[4], p[5],
        ),
        charts.pareto(
            pd.DataFrame(
                {"reason": p, "n_discarded": [6, 5, 4, 3, 2, 1],
                 "cumulative_share": [0.2, 0.4, 0.6, 0.8, 0.9, 1.0]}
            ),
            p[4],
        ),
        charts.accounts(pd.DataFrame({"account": p, "n_leads": [1] * 6}), 6, p[5]),
        charts.histogram_bins(
            pd.DataFrame({"bin": p, "n_leads": [1] * 6}), f"Time taken ({p[4]})", "#000"
        ),
        charts.trend_lines(trend, p[5], p[4]),
    ]
    # fmt: on
    for fig in figures:
        assert live_html(fig.to_json()) == []
    # The label still reads as typed: plotly shows &lt; as <.
    assert "&lt;img src=x&gt;" in figures[0].data[0].y


# ---- CSV downloads --------------------------------------------------------------------------


def test_csv_downloads_cannot_run_formulas():
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
            "source": [
                '=HYPERLINK("https://evil.example","Click")',
                "+cmd|' /C calc'!A0",
                "-2+3",
                "@SUM(A1:A2)",
                "\t=1+1",
                "\r=1+1",
                "Paid search",
            ],
            "amount_usd": [-5, 10, -0.5, 0, 1, 2, 3],
            "missing": [None, "x", None, None, None, None, "=1"],
        }
    )
    rows = list(csv.reader(io.StringIO(safe.csv_bytes(frame).decode("utf-8"), newline="")))
    assert rows[0] == ["lead_id", "source", "amount_usd", "missing"]
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("https://evil.example","Click")',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1:A2)",
        "'\t=1+1",
        "'\r=1+1",
        "Paid search",
    ]
    # A number column keeps its numbers: -5 stays -5, not '-5.
    assert [r[2] for r in rows[1:]] == ["-5.0", "10.0", "-0.5", "0.0", "1.0", "2.0", "3.0"]
    assert [r[3] for r in rows[1:]] == ["", "x", "", "", "", "", "'=1"]
    assert frame["source"].iloc[0].startswith("=")  # the frame on screen is not changed


def test_the_download_helper_writes_the_neutralised_csv(monkeypatch):
    from handoff import ui

    seen = {}
    monkeypatch.setattr(st, "download_button", lambda label, data, **kw: seen.update(data=data))
    frame = pd.DataFrame({"source": ["=1+1"], "n": [-5]})
    ui.csv_download("Download", frame, "x.csv", column_config=None, time_zone="UTC")
    assert seen["data"]() == b"source,n\r\n'=1+1,-5\r\n"


# ---- who may change the data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "ip", "allowed"),
    [
        ("127.0.0.1", None, True),  # the default: this machine, a local browser
        ("localhost", None, True),
        ("::1", "::1", True),
        ("127.0.0.1", "127.0.0.1", True),  # a reverse proxy on this machine
        (None, None, False),  # server.address unset: every interface
        ("", None, False),
        ("0.0.0.0", None, False),  # noqa: S104
        ("192.168.1.20", None, False),
        ("::", None, False),
        ("127.0.0.1", "203.0.113.9", False),  # a peer from elsewhere (a tunnel that forwards it)
        ("127.0.0.1", "10.0.0.5", False),
    ],
)
def test_who_may_change_the_data(address, ip, allowed):
    refusal = safe.data_changes_refusal(address, ip)
    assert (refusal is None) == allowed
    if not allowed:
        assert "Uploading and importing are turned off" in refusal
        assert "python -m handoff import" in refusal
        assert "README, Sign-in and roles" in refusal


def test_config_serves_this_machine_without_tracebacks():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] <= safe.MAX_UPLOAD_MB
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "--server.address 127.0.0.1" in run


@pytest.mark.parametrize(
    ("sizes", "refused"),
    [
        ([1_000] * 20, None),
        ([1_000] * 21, "This upload has 21 files; Handoff takes at most 20 at a time."),
        ([600 * 2**20, 424 * 2**20], None),  # exactly 1,024 MB
        ([3 * 150 * 2**20] * 3, "This upload holds 1,350 MB; Handoff takes at most 1,024 MB"),
    ],
)
def test_upload_limits(sizes, refused):
    said = safe.upload_refusal(sizes)
    assert said == refused if refused is None else said.startswith(refused)


# ---- the pages ------------------------------------------------------------------------------


@pytest.fixture
def golden_app(golden_db_path, monkeypatch):
    monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield lambda: AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def served_on(monkeypatch):
    """Serve the app on another address for one test."""
    before = st_config.get_option("server.address")

    def serve(address):
        st_config.set_option("server.address", address)

    yield serve
    st_config.set_option("server.address", before)


def test_data_page_refuses_upload_and_import_when_served_elsewhere(golden_app, served_on):
    served_on("0.0.0.0")  # noqa: S104
    at = golden_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert not at.get("file_uploader")  # refused at the server: nothing to upload into
    assert not at.main.button  # no Check, no Import (the sidebar saves views)
    assert "this server listens on 0.0.0.0" in at.error[0].value
    assert at.dataframe  # the rest of the page still shows what is loaded


def test_data_page_takes_uploads_on_this_machine(golden_app):
    at = golden_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.get("file_uploader")
    assert not at.error


def test_an_upload_of_too_many_files_is_refused_before_saving(golden_app):
    at = golden_app()
    at.switch_page("pages/data.py").run()
    files = [(f"leads{i}.csv", b"lead_id,created_at,source\n", "text/csv") for i in range(21)]
    at.file_uploader(key="upload_files").set_value(files).run()
    assert not at.exception
    assert at.error[0].value.startswith("Nothing was saved. This upload has 21 files")
    assert "upload_saved" not in at.session_state


# Bad values in a link: the audit's two overflows, then garbage, huge numbers, repeated keys
# and non-ASCII in every parameter the filters read.
BAD_LINKS = [
    {"period": "custom", "from": "2026-01-01", "to": "9999-12-31"},
    {"period": "custom", "from": "0001-01-01", "to": "0001-01-02"},
    {"period": "🙂forever", "view": "sideways", "from": "x", "to": "9" * 400},
    {"period": ["custom", "ytd"], "from": ["2026-03-01", "2026-03-05"], "to": "2026-03-31",
     "view": ["flow", "nope"]},
    {"period": "custom", "from": "2026-04-01", "to": "2026-03-01", "source": ["9" * 40, "Paid search",
     "Paid search"], "team": "Ünïcødé 東京 :red[x]", "attr_region": ["NA", "NA"],
     "attr_![px](https://evil.example/p.png)": "1"},
    {"owner": "\x00\x7f", "campaign": "", "period": "", "from": "2026-02-30", "to": "-1"},
]  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_bad_links_fall_back_with_a_note_on_every_page(golden_app, page):
    for params in BAD_LINKS:
        at = golden_app()
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(page).run()
        assert not at.exception, (page, params)
        said = " ".join(w.value for w in at.warning)
        assert "Ignored in the link" in said or "Not in the data" in said, (page, params)
        assert not live(said)


def test_the_audit_overflow_links_say_what_was_ignored(golden_app):
    at = golden_app()
    at.query_params.update(period="custom", **{"from": "2026-01-01", "to": "9999-12-31"})
    at.run()
    assert not at.exception
    note = at.warning[0].value.replace("\\", "")
    assert note.startswith(
        "Ignored in the link: from “2026-01-01” to “9999-12-31”: dates must lie between "
        "1900-01-01 and 2199-12-31"
    )
    assert "showing the last month instead of custom dates" in note
    # The last full month of the golden data (through 10 April 2026) is March.
    assert "**March 2026** compared with **February 2026**" in at.markdown[0].value


# ---- labels that are payloads, on every page ------------------------------------------------


def payload_dataset(folder):
    """Ten leads of March 2026 whose every label is one of the audit's payloads."""
    leads = io.StringIO()
    out = csv.writer(leads, lineterminator="\n")
    out.writerow(["lead_id", "created_at", "source", "campaign", "owner", "team", "score",
                  "mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "discarded_at",
                  "discard_reason", "region"])  # fmt: skip
    touches = io.StringIO()
    tout = csv.writer(touches, lineterminator="\n")
    tout.writerow(["lead_id", "touched_at", "channel", "campaign"])
    deals = io.StringIO()
    dout = csv.writer(deals, lineterminator="\n")
    dout.writerow(["deal_id", "lead_id", "created_at", "closed_at", "status", "amount"])
    for i in range(10):
        p = [PAYLOADS[(i + k) % 5] for k in range(5)]
        day = f"2026-03-{i + 2:02d}"
        won = i % 3 == 0
        discarded = i % 3 == 1
        out.writerow([
            f"L{i}", f"{day} 09:00", p[0], p[1], p[2], p[3], 10 * i, f"{day} 10:00",
            f"{day} 12:00", f"{day} 13:00" if not discarded else "",
            f"{day} 14:00" if won else "", "2026-03-20 10:00" if won else "",
            f"{day} 15:00" if discarded else "", p[4] if discarded else "", p[4],
        ])  # fmt: skip
        tout.writerow([f"L{i}", f"{day} 08:00", p[1], p[2]])
        tout.writerow([f"L{i}", f"{day} 11:00", p[3], p[0]])
        if won:
            dout.writerow([f"D{i}", f"L{i}", f"{day} 14:00", "2026-03-20 10:00", "won", 1000 + i])
    # A lead in April: the data runs to 15 April, so March is the last full month.
    out.writerow(["L99", "2026-04-15 09:00", "Web"] + [""] * 12)
    return write_dataset(
        folder, leads=leads.getvalue(), touches=touches.getvalue(), deals=deals.getvalue()
    )


def markdown_shown(at) -> list[str]:
    """Every text of the page that Streamlit renders as markdown."""
    texts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title",
                 "subheader", "header", "latex"):  # fmt: skip
        texts += [e.value for e in at.get(kind)]
    for kind in ("metric", "selectbox", "multiselect", "radio", "checkbox", "slider",
                 "number_input", "date_input", "button", "expander", "toggle"):  # fmt: skip
        for e in at.get(kind):
            proto = getattr(e, "proto", None)
            texts += [getattr(proto, "label", ""), getattr(proto, "help", "")]
    return [t for t in texts if t]


@pytest.fixture
def payload_app(tmp_path, monkeypatch):
    agreement = agreement_mod.load(GOLDEN / "agreement.toml")
    db_path = tmp_path / "data" / "handoff.duckdb"
    db_path.parent.mkdir()
    importer.import_dataset(payload_dataset(tmp_path / "export"), db_path, agreement)
    monkeypatch.setenv("HANDOFF_DB", str(db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_payload_labels_render_as_text_on_every_page(payload_app):
    at = payload_app
    # Values a link asks for are echoed back in a note: payloads there too.
    at.query_params.update(
        source="![px](https://evil.example/pixel.png) no", attr_region=":red[x]!"
    )
    at.run()
    texts, specs = markdown_shown(at), []
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        shown = markdown_shown(at)
        assert [t for t in shown if live(t)] == [], page
        charts_json = [chart.proto.spec for chart in at.get("plotly_chart")]
        assert [s for spec in charts_json for s in live_html(spec)] == [], page
        texts += shown
        specs += charts_json
    # The payloads did reach the pages, escaped (the test would pass vacuously otherwise).
    text = " ".join(texts)
    assert rf"!\[px\](https{J}\://evil.example/pixel.png) no" in text  # the link's note
    assert rf"\[login\](https{J}\://evil.example/login) earns" in text  # attribution's reading
    assert r"\:red\[x\]" in text
    labels = {s for spec in specs for s in strings(json.loads(spec))}
    assert "&lt;img src=x&gt;" in labels


def test_an_uploaded_mappings_title_notes_and_file_names_render_as_text(payload_app):
    at = payload_app
    at.switch_page("pages/data.py").run()
    mapping = (
        f"title = {json.dumps(PAYLOADS[0] + ' ' + PAYLOADS[1])}\n"
        f"notes = {json.dumps(PAYLOADS[2:])}\n"
        '[files.leads]\ntable = "leads"\nmatch = ["Id", "Created", "Channel"]\n'
        '[files.leads.columns]\nlead_id = "Id"\ncreated_at = "Created"\nsource = "Channel"\n'
    )
    at.file_uploader(key="upload_files").set_value(
        [
            ("leads.csv", b"Id,Created,Channel\nL1,2026-03-01,Web\n", "text/csv"),
            ("map.toml", mapping.encode(), "application/toml"),
            ("[x](https:evil.example).csv", b"a,b\n1,2\n", "text/csv"),
        ]
    ).run()
    assert not at.exception
    shown = markdown_shown(at)
    assert [t for t in shown if live(t)] == []
    assert rf"**!\[px\](https{J}\://evil.example/pixel.png) \[login\]" in " ".join(shown)
    assert any(r"\:red\[x\]" in c.value for c in at.caption)


# ---- the heavy modules, once ----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_imports_the_heavy_modules_first(path):
    import ast

    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert ast.unparse(imports[0]) == "import handoff.preload", path


def test_preload_holds_every_heavy_module_the_pages_use():
    source = (ROOT / "handoff" / "preload.py").read_text()
    for module in (
        "duckdb",
        "numpy",
        "pandas",
        "plotly.graph_objects",
        "pyarrow",
        "handoff.charts",
    ):
        assert re.search(rf"^import {re.escape(module)}\b", source, re.M), module


def test_cold_concurrent_first_sessions_import_without_a_race():
    """Eight threads of a fresh interpreter run the pages' import lines at once, as eight first
    sessions of a cold server do: none sees a half-initialised module."""
    script = f"""
import sys, threading, ast
sys.path.insert(0, {str(ROOT)!r})
pages = {PAGES!r}
blocks = []
for page in pages:
    tree = ast.parse(open({str(ROOT)!r} + "/" + page).read())
    body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    blocks.append(compile(ast.Module(body, []), page, "exec"))
barrier = threading.Barrier(8)
errors = []
def session(i):
    barrier.wait()
    try:
        exec(blocks[i % len(blocks)], {{}})
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
sys.exit(1 if errors else 0)
"""
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
