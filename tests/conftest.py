import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
ZELVORA_MODEL = ROOT / "examples" / "zelvora" / "model.yaml"
PARQUET = SAMPLES / "transactional_canonical.parquet"
MAPPINGS = ROOT / "examples" / "zelvora" / "mappings"
TRUTH = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
# Every name of every touchpoint in the sample company's reference, as the model's aliases give them.
ALIASES = {label: tp for tp, names in TRUTH["reference"]["touchpoints"].items() for label in names.values()}


@pytest.fixture(scope="session")
def truth() -> dict:
    return TRUTH


@pytest.fixture(scope="session")
def zelvora_model():
    from cxdata.model import load_model

    return load_model(ZELVORA_MODEL)


@pytest.fixture(scope="session")
def zelvora_db(tmp_path_factory):
    """The canonical transactional parquet loaded through the real ingest path (shared, read-only use)."""
    from cxdata import service

    path = tmp_path_factory.mktemp("zelvora") / "cx.duckdb"
    db = service.open_db(path)
    result = service.ingest_file(db, service.load_model_for(db, ZELVORA_MODEL), PARQUET)
    assert result["status"] == "loaded", result
    service.remember_model(db, ZELVORA_MODEL)
    yield db
    db.close()


def demo_database(tmp_path_factory, name: str, responses: int):
    """A module's own demo database of `responses`: (db, model, cursor, catalog), closed after."""
    from cxdata import queries, service

    db = service.open_db(tmp_path_factory.mktemp(name) / "cx.duckdb")
    service.load_demo(db, responses)
    model = service.load_model_for(db)
    cur = db.cursor()
    yield db, model, cur, queries.catalog(cur, model)
    db.close()


@pytest.fixture
def pages_handed_over(monkeypatch):
    """AppTest runs pages the way a server's first request may: as legacy pages/ files, which
    `pages._ui` hands to dashboard.py's st.navigation with one rerun per process. A rerun drops
    the widget event of that run, so the first test in a process that clicked lost its click
    (it passed only after another test had spent the rerun). Tests start handed over."""
    from pages import _ui

    monkeypatch.setattr(_ui, "_handed_over", True)
