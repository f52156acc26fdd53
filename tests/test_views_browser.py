"""A saved view in a real browser: saved from the funnel's sidebar, then, after the session has
moved on to other choices and another page, opened from its link with its choices back."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import browser, open_page, server, wait_for_run  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

STRICT = "Strict order (every stage dated, in order)"
ANY = "Any order (skipped stages count as passed)"


def test_a_saved_view_reopens_from_its_sidebar_link(server, browser):  # noqa: F811
    page = open_page(browser, f"{server}/funnel?period=custom&from=2026-03-01&to=2026-03-31")
    try:
        page.get_by_text(STRICT).click()
        page.wait_for_url("**funnel_order=strict**", timeout=15_000)
        wait_for_run(page)
        page.get_by_role("button", name="Save this view").click()
        name = page.get_by_label("Name")
        name.fill("March, strict")
        name.press("Enter")
        wait_for_run(page)
        page.get_by_role("button", name="Save", exact=True).click()
        link = page.locator('[data-testid="stSidebar"]').get_by_role("link", name="March, strict")
        link.wait_for(timeout=15_000)
        # The session moves on: the default order, then another page.
        page.keyboard.press("Escape")
        page.get_by_text(ANY).click()
        page.wait_for_url(re.compile(r"^(?!.*funnel_order).*$"), timeout=15_000)
        wait_for_run(page)
        page.get_by_role("link", name="Scorecard").click()
        page.wait_for_selector("h1:has-text('Scorecard')", timeout=30_000)
        wait_for_run(page)
        link.click()
        page.wait_for_selector("h1:has-text('Lead funnel')", timeout=30_000)
        wait_for_run(page)
        assert page.get_by_role("radio", name=STRICT).is_checked()
        assert "funnel_order=strict" in page.url
        assert "from=2026-03-01" in page.url
        assert "saved_view" not in page.url
    finally:
        page.close()
