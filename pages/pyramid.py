"""Home: the measurement pyramid — index on top, touchpoints below, the selected touchpoint's teams."""

import streamlit as st

from cxdata import charts, movers, tables
from cxdata.markdown import escape
from cxdata.pyramid import level_first, level_kpi, tile_kpi
from pages import _ui

grant = _ui.start_page("pyramid")

_ui.ensure_data()
model = _ui.model()
view = _ui.sidebar(_ui.current_view())
p = _ui.pyramid(view)

if not grant.sees_all:
    # A team member's home: their teams' tiles. The index and the touchpoints count other
    # teams' customers, which are not theirs to see (cxdata.access).
    _ui.page_header(model.name, p)
    st.caption(escape(f"Your access covers {grant.describe(model)}: the index and the touchpoints, which count "
                      "other teams' customers too, are not shown."))
    if _ui.catalog().as_of is None:
        st.info("No answers given to your teams have been loaded yet: their tiles fill once an upload brings some.",
                icon=":material/hourglass_empty:")
    tiles = _ui.tile_grid()
    for key in grant.teams:
        node = p.team(key)
        if node is None:
            continue
        with tiles.cell():
            k = tile_kpi(node, None)
            _ui.kpi_tile(node.name, k, show_kpi_name=True)
            if st.button("Open team view ›", key=f"team_{key}", width="stretch"):
                st.switch_page("pages/team.py", query_params=view.drill(model.team(key).touchpoint, key).to_query_params())
    st.stop()

_ui.page_header(model.name, p)
_ui.outside_model_notice()

# Breadcrumb: every level leads back up.
if view.tp:
    crumbs = _ui.breadcrumb()
    if crumbs.button(p.index.name, key="crumb_index", icon=":material/arrow_upward:"):
        _ui.set_view(view.drill(None), rerun=True)
    crumbs.markdown(f"› **{model.touchpoint(view.tp).name}**", width="content")

if p.empty:
    _ui.no_figures(p, view)
    st.stop()

left, mid, right = st.columns([1, 2, 1])
with mid:
    _ui.kpi_tile(p.index.name, p.index.headline, show_kpi_name=True)
    # The index's own view (trend, segments, the comments behind it); a composite has no answers.
    if model.index.kpi.stat != "composite":
        with st.container(horizontal=True):
            if st.button("Index view ›", key="index_view", icon=":material/insights:",
                         help="The index's trend, segments and the comments behind it"):
                st.switch_page("pages/team.py", query_params=view.drill(None).to_query_params())
            # What moves the index: its drivers among the touchpoints, for the same period and filters.
            if st.button("What drives it ›", key="index_drivers", icon=":material/hub:",
                         help="Which touchpoints' ratings go with the index, and which to improve first"):
                st.switch_page("pages/drivers.py", query_params=view.drill(None).to_query_params())

tp_kpi = level_kpi(p.touchpoints)
headline = level_first(p.touchpoints, tp_kpi)
st.subheader(f"Touchpoints · {headline.kpi.name}" if headline else "Touchpoints")
tp_frame = tables.nodes_frame(p.touchpoints, tp_kpi)
event = _ui.cached_chart(
    charts.node_bars, tp_frame, title="Click a bar to see the touchpoint's teams", selected=view.tp,
    domain=_ui.bar_domain(headline) if headline else None, on_select="rerun", key=_ui.chart_key("tp_chart"),
    file=_ui.chart_file("Touchpoints", "touchpoints", p, headline.kpi.name if headline else None, view=view),
)
clicked = _ui.clicked_node(event, "tp_chart")
if clicked and model.touchpoint(clicked):
    _ui.scroll_after_rerun("teams")
    _ui.set_view(view.drill(clicked), rerun=True)

# The selected touchpoint's teams come right under the chart that was clicked, not below the
# tiles, where a presenter's click seemed to do nothing.
if view.tp:
    tp = p.touchpoint(view.tp)
    teams = p.teams_of(view.tp)
    team_kpi = level_kpi(teams)
    team_first = level_first(teams, team_kpi)
    with st.container(key="teams"):
        st.subheader(f"Teams of {tp.name} · {team_first.kpi.name}" if team_first else f"Teams of {tp.name}")
    _ui.scroll_if_asked("teams")
    # The touchpoint's own view: its trend, segments and every comment at it (teams' or none's).
    if st.button(f"Open the view of {tp.name} ›", key="tp_view", icon=":material/insights:"):
        st.switch_page("pages/team.py", query_params=view.drill(view.tp).to_query_params())
    if not teams:
        st.info("This touchpoint has no teams in the model.")
    else:
        team_event = _ui.cached_chart(
            charts.node_bars, tables.nodes_frame(teams, team_kpi), title="Click a team to open its view",
            domain=_ui.bar_domain(team_first) if team_first else None, on_select="rerun", key=_ui.chart_key("team_chart"),
            file=_ui.chart_file(f"Teams of {tp.name}", f"teams-{tp.key}", p, team_first.kpi.name if team_first else None,
                                view=view),
        )
        picked = _ui.clicked_node(team_event, "team_chart")
        if picked and model.team(picked):
            st.switch_page("pages/team.py", query_params=view.drill(view.tp, picked).to_query_params())
        team_tiles = _ui.tile_grid()
        for node in teams:
            with team_tiles.cell():
                k = tile_kpi(node, team_kpi)
                _ui.kpi_tile(node.name, k, show_kpi_name=k.kpi.key != team_kpi)
                if st.button("Open team view ›", key=f"team_{node.key}", width="stretch"):
                    st.switch_page("pages/team.py", query_params=view.drill(view.tp, node.key).to_query_params())
    _ui.movement(movers.of_touchpoint(p, tp.key, tile_kpi(tp, tp_kpi).kpi.key), f"What moved {tp.name}", "teams", p)

# Every touchpoint as a tile (value, interval, change, target), after the drill-down's teams.
if view.tp:
    st.subheader("All touchpoints")
tiles = _ui.tile_grid()
for node in p.touchpoints:
    with tiles.cell():
        k = tile_kpi(node, tp_kpi)
        _ui.kpi_tile(node.name, k, show_kpi_name=k.kpi.key != tp_kpi)
        selected = view.tp == node.key
        if st.button("Teams ▾" if not selected else "Showing teams", key=f"tp_{node.key}", disabled=selected,
                     width="stretch"):
            _ui.scroll_after_rerun("teams")
            _ui.set_view(view.drill(node.key), rerun=True)

if not view.tp:
    _ui.movement(movers.of_composite(p, model), f"What moved the {p.index.name}", "touchpoints", p)

st.divider()
_ui.table_downloads("Download every figure of this view", _ui.figures_frame(p, view), "pyramid", p,
                   help="The index, every touchpoint and team, each KPI: value, interval, n, change, significance and "
                        "target status, for the period and filters shown. Hidden figures stay blank.", key="figures")
_ui.deck_button(view, p)
