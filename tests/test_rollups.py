"""Rollups give exactly the numbers of the raw answers, and stay exact through updates and removals."""

from datetime import date

import pyarrow.compute as pc
import pytest

from cxdata import demo, pyramid, queries, store
from cxdata.db import Database
from cxdata.model import load_model
from cxdata.period import Period
from cxdata.view import ViewState

MODEL = load_model(demo.demo_model_path())
PERIODS = [Period(date(2026, 7, 1), date(2026, 10, 1)), Period(date(2026, 4, 1), date(2026, 7, 1))]
VIEWS = [
    (ViewState(), None),
    (ViewState().with_filters({"region": ["Tehran", "Dubai"]}), None),
    (ViewState(), "tier"),
    (ViewState().with_filters({"tier": ["SMB"]}), "tier"),
    (ViewState().with_filters({"tier": ["SMB"], "region": ["Tehran"]}), "language"),  # raw path
]


def both(cur, cat, monkeypatch, fn):
    rollup = fn()
    with monkeypatch.context() as m:
        m.setattr(queries, "source_for", lambda cat, view, by, boxes: queries.Source(
            "answers", {d: queries.dim_column(d) for d in cat.segments}, rollup=False))
        raw = fn()
    return rollup, raw


def normalise(rows):
    return sorted((tuple(round(x, 6) if isinstance(x, float) else x for x in r) for r in rows), key=repr)


def check_all(db, monkeypatch):
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    for view, by in VIEWS:
        src = queries.source_for(cat, view, by, set())
        rollup, raw = both(cur, cat, monkeypatch, lambda: queries.cells(cur, MODEL, cat, view, PERIODS, by=by))
        assert rollup and normalise(rollup) == normalise(raw), (view, by, src.table)
    team = MODEL.teams[0]
    for grain in ("week", "month", "quarter"):
        view = ViewState(grain=grain).with_filters({"region": ["Tehran"]})
        rollup, raw = both(cur, cat, monkeypatch, lambda: queries.trend(
            cur, MODEL, cat, view, Period(date(2025, 1, 1), date(2026, 10, 1)), level="team", node=team.key,
            measures=["csat", "ces"]))
        assert rollup and normalise(rollup) == normalise(raw)


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "cx.duckdb")
    for batch in demo.generate(30000, batch_size=10000):
        store.apply(d, batch)
    yield d
    d.close()


def test_rollups_equal_raw_after_load(db, monkeypatch):
    check_all(db, monkeypatch)


def test_rollups_follow_updates_and_removals(db, monkeypatch):
    batch = next(demo.generate(30000, batch_size=10000))
    # Re-upload the first batch with every CSAT of 5 turned into 1.
    edited = batch.set_column(batch.column_names.index("value"), "value",
                              pc.if_else(pc.and_(pc.equal(batch["metric"], "csat"), pc.equal(batch["value"], 5.0)), 1.0, batch["value"]))
    receipt = store.apply(db, edited)
    assert receipt.updated > 0
    check_all(db, monkeypatch)
    removed = store.remove_upload(db, receipt.upload_id)
    assert removed == receipt.updated + receipt.added
    check_all(db, monkeypatch)
    with pytest.raises(store.InputError, match="already removed"):
        store.remove_upload(db, receipt.upload_id)


def test_pyramid_from_rollups_equals_pyramid_from_raw(db, monkeypatch):
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    view = ViewState(period="last_12_months", compare="year").with_filters({"channel": ["email"]})
    fast, slow = both(cur, cat, monkeypatch, lambda: pyramid.build(cur, MODEL, cat, view))
    assert fast == slow
