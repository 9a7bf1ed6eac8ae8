"""Column-at-a-time helpers: per-value Python logic runs once per *distinct* value."""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

_NON_ASCII_DIGIT = "[\u06f0-\u06f9\u0660-\u0669]"


def flat(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def clean(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed strings, with empty and whitespace-only cells as null."""
    arr = flat(arr)
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    t = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t)


def map_distinct(arr: pa.Array, fn: Callable[[str], Any], out_type: pa.DataType) -> pa.Array:
    """fn applied to each distinct value, spread back to every row (nulls stay null)."""
    arr = flat(arr)
    if len(arr) == 0:
        return pa.array([], out_type)
    enc = pc.dictionary_encode(arr)
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], out_type)
    return mapped.take(enc.indices)


def n_distinct(arr: pa.Array) -> int:
    return int(pc.count_distinct(arr).as_py())


def ascii_digits(arr: pa.Array) -> pa.Array:
    """Persian / Arabic-Indic digits -> ASCII, vectorised (a no-op pass when there are none)."""
    if len(arr) == 0 or not pc.any(pc.match_substring_regex(arr, _NON_ASCII_DIGIT)).as_py():
        return arr
    for i in range(10):
        arr = pc.replace_substring(arr, chr(0x06F0 + i), str(i))
        arr = pc.replace_substring(arr, chr(0x0660 + i), str(i))
    return arr


def any_true(masks: list[pa.Array], n: int) -> pa.Array:
    out = pa.repeat(pa.scalar(False), n) if not masks else masks[0]
    for m in masks[1:]:
        out = pc.or_(out, m)
    return pc.fill_null(out, False)


def indices(mask: pa.Array) -> pa.Array:
    return pc.indices_nonzero(pc.fill_null(mask, False)).cast(pa.int64())
