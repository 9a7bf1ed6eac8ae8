"""cxdata.themes: what the comments behind a number talk about, checked against pandas on the raw tables."""

from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pytest

from cxdata import drill, queries, search, stats, themes
from cxdata.model import parse_model
from cxdata.pyramid import periods_for
from cxdata.view import ViewState
from tests.conftest import demo_database


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from demo_database(tmp_path_factory, "themes", 20000)


def raw(cur, cat, codes, period, measure_code: int) -> pd.DataFrame:
    """Every comment at the team codes (None: any) in the period, with the score given with it."""
    # The time as UTC without its zone (the database's session is in UTC): DuckDB hands a zoned
    # column to pandas through DataFrame.drop(inplace=True), which pandas 3.1 deprecates.
    frame = cur.execute("SELECT response_key, responded_at::TIMESTAMP AS responded_at, comment, team FROM responses "
                        "WHERE comment IS NOT NULL").df()
    scores = cur.execute("SELECT response_key, max(value) AS score FROM answers WHERE measure = ? GROUP BY ALL",
                         [measure_code]).df()
    frame = frame.merge(scores, on="response_key")  # the comments behind a KPI: of responses that gave it
    start, end = (pd.Timestamp(d) for d in (period.start, period.end))
    frame = frame[(frame["responded_at"] >= start) & (frame["responded_at"] < end)]
    return frame if codes is None else frame[frame["team"].isin(codes)]


def value(stat: str, scores: pd.Series, top: float, bottom: float) -> float:
    if stat == "nps":
        return 100.0 * ((scores >= top).sum() - (scores <= bottom).sum()) / len(scores)
    if stat == "mean":
        return float(scores.mean())
    return 100.0 * (scores >= top).sum() / len(scores)


@pytest.mark.parametrize("level", ["team", "index"])
def test_theme_counts_and_scores_match_the_raw_tables(demo, level):
    db, model, cur, cat = demo
    team = model.teams[0]
    kpi = team.kpis[0] if level == "team" else model.index.kpi
    view = ViewState(period="last_12_months", compare="none")
    if level == "team":
        view = replace(view, tp=team.touchpoint, team=team.key)
    period, _ = periods_for(view, cat)
    codes = [c for c, k in cat.teams.items() if k == team.key] if level == "team" else None
    frame = raw(cur, cat, codes, period, cat.measures[kpi.measure])
    if kpi.sources:  # the index's NPS: the relationship survey's
        src = cur.execute("SELECT r.response_key FROM responses r JOIN sources s USING (source_id) WHERE s.name IN ?",
                          [list(kpi.sources)]).df()
        frame = frame[frame["response_key"].isin(src["response_key"])]
        view = replace(view, filters=(("source", tuple(sorted(kpi.sources))),))
    measure = model.measures[kpi.measure]
    got = {r.theme.key: r for r in themes.of_view(cur, model, cat, view, level=level,
                                                  node=team.key if level == "team" else None, kpi=kpi)}
    assert set(got) == {t.key for t in model.themes}
    checked = 0
    for theme in model.themes:
        about = frame["comment"].map(lambda c: cur.execute("SELECT regexp_matches(?, ?)",
                                                           [c, search.any_word(theme.words)]).fetchone()[0])
        r = got[theme.key]
        assert r.comments == int(about.sum()), theme.key
        assert r.share == pytest.approx(100.0 * about.sum() / len(frame))
        a, b = frame.loc[about, "score"], frame.loc[~about, "score"]
        if min(len(a), len(b)) < model.thresholds.privacy_min_n:
            assert r.about is None and r.rest is None and r.status in ("hidden", "no_data")
            continue
        checked += 1
        assert r.about.value == pytest.approx(value(kpi.stat, a, measure.top_box, measure.bottom_box))
        assert r.rest.value == pytest.approx(value(kpi.stat, b, measure.top_box, measure.bottom_box))
        assert r.about.n == len(a) and r.rest.n == len(b)
        assert r.status == ("low_n" if min(len(a), len(b)) < model.thresholds.reliability_min_n else "ok")
    assert checked >= 3  # the demo's comments talk about several of its themes
    counts = [r.comments for r in themes.of_view(cur, model, cat, view, level=level,
                                                 node=team.key if level == "team" else None, kpi=kpi)]
    assert counts == sorted(counts, reverse=True)



# The demo's sentences with a subject (cxdata.demo: per touchpoint negatives 0 and positives 1, then
# the company's negatives 0, neutrals 1 and positives 2) and the themes each is about.
@pytest.mark.parametrize("where, sentiment, i, about", [
    ("website", 0, 0, {"app_login"}),
    ("mobile_app", 0, 0, {"app_login"}),
    ("mobile_app", 0, 1, {"app_login"}),
    ("store", 0, 0, {"waiting"}),
    ("store", 1, 0, {"friendly"}),
    ("call_center", 0, 1, {"waiting"}),
    ("chat", 1, 0, {"friendly"}),
    ("delivery", 0, 0, {"late_delivery"}),
    ("delivery", 0, 1, {"late_delivery"}),
    ("delivery", 0, 2, {"late_delivery"}),
    ("delivery", 0, 4, {"damaged"}),
    ("delivery", 0, 5, {"rude"}),
    ("billing", 0, 0, {"billing_errors"}),
    ("billing", 0, 1, {"billing_errors"}),
    # 'no unexpected cost' on the invoice: the demo's Persian 'منتظر' (waiting), found inside
    # 'غیرمنتظره' (unexpected), once counted 12 of the waiting theme's 18 Persian comments
    ("billing", 1, 0, set()),
    ("general", 0, 0, {"prices"}),
    ("general", 0, 1, {"coverage"}),
    ("general", 0, 2, {"leaving"}),
    ("general", 1, 0, {"prices"}),
    ("general", 2, 0, {"coverage"}),
    ("general", 2, 1, {"prices"}),
    ("general", 2, 2, set()),
])
def test_the_demo_themes_find_the_subject_of_a_sentence_in_each_of_its_languages(where, sentiment, i, about):
    import duckdb

    from cxdata import demo

    model = parse_model(demo.demo_model_path().read_text(encoding="utf-8"))
    for lang in demo._GENERAL:
        text = (demo._GENERAL[lang] if where == "general" else demo._SPECIFIC[lang][where])[sentiment][i]
        found = {t.key for t in model.themes
                 if duckdb.execute("SELECT regexp_matches(?, ?)", [text, search.any_word(t.words)]).fetchone()[0]}
        assert found == about, (lang, text)


MODEL_TEXT = """
measures: {csat: {scale: [1, 5], top_box: 4}}
index: {kpi: {stat: top_box, measure: csat}}
touchpoints: [{key: web, name: Website, kpis: [{key: csat, stat: top_box, measure: csat}]}]
teams: [{key: a, name: Team A, touchpoint: web}]
segments: [{key: region}]
themes:
  - {key: late, name: Late delivery, words: [late, تاخیر]}
  - {key: price, name: Prices, words: [price]}
  - {key: staff, name: Staff, words: [friendly]}
"""
MODEL = parse_model(MODEL_TEXT)


def _db(tmp_path, rows):
    """Team A in June 2025: one response per (csat, comment or None, region)."""
    from cxdata import store
    from cxdata.db import Database

    db = Database(tmp_path / "cx.duckdb")
    out = []
    for i, (csat, comment, region) in enumerate(rows):
        base = dict(source="s", source_response_id=str(i), responded_at=datetime(2025, 6, 11, tzinfo=timezone.utc),
                    touchpoint="Website", team="Team A", region=region)
        out.append(dict(base, metric="csat", value=float(csat), value_text=None))
        if comment is not None:
            out.append(dict(base, metric="comment", value=None, value_text=comment))
    store.apply(db, pa.Table.from_pylist(out))
    return db


VIEW = ViewState(period="latest_month", compare="none", tp="web", team="a")


def test_a_theme_hides_both_its_figures_when_either_side_is_below_the_privacy_threshold(tmp_path):
    # 3 comments about lateness among 40: shown beside the others' figure, and another theme's two
    # figures (which add up to the same 40), the three would be read off by subtraction.
    rows = ([(1, "late again", "North")] * 3 + [(5, "friendly staff", "North")] * 12
            + [(4, "fine, fair price", "North")] * 25 + [(5, None, "North")] * 10)
    db = _db(tmp_path, rows)
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    got = {r.theme.key: r for r in themes.of_view(cur, MODEL, cat, VIEW, level="team", node="a",
                                                  kpi=MODEL.team("a").kpis[0])}
    db.close()
    assert (got["late"].comments, got["late"].status, got["late"].about, got["late"].rest) == (3, "hidden", None, None)
    # 12 about staff against 28: both shown, flagged for the 12, and the difference tested
    staff = got["staff"]
    assert (staff.comments, staff.status, staff.about.value, staff.rest.n) == (12, "low_n", 100.0, 28)
    assert staff.rest.value == pytest.approx(100.0 * 25 / 28)
    expected = stats.change("top_box", stats.Moments.from_values([5] * 12, 4, 2),
                            stats.Moments.from_values([4] * 25 + [1] * 3, 4, 2))
    assert staff.change == expected and not expected.significant and staff.worse is None  # 12 against 28: no verdict
    assert got["price"].comments == 25 and got["price"].share == pytest.approx(62.5)
    frame = themes.frame(list(got.values()), MODEL.team("a").kpis[0])
    assert list(frame.loc[frame["Theme"] == "Late delivery", "Verdict"]) == ["hidden (few answers)"]


def test_a_theme_narrows_the_comments_and_the_themes_follow_the_score_band(tmp_path):
    rows = ([(1, "late again", "North"), (2, "باز هم تأخیر", "South")] * 10 + [(5, "friendly", "North")] * 20
            + [(4, "Chocolate was late", "North")] * 6)
    db = _db(tmp_path, rows)
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    kpi = MODEL.team("a").kpis[0]
    kwargs = dict(level="team", node="a", score_measure="csat")
    late, total = drill.comments_frame(cur, MODEL, cat, replace(VIEW, theme="late"), **kwargs)
    assert total == 26 and set(late["Comment"]) == {"late again", "باز هم تأخیر", "Chocolate was late"}
    low = {r.theme.key: r for r in themes.of_view(cur, MODEL, cat, replace(VIEW, scores="low"), level="team",
                                                  node="a", kpi=kpi)}
    # the bottom box only: the 20 late ones, counted and not compared
    assert (low["late"].comments, low["late"].status, low["staff"].comments) == (20, themes.NOT_COMPARED, 0)
    every = {r.theme.key: r for r in themes.of_view(cur, MODEL, cat, VIEW, level="team", node="a", kpi=kpi)}
    # 'late' starts a word of 'Chocolate was late' (not inside 'Chocolate'); the Persian with its hamza
    assert every["late"].comments == 26 and every["late"].worse is True and every["staff"].worse is False
    # the view's own theme does not narrow the themes' table: every theme is counted
    either = themes.of_view(cur, MODEL, cat, replace(VIEW, theme="late"), level="team", node="a", kpi=kpi)
    assert {r.theme.key: r.comments for r in either} == {"late": 26, "staff": 20, "price": 0}
    # the comments of a segment a split beside them hides are not counted, as they are not listed
    hidden = themes.of_view(cur, MODEL, cat, VIEW, level="team", node="a", kpi=kpi,
                            hidden_segments={"region": {"South"}})
    assert {r.theme.key: r.comments for r in hidden}["late"] == 16
    db.close()


@pytest.mark.parametrize("stat, scores, late, staff", [
    ("top_box", "low", 30, 0),
    ("top_box", "middle", 0, 0),
    ("top_box", "high", 10, 20),
    ("mean", "low", 30, 0),
    ("mean", "high", 10, 20),
    ("nps", "low", 40, 20),  # (the 1-5 answers read on an NPS: 1-6 are its detractors)
])
def test_under_a_score_band_the_themes_are_counted_not_compared(tmp_path, stat, scores, late, staff):
    """Found by review: under Bottom box every theme read "0.0% vs 0.0% · no significant
    difference": with one band's scores listed, a top-box share is the same on both sides by
    construction, and an NPS or a mean is held within the band."""
    from cxdata.model import KPI

    rows = ([(1, "late again", "North")] * 30 + [(2, "it is fine", "North")] * 30
            + [(5, "late but friendly", "North")] * 10 + [(4, "friendly", "North")] * 10)
    db = _db(tmp_path, rows)
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    kpi = KPI("k", "K", stat, "csat")
    model = MODEL
    if stat == "nps":  # a 0-10 scale for the NPS, the same answers
        model = parse_model(MODEL_TEXT.replace("measures: {csat: {scale: [1, 5], top_box: 4}}",
                                               "measures: {csat: {scale: [0, 10]}}"))
        assert model.measures["csat"].scale == (0, 10)
    banded = themes.of_view(cur, model, cat, replace(VIEW, scores=scores), level="team", node="a", kpi=kpi)
    every = themes.of_view(cur, model, cat, VIEW, level="team", node="a", kpi=kpi)
    db.close()
    got = {r.theme.key: r for r in banded}
    assert (got["late"].comments, got["staff"].comments) == (late, staff)
    assert all((r.status, r.about, r.rest, r.change, r.worse) == (themes.NOT_COMPARED, None, None, None, None)
               for r in banded)
    assert list(themes.frame(banded, kpi).columns) == ["Theme", "Comments", "Share"]
    assert list(themes.export_frame(banded, kpi).columns) == ["theme", "comments", "share_pct"]
    assert not themes.compared(banded)
    # every score listed: the same themes compared
    assert themes.compared(every) and all(r.status in ("ok", "low_n") for r in every if r.comments)
    assert "Verdict" in themes.frame(every, kpi).columns


@pytest.mark.parametrize("stat, band, note", [
    ("top_box", "Bottom box (1–2)", "Every comment listed came with a score of Bottom box (1–2): their themes are "
     "counted, not compared, as CSAT would read the same for a theme and for the others by construction. Choose all "
     "scores above to compare them."),
    ("nps", "Detractors (0–6)", "Every comment listed came with a score of Detractors (0–6): their themes are counted, "
     "not compared, as CSAT would read the same for a theme and for the others by construction. Choose all scores "
     "above to compare them."),
    ("mean", "Top box (4–5)", "Every comment listed came with a score of Top box (4–5): their themes are counted, not "
     "compared, as a mean of CSAT held within one band says little of a theme. Choose all scores above to compare "
     "them."),
])
def test_the_line_under_the_themes_of_a_score_band_says_why_they_are_not_compared(stat, band, note):
    from cxdata.model import KPI

    assert themes.not_compared_note(KPI("csat", "CSAT", stat, "csat"), band) == note


def test_a_model_without_themes_has_none_to_show(demo):
    db, model, cur, cat = demo
    plain = replace(model, themes=())
    assert themes.of_view(cur, plain, cat, ViewState(), level="index", node=None, kpi=model.index.kpi) == []


def _result(name: str, comments: int, share, about, rest, stat: str = "top_box", status: str = "ok", worse=None):
    from cxdata.model import Theme

    def est(v):
        return None if v is None else stats.Estimate(stat, 40, v)

    change = stats.Change(about - rest, None, False) if about is not None and rest is not None else None
    return themes.ThemeResult(Theme(name.lower(), name, (name.lower(),)), comments, share, est(about), est(rest), change,
                              status, worse, 102)


@pytest.mark.parametrize("stat, value_columns, difference", [
    ("top_box", ("about_it_pct", "the_others_pct"), "difference_pts"),
    ("yes_rate", ("about_it_pct", "the_others_pct"), "difference_pts"),
    ("nps", ("about_it", "the_others"), "difference_pts"),
    ("mean", ("about_it", "the_others"), "difference"),
])
def test_the_themes_export_holds_numbers_rounded_as_shown_with_their_units_named(stat, value_columns, difference):
    """Found by review: '-40.2 pts' and '0.0%' as text, guarded in the CSV as "'-40.2 pts", and
    the share unrounded (40.196078) beside the screen's 40.2%."""
    from cxdata import export
    from cxdata.model import KPI

    kpi = KPI("csat", "CSAT", stat, "csat")
    late = _result("Late", 82, 100 * 82 / 204, 0.04, 40.2449, stat=stat, worse=True)
    hidden = _result("Billing", 1, 100 / 204, None, None, stat=stat, status="hidden")
    out = themes.export_frame([late, hidden], kpi)
    assert list(out.columns) == ["theme", "comments", "share_pct", "kpi", *value_columns, difference, "verdict"]
    d = stats.DECIMALS[stat]
    assert out.iloc[0].tolist() == ["Late", 82, 40.2, "CSAT", round(0.04, d) + 0.0, round(40.2449, d),
                                    stats.shown_change(0.04, 40.2449, stat), "significantly worse"]
    assert out.iloc[1][list(value_columns) + [difference]].isna().all()  # blank, not a dash
    csv = export.to_csv_bytes(out).decode("utf-8-sig").splitlines()
    assert csv[1].startswith(f"Late,82,40.2,CSAT,") and "'" not in csv[1] and "pts" not in csv[1] and "%" not in csv[1]
    assert f",{stats.shown_change(0.04, 40.2449, stat)}," in csv[1]  # a negative number, not a guarded text


@pytest.mark.parametrize("counts, listed, unnamed", [
    ({"Late": 82, "Damaged parcel": 0, "Prices": 3, "Rude courier or staff": 0}, ["Late", "Prices"],
     "No comment listed is about these themes: Damaged parcel; Rude courier or staff."),
    ({"Late": 2, "Prices": 0}, ["Late"], "No comment listed is about this theme: Prices."),
    ({"Late": 2}, ["Late"], ""),
    ({"Late": 0}, [], "No comment listed is about this theme: Late."),
])
def test_themes_no_comment_is_about_are_named_in_a_line_not_listed(counts, listed, unnamed):
    results = [_result(name, n, 100.0 * n / 85 if n else 0.0, None, None, status="hidden" if n else "no_data")
               for name, n in counts.items()]
    shown, none = themes.talked_about(results)
    assert [r.theme.name for r in shown] == listed and themes.none_about(none) == unnamed
    kpi = MODEL.team("a").kpis[0]
    assert themes.frame(shown, kpi)["Theme"].tolist() == listed == themes.export_frame(shown, kpi)["theme"].tolist()


@pytest.mark.parametrize(("kpi_key", "about", "others"), [
    ("ces", "Effort (CES) /7, about it", "Effort (CES) /7, the others"),  # a mean says what it is out of
    ("csat_mean", "CSAT mean /5, about it", "CSAT mean /5, the others"),
    ("csat", "CSAT, about it", "CSAT, the others"),  # a share says % in its cells
])
def test_the_themes_table_names_a_means_scale(kpi_key, about, others):
    from cxdata.demo import demo_model_path
    from cxdata.model import load_model

    model = load_model(demo_model_path())
    kpi = next(k for t in model.teams for k in t.kpis if k.key == kpi_key)
    columns = list(themes.frame([], kpi, model).columns)
    assert columns[3:5] == [about, others]
    assert list(themes.frame([], kpi).columns)[3] == f"{kpi.name}, about it"  # no model: the bare name
