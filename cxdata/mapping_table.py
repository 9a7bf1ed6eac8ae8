"""A column mapping as a small editable table (one row per column of the file) and back."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from .bidi import isolated
from .ingest.mapping import MEASURE_ROLES, OTHER_ROLES, ROLES, SCALES, ColumnSpec, Mapping, MappingError

# The question as the export words it first, its code second: a Qualtrics export's codes ('QID13')
# say nothing, and the question text sat far right, off screen (found by a review).
COLUMNS = ["header", "column", "role", "measure", "touchpoint", "segment", "stored as", "examples"]
SHOWN_VALUES = 4  # value translations listed per column; the rest are counted
# Roles a user picks for a column of a survey export (canonical-layout roles are set by detection).
EDITABLE_ROLES = [r for r in ROLES if r not in ("source", "metric", "value", "value_text")]


def mapping_rows(inspection) -> pd.DataFrame:
    mapping: Mapping = inspection.mapping
    rows = []
    for col in inspection.columns:
        spec = mapping.columns.get(col.key, ColumnSpec())
        header = col.label + (f" — {col.sub_label}" if col.sub_label and col.sub_label not in col.label else "")
        rows.append({
            "column": col.key, "header": header, "examples": " | ".join(str(s) for s in col.samples[:3]),
            "role": spec.role, "measure": spec.measure or "", "touchpoint": spec.touchpoint or "",
            "segment": spec.segment or "",
            "stored as": stored_as(spec.value_map),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def stored_as(value_map: dict | None) -> str:
    """What a column's labels become ('Very satisfied → 5', 'أفراد → Consumer', 'N/A → no answer'),
    so a user sees the translation before loading, not in the numbers afterwards."""
    if not value_map:
        return ""
    # Each side isolated: an Arabic label before the arrow would otherwise turn the line around.
    pairs = [f"{isolated(str(k))} → {'no answer' if v is None else isolated(_number(v))}"
             for k, v in value_map.items() if str(k) != str(v)]
    more = len(pairs) - SHOWN_VALUES
    # LRM first: the grid sets a cell right to left when its first letter is; this list reads left to right.
    return "\u200e" + "; ".join(pairs[:SHOWN_VALUES]) + (f"; … {more} more" if more > 0 else "")


def _number(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


_MARKS = {0x200E: None, 0x200F: None, 0x2066: None, 0x2067: None, 0x2068: None, 0x2069: None}
_ARROW = re.compile(r"\s*(?:→|->|=>|=)\s*")


def _shown(value_map: dict | None) -> list[str]:
    """The labels `stored_as` lists (the rest it counts)."""
    return [str(k) for k, v in (value_map or {}).items() if str(k) != str(v)][:SHOWN_VALUES]


def edited_values(old: ColumnSpec, role: str, text, label: str) -> dict | None:
    """The value map with what the user wrote in 'stored as' ('Very low effort → 7; Neither → 4';
    'N/A → no answer'), or None when the cell says what it said. A label written gets its value, a
    label the cell listed and the user took out loses it, and those the cell only counted stay.
    A measure's value must be a number: the answers are counted by it (found by a review: labels
    the vocabulary did not know could be given no value, and their answers were lost)."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    plain = str(text).translate(_MARKS).strip()
    if plain == stored_as(old.value_map).translate(_MARKS).strip():
        return None
    # (a column given another role starts afresh: a segment's texts are no measure's numbers)
    out = {k: v for k, v in (old.value_map or {}).items()
           if str(k) not in _shown(old.value_map)} if role == old.role else {}
    for part in plain.split(";"):
        part = part.strip()
        if not part or part.startswith("…") or part.startswith("..."):
            continue
        pieces = _ARROW.split(part, maxsplit=1)
        if len(pieces) != 2 or not pieces[0].strip():
            raise MappingError(f"column '{label}': write each answer and what it stands for as 'label → value', "
                               f"separated by ';' (not '{part}')")
        lbl, value = pieces[0].strip(), pieces[1].strip()
        if value.casefold() in ("no answer", "none", ""):
            out[lbl] = None
        elif role in MEASURE_ROLES:
            try:
                out[lbl] = float(value.replace(",", "."))
            except ValueError:
                raise MappingError(f"column '{label}': '{lbl}' is given '{value}', not a number: a "
                                   f"{role} answer is counted by its number ('{lbl} → 4')") from None
        else:
            out[lbl] = value
    return out


def apply_edits(mapping: Mapping, edited: pd.DataFrame, *, source: str | None = None) -> Mapping:
    """The mapping with the user's choices; value maps and other details of unchanged roles are
    kept. Raises MappingError (from validate) with a message for the user."""
    columns = dict(mapping.columns)
    for row in edited.to_dict("records"):
        key = row["column"]
        old = columns.get(key, ColumnSpec())
        role = row.get("role") or "ignore"
        text = {k: (str(row.get(k) or "").strip() or None) for k in ("measure", "touchpoint", "segment")}
        if role != old.role:
            if role in SCALES and role != "yes_no" and text["measure"] == old.measure:
                # A rating 'happy' made CSAT measures CSAT unless the user named it (found by an audit:
                # the old name stayed, and no tile showed the answers).
                text["measure"] = None
            columns[key] = ColumnSpec(role=role, label=old.label, measure=text["measure"], touchpoint=text["touchpoint"],
                                      segment=text["segment"], field=old.field if role == "agent" else None,
                                      # what was typed under "Other" still names the answer of a place or a group
                                      other=old.other if role in OTHER_ROLES else None)
        else:
            columns[key] = replace(old, measure=text["measure"] if role != "ignore" else old.measure,
                                   touchpoint=text["touchpoint"], segment=text["segment"])
        values = edited_values(old, role, row.get("stored as"), old.label or key)
        if values is not None:
            columns[key] = replace(columns[key], value_map=values or None)
    new = replace(mapping, columns=columns, source=(source or mapping.source).strip())
    new.validate()
    return new
