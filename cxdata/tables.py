"""Tidy records of computed results: the single shape fed to charts, tables, exports and the CLI.

Hidden cells carry no value, interval or n, so nothing downstream can leak them.
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from .formats import TARGET_WORDS
from .loop import CLOSED_LOOP
from .pyramid import KpiResult, NodeResult, Pyramid
from .stats import DECIMALS, round_half_up  # noqa: F401  (DECIMALS: where the tables' rounding is defined)


def _r(x: float | None, digits: int) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round_half_up(x, digits)


def kpi_record(node: NodeResult, k: KpiResult) -> dict:
    d = DECIMALS.get(k.kpi.stat, 2)
    shown = k.shown
    rec = {
        "level": node.level,
        "key": node.key,
        "name": node.name,
        "parent": node.parent,
        "kpi": k.kpi.key,
        "kpi_name": k.kpi.name,
        "stat": k.kpi.stat,
        "value": _r(k.current.value, d) if shown else None,
        "n": k.current.n if shown else None,
        "ci_low": _r(k.current.ci_low, d) if shown else None,
        "ci_high": _r(k.current.ci_high, d) if shown else None,
        "previous": _r(k.previous.value, d) if k.delta_shown and k.previous else None,
        "previous_n": k.previous.n if k.delta_shown and k.previous else None,
        "delta": k.shown_delta,
        "z": _r(k.change.z, 2) if k.delta_shown and k.change.z is not None else None,
        "significant": bool(k.change.significant) if k.delta_shown else False,
        "suppressed": k.status == "hidden",
        "low_n": k.status == "low_n",
        "target": k.kpi.target,
        "target_status": k.target_status if shown else None,
    }
    return rec


def pyramid_records(p: Pyramid, closed: Mapping[tuple[str, str], KpiResult] | None = None) -> list[dict]:
    """Every KPI of every node of `p`, a node's closure rate after its KPIs where `closed`
    (`drill.closed_loops`, by level and key) has one."""
    closed = closed or {}
    return [kpi_record(node, k) for node in (p.index, *p.journeys, *p.touchpoints, *p.teams)
            for k in (*node.kpis, *((closed[node.level, node.key],) if (node.level, node.key) in closed else ()))]


def pyramid_frame(p: Pyramid, filters: str = "", closed: Mapping[tuple[str, str], KpiResult] | None = None
                  ) -> pd.DataFrame:
    """Every figure of a pyramid view as one table for a spreadsheet: each row says the period,
    the comparison and the filters it was computed for (a file outlives the screen it came from).
    Hidden cells are blank, as on screen. `closed`: the nodes' closure rates as their Closed loop
    tiles show them (`drill.closed_loops`), whose n counts cases and whose change is against the
    comparison period as it stood at the same age, which their row's `compared_with` says."""
    df = pd.DataFrame(pyramid_records(p, closed), columns=list(kpi_record_columns()))
    df = df.astype({"n": "Int64", "previous_n": "Int64"})  # counts, blank where hidden: not 192.0
    previous = p.previous.label() if p.previous else ""
    compared = [(compared_with(closed[level, key]) or previous) if kpi == CLOSED_LOOP and (level, key) in (closed or {})
                else previous for level, key, kpi in zip(df["level"], df["key"], df["kpi"])]
    return df.assign(period=p.period.label(), compared_with=compared, filters=filters,
                     target_status=_target_words(df["target_status"]))


def compared_with(closed: KpiResult) -> str | None:
    """What a Closed loop tile's change compares with, for a column or field that names what is
    compared: the tile's 'vs 2026-Q2 as of 25 Aug 2026 (same age)' less its 'vs' (None: no comparison)."""
    return closed.compared.removeprefix("vs ") if closed.compared else None


def _target_words(status: pd.Series) -> pd.Series:
    """'on target', 'near target', 'below target': the screen's and the slides' words, not the
    codes of the command line's JSON (found by an audit: a file said 'missed' where the tile said
    'below target')."""
    return status.map(lambda s: TARGET_WORDS.get(s, s) if isinstance(s, str) else s)


def comments_export(comments: pd.DataFrame, total: int | None = None) -> pd.DataFrame:
    """The comments of a view for a spreadsheet: their time a date and time, said to be in UTC.
    `total`: how many the view has, where `comments` are only the newest of them; a first row
    then says so, or the file would pass for every comment of the view."""
    when = pd.to_datetime(comments["When"], errors="coerce")
    out = comments.assign(When=when).rename(columns={"When": "When (UTC)"})
    if total is not None and total > len(comments):
        note = pd.DataFrame({"Comment": [f"This file holds the newest {len(comments):,} of the {total:,} comments of "
                                         "the view: choose a shorter period or more filters for the others."]})
        out = pd.concat([note, out], ignore_index=True)[list(out.columns)]
    return out


def split_frame(records: pd.DataFrame, p: Pyramid, *, level: str, kpi: str, parent: str | None, dimension: str,
                filters: str = "") -> pd.DataFrame:
    """The figures a Segments view shows, for a spreadsheet: the index and the rows of the
    heatmap (`level`'s nodes, under `parent`, on `kpi`) per segment of `dimension`, 'All' being
    each row's total; period, comparison and filters on every row, hidden cells blank."""
    # (the journeys' rows head the touchpoints', as on the page)
    levels = [level] + (["journey"] if level == "touchpoint" and not parent else [])
    rows = records[(records["level"] == "index")
                   | (records["level"].isin(levels) & (records["kpi"] == kpi)
                      & ((records["parent"] == parent) if parent else True))]
    columns = ["segment", *kpi_record_columns()]
    out = rows.reindex(columns=columns).astype({"n": "Int64", "previous_n": "Int64"})
    out = out.assign(target_status=_target_words(out["target_status"]))
    return out.assign(split_by=dimension, period=p.period.label(),
                      compared_with=p.previous.label() if p.previous else "", filters=filters)[
        ["split_by", *columns, "period", "compared_with", "filters"]].reset_index(drop=True)


def nodes_frame(nodes, kpi_key: str | None = None) -> pd.DataFrame:
    """One row per node: its headline KPI (or the KPI `kpi_key` where the node has it)."""
    rows = []
    for node in nodes:
        k = node.kpi(kpi_key) if kpi_key else node.headline
        if k is not None:
            rows.append(kpi_record(node, k))
    return pd.DataFrame(rows, columns=list(kpi_record_columns()))


def kpi_record_columns():
    return ("level", "key", "name", "parent", "kpi", "kpi_name", "stat", "value", "n", "ci_low", "ci_high",
            "previous", "previous_n", "delta", "z", "significant", "suppressed", "low_n", "target", "target_status")


def heatmap_grid(records: pd.DataFrame, *, level: str, kpi: str, order: list[str], parent: str | None = None) -> pd.DataFrame:
    """The cells of a node x segment heatmap (records of a split, `segment` already labelled),
    columns in `order` ('All' first). A segment none of the rows has an answer for is left out,
    as the split's bars leave it out: a column of dashes (a survey source that asks another KPI)
    only pushes the columns that matter apart. A hidden cell is not empty: its column stays."""
    grid = records[(records["level"] == level) & (records["kpi"] == kpi)]
    if parent is not None:
        grid = grid[grid["parent"] == parent]
    has = grid["value"].notna() | grid["suppressed"].astype(bool)
    kept = set(grid.loc[has, "segment"]) | {"All"}
    cols = [c for c in order if c in kept]
    grid = grid[grid["segment"].isin(cols)]
    return grid.assign(segment=grid["segment"].astype("category").cat.set_categories(cols)).sort_values("segment")


HIDDEN_NOTE = "hidden: too few responses to show"


def hidden_note(cells: pd.DataFrame) -> str:
    """What a grid's file says of its hidden cells (`heatmap_grid`'s `suppressed`, `driver_grid`'s
    status 'hidden'), before its subtitle: nothing where none is hidden. Said of every grid, it
    opened the subtitle of grids without a hidden cell (found by a reviewer)."""
    hidden = cells["suppressed"].fillna(False).astype(bool) if "suppressed" in cells else \
        cells["status"].eq("hidden") if "status" in cells else pd.Series(False, index=cells.index)
    return HIDDEN_NOTE if hidden.any() else ""


def movers_frame(mv) -> pd.DataFrame:
    """One row per part of a `movers.Movement`, largest contribution first."""
    return pd.DataFrame([{"key": m.key or "", "name": m.name, "score": m.score, "mix": m.mix, "total": m.total,
                          "value": m.value, "value_before": m.value_before, "share": m.share,
                          "share_before": m.share_before} for m in mv.movers],
                        columns=["key", "name", "score", "mix", "total", "value", "value_before", "share", "share_before"])


DRIVER_COLUMNS = ("key", "name", "measure", "touchpoint", "n", "status", "importance", "importance_low",
                  "importance_high", "r", "r_low", "r_high", "mean", "performance", "quadrant", "quadrant_name", "order")


def drivers_frame(analysis, *, segment: bool = False) -> pd.DataFrame:
    """One row per driver of a `drivers.Analysis`, most important first; a hidden driver keeps its
    name and nothing else (its n would say how few answered it). `segment`: the analysis is one
    segment of a split, whose drivers' n, mean and correlation interval are withheld
    (SEGMENT_WITHHELD)."""
    from .drivers import QUADRANT_NAMES

    rows = []
    for i, d in enumerate(analysis.drivers):
        p = d.predictor
        hidden = d.status == "hidden"
        rows.append({
            "key": p.key, "name": p.name, "measure": p.measure, "touchpoint": p.node,
            "n": None if hidden else d.n, "status": d.status,
            "importance": _r(d.share, 1), "importance_low": _r(d.share_low, 1), "importance_high": _r(d.share_high, 1),
            "r": _r(d.r, 3), "r_low": _r(d.r_low, 3), "r_high": _r(d.r_high, 3),
            "mean": _r(d.mean, 2), "performance": _r(d.performance, 1),
            "quadrant": d.quadrant, "quadrant_name": QUADRANT_NAMES.get(d.quadrant) if d.quadrant else None,
            "order": i,
        })
    frame = pd.DataFrame(rows, columns=list(DRIVER_COLUMNS))
    if segment:
        frame = frame.assign(**{c: None for c in SEGMENT_WITHHELD})
    return frame.assign(n=frame["n"].astype("Int64"))  # whole numbers, blank where hidden


# A segment's per-driver n and mean would give a hidden segment's away by subtraction from the
# whole view's (found by an audit): a segment shows its weights and correlations only.
SEGMENT_WITHHELD = ("n", "mean", "performance", "r_low", "r_high")  # Fisher's interval gives n back


def driver_grid(vd) -> pd.DataFrame:
    """Driver x segment cells of importance (`drivers.ViewDrivers` split by a segment), 'All' first:
    segment, key, name, importance, status, n (of the segment's responses)."""
    rows = []
    order = {d.predictor.key: i for i, d in enumerate(vd.overall.drivers)}
    for a in (vd.overall, *vd.segments):
        seg = "All" if a is vd.overall else a.segment
        by_key = {d.predictor.key: d for d in a.drivers}
        for d in vd.overall.drivers:
            mine = by_key.get(d.predictor.key)
            hidden = a.status == "hidden" or mine is None or mine.status == "hidden"
            rows.append({"segment": seg, "key": d.predictor.key, "name": d.predictor.name,
                         "importance": None if hidden else _r(mine.share, 1),
                         "importance_low": None if hidden else _r(mine.share_low, 1),
                         "importance_high": None if hidden else _r(mine.share_high, 1),
                         # a segment of one outcome answer has no shares, and is not short of answers
                         "status": "hidden" if hidden else "flat" if a.status == "flat" else mine.status,
                         "n": None if a.status == "hidden" else a.n, "order": order[d.predictor.key]})
    cols = ["All", *(a.segment for a in vd.segments)]
    frame = pd.DataFrame(rows, columns=["segment", "key", "name", "importance", "importance_low", "importance_high",
                                        "status", "n", "order"])
    return frame.assign(segment=pd.Categorical(frame["segment"], categories=cols))


def drivers_export(vd, outcome_name: str, filters: str = "", dimension: str | None = None) -> pd.DataFrame:
    """The drivers as a download: every driver's figures, for all responses and per segment."""
    parts = []
    for a in (vd.overall, *vd.segments):
        f = drivers_frame(a, segment=a is not vd.overall) if a.status not in ("hidden", "no_data", "flat") else pd.DataFrame(
            [{"name": d.predictor.name, "status": a.status} for d in vd.overall.drivers], columns=list(DRIVER_COLUMNS))
        f.insert(0, "segment", "All" if a is vd.overall else a.segment)
        f.insert(1, "responses", None if a.status == "hidden" else a.n)
        f["responses"] = f["responses"].astype("Int64")
        f.insert(2, "r_squared", _r(a.r2, 3))
        parts.append(f)
    out = pd.concat(parts, ignore_index=True).drop(columns=["key", "order", "quadrant"])
    out["n"] = out["n"].astype("Int64")
    out.insert(0, "outcome", outcome_name)
    if dimension:
        out.insert(1, "split_by", dimension)
    if filters:
        out["filters"] = filters
    return out.rename(columns={"name": "driver", "importance": "importance_pct", "importance_low": "importance_ci_low",
                               "importance_high": "importance_ci_high", "r": "correlation", "r_low": "correlation_ci_low",
                               "r_high": "correlation_ci_high", "performance": "performance_0_100",
                               "quadrant_name": "priority"})


def closure_records(owners, target: float | None) -> pd.DataFrame:
    """The closure rate of each owner (cxdata.loop.Closure) in the shape of the pyramid's bars; a
    hidden owner's carries no value, interval, n or target status, as a hidden tile's."""
    d = DECIMALS["yes_rate"]
    rows = [{
        "level": "team" if (c.owner or "").startswith("team:") else "touchpoint" if c.owner else "unrouted",
        "key": c.owner or "unrouted", "name": c.name, "parent": None, "kpi": "closure", "kpi_name": "Closure rate",
        "stat": "yes_rate", "value": _r(c.rate.value, d) if c.shown else None, "n": c.cases if c.shown else None,
        "ci_low": _r(c.rate.ci_low, d) if c.shown else None, "ci_high": _r(c.rate.ci_high, d) if c.shown else None,
        "previous": None, "previous_n": None, "delta": None, "z": None,
        "significant": False, "suppressed": c.status == "hidden", "low_n": c.status == "low_n", "target": target,
        "target_status": c.target_status if c.shown else None,
    } for c in owners]
    return pd.DataFrame(rows, columns=list(kpi_record_columns())).astype({"n": "Int64"})


# The decimals of each column of closure_table, which the page's number formats use too: "70"
# beside "70.1" in one column read as two kinds of figure (found in review).
CLOSURE_DECIMALS = {"Contacted in time (%)": DECIMALS["yes_rate"], "Median hours to contact": 1,
                    "Closure rate (%)": DECIMALS["yes_rate"], "95% CI low": DECIMALS["yes_rate"],
                    "95% CI high": DECIMALS["yes_rate"]}


def closure_table(owners) -> pd.DataFrame:
    """Each owner's cases and how they were handled, as the page lists them. A hidden owner
    (cxdata.loop.closure) keeps only its cases still to work, open and overdue: its total and every
    figure of how they were handled are blank (the total less the open would give its rate back)."""
    dec = CLOSURE_DECIMALS
    return pd.DataFrame([{
        "Owner": c.name, "Cases": c.cases if c.shown else None, "Open": c.open, "Overdue": c.overdue,
        "Contacted in time (%)": _r(100.0 * c.in_time / c.due, dec["Contacted in time (%)"]) if c.due and c.shown
        else None,
        "Median hours to contact": _r(c.hours_to_contact, dec["Median hours to contact"]) if c.shown else None,
        **{col: _r(x, dec[col]) if c.shown else None for col, x in
           (("Closure rate (%)", c.rate.value), ("95% CI low", c.rate.ci_low), ("95% CI high", c.rate.ci_high))},
        "Few cases": c.status == "low_n", "Hidden": c.status == "hidden",
    } for c in owners], columns=["Owner", "Cases", "Open", "Overdue", "Contacted in time (%)", "Median hours to contact",
                                 "Closure rate (%)", "95% CI low", "95% CI high", "Few cases", "Hidden"]).astype(
        {"Cases": "Int64", **{col: "Float64" for col in dec}})


def queue_frame(cases: pd.DataFrame, model) -> pd.DataFrame:
    """The cases of a queue (cxdata.loop.queue) as the page lists them: the answer that opened
    each, in the measure's name and the value given, the owner by name, the wait in days.
    Comments and notes stay verbatim: they are shown as plain text only."""
    from .loop import STATUS_NAMES, owner_name

    def trigger(measure, value) -> str:
        m = model.measures.get(measure)
        if m is None or value is None or pd.isna(value):
            return ""
        shown = f"{value:g}" if float(value) != int(value) else f"{int(value)}"
        if tuple(m.scale) == (0.0, 1.0):
            shown = "Yes" if value >= m.top_box else "No"
        return f"{m.name}: {shown}"

    status = cases["status"].map(STATUS_NAMES)
    return pd.DataFrame({
        "When": cases["responded_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "Days open": cases["age_days"].where(cases["status"] != "resolved").round(1),
        "Status": status.where(~cases["overdue"], status + " · overdue"),
        "Answer": [trigger(m, v) for m, v in zip(cases["measure"], cases["value"])],
        "Owner": cases["owner"].map(lambda o: owner_name(model, o if isinstance(o, str) else None)),
        "Customer": cases["customer_id"],
        "Comment": cases["comment"],
        "Note": cases["note"],
        "Updated by": cases["updated_by"],
        "Updated": cases["updated_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "Source": cases["source"].map(model.source_label),
        "Response id": cases["source_response_id"],
    })


def queue_export(queue: pd.DataFrame) -> pd.DataFrame:
    """A queue for a spreadsheet: its times dates and times, said to be in UTC."""
    return queue.assign(When=pd.to_datetime(queue["When"], errors="coerce"),
                        Updated=pd.to_datetime(queue["Updated"], errors="coerce")).rename(
        columns={"When": "When (UTC)", "Updated": "Updated (UTC)"})


def rates_frame(rates, dim: str, model) -> pd.DataFrame:
    """The response rates of one dimension's values (cxdata.invitations.Rates), a row each, with the
    share of the invitations and of the responses each value holds (its coverage). Hidden values
    carry no figure."""
    from .invitations import value_label

    d = DECIMALS["yes_rate"]
    rows = rates.by.get(dim, [])
    total, answered = rates.overall.invited, rates.overall.responded
    out = []
    for r in rows:
        hidden = r.status == "hidden"
        out.append({
            "key": str(r.value), "name": value_label(model, dim, str(r.value)),
            "invited": None if hidden else r.invited, "responded": None if hidden else r.responded,
            "rate": None if hidden else _r(r.rate.value, d), "ci_low": None if hidden else _r(r.rate.ci_low, d),
            "ci_high": None if hidden else _r(r.rate.ci_high, d), "rest_rate": None if hidden else _r(r.rest_rate, d),
            "ratio": None if hidden or r.ratio is None else _r(r.ratio, 3), "significant": bool(r.significant),
            "share_invited": None if hidden or not total else _r(100.0 * r.invited / total, d),
            "share_responded": None if hidden or not answered else _r(100.0 * r.responded / answered, d),
            "low_n": r.status == "low_n", "suppressed": hidden,
        })
    return pd.DataFrame(out, columns=["key", "name", "invited", "responded", "rate", "ci_low", "ci_high", "rest_rate",
                                      "ratio", "significant", "share_invited", "share_responded", "low_n", "suppressed"])


def rates_export(rates, model, period_label: str, filters: str = "") -> pd.DataFrame:
    """Every dimension's response rates in one table for a spreadsheet."""
    from .invitations import dimension_name

    frames = []
    for dim in rates.by:
        f = rates_frame(rates, dim, model).drop(columns=["key", "suppressed"])
        frames.append(f.assign(dimension=dimension_name(model, dim)))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    df = df[["dimension", *[c for c in df.columns if c != "dimension"]]].rename(columns={
        "name": "value", "rate": "response rate (%)", "ci_low": "95% CI low", "ci_high": "95% CI high",
        "rest_rate": "rest of the list (%)", "ratio": "rate / rest", "significant": "significant difference",
        "share_invited": "share of invitations (%)", "share_responded": "share of responses (%)", "low_n": "few invitations"})
    return df.assign(invited_in=period_label, filters=filters).astype({"invited": "Int64", "responded": "Int64"})


def case_history(events: pd.DataFrame, model) -> pd.DataFrame:
    """A case's changes (cxdata.loop.history) as a table, one row per change, oldest first."""
    from .loop import STATUS_NAMES

    def routed(team) -> str | None:
        if not isinstance(team, str):
            return None
        if not team:
            return "automatic routing"
        node = model.team(team)
        return node.name if node else team

    return pd.DataFrame({
        "When (UTC)": events["changed_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "By": events["changed_by"],
        "Status": events["status"].map(lambda s: STATUS_NAMES.get(s, s) if isinstance(s, str) else None),
        "Routed to": events["team"].map(routed),
        "Note": events["note"],
    })
