"""The example model on the sample parquet reproduces every transactional figure of truth.json."""

from dataclasses import replace
from datetime import date

import pytest

from cxdata import pyramid, queries
from cxdata.view import ViewState

QUARTERS = {
    "2024-Q1": (date(2024, 1, 1), date(2024, 3, 31)), "2024-Q2": (date(2024, 4, 1), date(2024, 6, 30)),
    "2024-Q3": (date(2024, 7, 1), date(2024, 9, 30)), "2024-Q4": (date(2024, 10, 1), date(2024, 12, 31)),
    "2025-Q1": (date(2025, 1, 1), date(2025, 3, 31)), "2025-Q2": (date(2025, 4, 1), date(2025, 6, 30)),
    "2025-Q3": (date(2025, 7, 1), date(2025, 9, 30)), "2025-Q4": (date(2025, 10, 1), date(2025, 12, 31)),
}


def build(db, model, start, end, compare="none"):
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    return pyramid.build(cur, model, cat, ViewState(period="custom", start=start, end=end, compare=compare))


def test_touchpoint_csat_all_quarters(zelvora_db, zelvora_model, truth):
    p = build(zelvora_db, zelvora_model, date(2024, 1, 1), date(2025, 12, 31))
    expected = truth["pyramid"]["touchpoints"]
    assert {t.key for t in p.touchpoints} == set(expected)
    for key, figures in expected.items():
        k = p.touchpoint(key).kpi("csat_mean")
        want = figures["transactional_csat_1to5_parquet"]
        assert k.current.n == want["n"], key
        assert round(k.current.value, 3) == want["mean"], key


def test_team_membership_matches(zelvora_model, truth):
    for key, figures in truth["pyramid"]["touchpoints"].items():
        assert sorted(t.name for t in zelvora_model.teams_of(key)) == sorted(figures["teams"])


@pytest.mark.parametrize("quarter", list(QUARTERS))
def test_team_csat_by_quarter(zelvora_db, zelvora_model, truth, quarter):
    p = build(zelvora_db, zelvora_model, *QUARTERS[quarter])
    for name, figures in truth["pyramid"]["teams"].items():
        team = next(t for t in zelvora_model.teams if t.name == name)
        k = p.team(team.key).kpi("csat_mean")
        want = figures["csat_by_quarter"][quarter]
        assert (k.current.n, round(k.current.value, 3)) == (want["n"], want["mean"]), (name, quarter)


def test_team_all_quarters_and_incident_change(zelvora_db, zelvora_model, truth):
    p = build(zelvora_db, zelvora_model, date(2024, 1, 1), date(2025, 12, 31))
    for name, figures in truth["pyramid"]["teams"].items():
        team = next(t for t in zelvora_model.teams if t.name == name)
        k = p.team(team.key).kpi("csat_mean")
        assert (k.current.n, round(k.current.value, 3)) == (figures["csat_all_quarters"]["n"], figures["csat_all_quarters"]["mean"])
    q4 = build(zelvora_db, zelvora_model, *QUARTERS["2025-Q4"], compare="previous")
    incident = truth["planted_effects"]["team_incident"]["parquet_team_change"]
    k = q4.team("delivery_tehran_hub").kpi("csat_mean")
    assert round(k.previous.value, 3) == incident["prev"] and round(k.current.value, 3) == incident["last"]
    assert round(k.change.delta, 3) == incident["delta"] and round(k.change.z, 2) == incident["z"]
    assert k.change.significant
    # It is the largest drop of all teams, as the drill-down story says.
    drops = {t.key: t.kpi("csat_mean").change.delta for t in q4.teams}
    assert min(drops, key=drops.get) == "delivery_tehran_hub"


def test_team_region_cell_via_filter(zelvora_db, zelvora_model, truth):
    cell = truth["planted_effects"]["team_incident"]["parquet_team_x_region_change"]
    cur = zelvora_db.cursor()
    cat = queries.catalog(cur, zelvora_model)
    view = ViewState(period="custom", start=QUARTERS["2025-Q4"][0], end=QUARTERS["2025-Q4"][1]).with_filters({"region": [cell["region"]]})
    k = pyramid.build(cur, zelvora_model, cat, view).team("delivery_tehran_hub").kpi("csat_mean")
    assert (k.current.n, round(k.current.value, 3), k.previous.n, round(k.previous.value, 3)) == (
        cell["n_last"], cell["last"], cell["n_prev"], cell["prev"])
    assert round(k.change.z, 2) == cell["z"]


def test_overall_transactional_figures(zelvora_db, zelvora_model, truth):
    """The transactional NPS over all sources (the model's index counts the relationship surveys
    only, which the parquet does not hold: it shows no data)."""
    m = truth["files"]["transactional_canonical.parquet"]["metrics"]
    cur = zelvora_db.cursor()
    cat = queries.catalog(cur, zelvora_model)
    view = ViewState(period="all", compare="none")
    assert pyramid.build(cur, zelvora_model, cat, view).index.headline.status == "no_data"
    all_sources = replace(zelvora_model, index=replace(zelvora_model.index, kpi=replace(zelvora_model.index.kpi, sources=())))
    p = pyramid.build(cur, all_sources, cat, view)
    idx = p.index.headline
    assert idx.current.n == m["nps"]["n"] and round(idx.current.value, 1) == m["nps"]["nps"]
    assert cat.responses == m["responses"]
