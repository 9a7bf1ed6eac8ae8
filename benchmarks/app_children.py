"""The benchmark's child measurements that drive the Streamlit app through AppTest.

`python -m cxdata.bench` runs this script in a fresh process for the page-rerun and cold-start
figures; it lives outside `cxdata` because the library never imports Streamlit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxdata.bench import APP, RENDERED, RESULT, Sampler, StatementLog, rss_mb, timed  # noqa: E402


def child_page(a: dict) -> dict:
    """The pyramid page through AppTest: first run, reruns, filter changes (pyramid cache misses)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=1800)
    at.query_params["period"] = "last_12_months"
    at.query_params["region"] = a["regions"]
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        return {"error": "; ".join(str(e.value)[:300] for e in at.exception)}
    metrics = len(at.metric)
    reruns, _ = timed(lambda: at.run(), a["repeat"], a["warmup"])
    changes, problems = [], []
    sets = a["filter_sets"]
    for i, regions in enumerate(sets):
        t0 = time.perf_counter()
        at.multiselect(key="w_seg_region").set_value(regions).run()
        sec = time.perf_counter() - t0
        shown = at.query_params.get("region") or []
        if at.exception or sorted([shown] if isinstance(shown, str) else shown) != sorted(regions):
            problems.append(f"filter change to {regions} did not render: {[str(e.value)[:200] for e in at.exception]}")
        if i >= a["warmup"]:
            changes.append(sec)
    profile = {}
    if a.get("profile"):
        extra = a.get("profile_sets") or []
        with Sampler() as s:
            for _ in range(3):
                at.run()
        profile["rerun"] = s.report()
        with Sampler() as s:
            for regions in extra:
                at.multiselect(key="w_seg_region").set_value(regions).run()
        profile["filter_change"] = s.report()
        # How many DuckDB cursors and statements one rerun opens and runs (besides the session's).
        from cxdata.db import Database

        opened: list[float] = []
        original = Database.cursor
        log = StatementLog()
        log.install()
        patched = Database.cursor

        def counted(db):
            t0 = time.perf_counter()
            cur = patched(db)
            opened.append(time.perf_counter() - t0)
            return cur

        Database.cursor = counted
        log.enabled = True
        t0 = time.perf_counter()
        at.run()
        took = time.perf_counter() - t0
        log.enabled = False
        Database.cursor = original
        profile["statements_per_rerun"] = {"cursors_opened": len(opened), "cursor_s": round(sum(opened), 4),
                                           "rerun_s": round(took, 4),
                                           "statements": sum(len(v) for v in log.times.values()),
                                           "sql_s": round(sum(sum(v) for v in log.times.values()), 4),
                                           "top": log.top(8)}
    return {"first_run_s": first, "rerun_s": reruns, "filter_change_s": changes, "metrics": metrics,
            "problems": problems, "rss_mb": rss_mb(os.getpid()), "profile": profile}


def child_cold(a: dict) -> dict:
    """First render of the pyramid in a fresh process (AppTest, the default view)."""
    t_start = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    t_import = time.perf_counter() - t_start
    at = AppTest.from_file(str(APP), default_timeout=1800)
    sampler = Sampler() if a.get("profile") else contextlib.nullcontext()
    with sampler:
        at.run()
    rendered = time.perf_counter() - t_start
    ok = not at.exception and len(at.metric) > 0
    print(RENDERED if ok else "BENCH-FAILED", flush=True)
    return {"ok": ok, "import_s": t_import, "run_s": rendered - t_import, "metrics": len(at.metric),
            "error": "; ".join(str(e.value)[:300] for e in at.exception) or None, "rss_mb": rss_mb(os.getpid()),
            "profile": sampler.report(30) if a.get("profile") else None}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True, choices=["page", "cold"])
    parser.add_argument("--child-args", default="{}")
    args = parser.parse_args()
    fn = {"page": child_page, "cold": child_cold}[args.child]
    out = fn(json.loads(args.child_args))
    print(RESULT + json.dumps(out, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
