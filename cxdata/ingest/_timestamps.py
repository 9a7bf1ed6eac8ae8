"""Timestamp parsing behind values.parse_timestamps.

Two engines with the same rules:
* the general parser: one RE2 regex with named groups for every supported shape, then
  numpy calendar arithmetic. Exact and complete, but capture-group extraction costs about
  1.5 s per million values;
* the fast path: the general parser looks at a sample to learn the column's shape, which
  becomes an Arrow strptime format (about 0.15 s per million). Values strptime cannot take
  (other shapes, fractions of seconds, 'GMT+3:30', Persian AM/PM) go to the general parser.
  Arrow's strptime silently rolls impossible dates over (30 Feb -> 1 Mar), so values whose
  day is 29-31 are checked, and Jalali ones re-parsed generally.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import IngestError

_US = 1_000_000
_DAY_US = 86_400 * _US
_SAMPLE = 2000

_DATE_TIME = (
    r"^(?:(?P<y1>\d{4})(?P<s1>[-/.])(?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<s2>[-/.])(?P<b>\d{1,2})[-/.](?P<y2>\d{4}|\d{2}))"
    r"(?:(?P<t>T|,? +)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r" *(?P<ampm>[AaPp]\.?[Mm]\.?|ق\.?ظ|ب\.?ظ|ص|م)?"
    r" *(?:(?P<z>Z|UTC|GMT)|(?P<g>GMT|UTC)? *(?P<os>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?)?$"
)
_SERIAL = r"^\d{5}(\.\d+)?$"
# Evidence of the day/month order: one part is a possible day above 12, the other a month.
# ('13/13/2024' proves nothing; it is simply not a date.)
_FIRST_BIG = r"^(1[3-9]|2\d|3[01])[-/.](0?[1-9]|1[0-2])[-/.]\d{2,4}\b"
_SECOND_BIG = r"^(0?[1-9]|1[0-2])[-/.](1[3-9]|2\d|3[01])[-/.]\d{2,4}\b"


@dataclass
class TimestampParse:
    values: pa.Array                 # timestamp[us, tz=UTC]
    description: str
    unparseable: pa.Array            # bool: non-empty text that is not a date we understand
    formats: list[str] = field(default_factory=list)
    dayfirst: bool | None = None
    calendar: str = "gregorian"      # 'gregorian' | 'jalali' | 'mixed'


# --------------------------------------------------------------------------- calendar maths
def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = np.where(m > 2, m - 3, m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    ny = np.where(m == 12, y + 1, y)
    nm = np.where(m == 12, 1, m + 1)
    one = np.ones_like(m)
    return days_from_civil(ny, nm, one) - days_from_civil(y, m, one)


def jalali_to_days(y: np.ndarray, m: np.ndarray, d: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jalali (Solar Hijri) dates -> days since 1970-01-01, exactly as jdatetime (the
    calendar Iranian tools use) computes them, once per distinct date."""
    import jdatetime

    days = np.zeros(len(y), dtype=np.int64)
    valid = ok.copy()
    if not ok.any():
        return days, valid
    key = y.astype(np.int64) * 10000 + m * 100 + d
    uniq, inv = np.unique(key[ok], return_inverse=True)
    conv = np.zeros(len(uniq), dtype=np.int64)
    good = np.ones(len(uniq), dtype=bool)
    epoch = dt.date(1970, 1, 1)
    for i, k in enumerate(uniq.tolist()):
        try:
            conv[i] = (jdatetime.date(k // 10000, k // 100 % 100, k % 100).togregorian() - epoch).days
        except (ValueError, OverflowError):
            good[i] = False
    days[ok] = conv[inv]
    valid[ok] = good[inv]
    return days, valid


def serial_to_local_us(serial: np.ndarray) -> np.ndarray:
    """Excel day numbers (1900 system) -> wall-clock microseconds since 1970. Excel keeps
    times to the millisecond, so the float noise below that is rounded away."""
    ms = np.round((np.nan_to_num(serial) - 25569.0) * 86_400_000)
    return ms.astype(np.int64) * 1000


@lru_cache(maxsize=64)
def _zone(tz: str):
    import zoneinfo
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise IngestError("bad_timezone", f"'{tz}' is not a time zone this app knows. Choose a time zone "
                          "such as 'Asia/Tehran' or 'Europe/London'.") from None


def is_utc(tz: str) -> bool:
    return tz in ("UTC", "utc", "Etc/UTC", "Z", "GMT", "Etc/GMT")


def local_to_utc(local_us: np.ndarray, tz: str) -> np.ndarray:
    """Wall-clock microseconds in `tz` -> UTC microseconds.

    A wall time that happens twice (clocks go back) takes the first occurrence; one that
    never happens (clocks go forward) is read with the offset in force before the change,
    so it lands as far after the gap as it was into it (Python's fold=0 rule). Offsets are
    looked up once per distinct day, and per distinct value only on days the offset changes.
    """
    if is_utc(tz) or len(local_us) == 0:
        return local_us
    zone = _zone(tz)
    day = np.floor_divide(local_us, _DAY_US)
    uniq, inv = np.unique(day, return_inverse=True)
    epoch = dt.datetime(1970, 1, 1)

    def offset_us(when: dt.datetime) -> int:
        off = zone.utcoffset(when)
        return int(off.total_seconds()) * _US if off is not None else 0

    start = np.empty(len(uniq), dtype=np.int64)
    changes = np.zeros(len(uniq), dtype=bool)
    for i, d in enumerate(uniq.tolist()):
        day0 = epoch + dt.timedelta(days=d)
        o0, o1 = offset_us(day0), offset_us(day0 + dt.timedelta(days=1))
        start[i] = o0
        changes[i] = o0 != o1
    offsets = start[inv]
    if changes.any():
        on_change = changes[inv]
        vals, vinv = np.unique(local_us[on_change], return_inverse=True)
        per = np.array([offset_us(epoch + dt.timedelta(microseconds=v)) for v in vals.tolist()],
                       dtype=np.int64)
        offsets[on_change] = per[vinv]
    return local_us - offsets


# --------------------------------------------------------------------------- general parser
def _np(arr: pa.Array, dtype) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=dtype)


def _field(parts, name):
    return pc.fill_null(pc.struct_field(parts, name), "")


def _int(parts, name) -> tuple[np.ndarray, np.ndarray]:
    col = _field(parts, name)
    present = pc.not_equal(col, "")
    num = pc.cast(pc.if_else(present, col, "0"), pa.int64())
    return _np(num, np.int64), _np(present, bool)


def _is(parts, name, values) -> np.ndarray:
    return _np(pc.is_in(_field(parts, name), value_set=pa.array(values, pa.string())), bool)


@dataclass
class _Parts:
    n: int
    matched: np.ndarray
    yl: np.ndarray            # 'a/b/year' family
    ymd: np.ndarray           # 'year/m/d' family
    y1: np.ndarray
    m1: np.ndarray
    d1: np.ndarray
    a: np.ndarray
    b: np.ndarray
    y2: np.ndarray
    yy: np.ndarray            # two-digit year
    dot2: np.ndarray          # year-last family written with dots
    has_time: np.ndarray
    H: np.ndarray
    M: np.ndarray
    S: np.ndarray
    has_S: np.ndarray
    frac_us: np.ndarray
    has_f: np.ndarray
    pm: np.ndarray
    am: np.ndarray
    latin_ampm: np.ndarray
    has_off: np.ndarray
    gmt_off: np.ndarray
    off_us: np.ndarray
    zed: np.ndarray
    zed_letter: np.ndarray
    t_is_T: np.ndarray
    s1: list = field(default_factory=list)  # separators, only for description (sample)
    s2: list = field(default_factory=list)


def _extract(text: pa.Array, keep_seps: bool = False) -> _Parts:
    parts = pc.extract_regex(pc.fill_null(text, ""), _DATE_TIME)
    matched = _np(pc.is_valid(parts), bool)
    y1, ymd = _int(parts, "y1")
    m1, _ = _int(parts, "m1")
    d1, _ = _int(parts, "d1")
    a, yl = _int(parts, "a")
    b, _ = _int(parts, "b")
    y2, _ = _int(parts, "y2")
    yy = _np(pc.equal(pc.utf8_length(_field(parts, "y2")), 2), bool)
    H, has_time = _int(parts, "H")
    M, _ = _int(parts, "M")
    S, has_S = _int(parts, "S")
    f = _field(parts, "f")
    has_f = _np(pc.not_equal(f, ""), bool)
    frac = np.zeros(len(text), dtype=np.int64)
    if has_f.any():
        six = pc.utf8_slice_codeunits(pc.utf8_rpad(f, 6, "0"), 0, 6)
        frac = _np(pc.cast(six, pa.int64()), np.int64)
    ampm = pc.utf8_lower(_field(parts, "ampm"))
    pm = _np(pc.is_in(ampm, value_set=pa.array(["pm", "p.m.", "p.m", "pm.", "ب.ظ", "بظ", "م"])), bool)
    has_ampm = _np(pc.not_equal(ampm, ""), bool)
    latin = _np(pc.is_in(ampm, value_set=pa.array(["am", "pm"])), bool)
    oh, has_off = _int(parts, "oh")
    om, _ = _int(parts, "om")
    neg = _is(parts, "os", ["-"])
    off_us = np.where(neg, -1, 1) * (oh * 3600 + om * 60) * _US
    zfield = _field(parts, "z")
    p = _Parts(
        n=len(text), matched=matched, yl=yl & matched, ymd=ymd & matched,
        y1=y1, m1=m1, d1=d1, a=a, b=b, y2=y2, yy=yy, dot2=_is(parts, "s2", ["."]),
        has_time=has_time, H=H, M=M, S=S, has_S=has_S, frac_us=frac, has_f=has_f,
        pm=pm, am=has_ampm & ~pm, latin_ampm=latin, has_off=has_off,
        gmt_off=_np(pc.not_equal(_field(parts, "g"), ""), bool), off_us=off_us,
        zed=_np(pc.not_equal(zfield, ""), bool), zed_letter=_np(pc.equal(zfield, "Z"), bool),
        t_is_T=_is(parts, "t", ["T"]))
    if keep_seps:
        p.s1 = _field(parts, "s1").to_pylist()
        p.s2 = _field(parts, "s2").to_pylist()
    return p


def _resolve_order(first_big: bool, second_big: bool, differs: bool, dots_only: bool,
                   dayfirst: bool | None, example: str | None) -> tuple[bool, str]:
    if first_big and second_big:
        raise IngestError("ambiguous_dates",
                          "The dates in this column mix day-first (like 25/03/2024) and month-first "
                          "(like 03/25/2024) orders, so they cannot be read reliably. Export the file "
                          "again with one date format.")
    if first_big:
        return True, "day first: a first number above 12 proves it"
    if second_big:
        return False, "month first: a second number above 12 proves it"
    if not differs:
        return True, "day and month are equal in every value"
    if dayfirst is not None:
        return dayfirst, f"{'day' if dayfirst else 'month'} first, as chosen"
    if dots_only:
        # Nobody writes month-first dates with dots: DD.MM.YYYY is the European norm.
        return True, "day first: dotted dates are day-first"
    raise IngestError("ambiguous_dates",
                      f"The dates in this column (for example '{example}') could be day/month or "
                      "month/day, and no value settles it. Choose whether the dates are written "
                      "day first (31/12/2025) or month first (12/31/2025).")


def _general(text: pa.Array, tz: str, order: bool | None, dayfirst: bool | None,
             calendar: str | None):
    """Parse `text` (no nulls needed) with the regex engine.

    Returns (utc_us, ok, naive, jalali_ok, gregorian_ok, order, order_note)."""
    p = _extract(text)
    n = p.n
    note = ""
    if p.yl.any() and order is None:
        example = next((v for v, ok in zip(text.to_pylist(), p.yl) if ok), None)
        first = (p.a > 12) & (p.a <= 31) & (p.b >= 1) & (p.b <= 12)
        second = (p.b > 12) & (p.b <= 31) & (p.a >= 1) & (p.a <= 12)
        order, note = _resolve_order(bool(first[p.yl].any()), bool(second[p.yl].any()),
                                     bool((p.a != p.b)[p.yl].any()), bool(p.dot2[p.yl].all()),
                                     dayfirst, example)
    use_df = bool(order) if order is not None else True
    day = np.where(p.yl, p.a if use_df else p.b, p.d1)
    month = np.where(p.yl, p.b if use_df else p.a, p.m1)
    # Two-digit years follow POSIX strptime (and so the fast path): 69-99 -> 1900s.
    y2 = np.where(p.yy, np.where(p.y2 < 69, 2000 + p.y2, 1900 + p.y2), p.y2)
    year = np.where(p.yl, y2, p.y1)

    time_ok = ~p.has_time | ((p.M < 60) & (p.S < 60) &
                             np.where(p.am | p.pm, (p.H >= 1) & (p.H <= 12), p.H < 24))
    hour = np.where(p.pm & (p.H < 12), p.H + 12, np.where(p.am & (p.H == 12), 0, p.H))

    if calendar not in (None, "gregorian", "jalali"):
        raise ValueError("calendar must be None, 'gregorian' or 'jalali'")
    jal = p.ymd & (((year >= 1300) & (year <= 1499)) if calendar is None else calendar == "jalali")
    greg = p.matched & ~jal
    month_ok = (month >= 1) & (month <= 12) & (day >= 1)
    safe_m = np.where(month_ok, month, 1)
    g_ok = greg & month_ok & (day <= _days_in_month(year, safe_m))
    days = np.where(g_ok, days_from_civil(year, safe_m, np.where(g_ok, day, 1)), 0)
    j_ok = np.zeros(n, dtype=bool)
    if jal.any():
        jdays, j_ok = jalali_to_days(year, safe_m, day, jal & month_ok & (day <= 31))
        days = np.where(j_ok, jdays, days)
    g_ok &= time_ok
    j_ok &= time_ok
    ok = g_ok | j_ok
    local = days * _DAY_US + hour * 3600 * _US + p.M * 60 * _US + p.S * _US + p.frac_us
    utc = np.where(p.has_off, local - p.off_us, local)
    naive = ok & ~p.has_off & ~p.zed
    if naive.any():
        utc[naive] = local_to_utc(local[naive], tz)
    return utc, ok, naive, j_ok, g_ok, order, note


# --------------------------------------------------------------------------- fast path
def _strptime_format(p: _Parts, i: int, order: bool | None, seps: tuple[str, str]) -> str | None:
    """The Arrow strptime format for sample value i, or None when strptime cannot do it."""
    if p.has_f[i] or p.gmt_off[i] or (p.zed[i] and not p.zed_letter[i]):
        return None
    if (p.am[i] or p.pm[i]) and not p.latin_ampm[i]:
        return None
    if p.yl[i]:
        if order is None:
            return None
        s = seps[1]
        y = "%y" if p.yy[i] else "%Y"
        date = f"%d{s}%m{s}{y}" if order else f"%m{s}%d{s}{y}"
    elif p.ymd[i]:
        s = seps[0]
        date = f"%Y{s}%m{s}%d"
    else:
        return None
    if not p.has_time[i]:
        return date
    ampm = p.am[i] or p.pm[i]
    clock = ("%I" if ampm else "%H") + ":%M" + (":%S" if p.has_S[i] else "") + (" %p" if ampm else "")
    zone = " %z" if p.has_off[i] else "Z" if p.zed_letter[i] else ""
    return date + ("T" if p.t_is_T[i] else " ") + clock + zone


def _day_late_mask(text: pa.Array, fmt: str) -> np.ndarray:
    """Values whose day of month is written as 29, 30 or 31 (strptime would roll an
    impossible one over into the next month)."""
    if fmt.startswith("%Y"):
        pat = r"^\d{4}\D\d{1,2}\D(29|30|31)\b"
    elif fmt.startswith("%d"):
        pat = r"^(29|30|31)\D"
    else:
        pat = r"^\d{1,2}\D(29|30|31)\D"
    return _np(pc.fill_null(pc.match_substring_regex(text, pat), False), bool)


def _describe_one(p: _Parts, i: int, order: bool | None, jalali: bool, gmt: bool = False) -> str:
    if p.yl[i]:
        s = p.s2[i]
        y = "YY" if p.yy[i] else "YYYY"
        date = f"DD{s}MM{s}{y}" if order or order is None else f"MM{s}DD{s}{y}"
    else:
        s = p.s1[i]
        date = f"YYYY{s}MM{s}DD"
        if jalali:
            date = "Jalali " + date
    if not p.has_time[i]:
        return date
    ampm = p.am[i] or p.pm[i]
    clock = ("h" if ampm else "HH") + ":MM" + (":SS" if p.has_S[i] else "") + (".fff" if p.has_f[i] else "")
    if ampm:
        clock += " AM/PM"
    if p.has_off[i]:
        clock += " GMT+H:MM" if p.gmt_off[i] or gmt else " +HH:MM"
    elif p.zed[i]:
        clock += "Z" if p.zed_letter[i] else " UTC"
    return date + ("T" if p.t_is_T[i] else " ") + clock


_GMT = r"(?:GMT|UTC) ?[+-]\d"
_GMT_REWRITES = (
    # Google Forms writes 'GMT+3:30'; strptime's %z wants '+03:30'. RE2 rewrites take one
    # digit after '\', so '\10' is group 1 followed by a literal 0.
    (r" ?(?:GMT|UTC) ?([+-])(\d):(\d\d)$", r" \10\2:\3"),
    (r" ?(?:GMT|UTC) ?([+-])(\d\d):(\d\d)$", r" \1\2:\3"),
    (r" ?(?:GMT|UTC) ?([+-])(\d)$", r" \10\2:00"),
    (r" ?(?:GMT|UTC) ?([+-])(\d\d)$", r" \1\2:00"),
)


# Month names as tools and spreadsheets write them ('06-Jan-2025', 'Jan 6, 2025', an e-mail's
# 'Mon, 06 Jan 2025 08:15:00'), in English and the other languages exports come in.
MONTH_NAMES = {
    1: ["january", "jan", "januar", "janvier", "janv", "enero", "ene"],
    2: ["february", "feb", "februar", "février", "févr", "fevrier", "fevr", "febrero"],
    3: ["march", "mar", "märz", "mär", "mrz", "maerz", "mars", "marzo"],
    4: ["april", "apr", "avril", "avr", "abril", "abr"],
    5: ["may", "mai", "mayo"],
    6: ["june", "jun", "juni", "juin", "junio"],
    7: ["july", "jul", "juli", "juillet", "juil", "julio"],
    8: ["august", "aug", "août", "aout", "agosto", "ago"],
    9: ["september", "sept", "sep", "septembre", "septiembre"],
    10: ["october", "oct", "oktober", "okt", "octobre", "octubre"],
    11: ["november", "nov", "novembre", "noviembre"],
    12: ["december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic"],
}
_ANY_MONTH = "|".join(sorted({n for names in MONTH_NAMES.values() for n in names}, key=len, reverse=True))
_SEP = r"[ \-/.]+"
# A date with its month in letters, day first or month first, with a four-digit year.
MONTH_DATE = (rf"(?i)(?:^|[ ,])(?:\d{{1,2}}(?:st|nd|rd|th)?{_SEP}(?:{_ANY_MONTH})\.?[ \-/.,]+\d{{4}}"
              rf"|(?:{_ANY_MONTH})\.?[ \-]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \-]+\d{{4}})")
_WEEKDAY = r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so|lun|mar|mer|jeu|ven|sam|dim|mié|jue|vie|sáb|dom)[a-zäéè]*\.?,\s+"  # RFC 2822: a comma always follows ("Mon, 06 Jan")


def _normalise_month_names(text: pa.Array) -> tuple[pa.Array, bool]:
    """Dates written with month names, rewritten as year-month-day (the time after them kept);
    other text is returned as it is. A column writes its dates one way: its first values tell."""
    head = pc.drop_null(text.slice(0, 4 * _SAMPLE))[:_SAMPLE]
    if not pc.any(pc.match_substring_regex(head, MONTH_DATE)).as_py():
        return text, False
    text = pc.replace_substring_regex(text, _WEEKDAY, "")
    for month, names in MONTH_NAMES.items():
        alt = "|".join(sorted(names, key=len, reverse=True))
        text = pc.replace_substring_regex(
            text, rf"(?i)^(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(?:{alt})\.?[ \-/.,]+(\d{{4}})", rf"\2-{month:02d}-\1")
        text = pc.replace_substring_regex(
            text, rf"(?i)^(?:{alt})\.?[ \-]+(\d{{1,2}})(?:st|nd|rd|th)?,?[ \-]+(\d{{4}})", rf"\2-{month:02d}-\1")
    return text, True


def _normalise_gmt(text: pa.Array) -> tuple[pa.Array, bool]:
    if not pc.any(pc.match_substring_regex(text, _GMT)).as_py():
        return text, False
    for pattern, rewrite in _GMT_REWRITES:
        text = pc.replace_substring_regex(text, pattern, rewrite)
    return text, True


def _column_order(text: pa.Array, sample: pa.Array, sp: _Parts, dayfirst: bool | None) -> tuple[bool | None, str]:
    """The day/month order of a column of year-last dates (`sp` its sample's parts), or
    IngestError('ambiguous_dates') when nothing settles it and `dayfirst` is None."""
    # Day/month evidence must come from the whole column, not the sample.
    first_big = bool(pc.any(pc.match_substring_regex(text, _FIRST_BIG)).as_py())
    second_big = bool(pc.any(pc.match_substring_regex(text, _SECOND_BIG)).as_py())
    differs = bool((sp.a != sp.b)[sp.yl].any())
    if not (first_big or second_big or differs):
        # Only the whole column can show that day and month are always equal.
        full = _extract(text)
        differs = bool((full.a != full.b)[full.yl].any())
    example = sample.to_pylist()[int(np.flatnonzero(sp.yl)[0])]
    return _resolve_order(first_big, second_big, differs, bool(sp.dot2[sp.yl].all()), dayfirst, example)


def order_question(text: pa.Array) -> str | None:
    """What `parse` would ask about the day/month order of these dates (its message), or None when
    the data settles it: the same test, without parsing, for a page to ask before loading."""
    text, _ = _normalise_month_names(text)
    present = np.flatnonzero(_np(pc.is_valid(text), bool))
    sample = text.take(pa.array(present[:_SAMPLE], pa.int64()))
    sp = _extract(sample)
    if not sp.yl.any():
        return None
    try:
        _column_order(text, sample, sp, None)
    except IngestError as exc:
        return exc.message
    return None


# Spanish and Catalan write 'p. m.' (with a space, often a no-break one), Persian 'ب.ظ.' (with a
# closing dot), as Google Forms exports them in those languages, followed or not by its
# 'GMT+3:30' (found by audits: every time was unreadable).
_SP = "[ \u00a0\u202f]"
_ZONE_AFTER = f"((?:{_SP}+(?:GMT|UTC)[^ ]*|{_SP}*[+-][0-9:]+|{_SP}*Z)?)$"
_SPACED_AMPM = f"(?i)([0-9]){_SP}*([ap])\\.{_SP}*m\\.?{_ZONE_AFTER}"
_DOTTED_FA_AMPM = f"([0-9]){_SP}*([قب])\\.?{_SP}?ظ\\.?{_ZONE_AFTER}"


def _normalise_ampm(text: pa.Array) -> pa.Array:
    text = pc.replace_substring_regex(text, _SPACED_AMPM, "\\1 \\2m\\3")
    return pc.replace_substring_regex(text, _DOTTED_FA_AMPM, "\\1 \\2.ظ\\3")


def parse(text: pa.Array, tz: str, dayfirst: bool | None, calendar: str | None) -> TimestampParse:
    """text: trimmed strings, digits already ASCII, empty -> null."""
    n = len(text)
    text, named = _normalise_month_names(text)
    text = _normalise_ampm(text)
    text, had_gmt = _normalise_gmt(text)
    present = _np(pc.is_valid(text), bool)
    idx_present = np.flatnonzero(present)
    utc = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    naive = np.zeros(n, dtype=bool)
    j_ok = np.zeros(n, dtype=bool)
    g_ok = np.zeros(n, dtype=bool)

    # ---- learn the shape from a sample
    sample_idx = idx_present[:_SAMPLE]
    sample = text.take(pa.array(sample_idx, pa.int64()))
    sp = _extract(sample, keep_seps=True)
    order, note = None, ""
    if sp.yl.any():
        order, note = _column_order(text, sample, sp, dayfirst)
    jal_sample = sp.ymd & (((sp.y1 >= 1300) & (sp.y1 <= 1499)) if calendar is None else calendar == "jalali")
    shapes = Counter()
    formats = {}
    for i in np.flatnonzero(sp.matched).tolist():
        seps = (sp.s1[i], sp.s2[i])
        key = _describe_one(sp, i, order, bool(jal_sample[i]), had_gmt)
        shapes[key] += 1
        if key not in formats:
            formats[key] = (_strptime_format(sp, i, order, seps), bool(jal_sample[i]))

    # ---- fast path, most common shapes first
    todo = present.copy()
    for key, _ in shapes.most_common(3):
        fmt, jalali = formats[key]
        if fmt is None or not todo.any():
            continue
        parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
        got = _np(pc.is_valid(parsed), bool) & todo
        if not got.any():
            continue
        late = _day_late_mask(text, fmt) & got
        if "%z" in fmt:
            parsed = parsed.cast(pa.timestamp("us"))  # instants; no local conversion
        us = _np(pc.fill_null(parsed.cast(pa.int64()), 0), np.int64)
        if jalali:
            got &= ~late  # strptime rolled Jalali 31sts over; the general parser redoes them
            y = _np(pc.fill_null(pc.year(parsed), 0), np.int64)
            m = _np(pc.fill_null(pc.month(parsed), 1), np.int64)
            d = _np(pc.fill_null(pc.day(parsed), 1), np.int64)
            jd, jv = jalali_to_days(y, m, d, got)
            us = jd * _DAY_US + np.mod(us, _DAY_US)
            got &= jv
            j_ok |= got
        else:
            if late.any():
                # A rolled-over date (30 Feb -> 1 Mar) comes back with a small day number.
                real_day = _np(pc.fill_null(pc.day(parsed), 0), np.int64)
                got &= ~(late & (real_day < 29))
            g_ok |= got
        utc = np.where(got, us, utc)
        if "%z" not in fmt and not fmt.endswith("Z"):
            naive |= got
        ok |= got
        todo &= ~got
    if naive.any():
        utc[naive] = local_to_utc(utc[naive], tz)

    # ---- everything else: the general parser
    rest = np.flatnonzero(todo)
    if len(rest):
        sub = text.take(pa.array(rest, pa.int64()))
        r_utc, r_ok, r_naive, r_j, r_g, order2, note2 = _general(sub, tz, order, dayfirst, calendar)
        if order is None and order2 is not None:
            order, note = order2, note2
        utc[rest] = r_utc
        ok[rest] = r_ok
        naive[rest] = r_naive
        j_ok[rest] = r_j
        g_ok[rest] = r_g
        serial = _np(pc.fill_null(pc.match_substring_regex(sub, _SERIAL), False), bool) & ~r_ok
        if serial.any():
            sv = _np(pc.cast(pc.if_else(pa.array(serial), sub, pa.scalar(None, pa.string())),
                             pa.float64()), float)
            s_local = serial_to_local_us(sv)
            where = rest[serial]
            utc[where] = local_to_utc(s_local[serial], tz)
            ok[where] = True
            naive[where] = True
            shapes["Excel serial day number"] += int(serial.sum())

    values = pa.array(np.where(ok, utc, 0), pa.timestamp("us", tz="UTC"), mask=~ok)
    unparseable = present & ~ok
    described = _description(shapes, note, ok, naive, unparseable, tz)
    if named:  # the shapes are those of the rewritten dates
        described = described.replace("YYYY-MM-DD", "day, month in letters, year")
    return TimestampParse(values, described,
                          pa.array(unparseable), [k for k, _ in shapes.most_common()], order,
                          "jalali" if j_ok.any() and not g_ok.any() else "mixed" if j_ok.any() else "gregorian")


def _description(shapes: Counter, note: str, ok, naive, unparseable, tz: str) -> str:
    if not shapes:
        desc = "no recognised dates"
    else:
        top = [k for k, _ in shapes.most_common(3)]
        desc = top[0] + (f"; also {', '.join(top[1:])}" if len(top) > 1 else "")
    if note:
        desc += f"; {note}"
    if ok.any():
        if (naive & ok).any():
            desc += "; times taken as UTC" if is_utc(tz) else f"; local time {tz} converted to UTC"
        if (~naive & ok).any():
            desc += "; time zone written in the values"
    bad = int(unparseable.sum())
    if bad:
        desc += f"; {bad:,} value{'s' if bad != 1 else ''} not understood"
    return desc
