"""The segments page in a real browser: the touchpoint x segment heatmap is drawn, with a cell
per touchpoint and segment (a spec Vega-Lite cannot resolve renders as an empty box, which
only a browser shows)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import STEP_TIMEOUT

pytestmark = pytest.mark.browser

STEP = 36  # px per heatmap row (charts.heatmap)


def test_heatmap_is_drawn(app_page):
    page, data = app_page.page, app_page.data
    model = data.model
    app_page.goto(f"segments?split={data.segment_key}")
    app_page.assert_no_exception()
    heading = page.get_by_role("heading", name=f"Touchpoints × {data.segment_name}")
    expect(heading).to_be_visible()
    box = app_page.drawing_below(heading)
    rows = len(model.touchpoints)
    assert box["height"] >= rows * STEP and box["width"] > 300, f"the heatmap is not drawn: {box} for {rows} rows"
    app_page.screenshot("segments_heatmap.png")
    # The figures' file says what it holds: the rows, the KPI and the segment (every download of
    # the page was named by the segment alone, found by an audit).
    kpi = model.touchpoints[0].kpis[0].key
    # Clicked once the page is idle: a click landing in a late rerun asked for a file that rerun had
    # replaced, and no download came (once in a full suite on a fresh clone).
    app_page.wait_idle()
    button = page.get_by_role("button", name="Download these figures (CSV)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=STEP_TIMEOUT) as csv:
        button.click()
    name = csv.value.suggested_filename
    assert name.startswith(f"cx-segments-index-touchpoints-{kpi.replace('_', '-')}-by-") and name.endswith(".csv"), name


def test_key_drivers_are_drawn_with_their_grid_by_segment(app_page):
    """The drivers page: its importance bars and, split by a segment, the driver x segment grid."""
    page, data = app_page.page, app_page.data
    app_page.goto(f"drivers?period=all&split={data.segment_key}")
    app_page.assert_no_exception()
    bars = page.get_by_role("heading", name="Importance", exact=True)
    expect(bars).to_be_visible()
    box = app_page.drawing_below(bars)
    assert box["height"] >= 2 * 34 and box["width"] > 200, f"the importance bars are not drawn: {box}"
    grid = page.get_by_role("heading", name=f"Importance by {data.segment_name}")
    grid.scroll_into_view_if_needed()
    box = app_page.drawing_below(grid)
    assert box["height"] >= 2 * 36 and box["width"] > 300, f"the drivers' grid is not drawn: {box}"
    app_page.screenshot("drivers.png")
