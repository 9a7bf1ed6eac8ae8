"""Rollups give exactly the numbers of the raw answers, and stay exact through updates and removals."""

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxdata import demo, pyramid, queries, rollups, store
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
            if by:  # a split view reads its totals from the same scan
                whole, split = queries.cells(cur, MODEL, cat, view, periods, by=by, totals=True)
                assert normalise(split) == normalise(fast)
                assert normalise(whole) == normalise(queries.cells(cur, MODEL, cat, view, periods))
    team = MODEL.teams[0]
    for grain in ("week", "month", "quarter"):
        for filters in (REGIONS, {"region": ["Tehran"], "tier": ["SMB", "VIP"]}):
            view = ViewState(grain=grain).with_filters(filters)
            for window in (Period(date(2025, 1, 1), date(2026, 10, 1)), Period(date(2025, 1, 9), date(2026, 9, 20))):
                for cuts in ((), (date(2025, 3, 17), date(2026, 2, 10))):  # a period's edges, mid-week and mid-month
                    def run():
                        return queries.trend(cur, MODEL, cat, view, window, level="team", node=team.key,
                                             measures=["csat", "ces"], cuts=cuts)
                    fast, slow = run(), raw(monkeypatch, run)
                    assert fast and normalise(fast) == normalise(slow), (grain, filters, window, cuts)
                    if cuts:  # the pieces of a bucket add up to it
                        whole: dict = {}
                        for bucket, measure, _piece, *sums in fast:
                            acc = whole.setdefault((bucket, measure), [0] * len(sums))
                            whole[bucket, measure] = [a + (x or 0) for a, x in zip(acc, sums)]
                        uncut = queries.trend(cur, MODEL, cat, view, window, level="team", node=team.key,
                                              measures=["csat", "ces"])
                        assert normalise([(b, m, *v) for (b, m), v in whole.items()]) == \
                            normalise([tuple(x or 0 for x in r) for r in uncut])


@pytest.fixture(params=["added", "rebuilt"])
def rollup_upkeep(request, monkeypatch):
    """Every write keeps the rollups by adding its changes, or by rebuilding the months it touched."""
    monkeypatch.setattr(rollups, "INCREMENTAL_MAX_SHARE", float("inf") if request.param == "added" else 0.0)
    return request.param


@pytest.fixture
def db(tmp_path, rollup_upkeep):
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
    removal = store.remove_upload(db, receipt.upload_id)
    assert removal == store.Removal(deleted=receipt.added, restored=receipt.updated)
    check_all(db, monkeypatch)
    with pytest.raises(store.InputError, match="already removed"):
        store.remove_upload(db, receipt.upload_id)


def test_a_response_whose_answers_fall_in_two_months_reaches_both_months_rollups(db, monkeypatch):
    # A long-format file gives each row its own time: the CSAT row of this response on 31 July,
    # its CES row a minute later, on 1 August. Found by an independent audit: the rollups of
    # August missed the CES answer (the months rebuilt came from the response's first time only).
    import datetime as dt

    import pyarrow as pa

    batch = next(demo.generate(1000, batch_size=1000)).slice(0, 2)  # one response: csat, ces
    assert batch["metric"].to_pylist() == ["csat", "ces"]
    utc = dt.timezone.utc
    times = [dt.datetime(2026, 7, 31, 23, 59, 30, tzinfo=utc), dt.datetime(2026, 8, 1, 0, 0, 30, tzinfo=utc)]
    rows = batch.set_column(batch.column_names.index("responded_at"), "responded_at",
                            pa.array(times, batch.schema.field("responded_at").type))
    rows = rows.set_column(1, "source_response_id", pa.array(["split-1"] * 2))
    receipt = store.apply(db, rows)
    assert receipt.added == 1
    check_all(db, monkeypatch)
    # and again when an edit moves that answer to September
    times[1] = dt.datetime(2026, 9, 2, 8, 0, tzinfo=utc)
    moved = rows.set_column(rows.column_names.index("responded_at"), "responded_at",
                            pa.array(times, rows.schema.field("responded_at").type))
    assert store.apply(db, moved).updated == 1
    check_all(db, monkeypatch)


def test_pyramid_from_rollups_equals_pyramid_from_raw(db, monkeypatch):
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    view = ViewState(period="last_12_months", compare="year").with_filters({"channel": ["email"]})
    fast = pyramid.build(cur, MODEL, cat, view)
    slow = raw(monkeypatch, lambda: pyramid.build(cur, MODEL, cat, view))
    assert fast == slow


def test_measure_off_the_whole_number_scale_counts_its_boxes_from_every_value(tmp_path):
    # Half points (4.5 is top box, 3.5 is neither) make CSAT continuous: its top box is read from the
    # raw answers, grouped by box class; check it against a plain count of the stored answers.
    batch = next(demo.generate(8000))
    csat = pc.equal(batch["metric"], "csat")
    halves = pc.and_(csat, pc.equal(pc.bit_wise_and(pc.cast(pc.cumulative_sum(pc.cast(csat, "int64")), "int64"), 3), 0))
    value = pc.if_else(pc.and_(halves, pc.greater_equal(batch["value"], 4.0)), pc.subtract(batch["value"], 0.5),
                       pc.if_else(pc.and_(halves, pc.less(batch["value"], 4.0)), pc.add(batch["value"], 0.5), batch["value"]))
    d = Database(tmp_path / "cx.duckdb")
    store.apply(d, batch.set_column(batch.column_names.index("value"), "value", value))
    cur = d.cursor()
    cat = queries.catalog(cur, MODEL)
    code = cat.measures["csat"]
    assert code in cat.continuous
    period = Period(date(2024, 1, 1), date(2027, 1, 1))
    rows = queries.cells(cur, MODEL, cat, ViewState(), [period])
    got = next(r[5:] for r in rows if r[1] == "all" and r[4] == code)
    want = cur.execute("SELECT count(*), sum(value), sum(value * value), count(*) FILTER (value >= 4), "
                       "count(*) FILTER (value <= 2), count(*) FILTER (value <> round(value)) FROM answers WHERE measure = ?",
                       [code]).fetchall()[0]
    assert want[5] > 100  # the test data really has half points
    assert (got[0], got[3], got[4]) == (want[0], want[3], want[4])
    assert got[1] == pytest.approx(want[1]) and got[2] == pytest.approx(want[2])
    d.close()


def test_a_segment_named_like_a_build_table_gets_its_rollup(tmp_path):
    # The build's temporary table once shared its name with the day rollup of a segment 'delta'.
    batch = next(demo.generate(3000))
    batch = batch.rename_columns(["delta" if c == "tier" else c for c in batch.column_names])
    d = Database(tmp_path / "cx.duckdb")
    store.apply(d, batch)
    cur = d.cursor()
    answers = cur.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    for table in ("rollup_delta", "rollup$month$delta", "rollup$month$delta$region"):
        assert cur.execute(f'SELECT sum(n) FROM "{table}"').fetchall()[0][0] == answers, table
    d.close()


def test_tables_outside_the_layout_are_dropped(tmp_path, monkeypatch):
    d = Database(tmp_path / "cx.duckdb")
    store.apply(d, next(demo.generate(2000)))
    cur = d.cursor()
    monkeypatch.setattr(rollups, "MAX_PAIR_DIMS", 2)  # past the limit: no pair tables any more
    with d.transaction(cur):
        rollups.ensure(cur, rollups.stored_dims(cur))
    names = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'rollup%'").fetchall()}
    assert names == {r.name for r in rollups.layout(rollups.stored_dims(cur))}
    assert not any(n.count("$") == 3 for n in names)
    d.close()


def spy(monkeypatch, name):
    calls = []
    real = getattr(rollups, name)
    monkeypatch.setattr(rollups, name, lambda *a, **kw: calls.append(a[1]) or real(*a, **kw))
    return calls


def test_a_small_upload_adds_its_answers_to_the_rollups(tmp_path, monkeypatch):
    d = Database(tmp_path / "cx.duckdb")
    for batch in demo.generate(12000, batch_size=6000):
        store.apply(d, batch)
    # A few responses re-sent with an edit, and a few new ones, in months that hold many more.
    batch = next(demo.generate(12000, batch_size=6000)).slice(0, 60)
    edited = batch.set_column(batch.column_names.index("value"), "value",
                              pc.if_else(pc.equal(batch["metric"], "csat"), 2.0, batch["value"]))
    new = batch.set_column(1, "source_response_id", pc.binary_join_element_wise("new-", batch["source_response_id"], ""))
    added, rebuilt = spy(monkeypatch, "_add_changes"), spy(monkeypatch, "_rebuild_months")
    receipt = store.apply(d, pa.concat_tables([edited, new]))
    assert receipt.updated > 0 and receipt.added > 0
    assert added and not rebuilt
    check_all(d, monkeypatch)
    removal = store.remove_upload(d, receipt.upload_id)
    assert removal == store.Removal(deleted=receipt.added, restored=receipt.updated)
    assert len(added) == 2 and not rebuilt
    check_all(d, monkeypatch)
    d.close()


def test_values_off_the_whole_number_scale_rebuild_the_months_they_touch(tmp_path, monkeypatch):
    monkeypatch.setattr(rollups, "INCREMENTAL_MAX_SHARE", float("inf"))
    d = Database(tmp_path / "cx.duckdb")
    store.apply(d, next(demo.generate(6000)))
    batch = next(demo.generate(6000)).slice(0, 40)
    batch = batch.set_column(1, "source_response_id", pc.binary_join_element_wise("half-", batch["source_response_id"], ""))
    # A half point: added and later taken away in floating point, the pooled sums would drift.
    halves = batch.set_column(batch.column_names.index("value"), "value",
                              pc.if_else(pc.equal(batch["metric"], "csat"), 3.5, batch["value"]))
    added, rebuilt = spy(monkeypatch, "_add_changes"), spy(monkeypatch, "_rebuild_months")
    receipt = store.apply(d, halves)
    assert rebuilt and not added
    check_all(d, monkeypatch)
    store.remove_upload(d, receipt.upload_id)
    assert len(rebuilt) == 2 and not added
    check_all(d, monkeypatch)
    d.close()
