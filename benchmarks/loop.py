"""Closing the loop on a database: medians of `loop.closure` (the Close the loop page's figures)
and `loop.queue` (its list of 500 cases), uncached, for a quarter and for the last 12 months,
unfiltered, filtered on regions and narrowed to one team, next to a pandas baseline that counts
the same cases per owner and status from the same rows (frames of the period's answers and of
the cases, loaded before the clock starts), and a check that both give the same numbers.

    .venv/bin/python benchmarks/loop.py DB [--regions A,B] [--team KEY] [--repeat 5]

Not part of `python -m cxdata.bench` (whose database it can use, once the app or
`demo_loop.add_history` has given it cases): see docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cxdata import loop, pyramid, queries, service  # noqa: E402
from cxdata.view import ViewState  # noqa: E402


def pandas_owners(answers: pd.DataFrame, cases: pd.DataFrame, model, cat, period, now: datetime,
                  regions: list[str] | None, team: str | None) -> dict:
    """(owner -> (cases, new, contacted, resolved, overdue)) as a pandas user computes them: the
    answers in the rules, the first rule's answer per response, its owner, its case's status."""
    ts = answers["responded_at"]
    sub = answers[(ts >= pd.Timestamp(period.start, tz="UTC")) & (ts < pd.Timestamp(period.end, tz="UTC"))]
    if regions:
        codes = [c for label, c in cat.segments["region"].items() if label in regions]
        sub = sub[sub["seg_region"].isin(codes)]
    rank = pd.Series(np.nan, index=sub.index)
    for i, rule in reversed(list(enumerate(model.loop.rules))):
        code = cat.measures.get(rule.measure)
        rank[(sub["measure"] == code) & sub["value"].between(rule.low, rule.high)] = i
    hits = sub.assign(rank=rank, tp=sub["touchpoint"].fillna(-1), tm=sub["team"].fillna(-1)).dropna(subset=["rank"])
    first = hits.sort_values(["response_key", "rank", "value", "tp", "tm"]).drop_duplicates("response_key")

    def owner(tp, tm):
        tp, tm = (None if tp == -1 else int(tp)), (None if tm == -1 else int(tm))
        home_tp, home_team = cat.home(tp, tm)
        if home_team is not None and home_team in cat.teams:
            return f"team:{cat.teams[home_team]}"
        key = home_tp if isinstance(home_tp, str) else cat.touchpoints.get(home_tp)
        return f"touchpoint:{key}" if key else None

    pairs = {pair: owner(*pair) for pair in set(zip(first["tp"], first["tm"]))}
    df = first.merge(cases, on="response_key", how="left")
    routed = df["routed"].where(df["routed"].isin([t.key for t in model.teams]))
    df["owner"] = ("team:" + routed).where(routed.notna(), [pairs[p] for p in zip(df["tp"], df["tm"])])
    if team:
        df = df[df["owner"] == f"team:{team}"]
    df["status"] = df["status"].fillna("new")
    due = pd.Timestamp(now, tz="UTC") - pd.Timedelta(days=model.loop.respond_within_days)
    df["overdue"] = (df["status"] == "new") & (df["responded_at"] < due)
    out = {}
    for key, g in df.groupby(df["owner"].fillna("")):
        out[key or None] = (len(g), int((g["status"] == "new").sum()), int((g["status"] == "contacted").sum()),
                            int((g["status"] == "resolved").sum()), int(g["overdue"].sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--regions", default="Tehran,Dubai")
    ap.add_argument("--team", default="cc_europe")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db)
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    now = loop.utc_now()
    regions = [r for r in args.regions.split(",") if r in cat.segments.get("region", {})]
    team = model.team(args.team)
    year = ViewState(period="last_12_months")
    period, _ = pyramid.periods_for(year, cat)
    codes = [cat.measures[r.measure] for r in model.loop.rules if r.measure in cat.measures]
    t0 = time.perf_counter()
    answers = cur.execute("SELECT response_key, responded_at, measure, value, touchpoint, team, seg_region FROM answers "
                          f"WHERE responded_at >= ? AND responded_at < ? AND measure IN ({', '.join('?' * len(codes))})",
                          [queries.ts(period.start), queries.ts(period.end), *codes]).df()
    cases = cur.execute("SELECT response_key, status, team AS routed FROM cases WHERE response_key IS NOT NULL").df()
    print(f"pandas frames: {len(answers):,} answers of the loop's measures in the last 12 months and {len(cases):,} "
          f"cases, {(answers.memory_usage(deep=True).sum() + cases.memory_usage(deep=True).sum()) / 2**20:.0f} MB, "
          f"loaded in {time.perf_counter() - t0:.2f} s (not timed below)")
    views = [("quarter", ViewState(), None), ("12 months", year, None),
             ("12 months, regions " + ",".join(regions), year.with_filters({"region": regions}), regions)]
    if team:
        views.append((f"12 months, team {team.key}", year.drill(team.touchpoint, team.key), None))
    for name, view, pd_regions in views:
        current, _ = pyramid.periods_for(view, cat)
        runs, q_runs, p_runs = [], [], []
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            everyone, per = loop.closure(cur, model, cat, view, current, now=now)
            runs.append(time.perf_counter() - t)
            t = time.perf_counter()
            loop.queue(cur, model, cat, view, current, now=now)
            q_runs.append(time.perf_counter() - t)
        for _ in range(max(2, args.repeat // 2) + 1):
            t = time.perf_counter()
            expected = pandas_owners(answers, cases, model, cat, current, now, pd_regions, view.team)
            p_runs.append(time.perf_counter() - t)
        mine = {c.owner: (c.cases, c.new, c.contacted, c.resolved, c.overdue) for c in per}
        took, pandas_took = statistics.median(runs[1:]), statistics.median(p_runs[1:])
        print(f"{name:32s} cases={everyone.cases:>8,}  closure median {took:.3f} s  queue {statistics.median(q_runs[1:]):.3f} s"
              f"  pandas {pandas_took:.3f} s ({pandas_took / took:.1f}x)  same numbers: {mine == expected}", flush=True)


if __name__ == "__main__":
    main()
