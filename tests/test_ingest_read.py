"""Read layer: every sample file, every hostile file, and the CSV/XLSX edge cases."""
from __future__ import annotations

import codecs
import io
import json
import struct
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cxdata.ingest import _csv
from cxdata.ingest.errors import CODES, IngestError
from cxdata.ingest.limits import Limits
from cxdata.ingest.read import RawTable, read_raw, sniff_format
from cxdata.ingest.text import (detect_encoding, lost_letters, may_have_lost_letters, may_stand_for, normalise_persian,
                                sniff_delimiter)

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
FILES = TRUTH["files"]

_ENCODINGS = {"utf-8-sig (UTF-8 with BOM)": "utf-8-sig", "utf-8 (no BOM)": "utf-8", "utf-8": "utf-8",
              "windows-1251": "cp1251", "windows-1256": "cp1256"}


def _data_rows(name: str) -> int:
    m, s = FILES[name]["metrics"], FILES[name]["schema"]
    if "rows" in s:  # long-format parquet: one row per (response, metric)
        return s["rows"]
    for key in ("rows_in_file", "responses", "invitations"):
        if m.get(key) is not None:
            return m[key]
    return s["rows"]


def _header_rows(name: str) -> int:
    return FILES[name]["schema"].get("header_rows", 1)


def _cell(raw: RawTable, header: str, row: int, header_row: int = 0):
    names = raw.table.slice(header_row, 1).to_pylist()[0]
    col = next(k for k, v in names.items() if v == header)
    return raw.table.column(col)[row].as_py()


def _rows(raw: RawTable) -> list[list]:
    return [list(r.values()) for r in raw.table.to_pylist()]


# --------------------------------------------------------------------------- sample files
SAMPLE_CASES = {
    # name: (format, encoding, delimiter, [(header, data row index, expected text)])
    "qualtrics_relationship.csv": ("csv", "utf-8-sig", ",", [("ResponseId", 3, "R_GmOgAxlK3NJtNMI"),
                                                             ("Status", 3, "Survey Preview")]),
    "variants/qualtrics_relationship_numeric.csv": ("csv", "utf-8-sig", ",", []),
    "variants/qualtrics_relationship_legacy_format.csv": ("csv", "utf-8", ",", []),
    "google_forms_transactional.csv": ("csv", "utf-8", ",", []),
    "typeform_transactional.csv": ("csv", "utf-8", ",",
                                   [("#", 1, "u78febyu0p98eg019ibs91su3an872qk"), ("lang", 1, "fa")]),
    "zendesk_csat.csv": ("csv", "utf-8", ",", [("Ticket ID", 1, "180003"),
                                               ("Ticket satisfaction comment", 1, "نسبت به قیمت ارزش خوبی دارد.")]),
    "bg_partner_transactional_cp1251.csv": ("csv", "cp1251", ";", [("ID на отговор", 1, "BG240004"),
                                                                   ("Дата", 1, "01.01.2024"),
                                                                   ("Време за изчакване (мин.)", 1, "4,6"),
                                                                   ("Регион", 1, "София")]),
    "ar_ivr_transactional_cp1256.csv": ("csv", "cp1256", ",", [("رقم الاستجابة", 1, "AR-000001"),
                                                               ("القناة", 1, "الفواتير"),
                                                               ("الموظف", 1, None)]),
    "invitations.csv": ("csv", "utf-8", ",", [("customer_id", 1, "ZC6119128"),
                                              ("invited_at", 1, "2024-02-01T06:00:00Z")]),
    "surveymonkey_relationship.xlsx": ("xlsx", None, None, [("Respondent ID", 2, "114200020127"),
                                                            ("Start Date", 2, "02/01/2024 12:23:29 PM")]),
    "porsline_relationship.xlsx": ("xlsx", None, None, [("شناسه پاسخ\u200cدهنده", 1, "۳۰۰۸۸"),
                                                        ("زمان شروع پاسخگویی", 1, "۱۴۰۲/۱۱/۱۲ ۱۴:۲۹")]),
    "transactional_canonical.parquet": ("parquet", None, None, [("response_id", 1, "TR10000001"),
                                                                ("responded_at", 1, "2024-01-01T06:15:17Z"),
                                                                ("value", 1, "5")]),
}


def test_every_sample_file_has_a_case():
    assert set(SAMPLE_CASES) == set(FILES)


@pytest.mark.parametrize("name", sorted(SAMPLE_CASES))
def test_sample_file(name):
    fmt, encoding, delimiter, cells = SAMPLE_CASES[name]
    raw = read_raw(SAMPLES / name)
    assert raw.format == fmt == FILES[name]["schema"]["format"].split(" ")[0]
    assert raw.encoding == encoding
    if "encoding" in FILES[name]["schema"]:
        assert raw.encoding == _ENCODINGS[FILES[name]["schema"]["encoding"]]
    assert raw.delimiter == delimiter
    if "delimiter" in FILES[name]["schema"]:
        assert raw.delimiter == FILES[name]["schema"]["delimiter"]
    if fmt == "xlsx":
        assert raw.sheet == FILES[name]["schema"]["sheet"]
    expected = _data_rows(name) + _header_rows(name)
    assert raw.table.num_rows == expected
    assert raw.problems == []
    assert raw.num_records == expected
    assert raw.table.column_names == [f"c{i}" for i in range(raw.table.num_columns)]
    assert all(t == pa.string() for t in raw.table.schema.types)
    numbers = raw.row_numbers.to_numpy()
    assert raw.row_numbers.type == pa.int64()
    assert numbers[0] == 1 and np.all(np.diff(numbers) > 0)
    for header, row, value in cells:
        assert _cell(raw, header, row) == value, header
    if fmt == "parquet":
        assert raw.typed is not None and raw.typed.num_rows == expected - 1
        assert list(raw.table.slice(0, 1).to_pylist()[0].values()) == raw.typed.column_names


def test_qualtrics_header_rows_and_quoted_json_header():
    raw = read_raw(SAMPLES / "qualtrics_relationship.csv")
    rows = _rows(raw)
    assert rows[0][0] == "StartDate"                     # BOM removed
    assert rows[1][0] == "Start Date"
    assert rows[2][0] == '{"ImportId":"startDate","timeZone":"Asia/Dubai"}'
    assert rows[0][-1] is not None


def test_surveymonkey_keeps_sheet_columns_and_row_numbers():
    raw = read_raw(SAMPLES / "surveymonkey_relationship.xlsx")
    assert raw.table.num_columns == 28
    assert raw.row_numbers[:3].to_pylist() == [1, 2, 3]
    assert raw.row_numbers[-1].as_py() == 2487
    second = _rows(raw)[1]
    assert "Response" in second and "Open-Ended Response" in second


def test_google_forms_quoted_fields_and_newlines():
    raw = read_raw(SAMPLES / "google_forms_transactional.csv")
    assert _rows(raw)[0][0] == "Timestamp"
    assert raw.table.column(0)[1].as_py().endswith("GMT+3:30")


@pytest.mark.parametrize("name", sorted(n for n in SAMPLE_CASES if n.endswith(".csv")))
def test_fast_and_exact_csv_paths_agree(name):
    limits = Limits()
    fast = _csv.read_csv(str(SAMPLES / name), encoding=None, delimiter=None, limits=limits)
    exact = _csv.read_csv(str(SAMPLES / name), encoding=None, delimiter=None, limits=limits, force_exact=True)
    assert fast.table.equals(exact.table.combine_chunks()) or fast.table.to_pylist() == exact.table.to_pylist()
    assert fast.row_numbers.equals(exact.row_numbers)
    assert fast.problems == exact.problems == []


# --------------------------------------------------------------------------- hostile files
BAD_CASES = {
    "empty.csv": ("error", {"empty"}),
    "bom_only.csv": ("error", {"empty"}),
    "png_renamed.csv": ("error", {"binary", "not_text"}),
    "binary_garbage.csv": ("error", {"binary", "not_text"}),
    "wide_50k_columns.csv": ("error", {"too_many_columns"}),
    "zip_bomb.xlsx": ("error", {"zip_bomb"}),
    "header_only.csv": ("rows", 1),
    "qualtrics_header_only.csv": ("rows", 3),
    "duplicate_columns.csv": ("rows", 4),
    "sql_injection_header.csv": ("rows", 5),
    "out_of_range_scores.csv": ("rows", 19),
    "qualtrics_duplicate_response_ids.csv": ("rows", 45 + 3),
    "qualtrics_relationship_reexport.csv": ("rows", 723 + 3),
    "ragged_rows.csv": ("ragged", None),
}


def test_every_bad_file_has_a_case():
    assert set(BAD_CASES) == set(TRUTH["bad_inputs"])


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_file(name):
    kind, expected = BAD_CASES[name]
    path = SAMPLES / "bad" / name
    started = time.perf_counter()
    if kind == "error":
        with pytest.raises(IngestError) as info:
            read_raw(path)
        assert info.value.code in expected
        assert info.value.code in CODES
        message = info.value.message
        assert len(message) > 40 and "Traceback" not in message and "Error" not in message
        assert time.perf_counter() - started < 2.0
    elif kind == "rows":
        raw = read_raw(path)
        assert raw.table.num_rows == expected and raw.problems == []
    else:
        raw = read_raw(path)
        assert [r["c0"] for r in raw.table.to_pylist()] == ["response_id", "RG-1"]
        assert raw.row_numbers.to_pylist() == [1, 2]
        # data lines 2-6 = file records 3-7, each with a reason
        assert [n for n, _ in raw.problems] == [3, 4, 5, 6, 7]
        reasons = dict(raw.problems)
        assert "5 values" in reasons[3] and "header has 6" in reasons[3]
        assert "8 values" in reasons[4]
        assert "1 value " in reasons[5]
        assert "empty" in reasons[6]
        assert "never closed" in reasons[7]
        assert raw.num_records == 7


def test_zip_bomb_refused_fast_and_small(tmp_path):
    import psutil
    proc = psutil.Process()
    before = proc.memory_info().rss
    started = time.perf_counter()
    with pytest.raises(IngestError) as info:
        read_raw(SAMPLES / "bad" / "zip_bomb.xlsx")
    assert info.value.code == "zip_bomb"
    assert time.perf_counter() - started < 0.5
    assert proc.memory_info().rss - before < 50 * 2**20
    assert "1.1 GB" in info.value.message


def test_wide_file_refused_before_building_a_table():
    started = time.perf_counter()
    with pytest.raises(IngestError) as info:
        read_raw(SAMPLES / "bad" / "wide_50k_columns.csv")
    assert time.perf_counter() - started < 1.0
    assert "50,000 columns" in info.value.message


def test_ragged_rows_fast_path_hands_over_to_exact_path():
    raw = read_raw(SAMPLES / "bad" / "ragged_rows.csv")
    exact = _csv.read_csv(str(SAMPLES / "bad" / "ragged_rows.csv"), encoding=None, delimiter=None,
                          limits=Limits(), force_exact=True)
    assert raw.problems == exact.problems
    assert raw.table.to_pylist() == exact.table.to_pylist()


# --------------------------------------------------------------------------- sniff_format
@pytest.mark.parametrize("content,name,expected", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "x.csv", "binary"),
    (b"%PDF-1.7\n%\xe2\xe3", "x.csv", "binary"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "x.csv", "binary"),
    (b"GIF89a\x01\x00", "x.csv", "binary"),
    (b"\x1f\x8b\x08\x00", "x.csv", "binary"),
    (b"a,b\x00\x01\x02\x03\x00\x00\x05\x06", "x.csv", "not_text"),
    (b"PAR1garbage", "x.csv", "parquet"),
    (b"a,b\n1,2\n", "x.csv", "csv"),
    (b"a\tb\n1\t2\n", "x.tsv", "csv"),
    (b"a|b\n", "x.txt", "csv"),
    (b'[{"a": 1}]', "x.json", "json"),
    (b'{"a": 1}\n{"a": 2}\n', "x.jsonl", "json"),
    (b'[{"a": 1}]', "export", "csv"),   # no extension: text; JSON only by name or for unknown names
])
def test_sniff_format(tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    if expected in ("binary", "not_text"):
        with pytest.raises(IngestError) as info:
            sniff_format(path)
        assert info.value.code == expected
    else:
        assert sniff_format(path) == expected


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("responses.csv", "a,b\n1,2\n")
    with pytest.raises(IngestError) as info:
        read_raw(path)
    assert info.value.code == "binary"
    docx = tmp_path / "report.docx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(IngestError) as info:
        read_raw(docx)
    assert info.value.code == "binary" and "Word" in info.value.message


def test_damaged_zip_and_fake_extensions(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(IngestError) as info:
        read_raw(bad)
    assert info.value.code == "malformed"
    fake = tmp_path / "data.parquet"
    fake.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(IngestError) as info:
        read_raw(fake)
    assert info.value.code == "malformed"
    bad_parquet = tmp_path / "cut.parquet"
    bad_parquet.write_bytes(b"PAR1" + b"\x00" * 50)
    with pytest.raises(IngestError) as info:
        read_raw(bad_parquet)
    assert info.value.code == "malformed"


# --------------------------------------------------------------------------- CSV dialects
def _write(tmp_path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_excel_sep_line_is_honoured_and_not_a_row(tmp_path):
    path = _write(tmp_path, "x.csv", b"sep=;\r\nid;score\r\n1;4,5\r\n2;3\r\n")
    raw = read_raw(path)
    assert raw.delimiter == ";"
    assert _rows(raw) == [["id", "score"], ["1", "4,5"], ["2", "3"]]
    assert raw.row_numbers.to_pylist() == [1, 2, 3]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters(tmp_path, delim):
    text = delim.join(["id", "comment", "nps"]) + "\r\n" + delim.join(["1", '"a, b; c | d"', "9"]) + "\r\n"
    raw = read_raw(_write(tmp_path, "x.txt", text.encode()))
    assert raw.delimiter == delim
    assert _rows(raw)[1] == ["1", "a, b; c | d", "9"]


def test_quoted_newlines_crlf_and_record_numbers(tmp_path):
    data = (b'id,comment,nps\r\n1,"line one\r\nline two",9\r\n2,"x ""quoted"" y",7\r\n'
            b'3,"multi\nline\n\nwith blank",5\r\n4,,\r\n')
    raw = read_raw(_write(tmp_path, "x.csv", data))
    rows = _rows(raw)
    assert rows[1] == ["1", "line one\r\nline two", "9"]
    assert rows[2] == ["2", 'x "quoted" y', "7"]
    assert rows[3][1] == "multi\nline\n\nwith blank"
    assert rows[4] == ["4", None, None]
    assert raw.row_numbers.to_pylist() == [1, 2, 3, 4, 5]


def test_blank_lines_and_empty_rows_are_problems(tmp_path):
    data = b"id,nps\n1,9\n\n2,8\n,\n3,7\n"
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert [r[0] for r in _rows(raw)] == ["id", "1", "2", "3"]
    assert raw.row_numbers.to_pylist() == [1, 2, 4, 6]
    assert [n for n, _ in raw.problems] == [3, 5]
    assert raw.num_records == 6


@pytest.mark.parametrize("data, rows, problems", [
    # Found by an independent audit: every row ends with a delimiter, the header does not (and
    # the other way round). The header was dropped as a problem row and the first response read
    # as the header, appearing nowhere on the receipt.
    (b"id,nps,comment\n1,9,good,\n2,3,,\n3,10,ok,\n", [["id", "nps", "comment"], ["1", "9", "good"], ["2", "3", None],
                                                     ["3", "10", "ok"]], []),
    (b"id,nps,comment,\n1,9,good\n2,3,\n3,10,ok\n", [["id", "nps", "comment"], ["1", "9", "good"], ["2", "3", None],
                                                   ["3", "10", "ok"]], []),
    # a trailing field that holds something is still a row of the wrong width
    (b"id,nps,comment\n1,9,good,\n2,3,,x\n3,10,ok,\n", [["id", "nps", "comment"], ["1", "9", "good"], ["3", "10", "ok"]],
     [3]),
])
def test_a_trailing_delimiter_on_the_header_or_the_rows_loses_nothing(tmp_path, data, rows, problems, monkeypatch):
    path = _write(tmp_path, "x.csv", data)
    exact = _csv.read_csv(str(path), encoding=None, delimiter=None, limits=Limits(), force_exact=True)
    if not problems:  # Arrow reads these (3-4x faster on a large file), the header put back on top
        monkeypatch.setattr(_csv, "_read_exact", lambda *a: pytest.fail("the exact path was taken"))
    raw = read_raw(path)
    assert _rows(raw) == rows
    assert [n for n, _ in raw.problems] == problems
    assert raw.table.to_pylist() == exact.table.to_pylist() and raw.row_numbers.to_pylist() == exact.row_numbers.to_pylist()


@pytest.mark.parametrize("data, rows, problems", [
    # The header and the rows differ in width by something other than an empty trailing field:
    # the first record was a problem row and the first response was read as the header, on no
    # receipt line. It is the table's first row now, padded, or the table widened under it.
    (b"id,nps,comment\nr1,9,good,extra\nr2,3,bad,extra\nr3,10,ok,extra\n",
     [["id", "nps", "comment", None], ["r1", "9", "good", "extra"], ["r2", "3", "bad", "extra"],
      ["r3", "10", "ok", "extra"]], []),
    (b"id,nps,comment,extra\nr1,9,good\nr2,3,bad\nr3,10,ok\n",
     [["id", "nps", "comment", "extra"], ["r1", "9", "good", None], ["r2", "3", "bad", None], ["r3", "10", "ok", None]],
     []),
    # a title line above the header
    (b"Customer survey export\nid,nps\nr1,9\nr2,3\n", [["Customer survey export", None], ["id", "nps"], ["r1", "9"],
                                                       ["r2", "3"]], []),
    # a row of another width further down is still a problem row
    (b"id,nps\nr1,9\nr2,3,x\nr3,10\n", [["id", "nps"], ["r1", "9"], ["r3", "10"]], [3]),
])
@pytest.mark.parametrize("exact", [False, True])
def test_a_first_record_of_another_width_stays_the_first_row(tmp_path, data, rows, problems, exact):
    path = _write(tmp_path, "x.csv", data)
    raw = _csv.read_csv(str(path), encoding=None, delimiter=None, limits=Limits(), force_exact=exact)
    assert [list(r.values()) for r in raw.table.to_pylist()] == rows
    assert [n for n, _ in raw.problems] == problems
    assert len(raw.row_numbers) == len(rows) and raw.row_numbers.to_pylist()[0] == 1


def test_a_first_record_that_swallowed_lines_stays_a_problem_row(tmp_path):
    """Found in review: a stray quote in the header line swallowing the rows below into one long
    cell was kept as the first row; it is a problem row, as any such row."""
    body = "".join(f"r{i},{i % 10}\n" for i in range(3000))
    path = _write(tmp_path, "x.csv", ('"id,nps\n' + body + '"\nid,nps\nq1,9\nq2,3\n').encode())
    raw = _csv.read_csv(str(path), encoding=None, delimiter=None, limits=Limits(max_cell_chars=1000))
    assert raw.problems and raw.problems[0][0] == 1
    assert [list(r.values()) for r in raw.table.to_pylist()][0] == ["id", "nps"]


def test_a_header_wider_than_the_limit_is_refused_even_above_narrow_rows(tmp_path):
    header = ",".join(f"q{i}" for i in range(60)).encode()
    path = _write(tmp_path, "x.csv", header + b"\n" + b"1,2\n" * 50)
    with pytest.raises(IngestError) as exc:
        _csv.read_csv(str(path), encoding=None, delimiter=None, limits=Limits(max_columns=40))
    assert exc.value.code == "too_many_columns"


def test_old_mac_line_endings(tmp_path):
    raw = read_raw(_write(tmp_path, "x.csv", b"id,nps\r1,9\r2,8\r"))
    assert _rows(raw) == [["id", "nps"], ["1", "9"], ["2", "8"]]


def test_no_trailing_newline_and_whitespace_kept(tmp_path):
    raw = read_raw(_write(tmp_path, "x.csv", b"id,comment\n1,  padded  \n2,last"))
    assert _rows(raw) == [["id", "comment"], ["1", "  padded  "], ["2", "last"]]


def test_lenient_quotes_like_excel(tmp_path):
    # A quote that does not open a field is a literal character (Excel and Python agree).
    data = b'id,size,comment\n1,27" screen,ok\n2,"quoted"tail,x\n'
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert _rows(raw)[1] == ["1", '27" screen', "ok"]
    assert _rows(raw)[2] == ["2", "quotedtail", "x"]


def test_unterminated_quote_in_last_row(tmp_path):
    data = b'id,comment\n1,fine\n2,"never closed\n3,swallowed\n'
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert _rows(raw) == [["id", "comment"], ["1", "fine"]]
    assert [n for n, _ in raw.problems] == [3]


@pytest.mark.parametrize("encoding,text", [
    ("utf-16", "id\tcomment\n1\tخیلی خوب بود\n2\tПрекрасно\n"),       # Qualtrics TSV / Excel Unicode text
    ("utf-16-be", "id\tcomment\n1\tשירות מצוין\n"),
    ("utf-8-sig", "id,comment\n1,Très bien\n"),
])
def test_unicode_encodings(tmp_path, encoding, text):
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
        expected = "utf-16"
    else:
        expected = encoding
    raw = read_raw(_write(tmp_path, "x.txt", data))
    assert raw.encoding == expected
    lines = [line.split("\t" if "\t" in text else ",") for line in text.strip().split("\n")]
    assert _rows(raw) == lines


def test_utf16_without_bom(tmp_path):
    text = "id,comment\n1,ok\n2,خوب\n"
    raw = read_raw(_write(tmp_path, "x.csv", text.encode("utf-16-le")))
    assert raw.encoding == "utf-16-le"
    assert _rows(raw)[2] == ["2", "خوب"]


LEGACY = [
    ("cp1256", "رقم,التعليق\n1,خدمة سريعة في المتجر بدون أي طابور\n2,خيلي خوب بود، گارانتي عالي\n"),
    ("cp1251", "Номер;Коментар\n1;Обслужването беше бързо и любезно\n2;Благодаря, всичко е наред\n"),
    ("cp1255", "מספר,הערה\n1,השירות היה מצוין תודה רבה\n2,המוקד ענה מהר מאוד\n"),
    ("cp1252", "id,comment\n1,Très bien; café crème à emporter\n2,Größe passt; schöne Qualität\n"),
    # found by an upload audit: Polish read as Western, its letters garbled
    ("cp1250", "id,komentarz\n1,Obsługa była bardzo miła i szybka\n2,Dostawa się opóźniła o dwa dni\n"
               "3,\"Świetna aplikacja, łatwa w użyciu\"\n"),
    # found by an audit: Turkish read as Western ('Ýstanbul', 'Muðla')
    ("cp1254", "No;Yorum\n1;İstanbul şubesi: kargo çok hızlı geldi, teşekkürler\n2;Muğla: ürün açıklaması yanlıştı\n"),
    # Icelandic stays Western: its ð is far commoner than its ý
    ("cp1252", "id;athugasemd\n1;Það var gott að fá þjónustuna fljótt\n2;Ég er ánægður með þetta\n"),
    # found by a review: short Icelandic and Slovak texts with ý but no ç or ü are no Turkish
    ("cp1252", "id;athugasemd\n1;Ýmislegt var ágætt, dýrt og fínt\n2;Ýsa og nýr fiskur\n"),
    # and Czech Central European: it writes ý beside ě, č, š and ž (read as Western, ì, è and ø)
    ("cp1250", "id;komentář\n1;Dobrý den, děkuji za rychlé doručení\n2;Kurýr přijel pozdě\n"),
    ("cp1250", "id;komentář\n1;Byl jsem velmi spokojený s rychlým doručením\n2;Který kurýr přijel? Skvělý\n"),
]


@pytest.mark.parametrize("encoding,text", LEGACY)
def test_legacy_code_pages(tmp_path, encoding, text):
    raw = read_raw(_write(tmp_path, "x.csv", text.encode(encoding)))
    assert raw.encoding == encoding
    delim = ";" if ";" in text.split("\n")[0] else ","
    assert raw.delimiter == delim
    assert _rows(raw)[1][1] == text.split("\n")[1].split(delim, 1)[1].strip('"')


def test_user_chosen_encoding_overrides_detection(tmp_path):
    data = "id,comment\n1,Обслужването\n".encode("cp1251")
    raw = read_raw(_write(tmp_path, "x.csv", data), encoding="windows-1251")
    assert raw.encoding == "cp1251" and _rows(raw)[1][1] == "Обслужването"
    with pytest.raises(IngestError) as info:
        read_raw(_write(tmp_path, "y.csv", data), encoding="klingon-8")
    assert info.value.code == "bad_encoding"


def test_utf8_chosen_for_a_file_with_no_utf8_line_is_refused_with_the_likely_encoding(tmp_path):
    # Found by an audit: every row was rejected, and the upload "loaded" nothing, saving an empty
    # mapping.
    for i, data in enumerate(["Номер,Коментар\n1,Обслужването беше бързо\n2,Благодаря за всичко\n".encode("cp1251"),
                              "Номер,Коментар\n1,Обслужването беше бързо\n2,Благодаря, всичко е наред\n".encode("cp1251")]):
        with pytest.raises(IngestError) as info:
            read_raw(_write(tmp_path, f"x{i}.csv", data), encoding="utf-8")
        assert info.value.code == "bad_encoding" and "Windows-1251 (Cyrillic)" in info.value.message
    # a file that mixes encodings, chosen as UTF-8, keeps its good rows and reports the others
    mixed = "id,comment\n1,خوب\n".encode("utf-8") + "2,café\n".encode("cp1252")
    raw = read_raw(_write(tmp_path, "y.csv", mixed), encoding="utf-8")
    assert [r for r, _ in raw.problems] == [3]


def test_legacy_bytes_after_a_plain_ascii_start(tmp_path):
    # The first MiB is pure ASCII, so the sample says UTF-8; the rest is windows-1252.
    head = b"id,comment\n" + b"".join(b"%d,plain ascii text\n" % i for i in range(60000))
    data = head + "60000,café crème brûlée\n".encode("cp1252")
    assert len(head) > _csv.SAMPLE_BYTES
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert raw.encoding == "cp1252"
    assert _rows(raw)[-1] == ["60000", "café crème brûlée"]
    assert raw.problems == []


def test_mixed_encodings_report_the_bad_rows(tmp_path):
    data = ("id,comment\n1,خوب\n".encode("utf-8") + "2,café\n".encode("cp1252") + b"3,ok\n")
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert raw.encoding == "utf-8"
    assert [r[0] for r in _rows(raw)] == ["id", "1", "3"]
    assert [n for n, _ in raw.problems] == [3]
    assert "not valid" in raw.problems[0][1]


def test_delimiter_override(tmp_path):
    raw = read_raw(_write(tmp_path, "x.csv", b"a;b,c\n1;2,3\n"), delimiter=",")
    assert _rows(raw) == [["a;b", "c"], ["1;2", "3"]]


# --------------------------------------------------------------------------- limits
def test_limits(tmp_path):
    path = _write(tmp_path, "x.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8," + b"x" * 50 + b"\n")
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(max_bytes=10))
    assert info.value.code == "too_large"
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(max_columns=2))
    assert info.value.code == "too_many_columns"
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(max_rows=2))
    assert info.value.code == "too_many_rows"
    raw = read_raw(path, limits=Limits(max_cell_chars=20))
    assert raw.row_numbers.to_pylist() == [1, 2, 3]
    assert [n for n, _ in raw.problems] == [4] and "longer than 20" in raw.problems[0][1]


def test_too_many_rows_exact_path(tmp_path):
    path = _write(tmp_path, "x.csv", b"a,b\n1,2\n3\n4,5\n6,7\n")
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(max_rows=2))
    assert info.value.code == "too_many_rows"


# --------------------------------------------------------------------------- scale
def _big_csv(path: Path, n: int, ragged_every: int = 0) -> int:
    """Write an n-record CSV (header included) with quoted commas, doubled quotes, quoted
    newlines and Persian text; every ragged_every-th data record loses its last field.
    Returns the number of ragged records."""
    comments = ["", '"said ""hi"""', '"two\nlines"', "خیلی خوب", '"a, b"']
    regions = ["Dubai", '"London, UK"', "تهران"]
    lines = ["id,at,nps,region,comment"]
    bad = 0
    for i in range(1, n):
        fields = [f"R_{i - 1:08d}", f"2024-01-{i % 28 + 1:02d} 10:{i % 60:02d}:00", str(i % 11),
                  regions[i % 3], comments[i % 5]]
        if ragged_every and i % ragged_every == 0:
            fields = fields[:-1]
            bad += 1
        lines.append(",".join(fields))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return bad


def test_200k_rows_exact_counts(tmp_path):
    path = tmp_path / "big.csv"
    _big_csv(path, 200_001)
    raw = read_raw(path)
    assert raw.table.num_rows == 200_001 and raw.problems == []
    assert raw.row_numbers[-1].as_py() == 200_001
    assert raw.table.column(0)[200_000].as_py() == "R_00199999"


def test_200k_rows_with_ragged_records(tmp_path):
    path = tmp_path / "ragged.csv"
    bad = _big_csv(path, 200_001, ragged_every=997)
    assert bad > 100
    raw = read_raw(path)
    assert len(raw.problems) == bad
    assert raw.num_records == 200_001
    assert len(set(raw.row_numbers.to_pylist()) | {n for n, _ in raw.problems}) == 200_001


def test_timing_1m_rows(tmp_path, capsys):
    path = tmp_path / "1m.csv"
    rng = np.random.default_rng(3)
    n = 1_000_000
    cols = {"response_id": pa.array([f"R_{i:09d}" for i in range(n)]),
            "submitted_at": pa.array(np.datetime64("2024-01-01T00:00:00")
                                     + rng.integers(0, 6e7, n).astype("timedelta64[s]")).cast(pa.string())}
    for k in ("csat", "ces", "nps", "q1", "q2", "q3"):
        cols[k] = pa.array(rng.integers(0, 11, n)).cast(pa.string())
    for k in ("region", "tier", "touchpoint", "team", "lang"):
        cols[k] = pa.array(rng.choice(["Dubai", "London, UK", "Sofia", "Tehran", "تهران"], n))
    cols["comment"] = pa.array(rng.choice(["", 'great "service"', "slow\nvery slow", "ok", "خیلی خوب بود"], n))
    cols["value"] = pa.array(rng.random(n).round(4)).cast(pa.string())
    pacsv.write_csv(pa.table(cols), path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    times = []
    for _ in range(3):
        started = time.perf_counter()
        raw = read_raw(path)
        times.append(time.perf_counter() - started)
    assert raw.table.num_rows == n + 1 and raw.table.num_columns == 15
    with capsys.disabled():
        print(f"\n1M-row x 15-column CSV ({path.stat().st_size / 1e6:.0f} MB): read in "
              f"{sorted(times)[1]:.2f} s (median of 3: {', '.join(f'{t:.2f}' for t in times)})")


# --------------------------------------------------------------------------- XLSX
def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def make_xlsx(path: Path, sheets: dict[str, dict[tuple[int, int], object]], hidden: set[str] = frozenset()) -> Path:
    """A minimal but valid workbook. Cells: {(row0, col0): value}; str -> inline string,
    int/float -> number, bool -> boolean, ('date', serial) / ('datetime', serial) -> a number
    with a date style."""
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
    rels = []
    sheet_xml = {}
    wb_sheets = []
    for i, (name, cells) in enumerate(sheets.items(), 1):
        ct += (f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>')
        state = ' state="hidden"' if name in hidden else ""
        wb_sheets.append(f'<sheet name="{_xml_escape(name)}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rows: dict[int, list[str]] = {}
        for (r, c), v in sorted(cells.items()):
            ref = f"{_col_letter(c)}{r + 1}"
            if isinstance(v, bool):
                x = f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
            elif isinstance(v, (int, float)):
                x = f'<c r="{ref}"><v>{v!r}</v></c>'
            elif isinstance(v, tuple):
                style = 1 if v[0] == "date" else 2
                x = f'<c r="{ref}" s="{style}"><v>{v[1]!r}</v></c>'
            else:
                x = f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_escape(v)}</t></is></c>'
            rows.setdefault(r, []).append(x)
        body = "".join(f'<row r="{r + 1}">{"".join(cs)}</row>' for r, cs in sorted(rows.items()))
        sheet_xml[i] = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        f'<sheetData>{body}</sheetData></worksheet>')
    ct += "</Types>"
    rels.append(f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>')
    styles = ('<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs>'
              '</styleSheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                    f'<sheets>{"".join(wb_sheets)}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    + "".join(rels) + "</Relationships>")
        zf.writestr("xl/styles.xml", styles)
        for i, xml in sheet_xml.items():
            zf.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


def two_wave_workbook(path: Path) -> Path:
    """A workbook of two sheets of NPS answers: 'Wave 1' with 2 responses, 'Wave 2' with 3."""
    def sheet(ids):
        cells = {(0, 0): "Response ID", (0, 1): "Date", (0, 2): "How likely are you to recommend us?"}
        for r, rid in enumerate(ids, 1):
            cells.update({(r, 0): rid, (r, 1): "2025-03-01", (r, 2): 9})
        return cells

    return make_xlsx(path, {"Wave 1": sheet(["a1", "a2"]), "Wave 2": sheet(["b1", "b2", "b3"])})


def test_xlsx_cell_text(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx", {"Data": {
        (0, 0): "id", (0, 1): "score", (0, 2): "ratio", (0, 3): "flag", (0, 4): "day", (0, 5): "at", (0, 6): "big",
        (1, 0): "A-1", (1, 1): 5, (1, 2): 4.6, (1, 3): True, (1, 4): ("date", 45935), (1, 5): ("datetime", 45935.6034722222),
        (1, 6): 114200020127.0,
        (2, 0): "A-2", (2, 1): 5.0, (2, 2): 0.1, (2, 3): False,
    }})
    raw = read_raw(path)
    assert raw.format == "xlsx" and raw.sheet == "Data" and raw.encoding is None
    rows = _rows(raw)
    assert rows[1] == ["A-1", "5", "4.6", "TRUE", "2025-10-05", "2025-10-05T14:29:00", "114200020127"]
    assert rows[2] == ["A-2", "5", "0.1", "FALSE", None, None, None]


def test_xlsx_positions_empty_rows_and_sheet_choice(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx", {
        "Hidden": {(0, 0): "secret"},
        "Empty": {},
        "Responses": {(2, 1): "id", (2, 2): "nps", (3, 1): "R1", (3, 2): 9, (5, 1): "R2", (5, 2): 7},
        "Other": {(0, 0): "x"},
    }, hidden={"Hidden"})
    raw = read_raw(path)
    assert raw.sheet == "Responses"
    # c0 is column A (empty), data starts in B3; empty sheet rows are skipped, numbers kept
    assert raw.row_numbers.to_pylist() == [3, 4, 6]
    assert _rows(raw) == [[None, "id", "nps"], [None, "R1", "9"], [None, "R2", "7"]]
    assert read_raw(path, sheet="Other").sheet == "Other"
    assert _rows(read_raw(path, sheet="Hidden")) == [["secret"]]
    with pytest.raises(IngestError) as info:
        read_raw(path, sheet="Nope")
    assert info.value.code == "no_sheet" and "'Responses'" in info.value.message


def test_xlsx_reads_the_sheet_with_the_most_rows(tmp_path):
    """Found by an independent audit: a summary sheet before the responses was read, as two
    'responses', and neither the Upload page nor the CLI could choose another."""
    from cxdata.ingest import engine

    responses = {(0, 0): "Response ID", (0, 1): "How likely are you to recommend us?"}
    responses.update({cell: v for r in range(1, 6) for cell, v in (((r, 0), f"R{r}"), ((r, 1), r + 4))})
    path = make_xlsx(tmp_path / "t.xlsx", {
        "Summary": {(0, 0): "Survey", (0, 1): "Q4", (1, 0): "Responses", (1, 1): 5},
        "Responses": responses,
        "Notes": {},
    })
    raw = read_raw(path)
    assert raw.sheet == "Responses" and raw.sheets == ["Summary", "Responses"]
    ins = engine.inspect(path)
    assert any("Read the sheet 'Responses', the one that looks most like the responses" in w and "'Summary'" in w
               for w in ins.warnings)
    chosen = engine.inspect(path, sheet="Summary")
    assert chosen.sheet == "Summary"
    assert not any("the one that looks most like" in w for w in chosen.warnings)


def test_xlsx_reads_the_responses_before_a_longer_lookup_sheet(tmp_path):
    """Found by an audit: a workbook's 80 stores were loaded as responses, not its 30 answers."""
    responses = {(0, 0): "Response ID", (0, 1): "Submitted", (0, 2): "NPS"}
    responses.update({cell: v for r in range(1, 6) for cell, v in (((r, 0), f"R{r}"), ((r, 1), "2025-01-02"), ((r, 2), r))})
    stores = {(0, 0): "Store code", (0, 1): "City", (0, 2): "Opened"}
    stores.update({cell: v for r in range(1, 20) for cell, v in (((r, 0), f"S{r}"), ((r, 1), "Tehran"), ((r, 2), 2000 + r))})
    raw = read_raw(make_xlsx(tmp_path / "t.xlsx", {"Stores": stores, "Responses": responses}))
    assert raw.sheet == "Responses" and raw.sheets == ["Stores", "Responses"]
    # with no answer header anywhere, the most rows still decide
    raw = read_raw(make_xlsx(tmp_path / "u.xlsx", {"A": {(0, 0): "x", (1, 0): 1}, "B": stores}))
    assert raw.sheet == "B"
    # a cover sheet's one line, or a codebook whose rows name the questions, is no header of answers
    # (found in review: each was loaded instead of the responses, headed Q1, Q2)
    data = {(0, 0): "Q1", (0, 1): "Q2"}
    data.update({(r, c): r % 5 + 1 for r in range(1, 30) for c in (0, 1)})
    cover = {(0, 0): "Ratings and comments of the quarter"}
    codebook = {(0, 0): "Code", (0, 1): "Question", (1, 0): "Q1", (1, 1): "How likely are you to recommend us?",
                (2, 0): "Q2", (2, 1): "How satisfied are you with the service?"}
    raw = read_raw(make_xlsx(tmp_path / "v.xlsx", {"Cover": cover, "Questions": codebook, "Data": data}))
    assert raw.sheet == "Data"


def test_xlsx_all_empty(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx", {"A": {}, "B": {}})
    with pytest.raises(IngestError) as info:
        read_raw(path)
    assert info.value.code == "no_data"


def test_xlsx_column_limit(tmp_path):
    path = make_xlsx(tmp_path / "t.xlsx", {"A": {(0, i): f"c{i}" for i in range(30)}})
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(max_columns=20))
    assert info.value.code == "too_many_columns"


def _lying_zip(path: Path, real: bytes, declared: int) -> Path:
    """A workbook whose sheet really inflates to len(real) bytes but declares `declared`."""
    make_xlsx(path, {"S": {(0, 0): "x"}})
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(real) + comp.flush()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/worksheets/sheet9.xml", b"placeholder")
    blob = bytearray(out.getvalue())
    # Rebuild the last member by hand: local header + data + fixed central directory.
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        info = zf.getinfo("xl/worksheets/sheet9.xml")
        cd_offset = zf.start_dir
    head = blob[:info.header_offset]
    name = info.filename.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, zlib.crc32(real), len(data), declared,
                        len(name), 0) + name
    new_offset = len(head)
    body = head + local + data
    # central directory: copy the entries, replacing the last one
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        infos = zf.infolist()
    cd = b""
    for i in infos:
        n = i.filename.encode()
        if i.filename == info.filename:
            cd += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, zlib.crc32(real), len(data),
                              declared, len(n), 0, 0, 0, 0, 0, new_offset) + n
        else:
            cd += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, i.flag_bits, i.compress_type, 0, 0, i.CRC,
                              i.compress_size, i.file_size, len(n), 0, 0, 0, 0, 0, i.header_offset) + n
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(infos), len(infos), len(cd), len(body), 0)
    path.write_bytes(bytes(body) + cd + end)
    return path


def test_lying_zip_header_is_caught_while_inflating(tmp_path):
    path = _lying_zip(tmp_path / "liar.xlsx", b"<x/>" * 5_000_000, declared=1000)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet9.xml").file_size == 1000
    started = time.perf_counter()
    with pytest.raises(IngestError) as info:
        read_raw(path)
    assert info.value.code == "zip_bomb"
    assert time.perf_counter() - started < 1.0


def test_high_ratio_member_refused(tmp_path):
    path = tmp_path / "r.xlsx"
    make_xlsx(path, {"S": {(0, 0): "x"}})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/blank.xml", b" " * 3_000_000)
    with pytest.raises(IngestError) as info:
        read_raw(path, limits=Limits(ratio_floor_bytes=1_000_000))
    assert info.value.code == "zip_bomb"
    assert read_raw(path).table.num_rows == 1  # default limits: small members may compress well


# --------------------------------------------------------------------------- parquet / json
def test_parquet_header_row_typed_and_text_forms(tmp_path):
    import datetime as dt
    t = pa.table({"id": ["a", "b"], "score": [4.0, 4.5], "n": pa.array([1, None], pa.int64()),
                  "at": pa.array([dt.datetime(2025, 10, 5, 10, 55), None], pa.timestamp("us", tz="UTC")),
                  "ok": [True, False], "tags": [["x", "y"], []]})
    pq.write_table(t, tmp_path / "t.parquet")
    raw = read_raw(tmp_path / "t.parquet")
    assert raw.format == "parquet" and raw.typed.equals(t)
    assert _rows(raw) == [["id", "score", "n", "at", "ok", "tags"],
                          ["a", "4", "1", "2025-10-05T10:55:00Z", "true", '["x","y"]'],
                          ["b", "4.5", None, None, "false", "[]"]]
    assert raw.row_numbers.to_pylist() == [1, 2, 3]
    with pytest.raises(IngestError) as info:
        read_raw(tmp_path / "t.parquet", limits=Limits(max_columns=3))
    assert info.value.code == "too_many_columns"


@pytest.mark.parametrize("name,content", [
    ("array.json", '[{"id": "R1", "nps": 9, "meta": {"lang": "fa"}}, {"id": "R2", "nps": null, "extra": true}]'),
    ("lines.jsonl", '{"id": "R1", "nps": 9, "meta": {"lang": "fa"}}\n\n{"id": "R2", "extra": true}\n'),
    ("wrapped.json", '{"responses": [{"id": "R1", "nps": 9, "meta": {"lang": "fa"}}, {"id": "R2", "extra": true}], "total": 2}'),
])
def test_json_shapes(tmp_path, name, content):
    raw = read_raw(_write(tmp_path, name, content.encode()))
    assert raw.format == "json"
    rows = _rows(raw)
    assert rows[0] == ["id", "nps", "meta.lang", "extra"]
    assert rows[1] == ["R1", "9", "fa", None]
    assert rows[2] == ["R2", None, None, "true"]
    assert raw.typed.column("nps").type == pa.int64()


def test_json_answers_nested_as_a_list_of_fields_become_columns(tmp_path):
    """Found by an independent audit: Typeform's Responses API nests the answers in a list; read
    as one JSON text per response, every response had no answers."""
    answers = ('[{"field": {"id": "f1", "type": "opinion_scale", "ref": "nps"}, "type": "number", "number": 9},'
               ' {"field": {"id": "f2", "type": "multiple_choice", "ref": "store"}, "type": "choice",'
               ' "choice": {"label": "Berlin"}},'
               ' {"field": {"id": "f3", "type": "long_text"}, "type": "text", "text": "fast"},'
               ' {"field": {"id": "f4", "ref": "why"}, "type": "choices", "choices": {"labels": ["Price"], "other": "Staff"}},'
               ' {"field": {"id": "f5", "ref": "where"}, "type": "choice", "choice": {"other": "Airport kiosk"}}]')
    content = ('{"total_items": 2, "items": [{"response_id": "r0", "submitted_at": "2026-11-01T09:00:00Z", '
               '"hidden": {"region": "Nord"}, "answers": []}, '
               '{"response_id": "r1", "submitted_at": "2026-11-01T10:00:00Z", '
               f'"hidden": {{"region": "Nord"}}, "answers": {answers}}}]}}')
    rows = _rows(read_raw(_write(tmp_path, "typeform.json", content.encode())))
    assert rows[0] == ["response_id", "submitted_at", "hidden.region", "answers.nps", "answers.store", "answers.f3",
                       "answers.why", "answers.where"]
    assert rows[1] == ["r0", "2026-11-01T09:00:00Z", "Nord", None, None, None, None, None]  # answered nothing
    # an 'Other' answer keeps its text
    assert rows[2] == ["r1", "2026-11-01T10:00:00Z", "Nord", "9", "Berlin", "fast", "Price; Staff", "Airport kiosk"]


def test_json_answers_keep_the_kind_of_question_an_opaque_ref_hides(tmp_path):
    # Found by an audit: an NPS field with a ref like '01HQ9Z...' became a rating; no NPS was stored.
    answers = ('[{"field": {"id": "f1", "type": "nps", "ref": "01HQ9Z1K7Y3NPSREF0000000"}, "type": "number", "number": 9},'
               ' {"field": {"id": "f2", "type": "rating", "ref": "b3d7a8e2"}, "type": "number", "number": 4},'
               ' {"field": {"id": "f3", "type": "nps", "ref": "nps_score"}, "type": "number", "number": 7}]')
    content = f'{{"items": [{{"response_id": "r1", "submitted_at": "2026-11-01T10:00:00Z", "answers": {answers}}}]}}'
    rows = _rows(read_raw(_write(tmp_path, "typeform.json", content.encode())))
    assert rows[0] == ["response_id", "submitted_at", "answers.01HQ9Z1K7Y3NPSREF0000000 (NPS)",
                       "answers.b3d7a8e2 (rating)", "answers.nps_score"]


def test_json_errors(tmp_path):
    with pytest.raises(IngestError) as info:
        read_raw(_write(tmp_path, "bad.json", b'[{"a": 1}, {"a": '))
    assert info.value.code == "malformed"
    with pytest.raises(IngestError) as info:
        read_raw(_write(tmp_path, "blank.json", b"   \n"))
    assert info.value.code == "empty"


# --------------------------------------------------------------------------- text helpers
def test_detect_encoding_refuses_binary():
    with pytest.raises(IngestError) as info:
        detect_encoding(bytes(range(256)) * 4)
    assert info.value.code == "not_text"
    assert detect_encoding(b"plain ascii") == ("utf-8", 1.0)
    assert detect_encoding(codecs.BOM_UTF8 + b"x")[0] == "utf-8-sig"


def test_sniff_delimiter_prefers_consistent_splits():
    bg = "№;Дата;Оценка\n1;01.01.2024;4,6\n2;02.01.2024;184,52\n3;03.01.2024;\n"
    assert sniff_delimiter(bg) == ";"
    assert sniff_delimiter('id,comment\n1,"a;b;c"\n2,"d;e"\n') == ","
    assert sniff_delimiter("id\tcomment\n1\tx, y\n") == "\t"
    assert sniff_delimiter("sep=|\nid|x\n") == "|"
    assert sniff_delimiter("single column\nvalue\n") == ","


def test_normalise_persian():
    arr = pa.array(["خيلي خوب بود، پشتيباني", "خدمة سريعة في المتجر", "كيفيت گارانتي", None,
                    "می\u200cخواهم", "يك"])
    out = normalise_persian(arr).to_pylist()
    assert out[0] == "خیلی خوب بود، پشتیبانی"          # has پ -> Persian
    assert out[1] == "خدمة سريعة في المتجر"            # Arabic untouched
    assert out[2] == "کیفیت گارانتی"                    # has گ -> Persian
    assert out[3] is None
    assert out[4] == "می\u200cخواهم"                   # ZWNJ kept
    assert out[5] == "يك"                              # no Persian-only letter: unchanged
    assert normalise_persian(arr, True).to_pylist()[5] == "یک"
    mask = pa.array([False, False, False, False, False, True])
    assert normalise_persian(arr, mask).to_pylist() == ["خيلي خوب بود، پشتيباني", "خدمة سريعة في المتجر",
                                                        "كيفيت گارانتي", None, "می\u200cخواهم", "یک"]


def test_ar_ivr_persian_comments_normalised():
    raw = read_raw(SAMPLES / "ar_ivr_transactional_cp1256.csv")
    comments = raw.table.column(14)
    out = normalise_persian(comments)
    changed = [(a, b) for a, b in zip(comments.to_pylist(), out.to_pylist()) if a != b]
    assert changed, "some Persian comments use Arabic Yeh"
    assert all("\u064a" not in b for _, b in changed)


def test_quoted_newline_after_the_sample(tmp_path):
    # The sample shows no line break inside values, so the fast block splitter is tried
    # first; the late quoted newlines must still come out as single records.
    lines = [b"id,comment"] + [b"%d,plain text number %d" % (i, i) for i in range(120_000)]
    lines[100_000] = b'100000,"late\nline break, with comma"'
    lines[110_000] = b'110000,"another\r\n\r\none"'
    path = _write(tmp_path, "x.csv", b"\n".join(lines) + b"\n")
    assert path.stat().st_size > _csv.SAMPLE_BYTES
    raw = read_raw(path)
    assert raw.table.num_rows == 120_001 and raw.problems == []
    assert raw.table.column(1)[100_000].as_py() == "late\nline break, with comma"
    assert raw.table.column(1)[110_000].as_py() == "another\r\n\r\none"
    assert raw.row_numbers[-1].as_py() == 120_001


def test_office_binary_files(tmp_path):
    # An OLE2 container that is not a workbook (here: a fake one) cannot be opened.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(IngestError) as info:
        read_raw(_write(tmp_path, "old.xls", ole))
    assert info.value.code == "malformed"
    locked = ole + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    with pytest.raises(IngestError) as info:
        read_raw(_write(tmp_path, "locked.xlsx", locked))
    assert info.value.code == "unsupported_format" and "password" in info.value.message


def test_unicode_line_separators_are_not_record_breaks(tmp_path):
    data = "id,comment\n1,a\u2028b\x85c\u2029d\n2,ok\n".encode("utf-8")
    for force_exact in (False, True):
        r = _csv.read_csv(str(_write(tmp_path, "x.csv", data)), encoding=None, delimiter=None,
                          limits=Limits(), force_exact=force_exact)
        assert [list(x.values()) for x in r.table.to_pylist()] == [["id", "comment"], ["1", "a\u2028b\x85c\u2029d"], ["2", "ok"]]


def test_unclosed_quote_that_changes_the_field_count(tmp_path):
    data = b'id,comment,nps\n1,fine,9\n2,"never closed,8\n3,swallowed,7\n'
    raw = read_raw(_write(tmp_path, "x.csv", data))
    assert _rows(raw) == [["id", "comment", "nps"], ["1", "fine", "9"]]
    assert [n for n, _ in raw.problems] == [3] and "never closed" in raw.problems[0][1]


def test_a_json_exports_fingerprint_does_not_depend_on_the_order_its_fields_come_in(tmp_path):
    """Found in review: Typeform leaves out the questions a response did not answer, so the
    columns come in the order the responses first name them, and the next export of the same
    survey looked like another one."""
    from cxdata.ingest.layouts import detect_layout
    from cxdata.ingest.mapping import fingerprint

    a = read_raw(_write(tmp_path, "a.json", b'[{"id": "r1", "nps": 9, "city": "Oslo"}, {"id": "r2", "city": "Rome"}]'))
    b = read_raw(_write(tmp_path, "b.json", b'[{"id": "r3", "city": "Oslo"}, {"id": "r4", "nps": 7, "city": "Rome"}]'))
    assert fingerprint(a, detect_layout(a)) == fingerprint(b, detect_layout(b))


@pytest.mark.parametrize("value, lost", [
    ("???? ????", True),  # Hebrew in Windows-1256: every letter
    ("?????", True),
    ("Team ????", True),
    ("Team 3 ??", True),
    ("ش?راز", True),  # a letter beside others the code page held
    ("فارس?", True),
    ("?", False),  # "unknown"
    ("Why?", False),
    ("Why??", False),
    ("page?id=3", False),
    ("Team A", False),
    (None, False),
])
def test_labels_with_question_marks_where_letters_were(value, lost):
    values = pa.array([value, "Team B", value], pa.string())
    assert lost_letters(values) == ([value] if lost else [])
    assert lost_letters(values.dictionary_encode()) == ([value] if lost else [])


def _raw(fmt, encoding, cells):
    return RawTable(pa.table({"c0": pa.array(cells, pa.string())}), pa.array(range(1, len(cells) + 1)), fmt, encoding, ",", None)


@pytest.mark.parametrize("fmt, encoding, cells, may", [
    ("csv", "cp1256", ["Team", "????"], True),
    ("csv", "cp1251", ["Team", "????"], True),
    ("csv", "utf-8", ["Team", "????"], True),  # all ASCII: nothing tells the code page it was saved in
    ("csv", "utf-8", ["Team", "????", "שלום"], False),  # saved as UTF-8: it holds every letter
    ("csv", "utf-8-sig", ["Team", "????"], False),
    ("csv", "utf-16", ["Team", "????"], False),
    ("xlsx", None, ["Team", "????"], False),
])
def test_files_a_code_page_may_have_written_question_marks_in(fmt, encoding, cells, may):
    assert may_have_lost_letters(_raw(fmt, encoding, cells)) is may


@pytest.mark.parametrize("encoding, found", [
    ("cp1256", {"?????": ("he",), "????": ("bg",)}),  # Hebrew and Cyrillic are lost, Arabic kept
    ("cp1251", {"?????": ("he",), "???????": ("ar",)}),
    (None, {"?????": ("he",), "????": ("bg",), "???????": ("ar",)}),  # not told: each legacy code page
])
def test_what_a_value_with_lost_letters_may_stand_for(encoding, found):
    vocabulary = {"עברית": "he", "Бълг": "bg", "العربية": "ar", "English": "en"}
    assert may_stand_for(["?????", "????", "???????", "???"], vocabulary, encoding) == found
