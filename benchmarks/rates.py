"""Response rates on a database: medians of `invitations.rates` (the Response rates page's figures,
uncached) for the latest quarter and the last 12 months, unfiltered and filtered on regions, next
to a pandas baseline that matches the same responses to the same invitations (`merge_asof`) from
frames loaded before the clock starts, and a check that both give the same numbers.

    .venv/bin/python benchmarks/rates.py DB [--regions A,B] [--repeat 5]

Not part of `python -m cxdata.bench`. The database needs an invitation list: the demo's (loaded
with the demo), or `demo_invitations.add_invitations(db)` on the benchmark's database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from cxdata import invitations, pyramid, queries, service  # noqa: E402
from cxdata.view import ViewState  # noqa: E402


def pandas_rates(inv: pd.DataFrame, resp: pd.DataFrame, period, window_days: float, regions) -> dict:
    """{dimension value: (invited, responded)} for tier, and the total, as a pandas user computes
    them: each response takes the latest invitation of its source and customer before it."""
    lo, hi = pd.Timestamp(period.start, tz="UTC"), pd.Timestamp(period.end, tz="UTC")
    later = hi + pd.Timedelta(days=window_days)
    cand = inv[(inv["invited_at"] >= lo) & (inv["invited_at"] < later)].sort_values("invited_at")
    r = resp[(resp["responded_at"] >= lo) & (resp["responded_at"] < later)].sort_values("responded_at")
    m = pd.merge_asof(r, cand[["invitation_id", "src", "customer_id", "invited_at"]], left_on="responded_at",
                      right_on="invited_at", by=["src", "customer_id"], direction="backward")
    m = m[m["invitation_id"].notna() & (m["responded_at"] <= m["invited_at"] + pd.Timedelta(days=window_days))]
    answered = set(m["invitation_id"].astype("int64"))
    counted = inv[(inv["invited_at"] >= lo) & (inv["invited_at"] < hi)]
    if regions:
        counted = counted[counted["seg_region"].isin(regions)]
    counted = counted.assign(responded=counted["invitation_id"].isin(answered))
    out = {None: (len(counted), int(counted["responded"].sum()))}
    for tier, g in counted.groupby("seg_tier"):
        out[tier] = (len(g), int(g["responded"].sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--regions", default="Tehran,Dubai")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db)
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    if not invitations.holds(cur):
        sys.exit("The database holds no invitation list (see the module docstring).")
    t0 = time.perf_counter()
    inv = cur.execute("SELECT invitation_id, lower(source) AS src, customer_id, invited_at, seg_region, seg_tier "
                      "FROM invitations").df()
    resp = cur.execute("SELECT lower(s.name) AS src, r.customer_id, r.responded_at FROM responses r JOIN sources s "
                       "USING (source_id) WHERE r.customer_id IS NOT NULL AND lower(s.name) IN "
                       "(SELECT DISTINCT lower(source) FROM invitations)").df()
    print(f"pandas frames: {len(inv):,} invitations and {len(resp):,} responses of their sources, "
          f"{(inv.memory_usage(deep=True).sum() + resp.memory_usage(deep=True).sum()) / 2**20:.0f} MB, "
          f"loaded in {time.perf_counter() - t0:.2f} s (not timed below)")
    regions = [r for r in args.regions.split(",") if r]
    year = ViewState(period="last_12_months")
    for name, view, pd_regions in [("quarter", ViewState(), None), ("12 months", year, None),
                                   ("12 months, regions " + ",".join(regions), year.with_filters({"region": regions}),
                                    regions)]:
        period, _ = pyramid.periods_for(view, cat)
        runs, p_runs = [], []
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            rates = invitations.rates(cur, model, view, period)
            runs.append(time.perf_counter() - t)
        for _ in range(max(2, args.repeat // 2) + 1):
            t = time.perf_counter()
            expected = pandas_rates(inv, resp, period, model.invitations.window_days, pd_regions)
            p_runs.append(time.perf_counter() - t)
        mine = {None: (rates.overall.invited, rates.overall.responded),
                **{r.value: (r.invited, r.responded) for r in rates.by.get("tier", [])}}
        took, pandas_took = statistics.median(runs[1:]), statistics.median(p_runs[1:])
        print(f"{name:32s} invited={rates.overall.invited:>9,}  rates median {took:.3f} s  pandas {pandas_took:.3f} s "
              f"({pandas_took / took:.1f}x)  same numbers: {mine == expected}", flush=True)


if __name__ == "__main__":
    main()
