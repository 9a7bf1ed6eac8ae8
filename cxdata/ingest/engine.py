"""The ingest facade: `inspect` a file (what is it, how would it map) and `normalise` it.

    ins = inspect(path, saved_mappings=load_mappings(folder), touchpoint_aliases=aliases)
    ins.mapping          # the saved mapping when the header fingerprint matches, else a suggestion
    result = normalise(ins)                    # or normalise(ins, edited_mapping)
    result.table         # canonical long rows for storage; result.rejects / excluded / ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping as TMapping

from ._csv import REASON_EMPTY, blank_before_summary, blank_tail, header_end
from ._text import slug
from .layouts import Layout, detect_layout, dedupe_names, layout_named
from .mapping import MEASURE_ROLES, ColumnSpec, Mapping, MappingError, fingerprint, legacy_fingerprint
from .normalise import Normalised
from .normalise import normalise as _normalise
from .recognise import Recognition, recognise, rekeyed

PREVIEW_ROWS = 20
RECOGNISED = "Recognised this export"
READ_PROBLEMS = " row(s) could not be read and will be rejected"
SAMPLE_VALUES = 5


@dataclass
class ColumnInfo:
    key: str
    label: str
    index: int
    samples: list[str]
    suggested: ColumnSpec  # what the header and values suggest
    sub_label: str = ""  # matrix row label, when the column is one


@dataclass
class Inspection:
    path: Path
    raw: Any  # RawTable
    layout: Layout
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_rows: int
    fingerprint: str
    columns: list[ColumnInfo]
    mapping: Mapping
    mapping_origin: str  # 'saved' | 'extended' (saved, and columns it does not know) | 'suggested'
    suggested: Mapping
    preview: Any  # pandas DataFrame
    warnings: list[str] = field(default_factory=list)
    touchpoint_aliases: TMapping[str, str] | None = None
    segment_aliases: TMapping[str, TMapping[str, str]] | None = None
    recognition: Recognition | None = None  # how the saved mapping was found, and the columns it lacks

    @property
    def layout_name(self) -> str:
        return self.layout.name

    @property
    def new_columns(self) -> tuple[str, ...]:
        """This export's columns that its recognised saved mapping does not know."""
        return self.recognition.new if self.recognition is not None else ()


def _read(path: Path, *, encoding=None, sheet=None, delimiter=None, limits=None):
    from .limits import Limits
    from .read import read_raw

    return read_raw(path, encoding=encoding, sheet=sheet, delimiter=delimiter,
                    limits=limits or Limits())


def default_source(layout: Layout, path: Path) -> str:
    if layout.name not in ("generic", "canonical"):
        return layout.name.split("_legacy")[0]
    # As long as a source may be (mapping._IDENT): cut at 30, 'bg_partner_transactional_cp1251'
    # read 'bg_partner_transactional_cp125', a code page that does not exist.
    return slug(survey_stem(path.stem), 41) or slug(path.stem, 41) or "upload"


# What a file's name says of one download rather than of the survey: a browser's second copy
# ' (1)', Windows' ' - Copy' and 'Copy of', then (as words of its slug) dates, times, years,
# quarters, weeks and months. Named after its first file, week 46's sheet read "Loaded as source
# weekly_feedback_w45" (found by a review), and each week's file would have been a survey of its own.
_COPY_MARKS = re.compile(r"(?i)^\s*copy of\s+|\s*\(\d{1,3}\)\s*$|\s*[-–_]?\s*\bcopy\b(\s*\(?\d{1,3}\)?)?\s*$")
_DATE_WORDS = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?:19|20)\d{2}(?:_?(?:1[0-2]|0?[1-9])(?:_?(?:3[01]|[12]\d|0?[1-9]))?)?(?:_?t?\d{2}_?\d{2}(?:_?\d{2})?)?"  # 2026_11_20, 20261120t1532
    r"|(?:3[01]|[12]\d|0?[1-9])_(?:1[0-2]|0?[1-9])_(?:19|20)\d{2}"  # 20_11_2026
    r"|(?:w|wk|week|kw|cw)_?\d{1,2}|q[1-4]|h[12]"
    r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?"
    r")(?![a-z0-9])")


def survey_stem(stem: str) -> str:
    """A file's name without what names one download of it: 'weekly_feedback_w46' and
    'Weekly feedback 2026-11-20 (1)' are 'weekly_feedback', so the next week's file suggests the
    source of the last. '' when nothing else is left ('2026-11-20.csv')."""
    text = stem
    while (cut := _COPY_MARKS.sub("", text)) != text:
        text = cut
    words = slug(text, 200)
    if words.startswith("c_") and text.lstrip()[:1].isdigit():
        words = words[2:]  # (slug's prefix of a name that starts with a digit)
    while (cut := _DATE_WORDS.sub("", words)) != words:
        words = re.sub(r"_+", "_", cut).strip("_")
    return words


def inspect(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
            saved_mappings: Iterable[Mapping] = (),
            touchpoint_aliases: TMapping[str, str] | None = None,
            segment_aliases: TMapping[str, TMapping[str, str]] | None = None,
            limits: Any = None, source: str | None = None, name: str | None = None,
            sources_in_use: Iterable[str] | None = None) -> Inspection:
    """`name` is the file's name as the user knows it (an upload is stored under a generated
    name); the suggested source is made from it. `sources_in_use`: the sources that hold
    responses (None: every saved mapping's source counts as one)."""
    from ._suggest import suggest_mapping

    path = Path(path)
    raw = _read(path, encoding=encoding, sheet=sheet, limits=limits)
    layout = detect_layout(raw)
    fp = fingerprint(raw, layout)
    saved_mappings = list(saved_mappings)
    legacy = legacy_fingerprint(raw, layout)
    exact = next((m for m in saved_mappings if m.fingerprint == fp), None)
    if exact is None and (old := next((m for m in saved_mappings if m.fingerprint == legacy), None)) is not None:
        # Saved under the old fingerprint: taken over under the new one (a load saves it so), which
        # the survey's other downloads share (found in review: found again only by the old one).
        exact = replace(old, fingerprint=fp)
    subset = None if exact is not None else _json_subset(raw, layout, saved_mappings)
    # (a JSON export that leaves out a field is its survey's, under the fingerprint of all its fields)
    rec = recognise(raw, layout, fp, saved_mappings, exact) if subset is None else \
        recognise(raw, layout, subset.fingerprint or fp, (), subset)
    if rec is not None and _needs_reread(raw, rec.saved, encoding, sheet):
        raw, layout, rec = _reread(path, raw, layout, rec, encoding, sheet, limits)
    if rec is not None and rec.mapping.layout != layout.name:
        layout = layout_named(raw, rec.mapping.layout, rec.mapping.header_rows)
    saved = rec.mapping if rec is not None else None
    suggested, warnings, _ = suggest_mapping(
        raw, layout, source=source or default_source(layout, Path(name) if name else path),
        touchpoint_aliases=touchpoint_aliases, segment_aliases=segment_aliases)
    suggested.fingerprint = fp
    suggested.encoding = encoding
    suggested.numeric_codes = layout.numeric_codes
    if saved is None:
        warnings += _own_source(suggested, saved_mappings, None if sources_in_use is None else set(sources_in_use))
    mapping = saved if saved is not None else suggested
    if rec is not None:
        warnings = _recognised(rec, suggested, layout)
    warnings += _date_questions(raw, layout, mapping) + _unreadable_times(raw, layout, mapping)
    others = [s for s in getattr(raw, "sheets", None) or [] if s != getattr(raw, "sheet", None)]
    if others and sheet is None:
        why = "the saved mapping's" if saved is not None and saved.sheet == raw.sheet else "the one that looks most like the responses"
        warnings.append(f"Read the sheet '{raw.sheet}', {why}; the workbook also has "
                        + ", ".join(f"'{s}'" for s in others[:10])
                        + ". Choose another sheet if the responses are there.")
    return Inspection(
        path=path, raw=raw, layout=layout, encoding=getattr(raw, "encoding", None),
        delimiter=getattr(raw, "delimiter", None), sheet=getattr(raw, "sheet", None),
        header_rows=layout.header_rows, fingerprint=fp,
        columns=_column_infos(raw, layout, suggested), mapping=mapping,
        mapping_origin="suggested" if rec is None else "extended" if rec.new else "saved", suggested=suggested,
        preview=_preview(raw, layout), warnings=_read_problems(raw, layout, mapping) + warnings,
        touchpoint_aliases=touchpoint_aliases, segment_aliases=segment_aliases, recognition=rec)


def _reread(path: Path, raw: Any, layout: Layout, rec: Recognition, encoding, sheet, limits):
    """The file read again with the saved mapping's encoding, sheet or separator where they read
    this export's header as well as the detected ones do: a user's choice of encoding for one
    export (cp1256, whose header read the same either way) holds for the next. Where they garble it
    (the next export saved in UTF-8, or with ';'), the detected ones stay, and the mapping's
    overrides go, lest `normalise` read the file with them."""
    saved = rec.saved
    again = _read(path, encoding=saved.encoding or encoding, sheet=saved.sheet or sheet,
                  delimiter=saved.delimiter, limits=limits)
    lay = detect_layout(again)
    if saved.layout != lay.name:
        lay = layout_named(again, saved.layout, saved.header_rows)
    mapping, new, missing = rekeyed(saved, again, lay, rec.mapping.fingerprint or "")
    if len(missing) <= len(rec.missing) and len(new) <= len(rec.new):
        return again, lay, replace(rec, mapping=mapping, new=new, missing=missing)
    return raw, layout, replace(rec, mapping=replace(rec.mapping, encoding=None, delimiter=None))


NEW_COLUMNS = "Columns that the saved mapping of"


def _recognised(rec: Recognition, suggested: Mapping, layout: Layout) -> list[str]:
    """What the page and the command line say of a recognised export: whose mapping it is, and the
    columns it has that the mapping does not know (unattended, they are not loaded: nobody confirmed
    what they are)."""
    how = " (the same columns, in another order)" if rec.how == "reordered" else ""
    out = [f"{RECOGNISED}: using the saved mapping of '{rec.source}'{how}."]
    if rec.new:
        labels = {c.key: c.label or c.key for c in layout.columns}
        out.append(f"{NEW_COLUMNS} '{rec.source}' does not know: "
                   + "; ".join(f"'{labels.get(k, k)}' (suggested: {_role_text(suggested.columns.get(k))})"
                               for k in rec.new)
                   + ". The known columns keep their saved roles; the new ones are not loaded until given a role in "
                     "the mapping (the Upload page asks about them alone).")
    return out


def _role_text(spec: ColumnSpec | None) -> str:
    if spec is None or spec.role == "ignore":
        return "ignore"
    return spec.role + "".join(f" '{v}'" for v in (spec.measure, spec.segment, spec.touchpoint) if v)


def proposed(inspection: Inspection) -> Mapping:
    """The mapping to confirm for an export recognised with new columns: the saved roles of the
    known columns, and what their header and answers suggest for the new ones, made not to clash
    with the known ones (a measure or segment one of them already gives is the new column's own,
    under its header's name; a second response id or answer time is not offered)."""
    m = inspection.mapping
    if not inspection.new_columns:
        return m
    columns = dict(m.columns)
    measures = {(m.measure_of(k), s.touchpoint) for k, s in columns.items() if s.role in MEASURE_ROLES + ("comment",)}
    segments = {s.segment for s in columns.values() if s.role == "segment"}
    for k in inspection.new_columns:
        spec = inspection.suggested.columns.get(k) or ColumnSpec()
        own = slug(spec.label or k, 41)
        own = own if own and own[0].isalpha() else ""
        if spec.role in ("response_id", "timestamp") and m.keys_with(spec.role):
            spec = replace(spec, role="ignore")
        elif spec.role in MEASURE_ROLES + ("comment",):
            measure = spec.measure or ("comment" if spec.role == "comment" else spec.role)
            if (measure, spec.touchpoint) in measures:
                spec = replace(spec, measure=own) if own and (own, spec.touchpoint) not in measures \
                    else replace(spec, role="ignore", measure=None)
            if spec.role != "ignore":
                measures.add((spec.measure or measure, spec.touchpoint))
        elif spec.role == "segment" and spec.segment in segments:
            spec = replace(spec, segment=own) if own and own not in segments else replace(spec, role="ignore", segment=None)
            segments.add(spec.segment)
        columns[k] = spec
    return replace(m, columns=columns)


SAME_SURVEY_SHARE = 0.5  # of an export's answer columns that another export of the survey has too
OWN_SOURCE = "Another survey (with other questions) was loaded as"


def _own_source(suggested: Mapping, saved_mappings: list[Mapping], in_use: set[str] | None = None) -> list[str]:
    """Give an export a source of its own when its suggested source (the tool's name) holds
    another survey. The model's KPIs choose their answers by source: a second Qualtrics survey
    stored as 'qualtrics' put its post-support NPS into the relationship index (found by an audit:
    13.2 became -20.5, without a word). Without response ids, responses are keyed by their answer
    time as well, and two forms answered in the same second would overwrite each other. An export
    sharing most of its questions with the other is the same survey, changed: it keeps the name."""
    if in_use is not None and suggested.source not in in_use:
        return []  # nothing stored under that name (a mapping shipped with the model, an upload removed)
    others = [m for m in saved_mappings if m.source == suggested.source and m.fingerprint != suggested.fingerprint]
    if not others:
        return []
    mine = {_question(c.label) for c in suggested.columns.values() if c.role in MEASURE_ROLES + ("comment",) and c.label}
    for m in others:
        theirs = {_question(c.label) for c in m.columns.values() if c.label}
        if mine and len(mine & theirs) >= SAME_SURVEY_SHARE * len(mine):
            return []
    used = {m.source for m in saved_mappings}
    old, i = suggested.source, 2
    while f"{old[:38]}_{i}" in used:
        i += 1
    suggested.source = f"{old[:38]}_{i}"
    why = ("so that its answers count only where the model names this source (its KPIs choose their answers by "
           "source)" if suggested.keys_with("response_id") else
           "so that responses of the two given in the same second stay apart (the file has no response ids)")
    return [f"{OWN_SOURCE} '{old}': this file is '{suggested.source}', {why}. If it is the same survey with "
            f"changed questions, load it under the source '{old}' (the mapping's source name; --source on the "
            "command line)."]


def _question(label: str) -> str:
    """A question's text as two formats of one export tell it: Qualtrics' legacy layout writes a
    matrix row 'How satisfied...?-Website', the current one 'How satisfied...? - Website'."""
    return "".join(ch for ch in label.casefold() if ch.isalnum())


def _time_columns(raw: Any, layout: Layout, mapping: Mapping):
    """(label, data cells) of each column the mapping reads the answer time from."""
    index = {c.key: c for c in layout.columns}
    for k in mapping.keys_with("timestamp"):
        c = index.get(k)
        if c is not None and c.index < raw.table.num_columns:
            yield c.label or k, raw.table.column(c.index).slice(layout.header_rows)


def _date_questions(raw: Any, layout: Layout, mapping: Mapping) -> list[str]:
    """The day/month question loading would stop on, asked before loading (the date order is
    chosen beside the mapping)."""
    from .values import date_order_question

    if mapping.dayfirst is not None:
        return []
    return [f"'{label}': {question}" for label, col in _time_columns(raw, layout, mapping)
            if (question := date_order_question(col))]


_TIME_SAMPLE = 2000


def _unreadable_times(raw: Any, layout: Layout, mapping: Mapping) -> list[str]:
    """Answer times of the file's first rows that loading could not read, said before loading
    (found by an audit: the Upload page said nothing until after the load)."""
    import pyarrow as pa

    from .errors import IngestError
    from ._profile import summary_tail
    from .values import parse_timestamps_detailed

    if mapping.layout == "canonical":
        return []
    out = []
    # A header repeated among the rows (two exports pasted together) is no response: loading leaves it out.
    headers = {str(v).strip() for row in raw.table.slice(0, mapping.header_rows).to_pylist() for v in row.values()
               if v is not None}
    # ...and nor are the summary rows under a sheet's responses ('Average').
    responses = raw.table.num_rows - mapping.header_rows - summary_tail(raw.table.slice(mapping.header_rows))
    for label, col in list(_time_columns(raw, layout, mapping))[:1]:  # the one loading reads
        col = col.slice(0, responses)
        text = col.slice(0, _TIME_SAMPLE).cast(pa.string()) if not pa.types.is_timestamp(col.type) else None
        if text is None or text.null_count == len(text):
            continue
        try:
            r = parse_timestamps_detailed(text, tz=mapping.timezone or "UTC", dayfirst=mapping.dayfirst,
                                          calendar=mapping.calendar)
        except IngestError:  # the day/month order is asked (_date_questions)
            continue
        bad = [v for v, b in zip(text.to_pylist(), r.unparseable.to_pylist()) if b and str(v).strip() not in headers]
        if bad:
            out.append(f"'{label}': {len(bad):,} of the first {len(text):,} answer times cannot be read "
                       f"(such as '{str(bad[0])[:40]}'). Loaded as they are, those responses have no time and no "
                       "period counts them: map another column as the answer time if one holds the dates.")
    return out


def _json_subset(raw: Any, layout: Any, saved_mappings: list[Mapping]) -> Mapping | None:
    """The saved mapping of the survey a JSON export comes from when the export leaves out fields.
    An API names only the questions some response answered, so a week in which nobody answered
    one gives another header: the mapping that already knows every field of this export, and
    whose response id and answer time are among them, is the same survey's."""
    if getattr(raw, "format", None) != "json":
        return None
    keys = {c.key for c in layout.columns}
    for m in saved_mappings:
        if m.layout != layout.name or not keys <= set(m.columns):
            continue
        needed = [k for k, spec in m.columns.items() if spec.role in ("response_id", "timestamp")]
        if needed and all(k in keys for k in needed) and len(keys) > len(needed):
            return m
    return None


def advice(inspection: Inspection, *, timezone_set: bool = False, dates_set: bool = False,
           source_set: bool = False) -> list[str]:
    """What the Upload page shows before loading, for a receipt where nobody saw it first: the
    sheet read, scales assumed and the like; not what the receipt says anyway (rows that could
    not be read are listed as rejected) nor what the caller settled (a time zone, the order of
    day and month or the source it gave: found by an audit, `--dates day-first` was still asked for)."""
    from ._suggest import TZ_ASSUMED

    settled = set(_date_questions(inspection.raw, inspection.layout, inspection.mapping)) if dates_set else set()
    return [w for w in inspection.warnings
            if not w.startswith(RECOGNISED) and READ_PROBLEMS not in w and w not in settled
            and not (timezone_set and w.startswith(TZ_ASSUMED)) and not (source_set and w.startswith(OWN_SOURCE))]


def _read_problems(raw: Any, layout: Layout, mapping: Mapping) -> list[str]:
    problems = getattr(raw, "problems", None) or []
    tail = set(blank_tail(raw.row_numbers, problems)) if problems else set()
    top = header_end(raw.row_numbers, layout.header_rows) if problems else 0
    if problems:
        from .normalise import summary_count

        tail |= set(blank_before_summary(raw.row_numbers, problems, summary_count(raw, mapping, layout)))
    # (an empty line between rows is skipped, not rejected: loading lists it as such)
    problems = [p for p in problems if p[0] not in tail and p[0] > top and p[1] != REASON_EMPTY]
    if not problems:
        return []
    row, why = problems[0]
    return [f"{len(problems)}{READ_PROBLEMS}; the first is row "
            f"{row}: {why}"]


def _needs_reread(raw: Any, saved: Mapping, encoding: str | None, sheet: str | None) -> bool:
    if saved.encoding and not encoding and saved.encoding != getattr(raw, "encoding", None):
        return True
    if saved.sheet and not sheet and saved.sheet != getattr(raw, "sheet", None) \
            and saved.sheet in (getattr(raw, "sheets", None) or []):
        return True  # (a sheet the workbook no longer has: the one read stays)
    return bool(saved.delimiter and saved.delimiter != getattr(raw, "delimiter", None))


def normalise(inspection: Inspection, mapping: Mapping | None = None, *,
              scales: dict[str, tuple[float, float]] | None = None) -> Normalised:
    """Canonical rows of an inspected file with its mapping (or an edited one). `scales`: the
    model's scale per measure, which a long file's answers must lie within."""
    m = mapping or inspection.mapping
    raw, layout = inspection.raw, inspection.layout
    if (m.encoding and m.encoding != inspection.encoding) or (
            m.delimiter and m.delimiter != inspection.delimiter):
        raw = _read(inspection.path, encoding=m.encoding, sheet=m.sheet or inspection.sheet,
                    delimiter=m.delimiter)
        layout = layout_named(raw, m.layout, m.header_rows)
    elif m.layout != layout.name or m.header_rows != layout.header_rows:
        layout = layout_named(raw, m.layout, m.header_rows)
    return _normalise(raw, m, layout=layout, touchpoint_aliases=inspection.touchpoint_aliases,
                      segment_aliases=inspection.segment_aliases, scales=scales)


def _column_infos(raw: Any, layout: Layout, suggested: Mapping) -> list[ColumnInfo]:
    data = raw.table.slice(layout.header_rows, 200)
    out = []
    for c in layout.columns:
        samples: list[str] = []
        if c.index < data.num_columns:
            for v in data.column(c.index).to_pylist():
                if v is not None and str(v).strip() and v not in samples:
                    samples.append(v)
                if len(samples) >= SAMPLE_VALUES:
                    break
        out.append(ColumnInfo(c.key, c.label, c.index, samples,
                              suggested.columns.get(c.key, ColumnSpec()), c.sub_label))
    return out


def _preview(raw: Any, layout: Layout):
    import pandas as pd

    data = raw.table.slice(layout.header_rows, PREVIEW_ROWS)
    names = dedupe_names([c.label or c.key for c in layout.columns])
    cols = {name: data.column(c.index).to_pylist() if c.index < data.num_columns else []
            for name, c in zip(names, layout.columns)}
    return pd.DataFrame(cols, dtype=object)


def load_mappings(folder: str | Path) -> list[Mapping]:
    """Every *.json mapping in a folder (a broken file raises MappingError naming it)."""
    out = []
    for p in sorted(Path(folder).glob("*.json")):
        try:
            out.append(Mapping.from_json(p.read_text(encoding="utf-8")))
        except MappingError as e:
            raise MappingError(f"{p.name}: {e}") from None
    return out


def save_mapping(mapping: Mapping, folder: str | Path, name: str | None = None) -> Path:
    p = Path(folder) / f"{name or mapping.source}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(mapping.to_json() + "\n", encoding="utf-8")
    return p
