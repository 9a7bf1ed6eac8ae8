"""Files already in the canonical long format (one row per response x metric).

The mapping only renames columns; values are still checked against the scales of the
metrics we know, so a hand-made long file cannot smuggle an NPS of 11 into the index.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store import RESPONSE_INDEX, response_index  # the store takes the engine's index over
from ._arrow import clean, flat, indices, map_distinct
from ._dims import _lookup, customer_id, identifier
from ._profile import number
from ._text import slug
from .layouts import Layout, head_rows
from .mapping import ColumnSpec, Mapping

# metric -> (lo, hi, whole numbers only)
KNOWN_SCALES = {"nps": (0, 10, True), "csat": (1, 5, True), "tp_sat": (1, 5, True),
                "ces": (1, 7, True), "emotion": (1, 5, True), "csat_good": (0, 1, True),
                "resolved": (0, 1, True), "goal_achieved": (0, 1, True)}
_ROLE_OF = {"source": ("source", None), "source_response_id": ("response_id", None),
            "responded_at": ("timestamp", None), "customer_id": ("customer_id", None),
            "touchpoint": ("touchpoint", None), "team": ("team", None),
            "agent_id": ("agent", "agent_id"), "agent_name": ("agent", "agent_name"),
            "metric": ("metric", None), "value": ("value", None),
            "value_text": ("value_text", None)}
_DROP = {"response_id", "quarter", "row_number", "wave"}


def suggest_canonical(raw: Any, layout: Layout, *, source: str):
    cols: dict[str, ColumnSpec] = {}
    names = {c.key for c in layout.columns}
    for c in layout.columns:
        name = c.key.strip().casefold()
        if name in _ROLE_OF:
            role, fld = _ROLE_OF[name]
            cols[c.key] = ColumnSpec(role, c.label, field=fld)
        elif name == "response_id" and "source_response_id" not in names:
            cols[c.key] = ColumnSpec("response_id", c.label)
        elif name in _DROP:
            cols[c.key] = ColumnSpec("ignore", c.label)
        else:
            cols[c.key] = ColumnSpec("segment", c.label, segment=slug(name) or "segment")
    m = Mapping(source=source, layout="canonical", header_rows=1, columns=cols)
    m.validate()
    return m, [], {}


def _typed(raw: Any) -> tuple[pa.Table, pa.Array]:
    typed = getattr(raw, "typed", None)
    if typed is not None:
        return typed, pa.array(range(2, typed.num_rows + 2), pa.int64())
    names = [c or f"column_{i + 1}" for i, c in enumerate(head_rows(raw, 1)[0])] \
        if raw.table.num_rows else []
    data = raw.table.slice(1)
    # Each column's blocks are copied into one array; the copies run side by side (Arrow lets go
    # of the GIL while it copies).
    with ThreadPoolExecutor(2) as pool:
        t = pa.table(dict(zip(names, pool.map(flat, data.columns))))
    return t, flat(raw.row_numbers).slice(1).cast(pa.int64())


def normalise_canonical(raw: Any, m: Mapping, segment_aliases: dict[str, dict[str, str]] | None = None,
                        scales: dict[str, tuple[float, float]] | None = None):
    """`segment_aliases` and `scales` as in `normalise.normalise`: the model's texts for a segment
    value, and its scale per measure."""
    bounds = _bounds(scales)
    from .normalise import BASE_SCHEMA, Normalised, empty_table

    t, rownum = _typed(raw)
    n = t.num_rows
    warnings: list[str] = []
    by_role: dict[str, pa.Array] = {}
    segments: dict[str, pa.Array] = {}
    for k, spec in m.columns.items():
        if k not in t.column_names or spec.role == "ignore":
            continue
        arr = flat(t.column(k))
        if spec.role == "segment":
            segments[spec.segment or k] = _text(arr)
        elif spec.role == "agent":
            by_role[spec.field or "agent_name"] = _text(arr)
        else:
            by_role[spec.role] = arr
    if n == 0 or "metric" not in by_role:
        if n and "metric" not in by_role:
            warnings.append("No 'metric' column: nothing to load.")
        return Normalised(empty_table(sorted(segments)), n, [], [], [], 0, m.source, warnings)

    segments.pop(RESPONSE_INDEX, None)  # never a segment (store.NOT_SEGMENTS); the name is taken below
    source = _text(by_role["source"]) if "source" in by_role else None
    source = pc.coalesce(source, pa.scalar(m.source)) if source is not None \
        else pa.repeat(pa.scalar(m.source), n)
    ids = identifier(_text(by_role.get("response_id", pa.nulls(n, pa.string()))))
    metric = _text(by_role["metric"])
    value, invalid = _values(by_role.get("value"), metric, n, bounds)
    text = by_role.get("value_text")
    text = flat(text).cast(pa.string()) if text is not None else pa.nulls(n, pa.string())
    ts = _times(by_role.get("timestamp"), m, n, warnings)

    has_content = pc.or_(pc.is_valid(value), pc.fill_null(pc.is_valid(clean(text)), False))
    problem = pc.or_(pc.or_(pc.is_null(metric), pc.is_null(ids)),
                     pc.or_(invalid, pc.invert(has_content)))
    rejects = []
    bad = indices(problem)
    if len(bad):
        for rn, mt, i, inv, v in zip(rownum.take(bad).to_pylist(), metric.take(bad).to_pylist(),
                                     ids.take(bad).to_pylist(), invalid.take(bad).to_pylist(),
                                     _text(by_role.get("value", pa.nulls(n, pa.string())))
                                     .take(bad).to_pylist()):
            why = ("no metric" if mt is None else "no response id" if i is None
                   else f"{mt} '{v}' {_why(mt, bounds)}" if inv else "no value")
            rejects.append((rn, why))
    ok = pc.invert(problem)

    cols = {"source": source, "source_response_id": ids, "responded_at": ts,
            "customer_id": customer_id(_text(by_role["customer_id"]))
            if "customer_id" in by_role else pa.nulls(n, pa.string()),
            "touchpoint": _text(by_role.get("touchpoint", pa.nulls(n, pa.string()))),
            "team": _text(by_role.get("team", pa.nulls(n, pa.string()))),
            "agent_id": by_role.get("agent_id", pa.nulls(n, pa.string())),
            "agent_name": by_role.get("agent_name", pa.nulls(n, pa.string())),
            "metric": metric, "value": value, "value_text": text, "row_number": rownum}
    table = pa.table(cols, schema=BASE_SCHEMA)
    for seg in sorted(segments):
        table = table.append_column(pa.field(seg, pa.string()), _aliased(segments[seg], (segment_aliases or {}).get(seg)))
    table = table.append_column(RESPONSE_INDEX, response_index(source, ids))
    if len(bad):  # copying every column costs more than all the checks: only when rows go
        table = table.filter(ok)
    lost = _lost_labels(raw, m, table, segments, segment_aliases)
    label = next((spec.label or k for k, spec in m.columns.items() if spec.role == "response_id"), "source_response_id")
    table, duplicates = _dedupe(table, warnings, label, lost.get("touchpoint"))
    responses = int(np.count_nonzero(np.bincount(flat(table[RESPONSE_INDEX]).to_numpy()))) if table.num_rows else 0
    return Normalised(table, n, sorted(rejects), [], duplicates, responses, m.source, warnings, lost_labels=lost)


def _lost_labels(raw: Any, m: Mapping, table: pa.Table, segments: dict[str, pa.Array],
                 segment_aliases: dict[str, dict[str, str]] | None):
    """The labels of a long file that a code page wrote '?' in (normalise.lost_labels)."""
    from .normalise import LABEL_COLUMNS, lost_labels

    names = {}
    for k, spec in m.columns.items():
        target = {"agent": spec.field or "agent_name", "segment": spec.segment or k}.get(spec.role, spec.role)
        names.setdefault(target, spec.label or k)
    columns = {c: table[c] for c in (*LABEL_COLUMNS, *segments) if c in table.column_names and c in names}
    return lost_labels(raw, columns, names, {seg: (segment_aliases or {}).get(seg) or {} for seg in segments})


def _aliased(arr: pa.Array, aliases: dict[str, str] | None) -> pa.Array:
    """A segment's values as the model stores them ('طهران' -> 'Tehran'), the rest as they are."""
    if not aliases:
        return arr
    find = _lookup(aliases)

    def fn(v: str) -> str:
        hit, to = find(v)
        return to if hit else v

    return map_distinct(arr, fn, pa.string())


def _bounds(scales: dict[str, tuple[float, float]] | None) -> dict[str, tuple[float, float, bool]]:
    """metric -> (lo, hi, whole numbers only): the usual scales, the model's where it has one."""
    out = dict(KNOWN_SCALES)
    for name, (lo, hi) in (scales or {}).items():
        out[name] = (lo, hi, KNOWN_SCALES.get(name, (0, 0, False))[2])
    return out


def _why(metric: str, bounds: dict[str, tuple[float, float, bool]]) -> str:
    if metric in bounds:
        lo, hi, whole = bounds[metric]
        return f"is not {'a whole number' if whole else 'a number'} within {lo:g}-{hi:g}"
    return "is not a number"


def _text(arr: pa.Array) -> pa.Array:
    arr = flat(arr)
    return clean(arr if arr.type == pa.string() else arr.cast(pa.string()))


def _values(arr, metric: pa.Array, n: int, bounds: dict[str, tuple[float, float, bool]]):
    if arr is None:
        return pa.nulls(n, pa.float64()), pa.repeat(pa.scalar(False), n)
    arr = flat(arr)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        value = arr.cast(pa.float64())
        bad_num = pa.repeat(pa.scalar(False), n)
    else:
        s = clean(arr.cast(pa.string()))
        value = map_distinct(s, number, pa.float64())
        bad_num = pc.and_(pc.is_valid(s), pc.is_null(value))
    value = pc.if_else(pc.is_nan(value), pa.scalar(None, pa.float64()), value)
    bad = bad_num
    present = set(pc.unique(metric).drop_null().to_pylist())
    for name, (lo, hi, whole) in bounds.items():
        if name not in present:
            continue
        mine = pc.fill_null(pc.equal(metric, name), False)
        out = pc.or_(pc.less(value, lo), pc.greater(value, hi))
        if whole:
            out = pc.or_(out, pc.not_equal(pc.floor(value), value))
        bad = pc.or_(bad, pc.fill_null(pc.and_(mine, out), False))
    value = pc.if_else(bad, pa.scalar(None, pa.float64()), value)
    return value, bad


def _times(arr, m: Mapping, n: int, warnings: list[str]) -> pa.Array:
    from .normalise import TS_TYPE

    if arr is None:
        return pa.nulls(n, TS_TYPE)
    arr = flat(arr)
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is None:
            arr = pc.assume_timezone(arr, m.timezone or "UTC")
        return arr.cast(TS_TYPE)
    from .values import parse_timestamps

    parsed, _ = parse_timestamps(clean(arr.cast(pa.string())), tz=m.timezone or "UTC",
                                 dayfirst=m.dayfirst, calendar=m.calendar)
    return flat(parsed).cast(TS_TYPE)


def _all_distinct(table: pa.Table) -> bool:
    """True when no (response, metric, touchpoint) occurs twice, the usual case, decided on one
    integer per row: far cheaper than grouping on the strings."""
    codes = []
    for col in ("metric", "touchpoint"):
        enc = pc.dictionary_encode(flat(table[col]))
        codes.append((pc.fill_null(enc.indices.cast(pa.int64()), len(enc.dictionary)), len(enc.dictionary) + 1))
    (metric, n_metric), (tp, n_tp) = codes
    key = pc.add(pc.multiply(pc.add(pc.multiply(table[RESPONSE_INDEX], n_metric), metric), n_tp), tp)
    key = np.sort(flat(key).to_numpy())  # a sort beats Arrow's hash count on a million integers
    return not bool((key[1:] == key[:-1]).any())


def _dedupe(table: pa.Table, warnings: list[str], label: str = "source_response_id", lost=None):
    """`lost`: the touchpoints that a code page wrote '?' in (LostLabels): two of a response's
    touchpoints may have become one ('מוקד' and 'סניף' both '????'), so its rows at such a
    touchpoint are no duplicates; the store settles them (store.settle_lost_labels)."""
    keys = ["source", "source_response_id", "metric", "touchpoint"]
    if table.num_rows == 0:
        return table, []
    keyed = table
    if lost is not None:
        rownum = table["row_number"].cast(pa.string())
        apart = pc.fill_null(pc.is_in(table["touchpoint"], value_set=pa.array(list(lost.values), pa.string())), False)
        keyed = table.set_column(table.schema.get_field_index("touchpoint"), "touchpoint", pc.if_else(
            apart, pc.binary_join_element_wise(table["touchpoint"], rownum, "\x1f"), table["touchpoint"]))
    if _all_distinct(keyed):
        return table, []
    t = keyed.select(keys).append_column("i", pa.array(range(table.num_rows), pa.int64()))
    g = t.group_by(keys, use_threads=False).aggregate([("i", "list"), ("i", "count")])
    dup = g.filter(pc.greater(g["i_count"], 1))
    if dup.num_rows == 0:
        return table, []
    from .normalise import refuse_shared_ids

    # A response has one row per measure and touchpoint: many rows sharing those and the id are
    # ids that lost what told them apart, not a response's answers.
    refuse_shared_ids(pa.StructArray.from_arrays([dup["source_response_id"].combine_chunks(),
                                                  dup["i_count"].combine_chunks()], ["values", "counts"]),
                      table.num_rows, label, per=" (one per answer)")
    drop, report = [], []
    rn = table.column("row_number")
    for rid, rows in zip(dup["source_response_id"].to_pylist(), dup["i_list"].to_pylist()):
        drop.extend(rows[:-1])
        report.append((rid, [rn[i].as_py() for i in rows], f"kept row {rn[rows[-1]].as_py()} "
                                                             "(last row in the file)"))
    warnings.append(f"{len(report)} (response, metric) pair(s) appear more than once; the last "
                    "row of each was kept.")
    keep = pc.invert(pc.is_in(pa.array(range(table.num_rows), pa.int64()),
                              value_set=pa.array(drop, pa.int64())))
    return table.filter(keep), report
