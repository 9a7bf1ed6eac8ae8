"""cxdata.queries: the reads not covered through the pyramid, the trend and the comments."""

import pandas as pd
import pytest

from cxdata import queries
from cxdata.model import parse_model
from tests.conftest import PARQUET, ZELVORA_MODEL

TEXT = ZELVORA_MODEL.read_text(encoding="utf-8")


def narrowed(**scales: str):
    text = TEXT
    for key, (old, new) in scales.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return parse_model(text, source="narrowed")


@pytest.fixture(scope="module")
def answers():
    return pd.read_parquet(PARQUET, columns=["metric", "value"]).dropna()


def test_nothing_lies_outside_the_scales_the_data_was_loaded_with(zelvora_db):
    assert queries.outside_scale(zelvora_db.cursor(), parse_model(TEXT)) == []


@pytest.mark.parametrize("scales, expected", [
    ({"csat": ("csat:      {name: Satisfaction (CSAT), scale: [1, 5], top_box: 4}",
               "csat:      {name: Satisfaction (CSAT), scale: [1, 4], top_box: 3}")}, {"csat": (5, 5)}),
    ({"ces": ("scale: [1, 7], top_box: 6}             # higher", "scale: [2, 6], top_box: 5}             # higher"),
      "csat": ("scale: [1, 5], top_box: 4}    # top-2-box", "scale: [2, 5], top_box: 4}    # top-2-box")},
     {"ces": (1, 7), "csat": (1, 1)}),
])
def test_answers_a_narrowed_scale_leaves_outside_are_counted_per_measure(zelvora_db, answers, scales, expected):
    model = narrowed(**scales)
    found = queries.outside_scale(zelvora_db.cursor(), model)
    assert [o.measure for o in found] == sorted(expected)
    for o in found:
        lo, hi = model.measures[o.measure].scale
        values = answers.loc[answers["metric"] == o.measure, "value"]
        outside = values[(values < lo) | (values > hi)]
        assert (o.answers, o.low, o.high) == (len(outside), outside.min(), outside.max()) and o.answers > 0
        assert (o.low, o.high) == expected[o.measure]


@pytest.mark.parametrize("from_rollups", [True, False])
def test_a_teams_segment_values_are_those_its_answers_carry(zelvora_db, zelvora_model, from_rollups):
    import dataclasses

    cur = zelvora_db.cursor()
    cat = queries.catalog(cur, zelvora_model)
    if not from_rollups:
        cat = dataclasses.replace(cat, rollups=frozenset())
    frame = pd.read_parquet(PARQUET, columns=["team", "region", "language"])
    labels = dict(cur.execute("SELECT code, label FROM labels WHERE dim = 'team'").fetchall())
    for teams in (("delivery_tehran_hub",), ("delivery_tehran_hub", "call_center_europe"), ()):
        mine = {labels[c] for t in teams for c in cat.codes("team", t)}
        assert bool(mine) == bool(teams)
        got = queries.segment_values_of_teams(cur, cat, zelvora_model, teams)
        rows = frame[frame["team"].isin(mine)]
        for dim in ("region", "language"):
            assert sorted(got[dim]) == sorted(rows[dim].dropna().unique()), (teams, dim)
            assert got[dim] == [v for v in cat.segment_values(dim, zelvora_model) if v in got[dim]]  # the filters' order
    assert 0 < len(queries.segment_values_of_teams(cur, cat, zelvora_model, ("delivery_tehran_hub",))["region"]) < \
        len(cat.segment_values("region", zelvora_model))
