"""Which way a text runs: comments come in Persian, Arabic and Hebrew as well as in English and
Bulgarian, and a right-to-left comment set flush left reads as broken."""

from __future__ import annotations

import unicodedata


def direction(text: str | None) -> str:
    """'rtl' or 'ltr', from the first letter with a strong direction (the Unicode bidi rule P2),
    not counting the letters of an isolate (`embedded`): a sentence that begins with a Persian
    search term in quotes is still an English sentence. 'ltr' for text without one (digits,
    punctuation, empty). A text that is all isolate (a comment as the page shows it, `isolated`)
    has the direction of what the isolate holds."""
    depth, inner = 0, None
    for ch in text or "":
        kind = unicodedata.bidirectional(ch)
        if kind in ("LRI", "RLI", "FSI"):
            depth += 1
        elif kind == "PDI":
            depth = max(0, depth - 1)
        elif depth:
            if inner is None and kind in ("R", "AL", "L"):
                inner = "ltr" if kind == "L" else "rtl"
        elif kind in ("R", "AL"):
            return "rtl"
        elif kind == "L":
            return "ltr"
    return inner or "ltr"


LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"  # left-to-right / right-to-left / first-strong isolate ... its end
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


def embedded(text: str, *, where_needed: bool = False) -> str:
    """`text` of a user or of the data (a search term, a segment's value) ready to sit inside a
    sentence: in a first-strong isolate whatever its direction, so that the two do not reorder
    each other. Left bare, a Persian search in 'matching “پیک” · 2026-Q3 compared with …' took
    the closing quote, the dot and the year into its right-to-left run and the slide read
    'matching “2026 · ”پیک-Q3' (found by a presenter); a left-to-right term beside a right-to-left
    value is at the same risk. An isolate end the text holds without its start would close ours
    early, and a start without its end would leave ours open: the one is left out, the other
    closed. `where_needed`: a text with nothing right to left in it (no such letter, Arabic digit
    or direction control) stays bare, for values listed among others whose right-to-left ones are
    isolated: a PDF's reader then finds "Region: Sofia" by searching for it."""
    if not text or (where_needed and not any(unicodedata.bidirectional(ch) in _REORDERING for ch in text)):
        return text
    out, depth = [], 0
    for ch in text:
        if ch in (LRI, RLI, FSI):
            depth += 1
        elif ch == PDI:
            if not depth:
                continue
            depth -= 1
        out.append(ch)
    return FSI + "".join(out) + PDI * (depth + 1)


_REORDERING = frozenset(("R", "AL", "AN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"))
