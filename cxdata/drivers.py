"""Key drivers: how strongly each rating in a survey goes with an outcome (NPS, overall CSAT...),
from the answers of the same responses.

Two figures per driver, both standard in CX research:

* **correlation** r of the driver's rating with the outcome, over the responses that gave both
  (95% interval by Fisher's z);
* **importance**: Johnson's relative weight (Johnson 2000), the share of the outcome's variance
  explained by all drivers together (R²) that each driver carries once the correlations among the
  drivers are taken into account. Ratings of touchpoints go together (a happy customer rates
  everything well), so correlations alone make every driver look important; relative weights
  split the explained variance between them and add up to 100%.

Survey answers are incomplete by design (a customer rates only the touchpoints they used), so
every correlation uses the responses that answered both of its questions (pairwise deletion); a
correlation matrix put together that way need not be a valid one, and is made the nearest valid
one before the weights are computed. Intervals of the weights come from a delete-a-group
jackknife over `GROUPS` random groups of responses (by response key), so they are computed from
the same sums as the estimates, at any data size.

Performance is the driver's mean answer, rescaled to 0-100 on its scale (100 = best), so ratings
on different scales share one importance x performance matrix.

Everything here is numbers in, numbers out: the answers are fetched by `queries.driver_answers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import add

import numpy as np

from .stats import Suppression, cell_status, suppress_partition, t_quantile, z_for

GROUPS = 20  # jackknife groups: response_key mod GROUPS
MIN_PAIRS = 3  # fewer responses with both answers: the pair has no correlation of its own
QUADRANTS = ("improve", "keep", "maintain", "low", "against")
QUADRANT_NAMES = {
    "improve": "Improve first",   # important, performing below the others
    "keep": "Keep up",            # important, performing well
    "maintain": "Maintain",       # less important, performing well
    "low": "Lower priority",      # less important, performing below the others
    "against": "Goes against",    # better answers go with a worse outcome: no priority to improve it
}


@dataclass(frozen=True)
class Predictor:
    """One driver: the answers of `measure` (at touchpoint `node`, or pooled over touchpoints when a
    response answers the measure once)."""

    key: str  # 'measure' or 'measure@node'
    name: str
    measure: str
    node: str | None
    scale: tuple[float, float]
    higher_is_better: bool = True


@dataclass(frozen=True)
class PairSums:
    """Sufficient statistics of every pair of variables (column 0 the outcome), over the rows
    that answered both: n[i, j], sx[i, j] = sum of x_i, sxx[i, j] = sum of x_i², sxy[i, j] = sum
    of x_i·x_j. Sums of disjoint row sets add up, so a group's sums can be taken away."""

    n: np.ndarray
    sx: np.ndarray
    sxx: np.ndarray
    sxy: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> PairSums:
        """From a rows x variables matrix with NaN for a missing answer."""
        have = (~np.isnan(x)).astype(np.float64)
        x0 = np.where(have > 0, x, 0.0)
        return cls(have.T @ have, x0.T @ have, (x0 * x0).T @ have, x0.T @ x0)

    def __add__(self, other: PairSums) -> PairSums:
        return PairSums(self.n + other.n, self.sx + other.sx, self.sxx + other.sxx, self.sxy + other.sxy)

    def __sub__(self, other: PairSums) -> PairSums:
        return PairSums(self.n - other.n, self.sx - other.sx, self.sxx - other.sxx, self.sxy - other.sxy)

    def correlation(self) -> np.ndarray:
        """Pairwise correlations; NaN where a pair has fewer than MIN_PAIRS rows or no variance."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = self.sxy - self.sx * self.sx.T / n
            var_i = self.sxx - self.sx ** 2 / n          # of x_i over the rows where both are answered
            var_j = var_i.T
            r = cov / np.sqrt(var_i * var_j)
        # A variance that rounding leaves a hair above zero is none.
        flat = (var_i <= 1e-9 * np.maximum(self.sxx, 1.0)) | (var_j <= 1e-9 * np.maximum(self.sxx.T, 1.0))
        r = np.where((n < MIN_PAIRS) | flat | ~np.isfinite(r), np.nan, np.clip(r, -1.0, 1.0))
        np.fill_diagonal(r, 1.0)
        return r

    def means(self) -> np.ndarray:
        """Each variable's mean over the rows that answered it."""
        d = np.diag(self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, np.diag(self.sx) / np.where(d > 0, d, 1), np.nan)


def nearest_correlation(r: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """A valid (positive definite) correlation matrix near `r`: eigenvalues raised to `floor`,
    then rescaled to a unit diagonal. Pairwise deletion can give a matrix no data could give."""
    w, v = np.linalg.eigh((r + r.T) / 2)
    if w.min() >= floor:
        return r
    fixed = (v * np.maximum(w, floor)) @ v.T
    d = np.sqrt(np.diag(fixed))
    out = fixed / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out


FLOOR = 1e-3  # the smallest eigenvalue a repaired correlation matrix keeps


def relative_weights(r: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights of the predictors (columns 1..) for the outcome (column 0) of a
    correlation matrix: (raw weights, which add up to R², and R²). Unknown correlations (NaN)
    count as 0. The whole matrix, the outcome's row included, is made a valid one first: repaired
    without it, correlations of a few responses each gave an R² of thousands (found by an audit)."""
    r = nearest_correlation(np.nan_to_num(r, nan=0.0), FLOOR)
    rxx = r[1:, 1:]
    rxy = r[1:, 0]
    w, v = np.linalg.eigh(rxx)
    w = np.maximum(w, 1e-12)
    lam = (v * np.sqrt(w)) @ v.T                    # R_xx^(1/2): how the drivers load on orthogonal twins
    beta = np.linalg.solve(lam, rxy)                  # the outcome regressed on those twins
    raw = (lam ** 2) @ (beta ** 2)
    r2 = float(beta @ beta)
    if r2 > 1.0:  # rounding only: a valid matrix explains at most all of the outcome's variance
        raw, r2 = raw / r2, 1.0
    return raw, r2


@dataclass(frozen=True)
class Driver:
    predictor: Predictor
    n: int                      # responses that answered the driver and the outcome
    status: str                 # 'ok' | 'low_n' | 'hidden' (stats.cell_status of n)
    r: float | None = None
    r_low: float | None = None
    r_high: float | None = None
    share: float | None = None  # % of R² (relative weight); None when hidden
    share_low: float | None = None
    share_high: float | None = None
    mean: float | None = None   # the driver's mean answer, on its scale
    performance: float | None = None  # the mean on 0-100 (100 = the best answer)
    quadrant: str | None = None  # one of QUADRANTS
    helps: bool | None = None   # its better answers go with a better outcome (None: no correlation)


@dataclass(frozen=True)
class Analysis:
    outcome: str                 # the outcome measure's name
    n: int                       # responses with the outcome and at least one driver shown answered
    status: str                  # of n ('ok', 'low_n', 'hidden'), 'no_data' (n = 0), or 'flat' (one outcome value)
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    drivers: tuple[Driver, ...]  # most important first; hidden ones last
    segment: str | None = None   # the segment value (None: all responses of the view)
    notes: tuple[str, ...] = field(default=())
    rough: bool = False          # a driver, or a pair of drivers, answered by fewer than the reliability threshold


def _fisher(r: float, n: int, z: float) -> tuple[float, float]:
    if n <= 3 or abs(r) >= 1.0:
        return (r, r) if abs(r) >= 1.0 else (-1.0, 1.0)
    f, se = math.atanh(r), 1.0 / math.sqrt(n - 3)
    return math.tanh(f - z * se), math.tanh(f + z * se)


def _jackknife(estimates: np.ndarray) -> np.ndarray:
    """Standard errors of the delete-a-group jackknife (rows: one estimate per deleted group)."""
    g = estimates.shape[0]
    return np.sqrt((g - 1) / g * ((estimates - estimates.mean(axis=0)) ** 2).sum(axis=0))


def usable(x: np.ndarray) -> np.ndarray:
    """The rows an analysis reads: those that answered the outcome and at least one driver."""
    keep = ~np.isnan(x[:, 0])
    if x.shape[1] > 1:
        keep &= ~np.isnan(x[:, 1:]).all(axis=1)
    else:
        keep[:] = False
    return keep


def group_sums(x: np.ndarray, groups: np.ndarray) -> list[PairSums]:
    """The pair sums of each jackknife group's rows (rows sorted by group once, each group a slice)."""
    order = np.argsort(groups, kind="stable")
    x = x[order]
    cuts = np.searchsorted(groups[order], np.arange(GROUPS + 1))
    return [PairSums.of(x[cuts[g]:cuts[g + 1]]) for g in range(GROUPS)]


def analyse(x: np.ndarray, groups: np.ndarray, predictors: list[Predictor], rules: Suppression, *,
            outcome: str, segment: str | None = None, confidence: float = 0.95,
            outcome_higher_is_better: bool = True) -> Analysis:
    """The drivers of the outcome (column 0 of `x`) among `predictors` (columns 1..), over the
    responses (rows) that answered the outcome. `groups`: each row's jackknife group."""
    keep = usable(x)
    return from_sums(group_sums(x[keep], groups[keep]), predictors, rules, answered=answers(x[keep]), outcome=outcome,
                     segment=segment, confidence=confidence, outcome_higher_is_better=outcome_higher_is_better)


def answers(x: np.ndarray) -> np.ndarray:
    """Which drivers each row answered (rows x predictors): what `responses` counts from."""
    return ~np.isnan(x[:, 1:])


def shown_of(total: PairSums, rules: Suppression) -> list[int]:
    """The drivers an analysis of these sums shows: those answered with the outcome by enough responses."""
    return [j for j, nj in enumerate(total.n[0, 1:].astype(int)) if cell_status(int(nj), rules) != "hidden"]


def responses(answered: np.ndarray, shown: list[int]) -> int:
    """The responses that answered at least one of the drivers shown: what the figures shown rest on.
    Those that answered only hidden drivers are no part of them, and counted in they gave the hidden
    drivers' n away (the view's n less the shown drivers'; found by an audit)."""
    return int(answered[:, shown].any(axis=1).sum()) if shown else 0


def from_sums(all_groups: list[PairSums], predictors: list[Predictor], rules: Suppression, *,
              answered: np.ndarray | None = None, outcome: str, segment: str | None = None, confidence: float = 0.95,
              outcome_higher_is_better: bool = True) -> Analysis:
    """`analyse` from the pair sums of each jackknife group of the usable rows (`group_sums`):
    sums of disjoint rows add up, so a split's segments give the whole view's without a pass of
    its own. `answered`: which drivers each of those rows answered (`answers`), so that n counts
    the responses that answered a driver shown (without it, every usable row). `outcome_higher_is_better`:
    with the drivers' own directions, which sign of r is a driver that helps."""
    total = all_groups[0]
    for gs in all_groups[1:]:
        total = total + gs
    n = int(total.n[0, 0])
    status = cell_status(n, rules)
    pair_n = total.n[0, 1:].astype(int)
    shown = shown_of(total, rules)
    if status == "hidden" or not shown:
        drivers = tuple(Driver(p, int(pair_n[j]), "hidden") for j, p in enumerate(predictors))
        return Analysis(outcome, n, "no_data" if n == 0 else "hidden" if status == "hidden" else status,
                        None, None, None, drivers, segment)
    if answered is not None:  # (a driver shown has enough responses of its own: n stays above the privacy threshold)
        n = responses(answered, shown)
        status = cell_status(n, rules)
    cols = [0] + [j + 1 for j in shown]
    sums = _select(total, cols)
    # Two drivers answered together by few responses say little about each other (`shrunk`).
    reliable = max(MIN_PAIRS, rules.reliability_min_n)
    r = sums.correlation()
    # still[i, j]: every response that answered both gave x_i one answer. A correlation is unknown
    # when the driver or the outcome is still over the driver's responses: only the outcome's
    # stillness leaves nothing to explain (drivers rated alike explain none of what varies; read
    # from r alone, they were taken for an outcome given one answer: found by an audit).
    with np.errstate(invalid="ignore", divide="ignore"):
        still = sums.sxx - sums.sx ** 2 / sums.n <= 1e-9 * np.maximum(sums.sxx, 1.0)
    if still[0, 1:].all():  # every response gave the outcome the same answer: nothing to explain
        drivers = tuple(Driver(predictors[j], int(pair_n[j]), cell_status(int(pair_n[j]), rules)) for j in shown)
        return Analysis(outcome, n, "flat", None, None, None, drivers, segment)
    weighed = shrunk(sums, reliable)
    raw, r2 = relative_weights(weighed)
    # Jackknife: the weights without each group's responses.
    reps_share, reps_r2 = [], []
    for gs in all_groups:
        raw_g, r2_g = relative_weights(shrunk(sums - _select(gs, cols), reliable))
        reps_share.append(100 * raw_g / r2_g if r2_g > 0 else np.zeros_like(raw_g))
        reps_r2.append(r2_g)
    t = t_quantile(0.5 + confidence / 2, GROUPS - 1)
    se_share = _jackknife(np.array(reps_share))
    se_r2 = float(_jackknife(np.array(reps_r2)[:, None])[0])
    share = 100 * raw / r2 if r2 > 0 else np.zeros_like(raw)
    z = z_for(confidence)
    means = sums.means()
    out: list[Driver] = []
    for pos, j in enumerate(shown):
        p = predictors[j]
        nj = int(pair_n[j])
        rj = r[0, pos + 1]
        lo, hi = p.scale
        mean = float(means[pos + 1])
        perf = 100 * (mean - lo) / (hi - lo) if hi > lo else None
        if perf is not None and not p.higher_is_better:
            perf = 100 - perf
        rl, rh = _fisher(float(rj), nj, z) if not math.isnan(rj) else (None, None)
        # r is of the raw answers; whether it helps depends on which end of each scale is the good one
        # (an effort rated 1 = easy that goes with a high NPS has r < 0 and helps).
        helps = None if math.isnan(rj) else bool((rj >= 0) == (p.higher_is_better == outcome_higher_is_better))
        out.append(Driver(
            p, nj, cell_status(nj, rules),
            r=None if math.isnan(rj) else float(rj), r_low=rl, r_high=rh,
            share=float(share[pos]), share_low=float(max(0.0, share[pos] - t * se_share[pos])),
            share_high=float(min(100.0, share[pos] + t * se_share[pos])),
            mean=mean, performance=perf, helps=helps))
    out = _with_quadrants(out)
    out.sort(key=lambda d: -(d.share or 0.0))
    hidden = [Driver(predictors[j], int(pair_n[j]), "hidden") for j in range(len(predictors)) if j not in shown]
    notes = []
    alike = {predictors[j].key for pos, j in enumerate(shown) if not still[pos + 1, 0] and still[0, pos + 1]}
    flat = [d.predictor.name for d in out if d.r is None and d.predictor.key not in alike]
    if flat:
        notes.append(f"{', '.join(flat)}: every response gave the same answer, so it explains none of the differences.")
    alike_names = [d.predictor.name for d in out if d.r is None and d.predictor.key in alike]
    if alike_names:
        notes.append(f"{', '.join(alike_names)}: every response that rated it gave {outcome} the same answer, so it "
                     "explains none of the differences.")
    rare = (sums.n[1:, 1:] < reliable) & ~np.eye(len(shown), dtype=bool)
    rough = bool(rare.any() or any(d.n < reliable for d in out))
    if rare.any():
        # A segment withholds its drivers' n (tables.SEGMENT_WITHHELD): a count here would be one more to subtract.
        fewest = "" if segment is not None else f" (the fewest: {int(sums.n[1:, 1:][rare].min())})"
        notes.append(f"Some drivers were rated together by few responses{fewest}: how they go with each "
                     f"other is taken partly from how all drivers go together. With so few answers the weights are "
                     "rough: the intervals say how rough.")
    against = [d.predictor.name for d in out if d.helps is False and d.r != 0]
    if against:
        notes.append(f"{', '.join(against)}: better answers here go with a worse outcome. Its weight says how much it "
                     "matters, not in which direction.")
    # Correlations that no set of responses could give together (each pair from other, few
    # responses): the weights come from the nearest valid matrix, but an R² from it is close to
    # 100% by construction, not by the data (found by an audit): not shown.
    if np.linalg.eigvalsh(np.nan_to_num(weighed, nan=0.0))[0] < FLOOR:
        notes.append("The drivers were rated together by too few of the same responses to say how much of the "
                     f"differences in {outcome} they explain together; their shares are rough.")
        return Analysis(outcome, n, status, None, None, None, tuple(out + hidden), segment, tuple(notes), True)
    return Analysis(outcome, n, status, r2, max(0.0, r2 - t * se_r2), min(1.0, r2 + t * se_r2),
                    tuple(out + hidden), segment, tuple(notes), rough)


def shrunk(s: PairSums, reliable: int) -> np.ndarray:
    """The correlation matrix the weights are computed from: a correlation between two drivers
    answered together by fewer than `reliable` responses is pulled toward the drivers' pooled
    correlation with each other, in proportion to what it lacks (n / reliable of its own, the rest
    pooled); from `reliable` responses on it is its own. Ratings of touchpoints go together, so a
    pair seen too rarely is more like the other pairs than like none: taken as none (0), small
    views' drivers looked independent and explained 99% of the outcome (found by an audit)."""
    r = s.correlation()
    k = r.shape[0]
    if k <= 2:
        return r
    off = ~np.eye(k - 1, dtype=bool)
    rxx, nxx = r[1:, 1:], s.n[1:, 1:]
    known = off & ~np.isnan(rxx)
    weights = nxx[known]
    pooled = float((rxx[known] * weights).sum() / weights.sum()) if weights.sum() > 0 else 0.0
    own = np.clip(np.where(known, nxx, 0) / reliable, 0.0, 1.0)
    blended = own * np.nan_to_num(rxx, nan=0.0) + (1 - own) * pooled
    out = r.copy()
    out[1:, 1:] = np.where(off, blended, 1.0)
    # A driver every response answered alike goes with nothing: its correlations stay unknown (none).
    d = np.diag(s.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.diag(s.sxx) - np.diag(s.sx) ** 2 / np.where(d > 0, d, 1)
    flat = np.flatnonzero(spread[1:] <= 1e-9 * np.maximum(np.diag(s.sxx)[1:], 1.0)) + 1
    out[flat, 1:] = out[1:, flat] = np.nan
    out[flat, flat] = 1.0
    return out


def _select(s: PairSums, cols: list[int]) -> PairSums:
    ix = np.ix_(cols, cols)
    return PairSums(s.n[ix], s.sx[ix], s.sxx[ix], s.sxy[ix])


def _with_quadrants(drivers: list[Driver]) -> list[Driver]:
    """Importance x performance: above or below the average importance (an equal share each) and
    the drivers' average performance."""
    perfs = [d.performance for d in drivers if d.performance is not None]
    if not drivers or not perfs:
        return drivers
    mid_share = 100 / len(drivers)
    mid_perf = sum(perfs) / len(perfs)
    out = []
    for d in drivers:
        if d.performance is None or d.share is None or d.r is None:
            out.append(d)
            continue
        if d.helps is False and d.r != 0:  # improving it would worsen the outcome: neither a priority nor a strength
            out.append(replace(d, quadrant="against"))
            continue
        important = d.share >= mid_share - 1e-9  # a lone driver's 100% is the average, not below it
        good = d.performance >= mid_perf - 1e-9
        q = ("keep" if good else "improve") if important else ("maintain" if good else "low")
        out.append(replace(d, quadrant=q))
    return out


def split_status(all_n: int, segment_n: dict[str, int], rules: Suppression) -> set[str]:
    """Segments to hide in a split: too few responses, or the one that subtraction from the
    view's total would give away (the pyramid's rule, stats.suppress_partition)."""
    return suppress_partition(all_n, segment_n, rules)


# --------------------------------------------------------------------------- from stored answers

@dataclass(frozen=True)
class Sample:
    """The answers as a matrix: one row per response that answered the outcome, column 0 the
    outcome, then one column per driver (NaN: not answered)."""

    x: np.ndarray
    groups: np.ndarray  # jackknife group of each row
    segments: np.ndarray | None  # each row's segment code (-1: no value), when split
    predictors: tuple[Predictor, ...]
    outcome_repeated: bool = False  # a response answers the outcome more than once (its mean is used)


def sample(rows: dict[str, np.ndarray], model, cat, outcome: str) -> Sample:
    """Build the matrix from answer rows (`queries.driver_answers`). A measure a response answers
    at several touchpoints (satisfaction with each touchpoint used) becomes one driver per
    touchpoint; a measure answered once per response (an overall effort rating, or a
    transactional survey's CES) is one driver, whatever touchpoint the survey was about."""
    import pandas as pd

    code_of = cat.measures.get(outcome)
    measure_key = {code: key for key, code in cat.measures.items()}
    # Label codes are small: 32-bit arrays (a year at 10M responses is 4M answers, and every
    # 64-bit copy of one column 33 MB more at the peak).
    keys = np.asarray(rows["response_key"], dtype=np.int64)
    measures = np.asarray(rows["measure"], dtype=np.int32)
    tps = np.asarray(rows["touchpoint"], dtype=np.int32)  # -1: none
    values = np.asarray(rows["value"], dtype=np.float64)
    segs = np.asarray(rows["seg"], dtype=np.int32) if "seg" in rows else None
    teams = np.asarray(rows["team"], dtype=np.int32) if "team" in rows else np.full(len(tps), -1, dtype=np.int32)

    # (touchpoint, team) labels -> the touchpoint the answer counts under, as everywhere else
    # (`Catalog.home`: a team's answer naming no touchpoint, or an unknown one, counts at the
    # team's); several labels can name one touchpoint.
    def node_of(tp: int, team: int) -> str | None:
        at, _ = cat.home(tp if tp >= 0 else None, team if team >= 0 else None)
        if at is None:
            return None
        if isinstance(at, str):  # the team's touchpoint, which no stored label names
            return at
        return cat.touchpoints.get(at) or cat.unmapped.get("touchpoint", {}).get(at)

    # Pairs of label codes (small integers) -> node numbers, through a lookup array.
    span = int(teams.max()) + 2 if len(teams) else 1
    pair = (tps + 1) * span + (teams + 1)
    pairs = np.flatnonzero(np.bincount(pair)) if len(pair) else np.array([], dtype=np.int64)
    node_names = [node_of(int(c) // span - 1, int(c) % span - 1) for c in pairs]
    nodes = list(dict.fromkeys(n for n in node_names if n is not None))
    lookup = np.full(int(pairs.max()) + 1 if len(pairs) else 1, -1, dtype=np.int32)
    for c, name in zip(pairs, node_names):
        if name is not None:
            lookup[c] = nodes.index(name)
    node = lookup[pair] if len(pair) else pair
    del pair, tps, teams

    row = pd.factorize(keys, sort=False)[0]
    n_resp = int(row.max()) + 1 if len(row) else 0
    # Which (measure, touchpoint) pairs occur, and which measures a response answers more than once.
    width = len(nodes) + 1
    combo_id = measures * width + node + 1
    combo = np.bincount(combo_id) if len(measures) else np.array([], dtype=np.int64)
    present = {(int(i) // width, int(i) % width - 1) for i in np.flatnonzero(combo)
               if measure_key.get(int(i) // width) in model.measures}  # a measure the model does not know: no scale
    per_touchpoint = set()
    for code in {mc for mc, nd in present if nd >= 0 and mc != code_of}:
        sel = measures == code
        if np.bincount(row[sel], minlength=1).max() > 1:
            per_touchpoint.add(code)

    # Columns: the outcome, then drivers in the model's order (measures, then touchpoints).
    columns: dict[tuple[int, int], int] = {}
    predictors: list[Predictor] = []
    tp_order = {t.key: i for i, t in enumerate(model.touchpoints)}
    # The index's own measure is the top of the pyramid, explained by the others, never one of them.
    top = model.index.kpi.measure if model.index.kpi.stat != "composite" else None
    for key, m in model.measures.items():
        code = cat.measures.get(key)
        if code is None or code == code_of or key == top:
            continue
        if code in per_touchpoint:
            at = sorted({nd for mc, nd in present if mc == code and nd >= 0},
                        key=lambda nd: (tp_order.get(nodes[nd], len(tp_order)), nodes[nd]))
            for nd in at:
                tp = model.touchpoint(nodes[nd])
                name = tp.name if tp else nodes[nd]
                columns[(code, nd)] = len(predictors) + 1
                predictors.append(Predictor(f"{key}@{nodes[nd]}", name, key, nodes[nd], m.scale, m.higher_is_better))
        elif any(mc == code for mc, _ in present):
            columns[(code, -1)] = len(predictors) + 1
            predictors.append(Predictor(key, m.name, key, None, m.scale, m.higher_is_better))
    # Several drivers from one measure are named by touchpoint; name the measure too when two
    # measures are split by touchpoint.
    if len({p.measure for p in predictors if p.node}) > 1:
        predictors = [replace(p, name=f"{p.name} · {model.measures[p.measure].name}") if p.node else p
                      for p in predictors]

    # Each row's column, through a lookup by its (measure, touchpoint) pair.
    lut = np.full(len(combo), -1, dtype=np.int32)
    for mc, nd in present:
        i = mc * width + nd + 1
        lut[i] = 0 if mc == code_of else columns.get((mc, nd), columns.get((mc, -1), -1))
    col = lut[combo_id] if len(measures) else np.array([], dtype=np.int32)
    del combo_id, node, measures
    use = col >= 0
    p = len(predictors) + 1
    flat = row[use] * p + col[use]
    x = np.bincount(flat, weights=values[use], minlength=n_resp * p).astype(np.float64, copy=False)  # (int when empty)
    count = np.bincount(flat, minlength=n_resp * p)
    del flat, values
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(x, count, out=x)  # several answers to one question: their mean (0 / 0: not answered)
    del count
    x = x.reshape(n_resp, p)
    first_key = np.zeros(n_resp, dtype=np.int64)
    first_key[row] = keys
    groups = np.mod(first_key, GROUPS)
    seg = None
    if segs is not None:
        seg = np.full(n_resp, -1, dtype=np.int32)
        out_rows = use & (col == 0)
        seg[row[out_rows]] = segs[out_rows]  # the segment the outcome's answer counts under
    given = row[col == 0]
    repeated = bool(len(given)) and int(np.bincount(given).max()) > 1
    return Sample(x, groups, seg, tuple(predictors), repeated)


@dataclass(frozen=True)
class ViewDrivers:
    """The drivers of an outcome in a view, and per segment value when split."""

    outcome: str          # measure key
    overall: Analysis
    dim: str | None = None
    segments: tuple[Analysis, ...] = ()   # in the segment's order; hidden ones with status 'hidden'
    # The survey sources of the responses that answered the outcome, with how many, most first:
    # every driver is an answer of those responses (`basis` names the surveys).
    sources: tuple[tuple[str, int], ...] = ()


def outcome_choices(model, cat) -> list[str]:
    """Measures an analysis can explain: those with stored answers, the index's first."""
    keys = [k for k in model.measures if k in cat.measures]
    first = model.index.kpi.measure if model.index.kpi.stat != "composite" else None
    return sorted(keys, key=lambda k: k != first)


def of_view(cur, model, cat, view, outcome: str, dim: str | None = None) -> ViewDrivers:
    """The drivers of `outcome` for the view's period and filters (its drill path aside: the drivers
    of an outcome are read across the whole programme), and per value of `dim`. The index's own
    measure is read from the survey sources the index counts."""
    from . import pyramid, queries

    rules = pyramid.rules_of(model)
    current, _ = pyramid.periods_for(view, cat)
    kpi = model.index.kpi
    if kpi.stat != "composite" and kpi.measure == outcome and kpi.sources:
        view = pyramid.narrowed_view(view, kpi.sources)
    code = cat.measures.get(outcome)
    name = model.measures[outcome].name if outcome in model.measures else outcome
    up = model.measures[outcome].higher_is_better if outcome in model.measures else True
    if code is None:  # no answer of the outcome is stored
        return ViewDrivers(outcome, Analysis(name, 0, "no_data", None, None, None, ()), dim)
    sources = tuple(queries.answer_sources(cur, cat, view, current, code))
    s = sample(queries.driver_answers(cur, cat, view, current, code, dim), model, cat, outcome)
    keep = usable(s.x)
    x, groups = s.x[keep], s.groups[keep]
    answered = answers(x)
    preds = list(s.predictors)

    def noted(a: Analysis) -> Analysis:
        if not s.outcome_repeated:
            return a
        return replace(a, notes=(f"A response answers {name} more than once (for several touchpoints): the mean of "
                                 "its answers is the outcome here.", *a.notes))

    if not dim:
        return ViewDrivers(outcome, noted(from_sums(group_sums(x, groups), preds, rules, answered=answered,
                                                    outcome=name, outcome_higher_is_better=up)), sources=sources)
    segs = s.segments[keep]
    labels = cat.segment_labels(dim)
    by_label: dict[str, list[int]] = {}
    for c, label in labels.items():
        by_label.setdefault(label, []).append(c)
    if (segs < 0).any():
        by_label[pyramid.NOT_SET] = [-1]
    masks = {label: np.isin(segs, codes) for label, codes in by_label.items()}
    sums = {label: group_sums(x[m], groups[m]) for label, m in masks.items() if m.any()}
    counts = {label: int(m.sum()) for label, m in masks.items()}
    # What each segment's figures rest on: its responses that answered a driver it shows. Each is
    # a response of the whole view's count (a driver shown in a segment is shown in the whole).
    shows = {label: responses(answered[masks[label]], shown_of(reduce(add, gs), rules)) for label, gs in sums.items()}
    # The whole view: its segments' sums (every usable row is in one), plus any row in none.
    rest = ~np.logical_or.reduce(list(masks.values())) if masks else np.ones(len(x), bool)
    parts = [*sums.values()] + ([group_sums(x[rest], groups[rest])] if rest.any() else [])
    whole = [reduce(add, (p[g] for p in parts)) for g in range(GROUPS)] if parts else group_sums(x, groups)
    overall = noted(from_sums(whole, preds, rules, answered=answered, outcome=name, outcome_higher_is_better=up))
    seg_of = model.segment(dim)
    order = [*cat.segment_values(dim, model), pyramid.NOT_SET]
    hidden = split_status(overall.n, {k: shows[k] for k, v in counts.items() if v}, rules)
    out = []
    for label in order:
        if not counts.get(label):
            continue
        shown = seg_of.label(label) if seg_of else label
        if label in hidden:
            out.append(Analysis(name, counts[label], "hidden", None, None, None, (), shown))
            continue
        out.append(from_sums(sums[label], preds, rules, answered=answered[masks[label]], outcome=name, segment=shown,
                              outcome_higher_is_better=up))
    return ViewDrivers(outcome, overall, dim, tuple(out), sources)


# --------------------------------------------------------------------------- in words

def outcome_title(model, outcome: str) -> tuple[str, str | None]:
    """An outcome as the pyramid names it, and its question when that is another name: the
    index's own measure is 'CX index · NPS' (its tile's title) asked as 'Likelihood to
    recommend'; any other measure is its question. Called by its question alone, the index's
    drivers read as those of some other number (found in a review)."""
    kpi = model.index.kpi
    m = model.measures.get(outcome)
    question = m.name if m else outcome
    if kpi.stat != "composite" and kpi.measure == outcome:
        return f"{model.index.name} · {kpi.name}", question
    return question, None


def outcome_names(model, keys) -> dict[str, str]:
    """The outcomes as a choice lists them: 'CX index · NPS (Likelihood to recommend)', 'Satisfaction'."""
    out = {}
    for key in keys:
        name, question = outcome_title(model, key)
        out[key] = f"{name} ({question})" if question else name
    return out


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def basis(model, vd: ViewDrivers, *, index_n: int | None = None, tiles=None) -> list[str]:
    """What the figures of a drivers view are, in a few Markdown lines (model names escaped): the
    outcome and its survey, which responses n counts, what a driver's performance is, and why it
    is not the number on the pyramid's tile of the same touchpoint.

    The pyramid and the drivers count different answers: a touchpoint's tile shows its headline
    KPI (the demo's CSAT, top-box % of the transactional survey's satisfaction, 2,802 answers)
    while its driver is the rating the responses that answered the outcome gave it (the
    relationship survey's, 1,979 of them, as a mean on 0-100); the index's tile counts every
    answer to its question, the drivers only those that rated a driver as well. Side by side
    with no word, the two looked like one figure computed twice, differently (found in a review).

    `index_n`: the n on the index's tile, where the outcome is the index's measure and its tile
    shows; `tiles`: touchpoint key -> its headline KpiResult on the pyramid of the same view."""
    from .markdown import escape
    from .model_summary import STAT_NAMES

    a = vd.overall
    least = model.thresholds.privacy_min_n
    name, question = outcome_title(model, vd.outcome)
    m = model.measures.get(vd.outcome)
    scale = f", {m.scale[0]:g}–{m.scale[1]:g}" if m else ""
    asked = f" — the question *{escape(question)}*{scale}" if question else (f" ({scale[2:]})" if scale else "")
    # Surveys by name only, and only those with enough responses: a count, or a survey of two
    # answers, would single them out.
    surveys = [escape(model.source_label(src)) for src, n in vd.sources if n >= least]
    rare = any(n < least for _, n in vd.sources)
    where = ""
    if surveys:
        where = f", answered in the {_listed(surveys)}" + (" (and surveys with few answers)" if rare else "")
    lines = [f"**Outcome:** {escape(name)}{asked}{where}."]
    counted = (f"**n:** the {a.n:,} responses that answered it and at least one driver shown; each driver's n, "
               "those that answered both")
    if index_n is not None and index_n != a.n:
        counted += (f". The {escape(model.index.name)}'s tile counts every response that answered it "
                    f"({index_n:,}), rated a driver or not")
    lines.append(counted + ".")
    shown = [d for d in a.drivers if d.status != "hidden"]
    rated = list(dict.fromkeys(d.predictor.measure for d in shown if d.predictor.node))
    perf = "**Performance:** a driver's mean answer on 0–100 (100 = the best answer)"
    if rated:
        qs = [f"*{escape(model.measures[k].name)}*, {model.measures[k].scale[0]:g}–{model.measures[k].scale[1]:g}"
              for k in rated if k in model.measures]
        perf += f"; a touchpoint's, its rating in these same responses ({'; '.join(qs)})"
    lines.append(perf + ".")
    # The touchpoints' tiles on the pyramid: what they show instead, with one example in figures.
    tiles = tiles or {}
    asked_here = {d.predictor.measure for d in a.drivers} | {vd.outcome}
    for d in shown:
        t = tiles.get(d.predictor.node) if d.predictor.node else None
        if t is None or t.kpi.measure == d.predictor.measure:
            continue
        tm = model.measures.get(t.kpi.measure)
        what = f"{escape(t.kpi.name)} ({STAT_NAMES.get(t.kpi.stat, t.kpi.stat)} of *{escape(tm.name if tm else t.kpi.measure)}*)"
        other = "" if t.kpi.measure in asked_here else ", a question these responses were not asked"
        text = f"The pyramid's touchpoint tiles show {what} instead{other}, so their figures differ"
        if t.shown and t.current.value is not None and d.performance is not None and d.status == "ok":
            from .formats import stat_text

            text += (f": {escape(d.predictor.name)} reads {d.performance:.1f} here (n {d.n:,}) and "
                     f"{stat_text(t.current.value, t.kpi.stat)} on its tile (n = {t.current.n:,})")
        lines.append(text + ".")
        break
    return lines


def table(a: Analysis) -> "object":
    """The drivers shown, as the page's table: each figure its own column, the mean with its scale
    ('3.67/5'), the interval as one text, a note only where a driver has few responses. Ten
    columns of numbers and a long name cut the name ('Ease of doing business (relations…') and the
    last column at 1400 px (found in a review)."""
    import pandas as pd

    rows = []
    for d in a.drivers:
        if d.status == "hidden":
            continue
        lo, hi = d.predictor.scale
        if d.mean is None:
            mean = None
        elif (lo, hi) == (0, 1):  # a yes/no question: its mean is the share of yes ('0.79/1' read as a score)
            mean = f"{100 * d.mean:.0f}% yes"
        else:
            mean = f"{d.mean:.2f}" + (f"/{hi:g}" if lo in (0, 1) else f" ({lo:g}–{hi:g})")
        rows.append({
            "Driver": d.predictor.name,
            "Importance %": None if d.share is None else round(d.share, 1),
            "95% CI": "—" if d.share_low is None else f"{d.share_low:.1f}–{d.share_high:.1f}",
            "Correlation": None if d.r is None else round(d.r, 3),
            "Performance": None if d.performance is None else round(d.performance, 1),
            "Mean answer": mean or "—",
            "n": d.n,
            "Priority": QUADRANT_NAMES.get(d.quadrant, "") if d.quadrant else "",
            "Note": "few responses" if d.status == "low_n" else "",
        })
    out = pd.DataFrame(rows, columns=["Driver", "Importance %", "95% CI", "Correlation", "Performance", "Mean answer",
                                      "n", "Priority", "Note"])
    return out if (out["Note"] != "").any() else out.drop(columns=["Note"])
