"""Model: the pyramid model in use (what each level measures, targets, weights, owners), its text
edited and checked in the browser, saved as a new version with who and why, and its history with
the way back to any earlier version."""

from datetime import timezone

import streamlit as st

from cxdata import access, model_summary, model_targets, model_versions, queries, service
from cxdata.markdown import escape
from cxdata.model import ModelError
from pages import _ui

grant = _ui.start_page("model")
_ui.ensure_data(required=False)
db, model = _ui.database(), _ui.model()
cur = _ui.cursor()
base = service.model_path_for(db, cur=cur)
pinned = service.model_pinned()
in_use = model_versions.current(cur, base) if not pinned else model_versions.file_version(base)


def _when(v) -> str:
    return v.saved_at.astimezone(timezone.utc).strftime("%d %b %Y %H:%M UTC") if v.saved_at else ""


# Where the model's file lies on the server is for the administrators of an app with an access
# file; everyone else reads the model's name and version.
show_path = access.policy_path() is not None and grant.role == "admin"
where = str(base) if show_path else "the model's file"

st.title("Pyramid model")
st.caption(escape(model_summary.in_use_text(model.name, in_use.version, saved=_when(in_use), by=in_use.saved_by,
                                            note=in_use.note, pinned=pinned)))
if show_path:
    st.caption(escape(f"File on the server: {base}"))
if pinned:
    st.info("`CX_MODEL` names this file, so the app reads it as it is: edit the file itself, or start the app without "
            "`CX_MODEL` to edit the model here.", icon=":material/push_pin:")

summary, edit, past = st.tabs(["What it measures", "Edit", f"History · {len(model_versions.history(cur, base))}"])

with summary:
    frames = model_summary.frames(model)
    st.subheader(model.name)
    st.dataframe(frames["index"], hide_index=True, width="stretch")
    st.subheader(f"KPIs · {len(frames['kpis'])}")
    st.dataframe(frames["kpis"], hide_index=True, width="stretch",
                 column_config={"KPI": st.column_config.TextColumn(width=200), "Key": st.column_config.TextColumn(width=90),
                                "Statistic": st.column_config.TextColumn(width=150),
                                "Question": st.column_config.TextColumn(width=300),
                                "Scale": st.column_config.TextColumn(width=60)})
    st.caption("Below, each KPI is a column: a number is the node's target for it, ✓ a KPI it shows without a target, "
               "a blank one it does not show. A node's headline KPI is the first its tile and bars show.")

    def nodes_table(title: str, nodes, frame) -> None:
        st.subheader(f"{title} · {len(nodes)}")
        common = model_summary.headline(nodes)
        if common:
            st.caption(escape(f"Headline KPI of every one: {common}."))
        # Each column as wide as its longest text (about 6.5 px a character): left to Streamlit, a
        # team's last column ('Stores - Isfahan & Mas…') ran off the table at 1400 px.
        widths = {c: int(min(260, max(55, 6.5 * max(len(str(c)), *(len(str(v)) for v in frame[c])) + 16)))
                  for c in frame.columns} if len(frame) else {}
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={c: st.column_config.Column(width=w) for c, w in widths.items()})

    if model.journeys:
        nodes_table("Journeys", model.journeys, frames["journeys"])
    nodes_table("Touchpoints", model.touchpoints, frames["touchpoints"])
    names = frames["touchpoint_names"]
    if (names["Also called"] != "").any():
        st.caption("The touchpoints' other names: what an upload's touchpoint column may say instead.")
        st.dataframe(names, hide_index=True, width="stretch",
                     column_config={"Touchpoint": st.column_config.TextColumn(width=140)})
    nodes_table("Teams", model.teams, frames["teams"])
    # One under the other: side by side, a half column cut a segment's values ('Tehran, Isfahan, … So').
    st.subheader("Segments")
    st.dataframe(frames["segments"], hide_index=True, width="stretch",
                 column_config={"Segment": st.column_config.TextColumn(width=130),
                                "Key": st.column_config.TextColumn(width=110),
                                "Values in order": st.column_config.TextColumn(width=680)})
    st.subheader("Rules")
    st.dataframe(frames["rules"], hide_index=True, width="stretch")


ACCESS_CHECK = "the access file"


def _check_access(new_model) -> None:
    """An access file that names a team the edited model drops would shut the app for everyone."""
    path = access.policy_path()
    if path is not None:
        try:
            access.load_policy(path, new_model)
        except access.AccessError as exc:
            raise ModelError(ACCESS_CHECK, exc.problems) from None


def _off_scale(new_model) -> str | None:
    """What a model's narrower scale leaves behind: stored answers it still counts but would refuse
    (Markdown, its names escaped)."""
    found = queries.outside_scale(cur, new_model)
    if not found:
        return None
    lines = ["- " + escape(f"{o.answers:,} answer{'' if o.answers == 1 else 's'} of {new_model.measures[o.measure].name} "
                           f"({o.low:g}" + (f" to {o.high:g}" if o.high != o.low else "") + "), outside its scale "
                           f"{new_model.measures[o.measure].scale[0]:g}–{new_model.measures[o.measure].scale[1]:g}")
             for o in found]
    return ("Stored answers lie outside the scale this model gives their measure:\n\n" + "\n".join(lines)
            + "\n\nThey were loaded under a wider scale and every figure still counts them; uploads from now on "
            "refuse such answers. Remove or correct the uploads that brought them if they no longer belong.")


SAVED_NOTE = "_model_saved_note"  # a warning about the version just saved, shown after the rerun
EDIT_START = "model_edit_start"  # what the edit under way started from: the model file, version and text


def _text_key(version: int) -> str:
    return f"w_model_text_{version}"


def _note_key(version: int) -> str:
    return f"w_model_note_{version}"


def _edit_start() -> dict:
    """What the editor's text started from: {'base', 'version', 'text'}. An edit keeps it, so a
    model saved meanwhile (another session's version, another file loaded) is shown to the editor,
    not silently undone by its save; the text itself is kept, not re-read (a file moved away would
    lose it). With nothing edited yet, the editor follows the model in use."""
    newest = {"base": str(base), "version": in_use.version, "text": in_use.text}
    start = st.session_state.get(EDIT_START)
    if start is None or st.session_state.get(_text_key(start["version"]), start["text"]) == start["text"]:
        st.session_state[EDIT_START] = newest
        return newest
    if start["base"] == str(base) and start["text"] == in_use.text and start["version"] != in_use.version:
        # The same text under a new number (restored, or saved the same elsewhere): nothing to
        # undo, the edit goes on from it.
        _move(start["version"], in_use.version)
        st.session_state[EDIT_START] = start = newest
    return start


def _behind(start: dict) -> bool:
    return start["base"] != str(base) or start["text"] != in_use.text


def _move(old: int, new: int) -> None:
    """The edit's text and note, moved to the widgets of version `new` (before they are drawn)."""
    if old != new:
        for key in (_text_key, _note_key):
            if key(old) in st.session_state:
                st.session_state[key(new)] = st.session_state.pop(key(old))


def _rebase(start: dict) -> None:
    _move(start["version"], in_use.version)
    st.session_state[EDIT_START] = {"base": str(base), "version": in_use.version, "text": in_use.text}


def _discard(start: dict) -> None:
    st.session_state.pop(_text_key(start["version"]), None)
    st.session_state.pop(EDIT_START, None)


LEVEL_NAMES = {"index": "Index", "touchpoint": "Touchpoint", "team": "Team", "loop": "Close the loop"}


def _target_frame(rows):
    import pandas as pd

    return pd.DataFrame({"Level": [LEVEL_NAMES[r.level] for r in rows], "Node": [r.node_name for r in rows],
                         "KPI": [r.kpi_name for r in rows],
                         "Range": [f"{model_targets.number_text(r.low)} to {model_targets.number_text(r.high)}"
                                   for r in rows],
                         "Target": pd.array([r.target for r in rows], dtype="Float64")})


def _write_targets(text_key: str, text: str, editor_key: str) -> None:
    """The table's changed targets, written into the editor's text (Check and Save then as usual)."""
    if st.session_state.get(text_key, text) != text:  # the YAML was edited in the same go: the table may not fit it
        st.session_state[TARGETS_NOTE] = ("error", "The text below changed since the table was drawn: look at the "
                                                   "targets again, then write them.")
        return
    try:
        rows = model_targets.rows(model_versions.check(text, base))
    except (ModelError, model_versions.VersionError):
        st.session_state[TARGETS_NOTE] = ("error", "The text below has problems: Check lists them.")
        return
    edited = (st.session_state.get(editor_key) or {}).get("edited_rows", {})
    changes = {}
    for i, cells in edited.items():
        if "Target" in cells and int(i) < len(rows):
            r, value = rows[int(i)], cells["Target"]
            changes[(r.level, r.node, r.kpi)] = None if value is None else float(value)
    try:
        new = model_targets.with_targets(text, changes)
    except model_targets.TargetError as exc:
        st.session_state[TARGETS_NOTE] = ("error", str(exc))
        return
    if new == text:
        st.session_state[TARGETS_NOTE] = ("info", "No target in the table differs from the text's.")
        return
    st.session_state[text_key] = new
    n = sum(1 for line in model_versions.diff(text, new).splitlines() if line.startswith("+") and not line.startswith("+++"))
    st.session_state[TARGETS_NOTE] = ("ok", f"Written into the text below ({n} line{'' if n == 1 else 's'} changed): "
                                            "Check shows the change, Save stores it as a version.")


TARGETS_NOTE = "_model_targets_note"


def _targets_form(text_key: str, text: str) -> None:
    """Every target in a table: the usual edit without YAML, written into the text in place."""
    import hashlib

    with st.expander("Targets: change them in a table", icon=":material/flag:",
                     expanded=TARGETS_NOTE in st.session_state):
        note = st.session_state.pop(TARGETS_NOTE, None)
        if note:
            {"ok": st.success, "info": st.info}.get(note[0], st.error)(escape(note[1]))
        try:
            rows = model_targets.rows(model_versions.check(text, base))
        except (ModelError, model_versions.VersionError):
            st.caption("The text below has problems: Check lists them. Fix them to edit the targets here.")
            return
        # A new table for each text: after the targets are written, it shows them as they now stand.
        editor_key = "w_targets_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        st.caption("A blank target means none. Touchpoints' and teams' targets are written as overrides under "
                   "their `targets:`, so KPI lists shared by several teams stay as they are.")
        st.data_editor(_target_frame(rows), key=editor_key, hide_index=True, width="stretch", placeholder="none",
                       disabled=["Level", "Node", "KPI", "Range"],
                       column_config={"Target": st.column_config.NumberColumn(format="%g", help="Blank: no target")})
        st.button("Write these targets into the text", key="model_targets_write", icon=":material/edit_note:",
                  on_click=_write_targets, args=(text_key, text, editor_key))


with edit:
    if pinned or not grant.may_write:
        st.caption("Read only: " + ("`CX_MODEL` pins the file." if pinned else "administrators edit the model."))
        st.code(in_use.text, language="yaml", line_numbers=True)
    else:
        st.caption("The model's YAML: the README's 'The pyramid model' section explains every key. **Check** shows what "
                   "changes and any problem by its key; **Save** stores the text as a new version, which every page, "
                   "export and command then reads (the figures are recomputed from the stored answers: nothing is "
                   "uploaded again). Earlier versions stay in the history.")
        if SAVED_NOTE in st.session_state:
            st.warning(st.session_state.pop(SAVED_NOTE), icon=":material/warning:")
        start = _edit_start()
        text_key = _text_key(start["version"])
        behind = _behind(start)
        if behind:
            if start["base"] != str(base):
                files = f", {base}, while you were editing {start['base']}" if show_path else \
                    " than the one you were editing"
                what = (f"The model in use is now another file (data was loaded with it){files}. Your text below is "
                        "not saved; saving it would replace that model. What your starting text and the model in use "
                        "differ in:")
            else:
                what = (f"Version {in_use.version} was saved" + (f" by {in_use.saved_by}" if in_use.saved_by else "")
                        + (f" at {_when(in_use)}" if in_use.saved_at else "")
                        + f" while you were editing version {start['version']}. Your text below is not saved; "
                        "saving it as it is would undo their changes:")
            st.warning(escape(what), icon=":material/group:")
            st.code(model_versions.diff(start["text"], in_use.text, "you started from", f"version {in_use.version}"),
                    language="diff")
            with st.container(horizontal=True):
                st.button(f"Go on from version {in_use.version} with my text", key="model_rebase",
                          icon=":material/merge:", on_click=_rebase, args=(start,),
                          help="Check then shows what your text changes in the model in use, its changes included")
                st.button("Discard my edits", key="model_discard", icon=":material/undo:", on_click=_discard,
                          args=(start,))
        _targets_form(text_key, st.session_state.get(text_key, start["text"]))
        # Keyed by the version the edit started from: after a save (here or, with no edit under
        # way, in another session) the editor starts from the new text, with an empty note.
        text = st.text_area("Model (YAML)", key=text_key, height=520, max_chars=model_versions.MAX_TEXT,
                            **({} if text_key in st.session_state else {"value": start["text"]}))
        note = st.text_input("What changed, and why", key=_note_key(start["version"]),
                             max_chars=model_versions.MAX_NOTE, placeholder="e.g. Delivery's CSAT target to 85 for 2027")
        with st.container(horizontal=True):
            checked = st.button("Check", icon=":material/rule:", key="model_check")
            saved = st.button(f"Save as version {in_use.version + 1}", type="primary", icon=":material/save:",
                              key="model_save", disabled=behind)
        if checked or saved:
            try:
                new_model = model_versions.check(text, base)
                _check_access(new_model)
                if saved:
                    number = model_versions.save(db, base, text, by=_ui.user_name() or grant.who, note=note,
                                                 check_model=_check_access, based_on=start["text"])
            except ModelError as exc:
                why = ("the access file (CX_ACCESS) would no longer fit this model, and would close the dashboard "
                       "for everyone. Change the access file first" if exc.source == ACCESS_CHECK else
                       "the model has problems")
                st.error(f"Not {'saved' if saved else 'valid'}: {why}.\n\n"
                         + "\n".join(f"- {escape(p)}" for p in exc.problems), icon=":material/error:")
            except model_versions.VersionError as exc:
                st.warning(escape(str(exc)), icon=":material/info:")
            else:
                off_scale = _off_scale(new_model)
                if saved:
                    st.session_state.pop(EDIT_START, None)
                    if off_scale:
                        st.session_state[SAVED_NOTE] = off_scale
                    st.toast(f"Saved version {number}: every page now reads it.", icon=":material/check:")
                    st.rerun()
                changes = model_versions.diff(start["text"].replace("\r\n", "\n"), text.replace("\r\n", "\n"),
                                              f"version {start['version']}", "edited")
                if changes:
                    st.success(f"The model is valid: {len(new_model.touchpoints)} touchpoints, {len(new_model.teams)} "
                               f"teams. What it changes in version {start['version']}:", icon=":material/check:")
                    st.code(changes, language="diff")
                else:
                    st.info(f"The model is valid, and the same as version {start['version']}.", icon=":material/check:")
                if off_scale:
                    st.warning(off_scale, icon=":material/warning:")

HISTORY_SHOWN = "_model_history_shown"  # the text the history's comparison was last drawn against

with past:
    # A restore is clicked on what the last run showed: a version saved since must not be undone
    # unseen (this run's model in use is already the newer one).
    shown_against = st.session_state.get(HISTORY_SHOWN, in_use.text)
    st.session_state[HISTORY_SHOWN] = in_use.text
    versions = model_versions.history(cur, base)
    if not versions:
        st.caption("No version has been saved in the app: the model is the file.")
    else:
        import pandas as pd

        st.dataframe(pd.DataFrame([{"Version": v.version, "Saved": _when(v), "By": v.saved_by or "",
                                    "What changed": v.note or ""} for v in versions] +
                                  [{"Version": 0, "Saved": "", "By": "", "What changed": f"{where}, as it is"}]),
                     hide_index=True, width="stretch")
        numbers = [v.version for v in versions[1:]] + [0]
        if numbers:
            chosen = st.selectbox("Compare with the version in use", numbers, key="w_model_version",
                                  format_func=lambda n: f"version {n}" if n else "the file (version 0)")
            old = model_versions.get(cur, base, chosen)
            if old is None:
                st.warning("That version's file cannot be read any more.", icon=":material/warning:")
            else:
                st.code(model_versions.diff(old.text, in_use.text, f"version {chosen}", f"version {in_use.version}")
                        or "(the same text)", language="diff")
                if grant.may_write and not pinned and st.button(f"Restore version {chosen}", key="model_restore",
                                                                icon=":material/history:",
                                                                help="Saves its text as a new version: nothing is lost"):
                    try:
                        number = model_versions.save(db, base, old.text, by=_ui.user_name() or grant.who,
                                                     note=f"restored version {chosen}", check_model=_check_access,
                                                     based_on=shown_against)
                    except model_versions.VersionConflict as exc:
                        st.error(escape(f"Not restored: {exc} The comparison above now shows the model in use; "
                                        "restore again if the version should still replace it."),
                                 icon=":material/group:")
                    except (ModelError, model_versions.VersionError) as exc:
                        problems = getattr(exc, "problems", None) or [str(exc)]
                        st.error("Not restored:\n\n" + "\n".join(f"- {escape(p)}" for p in problems),
                                 icon=":material/error:")
                    else:
                        st.toast(f"Restored version {chosen} as version {number}.", icon=":material/check:")
                        st.rerun()
