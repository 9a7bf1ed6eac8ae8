import pandas as pd
import pytest

from cxdata.export import neutralise, to_csv_bytes, to_xlsx_bytes


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("plain", "plain"), ("خیلی خوب", "خیلی خوب"), (5, 5), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_is_utf8_with_bom_and_safe():
    data = to_csv_bytes(pd.DataFrame({"=bad header": ["=1+1", "نظر"], "n": [1, 2]}))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=bad header" in text and "'=1+1" in text and "نظر" in text


def _sheet(data: bytes):
    import io

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.sheet_names, book.get_sheet_by_index(0).to_python()


def test_xlsx_keeps_text_verbatim_and_never_as_formula_or_link():
    import io
    import zipfile

    df = pd.DataFrame({"=h": ["=1+1", "@SUM(A1)", "http://example.com", "007", "1e5"]})
    data = to_xlsx_bytes(df, "Comments")
    names, rows = _sheet(data)
    assert names == ["Comments"] and rows == [["=h"], ["=1+1"], ["@SUM(A1)"], ["http://example.com"], ["007"], ["1e5"]]
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "hyperlink" not in xml


def test_xlsx_keeps_types_and_blanks():
    import datetime as dt

    df = pd.DataFrame({"n": pd.array([40, None], dtype="Int64"), "v": [1.5, float("nan")], "ok": [True, False],
                       "at": pd.to_datetime(["2026-01-02 10:30", "2026-01-03 00:00"], utc=True).tz_convert("Asia/Tehran")})
    _, rows = _sheet(to_xlsx_bytes(df))
    assert rows[1] == [40, 1.5, True, dt.datetime(2026, 1, 2, 10, 30)]  # times in UTC, as stored
    assert rows[2][:3] == ["", "", False] and str(rows[2][3])[:10] == "2026-01-03"


def test_xlsx_right_to_left_text_reads_right_to_left():
    import io
    import zipfile

    data = to_xlsx_bytes(pd.DataFrame({"c": ["خیلی خوب بود", "fine"]}))
    styles = zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml").decode()
    assert 'readingOrder="2"' in styles


@pytest.mark.parametrize("name, expected", [("Comments: a/b", "Comments  a b"), ("x" * 40, "x" * 31), ("[]", "Sheet1"),
                                            ("'quoted'", "quoted")])
def test_xlsx_sheet_names_are_made_valid(name, expected):
    assert _sheet(to_xlsx_bytes(pd.DataFrame({"a": [1]}), name))[0] == [expected]


def test_csv_writes_whole_numbers_as_the_screen_shows_them():
    text = to_csv_bytes(pd.DataFrame({"Score": [2.0, None, 5.0], "value": [4.25, 3.0, None]})).decode("utf-8-sig")
    assert text.splitlines() == ["Score,value", "2,4.25", ",3.0", "5,"]


def test_xlsx_takes_odd_frames():
    import decimal

    import numpy as np

    df = pd.DataFrame([[1, np.float32("nan"), decimal.Decimal("NaN"), [1, 2], float("inf")]],
                      columns=["a", "a", "d", "l", "i"])  # two columns of one name
    _, rows = _sheet(to_xlsx_bytes(df, "x" * 30 + "'y"))
    assert rows == [["a", "a", "d", "l", "i"], [1, "", "", "[1, 2]", "inf"]]
    assert _sheet(to_xlsx_bytes(pd.DataFrame()))[1] in ([], [[]])


def test_csv_takes_two_columns_of_one_name():
    text = to_csv_bytes(pd.DataFrame([["=x", 2.0]], columns=["a", "a"])).decode("utf-8-sig")
    assert text.splitlines() == ["a,a", "'=x,2"]


@pytest.mark.parametrize("what, period, filters, ext, expected", [
    ("pyramid", "2025 Q3", (), "csv", "cx-pyramid-2025-Q3.csv"),
    ("comments-team_billing", "1 Jul – 30 Sep 2025", (), "xlsx", "cx-comments-team_billing-1-Jul-30-Sep-2025.xlsx"),
    ("pyramid", "2025 Q3", [("region", ["Tehran", "Isfahan"]), ("tier", ["SMB"])], "csv",
     "cx-pyramid-2025-Q3-region-Tehran-Isfahan-tier-SMB.csv"),
    # a segment in another script keeps its letters; a label with punctuation keeps its words
    ("pyramid", "2025 Q3", [("region", ["تهران"]), ("language", ["Persian (Farsi)"])], "csv",
     "cx-pyramid-2025-Q3-region-تهران-language-Persian-Farsi.csv"),
    # nothing of the filter survives: it is not named at all rather than as 'region-'
    ("pyramid", "2025 Q3", [("region", ["!!"])], "png", "cx-pyramid-2025-Q3.png"),
    # a path in a value cannot leave the download folder
    ("../../etc", "2025 Q3", [("region", ["../x"])], "csv", "cx-etc-2025-Q3-region-x.csv"),
])
def test_file_name_says_what_period_and_filters(what, period, filters, ext, expected):
    from cxdata.export import file_name

    assert file_name(what, period, filters, ext) == expected


def test_file_name_counts_a_filter_too_long_to_spell_out():
    from cxdata.export import file_name

    many = [f"Region number {i}" for i in range(30)]
    name = file_name("pyramid", "2025 Q3", [("region", many), ("tier", ["SMB"])], "csv")
    assert name == "cx-pyramid-2025-Q3-region-30-values-tier-SMB.csv"
    assert len(file_name("pyramid", "2025 Q3", [(f"dim{i}", many) for i in range(20)], "csv")) <= 124


@pytest.mark.parametrize("value, expected", [
    # vowel signs and diacritics are part of their letters: "नई-द-ल-ल" did not name Delhi
    ("नई दिल्ली", "cx-pyramid-2025-Q3-city-नई-दिल्ली.csv"),
    ("مُحَمَّد", "cx-pyramid-2025-Q3-city-مُحَمَّد.csv"),
    # a value a Mac wrote decomposed reads as its composed letters, not "Sa-o"
    ("Sa\u0303o Paulo", "cx-pyramid-2025-Q3-city-São-Paulo.csv"),
])
def test_file_name_keeps_letters_with_their_marks(value, expected):
    from cxdata.export import file_name

    assert file_name("pyramid", "2025 Q3", [("city", [value])], "csv") == expected


def test_file_name_fits_file_systems_in_bytes():
    # ext4 and APFS keep 255 bytes of a name: 120 characters of a script of three bytes a
    # letter (CJK, Devanagari) were 360.
    from cxdata.export import file_name

    for value in ("東京都" * 60, "दिल्ली" * 60, "تهران" * 60, "x" * 500):
        name = file_name("pyramid", "2025 Q3", [("city", [value])], "xlsx")
        assert len(name.encode("utf-8")) <= 255 and name.endswith(".xlsx") and name.startswith("cx-pyramid-2025-Q3-city-")


@pytest.mark.parametrize("narrowed, expected", [
    ([], "cx-comments-billing-csat-2025-Q3-region-Tehran.csv"),
    ([("search", "late"), ("scores", "Bottom box (1–2)"), ("theme", "Late delivery")],
     "cx-comments-billing-csat-2025-Q3-search-late-scores-Bottom-box-1-2-theme-Late-delivery-region-Tehran.csv"),
    ([("search", ""), ("scores", None), ("theme", "Prices")], "cx-comments-billing-csat-2025-Q3-theme-Prices-region-Tehran.csv"),
    # a search in another script keeps its letters, its joiner a separator; nothing typed is a path
    ([("search", "سفارش‌ها دیر")], "cx-comments-billing-csat-2025-Q3-search-سفارش-ها-دیر-region-Tehran.csv"),
    ([("search", "../../x")], "cx-comments-billing-csat-2025-Q3-search-x-region-Tehran.csv"),
    # punctuation alone leaves nothing to spell: named by a digest, still not the unfiltered name
    ([("search", "?!")], r"cx-comments-billing-csat-2025-Q3-search-[0-9a-f]{6}-region-Tehran\.csv"),
    # a long search is cut, then a digest of it whole tells two that begin alike apart
    ([("search", "the courier never came " * 5)],
     r"cx-comments-billing-csat-2025-Q3-search-the-courier-never-came-the-cou-[0-9a-f]{6}-region-Tehran\.csv"),
])
def test_file_name_says_what_narrows_the_rows(narrowed, expected):
    import re

    from cxdata.export import file_name

    name = file_name("comments-billing-csat", "2025 Q3", [("region", ["Tehran"])], "csv", narrowed=narrowed)
    assert re.fullmatch(expected, name) if "[0-9a-f]" in expected else name == expected


def test_two_narrowings_of_one_view_name_two_files_however_long():
    from cxdata.export import file_name

    many = [("region", [f"Region number {i}" for i in range(30)]), ("tier", ["Small and medium business"] * 3)]
    searches = ["x" * 200 + "a", "x" * 200 + "b", "late", "Late delivery", "?!", "!?"]
    themes = ["Late delivery", "Late delivery and the couriers who cause it", "تأخیر در ارسال و بسته‌های آسیب‌دیده"]
    names = {file_name("comments-web_persian-csat", "1 Jul – 30 Sep 2025", many, "xlsx",
                       narrowed=[("search", q), ("scores", "Bottom box (1–2)"), ("theme", t)])
             for q in searches for t in themes}
    assert len(names) == len(searches) * len(themes)
    assert all(len(n) <= 125 and len(n.encode("utf-8")) <= 255 for n in names)


def test_file_name_cut_to_fit_does_not_keep_a_letter_without_its_marks():
    from cxdata.export import _cut

    name = "a" * 119 + "दि"  # the vowel sign U+093F would be the 121st character
    assert _cut(name) == "a" * 119


@pytest.mark.parametrize("what, expected", [
    # one rule: kind, node key, specifics, then period, narrowings, filters
    (("trend", "delivery_tehran", "csat", "month"), "cx-trend-delivery_tehran-csat-month-2025-Q3-region-Tehran.png"),
    (("segments", "delivery_tehran", "csat", "by-region"), "cx-segments-delivery_tehran-csat-by-region-2025-Q3-region-Tehran.png"),
    (("movers", "delivery", "csat", "by-teams"), "cx-movers-delivery-csat-by-teams-2025-Q3-region-Tehran.png"),
    (("comments", "index", "nps"), "cx-comments-index-nps-2025-Q3-region-Tehran.png"),
    # a file of the whole view names no node
    (("response-rates", None, "by-channel"), "cx-response-rates-by-channel-2025-Q3-region-Tehran.png"),
    ("pyramid", "cx-pyramid-2025-Q3-region-Tehran.png"),
    # each part is spelled on its own: nothing in a key is a path
    (("trend", "../x", "csat"), "cx-trend-x-csat-2025-Q3-region-Tehran.png"),
])
def test_every_file_is_named_kind_node_specifics_period_filters(what, expected):
    """Found by review: internal keys in some names, a chart's display title in another
    ('cx-movers-What-moved-Delivery-…'), the node before the kind in a third ('cx-delivery_tehran-by-region-…')."""
    from cxdata.export import KINDS, file_name

    assert file_name(what, "2025 Q3", [("region", ["Tehran"])], "png") == expected
    assert (what if isinstance(what, str) else what[0]) in KINDS


@pytest.mark.parametrize("what, period, filters, narrowed, expected", [
    ("Delivery Tehran", "1 Jul – 30 Sep 2025", "Region: Tehran, Isfahan", [("search", "late"), ("scores", None)],
     "Delivery Tehran · 1 Jul – 30 Sep 2025 · search: late · Region: Tehran, Isfahan"),
    ("CX index", "2025 Q3", "", [], "CX index · 2025 Q3"),
])
def test_a_files_title_says_in_words_what_its_name_spells(what, period, filters, narrowed, expected):
    from cxdata.export import title

    assert title(what, period, filters, narrowed=narrowed) == expected


def test_the_formula_guard_prefixes_text_cells_only_never_numbers():
    """A negative number is not a formula: only text that a spreadsheet would run is guarded,
    in a text column or among numbers in a mixed one."""
    df = pd.DataFrame({"d": [-40.2, 1.5], "n": pd.array([-3, None], dtype="Int64"), "f": pd.array([-0.5, None], dtype="Float64"),
                       "mixed": [-7, "-7 pts"], "t": ["=1+1", "fine"]})
    rows = to_csv_bytes(df).decode("utf-8-sig").splitlines()
    assert rows[1:] == ["-40.2,-3,-0.5,-7,'=1+1", "1.5,,,'-7 pts,fine"]
