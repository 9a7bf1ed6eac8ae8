"""SQL for every view: one parameterised query per screen element, returning counts and sums.

Statistics are never computed in SQL: each query returns sufficient statistics (n, sum, sum of
squares, top-box and bottom-box counts) per cell, and `stats` turns them into values, intervals
and tests. That keeps one code path for tiles, charts, exports and the CLI, and lets the same
numbers be answered from rollups later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from .model import Model, label_key
from .period import Period
from .sql import dim_column
from .view import ViewState


@dataclass(frozen=True)
class Catalog:
    """The label dictionary of the stored data, resolved against the model."""

    measures: dict[str, int]  # measure key -> code
    touchpoints: dict[int, str]  # label code -> touchpoint key (labels the model recognises)
    teams: dict[int, str]  # label code -> team key
    segments: dict[str, dict[str, int]]  # dim -> label -> code
    unmapped: dict[str, tuple[str, ...]]  # 'touchpoint'/'team' -> labels in the data the model does not know
    first: date | None
    as_of: date | None
    responses: int

    def segment_values(self, dim: str, model: Model) -> list[str]:
        values = list(self.segments.get(dim, {}))
        seg = model.segment(dim)
        order = {label_key(v): i for i, v in enumerate(seg.order)} if seg else {}
        return sorted(values, key=lambda v: (order.get(label_key(v), len(order)), v.casefold()))


def catalog(cur, model: Model) -> Catalog:
    rows = cur.execute("SELECT dim, code, label FROM labels").fetchall()
    by_dim: dict[str, dict[str, int]] = {}
    for dim, code, label in rows:
        by_dim.setdefault(dim, {})[label] = code
    tps, teams, unmapped = {}, {}, {"touchpoint": [], "team": []}
    for level, out in (("touchpoint", tps), ("team", teams)):
        for label, code in by_dim.get(level, {}).items():
            key = model.resolve(level, label)
            if key:
                out[code] = key
            else:
                unmapped[level].append(label)
    seg_dims = {d[4:]: v for d, v in by_dim.items() if d.startswith("seg_")}
    # Dates are cast in SQL: fetching TIMESTAMPTZ values would need pytz on the Python side.
    first, last, n = cur.execute(
        "SELECT min(responded_at)::DATE, max(responded_at)::DATE, count(*) FROM responses"
    ).fetchall()[0]
    return Catalog(
        measures=by_dim.get("measure", {}),
        touchpoints=tps,
        teams=teams,
        segments=seg_dims,
        unmapped={k: tuple(sorted(v)) for k, v in unmapped.items()},
        first=first,
        as_of=last,
        responses=n,
    )


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
        if not values:
            return self.add("FALSE")
        return self.add(f"{column} IN ({', '.join('?' * len(values))})", *values)

    def sql(self) -> str:
        return " AND ".join(self.parts) or "TRUE"


def segment_filter(where: Where, view: ViewState, cat: Catalog, alias: str = "") -> Where:
    """Filters on segment labels become code lists; a label with no data matches nothing."""
    prefix = f"{alias}." if alias else ""
    for dim, values in view.filters:
        codes = [cat.segments.get(dim, {}).get(v) for v in values]
        where.add_in(prefix + dim_column(dim), [c for c in codes if c is not None])
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


def cells(cur, model: Model, cat: Catalog, view: ViewState, periods: list[Period], *, by: str | None = None,
          measures: list[str] | None = None) -> list[tuple]:
    """Sufficient statistics per (period index, level, node code, [segment code], measure code).

    One scan answers the index, every touchpoint and every team for all periods at once
    (grouping sets); `by` adds a segment dimension for side-by-side splits and heatmaps.
    Rows: (period, level, node, seg, measure, n, s1, s2, hi, lo) with level in
    'all' | 'touchpoint' | 'team'.
    """
    wanted = [cat.measures[m] for m in (measures or model.measures_used()) if m in cat.measures]
    if not wanted or not periods:
        return []
    where = Where()
    where.add("(" + " OR ".join(["(responded_at >= ? AND responded_at < ?)"] * len(periods)) + ")",
              *[x for p in periods for x in (ts(p.start), ts(p.end))])
    where.add_in("measure", wanted)
    segment_filter(where, view, cat)
    period_case = "CASE " + " ".join(["WHEN responded_at >= ? AND responded_at < ? THEN ?"] * len(periods)) + " END"
    period_params = [x for i, p in enumerate(periods) for x in (ts(p.start), ts(p.end), i)]
    hi_case, hi_params = _box_case(model, cat, "hi")
    lo_case, lo_params = _box_case(model, cat, "lo")
    seg = dim_column(by) if by else "NULL"
    keys = "period, measure" + (", seg" if by else "")
    sql = f"""
        WITH f AS (
            SELECT {period_case} AS period, measure, touchpoint, team, {seg} AS seg, value,
                   (value >= {hi_case})::INTEGER AS hi, (value <= {lo_case})::INTEGER AS lo
            FROM answers WHERE {where.sql()})
        SELECT period,
               CASE WHEN GROUPING(touchpoint) = 0 THEN 'touchpoint' WHEN GROUPING(team) = 0 THEN 'team' ELSE 'all' END AS level,
               coalesce(touchpoint, team) AS node, {"seg" if by else "NULL"} AS seg, measure,
               count(*) AS n, sum(value) AS s1, sum(value * value) AS s2, sum(hi) AS hi, sum(lo) AS lo
        FROM f
        GROUP BY GROUPING SETS (({keys}), ({keys}, touchpoint), ({keys}, team))
        HAVING level = 'all' OR node IS NOT NULL
    """
    return cur.execute(sql, period_params + hi_params + lo_params + where.params).fetchall()


GRAIN_SQL = {"week": "week", "month": "month", "quarter": "quarter"}


def trend(cur, model: Model, cat: Catalog, view: ViewState, window: Period, *, level: str, node: str | None,
          measures: list[str]) -> list[tuple]:
    """Sufficient statistics per (bucket start, measure) for one node over `window`."""
    wanted = [cat.measures[m] for m in measures if m in cat.measures]
    if not wanted:
        return []
    where = Where().add("responded_at >= ? AND responded_at < ?", ts(window.start), ts(window.end))
    where.add_in("measure", wanted)
    _node_filter(where, cat, level, node)
    segment_filter(where, view, cat)
    hi_case, hi_params = _box_case(model, cat, "hi")
    lo_case, lo_params = _box_case(model, cat, "lo")
    sql = f"""
        SELECT date_trunc('{GRAIN_SQL[view.grain]}', timezone('UTC', responded_at))::DATE AS bucket, measure,
               count(*) AS n, sum(value), sum(value * value),
               count(*) FILTER (WHERE value >= {hi_case}), count(*) FILTER (WHERE value <= {lo_case})
        FROM answers WHERE {where.sql()}
        GROUP BY ALL ORDER BY bucket
    """
    return cur.execute(sql, hi_params + lo_params + where.params).fetchall()


def _node_filter(where: Where, cat: Catalog, level: str, node: str | None, alias: str = "") -> None:
    prefix = f"{alias}." if alias else ""
    if level == "touchpoint":
        where.add_in(prefix + "touchpoint", [c for c, k in cat.touchpoints.items() if k == node])
    elif level == "team":
        where.add_in(prefix + "team", [c for c, k in cat.teams.items() if k == node])


def comments(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None,
             score_measure: str | None, limit: int = 200, score_range: tuple[float, float] | None = None) -> list[tuple]:
    """The verbatims behind a number: (responded_at, score, comment, source, seg values...) newest first.

    Text search is a bound parameter matched with `contains`, never pattern syntax from the user."""
    where = Where().add("r.comment IS NOT NULL AND r.responded_at >= ? AND r.responded_at < ?", ts(period.start), ts(period.end))
    _node_filter(where, cat, level, node, alias="r")
    segment_filter(where, view, cat, alias="r")
    if view.search:
        where.add("contains(lower(r.comment), lower(?))", view.search)
    code = cat.measures.get(score_measure) if score_measure else None
    score_sql = "(SELECT max(a.value) FROM answers a WHERE a.response_key = r.response_key AND a.measure = ?)"
    params: list = [code] if code is not None else []
    if score_range is not None and code is not None:
        where.add(f"{score_sql} BETWEEN ? AND ?", code, *score_range)
    seg_cols = [s.key for s in model.segments if s.key in cat.segments]
    seg_sql = "".join(
        f", (SELECT label FROM labels l WHERE l.dim = ? AND l.code = r.{dim_column(k)})" for k in seg_cols
    )
    sql = f"""
        SELECT strftime(r.responded_at, '%Y-%m-%d %H:%M') AS responded_at, {score_sql if code is not None else 'NULL'} AS score, r.comment,
               (SELECT name FROM sources s WHERE s.source_id = r.source_id) AS source, r.source_response_id{seg_sql}
        FROM responses r WHERE {where.sql()}
        ORDER BY r.responded_at DESC, r.response_key DESC LIMIT ?
    """
    rows = cur.execute(sql, params + ["seg_" + k for k in seg_cols] + where.params + [limit]).fetchall()
    return rows


def comment_count(cur, cat: Catalog, view: ViewState, period: Period, *, level: str, node: str | None) -> int:
    where = Where().add("r.comment IS NOT NULL AND r.responded_at >= ? AND r.responded_at < ?", ts(period.start), ts(period.end))
    _node_filter(where, cat, level, node, alias="r")
    segment_filter(where, view, cat, alias="r")
    if view.search:
        where.add("contains(lower(r.comment), lower(?))", view.search)
    return cur.execute(f"SELECT count(*) FROM responses r WHERE {where.sql()}", where.params).fetchall()[0][0]
