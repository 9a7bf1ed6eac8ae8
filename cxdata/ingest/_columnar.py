"""Parquet and JSON readers behind read.read_raw.

These formats already have column names and types. To give the layout layer the same
shape as CSV and XLSX, RawTable.table starts with one header row holding the column
names, followed by every value as text; RawTable.typed keeps the original types (data
rows only, in the same order). Text forms: ISO 8601 for dates/times ('T' separator,
'Z' for UTC, no '.000000'), shortest exact form for numbers, NaN -> null, nested values
(lists, structs, JSON objects) as compact JSON.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import IngestError
from .limits import Limits


def _names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _check_shape(ncols: int, nrows: int, limits: Limits) -> None:
    if ncols > limits.max_columns:
        raise IngestError("too_many_columns",
                          f"This file has {ncols:,} columns; the app accepts at most "
                          f"{limits.max_columns:,}. Remove the columns you do not need and upload again.")
    if nrows > limits.max_rows:
        raise IngestError("too_many_rows",
                          f"This file has {nrows:,} rows; the app accepts at most {limits.max_rows:,} "
                          "per upload. Split it and upload the parts.")


# --------------------------------------------------------------------------- to text
def _iso(text: pa.Array) -> pa.Array:
    text = pc.replace_substring_regex(text, r"\.0+(Z|[+-]\d{4})?$", r"\1")
    text = pc.replace_substring_regex(text, r"^(\d{4}-\d\d-\d\d) ", r"\1T")
    return pc.replace_substring_regex(text, r"([+-]\d\d)(\d\d)$", r"\1:\2")


def _timestamp_text(arr: pa.Array) -> pa.Array:
    t = arr.type
    if t.tz is not None and t.tz not in ("UTC", "utc", "Etc/UTC", "+00:00", "Z"):
        return _iso(arr.cast(pa.string()))  # local time with its offset; slower, rare
    # Formatting through the time-zone database is slow, so format the UTC wall clock of a
    # zone-less copy (same instants) and add 'Z' ourselves.
    naive = arr.cast(pa.timestamp(t.unit))
    as_int = naive.cast(pa.int64())
    per_second = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[t.unit]
    if per_second > 1 and pc.all(pc.equal(pc.fill_null(pc.remainder(as_int, per_second), 0), 0)).as_py() is not False:
        naive = naive.cast(pa.timestamp("s"))
        text = pc.replace_substring(naive.cast(pa.string()), " ", "T", max_replacements=1)
    else:
        text = _iso(naive.cast(pa.string()))
    if t.tz is None:
        return text
    return pc.binary_join_element_wise(text, "Z", "")


def _json_text(values: list) -> pa.Array:
    return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str,
                                                        separators=(",", ":"))
                     for v in values], pa.string())


def to_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One typed Arrow column -> pa.string() with the text forms described above."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        return to_text(arr.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_floating(t):
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, t), arr)
        return arr.cast(pa.string())
    if pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t) or pa.types.is_date(t):
        return arr.cast(pa.string())
    if pa.types.is_timestamp(t):
        return _timestamp_text(arr)
    if pa.types.is_time(t):
        return _iso(arr.cast(pa.string()))
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pa.array([None if v is None else v.decode("utf-8", "replace") for v in arr.to_pylist()],
                        pa.string())
    if pa.types.is_duration(t):
        return arr.cast(pa.int64()).cast(pa.string())
    # lists, structs, maps and anything exotic: JSON text
    return _json_text(arr.to_pylist())


def _with_header(names: list[str], typed: pa.Table):
    cols = []
    for name, col in zip(names, typed.columns):
        cols.append(pa.concat_arrays([pa.array([name], pa.string()), to_text(col)]))
    table = pa.Table.from_arrays(cols, names=_names(len(names)))
    numbers = pa.array(np.arange(1, typed.num_rows + 2, dtype=np.int64))
    return table, numbers


# --------------------------------------------------------------------------- parquet
def read_parquet(path: str, *, limits: Limits):
    import pyarrow.parquet as pq
    from .read import RawTable

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        _check_shape(len(schema), pf.metadata.num_rows, limits)
        typed = pf.read()
    except IngestError:
        raise
    except Exception:
        raise IngestError("malformed", "This Parquet file is damaged or incomplete and cannot be "
                          "read. Export it again and upload the new file.") from None
    names = [str(n) for n in typed.column_names]
    table, numbers = _with_header(names, typed)
    return RawTable(table, numbers, "parquet", None, None, None, [], typed)


# --------------------------------------------------------------------------- json
_RECORD_KEYS = ("responses", "data", "results", "items", "records", "rows", "values")


def _load_json(path: str) -> list:
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("not_text", "This JSON file is not valid UTF-8 text. Export it again "
                          "(JSON is always UTF-8) and upload the new file.") from None
    if not text.strip():
        raise IngestError("empty", "This file is empty. Export the responses again and upload the new file.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as first_error:
        doc = _json_lines(text, first_error)
    if isinstance(doc, dict):
        doc = _records_in(doc)
    if not isinstance(doc, list):
        doc = [doc]
    return doc


def _json_lines(text: str, first_error: json.JSONDecodeError) -> list:
    """JSON Lines (one object per line); a broken line makes the whole file unreadable."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            line_no = first_error.lineno if not records else number
            raise IngestError("malformed", f"This JSON file is broken near line {line_no}, so it cannot "
                              "be read. Export it again and upload the new file.") from None
    return records


def _records_in(doc: dict):
    lists = {k: v for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
    for key in _RECORD_KEYS:
        if key in lists:
            return lists[key]
    if lists:
        return max(lists.values(), key=len)
    return [doc]


def _flatten(obj, prefix: str, out: dict) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            _flatten(value, name + ".", out)
        elif _is_answer_list(value):
            for answer in value:
                field = answer["field"]
                ref = field.get("ref") or field.get("id") or field.get("title")
                if ref is not None:
                    out[f"{name}.{ref}{_kind(field, str(ref))}"] = _answer_value(answer)
        else:
            out[name] = value


# The field types that say what a question measures, whatever its ref: a ref is often an
# opaque id ('01HQ9Z1K7Y...'), and an NPS question read as a rating stored no NPS (found by an audit).
_KINDS = {"nps": "NPS", "rating": "rating"}  # a yes/no field says so by its true/false


def _kind(field: dict, ref: str) -> str:
    kind = _KINDS.get(str(field.get("type")))
    said = kind and re.search(rf"(?<![a-z]){re.escape(kind)}(?![a-z])", ref.replace("_", " "), re.IGNORECASE)
    return f" ({kind})" if kind and not said else ""


def _is_answer_list(value) -> bool:
    """Answers nested as a list of {"field": {...}, "type": ..., <type>: value} (Typeform's
    Responses API): one column per field instead of one JSON text holding them all."""
    return (isinstance(value, list) and bool(value)
            and all(isinstance(a, dict) and isinstance(a.get("field"), dict) for a in value))


def _answer_value(answer: dict):
    value = answer.get(answer.get("type")) if isinstance(answer.get("type"), str) else None
    if isinstance(value, dict):  # a choice {"label": ...} or {"other": ...}, choices {"labels": [...], "other": ...}
        if "label" in value:
            return value["label"]
        picked = [*map(str, value.get("labels") or []), *([str(value["other"])] if value.get("other") else [])]
        if picked:
            return "; ".join(picked)
    return value


def _scalar_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return repr(v)
    if isinstance(v, (int,)):
        return str(v)
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def read_json(path: str, *, limits: Limits):
    from .read import RawTable

    records = _load_json(path)
    _check_shape(0, len(records), limits)
    columns: dict[str, list] = {}
    for i, rec in enumerate(records):
        flat: dict = {}
        _flatten(rec if isinstance(rec, dict) else {"value": rec}, "", flat)
        for key, value in flat.items():
            col = columns.get(key)
            if col is None:
                if len(columns) >= limits.max_columns:
                    _check_shape(len(columns) + 1, 0, limits)
                col = columns[key] = [None] * i
            col.append(value)
        for key, col in columns.items():
            if len(col) == i:
                col.append(None)
    # A response that answered nothing has "answers": [] where the others' answers became
    # columns of their own ("answers.nps"): no column of empty lists beside them.
    for name in [k for k, col in columns.items() if all(v is None or v == [] for v in col)
                 and any(other.startswith(k + ".") for other in columns)]:
        del columns[name]
    if not columns:
        raise IngestError("no_data", "This JSON file contains no responses. Export the responses "
                          "again and upload the new file.")
    names = list(columns)
    typed_cols = []
    text_cols = []
    for name in names:
        values = columns[name]
        text_cols.append(pa.concat_arrays([pa.array([name], pa.string()),
                                           pa.array([_scalar_text(v) for v in values], pa.string())]))
        try:
            typed_cols.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            typed_cols.append(pa.array([_scalar_text(v) for v in values], pa.string()))
    table = pa.Table.from_arrays(text_cols, names=_names(len(names)))
    typed = pa.Table.from_arrays(typed_cols, names=names)
    numbers = pa.array(np.arange(1, len(records) + 2, dtype=np.int64))
    return RawTable(table, numbers, "json", "utf-8", None, None, [], typed)
