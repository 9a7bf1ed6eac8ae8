"""Response rates in a real browser: the sample company's relationship surveys and its invitation
list loaded by the command line, the page shows the rate of truth.json, names the silent segment
and draws a chart per dimension. A server of its own, on that database."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import EXAMPLE_MODEL, PAGE_TIMEOUT, REPO, SERVER_START_TIMEOUT, StreamlitServer, _cli, _open_app_page

pytestmark = pytest.mark.browser

SAMPLES = REPO / "tests" / "fixtures" / "samples"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture
def rates_app(chromium_browser, tmp_path, request):
    db = tmp_path / "cx.duckdb"
    files = [SAMPLES / n for n in ("qualtrics_relationship.csv", "surveymonkey_relationship.xlsx",
                                   "porsline_relationship.xlsx")]
    assert _cli("ingest", *map(str, files), "--db", str(db), "--model", str(EXAMPLE_MODEL)).returncode == 0
    assert _cli("invitations", str(SAMPLES / "invitations.csv"), "--db", str(db)).returncode == 0
    server = StreamlitServer(db, tmp_path)
    try:
        server.wait_healthy(SERVER_START_TIMEOUT)
        with _open_app_page(chromium_browser, server, None, request) as app:
            yield app
    finally:
        server.stop()


def test_response_rates_name_the_silent_segment(rates_app):
    page = rates_app.page
    metrics = TRUTH["files"]["invitations.csv"]["metrics"]
    rates_app.goto("rates?period=all")
    expect(page.get_by_role("heading", name="Response rates")).to_be_visible(timeout=PAGE_TIMEOUT)
    tile = page.locator("[data-testid='stMetric']").filter(has_text=re.compile("^Response rate"))
    expect(tile.get_by_test_id("stMetricValue")).to_have_text(f"{metrics['response_rate_pct']:.1f}%")
    silent = page.get_by_text(re.compile(r"Tenure: 0-6m answers 4\.2% of its invitations"))
    expect(silent).to_be_visible()
    rates_app.drawing_below(page.get_by_role("heading", name="By survey, wave and segment"))
    expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(7)
    rates_app.screenshot("response_rates.png")
