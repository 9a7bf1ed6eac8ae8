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


def for_file(spec: dict, title: str, subtitle: str = "", *, width: int = WIDTH, height: int | None = None) -> dict:
    """The spec as it is drawn into a file: its own title and subtitle, a fixed width (on screen
    it stretches to its container) and a white background. Its heights stay: a bar chart's is a
    step per bar."""
    out = copy.deepcopy(spec)
    out.pop("autosize", None)
    out["title"] = {"text": title, "subtitle": _lines(subtitle, int(width / (SUBTITLE_PX * 0.55))), "anchor": "start",
                    "fontSize": 16, "subtitleFontSize": SUBTITLE_PX, "subtitleColor": "#424a53", "offset": 12}
    out["background"] = "white"
    if not any(k in out for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        out["width"] = width
    if height is not None:
        out["height"] = height
    return out


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
