import pytest

from cxdata import story
from cxdata.model import parse_model
from cxdata.view import ViewState

MODEL = parse_model("""
measures: {csat: {scale: [1, 5], top_box: 4}}
index: {kpi: {stat: mean, measure: csat}}
defaults: {touchpoint_kpis: [{key: csat, stat: mean, measure: csat}]}
touchpoints: [{key: web, name: Website}]
teams: [{key: a, name: Team A, touchpoint: web}]
""")
COMPOSITE = parse_model("""
measures: {csat: {scale: [1, 5], top_box: 4}}
index: {kpi: {stat: composite}}
defaults: {touchpoint_kpis: [{key: csat, stat: mean, measure: csat}]}
touchpoints: [{key: web, name: Website}]
""")


JOURNEYS = parse_model("""
measures: {csat: {scale: [1, 5], top_box: 4}}
index: {kpi: {stat: mean, measure: csat}}
defaults: {touchpoint_kpis: [{key: csat, stat: mean, measure: csat}]}
touchpoints: [{key: web, name: Website}, {key: app, name: App}]
teams: [{key: a, name: Team A, touchpoint: web}]
journeys: [{key: buy, name: Buy, touchpoints: [web]}]
""")


@pytest.mark.parametrize("model, view, want", [
    (JOURNEYS, ViewState(journey="buy"), ("index", "journey", "comments")),  # its touchpoints' comments
    (JOURNEYS, ViewState(tp="web"), ("index", "journey", "touchpoint", "comments")),  # its journey, from the touchpoint
    (JOURNEYS, ViewState(tp="app"), ("index", "touchpoint", "comments")),  # a touchpoint in no journey
    (JOURNEYS, ViewState(), ("index", "comments")),
    (MODEL, ViewState(), ("index", "comments")),
    (MODEL, ViewState(tp="web"), ("index", "touchpoint", "comments")),
    (MODEL, ViewState(tp="web", team="a"), ("index", "touchpoint", "team", "comments")),
    (COMPOSITE, ViewState(), ("index",)),  # no answers of its own: no comments
    (COMPOSITE, ViewState(tp="web"), ("index", "touchpoint", "comments")),
])
def test_steps_follow_the_drill_path(model, view, want):
    assert story.steps(view, model) == want


@pytest.mark.parametrize("view, want", [
    (ViewState(), "index"),
    (ViewState(present="comments"), "comments"),
    (ViewState(present="team", tp="web"), "touchpoint"),  # a team slide without a team: the deepest before
    (ViewState(present="touchpoint"), "index"),
    (ViewState(present="team", tp="web", team="a"), "team"),
])
def test_current_slide(view, want):
    assert story.current(view, MODEL) == want


def test_the_story_of_a_journey_and_where_the_pyramid_presents_it_from():
    assert story.start(ViewState(journey="buy"), "pyramid").present == "journey"
    assert story.current(ViewState(journey="buy", present="comments"), JOURNEYS) == "comments"
    assert story.node_of(ViewState(journey="buy")) == ("journey", "buy")
    back = story.moved(ViewState(tp="web", present="touchpoint"), JOURNEYS, -1)
    assert (back.present, back.journey_of(JOURNEYS)) == ("journey", "buy")


def test_moving_through_the_story_and_past_its_ends():
    view = ViewState(tp="web", team="a", present="index")
    seen = []
    while view is not None:
        seen.append(view.present)
        view = story.moved(view, MODEL, 1)
    assert seen == ["index", "touchpoint", "team", "comments"]
    assert story.moved(ViewState(present="index"), MODEL, -1) is None
    back = story.moved(ViewState(tp="web", present="comments"), MODEL, -1)
    assert (back.present, back.tp) == ("touchpoint", "web")


@pytest.mark.parametrize("view, slide, node", [
    (ViewState(), "index", ("index", None)),
    (ViewState(tp="web"), "touchpoint", ("touchpoint", "web")),
    (ViewState(tp="web", team="a"), "team", ("team", "a")),
])
def test_a_view_is_presented_from_where_it_stands(view, slide, node):
    assert story.start(view).present == slide
    assert story.node_of(view) == node


def test_a_journeys_view_is_presented_from_its_slide():
    assert story.start(ViewState(journey="buy")).present == "journey"


@pytest.mark.parametrize("view, slide", [
    (ViewState(tp="web", team="a"), "touchpoint"),  # the team the team view left behind: its path goes on
    (ViewState(team="a"), "index"),
    (ViewState(tp="web"), "touchpoint"),
])
def test_the_pyramid_page_is_presented_from_what_it_shows(view, slide):
    # found by a walk-through: Present on the pyramid opened a team's slide, and Esc left for the team view
    assert story.start(view, "pyramid").present == slide


def _kpi(delta: float, significant: bool, measure: str = "csat"):
    from cxdata import stats
    from cxdata.model import KPI
    from cxdata.pyramid import KpiResult

    now, before = stats.Estimate("mean", 100, 3.0 + delta), stats.Estimate("mean", 100, 3.0)
    return KpiResult(KPI("csat", "CSAT", "mean", measure), now, before, stats.Change(delta, -5.0 if delta < 0 else 5.0, significant),
                     "ok", "ok", None)


@pytest.mark.parametrize("delta, significant, asked, band", [
    (-0.8, True, None, "low"),      # a significant fall: the comments that lowered it
    (-0.8, False, None, None),      # no real change: the newest of all scores
    (+0.8, True, None, None),       # a rise
    (-0.8, True, "high", "high"),   # the view's own choice stands
])
def test_the_comments_of_the_story_explain_a_fall(delta, significant, asked, band):
    """Found by an audit: a team whose CSAT fell 42 points closed its story with praise."""
    shown, label = story.comments_view(ViewState(scores=asked), _kpi(delta, significant), MODEL)
    assert shown.scores == band
    assert (label is None) == (band is None)


@pytest.mark.parametrize("when, score, want", [
    ("2024-05-28 10:00", 4.0, "2024-05-28 10:00 · score 4"),
    ("2024-05-28 10:00", float("nan"), "2024-05-28 10:00"),
    ("2024-05-28 10:00", "yes", "2024-05-28 10:00 · Resolved yes"),
    # found by an audit: "hidden · score 4" under a comment on a shared screen read as a hidden comment
    ("hidden", 4.0, "undated · score 4"),
])
def test_a_comment_on_a_slide_says_when_and_its_score(when, score, want):
    assert story.comment_caption(when, score, "Resolved") == want


def test_a_long_comment_is_clipped_with_an_ellipsis():
    assert story.clipped("short", 10) == "short"
    assert story.clipped("a" * 30, 10) == "a" * 9 + "…"
    assert "too few responses" in story.undated_note("week")


def test_a_comments_slide_without_comments_says_which_scores_it_looked_for():
    """Found by an audit: a slide keeping the scores of a fall, none of whose comments had one,
    said there were no comments at all."""
    assert story.no_comments_note(None, "CSAT") == "No comments in this period for these filters."
    assert story.no_comments_note("Bottom box (1–2)", "CSAT") == (
        "No comments in this period for these filters came with a score in Bottom box (1–2).")
    assert story.no_comments_note("Bottom box (1–2)", "CSAT", fell=True) == (
        "No comments in this period for these filters came with a score in Bottom box (1–2), the scores that "
        "lowered CSAT, which fell significantly. The comments page lists those of the other scores.")


@pytest.mark.parametrize("search, theme, words", [
    ("", None, ""),
    ("refund", None, " · matching “\u2068refund\u2069”"),
    ("", "late_delivery", " · about \u2068Late delivery\u2069"),
    ("parcel", "late_delivery", " · matching “\u2068parcel\u2069” · about \u2068Late delivery\u2069"),
])
def test_a_comments_slide_says_what_narrows_its_comments(search, theme, words):
    from cxdata.model import load_model
    from cxdata.service import DEMO_MODEL

    assert story.comments_narrowed(ViewState(search=search, theme=theme), load_model(DEMO_MODEL)) == words


@pytest.mark.parametrize("search, read", [
    ("پیک", "کیپ"),  # Persian (as the line is drawn: its letters right to left)
    ("משלוח 12", "12 חולשמ"),  # Hebrew, with a number after it: the number still at its left end
])
def test_a_right_to_left_search_stays_inside_its_quotes_on_a_slides_subtitle(search, read):
    """Found by a presenter: '/present?…&q=پیک' read 'matching “2026 · ”پیک-Q3 compared with
    2026-Q2': bare, the term took the closing quote, the dot and the year into its run. Read with
    the Unicode bidi algorithm (fpdf2's, which honours isolates) the line is in order."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    from cxdata.bidi import FSI, PDI

    line = ("CSAT · Bottom box (1–2) only" + story.comments_narrowed(ViewState(search=search), MODEL)
            + " · 2026-Q3 compared with 2026-Q2")
    assert f"“{FSI}{search}{PDI}”" in line
    shown = BidiParagraph(line, base_direction=TextDirection.LTR).get_reordered_string().replace(FSI, "").replace(PDI, "")
    assert shown == f"CSAT · Bottom box (1–2) only · matching “{read}” · 2026-Q3 compared with 2026-Q2"


def test_the_sentence_under_a_comments_slide_says_which_of_them_it_lists():
    """The screen said "newest 4 of 92 comments with the scores that lowered CSAT, which fell
    significantly", the deck only "The newest 6 of 92 comments." (found by a presenter): one
    sentence for both."""
    assert story.newest_note(4, 92, "CSAT") == "The newest 4 of 92 comments."
    assert story.newest_note(6, 92, "CSAT", fell=True) == (
        "The newest 6 of 92 comments with the scores that lowered CSAT, which fell significantly.")
    assert story.newest_note(3, 3, "CSAT", fell=True).startswith("The newest 3 of 3 comments with the scores")
    assert story.newest_note(3, 3, "CSAT") == ""  # all of them, of every score: nothing to say
    assert story.newest_note(0, 0, "CSAT", fell=True) == ""  # none: no_comments_note says why
    assert story.newest_note(6, 1234, "CSAT") == "The newest 6 of 1,234 comments."


def test_what_a_tiles_change_compares_is_said_under_the_row_of_tiles():
    """In a tile of a row of five, the closure rate's comparison ("change against … as it stood
    on …") took six lines, and the trend under the row ran off a 1280 x 720 screen."""
    from dataclasses import replace

    plain, closed = _kpi(-5.0, True), replace(_kpi(3.0, False), compared="change against 2026-Q2 as it stood on 1 Sep")
    tiles, said = story.compared_apart([plain, closed])
    assert [k.compared for k in tiles] == [None, None] and tiles[0] == plain
    assert said == f"{closed.kpi.name}: change against 2026-Q2 as it stood on 1 Sep."
    assert story.compared_apart([plain]) == ([plain], "")
