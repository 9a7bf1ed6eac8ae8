"""Descriptive columns (touchpoint, team, agent, segments, ids) -> canonical text."""

from __future__ import annotations

import re
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

from . import _vocab as V
from ._aliases import TouchpointResolver
from ._arrow import ascii_digits, map_distinct
from ._text import key, parts
from .mapping import ColumnSpec

_CONVERTERS: dict[str, Callable[[str], str | None]] = {
    "language": V.language_code, "tenure_band": V.tenure_code}
_EXCEL_INT = re.compile(r"^\d+\.0$")


def _lookup(vm: dict[str, Any] | None):
    table = {key(k): v for k, v in (vm or {}).items()}

    def find(raw: str) -> tuple[bool, Any]:
        for p in parts(raw):
            k = key(p)
            if k in table:
                return True, table[k]
        return False, None

    return find


def dimension(arr: pa.Array, spec: ColumnSpec, *, canon: str | None = None,
              resolver: TouchpointResolver | None = None, aliases: dict[str, str] | None = None) -> pa.Array:
    """Value map first; then the model's aliases of the segment, built-in codes (language,
    tenure) or touchpoint aliases; else the trimmed text itself. 'Not applicable' answers become
    null."""
    find = _lookup(spec.value_map)
    alias = _lookup(aliases) if aliases else None
    conv = _CONVERTERS.get(canon or "")

    def fn(raw: str) -> str | None:
        hit, v = find(raw)
        if hit:
            if v is None:
                return None
            # A saved value map's output still goes through the model's aliases, so a value the
            # model has renamed since ('Consumer' now an alias of 'Retail') follows the model.
            if alias is not None:
                renamed, to = alias(str(v))
                if renamed:
                    return to
            return str(v)
        if any(key(p) in V.NOT_APPLICABLE for p in parts(raw)):
            return None
        if alias is not None:
            hit, v = alias(raw)
            if hit:
                return v
        if conv is not None:
            c = conv(raw)
            if c is not None:
                return c
        if resolver:
            tp, _ = resolver.resolve(raw)
            if tp is not None:
                return tp
        return raw

    # thousands of distinct names: no per-value lookups, just the trimmed text
    plain = None if spec.value_map or conv or resolver or aliases else (lambda d: d)
    return map_distinct(arr, fn, pa.string(), many=plain, as_dictionary=True)


def vocabulary(spec: ColumnSpec, *, canon: str | None = None, resolver: TouchpointResolver | None = None,
               aliases: dict[str, str] | None = None) -> dict[str, str]:
    """{text: value} of the texts `dimension` knows the value of: the column's value map, the
    model's aliases of the segment, a language's names, the touchpoints' aliases. A text that a
    code page wrote as '?????' is looked for among them (text.may_stand_for)."""
    out: dict[str, str] = {}
    if resolver:
        out.update(resolver.exact)
    if canon == "language":
        out.update(V.LANGUAGES)
    out.update(aliases or {})
    out.update({k: v for k, v in (spec.value_map or {}).items() if v is not None})
    return out


def derived(arr: pa.Array, table: dict[str, str]) -> pa.Array:
    find = _lookup(table)
    return map_distinct(arr, lambda raw: (lambda h: h[1] if h[0] else None)(find(raw)),
                        pa.string(), as_dictionary=True)


def identifier(arr: pa.Array) -> pa.Array:
    """Response ids: ASCII digits; Excel's '123.0' for a numeric id cell becomes '123'."""
    arr = ascii_digits(arr)
    valid = pc.drop_null(arr)
    if len(valid) and pc.all(pc.ends_with(valid, ".0")).as_py() and \
            pc.all(pc.match_substring_regex(valid, _EXCEL_INT.pattern)).as_py():
        arr = pc.replace_substring_regex(arr, r"\.0$", "")
    return arr


def customer_id(arr: pa.Array) -> pa.Array:
    """Customer numbers typed by hand ('zc ۰۱۲ 34 ') -> 'ZC01234' so they join."""
    arr = ascii_digits(arr)
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        arr = pc.ascii_upper(pc.replace_substring(pc.replace_substring(arr, " ", ""), "\t", ""))
    else:
        arr = pc.utf8_upper(pc.replace_substring_regex(arr, r"\s+", ""))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
