"""The Upload page in a real browser: a Qualtrics export goes in through the real file input, the
suggested (here: saved) mapping is confirmed in one click, the receipt counts match the fixture's
truth, and the pyramid shows the new index. A zip bomb is refused with a plain message.

Each test runs its own server on a fresh database (`fresh_app`): the upload changes the data.
Run: .venv/bin/python -m pytest tests/browser -q   (screenshots land in test-artifacts/)
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from cxdata.model import load_model

from .conftest import EXAMPLE_MODEL, PAGE_TIMEOUT, REPO, STEP_TIMEOUT

pytestmark = pytest.mark.browser

SAMPLES = REPO / "tests" / "fixtures" / "samples"
QUALTRICS = SAMPLES / "qualtrics_relationship.csv"
ZIP_BOMB = SAMPLES / "bad" / "zip_bomb.xlsx"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
LOAD_TIMEOUT = 90_000  # ms: inspecting or loading a file, on a busy machine
REFUSAL_SECONDS = 10  # "a plain error within a few seconds"

N_IN_CAPTION = re.compile(r"\bn\s=\s([\d,]+)")  # the caption joins "n = 333" with no-break spaces


def metric(page, label: str, *, exact: bool = False):
    pattern = "^" + re.escape(label) + ("$" if exact else "")
    return page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(pattern)))


def metric_value(page, label: str) -> str:
    tile = metric(page, label, exact=True)
    expect(tile).to_have_count(1)
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def index_tile(page, model) -> tuple[str, int | None]:
    """The index tile's value as shown and its n (from the caption under it; None without one)."""
    tile = metric(page, model.index.name)
    expect(tile).to_have_count(1)
    expect(tile).to_be_visible()
    value = tile.get_by_test_id("stMetricValue").inner_text().strip()
    column = page.get_by_test_id("stColumn").filter(has=tile)
    captions = column.get_by_test_id("stCaptionContainer")
    text = " ".join(captions.all_inner_texts())
    match = N_IN_CAPTION.search(text)
    return value, int(match.group(1).replace(",", "")) if match else None


def grid_text(grid) -> str:
    """The text of a st.dataframe / st.data_editor: the grid draws on a canvas, but keeps an
    accessible copy of the rendered cells in the DOM."""
    return " | ".join(grid.locator("[data-testid^='glide-cell-']").evaluate_all("cells => cells.map(c => c.textContent)"))


def period_label(page) -> str:
    """The period the pyramid shows: the first bold part of the caption under the title."""
    caption = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").filter(has_text="data as of").first
    expect(caption).to_be_visible()
    return caption.locator("strong").first.inner_text().strip()


def upload(app, path) -> None:
    uploader = app.page.get_by_test_id("stFileUploader")
    expect(uploader).to_be_visible()
    uploader.locator("input[type=file]").set_input_files(str(path))


def test_upload_qualtrics_export_updates_the_pyramid(fresh_app):
    app = fresh_app
    page = app.page
    model = load_model(EXAMPLE_MODEL)
    truth = TRUTH["files"][QUALTRICS.name]["metrics"]
    main = page.get_by_test_id("stMain")

    # Before: the demo data (loaded on first start), read through the Zelvora model.
    app.goto()
    expect(page.get_by_role("heading", name=model.name, level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    expect(main.get_by_text("You are looking at demo data")).to_be_visible()
    before = index_tile(page, model)

    # The Upload page through the sidebar navigation.
    app.click_and_wait(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Upload", exact=True),
                       until=lambda: page.wait_for_url(re.compile(r"/upload(\?|$)"), timeout=STEP_TIMEOUT))
    expect(page.get_by_role("heading", name="Upload survey responses", level=1)).to_be_visible()

    # 1 · Check: the file is recognised, with a preview and the mapping to confirm.
    upload(app, QUALTRICS)
    expect(page.get_by_role("heading", name=f"1 · Check: {QUALTRICS.name}")).to_be_visible(timeout=LOAD_TIMEOUT)
    app.wait_idle(LOAD_TIMEOUT)
    expect(page.get_by_role("heading", name="2 · Confirm what each column is")).to_be_visible()
    grids = main.get_by_test_id("stDataFrame")  # preview, mapping (editor), upload history
    editor = page.locator(".st-key-mapping_editor").get_by_test_id("stDataFrame")
    expect(editor).to_be_visible()
    assert grids.count() >= 3, f"expected the preview, mapping and history tables, found {grids.count()}"
    preview, mapping = grid_text(grids.nth(0)), grid_text(editor)
    # One line of facts, and the saved mapping is recognised by the header fingerprint.
    expect(main.get_by_text("Qualtrics export · UTF-8", exact=False)).to_be_visible()
    expect(main.get_by_text("comma-separated · 3 header rows", exact=False)).to_be_visible()
    expect(main.get_by_text("Recognised this export: its saved mapping is used.", exact=False)).to_be_visible()
    assert "Survey Preview" in preview and "IP Address" in preview, preview[:500]
    assert "ResponseId" in mapping and "response_id" in mapping, mapping[:500]
    expect(page.get_by_role("textbox", name="Source name")).to_have_value("qualtrics")
    expect(page.get_by_role("checkbox", name="Remove the demo data when loading this file")).to_be_checked()

    # Load: the receipt counts the file's rows exactly.
    receipt = page.get_by_role("heading", name=f"Receipt: {QUALTRICS.name}")
    started = time.monotonic()
    app.click_and_wait(page.get_by_role("button", name="Load responses"),
                       until=lambda: expect(receipt).to_be_visible(timeout=LOAD_TIMEOUT))
    load_seconds = time.monotonic() - started
    assert metric_value(page, "Rows read") == f"{truth['rows_in_file']:,}"
    assert metric_value(page, "Added") == f"{truth['valid_responses']:,}"
    excluded = sum(truth["excluded_rows"].values())
    assert metric_value(page, "Excluded") == f"{excluded:,}"
    assert metric_value(page, "Rejected") == "0"
    assert metric_value(page, "Updated") == "0"
    expect(main.get_by_text("Loaded as source qualtrics")).to_be_visible()
    expect(main.get_by_text("Rows and values not counted")).to_be_visible()
    expect(page.get_by_role("heading", name="1 · Check", exact=False)).to_have_count(0)
    expect(main.get_by_text("You are looking at demo data")).to_have_count(0)
    history = grid_text(main.get_by_test_id("stDataFrame").last)
    assert QUALTRICS.name in history and "demo data" in history, history
    app.screenshot("upload_receipt.png")

    # The pyramid, default period (the latest quarter of the new data): that wave's NPS.
    app.click_and_wait(page.get_by_role("button", name="Go to the pyramid"),
                       until=lambda: expect(page.get_by_role("heading", name=model.name, level=1)).to_be_visible())
    assert urlparse(page.url).path.rstrip("/") == "", page.url
    label = period_label(page)
    waves = truth["nps_by"]["wave"]
    assert label in waves, f"the default period is {label!r}, not one of the file's waves {list(waves)}"
    after_default = index_tile(page, model)
    assert after_default == (f"{waves[label]['nps']:+.1f}", waves[label]["n"]), (label, after_default)
    assert after_default != before, f"the index tile did not change: {before}"
    expect(main.get_by_text("You are looking at demo data")).to_have_count(0)

    # All of the data: the whole file's NPS.
    app.goto("?period=all")
    after_all = index_tile(page, model)
    assert after_all == (f"{truth['nps']['nps']:+.1f}", truth["nps"]["n"]), after_all
    app.screenshot("pyramid_after_upload.png")
    print(f"\nindex before {before}, after ({label}) {after_default}, after (all) {after_all}; load took {load_seconds:.1f} s")


def test_zip_bomb_is_refused_with_a_plain_message(fresh_app):
    app = fresh_app
    page = app.page
    app.goto()  # the entry point first: see test_deep_link_on_a_fresh_server
    app.goto("upload")
    expect(page.get_by_role("heading", name="Upload survey responses", level=1)).to_be_visible(timeout=PAGE_TIMEOUT)

    started = time.monotonic()
    upload(app, ZIP_BOMB)
    error = page.get_by_test_id("stAlert").filter(has=page.get_by_test_id("stAlertContentError"))
    expect(error).to_be_visible(timeout=REFUSAL_SECONDS * 1000)
    took = time.monotonic() - started
    app.wait_idle()  # also fails on an stException
    expect(error).to_have_count(1)
    expect(error).to_contain_text(f"{ZIP_BOMB.name} was not loaded.")
    text = error.inner_text()
    assert "Traceback" not in text and "Error:" not in text, text
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile(r"^1 · Check"))).to_have_count(0)
    expect(page.get_by_role("button", name="Load responses")).to_have_count(0)
    app.screenshot("upload_refused.png")
    print(f"\nrefused after {took:.1f} s: {text.strip()}")


APP_PAGES = ["Pyramid", "Team view", "Segments", "Key drivers", "Close the loop", "Response rates", "Upload", "Model"]


def test_deep_link_on_a_fresh_server(fresh_app):
    """The first visitor of a freshly started server opens /upload directly (a bookmark): Streamlit
    would run pages/upload.py on its own (legacy pages/ mode); _ui.start_page hands the
    request to dashboard.py's navigation."""
    app = fresh_app
    page = app.page
    app.goto("upload")
    expect(page.get_by_role("heading", name="Upload survey responses", level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(APP_PAGES), timeout=5000)
    for name in APP_PAGES:
        expect(links.filter(has_text=name)).to_have_count(1)
