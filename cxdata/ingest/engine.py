"""The ingest facade: `inspect` a file (what is it, how would it map) and `normalise` it.

    ins = inspect(path, saved_mappings=load_mappings(folder), touchpoint_aliases=aliases)
    ins.mapping          # the saved mapping when the header fingerprint matches, else a suggestion
    result = normalise(ins)                    # or normalise(ins, edited_mapping)
    result.table         # canonical long rows for storage; result.rejects / excluded / ...
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping as TMapping

from ._csv import REASON_EMPTY, blank_before_summary, blank_tail, header_end
from ._text import slug
from .layouts import Layout, detect_layout, dedupe_names, layout_named
from .mapping import MEASURE_ROLES, ColumnSpec, Mapping, MappingError, fingerprint, legacy_fingerprint
from .normalise import Normalised
from .normalise import normalise as _normalise

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
    mapping_origin: str  # 'saved' | 'suggested'
    suggested: Mapping
    preview: Any  # pandas DataFrame
    warnings: list[str] = field(default_factory=list)
    touchpoint_aliases: TMapping[str, str] | None = None
    segment_aliases: TMapping[str, TMapping[str, str]] | None = None

    @property
    def layout_name(self) -> str:
        return self.layout.name


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
    return slug(path.stem, 41) or "upload"


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
    saved = next((m for m in saved_mappings if m.fingerprint == fp), None)
    if saved is None and (old := next((m for m in saved_mappings if m.fingerprint == legacy), None)) is not None:
        # Saved under the old fingerprint: taken over under the new one (a load saves it so), which
        # the survey's other downloads share (found in review: found again only by the old one).
        saved = replace(old, fingerprint=fp)
    saved = saved or _json_subset(raw, layout, saved_mappings)
    if saved is not None and _needs_reread(raw, saved, encoding, sheet):
        raw = _read(path, encoding=saved.encoding or encoding, sheet=saved.sheet or sheet,
                    delimiter=saved.delimiter, limits=limits)
    if saved is not None and saved.layout != layout.name:
        layout = layout_named(raw, saved.layout, saved.header_rows)
    if saved is not None:
        saved = _own_stamp(saved, layout)
    suggested, warnings, _ = suggest_mapping(
        raw, layout, source=source or default_source(layout, Path(name) if name else path),
        touchpoint_aliases=touchpoint_aliases, segment_aliases=segment_aliases)
    suggested.fingerprint = fp
    suggested.encoding = encoding
    if saved is None:
        warnings += _own_source(suggested, saved_mappings, None if sources_in_use is None else set(sources_in_use))
    mapping = saved if saved is not None else suggested
    if saved is not None:
        warnings = [f"{RECOGNISED}: using the saved mapping of '{saved.source}'."]
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
        mapping_origin="saved" if saved is not None else "suggested", suggested=suggested,
        preview=_preview(raw, layout), warnings=_read_problems(raw, layout, mapping) + warnings,
        touchpoint_aliases=touchpoint_aliases, segment_aliases=segment_aliases)


def _own_stamp(saved: Mapping, layout: Layout) -> Mapping:
    """A Google Forms mapping for a download of the same form in another language: its first
    column ('Timestamp', 'Zeitstempel', 'مهر زمانی') is the answer time whatever its header says."""
    if layout.name != "google_forms" or not layout.columns or layout.columns[0].key in saved.columns:
        return saved
    stamp = next((k for k, c in saved.columns.items() if c.role == "timestamp"), None)
    if stamp is None or stamp in {c.key for c in layout.columns}:
        return saved
    first = layout.columns[0]
    return replace(saved, columns={(first.key if k == stamp else k): (replace(c, label=first.label) if k == stamp else c)
                                   for k, c in saved.columns.items()})


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
