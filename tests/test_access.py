"""cxdata.access: the access file's checks (every problem named by its key) and who gets which grant."""

from pathlib import Path

import pytest

from cxdata import access
from cxdata.model import load_model
from tests.conftest import ROOT

MODEL = load_model(ROOT / "cxdata" / "models" / "demo.yaml")

BASE = """
sign_in: streamlit
people:
  - {who: Lead@Example.com, role: admin}
  - {who: "*@example.com", role: viewer}
  - {who: omid@example.com, teams: [cc_europe]}
  - {who: sara@example.com, role: team, teams: [chat_tier1, chat_tier2, chat_tier1]}
  - {who: ops, role: viewer}
  - {who: strasse@example.org, role: admin}
  - {who: kim, role: admin}
"""


def policy(text: str = BASE) -> access.Policy:
    return access.parse_policy(text, MODEL)


@pytest.mark.parametrize("who, role, teams", [
    ("lead@example.com", "admin", ()),  # addresses compare without case
    ("  LEAD@EXAMPLE.COM ", "admin", ()),
    ("omid@example.com", "team", ("cc_europe",)),  # the person's own entry beats their domain's
    ("someone@example.com", "viewer", ()),
    ("someone@EXAMPLE.com", "viewer", ()),
    ("sara@example.com", "team", ("chat_tier1", "chat_tier2")),  # a team named twice counts once
    ("ops", "viewer", ()),  # a proxy's login name, not an address
    ("someone@example.com.evil.org", "none", ()),  # a domain is matched whole, not as a prefix
    ("someone@sub.example.com", "none", ()),
    ("example.com", "none", ()),
    ("*@example.com", "none", ()),  # a wildcard names nobody
    ("omid@example.com, lead@example.com", "none", ()),  # two names joined by a proxy
    ("not an address @example.com", "none", ()),
    ("x@y@example.com", "none", ()),
    ("@example.com", "none", ()),
    ("stra\u00dfe@example.org", "none", ()),  # no Unicode case folding: 'ß' is not 'ss'...
    ("\u212aim", "none", ()),  # ...nor the Kelvin sign 'K'
    ("OPS", "viewer", ()),
    ("", "none", ()),
    ("   ", "none", ()),
    (None, "none", ()),
])
def test_who_gets_which_grant(who, role, teams):
    g = policy().grant_for(who)
    assert (g.role, g.teams) == (role, teams)


def test_anyone_else_may_be_a_viewer():
    p = policy(BASE + "anyone_else: viewer\n")
    assert p.grant_for("stranger@other.org").role == "viewer"
    assert policy().grant_for("stranger@other.org").role == "none"


@pytest.mark.parametrize("role, pages", [
    ("admin", set(access.PAGES)),
    ("viewer", set(access.PAGES) - {"upload"}),
    ("team", {"pyramid", "team", "loop"}),
    ("none", set()),
])
def test_pages_by_role(role, pages):
    g = access.Grant("x", role, ("cc_europe",) if role == "team" else ())
    assert {p for p in access.PAGES if g.may_open(p)} == pages
    assert not g.may_open("no_such_page")


def test_what_a_grant_allows():
    member = access.Grant("omid", "team", ("cc_europe",))
    assert member.sees_team("cc_europe") and not member.sees_team("cc_north") and not member.sees_team(None)
    assert not member.sees_all and not member.may_write and member.may_work_cases
    viewer = access.Grant("v", "viewer")
    assert viewer.sees_all and viewer.sees_team("cc_north") and not viewer.may_write and not viewer.may_work_cases
    assert access.OPEN.sees_all and access.OPEN.may_write and access.OPEN.may_open("upload")
    assert member.describe(MODEL) == "the rows of Call Center - Europe"


@pytest.mark.parametrize("text, problem", [
    ("- a\n- b\n", "(top level): must be a mapping"),
    ("people: [{who: a@b.org, role: admin}]\nsigned_in: proxy\n", "signed_in: unknown key"),
    ("sign_in: ldap\npeople: [{who: a@b.org, role: admin}]\n", "sign_in: must be one of streamlit, proxy"),
    ("sign_in: proxy\npeople: [{who: a@b.org, role: admin}]\n", "header: must name the HTTP header"),
    ("sign_in: proxy\nheader: 'X Email'\npeople: [{who: a@b.org, role: admin}]\n", "header: must name the HTTP header"),
    ("header: X-Email\npeople: [{who: a@b.org, role: admin}]\n", "header: is read only with sign_in: proxy"),
    ("sign_in: proxy\nheader: X-Email\nprovider: google\npeople: [{who: a@b.org, role: admin}]\n",
     "provider: must name a login provider"),
    ("people: []\n", "people: must be a list"),
    ("people: {a: admin}\n", "people: must be a list"),
    ("people: [a@b.org]\n", "people[0]: must be a mapping"),
    ("people: [{who: a@b.org, role: boss}]\n", "people[0].role: must be one of admin, viewer, team, not 'boss'"),
    ("people: [{who: a@b.org}]\n", "people[0].role: must be one of admin, viewer, team"),
    ("people: [{who: a@b.org, role: admin, team: [x]}]\n", "people[0].team: unknown key"),
    ("people: [{who: 'a b@c.org', role: admin}]\n", "people[0].who: must be an address"),
    ("people: [{who: '*@*', role: admin}]\n", "people[0].who: must be an address"),
    ("people: [{who: 'a*@b.org', role: admin}]\n", "people[0].who: must be an address"),
    ("people: [{who: 42, role: admin}]\n", "people[0].who: must be an address"),
    ("people: [{who: a@b.org, role: admin}, {who: A@B.org, role: viewer}]\n",
     "people[1].who: A@B.org already has an entry (people[0])"),
    ("people: [{who: a@b.org, teams: []}]\n", "people[0].teams: must list the keys"),
    ("people: [{who: a@b.org, teams: cc_europe}]\n", "people[0].teams: must list the keys"),
    ("people: [{who: a@b.org, teams: [cc_mars]}]\n", "people[0].teams: no team 'cc_mars' in the model"),
    ("people: [{who: a@b.org, role: team}]\n", "people[0].teams: must list the keys"),
    ("people: [{who: a@b.org, role: viewer, teams: [cc_europe]}]\n", "people[0].teams: is read only with role: team"),
    ("people: [{who: a@b.org, role: admin}]\nanyone_else: admin\n", "anyone_else: must be none or viewer"),
    ("people: [{who: a@b.org, role: admin}\n", "line 2, column 1: not valid YAML"),
])
def test_a_bad_file_is_refused_naming_the_key(text, problem):
    with pytest.raises(access.AccessError) as err:
        policy(text)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_every_problem_is_named_in_one_pass():
    with pytest.raises(access.AccessError) as err:
        policy("sign_in: x\npeople: [{who: a@b.org, role: boss}, {who: c@d.org, teams: [nope]}]\nanyone_else: all\n")
    keys = [p.split(":")[0] for p in err.value.problems]
    assert keys == ["sign_in", "anyone_else", "people[0].role", "people[1].teams"]


@pytest.mark.parametrize("content, problem", [
    (None, "file: not found"),
    (b"\xff\xfe people", "file: not UTF-8 text"),
])
def test_an_unreadable_file_is_refused(tmp_path, content, problem):
    path = tmp_path / "access.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(access.AccessError) as err:
        access.load_policy(path, MODEL)
    assert err.value.problems == [problem]
    with pytest.raises(access.AccessError) as err:
        access.load_policy(tmp_path, MODEL)
    assert err.value.problems == ["file: is a folder, not a file"]


def test_the_example_file_is_valid_for_the_demo_model():
    p = access.load_policy(ROOT / "examples" / "access.yaml", MODEL)
    assert (p.sign_in, p.header) == ("proxy", "X-Forwarded-Email")
    assert p.grant_for("omid@example.com").teams == ("cc_europe",)
    assert p.grant_for("cx.lead@example.com").may_write


def test_policy_path_from_the_environment(monkeypatch):
    monkeypatch.delenv(access.ENV, raising=False)
    assert access.policy_path() is None
    monkeypatch.setenv(access.ENV, "  ")  # set, but to nothing: an error, not an open dashboard
    with pytest.raises(access.AccessError, match="set but empty"):
        access.policy_path()
    monkeypatch.setenv(access.ENV, "/etc/cx/access.yaml")
    assert access.policy_path() == Path("/etc/cx/access.yaml")
