"""The Upload page under AppTest: a real export in, the suggested mapping confirmed, a receipt out;
hostile files refused with a plain message and nothing stored; history and removal."""

import pytest
from streamlit.testing.v1 import AppTest

from cxdata import service
from cxdata.db import Database
from tests.conftest import ROOT, SAMPLES, ZELVORA_MODEL

APP = str(ROOT / "dashboard.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    db_path = tmp_path / "cx.duckdb"
    monkeypatch.setenv("CX_DB", str(db_path))
    monkeypatch.setenv("CX_MODEL", str(ZELVORA_MODEL))
    monkeypatch.setattr(service, "DEMO_RESPONSES", 3000)

    def make():
        at = AppTest.from_file(APP, default_timeout=180)
        at.switch_page("pages/upload.py")
        return at.run()

    return make, db_path


def responses(db_path):
    db = Database(db_path)
    try:
        return db.cursor().execute("SELECT count(*) FROM responses").fetchall()[0][0]
    finally:
        db.close()


def upload(at, name):
    data = (SAMPLES / name).read_bytes()
    at.get("file_uploader")[0].upload(name.split("/")[-1], data).run()
    return at


def test_upload_confirm_receipt_and_history(app, truth):
    make, db_path = app
    at = make()
    assert not at.exception
    upload(at, "zendesk_csat.csv")
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value.startswith("1 · Check") for s in at.subheader)
    assert at.checkbox[0].value is True  # remove the demo data: on by default
    load = next(b for b in at.button if b.label == "Load responses")
    load.click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    want = truth["files"]["zendesk_csat.csv"]["metrics"]
    assert metrics["Rows read"] == f"{want['rows_in_file']:,}"
    assert int(metrics["Added"].replace(",", "")) == want["responses"] == responses(db_path)  # demo data removed
    assert int(metrics["Excluded"]) == want["offered_not_answered_rows"]  # 'Offered' is not a response
    assert "zendesk_csat.csv" in at.dataframe[-1].value["file"].tolist()


def test_hostile_file_gets_a_plain_message_and_nothing_changes(app):
    make, db_path = app
    at = make()
    before = responses(db_path)
    upload(at, "bad/png_renamed.csv")
    assert not at.exception
    assert at.error and "png_renamed.csv" in at.error[0].value and "Traceback" not in at.error[0].value
    assert responses(db_path) == before
