"""Charts are pure functions of tidy frames: check the specs they produce, not pixels."""

import json
import re

import pandas as pd
import pytest

from cxdata import chart_files, charts, period


def frame(**overrides):
    base = {"level": "touchpoint", "key": ["a", "b"], "name": ["A", "B"], "parent": None, "kpi": "csat",
            "kpi_name": "CSAT", "stat": "mean", "value": [4.1, None], "n": [120, None], "ci_low": [4.0, None],
            "ci_high": [4.2, None], "previous": None, "previous_n": None, "delta": None, "z": None, "significant": False,
            "suppressed": [False, True], "low_n": [False, False], "target": 4.0, "target_status": ["met", None]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_node_bars_select_nodes_and_label_hidden_cells():
    spec = charts.node_bars(frame(), domain=(1, 5)).to_dict()
    # Altair hoists a layer's selection to the top level of the spec.
    assert [p["name"] for p in spec["params"]] == [charts.SELECT_NODE]
    assert charts.node_bars(frame(), selectable=False).to_dict().get("params") is None
    values = next(iter(spec["datasets"].values()))
    assert [v["label"] for v in values] == ["4.10", "hidden (privacy)"]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 5]


def test_node_bars_keep_the_rows_order_whichever_layer_draws_a_row():
    # Found by an audit: a row without a bar ("no data") went to the bottom of the chart, while
    # its tile kept its place in the model's order.
    df = frame(key=["a", "b", "c"], name=["A", "B", "C"], value=[4.1, None, 3.9], n=[120, None, 80],
               ci_low=[4.0, None, 3.8], ci_high=[4.2, None, 4.0], suppressed=[False, False, False],
               low_n=[False, False, False], target_status=["met", None, "missed"])
    spec = charts.spec(charts.node_bars, df)
    values = spec["datasets"][charts.DATA]
    assert [(v["name"], v["order"]) for v in values] == [("A", 0), ("B", 1), ("C", 2)]
    sorts = {json.dumps(layer["encoding"]["y"].get("sort"), sort_keys=True)
             for layer in spec["layer"] if "y" in layer.get("encoding", {})} | \
        ({json.dumps(spec["encoding"]["y"].get("sort"), sort_keys=True)} if "encoding" in spec else set())
    assert sorts == {json.dumps({"field": "order", "op": "min"}, sort_keys=True)}


@pytest.mark.parametrize("stat, value, low_n, label", [
    ("mean", 4.1, False, "4.10"), ("top_box", 79.0, False, "79.0"), ("top_box", 83.94, True, "83.9 *"),
    ("nps", 25.9, False, "+25.9"), ("nps", -3.0, False, "-3.0"), ("nps", 0.0, False, "0.0"), ("yes_rate", 100.0, False, "100.0"),
])
def test_value_labels_have_the_decimals_of_the_tiles(stat, value, low_n, label):
    values = next(iter(charts.node_bars(frame(stat=stat, value=[value, None], low_n=[low_n, False])).to_dict()["datasets"].values()))
    assert values[0]["label"] == label


def test_node_bars_put_the_label_right_of_the_interval_and_the_target():
    df = frame(key=["a", "b", "c"], name=["A", "B", "C"], value=[79.0, 90.0, None], ci_low=[78.0, 89.0, None],
               ci_high=[80.0, 91.0, None], suppressed=[False, False, True], low_n=[False] * 3,
               target=[82.0, 85.0, 82.0], target_status=["missed", "met", None], n=[900, 900, None])
    spec = charts.node_bars(df, domain=(0, 100)).to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["encoding"]["x"]["field"] == "label_x"
    values = next(iter(spec["datasets"].values()))
    # beyond the target tick where it is just right of the interval, else beyond the interval;
    # hidden: at the start of the axis, saying so
    assert [v["label_x"] for v in values] == [82.0, 91.0, 0.0]
    assert values[2]["label"] == "hidden (privacy)" and not values[2]["label_left"]


def test_node_bars_keep_the_label_at_the_bar_when_the_target_is_far_beyond():
    # 35.4 against a target of 80: the label stays by the bar, not out past the target tick.
    df = frame(key=["a", "b"], name=["A", "B"], value=[35.4, 70.0], ci_low=[33.0, 68.0], ci_high=[38.0, 72.0],
               suppressed=[False, False], low_n=[False, False], target=[80.0, 75.0], target_status=["missed", "near"],
               n=[400, 400])
    values = next(iter(charts.node_bars(df, domain=(0, 100)).to_dict()["datasets"].values()))
    assert [v["label_x"] for v in values] == [38.0, 75.0]
    # Without a natural domain the room for a label is a share of the data's own extent.
    values = next(iter(charts.node_bars(df).to_dict()["datasets"].values()))
    assert [v["label_x"] for v in values] == [38.0, 75.0]


def test_node_bars_put_a_negative_bars_label_left_of_its_interval_and_target():
    # NPS below zero: the bar ends on the left, so must its label (it used to float past the target tick).
    df = frame(key=["a", "b", "c"], name=["A", "B", "C"], value=[-27.2, -10.0, 12.0], ci_low=[-33.0, -15.0, 8.0],
               ci_high=[-21.0, -5.0, 16.0], suppressed=[False] * 3, low_n=[False] * 3, target=[40.0, -20.0, 10.0],
               target_status=["missed", "met", "met"], n=[500] * 3, stat="nps")
    spec = charts.node_bars(df, domain=(-100, 100)).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert [v["label_x"] for v in values] == [-33.0, -20.0, 16.0]
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    sides = {t["mark"]["align"]: t["transform"][0]["filter"] for t in texts}
    assert sides == {"left": "!datum.label_left", "right": "datum.label_left"}
    assert [v["label_left"] for v in values] == [True, True, False]


def test_heatmap_keeps_hidden_cells_unlabelled_and_grey():
    df = frame(segment=["North", "South"])
    spec = charts.heatmap(df).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert values[1]["label"] == "hidden (privacy)" and values[1]["value_plot"] is None
    assert [v["cell_text"] for v in values] == [values[0]["label"], "hidden"]
    none = next(iter(charts.heatmap(frame(segment=["North", "South"], suppressed=[False, False])).to_dict()["datasets"].values()))
    assert (none[1]["label"], none[1]["cell_text"]) == ("no data", "–")  # the tooltip says it in words
    # Hidden cells keep a rectangle of their own grey, and the literal colours do not join the
    # legend's colour scale (shared, Vega-Lite drew nothing: tests/browser/test_browser_segments.py).
    assert values[1]["fill"] == charts.HEAT_GREYS["hidden"] != charts.HEAT_GREYS["empty"]
    assert spec["resolve"]["scale"]["color"] == "independent"


def _legends(spec: dict) -> dict:
    """Each legend of a layered chart: its title (None where it has none) to its labels."""
    out = {}
    for layer in spec["layer"]:
        colour = layer.get("encoding", {}).get("color", {})
        if "legend" in colour and colour.get("scale") is not None:
            out[colour.get("title")] = colour["scale"].get("domain")
    return out


@pytest.mark.parametrize("suppressed, value, legends", [
    # on the KPI's scale: the gradient, and a swatch for each grey the grid shows (there was none:
    # a hidden cell's grey went unexplained in the picture, found by a reviewer)
    ([False, True], [4.1, None], {"CSAT": [1.0, 5.0], None: ["hidden (privacy)"]}),
    ([False, False], [4.1, None], {"CSAT": [1.0, 5.0], None: ["no responses"]}),
    ([False, False], [4.1, 3.9], {"CSAT": [1.0, 5.0]}),  # nothing grey, no swatch
])
def test_a_heatmaps_legend_names_every_grey_it_shows(suppressed, value, legends):
    df = frame(segment=["North", "South"], suppressed=suppressed, value=value, target=None, target_status=None)
    spec = charts.spec(charts.heatmap, df, value_title="CSAT", domain=(1, 5))
    assert _legends(spec) == legends
    with_targets = frame(segment=["North", "South"], suppressed=suppressed, value=value,
                         target_status=["met", None if value[1] is None else "missed"])
    shown = _legends(charts.spec(charts.heatmap, with_targets, value_title="CSAT", domain=(1, 5)))
    assert shown == {"Target": ["on target", *[n for n in legends.get(None, [])], *(["below target"] if value[1] else [])]}


def test_trend_with_no_data_is_an_empty_chart():
    empty = pd.DataFrame(columns=["bucket", "value", "ci_low", "ci_high", "n", "low_n", "suppressed"])
    assert charts.trend(empty).to_dict()["mark"]["type"] == "line"


TREND = pd.DataFrame({"bucket": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]), "value": [4.1, None, 13 / 3],
                      "ci_low": [4.0, None, 4.1], "ci_high": [4.2, None, 4.5], "n": [120, None, 25],
                      "low_n": [False, False, True], "suppressed": [False, True, False]})
SHAPES = [  # every chart function in each shape it can take
    ("node bars, selectable, natural domain", charts.node_bars, frame(), {"domain": (1, 5), "title": "t"}),
    ("node bars, one selected", charts.node_bars, frame(), {"selected": "a'b"}),
    ("node bars, not selectable, no domain", charts.node_bars, frame(), {"selectable": False}),
    ("node bars, no rows", charts.node_bars, frame().iloc[0:0], {}),
    ("trend with target", charts.trend, TREND, {"target": 4.2, "title": "t", "y_title": "CSAT"}),
    ("trend without target", charts.trend, TREND, {}),
    ("trend by week", charts.trend, TREND, {"grain": "week"}),
    ("trend by quarter", charts.trend, TREND, {"grain": "quarter", "target": 4.0}),
    ("trend, no data", charts.trend, TREND.iloc[0:0], {}),
    ("heatmap", charts.heatmap, frame(segment=["North", "South"]), {"value_title": "CSAT", "col_title": "Region"}),
    ("heatmap, segments in page order (categorical)", charts.heatmap,
     frame(segment=pd.Categorical(["South", "North"], categories=["All", "North", "South"])), {}),
    ("heatmap on the KPI's natural range", charts.heatmap, frame(segment=["North", "South"]), {"domain": (0, 100)}),
    ("movers", charts.movers, pd.DataFrame({
        "key": ["a", ""], "name": ["A", "Other answers"], "score": [0.05, -0.02], "mix": [-0.01, -0.04],
        "total": [0.04, -0.06], "value": [4.5, 3.1], "value_before": [4.4, 3.3], "share": [0.6, 0.4],
        "share_before": [0.5, 0.5]}), {"title": "t", "x_title": "CSAT", "decimals": 3}),
    ("movers of a composite", charts.movers, pd.DataFrame({
        "key": ["web"], "name": ["Website"], "score": [-1.5], "mix": [0.0], "total": [-1.5], "value": [75.6],
        "value_before": [87.5], "share": [None], "share_before": [None]}), {"decimals": 2, "composite": True}),
    ("heatmap, all hidden", charts.heatmap, frame(segment=["North", "South"], value=[None, None], suppressed=[True, True]), {}),
    ("heatmap on a scale, one hidden", charts.heatmap, frame(segment=["North", "South"], target=None, target_status=None),
     {"domain": (1, 5)}),
]


@pytest.mark.parametrize("build, df, options", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_pages_get_the_spec_that_validates(build, df, options):
    # Pages skip Altair's schema validation at run time (charts.to_spec): it is done here instead.
    assert charts.to_spec(build(df, **options)) == charts.to_spec(build(df, **options), validate=True)


def _inlined(spec: dict) -> dict:
    """The spec with every named data set written where it is used: two specs that draw the same
    thing compare equal whatever their data sets (and Altair's hashed view names) are called."""
    datasets = spec.get("datasets", {})

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"name"} and node["name"] in datasets:
                return {"values": datasets[node["name"]]}
            return {k: walk(v) for k, v in node.items() if k != "datasets"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return re.sub(r"^view_[0-9a-f]+_", "view_", node) if isinstance(node, str) else node

    return walk(spec)


@pytest.mark.parametrize("build, df, options", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_spec_draws_what_the_chart_draws(build, df, options):
    # Pages use charts.spec (a cached skeleton plus the data); it must equal the chart itself.
    fast = charts.spec(build, df, **options)
    assert list(fast["datasets"]) and charts.DATA in fast["datasets"]
    assert _inlined(fast) == _inlined(charts.to_spec(build(df, **options)))
    again = charts.spec(build, df, **options)  # from the cache: a fresh copy, not a shared one
    assert again == fast and again is not fast and again["datasets"] is not fast["datasets"]


def _trend_axis(grain):
    return charts.trend(TREND, grain=grain).to_dict()["layer"][0]["encoding"]["x"]["axis"]


def test_trend_labels_buckets_by_their_grain():
    quarter = _trend_axis("quarter")
    assert "Q" in quarter["labelExpr"] and quarter["tickCount"] == {"interval": "month", "step": 3}
    # Found in a review: the axis said "Q4 2024" where every caption says "2026-Q3" (period.label).
    frame = TREND.assign(bucket=pd.date_range("2024-10-01", periods=3, freq="QS"))
    assert [x for x in _svg_labels(charts.spec(charts.trend, frame, grain="quarter"), 760) if "Q" in x] == [
        period.quarter_label(d) for d in frame["bucket"]] == ["2024-Q4", "2025-Q1", "2025-Q2"]
    # Low-n points are hollow circles drawn in the line's colour, not white on white.
    points = charts.trend(TREND).to_dict()["layer"][2]
    assert points["mark"]["stroke"] == "#0969da" and points["encoding"]["fill"]["condition"]["test"] == "datum.low_n"


def _svg_labels(spec: dict, width: int | None, *, hidden: bool = False) -> list[str]:
    """The texts the chart shows at `width` (None: its own); with `hidden`, those it hides for
    overlap instead (drawn transparent)."""
    vlc = pytest.importorskip("vl_convert")
    svg = vlc.vegalite_to_svg(json.dumps(spec if width is None else {**spec, "width": width}))
    # (an empty label is an empty element, <text …/>)
    tag = r'<text[^>]*opacity="0"[^>]*(?<!/)>' if hidden else r'<text(?![^>]*opacity="0")[^>]*(?<!/)>'
    texts = re.findall(tag + "(.*?)</text>", svg)  # a label of two lines: a tspan each
    # (each line isolated by FSI … PDI, which are not read)
    return [line.strip("\u2068\u2069") for t in texts for line in (re.findall(r"<tspan[^>]*>(.*?)</tspan>", t) or [t])]


def _weekly(start: str, weeks: int = 26) -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.date_range(start, periods=weeks, freq="7D"), "value": [70.0] * weeks,
                         "ci_low": [65.0] * weeks, "ci_high": [75.0] * weeks, "n": [1200] * weeks,
                         "low_n": [False] * weeks, "suppressed": [False] * weeks})


def _monthly(start: str, months: int) -> pd.DataFrame:
    return _weekly(start, months).assign(bucket=pd.date_range(start, periods=months, freq="MS"))


def _month_labels(spec: dict, width: int | None, *, hidden: bool = False) -> list[str]:
    return [x for x in _svg_labels(spec, width, hidden=hidden) if re.fullmatch(r"[A-Z][a-z]{2}( \d{4})?", x)]


def test_a_month_trend_labels_every_month_on_a_laptop_with_the_year_where_it_starts():
    # Found on the team view at 1280x800: "Apr 2025" on each of 18 months left room for every
    # other label only, and the latest month, the period's own, had none.
    month = _trend_axis("month")
    assert month["tickCount"] == {"interval": "month", "step": 1} and "format" not in month
    labels = _month_labels(charts.spec(charts.trend, _monthly("2025-04-01", 18), grain="month"), 760)
    assert labels == ["Apr 2025", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan 2026", "Feb", "Mar",
                      "Apr", "May", "Jun", "Jul", "Aug", "Sep"]


def _slide(spec, width):
    return chart_files.for_slide(spec, "Team A · CSAT by month", "CSAT · Apr 2025 – Sep 2026")


@pytest.mark.parametrize("start, months, draw, width", [
    ("2025-04-01", 18, _slide, None),  # the PNG download: 900 px in a slide's type
    ("2025-04-01", 18, lambda spec, w: charts.readable(spec), 500),  # a phone, or a half-width column
    ("2025-04-01", 18, lambda spec, w: charts.large(spec), 1500),  # presentation mode
    ("2025-11-01", 4, _slide, None),
    ("2023-10-01", 36, _slide, None),
    ("2023-10-01", 36, lambda spec, w: spec, 760),
    ("2020-01-01", 80, lambda spec, w: spec, 760),  # every label of its year: a step of a year or more
    ("2016-01-01", 130, _slide, None),
])
def test_a_month_trend_shows_every_change_of_year_and_the_latest_month(start, months, draw, width):
    # Found by a reviewer in a PNG of Apr 2025 - Sep 2026: "… Nov, Dec, [blank], Feb … Sep", the
    # overlap rule had hidden "Jan 2026", the one label with the year, and the two Septembers read
    # alike. No label is hidden; every label a year's first shown carries its year.
    frame = _monthly(start, months)
    spec = draw(charts.spec(charts.trend, frame, grain="month"), width)
    shown = _month_labels(spec, width)
    assert len(shown) >= 3 and _month_labels(spec, width, hidden=True) == []
    # Each label read as a reader reads it, in the year the last label with one said: a year's
    # first label without its year would read as a month of the year before, out of order.
    year, dated = None, []
    for label in shown:
        if " " in label:
            year = int(label[-4:])
        assert year is not None, shown  # the leftmost label says its year
        dated.append(pd.Timestamp(f"{label[:3]} {year}"))
    assert dated == sorted(set(dated)) and set(dated) <= set(frame["bucket"]), shown
    assert dated[-1] == frame["bucket"].iloc[-1]  # the period's own month is labelled


def test_a_month_trends_labels_are_spaced_in_their_own_size_and_never_hidden():
    # Hidden for overlap, the label a year's first was the one lost; the spacing reads the
    # labels' size, which a slide's type (charts.large) grows with the rest.
    spec = charts.spec(charts.trend, _monthly("2025-04-01", 18), grain="month")
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelFontSize"] == {"expr": charts.LABEL_SIZE}
    size = {p["name"]: p["value"] for p in spec["params"]}[charts.LABEL_SIZE]
    assert {p["name"]: p["value"] for p in charts.large(spec, 2)["params"]}[charts.LABEL_SIZE] == 2 * size
    assert "params" not in charts.spec(charts.trend, TREND, grain="week")


@pytest.mark.parametrize("start, width, labels", [
    # wide: every week, on its Monday (Vega's own week ticks fell on Sundays: "05 Apr" under the week of 6 April);
    # days written as every caption writes them (period.day_label: "06 Apr 2026")
    ("2026-04-06", 1500, ["06 Apr 2026", "13 Apr", "20 Apr"]),
    # a laptop: every other week, counted back from the latest, which keeps its label
    ("2026-04-06", 760, ["13 Apr 2026", "27 Apr", "11 May"]),
    ("2025-10-06", 500, ["13 Oct 2025", "03 Nov", "24 Nov", "15 Dec", "05 Jan 2026"]),
])
def test_a_week_trend_puts_its_ticks_on_the_weeks_mondays(start, width, labels):
    axis = _trend_axis("week")
    assert "sequence(" in axis["values"]["expr"] and "format" not in axis
    frame = _weekly(start)
    shown = [x for x in _svg_labels(charts.spec(charts.trend, frame, grain="week"), width) if " " in x]
    assert shown[:len(labels)] == labels
    last = frame["bucket"].iloc[-1]
    assert shown[-1] == f"{last:%d %b}"  # the latest week is always labelled


@pytest.mark.parametrize("grain, fmt", [("week", "week of %d %b %Y"), ("month", "%b %Y"), ("quarter", "%Y-Q%q")])
def test_a_trend_tooltip_says_the_bucket_as_its_grain_and_the_values_as_the_tile(grain, fmt):
    # Found by hovering the team view's trend: "Period Oct 01, 2025", "n 418", "95% CI low 60.6".
    spec = charts.spec(charts.trend, TREND, grain=grain, stat="top_box", target=80.0)
    tips = {t["title"]: t for t in spec["layer"][2]["encoding"]["tooltip"]}
    assert tips["Period"]["format"] == fmt and tips["Period"]["type"] == "temporal"
    assert [tips[k]["field"] for k in ("Value", "95% CI", "n")] == ["value_text", "ci_text", "n_text"]
    rows = spec["datasets"][charts.DATA]
    assert [(r["value_text"], r["ci_text"], r["n_text"]) for r in rows] == [
        ("4.1%", "4.0% – 4.2%", "120"), ("—", "—", "—"), ("4.3%", "4.1% – 4.5%", "25")]
    target = spec["layer"][3]
    assert target["encoding"]["tooltip"] == [{"field": "target_text", "type": "nominal", "title": "Target"}]
    assert spec["datasets"][target["data"]["name"]][0]["target_text"] == "80.0%"
    mean = charts.spec(charts.trend, TREND.assign(n=[12345, None, 25]), stat="mean")["datasets"][charts.DATA]
    assert (mean[0]["value_text"], mean[0]["n_text"]) == ("4.10", "12,345")


def test_heatmap_colours_run_over_the_kpis_natural_range_when_given():
    df = frame(segment=["North", "South"], value=[61.1, 95.0], suppressed=[False, False], target=None,
               target_status=[None, None])
    spec = charts.heatmap(df, domain=(0, 100)).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == [0.0, 100.0] and scale["clamp"] is True and "domainMid" not in scale
    # 61.1 is in the pale middle of 0-100: dark text; 95 near the green end: light text.
    values = next(iter(spec["datasets"].values()))
    assert [v["text_color"] for v in values] == ["#24292f", "white"]
    assert values[1]["fill"] == charts._hex(charts._ramp_color(0.95, [(i / 10, c) for i, c in enumerate(charts._RED_YELLOW_GREEN)]))


def _cells(df, domain=(0, 100)):
    return next(iter(charts.heatmap(df, domain=domain).to_dict()["datasets"].values()))


TARGETS = frame(segment=["North", "South", "East"], key=["a", "b", "c"], name=["A", "B", "C"], stat="top_box",
                value=[61.1, 79.3, 99.0], n=[100, 100, 100], ci_low=[55.0, 75.0, 97.0], ci_high=[67.0, 83.0, 100.0],
                suppressed=[False] * 3, low_n=[False] * 3, target=[75.0, 80.0, 85.0],
                target_status=["missed", "near", "met"])


def test_heatmap_colours_each_cell_by_its_tiles_target_status():
    # Found in a review: Shop's tile said 79.3% "near target" (amber) while its heatmap cell was
    # pale red. A cell takes its record's status (pyramid.target_status's), in the badges' colours.
    spec = charts.heatmap(TARGETS, domain=(0, 100)).to_dict()
    values = spec["datasets"][next(iter(spec["datasets"]))]
    assert [v["state"] for v in values] == ["missed", "near", "met"]
    assert values[1]["fill"] == charts.HEAT_RAMPS["near"][0]
    red, green = charts._rgb(values[0]["fill"]), charts._rgb(values[2]["fill"])
    assert red[0] > red[1] and green[1] > green[0]
    # the legend names the states shown, in a fixed order
    key = spec["layer"][0]["encoding"]["color"]
    assert key["field"] == "state_name" and key["legend"] is not None
    assert key["scale"]["domain"] == ["on target", "near target (within the 95% CI)", "below target"]
    assert spec["layer"][1]["encoding"]["color"] == {"field": "fill", "type": "nominal", "scale": None}
    # the status decides, not the value against the target: a value that shows as its target
    # (79.96 as 80.0) is met, and a lower-is-better measure's met is green below its target
    judged = _cells(TARGETS.assign(value=[79.96, 80.5, 2.0], target=[80.0, 81.0, 3.0],
                                   target_status=["met", "near", "met"]))
    assert [v["state"] for v in judged] == ["met", "near", "met"]
    assert all(charts._rgb(v["fill"])[1] > charts._rgb(v["fill"])[0] for v in (judged[0], judged[2]))


def test_heatmap_cells_are_deeper_the_farther_from_their_target():
    far, close = _cells(TARGETS.assign(value=[20.0, 70.0, 90.0], target=[75.0, 75.0, 85.0],
                                       target_status=["missed", "missed", "met"]))[:2]
    assert charts._luminance(charts._rgb(far["fill"])) < charts._luminance(charts._rgb(close["fill"]))
    assert (far["text_color"], close["text_color"]) == ("white", "#24292f")
    # at the target itself the palest green; at the end of the range the deepest
    edge = _cells(TARGETS.assign(value=[85.0, 100.0, 0.0], target=[85.0, 85.0, 85.0],
                                 target_status=["met", "met", "missed"]))
    assert [v["fill"] for v in edge] == [charts.TARGET_RAMP[2], charts.TARGET_RAMP[3], charts.TARGET_RAMP[0]]


def test_heatmap_rows_without_a_target_are_neutral_and_hidden_cells_distinct():
    df = TARGETS.assign(value=[70.0, None, None], target=[75.0, None, 80.0], target_status=["missed", None, None],
                        suppressed=[False, False, True])
    df = pd.concat([df, TARGETS.iloc[[0]].assign(key="d", name="D", value=88.0, target=None, target_status=None)])
    values = _cells(df)
    assert [v["state"] for v in values] == ["missed", "empty", "hidden", "none"]
    assert [v["fill"] for v in values[1:]] == [charts.HEAT_GREYS["empty"], charts.HEAT_GREYS["hidden"],
                                               charts.HEAT_GREYS["none"]]
    assert len({v["fill"] for v in values}) == 4
    assert [v["cell_text"] for v in values] == ["70.0", "–", "hidden", "88.0"]  # a row without target keeps its value
    key = charts.heatmap(df, domain=(0, 100)).to_dict()["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert key == ["below target", "no target", "hidden (privacy)", "no responses"]


@pytest.mark.parametrize("segments, header_px", [
    (["0-6m", "5y+"], 40),                  # 4 characters: level in any column wider than 40 px
    (["Tehran", "Plovdiv"], 60),
    (["Enterprise customers", "SMB"], 160),
])
def test_heatmap_headers_slant_in_columns_narrower_than_the_widest_header(segments, header_px):
    # Cut to the column's width, "Tehran" read "Teh…" on a laptop: now a header is cut only past
    # 180 px, and slants where the columns are narrower than the widest header.
    spec = charts.heatmap(frame(segment=segments)).to_dict()
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    slanted = f"(bandwidth('x') - 6 < {header_px})"
    assert axis["labelAngle"] == {"expr": f"{slanted} ? -40 : 0"}
    assert axis["labelAlign"] == {"expr": f"{slanted} ? 'left' : 'center'"}
    assert axis["labelLimit"] >= header_px and axis["labelOverlap"] is False


def _sizes(node, found=None) -> dict:
    found = {} if found is None else found
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("fontSize", "labelFontSize", "titleFontSize", "step", "height") and isinstance(v, (int, float)):
                found.setdefault(k, []).append(v)
            else:
                _sizes(v, found)
    elif isinstance(node, list):
        for v in node:
            _sizes(v, found)
    return found


@pytest.mark.parametrize("build, df, options", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_a_large_chart_for_a_shared_screen_is_the_same_chart_in_larger_type(build, df, options):
    import altair as alt

    spec = charts.spec(build, df, **options)
    big = charts.large(spec, 2.0)
    (alt.LayerChart if "layer" in big else alt.Chart).from_dict(big, validate=True)  # still valid Vega-Lite
    assert big["datasets"] == spec["datasets"]  # the numbers untouched
    before = _sizes({k: v for k, v in spec.items() if k != "config"})
    after = _sizes({k: v for k, v in big.items() if k != "config"})
    assert {k: [2 * x for x in v] for k, v in before.items()} == after
    assert before or "no data" in str(options) or df.empty  # only an empty chart sets no size
    assert big["config"]["axis"]["labelFontSize"] == 22 and big["config"]["title"]["fontSize"] == 26


@pytest.mark.parametrize("build, df, options", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_no_layer_is_left_to_a_tooltip_of_raw_fields(build, df, options):
    # Found by an audit: Streamlit's theme gives a mark without a tooltip one listing its fields;
    # over a trend's band it read the interval's lower end as the value.
    spec = charts.spec(build, df, **options)
    for layer in spec.get("layer", [spec]):
        mark = layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}
        assert "tooltip" in layer.get("encoding", {}) or mark.get("tooltip") is False, (options, layer)


@pytest.mark.parametrize("delta, stat, significant, z, text", [
    (0.12, "mean", True, 2.5, "+0.12 · significant"),
    (-2.4, "top_box", False, -1.1, "-2.4 pts · not significant"),
    (0.0, "nps", False, 0.0, "±0 pts · not significant"),
    (3.0, "composite", False, None, "+3.0 pts"),
    (None, "mean", False, None, None),
])
def test_a_bars_change_reads_as_on_its_tile(delta, stat, significant, z, text):
    assert charts.change_text(delta, stat, significant, z) == text


@pytest.mark.parametrize("value, target, status, text", [
    (35.4, 82.0, "missed", "white"),     # dark red: found by an audit, dark text at 3.3:1
    (80.0, 82.0, "near", "#24292f"),     # amber
    (81.0, 82.0, "missed", "#24292f"),   # pale red just short of the target
    (99.0, 85.0, "met", "white"),        # dark green
    (86.0, None, None, "#24292f"),       # no target: the middle of the red-yellow-green scheme
])
def test_heatmap_text_is_the_colour_that_reads_best_on_its_cell(value, target, status, text):
    df = frame(segment=["North", "South"], value=[value, 50.0], n=[100, 100], ci_low=[value - 1, 49.0],
               ci_high=[value + 1, 51.0], suppressed=[False, False], low_n=[False, False], target=[target, target],
               target_status=[status, None])
    values = next(iter(charts.heatmap(df, domain=(0, 100)).to_dict()["datasets"].values()))
    assert values[0]["text_color"] == text


def test_heatmap_text_keeps_a_readable_contrast_everywhere_on_the_ramps():
    ramps = [[(0.0, a), (1.0, b)] for a, b in charts.HEAT_RAMPS.values()] + \
        [[(0.0, c), (1.0, c)] for c in charts.HEAT_GREYS.values()] + \
        [[(i / 10, c) for i, c in enumerate(charts._RED_YELLOW_GREEN)]]
    for stops in ramps:
        for i in range(101):
            bg = charts._luminance(charts._ramp_color(i / 100, stops))
            fg = 1.0 if charts._text_on(charts._ramp_color(i / 100, stops)) == "white" else charts._luminance((0x24, 0x29, 0x2F))
            ratio = (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05)
            assert ratio >= 3.8, (i, ratio)  # the best of the two texts is at least this everywhere


def test_a_readable_chart_has_dark_axis_and_legend_text_and_the_same_data():
    spec = charts.spec(charts.node_bars, frame(), domain=(1, 5))
    dark = charts.readable(spec)
    assert dark["config"]["style"]["guide-label"]["fill"] == "#31333f"
    assert dark["config"]["axis"]["labelColor"] == dark["config"]["legend"]["titleColor"] == "#31333f"
    assert dark["datasets"] == spec["datasets"] and dark["layer"] == spec["layer"]
    assert "config" not in spec or spec["config"] is not dark["config"]


def test_heatmap_numbers_are_left_out_of_columns_too_narrow_for_them():
    spec = charts.heatmap(frame(segment=["North", "South"])).to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["mark"]["opacity"] == {"expr": f"bandwidth('x') < {charts._CELL_MIN_PX} ? 0 : 1"}


def _tooltips(spec: dict) -> list[dict]:
    found = []
    for layer in spec.get("layer", [spec]):
        tips = layer.get("encoding", {}).get("tooltip", [])
        found += tips if isinstance(tips, list) else [tips]
    return found


@pytest.mark.parametrize("build, df, options", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_no_tooltip_shows_a_raw_number(build, df, options):
    # Found by hovering every chart: "n 4090", "95% CI low 77.7", "Target 82", "Period Oct 01, 2025",
    # "Change null". A number is either a text written as the tiles write it or given a format.
    for tip in _tooltips(charts.spec(build, df, **options)):
        assert tip.get("type") == "nominal" or "format" in tip or "value" in tip, tip


def test_bar_tooltips_read_as_the_tiles():
    df = frame(stat="top_box", value=[79.0, None], n=[4090, None], ci_low=[77.7, None], ci_high=[80.2, None],
               target=82.0, target_status=["missed", None])
    spec = charts.spec(charts.node_bars, df)
    assert {t["title"]: t["field"] for t in spec["layer"][0]["encoding"]["tooltip"]} == {
        "Node": "name", "Value": "value_text", "95% CI": "ci_text", "n": "n_text", "Change": "change_text",
        "Target": "target_text"}
    rows = spec["datasets"][charts.DATA]
    assert [(r["value_text"], r["ci_text"], r["n_text"], r["change_text"], r["target_text"]) for r in rows] == [
        ("79.0%", "77.7% – 80.2%", "4,090", "—", "82.0% (below target)"),
        ("hidden (privacy)", "—", "—", "—", "82.0%")]
    nps = charts.spec(charts.node_bars, frame(stat="nps", value=[25.94, None], ci_low=[-3.0, None], ci_high=[30.0, None],
                                              low_n=[True, False]))["datasets"][charts.DATA][0]
    assert (nps["value_text"], nps["ci_text"]) == ("+25.9 (low n: read with care)", "-3.0 – +30.0")
    heat = charts.spec(charts.heatmap, frame(segment=["North", "South"], n=[12000, None]))["datasets"][charts.DATA]
    assert [(r["value_text"], r["ci_text"], r["n_text"]) for r in heat] == [
        ("4.10", "4.00 – 4.20", "12,000"), ("hidden (privacy)", "—", "—")]


DRIVERS = pd.DataFrame({
    "key": ["a", "b"], "name": ["Ease of doing business (relationship survey)", "Billing"], "measure": ["m", "m"],
    "touchpoint": [None, None], "n": pd.array([3988, None], dtype="Int64"), "status": ["ok", "ok"],
    "importance": [4.6, 14.8], "importance_low": [3.6, 11.3], "importance_high": [5.5, 18.4], "r": [0.349, 0.441],
    "r_low": [None, None], "r_high": [None, None], "mean": [4.1, None], "performance": [65.7, None],
    "quadrant": ["lower", "improve"], "quadrant_name": ["Lower priority", "Improve first"], "order": [0, 1]})


def test_driver_tooltips_read_as_the_tiles_and_a_withheld_figure_as_a_dash():
    rows = charts.spec(charts.importance, DRIVERS)["datasets"][charts.DATA]
    assert [(r["importance_text"], r["ci_text"], r["r_text"], r["performance_text"], r["n_text"]) for r in rows] == [
        ("4.6%", "3.6% – 5.5%", "0.35", "65.7", "3,988"), ("14.8%", "11.3% – 18.4%", "0.44", "—", "—")]
    rates = charts.spec(charts.response_rates, pd.DataFrame({
        "name": ["Email"], "rate": [23.8], "ci_low": [23.0], "ci_high": [24.6], "rest_rate": [None], "responded": [2729],
        "invited": [11482], "suppressed": [False], "low_n": [False], "significant": [False]}))["datasets"][charts.DATA]
    assert (rates[0]["ci_text"], rates[0]["responded_text"], rates[0]["invited_text"], rates[0]["rest_text"]) == (
        "23.0% – 24.6%", "2,729", "11,482", "—")  # was "The rest of the list: null"


@pytest.mark.parametrize("build, df, options", [
    (charts.importance, DRIVERS, {}),
    (charts.node_bars, frame(), {}),
    (charts.heatmap, frame(segment=["North", "South"]), {}),
    (charts.response_rates, pd.DataFrame({"name": ["Email"], "rate": [23.8], "ci_low": [23.0], "ci_high": [24.6],
                                          "rest_rate": [None], "responded": [2729], "invited": [11482],
                                          "suppressed": [False], "low_n": [False], "significant": [False]}), {}),
])
def test_long_names_wrap_onto_a_second_line_instead_of_being_cut(build, df, options):
    # Found on Key drivers at 1280x800: "Ease of doing business (relationship s…" (cut at 220 px).
    spec = charts.spec(build, df, **options)
    axis = next(layer["encoding"]["y"]["axis"] for layer in spec["layer"] if "y" in layer.get("encoding", {}))
    assert "lastindexof" in axis["labelExpr"] and axis["labelLimit"] >= 180


def test_a_long_driver_name_is_written_whole_on_the_axis_and_in_the_matrix():
    labels = _svg_labels(charts.spec(charts.importance, DRIVERS), 600)
    assert "Ease of doing business" in labels and "(relationship survey)" in labels and "Billing" in labels
    assert not any("…" in x for x in labels)
    matrix = charts.spec(charts.priority_matrix, DRIVERS.assign(performance=[65.7, 70.0]), mid_importance=50.0)
    assert [r["label_text"] for r in matrix["datasets"][charts.DATA]] == [
        "Ease of doing business\n(relationship survey)", "Billing"]
    texts = [layer for layer in matrix["layer"] if layer["mark"]["type"] == "text"]
    assert texts and all(t["mark"]["lineBreak"] == "\n" and t["encoding"]["text"]["field"] == "label_text" for t in texts)
