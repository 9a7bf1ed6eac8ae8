"""Pre-aggregated answers, kept exact by every write.

A rollup row holds, per UTC day x measure x touchpoint x team [x one segment], the count, sum
and sum of squares of the answers *per distinct value*. Counts per value make the rollup
independent of the model: a KPI's top box or NPS boundaries are applied when querying, so the
same rows answer NPS, top-box, yes-rate and mean for any thresholds. Values that are not whole
numbers of a bounded scale go into one bucket with value NULL; such measures can still answer
means from the rollup, and fall back to raw answers for box statistics.

There is one base rollup (no segment) and one per segment dimension, which together answer
the common views (no filter, one filter, a split by the filtered dimension) by scanning a few
hundred thousand rows instead of tens of millions. Views filtering on two or more dimensions
scan `answers`, whose rows are stored in time order so the period filter skips most of them.
"""

from __future__ import annotations

from .sql import dim_column, quote_ident

BASE = "rollup"
HIST_LIMIT = 1000  # whole values within +-1000 are kept per value; others are pooled


def table_for(dim: str | None) -> str:
    return quote_ident(BASE if dim is None else f"{BASE}_{dim}")


def _bucket() -> str:
    return f"CASE WHEN value = round(value) AND abs(value) <= {HIST_LIMIT} THEN value END"


def _existing(cur) -> set[str]:
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND table_name LIKE 'rollup%'"
    ).fetchall()}


def _build(cur, dims: list[str | None], where: str) -> None:
    """Insert the rollup rows of `dims` for the answers matching `where`, in one scan: grouping
    sets compute every rollup from the same pass over the answers."""
    if not dims:
        return
    segs = [d for d in dims if d is not None]
    seg_cols = "".join(f", {dim_column(d)}" for d in segs)
    sets = ", ".join(f"(day, measure, touchpoint, team, bucket{', ' + dim_column(d) if d else ''})" for d in dims)
    grouping = f"GROUPING({', '.join(dim_column(d) for d in segs)})" if segs else "0"
    cur.execute(
        f"""CREATE TEMP TABLE rollup_delta AS
            WITH a AS (SELECT day, measure, touchpoint, team, {_bucket()} AS bucket, value{seg_cols} FROM answers WHERE {where})
            SELECT {grouping} AS gid, day, measure, touchpoint, team, bucket AS value{seg_cols},
                   count(*) AS n, sum(value) AS s1, sum(value * value) AS s2
            FROM a GROUP BY GROUPING SETS ({sets})"""
    )
    try:
        k = len(segs)
        for dim in dims:
            # GROUPING() sets a bit per column left out of the set; the first column is the highest bit.
            gid = (1 << k) - 1 if dim is None else ((1 << k) - 1) & ~(1 << (k - 1 - segs.index(dim)))
            seg = f", {dim_column(dim)}" if dim else ""
            cur.execute(
                f"INSERT INTO {table_for(dim)} SELECT day, measure, touchpoint, team{seg}, value, n, s1, s2 "
                f"FROM rollup_delta WHERE gid = ? ORDER BY day",
                [gid],
            )
    finally:
        cur.execute("DROP TABLE IF EXISTS temp.rollup_delta")


def ensure(cur, dims: list[str]) -> list[str | None]:
    """Create and fill the missing rollup tables from all answers; returns the dimensions created."""
    existing = _existing(cur)
    created: list[str | None] = []
    for dim in [None, *dims]:
        if (BASE if dim is None else f"{BASE}_{dim}") not in existing:
            seg = f"{dim_column(dim)} INTEGER, " if dim else ""
            cur.execute(f"CREATE TABLE {table_for(dim)} (day DATE, measure INTEGER, touchpoint INTEGER, team INTEGER, "
                        f"{seg}value DOUBLE, n BIGINT, s1 DOUBLE, s2 DOUBLE)")
            created.append(dim)
    _build(cur, created, "TRUE")
    return created


def refresh_days(cur, dims: list[str], days_table: str) -> None:
    """Recompute the rollup rows of the days listed in temp table `days_table` (column `day`)."""
    created = ensure(cur, dims)
    present = [d for d in [None, *(d for d in _all_dims(cur))] if d not in created]
    in_days = f"day IN (SELECT day FROM {days_table})"
    for dim in present:
        cur.execute(f"DELETE FROM {table_for(dim)} WHERE {in_days}")
    _build(cur, present, in_days)


def _all_dims(cur) -> list[str]:
    return sorted(name[len(BASE) + 1:] for name in _existing(cur) if name != BASE)


def continuous_measures(cur) -> set[int]:
    """Measures with answers outside the per-value histogram: box statistics need the raw rows."""
    if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
                       [BASE]).fetchall()[0][0]:
        return set()
    return {r[0] for r in cur.execute(f"SELECT DISTINCT measure FROM {table_for(None)} WHERE value IS NULL").fetchall()}
