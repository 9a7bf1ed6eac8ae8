"""cxdata.formats: figures in words, as every surface shows them (table-driven)."""

import pytest

from cxdata.formats import filters_text, fmt_delta, fmt_value, kpi_title, scale_note, tile_facts, tile_value
from cxdata.model import KPI
from cxdata.pyramid import KpiResult
from cxdata.stats import Change, Estimate
from cxdata.view import ViewState

NB = "\u00a0"


def result(stat, value, previous=None, *, significant=False, z=1.0, status="ok", previous_status="ok",
           target=None, target_status=None, n=120):
    kpi = KPI("k", "K", stat, "m", target)
    current = Estimate(stat, n, value, None if value is None else value - 1, None if value is None else value + 1)
    prev = None if previous is None else Estimate(stat, n, previous)
    change = None if previous is None else Change(value - previous, z, significant)
    return KpiResult(kpi, current, prev, change, status, previous_status if previous is not None else None,
                     target_status)


@pytest.mark.parametrize("stat, value, shown", [
    ("mean", 4.125, "4.13"), ("mean", 4.124, "4.12"), ("nps", 25.25, "+25.3"), ("nps", -3.0, "-3.0"),
    ("nps", 0.0, "0.0"), ("top_box", 79.05, "79.1%"), ("yes_rate", 100.0, "100.0%"), ("composite", 71.25, "71.3"),
    ("mean", None, "—"),
])
def test_fmt_value_rounds_half_away_from_zero_with_the_stats_unit(stat, value, shown):
    assert fmt_value(result(stat, value), value) == shown


@pytest.mark.parametrize("stat, value, previous, significant, z, said", [
    ("top_box", 80.0, 75.0, True, 3.0, "+5.0 pts · significant"),
    ("top_box", 80.0, 79.0, False, 0.5, "+1.0 pts · not significant"),
    ("mean", 4.10, 4.30, False, -1.0, "-0.20 · not significant"),
    ("nps", 20.0, 20.0, False, 0.0, "±0 pts · not significant"),
    ("mean", 4.0, 4.0, False, 0.0, "±0 · not significant"),
    ("nps", 20.02, 20.0, True, 2.5, "+0.02 pts · significant"),  # too small to show, yet found: one more decimal
    ("composite", 70.0, 68.0, False, None, "+2.0 pts"),  # untested: no verdict
])
def test_fmt_delta_says_the_change_and_its_verdict(stat, value, previous, significant, z, said):
    assert fmt_delta(result(stat, value, previous, significant=significant, z=z)) == said


def test_fmt_delta_is_none_without_a_comparison_or_with_its_period_hidden():
    assert fmt_delta(result("mean", 4.0)) is None
    assert fmt_delta(result("mean", 4.0, 3.0, previous_status="hidden")) is None


def test_tile_facts_keep_each_fact_whole_and_dress_the_status():
    k = result("top_box", 80.0, 75.0, status="low_n", target=82.0, target_status="near", n=1234)
    assert tile_facts(k) == [f"95%{NB}CI{NB}79.0%{NB}–{NB}81.0%", f"n{NB}={NB}1,234", "low n",
                             f"target{NB}82.0% (near target)"]
    dressed = tile_facts(k, low_n=lambda t: f"*{t}*", target=lambda s: f"[{s}]")
    assert dressed[2:] == ["*low n*", f"target{NB}82.0% [near]"]
    assert tile_facts(result("mean", 4.0, 3.0, previous_status="hidden"))[-1] == "previous period hidden (few responses, or to protect a small group)"
    assert tile_facts(result("composite", 70.0, 68.0, z=None))[-1].startswith("change not tested")


@pytest.mark.parametrize("previous, previous_status, said", [
    (75.0, "ok", True),
    (75.0, "hidden", False),  # no change shown: nothing it compares
    (None, None, False),
])
def test_tile_facts_say_what_the_change_compares_while_it_is_shown(previous, previous_status, said):
    from dataclasses import replace

    k = replace(result("yes_rate", 80.0, previous, previous_status=previous_status), compared="against then")
    assert ("against then" in tile_facts(k)) is said


def test_filters_text_names_dimensions_and_values_by_the_model():
    from tests.test_pyramid import MODEL

    view = ViewState().with_filters({"region": ["North", "South"]})
    assert filters_text(view, MODEL) == f"{MODEL.segment('region').name}: North, South"
    assert filters_text(ViewState(), MODEL) == ""


@pytest.mark.parametrize("params, narrowed, title", [
    ({"tp": "web", "team": "a"}, [], "Team A · 2025 Q3"),
    ({"tp": "web", "team": "a", "region": "North"}, [("search", "late"), ("scores", "Bottom box (1–2)")],
     "Team A · 2025 Q3 · search: late · scores: Bottom box (1–2) · Region: North"),
    ({"tp": "web"}, [], "Website · 2025 Q3"),
    ({}, [], "CX index · 2025 Q3"),
])
def test_a_decks_title_is_its_deepest_node_period_narrowings_and_filters(params, narrowed, title):
    """Found by review: the PDF's title was its first slide's, "CX index", for every deck."""
    from cxdata.formats import deck_title
    from tests.test_pyramid import MODEL

    view, _ = ViewState.from_query_params(params, MODEL)
    assert deck_title(view, MODEL, "2025 Q3", narrowed) == title.replace("Region", MODEL.segment("region").name)


def _scaled(scale):
    from cxdata.model import parse_model

    lo, hi = scale
    return parse_model(f"""
version: 1
name: T
measures: {{m: {{name: Effort, scale: [{lo}, {hi}]}}, nps: {{name: LTR, scale: [0, 10]}}}}
index: {{name: CX index, kpi: {{key: nps, name: NPS, stat: nps, measure: nps}}}}
touchpoints: [{{key: a, name: A, kpis: [{{key: k, name: Effort (CES), stat: mean, measure: m}}]}}]
""")


@pytest.mark.parametrize("stat, scale, value, note, tile, title", [
    # found in a review: "Effort (CES) 4.45" with no scale, on the tile, in the tables, on the slides
    ("mean", (1, 7), 4.451, "/7", "4.45/7", "Effort (CES) /7"),
    ("mean", (0, 10), 7.2, "/10", "7.20/10", "Effort (CES) /10"),
    ("mean", (-3, 3), 1.5, "(-3–3)", f"1.50{NB}(-3–3)", "Effort (CES) (-3–3)"),
    ("mean", (1, 5), None, "/5", "—", "Effort (CES) /5"),
    ("top_box", (1, 5), 79.0, "", "79.0%", "Effort (CES)"),   # a share says its own unit
])
def test_a_means_tile_and_column_say_its_scale(stat, scale, value, note, tile, title):
    model = _scaled(scale)
    k = result(stat, value)
    k = k.__class__(KPI("k", "Effort (CES)", stat, "m", None), *[getattr(k, f) for f in
                                                                   ("current", "previous", "change", "status",
                                                                    "previous_status", "target_status")])
    assert scale_note(k.kpi, model) == note
    assert tile_value(k, model) == tile
    assert kpi_title(k.kpi, model) == title
    assert fmt_value(k, value) == tile.split("/")[0].split(NB)[0]  # the interval and target stay plain numbers


def test_filters_in_a_sentence_have_each_value_isolated():
    """Two Persian values bare in a left-to-right line read in the opposite order (the comma
    between them joins their right-to-left run); a slide's subtitle isolates each."""
    from tests.test_pyramid import MODEL

    view = ViewState().with_filters({"region": ["تهران", "اصفهان", "Sofia"]})
    name = MODEL.segment("region").name
    assert filters_text(view, MODEL, isolated=True) == f"{name}: \u2068تهران\u2069, \u2068اصفهان\u2069, Sofia"
    assert filters_text(view, MODEL) == f"{name}: تهران, اصفهان, Sofia"  # a spreadsheet's cell: bare
