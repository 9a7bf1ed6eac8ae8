"""A review deck: the story of a view (`story.steps`: index → journey → touchpoint → team → the comments
behind the deepest of them) as a PowerPoint file, one slide per step, with the figures, charts
and comments presentation mode shows. Presenters take it into their own deck or send it after
the review; PowerPoint, Keynote, LibreOffice and Google Slides all open it (`deck_pdf` draws the
same slides as a PDF).

Building the slides (`story_slides`) is separate from drawing them (`pptx`), so what a slide
says is tested without opening a file. Charts are drawn to PNG by vl-convert from the same
Vega-Lite specs the app shows; python-pptx and vl-convert load only when a deck is made."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from . import chart_files, charts, drill, movers, story, tables
from .formats import filters_text, fmt_delta, tile_facts, tile_value
from .model import Model
from .period import day_label
from .pyramid import KpiResult, chosen_kpi, kpi_range, level_first, level_kpi, periods_for
from .view import ViewState

COMMENTS_PER_SLIDE = 6
COMMENT_CHARS = 180  # about four lines of a comment's box at 16 pt; the comments page shows it whole


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    change: str | None = None
    tone: str = "neutral"  # "good" | "bad" | "neutral": only a significant change is coloured
    facts: str = ""  # interval, n, low n, target status


@dataclass(frozen=True)
class Comment:
    text: str
    caption: str


@dataclass(frozen=True)
class Slide:
    title: str
    subtitle: str
    tiles: tuple[Tile, ...] = ()
    note: str = ""  # a sentence under the tile: why the number moved, or why nothing is shown
    chart: dict | None = None  # a Vega-Lite spec
    comments: tuple[Comment, ...] = ()


def tile(label: str, k: KpiResult, model: Model, counts: str = "responses") -> Tile:
    """A KPI as its tile on screen shows it; a hidden one says so and gives nothing away. `counts`:
    what its n counts (a closure rate counts cases)."""
    if k.status == "no_data":
        return Tile(label, "no data", facts=f"No {counts} for this KPI in the period.")
    if k.status == "hidden":
        return Tile(label, "hidden", facts=f"Too few {counts} to show (privacy threshold).")
    measure = model.measures.get(k.kpi.measure)
    better = measure.higher_is_better if measure else True
    tone = "neutral"
    if k.delta_shown and k.change.significant and k.shown_delta:
        tone = "good" if (k.shown_delta > 0) == better else "bad"
    facts = tile_facts(k)
    return Tile(label, tile_value(k, model), fmt_delta(k), tone, " · ".join(facts))


def subtitle(p, view: ViewState, model: Model, kpi_name: str | None = None, *, demo: bool = False) -> str:
    """What the audience must know to read the numbers: the KPI, the period, the comparison, the
    filters (their values isolated from the sentence: `formats.filters_text`), how fresh the data is."""
    parts = [p.period.label() + (f" compared with {p.previous.label()}" if p.previous else "")]
    if view.filters:
        parts.append(filters_text(view, model, isolated=True))
    if kpi_name:
        parts.insert(0, kpi_name)
    return " · ".join(parts) + f" · data as of {day_label(p.as_of)}" + (" · demo data" if demo else "")


def named_after(view: ViewState, model: Model, p, split_of) -> tuple[str, list[tuple[str, str]]]:
    """What a deck's file is named after (cxdata.export.file_name's `what` and `narrowed`): the
    story's deepest node, and where the story ends with comments, their KPI and what narrows them
    (drill.comment_filters) on its comments slide, the score band it keeps for a KPI that fell
    significantly (story.comments_view) included, as the team view names its comments download:
    decks of two teams, two KPIs, two searches or two bands of one view must not overwrite each
    other (`p`: the view's pyramid). Left out, a deck whose comments slide kept "Bottom box" was
    named as the one of every score (found by a reviewer).

    `split_of(dim, kpis)`: the view's `drill.split` (a cached one), asked only where the band
    hangs on it: a KPI that fell on its pyramid tile, whose change the split beside the team view
    may hide (`drill.as_team_view`, as the slide reads it). It only ever hides: a KPI that did not
    fall there falls nowhere, and the name of most views runs no query."""
    level, key = story.node_of(view)
    what = f"slides-{key or level}"
    node = None if p.empty or "comments" not in story.steps(view, model) else story.deepest(p, view)
    if node is None:  # (a link's team the period's pyramid does not hold)
        return what, []
    k = chosen_kpi(node, view.kpi)
    shown, band = story.comments_view(view, k, model)
    if band and not view.scores:  # kept for the fall
        k = chosen_kpi(drill.as_team_view(node, replace(view, present=None), model, split_of), view.kpi)
        shown, _ = story.comments_view(view, k, model)
    return f"{what}-{k.kpi.key}", drill.comment_filters(model, k.kpi, shown)


def story_slides(cur, model: Model, cat, view: ViewState, p, *, demo: bool = False, now=None) -> list[Slide]:
    """The slides of the view's story, in order (`p`: the view's pyramid; `now`: the time a team's
    cases are counted at, for its Closed loop tile; by default the present)."""
    view = replace(view, present=None)
    if p.empty:
        return [Slide(p.index.name, subtitle(p, view, model, demo=demo),
                      note=f"No responses in {p.period.label()} for these filters.")]
    split_of = _Queries(cur, model, cat, view, now)
    return [_SLIDES[step](cur, model, cat, view, p, demo, split_of) for step in story.steps(view, model)]


def _bars(nodes, title: str, model: Model) -> dict | None:
    if not nodes:
        return None
    kpi = level_kpi(nodes)
    first = level_first(nodes, kpi)
    return charts.spec(charts.node_bars, tables.nodes_frame(nodes, kpi), title=title, selectable=False,
                       domain=kpi_range(model, first.kpi) if first else None)


def _trend(cur, model, cat, view, level: str, key: str, k: KpiResult) -> dict | None:
    frame = drill.trend_frame(cur, model, cat, view, level=level, node=key, kpi=k.kpi,
                              total_hidden=k.status == "hidden", previous_hidden=k.previous_status == "hidden")
    if frame.empty or not frame["value"].notna().any():
        return None  # nothing to draw (no answers, or every bucket hidden): the tiles say why
    return charts.spec(charts.trend, frame, title=f"{k.kpi.name} by {view.grain} (95% interval band)",
                       target=k.kpi.target, y_title=k.kpi.name, grain=view.grain, stat=k.kpi.stat)


def trend_dates(cur, model, cat, view, level: str, key: str | None, k: KpiResult) -> tuple | None:
    """The days the trend of the story's node (its team slide, or its touchpoint's) shows whole:
    the comments slide dates only the comments in them (`drill.dated_spans`). None where there is
    no such trend (the index's)."""
    if level not in ("team", "touchpoint"):
        return None
    frame = drill.trend_frame(cur, model, cat, view, level=level, node=key, kpi=k.kpi,
                              total_hidden=k.status == "hidden", previous_hidden=k.previous_status == "hidden")
    return drill.dated_spans(frame, view.grain, periods_for(view, cat)[0])


def _index(cur, model, cat, view, p, demo, split_of) -> Slide:
    k = p.index.headline
    return Slide(p.index.name, subtitle(p, view, model, k.kpi.name, demo=demo),
                 tiles=(tile(f"{p.index.name} · {k.kpi.name}", k, model),),
                 chart=_bars(*story.first_row(p), model))


def _journey(cur, model, cat, view, p, demo, split_of) -> Slide:
    j = p.journey(view.journey_of(model))
    k = story.journey_kpi(p, j)
    moved = movers.of_journey(p, j.key, k.kpi.key)
    note = movers.summary(moved, "touchpoints", p.previous.label()) if moved and p.previous else ""
    return Slide(j.name, subtitle(p, view, model, k.kpi.name, demo=demo),
                 tiles=(tile(f"{j.name} · {k.kpi.name}", k, model),), note=note,
                 chart=_bars(p.touchpoints_of(j.key), f"Touchpoints of {j.name}", model))


def _touchpoint(cur, model, cat, view, p, demo, split_of) -> Slide:
    tp = p.touchpoint(view.tp)
    k = story.touchpoint_kpi(p, tp)
    moved = movers.of_touchpoint(p, tp.key, k.kpi.key)
    note = movers.summary(moved, "teams", p.previous.label()) if moved and p.previous else ""
    teams = p.teams_of(tp.key)
    chart = _bars(teams, f"Teams of {tp.name}", model) if teams else _trend(cur, model, cat, view, "touchpoint", tp.key, k)
    return Slide(tp.name, subtitle(p, view, model, k.kpi.name, demo=demo), tiles=(tile(f"{tp.name} · {k.kpi.name}", k, model),),
                 note=note, chart=chart)


class _Queries:
    """The view's queries a slide shares with the next, each run once: `drill.split` of the view
    (called as `split_of(dim, kpis)`, for the team slide and the comments after it), and the
    team's Closed loop tile (`closure`, `drill.closed_loop`, its cases counted at `now`)."""

    def __init__(self, cur, model, cat, view, now=None):
        from functools import lru_cache

        from . import loop

        self.cur, self.model, self.cat, self.view, self.now = cur, model, cat, view, now or loop.utc_now()
        self._split = lru_cache(maxsize=None)(lambda dim, kpis: drill.split(cur, model, cat, view, dim, kpis=kpis))

    def __call__(self, dim, kpis):
        return self._split(dim, kpis)

    def closure(self) -> KpiResult:
        from . import loop

        def closure_of(shown, period, as_of):
            period = period or periods_for(shown, self.cat)[0]
            return loop.closure(self.cur, self.model, self.cat, shown, period, now=self.now, as_of=as_of)[0]

        return drill.closed_loop(self.model, self.cat, self.view, closure_of, self.now)


def _team(cur, model, cat, view, p, demo, split_of) -> Slide:
    node = drill.as_team_view(p.team(view.team), view, model, split_of)
    k = chosen_kpi(node, view.kpi)
    # Its Closed loop tile too, as its team view has it.
    closed = split_of.closure() if drill.closed_loop_shown(model, node) else None
    measured, compared = story.compared_apart(story.team_tiles(node, closed))
    return Slide(node.name, subtitle(p, view, model, demo=demo),
                 tiles=tuple(tile(t.kpi.name, t, model, "cases" if closed and t.kpi.key == closed.kpi.key else "responses")
                             for t in measured), note=compared,
                 chart=_trend(cur, model, cat, view, "team", node.key, k))


def _comments(cur, model, cat, view, p, demo, split_of) -> Slide:
    level, _ = story.node_of(view)
    node = drill.as_team_view(story.deepest(p, view), view, model, split_of)  # as on the comments' page
    k = chosen_kpi(node, view.kpi)
    shown, band = story.comments_view(view, k, model)
    title = f"What customers say · {node.name}"
    sub = subtitle(p, view, model, k.kpi.name + (f" · {band} only" if band else "")
                   + story.comments_narrowed(view, model), demo=demo)
    if (note := story.comments_withheld_note(node, k, cat)) is not None:
        return Slide(title, sub, note=note)
    frame, total = drill.comments_frame(cur, model, cat, shown, level=level, node=node.key,
                                        score_measure=k.kpi.measure, limit=COMMENTS_PER_SLIDE,
                                        dated_times=trend_dates(cur, model, cat, view, level, node.key, k))
    said = [Comment("" if row["Comment"] is None else str(row["Comment"]),
                    story.comment_caption(row["When"], row["Score"], k.kpi.name))
            for _, row in frame.head(COMMENTS_PER_SLIDE).iterrows()]
    fell = bool(band) and not view.scores
    note = (story.no_comments_note(band, k.kpi.name, fell=fell) if not total else
            story.newest_note(len(said), total, k.kpi.name, fell=fell))
    if any(c.caption.startswith(story.UNDATED) for c in said):
        note = " ".join(filter(None, (note, story.undated_note(view.grain))))
    return Slide(title, sub, note=note, comments=tuple(said))


_SLIDES = {"index": _index, "journey": _journey, "touchpoint": _touchpoint, "team": _team, "comments": _comments}


# -- drawing ------------------------------------------------------------------------------------
_TONE = {"good": (0x1A, 0x7F, 0x37), "bad": (0xCF, 0x22, 0x2E), "neutral": (0x57, 0x60, 0x6A)}
_INK, _MUTED = (0x1F, 0x23, 0x28), (0x42, 0x4A, 0x53)


# The footer's box (the model's name, under every slide). What a slide shows ends a tenth of an
# inch above it: a team slide's trend reached 7.1 inches, and its axis labels ran into the
# footer (found by a reviewer).
FOOTER = (0.5, 7.05, 12.3, 0.35)
_BOTTOM = FOOTER[1] - 0.1


@dataclass(frozen=True)
class Layout:
    """Where a slide's parts go, in inches from the top left of a 13.333 x 7.5 inch page: the
    PowerPoint file and the PDF set them in the same boxes."""

    tiles: tuple[tuple[Tile, tuple[float, float, float, float]], ...]
    big: int  # a tile value's size in points
    chart: tuple[float, float, float, float] | None
    note: tuple[float, float, float, float] | None


def layout(s: Slide) -> Layout:
    """A team's KPIs in one row with the trend under them (and the row's note between them); a
    single tile beside its chart, its note under it; comments in a grid of two columns
    (`comment_box`), the note under them; a note alone under the title."""
    note = None
    if s.comments:
        tiles, big, chart = (), 0, None
        note = (0.5, 6.45, 12.3, _BOTTOM - 6.45)  # under the last row of comments (`comment_box`)
    elif len(s.tiles) > 1:
        width = 12.3 / len(s.tiles)
        tiles = tuple((t, (0.5 + i * width, 1.75, width - 0.15, 1.9)) for i, t in enumerate(s.tiles))
        big, chart = 32, (0.5, 3.75, 12.3, _BOTTOM - 3.75)
        if s.note:  # (two lines of 16 pt)
            note, chart = (0.5, 3.7, 12.3, 0.6), (0.5, 4.35, 12.3, _BOTTOM - 4.35)
    elif s.tiles:
        tiles, big, chart = tuple((t, (0.5, 1.85, 4.6, 2.6)) for t in s.tiles), 54, (5.4, 1.75, 7.4, _BOTTOM - 1.75)
        note = (0.5, 4.6, 4.6, _BOTTOM - 4.6)
    else:
        tiles, big, chart = (), 0, (5.4, 1.75, 7.4, _BOTTOM - 1.75)
        note = (0.5, 1.85, 12.3, 0.6)
    return Layout(tiles, big, chart if s.chart else None, note if s.note else None)


def comment_box(i: int) -> tuple[float, float, float, float]:
    """The box of a comments slide's comment `i` and its caption: two columns, three rows."""
    return 0.5 + (i % 2) * 6.2, 1.75 + (i // 2) * 1.6, 6.0, 1.5


def chart_png(spec: dict, width: int, height: int) -> bytes:
    """The chart drawn to fill `width` x `height` CSS pixels, title, axes and legend included, at
    twice that resolution for a projector, in a slide's type (`charts.SLIDE_SCALE`, as presentation
    mode's: a slide is 1280 CSS pixels wide, as the smallest screen a review is shared on)."""
    spec = {**charts.large(spec, charts.SLIDE_SCALE), "width": width}
    if "height" in spec or "layer" in spec:
        spec["height"] = height
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    return chart_files.png(spec)


def document_title(slides: list[Slide], title: str = "") -> str:
    """A deck file's title (its document properties, which a file browser, a mail's attachment
    and a PDF reader's window show): `title`, as its file's name describes the deck
    (`formats.deck_title`); without it, its first slide's, which is the index's for every deck."""
    return title or (slides[0].title if slides else "CX Pyramid")


def pptx(slides: list[Slide], *, footer: str = "", title: str = "") -> bytes:
    """The slides as a 16:9 PowerPoint file: large type, black on white, no template. `title`: the
    document's (`document_title`), as the PDF's."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    # python-pptx's own template said 'Steve Canny' modified it in January 2013, which every deck
    # repeated; the PDF says the app made it, now.
    made = datetime.now(timezone.utc).replace(tzinfo=None)
    props = deck.core_properties
    props.title, props.last_modified_by, props.created, props.modified = document_title(slides, title), "CX Pyramid", made, made
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[6]
    for s in slides:
        page = deck.slides.add_slide(blank)
        # A text box does not grow: a title or subtitle too long for it ran over what is under it.
        (title, big), (subtitle, small) = _fitted(s.title, 0.7, 34, 18), _fitted(s.subtitle, 0.6, 14, 10)
        _text(page, title, (0.5, 0.35, 12.3, 0.8), size=big, bold=True)
        _text(page, subtitle, (0.5, 1.1, 12.3, 0.5), size=small, color=_MUTED)
        lay = layout(s)
        if s.comments:
            _comments_grid(page, s.comments)
        for t, box in lay.tiles:
            _tile(page, t, box, big=lay.big)
        if lay.chart:
            _picture(page, s.chart, lay.chart)
        if lay.note:
            _text(page, _minus(s.note), lay.note, size=16, color=_INK)
        if footer:
            _text(page, footer, FOOTER, size=10, color=_MUTED)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _fitted(text: str, height: float, most: int, least: int, width: float = 12.1) -> tuple[str, int]:
    """`text` and the largest size from `most` down to `least` points at which it fills no more
    than `height` inches of a box `width` inches wide (a character taken as 0.55 em, more than
    Calibri's average); at `least`, what does not fit ends in an ellipsis."""
    def lines(size: int) -> tuple[int, int]:
        per_line = max(1, int(width * 72 / (0.55 * size)))
        return per_line, int(height * 72 // (size * 1.2))

    for size in range(most, least - 1, -1):
        per_line, room = lines(size)
        if -(-len(text) // per_line) <= room:
            return text, size
    per_line, room = lines(least)
    return story.clipped(text, per_line * max(1, room)), least


def _text(page, text: str, box, *, size: int, bold: bool = False, color=_INK, rtl: bool = False):
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    frame = page.shapes.add_textbox(*(Inches(v) for v in box)).text_frame
    frame.word_wrap = True
    para = frame.paragraphs[0]
    run = para.add_run()
    run.text = _printable(text)  # comments are data: a run's text, never a field or markup
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, RGBColor(*color)
    if rtl:
        para.alignment = PP_ALIGN.RIGHT
        para._p.get_or_add_pPr().set("rtl", "1")  # python-pptx has no API for a paragraph's direction
    return frame


def _tile(page, t: Tile, box, *, big: int):
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    left, top, width, height = box
    frame = _text(page, t.label, (left, top, width, height), size=max(14, big // 3), color=_MUTED)
    for text, size, bold, color in ((t.value, big, True, _INK), (t.change, max(14, big // 3), False, _TONE[t.tone]),
                                    (t.facts, 12, False, _MUTED)):
        if not text:
            continue
        run = frame.add_paragraph().add_run()
        run.text = _minus(_printable(text))
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, RGBColor(*color)
    shape = page.shapes[-1]
    shape.line.color.rgb = RGBColor(0xD0, 0xD7, 0xDE)
    shape.line.width = Inches(0.01)


def _comments_grid(page, comments: tuple[Comment, ...]):
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    from .bidi import direction

    for i, c in enumerate(comments):
        frame = _text(page, story.clipped(c.text, COMMENT_CHARS), comment_box(i), size=16, rtl=direction(c.text) == "rtl")
        run = frame.add_paragraph().add_run()
        run.text = _printable(c.caption)
        run.font.size, run.font.color.rgb = Pt(11), RGBColor(*_MUTED)


def _picture(page, spec: dict, box):
    from pptx.util import Inches

    left, top, width, height = box
    png = chart_png(spec, int(width * 96), int(height * 96))
    pic = page.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top))
    # Fit the box, keeping the chart's proportions (drawn to the box, but a chart Vega cannot fit may be larger).
    aspect = pic.height / pic.width
    w, h = Inches(width), int(Inches(width) * aspect)
    if h > Inches(height):
        w, h = int(Inches(height) / aspect), Inches(height)
    pic.width, pic.height = int(w), int(h)


def _printable(text: str) -> str:
    """XML 1.0 refuses control characters and the noncharacters U+FFFE/U+FFFF; a comment may hold
    any (tabs and line breaks kept)."""
    return "".join(ch for ch in text if (ch in "\t\n" or ord(ch) >= 32) and ch not in "\ufffe\uffff"
                   and not 0xD800 <= ord(ch) <= 0xDFFF)


def _minus(text: str) -> str:
    """Figures' minus signs as minus signs: a hyphen lets a line break between sign and number."""
    return re.sub(r"(?<![\w\u2212-])-(?=\d)", "\u2212", text)
