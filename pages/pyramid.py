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
            _ui.node_link("team", view.drill(model.team(key).touchpoint, key), node, "Open team view ›", p,
                          key=f"team_{key}", width="stretch")
    st.stop()

_ui.page_header(model.name, p)
_ui.outside_model_notice()

# The journey the view is in (a journey's touchpoints are listed; a touchpoint's own journey).
journey = view.journey_of(model)
journey_node = p.journey(journey) if journey else None

# Breadcrumb: every level leads back up.
if view.tp or journey_node:
    crumbs = _ui.breadcrumb()
    if crumbs.button(p.index.name, key="crumb_index", icon=":material/arrow_upward:"):
        _ui.set_view(view.drill(None), rerun=True)
    if journey_node and view.tp:
        if crumbs.button(journey_node.name, key="crumb_journey", icon=":material/arrow_upward:"):
            _ui.set_view(view.into_journey(journey), rerun=True)
    crumbs.markdown(f"› **{model.touchpoint(view.tp).name if view.tp else journey_node.name}**", width="content")

if p.empty:
    _ui.no_figures(p, view)
    st.stop()

left, mid, right = st.columns([1, 2, 1])
with mid:
    _ui.kpi_tile(p.index.name, p.index.headline, show_kpi_name=True)
    # The index's own view (trend, segments, the comments behind it); a composite has no answers.
    if model.index.kpi.stat != "composite":
        with st.container(horizontal=True):
            _ui.node_link("team", view.drill(None), p.index, "Index view ›", p, key="index_view",
                          icon=":material/insights:", help="The index's trend, segments and the comments behind it")
            # What moves the index: its drivers among the touchpoints, for the same period and filters.
            # The drill path goes along, as with the sidebar's link: the way back leads to it.
            _ui.view_link("drivers", view, "What drives it ›", key="index_drivers", icon=":material/hub:",
                          help="Which touchpoints' ratings go with the index, and which to improve first")

j_kpi = level_kpi(p.journeys)  # (what moved a journey, below, reads it too)
if p.journeys and all(k.status == "no_data" for node in p.journeys for k in node.kpis):
    # A row of "no data" above touchpoints with figures (a relationship survey's ratings, where the
    # journeys pool transactional KPIs) read as a fault (found by an audit): one line says why,
    # and the journeys still narrow the touchpoints.
    st.subheader("Journeys")
    kpi_names = ", ".join(dict.fromkeys(k.kpi.name for node in p.journeys for k in node.kpis))
    st.caption(escape(f"No answers to the journeys' KPIs ({kpi_names}) in {p.period.label()} with these filters; "
                      "the touchpoints below show what was rated."))
    with st.container(horizontal=True):
        for node in p.journeys:
            chosen = journey == node.key and not view.tp
            if st.button(node.name, key=f"journey_{node.key}", disabled=chosen, icon=":material/route:",
                         help=f"The touchpoints of {node.name}"):
                _ui.set_view(view.into_journey(node.key), rerun=True)
elif p.journeys:
    # The journeys between the index and the touchpoints: each pools its touchpoints' answers.
    j_first = level_first(p.journeys, j_kpi)
    st.subheader(f"Journeys · {j_first.kpi.name}" if j_first else "Journeys")
    j_event = _ui.cached_chart(
        charts.node_bars, tables.nodes_frame(p.journeys, j_kpi), title="Click a journey to see its touchpoints",
        selected=journey, domain=_ui.bar_domain(j_first) if j_first else None, on_select="rerun",
        key=_ui.chart_key("journey_chart"),
        file=_ui.chart_file("Journeys", "journeys", p, j_first.kpi.name if j_first else None, view=view),
    )
    picked_journey = _ui.clicked_node(j_event, "journey_chart")
    if picked_journey and model.journey(picked_journey) and picked_journey != journey:
        _ui.set_view(view.into_journey(picked_journey), rerun=True)
    j_tiles = _ui.tile_grid()
    for node in p.journeys:
        with j_tiles.cell():
            k = tile_kpi(node, j_kpi)
            _ui.kpi_tile(node.name, k, show_kpi_name=k.kpi.key != j_kpi)
            chosen = journey == node.key and not view.tp
            if st.button("Showing touchpoints" if chosen else "Touchpoints ▾", key=f"journey_{node.key}",
                         disabled=chosen, width="stretch"):
                _ui.set_view(view.into_journey(node.key), rerun=True)

# The journey's own view (its trend, segments and the comments behind it), as a touchpoint has.
if journey_node and not view.tp:
    _ui.node_link("team", view.into_journey(journey), journey_node, f"Open the view of {journey_node.name} ›", p,
                  key="journey_view", icon=":material/insights:")

# The touchpoints of the journey the view is in, else all of them.
listed = p.touchpoints_of(journey) if journey_node else p.touchpoints
tp_kpi = level_kpi(listed)
headline = level_first(listed, tp_kpi)
row_name = f"Touchpoints of {journey_node.name}" if journey_node else "Touchpoints"
st.subheader(f"{row_name} · {headline.kpi.name}" if headline else row_name)
tp_frame = tables.nodes_frame(listed, tp_kpi)
event = _ui.cached_chart(
    charts.node_bars, tp_frame, title="Click a bar to see the touchpoint's teams", selected=view.tp,
    domain=_ui.bar_domain(headline) if headline else None, on_select="rerun", key=_ui.chart_key("tp_chart"),
    file=_ui.chart_file(row_name, f"touchpoints-{journey}" if journey_node else "touchpoints", p,
                        headline.kpi.name if headline else None, view=view),
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
    _ui.node_link("team", view.drill(view.tp), tp, f"Open the view of {tp.name} ›", p, key="tp_view",
                  icon=":material/insights:")
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
        if picked and model.team(picked) and not all(k.status == "no_data" for k in p.team(picked).kpis):
            # (a click cannot be a link: this way to the team view takes two entries of the browser's
            # history, as st.switch_page writes the query string before it moves; _ui.view_link)
            st.switch_page("pages/team.py", query_params=_ui.opened_on("team", view.drill(view.tp, picked)).to_query_params())
        team_tiles = _ui.tile_grid()
        for node in teams:
            with team_tiles.cell():
                k = tile_kpi(node, team_kpi)
                _ui.kpi_tile(node.name, k, show_kpi_name=k.kpi.key != team_kpi)
                _ui.node_link("team", view.drill(view.tp, node.key), node, "Open team view ›", p,
                              key=f"team_{node.key}", width="stretch")
    _ui.movement(movers.of_touchpoint(p, tp.key, tile_kpi(tp, tp_kpi).kpi.key), f"What moved {tp.name}", "teams", p)

# Every touchpoint as a tile (value, interval, change, target), after the drill-down's teams.
if view.tp:
    st.subheader(f"All touchpoints of {journey_node.name}" if journey_node else "All touchpoints")
tiles = _ui.tile_grid()
for node in listed:
    with tiles.cell():
        k = tile_kpi(node, tp_kpi)
        _ui.kpi_tile(node.name, k, show_kpi_name=k.kpi.key != tp_kpi)
        selected = view.tp == node.key
        if st.button("Teams ▾" if not selected else "Showing teams", key=f"tp_{node.key}", disabled=selected,
                     width="stretch"):
            _ui.scroll_after_rerun("teams")
            _ui.set_view(view.drill(node.key), rerun=True)

if not view.tp and not journey_node:
    _ui.movement(movers.of_composite(p, model), f"What moved the {p.index.name}", "touchpoints", p)
elif not view.tp:
    moved = movers.of_journey(p, journey, tile_kpi(journey_node, j_kpi).kpi.key)
    _ui.movement(moved, f"What moved {journey_node.name}", "touchpoints", p)

st.divider()
_ui.table_downloads("Download every figure of this view", _ui.figures_frame(p, view), "pyramid", p,
                   help="The index, every touchpoint and team, each KPI and Closed loop: value, interval, n, change, "
                        "significance and target status, for the period and filters shown. Hidden figures stay blank.",
                   key="figures", sheet="Figures")
_ui.deck_button(view, p)
