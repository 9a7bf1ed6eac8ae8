"""Matching keys for header text and answer labels, and safe identifier slugs.

A *key* is only ever used to compare text (a header against keywords, an answer against a
scale's labels); the data itself is never replaced by its key. Keys fold the differences that
survey tools introduce without meaning anything: case, Arabic vs Persian letter forms (ي/ی,
ك/ک), diacritics and tatweel, zero-width joiners, Persian/Arabic-Indic digits, punctuation
and runs of whitespace.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = str.maketrans({
    "\u064a": "\u06cc",  # Arabic Yeh -> Farsi Yeh
    "\u0649": "\u06cc",  # Alef Maksura -> Farsi Yeh
    "\u0643": "\u06a9",  # Arabic Kaf -> Keheh
    "\u0629": "\u0647",  # Teh Marbuta -> Heh
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627",  # Alef forms -> Alef
    "\u200c": " ", "\u200d": " ", "\u200e": "", "\u200f": "", "\ufeff": "", "\u0640": "",
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    **{chr(0x0660 + i): str(i) for i in range(10)},
})
# Arabic harakat / tanween and the superscript alef carry no meaning for matching.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# Punctuation that tools add or drop freely; '+', '-', '/', '#' and '%' stay (5+ years, N/A).
_PUNCT = re.compile(r"[\"'`´’‘“”«»()\[\]{}.,;:!?¿¡،؛؟…*_|\\~^]+")
_SPACE = re.compile(r"\s+")
# Technical signs, shapes, dingbats, arrows and emoji (with their variation selector).
_PICTOGRAPHS = re.compile("[\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")


def key(text: object, *, pictographs: bool = False) -> str:
    """Comparison key of a header or label (see the module docstring). `pictographs`: keep them,
    as header fingerprints saved before keys left them out were made."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_LETTERS)
    s = _DIACRITICS.sub("", s).casefold()
    if not pictographs and not s.isascii() and _PICTOGRAPHS.search(s):
        # Emoji and other pictographs beside words ('🤩 Amazing', '⭐ Rating') say nothing the words
        # do not; a label of them alone ('★★★☆☆') keeps them, and so do letterlike signs ('№', '°'),
        # which headers use as words. A regex: a loop over each character of every distinct
        # comment cost a 1M-row ingest 0.5 s.
        words = _PICTOGRAPHS.sub("", s)
        if any(ch.isalnum() for ch in words):
            s = words
    s = _PUNCT.sub(" ", s)
    return _SPACE.sub(" ", s).strip()


_DIGITS = str.maketrans({**{chr(0x06F0 + i): str(i) for i in range(10)},
                         **{chr(0x0660 + i): str(i) for i in range(10)},
                         "\u066b": ".", "\u066c": ",", "\u2212": "-"})


def ascii_digits(text: str) -> str:
    """Persian (U+06F0..) and Arabic-Indic (U+0660..) digits and separators -> ASCII."""
    return text.translate(_DIGITS)


def without_percent(text: str) -> str:
    """'80%' (or the Arabic percent sign) as the number it gives, '80': a score in percent. The
    same rule as the vectorised parser's (values._clean_text)."""
    text = text.strip()
    if text[-1:] in ("%", "\u066a") and text[:-1].rstrip()[-1:].isdigit():
        return text[:-1].rstrip()
    return text


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def header_key(text: object) -> str:
    """key() of a header, with camelCase split ('ResponseId' -> 'response id')."""
    return key(_CAMEL.sub(" ", str(text or "")))


def keyword(kw: str) -> str:
    """A keyword in the same folded form as header keys, keeping its 'w:'/'p:' prefix."""
    if kw.startswith(("w:", "p:")):
        return kw[:2] + key(kw[2:])
    return key(kw)


def has_keyword(header_key: str, keyword: str) -> bool:
    """Keyword test on a key: 'w:xx' = whole word(s), 'p:xx' = word prefix, else substring.

    Short Latin keywords must not fire inside other words ('ip' in 'tip', 'rep' in 'report').
    """
    if keyword.startswith("w:"):
        kw = keyword[2:]
        return re.search(r"(?<![\w])" + re.escape(kw) + r"(?![\w])", header_key) is not None
    if keyword.startswith("p:"):
        kw = keyword[2:]
        return re.search(r"(?<![\w])" + re.escape(kw), header_key) is not None
    return keyword in header_key


_CYRILLIC = dict(zip(
    "абвгдежзийклмнопрстуфхцчшщъьюяѝ",
    ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "h", "ts", "ch", "sh", "sht", "a", "", "yu", "ya", "i"],
))
_SLUG_BAD = re.compile(r"[^a-z0-9]+")


def slug(text: object, max_len: int = 38) -> str:
    """ASCII identifier (a-z, 0-9, _) for a header; '' when nothing Latin survives.

    Slugs become column and measure names downstream, so they must be safe as SQL identifiers
    and stable: Cyrillic is transliterated, other scripts are dropped (the caller falls back).
    """
    s = unicodedata.normalize("NFC", str(text or "")).casefold()
    s = unicodedata.normalize("NFKD", "".join(_CYRILLIC.get(ch, ch) for ch in s))
    s = s.encode("ascii", "ignore").decode()
    s = _SLUG_BAD.sub("_", s).strip("_")
    if s and s[0].isdigit():
        s = "c_" + s
    if len(s) > max_len:  # after the prefix: the whole name fits
        s = s[:max_len].rstrip("_")
    return s


def first_part(label: str) -> str:
    """'English text / متن فارسی' -> 'English text' (bilingual Google Forms headers/labels)."""
    return label.split(" / ")[0].strip() if " / " in label else label.strip()


def parts(label: str) -> list[str]:
    """Every language version of a bilingual 'A / B' label, the whole label first."""
    out = [label]
    if " / " in label:
        out.extend(p.strip() for p in label.split(" / ") if p.strip())
    return out
