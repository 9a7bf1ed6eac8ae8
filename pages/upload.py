"""Upload: drop a survey export as it is; confirm the suggested mapping in one step; get a receipt."""

import uuid
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from cxdata import export, invitations, mapping_table, service, store
from cxdata.bidi import isolated
from cxdata.markdown import escape as md
from cxdata.ingest import engine
from cxdata.ingest.errors import IngestError
from cxdata.ingest.mapping import MappingError, source_name
from cxdata.ingest.text import ENCODING_LABELS
from cxdata.zones import zone_choices
from pages import _ui

_ui.start_page("upload")

ENCODINGS = {"": "detect automatically", **{k: ENCODING_LABELS[k] for k in
                                            ("utf-8", "utf-16", "cp1256", "cp1251", "cp1255", "cp1252", "cp1250", "cp1254")}}
TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "json"]
LAYOUTS = {"qualtrics": "Qualtrics export", "qualtrics_legacy": "Qualtrics export (legacy format)",
           "surveymonkey": "SurveyMonkey export", "google_forms": "Google Forms export", "typeform": "Typeform export",
           "zendesk": "Zendesk CSAT export", "porsline": "Porsline export", "generic": "Spreadsheet",
           "canonical": "CX Pyramid canonical file", "demo": "demo data", invitations.LAYOUT: "Invitation list"}

_ui.ensure_data(required=False)
db, model = _ui.database(), _ui.model()
st.title("Upload survey responses")
st.caption("Qualtrics, SurveyMonkey, Google Forms, Typeform, Zendesk, Porsline exports or your own sheet — "
           "as CSV, Excel, Parquet or JSON, exactly as downloaded. An invitation list (the customers a survey was "
           "sent to) goes in here too, for the response rates.")
# Which model the answers are read into: its touchpoints, teams, measures and segments decide which
# tiles count them (a new user loaded real exports under the demo model without knowing it).
st.caption(f"Files are read into the pyramid model **{md(model.name)}** ({md(str(service.model_path_for(db)))}): its "
           "touchpoints, teams, measures and segments decide which tiles count the answers. The Model page shows and "
           "edits it; another model file is chosen with `CX_MODEL` when the app starts (see the README).")


def _responses_in(receipt: dict) -> int:
    """Responses the file holds (added, updated or unchanged): none for a header-only file."""
    return receipt["added"] + receipt["updated"] + receipt["unchanged"]


def _incoming_dir():
    folder = db.path.parent / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _inspect(path, name, encoding=None, sheet=None):
    try:
        ins = service.inspect_file(db, model, path, encoding=encoding or None, sheet=sheet, name=name)
    except (IngestError, MappingError) as exc:
        path.unlink(missing_ok=True)
        st.session_state.pop("_inspection", None)
        st.error(f"**{md(name)}** was not loaded. {md(getattr(exc, 'message', None) or exc)}", icon=":material/block:")
        return
    st.session_state["_inspection"] = {"ins": ins, "name": name, "path": path}
    st.session_state.pop("_losses", None)


def _on_upload():
    uploaded = st.session_state.get(f"uploader_{st.session_state.get('_uploads', 0)}")
    st.session_state.pop("_receipt", None)
    st.session_state.pop("_invitation_receipt", None)
    st.session_state.pop("_losses", None)
    if uploaded is None:
        return
    # Streamlit holds the upload in memory: write it to disk at once and work from the file.
    path = _incoming_dir() / f"{uuid.uuid4().hex}{_suffix(uploaded.name)}"
    with path.open("wb") as f:
        f.write(uploaded.getbuffer())
    st.session_state["_pending_file"] = (path, uploaded.name)


def _remove(upload_id: int) -> None:
    """The confirmed removal of `upload_id` (a button's callback), said on the next run under the
    history: a toast alone went unnoticed (found by an audit)."""
    try:
        removal = store.remove_upload(_ui.database(), upload_id)
    except store.InputError:
        st.session_state["_removed_error"] = (f"Upload #{upload_id} was removed meanwhile, in another session: "
                                              "nothing more was removed.")
        return
    parts = ([f"{removal.deleted:,} response{'' if removal.deleted == 1 else 's'} it added "
              f"{'is' if removal.deleted == 1 else 'are'} gone"] if removal.deleted else [])
    parts += [f"{removal.restored:,} it edited {'is' if removal.restored == 1 else 'are'} back to their "
              "earlier version"] if removal.restored else []
    # (A removal that takes nothing away must say why, and what would: found by an audit.)
    parts += [f"{removal.kept:,} stay, because a later upload brought them too: remove that upload as well "
              "to take them out"] if removal.kept else []
    parts += [f"its {removal.invitations:,} invitation{'' if removal.invitations == 1 else 's'} "
              f"{'is' if removal.invitations == 1 else 'are'} gone"] if removal.invitations else []
    parts += [f"{removal.invitations_restored:,} invitation{'' if removal.invitations_restored == 1 else 's'} "
              "it corrected are back to their earlier version"] if removal.invitations_restored else []
    st.session_state["_removed_note"] = f"Removed upload #{upload_id}: " + ("; ".join(parts) or "nothing of it was stored") + "."


def _offer_for_removal(upload_id: int | None) -> None:
    """The removal box offers the upload just made, the one a receipt's advice to remove it means:
    the box kept its earlier choice, the upload that was newest before (found by a review: #17 offered
    after loading #19). Set when the box is drawn, where the history says whether it can be offered."""
    st.session_state["_remove_offer"] = upload_id


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower()[:8] if dot > 0 else ""


if st.session_state.pop("_release_memory", False):
    service.release_memory()
limit_mb = service.limits().max_bytes / 2**20
st.file_uploader("Survey export", type=TYPES, key=f"uploader_{st.session_state.get('_uploads', 0)}", on_change=_on_upload,
                 help=f"Files up to {limit_mb:,.0f} MB. The file stays on this server; the original is kept with the upload history.")
pending = st.session_state.pop("_pending_file", None)
if pending:
    _inspect(*pending)


def _check_and_load(state: dict) -> None:
    """Steps 1 and 2. A function, so that the file's columns (`ins`) are referred to by no global of
    a page run: a widget's callback keeps its run's globals alive after the run."""
    ins = state["ins"]
    headers = [str(c) for c in ins.preview.columns]
    from cxdata.ingest.mapping import MEASURE_ROLES

    answers = any(spec.role in MEASURE_ROLES for spec in ins.mapping.columns.values())
    if invitations.looks_like_invitations(headers, model, answers=answers):
        _invitation_step(state, headers)
        return
    st.subheader(f"1 · Check: {md(state['name'])}")
    facts = [LAYOUTS.get(ins.layout_name, ins.layout_name.replace("_", " "))]
    if ins.raw.format == "csv":
        facts += [ENCODING_LABELS.get(ins.encoding or "", ins.encoding or "") or "UTF-8",
                  {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated", "|": "pipe-separated"}.get(
                      ins.delimiter or "", "")]
    else:
        # The sheet's name isolated: a Persian name pulled the header count into its quotes (found by an audit).
        facts.append(ins.raw.format.upper() + (f", sheet “{isolated(ins.sheet)}”" if ins.sheet else ""))
    facts.append(f"{ins.header_rows} header row{'s' if ins.header_rows != 1 else ''}")
    st.caption(" · ".join(md(f) for f in facts if f))
    new = set(ins.new_columns)
    if ins.mapping_origin == "saved":
        st.success("Recognised this export: its saved mapping is used. Check the preview and load.", icon=":material/verified:")
    elif new:
        # Its saved roles, lookups, value maps and time zone hold for the columns it knows: only the
        # new ones are a question (found by a review: a question added to a form made its export a
        # new survey, and loading it took the team from every stored response).
        st.info(f"Recognised this export as the survey **{md(ins.recognition.source)}**, with {len(new)} new "
                f"column{'s' if len(new) != 1 else ''}. The columns it knew keep their saved roles; say what the "
                "new one" + ("s are" if len(new) != 1 else " is") + " (listed first and highlighted below) and load.",
                icon=":material/new_releases:")
    for w in ins.warnings:
        if not w.startswith((engine.RECOGNISED, engine.NEW_COLUMNS)):
            st.warning(md(w), icon=":material/info:")
    enc_col, src_col = st.columns(2)
    if ins.raw.format == "csv":
        current = ins.mapping.encoding or ""
        encoding = enc_col.selectbox("Text encoding", list(ENCODINGS), index=list(ENCODINGS).index(current) if current in ENCODINGS else 0,
                                     format_func=ENCODINGS.get, help="Change it if letters look wrong in the preview.")
        if encoding != current:
            _inspect(state["path"], state["name"], encoding)
            st.rerun()
    elif len(ins.raw.sheets) > 1:
        sheet = enc_col.selectbox("Sheet", ins.raw.sheets, index=ins.raw.sheets.index(ins.sheet) if ins.sheet in ins.raw.sheets else 0,
                                  help="The sheet that holds the responses, one row per response.")
        if sheet != ins.sheet:
            _inspect(state["path"], state["name"], sheet=sheet)
            st.rerun()
    source = src_col.text_input("Source name", value=ins.mapping.source,
                                help="Responses are matched by (source, response id): re-uploads of the same survey merge.")
    if source.strip() and source_name(source) != source.strip():
        src_col.caption(f"Stored as **{md(source_name(source))}** (lower-case letters, digits and _).")
    st.markdown("**Preview** (first rows, as read)")
    st.dataframe(ins.preview.astype("string").fillna(""), hide_index=True, width="stretch")

    st.subheader("2 · Confirm what each column is")
    # Ignored columns last, in one table: a toggle that hid them gave the editor other rows and
    # threw the user's edits away (found by an audit).
    # An export recognised with new columns: the saved roles, and a suggestion for the new ones.
    base = engine.proposed(ins)
    rows = mapping_table.mapping_rows(replace(ins, mapping=base))
    order = rows["role"].eq("ignore").astype(int) - rows["column"].isin(new).astype(int) * 2
    rows = rows.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    st.caption("Columns the app will not load are listed last, with the role *ignore*: give one a role to load it. "
               "Where an answer's value is missing or wrong, write it under *stored as* ('Neither → 4').")
    shown_rows = rows
    if new:
        marked = rows["column"].isin(new).tolist()
        shown_rows = rows.style.apply(
            lambda col: ["background-color: rgba(255, 189, 69, 0.35)" if m else "" for m in marked],
            subset=["column", "header", "examples"])
        st.caption("New since the mapping was saved: " + ", ".join(f"**{md(c)}**" for c in rows["column"] if c in new))
    edited = st.data_editor(
        shown_rows, hide_index=True, width="stretch", key="mapping_editor",
        disabled=["column", "header", "examples"],
        column_order=mapping_table.COLUMNS,
        column_config={
            "header": st.column_config.TextColumn("question", width="large", pinned=True,
                                                  help="The column's header as the export writes it"),
            "column": st.column_config.TextColumn("code", width="small",
                                                  help="The column's code in the export (Qualtrics' QID…, a header)"),
            "examples": st.column_config.TextColumn("examples", width="medium"),
            "role": st.column_config.SelectboxColumn("role", options=mapping_table.EDITABLE_ROLES, required=True),
            "measure": st.column_config.TextColumn("measure", help="Name of the measure in the pyramid model (e.g. nps, csat)"),
            "touchpoint": st.column_config.TextColumn("touchpoint", help="For matrix rows: the touchpoint the rating is about"),
            "segment": st.column_config.TextColumn("segment", help="For segment columns: the segment key (e.g. region)"),
            "stored as": st.column_config.TextColumn(
                "stored as", width="medium",
                help="How the column's answers are stored: labels as scores, and other languages' segment values as "
                     "the model names them (its aliases). Edit it to give an answer its value: 'Very low effort → 7; "
                     "N/A → no answer', separated by ';'."),
        },
    )
    date_col, tz_col = st.columns(2)
    orders = {None: "detect from the data", True: "day first (31/12/2025)", False: "month first (12/31/2025)"}
    dayfirst = date_col.selectbox("Date order", list(orders), format_func=orders.get,
                                  index=list(orders).index(ins.mapping.dayfirst),
                                  help="Only needed when every date in the file could be read either way.")
    zones = zone_choices(ins.mapping.timezone, st.context.timezone)
    timezone = tz_col.selectbox("Time zone of times without an offset", zones, index=0,
                                help="Times are stored in UTC; a time written with its offset (e.g. GMT+3:30) keeps it. "
                                     "Type to find any zone; the one this browser is set to comes second.")
    remove_demo = _ui.state().demo and st.checkbox("Remove the demo data when loading this file", value=True)

    def confirmed():
        return replace(mapping_table.apply_edits(base, edited, source=source_name(source)), dayfirst=dayfirst,
                       timezone=timezone)

    if st.button("Load responses", type="primary", icon=":material/upload:"):
        st.session_state.pop("_losses", None)
        try:
            mapping = confirmed()
        except MappingError as exc:
            st.error(f"Nothing was loaded: {md(exc)}", icon=":material/block:")
        else:
            _load(state, mapping, remove_demo)
    losses = st.session_state.get("_losses")
    if losses:
        try:
            same = confirmed() == losses["mapping"] and remove_demo == losses["remove_demo"]
        except MappingError:
            same = False
        if not same:  # changed since it was asked: what it would lose is asked again on loading
            st.session_state.pop("_losses", None)
            losses = None
    if losses:
        # Asked before anything is stored: loading took from every stored response its team and no
        # more than a note said so, after the fact (found by a review).
        st.warning(f"**Not loaded yet.** {md(losses['message'])} Check the mapping above (the roles of the columns "
                   "that gave them), or load the file as it is: the upload history can remove it again.",
                   icon=":material/warning:")
        c1, c2 = st.columns(2)
        if c1.button("Load anyway", icon=":material/upload:", key="w_load_losses"):
            _load(state, losses["mapping"], losses["remove_demo"], allow_losses=True)
        if c2.button("Cancel", key="w_cancel_losses"):
            st.session_state.pop("_losses", None)
            st.rerun()


def _load(state: dict, mapping, remove_demo: bool, *, allow_losses: bool = False) -> None:
    """Load the inspected file with `mapping`, and show its receipt; a load that would take from
    many stored responses what they have is held back for the user to confirm (`_losses`)."""
    ins = state["ins"]
    try:
        with st.spinner("Loading…"):
            receipt = service.apply_inspection(db, ins, mapping, file_name=state["name"], model=model,
                                               allow_losses=allow_losses)
            # Only once the file is in: a refused file, or one with no responses (a header
            # only), must leave the demo data as it was.
            if remove_demo and _responses_in(receipt) and receipt.get("counted"):
                try:
                    receipt["demo_removed"] = service.remove_demo(db)
                except store.InputError as exc:  # the file is in: its receipt, with what went wrong
                    receipt["demo_error"] = str(exc)
            elif remove_demo and _responses_in(receipt):
                # Nothing of the file shows in a tile: removing the demo would leave an empty
                # dashboard whose message blamed filters (found by an audit).
                receipt["demo_kept"] = True
    except store.LossError as exc:
        st.session_state["_losses"] = {"message": str(exc), "mapping": mapping, "remove_demo": remove_demo}
        st.rerun()
    except (MappingError, IngestError, store.InputError) as exc:
        st.error(f"Nothing was loaded: {md(getattr(exc, 'message', None) or exc)}", icon=":material/block:")
    else:
        # The listed rows' own cells, for the receipt's download, while the file is at hand.
        receipt["row_cells"] = service.row_cells(
            ins, [r for r, *_ in receipt["rejected"] + receipt["excluded"] + receipt.get("skipped", [])
                  + receipt.get("invalid_values", [])])
        state["path"].unlink(missing_ok=True)
        st.session_state.pop("_inspection", None)
        st.session_state.pop("_losses", None)
        st.session_state["_release_memory"] = True  # once this run, which holds the file's columns, is gone
        st.session_state["_receipt"] = receipt
        st.session_state["_uploads"] = st.session_state.get("_uploads", 0) + 1  # a fresh, empty uploader
        _offer_for_removal(receipt.get("upload_id"))
        st.rerun()


def _invitation_step(state: dict, headers: list[str]) -> None:
    """A list of the customers a survey was sent to: loaded as such (cxdata.invitations), for the
    response rates, not as answers."""
    ins = state["ins"]
    found, _ = invitations.recognise(headers, model)
    st.subheader(f"1 · An invitation list: {md(state['name'])}")
    st.info("This file lists customers a survey was sent to (a customer id and the date each was invited), not their "
            "answers. Loaded as an invitation list, it gives the response rates by survey, wave and segment, and who "
            "stays silent (the Response rates page).", icon=":material/contact_mail:")
    roles = {"customer_id": "customer id", "invited_at": "invitation date", "source": "survey source", "wave": "wave"}
    st.caption("Read as: " + " · ".join(
        f"{md(headers[i])} → {roles.get(k) or md(model.segment(k).name) + ' (segment)'}" for k, i in found.items()))
    st.dataframe(ins.preview.astype("string").fillna(""), hide_index=True, width="stretch")
    source = ""
    if "source" not in found:
        source = st.text_input("Survey source of these invitations", key="w_invite_source",
                               help="The source the survey's responses were loaded under (the upload history names "
                                    "it), e.g. qualtrics: a response answers an invitation of its own source.")
    orders = {None: "detect from the data", True: "day first (31/12/2025)", False: "month first (12/31/2025)"}
    dayfirst = st.selectbox("Date order", list(orders), format_func=orders.get, key="w_invite_dayfirst",
                            help="Only needed when every date in the file could be read either way.")
    if st.button("Load invitation list", type="primary", icon=":material/upload:"):
        if "source" not in found and not source.strip():
            st.error("Say which survey these invitations were for (its source name).", icon=":material/block:")
            return
        with st.spinner("Loading…"):
            receipt = service.load_invitations(db, model, state["path"], source=source.strip() or None,
                                               file_name=state["name"], dayfirst=dayfirst)
        if receipt["status"] != "loaded":
            st.error(f"Nothing was loaded: {md(receipt['error'])}", icon=":material/block:")
            return
        state["path"].unlink(missing_ok=True)
        st.session_state.pop("_inspection", None)
        st.session_state["_invitation_receipt"] = receipt
        st.session_state["_uploads"] = st.session_state.get("_uploads", 0) + 1
        _offer_for_removal(receipt.get("upload_id"))
        st.rerun()


if st.session_state.get("_inspection"):
    _check_and_load(st.session_state["_inspection"])

invited = st.session_state.get("_invitation_receipt")
if invited:
    st.subheader(f"Receipt: {md(invited['file'])}")
    if not invited["added"] and not invited["updated"]:
        st.info(f"Nothing changed: all {invited['unchanged']:,} invitations of this list were stored already.",
                icon=":material/done_all:")
    else:
        st.success("Loaded as an invitation list: the response rates are on the Response rates page.",
                   icon=":material/check_circle:")
    cols = st.columns(5)
    for col, (label, value) in zip(cols, [("Rows read", invited["rows_read"]), ("Added", invited["added"]),
                                          ("Updated", invited["updated"]), ("Unchanged", invited["unchanged"]),
                                          ("Rejected", invited["rejected_count"])]):
        col.metric(label, f"{value:,}")
    for w in invited["warnings"]:
        st.info(md(w))
    if invited["rejected"]:
        table = pd.DataFrame(invited["rejected"], columns=["line in file", "reason"])
        st.markdown("**Rows not loaded**")
        st.dataframe(table.astype({"reason": "string"}), hide_index=True, width="stretch")
        st.download_button("Download as CSV", export.to_csv_bytes(table), file_name=f"rejected_{Path(invited['file']).stem}.csv",
                           mime="text/csv", icon=":material/download:")
    if st.button("See the response rates", icon=":material/contact_mail:"):
        st.switch_page("pages/rates.py")

receipt = st.session_state.get("_receipt")
if receipt:
    st.subheader(f"Receipt: {md(receipt['file'])}")
    kind = LAYOUTS.get(receipt['layout'], receipt['layout'].replace('_', ' '))
    if _responses_in(receipt) and not receipt["added"] and not receipt["updated"]:
        # An identical re-upload: said first, not as a fresh load (found by an audit).
        uncounted = len(receipt.get("invalid_values") or [])
        # A mapping change whose answers were all refused changes nothing: said, not left to the table below.
        st.info(f"Nothing changed: all {receipt['unchanged']:,} responses of this file were stored already, as they "
                f"are, under source **{md(receipt['source'])}**."
                + (f" {uncounted:,} answer{'' if uncounted == 1 else 's'} of it {'was' if uncounted == 1 else 'were'} "
                   "not counted (listed below): give their labels a value under *stored as* in the mapping."
                   if uncounted else ""), icon=":material/done_all:")
    elif not _responses_in(receipt):
        st.warning(f"The file holds no responses ({md(kind)}): nothing was loaded"
                   + (", and the demo data stays." if _ui.state().demo else "."), icon=":material/inbox:")
    elif receipt.get("undated", 0) >= _responses_in(receipt):
        # Said as what it is, not as 'some answers': no period holds a response without a date, so
        # nothing of the file shows anywhere (found by a new user's walk: 17 responses "loaded").
        n = _responses_in(receipt)
        st.warning(f"Loaded as source **{md(receipt['source'])}**, but {'its' if n != 1 else 'the'} {n:,} "
                   f"response{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} no date, so no period shows "
                   f"{'them' if n != 1 else 'it'} and no tile counts {'them' if n != 1 else 'it'}. To have them "
                   "counted, load the file again with the column that holds the date of each response given the "
                   "role *timestamp* in step 2 (a file without such a column needs one added).",
                   icon=":material/event_busy:")
    elif receipt.get("unseen"):
        st.warning(f"Loaded as source **{md(receipt['source'])}**: {md(kind)}. Some of its answers show in no tile: "
                   "the notes below say which, and what to change.", icon=":material/visibility_off:")
    else:
        st.success(f"Loaded as source **{md(receipt['source'])}**: {md(kind)}.", icon=":material/check_circle:")
    cols = st.columns(6)
    for col, (label, value) in zip(cols, [("Rows read", receipt["rows_read"]), ("Added", receipt["added"]),
                                          ("Updated", receipt["updated"]), ("Unchanged", receipt["unchanged"]),
                                          ("Rejected", receipt["rejected_count"]), ("Excluded", receipt["excluded_count"])]):
        col.metric(label, f"{value:,}")
    if changes := receipt.get("updated_responses"):
        from cxdata.store import UPDATES_LISTED

        # Which responses the file changed, and how (a re-export's edits, a mapping that reads a column anew).
        frame = pd.DataFrame(changes, columns=["source", "response id", "field", "before", "after"]).astype("string")
        capped = len(changes) >= UPDATES_LISTED
        st.download_button(f"What the {receipt['updated']:,} updated response{'' if receipt['updated'] == 1 else 's'} "
                           "changed (CSV)", export.to_csv_bytes(frame), file_name=f"updated_{Path(receipt['file']).stem}.csv",
                           mime="text/csv", icon=":material/difference:", key="download_updates",
                           help="Each changed answer, comment, answer time or team: before and after"
                                + (f" (the first {UPDATES_LISTED:,} changes)" if capped else ""))
    if receipt.get("demo_removed"):
        st.info(f"The demo data was removed, as chosen: {receipt['demo_removed']:,} demo responses. The pyramid now "
                "shows your own data only.", icon=":material/delete_sweep:")
    elif receipt.get("demo_error"):
        st.warning(f"The file is in, but the demo data could not be removed: {md(receipt['demo_error'])}. Remove its "
                   "upload (\"demo data\") in the history below.", icon=":material/science:")
    elif receipt.get("demo_kept"):
        st.warning("The demo data was kept: no tile of the model counts this file's answers (the notes below say "
                   "why), and removing it would leave the dashboard empty. It goes with the next upload whose answers "
                   "a tile counts.", icon=":material/science:")
    for w in receipt["warnings"]:
        st.info(md(w))
    if receipt["duplicates"]:  # the receipt's warnings above say how many; this lists them
        st.dataframe(pd.DataFrame([(rid, ", ".join(map(str, rows)), why) for rid, rows, why in receipt["duplicates"]],
                                  columns=["response id", "lines in file", "resolution"]).astype("string"),
                     hide_index=True, width="stretch")
    if skipped := receipt.get("skipped"):
        lines = ", ".join(str(r) for r, _ in skipped[:10]) + (f" and {len(skipped) - 10:,} more" if len(skipped) > 10 else "")
        st.caption(f"Skipped: {len(skipped):,} empty line{'' if len(skipped) == 1 else 's'} between the rows (line "
                   f"{lines}), with nothing to load. If a response was broken in two by a line break, its rest is in the "
                   "rows around it.")
    problems = [(r, "rejected row", why) for r, why in receipt["rejected"]]
    problems += [(r, "excluded row", why) for r, why in receipt["excluded"]]
    problems += [(r, "skipped line", why) for r, why in receipt.get("skipped", [])]
    problems += [(row, "value not counted", f"{col}: {raw!r} — {why}") for row, col, raw, why in receipt.get("invalid_values", [])]
    if problems:
        table = pd.DataFrame(problems, columns=["line in file", "what", "reason"]).sort_values("line in file")
        st.markdown("**Rows and values not counted**")
        st.dataframe(table.astype({"reason": "string"}), hide_index=True, width="stretch",
                     column_config={"line in file": st.column_config.NumberColumn(width="small", format="%d"),
                                    "what": st.column_config.TextColumn(width="small")})
        # The download gives each row's own cells after its line and reason: fixed, they load again.
        full = service.with_cells(table, receipt.get("row_cells"))
        with st.container(horizontal=True):
            st.download_button("Download as CSV", export.to_csv_bytes(full),
                               file_name=f"rejected_{Path(receipt['file']).stem}.csv",
                               mime="text/csv", icon=":material/download:",
                               help="Each row's line, what happened to it and why, then its cells as the file has them")
            st.download_button("Excel", lambda: export.to_xlsx_bytes(full, sheet="Rows not counted"),
                               file_name=f"rejected_{Path(receipt['file']).stem}.xlsx", icon=":material/table_view:",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if st.button("Go to the pyramid", icon=":material/change_history:"):
        st.switch_page("pages/pyramid.py")

st.subheader("Upload history")
history = service.upload_history(db)
if history.empty:
    st.caption("No uploads yet.")
else:
    shown = history.drop(columns=["holds"]).rename(columns={"upload_id": "#"}).astype({"file": "string"}).fillna(
        {"layout": "", "encoding": ""})
    shown["layout"] = [LAYOUTS.get(k, k.replace("_", " ")) for k in shown["layout"]]
    shown["encoding"] = [ENCODING_LABELS.get(k, k) if k else "" for k in shown["encoding"]]
    # An upload that holds nothing (an identical re-upload, a file with no responses) has nothing
    # to remove: it is listed, and not offered for removal, until an earlier upload's removal
    # passes it the responses both brought.
    changed = history["holds"] > 0
    shown["status"] = ["removed " + r if isinstance(r, str) and r else "active" if c else "no change"
                       for r, c in zip(shown.pop("removed"), changed)]
    # Rows are lines of the file (a long export has one per answer); the other counts are responses,
    # or invitations for an invitation list.
    counts = {"rows_read": "rows read", "added": "added", "updated": "updated", "unchanged": "unchanged",
              "rejected": "rows rejected", "excluded": "rows excluded"}
    shown = shown.rename(columns={**counts, "uploaded": "uploaded (UTC)"})
    # The status next to the file name: on a narrow screen the counts scroll, not the status.
    first = ["#", "file", "status", "uploaded (UTC)"]  # '#': the number the removal box names
    shown = shown[first + [c for c in shown.columns if c not in first]]
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={**{name: st.column_config.NumberColumn(format="localized") for name in counts.values()},
                                "added": st.column_config.NumberColumn(
                                    format="localized", help="Responses added; for an invitation list, invitations"),
                                "status": st.column_config.TextColumn(width="medium")})
    active = history[history["removed"].isna() & changed]
    offering, offer = "_remove_offer" in st.session_state, st.session_state.pop("_remove_offer", None)
    if not active.empty:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        options = active["upload_id"].tolist()
        by_id = history.set_index("upload_id")
        if offering:
            # Set through the widget's state, never by dropping it for a new index: the box's identity
            # is its key, so the browser kept showing its earlier choice while the confirmation and
            # its button named the new upload (found by a review). A value set here is sent to it.
            st.session_state["w_remove_upload"] = offer if offer in options else options[0]
        choice = c1.selectbox("Remove an upload", options, key="w_remove_upload",
                              help="The responses it added are deleted; those it edited go back to the version "
                                   "they had before it.",
                              format_func=lambda i: f"#{i} · {by_id.loc[i, 'file']} · {by_id.loc[i, 'uploaded']} UTC")
        # One popover per upload: after a removal the next upload's confirmation starts closed,
        # never one click away from removing an upload nobody chose.
        confirm = c2.popover("Remove", icon=":material/delete:", key=f"remove_{choice}")
        # The confirmation names what it removes, not a number alone (found by a review).
        chosen = by_id.loc[choice]
        counts = [f"{int(chosen[k]):,} {label}" for k, label in (("added", "added"), ("updated", "updated"),
                                                                 ("unchanged", "unchanged"), ("rejected", "rejected"),
                                                                 ("excluded", "excluded")) if chosen[k]]
        confirm.markdown(f"Remove upload **#{choice}**, **{md(str(chosen['file']))}**, uploaded {chosen['uploaded']} UTC "
                         f"({int(chosen['rows_read']):,} rows read{': ' + ', '.join(counts) if counts else ''})? "
                         "Its added responses are deleted and its edits reverted; the upload stays in the history, "
                         "marked removed.")
        # The upload named in the confirmation is the one removed: the click carries its id (another
        # session's upload or removal changes the list, and the box's choice, before the click's
        # run; found by an audit).
        confirm.button("Yes, remove it", type="primary", key=f"confirm_remove_{choice}", on_click=_remove,
                       args=(int(choice),))
if note := st.session_state.pop("_removed_note", None):
    st.success(note, icon=":material/delete:")
if note := st.session_state.pop("_removed_error", None):
    st.warning(note, icon=":material/sync_problem:")
