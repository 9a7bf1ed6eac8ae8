"""Use cases of cxdata.service that the CLI and the pages share."""

from cxdata import queries, service
from tests.conftest import ZELVORA_MODEL

# A touchpoint and a team the model does not have; the label is also Markdown, which pages escape.
OUTSIDE = """Response ID,Date,Touchpoint,Team,CSAT,Comment
r1,2025-03-01,Call center,,5,fine
r2,2025-03-02,*Teleport*,,4,beam me
r3,2025-03-03,*Teleport*,Ghost crew,2,lost
r4,2025-03-04,Delivery,Ghost crew,3,ok
r5,2025-03-05,*Teleport*,,1,again
"""


def load_outside(tmp_path):
    src = tmp_path / "outside.csv"
    src.write_text(OUTSIDE, encoding="utf-8")
    db = service.open_db(tmp_path / "cx.duckdb")
    model = service.load_model_for(db, ZELVORA_MODEL)
    service.remember_model(db, ZELVORA_MODEL)
    return db, model, service.ingest_file(db, model, src)


def test_receipt_names_touchpoints_and_teams_the_model_does_not_have(tmp_path):
    db, _, receipt = load_outside(tmp_path)
    assert receipt["status"] == "loaded" and receipt["added"] == 5
    outside = [w for w in receipt["warnings"] if "the model does not have" in w]
    assert len(outside) == 2
    assert outside[0].startswith("Responses naming a touchpoint the model does not have: '*Teleport*' (3).")
    assert outside[1].startswith("Responses naming a team the model does not have: 'Ghost crew' (2).")
    db.close()


def test_known_names_give_no_warning(tmp_path, zelvora_model):
    import pyarrow as pa

    table = pa.table({"source_response_id": ["a", "b", "c"], "touchpoint": ["call_center", "Call center", None],
                      "team": [None, None, None]})
    assert service.outside_model(table, zelvora_model) == []


def test_catalog_counts_the_responses_no_tile_counts(tmp_path):
    db, model, _ = load_outside(tmp_path)
    cat = queries.catalog(db.cursor(), model)
    assert cat.unmapped == {"touchpoint": (("*Teleport*", 3),), "team": (("Ghost crew", 2),)}
    db.close()
