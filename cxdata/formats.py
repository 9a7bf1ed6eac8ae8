"""Figures in words, as every surface shows them (tiles, slides, decks): a value rounded as the
tables and targets round it, a change with its verdict, a view's filters."""

from __future__ import annotations

from . import stats
from .bidi import embedded
from .model import Model
from .pyramid import KpiResult
from .view import ViewState

TARGET_WORDS = {"met": "on target", "near": "near target", "missed": "below target"}


def fmt_value(k: KpiResult, value: float | None) -> str:
    return stat_text(value, k.kpi.stat)


def scale_note(kpi, model: Model) -> str:
    """What a mean's number is out of, written after it: '/7' for a mean on a 1–7 (or 0–7) scale,
    '(−3–3)' on a scale that starts elsewhere; '' for any other KPI (a share says %, an NPS its
    sign). 'Effort 4.45' left the reader to know whether 4.45 was good on a 1–5 or a 1–10 scale
    (found in a review)."""
    if kpi.stat != "mean":
        return ""
    from .pyramid import kpi_range

    lo, hi = kpi_range(model, kpi)
    return f"/{hi:g}" if lo in (0, 1) else f"({lo:g}–{hi:g})"


def tile_value(k: KpiResult, model: Model) -> str:
    """A KPI's value as its tile (and a slide's) writes it: a mean with its scale, '4.45/7'."""
    text = fmt_value(k, k.current.value)
    note = scale_note(k.kpi, model)
    return text + (note if note.startswith("/") else f"{_NB}{note}") if note and text != "—" else text


def kpi_title(kpi, model: Model) -> str:
    """A KPI's name as a table's column writes it, its scale after a mean's: 'Effort (CES) /7'."""
    note = scale_note(kpi, model)
    return f"{kpi.name} {note}" if note else kpi.name


def stat_text(value: float | None, stat: str | None) -> str:
    """A value of a KPI of statistic `stat` as its tile writes it: a mean 4.10, a share 79.0%, an
    NPS +25.9, an index 62.5 (charts' tooltips say the same). No statistic: the number as given."""
    if value is None or value != value:
        return "—"
    if stat is None:
        return f"{value:,g}"
    value = stats.shown(value, stat)  # half away from zero, as the tables and targets round
    if stat == "mean":
        return f"{value:.2f}"
    if stat == "nps":
        return f"{value:+.1f}" if value else "0.0"
    if stat == "composite":  # an index on 0-100, not a share of answers
        return f"{value:.1f}"
    return f"{value:.1f}%"


def delta_text(d: float, stat: str) -> str:
    """A difference of two values of a KPI of statistic `stat`: a mean's +0.25, a share's +5.1 pts."""
    return f"{d:+.2f}" if stat == "mean" else f"{d:+.1f} pts"


def fmt_delta(k: KpiResult) -> str | None:
    d = k.shown_delta
    if d is None:
        return None
    text = delta_text(d, k.kpi.stat)
    if d == 0 and k.change.significant and k.change.delta:
        # A change too small for the values' decimals that the test still finds (a million answers
        # a period): one more decimal, so that "significant" never sits beside "±0" (found in review).
        text = f"{k.change.delta:+.3f}" if k.kpi.stat == "mean" else f"{k.change.delta:+.2f} pts"
    elif d == 0:
        text = "±0" + ("" if k.kpi.stat == "mean" else " pts")
    if k.change.significant:
        return text + " · significant"
    # No test at all (a composite part with one answer) is no verdict either way.
    return text + (" · not significant" if k.change.p_value is not None else "")


def filters_text(view: ViewState, model: Model, *, isolated: bool = False) -> str:
    """The view's segment filters in words ('Region: Tehran, Isfahan · Customer tier: SMB').
    `isolated`: each value that holds anything right to left in a bidi isolate (`bidi.embedded`),
    for a sentence that goes on after them (a slide's subtitle): the data's values may be Persian
    or Hebrew, and two of them bare in a left-to-right line read in the opposite order. A
    spreadsheet's cell gets them bare."""
    def value(dim, v) -> str:
        text = model.segment(dim).label(v)
        return embedded(text, where_needed=True) if isolated else text

    return " · ".join(f"{model.segment(dim).name}: {', '.join(value(dim, v) for v in values)}"
                      for dim, values in view.filters if model.segment(dim))


def deck_title(view: ViewState, model: Model, period: str, narrowed=()) -> str:
    """A deck's title, as the name of its file describes it (cxdata.export.file_name of
    deck.named_after): its deepest node (team, touchpoint, journey, else the index) by name, the
    period, what narrows its comments (`narrowed`) and the filters. Its first slide's title, the
    index's, named every deck alike (found by review)."""
    from .export import title

    for key, find in ((view.team, model.team), (view.tp, model.touchpoint), (view.journey, model.journey)):
        node = find(key) if key else None
        if node is not None:
            return title(node.name, period, filters_text(view, model), narrowed=narrowed)
    return title(model.index.name, period, filters_text(view, model), narrowed=narrowed)


_NB = "\u00a0"


def tile_facts(k: KpiResult, *, low_n=lambda text: text,
               target=lambda status: f"({TARGET_WORDS[status]})") -> list[str]:
    """The facts under a tile's value, each kept whole by no-break spaces (a narrow tile wraps
    between facts, never inside one): interval, n, low reliability, target and its status, what
    the change compares where a KPI says (a sentence, free to wrap), and what it cannot say.
    `low_n` and `target` dress the mark and the status (a badge on screen, words in a deck)."""
    nb = _NB
    parts = [f"95%{nb}CI{nb}{fmt_value(k, k.current.ci_low)}{nb}–{nb}{fmt_value(k, k.current.ci_high)}",
             f"n{nb}={nb}{k.current.n:,}"]
    if k.status == "low_n":
        parts.append(low_n("low n"))
    if k.target_status:
        parts.append(f"target{nb}{fmt_value(k, k.kpi.target)} {target(k.target_status)}")
    if k.compared and k.delta_shown:
        parts.append(k.compared)
    if k.previous_status == "hidden":
        parts.append("previous period hidden (few responses, or to protect a small group)")
    if k.kpi.stat == "composite" and k.delta_shown and k.change.p_value is None:
        parts.append("change not tested: a touchpoint has a figure now and none then, or a single answer")
    return parts
