"""Randomised differential tester for CX Pyramid storage, rollups and queries.

Run from the root of the repository (tests/test_fuzz_storage.py runs a few short seeds):

    .venv/bin/python -m tests.fuzz_storage --seed 1 --steps 60
    ... --seeds 1-40 --steps 60          # many seeds, one summary line each
    ... --seed 7 --steps 60 --minimize   # shrink the first failure to a minimal sequence of operations
    ... --seed 7 --steps 60 --ingest 0.2 # send 20% of uploads through service.ingest_file (parquet)

What it does, per seed (a seeded `random.Random`, so a seed always replays the same run):

* builds small tables in the canonical long format (store.CANONICAL_COLUMNS plus 0-6 segment
  columns): several sources (spelt in several cases / with Arabic or Persian Kaf and Yeh),
  touchpoints, teams and agents the model knows and does not know (and NULL), untimed answers
  (responded_at NULL), rows of one response at different times (across midnight and month ends),
  non-integer values, values outside the rollup histogram (|v| > rollups.HIST_LIMIT), comments,
  unanswered rows (value NULL), occasionally duplicated rows, segment dimensions appearing and
  disappearing between uploads;
* applies a random sequence of operations to a fresh DuckDB file through the real functions:
  store.apply (new data, identical re-uploads, re-exports of an earlier upload with edits, with
  rows shuffled, with other spellings, with dims added or dropped), store.remove_upload (random
  live uploads in random order; sometimes one already removed, which must be refused and change
  nothing), closing and re-opening the Database, and optionally service.ingest_file;
  uploads are tiny (1-3 responses: take the incremental rollup path in a larger database) or
  big (take the rebuild path, see rollups.INCREMENTAL_MAX_SHARE); a few steps force either path
  by patching INCREMENTAL_MAX_SHARE (recorded in the operation, so replays are exact);
* after EVERY step checks
  (1) rollups: the set of rollup tables is rollups.layout(stored dims), and every table equals
      the same aggregation recomputed here from `answers` (n exact, s1/s2 to 1e-9 relative);
      rows with n = 0 and duplicate keys are reported too;
  (2) queries: queries.cells (with and without `by`/`totals`) and queries.trend, for random
      filters (spelling variants, unknown values, dimensions not stored, 'source'), splits,
      measures, nodes and periods (whole months, ragged mid-month, inside one month, one day,
      overlapping, without data), against an independent Python computation over the rows of
      `answers` (box counts hi/lo are compared only where the query promises them: box-statistic
      measures, or measures fully on the whole-number scale); every few steps pyramid.build,
      drill.split (heatmap) and drill.trend_frame against the same calls answered from raw
      answers (queries.plan patched to queries.raw_plan, as tests/test_rollups.py does);
  (3) storage model: `responses`/`answers` equal a model kept in Python: the replay, in upload
      order, of the uploads not removed (so removing an upload restores what it replaced), with
      the store's merge rules (a response whose answers are unchanged keeps its stored
      descriptive fields); plus hygiene: every stored segment code has a label, the owner of a
      response is a live upload that brought it, replaced_* rows belong to live uploads.

Every discrepancy is printed with the step, the operation and expected vs actual. Exit status 1
when any seed failed. `--minimize` replays the failing seed's operations with ddmin-style
deletion (and then drops responses from uploads) until no smaller sequence fails the same check,
and prints that sequence as Python literals (re-runnable with --replay FILE).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import copy
import dataclasses
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa  # noqa: E402

from cxdata import drill, pyramid, queries, rollups, store  # noqa: E402
from cxdata.db import Database  # noqa: E402
from cxdata.model import label_key, load_model  # noqa: E402
from cxdata.period import Period, add_months  # noqa: E402
from cxdata.view import ViewState  # noqa: E402

UTC = timezone.utc

# ----------------------------------------------------------------------------------------------
# The model the queries are asked under: small, with aliases, a KPI narrowed to sources, a team
# of one touchpoint, every statistic.
MODEL_YAML = """
version: 1
name: Fuzz CX
measures:
  nps:      {name: NPS, scale: [0, 10]}
  csat:     {name: CSAT, scale: [1, 5], top_box: 4}
  ces:      {name: CES, scale: [1, 7], top_box: 6}
  resolved: {name: Resolved, scale: [0, 1]}
index:
  name: Index
  kpi: {key: nps, name: NPS, stat: nps, measure: nps}
defaults:
  touchpoint_kpis:
    - {key: csat, name: CSAT, stat: top_box, measure: csat}
    - {key: csat_mean, name: CSAT mean, stat: mean, measure: csat}
    - {key: ces, name: CES, stat: mean, measure: ces}
  team_kpis:
    - {key: csat, name: CSAT, stat: top_box, measure: csat}
    - {key: ces, name: CES, stat: mean, measure: ces}
touchpoints:
  - {key: website, name: Website, aliases: [Web, وب‌سایت]}
  - key: app
    name: App
    aliases: [Mobile app]
    kpis:
      - {key: csat, name: CSAT, stat: top_box, measure: csat}
      - {key: csat_a, name: CSAT of SurveyA, stat: top_box, measure: csat, sources: [SurveyA]}
      - {key: resolved, name: Resolved, stat: yes_rate, measure: resolved}
  - {key: call_center, name: Call center, aliases: [Call centre, مرکز تماس]}
teams:
  - {key: web_fa, name: Web - Persian, touchpoint: website, aliases: [Persian site]}
  - {key: android, name: Android, touchpoint: app, aliases: []}
  - {key: cc_north, name: CC North, touchpoint: call_center, aliases: [CC N]}
segments:
  - {key: region, name: Region}
  - {key: tier, name: Tier}
  - {key: language, name: Language}
  - {key: channel, name: Channel}
thresholds: {privacy_min_n: 2, reliability_min_n: 5}
"""

# ----------------------------------------------------------------------------------------------
# Vocabulary of the generated data. Spellings that label_key folds together sit side by side.
KAF_A, KAF_P, YEH_A, YEH_P = "\u0643", "\u06a9", "\u064a", "\u06cc"
SOURCES = [["SurveyA", "surveya", "SURVEYA"], ["Pulse", "pulse"], [f"{KAF_P}{YEH_P}fiat", f"{KAF_A}{YEH_A}fiat"]]
# plan, delta, zone, cohort: not in the model; with all of them (and 'source') there are more
# than rollups.MAX_PAIR_DIMS dimensions, and the pair rollups go.
DIMS = ["region", "tier", "language", "channel", "plan", "delta", "zone", "cohort"]
SEG_VALUES = {
    "region": ["Tehran", "tehran", "TEHRAN", f"{KAF_P}araj", f"{KAF_A}araj", "Dubai", "Sofia", f"r{YEH_P}", f"r{YEH_A}"],
    "tier": ["SMB", "smb", "VIP", "Consumer", "Enterprise"],
    "language": ["en", "fa", "ar", "EN"],
    "channel": ["email", "Email", "sms", "in_app"],
    "plan": ["Gold", "gold", "Silver", f"{YEH_P}{KAF_P}", f"{YEH_A}{KAF_A}"],
    "delta": ["x", "X", "y"],
    "zone": ["n", "s"],
    "cohort": ["2024", "2025", " 2025 "],
}
TOUCHPOINTS = ["Web", "web", "Website", "App", "Mobile app", "Call centre", "مرکز تماس", "Kiosk", "kiosk", None]
TEAMS = ["Persian site", "persian SITE", "Android", "CC North", "cc n", "Mystery team", None]
AGENTS = [None, None, None, "a1", "A1", "a2"]
METRICS = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "resolved": (0, 1), "score": (0, 100)}
WORDS = ["slow", "great", "never again", "خیلی خوب", "كيفيت بد", "Слабо", "ok"]
MEASURE_KEYS = ["nps", "csat", "ces", "resolved", "score"]

CHECK_KINDS = ("rollup", "query", "view", "model", "hygiene", "crash")


class Found(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# Generation


def ts_us(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp() * 1_000_000)


class Gen:
    """Everything random about one run. Operations are plain JSON-able dicts, so a run (or a
    shrunk part of it) can be replayed without the generator."""

    def __init__(self, rng: random.Random, exotic: bool, ingest_share: float, dup_rows: float = 0.05):
        self.rng = rng
        self.dup_rows = dup_rows
        self.exotic = exotic
        self.ingest_share = ingest_share
        self.uploads: list[dict] = []  # the apply operations so far (their tables)
        self.next_id = defaultdict(int)
        self.clean = False  # this upload's values all whole and on their scale
        self.wide = rng.random() < 0.3  # this run may use more dimensions than MAX_PAIR_DIMS

    def value(self, metric: str) -> float:
        r, (lo, hi) = self.rng.random(), METRICS[metric]
        if r < 0.82 or self.clean:
            return float(self.rng.randint(lo, hi))
        if r < 0.88:
            return round(self.rng.uniform(lo, hi), self.rng.choice([1, 2]))
        if r < 0.94:
            return float(self.rng.choice([1000, -1000, 1001, -1001, 1500, -2500, 12, 99999]))
        if r < 0.97:
            return round(self.rng.uniform(-3000, 3000), 3)
        if self.exotic and r < 0.98:
            return -0.0
        return float(self.rng.randint(lo, hi))

    def time_profile(self) -> tuple[datetime, datetime]:
        rng = self.rng
        kind = rng.choice(["day", "month", "span", "span", "edge", "year"])
        if kind == "day":
            d = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
            return d, d + timedelta(days=1) - timedelta(microseconds=1)
        if kind == "month":
            m = rng.randint(1, 12)
            start = datetime(2025, m, 1, tzinfo=UTC)
            return start, datetime(2025 + (m == 12), m % 12 + 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
        if kind == "edge":  # around the end of one month
            m = rng.randint(1, 12)
            end = datetime(2025 + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
            return end - timedelta(hours=3), end + timedelta(hours=3)
        if kind == "year":
            return datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
        return datetime(2023, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)

    def response(self, source: str, rid: str, dims: list[str], span) -> list[dict]:
        rng = self.rng
        untimed = rng.random() < 0.1
        lo, hi = span
        t = None if untimed else lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))
        if t is not None and rng.random() < 0.1:  # a minute before midnight
            t = t.replace(hour=23, minute=59, second=30, microsecond=0)
        base = {
            "source": source, "source_response_id": rid, "customer_id": rng.choice([None, f"c{rng.randint(1, 30)}"]),
            "touchpoint": rng.choice(TOUCHPOINTS), "team": rng.choice(TEAMS), "agent_id": rng.choice(AGENTS),
            "segs": {d: (None if rng.random() < 0.12 else rng.choice(SEG_VALUES[d])) for d in dims},
        }
        rows = []
        metrics = rng.sample(list(METRICS), rng.randint(1, 4))
        spread = t is not None and rng.random() < 0.12  # the rows of one response at different times
        for m in metrics:
            row = dict(base, segs=dict(base["segs"]), metric=m, value=self.value(m), value_text=None, t=ts_us(t))
            if spread:
                row["t"] = ts_us(t + timedelta(minutes=rng.choice([-90, -1, 0, 1, 30, 60 * 25])))
            if rng.random() < 0.05:
                row["value"] = None  # unanswered
            if rng.random() < 0.08:  # a row of its own touchpoint/team
                row["touchpoint"] = rng.choice(TOUCHPOINTS)
                row["team"] = rng.choice(TEAMS)
            rows.append(row)
        if rng.random() < 0.3:
            rows.append(dict(base, segs=dict(base["segs"]), metric="comment", value=None,
                             value_text=rng.choice(WORDS), t=ts_us(t)))
        if rng.random() < self.dup_rows:  # the same answer twice (a long file may repeat a row)
            rows.append(copy.deepcopy(rng.choice(rows)))
        return rows

    def fresh_ids(self, family: int, k: int) -> list[str]:
        out = []
        for _ in range(k):
            self.next_id[family] += 1
            out.append(f"r{self.next_id[family]}")
        return out

    def size(self) -> int:
        r = self.rng.random()
        return self.rng.randint(1, 3) if r < 0.45 else self.rng.randint(5, 25) if r < 0.75 else self.rng.randint(60, 200)

    def dims(self) -> list[str]:
        r = self.rng.random()
        k = 0 if r < 0.05 else 1 if r < 0.1 else self.rng.randint(2, 6)
        pool = DIMS if self.wide else DIMS[:6]
        return sorted(self.rng.sample(pool, k))

    def new_upload(self) -> list[dict]:
        rng = self.rng
        dims, span, n = self.dims(), self.time_profile(), self.size()
        rows, used = [], set()
        families = rng.sample(range(len(SOURCES)), rng.randint(1, len(SOURCES)))
        for _ in range(n):
            fam = rng.choice(families)
            if rng.random() < 0.25 and self.next_id[fam]:  # an id used before (maybe an edit)
                rid = f"r{rng.randint(1, self.next_id[fam])}"
            else:
                rid = self.fresh_ids(fam, 1)[0]
            if (fam, rid) in used:  # one version of a response per file
                continue
            used.add((fam, rid))
            rows += self.response(rng.choice(SOURCES[fam]), rid, dims, span)
        return rows

    def reexport(self, prev: list[dict]) -> list[dict]:
        """An earlier upload's table sent again: identical, or edited, reordered, respelt, with
        responses dropped and added, dims added or dropped."""
        rng = self.rng
        rows = copy.deepcopy(prev)
        mode = rng.choice(["identical", "identical", "edit", "edit", "edit", "attrs", "dims"])
        by_resp = defaultdict(list)
        for r in rows:
            by_resp[(label_key(r["source"]), r["source_response_id"])].append(r)
        keys = list(by_resp)
        if mode in ("edit", "attrs", "dims") and keys:
            for k in rng.sample(keys, max(1, int(len(keys) * rng.choice([0.05, 0.3, 1.0])))):
                rs = by_resp[k]
                what = "attrs" if mode == "attrs" else rng.choice(["value", "value", "time", "comment", "add", "drop", "tp", "attrs"])
                if what == "value":
                    r = rng.choice(rs)
                    if r["metric"] != "comment":
                        r["value"] = self.value(r["metric"])
                elif what == "time":
                    t = rs[0]["t"]
                    new = None if rng.random() < 0.2 else (t or ts_us(datetime(2025, 6, 30, 23, tzinfo=UTC))) + \
                        rng.choice([3_600_000_000, 86_400_000_000 * 31, -86_400_000_000 * 3])
                    for r in rs:
                        r["t"] = new
                elif what == "comment":
                    cs = [r for r in rs if r["metric"] == "comment"]
                    if cs:
                        cs[0]["value_text"] = rng.choice(WORDS + [None])
                    else:
                        rs.append(dict(copy.deepcopy(rs[0]), metric="comment", value=None, value_text=rng.choice(WORDS)))
                elif what == "add":
                    m = rng.choice(list(METRICS))
                    rs.append(dict(copy.deepcopy(rs[0]), metric=m, value=self.value(m), value_text=None))
                elif what == "drop" and len(rs) > 1:
                    rs.remove(rng.choice(rs))
                elif what == "tp":
                    tp = rng.choice(TOUCHPOINTS)
                    for r in rs:
                        r["touchpoint"] = tp
                elif what == "attrs":  # descriptive fields only: the answers stay the same
                    for d in list(rs[0]["segs"]):
                        v = rng.choice(SEG_VALUES[d] + [None])
                        for r in rs:
                            r["segs"][d] = v
                    c = rng.choice([None, "c99"])
                    for r in rs:
                        r["customer_id"] = c
        if mode == "dims":  # a dimension appears or disappears
            present = sorted({d for r in rows for d in r["segs"]}) or []
            if present and rng.random() < 0.5:
                gone = rng.choice(present)
                for r in rows:
                    r["segs"].pop(gone, None)
            else:
                new = rng.choice(DIMS)
                for k in keys:
                    v = rng.choice(SEG_VALUES[new] + [None])
                    for r in by_resp[k]:
                        r["segs"][new] = v
        rows = [r for k in keys for r in by_resp[k]]
        if rng.random() < 0.3 and len(keys) > 1:  # some responses left out of this export
            drop = set(rng.sample(keys, rng.randint(1, len(keys) - 1)))
            rows = [r for r in rows if (label_key(r["source"]), r["source_response_id"]) not in drop]
        if rng.random() < 0.3:  # new responses too
            dims = sorted({d for r in rows for d in r["segs"]})
            span = self.time_profile()
            for _ in range(rng.randint(1, 5)):
                fam = rng.randrange(len(SOURCES))
                rows += self.response(rng.choice(SOURCES[fam]), self.fresh_ids(fam, 1)[0], dims, span)
        if rng.random() < 0.3:  # another spelling of the source, per response
            spelling = {}
            for r in rows:
                k = (label_key(r["source"]), r["source_response_id"])
                fam = next(f for f in SOURCES if label_key(f[0]) == label_key(r["source"]))
                r["source"] = spelling.setdefault(k, rng.choice(fam))
        if rng.random() < 0.5:
            rng.shuffle(rows)
        return rows

    @staticmethod
    def ingestible(rows) -> bool:
        """Rows the ingest engine stores as they are: values whole and on the scales it checks,
        one row per response and metric (it keeps the last of repeated ones)."""
        seen = set()
        for r in rows:
            k = (label_key(r["source"]), r["source_response_id"], r["metric"])
            if k in seen:
                return False
            seen.add(k)
            if r["value"] is None and r["metric"] != "comment":  # rejected: no value
                return False
            if r["value"] is not None and r["metric"] in METRICS:
                lo, hi = METRICS[r["metric"]]
                if not (lo <= r["value"] <= hi and r["value"] == int(r["value"])):
                    return False
        return True

    def operation(self, live: list[int], removed: list[int]) -> dict:
        rng = self.rng
        r = rng.random()
        self.clean = rng.random() < 0.5
        op: dict
        if live and r < 0.22:
            op = {"op": "remove", "upload": rng.choice(live)}
        elif removed and r < 0.24:
            op = {"op": "remove", "upload": rng.choice(removed), "again": True}
        elif r < 0.27:
            op = {"op": "reopen"}
        elif self.uploads and r < 0.6:
            op = {"op": "apply", "rows": self.reexport(rng.choice(self.uploads)["rows"])}
        else:
            op = {"op": "apply", "rows": self.new_upload()}
        if op["op"] == "apply":
            if not op["rows"]:
                op["rows"] = self.new_upload()
            if rng.random() < 0.12:
                op["share"] = rng.choice([0.0, "inf"])  # force the rebuild or the incremental path
            if rng.random() < self.ingest_share and self.ingestible(op["rows"]):
                op["via"] = "ingest"
            op["dims"] = sorted({d for r in op["rows"] for d in r["segs"]})
            self.uploads.append(op)
        return op


def to_table(rows: list[dict], dims: list[str]) -> pa.Table:
    cols = {
        "source": [r["source"] for r in rows],
        "source_response_id": [r["source_response_id"] for r in rows],
        "responded_at": pa.array([None if r["t"] is None else r["t"] for r in rows], pa.timestamp("us", tz="UTC")),
        "customer_id": [r["customer_id"] for r in rows],
        "touchpoint": pa.array([r["touchpoint"] for r in rows], pa.string()),
        "team": pa.array([r["team"] for r in rows], pa.string()),
        "agent_id": pa.array([r["agent_id"] for r in rows], pa.string()),
        "metric": [r["metric"] for r in rows],
        "value": pa.array([r["value"] for r in rows], pa.float64()),
        "value_text": pa.array([r["value_text"] for r in rows], pa.string()),
    }
    for d in dims:
        cols[d] = pa.array([r["segs"].get(d) for r in rows], pa.string())
    return pa.table(cols)


# ----------------------------------------------------------------------------------------------
# The storage model: replay of the live uploads


def fold(v):
    return None if v is None else label_key(v)


def answer_sig(r):
    return (r["metric"], r["value"], r["value_text"], fold(r["touchpoint"]), fold(r["team"]), fold(r["agent_id"]), r["t"])


def replay(uploads: list[tuple[int, list[dict], list[str]]]) -> dict:
    """{(source key, id): (rows of the version stored, upload that brought it)} after applying the
    live uploads in order with the store's rules: same answers (and first time) -> unchanged
    (the stored version stays, descriptive fields and all); else the new version replaces it."""
    state: dict = {}
    for upload_id, rows, dims in uploads:
        groups = defaultdict(list)
        for r in rows:
            groups[(label_key(r["source"]), r["source_response_id"])].append(r)
        for k, rs in groups.items():
            sig = (Counter(answer_sig(r) for r in rs), min((r["t"] for r in rs if r["t"] is not None), default=None))
            old = state.get(k)
            if old is not None and old[2] == sig:
                state[k] = (old[0], old[1], sig, old[3] | {upload_id})
            else:
                state[k] = ([dict(r, dims=dims) for r in rs], upload_id, sig, {upload_id})
    return state


def expect_key(k, rows, dims):
    """(response, answers) that one version (its rows, the dims of its file) should be stored as:
    labels folded, times in microseconds."""
    times = [r["t"] for r in rows if r["t"] is not None]
    comments = [r["value_text"] for r in rows if r["metric"] == "comment" and r["value_text"] is not None]
    tps = {fold(r["touchpoint"]) for r in rows if r["touchpoint"] is not None}
    teams = {fold(r["team"]) for r in rows if r["team"] is not None}
    # A response's segments and customer are any_value() of its rows: any non-null one of them.
    segs = tuple(sorted([(d, frozenset(fold(r["segs"].get(d)) for r in rows if r["segs"].get(d) is not None))
                         for d in dims] + [("source", frozenset({label_key(rows[0]["source"])}))]))
    segs = tuple((d, v) for d, v in segs if v)
    customers = frozenset(fold(r["customer_id"]) for r in rows if r["customer_id"] is not None)  # ingest upper-cases ids
    resp = (min(times) if times else None, max(comments) if comments else None,
            next(iter(tps)) if len(tps) == 1 else None, next(iter(teams)) if len(teams) == 1 else None,
            customers, segs)
    ans = Counter()
    for r in rows:
        if r["metric"] == "comment" or r["value"] is None:
            continue
        rsegs = tuple(sorted([(d, fold(r["segs"].get(d))) for d in dims if r["segs"].get(d) is not None]
                             + [("source", label_key(r["source"]))]))
        day = None if r["t"] is None else datetime.fromtimestamp(r["t"] / 1e6, UTC).date()
        ans[(k, r["metric"], r["value"], r["t"], day, fold(r["touchpoint"]), fold(r["team"]), fold(r["agent_id"]), rsegs)] += 1
    return resp, ans


def settle(exp, got):
    """`exp` with its sets of allowed customers/segment values replaced by what was stored, where
    the stored value is allowed (else by a readable form of the sets)."""
    (t, c, tp, team, customers, segs), ans = exp
    gseg = dict(got[0][5])
    customer = got[0][4] if (got[0][4] in customers or (not customers and got[0][4] is None)) else \
        (next(iter(customers)) if len(customers) == 1 else tuple(sorted(customers)) or None)
    allowed = dict(segs)
    ok = set(allowed) == set(gseg) and all(gseg[d] in allowed[d] for d in allowed)
    out = tuple(sorted(gseg.items())) if ok else tuple(sorted((d, min(v) if len(v) == 1 else tuple(sorted(v)))
                                                              for d, v in allowed.items()))
    return (t, c, tp, team, customer, out), ans


def content(resp, ans):
    """The answers of a version without its descriptive fields (customer, segments)."""
    return resp[:4], Counter({k[:8]: n for k, n in ans.items()})


class Stored:
    """What the database holds, decoded."""

    def __init__(self, cur):
        self.labels = {(d, c): l for d, c, l in cur.execute("SELECT dim, code, label FROM labels").fetchall()}
        self.sources = dict(cur.execute("SELECT source_id, name FROM sources").fetchall())
        self.dims = rollups.stored_dims(cur)
        segc = "".join(f", {queries.dim_column(d)}" for d in self.dims)
        self.responses = cur.execute(
            f"SELECT response_key, source_id, source_response_id, upload_id, epoch_us(responded_at), comment, touchpoint, "
            f"team, customer_id{segc} FROM responses").fetchall()
        self.answers = cur.execute(
            f"SELECT response_key, measure, value, epoch_us(responded_at), day, touchpoint, team, agent{segc} FROM answers"
        ).fetchall()

    def lab(self, dim, code):
        if code is None:
            return None
        return self.labels.get((dim, code), ("<dangling>", dim, code))

    def decoded(self):
        resp, key_of, ans, dangling = {}, {}, Counter(), []
        dup = []
        for rk, sid, rid, up, t, comment, tp, team, cid, *segs in self.responses:
            k = (label_key(self.sources[sid]), rid)
            if k in resp:
                dup.append(k)
            key_of[rk] = k
            sv = []
            for d, c in zip(self.dims, segs):
                lab = self.lab("seg_" + d, c)
                if isinstance(lab, tuple):
                    dangling.append(("response", k, d, c))
                    lab = str(lab)
                if lab is not None:
                    sv.append((d, label_key(lab)))
            resp[k] = (t, comment, fold(self.lab("touchpoint", tp)), fold(self.lab("team", team)), fold(cid), tuple(sorted(sv)))
        for rk, m, v, t, day, tp, team, agent, *segs in self.answers:
            sv = []
            for d, c in zip(self.dims, segs):
                lab = self.lab("seg_" + d, c)
                if isinstance(lab, tuple):
                    dangling.append(("answer", key_of.get(rk), d, c))
                    lab = str(lab)
                if lab is not None:
                    sv.append((d, label_key(lab)))
            ans[(key_of.get(rk), self.lab("measure", m), v, t, day, fold(self.lab("touchpoint", tp)),
                 fold(self.lab("team", team)), fold(self.lab("agent", agent)), tuple(sorted(sv)))] += 1
        return resp, ans, dangling, dup


# ----------------------------------------------------------------------------------------------
# Checks


def close(a, b, rel=1e-9):
    a, b = (a or 0.0), (b or 0.0)
    return a == b or abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def check_rollups(cur, report):
    dims = rollups.stored_dims(cur)
    wanted = rollups.layout(dims)
    names = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                                       "AND table_name LIKE 'rollup%'").fetchall()}
    if names != {r.name for r in wanted}:
        report("rollup", f"rollup tables {sorted(names)} != layout {sorted(r.name for r in wanted)}")
    bucket = f"CASE WHEN value = round(value) AND abs(value) <= {rollups.HIST_LIMIT} THEN value END"
    differing = []
    for r in wanted:
        if r.name not in names:
            continue
        segs = [queries.dim_column(d) for d in r.dims]
        date = "day" if r.grain == "day" else "date_trunc('month', day)::DATE"
        keys = ["day", "measure", "touchpoint", "team", *segs, "value"]
        exp = {tuple(row[:-3]): row[-3:] for row in cur.execute(
            f"SELECT {date}, measure, touchpoint, team{''.join(', ' + s for s in segs)}, {bucket}, count(*), sum(value), "
            f"sum(value * value) FROM answers GROUP BY ALL").fetchall()}
        got_rows = cur.execute(f"SELECT {', '.join(keys)}, n, s1, s2 FROM {r.table}").fetchall()
        got, dups, zeros = {}, [], []
        for row in got_rows:
            k = tuple(row[:-3])
            if row[-3] == 0:
                zeros.append(row)
            if k in got:
                dups.append(row)
                a = got[k]
                got[k] = (a[0] + row[-3], (a[1] or 0) + (row[-2] or 0), (a[2] or 0) + (row[-1] or 0))
            else:
                got[k] = tuple(row[-3:])
        if zeros:
            report("rollup", f"{r.name}: rows with n = 0: {zeros[:3]}")
        if dups:
            report("rollup", f"{r.name}: {len(dups)} duplicate key rows, e.g. {dups[:2]}")
        bad = []
        for k in set(exp) | set(got):
            e, g = exp.get(k), got.get(k)
            if e is None or g is None or e[0] != g[0] or not close(e[1], g[1]) or not close(e[2], g[2]):
                bad.append((k, e, g))
        if bad:
            bad.sort(key=repr)
            differing.append((r.name, len(bad), bad[:3]))
    if differing:
        name, n, ex = differing[0]
        report("rollup", f"{len(differing)} rollup table(s) differ from answers ({', '.join(d[0] for d in differing)}); "
               f"first, {name}: {n} key(s); (key [day, measure, touchpoint, team, segs..., value], expected n/s1/s2 "
               f"from answers, actual): {ex}")


class Ref:
    """Independent computation of cells/trend from the rows of `answers`."""

    def __init__(self, cur, model, cat):
        self.model, self.cat = model, cat
        self.dims = rollups.stored_dims(cur)
        segc = "".join(f", {queries.dim_column(d)}" for d in self.dims)
        self.rows = cur.execute(f"SELECT day, measure, touchpoint, team, value{segc} FROM answers WHERE day IS NOT NULL").fetchall()
        self.top = {cat.measures[k]: m.top_box for k, m in model.measures.items() if k in cat.measures}
        self.bottom = {cat.measures[k]: m.bottom_box for k, m in model.measures.items() if k in cat.measures}
        self.seg_key = {d: {c: label_key(l) for l, c in cat.segments.get(d, {}).items()} for d in self.dims}

    def passes(self, row, view):
        for dim, values in view.filters:
            if dim not in self.dims:
                return False
            code = row[5 + self.dims.index(dim)]
            if code is None or self.seg_key[dim].get(code) not in {label_key(v) for v in values}:
                return False
        return True

    def boxes(self, measure, value, n=1):
        hi = n if measure in self.top and value >= self.top[measure] else 0
        lo = n if measure in self.bottom and value <= self.bottom[measure] else 0
        return hi, lo

    def cells(self, view, periods, by, measures, totals):
        cat = self.cat
        wanted = {cat.measures[m] for m in (measures or self.model.measures_used()) if m in cat.measures}
        acc, tot = defaultdict(lambda: [0, 0.0, 0.0, 0, 0]), defaultdict(lambda: [0, 0.0, 0.0, 0, 0])
        if not wanted or not periods:
            return {}, {}
        for row in self.rows:
            day, measure, tp, team, value = row[:5]
            if measure not in wanted or not self.passes(row, view):
                continue
            seg = row[5 + self.dims.index(by)] if by and by in self.dims else None
            htp, hteam = cat.home(tp, team) if team is not None else (tp, team)
            hi, lo = self.boxes(measure, value)
            for i, p in enumerate(periods):
                if not p.start <= day < p.end:
                    continue
                for level, node in (("all", None), ("touchpoint", htp), ("team", hteam)):
                    if node is None and level != "all":
                        continue
                    for out, s in ((acc, seg), (tot, None)):
                        a = out[(i, level, node, s, measure)]
                        a[0] += 1
                        a[1] += value
                        a[2] += value * value
                        a[3] += hi
                        a[4] += lo
        return dict(acc), dict(tot)

    def in_node(self, tp, team, level, node):
        cat = self.cat
        if level == "touchpoint":
            htp = cat.home(tp, team)[0] if team is not None else tp
            return htp == node if isinstance(htp, str) else cat.touchpoints.get(htp) == node
        if level == "team":
            hteam = cat.home(tp, team)[1] if team is not None else None
            return hteam is not None and cat.teams.get(hteam) == node
        return True

    def trend(self, view, window, level, node, measures, cuts):
        cat = self.cat
        wanted = {cat.measures[m] for m in measures if m in cat.measures}
        ps = queries.pieces(window, cuts)
        acc = defaultdict(lambda: [0, 0.0, 0.0, 0, 0])
        for row in self.rows:
            day, measure, tp, team, value = row[:5]
            if measure not in wanted or not self.passes(row, view) or not self.in_node(tp, team, level, node):
                continue
            for i, p in enumerate(ps):
                if p.start <= day < p.end:
                    if view.grain == "week":
                        b = day - timedelta(days=day.weekday())
                    elif view.grain == "month":
                        b = day.replace(day=1)
                    else:
                        b = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
                    hi, lo = self.boxes(measure, value)
                    a = acc[(b, measure, i) if cuts else (b, measure)]
                    for j, x in enumerate((1, value, value * value, hi, lo)):
                        a[j] += x
        return dict(acc)


def compare_sums(kind, what, exp: dict, got: dict, loose_boxes: set, report):
    bad = []
    for k in set(exp) | set(got):
        e, g = exp.get(k), got.get(k)
        if e is None or g is None:
            bad.append((k, e, g))
            continue
        measure = k[4] if len(k) == 5 else k[1]
        ok = e[0] == g[0] and close(e[1], g[1]) and close(e[2], g[2])
        if measure not in loose_boxes:
            ok = ok and (e[3] or 0) == (g[3] or 0) and (e[4] or 0) == (g[4] or 0)
        if not ok:
            bad.append((k, e, g))
    if bad:
        bad.sort(key=repr)
        report(kind, f"{what}: {len(bad)} cells differ; (key, expected n/s1/s2/hi/lo, actual): {bad[:4]}")


def random_periods(rng, answers_days) -> list[Period]:
    def one():
        kind = rng.choice(["whole", "ragged", "inside", "day", "empty", "all", "ragged"])
        if kind == "all":
            return Period(date(2022, 12, 5), date(2027, 2, 1))
        if kind == "empty":
            return Period(date(2019, 3, 3), date(2019, 5, 17))
        if kind == "day" and answers_days:
            d = rng.choice(answers_days)
            return Period(d, d + timedelta(days=1))
        a = date(rng.choice([2023, 2024, 2025, 2025, 2025, 2026]), rng.randint(1, 12), 1)
        if kind == "whole":
            return Period(a, add_months(a, rng.randint(1, 14)))
        if kind == "inside":
            s = a + timedelta(days=rng.randint(0, 10))
            return Period(s, s + timedelta(days=rng.randint(1, 17)))
        s = a + timedelta(days=rng.randint(1, 27))
        return Period(s, s + timedelta(days=rng.randint(20, 500)))
    ps = [one() for _ in range(rng.choice([1, 1, 2, 2, 3]))]
    if rng.random() < 0.2:  # overlapping periods
        p = ps[0]
        ps.append(Period(p.start + timedelta(days=(p.end - p.start).days // 2), p.end + timedelta(days=40)))
    return ps


def random_view(rng, dims, **kw) -> ViewState:
    filters = {}
    for d in rng.sample(dims + ["source", "channel", "nope"], rng.choice([0, 0, 1, 1, 2, 3])):
        pool = [s for f in SOURCES for s in f] if d == "source" else SEG_VALUES.get(d, ["zzz"])
        vals = rng.sample(pool, rng.randint(1, min(3, len(pool))))
        if rng.random() < 0.15:
            vals.append("Nowhere")
        filters[d] = vals
    return ViewState(**kw).with_filters(filters)


@contextlib.contextmanager
def raw_plans():
    real = queries.plan
    queries.plan = lambda cat, view, by, boxes, periods, month_ok=True: queries.raw_plan(cat, periods)
    try:
        yield
    finally:
        queries.plan = real


def same(a, b, path="") -> str | None:
    """First difference between two nested values, floats compared to 1e-9 relative."""
    import pandas as pd

    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        for f in dataclasses.fields(a):
            d = same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if d:
                return d
        return None
    if isinstance(a, pd.DataFrame):
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return f"{path}: frame shapes differ {a.shape} {b.shape}"
        return same(a.to_dict("records"), b.to_dict("records"), path)
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path}: keys differ: only expected {sorted(map(repr, set(a) - set(b)))[:3]}, only actual {sorted(map(repr, set(b) - set(a)))[:3]}"
        for k in a:
            d = same(a[k], b[k], f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, float) and isinstance(b, float):
        if (math.isnan(a) and math.isnan(b)) or close(a, b):
            return None
        return f"{path}: expected {a!r}, actual {b!r}"
    try:
        import pandas as pd  # noqa: F811
        if pd.isna(a) and pd.isna(b):
            return None
    except (TypeError, ValueError):
        pass
    return None if a == b else f"{path}: expected {a!r}, actual {b!r}"


def check_queries(cur, model, rng, report, heavy: bool):
    cat = queries.catalog(cur, model)
    ref = Ref(cur, model, cat)
    dims = list(cat.segments)
    days = sorted({r[0] for r in ref.rows})
    for _ in range(4):
        view = random_view(rng, dims)
        periods = random_periods(rng, days)
        by = rng.choice([None, None] + dims + ["nope"])
        measures = rng.choice([None, None, rng.sample(MEASURE_KEYS, rng.randint(1, 3))])
        boxes = queries._box_measures(model, cat, measures)
        loose = set(cat.continuous) - boxes  # mean-only measures off the scale: rollups promise n/s1/s2 only
        what = f"cells(view={view.filters}, periods={periods}, by={by}, measures={measures})"
        exp, exp_tot = ref.cells(view, periods, by, measures, True)
        got = {tuple(r[:5]): tuple(r[5:]) for r in queries.cells(cur, model, cat, view, periods, by=by, measures=measures)}
        compare_sums("query", what, exp, got, loose, report)
        if by:
            whole, split = queries.cells(cur, model, cat, view, periods, by=by, measures=measures, totals=True)
            compare_sums("query", what + " totals", exp_tot, {tuple(r[:5]): tuple(r[5:]) for r in whole}, loose, report)
            compare_sums("query", what + " split", exp, {tuple(r[:5]): tuple(r[5:]) for r in split}, loose, report)
    for _ in range(3):
        view = random_view(rng, dims, grain=rng.choice(["week", "month", "quarter"]))
        window = random_periods(rng, days)[0]
        level = rng.choice(["touchpoint", "team", "all"])
        node = (rng.choice([t.key for t in model.touchpoints]) if level == "touchpoint"
                else rng.choice([t.key for t in model.teams]) if level == "team" else None)
        measures = rng.sample(MEASURE_KEYS, rng.randint(1, 3))
        cuts = tuple(sorted(window.start + timedelta(days=rng.randint(0, max(1, window.days))) for _ in range(rng.choice([0, 1, 2]))))
        boxes = queries._box_measures(model, cat, measures)
        loose = set(cat.continuous) - boxes
        rows = queries.trend(cur, model, cat, view, window, level=level, node=node, measures=measures, cuts=cuts)
        got = {tuple(r[:3] if cuts else r[:2]): tuple(r[3:] if cuts else r[2:]) for r in rows}
        exp = ref.trend(view, window, level, node, measures, cuts)
        compare_sums("query", f"trend(grain={view.grain}, view={view.filters}, window={window}, {level}={node}, "
                     f"measures={measures}, cuts={cuts})", exp, got, loose, report)
    if not heavy:
        return
    model_dims = [s.key for s in model.segments]
    for _ in range(2):
        kind = rng.choice(["custom", "custom", "preset"])
        if kind == "custom":
            p = random_periods(rng, days)[0]
            view = random_view(rng, [d for d in dims if d in model_dims], period="custom", start=p.start, end=p.last_day,
                               compare=rng.choice(["previous", "year", "none"]), grain=rng.choice(["week", "month", "quarter"]))
        else:
            view = random_view(rng, [d for d in dims if d in model_dims], period=rng.choice(
                ["latest_month", "latest_quarter", "last_90_days", "last_12_months", "all", "year_to_date"]),
                grain=rng.choice(["week", "month", "quarter"]))
        fast = pyramid.build(cur, model, cat, view)
        with raw_plans():
            slow = pyramid.build(cur, model, cat, view)
        d = same(slow, fast)
        if d:
            report("view", f"pyramid.build({view}) rollups vs raw answers: {d}")
        dim = rng.choice(model_dims + ["source"])
        fast = drill.split(cur, model, cat, view, dim)
        with raw_plans():
            slow = drill.split(cur, model, cat, view, dim)
        d = same(slow, fast)
        if d:
            report("view", f"drill.split({view}, {dim}) rollups vs raw answers: {d}")
        node = rng.choice([("touchpoint", t.key, t.kpis) for t in model.touchpoints] + [("team", t.key, t.kpis) for t in model.teams])
        kpi = rng.choice(node[2])
        fast = drill.trend_frame(cur, model, cat, view, level=node[0], node=node[1], kpi=kpi)
        with raw_plans():
            slow = drill.trend_frame(cur, model, cat, view, level=node[0], node=node[1], kpi=kpi)
        d = same(slow, fast)
        if d:
            report("view", f"drill.trend_frame({view}, {node[:2]}, {kpi.key}) rollups vs raw answers: {d}")


def check_model(cur, live_uploads, all_uploads, report):
    state = replay(live_uploads)
    st = Stored(cur)
    got_resp, got_ans, dangling, dup = st.decoded()
    if dup:
        report("model", f"several stored responses for one (source, id): {dup[:3]}")
    by_key = defaultdict(Counter)
    for a, n in got_ans.items():
        by_key[a[0]][a] += n
    exp_keys = set(state)
    if exp_keys != set(got_resp):
        report("model", f"responses differ: missing {sorted(exp_keys - set(got_resp))[:5]}, "
               f"unexpected {sorted(set(got_resp) - exp_keys)[:5]}")
    orphans = set(by_key) - set(got_resp)
    if orphans:
        report("model", f"answers of no stored response: {sorted(map(repr, orphans))[:3]}")
    bad, kept_attrs = [], []
    for k in sorted(exp_keys & set(got_resp)):
        rows, _up, sig, _brought = state[k]
        got = (got_resp[k], by_key.get(k, Counter()))
        exp = settle(expect_key(k, rows, rows[0]["dims"]), got)
        if exp == got:
            continue
        if content(*exp) == content(*got):
            # Same answers, other descriptive fields: those of another (maybe removed) upload's
            # copy of the same answers? The store keeps the first copy's on an unchanged re-upload.
            variants = []
            for u, urows, udims in all_uploads:
                mine = [r for r in urows if (label_key(r["source"]), r["source_response_id"]) == k]
                if mine and (Counter(answer_sig(r) for r in mine),
                             min((r["t"] for r in mine if r["t"] is not None), default=None)) == sig:
                    if settle(expect_key(k, mine, udims), got) == got:
                        variants.append(u)
            if variants:
                kept_attrs.append((k, exp[0][4:], got[0][4:], variants))
                continue
        bad.append((k, exp, got))
    if kept_attrs:
        report("attrs", f"{len(kept_attrs)} response(s) keep the descriptive fields (customer, segments) of another "
               f"upload's copy of the same answers, not those of the copy replay of the live uploads keeps; "
               f"(key, expected, actual, uploads whose copy it is): {kept_attrs[:2]}")
    if bad:
        report("model", f"{len(bad)} responses differ; (key, expected (time, comment, touchpoint, team, customer, segments), "
               f"answers), actual): {[(k, e[0], g[0], sorted((e[1] - g[1]).items(), key=repr)[:2], sorted((g[1] - e[1]).items(), key=repr)[:2]) for k, e, g in bad[:2]]}")
    if dangling:
        report("hygiene", f"segment codes without a label: {dangling[:3]}")
    live = {u for u, _, _ in live_uploads}
    brought = {k: v[3] for k, v in state.items()}
    for rk, sid, rid, up, *_ in st.responses:
        k = (label_key(st.sources[sid]), rid)
        if up not in live or (k in brought and up not in brought[k]):
            report("hygiene", f"response {k} owned by upload {up}, which is {'not live' if up not in live else 'not one that brought it'} "
                   f"(live uploads that brought it: {sorted(brought.get(k, []))})")
            break
    for table, col in (("replaced_responses", "upload_id"), ("replaced_responses", "replaced_by"),
                       ("replaced_answers", "replaced_by"), ("resupplied", "owner"), ("resupplied", "upload_id")):
        rows = cur.execute(f"SELECT DISTINCT {col} FROM {table}").fetchall()
        dead = sorted(r[0] for r in rows if r[0] not in live)
        if dead:
            report("hygiene", f"{table}.{col} names removed upload(s) {dead}")


# ----------------------------------------------------------------------------------------------
# Running


class Run:
    def __init__(self, seed: int, folder: str, model, *, heavy_every: int, verbose: bool):
        self.seed, self.folder, self.model = seed, folder, model
        self.heavy_every, self.verbose = heavy_every, verbose
        self.db = Database(os.path.join(folder, "cx.duckdb"))
        self.applied: list[tuple[int, int, list, list]] = []  # (op index, upload id, rows, dims)
        self.removed: set[int] = set()
        self.upload_of_op: dict[int, int] = {}
        self.paths = Counter()
        self.problems: list[tuple[str, str]] = []

    def live(self):
        return [(u, rows, dims) for _, u, rows, dims in self.applied if u not in self.removed]

    def do(self, i: int, op: dict):
        kind = op["op"]
        if kind == "reopen":
            self.db.close()
            self.db = Database(os.path.join(self.folder, "cx.duckdb"))
            return
        if kind == "remove":
            u = self.upload_of_op.get(op["upload"])
            if u is None:
                return  # (a shrunk sequence may have dropped the upload)
            if u in self.removed:
                before = Stored(self.db.cursor()).decoded()[:2]
                try:
                    store.remove_upload(self.db, u)
                except store.InputError:
                    pass
                else:
                    self.problems.append(("model", f"removing upload {u} a second time was not refused"))
                if Stored(self.db.cursor()).decoded()[:2] != before:
                    self.problems.append(("model", f"refused second removal of upload {u} changed the data"))
                return
            store.remove_upload(self.db, u)
            self.removed.add(u)
            return
        rows, dims = op["rows"], op["dims"]
        table = to_table(rows, dims)
        old = rollups.INCREMENTAL_MAX_SHARE
        if "share" in op:
            rollups.INCREMENTAL_MAX_SHARE = float(op["share"])
        try:
            if op.get("via") == "ingest":
                u = self.ingest(table, i)
            else:
                u = store.apply(self.db, table).upload_id
        finally:
            rollups.INCREMENTAL_MAX_SHARE = old
        self.upload_of_op[i] = u
        self.applied.append((i, u, rows, dims))

    def ingest(self, table, i):
        import pyarrow.parquet as pq

        from cxdata import service

        path = os.path.join(self.folder, f"upload{i}.parquet")
        pq.write_table(table, path)
        # (an edit that takes a team or an answer away is what the fuzzer sends on purpose: allowed)
        out = service.ingest_file(self.db, self.model, __import__("pathlib").Path(path), allow_losses=True)
        if out.get("status") != "loaded":
            raise RuntimeError(f"ingest refused: {out.get('error')}")
        if out.get("rejected_count") or out.get("excluded_count") or out.get("duplicates"):
            self.problems.append(("note", f"ingest of op {i} rejected/excluded rows: {out.get('rejected')[:3]} "
                                  f"{out.get('excluded')[:3]} {out.get('duplicates')[:3]}"))
        return out["upload_id"]

    def check(self, rng, heavy):
        cur = self.db.cursor()
        report = lambda kind, msg: self.problems.append((kind, msg))  # noqa: E731
        check_rollups(cur, report)
        check_model(cur, self.live(), [(u, r, d) for _, u, r, d in self.applied], report)
        check_queries(cur, self.model, rng, report, heavy)

    def close(self):
        with contextlib.suppress(Exception):
            self.db.close()


def spy_paths(counter: Counter):
    for name in ("_add_changes", "_rebuild_months"):
        real = getattr(rollups, name)

        def wrapped(*a, __real=real, __name=name, **kw):
            counter[__name] += 1
            return __real(*a, **kw)
        setattr(rollups, name, wrapped)


PATHS = Counter()


def execute(seed: int, ops: list[dict] | None, steps: int, args, model, *, stop_first=True, quiet=False):
    """Run a seed (generating ops) or replay `ops`. Returns (ops, failures [(step, op, kind, msg)])."""
    rng = random.Random(seed)
    qrng = random.Random(seed * 7919 + 1)  # the queries' randomness, apart from the data's
    gen = Gen(rng, args.exotic, args.ingest, args.dup_rows)
    folder = tempfile.mkdtemp(prefix="cxfuzz")
    run = Run(seed, folder, model, heavy_every=args.heavy_every, verbose=args.verbose)
    made, failures = [], []
    try:
        n = len(ops) if ops is not None else steps
        for i in range(n):
            if ops is not None:
                op = ops[i]
            else:
                live_ops = [j for j, u in run.upload_of_op.items() if u not in run.removed]
                dead_ops = [j for j, u in run.upload_of_op.items() if u in run.removed]
                op = gen.operation(live_ops, dead_ops)
                if op["op"] == "apply":
                    op.pop("_gen", None)
            made.append(op)
            run.problems = []
            try:
                run.do(i, op)
                run.check(qrng, heavy=(i % args.heavy_every == args.heavy_every - 1) or i == n - 1)
            except Exception:
                run.problems.append(("crash", traceback.format_exc(limit=6)))
            real = [(k, m) for k, m in run.problems if k not in args.lenient]
            if args.verbose or (real and not quiet):
                for k, m in run.problems:
                    print(f"  seed {seed} step {i} [{k}] {describe(op)}: {m}")
            for k, m in real:
                failures.append((i, describe(op), k, m))
            if real and stop_first:
                break
    finally:
        run.close()
        shutil.rmtree(folder, ignore_errors=True)
    return made, failures


def describe(op):
    if op["op"] != "apply":
        return json.dumps(op)
    keys = {(label_key(r["source"]), r["source_response_id"]) for r in op["rows"]}
    extra = "".join(f" {k}={op[k]}" for k in ("share", "via") if k in op)
    return f"apply({len(keys)} responses, {len(op['rows'])} rows, dims={op['dims']}{extra})"


def signature(failures):
    return {f[2] for f in failures}


def minimize(seed, ops, failures, args, model):
    """Delete operations (ddmin) and then responses while the failure of the same kind remains."""
    kind = failures[0][2]
    fail_step = failures[0][0]
    ops = ops[: fail_step + 1]

    def fails(candidate):
        _, f = execute(seed, candidate, 0, args, model, quiet=True)
        return any(x[2] == kind for x in f)

    n = 2
    while len(ops) >= 2:
        chunk = max(1, len(ops) // n)
        reduced = False
        for start in range(0, len(ops), chunk):
            cand = ops[:start] + ops[start + chunk:]
            if cand and fails(cand):
                ops, n, reduced = cand, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(ops), n * 2)
    # drop responses of each upload, then rows
    for i, op in enumerate(ops):
        if op["op"] != "apply":
            continue
        keys = list(dict.fromkeys((r["source"], r["source_response_id"]) for r in op["rows"]))
        for k in keys:
            cand_op = dict(op, rows=[r for r in op["rows"] if (r["source"], r["source_response_id"]) != k])
            if not cand_op["rows"]:
                continue
            cand = ops[:i] + [cand_op] + ops[i + 1:]
            if fails(cand):
                ops, op = cand, cand_op
        j = 0
        while j < len(op["rows"]):
            cand_op = dict(op, rows=op["rows"][:j] + op["rows"][j + 1:])
            cand = ops[:i] + [cand_op] + ops[i + 1:]
            if cand_op["rows"] and fails(cand):
                ops, op = cand, cand_op
            else:
                j += 1
        for d in list(op["dims"]):  # and segment columns
            cand_op = dict(op, dims=[x for x in op["dims"] if x != d])
            cand = ops[:i] + [cand_op] + ops[i + 1:]
            if fails(cand):
                ops, op = cand, cand_op
    _, f = execute(seed, ops, 0, args, model, quiet=True)
    return ops, [x for x in f if x[2] == kind]


def parse_seeds(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out


def fuzz_model(folder: str):
    """The model the queries are asked under, written to `folder` and loaded."""
    model_path = os.path.join(folder, "model.yaml")
    with open(model_path, "w", encoding="utf-8") as f:
        f.write(MODEL_YAML)
    return load_model(model_path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--seeds", help="e.g. 1-50 or 3,7,9")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--heavy-every", type=int, default=5, help="pyramid/heatmap/trend-frame checks every N steps")
    ap.add_argument("--ingest", type=float, default=0.0, help="share of uploads through service.ingest_file")
    ap.add_argument("--exotic", action="store_true", help="also generate -0.0 values")
    ap.add_argument("--dup-rows", type=float, default=0.05,
                    help="chance that a response repeats one of its rows (0: never)")
    ap.add_argument("--keep-going", action="store_true", help="go on after a failing step")
    ap.add_argument("--minimize", action="store_true")
    ap.add_argument("--replay", help="a file of operations printed by --minimize (Python literal)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--strict", action="store_true",
                    help="also fail on 'attrs' (the descriptive fields of a removed upload's copy kept: a design question)")
    args = ap.parse_args()
    args.lenient = {"note"} | (set() if args.strict else {"attrs"})
    model_dir = tempfile.mkdtemp(prefix="cxfuzzmodel")
    atexit.register(shutil.rmtree, model_dir, True)
    model = fuzz_model(model_dir)
    spy_paths(PATHS)
    if args.replay:
        import ast
        ops = ast.literal_eval(open(args.replay, encoding="utf-8").read())
        _, failures = execute(args.seed or 0, ops, 0, args, model, stop_first=False)
        print("replay:", "OK" if not failures else f"{len(failures)} failure(s)")
        sys.exit(1 if failures else 0)
    seeds = parse_seeds(args.seeds) if args.seeds else [args.seed if args.seed is not None else 1]
    total_steps, failed = 0, {}
    t0 = time.time()
    for seed in seeds:
        ops, failures = execute(seed, None, args.steps, args, model, stop_first=not args.keep_going)
        total_steps += len(ops)
        status = "OK" if not failures else f"FAIL at step {failures[0][0]} [{failures[0][2]}]"
        print(f"seed {seed}: {len(ops)} steps, {status}", flush=True)
        if failures:
            failed[seed] = failures
            if args.minimize:
                small, f = minimize(seed, ops, failures, args, model)
                print(f"--- minimal sequence for seed {seed} ({len(small)} operations), failure: {f[:1]}")
                print(repr(small))
    print(f"{len(seeds)} seed(s), {total_steps} steps, {len(failed)} failing, {time.time() - t0:.0f}s; "
          f"rollup upkeep: incremental {PATHS['_add_changes']}, month rebuilds {PATHS['_rebuild_months']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
