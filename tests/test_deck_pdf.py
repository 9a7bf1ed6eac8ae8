"""cxdata.deck_pdf: the review deck as a PDF, read back with pypdf: every slide a page, its text
where the slide puts it, right-to-left comments set from the right, boxes that hold their text."""

import io

from fontTools.ttLib import TTFont
import pytest

from cxdata import deck, deck_pdf
from tests.test_deck import PERSIAN, db, slides_of  # noqa: F401  (db: the deck tests' database)

INCH = 72
CMAP = frozenset(TTFont(deck_pdf.FONTS / "DejaVuSans.ttf").getBestCmap())  # what the slides' text is drawn with


def read(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def runs(page) -> list[tuple[float, float, float, str]]:
    """(x, y, size, text) of each run of text on the page, in points from the bottom left."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4], tm[5], size, text))

    page.extract_text(visitor_text=visit)
    return found


@pytest.fixture(scope="module")
def team_deck(db):  # noqa: F811
    _, slides = slides_of(db, tp="web", team="a")
    return slides, read(deck_pdf.pdf(slides, footer="CX Pyramid"))


def test_every_slide_is_a_widescreen_page_with_its_title_charts_and_footer(team_deck):
    slides, pdf = team_deck
    assert len(pdf.pages) == len(slides) >= 4
    for made, page in zip(slides, pdf.pages):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (960, 540)  # 13.333 x 7.5 in
        texts = [t for *_, t in runs(page)]
        assert texts[0] == made.title and texts[-1] == "CX Pyramid"
        assert len(page.images) == (1 if made.chart else 0)
        for tile in made.tiles:  # every tile's value, as the slide says it
            assert deck._minus(tile.value) in texts


def test_the_fonts_travel_with_the_file(team_deck):
    _, pdf = team_deck
    fonts = {str(f["/BaseFont"]): f.get_object() for page in pdf.pages for f in page["/Resources"]["/Font"].values()}
    assert {name.split("+")[1] for name in fonts} == {"DejaVuSansBook", "DejaVuSansBold"}
    for f in fonts.values():  # embedded, subset: a reader needs no font of its own for Persian or Hebrew
        descriptor = f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor


def test_comments_are_text_as_typed_and_right_to_left_ones_set_from_the_right(team_deck):
    slides, pdf = team_deck
    found = runs(pdf.pages[len(slides) - 1])
    texts = [t for *_, t in found]
    assert "=cmd|' /C calc'!A0" in texts  # text, as typed: nothing evaluates it
    assert "bell and tab" in texts  # the bell character dropped, the tab a space
    persian = [(x, y, t) for x, y, _, t in found if t == PERSIAN]
    assert persian, texts
    x, y, _ = persian[0]
    comments = slides[-1].comments
    i = next(i for i, c in enumerate(comments) if c.text == PERSIAN)
    left = (0.5 + (i % 2) * 6.2) * INCH
    assert x > left + 2 * INCH  # a short line of a 6-inch box, against its right edge
    caption = next((cx, cy) for cx, cy, _, t in found if t == comments[i].caption)
    assert caption[1] < y and caption[0] > left + 2 * INCH  # its caption under it, on the same side


def test_a_long_title_and_a_long_comment_stay_in_their_boxes():
    """As the PowerPoint deck's (found there by an audit): a long team name took two lines of
    34 pt over the subtitle, a long comment ran over the comment under it."""
    title = "What customers say · Call Center South Region Customer Care and Retention Escalations Desk"
    long = "The courier called twice, " * 20
    slide = deck.Slide(title, "CSAT · Jun 2025", comments=(deck.Comment(long, "2025-06-10 · score 2"),
                                                           deck.Comment("short", "s"), deck.Comment("below", "b")))
    found = runs(read(deck_pdf.pdf([slide])).pages[0])
    subtitle = next((y, size) for _, y, size, t in found if t == "CSAT · Jun 2025")
    title_lines = [(y, size) for _, y, size, t in found if t in title and size > 14]
    assert "".join(t for _, _, size, t in found if size > 14 and t in title).replace(" ", "") == title.replace(" ", "")
    assert min(y for y, _ in title_lines) > subtitle[0] + subtitle[1]  # the title's last line above the subtitle
    assert max(size for _, size in title_lines) < 34  # set smaller to fit
    comment = [(y, t) for _, y, size, t in found if t.startswith(("The courier", "twice")) or "courier" in t]
    assert comment and comment[-1][1].endswith("…")  # cut, and says so
    caption_y = next(y for _, y, _, t in found if t == "2025-06-10 · score 2")
    below_y = next(y for _, y, _, t in found if t == "below")  # the comment under it (third: second row)
    assert min(y for y, _ in comment) > caption_y > below_y + 16  # its caption under it, both above the next
    short = runs(read(deck_pdf.pdf([deck.Slide("CX index", "NPS")])).pages[0])
    assert next(size for *_, size, t in short if t == "CX index") == 34  # a short title keeps its size


def test_a_slide_with_nothing_but_its_title_and_a_note(db):  # noqa: F811
    from datetime import datetime

    from cxdata import pyramid, queries
    from cxdata.view import ViewState
    from tests.test_pyramid import MODEL

    cur = db.cursor()
    view = ViewState(period="custom", start=datetime(2020, 1, 1).date(), end=datetime(2020, 1, 31).date())
    cat = queries.catalog(cur, MODEL)
    slides = deck.story_slides(cur, MODEL, cat, view, pyramid.build(cur, MODEL, cat, view))
    texts = [t for *_, t in runs(read(deck_pdf.pdf(slides)).pages[0])]
    assert texts[:2] == [slides[0].title, slides[0].subtitle] and texts[2].startswith("No responses in")


def page_text(slide) -> str:
    return " ".join(t for *_, t in runs(read(deck_pdf.pdf([slide])).pages[0]))


@pytest.mark.parametrize("text, drawn", [
    ("Great 👍🏽 service 🇮🇷", "Great [thumbs up sign] service [flag IR]"),  # with its skin tone; a flag by its region
    ("👍👍👍 fast", "[thumbs up sign ×3] fast"),
    ("👩🏽‍💻 helped, 🏴󠁧󠁢󠁳󠁣󠁴󠁿 too", "[woman + personal computer] helped, [flag GB-SCT] too"),  # sequences, one each
    ("你好，世界。", "[Chinese or Japanese text]"),  # letters by their script, punctuation among them
    ("日本語のテキスト ok", "[Japanese text] ok"),
    ("สวัสดี ครับ", "[Thai text]"),  # words of one script apart: one text
    ("สาขา 你好", "[Thai text] [Chinese or Japanese text]"),
    ("₿ 5 and 👍😀", "[bitcoin sign] 5 and [thumbs up sign]😀"),  # a symbol by its name; what the font has, drawn
    ("\ue000 and \U0001fae8", "[U+E000] and [emoji]"),  # a private character; an emoji newer than this Python
])
def test_what_the_font_lacks_is_named_where_it_stood(text, drawn):
    """fpdf2 left out what DejaVu has no glyph for: "Great 👍" read "Great", a comment in Chinese
    was an empty box, a team named in Thai a slide without a title. Then a white square said only
    that something stood there (found by review: on paper, a checkbox); its name says what."""
    from cxdata.bidi import FSI, PDI

    made = deck_pdf._drawable(text, CMAP)
    assert made.replace(FSI + "[", "[").replace("]" + PDI, "]") == drawn
    assert made.count(FSI) == made.count(PDI) == drawn.count("[")  # each an isolate of its own
    on_page = page_text(deck.Slide("t", "s", comments=(deck.Comment(text, "c"),)))
    assert drawn in on_page.replace(FSI, "").replace(PDI, "")


@pytest.mark.parametrize("text", [
    "وب‌سایت خوب",  # a Persian zero-width non-joiner
    "e\u0301 \u200dx\u200cy \u200e\u200f \u00ad \u2060",  # a mark, joiners, direction marks, soft hyphen, word joiner
    "CSAT matching “\u2068پیک\u2069” \u2066a\u2069 \u2067ب\u2069 \u202bب\u202c",  # isolates, an embedding
    "❤️ ☺︎",  # variation selectors of letters the font draws
])
def test_invisible_characters_stay_as_they_are(text):
    assert deck_pdf._drawable(text, CMAP) == text


def test_an_invisible_character_beside_one_the_font_lacks_stays_too():
    """A search term's isolate around a Thai word kept its start and lost its end: left open, it
    took the rest of the subtitle in."""
    from cxdata.bidi import FSI, PDI

    made = deck_pdf._drawable(f"matching “{FSI}สาขา{PDI}” · Q3", CMAP)
    assert made == f"matching “{FSI}{FSI}[Thai text]{PDI}{PDI}” · Q3"
    assert deck_pdf._drawable("a\u0301 b", {ord("a"), ord("b"), ord(" ")}) == "a b"  # a mark it lacks, of a letter


def test_a_placeholder_cut_short_ends_its_isolate_before_the_ellipsis():
    from cxdata.bidi import FSI, PDI

    assert deck_pdf._cut(f"Great {FSI}[thumbs up sign]{PDI} service", 22) == f"Great {FSI}[thumbs up{PDI}…"
    assert deck_pdf._cut(f"a {FSI}[b]{PDI} c d e f", 11) == f"a {FSI}[b]{PDI}…"  # one closed already


@pytest.mark.parametrize("text, rtl", [
    ("وب‌سایت 👍 خوب", True),
    ("👍 خوب است", True),  # a right-to-left comment still, not turned by a placeholder at its start
    ("the order سفارش 👍 12 روز was late", False),
    ("late 👍 سفارش", False),
    ("עבודה 🇮🇱 טובה 12", True),
])
def test_a_placeholder_stands_where_its_emoji_stood_in_either_direction(text, rtl):
    """An emoji is a neutral to the bidi algorithm; its name in brackets is left-to-right text,
    which in a right-to-left comment split the run around it and, at its start, turned the
    comment's direction. As an isolate it is a neutral again: the line reads as with the emoji."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    from cxdata.bidi import FSI, PDI, direction

    made = deck_pdf._drawable(text, CMAP)
    assert direction(made) == direction(text) == ("rtl" if rtl else "ltr")
    if not rtl:
        made = deck_pdf._numbers_turned(made)  # as _text sets a left-to-right line
    base = TextDirection.RTL if rtl else TextDirection.LTR
    pieces = BidiParagraph(made, base_direction=base, preserve_bn_chars=True).get_bidi_fragments()
    # fpdf2 draws a line's pieces of one direction in order, reversed in a right-to-left line,
    # each right-to-left piece from its end (fpdf.line_break.TextLine.get_ordered_fragments)
    drawn = "".join(piece[::-1] if way == TextDirection.RTL else piece for piece, way in pieces[::-1 if rtl else 1])
    invisible = str.maketrans("", "", FSI + PDI + deck_pdf._RLO + deck_pdf._PDF)
    with_emoji = BidiParagraph(text, base_direction=base, preserve_bn_chars=True).get_reordered_string()
    assert drawn.translate(invisible).replace("[thumbs up sign]", "👍").replace("[flag IL]", "🇮🇱") == with_emoji


def test_numbers_in_a_right_to_left_run_of_a_left_to_right_comment_keep_their_places():
    """fpdf2 orders a line by its pieces' directions, not by their bidi levels: in "The order
    سفارش 12 3 روز was late" the Persian words and the numbers between them came out in the wrong
    order, the spaces beside the numbers gone."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    for text in ("The order سفارش 12 3 روز was late", "abc אבג 12 34 דה xyz", "Paid 1,234.50 تومان for سفارش ۱۲ ok",
                 "Order سفارش 12"):
        turned = deck_pdf._numbers_turned(text)
        # As fpdf2 draws it: each piece in the line's order, a right-to-left piece from its end.
        drawn = "".join(piece[::-1] if way == TextDirection.RTL else piece
                        for piece, way in BidiParagraph(turned, base_direction=TextDirection.LTR).get_bidi_fragments())
        drawn = drawn.replace(deck_pdf._RLO, "").replace(deck_pdf._PDF, "")
        assert drawn == BidiParagraph(text, base_direction=TextDirection.LTR).get_reordered_string(), text
    assert deck_pdf._numbers_turned("Late by 3 days") == "Late by 3 days"  # nothing right-to-left: as it is
    assert deck_pdf._numbers_turned("سفارش بدون عدد and more") == "سفارش بدون عدد and more"
    assert deck_pdf._numbers_turned("x \u202bسفارش 12\u202c") == "x \u202bسفارش 12\u202c"  # its own controls: as it is
    assert deck_pdf._numbers_turned("matching “\u2068پیک\u2069” · 2026") == "matching “\u2068پیک\u2069” · 2026"  # drawn right
    text = page_text(deck.Slide("t", "s", comments=(deck.Comment("The order سفارش 12 3 روز was late", "c"),)))
    assert "3 12" in text and "12 3" not in text  # left to right on the page: 3, then 12


def test_a_value_is_never_broken_across_lines_and_a_cut_falls_between_words():
    """A row of six tiles set "−100.0" as "−100." over "0"; a tile's facts cut at their last
    character read "n = 6,…"; a row of five lost its facts (the interval, n, the target) to the
    parts above them."""
    facts = "95% CI 66.1% – 68.3% · n = 16,744 · target 80.0% (below target)"
    six = deck.Slide("Six", "s", tiles=tuple(deck.Tile(f"Relationship satisfaction {i}", "-100.0", "-10.6 pts · significant",
                                                      "bad", facts) for i in range(6)))
    found = runs(read(deck_pdf.pdf([six])).pages[0])
    assert [t for *_, size, t in found if "100" in t] == ["−100.0"] * 6
    five = deck.Slide("Five", "s", tiles=tuple(deck.Tile(f"Relationship satisfaction {i}", "100.0%", "+10.6 pts · significant",
                                                        "good", facts) for i in range(5)))
    text = page_text(five)
    assert "…" not in text and text.count("(below target)") == 5  # the whole of each tile, smaller
    long = deck.Slide("One", "s", tiles=(deck.Tile("CSAT", "67.2%", "−0.6 pts", "bad", " · ".join([facts] * 12)),))
    cut = [t for *_, t in runs(read(deck_pdf.pdf([long])).pages[0]) if t.endswith("…")]
    assert len(cut) == 1 and cut[0][:-1].split()[-1] in facts.split()  # a whole word before the ellipsis
    assert deck_pdf._cut("n = 6,744 and more", 8) == "n =…" and deck_pdf._cut("abcdefgh", 4) == "abc…"


def test_a_comment_of_short_lines_keeps_as_many_as_its_box_holds():
    """The cut counted the characters of the lines that fit without the line breaks between them,
    and a comment of one-word lines kept half the lines its box holds; a line separator was a square."""
    comment = "\n".join(f"line{i}" for i in range(1, 30))
    found = runs(read(deck_pdf.pdf([deck.Slide("t", "s", comments=(deck.Comment(comment, "c"),))])).pages[0])
    kept = [t for _, _, size, t in found if t.startswith("line")]
    room = int(1.2 * INCH / (11 * 1.2))  # lines of 11 pt (the least) in the comment's 1.2 inches
    assert len(kept) == room and kept[-1].endswith("…") and kept[:-1] == [f"line{i}" for i in range(1, room)]
    assert deck_pdf._drawable("a\u2028b\x85c", {ord(c) for c in "abc"}) == "a\nb\nc"
    assert deck_pdf._cut("first line\nsecond", 13) == "first line…"


def test_the_documents_title_is_the_one_given_else_the_first_slides():
    slides = [deck.Slide("CX index", "NPS"), deck.Slide("Tehran", "CSAT")]
    assert read(deck_pdf.pdf(slides, title="Tehran · 2025 Q3 · Region: Tehran")).metadata.title == \
        "Tehran · 2025 Q3 · Region: Tehran"
    assert read(deck_pdf.pdf(slides)).metadata.title == "CX index"


@pytest.mark.parametrize("search", ["پیک", "משלוח 12", "late سفارش 12 ok"])
def test_a_search_isolated_in_a_subtitle_is_drawn_in_its_quotes(search):
    """Found by a presenter: a Persian search scrambled a comments slide's subtitle. fpdf2 gives an
    isolate's letters their bidi levels right but draws a line by its pieces' directions: a number
    in a Hebrew search came out on the wrong side of its word, the quote's other side."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    from cxdata import story
    from cxdata.view import ViewState
    from tests.test_pyramid import MODEL

    line = "CSAT" + story.comments_narrowed(ViewState(search=search), MODEL) + " · 2026-Q3 compared with 2026-Q2"
    turned = deck_pdf._numbers_turned(line)
    drawn = "".join(piece[::-1] if way == TextDirection.RTL else piece
                    for piece, way in BidiParagraph(turned, base_direction=TextDirection.LTR).get_bidi_fragments())
    drawn = drawn.replace(deck_pdf._RLO, "").replace(deck_pdf._PDF, "")
    assert drawn == BidiParagraph(line, base_direction=TextDirection.LTR).get_reordered_string()
    assert "” · 2026-Q3 compared with 2026-Q2" in drawn  # the period after the quotes, whole
    # On the page: the line's text in order, the isolates' marks drawing nothing that reads.
    text = page_text(deck.Slide("t", line))
    assert "2026-Q3 compared with 2026-Q2" in text and "[" not in text  # (no isolate's mark named as missing)


def _pictures(page) -> list[tuple[float, float, float, float]]:
    """(left, bottom, width, height) in points of each picture drawn on the page (its matrix as set
    just before it is drawn)."""
    from pypdf.generic import ContentStream

    placed, matrix = [], None
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"cm":
            matrix = [float(x) for x in operands]
        elif op == b"Do" and matrix:
            placed.append((matrix[4], matrix[5], matrix[0], matrix[3]))
    return placed


def test_every_slides_chart_ends_above_the_footer(team_deck):
    # Found by a reviewer: the team slide's trend reached 7.1 inches down a 7.5 inch page and its
    # axis labels ran into the footer (the model's name) at 7.05.
    slides, pdf = team_deck
    for made, page in zip(slides, pdf.pages):
        footer_top = max(y + size for _, y, size, t in runs(page) if t == "CX Pyramid")  # its baseline and a size up
        pictures = _pictures(page)
        assert len(pictures) == (1 if made.chart else 0)
        for _, bottom, _, _ in pictures:
            assert bottom >= footer_top + 3, made.title  # a gap between them, besides
