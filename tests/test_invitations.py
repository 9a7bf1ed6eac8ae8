"""Silent customers: invitation lists in, response rates out, against truth.json's figures for the
sample company's invitation list, and the loading rules (merge, rejections, removal)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from cxdata import invitations, service, store
from cxdata.invitations import InvitationError
from cxdata.model import load_model
from cxdata.period import Period
from cxdata.view import ViewState
from tests.conftest import SAMPLES, ZELVORA_MODEL

INVITES = SAMPLES / "invitations.csv"
RELATIONSHIP = [SAMPLES / "qualtrics_relationship.csv", SAMPLES / "surveymonkey_relationship.xlsx",
                SAMPLES / "porsline_relationship.xlsx"]
EVER = Period(date(2024, 1, 1), date(2026, 1, 1))
MODEL = load_model(ZELVORA_MODEL)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The sample company's relationship surveys and its invitation list."""
    db = service.open_db(tmp_path_factory.mktemp("invitations") / "cx.duckdb")
    service.remember_model(db, ZELVORA_MODEL)
    for path in RELATIONSHIP:
        assert service.ingest_file(db, MODEL, path)["status"] == "loaded"
    receipt = invitations.load(db, MODEL, INVITES)
    yield db, receipt
    db.close()


def pct(rate):
    return round(rate.rate.value, 1)


def test_the_sample_list_loads_whole(loaded, truth):
    _, receipt = loaded
    metrics = truth["files"]["invitations.csv"]["metrics"]
    assert (receipt.rows_read, receipt.added, receipt.rejected) == (metrics["invitations"], metrics["invitations"], [])
    assert receipt.columns == {"customer_id": "customer_id", "invited_at": "invited_at", "wave": "wave",
                               "source": "survey_tool", "channel": "channel", "region": "region", "tier": "tier",
                               "tenure_band": "tenure_band", "language": "language"}


def test_response_rates_match_truth(loaded, truth):
    db, _ = loaded
    metrics = truth["files"]["invitations.csv"]["metrics"]
    rates = invitations.rates(db.cursor(), MODEL, ViewState(period="all"), EVER)
    assert (rates.overall.invited, rates.overall.responded, pct(rates.overall)) == (
        metrics["invitations"], metrics["responded"], metrics["response_rate_pct"])
    names = {"survey_tool": "source"}
    for key, expected in metrics.items():
        if not key.startswith("response_rate_pct_by_"):
            continue
        dim = key.removeprefix("response_rate_pct_by_")
        got = {r.value: {"invited": r.invited, "responded": r.responded, "pct": pct(r)} for r in rates.by[names.get(dim, dim)]}
        assert got == expected, dim


def test_the_silent_segment_is_found(loaded, truth):
    db, _ = loaded
    planted = truth["files"]["invitations.csv"]["metrics"]["silent_segment"]
    silent = invitations.rates(db.cursor(), MODEL, ViewState(period="all"), EVER).silent()
    first, second = silent[0], silent[1]
    assert (first.dimension, first.value, pct(first), first.invited) == (
        planted["dimension"], planted["value"], planted["response_rate_pct"], planted["invited"])
    assert round(first.rest_rate, 1) == planted["rest_response_rate_pct"]
    assert round(first.ratio, 3) == planted["ratio_segment_to_rest"]
    assert (second.dimension, second.value, pct(second)) == (
        planted["second_lowest_segment"]["dimension"], planted["second_lowest_segment"]["value"],
        planted["second_lowest_segment"]["pct"])


def test_filters_and_periods_narrow_the_list(loaded, truth):
    db, _ = loaded
    metrics = truth["files"]["invitations.csv"]["metrics"]
    cur = db.cursor()
    vip = invitations.rates(cur, MODEL, ViewState(period="all").with_filters({"tier": ["vip"]}), EVER)
    assert (vip.overall.invited, pct(vip.overall)) == (metrics["response_rate_pct_by_tier"]["VIP"]["invited"],
                                                      metrics["response_rate_pct_by_tier"]["VIP"]["pct"])
    assert [r.value for r in vip.by["tier"]] == ["VIP"]
    wave = metrics["response_rate_pct_by_wave"]["2025-Q2"]
    q2 = invitations.rates(cur, MODEL, ViewState(), Period(date(2025, 4, 1), date(2025, 7, 1)))
    assert (q2.overall.invited, q2.overall.responded) == (wave["invited"], wave["responded"])
    # The model's segment of the survey source is the list's source; a segment the invitations do
    # not carry selects none of them
    qualtrics = invitations.rates(cur, MODEL, ViewState(period="all").with_filters({"source": ["Qualtrics"]}), EVER)
    assert qualtrics.overall.invited == metrics["response_rate_pct_by_survey_tool"]["qualtrics"]["invited"]
    none = invitations.rates(cur, MODEL, ViewState(period="all").with_filters({"store": ["Tehran"]}), EVER)
    assert none.overall.invited == 0


def test_a_response_answers_only_its_latest_recent_invitation(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    for path in RELATIONSHIP[:1]:
        service.ingest_file(db, MODEL, path)
    cur = db.cursor()
    customer, answered = cur.execute(
        "SELECT customer_id, responded_at::DATE FROM responses WHERE customer_id IS NOT NULL LIMIT 1").fetchall()[0]
    lines = ["customer_id,invited_at,survey_tool",
             f"{customer},{(answered - timedelta(days=10)).isoformat()},qualtrics",  # a later one was answered
             f"{customer},{answered.isoformat()}T00:00:00Z,Qualtrics",  # the same tool, spelt otherwise: answered
             f"{customer},{(answered - timedelta(days=400)).isoformat()},qualtrics",  # too early
             *(f"NOBODY{i},2025-01-01,qualtrics" for i in range(4))]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invitations.load(db, MODEL, path).added == 7
    rates = invitations.rates(cur, MODEL, ViewState(period="all"), Period(date(2020, 1, 1), date(2030, 1, 1)))
    assert (rates.overall.invited, rates.overall.responded) == (7, 1)
    assert {r.value for r in rates.by["source"]} == {"qualtrics"}
    db.close()


def test_reloading_merges_and_rejected_rows_say_why(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    path = tmp_path / "list.csv"
    path.write_text("Customer ID;Date sent;Survey;Customer tier;Favourite colour\n"
                    "A1;2025-03-01;qualtrics;أفراد;red\n"  # an alias of Consumer
                    "A2;2025-03-01;qualtrics;VIP;blue\n"
                    ";2025-03-01;qualtrics;VIP;blue\n"
                    "A3;not a date;qualtrics;VIP;blue\n"
                    "A2;2025-03-01;qualtrics;VIP;green\n", encoding="utf-8")
    first = invitations.load(db, MODEL, path)
    assert (first.rows_read, first.added) == (5, 2)
    assert first.rejected == [(4, "no customer id"), (5, "the invitation date cannot be read"),
                              (6, "the same invitation as row 3")]
    assert first.columns["tier"] == "Customer tier" and first.ignored == ["Favourite colour"]
    cur = db.cursor()
    assert sorted(cur.execute("SELECT customer_id, seg_tier FROM invitations").fetchall()) == [("A1", "Consumer"), ("A2", "VIP")]
    path.write_text("Customer ID;Date sent;Survey;Customer tier\nA1;2025-03-01;qualtrics;Consumer\n"
                    "A2;2025-03-01;qualtrics;SMB\nA4;2025-03-02;qualtrics;SMB\n", encoding="utf-8")
    again = invitations.load(db, MODEL, path)
    assert (again.unchanged, again.updated, again.added) == (1, 1, 1)
    assert sorted(cur.execute("SELECT customer_id, seg_tier FROM invitations").fetchall()) == [
        ("A1", "Consumer"), ("A2", "SMB"), ("A4", "SMB")]
    # Removing an upload removes the invitations no other upload's list holds (A4), and what it
    # corrected goes back to the version before (A2 is VIP again)
    removal = store.remove_upload(db, again.upload_id)
    assert (removal.invitations, removal.invitations_restored) == (1, 1)
    assert sorted(cur.execute("SELECT customer_id, seg_tier FROM invitations").fetchall()) == [
        ("A1", "Consumer"), ("A2", "VIP")]
    store.remove_upload(db, first.upload_id)
    assert invitations.holds(cur) == 0
    history = service.upload_history(db)
    assert invitations.LAYOUT in set(history["layout"])
    db.close()


@pytest.mark.parametrize("text, message", [
    ("name,city\nAna,Tehran\n", "No customer id or invitation date column"),
    ("customer_id,invited_at\nA1,2025-01-01\n", "No survey source column"),
    ("customer_id,invited_at,survey\n", "no rows under its header"),
    ("customer_id,invited_at,survey\n,2025-01-01,qualtrics\n", "None of the 1 rows"),
])
def test_a_list_that_cannot_be_loaded_is_refused_and_writes_nothing(tmp_path, text, message):
    db = service.open_db(tmp_path / "cx.duckdb")
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvitationError, match=message):
        invitations.load(db, MODEL, path)
    assert invitations.holds(db.cursor()) == 0
    assert db.cursor().execute("SELECT count(*) FROM uploads").fetchall() == [(0,)]
    db.close()


def test_a_source_given_for_the_whole_list(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    path = tmp_path / "list.csv"
    path.write_text("customer_id,invited_at\nA1,2025-01-01\n", encoding="utf-8")
    assert invitations.load(db, MODEL, path, source="qualtrics").added == 1
    assert db.cursor().execute("SELECT source FROM invitations").fetchall() == [("qualtrics",)]
    db.close()


@pytest.mark.parametrize("headers, expected", [
    (["customer_id", "invited_at", "wave", "survey_tool", "tier"],
     {"customer_id": 0, "invited_at": 1, "wave": 2, "source": 3, "tier": 4}),
    (["شناسه مشتری", "تاریخ ارسال", "نظرسنجی", "منطقه"], {"customer_id": 0, "invited_at": 1, "source": 2, "region": 3}),
    (["Customer number", "Sent at", "Survey source", "Customer tier"],
     {"customer_id": 0, "invited_at": 1, "source": 2, "tier": 3}),
    (["номер на клиент", "дата на покана", "анкета", "език"], {"customer_id": 0, "invited_at": 1, "source": 2, "language": 3}),
])
def test_columns_are_recognised_in_several_languages(headers, expected):
    found, left = invitations.recognise(headers, MODEL)
    assert found == expected and left == []
    assert invitations.looks_like_invitations(headers, MODEL)


def test_a_survey_export_does_not_look_like_an_invitation_list():
    assert not invitations.looks_like_invitations(["ResponseId", "Q1_NPS", "Q2_CSAT", "customer_id", "RecordedDate"],
                                                  MODEL)


def test_small_groups_are_hidden_with_their_complement(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    path = tmp_path / "list.csv"
    rows = [f"C{i},2025-03-01,qualtrics,{tier}" for i, tier in enumerate(["VIP"] * 3 + ["SMB"] * 6 + ["Consumer"] * 40)]
    path.write_text("customer_id,invited_at,survey,tier\n" + "\n".join(rows) + "\n", encoding="utf-8")
    invitations.load(db, MODEL, path)
    rates = invitations.rates(db.cursor(), MODEL, ViewState(period="all"), Period(date(2025, 1, 1), date(2026, 1, 1)))
    by = {r.value: r for r in rates.by["tier"]}
    # VIP (3) is below the privacy threshold; SMB goes with it, or 49 - 40 - 6 would give VIP away
    assert by["VIP"].status == by["SMB"].status == "hidden" and by["VIP"].invited == 0 and by["VIP"].rate.value is None
    assert by["Consumer"].status == "ok" and by["Consumer"].invited == 40
    db.close()


def test_the_response_rates_page(loaded, monkeypatch, pages_handed_over):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    db, _ = loaded
    monkeypatch.setenv("CX_DB", str(db.path))
    monkeypatch.delenv("CX_MODEL", raising=False)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["period"] = "all"
    at.switch_page("pages/rates.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric} == {"Response rate": "25.5%", "Answered": "7,955", "Silent": "23,245"}
    first = next(m.value for m in at.markdown if m.value.startswith("- **"))
    assert first.startswith("- **Tenure: 0\\-6m** answers 4.2% of its invitations, against 29.3%")
    assert len(at.get("vega_lite_chart")) == len(invitations.rates(
        db.cursor(), MODEL, ViewState(period="all"), EVER).dimensions)


def test_the_page_without_an_invitation_list_says_how_to_load_one(tmp_path, monkeypatch, pages_handed_over):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    db = service.open_db(tmp_path / "cx.duckdb")
    service.remember_model(db, ZELVORA_MODEL)
    service.ingest_file(db, MODEL, RELATIONSHIP[0])
    db.close()
    monkeypatch.setenv("CX_DB", str(tmp_path / "cx.duckdb"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.switch_page("pages/rates.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No invitation list is loaded" in i.value for i in at.info)


def test_the_demo_plants_silent_new_customers_once_and_takes_them_away_with_it(tmp_path):
    from cxdata import demo_invitations
    from cxdata.model import load_model as load

    db = service.open_db(tmp_path / "cx.duckdb")
    service.load_demo(db, 20000)
    model = load(service.model_path_for(db))
    cur = db.cursor()
    held = invitations.holds(cur)
    rates = invitations.rates(cur, model, ViewState(period="all"), Period(date(2000, 1, 1), date(2100, 1, 1)))
    assert rates.overall.invited == held > rates.overall.responded > 0
    first = rates.silent()[0]
    assert (first.dimension, first.value) == ("tenure_band", demo_invitations.SILENT_TENURE)
    assert first.rate.value < 10 < first.rest_rate
    # Every demo response of the last four quarters' relationship survey answers an invitation (a
    # customer who answered twice within days answers the later invitation twice: a few)
    answered = cur.execute(
        "SELECT count(*) FROM responses r JOIN sources s USING (source_id) WHERE s.name = ? AND r.responded_at >= "
        "(SELECT min(invited_at) FROM invitations)", [demo_invitations.SOURCE]).fetchall()[0][0]
    assert answered * 0.99 <= rates.overall.responded <= answered
    dump = "SELECT customer_id, invited_at::VARCHAR, seg_tenure_band FROM invitations ORDER BY ALL"
    again = service.open_db(tmp_path / "again.duckdb")
    service.load_demo(again, 20000)
    assert again.cursor().execute(dump).fetchall() == cur.execute(dump).fetchall()
    again.close()
    service.load_demo(db, 20000)  # the demo again: no second list
    assert invitations.holds(cur) == held
    service.remove_demo(db)
    assert invitations.holds(cur) == 0
    db.close()


def test_all_time_spans_invitations_sent_after_the_last_response(tmp_path):
    from cxdata import queries

    db = service.open_db(tmp_path / "cx.duckdb")
    service.ingest_file(db, MODEL, RELATIONSHIP[0])
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    path = tmp_path / "list.csv"
    path.write_text("customer_id,invited_at,survey\n" + "".join(f"N{i},2030-05-01,qualtrics\n" for i in range(6)),
                    encoding="utf-8")
    invitations.load(db, MODEL, path)
    span = invitations.period_for(cur, ViewState(period="all"), cat)
    assert span.start == cat.first and span.end == date(2030, 5, 2)
    assert invitations.rates(cur, MODEL, ViewState(period="all"), span).overall.invited == 6
    db.close()



# -- found by a review ------------------------------------------------------------------------

def write(tmp_path, text, name="list.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_customer_ids_and_sources_are_read_as_the_exports_are(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    service.ingest_file(db, MODEL, RELATIONSHIP[0])  # qualtrics: ids such as ZC9407419
    cur = db.cursor()
    ids = [r[0] for r in cur.execute("SELECT customer_id FROM responses ORDER BY response_key LIMIT 6").fetchall()]
    when = cur.execute("SELECT min(responded_at)::DATE - 1 FROM responses").fetchall()[0][0]
    typed = [ids[0].lower(), ids[1][:2] + "".join(chr(0x06F0 + int(d)) for d in ids[1][2:]), ids[2][:3] + " " + ids[2][3:],
             *ids[3:]]
    # Typed by hand, in another case, with Persian digits or a space; the source spelt otherwise
    invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey\n" + "".join(
        f"{c},{when},QUALTRICS\n" for c in typed)))
    assert cur.execute("SELECT DISTINCT source FROM invitations").fetchall() == [("qualtrics",)]
    again = invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey\n" + "".join(
        f"{c},{when},Qualtrics\n" for c in ids)))
    assert (again.added, again.unchanged) == (0, 6)
    rates = invitations.rates(cur, MODEL, ViewState(period="all"), Period(date(2020, 1, 1), date(2030, 1, 1)))
    answered = cur.execute("SELECT count(DISTINCT customer_id) FROM responses WHERE customer_id = ANY(?) "
                           "AND responded_at < ?::DATE + 30", [ids, when]).fetchall()[0][0]
    assert rates.overall.invited == 6 and rates.overall.responded == answered > 0
    db.close()


def test_the_invitation_date_is_the_column_named_so(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    text = "customer_id,signup date,invitation date,survey\n" + "".join(f"C{i},2020-01-01,2025-03-0{1 + i},q\n"
                                                                         for i in range(5))
    receipt = invitations.load(db, MODEL, write(tmp_path, text))
    assert receipt.columns["invited_at"] == "invitation date" and "signup date" in receipt.ignored
    with pytest.raises(InvitationError, match="Several date columns"):
        invitations.load(db, MODEL, write(tmp_path, "customer_id,date,date of birth,survey\nC1,2025-01-01,1990-01-01,q\n"))
    # A small survey export is not taken for a list: its date is not named as an invitation's
    assert not invitations.looks_like_invitations(["customer_id", "date", "region", "tier", "nps"], MODEL)
    assert invitations.looks_like_invitations(["customer_id", "invited_at", "survey", "name", "email"], MODEL)
    assert not invitations.looks_like_invitations(["customer_id", "invited_at", "survey"], MODEL, answers=True)
    db.close()


def test_a_correction_keeps_what_it_leaves_blank_and_the_reader_s_rejections_are_counted(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey,wave,region\n" + "".join(
        f"C{i},2025-03-01,q,W1,Tehran\n" for i in range(6))))
    fixed = invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey,wave\n" + "".join(
        f"C{i},2025-03-01,q,2025-Q1\n" for i in range(6)) + "C9,2025-03-01,q,2025-Q1,extra,cells\n"))
    assert fixed.updated == 6 and fixed.rows_read == 7 and [r for r, _ in fixed.rejected] == [8]
    assert set(db.cursor().execute("SELECT wave, seg_region FROM invitations").fetchall()) == {("2025-Q1", "Tehran")}
    db.close()


def test_blank_lines_closing_a_list_are_no_rows_and_one_between_rows_is_rejected(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    body = "".join(f"C{i},2025-03-01,q\n" for i in range(6))
    got = invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey\n" + body + "\n\n"))
    assert (got.added, got.rows_read, got.rejected) == (6, 6, [])
    got = invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey\n" + body + "\nC7,2025-03-01,q\n",
                                            "b.csv"))
    assert (got.added, got.rows_read, [r for r, _ in got.rejected]) == (1, 8, [8])
    db.close()


def test_the_source_segment_filters_lists_loaded_without_a_source_column(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at\n" + "".join(f"A{i},2025-03-01\n"
                                                                                        for i in range(6))),
                     source="qualtrics")
    invitations.load(db, MODEL, write(tmp_path, "customer_id,invited_at,survey_tool\n" + "".join(
        f"B{i},2025-03-01,porsline\n" for i in range(6)), "b.csv"))
    cur = db.cursor()
    span = Period(date(2025, 1, 1), date(2026, 1, 1))
    assert invitations.rates(cur, MODEL, ViewState().with_filters({"source": ["Qualtrics"]}), span).overall.invited == 6
    # An empty period has no data, not a hidden figure
    assert invitations.rates(cur, MODEL, ViewState(), Period(date(2020, 1, 1), date(2020, 2, 1))).overall.status == "no_data"
    db.close()


def test_the_page_filters_on_a_segment_only_the_list_has(loaded, truth, monkeypatch, pages_handed_over):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    db, _ = loaded
    monkeypatch.setenv("CX_DB", str(db.path))
    monkeypatch.delenv("CX_MODEL", raising=False)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["period"] = "all"
    at.query_params["channel"] = "sms"
    at.switch_page("pages/rates.py")
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    sms = truth["files"]["invitations.csv"]["metrics"]["response_rate_pct_by_channel"]["sms"]
    assert {m.label: m.value for m in at.metric}["Response rate"] == f"{sms['pct']:.1f}%"
    assert at.multiselect(key="w_seg_channel").value == ["sms"]



def test_removing_a_correction_under_a_later_one_keeps_the_later(tmp_path):
    db = service.open_db(tmp_path / "cx.duckdb")
    header = "customer_id,invited_at,survey,wave\n"
    lists = [invitations.load(db, MODEL, write(tmp_path, header + "".join(f"C{i},2025-03-01,q,{wave}\n" for i in range(5)),
                                              f"{wave}.csv")) for wave in ("W1", "W2", "W3")]
    cur = db.cursor()
    store.remove_upload(db, lists[1].upload_id)  # W2 corrected W1, W3 corrected W2: W3 stays
    assert set(cur.execute("SELECT wave FROM invitations").fetchall()) == {("W3",)}
    store.remove_upload(db, lists[2].upload_id)  # now W3 corrected W1: W1 is back
    assert set(cur.execute("SELECT wave FROM invitations").fetchall()) == {("W1",)}
    assert cur.execute("SELECT count(*) FROM replaced_invitations").fetchall() == [(0,)]
    db.close()


@pytest.mark.parametrize("answered_at, source, answered", [
    ("2025-03-01T00:00:00Z", "qualtrics", True),    # at the invitation's time
    ("2025-03-31T00:00:00Z", "qualtrics", True),    # 30 days after: at most window_days, so its answer
    ("2025-03-31T00:00:01Z", "qualtrics", False),   # a second later: too late
    ("2025-02-28T23:59:59Z", "qualtrics", False),   # before any invitation
    ("2025-03-10T00:00:00Z", "typeform", False),    # another survey's response
])
def test_a_response_answers_an_invitation_at_most_the_window_after_it(tmp_path, answered_at, source, answered):
    """Found by an audit: a response exactly `window_days` after its invitation (a date-only export
    answered on the 30th day) was not its answer, though the page says 'at most 30 days after it'."""
    responses = tmp_path / "responses.csv"
    responses.write_text("source,source_response_id,responded_at,customer_id,metric,value\n"
                         f"{source},R1,{answered_at},A7,nps,9\n", encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    assert service.ingest_file(db, MODEL, responses)["status"] == "loaded"
    path = tmp_path / "list.csv"
    others = "".join(f"B{i},2025-03-01,qualtrics\n" for i in range(4))  # (five invitations: none hidden)
    path.write_text("customer_id,invited_at,survey_tool\nA7,2025-03-01,qualtrics\n" + others, encoding="utf-8")
    invitations.load(db, MODEL, path)
    rates = invitations.rates(db.cursor(), MODEL, ViewState(period="all"), Period(date(2025, 3, 1), date(2025, 3, 2)))
    assert (rates.overall.invited, rates.overall.responded) == (5, int(answered))
    db.close()


# -- the first answer kept on each invitation, against the ASOF join it replaced ----------------

def asof_rates(cur, model, view, period, window_days):
    """The response rates as `invitations.rates` computed them before each invitation kept its first
    answer (test-only reference): each response of the period and of the window after it takes the
    latest invitation of its source and customer at or before it (an ASOF join at query time).
    Returns the Rates, and the ids of the invitations of the period it found answered."""
    from cxdata.invitations import _filter, from_groups, stored_dimensions
    from cxdata.queries import ts
    from cxdata.sql import dim_column

    window = float(window_days)
    dims = stored_dimensions(cur)
    where, params = _filter(cur, view, dims)
    order = list(dict.fromkeys(["source", "wave", *[s.key for s in model.segments if s.key in dims]]))
    cols = ["source" if d == "source" else "wave" if d == "wave" else dim_column(d) for d in order]
    later = ts(period.end) + timedelta(days=window)
    answered_sql = """WITH inv AS (
                SELECT invitation_id, lower(source) AS src, customer_id, invited_at,
                       hash(lower(source), customer_id) AS k FROM invitations
                WHERE invited_at >= ? AND invited_at < ?
            ), resp AS (
                SELECT lower(s.name) AS src, r.customer_id, r.responded_at, hash(lower(s.name), r.customer_id) AS k
                FROM responses r JOIN sources s USING (source_id)
                WHERE r.customer_id IS NOT NULL AND r.responded_at >= ? AND r.responded_at < ?
                  AND lower(s.name) IN (SELECT DISTINCT src FROM inv)
            ), answered AS (
                SELECT DISTINCT i.invitation_id FROM resp r ASOF JOIN inv i
                  ON r.k = i.k AND r.responded_at >= i.invited_at
                WHERE r.responded_at <= i.invited_at + to_microseconds(CAST(? * 86400e6 AS BIGINT))
                  AND r.src = i.src AND r.customer_id = i.customer_id
            )"""
    bounds = [ts(period.start), later, ts(period.start), later, window]
    rows = cur.execute(
        f"""{answered_sql}, invited AS (
                SELECT {', '.join(f'i.{c}' for c in cols)}, a.invitation_id IS NOT NULL AS responded
                FROM invitations i LEFT JOIN answered a USING (invitation_id)
                WHERE i.invited_at >= ? AND i.invited_at < ? AND {where}
            )
            SELECT grouping({', '.join(cols)}) AS g, {', '.join(cols)}, count(*), count(*) FILTER (WHERE responded)
            FROM invited GROUP BY GROUPING SETS ((), {', '.join(f'({c})' for c in cols)})""",
        [*bounds, ts(period.start), ts(period.end), *params]).fetchall()
    ids = {i for (i,) in cur.execute(
        f"""{answered_sql} SELECT invitation_id FROM answered JOIN invitations USING (invitation_id)
            WHERE invited_at >= ? AND invited_at < ?""", [*bounds, ts(period.start), ts(period.end)]).fetchall()}
    return from_groups(model, order, rows), ids


T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
# Invitations on these days after T0, at midnight (a date-only list) or at 09:30
INVITE_DAYS = [0, 0.3958333333333333, 5, 10, 29, 30, 31, 45, 60, 61]
# A response this long after an invitation of its customer: at it, a second either side of it,
# at the 30-day window's end and a second either side, between invitations, after every one
AFTER = [timedelta(0), timedelta(seconds=1), timedelta(seconds=-1), timedelta(days=30), timedelta(days=30, seconds=1),
         timedelta(days=30, seconds=-1), timedelta(days=1), timedelta(days=3, hours=5), timedelta(days=12.5),
         timedelta(days=12.5, seconds=1), timedelta(days=40), timedelta(days=-2)]
SOURCES = ["qualtrics", "porsline", "typeform"]
LIST_SPELLING = {"qualtrics": "Qualtrics", "porsline": "porsline", "typeform": "TYPEFORM"}
CHECKED_PERIODS = [Period(date(2025, 1, 1), date(2026, 1, 1)), Period(date(2025, 3, 1), date(2025, 4, 1)),
                   Period(date(2025, 3, 11), date(2025, 3, 31)), Period(date(2025, 3, 31), date(2025, 4, 2)),
                   Period(date(2025, 4, 1), date(2025, 5, 1))]
CHECKED_WINDOWS = [30, 1, 12.5, 0.5]
CHECKED_VIEWS = [ViewState(), ViewState().with_filters({"source": ["Qualtrics"]}),
                 ViewState().with_filters({"tier": ["VIP"]})]


def random_invitations(rng, customers, n):
    """(source, customer, time, tier) of `n` invitations, none twice."""
    seen = {}
    for _ in range(n):
        src, cust = rng.choice(SOURCES), rng.choice(customers)
        when = T0 + timedelta(days=rng.choice(INVITE_DAYS))
        seen[(src, cust, when)] = rng.choice(["VIP", "SMB", "Consumer"])
    return [(*k, tier) for k, tier in seen.items()]


def random_responses(rng, customers, invited, n, prefix):
    """{response id: (source, customer or None, time or None, value)}: most near an invitation of
    their customer (at, before, at the window's end), some anywhere, some untimed or without a customer."""
    out = {}
    for i in range(n):
        kind = rng.random()
        if kind < 0.7 and invited:
            src, cust, when, _ = rng.choice(invited)
            if rng.random() < 0.2:  # another survey of the same customer
                src = rng.choice(SOURCES)
            at = when + rng.choice(AFTER)
        else:
            src, cust = rng.choice(SOURCES), rng.choice(customers)
            at = T0 + timedelta(days=rng.randrange(-10, 80), seconds=rng.choice([0, 1, 3600 * 9.5]))
        if kind > 0.92:
            at = None
        elif 0.88 < kind <= 0.92:
            cust = None
        out[f"{prefix}{i}"] = (src, cust, at, float(rng.randrange(11)))
    return out


def upload_responses(db, responses):
    import pyarrow as pa

    ids = list(responses)
    table = pa.table({
        "source": [responses[i][0] for i in ids], "source_response_id": ids,
        "responded_at": pa.array([responses[i][2] for i in ids], pa.timestamp("us", tz="UTC")),
        "customer_id": [responses[i][1] for i in ids], "metric": ["nps"] * len(ids),
        "value": [responses[i][3] for i in ids]})
    return store.apply(db, table)


def load_list(db, tmp_path, rows, name):
    text = "customer_id,invited_at,survey_tool,tier\n" + "".join(
        f"{c},{w.strftime('%Y-%m-%dT%H:%M:%SZ')},{LIST_SPELLING[s]},{t}\n" for s, c, w, t in rows)
    return invitations.load(db, MODEL, write(tmp_path, text, name))


def in_any_order(rates):
    """Rates with each dimension's values in a fixed order: a list loaded before any response of
    its survey keeps its own spelling of the source ('TYPEFORM' beside the responses' 'typeform'),
    two values of one sort key whose order the grouping leaves open."""
    return rates.overall, {dim: sorted(rows, key=lambda r: r.value) for dim, rows in rates.by.items()}, rates.dimensions


def assert_rates_as_the_asof_join_found(db, when):
    cur = db.cursor()
    for period in CHECKED_PERIODS:
        for window in CHECKED_WINDOWS:
            # The segment filters narrow what is counted, not what answers: checked in one case
            for view in CHECKED_VIEWS if (period, window) == (CHECKED_PERIODS[0], 30) else CHECKED_VIEWS[:1]:
                expected, expected_ids = asof_rates(cur, MODEL, view, period, window)
                got = invitations.rates(cur, MODEL, view, period, window_days=window)
                assert in_any_order(got) == in_any_order(expected), (when, period, window, view.filters)
            flagged = {i for (i,) in cur.execute(
                "SELECT invitation_id FROM invitations WHERE invited_at >= ? AND invited_at < ? "
                "AND first_response_at <= invited_at + to_microseconds(CAST(? * 86400e6 AS BIGINT))",
                [period.start, period.end, float(window)]).fetchall()}
            assert flagged == expected_ids, (when, period, window)


@pytest.mark.parametrize("seed", range(4))
def test_the_first_answer_kept_on_each_invitation_gives_the_asof_join_s_rates_after_every_write(tmp_path, seed):
    """Differential: randomized sources, customers with several invitations, responses before,
    between and after them and at the window's ends, untimed or without a customer; after every
    kind of write the rates (and which invitations count as answered) are those of the ASOF join
    the rates ran at query time before."""
    import random

    rng = random.Random(seed)
    customers = [f"C{i}" for i in range(7)]
    db = service.open_db(tmp_path / "cx.duckdb")
    first_list = random_invitations(rng, customers, 25)
    early = [r for r in first_list if rng.random() < 0.3]
    first_list = [r for r in first_list if r not in early]
    steps = []
    if early:  # a list loaded before any response of its survey
        steps.append(("a list before the responses", load_list(db, tmp_path, early, "early.csv").upload_id))
        assert_rates_as_the_asof_join_found(db, steps[-1][0])
    a = random_responses(rng, customers, first_list + early, 60, "A")
    upload_a = upload_responses(db, a)
    assert_rates_as_the_asof_join_found(db, "upload A")
    list_1 = load_list(db, tmp_path, first_list, "first.csv")
    assert_rates_as_the_asof_join_found(db, "list 1")
    # Upload B: new responses, and some of A's edited: another time, another customer (with another
    # answer: a customer id alone changing is kept as stored), another customer only
    b = random_responses(rng, customers, first_list, 25, "B")
    for rid in rng.sample(sorted(a), 20):
        src, cust, at, value = a[rid]
        change = rng.randrange(3)
        if change == 0:
            at = (at or T0) + rng.choice(AFTER[1:])
        elif change == 1:
            cust, value = rng.choice(customers + [None]), value + 1
        else:
            cust = rng.choice(customers)
        b[rid] = (src, cust, at, value)
    upload_b = upload_responses(db, b)
    assert upload_b.updated > 0
    assert_rates_as_the_asof_join_found(db, "upload B")
    # A second list: invitations between the first list's and their answers, and some of the first's again
    second_list = random_invitations(rng, customers, 20) + rng.sample(first_list, 5)
    second_list = list({(s, c, w): (s, c, w, t) for s, c, w, t in second_list}.values())
    list_2 = load_list(db, tmp_path, second_list, "second.csv")
    assert list_2.added > 0
    assert_rates_as_the_asof_join_found(db, "list 2")
    store.remove_upload(db, upload_b.upload_id)  # B's responses go, A's edited versions come back
    assert_rates_as_the_asof_join_found(db, "upload B removed")
    store.remove_upload(db, list_1.upload_id)  # its invitations the second list does not hold go
    assert_rates_as_the_asof_join_found(db, "list 1 removed")
    # Upload C brings some of A's responses again unchanged, and others: removing A hands those over
    c = {rid: a[rid] for rid in rng.sample(sorted(a), 15)} | random_responses(rng, customers, second_list, 15, "C")
    upload_c = upload_responses(db, c)
    assert_rates_as_the_asof_join_found(db, "upload C")
    store.remove_upload(db, upload_a.upload_id)
    assert_rates_as_the_asof_join_found(db, "upload A removed")
    for name, upload_id in steps + [("list 2", list_2.upload_id)]:
        store.remove_upload(db, upload_id)
        assert_rates_as_the_asof_join_found(db, f"{name} removed")
    assert invitations.holds(db.cursor()) == 0
    db.close()


def test_the_first_answer_follows_a_new_invitation_between_an_old_one_and_its_answer(tmp_path):
    """The cases the differential test draws at random, spelt out: (what is written, the first
    answer each invitation of customer A7 keeps then)."""
    db = service.open_db(tmp_path / "cx.duckdb")
    cur = db.cursor()

    def firsts():
        return cur.execute("SELECT invited_at::DATE::VARCHAR, first_response_at::DATE::VARCHAR FROM invitations "
                           "WHERE customer_id = 'A7' ORDER BY invited_at").fetchall()

    list_1 = load_list(db, tmp_path, [("qualtrics", "A7", T0, "VIP")], "one.csv")
    assert firsts() == [("2025-03-01", None)]
    answers = upload_responses(db, {"R1": ("qualtrics", "A7", T0 + timedelta(days=20), 9.0),
                                    "R2": ("qualtrics", "A7", T0 + timedelta(days=25), 9.0),
                                    "R3": ("qualtrics", None, T0 + timedelta(days=1), 9.0),
                                    "R4": ("qualtrics", "A7", None, 9.0),
                                    "R5": ("porsline", "A7", T0 + timedelta(days=2), 9.0)})
    assert firsts() == [("2025-03-01", "2025-03-21")]
    list_2 = load_list(db, tmp_path, [("qualtrics", "A7", T0 + timedelta(days=22), "VIP")], "two.csv")
    assert firsts() == [("2025-03-01", "2025-03-21"), ("2025-03-23", "2025-03-26")]
    edit = upload_responses(db, {"R1": ("qualtrics", "B1", T0 + timedelta(days=20), 10.0)})
    assert firsts() == [("2025-03-01", None), ("2025-03-23", "2025-03-26")]
    store.remove_upload(db, edit.upload_id)
    assert firsts() == [("2025-03-01", "2025-03-21"), ("2025-03-23", "2025-03-26")]
    store.remove_upload(db, list_2.upload_id)
    assert firsts() == [("2025-03-01", "2025-03-21")]
    store.remove_upload(db, answers.upload_id)
    assert firsts() == [("2025-03-01", None)]
    store.remove_upload(db, list_1.upload_id)
    assert firsts() == []
    db.close()
