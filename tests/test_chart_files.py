"""A chart as a file: every chart the pages draw comes out as a well-formed SVG and a PNG, with
the title and subtitle that say what it shows, the figures it shows on screen, and untrusted
names as text."""

import struct
import xml.etree.ElementTree as ET

import pytest

from cxdata import chart_files, charts
from tests.test_charts import SHAPES, frame

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: bytes) -> list[str]:
    # A long name's label is two lines, a tspan each: the element's whole text, lines joined by a space.
    return [" ".join(part.strip() for part in t.itertext() if part.strip()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


DRAWN = [s for s in SHAPES if len(s[2])]  # a chart without rows is offered as no file (vl-convert cannot draw an empty trend)


@pytest.mark.parametrize("build, df, options", [s[1:] for s in DRAWN], ids=[s[0] for s in DRAWN])
def test_every_chart_of_the_pages_becomes_an_svg_with_its_title_and_subtitle(build, df, options):
    spec = chart_files.for_file(charts.spec(build, df, **options), "Touchpoints", "CSAT · Last 12 months · region: North")
    shown = texts(chart_files.svg(spec))
    assert "Touchpoints" in shown and "CSAT · Last 12 months · region: North" in shown
    # The instruction the page gives the chart ("Click a bar…") is not the file's title.
    assert "t" not in shown


def test_the_file_shows_the_figures_the_page_shows_and_no_hidden_one():
    df = frame(value=[4.1, 4.6], n=[120, 3], suppressed=[False, True])
    df.loc[1, ["value", "ci_low", "ci_high"]] = None  # a hidden cell reaches the chart without its figures
    spec = chart_files.for_file(charts.spec(charts.node_bars, df, domain=(1, 5)), "T", "S")
    shown = texts(chart_files.svg(spec))
    assert "4.10" in shown and "hidden (privacy)" in shown
    assert not any("4.6" in t for t in shown)


def test_a_png_is_twice_the_width_of_the_chart_for_a_projector():
    spec = chart_files.for_file(charts.spec(charts.trend, SHAPES[4][2], **SHAPES[4][3]), "Team A · CSAT by month", "S",
                                width=600)
    width, height = png_size(chart_files.png(spec))
    # The plot is 600 px wide; its axis, title and padding add a little on either side.
    assert 2 * 600 <= width <= 2 * 800 and height > 2 * 280


def test_names_from_uploaded_files_stay_text_in_the_svg():
    hostile = '<script>alert(1)</script> & "Tehran"'
    spec = chart_files.for_file(charts.spec(charts.node_bars, frame(name=[hostile, "B"])), "T", "S")
    svg = chart_files.svg(spec)
    root = ET.fromstring(svg)  # well-formed XML
    assert not list(root.iter(f"{SVG}script")) and b"<script" not in svg
    assert any(hostile[:20] in t for t in texts(svg))


def test_the_chart_on_screen_is_left_as_it_was():
    spec = charts.spec(charts.node_bars, frame(), title="Click a bar")
    before = repr(spec)
    chart_files.for_file(spec, "T", "S")
    assert repr(spec) == before


def test_each_line_of_a_long_right_to_left_name_is_drawn_on_its_own():
    """Found by an audit of a deck: a Persian team name wrapped onto two lines came out of the PNG
    (vl-convert's renderer, resvg) as the second line written over the first and its last letter
    alone below, where the browser and the SVG read right. resvg lays the two lines out as one
    bidirectional paragraph; a line isolated (FSI … PDI) is laid out on its own."""
    name = "مرکز تماس شمال کشور — پشتیبانی مشتریان سازمانی و خانگی"
    spec = chart_files.for_file(charts.spec(charts.node_bars, frame(name=[name, "B"])), "T", "S")
    root = ET.fromstring(chart_files.svg(spec))
    lines = [[s.text for s in t.iter(f"{SVG}tspan")] for t in root.iter(f"{SVG}text") if "مرکز" in "".join(t.itertext())]
    assert lines and len(lines[0]) == 2, lines
    assert all(line.startswith("\u2068") and line.endswith("\u2069") for line in lines[0]), lines



def test_a_long_subtitle_wraps_to_the_charts_width_instead_of_widening_the_picture():
    """Found by an audit: a view with five filters wrote its subtitle on one line 1,400 px long, so
    the PNG came out 2,824 px wide with the chart in its left two thirds, small on a slide."""
    subtitle = ("CSAT · 2026-Q3 compared with 2026-Q2 · Channel: In-app, Email, SMS · Language: Persian, English, "
                "Arabic · Region: Tehran, Isfahan, Mashhad, Dubai · Tenure: 0-6m, 6-24m, 2-5y · Customer tier: "
                "Consumer, SMB, Enterprise · data as of 30 Sep 2026 · demo data")
    spec = chart_files.for_file(charts.spec(charts.node_bars, frame()), "Journeys", subtitle, width=600)
    width, _ = png_size(chart_files.png(spec))
    assert width <= 2 * 800, width
    words = [w for w in " ".join(texts(chart_files.svg(spec))).split() if w != "·"]
    said = [w for w in subtitle.split() if w != "·"]  # a line breaks where a ' · ' was
    assert " ".join(said) in " ".join(words)  # every word of it, in order


@pytest.mark.parametrize("build, df, options", [s[1:] for s in DRAWN], ids=[s[0] for s in DRAWN])
def test_a_png_for_a_slide_is_no_wider_than_a_slide_and_in_a_slides_type(build, df, options):
    """Found by a presenter: the "PNG (for slides)" of four teams' bars was a strip of 2030 x 488
    pixels, a trend's 2172 x 230, their plots small on a slide."""
    spec = charts.spec(build, df, **options)
    slide = chart_files.for_slide(spec, "Touchpoints", "CSAT · Last 12 months")
    width, height = png_size(chart_files.png(slide))
    assert width / height <= 16 / 9 + 0.01, (width, height)
    assert slide["config"]["axis"]["labelFontSize"] == 11 * charts.SLIDE_SCALE  # as presentation mode's and the deck's
    assert slide["title"]["fontSize"] > 16 and "Touchpoints" in texts(chart_files.svg(slide))
    assert "autosize" not in chart_files.for_file(spec, "T", "S")  # the SVG to scale, as drawn on the page


def test_a_slides_png_of_few_bars_grows_its_rows_only_so_far():
    """Four bars fill the picture; a single bar as tall as a slide read as a banner: its row grows
    up to ROWS_GROWN times, the rest is white."""
    four = chart_files.for_slide(charts.spec(charts.node_bars, frame(
        key=list("abcd"), name=list("ABCD"), value=[4.1, 4.6, 3.2, 3.9], n=[120] * 4, ci_low=[4.0, 4.5, 3.1, 3.8],
        ci_high=[4.2, 4.7, 3.3, 4.0], suppressed=[False] * 4, low_n=[False] * 4, target_status=["met"] * 4)), "T", "S")
    one = chart_files.for_slide(charts.spec(charts.node_bars, frame().iloc[:1]), "T", "S")
    step = 34 * charts.SLIDE_SCALE
    assert step < four["height"]["step"] <= chart_files.ROWS_GROWN * step
    assert one["height"]["step"] == pytest.approx(chart_files.ROWS_GROWN * step) and one["padding"]["top"] > 20
    for spec in (four, one):
        width, height = png_size(chart_files.png(spec))
        assert abs(width / height - 16 / 9) < 0.02, (width, height)
