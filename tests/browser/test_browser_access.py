"""Access in a real browser: the app behind a sign-in proxy (examples/access.yaml, sign_in: proxy),
played by Chromium sending the proxy's header. Nobody named sees no figure; a team member sees
their team and nothing computed from other teams' rows; an administrator sees everything."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from .conftest import (PAGE_TIMEOUT, REPO, SERVER_START_TIMEOUT, VIEWPORT, AppPage, StreamlitServer)

pytestmark = pytest.mark.browser

POLICY = REPO / "examples" / "access.yaml"


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cx-access")
    server = StreamlitServer(tmp / "cx.duckdb", tmp, env={"CX_ACCESS": str(POLICY)})
    try:
        server.wait_healthy(SERVER_START_TIMEOUT)
        yield server
    finally:
        server.stop()


@contextmanager
def signed_in(browser, server, who: str | None):
    """A browser whose requests carry the proxy's header naming `who` (none: not through the proxy)."""
    headers = {"X-Forwarded-Email": who} if who else {}
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC", extra_http_headers=headers)
    try:
        app = AppPage(context.new_page(), server, None)
        yield app
        assert not app.page_errors, app.page_errors
    finally:
        context.close()
        server.check_alive()


def nav_links(page) -> list[str]:
    # (a link's text starts with its icon's name)
    return [t.strip().splitlines()[-1] for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]


def test_without_the_proxy_nothing_is_shown(chromium_browser, proxied_server):
    with signed_in(chromium_browser, proxied_server, None) as app:
        app.goto("team?tp=call_center&team=cc_north")
        expect(app.page.get_by_text(re.compile("Sign-in is done by the proxy"))).to_be_visible(timeout=PAGE_TIMEOUT)
        expect(app.page.locator("[data-testid='stMetric']")).to_have_count(0)
        assert nav_links(app.page) == []


def test_a_team_member_sees_their_team_only(chromium_browser, proxied_server):
    with signed_in(chromium_browser, proxied_server, "omid@example.com") as app:
        page = app.page
        app.goto()
        expect(page.get_by_text(re.compile("Signed in as omid@"))).to_be_visible(timeout=PAGE_TIMEOUT)
        tiles = page.locator("[data-testid='stMetric']")
        expect(tiles).to_have_count(1)
        expect(tiles.first).to_contain_text("Call Center - Europe")
        assert nav_links(page) == ["Pyramid", "Team view", "Close the loop"]
        app.screenshot("access_team_member.png")
        app.click_and_wait(page.get_by_role("link", name="Open team view ›"),
                           until=lambda: expect(page.get_by_role("heading", name="Call Center - Europe")).to_be_visible())
        expect(page.get_by_role("heading", name="Comments behind the number")).to_be_visible()
        # Another team's link: refused, with the way to their own team.
        app.goto("team?tp=call_center&team=cc_north")
        expect(page.get_by_text("This view is outside your access")).to_be_visible()
        expect(page.get_by_role("heading", name="Call Center - North")).to_have_count(0)
        app.goto("upload")
        expect(page.locator("[data-testid='stFileUploader']")).to_have_count(0)


def test_an_administrator_sees_everything(chromium_browser, proxied_server):
    with signed_in(chromium_browser, proxied_server, "cx.lead@example.com") as app:
        app.goto()
        expect(app.page.get_by_text(re.compile("Signed in as cx.lead@"))).to_be_visible(timeout=PAGE_TIMEOUT)
        assert "Upload" in nav_links(app.page)
        assert app.page.locator("[data-testid='stMetric']").count() > 1
