"""Every sample export through `python -m cxdata ingest` into one database, checked against truth.json:
the relationship files combined, the pyramid index, waves and segments; the receipts of a later
re-export and of a file with duplicate ids; hostile files refused with the data untouched."""

import json
import subprocess
import sys
from datetime import date

import pytest

from cxdata import pyramid, queries, service
from cxdata.view import ViewState
from tests.conftest import ROOT, SAMPLES, ZELVORA_MODEL

RELATIONSHIP = ["qualtrics_relationship.csv", "surveymonkey_relationship.xlsx", "porsline_relationship.xlsx"]
TRANSACTIONAL = ["google_forms_transactional.csv", "typeform_transactional.csv", "zendesk_csat.csv",
                 "bg_partner_transactional_cp1251.csv", "ar_ivr_transactional_cp1256.csv"]
QUARTERS = {"2024-Q1": (date(2024, 1, 1), date(2024, 3, 31)), "2025-Q4": (date(2025, 10, 1), date(2025, 12, 31))}


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "cxdata", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return proc


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("e2e") / "cx.duckdb"
    files = [SAMPLES / f for f in RELATIONSHIP + TRANSACTIONAL]
    proc = cli("ingest", *files, "--db", db_path, "--model", ZELVORA_MODEL, "--json")
    assert proc.returncode == 0, proc.stderr
    receipts = {r["file"].split("/")[-1]: r for r in json.loads(proc.stdout)}
    return db_path, receipts


def index_nps(db_path, model, **view):
    db = service.open_db(db_path, read_only=True)
    try:
        cur = db.cursor()
        cat = queries.catalog(cur, model)
        return pyramid.build(cur, model, cat, ViewState(**view)).index.headline
    finally:
        db.close()


def test_every_export_loads_with_its_saved_mapping(loaded, truth):
    _, receipts = loaded
    for name, r in receipts.items():
        assert r["status"] == "loaded" and r["mapping"] == "saved", (name, r)
        metrics = truth["files"][name]["metrics"]
        assert r["added"] == metrics.get("valid_responses", metrics.get("responses", r["added"])), name
        assert r["rows_read"] == r["added"] + r["rejected_count"] + r["excluded_count"] + len(r["duplicates"]) or r["duplicates"], name


def test_zendesk_good_rate_on_the_team_and_touchpoint_tiles(loaded, zelvora_model, truth):
    want = truth["files"]["zendesk_csat.csv"]["metrics"]
    db = service.open_db(loaded[0], read_only=True)
    try:
        cur = db.cursor()
        p = pyramid.build(cur, zelvora_model, queries.catalog(cur, zelvora_model), ViewState(period="all"))
    finally:
        db.close()
    teams = {t.name: t.kpi("csat_good") for t in p.teams}
    for name, figure in want["csat_good_pct_by_team"].items():
        assert teams[name].current.n == figure["n"] and round(teams[name].current.value, 1) == figure["pct"], name
    # Only the Zendesk export rates tickets good or bad: its touchpoints' tiles hold exactly its answers.
    for key, figure in want["csat_good_pct_by_touchpoint"].items():
        k = p.touchpoint(key).kpi("csat_good")
        assert k.current.n == figure["n"] and round(k.current.value, 1) == figure["pct"], key


def test_index_is_the_combined_relationship_nps(loaded, zelvora_model, truth):
    k = index_nps(loaded[0], zelvora_model, period="all", compare="none")
    want = truth["pyramid"]["index"]
    assert k.current.n == want["n"] and round(k.current.value, 1) == want["nps"]
    assert k.current.value == pytest.approx(100 * (want["promoters"] - want["detractors"]) / want["n"], abs=1e-9)


@pytest.mark.parametrize("quarter", list(QUARTERS))
def test_index_by_wave(loaded, zelvora_model, truth, quarter):
    start, end = QUARTERS[quarter]
    k = index_nps(loaded[0], zelvora_model, period="custom", start=start, end=end, compare="none")
    want = truth["combined_relationship"]["nps_by"]["wave"][quarter]
    assert (k.current.n, round(k.current.value, 1)) == (want["n"], want["nps"])


@pytest.mark.parametrize("dim", ["tier", "region", "tenure_band"])
def test_index_by_segment(loaded, zelvora_model, truth, dim):
    for value, want in truth["combined_relationship"]["nps_by"][dim].items():
        k = index_nps(loaded[0], zelvora_model, period="all", compare="none", filters=((dim, (value,)),))
        assert (k.current.n, round(k.current.value, 1)) == (want["n"], want["nps"]), (dim, value)


def test_reexport_merges(loaded, zelvora_model, truth, tmp_path):
    import shutil

    db_path = tmp_path / "cx.duckdb"
    shutil.copyfile(loaded[0], db_path)
    bad = truth["bad_inputs"]["qualtrics_relationship_reexport.csv"]
    r = json.loads(cli("ingest", SAMPLES / "bad" / "qualtrics_relationship_reexport.csv", "--db", db_path, "--json").stdout)[0]
    assert r["status"] == "loaded"
    assert (r["added"], r["updated"], r["unchanged"]) == (bad["new_response_ids"], len(bad["edited_rows"]),
                                                          bad["overlapping_response_ids"] - len(bad["edited_rows"]))
    # The Qualtrics file alone after the merge.
    k = index_nps(db_path, zelvora_model, period="all", compare="none", filters=(("source", ("qualtrics",)),))
    want = bad["nps_after_merge"]
    assert (k.current.n, round(k.current.value, 1)) == (want["n"], want["nps"])
    again = json.loads(cli("ingest", SAMPLES / "bad" / "qualtrics_relationship_reexport.csv", "--db", db_path, "--json").stdout)[0]
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, bad["rows"])


def test_duplicate_ids_are_reported_not_double_counted(tmp_path, zelvora_model, truth):
    db_path = tmp_path / "cx.duckdb"
    bad = truth["bad_inputs"]["qualtrics_duplicate_response_ids.csv"]
    r = json.loads(cli("ingest", SAMPLES / "bad" / "qualtrics_duplicate_response_ids.csv", "--db", db_path,
                       "--model", ZELVORA_MODEL, "--json").stdout)[0]
    assert r["status"] == "loaded" and r["added"] == bad["unique_response_ids"] and len(r["duplicates"]) == 5
    k = index_nps(db_path, zelvora_model, period="all", compare="none")
    assert (k.current.n, round(k.current.value, 1)) == (bad["nps_keep_latest"]["n"], bad["nps_keep_latest"]["nps"])


@pytest.mark.parametrize("name", ["empty.csv", "bom_only.csv", "png_renamed.csv", "binary_garbage.csv",
                                  "wide_50k_columns.csv", "zip_bomb.xlsx"])
def test_hostile_files_are_refused_and_change_nothing(loaded, tmp_path, name):
    import shutil

    db_path = tmp_path / "cx.duckdb"
    shutil.copyfile(loaded[0], db_path)
    before = cli("pyramid", "--db", db_path, "--period", "all", "--json").stdout
    proc = cli("ingest", SAMPLES / "bad" / name, "--db", db_path, "--json")
    r = json.loads(proc.stdout)[0]
    assert proc.returncode == 1 and r["status"] == "refused" and r["error"] and "Traceback" not in r["error"]
    assert cli("pyramid", "--db", db_path, "--period", "all", "--json").stdout == before


def test_sql_looking_headers_are_plain_names(tmp_path):
    db_path = tmp_path / "cx.duckdb"
    r = json.loads(cli("ingest", SAMPLES / "bad" / "sql_injection_header.csv", "--db", db_path,
                       "--model", ZELVORA_MODEL, "--json").stdout)[0]
    assert r["status"] in ("loaded", "refused")
    db = service.open_db(db_path, read_only=True)
    tables = {t for (t,) in db.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"responses", "answers", "labels"} <= tables


@pytest.mark.parametrize("tier", ["ALL", "Consumer", "SMB", "Enterprise", "VIP"])
def test_key_drivers_of_the_relationship_nps(loaded, zelvora_model, truth, tier):
    """The Key drivers page's correlations of each touchpoint's satisfaction with NPS, their n and
    the top driver, as truth.json has them for the three relationship exports combined."""
    from cxdata import drivers

    want = truth["combined_relationship"]["key_drivers"][tier]
    view = ViewState(period="all") if tier == "ALL" else ViewState(period="all").with_filters({"tier": [tier]})
    db = service.open_db(loaded[0], read_only=True)
    try:
        cur = db.cursor()
        a = drivers.of_view(cur, zelvora_model, queries.catalog(cur, zelvora_model), view, "nps").overall
    finally:
        db.close()
    got = {d.predictor.node: d for d in a.drivers if d.predictor.measure == "tp_sat"}
    assert set(got) == set(want["by_touchpoint"])
    for tp, figure in want["by_touchpoint"].items():
        assert (got[tp].n, round(got[tp].r, 3)) == (figure["n"], figure["r"]), tp
    by_r = sorted(got, key=lambda tp: -got[tp].r)
    assert by_r == want["ranking_by_r"]
    # Relative weights name the same top driver as the correlations and the truth's regression.
    top = max(got.values(), key=lambda d: d.share)
    assert top.predictor.node == want["top_driver"] == want["top_driver_by_ols_beta"]


@pytest.mark.parametrize("name, source", [("qualtrics_relationship.csv", "qualtrics"),
                                          ("surveymonkey_relationship.xlsx", "surveymonkey"),
                                          ("porsline_relationship.xlsx", "porsline")])
def test_key_drivers_of_each_relationship_export(loaded, zelvora_model, truth, name, source):
    """Each export's own drivers, through the source filter of the combined database: every
    tier's correlations and n as truth.json gives them for the file alone."""
    from cxdata import drivers

    db = service.open_db(loaded[0], read_only=True)
    try:
        cur = db.cursor()
        cat = queries.catalog(cur, zelvora_model)
        for tier, want in truth["files"][name]["metrics"]["key_drivers"].items():
            filters = {"source": [source]} | ({} if tier == "ALL" else {"tier": [tier]})
            a = drivers.of_view(cur, zelvora_model, cat, ViewState(period="all").with_filters(filters), "nps").overall
            got = {d.predictor.node: d for d in a.drivers if d.predictor.measure == "tp_sat"}
            assert {tp: (got[tp].n, round(got[tp].r, 3)) for tp in want["by_touchpoint"]} == \
                {tp: (f["n"], f["r"]) for tp, f in want["by_touchpoint"].items()}, (name, tier)
            assert max(got.values(), key=lambda d: d.share).predictor.node == want["top_driver"], (name, tier)
    finally:
        db.close()


def _google_forms_variants(folder):
    """The sample form as other people download it: the UI in German (header and 24-hour times),
    the sheet as .xlsx (date cells, local time, no offset), the sheet as CSV in a German locale
    (day-first dotted dates, no offset)."""
    import csv
    from datetime import datetime

    import xlsxwriter

    with (SAMPLES / "google_forms_transactional.csv").open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    times = [datetime.strptime(r[0].split(" GMT")[0], "%Y/%m/%d %I:%M:%S %p") for r in rows]
    german = folder / "gf_de.csv"
    with german.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Zeitstempel", *header[1:]])
        w.writerows([f"{t:%Y/%m/%d %H:%M:%S} GMT+3:30", *r[1:]] for t, r in zip(times, rows))
    sheet = folder / "gf_sheet.csv"
    with sheet.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Zeitstempel", *header[1:]])
        w.writerows([f"{t:%d.%m.%Y %H:%M:%S}", *r[1:]] for t, r in zip(times, rows))
    book = folder / "gf.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws, stamp = wb.add_worksheet("Form Responses 1"), wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write_row(0, 0, header)
    for i, (t, r) in enumerate(zip(times, rows), 1):
        ws.write_datetime(i, 0, t, stamp)
        for j, v in enumerate(r[1:], 1):
            ws.write_number(i, j, int(v)) if v.isdigit() else ws.write_string(i, j, v) if v else None
    wb.close()
    return [german, book, sheet]


def test_other_downloads_of_a_known_survey_change_nothing(tmp_path):
    """Found by an audit: the same Google Form downloaded in another UI language, as .xlsx or
    without offsets, and a Zendesk export with trailing separators, were new surveys to the app
    (their saved mapping unused): times 3.5 hours off, every response 'updated' without its
    touchpoint and team, or added a second time."""
    zendesk = tmp_path / "zendesk_trailing.csv"
    lines = (SAMPLES / "zendesk_csat.csv").read_text(encoding="utf-8").splitlines()
    zendesk.write_text("".join(line + ",,,\n" for line in lines), encoding="utf-8")
    files = [SAMPLES / "google_forms_transactional.csv", *_google_forms_variants(tmp_path),
             SAMPLES / "zendesk_csat.csv", zendesk]
    proc = cli("ingest", *files, "--db", tmp_path / "cx.duckdb", "--model", ZELVORA_MODEL, "--json")
    assert proc.returncode == 0, proc.stderr
    receipts = json.loads(proc.stdout)
    assert [r["mapping"] for r in receipts] == ["saved"] * 6
    gf, *others, zd, zd_again = receipts
    assert gf["added"] == 3224 and zd["added"] == 3323
    for r in others:
        assert (r["added"], r["updated"], r["unchanged"], r["source"]) == (0, 0, 3224, "google_forms"), r["file"]
    assert (zd_again["added"], zd_again["updated"], zd_again["unchanged"]) == (0, 0, 3323)
