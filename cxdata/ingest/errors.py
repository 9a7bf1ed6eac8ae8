"""The one exception type the ingest engine raises for a file it cannot use.

`code` is stable and meant for programs (tests, the upload page choosing an icon);
`message` is meant for the person who uploaded the file, so it says in plain words what
is wrong and what to do next, and never contains a stack trace or library jargon.
"""
from __future__ import annotations

# Codes in use. Kept as a set so tests can check nobody invents an undocumented one.
CODES = frozenset({
    "empty",               # 0 bytes, only a byte-order mark, or only blank lines
    "not_text",            # claims to be CSV/TXT/JSON but the bytes are not text in any encoding we know
    "binary",              # a known binary format that is not a survey export (image, PDF, archive...)
    "too_large",           # file bigger than Limits.max_bytes
    "too_many_columns",    # more columns than Limits.max_columns
    "too_many_rows",       # more rows than Limits.max_rows
    "zip_bomb",            # spreadsheet whose compressed parts would inflate to an unsafe size
    "unsupported_format",  # a real format we do not read (old .xls password-protected, .gz, .docx ...)
    "malformed",           # the container is broken (corrupt xlsx/parquet/json)
    "no_data",             # the file is readable but holds no table (e.g. every sheet empty)
    "no_sheet",            # the sheet the user named does not exist
    "bad_encoding",        # the user chose an encoding that cannot decode the file
    "ambiguous_dates",     # dates could be day-first or month-first; the user must choose
    "bad_timezone",        # the time zone chosen for local times does not exist
    "no_answers",          # the mapping takes no column as a score or a comment: nothing would load
    "damaged_ids",         # response ids rounded by a spreadsheet (1.14E+11) or shared by most rows ('?????'): responses cannot be told apart
})


class IngestError(Exception):
    """A file-level refusal. Row-level trouble is reported in RawTable.problems instead."""

    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise ValueError(f"unknown IngestError code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"IngestError({self.code!r}, {self.message!r})"
