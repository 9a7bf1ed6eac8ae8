"""The pages under an access file (CX_ACCESS), through AppTest: nobody signed in sees nothing, a
team member sees their teams' rows only, a viewer changes nothing, a broken file keeps the app shut."""

import pytest
from streamlit.testing.v1 import AppTest

from cxdata import service
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("pages_handed_over")

APP = str(ROOT / "dashboard.py")
POLICY = """
sign_in: streamlit
people:
  - {who: lead@example.com, role: admin}
  - {who: viewer@example.com, role: viewer}
  - {who: omid@example.com, teams: [cc_europe]}
  - {who: sara@example.com, teams: [chat_tier1, chat_tier2]}
"""
OMID = {"is_logged_in": True, "email": "omid@example.com", "name": "Omid"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return tmp_path_factory.mktemp("access-pages") / "cx.duckdb"


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture
def app(demo_db, policy_file, monkeypatch):
    monkeypatch.setenv("CX_DB", str(demo_db))
    monkeypatch.setenv("CX_DEMO_RESPONSES", "20000")
    monkeypatch.setattr(service, "DEMO_RESPONSES", 20000)
    monkeypatch.delenv("CX_MODEL", raising=False)
    monkeypatch.setenv("CX_ACCESS", str(policy_file))

    def make(user=None, page=None, **params):
        at = AppTest.from_file(APP, default_timeout=120)
        at.user = user if user is not None else {"is_logged_in": False}
        for k, v in params.items():
            at.query_params[k] = v
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def texts(at) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error")
             for e in getattr(at, kind)]
    parts += [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page, params", [
    (None, {}),
    ("pages/team.py", {"tp": "call_center", "team": "cc_north"}),
    ("pages/upload.py", {}),
    (None, {"present": "index"}),
])
def test_nobody_signed_in_sees_nothing(app, page, params):
    at = app(page=page, **params)
    assert [i.value for i in at.info] == ["Sign in to see the customer experience figures."]
    assert at.button(key="sign_in")
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox


def test_someone_the_file_does_not_name_is_refused(app):
    at = app({"is_logged_in": True, "email": "stranger@elsewhere.org"})
    assert "gives this account no access" in at.warning[0].value
    assert not at.metric


def test_a_team_member_home_shows_their_teams_only(app):
    at = app(OMID)
    assert [m.label for m in at.metric] == ["Call Center - Europe · CSAT"]
    assert "Your access covers the rows of Call Center" in texts(at)
    # No total of all responses, no index, no touchpoint, nowhere on the page or in the sidebar.
    assert not any("responses" in c.value for c in at.sidebar.caption)
    assert "CX index" not in texts(at) and not at.get("vega_lite_chart")
    at2 = app({**OMID, "email": "sara@example.com"}, tp="chat")
    assert [m.label.split(" · ")[0] for m in at2.metric] == ["Chat - Tier 1", "Chat - Tier 2"]


def test_a_team_member_filters_by_the_segment_values_of_their_teams_answers(app, demo_db):
    from cxdata.db import Database

    at = app(OMID, "pages/team.py")  # (the demo data loaded first)
    db = Database(demo_db)
    try:
        stored = dict(db.cursor().execute(
            """SELECT l.dim, list(DISTINCT l.label) FROM answers a JOIN labels t ON t.dim = 'team' AND t.code = a.team
               JOIN labels l ON (l.dim = 'seg_region' AND l.code = a.seg_region)
                             OR (l.dim = 'seg_channel' AND l.code = a.seg_channel)
               WHERE t.label = 'Call Center - Europe' GROUP BY 1""").fetchall())
        everyone = db.cursor().execute("SELECT count(*) FROM labels WHERE dim = 'seg_region'").fetchall()[0][0]
    finally:
        db.close()
    regions = at.sidebar.multiselect(key="w_seg_region").options
    assert sorted(regions) == sorted(stored["seg_region"]) and len(regions) < everyone
    assert sorted(at.sidebar.multiselect(key="w_seg_channel").options) == ["Phone (IVR)", "SMS"]  # shown by name
    assert sorted(stored["seg_channel"]) == ["ivr", "sms"]
    # A link naming other teams' values learns no more than one naming values nobody has: the same
    # warning, and the stored spelling is not given away.
    at = app(OMID, "pages/team.py", region=["tehran", "Atlantis", "london"], channel="EMAIL")
    warnings = [w.value for w in at.warning]
    for value, dim in (("tehran", "Region"), ("Atlantis", "Region"), ("EMAIL", "Channel")):
        assert any(f"Unknown value '{value}' for {dim}" in w for w in warnings), warnings
    assert at.sidebar.multiselect(key="w_seg_region").value == ["London"]
    assert at.query_params.get("region") in (["London"], "London") and "channel" not in at.query_params
    # Everyone else is offered every value.
    admin = app({"is_logged_in": True, "email": "lead@example.com"}, "pages/team.py")
    assert len(admin.sidebar.multiselect(key="w_seg_region").options) == everyone


def test_a_team_member_opens_their_team_view(app):
    at = app(OMID, "pages/team.py")  # no team in the link: their own
    assert at.title[0].value == "Call Center - Europe"
    assert at.query_params.get("team") in (["cc_europe"], "cc_europe")
    assert "Comments behind the number" in [s.value for s in at.subheader]
    assert not [a for a in at.page_link if a.proto.page in ("", "pyramid")]  # (no breadcrumb up)


@pytest.mark.parametrize("params", [
    {"tp": "call_center", "team": "cc_north"},  # another team
    {"tp": "call_center"},  # a touchpoint: every team's answers
    {"team": "no_such_team"},
])
def test_a_team_member_is_refused_other_views(app, params):
    at = app(OMID, "pages/team.py", **params)
    assert "This view is outside your access" in at.warning[0].value
    assert not at.metric and not at.dataframe
    assert [b.label for b in at.button if b.key == "own_cc_europe"] == ["Open Call Center - Europe ›"]


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/segments.py", "pages/drivers.py", "pages/rates.py",
                                  "pages/present.py"])
def test_a_team_member_cannot_open_pages_of_everyone(app, page):
    at = app(OMID, page)
    assert not at.metric and not at.dataframe and not at.get("vega_lite_chart")
    assert "Your access does not include this page." in [w.value for w in at.warning]


def test_a_team_member_works_their_own_cases_only(app):
    at = app(OMID, "pages/loop.py", unrouted="1")  # a link to the unrouted cases: their own instead
    owner = at.selectbox(key="w_owner")
    assert owner.options == ["Call Center - Europe"] and owner.disabled
    assert at.query_params.get("team") in (["cc_europe"], "cc_europe") and "unrouted" not in at.query_params
    table = at.dataframe[0].value
    assert len(table) and set(table["Owner"]) == {"Call Center - Europe"}
    assert "By owner" not in [s.value for s in at.subheader]


def test_a_case_routed_elsewhere_while_listed_is_not_changed_by_the_team_member(app, demo_db):
    from cxdata import loop
    from cxdata.db import Database

    at = app(OMID, "pages/loop.py", cases="new")
    key = next(k for k in at.session_state.keys() if k.startswith("cases_rows_"))
    at.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    shown = at.dataframe[0].value
    db = Database(demo_db)
    try:
        ref = tuple(db.cursor().execute("SELECT source_id, source_response_id FROM responses WHERE source_response_id = ?",
                                        [shown["Response id"].iloc[0]]).fetchall()[0])
        loop.update(db, service.load_model_for(db), [ref], team="cc_north", by="lead")  # by an admin, meanwhile
        before = db.cursor().execute("SELECT count(*) FROM case_events").fetchall()[0][0]
        next(b for b in at.get("button_group") if b.key == "w_case_status").set_value("resolved")
        next(b for b in at.button if b.label.startswith("Save for 1 case")).click().run()
        # The list of the run that saves no longer holds the case (nor the selection of a list that
        # changed); had the save gone ahead, `loop.update` would refuse a case not the team's.
        assert db.cursor().execute("SELECT count(*) FROM case_events").fetchall()[0][0] == before
        assert ref[1] not in set(at.dataframe[0].value["Response id"])
        assert "1 of the 1 cases you selected changed before your change reached them" in at.warning[0].value
        assert db.cursor().execute("SELECT status, team FROM cases WHERE source_id = ? AND source_response_id = ?",
                                   list(ref)).fetchall() == [("new", "cc_north")]
    finally:
        db.close()


def test_a_change_is_recorded_under_the_signed_in_address_not_only_a_display_name(app, demo_db):
    from cxdata.db import Database

    at = app({**OMID, "name": "lead@example.com"}, "pages/loop.py", cases="new")  # a display name set to pass for another
    key = next(k for k in at.session_state.keys() if k.startswith("cases_rows_"))
    at.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.text_input(key="w_case_by").disabled
    next(b for b in at.get("button_group") if b.key == "w_case_status").set_value("contacted")
    next(b for b in at.button if b.label.startswith("Save for 1 case")).click().run()
    db = Database(demo_db)
    try:
        by = db.cursor().execute("SELECT changed_by FROM case_events ORDER BY changed_at DESC LIMIT 1").fetchall()[0][0]
    finally:
        db.close()
    assert by == "lead@example.com <omid@example.com>"


def test_no_present_button_or_deck_for_a_team_member(app):
    at = app(OMID, "pages/team.py")
    assert "present" not in [b.key for b in at.sidebar.button]
    assert not [d for d in at.get("download_button") if "Download the slides" in str(d.proto.label)]


def test_a_viewer_sees_everything_and_changes_nothing(app):
    at = app({"is_logged_in": True, "email": "viewer@example.com"})
    assert at.metric[0].label.startswith("CX index")
    at = app({"is_logged_in": True, "email": "viewer@example.com"}, "pages/upload.py")
    assert "Your access does not include this page." in [w.value for w in at.warning]
    at = app({"is_logged_in": True, "email": "viewer@example.com"}, "pages/loop.py")
    assert any("Select a case to read its history" in c.value for c in at.caption)
    assert not at.get("form")


def test_an_admin_sees_the_whole_pyramid_and_who_they_are(app):
    at = app({"is_logged_in": True, "email": "LEAD@example.com"})
    assert at.metric[0].label.startswith("CX index") and len(at.metric) > 1
    assert any("Signed in as LEAD@" in c.value.replace("\u200b", "") for c in at.sidebar.caption)
    assert "sign_out" in [b.key for b in at.sidebar.button]


@pytest.mark.parametrize("text, problem", [
    ("people: [{who: a@b.org, teams: [cc_mars]}]\n", "no team 'cc_mars' in the model"),
    ("people: [{who: a@b.org, role: boss}]\n", "must be one of admin, viewer, team"),
    (None, "file: not found"),
])
def test_a_broken_access_file_keeps_the_app_shut(app, policy_file, text, problem, caplog):
    if text is None:
        policy_file.unlink()
    else:
        policy_file.write_text(text, encoding="utf-8")
    at = app({"is_logged_in": True, "email": "lead@example.com"})
    # Closed, in words that name nobody: the problems go to the server's log.
    assert "The dashboard is closed" in at.error[0].value and "a@b.org" not in texts(at) and "cc_mars" not in texts(at)
    assert not at.metric
    assert any(problem in r.getMessage() for r in caplog.records if r.name == "cxdata.access")


def test_a_proxy_names_the_user(app, policy_file, monkeypatch):
    from pages import _ui

    policy_file.write_text("sign_in: proxy\nheader: X-Forwarded-Email\npeople: [{who: omid@example.com, teams: [cc_europe]}]\n",
                           encoding="utf-8")
    monkeypatch.setattr(_ui, "request_header", lambda name: [])
    at = app()
    assert "Sign-in is done by the proxy" in at.warning[0].value and not at.metric
    monkeypatch.setattr(_ui, "request_header", lambda name: ["omid@example.com"] if name == "X-Forwarded-Email" else [])
    at = app()
    assert [m.label for m in at.metric] == ["Call Center - Europe · CSAT"]


def test_sign_in_without_a_login_provider_says_what_is_missing(app):
    at = app()
    at.button(key="sign_in").click().run()
    assert not at.exception
    assert "Sign-in is not set up on this server" in at.error[0].value


@pytest.mark.parametrize("values", [
    ["cx.lead@example.com", "omid@example.com"],  # the client's own header, then the proxy's
    ["omid@example.com, lead@example.com"],  # a proxy that joins repeated headers
    ["not an address @example.com"],
    ["x@y@example.com"],
])
def test_a_proxy_header_that_names_no_one_person_signs_nobody_in(app, policy_file, monkeypatch, values):
    from pages import _ui

    policy_file.write_text("sign_in: proxy\nheader: X-Forwarded-Email\npeople: [{who: '*@example.com', role: admin}]\n",
                           encoding="utf-8")
    monkeypatch.setattr(_ui, "request_header", lambda name: values)
    at = app()
    assert "does not name one person" in at.warning[0].value and not at.metric


def test_an_unverified_address_is_not_trusted(app):
    at = app({"is_logged_in": True, "email": "lead@example.com", "email_verified": False})
    assert "has not verified your e-mail address" in at.warning[0].value and not at.metric
    assert "sign_out" in [b.key for b in at.button]
    at = app({"is_logged_in": True, "email": "lead@example.com", "email_verified": True})
    assert at.metric[0].label.startswith("CX index")


def test_an_edit_that_keeps_the_files_time_takes_effect(app, policy_file):
    import os

    assert app(OMID).metric
    stat = policy_file.stat()
    policy_file.write_text(POLICY.replace("omid@example.com", "someone.else@example.com"), encoding="utf-8")
    os.utime(policy_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `cp -p` would
    at = app(OMID)
    assert not at.metric and "gives this account no access" in at.warning[0].value


def test_a_blank_access_setting_keeps_the_app_shut(app, monkeypatch):
    monkeypatch.setenv("CX_ACCESS", "  ")
    at = app(OMID)
    assert "The dashboard is closed" in at.error[0].value and not at.metric


def _omid_on(tmp_path, policy_file, monkeypatch, rows):
    """Omid's first page over a database of just `rows` (source, id, time, team, metric, value)."""
    import csv

    from cxdata.db import Database
    from cxdata.model import load_model

    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "source_response_id", "responded_at", "team", "metric", "value"])
        w.writerows(rows)
    db = Database(tmp_path / "cx.duckdb")
    try:
        assert service.ingest_file(db, load_model(service.DEMO_MODEL), path)["status"] == "loaded"
    finally:
        db.close()
    monkeypatch.setenv("CX_DB", str(tmp_path / "cx.duckdb"))
    monkeypatch.delenv("CX_MODEL", raising=False)
    monkeypatch.setenv("CX_ACCESS", str(policy_file))
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = OMID
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_team_members_periods_and_data_date_come_from_their_teams_answers(tmp_path, policy_file, monkeypatch):
    """Other teams' answers run to 30 October; Call Center - Europe's stop in July. Omid's "latest
    quarter" is July's quarter, which holds his team's answers (not the fourth, where his team has
    none), and "data as of" is his latest day, not another team's."""
    rows = []
    for i in range(40):
        rows.append(["s", f"e{i}", f"2026-07-{1 + i % 20:02d}T10:00:00Z", "cc_europe", "csat", 5 if i % 4 else 2])
        rows.append(["s", f"n{i}", f"2026-10-{1 + i % 30:02d}T10:00:00Z", "cc_north", "csat", 4])
    at = _omid_on(tmp_path, policy_file, monkeypatch, rows)
    assert [m.value for m in at.metric] == ["75.0%"]  # 30 of 40 answers in the top box
    assert "Data as of 20 Jul 2026" in [c.value for c in at.sidebar.caption]
    assert "Oct" not in texts(at) + "\n".join(c.value for c in at.sidebar.caption)
    # The administrator's latest quarter is the fourth, where Call Center - Europe has no answers.
    at.user = {"is_logged_in": True, "email": "lead@example.com"}
    at.run()
    assert any(c.value.startswith("Data as of 30 Oct 2026") for c in at.sidebar.caption)
    assert "2026-Q4" in texts(at)


def test_a_team_member_whose_teams_have_no_answers_is_told_so(tmp_path, policy_file, monkeypatch):
    at = _omid_on(tmp_path, policy_file, monkeypatch,
                  [["s", f"n{i}", "2026-10-01T10:00:00Z", "cc_north", "csat", 4] for i in range(10)])
    assert "No answers given to your teams have been loaded yet: their tiles fill once an upload brings some." in [
        i.value for i in at.info]
    assert "Oct" not in texts(at)  # nor whose answers are there, and when
