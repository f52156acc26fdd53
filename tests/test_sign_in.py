"""Sign-in end to end: a real OpenID Connect provider (oidc-provider-mock, built on Authlib and
Flask, started as its own process), the app under Streamlit with `[auth]` in a secrets file,
and headless Chromium signing in, being refused, expiring, signing out; then Streamlit's upload
endpoint asked directly, with a viewer's cookie and an admin's.

One provider and one Streamlit server for the module (a test that changes the access file
puts it back)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import GOLDEN, ROOT
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DONE,
    FAILED,
    free_port,
    wait_for_run,
    wait_until_serving,
)

pytestmark = pytest.mark.browser

COOKIE_SECRET = "handoff-tests-cookie-secret-0123456789abcdef"  # noqa: S105  (the tests' own)
ACCESS = """\
groups_claim = "groups"
session_hours = 12

[roles.admin]
emails = ["ada@example.com"]

[roles.editor]
groups = ["revops"]

[roles.viewer]
emails = ["vic@example.com"]
"""
USERS = {
    "ada@example.com": {"email": "ada@example.com", "name": "Ada Admin"},
    "vic@example.com": {"email": "vic@example.com", "name": "Vic Viewer"},
    "eve@example.com": {"email": "eve@example.com", "name": "Eve Elsewhere"},
}


@pytest.fixture(scope="module")
def provider():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, proc, 30, "/.well-known/openid-configuration")
    for sub, claims in USERS.items():  # the provider's API: a user's claims in its ID tokens
        request = urllib.request.Request(  # noqa: S310  (the provider the test started)
            f"{url}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        urllib.request.urlopen(request).close()  # noqa: S310
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def app(provider, golden_db_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sign-in")
    db = folder / "handoff.duckdb"
    shutil.copyfile(golden_db_path, db)  # uploads are saved beside the database
    access = folder / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    port = free_port()
    url = f"http://localhost:{port}"  # the cookie's host is the redirect URI's
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "handoff"\n'
        'client_secret = "handoff-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "HANDOFF_DB": str(db),
        "HANDOFF_AGREEMENT": str(GOLDEN / "agreement.toml"),
        "HANDOFF_ACCESS": str(access),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--secrets.files", str(secrets)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_until_serving(f"http://127.0.0.1:{port}", proc)
    yield {"url": url, "access": access, "db": db, "folder": folder}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    page.screenshot(path=str(tmp_path / "last.png"))
    context.close()


def sign_in_screen(page, url: str) -> None:
    """Open the app signed out: the sign-in screen, Handoff's name and one button, no data."""
    page.goto(url)
    page.wait_for_selector(DONE, timeout=60_000)
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)


def at_provider(page, who: str | None) -> None:
    """Click Sign in, and at the provider's login form sign in as `who` (None: Deny)."""
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    if who is None:
        page.get_by_role("button", name="Deny").click()
    else:
        page.fill('input[name="sub"]', who)
        page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("http://localhost:*/**", timeout=30_000)
    page.wait_for_selector(DONE, timeout=60_000)
    page.wait_for_timeout(500)  # the page's run after the websocket reconnects
    page.wait_for_selector(DONE, timeout=60_000)


def signed_in(page, app, who: str, path: str = "") -> None:
    """Sign in as `who`, then open `path` (the provider's callback lands on the home page)."""
    sign_in_screen(page, app["url"])
    at_provider(page, who)
    page.wait_for_selector("h1", timeout=60_000)
    wait_for_run(page)
    if path:
        page.goto(app["url"] + "/" + path)
        wait_for_run(page)


def shown(locator) -> str:
    """A locator's text as read, without the invisible word joiners safe.md puts in e-mails."""
    return locator.inner_text().replace("\u2060", "")


def test_sign_in_screen_shows_nothing_but_sign_in(app, page):
    sign_in_screen(page, app["url"])
    assert page.locator("h1").inner_text().strip() == "Handoff"
    assert page.title() == "Sign in · Handoff"
    assert page.get_by_role("button").filter(has_text="Sign in").count() == 1
    # No page, no navigation, no number.
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert page.get_by_text("Scorecard").count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 0


def test_sign_in_shows_the_home_page_with_the_person_named(app, page):
    signed_in(page, app, "ada@example.com")
    assert page.locator("h1").first.inner_text().strip() == "Scorecard"
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Signed in as Ada Admin" in shown(sidebar)
    assert "Role: admin · ada@example.com" in shown(sidebar)
    assert sidebar.get_by_role("button", name="Sign out").count() == 1
    assert page.query_selector_all(FAILED) == []


def test_a_denied_sign_in_stays_signed_out_and_says_so(app, page):
    sign_in_screen(page, app["url"])
    at_provider(page, None)
    page.get_by_text("The sign-in was refused at the identity provider").wait_for(timeout=30_000)
    assert page.get_by_text("You are not signed in.").count() == 1
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert page.locator('[data-testid="stSidebar"]').count() == 0


def test_a_person_the_access_file_does_not_list_sees_nothing(app, page):
    sign_in_screen(page, app["url"])
    at_provider(page, "eve@example.com")
    page.get_by_text("who has no role in Handoff").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Sign out").count() == 1
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 0


def test_an_expired_session_is_asked_to_sign_in_again(app, page):
    signed_in(page, app, "vic@example.com")
    assert (
        page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as Vic Viewer").count()
        == 1
    )
    # The session began a second or more ago; a limit of 1/3600 hour (one second) has passed.
    time.sleep(1.5)
    app["access"].write_text(ACCESS.replace("session_hours = 12", "session_hours = 0.0002778"))
    try:
        page.reload()
        page.get_by_text("Your session has expired: sign in again").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Sign in again").count() == 1
        assert page.locator('[data-testid="stSidebar"]').count() == 0
    finally:
        app["access"].write_text(ACCESS, encoding="utf-8")


def test_sign_out_returns_to_the_sign_in_screen(app, page):
    signed_in(page, app, "ada@example.com")
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    # The provider ends its session too (its end-session form), then sends the browser back.
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("http://localhost:*/**", timeout=30_000)
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert not [c for c in page.context.cookies() if c["name"] == "_streamlit_user"]


def test_a_viewer_is_offered_no_upload_and_no_agreement_edit(app, page):
    # A URL parameter named like the upload widget's key does not turn it on.
    signed_in(page, app, "vic@example.com", "data?upload_files=1&role=admin")
    assert page.locator("h1").first.inner_text().strip() == "Data loaded"
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.get_by_text("needs the admin role").count() >= 1
    assert page.get_by_role("button", name="Go back to the demo data").count() == 0
    page.goto(app["url"] + "/definitions")
    wait_for_run(page)
    assert page.get_by_text("Editing the agreement needs the editor role").count() == 1


def _cookie(claims: dict) -> str:
    """A `_streamlit_user` cookie as Streamlit signs it (itsdangerous, the cookie's name as salt)."""
    serializer = URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user")
    return serializer.dumps(json.dumps(claims))


def _put(url: str, body: bytes, headers: dict, cookies: dict) -> int:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = urllib.request.Request(  # noqa: S310  (the app the test started)
        url, data=body, method="PUT", headers={**headers, "Cookie": cookie}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_upload_endpoint_refuses_a_viewer_and_takes_an_admins(app, page, tmp_path):
    signed_in(page, app, "ada@example.com", "data")
    export = tmp_path / "leads.csv"
    export.write_text("lead_id,created_at\nL1,2026-01-05\n", encoding="utf-8")
    with page.expect_request("**/_stcore/upload_file/**") as caught:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
    upload = caught.value
    upload.response()  # the browser's own upload, an admin's, went through
    assert upload.response().status < 300
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # One file in a multipart form, as the browser sends it (its own body is not exposed).
    boundary = "handoff-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="leads.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nlead_id,created_at\r\nL2,2026-01-06\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Xsrftoken": upload.headers["x-xsrftoken"],
    }
    ada = json.loads(
        URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user").loads(
            cookies["_streamlit_user"]
        )
    )
    # The same request (same session, same XSRF token), with a viewer's signed cookie instead.
    as_viewer = {
        **cookies,
        "_streamlit_user": _cookie({**ada, "email": "vic@example.com", "name": "Vic Viewer"}),
    }
    assert _put(upload.url, body, headers, as_viewer) == 403
    # An editor (by group) may not either; nor a cookie signed with another secret, nor none.
    as_editor = {
        **cookies,
        "_streamlit_user": _cookie({**ada, "email": "ed@example.com", "groups": ["revops"]}),
    }
    assert _put(upload.url, body, headers, as_editor) == 403
    forged = URLSafeTimedSerializer("not-the-secret", salt="_streamlit_user").dumps(json.dumps(ada))
    assert _put(upload.url, body, headers, {**cookies, "_streamlit_user": forged}) == 403
    assert (
        _put(
            upload.url, body, headers, {k: v for k, v in cookies.items() if k != "_streamlit_user"}
        )
        == 403
    )
    # An admin's session older than the access file's 12 hours: refused as expired.
    old = {**ada, "iat": ada["iat"] - 13 * 3600}
    assert _put(upload.url, body, headers, {**cookies, "_streamlit_user": _cookie(old)}) == 403
    # The admin's own cookie: taken.
    assert _put(upload.url, body, headers, cookies) == 204
