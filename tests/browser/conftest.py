"""Fixtures for the real-browser tests: a fresh database, `streamlit run serve.py` (what
`make run` serves: dashboard.py through st.App) as a subprocess, Debian's Chromium driven by Playwright, and a small wrapper around a page that knows
when a Streamlit rerun has finished.

Data: the app's own first-start path (an empty database and ``CX_DEMO_RESPONSES`` small, so
``service.ensure_demo`` loads the demo) once ``cxdata/models/demo.yaml`` exists and the demo can be
generated; otherwise the canonical fixture file is ingested with the Zelvora example model before
the server starts. ``CX_BROWSER_DATA=demo|ingest`` forces one of the two.

Tests that change the data (uploads) use ``fresh_app`` instead of ``app_page``: a server of their
own with ``CX_MODEL`` set to the Zelvora example model, on a database holding the demo (as a team
that started on the demo and then named its own model has; under another model than its own the
app loads no demo), so the shared server's data never changes.

Never run ``playwright install`` here: the browser is the system Chromium.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_YAML = REPO / "cxdata" / "models" / "demo.yaml"
DEMO_ROWS = 20000
SAMPLE = REPO / "tests" / "fixtures" / "samples" / "transactional_canonical.parquet"
EXAMPLE_MODEL = REPO / "examples" / "zelvora" / "model.yaml"
SHARE_PERIOD = "last_12_months"

SERVER_START_TIMEOUT = 90  # seconds until /_stcore/health answers
PAGE_TIMEOUT = 60_000  # ms: the first page of a cold app also loads the demo
STEP_TIMEOUT = 45_000  # ms: one interaction (rerun, page switch)
VIEWPORT = {"width": 1400, "height": 1000}

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

_summary: list[str] = []  # printed at the end of the run (data mode, start-up time)


def _cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxdata", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env or _base_env())


def _base_env() -> dict:
    env = dict(os.environ)
    env.pop("CX_MODEL", None)  # the database remembers its model; a model from the caller's shell would override it
    env["CX_DEMO_RESPONSES"] = str(DEMO_ROWS)
    env["PYTHONUNBUFFERED"] = "1"
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


# -- data ---------------------------------------------------------------------------------------
@dataclass
class AppData:
    mode: str  # "demo" (the app loads the demo on first start) or "ingest" (fixture file loaded before start)
    reason: str
    db: Path  # the database the server uses
    model_path: Path
    model: object  # cxdata.model.Model
    segment_key: str  # a segment dimension and a value that exists in the data (for shareable links)
    segment_name: str
    segment_value: str
    share_tp: str  # a touchpoint with teams and data for that segment in SHARE_PERIOD
    # A query of several segments' commonest values (each in the data): a filter line long enough
    # to wrap under a slide's title
    long_filters: str = ""
    notes: list[str] = field(default_factory=list)


def _choose_mode(tmp: Path) -> tuple[str, str, Path | None]:
    """Returns (mode, why, database holding the same data as the app will have, for reading values)."""
    forced = os.environ.get("CX_BROWSER_DATA", "").strip().lower()
    if forced not in ("", "demo", "ingest"):
        raise pytest.UsageError(f"CX_BROWSER_DATA must be 'demo' or 'ingest', not {forced!r}")
    if forced != "ingest":
        if not DEMO_YAML.exists():
            if forced == "demo":
                pytest.fail(f"CX_BROWSER_DATA=demo but {DEMO_YAML} does not exist")
            return "ingest", f"{DEMO_YAML.relative_to(REPO)} does not exist yet", None
        # The demo is deterministic: a second database filled by the CLI holds the same values the
        # app will load on first start, and can be read before the server holds its own file.
        probe = tmp / "demo-probe.duckdb"
        run = _cli("demo", "--db", str(probe), "--rows", str(DEMO_ROWS))
        if run.returncode == 0:
            return "demo", f"{DEMO_YAML.relative_to(REPO)} exists and the demo generator works", probe
        if forced == "demo":
            pytest.fail(f"CX_BROWSER_DATA=demo but `python -m cxdata demo` failed:\n{_tail(run.stderr)}")
        return "ingest", f"the demo generator failed (`python -m cxdata demo`): {_tail(run.stderr, 3)}", None
    return "ingest", "forced by CX_BROWSER_DATA=ingest", None


def _segment_counts(db: Path, key: str) -> list[tuple[str, int]]:
    import duckdb

    from cxdata.sql import dim_column

    con = duckdb.connect(str(db), read_only=True)
    try:
        col = dim_column(key)
        present = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'responses'").fetchall()}
        if f"seg_{key}" not in present:
            return []
        return con.execute(
            f"SELECT l.label, count(*) AS n FROM responses r JOIN labels l ON l.dim = ? AND l.code = r.{col} "
            "GROUP BY l.label ORDER BY n DESC, l.label", [f"seg_{key}"]).fetchall()
    finally:
        con.close()


def _model_path_of(db: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'model_path'").fetchone()
    finally:
        con.close()
    return Path(row[0]) if row and row[0] else DEMO_YAML


def _pick_share_view(values_db: Path, model) -> tuple[str, str, str]:
    """A segment value with many responses, and a touchpoint with teams that has data for it."""
    for seg in model.segments:
        counts = _segment_counts(values_db, seg.key)
        if len(counts) < 2:
            continue
        value = counts[0][0]
        run = _cli("pyramid", "--db", str(values_db), "--period", SHARE_PERIOD, "--where", f"{seg.key}={value}", "--json")
        assert run.returncode == 0, f"`python -m cxdata pyramid --where {seg.key}={value}` failed:\n{_tail(run.stderr)}"
        result = json.loads(run.stdout)
        with_data = {r["key"] for r in result["touchpoints"] if r["value"] is not None}
        candidates = [tp.key for tp in model.touchpoints if tp.key in with_data and model.teams_of(tp.key)]
        if candidates:
            return seg.key, value, candidates[-1]  # the last one: the drill-down test takes the first
    pytest.fail("no segment value with data for a touchpoint that has teams: cannot build a shareable link")


def _long_filters(values_db: Path, model) -> str:
    from urllib.parse import urlencode

    pairs = []
    for seg in model.segments:
        pairs += [(seg.key, v) for v, _ in _segment_counts(values_db, seg.key)[:2]]
        if len({k for k, _ in pairs}) == 4:
            break
    return urlencode(pairs)


@pytest.fixture(scope="session")
def app_data(tmp_path_factory) -> AppData:
    from cxdata.model import load_model

    tmp = tmp_path_factory.mktemp("cx-browser")
    db = tmp / "cx.duckdb"
    mode, reason, values_db = _choose_mode(tmp)
    if mode == "ingest":
        run = _cli("ingest", str(SAMPLE), "--db", str(db), "--model", str(EXAMPLE_MODEL))
        assert run.returncode == 0, f"ingesting the fixture failed:\n{run.stdout}\n{_tail(run.stderr)}"
        values_db = db
    model_path = _model_path_of(values_db)
    model = load_model(model_path)
    seg_key, seg_value, share_tp = _pick_share_view(values_db, model)
    data = AppData(mode=mode, reason=reason, db=db, model_path=model_path, model=model, segment_key=seg_key,
                   segment_name=model.segment(seg_key).name, segment_value=seg_value, share_tp=share_tp,
                   long_filters=_long_filters(values_db, model))
    _summary.append(f"data: {mode} ({reason}); model {model_path.name}; database {db}")
    return data


# -- server -------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    def __init__(self, db: Path, logdir: Path, *, env: dict[str, str] | None = None, script: str = "serve.py"):
        """`streamlit run script` on the database `db`; `env`: extra environment (e.g. CX_MODEL);
        `script`: the app (a path from the repository root)."""
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = logdir / "streamlit.stdout.log"
        self.stderr_path = logdir / "streamlit.stderr.log"
        env = {**_base_env(), **(env or {})}
        env["CX_DB"] = str(db)
        cmd = [sys.executable, "-m", "streamlit", "run", script,
               "--server.address", "127.0.0.1", "--server.port", str(self.port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false",
               # The tests must see the code as it was at start: a module reloaded by the file
               # watcher mid-run (someone editing the repo) breaks st.cache_data pickling.
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        self._out = self.stdout_path.open("w")
        self._err = self.stderr_path.open("w")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)  # own process group: teardown kills everything it started

    def logs(self, lines: int = 80) -> str:
        out = []
        for path in (self.stderr_path, self.stdout_path):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if text.strip():
                out.append(f"--- {path.name} (last {lines} lines) ---\n{_tail(text, lines)}")
        return "\n".join(out) or "(the server wrote nothing)"

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(f"the Streamlit server exited with code {self.proc.returncode}\n{self.logs()}", pytrace=False)

    def wait_healthy(self, timeout: float) -> float:
        start = time.monotonic()
        last = None
        while time.monotonic() - start < timeout:
            self.check_alive()
            try:
                with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = exc
            time.sleep(0.2)
        pytest.fail(f"the Streamlit server did not answer /_stcore/health within {timeout:.0f} s ({last})\n{self.logs()}",
                    pytrace=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._out.close()
        self._err.close()


@pytest.fixture(scope="session")
def cx_server(app_data, tmp_path_factory):
    server = StreamlitServer(app_data.db, tmp_path_factory.mktemp("streamlit-logs"))
    try:
        took = server.wait_healthy(SERVER_START_TIMEOUT)
        _summary.append(f"server: {server.base_url}, healthy after {took:.1f} s; logs in {server.stderr_path.parent}")
        yield server
    finally:
        server.stop()


# -- browser ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (install Debian's chromium package; never `playwright install`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class AppPage:
    """A browser tab on the app, with waits that understand Streamlit reruns."""

    def __init__(self, page, server: StreamlitServer, data: AppData | None):
        self.page = page
        self.server = server
        self.data = data
        self.page_errors: list[str] = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.set_default_timeout(STEP_TIMEOUT)

    def url(self, query: str = "") -> str:
        return f"{self.server.base_url}/{query}"

    def goto(self, query: str = "") -> None:
        try:
            self.page.goto(self.url(query), wait_until="domcontentloaded", timeout=PAGE_TIMEOUT)
        except Exception:
            self.server.check_alive()  # a dead server explains itself (exit code and its stderr)
            raise
        self.wait_idle(PAGE_TIMEOUT)

    def reload(self) -> None:
        try:
            self.page.reload(wait_until="domcontentloaded", timeout=PAGE_TIMEOUT)
        except Exception:
            self.server.check_alive()
            raise
        self.wait_idle(PAGE_TIMEOUT)

    def wait_idle(self, timeout: float = STEP_TIMEOUT) -> None:
        """The script has finished and the page has stopped changing: not running, no stale
        elements left from the previous run, no spinner, and the same DOM for ~0.5 s."""
        try:
            self.page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)
            self.page.wait_for_function(
                """() => {
                    const app = document.querySelector("[data-testid='stApp']");
                    const busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
                        || document.querySelector("[data-stale='true'], [data-testid='stSpinner'], [data-testid='stSkeleton']");
                    const main = document.querySelector("[data-testid='stMain']");
                    const sig = busy ? null : (main ? main.innerText.length : -1) + ':' + document.getElementsByTagName('*').length
                        + ':' + location.href;
                    if (sig === null || sig !== window.__cxSig) { window.__cxSig = sig; window.__cxStable = 0; return false; }
                    window.__cxStable += 1;
                    return window.__cxStable >= 5;
                }""",
                polling=100, timeout=timeout)
        except Exception as exc:
            self.server.check_alive()
            raise AssertionError(f"the app did not become idle: {exc}\n{self.server.logs(40)}") from None
        self.assert_no_exception()

    def click_and_wait(self, locator, *, until) -> None:
        """Click, wait for the expected result of the rerun (`until`: a callable that waits, e.g.
        an `expect(...)` assertion), then for the rerun to finish."""
        locator.click()
        until()
        self.wait_idle()

    def chart_below(self, heading):
        """The first chart below `heading` (a locator)."""
        from playwright.sync_api import expect

        below = heading.bounding_box()["y"]
        charts = self.page.locator("[data-testid='stVegaLiteChart']")
        expect(charts.first).to_be_visible()
        boxes = [charts.nth(i).bounding_box() for i in range(charts.count())]
        chart = next((charts.nth(i) for i, b in enumerate(boxes) if b and b["y"] > below), None)
        assert chart is not None, f"no chart below the heading {heading.inner_text()!r}"
        return chart

    def drawing_below(self, heading) -> dict:
        """The bounding box of the drawing of the first chart below `heading` (a locator): the
        box shows whether Vega-Lite drew anything (a spec it cannot resolve stays an empty box)."""
        from playwright.sync_api import expect

        drawing = self.chart_below(heading).locator("canvas, svg.marks").first
        expect(drawing).to_be_visible()
        return drawing.bounding_box()

    def assert_no_exception(self) -> None:
        exc = self.page.locator("[data-testid='stException']")
        if exc.count():
            pytest.fail(f"the app shows an exception:\n{exc.first.inner_text()[:3000]}\n{self.server.logs(40)}", pytrace=False)

    def screenshot(self, name: str) -> Path:
        """The whole page: Streamlit scrolls inside its main area, so a full-page screenshot of
        the window would cut it off. Grow the window to the content, shoot, shrink it back."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        height = self.page.evaluate(
            """() => Math.max(...["[data-testid='stMain']", "[data-testid='stSidebarContent']", "[data-testid='stSidebar']"]
                .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight), window.innerHeight)""")
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 16000)})
        try:
            self.page.wait_for_function(
                "() => { const m = document.querySelector(\"[data-testid='stMain']\"); return !m || m.scrollHeight <= m.clientHeight + 2; }",
                polling=100, timeout=5000)
            self.wait_idle()
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path


@contextmanager
def _open_app_page(browser, server: StreamlitServer, data: AppData | None, request):
    """A fresh browser context on `server`; after the test: fail on uncaught JavaScript errors,
    keep a screenshot of a failed test, and check that the server survived."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    app = AppPage(page, server, data)
    try:
        yield app
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.passed and app.page_errors:
            pytest.fail("uncaught JavaScript errors in the page:\n" + "\n".join(app.page_errors), pytrace=False)
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png"))
            except Exception:
                pass
        context.close()
        server.check_alive()


@pytest.fixture
def app_page(chromium_browser, cx_server, app_data, request):
    with _open_app_page(chromium_browser, cx_server, app_data, request) as app:
        yield app


@pytest.fixture
def fresh_app(chromium_browser, tmp_path_factory, request):
    """A page on a server of its own: a database holding the demo, loaded under CX_MODEL = the
    Zelvora example model, which the server uses. For tests that change the data. `.data` is None."""
    tmp = tmp_path_factory.mktemp("cx-fresh")
    loaded = _cli("demo", "--db", str(tmp / "cx.duckdb"), "--rows", str(DEMO_ROWS),
                  env={**_base_env(), "CX_MODEL": str(EXAMPLE_MODEL)})
    assert loaded.returncode == 0, _tail(loaded.stderr)
    server = StreamlitServer(tmp / "cx.duckdb", tmp, env={"CX_MODEL": str(EXAMPLE_MODEL)})
    try:
        took = server.wait_healthy(SERVER_START_TIMEOUT)
        _summary.append(f"{request.node.name}: own server {server.base_url} on a fresh database, healthy after {took:.1f} s; "
                        f"logs in {tmp}")
        with _open_app_page(chromium_browser, server, None, request) as app:
            yield app
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def pytest_terminal_summary(terminalreporter):
    if _summary:
        terminalreporter.section("browser tests")
        for line in _summary:
            terminalreporter.write_line(line)
