"""Saved views (issue 20, item 4): a page and its URL query under a name, per person or shared.

The store first (handoff.views.ViewStore, no Streamlit): names, pages and keys checked; one
person's views not listed for another; only editors and admins publish, refused in the store;
several writers at once. Then the sidebar in AppTest: a view saved on the funnel and opened again
in the same session (where the session remembers other choices) restores its filters and choices.
"""

from __future__ import annotations

import ast
import datetime as dt
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from handoff import paths, safe, views
from handoff.views import ViewError, ViewExists, ViewStore
from tests.conftest import ROOT

ANA, BEN = "ana@example.com", "ben@example.com"
MARCH = {"period": ["custom"], "from": ["2026-03-01"], "to": ["2026-03-31"]}
FUNNEL = "pages/funnel.py"


@pytest.fixture
def store(tmp_path) -> ViewStore:
    return ViewStore(tmp_path / "views.sqlite")


def test_a_view_keeps_the_filters_and_its_own_pages_choices_only(store):
    query = {
        **MARCH,
        "source": ["Webinar", "Paid search"],
        "attr_region": ["EMEA"],
        "funnel_by": ["campaign"],
        # Another page's choice, an unknown key and the opening key are not the funnel's view.
        "quality_by": ["campaign"],
        "utm_source": ["mail"],
        views.OPEN_KEY: ["3"],
    }
    view = store.save("March by campaign", FUNNEL, query, ANA, "Ana")
    assert view.query == {
        **MARCH,
        "source": ["Webinar", "Paid search"],
        "attr_region": ["EMEA"],
        "funnel_by": ["campaign"],
    }
    assert (view.page, view.owner, view.owner_label, view.is_shared) == (FUNNEL, ANA, "Ana", False)


@pytest.mark.parametrize("page", ["pages/nope.py", "pages/../../etc/passwd", "/srv/app.py", ""])
def test_a_view_of_a_page_the_app_does_not_have_is_refused(store, page):
    with pytest.raises(ViewError, match="not one of the app's pages"):
        store.save("x", page, MARCH, ANA, "Ana")
    assert store.listing(ANA) == []


def test_a_query_beyond_what_a_url_of_the_app_holds_is_refused(store):
    with pytest.raises(ViewError, match="too long"):
        store.save("x", FUNNEL, {"source": ["s"] * 201}, ANA, "Ana")
    with pytest.raises(ViewError, match="too long"):
        store.save("x", FUNNEL, {"funnel_by": ["c" * 201]}, ANA, "Ana")


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("  Q1   webinars ", "Q1 webinars"),  # spaces collapsed
        ("Ventes d'été: EMEA (T1) #2", "Ventes d'été: EMEA (T1) #2"),  # letters of any script
        ("a" * 60, "a" * 60),
    ],
)
def test_a_name_is_tidied(asked, kept):
    assert views.clean_name(asked) == kept


@pytest.mark.parametrize(
    "asked",
    ["", "   ", "a" * 61, "<script>x</script>", "[board](http://evil.test)", "**x**", "a`b"],
)
def test_a_name_with_other_characters_or_length_is_refused(store, asked):
    with pytest.raises(ViewError):
        store.save(asked, FUNNEL, MARCH, ANA, "Ana")


def test_a_name_reaches_the_file_as_a_bound_value(store):
    # Quotes, semicolons and dashes are a name's characters: bound, they are only text.
    name = "x'; drop table saved_views; --"
    store.save(name, FUNNEL, MARCH, ANA, "Ana")
    assert [v.name for v in store.listing(ANA)] == [name]


def test_the_same_name_by_the_same_person_replaces_once_confirmed(store):
    first = store.save("Board", FUNNEL, MARCH, ANA, "Ana")
    store.share(first.view_id, True, ANA, "editor")
    with pytest.raises(ViewExists):
        store.save("Board", "pages/quality.py", {"quality_by": ["campaign"]}, ANA, "Ana")
    later = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    again = store.save(
        "Board",
        "pages/quality.py",
        {"quality_by": ["campaign"]},
        ANA,
        "Ana",
        replace=True,
        now=later,
    )
    # The same view, now of the quality page, still shared; no second one.
    assert (again.view_id, again.page, again.query, again.is_shared) == (
        first.view_id,
        "pages/quality.py",
        {"quality_by": ["campaign"]},
        True,
    )
    assert again.saved_at == later
    assert len(store.listing(ANA)) == 1
    # Another person may use the same name: their own view.
    store.save("Board", FUNNEL, MARCH, BEN, "Ben")
    assert len(views.mine(store.listing(BEN), BEN)) == 1


def test_ones_views_are_not_listed_for_another_until_shared(store):
    own = store.save("Mine", FUNNEL, MARCH, ANA, "Ana")
    assert store.listing(BEN) == []
    store.share(own.view_id, True, ANA, "editor")
    listed = store.listing(BEN)
    assert [(v.name, v.owner_label) for v in views.shared_by_others(listed, BEN)] == [
        ("Mine", "Ana")
    ]
    assert views.mine(listed, BEN) == []
    # For Ana it is one of her views, not listed again under "Shared views".
    assert [v.name for v in views.mine(store.listing(ANA), ANA)] == ["Mine"]
    assert views.shared_by_others(store.listing(ANA), ANA) == []


def test_a_viewer_cannot_publish_or_unpublish_in_the_store(store):
    own = store.save("Mine", FUNNEL, MARCH, ANA, "Ana")
    with pytest.raises(ViewError, match="editor or an admin"):
        store.share(own.view_id, True, ANA, "viewer")
    assert store.listing(BEN) == []
    store.share(own.view_id, True, ANA, "admin")
    with pytest.raises(ViewError, match="editor or an admin"):
        store.share(own.view_id, False, BEN, "viewer")
    assert [v.is_shared for v in store.listing(BEN)] == [True]


def test_an_editor_publishes_their_own_views_and_unpublishes_any_shared(store):
    anas = store.save("Ana's", FUNNEL, MARCH, ANA, "Ana")
    # Ben, an editor, cannot publish a view of Ana's that she keeps to herself.
    with pytest.raises(ViewError, match="Only the person who saved"):
        store.share(anas.view_id, True, BEN, "editor")
    store.share(anas.view_id, True, ANA, "editor")
    # Once shared, any editor may take it back out of the shared list.
    store.share(anas.view_id, False, BEN, "editor")
    assert store.listing(BEN) == []


def test_only_the_owner_deletes_a_view(store):
    anas = store.save("Ana's", FUNNEL, MARCH, ANA, "Ana")
    store.share(anas.view_id, True, ANA, "admin")
    with pytest.raises(ViewError, match="Only the person who saved"):
        store.delete(anas.view_id, BEN)
    assert len(store.listing(BEN)) == 1
    store.delete(anas.view_id, ANA)
    assert store.listing(ANA) == store.listing(BEN) == []


def test_several_sessions_save_at_once(store):
    # 4 writers × 15 views, each its own connection: SQLite's lock and busy timeout serialise
    # them, so all 60 are there and none failed.
    def write(who: int) -> None:
        for i in range(15):
            ViewStore(store.path).save(f"v{i}", FUNNEL, MARCH, f"p{who}@example.com", "P")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    with sqlite3.connect(store.path) as con:
        assert con.execute("select count(*) from saved_views").fetchone()[0] == 60


def test_listing_without_a_file_creates_none(tmp_path):
    path = tmp_path / "views.sqlite"
    assert ViewStore(path).listing(ANA) == []
    assert not path.exists()


def test_the_file_is_a_setting_beside_the_database(monkeypatch, tmp_path):
    monkeypatch.delenv("HANDOFF_VIEWS", raising=False)
    assert views.views_path_from_env() == paths.DEFAULT_VIEWS
    assert paths.DEFAULT_VIEWS.parent == paths.DEFAULT_DB.parent
    monkeypatch.setenv("HANDOFF_VIEWS", str(tmp_path / "v.sqlite"))
    assert views.views_path_from_env() == tmp_path / "v.sqlite"


def _control_keys(tree: ast.AST) -> list[str]:
    """The constant texts of the key argument of every ui.control(...) with a link."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "control"):
            continue
        if any(
            k.arg == "link" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in node.keywords
        ):
            continue
        key = node.args[1]
        branches = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
        for branch in branches:
            first = branch.values[0] if isinstance(branch, ast.JoinedStr) else branch
            assert isinstance(first, ast.Constant), ast.dump(branch)
            found.append(first.value)
    return found


@pytest.mark.parametrize("page", sorted(views.PAGES))
def test_every_page_choice_in_a_link_begins_with_its_pages_name(page):
    # A saved view keeps a page's own keys by that prefix: a choice named otherwise would be
    # dropped from its views.
    keys = _control_keys(ast.parse((ROOT / page).read_text(encoding="utf-8")))
    assert all(k.startswith(views.page_prefix(page)) for k in keys), keys


def test_the_meta_test_finds_the_pages_choices():
    keys = _control_keys(ast.parse((ROOT / FUNNEL).read_text(encoding="utf-8")))
    assert {"funnel_by", "funnel_order", "funnel_months"} <= set(keys)


# ---- the sidebar, in AppTest ---------------------------------------------------------------


@pytest.fixture
def app(new_session, monkeypatch, tmp_path):
    """A new session on the golden data, its saved views in the test's own file."""
    monkeypatch.setenv("HANDOFF_VIEWS", str(tmp_path / "views.sqlite"))
    return new_session


def widget(at: AppTest, key: str):
    return next(w for kind in ("selectbox", "radio", "checkbox", "slider", "text_input")
                for w in at.get(kind) if getattr(w, "key", None) == key)  # fmt: skip


def view_links(at: AppTest) -> dict[str, str]:
    """The saved views' links in the sidebar: label → query string."""
    return {
        link.value: link.proto.query_string
        for link in at.sidebar.get("page_link")
        if views.OPEN_KEY in link.proto.query_string
    }


def save(at: AppTest, name: str) -> None:
    widget(at, "views_name").set_value(name)
    at.button(key="views_save").click().run()
    assert not at.exception


def follow(at: AppTest, query_string: str, page: str) -> None:
    """Click a link: the page runs in the same session with the link's query."""
    at.query_params.clear()
    at.query_params.update(parse_qs(query_string))
    at.switch_page(page).run()
    assert not at.exception


def test_a_saved_view_opens_with_its_filters_and_choices(app):
    at = app(FUNNEL, **{k: v[0] for k, v in MARCH.items()})
    widget(at, "funnel_by").set_value("campaign").run()
    widget(at, "funnel_order").set_value("strict").run()
    save(at, "March # by campaign")
    assert [s.value for s in at.sidebar.success] == [f"Saved “{safe.md('March # by campaign')}”."]
    links = view_links(at)
    # The label is the name as markdown shows it literally.
    assert list(links) == [safe.md("March # by campaign")]
    # The session moves on: another period and other choices, then another page.
    widget(at, "f_period").set_value("last_month").run()
    widget(at, "funnel_by").set_value("owner").run()
    widget(at, "funnel_order").set_value("any").run()
    at.switch_page("pages/discards.py").run()
    assert not at.exception
    follow(at, links[safe.md("March # by campaign")], FUNNEL)
    assert widget(at, "f_period").value == "custom"
    assert widget(at, "funnel_by").value == "campaign"
    assert widget(at, "funnel_order").value == "strict"
    assert at.sidebar.date_input(key="f_dates").value == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    # The address is the view's, without the key that opened it.
    assert dict(at.query_params) == {
        "period": "custom",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "funnel_by": "campaign",
        "funnel_order": "strict",
    }


def test_saving_a_name_again_asks_before_replacing(app):
    at = app(FUNNEL)
    save(at, "Mine")
    widget(at, "funnel_by").set_value("campaign").run()
    save(at, "Mine")
    assert "Replace it with this one?" in at.sidebar.warning[0].value
    at.button(key="views_replace").click().run()
    assert not at.exception
    assert [s.value for s in at.sidebar.success] == ["Saved “Mine”."]
    (query,) = view_links(at).values()
    assert parse_qs(query)["funnel_by"] == ["campaign"]


def test_a_persons_views_are_theirs_and_a_viewer_cannot_share(app):
    ana = app(FUNNEL, user={"email": ANA, "name": "Ana"})
    save(ana, "Ana's view")
    assert list(view_links(ana)) == ["Ana's view"]
    # Signed in as a viewer (the role the access file gives them): no Share button.
    assert not [b for b in ana.sidebar.button if (b.key or "").startswith("views_share_")]
    ben = app(FUNNEL, user={"email": BEN, "name": "Ben"})
    assert view_links(ben) == {}
    assert any(c.value.startswith("None yet") for c in ben.sidebar.caption)


def test_without_sign_in_the_machines_user_shares_a_view(app, tmp_path):
    at = app(FUNNEL)
    save(at, "For the meeting")
    (view,) = ViewStore(tmp_path / "views.sqlite").listing(views.LOCAL_OWNER)
    at.button(key=f"views_share_{view.view_id}").click().run()
    assert not at.exception
    assert ViewStore(tmp_path / "views.sqlite").listing(BEN)[0].is_shared
    # Signed in, Ben lists it under "Shared views", by this machine.
    ben = app(FUNNEL, user={"email": BEN})
    assert list(view_links(ben)) == ["For the meeting"]
    assert "SHARED VIEWS" in [c.value for c in ben.sidebar.caption]


def test_the_checkout_keeps_no_views_file():
    # The tests write views to their own files (conftest), never to data/views.sqlite.
    assert Path(views.views_path_from_env()) != paths.DEFAULT_VIEWS


def test_a_long_list_shows_eight_links_and_the_rest_in_an_expander(app, tmp_path):
    store = ViewStore(tmp_path / "views.sqlite")
    for i in range(10):
        store.save(f"View {i:02d}", FUNNEL, MARCH, views.LOCAL_OWNER, "this machine")
    at = app(FUNNEL)
    # Listed by name: View 00 … View 07 in the list, View 08 and View 09 under "2 more".
    assert list(view_links(at)) == [f"View {i:02d}" for i in range(10)]
    (more,) = [e for e in at.sidebar.expander if e.label == "2 more"]
    assert [link.value for link in more.get("page_link")] == ["View 08", "View 09"]


def test_a_stored_row_of_a_page_the_app_no_longer_has_is_not_listed(store):
    store.save("Kept", FUNNEL, MARCH, ANA, "Ana")
    with sqlite3.connect(store.path) as con:
        rows = [
            # A page since removed, a query that is not a mapping, another page's key.
            ("Gone", "pages/gone.py", '{"period": ["ytd"]}'),
            ("Odd", FUNNEL, '["period"]'),
            ("Other keys", FUNNEL, '{"period": ["ytd"], "quality_by": ["campaign"]}'),
        ]
        con.executemany(
            "insert into saved_views (owner, owner_label, name, page, query_json, saved_at) "
            "values (?, 'Ana', ?, ?, ?, '2026-12-01T00:00:00+00:00')",
            [(ANA, *row) for row in rows],
        )
    listed = {v.name: v.query for v in store.listing(ANA)}
    assert listed == {"Kept": MARCH, "Other keys": {"period": ["ytd"]}}


def test_served_elsewhere_without_sign_in_a_session_is_a_viewer_of_views(app):
    # A session the agreement editor refuses (the server listens beyond this machine, no
    # sign-in) saves and deletes views but shares none: no Share button.
    from streamlit import config as st_config

    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")  # noqa: S104
    try:
        at = app(FUNNEL)
        save(at, "Mine")
        keys = [b.key or "" for b in at.sidebar.button]
        assert any(k.startswith("views_delete_") for k in keys)
        assert not any(k.startswith("views_share_") for k in keys)
    finally:
        st_config.set_option("server.address", before)
