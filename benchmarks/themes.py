"""Themes of comments on a database: medians of `themes.of_view` (the table under a view's comments,
uncached) for the index, a touchpoint and a team over the last 12 months, next to a pandas baseline
that finds the same themes in the same comments (`Series.str.contains` with the themes' patterns in
Python's syntax) and computes the same figures from frames loaded before the clock starts, and a
check that both give the same counts and values.

    .venv/bin/python benchmarks/themes.py DB [--repeat 5] [--read-only] [--upload 10000]

Each case times, in turn within each repetition: the search per theme of every comment listed
(`searched`, the table before the comments' themes were kept, and the fallback); the first table
after the model's themes changed (`cold, model`: no comment's themes kept, the view's found and
kept first); the first after an upload (`cold, upload`: the newest 1% of the comments without them,
as after an upload of 10k responses into 1M); and the table with every comment's themes kept
(`warm`). It writes the comments' themes into DB (cxdata.theme_flags): use a copy. With
--read-only, DB is opened read-only and only the table as such a database gives it is timed.
With --upload N, it then times `store.apply` of the demo's first N responses with every comment
edited (a suffix of the run's), alternately keeping their themes in the upload's transaction and
not (cxdata.theme_flags.keep_upload): what keeping them costs an upload. That adds uploads to DB.

Not part of `python -m cxdata.bench`. The database's model needs themes (the demo's has ten).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from cxdata import pyramid, queries, search, service, themes  # noqa: E402
from cxdata.view import ViewState  # noqa: E402


def python_pattern(theme) -> re.Pattern:
    """The theme's RE2 pattern in Python's syntax: code points as \\u escapes, and 'not a letter,
    digit, mark or joiner' as Python's non-word class less the joiner (Python's \\W also holds the
    marks, which no demo comment writes before a word)."""
    p = search.any_word(theme.words).removeprefix("(?i)")
    p = re.sub(r"\\x\{([0-9A-F]{4})\}", r"\\u\1", p)  # (as escapes: '(' in a word is no group)
    p = p.replace("[^\\p{L}\\p{N}\\p{M}\\u200C]", "(?:_|[^\\w\\u200c])")
    return re.compile(p, re.IGNORECASE)


def pandas_themes(frame: pd.DataFrame, model, kpi, patterns) -> dict:
    """{theme key: (comments, n, value about it)} as a pandas user computes them."""
    measure = model.measures[kpi.measure]
    out = {}
    for theme, pat in zip(model.themes, patterns):
        about = frame["comment"].str.contains(pat)
        scores = frame.loc[about, "score"]
        if kpi.stat == "nps":
            v = 100.0 * ((scores >= measure.top_box).sum() - (scores <= measure.bottom_box).sum()) / len(scores) \
                if len(scores) else None
        elif kpi.stat == "mean":
            v = float(scores.mean()) if len(scores) else None
        else:
            v = 100.0 * (scores >= measure.top_box).sum() / len(scores) if len(scores) else None
        out[theme.key] = (int(about.sum()), v)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--read-only", action="store_true")
    ap.add_argument("--upload", type=int, default=0)
    args = ap.parse_args()
    db = service.open_db(args.db, read_only=args.read_only)
    model = service.load_model_for(db)
    if not model.themes:
        sys.exit("The database's model has no themes (see the module docstring).")
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    year = ViewState(period="last_12_months", compare="none")
    period, _ = pyramid.periods_for(year, cat)
    tp = model.touchpoints[0]
    team = model.teams_of(tp.key)[0]
    t0 = time.perf_counter()
    lo, hi = queries.ts(period.start), queries.ts(period.end)
    comments = cur.execute("SELECT r.response_key, r.comment, s.name AS source FROM responses r JOIN sources s "
                           "USING (source_id) WHERE r.comment IS NOT NULL AND r.responded_at >= ? AND r.responded_at < ?",
                           [lo, hi]).df()
    answers = cur.execute("SELECT response_key, measure, touchpoint, team, value FROM answers "
                          "WHERE responded_at >= ? AND responded_at < ?", [lo, hi]).df()
    print(f"pandas frames: {len(comments):,} comments and {len(answers):,} answers of the period, "
          f"{(comments.memory_usage(deep=True).sum() + answers.memory_usage(deep=True).sum()) / 2**20:.0f} MB, "
          f"loaded in {time.perf_counter() - t0:.2f} s (not timed below)")
    patterns = [python_pattern(t) for t in model.themes]
    # 'cold, upload': the comments of the newest 1% of the responses, as an upload's new ones
    newest = cur.execute("SELECT quantile_disc(response_key, 0.99) FROM responses").fetchall()[0][0]
    tp_codes = [c for c, k in cat.touchpoints.items() if k == tp.key]
    team_codes = [c for c, k in cat.teams.items() if k == team.key]
    cases = [("index", None, model.index.kpi, year, None),
             ("touchpoint " + tp.key, tp.key, tp.kpis[0], year.drill(tp.key), ("touchpoint", tp_codes)),
             ("team " + team.key, team.key, team.kpis[0], year.drill(tp.key, team.key), ("team", team_codes))]
    for name, node, kpi, view, where in cases:
        level = name.split()[0]
        if kpi.sources:  # as the page narrows the view: the index's NPS is its relationship survey's
            view = pyramid.narrowed_view(view, kpi.sources)
        runs = {k: [] for k in ("searched", "cold, model", "cold, upload", "warm")} if not args.read_only else {"read-only": []}
        kw = dict(level=level, node=node, kpi=kpi)
        found = None
        for _ in range(args.repeat + 1):
            for how in runs:
                if how == "cold, model":
                    cur.execute("DELETE FROM comment_themes")
                    cur.execute("DELETE FROM theme_sets")
                elif how == "cold, upload":
                    cur.execute("DELETE FROM comment_themes WHERE response_key > ?", [newest])
                t = time.perf_counter()
                got = themes.of_view(cur, model, cat, view, searched=how == "searched", db=db, **kw)
                runs[how].append(time.perf_counter() - t)
                assert found is None or got == found, (name, how)  # every way, the same table
                found = got
        p_runs = []
        for _ in range(max(2, args.repeat // 2) + 1):
            t = time.perf_counter()
            a = answers[answers["measure"] == cat.measures[kpi.measure]]
            if where is not None:
                a = a[a[where[0]].isin(where[1])]
            scores = a.groupby("response_key", as_index=False)["value"].max().rename(columns={"value": "score"})
            c = comments if not kpi.sources else comments[comments["source"].isin(kpi.sources)]
            expected = pandas_themes(c.merge(scores, on="response_key"), model, kpi, patterns)
            p_runs.append(time.perf_counter() - t)
        mine = {r.theme.key: (r.comments, r.about.value if r.about else None) for r in found}
        same = all(mine[k][0] == e[0] and (mine[k][1] is None or abs(mine[k][1] - e[1]) < 1e-9)
                   for k, e in expected.items())
        pandas_took = statistics.median(p_runs[1:])
        total = sum(r.comments for r in found)
        took = "  ".join(f"{how} {statistics.median(r[1:]):.3f} s" for how, r in runs.items())
        print(f"{name:28s} listed={found[0].listed:>7,} theme mentions={total:>8,}  medians: {took}  "
              f"pandas {pandas_took:.3f} s  same numbers: {same}", flush=True)
    if args.upload and not args.read_only:
        upload_cost(db, model, args.upload, args.repeat)


def upload_cost(db, model, n: int, repeat: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxdata import demo, store

    batch = next(demo.generate(n))
    is_comment = pc.equal(batch["metric"], "comment")
    runs = {"plain": [], "themes kept": []}
    for k in range(repeat + 1):
        for how in runs:
            text = pc.if_else(is_comment, pc.binary_join_element_wise(batch["value_text"], pa.scalar(f"{k}{how[0]}"), " "),
                              batch["value_text"])
            table = batch.set_column(batch.column_names.index("value_text"), "value_text", text)
            t = time.perf_counter()
            r = store.apply(db, table, theme_patterns=service.theme_patterns(model) if how != "plain" else None)
            runs[how].append(time.perf_counter() - t)
    kept = db.cursor().execute("SELECT count(*) FROM comment_themes c JOIN responses r USING (response_key) "
                               "WHERE r.upload_id = ?", [r.upload_id]).fetchall()[0][0]
    print(f"upload of {n:,} responses ({r.updated:,} edited, {kept:,} comments' themes kept): medians "
          + "  ".join(f"{how} {statistics.median(v[1:]):.3f} s" for how, v in runs.items()), flush=True)


if __name__ == "__main__":
    main()
