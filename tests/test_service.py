"""Use cases of cxdata.service that the CLI and the pages share."""

import csv
import io
import json

import pytest

from cxdata import pyramid, queries, service, store
from cxdata.view import ViewState
from tests.conftest import ZELVORA_MODEL

# A touchpoint and a team the model does not have; the label is also Markdown, which pages escape.
OUTSIDE = """Response ID,Date,Touchpoint,Team,CSAT,Comment
r1,2025-03-01,Call center,,5,fine
r2,2025-03-02,*Teleport*,,4,beam me
r3,2025-03-03,*Teleport*,Ghost crew,2,lost
r4,2025-03-04,Delivery,Ghost crew,3,ok
r5,2025-03-05,*Teleport*,,1,again
"""


def ingest_text(tmp_path, name: str, text: str):
    """(db, model, receipt) of a file with `text` ingested into a fresh database with the
    sample company's model."""
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    return db, model, service.ingest_file(db, model, src)


def load_outside(tmp_path):
    src = tmp_path / "outside.csv"
    src.write_text(OUTSIDE, encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    service.remember_model(db, ZELVORA_MODEL)
    return db, model, service.ingest_file(db, model, src)


def test_receipt_names_touchpoints_and_teams_the_model_does_not_have(tmp_path):
    db, _, receipt = load_outside(tmp_path)
    assert receipt["status"] == "loaded" and receipt["added"] == 5
    outside = [w for w in receipt["warnings"] if "the model does not have" in w]
    assert len(outside) == 3
    assert outside[0].startswith("Responses naming a touchpoint the model does not have: '*Teleport*' (3). They are "
                                 "stored, and totals such as the index include them, but no touchpoint tile counts them")
    # r3 names no touchpoint the model has: no tile of its touchpoint counts it either
    assert outside[1].startswith("Responses naming a team the model does not have, and no touchpoint it has: "
                                 "'Ghost crew' (1). They are stored, and totals such as the index include them, but no "
                                 "touchpoint or team tile counts them")
    assert outside[2].startswith("Responses naming a team the model does not have: 'Ghost crew' (1). They are stored, "
                                 "and their touchpoint's tile includes them, but no team tile counts them")
    db.close()


@pytest.mark.parametrize("touchpoints, alone, at_touchpoint", [
    # found with a Porsline export whose 'which unit helped you' column read as the team: the receipt said
    # their touchpoint's tile counted responses that named no touchpoint
    ([None, None, None], 3, 0),
    (["Call center", None, "chat"], 1, 2),
    (["Call center", "Delivery", "chat"], 0, 3),
    (["*Teleport*", None, "chat"], 2, 1),
])
def test_an_unknown_team_is_said_counted_at_its_touchpoint_only_where_it_has_one(touchpoints, alone, at_touchpoint,
                                                                                 zelvora_model):
    import pyarrow as pa

    table = pa.table({"source_response_id": ["a", "b", "c"], "touchpoint": pa.array(touchpoints, pa.string()),
                      "team": ["Ghost crew"] * 3})
    warnings = [w for w in service.outside_model(table, zelvora_model) if "naming a team" in w]
    said = {("alone" if "and no touchpoint it has" in w else "home"): w for w in warnings}
    assert len(said) == len(warnings)
    assert ("alone" in said and f"'Ghost crew' ({alone})" in said["alone"]) == bool(alone)
    assert ("home" in said and f"'Ghost crew' ({at_touchpoint})" in said["home"]
            and "their touchpoint's tile includes them" in said["home"]) == bool(at_touchpoint)


def test_known_names_give_no_warning(tmp_path, zelvora_model):
    import pyarrow as pa

    table = pa.table({"source_response_id": ["a", "b", "c"], "touchpoint": ["call_center", "Call center", None],
                      "team": [None, None, None]})
    assert service.outside_model(table, zelvora_model) == []


def test_responses_outside_the_model_are_counted_while_they_are_stored(tmp_path):
    db, model, receipt = load_outside(tmp_path)
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    assert sorted(cat.unmapped["touchpoint"].values()) == ["*Teleport*"]
    assert queries.outside_model(cur, cat) == {"touchpoint": (("*Teleport*", 3),), "team": (("Ghost crew", 2),)}
    # Removing the upload leaves the labels in the dictionary, but no responses behind them.
    store.remove_upload(db, receipt["upload_id"])
    cat = queries.catalog(cur, model)
    assert cat.unmapped["team"] and queries.outside_model(cur, cat) == {"touchpoint": (), "team": ()}
    db.close()


def test_names_are_listed_most_responses_first_up_to_a_limit():
    counts = [(f"n{i}", 20 - i) for i in range(service.NAMES_LISTED + 2)]
    text = service.named_counts(counts)
    assert text.startswith("'n0' (20), 'n1' (19)") and text.endswith(" and 2 more")
    # a right-to-left name is isolated, so that its count stays after it on the page
    assert service.named_counts([("فريق الدعم", 3), ("North", 2)]) == "'\u2067فريق الدعم\u2069' (3), 'North' (2)"


def test_receipt_names_teams_answered_at_another_touchpoint(tmp_path):
    db, _, receipt = ingest_text(tmp_path, "elsewhere.csv", "Response ID,Date,Touchpoint,Team,CSAT\n"
                                 "r1,2025-03-01,Call center,Call Center - North,5\n"
                                 "r2,2025-03-02,Store,Call Center - North,4\n"
                                 "r3,2025-03-03,Store,Call Center - North,2\n"
                                 "r4,2025-03-04,,Call Center - North,3\n")
    assert receipt["status"] == "loaded" and receipt["added"] == 4
    assert [w for w in receipt["warnings"] if "touchpoint the model does not give it" in w] == [
        "Responses naming a team at a touchpoint the model does not give it: 'Call Center - North at Store' (2). "
        "They count in that touchpoint's tile, but not in the team's."]
    db.close()


def test_receipt_says_where_an_unknown_touchpoint_with_a_known_team_counts(tmp_path):
    # Zendesk's channel as the touchpoint: a billing team's tickets arrive by Email or Web form.
    db, model, receipt = ingest_text(tmp_path, "channels.csv", "Response ID,Date,Touchpoint,Team,CSAT\n"
                                     "r1,2025-03-01,Email,Billing - Consumer,5\n"
                                     "r2,2025-03-02,Email,Billing - Consumer,4\n"
                                     "r3,2025-03-03,Web form,Billing - Consumer,2\n"
                                     "r4,2025-03-04,Email,,3\n")
    assert receipt["status"] == "loaded" and receipt["added"] == 4
    outside = [w for w in receipt["warnings"] if w.startswith("Responses naming a touchpoint")]
    assert outside == [
        "Responses naming a touchpoint the model does not have, and a team it has: 'Email' (2), 'Web form' (1). "
        "They count in their team's tile and at its touchpoint.",
        "Responses naming a touchpoint the model does not have: 'Email' (1). " + service.NOT_IN_TILES["touchpoint"]]
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    assert queries.outside_model(cur, cat) == {"touchpoint": (("Email", 1),), "team": ()}
    p = pyramid.build(cur, model, cat, ViewState(period="all", compare="none"))
    assert p.touchpoint("billing").kpi("csat_mean").current.n == 3
    assert p.team("billing_consumer").kpi("csat_mean").current.n == 3
    db.close()


def test_a_weekly_json_export_without_an_answered_field_goes_in_with_the_saved_mapping(tmp_path):
    import json

    week1 = [{"id": "r1", "submitted_at": "2025-08-04T07:54:08Z", "team": "Chat - Tier 1", "csat": 4, "ces": 6},
             {"id": "r2", "submitted_at": "2025-08-05T06:30:04Z", "team": "Chat - Tier 2", "csat": 2, "ces": 3}]
    week2 = [{"id": "r3", "submitted_at": "2025-08-11T09:00:00Z", "team": "Chat - Tier 1", "csat": 5}]
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    receipts = []
    for name, rows in (("week1.json", week1), ("week2.json", week2)):
        (tmp_path / name).write_text(json.dumps(rows), encoding="utf-8")
        receipts.append(service.ingest_file(db, model, tmp_path / name))
    assert [r["status"] for r in receipts] == ["loaded", "loaded"]
    assert [r["mapping"] for r in receipts] == ["suggested", "saved"]
    assert receipts[1]["added"] == 1 and receipts[1]["source"] == receipts[0]["source"]
    db.close()


def test_a_canonical_file_stores_segment_values_as_the_model_names_them(tmp_path):
    """Found by an audit: the canonical format skipped the model's segment aliases, so 'طهران'
    stayed beside 'Tehran' and a region filter counted a quarter of the answers."""
    db, model, receipt = ingest_text(tmp_path, "long.csv",
                                     "source,source_response_id,responded_at,touchpoint,metric,value,region,tier\n"
                                     "s,1,2025-03-01T10:00:00Z,call_center,csat,5,Tehran,Consumer\n"
                                     "s,2,2025-03-02T10:00:00Z,call_center,csat,4,طهران,أفراد\n"
                                     "s,3,2025-03-03T10:00:00Z,call_center,csat,3,tehran,consumer\n"
                                     "s,4,2025-03-04T10:00:00Z,call_center,csat,2,تهران,SMB\n")
    assert receipt["status"] == "loaded" and receipt["layout"] == "canonical" and receipt["added"] == 4
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    assert sorted(cat.segments["region"]) == ["Tehran"]
    assert sorted(cat.segments["tier"]) == ["Consumer", "SMB"]
    view = ViewState(period="all", compare="none").with_filters({"region": ["Tehran"], "tier": ["Consumer"]})
    assert pyramid.build(cur, model, cat, view).touchpoint("call_center").kpi("csat_mean").current.n == 3
    db.close()


def test_exports_in_several_languages_fill_the_same_segment_values(tmp_path):
    """The model's segment aliases: an Arabic, a Bulgarian and a Persian export, none with a
    saved mapping, store their regions and tiers as the model names them."""
    import shutil

    from tests.conftest import SAMPLES

    model_path = tmp_path / "model.yaml"  # without the example's saved mappings beside it
    shutil.copy(ZELVORA_MODEL, model_path)
    db = service.open_db(tmp_path / "cx.duckdb")
    service.remember_model(db, model_path)
    model = service.load_model_for(db)
    for name in ("ar_ivr_transactional_cp1256.csv", "bg_partner_transactional_cp1251.csv", "porsline_relationship.xlsx"):
        receipt = service.ingest_file(db, model, SAMPLES / name)
        assert receipt["status"] == "loaded", receipt
        # and the example model names their teams in Arabic and Bulgarian too
        assert not [w for w in receipt["warnings"] if "the model does not have" in w], name
    cat = queries.catalog(db.cursor(), model)
    assert cat.segment_values("tier", model) == ["Consumer", "SMB", "Enterprise", "VIP"]
    assert sorted(cat.segment_values("region", model)) == ["Dubai", "Isfahan", "Mashhad", "Plovdiv", "Sofia", "Tehran"]
    db.close()


def _ingest_texts(tmp_path, *texts):
    """Each text as one upload into one database: their receipts."""
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    receipts = []
    for i, text in enumerate(texts):
        src = tmp_path / f"export{i}.csv"
        src.write_text(text, encoding="utf-8")
        receipts.append(service.ingest_file(db, model, src))
    count = db.cursor().execute("SELECT count(*) FROM responses").fetchall()[0][0]
    db.close()
    return receipts, count


def test_rows_alike_without_an_id_are_responses_of_their_own(tmp_path):
    """Found by an independent audit: without an id column, two customers who answered the same
    on the same day were one response, the other dropped as its duplicate."""
    text = ("Date,How likely are you to recommend us?,City\n2026-11-01,9,London\n2026-11-01,9,London\n"
            "2026-11-01,0,London\n2026-11-02,9,London\n2026-11-02,9,London\n2026-11-02,10,Paris\n")
    (first, again), count = _ingest_texts(tmp_path, text, text)
    assert first["status"] == "loaded" and first["added"] == 6 and not first["duplicates"]
    assert (again["added"], again["unchanged"]) == (0, 6) and count == 6


def test_a_corrected_answer_in_a_later_export_without_ids_updates_the_response(tmp_path):
    """Found by an independent audit: Google Forms has no response id; an answer corrected in the
    responses sheet (same timestamp) made a second response, and a renamed city six more."""
    head = "Timestamp,How likely are you to recommend us to a friend?,Which city are you in?\n"
    rows = [f"2026-11-{d:02d} 14:{d:02d}:09,{d % 11},London\n" for d in range(13, 19)]
    corrected = [rows[0].replace(",2,", ",9,")] + rows[1:]
    renamed = [r.replace("London", "Greater London") for r in corrected]
    (_, fix, rename), count = _ingest_texts(tmp_path, head + "".join(rows), head + "".join(corrected),
                                            head + "".join(renamed))
    assert (fix["added"], fix["updated"], fix["unchanged"]) == (0, 1, 5)
    assert (rename["added"], rename["updated"]) == (0, 0) and count == 6


def test_the_day_month_order_an_export_settled_holds_for_the_next_one(tmp_path):
    """Found by an independent audit: 23/11/2026 settles day first; the next export of the same
    form, its dates all 01..09/12/2026, was recognised by its header and refused as ambiguous."""
    head = "Timestamp,How likely are you to recommend us to a friend?,Which city are you in?\n"
    nov = head + "".join(f"{day}/11/2026 10:00:00,{day % 11},London\n" for day in range(20, 29))
    dec = head + "".join(f"{day:02d}/12/2026 10:00:00,{day % 11},London\n" for day in range(1, 10))
    (first, second), count = _ingest_texts(tmp_path, nov, dec)
    assert first["status"] == second["status"] == "loaded" and second["mapping"] == "saved"
    assert second["added"] == 9 and count == 18
    db = service.open_db(tmp_path / "cx.duckdb", read_only=True)
    months = db.cursor().execute("SELECT DISTINCT month(responded_at) FROM responses ORDER BY 1").fetchall()
    db.close()
    assert months == [(11,), (12,)]


def test_a_dates_only_sheet_is_keyed_the_same_way_in_every_export(tmp_path):
    """Found in review: the first export's dates all differed and were taken for submission
    times; the next, with repeated dates, was keyed by its cells and its first rows added again."""
    head = "Date,How likely are you to recommend us to a friend?,City\n"
    first = "2026-11-01,9,London\n2026-11-02,7,London\n2026-11-03,3,Paris\n"
    later = first + "2026-11-01,10,Paris\n2026-11-02,9,London\n2026-11-03,8,London\n"
    (_, again), count = _ingest_texts(tmp_path, head + first, head + later)
    assert (again["added"], again["unchanged"]) == (3, 3) and count == 6


def test_mappings_saved_before_key_responses_without_ids_as_they_did(tmp_path):
    """A survey loaded by an earlier version (its saved mapping of version 1) keeps the ids it was
    stored under: the time and every cell, hashed; a new survey (version 2) is keyed by the time."""
    from dataclasses import replace

    import duckdb

    from cxdata.ingest import engine

    src = tmp_path / "form.csv"
    src.write_text("Timestamp,How likely are you to recommend us to a friend?,City\n"
                   "2026-11-13 14:13:09,9,London\n2026-11-14 09:01:44,3,Paris\n", encoding="utf-8")
    ins = engine.inspect(src)
    assert ins.mapping.version == 2
    old = engine.normalise(ins, replace(ins.mapping, version=1)).table
    new = engine.normalise(ins).table
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    expected = [r[0] for r in con.execute(
        "SELECT 'h-' || left(md5(concat_ws(chr(31), ts::VARCHAR, t, nps, city)), 16) FROM (VALUES "
        "(TIMESTAMPTZ '2026-11-13 14:13:09+00', '2026-11-13 14:13:09', '9', 'London'), "
        "(TIMESTAMPTZ '2026-11-14 09:01:44+00', '2026-11-14 09:01:44', '3', 'Paris')) v(ts, t, nps, city)").fetchall()]
    assert sorted(set(old["source_response_id"].to_pylist())) == sorted(expected)
    assert set(new["source_response_id"].to_pylist()).isdisjoint(expected)


def test_the_receipt_says_which_answers_no_tile_counts(tmp_path):
    """Found by an independent audit: a Google Forms export whose store column was mapped as a
    segment loaded 3,224 CSAT answers that no tile counted, under a green receipt."""
    text = ("Timestamp,Overall how satisfied are you? (1-5),Region\n"
            + "".join(f"2026-11-{d:02d} 10:0{d % 10}:00,{d % 5 + 1},North\n" for d in range(1, 11)))
    (receipt,), _ = _ingest_texts(tmp_path, text)
    assert receipt["added"] == 10
    assert any(w.startswith("Answers that name no touchpoint or team: 'Satisfaction (CSAT)' (10)")
               for w in receipt["warnings"])
    # answers at a touchpoint, or of the index's own measure, are counted: no such warning
    placed = "Timestamp,Touchpoint,How likely are you to recommend us to a friend?\n2026-11-01 10:00:00,Delivery,9\n"
    (tmp_path / "b").mkdir()
    (receipt,), _ = _ingest_texts(tmp_path / "b", placed)
    assert not any("name no touchpoint" in w for w in receipt["warnings"])


def test_a_header_of_another_width_than_its_rows_loses_no_response(tmp_path):
    """The rows carry one more field than the header names: the header was set aside as a problem
    row, the first response read as the header, and the receipt counted two responses of three."""
    text = ("Response ID,Date,How likely are you to recommend us?\nr1,2026-11-01,9,web\nr2,2026-11-02,3,app\n"
            "r3,2026-11-03,10,web\n")
    (receipt,), count = _ingest_texts(tmp_path, text)
    assert receipt["status"] == "loaded" and receipt["rows_read"] == 3 and receipt["added"] == 3
    assert not receipt["rejected"] and count == 3


def test_the_receipt_says_which_measures_no_kpi_uses():
    """Found by a new user's walk: a Zendesk export under the demo model stored its Good/Bad
    rating as 'csat_good', which no KPI of that model uses, under a green receipt and no word."""
    import pyarrow as pa

    from cxdata.model import load_model

    model = load_model(ZELVORA_MODEL)
    table = pa.table({"source_response_id": ["a", "a", "b", "c"], "touchpoint": ["Delivery"] * 4,
                      "team": [None] * 4, "metric": ["happiness", "comment", "happiness", "csat"],
                      "value": [4.0, None, 5.0, 5.0]})
    warnings = service.outside_model(table, model)
    assert warnings == [
        "Answers to a measure that no KPI of the model uses: 'happiness' (2). They are stored, and no tile "
        "shows them. If the question is one the model measures (ces, csat, csat_good, nps, resolved, tp_sat), give "
        "its column that measure in the mapping; otherwise ask whoever maintains the model (the Model page) for a "
        "KPI on it."]


def test_the_receipt_says_which_answers_come_from_a_source_the_model_does_not_count():
    """Found by an audit: a LimeSurvey NPS beside a relationship index that counts Qualtrics,
    SurveyMonkey and Porsline answers only: no tile showed it, and the receipt said nothing."""
    import pyarrow as pa

    from cxdata.model import load_model

    model = load_model(ZELVORA_MODEL)
    from datetime import datetime, timezone

    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    table = pa.table({"source_response_id": ["a", "b", "c"], "source": ["limesurvey"] * 3, "touchpoint": [None] * 3,
                      "team": [None] * 3, "metric": ["nps", "nps", "comment"], "value": [9.0, 3.0, None],
                      "responded_at": [at] * 3})
    warnings = service.outside_model(table, model)
    # In the user's words (found by a review: "add 'limesurvey' to the sources of the KPIs on nps in the
    # model" meant nothing to a non-technical user); the model's terms for the command line's JSON.
    assert warnings == [
        "These answers are stored, but no KPI of the pyramid counts them yet: Likelihood to recommend (nps) from "
        "'limesurvey' (2 responses). The KPI 'Relationship NPS' counts only the answers of the sources 'porsline', "
        "'qualtrics' and 'surveymonkey'. If these answers belong there, ask whoever maintains the model (the Model "
        "page) to add the source 'limesurvey' to the KPI 'Relationship NPS'."]
    assert service.not_counted_detail(table, model) == [
        {"measure": "nps", "source": "limesurvey", "responses": 2,
         "counted_sources": ["porsline", "qualtrics", "surveymonkey"], "kpis": ["nps"],
         "fix": "add 'limesurvey' to the sources: of the KPIs on nps in the model"}]
    assert service.counted_responses(table, model) == 0
    counted = table.set_column(1, "source", pa.array(["qualtrics"] * 3))
    assert service.outside_model(counted, model) == [] and service.counted_responses(counted, model) == 2


@pytest.mark.parametrize("touchpoint, metric, timed, counted", [
    ("Delivery", "csat", True, 1),   # a touchpoint's KPI
    (None, "csat", True, 0),         # a touchpoint's measure, given nowhere
    (None, "happiness", True, 0),    # a measure no KPI uses
    ("Kiosk", "csat", True, 0),      # a touchpoint the model does not have (found by a review)
    ("Delivery", "csat", False, 0),  # no answer time: in no period (found by a review)
])
def test_a_response_is_counted_where_some_tile_counts_one_of_its_answers(touchpoint, metric, timed, counted):
    from datetime import datetime, timezone

    import pyarrow as pa

    from cxdata.model import load_model

    at = datetime(2026, 11, 1, tzinfo=timezone.utc) if timed else None
    table = pa.table({"source_response_id": ["a", "a"], "source": ["zendesk"] * 2, "touchpoint": [touchpoint] * 2,
                      "team": [None, None], "metric": [metric, "comment"], "value": [4.0, None],
                      "responded_at": pa.array([at, at], pa.timestamp("us", tz="UTC"))})
    assert service.counted_responses(table, load_model(ZELVORA_MODEL)) == counted


def test_an_ingest_gives_the_memory_of_its_file_back_once_the_file_is_gone(tmp_path, monkeypatch):
    """Arrow's allocator keeps freed blocks for reuse: `ingest_file` hands them back to the system
    when none of the file's tables is referred to any more, loaded or refused alike."""
    import gc
    import weakref

    seen, released = [], []
    inspect = service.inspect_file

    def watched(*a, **kw):
        ins = inspect(*a, **kw)
        seen.append(weakref.ref(ins.raw.table))
        return ins

    def release():
        gc.collect()  # only to tell garbage from a live reference
        released.append(all(ref() is None for ref in seen))

    monkeypatch.setattr(service, "inspect_file", watched)
    monkeypatch.setattr(service, "release_memory", release)
    _, _, receipt = load_outside(tmp_path)
    assert receipt["status"] == "loaded" and released == [True]
    bad = tmp_path / "bad.csv"
    bad.write_text("Response ID,Date,CSAT\nr1,2025-03-01,5\n", encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    receipt = service.ingest_file(db, service.load_model_for(db), bad, encoding="no-such-codec")
    assert receipt["status"] == "refused" and released == [True, True]
    db.close()


def test_a_time_of_day_column_completes_the_date_and_is_never_the_key(tmp_path):
    """Found by an audit with a German sheet (Nr.; Datum; Uhrzeit): the time of day was taken for
    the response id and the row number for a score, so next week's 09:12 replaced this week's."""
    head = "sep=;\nNr.;Datum;Uhrzeit;Zufriedenheit (1-5);Kommentar\n"
    week1 = "".join(f"{i};0{i}.03.2025;09:1{i};{i % 5 + 1};gut {i}\n" for i in range(1, 6))
    week2 = "".join(f"{i};1{i}.03.2025;09:1{i};{(i + 2) % 5 + 1};nächste Woche {i}\n" for i in range(1, 6))
    (first, second), count = _ingest_texts(tmp_path, head + week1, head + week2)
    assert (first["added"], second["added"], second["updated"], count) == (5, 5, 0, 10)
    db = service.open_db(tmp_path / "cx.duckdb")
    times = db.cursor().execute("SELECT strftime(min(responded_at), '%Y-%m-%d %H:%M'), "
                                "strftime(max(responded_at), '%Y-%m-%d %H:%M') FROM responses").fetchall()[0]
    measures = sorted(r[0] for r in db.cursor().execute("SELECT label FROM labels WHERE dim = 'measure'").fetchall())
    db.close()
    assert times == ("2025-03-01 09:11", "2025-03-15 09:15") and measures == ["csat"]


def test_typeform_partial_responses_are_excluded_even_with_answers(tmp_path):
    """Found by an audit: a partial row that answered the NPS question before the respondent left
    was counted as a response (n 39 instead of 34)."""
    head = ("#,How likely are you to recommend us to a friend?,touchpoint,Response Type,Start Date (UTC),"
            "Stage Date (UTC),Submit Date (UTC),Network ID,Tags\n")
    rows = "".join(f"t{i},{i % 11},delivery,completed,2025-04-0{i % 9 + 1} 06:59:56,,2025-04-0{i % 9 + 1} 07:02:42,n{i},\n"
                   for i in range(12))
    rows += "".join(f"p{i},0,delivery,partial,2025-04-0{i + 1} 08:00:00,2025-04-0{i + 1} 08:01:00,,m{i},\n" for i in range(3))
    (receipt,), count = _ingest_texts(tmp_path, head + rows)
    assert receipt["layout"] == "typeform"
    assert (receipt["added"], receipt["excluded_count"], count) == (12, 3, 12)


# --------------------------------------------------------------------------- found by an audit of other exports
GF_STORE = ('"Timestamp","Which store did you visit?","How satisfied were you with your visit?",'
            '"How likely are you to recommend us?"\n'
            '"2025/04/01 9:15:02 AM GMT+4","Dubai Mall","5","10"\n"2025/04/01 11:40:10 AM GMT+4","Dubai Mall","4","9"\n')
GF_DELIVERY = ('"Timestamp","How satisfied were you with the delivery?","Was your order complete?","Any comments?"\n'
               '"2025/04/01 11:40:10 AM GMT+4","1","No","Late and damaged"\n')


def test_two_forms_without_ids_answered_in_the_same_second_stay_two_responses(tmp_path):
    """Two Google Forms, both suggested the source 'google_forms', keyed by their timestamps:
    the delivery answer given in the same second as a store visit's replaced it."""
    (store_r, delivery), count = _ingest_texts(tmp_path, GF_STORE, GF_DELIVERY)
    assert (store_r["source"], store_r["added"]) == ("google_forms", 2)
    assert (delivery["source"], delivery["added"], delivery["updated"]) == ("google_forms_2", 1, 0)
    assert any("Another survey" in w and "'google_forms_2'" in w for w in delivery["warnings"])
    assert count == 3


def test_the_same_form_with_a_question_added_keeps_its_source(tmp_path):
    grown = GF_STORE.replace('recommend us?"\n', 'recommend us?","Anything else?"\n').replace(
        '"10"\n', '"10","Great"\n').replace('"9"\n', '"9",""\n')
    (first, again), count = _ingest_texts(tmp_path, GF_STORE, grown)
    assert first["source"] == again["source"] == "google_forms"
    assert (again["added"], count) == (0, 2)


def test_a_file_whose_answers_no_column_holds_is_refused_and_changes_nothing(tmp_path):
    """A rating in words the app does not know: every row was 'no answers', under a green receipt."""
    text = "Ticket ID,Solved,Group,Bewertung\n1,2025-02-01,Chat,Sehr schön\n2,2025-02-02,Chat,Naja\n"
    db, model, receipt = ingest_text(tmp_path, "odd.csv", text)
    try:
        assert receipt["status"] == "refused" and receipt["code"] == "no_answers"
        assert receipt["error"].startswith("No column of this file is taken as an answer")
        assert db.cursor().execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0
    finally:
        db.close()


def test_responses_passed_to_a_later_upload_can_be_removed_with_it(tmp_path):
    """Found by an audit: after removing an export, its responses passed to the identical re-upload
    (listed as 'no change' and so not offered for removal): nothing could take them out again."""
    text = "Response ID,Date,How likely are you to recommend us?\n" + "".join(
        f"r{i},2025-03-{1 + i:02d},{i % 11}\n" for i in range(12))
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    try:
        for name in ("a.csv", "b.csv"):
            (tmp_path / name).write_text(text, encoding="utf-8")
            service.ingest_file(db, model, tmp_path / name)
        history = service.upload_history(db).set_index("upload_id")
        first, second = sorted(history.index)
        assert (history.loc[first, "holds"], history.loc[second, "holds"]) == (12, 0)
        store.remove_upload(db, int(first))
        assert service.upload_history(db).set_index("upload_id").loc[second, "holds"] == 12
        store.remove_upload(db, int(second))
        assert db.cursor().execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0
    finally:
        db.close()


def test_a_form_gets_its_tools_name_when_nothing_is_stored_under_it(tmp_path):
    """Found by an audit: the sample company's shipped Google Forms mapping, with nothing loaded
    under its name, made a first form 'google_forms_2', 'another survey was loaded' said."""
    (receipt,), count = _ingest_texts(tmp_path, GF_DELIVERY)
    assert receipt["source"] == "google_forms" and not any("Another survey" in w for w in receipt["warnings"])


def test_a_rating_that_feeds_a_measure_of_the_model_is_read_on_the_models_scale(tmp_path):
    # Found by an audit: a column headed 'csat' answered 3 to 7 was taken to run 1-7, and its 7
    # went into the model's 1-5 CSAT tiles.
    text = "response_id,date,touchpoint,csat\n" + "".join(
        f"H{i},2025-11-0{1 + i % 9} 10:00,store,{v}\n" for i, v in enumerate([5, 7, 4, 3, 6, 7]))
    src = tmp_path / "t.csv"
    src.write_text(text, encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    ins = service.inspect_file(db, model, src)
    assert ins.mapping.columns["csat"].scale == [1.0, 5.0]
    assert any("read on the model's scale, 1 to 5" in w for w in ins.warnings)
    assert not any("the scale is taken to be" in w for w in ins.warnings)
    receipt = service.apply_inspection(db, ins, file_name="t.csv", model=model)
    assert [why for _, why in receipt["rejected"]] == [f"no valid answer: csat '{v}' outside the scale 1-5" for v in (7, 6, 7)]
    assert sorted(v for (v,) in db.cursor().execute("SELECT value FROM answers").fetchall()) == [3.0, 4.0, 5.0]
    db.close()


def test_two_sessions_starting_a_fresh_server_load_the_demo_once(tmp_path):
    """(found by a new user's walk: two browser tabs on a fresh server listed every demo case twice)"""
    import threading

    from cxdata import service

    db = service.open_db(tmp_path / "cx.duckdb")
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(service.ensure_demo(db, 3000))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cur = db.cursor()
    assert sorted(loaded) == [False, True]
    assert cur.execute("SELECT count(*) FROM uploads").fetchall() == [(1,)]
    cases, distinct = cur.execute("SELECT count(*), count(DISTINCT (source_id, source_response_id)) FROM cases").fetchall()[0]
    assert cases == distinct > 0
    db.close()


def test_the_demo_keeps_its_comments_themes_so_the_first_view_searches_none(tmp_path):
    from cxdata import demo, service, themes
    from cxdata.view import ViewState

    db = service.open_db(tmp_path / "cx.duckdb")
    service.load_demo(db, 3000)
    cur = db.cursor()
    kept, comments = cur.execute("SELECT (SELECT count(*) FROM comment_themes), "
                                 "(SELECT count(*) FROM responses WHERE comment IS NOT NULL)").fetchall()[0]
    assert kept == comments > 0
    model = service.load_model(demo.demo_model_path())
    team = model.teams[0]
    themes.of_view(cur, model, queries.catalog(cur, model), ViewState(period="all"), level="team", node=team.key,
                   kpi=team.kpis[0], db=db)
    assert cur.execute("SELECT count(*) FROM comment_themes").fetchall() == [(kept,)]  # nothing left to find
    db.close()


NARROW = ZELVORA_MODEL.read_text(encoding="utf-8").replace(
    "csat:      {name: Satisfaction (CSAT), scale: [1, 5], top_box: 4}",
    "csat:      {name: Satisfaction (CSAT), scale: [1, 4], top_box: 3}").replace(
    "ces:       {name: Ease (CES), scale: [1, 7], top_box: 6}", "ces:       {name: Ease (CES), scale: [1, 5], top_box: 4}")


@pytest.mark.parametrize("name, text, why", [
    # the canonical long format: checked against the model's scale, not only the usual one
    ("long.csv", "source,source_response_id,responded_at,touchpoint,metric,value\n"
                 "s,a,2025-03-01T10:00:00Z,website,csat,4\ns,b,2025-03-01T10:00:00Z,website,csat,5\n"
                 "s,c,2025-03-01T10:00:00Z,website,ces,6\ns,d,2025-03-01T10:00:00Z,website,ces,5\n",
     ["csat '5' is not a whole number within 1-4", "ces '6' is not a whole number within 1-5"]),
    # a survey export's CSAT and CES columns (typed by their headers)
    ("wide.csv", "Response ID,Submitted,CSAT,CES\na,2025-03-01 10:00,4,5\nb,2025-03-01 10:00,5,\n"
                 "c,2025-03-01 10:00,,6\nd,2025-03-01 10:00,3,2\n",
     ["no valid answer: CSAT '5' outside the scale 1-4", "no valid answer: CES '6' outside the scale 1-5"]),
])
def test_answers_outside_the_models_scale_are_refused(tmp_path, name, text, why):
    assert "(CSAT), scale: [1, 4]" in NARROW and "Ease (CES), scale: [1, 5]" in NARROW
    model_file = tmp_path / "narrow.yaml"
    model_file.write_text(NARROW, encoding="utf-8")
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, model_file)
    receipt = service.ingest_file(db, model, src)
    assert receipt["status"] == "loaded" and receipt["added"] == 2, receipt
    assert [w for _, w in receipt["rejected"]] == why
    assert queries.outside_scale(db.cursor(), model) == []
    db.close()


def test_two_sessions_replacing_the_demo_at_once_both_go_through(tmp_path, monkeypatch):
    # Found by an audit: the second session's removal met an upload the first had just removed,
    # and its page said "Nothing was loaded" although its file was in.
    db = service.open_db(tmp_path / "cx.duckdb")
    service.load_demo(db, 2000)
    real = store.remove_upload

    def racing(db_, upload_id):
        real(db_, upload_id)  # the other session, first
        return real(db_, upload_id)

    monkeypatch.setattr(store, "remove_upload", racing)
    assert service.remove_demo(db) == 0
    assert not db.state().demo and db.holds(db.cursor())[0] == 0
    db.close()


def test_a_demo_load_under_way_is_known_to_other_sessions(tmp_path, monkeypatch):
    import threading

    db = service.open_db(tmp_path / "cx.duckdb")
    started, release = threading.Event(), threading.Event()
    real = service.load_demo

    def slow(db_, responses=None):
        started.set()
        release.wait(10)
        return real(db_, 1000)

    monkeypatch.setattr(service, "load_demo", slow)
    loader = threading.Thread(target=service.ensure_demo, args=(db,))
    loader.start()
    assert started.wait(10) and service.demo_loading()
    release.set()
    assert service.ensure_demo(db) is False  # waits for the load under way, and does not load again
    loader.join(10)
    assert not service.demo_loading() and db.state().demo
    db.close()


def test_a_measure_only_a_journey_reads_is_no_unused_measure_on_the_receipt():
    """Found in review: the receipt said a journey's own measure was shown in no tile."""
    import pyarrow as pa

    from cxdata.model import parse_model

    model = parse_model("""
measures: {csat: {scale: [1, 5], top_box: 4}, res: {scale: [0, 1]}}
index: {kpi: {stat: top_box, measure: csat}}
defaults: {touchpoint_kpis: [{key: csat, stat: top_box, measure: csat}]}
touchpoints: [{key: web, name: Website}, {key: app, name: App}]
journeys: [{key: buy, touchpoints: [web, app], kpis: [{key: res, stat: yes_rate, measure: res}]}]
""")
    table = pa.table({"source": ["s"] * 4, "source_response_id": ["1", "1", "2", "2"], "touchpoint": ["Website"] * 4,
                      "team": [None] * 4, "metric": ["csat", "res"] * 2, "value": [4.0, 1.0, 5.0, 0.0]})
    assert service._unused_measures(table, model) == []


@pytest.mark.parametrize("with_index", [False, True])
def test_an_id_two_sources_share_is_two_counted_responses(with_index):
    from datetime import datetime, timezone

    import pyarrow as pa

    from cxdata.model import load_model
    from cxdata.store import response_index

    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    table = pa.table({"source_response_id": ["7", "7", "7", "8"], "source": ["qualtrics", "surveymonkey", "qualtrics", "zendesk"],
                      "touchpoint": [None] * 4, "team": [None] * 4, "metric": ["nps", "nps", "comment", "happiness"],
                      "value": [9.0, 3.0, None, 4.0], "responded_at": pa.array([at] * 4, pa.timestamp("us", tz="UTC"))})
    if with_index:  # as the ingest engine hands it over
        table = table.append_column("rid", response_index(table["source"], table["source_response_id"]))
    assert service.counted_responses(table, load_model(ZELVORA_MODEL)) == 2


def _qualtrics(questions: dict[str, str], rows: list[list]) -> str:
    """A Qualtrics CSV export (three header rows) with `questions` {id: text} after its fields."""
    fields = ["StartDate", "EndDate", "Status", "RecordedDate", "ResponseId", "Finished"]
    labels = ["Start Date", "End Date", "Response Type", "Recorded Date", "Response ID", "Finished"]
    ids = [json.dumps({"ImportId": f}) for f in ("startDate", "endDate", "status", "recordedDate", "_recordId", "finished")]
    ids += [json.dumps({"ImportId": f"QID{i}"}) for i in range(1, len(questions) + 1)]
    head = [fields + list(questions), labels + list(questions.values()), ids]
    body = [[f"2025-05-0{1 + i % 9} 10:00:00"] * 2 + ["IP Address", f"2025-05-0{1 + i % 9} 10:05:00", f"R_{i}{tag}", "True", *answers]
            for i, (tag, *answers) in enumerate(rows)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(head + body)
    return out.getvalue()


RELATIONSHIP_Q = {"Q1": "How likely are you to recommend Zelvora to a friend or colleague?",
                  "Q3_1": "How satisfied are you with each of the following in the last 3 months? - Website",
                  "Q3_2": "How satisfied are you with each of the following in the last 3 months? - Store"}


def test_a_second_survey_of_the_same_tool_gets_a_source_of_its_own(tmp_path):
    """Found by an audit: a Qualtrics post-support survey, stored as 'qualtrics' beside the
    relationship survey, put its NPS into the index (which counts the sources by name): 13.2
    became -20.5, and the receipt said nothing."""
    relationship = _qualtrics(RELATIONSHIP_Q, [["a", 9, 4, 5], ["b", 10, 5, 4], ["c", 3, 2, 2]])
    support = _qualtrics({"Q1": "How satisfied were you with the support you received today?",
                          "Q2": "How likely is it that you would recommend us to a friend or colleague?"},
                         [["x", 1, 0], ["y", 2, 1]])
    (first, second), count = _ingest_texts(tmp_path, relationship, support)
    assert (first["layout"], first["source"], second["layout"], second["source"]) == \
        ("qualtrics", "qualtrics", "qualtrics", "qualtrics_2")
    assert any("Another survey" in w and "'qualtrics_2'" in w and "count only where the model names" in w
               for w in second["warnings"])
    assert any("ask whoever maintains the model (the Model page) to add the source 'qualtrics_2'" in w
               for w in second["warnings"])
    assert second["not_counted"][0]["source"] == "qualtrics_2"  # the model's terms, for a script
    assert count == 5


def test_the_same_survey_in_another_layout_of_its_tool_keeps_its_source(tmp_path):
    # Qualtrics' legacy layout writes a matrix row 'text?-Website' where the current one writes 'text? - Website'.
    legacy = {k: v.replace("? - ", "?-") for k, v in RELATIONSHIP_Q.items()}
    rows = [["a", 9, 4, 5], ["b", 10, 5, 4]]
    (first, again), count = _ingest_texts(tmp_path, _qualtrics(RELATIONSHIP_Q, rows), _qualtrics(legacy, rows))
    assert first["source"] == again["source"] == "qualtrics"
    assert (again["added"], count) == (0, 2)


@pytest.mark.parametrize("summary", [False, True])
def test_a_sheets_serial_dates_stay_its_answer_times_under_an_average_row(tmp_path, summary):
    """Found by an audit: dates in the General format (Excel serial day numbers) with an 'Average'
    row under the responses were read as a 1-5 rating, and every response lost its time."""
    from datetime import datetime, timedelta

    import xlsxwriter

    book = tmp_path / "tracker.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["Date", "Customer ID", "NPS", "Comment"])
    start = datetime(2025, 1, 2, 9)
    for i in range(40):
        t = start + timedelta(hours=7 * i)
        ws.write_number(i + 1, 0, (t - datetime(1899, 12, 30)).total_seconds() / 86400)
        ws.write_row(i + 1, 1, [f"ZC{1000 + i}", i % 11, "quick and kind" if i % 3 else ""])
    if summary:
        ws.write(42, 0, "Average")  # a blank row, then the sheet's own statistics
        ws.write_formula(42, 2, "=AVERAGE(C2:C41)", None, 4.75)
    wb.close()
    db = service.open_db(tmp_path / "cx.duckdb")
    try:
        receipt = service.ingest_file(db, service.load_model_for(db, ZELVORA_MODEL), book)
        assert (receipt["status"], receipt["added"], receipt["excluded_count"]) == ("loaded", 40, int(summary))
        assert not any("cannot be read" in w for w in receipt["warnings"]), receipt["warnings"]
        timed, first, last = db.cursor().execute(
            "SELECT count(responded_at), min(responded_at)::DATE::VARCHAR, max(responded_at)::DATE::VARCHAR FROM responses"
        ).fetchall()[0]
        assert (timed, first, last) == (40, "2025-01-02", "2025-01-13")
    finally:
        db.close()


def test_the_rows_a_receipt_lists_come_with_their_own_cells(tmp_path):
    """Found by a review: the rejected rows' CSV gave the line and the reason alone, so nobody could
    fix those rows and load them again. Rows the reader could not split come as written."""
    import pandas as pd

    from cxdata import export
    from cxdata.ingest.engine import inspect, normalise

    p = tmp_path / "sheet.csv"
    p.write_text("Response ID,Date,How likely are you to recommend us?,Comment\n"
                 "r1,2025-01-02 10:00,9,fine\n"
                 "r2,2025-01-02 11:00,lots,=HYPERLINK(\"http://x\")\n"  # not a score: not counted
                 "r3,2025-01-02 12:00,7,too,many\n"  # could not be read
                 "\n"
                 "r4,2025-01-02 13:00,8,ok\n", encoding="utf-8")
    ins = inspect(p)
    r = normalise(ins)
    listed = [(n, "rejected row", why) for n, why in r.rejects] + [(n, "skipped line", why) for n, why in r.skipped]
    listed += [(n, "value not counted", why) for n, _, _, why in r.invalid_values]  # r2's score, beside its comment
    header, cells = service.row_cells(ins, [n for n, *_ in listed])
    assert header == ["Response ID", "Date", "How likely are you to recommend us?", "Comment"]
    assert cells == {3: ["r2", "2025-01-02 11:00", "lots", '=HYPERLINK("http://x")'],
                     4: ["r3", "2025-01-02 12:00", "7", "too", "many"], 5: ["", "", "", ""]}
    table = service.with_cells(pd.DataFrame(listed, columns=["line in file", "what", "reason"]), (header, cells))
    assert list(table.columns)[:4] == ["line in file", "what", "reason", "Response ID"]
    assert list(table.columns)[-1] == "extra 1"
    text = export.to_csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text  # formula-guarded, as every export
    assert service.with_cells(table.iloc[:, :3], None).equals(table.iloc[:, :3])


def test_a_receipt_lists_what_its_updates_changed(tmp_path):
    """Found by a review: "Updated 3", and no word of which responses or how (NPS 9 -> 2)."""
    from tests.conftest import SAMPLES, TRUTH

    db = service.open_db(tmp_path / "cx.duckdb")
    try:
        model = service.load_model_for(db, ZELVORA_MODEL)
        first = service.ingest_file(db, model, SAMPLES / "qualtrics_relationship.csv")
        assert "updated_responses" not in first  # nothing updated: nothing read back
        again = service.ingest_file(db, model, SAMPLES / "bad/qualtrics_relationship_reexport.csv")
    finally:
        db.close()
    assert again["updated"] == 3
    want = set()
    for edit in TRUTH["bad_inputs"]["qualtrics_relationship_reexport.csv"]["edited_rows"]:
        for field, before in edit["before"].items():
            after = edit["after"][field]
            if before != after:
                show = (lambda v: None if v is None else f"{v:g}" if isinstance(v, float) else v)
                want.add(("qualtrics", edit["response_id"], field, show(before), show(after)))
    assert {tuple(r) for r in again["updated_responses"]} == want


# Comments in several scripts, as a team's UTF-8 export has them.
COMMENTS = {"r1": "שירות מצוין", "r2": "خیلی خوب بود 👍", "r3": "Много добре!", "r4": "great 😀 thanks", "r5": "plain text"}


def _export(comments: dict[str, str], csat: dict[str, int] | None = None) -> str:
    return "Response ID,Date,Touchpoint,CSAT,Comment\n" + "".join(
        f"{rid},2025-03-0{n + 1},Call center,{(csat or {}).get(rid, 5)},{text}\n" for n, (rid, text) in enumerate(comments.items()))


def test_an_export_re_saved_in_a_legacy_code_page_keeps_the_stored_comments(tmp_path):
    """Found by a review: the export opened in Excel and saved as 'CSV' (Windows-1256) wrote '?' for
    each character the code page lacks, and the merge overwrote the stored Hebrew, Persian,
    Bulgarian and emoji with them. An answer edited meanwhile still updates; a new response's
    comment is stored as it came, with a word of why."""
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    first, resaved = tmp_path / "export.csv", tmp_path / "export (Excel).csv"
    first.write_text(_export(COMMENTS), encoding="utf-8")
    resaved.write_bytes(_export({**COMMENTS, "r6": "לא טוב בכלל"}, csat={"r2": 2}).encode("cp1256", errors="replace"))
    try:
        assert service.ingest_file(db, model, first)["added"] == 5
        receipt = service.ingest_file(db, model, resaved)
        stored = dict(db.cursor().execute("SELECT source_response_id, comment FROM responses").fetchall())
    finally:
        db.close()
    assert receipt["encoding"] == "cp1256"
    assert (receipt["added"], receipt["updated"], receipt["unchanged"], receipt["comments_kept"]) == (1, 1, 4, 4)
    assert [tuple(r)[2:] for r in receipt["updated_responses"]] == [("csat at call_center", "5", "2")]
    assert stored == {**COMMENTS, "r6": "?? ??? ????"}
    assert "4 comments kept as stored: this file had lost some of their characters to its text encoding, " \
           "Windows-1256 (Arabic, Persian), which wrote '?' in their place." in receipt["warnings"]
    assert any(w.startswith("1 comment of this file has question marks where its letters should be") for w in receipt["warnings"])

# A team's export with its labels in Hebrew and Persian: (team, region, language) of each response.
LABELS = {"r1": ("צוות צפון", "מרכז", "עברית"), "r2": ("فروش تلفنی", "شیراز", "فارسی"), "r3": ("Team A", "North", "English")}


def _labelled(labels: dict[str, tuple[str, str, str]], csat: dict[str, int] | None = None) -> str:
    return "Response ID,Date,Touchpoint,Team,Region,Language,CSAT\n" + "".join(
        f"{rid},2025-03-0{n + 1},Call center,{team},{region},{language},{(csat or {}).get(rid, 5)}\n"
        for n, (rid, (team, region, language)) in enumerate(labels.items()))


@pytest.mark.parametrize("persian, encoding", [
    (True, "Windows-1256 (Arabic, Persian)"),  # its Persian letters tell the code page
    (False, None),  # Hebrew and English alone: all ASCII once saved, nothing tells it
])
def test_an_export_re_saved_in_a_legacy_code_page_keeps_the_stored_labels_and_rejects_new_ones(tmp_path, persian, encoding):
    """Found by a review: the export re-saved from Excel in Windows-1256 made each Hebrew team,
    region and language '?????', stored as a team or value of its own beside the right one. A
    stored response keeps its labels (and is unchanged); a new one is rejected, with the reason."""
    labels = LABELS if persian else {k: v for k, v in LABELS.items() if k != "r2"}
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    first, resaved = tmp_path / "export.csv", tmp_path / "export (Excel).csv"
    first.write_text(_labelled(labels), encoding="utf-8")
    resaved.write_bytes(_labelled({**labels, "r9": ("צוות צפון", "מרכז", "עברית")}, csat={"r1": 2})
                        .encode("cp1256", errors="replace"))
    try:
        before = service.ingest_file(db, model, first)
        receipt = service.ingest_file(db, model, resaved)
        cur = db.cursor()
        stored = cur.execute("""SELECT r.source_response_id, t.label, g.label, l.label FROM responses r
                                JOIN labels t ON t.dim = 'team' AND t.code = r.team
                                JOIN labels g ON g.dim = 'seg_region' AND g.code = r.seg_region
                                JOIN labels l ON l.dim = 'seg_language' AND l.code = r.seg_language""").fetchall()
        lost = cur.execute("SELECT count(*) FROM labels WHERE contains(label, '?')").fetchone()[0]
    finally:
        db.close()
    n = len(labels)
    assert (before["added"], receipt["added"], receipt["updated"], receipt["unchanged"]) == (n, 0, 1, n - 1)
    assert receipt["labels_kept"] == n - 1  # (an English one lost nothing)
    assert receipt["rows_read"] == receipt["added"] + receipt["updated"] + receipt["unchanged"] + receipt["rejected_count"]
    assert {r[0]: r[1:] for r in stored} == {rid: (team, region, "he" if language == "עברית" else "fa" if language == "فارسی"
                                                   else "en") for rid, (team, region, language) in labels.items()}
    assert lost == 0
    assert [tuple(r)[2:] for r in receipt["updated_responses"]] == [("csat at call_center", "5", "2")]
    on = f"the file's text encoding, {encoding}" if encoding else "a text encoding that cannot hold them"
    assert receipt["rejected"] == [(n + 2, f"Team '???? ????', Region '????', Language '?????': question marks where letters "
                                           f"were, lost to {on}. Loaded as they are, each would be a new value of their "
                                           "columns: load the file saved as CSV UTF-8.")]
    assert any(w.startswith("1 row not loaded (listed below): its 'Team', 'Region' and 'Language' have question marks "
                            "where letters were, such as '???? ????'") for w in receipt["warnings"])
    assert ("2 stored responses kept their" if persian else "1 stored response kept its") \
        + " 'Team', 'Region' and 'Language' as stored: this file had lost letters of them to " in " ".join(receipt["warnings"])
    assert not [w for w in receipt["warnings"] if "????" in w and "the model does not have" in w]


# --------------------------------------------------------------------------- found by a review of re-exports
GF_SAMPLE = "google_forms_transactional.csv"


def _zelvora_db(tmp_path):
    """A database under the sample company's model, with the mappings shipped beside it."""
    db = service.open_db(tmp_path / "cx.duckdb")
    service.remember_model(db, ZELVORA_MODEL)
    return db, service.load_model_for(db, ZELVORA_MODEL)


def _stored(db) -> tuple:
    """(responses, sources, responses with a team, answers) as stored."""
    return db.cursor().execute(
        "SELECT (SELECT count(*) FROM responses), (SELECT count(DISTINCT source_id) FROM responses), "
        "(SELECT count(*) FROM responses WHERE team IS NOT NULL), (SELECT count(*) FROM answers)").fetchall()[0]


def _gf_variant(tmp_path, name: str, change) -> "Path":
    from tests.conftest import SAMPLES
    from tests.test_ingest_recognise import rows_of, write

    return write(tmp_path / name, change(rows_of(SAMPLES / GF_SAMPLE)))


def _renamed(rows):
    """Five of the form's questions with their Persian header alone: a mapping of its own."""
    rows[0] = [h.split(" / ")[1] if 3 <= i < 8 else h for i, h in enumerate(rows[0])]
    return rows


def test_a_known_export_with_its_columns_in_another_order_is_no_new_survey(tmp_path):
    """Found by a review: 'Store QR (responses) - shuffled.csv' was loaded as a new source, each of its
    3,224 responses stored twice and every open case of Close the loop listed twice."""
    from tests.conftest import SAMPLES
    from tests.test_ingest_recognise import reordered

    db, model = _zelvora_db(tmp_path)
    try:
        first = service.ingest_file(db, model, SAMPLES / GF_SAMPLE)
        before = _stored(db)
        path = _gf_variant(tmp_path, "Store QR (responses) - shuffled.csv",
                           lambda rows: reordered(rows, [7, 3, 0, 10, 5, 1, 9, 2, 4, 8, 6]))
        again = service.ingest_file(db, model, path)
        assert (first["source"], again["source"], again["mapping"]) == ("google_forms", "google_forms", "saved")
        assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, first["added"])
        assert _stored(db) == before and not again["ids_stored_under"]
        # saved under this header too: the next such export is known by its fingerprint
        assert service.inspect_file(db, model, path).recognition.how == "same"
    finally:
        db.close()


def test_a_form_with_a_new_question_keeps_its_lookups_and_loads_the_question_once_confirmed(tmp_path):
    """Found by a review: a question added to the form, and its export read with a suggested mapping:
    "Updated 3,224 ... lost what they had: the touchpoint of 3,224, the team of 3,224", the store's
    CSAT tile and its teams' empty, the command line's exit 0."""
    from cxdata.ingest import engine
    from tests.conftest import SAMPLES
    from tests.test_ingest_recognise import NEW_QUESTION, with_column

    db, model = _zelvora_db(tmp_path)
    try:
        service.ingest_file(db, model, SAMPLES / GF_SAMPLE)
        before = _stored(db)
        path = _gf_variant(tmp_path, "gforms_new_question.csv",
                           lambda rows: with_column(rows, 6, NEW_QUESTION, lambda i: str(i % 5 + 1)))
        # unattended: the saved roles for the known columns, the new one left out and named
        unattended = service.ingest_file(db, model, path)
        assert (unattended["status"], unattended["mapping"], unattended["unchanged"]) == ("loaded", "extended", 3224)
        assert unattended["new_columns"] == [{"column": NEW_QUESTION, "loaded_as": "ignore",
                                              "suggested": "rating how_clean_was_the_store"}]
        assert any(w.startswith("Columns that the saved mapping of 'google_forms' does not know")
                   for w in unattended["warnings"])
        assert _stored(db) == before
        ins = service.inspect_file(db, model, path)
        assert ins.mapping_origin == "extended"  # not saved as known: still asked about
        # confirmed on the page: the new question is loaded, and nothing else changes
        confirmed = service.apply_inspection(db, ins, engine.proposed(ins), model=model)
        assert (confirmed["updated"], confirmed["new_columns"][0]["loaded_as"]) == (3224, "rating how_clean_was_the_store")
        assert not any("lost what they had" in w for w in confirmed["warnings"])
        responses, sources, teams, stored_answers = _stored(db)
        assert (responses, sources, teams) == before[:3] and stored_answers == before[3] + 3224
        assert service.inspect_file(db, model, path).mapping_origin == "saved"
    finally:
        db.close()


def test_a_load_that_would_take_from_stored_responses_what_they_have_is_refused_unless_allowed(tmp_path):
    from tests.conftest import SAMPLES

    db, model = _zelvora_db(tmp_path)
    try:
        service.ingest_file(db, model, SAMPLES / GF_SAMPLE)
        before = _stored(db)
        path = _gf_variant(tmp_path, "renamed.csv", _renamed)
        refused = service.ingest_file(db, model, path, source="google_forms")
        assert (refused["status"], refused["code"]) == ("refused", "losses")
        assert refused["losses"] == {"touchpoint": 3224, "team": 3224} and refused["updated"] == 3224
        assert "the touchpoint of 3,224, the team of 3,224" in refused["error"]
        assert _stored(db) == before  # nothing of it stored
        allowed = service.ingest_file(db, model, path, source="google_forms", allow_losses=True)
        assert allowed["status"] == "loaded" and allowed["updated"] == 3224
        assert any(w.startswith("Updated responses lost what they had: the touchpoint of 3,224, the team of 3,224")
                   for w in allowed["warnings"])
    finally:
        db.close()


def test_a_few_responses_losing_a_team_is_a_note_not_a_refusal(tmp_path):
    """A survey tool's re-export does take a team from a response or two (edited since): no question."""
    text = "Response ID,Date,Team,CSAT\n" + "".join(f"r{i},2025-03-{1 + i:02d},Chat - Tier 1,4\n" for i in range(20))
    edited = text.replace("r3,2025-03-04,Chat - Tier 1,4", "r3,2025-03-04,,4")
    (first, again), count = _ingest_texts(tmp_path, text, edited)
    assert (again["status"], again["updated"]) == ("loaded", 1)
    assert any(w.startswith("Updated responses lost what they had: the team of 1.") for w in again["warnings"])


def test_a_new_source_whose_response_ids_another_source_holds_is_said_on_the_receipt(tmp_path):
    from tests.conftest import SAMPLES

    db, model = _zelvora_db(tmp_path)
    try:
        service.ingest_file(db, model, SAMPLES / GF_SAMPLE)
        other = service.ingest_file(db, model, _gf_variant(tmp_path, "renamed.csv", _renamed))
        assert (other["source"], other["added"]) == ("google_forms_2", 3224)
        assert other["ids_stored_under"] == [{"source": "google_forms", "response_ids": 3224}]
        assert any(w.startswith(f"3,224 {service.SHARED_IDS} 'google_forms'") for w in other["warnings"])
        # said of a new source only: its next export updates its own responses
        again = service.ingest_file(db, model, _gf_variant(tmp_path, "renamed2.csv", _renamed))
        assert again["source"] == "google_forms_2" and not again["ids_stored_under"]
    finally:
        db.close()


def test_running_numbers_two_sheets_share_say_nothing_of_being_one_survey(tmp_path):
    sheet = "No,Date,How satisfied are you? (1-5)\n" + "".join(f"{i},2025-03-{i:02d} 10:00,4\n" for i in range(1, 21))
    (_, second), _ = _ingest_texts(tmp_path, sheet, sheet.replace("(1-5)", "(1-5) ").replace("No,", "Nr,"))
    assert not second.get("ids_stored_under")


def test_a_readable_source_name_is_stored_as_its_identifier(tmp_path):
    from cxdata.ingest.mapping import source_name

    assert [source_name(s) for s in ("Google Forms", " store_qr ", "Store QR (2026)", "نظرسنجی")] == \
        ["google_forms", "store_qr", "store_qr_2026", "نظرسنجی"]
    db, model = _zelvora_db(tmp_path)
    try:
        src = tmp_path / "f.csv"
        src.write_text(OUTSIDE, encoding="utf-8")
        assert service.ingest_file(db, model, src, source="Post-visit Survey")["source"] == "post_visit_survey"
        refused = service.ingest_file(db, model, src, source="نظرسنجی")
        assert refused["status"] == "refused" and "source 'نظرسنجی' must be lower-case letters" in refused["error"]
    finally:
        db.close()


POOLED = ZELVORA_MODEL.read_text(encoding="utf-8").replace(", sources: [qualtrics, surveymonkey, porsline]}", "}", 1)
JOINS = ("This file's {n} to Likelihood to recommend (nps) from '{source}' count in the Zelvora CX index, beside the "
         "other surveys' answers: the model's index counts every survey that asks its question. If this survey should "
         "not count there, ask whoever maintains the model (the Model page) to name the surveys the index counts.")


def _long(source: str, *rows: tuple[str, str, str]) -> str:
    """A canonical long file of `source`: rows of (response id, measure, value)."""
    return "source,source_response_id,responded_at,touchpoint,metric,value\n" + "".join(
        f"{source},{rid},2026-11-01T10:00:00Z,Delivery,{metric},{value}\n" for rid, metric, value in rows)


@pytest.mark.parametrize("pooled, files, joined", [
    # the first survey makes the index: nothing to tell; a second one joins it, its next export not again
    (True, [_long("rel", ("a", "nps", 9)), _long("tx", ("x", "nps", 3), ("y", "nps", 10), ("y", "csat", 4)),
            _long("tx", ("z", "nps", 0))], [[], [JOINS.format(n="2 answers", source="tx")], []]),
    # a survey stored before without the question joins the index when it starts asking it
    (True, [_long("rel", ("a", "nps", 9)), _long("tx", ("x", "csat", 4)), _long("tx", ("w", "nps", 6))],
     [[], [], [JOINS.format(n="1 answer", source="tx")]]),
    # an index that names its surveys counts none of another's (the receipt says so in other words)
    (False, [_long("qualtrics", ("a", "nps", 9)), _long("tx", ("x", "nps", 3))], [[], []]),
])
def test_the_receipt_says_when_a_new_surveys_answers_join_an_index_of_every_survey(tmp_path, pooled, files, joined):
    assert POOLED != ZELVORA_MODEL.read_text(encoding="utf-8")
    model_file = tmp_path / "model.yaml"
    model_file.write_text(POOLED if pooled else ZELVORA_MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, model_file)
    got = []
    for i, text in enumerate(files):
        src = tmp_path / f"long{i}.csv"
        src.write_text(text, encoding="utf-8")
        receipt = service.ingest_file(db, model, src)
        assert receipt["status"] == "loaded", receipt
        got.append([w for w in receipt["warnings"] if w.startswith("This file's")])
    assert got == joined
    db.close()


def test_a_transactional_nps_uploaded_beside_the_demo_leaves_its_index_as_it_was(tmp_path):
    """Found by a review: the demo's index, the relationship survey's NPS, took in the NPS answers of
    a transactional export loaded beside it (all time +28.3 of 3,019 became +17.8 of 5,568) and the
    receipt said nothing."""
    from tests.conftest import SAMPLES

    db = service.open_db(tmp_path / "cx.duckdb")
    service.load_demo(db, 3000)
    model = service.load_model_for(db)
    view = ViewState(period="all")

    def index():
        cur = db.cursor()
        k = pyramid.build(cur, model, queries.catalog(cur, model), view).index.kpis[0]
        return k.current.value, k.current.n

    before = index()
    assert before[1] > 0
    receipt = service.ingest_file(db, model, SAMPLES / "typeform_transactional.csv")
    assert receipt["status"] == "loaded" and receipt["added"] == 3640, receipt
    assert index() == before
    assert any(w.startswith("These answers are stored, but no KPI of the pyramid counts them yet: Likelihood to "
                            "recommend (nps) from 'typeform' (2,549 responses). The KPI 'NPS' counts only the answers "
                            "of the sources 'relationship_survey'.") for w in receipt["warnings"]), receipt["warnings"]
    db.close()
