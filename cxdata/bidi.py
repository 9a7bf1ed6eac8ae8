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


RLI, FSI, PDI = "\u2067", "\u2068", "\u2069"  # right-to-left / first-strong isolate ... pop directional isolate
# Embeddings, overrides and isolates a text may open: left open, they run on into what follows it.
_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def isolated(text: str) -> str:
    """`text` ready for a left-to-right page: a right-to-left text inside a right-to-left isolate,
    so that its neutral ends (a final '.', '!' or emoji) sit where its reader expects them, on
    the left, instead of being pulled to the right by the page's direction. A text holding its own
    direction controls (an override from a file) is isolated too, so that they end with it: the
    isolate's end closes every embedding and override opened inside it."""
    if direction(text) == "rtl":
        return f"{RLI}{text}{PDI}"
    return f"{FSI}{text}{PDI}" if any(ch in _CONTROLS for ch in text) else text
