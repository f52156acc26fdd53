"""Saved views: a page and its URL query under a name, for one person or shared with everyone.

Every filter and every page-level choice is in the URL (`ui.control`), so a view is a page plus
its query. A view is saved by a person under a name of their own (saving the same name again
replaces it, once they confirm); its owner may delete it; an editor or an admin publishes it so
that everyone lists it under "Shared views", and may unpublish any shared view. The store refuses
what a role may not do, whatever the page shows.

The views live in their own SQLite file (HANDOFF_VIEWS, else data/views.sqlite beside the
database), not in the imported database, which an import replaces. Each operation opens the
file, runs one transaction with bound parameters and closes it; SQLite's locking (WAL, a busy
timeout) lets several sessions and servers write at once. The storage functions take the
person's e-mail and role as arguments and never touch Streamlit; the sidebar block at the end
draws them.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from handoff import paths, safe
from handoff.filters import is_filter_param
from handoff.navigation import NAVIGATION

_LOG = logging.getLogger(__name__)
# The pages a view may name: every page of the navigation, by its path relative to app.py.
PAGES = {link.path: link.label for _, links in NAVIGATION for link in links}
# Roles that may publish and unpublish views (access.py's "publish_view").
PUBLISHERS = ("editor", "admin")
# A view's name: 1 to 60 characters, letters, digits, spaces and common punctuation.
NAME_LIMIT = 60
_NAME = re.compile(r"[\w .,:;&+/()'#!?%-]+")
# A link that opens a saved view carries this key: the page reads the view's query afresh,
# dropping the choices the session remembers for that page (see `open_requested`).
OPEN_KEY = "saved_view"
# Bounds on what a view keeps of a URL (a URL from the browser is anyone's text).
_MAX_KEYS, _MAX_VALUES, _MAX_TEXT = 60, 200, 200
# The links a list of the sidebar shows before "N more" (which holds the rest).
SHOWN = 8
# The owner key of views saved on a server without sign-in ("this machine").
LOCAL_OWNER = ""

_SCHEMA = """
create table if not exists saved_views (
    view_id integer primary key,
    owner text not null,        -- the saver's e-mail, lowercase; '' without sign-in
    owner_label text not null,  -- how the saver was named when saving
    name text not null,
    page text not null,         -- a path of NAVIGATION
    query_json text not null,   -- {key: [values]}, as the URL carries them
    saved_at text not null,     -- UTC, ISO 8601
    is_shared integer not null default 0,
    unique (owner, name)
)
"""


class ViewError(ValueError):
    """A view that cannot be saved, or an operation the person may not do; the message says why."""


class ViewExists(ViewError):
    """The person already has a view by this name (save again with replace=True)."""


@dataclass(frozen=True)
class SavedView:
    view_id: int
    owner: str
    owner_label: str
    name: str
    page: str
    query: dict[str, list[str]]
    saved_at: dt.datetime
    is_shared: bool


def clean_name(name: str) -> str:
    """A view's name with its spaces collapsed; ViewError when empty, too long or with other
    characters than letters, digits, spaces and . , : ; & + / ( ) ' # ! ? % -."""
    text = " ".join(str(name).split())
    if not text:
        raise ViewError("Give the view a name.")
    if len(text) > NAME_LIMIT:
        raise ViewError(f"A view's name has at most {NAME_LIMIT} characters.")
    if not _NAME.fullmatch(text):
        raise ViewError(
            "A view's name may hold letters, digits, spaces and . , : ; & + / ( ) ' # ! ? % - only."
        )
    return text


def page_prefix(page: str) -> str:
    """The prefix of a page's own keys in the URL: its file's stem and `_` (funnel_by)."""
    return Path(page).stem + "_"


def clean_query(page: str, query: dict[str, list[str]]) -> dict[str, list[str]]:
    """The part of a URL query a view of `page` keeps: the shared filters' keys and the page's
    own (its `page_prefix`), with their values as texts; ViewError for a page that is not one of
    the app's or a query beyond the bounds a URL of the app stays within."""
    if page not in PAGES:
        raise ViewError(f"“{safe.shorten(page)}” is not one of the app's pages.")
    prefix = page_prefix(page)
    kept = {
        str(key): [str(v) for v in values]
        for key, values in query.items()
        if is_filter_param(str(key)) or str(key).startswith(prefix)
    }
    too_long = [k for k, vs in kept.items() if len(k) > _MAX_TEXT or len(vs) > _MAX_VALUES]
    too_long += [k for k, vs in kept.items() for v in vs if len(v) > _MAX_TEXT]
    if len(kept) > _MAX_KEYS or too_long:
        raise ViewError("This page's address is too long to save as a view.")
    return kept


class ViewStore:
    """The saved views in one SQLite file; every method is one transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("pragma busy_timeout = 10000")
        if con.execute("pragma journal_mode").fetchone()[0] != "wal":
            con.execute("pragma journal_mode = wal")
        con.execute(_SCHEMA)
        return con

    def save(
        self,
        name: str,
        page: str,
        query: dict[str, list[str]],
        owner: str,
        owner_label: str,
        *,
        replace: bool = False,
        now: dt.datetime | None = None,
    ) -> SavedView:
        """Save `page` with `query` under `name` for `owner`; ViewExists when the owner has a
        view by that name and `replace` is not set (then it is replaced, keeping its sharing)."""
        name, kept = clean_name(name), clean_query(page, query)
        saved_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
        with closing(self._connect()) as con:
            con.execute("begin immediate")
            try:
                row = con.execute(
                    "select view_id from saved_views where owner = ? and name = ?", (owner, name)
                ).fetchone()
                if row and not replace:
                    raise ViewExists(f"You have a view named “{name}” already.")
                con.execute(
                    "insert into saved_views "
                    "(owner, owner_label, name, page, query_json, saved_at) "
                    "values (?, ?, ?, ?, ?, ?) "
                    "on conflict (owner, name) do update set owner_label = excluded.owner_label, "
                    "page = excluded.page, query_json = excluded.query_json, "
                    "saved_at = excluded.saved_at",
                    (owner, owner_label, name, page, json.dumps(kept), saved_at.isoformat()),
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return next(v for v in self.listing(owner) if v.owner == owner and v.name == name)

    def delete(self, view_id: int, owner: str) -> None:
        """Delete the owner's view; ViewError when it is not theirs (or no longer there)."""
        with closing(self._connect()) as con:
            deleted = con.execute(
                "delete from saved_views where view_id = ? and owner = ?", (int(view_id), owner)
            ).rowcount
        if not deleted:
            raise ViewError("Only the person who saved a view may delete it.")

    def share(self, view_id: int, is_shared: bool, owner: str, role: str) -> None:
        """Publish the owner's view, or unpublish any shared view: editors and admins only."""
        if role not in PUBLISHERS:
            raise ViewError("Only an editor or an admin may publish or unpublish a view.")
        with closing(self._connect()) as con:
            changed = con.execute(
                "update saved_views set is_shared = ? "
                "where view_id = ? and (owner = ? or (is_shared = 1 and ? = 0))",
                (int(is_shared), int(view_id), owner, int(is_shared)),
            ).rowcount
        if not changed:
            raise ViewError("Only the person who saved a view may publish it.")

    def listing(self, owner: str) -> list[SavedView]:
        """The owner's views and every shared view, by name: one read (none without a file)."""
        if not self.path.is_file():
            return []
        with closing(self._connect()) as con:
            rows = con.execute(
                "select view_id, owner, owner_label, name, page, query_json, saved_at, is_shared "
                "from saved_views where owner = ? or is_shared = 1 "
                "order by lower(name), owner_label, view_id",
                (owner,),
            ).fetchall()
        return [view for view in map(_view, rows) if view is not None]


def _view(row: tuple) -> SavedView | None:
    """A stored row as a view, its query cleaned again; None for a row no view of the app's
    pages can be (a page since removed, a file written by hand)."""
    try:
        query = json.loads(row[5])
        return SavedView(
            view_id=row[0],
            owner=row[1],
            owner_label=row[2],
            name=row[3],
            page=row[4],
            query=clean_query(row[4], {k: list(v) for k, v in query.items()}),
            saved_at=dt.datetime.fromisoformat(row[6]),
            is_shared=bool(row[7]),
        )
    except (ViewError, ValueError, TypeError, AttributeError):
        return None


def mine(views: list[SavedView], owner: str) -> list[SavedView]:
    """The owner's own views of a listing ("My views")."""
    return [v for v in views if v.owner == owner]


def shared_by_others(views: list[SavedView], owner: str) -> list[SavedView]:
    """The shared views of a listing saved by someone else ("Shared views")."""
    return [v for v in views if v.is_shared and v.owner != owner]


def views_path_from_env() -> Path:
    """The saved views' file: $HANDOFF_VIEWS or data/views.sqlite."""
    return Path(os.environ.get("HANDOFF_VIEWS") or paths.DEFAULT_VIEWS)


# ---- the person ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who is using the app: `email` None without sign-in, `role` viewer, editor or admin."""

    email: str | None
    label: str
    role: str

    @property
    def owner(self) -> str:
        """The key their views are saved under."""
        return self.email or LOCAL_OWNER

    def may(self, action: str) -> bool:
        return action == "publish_view" and self.role in PUBLISHERS


def _person() -> Person:
    """The person in this session, as handoff.access says (the signed-in person and their role;
    without sign-in "this machine", an admin there and a viewer beyond it); views are kept under
    the e-mail without case."""
    from handoff import access

    person = access.current_person()
    email = person.email.strip().lower() if person.email else None
    return Person(email=email, label=person.label, role=person.role)


# ---- the sidebar block ---------------------------------------------------------------------


def current_page() -> str | None:
    """The page running, as a path of NAVIGATION: the script that called ui.page."""
    frame = inspect.currentframe()
    while frame is not None:
        try:
            path = Path(frame.f_code.co_filename).resolve().relative_to(paths.APP_DIR.resolve())
        except ValueError:
            path = None
        if path is not None and path.as_posix() in PAGES:
            return path.as_posix()
        frame = frame.f_back
    return None


def open_requested(page: str | None) -> None:
    """When the link that opened this page is a saved view's (it carries OPEN_KEY), forget the
    filters and page choices the session remembers for it, so that the view's query sets them;
    the key then leaves the URL. Call before the filters are drawn."""
    if OPEN_KEY not in st.query_params or page is None:
        return
    prefix = page_prefix(page)
    for key in [k for k in st.session_state if isinstance(k, str)]:
        if key.startswith(("_f_", "_" + prefix)):
            del st.session_state[key]
    del st.query_params[OPEN_KEY]


def sidebar(page: str | None) -> None:
    """The "Saved views" block: my views and the shared ones as links, save, manage."""
    if page is None:
        return
    person = _person()
    store = ViewStore(views_path_from_env())
    st.markdown("**Saved views**")
    try:
        views = store.listing(person.owner)
    except (sqlite3.Error, OSError, ValueError):
        # The file's path and the error are the server's to know (its log), not the page's.
        _LOG.exception("The saved views cannot be read from %s", store.path)
        st.caption("The saved views cannot be read just now.")
        return
    own, others = mine(views, person.owner), shared_by_others(views, person.owner)
    if own:
        _links("My views", own, lambda v: "Yours" + (", shared" if v.is_shared else ""))
    if others:
        _links("Shared views", others, lambda v: f"Shared by {v.owner_label}")
    if not views:
        st.caption("None yet: save this page, its filters and choices, under a name.")
    said, failed = (
        st.session_state.pop("_views_said", None),
        st.session_state.pop("_views_failed", None),
    )
    if said:
        st.success(said)
    if failed:
        st.error(failed)
    with st.popover("Save this view", icon=":material/bookmark_add:", width="stretch"):
        _save_form(store, person, page)
    if own or (others and person.may("publish_view")):
        with st.popover("Manage views", icon=":material/edit_note:", width="stretch"):
            _manage(store, person, own, others)


def _links(title: str, listed: list[SavedView], whose: Callable[[SavedView], str]) -> None:
    """A list of views' links under its title; past SHOWN links, the rest in an expander."""
    st.caption(title.upper())
    for view in listed[:SHOWN]:
        _link(view, whose(view))
    if len(listed) > SHOWN:
        with st.expander(f"{len(listed) - SHOWN} more"):
            for view in listed[SHOWN:]:
                _link(view, whose(view))


def _link(view: SavedView, whose: str) -> None:
    st.page_link(
        view.page,
        label=safe.md(view.name),
        icon=":material/share:" if view.is_shared else ":material/bookmark:",
        help=safe.md(f"{PAGES[view.page]}. {whose}, saved {view.saved_at:%d %b %Y %H:%M} UTC."),
        query_params={**view.query, OPEN_KEY: str(view.view_id)},
    )


def _url() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _save_form(store: ViewStore, person: Person, page: str) -> None:
    st.text_input("Name", key="views_name", max_chars=NAME_LIMIT, placeholder="e.g. Q1 webinars")
    name = st.session_state.get("views_name", "")
    if st.session_state.get("_views_confirm") == name and name:
        st.warning(f"You have a view named “{safe.md(name)}”. Replace it with this one?")
        left, right = st.columns(2)
        left.button(
            "Replace", key="views_replace", on_click=_save, args=(store, person, page, True)
        )
        right.button("Keep it", key="views_keep", on_click=_forget_confirm)
    else:
        st.button("Save", key="views_save", on_click=_save, args=(store, person, page, False))
    error = st.session_state.get("_views_error")
    if error:
        st.error(error)
    if person.email:
        st.caption(
            f"Saved as yours ({safe.md(person.label)}): only you list it, until an editor "
            "shares it."
        )
    else:
        st.caption(
            "Without sign-in, views are this machine's: whoever opens the app here lists them."
        )


def _save(store: ViewStore, person: Person, page: str, replace: bool) -> None:
    name = st.session_state.get("views_name", "")
    st.session_state.pop("_views_error", None)
    try:
        view = store.save(name, page, _url(), person.owner, person.label, replace=replace)
    except ViewExists:
        st.session_state["_views_confirm"] = name
        return
    except ViewError as exc:
        st.session_state["_views_error"] = safe.md(exc)
        return
    except (sqlite3.Error, OSError):
        _LOG.exception("A view cannot be saved to %s", store.path)
        st.session_state["_views_error"] = "The view cannot be saved just now."
        return
    _forget_confirm()
    st.session_state["views_name"] = ""
    st.session_state["_views_said"] = f"Saved “{safe.md(view.name)}”."


def _forget_confirm() -> None:
    st.session_state.pop("_views_confirm", None)


def _manage(
    store: ViewStore, person: Person, own: list[SavedView], others: list[SavedView]
) -> None:
    """A row per view the person may change: its name, Share or Unshare, Delete."""
    publisher = person.may("publish_view")
    for view in own + (others if publisher else []):
        name, share, delete = st.columns([5, 2, 2], vertical_alignment="center")
        whose = "yours" if view in own else f"by {view.owner_label}"
        shared = ", shared" if view.is_shared else ""
        name.markdown(f"{safe.md(view.name)} :gray[({safe.md(whose)}{shared})]")
        if publisher:
            share.button(
                "Unshare" if view.is_shared else "Share",
                key=f"views_share_{view.view_id}",
                on_click=_act,
                args=(store.share, view.view_id, not view.is_shared, person.owner, person.role),
                help="Take it out of everyone's Shared views."
                if view.is_shared
                else "List it for everyone under Shared views.",
            )
        if view in own:
            delete.button(
                "Delete",
                key=f"views_delete_{view.view_id}",
                on_click=_act,
                args=(store.delete, view.view_id, person.owner),
            )
    if not publisher:
        st.caption("An editor or an admin shares a view with everyone.")


def _act(operation: Callable[..., None], *args: object) -> None:
    """Run a store's operation (a button's callback); its refusal is said in the block."""
    try:
        operation(*args)
    except ViewError as exc:
        st.session_state["_views_failed"] = safe.md(exc)
    except (sqlite3.Error, OSError):
        _LOG.exception("A saved view cannot be changed")
        st.session_state["_views_failed"] = "The view cannot be changed just now."
