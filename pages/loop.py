"""Close the loop: the unhappy customers of the period, routed to the teams that own them, their
status (new, contacted, resolved), and how well each team closes its cases."""

from dataclasses import replace

import streamlit as st

from cxdata import charts, loop, tables
from cxdata.loop import STATUS_NAMES, STATUSES
from cxdata.markdown import escape
from cxdata.period import day_label
from cxdata.view import QUEUES
from pages import _ui

grant = _ui.start_page("loop")

_ui.ensure_data()
model = _ui.model()
view = _ui.current_view()
if not grant.sees_all and (view.team not in grant.teams or view.unrouted):
    # A team member works the cases routed to their teams, one team at a time.
    view = replace(view.drill(model.team(grant.teams[0]).touchpoint, grant.teams[0]), unrouted=False)
    _ui.set_view(view)
view = _ui.sidebar(view, compare=False)
cat = _ui.catalog()
# The period's label and the downloads' names: of one period (the page compares none).
p = _ui.pyramid(replace(view, compare="none", tp=None, team=None, split=None, outcome=None, cases=None, unrouted=False))

st.title("Close the loop")
_ui.demo_banner()
_ui.link_problems()
rules = " or ".join(loop.rule_text(model, r) for r in model.loop.rules if r.measure in cat.measures)
days = model.loop.respond_within_days
st.caption(f"**{p.period.label()}**" + (f" · **{escape(_ui.filters_text(view))}**" if view.filters else "")
           + f" · data as of {day_label(p.as_of)}")
if not rules:
    st.info("No answers are stored for the measures that open a case (the model's `loop: rules`).",
            icon=":material/inbox:")
    st.stop()
st.caption(escape(f"A response opens a case when it gives {rules}. It goes to the team its answer counts under on the "
                  f"pyramid (else the touchpoint); a case still new after {days:g} days is overdue."))
behind = (loop.utc_now().date() - p.as_of).days if p.as_of else 0
if behind > 7:
    # Waits run to today, not to the data's last day: on an old export every case reads overdue.
    st.caption(f"The data ends on {day_label(p.as_of)}, {behind:,} days ago: waits and overdue cases are counted to "
               "today.")

# Whose cases: everyone's, a touchpoint's (and its teams'), a team's, or those nobody owns.
owners = {"": "Every owner", loop.UNROUTED: "Not routed (no team or touchpoint)"}
for tp in model.touchpoints:
    owners[f"touchpoint:{tp.key}"] = f"{tp.name} (all its teams)"
    owners.update({f"team:{t.key}": f"\u2003{t.name}" for t in model.teams_of(tp.key)})
if not grant.sees_all:
    owners = {f"team:{key}": model.team(key).name for key in grant.teams}
chosen = (loop.UNROUTED if view.unrouted else f"team:{view.team}" if view.team else
          f"touchpoint:{view.tp}" if view.tp else "")


def _set_owner(owner: str | None = None) -> None:
    level, _, key = (owner if owner is not None else st.session_state["w_owner"]).partition(":")
    if level == "team":
        _ui.update_view(tp=model.team(key).touchpoint, team=key, unrouted=False)
    elif level == "touchpoint":
        _ui.update_view(tp=key, team=None, unrouted=False)
    else:
        _ui.update_view(tp=None, team=None, unrouted=level == loop.UNROUTED)


st.session_state["w_owner"] = chosen
st.selectbox("Cases of", list(owners), format_func=owners.get, key="w_owner", on_change=_set_owner, width=420,
             disabled=len(owners) == 1)

everyone, per_owner = _ui.loop_closure(view)
if not everyone.cases:
    if chosen:
        st.info(escape(f"{owners[chosen].strip()} has no case in {p.period.label()}"
                       + (" for these filters" if view.filters else "") + ". Choose another owner, or a longer period."),
                icon=":material/task_alt:")
    else:
        st.info(f"No case in {p.period.label()}" + (" for these filters" if view.filters else "")
                + ": no response gave an answer that opens one. Choose a longer period or clear some filters.",
                icon=":material/task_alt:")
    st.stop()

# Below the privacy threshold of cases, or hidden with a smaller owner beside it (loop.closure),
# the figures of how the cases were handled are hidden as the team view's Closed loop tile is;
# the counts of the cases still to work stay, as the lists below list them one by one, but not the
# total, nor the resolved, whose difference from the open ones is the rate.
tiles = _ui.tile_grid(4)
with tiles.cell():
    st.metric("Open cases", f"{everyone.open:,}", border=True,
              help="New or contacted" + (f", of {everyone.cases:,} cases in the period." if everyone.shown else "."))
    st.caption((f"of {everyone.cases:,} · " if everyone.shown else "")
               + (f":red-badge[{everyone.overdue:,} overdue]" if everyone.overdue else ":green-badge[none overdue]"))
with tiles.cell():
    _ui.kpi_tile("Closure rate", loop.closure_kpi(model, everyone, None), counts="cases",
                 explain="Cases resolved, of all cases in the period.")
with tiles.cell():
    if not everyone.shown:
        _ui.hidden_tile(f"Contacted within {days:g} days", "cases")
    else:
        share = 100.0 * everyone.in_time / everyone.due if everyone.due else None
        st.metric(f"Contacted within {days:g} days", _ui.percent(share), border=True,
                  help=f"Of the cases due by now (older than {days:g} days, or contacted already), those whose customer "
                       f"was first contacted within {days:g} days of the response.")
        # ('1,128 of 2,082 cases due' read as 1,128 cases being due: found by an audit)
        st.caption(f"{everyone.in_time:,} of the {everyone.due:,} case{'' if everyone.due == 1 else 's'} due so far")
with tiles.cell():
    if not everyone.shown:
        _ui.hidden_tile("Time to first contact", "cases")
    else:
        hours = everyone.hours_to_contact
        st.metric("Time to first contact", "—" if hours is None else loop.duration_text(hours), border=True,
                  help="Median time from the response to the first contact, over the cases contacted.")
        reached = everyone.contacted + everyone.resolved  # (a resolved case was contacted first)
        st.caption(f"median over {reached:,} case{'' if reached == 1 else 's'} contacted or resolved" if reached
                   else "no case contacted yet")

if len(per_owner) > 1:
    st.subheader("By owner")
    frame = tables.closure_records(per_owner, model.loop.target)
    event = _ui.cached_chart(charts.node_bars, frame, key=_ui.chart_key("loop_owners"), on_select="rerun",
                             title="Closure rate by owner (95% interval)", domain=(0.0, 100.0),
                             file=_ui.chart_file("Closure rate by owner", "closure-by-owner", p, view=view))
    picked_owner = _ui.clicked_node(event, "loop_owners")
    if picked_owner and picked_owner != chosen:
        _set_owner(picked_owner)  # the key of the unrouted bar is loop.UNROUTED too
        st.rerun()
    st.caption(f"Click a bar to list that owner's cases. A * after a rate: fewer than "
               f"{model.thresholds.reliability_min_n} cases, a first sign rather than a finding."
               + (f" Hidden: fewer than {model.thresholds.privacy_min_n} cases, or hidden with such an owner beside it "
                  "so that its rate cannot be worked out by subtraction." if any(c.status == "hidden" for c in per_owner)
                  else ""))
    with st.expander("Figures by owner"):
        figures = tables.closure_table(per_owner)
        # One number of decimals per column; the owners' names whole (the table's own sizing cut
        # 'App - Android Squad' to 'App - Android Squ').
        longest = max((len(name) for name in figures["Owner"]), default=0)
        st.dataframe(figures, hide_index=True, width="stretch", column_config={
            "Owner": st.column_config.TextColumn(width=min(400, 40 + 8 * longest), pinned=True),
            **{col: st.column_config.NumberColumn(format=f"%.{d}f") for col, d in tables.CLOSURE_DECIMALS.items()},
            "Few cases": st.column_config.CheckboxColumn(
                help=f"Fewer than {model.thresholds.reliability_min_n} cases: a first sign rather than a finding"),
            "Hidden": st.column_config.CheckboxColumn(
                help=f"Fewer than {model.thresholds.privacy_min_n} cases, or hidden with such an owner beside it: only "
                     "its cases still to work are counted")})

st.subheader("Cases")
which = view.cases or "open"
st.session_state["w_cases"] = which
st.segmented_control("List", list(QUEUES), key="w_cases",
                     format_func=lambda q: loop.QUEUE_NAMES[q] + ("" if (n := everyone.shown_count(q)) is None
                                                                  else f" · {n:,}"),
                     on_change=lambda: _ui.update_view(cases=(st.session_state["w_cases"] or "open")
                                                       if st.session_state["w_cases"] != "open" else None))
cases, total = _ui.loop_queue(view, which), everyone.count(which)
if not total:
    st.info(f"No {loop.QUEUE_NAMES[which].lower()} case here.", icon=":material/task_alt:")
    st.stop()
shown = tables.queue_frame(cases, model)
order = "the longest waiting first" if which != "resolved" and which != "all" else "the newest first"
st.caption((f"{total:,} case{'' if total == 1 else 's'}" + (f"; showing the first {len(shown):,}" if total > len(shown) else "")
            + f" · {order}" if everyone.shown_count(which) is not None  # (not beside a hidden rate: see the tiles)
            else order.capitalize())
           + (". Select cases to change their status, route them to a team or add a note." if grant.may_work_cases
              else ". Select a case to read its history."))
with st.container(key="cases_table"):
    picked = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                          placeholder="—", key=_ui.rows_key("cases_rows", shown, ["Source", "Response id", "Status", "Owner", "Note"]),
                          # The answer and the comment pinned at the left, as on the Team view: on a laptop
                          # the rest scrolls under them, instead of a Persian comment's start (its right
                          # end) going off-screen. A selected case's card shows the comment in full.
                          column_config={"Comment": st.column_config.TextColumn(width=320, pinned=True),
                                         "Answer": st.column_config.TextColumn(pinned=True),
                                         "Days open": st.column_config.NumberColumn(
                                             format="%.1f", help="Days since the response, while the case is open")})
rows = [i for i in (picked["selection"]["rows"] if picked else []) if i < len(cases)]
_ui.table_downloads("Download these cases", lambda: tables.queue_export(shown), "cases", p,
                    help="The cases listed above, with their customers, answers and notes (a spreadsheet will not run "
                         "anything in them).", key="cases", sheet="Cases")

PICK = "_case_pick"  # the cases selected, by (source, response id), as the list showed them
KEPT_NOTE = "_case_note_kept"  # a note typed for a save that could not be made


def _row_of(ref) -> int | None:
    hit = cases.index[(cases["source_id"] == ref[0]) & (cases["source_response_id"] == ref[1])]
    return None if hit.empty else cases.index.get_loc(hit[0])


def _seen(i: int) -> tuple:
    return tuple(str(shown[c].iloc[i]) for c in ("Status", "Owner", "Note"))


def _save(pick: dict, status, team, note, by, who) -> None:
    try:
        n = loop.update(_ui.database(), model, pick["refs"], status=status,
                        team=loop.KEEP if team in (None, "keep") else None if team == "auto" else team,
                        note=note or None, by=who or by, owned_by=None if grant.sees_all else grant.teams,
                        view=view, period=p.period, last_changed=dict(zip(pick["refs"], pick["changed"])))
    except loop.LoopError as exc:
        st.error(escape(str(exc)), icon=":material/error:")
    else:
        st.session_state["_case_by"] = by
        for key in ("w_case_status", "w_case_note", "w_case_team", PICK):
            st.session_state.pop(key, None)
        st.toast(f"Saved {n} case{'' if n == 1 else 's'}.", icon=":material/check:")
        st.rerun()


if not rows:
    pick = st.session_state.get(PICK)
    if st.session_state.get("case_save") and pick and grant.may_work_cases:
        # Saved from a list that has changed since (another person's change, an upload): the
        # table's selection went with it (a row number would now name another case). The cases
        # picked are known by their ids: if each is still listed as it was, the change is theirs.
        now_rows = [_row_of(ref) for ref in pick["refs"]]
        changed = sum(i is None or _seen(i) != seen for i, seen in zip(now_rows, pick["seen"]))
        who = _ui.user_name()
        if not changed:
            _save(pick, st.session_state.get("w_case_status"), st.session_state.get("w_case_team"),
                  st.session_state.get("w_case_note"), st.session_state.get("w_case_by") or "", who)
        else:
            st.session_state[KEPT_NOTE] = st.session_state.get("w_case_note") or ""
            st.warning(f"{changed:,} of the {len(pick['refs']):,} cases you selected changed before your change "
                       "reached them (another person changed them, or they left this list): nothing was saved, so "
                       "as not to undo that. Your note is kept: select the cases again.",
                       icon=":material/sync_problem:")
    st.session_state.pop(PICK, None)
    st.caption("Select one or more cases above to act on them.")
    st.stop()
refs = [(int(cases["source_id"].iloc[i]), str(cases["source_response_id"].iloc[i])) for i in rows]
# What the person sees of each case: the list's columns, and when it was last changed (the
# write refuses a case changed since, by anyone).
st.session_state[PICK] = {"refs": refs, "seen": [_seen(i) for i in rows],
                          "changed": [cases["updated_at"].iloc[i] for i in rows]}
st.subheader(f"{len(refs)} case{'' if len(refs) == 1 else 's'} selected")
if len(rows) == 1:
    _ui.case_card(shown.iloc[rows[0]], loop.history(_ui.cursor(), refs))
if not grant.may_work_cases:
    st.caption("Your access is read only: the owning teams and the administrators change cases.")
    st.stop()
teams = {"keep": "Keep as routed", "auto": "Back to the automatic routing",
         **{t.key: t.name for t in model.teams}}
with st.form("case_action", border=True):
    status = st.segmented_control("Set the status", list(STATUSES), format_func=STATUS_NAMES.get, key="w_case_status")
    team = st.selectbox("Route to", list(teams), format_func=teams.get, key="w_case_team")
    note = st.text_area("Note (what was done, what was promised)", max_chars=loop.MAX_NOTE, key="w_case_note",
                        **({} if "w_case_note" in st.session_state else {"value": st.session_state.pop(KEPT_NOTE, "")}))
    who = _ui.user_name()
    by = st.text_input("Your name", value=who or st.session_state.get("_case_by", ""), max_chars=loop.MAX_NAME,
                       disabled=bool(who), key="w_case_by", help="Recorded with the change, in the case's history.")
    saved = st.form_submit_button(f"Save for {len(refs)} case{'' if len(refs) == 1 else 's'}", type="primary",
                                  icon=":material/save:", key="case_save")
if saved:
    _save(st.session_state[PICK], status, team, note, by, who)
