"""cxdata.drill below a tile: the comments behind a number, checked against pandas on the raw tables."""

from dataclasses import replace

import pandas as pd
import pytest

from cxdata import drill, queries, service
from cxdata.pyramid import periods_for
from cxdata.view import SCORE_BANDS, ViewState


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = service.open_db(tmp_path_factory.mktemp("drill") / "cx.duckdb")
    service.load_demo(db, 20000)
    model = service.load_model_for(db)
    cur = db.cursor()
    yield db, model, cur, queries.catalog(cur, model)
    db.close()


def raw_comments(cur, cat, team_key: str, period, measure_code: int) -> pd.DataFrame:
    """Every comment of the team in the period with the score given with it, straight from the tables."""
    codes = [c for c, k in cat.teams.items() if k == team_key]
    responses = cur.execute(
        "SELECT response_key, responded_at::DATE AS day, comment, team FROM responses WHERE comment IS NOT NULL").df()
    scores = cur.execute("SELECT response_key, value AS score FROM answers WHERE measure = ?", [measure_code]).df()
    frame = responses.merge(scores.groupby("response_key", as_index=False)["score"].max(), how="left", on="response_key")
    in_period = (frame["day"] >= pd.Timestamp(period.start)) & (frame["day"] < pd.Timestamp(period.end))
    return frame[in_period & frame["team"].isin(codes)]


@pytest.mark.parametrize("kpi_key", ["csat", "ces"])
def test_comment_counts_by_score_band_match_the_raw_tables(demo, kpi_key):
    db, model, cur, cat = demo
    team = model.teams[0]
    kpi = next(k for k in model.kpis() if k.key == kpi_key)
    measure = model.measures[kpi.measure]
    view = ViewState(period="last_12_months", team=team.key, tp=team.touchpoint)
    period, _ = periods_for(view, cat)
    raw = raw_comments(cur, cat, team.key, period, cat.measures[kpi.measure])
    expected = {
        None: len(raw),
        "low": int((raw["score"] <= measure.bottom_box).sum()),
        "middle": int(((raw["score"] > measure.bottom_box) & (raw["score"] < measure.top_box)).sum()),
        "high": int((raw["score"] >= measure.top_box).sum()),
    }
    assert expected[None] > 100 and min(expected.values()) > 0, expected
    for band in (None, *SCORE_BANDS):
        frame, total = drill.comments_frame(cur, model, cat, replace(view, scores=band), level="team", node=team.key,
                                            score_measure=kpi.measure, limit=50)
        assert total == expected[band], band
        assert len(frame) == min(50, total)
        if band == "low":
            assert (frame["Score"] <= measure.bottom_box).all()
        if band == "high":
            assert (frame["Score"] >= measure.top_box).all()


def test_a_score_band_without_the_scores_measure_matches_nothing(demo):
    db, model, cur, cat = demo
    team = model.teams[0]
    view = ViewState(period="all", team=team.key, tp=team.touchpoint, scores="low")
    assert drill.comments_frame(cur, model, cat, view, level="team", node=team.key, score_measure=None)[1] == 0
    assert drill.comments_frame(cur, model, cat, view, level="team", node=team.key, score_measure="no_such")[1] == 0


def test_search_is_literal_and_case_insensitive(demo):
    db, model, cur, cat = demo
    team = model.teams[0]
    view = ViewState(period="all", team=team.key, tp=team.touchpoint)
    frame, total = drill.comments_frame(cur, model, cat, view, level="team", node=team.key, score_measure="csat", limit=5000)
    word = frame["Comment"].str.split().explode().value_counts().index[0]
    hits = frame["Comment"].str.lower().str.contains(word.lower(), regex=False).sum()
    assert drill.comments_frame(cur, model, cat, replace(view, search=word.upper()), level="team", node=team.key,
                                score_measure="csat", limit=5000)[1] == hits
    assert drill.comments_frame(cur, model, cat, replace(view, search="%"), level="team", node=team.key,
                                score_measure="csat")[1] == frame["Comment"].str.contains("%", regex=False).sum()


@pytest.mark.parametrize("kpi_key, bands", [
    ("nps", [("low", "Detractors (0–6)"), ("middle", "Passives (7–8)"), ("high", "Promoters (9–10)")]),
    ("csat", [("low", "Bottom box (1–2)"), ("middle", "Between (3)"), ("high", "Top box (4–5)")]),
    ("ces", [("low", "Bottom box (1–2)"), ("middle", "Between (3–5)"), ("high", "Top box (6–7)")]),
    ("resolved", [("low", "No"), ("high", "Yes")]),
])
def test_score_bands_say_which_scores_they_hold(demo, kpi_key, bands):
    _, model, _, _ = demo
    assert drill.score_bands(model, next(k for k in model.kpis() if k.key == kpi_key)) == bands
