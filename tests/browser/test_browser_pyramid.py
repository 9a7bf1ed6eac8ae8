"""The pyramid in a real browser: drill from the index to a touchpoint's teams and into a team's
view, open a shared link with filters, and survive a hostile link.

Run: .venv/bin/python -m pytest tests/browser -q   (screenshots land in test-artifacts/)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect

from cxdata.period import PRESETS

from .conftest import ARTIFACTS, PAGE_TIMEOUT, SHARE_PERIOD, STEP_TIMEOUT

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"^[+\-−]?\d+(?:[.,]\d+)?\s*%?$")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def metric(page, label_start: str):
    """The stMetric whose label starts with `label_start` (labels read "<node> · <KPI>")."""
    return page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile("^" + re.escape(label_start))))


def assert_pyramid_shown(page, model) -> None:
    expect(page.get_by_role("heading", name=model.name, level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    index = metric(page, model.index.name)
    expect(index).to_have_count(1)
    expect(index).to_be_visible()
    value = index.locator("[data-testid='stMetricValue']").inner_text().strip()
    assert NUMBER.match(value), f"the index tile shows {value!r}, not a number"
    # (all of them, or those of the journey of the touchpoint shown)
    expect(page.get_by_role("heading", name=re.compile(r"^Touchpoints( of .+)? · "))).to_be_visible()
    expect(page.get_by_role("button", name="Teams ▾", exact=True).first).to_be_visible()


def teams_button(page, tp_key: str):
    # Each tile's button carries its widget key as the CSS class st-key-<key>; the text tells its state.
    return page.locator(f".st-key-tp_{tp_key}").get_by_role("button", name="Teams ▾", exact=True)


def assert_teams_section(page, model, tp_key: str) -> None:
    tp = model.touchpoint(tp_key)
    expect(page.get_by_role("heading", name=f"Teams of {tp.name}")).to_be_visible(timeout=STEP_TIMEOUT)
    teams = model.teams_of(tp_key)
    expect(page.get_by_role("link", name="Open team view ›", exact=True)).to_have_count(len(teams))
    for team in teams:
        expect(metric(page, team.name)).to_be_visible()
    # The selected touchpoint's own button turns into a disabled marker.
    expect(page.locator(f".st-key-tp_{tp_key}").get_by_role("button")).to_be_disabled()


def test_drill_down_from_index_to_team(app_page):
    page, model = app_page.page, app_page.data.model
    app_page.goto()
    assert_pyramid_shown(page, model)
    expect(page.get_by_role("heading", name=re.compile(r"^Teams of "))).to_have_count(0)

    tp = next(t for t in model.touchpoints if len(model.teams_of(t.key)) >= 2)
    button = teams_button(page, tp.key)
    expect(button).to_be_visible()
    app_page.click_and_wait(button, until=lambda: expect(page.get_by_role("heading", name=f"Teams of {tp.name}")).to_be_visible(
        timeout=STEP_TIMEOUT))
    assert_teams_section(page, model, tp.key)
    assert query_of(page.url).get("tp") == [tp.key], page.url
    app_page.screenshot("pyramid_drilldown.png")

    team = model.teams_of(tp.key)[0]
    open_team = page.locator(f".st-key-team_{team.key}").get_by_role("link", name="Open team view ›", exact=True)
    app_page.click_and_wait(open_team, until=lambda: page.wait_for_url(re.compile(r"[?&]team="), timeout=STEP_TIMEOUT))
    expect(page.get_by_role("heading", name=team.name, level=1)).to_be_visible()
    trend = page.get_by_role("heading", name="Trend", exact=True)
    expect(trend).to_be_visible()
    assert query_of(page.url).get("team") == [team.key], page.url
    assert urlparse(page.url).path.rstrip("/").endswith("/team"), page.url

    # The trend chart: the first chart below the Trend heading, drawn and of a readable size.
    box = app_page.drawing_below(trend)
    assert box["width"] > 200 and box["height"] > 100, f"the trend chart is tiny: {box}"
    app_page.screenshot("team_view.png")

    # One press of Back leads back to the teams (found in review: st.switch_page left an entry
    # /?tp=..&team=.. between them, and Back took two presses).
    page.go_back()
    app_page.wait_idle()
    assert urlparse(page.url).path.rstrip("/") == urlparse(app_page.url()).path.rstrip("/"), page.url
    assert query_of(page.url) == {"tp": [tp.key]}, page.url
    assert_teams_section(page, model, tp.key)


def test_a_journey_lists_its_touchpoints_and_the_breadcrumb_leads_back(app_page):
    page, model = app_page.page, app_page.data.model
    if not model.journeys:
        pytest.skip("the model has no journeys")
    journey = model.journeys[0]
    app_page.goto()
    assert_pyramid_shown(page, model)
    expect(page.get_by_role("heading", name=re.compile(r"^Journeys · "))).to_be_visible()
    button = page.locator(f".st-key-journey_{journey.key}").get_by_role("button", name="Touchpoints ▾", exact=True)
    heading = page.get_by_role("heading", name=re.compile(f"^Touchpoints of {re.escape(journey.name)} · "))
    app_page.click_and_wait(button, until=lambda: expect(heading).to_be_visible())
    assert query_of(page.url).get("journey") == [journey.key], page.url
    tiles = page.get_by_role("button", name="Teams ▾", exact=True)
    expect(tiles).to_have_count(len(journey.touchpoints))
    for key in journey.touchpoints:
        expect(metric(page, model.touchpoint(key).name)).to_be_visible()
    app_page.screenshot("journey.png")
    app_page.click_and_wait(page.get_by_role("button", name=model.index.name, exact=True),
                            until=lambda: expect(heading).to_have_count(0))
    assert "journey" not in query_of(page.url), page.url
    expect(tiles).to_have_count(len(model.touchpoints))
    # The journey's own view: its trend and the comments behind it, under a link of its own.
    app_page.click_and_wait(button, until=lambda: expect(heading).to_be_visible())
    trend = page.get_by_role("heading", name="Trend")
    app_page.click_and_wait(page.get_by_role("link", name=f"Open the view of {journey.name} ›"),
                            until=lambda: expect(trend).to_be_visible())
    assert urlparse(page.url).path.endswith("/team") and query_of(page.url).get("journey") == [journey.key], page.url
    expect(page.get_by_role("heading", name=journey.name, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Comments behind the number")).to_be_visible()
    app_page.screenshot("journey_view.png")


def test_shareable_url_restores_the_view(app_page):
    page, data = app_page.page, app_page.data
    model = data.model
    tp = model.touchpoint(data.share_tp)
    link = "?" + urlencode({"tp": tp.key, "period": SHARE_PERIOD, data.segment_key: data.segment_value})

    def assert_shared_view():
        assert_pyramid_shown(page, model)
        assert_teams_section(page, model, tp.key)
        sidebar = page.get_by_test_id("stSidebar")
        seg = sidebar.get_by_test_id("stMultiSelect").filter(has_text=data.segment_name)
        expect(seg).to_have_count(1)
        # The chosen values are the tags of the multiselect (react-aria in Streamlit 1.67).
        expect(seg.get_by_test_id("stMultiSelectTagsContainer").locator("[data-tag]")).to_have_text([data.segment_value])
        expect(sidebar.get_by_role("combobox", name="Period", exact=True)).to_have_value(PRESETS[SHARE_PERIOD])
        expect(sidebar.get_by_role("button", name=re.compile("Clear filters"))).to_be_visible()
        expect(page.locator("[data-testid='stAlertContentWarning']")).to_have_count(0)
        q = query_of(page.url)
        assert q.get("tp") == [tp.key] and q.get("period") == [SHARE_PERIOD], page.url
        assert q.get(data.segment_key) == [data.segment_value], page.url

    app_page.goto(link)
    assert_shared_view()
    app_page.reload()
    assert_shared_view()
    app_page.screenshot("shared_link.png")


def test_hostile_url_warns_and_still_renders(app_page):
    page, model = app_page.page, app_page.data.model
    app_page.goto("?nosuchdim=x&period=bogus")
    warnings = page.get_by_test_id("stAlert").filter(has=page.locator("[data-testid='stAlertContentWarning']"))
    expect(warnings.filter(has_text="nosuchdim")).to_be_visible()
    expect(warnings.filter(has_text="nosuchdim")).to_contain_text("Unknown filter")
    expect(warnings.filter(has_text="bogus")).to_be_visible()
    assert_pyramid_shown(page, model)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    app_page.screenshot("hostile_link.png")


# Text that overflows its box: Streamlit cuts labels and badges with an ellipsis, so the words
# a reader needs ("not significant", a breadcrumb's name) silently disappear.
CUT_TEXT = """() => [...document.querySelectorAll("[data-testid='stMain'] *")]
    .filter(e => getComputedStyle(e).textOverflow === "ellipsis" && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent.trim())"""


@pytest.mark.parametrize("width", [800, 1280])
def test_tiles_and_breadcrumb_are_not_cut_on_a_laptop_screen(app_page, width):
    page, model = app_page.page, app_page.data.model
    page.set_viewport_size({"width": width, "height": 900})
    tp = next(t for t in model.touchpoints if len(model.teams_of(t.key)) >= 2)
    app_page.goto("?" + urlencode({"tp": tp.key}))
    assert_teams_section(page, model, tp.key)
    expect(page.get_by_role("button", name=model.index.name, exact=True)).to_be_visible()
    assert page.evaluate(CUT_TEXT) == []
    app_page.screenshot(f"pyramid_{width}px.png")

    team = model.teams_of(tp.key)[0]
    app_page.goto("team?" + urlencode({"tp": tp.key, "team": team.key}))
    expect(page.get_by_role("heading", name=team.name, level=1)).to_be_visible(timeout=PAGE_TIMEOUT)
    expect(page.get_by_test_id("stMain").get_by_text("quarter", exact=True)).to_be_visible()
    assert page.evaluate(CUT_TEXT) == []


def test_a_selected_comment_is_shown_in_full_in_its_direction(app_page):
    from cxdata.bidi import direction

    page, model = app_page.page, app_page.data.model
    team = next(t for t in model.teams)
    app_page.goto("team?" + urlencode({"tp": team.touchpoint, "team": team.key, "period": "all"}))
    expect(page.get_by_role("heading", name="Comments behind the number")).to_be_visible(timeout=PAGE_TIMEOUT)
    expect(page.get_by_text("Select a row to read its comment in full.")).to_be_visible()
    table = page.locator(".st-key-comments_table [data-testid='stDataFrame']")
    expect(table).to_be_visible()
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    # The grid is drawn on a canvas: click the row marker of the first row (below the header).
    reader = page.locator(".st-key-comment_reader")
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    expect(reader).to_be_visible(timeout=STEP_TIMEOUT)
    app_page.wait_idle()
    text = reader.get_by_test_id("stText").first
    shown = text.inner_text()
    assert shown.strip(), "the selected comment is empty"
    align = text.evaluate("e => getComputedStyle(e).textAlign")
    assert (align in ("right", "end")) == (direction(shown) == "rtl"), (shown, align)
    app_page.screenshot("comment_reader.png")


def test_a_theme_selected_in_its_table_lists_its_comments(app_page):
    page, model = app_page.page, app_page.data.model
    app_page.goto("team?" + urlencode({"tp": "delivery", "period": "all"}))
    expect(page.get_by_role("heading", name="What these comments talk about")).to_be_visible(timeout=PAGE_TIMEOUT)
    table = page.locator(".st-key-themes_table [data-testid='stDataFrame']")
    expect(table).to_be_visible()
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's marker: the most talked-about theme
    page.wait_for_url(re.compile(r"[?&]theme="), timeout=STEP_TIMEOUT)
    app_page.wait_idle()
    (key,) = query_of(page.url)["theme"]
    theme = model.theme(key)
    assert theme is not None, key
    expect(page.get_by_text(re.compile(r"comments? in the period .*about " + re.escape(theme.name)))).to_be_visible()
    app_page.screenshot("themes.png")


def test_the_app_calls_no_outside_host(app_page):
    # Self-hosted and often offline: every file the pages need (the tab's icon too) comes from the server.
    page = app_page.page
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith(("data:", "blob:")) else None)
    for query in ("", "?tp=delivery"):
        app_page.goto(query)
        expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=PAGE_TIMEOUT)
    page.wait_for_timeout(1000)
    assert outside == []


def test_a_click_on_a_touchpoint_brings_its_teams_into_view(app_page):
    """Found by an audit: on a laptop or a shared 1080p screen the teams a click shows started
    below the fold, and the click seemed to do nothing but highlight the bar."""
    page, model = app_page.page, app_page.data.model
    page.set_viewport_size({"width": 1280, "height": 720})
    app_page.goto()
    # (below the journeys' chart, where the model has journeys)
    touchpoints = page.get_by_role("heading", name=re.compile(r"^Touchpoints · "))
    expect(touchpoints).to_be_visible()
    chart = app_page.chart_below(touchpoints)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = chart.bounding_box()
    # The first bar: under the chart's title, half a row (34 px) down.
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 40 + 17)
    first = model.touchpoints[0]
    heading = page.get_by_role("heading", name=re.compile(f"^Teams of {re.escape(first.name)}"))
    expect(heading).to_be_visible(timeout=STEP_TIMEOUT)
    app_page.wait_idle()
    expect(heading).to_be_in_viewport()
    # Whole, below the app's header bar (found by an audit: scrolled just under it, out of sight).
    page.wait_for_timeout(1200)  # the smooth scroll
    bar = page.get_by_test_id("stHeader").bounding_box()
    assert heading.bounding_box()["y"] >= bar["y"] + bar["height"] - 1, (heading.bounding_box(), bar)


def test_a_chart_downloads_as_a_picture_that_says_what_it_shows(app_page):
    """Presenters take charts into their own decks: the file carries its title, the period and the
    filters, in its name too (the files of two regions downloaded one after the other had one name)."""
    import struct

    page, model = app_page.page, app_page.data.model
    app_page.goto("?" + urlencode({"period": SHARE_PERIOD, "region": "Sofia"}))
    assert_pyramid_shown(page, model)
    # the touchpoints' chart: the second where the journeys' comes first
    page.get_by_role("button", name="Chart").nth(1 if model.journeys else 0).click()
    png_button = page.get_by_role("button", name="PNG (for slides)")
    expect(png_button).to_be_visible(timeout=STEP_TIMEOUT)
    with page.expect_download(timeout=STEP_TIMEOUT) as png:
        png_button.click()
    data = Path(png.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and png.value.suggested_filename.startswith("cx-touchpoints-")
    assert png.value.suggested_filename.endswith("-region-Sofia.png"), png.value.suggested_filename
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1800 and height > 200, (width, height)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chart_download.png").write_bytes(data)
    svg_button = page.get_by_role("button", name="SVG (scales to any size)")
    with page.expect_download(timeout=STEP_TIMEOUT) as svg:
        svg_button.click()
    text = Path(svg.value.path()).read_text(encoding="utf-8")
    assert ">Touchpoints<" in text and "data as of" in text and "Region: Sofia" in text, text[:2000]
    app_page.assert_no_exception()


def test_the_slides_download_as_a_pdf_of_the_view(app_page):
    """A presenter sends the review on as a PDF: one page per slide of the view's story, its filters
    under every title."""
    from pypdf import PdfReader

    page, model = app_page.page, app_page.data.model
    tp = model.touchpoints[0]
    app_page.goto("?" + urlencode({"period": SHARE_PERIOD, "region": "Sofia", "tp": tp.key}))
    assert_pyramid_shown(page, model)
    button = page.get_by_role("button", name="Download the slides (PDF)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=STEP_TIMEOUT) as pdf:
        button.click()
    name = pdf.value.suggested_filename
    assert name.startswith(f"cx-slides-{tp.key}-") and name.endswith("-region-Sofia.pdf"), name
    pages = PdfReader(pdf.value.path()).pages
    titles = [p.extract_text().splitlines()[0] for p in pages]
    assert titles[0] == model.index.name and tp.name in titles and titles[-1] == f"What customers say · {tp.name}"
    assert all("Region: Sofia" in p.extract_text() for p in pages)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slides.pdf").write_bytes(Path(pdf.value.path()).read_bytes())
    app_page.assert_no_exception()
