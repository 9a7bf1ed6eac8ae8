"""Key drivers: which touchpoints and attributes go with the index (or another outcome), how well
each performs, and whether that differs between customer segments."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, drivers, tables
from cxdata.drivers import QUADRANT_NAMES
from cxdata.markdown import escape
from cxdata.period import day_label
from pages import _ui

_ui.start_page("drivers")

_ui.ensure_data()
model = _ui.model()
view = _ui.sidebar(_ui.current_view(), compare=False)
cat = _ui.catalog()
# The period's label and the chart files' subtitles: of one period (this page compares none), and
# one pyramid for every outcome and split of the same filters.
p = _ui.pyramid(replace(view, compare="none", outcome=None, split=None))

st.title("Key drivers")
_ui.demo_banner()
_ui.link_problems()
filters = _ui.filters_text(view)
st.caption(f"**{p.period.label()}**" + (f" · **{escape(filters)}**" if view.filters else "")
           + f" · data as of {day_label(p.as_of)}")

choices = drivers.outcome_choices(model, cat)
if not choices:
    st.info("No answers are stored for any measure of this model.", icon=":material/inbox:")
    st.stop()
outcome = view.outcome if view.outcome in choices else choices[0]
if view.outcome and view.outcome not in choices:
    st.warning(escape(f"No answers are stored for the measure '{view.outcome}': showing the drivers of "
                      f"{model.measures[outcome].name}."), icon=":material/link_off:")
# The index's measure named as its tile names it ("CX index · NPS"), the question after it.
names = drivers.outcome_names(model, choices)
left, right = st.columns(2)
with left:
    st.session_state["w_outcome"] = outcome
    st.selectbox("Drivers of", choices, format_func=names.get, key="w_outcome",
                 help="The outcome to explain: its answers are set against every other rating the same responses gave.",
                 on_change=lambda: _ui.update_view(outcome=st.session_state["w_outcome"]))
with right:
    seg_keys = [s.key for s in model.segments if cat.segments.get(s.key)]
    dim = view.split if view.split in seg_keys else None
    # "" for no segment: a None value read as no choice at all ("Choose an option", found by an audit).
    st.session_state["w_driver_split"] = dim or ""
    st.selectbox("Compare by segment", ["", *seg_keys], key="w_driver_split",
                 format_func=lambda k: "—" if not k else model.segment(k).name,
                 help="The importance of every driver side by side for each value of a segment.",
                 on_change=lambda: _ui.update_view(split=st.session_state["w_driver_split"] or None))

with st.spinner("Reading the answers…"):
    vd = _ui.drivers(view, outcome, dim)
a = vd.overall
shown = [d for d in a.drivers if d.status != "hidden"]
outcome_name, question = drivers.outcome_title(model, outcome)
said = escape(outcome_name)  # a name from the model file, shown in Markdown
if a.status in ("no_data", "hidden", "flat") or not shown:
    least = model.thresholds.privacy_min_n
    if a.status == "no_data":
        st.info(f"No response in {p.period.label()} answered {said} and another rated question together, "
                "so there is nothing to relate it to. Choose another outcome, a longer period, or fewer filters.",
                icon=":material/search_off:")
    elif a.status == "flat":
        st.info(f"Every one of the {a.n:,} responses gave {said} the same answer: there are no differences "
                "for the drivers to explain.", icon=":material/horizontal_rule:")
    elif a.status == "hidden":
        st.info(f"Fewer than {least} responses answered {said} with another rated question: too few to "
                "show their drivers (privacy threshold).", icon=":material/visibility_off:")
    else:
        st.info(f"Each question was answered together with {said} by fewer than {least} responses: too few "
                "to show any driver (privacy threshold).", icon=":material/visibility_off:")
    st.stop()

asked = f" (*{escape(question)}*)" if question else ""
if a.r2 is not None:
    ci = f" (95% interval {a.r2_low:.0%}–{a.r2_high:.0%})" if a.r2_low is not None else ""
    st.markdown(f"Together the drivers below explain **{a.r2:.0%}**{ci} of the differences in "
                f"**{said}**{asked} between the {a.n:,} responses that answered it and at least one of them.")
else:
    st.markdown(f"The drivers of **{said}**{asked} among the {a.n:,} responses that answered it and at "
                "least one of them.")
# What is counted, said where the numbers are: beside the pyramid, a driver's performance and n
# (another question, other responses) looked like the tile's figure computed wrongly.
index_tile = p.index.headline
on_index = model.index.kpi.stat != "composite" and model.index.kpi.measure == outcome and index_tile.shown
with st.container(border=True, key="drivers_basis"):
    st.markdown("  \n".join(drivers.basis(model, vd, index_n=index_tile.current.n if on_index else None,
                                          tiles={t.key: t.headline for t in p.touchpoints})))
if a.status == "low_n":
    st.warning(f"Fewer than {model.thresholds.reliability_min_n} responses: read these figures as a first sign, "
               "not a finding.", icon=":material/warning:")
for note in a.notes:
    if a.rough and "rough" in note:
        st.warning(escape(note), icon=":material/warning:")
    else:
        st.caption(escape(note))

frame = tables.drivers_frame(a)
top = frame[frame["quadrant"] == "improve"]
if len(top):
    st.markdown("**Improve first:** " + escape(", ".join(top["name"])) + " — more important than average for "
                f"{escape(outcome_name)}, and rated below the other drivers.")

# One under the other: side by side, a laptop's half column left the bars no room beside their
# names (found by an audit).
st.subheader("Importance")
bars = _ui.cached_chart(charts.importance, frame, selectable=True, on_select="rerun",
                        key=_ui.chart_key("drivers_bars"),
                        file=_ui.chart_file(f"Drivers of {outcome_name}: importance", f"drivers-{outcome}", p, view=view))
st.subheader("Importance × performance")
perfs = [d.performance for d in shown if d.performance is not None]
matrix = _ui.cached_chart(charts.priority_matrix, frame, selectable=True, on_select="rerun",
                          key=_ui.chart_key("drivers_matrix"),
                          mid_importance=round(100 / len(shown), 2),
                          mid_performance=round(sum(perfs) / len(perfs), 2) if perfs else None,
                          file=_ui.chart_file(f"Drivers of {outcome_name}: importance × performance",
                                              f"priorities-{outcome}", p, view=view))
# A touchpoint's driver leads to the touchpoint in the pyramid: its teams, and from there their views.
clicked = _ui.clicked_node(bars, "drivers_bars") or _ui.clicked_node(matrix, "drivers_matrix")
node = next((d.predictor.node for d in shown if d.predictor.key == clicked), None)
if node and model.touchpoint(node):
    st.switch_page("pages/pyramid.py", query_params=_ui.opened_on("pyramid", view.drill(node)).to_query_params())
elif clicked:
    st.toast("This driver is not a touchpoint of the pyramid: there is no view of it to open.", icon=":material/info:")
st.caption("Click a touchpoint's bar or point to open it in the pyramid. **Importance** is each driver's share of what all of them explain together (Johnson's relative "
           "weights, which share out what drivers explain jointly, as ratings that go together do), with a 95% "
           "interval. **Performance** is the driver's mean answer on a 0–100 scale (100 = the best answer). "
           "Quadrants: " + "; ".join(QUADRANT_NAMES[q] for q in ("improve", "keep", "maintain", "low"))
           + ", cut at the drivers' average importance and performance (the dashed lines); "
           f"{QUADRANT_NAMES['against']}: better answers of it go with a worse outcome. Drivers are related to the "
           "outcome, not proven to cause it.")

# Widths that hold every column at 1400 px with the sidebar open (about 940 px of table): the
# driver's whole name ('Ease of doing business (relationship survey)') and the last column.
st.dataframe(
    drivers.table(a), hide_index=True, width="stretch",
    column_config={
        "Driver": st.column_config.TextColumn(width=300),
        "Importance %": st.column_config.NumberColumn(format="%.1f", width=95),
        "95% CI": st.column_config.TextColumn(width=90, help="Of the importance"),
        "Correlation": st.column_config.NumberColumn(format="%.3f", width=90,
                                                     help="With the outcome, over the responses that answered both"),
        "Performance": st.column_config.NumberColumn(format="%.1f", width=95,
                                                     help="The mean answer on 0–100 (100 = the best answer)"),
        "Mean answer": st.column_config.TextColumn(width=95, help="On the question's own scale"),
        "n": st.column_config.NumberColumn(format="localized", width=60,
                                           help="Responses that answered the driver and the outcome"),
        "Priority": st.column_config.TextColumn(width=105),
        "Note": st.column_config.TextColumn(width=110),
    })
hidden = [d.predictor.name for d in a.drivers if d.status == "hidden"]
if hidden:
    st.caption(escape(f"Not shown, too few responses answered them with {outcome_name}: {', '.join(hidden)}."))

if dim:
    seg_name = model.segment(dim).name
    st.subheader(f"Importance by {seg_name}")
    grid = tables.driver_grid(vd)
    _ui.cached_chart(charts.driver_grid, grid, col_title=seg_name,
                     file=_ui.chart_file(f"Drivers of {outcome_name} by {seg_name}", f"drivers-{outcome}-by-{dim}", p,
                                         note=tables.hidden_note(grid), view=view))
    st.caption("Each column is its own analysis of that segment's responses: a darker cell is a larger share of what "
               "the drivers explain there. hidden: too few responses to show (privacy threshold); * marks few "
               "responses.")

st.divider()
_ui.table_downloads("Download the drivers", lambda: tables.drivers_export(
    vd, outcome_name, filters, model.segment(dim).name if dim else None), f"drivers-{outcome}", p,
    help="Every driver's importance, correlation and performance with their intervals and n"
         + (", for all responses and per segment" if dim else "") + ". Hidden figures stay blank.", key="drivers", sheet="Drivers")
