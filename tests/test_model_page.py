"""The Model page under AppTest: an administrator edits a target, checks and saves it, and the
pyramid reads the new version; invalid text is refused by key; a viewer reads only; history restores."""

import pytest
from streamlit.testing.v1 import AppTest

from cxdata import model_versions, service
from cxdata.db import Database
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("pages_handed_over")

APP = str(ROOT / "dashboard.py")
DELIVERY_TARGET = "  - {key: delivery_tehran, name: Delivery - Tehran Hub, touchpoint: delivery, aliases: [Tehran Hub], targets: {csat: 82}}"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_DB", str(tmp_path / "cx.duckdb"))
    monkeypatch.setenv("CX_DEMO_RESPONSES", "20000")
    monkeypatch.setattr(service, "DEMO_RESPONSES", 20000)
    monkeypatch.delenv("CX_MODEL", raising=False)
    monkeypatch.delenv("CX_ACCESS", raising=False)

    def make(page="pages/model.py", user=None, **params):
        at = AppTest.from_file(APP, default_timeout=120)
        if user:
            at.user = user
        for k, v in params.items():
            at.query_params[k] = v
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def version_of(at) -> int:
    return int(next(t.key for t in at.text_area if t.key.startswith("w_model_text_")).rsplit("_", 1)[1])


def editor(at):
    return at.text_area(key=f"w_model_text_{version_of(at)}")


def versions(tmp_path):
    db = Database(tmp_path / "cx.duckdb")
    try:
        return model_versions.history(db.cursor(), service.model_path_for(db))
    finally:
        db.close()


def team_caption(at, team: str) -> str:
    i = next(i for i, m in enumerate(at.metric) if m.label.startswith(team))
    return at.metric[i].help or ""


def test_an_edited_target_is_checked_saved_and_read_by_the_pyramid(app, tmp_path):
    at = app()
    assert at.title[0].value == "Pyramid model"
    # what it measures: the journeys, with their touchpoints, before the touchpoints
    heads = [s.value for s in at.subheader]
    assert heads.index("Journeys · 3") + 1 == heads.index("Touchpoints · 7")
    journeys = next(d.value for d in at.dataframe if "Journey" in d.value.columns)
    assert journeys.set_index("Key").loc["get_help", "Touchpoints"] == "Call center, Live chat"
    text = editor(at).value
    assert DELIVERY_TARGET in text
    editor(at).set_value(text.replace("targets: {csat: 82}", "targets: {csat: 90}"))
    at.button(key="model_check").click().run()
    assert at.success and "+  - {key: delivery_tehran" in at.code[0].value and "{csat: 90}" in at.code[0].value
    assert versions(tmp_path) == []  # checked, not saved
    at.text_input(key=f"w_model_note_{version_of(at)}").set_value("Tehran hub: CSAT target 90")
    at.button(key="model_save").click().run()
    assert not at.exception
    saved = versions(tmp_path)
    assert [(v.version, v.note) for v in saved] == [(1, "Tehran hub: CSAT target 90")]
    assert "Zelvora CX · version 1, saved" in at.caption[0].value and "Tehran hub: CSAT target 90" in at.caption[0].value
    # no server path without an access file (everyone is an administrator then)
    assert not any(".yaml" in c.value for c in at.caption)
    assert editor(at).key == "w_model_text_1" and at.text_input(key="w_model_note_1").value == ""
    # The pyramid reads version 1: the hub's tile is measured against 90.
    pyr = app(page="pages/team.py", tp="delivery", team="delivery_tehran")
    assert any("target\xa090.0%" in c.value for c in pyr.caption), [c.value for c in pyr.caption][:6]


def test_an_invalid_model_is_refused_by_key_and_nothing_is_saved(app, tmp_path):
    at = app()
    text = editor(at).value
    editor(at).set_value(text.replace("touchpoint: delivery, aliases: [Tehran Hub]",
                                                            "touchpoint: deliveries, aliases: [Tehran Hub]"))
    at.button(key="model_save").click().run()
    assert "Not saved" in at.error[0].value and "deliveries" in at.error[0].value
    assert versions(tmp_path) == []


def test_history_compares_and_restores(app, tmp_path):
    at = app()
    text = editor(at).value
    editor(at).set_value(text + "# first edit\n")
    at.button(key="model_save").click().run()
    editor(at).set_value(text + "# second edit\n")
    at.button(key="model_save").click().run()
    assert [v.version for v in versions(tmp_path)] == [2, 1]
    at.selectbox(key="w_model_version").set_value(1).run()
    assert any("-# first edit" in c.value and "+# second edit" in c.value for c in at.code)
    at.button(key="model_restore").click().run()
    saved = versions(tmp_path)
    assert [(v.version, v.note) for v in saved][0] == (3, "restored version 1") and saved[0].text.endswith("# first edit\n")


def test_a_pinned_model_is_read_only(app, monkeypatch):
    monkeypatch.setenv("CX_MODEL", str(ROOT / "cxdata" / "models" / "demo.yaml"))
    at = app()
    assert "CX_MODEL" in at.info[0].value
    assert not at.text_area and "model_save" not in [b.key for b in at.button]


def test_a_viewer_reads_and_a_team_member_may_not_open_it(app, tmp_path, monkeypatch):
    policy = tmp_path / "access.yaml"
    policy.write_text("people:\n  - {who: v@example.com, role: viewer}\n  - {who: t@example.com, teams: [cc_europe]}\n"
                      "  - {who: a@example.com, role: admin}\n", encoding="utf-8")
    monkeypatch.setenv("CX_ACCESS", str(policy))
    at = app(user={"is_logged_in": True, "email": "v@example.com"})
    assert at.title[0].value == "Pyramid model" and not at.text_area
    assert "delivery_tehran" in at.code[0].value
    # found in a review: the server's path to the model file, for every reader; now the model's
    # name and version, the path for an administrator alone
    assert at.caption[0].value.startswith("Zelvora CX") and not any(".yaml" in c.value for c in at.caption)
    at = app(user={"is_logged_in": True, "email": "t@example.com"})
    assert "Your access does not include this page." in [w.value for w in at.warning]
    # An administrator's edit that drops a team the access file names would shut the app: refused.
    at = app(user={"is_logged_in": True, "email": "a@example.com"})
    assert any(c.value.startswith("File on the server:") and "yaml" in c.value for c in at.caption)
    text = editor(at).value
    kept = "\n".join(line for line in text.splitlines() if "key: cc_europe" not in line) + "\n"
    editor(at).set_value(kept)
    at.button(key="model_save").click().run()
    error = at.error[0].value.replace("\\", "")
    assert "the access file (CX_ACCESS) would no longer fit" in error and "no team 'cc_europe'" in error
    assert versions(tmp_path) == []


def test_a_view_remembered_before_a_save_is_checked_against_the_new_model(app):
    # A session on a team's view and a segment filter; a version drops both; the next page the
    # session opens from the sidebar (no view in the link) says so instead of failing.
    at = app(page="pages/team.py", tp="delivery", team="delivery_tehran", tier="VIP")
    assert at.title[0].value.startswith("Delivery")
    at.switch_page("pages/model.py").run()
    text = editor(at).value
    kept = [line for line in text.splitlines() if "key: delivery_tehran" not in line]
    start = next(i for i, line in enumerate(kept) if line.startswith("  - key: tier"))
    end = next(i for i in range(start + 1, len(kept)) if kept[i].startswith("  - key:") or not kept[i].startswith(" "))
    editor(at).set_value("\n".join(kept[:start] + kept[end:]) + "\n")
    at.button(key="model_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.query_params.clear()
    at.switch_page("pages/team.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "tier" not in at.query_params


def test_a_version_saved_meanwhile_in_another_session_is_shown_not_undone(app, tmp_path):
    sara, omid = app(), app()
    text = editor(sara).value
    editor(omid).set_value(text + "# Omid's edit\n")
    omid.run()
    editor(sara).set_value(text.replace("targets: {csat: 82}", "targets: {csat: 90}"))
    sara.button(key="model_save").click().run()
    assert [v.version for v in versions(tmp_path)] == [1]

    omid.run()  # his next rerun sees version 1, and keeps his text as it is
    assert version_of(omid) == 0 and editor(omid).value == text + "# Omid's edit\n"
    assert "Version 1 was saved" in omid.warning[0].value and "while you were editing version 0" in omid.warning[0].value
    assert any("{csat: 82}" in c.value and "{csat: 90}" in c.value for c in omid.code)  # her change, shown
    assert omid.button(key="model_save").disabled
    omid.button(key="model_check").click().run()
    assert "What it changes in version 0" in omid.success[0].value  # his own edit only
    assert versions(tmp_path)[0].version == 1

    # He goes on from version 1 with his text: Check shows that it would undo her target, and he
    # edits it back in before saving.
    omid.button(key="model_rebase").click().run()
    assert version_of(omid) == 1 and editor(omid).value == text + "# Omid's edit\n" and not omid.warning
    omid.button(key="model_check").click().run()
    assert any("-  - {key: delivery_tehran" in c.value and "+# Omid's edit" in c.value for c in omid.code)
    editor(omid).set_value(text.replace("targets: {csat: 82}", "targets: {csat: 90}") + "# Omid's edit\n")
    omid.button(key="model_save").click().run()
    saved = versions(tmp_path)
    assert [v.version for v in saved] == [2, 1] and "{csat: 90}" in saved[0].text and "# Omid's edit" in saved[0].text


def test_an_editor_with_nothing_edited_follows_the_newest_version_and_edits_can_be_discarded(app, tmp_path):
    sara, omid, idle = app(), app(), app()
    text = editor(sara).value
    editor(omid).set_value(text + "# Omid's edit\n")
    omid.run()
    editor(sara).set_value(text + "# Sara's edit\n")
    sara.button(key="model_save").click().run()
    idle.run()
    assert version_of(idle) == 1 and editor(idle).value.endswith("# Sara's edit\n") and not idle.warning
    omid.run()
    omid.button(key="model_discard").click().run()
    assert version_of(omid) == 1 and editor(omid).value.endswith("# Sara's edit\n") and not omid.warning


def test_a_narrowed_scale_warns_of_the_stored_answers_it_leaves_outside(app, tmp_path):
    at = app()
    text = editor(at).value
    old = "csat:     {name: Satisfaction, scale: [1, 5], top_box: 4}"
    assert old in text
    editor(at).set_value(text.replace(old, "csat:     {name: Satisfaction, scale: [1, 4], top_box: 3}"))
    at.button(key="model_check").click().run()
    db = Database(tmp_path / "cx.duckdb")
    try:
        fives = db.cursor().execute("SELECT count(*) FROM answers a JOIN labels l ON l.dim = 'measure' "
                                    "AND l.code = a.measure AND l.label = 'csat' WHERE a.value = 5").fetchall()[0][0]
    finally:
        db.close()
    assert fives > 0
    warning = at.warning[0].value
    assert f"{fives:,} answers of Satisfaction \\(5\\), outside its scale 1–4" in warning, warning
    assert "every figure still counts them" in warning
    at.button(key="model_save").click().run()
    assert versions(tmp_path)[0].version == 1  # a warning, not a refusal
    assert "outside its scale 1–4" in at.warning[0].value  # shown again after the save's rerun
    at.run()
    assert not at.warning


def _with_db(tmp_path, fn):
    db = Database(tmp_path / "cx.duckdb")
    try:
        return fn(db)
    finally:
        db.close()


def test_an_edit_is_not_saved_over_another_model_file_loaded_meanwhile(app, tmp_path):
    omid = app()
    text = editor(omid).value
    editor(omid).set_value(text + "# Omid\n")
    omid.run()
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("name: Zelvora CX", "name: Other Co", 1), encoding="utf-8")
    _with_db(tmp_path, lambda db: service.remember_model(db, other))  # what `ingest --model other.yaml` does
    omid.run()
    assert "The model in use is now another file" in omid.warning[0].value and omid.button(key="model_save").disabled
    assert editor(omid).value == text + "# Omid\n"
    assert _with_db(tmp_path, lambda db: model_versions.history(db.cursor(), other)) == []


def test_an_edit_keeps_its_start_when_that_file_can_no_longer_be_read(app, tmp_path):
    own = tmp_path / "model.yaml"
    own.write_text((ROOT / "cxdata" / "models" / "demo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    omid = app()
    _with_db(tmp_path, lambda db: service.remember_model(db, own))
    omid.run()
    text = editor(omid).value
    editor(omid).set_value(text + "# Omid's careful edit\n")
    omid.run()
    _with_db(tmp_path, lambda db: model_versions.save(db, own, text + "# Sara\n", by="sara"))
    own.unlink()  # the file moved away: its text survives in the edit
    omid.run()
    assert editor(omid).value == text + "# Omid's careful edit\n" and "Version 1 was saved by sara" in omid.warning[0].value
    assert any("+# Sara" in c.value for c in omid.code)


def test_a_restore_of_the_text_an_edit_started_from_lets_the_edit_go_on(app, tmp_path):
    sara, omid = app(), app()
    text = editor(sara).value
    editor(sara).set_value(text + "# first\n")
    sara.button(key="model_save").click().run()
    omid.run()
    editor(omid).set_value(text + "# first\n# Omid\n")  # editing version 1
    omid.run()
    editor(sara).set_value(text + "# second\n")
    sara.button(key="model_save").click().run()
    sara.selectbox(key="w_model_version").set_value(1).run()
    sara.button(key="model_restore").click().run()  # version 3: version 1's text again
    omid.run()
    assert not omid.warning and version_of(omid) == 3 and editor(omid).value == text + "# first\n# Omid\n"
    omid.button(key="model_save").click().run()
    assert versions(tmp_path)[0].version == 4 and versions(tmp_path)[0].text.endswith("# first\n# Omid\n")


def test_a_restore_clicked_on_a_comparison_a_newer_save_made_stale_is_refused(app, tmp_path):
    sara = app()
    text = editor(sara).value
    editor(sara).set_value(text + "# v1\n")
    sara.button(key="model_save").click().run()
    sara.selectbox(key="w_model_version").set_value(0).run()  # she sees the file against version 1
    _with_db(tmp_path, lambda db: model_versions.save(db, service.model_path_for(db), text + "# v1\n# Omid's v2\n",
                                                      by="omid"))
    sara.button(key="model_restore").click().run()
    assert "Not restored" in sara.error[0].value and "version 2 by omid" in sara.error[0].value
    assert [v.version for v in versions(tmp_path)] == [2, 1]
    sara.button(key="model_restore").click().run()  # now shown against version 2: restored
    assert [v.version for v in versions(tmp_path)] == [3, 2, 1]


def _targets_key(text: str) -> str:
    import hashlib

    return "w_targets_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def test_targets_are_edited_in_a_table_written_in_place_then_saved(app, tmp_path):
    from cxdata import model_targets
    from cxdata.model import parse_model

    at = app()
    text = editor(at).value
    rows = model_targets.rows(parse_model(text))
    where = {(r.level, r.node, r.kpi): i for i, r in enumerate(rows)}
    assert [(r.level, r.kpi, r.target) for r in rows][:2] == [("index", "nps", 30.0), ("touchpoint", "csat", 82.0)]
    at.session_state[_targets_key(text)] = {"edited_rows": {where[("team", "delivery_tehran", "csat")]: {"Target": 90.0},
                                                            where[("team", "cc_europe", "ces")]: {"Target": None},
                                                            where[("loop", "loop", "closure")]: {"Target": 75.0}},
                                            "added_rows": [], "deleted_rows": []}
    at.button(key="model_targets_write").click().run()
    assert not at.exception and "3 lines changed" in at.success[0].value
    new = editor(at).value
    changed = [line for line in model_versions.diff(text, new).splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-  - {key: cc_europe, name: Call Center - Europe, touchpoint: call_center, aliases: [CC Europe], kpis: *service_team_kpis}",
        "+  - {key: cc_europe, name: Call Center - Europe, touchpoint: call_center, aliases: [CC Europe], kpis: *service_team_kpis, targets: {ces: null}}",
        "-" + DELIVERY_TARGET, "+" + DELIVERY_TARGET.replace("{csat: 82}", "{csat: 90}"),
        "-  target: 70", "+  target: 75"]
    at.button(key="model_save").click().run()
    saved = parse_model(versions(tmp_path)[0].text)
    target = {(t.key, k.key): k.target for t in saved.teams for k in t.kpis}
    assert target[("delivery_tehran", "csat")] == 90 and target[("cc_europe", "ces")] is None
    assert target[("cc_north", "ces")] == 5.5 and saved.loop.target == 75  # the shared list untouched


def test_a_target_out_of_its_range_is_refused_and_the_text_kept(app):
    from cxdata import model_targets
    from cxdata.model import parse_model

    at = app()
    text = editor(at).value
    i = next(i for i, r in enumerate(model_targets.rows(parse_model(text))) if r.level == "team" and r.kpi == "ces")
    at.session_state[_targets_key(text)] = {"edited_rows": {i: {"Target": 9.0}}, "added_rows": [], "deleted_rows": []}
    at.button(key="model_targets_write").click().run()
    assert "a target from 1 to 7, not 9" in at.error[0].value and editor(at).value == text
