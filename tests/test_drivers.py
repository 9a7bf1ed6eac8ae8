"""Key drivers (cxdata.drivers): the statistics against independent computations, the matrix built
from stored answers, privacy, and the structure the demo plants."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cxdata import drivers, queries, service
from cxdata.drivers import PairSums, Predictor
from cxdata.stats import Suppression
from cxdata.view import ViewState
from tests.conftest import demo_database

RULES = Suppression(5, 30)


def _predictors(k: int) -> list[Predictor]:
    return [Predictor(f"x{i}", f"X{i}", f"x{i}", None, (1.0, 5.0)) for i in range(1, k + 1)]


def _johnson_from_data(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson (2000) as published, from complete data: the orthogonal counterparts Z = P Q' of the
    standardised predictors X = P D Q', y regressed on Z, and X's loadings on Z."""
    n = len(y)
    xs = (x - x.mean(0)) / x.std(0) / math.sqrt(n)  # unit-length columns: X'X is the correlation matrix
    ys = (y - y.mean()) / y.std() / math.sqrt(n)
    p, _, qt = np.linalg.svd(xs, full_matrices=False)
    z = p @ qt                                        # orthonormal columns, closest to xs
    beta = np.linalg.lstsq(z, ys, rcond=None)[0]
    lam = np.linalg.lstsq(z, xs, rcond=None)[0]       # X on Z
    raw = (lam ** 2).T @ (beta ** 2)
    return raw, float(((z @ beta) ** 2).sum() / (ys ** 2).sum())


def _correlated(n=4000, seed=1):
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(n)
    x = np.column_stack([common + rng.standard_normal(n) * s for s in (0.8, 1.0, 1.5, 2.0)])
    y = 0.9 * x[:, 0] + 0.4 * x[:, 1] + 0.1 * x[:, 3] + rng.standard_normal(n) * 1.5
    return x, y


def test_relative_weights_match_johnsons_procedure_on_the_data():
    x, y = _correlated()
    raw, r2 = drivers.relative_weights(np.corrcoef(np.column_stack([y, x]), rowvar=False))
    want, want_r2 = _johnson_from_data(x, y)
    np.testing.assert_allclose(raw, want, rtol=1e-9, atol=1e-12)
    assert r2 == pytest.approx(want_r2, rel=1e-9)


def test_relative_weights_add_up_to_the_regressions_r_squared():
    x, y = _correlated(seed=7)
    raw, r2 = drivers.relative_weights(np.corrcoef(np.column_stack([y, x]), rowvar=False))
    design = np.column_stack([np.ones(len(y)), x])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    ols_r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert raw.sum() == pytest.approx(ols_r2, rel=1e-9)
    assert r2 == pytest.approx(ols_r2, rel=1e-9)


def test_uncorrelated_drivers_weigh_their_squared_correlation():
    r = np.array([[1.0, 0.5, 0.3, -0.2], [0.5, 1, 0, 0], [0.3, 0, 1, 0], [-0.2, 0, 0, 1]])
    raw, r2 = drivers.relative_weights(r)
    np.testing.assert_allclose(raw, [0.25, 0.09, 0.04])
    assert r2 == pytest.approx(0.38)


def test_pairwise_sums_give_pandas_pairwise_correlations_and_means():
    rng = np.random.default_rng(3)
    x, y = _correlated(600, seed=3)
    m = np.column_stack([y, x])
    m[rng.random(m.shape) < 0.35] = np.nan
    s = PairSums.of(m)
    want = pd.DataFrame(m).corr(min_periods=drivers.MIN_PAIRS).to_numpy()
    np.testing.assert_allclose(s.correlation(), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s.means(), np.nanmean(m, axis=0))
    # Sums of row sets add up and subtract.
    half = PairSums.of(m[:300])
    np.testing.assert_allclose((s - half).sxy, PairSums.of(m[300:]).sxy)


def test_a_pairwise_matrix_no_data_could_give_is_made_a_valid_one():
    r = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # not positive definite
    fixed = drivers.nearest_correlation(r)
    assert np.linalg.eigvalsh(fixed).min() > 0
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    assert np.all(np.sign(fixed) == np.sign(r))


def test_analyse_hides_rare_drivers_and_flags_few_responses():
    x, y = _correlated(200, seed=5)
    m = np.column_stack([y, x])
    m[4:, 4] = np.nan  # the last driver answered by 4 responses only
    a = drivers.analyse(m, np.arange(len(m)) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
    hidden = [d for d in a.drivers if d.status == "hidden"]
    assert [d.predictor.key for d in hidden] == ["x4"]
    assert hidden[0].share is None and hidden[0].r is None and hidden[0].mean is None
    shown = [d for d in a.drivers if d.status != "hidden"]
    assert sum(d.share for d in shown) == pytest.approx(100.0)
    assert [d.share for d in shown] == sorted((d.share for d in shown), reverse=True)
    assert all(d.share_low <= d.share <= d.share_high for d in shown)
    assert a.r2_low <= a.r2 <= a.r2_high
    few = drivers.analyse(m[:20], np.arange(20) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
    assert few.status == "low_n" and few.n == 20
    none = drivers.analyse(m[:4], np.arange(4), _predictors(4), RULES, outcome="Y")
    assert none.status == "hidden" and none.r2 is None and all(d.share is None for d in none.drivers)


def test_intervals_narrow_with_more_responses_and_cover_the_truth():
    def share_width(n):
        x, y = _correlated(n, seed=11)
        a = drivers.analyse(np.column_stack([y, x]), np.arange(n) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
        top = a.drivers[0]
        return top.share_high - top.share_low, top
    small, _ = share_width(500)
    large, top = share_width(20000)
    assert large < small / 3
    x, y = _correlated(400000, seed=12)  # the population's share, near enough
    raw, r2 = drivers.relative_weights(np.corrcoef(np.column_stack([y, x]), rowvar=False))
    assert top.share_low <= 100 * raw[0] / r2 <= top.share_high


def test_correlation_interval_is_fishers():
    x, y = _correlated(300, seed=2)
    a = drivers.analyse(np.column_stack([y, x[:, :1]]), np.arange(300) % drivers.GROUPS, _predictors(1), RULES,
                        outcome="Y")
    d = a.drivers[0]
    r = np.corrcoef(y, x[:, 0])[0, 1]
    assert d.r == pytest.approx(r)
    assert d.r_low == pytest.approx(math.tanh(math.atanh(r) - 1.959964 / math.sqrt(297)), abs=1e-6)
    assert d.share == pytest.approx(100.0)


@pytest.mark.parametrize("share, perf, want", [
    (40, 50, "improve"), (40, 90, "keep"), (10, 90, "maintain"), (10, 50, "low"),
])
def test_quadrants_cut_at_the_average_importance_and_performance(share, perf, want):
    others = [drivers.Driver(_predictors(1)[0], 100, "ok", r=0.3, share=s, performance=p) for s, p in ((30, 70), (20, 70))]
    mine = drivers.Driver(_predictors(1)[0], 100, "ok", r=0.3, share=share, performance=perf)
    assert drivers._with_quadrants([mine, *others])[0].quadrant == want


# --------------------------------------------------------------------------- from stored answers

class _Cat:
    def __init__(self):
        self.measures = {"nps": 1, "tp_sat": 2, "effort": 3}
        self.touchpoints = {10: "web", 11: "app", 12: "web"}  # 12: another label of web
        self.unmapped = {"touchpoint": {13: "Kiosk"}}
        self.team_home = {20: "app"}  # team label 20 belongs to the app

    def home(self, tp, team):
        from cxdata.queries import Catalog

        return Catalog.home(self, tp, team)

    def codes(self, level, key):
        return [c for c, k in self.touchpoints.items() if k == key]


def _fake_model():
    from types import SimpleNamespace

    return SimpleNamespace(
        index=SimpleNamespace(kpi=SimpleNamespace(stat="nps", measure="nps")),
        measures={k: SimpleNamespace(name=k.upper(), scale=(1.0, 5.0), higher_is_better=True)
                  for k in ("nps", "tp_sat", "effort")},
        touchpoints=[SimpleNamespace(key="web", name="Website"), SimpleNamespace(key="app", name="App")],
        touchpoint=lambda k: {"web": SimpleNamespace(name="Website"), "app": SimpleNamespace(name="App")}.get(k))


def test_sample_splits_a_measure_rated_per_touchpoint_and_pools_one_asked_once():
    m = _fake_model()
    rows = {  # response, measure, touchpoint label, value
        "response_key": np.array([1, 1, 1, 1, 2, 2, 2, 3, 3]),
        "measure": np.array([1, 2, 2, 3, 1, 2, 3, 2, 2]),
        "touchpoint": np.array([-1, 10, 11, 10, -1, 12, 13, 13, 11]),
        "value": np.array([9.0, 4, 5, 3, 6, 2, 4, 1, 1]),
    }
    s = drivers.sample(rows, m, _Cat(), "nps")
    assert [p.key for p in s.predictors] == ["tp_sat@web", "tp_sat@app", "tp_sat@Kiosk", "effort"]
    assert [p.name for p in s.predictors] == ["Website", "App", "Kiosk", "EFFORT"]
    want = np.array([[9, 4, 5, np.nan, 3], [6, 2, np.nan, np.nan, 4], [np.nan, np.nan, 1, 1, np.nan]])
    np.testing.assert_array_equal(s.x, want)  # response 3 has no outcome: analyse leaves it out
    assert not s.outcome_repeated


def test_a_teams_answer_counts_at_the_teams_touchpoint_and_the_index_explains_nothing():
    rows = {  # team 20 (the app's) with no touchpoint, and with a touchpoint label the model lacks
        "response_key": np.array([1, 1, 1, 2, 2, 2]),
        "measure": np.array([3, 2, 2, 3, 2, 1]),
        "touchpoint": np.array([-1, -1, 10, -1, 13, -1]),
        "team": np.array([-1, 20, -1, -1, 20, -1]),
        "value": np.array([4.0, 5, 3, 2, 4, 7]),
    }
    s = drivers.sample(rows, _fake_model(), _Cat(), "effort")
    # The index's measure (nps) is no driver of effort; team 20's answers are the app's.
    assert [p.key for p in s.predictors] == ["tp_sat@web", "tp_sat@app"]
    np.testing.assert_array_equal(s.x, [[4, 3, 5], [2, np.nan, 4]])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from demo_database(tmp_path_factory, "drivers", 60000)


def test_the_demo_plants_different_drivers_per_tier(demo):
    db, model, cur, cat = demo
    vd = drivers.of_view(cur, model, cat, ViewState(period="all"), "nps", "tier")
    top = {a.segment: a.drivers[0].predictor.key for a in vd.segments}
    assert top == {"Consumer": "tp_sat@delivery", "SMB": "tp_sat@billing", "Enterprise": "tp_sat@call_center",
                   "VIP": "tp_sat@store"}
    consumer = next(a for a in vd.segments if a.segment == "Consumer")
    assert {d.predictor.key for d in consumer.drivers[:2]} == {"tp_sat@delivery", "tp_sat@mobile_app"}
    assert sum(a.n for a in vd.segments) == vd.overall.n


def test_the_drivers_match_an_independent_pandas_computation(demo):
    db, model, cur, cat = demo
    view = ViewState(period="last_12_months").with_filters({"region": ["Tehran", "Dubai"]})
    a = drivers.of_view(cur, model, cat, view, "nps").overall
    from cxdata import pyramid

    current, _ = pyramid.periods_for(view, cat)
    # Straight from the answers, with SQL of its own: one row per response, a column per question.
    codes = [c for label, c in cat.segments["region"].items() if label in ("Tehran", "Dubai")]
    frame = cur.execute(
        "SELECT a.response_key, m.label AS measure, t.label AS tp, a.value FROM answers a "
        "JOIN labels m ON m.dim = 'measure' AND m.code = a.measure "
        "LEFT JOIN labels t ON t.dim = 'touchpoint' AND t.code = a.touchpoint "
        "WHERE a.responded_at >= ? AND a.responded_at < ? AND a.seg_region IN (SELECT unnest(?))",
        [queries.ts(current.start), queries.ts(current.end), codes]).df()
    at = frame["tp"].map(lambda t: model.resolve("touchpoint", t) if isinstance(t, str) else None)
    frame["column"] = np.where(frame["measure"] == "tp_sat", "tp_sat@" + at.fillna(""), frame["measure"])
    wide = frame.pivot_table(index="response_key", columns="column", values="value", aggfunc="mean")
    wide = wide[wide["nps"].notna()]
    keys = [d.predictor.key for d in a.drivers]
    wide = wide[wide[keys].notna().any(axis=1)]
    assert a.n == len(wide)
    r = wide[["nps", *keys]].corr().to_numpy()
    raw, r2 = drivers.relative_weights(r)
    assert a.r2 == pytest.approx(r2, rel=1e-9)
    for d, w, rj in zip(a.drivers, raw, r[0, 1:]):
        assert d.share == pytest.approx(100 * w / r2, rel=1e-9)
        assert d.r == pytest.approx(rj, rel=1e-9)
        assert d.n == int(wide[["nps", d.predictor.key]].notna().all(axis=1).sum())
        assert d.mean == pytest.approx(wide.loc[wide["nps"].notna(), d.predictor.key].mean())


def test_a_segment_too_small_is_hidden_with_the_one_that_would_give_it_away(demo):
    from cxdata import pyramid

    db, model, cur, cat = demo
    # Two weeks of one region: few relationship responses per tier.
    view = ViewState(period="custom", start=cat.as_of.replace(day=1), end=cat.as_of).with_filters({"region": ["Dubai"]})
    vd = drivers.of_view(cur, model, cat, view, "nps", "tier")
    counts = {a.segment: a.n for a in vd.segments}
    hidden = {a.segment for a in vd.segments if a.status == "hidden"}
    assert hidden and hidden == drivers.split_status(vd.overall.n, counts, pyramid.rules_of(model))
    for a in vd.segments:
        if a.status == "hidden":
            assert a.r2 is None and a.drivers == ()


def test_no_answers_of_the_outcome_is_an_empty_analysis(demo):
    db, model, cur, cat = demo
    vd = drivers.of_view(cur, model, cat, ViewState(period="custom", start=cat.first.replace(year=1990),
                                                    end=cat.first.replace(year=1990)), "nps", "tier")
    assert vd.overall.n == 0 and vd.overall.status == "no_data" and vd.segments == ()


def test_the_transactional_csat_has_its_own_drivers(demo):
    db, model, cur, cat = demo
    a = drivers.of_view(cur, model, cat, ViewState(period="all"), "csat").overall
    assert {d.predictor.key for d in a.drivers} == {"ces", "resolved"}  # asked once per response: pooled
    assert a.r2 > 0.05


def test_drivers_answered_together_by_few_responses_cannot_claim_more_than_everything():
    """Found by an audit: a pairwise matrix of correlations over 3-10 responses each gave R² of
    thousands, capped to 100% with importances that made no sense."""
    rng = np.random.default_rng(4)
    n, k = 120, 8
    x = rng.integers(1, 6, size=(n, k)).astype(float)
    y = x[:, 0] + x[:, 1] + rng.standard_normal(n) * 2
    x[rng.random((n, k)) < 0.8] = np.nan  # each driver answered by about 24, each pair by about 5
    m = np.column_stack([y, x])
    a = drivers.analyse(m, np.arange(n) % drivers.GROUPS, _predictors(k), RULES, outcome="Y")
    # Pairs of about 5 responses each fit no set of responses together: no R² is claimed at all.
    assert a.r2 is None and a.r2_low is None and a.rough
    assert any("too few of the same responses" in note for note in a.notes)
    assert any("rated together by few responses" in note for note in a.notes)
    # With about 25 responses a pair, the pairs blend toward how all drivers go together: an R² that
    # an independent fit of the complete rows does not contradict.
    x2 = rng.integers(1, 6, size=(600, 4)).astype(float)
    y2 = x2[:, 0] + x2[:, 1] + rng.standard_normal(600) * 2
    x2[rng.random((600, 4)) < 0.8] = np.nan
    b = drivers.analyse(np.column_stack([y2, x2]), np.arange(600) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
    assert b.rough and b.r2 is not None and b.r2_low <= b.r2 < 0.9
    assert sum(d.share for d in a.drivers if d.share is not None) == pytest.approx(100.0)


def test_a_flat_outcome_and_a_flat_driver_say_so():
    x, y = _correlated(200, seed=8)
    flat_outcome = np.column_stack([np.full(200, 7.0), x])
    a = drivers.analyse(flat_outcome, np.arange(200) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
    assert a.status == "flat" and a.r2 is None
    flat_driver = np.column_stack([y, x[:, :2], np.full(200, 3.0)])
    a = drivers.analyse(flat_driver, np.arange(200) % drivers.GROUPS, _predictors(3), RULES, outcome="Y")
    third = next(d for d in a.drivers if d.predictor.key == "x3")
    assert third.r is None and third.share == 0 and third.quadrant is None
    assert any(note.startswith("X3: every response gave the same answer") for note in a.notes)
    assert not a.rough and not any("rated together by few" in note for note in a.notes)


def test_a_segments_drivers_give_no_n_or_mean_to_subtract(demo):
    db, model, cur, cat = demo
    vd = drivers.of_view(cur, model, cat, ViewState(period="all"), "nps", "tier")
    from cxdata import tables

    out = tables.drivers_export(vd, "NPS", "", "Tier")
    segments = out[out["segment"] != "All"]
    assert segments[["n", "mean", "performance_0_100"]].isna().all().all()
    assert out.loc[out["segment"] == "All", "n"].notna().all()
    assert str(out["n"].dtype) == "Int64"
    js = service.drivers_json(db, model, ViewState(period="all"), "nps", "tier")
    assert all(d["n"] is None and d["mean"] is None for s in js["segments"] for d in s["drivers"])
    assert all(isinstance(d["n"], int) for d in js["all"]["drivers"])


def test_a_split_views_whole_is_the_unsplit_view(demo):
    """The whole view of a split is summed from its segments' sums: the same figures as unsplit."""
    db, model, cur, cat = demo
    view = ViewState(period="last_12_months")
    plain = drivers.of_view(cur, model, cat, view, "nps").overall
    split = drivers.of_view(cur, model, cat, view, "nps", "language").overall
    assert split.n == plain.n and split.r2 == pytest.approx(plain.r2, rel=1e-9)
    for a, b in zip(plain.drivers, split.drivers):
        assert (a.predictor, a.n, a.status) == (b.predictor, b.n, b.status)
        assert a.share == pytest.approx(b.share, rel=1e-9) and a.share_low == pytest.approx(b.share_low, rel=1e-6)


@pytest.mark.parametrize("driver_up, outcome_up, slope, against", [
    (True, True, 1.0, False),
    (True, True, -1.0, True),
    # an effort rated 1 = easy: lower answers are the better ones, so a negative r is a driver that helps
    (False, True, -1.0, False),
    (False, True, 1.0, True),
    # an outcome where lower is better (a wait, a complaint count): the sign turns again
    (True, False, -1.0, False),
    (False, False, 1.0, False),
    (False, False, -1.0, True),
])
def test_goes_against_reads_the_direction_of_the_driver_and_the_outcome(driver_up, outcome_up, slope, against):
    """Found by a review: a lower-is-better driver that helps the outcome (a low effort with a high
    NPS) was filed under "Goes against", by the sign of r alone."""
    rng = np.random.default_rng(21)
    x = rng.integers(1, 6, size=(300, 2)).astype(float)
    y = slope * x[:, 0] + 0.5 * x[:, 1] + rng.standard_normal(300)
    preds = [Predictor("x1", "X1", "x1", None, (1.0, 5.0), driver_up), Predictor("x2", "X2", "x2", None, (1.0, 5.0))]
    if not outcome_up:  # x2 keeps helping the outcome: its better answers go with a lower one
        y = y - 1.0 * x[:, 1]
    a = drivers.analyse(np.column_stack([y, x]), np.arange(300) % drivers.GROUPS, preds, RULES, outcome="Y",
                        outcome_higher_is_better=outcome_up)
    x1 = next(d for d in a.drivers if d.predictor.key == "x1")
    assert (x1.quadrant == "against") is against
    assert any(note.startswith("X1: better answers here go with a worse outcome") for note in a.notes) is against


def test_a_segment_that_gave_one_answer_says_so_in_the_grid_and_the_download():
    """Found by a review: a segment whose every response gave the outcome one answer (six VIPs, all
    promoters) read "no data" in the grid and "ok" beside blank importances in the download."""
    from cxdata import charts, tables

    x, y = _correlated(200, seed=9)
    whole = drivers.analyse(np.column_stack([y, x]), np.arange(200) % drivers.GROUPS, _predictors(4), RULES, outcome="Y")
    same = drivers.analyse(np.column_stack([np.full(8, 10.0), x[:8]]), np.arange(8) % drivers.GROUPS, _predictors(4),
                           RULES, outcome="Y", segment="VIP")
    assert same.status == "flat"
    vd = drivers.ViewDrivers("y", whole, "tier", (replace(same, segment="VIP"),))
    grid = tables.driver_grid(vd)
    vip = grid[grid["segment"] == "VIP"]
    assert vip["importance"].isna().all() and (vip["status"] == "flat").all()
    texts, _ = charts._grid_prepare(grid)
    assert set(texts.loc[texts["segment"] == "VIP", "importance_text"]) == {"one answer from every response: nothing to explain"}
    out = tables.drivers_export(vd, "Y", "", "Tier")
    assert (out.loc[out["segment"] == "VIP", "status"] == "flat").all()
    assert out.loc[out["segment"] == "VIP", "responses"].tolist() == [8] * 4


def test_a_segments_note_on_rare_pairs_gives_no_count():
    """Found by a review: a segment withholds its drivers' n, yet its note named how few responses
    rated two drivers together, a count the whole view's note and the other segments' add up to."""
    rng = np.random.default_rng(4)
    x = rng.integers(1, 6, size=(200, 3)).astype(float)
    y = x[:, 0] + x[:, 1] + rng.standard_normal(200)
    x[20:, 2] = np.nan  # the third driver rated with the others by 20 responses
    m = np.column_stack([y, x])
    for segment, counted in ((None, True), ("VIP", False)):
        a = drivers.analyse(m, np.arange(200) % drivers.GROUPS, _predictors(3), RULES, outcome="Y", segment=segment)
        note = next(n for n in a.notes if "rated together by few responses" in n)
        assert ("the fewest: 20" in note) is counted


def _stored(tmp_path, responses):
    """A database of the sample company's model holding `responses` through the real ingest path:
    (id, tier, {measure or measure@touchpoint: value}), all answered on 3 March 2025."""
    from tests.conftest import ZELVORA_MODEL

    lines = ["source,source_response_id,responded_at,customer_id,touchpoint,metric,value,tier"]
    for rid, tier, answers in responses:
        for key, value in answers.items():
            metric, _, tp = key.partition("@")
            lines.append(f"qualtrics,{rid},2025-03-03T10:00:00Z,C{rid},{tp},{metric},{value},{tier}")
    path = tmp_path / "answers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    assert service.ingest_file(db, model, path)["status"] == "loaded"
    cur = db.cursor()
    return db, model, cur, queries.catalog(cur, model)


@pytest.mark.parametrize("rated, alone, n, status", [
    (40, 3, 40, "ok"),
    (28, 3, 28, "low_n"),   # 31 responses in all, but the figures shown rest on 28
    (28, 0, 28, "low_n"),
    (30, 4, 30, "ok"),
])
def test_the_responses_counted_are_those_that_answered_a_driver_shown(rated, alone, n, status):
    """Found by an audit: responses whose only driver answer was to a driver hidden for too few
    answers were counted in "the N responses that answered it and at least one of them", under
    drivers none of them answered; N less the shown driver's n gave the hidden one's away."""
    rng = np.random.default_rng(6)
    x = np.full((rated + alone, 2), np.nan)
    x[:rated, 0] = rng.integers(1, 6, rated)
    x[rated:, 1] = rng.integers(1, 6, alone)
    y = np.where(np.isnan(x[:, 0]), 5.0, 2 * np.nan_to_num(x[:, 0])) + rng.standard_normal(rated + alone)
    a = drivers.analyse(np.column_stack([y, x]), np.arange(rated + alone) % drivers.GROUPS, _predictors(2), RULES,
                        outcome="Y")
    assert [d.status for d in a.drivers][-1] == "hidden"
    assert (a.n, a.status) == (n, status)


def test_responses_that_answered_only_a_hidden_driver_are_not_counted_in_the_view_or_its_segments(tmp_path):
    from cxdata import tables

    rng = np.random.default_rng(7)
    responses = []
    for i in range(40):
        web, delivery = (int(v) for v in rng.integers(1, 6, 2))
        responses.append((f"c{i}", "Consumer", {"nps": min(10, 2 * web), "tp_sat@website": web,
                                                "tp_sat@delivery": delivery}))
    responses += [(f"v{i}", "VIP", {"nps": 3 + i, "tp_sat@billing": 2 + i}) for i in range(3)]
    db, model, cur, cat = _stored(tmp_path, responses)
    try:
        view = ViewState(period="all")
        a = drivers.of_view(cur, model, cat, view, "nps").overall
        assert {d.predictor.key: d.status for d in a.drivers}["tp_sat@billing"] == "hidden"
        assert a.n == 40  # not 43: 43 - 40 would say three responses rated billing
        split = drivers.of_view(cur, model, cat, view, "nps", "tier")
        assert split.overall.n == 40
        by = {s.segment: s for s in split.segments}
        # The VIPs rated nothing shown: hidden, and the Consumers' figures are all the view's.
        assert by["VIP"].status == "hidden" and by["Consumer"].n == 40
        out = tables.drivers_export(split, "NPS", "", "Customer tier")
        assert out.loc[out["segment"] == "All", "responses"].unique().tolist() == [40]
        assert out.loc[out["segment"] == "VIP", "responses"].isna().all()
    finally:
        db.close()


def _flat_case(case):
    rng = np.random.default_rng(8)
    y = rng.integers(0, 11, 60).astype(float)
    x = rng.integers(1, 6, (60, 2)).astype(float)
    if case == "driver":       # the one driver shown rated 3 by everyone
        x[:, 0], x[:, 1] = 3.0, np.nan
    elif case == "outcome":    # every response gave the outcome one answer
        y[:] = 10.0
    elif case == "among":      # the 20 responses that rated X2 were all promoters; X1 goes with the outcome
        x[:, 0] = np.clip(np.round(y / 2), 1, 5)
        x[20:, 1], y[:20] = np.nan, 10.0
    return np.column_stack([y, x])


@pytest.mark.parametrize("case, status, note", [
    ("driver", "low_n", "X1: every response gave the same answer"),
    ("outcome", "flat", None),
    ("among", "ok", "X2: every response that rated it gave Y the same answer"),
])
def test_a_flat_outcome_is_told_from_flat_drivers(case, status, note):
    """Found by an audit: a view whose every driver shown was rated alike (everyone rated the
    website 3) read "every one of the responses gave NPS the same answer", of an NPS that varied;
    and a driver whose few responses gave the outcome one answer was said to be rated alike."""
    m = _flat_case(case)
    rules = Suppression(5, 30 if case != "driver" else 100)
    a = drivers.analyse(m, np.arange(len(m)) % drivers.GROUPS, _predictors(2), rules, outcome="Y")
    assert a.status == status
    if note is None:
        assert a.r2 is None and a.notes == ()
        return
    assert any(n.startswith(note) for n in a.notes), a.notes
    assert not any("every response gave the same answer" in n for n in a.notes if not n.startswith(note))
    shown = [d for d in a.drivers if d.status != "hidden"]
    assert sum(d.share for d in shown) == pytest.approx(100.0 if case == "among" else 0.0)
    assert a.r2 is not None and a.r2_low <= a.r2 <= a.r2_high


def test_the_drivers_say_what_they_count_and_why_it_is_not_the_pyramids(demo):
    """Found in a review: Delivery's driver read 'Performance 66.7, n 1,979' beside its pyramid tile's
    CSAT 61.1% of n = 2,802, the drivers counted 4,222 responses against the index's 4,224, and
    named the index by its question alone. The page now says which question, which survey and
    which responses each figure is of, and names the index as its tile does."""
    from cxdata import pyramid

    db, model, cur, cat = demo
    view = ViewState(period="latest_quarter")
    vd = drivers.of_view(cur, model, cat, view, "nps")
    a = vd.overall
    # the outcome is read from the relationship survey's responses: every driver is their answer
    assert [s for s, _ in vd.sources] == ["relationship_survey"]
    current, _ = pyramid.periods_for(view, cat)
    nps = cur.execute("SELECT count(DISTINCT response_key) FROM answers WHERE measure = ? AND responded_at >= ? "
                      "AND responded_at < ?", [cat.measures["nps"], queries.ts(current.start),
                                               queries.ts(current.end)]).fetchall()[0][0]
    assert vd.sources[0][1] == nps
    p = pyramid.build(cur, model, cat, replace(view, compare="none"))
    assert p.index.headline.current.n == nps >= a.n  # the tile counts every answer, the drivers those with a driver
    assert drivers.outcome_title(model, "nps") == ("CX index · NPS", "Likelihood to recommend")
    assert drivers.outcome_title(model, "csat") == ("Satisfaction", None)
    assert drivers.outcome_names(model, ["nps", "csat"]) == {"nps": "CX index · NPS (Likelihood to recommend)",
                                                            "csat": "Satisfaction"}
    lines = drivers.basis(model, vd, index_n=nps, tiles={t.key: t.headline for t in p.touchpoints})
    text = "\n".join(lines)
    assert lines[0] == ("**Outcome:** CX index · NPS — the question *Likelihood to recommend*, 0–10, answered in the "
                        "Relationship survey.")
    assert f"the {a.n:,} responses that answered it" in text and f"counts every response that answered it ({nps:,})" in text
    assert "*Touchpoint satisfaction \\(relationship survey\\)*, 1–5" in text
    assert "CSAT (top-box % of *Satisfaction*) instead, a question these responses were not asked" in text
    top = next(d for d in a.drivers if d.predictor.node)
    tile = p.touchpoint(top.predictor.node).headline
    assert (f"{top.predictor.name} reads {top.performance:.1f} here (n {top.n:,}) and "
            f"{tile.current.value:.1f}% on its tile (n = {tile.current.n:,})") in text
    # the same n on both: nothing to explain
    assert "tile counts" not in "\n".join(drivers.basis(model, vd, index_n=a.n))


def test_a_survey_with_few_answers_is_not_named():
    from cxdata.drivers import Analysis, ViewDrivers
    from tests.test_pyramid import MODEL

    vd = ViewDrivers("nps", Analysis("NPS", 40, "ok", None, None, None, ()), sources=(("web", 36), ("tiny", 4)))
    first = drivers.basis(MODEL, vd)[0]
    assert "web" in first and "tiny" not in first and "surveys with few answers" in first


def test_the_drivers_table_holds_each_figure_in_a_column_and_a_mean_with_its_scale():
    from cxdata.drivers import Analysis, Driver

    def driver(key, name, scale, status="ok", mean=3.67):
        return Driver(Predictor(key, name, key, None, scale), 1979, status, r=0.52, share=25.3, share_low=21.1,
                      share_high=29.4, mean=mean, performance=66.7, quadrant="improve")

    a = Analysis("NPS", 4222, "ok", 0.55, 0.52, 0.58, (
        driver("a", "Delivery", (1.0, 5.0)), driver("b", "Ease of doing business (relationship survey)", (1.0, 7.0)),
        driver("c", "Resolved", (0.0, 1.0), mean=0.79), driver("d", "Hidden", (1.0, 5.0), status="hidden")))
    t = drivers.table(a)
    assert list(t.columns) == ["Driver", "Importance %", "95% CI", "Correlation", "Performance", "Mean answer", "n",
                               "Priority"]  # no Note column where no driver has few responses
    assert t["Driver"].tolist() == ["Delivery", "Ease of doing business (relationship survey)", "Resolved"]
    assert t["Mean answer"].tolist() == ["3.67/5", "3.67/7", "79% yes"]
    assert t.iloc[0][["95% CI", "Priority"]].tolist() == ["21.1–29.4", "Improve first"]
    few = drivers.table(replace(a, drivers=(driver("a", "Delivery", (1.0, 5.0), status="low_n"),)))
    assert few["Note"].tolist() == ["few responses"]
