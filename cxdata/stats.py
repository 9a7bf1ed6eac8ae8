"""Statistics every tile obeys (PRODUCT.md), computed from addable sufficient statistics.

A cell (node x measure x period) is summarised by :class:`Moments` - counts and sums that add
exactly - so the same code serves raw rows, stored rollups and any SQL engine: an engine only
has to produce ``count(v), sum(v), sum(v*v), count_if(v >= hi_min), count_if(v <= lo_max)``.

Units, used consistently so callers never rescale by hand:

* ``Estimate.value`` - NPS in points (-100..100), proportions in percent (0..100), means in
  scale units.
* ``Estimate.variance`` - the per-observation variance *in the value's units squared*
  (NPS: 100**2 * (p + d - (p - d)**2), proportions: 100**2 * p(1-p), mean: sample variance),
  so ``Estimate.se == sqrt(variance / n)`` is the standard error of ``value`` for every stat.

Pure stdlib on purpose: the t and normal distributions are implemented here (incomplete beta by
continued fraction, Acklam's normal quantile polished by Halley) so no scipy is needed.
"""
from __future__ import annotations

import dataclasses

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, Sequence

__all__ = [
    "Moments", "Estimate", "Change", "Suppression",
    "estimate", "nps", "proportion", "mean", "change",
    "composite", "composite_change",
    "cell_status", "suppress_partition",
    "t_cdf", "t_quantile", "normal_cdf", "normal_quantile", "z_for",
]

STATS = ("nps", "top_box", "yes_rate", "mean")
PROPORTION_STATS = ("top_box", "yes_rate")


# --------------------------------------------------------------------------- sufficient statistics

@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of one cell; ``a + b`` is the cell of the union of a's and b's rows."""

    n: int = 0        # non-missing answers
    s1: float = 0.0   # sum of values
    s2: float = 0.0   # sum of squared values
    hi: int = 0       # answers in the top box (NPS promoters, CSAT 4-5, yes)
    lo: int = 0       # answers in the bottom box (NPS detractors)

    def __post_init__(self):
        # Subtraction (segment vs rest) makes bad input possible; fail loudly, not with a wrong CI.
        if self.n < 0 or self.hi < 0 or self.lo < 0 or self.hi + self.lo > self.n:
            raise ValueError(f"inconsistent Moments: {self!r}")

    def __add__(self, other: "Moments") -> "Moments":
        if not isinstance(other, Moments):
            return NotImplemented
        return Moments(self.n + other.n, self.s1 + other.s1, self.s2 + other.s2,
                       self.hi + other.hi, self.lo + other.lo)

    def __radd__(self, other):
        # lets plain sum(cells) work (it starts from 0)
        if other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: "Moments") -> "Moments":
        if not isinstance(other, Moments):
            return NotImplemented
        return Moments(self.n - other.n, self.s1 - other.s1, self.s2 - other.s2,
                       self.hi - other.hi, self.lo - other.lo)

    @classmethod
    def from_values(cls, values: Iterable[float | None], hi_min: float | None = None,
                    lo_max: float | None = None) -> "Moments":
        """Moments of raw values; None/NaN are missing answers. Boxes are inclusive bounds."""
        n = hi = lo = 0
        s1 = s2 = 0.0
        for v in values:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            v = float(v)
            n += 1
            s1 += v
            s2 += v * v
            hi += hi_min is not None and v >= hi_min
            lo += lo_max is not None and v <= lo_max
        return cls(n, s1, s2, hi, lo)

    @classmethod
    def from_sums(cls, n=0, s1=0.0, s2=0.0, hi=0, lo=0) -> "Moments":
        """From an engine row: SUM over zero rows is NULL, HUGEINT/Decimal come back as int/Decimal."""
        return cls(int(n or 0), float(s1 or 0.0), float(s2 or 0.0), int(hi or 0), int(lo or 0))


@dataclass(frozen=True)
class Estimate:
    stat: str                        # 'nps' | 'top_box' | 'yes_rate' | 'mean' | 'composite'
    n: int
    value: float | None              # None when n == 0
    ci_low: float | None = None
    ci_high: float | None = None
    variance: float | None = None    # per observation, in value units squared (see module doc)

    @property
    def se(self) -> float | None:
        """Standard error of ``value`` (value units)."""
        if self.variance is None or self.n <= 0:
            return None
        return math.sqrt(self.variance / self.n)


@dataclass(frozen=True)
class Change:
    delta: float | None       # current.value - previous.value, value units
    z: float | None           # z (NPS, composites) or Welch t (means, proportions)
    significant: bool
    df: float | None = None   # Welch-Satterthwaite df of a t test; None for a normal z
    exact_p: float | None = None  # the permutation p-value where no z exists (see _constant_sides)

    @property
    def p_value(self) -> float | None:
        """Two-sided. Computed on demand: a view decides significance for thousands of cells from
        the critical value, and only the cells someone inspects need the tail probability."""
        if self.z is None:
            return self.exact_p
        if self.df is None:
            return 2.0 * normal_cdf(-abs(self.z))
        return 2.0 * t_cdf(-abs(self.z), self.df)


# Decimals a value is shown with, per statistic (tiles, tables, the CLI): a mean 4.20, a share 79.0%,
# an NPS +25.9. A target is judged on the value as shown (pyramid.target_status).
DECIMALS = {"nps": 1, "top_box": 1, "yes_rate": 1, "mean": 2, "composite": 1}


def round_half_up(x: float, digits: int) -> float:
    """`x` to `digits` decimals as by hand: a half goes away from zero (an NPS of 12.25 shows
    12.3, where Python's round() gives 12.2), judged on x's shortest decimal form (43.75, not the
    binary 43.7499999...). Every value shown, and a target judged on it, is rounded here."""
    x = float(x)  # numpy's floats too (their repr is 'np.float64(...)')
    if not math.isfinite(x):
        return x
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def shown(x: float, stat: str) -> float:
    """`x` rounded as a value of `stat` is shown (DECIMALS)."""
    return round_half_up(x, DECIMALS.get(stat, 2))


def shown_change(current: float, previous: float, stat: str) -> float:
    """The change as shown: the difference of the two values as shown, so that a tile reading
    +5.8 against 15.4 says -9.6 (the unrounded -9.699 rounded to -9.7 beside them, found by a new
    user's walk). Whether it is significant is judged on the unrounded values."""
    d = Decimal(repr(shown(current, stat))) - Decimal(repr(shown(previous, stat)))
    return float(d) + 0.0  # (-0.0 is no change either)


# --------------------------------------------------------------------------- estimates

@functools.lru_cache(maxsize=16)
def z_for(confidence: float) -> float:
    """Two-sided normal critical value, e.g. 1.95996 for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return normal_quantile(0.5 + confidence / 2.0)


def nps(m: Moments, confidence: float = 0.95) -> Estimate:
    """Plain NPS as the value; adjusted-Wald interval (add 3 pseudo-answers: 3/4 promoter,
    3/4 detractor, 3/2 passive), which keeps its coverage near 0 and +-100 and for small n."""
    if m.n == 0:
        return Estimate("nps", 0, None)
    p, d = m.hi / m.n, m.lo / m.n
    n_adj = m.n + 3
    pa, da = (m.hi + 0.75) / n_adj, (m.lo + 0.75) / n_adj
    centre = pa - da
    half = z_for(confidence) * math.sqrt(max(pa + da - centre * centre, 0.0) / n_adj)
    # 100 (P - D) / n, not 100 (P/n - D/n): an NPS of exactly 43.75 came out as 43.7499999...
    return Estimate("nps", m.n, 100.0 * (m.hi - m.lo) / m.n,
                    max(-100.0, 100.0 * (centre - half)), min(100.0, 100.0 * (centre + half)),
                    1e4 * max(p + d - (p - d) ** 2, 0.0))


def proportion(m: Moments, stat: str = "top_box", confidence: float = 0.95) -> Estimate:
    """Share of answers in the top box, in percent, with the Wilson score interval."""
    if stat not in PROPORTION_STATS:
        raise ValueError(f"not a proportion stat: {stat!r}")
    if m.n == 0:
        return Estimate(stat, 0, None)
    n, p = m.n, m.hi / m.n
    z = z_for(confidence)
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # clamping only removes rounding dust at p = 0 or 1, where Wilson touches the bound exactly
    return Estimate(stat, n, 100.0 * m.hi / n, 100.0 * max(0.0, centre - half),
                    100.0 * min(1.0, centre + half), 1e4 * p * (1.0 - p))


def _sample_variance(m: Moments) -> float | None:
    if m.n < 2:
        return None
    # For constant data s2 - s1^2/n comes out as a rounding residue (3 x 0.1: 1e-18, of either
    # sign) instead of 0: below a relative 1e-12 of s2 it is the residue, and the variance is 0
    # (a change between two constant sides is then decided by the exact test, not by z = 1e8).
    ss = m.s2 - m.s1 * m.s1 / m.n
    if ss <= 1e-12 * abs(m.s2):
        return 0.0
    return ss / (m.n - 1)


def mean(m: Moments, confidence: float = 0.95) -> Estimate:
    """Mean with a Student t interval (n-1 df); a single answer has a value but no interval."""
    if m.n == 0:
        return Estimate("mean", 0, None)
    value = m.s1 / m.n
    var = _sample_variance(m)
    if var is None:
        return Estimate("mean", m.n, value)
    half = t_quantile(0.5 + confidence / 2.0, m.n - 1) * math.sqrt(var / m.n)
    return Estimate("mean", m.n, value, value - half, value + half, var)


def bounded(est: Estimate, lo: float, hi: float) -> Estimate:
    """`est` with its interval cut to the values the KPI can take: a t interval of a few spread
    answers on a 1-5 scale reaches below 0 (found by an audit on a weekly trend), and no reader
    can make sense of that. The variance, and so every test of a change, stays as it was."""
    if est.ci_low is None or est.ci_high is None or (est.ci_low >= lo and est.ci_high <= hi):
        return est
    return dataclasses.replace(est, ci_low=min(max(est.ci_low, lo), hi), ci_high=max(min(est.ci_high, hi), lo))


def estimate(stat: str, m: Moments, confidence: float = 0.95) -> Estimate:
    if stat == "nps":
        return nps(m, confidence)
    if stat in PROPORTION_STATS:
        return proportion(m, stat, confidence)
    if stat == "mean":
        return mean(m, confidence)
    raise ValueError(f"unknown stat {stat!r}; expected one of {STATS}")


# --------------------------------------------------------------------------- change tests

def _constant_sides(delta: float, n1: int, n2: int, confidence: float) -> Change:
    """Both sides without spread (every answer of a side in one class, or of one value): the
    standard error is zero and no z exists, yet 30 promoters against 30 detractors is no chance
    result. The exact permutation test decides: of the C(n1+n2, n1) ways to split the pooled
    answers into groups of n1 and n2, only the observed split (and its mirror image when
    n1 == n2) is as extreme, so p = 1 or 2 over C(n1+n2, n1) (Fisher's exact test for a 2x2
    table of this shape). 2 against 2 gives p = 1/3; 5 against 5, 0.008."""
    if delta == 0:
        return Change(delta, None, False)
    log_splits = math.lgamma(n1 + n2 + 1) - math.lgamma(n1 + 1) - math.lgamma(n2 + 1)
    p = min(1.0, (2.0 if n1 == n2 else 1.0) * math.exp(-log_splits))
    return Change(delta, None, p < 1.0 - confidence, exact_p=p)


def _normal_change(delta: float, se2: float, confidence: float, n1: int | None = None,
                   n2: int | None = None) -> Change:
    """`n1`, `n2` where the permutation test applies to sides without spread (not composites)."""
    if not se2 > 0.0:
        return Change(delta, None, False) if n1 is None or n2 is None else _constant_sides(delta, n1, n2, confidence)
    z = delta / math.sqrt(se2)
    return Change(delta, z, abs(z) > z_for(confidence))


def change(stat: str, current: Moments, previous: Moments, confidence: float = 0.95, *,
           estimates: tuple[Estimate, Estimate] | None = None) -> Change:
    """Is ``current`` different from ``previous``? Unpooled tests throughout:

    * NPS: z = delta / sqrt(V1/n1 + V2/n2), V = p + d - (p - d)^2 with the plain shares,
      p-value from the normal;
    * mean: Welch t with Welch-Satterthwaite df, p-value from the t distribution;
    * proportions: the same Welch test on the 0/1 top-box indicator, i.e. unpooled with the
      *sample* variance p(1-p) * n/(n-1) (not the plug-in p(1-p) kept in Estimate.variance).

    The conventions are the fixture truth's (tests/fixtures/samples/truth.json): the CSAT-mean
    team changes are Welch (Delivery - Tehran Hub 2025-Q3 -> Q4: t = -20.35); the Zendesk
    'good %' changes need the n/(n-1) factor (Call Center - Europe: 1.59; plug-in variance gives
    1.60, pooled 1.58); the lowest-NPS-segment z needs V exactly as above (with n-1 the
    Qualtrics SMB z would be -13.20, not -13.21). For large n the variants agree anyway.
    A side with n < 2 gives the delta only; zero variance on both sides, the exact permutation
    test (`_constant_sides`).
    """
    # `estimates`: the two estimates at this confidence, when the caller has them already.
    cur, prev = estimates or (estimate(stat, current, confidence), estimate(stat, previous, confidence))
    if cur.value is None or prev.value is None:
        return Change(None, None, False)
    delta = _exact_delta(stat, current, previous, cur.value - prev.value)
    n1, n2 = current.n, previous.n
    if n1 < 2 or n2 < 2:
        return Change(delta, None, False)
    a, b = cur.variance / n1, prev.variance / n2           # squared standard errors
    if stat == "nps":
        return _normal_change(delta, a + b, confidence, n1, n2)
    if stat in PROPORTION_STATS:
        a, b = a * n1 / (n1 - 1), b * n2 / (n2 - 1)
    se2 = a + b
    if not se2 > 0.0:
        return _constant_sides(delta, n1, n2, confidence)
    t = delta / math.sqrt(se2)
    df = se2 * se2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    if df >= _DF_SERIES:
        # |t| beyond the critical value is the same decision as p < alpha, and the quantile's
        # series is far cheaper than the tail's continued fraction at large df.
        return Change(delta, t, abs(t) > t_quantile(0.5 + confidence / 2.0, df), df)
    return Change(delta, t, 2.0 * t_cdf(-abs(t), df) < 1.0 - confidence, df)


def _exact_delta(stat: str, current: Moments, previous: Moments, approx: float) -> float:
    """The change as one division of whole numbers where the values are ratios of counts (or of
    whole sums): the difference of the two values' floats can land a hair beside an exact half
    (31/48 - 19/30 = 1.25 came out 1.2499999999999929) and be rounded down on screen."""
    n1, n2 = current.n, previous.n
    if stat == "nps":
        a, b = current.hi - current.lo, previous.hi - previous.lo
    elif stat in PROPORTION_STATS:
        a, b = current.hi, previous.hi
    elif stat == "mean" and float(current.s1).is_integer() and float(previous.s1).is_integer():
        a, b = int(current.s1), int(previous.s1)
    else:
        return approx
    scale = 1 if stat == "mean" else 100
    exact = scale * (a * n2 - b * n1) / (n1 * n2)
    # Only where the values are these ratios (a model's own statistic would not be).
    return exact if abs(exact - approx) <= 1e-9 * max(1.0, abs(approx)) else approx


# --------------------------------------------------------------------------- composite index

_FIXED_RANGE = {"nps": (-100.0, 100.0), "top_box": (0.0, 100.0), "yes_rate": (0.0, 100.0)}


def _index_part(weight: float, est: Estimate, scale: tuple[float, float]):
    """(weight, value on 0..100, se on 0..100 or None, n) for a part with a value."""
    lo_, hi_ = float(scale[0]), float(scale[1])
    if not hi_ > lo_:
        raise ValueError(f"bad scale {scale!r}")
    fixed = _FIXED_RANGE.get(est.stat)
    if fixed is not None and (lo_, hi_) != fixed:
        # catches the easy mistake of passing the question's 0-10 scale for an NPS value
        raise ValueError(f"{est.stat} values live on {fixed}, got scale {scale!r}")
    k = 100.0 / (hi_ - lo_)
    se = est.se if est.n >= 2 else None    # one answer says nothing about spread
    return weight, (est.value - lo_) * k, None if se is None else se * k, est.n


def _combine(used, confidence: float) -> Estimate:
    total_w = sum(w for w, _, _, _ in used)
    n = sum(pn for _, _, _, pn in used)
    if not used or total_w <= 0.0:
        return Estimate("composite", n, None)
    value = sum(w * v for w, v, _, _ in used) / total_w
    if any(se is None for _, _, se, _ in used):
        return Estimate("composite", n, value)
    var = sum((w * se) ** 2 for w, _, se, _ in used) / total_w ** 2
    half = z_for(confidence) * math.sqrt(var)
    # variance * n keeps Estimate.se == sqrt(variance / n) true for composites too
    return Estimate("composite", n, value, max(0.0, value - half), min(100.0, value + half),
                    var * n if n > 0 else None)


def _parts(parts) -> list:
    out = []
    for weight, est, scale in parts:
        if weight < 0:
            raise ValueError(f"negative weight {weight}")
        if est.value is not None and weight > 0:
            out.append(_index_part(float(weight), est, scale))
    return out


def composite(parts: Sequence[tuple[float, Estimate, tuple[float, float]]],
              confidence: float = 0.95) -> Estimate:
    """Weighted 0-100 index. Each part is (weight, estimate, (min, max) of the estimate's value):
    (-100, 100) for NPS, (0, 100) for proportions, the answer scale, e.g. (1, 5), for means.
    Parts without a value are dropped and the weights renormalised. Interval by the delta method
    assuming independent parts; it is None if any used part has n < 2."""
    return _combine(_parts(parts), confidence)


def composite_change(parts_current, parts_previous, confidence: float = 0.95) -> Change:
    """Change of the composite: the index of each period as shown (from the parts with a value
    in that period), so that the change is the difference of the two figures on screen. Parts
    are paired by position; where a part has a value in one period only, the change is reported
    but not tested: part of it is a change of what is measured, which no sampling error explains."""
    cur = _combine(_parts(parts_current), confidence)
    prev = _combine(_parts(parts_previous), confidence)
    if cur.value is None or prev.value is None:
        return Change(None, None, False)
    delta = cur.value - prev.value
    same_parts = len(parts_current) == len(parts_previous) and all(
        (c[1].value is None) == (p[1].value is None) for c, p in zip(parts_current, parts_previous))
    if cur.se is None or prev.se is None or not same_parts:
        return Change(delta, None, False)
    return _normal_change(delta, cur.se ** 2 + prev.se ** 2, confidence)


# --------------------------------------------------------------------------- minimum n

@dataclass(frozen=True)
class Suppression:
    privacy_min_n: int = 5        # below: hidden (no value, no n)
    reliability_min_n: int = 30   # below: shown, flagged low reliability

    def __post_init__(self):
        if self.privacy_min_n < 0 or self.reliability_min_n < 0:
            raise ValueError("thresholds must be >= 0")


def cell_status(n: int, rules: Suppression = Suppression()) -> str:
    """'hidden' | 'low_n' | 'ok'. An empty cell (n == 0) is 'hidden': there is nothing to show."""
    if n < rules.privacy_min_n:
        return "hidden"
    if n < rules.reliability_min_n:
        return "low_n"
    return "ok"


def fewest_respondents(n: int, most: int | None, touchpoint_ns: Iterable[int] = ()) -> int:
    """The fewest respondents `n` answers can come from when one gives at most `most` of them
    (None: as many as may be) and each touchpoint's answers (`touchpoint_ns`) are one per
    respondent: the larger of the two bounds. What the minimum-n rules read, so that three
    customers' six answers are not shown as a group of six."""
    if n <= 0:
        return 0
    return max(-(-n // most) if most else 1, max(touchpoint_ns, default=0))


def suppress_partition(parent_n: int, children: Mapping[str, int],
                       rules: Suppression = Suppression(), shown: Iterable[str] | None = None,
                       *, parent_hidden: bool = False, residual_shown: bool = False,
                       overlapping: bool = False, answers: Mapping[str, int] | None = None,
                       most: int | None = None) -> set[str]:
    """Keys of ``children`` (a partition of the parent) that must be hidden, primary and
    complementary.

    Rule: a viewer who sees the parent and the visible children can compute exactly one more
    number, the *unknown total* X = parent_n - sum(visible children) (and the matching sums of
    values), which covers every hidden child plus the residual parent_n - sum(children) (rows in
    no child, e.g. a blank segment). We hide primary cells (0 < n < privacy_min_n) and then,
    while 0 < X < privacy_min_n, also hide the smallest visible child. So whatever can be
    derived by subtraction describes nobody or at least privacy_min_n respondents, like any
    shown cell, and a hidden child is never alone in X. Consequences: one small child among big
    ones takes the next smallest child with it; two small children protect each other only if
    they add up to privacy_min_n (1 + 1 would pin both to 1); a residual protects a lone hidden
    child when the two add up to privacy_min_n, and a small residual on its own (0 < r < min)
    is itself protected by hiding a child. Empty children (n == 0) are returned as hidden but
    protect nothing, since an absent category is usually visibly absent.

    ``shown``: keys still displayed (e.g. during iterative suppression of a cross-tab); other
    children count as already hidden. ``parent_hidden``: the parent is hidden for another
    reason. A hidden parent hides all children, else adding them up would rebuild it.
    ``residual_shown``: the residual is displayed elsewhere, so it protects nothing.
    If X stays below the threshold with every child hidden (a small non-empty total next to a
    shown residual) all children are hidden; only hiding the parent would do more.
    ``overlapping``: one respondent may be in several children and in the residual (the index's
    or a journey's touchpoints, each rated in one response): ``children`` then count each child's
    respondents, ``answers`` its answers (default: the same), ``parent_n`` the parent's answers,
    and a respondent gives at most ``most`` of them (None: as many as may be). X then holds at
    least its largest hidden child's respondents, and at least its answers over ``most``, not the
    sum of its parts, and that is what must reach the threshold.
    """
    k = rules.privacy_min_n
    if any(n < 0 for n in children.values()):
        raise ValueError("negative child n")
    answers = answers if overlapping and answers is not None else children
    residual = parent_n - sum(answers.values())
    if residual < 0:
        raise ValueError("children add up to more than the parent: not a partition")
    if parent_hidden or parent_n < k:
        return set(children)
    hidden = {key for key, n in children.items() if n < k}
    if shown is not None:
        hidden |= set(children) - set(shown)
    rest = 0 if residual_shown else residual

    def unknown(keys) -> int:
        if not overlapping:
            return sum(children[key] for key in keys) + rest
        pooled = sum(answers[key] for key in keys) + rest
        if not pooled:
            return 0
        return fewest_respondents(pooled, most, (children[key] for key in keys))

    while 0 < unknown(hidden) < k:
        visible = [(n, key) for key, n in children.items() if key not in hidden and n > 0]
        if not visible:
            break
        # Least information lost; ties broken by key, deterministic. Overlapping, only a child
        # that brings X up to the threshold on its own: the smallest such, else the largest.
        enough = [(n, key) for n, key in visible if unknown(hidden | {key}) >= k]
        n, key = (min(enough) if enough else max(visible)) if overlapping else min(visible)
        hidden.add(key)
    return hidden


# --------------------------------------------------------------------------- distributions

def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)


@functools.lru_cache(maxsize=64)
def normal_quantile(p: float) -> float:
    """Inverse standard normal CDF: Acklam's rational approximation (1e-9) plus one Halley
    step on erfc, which brings it to full double precision."""
    if not 0.0 < p < 1.0:
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        raise ValueError(f"p must be in [0, 1], got {p}")
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    elif p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
              / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    else:
        q = p - 0.5
        r = q * q
        x = ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
             / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))
    e = normal_cdf(x) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta (modified Lentz, Numerical Recipes betacf)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    # converges in O(sqrt(max(a, b))) steps; the cap allows Welch df of tens of millions
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def _log_beta(a: float, b: float) -> float:
    big = max(a, b)
    if min(a, b) == 0.5 and big >= 100.0:
        # lgamma(big) ~ big*log(big) would swamp the O(log big) difference at large t df;
        # use the asymptotic series of log(Gamma(a + 1/2) / Gamma(a)) instead
        r = 1.0 / big
        r2 = r * r
        ratio = 0.5 * math.log(big) - r * (0.125 - r2 * (1 / 192 - r2 * (1 / 640 - r2 * 17 / 14336)))
        return math.lgamma(0.5) - ratio
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_inc(a: float, b: float, x: float, y: float) -> float:
    """Regularised I_x(a, b), with y = 1 - x passed separately so tiny tails keep precision."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    # log1p near 1: a*log(x) with a ~ df/2 in the millions would magnify x's rounding
    log_x = math.log1p(-y) if y < 0.5 else math.log(x)
    log_y = math.log1p(-x) if x < 0.5 else math.log(y)
    log_front = a * log_x + b * log_y - _log_beta(a, b)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_cf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_cf(b, a, y) / b


# Above this df the continued fraction loses ~eps*df to cancellation, while the first terms of
# the 1/df expansion around the normal are exact to ~1e-13 for any practically relevant t.
_DF_ASYMPTOTIC = 1e7
_DF_SERIES = 1000.0


def _t_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    t2 = t * t
    return 0.5 * _beta_inc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


def t_cdf(x: float, df: float) -> float:
    """Student t CDF for any df > 0 (not necessarily an integer)."""
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df}")
    if df >= _DF_ASYMPTOTIC:
        return normal_cdf(x - x * (x * x + 1.0) / (4.0 * df))
    tail = _t_tail(abs(x), df)
    return tail if x < 0 else 1.0 - tail


def _t_pdf(t: float, df: float) -> float:
    return math.exp(math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0)
                    - 0.5 * math.log(df * math.pi)
                    - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def t_quantile(p: float, df: float) -> float:
    """Inverse Student t CDF. Start from the Cornish-Fisher expansion (A&S 26.7.5), then Newton
    on the upper tail. For t > 0 the tail is convex, so after the first step the iterates
    approach the root from below and cannot overshoot, even for heavy tails (df near 1)."""
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df}")
    if not 0.0 < p < 1.0:
        if p in (0.0, 1.0):
            return math.copysign(math.inf, p - 0.5)
        raise ValueError(f"p must be in [0, 1], got {p}")
    if p == 0.5:
        return 0.0
    q = min(p, 1.0 - p)            # upper-tail probability of |t|
    z = -normal_quantile(q)
    z2 = z * z
    t = z + (z * (z2 + 1.0) / 4.0
             + z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df)
             + z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * df * df)
             + z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / (92160.0 * df ** 3)) / df
    last = math.inf
    if df >= _DF_SERIES:
        # With four terms the series is exact to ~1e-11 here, and a tile's interval needs one
        # quantile per cell: skipping Newton on the incomplete beta makes the statistics 6x cheaper.
        return t if p > 0.5 else -t
    for _ in range(200):
        step = (_t_tail(t, df) - q) / _t_pdf(t, df)
        if t + step <= 0.0:        # a big first step from above; restart inside the bracket
            step = -t / 2.0
        # converged, or, once close, steps stopped shrinking: that is the tail's rounding noise
        small = abs(step) <= 1e-9 * max(1.0, t)
        if abs(step) <= 1e-14 * max(1.0, t) or (small and abs(step) >= last):
            break
        t += step
        last = abs(step)
    return t if p > 0.5 else -t
