"""Workbook reader (xlsx/xlsm/xlsb/ods, and old .xls) behind read.read_raw, via calamine.

Every cell becomes the text a person would read in it: whole numbers without '.0',
other numbers in their shortest exact form, dates and times as ISO 8601 text, booleans as
TRUE/FALSE. Columns keep their sheet position (c0 = column A) so a mapping that says
"column P" stays true; row_numbers are the sheet's row numbers. Rows with no value at all
are unused sheet space, not records: they are skipped without a problem entry, and the gap
stays visible in row_numbers.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import IngestError
from .limits import Limits
from ._zipguard import check_zip

_EXACT = 2.0**53  # integers up to here are exact in a float, so they print without '.0'
_NULL = pa.scalar(None, pa.string())


def _cell_text(v) -> str | None:
    if v is None:
        return None
    t = type(v)
    if t is str:
        return v if v != "" else None
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if t is float:
        if math.isfinite(v) and v.is_integer() and abs(v) < _EXACT:
            return str(int(v))
        return repr(v)
    if t is dt.datetime:
        return v.isoformat()
    if t is dt.date or t is dt.time:
        return v.isoformat()
    if t is dt.timedelta:
        total = int(v.total_seconds())
        sign = "-" if total < 0 else ""
        total = abs(total)
        return f"{sign}{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"
    return str(v)


def _number_text(nums: pa.Array) -> pa.Array:
    """float64 -> text: whole numbers as integers, the rest in shortest round-trip form."""
    whole = pc.and_(pc.equal(nums, pc.floor(nums)), pc.less(pc.abs(nums), _EXACT))
    as_int = pc.cast(pc.if_else(whole, nums, pa.scalar(None, pa.float64())), pa.int64()).cast(pa.string())
    return pc.coalesce(as_int, pc.cast(nums, pa.string()))


def _column(values: tuple) -> pa.Array:
    kinds = set(map(type, values))
    if kinds <= {str}:
        arr = pa.array(values, pa.string())
    elif kinds <= {str, float}:
        # Cells are Python objects already; splitting text from numbers is a cheap pass,
        # and the number formatting runs vectorised.
        text = pa.array([v if type(v) is str else None for v in values], pa.string())
        nums = pa.array([v if type(v) is float else None for v in values], pa.float64())
        arr = pc.coalesce(text, _number_text(nums))
    else:  # dates, booleans, ints...: per cell, but numbers still formatted the same way
        text = pa.array([None if type(v) is float else _cell_text(v) for v in values], pa.string())
        nums = pa.array([v if type(v) is float else None for v in values], pa.float64())
        arr = pc.coalesce(text, _number_text(nums))
    return pc.if_else(pc.equal(arr, ""), _NULL, arr)


def _is_encrypted_ooxml(path: str) -> bool:
    """Excel saves a password-protected .xlsx as an OLE2 container holding an
    'EncryptedPackage' stream; the name sits in the container's directory."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    return head.startswith(b"\xd0\xcf\x11\xe0") and "EncryptedPackage".encode("utf-16-le") in head


def _open(path: str):
    from python_calamine import CalamineWorkbook
    try:
        return CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises several types; all mean "cannot open"
        name = type(exc).__name__
        if ("Password" in name or "password" in str(exc).lower() or "encrypt" in str(exc).lower()
                or _is_encrypted_ooxml(path)):
            raise IngestError("unsupported_format", "This workbook is password-protected. Open it in "
                              "Excel, remove the password (or save an unprotected copy) and upload "
                              "that.") from None
        raise IngestError("malformed", "This file could not be opened as a spreadsheet; it may be "
                          "damaged or not really an Excel file. Open it in Excel, save it as .xlsx "
                          "and upload it again.") from None


def _check_size(sh, limits: Limits) -> None:
    end = sh.end or (0, 0)
    width, height = end[1] + 1, end[0] + 1
    if width > limits.max_columns:
        raise IngestError("too_many_columns",
                          f"This sheet has {width:,} columns; the app accepts at most "
                          f"{limits.max_columns:,}. Remove the columns you do not need and upload again.")
    if height > limits.max_rows + 10:
        raise IngestError("too_many_rows",
                          f"This sheet has {height:,} rows; the app accepts at most "
                          f"{limits.max_rows:,} per upload. Split it and upload the parts.")


def _pick_sheet(wb, sheet: str | None, limits: Limits):
    """The sheet to read, its rows (None: not read yet) and the sheets a user could pick instead.
    Loading a sheet parses it whole: each is loaded once, and none but the one named when a name
    is given (the choices are then the visible sheets, empty or not)."""
    names = list(wb.sheet_names)
    try:
        meta = list(wb.sheets_metadata)
    except Exception:
        meta = []
    visible = []
    for i, name in enumerate(names):
        m = meta[i] if i < len(meta) else None
        if m is not None and ("Hidden" in str(m.visible) or "Chart" in str(m.typ)):
            continue
        visible.append(name)
    if sheet is not None:
        if sheet not in names:
            shown = ", ".join(f"'{n}'" for n in names[:20])
            raise IngestError("no_sheet", f"This workbook has no sheet called '{sheet}'. Its sheets "
                              f"are: {shown}. Choose one of those.")
        sh = wb.get_sheet_by_name(sheet)
        _check_size(sh, limits)
        return sh, None, visible if sheet in visible else [*visible, sheet]
    # The visible sheet whose first filled row reads as the header of a survey's answers (a
    # workbook's responses beside a longer list of stores; found by an audit), else the visible
    # sheet with the most rows: an export's responses, not the summary or the cover sheet some
    # tools and people put before them.
    loaded = [(wb.get_sheet_by_name(name), name in visible) for name in visible + [n for n in names if n not in visible]]
    loaded = [(sh, shown) for sh, shown in loaded if sh.height and sh.width]
    choices = [sh.name for sh, shown in loaded if shown]
    ordered = sorted(loaded, key=lambda s: (not s[1], -s[0].height))
    headed = next((sh for sh, shown in ordered if shown and len(choices) > 1 and _answer_header(sh)), None)
    for sh in [headed] * (headed is not None) + [sh for sh, _ in ordered]:
        _check_size(sh, limits)
        rows = sh.to_python(skip_empty_area=False)
        if any(v not in ("", None) for r in rows for v in r):
            return sh, rows, choices if sh.name in choices else [*choices, sh.name]
    raise IngestError("no_data", "Every sheet in this workbook is empty. Check that you exported "
                      "the responses, then upload the file again.")


def _answer_header(sh) -> bool:
    """Whether the sheet's first filled row (of its first ten) names two answers or more."""
    from ._suggest import answer_headers

    head = sh.to_python(skip_empty_area=False, nrows=10)
    row = next((r for r in head if any(v not in ("", None) for v in r)), None)
    return row is not None and answer_headers(row[:200], enough=2) >= 2


def read_xlsx(path: str, *, sheet: str | None, limits: Limits):
    from .read import RawTable

    with open(path, "rb") as f:
        is_zip = f.read(4) == b"PK\x03\x04"
    if is_zip:
        check_zip(path, limits)
    wb = _open(path)
    try:
        sh, rows, sheets = _pick_sheet(wb, sheet, limits)
        if rows is None:
            rows = sh.to_python(skip_empty_area=False)
        name = sh.name
    finally:
        try:
            wb.close()
        except Exception:
            pass
    ncols = max((len(r) for r in rows), default=0)
    if ncols == 0:
        raise IngestError("no_data", f"The sheet '{name}' is empty. Choose the sheet that holds "
                          "the responses, or export the file again.")
    rows = [r if len(r) == ncols else list(r) + [""] * (ncols - len(r)) for r in rows]
    columns = [_column(c) for c in zip(*rows)]
    table = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(ncols)])
    numbers = np.arange(1, len(rows) + 1, dtype=np.int64)
    keep = None
    for col in table.columns:
        valid = pc.is_valid(col)
        keep = valid if keep is None else pc.or_(keep, valid)
    if keep is not None and not pc.all(keep).as_py():
        mask = keep.to_numpy(zero_copy_only=False)
        table = table.filter(keep)
        numbers = numbers[mask]
    problems: list[tuple[int, str]] = []
    long_limit = limits.max_cell_chars
    long_mask = None
    for col in table.columns:
        if (pc.max(pc.utf8_length(col)).as_py() or 0) > long_limit:
            m = pc.fill_null(pc.greater(pc.utf8_length(col), long_limit), False)
            long_mask = m if long_mask is None else pc.or_(long_mask, m)
    if long_mask is not None:
        bad = long_mask.to_numpy(zero_copy_only=False)
        problems = [(int(n), f"A value in this row is longer than {long_limit:,} characters, "
                     "which is not a survey answer.") for n in numbers[bad]]
        table = table.filter(pc.invert(long_mask))
        numbers = numbers[~bad]
    return RawTable(table, pa.array(numbers, pa.int64()), "xlsx", None, None, name, problems, sheets=sheets)
