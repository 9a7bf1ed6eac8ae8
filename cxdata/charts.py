"""Altair charts as pure functions of tidy frames (see `tables`): no data access, no Streamlit.

Charts that drive the drill-down carry a point selection on the node key; the page reads the
clicked key from the selection named in SELECT_*.

Each chart is two parts: `_<chart>_prepare` derives the plotted columns from the frame (pandas,
fast) and the facts that shape the chart (options, axis titles), and `_<chart>_draw` builds the
Altair chart from a data source and those facts. The public functions join them; `spec` draws
the chart once per set of facts on a named data set and caches that Vega-Lite skeleton, so a
page showing new numbers (every filter change or drill) pays for the data alone, not for
Altair's construction of the same chart (about 100 ms each).
"""

from __future__ import annotations

import copy
import functools
import textwrap
from typing import Callable

import altair as alt
import pandas as pd

from .bidi import FSI, PDI
from .formats import TARGET_WORDS, stat_text
from .period import DAY_FORMAT, MONTH_FORMAT, QUARTER_FORMAT

# Heat map colours by target: deep red far below, light red just below, light green at the
# target, deep green far above (ColorBrewer RdYlGn ends; the light steps keep dark text legible).
TARGET_RAMP = ["#a50026", "#f8b4a0", "#c7e9b4", "#006837"]
SELECT_NODE = "node"  # pages read clicks as event["selection"]["node"]
STATUS_COLORS = {"met": "#1a7f37", "near": "#9a6700", "missed": "#cf222e", "none": "#57606a"}
DATA = "table"  # the name of a skeleton's data set in `spec`
LABEL_ROOM = 0.08  # a bar label's width and gap, as a share of the x axis (about 45 px of a 560 px chart)
_CHAR_PX = 7.5  # average width of a character of the axis labels, in pixels
_FONT = 13
# Channels are given as objects (alt.X("f:Q")), not strings (x="f:Q"): Altair turns a string
# into a channel through its schema index, which made a chart's first drawing about 4x slower.


def to_spec(chart, *, validate: bool = False) -> dict:
    """The chart's Vega-Lite spec, without Altair's default theme sizes, as Streamlit draws Altair
    charts (its own theme applies).

    Not validated against the Vega-Lite schema by default: validation cost about 40% of building
    a spec and can only fail on the chart's structure, which the chart functions fix for any
    data; the tests validate every chart in each of its shapes (tests/test_charts.py)."""
    spec = chart.to_dict(validate=validate)
    config = spec.get("config", {})
    view = config.get("view", {})
    for key in ("continuousWidth", "continuousHeight"):
        view.pop(key, None)
    if "view" in config and not view:
        del config["view"]
    if "config" in spec and not config:
        del spec["config"]
    return spec


def _status(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["status"] = df["target_status"].fillna("none")
    df["label"] = df.apply(_value_label, axis=1)
    _tip_texts(df)
    return df


# Tooltips say every figure as the tiles do ("79.0%", "95% CI 77.7% – 80.2%", "n = 4,090",
# "target 82.0%"): left to Vega, a tooltip read "n 4090", "Target 82" and "Change null" beside
# tiles saying "n = 4,090" and "target 82.0%". The texts are columns of the data (a few rows), so
# the cached skeleton stays the same whatever the KPI's statistic; a missing figure reads "—"
# (Vega's own number formats write a missing n as 0).
def _texts(values, fmt: Callable) -> list[str]:
    return ["—" if v is None or pd.isna(v) else fmt(v) for v in values]


def _counts(values) -> list[str]:
    """'4,090' per row, as the tiles write an n."""
    return _texts(values, lambda n: f"{int(n):,}")


def _ci_texts(low, high, stats) -> list[str]:
    """'77.7% – 80.2%' per row; `stats`: each row's statistic (a list), or one for every row."""
    stats = stats if isinstance(stats, list) else [stats] * len(low)
    return ["—" if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) else
            f"{stat_text(float(lo), st)} – {stat_text(float(hi), st)}" for lo, hi, st in zip(low, high, stats)]


def _stats(df: pd.DataFrame) -> list:
    return list(df["stat"]) if "stat" in df else [None] * len(df)


def _tip_texts(df: pd.DataFrame) -> None:
    """Tooltip texts of a frame of KPI records (`tables.kpi_record`), added in place."""
    st = _stats(df)
    hidden = df["suppressed"].fillna(False).astype(bool) if "suppressed" in df else [False] * len(df)
    low = df["low_n"].fillna(False).astype(bool) if "low_n" in df else [False] * len(df)
    df["value_text"] = ["hidden (privacy)" if h else "no data" if v is None or pd.isna(v) else
                        stat_text(float(v), s) + (" (low n: read with care)" if lo else "")
                        for v, s, h, lo in zip(df["value"], st, hidden, low)]
    df["n_text"] = _counts(df["n"])
    df["ci_text"] = _ci_texts(df["ci_low"], df["ci_high"], st)
    if "target" in df:
        status = df["target_status"] if "target_status" in df else [None] * len(df)
        df["target_text"] = ["—" if t is None or pd.isna(t) else
                             stat_text(float(t), s) + (f" ({TARGET_WORDS[ts]})" if ts in TARGET_WORDS else "")
                             for t, s, ts in zip(df["target"], st, status)]


def _wrap(chars: int) -> dict:
    """Axis options that write a long name on two lines of about `chars` characters, broken at the
    last space that fits (a third line's worth is cut by `labelLimit`, each line's width): cut at
    one line, 'Ease of doing business (relationship survey)' read 'Ease of doing business
    (relationship s…'. A name that fits, or has no space to break at, stays on one line. Each line
    is a first-strong isolate: vl-convert's renderer (the PNG of a deck or a download) laid a
    Persian name's two lines out as one paragraph, the second written over the first (found by an
    audit)."""
    v = "datum.value"
    at = f"lastindexof(substring({v}, 0, {chars + 1}), ' ')"
    return {"labelExpr": f"length({v}) <= {chars} || {at} < 1 ? {v} : "
                         f"['{FSI}' + substring({v}, 0, {at}) + '{PDI}', '{FSI}' + substring({v}, {at} + 1) + '{PDI}']",
            "labelLimit": int(chars * _CHAR_PX + 10)}


# Amber beside red read as a contradiction (a lower value "near", a higher one "missed") until
# the legend says what near means: the interval of a small sample still reaches the target.
_STATUS_LEGEND = ("datum.label == 'near' ? 'near target (within the 95% CI)' : "
                  "datum.label == 'met' ? 'on target' : datum.label == 'missed' ? 'below target' : "
                  "datum.label == 'none' ? 'no target' : datum.label")


def _value_label(row) -> str:
    if row.get("suppressed"):
        # Not "n < min": a cell is also hidden to protect a small one beside it (found by an audit).
        return "hidden (privacy)"
    if row.get("value") is None or pd.isna(row.get("value")):
        return "no data"
    # The decimals of the tiles (a mean 4.10, a percentage 79.0, an NPS +25.9): "79" beside a
    # tile reading 79.0% looked like another number.
    stat, value = row.get("stat"), row["value"]
    text = f"{value:.2f}" if stat == "mean" else f"{value:+.1f}" if stat == "nps" and value else f"{value:.1f}"
    return text + (" *" if row.get("low_n") else "")


def node_bars(df: pd.DataFrame, *, title: str = "", selectable: bool = True, selected: str | None = None,
              domain: tuple[float, float] | None = None) -> alt.LayerChart:
    """Horizontal bars of each node's KPI with its 95% interval and target tick; click selects a node.

    `domain` is the KPI's natural range (1-5 for a CSAT mean, 0-100 for a percentage), so bars of
    different views are comparable and small differences are not exaggerated."""
    data, facts = _node_bars_prepare(df, title=title, selectable=selectable, selected=selected, domain=domain)
    return _node_bars_draw(data, **facts)


def _node_bars_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = _status(df)
    df["change"] = [change_text(d, st, sig, z) for d, st, sig, z in
                    zip(df["delta"], df["stat"], df.get("significant", [False] * len(df)), df.get("z", [None] * len(df)))]
    df["change_text"] = [c or "—" for c in df["change"]]
    df["value_plot"] = df["value"].astype("float")
    df["order"] = range(len(df))
    # The label sits just beyond the bar's interval, next to the bar's end; where the target tick
    # lies within a label's width of that end, beyond the tick instead (it ran into the tick). A
    # target far beyond is not followed: a label out there floats away from its bar. A negative
    # bar (an NPS below zero) ends on the left, so its label goes to the left, mirrored.
    ci_low, ci_high = df["ci_low"].astype("float"), df["ci_high"].astype("float")
    target = df["target"].astype("float")
    domain = options.get("domain")
    if domain:
        start, span = float(domain[0]), float(domain[1]) - float(domain[0])
    else:
        ends = pd.concat([ci_low, ci_high, target], axis=1)
        known = ends.notna().any().any()
        start = float(ends.min().min()) if known else 0.0
        span = float(ends.max().max()) - start if known else 0.0
    near = LABEL_ROOM * (span or 1.0)
    df["label_left"] = df["value_plot"] < 0
    right = ci_high.where(~((target > ci_high) & (target - ci_high < near)), target)
    left = ci_low.where(~((target < ci_low) & (ci_low - target < near)), target)
    df["label_x"] = right.where(~df["label_left"], left).where(ci_high.notna())
    # A row without a bar says why at the start of the axis ("hidden (privacy)", "no data"): left
    # blank, a hidden team's chart on its own page was an empty frame.
    df["label_x"] = df["label_x"].where(df["value_plot"].notna(), start)
    facts = {**options, "domain": tuple(float(x) for x in domain) if domain else None,
             "x_title": str(df["kpi_name"].iloc[0]) if len(df) else ""}
    return df, facts


# Every layer of a bar chart says the same (Streamlit's theme gave its value labels a tooltip of
# raw fields: label_x, name, label).
_BAR_TIPS = [alt.Tooltip("name:N", title="Node"), alt.Tooltip("value_text:N", title="Value"),
             alt.Tooltip("ci_text:N", title="95% CI"), alt.Tooltip("n_text:N", title="n"),
             alt.Tooltip("change_text:N", title="Change"), alt.Tooltip("target_text:N", title="Target")]


def change_text(delta, stat, significant, z) -> str | None:
    """A change as the tiles write it: '+0.12', '-2.4 pts', with the test's verdict."""
    if delta is None or pd.isna(delta):
        return None
    text = f"{delta:+.2f}" if stat == "mean" else "±0 pts" if delta == 0 else f"{delta:+.1f} pts"
    if significant:
        return text + " · significant"
    return text + (" · not significant" if z is not None and not pd.isna(z) else "")


def _node_bars_draw(source, *, x_title: str, title: str = "", selectable: bool = True, selected: str | None = None,
                    domain: tuple[float, float] | None = None) -> alt.LayerChart:
    # In the order of the rows (the model's), whichever layers draw a row: sorted by data order,
    # the rows without a bar ("no data") went to the bottom, unlike the tiles (found by an audit).
    base = alt.Chart(source).encode(
        y=alt.Y("name:N", sort=alt.EncodingSortField("order", op="min"), title=None,
                axis=alt.Axis(labelFontSize=_FONT, **_wrap(34))),
    )
    sel = alt.selection_point(name=SELECT_NODE, fields=["key"], on="click", clear=False)
    bar = base.mark_bar(height={"band": 0.7}, cornerRadiusEnd=3).encode(
        # About ten ticks whatever the width: on a wide screen a 1-7 scale had 31 (every 0.2).
        x=alt.X("value_plot:Q", title=x_title, axis=alt.Axis(tickCount=10),
                scale=alt.Scale(domain=list(domain), clamp=True) if domain else alt.Scale(zero=False, nice=True)),
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                        # Two per row: four in one row ran off the right edge of an 800 px screen.
                        legend=alt.Legend(title="Target", orient="bottom", labelExpr=_STATUS_LEGEND, labelLimit=260,
                                          columns=2)),
        opacity=(alt.condition(f"datum.key == '{_js(selected)}'", alt.value(1.0), alt.value(0.55)) if selected else alt.value(0.85)),
        tooltip=_BAR_TIPS,
    )
    if selectable:
        bar = bar.add_params(sel)
    rule = base.mark_rule(color="#24292f", strokeWidth=1.5).encode(x=alt.X("ci_low:Q"), x2=alt.X2("ci_high"), tooltip=_BAR_TIPS)
    target = base.mark_tick(color="#24292f", thickness=2, size=22).encode(x=alt.X("target:Q"), tooltip=_BAR_TIPS)
    text = base.mark_text(align="left", dx=6, fontSize=_FONT, color="#24292f").encode(
        x=alt.X("label_x:Q"), text=alt.Text("label:N"), tooltip=_BAR_TIPS).transform_filter("!datum.label_left")
    text_left = base.mark_text(align="right", dx=-6, fontSize=_FONT, color="#24292f").encode(
        x=alt.X("label_x:Q"), text=alt.Text("label:N"), tooltip=_BAR_TIPS).transform_filter("datum.label_left")
    # A step height per bar: a fixed total height collapses under the title, axis and legend.
    return alt.layer(bar, rule, target, text, text_left).properties(height=alt.Step(34), title=title)


def trend(df: pd.DataFrame, *, title: str = "", target: float | None = None, y_title: str = "",
          grain: str = "month", stat: str | None = None) -> alt.Chart | alt.LayerChart:
    """Value per bucket (week, month or quarter: the axis labels follow) with its 95% interval
    band; hollow points mark low-n buckets; hidden buckets are gaps; a dashed line the target.
    `stat`: the KPI's statistic, for its values in the tooltips as its tile writes them."""
    data, facts = _trend_prepare(df, title=title, target=target, y_title=y_title, grain=grain, stat=stat)
    return _trend_draw(data, **facts)


def _trend_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    if df.empty:
        return pd.DataFrame({"bucket": [], "value": []}), {"title": options.get("title", ""), "empty": True}
    df = df.copy()
    df["low_n_label"] = df["low_n"].map({True: "n < reliability threshold", False: "reliable"})
    stat = options.pop("stat", None)
    df["value_text"] = _texts(df["value"], lambda v: stat_text(float(v), stat))
    df["n_text"] = _counts(df["n"])
    df["ci_text"] = _ci_texts(df["ci_low"], df["ci_high"], stat)
    # Every bucket hidden: the target alone made an axis of one odd tick ("80.000000").
    target = options.get("target") if df["value"].notna().any() else None
    return df, {**options, "target": None if target is None else float(target), "empty": False,
                "target_text": None if target is None else stat_text(float(target), stat)}


_WEEK_MS = 7 * 24 * 3600 * 1000
# Ticks on Mondays (the buckets are ISO weeks), counted back from the latest week's, so that the
# period's own week always has its label: a tick a week, or every 2, 3... weeks so that a label
# has about 48 px. Vega's own week ticks fall on Sundays, a day before the points: "05 Apr" stood
# under the week of 6 April. Counted in milliseconds, a tick moves an hour where the clocks
# change: the labels are written from six hours later, always the same day. The year on the
# leftmost label and on the first week of a year. Days, months and quarters as the period labels
# and captions write them (period.DAY_FORMAT...): "03 Jul", "2026-Q3", never "3 Jul" or "Q3 2026".
_LAST_MONDAY = ("time(datetime(year(domain('x')[1]), month(domain('x')[1]), "
                "date(domain('x')[1]) - (day(domain('x')[1]) + 6) % 7))")
_WEEK_STEP = f"({_WEEK_MS} * max(1, ceil(48 * (domain('x')[1] - domain('x')[0]) / {_WEEK_MS} / max(width, 1))))"
_LABEL_DAY = "(datum.value + 21600000)"
_DAY_MONTH = DAY_FORMAT.replace(" %Y", "")  # a day of the year the axis has already said: 03 Jul
# A month is labelled every `step` months counted back from the latest (the period's own month,
# always labelled), `step` the fewest months that leave a label room; the year is on the leftmost
# label and on each year's first, "Apr 2025 … Nov, Jan 2026, Mar". A label every month, left to
# Vega's greedy overlap rule, lost "Jan 2026" on a slide's 900 px, the one label with the year,
# and the two Septembers of 18 months read alike (found by a reviewer); a year on every label
# left room for every other one on a laptop. The room is counted in ems of the labels' size
# (LABEL_SIZE, a parameter `large` grows with the rest of the type, as Vega cannot measure text
# in an expression): a month 1.9 em at most ("May"), a month and year 4.4 em ("May 2026"), 0.6 em
# between them; beside a year's label a label takes half of each, and at a step of a year or more
# every label has its year. The data's first and last months are read off the scale inside its
# padding (a tick out in the padding, a month without data, has no label), half a day on: the
# same day wherever the clocks change.
LABEL_SIZE = "axis_label_size"
_LABEL_PX = 11  # Vega's own size of axis labels, as in every file and slide (Streamlit's theme: 12 px)
_PAD = 12  # the time scale's padding, in pixels
_HALF_DAY = 12 * 3600 * 1000
_FIRST, _LAST = f"(time(invert('x', {_PAD})) + {_HALF_DAY})", f"(time(invert('x', width - {_PAD})) + {_HALF_DAY})"
_TICK = f"(datum.value + {_HALF_DAY})"


def _months(a: str, b: str) -> str:
    return f"(12 * (year({b}) - year({a})) + month({b}) - month({a}))"


_MONTH_PX = f"(max(width - {2 * _PAD}, 1) / max({_months(_FIRST, _LAST)}, 1))"  # from a month's tick to the next
_STEP_NEAR = f"ceil(3.75 * {LABEL_SIZE} / {_MONTH_PX})"  # (1.9 + 4.4) / 2 + 0.6
_MONTH_STEP = f"max(1, {_STEP_NEAR} < 12 ? {_STEP_NEAR} : ceil(5 * {LABEL_SIZE} / {_MONTH_PX}))"  # 4.4 + 0.6
_MONTH_LABEL = (f"{_months(_FIRST, _TICK)} < 0 || {_months(_TICK, _LAST)} < 0 || "
                f"{_months(_TICK, _LAST)} % {_MONTH_STEP} != 0 ? '' : timeFormat(datum.value, "
                f"{_months(_FIRST, _TICK)} < {_MONTH_STEP} || month({_TICK}) < {_MONTH_STEP} ? '{MONTH_FORMAT}' : '%b')")
_TIME_AXES = {  # per grain: where ticks go and how a bucket's start is labelled
    "week": {"values": alt.ExprRef(f"sequence({_LAST_MONDAY}, time(domain('x')[0]) - 1, -{_WEEK_STEP})"),
             "labelExpr": f"timeFormat({_LABEL_DAY}, datum.value - {_WEEK_STEP} < time(domain('x')[0]) || "
                          f"(month({_LABEL_DAY}) == 0 && (datum.value - time(datetime(year({_LABEL_DAY}), 0, 1))) "
                          f"< {_WEEK_STEP}) ? '{DAY_FORMAT}' : '{_DAY_MONTH}')",
             "labelOverlap": "greedy"},
    # Ticks on the months' starts: left to Vega, a wide chart (a presentation at 1920 px) put them
    # every four weeks and labelled two of them "Jun 2025", the December point over "Nov". Which
    # of them are labelled: _MONTH_LABEL. None is hidden for overlap: the labels are spaced to
    # fit, and hiding one dropped the year.
    "month": {"tickCount": {"interval": "month", "step": 1}, "labelOverlap": False,
              "labelFontSize": alt.ExprRef(LABEL_SIZE), "labelExpr": _MONTH_LABEL},
    "quarter": {"labelExpr": f"timeFormat(datum.value, '{QUARTER_FORMAT}')",
                "tickCount": {"interval": "month", "step": 3}},
}
# A bucket in a tooltip as the grain says it: "Mar 2026", "week of 02 Mar 2026", "2026-Q1" (not "Mar 01, 2026").
_PERIOD_FORMATS = {"week": f"week of {DAY_FORMAT}", "month": MONTH_FORMAT, "quarter": QUARTER_FORMAT}


def _trend_draw(source, *, empty: bool, title: str = "", target: float | None = None,
                y_title: str = "", grain: str = "month", target_text: str | None = None) -> alt.Chart | alt.LayerChart:
    if empty:
        return alt.Chart(source).mark_line(tooltip=False).properties(title=title)
    # Padding keeps the first and last points whole inside the plot.
    axis = _TIME_AXES.get(grain, _TIME_AXES["month"])
    base = alt.Chart(source).encode(x=alt.X("bucket:T", title=None, scale=alt.Scale(padding=_PAD),
                                            axis=alt.Axis(labelAngle=0, **axis)))
    # Only the points have tooltips: over the band, Streamlit's default one read the interval's
    # lower end as the value.
    band = base.mark_area(opacity=0.2, color="#0969da", tooltip=False).encode(
        y=alt.Y("ci_low:Q", title=y_title, scale=alt.Scale(zero=False)), y2=alt.Y2("ci_high"))
    line = base.mark_line(color="#0969da", strokeWidth=2, tooltip=False).encode(y=alt.Y("value:Q"))
    # A low-n bucket is a hollow circle: white inside, the line's colour around.
    points = base.mark_point(size=60, color="#0969da", filled=True, stroke="#0969da", strokeWidth=1.5).encode(
        y=alt.Y("value:Q"),
        fill=alt.condition("datum.low_n", alt.value("white"), alt.value("#0969da")),
        tooltip=[alt.Tooltip("bucket:T", title="Period", format=_PERIOD_FORMATS.get(grain, _PERIOD_FORMATS["month"])),
                 alt.Tooltip("value_text:N", title="Value"), alt.Tooltip("ci_text:N", title="95% CI"),
                 alt.Tooltip("n_text:N", title="n"), alt.Tooltip("low_n_label:N", title="Reliability")],
    )
    layers = [band, line, points]
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"target": [target], "target_text": [target_text or f"{target:g}"]})).mark_rule(
            strokeDash=[6, 4], color="#57606a").encode(y=alt.Y("target:Q"), tooltip=[alt.Tooltip("target_text:N", title="Target")]))
    chart = alt.layer(*layers).properties(height=280, title=title)
    return chart.add_params(alt.param(name=LABEL_SIZE, value=_LABEL_PX)) if axis is _TIME_AXES["month"] else chart


MOVER_COLORS = {"up": "#0969da", "down": "#bc4c00"}  # raised / lowered the number (not better / worse)


def movers(df: pd.DataFrame, *, title: str = "", x_title: str = "", decimals: int = 2,
           composite: bool = False) -> alt.LayerChart:
    """What moved a number (tables.movers_frame): a bar per part, its contribution to the change,
    blue where it raised the number and orange where it lowered it, the contribution written
    beside it; the tooltip splits it into what the part's own score did and what its share of the
    answers did (a composite's parts have a score only, on the index's 0-100 scale)."""
    data, facts = _movers_prepare(df, title=title, x_title=x_title, decimals=decimals, composite=composite)
    return _movers_draw(data, **facts)


def _movers_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df.copy()
    d = int(options.get("decimals", 2))
    df["label"] = ["±0" if round(t, d) == 0 else f"{t:+.{d}f}" for t in df["total"]]
    df["direction"] = ["up" if t >= 0 else "down" for t in df["total"]]
    # A label right of a rising bar's end; a falling bar's label just right of zero, clear of the
    # part names on the left (it ran into them: "Call Center - South-0.13").
    df["label_x"] = df["total"].clip(lower=0)
    return df, options


def _movers_draw(source, *, title: str = "", x_title: str = "", decimals: int = 2,
                 composite: bool = False) -> alt.LayerChart:
    base = alt.Chart(source).encode(y=alt.Y("name:N", sort=None, title=None,
                                            axis=alt.Axis(labelFontSize=_FONT, **_wrap(34))))
    fmt, vfmt = f"+.{decimals}f", f".{max(decimals - 1, 1)}f"
    if composite:
        tips = [alt.Tooltip("name:N", title="Touchpoint"), alt.Tooltip("label:N", title="Contribution"),
                alt.Tooltip("value_before:Q", title="Score before (0-100)", format=vfmt),
                alt.Tooltip("value:Q", title="Score now (0-100)", format=vfmt)]
    else:
        tips = [alt.Tooltip("name:N", title="Part"), alt.Tooltip("label:N", title="Contribution"),
                alt.Tooltip("score:Q", title="from its own score", format=fmt),
                alt.Tooltip("mix:Q", title="from its share of the answers", format=fmt),
                alt.Tooltip("value_before:Q", title="Value before", format=vfmt),
                alt.Tooltip("value:Q", title="Value now", format=vfmt),
                alt.Tooltip("share_before:Q", title="Share before", format=".0%"),
                alt.Tooltip("share:Q", title="Share now", format=".0%")]
    bars = base.mark_bar(height={"band": 0.6}).encode(
        x=alt.X("total:Q", title=x_title),
        color=alt.Color("direction:N", scale=alt.Scale(domain=list(MOVER_COLORS), range=list(MOVER_COLORS.values())),
                        legend=None),
        tooltip=tips,
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#24292f", tooltip=False).encode(x=alt.X("x:Q"))
    text = base.mark_text(align="left", dx=6, fontSize=_FONT, color="#24292f").encode(
        x=alt.X("label_x:Q"), text=alt.Text("label:N"), tooltip=tips)
    return alt.layer(bars, zero, text).properties(height=alt.Step(30), title=title)


def heatmap(df: pd.DataFrame, *, title: str = "", row_title: str = "", col_title: str = "", value_title: str = "",
            domain: tuple[float, float] | None = None) -> alt.LayerChart:
    """Node x segment grid of one KPI; cells without a value are grey, marked "hidden" or "–" (none).

    With target statuses in the frame (`target_status`: each record's, from pyramid.target_status,
    as its tile's) every cell takes its status's colour, as the tiles' badges do: green on target,
    amber near it, red below it, deeper the farther its value is from its row's target; a legend
    names the states. A row without a target is neutral grey with its value written, a hidden cell
    a darker grey of its own. Without any status the colours run over `domain`, the KPI's natural
    range, so a value has the same colour in every view (over the data's own extent, 61 was pale
    yellow in one split, deep red in another)."""
    data, facts = _heatmap_prepare(df, title=title, row_title=row_title, col_title=col_title, value_title=value_title,
                                   domain=domain)
    return _heatmap_draw(data, **facts)


_DARK_TEXT = "#24292f"
_CELL_MIN_PX = 40  # the narrowest heatmap column that holds a cell's text ('hidden', '100.0 *')
# Vega's 'redyellowgreen' scheme at its eleven stops (d3's RdYlGn), for the text on its colours.
_RED_YELLOW_GREEN = ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf", "#d9ef8b", "#a6d96a",
                     "#66bd63", "#1a9850", "#006837"]
# A cell's colour per target status, from at its target (pale) to far from it (deep). Red and
# green alone showed a tile's amber "near target" 79.3 as pale red (found in a review). Amber has
# one shade: near means the data cannot tell the value from the target, whatever the gap.
HEAT_RAMPS = {"met": (TARGET_RAMP[2], TARGET_RAMP[3]), "near": ("#f2c14e", "#f2c14e"),
              "missed": (TARGET_RAMP[1], TARGET_RAMP[0])}
HEAT_GREYS = {"none": "#eaeef2", "hidden": "#afb8c1", "empty": "#f6f8fa"}  # no target, hidden, no responses
HEAT_STATES = {"met": "on target", "near": "near target (within the 95% CI)", "missed": "below target",
               "none": "no target", "hidden": "hidden (privacy)", "empty": "no responses"}


def _ramp_color(r: float, stops: list[tuple[float, str]]) -> tuple[float, float, float]:
    """The colour at position `r` of a ramp through `stops` (position, hex), interpolated in RGB."""
    r = min(max(r, stops[0][0]), stops[-1][0])
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if r <= b:
            t = 0.0 if b == a else (r - a) / (b - a)
            return tuple(x + t * (y - x) for x, y in zip(_rgb(ca), _rgb(cb)))
    return _rgb(stops[-1][1])


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def _luminance(rgb) -> float:
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_on(rgb) -> str:
    """White or dark text, whichever reads better on the cell's colour (WCAG contrast): by position
    on the ramp alone, dark text sat on a dark red cell at 3.3:1 (found by an audit)."""
    bg = _luminance(rgb)
    white, dark = 1.05 / (bg + 0.05), (bg + 0.05) / (_luminance((0x24, 0x29, 0x2F)) + 0.05)
    return "white" if white > dark else _DARK_TEXT


def _heatmap_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df.copy()
    df["label"] = df.apply(_value_label, axis=1)
    _tip_texts(df)
    df["value_plot"] = df["value"].astype("float")
    hidden = df["suppressed"].fillna(False).astype(bool)
    # In the cell, words only where there is room: a column of a narrow screen is about 45 px, and
    # "no data" spilled over its neighbours. The tooltip keeps the full label.
    df["cell_text"] = ["hidden" if h else "–" if pd.isna(v) else label
                       for h, v, label in zip(hidden, df["value_plot"], df["label"])]
    domain = options.get("domain")
    lo, hi = (float(domain[0]), float(domain[1])) if domain else (df["value_plot"].min(), df["value_plot"].max())
    targets = pd.to_numeric(df["target"], errors="coerce") if "target" in df else pd.Series(float("nan"), index=df.index)
    status = df["target_status"] if "target_status" in df else pd.Series(None, index=df.index, dtype=object)
    # The tiles' verdict, not one of the chart's own: the status each record carries is
    # pyramid.target_status's (judged on the value as shown, near where the interval reaches the
    # target), so a cell can never say other than its tile.
    by_target = bool(status.isin(list(HEAT_RAMPS)).any())

    def depth(v: float, t: float) -> float:
        """How far `v` is from its target `t`, 0 (at it) to 1 (the end of the KPI's range beyond it)."""
        end = hi if v >= t else lo
        return min(1.0, abs(v - t) / abs(end - t)) if end != t else 1.0

    def state(h, v, st, t) -> str:
        if h:
            return "hidden"
        if pd.isna(v):
            return "empty"
        return st if by_target and st in HEAT_RAMPS else "none" if by_target else "scale"

    df["state"] = [state(h, v, st, t) for h, v, st, t in zip(hidden, df["value_plot"], status, targets)]
    fills = []
    scale = [(i / (len(_RED_YELLOW_GREEN) - 1), c) for i, c in enumerate(_RED_YELLOW_GREEN)]
    for s, v, t in zip(df["state"], df["value_plot"], targets):
        if s in HEAT_GREYS:
            fills.append(HEAT_GREYS[s])
        elif s == "scale":
            fills.append(_hex(_ramp_color((min(max(v, lo), hi) - lo) / ((hi - lo) or 1.0), scale)))
        else:
            pale, deep = HEAT_RAMPS[s]
            fills.append(_hex(_ramp_color(0.0 if pd.isna(t) else depth(v, t), [(0.0, pale), (1.0, deep)])))
    df["fill"] = fills
    df["state_name"] = df["state"].map(HEAT_STATES).fillna("")
    # Light text on the deep colours, dark text on the pale ones.
    df["text_color"] = [_text_on(_rgb(f)) for f in fills]
    # The legend lists the states the grid shows, in one order whatever the data's; on the KPI's
    # scale, the greys it shows beside the gradient (it left a hidden cell's grey unexplained).
    shown = set(df["state"])
    states = tuple(HEAT_STATES[s] for s in HEAT_STATES if s in shown and (by_target or s in HEAT_GREYS))
    # The widest column header, estimated from its characters (Vega cannot measure text in an
    # expression); rounded, so that few distinct skeletons are drawn.
    widest = max((len(str(v)) for v in df["segment"].dropna().unique()), default=0) * _CHAR_PX
    return df, {**options, "domain": (lo, hi) if domain else None, "states": states, "by_target": by_target,
                "header_px": int(-(-widest // 20) * 20)}


def _heatmap_draw(source, *, title: str = "", row_title: str = "", col_title: str = "", value_title: str = "",
                  domain: tuple[float, float] | None = None, states: tuple = (), by_target: bool = False,
                  header_px: int = 0) -> alt.LayerChart:
    slanted = f"(bandwidth('x') - 6 < {header_px})"
    base = alt.Chart(source).encode(
        # Every column keeps its whole header (up to 180 px): level where the columns are wide enough,
        # slanted where they are not (a laptop, many segment values). By default Vega-Lite
        # dropped every other header when they overlapped; cut to the column, "Tehran" read "Teh…".
        x=alt.X("segment:N", sort=None, title=col_title,
                axis=alt.Axis(labelAngle=alt.ExprRef(f"{slanted} ? -40 : 0"),
                              labelAlign=alt.ExprRef(f"{slanted} ? 'left' : 'center'"),
                              labelBaseline=alt.ExprRef(f"{slanted} ? 'middle' : 'bottom'"),
                              labelFontSize=_FONT, orient="top", labelOverlap=False, labelLimit=180)),
        y=alt.Y("name:N", sort=None, title=row_title, axis=alt.Axis(labelFontSize=_FONT, **_wrap(34))),
    )
    tips = [alt.Tooltip("name:N", title="Node"), alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("value_text:N", title="Value"), alt.Tooltip("ci_text:N", title="95% CI"),
            alt.Tooltip("n_text:N", title="n")]
    # Each cell's colour is worked out beforehand (its status's ramp, or the KPI's scale) and
    # drawn as given: one Vega scale cannot be red, amber and green by a status and deeper by a
    # distance at once.
    cells = base.mark_rect(stroke="white").encode(color=alt.Color("fill:N", scale=None), tooltip=tips)
    # The legend's swatches: each state's colour halfway along its ramp. Drawn under the cells,
    # which cover it: a legend needs a scale, the cells' literal colours have none.
    swatch = {n: _hex(_ramp_color(0.5, [(0.0, HEAT_RAMPS[s][0]), (1.0, HEAT_RAMPS[s][1])])) if s in HEAT_RAMPS
              else HEAT_GREYS[s] for s, n in HEAT_STATES.items()}
    states_key = base.mark_rect().encode(
        color=alt.Color("state_name:N", title="Target" if by_target else None,
                        scale=alt.Scale(domain=list(states), range=[swatch[n] for n in states]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=260, columns=3)),
        tooltip=tips)
    if by_target:
        tips = [*tips, alt.Tooltip("state_name:N", title="Target")]
        cells = cells.encode(tooltip=tips)
        layers = [states_key.encode(tooltip=tips), cells]
    else:
        # The scale's own gradient, under the grid: beside a grid of two rows a 200 px gradient was cut off.
        scale = alt.Scale(scheme="redyellowgreen", domain=list(domain), clamp=True) if domain else \
            alt.Scale(scheme="redyellowgreen")
        key = base.mark_rect().encode(
            color=alt.Color("value_plot:Q", title=value_title, scale=scale,
                            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200)),
            tooltip=tips)
        layers = [key, states_key, cells] if states else [key, cells]
    # The number in a cell is where the pointer rests: it tells what the cell does (Streamlit's
    # theme gives a mark without a tooltip one listing its raw fields, text_color and all).
    # No number where a column is too narrow to hold one: on a phone, 70.0 69.7 76.5 ran together
    # as '70.069.776.5' (found by an audit); the tooltip still gives it.
    text = base.mark_text(fontSize=_FONT, opacity=alt.ExprRef(f"bandwidth('x') < {_CELL_MIN_PX} ? 0 : 1")).encode(
        text=alt.Text("cell_text:N"), color=alt.Color("text_color:N", scale=None), tooltip=tips)
    # Literal colours are kept out of the legend's scale: shared, Vega-Lite would join them to it
    # and draw nothing at all.
    return alt.layer(*layers, text).resolve_scale(color="independent").properties(title=title, height=alt.Step(36))


# Importance x performance: the priority of each quadrant in its own colour (red: improve first).
QUADRANT_COLORS = {"Improve first": "#cf222e", "Keep up": "#1a7f37", "Maintain": "#0969da", "Lower priority": "#6e7781",
                   "Goes against": "#8250df"}
_DRIVER_TIPS = [alt.Tooltip("name:N", title="Driver"), alt.Tooltip("importance_text:N", title="Importance"),
                alt.Tooltip("ci_text:N", title="95% CI"), alt.Tooltip("r_text:N", title="Correlation"),
                alt.Tooltip("performance_text:N", title="Performance (0-100)"), alt.Tooltip("n_text:N", title="n"),
                alt.Tooltip("quadrant_name:N", title="Priority")]


def _driver_texts(df: pd.DataFrame) -> pd.DataFrame:
    """The drivers' tooltip texts ("14.8%", "11.3% – 18.4%", "n 2,201"); a segment's withheld
    figures (tables.SEGMENT_WITHHELD) read "—"."""
    return df.assign(importance_text=_texts(df["importance"], lambda v: f"{v:.1f}%"),
                     ci_text=_ci_texts(df["importance_low"], df["importance_high"], "top_box"),
                     r_text=_texts(df["r"], lambda v: f"{v:.2f}"),
                     performance_text=_texts(df["performance"], lambda v: f"{v:.1f}"),
                     n_text=_counts(df["n"]))


def importance(df: pd.DataFrame, *, title: str = "", selectable: bool = False) -> alt.LayerChart:
    """Each driver's importance (% of the explained variance) with its 95% interval, most important
    on top, coloured by its priority (`tables.drivers_frame`); hidden drivers are left out. With
    `selectable`, a click selects the driver's key (SELECT_NODE)."""
    data, facts = _importance_prepare(df, title=title, selectable=selectable)
    return _importance_draw(data, **facts)


def _importance_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df[df["importance"].notna()].copy()
    df["label"] = [f"{v:.1f}%" + (" *" if st == "low_n" else "") for v, st in zip(df["importance"], df["status"])]
    df["quadrant_name"] = df["quadrant_name"].fillna("")
    return _driver_texts(df), dict(options)


def _importance_draw(source, *, title: str = "", selectable: bool = False) -> alt.LayerChart:
    base = alt.Chart(source).encode(
        y=alt.Y("name:N", sort=alt.EncodingSortField("order", op="min"), title=None,
                axis=alt.Axis(labelFontSize=_FONT, **_wrap(30))))
    bar = base.mark_bar(height={"band": 0.7}, cornerRadiusEnd=3, opacity=0.85).encode(
        x=alt.X("importance:Q", title="Share of the explained differences (%)",
                scale=alt.Scale(domainMin=0, nice=True)),
        color=alt.Color("quadrant_name:N", scale=alt.Scale(domain=list(QUADRANT_COLORS),
                                                           range=list(QUADRANT_COLORS.values())),
                        legend=alt.Legend(title="Priority", orient="bottom", columns=2, labelLimit=260)),
        tooltip=_DRIVER_TIPS)
    if selectable:
        bar = bar.add_params(alt.selection_point(name=SELECT_NODE, fields=["key"], on="click", clear=False))
    rule = base.mark_rule(color="#24292f", strokeWidth=1.5).encode(
        x=alt.X("importance_low:Q"), x2=alt.X2("importance_high"), tooltip=_DRIVER_TIPS)
    text = base.mark_text(align="left", dx=6, fontSize=_FONT, color="#24292f").encode(
        x=alt.X("importance_high:Q"), text=alt.Text("label:N"), tooltip=_DRIVER_TIPS)
    return alt.layer(bar, rule, text).properties(height=alt.Step(34), title=title)


def priority_matrix(df: pd.DataFrame, *, title: str = "", mid_importance: float | None = None,
                    mid_performance: float | None = None, selectable: bool = False) -> alt.LayerChart:
    """Importance x performance: a point per driver (importance right, performance up), lines at
    the average importance and performance that cut it into the four priorities. With
    `selectable`, a click selects the driver's key (SELECT_NODE)."""
    data, facts = _matrix_prepare(df, title=title, mid_importance=mid_importance, mid_performance=mid_performance,
                                  selectable=selectable)
    return _matrix_draw(data, **facts)


def _matrix_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df[df["importance"].notna() & df["performance"].notna()].copy()
    df["quadrant_name"] = df["quadrant_name"].fillna("")
    hi_x = float(df["importance"].max()) if len(df) else 100.0
    lo_y = float(df["performance"].min()) if len(df) else 0.0
    hi_y = float(df["performance"].max()) if len(df) else 100.0
    # Room around the points for their labels; the axes start where the data does, so close
    # performances are not squeezed into a line at the top of a 0-100 axis.
    pad = max(2.0, (hi_y - lo_y) * 0.15)
    facts = {**options, "x_max": round(hi_x * 1.2 + 1, 1), "y_min": round(max(0.0, lo_y - pad), 1),
             "y_max": round(min(100.0, hi_y + pad), 1)}
    df = _place_labels(df, facts["x_max"], facts["y_min"], facts["y_max"])
    return _driver_texts(df), facts


_MATRIX_LINE = 24  # characters of a line of a point's name in the matrix
_PLOT_PX = (480, 360)  # the matrix's plot area on a narrow screen: names clear there clear on a wider one


def _place_labels(df: pd.DataFrame, x_max: float, y_min: float, y_max: float) -> pd.DataFrame:
    """Where each point's name goes: right of it, else left, else a line above or below, whichever
    first overlaps no other name or point (two drivers of equal scores wrote their names over each
    other). Worked out in pixels of a typical plot, then given in data units."""
    w, h = _PLOT_PX
    px = lambda x, y: ((x / (x_max or 1)) * w, (1 - (y - y_min) / ((y_max - y_min) or 1)) * h)  # noqa: E731
    points = [px(x, y) for x, y in zip(df["importance"], df["performance"])]
    boxes: list[tuple[float, float, float, float]] = []
    sides, xs, ys = [], [], []

    def clear(box) -> bool:
        x0, y0, x1, y1 = box
        if x0 < 0 or x1 > w + 60 or y0 < -8 or y1 > h + 8:
            return False
        if any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes):
            return False
        return not any(x0 - 6 < cx < x1 + 6 and y0 - 6 < cy < y1 + 6 for cx, cy in points)

    texts = []
    for (cx, cy), name in zip(points, df["name"].astype(str)):
        # A long name on lines of up to 24 characters: on one line, "Ease of doing business
        # (relationship survey)" ran over the average's line and off a narrow plot.
        lines = textwrap.wrap(name, _MATRIX_LINE) or [name]
        texts.append("\n".join(lines))
        width, half = max(len(line) for line in lines) * 6.6, 8 + 7 * (len(lines) - 1)
        off = 15 + 10 * (len(lines) - 1)  # clear of the point: a block of lines is centred on its y
        options = [("right", cx + 10, cy), ("left", cx - 10, cy), ("right", cx + 4, cy - off), ("right", cx + 4, cy + off),
                   ("left", cx - 4, cy - off), ("left", cx - 4, cy + off)]
        for side, ax, ay in options:
            box = (ax, ay - half, ax + width, ay + half) if side == "right" else (ax - width, ay - half, ax, ay + half)
            if clear(box):
                break
        else:
            side, ax, ay = options[0]
            box = (ax, ay - half, ax + width, ay + half)
        boxes.append(box)
        sides.append(side)
        xs.append(ax / w * (x_max or 1))
        ys.append(y_min + (1 - ay / h) * ((y_max - y_min) or 1))
    return df.assign(label_side=sides, label_x=xs, label_y=ys, label_text=texts)


def _matrix_draw(source, *, title: str = "", mid_importance=None, mid_performance=None, x_max: float = 100.0,
                 y_min: float = 0.0, y_max: float = 100.0, selectable: bool = False) -> alt.LayerChart:
    x_scale = alt.Scale(domain=[0, x_max], nice=False)
    y_scale = alt.Scale(domain=[y_min, y_max], nice=False, zero=False)
    x = alt.X("importance:Q", title="Importance: share of the explained differences (%)", scale=x_scale)
    y = alt.Y("performance:Q", title="Performance (mean answer, 0-100)", scale=y_scale)
    base = alt.Chart(source).encode(x=x, y=y)
    points = base.mark_circle(size=160, opacity=0.9).encode(
        color=alt.Color("quadrant_name:N", scale=alt.Scale(domain=list(QUADRANT_COLORS), range=list(QUADRANT_COLORS.values())),
                        legend=alt.Legend(title="Priority", orient="bottom", columns=2, labelLimit=260)),
        tooltip=_DRIVER_TIPS)
    if selectable:
        points = points.add_params(alt.selection_point(name=SELECT_NODE, fields=["key"], on="click", clear=False))
    at = alt.Chart(source).encode(x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale),
                                  text=alt.Text("label_text:N"), tooltip=_DRIVER_TIPS)
    right = at.mark_text(align="left", baseline="middle", fontSize=12, color="#24292f", lineBreak="\n").transform_filter(
        "datum.label_side == 'right'")
    left = at.mark_text(align="right", baseline="middle", fontSize=12, color="#24292f", lineBreak="\n").transform_filter(
        "datum.label_side == 'left'")
    layers = [points, right, left]
    if mid_importance is not None:
        layers.insert(0, alt.Chart(source).mark_rule(color="#8c959f", strokeDash=[4, 4]).encode(
            x=alt.X(datum=float(mid_importance), scale=x_scale)))
    if mid_performance is not None:
        layers.insert(0, alt.Chart(source).mark_rule(color="#8c959f", strokeDash=[4, 4]).encode(
            y=alt.Y(datum=float(mid_performance), scale=y_scale)))
    return alt.layer(*layers).properties(height=460, title=title)


def driver_grid(df: pd.DataFrame, *, title: str = "", col_title: str = "") -> alt.LayerChart:
    """Driver x segment grid of importance (`tables.driver_grid`): a darker blue is a larger
    share; a segment too small to show says 'hidden'."""
    data, facts = _grid_prepare(df, title=title, col_title=col_title)
    return _grid_draw(data, **facts)


_BLUES = ["#f7fbff", "#08306b"]


def _grid_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df.copy()
    top = float(df["importance"].max()) if df["importance"].notna().any() else 100.0
    df["cell_text"] = [("hidden" if st == "hidden" else "–") if pd.isna(v) else f"{v:.0f}%" + (" *" if st == "low_n" else "")
                       for v, st in zip(df["importance"], df["status"])]
    df["importance_text"] = [{"hidden": "hidden (privacy)", "flat": "one answer from every response: nothing to explain"}
                             .get(st, "no data") if pd.isna(v) else
                             f"{v:.1f}%" + (" (low n: read with care)" if st == "low_n" else "")
                             for v, st in zip(df["importance"], df["status"])]
    df["ci_text"] = _ci_texts(df["importance_low"], df["importance_high"], "top_box")
    df["n_text"] = _counts(df["n"])
    stops = [(0.0, _BLUES[0]), (1.0, _BLUES[1])]
    df["text_color"] = [_DARK_TEXT if pd.isna(v) else _text_on(_ramp_color(float(v) / (top or 1.0), stops))
                        for v in df["importance"]]
    seg = df["segment"]
    cols = list(seg.cat.categories) if isinstance(seg.dtype, pd.CategoricalDtype) else list(pd.unique(seg))
    df["segment"] = seg.astype(str)
    return df, {**options, "top": round(top, 1), "columns": tuple(str(c) for c in cols)}


def _grid_draw(source, *, title: str = "", col_title: str = "", top: float = 100.0, columns: tuple = ()) -> alt.LayerChart:
    header_px = int(max((len(c) for c in columns), default=0) * _CHAR_PX)
    slanted = f"(bandwidth('x') - 6 < {header_px})"  # as the heatmap's headers: whole, slanted where narrow
    base = alt.Chart(source).encode(
        x=alt.X("segment:N", sort=list(columns), title=col_title or None,
                axis=alt.Axis(labelAngle=alt.ExprRef(f"{slanted} ? -40 : 0"),
                              labelAlign=alt.ExprRef(f"{slanted} ? 'left' : 'center'"),
                              labelBaseline=alt.ExprRef(f"{slanted} ? 'middle' : 'bottom'"),
                              labelFontSize=_FONT, orient="top", labelOverlap=False, labelLimit=180)),
        # Names on two lines of 180 px at most (the whole name in the tooltip): on a laptop's narrow
        # window a long name on one line took the room of the cells, which then had none for their numbers.
        y=alt.Y("name:N", sort=alt.EncodingSortField("order", op="min"), title=None,
                axis=alt.Axis(labelFontSize=_FONT, **_wrap(23))))
    tips = [alt.Tooltip("name:N", title="Driver"), alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("importance_text:N", title="Importance"), alt.Tooltip("ci_text:N", title="95% CI"),
            alt.Tooltip("n_text:N", title="Responses")]
    # Hidden cells a darker grey than the palest blue (a cell near 0%): they read as empty, not small.
    colour = alt.condition("datum.importance == null", alt.value("#d0d7de"),
                           alt.Color("importance:Q", title="Importance (%)", scale=alt.Scale(domain=[0, top], range=_BLUES),
                                     legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200)))
    rect = base.mark_rect(stroke="white", invalid="show").encode(color=colour, tooltip=tips)
    text = base.mark_text(fontSize=_FONT, opacity=alt.ExprRef(f"bandwidth('x') < {_CELL_MIN_PX} ? 0 : 1")).encode(
        text=alt.Text("cell_text:N"), color=alt.Color("text_color:N", scale=None), tooltip=tips)
    # Independent colour scales: the text's literal colours must not join the cells' (see heatmap).
    return alt.layer(rect, text).resolve_scale(color="independent").properties(title=title, height=alt.Step(36))


def response_rates(df: pd.DataFrame, *, title: str = "", overall: float | None = None) -> alt.LayerChart:
    """Response rate (%) of each value of one dimension (`tables.rates_frame`) with its 95%
    interval, a dashed line at the rate of all invitations; the values answering significantly
    less than the rest in red, more in green. Hidden values say so at the axis."""
    data, facts = _rates_prepare(df, title=title, overall=overall)
    return _rates_draw(data, **facts)


RATE_COLORS = {"below": "#cf222e", "above": "#1a7f37", "same": "#57606a"}


def _rates_prepare(df: pd.DataFrame, **options) -> tuple[pd.DataFrame, dict]:
    df = df.copy()
    df["order"] = range(len(df))
    df["label"] = [("hidden (privacy)" if hidden else f"{v:.1f}%" + (" *" if low else ""))
                   for v, hidden, low in zip(df["rate"], df["suppressed"], df["low_n"])]
    df["label_x"] = df["ci_high"].where(df["rate"].notna(), 0.0)
    # As text, "—" where missing: Vega's own formats wrote the rest of a list of one value "null".
    df["ci_text"] = _ci_texts(df["ci_low"], df["ci_high"], "top_box")
    df["responded_text"] = _counts(df["responded"])
    df["invited_text"] = _counts(df["invited"])
    df["rest_text"] = _texts(df["rest_rate"], lambda v: f"{v:.1f}%")
    df["against"] = ["same" if not sig or pd.isna(r) else "below" if r < rest else "above"
                     for r, rest, sig in zip(df["rate"], df["rest_rate"], df["significant"])]
    top = pd.concat([df["ci_high"], pd.Series([options.get("overall")], dtype="float")]).max()
    return df, {**options, "x_max": float(min(100.0, max(10.0, (top if pd.notna(top) else 0.0) * 1.25)))}


_RATE_TIPS = [alt.Tooltip("name:N", title="Value"), alt.Tooltip("label:N", title="Response rate"),
              alt.Tooltip("ci_text:N", title="95% CI"), alt.Tooltip("responded_text:N", title="Responded"),
              alt.Tooltip("invited_text:N", title="Invited"), alt.Tooltip("rest_text:N", title="The rest of the list")]


def _rates_draw(source, *, title: str = "", overall: float | None = None, x_max: float = 100.0) -> alt.LayerChart:
    base = alt.Chart(source).encode(
        y=alt.Y("name:N", sort=alt.EncodingSortField("order", op="min"), title=None,
                axis=alt.Axis(labelFontSize=_FONT, **_wrap(26))))
    x = alt.X("rate:Q", title="Response rate (%)", scale=alt.Scale(domain=[0, x_max], clamp=True))
    bar = base.mark_bar(height={"band": 0.7}, cornerRadiusEnd=3, opacity=0.85).encode(
        x=x, color=alt.Color("against:N", scale=alt.Scale(domain=list(RATE_COLORS), range=list(RATE_COLORS.values())),
                             # Short labels in two columns: a half-width chart cut a row of three off.
                             legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=150, labelExpr=(
                                 "datum.label == 'below' ? 'answers less' : datum.label == 'above' ? "
                                 "'answers more' : 'no clear difference'"))),
        tooltip=_RATE_TIPS)
    rule = base.mark_rule(color="#24292f", strokeWidth=1.5).encode(x=alt.X("ci_low:Q"), x2=alt.X2("ci_high"),
                                                                   tooltip=_RATE_TIPS)
    text = base.mark_text(align="left", dx=6, fontSize=_FONT, color="#24292f").encode(
        x=alt.X("label_x:Q"), text=alt.Text("label:N"), tooltip=_RATE_TIPS)
    layers = [bar, rule, text]
    if overall is not None:
        layers.append(alt.Chart(source).mark_rule(color="#24292f", strokeDash=[4, 3]).encode(
            x=alt.datum(overall), tooltip=alt.value(f"All invitations: {overall:.1f}%")))
    return alt.layer(*layers).properties(height=alt.Step(30), title=title)


_PARTS: dict[Callable, tuple[Callable, Callable]] = {
    node_bars: (_node_bars_prepare, _node_bars_draw),
    trend: (_trend_prepare, _trend_draw),
    heatmap: (_heatmap_prepare, _heatmap_draw),
    movers: (_movers_prepare, _movers_draw),
    importance: (_importance_prepare, _importance_draw),
    priority_matrix: (_matrix_prepare, _matrix_draw),
    driver_grid: (_grid_prepare, _grid_draw),
    response_rates: (_rates_prepare, _rates_draw),
}


def spec(chart: Callable, df: pd.DataFrame, **options) -> dict:
    """The Vega-Lite spec of `chart(df, **options)` (one of this module's charts), with the same
    marks, encodings and values; its data is the named data set DATA. Altair draws each set of
    facts once per process (`_skeleton`); each call adds only the data."""
    prepare, draw = _PARTS[chart]
    data, facts = prepare(df, **options)
    out = copy.deepcopy(_skeleton(draw, tuple(sorted(facts.items()))))
    out["datasets"] = {**out.get("datasets", {}), DATA: _records(data)}
    return out


_SIZED = ("fontSize", "labelFontSize", "titleFontSize", "step", "labelLimit", "size", "height")
# A slide's charts, presentation mode's and the deck's pictures alike (`large`): their axis labels
# and legends 17-19 px, their titles and the bars' values 23 px, as large as the captions of the
# slide around them (19 px) and read from the back of a room. At 1.05 a trend's labels were
# 11.5-13.7 px, at 1.3 the bars' 14.3 px, against 19-42 px for the rest of the slide (found by a
# presenter).
SLIDE_SCALE = 1.75


def large(spec: dict, scale: float = SLIDE_SCALE) -> dict:
    """The spec with its type and row heights `scale` times larger, for a screen shared in a
    review (presentation mode, the deck's pictures: `SLIDE_SCALE`): every size the chart sets
    itself grows, and Vega-Lite's defaults for the rest (axis titles, legends, the chart's title)
    get the same factor."""
    def grow(node):
        if isinstance(node, dict):
            return {k: (v * scale if k in _SIZED and isinstance(v, (int, float)) and not isinstance(v, bool)
                        else grow(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [grow(v) for v in node]
        return node

    data = spec.get("datasets")
    out = grow({k: v for k, v in spec.items() if k != "datasets"})  # the data keeps its numbers
    if data is not None:
        out["datasets"] = data
    # A chart's own size of labels that its expressions read too (the month trend's spacing).
    if "params" in out:
        out["params"] = [{**p, "value": p["value"] * scale} if p.get("name") == LABEL_SIZE else p for p in out["params"]]
    config = out.setdefault("config", {})
    # Black labels: grey on a projector's washed-out white is hard to read from the back of a room.
    for part, defaults in (("axis", {"labelFontSize": 11, "titleFontSize": 11, "labelColor": "#000", "titleColor": "#000"}),
                           ("legend", {"labelFontSize": 10, "titleFontSize": 11, "labelColor": "#000", "titleColor": "#000"}),
                           ("title", {"fontSize": 13}), ("text", {"fontSize": 11})):
        config[part] = {**{k: v * scale if isinstance(v, (int, float)) else v for k, v in defaults.items()},
                        **config.get(part, {})}
    # Streamlit's theme colours axis and legend text through these styles, which win over labelColor.
    config["style"] = {**config.get("style", {}), "guide-label": {"fill": "#000"}, "guide-title": {"fill": "#000"}}
    return out


def readable(spec: dict, color: str = "#31333f") -> dict:
    """The spec with its axis and legend text in the page's text colour: Streamlit's theme greys
    it (#808495, 3.7:1 on white at 11 px), too faint on a projector (found by an audit)."""
    out = dict(spec)
    config = dict(out.get("config", {}))
    for part in ("axis", "legend"):
        config[part] = {"labelColor": color, "titleColor": color, **config.get(part, {})}
    # Streamlit's theme colours axis and legend text through these styles, which win over labelColor.
    config["style"] = {"guide-label": {"fill": color}, "guide-title": {"fill": color}, **config.get("style", {})}
    out["config"] = config
    return out


@functools.lru_cache(maxsize=256)
def _skeleton(draw: Callable, facts: tuple) -> dict:
    return to_spec(draw(alt.NamedData(DATA), **dict(facts)))


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON values exactly as Altair writes them (missing values null, times as ISO strings
    without a zone, which Vega-Lite reads as local time), a few times faster than Altair's
    per-column sanitising."""
    times = [c for c in df.columns if str(df[c].dtype).startswith(("datetime", "timestamp"))]
    if times:
        df = df.assign(**{c: df[c].apply(lambda x: x.isoformat()).replace("NaT", "") for c in times})
    return df.astype(object).where(df.notna(), None).to_dict(orient="records")


def _js(s: str | None) -> str:
    return (s or "").replace("\\", "\\\\").replace("'", "\\'")
