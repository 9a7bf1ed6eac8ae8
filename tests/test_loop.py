"""Closing the loop: which responses are cases and whose, their status changes, the closure figures
(against an independent pandas computation over the stored rows)."""

import math
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pytest

from cxdata import demo_loop, loop, pyramid, queries, service, stats, store
from cxdata.db import Database
from cxdata.model import parse_model
from cxdata.period import Period
from cxdata.view import ViewState
from tests.conftest import demo_database

MODEL = parse_model("""
version: 1
measures:
  nps: {name: NPS question, scale: [0, 10]}
  csat: {name: CSAT question, scale: [1, 5], top_box: 4}
index: {kpi: {key: nps, name: NPS, stat: nps, measure: nps}}
defaults:
  touchpoint_kpis: [{key: csat, name: CSAT, stat: top_box, measure: csat}]
touchpoints:
  - {key: web, name: Website}
  - {key: phone, name: Call center, aliases: [Phone]}
teams:
  - {key: web_team, name: Web team, touchpoint: web}
  - {key: phone_a, name: Phone A, touchpoint: phone}
  - {key: phone_b, name: Phone B, touchpoint: phone}
segments:
  - {key: region, name: Region}
loop:
  rules:
    - {measure: nps}
    - {measure: csat, at_most: 2}
  respond_within_days: 2
  target: 50
""")
ALL = Period(date(2025, 1, 1), date(2025, 2, 1))
NOW = datetime(2025, 1, 20, 12)


def rows(*responses):
    """Canonical rows: (id, day of January 2025, touchpoint, team, region, {metric: value})."""
    out = {k: [] for k in ("source", "source_response_id", "responded_at", "customer_id", "touchpoint", "team",
                           "region", "metric", "value", "value_text", "comment")}
    for rid, day, tp, team, region, answers in responses:
        for metric, value in answers.items():
            for k, v in (("source", "survey"), ("source_response_id", rid), ("customer_id", f"C-{rid}"),
                         ("responded_at", datetime(2025, 1, day, 9, tzinfo=timezone.utc)), ("touchpoint", tp),
                         ("team", team), ("region", region), ("metric", metric), ("value", float(value)),
                         ("value_text", None), ("comment", f"comment of {rid}")):
                out[k].append(v)
    return pa.table(out)


ROUTING = [
    # id, day, touchpoint, team, region, answers, owner of its case (None: no case)
    ("team-at-home", 2, "web", "web_team", "North", {"csat": 1}, "team:web_team"),
    ("team-only", 3, None, "phone_a", "North", {"csat": 2}, "team:phone_a"),
    ("team-elsewhere", 4, "web", "phone_b", "South", {"csat": 1}, "touchpoint:web"),
    ("alias-touchpoint", 5, "Phone", None, "South", {"csat": 2}, "touchpoint:phone"),
    ("unknown-touchpoint", 6, "Fax", None, "South", {"csat": 1}, None),
    ("detractor", 7, None, None, "North", {"nps": 6}, None),
    ("passive", 8, None, None, "North", {"nps": 7}, "no case"),
    ("fine", 9, "web", "web_team", "North", {"csat": 3}, "no case"),
    # NPS is the first rule: its answer opens the case, whatever the CSAT
    ("both", 10, "phone", "phone_a", "South", {"nps": 2, "csat": 1}, "team:phone_a"),
]


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "cx.duckdb")
    store.apply(d, rows(*(r[:6] for r in ROUTING)))
    yield d
    d.close()


def figures(d, view=ViewState(period="all"), now=NOW, **kw):
    cur = d.cursor()
    cat = queries.catalog(cur, MODEL)
    return loop.closure(cur, MODEL, cat, view, ALL, now=now, **kw)


def listed(d, view=ViewState(period="all"), which="all", now=NOW, **kw):
    """The list `which` and how many it holds in all (Closure.count)."""
    cur = d.cursor()
    cases = loop.queue(cur, MODEL, queries.catalog(cur, MODEL), view, ALL, which=which, now=now, **kw)
    return cases, figures(d, view, now, **kw)[0].count(which)


def test_a_case_goes_to_the_node_its_answer_counts_under_on_the_pyramid(db):
    cases, total = listed(db)
    owners = dict(zip(cases["source_response_id"], cases["owner"]))
    expected = {rid: owner for rid, *_, owner in ROUTING if owner != "no case"}
    assert owners == expected and total == len(expected)
    both = cases.set_index("source_response_id").loc["both"]
    assert (both["measure"], both["value"]) == ("nps", 2.0)


def test_owners_narrow_the_queue_and_the_figures(db):
    everyone, per = figures(db)
    assert everyone.cases == 7
    assert {c.owner: c.cases for c in per} == {"team:web_team": 1, "team:phone_a": 2, "touchpoint:web": 1,
                                              "touchpoint:phone": 1, None: 2}
    assert [c.name for c in per][-1] == "Not routed"
    phone = ViewState(period="all", tp="phone")
    assert figures(db, phone)[0].cases == 3  # its teams' and its own
    assert figures(db, ViewState(period="all", tp="phone", team="phone_a"))[0].cases == 2
    assert figures(db, ViewState(period="all"), unrouted=True)[0].cases == 2
    north = ViewState(period="all", filters=(("region", ("North",)),))
    assert set(listed(db, north)[0]["source_response_id"]) == {"team-at-home", "team-only", "detractor"}


def test_new_cases_wait_oldest_first_and_turn_overdue(db):
    cases, _ = listed(db, which="open", now=datetime(2025, 1, 9, 10))
    assert list(cases["source_response_id"])[:2] == ["team-at-home", "team-only"]
    # respond_within_days 2: on the 9th at 10:00, the cases of the 7th at 9:00 and before are overdue
    overdue = dict(zip(cases["source_response_id"], cases["overdue"]))
    assert overdue["detractor"] and not overdue["both"]
    assert figures(db, now=datetime(2025, 1, 9, 10))[0].overdue == 6
    assert figures(db, now=datetime(2025, 1, 9, 9))[0].overdue == 5  # exactly two days: not yet
    listed_overdue, total = listed(db, which="overdue", now=datetime(2025, 1, 9, 10))
    assert total == 6 and listed_overdue["overdue"].all()


def test_status_changes_keep_their_times_and_history(db):
    ref = [(1, "team-at-home")]
    t0 = datetime(2025, 1, 3, 9)
    assert loop.update(db, MODEL, ref, status="contacted", note="Called", by="Ana", now=t0) == 1
    loop.update(db, MODEL, ref, status="resolved", by="Ben", now=t0 + timedelta(days=1))
    loop.update(db, MODEL, ref, note="Sent a voucher", now=t0 + timedelta(days=2))  # a note alone: still resolved
    row = db.cursor().execute("SELECT status, contacted_at::TIMESTAMP, resolved_at::TIMESTAMP, note, updated_by FROM cases"
                              ).fetchall()
    assert row == [("resolved", t0, t0 + timedelta(days=1), "Sent a voucher", None)]
    loop.update(db, MODEL, ref, status="new", by="Ana", now=t0 + timedelta(days=3))  # reopened
    row = db.cursor().execute("SELECT status, contacted_at::TIMESTAMP, resolved_at FROM cases").fetchall()
    assert row == [("new", t0, None)]  # the first contact happened all the same
    events = loop.history(db.cursor(), ref)
    assert list(events["status"].fillna("")) == ["contacted", "resolved", "", "new"]
    assert list(events["changed_by"].fillna("")) == ["Ana", "Ben", "", "Ana"]


def test_closure_figures(db):
    t0 = datetime(2025, 1, 3, 9)
    loop.update(db, MODEL, [(1, "team-at-home"), (1, "team-only")], status="resolved", now=t0)
    loop.update(db, MODEL, [(1, "both")], status="contacted", now=datetime(2025, 1, 14, 9))
    everyone, per = figures(db)
    assert (everyone.cases, everyone.new, everyone.contacted, everyone.resolved) == (7, 4, 1, 2)
    # contacted 1 and 0 days after their responses (the 2nd and 3rd), 4 days after (the 10th)
    assert everyone.in_time == 2
    assert everyone.due == 7  # on the 20th, every case is older than two days
    assert figures(db, now=datetime(2025, 1, 11, 12))[0].due == 7 - 1 + 1  # "both" (10th) is young, but contacted
    assert figures(db, now=datetime(2025, 1, 8, 12))[0].due == 6  # the 7th's detractor is young and new
    assert everyone.hours_to_contact == pytest.approx(24.0)
    n, k, z = 7, 2, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert everyone.rate.value == pytest.approx(100 * k / n)
    assert (everyone.rate.ci_low, everyone.rate.ci_high) == pytest.approx((100 * (centre - half), 100 * (centre + half)))
    assert everyone.status == "low_n"  # 7 cases, reliability threshold 30
    assert everyone.target_status == "near"  # 28.6% misses 50, but the interval reaches it
    # Each owner has fewer cases than the privacy threshold: its rate is hidden, with no target status
    assert {c.status for c in per} == {"hidden"} and {c.target_status for c in per} == {None}
    assert not any(c.shown for c in per) and everyone.shown


def test_routing_by_hand_and_back(db):
    loop.update(db, MODEL, [(1, "detractor")], team="phone_b", now=NOW)
    assert figures(db, ViewState(period="all", tp="phone", team="phone_b"))[0].cases == 1
    assert figures(db, unrouted=True)[0].cases == 1
    loop.update(db, MODEL, [(1, "detractor")], team=None, now=NOW)
    assert figures(db, ViewState(period="all", tp="phone", team="phone_b"))[0].cases == 0
    events = loop.history(db.cursor(), [(1, "detractor")])
    assert list(events["team"]) == ["phone_b", ""]


def test_a_team_member_changes_only_the_cases_their_team_owns_when_the_change_is_written(db):
    # Their own cases, one routed to them by its answer and one by hand, go through.
    loop.update(db, MODEL, [(1, "detractor")], team="phone_a", now=NOW)
    assert loop.update(db, MODEL, [(1, "team-only"), (1, "both"), (1, "detractor")], status="contacted",
                       owned_by=("phone_a",), now=NOW) == 3
    # A case routed elsewhere meanwhile, one of a touchpoint and one nobody owns are refused, and
    # nothing of the batch is written.
    loop.update(db, MODEL, [(1, "both")], team="phone_b", now=NOW)
    events = db.cursor().execute("SELECT count(*) FROM case_events").fetchall()[0][0]
    for refs, others in (([(1, "team-only"), (1, "both")], "1 of these cases is"),
                         ([(1, "team-elsewhere"), (1, "unknown-touchpoint")], "2 of these cases are")):
        with pytest.raises(loop.LoopError, match=f"{others} no longer your team's"):
            loop.update(db, MODEL, refs, status="resolved", owned_by=("phone_a",), now=NOW)
    assert db.cursor().execute("SELECT count(*) FROM case_events").fetchall()[0][0] == events
    assert db.cursor().execute("SELECT count(*) FROM cases WHERE status = 'resolved'").fetchall() == [(0,)]
    # Two teams' member: either team's cases.
    assert loop.update(db, MODEL, [(1, "team-only"), (1, "both")], status="resolved",
                       owned_by=("phone_a", "phone_b"), now=NOW) == 2


def test_the_owner_check_reads_the_case_as_the_list_of_its_period_does(tmp_path):
    # One response: an NPS of 2 at the web team late on 31 January, a CSAT of 1 at phone_a early
    # on 1 February. Over all time the NPS opens the case (web_team's); February's list has only
    # the CSAT, so there the case is phone_a's, and phone_a's member may work it.
    table = pa.concat_tables([rows(("x", 31, "web", "web_team", "North", {"nps": 2})),
                              rows(("x", 31, "phone", "phone_a", "North", {"csat": 1}))])
    times = [datetime(2025, 1, 31, 23, tzinfo=timezone.utc), datetime(2025, 2, 1, 1, tzinfo=timezone.utc)]
    table = table.set_column(table.column_names.index("responded_at"), "responded_at", pa.array(times))
    d = Database(tmp_path / "cx.duckdb")
    try:
        store.apply(d, table)
        feb = Period(date(2025, 2, 1), date(2025, 3, 1))
        cur = d.cursor()
        cases = loop.queue(cur, MODEL, queries.catalog(cur, MODEL), ViewState(period="all"), feb, which="all", now=NOW)
        assert list(cases["owner"]) == ["team:phone_a"]
        view = ViewState(period="custom", start=feb.start, end=feb.last_day, tp="phone", team="phone_a")
        assert loop.update(d, MODEL, [(1, "x")], status="contacted", owned_by=("phone_a",), view=view, period=feb,
                           now=NOW) == 1
        with pytest.raises(loop.LoopError, match="no longer your team's"):  # over all time: web_team's
            loop.update(d, MODEL, [(1, "x")], status="resolved", owned_by=("phone_a",), now=NOW)
    finally:
        d.close()


def test_a_case_changed_since_it_was_seen_is_not_overwritten(db):
    cur = db.cursor()
    seen = loop.queue(cur, MODEL, queries.catalog(cur, MODEL), ViewState(period="all"), ALL, which="all", now=NOW)
    changed = dict(zip(zip(seen["source_id"], seen["source_response_id"]), seen["updated_at"]))
    picked = [(1, "team-at-home"), (1, "team-only")]
    assert all(changed[ref] is None or pd.isna(changed[ref]) for ref in picked)  # never changed
    loop.update(db, MODEL, [(1, "team-only")], status="contacted", by="Ben", now=NOW)  # meanwhile, someone else
    events = cur.execute("SELECT count(*) FROM case_events").fetchall()
    with pytest.raises(loop.LoopError, match="1 of these cases was changed by someone else"):
        loop.update(db, MODEL, picked, status="resolved", by="Ana", now=NOW, last_changed={r: changed[r] for r in picked})
    assert cur.execute("SELECT count(*) FROM case_events").fetchall() == events
    # Seen again (its new time), the change goes through.
    seen = loop.queue(cur, MODEL, queries.catalog(cur, MODEL), ViewState(period="all"), ALL, which="all", now=NOW)
    changed = dict(zip(zip(seen["source_id"], seen["source_response_id"]), seen["updated_at"]))
    assert loop.update(db, MODEL, picked, status="resolved", by="Ana", now=NOW,
                       last_changed={r: changed[r] for r in picked}) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"status": "closed"}, "Unknown status"),
    ({"team": "nobody"}, "Unknown team"),
    ({"note": "x" * (loop.MAX_NOTE + 1)}, "characters long"),
    ({}, "Nothing to change"),
    ({"note": "   "}, "Nothing to change"),
])
def test_a_bad_change_is_refused_and_writes_nothing(db, kwargs, message):
    before = db.data_version()
    with pytest.raises(loop.LoopError, match=message):
        loop.update(db, MODEL, [(1, "team-at-home")], **kwargs)
    assert db.cursor().execute("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)").fetchall() == [(0, 0)]
    assert db.data_version() == before


def test_a_case_of_a_response_not_stored_is_refused(db):
    with pytest.raises(loop.LoopError, match="not stored"):
        loop.update(db, MODEL, [(1, "team-at-home"), (1, "never-uploaded")], status="resolved")
    assert db.cursor().execute("SELECT count(*) FROM cases").fetchall() == [(0,)]


def test_no_choice_is_refused():
    with pytest.raises(loop.LoopError, match="at least one"):
        loop.update(None, MODEL, [], status="resolved")


def test_a_case_outlives_an_edit_and_a_removed_upload(db):
    loop.update(db, MODEL, [(1, "team-only")], status="resolved", by="Ana", now=NOW)
    # The next export has the response edited (CSAT 2 -> 1): the same case
    store.apply(db, rows(("team-only", 3, None, "phone_a", "North", {"csat": 1})))
    cases, _ = listed(db, which="resolved")
    assert list(cases["source_response_id"]) == ["team-only"] and cases["value"].iloc[0] == 1.0
    # A later upload adds a response; removed, its case goes; uploaded again, its history is back
    receipt = store.apply(db, rows(("late", 12, "web", "web_team", "North", {"csat": 1})),
                          upload={"file_name": "late.csv"})
    loop.update(db, MODEL, [(1, "late")], status="contacted", now=NOW)
    store.remove_upload(db, receipt.upload_id)
    assert "late" not in set(listed(db)[0]["source_response_id"])
    store.apply(db, rows(("late", 12, "web", "web_team", "North", {"csat": 1})))
    cases, _ = listed(db, which="contacted")
    assert list(cases["source_response_id"]) == ["late"]


def test_an_edit_that_lifts_the_answer_closes_nothing_but_lists_it_no_more(db):
    loop.update(db, MODEL, [(1, "team-only")], status="contacted", now=NOW)
    store.apply(db, rows(("team-only", 3, None, "phone_a", "North", {"csat": 4})))
    assert "team-only" not in set(listed(db)[0]["source_response_id"])


# -- the demo's cases, against pandas over the stored rows --------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from demo_database(tmp_path_factory, "loop", 30000)


def independent(cur, model, cat, period, now):
    """The view's cases by owner, from the stored rows with pandas and the Catalog's routing."""
    answers = cur.execute("SELECT response_key, measure, value, touchpoint, team FROM answers "
                          "WHERE responded_at >= ? AND responded_at < ?",
                          [datetime.combine(period.start, datetime.min.time()),
                           datetime.combine(period.end, datetime.min.time())]).df()
    codes = {code: key for key, code in cat.measures.items()}
    answers["measure"] = answers["measure"].map(codes)
    rank = pd.Series(float("nan"), index=answers.index)
    for i, rule in reversed(list(enumerate(model.loop.rules))):
        hit = (answers["measure"] == rule.measure) & answers["value"].between(rule.low, rule.high)
        rank[hit] = i
    hits = answers[rank.notna()].assign(rank=rank[rank.notna()])
    hits = hits.assign(tp=hits["touchpoint"].fillna(-1), tm=hits["team"].fillna(-1))
    first = hits.sort_values(["response_key", "rank", "value", "tp", "tm"]).groupby("response_key").head(1)
    responses = cur.execute("SELECT response_key, source_id, source_response_id, epoch(responded_at) AS t FROM responses").df()
    cases = cur.execute("SELECT source_id, source_response_id, status, team AS routed, epoch(contacted_at) AS c FROM cases").df()
    df = first.merge(responses, on="response_key").merge(cases, on=["source_id", "source_response_id"], how="left")

    def owner(row):
        if isinstance(row.routed, str) and model.team(row.routed):
            return f"team:{row.routed}"
        tp, team = cat.home(None if pd.isna(row.touchpoint) else int(row.touchpoint),
                            None if pd.isna(row.team) else int(row.team))
        if team is not None and team in cat.teams:
            return f"team:{cat.teams[team]}"
        key = tp if isinstance(tp, str) else cat.touchpoints.get(tp)
        return f"touchpoint:{key}" if key else None

    df["owner"] = [owner(r) for r in df.itertuples()]
    df["status"] = df["status"].fillna("new")
    due = (now - datetime(1970, 1, 1)).total_seconds() - model.loop.respond_within_days * 86400
    df["overdue"] = (df["status"] == "new") & (df["t"] < due)
    contacted = df["status"] != "new"  # a case set back to new keeps its first contact only in its history
    df["in_time"] = contacted & ((df["c"] - df["t"]) <= model.loop.respond_within_days * 86400)
    df["due"] = contacted | (df["t"] < due)
    df["hours"] = ((df["c"] - df["t"]) / 3600).where(contacted)
    return df


def test_demo_cases_match_pandas(demo):
    db, model, cur, cat = demo
    now = datetime(2026, 10, 2, 12)
    for view in (ViewState(), ViewState(period="all"), ViewState(filters=(("tier", ("SMB",)),))):
        period, _ = pyramid.periods_for(view, cat)
        df = independent(cur, model, cat, period, now)
        if view.filters:
            tiers = cur.execute("SELECT response_key FROM responses WHERE seg_tier IN "
                                "(SELECT code FROM labels WHERE dim = 'seg_tier' AND label = 'SMB')").df()
            df = df[df["response_key"].isin(tiers["response_key"])]
        everyone, per = loop.closure(cur, model, cat, view, period, now=now)
        assert everyone.cases == len(df) > 100
        assert (everyone.new, everyone.contacted, everyone.resolved) == tuple(
            int((df["status"] == s).sum()) for s in ("new", "contacted", "resolved"))
        assert everyone.overdue == int(df["overdue"].sum())
        assert everyone.in_time == int(df["in_time"].sum())
        assert everyone.due == int(df["due"].sum())
        assert everyone.hours_to_contact == pytest.approx(df["hours"].median())
        expected = df.groupby("owner", dropna=False).size().to_dict()
        assert {c.owner: c.cases for c in per} == {(None if pd.isna(k) else k): v for k, v in expected.items()}
        cases = loop.queue(cur, model, cat, view, period, which="all", now=now, limit=100_000)
        assert len(cases) == len(df) and set(cases["source_response_id"]) == set(df["source_response_id"])
        for which in ("open", "new", "overdue", "contacted", "resolved"):
            listed_now = loop.queue(cur, model, cat, view, period, which=which, now=now, limit=100_000)
            assert len(listed_now) == everyone.count(which)


def test_demo_history_is_deterministic_and_plants_a_lagging_team(demo, tmp_path):
    db, model, cur, cat = demo
    again = service.open_db(tmp_path / "again.duckdb")
    service.load_demo(again, 30000)
    dump = ("SELECT * EXCLUDE (contacted_at, resolved_at, updated_at), contacted_at::VARCHAR, resolved_at::VARCHAR "
            "FROM cases ORDER BY source_id, source_response_id")
    assert again.cursor().execute(dump).fetchall() == cur.execute(dump).fetchall()
    again.close()
    everyone, per = loop.closure(cur, model, cat, ViewState(period="all"), Period(cat.first, cat.as_of + timedelta(days=1)),
                                 now=datetime(2026, 10, 1))
    teams = [c for c in per if c.owner and c.owner.startswith("team:") and c.cases >= 30]
    assert min(teams, key=lambda c: c.rate.value).owner == f"team:{demo_loop.LAGGING_TEAM}"
    # Nothing happens after the last day of the data
    last = cur.execute("SELECT max(changed_at)::DATE FROM case_events").fetchall()[0][0]
    assert last <= cat.as_of


# -- found by a review ------------------------------------------------------------------------

def test_a_case_is_dated_by_the_answer_that_opened_it_in_the_figures_and_the_list(tmp_path):
    # A long file may time each answer: a fine answer on 31 January, a bad one on 1 February.
    d = Database(tmp_path / "cx.duckdb")
    table = rows(("split", 31, "web", "web_team", "North", {"csat": 4}))
    late = rows(("split", 1, "web", "web_team", "North", {"csat": 1}))
    late = late.set_column(late.schema.get_field_index("responded_at"), "responded_at",
                           pa.array([datetime(2025, 2, 1, 9, tzinfo=timezone.utc)]))
    store.apply(d, pa.concat_tables([table, late]))
    cur = d.cursor()
    cat = queries.catalog(cur, MODEL)
    february = Period(date(2025, 2, 1), date(2025, 3, 1))
    everyone, _ = loop.closure(cur, MODEL, cat, ViewState(), february, now=NOW)
    cases = loop.queue(cur, MODEL, cat, ViewState(), february, which="all", now=NOW)
    assert everyone.cases == len(cases) == 1
    assert cases["responded_at"].iloc[0] == datetime(2025, 2, 1, 9)
    d.close()


def test_a_case_set_back_to_new_counts_as_not_contacted(db):
    loop.update(db, MODEL, [(1, "team-at-home")], status="contacted", now=datetime(2025, 1, 2, 12))
    loop.update(db, MODEL, [(1, "team-at-home")], status="new", now=datetime(2025, 1, 3, 12))
    everyone, _ = figures(db)
    assert (everyone.new, everyone.in_time, everyone.hours_to_contact) == (7, 0, None)
    assert everyone.due == 7  # every case is older than two days on the 20th


def test_a_response_that_opens_no_case_cannot_be_changed(db):
    with pytest.raises(loop.LoopError, match="no answer that opens a case"):
        loop.update(db, MODEL, [(1, "fine")], status="resolved")
    assert db.cursor().execute("SELECT count(*) FROM cases").fetchall() == [(0,)]


def test_text_that_is_not_text_is_refused():
    with pytest.raises(loop.LoopError, match="not text"):
        loop.update(None, MODEL, [(1, "x")], note="caf\udce9")


def test_loading_the_demo_again_writes_no_second_history(tmp_path):
    d = service.open_db(tmp_path / "cx.duckdb")
    service.load_demo(d, 3000)
    count = "SELECT count(*), count(DISTINCT (source_id, source_response_id)) FROM cases"
    first = d.cursor().execute(count).fetchall()[0]
    service.load_demo(d, 3000)
    assert d.cursor().execute(count).fetchall()[0] == first and first[0] == first[1] > 0
    d.close()


def test_the_closure_rate_as_a_kpi(db):
    loop.update(db, MODEL, [(1, "team-at-home"), (1, "team-only")], status="resolved", now=NOW)
    now, _ = figures(db)
    then = loop._closure(MODEL, "*", 40, 30, 5, 5, 0, 0, 40, None)  # a comparison period: 5 of 40 resolved
    k = loop.closure_kpi(MODEL, now, then)
    assert (k.kpi.key, k.kpi.stat, k.kpi.target) == (loop.CLOSED_LOOP, "yes_rate", 50)
    assert k.current.value == pytest.approx(100 * 2 / 7) and (k.status, k.previous_status) == ("low_n", "ok")
    welch = stats.change("yes_rate", stats.Moments(n=7, hi=2), stats.Moments(n=40, hi=5))
    assert (k.change.delta, k.change.z) == pytest.approx((welch.delta, welch.z))
    assert k.target_status == "near"
    few = loop._closure(MODEL, "*", 3, 2, 0, 1, 0, 0, 3, None)
    assert loop.closure_kpi(MODEL, few, None).status == "hidden"  # fewer cases than the privacy threshold
    assert loop.closure_kpi(MODEL, now, few).change is None


# -- the minimum-n rules of the figures --------------------------------------------------------

# Cases per owner: (touchpoint, team, cases, resolved). Phone B's 2 are under the privacy threshold;
# alone hidden, they came back as the call centre's 12 less Phone A's 10.
OWNERS = [("web", "web_team", 12, 9), ("phone", "phone_a", 10, 4), ("phone", "phone_b", 2, 1), ("Fax", None, 8, 2)]


def _owned(tmp_path, owners):
    d = Database(tmp_path / "cx.duckdb")
    made = [(f"{team or tp}-{i}", 1 + i % 28, tp, team, "North", {"csat": 1}, i < resolved)
            for tp, team, cases, resolved in owners for i in range(cases)]
    store.apply(d, rows(*(r[:6] for r in made)))
    loop.update(d, MODEL, [(1, r[0]) for r in made if r[6]], status="resolved", now=NOW)
    return d


@pytest.fixture
def owned(tmp_path):
    d = _owned(tmp_path, OWNERS)
    yield d
    d.close()


@pytest.fixture
def few_unrouted(tmp_path):
    """2 unrouted cases: every case less the touchpoints' would give them back, so the website's
    (the smaller touchpoint) are hidden with them; every case less the owners', so a call centre
    team's, and its sibling with it."""
    d = _owned(tmp_path, [("web", "web_team", 12, 9), ("phone", "phone_a", 10, 4), ("phone", "phone_b", 10, 5),
                          ("Fax", None, 2, 1)])
    yield d
    d.close()


VIEWS = {"everyone": (ViewState(period="all"), False), "web": (ViewState(period="all", tp="web"), False),
         "phone": (ViewState(period="all", tp="phone"), False),
         "unrouted": (ViewState(period="all"), True),
         **{t.key: (ViewState(period="all", tp=t.touchpoint, team=t.key), False) for t in MODEL.teams}}


def test_an_owner_with_few_cases_is_hidden_with_the_one_that_would_give_it_back_in_every_view(owned):
    seen = {key: figures(owned, view, unrouted=unrouted) for key, (view, unrouted) in VIEWS.items()}
    hidden = {"team:phone_a", "team:phone_b"}
    for key, (everyone, per) in seen.items():
        assert {c.owner for c in per if c.status == "hidden"} == hidden & {c.owner for c in per}, key
    assert [seen[key][0].status for key in ("everyone", "web", "phone", "unrouted", "web_team", "phone_a", "phone_b")] \
        == ["ok", "low_n", "low_n", "low_n", "low_n", "hidden", "hidden"]
    for key in ("phone_a", "phone_b"):
        everyone = seen[key][0]
        assert everyone.target_status is None and not everyone.shown
        assert loop.closure_kpi(MODEL, everyone, None).status == "hidden"  # the team view's tile too
        assert (everyone.shown_count("open"), everyone.shown_count("resolved"), everyone.shown_count("all")) == (
            everyone.open, None, None)
    # What the views show (the totals, and each owner's cases and resolved where shown) leaves the
    # two hidden teams' sum, and many ways to split it: neither's rate can be worked out.
    total = seen["everyone"][0]
    visible = [c for c in seen["everyone"][1] if c.shown]
    rest = (total.cases - sum(c.cases for c in visible), total.resolved - sum(c.resolved for c in visible))
    phone = seen["phone"][0]
    assert (phone.cases, phone.resolved) == rest  # the two hidden teams' sum, and no more
    splits = {(a, r) for a in range(1, rest[0]) for r in range(0, min(a, rest[1]) + 1)
              if 0 <= rest[1] - r <= rest[0] - a}
    assert len({a for a, _ in splits}) > 1 and len({r / a for a, r in splits}) > 1
    # Before, Phone B's 2 cases showed a rate of 50% with its interval, which every table carried on
    from cxdata import tables

    records = tables.closure_records(seen["phone"][1], MODEL.loop.target).set_index("key")
    assert records.loc["team:phone_b", ["value", "n", "ci_low", "ci_high", "target_status"]].isna().all()
    assert records.loc["team:phone_b", "suppressed"] and records.loc["team:phone_a", "suppressed"]


@pytest.mark.parametrize("cases, view, routed, as_of, hidden", [
    # a touchpoint's own cases, a team's elsewhere, the unrouted: too few to show any
    ("db", ViewState(period="all"), None, None, {"touchpoint:web", "touchpoint:phone", "team:web_team", "team:phone_a"}),
    # the call centre's own case routed by hand to the web team
    ("db", ViewState(period="all"), "web_team", None, {"touchpoint:web", "touchpoint:phone", "team:web_team",
                                                       "team:phone_a"}),
    ("db", ViewState(period="all").with_filters({"region": ["South"]}), None, None,
     {"*", "touchpoint:web", "touchpoint:phone", "team:phone_a"}),
    ("owned", ViewState(period="all"), None, None, {"team:phone_a", "team:phone_b"}),
    ("owned", ViewState(period="all"), None, datetime(2025, 1, 12), {"team:phone_a", "team:phone_b"}),
    ("few_unrouted", ViewState(period="all"), None, None, {"touchpoint:web", "team:web_team", "team:phone_a",
                                                           "team:phone_b"}),
])
def test_one_count_gives_each_nodes_cases_as_its_own_view_counts_them(request, cases, view, routed, as_of, hidden):
    """loop.node_closures (the Closed loop tiles of a pyramid's figures) is closure of each node's
    own view: its cases, figures and hiding."""
    d = request.getfixturevalue(cases)
    if routed:
        loop.update(d, MODEL, [(1, "alias-touchpoint")], team=routed, now=NOW)
    cur = d.cursor()
    cat = queries.catalog(cur, MODEL)
    nodes = loop.node_closures(cur, MODEL, cat, view, ALL, now=NOW, as_of=as_of)
    own = {"*": view, **{f"touchpoint:{tp.key}": view.drill(tp.key) for tp in MODEL.touchpoints},
           **{f"team:{t.key}": view.drill(t.touchpoint, t.key) for t in MODEL.teams}}
    assert nodes == {key: loop.closure(cur, MODEL, cat, v, ALL, now=NOW, as_of=as_of)[0] for key, v in own.items()}
    assert {key for key, c in nodes.items() if c.status == "hidden"} == hidden


def test_a_note_is_one_cell_of_the_history_whatever_it_holds(db):
    from cxdata import tables

    forged = "called”\n2024-01-20 09:00 by Head of CX: Resolved, “done"
    loop.update(db, MODEL, [(1, "team-at-home")], status="contacted", note=forged, by="Ana", now=NOW)
    table = tables.case_history(loop.history(db.cursor(), [(1, "team-at-home")]), MODEL)
    assert len(table) == 1 and table["Note"].iloc[0] == forged and table["Status"].iloc[0] == "Contacted"


# -- the closure rate's change: the comparison period as it stood at the same age ---------------

@pytest.mark.parametrize("current, previous, now, as_of", [
    # a month after February ended: January as it stood a month after its end (February has 28 days)
    (Period(date(2025, 2, 1), date(2025, 3, 1)), Period(date(2025, 1, 1), date(2025, 2, 1)),
     datetime(2025, 3, 5, 12), datetime(2025, 2, 5, 12)),
    # February still running (8.5 days to go): January 8.5 days before its end
    (Period(date(2025, 2, 1), date(2025, 3, 1)), Period(date(2025, 1, 1), date(2025, 2, 1)),
     datetime(2025, 2, 20, 12), datetime(2025, 1, 23, 12)),
    # a quarter against the one before: 91 days apart at their ends
    (Period(date(2025, 4, 1), date(2025, 7, 1)), Period(date(2025, 1, 1), date(2025, 4, 1)),
     datetime(2025, 7, 20), datetime(2025, 4, 20)),
    # February 2025 against February 2024, whose 29 days end on 1 March: 365 days apart
    (Period(date(2025, 2, 1), date(2025, 3, 1)), Period(date(2024, 2, 1), date(2024, 3, 1)),
     datetime(2025, 3, 10), datetime(2024, 3, 10)),
])
def test_the_comparison_period_is_read_as_long_after_its_end_as_now_is_after_the_periods(current, previous, now,
                                                                                           as_of):
    assert loop.comparison_as_of(current, previous, now) == as_of


JANUARY, FEBRUARY = Period(date(2025, 1, 1), date(2025, 2, 1)), Period(date(2025, 2, 1), date(2025, 3, 1))

# Every case is a CSAT of 1 at the web team, each with the changes made to it: (day, status, note).
AGED = [
    # id, response day, its changes
    ("j-resolved-early", date(2025, 1, 10), [(date(2025, 1, 12), "resolved", None),
                                             (date(2025, 1, 14), None, "voucher"),
                                             (date(2025, 2, 25), None, "called again")]),
    ("j-resolved-late", date(2025, 1, 10), [(date(2025, 1, 15), "contacted", None),
                                            (date(2025, 2, 25), "resolved", None)]),
    ("j-reopened", date(2025, 1, 10), [(date(2025, 1, 20), "resolved", None), (date(2025, 2, 10), "contacted", None)]),
    ("j-resolved-untouched", date(2025, 1, 10), [(date(2025, 2, 28), "resolved", None)]),
    ("j-untouched", date(2025, 1, 10), []),
    # a script's two changes in one instant: the history cannot order them, the case's row can
    ("j-same-instant", date(2025, 1, 10), [(date(2025, 1, 12), "resolved", None),
                                           (date(2025, 1, 12), "contacted", None)]),
    ("j-late-in-month", date(2025, 1, 25), []),
    *((f"f-resolved-{i}", date(2025, 2, 10), [(date(2025, 2, 15), "resolved", None)]) for i in range(3)),
    *((f"f-open-{i}", date(2025, 2, 10), []) for i in range(2)),
]


@pytest.fixture
def aged(tmp_path):
    """January's and February's cases, worked at the times of AGED."""
    d = Database(tmp_path / "cx.duckdb")
    table = rows(*((rid, 1, "web", "web_team", "North", {"csat": 1}) for rid, *_ in AGED))
    times = [datetime.combine(day, datetime.min.time(), timezone.utc).replace(hour=9) for _, day, _ in AGED]
    store.apply(d, table.set_column(table.column_names.index("responded_at"), "responded_at", pa.array(times)))
    changes = sorted(((when, rid, status, note) for rid, _, worked in AGED for when, status, note in worked),
                     key=lambda change: change[0])
    for when, rid, status, note in changes:
        loop.update(d, MODEL, [(1, rid)], status=status, note=note, now=datetime.combine(when, datetime.min.time()))
    yield d
    d.close()


@pytest.mark.parametrize("now, cases, statuses, delta", [
    # February over: January as of 5 February 12:00. Resolved then: 'early' (its last status by
    # then, not the note after it) and 'reopened' (on 20 January, contacted again on 10 February);
    # contacted: 'late' (resolved on the 25th) and 'same-instant' (as its row says); new: the
    # other three. February: 3 of 5 resolved, 60%; January then 2 of 7, 28.6%: +31.4 pts.
    # (January as it stands today, 3 of 7 resolved, 42.9%, made it +17.1.)
    (datetime(2025, 3, 5, 12), 7, (3, 2, 2), 60 - 100 * 2 / 7),
    # February running: January as of 23 January 12:00, without the case of the 25th: 2 of 6.
    (datetime(2025, 2, 20, 12), 6, (2, 2, 2), 60 - 100 * 2 / 6),
])
def test_the_closure_rate_is_compared_with_the_comparison_period_as_it_stood_at_the_same_age(aged, now, cases,
                                                                                           statuses, delta):
    cur = aged.cursor()
    cat = queries.catalog(cur, MODEL)
    current, _ = loop.closure(cur, MODEL, cat, ViewState(), FEBRUARY, now=now)
    assert (current.cases, current.resolved) == (5, 3)  # today's statuses: the period's own rate is unchanged
    then, _ = loop.closure(cur, MODEL, cat, ViewState(), JANUARY, as_of=loop.comparison_as_of(FEBRUARY, JANUARY, now))
    assert then.cases == cases and (then.new, then.contacted, then.resolved) == statuses
    k = loop.closure_kpi(MODEL, current, then, loop.comparison_words(FEBRUARY, JANUARY, now))
    assert k.change.delta == pytest.approx(delta)
    assert k.previous.value == pytest.approx(100 * 2 / cases) and k.current.value == pytest.approx(60.0)


@pytest.mark.parametrize("now, words", [
    (datetime(2025, 3, 5, 12), "vs Jan 2025 as of 05 Feb 2025 (same age)"),
    (datetime(2025, 2, 20, 12), "vs Jan 2025 as of 23 Jan 2025 (same age)"),
])
def test_the_tile_says_what_the_change_compares(now, words):
    # Read at a glance under the tile (a sentence made it twice as tall as its row): why, its tooltip says
    assert loop.comparison_words(FEBRUARY, JANUARY, now) == words
    assert "as old as this period is now" in loop.COMPARED_HELP
    current = loop._closure(MODEL, "*", 40, 10, 10, 20, 0, 0, 40, None)
    then = loop._closure(MODEL, "*", 40, 20, 10, 10, 0, 0, 40, None)
    assert loop.closure_kpi(MODEL, current, then, words).compared == words
    assert loop.closure_kpi(MODEL, current, None, words).compared is None  # no comparison, nothing compared


def test_demo_cases_as_they_stood_match_pandas_over_their_history(demo):
    db, model, cur, cat = demo
    as_of = datetime(2026, 6, 20, 15)  # within the demo's history: many cases of June still open then
    period = Period(date(2026, 4, 1), date(2026, 7, 1))
    df = independent(cur, model, cat, period, as_of)
    events = cur.execute("SELECT source_id, source_response_id, status, changed_at::TIMESTAMP AS changed_at "
                         "FROM case_events WHERE status IS NOT NULL").df()
    events = events[events["changed_at"] <= as_of].sort_values("changed_at").groupby(
        ["source_id", "source_response_id"]).tail(1)
    df = df.drop(columns="status").merge(events, on=["source_id", "source_response_id"], how="left")
    df = df[df["t"] <= (as_of - datetime(1970, 1, 1)).total_seconds()]
    df["status"] = df["status"].fillna("new")
    then, _ = loop.closure(cur, model, cat, ViewState(), period, as_of=as_of)
    counts = tuple(int((df["status"] == s).sum()) for s in ("new", "contacted", "resolved"))
    assert then.cases == len(df) and (then.new, then.contacted, then.resolved) == counts
    assert min(counts) > 20  # every status, read from the history or the row
    everyone, _ = loop.closure(cur, model, cat, ViewState(), period, now=as_of)
    assert everyone.cases > then.cases and everyone.resolved > then.resolved  # today's figures are not those
