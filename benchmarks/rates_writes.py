"""What keeping each invitation's first answer costs the writes: one upload of new responses
(`service.ingest_file` of a canonical CSV) into a copy of a database with an invitation list, and
its removal (`store.remove_upload`), timed in this process on a fresh copy.

    .venv/bin/python benchmarks/rates_writes.py DB WORKDIR [--source relationship_survey] [--responses 5000]
    .venv/bin/python benchmarks/rates_writes.py DB WORKDIR --invitations 20000

The CSV (written to WORKDIR once, then reused) holds new responses of `--source` by customers of
the latest invitations, from an hour to three days after them; a source no list names shows the
cost for an ordinary upload (`--source email`). With `--invitations N`, an invitation list instead
(`invitations.load`, then its removal): N invitations of the customers of the latest ones, half an
hour after theirs, so each takes over the answers of the one before it. Not part of
`python -m cxdata.bench`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cxdata import invitations, service, store  # noqa: E402


def write_file(db_path: Path, path: Path, source: str, responses: int) -> None:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (SELECT ? AS source, 'NEW-' || row_number() OVER (ORDER BY invitation_id) AS source_response_id,
                         strftime(invited_at + INTERVAL 1 HOUR + to_seconds(invitation_id % 259200),
                                  '%Y-%m-%dT%H:%M:%SZ') AS responded_at,
                         customer_id, 'nps' AS metric, (invitation_id % 11)::INTEGER AS value
                  FROM (SELECT * FROM invitations ORDER BY invited_at DESC LIMIT ?))
            TO '{path}' (HEADER, DELIMITER ',')""", [source, responses])
    con.close()


def write_list(db_path: Path, path: Path, invitations: int) -> None:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (SELECT customer_id, strftime(invited_at + INTERVAL 30 MINUTE, '%Y-%m-%dT%H:%M:%SZ') AS invited_at,
                         source AS survey_tool
                  FROM (SELECT * FROM invitations ORDER BY invited_at DESC LIMIT ?))
            TO '{path}' (HEADER, DELIMITER ',')""", [invitations])
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("work")
    ap.add_argument("--source", default="relationship_survey")
    ap.add_argument("--responses", type=int, default=5000)
    ap.add_argument("--invitations", type=int)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.invitations:
        csv = work / f"list_{args.invitations}.csv"
        if not csv.exists():
            write_list(Path(args.db), csv, args.invitations)
    else:
        csv = work / f"new_{args.source}_{args.responses}.csv"
        if not csv.exists():
            write_file(Path(args.db), csv, args.source, args.responses)
    copy = work / "upload_copy.duckdb"
    shutil.copyfile(args.db, copy)
    db = service.open_db(copy)
    model = service.load_model_for(db)
    t = time.perf_counter()
    if args.invitations:
        out = invitations.load(db, model, csv).to_dict()
    else:
        out = service.ingest_file(db, model, csv)
    took = time.perf_counter() - t
    t = time.perf_counter()
    store.remove_upload(db, out["upload_id"])
    removal = time.perf_counter() - t
    db.close()
    copy.unlink()
    what = "invitations.load" if args.invitations else "ingest_file"
    print(f"{csv.name}: {out['added']:,} added; {what} {took:.3f} s, remove_upload {removal:.3f} s", flush=True)


if __name__ == "__main__":
    main()
