"""SQL for every view: one parameterised query per screen element, returning counts and sums.

Statistics are never computed in SQL: each query returns sufficient statistics (n, sum, sum of
squares, top-box and bottom-box counts) per cell, and `stats` turns them into values, intervals
and tests. That keeps one code path for tiles, charts, exports and the CLI, and lets the same
numbers be answered from rollups later.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Iterable, Mapping, NamedTuple

from . import rollups, search
from .model import Model, label_key
from .period import Period, add_months, month_start
from .sql import dim_column
from .view import ViewState
from .words import ARABIC_FORMS, FOLD, MIN_LETTERS, PERSIAN_FORMS, STOPWORDS, UNFOLD, WORD_SPLIT


@dataclass(frozen=True)
class Catalog:
    """The label dictionary of the stored data, resolved against the model."""

    measures: dict[str, int]  # measure key -> code
    touchpoints: dict[int, str]  # label code -> touchpoint key (labels the model recognises)
    teams: dict[int, str]  # label code -> team key
    segments: dict[str, dict[str, int]]  # dim -> label -> code
    unmapped: dict[str, dict[int, str]]  # 'touchpoint'/'team' -> code -> label the model does not know
    first: date | None
    as_of: date | None
    responses: int
    continuous: frozenset[int] = frozenset()  # measure codes not fully on a whole-number scale
    rollups: frozenset = frozenset()  # the rollups.Rollup tables present
    # team label code -> key of the touchpoint that owns the team in the model. A team's tile
    # counts its answers at that touchpoint, and answers naming a team but no touchpoint count at
    # the team's touchpoint: so a touchpoint's cell always splits into its teams' cells.
    team_home: dict[int, str] = field(default_factory=dict)
    # Keys of the measures some stored response answers more than once (at several touchpoints),
    # each with the most answers one response gives (None: not known); None where an upload does
    # not say (all measures are then taken to be, as often as may be).
    repeats: Mapping[str, int | None] | None = None
    # journey key -> its touchpoints' keys: a journey's answers are those of its touchpoints.
    journeys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def codes(self, level: str, key: str) -> list[int]:
        """Label codes of a touchpoint or team key (several labels may name one node)."""
        labels = self.touchpoints if level == "touchpoint" else self.teams
        return [c for c, k in labels.items() if k == key]

    def home(self, tp: int | None, team: int | None) -> tuple[int | str | None, int | None]:
        """The (touchpoint, team) an answer counts under: a known team with no touchpoint, or with a
        touchpoint the model does not know, counts at its own touchpoint (given as its key when no
        stored label names it), and an answer naming a team at another known touchpoint counts at
        that touchpoint but in no team."""
        owner = self.team_home.get(team) if team is not None else None
        if owner is None:
            return tp, team
        # A help desk's channel mapped as the touchpoint names 'Email' for a billing team's ticket:
        # the team says where the customer was better than a label no tile has.
        if tp is None or tp not in self.touchpoints:
            codes = self.codes("touchpoint", owner)
            return (codes[0] if codes else owner), team
        return tp, (team if self.touchpoints.get(tp) == owner else None)

    def values_by_segment(self, model: Model) -> dict[str, list[str]]:
        """Every segment's stored values (what a filter can select)."""
        return {s.key: self.segment_values(s.key, model) for s in model.segments}

    def segment_labels(self, dim: str) -> dict[int, str]:
        """code -> the value it counts under: spellings stored apart before uploads folded them
        ('Tehran' and 'tehran', 'کرج' and 'كرج') are one value, named by its oldest label."""
        first: dict[str, str] = {}
        out = {}
        for label, code in sorted(self.segments.get(dim, {}).items(), key=lambda kv: kv[1]):
            out[code] = first.setdefault(label_key(label), label)
        return out

    def segment_values(self, dim: str, model: Model) -> list[str]:
        values = list(dict.fromkeys(self.segment_labels(dim).values()))
        seg = model.segment(dim)
        order = {label_key(v): i for i, v in enumerate(seg.order)} if seg else {}
        return sorted(values, key=lambda v: (order.get(label_key(v), len(order)), v.casefold()))


def catalog(cur, model: Model) -> Catalog:
    rows = cur.execute("SELECT dim, code, label FROM labels").fetchall()
    by_dim: dict[str, dict[str, int]] = {}
    for dim, code, label in rows:
        by_dim.setdefault(dim, {})[label] = code
    tps, teams, unmapped = {}, {}, {}
    for level, out in (("touchpoint", tps), ("team", teams)):
        unknown = {}
        for label, code in by_dim.get(level, {}).items():
            key = model.resolve(level, label)
            if key:
                out[code] = key
            else:
                unknown[code] = label
        unmapped[level] = unknown
    team_home = {code: team.touchpoint for code, key in teams.items() if (team := model.team(key)) is not None}
    seg_dims = {d[4:]: v for d, v in by_dim.items() if d.startswith("seg_")}
    # Dates are cast in SQL: fetching TIMESTAMPTZ values would need pytz on the Python side.
    first, last, n = cur.execute(
        "SELECT min(responded_at)::DATE, max(responded_at)::DATE, count(*) FROM responses"
    ).fetchall()[0]
    # A measure's most answers per response is the largest any live upload recorded (None where
    # one recorded the measure without it); an upload that records neither leaves all in doubt.
    unknown, repeated = cur.execute(
        """WITH live AS (SELECT repeats, repeat_most FROM uploads WHERE removed_at IS NULL)
           SELECT (SELECT bool_or(repeats IS NULL) FROM live),
                  (SELECT list([m, k]) FROM (
                       SELECT m, CASE WHEN bool_or(k IS NULL) THEN NULL ELSE max(k) END AS k
                       FROM (SELECT unnest(repeats) AS m, unnest(coalesce(repeat_most, [])) AS k FROM live) GROUP BY m))"""
    ).fetchall()[0]
    measure_key = {code: key for key, code in by_dim.get("measure", {}).items()}
    return Catalog(
        repeats=None if unknown else {measure_key[c]: k for c, k in repeated or () if c in measure_key},
        measures=by_dim.get("measure", {}),
        touchpoints=tps,
        teams=teams,
        segments=seg_dims,
        unmapped=unmapped,
        first=first,
        as_of=last,
        responses=n,
        continuous=frozenset(rollups.continuous_measures(cur)),
        rollups=rollups.existing(cur, rollups.stored_dims(cur)),
        team_home=team_home,
        journeys={j.key: j.touchpoints for j in model.journeys},
    )


# The column of each level: the only identifiers these queries put into their SQL.
_LEVEL_COLUMN = {"touchpoint": "touchpoint", "team": "team"}


def outside_model(cur, cat: Catalog) -> dict[str, tuple[tuple[str, int], ...]]:
    """Stored responses per touchpoint and team label that the model does not know, most first.
    Labels stay in the dictionary after their responses are removed (a removed demo, a corrected
    re-upload): the small day rollup tells which ones still occur before `answers` is scanned."""
    out = {}
    for level in ("touchpoint", "team"):
        labels = cat.unmapped.get(level, {})
        codes = list(labels)
        if codes and rollups.Rollup("day", ()) in cat.rollups:
            codes = [c for (c,) in cur.execute(
                f"SELECT DISTINCT {_LEVEL_COLUMN[level]} FROM {rollups.table_for(None)} "
                f"WHERE {_LEVEL_COLUMN[level]} = ANY(?)", [codes]).fetchall()]
        # An unknown touchpoint's answers that name a team of the model count at its touchpoint (home).
        homed = " AND NOT coalesce(team = ANY(?), FALSE)" if level == "touchpoint" else ""
        params = [codes, list(cat.team_home)] if homed else [codes]
        rows = cur.execute(
            f"SELECT {_LEVEL_COLUMN[level]}, count(DISTINCT response_key) FROM answers "
            f"WHERE {_LEVEL_COLUMN[level]} = ANY(?){homed} GROUP BY 1", params).fetchall() if codes else []
        out[level] = tuple(sorted(((labels[code], n) for code, n in rows), key=lambda r: (-r[1], r[0])))
    return out


def segment_values_of_teams(cur, cat: Catalog, model: Model, teams: Iterable[str]) -> dict[str, list[str]]:
    """Every segment's values that answers naming one of `teams` carry, in the filters' order:
    what a team member may filter by (the values of other teams' customers are not theirs to see).
    Read from the small day rollups of each segment where they exist."""
    codes = [c for t in teams for c in cat.codes("team", t)]
    out = {}
    for seg in model.segments:
        labels = cat.segment_labels(seg.key)
        if not codes or not labels:
            out[seg.key] = []
            continue
        col = dim_column(seg.key)
        table = rollups.table_for(seg.key) if rollups.Rollup("day", (seg.key,)) in cat.rollups else "answers"
        found = {labels[c] for (c,) in cur.execute(
            f"SELECT DISTINCT {col} FROM {table} WHERE team = ANY(?) AND {col} IS NOT NULL", [codes]).fetchall()
            if c in labels}
        out[seg.key] = [v for v in cat.segment_values(seg.key, model) if v in found]
    return out


def span_of_teams(cur, cat: Catalog, teams: Iterable[str]) -> tuple[date | None, date | None]:
    """The first and latest day of the answers naming one of `teams`: what a team member's
    periods are anchored on ("latest quarter" is the latest quarter of their data, and the dates
    of other teams' answers are not theirs to know). Read from the day rollup where it exists."""
    codes = [c for t in teams for c in cat.codes("team", t)]
    if not codes:
        return None, None
    table = rollups.table_for(None) if rollups.Rollup("day", ()) in cat.rollups else None
    if table is None:
        sql = "SELECT min(responded_at)::DATE, max(responded_at)::DATE FROM answers WHERE team = ANY(?)"
    else:
        sql = f"SELECT min(day), max(day) FROM {table} WHERE team = ANY(?)"
    first, last = cur.execute(sql, [codes]).fetchall()[0]
    return first, last


@dataclass(frozen=True)
class OffScale:
    """Stored answers of a measure outside the scale a model gives it."""

    measure: str
    answers: int
    low: float  # the lowest and highest of them
    high: float


def outside_scale(cur, model: Model) -> list[OffScale]:
    """Stored answers that lie outside their measure's scale in `model`, per measure. An upload
    refuses such values, so they are answers loaded under a wider scale before a model edit
    narrowed it: the figures still count them, and whoever narrows a scale should know."""
    codes = dict(cur.execute("SELECT label, code FROM labels WHERE dim = 'measure'").fetchall())
    bounds = [(codes[key], *m.scale) for key, m in model.measures.items() if key in codes]
    if not bounds:
        return []
    names = {codes[key]: key for key, _m in model.measures.items() if key in codes}
    test = " OR ".join(["(measure = ? AND NOT value BETWEEN ? AND ?)"] * len(bounds))
    rows = cur.execute(f"SELECT measure, count(*), min(value), max(value) FROM answers WHERE {test} GROUP BY 1",
                       [x for b in bounds for x in b]).fetchall()
    return sorted((OffScale(names[code], n, low, high) for code, n, low, high in rows), key=lambda o: o.measure)


def responses_in(cur, period: Period) -> int:
    """Stored responses answered in `period`, whatever the model makes of them: a view with no
    figures says whether there are none, or none the model counts."""
    return cur.execute("SELECT count(*) FROM responses WHERE responded_at >= ? AND responded_at < ?",
                       [ts(period.start), ts(period.end)]).fetchall()[0][0]


def ts(d: date) -> datetime:
    """Midnight UTC of `d`, bound as a naive timestamp: cursors run with TimeZone = 'UTC'."""
    return datetime.combine(d, time())


class Where:
    """A WHERE clause assembled from parts, each with its own bound parameters."""

    def __init__(self):
        self.parts: list[str] = []
        self.params: list = []

    def add(self, sql: str, *params) -> Where:
        self.parts.append(sql)
        self.params.extend(params)
        return self

    def add_in(self, column: str, values) -> Where:
        values = list(values)
        return self.add(_in(column, values), *values)

    def sql(self) -> str:
        return " AND ".join(self.parts) or "TRUE"


def segment_filter(where: Where, view: ViewState, cat: Catalog, alias: str = "",
                   columns: dict[str, str] | None = None) -> Where:
    """Filters on segment labels become code lists; a label with no data matches nothing.
    `columns` names the column of a dimension where it is not the stored one (a rollup's)."""
    prefix = f"{alias}." if alias else ""
    for dim, values in view.filters:
        # A value matches every stored spelling of it ('qualtrics' in a model's KPI sources,
        # 'tehran' in a typed URL, 'كرج' for 'کرج'): uploads fold new spellings into the stored
        # label (store._new_spellings), but a database may hold both from before.
        folded: dict[str, list[int]] = {}
        for label, code in cat.segments.get(dim, {}).items():
            folded.setdefault(label_key(label), []).append(code)
        codes = sorted({c for v in values for c in folded.get(label_key(v), [])})
        column = (columns or {}).get(dim) or prefix + dim_column(dim)
        where.add_in(column, codes)
    return where


def _box_case(model: Model, cat: Catalog, which: str) -> tuple[str, list]:
    parts, params = [], []
    for key, m in model.measures.items():
        if key in cat.measures:
            parts.append("WHEN ? THEN ?")
            params += [cat.measures[key], m.top_box if which == "hi" else m.bottom_box]
    if not parts:
        return "NULL", []
    return f"CASE measure {' '.join(parts)} END", params


@dataclass(frozen=True)
class Part:
    """One piece of a query: the rows of `table` within `ranges` (half-open day ranges) of one period.

    A period is read as its whole months from a month-grain rollup and its ragged ends from a
    day-grain rollup, or from the raw answers when no rollup holds the view's dimensions."""

    table: str
    seg_col: dict[str, str]  # dimension -> column holding its code in `table`
    rollup: bool
    ranges: tuple[tuple[date, date], ...]
    period: int = 0

    def fact_columns(self) -> str:
        # Rollups carry per-value counts and sums; a raw answer is a count of one.
        if self.rollup:
            return "value, n, s1, s2"
        return "value, 1 AS n, value AS s1, value * value AS s2"


def whole_months(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split [start, end) into its whole calendar months and the ragged days before and after them."""
    first = start if start.day == 1 else add_months(month_start(start), 1)
    last = month_start(end)
    if first >= last:
        return None, [(start, end)]
    return (first, last), [(a, b) for a, b in ((start, first), (last, end)) if a < b]


def plan(cat: Catalog, view: ViewState, by: str | None, box_measures: set[int], periods: list[Period], *,
         month_ok: bool = True) -> list[Part]:
    """The parts that answer a view: the smallest rollups holding its dimensions, else raw answers.
    `month_ok` is False where rows must keep their day (weekly buckets)."""
    dims = tuple(sorted({d for d, _ in view.filters} | ({by} if by else set())))
    raw_cols = {d: dim_column(d) for d in cat.segments}
    usable = not (box_measures & cat.continuous) and all(d in cat.segments for d in dims)

    def have(grain: str) -> rollups.Rollup | None:
        r = rollups.Rollup(grain, dims)
        return r if usable and r in cat.rollups else None

    day, month = have("day"), have("month") if month_ok else None
    parts: list[Part] = []

    def add(r: rollups.Rollup | None, ranges: list, i: int) -> None:
        if not ranges:
            return
        if r is None:
            parts.append(Part("answers", raw_cols, False, tuple(ranges), i))
        else:
            parts.append(Part(r.table, {d: dim_column(d) for d in r.dims}, True, tuple(ranges), i))

    for i, p in enumerate(periods):
        core, ragged = whole_months(p.start, p.end) if month else (None, [(p.start, p.end)])
        add(month, [core] if core else [], i)
        add(day, ragged, i)
    return parts


def raw_plan(cat: Catalog, periods: list[Period]) -> list[Part]:
    """Every period from the raw answers: the reference the rollups are checked against."""
    cols = {d: dim_column(d) for d in cat.segments}
    return [Part("answers", cols, False, ((p.start, p.end),), i) for i, p in enumerate(periods)]


def _union(parts: list[Part], columns, where_for) -> tuple[str, list]:
    """UNION ALL of every part's facts: `columns(part)` selects the keys, `where_for(where, part)`
    adds the conditions every part shares (measures, nodes, segments). Parts of one table whose
    ranges do not overlap share one scan, each row taking the period its day falls in."""
    groups: list[list[Part]] = []
    for part in parts:
        group = next((g for g in groups if g[0].table == part.table
                      and not any(_overlap(r, q) for other in g for r in other.ranges for q in part.ranges)), None)
        if group is None:
            groups.append([part])
        else:
            group.append(part)
    selects, params = [], []
    for group in groups:
        ranges = [(r, p.period) for p in group for r in p.ranges]
        period = "CASE " + " ".join(["WHEN day >= ? AND day < ? THEN ?"] * len(ranges)) + " END"
        where = Where()
        where.add("(" + " OR ".join(["(day >= ? AND day < ?)"] * len(ranges)) + ")", *[x for r, _ in ranges for x in r])
        where_for(where, group[0])
        selects.append(f"SELECT {period}::INTEGER AS period, {columns(group[0])}, {group[0].fact_columns()} "
                       f"FROM {group[0].table} WHERE {where.sql()}")
        params += [x for (a, b), i in ranges for x in (a, b, i)] + where.params
    return " UNION ALL ".join(selects), params


def _overlap(a: tuple[date, date], b: tuple[date, date]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


_SUMS = "sum(n) AS n, sum(s1) AS s1, sum(s2) AS s2, sum(n) FILTER (WHERE value >= {hi}) AS hi, sum(n) FILTER (WHERE value <= {lo}) AS lo"


def cells(cur, model: Model, cat: Catalog, view: ViewState, periods: list[Period], *, by: str | None = None,
          measures: list[str] | None = None, totals: bool = False):
    """Sufficient statistics per (period index, level, node code, [segment code], measure code).

    One query answers the index, every touchpoint and every team for all periods at once;
    `by` adds a segment dimension for side-by-side splits and heatmaps.
    Rows: (period, level, node, seg, measure, n, s1, s2, hi, lo) with level in
    'all' | 'touchpoint' | 'team'. With `totals` (and `by`) it returns (rows without the split,
    rows with it) from the same scan: a split view needs both. Periods may overlap (a long custom
    range against the same period last year): each period reads its own rows.
    """
    wanted = [cat.measures[m] for m in (measures or model.measures_used()) if m in cat.measures]
    if not wanted or not periods:
        return ([], []) if totals else []
    parts = plan(cat, view, by, _box_measures(model, cat, measures), periods)

    def where_for(where: Where, part: Part) -> None:
        where.add_in("measure", wanted)
        segment_filter(where, view, cat, columns=part.seg_col)

    facts, params = _union(parts, lambda part: f"measure, touchpoint, team, {part.seg_col.get(by, 'NULL') if by else 'NULL'} AS seg",
                           where_for)
    # Sum per distinct value in SQL, and roll the few thousand rows up to the index, touchpoints and
    # teams in Python: at this size a GROUPING SETS pass costs more than the scan itself. Values of
    # measures off the whole-number scale are replaced by their box class (2 = top, 1 = bottom),
    # so the rows stay few whatever the values.
    cont = sorted(cat.continuous & set(wanted))
    value_sql, cls_sql, cls_params = "value", "NULL", []
    if cont:
        hi_case, hi_params = _box_case(model, cat, "hi")
        lo_case, lo_params = _box_case(model, cat, "lo")
        in_cont = f"measure IN ({', '.join('?' * len(cont))})"
        value_sql = f"CASE WHEN {in_cont} THEN NULL ELSE value END"
        cls_sql = f"CASE WHEN {in_cont} THEN 2 * (value >= {hi_case})::INTEGER + (value <= {lo_case})::INTEGER END"
        cls_params = cont + cont + hi_params + lo_params
    sql = f"""
        WITH f AS ({facts})
        SELECT period, measure, touchpoint, team, seg, {value_sql} AS value, {cls_sql} AS cls,
               sum(n) AS n, sum(s1) AS s1, sum(s2) AS s2
        FROM f GROUP BY ALL
    """
    rows = cur.execute(sql, params + cls_params).fetchall()
    top = {cat.measures[k]: m.top_box for k, m in model.measures.items() if k in cat.measures}
    bottom = {cat.measures[k]: m.bottom_box for k, m in model.measures.items() if k in cat.measures}
    acc: dict[tuple, list] = {}
    tot: dict[tuple, list] = {}
    home = cat.home
    for period, measure, tp, team, seg, value, cls, n, s1, s2 in rows:
        if team is not None:
            tp, team = home(tp, team)
        if cls is None:
            hi = n if value is not None and measure in top and value >= top[measure] else 0
            lo = n if value is not None and measure in bottom and value <= bottom[measure] else 0
        else:
            hi, lo = (n if cls & 2 else 0), (n if cls & 1 else 0)
        for level, node in (("all", None), ("touchpoint", tp), ("team", team)):
            if node is None and level != "all":
                continue
            for out, key in ((acc, (period, level, node, seg, measure)), (tot, (period, level, node, None, measure))):
                if out is tot and not totals:
                    continue
                a = out.get(key)
                if a is None:
                    out[key] = [n, s1, s2, hi, lo]
                else:
                    a[0] += n
                    a[1] += s1
                    a[2] += s2
                    a[3] += hi
                    a[4] += lo
    split = [(key[0], key[1], key[2], key[3] if by else None, key[4], *a) for key, a in acc.items()]
    if totals:
        return [(*key, *a) for key, a in tot.items()], split
    return split


def _box_measures(model: Model, cat: Catalog, measures: list[str] | None) -> set[int]:
    """Codes of the measures some KPI reads with a box statistic (nps, top_box, yes_rate)."""
    keys = set(measures or model.measures_used())
    kpis = model.kpis()  # (the journeys' too: a KPI only a journey has still reads its boxes)
    return {cat.measures[k.measure] for k in kpis if k.stat != "mean" and k.measure in keys and k.measure in cat.measures}


GRAIN_SQL = {"week": "week", "month": "month", "quarter": "quarter"}


def pieces(window: Period, cuts=()) -> list[Period]:
    """`window` cut at the dates of `cuts` that fall inside it, in order."""
    bounds = sorted({window.start, window.end, *(c for c in cuts if window.start < c < window.end)})
    return [Period(a, b) for a, b in zip(bounds, bounds[1:])]


def trend(cur, model: Model, cat: Catalog, view: ViewState, window: Period, *, level: str, node: str | None,
          measures: list[str], cuts=()) -> list[tuple]:
    """Sufficient statistics per (bucket start, measure) for one node over `window`. With `cuts`
    (dates, such as a period's first day and the day after its last), per (bucket start, measure,
    piece): `piece` the index in `pieces(window, cuts)` of the stretch its answers fall in, so a
    bucket that straddles a cut comes in its parts, from the same scan."""
    wanted = [cat.measures[m] for m in measures if m in cat.measures]
    if not wanted:
        return []
    parts = plan(cat, view, None, _box_measures(model, cat, measures), pieces(window, cuts),
                 month_ok=view.grain != "week")

    def where_for(where: Where, part: Part) -> None:
        where.add_in("measure", wanted)
        _node_filter(where, cat, level, node)
        segment_filter(where, view, cat, columns=part.seg_col)

    facts, params = _union(parts, lambda part: "day, measure", where_for)
    hi_case, hi_params = _box_case(model, cat, "hi")
    lo_case, lo_params = _box_case(model, cat, "lo")
    piece = ", period AS piece" if cuts else ""
    sql = f"""
        WITH f AS ({facts})
        SELECT date_trunc('{GRAIN_SQL[view.grain]}', day)::DATE AS bucket, measure{piece},
               {_SUMS.format(hi=hi_case, lo=lo_case)}
        FROM f GROUP BY ALL ORDER BY bucket{', piece' if cuts else ''}
    """
    return cur.execute(sql, params + hi_params + lo_params).fetchall()


def _node_filter(where: Where, cat: Catalog, level: str, node: str | None, alias: str = "") -> None:
    """The answers `cells` counts under the node (see `Catalog.home`)."""
    tp_col, team_col = (f"{alias}.touchpoint", f"{alias}.team") if alias else ("touchpoint", "team")
    if level == "journey":
        # Its touchpoints' answers: each answer counts at one touchpoint (`Catalog.home`), so the
        # journey's are theirs added up, as its tile pools them.
        parts = []
        for tp in cat.journeys.get(node, ()):
            one = Where()
            _node_filter(one, cat, "touchpoint", tp, alias)
            parts.append(one)
        where.add("(" + " OR ".join(f"({w.sql()})" for w in parts) + ")" if parts else "FALSE",
                  *(x for w in parts for x in w.params))
    elif level == "touchpoint":
        tps = cat.codes("touchpoint", node)
        teams = [c for c, home in cat.team_home.items() if home == node]
        unknown = list(cat.unmapped.get("touchpoint", {})) if teams else []
        where.add(f"({_in(tp_col, tps)} OR (({tp_col} IS NULL OR {_in(tp_col, unknown)}) AND {_in(team_col, teams)}))",
                  *tps, *unknown, *teams)
    elif level == "team":
        teams = cat.codes("team", node)
        home = cat.team_home.get(teams[0]) if teams else None
        tps = cat.codes("touchpoint", home) if home else []
        unknown = list(cat.unmapped.get("touchpoint", {})) if teams else []
        # The touchpoint test costs a team's comments at 10M responses about 40 ms; knowing which
        # teams the data names elsewhere would need a scan of the responses (150 ms) per data version.
        where.add(f"{_in(team_col, teams)} AND ({tp_col} IS NULL OR {_in(tp_col, tps)} OR {_in(tp_col, unknown)})",
                  *teams, *tps, *unknown)


def _in(column: str, values: list) -> str:
    """`column IN (?, ...)` for `values` (bound by the caller); FALSE for none: an empty list
    matches nothing."""
    return f"{column} IN ({', '.join('?' * len(values))})" if values else "FALSE"


def _score_sql(cat: Catalog, level: str, node: str | None, period: Period) -> tuple[str, list]:
    """SQL for the score a comment's response gave to a measure (bound first) in the period and at
    the node: the answer the node's tile counts, where its own touchpoint or team is the node's. A
    relationship survey's response names a touchpoint while its overall answers name none: matched
    on the response's touchpoint, its comment was listed behind a tile that does not count its
    answer (found by an audit). The period also lets the answers' time order skip row groups."""
    at = _answers_at(cat, level, node, period)
    return (f"(SELECT max(a.value) FROM answers a WHERE a.response_key = r.response_key AND a.measure = ? "
            f"AND {at.sql()})"), at.params


def _answers_at(cat: Catalog, level: str, node: str | None, period: Period) -> Where:
    at = Where().add("a.responded_at >= ? AND a.responded_at < ?", ts(period.start), ts(period.end))
    if level in ("journey", "touchpoint", "team"):
        _node_filter(at, cat, level, node, alias="a")
    return at


def _scored(cat: Catalog, level: str, node: str | None, period: Period, code: int, having: str = "", *bounds) -> tuple[str, list]:
    """`r.response_key IN (...)`: the responses whose score (`_score_sql`) exists, or meets
    `having` on max(a.value). As one grouping of the measure's answers in the period rather than
    one lookup per comment: 2x faster on a year at 10M responses."""
    at = _answers_at(cat, level, node, period)
    return (f"r.response_key IN (SELECT a.response_key FROM answers a WHERE a.measure = ? AND {at.sql()} "
            f"GROUP BY a.response_key{' HAVING ' + having if having else ''})"), [code, *at.params, *bounds]


def _folded(expr: str) -> str:
    """SQL for text `expr` in lower case with Arabic kaf and yeh read as the Persian letters: how
    comments' words are counted. Chained replace(), six times faster than DuckDB's translate()
    over a million comments (0.10 against 0.62 s)."""
    out = f"lower({expr})"
    for arabic, persian in zip(ARABIC_FORMS, PERSIAN_FORMS):
        out = f"replace({out}, '{arabic}', '{persian}')"
    return out


def _comment_filter(model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
                    score_measure: str | None) -> Where:
    """Comments of the period, node, segments, search text and score band of `view`.

    Text search is a bound pattern built by cxdata.search, in which nothing the user typed is syntax.
    A score band reads the score of `score_measure` given with the comment; without that measure
    (or with no such answers) the band cannot apply and no comment matches it."""
    where = Where().add("r.comment IS NOT NULL AND r.responded_at >= ? AND r.responded_at < ?", ts(period.start), ts(period.end))
    # A number's answers are those of its measure: the comments behind it are those of the
    # responses that gave one (a transactional survey's comment without an NPS is not behind the
    # index). At every level: a team's comments from the responses of another of its KPIs, hidden
    # for few answers, would list exactly the responses the hidden tile protects (found by review).
    code = cat.measures.get(score_measure) if score_measure else None
    if code is None:
        where.add("FALSE")
    elif not view.scores:
        sql, params = _scored(cat, level, node, period, code)
        where.add(sql, *params)
    segment_filter(where, view, cat, alias="r")
    if view.search and (found := search.pattern(view.search)):
        # However the phrase and the comments write their letters, digits and joiners (cxdata.search).
        where.add("regexp_matches(r.comment, ?)", found)
    if view.theme:
        theme = model.theme(view.theme)
        if theme is None:
            where.add("FALSE")
        else:
            where.add("regexp_matches(r.comment, ?)", search.any_word(theme.words))
    if view.scores:
        measure = model.measures.get(score_measure) if score_measure else None
        code = cat.measures.get(score_measure) if score_measure else None
        if measure is None or code is None:
            where.add("FALSE")
        elif view.scores == "low":
            sql, params = _scored(cat, level, node, period, code, "max(a.value) <= ?", measure.bottom_box)
            where.add(sql, *params)
        elif view.scores == "high":
            sql, params = _scored(cat, level, node, period, code, "max(a.value) >= ?", measure.top_box)
            where.add(sql, *params)
        else:
            sql, params = _scored(cat, level, node, period, code, "max(a.value) > ? AND max(a.value) < ?",
                                  measure.bottom_box, measure.top_box)
            where.add(sql, *params)
    return where


def withhold_segments(where: Where, cat: Catalog, hidden: Mapping[str, Iterable[str]], alias: str = "r") -> Where:
    """Leave out the responses of the segments a split beside them hides (by their labels, the
    answers of none for NOT_SET): listed with their scores, even with the segment's value masked,
    their other columns and their very script told which segment each came from (found by an
    audit: a hidden Bulgarian source's four comments, in Cyrillic, gave its scores)."""
    from .pyramid import NOT_SET

    for dim, labels in hidden.items():
        labels = set(labels)
        if not labels:
            continue
        keys = {label_key(v) for v in labels}
        codes = sorted(c for label, c in cat.segments.get(dim, {}).items() if label_key(label) in keys)
        column = f"{alias}.{dim_column(dim)}"
        if NOT_SET in labels:
            where.add(f"{column} IS NOT NULL")
        if codes:
            where.add(f"({column} IS NULL OR NOT {_in(column, codes)})", *codes)
    return where


def comments(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
             score_measure: str | None, limit: int = 200,
             dated_times: Iterable[tuple[date, date]] | None = None,
             withheld: Mapping[str, Iterable[str]] | None = None) -> tuple[list[tuple], int]:
    """The verbatims behind a number, newest first: (responded_at, score, comment, source,
    response id, seg values...), and how many match in all. One scan of the comments finds both:
    the search folds every comment of the period, and a year behind the index at 10M responses
    is a million of them (counting in a second scan doubled the wait).

    With `dated_times` (the [start, end) days of the buckets a trend beside them shows), comments
    outside those days come after all the others, among themselves in an order that says nothing
    of their time: first, the newest page's edge would tell which of them are the later ones."""
    where = _comment_filter(model, cat, view, period, level=level, node=node, score_measure=score_measure)
    withhold_segments(where, cat, withheld or {})
    code = cat.measures.get(score_measure) if score_measure else None
    score, at = _score_sql(cat, level, node, period)
    params: list = [code, *at] if code is not None else []
    seg_cols = [s.key for s in model.segments if s.key in cat.segments]
    seg_sql = "".join(
        f", (SELECT label FROM labels l WHERE l.dim = ? AND l.code = r.{dim_column(k)})" for k in seg_cols
    )
    # The newest keys and the count in one scan; then the details of those few rows alone (a join
    # of them with the responses scanned all ten million).
    spans = list(dated_times) if dated_times is not None else None
    undated = "FALSE" if spans is None else \
        "NOT (" + (" OR ".join(["(r.responded_at >= ? AND r.responded_at < ?)"] * len(spans)) or "FALSE") + ")"
    newest = cur.execute(
        f"""SELECT r.response_key, epoch(r.responded_at), count(*) OVER (), ({undated}) AS undated
            FROM responses r WHERE {where.sql()}
            ORDER BY undated, CASE WHEN undated THEN hash(r.response_key) END, r.responded_at DESC, r.response_key DESC
            LIMIT ?""", [x for a, b in spans or () for x in (ts(a), ts(b))] + where.params + [limit]).fetchall()
    if not newest:
        return [], 0
    keys = [k for k, *_ in newest]
    sql = f"""
        SELECT r.response_key, strftime(r.responded_at, '%Y-%m-%d %H:%M') AS responded_at, {score if code is not None else 'NULL'} AS score, r.comment,
               (SELECT name FROM sources s WHERE s.source_id = r.source_id) AS source, r.source_response_id{seg_sql}
        FROM responses r
        WHERE r.responded_at >= to_timestamp(?) AND r.responded_at <= to_timestamp(?)
              AND r.response_key IN (SELECT unnest(?::BIGINT[]))
        ORDER BY r.responded_at DESC, r.response_key DESC
    """
    # Stored in time order: the span of these rows (a second wider, for the seconds' rounding)
    # reads their row groups alone.
    times = [t for _, t, *_ in newest]
    lo, hi = math.floor(min(times)) - 1, math.ceil(max(times)) + 1
    # The keys bound as one list: a download of every comment binds a hundred thousand (as many
    # placeholders took seconds to prepare).
    found = {row[0]: row[1:] for row in cur.execute(sql, params + ["seg_" + k for k in seg_cols] + [lo, hi, keys]).fetchall()}
    return [found[k] for k in keys if k in found], newest[0][2]


def comment_words(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
                  score_measure: str | None = None, limit: int = 12,
                  withheld: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, int]]:
    """The words the most comments of `comments`' set use: (word, comments), most first."""
    where = _comment_filter(model, cat, view, period, level=level, node=node, score_measure=score_measure)
    withhold_segments(where, cat, withheld or {})  # as the list leaves them out: a chip's count is a count of them
    stop = sorted({w.translate(FOLD) for w in STOPWORDS})
    sql = f"""
        WITH w AS (
            SELECT DISTINCT r.response_key, unnest(regexp_split_to_array({_folded('r.comment')}, ?)) AS word,
                   CASE WHEN contains(r.comment, '\u064a') OR contains(r.comment, '\u0643')
                        THEN NOT regexp_matches(r.comment, '[\u06cc\u06a9\u067e\u0686\u0698\u06af]')
                        ELSE false END AS arabic
            FROM responses r WHERE {where.sql()})
        SELECT word, count(*) AS n, count(*) FILTER (WHERE arabic) * 2 > count(*) AS arabic FROM w
        WHERE length(word) >= ? AND NOT regexp_full_match(word, '[0-9]+')
        GROUP BY word HAVING NOT list_contains(?, word) ORDER BY n DESC, word LIMIT ?
    """
    # The stopwords (some 1,500 spellings) are looked up once per distinct word, after the count:
    # looked up for every word of every comment they made it 50% slower at 2M responses.
    # A word reads in Arabic letters where most comments using it are Arabic (an Arabic kaf or
    # yeh, and no letter only Persian has: a Persian comment naming 'علي' stays Persian). Found by
    # audits; one pass costs 15% at 10M, keeping every spelling cost 40%.
    rows = cur.execute(sql, [WORD_SPLIT, *where.params, MIN_LETTERS, stop, limit]).fetchall()
    return [(word.translate(UNFOLD) if arabic else word, n) for word, n, arabic in rows]






def _theme_listed(model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
                  score_measure: str, withheld: Mapping[str, Iterable[str]] | None, columns: str) -> tuple[str, list] | None:
    """The statement of the comments a view lists (`comments`' set) with the score of
    `score_measure` given with each (`s.score`) and `columns` of `r`, and its parameters; None
    without that measure."""
    where = _comment_filter(model, cat, view, period, level=level, node=node, score_measure=score_measure)
    withhold_segments(where, cat, withheld or {})  # as the list leaves them out
    measure, code = model.measures.get(score_measure), cat.measures.get(score_measure)
    if measure is None or code is None:
        return None
    at = _answers_at(cat, level, node, period)
    sql = f"""SELECT {columns}, s.score
              FROM responses r
              LEFT JOIN (SELECT a.response_key, max(a.value) AS score FROM answers a WHERE a.measure = ? AND {at.sql()}
                         GROUP BY a.response_key) s ON s.response_key = r.response_key
              WHERE {where.sql()}"""
    return sql, [code, *at.params, *where.params]


def _theme_sums(themes: int, test) -> str:
    """Per theme (`test(i)`: SQL true when the row's comment is about theme i), then for all: the
    (comments, n, sum, sum of squares, top box, bottom box) of `score`, with two parameters per
    group: the measure's top and bottom box."""
    def sums(cond: str) -> str:
        f, both = (f" FILTER (WHERE {cond})", f" AND {cond}") if cond else ("", "")
        return (f"count(*){f}, count(score){f}, sum(score){f}, sum(score * score){f}, "
                f"count(*) FILTER (WHERE score >= ?{both}), count(*) FILTER (WHERE score <= ?{both})")

    return ", ".join([sums(test(i)) for i in range(themes)] + [sums("")])


def theme_cells(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
                score_measure: str, patterns: list[str],
                withheld: Mapping[str, Iterable[str]] | None = None) -> list[tuple]:
    """Per theme pattern (cxdata.search.any_word), then for all of `comments`' set: (comments, n,
    sum, sum of squares, top box, bottom box) of the scores of `score_measure` given with them.
    One scan of the comments and one grouping of the measure's answers for every theme: a search
    per theme of every comment listed (`theme_groups` reads the themes kept instead)."""
    listed = _theme_listed(model, cat, view, period, level=level, node=node, score_measure=score_measure,
                           withheld=withheld, columns="r.comment")
    if listed is None:
        return [(0, 0, None, None, 0, 0)] * (len(patterns) + 1)
    measure = model.measures[score_measure]
    flags = "".join(f", regexp_matches(comment, ?) AS t{i}" for i in range(len(patterns)))
    # The comments first, then the searches: in one step DuckDB ran every theme's search on every
    # comment of the period before the node's filter left a team's few (ten themes of a team at 1M
    # responses: 0.29 s against 0.20 s).
    sql = f"""
        WITH listed AS MATERIALIZED ({listed[0]}),
        c AS (SELECT score{flags} FROM listed)
        SELECT {_theme_sums(len(patterns), lambda i: f"t{i}")} FROM c"""
    params = [*listed[1], *patterns]
    params += [measure.top_box, measure.bottom_box] * (len(patterns) + 1)
    row = cur.execute(sql, params).fetchone()
    return [tuple(row[6 * i:6 * i + 6]) for i in range(len(patterns) + 1)]


class ThemeGroups(NamedTuple):
    """The comments a view lists grouped by their themes kept (cxdata.theme_flags): per set of
    themes, (bits, comments, n, sum, sum of squares, top box, bottom box) of the scores of the
    measure given with them; `unkept`, the (response_key, comment_hash, score) of the comments
    with no themes kept for their text, counted in no group; `twice`, how many comments have their
    themes kept twice (which the writes' lock prevents), whose groups count them twice."""

    groups: list[tuple]
    unkept: list[tuple]
    twice: int = 0


def theme_groups(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
                 score_measure: str, set_id: int, withheld: Mapping[str, Iterable[str]] | None = None) -> ThemeGroups:
    """`theme_cells`' comments grouped by the themes kept for set `set_id`: a grouping of a few
    integers instead of a search per theme of every comment, and the comments without (after an
    upload, its new ones; after the themes changed, all) to search (`comment_themes`)."""
    listed = _theme_listed(model, cat, view, period, level=level, node=node, score_measure=score_measure,
                           withheld=withheld, columns="r.response_key, hash(r.comment) AS comment_hash")
    if listed is None:
        return ThemeGroups([], [])
    measure = model.measures[score_measure]
    sql = f"""
        WITH listed AS ({listed[0]}),
        c AS (SELECT l.*, f.flags FROM listed l LEFT JOIN comment_themes f
              ON f.set_id = ? AND f.response_key = l.response_key AND f.comment_hash = l.comment_hash)
        SELECT flags, count(*), count(score), sum(score), sum(score * score), count(*) FILTER (WHERE score >= ?),
               count(*) FILTER (WHERE score <= ?), count(*) - count(DISTINCT response_key),
               list(response_key) FILTER (WHERE flags IS NULL), list(comment_hash) FILTER (WHERE flags IS NULL),
               list(score) FILTER (WHERE flags IS NULL)
        FROM c GROUP BY flags"""
    rows = cur.execute(sql, [*listed[1], set_id, measure.top_box, measure.bottom_box]).fetchall()
    groups = sorted((tuple(r[:7]) for r in rows if r[0] is not None), key=lambda g: g[0])
    unkept = [u for r in rows if r[0] is None for u in zip(r[8], r[9], r[10])]
    return ThemeGroups(groups, unkept, sum(r[7] for r in rows))


def comment_themes(cur, comments: list[tuple], patterns: list[str]):
    """The themes of `patterns` (bit i for pattern i) in the comments `comments` names by
    (response_key, comment_hash, ...), of those that still have that text: an Arrow table
    (response_key, comment_hash, flags) for cxdata.theme_flags.fill. The search per theme, of
    those comments alone; their keys are found as the responses are stored, in time order."""
    import pyarrow as pa

    keys = pa.table({"response_key": pa.array([c[0] for c in comments], pa.int64()),
                     "comment_hash": pa.array([c[1] for c in comments], pa.uint64())})
    bits = " | ".join(f"(regexp_matches(r.comment, ?)::INTEGER << {i})" for i in range(len(patterns)))
    cur.register("theme_keys", keys)
    try:
        return cur.sql(f"""SELECT r.response_key, k.comment_hash, {bits} AS flags
                           FROM responses r JOIN theme_keys k
                           ON r.response_key = k.response_key AND hash(r.comment) = k.comment_hash""",
                       params=patterns).to_arrow_table()
    finally:
        cur.unregister("theme_keys")


def theme_cells_of(groups: list[tuple], themes: int) -> list[tuple]:
    """`theme_cells`' rows from `theme_groups`' groups: per theme the groups whose bits hold it,
    added in the order of the bits, then all of them."""
    out = []
    for test in [lambda b, i=i: b >> i & 1 for i in range(themes)] + [lambda b: 1]:
        chosen = [g[1:] for g in groups if test(g[0])]
        comments, n, s, ss, top, bottom = (sum(g[k] or 0 for g in chosen) for k in range(6))
        # (a sum of no score is NULL, as SQL's)
        out.append((comments, n, s if n else None, ss if n else None, top, bottom))
    return out


def answer_sources(cur, cat: Catalog, view: ViewState, period: Period, measure: int) -> list[tuple[str, int]]:
    """The survey sources of the responses that answered `measure` in the period under the view's
    segment filters: (source, responses), most first. What the key drivers of an outcome are read
    from (every driver is an answer of those same responses)."""
    where = Where().add("a.measure = ? AND a.responded_at >= ? AND a.responded_at < ?", measure,
                        ts(period.start), ts(period.end))
    segment_filter(where, view, cat, alias="a")
    sql = (f"SELECT s.name, count(DISTINCT a.response_key) AS n FROM answers a "
           f"JOIN responses r ON r.response_key = a.response_key JOIN sources s ON s.source_id = r.source_id "
           f"WHERE {where.sql()} GROUP BY s.name ORDER BY n DESC, s.name")
    return [(str(name), int(n)) for name, n in cur.execute(sql, where.params).fetchall()]


def driver_answers(cur, cat: Catalog, view: ViewState, period: Period, outcome: int, dim: str | None = None) -> dict:
    """Every answer in the period of the responses that answered measure `outcome` in the period
    under the view's segment filters, as numpy columns: response_key, measure, touchpoint (-1 for
    none), team (-1 for none), value, and with `dim` the answer's code of that segment (-1 for none). The drivers of
    an outcome are read from these (cxdata.drivers). One semi-join: at 10M responses a year of a
    relationship survey is about 4M answers, 0.4-0.5 s."""
    span = (ts(period.start), ts(period.end))
    inner = Where().add("measure = ? AND responded_at >= ? AND responded_at < ?", outcome, *span)
    segment_filter(inner, view, cat)
    seg = f", coalesce({dim_column(dim)}, -1) AS seg" if dim else ""
    sql = (f"SELECT response_key, measure, coalesce(touchpoint, -1) AS touchpoint, coalesce(team, -1) AS team, "
           f"value{seg} FROM answers "
           f"WHERE responded_at >= ? AND responded_at < ? "
           f"AND response_key IN (SELECT response_key FROM answers WHERE {inner.sql()})")
    return cur.execute(sql, [*span, *inner.params]).fetchnumpy()
