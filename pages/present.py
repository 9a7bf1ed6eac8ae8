"""Presentation mode: the view's story one slide per screen (index → touchpoint → team → the
comments behind the number), in large type with no sidebar, for a screen shared in a review.
The slide is part of the URL (`present=`), so a link opens the same slide; the arrow keys (or a
clicker's page keys) move through the story and Esc leaves it, back to the same view."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, deck, drill, formats, movers, story, tables
from cxdata.bidi import direction, isolated
from cxdata.markdown import escape
from cxdata.period import day_label
from cxdata.pyramid import chosen_kpi, level_first, level_kpi
from pages import _ui

# Sizes that fit a slide on one screen of 1280 x 720, the smallest a review is shared on. A chart's
# type is a slide's (charts.SLIDE_SCALE), and its height what the screen leaves under the title
# (`_ui.filled_box`), up to bars of about BAR_PX each beside the room of its title, axis and legend.
SHOWN_COMMENTS = 4
BAR_PX, BARS_ROOM_PX = 220, 260
CLIPPED_AT = 200  # characters: about four lines of a comment's card at 1280 px

_ui.start_page("present")
_ui.ensure_data()
model = _ui.model()
view = _ui.current_view()
if view.present is None:  # opened from the page list: present the view the session was on
    _ui.set_view(story.start(view), rerun=True)
slide = story.current(view, model)
if view.present != slide:  # a slide the view's path lacks (a team's, with no team): the URL says which is shown
    view = replace(view, present=slide)
    _ui.set_view(view)
path = story.steps(view, model)

# Our own style sheet (no user text in it): no chrome, large type, black on white.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], .st-key-present_clicker { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.5rem 2.5rem 0.5rem; max-width: 100%; }
.stApp, .stApp p, .stApp h1, .stApp h2 { color: #000; }
.stApp h1 { font-size: 2.6rem; padding: 0.2rem 0; }
[data-testid="stMetricLabel"] p { font-size: 1.5rem; }
[data-testid="stMetricValue"] { font-size: 4rem; }
[data-testid="stMetricDelta"] { font-size: 1.5rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { font-size: 1.2rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #1f2328 !important; opacity: 1; }
.st-key-present_team_tiles [data-testid="stMetricValue"] { font-size: 2.6rem; }
.st-key-present_team_tiles [data-testid="stMetricLabel"] p { font-size: 1.1rem; }
.st-key-present_team_tiles [data-testid="stMetricDelta"] { font-size: 1.05rem; }
/* In a row of five tiles at 1280 px a change read "-27.7 pts · not signific…": it wraps instead. */
.st-key-present_team_tiles [data-testid="stMetricDelta"] div { white-space: normal; overflow: visible; }
.st-key-present_team_tiles [data-testid="stCaptionContainer"], .st-key-present_team_tiles [data-testid="stCaptionContainer"] * { font-size: 0.95rem; }
.st-key-present_comments [data-testid="stText"] { font-size: 1.3rem; line-height: 1.35; }
/* A target's badge is sized inline at 14 px, the smallest text on a slide: as large as its line. */
.stApp [data-testid="stCaptionContainer"] .stMarkdownBadge { font-size: 0.9em !important; }
.st-key-present_why p { font-size: 1.25rem; line-height: 1.4; }
/* A long comment stops after four lines (with an ellipsis) so the slide stays on the screen; the
   comments page shows it whole. */
.st-key-present_comments [data-testid="stText"] > * { display: -webkit-box; -webkit-line-clamp: 4;
  -webkit-box-orient: vertical; overflow: hidden; }
/* The key to the bars' mark, under bars as tall as the screen leaves them: a caption's negative
   bottom margin ran it 16 px past the screen's foot, and the slide scrolled. */
[class*="st-key-present_low_n_"] [data-testid="stCaptionContainer"] { margin-bottom: 0; }
/* The main panel (focusable, for scrolling by keys) keeps the focus after a click on a chart's bar,
   and the next key press framed the whole slide in grey (found by a presenter). A slide does not
   scroll and its keys are shortcuts that work wherever the focus is: no frame around it. The
   buttons keep theirs. */
[data-testid="stMain"]:focus::before, [data-testid="stMain"]:focus-visible::before,
[data-testid="stMain"]:focus, [data-testid="stMain"]:focus-visible { box-shadow: none !important; outline: none !important; }
</style>""")

p = _ui.pyramid(replace(view, present=None))  # one pyramid for every slide of the story
_ui.link_problems()  # a link's unknown filter or slide is said here too, not silently dropped


def go(to) -> None:
    if to is not None:
        _ui.set_view(to, rerun=True)


def leave() -> None:
    """Back to the usual page of the slide's node, with the same view."""
    plain = replace(view, present=None)
    # Pages that show any level: back where it began (found by an audit: Esc from a presentation
    # begun on Key drivers, Response rates or Close the loop left for the pyramid or a team).
    back = st.session_state.pop("_present_from", None)
    if back in ("segments", "drivers", "loop", "rates"):
        st.switch_page(f"pages/{back}.py", query_params=plain.to_query_params())
    if slide in ("index", "journey", "touchpoint"):
        st.switch_page("pages/pyramid.py", query_params=plain.to_query_params())
    st.switch_page("pages/team.py", query_params=plain.to_query_params())


with st.container(horizontal=True, vertical_alignment="center", gap="small"):
    st.caption(f"Slide {path.index(slide) + 1} of {len(path)}", width="stretch")
    back, ahead = story.moved(view, model, -1), story.moved(view, model, 1)
    if st.button("Back", key="present_back", icon=":material/arrow_back:", shortcut="Left", disabled=back is None):
        go(back)
    if st.button("Next", key="present_next", icon=":material/arrow_forward:", shortcut="Right", disabled=ahead is None):
        go(ahead)
    if st.button("Exit", key="present_exit", icon=":material/close:", shortcut="Esc"):
        leave()
    _ui.deck_button(view, p, label="Slides", pdf_label="PDF", row=False)
with st.container(key="present_clicker"):  # a presenter's clicker sends Page Down / Page Up
    if st.button("Next slide", key="present_pgdn", shortcut="PageDown"):
        go(ahead)
    if st.button("Previous slide", key="present_pgup", shortcut="PageUp"):
        go(back)


def subtitle(kpi_name: str | None = None) -> None:
    """What the audience must know to read the numbers: the period, the comparison, the filters."""
    parts = [f"**{p.period.label()}**" + (f" compared with **{p.previous.label()}**" if p.previous else "")]
    if view.filters:  # (the data's values isolated from the sentence, as the deck's subtitle has them)
        parts.append(escape(formats.filters_text(view, model, isolated=True)))
    if kpi_name:
        parts.insert(0, escape(kpi_name))
    st.caption(" · ".join(parts) + f" · data as of {day_label(p.as_of)}" + (" · demo data" if _ui.state().demo else ""))


def bars(nodes, key: str, title: str):
    kpi = level_kpi(nodes)
    first = level_first(nodes, kpi)
    frame = tables.nodes_frame(nodes, kpi)
    # As tall as the screen under the title: at 90 px a bar, three journeys' bars left the lower
    # half of a 1080 screen empty (found by a presenter). Up to BAR_PX a bar, though: two teams'
    # bars as tall as a screen read as a banner, not a chart.
    with _ui.filled_box(f"{key}_box", BARS_ROOM_PX + BAR_PX * len(frame)):
        event = _ui.cached_chart(charts.node_bars, frame, title=title, large=charts.SLIDE_SCALE,
                                 domain=_ui.bar_domain(first) if first else None, on_select="rerun",
                                 key=_ui.chart_key(key), fill=True)
    if frame["low_n"].fillna(False).astype(bool).any():  # the audience needs the key to the mark
        with st.container(key=f"present_low_n_{key}"):
            st.caption("\\* fewer responses than the reliability threshold: read with care")
    return _ui.clicked_node(event, key)


def trend(level: str, node_key: str, k) -> None:
    frame = drill.trend_frame(_ui.cursor(), model, _ui.catalog(), replace(view, present=None), level=level,
                              node=node_key, kpi=k.kpi, total_hidden=k.status == "hidden",
                              previous_hidden=k.previous_status == "hidden")
    with _ui.filled_box(f"trend_{level}_box", 900):
        _ui.cached_chart(charts.trend, frame, title=f"{k.kpi.name} by {view.grain} (95% interval band)",
                         target=k.kpi.target, y_title=k.kpi.name, grain=view.grain, stat=k.kpi.stat, large=charts.SLIDE_SCALE,
                         fill=True)


def node_slide(name: str, k, moved, parts: str):
    """A journey's or touchpoint's slide: its title, its tile and why it moved in one sentence
    (the Pyramid page has the chart); returns the column for the chart of its parts."""
    st.title(name)
    subtitle(k.kpi.name)
    tile, chart = st.columns([2, 3], gap="large")
    with tile:
        _ui.kpi_tile(name, k, show_kpi_name=True)
        if moved and p.previous:
            with st.container(key="present_why"):  # read out in the review: as large as the facts above it
                st.markdown(escape(movers.summary(moved, parts, p.previous.label())))
    return chart


def comment_card(row, k) -> None:
    text = "" if row["Comment"] is None else str(row["Comment"])
    # Plain text: comments are untrusted input, never Markdown or HTML. Clipped at about the four
    # lines a card has (the style sheet stops any longer), with the ellipsis saying so.
    st.text(isolated(story.clipped(text, CLIPPED_AT)), text_alignment="right" if direction(text) == "rtl" else "left",
            width="stretch")
    st.caption(escape(story.comment_caption(row["When"], row["Score"], k.kpi.name)))


if p.empty:
    st.title(p.index.name)
    subtitle()
    _ui.no_figures(p, view)
    st.stop()

if slide == "index":
    st.title(p.index.name)
    subtitle(p.index.headline.kpi.name)
    # The number and what makes it up side by side: one screen of a laptop's 720 rows.
    tile, chart = st.columns([2, 3], gap="large")
    with tile:
        _ui.kpi_tile(p.index.name, p.index.headline, show_kpi_name=True)
    nodes, name = story.first_row(p)
    with chart:
        picked = bars(nodes, "present_tp", f"{name} (click one to go on to it)")
    if picked and p.journeys and model.journey(picked):
        go(replace(view.into_journey(picked), present="journey"))
    elif picked and not p.journeys and model.touchpoint(picked):
        go(replace(view, tp=picked, team=None, present="touchpoint"))

elif slide == "journey":
    j = p.journey(view.journey_of(model))
    k = story.journey_kpi(p, j)
    chart = node_slide(j.name, k, movers.of_journey(p, j.key, k.kpi.key), "touchpoints")
    with chart:
        picked = bars(p.touchpoints_of(j.key), "present_journey_tp",
                      f"Touchpoints of {j.name} (click one to go on to it)")
    if picked and model.touchpoint(picked):
        go(replace(view, tp=picked, team=None, journey=None, present="touchpoint"))

elif slide == "touchpoint":
    tp = p.touchpoint(view.tp)
    k = story.touchpoint_kpi(p, tp)
    chart = node_slide(tp.name, k, movers.of_touchpoint(p, tp.key, k.kpi.key), "teams")
    teams = p.teams_of(tp.key)
    with chart:
        if teams:
            picked = bars(teams, "present_team", f"Teams of {tp.name} (click one to go on to it)")
            if picked and model.team(picked):
                go(replace(view, team=picked, present="team"))
        else:
            trend("touchpoint", tp.key, k)

elif slide == "team":
    node = _ui.as_team_view(view, p.team(view.team))
    st.title(node.name)
    subtitle()
    # Its Closed loop tile too, as its team view has it.
    closed = _ui.loop_kpi(view) if drill.closed_loop_shown(model, node) else None
    measured, compared = story.compared_apart(story.team_tiles(node, closed))
    with st.container(key="present_team_tiles"):
        for column, k in zip(st.columns(len(measured)), measured):
            with column:
                _ui.kpi_tile(k.kpi.name, k, counts="cases" if closed and k.kpi.key == closed.kpi.key else "responses")
        if compared:
            st.caption(escape(compared))
    k = chosen_kpi(node, view.kpi)
    trend("team", node.key, k)

else:  # the comments behind the deepest node's number
    level, _ = story.node_of(view)
    node = _ui.as_team_view(view, story.deepest(p, view))  # as on the comments' page (Esc leaves for it)
    k = chosen_kpi(node, view.kpi)
    shown, band = story.comments_view(view, k, model)
    st.title(f"What customers say · {node.name}")
    subtitle(k.kpi.name + (f" · {band} only" if band else "")
             + story.comments_narrowed(view, model))
    if (note := story.comments_withheld_note(node, k, _ui.catalog())) is not None:
        st.info(note, icon=":material/visibility_off:")
        st.stop()
    # The trend of the team (or touchpoint) slide before this one: its hidden weeks stay undated here.
    comments, total = _ui.comments(shown, level, node.key, k.kpi.measure, {},
                                   deck.trend_dates(_ui.cursor(), model, _ui.catalog(), replace(view, present=None),
                                                    level, node.key, k))
    if not total:
        st.info(story.no_comments_note(band, k.kpi.name, fell=bool(band) and not view.scores),
                icon=":material/chat_bubble_outline:")
    # Two a row: a screen's width of text is too long a line to read from across a room, and a
    # column of four cards, each wrapping, ran below the fold under a long filter line (found by
    # an audit at 1280 x 720).
    rows = [row for _, row in comments.head(SHOWN_COMMENTS).iterrows()]
    with st.container(key="present_comments"):
        for pair in (rows[i:i + 2] for i in range(0, len(rows), 2)):
            for cell, row in zip(st.columns(2, gap="medium"), pair):
                with cell, st.container(border=True, gap="small", height="stretch"):
                    comment_card(row, k)
    said = [note] if (note := story.newest_note(len(rows), total, k.kpi.name, fell=bool(band) and not view.scores)) else []
    if any(r["When"] == drill.HIDDEN_SEGMENT for r in rows):
        said.append(story.undated_note(view.grain))
    if said:
        st.caption(" ".join(said))
