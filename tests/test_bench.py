"""Smoke test of the benchmark (cxdata/bench.py): on a tiny data set it runs end to end, prints
every figure, and DuckDB and the pandas baseline give identical numbers for every query.
Nothing here asserts a timing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cxdata import bench
from tests.conftest import ROOT

# Figures that need Debian's Chromium (and Playwright); without it they print "n/a".
BROWSER_FIGURES = set(bench.BROWSER_FIGURES)


@pytest.mark.timeout(900)
def test_bench_prints_every_figure_and_duckdb_equals_pandas(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "cxdata.bench", "--rows", "3000", "--repeat", "1", "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=880,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    table = run.stdout.rsplit("CX Pyramid benchmark: ", 1)[1].splitlines()
    for key, label in bench.FIGURES.items():
        line = next((line for line in table if line.startswith(label)), None)
        assert line is not None, f"the table has no line for {label!r}"
        assert "not measured" not in line, line

    result = json.loads(out.read_text())
    figures = result["figures"]
    assert set(bench.FIGURES) <= set(figures)
    have_browser = Path(bench.CHROMIUM).exists()
    for key in bench.FIGURES:
        if have_browser or key not in BROWSER_FIGURES:
            assert figures[key]["value"] is not None, (key, figures[key]["note"])
    queries = [k for k in bench.FIGURES if k.startswith("query.") and k != "query.catalog"]
    for key in queries:
        assert figures[key]["identical"] is True, (key, figures[key].get("checked"))
        assert figures[key]["pandas_median_s"] is not None and figures[key]["ratio"] is not None
    assert result["info"]["responses"] == 3000
    assert not result["problems"], result["problems"]


def test_the_identity_check_reads_the_cells_the_timed_call_consumed(zelvora_db, zelvora_model):
    from cxdata import drill, pyramid, queries
    from cxdata.view import ViewState

    cur = zelvora_db.cursor()
    cat = queries.catalog(cur, zelvora_model)
    names = {dim: zelvora_db.labels(dim, cur) for dim in ("touchpoint", "team", "measure")}
    view = ViewState(period="all")
    periods = [p for p in pyramid.periods_for(view, cat) if p]
    direct = bench.db_cells_dict(queries.cells(cur, zelvora_model, cat, view, periods), names, None)
    assert bench.consumed_cells(lambda: pyramid.build(cur, zelvora_model, cat, view), names) == direct
    assert pyramid.cells is queries.cells  # the recorder puts the real function back

    # A split records its totals and its segment cells from one scan.
    dim = next(iter(cat.segments))
    names["seg_" + dim] = zelvora_db.labels("seg_" + dim, cur)
    split = bench.consumed_cells(lambda: drill.split(cur, zelvora_model, cat, view, dim), names, dim)
    assert {k for k in split if k[3] is None} == set(direct)
    assert any(k[3] is not None for k in split)

    with pytest.raises(RuntimeError, match="no cells"):
        bench.consumed_cells(lambda: None, names)


@pytest.mark.parametrize("script, checks", [("drivers.py", 2), ("loop.py", 4), ("rates.py", 3)])
def test_the_benchmark_scripts_agree_with_their_pandas_baselines(tmp_path_factory, script, checks):
    """Each benchmarks/ script checks its figures against a pandas computation of the same numbers."""
    from cxdata import service

    path = tmp_path_factory.getbasetemp() / "bench-demo.duckdb"
    if not path.exists():  # one demo database for the three scripts (they only read it)
        db = service.open_db(path)
        service.load_demo(db, 30000)
        db.close()
    out = subprocess.run([sys.executable, "-W", "ignore", str(ROOT / "benchmarks" / script), str(path), "--repeat", "1"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "same numbers" in line]
    assert len(lines) == checks and all(line.endswith("same numbers: True") for line in lines), out.stdout
