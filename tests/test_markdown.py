"""cxdata.markdown.escape: every character kept, none left to format. (How Streamlit's frontend
renders the result is checked in tests/browser/test_browser_markdown.py.)"""

import re

import pytest

from cxdata.markdown import ZWSP, escape
from tests.browser.apps.markdown_escape import CASES, one_line

FORMATTING = set("\\`*_{}[]()#+-.!|<>$~&=^")


def shown(markdown: str) -> str:
    """The characters a reader sees: backslash escapes resolved, zero-width spaces dropped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(ZWSP, "")


def bare(markdown: str) -> list[str]:
    """Formatting characters not preceded by an escaping backslash."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":
            i += 2
            continue
        if markdown[i] in FORMATTING:
            out.append(markdown[i])
        i += 1
    return out


@pytest.mark.parametrize("text", CASES)
def test_escape_keeps_every_character_and_leaves_none_bare(text):
    out = escape(text)
    assert shown(out) == one_line(text)
    assert bare(out) == []
    assert "\n" not in out and not out.startswith(" ")


@pytest.mark.parametrize("text, broken", [
    (":red[x]", ":" + ZWSP + "red"), (":material/home:", ":" + ZWSP + "material"),
    ("http://e.example", "http:" + ZWSP), ("www.e.example", "www" + ZWSP + "\\."), ("a@b.example", "a@" + ZWSP),
    (":100:", ":" + ZWSP + "100"), (":1st_place_medal:", ":" + ZWSP + "1st"),
])
def test_directives_and_bare_links_are_broken_invisibly(text, broken):
    assert broken in escape(text)


def test_plain_text_is_left_alone():
    assert escape("Call center 2") == "Call center 2"
    assert escape("نظر شما") == "نظر شما"
    assert escape(42) == "42"
    assert escape("2025-03-01 19:23") == "2025\\-03\\-01 19:23"  # a copied time is the time
