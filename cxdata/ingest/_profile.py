"""What a column's values look like, computed column-at-a-time with pyarrow.

Only distinct values are examined in Python (there are few of them in survey answers), so
profiling a million-row column costs one `value_counts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ._text import ascii_digits, key, parts, without_percent
from ._timestamps import MONTH_DATE
from ._vocab import (SUMMARY_ROWS, NOT_A_RESPONSE, NOT_APPLICABLE, NPS_GROUPS, NPS_WORDS, SCALES, Scale,
                     leading_score, no_stars)

MAX_DISTINCT = 2000  # above this a column is free text / ids; labels are not examined
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|" + MONTH_DATE.removeprefix("(?i)"), re.IGNORECASE)
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?$")
# Amounts written with thousands groups ('1 165,16', '12,345.50'): numbers, not labels.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d+)?$")


def number(text: str) -> float | None:
    """Strict number of an answer: digits (any script), optional sign and one decimal mark.

    '1e1', 'NaN', '2,5,1' and words are not numbers here: an answer is never guessed.
    """
    k = without_percent(ascii_digits(str(text)))
    if not _NUMBER.match(k):
        return None
    return float(k.replace(",", "."))


@dataclass
class Profile:
    n: int = 0  # non-empty cells
    n_distinct: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # value -> count (<= MAX_DISTINCT)
    numbers: dict[str, float] = field(default_factory=dict)  # numeric distinct values
    grouped: int = 0  # numbers written with thousands separators
    sample: list[str] = field(default_factory=list)  # first distinct values
    not_applicable: list[str] = field(default_factory=list)
    not_a_response: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # distinct non-numeric, non-N/A values
    date_share: float = 0.0
    time_share: float = 0.0
    avg_len: float = 0.0
    max_count: int = 0

    @property
    def numeric(self) -> bool:
        return bool(self.numbers) and not self.labels

    @property
    def mostly_numeric(self) -> bool:
        """Numbers with a few stray words ('ten', 'NaN'): still a numeric question."""
        if not self.numbers:
            return False
        nums = sum(self.counts.get(v, 1) for v in self.numbers)
        words = sum(self.counts.get(v, 1) for v in self.labels)
        return nums >= 0.6 * (nums + words)

    def fits(self, lo: float, hi: float, share: float = 0.5) -> bool:
        """Whole numbers within [lo, hi] make up at least `share` of the numeric answers."""
        total = sum(self.counts.get(v, 1) for v in self.numbers)
        inside = sum(self.counts.get(v, 1) for v, x in self.numbers.items()
                     if x.is_integer() and lo <= x <= hi)
        return total > 0 and inside >= share * total

    @property
    def integers(self) -> bool:
        return self.numeric and all(v.is_integer() for v in self.numbers.values())

    @property
    def lo(self) -> float:
        return min(self.numbers.values()) if self.numbers else 0.0

    @property
    def hi(self) -> float:
        return max(self.numbers.values()) if self.numbers else 0.0

    @property
    def unique(self) -> bool:
        return self.n > 0 and self.max_count == 1

    @property
    def free_text(self) -> bool:
        if not self.labels:
            return False
        spaced = sum(" " in lbl.strip() for lbl in self.labels) / len(self.labels)
        return self.avg_len >= 12 and spaced > 0.5 and self.n_distinct > min(30, self.n / 3)

    @property
    def nps_groups(self) -> bool:
        return bool(self.labels) and all(key(v) in NPS_GROUPS for v in self.labels)


def profile(arr: pa.ChunkedArray | pa.Array) -> Profile:
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    vc = pc.value_counts(pc.drop_null(arr))
    p = Profile()
    if len(vc) == 0:
        return p
    values, counts = vc.field("values"), vc.field("counts")
    p.n = int(pc.sum(counts).as_py())
    p.n_distinct = len(vc)
    p.max_count = int(pc.max(counts).as_py())
    sample = values if len(values) <= MAX_DISTINCT else values.slice(0, MAX_DISTINCT)
    lens = pc.utf8_length(sample)
    p.avg_len = float(pc.mean(lens).as_py() or 0)
    s_vals = sample.to_pylist()
    p.sample = s_vals[:50]
    folded = [ascii_digits(v) for v in s_vals]
    p.date_share = sum(bool(_DATE.search(v)) for v in folded) / len(s_vals)
    p.time_share = sum(bool(_TIME.match(v)) for v in folded) / len(s_vals)
    if len(values) > MAX_DISTINCT:
        numeric = [number(v) for v in s_vals]
        if all(x is not None or _GROUPED.match(f) for x, f in zip(numeric, folded)):
            p.numbers = {v: (x if x is not None else 1000.0) for v, x in zip(s_vals, numeric)}
            p.grouped = sum(x is None for x in numeric)
        else:
            p.labels = [v for v, x in zip(s_vals, numeric) if x is None]
        return p
    for v, c, f in zip(s_vals, counts.to_pylist(), folded):
        p.counts[v] = c
        k = key(v)
        x = number(v)
        if x is None and _GROUPED.match(f):
            p.grouped += 1
            x = 1000.0  # only its kind matters for profiling; parsing happens later
        if x is not None and k not in NOT_APPLICABLE:  # '-99': a missing-value code
            p.numbers[v] = x
        elif any(key(part) in NOT_APPLICABLE for part in parts(v)) or no_stars(v):
            p.not_applicable.append(v)
        elif k in NOT_A_RESPONSE:
            p.not_a_response.append(v)
        else:
            p.labels.append(v)
    return p


@dataclass
class ScaleMatch:
    scale: Scale | None  # None for end-labelled numeric scales ('10 - Extremely likely')
    value_map: dict[str, float | None]
    coverage: float  # share of the scale's points present
    unknown: tuple[str, ...] = ()  # labels of the column the scale does not have (a partial match)


def match_scale_mostly(p: Profile, candidates: tuple[Scale, ...] = SCALES) -> ScaleMatch | None:
    """The known scale whose labels cover at least three of the column's labels and two thirds
    of its answers, for a column whose header names what it measures: one label missing from the
    vocabulary ('Extremadamente insatisfecho') must not turn a satisfaction question into a
    segment. The labels it lacks are left out of the value map (their answers are reported as not
    counted) and named in `unknown`. For a column `match_scale` found no scale for (its caller has
    just asked)."""
    if not p.labels:
        return None
    total = sum(p.counts.get(v, 1) for v in p.labels)
    best: ScaleMatch | None = None
    for scale in candidates:
        if not _needs_met(scale, p):
            continue
        mapped = {lbl: label_value(scale, lbl) for lbl in p.labels}
        known = {lbl: v for lbl, v in mapped.items() if v is not None}
        share = sum(p.counts.get(v, 1) for v in known) / total if total else 0.0
        if len(set(known.values())) < 3 or share < 2 / 3:
            continue
        if best is None or share > best.coverage + 1e-9:
            best = ScaleMatch(scale, {**known, **{na: None for na in p.not_applicable}}, share,
                              tuple(sorted(lbl for lbl in mapped if mapped[lbl] is None)))
    return best


def _needs_met(scale: Scale, p: Profile) -> bool:
    return not scale.needs or any(key(part) in scale.needs for lbl in p.labels for part in parts(lbl))


def label_value(scale: Scale, label: str) -> float | None:
    for part in parts(label):
        v = scale.labels.get(key(part))
        if v is not None:
            return v
    return None


def match_scale(p: Profile, candidates: tuple[Scale, ...] = SCALES) -> ScaleMatch | None:
    """The known scale whose labels cover every label in the column (best coverage wins)."""
    if not p.labels:
        return None
    best: ScaleMatch | None = None
    for scale in candidates:
        if not _needs_met(scale, p):
            continue
        mapped = {lbl: label_value(scale, lbl) for lbl in p.labels}
        if any(v is None for v in mapped.values()):
            continue
        coverage = len(set(mapped.values())) / scale.size
        if scale.whole and coverage < 1.0:
            continue
        # Prefer full coverage; on ties the smaller scale (5-point before 7-point).
        if best is None or coverage > best.coverage + 1e-9:
            best = ScaleMatch(scale, {**mapped, **{na: None for na in p.not_applicable}},
                              coverage)
    if best is not None:
        return best
    ends = {lbl: leading_score(lbl) for lbl in p.labels}
    if all(v is not None for v in ends.values()) or all(
            (v is not None) or key(lbl) in NPS_WORDS for lbl, v in ends.items()):
        vm = {lbl: (v if v is not None else NPS_WORDS[key(lbl)]) for lbl, v in ends.items()}
        return ScaleMatch(None, {**vm, **{na: None for na in p.not_applicable}}, 1.0)
    return None


SUMMARY_TAIL = 20  # closing rows looked at for a summary


def summary_tail(data: pa.Table) -> int:
    """How many of `data`'s closing rows are a summary a spreadsheet user added under the
    responses ('Average', 'Total', and blank rows between): rows with no date whose first filled
    cell is such a word, in a column of numbers or dates that holds it nowhere else. Before any
    column has a role, so that the words do not count as answers (found by an audit: an 'Average'
    under a sheet's dates, stored as serial day numbers, made the dates a 1-5 rating and every
    response lost its time). A word among words ('Average' on a Poor-Average-Good scale) is left
    to loading, which decides again knowing the roles (normalise)."""
    n, found = data.num_rows, 0
    start = max(0, n - SUMMARY_TAIL)
    for i, row in reversed(list(enumerate(data.slice(start).to_pylist(), start))):
        cells = [(c, str(v).strip()) for c, v in row.items() if v is not None and str(v).strip()]
        if not cells:
            continue
        col, word = cells[0]
        if key(word) not in SUMMARY_ROWS or any(_DATE.search(ascii_digits(v)) for _, v in cells[1:]):
            break
        arr = data.column(col)
        if int(pc.sum(pc.fill_null(pc.equal(arr, pa.scalar(row[col], arr.type)), False)).as_py() or 0) > 1:
            break
        above = [str(v).strip() for v in pc.unique(pc.drop_null(arr.slice(0, i))).to_pylist()[:50] if str(v).strip()]
        if not above or sum(number(v) is not None or bool(_DATE.search(ascii_digits(v))) for v in above) < 0.8 * len(above):
            break
        found = n - i
    return found
