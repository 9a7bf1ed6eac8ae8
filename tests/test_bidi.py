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
