"""The review deck as a PDF: the same slides as the PowerPoint file (`deck.story_slides`), laid out
the same way, for those who send the review on rather than present it again. A PDF opens
anywhere and looks the same everywhere, so its fonts travel with it: DejaVu Sans (shipped in
`cxdata/fonts`, subset into each file), which covers Latin, Cyrillic, Hebrew, Arabic and Persian;
HarfBuzz joins Arabic-script letters and fpdf2 orders right-to-left text. fpdf2 and the fonts
load only when a PDF is made."""

from __future__ import annotations

from pathlib import Path

from . import story
from .bidi import direction
from .deck import _INK, _MUTED, _TONE, COMMENT_CHARS, Slide, Tile, _minus, _printable, chart_png

FONTS = Path(__file__).parent / "fonts"
_FONT = "DejaVu"
_BORDER = (0xD0, 0xD7, 0xDE)
_PAD = 0.12  # inches inside a tile's border
_LEADING = 1.2  # a line's height, in font sizes
_PT = 1 / 72  # an inch in points


def pdf(slides: list[Slide], *, footer: str = "") -> bytes:
    """The slides as a 16:9 PDF (13.333 x 7.5 inches, PowerPoint's widescreen), one page each."""
    from fpdf import FPDF

    doc = FPDF(orientation="L", unit="in", format=(7.5, 13.333))
    doc.set_auto_page_break(False)  # every box is bounded below; nothing may flow onto a page of its own
    doc.set_margins(0, 0, 0)
    doc.add_font(_FONT, "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font(_FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_creator("CX Pyramid")
    doc.set_title(slides[0].title if slides else "CX Pyramid")
    for s in slides:
        doc.add_page()
        _text(doc, s.title, (0.5, 0.35, 12.3, 0.72), size=34, least=18, bold=True)  # clear of the subtitle
        _text(doc, s.subtitle, (0.5, 1.1, 12.3, 0.5), size=14, least=10, color=_MUTED)
        if s.comments:
            _comments_grid(doc, s)
        elif len(s.tiles) > 1:  # a team: its KPIs in one row, the trend under them
            width = 12.3 / len(s.tiles)
            for i, t in enumerate(s.tiles):
                _tile(doc, t, (0.5 + i * width, 1.75, width - 0.15, 1.9), big=32)
            if s.chart:
                _picture(doc, s.chart, (0.5, 3.75, 12.3, 3.35), s.chart_scale)
        else:
            for t in s.tiles:
                _tile(doc, t, (0.5, 1.85, 4.6, 2.6), big=54)
            if s.chart:
                _picture(doc, s.chart, (5.4, 1.75, 7.4, 5.35), s.chart_scale)
        if s.note:
            top = 6.5 if s.comments else 4.6 if len(s.tiles) == 1 else 1.85
            box = (0.5, top, 4.6, 2.3) if len(s.tiles) == 1 else (0.5, top, 12.3, 0.6)
            _text(doc, _minus(s.note), box, size=16, least=10)
        if footer:
            _text(doc, footer, (0.5, 7.05, 12.3, 0.35), size=10, least=8, color=_MUTED)
    return bytes(doc.output())


def _lines(doc, text: str, width: float, size: float) -> list[str]:
    """The lines `text` breaks into in a box `width` inches wide at `size` points (measured with
    the font's own widths, after shaping)."""
    doc.set_font_size(size)
    return doc.multi_cell(width, size * _LEADING * _PT, text, dry_run=True, output="LINES")


def _fitted(doc, text: str, width: float, height: float, most: float, least: float) -> tuple[str, float]:
    """`text` and the largest size from `most` down to `least` points at which it fits the box;
    at `least`, what does not fit ends in an ellipsis (as the PowerPoint deck's boxes do)."""
    size = most
    while True:
        lines = _lines(doc, text, width, size)
        room = max(1, int(height / (size * _LEADING * _PT)))
        if len(lines) <= room:
            return text, size
        if size <= least:
            break
        size = max(least, size - 1)
    # Cut at the last word that fits `room` lines, then let the ellipsis take its place.
    kept = "".join(lines[:room])
    while kept and len(_lines(doc, story.clipped(text, len(kept)), width, size)) > room:
        kept = kept[:-max(1, len(kept) // 20)]
    return story.clipped(text, max(1, len(kept))), size


def _text(doc, text: str, box, *, size: float, least: float | None = None, bold: bool = False, color=_INK,
          rtl: bool | None = None, right: bool | None = None) -> float:
    """`text` in `box` (left, top, width, height inches), fitted to it; returns where it ends.
    `rtl` None: the paragraph's direction from its first strong letter, as a browser sets it;
    `right`: set against the box's right edge (by default, where right-to-left text is)."""
    left, top, width, height = box
    text = _printable(text).replace("\t", " ")  # the font has no tab: the words either side ran together
    if not text:
        return top
    doc.set_font(_FONT, "B" if bold else "", size)
    _shaping(doc, rtl)
    text, size = _fitted(doc, text, width, height, size, least if least is not None else size)
    doc.set_font_size(size)
    doc.set_text_color(*color)
    doc.set_xy(left, top)
    doc.multi_cell(width, size * _LEADING * _PT, text, align="R" if (rtl if right is None else right) else "L")
    return doc.get_y()


def _shaping(doc, rtl: bool | None) -> None:
    doc.set_text_shaping(True, direction="rtl" if rtl else "ltr" if rtl is False else None)


def _tile(doc, t: Tile, box, *, big: int) -> None:
    left, top, width, height = box
    doc.set_draw_color(*_BORDER)
    doc.set_line_width(0.01)
    doc.rect(left, top, width, height)
    inner = width - 2 * _PAD
    y, bottom = top + _PAD, top + height - _PAD
    small = max(14, big // 3)
    for text, size, bold, color in ((t.label, small, False, _MUTED), (t.value, big, True, _INK),
                                    (t.change, small, False, _TONE[t.tone]), (t.facts, 12, False, _MUTED)):
        if not text or y >= bottom:
            continue
        y = _text(doc, _minus(text), (left + _PAD, y, inner, bottom - y), size=size, least=min(size, 9), bold=bold,
                  color=color)


def _comments_grid(doc, s: Slide) -> None:
    for i, c in enumerate(s.comments):
        left, top = 0.5 + (i % 2) * 6.2, 1.75 + (i // 2) * 1.6
        rtl = direction(c.text) == "rtl"
        # The comment above its caption, both within the 1.5 inches the PowerPoint deck gives them.
        end = _text(doc, story.clipped(c.text, COMMENT_CHARS), (left, top, 6.0, 1.2), size=16, least=11, rtl=rtl)
        # Its caption (time, score) reads left to right, under the comment's own edge.
        _text(doc, c.caption, (left, end + 0.02, 6.0, max(0.2, top + 1.5 - end)), size=11, least=8, color=_MUTED,
              rtl=False, right=rtl)


def _picture(doc, spec: dict, box, scale: float) -> None:
    import io

    left, top, width, height = box
    png = chart_png(spec, int(width * 96), int(height * 96) - 60, scale)
    # Fit the box, keeping the chart's proportions (its legend and title may make it taller).
    doc.image(io.BytesIO(png), x=left, y=top, w=width, h=height, keep_aspect_ratio=True)

