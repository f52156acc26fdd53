"""`pip install .` (issue 20, item 5): Handoff installs with its runtime dependencies only, a
`handoff` console command, and the app's own files inside the package; installed, it imports,
answers and serves from any folder, with its data in that folder's data/.

The wheel is built from a copy of the tracked files (`git ls-files`), so a file the package
needs but git does not track fails here as it would for a user. It is installed with `--target`
into a folder of its own and run with only that folder on PYTHONPATH, from a folder that holds
no checkout: the dependencies come from the test's own environment, Handoff from the wheel.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from handoff import paths, serve
from tests.conftest import GOLDEN, ROOT

RUNTIME = {
    "duckdb",
    "streamlit",
    "pandas",
    "numpy",
    "pyarrow",
    "plotly",
    "holidays",
    "Authlib",
    "httpx",
}


def test_the_app_files_cover_what_a_checkout_runs_the_app_from():
    """setup.py copies handoff.paths.APP_FILES into the package (read from its source: the build
    cannot import the package it builds); the wheel test below checks what lands."""
    tracked = subprocess.run(
        ["git", "ls-files", "app.py", "pages", "queries", ".streamlit"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in tracked:
        assert any(Path(name).match(p) for p in paths.APP_FILES), name


def test_a_checkout_finds_its_own_files():
    assert not paths.INSTALLED
    assert paths.APP_DIR == ROOT
    assert paths.QUERY_DIR == ROOT / "queries"
    assert paths.DEFAULT_DB == ROOT / "data" / "handoff.duckdb"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104  (the address under test, not one bound)
        ("192.168.1.10", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert serve.is_loopback(address) is loopback


def test_serve_refuses_another_address_without_the_flag_and_warns_with_it(tmp_path):
    anywhere = "0.0.0.0"  # noqa: S104  (refused or warned about, never bound here)
    with pytest.raises(serve.ServeRefused, match=r"without sign-in.*--open-without-sign-in"):
        serve.prepare(anywhere, 8501, None, GOLDEN / "agreement.toml", False)
    said: list[str] = []
    command, env = serve.prepare(
        anywhere, 8502, tmp_path / "x.duckdb", GOLDEN / "agreement.toml", True, said.append
    )
    assert said
    assert said[0].startswith("warning: serving on 0.0.0.0 without sign-in")
    assert command[-4:] == ["--server.address", anywhere, "--server.port", "8502"]
    assert env["HANDOFF_DB"] == str((tmp_path / "x.duckdb").resolve())
    with pytest.raises(serve.ServeRefused, match="1 to 65535"):
        serve.prepare("127.0.0.1", 0, None, None, False)


def test_serve_passes_handoffs_own_streamlit_settings():
    options = serve.config_options(ROOT / ".streamlit" / "config.toml")
    pairs = dict(zip(options[::2], options[1::2], strict=True))
    # Booleans as Streamlit's options spell them; the address and port are serve's own.
    assert pairs["--client.showSidebarNavigation"] == "false"
    assert pairs["--client.showErrorDetails"] == "none"
    assert pairs["--client.toolbarMode"] == "viewer"
    assert pairs["--server.maxUploadSize"] == "512"
    # Nested tables as dotted options: the light and the dark theme's colours.
    assert pairs["--theme.light.primaryColor"] == "#4c78a8"
    assert pairs["--theme.dark.primaryColor"] == "#6a95c4"
    assert not any(value.startswith("{") for value in pairs.values())
    assert "--server.address" not in pairs
    assert "--server.port" not in pairs


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from the tracked files (as a clean clone has them)."""
    src = tmp_path_factory.mktemp("src")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        target = src / name.decode()
        if (ROOT / name.decode()).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / name.decode()).read_bytes())
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(out)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("handoff-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    return target


def run_installed(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env["PYTHONPATH"] = str(installed)
    return subprocess.run(
        [str(installed / "bin" / "handoff"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_wheel_holds_the_app_and_declares_runtime_dependencies_only(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    pages = {f"handoff/_app/pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    queries = {
        f"handoff/_app/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "queries").rglob("*.sql")
    }
    assert pages <= names
    assert queries <= names
    assert {
        "handoff/_app/app.py",
        "handoff/_app/.streamlit/config.toml",
        "handoff/_app/data/agreement.toml",
        "handoff/demo.sql",
        "handoff/formats/salesforce.toml",
        "handoff/importer/run.py",
    } <= names
    assert not any(n.startswith(("tests/", "bench/", "handoff/_app/tests")) for n in names)
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if
                line.startswith("Requires-Dist:")]  # fmt: skip
    plain = {r.split(">")[0].split("<")[0].split("=")[0].strip() for r in requires if ";" not in r}
    assert plain == RUNTIME
    extras = {r.split(">")[0].strip(): r.split(";")[1].strip() for r in requires if ";" in r}
    assert extras["pytest"] == 'extra == "test"'
    assert extras["ruff"] == 'extra == "lint"'
    assert "handoff = handoff.cli:main" in entry


@pytest.mark.slow
def test_installed_it_imports_and_answers_from_any_folder(installed, tmp_path):
    where = tmp_path / "team"
    where.mkdir()
    done = run_installed(installed, where, "--help")
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout
    agreement = str(GOLDEN / "agreement.toml")
    done = run_installed(
        installed, where, "import", str(GOLDEN), "--agreement", agreement, "--quiet"
    )
    assert done.returncode == 0, done.stderr
    # The data lands in data/ of the folder it runs in, not in the package.
    assert (where / "data" / "handoff.duckdb").is_file()
    assert not (installed / "handoff" / "_app" / "data" / "handoff.duckdb").exists()
    period = ["--from", "2026-03-01", "--to", "2026-03-31"]
    answer = run_installed(installed, where, "metrics", "--json", "--agreement", agreement, *period)
    assert answer.returncode == 0, answer.stderr
    # The same numbers as the checkout gives for the same database and period.
    checkout = subprocess.run(
        [sys.executable, "-m", "handoff", "metrics", "--json", "--db",
         str(where / "data" / "handoff.duckdb"), "--agreement", agreement, *period],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert checkout.returncode == 0, checkout.stderr
    assert json.loads(answer.stdout) == json.loads(checkout.stdout)
    assert json.loads(answer.stdout)["funnel"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.browser
def test_installed_it_serves_the_app_with_its_demo_and_no_developer_menu(installed, tmp_path):
    from tests.test_browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        FAILED,
        wait_for_run,
        wait_until_serving,
    )

    where = tmp_path / "team"
    where.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env["PYTHONPATH"] = str(installed)
    proc = subprocess.Popen(
        [str(installed / "bin" / "handoff"), "serve", "--port", str(port)],
        cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, proc)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            # First start in an empty folder: the shipped agreement copied, the demo built.
            page.wait_for_selector("h1", timeout=240_000)
            wait_for_run(page)
            assert page.locator("h1").first.inner_text() == "Scorecard"
            assert page.locator(FAILED).count() == 0
            assert page.title() == "Scorecard · Handoff"
            # client.toolbarMode = "viewer": no Deploy button for the revenue team.
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
            browser.close()
        assert (where / "data" / "agreement.toml").read_text() == (
            paths.SHIPPED_AGREEMENT.read_text()
        )
        assert (where / "data" / "handoff.duckdb").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_running_app_picks_up_a_new_import_without_a_restart(
    golden_data_page, golden_agreement, tmp_path
):
    """A scheduled import replaces the database under a running app: the next run opens the new
    one (handoff.ui keys the open database by the file's identity), no restart."""
    import streamlit as st

    from handoff import importer
    from tests.conftest import write_dataset

    app, db_path = golden_data_page
    assert not app.exception

    def loaded() -> str:
        return next(c.value for c in app.caption if c.value.startswith("Loaded:"))

    assert loaded().startswith("Loaded: golden,")
    # The morning's import, by another process's hand: two leads, named "morning".
    export = write_dataset(
        tmp_path / "morning",
        leads="lead_id,created_at,source\nM1,2026-03-02 09:00,Web\nM2,2026-03-03 10:00,Web\n",
    )
    importer.import_dataset(export, db_path, golden_agreement)
    app.run()
    assert not app.exception
    assert loaded().startswith("Loaded: morning,")
    tables = app.dataframe[0].value.set_index("table_name")
    assert tables.loc["leads", "n_accepted"] == 2  # M1 and M2; the golden data had 14
    assert tables.loc["touches", "n_accepted"] == 0
    st.cache_data.clear()
    st.cache_resource.clear()
