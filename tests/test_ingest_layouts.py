"""Layout detection: which tool made an export, its header rows, column ids and matrices.

Detection must work for the *format*, so besides the sample files every layout is also
checked on a made-up export of another survey from the same tool.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pytest

from cxdata.ingest.layouts import dedupe_names, detect_layout, split_sub_question
from cxdata.ingest.mapping import fingerprint
from cxdata.ingest.read import RawTable, read_raw

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


def raw_from_rows(rows: list[list[str | None]]) -> RawTable:
    """A RawTable as the read layer would return it (strings, empty cell -> null)."""
    width = max((len(r) for r in rows), default=0)
    cols = {f"c{j}": pa.array([(r[j] if j < len(r) and r[j] != "" else None) for r in rows],
                              pa.string()) for j in range(width)}
    return RawTable(pa.table(cols), pa.array(range(1, len(rows) + 1), pa.int64()), "csv",
                    "utf-8", ",", None)


def raw_from_csv(text: str) -> RawTable:
    return raw_from_rows(list(csv.reader(io.StringIO(text))))


# file -> (layout, header rows, time zone the file declares, numeric codes, matrix columns)
SAMPLE_LAYOUTS = {
    "qualtrics_relationship.csv": ("qualtrics", 3, "Asia/Dubai", False, 7),
    "variants/qualtrics_relationship_numeric.csv": ("qualtrics", 3, "Asia/Dubai", True, 7),
    "variants/qualtrics_relationship_legacy_format.csv": ("qualtrics_legacy", 2, None, True, 7),
    "surveymonkey_relationship.xlsx": ("surveymonkey", 2, None, False, 7),
    "porsline_relationship.xlsx": ("porsline", 1, "Asia/Tehran", False, 7),
    "google_forms_transactional.csv": ("google_forms", 1, None, False, 0),
    "typeform_transactional.csv": ("typeform", 1, "UTC", False, 0),
    "zendesk_csat.csv": ("zendesk", 1, None, False, 0),
    "bg_partner_transactional_cp1251.csv": ("generic", 1, None, False, 0),
    "ar_ivr_transactional_cp1256.csv": ("generic", 1, None, False, 0),
    "transactional_canonical.parquet": ("canonical", 1, None, False, 0),
    "bad/qualtrics_duplicate_response_ids.csv": ("qualtrics", 3, "Asia/Dubai", False, 7),
    "bad/qualtrics_header_only.csv": ("qualtrics", 3, "Asia/Dubai", False, 7),
    "bad/header_only.csv": ("google_forms", 1, None, False, 0),
    "bad/duplicate_columns.csv": ("generic", 1, None, False, 0),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_LAYOUTS))
def test_sample_layouts(name):
    layout = detect_layout(read_raw(SAMPLES / name))
    expected = SAMPLE_LAYOUTS[name]
    got = (layout.name, layout.header_rows, layout.timezone, layout.numeric_codes,
           sum(1 for c in layout.columns if c.sub_label))
    assert got == expected
    assert len({c.key for c in layout.columns}) == len(layout.columns)


def test_matrix_sub_labels_and_ids_do_not_depend_on_position():
    layout = detect_layout(read_raw(SAMPLES / "qualtrics_relationship.csv"))
    subs = {c.key: c.sub_label for c in layout.columns if c.sub_label}
    assert subs == {"Q3_1": "Website", "Q3_2": "Mobile app", "Q3_3": "Store",
                    "Q3_5": "Call center", "Q3_6": "Live chat", "Q3_7": "Delivery",
                    "Q3_8": "Billing"}
    sm = detect_layout(read_raw(SAMPLES / "surveymonkey_relationship.xlsx"))
    assert [c.sub_label for c in sm.columns if c.sub_label][:2] == ["Website", "Mobile app"]
    assert all(c.question.startswith("How satisfied") for c in sm.columns if c.sub_label)


# Made-up exports of *other* surveys: the tool must still be recognised.
OTHER_SURVEYS = {
    "qualtrics": (
        'StartDate,EndDate,Status,RecordedDate,ResponseId,QID_a,Q10_2,Q10_4,Q11\n'
        'Start Date,End Date,Response Type,Recorded Date,Response ID,How would you rate us?,'
        'Rate each aspect - Price,Rate each aspect - Speed,Any comments?\n'
        '"{""ImportId"":""startDate"",""timeZone"":""Europe/Berlin""}","{""ImportId"":""endDate""}",'
        '"{""ImportId"":""status""}","{""ImportId"":""recordedDate"",""timeZone"":""Europe/Berlin""}",'
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID10_2""}",'
        '"{""ImportId"":""QID10_4""}","{""ImportId"":""QID11_TEXT""}"\n'
        '2025-01-01 10:00:00,2025-01-01 10:05:00,IP Address,2025-01-01 10:05:01,R_1,Good,'
        'Satisfied,Very satisfied,nice\n',
        ("qualtrics", 3, "Europe/Berlin", 2)),
    "qualtrics_legacy": (
        "V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q5,Q6_1,Q6_2\n"
        "ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,"
        "StartDate,EndDate,Finished,How likely to recommend?,Rate:-Speed,Rate:-Price\n"
        "R_9,Default Response Set,x,,,1.2.3.4,0,2025-01-01 10:00:00,2025-01-01 10:01:00,1,9,4,5\n",
        ("qualtrics_legacy", 2, None, 2)),
    "surveymonkey": (
        "Respondent ID,Collector ID,Start Date,End Date,Rate our app,Rate these,,,Comments\n"
        ",,,,Response,Speed,Design,Price,Open-Ended Response\n"
        "1,2,01/02/2025 10:00:00 AM,01/02/2025 10:05:00 AM,4,Good,Bad,Good,ok\n",
        ("surveymonkey", 2, None, 3)),
    # a trailing delimiter on every line: an empty last column is no matrix continuation
    "surveymonkey_trailing": (
        "Respondent ID,Collector ID,Start Date,End Date,Rate our app,Rate these,,,Comments,\n"
        ",,,,Response,Speed,Design,Price,Open-Ended Response,\n"
        "1,2,01/02/2025 10:00:00 AM,01/02/2025 10:05:00 AM,4,Good,Bad,Good,ok,\n",
        ("surveymonkey", 2, None, 3)),
    "surveymonkey_fr": (
        "Respondent ID,Collector ID,Start Date,End Date,Notez l'appli,Notez,,,Commentaires\n"
        ",,,,Réponse,Vitesse,Design,Prix,Réponse ouverte\n"
        "1,2,01/02/2025 10:00:00 AM,01/02/2025 10:05:00 AM,4,Bien,Mauvais,Bien,ok\n",
        ("surveymonkey", 2, None, 3)),
    "google_forms": (
        "Timestamp,Email address,How was your stay?,Rate the room [Cleanliness],"
        "Rate the room [Comfort]\n"
        "2025/03/04 9:15:02 AM GMT+1,a@b.c,5,4,3\n",
        ("google_forms", 1, None, 2)),
    "google_forms_us": (
        "Timestamp,Score,Name\n1/2/2025 9:15:02,9,x\n12/31/2025 23:59:59,3,y\n",
        ("google_forms", 1, None, 0)),
    "google_forms_fa": (
        "مهر زمانی,امتیاز\n۱۴۰۳/۰۱/۱۵ ۱۰:۰۰:۱۲,۹\n",
        ("google_forms", 1, None, 0)),
    # found by an audit: another Persian heading, and a 12-hour clock with its closing dot
    "google_forms_fa_12h": (
        "برچسب زمانی,امتیاز\n2025/01/10 3:06:17 ب.ظ. GMT+3:30,۹\n2025/01/11 9:06:17 ق.ظ. GMT+3:30,۷\n",
        ("google_forms", 1, None, 0)),
    "google_forms_es_12h": (
        "Marca temporal,Puntuación\n2025/01/29 7:08:49 a.\u00a0m. GMT+1,8\n",
        ("google_forms", 1, None, 0)),
    "typeform": (
        "#,What did you think?,Response Type,Start Date (UTC),Submit Date (UTC),Network ID\n"
        "abc123,Loved it,completed,2025-01-01 10:00:00,2025-01-01 10:01:00,n1\n",
        ("typeform", 1, "UTC", 0)),
    "zendesk": (
        "Ticket ID,Ticket solved - Timestamp,Satisfaction rating,Ticket group\n"
        "1,2025-01-01 10:00:00,Good,Billing\n",
        ("zendesk", 1, None, 0)),
    # found by an audit: Zendesk in German, read as a generic sheet, its team column unused
    "zendesk_de": (
        "Ticket-ID,Ticket gelöst - Zeitstempel,Zufriedenheitsbewertung des Tickets,Ticket-Gruppe\n"
        "1,2025-01-01 10:00:00,Gut,Billing\n",
        ("zendesk", 1, None, 0)),
    "porsline": (
        "شناسه پاسخ‌دهنده,زمان ثبت پاسخ,مدت پاسخگویی,کیفیت غذا چطور بود؟\n"
        "۱۲,۱۴۰۳/۰۱/۱۵ ۱۰:۰۰,۰۲:۱۰,خوب\n",
        ("porsline", 1, "Asia/Tehran", 0)),
    "canonical": (
        "source,source_response_id,responded_at,metric,value,value_text,region\n"
        "web,1,2025-01-01T10:00:00Z,csat,5,,Tehran\n",
        ("canonical", 1, None, 0)),
    "generic": (
        "id,date,score,comment\n1,2025-01-01,9,fine\n",
        ("generic", 1, None, 0)),
}


@pytest.mark.parametrize("tool", sorted(OTHER_SURVEYS))
def test_other_surveys_of_the_same_tools(tool):
    text, (name, header_rows, tz, matrix) = OTHER_SURVEYS[tool]
    layout = detect_layout(raw_from_csv(text))
    assert (layout.name, layout.header_rows, layout.timezone) == (name, header_rows, tz)
    assert sum(1 for c in layout.columns if c.sub_label) == matrix


@pytest.mark.parametrize("names, expected", [
    (["NPS", "NPS", "Comment", "Comment", "nps"], ["NPS", "NPS_2", "Comment", "Comment_2", "nps_3"]),
    (["a", "a_2", "a"], ["a", "a_2", "a_3"]),
    (["x", "y"], ["x", "y"]),
])
def test_dedupe_names_is_deterministic(names, expected):
    assert dedupe_names(names) == expected


@pytest.mark.parametrize("label, expected", [
    ("How satisfied are you? - Website", ("How satisfied are you?", "Website")),
    ("How satisfied are you?-Mobile app", ("How satisfied are you?", "Mobile app")),
    ("Rate the room [Comfort]", ("Rate the room", "Comfort")),
    ("در سه ماه گذشته چقدر راضی بوده‌اید؟ - وب‌سایت", ("در سه ماه گذشته چقدر راضی بوده‌اید؟", "وب‌سایت")),
    ("Overall, how satisfied are you?", None),
    ("Ticket solved - Timestamp", ("Ticket solved", "Timestamp")),
    # Alchemer writes the row first (found by an audit: one row of three loaded)
    ("Website:Please rate your satisfaction with each of the following.",
     ("Please rate your satisfaction with each of the following.", "Website")),
    ("Time: 10:30", None),
])
def test_split_sub_question(label, expected):
    assert split_sub_question(label) == expected


def test_an_alchemer_matrix_is_a_matrix_and_a_labelled_question_is_not():
    layout = detect_layout(raw_from_csv(
        "Response ID,Website:Please rate each of these.,Mobile app:Please rate each of these.,Q1: How easy was it?,"
        "Q2: How likely are you to recommend us?,NPS: Score,CSAT: Score\n1,Satisfied,Neutral,Easy,9,9,5\n"))
    stem = "Please rate each of these."
    assert [(c.question, c.sub_label) for c in layout.columns[1:]] == [
        (stem, "Website"), (stem, "Mobile app"), ("", ""), ("", ""), ("", ""), ("", "")]


def test_dash_in_a_single_header_is_not_a_matrix():
    layout = detect_layout(raw_from_csv("Ticket ID,Ticket created - Timestamp,Ticket solved - "
                                        "Timestamp,Satisfaction rating\n1,2025-01-01,2025-01-02,Good\n"))
    assert not any(c.sub_label for c in layout.columns)


def test_fingerprint_is_stable_across_reexports_and_row_counts():
    base = read_raw(SAMPLES / "qualtrics_relationship.csv")
    lay = detect_layout(base)
    fp = fingerprint(base, lay)
    fewer = RawTable(base.table.slice(0, 10), base.row_numbers.slice(0, 10), "csv", "utf-8",
                     ",", None)
    assert fingerprint(fewer, detect_layout(fewer)) == fp
    for other in ("bad/qualtrics_relationship_reexport.csv",
                  "bad/qualtrics_duplicate_response_ids.csv"):
        raw = read_raw(SAMPLES / other)
        assert fingerprint(raw, detect_layout(raw)) == fp
    numeric = read_raw(SAMPLES / "variants/qualtrics_relationship_numeric.csv")
    assert fingerprint(numeric, detect_layout(numeric)) != fp  # other value maps needed
    sm = read_raw(SAMPLES / "surveymonkey_relationship.xlsx")
    assert fingerprint(sm, detect_layout(sm)) != fp


def test_fingerprint_ignores_case_and_spacing_of_headers():
    a = raw_from_csv("Response ID,NPS,Comment\n1,9,x\n")
    b = raw_from_csv("response id , nps,COMMENT\n2,3,y\n3,4,z\n")
    assert fingerprint(a, detect_layout(a)) == fingerprint(b, detect_layout(b))


def test_empty_table_gives_an_empty_generic_layout():
    raw = RawTable(pa.table({}), pa.array([], pa.int64()), "csv", "utf-8", ",", None)
    layout = detect_layout(raw)
    assert layout.name == "generic" and layout.columns == ()


@pytest.mark.parametrize("rows, header_rows, names", [
    # found by an independent audit: a title in A1 above the header left every row unread
    ([["Customer survey - November 2026", None, None, None], ["Response ID", "Submitted", "NPS", "Store"],
      ["X0", "2026-11-01", "9", "Berlin"]], 2, ["Response ID", "Submitted", "NPS", "Store"]),
    ([["Customer survey", None, None], ["Q4 2026", None, None], ["id", "date", "nps"], ["1", "2026-11-01", "9"]],
     3, ["id", "date", "nps"]),
    # a header is a header, however many of its rows are blank below it
    ([["id", "date", "nps"], ["1", None, None], ["2", "2026-11-01", "9"]], 1, ["id", "date", "nps"]),
    ([["id", None], ["a", "b"]], 1, ["id"]),
])
def test_a_title_above_the_header_is_skipped(rows, header_rows, names):
    layout = detect_layout(raw_from_rows(rows))
    assert layout.name == "generic" and layout.header_rows == header_rows
    assert [c.label or c.key for c in layout.columns][:len(names)] == names


def test_a_title_above_the_header_is_not_part_of_the_surveys_fingerprint():
    """Found in review: the monthly title made each month's export a new survey, and a header
    with a 'Comment' column under a title was taken for a SurveyMonkey question row."""
    from cxdata.ingest.mapping import fingerprint

    def export(month, last):
        return raw_from_rows([[f"Customer survey - {month} 2026", None, None, None],
                              ["Response ID", "Date", "How satisfied were you? (1-5)", last], ["R1", "2026-11-03", "4", "ok"]])

    for last in ("Store", "Comment"):
        nov, dec = export("November", last), export("December", last)
        layout = detect_layout(nov)
        assert layout.name == "generic" and (layout.header_rows, layout.title_rows) == (2, 1)
        assert [c.label for c in layout.columns] == ["Response ID", "Date", "How satisfied were you? (1-5)", last]
        assert fingerprint(nov, layout) == fingerprint(dec, detect_layout(dec))


@pytest.mark.parametrize("text, header_rows, labels", [
    # a cell merged over three columns names a group; the row under it names each column
    ("Customer feedback - Q1 2025,,,,,\nDate,Customer ID,Satisfaction (1-5),,,Comments\n"
     ",,Website,Delivery,Billing,\n2025-01-02,ZC1,5,1,4,fine\n2025-01-03,ZC2,4,,2,\n", 3,
     ["Date", "Customer ID", "Satisfaction (1-5) - Website", "Satisfaction (1-5) - Delivery",
      "Satisfaction (1-5) - Billing", "Comments"]),
    # a header with a blank cell, and a first response filling it: one header row
    ("Date,Customer ID,NPS,,Comments\n2025-01-02,ZC1,9,x,fine\n2025-01-03,ZC2,7,y,\n", 1,
     ["Date", "Customer ID", "NPS", "", "Comments"]),
    # a partial response that answered only the columns under a blank header cell: numbers are
    # answers, not sub-labels
    ("Date,Satisfaction,,Comments\n,4,5,\n2025-01-03,3,2,ok\n", 1, ["Date", "Satisfaction", "", "Comments"]),
])
def test_a_sheets_grouped_two_row_header_is_read_as_one_label_per_column(text, header_rows, labels):
    layout = detect_layout(raw_from_csv(text))
    assert (layout.name, layout.header_rows) == ("generic", header_rows)
    assert [c.label for c in layout.columns] == labels
    if header_rows == 3:  # the group is a matrix: its rows are touchpoints through the model's aliases
        assert [c.sub_label for c in layout.columns[2:5]] == ["Website", "Delivery", "Billing"]
