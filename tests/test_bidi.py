import pytest

from cxdata.bidi import direction


@pytest.mark.parametrize("text, expected", [
    ("یک هفته هیچ‌کس نمی‌دانست سفارشم کجاست.", "rtl"),  # Persian, with ZWNJ
    ("الخدمة ممتازة", "rtl"),  # Arabic
    ("השירות היה מצוין", "rtl"),  # Hebrew
    ("Доставката закъсня", "ltr"),  # Bulgarian
    ("Great service", "ltr"),
    ("123 - عالی بود", "rtl"),  # digits and punctuation have no direction of their own
    ("«OK» خوب", "ltr"),  # the first strong letter decides
    ("", "ltr"), (None, "ltr"), ("12 345 !", "ltr"),
])
def test_direction_follows_the_first_strong_letter(text, expected):
    assert direction(text) == expected


def test_right_to_left_text_is_isolated_for_a_left_to_right_page():
    from cxdata.bidi import PDI, RLI, isolated

    assert isolated("وب‌سایت عالی بود 😊") == RLI + "وب‌سایت عالی بود 😊" + PDI
    assert isolated("Great 😊") == "Great 😊"
    assert isolated("") == ""


def test_a_text_with_its_own_direction_controls_is_contained():
    from cxdata.bidi import FSI, PDI, isolated

    assert isolated("New\u202e") == f"{FSI}New\u202e{PDI}"  # a right-to-left override from a file ends with it
    assert isolated("plain") == "plain"


def test_a_term_set_into_a_sentence_is_isolated_whatever_its_direction():
    from cxdata.bidi import FSI, PDI, RLI, embedded

    assert embedded("پیک") == f"{FSI}پیک{PDI}"
    assert embedded("refund") == f"{FSI}refund{PDI}"  # left to right too: a neighbour may be right to left
    assert embedded("") == ""
    # An end of an isolate without its start would close ours early; a start without its end, leave ours open.
    assert embedded("a\u2069b") == f"{FSI}ab{PDI}"
    assert embedded(f"a{RLI}b") == f"{FSI}a{RLI}b{PDI}{PDI}"
    assert embedded(f"a{RLI}b{PDI}c") == f"{FSI}a{RLI}b{PDI}c{PDI}"
    # A value listed among others: bare where nothing in it runs right to left.
    assert embedded("Sofia", where_needed=True) == "Sofia"
    assert embedded("late سفارش", where_needed=True) == f"{FSI}late سفارش{PDI}"
    assert embedded("١٢", where_needed=True) == f"{FSI}١٢{PDI}"  # Arabic digits


def test_an_isolate_does_not_set_the_direction_of_the_sentence_around_it():
    from cxdata.bidi import embedded

    assert direction(embedded("پیک") + " · matching") == "ltr"  # the bidi rule P2 skips an isolate's letters
    assert direction(embedded("late") + " شد") == "rtl"
    # Nothing outside it: what it holds (a comment as the page shows it, isolated, was set from the
    # right, and a browser test read its direction as left to right)
    assert direction(embedded("پیک")) == "rtl" and direction(embedded("late") + " 12") == "ltr"
    assert direction("\u2067وب\u200cسایت عالی بود 😊\u2069") == "rtl"
