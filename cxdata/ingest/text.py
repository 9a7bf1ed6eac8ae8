"""Text-level helpers: which encoding a byte sample is in, which delimiter a CSV uses,
and Persian letter normalisation.

Survey exports arrive in UTF-8 (with or without BOM), UTF-16 (Qualtrics TSV, Excel
"Unicode text") and legacy Windows code pages from older tools: windows-1256 (Arabic and
Persian), windows-1251 (Bulgarian/Russian), windows-1255 (Hebrew), windows-1252 (Western),
windows-1250 (Central European, after Western on a tie).
Those code pages map the same byte values to different alphabets, so a generic detector
easily picks the wrong one and silently produces mojibake. We therefore decode the sample
with each candidate and keep the one whose words look like real words of one alphabet.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

# The encodings the app reads by their names for people (the Upload page's choices, messages).
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1256": "Windows-1256 (Arabic, Persian)",
                   "cp1251": "Windows-1251 (Cyrillic)", "cp1255": "Windows-1255 (Hebrew)",
                   "cp1252": "Windows-1252 (Western)", "cp1250": "Windows-1250 (Central European)",
                   "cp1254": "Windows-1254 (Turkish)",
                   "utf-8-sig": "UTF-8 (with byte-order mark)", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}

from .errors import IngestError

__all__ = ["detect_encoding", "sniff_delimiter", "normalise_persian", "strip_sep_line",
           "DELIMITERS", "LEGACY_CANDIDATES", "lost_letters", "may_have_lost_letters", "may_stand_for"]

DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(2**31 - 1)  # long cells are policed by Limits.max_cell_chars
LEGACY_CANDIDATES = ("cp1252", "cp1251", "cp1256", "cp1255", "cp1250", "cp1254")  # order = preference on ties

_NOT_TEXT = (
    "This file does not contain readable text, so it cannot be a CSV or text export. "
    "Check that you picked the right file; if it is a spreadsheet, save it as .xlsx or as "
    "'CSV UTF-8' and upload that."
)

# Bytes that never occur in real text files (TAB, LF, CR, FF and ESC/SUB excepted).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26, 27))
_CONTROL_TABLE = bytes.maketrans(_CONTROL, b"\x00" * len(_CONTROL))


# --------------------------------------------------------------------------- encoding
def detect_encoding(sample: bytes) -> tuple[str, float]:
    """Return (python codec name, confidence 0..1) for a sample of a text file.

    Raises IngestError('not_text') when the bytes are clearly not text (NUL bytes that are
    not UTF-16, or many control characters).
    """
    if sample.startswith(codecs.BOM_UTF32_LE) or sample.startswith(codecs.BOM_UTF32_BE):
        return "utf-32", 1.0
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", 1.0
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", 1.0
    if not sample:
        return "utf-8", 1.0
    if b"\x00" in sample:
        enc = _utf16_without_bom(sample)
        if enc is None:
            raise IngestError("not_text", _NOT_TEXT)
        return enc, 0.9
    if _control_ratio(sample) > 0.01:
        raise IngestError("not_text", _NOT_TEXT)
    try:
        # final=False: a multi-byte character cut off at the end of the sample is fine.
        codecs.utf_8_decode(sample, "strict", False)
        return "utf-8", 1.0
    except UnicodeDecodeError:
        pass
    # Valid multi-byte UTF-8 sequences almost never arise by chance in a legacy code page,
    # so a sample rich in them is UTF-8 with a few foreign bytes (a file pasted together
    # from two sources); reading it as a code page would garble all the good text.
    text = sample.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    if valid >= max(3, 2 * invalid):
        return "utf-8", 0.5
    return _detect_legacy(sample)


def _control_ratio(sample: bytes) -> float:
    translated = sample.translate(_CONTROL_TABLE)
    return translated.count(b"\x00") / len(sample)


def _utf16_without_bom(sample: bytes) -> str | None:
    n = len(sample) - len(sample) % 2
    if n < 4:
        return None
    even_nuls = sample[0:n:2].count(0)
    odd_nuls = sample[1:n:2].count(0)
    half = n // 2
    # ASCII-range characters in UTF-16 have one zero byte; text in any script has plenty
    # of those (digits, commas, spaces, newlines), random binary data does not show the
    # one-sided pattern.
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        enc = "utf-16-le"
    elif even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        enc = "utf-16-be"
    else:
        return None
    try:
        text = codecs.decode(sample[:n], enc, "strict")
    except UnicodeDecodeError:
        return None
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return enc if bad <= 0.01 * len(text) else None


_WORD = re.compile(r"[^\W\d_]+")
_HEBREW_FINALS = frozenset("\u05da\u05dd\u05df\u05e3\u05e5")


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    if ch.isascii():
        return "LATIN"
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "?"


def _word_is_plausible(word: str) -> bool:
    """A word decoded with the right code page uses one alphabet, has a normal case
    pattern (lower, UPPER or Title), and if Latin, is mostly plain ASCII letters."""
    scripts = {_script(ch) for ch in word}
    if len(scripts) != 1:
        return False
    script = scripts.pop()
    if script in ("LATIN", "CYRILLIC", "GREEK"):
        if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
            return False
    if script == "HEBREW" and any(ch in _HEBREW_FINALS for ch in word[:-1]):
        # Final letter forms only ever end a Hebrew word; mid-word they mean the bytes
        # were Cyrillic (к н п у х share those code points).
        return False
    if script == "LATIN":
        accented = sum(1 for ch in word if not ch.isascii())
        if accented >= 3 and accented * 2 > len(word):
            return False
        if accented >= 2 and accented == len(word):
            return False
    return script != "?"


def _coherence(text: str, max_words: int = 1500) -> tuple[float, int]:
    words = []
    for m in _WORD.finditer(text):
        w = m.group()
        if not w.isascii():
            words.append(w)
            if len(words) >= max_words:
                break
    if not words:
        return 0.0, 0
    good = sum(1 for w in words if _word_is_plausible(w))
    return good / len(words), len(words)


_CYRILLIC_LOWER = re.compile("[\u0430-\u044f]")


_CZECH_SLOVAK = frozenset("ěřůčšžťďňľĺŕĚŘŮČŠŽŤĎŇĽĹŔ")


def _czech_as_western(text: str) -> bool:
    """Czech or Slovak bytes read as windows-1252: ý and á stay, while ě, ř, č, ů and ň turn into
    ì, ø, è, ù and ò, letters no language that writes ý uses (found by a review: every word still
    read as plausible, and the two code pages tied)."""
    return text.count("\u00fd") + text.count("\u00dd") >= 2 and any(ch in text for ch in "ìøèùòÌØÈÙÒ")


def _turkish_misread(text: str, enc: str) -> bool:
    """Turkish bytes read as windows-1252 or -1250: its dotless ı (0xFD), one of its commonest
    letters, shows as 'ý'. Windows-1254 differs from these in a few letters only, so all three
    read every word as plausible (found by an audit: a Turkish Excel CSV read as 'Ýstanbul'). The
    languages that do write ý are told apart: in Icelandic (1252) ð is far commoner than ý, and
    Czech and Slovak (1250) write ě, č, š or ž beside it."""
    dotless = text.count("\u00fd") + text.count("\u00dd")
    if dotless < 3 or not any(ch in text for ch in "çüÇÜ"):
        # Turkish writes ç or ü beside its ı nearly always; Icelandic, Czech and Slovak neither.
        return False
    if enc == "cp1252":
        return dotless > text.count("\u00f0") + text.count("\u00d0")
    return not any(ch in _CZECH_SLOVAK for ch in text)


def _detect_legacy(sample: bytes) -> tuple[str, float]:
    sample = sample[:262144]
    high = (len(sample) - len(sample.decode("ascii", errors="ignore"))) or 1
    scored = []
    for rank, enc in enumerate(LEGACY_CANDIDATES):
        text = sample.decode(enc, errors="replace")
        # Bytes the code page does not define are strong evidence against it.
        undefined = text.count("\ufffd")
        coherence, n_words = _coherence(text)
        score = coherence - 5.0 * undefined / high
        if enc == "cp1251":
            # Hebrew read as windows-1251 looks like lower-case Cyrillic, but its most
            # common letter (yod) lands on 'й', which is rare in real Cyrillic text.
            cyr = len(_CYRILLIC_LOWER.findall(text))
            if cyr >= 8 and text.count("\u0439") > 0.06 * cyr:
                score -= 0.3
        if enc in ("cp1252", "cp1250") and _turkish_misread(text, enc):
            score -= 0.3
        if enc == "cp1252" and _czech_as_western(text):
            score -= 0.3
        scored.append((score, -rank, enc, n_words))
    scored.sort(reverse=True)
    best_score, _, best, n_words = scored[0]
    if best_score >= 0.6 and n_words:
        # Few words or a close runner-up = little evidence; keep the confidence honest.
        evidence = min(1.0, n_words / 20)
        margin = best_score - scored[1][0]
        return best, round(best_score * (0.5 + 0.5 * evidence) * min(1.0, 0.5 + margin), 3)
    guess = _charset_normalizer_guess(sample)
    if guess:
        return guess, 0.3
    # Windows-1252 decodes nearly everything; latin-1 decodes everything.
    try:
        sample.decode("cp1252")
        return "cp1252", 0.1
    except UnicodeDecodeError:
        return "latin-1", 0.05


def _charset_normalizer_guess(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional helper only
        return None
    best = from_bytes(sample[:65536]).best()
    if best is None:
        return None
    try:
        return codecs.lookup(best.encoding).name
    except LookupError:
        return None


# --------------------------------------------------------------------------- letters lost to a code page
# A label with '?' where letters were: a word of two or more '?' ('צוות צפון' saved in Windows-1256,
# which has no Hebrew, is '???? ????'; 'Team ????'), or a '?' against a letter other than ASCII
# ('ش?راز': the code page held the other letters). A label's own '?' follows an ASCII letter
# ('Why?') or stands alone ('?' for "unknown"), never so.
LOST_LETTERS = r"(?:^|[^\pL?])\?\?+(?:$|[^\pL?])|[^\x00-\x7F\PL]\?|\?[^\x00-\x7F\PL]"


def lost_letters(values: pa.Array | pa.ChunkedArray) -> list[str]:
    """The distinct values of a label column (dictionary-encoded or not) that hold '?' where
    letters were (LOST_LETTERS). Only the distinct values are read."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    distinct = values.dictionary if pa.types.is_dictionary(values.type) else pc.unique(values)
    if distinct.type != pa.string():
        distinct = distinct.cast(pa.string())
    distinct = distinct.filter(pc.fill_null(pc.match_substring(distinct, "?"), False))
    if not len(distinct):
        return []
    return sorted(distinct.filter(pc.fill_null(pc.match_substring_regex(distinct, LOST_LETTERS), False)).to_pylist())


def may_have_lost_letters(raw) -> bool:
    """Whether the text of `raw` (read.RawTable) may have been written by an encoder of a legacy
    code page, which writes '?' for each character it cannot hold: a CSV read in such a code page,
    or one read as UTF-8 whose text is all ASCII (Hebrew saved in Windows-1256 loses every letter
    that is not ASCII, and nothing then tells the code page). A workbook, or a text with letters
    beyond ASCII in UTF-8 or UTF-16, holds every character."""
    enc = (getattr(raw, "encoding", None) or "").lower().replace("_", "-")
    if getattr(raw, "format", "csv") != "csv" or not enc:
        return False
    if enc != "utf-8":
        return not enc.startswith("utf")  # (a byte-order mark says the file was saved as Unicode)
    return all(pc.all(pc.string_is_ascii(col)).as_py() is not False for col in raw.table.columns)


def _lossy(text: str, encodings) -> set[str]:
    """`text` as each encoder writes it, '?' for each character it cannot hold, compared as
    labels are (spaces collapsed, case folded)."""
    return {" ".join(text.encode(enc, "replace").decode(enc).split()).casefold() for enc in encodings}


def may_stand_for(lost: list[str], vocabulary: dict[str, str], encoding: str | None) -> dict[str, tuple[str, ...]]:
    """{value of `lost`: the values it may stand for}: those of the texts of `vocabulary` ({text of
    a file: value stored}, a column's value map or the model's aliases) that the file's code page
    (each legacy one when the file does not tell) writes as that value. A stored response whose
    label is one of them keeps it: 'עברית' stored as the language 'he', '?????' in a file saved
    in Windows-1256, may stand for it."""
    enc = (encoding or "").lower()
    encodings = LEGACY_CANDIDATES if not enc or enc.startswith("utf") else (enc,)
    want = {" ".join(v.split()).casefold(): v for v in lost}
    out: dict[str, set[str]] = {}
    for text, value in vocabulary.items():
        if value is None or text.isascii():
            continue
        for written in _lossy(text, encodings) & want.keys():
            out.setdefault(want[written], set()).add(str(value))
    return {v: tuple(sorted(labels)) for v, labels in out.items()}


# --------------------------------------------------------------------------- delimiter
_SEP_LINE = re.compile(r"^\ufeff?sep=(.)[ \t]*\r?(\n|$)", re.IGNORECASE)


def strip_sep_line(text_sample: str) -> tuple[str | None, str]:
    """Excel writes 'sep=;' as the first line of some CSVs. Return (delimiter, rest)."""
    m = _SEP_LINE.match(text_sample)
    if not m:
        return None, text_sample
    return m.group(1), text_sample[m.end():]


def _field_counts(text: str, delim: str, max_records: int = 300) -> list[int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"',
                        doublequote=True, strict=False)
    counts = []
    try:
        for record in reader:
            if record:
                counts.append(len(record))
            if len(counts) >= max_records:
                break
    except csv.Error:
        pass
    return counts


def sniff_delimiter(text_sample: str) -> str:
    """Pick the delimiter among , ; TAB | that splits the sample's records into a
    consistent number of fields (quotes respected). An Excel 'sep=X' first line wins."""
    sep, _ = strip_sep_line(text_sample)
    if sep is not None:
        return sep
    # The sample usually ends mid-record; drop that piece unless it is all we have.
    cut = max(text_sample.rfind("\n"), text_sample.rfind("\r"))
    if 0 <= cut < len(text_sample) - 1 and text_sample[:cut].strip():
        text_sample = text_sample[:cut + 1]
    best = (0.0, 0, ",")
    for delim in DELIMITERS:
        if delim not in text_sample:
            continue
        counts = _field_counts(text_sample, delim)
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        consistency = freq / len(counts)
        if counts[0] != mode:
            # The header row disagrees with the data rows: probably a delimiter that only
            # occurs inside values (decimal commas in a ';' file).
            consistency *= 0.5
        candidate = (round(consistency, 3), mode, delim)
        if candidate[:2] > best[:2]:
            best = candidate
    return best[2]


# --------------------------------------------------------------------------- Persian
_ARABIC_YEH, _PERSIAN_YEH = "\u064a", "\u06cc"
_ARABIC_KAF, _PERSIAN_KEHEH = "\u0643", "\u06a9"
# Letters that exist in Persian but not in Arabic: their presence marks a text as Persian.
_PERSIAN_ONLY = "[\u067e\u0686\u0698\u06af\u06cc\u06a9]"


def normalise_persian(arr: pa.Array | pa.ChunkedArray, persian: bool | pa.Array | None = None):
    """Arabic Yeh -> Persian Yeh and Arabic Kaf -> Persian Keheh, only in Persian text.

    persian=None: a value counts as Persian when it contains a Persian-only letter
    (پ چ ژ گ ی ک). persian=True: every value is Persian. A boolean array: per row (e.g.
    language == 'fa'). Arabic text is never touched; ZWNJ (U+200C) is kept as is.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if isinstance(persian, pa.ChunkedArray):
        persian = persian.combine_chunks()
    if len(arr) == 0:
        return arr
    fixed = pc.replace_substring(arr, _ARABIC_YEH, _PERSIAN_YEH)
    fixed = pc.replace_substring(fixed, _ARABIC_KAF, _PERSIAN_KEHEH)
    if persian is True:
        return fixed
    if persian is False:
        return arr
    mask = pc.match_substring_regex(arr, _PERSIAN_ONLY) if persian is None else persian
    return pc.if_else(pc.fill_null(mask, False), fixed, arr)
