"""Segments: any level of the pyramid side by side per customer segment (touchpoint x segment heatmap)."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, drill, movers, tables
from cxdata.markdown import escape
from pages import _ui

_ui.start_page("segments")

_ui.ensure_data()
model = _ui.model()
view = _ui.sidebar(_ui.current_view(), split=True)
cat = _ui.catalog()
p = _ui.pyramid(view)

_ui.page_header("Segments", p)
if not model.segments:
    st.info("This model defines no segment dimensions.")
    st.stop()
dim = drill.split_dim(view, model)  # (as the sidebar's Split by shows it)
seg_name = model.segment(dim).name
if not cat.segments.get(dim):
    st.info(f"The data has no values for {seg_name}.")
    st.stop()

# The grid's rows: the touchpoints, or the teams of one; its KPI one those rows have (the teams'
# KPIs are not all their touchpoint's: a relationship survey rates touchpoints only).
rows_of = p.teams_of(view.tp) if view.tp else p.touchpoints
rows_name = f"teams of {model.touchpoint(view.tp).name}" if view.tp else "touchpoints"
kpi_options = list(dict.fromkeys(k.kpi.key for t in rows_of for k in t.kpis))
names = {k.kpi.key: k.kpi.name for t in rows_of for k in t.kpis}
if not kpi_options:
    st.info(f"The {rows_name} have no KPIs in this model.")
    st.stop()
kpi = view.kpi if view.kpi in kpi_options else kpi_options[0]
if view.kpi and view.kpi not in kpi_options:
    # A link made for another view, or a KPI of the touchpoints kept on opening the teams: say
    # so, and keep the URL to what is shown (as the team view does).
    st.warning(escape(f"The {rows_name} have no KPI '{view.kpi}': showing {names[kpi]}."),
               icon=":material/link_off:")
    view = replace(view, kpi=None)
    _ui.set_view(view)
sp = _ui.split(view, dim, kpis=(kpi,))
# Coded segment values are shown by their labels from the model ('in_app' as 'In-app').
seg_label = model.segment(dim).label
rec = sp.records.assign(segment=lambda d: d["segment"].map(seg_label))
order = ["All", *(seg_label(s) for s in sp.segments)]

st.subheader(f"{p.index.name} by {seg_name}")
idx = rec[rec["level"] == "index"].assign(name=lambda d: d["segment"], key=lambda d: d["segment"])
idx = idx[idx["value"].notna() | idx["suppressed"]]  # segments no index answer reaches are left out
_ui.cached_chart(charts.node_bars, idx, selectable=False, title=f"{p.index.headline.kpi.name} by {seg_name}",
                 domain=_ui.bar_domain(p.index.headline),
                 file=_ui.chart_file(f"{p.index.name} · {p.index.headline.kpi.name} by {seg_name}",
                                     ("segments", "index", p.index.headline.kpi.key, f"by-{dim}"), p))
_ui.movement(movers.of_segments(sp.index, {s: seg_label(s) for s in sp.segments}, seg_name),
             f"What moved the {p.index.name}, by {seg_name}", "segments", p, node="index", by=dim)

if p.journeys and not view.tp and any(k.kpi.key == kpi for j in p.journeys for k in j.kpis):
    # The journeys first, on the same KPI: each row pools its touchpoints' answers.
    j_grid = tables.heatmap_grid(rec, level="journey", kpi=kpi, order=order)
    st.subheader(f"Journeys × {seg_name}")
    j_shown = next(k for j in p.journeys for k in j.kpis if k.kpi.key == kpi)
    _ui.cached_chart(charts.heatmap, j_grid, value_title=j_shown.kpi.name, col_title=seg_name,
                     domain=_ui.bar_domain(j_shown),
                     file=_ui.chart_file(f"Journeys × {seg_name}", ("heatmap", "index", "journeys", kpi, f"by-{dim}"), p, j_shown.kpi.name,
                                         note=tables.hidden_note(j_grid), view=view))

level = "team" if view.tp else "touchpoint"
filters = _ui.filters_text(view)  # now: the download is made on a thread of its own
grid = tables.heatmap_grid(rec, level=level, kpi=kpi, order=order, parent=view.tp)
heading = f"Teams of {model.touchpoint(view.tp).name}" if view.tp else "Touchpoints"
st.subheader(f"{heading} × {seg_name}")
if view.tp and st.button("◂ All touchpoints"):
    _ui.update_view(tp=None)
    st.rerun()
# Under the grid's heading, not above it, where it read as part of what moved the index (found by an audit).
st.session_state["w_kpi"] = kpi
st.selectbox("KPI", kpi_options, format_func=names.get, key="w_kpi", on_change=lambda: _ui.update_view(kpi=st.session_state["w_kpi"]))
shown = next(k for t in rows_of for k in t.kpis if k.kpi.key == kpi)
_ui.cached_chart(charts.heatmap, grid, value_title=names[kpi], col_title=seg_name, domain=_ui.bar_domain(shown),
                 file=_ui.chart_file(f"{heading} × {seg_name}", ("heatmap", view.tp or "index", level + "s", kpi, f"by-{dim}"), p, names[kpi],
                                     note=tables.hidden_note(grid), view=view))
st.caption("Each cell is coloured by its target status, as its tile's badge: green on target, amber near target (short "
           "of it, but within the 95% interval), red below target, deeper the farther from the row's own target; a row "
           "without a target is light grey with its value written (without any targets the colours run over the KPI's "
           "whole scale, the same in every view). – no responses; hidden (darker grey): too few to show (privacy "
           "threshold). * marks low reliability. The 'All' column is each row's total; segments without a response for "
           "this KPI are left out.")
_ui.table_downloads(
    "Download these figures", lambda: tables.split_frame(rec, p, level=level, kpi=kpi, parent=view.tp, dimension=seg_name,
                                                         filters=filters), ("segments", view.tp or "index", level + "s", kpi, f"by-{dim}"), p,
    help=f"The index and the {rows_name} by {seg_name} ('All': each row's total) as on this page: value, interval, n, "
         "change, significance and target status. Hidden figures stay blank.", key="split", sheet=f"By {seg_name}")
if not view.tp:
    choice = st.selectbox("Show the teams of", [None] + [t.key for t in model.touchpoints],
                          format_func=lambda k: "—" if k is None else model.touchpoint(k).name)
    if choice:
        _ui.update_view(tp=choice)
        st.rerun()
