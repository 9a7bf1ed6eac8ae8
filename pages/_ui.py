"""Streamlit glue shared by the pages: the database and model for this session, the view state
read from and written to the URL, the sidebar filters and the KPI tile. No statistics here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from cxdata import pyramid as pyramid_mod
from cxdata import access, drill, formats, queries, service
from cxdata.formats import fmt_delta, fmt_value  # noqa: F401 (the pages' tiles use them through _ui)
from cxdata.db import Database, State, StorageError, db_path
from cxdata.markdown import escape
from cxdata.model import Model, model_text, parse_model
from cxdata.period import COMPARISONS, PRESETS, comparison_note, day_label
from cxdata.pyramid import KpiResult
from cxdata.view import FIRST_DAY, LAST_DAY, PAGE_CONTROLS, PARAM_OF, ViewState

_handed_over = False


def start_page(page: str) -> access.Grant:
    """First thing of every page: start the run (see `state`), run it through dashboard.py's
    st.navigation (below), and stop unless the signed-in person may open `page`
    (cxdata.access.PAGES). Returns their grant."""
    st.session_state["_run"] = st.session_state.get("_run", 0) + 1
    st.session_state["_page_name"] = page  # (a widget's callback, before the next start, is of this page too)
    _ensure_navigation()
    st.html(_STYLE)
    return page_allowed(page)


# Streamlit fades a caption with opacity, which fades what it holds too: the target status badge
# under a tile read at 2.9:1 (found by an audit). The same grey as a text colour leaves the
# badges their own colours. Our own style sheet: no user text in it.
# The ways to other views are page links (view_link), drawn as the buttons they were.
_STYLE = """<style>
[data-testid="stCaptionContainer"] { opacity: 1; color: rgba(17, 17, 17, 0.7); }
[data-testid="stMain"] a[data-testid="stPageLink-NavLink"] {
  border: 1px solid rgba(17, 17, 17, 0.2); border-radius: 0.5rem;
  min-height: 2.5rem; padding: 0.25rem 0.75rem; justify-content: center; }
</style>"""


def _ensure_navigation() -> None:
    """Run every page through dashboard.py's st.navigation.

    Streamlit treats a folder named pages/ beside the entry point as legacy multipage mode until
    the first st.navigation call of the process, so a deep link (e.g. /upload) that is the first
    request of a fresh server would run the page file on its own. Leaving that mode and
    rerunning hands the request to dashboard.py, which resolves the same URL to the same page.
    Once per process is enough for a server; AppTest re-arms the flag on every run, and its
    page runs must not be rerun (that would drop the widget events under test)."""
    global _handed_over
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not _handed_over:
        _handed_over = True
        PagesManager.uses_pages_directory = False
        st.rerun()


STATUS_BADGE = {"met": ":green-badge[on target]", "near": ":orange-badge[near target]", "missed": ":red-badge[below target]"}
# What a target status means (pyramid.target_status): "near" says the value misses the target by
# less than the data can tell apart, which a wide interval (few responses) makes more likely.
TARGET_HELP = {
    "met": "On target: the value reaches the target.",
    "near": "Near target: the value falls short, but the target lies inside the 95% interval: these "
            "responses cannot tell the two apart.",
    "missed": "Below target: the value falls short and the whole 95% interval is on the wrong side.",
}
VIEW_KEYS = ("period", "from", "to", "compare")


@st.cache_resource(show_spinner=False)
def _database(path: str) -> Database:
    return Database(path)


def database() -> Database:
    return _database(str(db_path()))


def cursor():
    """One DuckDB cursor per browser session and script thread: a cursor refuses a second call
    while one runs, and a click during a run starts the next run in a new thread before the
    old one has left its query (Streamlit's fast reruns), so the two must not share one."""
    import threading

    db = database()
    if st.session_state.get("_cursor_db") != str(db.path):
        st.session_state["_cursors"] = {}
        st.session_state["_cursor_db"] = str(db.path)
    cursors = st.session_state["_cursors"]
    me = threading.get_ident()
    if me not in cursors:
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i in list(cursors) if i not in alive]:  # runs that have ended
            gone = cursors.pop(ident, None)
            if gone is not None:
                gone.close()
        cursors[me] = db.cursor()
    return cursors[me]


@st.cache_resource(show_spinner=False, max_entries=8)
def _model(path: str, text: str) -> Model:
    # Keyed by the text, read on every run (a few kilobytes): an edit that keeps the file's time
    # takes effect at once, as the access policy's does.
    return parse_model(text, source=path)


def state() -> State:
    """The data version, model path and demo flag, read once per run (a page asks for them about
    twenty times) and again after any write this process commits, by any session: the memo is
    never older than the last write. Another process cannot write: it cannot open the database
    while the app holds it."""
    db = database()
    run = st.session_state.get("_run")
    key = (run, db.writes, str(db.path))
    memo = st.session_state.get("_state")
    if run is None or memo is None or memo[0] != key:
        # The session's cursor: a new cursor per call would open a DuckDB connection each time.
        memo = (key, db.state(cursor()))
        st.session_state["_state"] = memo
    return memo[1]


@st.cache_resource(show_spinner=False, max_entries=8)
def _model_version(db_path: str, base: str, version: int) -> Model:
    from cxdata import model_versions

    return model_versions.model_of(model_versions.get(cursor(), base, version), base)


def model() -> Model:
    """The model in use: the newest version edited in the app (the Model page), else its file."""
    s = state()
    path = service.chosen_model_path(s.model_path)
    if s.model_version and not service.model_pinned():
        return _model_version(str(database().path), str(path), s.model_version)
    return _model(str(path), model_text(path))


def data_version() -> int:
    return state().version


def view_version() -> tuple:
    """The key a cached figure of a view depends on besides the view: the data's version and the
    dates its periods are anchored on, which differ for a team member (see `catalog`): a team
    member's "latest quarter" must not be served to someone whose latest quarter is another."""
    cat = catalog()
    return data_version(), cat.first, cat.as_of


# -- access -------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=4)
def _policy(text: str, source: str, model_digest: str, _model: Model) -> access.Policy:
    # Keyed by the file's text, read on every run: an edit that keeps the file's time (cp -p, a
    # deployment) takes effect at once (found by an audit).
    return access.parse_policy(text, _model, source=source)


def request_header(name: str) -> list[str]:
    """Every value of a header of the browser's request (what a sign-in proxy in front of the app
    set; a client may send its own too)."""
    return [v for v in st.context.headers.get_all(name) if isinstance(v, str)]


def _signed_in(policy: access.Policy) -> tuple[str | None, str | None]:
    """(who is signed in, None), or (None, why nobody is, when there is more to say than 'sign in')."""
    if policy.sign_in == "proxy":
        values = [v for v in request_header(policy.header) if v.strip()]
        if not values:
            return None, None
        # A proxy that appends its header after one the client sent must not let the client choose.
        if len(values) > 1 or access.identity(values[0]) is None:
            return None, "The sign-in proxy's answer does not name one person. Ask an administrator to check it."
        return access.identity(values[0]), None
    try:
        if not st.user.get("is_logged_in"):
            return None, None
        if st.user.get("email_verified") is False:
            # A provider where people choose their own address must not let them choose another's.
            return None, "Your login provider has not verified your e-mail address: verify it there, then sign in again."
        who = access.identity(str(st.user.get("email") or ""))
        return (who, None) if who else (None, "Your login provider gave no e-mail address to know you by.")
    except Exception:  # Streamlit's login not configured: nobody is signed in
        return None, None


_logged_problems: set[str] = set()


def access_check() -> tuple[access.Grant | None, object]:
    """(the signed-in person's grant, None), or (None, the page to show instead: sign in, no
    access, or an access file that cannot be used). Without an access file: everything.
    Worked out once per page run: the sidebar, the banner and the buttons ask again."""
    run = st.session_state.get("_run")
    memo = st.session_state.get("_access_memo")
    if run is not None and memo is not None and memo[0] == run:
        return memo[1]
    result = _access_check()
    if run is not None:
        st.session_state["_access_memo"] = (run, result)
    return result


def _access_check() -> tuple[access.Grant | None, object]:
    try:
        path = access.policy_path()
        if path is None:
            st.session_state.pop("_policy", None)
            return access.OPEN, None
        m = model()
        policy = _policy(access.read_policy_text(path), str(path), m.digest, m)
    except access.AccessError as exc:
        return None, lambda broken=exc: _access_broken(broken)  # (`exc` itself is gone after the except)
    except (StorageError, OSError) as exc:
        broken = access.AccessError(str(access.policy_path()), [f"cannot be checked: {exc}"])
        return None, lambda: _access_broken(broken)
    who, why = _signed_in(policy)
    if who is None:
        return None, lambda: _sign_in(policy, why)
    g = policy.grant_for(who)
    st.session_state["_policy"] = policy
    if g.role == "none":
        return None, lambda: _refused(g, policy)
    return g, None


def grant() -> access.Grant:
    """The signed-in person's grant; a run without one stops on the page that says why."""
    g, gate = access_check()
    if g is None:
        gate()
        st.stop()
    return g


def _access_broken(exc: access.AccessError) -> None:
    """Closed, in general words: nobody is known to be an administrator while the file cannot be
    read, and its problems name people and teams. The details go to the server's log (and
    `python -m cxdata access FILE` prints them)."""
    import logging

    key = f"{exc.source}: {'; '.join(exc.problems)}"
    if key not in _logged_problems:
        _logged_problems.add(key)
        logging.getLogger("cxdata.access").error("the access file cannot be used, every page is closed: %s", key)
    st.title("CX Pyramid")
    st.error("The dashboard is closed: its access file cannot be used. An administrator can see why in the server's "
             "log, or with `python -m cxdata access FILE` on the server.", icon=":material/lock:")


def _sign_in(policy: access.Policy, why: str | None = None) -> None:
    st.title("CX Pyramid")
    if why:
        st.warning(why, icon=":material/lock:")
    if policy.sign_in == "proxy":
        if not why:
            st.warning("Sign-in is done by the proxy in front of this dashboard, and this request did not come through "
                       "it. Open the dashboard at the address your organisation gave you.", icon=":material/lock:")
        return
    if why:  # signed in, but not as someone the file can know
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
        return
    st.info("Sign in to see the customer experience figures.", icon=":material/lock:")
    if st.button("Sign in", type="primary", icon=":material/login:", key="sign_in"):
        try:
            st.login(policy.provider) if policy.provider else st.login()
        except Exception as exc:  # Streamlit's [auth] section missing or incomplete
            st.error("Sign-in is not set up on this server: an administrator must add the login provider to "
                     f".streamlit/secrets.toml (the README's Access section). ({escape(str(exc))})",
                     icon=":material/error:")


def _refused(g: access.Grant, policy: access.Policy) -> None:
    st.title("CX Pyramid")
    st.warning(escape(f"You are signed in as {g.who}, and the dashboard's access file gives this account no access. "
                      "Ask an administrator to add you."), icon=":material/block:")
    if policy.sign_in == "streamlit":
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")


def signed_in_note(g: access.Grant) -> None:
    """Who is signed in and what they see, at the foot of the sidebar; the way out."""
    policy = st.session_state.get("_policy")
    if g.who is None or policy is None:
        return
    with st.sidebar:
        st.caption(escape(f"Signed in as {g.who} · sees {g.describe(model())}"))
        if policy.sign_in == "streamlit":
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out", type="tertiary")


def page_allowed(page: str) -> access.Grant:
    """The grant, once the page is known to be the person's (the navigation lists only theirs;
    a page run some other way checks again)."""
    g = grant()
    if not g.may_open(page):
        st.warning("Your access does not include this page.", icon=":material/block:")
        st.page_link("pages/pyramid.py", label="Go to the pyramid", icon=":material/change_history:")
        st.stop()
    return g


@st.cache_data(show_spinner=False, max_entries=32)
def _catalog(db_path: str, version: int, model_digest: str, _model: Model, _cur) -> queries.Catalog:
    return queries.catalog(_cur, _model)


@st.cache_data(show_spinner=False, max_entries=32)
def _team_catalog(db_path: str, version: int, model_digest: str, teams: tuple[str, ...], _cat: queries.Catalog,
                  _cur) -> queries.Catalog:
    first, last = queries.span_of_teams(_cur, _cat, teams)
    return replace(_cat, first=first, as_of=last)


def catalog() -> queries.Catalog:
    """The stored data's labels and dates. A team member's dates are those of their teams'
    answers: their periods are anchored on their own data, and "data as of" tells them nothing
    about other teams'."""
    m = model()
    cat = _catalog(str(database().path), data_version(), m.digest, m, cursor())
    g, _ = access_check()
    if g is None or g.sees_all:
        return cat
    return _team_catalog(str(database().path), data_version(), m.digest, tuple(g.teams), cat, cursor())


@st.cache_data(show_spinner=False, max_entries=32)
def _team_segment_values(db_path: str, version: int, model_digest: str, teams: tuple[str, ...], _model: Model, _cat,
                         _cur) -> dict[str, list[str]]:
    return queries.segment_values_of_teams(_cur, _cat, _model, teams)


def segment_values() -> dict[str, list[str]]:
    """The values each segment filter offers: every stored one, or for a team member those their
    teams' answers carry."""
    m, cat, g = model(), catalog(), grant()
    if g.sees_all:
        return cat.values_by_segment(m)
    return _team_segment_values(str(database().path), data_version(), m.digest, tuple(g.teams), m, cat, cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def _pyramid(db_path: str, version: tuple, model_digest: str, view: ViewState, _model: Model, _cat, _cur):
    return pyramid_mod.build(_cur, _model, _cat, view)


@st.cache_data(show_spinner=False, max_entries=32)
def _split(db_path: str, version: tuple, model_digest: str, view: ViewState, dim: str, kpis: tuple[str, ...] | None,
           _model: Model, _cat, _cur):
    from cxdata import drill

    return drill.split(_cur, _model, _cat, view, dim, kpis)


def split(view: ViewState, dim: str, kpis: tuple[str, ...] | None = None):
    """Every node's KPIs (or the index and `kpis`) per value of `dim`, cached per data version
    like the pyramid."""
    m = model()
    return _split(str(database().path), view_version(), m.digest, view, dim, kpis, m, catalog(), cursor())


def as_team_view(view: ViewState, node):
    """The node's tiles as its team view shows them (drill.as_team_view), from the cached split."""
    from cxdata import drill

    plain = replace(view, present=None)
    return drill.as_team_view(node, plain, model(), lambda dim, kpis: split(plain, dim, kpis=kpis))



@st.cache_data(show_spinner=False, max_entries=16)
def _drivers(db_path: str, version: tuple, model_digest: str, view: ViewState, outcome: str, dim: str | None,
             _model: Model, _cat, _cur):
    from cxdata import drivers

    return drivers.of_view(_cur, _model, _cat, view, outcome, dim)


def drivers(view: ViewState, outcome: str, dim: str | None):
    """cxdata.drivers.of_view, kept per data version (a year of a relationship survey at 10M
    responses is about 4M answers: about a second). Keyed by what the analysis reads: the period
    and the filters, not the drill path or a comment search."""
    plain = ViewState(period=view.period, start=view.start, end=view.end, filters=view.filters)
    m = model()
    return _drivers(str(database().path), view_version(), m.digest, plain, outcome, dim, m, catalog(), cursor())

@st.cache_data(show_spinner=False, max_entries=16)
def _loop_closure(db_path: str, version: tuple, model_digest: str, view: ViewState, minute, period, as_of,
                  _model: Model, _cat, _cur):
    from cxdata import loop

    current = period or pyramid_mod.periods_for(view, _cat)[0]
    return loop.closure(_cur, _model, _cat, view, current, now=minute, unrouted=view.unrouted, as_of=as_of)


def _minute():
    """Now, to the minute: what decides whether a case is overdue, and part of the cache key."""
    from cxdata import loop

    return loop.utc_now().replace(second=0, microsecond=0)


def loop_closure(view: ViewState, period=None, as_of=None):
    """The view's cases in all and per owner (cxdata.loop.closure), cached per data version; of
    `period` instead of the view's when given (the comparison period), as they stood at `as_of`."""
    m = model()
    return _loop_closure(str(database().path), view_version(), m.digest, _loop_key(view), _minute(), period, as_of, m,
                         catalog(), cursor())


@st.cache_data(show_spinner=False, max_entries=16)
def _loop_queue(db_path: str, version: tuple, model_digest: str, view: ViewState, which: str, minute, _model: Model,
                _cat, _cur):
    from cxdata import loop

    current, _ = pyramid_mod.periods_for(view, _cat)
    return loop.queue(_cur, _model, _cat, view, current, which=which, now=minute, unrouted=view.unrouted)


def loop_queue(view: ViewState, which: str):
    m = model()
    return _loop_queue(str(database().path), view_version(), m.digest, _loop_key(view), which, _minute(), m, catalog(),
                       cursor())


def _loop_key(view: ViewState) -> ViewState:
    """What of a view the cases (and the response rates) depend on: not its comparison, split,
    grain or list."""
    return replace(view, compare="none", split=None, grain="month", kpi=None, search="", scores=None, outcome=None,
                   cases=None, present=None, theme=None)


def loop_kpi(view: ViewState):
    """The node's closure rate as a KPI (cxdata.drill.closed_loop), against the comparison period
    as it stood at the same age, from the cached cases."""
    from cxdata import drill

    return drill.closed_loop(model(), catalog(), view, lambda v, period, as_of: loop_closure(v, period, as_of)[0],
                             _minute())


def loop_summary(view: ViewState, where: str, *, hidden: bool = False) -> None:
    """A line on how the node's unhappy customers are followed up, with the way to its cases.
    `hidden`: the Closed loop tile is, and the line counts none of its cases (found by an audit:
    'hidden' above '3 cases, 2 open'). Its open ones alone give it away too: each is a case, so a
    team's open count is a floor under its n, and a tile hidden with its siblings leaves their cases
    together known (the touchpoint's less the teams shown). Where the floors add up to that sum,
    every rate of the group is 0% (found by a review: 'hidden' above '7 open, 7 overdue', its rate
    0 of 7); short of it, they bound the rates."""
    view = replace(view, unrouted=False)  # the node's own cases, whatever a link says
    everyone, _ = loop_closure(view)
    with st.container(horizontal=True, vertical_alignment="center", key="loop_summary"):
        overdue = f" :red-badge[{everyone.overdue:,} overdue]" if everyone.overdue else ""
        if hidden:
            st.markdown(f"**Closing the loop** · not counted {escape(where)}: its Closed loop tile is hidden "
                        "(privacy threshold)", width="content")
        elif everyone.cases:
            # (its closure rate is the Closed loop tile above)
            st.markdown(f"**Closing the loop** · {everyone.cases:,} case{'' if everyone.cases == 1 else 's'}, "
                        f"{everyone.open:,} open{overdue}", width="content")
        else:
            st.markdown(f"**Closing the loop** · no case {escape(where)} in this period", width="content")
        view_link("loop", replace(view, cases=None), "Follow up the cases", key="to_loop", icon=":material/support_agent:",
                  help=f"The unhappy customers {where}, their status, and who follows them up")


@st.cache_data(show_spinner=False, max_entries=16)
def _response_rates(db_path: str, version: tuple, model_digest: str, view: ViewState, _model: Model, _cat, _cur):
    from cxdata import invitations

    return invitations.rates(_cur, _model, view, invitations.period_for(_cur, view, _cat))


def response_rates(view: ViewState):
    """The view's response rates (cxdata.invitations.rates), cached per data version."""
    m = model()
    key = replace(_loop_key(view), tp=None, team=None, unrouted=False)  # the list has no drill
    return _response_rates(str(database().path), view_version(), m.digest, key, m, catalog(), cursor())


def invitation_period(view: ViewState):
    from cxdata import invitations

    return invitations.period_for(cursor(), view, catalog())


def invitation_values() -> dict[str, list[str]]:
    from cxdata import invitations

    return _invitation_values(str(database().path), data_version(), model().digest, model(), cursor())


@st.cache_data(show_spinner=False, max_entries=8)
def _invitation_values(db_path: str, version: int, model_digest: str, _model: Model, _cur):
    from cxdata import invitations

    return invitations.values_by_segment(_cur, _model)


def invitations_held() -> bool:
    from cxdata import invitations

    return bool(invitations.holds(cursor()))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def user_name() -> str | None:
    """Who is signed in (with Streamlit's login configured, or named by the access file's proxy),
    for the history of a change."""
    signed = grant().who
    if signed is not None and st.session_state.get("_policy") is not None \
            and st.session_state["_policy"].sign_in == "proxy":
        return signed
    try:
        if st.user.get("is_logged_in"):
            # The address the access rules matched (or the provider's) identifies the person: a
            # display name is whatever they set at the provider, and could read as someone else's.
            name, email = str(st.user.get("name") or "").strip(), str(signed or st.user.get("email") or "").strip()
            if name and email and name.casefold() != email.casefold():
                return f"{name} <{email}>"
            return email or name or None
    except Exception:  # no login configured
        return None
    return None


def case_card(row, events) -> None:
    """One case: its comment in full (plain text, right to left where it is written so), and its
    history as a table: a note is the user's text, and as a line of text among the events it
    could pass for another event (found by a review)."""
    import pandas as pd

    from cxdata import tables
    from cxdata.bidi import direction, isolated

    with st.container(border=True, key="case_card"):
        text = "" if pd.isna(row["Comment"]) else str(row["Comment"])
        if text:
            st.text(isolated(text), text_alignment="right" if direction(text) == "rtl" else "left", width="stretch")
        facts = [row["When"], row["Answer"], isolated(str(row["Source"])), isolated(str(row["Response id"]))]
        if not pd.isna(row["Customer"]):
            facts.append("customer " + isolated(str(row["Customer"])))
        st.caption(escape(" · ".join(facts)))
        if len(events):
            st.dataframe(tables.case_history(events, model()), hide_index=True, width="stretch",
                         column_config={"Note": st.column_config.TextColumn(width="large")})
        else:
            st.caption("No change recorded yet: the case is new.")


@st.cache_data(show_spinner=False, max_entries=32)
def _comment_words(db_path: str, version: tuple, model_digest: str, view: ViewState, level: str, node: str,
                   score_measure: str | None, hidden: dict, _model: Model, _cat, _cur):
    from cxdata import drill

    return drill.comment_words(_cur, _model, _cat, view, level=level, node=node, score_measure=score_measure,
                               hidden_segments=hidden)


def comment_words(view: ViewState, level: str, node: str, score_measure: str | None,
                  hidden_segments: dict | None = None) -> list[tuple[str, int]]:
    """drill.comment_words, kept per data version (tokenising a year of a team's comments at 10M
    responses takes 0.2 s)."""
    return _comment_words(str(database().path), view_version(), model().digest, view, level, node, score_measure,
                          {k: sorted(v) for k, v in (hidden_segments or {}).items()}, model(), catalog(), cursor())


@st.cache_data(show_spinner=False, max_entries=32)
def _themes(db_path: str, version: tuple, model_digest: str, view: ViewState, level: str, node: str, kpi,
            hidden: dict, _model: Model, _cat, _cur, _db):
    from cxdata import themes

    return themes.of_view(_cur, _model, _cat, view, level=level, node=node, kpi=kpi, hidden_segments=hidden, db=_db)


def themes(view: ViewState, level: str, node: str, kpi, hidden_segments: dict | None = None) -> list:
    """themes.of_view, kept per data version: a grouping of each comment's themes, found once and
    kept in the database (cxdata.theme_flags), those of the comments listed without them first
    (after an upload, a few; after the model's themes changed, all of the view's: a search per
    theme of them, about 0.2 s for the 27k comments behind the index over a year at 1M responses)."""
    return _themes(str(database().path), view_version(), model().digest, replace(view, theme=None), level, node, kpi,
                   {k: sorted(v) for k, v in (hidden_segments or {}).items()}, model(), catalog(), cursor(), database())


@st.cache_data(show_spinner=False, max_entries=32)
def _comments(db_path: str, version: tuple, model_digest: str, view: ViewState, level: str, node: str,
              score_measure: str | None, hidden: dict, times: tuple, _model: Model, _cat, _cur):
    from cxdata import drill

    return drill.comments_frame(_cur, _model, _cat, view, level=level, node=node, score_measure=score_measure,
                                hidden_segments=hidden, dated_times=times)


def comments(view: ViewState, level: str, node: str, score_measure: str | None,
             hidden_segments: dict, dated_times: tuple | None = None) -> tuple:
    """drill.comments_frame, kept per data version (the comments behind the index over a year
    are a million rows to count at 10M responses: 0.5 s)."""
    return _comments(str(database().path), view_version(), model().digest, view, level, node, score_measure,
                     {k: sorted(v) for k, v in hidden_segments.items()},
                     None if dated_times is None else tuple(dated_times), model(), catalog(),
                     cursor())


def every_comment(view: ViewState, level: str, node: str, score_measure: str | None,
                  hidden_segments: dict, dated_times: tuple | None = None):
    """The comments `comments` lists, every one of them (up to drill.FILE_MOST) and not its newest
    page, as a table for a file: made when a download button is clicked (a query of them all on
    each rerun took seconds at 10M responses), on a thread of its own with its own cursor, where
    no Streamlit call runs (everything from the session is read now)."""
    from cxdata import drill

    db, m, cat = database(), model(), catalog()
    hidden = {k: sorted(v) for k, v in hidden_segments.items()}
    times = None if dated_times is None else tuple(dated_times)

    def make():
        cur = db.cursor()
        try:
            return drill.comments_file(cur, m, cat, view, level=level, node=node, score_measure=score_measure,
                                       hidden_segments=hidden, dated_times=times)
        finally:
            cur.close()

    return make


@st.cache_data(show_spinner=False, max_entries=64)
def _chart_spec(name: str, frame, options: tuple, _build) -> dict:
    from cxdata import charts  # Altair loads with the first chart, not with every page

    return charts.spec(_build, frame, **dict(options))


def cached_chart(build, frame, *, key: str | None = None, on_select="ignore", large: float = 0,
                 file: dict | None = None, fill: bool = False, **options):
    """Draw `build(frame, **options)` (a cxdata.charts function) from its Vega-Lite spec, cached
    here per input and built by `charts.spec` from a skeleton Altair drew once for the same
    options: a rerun skips the chart entirely, and new numbers cost their data alone. The cache
    key is the chart's own input (function, data frame, options), so it can never show other
    numbers than the frame it is given. `large`: presentation mode's scale of type and rows.
    `file` (from `chart_file`): offer the chart as a PNG and an SVG file under it. `fill`: the
    chart takes the height of its container (`filled_box`) instead of its own."""
    spec = _chart_spec(f"{build.__module__}.{build.__qualname__}", frame, tuple(sorted(options.items())), build)
    from cxdata import charts

    spec = charts.large(spec, large) if large else charts.readable(spec)
    if fill:
        spec = {k: v for k, v in spec.items() if k != "height"}
    event = st.vega_lite_chart(spec, on_select=on_select, key=key, width="stretch", height="stretch" if fill else "content")
    if file and len(frame):  # nothing to draw into a file (and vl-convert fails on an empty trend)
        # Without the bar the page picked out: in a file the others read as faded (found by a review).
        plain = spec if not options.get("selected") else charts.readable(_chart_spec(
            f"{build.__module__}.{build.__qualname__}", frame, tuple(sorted({**options, "selected": None}.items())), build))
        chart_downloads(plain, **file)
    return event


def filled_box(key: str, most_px: int, least_px: int = 200):
    """A container that takes the height the screen leaves under what stands above it, from
    `least_px` up to `most_px`: a slide's chart fills a shared screen whatever its size (sized
    for 720 rows, it left half of a 1080 screen empty), and never pushes the slide below the fold
    when a long filter line or a row of tiles wraps (a fixed allowance for the rows above it did,
    at 1280 x 720: found by an audit). The page becomes a column as tall as the window and every
    block holding the box grows into what is left. Streamlit sizes containers in pixels only, so
    our own constant style does it; nothing of the user goes into it."""
    box = f".st-key-{key}"
    main = "[data-testid='stMainBlockContainer']"
    blocks = ", ".join(f"{main} [data-testid='{kind}']:has({box})"
                       for kind in ("stVerticalBlock", "stLayoutWrapper", "stHorizontalBlock"))
    st.html(f"<style>{main}:has({box}) {{ height: 100dvh; box-sizing: border-box; display: flex; "
            "flex-direction: column; }"
            f"{blocks} {{ flex: 1 1 0 !important; min-height: 0 !important; }}"
            # A column keeps its width (its own flex) and lays out its blocks as a column too.
            f"{main} [data-testid='stColumn']:has({box}) {{ display: flex; flex-direction: column; }}"
            # The box, and the wrapper Streamlit gives a box of fixed height, which kept the pixels.
            f"{box}, div:has(> {box}) {{ height: auto !important; max-height: {int(most_px)}px !important; "
            f"min-height: {int(least_px)}px !important; flex: 1 1 0 !important; overflow: hidden; }}</style>")
    return st.container(key=key, height=max(200, int(most_px) // 2), border=False)


def chart_file(title: str, what: str | tuple, p, kpi_name: str | None = None, *, note: str = "",
               view: ViewState | None = None) -> dict:
    """What a chart's file says about itself: a title, and the subtitle a slide has (KPI, period,
    comparison, filters, how fresh the data is), after `note`; `what` names the file: (kind, node
    key, specifics...), as cxdata.export.file_name takes it, never the title shown."""
    from cxdata import deck

    subtitle = deck.subtitle(p, view or current_view(), model(), kpi_name, demo=state().demo)
    subtitle = f"{note} · {subtitle}" if note else subtitle
    return {"title": title, "subtitle": subtitle, "name": export_name(what, p, "png").removesuffix(".png")}


def chart_downloads(spec: dict, *, title: str, subtitle: str, name: str) -> None:
    """The chart as files, drawn only when asked for (vl-convert takes 0.1-0.7 s a picture)."""
    from cxdata import chart_files

    def draw(kind):
        # The PNG shaped and lettered for a slide, the SVG to scale.
        shaped = chart_files.for_slide if kind == "png" else chart_files.for_file
        return lambda: getattr(chart_files, kind)(shaped(spec, title, subtitle))

    with st.popover("Chart", icon=":material/download:", type="tertiary",
                    help="This chart as a picture for a deck or a report, with its period and filters written under "
                         "its title"):
        st.download_button("PNG (for slides)", draw("png"), file_name=f"{name}.png", mime="image/png",
                           icon=":material/image:", key=f"png_{name}", on_click="ignore")
        st.download_button("SVG (scales to any size)", draw("svg"), file_name=f"{name}.svg", mime="image/svg+xml",
                           icon=":material/draw:", key=f"svg_{name}", on_click="ignore")


def pyramid(view: ViewState):
    """The pyramid for a view, cached per data version: an upload changes the version, so a cached
    result can never outlive the data it was computed from."""
    m = model()
    return _pyramid(str(database().path), view_version(), m.digest, view, m, catalog(), cursor())


def ensure_data(*, required: bool = True) -> None:
    """The demo on a new database. A database emptied by removing its uploads stays empty: a page
    that shows data says so and stops (`required`); the Upload page goes on. A database another
    program holds (a second `make run`, a CLI ingest) gets its plain message, not a traceback."""
    try:
        db = database()
    except StorageError as exc:
        st.error(escape(str(exc)), icon=":material/lock:")
        st.stop()
    responses, uploads = db.holds(cursor())
    if not responses and not uploads and not service.demo_fits(db, cursor()):
        st.info(f"No responses are stored yet. The model in use ({escape(service.model_path_for(db).name)}) is not the "
                "demo's, so no demo data is loaded: upload a survey export to see the pyramid.", icon=":material/inbox:")
        st.page_link("pages/upload.py", label="Upload an export", icon=":material/upload:")
        if required:
            st.stop()
    elif (not responses and not uploads) or service.demo_loading():
        # (also while another session loads it: its first transactions are in, the rest not yet)
        with st.spinner("First start: loading the demo data set…"):
            service.ensure_demo(db)  # waits for a load under way, then finds the data there
        st.cache_data.clear()
    elif required and not responses:
        st.info("No responses are stored: the uploads were removed, or held no responses. Upload a survey "
                "export to see the pyramid.", icon=":material/inbox:")
        st.page_link("pages/upload.py", label="Upload an export", icon=":material/upload:")
        st.stop()


def demo_banner() -> None:
    if state().demo:
        st.info("You are looking at **demo data** generated for a fictional company."
                + (" Upload your own survey exports to replace it." if grant().may_write else ""), icon=":material/science:")


# -- view state <-> URL -------------------------------------------------------------------------
def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def current_view(extra: dict[str, list[str]] | None = None) -> ViewState:
    """The view in the URL; filters carry over from the previous page of this session when the
    URL has none (Streamlit's page navigation drops query parameters). `extra`: segment values
    the page's data has beside the responses' (an invitation list's)."""
    m = model()
    params = _params()
    last: ViewState | None = st.session_state.get("_last_view")
    has_view_params = any(k in params for k in VIEW_KEYS) or any(m.segment(k) for k in params)
    view, problems = ViewState.from_query_params(params, m)
    # A team member's link is checked against their teams' values only: a value of other teams'
    # rows is as unknown as one no row has (else a link could probe for them, found by an audit).
    view, unknown = view.with_known_values(service.merged_values(segment_values(), extra), m)
    problems += unknown
    if last is not None and not has_view_params:
        page = None if view.present else _page_name()
        last = opened_on(page, last)
        # The remembered view is checked again, as a link would be: the model may have changed
        # since (a version saved on the Model page dropped its team, touchpoint or segment).
        last, stale = ViewState.from_query_params(last.to_query_params(), m)
        last, unknown_before = last.with_known_values(service.merged_values(segment_values(), extra), m)
        problems += stale + unknown_before
        view = replace(view, period=last.period, start=last.start, end=last.end, compare=last.compare, filters=last.filters)
        # The sidebar's Split by, and the trend's grain, are the same control on every page.
        view = replace(view, split=view.split if "split" in params else last.split,
                       grain=view.grain if "grain" in params else last.grain)
        if not {"tp", "team", "journey"} & set(params):
            # The sidebar's page links carry no drill either: the Pyramid goes back to the
            # journey or touchpoint the session was at, the Team view to its team (the breadcrumb
            # leads up). A link naming a journey is a drill of its own (found in review: the
            # session's touchpoint was put back under another journey).
            view = replace(view, tp=last.tp, team=last.team, journey=last.journey)
            # ...and the page its own controls, as it was left at this node, where the link names none.
            view = replace(view, **{k: getattr(last, k) for k in PAGE_CONTROLS.get(page, ())
                                    if PARAM_OF.get(k, k) not in params})
    st.session_state["_view_problems"] = problems
    set_view(view, rerun=False)
    return view


def set_view(view: ViewState, *, rerun: bool = False) -> None:
    st.session_state["_last_view"] = view
    page = _page_name()
    if page and page != "present" and not view.present:
        st.session_state.setdefault("_views_left", {})[page] = view  # (a slide's view is the story's)
    wanted = view.to_query_params()
    if _normalised(_params()) != _normalised(wanted):
        st.query_params.from_dict(wanted)
    if rerun:
        st.rerun()


def update_view(**changes) -> None:
    """Widget callbacks: change part of the view and write it to the URL."""
    set_view(replace(st.session_state.get("_last_view") or ViewState(), **changes))


def _page_name() -> str | None:
    """The page this run shows, by its name in cxdata.access.PAGES (start_page)."""
    return st.session_state.get("_page_name")


def opened_on(page: str | None, view: ViewState) -> ViewState:
    """`view` as `page` opens it, with what that page showed when it was left (ViewState.opened_on)."""
    return view.opened_on(page, st.session_state.get("_views_left", {}).get(page))


def themes_columns(table) -> dict:
    """The themes table's columns sized so that its verdict reads in full beside the figures on a
    laptop's page ('significantly worse · few answers' was cut at 1400 px): the KPI's columns
    short, their full names (the KPI with its scale, 'Effort (CES) /7, about it') in their help."""
    config = {"Theme": st.column_config.TextColumn(width=210),
              "Comments": st.column_config.NumberColumn(width=80),
              "Share": st.column_config.NumberColumn("Share of comments", format="%.1f%%", width=120),
              "Difference": st.column_config.TextColumn(width=80),
              "Verdict": st.column_config.TextColumn(width=235)}
    for name in table.columns:
        for end, label in ((", about it", "About it"), (", the others", "The others")):
            if name.endswith(end):
                config[name] = st.column_config.TextColumn(label, width=90, help=name)
    return {k: v for k, v in config.items() if k in table.columns}


def view_link(page: str, view: ViewState, label: str, *, key: str, icon: str | None = None, help: str | None = None,
              disabled: bool = False, width="content", into=None) -> None:
    """The way to `page` (its name in cxdata.access.PAGES) showing `view`: a page link, carrying the
    same view the sidebar's link would (`opened_on`). The browser follows a link to its page and
    query string in one step, one entry in its history; st.switch_page with query_params writes
    them to this page's URL first, then moves: two entries, and Back took two presses to leave
    the page it led to (found in review). `key`: the CSS class st-key-<key> of the link's box.
    `into`: the container to draw in (a breadcrumb's row)."""
    with (into or st).container(key=key, width=width):
        st.page_link(f"pages/{page}.py", label=label, icon=icon, help=help, disabled=disabled, width=width,
                     query_params=opened_on(page, view).to_query_params())


def node_link(page: str, view: ViewState, node, label: str, p, *, key: str, icon: str | None = None,
              help: str | None = None, width="content", into=None) -> None:
    """`view_link` to the view of a pyramid node (`node`, a NodeResult of `p`): none to follow while
    it has no responses, as its view would show nothing but that (found in review)."""
    empty = all(k.status == "no_data" for k in node.kpis)
    if empty:
        filtered = st.session_state.get("_last_view") or ViewState()
        help = (f"No responses for {node.name} in {p.period.label()}"
                + (" with these filters" if filtered.filters else "") + ": its view would be empty.")
    view_link(page, view, label, key=key, icon=icon, help=help, disabled=empty, width=width, into=into)


def _normalised(params) -> dict:
    return {k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in params.items()}


# -- sidebar ------------------------------------------------------------------------------------
def sidebar(view: ViewState, *, split: bool = False, compare: bool = True,
            extra: dict[str, list[str]] | None = None) -> ViewState:
    """The filters of the view (period, comparison, segments; `split`: the Split by control).
    `compare=False`: the page reads one period, and the comparison is shown but not offered."""
    m, cat = model(), catalog()
    with st.sidebar:
        present_button(view)
        st.header("Filters")
        _set_widget("w_period", view.period)
        st.selectbox("Period", list(PRESETS), format_func=PRESETS.get, key="w_period", on_change=_on_filters)
        if view.period != "custom" and cat.as_of:
            shown, _ = pyramid_mod.periods_for(view, cat)
            st.button(f"Pin {shown.label()} in the link", on_click=_pin_period, args=(shown,), type="tertiary",
                      icon=":material/push_pin:", key="pin_period",
                      help=f"“{PRESETS[view.period]}” follows the data: after the next upload, this link may show "
                           "later dates. Pinned, the link shows these dates whatever is uploaded.")
        if st.session_state["w_period"] == "custom":
            default = (view.start or cat.first or date.today(), view.end or cat.as_of or date.today())
            _set_widget("w_range", default)
            st.date_input("From – to", key="w_range", on_change=_on_filters, min_value=FIRST_DAY, max_value=LAST_DAY)
        _set_widget("w_compare", view.compare)
        all_time = st.session_state["w_period"] == "all"
        why = ("All time has nothing before it to compare with." if all_time else
               None if compare else "This page reads the period alone; the other pages compare it.")
        st.radio("Compare with", list(COMPARISONS), format_func=COMPARISONS.get, key="w_compare", on_change=_on_filters,
                 disabled=all_time or not compare, help=why)
        values = segment_values()
        for seg in m.segments:
            options = list(values.get(seg.key, ()))
            options += [v for v in (extra or {}).get(seg.key, ()) if v not in options]
            if not options:
                continue
            _set_widget(f"w_seg_{seg.key}", list(view.filter_map.get(seg.key, ())))
            st.multiselect(seg.name, options, key=f"w_seg_{seg.key}", on_change=_on_filters, placeholder="All",
                           format_func=seg.label)
        if split and m.segments:
            # The first segment is the default split: one entry for it, not a blank one beside it
            # that showed the same view (found by an audit).
            _set_widget("w_split", drill.split_dim(view, m))
            st.selectbox("Split by", [s.key for s in m.segments], format_func=lambda k: m.segment(k).name,
                         key="w_split", on_change=_on_filters)
        if view.filters:
            st.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:")
        # (how many responses there are in all is not a team member's to know)
        st.caption(f"Data as of {day_label(cat.as_of)}" + (f" · {cat.responses:,} responses" if grant().sees_all else ""))
    return view


def _set_widget(key: str, value) -> None:
    # Widgets mirror the URL: set before the widget is created, never after.
    st.session_state[key] = value


def _on_filters() -> None:
    view = st.session_state.get("_last_view") or ViewState()
    m = model()
    period = st.session_state.get("w_period", view.period)
    start = end = None
    if period == "custom" and view.period != "custom":
        # Just chosen: the range starts as the dates shown so far, for the user to edit (there is
        # no date picker yet to read them from).
        shown, _ = pyramid_mod.periods_for(view, catalog())
        start, end = shown.start, shown.last_day
    elif period == "custom":
        rng = st.session_state.get("w_range") or ()
        if len(rng) == 2:
            start, end = rng
        else:  # the second date of the range is still being picked
            return
    filters = {s.key: st.session_state.get(f"w_seg_{s.key}", []) for s in m.segments}
    # The split box shows the first segment when the view has none: that is no choice to write.
    chosen = st.session_state.get("w_split")
    split = view.split if chosen in (None, drill.split_dim(view, m)) else chosen
    new = replace(view, period=period, start=start, end=end, compare=st.session_state.get("w_compare", view.compare),
                  split=split).with_filters(filters)
    set_view(new)


def _pin_period(shown) -> None:
    set_view((st.session_state.get("_last_view") or ViewState()).pinned(shown))


def _clear_filters() -> None:
    view = st.session_state.get("_last_view") or ViewState()
    set_view(view.with_filters({}))


def chart_key(name: str) -> str:
    """The widget key of chart `name` now: a handled click gives the chart a new identity, so the
    browser drops its selection and the same bar can be clicked again after going back up."""
    n = st.session_state.get(f"_clicks_{name}", 0)
    return name if n == 0 else f"{name}_{n}"


def clicked_node(event, name: str) -> str | None:
    """The node key clicked in chart `name` (drawn with key=chart_key(name)), once per click."""
    points = ((event or {}).get("selection") or {}).get("node") or []
    key = points[0].get("key") if points else None
    if key is not None:
        st.session_state[f"_clicks_{name}"] = st.session_state.get(f"_clicks_{name}", 0) + 1
    return key


# -- tiles --------------------------------------------------------------------------------------
def hidden_tile(label: str, counts: str = "responses") -> None:
    """A tile whose figure the minimum-n rules hide, in the same words wherever it stands."""
    st.metric(label, "hidden", border=True,
              help=f"Fewer {counts} than the privacy threshold, or hidden along with a smaller group beside it so "
                   "that the smaller group's figures cannot be worked out by subtraction.")
    st.caption(f"Too few {counts} to show (privacy threshold).")


def kpi_tile(title: str, k: KpiResult, *, show_kpi_name: bool = False, counts: str = "responses",
             explain: str | None = None) -> None:
    """Value, 95% interval, n, change with significance, and target status of one KPI. `counts`:
    what its n counts (a closure rate counts cases); `explain`: more for its tooltip (what the
    figure is, or what its change compares)."""
    label = f"{title} · {k.kpi.name}" if show_kpi_name else title
    if k.status == "no_data":
        st.metric(label, "no data", border=True)
        st.caption(f"No {counts} for this KPI in the period.")
        return
    if k.status == "hidden":
        hidden_tile(label, counts)
        return
    measure = model().measures.get(k.kpi.measure)
    measure_better = measure.higher_is_better if measure else True
    st.metric(
        label,
        formats.tile_value(k, model()),  # a mean with its scale: 4.45/7
        delta=fmt_delta(k),
        # Only a significant change is coloured: noise must not look like news.
        delta_color=("normal" if measure_better else "inverse") if k.delta_shown and k.change.significant else "off",
        delta_arrow="off" if k.shown_delta == 0 and not k.change.significant else "auto",  # no change points neither way
        border=True,
        help=" ".join([f"95% CI {fmt_value(k, k.current.ci_low)} – {fmt_value(k, k.current.ci_high)}; n = {k.current.n:,}.",
                        *([TARGET_HELP[k.target_status]] if k.target_status else []), *([explain] if explain else [])]),
    )
    parts = formats.tile_facts(k, low_n=lambda text: f":orange[{text}]", target=STATUS_BADGE.get)
    st.caption(" · ".join(parts))


# A tile's value, change and status line stay whole down to this width; narrower screens
# (a laptop with the sidebar open, a zoomed presentation) get fewer tiles per row instead.
TILE_MIN_WIDTH = 220


def tile_grid(tiles: int = 4):
    """Up to four KPI tiles per row (`tiles` when fewer), fewer where the page is too narrow."""
    return st.grid(min(4, max(1, tiles)), min_column_width=TILE_MIN_WIDTH)


def breadcrumb():
    """A row of the drill path, each part as wide as its text (fixed column widths cut the
    names short on narrow screens)."""
    return st.container(horizontal=True, vertical_alignment="center", gap="small")


def link_problems() -> None:
    """What was wrong with the link this view came from (it repeats the link's text: escaped)."""
    for problem in st.session_state.get("_view_problems", []):
        st.warning(escape(problem), icon=":material/link_off:")


def no_figures(p, view: ViewState) -> None:
    """Why a view shows no figures, in words that lead out of it: the filters, the period, or a
    model that counts none of the stored answers (an upload of questions it has no KPI for, said
    before as 'clear some filters' with none set: found by an audit)."""
    period = p.period.label()
    if view.filters:
        st.info(f"No responses in {period} for these filters. Choose a longer period or clear some filters.",
                icon=":material/search_off:")
        return
    stored = queries.responses_in(cursor(), p.period)
    if stored:
        st.warning(f"{stored:,} response{'s' if stored != 1 else ''} in {period}, and no KPI of this model counts "
                   "any of them: their questions, touchpoints, teams or survey sources are not the model's. The "
                   "receipt of their upload said which; map their columns to the model's measures, or give the "
                   "model KPIs on them.", icon=":material/rule:")
    else:
        st.info(f"No responses in {period}. Choose a longer period.", icon=":material/search_off:")


def visible_nodes(p) -> list:
    """The pyramid's nodes the signed-in person may see figures of (a team member: their teams)."""
    g = grant()
    if g.sees_all:
        return [p.index, *p.journeys, *p.touchpoints, *p.teams]
    return [node for key in g.teams if (node := p.team(key)) is not None]


def page_header(title: str, p) -> None:
    """Title, demo notice, problems found in the link, and the period shown."""
    st.title(title)
    demo_banner()
    link_problems()
    text = f"**{p.period.label()}**"
    if p.previous:
        text += f" compared with **{p.previous.label()}**"
    view = st.session_state.get("_last_view") or ViewState()
    if view.filters:
        # On the page, not only in the sidebar: a screenshot of the page, or a reader with the
        # sidebar closed, must not take a filtered figure for the whole company's (found by an audit).
        text += f" · **{escape(filters_text(view))}**"
    st.caption(text + f" · data as of {day_label(p.as_of)}")
    seen = [k for node in visible_nodes(p) for k in node.kpis]  # a team member's: their teams' alone
    if p.previous and any(k.current.n for k in seen) and not any(k.previous is not None and k.previous.n for k in seen):
        st.info(f"No responses in the comparison period, {p.previous.label()}: there are no changes to show.",
                icon=":material/compare_arrows:")
    note = comparison_note(p.period, view.compare, view.period)
    if note:
        st.info(note, icon=":material/compare_arrows:")


def movement(mv, heading: str, parts: str, p, *, node: str | None = None, by: str | None = None) -> None:
    """Why a number moved (cxdata.movers): its change split into its parts' contributions.
    `node`: the key of the node that moved, for its file's name (by default the view's touchpoint,
    else its journey, else the index: the pyramid page's); `by`: what its parts are there (`parts`)."""
    if mv is None or not p.previous:
        return
    from cxdata import charts, movers, tables

    shown = current_view()
    node = node or shown.tp or shown.journey or "index"

    st.subheader(heading)
    st.caption(escape(movers.summary(mv, parts, p.previous.label())))
    composite = mv.kpi.stat == "composite"
    cached_chart(charts.movers, tables.movers_frame(mv), x_title=f"Contribution to the change of {mv.kpi.name}",
                 decimals=movers.decimals(mv), composite=composite,
                 file=chart_file(heading, ("movers", node, mv.kpi.key, f"by-{by or parts}"), p, mv.kpi.name))
    if composite:
        st.caption("Each bar is a touchpoint's weighted change of its headline KPI, put on the index's 0–100 scale; "
                   "the bars add up to the index's change before rounding.")
    else:
        other = f" “{movers.OTHER}” are the {mv.other}." if any(m.key is None for m in mv.movers) else ""
        st.caption("Each bar is a part's contribution to the change, blue where it raised the number and orange where "
                   "it lowered it: what its own score did (at its earlier share of the answers) and what the change of "
                   "its share did (more answers where scores are above the earlier average raise the whole); point at a "
                   "bar for the two. The bars add up to the change before rounding." + escape(other))


def scroll_after_rerun(key: str) -> None:
    """Ask the next run to bring the container `key` into view (see scroll_if_asked)."""
    st.session_state["_scroll_to"] = key


def scroll_if_asked(key: str) -> None:
    """Scroll the page to the container `key` when the click that led here asked for it: the
    teams a click on a touchpoint shows start below the fold of a laptop or a shared screen, where
    the click seemed to do nothing. Our own constant script; no user text goes into it."""
    if st.session_state.get("_scroll_to") != key:
        return
    del st.session_state["_scroll_to"]
    st.html(f"""<script>setTimeout(() => {{
        const el = document.querySelector('.st-key-{key}');
        // Clear of the app's header bar, which covered the heading it scrolled to (found by an audit).
        if (el) {{ el.style.scrollMarginTop = '4.5rem'; el.scrollIntoView({{behavior: 'smooth', block: 'start'}}); }}
    }}, 150);</script>""", unsafe_allow_javascript=True, width="content")


def filters_text(view: ViewState) -> str:
    """The view's segment filters in words ('Region: Tehran, Isfahan · Customer tier: SMB')."""
    return formats.filters_text(view, model())


def figures_frame(p, view: ViewState):
    """Every figure of the view as a table, the nodes' Closed loop tiles included, made when a
    download button is clicked (on a thread of its own, with its own cursor, where no Streamlit call
    runs: everything from the session is read now, the cases counted at the minute the tiles are)."""
    from cxdata import drill, tables

    filters = filters_text(view)
    db, m, cat, now = database(), model(), catalog(), _minute()

    def make():
        cur = db.cursor()
        try:
            closed = drill.closed_loops(cur, m, cat, view, p, now)
        finally:
            cur.close()
        return tables.pyramid_frame(p, filters, closed)

    return make


def table_downloads(label: str, make_frame, what: str | tuple, p, help: str, key: str, sheet: str, narrowed=()) -> None:
    """A table as CSV and as an Excel workbook, each built only when its button is clicked.
    `sheet`: the workbook's sheet name (the button's label cut to Excel's 31 characters read
    'Download every figure of this v', found by an audit); `narrowed`: the table's own filters
    (cxdata.export.file_name)."""
    from cxdata import export

    with st.container(horizontal=True):
        st.download_button(f"{label} (CSV)", lambda: export.to_csv_bytes(make_frame()),
                           file_name=export_name(what, p, "csv", narrowed), mime="text/csv", icon=":material/download:",
                           help=help, key=f"{key}_csv")
        st.download_button("Excel", lambda: export.to_xlsx_bytes(make_frame(), sheet=sheet),
                           file_name=export_name(what, p, "xlsx", narrowed), icon=":material/table_view:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           help=f"The same as an Excel workbook. {help}", key=f"{key}_xlsx")


def export_name(what: str | tuple, p, ext: str = "csv", narrowed=()) -> str:
    """'cx-trend-delivery_tehran-csat-month-2025-Q3-region-Tehran.csv': what the file holds and
    the node it is of (`what`: (kind, node key, specifics...)), its period, the table's own
    filters (`narrowed`) and the view's, by cxdata.export.file_name's one rule."""
    from cxdata import export

    m = model()
    filters = [(dim, [m.segment(dim).label(v) if m.segment(dim) else v for v in values])
               for dim, values in current_view().filters]
    return export.file_name(what, p.period.label(), filters, ext, narrowed=narrowed)


def present_button(view: ViewState) -> None:
    """Start presentation mode on this view (its drill path is the story)."""
    from cxdata import story

    if not grant().may_open("present"):
        return
    if st.button("Present", key="present", icon=":material/slideshow:",
                 help="This view full screen, one slide at a time, for a screen shared in a review "
                      "(the arrow keys move, Esc ends it)"):
        page = st.session_state.get("_page")
        st.session_state["_present_from"] = page
        st.switch_page("pages/present.py",
                       query_params=story.start(view, "pyramid" if page == "" else page).to_query_params())


def deck_button(view: ViewState, p, *, label: str = "Download the slides (PowerPoint)",
                pdf_label: str = "Download the slides (PDF)", row: bool = True) -> None:
    """The view's story (presentation mode's slides) as a PowerPoint deck and as a PDF, each drawn
    when clicked, on a thread of its own: it gets its own cursor, and everything from the session is
    read now. Presentation mode's reader only: the story opens on the index and its touchpoints."""
    import contextlib

    from cxdata import deck

    if not grant().may_open("present"):
        return
    db, m, cat, demo = database(), model(), catalog(), state().demo

    def slides() -> list:
        cur = db.cursor()
        try:
            return deck.story_slides(cur, m, cat, view, p, demo=demo)
        finally:
            cur.close()

    what, narrowed = deck.named_after(view, m, p, lambda dim, kpis: split(replace(view, present=None), dim, kpis=kpis))
    title = formats.deck_title(view, m, p.period.label(), narrowed)

    def pptx() -> bytes:
        return deck.pptx(slides(), footer=m.name, title=title)

    def pdf() -> bytes:
        from cxdata import deck_pdf

        return deck_pdf.pdf(slides(), footer=m.name, title=title)

    with st.container(horizontal=True) if row else contextlib.nullcontext():  # (a slide's bar is a row already)
        st.download_button(label, pptx, file_name=export_name(what, p, "pptx", narrowed), icon=":material/co_present:",
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           help="The slides of presentation mode for this view (index, touchpoint, team, comments) "
                                "with their figures and charts, to take into your own deck or send after the review.",
                           key="deck")
        st.download_button(pdf_label, pdf, file_name=export_name(what, p, "pdf", narrowed),
                           icon=":material/picture_as_pdf:", mime="application/pdf",
                           help="The same slides as a PDF, to send after the review: it opens anywhere and looks "
                                "the same everywhere, Persian, Arabic and Hebrew comments included.",
                           key="deck_pdf")


def rows_key(prefix: str, frame, columns: list[str]) -> str:
    """A widget key that names the rows a table shows. A table's row selection is a row number:
    kept under a fixed key, it would point at another response once a filter changes the rows.
    A new key for new rows starts the table with nothing selected."""
    import hashlib

    digest = hashlib.blake2b(digest_size=6)
    for column in columns:
        digest.update("\x1f".join(map(str, frame[column].tolist())).encode())
        digest.update(b"\x1e")
    return f"{prefix}_{digest.hexdigest()}"


def comment_reader(comments, picked) -> None:
    """The comment of the selected row in full (a table cell cuts a long one off), as plain text,
    set right to left when it is Persian, Arabic or Hebrew."""
    import pandas as pd

    from cxdata.bidi import direction, isolated

    rows = picked["selection"]["rows"] if picked else []
    if not rows or rows[0] >= len(comments):
        st.caption("Select a row to read its comment in full.")
        return
    row = comments.iloc[rows[0]]
    text = "" if pd.isna(row["Comment"]) else str(row["Comment"])
    with st.container(border=True, key="comment_reader"):
        st.text(isolated(text), text_alignment="right" if direction(text) == "rtl" else "left", width="stretch")
        value = row["Score"]
        # A yes/no score reads Yes or No (drill.comments_frame); a number is shown whole.
        score = "" if pd.isna(value) else f" · score {value}" if isinstance(value, str) else f" · score {value:.0f}"
        st.caption(escape(f"{row['When']}{score} · {row['Source']} · {row['Response id']}"))


@st.cache_data(show_spinner=False, max_entries=8)
def _outside_model(db_path: str, version: int, model_digest: str, _cat, _cur):
    return queries.outside_model(_cur, _cat)


def outside_model_notice() -> None:
    """Stored responses that name a touchpoint or team the model does not have: they have no tile
    of their own, so say so rather than let them vanish from every tile."""
    cat = catalog()
    if not any(cat.unmapped.values()):
        return
    counts = _outside_model(str(database().path), data_version(), model().digest, cat, cursor())
    parts = [f"{level} {escape(service.named_counts(counts[level]))}" for level in ("touchpoint", "team") if counts[level]]
    if parts:
        st.info("Responses without a tile of their own, by the names they give (responses): " + "; ".join(parts)
                + ". The model has no such touchpoint or team; the totals above them (the index, a team's touchpoint) "
                "include them. Add them to the model, or the names as aliases, to give them tiles.",
                icon=":material/help_center:")


def bar_domain(k: KpiResult) -> tuple[float, float]:
    return pyramid_mod.kpi_range(model(), k.kpi)
