"""cxdata.model_targets: every target as a row, and changed ones written into the text in place."""

import pytest

from cxdata import model_targets
from cxdata.model import parse_model
from tests.conftest import ROOT, ZELVORA_MODEL

DEMO = (ROOT / "cxdata" / "models" / "demo.yaml").read_text(encoding="utf-8")

SMALL = """\
name: Small
measures:
  csat: {name: Satisfaction, scale: [1, 5], top_box: 4}
  nps: {name: Recommend, scale: [0, 10]}
index:
  name: Index
  kpi:
    key: nps
    name: NPS
    stat: nps
    measure: nps      # no target yet
touchpoints:
  - key: web
    name: Web
    kpis:
      - {key: csat, name: CSAT, stat: top_box, measure: csat, target: 80}
      - {key: mean, name: Mean, stat: mean, measure: csat}
  - {key: shop, name: Shop, kpis: [{key: csat, name: CSAT, stat: top_box, measure: csat}], targets: {}}
  - key: app
    name: App
    kpis: [{key: csat, name: CSAT, stat: top_box, measure: csat}]
    targets:
teams:
  - {key: web_a, name: Web A, touchpoint: web}
loop:
  rules: [{measure: nps}]
"""


def changed_lines(old: str, new: str) -> list[str]:
    import difflib

    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.parametrize("changes, lines", [
    # a block mapping gains its target on a line of its own, under its other keys
    ({("index", "index", "nps"): 25}, ["+    target: 25"]),
    # a value in place; an override where the KPI list stands in the node
    ({("touchpoint", "web", "csat"): 85.5}, ["+    targets: {csat: 85.5}"]),
    # an empty flow mapping, an empty block value
    ({("touchpoint", "shop", "csat"): 70}, [
        "-  - {key: shop, name: Shop, kpis: [{key: csat, name: CSAT, stat: top_box, measure: csat}], targets: {}}",
        "+  - {key: shop, name: Shop, kpis: [{key: csat, name: CSAT, stat: top_box, measure: csat}], targets: {csat: 70}}"]),
    ({("touchpoint", "app", "csat"): 60}, ["-    targets:", "+    targets: {csat: 60}"]),
    # a flow node without targets; two KPIs of one node at once; the loop's rate
    ({("team", "web_a", "csat"): 90, ("team", "web_a", "mean"): 4.2},
     ["-  - {key: web_a, name: Web A, touchpoint: web}", "+  - {key: web_a, name: Web A, touchpoint: web, targets: {csat: 90, mean: 4.2}}"]),
    ({("loop", "loop", "closure"): 65}, ["+  target: 65"]),
    # unchanged values write nothing
    ({("touchpoint", "web", "csat"): 80, ("index", "index", "nps"): None}, []),
])
def test_targets_are_written_where_they_belong_and_nothing_else_changes(changes, lines):
    new = model_targets.with_targets(SMALL, changes)
    assert changed_lines(SMALL, new) == lines
    model = parse_model(new)
    got = {(r.level, r.node, r.kpi): r.target for r in model_targets.rows(model)}
    for key, value in changes.items():
        assert got[key] == value
    # (a team without KPIs of its own takes its touchpoint's, targets included: not compared here)
    untouched = {k: v for k, v in {(r.level, r.node, r.kpi): r.target for r in model_targets.rows(parse_model(SMALL))}.items()
                 if k not in changes and k[0] != "team"}
    assert {k: got[k] for k in untouched} == untouched


def test_a_team_without_kpis_of_its_own_follows_its_touchpoints_target_unless_it_has_its_own():
    model = parse_model(model_targets.with_targets(SMALL, {("touchpoint", "web", "csat"): 85}))
    assert [r.target for r in model_targets.rows(model) if r.node == "web_a"] == [85, None]
    model = parse_model(model_targets.with_targets(SMALL, {("touchpoint", "web", "csat"): 85, ("team", "web_a", "csat"): 70}))
    assert [r.target for r in model_targets.rows(model) if r.node == "web_a"] == [70, None]


def test_a_target_removed_is_written_as_none_and_a_shared_kpi_list_stays_shared():
    new = model_targets.with_targets(DEMO, {("team", "cc_south", "resolved"): None, ("team", "cc_north", "csat"): 88})
    model = parse_model(new)
    target = {(t.key, k.key): k.target for t in model.teams for k in t.kpis}
    assert target[("cc_south", "resolved")] is None and target[("cc_north", "csat")] == 88
    assert target[("cc_europe", "resolved")] == 75 and target[("cc_europe", "csat")] == 80  # the anchor's other users
    assert "&service_team_kpis" in new and new.count("*service_team_kpis") == DEMO.count("*service_team_kpis")


@pytest.mark.parametrize("changes, message", [
    ({("touchpoint", "web", "csat"): 101}, "a target from 0 to 100, not 101"),
    ({("touchpoint", "web", "mean"): 0.5}, "a target from 1 to 5, not 0.5"),
    ({("index", "index", "nps"): float("nan")}, "a target from -100 to 100"),
    ({("team", "ghost", "csat"): 50}, "No KPI 'csat' at team 'ghost'"),
])
def test_a_target_that_cannot_be_is_refused(changes, message):
    with pytest.raises(model_targets.TargetError, match=message):
        model_targets.with_targets(SMALL, changes)


def test_a_text_with_problems_is_not_edited():
    with pytest.raises(model_targets.TargetError, match="fix them"):
        model_targets.with_targets(SMALL.replace("measure: nps      #", "measure: npz      #"), {})


def test_every_target_of_the_example_model_is_listed():
    model = parse_model(ZELVORA_MODEL.read_text(encoding="utf-8"))
    rows = model_targets.rows(model)
    assert len(rows) == 1 + sum(len(n.kpis) for n in (*model.touchpoints, *model.teams)) + (1 if model.loop.rules else 0)
    assert rows[0].level == "index" and rows[0].target == model.index.kpi.target


def test_a_composite_index_has_its_target_in_the_table_from_0_to_100():
    # The table raised KeyError for a composite index (its KPI has no measure): the Model page
    # (and the Segments page's bar of the index by segment) failed for such a model.
    text = SMALL.replace("    stat: nps\n    measure: nps      # no target yet", "    stat: composite\n    target: 70")
    model = parse_model(text)
    row = model_targets.rows(model)[0]
    assert (row.level, row.target, row.low, row.high) == ("index", 70.0, 0.0, 100.0)
    new = model_targets.with_targets(text, {("index", "index", "nps"): 75})
    assert changed_lines(text, new) == ["-    target: 70", "+    target: 75"]


@pytest.mark.parametrize("loop, lines", [
    ("", ["+loop: {target: 65}"]),  # the optional section: its rules are the default ones
    ("loop:\n", ["-loop:", "+loop: {target: 65}"]),
])
def test_the_closure_target_is_written_where_the_model_has_no_loop_section(loop, lines):
    # The table lists the closure rate whenever cases open (by default, without a `loop:`), but
    # writing its target raised AttributeError there.
    text = SMALL[:SMALL.index("loop:")] + loop
    rules = parse_model(text).loop.rules
    new = model_targets.with_targets(text, {("loop", "loop", "closure"): 65})
    assert changed_lines(text, new) == lines
    model = parse_model(new)
    assert (model.loop.target, model.loop.rules) == (65.0, rules)
