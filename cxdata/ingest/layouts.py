"""Which tool produced an export, and what its header rows say about each column.

Detection looks only at the header rows and the first data values, never at question
wording: another survey exported from the same tool is recognised the same way. Each layout
knows how many header rows it has, which header row carries the human label, the tool's own
column ids, matrix sub-questions (stem + row label) and time-zone/calendar hints.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ._text import ascii_digits, key
from ._vocab import SM_OTHER_SUBLABELS, SM_PLAIN_SUBLABELS

HEAD_ROWS = 8  # records looked at: the header rows plus a few data rows for value hints


@dataclass(frozen=True)
class Column:
    index: int  # position in the raw table (its column is f"c{index}")
    key: str  # stable unique name used in Mapping.columns
    label: str  # what a person reads as the header
    question: str = ""  # matrix stem when the column is one row of a matrix question
    sub_label: str = ""  # matrix row label ('Website') when it is
    export_tag: str = ""  # the tool's own column id (Qualtrics 'Q3_1'), if any
    timezone: str | None = None  # time zone the tool declares for this column's times
    other_of: str = ""  # key of the single-choice question whose "Other (please specify)" text this is


@dataclass(frozen=True)
class Layout:
    name: str
    tool: str
    header_rows: int
    columns: tuple[Column, ...]
    timezone: str | None = None
    calendar: str | None = None
    dayfirst: bool | None = None
    numeric_codes: bool = False  # answers exported as recode numbers, not choice text
    notes: tuple[str, ...] = ()
    title_rows: int = 0  # of the header rows, those of a title above the header (not hashed)

    def column(self, col_key: str) -> Column | None:
        return next((c for c in self.columns if c.key == col_key), None)


LAYOUT_NAMES = ("canonical", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms",
                "typeform", "zendesk", "porsline", "generic")


def head_rows(raw: Any, n: int = HEAD_ROWS) -> list[list[str | None]]:
    """First `n` records of a RawTable as lists of cells (None for empty)."""
    t = raw.table.slice(0, n)
    cols = [t.column(i).to_pylist() for i in range(t.num_columns)]
    return [[_cell(c[r]) for c in cols] for r in range(t.num_rows)]


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s if s.strip() else None


def dedupe_names(names: Sequence[str]) -> list[str]:
    """NPS, NPS, nps -> NPS, NPS_2, nps_3: the n-th case-insensitive repeat gets suffix _n.

    Deterministic, so the same file always gets the same names and the user can be told
    which of the repeated columns was used.
    """
    seen: dict[str, int] = {}
    taken: set[str] = set()
    out = []
    for name in names:
        k = name.casefold()
        seen[k] = seen.get(k, 0) + 1
        new = name if seen[k] == 1 else f"{name}_{seen[k]}"
        while new.casefold() in taken:
            seen[k] += 1
            new = f"{name}_{seen[k]}"
        taken.add(new.casefold())
        out.append(new)
    return out


_SUB_DASH = re.compile(r"^(.+?[?؟:.])\s*-\s*(\S.*)$")
_SUB_BRACKET = re.compile(r"^(.+?)\s*\[([^\[\]]+)\]\s*$")
# Alchemer: 'Row:Question', the question a sentence ('NPS: Score' is no matrix of a 'Score' question).
_SUB_PREFIX = re.compile(r"^([^:?؟\[\]]{1,60}?)\s*:\s*([^\W\d_][^:]*\s[^:]{8,})$")


def split_sub_question(label: str) -> tuple[str, str] | None:
    """'Question? - Row' / 'Question?-Row' / 'Question [Row]' / 'Row:Question' -> (stem, row label).
    A split only marks a matrix where two columns or more share the stem (`_matrix`)."""
    if m := _SUB_BRACKET.match(label):
        return m.group(1).strip(), m.group(2).strip()
    if " - " in label:
        stem, sub = label.rsplit(" - ", 1)
        if stem.strip() and sub.strip():
            return stem.strip(), sub.strip()
    if m := _SUB_DASH.match(label):
        return m.group(1).strip(), m.group(2).strip()
    if m := _SUB_PREFIX.match(label):
        return m.group(2).strip(), m.group(1).strip()
    return None


def _matrix(columns: list[Column]) -> list[Column]:
    """Mark columns sharing one question stem (>= 2 distinct row labels) as a matrix."""
    groups: dict[str, list[tuple[int, str, str]]] = {}
    for i, c in enumerate(columns):
        if c.sub_label:
            continue
        split = split_sub_question(c.label)
        if split:
            groups.setdefault(key(split[0]), []).append((i, split[0], split[1]))
    out = list(columns)
    for members in groups.values():
        if len(members) >= 2 and len({key(m[2]) for m in members}) == len(members):
            for i, stem, sub in members:
                c = out[i]
                out[i] = Column(c.index, c.key, c.label, stem, sub, c.export_tag, c.timezone)
    return out


def _labels(row: Sequence[str | None], width: int) -> list[str]:
    return [(row[i] or "").strip() if i < len(row) else "" for i in range(width)]


def _plain_columns(labels: list[str]) -> list[Column]:
    names = dedupe_names([lbl or f"column_{i + 1}" for i, lbl in enumerate(labels)])
    return _matrix([Column(i, names[i], labels[i]) for i in range(len(labels))])


# --- detectors: each returns a Layout or None ------------------------------------------------

def _is_import_id(cell: str | None) -> bool:
    return bool(cell) and cell.lstrip().startswith("{") and "importid" in cell.casefold()


# The ImportId of pass 1 of a loop over question QID5: '1_QID5' (or '1_QID5_TEXT'). The export
# tag ('1_Q5') can be renamed to anything, such as '1_Sat' for a plain matrix (found by review).
_LOOP_TAG = re.compile(r"^\d+_QID\d+(?:_|$)")


def _qualtrics(head: list[list[str | None]], width: int) -> Layout | None:
    if len(head) < 3:
        return None
    row3 = _labels(head[2], width)
    if sum(_is_import_id(c) for c in row3) < max(2, width // 2):
        return None
    ids, texts = _labels(head[0], width), _labels(head[1], width)
    names = dedupe_names([ids[i] or f"column_{i + 1}" for i in range(width)])
    cols, zones = [], []
    for i in range(width):
        meta: dict[str, Any] = {}
        try:
            meta = json.loads(row3[i]) if row3[i] else {}
        except ValueError:
            pass
        tz = meta.get("timeZone") if isinstance(meta, dict) else None
        zones.append(tz)
        tag = str(meta.get("ImportId", "")) if isinstance(meta, dict) else ""
        label = texts[i] or ids[i]
        loop = _LOOP_TAG.match(tag)
        if loop and " - " in label:
            # Loop & merge: Qualtrics prefixes each pass's question with the looped item
            # ('Website - How satisfied…', tag 1_Q5): the item is the row, the question the stem.
            # Read the other way round, every pass became one invented touchpoint (found by an audit).
            item, question = (x.strip() for x in label.split(" - ", 1))
            cols.append(Column(i, names[i], label, question, item, tag, tz))
            continue
        cols.append(Column(i, names[i], label, export_tag=tag, timezone=tz))
    cols = _matrix(cols)
    status = _find(ids, "status")
    numeric = False
    if status is not None and len(head) > 3:
        vals = [r[status] for r in head[3:] if status < len(r) and r[status]]
        numeric = bool(vals) and all(v.strip().lstrip("-").isdigit() for v in vals)
    tz = next((z for z in zones if z), None)
    return Layout("qualtrics", "Qualtrics", 3, tuple(cols), timezone=tz, numeric_codes=numeric,
                  notes=("numeric values export" if numeric else "choice text export",))


def _find(labels: Sequence[str], *names: str) -> int | None:
    wanted = {key(n) for n in names}
    return next((i for i, lbl in enumerate(labels) if key(lbl) in wanted), None)


_V_ID = re.compile(r"^V\d+$")


def _qualtrics_legacy(head: list[list[str | None]], width: int) -> Layout | None:
    if len(head) < 2:
        return None
    ids, texts = _labels(head[0], width), _labels(head[1], width)
    v_run = sum(bool(_V_ID.match(x)) for x in ids[:12])
    if v_run < 5 or _find(texts, "ResponseID", "ResponseId") is None:
        return None
    names = dedupe_names([ids[i] or f"column_{i + 1}" for i in range(width)])
    cols = _matrix([Column(i, names[i], texts[i] or ids[i], export_tag=ids[i])
                    for i in range(width)])
    # The legacy export only offered recode values for choices.
    return Layout("qualtrics_legacy", "Qualtrics (legacy export)", 2, tuple(cols),
                  numeric_codes=True, notes=("legacy export: answers are recode values",))


def _surveymonkey(head: list[list[str | None]], width: int) -> Layout | None:
    if len(head) < 2:
        return None
    row1, row2 = _labels(head[0], width), _labels(head[1], width)
    plain = sum(key(x) in SM_PLAIN_SUBLABELS for x in row2)
    if plain == 0 or not any(row2) or not row1[0]:
        return None
    # Blank columns after the last question (a trailing delimiter on every line) are no
    # question's continuation.
    used = width
    while used > 1 and not row1[used - 1] and not row2[used - 1] and not any(
            used - 1 < len(r) and (r[used - 1] or "").strip() for r in head[2:]):
        used -= 1
    # A continuation column has a blank question cell and its own row label.
    if any(not row1[i] and not row2[i] for i in range(used)):
        return None
    cols, question = [], ""
    spans: dict[str, int] = {}
    for i in range(used):
        question = row1[i] or question
        spans[question] = spans.get(question, 0) + 1
    question = ""
    raw_names = []
    parts = []
    for i in range(width):
        if i >= used:
            raw_names.append(f"column_{i + 1}")
            parts.append(("", "", ""))
            continue
        question = row1[i] or question
        sub = row2[i]
        is_plain = not sub or key(sub) in SM_PLAIN_SUBLABELS
        label = question if is_plain else f"{question} - {sub}"
        raw_names.append(label)
        parts.append((question, "" if is_plain or spans[question] < 2 else sub, label))
    names = dedupe_names(raw_names)
    first: dict[str, int] = {}  # question -> its first column
    for i, (q, sub, label) in enumerate(parts):
        first.setdefault(q, i)
        # The text typed under "Other" beside a single answer ('Response'): it names the answer.
        j = first[q]
        other = names[j] if q and j != i and spans.get(q) == 2 and key(row2[i]) in SM_OTHER_SUBLABELS \
            and key(row2[j]) in SM_PLAIN_SUBLABELS - SM_OTHER_SUBLABELS else ""
        cols.append(Column(i, names[i], label, q if sub else "", sub, other_of=other))
    return Layout("surveymonkey", "SurveyMonkey", 2, tuple(cols), dayfirst=False,
                  notes=("dates are MM/DD/YYYY",))


# 'Timestamp' in the languages Google Forms is used in (the first column of every export)
_GF_STAMP = ("timestamp", "marca temporal", "horodateur", "zeitstempel", "carimbo de data/hora",
             "informazioni cronologiche", "tijdstempel", "zaman damgası", "отметка времени",
             "مهر زمانی", "زمان ثبت", "نشانگر زمان", "برچسب زمانی", "الطابع الزمني", "клеймо за време",
             "времева отметка", "времево клеймо", "חותמת זמן", "חותמת הזמן")
# a date and a time of day, in any of the orders Google's locales use
_GF_VALUE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},? \d{1,2}:\d{2}(:\d{2})?"
                       r"([ \u00a0\u202f]?(?:[AaPp]\.?[ \u00a0\u202f]?[Mm]\.?|[قب]\.?ظ\.?|ص|م))?( GMT[+-]\d{1,2}(:\d{2})?)?$")


def _google_forms(head: list[list[str | None]], width: int) -> Layout | None:
    row1 = _labels(head[0], width)
    if key(row1[0]) not in {key(s) for s in _GF_STAMP}:
        return None
    vals = [ascii_digits(r[0]).strip() for r in head[1:] if r and r[0]]
    if vals and not all(_GF_VALUE.match(v) for v in vals):
        return None
    return Layout("google_forms", "Google Forms", 1, tuple(_plain_columns(row1)),
                  notes=("Google Forms has no response id of its own",))


def _typeform(head: list[list[str | None]], width: int) -> Layout | None:
    row1 = _labels(head[0], width)
    keys = {key(x) for x in row1}
    if row1[0] != "#" or not ({"submit date utc", "network id", "response type"} & keys):
        return None
    tz = "UTC" if any("(utc)" in x.casefold() for x in row1) else None
    return Layout("typeform", "Typeform", 1, tuple(_plain_columns(row1)), timezone=tz)


def _zendesk(head: list[list[str | None]], width: int) -> Layout | None:
    row1 = _labels(head[0], width)
    keys = [key(x) for x in row1]
    # (Zendesk in German: 'Ticket-ID', 'Zufriedenheitsbewertung des Tickets')
    if not {"ticket id", "ticket-id"} & set(keys) or not any("satisfaction" in k or "zufriedenheit" in k for k in keys):
        return None
    return Layout("zendesk", "Zendesk", 1, tuple(_plain_columns(row1)))


_PORSLINE = {key(s) for s in ["شناسه پاسخ‌دهنده", "زمان ثبت پاسخ", "زمان شروع پاسخگویی",
                              "مدت پاسخگویی", "شناسه پاسخ دهنده"]}


def _porsline(head: list[list[str | None]], width: int) -> Layout | None:
    row1 = _labels(head[0], width)
    if sum(key(x) in _PORSLINE for x in row1) < 2:
        return None
    return Layout("porsline", "Porsline", 1, tuple(_plain_columns(row1)),
                  timezone="Asia/Tehran", calendar="jalali",
                  notes=("Jalali dates, Asia/Tehran time",))


_CANONICAL_REQUIRED = {"metric", "value"}


def _canonical(head: list[list[str | None]], width: int) -> Layout | None:
    row1 = _labels(head[0], width)
    names = {x.strip().casefold() for x in row1}
    if not (_CANONICAL_REQUIRED <= names and ({"source_response_id", "response_id"} & names)):
        return None
    return Layout("canonical", "CX Pyramid canonical (long)", 1,
                  tuple(Column(i, n, n) for i, n in enumerate(dedupe_names(row1))))


def _generic(head: list[list[str | None]], width: int) -> Layout:
    row1 = _labels(head[0], width) if head else [""] * width
    grouped = _grouped_header(row1, _labels(head[1], width), width) if len(head) >= 3 else None
    if grouped is not None:
        return Layout("generic", "Spreadsheet", 2, tuple(_plain_columns(grouped)))
    return Layout("generic", "Spreadsheet", 1, tuple(_plain_columns(row1)))


def _grouped_header(row1: list[str], row2: list[str], width: int) -> list[str] | None:
    """The labels of a home-made sheet's two-row header, or None: a cell merged over several
    columns ('Satisfaction (1-5)') names a group, and the row under it names each column of the
    group ('Website', 'Delivery', 'Billing'); the other columns are named in the first row alone.
    Read as one row, the group's other columns went unnamed and their sub-labels became a first
    response (found by an audit). The shape must be exact, so a data row under a header with one
    blank cell is never taken for it: a sub-label under every column of each group (the group's
    first cell and the blank ones after it) and nowhere else, some with letters."""
    groups, i = [], 0
    while i < width:
        j = i + 1
        while j < width and row1[i] and not row1[j] and row2[j]:
            j += 1
        if j - i >= 2:
            groups.append((i, j))
        i = j
    inside = {c for a, b in groups for c in range(a, b)}
    if not groups or any(bool(row2[c]) != (c in inside) for c in range(width)) \
            or not any(ch.isalpha() for c in inside for ch in row2[c]):
        return None
    labels = list(row1)
    for a, b in groups:
        for c in range(a, b):
            labels[c] = f"{row1[a]} - {row2[c]}"
    return labels


def _below_title(detect, head: list[list[str | None]], width: int) -> Layout | None:
    """`detect` on the rows under a title, if there is one, its rows counted as header rows."""
    skip = _title_rows(head, width)
    found = detect(head[skip:], width)
    if found is None or not skip:
        return found
    return dataclasses.replace(found, header_rows=found.header_rows + skip, title_rows=skip)


def _title_rows(head: list[list[str | None]], width: int) -> int:
    """Rows of a sheet's title above its header ('Customer survey - November 2026' in A1, the
    header in row 2): each holds one cell at most, and the header that follows fills half the
    columns. Read as the header, the title left every column unnamed and every row unread."""
    if width < 3:
        return 0
    for i, row in enumerate(head[:6]):
        filled = sum(v is not None for v in row)
        if filled >= max(2, width // 2):
            return i
        if filled > 1:
            return 0
    return 0


_DETECTORS = (_canonical, _qualtrics, _qualtrics_legacy, _surveymonkey, _porsline,
              _google_forms, _typeform, _zendesk)
_BY_NAME = {"canonical": _canonical, "qualtrics": _qualtrics,
            "qualtrics_legacy": _qualtrics_legacy, "surveymonkey": _surveymonkey,
            "porsline": _porsline, "google_forms": _google_forms, "typeform": _typeform,
            "zendesk": _zendesk, "generic": _generic}


_ISO_CELL = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?$")


def _detection_head(raw: Any) -> list[list[str | None]]:
    """The first records as the detectors read them. A workbook's date cells come as ISO text
    ('2024-01-01T15:22:30'); written as a sheet shows them, a Google Form's responses downloaded
    as .xlsx are known by their timestamps as its CSV is (found by an audit). Only a workbook's:
    a CSV's ISO times are another tool's."""
    head = head_rows(raw)
    if getattr(raw, "format", None) != "xlsx":
        return head
    return [[_ISO_CELL.sub(r"\1 \2", c) if c else c for c in row] for row in head]


def detect_layout(raw: Any) -> Layout:
    """The layout of a RawTable (falls back to a generic one-header-row sheet)."""
    head = _detection_head(raw)
    width = raw.table.num_columns
    if not head or width == 0:
        return Layout("generic", "Spreadsheet", min(1, len(head)), ())
    for detect in _DETECTORS:
        found = _below_title(detect, head, width)
        if found is not None:
            return found
    return _below_title(_generic, head, width)


def layout_named(raw: Any, name: str, header_rows: int | None = None) -> Layout:
    """Re-read the headers with a given layout (a saved mapping names its layout)."""
    head = _detection_head(raw)
    width = raw.table.num_columns
    detector = _BY_NAME.get(name)
    found = _below_title(detector, head, width) if detector and head and width else None
    if found is None:
        found = _below_title(_generic, head, width) if head and width else Layout(name, name, 0, ())
    if header_rows is not None and header_rows != found.header_rows and name == "generic":
        found = Layout(found.name, found.tool, header_rows, found.columns)
    return found
