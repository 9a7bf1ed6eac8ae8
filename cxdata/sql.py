"""The one place identifiers are quoted. Values never pass through here: they are bound as parameters."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence

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


@contextlib.contextmanager
def scratch(cur, *, tables: Sequence[str] = (), views: Sequence[str] = (), registered: Sequence[str] = ()) -> Iterator[None]:
    """Temp tables and views, and registered Arrow tables, that a write's statements create on
    `cur`, dropped when the block completes. When it fails they are left to the write's rollback
    (which discards them), because a statement on a transaction DuckDB has aborted would replace
    the real error with "transaction is aborted"."""
    try:
        yield
    except BaseException:
        for name in registered:  # not part of the transaction: released even so
            with contextlib.suppress(Exception):
                cur.unregister(name)
        raise
    for name in registered:
        cur.unregister(name)
    for name in views:
        cur.execute(f"DROP VIEW IF EXISTS temp.{quote_ident(name)}")
    for name in tables:
        cur.execute(f"DROP TABLE IF EXISTS temp.{quote_ident(name)}")
