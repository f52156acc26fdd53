"""Shared fixtures: the golden dataset imported once per session, and helpers to build datasets."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from handoff import access, importer
from handoff import agreement as agreement_mod
from handoff.db import Database

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
DEMO_AGREEMENT = ROOT / "data" / "agreement.toml"


@pytest.fixture(scope="session", autouse=True)
def _views_file(tmp_path_factory):
    """Saved views go to a file of the session's, never the checkout's data/views.sqlite (the
    servers the browser tests start inherit it)."""
    previous = os.environ.get("HANDOFF_VIEWS")
    os.environ["HANDOFF_VIEWS"] = str(tmp_path_factory.mktemp("views") / "views.sqlite")
    yield
    if previous is None:
        os.environ.pop("HANDOFF_VIEWS", None)
    else:
        os.environ["HANDOFF_VIEWS"] = previous


@pytest.fixture(scope="session")
def golden_agreement() -> agreement_mod.Agreement:
    return agreement_mod.load(GOLDEN / "agreement.toml")


@pytest.fixture(scope="session")
def golden_import(tmp_path_factory, golden_agreement) -> importer.ImportResult:
    path = tmp_path_factory.mktemp("golden") / "golden.duckdb"
    return importer.import_dataset(GOLDEN, path, golden_agreement)


@pytest.fixture(scope="session")
def golden_db_path(golden_import) -> Path:
    return golden_import.db_path


@pytest.fixture
def golden_data_page(golden_db_path, tmp_path, monkeypatch) -> tuple[AppTest, Path]:
    """The Data page opened on a copy of the golden database (in tmp_path/data, so a test may
    replace it), caches cleared: the page and the copy's path."""
    import shutil

    db_path = tmp_path / "data" / "handoff.duckdb"
    db_path.parent.mkdir()
    shutil.copy(golden_db_path, db_path)
    monkeypatch.setenv("HANDOFF_DB", str(db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.run()
    app.switch_page("pages/data.py").run()
    return app, db_path


@pytest.fixture
def definitions_page(golden_db_path, tmp_path, monkeypatch):
    """A function of an agreement's text: the Definitions page opened on the golden database
    under it (written to tmp_path/agreement.toml), caches cleared before and after; it returns
    the page after its run and the agreement file."""

    def open_page(text: str) -> tuple[AppTest, Path]:
        path = tmp_path / "agreement.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
        monkeypatch.setenv("HANDOFF_AGREEMENT", str(path))
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.run()
        at.switch_page("pages/definitions.py").run()
        return at, path

    yield open_page
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def golden_db(golden_db_path, golden_agreement) -> Database:
    db = Database(golden_db_path, golden_agreement)
    yield db
    db.close()


@pytest.fixture(scope="session")
def golden_scored_agreement() -> agreement_mod.Agreement:
    """The golden agreement with the fixture's [scoring] section (scoring.toml) appended."""
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    return agreement_mod.parse(text + "\n" + (GOLDEN / "scoring.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def golden_scored_db(golden_db_path, golden_scored_agreement) -> Database:
    """The golden data under the scored agreement (its staging built in memory on opening)."""
    db = Database(golden_db_path, golden_scored_agreement)
    yield db
    db.close()


def write_dataset(folder: Path, **files: str | bytes) -> Path:
    """Write a dataset folder: write_dataset(tmp, leads="lead_id,...\\n...")."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return folder


def checked(folder: Path, agreement, **how) -> tuple[importer.ImportResult, object]:
    """`check_dataset`, with accepted + set aside + rejected = read asserted for every file."""
    result, con = importer.check_dataset(folder, agreement, **how)
    for t in result.tables:
        assert t.n_accepted + t.n_set_aside + t.n_rejected == t.n_read, t
    return result, con


def check_files(tmp_path: Path, agreement, **files: str | bytes):
    """Write a dataset folder (as `write_dataset`) under tmp_path/data and check it."""
    return checked(write_dataset(tmp_path / "data", **files), agreement)


@pytest.fixture
def new_session(golden_db_path, monkeypatch, tmp_path):
    """Open the app on the golden data: `new_session(page, user=None, role="viewer",
    **params)` is a new session (a browser tab) on `page` with the URL's query `params`;
    `user`, the claims of a person who signed in just now (as st.user), whom the access file
    gives `role`. A session opened with a user has sign-in on; one without, off."""
    monkeypatch.setenv("HANDOFF_DB", str(golden_db_path))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(GOLDEN / "agreement.toml"))
    access_file = tmp_path / "access-of-sessions.toml"
    monkeypatch.setenv("HANDOFF_ACCESS", str(access_file))
    # AppTest's st.user stands for Streamlit's sign-in cookie, which exists only with [auth].
    monkeypatch.setattr(
        access, "sign_in_configured", lambda: bool(st.user.to_dict().get("is_logged_in"))
    )
    granted: dict[str, list[str]] = {role: [] for role in access.ROLES}
    st.cache_data.clear()
    st.cache_resource.clear()

    def opened(
        page: str, user: dict | None = None, role: str = "viewer", **params: str | list[str]
    ) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        if user is not None:
            granted[role].append(user["email"])
            access_file.write_text(
                "".join(f"[roles.{r}]\nemails = {json.dumps(e)}\n" for r, e in granted.items()),
                encoding="utf-8",
            )
            at.user = {"is_logged_in": True, "iat": int(time.time()), **user}
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page != "app.py":
            at.switch_page(page).run()
        assert not at.exception
        return at

    yield opened
    st.cache_data.clear()
    st.cache_resource.clear()
