"""The one place identifiers are quoted. Values never pass through here: they are bound as parameters."""

from __future__ import annotations

import re

_SAFE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, doubling embedded quotes; NUL cannot be represented and is refused."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError(f"not a usable SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def dim_column(key: str) -> str:
    """Quoted column that stores segment dimension `key` (a model key: validated lowercase identifier)."""
    if not _SAFE.match(key):
        raise ValueError(f"not a valid dimension key: {key!r}")
    return quote_ident("seg_" + key)
