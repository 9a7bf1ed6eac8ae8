"""Answers -> numbers for one measure column, with every refused value explained.

Each distinct answer is resolved once: the column's value map first, then the built-in
scale labels of its role, then a strict number. 'Not applicable' answers become missing
(never a score, never an error); anything else that is not a valid point of the scale is
invalid and reported - it is never counted and never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from . import _vocab as V
from ._arrow import map_distinct
from ._profile import label_value, number
from ._text import ascii_digits, key, parts, without_percent
from .mapping import INTEGER_ROLES, ColumnSpec

_ROLE_SCALES = {
    "csat": (V.SAT5,), "ces": (V.EASE7, V.AGREE7, V.EFFORT5), "emotion": (V.EMOTION5,),
    "yes_no": (V.YES_NO, V.GOOD_BAD), "nps": (),
}
NA, VALID, INVALID = 0, 1, 2


@dataclass
class MeasureValues:
    values: pa.Array  # float64, null unless valid
    invalid: pa.Array  # bool
    na: pa.Array  # bool: answered 'Not applicable' (or a code mapped to missing)
    reasons: dict[str, str]  # raw value -> why it was refused


def _locale_number(text: str, decimal_comma: bool | None) -> float | None:
    s = without_percent(ascii_digits(text)).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if decimal_comma:
        if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", s):
            s = s.replace(".", "")
        s = s.replace(",", ".")
    elif decimal_comma is False and re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", s):
        return None
    return float(s)


def resolver(spec: ColumnSpec, decimal_comma: bool | None):
    """fn(raw value) -> (status, number or None, reason)."""
    vm = {key(k): v for k, v in (spec.value_map or {}).items()}
    scales = _ROLE_SCALES.get(spec.role, ())
    rng = spec.scale_range()
    integer = spec.role in INTEGER_ROLES

    def resolve(raw: str) -> tuple[int, float | None, str]:
        for part in parts(raw):
            k = key(part)
            if k in vm:
                v = vm[k]
                if v is None:
                    return NA, None, ""
                x = float(v)
                break
        else:
            if any(key(p) in V.NOT_APPLICABLE for p in parts(raw)):
                return NA, None, ""
            x = None
            for scale in scales:
                x = label_value(scale, raw)
                if x is not None:
                    break
            if x is None and spec.role == "nps":
                x = V.leading_score(raw)
            if x is None:
                x = (_locale_number(raw, decimal_comma) if spec.role in ("number", "rating")
                     else number(raw))
            if x is None:
                # a word on a labelled scale is a label it does not have; elsewhere, no number
                return INVALID, None, "not a label of its scale" if vm and not any(
                    ch.isdigit() for ch in raw) else "not a number"
        if x != x or x in (float("inf"), float("-inf")):
            return INVALID, None, "not a number"
        if integer and not float(x).is_integer():
            return INVALID, None, "not a whole number"
        if rng and not (rng[0] <= x <= rng[1]):
            return INVALID, None, f"outside the scale {rng[0]:g}-{rng[1]:g}"
        return VALID, float(x), ""

    return resolve


def measure_values(arr: pa.Array, spec: ColumnSpec, decimal_comma: bool | None) -> MeasureValues:
    """Raw cells (untrimmed strings) -> valid numbers, invalid mask, N/A mask, reasons."""
    resolve = resolver(spec, decimal_comma)
    reasons: dict[str, str] = {}

    def one(v: str) -> tuple[int, float | None]:
        st, x, why = resolve(v)
        if st == INVALID:
            reasons[v] = why
        return st, x

    many = _many_numbers(decimal_comma) if spec.role == "number" and not spec.value_map \
        else None
    out = map_distinct(arr, one, pa.struct([("s", pa.int8()), ("v", pa.float64())]),
                       many=many)
    st, vals = out.field("s"), out.field("v")
    if out.null_count:
        st = pc.if_else(pc.is_valid(out), st, pa.scalar(None, pa.int8()))
        vals = pc.if_else(pc.is_valid(out), vals, pa.scalar(None, pa.float64()))
    return MeasureValues(vals, pc.fill_null(pc.equal(st, INVALID), False),
                         pc.fill_null(pc.equal(st, NA), False), reasons)


def _many_numbers(decimal_comma: bool | None):
    """Free numbers with very many distinct values (amounts): parsed vectorised."""
    def parse(distinct: pa.Array) -> pa.Array:
        from .values import parse_numbers

        vals, bad = parse_numbers(distinct, decimal_comma=decimal_comma)
        vals = pa.array(vals, pa.float64()) if not isinstance(vals, pa.Array) else vals
        bad = pa.array(bad, pa.bool_()) if not isinstance(bad, pa.Array) else bad
        bad = pc.and_(pc.fill_null(bad, False), pc.is_valid(distinct))
        st = pc.if_else(bad, pa.scalar(INVALID, pa.int8()),
                        pc.if_else(pc.is_valid(vals), pa.scalar(VALID, pa.int8()),
                                   pa.scalar(None, pa.int8())))
        vals = pc.if_else(bad, pa.scalar(None, pa.float64()), vals)
        return pa.StructArray.from_arrays([st, vals], ["s", "v"],
                                          mask=pc.invert(pc.is_valid(distinct)))
    return parse
