"""Delimited-text reader (CSV, TSV, TXT) behind read.read_raw.

Two parsers with identical semantics (RFC 4180 quoting with the lenient rules Excel and
Python's csv module share: a quote that does not start a field is a literal character):

* fast path: pyarrow.csv, multi-threaded C++. It skips rows with the wrong number of
  fields through invalid_row_handler but cannot tell *where* they were; when it skipped
  some, one pass of Python's csv module counts the fields of every record (building
  nothing else) to number the kept rows and name the skipped ones.
* exact path: Python's csv module builds the whole table, one record at a time. Slow
  (~10 s per million rows) and only used when the file has bytes that are not valid text
  in its encoding (a file pasted together from two encodings), or if the two parsers
  ever disagreed about the file's structure.

Both count records the way a spreadsheet numbers rows: the first record is row 1, a
newline inside quotes does not start a new row, and an Excel 'sep=' line is not a row.
Records with no values at all (blank lines, or nothing but delimiters) are reported as
problems, not kept: they carry no response and would otherwise pad the table silently.
DuckDB's CSV reader was measured too; its Arrow export doubled the read time and it
silently skips blank lines, so it is not used here.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import os
import re
from array import array

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import IngestError
from .limits import Limits
from .text import ENCODING_LABELS, detect_encoding, sniff_delimiter, strip_sep_line

SAMPLE_BYTES = 1 << 20
csv.field_size_limit(2**31 - 1)  # cell length is policed by Limits.max_cell_chars instead
_BLOCK_SIZES = (1 << 22, 1 << 25, 1 << 28)
_BATCH_ROWS = 65536

_EMPTY_MSG = ("This file is empty ({what}). Export the responses again from your survey tool "
              "and upload the new file.")


@dataclass
class CsvResult:
    table: pa.Table
    row_numbers: pa.Array
    encoding: str
    delimiter: str
    problems: list[tuple[int, str]]


def _names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _empty_table(ncols: int) -> pa.Table:
    return pa.table({name: pa.array([], pa.string()) for name in _names(ncols)})


# --------------------------------------------------------------------------- sniffing
@dataclass
class _Dialect:
    encoding: str            # python codec, as reported to the caller
    delimiter: str
    skip_sep_line: bool
    ncols: int
    quoted_newlines: bool    # the sample has a value containing a line break
    empty_tail: bool = False  # records differ from ncols only by empty trailing fields: trimmed
    data_width: int = 0       # with empty_tail: the rows' own width (the header's differs)
    header_line: str = ""     # with empty_tail: the first line, the header


def _decode_sample(head: bytes, encoding: str) -> str:
    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    return dec.decode(head, final=False)


def _sniff(path: str, head: bytes, size: int, encoding: str | None, delimiter: str | None,
           limits: Limits) -> _Dialect:
    if size == 0:
        raise IngestError("empty", _EMPTY_MSG.format(what="0 bytes"))
    if encoding is None:
        encoding, _ = detect_encoding(head)
    else:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise IngestError("bad_encoding", f"'{encoding}' is not a text encoding this app knows. "
                              "Choose another encoding, or leave it on automatic.") from None
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    text = _decode_sample(head, encoding)
    complete = size <= len(head)
    if complete and not text.lstrip("\ufeff").strip():
        what = "only a byte-order mark" if head.strip() == codecs.BOM_UTF8 else (
            "no text at all" if not head.strip() else "only blank lines")
        raise IngestError("empty", _EMPTY_MSG.format(what=what))
    text = text.lstrip("\ufeff")
    sep, rest = strip_sep_line(text)
    if delimiter is None:
        delimiter = sep or sniff_delimiter(rest)
    ncols, quoted_newlines, empty_tail, data_width = _column_count(path, rest, complete, encoding, delimiter,
                                                                   sep is not None, limits)
    return _Dialect(encoding, delimiter, sep is not None, ncols, quoted_newlines, empty_tail, data_width,
                    rest.split("\n", 1)[0].rstrip("\r"))


def _column_count(path, text, complete, encoding, delimiter, skip_sep, limits) -> tuple[int, bool, bool, int]:
    """The table's width, whether a value holds a line break, whether the header and the rows
    differ only by empty trailing fields, and then the rows' own width."""
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut + 1] if cut >= 0 else ""  # drop the record cut by the sample boundary
    counts: list[int] = []
    filled: list[int] = []  # each record's width without its empty trailing fields
    quoted_newlines = False
    try:
        # StringIO(newline="") splits lines only at CR/LF, like the real parsers; str.splitlines
        # would also split at U+2028, NEL and friends inside values.
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False):
            if any(record):
                counts.append(len(record))
                filled.append(len(record) - next(i for i, v in enumerate(reversed(record)) if v))
                if not quoted_newlines and any("\n" in v or "\r" in v for v in record):
                    quoted_newlines = True
    except csv.Error:
        counts = []
    if not counts:
        # Not even one whole record in the sample (a very wide header): read the first
        # record from the file itself, however long it is (bounded by max_bytes).
        counts = [_first_record_width(path, encoding, delimiter, skip_sep)]
        filled = []
    # The most common width is the table's; ties go to the earliest (the header).
    ncols = Counter(counts[:1000]).most_common(1)[0][0]
    # A header without the trailing delimiter the rows end with (or the other way round): the
    # narrower width is the table's when the header and most rows fit in it, and empty fields
    # past it are dropped (a row with something there is a problem row); else the header would
    # be a problem row and the first response read as the header.
    narrow = min(counts[0], ncols)
    empty_tail = (bool(filled) and counts[0] != ncols and filled[0] <= narrow
                  and 2 * sum(f <= narrow for f in filled[:1000]) > len(filled[:1000]))
    data_width = ncols
    if empty_tail:
        ncols = narrow
    if ncols > limits.max_columns:
        raise _too_many_columns(ncols, limits)
    return ncols, quoted_newlines, empty_tail, data_width


def _too_many_columns(ncols: int, limits: Limits) -> IngestError:
    return IngestError(
        "too_many_columns",
        f"This file has {ncols:,} columns; the app accepts at most {limits.max_columns:,}. "
        "It is probably not a survey export, or it needs to be split. Remove the columns "
        "you do not need and upload it again.")


def _first_record_width(path, encoding, delimiter, skip_sep) -> int:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=False)
        try:
            if skip_sep:
                next(reader, None)
            for record in reader:
                if any(record):
                    return len(record)
        except csv.Error:
            pass
    return 1


# --------------------------------------------------------------------------- reasons
def _reason_width(k: int, n: int, delimiter: str) -> str:
    shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "vertical bar"}.get(delimiter, repr(delimiter))
    more = "more" if k > n else "fewer"
    return (f"This row has {k} value{'s' if k != 1 else ''} but the header has {n}, so its "
            f"values cannot be matched to the columns ({more} {shown}s than expected). "
            "Check this row in the original file.")


REASON_EMPTY = "This row is empty (no values), so it was skipped."
REASON_UNCLOSED = ("A quotation mark (\") opened in this row is never closed, so the rest of the "
                   "file was swallowed into one value. Fix or remove that quote and upload again.")
BLANK_TAIL = "an empty line at the end of the file, not a response"


def blank_tail(row_numbers: pa.Array, problems) -> list[int]:
    """The empty records after the last one with a value: what an editor or Excel leaves at the
    end of a saved file, no response and no fault of the export (they were listed as rows that
    "could not be read"). An empty record between rows stays a problem row: a record broken in
    two by a stray line break leaves one."""
    problems = list(problems)
    if not problems:
        return []
    last = max([int(pc.max(row_numbers).as_py() or 0) if len(row_numbers) else 0]
               + [int(rn) for rn, why in problems if why != REASON_EMPTY])
    return sorted(int(rn) for rn, why in problems if why == REASON_EMPTY and int(rn) > last)


def blank_before_summary(row_numbers: pa.Array, problems, summary_rows: int) -> list[int]:
    """The empty records between the last response and the `summary_rows` closing the table
    ('Average', 'Total'), and among them: a spreadsheet's gap above its totals, no response and no
    record broken in two (found with a sheet saved as CSV: rejected as a row that could not be
    read, while the totals under it were left out as they should be)."""
    problems = list(problems)
    n = len(row_numbers)
    if not problems or summary_rows <= 0 or summary_rows >= n:
        return []
    after = int(row_numbers[n - summary_rows - 1].as_py())
    last = int(row_numbers[n - 1].as_py())
    return sorted(int(rn) for rn, why in problems if why == REASON_EMPTY and after < int(rn) < last)


def header_end(row_numbers: pa.Array, header_rows: int) -> int:
    """The file row of the last header row: problems up to it (the empty lines under a title
    above the header) are no rows of the responses. Blank lines leave gaps in `row_numbers`, so
    the count of header rows alone is too small (found with a sheet titled above two empty lines:
    the second was rejected as a row that could not be read)."""
    if header_rows <= 0:
        return 0
    if len(row_numbers) >= header_rows:
        return int(row_numbers[header_rows - 1].as_py())
    return header_rows


def _reason_bytes(encoding: str) -> str:
    return (f"This row contains characters that are not valid {encoding} text. Save the file as "
            "'CSV UTF-8' and upload it again.")


def _reason_long(limit: int) -> str:
    return f"A value in this row is longer than {limit:,} characters, which is not a survey answer."


# --------------------------------------------------------------------------- helpers
def _tail_is_unclosed_quote(path: str, encoding: str, head: bytes, last_value: str | None) -> bool:
    """True when the file ends inside a quoted value that swallowed later lines.

    A properly closed last value ends the file with '"' (plus an optional line break); an
    unquoted value cannot contain a line break. So a last value containing a line break in
    a file that does not end with a quote means the quote was never closed.
    """
    if last_value is None or ("\n" not in last_value and "\r" not in last_value):
        return False
    enc = _tail_codec(encoding, head)
    width = 4 if "32" in enc else 2 if "16" in enc else 1
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        n = f.tell()
        take = min(n, 64 * width)
        take -= take % width
        f.seek(n - take)
        tail = f.read().decode(enc, errors="ignore")
    return not tail.rstrip("\r\n").endswith('"')


def _tail_codec(encoding: str, head: bytes) -> str:
    if encoding in ("utf-16", "utf-32"):
        le = head.startswith(codecs.BOM_UTF16_LE)
        return f"{encoding}-{'le' if le else 'be'}"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _all_null_mask(table: pa.Table) -> pa.Array | None:
    """Rows in which every column is null, or None when there cannot be any."""
    if table.num_rows == 0 or any(col.null_count == 0 for col in table.columns):
        return None
    mask = None
    for col in table.columns:
        isn = pc.is_null(col)
        mask = isn if mask is None else pc.and_(mask, isn)
    mask = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
    return mask if pc.any(mask).as_py() else None


def _long_cell_mask(table: pa.Table, limit: int) -> pa.Array | None:
    mask = None
    for col in table.columns:
        # Bytes >= characters, so the cheap byte length rules most columns out.
        if (pc.max(pc.binary_length(col)).as_py() or 0) <= limit:
            continue
        m = pc.fill_null(pc.greater(pc.utf8_length(col), limit), False)
        mask = m if mask is None else pc.or_(mask, m)
    if mask is None:
        return None
    mask = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
    return mask if pc.any(mask).as_py() else None


# --------------------------------------------------------------------------- fast path
class _NeedExact(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def _read_fast(path: str, d: _Dialect, head: bytes, limits: Limits) -> CsvResult:
    # With an empty tail Arrow reads the rows at their own width; the header, of another width,
    # is then its one skipped row (anything else skipped: the exact path sorts the rows out).
    names = _names(d.data_width if d.empty_tail else d.ncols)
    invalid = [0]
    skipped: list[str] = []

    def on_invalid(row):  # called from reader threads; only counting, no positions known
        invalid[0] += 1
        if d.empty_tail and len(skipped) < 2:
            skipped.append(row.text)
        return "skip"

    pa_encoding = "utf8" if d.encoding in ("utf-8", "utf-8-sig") else d.encoding
    # Splitting the file into blocks is ~30% faster when no value holds a line break. If
    # the sample shows none we try that first; a line break in quotes further down makes
    # a block end inside a value, which Arrow detects ("out of sync") - then we redo it
    # with quote-aware block splitting. Either way the records come out the same.
    attempts = [(False, b) for b in _BLOCK_SIZES[:1]] if not d.quoted_newlines else []
    attempts += [(True, b) for b in _BLOCK_SIZES]
    table = None
    for newlines_in_values, block in attempts:
        invalid[0] = 0
        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=names, block_size=block,
                                               skip_rows=1 if d.skip_sep_line else 0,
                                               encoding=pa_encoding, use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=d.delimiter, quote_char='"',
                                                 double_quote=True, escape_char=False,
                                                 newlines_in_values=newlines_in_values,
                                                 ignore_empty_lines=False,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     null_values=[""], strings_can_be_null=True,
                                                     quoted_strings_can_be_null=True,
                                                     check_utf8=True))
            break
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "straddl" in msg or "out of sync" in msg or "block" in msg.lower():
                continue  # line break inside a value, or one record bigger than a block
            raise _NeedExact("utf8" if "UTF8" in msg or "utf8" in msg.lower() else "parse") from None
        except UnicodeDecodeError:
            raise _NeedExact("decode") from None
    if table is None:
        raise _NeedExact("parse")
    n = table.num_rows
    if n > limits.max_rows:
        raise _too_many_rows(n, limits)

    problems: list[tuple[int, str]] = []
    if d.empty_tail:
        table, n = _with_header(table, d, invalid[0], skipped)
        numbers = np.arange(1, n + 1, dtype=np.int64)
        total, final = n, None
    elif invalid[0]:
        # Arrow skipped rows with the wrong number of fields but cannot say where they
        # were. Count the fields of every record with Python's csv module (same quoting
        # rules, nothing else built) to number the kept rows and name the skipped ones.
        numbers, problems, final = _locate_skipped(path, d, n, invalid[0])
        total = int(numbers[-1]) if n else 0
        total = max(total, max((p[0] for p in problems), default=0))
    else:
        numbers = np.arange(1, n + 1, dtype=np.int64)
        total, final = n, None

    drop = np.zeros(n, dtype=bool)
    empty = _all_null_mask(table)
    if empty is not None:
        idx = np.flatnonzero(empty.to_numpy(zero_copy_only=False))
        drop[idx] = True
        problems += [(int(numbers[i]), REASON_EMPTY) for i in idx]
    long_mask = _long_cell_mask(table, limits.max_cell_chars)
    if long_mask is not None:
        idx = np.flatnonzero(long_mask.to_numpy(zero_copy_only=False) & ~drop)
        drop[idx] = True
        problems += [(int(numbers[i]), _reason_long(limits.max_cell_chars)) for i in idx]
    # The last record may hold a quote that never closed and swallowed the lines after it.
    if n and numbers[-1] == total:
        if not drop[n - 1]:
            last = table.slice(n - 1, 1).to_pylist()[0]
            last_value = next((v for v in reversed(list(last.values())) if v is not None), None)
            if _tail_is_unclosed_quote(path, d.encoding, head, last_value):
                drop[n - 1] = True
                problems.append((total, REASON_UNCLOSED))
    elif final is not None:
        last_value = next((v for v in reversed(final) if v), None)
        if _tail_is_unclosed_quote(path, d.encoding, head, last_value):
            problems = [p for p in problems if p[0] != total] + [(total, REASON_UNCLOSED)]

    if drop.any():
        table = table.filter(pa.array(~drop))
        numbers = numbers[~drop]
    problems.sort()
    return CsvResult(table, pa.array(numbers, pa.int64()), d.encoding, d.delimiter, problems)


def _with_header(table: pa.Table, d: _Dialect, invalid: int, skipped: list[str]) -> tuple[pa.Table, int]:
    """The rows Arrow read at their own width, trimmed to the table's, under the header it
    skipped. Raises _NeedExact unless the header was the one row skipped and the trimmed fields
    are all empty."""
    if invalid != 1 or skipped[0].rstrip("\r") != d.header_line:
        raise _NeedExact("ragged")
    extra = table.columns[d.ncols:]
    if any(col.null_count != len(col) for col in extra):
        raise _NeedExact("ragged")
    header = next(csv.reader([d.header_line], delimiter=d.delimiter, quotechar='"', doublequote=True, strict=False))
    if any(header[d.ncols:]):
        raise _NeedExact("ragged")
    names = _names(d.ncols)
    first = pa.table({name: pa.array([(header[i] if i < len(header) else "") or None], pa.string())
                      for i, name in enumerate(names)})
    body = table.select(list(range(d.ncols))).rename_columns(names)
    return pa.concat_tables([first, body]), body.num_rows + 1


def _locate_skipped(path: str, d: _Dialect, kept: int, skipped: int):
    """Record numbers of the rows Arrow kept, problems for the ones it skipped, and the
    last record (for the unclosed-quote check). Raises _NeedExact if the two parsers
    disagree on the file's structure, which the exact path then settles."""
    widths = array("l")
    final = None
    gc_was_on = gc.isenabled()
    gc.disable()  # a million short-lived lists otherwise trigger collection after collection
    try:
        with open(path, encoding=d.encoding, errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=d.delimiter, quotechar='"', doublequote=True, strict=False)
            if d.skip_sep_line:
                next(reader, None)
            append = widths.append
            for record in reader:
                append(len(record))
                final = record
    finally:
        if gc_was_on:
            gc.enable()
    w = np.asarray(widths, dtype=np.int64)
    # Arrow keeps records of the right width, and turns blank lines into all-null rows.
    in_table = (w == d.ncols) | (w == 0)
    if int(in_table.sum()) != kept or int((~in_table).sum()) != skipped:
        raise _NeedExact("ragged")
    numbers = np.flatnonzero(in_table).astype(np.int64) + 1
    bad = np.flatnonzero(~in_table)
    problems = [(int(i) + 1, _reason_width(int(w[i]), d.ncols, d.delimiter)) for i in bad]
    return numbers, problems, final


def _too_many_rows(n: int, limits: Limits) -> IngestError:
    return IngestError("too_many_rows",
                       f"This file has {n:,} rows; the app accepts at most {limits.max_rows:,} per "
                       "upload. Split the export (for example by date range) and upload the parts.")


# --------------------------------------------------------------------------- exact path
def _read_exact(path: str, d: _Dialect, head: bytes, limits: Limits) -> CsvResult:
    gc_was_on = gc.isenabled()
    gc.disable()  # see _locate_skipped
    try:
        return _read_exact_records(path, d, head, limits)
    finally:
        if gc_was_on:
            gc.enable()


def _read_exact_records(path: str, d: _Dialect, head: bytes, limits: Limits) -> CsvResult:
    utf8 = d.encoding in ("utf-8", "utf-8-sig")
    errors = "surrogateescape" if utf8 else "replace"
    bad_char = None if utf8 else "\ufffd"
    ncols = d.ncols
    problems: list[tuple[int, str]] = []
    chunks: list[list[pa.Array]] = []
    numbers: list[np.ndarray] = []
    batch: list[list[str]] = []
    batch_numbers: list[int] = []
    kept = 0

    def flush():
        if not batch:
            return
        cols = list(zip(*batch))
        chunks.append([pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)
                       for a in (pa.array(c, pa.string()) for c in cols)])
        numbers.append(np.asarray(batch_numbers, dtype=np.int64))
        batch.clear()
        batch_numbers.clear()

    def has_bad_chars(record) -> bool:
        if bad_char is not None:
            return any(bad_char in v for v in record)
        return any(not v.isascii() and _has_surrogate(v) for v in record)

    final: list[str] | None = None
    number = 0
    with open(path, encoding=d.encoding, errors=errors, newline="") as f:
        reader = csv.reader(f, delimiter=d.delimiter, quotechar='"', doublequote=True, strict=False)
        if d.skip_sep_line:
            next(reader, None)
        for record in reader:
            number += 1
            final = record
            if number == 1 and record and record[0].startswith("\ufeff"):
                record[0] = record[0][1:]
            if not any(record):
                problems.append((number, REASON_EMPTY))
                continue
            if len(record) > ncols and d.empty_tail and not any(record[ncols:]):
                del record[ncols:]
            if len(record) != ncols:
                problems.append((number, _reason_width(len(record), ncols, d.delimiter)))
                continue
            if has_bad_chars(record):
                problems.append((number, _reason_bytes(d.encoding)))
                continue
            if any(len(v) > limits.max_cell_chars for v in record):
                problems.append((number, _reason_long(limits.max_cell_chars)))
                continue
            if len(batch) >= _BATCH_ROWS:
                flush()
            batch.append(record)
            batch_numbers.append(number)
            kept += 1
            if kept > limits.max_rows:
                raise _too_many_rows(kept, limits)
    # The final record may hold a quote that never closed and swallowed the lines after
    # it; say so rather than blaming its number of fields. (A kept record is still in
    # `batch`: flush() only runs before an append.)
    if final is not None and any(final):
        last_value = next((v for v in reversed(final) if v), None)
        if _tail_is_unclosed_quote(path, d.encoding, head, last_value):
            if batch_numbers and batch_numbers[-1] == number:
                batch.pop()
                batch_numbers.pop()
            problems = [p for p in problems if p[0] != number]
            problems.append((number, REASON_UNCLOSED))
    flush()
    if chunks:
        table = pa.Table.from_arrays([pa.chunked_array([c[i] for c in chunks], pa.string())
                                      for i in range(ncols)], names=_names(ncols))
        row_numbers = pa.array(np.concatenate(numbers), pa.int64())
    else:
        table = _empty_table(ncols)
        row_numbers = pa.array([], pa.int64())
    problems.sort()
    return CsvResult(table, row_numbers, d.encoding, d.delimiter, problems)


_SURROGATE = re.compile("[\udc80-\udcff]")  # how surrogateescape marks undecodable bytes


def _has_surrogate(v: str) -> bool:
    return _SURROGATE.search(v) is not None


def _redetect_after_invalid_utf8(path: str) -> str | None:
    """The sample looked like UTF-8 (often: plain ASCII) but later bytes are not.

    Gather the lines that contain non-ASCII bytes. If none of them is valid UTF-8, the file
    is in a legacy code page that the sample did not reveal: return it. If some are valid
    UTF-8, the file mixes encodings; keep UTF-8 and let the bad rows be reported.
    """
    collected = bytearray()
    with open(path, "rb") as f:
        for line in f:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                return None  # a line of letters beyond ASCII that is UTF-8: a mixed file, not a legacy one
            except UnicodeDecodeError:
                collected += line
            if len(collected) > 256 * 1024:
                break
    if not collected:
        return None
    enc, conf = detect_encoding(bytes(collected))
    return enc if enc not in ("utf-8", "utf-8-sig") else None


def _valid_utf8(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
        return True
    except UnicodeDecodeError:
        return False


def _refuse_if_no_utf8_line(path: str) -> None:
    """UTF-8 chosen by hand for a file not one line of which reads as UTF-8: every row would be
    rejected, and the "upload" would store nothing (found by an audit). Refuse it, naming the
    encoding it looks like."""
    legacy = _redetect_after_invalid_utf8(path)
    if legacy:
        raise IngestError("bad_encoding", "This file is not UTF-8 text: none of its lines with letters beyond "
                          f"English reads as UTF-8. It looks like {ENCODING_LABELS.get(legacy, legacy)}: choose "
                          "that encoding, or leave the encoding on automatic.")


# --------------------------------------------------------------------------- entry
def _first_record_kept(r: CsvResult, path: str, d: _Dialect, limits: Limits) -> CsvResult:
    """The first record (a header, or a title above it) of another width than the rows, as the
    table's first row: narrower, padded with empty cells; wider, the table widened by columns
    that are empty below it. Reported as a problem row instead, the first response became the
    header, and the receipt, which counts the rows below the header, said nothing of it."""
    if not r.problems or r.problems[0][0] != 1:
        return r
    with open(path, encoding=d.encoding, errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=d.delimiter, quotechar='"', doublequote=True, strict=False)
        if d.skip_sep_line:
            next(reader, None)
        try:
            record = next(reader, None)
        except csv.Error:
            return r
    if not record or len(record) == d.ncols or not any(record):
        return r  # not a matter of width: bytes, length or an unclosed quote keep their reason
    if any(len(v) > limits.max_cell_chars or "\ufffd" in v for v in record):
        return r  # a stray quote that swallowed the lines below, or bytes the encoding cannot read
    record[0] = record[0].removeprefix("\ufeff")
    table = r.table
    if len(record) > table.num_columns:
        while record and not record[-1] and len(record) > table.num_columns:
            record.pop()
        if len(record) > limits.max_columns:
            raise _too_many_columns(len(record), limits)
        names = _names(len(record))
        table = pa.table({name: table.column(i) if i < table.num_columns else pa.nulls(table.num_rows, pa.string())
                          for i, name in enumerate(names)})
    cells = record + [""] * (table.num_columns - len(record))
    first = pa.table({name: pa.array([v or None], pa.string()) for name, v in zip(table.column_names, cells)})
    numbers = np.concatenate([[1], r.row_numbers.to_numpy(zero_copy_only=False)]).astype(np.int64)
    return CsvResult(pa.concat_tables([first, table]), pa.array(numbers, pa.int64()), r.encoding, r.delimiter,
                     r.problems[1:])


def read_csv(path: str, *, encoding: str | None, delimiter: str | None, limits: Limits,
             force_exact: bool = False) -> CsvResult:
    d, r = _read_csv(path, encoding=encoding, delimiter=delimiter, limits=limits, force_exact=force_exact)
    return _first_record_kept(r, path, d, limits)


def _read_csv(path: str, *, encoding: str | None, delimiter: str | None, limits: Limits,
              force_exact: bool = False) -> tuple[_Dialect, CsvResult]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    user_encoding = encoding
    d = _sniff(path, head, size, encoding, delimiter, limits)
    chosen_utf8 = user_encoding is not None and d.encoding in ("utf-8", "utf-8-sig")
    if chosen_utf8 and not _valid_utf8(head):
        _refuse_if_no_utf8_line(path)  # before the fast reader meets the bytes it cannot decode
    if force_exact:
        return d, _read_exact(path, d, head, limits)
    try:
        return d, _read_fast(path, d, head, limits)
    except _NeedExact as need:
        if chosen_utf8:
            _refuse_if_no_utf8_line(path)
        if need.why == "utf8" and user_encoding is None and d.encoding == "utf-8":
            legacy = _redetect_after_invalid_utf8(path)
            if legacy:
                d2 = _sniff(path, head, size, legacy, delimiter, limits)
                try:
                    return d2, _read_fast(path, d2, head, limits)
                except _NeedExact:
                    return d2, _read_exact(path, d2, head, limits)
        # Ragged rows, or bytes the encoding cannot decode: the exact path finds the rows.
        return d, _read_exact(path, d, head, limits)
