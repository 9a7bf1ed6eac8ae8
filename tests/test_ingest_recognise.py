"""A known survey's next export recognised by its columns, not the bytes of its header
(cxdata.ingest.recognise): columns in another order, a question added or taken off, another
separator, encoding or spelling of its Persian letters. The variants are made here from the
sample exports, as a survey tool or a spreadsheet would write them."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from cxdata.ingest.engine import inspect, load_mappings, normalise, proposed
from cxdata.ingest.mapping import Mapping
from cxdata.ingest.read import read_raw
from tests.conftest import ALIASES, MAPPINGS, SAMPLES

SAVED = load_mappings(MAPPINGS)
NEW_QUESTION = "How clean was the store? / فروشگاه چقدر تمیز بود؟"


def rows_of(path: Path) -> list[list[str]]:
    """Every record of a sample export as text, its header first."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))
    raw = read_raw(path)
    return [["" if v is None else str(v) for v in r.values()] for r in raw.table.to_pylist()]


def write(path: Path, rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=sep, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return path


def reordered(rows: list[list[str]], order: list[int]) -> list[list[str]]:
    return [[r[i] if i < len(r) else "" for i in order] for r in rows]


def with_column(rows: list[list[str]], at: int, header: str, values) -> list[list[str]]:
    return [r[:at] + [header if i == 0 else values(i)] + r[at:] for i, r in enumerate(rows)]


def answers(table: pa.Table) -> set[tuple]:
    """What a load stores of each answer, in no order."""
    cols = [c for c in ("source", "source_response_id", "responded_at", "touchpoint", "team", "agent_name",
                        "metric", "value", "value_text", "region", "store", "language") if c in table.column_names]
    return set(zip(*(table[c].to_pylist() for c in cols)))


def inspected(path: Path, saved=SAVED, **kw):
    return inspect(path, saved_mappings=saved, touchpoint_aliases=ALIASES, **kw)


@pytest.fixture(scope="module")
def originals():
    """The stored answers of each sample export read with its saved mapping."""
    cache: dict[str, set] = {}

    def of(name: str) -> set:
        if name not in cache:
            ins = inspected(SAMPLES / name)
            assert ins.mapping_origin == "saved"
            cache[name] = answers(normalise(ins).table)
        return cache[name]

    return of


@pytest.mark.parametrize("name, sep, encoding", [
    ("google_forms_transactional.csv", ",", "utf-8"),  # its 'Timestamp' no longer first: a plain sheet
    ("zendesk_csat.csv", ";", "utf-8"),  # found by a review: its Europe/London times read as UTC
    ("typeform_transactional.csv", "\t", "utf-16"),
])
def test_an_export_with_its_columns_in_another_order_is_its_surveys(tmp_path, originals, name, sep, encoding):
    """Found by a review: a Google Form's responses with the columns dragged into another order were
    a new survey, every response stored twice under a source named after the file."""
    rows = rows_of(SAMPLES / name)
    order = list(reversed(range(len(rows[0]))))
    path = write(tmp_path / f"Store QR (responses) - {name}", reordered(rows, order), sep=sep, encoding=encoding)
    ins = inspected(path)
    saved = next(m for m in SAVED if m.source == ins.mapping.source)
    assert ins.mapping_origin == "saved" and ins.recognition.how == "reordered"
    assert ins.warnings[0].endswith("(the same columns, in another order).")
    # its roles, value maps, lookups, time zone and exclusions, all of them
    assert ins.mapping.columns == saved.columns and ins.mapping.exclude == saved.exclude
    assert (ins.mapping.timezone, ins.mapping.constants) == (saved.timezone, saved.constants)
    assert ins.mapping.fingerprint == ins.fingerprint != saved.fingerprint  # saved under this header on loading
    assert answers(normalise(ins).table) == originals(name)


def test_a_form_with_a_new_question_keeps_its_saved_roles_and_asks_only_about_it(tmp_path, originals):
    """Found by a review: one question added to a Google Form, and its export was loaded with a
    suggested mapping, every stored response losing its team and touchpoint."""
    rows = rows_of(SAMPLES / "google_forms_transactional.csv")
    path = write(tmp_path / "gforms_new_question.csv", with_column(rows, 6, NEW_QUESTION, lambda i: str(i % 5 + 1)))
    ins = inspected(path)
    saved = next(m for m in SAVED if m.source == "google_forms")
    assert ins.mapping_origin == "extended" and ins.new_columns == (NEW_QUESTION,)
    assert ins.recognition.source == "google_forms" and not ins.recognition.missing
    # Unattended (the command line), the known columns are read as saved and the new one is not read...
    assert ins.mapping.columns == saved.columns and ins.mapping.timezone == "Asia/Tehran"
    assert answers(normalise(ins).table) == originals("google_forms_transactional.csv")
    assert any(w.startswith("Columns that the saved mapping of 'google_forms' does not know: "
                            f"'{NEW_QUESTION}' (suggested: rating 'how_clean_was_the_store')") for w in ins.warnings)
    # ...and the page offers what it suggests for the new one alone.
    offered = proposed(ins)
    assert {k: v for k, v in offered.columns.items() if k != NEW_QUESTION} == saved.columns
    assert (offered.columns[NEW_QUESTION].role, offered.columns[NEW_QUESTION].measure) == ("rating", "how_clean_was_the_store")
    table = normalise(ins, offered).table
    new = [m == "how_clean_was_the_store" for m in table["metric"].to_pylist()]
    assert sum(new) == len(rows) - 1
    assert answers(table.filter(pa.array([not n for n in new]))) == originals("google_forms_transactional.csv")


def test_a_new_question_that_asks_what_a_known_one_measures_gets_a_measure_of_its_own(tmp_path):
    """The suggestion for a new column is made for the file alone: it may give a measure that a
    known column already gives (here one the user mapped by hand), which no mapping may have twice."""
    rows = [["id", "Date", "Score", "Comments"]] + [[f"r{i}", f"2025-11-{i:02d} 10:00", str(i % 5 + 1), "ok"]
                                                    for i in range(1, 25)]
    first = inspected(write(tmp_path / "w45.csv", rows), saved=[])
    saved = first.mapping
    saved.columns["Score"] = type(saved.columns["Score"])("csat", "Score")
    header = "How satisfied were you with the delivery?"
    ins = inspected(write(tmp_path / "w46.csv", with_column(rows, 3, header, lambda i: str(i % 5 + 1))), saved=[saved])
    assert ins.new_columns == (header,) and ins.suggested.columns[header].role == "csat"
    offered = proposed(ins)
    offered.validate()  # two columns of one measure would be refused
    assert (offered.columns[header].role, offered.measure_of(header)) == ("csat", "how_satisfied_were_you_with_the_delivery")
    assert offered.measure_of("Score") == "csat"


@pytest.mark.parametrize("drop, recognised", [
    (["Customer number (optional) / شماره مشتری (اختیاری)"], True),  # a question taken off the form
    (["Customer number (optional) / شماره مشتری (اختیاری)", "Preferred language / زبان"], False),
    (["Visit code"], False),  # its response id: its responses could not be matched to the stored ones
])
def test_an_export_without_a_few_of_its_columns_is_its_surveys_while_its_key_is_there(tmp_path, drop, recognised):
    rows = rows_of(SAMPLES / "google_forms_transactional.csv")
    keep = [i for i, h in enumerate(rows[0]) if h not in drop]
    ins = inspected(write(tmp_path / "fewer.csv", reordered(rows, keep)))
    assert (ins.mapping_origin == "saved") == recognised
    if recognised:
        assert ins.recognition.missing == tuple(drop)
        assert any(f"Column '{drop[0]}' of the mapping is not in this file" in w for w in normalise(ins).warnings)


_ARABIC = str.maketrans({"ی": "ي", "ک": "ك", "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6",
                         "۷": "7", "۸": "8", "۹": "9"})


def _win1256(text: str) -> str:
    """Text as a Windows-1256 file keeps it: Arabic Yeh and Kaf, ASCII digits, '?' for an emoji."""
    return text.translate(_ARABIC).encode("cp1256", "replace").decode("cp1256")


def test_a_persian_export_saved_in_windows_1256_with_arabic_letters_keeps_every_question(tmp_path, originals):
    """Found by a review: Porsline's sheet saved as a Windows-1256 CSV, whose ی and ک are Arabic ي
    and ك: "Recognised this export", and yet every question with either letter read as 'ignore',
    and nothing loaded. Its headers are found as the engine finds answer labels (_text.key)."""
    rows = rows_of(SAMPLES / "porsline_relationship.xlsx")
    rows = [[_win1256(c) for c in r] for r in rows]
    # a half-space written as a space in some headers (a spreadsheet's find-and-replace)
    rows[0] = [h.replace("\u200c", " ") if i % 2 else h for i, h in enumerate(rows[0])]
    path = write(tmp_path / "porsline_win1256.csv", rows, encoding="cp1256")
    ins = inspected(path)
    saved = next(m for m in SAVED if m.source == "porsline")
    assert ins.encoding == "cp1256" and ins.mapping_origin == "saved"
    assert sorted(s.role for s in ins.mapping.columns.values()) == sorted(s.role for s in saved.columns.values())
    assert set(ins.mapping.columns) == {c.key for c in ins.layout.columns}  # keyed by this file's headers
    # the workbook's answers, as Windows-1256 writes their text
    assert answers(normalise(ins).table) == {tuple(_win1256(v) if isinstance(v, str) else v for v in r)
                                             for r in originals("porsline_relationship.xlsx")}


def test_a_numeric_values_export_is_not_taken_for_the_choice_text_mapping_of_its_columns():
    text = next(m for m in SAVED if m.source == "qualtrics" and m.layout == "qualtrics" and m.fingerprint.startswith("qualtrics:")
                and any(s.value_map and "Very satisfied" in s.value_map for s in m.columns.values()))
    ins = inspected(SAMPLES / "variants" / "qualtrics_relationship_numeric.csv", saved=[text])
    assert ins.layout.numeric_codes and ins.mapping_origin == "suggested"
    # ...and a mapping that says which answers it reads is found by them
    codes = Mapping.from_dict({**text.to_dict(), "numeric_codes": True, "fingerprint": "qualtrics:other"})
    assert inspected(SAMPLES / "variants" / "qualtrics_relationship_numeric.csv", saved=[codes]).mapping_origin == "saved"


def test_home_made_sheets_sharing_a_few_headers_are_not_one_survey(tmp_path):
    first = write(tmp_path / "our_feedback_nov.csv", [["Date", "Store", "Satisfaction (1-5)", "Would you recommend us (0-10)",
                                                      "Comments"], ["2025-11-03 10:00", "Store", "4", "9", "ok"]])
    other = write(tmp_path / "weekly.csv", [["Date", "Channel", "Satisfaction (1-5)", "Would you recommend us (0-10)",
                                            "Comments"], ["2025-11-04 10:00", "Web", "2", "3", "slow"]])
    saved = inspected(first, saved=[]).mapping
    assert inspected(other, saved=[saved]).mapping_origin == "suggested"


def test_an_encoding_chosen_for_one_export_does_not_garble_the_next(tmp_path):
    """A user's choice of Windows-1256 is saved with the mapping; the survey's next export, saved as
    UTF-8, was read with it again."""
    name = "ar_ivr_transactional_cp1256.csv"
    first = inspected(SAMPLES / name, saved=[], encoding="cp1256")
    saved = first.mapping
    assert saved.encoding == "cp1256"
    text = (SAMPLES / name).read_bytes().decode("cp1256")
    utf8 = tmp_path / "ar_ivr_utf8.csv"
    utf8.write_text(text, encoding="utf-8")
    ins = inspected(utf8, saved=[saved])
    assert ins.mapping_origin == "saved" and ins.encoding == "utf-8" and ins.mapping.encoding is None
    assert answers(normalise(ins).table) == answers(normalise(first).table)


def _qualtrics_with(rows: list[list[str]], tag: str, question: str) -> list[list[str]]:
    """Qualtrics' export with one more question: its id, its text and its ImportId over the answers."""
    head = [[tag], [question], ['{"ImportId":"QID99"}']]
    return [r + (head[i] if i < 3 else [str(i % 11)]) for i, r in enumerate(rows)]


def test_a_qualtrics_survey_with_a_question_added_is_its_surveys_and_another_survey_is_not(tmp_path):
    rows = rows_of(SAMPLES / "qualtrics_relationship.csv")
    grown = inspected(write(tmp_path / "grown.csv", _qualtrics_with(rows, "Q99", "How was the new feature?")))
    assert (grown.mapping_origin, grown.mapping.source, grown.new_columns) == ("extended", "qualtrics", ("Q99",))
    # Another survey of the tool, its questions under the same ids ('Q1', 'Q2'...): not this one's.
    other = [list(r) for r in rows]
    other[1] = [f"Another question {i}?" if tag.startswith("Q") else text
                for i, (tag, text) in enumerate(zip(other[0], other[1]))]
    ins = inspected(write(tmp_path / "other.csv", _qualtrics_with(other, "Q99", "How was the new feature?")))
    assert ins.mapping_origin == "suggested"
