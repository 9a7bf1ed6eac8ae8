"""Pre-aggregated answers, kept exact by every write.

A rollup row holds, per period bucket x measure x touchpoint x team [x segments], the count, sum
and sum of squares of the answers *per distinct value*. Counts per value make a rollup
independent of the model: a KPI's top box or NPS boundaries are applied when querying, so the
same rows answer NPS, top-box, yes-rate and mean for any thresholds. Values that are not whole
numbers of a bounded scale go into one bucket with value NULL; such measures can still answer
means from a rollup, and fall back to raw answers for box statistics.

Two grains, chosen so that every common view reads a few tens of thousands of rows:

* day grain: one table without segments and one per segment dimension. They answer any
  period, and the ragged ends of periods that are not whole months.
* month grain (column ``day`` holds the first day of the month): one without segments, one per
  dimension and one per *pair* of dimensions, so a view with a filter and a split, or two
  filters, is answered from rollups too. Whole months of a period are read here.

Views on three or more dimensions scan `answers`, whose rows are stored in time order so the
period filter skips most of them. Every write brings the rollups up to date inside its own
transaction (`apply_changes`): it adds the answers it changed, key by key, or rebuilds the months
they fall in from the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from .sql import dim_column, quote_ident, scratch

BASE = "rollup"
HIST_LIMIT = 1000  # whole values within +-1000 are kept per value; others are pooled
# Pair tables grow with the square of the number of dimensions; past this many dimensions
# two-dimension views read the raw answers instead of making every upload pay for all pairs.
MAX_PAIR_DIMS = 8
GRAINS = ("day", "month")
# A write whose changed answers are at most this share of the answers stored (after it) from the
# first to the last month they fall in has them added to the rollups; a larger one rebuilds the
# months they fall in (one scan of the answers then costs less than merging its changes key by key).
INCREMENTAL_MAX_SHARE = 0.25


@dataclass(frozen=True, order=True)
class Rollup:
    grain: str  # 'day' | 'month'
    dims: tuple[str, ...]  # sorted segment dimensions

    @property
    def name(self) -> str:
        if self.grain == "day":
            return BASE if not self.dims else f"{BASE}_{self.dims[0]}"
        # '$' cannot appear in a segment key, so names of single dimensions and pairs never collide.
        return "$".join((BASE, "month", *self.dims))

    @property
    def table(self) -> str:
        return quote_ident(self.name)


def layout(dims) -> list[Rollup]:
    """Every rollup the storage keeps for these segment dimensions."""
    dims = sorted(dims)
    out = [Rollup("day", ())] + [Rollup("day", (d,)) for d in dims]
    out += [Rollup("month", ())] + [Rollup("month", (d,)) for d in dims]
    if len(dims) <= MAX_PAIR_DIMS:
        out += [Rollup("month", pair) for pair in combinations(dims, 2)]
    return out


def table_for(dim: str | None) -> str:
    """The day-grain table of one dimension (None: no segment)."""
    return Rollup("day", () if dim is None else (dim,)).table


def _bucket() -> str:
    return f"CASE WHEN value = round(value) AND abs(value) <= {HIST_LIMIT} THEN value END"


def _stored_names(cur) -> set[str]:
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND table_name LIKE 'rollup%'"
    ).fetchall()}


def existing(cur, dims) -> frozenset[Rollup]:
    """The rollups of `layout(dims)` present in the database."""
    names = _stored_names(cur)
    return frozenset(r for r in layout(dims) if r.name in names)


def _build(cur, targets: list[Rollup], where: str, params: list) -> None:
    """Insert the rows of `targets` for the answers matching `where`. Day rollups and pair
    rollups are grouped from the answers (`_scan`); the month rollups of none or one segment are
    then summed from the day rollup of the same segments, which is fresh by then and some thirty
    times smaller than the answers."""
    derived = [r for r in targets if r.grain == "month" and len(r.dims) < 2]
    _scan(cur, [r for r in targets if r not in derived], where, params)
    for r in derived:
        seg = "".join(f", {dim_column(d)}" for d in r.dims)
        cur.execute(
            f"INSERT INTO {r.table} SELECT date_trunc('month', day)::DATE AS month, measure, touchpoint, team{seg}, value, "
            f"sum(n), sum(s1), sum(s2) FROM {Rollup('day', r.dims).table} WHERE {where} GROUP BY ALL ORDER BY month",
            params,
        )


def _aggregate(cur, targets: list[Rollup], source: str, params: list, *, signed: bool) -> list[tuple[Rollup, int]]:
    """Group the answer rows of `source` for every rollup of `targets` in one grouping-sets pass,
    into temp table "rollup$build"; returns each target with its grouping id. A signed source
    (column `sign`: +1 an answer arrives, -1 one leaves) gives the change of each rollup row."""
    segs = sorted({d for r in targets for d in r.dims})
    # GROUPING() accepts only columns some set groups by.
    grains = [g for g in GRAINS if any(r.grain == g for r in targets)]
    cols = grains + [dim_column(d) for d in segs]
    date_of_set = grains[0] if len(grains) == 1 else "coalesce(day, month)"  # each grouping set keeps one
    seg_cols = "".join(f", {dim_column(d)}" for d in segs)
    w = "sign * " if signed else ""
    n = "sum(sign)" if signed else "count(*)"

    def group(r: Rollup) -> list[str]:
        return [r.grain, *(dim_column(d) for d in r.dims)]

    sets = ", ".join(f"({', '.join(group(r))}, measure, touchpoint, team, bucket)" for r in targets)
    cur.execute(
        f"""CREATE TEMP TABLE "rollup$build" AS
            WITH a AS (SELECT day, date_trunc('month', day)::DATE AS month, measure, touchpoint, team,
                              {_bucket()} AS bucket, value{seg_cols}{", sign" if signed else ""} FROM {source})
            SELECT GROUPING({', '.join(cols)}) AS gid, {date_of_set} AS day, measure, touchpoint, team,
                   bucket AS value{seg_cols}, {n} AS n, sum({w}value) AS s1, sum({w}value * value) AS s2
            FROM a GROUP BY GROUPING SETS ({sets})""",
        params,
    )
    # GROUPING() sets a bit per column left out of the set; the first column is the highest bit.
    return [(r, sum(1 << (len(cols) - 1 - i) for i, c in enumerate(cols) if c not in set(group(r)))) for r in targets]


def _scan(cur, targets: list[Rollup], where: str, params: list) -> None:
    """Insert the rows of `targets` for the answers matching `where`, one grouping each. One
    grouping-sets pass into a scratch table, then a copy per target, took 1.4 s for the 22
    targets of a 1M-answer upload; a grouping per target straight into its table 1.1-1.2 s (the
    answers' few columns are read again each time, but nothing is written twice)."""
    for r in targets:
        seg = "".join(f", {dim_column(d)}" for d in r.dims)
        day = "day" if r.grain == "day" else "date_trunc('month', day)::DATE"
        cur.execute(
            f"INSERT INTO {r.table} SELECT {day} AS day, measure, touchpoint, team{seg}, {_bucket()} AS value, "
            f"count(*), sum(value), sum(value * value) FROM answers WHERE {where} GROUP BY ALL ORDER BY day",
            params,
        )


def _add_changes(cur, targets: list[Rollup], delta: str) -> None:
    """Add the signed answer rows of temp table or view `delta` to the rows of `targets`: a row
    whose count falls to zero goes, a new key is inserted. Exact only for the per-value buckets
    (whole values, where a row's sums are its count times its value); the caller checks that."""
    with scratch(cur, tables=["rollup$build"]):
        gids = _aggregate(cur, targets, quote_ident(delta), [], signed=True)
        # Untimed answers (day NULL) have rows of their own, merged in a statement of their own:
        # matching `day` NULL to NULL in every merge kept DuckDB from skipping the row groups
        # outside the changed days (12 ms against 4 ms per table for a day of changes at 10M).
        untimed = cur.execute('SELECT count(*) FROM temp."rollup$build" WHERE day IS NULL').fetchall()[0][0] > 0
        for r, gid in gids:
            keys = ["day", "measure", "touchpoint", "team", *(dim_column(d) for d in r.dims), "value"]
            # Touchpoint, team and segments may be NULL; measure and value never are here.
            on = " AND ".join(f"t.{k} = d.{k}" if k in ("measure", "value") else f"t.{k} IS NOT DISTINCT FROM d.{k}"
                              for k in keys[1:])
            for day_on, day_rows in [("t.day = d.day", "day IS NOT NULL")] + [("t.day IS NULL", "day IS NULL")] * untimed:
                cur.execute(
                    f"""MERGE INTO {r.table} t
                        USING (SELECT {', '.join(keys)}, n, s1, s2 FROM temp."rollup$build"
                               WHERE gid = ? AND n <> 0 AND {day_rows}) d ON ({day_on} AND {on})
                        WHEN MATCHED AND t.n + d.n = 0 THEN DELETE
                        WHEN MATCHED THEN UPDATE SET n = t.n + d.n, s1 = t.s1 + d.s1, s2 = t.s2 + d.s2
                        WHEN NOT MATCHED THEN INSERT ({', '.join(keys)}, n, s1, s2) VALUES ({', '.join('d.' + k for k in keys)}, d.n, d.s1, d.s2)""",
                    [gid],
                )


def ensure(cur, dims) -> list[Rollup]:
    """Create and fill the missing rollup tables from all answers; returns the rollups created."""
    wanted = layout(dims)
    # A table the layout no longer has (pairs past MAX_PAIR_DIMS) would go stale: drop it, so no
    # later layout can mistake it for a maintained one.
    for name in _stored_names(cur) - {r.name for r in wanted}:
        cur.execute(f"DROP TABLE {quote_ident(name)}")
    have = existing(cur, dims)
    created = [r for r in wanted if r not in have]
    for r in created:
        seg = "".join(f"{dim_column(d)} INTEGER, " for d in r.dims)
        cur.execute(f"CREATE TABLE {r.table} (day DATE, measure INTEGER, touchpoint INTEGER, team INTEGER, "
                    f"{seg}value DOUBLE, n BIGINT, s1 DOUBLE, s2 DOUBLE)")
    _build(cur, created, "TRUE", [])
    return created


def stored_dims(cur) -> list[str]:
    """Segment dimensions present in storage (columns seg_<key> of `answers`, in table order).
    Read from the columns of an empty result: the catalog function duckdb_columns() took 60 ms
    on the first page of a fresh server."""
    return [d[0][4:] for d in cur.execute("SELECT * FROM answers LIMIT 0").description if d[0].startswith("seg_")]


def _rebuild_months(cur, present: list[Rollup], days_table: str) -> None:
    """Rebuild the rows of `present` for the months of the days in `days_table` (and, for a NULL
    day, the rows of untimed answers) from the answers."""
    lo, hi, untimed = cur.execute(f"SELECT min(day), max(day), bool_or(day IS NULL) FROM {days_table}").fetchall()[0]
    if untimed:  # answers without a time: no period counts them, but they have rows of their own
        for r in present:
            cur.execute(f"DELETE FROM {r.table} WHERE day IS NULL")
        _build(cur, present, "day IS NULL", [])
    if lo is None:
        return
    months = f"(SELECT DISTINCT date_trunc('month', day)::DATE FROM {days_table})"
    # The bounds let the scan skip the answers outside the touched span (they are stored in time order).
    where = (f"day >= date_trunc('month', ?::DATE) AND day < date_trunc('month', ?::DATE) + INTERVAL 1 MONTH "
             f"AND date_trunc('month', day)::DATE IN {months}")
    for r in present:
        cur.execute(f"DELETE FROM {r.table} WHERE {where}", [lo, hi])
    _build(cur, present, where, [lo, hi])


def change_columns(cur) -> str:
    """The columns of an answers-shaped table that the rollups group by, for a change set (see
    `apply_changes`): selected with a sign in front, they make its rows."""
    return ", ".join(["day", "measure", "touchpoint", "team", "value", *(dim_column(d) for d in stored_dims(cur))])


def apply_changes(cur, changes: str) -> None:
    """Bring every rollup up to date with the answers a write added and took away: the rows of
    temp table or view `changes`, a `sign` (+1 added, -1 taken away) and `change_columns`, written
    in the same transaction as the answers themselves. Rollups created now (a new dimension) are
    built from all answers. The others get the changes added, key by key, so that a small upload
    into a large database costs the size of the upload, not of the months it touches; when a
    change holds values off the whole-number scale (pooled sums, where adding and taking away
    floating-point values would drift from the raw answers' sums) or is large against the
    answers of its months, those months are rebuilt from the answers instead."""
    dims = stored_dims(cur)
    created = set(ensure(cur, dims))
    present = [r for r in sorted(existing(cur, dims)) if r not in created]
    if not present:
        return
    with scratch(cur, tables=["rollup$days"]):
        # One read of the changes (a view over the upload may join it again on every read).
        cur.execute(f"""CREATE TEMP TABLE "rollup$days" AS SELECT day, count(*) AS n,
                               count(*) FILTER (WHERE {_bucket()} IS NULL) AS pooled
                        FROM {quote_ident(changes)} GROUP BY day""")
        rows, pooled, lo, hi = cur.execute(
            'SELECT sum(n), sum(pooled), min(day), max(day) FROM temp."rollup$days"').fetchall()[0]
        if not rows:
            return
        if not pooled:
            span = cur.execute("SELECT count(*) FROM answers WHERE day >= date_trunc('month', ?::DATE) "
                               "AND day < date_trunc('month', ?::DATE) + INTERVAL 1 MONTH", [lo, hi]).fetchall()[0][0]
            if rows <= span * INCREMENTAL_MAX_SHARE:
                _add_changes(cur, present, changes)
                return
        _rebuild_months(cur, present, 'temp."rollup$days"')


def continuous_measures(cur) -> set[int]:
    """Measures with answers outside the per-value histogram: box statistics need the raw rows."""
    if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
                       [BASE]).fetchall()[0][0]:
        return set()
    return {r[0] for r in cur.execute(f"SELECT DISTINCT measure FROM {table_for(None)} WHERE value IS NULL").fetchall()}
