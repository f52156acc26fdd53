"""Who may do what (handoff.access) and who did what (handoff.changelog): the access file's
rules, roles from claims, a session's lifetime, the upload endpoint's refusal from a cookie, the
old rule without sign-in, and the change log on the Data and Definitions pages."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import shutil

import pytest
import streamlit as st
from itsdangerous import URLSafeTimedSerializer
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from handoff import access, changelog
from handoff.cli import main
from tests.conftest import GOLDEN, ROOT

TIMEOUT = 30

RULES_TEXT = """\
groups_claim = "roles"
session_hours = 8

[roles.admin]
emails = ["Ada@Example.com"]

[roles.editor]
groups = ["revops"]
emails = ["ed@example.com"]

[roles.viewer]
groups = ["revenue-team"]
emails = ["vic@example.com"]
"""
RULES = access.parse_rules(RULES_TEXT, "access.toml")
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


# ---- the access file ----------------------------------------------------------------------------


def test_the_access_file_is_read_as_written():
    assert RULES.groups_claim == "roles"
    assert RULES.session_hours == 8
    assert RULES.emails["admin"] == {"ada@example.com"}  # e-mails without case
    assert RULES.groups["editor"] == {"revops"}
    assert RULES.groups["admin"] == frozenset()


def test_an_empty_access_file_lists_nobody_and_keeps_the_defaults():
    rules = access.parse_rules("", "access.toml")
    assert rules.session_hours == 12
    assert rules.groups_claim == "groups"
    assert access.role_of({"email": "ada@example.com"}, rules) is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[roles.owner]\nemails = ['a@b.c']", "unknown role 'owner'"),
        ("session_hours = 0", "session_hours must be a number of hours above 0"),
        ("session_hours = true", "session_hours must be a number"),
        ("groups_claim = ''", "groups_claim must name a claim"),
        ("[roles.admin]\nemails = 'a@b.c'", "roles.admin.emails must be a list of strings"),
        ("[roles.admin]\nusers = ['a@b.c']", "[roles.admin] holds emails"),
        ("admins = ['a@b.c']", "unknown key 'admins'"),
        ("[roles", "not TOML"),
    ],
)
def test_a_wrong_access_file_says_what_is_wrong(text, said):
    with pytest.raises(access.AccessError, match=f"^access.toml: .*{_re(said)}"):
        access.parse_rules(text, "access.toml")


def _re(text: str) -> str:
    import re

    return re.escape(text)


def test_the_access_file_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "access.toml"
    assert access.load_rules(path) == access.Rules()  # no file: nobody listed
    path.write_text('[roles.viewer]\nemails = ["vic@example.com"]\n')
    assert access.role_of({"email": "vic@example.com"}, access.load_rules(path)) == "viewer"
    path.write_text('[roles.admin]\nemails = ["vic@example.com"]\n')  # a role given
    assert access.role_of({"email": "vic@example.com"}, access.load_rules(path)) == "admin"


# ---- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"email": "ada@example.com"}, "admin"),
        ({"email": " ADA@example.COM "}, "admin"),  # the provider's case and spaces
        ({"email": "ed@example.com"}, "editor"),
        ({"email": "someone@example.com", "roles": ["revops"]}, "editor"),  # by group
        ({"email": "someone@example.com", "roles": "revops"}, "editor"),  # one group as text
        ({"email": "vic@example.com"}, "viewer"),
        ({"email": "x@example.com", "roles": ["revenue-team"]}, "viewer"),
        # Listed twice: the higher role.
        ({"email": "vic@example.com", "roles": ["revops"]}, "editor"),
        # Not listed, or a group under another claim's name than the file's: no role.
        ({"email": "eve@example.com"}, None),
        ({"email": "eve@example.com", "groups": ["revops"]}, None),
        # An e-mail the provider says it has not verified gives nothing; a group still does.
        ({"email": "ada@example.com", "email_verified": False}, None),
        ({"email": "ada@example.com", "email_verified": False, "roles": ["revops"]}, "editor"),
        ({}, None),
    ],
)
def test_the_role_is_the_highest_the_file_gives(claims, role):
    assert access.role_of(claims, RULES) == role


# Which role may do what: viewer < editor < admin, each with everything below it.
MAY = {
    "viewer": {"edit_agreement": False, "publish_view": False, "change_data": False},
    "editor": {"edit_agreement": True, "publish_view": True, "change_data": False},
    "admin": {"edit_agreement": True, "publish_view": True, "change_data": True},
}


@pytest.mark.parametrize("role", access.ROLES)
@pytest.mark.parametrize("action", access.ACTIONS)
def test_each_role_may_what_it_and_the_roles_below_it_may(role, action):
    person = access.Person(email="p@example.com", label="P", role=role)
    assert person.may(action) == MAY[role][action]
    refusal = person.refusal(action)
    assert (refusal is None) == MAY[role][action]
    if refusal:
        assert f"you are signed in as P, a {role}" in refusal


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(ValueError, match="unknown action"):
        access.Person(email=None, label="x", role="admin").may("delete_everything")


def test_the_person_is_named_by_name_else_e_mail():
    ada = access.person_from_claims({"email": "ada@example.com", "name": "Ada L"}, RULES)
    assert (ada.email, ada.label, ada.role, ada.actor) == (
        "ada@example.com", "Ada L", "admin", "ada@example.com",
    )  # fmt: skip
    vic = access.person_from_claims({"email": "vic@example.com"}, RULES)
    assert vic.label == "vic@example.com"
    assert access.person_from_claims({"email": "eve@example.com"}, RULES) is None


# ---- the session's lifetime -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_hours_ago", "expired"),
    [(0, False), (7.99, False), (8.01, True), (30 * 24, True)],  # the file's 8 hours
)
def test_a_session_lasts_the_access_files_hours_from_sign_in(issued_hours_ago, expired):
    claims = {"email": "ada@example.com", "iat": NOW.timestamp() - issued_hours_ago * 3600}
    refusal = access.session_refusal(claims, RULES, NOW)
    assert (refusal is not None) == expired
    if expired:
        assert refusal.startswith("Your session has expired: sign in again")


def test_a_session_that_does_not_say_when_it_began_is_over():
    assert access.session_refusal({"email": "ada@example.com"}, RULES, NOW).startswith(
        "Your session has expired"
    )


# ---- without sign-in: the old rule --------------------------------------------------------------


def test_without_sign_in_this_machine_is_an_admin_and_elsewhere_a_viewer():
    here = access.local_person("127.0.0.1", None, "localhost")
    assert (here.email, here.label, here.role) == (None, "this machine", "admin")
    assert all(here.may(a) for a in access.ACTIONS)
    assert here.actor == "app:this machine"
    there = access.local_person("0.0.0.0", None, None)  # noqa: S104
    assert there.role == "viewer"
    assert not any(there.may(a) for a in access.ACTIONS)
    assert "this server listens on 0.0.0.0" in there.refusal("change_data")
    other_peer = access.local_person("127.0.0.1", "10.1.2.3", None)
    assert "from other machines (this one comes from 10.1.2.3)" in other_peer.refusal(
        "edit_agreement"
    )


# ---- the upload endpoint's decision ---------------------------------------------------------

SECRET = "unit-test-cookie-secret"  # noqa: S105  (the test's own)


@pytest.fixture
def signed_in_server(monkeypatch):
    """Sign-in on, with Streamlit's cookie secret set as the server would have it."""
    before = st_config.get_option("server.cookieSecret")
    st_config.set_option("server.cookieSecret", SECRET)
    monkeypatch.setattr(access, "sign_in_configured", lambda: True)
    yield
    st_config.set_option("server.cookieSecret", before)


def _cookie(claims: dict, secret: str = SECRET) -> dict[str, str]:
    value = URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(json.dumps(claims))
    return {"_streamlit_user": value}


def _claims(email: str, hours_ago: float = 0) -> dict:
    iat = dt.datetime.now(dt.UTC).timestamp() - hours_ago * 3600
    return {"email": email, "iat": iat, "is_logged_in": True, "provider": "default"}


def test_the_upload_endpoint_takes_an_admins_cookie_only(signed_in_server):
    def refusal(cookies):
        return access.upload_refusal(cookies, "127.0.0.1", "localhost", RULES)

    assert refusal(_cookie(_claims("ada@example.com"))) is None
    assert "needs the admin role" in refusal(_cookie(_claims("vic@example.com")))
    assert "needs the admin role" in refusal(_cookie(_claims("ed@example.com")))
    assert refusal(_cookie(_claims("eve@example.com"))) == "Signed in without a role in Handoff."
    forged = _cookie(_claims("ada@example.com"), secret="forged")  # noqa: S106
    assert refusal(forged) == "Sign in first."
    assert refusal({}) == "Sign in first."
    assert refusal(_cookie(_claims("ada@example.com", hours_ago=9))).startswith(
        "Your session has expired"
    )
    # Streamlit's own cookie after sign-out says is_logged_in false: not signed in.
    out = {**_claims("ada@example.com"), "is_logged_in": False}
    assert refusal(_cookie(out)) == "Sign in first."


def test_without_sign_in_the_upload_endpoint_takes_this_machine_only():
    assert not access.sign_in_configured()
    assert access.upload_refusal({}, None, "localhost") is None  # the default 127.0.0.1 server
    assert "comes from 10.0.0.7" in access.upload_refusal({}, "10.0.0.7", None)


# ---- the change log -------------------------------------------------------------------------


def test_the_log_keeps_every_change_newest_first(tmp_path):
    db = tmp_path / "handoff.duckdb"
    t0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    changelog.record(db, "cli:ops", "import", "export-a: 10 rows", now=t0)
    changelog.record(db, "ada@example.com", "restore", "export-0", now=t0 + dt.timedelta(hours=1))
    with changelog.log_path(db).open("a") as f:
        f.write('{"at": "torn\n')  # a torn line is skipped, not an error
    changes = changelog.read(db)
    assert [(c.who, c.what, c.detail) for c in changes] == [
        ("ada@example.com", "restore", "export-0"),
        ("cli:ops", "import", "export-a: 10 rows"),
    ]
    assert changes[0].at == t0 + dt.timedelta(hours=1)
    assert changelog.log_path(db).name == "handoff.duckdb.changes.jsonl"
    with pytest.raises(ValueError, match="unknown change"):
        changelog.record(db, "x", "drop")


def test_a_re_import_from_the_cli_keeps_the_log_and_names_the_os_user(tmp_path):
    db = tmp_path / "handoff.duckdb"
    for _ in range(2):
        assert main(["import", str(GOLDEN), "--db", str(db), "--agreement",
                     str(GOLDEN / "agreement.toml")]) == 0  # fmt: skip
    changes = changelog.read(db)
    assert [(c.who, c.what) for c in changes] == [(f"cli:{getpass.getuser()}", "import")] * 2
    assert changes[0].detail.startswith("golden: ")


@pytest.fixture
def logged_app(golden_db_path, tmp_path, monkeypatch):
    db = tmp_path / "handoff.duckdb"
    shutil.copyfile(golden_db_path, db)
    agreement = tmp_path / "agreement.toml"
    shutil.copyfile(GOLDEN / "agreement.toml", agreement)
    monkeypatch.setenv("HANDOFF_DB", str(db))
    monkeypatch.setenv("HANDOFF_AGREEMENT", str(agreement))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield db, agreement
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_data_page_shows_who_changed_the_data_and_says_it_is_not_shared(logged_app):
    db, _ = logged_app
    at_ = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    changelog.record(db, "ada@example.com", "import", "crm-export: 12 rows, 0 rejected", now=at_)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/data.py").run()
    assert not at.exception
    notice = at.info[0].value.replace("\\", "")
    assert notice.startswith("Served without sign-in, so only on this machine (127.0.0.1)")
    log = at.dataframe[0].value
    assert log.to_dict("records") == [
        {
            # 09:30 UTC in the golden agreement's zone (Europe/Berlin, UTC+1 in December).
            "When": "01 Dec 2026 10:30",
            "Who": "ada@example.com",
            "What": "Import (replaced the data)",
            "Detail": "crm-export: 12 rows, 0 rejected",
        }
    ]


def test_the_definitions_page_says_who_saved_each_version(logged_app):
    _, agreement = logged_app
    at_ = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    changelog.record(agreement, "ed@example.com", "agreement", "version 1", version=1, now=at_)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/definitions.py").run()
    assert not at.exception
    lines = [m.value.replace("\\", "").replace("\u2060", "") for m in at.markdown]
    version_one = next(line for line in lines if line.startswith("**Version 1**"))
    # 15:00 UTC in Europe/Berlin (UTC+1 in December).
    assert "saved by ed@example.com on 01 Dec 2026 16:00" in version_one


# ---- serving -------------------------------------------------------------------------------------


def test_serve_takes_any_address_once_sign_in_is_set_up(tmp_path, monkeypatch):
    from handoff import serve

    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[server]\nx = 1\n")  # no [auth]: sign-in is off
    monkeypatch.setattr(serve, "secrets_files", lambda: [tmp_path / "absent.toml", secrets])
    anywhere = "0.0.0.0"  # noqa: S104  (refused or allowed, never bound here)
    with pytest.raises(serve.ServeRefused, match="Set up sign-in"):
        serve.prepare(anywhere, 8501, None, GOLDEN / "agreement.toml", False)
    secrets.write_text('[auth]\nredirect_uri = "https://handoff.example.com/oauth2callback"\n')
    said: list[str] = []
    command, _ = serve.prepare(anywhere, 8501, None, GOLDEN / "agreement.toml", False, said.append)
    assert said == [
        f"Sign-in is on ({secrets}): every page asks for it (README, Sign-in and roles)."
    ]
    assert command[-4:] == ["--server.address", anywhere, "--server.port", "8501"]


# ---- the pages, signed in (AppTest's st.user stands for the cookie: conftest.new_session) ----


def test_a_signed_in_viewer_gets_every_page_but_no_upload_or_edit(new_session):
    at = new_session("pages/data.py", user={"email": "vic@example.com", "name": "Vic"})
    assert not at.get("file_uploader")
    assert "needs the admin role; you are signed in as Vic, a viewer" in at.error[0].value
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Signed in as **Vic**" in sidebar
    roles = [c.value for c in at.sidebar.caption if c.value.startswith("Role:")]
    assert [r.replace("\\", "").replace("\u2060", "") for r in roles] == [
        "Role: viewer · vic@example.com"
    ]
    at.switch_page("pages/definitions.py").run()
    assert not at.exception
    assert any("Editing the agreement needs the editor role" in i.value for i in at.info)


def test_a_signed_in_admin_gets_the_upload(new_session):
    at = new_session("pages/data.py", user={"email": "ada@example.com"}, role="admin")
    assert at.get("file_uploader")
    assert not at.error


def test_a_person_without_a_role_or_whose_session_is_over_sees_only_the_sign_in_screen(
    new_session, monkeypatch
):
    at = new_session("app.py", user={"email": "ada@example.com"}, role="admin")
    assert [t.value for t in at.title] == ["Scorecard"]
    # The same person, signed in 13 hours ago (the default limit is 12): asked to sign in again.
    late = new_session("app.py", user={"email": "ada@example.com", "iat": 1})
    assert [t.value for t in late.title] == ["Handoff"]
    assert late.warning[0].value.startswith("Your session has expired: sign in again")
    assert [b.label for b in late.button] == ["Sign in again"]
    assert not late.sidebar.markdown
    assert not late.metric
    # Signed in, but in no role (eve is not in the access file): told so, nothing else.
    monkeypatch.setenv("HANDOFF_ACCESS", "/nonexistent/access.toml")
    eve = new_session("app.py", user={"email": "eve@example.com"})
    assert "who has no role in Handoff" in eve.warning[0].value
    assert [b.label for b in eve.button] == ["Sign out"]
    assert not eve.metric
