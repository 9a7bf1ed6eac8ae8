"""The review deck as a PDF: the same slides as the PowerPoint file (`deck.story_slides`), laid out
the same way, for those who send the review on rather than present it again. A PDF opens
anywhere and looks the same everywhere, so its fonts travel with it: DejaVu Sans (shipped in
`cxdata/fonts`, subset into each file), which covers Latin, Cyrillic, Hebrew, Arabic and Persian;
HarfBuzz joins Arabic-script letters and fpdf2 orders right-to-left text. fpdf2 and the fonts
load only when a PDF is made."""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby
from pathlib import Path

from . import story
from .bidi import FSI, LRI, PDI, RLI, direction
from .deck import (_INK, _MUTED, _TONE, COMMENT_CHARS, FOOTER, Slide, Tile, _minus, _printable, chart_png,
                   comment_box, document_title, layout)

FONTS = Path(__file__).parent / "fonts"
_FONT = "DejaVu"
_BORDER = (0xD0, 0xD7, 0xDE)
_PAD = 0.12  # inches inside a tile's border
_LEADING = 1.2  # a line's height, in font sizes
_PT = 1 / 72  # an inch in points
_RLO, _PDF = "\u202e", "\u202c"  # right-to-left override ... pop directional formatting


def pdf(slides: list[Slide], *, footer: str = "", title: str = "") -> bytes:
    """The slides as a 16:9 PDF (13.333 x 7.5 inches, PowerPoint's widescreen), one page each.
    `title`: the document's (`deck.document_title`), as the PowerPoint file's."""
    from fpdf import FPDF

    doc = FPDF(orientation="L", unit="in", format=(7.5, 13.333))
    doc.set_auto_page_break(False)  # every box is bounded below; nothing may flow onto a page of its own
    doc.set_margins(0, 0, 0)
    doc.add_font(_FONT, "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font(_FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_creator("CX Pyramid")
    doc.set_title(document_title(slides, title))
    for s in slides:
        doc.add_page()
        _text(doc, s.title, (0.5, 0.35, 12.3, 0.72), size=34, least=18, bold=True)  # clear of the subtitle
        _text(doc, s.subtitle, (0.5, 1.1, 12.3, 0.5), size=14, least=10, color=_MUTED)
        lay = layout(s)  # the PowerPoint file's boxes
        if s.comments:
            _comments_grid(doc, s)
        for t, box in lay.tiles:
            _tile(doc, t, box, big=lay.big)
        if lay.chart:
            _picture(doc, s.chart, lay.chart)
        if lay.note:
            _text(doc, _minus(s.note), lay.note, size=16, least=10)
        if footer:
            _text(doc, footer, FOOTER, size=10, least=8, color=_MUTED)
    return bytes(doc.output())


def _lines(doc, text: str, width: float, size: float) -> list[str]:
    """The lines `text` breaks into in a box `width` inches wide at `size` points (measured with
    the font's own widths, after shaping)."""
    doc.set_font_size(size)
    return doc.multi_cell(width, size * _LEADING * _PT, text, dry_run=True, output="LINES")


def _fitted(doc, text: str, width: float, height: float, most: float, least: float) -> tuple[str, float]:
    """`text` and the largest size from `most` down to `least` points at which it fits the box
    without a word broken across lines (fpdf2 breaks a word wider than the box: a tile of five read
    "−100." over "0"); at `least`, what does not fit ends in an ellipsis (as the PowerPoint deck's
    boxes do)."""
    size = most
    while True:
        lines = _lines(doc, text, width, size)
        room = max(1, int(height / (size * _LEADING * _PT)))
        if len(lines) <= room and (size <= least or sum(len(line.split()) for line in lines) <= len(text.split())):
            return text, size
        if size <= least:
            break
        size = max(least, size - 1)
    # Cut at the last word that fits `room` lines, then let the ellipsis take its place. (Each line
    # ended at a space or a line break its text leaves out: a comment of short lines kept half
    # of them.)
    keep = sum(len(line) + 1 for line in lines[:room])
    while keep > 1 and len(_lines(doc, _cut(text, keep), width, size)) > room:
        keep -= max(1, keep // 20)
    return _cut(text, max(1, keep)), size


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in an ellipsis where it is cut, and cut between
    words where it has more than one: a figure cut short reads as another ("n = 6,744" as "n = 6,…")."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    if not text[limit - 1].isspace() and (word := re.search(r"\s\S*$", head.rstrip())) and word.start() > 0:
        head = head[:word.start()]
    head = head.rstrip()
    # An isolate cut open (a placeholder's, `_drawable`; a search term's) would take the ellipsis in.
    opened = 0
    for ch in head:
        opened = opened + 1 if ch in (LRI, RLI, FSI) else opened - 1 if ch == PDI and opened else opened
    return head + PDI * opened + "…"


def _text(doc, text: str, box, *, size: float, least: float | None = None, bold: bool = False, color=_INK,
          rtl: bool | None = None, right: bool | None = None) -> float:
    """`text` in `box` (left, top, width, height inches), fitted to it; returns where it ends.
    `rtl` None: the paragraph's direction from its first strong letter, as a browser sets it;
    `right`: set against the box's right edge (by default, where right-to-left text is)."""
    left, top, width, height = box
    text = _prepared(doc, text, size, bold, rtl)
    if not text:
        return top
    text, size = _fitted(doc, text, width, height, size, least if least is not None else size)
    if not (direction(text) == "rtl" if rtl is None else rtl):
        text = _numbers_turned(text)  # (after fitting: a cut must not fall in a number written backwards)
    doc.set_font_size(size)
    doc.set_text_color(*color)
    doc.set_xy(left, top)
    doc.multi_cell(width, size * _LEADING * _PT, text, align="R" if (rtl if right is None else right) else "L")
    return doc.get_y()


def _prepared(doc, text: str, size: float, bold: bool, rtl: bool | None) -> str:
    """`text` as it can be drawn, the font and shaping set for it."""
    text = _printable(text).replace("\t", " ")  # the font has no tab: the words either side ran together
    doc.set_font(_FONT, "B" if bold else "", size)
    _shaping(doc, rtl)
    return _drawable(text, doc.current_font.cmap)


def _drawable(text: str, cmap) -> str:
    """`text` with what the font has no glyph for (emoji, Chinese, Thai, Devanagari) said in
    brackets: a symbol by its Unicode name ("Great 👍" reads "Great [thumbs up sign]"), letters
    by their script ("[Thai text]"). fpdf2 leaves such characters out without a word ("Great 👍"
    read "Great", a comment in Chinese was a blank box), and a white square, which said only that
    something was there, read as a checkbox on paper; a name says what the comment held. Each
    placeholder is a first-strong isolate (`bidi.FSI`), a neutral to the text around it as the
    emoji was, so that it neither turns a right-to-left comment's direction nor splits its run.
    Marks, variation selectors, skin tones and the joiners of an emoji sequence belong to the
    character before them; the invisible characters between drawn ones (a Persian zero-width
    non-joiner, an isolate of a search term, a direction mark) stay as they are; a space the font
    lacks is a space."""
    out: list[str] = []
    run: list[str] = []  # the characters not drawn since the last drawn one, a cluster each
    said = {"label": None, "end": 0}  # the last placeholder of letters, and where it ends in `out`

    def flush():
        if not run:
            return
        items, letters = _named(run)
        run.clear()
        # Words of one script apart ("สวัสดี ครับ") are one text, not a placeholder each.
        if letters and said["label"] == items[0] and all(part == " " for part in out[said["end"]:]):
            del out[said["end"]:]
            return
        out.append(f"{FSI}[{', '.join(items)}]{PDI}")
        said.update(label=items[0] if letters else None, end=len(out))

    for ch in text:
        if ch in _BREAKS:
            ch = "\n"  # (the font has none of them)
        kind = unicodedata.category(ch)
        drawn = ord(ch) in cmap or ch == "\n" or kind == "Cf"  # (an invisible one it lacks HarfBuzz draws as none)
        if run and (_attached(ch) or ch == _ZWJ or _flag(run[-1] + ch)
                    or (run[-1].endswith(_ZWJ) and not drawn and kind != "Zs")):
            run[-1] += ch  # part of the character the font lacks: its mark, its skin tone, its sequence
        elif drawn:
            flush()
            out.append(ch)
        elif _attached(ch):
            pass  # a mark of a drawn letter the font lacks: the letter is drawn bare
        elif kind == "Zs":
            flush()
            out.append(" ")
        else:
            run.append(ch)
    flush()
    return "".join(out)


_BREAKS = "\x85\u2028\u2029"  # next line, line and paragraph separators: line breaks
_ZWJ = "\u200d"  # joins emoji into one (a family, a woman technologist)
_RI = range(0x1F1E6, 0x1F200)  # regional indicators: two make a flag
_TAGS = range(0xE0020, 0xE0080)  # tag letters: a black flag with them is a region's (Scotland's)


def _attached(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or 0xFE00 <= cp <= 0xFE0F
            or 0xE0100 <= cp <= 0xE01EF or 0x1F3FB <= cp <= 0x1F3FF or cp in _TAGS)


def _flag(cluster: str) -> bool:
    return len(cluster) == 2 and all(ord(c) in _RI for c in cluster)


def _named(run: list[str]) -> tuple[list[str], bool]:
    """A run of characters the font lacks (clusters, `_drawable`) as what it holds: a stretch of
    letters (with the punctuation and digits among them) by its script, 'Thai text'; a symbol by
    its Unicode name, as 'pouting face ×3' where it repeats. And whether it is all letters."""
    items: list[str] = []
    stretch: list[str] = []  # letters, digits and punctuation, until a symbol

    def end_stretch():
        if stretch:
            script = _script(stretch)
            items.extend([f"{script} text"] if script else [_name(c) for c in stretch])
            stretch.clear()

    for cluster in run:
        if unicodedata.category(cluster[0])[0] in "LNPM":
            stretch.append(cluster)
            continue
        end_stretch()
        name = _name(cluster)
        same = items[-1].rsplit(" ×", 1) if items else None
        if same and same[0] == name:
            items[-1] = f"{name} ×{int(same[1]) + 1 if len(same) == 2 else 2}"
        else:
            items.append(name)
    end_stretch()
    letters = len(items) == 1 and not any(unicodedata.category(c[0])[0] == "S" for c in run) and \
        _script(run) is not None
    return items, letters


def _name(cluster: str) -> str:
    """A symbol the font lacks by its Unicode name, lower case ('thumbs up sign'); an emoji
    sequence by its parts' ('woman + personal computer'); a flag by its region ('flag IR')."""
    if _flag(cluster):
        return "flag " + "".join(chr(ord("A") + ord(c) - _RI.start) for c in cluster)
    tags = "".join(chr(ord(c) - 0xE0000) for c in cluster if ord(c) in _TAGS).rstrip("\x7f").upper()  # (ASCII's tags)
    if tags:
        return f"flag {tags[:2]}-{tags[2:]}"
    parts = [c for c in cluster.split(_ZWJ) if c]
    return " + ".join(_one_name(part[0]) for part in parts) or "symbol"


def _one_name(ch: str) -> str:
    name = unicodedata.name(ch, None)
    if name is None:  # newer than this Python's Unicode, or a private character
        return "emoji" if 0x1F000 <= ord(ch) <= 0x1FAFF else f"U+{ord(ch):04X}"
    return name.lower()


def _script(clusters: list[str]) -> str | None:
    """The script of the letters among `clusters`, as a reader calls it, from their Unicode names
    (THAI CHARACTER KO KAI): Chinese characters are Japanese too, where kana are among them."""
    words = [unicodedata.name(c[0], "").split(" ")[0] for c in clusters if unicodedata.category(c[0])[0] == "L"]
    words = [w for w in words if w]
    if not words:
        return None
    if {"HIRAGANA", "KATAKANA"} & set(words):
        return "Japanese"
    return _SCRIPTS.get(words[0], words[0].capitalize())


_SCRIPTS = {"CJK": "Chinese or Japanese", "HANGUL": "Korean"}


def _numbers_turned(text: str) -> str:
    """A left-to-right paragraph's right-to-left runs that hold numbers (or words of the other
    direction), as one right-to-left run each, their insides turned around: fpdf2 orders such a run
    by its pieces' directions only, not by the levels the bidi algorithm gives them, and set "the
    order سفارش 12 3 روز was late" with the number's neighbouring spaces gone and the run's pieces
    out of order. An override makes the run a single right-to-left piece, and the run written as
    it should read, backwards, reads forwards in it. fpdf2 gives an isolate's letters their levels
    right (a search term's on a slide: `bidi.embedded`), so a run inside one is turned the same
    way, within it; a text with embeddings or overrides of its own is left as it is."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    if not any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text) or any(
            unicodedata.bidirectional(ch) in _CONTROLS for ch in text):
        return text
    chars = BidiParagraph(text, base_direction=TextDirection.LTR,
                          preserve_bn_chars=True).get_characters_with_embedding_level()
    if "".join(c.character for c in chars) != text:
        return text
    out = []
    for raised, run in groupby(chars, key=lambda c: c.embedding_level >= 1):
        run = [(c.character, c.embedding_level) for c in run]
        read = _reordered(run)
        if not raised or _as_drawn(run) == read:
            out.extend(ch for ch, _ in run)
            continue
        # (an isolate's own marks inside the run would end the override: the run is one piece now)
        out += [_RLO, *(ch for ch in reversed(read) if unicodedata.bidirectional(ch) not in _ISOLATES), _PDF]
    return "".join(out)


def _reordered(run: list[tuple[str, int]]) -> str:
    """A run of characters with their bidi levels in the order they read on the line (the Unicode
    bidi rule L2): from the highest level down to 1, each stretch at that level or above reversed."""
    order = list(run)
    for level in range(max((lv for _, lv in run), default=0), 0, -1):
        i = 0
        while i < len(order):
            if order[i][1] < level:
                i += 1
                continue
            j = i
            while j < len(order) and order[j][1] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            i = j
    return "".join(ch for ch, _ in order)


def _as_drawn(run: list[tuple[str, int]]) -> str:
    """The run as fpdf2 draws it: its pieces of one direction in their order, each right-to-left
    piece from its end."""
    return "".join("".join(ch for ch, _ in piece)[::-1] if odd else "".join(ch for ch, _ in piece)
                   for odd, piece in groupby(run, key=lambda c: c[1] % 2 == 1))


# Embeddings and overrides a text may hold (an isolate's levels fpdf2 sets right: see _numbers_turned).
_CONTROLS = frozenset(("LRE", "RLE", "LRO", "RLO", "PDF"))
_ISOLATES = frozenset(("LRI", "RLI", "FSI", "PDI"))


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
    parts = [(_minus(text), size, bold, color) for text, size, bold, color in (
        (t.label, small, False, _MUTED), (t.value, big, True, _INK), (t.change, small, False, _TONE[t.tone]),
        (t.facts, 12, False, _MUTED)) if text]
    # All of it smaller before any of it is cut: set each part at its own size, the facts under the
    # change (interval, n, target) had what the others left, and a row of five tiles lost them.
    scale = next((f for f in _TILE_SCALES if sum(_height(doc, text, inner, max(9, size * f), bold)
                                                  for text, size, bold, _ in parts) <= bottom - y), _TILE_SCALES[-1])
    for text, size, bold, color in parts:
        if y >= bottom:
            continue
        size = max(9, size * scale)
        y = _text(doc, text, (left + _PAD, y, inner, bottom - y), size=size, least=min(size, 9), bold=bold,
                  color=color)


_TILE_SCALES = (1, 0.9, 0.8, 0.7)


def _height(doc, text: str, width: float, size: float, bold: bool) -> float:
    """The inches `text` takes in a box `width` inches wide at `size` points."""
    text = _prepared(doc, text, size, bold, None)
    return len(_lines(doc, text, width, size)) * size * _LEADING * _PT if text else 0


def _comments_grid(doc, s: Slide) -> None:
    for i, c in enumerate(s.comments):
        left, top, width, height = comment_box(i)
        rtl = direction(c.text) == "rtl"
        # The comment above its caption, both within the 1.5 inches the PowerPoint deck gives them.
        end = _text(doc, story.clipped(c.text, COMMENT_CHARS), (left, top, width, height - 0.3), size=16, least=11,
                    rtl=rtl)
        # Its caption (time, score) reads left to right, under the comment's own edge.
        _text(doc, c.caption, (left, end + 0.02, width, max(0.2, top + height - end)), size=11, least=8, color=_MUTED,
              rtl=False, right=rtl)


def _picture(doc, spec: dict, box) -> None:
    import io

    left, top, width, height = box
    png = chart_png(spec, int(width * 96), int(height * 96))
    # Fit the box, keeping the chart's proportions (drawn to the box, but a chart Vega cannot fit may be larger).
    doc.image(io.BytesIO(png), x=left, y=top, w=width, h=height, keep_aspect_ratio=True)

