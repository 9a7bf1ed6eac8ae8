"""Refuse zip containers (xlsx, ods) that would inflate to an unsafe size.

The spreadsheet reader (calamine, in Rust) inflates members itself and trusts the sizes
written in the archive. So before handing it a file we
1. read the central directory only (cheap, no inflating) and refuse members whose
   declared size or compression ratio is out of bounds, and
2. stream-inflate every member with an output cap, refusing as soon as one produces more
   bytes than it declared ("lying header") or the total passes the limit. Memory stays at
   one chunk; a 1 GB bomb is refused after inflating at most its declared size.
"""
from __future__ import annotations

import struct
import zipfile
import zlib

from .errors import IngestError
from .limits import Limits

_CHUNK = 1 << 20

_BOMB_MSG = ("This spreadsheet is built to expand to {what} when opened, which is far more than "
             "any survey export needs, so it was not opened. If it is a real export, save it "
             "again as .xlsx or 'CSV UTF-8' and upload that.")


def _bomb(what: str) -> IngestError:
    return IngestError("zip_bomb", _BOMB_MSG.format(what=what))


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:,.0f} MB"


def check_zip(path: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise IngestError("malformed", "This spreadsheet is damaged (the file cannot be opened as "
                          "a workbook). Export it again and upload the new file.") from None
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_uncompressed_bytes:
            raise _bomb(_gb(info.file_size))
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise _bomb(f"{_gb(info.file_size)} ({ratio:,.0f} times its stored size)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise IngestError("unsupported_format", "This spreadsheet uses an unusual compression "
                              "method. Open it in Excel, save it as .xlsx and upload it again.")
    if total > limits.max_uncompressed_bytes:
        raise _bomb(_gb(total))
    _verify_actual_sizes(path, infos, limits)


def _verify_actual_sizes(path: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    produced_total = 0
    with open(path, "rb") as f:
        for info in infos:
            if info.is_dir() or info.compress_size == 0:
                continue
            f.seek(info.header_offset)
            local = f.read(30)
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise IngestError("malformed", "This spreadsheet is damaged. Export it again and "
                                  "upload the new file.")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            if info.compress_type == zipfile.ZIP_STORED:
                produced = info.compress_size
            else:
                produced = _inflate_count(f, info, limits, produced_total)
            if produced > info.file_size:
                raise _bomb("more than its declared size (its size information is false)")
            produced_total += produced
            if produced_total > limits.max_uncompressed_bytes:
                raise _bomb(_gb(produced_total))


def _inflate_count(f, info: zipfile.ZipInfo, limits: Limits, produced_before: int) -> int:
    d = zlib.decompressobj(-15)
    cap = min(info.file_size, limits.max_uncompressed_bytes - produced_before)
    produced = 0
    remaining = info.compress_size
    try:
        while remaining > 0:
            buf = f.read(min(_CHUNK, remaining))
            if not buf:
                break
            remaining -= len(buf)
            data = buf
            while data:
                # max_length bounds the memory of one call; leftover input stays in
                # unconsumed_tail and is fed again.
                out = d.decompress(data, _CHUNK)
                produced += len(out)
                if produced > cap:
                    return produced
                data = d.unconsumed_tail
            if d.eof:
                break
        produced += len(d.flush(_CHUNK))
    except zlib.error:
        raise IngestError("malformed", "This spreadsheet is damaged (a part of it cannot be "
                          "decompressed). Export it again and upload the new file.") from None
    return produced
