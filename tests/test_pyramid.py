"""Pyramid assembly: suppression within a view, statuses, targets, and agreement with raw rows."""

from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pytest

from cxdata import pyramid, queries, stats, store
from cxdata.db import Database
from cxdata.model import parse_model
from cxdata.view import ViewState

MODEL = parse_model("""
measures:
  csat: {scale: [1, 5], top_box: 4}
  nps: {scale: [0, 10]}
index: {kpi: {stat: nps, measure: nps, target: 10}}
defaults:
  touchpoint_kpis: [{key: csat, stat: mean, measure: csat, target: 4}]
touchpoints:
  - {key: web, name: Website}
  - {key: shop, name: Store}
teams:
  - {key: a, name: Team A, touchpoint: web}
  - {key: b, name: Team B, touchpoint: web}
  - {key: c, name: Team C, touchpoint: web}
  - {key: d, name: Team D, touchpoint: shop}
segments: [{key: region}]
""")


def responses(spec):
    """spec: list of (team, touchpoint, csat, nps, region, month)."""
    cols = {k: [] for k in ["source", "source_response_id", "responded_at", "touchpoint", "team", "metric", "value", "region"]}
    for i, (team, tp, csat, nps, region, month) in enumerate(spec):
        for metric, value in (("csat", csat), ("nps", nps)):
            if value is None:
                continue
            cols["source"].append("s")
            cols["source_response_id"].append(str(i))
            cols["responded_at"].append(datetime(2025, month, 10, tzinfo=timezone.utc))
            cols["touchpoint"].append(tp)
            cols["team"].append(team)
            cols["metric"].append(metric)
            cols["value"].append(float(value))
            cols["region"].append(region)
    return pa.table(cols)


@pytest.fixture
def small_db(tmp_path):
    spec = ([("Team A", "Website", 5, 10, "North", 6)] * 40 + [("Team B", "Website", 2, 3, "North", 6)] * 3
            + [("Team C", "Website", 4, 8, "South", 6)] * 12 + [("Team D", "Store", 4, 9, "South", 6)] * 50
            + [("Team A", "Website", 3, 5, "North", 5)] * 35)
    db = Database(tmp_path / "cx.duckdb")
    store.apply(db, responses(spec))
    yield db
    db.close()


def build(db, **view):
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    return pyramid.build(cur, MODEL, cat, ViewState(**view))


def test_small_team_and_its_complement_are_hidden(small_db):
    p = build(small_db, period="latest_month")
    teams = {t.key: t.headline for t in p.teams_of("web")}
    assert teams["b"].status == "hidden"  # n = 3 < 5
    assert teams["c"].status == "hidden"  # complementary: Website (55) - A (40) would reveal B otherwise
    assert teams["a"].status == "ok"
    assert p.touchpoint("web").headline.current.n == 55


def test_no_hidden_cell_recoverable_by_subtraction(small_db):
    p = build(small_db, period="latest_month")
    for tp in p.touchpoints:
        parent = tp.headline
        visible = sum(t.headline.current.n for t in p.teams_of(tp.key) if t.headline.shown)
        hidden = [t for t in p.teams_of(tp.key) if t.headline.status == "hidden"]
        if parent.shown and hidden:
            assert parent.current.n - visible >= MODEL.thresholds.privacy_min_n


def test_values_match_raw_rows_and_change(small_db):
    p = build(small_db, period="latest_month")
    a = p.team("a").headline
    assert a.current.n == 40 and a.current.value == 5.0
    assert a.previous.n == 35 and a.previous.value == 3.0
    assert a.change.delta == 2.0 and a.change.significant is False or a.change.z is None
    idx = p.index.headline
    # NPS over June: 40 promoters (10), 12 passives (8), 50 promoters (9), 3 detractors.
    assert idx.current.n == 105
    assert round(idx.current.value, 6) == round(100 * (90 - 3) / 105, 6)
    assert idx.target_status == "met"


def test_target_status_near_when_target_inside_interval():
    kpi = MODEL.touchpoints[0].kpis[0]
    est = stats.Estimate("mean", 40, 3.9, 3.7, 4.1, 0.2)
    assert pyramid.target_status(est, kpi, MODEL) == "near"
    assert pyramid.target_status(stats.Estimate("mean", 40, 3.5, 3.4, 3.6, 0.1), kpi, MODEL) == "missed"


def test_filter_with_no_data_gives_an_empty_pyramid(small_db):
    p = build(small_db, period="latest_month", filters=(("region", ("Atlantis",)),))
    assert p.empty
    assert all(t.headline.status == "no_data" for t in p.touchpoints)


def test_split_cells_add_up_to_totals(small_db):
    from cxdata import drill

    cur = small_db.cursor()
    cat = queries.catalog(cur, MODEL)
    sp = drill.split(cur, MODEL, cat, ViewState(period="latest_month"), "region")
    rec = sp.records
    web_all = rec[(rec.level == "touchpoint") & (rec.key == "web") & (rec.segment == "All")].iloc[0]
    web_north = rec[(rec.level == "touchpoint") & (rec.key == "web") & (rec.segment == "North")].iloc[0]
    web_south = rec[(rec.level == "touchpoint") & (rec.key == "web") & (rec.segment == "South")].iloc[0]
    assert web_all.n == web_north.n + web_south.n == 55
    # Team B exists only in the North with n = 3: hidden there and in the total.
    b_north = rec[(rec.level == "team") & (rec.key == "b") & (rec.segment == "North")].iloc[0]
    assert b_north.suppressed and pd.isna(b_north.value) and pd.isna(b_north.n)


def test_overlapping_comparison_period_counts_its_own_rows(tmp_path):
    # A 14-month custom range compared with the same range a year earlier: the months both share
    # must count in both (they once counted only in the current period).
    spec = [("Team A", "Website", 5, 10, "North", 2)] * 10 + [("Team A", "Website", 4, 9, "North", 6)] * 20
    db = Database(tmp_path / "cx.duckdb")
    store.apply(db, responses(spec))  # every response in 2025
    from datetime import date
    p = build(db, period="custom", start=date(2025, 1, 1), end=date(2026, 2, 28), compare="year")
    assert p.previous.start == date(2024, 1, 1) and p.previous.end == date(2025, 3, 1)
    assert p.index.headline.current.n == 30
    assert p.index.headline.previous.n == 10  # the February responses lie in both periods
    db.close()
