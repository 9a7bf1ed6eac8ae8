"""Tables leaving the app as files. Cells that a spreadsheet would run as a formula are
neutralised, because exported comments and rejected rows are untrusted text."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


_WORD = re.compile(r"\w")  # the letters and digits of every script (a Persian region's name)
_NAME_MOST = 120  # characters before the extension: within what file systems and mail clients keep whole
_BYTES_MOST = 240  # and bytes: ext4 and APFS keep 255 of a name, and a Devanagari or CJK letter takes 3
# Characters of one narrowing's value (a search, a theme): room for the rest of the name
_NARROWED_MOST = 30
_DIGEST = 6  # hex digits telling apart two names cut alike


def _kept(ch: str, before: str) -> bool:
    # A vowel sign or a diacritic (Devanagari's, Arabic's harakat) is part of the letter before it:
    # as a separator it cut "दिल्ली" into "द-ल-ल".
    return bool(_WORD.match(ch)) or (unicodedata.category(ch).startswith("M") and before not in ("", "-"))


def _slug(text: str) -> str:
    out = ""
    for ch in unicodedata.normalize("NFC", str(text)):  # a decomposed "São" (from a Mac) as its letters
        out += ch if _kept(ch, out[-1:]) else "" if out.endswith("-") else "-"
    return out.strip("-_")


def _fits(name: str) -> bool:
    return len(name) <= _NAME_MOST and len(name.encode("utf-8")) <= _BYTES_MOST


def _cut(name: str, most: int = _NAME_MOST, most_bytes: int = _BYTES_MOST) -> str:
    end = min(len(name), most)
    while len(name[:end].encode("utf-8")) > most_bytes:
        end -= 1
    while 0 < end < len(name) and unicodedata.category(name[end]).startswith("M"):
        end -= 1  # a letter goes whole or not at all: without its marks it is another letter
    return name[:end].rstrip("-_")


def _digest(text: str) -> str:
    return hashlib.sha1(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()[:_DIGEST]


def _narrowing(name: str, value: str) -> str:
    """'search-late': one narrowing of the rows. A value longer than _NARROWED_MOST is cut and
    followed by a digest of the whole, so that two long searches that begin alike still name two
    files; one of punctuation alone, with nothing left to spell, is named by its digest."""
    slug = _slug(value)
    if slug and len(slug) <= _NARROWED_MOST:
        return f"{name}-{slug}"
    return "-".join(x for x in (name, _cut(slug, _NARROWED_MOST), _digest(value)) if x)


# What a file holds, the first word of its name: the figures of a view (pyramid), a level's bars
# (journeys, touchpoints, teams), a node's trend, its split by a segment (segments, heatmap), what
# moved it (movers), its comments and their themes, the drivers and their matrix (priorities), the
# response rates, the loop's cases and closure, the slides.
KINDS = ("pyramid", "journeys", "touchpoints", "teams", "trend", "segments", "heatmap", "movers", "comments", "themes",
         "drivers", "priorities", "response-rates", "cases", "closure", "slides")


def file_name(what: str | Iterable[str | None], period: str, filters: Iterable[tuple[str, Iterable[str]]] = (),
              ext: str = "csv", *, narrowed: Iterable[tuple[str, str | None]] = ()) -> str:
    """'cx-trend-delivery_tehran-csat-month-2025-Q3-region-Tehran.csv', by one rule for every
    download: what the file holds, the node it is of and its specifics (`what`: (kind, node key,
    specifics...), the kind one of KINDS, the node None where the file is of the whole view; a
    string is the kind alone), then the period, then what narrows its rows (`narrowed`) and the
    view's filters (`filters`: (dimension, value labels) pairs), so that the files of several
    nodes, KPIs or segments downloaded one after another do not overwrite or pass for one
    another. Keys, not display titles: a name stays the same whatever the screen calls the node.
    A filter too long to spell out is counted ('region-5-values').

    `narrowed`: (name, value) pairs that narrow the rows within the view, a list's own filters
    such as the comments' search, score band and theme ('search-late-scores-Detractors-0-6'); an
    empty value narrows nothing. They come before the segments' filters, which are counted or cut
    first; a name still too long is cut and ends with a digest of it whole."""
    parts = [what] if isinstance(what, str) else [x for x in what if x]
    content = "-".join(x for x in map(_slug, parts) if x)
    head = [f"cx-{content or 'table'}", _slug(period) or "period"]
    head += [_narrowing(_slug(n) or "filter", v) for n, v in narrowed if v]
    cut = [(_slug(dim), [v for v in map(_slug, values) if v]) for dim, values in filters]
    cut = [(dim, values) for dim, values in cut if values]
    name = "-".join(head + [f"{dim}-{'-'.join(values)}" for dim, values in cut])
    if not _fits(name):
        whole = name
        counted = [f"{dim}-{values[0]}" if len(values) == 1 else f"{dim}-{len(values)}-values" for dim, values in cut]
        name = "-".join(head + counted)
        if not _fits(name):
            name = _cut(name, _NAME_MOST - _DIGEST - 1, _BYTES_MOST - _DIGEST - 1) + "-" + _digest(whole)
    return f"{name}.{ext}"


def title(what: str, period: str, filters: str = "", *, narrowed: Iterable[tuple[str, str | None]] = ()) -> str:
    """What `file_name` spells in a file's name, in words, for the title a file carries inside it
    (a PDF's): 'Delivery Tehran · 1 Jul – 30 Sep 2025 · search: late · Region: Tehran'. `what`:
    what it holds, by name; `filters`: the view's filters in words (formats.filters_text)."""
    return " · ".join(x for x in (what, period, *(f"{n}: {v}" for n, v in narrowed if v), filters) if x)


def neutralise(value):
    """Prefix text that a spreadsheet would evaluate with an apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _whole_numbers(df: pd.DataFrame) -> pd.DataFrame:
    out = df
    for j in range(len(df.columns)):  # by position: two columns may share a name
        values = df.iloc[:, j]
        if pd.api.types.is_float_dtype(values) and values.notna().any():
            known = values.dropna()
            if (known == known.round()).all() and known.abs().max() < 2**53:
                out = out.copy() if out is df else out
                out.isetitem(j, values.astype("Int64"))
    return out


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its text cells guarded (`neutralise`), and only those: a number, negative or
    not, is no formula, and an apostrophe would make it text ('-40.2 pts' was guarded because a
    figure had been written as text: the tables give numbers as numbers, found by review)."""
    out = df.copy()
    for j in range(len(out.columns)):
        values = out.iloc[:, j]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out.isetitem(j, values.map(neutralise))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so that Excel shows Persian, Arabic, Hebrew and Cyrillic text correctly.
    A column of whole numbers reads as the screen shows it (a score of 2, not 2.0)."""
    buf = io.StringIO()
    safe_frame(_whole_numbers(df)).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


_SHEET_NAME_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})
_MAX_WIDTH = 60


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """An Excel workbook of one sheet: text stays text (never a formula or a link, whatever it
    starts with, so unlike the CSV nothing needs an apostrophe), numbers stay numbers, blanks stay
    blank, right-to-left text reads right to left, and the header row is frozen with filters on."""
    import xlsxwriter

    from cxdata import bidi

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    ws = book.add_worksheet((sheet.translate(_SHEET_NAME_BAD).strip(" '")[:31].strip(" '")) or "Sheet1")
    bold = book.add_format({"bold": True, "bottom": 1})
    rtl = book.add_format({"reading_order": 2, "align": "right"})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    widths = []
    for j, name in enumerate(df.columns):
        ws.write_string(0, j, str(name), bold)
        widths.append(len(str(name)))
    for j in range(len(df.columns)):
        values = df.iloc[:, j].tolist()  # by position: two columns may share a name
        for i, v in enumerate(values, start=1):
            shown = _write_cell(ws, i, j, v, rtl, when, day, bidi)
            if shown > widths[j] and i <= 500:  # widths from the first rows: enough, and bounded
                widths[j] = shown
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w + 2, _MAX_WIDTH))
    if len(df.columns):
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
    book.close()
    return buf.getvalue()


def _write_cell(ws, i: int, j: int, v, rtl, when, day, bidi) -> int:
    """Write one value with its own type; return the width it needs."""
    import datetime as dt
    import math
    import numbers

    try:
        blank = v is None or bool(pd.isna(v))
    except (TypeError, ValueError):  # a list or an array in a cell: written as text below
        blank = False
    if blank:
        return 0
    if isinstance(v, bool):
        ws.write_boolean(i, j, v)
        return 5
    if isinstance(v, numbers.Number) and not isinstance(v, complex):
        if not math.isfinite(float(v)):
            ws.write_string(i, j, str(v))
        else:
            ws.write_number(i, j, float(v) if not isinstance(v, numbers.Integral) else int(v))
        return len(f"{v:g}") if isinstance(v, float) else len(str(v))
    if isinstance(v, dt.datetime):  # pd.Timestamp included; Excel has no time zones: UTC, as stored
        if v.tzinfo is not None:
            v = pd.Timestamp(v).tz_convert("UTC").tz_localize(None)
        ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), when)
        return 16
    if isinstance(v, dt.date):
        ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), day)
        return 10
    text = str(v)
    ws.write_string(i, j, text, rtl if bidi.direction(text) == "rtl" else None)
    return len(text)
