"""Safety limits for reading uploads. One frozen object so a caller can relax a single
limit (e.g. in a benchmark) without touching module globals."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 200 * 2**20            # size of the uploaded file on disk
    max_columns: int = 2000
    max_rows: int = 20_000_000
    max_uncompressed_bytes: int = 1 * 2**30  # spreadsheet (zip) members, declared and actual, in total
    max_compression_ratio: float = 100.0    # per zip member, only checked for members above ratio_floor_bytes
    max_cell_chars: int = 100_000           # a longer cell makes its row a problem row
    ratio_floor_bytes: int = 10 * 2**20      # small members may compress extremely well (a sheet of blanks)


DEFAULT_LIMITS = Limits()
