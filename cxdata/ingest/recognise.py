"""Which saved mapping an export belongs to, keyed by this export's own columns.

A survey's next export is rarely byte-for-byte the header of the last one: a sheet's columns
dragged into another order, a question added to the form, the file saved again in Windows-1256
(whose Arabic ي/ك stand where the export had Persian ی/ک), another separator. The header
fingerprint (`mapping.fingerprint`) tells only the identical header; each of these made the
export a new survey, loaded beside the first under a source of its own (its responses stored
twice), or loaded over it with a suggested mapping that lost the saved lookups, value maps and
time zone (found by a review). So a saved mapping is recognised by its set of column names, as
`key` folds them (the comparison the engine makes of answer labels too), whatever their order,
and an export with more columns than it knows reuses its roles for the known ones: only the new
columns are a question (`Recognition.new`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from ._text import key
from .layouts import _GF_STAMP, Layout
from .mapping import MEASURE_ROLES, Mapping

# Of a saved mapping's columns, how many an export may lack and still be its survey's export: a
# question taken off the form. Fewer than ten columns: none (three home-made sheets' 'Date',
# 'Score', 'Comment' say little about being one survey).
MISSING_SHARE = 0.1
_STAMPS = {key(s) for s in _GF_STAMP}
_STAMP = "\x00timestamp"


@dataclass(frozen=True)
class Recognition:
    mapping: Mapping  # the saved mapping, its columns keyed by this export's columns
    how: str  # 'same' header (its fingerprint), 'reordered' (the same columns), 'changed' (columns added or gone)
    new: tuple[str, ...] = ()  # this export's columns the saved mapping does not know
    missing: tuple[str, ...] = ()  # the saved mapping's columns this export lacks (their answers are missing)
    source: str = ""  # the saved mapping's source
    saved: Mapping | None = None  # the saved mapping as saved (keyed by the export it was made for)


# Layouts whose columns are named by the tool's ids ('Q1', 'QID5'), which two surveys share.
_TAGGED = frozenset({"qualtrics", "qualtrics_legacy"})


def _identity(layout_name: str, column_key: str, label: str = "", first: bool = False) -> str:
    """What a column is known by across exports. Google Forms writes its first column's header
    ('Timestamp', 'Zeitstempel', 'مهر زمانی') in the downloader's language. A Qualtrics column is
    its id and its question: every survey has a 'Q1' (the other survey's own question)."""
    if layout_name == "google_forms" and (first or key(column_key) in _STAMPS):
        return _STAMP
    if layout_name in _TAGGED:
        return f"{key(column_key)}\x1f{key(label)}"
    return key(column_key)


def _file_columns(raw: Any, layout: Layout) -> dict[str, str]:
    """identity -> this export's column key, for the columns with a header or an answer (a sheet's
    trailing separators make unnamed empty columns, which say nothing about the survey)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    body = raw.table.slice(layout.header_rows)
    first = min((c.index for c in layout.columns), default=0)
    for c in layout.columns:
        if not c.label and (c.index >= body.num_columns or body.column(c.index).null_count == body.num_rows):
            continue
        ident = _identity(layout.name, c.key, c.label, c.index == first)
        if ident in seen:
            out.pop(ident, None)  # two columns the fold makes one: neither is matched by it
            continue
        seen.add(ident)
        out[ident] = c.key
    return out


def _saved_columns(m: Mapping, layout_name: str) -> dict[str, str]:
    """identity -> the saved mapping's column key, folded as this export's (`layout_name`) are."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for k, spec in m.columns.items():
        ident = _identity(layout_name, k, spec.label)
        if ident in seen:
            out.pop(ident, None)
            continue
        seen.add(ident)
        out[ident] = k
    return out


# Tools whose export is one header row of plain column names. Google Forms and Typeform are told by
# their first column ('Timestamp', '#'): with the columns in another order, their export reads as a
# plain sheet, whose columns are named the same way.
PLAIN_HEADER = frozenset({"google_forms", "typeform", "zendesk", "porsline", "generic"})


def _same_layout(m: Mapping, layout: Layout) -> bool:
    if m.layout == layout.name:
        return True
    return layout.name == "generic" and m.layout in PLAIN_HEADER and m.header_rows == layout.header_rows == 1


def _same_answers(m: Mapping, layout: Layout) -> bool:
    """Whether the saved mapping reads answers the way this export writes them: a Qualtrics export
    of numeric values needs other value maps than its choice-text export of the same columns."""
    if m.numeric_codes is not None:
        return m.numeric_codes == layout.numeric_codes
    if layout.name != "qualtrics":
        return True  # the other layouts have one way of writing answers
    # Saved before mappings said: a rating's choice labels in a value map tell a text export (a
    # segment's are text in both); else it is not known, and only the fingerprint finds it.
    labels = any(not str(v).strip().lstrip("-").replace(".", "", 1).isdigit()
                 for spec in m.columns.values() if spec.role in MEASURE_ROLES for v in (spec.value_map or {}))
    return labels and not layout.numeric_codes


def rekeyed(m: Mapping, raw: Any, layout: Layout, fingerprint: str) -> tuple[Mapping, tuple[str, ...], tuple[str, ...]]:
    """The saved mapping keyed by this export's columns (a column the fold finds under another
    spelling gets this export's key and header), with (new columns, missing columns)."""
    mine = _file_columns(raw, layout)
    theirs = _saved_columns(m, layout.name)
    own = {c.key for c in layout.columns}
    rename: dict[str, str] = {}
    for ident, k in theirs.items():
        if k in own:
            continue  # already this export's key
        if ident in mine and mine[ident] not in m.columns:
            rename[k] = mine[ident]
    new = tuple(k for k in mine.values() if k not in {rename.get(k, k) for k in m.columns})
    # (an ignored column gone is no answer missing)
    missing = tuple(rename.get(k, k) for k, spec in m.columns.items()
                    if rename.get(k, k) not in own and spec.role != "ignore")
    if not rename:
        return (m if m.fingerprint == fingerprint else replace(m, fingerprint=fingerprint)), new, missing
    labels = {c.key: c.label for c in layout.columns}
    columns = {}
    for k, spec in m.columns.items():
        new_key = rename.get(k, k)
        if new_key != k:
            spec = replace(spec, label=labels.get(new_key) or spec.label)
        if spec.other and spec.other in rename:
            spec = replace(spec, other=rename[spec.other])
        columns[new_key] = spec
    exclude = [replace(r, column=rename.get(r.column, r.column)) for r in m.exclude]
    return replace(m, columns=columns, exclude=exclude, fingerprint=fingerprint), new, missing


def recognise(raw: Any, layout: Layout, fingerprint: str, saved_mappings: Iterable[Mapping],
              exact: Mapping | None = None) -> Recognition | None:
    """The saved mapping of this export's survey, or None. `exact`: the mapping its header's
    fingerprint found (kept, keyed by this export's columns). Otherwise the mapping of this layout
    whose columns this export has, in any order, all of them or all but a few (`MISSING_SHARE`),
    its response id and answer time among them, and with no more new columns than known ones;
    of several, the one it matches best, then the one saved last (the list comes newest first)."""
    if exact is not None:
        # The header the mapping was confirmed for: a column it does not name (a mapping written by
        # hand lists the columns it reads) was left out then, and is no new question.
        m, _, missing = rekeyed(exact, raw, layout, fingerprint)
        return Recognition(m, "same", (), missing, m.source, exact)
    mine = _file_columns(raw, layout)
    best: tuple[tuple[int, int], Recognition] | None = None
    for saved in saved_mappings:
        if not _same_layout(saved, layout) or not saved.columns or not _same_answers(saved, layout):
            continue
        theirs = _saved_columns(saved, layout.name)
        known = set(theirs) & set(mine)
        gone = [ident for ident in theirs if ident not in mine]
        # A key column the export lacks: its responses could not be matched to the stored ones.
        needed = {_identity(layout.name, k, s.label) for k, s in saved.columns.items()
                  if s.role in ("response_id", "timestamp")}
        if len(known) < 2 or not needed <= set(mine) or len(gone) > int(MISSING_SHARE * len(saved.columns)) \
                or len(mine) - len(known) > len(known):
            continue
        m, new, missing = rekeyed(saved, raw, layout, fingerprint)
        score = (len(missing), len(new))
        if best is None or score < best[0]:
            how = "reordered" if not new and not missing else "changed"
            best = (score, Recognition(m, how, new, missing, saved.source, saved))
    return best[1] if best else None
