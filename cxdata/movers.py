"""Why a number moved: the change of a node's KPI split into the contributions of its children.

A touchpoint's value is the mean of its answers' scores (an NPS is the mean of +100 / 0 / -100
per answer, a top-box or yes-rate the mean of 100 / 0), and its teams hold disjoint parts of
those answers. So its change is exactly the sum, over the teams and the answers of no team shown,
of two effects (a shift-share decomposition):

    score_j = w0_j * (v1_j - v0_j)        the team's own change of score, at its earlier share
    mix_j   = (w1_j - w0_j) * (v1_j - V0)  its change of share, at how far it stands from the
                                           earlier whole: more answers where scores are above
                                           average raise the whole though no score changed

w = the team's share of the touchpoint's answers, v its value, V the touchpoint's value, 0 the
comparison period and 1 the current one. A team without answers in a period has share 0 there
(its v is taken from the other period: it has no score change, only its arrival or departure).

Teams hidden for their few answers (in either period) are pooled with the answers of no team in
one "other answers" part: the touchpoint minus the teams shown, which the tiles already give
away, so nothing hidden comes back. A composite index moves by its touchpoints' weighted changes
when both periods measured the same touchpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import KPI, Model
from .pyramid import KpiResult, NodeResult, Pyramid, kpi_range
from .stats import DECIMALS

SHOWN = ("ok", "low_n")
OTHER = "Other answers"  # the part no child shown holds; Movement.other says what it is


@dataclass(frozen=True)
class Mover:
    key: str | None  # None: the pooled other answers
    name: str
    share: float | None  # of the parent's answers now (None for a composite's touchpoint)
    share_before: float | None
    value: float | None
    value_before: float | None
    score: float
    mix: float

    @property
    def total(self) -> float:
        return self.score + self.mix


@dataclass(frozen=True)
class Movement:
    kpi: KPI
    change: float  # the parent's value now minus before (unrounded)
    movers: tuple[Mover, ...]  # largest contribution first
    shown: float | None = None  # the change as the parent's tile shows it (its shown values' difference)
    other: str = ""  # what the part OTHER holds, in words

    @property
    def score(self) -> float:
        return sum(m.score for m in self.movers)

    @property
    def mix(self) -> float:
        return sum(m.mix for m in self.movers)


def decompose(now: tuple[int, float], before: tuple[int, float],
              parts: list[tuple[str, str, int, float | None, int, float | None]]) -> list[Mover]:
    """Contributions of `parts` (key, name, n now, value now, n before, value before) to the change
    of a whole of `now` / `before` (n, value) whose answers they partly hold; what they do not
    hold is one more part, OTHER. Their totals add up to the change of the whole."""
    (n1, v1), (n0, v0) = now, before
    rest1 = (n1 - sum(p[2] for p in parts), n1 * v1 - sum(p[2] * p[3] for p in parts if p[2]))
    rest0 = (n0 - sum(p[4] for p in parts), n0 * v0 - sum(p[4] * p[5] for p in parts if p[4]))
    rows = list(parts)
    if rest1[0] > 0 or rest0[0] > 0:
        rows.append((None, OTHER, rest1[0], rest1[1] / rest1[0] if rest1[0] > 0 else None,
                     rest0[0], rest0[1] / rest0[0] if rest0[0] > 0 else None))
    out = []
    for key, name, a1, x1, a0, x0 in rows:
        w1, w0 = a1 / n1, a0 / n0
        x1_, x0_ = (x1 if a1 else x0), (x0 if a0 else x1)  # no answers in a period: no score change
        out.append(Mover(key, name, w1, w0, x1 if a1 else None, x0 if a0 else None,
                         w0 * (x1_ - x0_), (w1 - w0) * (x1_ - v0)))
    return sorted(out, key=lambda m: -abs(m.total))


def of_segments(index: dict, names: dict[str, str], dim_name: str) -> Movement | None:
    """The change of the index by the segments of one dimension (`index`: segment value, None for
    the total, -> the index's KpiResult there; `names`: how each value is shown): did the
    segments' scores move, or the mix of who answered?"""
    k = index.get(None)
    if not _moved(k) or k.kpi.stat == "composite":
        return None
    parts = [_part(seg, names.get(seg, seg), r) for seg, r in index.items() if seg is not None and _shown_both(r)]
    if not parts:
        return None
    movers = decompose((k.current.n, k.current.value), (k.previous.n, k.previous.value), parts)
    return Movement(k.kpi, k.current.value - k.previous.value, tuple(movers), k.shown_delta,
                    f"answers with no {dim_name} given, and of segments too small to show")


def _part(key: str, name: str, r: KpiResult) -> tuple:
    """A child as `decompose` takes it: no answers in a period it does not show."""
    return (key, name, r.current.n if r.status in SHOWN else 0, r.current.value,
            r.previous.n if r.previous_status in SHOWN else 0, r.previous.value if r.previous else None)


def _moved(k: KpiResult | None) -> bool:
    return k is not None and k.status in SHOWN and k.previous_status in SHOWN and k.previous is not None


def _same(a: KPI, b: KPI) -> bool:
    return (a.stat, a.measure, a.sources) == (b.stat, b.measure, b.sources)


def of_touchpoint(p: Pyramid, tp_key: str, kpi_key: str) -> Movement | None:
    """The change of a touchpoint's KPI by its teams; None where the tile shows no change."""
    return _by_children(p.touchpoint(tp_key), p.teams_of(tp_key), kpi_key,
                        "answers of no team, and of teams too small to show")


def of_journey(p: Pyramid, journey_key: str, kpi_key: str) -> Movement | None:
    """The change of a journey's KPI by its touchpoints (whose answers it pools)."""
    return _by_children(p.journey(journey_key), p.touchpoints_of(journey_key), kpi_key,
                        "answers of touchpoints too small to show")


def _by_children(node, children, kpi_key: str, rest: str) -> Movement | None:
    k = node.kpi(kpi_key) if node else None
    if not _moved(k) or k.kpi.stat == "composite":
        return None
    parts = []
    for child in children:
        t = next((x for x in child.kpis if _same(x.kpi, k.kpi)), None)
        if t is None or not _shown_both(t):
            continue  # pooled with the other answers
        parts.append(_part(child.key, child.name, t))
    if not parts:
        return None
    movers = decompose((k.current.n, k.current.value), (k.previous.n, k.previous.value), parts)
    return Movement(k.kpi, k.current.value - k.previous.value, tuple(movers), k.shown_delta, rest)


def _shown_both(t: KpiResult) -> bool:
    """A team shown in each period it has answers in (hidden in either: pooled)."""
    now_ok = t.status in SHOWN or t.status == "no_data"
    before_ok = t.previous_status in SHOWN or t.previous_status in ("no_data", None)
    return now_ok and before_ok and (t.status in SHOWN or t.previous_status in SHOWN)


def of_composite(p: Pyramid, model: Model) -> Movement | None:
    """The change of a composite index by its touchpoints: each one's weighted change on the
    index's 0-100 scale, over the touchpoints the current index has (as `pyramid._composite`
    takes the earlier index), when each of them has an earlier figure too (otherwise part of the
    change is a change of what is measured, and the tile leaves it untested too)."""
    k = p.index.headline
    if k.kpi.stat != "composite" or not k.delta_shown or k.previous is None:
        return None
    used: list[tuple[NodeResult, KpiResult]] = []
    for t in p.touchpoints:
        if not t.weight:
            continue
        h = t.headline
        if h.status not in SHOWN:  # in neither period's index
            continue
        if h.previous_status not in SHOWN:
            return None
        used.append((t, h))
    total = sum(t.weight for t, _ in used)
    if not used or not total:
        return None

    def scaled(h: KpiResult, v: float) -> float:
        lo, hi = kpi_range(model, h.kpi)
        return 100.0 * (v - lo) / (hi - lo)

    movers = [Mover(t.key, t.name, None, None, scaled(h, h.current.value), scaled(h, h.previous.value),
                    t.weight / total * (scaled(h, h.current.value) - scaled(h, h.previous.value)), 0.0)
              for t, h in used]
    return Movement(k.kpi, k.current.value - k.previous.value, tuple(sorted(movers, key=lambda m: -abs(m.total))),
                    k.shown_delta)


def decimals(mv: Movement) -> int:
    """Parts are written with one decimal more than the KPI's values (a mean 3, a percentage 2):
    they are smaller than the change they make up."""
    return DECIMALS.get(mv.kpi.stat, 2) + 1


def signed(x: float, d: int) -> str:
    """'+0.123', '-1.50', and '±0' for what rounds to nothing (as the tiles write no change)."""
    return "±0" if round(x, d) == 0 else f"{x:+.{d}f}"


def summary(mv: Movement, parts: str, before: str) -> str:
    """The movement in words: `parts` names the children ('teams'), `before` the comparison
    period. The change is the tile's; the parts add up to its unrounded value."""
    d = decimals(mv)
    tile = mv.shown if mv.shown is not None else mv.change
    if all(round(x, d) == 0 for x in (tile, mv.change, mv.score, mv.mix, *(m.total for m in mv.movers))):
        # A sentence of zeros said nothing on a slide (found by a presenter's audit).
        return f"{mv.kpi.name} unchanged against {before}: none of the {parts} moved it."
    pts = "" if mv.kpi.stat == "mean" else " pts"  # as the tile writes a change of a percentage or an NPS
    text = f"{mv.kpi.name} {signed(tile, d - 1)}{pts} against {before}"
    if mv.kpi.stat == "composite":
        text += (f" ({signed(mv.change, d)} before rounding): each of the {parts} moves it by its weighted change of "
                 "score on the index's 0-100 scale.")
    else:
        text += (f" ({signed(mv.change, d)} before rounding): {signed(mv.score, d)} from the {parts}' own scores, "
                 f"{signed(mv.mix, d)} from how the answers spread across them.")
    top = mv.movers[0]
    return text + f" Most: {top.name} ({signed(top.total, d)})."
