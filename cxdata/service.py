"""Use cases shared by the CLI and the pages: open the database, pick the model, load files and
the demo, compute the pyramid as JSON. Each function is one user-visible action."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import pyramid as pyramid_mod
from . import queries, store, tables
from .canonical import read_canonical
from .db import Database
from .model import Model, load_model
from .view import ViewState

DEMO_MODEL = Path(__file__).resolve().parent / "models" / "demo.yaml"
DEMO_RESPONSES = int(os.environ.get("CX_DEMO_RESPONSES", "200000"))


class ServiceError(RuntimeError):
    pass


def open_db(path=None, *, read_only: bool = False) -> Database:
    return Database(path, read_only=read_only)


def model_path_for(db: Database, explicit: str | os.PathLike | None = None) -> Path:
    """--model, else $CX_MODEL, else the model the database was loaded with, else the demo model."""
    chosen = explicit or os.environ.get("CX_MODEL") or db.meta("model_path")
    return Path(chosen) if chosen else DEMO_MODEL


def load_model_for(db: Database, explicit=None) -> Model:
    return load_model(model_path_for(db, explicit))


def remember_model(db: Database, path) -> None:
    with db.transaction() as cur:
        db.set_meta(cur, "model_path", str(Path(path).resolve()))


def ingest_file(db: Database, model: Model, path: Path) -> dict:
    """Load one file; returns its receipt as a dict with status 'loaded' or 'refused' and an error."""
    base = {"file": str(path)}
    if not path.exists():
        return {**base, "status": "refused", "error": "file not found"}
    try:
        table = read_canonical(path)
        receipt = store.Receipt(file_name=path.name, rows_read=len(table))
        store.apply(db, table, receipt, upload={"file_name": path.name, "sha256": _sha256(path),
                                               "size_bytes": path.stat().st_size, "layout": "canonical"})
    except (store.InputError, OSError, ValueError) as exc:
        return {**base, "status": "refused", "error": str(exc)}
    except Exception as exc:  # duckdb parse errors and the like: refuse the file, never half-load it
        return {**base, "status": "refused", "error": f"could not read the file: {exc}"}
    return {**base, "status": "loaded", **receipt.to_dict()}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_demo(db: Database, responses: int = DEMO_RESPONSES) -> int:
    """Fill an empty database with the deterministic demo data and mark it as demo data."""
    from . import demo

    total = 0
    for batch in demo.generate(responses):
        receipt = store.apply(db, batch, store.Receipt(file_name="demo data", rows_read=len(batch)),
                              upload={"file_name": "demo data", "layout": "demo"})
        total += receipt.added
    with db.transaction() as cur:
        db.set_meta(cur, "demo", "true")
        if not db.meta("model_path", cur):
            db.set_meta(cur, "model_path", str(demo.demo_model_path()))
    return total


def ensure_demo(db: Database, responses: int = DEMO_RESPONSES) -> bool:
    """Load the demo when the database holds no responses at all; True if it did."""
    if not db.is_empty():
        return False
    load_demo(db, responses)
    return True


def is_demo(db: Database) -> bool:
    return db.meta("demo") == "true"


def pyramid_json(db: Database, model: Model, view: ViewState) -> dict:
    cur = db.cursor()
    cat = queries.catalog(cur, model)
    p = pyramid_mod.build(cur, model, cat, view)
    records = tables.pyramid_records(p)
    index = next(r for r in records if r["level"] == "index")
    return {
        "model": model.name,
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "period": {"from": p.period.start.isoformat(), "to": p.period.last_day.isoformat(), "label": p.period.label()},
        "comparison": ({"from": p.previous.start.isoformat(), "to": p.previous.last_day.isoformat(), "label": p.previous.label()}
                       if p.previous else None),
        "filters": {k: list(v) for k, v in view.filters},
        "empty": p.empty,
        "index": index,
        "touchpoints": [r for r in records if r["level"] == "touchpoint"],
        "teams": [r for r in records if r["level"] == "team"],
    }
