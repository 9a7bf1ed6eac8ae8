"""The segments page in a real browser: the touchpoint x segment heatmap is drawn, with a cell
per touchpoint and segment (a spec Vega-Lite cannot resolve renders as an empty box, which
only a browser shows)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
