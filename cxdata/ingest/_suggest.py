"""Suggest a Mapping for an export: a role for every column from its header and its values.

Headers are matched against multilingual keywords (`_vocab`), values against known answer
scales; when both agree the suggestion is confident. Suggestions that compete for one slot
(two NPS columns, two response ids, two answer times) are settled by confidence, then by
column order, and the losers are reported so the user can swap them.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping as TMapping

from . import _vocab as V
from ._aliases import TouchpointResolver
from ._dims import _lookup
from ._profile import Profile, label_value, match_scale, match_scale_mostly, profile, summary_tail
from ._text import ascii_digits, first_part, has_keyword, header_key, key, keyword, slug
from .layouts import Column, Layout
from .mapping import OTHER_ROLES, RESERVED, ColumnSpec, ExclusionRule, Mapping

SINGLETONS = ("response_id", "timestamp", "time", "customer_id", "touchpoint", "team")
_QUESTION = re.compile(r"^(did|was|were|is|are|have|has|do|does|can|could|would|will|آیا|هل|"
                       r"дали|הא)\b|[?؟]\s*$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Za-z]{1,5}[-_]?\d{2,}$")
# Qualtrics' Status of rows that are not real responses, as text and as its codes: 1 Survey
# Preview, 2 Survey Test, 8 Spam, 9 Survey Preview Spam, 12 Imported Spam, 17 Offline Survey Preview.
_QUALTRICS_EXCLUDE = ["Survey Preview", "Survey Test", "Spam", "Survey Preview Spam", "Imported Spam",
                      "Offline Survey Preview", "1", "2", "8", "9", "12", "17"]
# DistributionChannel values of rows that are not responses (exports without a Status column)
_QUALTRICS_CHANNEL_EXCLUDE = ["preview", "test"]
# An identifier, a code or a running number: never a score, in the languages of the exports.
_ID_WORDS = ["w:id", "w:code", "w:kod", "w:код", "w:номер", "w:идентификатор", "w:شناسه", "w:کد", "w:معرف",
             "w:المعرف", "w:رقم", "w:מזהה", "w:מספר", "w:nummer", "w:kennung", "w:numéro", "w:número"]
_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")
# Qualtrics' own columns, by ImportId or first-row name (recordedDate, the response id, status,
# distribution channel and user language have roles of their own).
_QUALTRICS_META = {"start date", "end date", "ip address", "ipaddress", "progress", "duration", "duration in seconds",
                   "finished", "recipient last name", "recipient first name", "recipient email", "location latitude",
                   "location longitude"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SEGMENT_MAX = 60  # more distinct values than this is not a useful segment


@dataclass
class _Cand:
    spec: ColumnSpec
    priority: float
    note: str = ""


_KEYED: dict[int, list[str]] = {}


def _hits(hk: str, words: list[str]) -> int | None:
    """Index of the first keyword found (lower = stronger), None if none."""
    keyed = _KEYED.get(id(words))
    if keyed is None:
        keyed = _KEYED[id(words)] = [keyword(w) for w in words]
    return next((i for i, w in enumerate(keyed) if has_keyword(hk, w)), None)


def _measure_hits(hk: str) -> set[str]:
    hits = {m for m, words in V.MEASURE_WORDS.items() if _hits(hk, words) is not None}
    if {"csat", "ces"} <= hits and _hits(hk, V.RATE_WORDS) is not None \
            and _hits(hk, [w for w in V.MEASURE_WORDS["csat"] if w not in V.RATE_WORDS]) is None:
        # 'Rate the ease of…' ('Évaluez la facilité de vos démarches'): what is rated is the ease;
        # taken for a second CSAT, the question was left out (found by an audit).
        hits.discard("csat")
    return hits


def answer_headers(cells: list, enough: int | None = None) -> int:
    """How many of a row's cells read as the header of a survey's answers (counted up to
    `enough`): a question a measure is known by, a response id, an answer time. A workbook's
    responses sheet has some; a lookup sheet beside it (stores, agents) has none."""
    word_lists = [dict(V.ROLE_WORDS)["response_id"], *(w for _, w in V.YES_NO_MEASURES), *(w for _, w in V.TIME_WORDS)]
    hits = 0
    for cell in cells:
        if enough is not None and hits >= enough:
            break
        hk = header_key(str(cell)) if cell not in (None, "") else ""
        if hk and (_measure_hits(hk) or any(_hits(hk, words) is not None for words in word_lists)):
            hits += 1
    return hits


def _yes_no_measure(hk: str, label: str) -> str:
    for measure, words in V.YES_NO_MEASURES:
        if _hits(hk, words) is not None:
            return measure
    return slug(first_part(label)) or "yes_no"


TZ_ASSUMED = "The file does not say which time zone its times are in"


def _times_of_day(sample: list[str]) -> bool:
    """Some value carries a time of day other than midnight (or is a serial day number with a
    fraction): answer times, which a time zone shifts, not dates."""
    for s in sample:
        s = ascii_digits(str(s)).strip()
        if re.fullmatch(r"\d{5}\.\d+", s):
            return True
        if any(int(h) or int(m) for h, m in re.findall(r"(\d{1,2}):(\d\d)", s)):
            return True
    return False


def _dotted(sample: list[str]) -> bool:
    """Dates written DD.MM.YYYY (year last, dots between)."""
    dated = [v for v in sample if re.match(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}\b", ascii_digits(v))]
    return bool(dated) and len(dated) * 2 >= len(sample)


def _both_answers(p: Profile, scales=(V.YES_NO, V.GOOD_BAD)) -> bool:
    """Yes and No (or Good and Bad) both among the answers: a yes/no question, whatever its header."""
    m = match_scale(p, scales)
    return m is not None and len({v for v in m.value_map.values() if v is not None}) == 2


def _usual_scale(lo: float, hi: float) -> list[float]:
    """The scale a rating's answers lo..hi are most likely given on: 1 to 5 or 7, 0 to 10 (0 where
    the answers have it). Taken from the answers alone, one month's 2..5 became the scale, and the
    next export of the same survey (recognised, so not asked again) had its 1s refused as off the
    scale; a scale assumed too wide refuses nothing."""
    if lo < 0:
        return [float(lo), float(hi)]  # a bipolar scale (-2..2): no usual one to assume
    high = next((float(top) for top in (5, 7, 10) if hi <= top), float(hi))
    low = 0.0 if lo < 1 or high == 10 else 1.0
    return [low, high]


_STATUS_HEADERS = frozenset(key(w) for w in (
    "Status", "Response status", "Survey status", "Completion status", "Statut", "Estado", "Статус", "وضعیت",
    "الحالة"))
_BARE_SCORE = frozenset(key(w) for w in ("Score", "امتیاز", "Punktzahl", "Note", "Puntuación", "Оценка"))
_SELECTED = ("selected choice", "ausgewählte auswahl", "choix sélectionné", "opción seleccionada")


_OPTION_SEP = re.compile(r"\s*[,;\u060c]\s*")


def _joined_options(p: Profile) -> bool:
    """Answers that are a few options joined by commas (or semicolons), each option met in
    several answers: the ticked options of a tick-all-that-apply question in one cell. A comment
    with a comma ('Great app, very fast') or a place with its country ('London, UK') has parts
    met in one answer only."""
    if not p.labels or p.n_distinct > MAX_DISTINCT_JOINED:
        return False
    joined = 0
    seen_in: dict[str, int] = {}  # option -> how many distinct answers hold it
    weight: dict[str, int] = {}  # option -> how many cells hold it
    for v, n in p.counts.items():
        options = {key(x) for x in _OPTION_SEP.split(v) if x.strip()}
        if len(options) > 1:
            joined += n
        for o in options:
            seen_in[o] = seen_in.get(o, 0) + 1
            weight[o] = weight.get(o, 0) + n
    if len(seen_in) < 2 or len(seen_in) > _OPTIONS_MAX or joined < max(2, 0.1 * p.n):
        return False
    recurring = sum(w for o, w in weight.items() if seen_in[o] >= 2)
    return recurring >= 0.75 * sum(weight.values())


MAX_DISTINCT_JOINED = 300  # combinations of the options a question offers
_OPTIONS_MAX = 15


def _option_text(col: Column, hk: str) -> str | None:
    """The option a column of a tick-all-that-apply question stands for: its row label in a
    two-row header (SurveyMonkey), the end of a Qualtrics '... - Selected Choice - Website'."""
    if col.sub_label:
        return col.sub_label
    if any(w in hk for w in _SELECTED):
        return (col.label or "").rsplit(" - ", 1)[-1]
    return None


def _ticked_option(col: Column, p: Profile, hk: str) -> bool:
    """A column holding its own option's text where ticked and nothing elsewhere: one option of a
    tick-all-that-apply question. A response may tick several, so no such column is where the
    response took place (its touchpoint), nor a segment of one value."""
    option = _option_text(col, hk)
    return bool(option) and p.n_distinct == 1 and key(next(iter(p.counts), "")) == key(option)


def _question_of(col: Column, label: str) -> str:
    return label[: -len(col.sub_label)].rstrip(" -–:") if col.sub_label and label.endswith(col.sub_label) \
        else label.rsplit(" - ", 2)[0]


def _segment_key(hk: str, label: str, index: int) -> tuple[str, bool]:
    for seg, words in V.SEGMENT_WORDS:
        if _hits(hk, words) is not None:
            return seg, True
    return slug(first_part(label)) or f"segment_{index + 1}", False


_ZONE_NAME = re.compile(r"(?<![\w/])([A-Z][A-Za-z_-]+/[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)?)")


def _zone_in_header(label: str) -> str | None:
    """The time zone a header names for its times ('Conversation rated at (Europe/Berlin)', as
    Intercom writes them; found by an audit: read as UTC)."""
    from zoneinfo import available_timezones

    zones = [z for z in _ZONE_NAME.findall(label or "") if z in available_timezones()]
    return zones[0] if len(set(zones)) == 1 else None


_OFFSET = re.compile(r"\s*(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$|\s*(Z|GMT|UTC)$")


def zone_of_offsets(texts: list[str]) -> str | None:
    """The time zone of times written with their UTC offsets ('2024/01/01 15:22:30 GMT+3:30'):
    one whose offset at each time is the one written, if every zone that fits keeps the same
    offsets all year round (GMT+3:30 is Tehran's; January's GMT+1 is Berlin's or Lagos', whose
    summers differ: no answer)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo, available_timezones

    import pyarrow as pa

    from .values import parse_timestamps

    locals_, offsets = [], []
    for text in texts[:200]:
        m = _OFFSET.search(ascii_digits(text or ""))
        if m:
            locals_.append(ascii_digits(text)[:m.start()])
            # (London's winter written 'Z' or 'GMT', its summer +01:00: found in review)
            offsets.append(timedelta(0) if m.group(4) else
                           timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)) * (1 if m.group(1) == "+" else -1))
    if not locals_ or not any(offsets):
        return None  # UTC throughout: what the mapping assumes anyway
    try:
        parsed, _ = parse_timestamps(pa.array(locals_, pa.string()))
    except Exception:  # (an order of day and month the sample cannot settle: no guess)
        return None
    pairs = [(t.replace(tzinfo=None), o) for t, o in zip(parsed.to_pylist(), offsets) if t is not None]
    if not pairs:
        return None
    fits = []
    for name in sorted(available_timezones()):
        if not name.startswith(("Etc/", "SystemV/", "Antarctica/")) and "/" in name:
            zone = ZoneInfo(name)
            if all(zone.utcoffset(t) == o for t, o in pairs):
                fits.append(zone)
    if not fits:
        return None
    # Every zone that fits must keep the same offsets all through the data's year; a usual name is
    # given where one fits, else the name of the rules most of them have followed in recent years
    # (not Antarctica/Macquarie for Sydney, nor America/Araguaina for São Paulo: found in review).
    year = max(t.year for t, _ in pairs)
    days = [datetime(year, 1, 1, 12) + timedelta(days=d) for d in range(366)]
    if len({tuple(z.utcoffset(d) for d in days) for z in fits}) != 1:
        return None
    names = [str(z) for z in fits]
    usual = next((n for n in _USUAL_ZONES if n in names), None)
    if usual:
        return usual
    recent = [datetime(year - 5, 1, 1, 12) + timedelta(days=d) for d in range(0, 6 * 366, 7)]
    groups: dict[tuple, list[str]] = {}
    for z in fits:
        groups.setdefault(tuple(z.utcoffset(d) for d in recent), []).append(str(z))
    return max(groups.values(), key=len)[0]


# The zone named when several behave alike (Asia/Tehran rather than its alias Iran is not an
# issue: names without '/' are left out; these are the names people know).
_USUAL_ZONES = ("Asia/Tehran", "Asia/Dubai", "Europe/London", "Europe/Berlin", "Europe/Sofia", "Asia/Jerusalem",
                "Asia/Riyadh", "Europe/Moscow", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
                "America/Chicago", "America/Denver", "America/Phoenix", "America/Toronto", "America/Mexico_City",
                "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Lima",
                "America/Santiago", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
                "Europe/Paris", "Europe/Istanbul", "Europe/Athens", "Europe/Kyiv", "Asia/Baghdad", "Asia/Karachi",
                "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo",
                "Asia/Seoul", "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "Pacific/Honolulu")


def _free_segment_key(seg: str, label: str, used: set[str], number: int) -> str:
    """A key for a segment whose own is taken by another column or is a built-in column's. A
    column headed like a built-in one (Freshdesk's 'Source': phone, email, chat) is a segment of
    another name: its key refused, it took the whole file with it (found by an audit)."""
    for candidate in (slug(first_part(label)), f"{seg[:30]}_segment"):
        if candidate and candidate not in used and candidate not in RESERVED:
            return candidate
    return f"{seg[:34]}_{number}"


def _segment_map(seg: str, p: Profile, aliases: TMapping[str, str] | None = None) -> dict[str, Any] | None:
    """Stored values for the values of a segment column: the model's aliases of this segment
    first ('أفراد' -> 'Consumer'), then canonical codes for well-known dimensions (language ->
    ISO code, tenure -> '2-5y')."""
    model = _lookup(aliases) if aliases else None  # as storage looks values up
    conv = {"language": V.language_code, "tenure_band": V.tenure_code}.get(seg)
    if conv is None and model is None:
        return None
    vm = {}
    for v in p.counts:
        c = model(v)[1] if model is not None else None
        if c is None and conv is not None:
            c = conv(v)
        if c is not None and c != v:
            vm[v] = c
        elif c is None and key(v) in V.NOT_APPLICABLE:
            vm[v] = None
    return vm or None


def _measure_spec(role: str, label: str, measure: str | None = None, **kw: Any) -> ColumnSpec:
    return ColumnSpec(role=role, label=label, measure=measure, **kw)


class Suggester:
    def __init__(self, raw: Any, layout: Layout, aliases: TMapping[str, str] | None,
                 segment_aliases: TMapping[str, TMapping[str, str]] | None = None):
        self.raw = raw
        self.layout = layout
        self.resolver = TouchpointResolver(aliases)
        self.segment_aliases = segment_aliases or {}
        self.data = raw.table.slice(layout.header_rows)
        self.warnings: list[str] = []
        self.rules: list[ExclusionRule] = []
        self._keys = {c.key.casefold() for c in layout.columns}
        self._ticked: dict[str, list[str]] = {}  # tick-all-that-apply question -> its option columns
        self._tp_column: bool | None = None  # a column names each response's touchpoint (_touchpoint_column)
        cols = [c for c in layout.columns if c.index < self.data.num_columns]
        profiled = self.data.slice(0, self.data.num_rows - summary_tail(self.data))
        # Two at a time: Arrow's counting releases the GIL (1M rows x 10 columns: 0.72 -> 0.45 s).
        with ThreadPoolExecutor(max_workers=2) as pool:
            found = pool.map(profile, (profiled.column(c.index) for c in cols))
            self.profiles: dict[str, Profile] = {c.key: p for c, p in zip(cols, found)}

    # --- one column ----------------------------------------------------------------------
    def column(self, col: Column) -> _Cand:
        p = self.profiles.get(col.key) or Profile()
        label = col.label or col.key
        hk = header_key(label)
        if p.n == 0:
            return _Cand(ColumnSpec("ignore", label), 0, "empty column")
        seen = list(p.counts) or p.sample
        if seen and sum(bool(_EMAIL.match(v)) for v in seen) >= 0.8 * len(seen) \
                and _hits(hk, V.ROLE_WORDS[1][1]) is None:
            # personal data, and no key: one person answers many surveys
            return _Cand(ColumnSpec("ignore", label), 5, "e-mail addresses")
        cand = self._tool_specific(col, p, label) or self._twin(col, label) or self._screened_out(col, p, label, hk)
        if cand:
            return cand
        if p.nps_groups:
            return _Cand(ColumnSpec("ignore", label), 5, "NPS group is derived from the score")
        if _hits(hk, V.TOOL_COLUMNS) is not None:
            return _Cand(ColumnSpec("ignore", label), 5, "added by the survey tool")
        if _ticked_option(col, p, hk):
            self._ticked.setdefault(_question_of(col, label), []).append(label)
            return _Cand(ColumnSpec("ignore", label), 6, "an option of a tick-all-that-apply question")
        measures = _measure_hits(hk)
        named = any(_hits(hk, words) is not None for _, words in V.ROLE_WORDS)
        if not measures and not named and (_hits(hk, V.IGNORE_WORDS) is not None or hk == "number"):
            # A bare 'Number' is a tool's running count (Hotjar); 'Order number' is an id, 'Number
            # of contacts' a figure.
            return _Cand(ColumnSpec("ignore", label), 5, "survey metadata")
        if p.n_distinct == 1 and p.n >= 20 and p.date_share < 0.8 and not measures and not named \
                and not _QUESTION.search(label.strip()) \
                and not any(_hits(hk, w) is not None for _, w in V.YES_NO_MEASURES) \
                and not _segment_key(hk, label, col.index)[1]:  # one region in this file is still a region
            # a version, a survey name, a count of 1 ('Regular' in every row is no score either)
            return _Cand(ColumnSpec("ignore", label), 1, "the same value in every row")
        if measures == {"comment"} and not p.numeric and _hits(hk, V.CHOICE_COMMENT_WORDS) is None \
                and not _both_answers(p, (V.YES_NO,)):
            # 'Any other comments?' answered 'No', 'ok' or 'gut' in a small export: words of a
            # scale, but a comment column; read as a score they would be stored as fake answers.
            # ('May we contact you about your feedback?' answered Yes and No is a question; a
            # 'Comment' answered 'gut' and 'schlecht' is comments: found by an audit.)
            return _Cand(ColumnSpec("comment", label, "comment"), 6)
        percent = sum(p.counts.get(v, 1) for v in p.numbers if v.rstrip().endswith(("%", "\u066a")))
        if percent * 2 >= p.n and not measures and not col.sub_label and 2 <= p.n_distinct <= _SEGMENT_MAX:
            # A rate written in percent under a header that names no score ('Discount', 'Tax
            # band') describes the response: a segment, as before percents were read as numbers
            # (found by review). Under a score's header ('Satisfaction (%)') it is that score.
            seg, _ = _segment_key(hk, label, col.index)
            return _Cand(ColumnSpec("segment", label, segment=seg,
                                    value_map=_segment_map(seg, p, self.segment_aliases.get(seg))), 2)
        for finder in (self._time, self._ids, self._matrix, self._hinted, self._labelled,
                       self._numeric, self._text):
            cand = finder(col, p, label, hk, measures)
            if cand:
                return cand
        return _Cand(ColumnSpec("ignore", label), 0)

    def _assumed(self, label: str, lo: float, hi: float, *, low: float | None = None,
                 high: float | None = None) -> list[float]:
        """The scale of a rating answered lo..hi: `low` and `high` where known (a labelled end),
        else the usual one (`_usual_scale`), with a warning when it is wider than the answers."""
        usual = _usual_scale(lo, hi)
        scale = [float(low) if low is not None else usual[0], float(high) if high is not None else usual[1]]
        if scale != [lo, hi]:
            self.warnings.append(f"'{label}': answers run from {lo:g} to {hi:g}; the scale is taken to be "
                                 f"{scale[0]:g} to {scale[1]:g}, the usual scale they fit")
        return scale

    def _twin(self, col, label) -> _Cand | None:
        """A JSON export that gives each answer twice, as its code and as its label
        (`values.QID2`: 3, `labels.QID2`: 'Neither satisfied nor dissatisfied', as Qualtrics' JSON
        export and API write them): the label is read, the code left out, unless the labels are
        the codes themselves ('4'). Read both, each answer counted twice (found by an audit)."""
        head, _, rest = col.key.partition(".")
        other = {"values": "labels", "labels": "values"}.get(head)
        if not rest or other is None or f"{other}.{rest}".casefold() not in self._keys:
            return None
        twin = self.profiles.get(f"{other}.{rest}")
        labels = self.profiles.get(col.key) if head == "labels" else twin
        coded = labels is not None and bool(labels.counts) and all(ascii_digits(v).strip().isdigit() for v in labels.counts)
        if (head == "values") != coded:
            return _Cand(ColumnSpec("ignore", label), 9, f"the same answers as {other}.{rest}")
        return None

    def _screened_out(self, col, p, label, hk) -> _Cand | None:
        """A status column that marks respondents a survey screened out or stopped (Alchemer's
        'Disqualified', QuestionPro's 'Terminated'), or a preview, test or spam (Qualtrics, in a
        JSON export's `labels.status`): those rows are no responses, as a tool's own reports leave
        them out."""
        coded = hk.startswith("values ")  # a JSON export's codes: 1 is a preview, 2 a test
        if (hk.split(" ", 1)[1] if hk.startswith(("labels ", "values ")) else hk) not in _STATUS_HEADERS:
            return None  # a response's status, not a customer's ('Account status')
        out = sorted(v for v in p.counts if key(v) in V.SCREENED_OUT)
        previews = sorted(v for v in p.counts if v in _QUALTRICS_EXCLUDE and (coded or not v.isdigit()))
        if not out and not previews:
            return None
        if out:
            self.rules.append(ExclusionRule(col.key, out, "screened out or terminated by the survey"))
        if previews:
            self.rules.append(ExclusionRule(col.key, previews, "not a real response (Qualtrics status)"))
        return _Cand(ColumnSpec("ignore", label), 9, "response status")

    def _tool_specific(self, col: Column, p: Profile, label: str) -> _Cand | None:
        if self.layout.name == "typeform" and header_key(label) == "response type":
            # A partial response was never submitted: Typeform keeps the answers given before the
            # respondent left, and its own results leave them out.
            self.rules.append(ExclusionRule(col.key, ["partial"], "not submitted (Typeform partial response)"))
            return _Cand(ColumnSpec("ignore", label), 10, "response status")
        if self.layout.name not in ("qualtrics", "qualtrics_legacy"):
            return None
        ident = header_key(col.export_tag or col.key)
        lk = header_key(label)
        if ident in ("response id", "record id") or lk == "response id":
            return _Cand(ColumnSpec("response_id", label), 10)
        if ident == "recorded date" or lk == "recorded date":
            return _Cand(ColumnSpec("timestamp", label), 10)
        if ident == "status" or lk in ("status", "response type"):
            self.rules.append(ExclusionRule(col.key, list(_QUALTRICS_EXCLUDE),
                                            "not a real response (Qualtrics status)"))
            return _Cand(ColumnSpec("ignore", label), 10, "response status")
        if ident.endswith("nps group") or lk.endswith("- group"):
            return _Cand(ColumnSpec("ignore", label), 10, "NPS group is derived from the score")
        if (ident == "end date" or header_key(col.key) == "end date") and "recordeddate" not in self._keys:
            # Without a recorded date (removed from the export), the end date is the answer time.
            return _Cand(ColumnSpec("timestamp", label), 9)
        if ident in _QUALTRICS_META or header_key(col.key) in _QUALTRICS_META:
            # The first header row and the ImportIds are English in every language of the
            # survey: 'Fortschritt' or 'Breitengrad' are no answers (found by an audit).
            return _Cand(ColumnSpec("ignore", label), 10, "survey metadata (Qualtrics)")
        if ident == "external data reference":
            return _Cand(ColumnSpec("customer_id", label), 9)
        if ident == "distribution channel" or lk == "distribution channel":
            self.rules.append(ExclusionRule(col.key, list(_QUALTRICS_CHANNEL_EXCLUDE),
                                            "not a real response (Qualtrics survey preview or test)"))
            return _Cand(ColumnSpec("ignore", label), 10, "distribution channel")
        if col.key.startswith("Q_") and "language" not in lk:
            # Qualtrics' own metadata (reCAPTCHA and fraud scores, durations, ballot-box stuffing)
            return _Cand(ColumnSpec("ignore", label), 10, "survey metadata (Qualtrics)")
        if f"{col.key}_NPS_GROUP".casefold() in self._keys:
            # Qualtrics adds an NPS group column to the questions it knows are NPS, whatever
            # their wording or language
            m = match_scale(p)
            vm = m.value_map if m and m.scale is None else None
            if vm or p.fits(0, 10, 0.8):
                return _Cand(_measure_spec("nps", label, value_map=vm), 9)
        return None

    def _time(self, col, p, label, hk, measures) -> _Cand | None:
        if p.numeric and not p.date_share:
            # A sheet's date cells in the General format are Excel serial day numbers (46327.58 is
            # 2026-11-03 13:55): under a date header they are the answer time, not a score.
            if p.lo >= 20_000 and p.hi <= 80_000 and not measures:
                for prio, words in V.TIME_WORDS:
                    if _hits(hk, words) is not None:
                        return _Cand(ColumnSpec("timestamp", label), prio)
            return None
        if p.time_share >= 0.8:
            # Times of day repeat from one day to the next: never a key, whatever the header
            # says (as a response id, next week's 09:12 would overwrite this week's).
            return _Cand(ColumnSpec("time", label), 5 if _hits(hk, V.TIME_OF_DAY_WORDS) is not None else 3)
        if p.date_share < 0.8:
            return None
        for prio, words in V.TIME_WORDS:
            if _hits(hk, words) is not None:
                return _Cand(ColumnSpec("timestamp", label), prio)
        if not measures:
            return _Cand(ColumnSpec("timestamp", label), 1)
        return None

    def _ids(self, col, p, label, hk, measures) -> _Cand | None:
        if measures:
            return None
        for role, words in V.ROLE_WORDS[:2]:
            i = _hits(hk, words)
            if i is not None:
                return _Cand(ColumnSpec(role, label), 8 - i / 100)
        if p.unique and p.n >= 2 and _hits(hk, _ID_WORDS) is not None:
            # 'ID', 'Survey ID': a key whatever its values look like (numbers too), unless the
            # header names an agent, a team or a segment ('Agent ID', 'Store ID')
            named = any(_hits(hk, words) is not None for _, words in V.ROLE_WORDS[2:]) or _segment_key(hk, label, 0)[1]
            if not named:
                return _Cand(ColumnSpec("response_id", label), 6)
        return None

    def _matrix(self, col, p, label, hk, measures) -> _Cand | None:
        if not col.sub_label:
            return None
        stem_hk = header_key(col.question)
        m = match_scale(p)
        sat_words = _hits(stem_hk, V.MEASURE_WORDS["csat"]) is not None
        vm: dict[str, Any] | None = None
        if m and (m.scale in (V.SAT5, V.SAT5_EXTENT)
                  or (m.scale in (V.QUALITY5, V.QUALITY5_AVERAGE, V.AMAZING5) and sat_words and self.resolver
                      and self.resolver.resolve(col.sub_label)[0] is not None)):
            # 'Rate the following - Website: Poor … Excellent' (Zoho) rates the model's touchpoints as
            # a satisfaction matrix does (found by an audit: one spare measure per row); rows of
            # aspects (staff, waiting time) stay ratings.
            vm = m.value_map
        elif p.integers and sat_words and 1 <= p.lo and p.hi <= 5:
            vm = None
        elif p.integers and sat_words and 1 <= p.lo and p.hi == 6 and self.layout.numeric_codes:
            vm = {"6": None}
            self.warnings.append(f"'{label}': code 6 read as 'Not applicable' (numeric export)")
        else:
            return self._matrix_other(col, p, label, m)
        tp, how = self.resolver.resolve(col.sub_label) if self.resolver else (None, "")
        if tp is None and self.resolver and self._touchpoint_column() and not self._names_a_touchpoint(col.question):
            # A response that names its touchpoint in a column of its own, and a matrix none of
            # whose rows is a touchpoint of the model: the rows are aspects (staff, waiting time,
            # price), each a measure of its own at the response's touchpoint. As invented
            # touchpoints they took the answers away from it (found by an audit). Without such a
            # column (a relationship survey) unknown rows stay touchpoints the model lacks.
            base = slug(first_part(col.question), 20) or "q"
            measure = f"{base}_{slug(col.sub_label, 20) or col.index + 1}"[:41].rstrip("_")
            return _Cand(ColumnSpec("csat", label, measure, value_map=vm), 6)
        if tp is None:
            # A row label in a script slug() drops (Hebrew, Arabic, Persian) stays as written: a key
            # from the column's position would shift with one more column in the next export and
            # mix two touchpoints, and an alias the model gains later could not find it.
            tp = slug(col.sub_label) or " ".join(col.sub_label.split())[:60] or f"touchpoint_{col.index + 1}"
            if self.resolver:
                self.warnings.append(f"'{col.sub_label}' is not a known touchpoint; "
                                     f"it was given the key '{tp}'")
        elif how == "fuzzy":
            self.warnings.append(f"'{col.sub_label}' taken to be touchpoint '{tp}'")
        return _Cand(ColumnSpec("csat", label, "tp_sat", touchpoint=tp, value_map=vm), 7)

    def _touchpoint_column(self) -> bool:
        """Whether a column outside any matrix names each response's touchpoint: its header says
        so, and its values are mostly touchpoints of the model."""
        if self._tp_column is None:
            self._tp_column = False
            for c in self.layout.columns:
                p = self.profiles.get(c.key)
                if c.sub_label or p is None or not p.counts:
                    continue
                # By its header: a column of channels named 'used most' is no touchpoint of the
                # response (found by review), one named 'touchpoint' is.
                named = _hits(header_key(c.label or c.key), V.ROLE_WORDS[4][1]) is not None
                resolved = sum(n for v, n in p.counts.items() if self.resolver.resolve(v)[0] is not None)
                if named and resolved >= 0.5 * sum(p.counts.values()):
                    self._tp_column = True
                    break
        return self._tp_column

    def _names_a_touchpoint(self, question: str) -> bool:
        """Whether some row of the matrix `question` is a touchpoint of the model."""
        return any(self.resolver.resolve(c.sub_label)[0] is not None
                   for c in self.layout.columns if c.sub_label and c.question == question)

    def _matrix_other(self, col, p, label, m) -> _Cand | None:
        base = slug(first_part(col.question), 20) or "q"
        measure = f"{base}_{slug(col.sub_label, 20) or col.index + 1}"[:41].rstrip("_")  # a valid name
        if m:
            role = m.scale.role if m.scale else "rating"
            scale = None
            if role == "rating":
                vals = [v for v in m.value_map.values() if v is not None]
                scale = [1.0, float(m.scale.size)] if m.scale else self._assumed(label, min(vals), max(vals))
            return _Cand(ColumnSpec(role, label, measure, scale=scale, value_map=m.value_map), 6)
        if p.integers and p.hi > p.lo:
            return _Cand(ColumnSpec("rating", label, measure, scale=self._assumed(label, p.lo, p.hi)), 4)
        return None

    def _hinted(self, col, p, label, hk, measures) -> _Cand | None:
        hint = V.scale_hint(label)
        if not hint or not (p.numbers or p.labels):
            return None
        lo, hi = hint
        # '(0-10)' says the scale, not what it measures: 'Overall satisfaction (0-10)' is a rating,
        # and taken for NPS it pushed the real recommend question out of the NPS slot.
        if (lo, hi) == (0, 10) and ("nps" in measures or not measures):
            return _Cand(_measure_spec("nps", label), 8 if "nps" in measures else 5)
        if (lo, hi) == (1, 5) and "ces" not in measures:
            # a header that names satisfaction before one that only gives the scale: of
            # 'Cleanliness (1-5)' and 'Overall satisfaction (1-5)', the first is a rating of its own (_settle)
            return _Cand(_measure_spec("csat", label), 8 if "csat" in measures else 6)
        if (lo, hi) == (1, 7) and ("ces" in measures or "csat" not in measures):
            return _Cand(_measure_spec("ces", label), 8 if "ces" in measures else 5)
        name = slug(first_part(V.without_scale_hint(label))) or slug(first_part(label)) or None
        return _Cand(_measure_spec("rating", label, name, scale=[float(lo), float(hi)]), 5)

    def _labelled(self, col, p, label, hk, measures) -> _Cand | None:
        m = match_scale(p)
        if not m and measures - {"comment"}:
            m = match_scale_mostly(p)
            if m:
                self.warnings.append(
                    f"'{label}': " + ", ".join(f"'{u}'" for u in m.unknown[:5])
                    + f" {'is' if len(m.unknown) == 1 else 'are'} not a label of the {m.scale.name.replace('_', ' ')} scale "
                    "the other answers use: those answers are not counted (the receipt lists each).")
        if not m:
            return None
        vm = m.value_map
        sure = 7 if measures else 5
        if m.scale is None:
            # an end-labelled numeric scale ('0 - Not at all likely' ... '10 - Extremely likely')
            labelled = [v for v in vm.values() if v is not None]
            vals = labelled + list(p.numbers.values())
            lo, hi = min(vals), max(vals)
            # '1 = Poor ... 10 = Excellent' is a 1-10 rating; '10 - Extremely likely' alone, NPS
            one_to_ten = hi == 10 and min(labelled) == 1
            if hi <= 10 and ("nps" in measures or (hi == 10 and not one_to_ten)):
                return _Cand(_measure_spec("nps", label, value_map=vm), sure)
            if lo >= 1 and hi == 7 and "ces" in measures:
                return _Cand(_measure_spec("ces", label, value_map=vm), sure)
            if lo >= 1 and hi == 5 and "csat" in measures:
                return _Cand(_measure_spec("csat", label, value_map=vm), sure)
            # a labelled end at 0 or 1 is the scale's low end ('1 = Poor'), one at 5, 7 or 10 its top
            scale = self._assumed(label, lo, hi, low=min(labelled) if min(labelled) in (0, 1) else None,
                                  high=max(labelled) if max(labelled) in (5, 7, 10) and max(labelled) >= hi else None)
            return _Cand(_measure_spec("rating", label, slug(first_part(label)) or None,
                                       scale=scale, value_map=vm), 4)
        s = m.scale
        if s in (V.SAT5, V.SAT5_EXTENT) or (s in (V.QUALITY5, V.QUALITY5_AVERAGE, V.AMAZING5) and "csat" in measures):
            return _Cand(_measure_spec("csat", label, value_map=vm), sure)
        if s in (V.EASE7, V.EFFORT5) or (s is V.AGREE7 and "ces" in measures):
            return _Cand(_measure_spec("ces", label, value_map=vm), sure)
        if s in (V.EASE5, V.AGREE5) and "ces" in measures:
            # The effort question on five points ('Very easy' ... 'Very difficult'): each label where
            # the seven-point scale has it, so the model's CES reads it on its own scale.
            seven = V.AGREE7 if s is V.AGREE5 else V.EASE7
            return _Cand(_measure_spec("ces", label, value_map={
                lbl: None if v is None else label_value(seven, lbl) or v for lbl, v in vm.items()}), sure)
        if s is V.EMOTION5:
            return _Cand(_measure_spec("emotion", label, value_map=vm), sure)
        if s in (V.YES_NO, V.GOOD_BAD):
            measure = "csat_good" if s is V.GOOD_BAD else _yes_no_measure(hk, label)
            if p.not_a_response:
                self.rules.append(ExclusionRule(col.key, sorted(p.not_a_response),
                                                "survey offered, not answered"))
            return _Cand(_measure_spec("yes_no", label, measure, value_map=vm), sure)
        return _Cand(_measure_spec("rating", label, slug(first_part(label)) or None,
                                   scale=[1.0, float(s.size)], value_map=vm), 4)

    def _numeric(self, col, p, label, hk, measures) -> _Cand | None:
        if p.date_share >= 0.8 or not (p.numeric or (measures and p.mostly_numeric)):
            return None
        if not measures and _hits(hk, _ID_WORDS) is not None:
            return None  # a store or product code is a segment or nothing, not a measure
        ints, lo, hi = p.integers, p.lo, p.hi
        if "nps" in measures and p.fits(0, 10):
            return _Cand(_measure_spec("nps", label), 7)
        if "csat" in measures and p.fits(1, 5, 0.8):
            return _Cand(_measure_spec("csat", label), 7)
        if "csat" in measures and ints and 1 <= lo and hi == 6 and self.layout.numeric_codes:
            self.warnings.append(f"'{label}': code 6 read as 'Not applicable' (numeric export)")
            return _Cand(_measure_spec("csat", label, value_map={"6": None}), 6)
        if "ces" in measures and p.fits(1, 7, 0.8):
            if ints and p.hi <= 5 and p.n >= 20:
                # A five-star 'rate the ease' (Microsoft Forms) read on the 1-7 effort scale would
                # look poor: say so (found by an audit), as the answers alone cannot tell.
                self.warnings.append(f"'{label}': answers run from {p.lo:g} to {p.hi:g} only, read as effort (CES) on its "
                                     "1 to 7 scale; if the question offered five points (stars), give it the role 'rating'.")
            return _Cand(_measure_spec("ces", label), 7)
        if "emotion" in measures and ints and 1 <= lo and hi <= 5:
            self.warnings.append(
                f"'{label}': emotion answers are numeric codes; assumed the choices were listed "
                "from most positive (1 = Delighted) to most negative (5 = Angry) - check the "
                "value map")
            return _Cand(_measure_spec("emotion", label,
                                       value_map={str(i): float(6 - i) for i in range(1, 6)}), 5)
        if not p.numeric:
            return None
        codes = set(p.numbers.values())
        question = bool(_QUESTION.search(label.strip())) or any(
            _hits(hk, w) is not None for _, w in V.YES_NO_MEASURES)
        if ints and question and codes <= {0.0, 1.0} and "nps" not in measures:
            return _Cand(_measure_spec("yes_no", label, _yes_no_measure(hk, label)), 6)
        if ints and question and codes <= {1.0, 2.0} and self.layout.numeric_codes:
            self.warnings.append(f"'{label}': codes read as 1 = Yes, 2 = No")
            return _Cand(_measure_spec("yes_no", label, _yes_no_measure(hk, label),
                                       value_map={"1": 1.0, "2": 0.0}), 5)
        if p.unique and p.n > 20 and hi >= 1000 and ints and not p.grouped:
            # Whole and unwritten by thousands: an amount with cents ('1.855,76', '287.45') is
            # unique in a small export too, and no id (found with an order value column: ignored).
            return _Cand(ColumnSpec("ignore", label), 1, "looks like an id or a count")
        if ints and lo >= 1_000_000:
            # Seven digits and more, whole: phone numbers, order and account numbers, never a score.
            return _Cand(ColumnSpec("ignore", label), 1, "looks like a phone number or an id")
        if "nps" in measures and ints and lo >= 0:
            return _Cand(_measure_spec("nps", label), 3)
        if p.n_distinct == 1 and not measures:
            return _Cand(ColumnSpec("ignore", label), 1, "the same value in every row")
        if ints and hk in _BARE_SCORE and lo >= 0 and 9 <= hi <= 10:
            # Delighted's and other NPS tools' one question, headed 'Score': 0 to 10 is its scale.
            self.warnings.append(f"'{label}': answers from 0 to 10 under a plain 'score' read as NPS; change the "
                                 "role in the mapping if it is another rating")
            return _Cand(_measure_spec("nps", label), 3)
        name = slug(first_part(label)) or f"measure_{col.index + 1}"
        if ints and hi - lo <= 10 and lo >= 0 and hi <= 100:
            return _Cand(_measure_spec("rating", label, name, scale=self._assumed(label, lo, hi)), 2)
        return _Cand(_measure_spec("number", label, name), 2)

    def _text(self, col, p, label, hk, measures) -> _Cand | None:
        # A matrix row ('Rate ... - Staff friendliness') answers a question: it is no team,
        # agent or touchpoint column, whatever its row label says.
        answers = bool(col.sub_label) and (p.numeric or match_scale(p) is not None)
        role_hit = {role: None if answers else _hits(hk, words) for role, words in V.ROLE_WORDS[2:]}
        if role_hit["team"] is not None and _hits(hk, V.AGE_WORDS) is not None:
            role_hit["team"] = None  # 'Age group', 'Grupo de edad': the customer's, no team (found in review)
        if (role_hit["touchpoint"] is not None or _segment_key(hk, label, col.index)[0] == "channel") \
                and self._joined_touchpoints(p):
            self._ticked.setdefault(label, []).append(label)
            return _Cand(ColumnSpec("ignore", label), 6, "the ticked options of a tick-all-that-apply question")
        if not answers and _joined_options(p):
            # 'Website, Store' beside 'Store' and 'Website, Delivery': the options ticked in a
            # tick-all-that-apply question, in one cell as Google Forms and Microsoft Forms write
            # them, whatever the options are (found with a Spanish form: its channels ticked read
            # as a second comment, and a product list as a segment of every combination).
            self._ticked.setdefault(label, []).append(label)
            return _Cand(ColumnSpec("ignore", label), 6, "the ticked options of a tick-all-that-apply question")
        if role_hit["touchpoint"] is not None:
            return _Cand(ColumnSpec("touchpoint", label,
                                    value_map=self._touchpoint_map(p)), 7)
        seg, known = _segment_key(hk, label, col.index)
        if seg == "channel" and self.resolver and p.n_distinct <= _SEGMENT_MAX:
            resolved = sum(self.resolver.resolve(v)[0] is not None for v in p.counts)
            if resolved * 2 >= len(p.counts):
                return _Cand(ColumnSpec("touchpoint", label,
                                        value_map=self._touchpoint_map(p)), 6)
        if not known and not measures and all(h is None for h in role_hit.values()) and self.resolver \
                and 2 <= p.n_distinct <= _SEGMENT_MAX:
            # A header that says nothing ('labels.QID3', a JSON export's) over answers that are the
            # model's touchpoints, every one: where the customer was (found by an audit).
            places = {self.resolver.resolve(v)[0] for v in p.counts}
            if None not in places and len(places) >= 2:
                return _Cand(ColumnSpec("touchpoint", label, value_map=self._touchpoint_map(p)), 5)
        if role_hit["team"] is not None:
            return _Cand(ColumnSpec("team", label), 6)
        if role_hit["agent"] is not None:
            codes = sum(bool(_CODE.match(v)) for v in p.counts) if p.counts else 0
            fld = "agent_id" if p.counts and codes * 2 > len(p.counts) else "agent_name"
            vm = {v: None for v in p.not_applicable} or None
            return _Cand(ColumnSpec("agent", label, field=fld, value_map=vm), 6)
        categorical = p.n_distinct <= 20 and p.n >= 5 * p.n_distinct
        if "comment" in measures and (not categorical or _hits(hk, V.CHOICE_COMMENT_WORDS) is None):
            return _Cand(ColumnSpec("comment", label, "comment"), 6)
        if known and p.n_distinct <= max(_SEGMENT_MAX, 1):
            return _Cand(ColumnSpec("segment", label, segment=seg,
                                    value_map=_segment_map(seg, p, self.segment_aliases.get(seg))), 6)
        if p.free_text:
            return _Cand(ColumnSpec("comment", label, "comment"), 3)
        if p.unique and p.n >= 2 and all(" " not in v for v in list(p.counts)[:200]):
            return _Cand(ColumnSpec("response_id", label), 1, "unique values")
        if 2 <= p.n_distinct <= _SEGMENT_MAX:
            return _Cand(ColumnSpec("segment", label, segment=seg,
                                    value_map=_segment_map(seg, p, self.segment_aliases.get(seg))), 2)
        return None

    def _joined_touchpoints(self, p: Profile) -> bool:
        """Answers that name several touchpoints at once ('Website,Mobile app'): a
        tick-all-that-apply question exported in one column, which names no one place."""
        if not self.resolver:
            return False
        joined = 0
        for v, n in p.counts.items():
            parts = [x for x in re.split(r"\s*[,;|\u060c]\s*", v) if x]  # and the Arabic comma
            named = {tp for x in parts if (found := self.resolver.resolve(x))[1] == "exact" and (tp := found[0])}
            joined += n if len(parts) > 1 and len(named) >= 2 else 0
        # One odd answer ('Store pickup, home delivery') does not make the column a tick-all
        # question; answers naming two places in more than a few rows do (found by review).
        return joined >= max(2, 0.05 * sum(p.counts.values()))

    def _touchpoint_map(self, p: Profile) -> dict[str, Any] | None:
        if not self.resolver:
            return None
        vm: dict[str, Any] = {}
        for v in p.counts:
            tp, how = self.resolver.resolve(v)
            if tp is not None and tp != v:
                vm[v] = tp
                if how == "fuzzy":
                    self.warnings.append(f"touchpoint value '{v}' taken to be '{tp}'")
            elif tp is None and v not in p.not_applicable:
                self.warnings.append(f"touchpoint value '{v}' is not a touchpoint of the model: its responses will be "
                                     "stored; those that name a team of the model count at the team's touchpoint, the "
                                     "others in no touchpoint tile until the model lists it (or the name as an alias)")
        for v in p.not_applicable:
            vm[v] = None
        return vm or None

    # --- the whole file ----------------------------------------------------------------------
    def suggest(self, source: str) -> Mapping:
        cands = {c.key: self.column(c) for c in self.layout.columns}
        # A choice typed under "Other" is an answer of its question where that names a place or a
        # group: it fills the question's blanks. Under any other question (a reason for a score)
        # it keeps a role of its own, a comment as a rule.
        others = {c.key: c.other_of for c in self.layout.columns
                  if c.other_of in cands and cands[c.other_of].spec.role in OTHER_ROLES}
        for k in others:
            cands[k] = _Cand(ColumnSpec("ignore", cands[k].spec.label), 0)
        self._settle(cands)
        for k, question in others.items():
            if cands[question].spec.role in OTHER_ROLES:
                cands[question].spec.other = k
        for question in self._ticked:
            self.warnings.append(f"'{question[:80]}' is a tick-all-that-apply question: its answers are not mapped "
                                 "(a response may tick several, so none of them says where it took place). Map its "
                                 "columns as segments if you want to compare by them.")
        m = Mapping(source=source, layout=self.layout.name,
                    header_rows=self.layout.header_rows,
                    columns={k: c.spec for k, c in cands.items()}, exclude=self.rules)
        self._settings(m)
        m.validate()
        return m

    def _filled(self, k: str) -> int:
        p = self.profiles.get(k)
        return int(getattr(p, "n", 0) or 0) if p is not None else 0

    def _settle(self, cands: dict[str, _Cand]) -> None:
        order = {c.key: i for i, c in enumerate(self.layout.columns)}

        def rank(k: str) -> tuple[float, int]:
            return (-cands[k].priority, order[k])

        slots: dict[tuple, list[str]] = {}
        for k, c in cands.items():
            s = c.spec
            if s.role in SINGLETONS:
                slots.setdefault((s.role,), []).append(k)
            elif s.role == "agent":
                slots.setdefault(("agent", s.field), []).append(k)
            elif s.role in ("nps", "csat", "ces", "emotion", "yes_no", "rating", "number"):
                slots.setdefault(("measure", s.measure or s.role, s.touchpoint), []).append(k)
        for slot, keys in slots.items():
            if len(keys) < 2:
                continue
            if slot == ("customer_id",):
                # Qualtrics' ExternalReference, blank for the anonymous link, beside the embedded
                # customer_id that every response has: the fuller one (found by an audit).
                keys.sort(key=lambda k: (-self._filled(k), -cands[k].priority, order[k]))
            else:
                keys.sort(key=rank)
            winner = keys[0]
            own = [k for k in keys[1:] if self._own_rating(cands[k].spec)]
            for loser in keys[1:]:
                spec = cands[loser].spec
                if loser in own:
                    # 'Staff helpfulness (1-5)' beside 'Overall satisfaction (1-5)': the scale made it
                    # look like CSAT, its header does not say so; a rating of its own, not lost
                    # (found with a home-made sheet: every answer but the first column's ignored).
                    name = slug(first_part(V.without_scale_hint(spec.label))) or slug(loser) or f"measure_{order[loser] + 1}"
                    cands[loser].spec = ColumnSpec("rating", spec.label, name, scale=list(spec.scale_range() or ()) or None,
                                                   value_map=spec.value_map)
                else:
                    cands[loser].spec = ColumnSpec("ignore", spec.label)
            what = slot[1] if slot[0] == "measure" else slot[0]
            ignored = [k for k in keys[1:] if k not in own]
            self.warnings.append(
                f"Several columns look like {what}: using {self._name(winner)}"
                + (", ignoring " + ", ".join(self._name(k) for k in ignored) if ignored else "")
                + ("; " + ", ".join(self._name(k) for k in own) + " read as a rating of its own" if own else "")
                + ". Change it in the mapping if another one is right.")
        comments = sorted((k for k, c in cands.items() if c.spec.role == "comment"), key=rank)
        taken = {"comment"}
        for n, k in enumerate(comments[1:], start=2):
            for text in (first_part(cands[k].spec.label), k, str(n)):
                base = slug(text, 30) or str(n)
                name = base if base.startswith("comment") else f"comment_{base}"
                if name not in taken:
                    break
            taken.add(name)
            cands[k].spec.measure = name
        def segment_rank(k: str) -> tuple:
            # Of two columns claiming one segment ('plan' and 'tier' both read as the tier), the
            # one named after it, then the one whose values the model knows, keeps it.
            s = cands[k].spec
            seg = s.segment or ""
            named = slug(first_part(s.label)) == seg or slug(k) == seg
            known = _lookup(self.segment_aliases.get(seg)) if self.segment_aliases.get(seg) else None
            counts = self.profiles[k].counts if k in self.profiles else {}
            fit = sum(known(v)[0] for v in counts) / len(counts) if known is not None and counts else 0.0
            return (-cands[k].priority, not named, -fit, order[k])

        used: set[str] = set()
        for k in sorted((k for k in cands if cands[k].spec.role == "segment"), key=segment_rank):
            s = cands[k].spec
            seg = s.segment or "segment"
            if seg in used or seg in RESERVED:
                seg = _free_segment_key(seg, s.label, used, order[k] + 1)
                if k in self.profiles:  # the values it was given as the other segment's are not its own
                    s.value_map = _segment_map(seg, self.profiles[k], self.segment_aliases.get(seg))
            s.segment = seg
            used.add(seg)
        # a separate time-of-day column only completes a date-only column
        ts = next((k for k, c in cands.items() if c.spec.role == "timestamp"), None)
        date_only = ts is not None and not any(":" in v for v in self.profiles[ts].sample)
        for c in cands.values():
            if c.spec.role == "time" and not date_only:
                c.spec.role = "ignore"

    @staticmethod
    def _own_rating(spec: ColumnSpec) -> bool:
        """A score guessed from its scale alone ('(1-5)'), under a header that names no measure."""
        return spec.role in ("csat", "ces", "nps") and spec.measure in (None, spec.role) and spec.touchpoint is None \
            and not _measure_hits(header_key(spec.label)) and V.scale_hint(spec.label) is not None

    def _name(self, col_key: str) -> str:
        c = self.layout.column(col_key)
        shown = c.label if c and c.label and c.label != col_key and len(c.label) <= 60 else ""
        pos = f"column {c.index + 1}" if c else ""
        return f"'{col_key}' ({', '.join(x for x in (shown and repr(shown), pos) if x)})"

    def _zone_column(self) -> str | None:
        """The time zone a column of the file names for every response ('Time Zone: Asia/Kolkata',
        as SurveySparrow exports it); None when there is no such column or it names several."""
        from zoneinfo import available_timezones

        for c in self.layout.columns:
            p = self.profiles.get(c.key)
            if p is None or _hits(header_key(c.label or c.key), V.ZONE_WORDS) is None:
                continue
            zones = {v.strip() for v in p.counts if v and v.strip()}
            if zones and zones <= available_timezones():
                if len(zones) == 1:
                    zone = zones.pop()
                    self.warnings.append(f"Times read in {zone}, the time zone the file's '{c.label or c.key}' "
                                         "column gives.")
                    return zone
                self.warnings.append(
                    f"The file's '{c.label or c.key}' column names several time zones ({', '.join(sorted(zones)[:5])}); "
                    "the times are read in one zone for the whole file: set it in the mapping.")
        return None

    def _settings(self, m: Mapping) -> None:
        lay = self.layout
        ts_key = next((k for k, c in m.columns.items() if c.role == "timestamp"), None)
        ts_col = lay.column(ts_key) if ts_key else None
        if ts_key is None:
            self.warnings.append(
                "No column looks like the date of each response: without one, no period counts the "
                "responses and no tile shows them. Set the role of the date column to 'timestamp'.")
        tz = (ts_col.timezone if ts_col else None) or lay.timezone
        if tz is None and ts_col is not None and "utc" in key(ts_col.label).split():
            tz = "UTC"
        if tz is None and ts_col is not None:
            tz = _zone_in_header(ts_col.label)
            if tz:
                self.warnings.append(f"Times read in {tz}, the time zone the header '{ts_col.label}' names.")
        if tz is None and ts_key is not None:
            tz = self._zone_column()
        if tz is None and ts_key is not None:
            sample = self.profiles[ts_key].sample[:20]
            if not _times_of_day(self.profiles[ts_key].sample):
                pass  # dates alone (a weekly sheet's '2025-11-12'): no time for a zone to shift (found by a review)
            elif not any(re.search(r"(GMT|UTC|Z$|[+-]\d{2}:?\d{2}$)", s) for s in sample):
                self.warnings.append(
                    f"{TZ_ASSUMED}: UTC was assumed. "
                    "Set the time zone in the mapping if the survey tool used local time.")
            else:
                # The offsets keep this file's times right; the zone they belong to is saved with
                # the mapping for the next export without them (the same sheet downloaded as .xlsx
                # or re-saved: found by an audit, read as UTC and 3.5 hours off).
                tz = zone_of_offsets(self.profiles[ts_key].sample)
                if tz:
                    self.warnings.append(f"Times read with the offsets they carry; a later export of this survey "
                                         f"without them is read in {tz}, the time zone of those offsets.")
                elif any(re.search(r"[+-]\d{1,2}(:?\d{2})?$", s) and not re.search(r"[+-]0{1,2}(:?00)?$", s)
                         for s in sample):
                    self.warnings.append("Times read with the offsets they carry; a later export of this survey "
                                         "without them would be read as UTC: set the time zone in the mapping.")
        m.timezone = tz or "UTC"
        m.dayfirst = lay.dayfirst
        if lay.dayfirst is False and ts_key and _dotted(self.profiles[ts_key].sample):
            # A layout's usual month-first order is no choice: dotted dates are day-first (a
            # SurveyMonkey export in German; found by an audit), and the data decides.
            m.dayfirst = None
        m.calendar = lay.calendar
        if ts_key and m.calendar is None:
            years = [int(y) for s in self.profiles[ts_key].sample
                     for y in re.findall(r"(?<!\d)(1[2-4]\d\d)(?!\d)", ascii_digits(s))]
            if years and max(years) < 1500:
                m.calendar = "jalali"
        commas = dots = grouped = 0
        for k, c in m.columns.items():
            if c.role in ("number", "rating"):
                for v in self.profiles[k].numbers:
                    v = ascii_digits(v).replace(" ", "")
                    tail = v[-3:]
                    commas += "," in tail
                    dots += "." in tail
                    grouped += bool(_COMMA_GROUPED.match(v))
        if commas or dots:
            m.decimal_comma = commas > dots
        delimiter = getattr(self.raw, "delimiter", None)
        if m.decimal_comma is None and grouped and delimiter != ";":
            m.decimal_comma = False  # '3,739' in a comma-separated file: thousands, not 3.739
        if m.decimal_comma is None and delimiter == ";":
            m.decimal_comma = True
        if getattr(self.raw, "sheet", None):
            m.sheet = self.raw.sheet


def suggest_mapping(raw: Any, layout: Layout, *, source: str,
                    touchpoint_aliases: TMapping[str, str] | None = None,
                    segment_aliases: TMapping[str, TMapping[str, str]] | None = None,
                    ) -> tuple[Mapping, list[str], dict[str, Profile]]:
    """A Mapping suggestion, the warnings behind it and each column's value profile."""
    if layout.name == "canonical":
        from ._canonical import suggest_canonical
        return suggest_canonical(raw, layout, source=source)
    s = Suggester(raw, layout, touchpoint_aliases, segment_aliases)
    m = s.suggest(source)
    return m, s.warnings, s.profiles
