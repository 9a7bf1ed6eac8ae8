import pytest

from cxdata import movers, pyramid, queries, store
from cxdata.db import Database
from cxdata.model import parse_model
from cxdata.view import ViewState
from tests.test_pyramid import COMPOSITE, MODEL_TEXT, responses


def test_a_hand_computed_shift_share():
    # Whole: 100 answers at 4.0 before, 100 at 4.1 now. A: 50 at 4.4 -> 60 at 4.5; B: 50 at 3.6 -> 40 at 3.5.
    got = {m.key: m for m in movers.decompose((100, 4.1), (100, 4.0), [("a", "A", 60, 4.5, 50, 4.4),
                                                                        ("b", "B", 40, 3.5, 50, 3.6)])}
    assert set(got) == {"a", "b"}  # they hold every answer: no other part
    assert got["a"].score == pytest.approx(0.5 * 0.1) and got["a"].mix == pytest.approx(0.1 * 0.5)
    assert got["b"].score == pytest.approx(0.5 * -0.1) and got["b"].mix == pytest.approx(-0.1 * -0.5)
    assert sum(m.total for m in got.values()) == pytest.approx(0.1)


@pytest.mark.parametrize("now, before, parts", [
    # the answers of no team (and hidden teams) make one more part
    ((120, 4.2), (100, 4.0), [("a", "A", 60, 4.5, 50, 4.4)]),
    # a team that arrives, one that leaves
    ((80, 3.9), (90, 328 / 90), [("a", "A", 30, 4.0, 0, None), ("b", "B", 0, None, 40, 3.2), ("c", "C", 50, 3.84, 50, 4.0)]),
    # NPS-like values: the mean of +100 / 0 / -100
    ((200, 12.5), (180, 20.0), [("a", "A", 150, 10.0, 100, 30.0), ("b", "B", 30, 40.0, 60, 0.0)]),
])
def test_contributions_add_up_to_the_change(now, before, parts):
    got = movers.decompose(now, before, parts)
    assert sum(m.total for m in got) == pytest.approx(now[1] - before[1], abs=1e-9)
    assert sum(m.share for m in got) == pytest.approx(1.0) and sum(m.share_before for m in got) == pytest.approx(1.0)
    assert [abs(m.total) for m in got] == sorted((abs(m.total) for m in got), reverse=True)


def _db(tmp_path, spec, text=MODEL_TEXT):
    model = parse_model(text)
    db = Database(tmp_path / "cx.duckdb")
    store.apply(db, responses(spec))
    cur = db.cursor()
    return db, model, pyramid.build(cur, model, queries.catalog(cur, model), ViewState(period="latest_month"))


def test_a_touchpoints_change_by_its_teams_from_the_stored_answers(tmp_path):
    # Website in June vs May: Team A 40 x 5 (was 35 x 3), Team C 12 x 4 (none before); Team B's 3
    # answers are hidden and 5 answers name no team: both in the other answers.
    spec = ([("Team A", "Website", 5, 10, "North", 6)] * 40 + [("Team B", "Website", 2, 3, "North", 6)] * 3
            + [("Team C", "Website", 4, 8, "South", 6)] * 12 + [("", "Website", 1, 0, "North", 6)] * 5
            + [("Team A", "Website", 3, 5, "North", 5)] * 35 + [("", "Website", 2, 0, "North", 5)] * 6)
    db, model, p = _db(tmp_path, spec)
    try:
        mv = movers.of_touchpoint(p, "web", "csat")
        web = p.touchpoint("web").kpi("csat")
        assert mv.change == pytest.approx(web.current.value - web.previous.value)
        assert sum(m.total for m in mv.movers) == pytest.approx(mv.change)
        got = {m.key: m for m in mv.movers}
        assert set(got) == {"a", "c", None}  # Team B hidden: pooled, never named
        assert got["a"].share == pytest.approx(40 / 60) and got["a"].share_before == pytest.approx(35 / 41)
        assert got["a"].score == pytest.approx(35 / 41 * (5 - 3))
        other = got[None]
        assert (other.value, other.value_before) == (pytest.approx((3 * 2 + 5 * 1) / 8), pytest.approx(2.0))
    finally:
        db.close()


def test_no_movement_where_the_tile_shows_no_change(tmp_path):
    db, model, p = _db(tmp_path, [("Team A", "Website", 5, 10, "North", 6)] * 40)
    try:
        assert movers.of_touchpoint(p, "web", "csat") is None  # nothing in May
    finally:
        db.close()


def test_a_composite_index_moves_by_its_touchpoints_weighted_changes(tmp_path):
    spec = ([("", "Website", 4, None, "North", 6)] * 10 + [("", "Website", 2, None, "North", 5)] * 10
            + [("", "Store", 5, None, "North", 6)] * 10 + [("", "Store", 5, None, "North", 5)] * 10)
    db, model, p = _db(tmp_path, spec, COMPOSITE)
    try:
        mv = movers.of_composite(p, model)
        assert sum(m.total for m in mv.movers) == pytest.approx(mv.change)
        got = {m.key: m.total for m in mv.movers}
        assert got["shop"] == pytest.approx(0.0) and got["web"] == pytest.approx(mv.change)
    finally:
        db.close()


@pytest.mark.parametrize("store_now, store_before, moved", [
    # the Store hidden now (3 answers), shown in May: out of both periods' index, the Website moves it
    # all (found in review: the change was tested and shown, and "what moved" said nothing)
    (3, 20, {"web"}),
    # the Store shown now and hidden in May: part of the change is what is measured, no movers
    (20, 3, None),
])
def test_a_composite_moves_by_the_touchpoints_of_its_current_index(tmp_path, store_now, store_before, moved):
    spec = ([("", "Website", 4, None, "North", 6), ("", "Website", 5, None, "North", 6)] * 10
            + [("", "Website", 3, None, "North", 5), ("", "Website", 2, None, "North", 5)] * 10
            + [("", "Store", 2, None, "North", 6)] * store_now + [("", "Store", 5, None, "North", 5)] * store_before)
    db, model, p = _db(tmp_path, spec, COMPOSITE)
    try:
        mv = movers.of_composite(p, model)
        assert (None if mv is None else {m.key for m in mv.movers}) == moved
        if mv is not None:
            assert sum(m.total for m in mv.movers) == pytest.approx(mv.change) == pytest.approx(p.index.headline.change.delta)
    finally:
        db.close()


def test_the_index_by_segment_scores_and_mix(tmp_path):
    from cxdata import drill

    # NPS index: North 40 promoters in June (35 detractors in May); South 12 x 8 in June, 30 x 10 in May.
    spec = ([("Team A", "Website", 5, 10, "North", 6)] * 40 + [("Team C", "Website", 4, 8, "South", 6)] * 12
            + [("Team A", "Website", 3, 5, "North", 5)] * 35 + [("Team D", "Store", 4, 10, "South", 5)] * 30)
    db, model, _ = _db(tmp_path, spec)
    try:
        cur = db.cursor()
        sp = drill.split(cur, model, queries.catalog(cur, model), ViewState(period="latest_month"), "region")
        mv = movers.of_segments(sp.index, {"North": "North", "South": "South"}, "Region")
        now, before = sp.index[None].current.value, sp.index[None].previous.value
        assert mv.change == pytest.approx(now - before) and sum(m.total for m in mv.movers) == pytest.approx(mv.change)
        got = {m.key: m for m in mv.movers}
        assert set(got) == {"North", "South"}
        # North: 35/65 of May's answers at -100, now 40/52 at +100; South: 30/65 at +100, now 12/52 at 0.
        assert got["North"].score == pytest.approx(35 / 65 * 200)
        assert got["South"].score == pytest.approx(30 / 65 * -100)
        assert got["North"].mix == pytest.approx((40 / 52 - 35 / 65) * (100 - before))
    finally:
        db.close()


def test_the_sentence_states_the_tiles_change_and_the_parts_unrounded():
    """Found by an audit: the caption said -9.7 beside a tile reading -9.6 (the tile's change is the
    difference of its two shown values), and wrote -0.0 where the tiles write ±0."""
    from cxdata.model import KPI

    kpi = KPI("nps", "Relationship NPS", "nps", "nps")
    parts = (movers.Mover("a", "Tehran", 0.5, 0.5, 1.0, 2.0, -10.04, 0.0), movers.Mover("b", "Dubai", 0.5, 0.5, 1.0, 1.0, 0.0, 0.39))
    mv = movers.Movement(kpi, -9.65, parts, shown=-9.6)
    text = movers.summary(mv, "segments", "2025-Q3")
    assert text.startswith("Relationship NPS -9.6 pts against 2025-Q3 (-9.65 before rounding): -10.04 from the segments'")
    assert "+0.39 from how the answers spread" in text and text.endswith("Most: Tehran (-10.04).")
    assert movers.signed(-0.0004, 3) == "±0" and movers.signed(0.02, 2) == "+0.02"


def test_a_change_of_nothing_is_said_in_words_not_zeros():
    from cxdata.model import KPI

    kpi = KPI("csat", "CSAT", "top_box", "csat")
    still = (movers.Mover("a", "Tehran", 0.5, 0.5, 0.0, 0.0, 0.0, 0.0), movers.Mover("b", "Dubai", 0.5, 0.5, 0.0, 0.0, 0.0, 0.0))
    assert movers.summary(movers.Movement(kpi, 0.0, still, shown=0.0), "teams", "2025-Q3") == \
        "CSAT unchanged against 2025-Q3: none of the teams moved it."
    # a change of none whose parts cancel out still says what moved
    both = (movers.Mover("a", "Tehran", 0.5, 0.5, 1.0, 2.0, 3.0, 0.0), movers.Mover("b", "Dubai", 0.5, 0.5, 1.0, 1.0, -3.0, 0.0))
    text = movers.summary(movers.Movement(kpi, 0.0, both, shown=0.0), "teams", "Q")
    assert "unchanged" not in text and text.endswith("Most: Tehran (+3.00).")


def test_a_journeys_change_by_its_touchpoints(tmp_path):
    text = MODEL_TEXT.replace("segments: [{key: region}]", "segments: [{key: region}]\njourneys: [{key: buy, touchpoints: [web, shop]}]")
    spec = ([("Team A", "Website", 5, 10, "North", 6)] * 40 + [("Team D", "Store", 3, 9, "South", 6)] * 20
            + [("Team A", "Website", 4, 10, "North", 5)] * 30 + [("Team D", "Store", 3, 9, "South", 5)] * 30)
    db, model, p = _db(tmp_path, spec, text)
    try:
        mv = movers.of_journey(p, "buy", "csat")
        buy = p.journey("buy").kpi("csat")
        assert (buy.current.value, buy.previous.value) == ((40 * 5 + 20 * 3) / 60, (30 * 4 + 30 * 3) / 60)
        assert mv.change == pytest.approx(buy.current.value - buy.previous.value)
        assert sum(m.total for m in mv.movers) == pytest.approx(mv.change)
        got = {m.key: m for m in mv.movers}
        assert set(got) == {"web", "shop"}  # the journey is exactly its touchpoints: nothing else
        assert got["web"].share == pytest.approx(40 / 60) and got["web"].share_before == pytest.approx(0.5)
    finally:
        db.close()
