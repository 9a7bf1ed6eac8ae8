"""Value parsers: text columns -> numbers and UTC timestamps, vectorised.

All work is done with pyarrow.compute (RE2 regexes, casts, strptime) and numpy arithmetic
over whole columns. Python only loops over *distinct* calendar days (time-zone offsets)
and distinct Jalali dates (calendar conversion): a few thousand at most, even for 10
million rows. Columns with many repeated values are parsed once per distinct value.

Numbers: Persian/Arabic-Indic digits are normalised first (so '۹' is 9). Accepted forms:
'4', '+3', '-1', '4.5', '.5', '4,5' (decimal comma), '1,234.5', '1.234,5', '1 234,5' and
'1 234' (space, NBSP, narrow NBSP, thin space or apostrophe as thousands separator, only in
proper groups of three). Rejected (flagged as unparseable): words, 'N/A', 'NaN', 'inf',
scientific notation ('1e1'), misplaced separators. Range checks (NPS 0-10...) and
"must be an integer" are the caller's business: '7.5' and '2147483648' are numbers here.

Timestamps: see parse_timestamps.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._timestamps import TimestampParse, local_to_utc, parse as _parse_ts, serial_to_local_us

__all__ = ["to_ascii_digits", "parse_numbers", "parse_timestamps", "parse_timestamps_detailed",
           "TimestampParse", "excel_serial_to_utc"]

_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC = "٠١٢٣٤٥٦٧٨٩"
_NON_ASCII_DIGIT = "[\u06f0-\u06f9\u0660-\u0669\u066b\u066c\u2212]"
_DISTINCT_MIN = 20_000  # below this, dictionary-encoding costs more than it saves
_WEIRD_SPACES = "[\u00a0\u202f\u2009\u2007\u200e\u200f]"
_TRIM = " \t\r\n\u00a0\u202f\u2009\u2007\u200e\u200f"


def _as_string_array(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    elif not isinstance(arr, pa.Array):
        arr = pa.array(list(arr), type=pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _distinct(arr: pa.Array):
    """(dictionary, indices) when the column repeats itself enough to parse distinct
    values only, else None."""
    if len(arr) < _DISTINCT_MIN:
        return None
    # Hashing a column of unique values (timestamps, ids) costs as much as parsing it, so
    # look at a slice first.
    head = arr.slice(0, _DISTINCT_MIN)
    if pc.count_distinct(head).as_py() * 4 > len(head):
        return None
    enc = pc.dictionary_encode(arr)
    if len(enc.dictionary) * 2 > len(arr):
        return None
    return enc.dictionary, enc.indices


# --------------------------------------------------------------------------- digits
def to_ascii_digits(arr) -> pa.Array:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits -> 0-9; Arabic decimal separator '٫' ->
    '.', Arabic thousands separator '٬' -> ','; the minus sign U+2212 -> '-'."""
    arr = _as_string_array(arr)
    if len(arr) == 0 or pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():
        return arr
    if not pc.any(pc.match_substring_regex(arr, _NON_ASCII_DIGIT)).as_py():
        return arr
    for i in range(10):
        arr = pc.replace_substring(arr, _PERSIAN[i], str(i))
        arr = pc.replace_substring(arr, _ARABIC[i], str(i))
    arr = pc.replace_substring(arr, "\u066b", ".")
    arr = pc.replace_substring(arr, "\u066c", ",")
    return pc.replace_substring(arr, "\u2212", "-")


def _clean_text(arr) -> pa.Array:
    """Digits to ASCII, odd spaces to plain spaces, trimmed, empty -> null."""
    s = to_ascii_digits(arr)
    if not pc.all(pc.fill_null(pc.string_is_ascii(s), True)).as_py():
        s = pc.replace_substring_regex(s, _WEIRD_SPACES, " ")
    s = pc.utf8_trim(s, _TRIM)
    # '80%' (or the Arabic percent sign) is the number 80: a score given in percent (_text.without_percent).
    # The regex runs only where a value ends in a percent sign: over a column of a million
    # times it took 0.36 s, nearly all of this function's time.
    if pc.any(pc.or_(pc.ends_with(s, "%"), pc.ends_with(s, "\u066a"))).as_py():
        s = pc.replace_substring_regex(s, "^([+-]?[0-9][0-9.,' ]*?) ?[%\u066a]$", "\\1")
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


# --------------------------------------------------------------------------- numbers
_SEPS = "[ '\u2019]"  # after _clean_text every exotic space is a plain space
_GROUPED_SPACE = rf"^[+-]?\d{{1,3}}({_SEPS}\d{{3}})+([.,]\d+)?$"
_SIMPLE = r"^[+-]?\d+(\.\d+)?$"
_PLAIN_DOT = r"^[+-]?(\d+\.?\d*|\.\d+)$"               # 4  4.5  4.  .5
_PLAIN_COMMA = r"^[+-]?(\d+,\d*|,\d+)$"                 # 4,5
_INTEGER = r"^[+-]?\d+$"
_COMMA_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"   # 1,234  1,234.5
_DOT_THOUSANDS = r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"     # 1.234  1.234,5
# A separator followed by other than exactly three digits cannot be a thousands separator.
_EVIDENCE_COMMA = r"^[+-]?\d*,(\d{1,2}|\d{4,})$|\.\d{3},"
_EVIDENCE_DOT = r"^[+-]?\d*\.(\d{1,2}|\d{4,})$|,\d{3}\."


def _count(mask) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def parse_numbers(arr, *, decimal_comma: bool | None = None) -> tuple[pa.Array, pa.Array]:
    """Text -> (float64 values, bool mask of non-empty values that are not numbers).

    decimal_comma=None infers the convention from the column: a value such as '4,5' or
    '1.234,5' means decimal comma, '4.5' or '1,234.5' means decimal point; with no evidence
    either way ('1,234' only) the decimal point wins. Empty and whitespace-only cells give
    null and are not flagged.
    """
    arr = _as_string_array(arr)
    if len(arr) == 0:
        return pa.array([], pa.float64()), pa.array([], pa.bool_())
    d = _distinct(arr)
    if d is not None:
        values, bad = parse_numbers(d[0], decimal_comma=decimal_comma)
        return pc.take(values, d[1]), pc.fill_null(pc.take(bad, d[1]), False)
    s = _clean_text(arr)
    if decimal_comma is not True:
        simple = pc.match_substring_regex(s, _SIMPLE)
        if pc.all(pc.fill_null(simple, True)).as_py():
            # The usual case: plain integers and decimals with a point.
            return pc.cast(s, pa.float64()), pa.array(np.zeros(len(s), dtype=bool))
    if decimal_comma is None:
        comma = _count(pc.match_substring_regex(s, _EVIDENCE_COMMA))
        dot = _count(pc.match_substring_regex(s, _EVIDENCE_DOT))
        decimal_comma = comma > dot
    grouped = pc.fill_null(pc.match_substring_regex(s, _GROUPED_SPACE), False)
    s = pc.if_else(grouped, pc.replace_substring_regex(s, _SEPS, ""), s)
    if decimal_comma:
        ok = pc.or_(pc.or_(pc.match_substring_regex(s, _DOT_THOUSANDS),
                           pc.match_substring_regex(s, _PLAIN_COMMA)),
                    pc.match_substring_regex(s, _INTEGER))
        cleaned = pc.replace_substring(pc.replace_substring(s, ".", ""), ",", ".")
    else:
        ok = pc.or_(pc.match_substring_regex(s, _COMMA_THOUSANDS), pc.match_substring_regex(s, _PLAIN_DOT))
        cleaned = pc.replace_substring(s, ",", "")
    ok = pc.fill_null(ok, False)
    values = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
    bad = pc.and_(pc.is_valid(s), pc.invert(ok))
    return values, pc.fill_null(bad, False)


# --------------------------------------------------------------------------- timestamps
def parse_timestamps(arr, *, tz: str = "UTC", dayfirst: bool | None = None,
                     calendar: str | None = None) -> tuple[pa.Array, str]:
    """Text -> (timestamp[us, tz=UTC], description of the detected format).

    Understands ISO 8601 (with or without 'T', seconds, fractions, 'Z' or an offset),
    'YYYY/MM/DD', day-first and month-first 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY',
    'DD-MM-YYYY' (two-digit years too), 12-hour clocks with AM/PM (also Persian ق.ظ/ب.ظ
    and Arabic ص/م), Google Forms' 'GMT+3:30' suffix, Jalali 'YYYY/MM/DD' with years
    1300-1499 (or calendar='jalali'), Persian/Arabic digits, and Excel serial numbers.

    An offset written in the text wins; other times are wall-clock times in `tz`, converted
    to UTC with the daylight-saving rules in force on that date (a repeated wall time takes
    its first occurrence; a skipped one is shifted forward by the gap). Day/month order
    comes from the data (a first part above 12 means day first, a second part above 12
    means month first; dotted dates are day-first); when the data cannot tell and dayfirst
    is None, IngestError('ambiguous_dates') asks the user to choose. Unparseable values
    become null (parse_timestamps_detailed also returns their mask).
    """
    r = parse_timestamps_detailed(arr, tz=tz, dayfirst=dayfirst, calendar=calendar)
    return r.values, r.description


def date_order_question(arr) -> str | None:
    """The question parse_timestamps would stop on for these dates (day/month or month/day?), or
    None when their order is settled by the data."""
    from ._timestamps import order_question

    arr = _as_string_array(arr)
    if len(arr) == 0 or arr.null_count == len(arr):
        return None
    # Most dates say their order (ISO, a year first, a month in letters): their first values
    # tell, without reading the column (the parse learns its shapes from them too).
    head = _clean_text(pc.drop_null(arr.slice(0, 8000))[:2000])
    if not pc.any(pc.match_substring_regex(head, r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b")).as_py():
        return None
    d = _distinct(arr)
    return order_question(_clean_text(d[0] if d is not None else arr))


def parse_timestamps_detailed(arr, *, tz: str = "UTC", dayfirst: bool | None = None,
                              calendar: str | None = None) -> TimestampParse:
    arr = _as_string_array(arr)
    n = len(arr)
    if n == 0 or arr.null_count == n:
        return TimestampParse(pa.nulls(n, pa.timestamp("us", tz="UTC")), "no values",
                              pa.array(np.zeros(n, dtype=bool)))
    d = _distinct(arr)
    if d is not None:
        r = parse_timestamps_detailed(d[0], tz=tz, dayfirst=dayfirst, calendar=calendar)
        r.values = pc.take(r.values, d[1])
        r.unparseable = pc.fill_null(pc.take(r.unparseable, d[1]), False)
        return r
    text = _clean_text(arr)
    return _zoned_iso(text, tz, dayfirst, calendar) or _parse_ts(text, tz, dayfirst, calendar)


_ISO_SAMPLE = 2000


def _zoned_iso(text: pa.Array, tz: str, dayfirst, calendar) -> TimestampParse | None:
    """The common case of exports from databases and APIs, ISO 8601 instants with 'Z' or an
    offset, parsed by Arrow's own cast, about 10x faster than the general parser. It is only
    taken when every value casts, no year could be a Jalali one, and the general parser
    gives the same instants on a sample (which also gives the format's description)."""
    if calendar == "jalali":
        return None
    # Non-empty values spread over the whole column: a file's first rows may be blank or untypical.
    present = np.flatnonzero(np.asarray(pc.is_valid(text)))
    picks = pa.array(present[np.linspace(0, len(present) - 1, min(len(present), _ISO_SAMPLE)).astype(np.int64)])
    try:
        # The sample first: Arrow takes as long to refuse a column of times without a zone
        # (1.2 s for 1M values, the usual export) as to read one that has them.
        text.take(picks).cast(pa.timestamp("us", tz="UTC"))
        values = text.cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    low = pc.min(pc.year(values)).as_py()
    if low is None or low < 1500:
        return None
    sample = _parse_ts(text.take(picks), tz, dayfirst, calendar)
    if not sample.values.equals(values.take(picks)) or pc.any(sample.unparseable).as_py():
        return None
    return TimestampParse(values, sample.description, pa.array(np.zeros(len(text), dtype=bool)),
                          sample.formats, sample.dayfirst, sample.calendar)


def excel_serial_to_utc(serial, tz: str = "UTC") -> pa.Array:
    """Excel day numbers (1900 date system) -> timestamp[us, UTC]. Serials before 61
    (March 1900, around Excel's phantom 29 February 1900) give null."""
    if isinstance(serial, (pa.Array, pa.ChunkedArray)) and not pa.types.is_string(serial.type):
        arr = pc.cast(serial, pa.float64())
    else:
        arr = parse_numbers(serial)[0]
    s = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=float)
    valid = np.isfinite(s) & (s >= 61)
    local = np.where(valid, serial_to_local_us(s), 0)
    if valid.any():
        local[valid] = local_to_utc(local[valid], tz)
    return pa.array(local, pa.timestamp("us", tz="UTC"), mask=~valid)
