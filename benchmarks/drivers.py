"""Key drivers on a database: medians of `drivers.of_view` (the Key drivers page, uncached) for the
index's measure over the last 12 months, unfiltered, filtered on regions and split by a segment,
next to a pandas baseline that computes the same importances from the same answers (a frame of
them loaded before the clock starts), and a check that both give the same numbers.

    .venv/bin/python benchmarks/drivers.py DB [--regions A,B] [--split tier] [--repeat 5]

Not part of `python -m cxdata.bench` (whose database it can use): see docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cxdata import drivers, pyramid, queries, service  # noqa: E402
from cxdata.view import ViewState  # noqa: E402


def pandas_shares(frame: pd.DataFrame, model, cat, period, outcome: str, regions: list[str] | None) -> dict[str, float]:
    """The drivers' shares (%) as a pandas user computes them: filter, keep the outcome's
    responders, pivot to one column per question, pairwise correlations, the same weights."""
    ts = frame["responded_at"]
    sub = frame[(ts >= pd.Timestamp(period.start, tz="UTC")) & (ts < pd.Timestamp(period.end, tz="UTC"))]
    code = cat.measures[outcome]
    answered = sub.loc[sub["measure"] == code]
    if regions:
        codes = [c for label, c in cat.segments["region"].items() if label in regions]
        answered = answered[answered["seg_region"].isin(codes)]
    sub = sub[sub["response_key"].isin(answered["response_key"])]
    measure_key = {c: k for k, c in cat.measures.items()}
    tp = sub["touchpoint"].map(cat.touchpoints)
    key = sub["measure"].map(measure_key)
    # Per touchpoint where a response rates several (as drivers.sample decides), else pooled.
    per_tp = {k for k, g in sub[tp.notna()].groupby(key[tp.notna()])["response_key"] if g.duplicated().any()}
    column = np.where(key.isin(per_tp), key + "@" + tp.fillna(""), key)
    wide = sub.assign(column=column).pivot_table(index="response_key", columns="column", values="value", aggfunc="mean")
    top = model.index.kpi.measure
    keys = [c for c in wide.columns if c != outcome and c != top]
    wide = wide[wide[outcome].notna() & wide[keys].notna().any(axis=1)]
    r = wide[[outcome, *keys]].corr(min_periods=drivers.MIN_PAIRS)
    n = wide[[outcome, *keys]].notna().astype(float)
    pair_n = (n.T @ n).to_numpy()
    # The same blend of rarely paired drivers as the page (drivers.shrunk), from pandas' correlations.
    rr = r.to_numpy().copy()
    reliable = max(drivers.MIN_PAIRS, model.thresholds.reliability_min_n)
    off = ~np.eye(len(keys), dtype=bool)
    known = off & ~np.isnan(rr[1:, 1:])
    w = pair_n[1:, 1:][known]
    pooled = float((rr[1:, 1:][known] * w).sum() / w.sum()) if w.sum() else 0.0
    own = np.clip(np.where(known, pair_n[1:, 1:], 0) / reliable, 0, 1)
    rr[1:, 1:] = np.where(off, own * np.nan_to_num(rr[1:, 1:]) + (1 - own) * pooled, 1.0)
    raw, r2 = drivers.relative_weights(rr)
    return {k: 100 * w / r2 for k, w in zip(keys, raw)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--regions", default="Tehran,Karaj,Isfahan")
    ap.add_argument("--split", default="tier")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db)
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    outcome = drivers.outcome_choices(model, cat)[0]
    regions = [r for r in args.regions.split(",") if r in cat.segments.get("region", {})]
    base = ViewState(period="last_12_months")
    period, _ = pyramid.periods_for(base, cat)
    t0 = time.perf_counter()
    frame = cur.execute("SELECT response_key, responded_at, measure, touchpoint, value, seg_region FROM answers "
                        "WHERE responded_at >= ? AND responded_at < ?",
                        [queries.ts(period.start), queries.ts(period.end)]).df()
    print(f"pandas frame: {len(frame):,} answers of the period, {frame.memory_usage(deep=True).sum() / 2**20:.0f} MB, "
          f"loaded in {time.perf_counter() - t0:.2f} s (not timed below)")
    cases = [("unfiltered", base, None, None), ("regions " + ",".join(regions), base.with_filters({"region": regions}),
                                                None, regions),
             (f"split by {args.split}", base, args.split, None)]
    for name, view, dim, pd_regions in cases:
        runs, p_runs = [], []
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            vd = drivers.of_view(cur, model, cat, view, outcome, dim)
            runs.append(time.perf_counter() - t)
        line = f"{name:28s} n={vd.overall.n:>9,}  drivers.of_view median {statistics.median(runs[1:]):.3f} s"
        if dim is None:
            for _ in range(max(2, args.repeat // 2) + 1):
                t = time.perf_counter()
                shares = pandas_shares(frame, model, cat, period, outcome, pd_regions)
                p_runs.append(time.perf_counter() - t)
            mine = {d.predictor.key: d.share for d in vd.overall.drivers if d.share is not None}
            same = mine.keys() == shares.keys() and all(abs(mine[k] - shares[k]) < 1e-6 for k in mine)
            line += (f"  pandas {statistics.median(p_runs[1:]):.3f} s "
                     f"({statistics.median(p_runs[1:]) / statistics.median(runs[1:]):.1f}x)  same numbers: {same}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
