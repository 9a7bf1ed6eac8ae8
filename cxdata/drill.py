"""Below a tile: a node's trend, its KPIs split by segment, and the comments behind the number."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Iterable, Mapping

import pandas as pd

from . import stats
from .model import KPI, Model, label_key
from .period import Period, add_months, quarter_start
from .pyramid import (KpiResult, NodeResult, Pyramid, assemble, fetch, in_answers, kpi_range, most_answers, narrowed_view, partitions, periods_for,
                      repeated, rules_of, suppressed_cells)
from .queries import Catalog, comment_words as _comment_words, comments, pieces, trend
from .tables import DECIMALS, kpi_record, kpi_record_columns
from .view import ViewState

TREND_BUCKETS = {"week": 26, "month": 18, "quarter": 8}


def trend_window(period: Period, grain: str) -> Period:
    """The buckets ending with the one that holds the period's last day."""
    last = period.last_day
    if grain == "week":
        end = last - timedelta(days=last.weekday()) + timedelta(days=7)
        return Period(end - timedelta(weeks=TREND_BUCKETS["week"]), end)
    if grain == "quarter":
        end = add_months(quarter_start(last), 3)
        return Period(add_months(end, -3 * TREND_BUCKETS["quarter"]), end)
    end = add_months(last.replace(day=1), 1)
    return Period(add_months(end, -TREND_BUCKETS["month"]), end)


def trend_frame(cur, model: Model, cat: Catalog, view: ViewState, *, level: str, node: str | None, kpi: KPI,
                total_hidden: bool = False, previous_hidden: bool = False) -> pd.DataFrame:
    """One row per bucket: value, 95% interval, n; buckets under the privacy threshold carry no value.
    The answers of the current period, and those of the comparison period, are partitions of what
    the node's tile shows for it, by bucket: each is protected as one (a bucket hidden in either
    is not shown), and shows nothing where the tile hides the total (`total_hidden`,
    `previous_hidden`: too few responses, or hidden to protect a neighbour)."""
    current, previous = periods_for(view, cat)
    window = trend_window(current, view.grain)
    if kpi.sources:
        view = narrowed_view(view, kpi.sources)
    periods = [(p, hidden) for p, hidden in ((current, total_hidden), (previous, previous_hidden)) if p is not None]
    # Cut at the periods' edges: a bucket straddling one comes in its parts (one scan), since its
    # whole n would protect nothing (a week with no answer in the period taken as the complement)
    # and leave the period's part of it unprotected (the tile minus the weeks inside).
    # The scan also covers what of the periods lies outside the window (a year by week shows its
    # last 26 weeks): those answers are in the tile's n but in no bucket shown, and, left out, the
    # tile minus the buckets would give away a small group among them.
    cuts = [d for p, _ in periods for d in (p.start, p.end)]
    span = Period(min(window.start, *(p.start for p, _ in periods)), max(window.end, *(p.end for p, _ in periods)))
    stretches = pieces(span, cuts)
    sums: dict = {}
    part_n: dict = {}
    for bucket, _measure, piece, n, s1, s2, hi, lo in trend(cur, model, cat, view, span, level=level, node=node,
                                                             measures=[kpi.measure], cuts=cuts):
        part_n[bucket, piece] = part_n.get((bucket, piece), 0) + int(n)
        if not window.start <= bucket < window.end:
            continue
        acc = sums.setdefault(bucket, [0, 0.0, 0.0, 0, 0])
        for i, x in enumerate((n, s1, s2, hi, lo)):
            acc[i] += x or 0
    # The index's buckets of a measure a response gives several times (each touchpoint rated)
    # count answers: the thresholds are read in respondents (found in review: three customers'
    # six answers shown as a month of six).
    rules = in_answers(rules_of(model), most_answers("all" if level == "index" else level, kpi.cell, cat.repeats))
    d = DECIMALS.get(kpi.stat, 2)
    out = []
    for bucket, (n, s1, s2, hi, lo) in sums.items():
        m = stats.Moments.from_sums(n, s1, s2, hi, lo)
        status = stats.cell_status(m.n, rules)
        est = stats.bounded(stats.estimate(kpi.stat, m), *kpi_range(model, kpi))
        shown = status != "hidden"
        out.append({
            "bucket": pd.Timestamp(bucket),
            "value": stats.round_half_up(est.value, d) if shown and est.value is not None else None,
            "ci_low": stats.round_half_up(est.ci_low, d) if shown and est.ci_low is not None else None,
            "ci_high": stats.round_half_up(est.ci_high, d) if shown and est.ci_high is not None else None,
            "n": m.n if shown else None,
            "low_n": status == "low_n" and shown,
            "suppressed": not shown,
        })
    by_bucket = {r["bucket"].date(): r for r in out}
    # A bucket straddling a period's edge shows its answers inside the period and outside it: the
    # tile (or the buckets inside) minus it gives the part outside back, which a small one must not
    # be (found by an audit: a quarter's 7 answers beside September's tile of 5 gave away July and
    # August's two answers and their scores).
    within = {i for i, s in enumerate(stretches) if any(p.start <= s.start and s.end <= p.end for p, _ in periods)}
    outside_n: dict = {}
    for (bucket, piece), n in part_n.items():
        if piece not in within:
            outside_n[bucket] = outside_n.get(bucket, 0) + n
    for bucket, r in by_bucket.items():
        inside_n = sum(n for (b, piece), n in part_n.items() if b == bucket and piece in within)
        if inside_n and 0 < outside_n.get(bucket, 0) < rules.privacy_min_n:
            r.update(value=None, ci_low=None, ci_high=None, n=None, low_n=False, suppressed=True)
    for period, hidden in periods:
        inside = {i for i, s in enumerate(stretches) if period.start <= s.start and s.end <= period.end}
        kids: dict = {}
        total = 0
        for (bucket, piece), n in part_n.items():
            if piece in inside:
                total += n
                if bucket in by_bucket:
                    kids[bucket] = kids.get(bucket, 0) + n
        if not kids:
            continue
        shown = [b for b in kids if not by_bucket[b]["suppressed"]]  # a straddling bucket hidden above is no longer
        for b in stats.suppress_partition(total, kids, rules, shown=shown, parent_hidden=hidden):
            if kids[b] > 0:
                # No reliability flag either: 'fewer than 30' on a gap hidden to protect a neighbour
                # told it from the small one (found by an audit).
                by_bucket[b].update(value=None, ci_low=None, ci_high=None, n=None, low_n=False, suppressed=True)
    return pd.DataFrame(out, columns=["bucket", "value", "ci_low", "ci_high", "n", "low_n", "suppressed"])


@dataclass(frozen=True)
class Split:
    dim: str
    segments: tuple[str, ...]
    records: pd.DataFrame  # kpi_record columns + 'segment' ('All' for the node's total)
    index: dict = field(default_factory=dict)  # segment (None: all) -> the index's KpiResult, unrounded


def names_list(model: Model, touchpoints: Iterable[str]) -> str:
    """'Website, Mobile app and Store': the names of touchpoints (keys) as a sentence reads them."""
    names = [tp.name if (tp := model.touchpoint(k)) is not None else k for k in touchpoints]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def separate_answers(kpi: KPI, cat: Catalog) -> bool:
    """Whether each answer a journey pools for `kpi` is another response's. Not where a response
    answers its measure at several of the journey's touchpoints (a relationship survey rating
    each): a week's or a segment's count of answers would then overstate its respondents, and
    the minimum-n rules that protect small groups count respondents."""
    return not repeated(kpi.cell, cat.repeats)


def split_dim(view: ViewState, model: Model) -> str | None:
    """The segment the team view splits a node's KPIs by (and the Segments page its grid, and
    the sidebar's Split by shows): the view's, else the model's first that the filters leave more
    than one value of. Found in review: with the region filtered to Tehran, the split by Region
    drew 'All' and 'Tehran', the same bar twice. The first when the filters leave one value of each."""
    if view.split or not model.segments:
        return view.split
    single = {dim for dim, values in view.filters if len(values) == 1}
    return next((s.key for s in model.segments if s.key not in single), model.segments[0].key)


def split_says_nothing(view: ViewState, dim: str | None) -> str | None:
    """The one value the filters leave of `dim`, where the view is split by it (chosen so): its
    segments are then the total again, and there is no chart to draw."""
    values = view.filter_map.get(dim, ()) if dim else ()
    return values[0] if len(values) == 1 else None


def as_team_view(node: NodeResult, view: ViewState, model: Model, split_of) -> NodeResult:
    """The node's tiles as its team view shows them, under the split beside them (`under_split`):
    the presentation's slides and the deck of that view show the same (found by an audit: the team
    slide gave back a previous period the team view hid). `split_of(dim, kpis)`: `split` of the
    view, or a cached one."""
    dim = split_dim(view, model)
    if dim is None or not node.kpis:
        return node
    return under_split(node, split_of(dim, tuple(k.kpi.key for k in node.kpis)))


def closed_loop_shown(model: Model, node: NodeResult) -> bool:
    """Whether a node's team view shows its closure rate (`closed_loop`) as a tile beside its
    KPIs: where the model's loop opens cases; not for a journey (the loop routes cases to teams and
    touchpoints, and a journey's rate would be the index's); not while one of its tiles is hidden
    (its cases are its lowest scores, as its comments are)."""
    return bool(model.loop.rules) and node.level != "journey" and not any(k.status == "hidden" for k in node.kpis)


def closed_loop(model: Model, cat: Catalog, view: ViewState, closure_of, now):
    """The view's node's closure rate as its Closed loop tile shows it (`loop.closure_kpi`): its own
    cases, against the comparison period's as they stood at the same age. One for the team view,
    its slide and the deck's (found by a presenter: the slides left the tile out).
    `closure_of(view, period, as_of)`: the view's cases in all (`loop.closure`'s first) in `period`
    (None: the view's own) as they stood at `as_of` (None: now), or a cached one; `now`: the time
    the cases are counted at."""
    from . import loop

    view = replace(view, unrouted=False, present=None)  # the node's own cases, whatever a link says
    current = closure_of(view, None, None)
    previous = compared = None
    if view.compare != "none":
        period, before = periods_for(view, cat)
        if before is not None:
            previous = closure_of(view, before, loop.comparison_as_of(period, before, now))
            compared = loop.comparison_words(period, before, now)
    return loop.closure_kpi(model, current, previous, compared)


def closed_loops(cur, model: Model, cat: Catalog, view: ViewState, p: Pyramid, now) -> dict[tuple[str, str], KpiResult]:
    """The Closed loop tile of the index, of each touchpoint and of each team, by (level, key), as
    the node's team view shows it: `closed_loop` of the node's view, where `closed_loop_shown` of
    its tiles under the split beside them (`as_team_view`); none for a composite index, which has
    no team view. For the figures of a pyramid view, on the page and the command line. The cases
    are counted once per period for every node (`loop.node_closures`), and the split once: a split
    of a few KPIs has the numbers and the suppression of the whole split (`split`), and neither
    reads the node a view is at. `now`: the time the cases are counted at."""
    from functools import lru_cache

    from . import loop

    counted = {}

    def closure_of(shown, period, as_of):
        period = period or periods_for(shown, cat)[0]
        if (period, as_of) not in counted:
            counted[period, as_of] = loop.node_closures(cur, model, cat, shown, period, now=now, as_of=as_of)
        return counted[period, as_of][f"team:{shown.team}" if shown.team else f"touchpoint:{shown.tp}" if shown.tp else "*"]

    @lru_cache(maxsize=None)
    def totals(dim):
        sp = split(cur, model, cat, view, dim)
        # (all under_split reads: picked from every segment's rows, 27 nodes took 0.25 s more at 200k responses)
        return replace(sp, records=sp.records[sp.records["segment"] == "All"])

    nodes = [(p.index, view.drill(None))] if model.index.kpi.stat != "composite" else []
    nodes += [(node, view.drill(node.key)) for node in p.touchpoints if model.touchpoint(node.key)]
    nodes += [(node, view.drill(model.team(node.key).touchpoint, node.key)) for node in p.teams if model.team(node.key)]
    return {(node.level, node.key): closed_loop(model, cat, shown, closure_of, now) for node, shown in nodes
            if closed_loop_shown(model, as_team_view(node, shown, model, lambda dim, kpis: totals(dim)))}


def under_split(node: NodeResult, sp: Split) -> NodeResult:
    """The node's tiles as the split shown beside them allows: a total the split hides (its one
    segment with answers would be its number, or a neighbour's cell its difference) is hidden on
    the tile too, and so is a change whose earlier total the split hides. Shown from the pyramid
    alone, the tile gave back what the split's suppression protects (found by an audit)."""
    rec = sp.records
    rec = rec[(rec["level"] == node.level) & (rec["key"] == node.key) & (rec["segment"] == "All")]
    by_kpi = {r["kpi"]: r for _, r in rec.iterrows()}
    kpis = []
    for k in node.kpis:
        r = by_kpi.get(k.kpi.key)
        if r is not None and k.shown and bool(r["suppressed"]):
            k = replace(k, status="hidden", target_status=None)
        elif r is not None and k.delta_shown and pd.isna(r["previous"]):
            k = replace(k, previous_status="hidden")
        kpis.append(k)
    return replace(node, kpis=tuple(kpis))


def split(cur, model: Model, cat: Catalog, view: ViewState, dim: str, kpis=None) -> Split:
    """Every node's KPIs per value of segment `dim`, next to the node totals, with suppression
    across the segment cells as well as down the pyramid. `kpis` (keys) limits the records to the
    index and those KPIs, with the same numbers and the same suppression as the whole split (a
    heatmap shows one KPI of the four or so each node has); segments with no answers to any of
    them are left out, as columns with nothing to show."""
    if kpis is not None:
        model = model.narrowed_to(kpis)
    current, previous = periods_for(view, cat)
    periods = [current] + ([previous] if previous else [])
    labels = cat.segment_labels(dim)
    data = fetch(cur, model, cat, view, periods, by=dim, totals=True)
    segs = sorted({k[3] for k in data if k[3] is not None},
                  key=lambda s: (cat.segment_values(dim, model) + [s]).index(s) if s in labels.values() else 10**6)
    hidden = suppressed_cells(data, partitions(model, [None, *segs], previous is not None, split=True), rules_of(model),
                              cat.repeats)
    columns: dict[str, list] = {c: [] for c in (*kpi_record_columns(), "segment")}
    index = {}
    for seg in [None, *segs]:
        p = assemble(model, data, current, previous, cat.as_of, seg=seg, hidden=hidden, repeats=cat.repeats)
        index[seg] = p.index.headline
        for node in (p.index, *p.journeys, *p.touchpoints, *p.teams):
            for k in node.kpis:
                for c, v in kpi_record(node, k).items():
                    columns[c].append(v)
                columns["segment"].append("All" if seg is None else seg)
    # Built by column: a frame from thousands of row dicts costs more than the statistics.
    return Split(dim, tuple(segs), pd.DataFrame(columns), index)


HIDDEN_SEGMENT = "hidden"  # what a comment shows for a time (and id) the view keeps from it
# The most comments a file of them holds: a year behind the index is a million at 10M responses,
# past a sheet's rows (1,048,576) and hundreds of MB held for the download; 100,000 take 4 s at
# 2M responses. A team's list is far under it.
FILE_MOST = 100_000


def dated_spans(trend: pd.DataFrame, grain: str, period: Period) -> tuple[tuple[date, date], ...]:
    """The [start, end) days of the buckets a trend (`trend_frame`) shows whole inside `period`:
    the days a comment beside it may be dated in. Not those it hides, nor what of the period lies
    outside its window or in a bucket straddling the period's edge: such a part is hidden as one of
    the trend's partition, and a comment's date and score there would give it away (found by
    reviews: a single hidden week, or the weeks before the window, read off the list)."""
    out = []
    for bucket in trend.loc[~trend["suppressed"].astype(bool), "bucket"]:
        start = pd.Timestamp(bucket).date()
        end = start + timedelta(days=7) if grain == "week" else add_months(start, 3 if grain == "quarter" else 1)
        if period.start <= start and end <= period.end:
            out.append((start, end))
    return tuple(out)


def comments_frame(cur, model: Model, cat: Catalog, view: ViewState, *, level: str, node: str | None,
                   score_measure: str | None, limit: int = 200,
                   hidden_segments: Mapping[str, Iterable[str]] | None = None,
                   dated_times: Iterable[tuple[date, date]] | None = None) -> tuple[pd.DataFrame, int]:
    """The newest comments behind a node's number and how many there are in all.

    `hidden_segments`: per segment dimension, the values whose cells the same view hides (a
    split by segment shown beside the comments). Their comments are left out (`queries.comments`):
    each carries its score, and the comments of a segment hidden for having two answers would give
    its figure away. `dated_times`: the [start, end) days a trend shown beside the comments shows
    (`dated_spans`). A comment outside them reads HIDDEN_SEGMENT for its time and id and comes
    after the others: its date and score would give a hidden bucket's figure away (found by an
    audit: a tile of 22 and one week of 13 shown, the 9 comments of the two hidden weeks were dated).
    Comments are untrusted text: they are returned verbatim, for display as plain text only."""
    current, _ = periods_for(view, cat)
    spans = list(dated_times) if dated_times is not None else None
    rows, total = comments(cur, model, cat, view, current, level=level, node=node, score_measure=score_measure,
                           limit=limit, dated_times=spans, withheld=hidden_segments)
    segs = [s for s in model.segments if s.key in cat.segments]
    frame = pd.DataFrame(rows, columns=["When", "Score", "Comment", "Source", "Response id", *(s.name for s in segs)])
    for s in segs:
        # Each comment's value as the split names it ('north' stored before uploads folded
        # spellings is the split's 'North').
        canon = {label_key(v): v for v in cat.segment_labels(s.key).values()}

        def shown(v, s=s, canon=canon):
            if v is None or v != v:  # no value (None, or NaN from the frame)
                return v
            v = canon.get(label_key(v), v)
            return s.label(v) if s.labels else v

        frame[s.name] = frame[s.name].map(shown)
    frame["Source"] = frame["Source"].map(model.source_label)
    if (src := model.segment("source")) is not None and src.key in cat.segments:
        frame = frame.drop(columns=[src.name])  # the Source column says it
    if spans is not None and len(frame):
        # Already after the dated ones (queries.comments); their ids often count up with time.
        day = pd.to_datetime(frame["When"], errors="coerce").dt.date
        undated = ~day.map(lambda d: d is not None and not pd.isna(d) and any(a <= d < b for a, b in spans)).astype(bool)
        frame.loc[undated, ["When", "Response id"]] = HIDDEN_SEGMENT
    m = model.measures.get(score_measure) if score_measure else None
    if m is not None and tuple(float(x) for x in m.scale) == (0.0, 1.0):
        # A yes/no answer reads as one: a resolved "0" looked like a score of nought.
        frame["Score"] = frame["Score"].map(lambda v: None if v is None or pd.isna(v) else "Yes" if v >= m.top_box else "No")
    return frame, total


def comments_file(cur, model: Model, cat: Catalog, view: ViewState, *, level: str, node: str | None,
                  score_measure: str | None, hidden_segments: Mapping[str, Iterable[str]] | None = None,
                  dated_times: Iterable[tuple[date, date]] | None = None, most: int = FILE_MOST) -> pd.DataFrame:
    """Every comment `comments_frame` lists for the same arguments, not its newest page, for a
    download (tables.comments_export): up to `most`, newest first, a first row saying so where
    the view has more."""
    from .tables import comments_export

    frame, total = comments_frame(cur, model, cat, view, level=level, node=node, score_measure=score_measure,
                                  limit=most, hidden_segments=hidden_segments, dated_times=dated_times)
    return comments_export(frame, total)


def file_narrowed(total: int, most: int = FILE_MOST) -> list[tuple[str, str]]:
    """What a comments file's name adds when the view has more comments than it holds."""
    return [("newest", str(most))] if total > most else []


def comment_words(cur, model: Model, cat: Catalog, view: ViewState, *, level: str, node: str | None,
                  score_measure: str | None, limit: int = 12,
                  hidden_segments: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, int]]:
    """The words most used by the comments `comments_frame` lists (all of them, not the newest
    page): (word, comments), most first."""
    from .words import name_words, names_it

    current, _ = periods_for(view, cat)
    names = name_words(_names_of(model, level, node))
    found = _comment_words(cur, model, cat, view, current, level=level, node=node,
                           score_measure=score_measure, limit=limit + len(names), withheld=hidden_segments)
    return [(w, n) for w, n in found if not names_it(w, names)][:limit]


def _names_of(model: Model, level: str, node: str | None) -> list[str]:
    """A node's names, its aliases, and those of its touchpoint (a journey's: of its touchpoints)."""
    if level == "journey":
        j = model.journey(node) if node else None
        tps = [model.touchpoint(t) for t in (j.touchpoints if j else ())]
        return ([j.name] if j else []) + [n for tp in tps if tp is not None for n in (tp.name, *tp.aliases)]
    team = model.team(node) if level == "team" and node else None
    tp = model.touchpoint(team.touchpoint if team else node) if level in ("team", "touchpoint") and node else None
    return [n for x in (team, tp) if x is not None for n in (x.name, *x.aliases)]


def score_bands(model: Model, kpi: KPI) -> list[tuple[str, str]]:
    """The score bands (view.SCORE_BANDS) that the comments of `kpi` can be filtered by, with
    labels that say the scores they hold: ('low', 'Detractors (0–6)') for an NPS, ('low',
    'Bottom box (1–2)') for a CSAT. A scale with nothing between its boxes (yes/no) has no middle."""
    m = model.measures.get(kpi.measure)
    if m is None:
        return []
    lo, hi = m.scale
    if kpi.stat == "yes_rate":
        return [("low", "No"), ("high", "Yes")]
    names = ({"low": "Detractors", "middle": "Passives", "high": "Promoters"} if kpi.stat == "nps"
             else {"low": "Bottom box", "middle": "Between", "high": "Top box"})
    whole = all(float(x).is_integer() for x in (lo, hi, m.bottom_box, m.top_box))

    def span(a: float, b: float) -> str:
        return f"{a:g}" if a == b else f"{a:g}–{b:g}"

    out = [("low", f"{names['low']} ({span(lo, m.bottom_box)})")]
    if not whole:
        out.append(("middle", f"{names['middle']} ({m.bottom_box:g}–{m.top_box:g}, exclusive)"))
    elif m.top_box - m.bottom_box >= 2:
        out.append(("middle", f"{names['middle']} ({span(m.bottom_box + 1, m.top_box - 1)})"))
    out.append(("high", f"{names['high']} ({span(m.top_box, hi)})"))
    return out


def comment_filters(model: Model, kpi: KPI, view: ViewState) -> list[tuple[str, str]]:
    """What narrows a view's comments within the view, in words, for a download's name
    (cxdata.export.file_name): its search, its score band of `kpi` and its theme, those it has. A
    band the KPI has no such scores for (a middle of yes/no) narrows nothing, and is not named."""
    band = dict(score_bands(model, kpi)).get(view.scores) if view.scores else None
    theme = model.theme(view.theme) if view.theme else None
    pairs = [("search", view.search), ("scores", band), ("theme", theme.name if theme else None)]
    return [(name, value) for name, value in pairs if value]
