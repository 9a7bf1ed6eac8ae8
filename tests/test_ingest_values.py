"""Value parsers: digits, numbers, timestamps (formats, Jalali, DST, ambiguity), checked
against hand-written tables and against the truth figures of the sample files."""
from __future__ import annotations

import datetime as dt
import json
import time
import zoneinfo
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxdata.ingest import _timestamps
from cxdata.ingest.errors import IngestError
from cxdata.ingest.read import read_raw
from cxdata.ingest.values import (excel_serial_to_utc, parse_numbers, parse_timestamps,
                                  parse_timestamps_detailed, to_ascii_digits)

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))


def _column(raw, header: str, header_row: int = 0) -> pa.Array:
    names = raw.table.slice(header_row, 1).to_pylist()[0]
    col = next(k for k, v in names.items() if v == header)
    return raw.table.column(col).slice(header_row + 1).combine_chunks()


def _utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def _quarter(ts: dt.datetime) -> str:
    return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"


def _nps_counts(values: list[float]) -> dict:
    p = sum(v >= 9 for v in values)
    d = sum(v <= 6 for v in values)
    n = len(values)
    return {"n": n, "promoters": p, "passives": n - p - d, "detractors": d,
            "nps": round(100 * (p - d) / n, 1) if n else None}


def _valid_scores(arr, lo, hi) -> list[float]:
    values, bad = parse_numbers(arr)
    return [v for v, b in zip(values.to_pylist(), bad.to_pylist())
            if v is not None and not b and v == int(v) and lo <= v <= hi]


# --------------------------------------------------------------------------- digits
@pytest.mark.parametrize("text,expected", [
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("۱۴۰۴/۰۷/۱۳ ۱۴:۲۵", "1404/07/13 14:25"),
    ("ZC ۰۱۲۳", "ZC 0123"),
    ("٣٫٥", "3.5"),
    ("١٬٢٣٤", "1,234"),
    ("\u22125", "-5"),
    ("plain 42", "plain 42"),
    ("متن بدون عدد", "متن بدون عدد"),
    (None, None),
])
def test_to_ascii_digits(text, expected):
    assert to_ascii_digits(pa.array([text], pa.string())).to_pylist() == [expected]


def test_to_ascii_digits_accepts_lists_and_chunked():
    assert to_ascii_digits(["۵", "x"]).to_pylist() == ["5", "x"]
    chunked = pa.chunked_array([pa.array(["۵"]), pa.array(["٦"])])
    assert to_ascii_digits(chunked).to_pylist() == ["5", "6"]


# --------------------------------------------------------------------------- numbers
NUMBERS = [
    # text, decimal_comma, value, unparseable
    ("4", None, 4.0, False),
    ("+3", None, 3.0, False),
    ("-1", None, -1.0, False),
    (" 9 ", None, 9.0, False),
    ("\u00a09\t", None, 9.0, False),
    ("7.5", None, 7.5, False),
    (".5", None, 0.5, False),
    ("1,234.5", None, 1234.5, False),
    ("1,234,567", None, 1234567.0, False),
    ("1 234", None, 1234.0, False),
    ("1\u00a0234", None, 1234.0, False),
    ("1\u202f234", None, 1234.0, False),
    ("1'234.5", None, 1234.5, False),
    ("۹", None, 9.0, False),
    ("٨", None, 8.0, False),
    ("۱۲٫۵", None, 12.5, False),
    ("2147483648", None, 2147483648.0, False),
    ("4,5", True, 4.5, False),
    ("1 234,5", True, 1234.5, False),
    ("1.234,5", True, 1234.5, False),
    ("1.234", True, 1234.0, False),
    ("184,52", True, 184.52, False),
    ("12", True, 12.0, False),
    ("4,5", False, None, True),
    ("1.234,5", False, None, True),
    ("", None, None, False),
    ("   ", None, None, False),
    (None, None, None, False),
    ("ten", None, None, True),
    ("N/A", None, None, True),
    ("NaN", None, None, True),
    ("inf", None, None, True),
    ("1e1", None, None, True),
    ("1,23,4", None, None, True),
    ("12 34", None, None, True),
    ("--1", None, None, True),
    ("5%", None, 5.0, False),  # a score in percent (found by an audit: read as words)
    ("4,5 %", True, 4.5, False),
    ("۸۰٪", None, 80.0, False),
    ("%", None, None, True),
    ("x%", None, None, True),
]


@pytest.mark.parametrize("text,decimal_comma,value,bad", NUMBERS)
def test_parse_numbers_table(text, decimal_comma, value, bad):
    values, mask = parse_numbers(pa.array([text], pa.string()), decimal_comma=decimal_comma)
    assert values.type == pa.float64() and mask.type == pa.bool_()
    assert values.to_pylist() == [value]
    assert mask.to_pylist() == [bad]


@pytest.mark.parametrize("column,decimal_comma,expected", [
    (["4,6", "184,52", "1 234", None], True, [4.6, 184.52, 1234.0, None]),      # '4,6' proves comma
    (["1.5", "1,234", "2"], False, [1.5, 1234.0, 2.0]),                          # '1.5' proves point
    (["1,234", "2,000"], False, [1234.0, 2000.0]),                               # no evidence: point
    (["1.234,5", "1.000"], True, [1234.5, 1000.0]),
    (["7", "80%", None, " 90 % ", "۸۰٪"], False, [7.0, 80.0, None, 90.0, 80.0]),  # percent in some rows only
])
def test_parse_numbers_infers_decimal_separator(column, decimal_comma, expected):
    values, _ = parse_numbers(pa.array(column, pa.string()))
    assert values.to_pylist() == expected
    values2, _ = parse_numbers(pa.array(column, pa.string()), decimal_comma=decimal_comma)
    assert values2.to_pylist() == expected


def test_parse_numbers_many_repeated_values_take_the_distinct_path():
    col = pa.array(["5", "4,5", "", "x"] * 10_000, pa.string())
    values, bad = parse_numbers(col, decimal_comma=True)
    assert values.to_pylist()[:4] == [5.0, 4.5, None, None]
    assert bad.to_pylist()[:4] == [False, False, False, True]
    assert len(values) == 40_000 and bad.true_count == 10_000


def test_out_of_range_scores_truth():
    truth = TRUTH["bad_inputs"]["out_of_range_scores.csv"]
    raw = read_raw(SAMPLES / "bad" / "out_of_range_scores.csv")
    ids = _column(raw, "response_id").to_pylist()
    header = raw.table.slice(0, 1).to_pylist()[0]
    nps_col = next(v for v in header.values() if v and "nps" in v.lower())
    nps = _column(raw, nps_col)
    values, bad = parse_numbers(nps)
    valid = [i for i, v, b in zip(ids, values.to_pylist(), bad.to_pylist())
             if v is not None and not b and v == int(v) and 0 <= v <= 10]
    assert valid == truth["valid_nps_ids"]
    scores = [v for v, b in zip(values.to_pylist(), bad.to_pylist())
              if v is not None and not b and v == int(v) and 0 <= v <= 10]
    assert _nps_counts(scores) == truth["valid_nps_after_normalisation"]
    by_id = dict(zip(ids, zip(values.to_pylist(), bad.to_pylist())))
    assert by_id["OOR-03"] == (None, True)      # N/A
    assert by_id["OOR-05"] == (None, False)     # empty: missing, not an error
    assert by_id["OOR-12"] == (None, True)      # 1e1
    assert by_id["OOR-16"] == (None, True)      # NaN


def test_bg_partner_decimal_comma_and_thousands_space():
    raw = read_raw(SAMPLES / "bg_partner_transactional_cp1251.csv")
    metrics = TRUTH["files"]["bg_partner_transactional_cp1251.csv"]["metrics"]
    wait, bad = parse_numbers(_column(raw, "Време за изчакване (мин.)"))
    assert bad.true_count == 0
    w = [v for v in wait.to_pylist() if v is not None]
    assert len(w) == metrics["wait_minutes"]["n"]
    assert round(sum(w) / len(w), 3) == metrics["wait_minutes"]["mean"]
    order, bad = parse_numbers(_column(raw, "Стойност на поръчката (лв.)"))
    assert bad.true_count == 0
    o = [v for v in order.to_pylist() if v is not None]
    assert len(o) == metrics["order_value_bgn"]["n"]
    assert round(sum(o), 2) == metrics["order_value_bgn"]["sum"]
    csat = _valid_scores(_column(raw, "Оценка (1-5)"), 1, 5)
    assert len(csat) == metrics["csat_mean_1to5"]["n"]
    assert round(sum(csat) / len(csat), 3) == metrics["csat_mean_1to5"]["mean"]
    assert _nps_counts(_valid_scores(_column(raw, "Препоръка (0-10)"), 0, 10)) == metrics["nps"]


@pytest.mark.parametrize("name,header,header_row", [
    ("ar_ivr_transactional_cp1256.csv", "احتمال التوصية (0-10)", 0),
    ("google_forms_transactional.csv", "How likely are you to recommend Zelvora to a friend or colleague? / "
                                       "چقدر احتمال دارد زلورا را به دیگران پیشنهاد کنید؟", 0),
    ("porsline_relationship.xlsx", "چقدر احتمال دارد زلورا را به دوستان یا همکاران خود پیشنهاد کنید؟", 0),
])
def test_nps_from_sample_files(name, header, header_row):
    raw = read_raw(SAMPLES / name)
    metrics = TRUTH["files"][name]["metrics"]
    counts = _nps_counts(_valid_scores(_column(raw, header, header_row), 0, 10))
    assert {k: counts[k] for k in ("n", "promoters", "passives", "detractors")} == \
        {k: metrics["nps"][k] for k in ("n", "promoters", "passives", "detractors")}


# --------------------------------------------------------------------------- timestamps
TIMESTAMPS = [
    # text, kwargs, expected UTC
    ("2025-10-05 14:25:00", {}, _utc(2025, 10, 5, 14, 25)),
    ("2025-10-05T14:25:00Z", {"tz": "Asia/Tehran"}, _utc(2025, 10, 5, 14, 25)),
    ("2025-10-05T14:25:00+03:30", {}, _utc(2025, 10, 5, 10, 55)),
    ("2025-10-05T14:25:00.250-05:00", {}, _utc(2025, 10, 5, 19, 25, 0, 250000)),
    ("2025-10-05T14:25", {"tz": "Asia/Dubai"}, _utc(2025, 10, 5, 10, 25)),
    ("2025-10-05", {"tz": "Asia/Dubai"}, _utc(2025, 10, 4, 20, 0)),
    ("2024-01-01 06:34:42", {"tz": "Europe/London"}, _utc(2024, 1, 1, 6, 34, 42)),
    ("2024-07-01 06:34:42", {"tz": "Europe/London"}, _utc(2024, 7, 1, 5, 34, 42)),
    ("02/01/2024 12:23:29 PM", {"tz": "Europe/Sofia", "dayfirst": False}, _utc(2024, 2, 1, 10, 23, 29)),
    ("02/01/2024 12:23:29 AM", {"tz": "Europe/Sofia", "dayfirst": False}, _utc(2024, 1, 31, 22, 23, 29)),
    ("13.01.2024 14:05", {"tz": "Europe/Sofia"}, _utc(2024, 1, 13, 12, 5)),
    ("31/12/2024 23:59", {"tz": "Asia/Dubai"}, _utc(2024, 12, 31, 19, 59)),
    ("25-12-24", {}, _utc(2024, 12, 25)),
    ("2025/10/05 2:31:07 PM GMT+3:30", {"tz": "Europe/London"}, _utc(2025, 10, 5, 11, 1, 7)),
    ("2025/10/05 2:31:07 PM GMT-5", {}, _utc(2025, 10, 5, 19, 31, 7)),
    ("۱۴۰۴/۰۷/۱۳ ۱۴:۲۵", {"tz": "Asia/Tehran"}, _utc(2025, 10, 5, 10, 55)),
    ("1404/07/13 14:25", {"tz": "Asia/Tehran"}, _utc(2025, 10, 5, 10, 55)),
    ("۱۴۰۳/۱۲/۳۰ ۰۰:۰۰", {"tz": "Asia/Tehran"}, _utc(2025, 3, 19, 20, 30)),     # leap-year Esfand 30
    ("۱۴۰۰/۰۴/۰۱ ۱۲:۰۰", {"tz": "Asia/Tehran"}, _utc(2021, 6, 22, 7, 30)),     # Iran still had DST (+4:30)
    ("۱۴۰۴/۰۷/۱۳ ۰۲:۲۵ ب.ظ", {"tz": "Asia/Tehran"}, _utc(2025, 10, 5, 10, 55)),
    ("1404-07-13", {"calendar": "gregorian"}, _utc(1404, 7, 13)),
    ("45935.6006944444", {"tz": "Asia/Tehran"}, _utc(2025, 10, 5, 10, 55)),
    ("45935", {}, _utc(2025, 10, 5)),
    # DST edges, Europe/Sofia: 2024-03-31 03:00 -> 04:00, 2024-10-27 04:00 -> 03:00
    ("2024-03-31 02:59:59", {"tz": "Europe/Sofia"}, _utc(2024, 3, 31, 0, 59, 59)),
    ("2024-03-31 03:30:00", {"tz": "Europe/Sofia"}, _utc(2024, 3, 31, 1, 30)),    # never happened: +2 kept
    ("2024-03-31 04:00:00", {"tz": "Europe/Sofia"}, _utc(2024, 3, 31, 1, 0)),
    ("2024-10-27 03:30:00", {"tz": "Europe/Sofia"}, _utc(2024, 10, 27, 0, 30)),   # happened twice: first
    ("2024-10-27 04:00:00", {"tz": "Europe/Sofia"}, _utc(2024, 10, 27, 2, 0)),
    ("2024-11-03 01:30:00", {"tz": "America/New_York"}, _utc(2024, 11, 3, 5, 30)),
    ("2024-02-29 10:00:00", {}, _utc(2024, 2, 29, 10)),
    # month names, as spreadsheets, Zendesk views and e-mails write them (found by an audit: read
    # as a rating of 1 to 31, the day of the month)
    ("06 Jan 2025", {}, _utc(2025, 1, 6)),
    ("06-Jan-2025", {"tz": "Europe/London"}, _utc(2025, 1, 6)),
    ("6 January 2025 08:15", {"tz": "Asia/Dubai"}, _utc(2025, 1, 6, 4, 15)),
    ("Jan 6, 2025 08:15 PM", {}, _utc(2025, 1, 6, 20, 15)),
    ("Sept 30, 2025", {}, _utc(2025, 9, 30)),
    ("Mar 5, 2025", {}, _utc(2025, 3, 5)),
    ("Mon, 06 Jan 2025 08:15:00 +0100", {}, _utc(2025, 1, 6, 7, 15)),
    ("Do, 6. März 2025 14:00", {"tz": "Europe/Berlin"}, _utc(2025, 3, 6, 13, 0)),
    ("12 déc. 2024", {}, _utc(2024, 12, 12)),
    ("3 de abril de 2025", {}, None),  # not a shape the app reads: unparseable, never a wrong date
    # Google Forms in Spanish writes 'p. m.' with a (no-break) space (found by an audit: unread)
    ("23/11/2026 2:05:33 p. m.", {"dayfirst": True}, _utc(2026, 11, 23, 14, 5, 33)),
    ("23/11/2026 12:30:00 a.\u00a0m.", {"dayfirst": True}, _utc(2026, 11, 23, 0, 30)),
    ("23/11/2026 9:05 A. M.", {"dayfirst": True}, _utc(2026, 11, 23, 9, 5)),
    # ... and its 'GMT+1' after them; Persian 'ب.ظ.' with a closing dot (found by an audit: unread)
    ("2025/01/29 7:08:49 a. m. GMT+1", {}, _utc(2025, 1, 29, 6, 8, 49)),
    ("2025/01/29 7:08:49 p.\u00a0m. GMT-5", {}, _utc(2025, 1, 30, 0, 8, 49)),
    ("2025/01/10 3:06:17 ب.ظ. GMT+3:30", {}, _utc(2025, 1, 10, 11, 36, 17)),
    ("۲۰۲۵/۰۱/۱۰ ۱۰:۰۶:۱۷ ق.ظ.", {"tz": "Asia/Tehran"}, _utc(2025, 1, 10, 6, 36, 17)),
    # dotted dates are day-first unless chosen otherwise (a SurveyMonkey export in German kept the
    # layout's month-first order; found by an audit: 3 November was stored as 11 March)
    ("03.11.2026 14:00:00", {}, _utc(2026, 11, 3, 14)),
    ("03.11.2026 14:00:00", {"dayfirst": False}, _utc(2026, 3, 11, 14)),
]


@pytest.mark.parametrize("text,kwargs,expected", TIMESTAMPS)
def test_parse_timestamps_table(text, kwargs, expected):
    values, description = parse_timestamps(pa.array([text]), **kwargs)
    assert values.type == pa.timestamp("us", tz="UTC")
    assert values.to_pylist()[0] == expected, description
    assert isinstance(description, str) and description


@pytest.mark.parametrize("text", ["2023-02-29 10:00:00", "2024-13-01", "2024-04-31", "31/02/2024",
                                  "25:00", "2024-01-01 24:00:00", "2024-01-01 10:61", "yesterday",
                                  "۱۴۰۴/۱۲/۳۰ ۱۰:۰۰", "1404/07/32 10:00", "13/13/2024"])
def test_impossible_dates_are_unparseable(text):
    r = parse_timestamps_detailed(pa.array([text, "2024-01-05 10:00:00"]))
    assert r.values.to_pylist()[0] is None
    assert r.unparseable.to_pylist() == [True, False]
    assert "not understood" in r.description


def test_empty_values_are_not_errors():
    r = parse_timestamps_detailed(pa.array(["", None, "  ", "2024-01-05"]))
    assert r.values.to_pylist()[:3] == [None, None, None]
    assert r.unparseable.to_pylist() == [False, False, False, False]
    assert parse_timestamps(pa.array([], pa.string()))[0].to_pylist() == []


def test_day_month_order_from_the_data():
    values, desc = parse_timestamps(pa.array(["01/02/2024", "25/02/2024"]))
    assert values.to_pylist()[0] == _utc(2024, 2, 1) and "day first" in desc
    values, desc = parse_timestamps(pa.array(["01/02/2024", "02/25/2024"]))
    assert values.to_pylist()[0] == _utc(2024, 1, 2) and "month first" in desc
    # the data wins over the caller's guess
    values, _ = parse_timestamps(pa.array(["01/02/2024", "25/02/2024"]), dayfirst=False)
    assert values.to_pylist()[0] == _utc(2024, 2, 1)
    # day and month equal everywhere: nothing to ask
    assert parse_timestamps(pa.array(["01/01/2024", "02/02/2024"]))[0].to_pylist()[1] == _utc(2024, 2, 2)
    # dotted dates are day-first
    assert parse_timestamps(pa.array(["01.02.2024"]))[0].to_pylist() == [_utc(2024, 2, 1)]


def test_ambiguous_dates_ask_the_user():
    with pytest.raises(IngestError) as info:
        parse_timestamps(pa.array(["01/02/2024", "03/04/2024 10:00"]))
    assert info.value.code == "ambiguous_dates"
    assert "day first" in info.value.message and "month first" in info.value.message
    assert parse_timestamps(pa.array(["01/02/2024"]), dayfirst=True)[0].to_pylist() == [_utc(2024, 2, 1)]
    assert parse_timestamps(pa.array(["01/02/2024"]), dayfirst=False)[0].to_pylist() == [_utc(2024, 1, 2)]
    with pytest.raises(IngestError) as info:
        parse_timestamps(pa.array(["25/01/2024", "01/25/2024"]))
    assert info.value.code == "ambiguous_dates"


def test_ambiguity_is_decided_on_the_whole_column_not_the_sample():
    # 5000 ambiguous values first, the proof of day-first comes late.
    col = pa.array(["03/04/2024 10:00"] * 2500 + ["04/03/2024 11:00"] * 2500 + ["28/04/2024 12:00"])
    values, desc = parse_timestamps(col)
    assert values.to_pylist()[0] == _utc(2024, 4, 3, 10)
    assert values.to_pylist()[-1] == _utc(2024, 4, 28, 12)


def test_excel_serials():
    assert excel_serial_to_utc(pa.array([45935.5, 60, None])).to_pylist() == [_utc(2025, 10, 5, 12), None, None]
    assert excel_serial_to_utc(["45935"], tz="Asia/Dubai").to_pylist() == [_utc(2025, 10, 4, 20)]


def _python_expected(text: str, fmt: str, tz: str) -> dt.datetime:
    local = dt.datetime.strptime(text, fmt)
    return local.replace(tzinfo=zoneinfo.ZoneInfo(tz)).astimezone(dt.timezone.utc)


@pytest.mark.parametrize("fmt,tz", [
    ("%Y-%m-%d %H:%M:%S", "Europe/Sofia"),
    ("%m/%d/%Y %I:%M:%S %p", "America/New_York"),
    ("%d.%m.%Y %H:%M", "Europe/Berlin"),
    ("%d/%m/%Y %H:%M", "Asia/Dubai"),
    ("%Y-%m-%dT%H:%M:%S", "Asia/Tehran"),
])
def test_fast_path_matches_python_over_many_values(fmt, tz):
    rng = np.random.default_rng(11)
    base = dt.datetime(2019, 1, 1)
    stamps = [base + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 6 * 365 * 86400, 30_000)]
    texts = [s.strftime(fmt) for s in stamps]
    values, desc = parse_timestamps(pa.array(texts), tz=tz)
    got = values.to_pylist()
    expected = [_python_expected(t, fmt, tz) for t in texts]
    assert got == expected, desc
    # the general (regex) engine gives the same answers
    utc, ok, *_ = _timestamps._general(pa.array(texts[:3000]), tz, None, None, None)
    assert ok.all()
    assert [_utc(1970, 1, 1) + dt.timedelta(microseconds=int(u)) for u in utc] == expected[:3000]


def test_jalali_month_ends_on_the_fast_path():
    # Enough values for the fast path; day 31 of the first six Jalali months must not be
    # rolled over by the Gregorian strptime.
    texts = [f"1403/{m:02d}/{d:02d} 10:00" for m in range(1, 13) for d in range(1, 32)
             if d <= (31 if m <= 6 else 30 if m < 12 else 30)] * 20
    values, desc = parse_timestamps(pa.array(texts), tz="Asia/Tehran")
    import jdatetime
    for text, got in list(zip(texts, values.to_pylist()))[:400]:
        y, m, d = (int(x) for x in text.split()[0].split("/"))
        g = jdatetime.date(y, m, d).togregorian()
        expected = dt.datetime(g.year, g.month, g.day, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Tehran"))
        assert got == expected.astimezone(dt.timezone.utc), text
    assert "Jalali" in desc


def test_mixed_formats_in_one_column():
    col = pa.array(["2024-01-05 10:00:00"] * 3000 + ["2024-01-05T10:00:00Z", "2024/01/05 10:00 AM GMT+1",
                                                     "45296.5", "garbage"])
    r = parse_timestamps_detailed(col, tz="Europe/London")
    got = r.values.to_pylist()
    assert got[0] == _utc(2024, 1, 5, 10)
    assert got[3000:] == [_utc(2024, 1, 5, 10), _utc(2024, 1, 5, 9), _utc(2024, 1, 5, 12), None]
    assert r.unparseable.to_pylist()[-1] is True and sum(r.unparseable.to_pylist()) == 1


# --------------------------------------------------------------------------- against truth
def _quarters(values: pa.Array) -> Counter:
    return Counter(_quarter(v) for v in values.to_pylist() if v is not None)


def test_porsline_jalali_submit_dates_give_the_waves():
    raw = read_raw(SAMPLES / "porsline_relationship.xlsx")
    r = parse_timestamps_detailed(_column(raw, "زمان ثبت پاسخ"), tz="Asia/Tehran")
    assert r.calendar == "jalali" and r.unparseable.true_count == 0
    waves = TRUTH["files"]["porsline_relationship.xlsx"]["metrics"]["nps_by"]["wave"]
    assert _quarters(r.values) == {w: v["n"] for w, v in waves.items()}


@pytest.mark.parametrize("name,columns,tz,quarters_key,keep", [
    ("google_forms_transactional.csv", ["Timestamp"], "Asia/Tehran", "csat_mean_by_quarter", None),
    ("bg_partner_transactional_cp1251.csv", ["Дата", "Час"], "Europe/Sofia", "csat_mean_by_quarter", None),
    ("ar_ivr_transactional_cp1256.csv", ["التاريخ", "الوقت"], "Asia/Dubai", "csat_mean_by_quarter", None),
    ("typeform_transactional.csv", ["Submit Date (UTC)"], "UTC", "csat_mean_by_quarter",
     ("Response Type", "completed")),
    ("zendesk_csat.csv", ["Ticket solved - Timestamp"], "Europe/London", "csat_good_pct_by_quarter",
     ("Ticket satisfaction rating", "Good|Bad")),
])
def test_transactional_timestamps_give_the_truth_quarters(name, columns, tz, quarters_key, keep):
    raw = read_raw(SAMPLES / name)
    text = _column(raw, columns[0])
    if len(columns) == 2:  # separate date and time columns
        text = pc.binary_join_element_wise(text, _column(raw, columns[1]), " ")
    r = parse_timestamps_detailed(text, tz=tz)
    values = r.values
    if keep:
        mask = pc.match_substring_regex(_column(raw, keep[0]), f"^({keep[1]})$")
        values = values.filter(pc.fill_null(mask, False))
    else:
        assert r.unparseable.true_count == 0, r.description
    expected = {q: v["n"] for q, v in TRUTH["files"][name]["metrics"][quarters_key].items()}
    assert _quarters(values) == expected, r.description


def test_qualtrics_and_surveymonkey_dates():
    raw = read_raw(SAMPLES / "qualtrics_relationship.csv")
    r = parse_timestamps_detailed(_column(raw, "RecordedDate").slice(2), tz="Asia/Dubai")
    assert r.unparseable.true_count == 0 and "YYYY-MM-DD HH:MM:SS" in r.description
    raw = read_raw(SAMPLES / "surveymonkey_relationship.xlsx")
    r = parse_timestamps_detailed(_column(raw, "Start Date").slice(1), tz="Europe/Sofia")
    assert r.unparseable.true_count == 0 and r.dayfirst is False
    assert "MM/DD/YYYY" in r.description


# --------------------------------------------------------------------------- speed (printed)
def test_timing_1m_values(capsys):
    rng = np.random.default_rng(5)
    n = 1_000_000
    stamps = pa.array(np.datetime64("2024-01-01T00:00:00")
                      + rng.integers(0, 6e7, n).astype("timedelta64[s]")).cast(pa.string())
    scores = pa.array(rng.integers(0, 11, n)).cast(pa.string())
    decimals = pc.replace_substring(pa.array(rng.random(n).round(3)).cast(pa.string()), ".", ",")
    out = []
    for label, fn in [("ISO timestamps, Europe/Sofia", lambda: parse_timestamps(stamps, tz="Europe/Sofia")),
                      ("0-10 scores", lambda: parse_numbers(scores)),
                      ("decimal-comma numbers", lambda: parse_numbers(decimals))]:
        started = time.perf_counter()
        result = fn()
        out.append(f"{label}: {time.perf_counter() - started:.2f} s")
        assert len(result[0]) == n
    with capsys.disabled():
        print("\n1M values -> " + "; ".join(out))


def test_unknown_time_zone():
    with pytest.raises(IngestError) as info:
        parse_timestamps(pa.array(["2024-01-01 10:00"]), tz="Mars/Olympus")
    assert info.value.code == "bad_timezone"
    # a zone is only needed for local times
    assert parse_timestamps(pa.array(["2024-01-01T10:00Z"]), tz="Mars/Olympus")[0].to_pylist() == [_utc(2024, 1, 1, 10)]


@pytest.mark.parametrize("texts, fast", [
    (["2024-10-01 00:08:47.000000Z", "2024-10-02T23:59:59Z", None], True),
    (["2024-10-01T00:08:47+03:30", "2024-03-31 02:30:00-05:00", "2024-10-01 00:08:47.123+0330"], True),
    (["2024-10-01 00:08:47", "2024-10-02 00:08:47"], False),           # naive: the file's time zone applies
    (["1402-10-01T00:08:47+03:30", "1402-10-02T00:08:47Z"], False),   # could be Jalali years
    (["2024-10-01 00:08:47Z", "2024-02-30 00:00:00Z"], False),        # one invalid date: the general parser reports it
    (["2024-10-01 00:08:47Z", "01/10/2024 10:00"], False),            # mixed shapes
])
def test_zoned_iso_fast_path_agrees_with_the_general_parser(texts, fast):
    from cxdata.ingest import values as v

    text = v._clean_text(pa.array(texts, pa.string()))
    got = v._zoned_iso(text, "Europe/Sofia", None, None)
    assert (got is not None) == fast
    if fast:
        ref = v._parse_ts(text, "Europe/Sofia", None, None)
        assert got.values.equals(ref.values) and got.description == ref.description
        assert not pc.any(got.unparseable).as_py()


def test_zoned_iso_describes_a_column_whose_first_rows_are_blank():
    from cxdata.ingest import values as v

    text = v._clean_text(pa.array([None] * 3000 + ["2024-10-01T00:08:47Z", "2024-10-02T10:00:00+03:30"], pa.string()))
    got = v._zoned_iso(text, "UTC", None, None)
    assert got is not None and got.formats and "YYYY-MM-DD" in got.description
