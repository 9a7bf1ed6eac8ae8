"""The column mapping a user confirms once per survey, and the fingerprint that recognises it.

A `Mapping` is plain data (JSON): which column is the response id, the time, each measure,
the touchpoint, team, agent, segments and comments; how answer labels become numbers; which
rows are not responses (previews, tests, 'Offered'). It is keyed by column *keys* from the
layout (the tool's column id, or the de-duplicated header), never by position, so the next
export of the same survey - with more rows or re-ordered columns - maps the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ._text import key

# What a column can be. Measures: nps 0-10, csat 1-5, ces 1-7, emotion 1-5 (valence),
# yes_no 1/0, rating (own scale), number (any number). 'time' is a time-of-day column that
# completes a date-only 'timestamp' column. metric/value/value_text/source are only used by
# the canonical long layout.
MEASURE_ROLES = ("nps", "csat", "ces", "emotion", "yes_no", "rating", "number")
ROLES = ("response_id", "timestamp", "time", *MEASURE_ROLES, "touchpoint", "team", "agent",
         "segment", "comment", "customer_id", "ignore",
         "source", "metric", "value", "value_text")
SCALES = {"nps": (0.0, 10.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0), "emotion": (1.0, 5.0),
          "yes_no": (0.0, 1.0)}
INTEGER_ROLES = frozenset(SCALES)
AGENT_FIELDS = ("agent_name", "agent_id")
OTHER_ROLES = ("touchpoint", "team", "segment", "agent")  # answers a text typed under "Other" can name
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
RESERVED = frozenset({"source", "source_response_id", "responded_at", "customer_id",
                      "touchpoint", "team", "agent_id", "agent_name", "metric", "value",
                      "value_text", "row_number", "response_id", "quarter"})


def source_name(text: str) -> str:
    """The survey source a name typed for it is stored under: 'Google Forms' as google_forms, as a
    file's name gives one (a source is an identifier: it names the survey in the model's KPIs and
    the URL). A name with no Latin letter or digit stays as typed, for `validate` to refuse."""
    from ._text import slug

    text = str(text or "").strip()
    if _IDENT.match(text):
        return text
    return slug(text, 41) or text


class MappingError(ValueError):
    """A mapping that cannot be used; the message says what to fix."""


@dataclass
class ColumnSpec:
    role: str = "ignore"
    label: str = ""  # the header as the user saw it (documentation only)
    measure: str | None = None  # metric name for measure roles and comments
    touchpoint: str | None = None  # fixed touchpoint of a matrix sub-question
    segment: str | None = None  # segment key for role 'segment'
    field: str | None = None  # agent_name | agent_id for role 'agent'
    # [lo, hi] for 'rating'; the others have fixed scales, which the model's scale for their
    # measure narrows or replaces (set for a load by service.on_model_scales)
    scale: list[float] | None = None
    # raw answer label -> number (measures) or canonical text (dimensions); None = missing.
    value_map: dict[str, Any] | None = None
    # value -> {canonical column: value}: e.g. a store column that also gives region + team.
    derive: dict[str, dict[str, str]] | None = None
    # key of the column holding what was typed under "Other (please specify)": it fills this
    # column's empty cells (a respondent who chose Other left the answer itself blank).
    other: str | None = None

    def scale_range(self) -> tuple[float, float] | None:
        if self.scale:
            return float(self.scale[0]), float(self.scale[1])
        if self.role in SCALES:
            return SCALES[self.role]
        return None


@dataclass
class ExclusionRule:
    column: str  # column key
    values: list[str]  # rows whose value (compared by key) is one of these are not responses
    reason: str


@dataclass
class Mapping:
    source: str
    layout: str = "generic"
    header_rows: int = 1
    fingerprint: str | None = None
    timezone: str = "UTC"
    dayfirst: bool | None = None
    calendar: str | None = None  # 'jalali' when dates are Solar Hijri
    decimal_comma: bool | None = None
    encoding: str | None = None  # override of the detected encoding
    delimiter: str | None = None
    sheet: str | None = None
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    exclude: list[ExclusionRule] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)  # e.g. {"touchpoint": "store"}
    # Arabic Yeh/Kaf -> Persian letters in Persian text (labels and comments); off = verbatim
    normalise_persian: bool = False
    # Qualtrics exports answers as choice text or as recode numbers, which need other value maps:
    # the export this mapping was made for wrote codes (True) or text (False); None: saved before
    # mappings said (only the header's fingerprint then tells, see recognise._same_answers).
    numeric_codes: bool | None = None
    # 2: a file without a response id is keyed by its answer time where the times carry a time
    # of day; 1 (mappings saved before): by its time and cells (normalise._Run._synthetic_ids)
    version: int = 2

    # --- (de)serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["columns"] = {k: {f: v for f, v in c.items() if v not in (None, "")}
                        for k, c in d["columns"].items()}
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mapping:
        if not isinstance(d, dict):
            raise MappingError("A mapping must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise MappingError(f"Unknown mapping settings: {', '.join(sorted(unknown))}.")
        spec_fields = {f.name for f in fields(ColumnSpec)}
        columns = {}
        for k, c in (d.get("columns") or {}).items():
            if not isinstance(c, dict) or set(c) - spec_fields:
                raise MappingError(f"Column '{k}': unknown settings "
                                   f"{sorted(set(c) - spec_fields) if isinstance(c, dict) else c}.")
            columns[str(k)] = ColumnSpec(**c)
        rules = [ExclusionRule(**r) for r in d.get("exclude") or []]
        m = cls(**{**d, "columns": columns, "exclude": rules})
        m.validate()
        return m

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise MappingError(f"The mapping file is not valid JSON: {e}") from None

    # --- checks ------------------------------------------------------------------------------
    def validate(self) -> None:
        problems = []
        if not self.source or not _IDENT.match(self.source):
            problems.append(f"source '{self.source}' must be lower-case letters, digits, _ (at most 41)")
        for k, c in self.columns.items():
            if c.role not in ROLES:
                problems.append(f"column '{k}': unknown role '{c.role}'")
            if c.role == "segment" and not (c.segment and _IDENT.match(c.segment)
                                            and c.segment not in RESERVED):
                problems.append(f"column '{k}': segment key '{c.segment}' must be lower-case "
                                "letters, digits, _ (at most 41) and not a built-in column")
            if c.role in MEASURE_ROLES + ("comment",) and c.measure is not None \
                    and not _IDENT.match(c.measure):
                problems.append(f"column '{k}': measure '{c.measure}' must be lower-case "
                                "letters, digits, _ (at most 41)")
            if c.role == "agent" and c.field not in (None, *AGENT_FIELDS):
                problems.append(f"column '{k}': agent field must be one of {AGENT_FIELDS}")
            if c.role == "rating" and c.scale is not None and (
                    len(c.scale) != 2 or float(c.scale[0]) >= float(c.scale[1])):
                problems.append(f"column '{k}': scale must be [low, high]")
            for target in (c.derive or {}):
                if target not in ("touchpoint", "team", "agent_name", "agent_id",
                                  "customer_id") and not _IDENT.match(target):
                    problems.append(f"column '{k}': cannot derive '{target}'")
        seen: dict[tuple[str, str | None], str] = {}
        for k, c in self.columns.items():
            if c.role in MEASURE_ROLES or c.role == "comment":
                ident = (self.measure_of(k), c.touchpoint)
                if ident in seen:
                    problems.append(f"columns '{seen[ident]}' and '{k}' both give measure "
                                    f"'{ident[0]}'" + (f" for '{ident[1]}'" if ident[1] else ""))
                seen[ident] = k
        if problems:
            raise MappingError("The column mapping cannot be used:\n  - " + "\n  - ".join(problems))

    def measure_of(self, col_key: str) -> str:
        c = self.columns[col_key]
        return c.measure or ("comment" if c.role == "comment" else c.role)

    def keys_with(self, role: str) -> list[str]:
        return [k for k, c in self.columns.items() if c.role == role]


def fingerprint(raw: Any, layout: Any) -> str:
    """Hash of the normalised header rows: equal for every export of the same survey.

    Only header rows count, so more (or fewer) responses never change it; keys fold case,
    spacing and letter forms, so cosmetic re-exports do not either; nor do empty columns after
    the last (a sheet's trailing separators) or the language of Google Forms' 'Timestamp'
    header, which follows the downloader's language (found by an audit: either made the next
    export of a survey a new one, its saved rules and time zone unused).
    """
    return _fingerprint(raw, layout, loose=True)


def legacy_fingerprint(raw: Any, layout: Any) -> str:
    """The fingerprint mappings were saved with before `fingerprint` left out trailing empty
    columns and Google Forms' 'Timestamp' header: those mappings go on being found by it."""
    return _fingerprint(raw, layout, loose=False)


def _fingerprint(raw: Any, layout: Any, loose: bool) -> str:
    from .layouts import head_rows

    # A title above the header ('Customer survey - November 2026') changes with every export.
    rows = head_rows(raw, max(layout.header_rows, 1))[getattr(layout, "title_rows", 0): layout.header_rows or 1]
    if loose and rows:
        width = len(rows[0])
        while width and all(r[width - 1] is None for r in rows) and raw.table.column(width - 1).null_count == len(raw.table):
            width -= 1
        rows = [r[:width] for r in rows]
        if layout.name == "google_forms" and rows[0]:
            rows[0][0] = "timestamp"
    if getattr(raw, "format", None) == "json":
        # Named fields, not positions: a JSON export's columns come in the order its responses
        # first name them (Typeform leaves out a question nobody in the first response answered).
        rows = [sorted(row, key=lambda c: key(c or "", pictographs=True)) for row in rows]
    # Pictographs kept: the fingerprints of the mappings saved so far were made with them.
    text = "\x1e".join("\x1f".join(key(c, pictographs=True) for c in row) for row in rows)
    # A numeric-values export of the same survey needs other value maps: a different survey.
    mode = "codes" if getattr(layout, "numeric_codes", False) else "text"
    digest = hashlib.sha256(f"{layout.name}\x1d{mode}\x1d{text}".encode()).hexdigest()
    return f"{layout.name}:{digest[:24]}"
