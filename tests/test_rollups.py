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
WHOLE = [Period(date(2026, 7, 1), date(2026, 10, 1)), Period(date(2026, 4, 1), date(2026, 7, 1))]
RAGGED = [Period(date(2025, 11, 17), date(2026, 9, 3)), Period(date(2025, 1, 30), date(2025, 11, 17))]
OVERLAPPING = [Period(date(2025, 3, 1), date(2026, 9, 15)), Period(date(2024, 3, 1), date(2025, 9, 15))]
INSIDE_A_MONTH = [Period(date(2026, 8, 3), date(2026, 8, 20))]
PERIODS = [WHOLE, RAGGED, OVERLAPPING, INSIDE_A_MONTH]
REGIONS = {"region": ["Tehran", "Dubai"]}
# (view, split, tables read: month grain for whole months, then day grain or raw for ragged days)
VIEWS = [
    (ViewState(), None, ("rollup$month", "rollup")),
    (ViewState().with_filters(REGIONS), None, ("rollup$month$region", "rollup_region")),
    (ViewState(), "tier", ("rollup$month$tier", "rollup_tier")),
    (ViewState().with_filters({"tier": ["SMB"]}), "tier", ("rollup$month$tier", "rollup_tier")),
    (ViewState().with_filters(REGIONS), "tier", ("rollup$month$region$tier", "answers")),  # a pair
    (ViewState().with_filters({"tier": ["SMB"], "region": ["Tehran"]}), None, ("rollup$month$region$tier", "answers")),
    (ViewState().with_filters({"tier": ["SMB"], "region": ["Tehran"]}), "language", ("answers", "answers")),  # three
]


def raw(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(queries, "plan", lambda cat, view, by, boxes, periods, month_ok=True: queries.raw_plan(cat, periods))
        return fn()


def normalise(rows):
    return sorted((tuple(round(x, 6) if isinstance(x, float) else x for x in r) for r in rows), key=repr)


def check_all(db, monkeypatch):
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    for periods in PERIODS:
        for view, by, tables in VIEWS:
            used = {p.table.strip('"') for p in queries.plan(cat, view, by, set(), periods)}
            assert used <= set(tables), (view, by, used)
            fast = queries.cells(cur, MODEL, cat, view, periods, by=by)
            slow = raw(monkeypatch, lambda: queries.cells(cur, MODEL, cat, view, periods, by=by))
            assert fast and normalise(fast) == normalise(slow), (view, by, periods, used)
    team = MODEL.teams[0]
    for grain in ("week", "month", "quarter"):
        for filters in (REGIONS, {"region": ["Tehran"], "tier": ["SMB", "VIP"]}):
            view = ViewState(grain=grain).with_filters(filters)
            for window in (Period(date(2025, 1, 1), date(2026, 10, 1)), Period(date(2025, 1, 9), date(2026, 9, 20))):
                def run():
                    return queries.trend(cur, MODEL, cat, view, window, level="team", node=team.key, measures=["csat", "ces"])
                fast, slow = run(), raw(monkeypatch, run)
                assert fast and normalise(fast) == normalise(slow), (grain, filters, window)


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
    fast = pyramid.build(cur, MODEL, cat, view)
    slow = raw(monkeypatch, lambda: pyramid.build(cur, MODEL, cat, view))
    assert fast == slow
