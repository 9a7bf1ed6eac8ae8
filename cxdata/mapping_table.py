"""A column mapping as a small editable table (one row per column of the file) and back."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .bidi import isolated
from .ingest.mapping import OTHER_ROLES, ROLES, SCALES, ColumnSpec, Mapping

COLUMNS = ["column", "header", "examples", "role", "measure", "touchpoint", "segment", "stored as"]
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
    pairs = [f"{isolated(str(k))} → {'no answer' if v is None else isolated(str(v))}"
             for k, v in value_map.items() if str(k) != str(v)]
    more = len(pairs) - SHOWN_VALUES
    # LRM first: the grid sets a cell right to left when its first letter is; this list reads left to right.
    return "\u200e" + "; ".join(pairs[:SHOWN_VALUES]) + (f"; … {more} more" if more > 0 else "")


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
    new = replace(mapping, columns=columns, source=(source or mapping.source).strip())
    new.validate()
    return new
