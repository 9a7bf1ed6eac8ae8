"""Read a file already in the canonical long format (Parquet or CSV), as the demo generator and
`transactional_canonical.parquet` produce it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa


def read_canonical(path: str | Path) -> pa.Table:
    path = Path(path)
    con = duckdb.connect()
    try:
        if path.suffix.lower() == ".parquet":
            rel = con.read_parquet(str(path))
        else:
            rel = con.read_csv(str(path), header=True, all_varchar=True)
            rel = con.sql(
                "SELECT * REPLACE (TRY_CAST(value AS DOUBLE) AS value, TRY_CAST(responded_at AS TIMESTAMPTZ) AS responded_at) FROM rel"
            )
        return rel.to_arrow_table()
    finally:
        con.close()
