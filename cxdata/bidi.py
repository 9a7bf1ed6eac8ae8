"""Which way a text runs: comments come in Persian, Arabic and Hebrew as well as in English and
Bulgarian, and a right-to-left comment set flush left reads as broken."""

from __future__ import annotations

import unicodedata


def direction(text: str | None) -> str:
    """'rtl' or 'ltr', from the first letter with a strong direction (the Unicode bidi rule P2);
    'ltr' for text without one (digits, punctuation, empty)."""
    for ch in text or "":
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


RLI, PDI = "\u2067", "\u2069"  # right-to-left isolate ... pop directional isolate


def isolated(text: str) -> str:
    """`text` ready for a left-to-right page: a right-to-left text inside a right-to-left isolate,
    so that its neutral ends (a final '.', '!' or emoji) sit where its reader expects them, on
    the left, instead of being pulled to the right by the page's direction."""
    return f"{RLI}{text}{PDI}" if direction(text) == "rtl" else text
