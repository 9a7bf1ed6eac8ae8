import pandas as pd
import pytest

from cxdata import tables


def cells(spec):
    """spec: (key, parent, segment, value, suppressed) per cell of a touchpoint x segment split."""
    return pd.DataFrame([{"level": "touchpoint", "key": k, "parent": p, "kpi": "csat", "segment": s, "value": v,
                          "suppressed": h} for k, p, s, v, h in spec])


@pytest.mark.parametrize("spec, parent, want", [
    # a segment no row has an answer for goes; one with an answer in any row stays, in order
    ([("web", None, "All", 4.1, False), ("web", None, "North", None, False), ("web", None, "South", 4.0, False),
      ("shop", None, "All", 3.9, False), ("shop", None, "North", None, False), ("shop", None, "South", None, False)],
     None, ["All", "South"]),
    # a hidden cell is not an empty one: its column stays
    ([("web", None, "All", 4.1, False), ("web", None, "North", None, True), ("web", None, "South", 4.0, False)],
     None, ["All", "North", "South"]),
    # 'All' stays even when every row is empty (the rows say "no responses")
    ([("web", None, "All", None, False), ("web", None, "North", None, False)], None, ["All"]),
    # only the rows of the parent count
    ([("a", "web", "All", 4.0, False), ("a", "web", "North", None, False), ("b", "shop", "North", 3.0, False)],
     "web", ["All"]),
])
def test_heatmap_grid_leaves_out_segments_without_answers(spec, parent, want):
    grid = tables.heatmap_grid(cells(spec), level="touchpoint", kpi="csat", order=["All", "North", "South"], parent=parent)
    assert list(grid["segment"].cat.categories) == want
    assert list(dict.fromkeys(grid["segment"])) == want
    assert set(grid["segment"].dropna()) == set(want)
