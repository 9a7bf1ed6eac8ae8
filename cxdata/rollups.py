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


def _select(dim: str | None, where: str) -> str:
    seg = f", {dim_column(dim)} AS seg" if dim else ""
    seg_group = ", seg" if dim else ""
    return f"""
        SELECT day, measure, touchpoint, team{seg}, {_bucket()} AS value,
               count(*) AS n, sum(value) AS s1, sum(value * value) AS s2
        FROM answers WHERE {where}
        GROUP BY day, measure, touchpoint, team{seg_group}, {_bucket()}"""


def ensure(cur, dims: list[str]) -> list[str | None]:
    """Create missing rollup tables (filled from all answers); returns every rollup's dimension."""
    existing = {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND table_name LIKE 'rollup%'"
    ).fetchall()}
    out: list[str | None] = []
    for dim in [None, *dims]:
        name = BASE if dim is None else f"{BASE}_{dim}"
        if name not in existing:
            cur.execute(f"CREATE TABLE {table_for(dim)} AS {_select(dim, 'TRUE')} ORDER BY day")
        out.append(dim)
    return out


def refresh_days(cur, dims: list[str], days_table: str) -> None:
    """Recompute the rollup rows of the days listed in temp table `days_table` (column `day`)."""
    for dim in ensure(cur, dims):
        cur.execute(f"DELETE FROM {table_for(dim)} WHERE day IN (SELECT day FROM {days_table})")
        cur.execute(f"INSERT INTO {table_for(dim)} {_select(dim, f'day IN (SELECT day FROM {days_table})')} ORDER BY day")


def continuous_measures(cur) -> set[int]:
    """Measures with answers outside the per-value histogram: box statistics need the raw rows."""
    if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
                       [BASE]).fetchall()[0][0]:
        return set()
    return {r[0] for r in cur.execute(f"SELECT DISTINCT measure FROM {table_for(None)} WHERE value IS NULL").fetchall()}
