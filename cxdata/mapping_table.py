"""A column mapping as a small editable table (one row per column of the file) and back."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .ingest.mapping import ROLES, ColumnSpec, Mapping

COLUMNS = ["column", "header", "examples", "role", "measure", "touchpoint", "segment"]
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
        })
    return pd.DataFrame(rows, columns=COLUMNS)


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
            columns[key] = ColumnSpec(role=role, label=old.label, measure=text["measure"], touchpoint=text["touchpoint"],
                                      segment=text["segment"], field=old.field if role == "agent" else None)
        else:
            columns[key] = replace(old, measure=text["measure"] if role != "ignore" else old.measure,
                                   touchpoint=text["touchpoint"], segment=text["segment"])
    new = replace(mapping, columns=columns, source=(source or mapping.source).strip())
    new.validate()
    return new
