"""Text from files shows exactly as written: cxdata.markdown.escape in Streamlit's real Markdown
renderer (the frontend's, which AppTest does not run)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cxdata.markdown import ZWSP

from .apps.markdown_escape import CASES, one_line
from .conftest import APP_IDLE, PAGE_TIMEOUT, SERVER_START_TIMEOUT, StreamlitServer

pytestmark = pytest.mark.browser

TEXT = "[data-testid='stMarkdownContainer'], [data-testid='stCaptionContainer']"


@pytest.fixture(scope="module")
def markdown_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cx-markdown")
    server = StreamlitServer(tmp / "unused.duckdb", tmp, script="tests/browser/apps/markdown_escape.py")
    try:
        server.wait_healthy(SERVER_START_TIMEOUT)
        yield server
    finally:
        server.stop()


def test_escaped_text_renders_verbatim(chromium_browser, markdown_server):
    page = chromium_browser.new_page()
    try:
        page.goto(markdown_server.base_url)
        page.wait_for_selector(APP_IDLE, timeout=PAGE_TIMEOUT)
        expect(page.locator(f".st-key-case_{len(CASES) - 1}")).to_be_visible()
        for i, text in enumerate(CASES):
            case = page.locator(f".st-key-case_{i}")
            shown = [t.replace(ZWSP, "") for t in case.locator(TEXT).all_inner_texts()]
            assert shown == [one_line(text), "x " + one_line(text), "x " + one_line(text)], f"case {i}: {text!r}"
            # Nothing turned into a link, an image, a formula, an icon, a heading or a list.
            assert case.locator("a, img, .katex, [data-testid='stIconMaterial'], h1, h2, h3, hr, br, pre, sup, blockquote, ul, ol, code, del, table, b, script").count() == 0, text
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        page.close()
