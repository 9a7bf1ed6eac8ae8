"""Read layer of the ingest engine: bytes on disk -> a table of strings (RawTable).

Nothing here knows about survey tools or headers: every record of the file, header rows
included, comes back in file order as text, so the layout layer can look at the header
rows itself. Files we must not or cannot read are refused with an IngestError whose
message a non-technical user can act on.

Contract of RawTable (all formats):
* table: columns c0..c{n-1}, all pa.string(); empty cell -> null; text is not trimmed.
* format: 'csv' | 'xlsx' | 'parquet' | 'json'. 'xlsx' means any workbook (xlsx, xlsm, xlsb,
  and also old .xls and .ods, which the same reader handles).
* row_numbers: int64, 1-based, what a spreadsheet would show. CSV: the record number (a
  newline inside quotes does not start a record; an Excel 'sep=' line is not counted).
  XLSX: the sheet's row number. Parquet/JSON: row 1 is the header of column names,
  data row k is row k+1.
* problems: (row number, plain-language reason) of records that are NOT in `table`
  (wrong number of fields, a quote never closed, undecodable bytes, a cell longer than
  Limits.max_cell_chars, and in CSV also empty records: blank lines or only delimiters).
  len(table) + len(problems) == records in the file. Short rows are not padded: a row
  with fewer fields than the header is a problem, so values never shift columns.
  In a workbook, wholly empty sheet rows are unused space rather than records: they are
  skipped without a problem entry, and the gap shows in row_numbers.
* encoding / delimiter: what was detected (or given) for CSV; None for other formats.
* sheet: the sheet read (workbooks): the named one, else the first visible non-empty one.
* parquet/json: `table` holds one header row with the column names followed by the values
  as text; `typed` keeps the original typed columns (data rows only, same order, same
  names as the header row).
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from .errors import IngestError
from .limits import DEFAULT_LIMITS, Limits

__all__ = ["RawTable", "read_raw", "sniff_format", "FORMATS"]

FORMATS = ("csv", "xlsx", "parquet", "json")


@dataclass
class RawTable:
    table: pa.Table
    row_numbers: pa.Array
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    problems: list[tuple[int, str]] = field(default_factory=list)
    typed: pa.Table | None = None
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets with data, to choose from

    @property
    def num_records(self) -> int:
        """Records in the file as read: kept rows plus rows reported as problems."""
        return self.table.num_rows + len(self.problems)


# --------------------------------------------------------------------------- format
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"BM", None),  # too short to trust alone; checked with NUL bytes below
    (b"RIFF", "an audio/video or WebP file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", None),
    (b"SQLite format 3\x00", "a database file"),
]

_TEXT_EXT = {".csv", ".tsv", ".txt", ".tab", ".dat", ""}
_SHEET_EXT = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


def _binary_error(what: str) -> IngestError:
    return IngestError("binary", f"This file is {what}, not a survey export. Upload the CSV, "
                       "Excel (.xlsx), Parquet or JSON file you downloaded from your survey tool.")


def sniff_format(path: str | os.PathLike) -> str:
    """'csv' | 'xlsx' | 'parquet' | 'json', decided by the bytes first, the name second.

    Raises IngestError for empty files, known binary formats that are not survey
    exports, archives that are not spreadsheets, and text that cannot be text.
    """
    path = str(path)
    ext = Path(path).suffix.lower()
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        raise IngestError("empty", "This file is empty (0 bytes). Export the responses again "
                          "from your survey tool and upload the new file.")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Old binary Office container: an Excel 97-2003 .xls is read like .xlsx; a .doc
        # or .ppt is refused when the workbook reader cannot find any sheet in it.
        return "xlsx"
    for magic, what in _MAGIC:
        if head.startswith(magic) and what:
            raise _binary_error(what)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in (".json", ".jsonl", ".ndjson") or (ext not in _TEXT_EXT | _SHEET_EXT
                                                 and stripped[:1] in (b"{", b"[")):
        return "json"
    if ext in (".parquet", ".pq"):
        raise IngestError("malformed", "This file is named .parquet but is not a Parquet file. "
                          "Export it again and upload the new file.")
    if ext in _SHEET_EXT:
        raise IngestError("malformed", "This file is named like an Excel workbook but its contents "
                          "are not a workbook. Open it in Excel, save it as .xlsx and upload it again.")
    # Anything else is treated as delimited text; the CSV reader refuses non-text.
    from .text import detect_encoding
    detect_encoding(head)
    return "csv"


def _zip_kind(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        raise IngestError("malformed", "This file looks like an Excel workbook but it is damaged "
                          "(the archive cannot be opened). Export it again and upload the new file.") from None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        raise _binary_error("a Word document")
    if any(n.startswith("ppt/") for n in names):
        raise _binary_error("a PowerPoint presentation")
    if "content.xml" in names and "mimetype" in names:
        return "xlsx"  # OpenDocument spreadsheet (.ods): the workbook reader handles it too
    raise IngestError("binary", "This file is a ZIP archive, not a survey export. Unzip it and upload "
                      "the CSV or Excel file inside.")


# --------------------------------------------------------------------------- entry
def read_raw(path: str | os.PathLike, *, encoding: str | None = None, sheet: str | None = None,
             delimiter: str | None = None, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """Read any supported upload into a RawTable (see the module docstring).

    encoding / delimiter: override detection (CSV only). sheet: sheet name (XLSX only).
    """
    path = str(path)
    try:
        size = os.path.getsize(path)
    except OSError:
        raise IngestError("malformed", "The uploaded file could not be found or opened. "
                          "Please upload it again.") from None
    if size > limits.max_bytes:
        raise IngestError("too_large",
                          f"This file is {size / 2**20:,.0f} MB; the app accepts files up to "
                          f"{limits.max_bytes / 2**20:,.0f} MB. Export a shorter date range, or "
                          "split the file, and upload the parts.")
    fmt = sniff_format(path)
    if fmt == "csv":
        from ._csv import read_csv
        r = read_csv(path, encoding=encoding, delimiter=delimiter, limits=limits)
        return RawTable(r.table, r.row_numbers, "csv", r.encoding, r.delimiter, None, r.problems)
    if fmt == "xlsx":
        from ._xlsx import read_xlsx
        return read_xlsx(path, sheet=sheet, limits=limits)
    if fmt == "parquet":
        from ._columnar import read_parquet
        return read_parquet(path, limits=limits)
    from ._columnar import read_json
    return read_json(path, limits=limits)
