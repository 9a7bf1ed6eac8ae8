"""Response rates: of the customers invited to answer a survey (an uploaded invitation list), who
answered and who stayed silent, by survey source, wave and segment."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, invitations, tables
from cxdata.bidi import isolated
from cxdata.markdown import escape
from cxdata.period import day_label
from pages import _ui

_ui.start_page("rates")

_ui.ensure_data(required=False)
model = _ui.model()
# The list's own segment values (how a customer was invited) filter it too.
listed = _ui.invitation_values()
view = _ui.sidebar(_ui.current_view(extra=listed), compare=False, extra=listed)
p = _ui.pyramid(replace(view, compare="none", tp=None, team=None, split=None, outcome=None, cases=None, unrouted=False))

st.title("Response rates")
_ui.demo_banner()
_ui.link_problems()
if not _ui.invitations_held():
    st.info("No invitation list is loaded. Upload one on the Upload page: a file with a customer id, the date each "
            "customer was invited and the survey (source) the invitation was for, with the customers' segments. "
            "Its response rates show here, by survey, wave and segment, and who stays silent.",
            icon=":material/contact_mail:")
    st.page_link("pages/upload.py", label="Upload an invitation list", icon=":material/upload:")
    st.stop()
window = model.invitations.window_days
sent = _ui.invitation_period(view)
st.caption(f"Invitations sent in **{sent.label()}**" + (f" · **{escape(_ui.filters_text(view))}**" if view.filters else "")
           + f" · data as of {day_label(p.as_of)}")
st.caption(f"An invitation counts as answered when a response of the same survey source and customer came at most "
           f"{window:g} days after it (the latest invitation before a response takes it). Customers who never answer "
           "are the ones the scores on the other pages cannot speak for.")
# Found in a review: 'Answered 4,157' for a quarter whose index counts n = 4,224, with no word why.
st.caption("**Answered** counts the invitations sent in the period that a response matched, each once; the n of the "
           "other pages counts responses by the day they came. So the two differ: a response to an invitation sent "
           "before the period, one that matches no invitation on the list (another survey, no customer id, too "
           "late) and a second response to one invitation count there, not here.")

rates = _ui.response_rates(view)
o = rates.overall
if o.status == "no_data":
    st.info(f"No invitation was sent in {sent.label()}" + (" to customers of these filters" if view.filters else "")
            + ". Choose another period or clear some filters.", icon=":material/search_off:")
    st.stop()
tiles = _ui.tile_grid(3)
with tiles.cell():
    if o.status == "hidden":
        st.metric("Response rate", "hidden", border=True)
        st.caption("Too few invitations to show (privacy threshold).")
        st.stop()
    st.metric("Response rate", _ui.percent(o.rate.value), border=True,
              help=f"Invitations answered, of those sent. 95% CI {_ui.percent(o.rate.ci_low)} – {_ui.percent(o.rate.ci_high)}.")
    st.caption(f"95% CI {_ui.percent(o.rate.ci_low)} – {_ui.percent(o.rate.ci_high)} · n = {o.invited:,}"
               + (" · :orange[few invitations]" if o.status == "low_n" else ""))
with tiles.cell():
    st.metric("Answered", f"{o.responded:,}", border=True)
    st.caption(f"of {o.invited:,} invitations")
with tiles.cell():
    st.metric("Silent", f"{o.invited - o.responded:,}", border=True,
              help="Invitations nobody answered: customers whose experience no score here includes.")
    st.caption("invitations not answered")

silent = rates.silent()
if silent:
    st.subheader("Answering least")
    lines = []
    for r in silent[:5]:
        name = invitations.dimension_name(model, r.dimension)
        value = isolated(invitations.value_label(model, r.dimension, str(r.value)))  # a Persian value stays whole
        lines.append(f"- **{escape(name)}: {escape(value)}** answers "
                     f"{r.rate.value:.1f}% of its invitations, against {r.rest_rate:.1f}% for the rest of the list "
                     f"({r.ratio:.2f}×; {r.responded:,} of {r.invited:,})")
    st.markdown("\n".join(lines))
    st.caption("Significantly below the rest of the list (95%). Their scores on the other pages rest on few voices: "
               "weigh them with care, and reach these customers another way.")

st.subheader("By survey, wave and segment")
st.caption("Bars: the response rate with its 95% interval; the dashed line: all invitations. Red: answers significantly "
           "less than the rest of the list; green: more. A * marks a rate from fewer invitations than the reliability "
           "threshold.")
grid = st.grid(2, min_column_width=420)
for dim in rates.dimensions:
    frame = tables.rates_frame(rates, dim, model)
    with grid.cell():
        name = invitations.dimension_name(model, dim)
        _ui.cached_chart(charts.response_rates, frame, title=f"By {name}",
                         overall=round(o.rate.value, 1),
                         file=_ui.chart_file(f"Response rate by {name}", ("response-rates", None, f"by-{dim}"), p, view=view))
with st.expander("Figures, with each value's share of the invitations and of the responses"):
    export = tables.rates_export(rates, model, sent.label(), _ui.filters_text(view))
    st.dataframe(export.drop(columns=["invited_in", "filters"]), hide_index=True, width="stretch")
_ui.table_downloads("Download the response rates", lambda: export, "response-rates", p,
                    help="Every dimension's response rates, with the period of invitation and the filters.",
                    key="rates", sheet="Response rates")
