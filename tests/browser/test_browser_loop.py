"""Close the loop in a real browser: a case is ticked in the list, resolved with a note through the
form, and the page's figures move by one. Its own server (`fresh_app`): the change is a write."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PAGE_TIMEOUT

pytestmark = pytest.mark.browser


def metric_value(page, label: str) -> int:
    tile = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile("^" + re.escape(label) + "$")))
    expect(tile).to_have_count(1)
    return int(tile.get_by_test_id("stMetricValue").inner_text().replace(",", "").strip())


def test_a_case_is_resolved_with_a_note(fresh_app):
    page = fresh_app.page
    fresh_app.goto("loop?period=all&cases=new")
    expect(page.get_by_role("heading", name="Close the loop")).to_be_visible(timeout=PAGE_TIMEOUT)
    open_before = metric_value(page, "Open cases")
    assert open_before > 0
    # The owners' chart is drawn
    fresh_app.drawing_below(page.get_by_role("heading", name="By owner"))

    # Tick the first case: the list is a canvas grid, its row markers in the first column.
    grid = page.locator(".st-key-cases_table [data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    expect(page.get_by_role("heading", name="1 case selected")).to_be_visible()
    fresh_app.wait_idle()

    form = page.get_by_test_id("stForm")
    form.get_by_test_id("stButtonGroup").get_by_text("Resolved", exact=True).click()
    form.get_by_label("Note (what was done, what was promised)").fill("Called back; refund agreed")
    form.get_by_label("Your name", exact=True).fill("Browser test")
    fresh_app.click_and_wait(form.get_by_role("button", name=re.compile("Save for 1 case")),
                             until=lambda: expect(page.get_by_role("heading", name="1 case selected")).to_have_count(0))
    assert metric_value(page, "Open cases") == open_before - 1
    fresh_app.screenshot("close_the_loop.png")
