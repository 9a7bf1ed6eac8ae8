import duckdb
import pytest

from cxdata import search


def matches(phrase: str, text: str) -> bool:
    return duckdb.execute("SELECT regexp_matches(?, ?)", [text, search.pattern(phrase)]).fetchall()[0][0]


@pytest.mark.parametrize("phrase, text, found", [
    ("late", "The courier was LATE again", True),
    ("is it", "Waited 45 min, is it normal?", True),
    ("is it", "is  it", True),  # any run of spaces between Latin words
    ("isit", "is it", False),  # Latin words keep their spaces
    ("is it", "isit", False),
    ("45", "۴۵ دقیقه منتظر ماندم", True),  # Persian digits
    ("۴۵", "waited 45 minutes", True),
    ("٤٥", "۴۵ دقیقه", True),  # Arabic-Indic for Persian
    ("مرکز", "مركز الاتصال", True),  # Arabic kaf
    ("خيلي", "خیلی خوب", True),  # Arabic yeh
    ("تاخیر", "تأخیر در ارسال", True),  # hamza on alef written or not
    ("مسیول", "مسئول پاسخگو نبود", True),
    ("الفاتوره", "الفاتورة واضحة", True),  # teh marbuta
    ("سفارشها", "سفارش‌ها", True),  # joiner left out
    ("بسته ام", "بسته‌ام", True),  # a joiner typed as a space
    ("بستهام", "بسته ام", True),
    ("بسته‌ام", "بستهام", True),
    ("مرکز", "مـرکـز", True),  # tatweel
    ("بسته", "بسیار", False),
    # nothing typed is pattern syntax
    (".*", "anything", False),
    ("a+b", "a+b", True),
    ("a+b", "aab", False),
    ("[x]", "[x]", True),
    ("\\d", "5", False),
    ("(?i)", "x", False),
])
def test_a_phrase_finds_the_comments_that_write_it_any_way(phrase, text, found):
    assert matches(phrase, text) is found


def test_a_long_phrase_gives_a_pattern_re2_takes():
    assert matches("سفارش" * 40, "سفارش" * 40)
