"""A chart as a file a presenter puts in a deck or a report: PNG (twice the resolution, for a
projector) or SVG (scales to any size), drawn by vl-convert from the Vega-Lite spec the app shows.

On screen a chart sits under a heading and next to the sidebar that says which period, comparison
and filters it shows; a file travels without them. So the file's chart carries its own title and,
under it, what the audience needs to read the numbers (the subtitle of a slide: KPI, period,
comparison, filters, how fresh the data is). The title the page gives the chart is an
instruction ("Click a bar…") that means nothing in a file: it is replaced. vl-convert loads
only when a file is made."""

from __future__ import annotations

import copy
import textwrap

WIDTH = 900  # CSS pixels: a slide's width at 96 dpi, less its margins
SUBTITLE_PX = 12
SLIDE_SHAPE = 9 / 16  # the PNG's height for a slide, at least: of its width


def for_file(spec: dict, title: str, subtitle: str = "", *, width: int = WIDTH, height: int | None = None,
             type_scale: float = 1.0) -> dict:
    """The spec as it is drawn into a file: its own title and subtitle, a fixed width (on screen
    it stretches to its container) and a white background. Its heights stay: a bar chart's is a
    step per bar. `type_scale`: the title and subtitle that much larger (`for_slide`)."""
    out = copy.deepcopy(spec)
    out.pop("autosize", None)
    sub_px = SUBTITLE_PX * type_scale
    out["title"] = {"text": title, "subtitle": _lines(subtitle, int(width / (sub_px * 0.55))), "anchor": "start",
                    "fontSize": 16 * type_scale, "subtitleFontSize": sub_px, "subtitleColor": "#424a53",
                    "offset": 12 * type_scale}
    out["background"] = "white"
    if not any(k in out for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        out["width"] = width
    if height is not None:
        out["height"] = height
    return out


def for_slide(spec: dict, title: str, subtitle: str = "", *, width: int = WIDTH) -> dict:
    """The spec as a picture for a slide (the PNG download): in a slide's type (`charts.large`, as
    presentation mode and the deck draw it) and at least `SLIDE_SHAPE` as tall as it is wide. Drawn
    to its width, a bar chart of four teams was a strip of 2030 x 488 pixels and a trend one of
    2172 x 230, their plots small on a slide (found by a presenter). A chart of a row per bar
    (`height` a step) gets taller rows, up to `ROWS_GROWN` times theirs (a single bar as tall as
    a slide reads as a banner), and white above and below for the rest; a chart of a fixed height
    a plot that fills the picture (Vega's autosize fit: title, axes and legend included). A chart
    taller than that (a heat map of many rows) keeps its height: squeezed, its rows would be too.
    The SVG stays to scale (`for_file`)."""
    from . import charts

    out = for_file(charts.large(spec, charts.SLIDE_SCALE), title, subtitle, width=width, type_scale=1.5)
    if any(k in out for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        return out  # (Vega can neither fit these to a size nor step them as one)
    drawn_width, drawn = _drawn_size(out)
    least = drawn_width * SLIDE_SHAPE
    if drawn >= least:
        return out
    height = out.get("height")
    if not (isinstance(height, dict) and "step" in height):
        out.update(width=width, height=round(width * SLIDE_SHAPE), autosize={"type": "fit", "contains": "padding"})
        return out
    rows = _drawn_size({**out, "height": {"step": 2 * height["step"]}})[1] - drawn  # the rows' own height
    grown = min(ROWS_GROWN, 1 + (least - drawn) / rows) if rows > 0 else 1.0
    out["height"] = {"step": height["step"] * grown}
    spare = max(0.0, least - drawn - rows * (grown - 1)) / 2
    out["padding"] = {"left": 5, "right": 5, "top": 5 + spare, "bottom": 5 + spare}
    return out


ROWS_GROWN = 2.5


def _drawn_size(spec: dict) -> tuple[float, float]:
    """The width and height, in CSS pixels, of the picture `spec` draws (title, axes and legend
    included)."""
    import re

    import vl_convert

    head = vl_convert.vegalite_to_svg(spec)[:500]
    found = re.search(r'<svg[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"', head)
    return (float(found.group(1)), float(found.group(2))) if found else (0.0, 0.0)


def _lines(text: str, chars: int) -> str | list[str]:
    """The subtitle as lines of about `chars` characters, broken between its facts (' · ') where it
    can: Vega writes a title on one line, and a view's five filters made the picture twice as wide
    as its chart, which came out small on a slide (found by an audit)."""
    if len(text) <= chars:
        return text
    lines: list[str] = []
    for part in text.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= chars:
            lines[-1] += " · " + part
        else:
            lines += textwrap.wrap(part, chars, break_long_words=False) or [part]
    return lines


def png(spec: dict, *, scale: float = 2) -> bytes:
    """`spec` (as `for_file` returns it) drawn to PNG at `scale` times its CSS size."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale)


def svg(spec: dict) -> bytes:
    """`spec` (as `for_file` returns it) as an SVG file."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec).encode("utf-8")
