"""Silent customers: invitation lists in, response rates out, against truth.json's figures for the
sample company's invitation list, and the loading rules (merge, rejections, removal)."""

from datetime import date, timedelta

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
