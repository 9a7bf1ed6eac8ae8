"""How fast CX Pyramid is at scale: ingest, queries, page reruns, memory and cold start, each against a pandas baseline.

Run ``python -m cxdata.bench`` (or ``make bench``) for the full 10M-response benchmark, or
``python -m cxdata.bench --rows 1000000`` for a quicker one. What it does, in order:

1. builds the bench database through the real ingest path (``service.load_demo``: ``store.apply``
   of the canonical batches of ``demo.generate``) and writes the same data as canonical-long
   Parquet, plus CSV files (a sample of at most ``--csv-responses`` responses, and one of
   exactly 1,000,000 rows), then times ``service.ingest_file`` of each into a fresh database,
   each in its own process (so memory and imports are clean), logging every SQL statement;
2. times the queries on the bench database (the pyramid with intervals for a region filter
   keeping about 58% of the answers, unfiltered, and with two filter dimensions; a team trend;
   the touchpoint x tier heatmap) next to a pandas baseline that computes the same sufficient
   statistics from the same data, and checks that both give identical numbers;
3. measures what the storage design buys (rollups vs raw answers, time-sorted answers vs
   shuffled, integer codes vs strings) and the effect of proposed changes;
4. reruns the pyramid page through ``AppTest`` (no change, and a filter change);
5. starts ``streamlit run`` on the bench database, renders the page in headless Chromium and
   reads the server's resident memory, timing the cold start to a rendered pyramid; also the
   cold start of an ``AppTest`` first run in a fresh process;
6. with ``--compare-sizes``, the cost of a filter change at 1M and at 10M responses.

Every figure is a median over ``--repeat`` runs after warm-up runs, timed with
``time.perf_counter``; the machine's load average is recorded next to each figure, because
the benchmark machine may be shared. Output: a table on stdout and, with ``--json PATH``, the
same figures (with every run) as JSON. The bench never changes the code it measures: the
"before" variants run the same library functions on scratch copies of the data or with the
query source forced (as tests/test_rollups.py does).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import importlib.metadata
import json
import math
import os
import platform
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard.py"  # the app script (AppTest runs it)
SERVE = ROOT / "serve.py"  # what `make run` serves: dashboard.py with the page modules imported at start
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RESULT = "BENCH-RESULT "
RENDERED = "BENCH-RENDERED"
REGION_SHARE = 0.58  # the region filter keeps about this share of the answers
TWO_DIM_TIERS = ("Consumer", "VIP")
TREND_TEAM = "delivery_tehran"
SPLIT_DIM = "tier"


def heat_kpis(model) -> tuple[str, ...]:
    """The KPI the Segments page's heatmap shows by default: the first touchpoint KPI."""
    return (model.touchpoints[0].kpis[0].key,)


def heatmap(cur, model, cat, view):
    """What the Segments page computes: the index and the heatmap's KPI per tier, with the totals."""
    from . import drill

    return drill.split(cur, model, cat, view, SPLIT_DIM, heat_kpis(model))
CSV_1M_ROWS = 1_000_000
WIDE_RESPONSES = 1_000_000  # the wide export (see write_wide_csv)
PARQUET_RESPONSES = 2_000_000  # the Parquet ingest sample (see --parquet-responses)
INGEST_SETTLE_S = 2.0  # wait before reading what an ingesting process keeps
UPLOAD_RESPONSES = 5_000  # a team's fresh export, uploaded into the full bench database

# Every figure the benchmark prints, in order: key -> label. The smoke test checks them all.
FIGURES: dict[str, str] = {
    "load.demo": "Load bench DB: service.load_demo (store.apply per 1M batch)",
    "ingest.parquet": "Ingest Parquet: service.ingest_file",
    "ingest.csv": "Ingest CSV: service.ingest_file",
    "ingest.csv_1m": "Ingest CSV of 1,000,000 rows",
    "ingest.wide_csv": "Ingest a survey tool's wide CSV of 1,000,000 responses (one row each)",
    "floor.csv_table": "Floor: the same CSV into a DuckDB table (read_csv, nothing else)",
    "floor.min_store": "Floor: Arrow parse, integer codes, answers + responses tables (nothing checked, merged or rolled up)",
    "ingest.rss_after": "RSS of the ingesting process 2 s after that ingest (what a server keeps after an upload)",
    "ingest.upload_into_large": "Upload of 5,000 new responses (CSV) into a copy of the bench DB",
    "query.catalog": "Catalog (labels, dates, continuous measures)",
    "query.pyramid_region": "Pyramid, region filter (~58% of answers)",
    "query.pyramid_all": "Pyramid, unfiltered",
    "query.pyramid_two": "Pyramid, region + tier filters (pair rollup)",
    "query.trend": "Team trend by month, region filter",
    "query.heatmap_region": "Heatmap touchpoint x tier, region filter",
    "query.heatmap_all": "Heatmap touchpoint x tier, unfiltered",
    "design.all_kpis_heatmap_region": "Before one-KPI splits: heatmap, region filter, every KPI",
    "pandas.frame": "pandas frame of the answers (memory)",
    "design.raw_pyramid_region": "Before rollups: pyramid, region filter, raw answers",
    "design.raw_pyramid_all": "Before rollups: pyramid, unfiltered, raw answers",
    "design.raw_trend": "Before rollups: team trend, raw answers",
    "design.raw_heatmap_all": "Before rollups: heatmap unfiltered, raw answers",
    "design.day_pyramid_region": "Before month rollups: pyramid, region filter, day grain",
    "design.day_heatmap_all": "Before month rollups: heatmap unfiltered, day grain",
    "design.raw_pyramid_two": "Before pair rollups: pyramid, region + tier filters, raw answers",
    "design.raw_heatmap_region": "Before pair rollups: heatmap, region filter, raw answers",
    "design.sorted": "Raw cells, latest quarter, 2 filters: time-sorted answers",
    "design.shuffled": "Raw cells, latest quarter, 2 filters: answers in random order",
    "design.day_derived": "Raw cells, latest quarter, 2 filters: day from responded_at",
    "design.codes": "Raw cells, last 12 months, 2 filters: integer codes",
    "design.strings": "Raw cells, last 12 months, 2 filters: string labels",
    "design.cells_region": "Pyramid region filter: of which cells SQL",
    "design.stats_region": "Pyramid region filter: of which collect + statistics",
    "page.first_run": "Page: first AppTest run in a warm process",
    "page.rerun": "Page rerun (AppTest), nothing changed",
    "page.filter_change": "Page rerun (AppTest) after a filter change",
    "server.rss_idle": "Server RSS before any session",
    "server.rss": "Server RSS after the first render (data loaded)",
    "server.rss_after": "Server RSS after 3 more filtered views",
    "cold.server_browser": "Cold start to rendered pyramid: streamlit run + Chromium",
    "cold.returning_browser": "Cold start, browser that opened the app before (frontend cached)",
    "cold.apptest": "Cold start to rendered pyramid: AppTest in a fresh process",
    "design.cold_plain": "Before the import warm-up: cold start, streamlit run dashboard.py",
    "floor.cold_trivial": "Floor: cold start of a page with one st.metric (same browser)",
}

TARGETS: dict[str, tuple[str, float, str]] = {  # key -> (comparison, limit, unit): the targets at 10M
    "query.pyramid_region": ("<=", 0.060, "s"),
    "query.trend": ("<=", 0.060, "s"),
    "query.heatmap_region": ("<=", 0.060, "s"),
    "page.rerun": ("<=", 0.500, "s"),
    "page.filter_change": ("<=", 0.500, "s"),
    "server.rss": ("<=", 600.0, "MB"),
    "ingest.csv_1m": ("<=", 1.5, "s"),
    "cold.server_browser": ("<=", 3.0, "s"),
}
RATIO_TARGET = 20.0


# =============================================================================================
# Small helpers
# =============================================================================================
def load() -> tuple[float, float, float]:
    return tuple(round(x, 2) for x in os.getloadavg())


def median(xs):
    return statistics.median(xs) if xs else None


def timed(fn: Callable[[], Any], repeat: int, warmup: int) -> tuple[list[float], Any]:
    """Warm-up runs, then `repeat` timed runs; returns the run times and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return runs, result


def rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / 2**20


def fmt_s(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def _difference(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "not comparable with"
    return f"{fmt_s(abs(a - b))} {'faster than' if a <= b else 'slower than'}"


def fmt_rate(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}/s"


def _env(**extra) -> dict:
    env = dict(os.environ)
    env.pop("CX_MODEL", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env.update({k: str(v) for k, v in extra.items()})
    return env


APP_CHILDREN = ROOT / "benchmarks" / "app_children.py"


def child_command(kind: str, args_json: str) -> list[str]:
    """The command of a child measurement. Those that drive the Streamlit app (AppTest) live in
    benchmarks/app_children.py, so that this package never imports Streamlit."""
    if kind in ("page", "cold"):
        return [sys.executable, str(APP_CHILDREN), "--child", kind, "--child-args", args_json]
    return [sys.executable, "-m", "cxdata.bench", "--child", kind, "--child-args", args_json]


def run_child(kind: str, args: dict, *, env: dict | None = None, timeout: float = 7200) -> dict:
    """Run one measurement in a fresh process."""
    cmd = child_command(kind, json.dumps(args))
    proc = subprocess.run(cmd, cwd=ROOT, env=env or _env(), capture_output=True, text=True, timeout=timeout)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT):])
    lines = [line for line in (proc.stderr or proc.stdout).splitlines() if "missing ScriptRunContext" not in line]
    return {"error": f"child {kind} exited with {proc.returncode}: " + "\n".join(lines[-25:])}


# =============================================================================================
# Results
# =============================================================================================
@dataclass
class Figure:
    key: str
    value: float | None = None  # the headline number, in `unit`
    unit: str = "s"
    runs: list[float] = field(default_factory=list)
    pandas: float | None = None  # median seconds of the pandas baseline
    pandas_runs: list[float] = field(default_factory=list)
    identical: bool | None = None  # DuckDB and pandas gave the same numbers
    note: str = ""
    load: tuple[float, float, float] = field(default_factory=load)
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.pandas is None or not self.value or self.unit != "s":
            return None
        return self.pandas / self.value

    def text(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "s":
            return fmt_s(self.value)
        if self.unit == "MB":
            return f"{self.value:,.0f} MB"
        if self.unit == "/s":
            return fmt_rate(self.value)
        if self.unit == "rows/s":
            return f"{self.value:,.0f} rows/s"
        return f"{self.value:,.3g} {self.unit}"

    def verdict(self) -> str:
        out = []
        if self.key in TARGETS and self.value is not None:
            op, limit, unit = TARGETS[self.key]
            shown = f"{limit * 1000:g} ms" if unit == "s" and limit < 1 else f"{limit:g} {unit}"
            out.append(f"{'meets' if self.value <= limit else 'MISSES'} {op} {shown}")
        if self.ratio is not None and self.key.startswith("query.") and self.key != "query.catalog":
            out.append(f"{'meets' if self.ratio >= RATIO_TARGET else 'MISSES'} >= {RATIO_TARGET:g}x")
        return ", ".join(out)


class Results:
    def __init__(self, args):
        self.args = args
        self.figures: dict[str, Figure] = {}
        self.info: dict[str, Any] = {}
        self.profiles: dict[str, Any] = {}
        self.compare: dict[str, Any] = {}
        self.problems: list[str] = []

    def add(self, fig: Figure) -> Figure:
        self.figures[fig.key] = fig
        label = FIGURES.get(fig.key, fig.key)
        extra = f"  pandas {fmt_s(fig.pandas)} = {fig.ratio:.1f}x" if fig.ratio is not None else ""
        same = "" if fig.identical is None else ("  identical" if fig.identical else "  DIFFERENT")
        print(f"  {label:<62} {fig.text():>14}{extra}{same}  [load {fig.load[0]:.1f}]", flush=True)
        return fig

    def missing(self, key: str, why: str) -> Figure:
        return self.add(Figure(key, None, note=why))

    def to_json(self) -> dict:
        return {
            "info": self.info,
            "figures": {k: {"label": FIGURES.get(k, k), "value": f.value, "unit": f.unit, "runs": f.runs,
                            "min_s": min(f.runs) if f.runs and f.unit == "s" else None,
                            "pandas_median_s": f.pandas, "pandas_runs": f.pandas_runs, "ratio": f.ratio,
                            "identical": f.identical, "note": f.note, "load_average": f.load,
                            "target": f.verdict() or None, **f.extra}
                        for k, f in self.figures.items()},
            "compare_sizes": self.compare,
            "profiles": self.profiles,
            "problems": self.problems,
        }

    def table(self) -> str:
        lines = ["", "=" * 118, "CX Pyramid benchmark: "
                 f"{self.info.get('responses', 0):,} responses, {self.info.get('answers', 0):,} answer rows; "
                 f"medians of {self.args.repeat} runs", "=" * 118,
                 f"{'figure':<62} {'median':>12} {'pandas':>10} {'ratio':>7} {'same':>5} {'load':>5}  target"]
        for key, label in FIGURES.items():
            f = self.figures.get(key)
            if f is None:
                lines.append(f"{label:<62} {'n/a':>12}   (not measured)")
                continue
            ratio = f"{f.ratio:.1f}x" if f.ratio is not None else ""
            same = "" if f.identical is None else ("yes" if f.identical else "NO")
            lines.append(f"{label:<62} {f.text():>12} {fmt_s(f.pandas) if f.pandas else '':>10} {ratio:>7} {same:>5} "
                         f"{f.load[0]:>5.1f}  {f.verdict()}{'  ' + f.note if f.note else ''}")
        if self.compare:
            lines.append("")
            lines.append("Filter-change cost by data size:")
            for row in self.compare.get("rows", []):
                lines.append(f"  {row['responses']:>12,} responses: pyramid (region filter) {fmt_s(row['pyramid_s'])}, "
                             f"page filter change {fmt_s(row.get('page_filter_change_s'))}")
            if "growth" in self.compare:
                g = self.compare["growth"]
                lines.append(f"  data x{g['data']:.1f} -> pyramid x{g['pyramid']:.2f}, page filter change x{g['page']:.2f}")
        if self.problems:
            lines.append("")
            lines.extend(f"PROBLEM: {p}" for p in self.problems)
        return "\n".join(lines)


# =============================================================================================
# Machine
# =============================================================================================
def machine_info() -> dict:
    import psutil

    versions = {}
    for pkg in ("duckdb", "pandas", "pyarrow", "numpy", "streamlit", "altair", "psutil", "playwright"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    versions["python"] = platform.python_version()
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    chromium = None
    if Path(CHROMIUM).exists():
        with contextlib.suppress(Exception):
            chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    git = {}
    with contextlib.suppress(Exception):
        git["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.splitlines()
        git["uncommitted_files"] = len(status)
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "os": platform.platform(), "cpu": cpu,
        "logical_cores": os.cpu_count(), "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "ram_available_gb": round(psutil.virtual_memory().available / 2**30, 1),
        "load_average": load(), "versions": versions, "chromium": chromium, "git": git,
    }


# =============================================================================================
# Data files
# =============================================================================================
def write_csv(path: Path, batches, max_rows: int | None = None) -> int:
    """Canonical long CSV, streamed batch by batch; stops after `max_rows` rows."""
    import pyarrow.csv as pacsv

    rows = 0
    writer = None
    try:
        for batch in batches:
            if max_rows is not None and rows + batch.num_rows > max_rows:
                batch = batch.slice(0, max_rows - rows)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), batch.schema)
            writer.write_table(batch)
            rows += batch.num_rows
            if max_rows is not None and rows >= max_rows:
                break
    finally:
        if writer is not None:
            writer.close()
    return rows


# The demo's transactional answers as a survey tool exports them: one row per response, a column
# per question, labels for yes/no, local times without a zone. Column names say what each holds,
# so the ingest engine's suggestions map them without a saved mapping.
_WIDE_SQL = """
    SELECT source_response_id AS "Response ID",
           strftime(any_value(responded_at)::TIMESTAMP, '%Y-%m-%d %H:%M:%S') AS "Submitted at",
           any_value(touchpoint) AS "Touchpoint", any_value(team) AS "Team", any_value(agent_name) AS "Agent",
           any_value(customer_id) AS "Customer ID", any_value(region) AS "Region", any_value(tier) AS "Tier",
           any_value(tenure_band) AS "Tenure", any_value(language) AS "Language", any_value(channel) AS "Channel",
           max(value) FILTER (WHERE metric = 'csat')::INTEGER AS "Overall, how satisfied were you? (1-5)",
           max(value) FILTER (WHERE metric = 'ces')::INTEGER AS "How easy was it to get help? (1-7)",
           CASE max(value) FILTER (WHERE metric = 'resolved') WHEN 1 THEN 'Yes' WHEN 0 THEN 'No' END
               AS "Was your issue resolved?",
           max(value_text) FILTER (WHERE metric = 'comment') AS "Comment"
    FROM batch WHERE source <> 'relationship_survey'
    GROUP BY source, source_response_id ORDER BY "Submitted at"
"""


def write_wide_csv(path: Path, responses: int) -> int:
    """A wide export of `responses` transactional responses from the demo generator; returns the
    responses written (fewer when the generator runs out)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from . import demo

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    written, writer = 0, None
    try:
        # About 85% of the demo's responses are transactional.
        for batch in demo.generate(int(responses / 0.8) + 1000):
            con.register("batch", pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch)
            wide = con.sql(_WIDE_SQL).to_arrow_table()
            con.unregister("batch")
            wide = wide.slice(0, responses - written)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), wide.schema)
            writer.write_table(wide)
            written += wide.num_rows
            if written >= responses:
                break
    finally:
        if writer is not None:
            writer.close()
        con.close()
    return written


# =============================================================================================
# Ingest (children)
# =============================================================================================
class StatementLog:
    """Times every `execute` of every DuckDB cursor handed out by `Database.cursor`."""

    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.enabled = False

    def label(self, sql: str) -> str:
        return " ".join(str(sql).split())[:96]

    def install(self) -> None:
        from .db import Database

        log = self
        original = Database.cursor

        class Cursor:
            def __init__(self, cur):
                self._cur = cur

            def execute(self, sql, params=None):
                t0 = time.perf_counter()
                out = self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
                if log.enabled:
                    log.times[log.label(sql)].append(time.perf_counter() - t0)
                return out

            def __getattr__(self, name):
                return getattr(self._cur, name)

        Database.cursor = lambda db: Cursor(original(db))

    def top(self, n: int = 25) -> list[dict]:
        rows = [{"statement": k, "calls": len(v), "seconds": round(sum(v), 4)} for k, v in self.times.items()]
        return sorted(rows, key=lambda r: -r["seconds"])[:n]


def _wrap_phase(module, name: str, phases: dict[str, float]) -> None:
    fn = getattr(module, name, None)
    if fn is None:
        return

    def wrapper(*a, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            phases[f"{module.__name__.split('.')[-1]}.{name}"] = phases.get(f"{module.__name__.split('.')[-1]}.{name}", 0.0) \
                + time.perf_counter() - t0

    setattr(module, name, wrapper)


def child_ingest(a: dict) -> dict:
    """One `service.ingest_file` into a fresh database, with a per-statement and per-phase log."""
    import resource

    from . import service, store

    log = StatementLog()
    log.install()
    phases: dict[str, float] = {}
    for mod, names in ((service, ("_sha256", "_keep_original", "inspect_file", "apply_inspection", "read_canonical")),
                       (store, ("apply",))):
        for name in names:
            _wrap_phase(mod, name, phases)
    with contextlib.suppress(ImportError):
        from .ingest import engine

        _wrap_phase(engine, "normalise", phases)
    db = service.open_db(a["db"])
    model = service.load_model_for(db)
    log.enabled = True
    t0 = time.perf_counter()
    receipt = service.ingest_file(db, model, Path(a["file"]))
    seconds = time.perf_counter() - t0
    log.enabled = False
    cur = db.cursor()
    answers = cur.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    del cur
    rss_after = None
    if a.get("settle"):
        import psutil

        time.sleep(a["settle"])  # the allocators hand freed memory back in the background
        rss_after = psutil.Process().memory_info().rss / 2**20
    db.close()
    return {
        "seconds": seconds, "status": receipt.get("status"), "error": receipt.get("error"),
        "rows_read": receipt.get("rows_read"), "responses": receipt.get("added"), "answers": answers,
        "rejected": receipt.get("rejected_count"), "layout": receipt.get("layout"),
        "phases": {k: round(v, 4) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])},
        "statements": log.top(), "sql_seconds": round(sum(sum(v) for v in log.times.values()), 4),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_after_mb": rss_after,
    }


def child_csv_table(a: dict) -> dict:
    """The issue's reference operation for an ingest: DuckDB reads the CSV into a table of a fresh
    database file and closes it (types sniffed; no checks, no merge, no rollups)."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(a["db"])
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE answers AS SELECT * FROM read_csv(?)", [a["file"]])
    rows = con.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def child_min_store(a: dict) -> dict:
    """A lower bound for any ingest that stores this design's tables: Arrow parses the canonical
    CSV, the categorical columns become integer codes, and one transaction writes the answers
    (codes, value, time) and one row per response into a fresh database file. Nothing is checked,
    merged or rolled up, and no dictionary is kept."""
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    t = pacsv.read_csv(a["file"], convert_options=pacsv.ConvertOptions(column_types={"value": pa.float64()}))
    free = {"source_response_id", "customer_id", "value_text", "responded_at", "agent_name", "value"}
    codes = {f"c_{c}": pc.dictionary_encode(t[c]).combine_chunks().indices
             for c in t.column_names if c not in free and pa.types.is_string(t[c].type)}
    rid = pc.dictionary_encode(t["source_response_id"]).combine_chunks().indices.cast(pa.int64())
    answers = pa.table({"rid": rid, "responded_at": t["responded_at"], "day": pc.cast(t["responded_at"], pa.date32()),
                        "value": t["value"], **codes})
    rows = t.select(["source_response_id", "responded_at", "customer_id", "value_text"]).append_column("rid", rid)
    con = duckdb.connect(a["db"])
    con.execute("SET enable_progress_bar = false")
    con.execute("BEGIN")
    con.register("answers_in", answers)
    con.register("rows_in", rows)
    con.execute("CREATE TABLE answers AS SELECT * FROM answers_in")
    con.execute("""CREATE TABLE responses AS SELECT rid, any_value(source_response_id) AS source_response_id,
                   min(responded_at) AS responded_at, any_value(customer_id) AS customer_id,
                   max(value_text) AS comment FROM rows_in GROUP BY rid""")
    con.execute("COMMIT")
    n = con.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "rows": n}


def csv_floor_run(work: Path, path: Path, kind: str = "csv_table") -> dict:
    """One run of the floor of an ingest: the issue's reference operation on the same file (it
    measured 1.8 s on its machine), in a fresh process like the ingest runs it alternates with."""
    db = work / "floor.duckdb"
    out = run_child(kind, {"file": str(path), "db": str(db)})
    for leftover in (db, db.with_name(db.name + ".wal")):
        with contextlib.suppress(OSError):
            leftover.unlink()
    return out


FLOORS = {"floor.csv_table": "csv_table", "floor.min_store": "min_store"}  # figure -> child, run beside the 1M-row ingest


def add_csv_floor(res: Results, key: str, runs: list[float], rows: int | None, errors: list[str]) -> None:
    if not runs:
        res.missing(key, "failed: " + (errors[0][:120] if errors else "not run"))
        return
    fig = Figure(key, median(runs), "s", runs, note=f"{rows:,} rows, runs alternating with the ingest's")
    ingest = res.figures.get("ingest.csv_1m")
    if ingest is not None and ingest.value:
        fig.note += f"; the ingest takes {ingest.value / fig.value:.1f}x this, the 1.5 s target is {1.5 / fig.value:.2f}x it"
    res.add(fig)


def bench_ingest(res: Results, work: Path, files: dict[str, tuple[Path, int]], repeat: int) -> None:
    """Each file `repeat` times into a fresh database, each run in its own process."""
    floors = {k: ([], [], []) for k in FLOORS}  # figure -> (runs, rows, errors)
    kept = []
    for key, (path, responses) in files.items():
        runs, last, errors = [], None, []
        for i in range(repeat):
            if key == "ingest.csv_1m":
                for fkey, child in FLOORS.items():
                    floor = csv_floor_run(work, path, child)
                    f_runs, f_rows, f_errors = floors[fkey]
                    if "error" in floor:
                        f_errors.append(floor["error"])
                    else:
                        f_runs.append(floor["seconds"])
                        f_rows.append(floor["rows"])
            dbdir = work / f"ingest-{key}-{i}"
            dbdir.mkdir(parents=True, exist_ok=True)
            # The upload size limit is a policy of the app, not what is measured here.
            out = run_child("ingest", {"file": str(path), "db": str(dbdir / "cx.duckdb"),
                                       "settle": INGEST_SETTLE_S if key == "ingest.csv_1m" else 0},
                            env=_env(CX_MAX_UPLOAD_MB=10**6))
            shutil.rmtree(dbdir, ignore_errors=True)
            if out.get("status") != "loaded":
                errors.append(out.get("error") or str(out))
                break
            runs.append(out["seconds"])
            if out.get("rss_after_mb") is not None:
                kept.append(out["rss_after_mb"])
            last = out
        if not runs:
            res.problems.append(f"ingest of {path.name} failed: {errors[0][:500]}")
            res.missing(key, "failed: " + errors[0][:120])
            continue
        sec = median(runs)
        rows = last["rows_read"]
        if key in ("ingest.csv_1m", "ingest.wide_csv"):
            fig = Figure(key, sec, "s", runs)
        else:
            # Rows of the file per second, as the issue counts them; the note has responses per second.
            fig = Figure(key, rows / sec, "rows/s", runs)
        fig.note = (f"{last['responses']:,} responses, {rows:,} rows ({rows / sec:,.0f} rows/s, "
                    f"{last['responses'] / sec:,.0f} responses/s, {last['answers']:,} answers stored) in {fmt_s(sec)}; "
                    f"peak RSS {last['max_rss_mb']:,.0f} MB")
        fig.extra = {"responses": last["responses"], "rows": rows, "answers": last["answers"],
                     "rows_per_s": rows / sec, "responses_per_s": last["responses"] / sec, "seconds": sec,
                     "file_mb": round(path.stat().st_size / 2**20, 1),
                     "max_rss_mb": last["max_rss_mb"], "phases": last["phases"], "statements": last["statements"],
                     "sql_seconds": last["sql_seconds"]}
        res.add(fig)
        print(f"      {fig.note}")
        res.profiles[key] = {"phases": last["phases"], "sql_seconds": last["sql_seconds"],
                             "statements": last["statements"][:12]}
    if "ingest.csv_1m" in files:
        for fkey, (f_runs, f_rows, f_errors) in floors.items():
            add_csv_floor(res, fkey, f_runs, f_rows[-1] if f_rows else None, f_errors)
        if kept:
            res.add(Figure("ingest.rss_after", median(kept), "MB", kept,
                           note=f"{INGEST_SETTLE_S:g} s after service.ingest_file returned, database still open"))
        else:
            res.missing("ingest.rss_after", "no ingest of the 1M-row CSV completed")


def write_fresh_export(path: Path, db_path: Path, responses: int = UPLOAD_RESPONSES) -> int:
    """A team's next export: `responses` new responses (ids the database does not hold) spread over
    the last two weeks the database holds, as canonical-long CSV. Returns its rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from . import demo, service

    db = service.open_db(db_path, read_only=True)
    try:
        latest = db.cursor().execute("SELECT epoch_us(max(responded_at)) FROM responses").fetchall()[0][0]
    finally:
        db.close()
    table = pa.concat_tables(demo.generate(responses))
    ids = pc.binary_join_element_wise("upload-", table["source_response_id"], "")
    table = table.set_column(table.column_names.index("source_response_id"), "source_response_id", ids)
    us = pc.cast(pc.cast(table["responded_at"], pa.timestamp("us")), pa.int64()).to_numpy()
    span = max(int(us.max() - us.min()), 1)
    fortnight = 14 * 86400 * 10**6
    when = latest - fortnight + ((us - us.min()) / span * fortnight).astype(np.int64)
    table = table.set_column(table.column_names.index("responded_at"), "responded_at",
                             pa.array(when, table.schema.field("responded_at").type))
    return write_csv(path, [table])


def bench_upload_into_large(res: Results, work: Path, db_path: Path, repeat: int) -> None:
    """What a team waits for when it uploads its fresh export into a programme of N responses:
    each run into its own copy of the bench database, in a fresh process."""
    key = "ingest.upload_into_large"
    path = work / "fresh-export.csv"
    rows = write_fresh_export(path, db_path, UPLOAD_RESPONSES)
    runs, last = [], None
    try:
        for i in range(repeat):
            copy = work / f"upload-{i}.duckdb"
            shutil.copyfile(db_path, copy)
            try:
                out = run_child("ingest", {"file": str(path), "db": str(copy)})
            finally:
                for leftover in (copy, copy.with_name(copy.name + ".wal")):
                    with contextlib.suppress(OSError):
                        leftover.unlink()
            if out.get("status") != "loaded" or out.get("responses") != UPLOAD_RESPONSES:
                res.problems.append(f"upload into the bench database failed: {str(out.get('error') or out)[:300]}")
                res.missing(key, "failed")
                return
            runs.append(out["seconds"])
            if out.get("rss_after_mb") is not None:
                kept.append(out["rss_after_mb"])
            last = out
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    fig = Figure(key, median(runs), "s", runs, note=f"{UPLOAD_RESPONSES:,} responses, {rows:,} rows, "
                 f"{last['answers']:,} answers stored after it; store step {last['phases'].get('store.apply', 0):.2f} s")
    fig.extra = {"phases": last["phases"], "statements": last["statements"][:12], "sql_seconds": last["sql_seconds"]}
    res.add(fig)
    print(f"      {fig.note}")


# =============================================================================================
# The pandas baseline
# =============================================================================================
PANDAS_COLUMNS = ["responded_at", "touchpoint", "team", "metric", "value", "region", "tier", "tenure_band",
                  "language", "channel"]


def pandas_frame(parquet: Path):
    """The answers as a straightforward pandas user loads them: string labels, no comment rows."""
    import pandas as pd

    return pd.read_parquet(parquet, columns=PANDAS_COLUMNS, filters=[("metric", "!=", "comment")])


def pd_cells(df, periods, measures, top, bottom, filters: dict, by: str | None = None) -> dict:
    """Per period x (all | touchpoint | team) x [segment] x measure: n, sum, sum of squares,
    top-box and bottom-box counts, with boolean masks and groupby."""
    import numpy as np
    import pandas as pd

    mask = df["metric"].isin(measures)
    for dim, values in filters.items():
        mask &= df[dim].isin(values)
    ts = df["responded_at"]
    in_period = [(ts >= pd.Timestamp(p.start, tz="UTC")) & (ts < pd.Timestamp(p.end, tz="UTC")) for p in periods]
    mask &= np.logical_or.reduce(in_period)
    sub = df.loc[mask, ["metric", "touchpoint", "team", "value"] + ([by] if by else [])]
    sub["period"] = np.select([p[mask].to_numpy() for p in in_period], list(range(len(periods))))
    sub["v2"] = sub["value"] * sub["value"]
    sub["hi"] = sub["value"] >= sub["metric"].map(top)
    sub["lo"] = sub["value"] <= sub["metric"].map(bottom)
    keys = ["period"] + ([by] if by else [])
    out = {}
    for level, node in (("all", []), ("touchpoint", ["touchpoint"]), ("team", ["team"])):
        out[level] = sub.groupby(keys + node + ["metric"], dropna=False, observed=True).agg(
            n=("value", "size"), s1=("value", "sum"), s2=("v2", "sum"), hi=("hi", "sum"), lo=("lo", "sum"))
    return out


def pd_trend(df, window, team_labels, measure, top, bottom, filters: dict):
    import pandas as pd

    ts = df["responded_at"]
    mask = (ts >= pd.Timestamp(window.start, tz="UTC")) & (ts < pd.Timestamp(window.end, tz="UTC"))
    mask &= df["team"].isin(team_labels) & (df["metric"] == measure)
    for dim, values in filters.items():
        mask &= df[dim].isin(values)
    sub = df.loc[mask, ["responded_at", "metric", "value"]]
    sub["bucket"] = sub["responded_at"].dt.tz_localize(None).dt.to_period("M")
    sub["v2"] = sub["value"] * sub["value"]
    sub["hi"] = sub["value"] >= top[measure]
    sub["lo"] = sub["value"] <= bottom[measure]
    return sub.groupby(["bucket", "metric"], observed=True).agg(
        n=("value", "size"), s1=("value", "sum"), s2=("v2", "sum"), hi=("hi", "sum"), lo=("lo", "sum"))


def _isnull(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pd_cells_dict(frames: dict, by: str | None) -> dict:
    out = {}
    for level, frame in frames.items():
        for idx, row in zip(frame.index, frame.itertuples(index=False)):
            idx = idx if isinstance(idx, tuple) else (idx,)
            period, rest = idx[0], list(idx[1:])
            seg = rest.pop(0) if by else None
            node = rest.pop(0) if level != "all" else None
            (measure,) = rest
            if level != "all" and _isnull(node):
                continue  # answers with no touchpoint / team are not a node
            seg = "(not set)" if by and _isnull(seg) else seg
            out[(int(period), level, node, seg, measure)] = (int(row.n), float(row.s1), float(row.s2), int(row.hi), int(row.lo))
    return out


def db_cells_dict(rows, names: dict[str, dict[int, str]], by: str | None) -> dict:
    out = {}
    for period, level, node, seg, measure, n, s1, s2, hi, lo in rows:
        label = None if level == "all" else names[level].get(node)
        seg_label = (names["seg_" + by].get(seg, "(not set)") if seg is not None else "(not set)") if by else None
        out[(int(period), level, label, seg_label, names["measure"][measure])] = (
            int(n), float(s1 or 0), float(s2 or 0), int(hi or 0), int(lo or 0))
    return out


@contextlib.contextmanager
def consumed(module, name: str):
    """Record the return value of every call of `module.name` inside the block: the checks compare
    the numbers the timed code itself read, not those of a parallel call."""
    calls: list[tuple[tuple, dict, object]] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append((args, kwargs, out))
        return out

    setattr(module, name, spy)
    try:
        yield calls
    finally:
        setattr(module, name, real)


def consumed_cells(run: Callable, names: dict, by: str | None = None) -> dict:
    """The sufficient statistics `run` (pyramid.build, drill.split) read from `queries.cells`:
    its first scan, the one of the view as given (later scans, if any, are of views narrowed to
    a KPI's sources, which the baseline does not compute)."""
    from . import pyramid

    with consumed(pyramid, "cells") as calls:
        run()
    if not calls:
        raise RuntimeError("the timed call read no cells")
    args, kwargs, out = calls[0]
    if kwargs.get("measures") is not None:
        raise RuntimeError("the first scan was not the view's plain one")
    if kwargs.get("totals"):
        whole, split = out
        return {**db_cells_dict(whole, names, None), **db_cells_dict(split, names, by)}
    return db_cells_dict(out, names, by)


def same_numbers(a: dict, b: dict) -> tuple[bool, str]:
    """Exact integer counts, floats to 1e-9 (relative)."""
    if a.keys() != b.keys():
        only_a, only_b = sorted(a.keys() - b.keys(), key=repr)[:3], sorted(b.keys() - a.keys(), key=repr)[:3]
        return False, f"cells differ: only DuckDB {only_a}, only pandas {only_b}"
    for k in a:
        x, y = a[k], b[k]
        if x[0] != y[0] or x[3] != y[3] or x[4] != y[4] or not all(
                math.isclose(x[i], y[i], rel_tol=1e-9, abs_tol=1e-9) for i in (1, 2)):
            return False, f"cell {k}: DuckDB {x} vs pandas {y}"
    return True, f"{len(a)} cells"


# =============================================================================================
# Queries
# =============================================================================================
class Capture:
    """A cursor stand-in that records the SQL a library function runs (and runs it)."""

    def __init__(self, cur):
        self.cur, self.sql = cur, []

    def execute(self, sql, params=None):
        self.sql.append((sql, params))
        return self.cur.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.cur, name)


@contextlib.contextmanager
def forced_source(table: str | None = None):
    """Make every query read `table` (default: the raw answers) instead of choosing rollups."""
    from . import queries

    original = queries.plan

    def raw(cat, view, by, boxes, periods, month_ok=True):
        return [queries.Part(table or "answers", {d: queries.dim_column(d) for d in cat.segments}, False, ((p.start, p.end),), i)
                for i, p in enumerate(periods)]

    queries.plan = raw
    try:
        yield
    finally:
        queries.plan = original


@contextlib.contextmanager
def day_grain_only():
    """Make every query skip the month-grain rollups (and so the pair rollups): the design before them."""
    from . import queries

    original = queries.plan
    queries.plan = lambda *args, **kw: original(*args, **{**kw, "month_ok": False})
    try:
        yield
    finally:
        queries.plan = original


def pick_regions(cur, labels: dict[int, str]) -> tuple[list[str], float]:
    """The set of regions whose share of the answers is closest to REGION_SHARE (fewest regions on ties)."""
    from itertools import combinations

    counts = dict(cur.execute("SELECT seg_region, count(*) FROM answers GROUP BY ALL").fetchall())
    total = sum(counts.values())
    codes = sorted(c for c in counts if c is not None)
    best = None
    for k in range(1, len(codes) + 1):
        for combo in combinations(codes, k):
            share = sum(counts[c] for c in combo) / total
            score = (round(abs(share - REGION_SHARE), 3), k)
            if best is None or score < best[0]:
                best = (score, combo, share)
    return sorted(labels[c] for c in best[1]), best[2]


def bench_queries(res: Results, db, model, parquet: Path, args) -> dict:
    """DuckDB against pandas for each query; then what the storage design buys."""
    from . import drill, pyramid, queries
    from .view import ViewState

    R, W, PR = args.repeat, args.warmup, args.pandas_repeat
    cur = db.cursor()
    runs, cat = timed(lambda: queries.catalog(cur, model), R, W)
    res.add(Figure("query.catalog", median(runs), runs=runs))
    names = {dim: db.labels(dim, cur) for dim in ("touchpoint", "team", "measure", "seg_region", "seg_tier")}
    regions, share = pick_regions(cur, names["seg_region"])
    res.info["region_filter"] = {"regions": regions, "share_of_answers": round(share, 4)}
    print(f"  region filter: {', '.join(regions)} ({share:.1%} of the answers)", flush=True)
    v_all = ViewState(period="last_12_months", compare="previous")
    v_region = v_all.with_filters({"region": regions})
    v_two = v_all.with_filters({"region": regions, "tier": list(TWO_DIM_TIERS)})
    current, previous = pyramid.periods_for(v_all, cat)
    periods = [current, previous]
    res.info["periods"] = {"current": [str(current.start), str(current.end)], "previous": [str(previous.start), str(previous.end)]}
    measures = list(model.measures_used())
    top = {k: m.top_box for k, m in model.measures.items()}
    bottom = {k: m.bottom_box for k, m in model.measures.items()}

    t0 = time.perf_counter()
    df = pandas_frame(parquet)
    load_s = time.perf_counter() - t0
    frame_mb = df.memory_usage(deep=True).sum() / 2**20
    res.add(Figure("pandas.frame", frame_mb, "MB", note=f"{len(df):,} rows, read_parquet {fmt_s(load_s)} (not in the ratios)",
                   extra={"rows": len(df), "load_s": load_s, "dtypes": {c: str(t) for c, t in df.dtypes.items()}}))

    def compare(key, duck: Callable, check_db: Callable, pandas_fn: Callable, to_dict: Callable) -> Figure:
        d_runs, _ = timed(duck, R, W)
        p_runs, p_out = timed(pandas_fn, PR, 1 if W else 0)
        ok, why = same_numbers(check_db(), to_dict(p_out))
        if not ok:
            res.problems.append(f"{key}: DuckDB and pandas differ: {why}")
        return res.add(Figure(key, median(d_runs), runs=d_runs, pandas=median(p_runs), pandas_runs=p_runs,
                              identical=ok, note="" if ok else why, extra={"checked": why}))

    def cells_check(run, by=None):
        # One more call of the timed function, untimed, recording the cells it reads.
        return lambda: consumed_cells(run, names, by)

    def pandas_pyramid(filters, by=None):
        return lambda: pd_cells(df, periods, measures, top, bottom, filters, by)

    for key, view, filters in (("query.pyramid_region", v_region, {"region": regions}),
                               ("query.pyramid_all", v_all, {}),
                               ("query.pyramid_two", v_two, {"region": regions, "tier": list(TWO_DIM_TIERS)})):
        build = (lambda view=view: pyramid.build(cur, model, cat, view))
        compare(key, build, cells_check(build), pandas_pyramid(filters), lambda out: pd_cells_dict(out, None))

    # Team trend by month, with the region filter.
    team = model.team(TREND_TEAM) or model.teams[0]
    kpi = team.kpis[0]
    v_trend = v_region  # grain: month (the default)
    window = drill.trend_window(current, v_trend.grain)
    team_labels = [names["team"][c] for c, k in cat.teams.items() if k == team.key]

    def trend_run():
        return drill.trend_frame(cur, model, cat, v_trend, level="team", node=team.key, kpi=kpi)

    def trend_db():
        with consumed(drill, "trend") as calls:
            trend_run()
        out: dict = {}
        for b, m, _piece, *sums in calls[0][2]:  # a bucket comes in its parts of each period
            if not window.start <= b < window.end:
                continue  # the periods' answers outside the chart's buckets: counted for suppression only
            acc = out.setdefault((str(b), names["measure"][m]), [0, 0.0, 0.0, 0, 0])
            for i, x in enumerate(sums):
                acc[i] += x or 0
        return {k: (int(n), float(s1), float(s2), int(hi), int(lo)) for k, (n, s1, s2, hi, lo) in out.items()}

    def trend_pd(out):
        return {(str(b.start_time.date()), m): (int(r.n), float(r.s1), float(r.s2), int(r.hi), int(r.lo))
                for (b, m), r in zip(out.index, out.itertuples(index=False))}

    compare("query.trend", trend_run, trend_db, lambda: pd_trend(df, window, team_labels, kpi.measure, top, bottom, {"region": regions}), trend_pd)

    # Heatmap: the index and the heatmap's KPI of every node per tier, next to the node totals;
    # the baseline computes the same measures' statistics.
    heat_model = model.narrowed_to(heat_kpis(model))
    heat_measures = list(heat_model.measures_used())

    def heat_check(view):
        return cells_check(lambda: heatmap(cur, model, cat, view), SPLIT_DIM)

    def heat_pandas(filters):
        return lambda: (pd_cells(df, periods, heat_measures, top, bottom, filters),
                        pd_cells(df, periods, heat_measures, top, bottom, filters, SPLIT_DIM))

    def heat_dict(out):
        return {**pd_cells_dict(out[0], None), **pd_cells_dict(out[1], SPLIT_DIM)}

    compare("query.heatmap_region", lambda: heatmap(cur, model, cat, v_region), heat_check(v_region),
            heat_pandas({"region": regions}), heat_dict)
    compare("query.heatmap_all", lambda: heatmap(cur, model, cat, v_all), heat_check(v_all),
            heat_pandas({}), heat_dict)
    def tables(view, by=None):
        return " + ".join(dict.fromkeys(p.table for p in queries.plan(cat, view, by, set(), periods)))

    res.info["sources"] = {
        "pyramid_region": tables(v_region),
        "pyramid_all": tables(v_all),
        "pyramid_two": tables(v_two),
        "heatmap_region (by tier)": tables(v_region, SPLIT_DIM),
        "heatmap_all (by tier)": tables(v_all, SPLIT_DIM),
    }
    del df
    gc.collect()

    design(res, db, cur, model, cat, names, periods, v_all, v_region, v_trend, team, kpi, regions, args)
    return {"regions": regions, "v_region": v_region}


def design(res: Results, db, cur, model, cat, names, periods, v_all, v_region, v_trend, team, kpi, regions, args) -> None:
    """What each storage choice buys, measured on scratch copies."""
    from . import drill, pyramid, queries
    from .view import ViewState

    R, W = args.repeat, args.warmup
    fast = {k: res.figures[k] for k in ("query.pyramid_region", "query.pyramid_all", "query.pyramid_two", "query.trend",
                                        "query.heatmap_all", "query.heatmap_region")}
    v_two = v_all.with_filters({"region": regions, "tier": list(TWO_DIM_TIERS)})

    def add(key, fn, note="", **extra):
        runs, out = timed(fn, R, W)
        res.add(Figure(key, median(runs), runs=runs, note=note, extra=extra))
        return out

    runs, _ = timed(lambda: drill.split(cur, model, cat, v_region, SPLIT_DIM), R, W)
    res.add(Figure("design.all_kpis_heatmap_region", median(runs), runs=runs,
                   note=f"one KPI is {median(runs) / fast['query.heatmap_region'].value:.1f}x faster"))

    with forced_source():
        for key, base, fn in (
                ("design.raw_pyramid_region", "query.pyramid_region", lambda: pyramid.build(cur, model, cat, v_region)),
                ("design.raw_pyramid_all", "query.pyramid_all", lambda: pyramid.build(cur, model, cat, v_all)),
                ("design.raw_trend", "query.trend",
                 lambda: drill.trend_frame(cur, model, cat, v_trend, level="team", node=team.key, kpi=kpi)),
                ("design.raw_heatmap_all", "query.heatmap_all", lambda: heatmap(cur, model, cat, v_all))):
            runs, _ = timed(fn, R, W)
            sec = median(runs)
            res.add(Figure(key, sec, runs=runs, note=f"rollups are {sec / fast[base].value:.1f}x faster"))
    with day_grain_only():
        for key, base, fn in (
                ("design.day_pyramid_region", "query.pyramid_region", lambda: pyramid.build(cur, model, cat, v_region)),
                ("design.day_heatmap_all", "query.heatmap_all", lambda: heatmap(cur, model, cat, v_all)),
                ("design.raw_pyramid_two", "query.pyramid_two", lambda: pyramid.build(cur, model, cat, v_two)),
                ("design.raw_heatmap_region", "query.heatmap_region", lambda: heatmap(cur, model, cat, v_region))):
            runs, _ = timed(fn, R, W)
            sec = median(runs)
            what = "pair rollups" if "pair" in FIGURES[key] else "month rollups"
            res.add(Figure(key, sec, runs=runs, note=f"{what} are {sec / fast[base].value:.1f}x faster"))

    rows = {t: cur.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
            for t in ("answers", "rollup", "rollup_region", "rollup_tier", "rollup$month", "rollup$month$region",
                      "rollup$month$region$tier")}
    res.info["table_rows"] = rows

    # Scratch copies of the answers: in random order, and with string labels instead of codes
    # (next to a coded copy of the same columns, each in its own file to compare their sizes).
    files = {name: Path(args.workdir) / f"{name}.duckdb" for name in ("scratch", "scratch_str", "scratch_codes")}
    for name, path in files.items():
        cur.execute(f"ATTACH '{path}' AS {name}")
    try:
        t0 = time.perf_counter()
        cur.execute("CREATE TABLE scratch.answers_shuffled AS SELECT * FROM answers ORDER BY hash(response_key, measure)")
        cur.execute("CREATE TEMP VIEW answers_day_derived AS SELECT * REPLACE (responded_at::DATE AS day) FROM answers")
        segs = db.segment_dims(cur)
        seg_cols = "".join(f", (SELECT label FROM labels WHERE dim = 'seg_{s}' AND code = a.seg_{s}) AS seg_{s}" for s in segs)
        cur.execute(
            "CREATE TABLE scratch_str.answers_str AS SELECT a.responded_at, a.day, lm.label AS measure, a.value, "
            f"lt.label AS touchpoint, lteam.label AS team{seg_cols} FROM answers a "
            "JOIN labels lm ON lm.dim = 'measure' AND lm.code = a.measure "
            "LEFT JOIN labels lt ON lt.dim = 'touchpoint' AND lt.code = a.touchpoint "
            "LEFT JOIN labels lteam ON lteam.dim = 'team' AND lteam.code = a.team ORDER BY a.responded_at")
        cur.execute("CREATE TABLE scratch_codes.answers_codes AS SELECT responded_at, day, measure, value, touchpoint, team"
                    + "".join(f", seg_{s}" for s in segs) + " FROM answers ORDER BY responded_at")
        for name in ("scratch_str", "scratch_codes"):
            cur.execute(f"CHECKPOINT {name}")
        res.info["bytes_strings_vs_codes"] = {name: files[name].stat().st_size for name in ("scratch_str", "scratch_codes")}
        res.info["scratch_build_s"] = round(time.perf_counter() - t0, 2)

        # Period skipping: the latest quarter and the one before are a quarter of the data.
        v_q = ViewState().with_filters({"region": regions, "tier": list(TWO_DIM_TIERS)})
        q_cur, q_prev = pyramid.periods_for(v_q, cat)
        q_periods = [q_cur, q_prev]

        def cells_on(table, view, pers):
            with forced_source(table):
                return db_cells_dict(queries.cells(cur, model, cat, view, pers), names, None)

        reference = cells_on("answers", v_q, q_periods)
        add("design.sorted", lambda: cells_on("answers", v_q, q_periods),
            note=f"periods {q_prev.start} to {q_cur.end}: {(q_cur.end - q_prev.start).days} of the data's days")
        for key, table in (("design.shuffled", "scratch.answers_shuffled"), ("design.day_derived", "answers_day_derived")):
            out = add(key, lambda table=table: cells_on(table, v_q, q_periods))
            if out != reference:
                res.problems.append(f"{key}: results differ from the time-sorted answers")
        for key in ("design.shuffled", "design.day_derived"):
            f = res.figures[key]
            f.note = f"{f.value / res.figures['design.sorted'].value:.1f}x the time-sorted scan"

        # Integer codes vs string labels: the same grouping-sets SQL on a string copy.
        codes = add("design.codes", lambda: cells_on("answers", v_two, periods))
        strings = add("design.strings", lambda: string_cells(cur, model, periods, regions))
        if strings != codes:
            res.problems.append("design.strings: the string-label query gives other numbers than the coded one")
        size = res.info["bytes_strings_vs_codes"]
        res.figures["design.strings"].note = (
            f"{res.figures['design.strings'].value / res.figures['design.codes'].value:.1f}x the coded scan; stored "
            f"{size['scratch_str'] / 2**20:,.0f} MB vs {size['scratch_codes'] / 2**20:,.0f} MB coded (same columns)")

        breakdown(res, cur, model, cat, periods, v_region, add)
    finally:
        cur.execute("DROP VIEW IF EXISTS answers_day_derived")
        for name, path in files.items():
            cur.execute(f"DETACH {name}")
            for leftover in (path, Path(str(path) + ".wal")):
                leftover.unlink(missing_ok=True)


def string_cells(cur, model, periods, regions) -> dict:
    """queries.cells' raw-path SQL, on string labels (the design before label codes)."""
    measures = list(model.measures_used())
    hi = "CASE measure " + " ".join(f"WHEN '{k}' THEN {model.measures[k].top_box}" for k in measures) + " END"
    lo = "CASE measure " + " ".join(f"WHEN '{k}' THEN {model.measures[k].bottom_box}" for k in measures) + " END"
    sql = f"""
        WITH f AS (SELECT CASE WHEN day >= ? AND day < ? THEN 0 WHEN day >= ? AND day < ? THEN 1 END AS period,
                          measure, touchpoint, team, value
                   FROM scratch_str.answers_str
                   WHERE ((day >= ? AND day < ?) OR (day >= ? AND day < ?)) AND measure IN ({', '.join('?' * len(measures))})
                     AND seg_region IN ({', '.join('?' * len(regions))}) AND seg_tier IN ({', '.join('?' * len(TWO_DIM_TIERS))}))
        SELECT period,
               CASE WHEN GROUPING(touchpoint) = 0 THEN 'touchpoint' WHEN GROUPING(team) = 0 THEN 'team' ELSE 'all' END AS level,
               coalesce(touchpoint, team) AS node, measure,
               count(*) AS n, sum(value) AS s1, sum(value * value) AS s2,
               count(*) FILTER (WHERE value >= {hi}) AS hi, count(*) FILTER (WHERE value <= {lo}) AS lo
        FROM f GROUP BY GROUPING SETS ((period, measure), (period, measure, touchpoint), (period, measure, team))
        HAVING level = 'all' OR node IS NOT NULL"""
    bounds = [x for p in periods for x in (p.start, p.end)]
    rows = cur.execute(sql, bounds + bounds + measures + list(regions) + list(TWO_DIM_TIERS)).fetchall()
    return {(int(p), level, node if level != "all" else None, None, m): (int(n), float(s1 or 0), float(s2 or 0), int(h or 0), int(l or 0))
            for p, level, node, m, n, s1, s2, h, l in rows}


def breakdown(res: Results, cur, model, cat, periods, v_region, add) -> None:
    """Where the pyramid's time goes: the cells SQL vs turning cells into estimates (with profiles)."""
    from . import drill, pyramid, queries

    cap = Capture(cur)
    queries.cells(cap, model, cat, v_region, periods)
    sql, params = cap.sql[-1]
    add("design.cells_region", lambda: cur.execute(sql, params).fetchall())
    rows = cur.execute(sql, params).fetchall()
    current, previous = periods

    def assemble():
        return pyramid.assemble(model, pyramid.collect(rows, cat), current, previous, cat.as_of, repeats=cat.repeats)

    add("design.stats_region", assemble)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(3):
        pyramid.build(cur, model, cat, v_region)
    prof.disable()
    res.profiles["pyramid.build (3 runs, cProfile, cumulative)"] = top_functions(prof, 14)
    prof = cProfile.Profile()
    prof.enable()
    heatmap(cur, model, cat, v_region)
    prof.disable()
    res.profiles["heatmap (drill.split of one KPI), region filter (1 run, cProfile, cumulative)"] = top_functions(prof, 14)


def top_functions(prof, n: int) -> list[dict]:
    st = pstats.Stats(prof)
    rows = []
    for (file, line, name), (cc, nc, tt, ct, _) in st.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({name})", "calls": nc, "self_s": round(tt, 4), "cumulative_s": round(ct, 4)})
    return sorted(rows, key=lambda r: -r["cumulative_s"])[:n]


# =============================================================================================
# The page through AppTest (children)
# =============================================================================================
class Sampler:
    """A sampling profiler across threads (the AppTest script runs in its own thread)."""

    def __init__(self, interval: float = 0.002):
        self.interval, self.samples = interval, 0
        self.inclusive: Counter = Counter()
        self.own: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me, main = threading.get_ident(), threading.main_thread().ident
        while not self._stop.is_set():
            for tid, frame in sys._current_frames().items():
                if tid in (me, main):
                    continue
                seen = set()
                first = True
                while frame is not None:
                    code = frame.f_code
                    key = f"{_short(code.co_filename)}:{code.co_name}"
                    if first:
                        self.own[key] += 1
                        first = False
                    if key not in seen:
                        self.inclusive[key] += 1
                        seen.add(key)
                    frame = frame.f_back
                self.samples += 1
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self, n: int = 20) -> dict:
        total = max(self.samples, 1)
        return {"samples": self.samples,
                "inclusive": [(k, round(v / total, 3)) for k, v in self.inclusive.most_common(n)],
                "self": [(k, round(v / total, 3)) for k, v in self.own.most_common(n)]}


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return Path(path).name


def filter_sets(all_regions: list[str], start: list[str], n: int) -> list[list[str]]:
    """`n` distinct region sets other than `start` (each one a pyramid-cache miss)."""
    from itertools import combinations

    out = []
    for k in (3, 4, 2, 5):
        for combo in combinations(all_regions, k):
            if sorted(combo) != sorted(start):
                out.append(list(combo))
            if len(out) >= n:
                return out
    return out


def bench_page(res: Results, db_path: Path, regions: list[str], all_regions: list[str], args) -> dict:
    n = args.warmup + args.repeat
    sets = filter_sets(all_regions, regions, n + (3 if args.profile else 0))
    page_args = {"regions": regions, "repeat": args.repeat, "warmup": args.warmup, "filter_sets": sets[:n],
                 "profile": args.profile, "profile_sets": sets[n:]}
    out = run_child("page", page_args, env=_env(CX_DB=db_path))
    if "error" in out:  # once more: the repository may be edited while the benchmark runs
        res.info["page_first_attempt_error"] = out["error"][-2000:]
        out = run_child("page", page_args, env=_env(CX_DB=db_path))
    if "error" in out:
        res.problems.append(f"AppTest page run failed: {out['error'][:500]}")
        for key in ("page.first_run", "page.rerun", "page.filter_change"):
            res.missing(key, "failed")
        return out
    res.problems.extend(out["problems"])
    res.add(Figure("page.first_run", out["first_run_s"], note=f"{out['metrics']} KPI tiles; opens the DB, catalog, pyramid"))
    res.add(Figure("page.rerun", median(out["rerun_s"]), runs=out["rerun_s"], note="pyramid from st.cache_data"))
    res.add(Figure("page.filter_change", median(out["filter_change_s"]), runs=out["filter_change_s"],
                   note="a new region set each run: a pyramid cache miss"))
    if out.get("profile"):
        res.profiles["page (AppTest, sampled)"] = out["profile"]
    return out


# =============================================================================================
# The server: memory and cold start
# =============================================================================================
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_path: Path, logdir: Path, script: Path = SERVE, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (logdir / f"streamlit-{self.port}.log").open("w")
        cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(CX_DB=db_path), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self, timeout: float = 120) -> float:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.started
            time.sleep(0.05)
        raise RuntimeError("streamlit did not become healthy")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


BROWSER_FIGURES = ("server.rss_idle", "server.rss", "server.rss_after", "cold.server_browser", "cold.returning_browser",
                   "design.cold_plain", "floor.cold_trivial")


def bench_server(res: Results, db_path: Path, regions: list[str], all_regions: list[str], args) -> None:
    """streamlit run + headless Chromium: time to a rendered pyramid from launch, and the RSS."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        for key in BROWSER_FIGURES:
            res.missing(key, f"no Playwright: {exc}")
        return
    if not Path(CHROMIUM).exists():
        for key in BROWSER_FIGURES:
            res.missing(key, f"{CHROMIUM} is missing")
        return
    from urllib.parse import urlencode

    starts, healthy, idle, first, after, warm, boot, plain, floor, returning = [], [], [], [], [], [], [], [], [], []
    logdir = Path(args.workdir)
    others = filter_sets(all_regions, regions, 3)

    def new_page():
        return browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US", timezone_id="UTC").new_page()

    def rendered(page, url: str, booted: list | None = None) -> None:
        """Open `url` and wait for a rendered pyramid (tiles visible, script idle)."""
        t0 = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded", timeout=600_000)
        if booted is not None:
            page.wait_for_selector("[data-testid='stApp']", state="attached", timeout=600_000)
            booted.append(time.perf_counter() - t0)
        page.wait_for_selector("[data-testid='stMetric']", state="visible", timeout=600_000)
        page.wait_for_selector(APP_IDLE, state="attached", timeout=600_000)

    def cold_other(script: Path, runs: list[float]) -> None:
        """A cold start of another script: dashboard.py itself (no import warm-up), or the floor."""
        server = Server(db_path, logdir, script)
        try:
            server.wait_healthy()
            page = new_page()
            rendered(page, server.url + "/")
            runs.append(time.perf_counter() - server.started)
            page.context.close()
        finally:
            server.stop()

    def cold_served() -> None:
        server = Server(db_path, logdir)
        try:
            healthy.append(server.wait_healthy())
            idle.append(rss_mb(server.proc.pid))
            page = new_page()
            rendered(page, server.url + "/")
            starts.append(time.perf_counter() - server.started)
            if page.locator("[data-testid='stException']").count():
                res.problems.append("the server page shows an exception")
            first.append(rss_mb(server.proc.pid))
            for regs in [regions, *others[:2]]:
                query = urlencode([("period", "last_12_months")] + [("region", r) for r in regs])
                rendered(page, f"{server.url}/?{query}")
            after.append(rss_mb(server.proc.pid))
            page.context.close()
            # The browser's share: a new tab on the now warm server, to a rendered pyramid.
            page = new_page()
            t0 = time.perf_counter()
            rendered(page, server.url + "/", booted=boot)
            warm.append(time.perf_counter() - t0)
            page.context.close()
        finally:
            server.stop()

    def cold_returning(runs: list[float] | None) -> None:
        """A cold server opened by a browser that has been there before: Streamlit's frontend
        files (served as immutable) come from its cache. Same port every time: the cache is per
        origin. `runs=None` is the untimed first visit that fills the cache."""
        server = Server(db_path, logdir, port=returning_port)
        try:
            server.wait_healthy()
            page = returning_context.new_page()
            rendered(page, server.url + "/")
            if runs is not None:
                runs.append(time.perf_counter() - server.started)
            page.close()
        finally:
            server.stop()

    trivial = logdir / "one_metric.py"  # the floor: Streamlit and the browser, next to no app
    trivial.write_text('import streamlit as st\n\nst.metric("CX index", "42")\n')
    order = [cold_served, lambda: cold_returning(returning), lambda: cold_other(APP, plain), lambda: cold_other(trivial, floor)]
    returning_port = free_port()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        returning_context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US", timezone_id="UTC")
        try:
            cold_returning(None)
            for i in range(max(1, args.cold_repeat)):
                for run in order[i % len(order):] + order[:i % len(order)]:  # each goes first in turn: the machine drifts
                    run()
        finally:
            browser.close()
    res.add(Figure("server.rss_idle", median(idle), "MB", runs=idle, note="healthy, no session yet"))
    res.add(Figure("server.rss", median(first), "MB", runs=first, note="server process and its children, psutil RSS"))
    res.add(Figure("server.rss_after", median(after), "MB", runs=after))
    res.add(Figure("cold.server_browser", median(starts), runs=starts,
                   note=f"launch -> stMetric visible and script idle; healthy after {fmt_s(median(healthy))}; "
                        f"a new tab on the warm server renders in {fmt_s(median(warm))} (frontend booted after "
                        f"{fmt_s(median(boot))})",
                   extra={"healthy_s": healthy, "warm_server_new_tab_s": warm, "warm_server_frontend_boot_s": boot}))
    res.add(Figure("cold.returning_browser", median(returning), runs=returning,
                   note="the same, in a browser that has opened the app before (Streamlit's frontend files from its "
                        f"cache): {_difference(median(returning), median(starts))} the first visit"))
    res.add(Figure("design.cold_plain", median(plain), runs=plain,
                   note=f"the import warm-up saves {fmt_s(median(plain) - median(starts))} (runs alternating)"))
    res.add(Figure("floor.cold_trivial", median(floor), runs=floor,
                   note=f"the app's own share of its cold start: {fmt_s(median(starts) - median(floor))}; "
                        f"the 3 s target is {3.0 / median(floor):.2f}x this floor"))


def bench_cold_apptest(res: Results, db_path: Path, args) -> None:
    runs, rss, details = [], [], []
    if args.profile:  # one extra, sampled run first: where the first run's time goes
        out = run_child("cold", {"profile": True}, env=_env(CX_DB=db_path))
        res.profiles["cold start, AppTest first run (sampled)"] = out.get("profile") or out
    for _ in range(max(1, args.cold_repeat)):
        cmd = child_command("cold", "{}")
        t0 = time.perf_counter()
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(CX_DB=db_path), stdout=subprocess.PIPE, stderr=err, text=True)
            seen = None
            for line in proc.stdout:
                if line.startswith(RENDERED):
                    seen = time.perf_counter() - t0
                elif line.startswith(RESULT):
                    details.append(json.loads(line[len(RESULT):]))
            proc.wait()
            err.seek(0)
            if seen is None:
                res.problems.append(f"cold AppTest run did not render: {err.read()[-500:]}")
                continue
        runs.append(seen)
        rss.append(details[-1]["rss_mb"] if details else None)
    if not runs:
        res.missing("cold.apptest", "failed")
        return
    d = details[-1]
    res.add(Figure("cold.apptest", median(runs), runs=runs,
                   note=f"python start -> at.run() done; import streamlit {fmt_s(d['import_s'])}, first run {fmt_s(d['run_s'])}; "
                        f"process RSS {d['rss_mb']:,.0f} MB", extra={"details": details}))


# =============================================================================================
# Sizes
# =============================================================================================
def build_db(path: Path, responses: int) -> tuple[float, int]:
    from . import service

    db = service.open_db(path)
    try:
        t0 = time.perf_counter()
        service.load_demo(db, responses)
        return time.perf_counter() - t0, db.cursor().execute("SELECT count(*) FROM answers").fetchall()[0][0]
    finally:
        db.close()


def filter_change_cost(db_path: Path, regions: list[str], args) -> float:
    """pyramid.build for a new region set each run: the query cost of a filter change."""
    from . import pyramid, queries, service
    from .view import ViewState

    db = service.open_db(db_path)
    try:
        cur = db.cursor()
        model = service.load_model_for(db)
        cat = queries.catalog(cur, model)
        all_regions = sorted(cat.segments.get("region", {}))
        sets = filter_sets(all_regions, regions, args.warmup + args.repeat)
        views = iter(ViewState(period="last_12_months").with_filters({"region": s}) for s in sets)
        runs, _ = timed(lambda: pyramid.build(cur, model, cat, next(views)), args.repeat, args.warmup)
        return median(runs)
    finally:
        db.close()


def bench_sizes(res: Results, main_db: Path, main_rows: int, regions: list[str], args) -> None:
    rows = []
    for size in (1_000_000, 10_000_000):
        if size == main_rows:
            path = main_db
        else:
            path = Path(args.workdir) / f"size-{size}.duckdb"
            print(f"  building a {size:,}-response database for --compare-sizes ...", flush=True)
            took, _ = build_db(path, size)
            print(f"    loaded in {took:.1f} s", flush=True)
        cost = filter_change_cost(path, regions, args)
        page = run_child("page", {"regions": regions, "repeat": args.repeat, "warmup": args.warmup,
                                  "filter_sets": filter_sets(sorted(regions_of(path)), regions, args.warmup + args.repeat),
                                  "profile": False}, env=_env(CX_DB=path))
        row = {"responses": size, "pyramid_s": cost, "page_filter_change_s": median(page.get("filter_change_s") or []),
               "load_average": load()}
        rows.append(row)
        print(f"  {size:>12,} responses: pyramid {fmt_s(cost)}, page filter change {fmt_s(row['page_filter_change_s'])}", flush=True)
        if path != main_db:
            with contextlib.suppress(OSError):
                path.unlink()
    res.compare = {"rows": rows}
    if len(rows) == 2 and rows[0]["pyramid_s"] and rows[0]["page_filter_change_s"]:
        res.compare["growth"] = {"data": rows[1]["responses"] / rows[0]["responses"],
                                 "pyramid": rows[1]["pyramid_s"] / rows[0]["pyramid_s"],
                                 "page": (rows[1]["page_filter_change_s"] or 0) / rows[0]["page_filter_change_s"]}


def regions_of(path: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT label FROM labels WHERE dim = 'seg_region'").fetchall()]
    finally:
        con.close()


# =============================================================================================
# Main
# =============================================================================================
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cxdata.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="responses to generate (default 10M = ~28M answer rows)")
    p.add_argument("--db", help="the bench database (default: a temp dir); an existing one with --rows responses is reused")
    p.add_argument("--repeat", type=int, default=7, help="timed runs per figure (default 7); medians are reported")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs before the timed ones (default 2)")
    p.add_argument("--pandas-repeat", type=int, default=3, help="timed runs of each pandas baseline (default 3)")
    p.add_argument("--ingest-repeat", type=int, default=3, help="ingest runs per file, each into a fresh DB (default 3)")
    p.add_argument("--cold-repeat", type=int, default=3, help="cold starts per method (default 3)")
    p.add_argument("--parquet-responses", type=int, default=PARQUET_RESPONSES,
                   help=f"responses in the Parquet ingest sample (default {PARQUET_RESPONSES:,}; the whole data set when "
                        "smaller). One ingest holds its file in memory, about 2.3 GB per million responses: the whole "
                        "10M data set in one file would not fit this machine's memory")
    p.add_argument("--csv-responses", type=int, default=1_000_000,
                   help="responses in the CSV ingest sample (default 1M; the whole data set when smaller)")
    p.add_argument("--compare-sizes", action="store_true", help="also the cost of a filter change at 1M and at 10M responses")
    p.add_argument("--quick", action="store_true", help="one warm-up, one run of everything, no profiles, no 1M-row CSV")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profiles")
    p.add_argument("--skip-server", action="store_true", help="skip streamlit run + Chromium (RSS, cold start)")
    p.add_argument("--json", dest="json_path", help="write every figure and run as JSON here")
    p.add_argument("--workdir", help="directory for the generated files (default: a temp dir, removed at the end)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-args", help=argparse.SUPPRESS)
    return p


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    if args.quick:
        args.warmup = min(args.warmup, 1)
        args.ingest_repeat = args.pandas_repeat = args.cold_repeat = 1
        args.profile = False
    args.ingest_repeat = max(1, min(args.ingest_repeat, args.repeat))
    args.pandas_repeat = max(1, min(args.pandas_repeat, args.repeat))
    args.cold_repeat = max(1, min(args.cold_repeat, args.repeat))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        fn = {"ingest": child_ingest, "csv_table": child_csv_table, "min_store": child_min_store}[args.child]
        out = fn(json.loads(args.child_args or "{}"))
        print(RESULT + json.dumps(out, default=str), flush=True)
        return 0
    own_workdir = args.workdir is None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="cxbench-")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    res = Results(args)
    try:
        run(res, args, work)
    finally:
        print(res.table(), flush=True)
        if args.json_path:
            Path(args.json_path).write_text(json.dumps(res.to_json(), indent=1, default=str))
            print(f"\nJSON: {args.json_path}")
        if own_workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if res.problems else 0


def run(res: Results, args, work: Path) -> None:
    from . import demo, service

    res.info.update(machine_info())
    res.info.update({"command": "python -m cxdata.bench " + " ".join(sys.argv[1:]), "rows_requested": args.rows,
                     "repeat": args.repeat, "warmup": args.warmup, "pandas_repeat": args.pandas_repeat,
                     "ingest_repeat": args.ingest_repeat, "cold_repeat": args.cold_repeat, "quick": args.quick})
    m = res.info
    print(f"CX Pyramid benchmark, {m['date']}: {m['cpu'] or 'cpu ?'}, {m['logical_cores']} logical cores, "
          f"{m['ram_gb']} GB RAM ({m['ram_available_gb']} GB available), load average {m['load_average']}")
    print(f"python {m['versions']['python']}, duckdb {m['versions']['duckdb']}, pandas {m['versions']['pandas']}, "
          f"pyarrow {m['versions']['pyarrow']}, streamlit {m['versions']['streamlit']}; git {m['git']}", flush=True)

    # 1. The bench database, through the real ingest path.
    db_path = Path(args.db) if args.db else work / "bench.duckdb"
    print(f"\n[1] bench database {db_path} ({args.rows:,} responses)", flush=True)
    reused = False
    if db_path.exists():
        db = service.open_db(db_path)
        have = db.cursor().execute("SELECT count(*) FROM responses").fetchall()[0][0]
        db.close()
        if have and have != args.rows:
            raise SystemExit(f"{db_path} holds {have:,} responses, not --rows {args.rows:,}: use another --db")
        reused = have == args.rows
    if reused:
        res.missing("load.demo", f"reused {db_path}")
    else:
        took, answers = build_db(db_path, args.rows)
        res.add(Figure("load.demo", args.rows / took, "/s", runs=[took],
                       note=f"{args.rows:,} responses, {answers:,} answers in {took:.1f} s ({answers / took:,.0f} answers/s)"))

    db = service.open_db(db_path)
    cur = db.cursor()
    res.info["responses"] = cur.execute("SELECT count(*) FROM responses").fetchall()[0][0]
    res.info["answers"] = cur.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    res.info["duckdb"] = dict(zip(("threads", "memory_limit"), cur.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')").fetchall()[0]))
    res.info["db_file_mb"] = round(db_path.stat().st_size / 2**20, 1)
    print(f"    {res.info['responses']:,} responses, {res.info['answers']:,} answers; DuckDB threads "
          f"{res.info['duckdb']['threads']}, memory limit {res.info['duckdb']['memory_limit']}; file {res.info['db_file_mb']} MB")
    db.close()

    # 2. Files and ingest.
    print("\n[2] ingest: canonical-long files into a fresh database each, one process per run", flush=True)
    parquet = work / "answers.parquet"
    t0 = time.perf_counter()
    demo.write_parquet(parquet, args.rows)
    res.info["generate_parquet_s"] = round(time.perf_counter() - t0, 2)
    files = {"ingest.parquet": (parquet, args.rows)}
    parquet_responses = min(args.rows, args.parquet_responses)
    if parquet_responses < args.rows:
        sample = work / f"answers-{parquet_responses}.parquet"
        demo.write_parquet(sample, parquet_responses)
        files["ingest.parquet"] = (sample, parquet_responses)
    csv_responses = min(args.rows, args.csv_responses)
    csv = work / f"answers-{csv_responses}.csv"
    write_csv(csv, demo.generate(csv_responses))
    files["ingest.csv"] = (csv, csv_responses)
    if args.quick:
        files["ingest.csv_1m"] = (csv, csv_responses)
    else:
        csv_1m = work / "answers-1m-rows.csv"
        written = write_csv(csv_1m, demo.generate(int(CSV_1M_ROWS / 2.6) + 1000), CSV_1M_ROWS)
        files["ingest.csv_1m"] = (csv_1m, written)
    wide = work / "wide-export.csv"
    files["ingest.wide_csv"] = (wide, write_wide_csv(wide, min(args.rows, WIDE_RESPONSES)))
    bench_ingest(res, work, files, args.ingest_repeat)
    bench_upload_into_large(res, work, db_path, args.ingest_repeat)
    if args.quick and "ingest.csv_1m" in res.figures:
        res.figures["ingest.csv_1m"].note = "--quick: the small CSV, not 1M rows; " + res.figures["ingest.csv_1m"].note
    for f in files.values():
        if f[0] != parquet:
            with contextlib.suppress(OSError):
                f[0].unlink()

    # 3. Queries against pandas and what the design buys.
    print("\n[3] queries: DuckDB (library call) vs pandas (same statistics, same data)", flush=True)
    db = service.open_db(db_path)
    try:
        model = service.load_model_for(db)
        q = bench_queries(res, db, model, parquet, args)
        all_regions = sorted(db.labels("seg_region").values())
    finally:
        db.close()
    with contextlib.suppress(OSError):
        parquet.unlink()
    gc.collect()

    # 4. The page.
    print("\n[4] page: pyramid through AppTest", flush=True)
    bench_page(res, db_path, q["regions"], all_regions, args)

    # 5. Server memory and cold starts.
    print("\n[5] server memory and cold start", flush=True)
    if args.skip_server:
        for key in BROWSER_FIGURES:
            res.missing(key, "--skip-server")
    else:
        try:
            bench_server(res, db_path, q["regions"], all_regions, args)
        except Exception as exc:  # a browser problem must not lose the other figures
            res.problems.append(f"server/browser benchmark failed: {exc}")
            for key in BROWSER_FIGURES:
                if key not in res.figures:
                    res.missing(key, "failed")
    bench_cold_apptest(res, db_path, args)

    if args.compare_sizes:
        print("\n[6] filter-change cost by data size", flush=True)
        bench_sizes(res, db_path, res.info["responses"], q["regions"], args)
    res.info["load_average_end"] = load()


if __name__ == "__main__":
    raise SystemExit(main())
