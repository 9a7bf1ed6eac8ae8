"""Team view: the team's KPIs, its trend with a confidence band, its KPIs by segment, and the
comments behind the number. With a touchpoint and no team in the URL, the same for the touchpoint
(all its teams' answers, and those that name no team); with a journey alone, for the journey (its
touchpoints' answers); with none of them, for the index."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, drill, formats, tables, themes
from cxdata.bidi import embedded, isolated
from cxdata.loop import COMPARED_HELP
from cxdata.search import meaningful
from cxdata.pyramid import chosen_kpi, comments_withheld, narrowed_view
from cxdata.markdown import escape
from pages import _ui

grant = _ui.start_page("team")

_ui.ensure_data()
model = _ui.model()
# With no node in the URL, the index's own view (the relationship survey's comments have no
# other); a composite index (no answers of its own) gets the way to the pyramid instead. (Read
# before current_view drops what it does not know.)
asked_for_node = bool({"team", "tp", "journey"} & set(st.query_params))
view = _ui.current_view()
if not grant.sees_all and view.team not in grant.teams:
    # A team member sees their own teams only: the first of them when the link names no node.
    if asked_for_node:
        st.title("Team view")
        st.warning("This view is outside your access: it counts customers of teams other than yours.",
                   icon=":material/block:")
    for key in grant.teams if asked_for_node else ():
        if st.button(f"Open {model.team(key).name} ›", key=f"own_{key}"):
            st.switch_page("pages/team.py", query_params=view.drill(model.team(key).touchpoint, key).to_query_params())
    if asked_for_node:
        st.stop()
    view = view.drill(model.team(grant.teams[0]).touchpoint, grant.teams[0])
    _ui.set_view(view)
# A link naming a node the model lacks gets the index's view with the problem said: the URL,
# which current_view cleaned of the node, then shows the same on a reload (found by an audit:
# the page said "choose a team", and its own URL reloaded to the index's view).
if not view.team and not view.tp and not view.journey and model.index.kpi.stat == "composite":
    st.title("Team view")
    _ui.link_problems()
    st.info("Choose a team on the Pyramid page (click a touchpoint, then a team).", icon=":material/groups:")
    _ui.view_link("pyramid", view, "Go to the pyramid", key="to_pyramid", icon=":material/change_history:")
    st.stop()

view = _ui.sidebar(view, split=True)
tp = model.touchpoint(view.tp)
p = _ui.pyramid(view)
# `team`: the node shown, a team, a touchpoint (no team in the URL), a journey (a journey alone)
# or the index (none);
# `level` says which.
if view.team:
    level, team = "team", model.team(view.team)
    node = p.team(team.key)
elif view.tp:
    level, team = "touchpoint", tp
    node = p.touchpoint(tp.key)
elif view.journey:
    level, team = "journey", model.journey(view.journey)
    node = p.journey(team.key)
else:
    level, team = "index", p.index
    node = p.index
cur, cat = _ui.cursor(), _ui.catalog()
# The split by segment shown below, of every KPI of the node: its suppression holds for the
# tiles too, or a tile would give back a cell the split hides.
dim = drill.split_dim(view, model)
sp = _ui.split(view, dim, kpis=tuple(k.kpi.key for k in node.kpis)) if dim and node.kpis else None
if sp is not None:
    node = drill.under_split(node, sp)

if level != "index" and grant.sees_all:  # (a team member's way up is their own pyramid page)
    crumb = _ui.breadcrumb()
    _ui.view_link("pyramid", view.drill(None), p.index.name, key="crumb_index", icon=":material/arrow_upward:",
                  into=crumb)
    if level == "team":
        _ui.view_link("pyramid", view.drill(tp.key), tp.name, key="crumb_tp", icon=":material/arrow_upward:", into=crumb)
    crumb.markdown(f"› **{team.name}**", width="content")
_ui.page_header(team.name, p)
if level == "touchpoint":
    st.caption(f"Every answer at {tp.name}: its teams', and those that name no team.")
elif level == "journey":
    st.caption(escape(f"Every answer at its touchpoints: {drill.names_list(model, team.touchpoints)}."))
elif level == "index":
    st.caption("Every answer the index counts. Choose a touchpoint or a team on the Pyramid page to narrow it.")

# The closure rate is a KPI of the node too, next to the others (where drill.closed_loop_shown says).
loop_shown = drill.closed_loop_shown(model, node)
closed = _ui.loop_kpi(view) if loop_shown else None
closed = closed if closed is not None and closed.status != "no_data" else None  # the line below says "no case"
tiles = _ui.tile_grid(len(node.kpis) + (closed is not None))
for k in node.kpis + ((closed,) if closed is not None else ()):
    with tiles.cell():
        _ui.kpi_tile(k.kpi.name, k, show_kpi_name=False, counts="cases" if k is closed else "responses",
                     explain=COMPARED_HELP if k is closed and k.delta_shown else None)

if all(k.status == "no_data" for k in node.kpis):
    st.info(f"No responses for {team.name} in {p.period.label()} with these filters. Choose a longer period or "
            "clear some filters.", icon=":material/search_off:")
    st.stop()

kpi_keys = [k.kpi.key for k in node.kpis]
if loop_shown:  # how its unhappy customers are followed up, and the way to them
    _ui.loop_summary(view, "here" if level == "index" else f"at {team.name}",
                     hidden=closed is not None and closed.status == "hidden")

# The KPI the node's tile would show: its first with answers (a call centre team rated only in
# Zendesk opens on that rating, not on an empty CSAT).
kpi = chosen_kpi(node, view.kpi)
if view.kpi and view.kpi not in kpi_keys:
    # A link made for another team's view: say so, and keep the URL to what is shown.
    st.warning(escape(f"{team.name} has no KPI '{view.kpi}' (the link asked for it): showing {kpi.kpi.name}."),
               icon=":material/link_off:")
    view = replace(view, kpi=None)
    _ui.set_view(view)

st.subheader("Trend")
# Side by side while they fit, one under the other on narrow screens (fixed columns cut the
# grain buttons off).
with st.container(horizontal=True, gap="medium"):
    st.session_state["w_kpi"] = kpi.kpi.key
    st.selectbox("KPI", kpi_keys, format_func=lambda key: node.kpi(key).kpi.name, key="w_kpi",
                 on_change=lambda: _ui.update_view(kpi=st.session_state["w_kpi"]), width=300)
    st.session_state["w_grain"] = view.grain
    st.segmented_control("By", ["week", "month", "quarter"], key="w_grain",
                         on_change=lambda: _ui.update_view(grain=st.session_state["w_grain"] or view.grain))
if level == "journey" and not drill.separate_answers(kpi.kpi, cat):
    st.info(escape(f"No trend, segments or comments for {kpi.kpi.name} of {team.name}: a response rates several of its "
                   "touchpoints, so its answers are not one customer each, and a week's or a segment's count could "
                   "not protect a small group. Open one of its touchpoints on the Pyramid page instead."),
            icon=":material/info:")
    st.stop()
frame = drill.trend_frame(cur, model, cat, view, level=level, node=team.key, kpi=kpi.kpi,
                          total_hidden=kpi.status == "hidden", previous_hidden=kpi.previous_status == "hidden")
_ui.cached_chart(charts.trend, frame, title=f"{kpi.kpi.name} by {view.grain} (95% interval band)", target=kpi.kpi.target,
                 y_title=kpi.kpi.name, grain=view.grain, stat=kpi.kpi.stat,
                 file=_ui.chart_file(f"{team.name} · {kpi.kpi.name} by {view.grain}", ("trend", team.key, kpi.kpi.key, view.grain), p,
                                     note=f"the {drill.TREND_BUCKETS[view.grain]} {view.grain}s up to the end of the period, "
                                          "with 95% interval band", view=view))
# The window is fixed per grain, not the period: say so, or a year to date by week seems to lose
# its first months (found by an audit).
st.caption(f"The {drill.TREND_BUCKETS[view.grain]} {view.grain}s up to the end of the period. Hollow points: fewer "
           "responses than the reliability threshold. Gaps: too few responses to show. Dashed line: the target.")

st.subheader("By segment")
hidden_segments = {}
if sp is not None:
    rows = sp.records[(sp.records["level"] == level) & (sp.records["key"] == team.key) & (sp.records["kpi"] == kpi.kpi.key)]
    rows = rows[rows["value"].notna() | rows["suppressed"]]  # segments without responses are left out
    hidden_segments = {dim: set(rows.loc[rows["suppressed"], "segment"])}
    rows = rows.assign(name=rows["segment"].map(model.segment(dim).label), key=rows["segment"])
    only = drill.split_says_nothing(view, dim)
    if only is not None:  # (All and the one value: the same bar twice)
        st.info(escape(f"The filters keep one {model.segment(dim).name}, {model.segment(dim).label(only)}: split by "
                       "it, these answers are all in one segment. Choose another segment with Split by in the "
                       "sidebar."), icon=":material/filter_alt:")
    else:
        _ui.cached_chart(charts.node_bars, rows, title=f"{kpi.kpi.name} by {model.segment(dim).name}", selectable=False,
                         domain=_ui.bar_domain(kpi),
                         file=_ui.chart_file(f"{team.name} · {kpi.kpi.name} by {model.segment(dim).name}",
                                             ("segments", team.key, kpi.kpi.key, f"by-{dim}"), p, view=view))
        st.caption("Change the segment with **Split by** in the sidebar.")


def _searched(typed: str) -> str:
    """The search a box holds: trimmed, and none when it holds only spaces or marks."""
    return typed.strip()[:200] if meaningful(typed) else ""


st.subheader("Comments behind the number")
if comments_withheld(node, kpi):
    # The list would give away what the tile hides: how many responses there are, and their scores.
    which = kpi if kpi.status == "hidden" else next(k for k in node.kpis if k.status == "hidden")
    st.info(f"Not shown while the {which.kpi.name} tile is hidden: the comments and their scores would give away "
            "the figures it protects. Choose a longer period or clear some filters.", icon=":material/visibility_off:")
    st.stop()
bands = dict(drill.score_bands(model, kpi.kpi))
with st.container(horizontal=True, gap="medium", vertical_alignment="bottom"):
    st.session_state["w_search"] = view.search
    st.text_input("Search comments", key="w_search", placeholder="word or phrase", width=300,
                  on_change=lambda: _ui.update_view(search=_searched(st.session_state["w_search"])))
    st.session_state["w_scores"] = view.scores if view.scores in bands else None
    st.segmented_control(f"{kpi.kpi.name} given with the comment", list(bands), format_func=bands.get, key="w_scores",
                         on_change=lambda: _ui.update_view(scores=st.session_state["w_scores"]))
    if model.themes:
        # ("" for any: a None value would show the box's placeholder instead of its text)
        st.session_state["w_theme"] = view.theme or ""
        st.selectbox("About", [""] + [t.key for t in model.themes], key="w_theme", width=220,
                     format_func=lambda k: model.theme(k).name if k else "any subject",
                     on_change=lambda: _ui.update_view(theme=st.session_state["w_theme"] or None))
# A band the chosen KPI's scale does not have (a middle of yes/no) filters nothing; a KPI of some
# survey sources only (the index's relationship NPS) has the comments of those sources.
shown_view = view if view.scores in bands else replace(view, scores=None)
if kpi.kpi.sources:
    shown_view = narrowed_view(shown_view, kpi.kpi.sources)
# Counting the words of every comment behind the index takes seconds at 10M responses.
words = dict(_ui.comment_words(shown_view, level, team.key, kpi.kpi.measure, hidden_segments)) if level != "index" else {}
if view.search and not words and level != "index":
    # A way to let the search go when no comment listed matches it (a score band left none): as a
    # chip it read "word · 0" among the words the comments use (found by review).
    st.button(f"Clear the search for “{escape(embedded(view.search))}”", key="clear_search", icon=":material/close:",
              on_click=lambda: _ui.update_view(search=""))
if words:
    # Words are runs of letters and digits (cxdata.words): no Markdown can ride in on a comment.
    st.session_state["w_word"] = view.search if view.search in words else None
    st.pills("Words most of these comments use (click one to search for it)", list(words), key="w_word",
             format_func=lambda w: f"{isolated(w)} · {words[w]:,}",  # the count after a Persian word too
             on_change=lambda: _ui.update_view(search=st.session_state["w_word"] or ""))
# The trend above shows the same KPI: the weeks it hides must not be dated in the list.
spans = drill.dated_spans(frame, view.grain, p.period)
comments, total = _ui.comments(shown_view, level, team.key, kpi.kpi.measure, hidden_segments, spans)
theme = model.theme(view.theme) if view.theme else None
which = ((f" matching “{escape(embedded(view.search))}”" if view.search else "") + (f" · {bands[view.scores]} only" if view.scores in bands else "")
         + (f" · about {escape(embedded(theme.name))}" if theme else ""))
masked = ""
if dim and hidden_segments.get(dim):
    masked = (f". The comments of the segments the chart above hides are not listed: with their scores, they would "
              "give the hidden figures away")
if (comments["When"] == drill.HIDDEN_SEGMENT).any():
    masked += (f". The time reads '{drill.HIDDEN_SEGMENT}' outside the {view.grain}s the trend shows, and those "
               "comments come last: their dates and scores would give hidden figures away")
st.caption(f"{total:,} comment{'' if total == 1 else 's'} in the period{which}"
           + (f"; showing the newest {len(comments)} (the download holds "
              + (f"the newest {drill.FILE_MOST:,})" if total > drill.FILE_MOST else "them all)") if total > len(comments) else "")
           + masked)
# Plain-text rendering: comments are untrusted and may contain markup.
with st.container(key="comments_table"):
    picked = st.dataframe(comments, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          placeholder="—",  # a comment given without this KPI's score, or no segment value
                          key=_ui.rows_key("comments_rows", comments, ["Source", "Response id"]),
                          # Score and comment pinned at the left, narrow enough for a laptop with the sidebar
                          # open: the rest scrolls under them, instead of the comment's start (its right end,
                          # in Persian) going off-screen. The reader below shows a comment in full.
                          column_config={"Comment": st.column_config.TextColumn(width=320, pinned=True),
                                         "Score": st.column_config.TextColumn(pinned=True)
                                         if comments["Score"].dtype == object else
                                         st.column_config.NumberColumn(format="%.0f", pinned=True)})
_ui.comment_reader(comments, picked)
# Named after what narrows the list too, and its KPI (the list is of its responses, with its
# scores): else two searches of one view download under one name. Every comment of the list, not
# the page shown: the file passed for all of them (found by review).
listed = drill.comment_filters(model, kpi.kpi, view)
_ui.table_downloads("Download these comments", _ui.every_comment(shown_view, level, team.key, kpi.kpi.measure,
                                                                 hidden_segments, spans),
                    ("comments", team.key, kpi.kpi.key), p,
                    help="Every comment of this list, newest first, with its score and segments (a spreadsheet will "
                         "not run anything in them).", key="comments", sheet="Comments",
                    narrowed=listed + drill.file_narrowed(total))
with st.spinner("Counting the themes of these comments…"):
    # (none for a model without themes, or a KPI with no score of its own to set against them)
    found = _ui.themes(shown_view, level, team.key, kpi.kpi, hidden_segments) if model.themes and total else []
# The themes no comment is about are named in a line, not listed as rows of noughts.
found, unnamed = themes.talked_about(found)
if found or unnamed:
    st.subheader("What these comments talk about")
if found:
    table = themes.frame(found, kpi.kpi, model)
    # A new key when the theme changes: a row picked before would stay marked after another choice in
    # the box above, and a click on it would then clear it instead of choosing it (found by review).
    themes_key = _ui.rows_key("themes_rows", table, ["Theme", "Comments"]) + f"_{view.theme or ''}"

    def _pick_theme():
        rows = st.session_state[themes_key]["selection"]["rows"]
        _ui.update_view(theme=found[rows[0]].theme.key if rows and rows[0] < len(found) else None)

    with st.container(key="themes_table"):
        st.dataframe(table, hide_index=True, width="stretch", on_select=_pick_theme, selection_mode="single-row",
                     key=themes_key,
                     column_config=_ui.themes_columns(table))
    # With a theme chosen the list above has its comments only; the table counts every subject's.
    st.caption(f"The model's themes in the {found[0].listed:,} comments "
               + (f"of every subject (those about {escape(theme.name)} listed above)" if theme else "listed above")
               + ": a comment is about a theme when it uses one of its words. "
               # (the KPI with its scale: its columns are headed "About it" and "The others" only)
               + (f"{escape(formats.kpi_title(kpi.kpi, model))}: of the responses that wrote about each against "
                  "the others', with a test of the "
                  "difference; both are hidden where either has fewer answers than the privacy threshold. "
                  if themes.compared(found) else escape(themes.not_compared_note(kpi.kpi, bands[view.scores])) + " ")
               + "Select a theme to list its comments.")
    if unnamed:
        st.caption(themes.none_about(unnamed))
    _ui.table_downloads("Download these themes", lambda: themes.export_frame(found, kpi.kpi),
                        ("themes", team.key, kpi.kpi.key), p,
                        help="The themes of the comments listed above, with their counts and scores.",
                        key="themes", sheet="Themes",
                        narrowed=[f for f in listed if f[0] != "theme"])  # (every subject's)
elif unnamed:
    st.caption(themes.none_about(unnamed))
_ui.deck_button(view, p)
