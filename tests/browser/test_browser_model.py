"""The Model page in a real browser: an administrator raises a team's target in the YAML, checks
it (the diff shows the change), saves it as version 1, and the team's tile is measured against it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PAGE_TIMEOUT, SERVER_START_TIMEOUT, StreamlitServer, _open_app_page

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_app(chromium_browser, tmp_path, request):
    """A server of its own on a fresh database, on the demo's model (no CX_MODEL: a model named
    by CX_MODEL is read from its file as it is, and the page does not edit it)."""
    server = StreamlitServer(tmp_path / "cx.duckdb", tmp_path)
    try:
        server.wait_healthy(SERVER_START_TIMEOUT)
        with _open_app_page(chromium_browser, server, None, request) as app:
            yield app
    finally:
        server.stop()


def test_an_edited_target_reaches_the_team_tile(demo_app):
    app, page = demo_app, demo_app.page
    app.goto("model")
    expect(page.get_by_role("heading", name="Pyramid model", level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    page.get_by_role("tab", name="Edit").click()
    editor = page.get_by_label("Model (YAML)")
    text = editor.input_value()
    # The demo's default CSAT target of touchpoints and teams: 80 -> 91.
    assert "target: 80" in text
    editor.fill(text.replace("target: 80", "target: 91"))
    page.get_by_label("What changed, and why").fill("CSAT targets to 91")
    app.click_and_wait(page.get_by_role("button", name="Check"),
                       until=lambda: expect(page.get_by_text("The model is valid")).to_be_visible())
    expect(page.locator("[data-testid='stCode']").filter(has_text="+")).to_contain_text("target: 91")
    app.click_and_wait(page.get_by_role("button", name="Save as version 1"),
                       until=lambda: expect(page.get_by_text(re.compile("version 1, saved .*CSAT targets to 91"))).to_be_visible())
    app.screenshot("model_saved.png")
    app.goto("?period=all")
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=PAGE_TIMEOUT)
    expect(page.get_by_text(re.compile("target\u00a091")).first).to_be_visible()


def test_a_target_edited_in_the_table_is_written_into_the_text(demo_app):
    app, page = demo_app, demo_app.page
    app.goto("model")
    expect(page.get_by_role("heading", name="Pyramid model", level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    page.get_by_role("tab", name="Edit").click()
    page.get_by_text("Targets: change them in a table").click()
    grid = page.locator("[data-testid='stExpander'] [data-testid='stDataFrame']").first
    expect(grid).to_be_visible()
    app.wait_idle()
    page.wait_for_timeout(800)  # the grid's canvas drawn
    box = grid.bounding_box()
    # The grid is a canvas: the Target cell (last column) of the 2nd row, the Website's CSAT (82).
    page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + 35 * 2 + 18)
    page.wait_for_selector("input.gdg-input", timeout=PAGE_TIMEOUT)  # the cell's editor open
    page.keyboard.type("86")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.wait_for_timeout(800)  # the edit reruns the page
    app.wait_idle()
    # (waits for the click's own rerun: the page may still look idle from the edit's)
    app.click_and_wait(page.get_by_role("button", name="Write these targets into the text"),
                       until=lambda: expect(page.locator("[data-testid='stExpander'] [data-testid='stAlert']")
                                            .filter(has_text="Written into the text below")).to_be_visible(timeout=PAGE_TIMEOUT))
    assert "targets: {csat: 86}" in page.get_by_label("Model (YAML)").input_value()
    app.screenshot("model_targets.png")
