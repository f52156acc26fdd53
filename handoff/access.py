"""Who is using Handoff and what they may do: sign-in, roles, and how long a session lasts.

Sign-in is Streamlit's own OpenID Connect (`st.login`, `st.user`, `st.logout`, through
Authlib), switched on by an `[auth]` section in `.streamlit/secrets.toml` (README, Sign-in and
roles). With it, every page asks for sign-in first (`require_sign_in`, from `ui.page`), and what
a signed-in person may do is their role in the access file (`HANDOFF_ACCESS`, by default
data/access.toml beside the database):

- viewer: every page and every download;
- editor: a viewer who may also change the agreement and publish a saved view;
- admin: an editor who may also upload, import and restore data.

A role is given by e-mail (the ID token's `email` claim, compared without case, not when the
provider says `email_verified = false`) or by group (the claim the file's `groups_claim` names);
a person listed under several roles has the highest. A signed-in person the file does not list
gets no role and sees nothing but that: the company's identity provider signs in everyone in
the company, and the file is where someone decides who reads the revenue team's numbers.

A session lasts `session_hours` (12 by default) from the moment its ID token was issued (the
token's `iat`): Streamlit's own cookie is signed and HttpOnly but lives 30 days and does not
look at the token's expiry, so a session older than that is asked to sign in again. (The token's
own `exp` is usually an hour, and Streamlit never refreshes it: counting by it would sign the
meeting out every hour.)

Without `[auth]`, nobody signs in and the old rule stands (`safe.data_changes_refusal`): only a
server on this machine alone takes changes, from this machine; `current_person()` is then "this
machine", an admin there and a viewer anywhere else.

The same rules hold at the server: `install_server_gate` wraps Streamlit's upload endpoint, so
a PUT from a session that may not change the data is refused (403) before a byte is stored, and
the sign-in callback, so that a refused sign-in comes back to the sign-in screen saying so.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff import paths, safe

ROLES = ("viewer", "editor", "admin")  # each includes the ones before it
# The least role each action needs.
ACTIONS = {"edit_agreement": "editor", "publish_view": "editor", "change_data": "admin"}
# What each action is, in the words of a refusal, and the old rule's name for it.
_ACTION_WORDS = {
    "edit_agreement": ("Editing the agreement", "agreement"),
    "publish_view": ("Publishing a view for everyone", "agreement"),
    "change_data": ("Uploading, importing and restoring data", "data"),
}
DEFAULT_SESSION_HOURS = 12.0
DEFAULT_GROUPS_CLAIM = "groups"
LOCAL_LABEL = "this machine"
# The query parameter the sign-in callback adds when the provider refused (see _callback_app).
REFUSED_PARAM = "sign_in"
REFUSED_WORDS = {
    "access_denied": "The sign-in was refused at the identity provider (you, or it, said no).",
}
OTHER_REFUSAL = "The identity provider did not sign you in (it reported an error)."


class AccessError(ValueError):
    """The access file cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Rules:
    """The access file: who has which role, which claim holds groups, how long a session is."""

    emails: Mapping[str, frozenset[str]] = field(default_factory=dict)  # role -> e-mails
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)  # role -> groups
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    session_hours: float = DEFAULT_SESSION_HOURS


def access_path_from_env() -> Path:
    """The access file: HANDOFF_ACCESS, or access.toml in the data folder."""
    return Path(os.environ.get("HANDOFF_ACCESS") or paths.DATA_DIR / "access.toml")


def parse_rules(text: str, source: str) -> Rules:
    """The access file's text as Rules, or AccessError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessError(f"{source}: not TOML ({exc})") from exc
    known = {"session_hours", "groups_claim", "roles"}
    if extra := sorted(set(data) - known):
        raise AccessError(f"{source}: unknown key {extra[0]!r} (known: {', '.join(sorted(known))})")
    hours = data.get("session_hours", DEFAULT_SESSION_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not hours > 0:
        raise AccessError(f"{source}: session_hours must be a number of hours above 0")
    claim = data.get("groups_claim", DEFAULT_GROUPS_CLAIM)
    if not isinstance(claim, str) or not claim.strip():
        raise AccessError(f'{source}: groups_claim must name a claim, like "groups"')
    roles = data.get("roles", {})
    if not isinstance(roles, dict):
        raise AccessError(f"{source}: [roles] must be a table of [roles.<role>] tables")
    emails: dict[str, frozenset[str]] = {}
    groups: dict[str, frozenset[str]] = {}
    for role, grant in roles.items():
        if role not in ROLES:
            raise AccessError(f"{source}: unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not isinstance(grant, dict) or (extra := set(grant) - {"emails", "groups"}):
            raise AccessError(f"{source}: [roles.{role}] holds emails = [...] and groups = [...]")
        for key, into in (("emails", emails), ("groups", groups)):
            values = grant.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise AccessError(f"{source}: roles.{role}.{key} must be a list of strings")
            clean = (v.strip() for v in values)
            into[role] = frozenset(v.lower() if key == "emails" else v for v in clean if v)
    return Rules(emails=emails, groups=groups, groups_claim=claim.strip(), session_hours=hours)


_rules_cache: dict[tuple, Rules] = {}


def load_rules(path: Path | None = None) -> Rules:
    """The access file's rules, read again whenever the file changes (a role given or taken
    counts on the person's next page run, without a restart). No file: nobody is listed."""
    path = path or access_path_from_env()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Rules()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _rules_cache:
        _rules_cache.clear()
        _rules_cache[key] = parse_rules(path.read_text(encoding="utf-8"), str(path))
    return _rules_cache[key]


def role_of(claims: Mapping[str, Any], rules: Rules) -> str | None:
    """The highest role the access file gives these ID-token claims; None when it lists them
    under none. A group claim may be a list of names or one name."""
    email = claims.get("email")
    verified = claims.get("email_verified", True) not in (False, "false")
    email = email.strip().lower() if isinstance(email, str) and verified else None
    held = claims.get(rules.groups_claim)
    held = {held} if isinstance(held, str) else {g for g in held or () if isinstance(g, str)}
    for role in reversed(ROLES):
        if (email and email in rules.emails.get(role, ())) or held & rules.groups.get(role, set()):
            return role
    return None


def session_refusal(
    claims: Mapping[str, Any], rules: Rules, now: dt.datetime | None = None
) -> str | None:
    """Why a signed-in session is over (None while it lasts): its ID token was issued (`iat`)
    more than the access file's session_hours ago, or says not when."""
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        return "Your session has expired: sign in again (it does not say when it began)."
    now = now or dt.datetime.now(dt.UTC)
    age_hours = (now.timestamp() - issued) / 3600
    if age_hours > rules.session_hours:
        return (
            "Your session has expired: sign in again (a session lasts "
            f"{rules.session_hours:g} hours from sign-in)."
        )
    return None


@dataclass(frozen=True)
class Person:
    """Who is using this session, and what they may do.

    `email` is None without sign-in; `label` is what the sidebar shows (the name, else the
    e-mail; "this machine" without sign-in); `role` is "viewer", "editor" or "admin"."""

    email: str | None
    label: str
    role: str
    # Without sign-in: the old rule's refusals, by action (None: allowed).
    local_refusals: Mapping[str, str | None] | None = None

    @property
    def signed_in(self) -> bool:
        return self.email is not None

    @property
    def actor(self) -> str:
        """Who this person is in the change log."""
        return self.email if self.email is not None else f"app:{LOCAL_LABEL}"

    def may(self, action: str) -> bool:
        """Whether this person may do `action`: "edit_agreement", "publish_view" or
        "change_data" (upload, import, restore)."""
        return self.refusal(action) is None

    def refusal(self, action: str) -> str | None:
        """Why this person may not do `action`, in words; None when they may."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
        if self.local_refusals is not None:
            return self.local_refusals[action]
        needed = ACTIONS[action]
        if ROLES.index(self.role) >= ROLES.index(needed):
            return None
        doing, _ = _ACTION_WORDS[action]
        return (
            f"{doing} needs the {needed} role; you are signed in as {self.label}, a "
            f"{self.role}. An admin gives roles in Handoff's access file (README, Sign-in and "
            "roles)."
        )


def person_from_claims(claims: Mapping[str, Any], rules: Rules) -> Person | None:
    """The signed-in person these claims name, or None when the access file gives them no
    role (or they carry no e-mail and no group that has one)."""
    role = role_of(claims, rules)
    if role is None:
        return None
    email = claims.get("email")
    email = email.strip() if isinstance(email, str) and email.strip() else str(claims.get("sub"))
    name = claims.get("name")
    label = name.strip() if isinstance(name, str) and name.strip() else email
    return Person(email=email, label=label, role=role)


def local_person(address: str | None, ip: str | None, host: str | None) -> Person:
    """The person without sign-in: this machine, an admin when the old rule lets this
    connection change things, else a viewer."""
    refusals = {
        action: safe.data_changes_refusal(address, ip, host, change)
        for action, (_, change) in _ACTION_WORDS.items()
    }
    role = "admin" if refusals["change_data"] is None else "viewer"
    return Person(email=None, label=LOCAL_LABEL, role=role, local_refusals=refusals)


# ---- in the app -------------------------------------------------------------------------------


def sign_in_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (sign-in is on)."""
    from streamlit import auth_util

    try:
        return bool(auth_util.get_secrets_auth_section())
    except Exception:  # a secrets file Streamlit cannot read: it says so itself on st.login
        return False


def _claims() -> dict[str, Any]:
    import streamlit as st

    claims = st.user.to_dict()
    return claims if claims.get("is_logged_in") else {}


def current_person() -> Person:
    """Who uses this session (see Person). With sign-in on, call it after `require_sign_in`:
    a session it would have stopped is a viewer with no e-mail here."""
    import streamlit as st

    if not sign_in_configured():
        ip = st.context.ip_address  # None for a connection from this machine
        host = st.context.headers.get("Host")
        # Anything but a string (AppTest's stand-in runtime) carries no peer address or host.
        return local_person(
            st.get_option("server.address"),
            ip if isinstance(ip, str) else None,
            safe.request_host(host) if isinstance(host, str) else None,
        )
    claims = _claims()
    rules = load_rules()
    person = person_from_claims(claims, rules) if claims else None
    if person is None or session_refusal(claims, rules) is not None:
        return Person(email=None, label="not signed in", role="viewer", local_refusals=_NOBODY)
    return person


_NOBODY = dict.fromkeys(ACTIONS, "Sign in first.")


def require_sign_in() -> Person:
    """With sign-in on, stop the page at the sign-in screen unless a listed person's session is
    open: nothing else is drawn and no data is read. Returns the person using the session."""
    import streamlit as st

    install_server_gate()
    if not sign_in_configured():
        return current_person()
    claims = _claims()
    if not claims:
        refused = st.query_params.get(REFUSED_PARAM)
        message = None
        if refused is not None:
            message = REFUSED_WORDS.get(refused, OTHER_REFUSAL) + " You are not signed in."
        _sign_in_screen(message)
    rules = load_rules()
    if expired := session_refusal(claims, rules):
        _sign_in_screen(expired, again=True)
    person = person_from_claims(claims, rules)
    if person is None:
        who = claims.get("email") or claims.get("sub") or "someone without an e-mail"
        _sign_in_screen(
            f"You signed in as {safe.md(who)}, who has no role in Handoff: an admin gives "
            "roles in its access file. Sign out, then sign in as someone it lists.",
            signed_out=False,
        )
    return person


def _sign_in_screen(message: str | None, again: bool = False, signed_out: bool = True) -> None:
    import streamlit as st

    st.set_page_config(page_title="Sign in · Handoff")
    st.title("Handoff")
    st.caption("Sales and marketing alignment: the numbers both teams agreed on.")
    if message:
        st.warning(message)
    if signed_out or again:
        label = "Sign in again" if again else "Sign in"
        if st.button(label, type="primary", icon=":material/login:", key="access:sign_in"):
            st.login()
    else:
        if st.button("Sign out", icon=":material/logout:", key="access:sign_out"):
            st.logout()
    st.stop()


def sidebar(person: Person) -> None:
    """Who is signed in, their role, and Sign out (with sign-in on); nothing without."""
    import streamlit as st

    if not person.signed_in:
        return
    with st.sidebar.container(border=True):
        st.markdown(f"Signed in as **{safe.md(person.label)}**")
        email = f" · {safe.md(person.email)}" if person.label != person.email else ""
        st.caption(f"Role: {person.role}{email}")
        if st.button("Sign out", icon=":material/logout:", key="access:sidebar_sign_out"):
            st.logout()


def local_notice() -> str | None:
    """What the Data page says of a server without sign-in (None with sign-in on)."""
    import streamlit as st

    if sign_in_configured():
        return None
    address = st.get_option("server.address")
    if safe.is_loopback(address):
        return (
            f"Served without sign-in, so only on this machine ({address}): nobody else can open "
            "it. To share it with the team, set up sign-in through your identity provider "
            "(README, Sign-in and roles)."
        )
    where = f"on {address}" if address else "on every network interface"
    return (
        f"Served without sign-in {where}: anyone who can reach it reads every page (uploads, "
        "imports and agreement edits stay refused to other machines). Set up sign-in through "
        "your identity provider (README, Sign-in and roles)."
    )


# ---- at the server ----------------------------------------------------------------------------

_gate_lock = threading.Lock()
_GATED = "_handoff_gated"


def cookie_claims(cookies: Mapping[str, str]) -> dict[str, Any]:
    """The claims in Streamlit's signed user cookie (chunks joined, signature checked with the
    cookie secret, as Streamlit reads it); {} without a valid one."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

    secret = get_cookie_secret()

    def one(name: str) -> bytes | None:
        value = cookies.get(name)
        return None if value is None else decode_signed_value(secret, name, value.encode())

    raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
    if not raw:
        return {}
    try:
        claims = json.loads(raw)
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) and claims.get("is_logged_in") else {}


def upload_refusal(
    cookies: Mapping[str, str], peer: str | None, host: str | None, rules: Rules | None = None
) -> str | None:
    """Why Streamlit's upload endpoint refuses this request (None when it takes it): with
    sign-in on, anyone but an admin whose session lasts; without, the old rule (this machine
    only), from the request's peer address and Host."""
    from streamlit import config

    if not sign_in_configured():
        address = config.get_option("server.address")
        return local_person(address, peer, host).refusal("change_data")
    claims = cookie_claims(cookies)
    if not claims:
        return "Sign in first."
    rules = rules or load_rules()
    if expired := session_refusal(claims, rules):
        return expired
    person = person_from_claims(claims, rules)
    if person is None:
        return "Signed in without a role in Handoff."
    return person.refusal("change_data")


def install_server_gate() -> bool:
    """Put the upload and sign-in-callback gates on the running Streamlit server's routes
    (once per process; later calls do nothing). False when no server is found (AppTest)."""
    with _gate_lock:
        app = _starlette_app()
        if app is None:
            return False
        for route in app.router.routes:
            path = getattr(route, "path", "")
            if getattr(route, _GATED, False):
                continue
            if path.endswith("/_stcore/upload_file/{session_id}/{file_id}"):
                route.app = _upload_app(route.app)
                setattr(route, _GATED, True)
            elif path.endswith("/oauth2callback"):
                route.app = _callback_app(route.app, path.removesuffix("oauth2callback"))
                setattr(route, _GATED, True)
        return True


_app_found: list[Any] = []  # [the app] once looked for ([None]: there is none, as in AppTest)


def _starlette_app() -> Any:
    """The Starlette application Streamlit serves (it keeps no public handle on it). It exists
    before any page runs, so one look per process finds it or finds there is none."""
    if not _app_found:
        from starlette.applications import Starlette

        found = None
        for obj in gc.get_objects():
            if isinstance(obj, Starlette) and any(
                getattr(r, "path", "").endswith("/_stcore/upload_file/{session_id}/{file_id}")
                for r in obj.router.routes
            ):
                found = obj
                break
        _app_found.append(found)
    return _app_found[0]


def _upload_app(inner: Any) -> Any:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    async def gated(scope, receive, send):
        if scope.get("method") == "PUT":
            request = Request(scope)
            peer = request.client.host if request.client else None
            host = safe.request_host(request.headers.get("host"))
            refusal = upload_refusal(request.cookies, peer, host)
            if refusal is not None:
                await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
                return
        await inner(scope, receive, send)

    return gated


def _callback_app(inner: Any, base: str) -> Any:
    """The sign-in callback: a refusal from the provider (`?error=`) comes back to the sign-in
    screen with `?sign_in=<error>` (only a short code of letters and underscores; the screen
    shows words of its own for it), where Streamlit would come back saying nothing."""
    from starlette.requests import Request
    from starlette.responses import RedirectResponse

    async def gated(scope, receive, send):
        error = Request(scope).query_params.get("error")
        if error is None:
            await inner(scope, receive, send)
            return
        code = error if error.isascii() and error.replace("_", "").isalpha() else "error"
        target = f"{base or '/'}?{REFUSED_PARAM}={code[:40]}"
        await RedirectResponse(target, status_code=302)(scope, receive, send)

    return gated
