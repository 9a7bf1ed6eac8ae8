"""Presentation mode's story: the slides a view's drill path tells, one screen each.

A presenter walks the path the URL holds, index → journey (where the model has journeys) →
touchpoint → team → the comments behind the deepest of them; clicking a bar on a slide drills,
which lengthens the path. The slide shown is part of the view (`ViewState.present`), so a link
opens the same slide of the same story.
"""

from __future__ import annotations

from dataclasses import replace

from . import drill
from .bidi import embedded
from .model import Model
from .pyramid import KpiResult, NodeResult, comments_withheld, level_kpi, narrowed_view, tile_kpi
from .view import PRESENT_STEPS, ViewState


def steps(view: ViewState, model: Model) -> tuple[str, ...]:
    """The slides of the view's drill path, in order. The comments close the story at its deepest
    node (a journey's: its touchpoints'); a composite index has no answers (nor comments) of its
    own, so a path that stops at it ends there."""
    out = ["index"]
    if view.journey_of(model):
        out.append("journey")
    if view.tp:
        out.append("touchpoint")
    if view.team:
        out.append("team")
    if view.tp or view.journey_of(model) or model.index.kpi.stat != "composite":
        out.append("comments")
    return tuple(out)


def current(view: ViewState, model: Model) -> str:
    """The slide shown: the view's, or where the path is shorter than the slide a link names (a
    team slide without a team), the deepest slide before it."""
    path = steps(view, model)
    asked = view.present or "index"
    if asked in path:
        return asked
    rank = PRESENT_STEPS.index(asked)
    return [s for s in path if PRESENT_STEPS.index(s) <= rank][-1]


def moved(view: ViewState, model: Model, by: int) -> ViewState | None:
    """The view `by` slides on (back when negative); None past either end of the story."""
    path = steps(view, model)
    i = path.index(current(view, model)) + by
    return replace(view, present=path[i]) if 0 <= i < len(path) else None


def start(view: ViewState, page: str | None = None) -> ViewState:
    """The view presented from where it stands: a team's view opens on the team's slide; the
    pyramid page (`page` "pyramid") on the slide of what it shows, the touchpoint of its row of
    teams, though its path may go on to a team (the team view left for it keeps its team; found
    by a walk-through: Present opened that team's slide, and Esc left for the team view)."""
    if page == "pyramid":
        return replace(view, present="touchpoint" if view.tp else "journey" if view.journey else "index")
    return replace(view, present="team" if view.team else "touchpoint" if view.tp else "journey" if view.journey else "index")


def node_of(view: ViewState) -> tuple[str, str | None]:
    """The level and key of the deepest node of the path, whose comments close the story."""
    if view.team:
        return "team", view.team
    if view.tp:
        return "touchpoint", view.tp
    if view.journey:
        return "journey", view.journey
    return "index", None


def deepest(p, view: ViewState) -> NodeResult:
    """The pyramid's node whose comments close the story (`node_of`)."""
    level, key = node_of(view)
    if level == "index":
        return p.index
    return {"journey": p.journey, "touchpoint": p.touchpoint, "team": p.team}[level](key)


def comments_withheld_note(node: NodeResult, k: KpiResult, cat) -> str | None:
    """Why the comments slide lists none, where it must not: they would give away what a tile
    hides, or (a journey's) a response gives the KPI's measure at several of its touchpoints and
    its comments would be counted once per touchpoint (`drill.separate_answers`)."""
    if comments_withheld(node, k):
        return ("Not shown: too few responses (privacy threshold); the comments and their scores would give the "
                "hidden figures away.")
    if node.level == "journey" and not drill.separate_answers(k.kpi, cat):
        return (f"Not shown: a response rates several of the touchpoints of {node.name}, so its comments could not "
                "be counted per customer. The slides of its touchpoints list theirs.")
    return None


def first_row(p) -> tuple[tuple[NodeResult, ...], str]:
    """What the index's slide lists under it: the journeys where the model has them, else the
    touchpoints; and what they are called."""
    return (p.journeys, "Journeys") if p.journeys else (p.touchpoints, "Touchpoints")


def journey_kpi(p, journey: NodeResult) -> KpiResult:
    """The KPI a journey's slide shows: the one its row of tiles compares, or the tile's own."""
    return tile_kpi(journey, level_kpi(p.journeys))


def touchpoint_kpi(p, tp: NodeResult) -> KpiResult:
    """The KPI a touchpoint's slide shows: the one its row of tiles compares, or the tile's own."""
    return tile_kpi(tp, level_kpi(p.touchpoints))


def team_tiles(node: NodeResult, closed: KpiResult | None = None) -> list[KpiResult]:
    """A team slide's row of tiles: the KPIs the team has answers for (one row, so that the trend
    fits on the same screen), and its closure rate after them where its team view shows one
    (`closed`: `drill.closed_loop` where `drill.closed_loop_shown`; a rate of no cases is not a
    tile there, its line says "no case")."""
    measured = [k for k in node.kpis if k.status != "no_data"] or list(node.kpis[:1])
    return measured + ([closed] if closed is not None and closed.status != "no_data" else [])


def compared_apart(tiles: list[KpiResult]) -> tuple[list[KpiResult], str]:
    """A slide's row of tiles without what a tile's change compares where its KPI says so (the
    closure rate's: its comparison period as it stood at the same age), and that said once under
    the row ("Closed loop: vs 2026-Q2 as of …"). In a tile of a row of five it took six lines, and
    the trend under the row ran off a 1280 x 720 screen (found by a browser test)."""
    said = [f"{k.kpi.name}: {k.compared}." for k in tiles if k.compared and k.delta_shown]
    return [replace(k, compared=None) for k in tiles], " ".join(said)


def comments_narrowed(view: ViewState, model: Model) -> str:
    """What narrows a comments slide beyond its score band, in words: its search and its theme,
    each isolated (`bidi.embedded`) from the sentence around it, which runs on into the period."""
    theme = model.theme(view.theme) if view.theme else None
    return ((f" · matching “{embedded(view.search)}”" if view.search else "")
            + (f" · about {embedded(theme.name)}" if theme else ""))


def comments_view(view: ViewState, k: KpiResult, model: Model) -> tuple[ViewState, str | None]:
    """The view whose comments close the story, and the label of the score band it keeps (a band
    the KPI has no such scores for is dropped): the comments of the KPI's own sources only."""
    bands = dict(drill.score_bands(model, k.kpi))
    scores = view.scores if view.scores in bands else _behind_the_fall(k, model) if view.scores is None else None
    shown = replace(view, present=None, scores=scores if scores in bands else None)
    if k.kpi.sources:
        shown = narrowed_view(shown, k.kpi.sources)
    return shown, bands.get(shown.scores)


def no_comments_note(band: str | None, kpi_name: str, *, fell: bool = False) -> str:
    """What a comments slide that lists none says: the score band it kept (`fell`: the one chosen to
    explain a significant fall). "No comments in this period" under a band read as none at all, where
    there were comments of the other scores (found by an audit)."""
    if band is None:
        return "No comments in this period for these filters."
    why = (f", the scores that lowered {kpi_name}, which fell significantly. The comments page lists those of the "
           "other scores") if fell else ""
    return f"No comments in this period for these filters came with a score in {band}{why}."


def newest_note(shown: int, total: int, kpi_name: str, *, fell: bool = False) -> str:
    """What a comments slide says under the `shown` comments it lists of `total`: how many, and
    (`fell`: it keeps the score band chosen to explain a significant fall) that they are those.
    The screen said why and the deck did not ("The newest 6 of 92 comments."), found by a
    presenter. Nothing where it lists them all and keeps every score, or lists none
    (`no_comments_note` says why)."""
    why = f" with the scores that lowered {kpi_name}, which fell significantly" if fell else ""
    if not total or (total <= shown and not why):
        return ""
    return f"The newest {shown:,} of {total:,} comments{why}."


def _behind_the_fall(k: KpiResult, model: Model) -> str | None:
    """The score band whose comments explain a significant fall of the KPI (its lowest, or its
    highest where lower is better): the newest comments of all scores told of a collapsed CSAT
    with praise (found by an audit). None when the KPI did not fall."""
    if not (k.delta_shown and k.change.significant and k.shown_delta):
        return None
    measure = model.measures.get(k.kpi.measure)
    higher_is_better = measure.higher_is_better if measure else True
    if (k.shown_delta < 0) != higher_is_better:
        return None
    return "low" if higher_is_better else "high"


UNDATED = "undated"


def comment_caption(when, score, kpi_name: str) -> str:
    """What a comment on a slide says under it: when, and the score it came with. A comment the
    trend's hidden buckets keep undated (`drill.HIDDEN_SEGMENT` for its time) reads "undated": the
    comments page's "hidden" under a comment on a shared screen read as the comment being hidden
    (found by an audit)."""
    when = UNDATED if when == drill.HIDDEN_SEGMENT else str(when)
    if score is None or score != score:  # none, or NaN from the frame
        return when
    return f"{when} · {kpi_name} {score}" if isinstance(score, str) else f"{when} · score {score:.0f}"


def undated_note(grain: str) -> str:
    """Why comments read "undated": said as what the months are, not as "the trend", which a
    path whose touchpoint shows its teams' bars never puts on a slide."""
    return f"Undated: comments from {grain}s with too few responses to show (their dates would give those figures away)."


def clipped(text: str, limit: int = 280) -> str:
    """A comment long enough to overflow its box on a slide ends in an ellipsis; the comments
    page shows it whole."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
