"""`python -m cxdata` as automation uses it: real subprocesses, exit codes, JSON."""

from datetime import date
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

from tests.conftest import PARQUET, ROOT, ZELVORA_MODEL


def cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "cxdata", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "cx.duckdb"
    out = cli("ingest", PARQUET, "--db", path, "--model", ZELVORA_MODEL, "--json")
    receipt = json.loads(out.stdout)[0]
    assert receipt["status"] == "loaded" and receipt["added"] == 140000 and receipt["rows_read"] == 491010
    return path


def test_reingest_is_unchanged(db):
    receipt = json.loads(cli("ingest", PARQUET, "--db", db, "--json").stdout)[0]
    assert (receipt["added"], receipt["updated"], receipt["unchanged"]) == (0, 0, 140000)


def test_pyramid_json(db, truth):
    out = json.loads(cli("pyramid", "--db", db, "--from", "2025-10-01", "--to", "2025-12-31", "--json").stdout)
    assert out["period"] == {"from": "2025-10-01", "to": "2025-12-31", "label": "2025-Q4"}
    assert out["comparison"]["label"] == "2025-Q3"
    fields = {"name", "kpi", "value", "n", "ci_low", "ci_high", "previous", "delta", "significant", "suppressed"}
    for node in [out["index"], *out["touchpoints"], *out["teams"]]:
        assert fields <= set(node)
    row = next(r for r in out["teams"] if r["name"] == "Delivery - Tehran Hub" and r["kpi"] == "csat_mean")
    want = truth["planted_effects"]["team_incident"]["parquet_team_change"]
    assert (row["n"], row["previous"], row["delta"], row["significant"]) == (want["n_last"], round(want["prev"], 2), round(want["delta"], 2), True)
    assert row["ci_low"] < row["value"] < row["ci_high"]


def test_pyramid_where_and_compare_year(db, truth):
    out = json.loads(cli("pyramid", "--db", db, "--from", "2025-10-01", "--to", "2025-12-31", "--compare", "year",
                         "--where", "region=Tehran", "--json").stdout)
    assert out["comparison"]["label"] == "2024-Q4" and out["filters"] == {"region": ["Tehran"]}
    web = next(r for r in out["teams"] if r["name"] == "Web - Global Site")
    assert web["value"] is None and not web["suppressed"]  # a Global Site team has no Tehran responses: no data, not hidden


@pytest.mark.parametrize(
    "args, message",
    [
        (["--where", "planet=Mars"], "Unknown filter 'planet'"),
        (["--where", "region=Atlantis"], "Unknown value 'Atlantis' for Region"),
        (["--where", "region"], "use DIM=VALUE"),
        (["--from", "2025-01-01"], "--from and --to go together"),
        (["--from", "2025-13-01", "--to", "2025-12-31"], "custom period needs valid"),
        (["--from", "0001-01-01", "--to", "9999-12-31"], "custom period needs valid"),
        # the presets named: found by a new user's walk, 'Unknown period' left them to be guessed
        (["--period", "all_time"], "Unknown period 'all_time' (one of latest_month, latest_quarter, last_30_days, "
                                   "last_90_days, last_12_months, year_to_date, all; or --from and --to)"),
    ],
)
def test_pyramid_bad_input_is_a_clear_error(db, args, message):
    proc = cli("pyramid", "--db", db, *args, "--json", check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_period_without_data_is_an_empty_state(db):
    out = json.loads(cli("pyramid", "--db", db, "--from", "2030-01-01", "--to", "2030-03-31", "--json").stdout)
    assert out["empty"] is True and out["index"]["value"] is None
    text = cli("pyramid", "--db", db, "--from", "2030-01-01", "--to", "2030-03-31").stdout
    assert "No responses in this period" in text


def test_the_text_table_says_why_it_has_no_comparison(db):
    # Found by a new user's walk: the JSON said why, the table just left the comparison out.
    text = cli("pyramid", "--db", db, "--from", "2023-01-01", "--to", "2025-12-31", "--compare", "year").stdout
    note = json.loads(cli("pyramid", "--db", db, "--from", "2023-01-01", "--to", "2025-12-31", "--compare", "year",
                          "--json").stdout)["comparison_note"]
    assert note and text.splitlines()[1] == note


def test_the_demo_goes_only_into_a_new_database(db, tmp_path):
    """Found by a new user's walk: `demo` added fictional responses to a real database, whose
    pyramid then opened on the demo's quarter."""
    before = json.loads(cli("pyramid", "--db", db, "--json").stdout)
    proc = cli("demo", "--db", db, "--rows", "200", check=False)
    assert proc.returncode == 2 and "already holds data" in proc.stderr
    assert json.loads(cli("pyramid", "--db", db, "--json").stdout) == before
    assert "demo data: 200 responses" in cli("demo", "--db", tmp_path / "new.duckdb", "--rows", "200").stdout


def test_malformed_model_is_refused_and_changes_nothing(db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("index: {kpi: {stat: nps, measure: nowhere}}\nmeasures: {nps: {scale: [0, 10]}}\ntouchpoints: []\n")
    before = json.loads(cli("pyramid", "--db", db, "--json").stdout)
    proc = cli("ingest", PARQUET, "--db", db, "--model", bad, check=False)
    assert proc.returncode == 2 and "index.kpi.measure" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(cli("pyramid", "--db", db, "--json").stdout) == before


def test_missing_file_is_refused_with_nonzero_exit(db, tmp_path):
    proc = cli("ingest", tmp_path / "nope.parquet", "--db", db, check=False)
    assert proc.returncode == 1 and "REFUSED" in proc.stderr


def test_missing_database(tmp_path):
    proc = cli("pyramid", "--db", tmp_path / "none.duckdb", check=False)
    assert proc.returncode == 2 and "no database" in proc.stderr.lower()


def test_ingest_prints_the_receipts_warnings(tmp_path):
    from tests.test_service import OUTSIDE

    src = tmp_path / "outside.csv"
    src.write_text(OUTSIDE, encoding="utf-8")
    out = cli("ingest", src, "--db", tmp_path / "cx.duckdb", "--model", ZELVORA_MODEL).stdout
    assert "5 rows read; responses 5 added" in out
    assert "\n  warning: Responses naming a touchpoint the model does not have: '*Teleport*' (3)." in out


def test_ingest_json_counts_the_responses_no_period_holds(tmp_path):
    src = ROOT / "tests" / "fixtures" / "samples" / "bad" / "out_of_range_scores.csv"  # no date column
    receipt = json.loads(cli("ingest", src, "--db", tmp_path / "cx.duckdb", "--model", ZELVORA_MODEL,
                             "--json").stdout)[0]
    assert (receipt["added"], receipt["undated"], receipt["unseen"]) == (17, 17, True)


def test_ingest_settles_what_the_file_cannot_say(tmp_path):
    # 01/02 and 03/04 read either way: refused with the option named, loaded once it is given
    src = tmp_path / "dates.csv"
    src.write_text("id,Date,How likely are you to recommend us?\n"
                   "a,01/02/2025 10:00,9\nb,03/04/2025 11:30,6\n", encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    proc = cli("ingest", src, "--db", db, check=False)
    assert proc.returncode == 1 and "use --dates day-first or --dates month-first" in proc.stderr
    receipt = json.loads(cli("ingest", src, "--db", db, "--dates", "day-first", "--timezone",
                             "Europe/Berlin", "--json").stdout)[0]
    assert receipt["added"] == 2
    # ...and not asked again on the receipt (found by an audit)
    assert not any("day" in w and "month" in w for w in receipt["warnings"]), receipt["warnings"]
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute("SELECT strftime(responded_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') FROM responses "
                          "ORDER BY 1").fetchall()
    assert got == [("2025-02-01 09:00",), ("2025-04-03 09:30",)]  # CET, then CEST
    proc = cli("ingest", src, "--db", tmp_path / "other.duckdb", "--dates", "day-first",
               "--timezone", "Mars/Base", check=False)
    assert proc.returncode == 1 and "is not a time zone" in proc.stderr


def test_text_table_says_no_change_as_the_page_does():
    from cxdata.cli import _table

    node = {"level": "index", "name": "CX", "kpi_name": "NPS", "stat": "nps", "suppressed": False, "value": 12.0,
            "n": 40, "significant": False}
    result = {"model": "m", "as_of": "2025-12-31", "period": {"label": "2025-Q4"}, "comparison": None, "empty": False,
              "filters": {}, "touchpoints": [], "teams": []}
    for delta, shown in ((-0.0, "Δ ±0"), (0.0, "Δ ±0"), (1.5, "Δ +1.5"), (-2.0, "Δ -2.0")):
        assert _table({**result, "index": {**node, "delta": delta}}).splitlines()[-1].endswith(shown)
    assert "Δ" not in _table({**result, "index": {**node, "delta": None}})
    # as many decimals as the page shows (found by a new user's walk: "81" beside the page's 81.0%)
    assert "  12.0  n=40" in _table({**result, "index": {**node, "delta": None}})


def test_ingest_reads_the_sheet_it_is_told(tmp_path):
    from tests.test_ingest_read import two_wave_workbook

    path = two_wave_workbook(tmp_path / "two.xlsx")
    out = json.loads(cli("ingest", path, "--db", tmp_path / "cx.duckdb", "--sheet", "Wave 1", "--json").stdout)[0]
    assert out["status"] == "loaded" and out["added"] == 2
    out = json.loads(cli("ingest", path, "--db", tmp_path / "other.duckdb", "--json").stdout)[0]
    assert out["added"] == 3 and any("'Wave 1'" in w for w in out["warnings"])


def test_a_receipt_does_not_warn_of_what_the_options_settled(tmp_path):
    """Found in review: with --timezone the receipt still said UTC was assumed."""
    src = tmp_path / "t.csv"
    src.write_text("Response ID,Date,How likely are you to recommend us?\nr1,2025-03-01 10:00,9\nr2,2025-03-02 11:00,3\n")
    plain = json.loads(cli("ingest", src, "--db", tmp_path / "a.duckdb", "--json").stdout)[0]
    zoned = json.loads(cli("ingest", src, "--db", tmp_path / "b.duckdb", "--timezone", "Europe/Berlin", "--json").stdout)[0]
    assert any("UTC was assumed" in w for w in plain["warnings"])
    assert not any("UTC was assumed" in w for w in zoned["warnings"])


def test_ingest_names_the_source_the_receipt_suggests(tmp_path):
    """A second survey of a tool gets '<tool>_2', and the receipt says to load it under the tool's
    name if it is the same survey with changed questions: the command line had no way to."""
    from tests.test_service import GF_DELIVERY, GF_STORE

    path = tmp_path / "cx.duckdb"
    (tmp_path / "store.csv").write_text(GF_STORE, encoding="utf-8")
    # (answered a second later than a store visit: without response ids, the time keys a response)
    (tmp_path / "delivery.csv").write_text(GF_DELIVERY.replace("11:40:10", "11:40:11"), encoding="utf-8")
    cli("ingest", tmp_path / "store.csv", "--db", path, "--model", ZELVORA_MODEL)
    first = json.loads(cli("ingest", tmp_path / "delivery.csv", "--db", path, "--json").stdout)[0]
    assert first["source"] == "google_forms_2" and any("--source" in w for w in first["warnings"])
    # A readable name is stored as the identifier it makes (found by a review: 'Google Forms' was refused)...
    named = json.loads(cli("ingest", tmp_path / "delivery.csv", "--db", path, "--source", "Google Forms 2!",
                           "--json").stdout)[0]
    assert (named["source"], named["unchanged"]) == ("google_forms_2", 1)
    # ...and a name that makes none is refused, saying what a source is.
    bad = cli("ingest", tmp_path / "delivery.csv", "--db", path, "--source", "نظرسنجی", check=False)
    assert bad.returncode == 1 and "source 'نظرسنجی' must be lower-case letters" in bad.stderr
    again = json.loads(cli("ingest", tmp_path / "delivery.csv", "--db", path, "--source", "google_forms",
                           "--json").stdout)[0]
    assert (again["source"], again["added"]) == ("google_forms", 1)
    assert not any("Another survey" in w for w in again["warnings"])
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT s.name, count(*) FROM responses JOIN sources s USING (source_id) GROUP BY 1 "
                           "ORDER BY 1").fetchall() == [("google_forms", 3), ("google_forms_2", 1)]
    finally:
        con.close()


def test_ingest_asks_for_allow_losses_before_taking_from_stored_responses_what_they_have(tmp_path):
    """Found by a review: a file read with another mapping than its survey's took the team from each of
    3,224 stored responses, and the command line exited 0."""
    from tests.conftest import SAMPLES
    from tests.test_ingest_recognise import NEW_QUESTION, rows_of, with_column, write
    from tests.test_service import GF_SAMPLE, _renamed

    db = tmp_path / "cx.duckdb"
    cli("ingest", SAMPLES / GF_SAMPLE, "--db", db, "--model", ZELVORA_MODEL)
    # A question added to the form: the saved roles, and the receipt names the question it left out.
    grown = write(tmp_path / "grown.csv",
                  with_column(rows_of(SAMPLES / GF_SAMPLE), 6, NEW_QUESTION, lambda i: str(i % 5 + 1)))
    out = json.loads(cli("ingest", grown, "--db", db, "--json").stdout)[0]
    assert (out["mapping"], out["unchanged"]) == ("extended", 3224)
    assert out["new_columns"] == [{"column": NEW_QUESTION, "loaded_as": "ignore", "suggested": "rating how_clean_was_the_store"}]
    renamed = write(tmp_path / "renamed.csv", _renamed(rows_of(SAMPLES / GF_SAMPLE)))
    proc = cli("ingest", renamed, "--db", db, "--source", "google_forms", "--json", check=False)
    refused = json.loads(proc.stdout)[0]
    assert proc.returncode == 1 and (refused["status"], refused["code"]) == ("refused", "losses")
    assert refused["losses"] == {"touchpoint": 3224, "team": 3224}
    proc = cli("ingest", renamed, "--db", db, "--source", "google_forms", check=False)
    assert proc.returncode == 1 and "load it with --allow-losses" in proc.stderr
    out = json.loads(cli("ingest", renamed, "--db", db, "--source", "google_forms", "--allow-losses", "--json").stdout)[0]
    assert (out["status"], out["updated"]) == ("loaded", 3224)


def test_a_reader_that_stops_early_gets_no_traceback(db):
    # Found by a walk-through: `pyramid ... | head` ended in a BrokenPipeError traceback.
    proc = subprocess.run(f"{sys.executable} -m cxdata pyramid --db {db} | true", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_drivers_json_explains_the_csat_of_the_transactional_surveys(db):
    out = json.loads(cli("drivers", "--db", db, "--outcome", "csat", "--by", "region", "--from", "2025-01-01",
                         "--to", "2025-12-31", "--json").stdout)
    assert out["outcome"]["key"] == "csat"
    assert (out["period"]["from"], out["period"]["to"]) == ("2025-01-01", "2025-12-31")
    shown = [d for d in out["all"]["drivers"] if d["status"] != "hidden"]
    assert shown and sum(d["importance"] for d in shown) == pytest.approx(100, abs=0.2)
    assert {"name", "importance", "importance_low", "importance_high", "r", "performance", "n"} <= set(shown[0])
    assert out["by"] == "region" and out["segments"]
    assert sum(s["responses"] or 0 for s in out["segments"]) <= out["all"]["responses"]


@pytest.mark.parametrize("name", ["review.pdf", "review.pptx"])
def test_deck_writes_the_slides_of_a_view(db, tmp_path, name):
    """The slides of the app's Slides and PDF buttons, made without the app (a weekly deck)."""
    out = tmp_path / name
    proc = cli("deck", out, "--db", db, "--team", "web_persian_site", "--from", "2025-01-01", "--to", "2025-12-31",
               "--where", "region=Tehran")
    titles = ["Zelvora CX index", "Website", "Web - Persian Site", "What customers say · Web - Persian Site"]
    assert proc.stdout.strip() == f"{out}: 4 slides ({', '.join(titles)})"
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        pdf = PdfReader(out)
        pages = pdf.pages
        assert [p.extract_text().splitlines()[0] for p in pages] == titles
        # named as the app names its file: the deepest node, period and filters, not the first slide
        assert pdf.metadata.title == "Web - Persian Site · 01 Jan 2025 – 31 Dec 2025 · Region: Tehran"
        assert all("Region: Tehran" in p.extract_text() for p in pages)  # the view's filter, on every slide
    else:
        from pptx import Presentation

        deck = Presentation(out)
        assert len(deck.slides) == len(titles)
        assert deck.core_properties.title == "Web - Persian Site · 01 Jan 2025 – 31 Dec 2025 · Region: Tehran"  # as the PDF's


@pytest.mark.parametrize("args, message", [
    (["review.txt"], "the deck's file name ends in .pdf or .pptx"),
    (["review.pdf", "--team", "nope"], "Unknown team 'nope'"),
    (["review.pdf", "--where", "region=Atlantis"], "Unknown value 'Atlantis'"),
    (["no/such/folder/review.pdf"], "Cannot write no/such/folder/review.pdf"),
])
def test_deck_bad_input_is_a_clear_error(db, tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "cxdata", "deck", *args, "--db", str(db)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("args, message", [
    (["--outcome", "nope"], "Unknown measure 'nope'"),
    (["--by", "nope"], "Unknown segment 'nope'"),
    (["--where", "region=Atlantis"], "Unknown value 'Atlantis'"),
])
def test_drivers_bad_input_is_a_clear_error(db, args, message):
    proc = cli("drivers", "--db", db, *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_drivers_table_says_when_no_r_squared_is_shown(db, monkeypatch, capsys):
    """The text table of an analysis without an R² (its matrix had to be repaired) or a driver
    without a correlation (every answer the same) prints dashes, not a traceback."""
    from cxdata import cli as cli_module, service

    real = service.drivers_json

    def without(*args, **kwargs):
        out = real(*args, **kwargs)
        out["all"]["r_squared"] = None
        out["all"]["drivers"][0]["r"] = None
        return out

    monkeypatch.setattr(service, "drivers_json", without)
    assert cli_module.main(["drivers", "--db", str(db), "--outcome", "csat"]) == 0
    text = capsys.readouterr().out
    assert "R²=—" in text and "r=—" in text


def test_loop_json_and_a_case_closed_from_the_command_line(db):
    out = json.loads(cli("loop", "--db", db, "--period", "all", "--cases", "new", "--limit", "5", "--json").stdout)
    everyone = out["all"]
    assert everyone["cases"] == sum(o["cases"] for o in out["owners"]) > 0
    assert everyone["resolved"] == 0 and everyone["closure_rate"] == 0
    assert [r["measure"] for r in out["rules"]] == ["nps", "csat", "csat_good"]
    assert out["cases"]["total"] == everyone["new"] and len(out["cases"]["rows"]) == 5
    first = out["cases"]["rows"][0]
    assert first["status"] == "new" and first["responded_at"].endswith("Z")
    team = next(o for o in out["owners"] if (o["owner"] or "").startswith("team:"))
    key = team["owner"].split(":")[1]
    mine = json.loads(cli("loop", "--db", db, "--period", "all", "--team", key, "--json").stdout)
    assert mine["all"]["cases"] == team["cases"] and {r["owner"] for r in mine["cases"]["rows"]} == {team["owner"]}

    ref = f"{first['source']}:{first['response_id']}"
    assert cli("case", ref, "--db", db, "--status", "resolved", "--note", "Called back", "--by", "cron").stdout.startswith("1 case")
    after = json.loads(cli("loop", "--db", db, "--period", "all", "--cases", "resolved", "--json").stdout)
    assert after["all"]["resolved"] == 1
    assert [(r["response_id"], r["note"], r["updated_by"]) for r in after["cases"]["rows"]] == [
        (first["response_id"], "Called back", "cron")]
    table = cli("loop", "--db", db, "--period", "all", "--limit", "2").stdout
    assert "closure rate" in table and "open cases, the first 2:" in table


@pytest.mark.parametrize("args, message", [
    (["case", "nosuchsource:1", "--status", "resolved"], "Unknown survey source 'nosuchsource'"),
    (["case", "just-an-id", "--status", "resolved"], "write a case as SOURCE:RESPONSE_ID"),
    (["case", "zendesk:no-such-ticket", "--note", "x"], "not stored"),
    (["loop", "--team", "nope"], "Unknown team 'nope'"),
    (["loop", "--where", "region=Atlantis"], "Unknown value 'Atlantis'"),
])
def test_loop_bad_input_is_a_clear_error(db, args, message):
    proc = cli(*args, "--db", db, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def truth_invited(channel: str) -> int:
    from tests.conftest import SAMPLES

    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))
    return truth["files"]["invitations.csv"]["metrics"]["response_rate_pct_by_channel"][channel]["invited"]


def test_invitations_and_response_rates_from_the_command_line(db, tmp_path):
    from tests.conftest import SAMPLES

    out = json.loads(cli("invitations", SAMPLES / "invitations.csv", "--db", db, "--json").stdout)
    assert out[0]["status"] == "loaded" and out[0]["added"] == 31200 and out[0]["rejected_count"] == 0
    again = json.loads(cli("invitations", SAMPLES / "invitations.csv", "--db", db, "--json").stdout)
    assert (again[0]["added"], again[0]["unchanged"]) == (0, 31200)
    rates = json.loads(cli("response-rates", "--db", db, "--period", "all", "--json").stdout)
    # This database holds no relationship survey: every invitation went unanswered
    assert (rates["all"]["invited"], rates["all"]["responded"], rates["all"]["rate"]) == (31200, 0, 0.0)
    assert set(rates["by"]) >= {"source", "wave", "tier", "tenure_band"}
    assert "Customer tier" in cli("response-rates", "--db", db, "--period", "all").stdout
    # A segment only the list has (how a customer was invited) filters it
    sms = json.loads(cli("response-rates", "--db", db, "--period", "all", "--where", "channel=sms", "--json").stdout)
    assert sms["all"]["invited"] == truth_invited("sms")
    # A survey export is not an invitation list, nor is a folder: refused, exit code 1, one line
    proc = cli("invitations", SAMPLES / "qualtrics_relationship.csv", "--db", db, check=False)
    assert proc.returncode == 1 and "looks like survey responses" in proc.stderr
    proc = cli("invitations", tmp_path, "--db", db, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_case_and_loop_refuse_what_they_cannot_use(db, tmp_path):
    proc = cli("case", "zendesk:1", "--db", tmp_path / "typo" / "cx.duckdb", "--status", "resolved", check=False)
    assert proc.returncode == 2 and "There is no database" in proc.stderr and not (tmp_path / "typo").exists()
    proc = cli("loop", "--db", db, "--limit", "99999999999999999999", check=False)
    assert proc.returncode == 2 and "--limit" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "cxdata", "case", "zendesk:1", "--db", str(db), "--note", "caf\udce9"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, errors="replace")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_a_case_of_a_source_whose_name_holds_a_colon(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("source,source_response_id,responded_at,customer_id,touchpoint,team,metric,value,value_text\n"
                    "crm:emea,r:1,2025-03-01T10:00:00Z,C1,web,,csat,1,\n", encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    cli("ingest", path, "--db", db, "--model", ZELVORA_MODEL)
    assert cli("case", "crm:emea:r:1", "--db", db, "--status", "contacted").stdout.startswith("1 case")
    listed = json.loads(cli("loop", "--db", db, "--period", "all", "--cases", "contacted", "--json").stdout)
    assert [(r["source"], r["response_id"]) for r in listed["cases"]["rows"]] == [("crm:emea", "r:1")]


def test_loop_hides_the_figures_of_an_owner_with_few_cases(tmp_path):
    """Found in review: the team view hid Stores - Gulf's closure rate (4 cases), the loop showed it."""
    path = tmp_path / "few.csv"
    lines = ["source,source_response_id,responded_at,customer_id,touchpoint,team,metric,value,value_text"]
    lines += [f"survey,g{i},2025-03-0{1 + i}T10:00:00Z,G{i},store,stores_gulf,csat,1," for i in range(2)]
    lines += [f"survey,t{i},2025-03-{10 + i}T10:00:00Z,T{i},store,stores_tehran,csat,1," for i in range(10)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    cli("ingest", path, "--db", db, "--model", ZELVORA_MODEL)
    assert cli("case", "survey:g0", "--db", db, "--status", "resolved").stdout.startswith("1 case")
    out = json.loads(cli("loop", "--db", db, "--period", "all", "--json").stdout)
    owners = {o["owner"]: o for o in out["owners"]}
    # Gulf's 2 cases, and Tehran's 10 with them (the store's 12 less Tehran's gave Gulf's back):
    # no rate, interval, total or resolved; their cases still to work are counted
    for key, still_open in (("team:stores_gulf", 1), ("team:stores_tehran", 10)):
        o = owners[key]
        assert o["suppressed"] and not o["low_n"], key
        assert [o[f] for f in ("cases", "resolved", "closure_rate", "closure_rate_ci", "target_status",
                               "contacted_in_time", "due", "median_hours_to_contact")] == [None] * 8, key
        assert o["open"] == still_open
    assert out["all"]["cases"] == 12 and not out["all"]["suppressed"]
    mine = json.loads(cli("loop", "--db", db, "--period", "all", "--team", "stores_gulf", "--cases", "all",
                          "--json").stdout)
    assert mine["all"]["suppressed"] and mine["all"]["closure_rate"] is None and mine["cases"]["total"] is None
    assert len(mine["cases"]["rows"]) == 2  # the list itself: the cases to work, one by one
    table = cli("loop", "--db", db, "--period", "all", "--team", "stores_gulf").stdout
    gulf = next(line for line in table.splitlines() if line.startswith("Stores - Gulf"))
    assert gulf.split() == ["Stores", "-", "Gulf", "—", "1", "1", "hidden"]


def test_pyramid_json_has_the_closed_loop_tiles_of_the_team_views_and_the_figures_file(tmp_path):
    """Found by review: `pyramid --json` had every KPI of the index, touchpoints and teams but
    their closure rates, which their team views show as a Closed loop tile and the pyramid's
    figures file carries."""
    from cxdata import deck, drill, pyramid, queries, service, tables
    from cxdata.loop import utc_now
    from cxdata.view import ViewState

    path = tmp_path / "loop.csv"
    lines = ["source,source_response_id,responded_at,customer_id,touchpoint,team,metric,value,value_text"]
    # (team, answers, of them CSAT 1: cases, of those resolved): Gulf's 2 cases are too few to show
    made = [("stores_tehran", 40, 40, 20), ("stores_provinces", 30, 10, 4), ("stores_gulf", 8, 2, 1)]
    for team, answers, cases, _ in made:
        lines += [f"survey,{team}-{i},2025-03-{1 + i % 28:02d}T10:00:00Z,{team}-C{i},store,{team},csat,"
                  f"{1 if i < cases else 5}," for i in range(answers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    cli("ingest", path, "--db", db, "--model", ZELVORA_MODEL)
    cli("case", *(f"survey:{team}-{i}" for team, _, _, resolved in made for i in range(resolved)), "--db", db,
        "--status", "resolved")
    out = json.loads(cli("pyramid", "--db", db, "--from", "2025-03-01", "--to", "2025-03-31", "--json").stdout)
    loops = {(r["level"], r["key"]): r for r in out["closed_loop"]}
    fields = {"name", "kpi", "value", "n", "ci_low", "ci_high", "previous", "delta", "significant", "suppressed"}
    assert all(fields <= set(r) and r["kpi"] == "closed_loop" for r in loops.values())
    # every case is the store's (25 of 52 resolved); Gulf's hidden, and Provinces' with them, whose
    # 10 the store's less Tehran's would give back; a team without cases has no rate
    assert {key: (r["n"], r["value"], r["suppressed"]) for (_, key), r in loops.items() if r["n"] or r["suppressed"]} == {
        "index": (52, 48.1, False), "store": (52, 48.1, False), "stores_tehran": (40, 50.0, False),
        "stores_provinces": (None, None, True), "stores_gulf": (None, None, True)}
    # the tiles of the team views (each its own count of its cases: deck._Queries.closure, as the
    # team slide), and the rows of the figures file of the same view
    database = service.open_db(db, read_only=True)
    model = service.load_model_for(database)
    cur = database.cursor()
    cat = queries.catalog(cur, model)
    view = ViewState(period="custom", start=date(2025, 3, 1), end=date(2025, 3, 31))
    p, now = pyramid.build(cur, model, cat, view), utc_now()
    views = {("index", "index"): view, **{("touchpoint", t.key): view.drill(t.key) for t in model.touchpoints},
             **{("team", t.key): view.drill(t.touchpoint, t.key) for t in model.teams}}
    nodes = {(n.level, n.key): n for n in (p.index, *p.touchpoints, *p.teams)}
    tiles = {node: tables.kpi_record(nodes[node], deck._Queries(cur, model, cat, v, now).closure())
             for node, v in views.items() if node in loops}
    figures = tables.pyramid_frame(p, "", drill.closed_loops(cur, model, cat, view, p, now))
    database.close()
    assert {node: {k: v for k, v in r.items() if k != "compared_with"} for node, r in loops.items()} == tiles
    assert all(r["compared_with"].startswith("Feb 2025 as of ") for r in loops.values())
    rows = figures[figures["kpi"] == "closed_loop"].astype(object).where(figures.notna(), None)
    assert [(r["level"], r["key"], r["value"], r["n"], r["suppressed"]) for _, r in rows.iterrows()] == [
        (r["level"], r["key"], r["value"], r["n"], r["suppressed"]) for r in out["closed_loop"]]


def test_control_characters_of_a_file_reach_the_terminal_as_visible_escapes(tmp_path):
    path = tmp_path / "evil.json"
    path.write_text(json.dumps([{"response_id": "r\x1b[31m9", "submitted": "2025-01-02", "nps": "2",
                                 "comment": "bad \x1b]0;title\x07 \x9b2J service"}]), encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    cli("ingest", path, "--db", db, "--model", ZELVORA_MODEL)
    out = cli("loop", "--db", db, "--period", "all").stdout
    assert "evil:r\\u001b[31m9" in out and not any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) < 0xa0 for c in out)
    # JSON keeps the text exactly, C1 characters included (JSON escapes only C0 itself)
    out = cli("loop", "--db", db, "--period", "all", "--json").stdout
    assert "\x9b" not in out and "\\u009b2J" in out
    rows = json.loads(out)["cases"]["rows"]
    assert rows[0]["response_id"] == "r\x1b[31m9" and rows[0]["comment"] == "bad \x1b]0;title\x07 \x9b2J service"


def test_access_check_prints_who_sees_what(tmp_path):
    out = cli("access", ROOT / "examples" / "access.yaml", "--who", "omid@example.com", "--who", "x@other.org").stdout
    assert "omid@example.com would see the rows of Call Center - Europe" in out
    assert "x@other.org would see nothing" in out and out.startswith("sign-in: proxy (header X-Forwarded-Email)")
    bad = tmp_path / "access.yaml"
    bad.write_text("people: [{who: a@b.org, teams: [cc_mars]}]\n", encoding="utf-8")
    proc = cli("access", bad, check=False)
    assert proc.returncode == 2 and "people[0].teams: no team 'cc_mars' in the model" in proc.stderr
    # The teams are the model's: the Zelvora example's have other keys than the demo's.
    proc = cli("access", ROOT / "examples" / "access.yaml", "--model", ZELVORA_MODEL, check=False)
    assert proc.returncode == 2 and "no team 'cc_europe'" in proc.stderr


def test_access_check_reads_the_model_version_a_database_uses(tmp_path):
    from cxdata import model_versions, service

    db_file = tmp_path / "cx.duckdb"
    db = service.open_db(db_file)
    base = service.model_path_for(db)
    text = Path(base).read_text(encoding="utf-8")
    renamed = text.replace("key: cc_europe,", "key: cc_eu,")
    assert renamed != text
    model_versions.save(db, base, renamed, note="Europe's team key shortened")
    db.close()
    access_file = ROOT / "examples" / "access.yaml"
    assert cli("access", access_file).returncode == 0  # against the model file: fits
    proc = cli("access", access_file, "--db", db_file, check=False)  # against the version the app reads
    assert proc.returncode == 2 and "no team 'cc_europe'" in proc.stderr
    assert "There is no database" in cli("access", access_file, "--db", tmp_path / "typo.duckdb", check=False).stderr


def test_model_versions_listed_printed_and_saved(tmp_path):
    from cxdata import service

    path = tmp_path / "cx.duckdb"
    db = service.open_db(path)
    service.remember_model(db, ROOT / "cxdata" / "models" / "demo.yaml")
    db.close()
    assert "version 0 in use (the file; none saved in the app)" in cli("model", "--db", path).stdout
    text = cli("model", "--db", path, "--show").stdout
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("name: Zelvora CX ", "name: Zelvora 2027 ", 1), encoding="utf-8")
    out = cli("model", "--db", path, "--save", edited, "--note", "renamed", "--by", "ops").stdout
    assert out.startswith("saved version 1 of")
    listed = cli("model", "--db", path).stdout
    assert "version 1 in use" in listed and "ops  renamed" in listed
    assert "name: Zelvora 2027" in cli("model", "--db", path, "--show", "1").stdout
    assert cli("model", "--db", path, "--show", "0").stdout == text
    again = cli("model", "--db", path, "--save", edited, check=False)
    assert again.returncode == 2 and "Nothing changed" in again.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    refused = cli("model", "--db", path, "--save", bad, check=False)
    assert refused.returncode == 2 and "measures: is missing" in refused.stderr
    assert cli("model", "--db", tmp_path / "typo.duckdb", check=False).returncode == 2
    assert not (tmp_path / "typo.duckdb").exists()


def test_text_table_nests_the_journeys_touchpoints_and_keeps_the_order_without_journeys():
    from cxdata.cli import _table

    def node(level, key, parent=None):
        return {"level": level, "key": key, "name": key.title(), "parent": parent, "kpi_name": "CSAT", "stat": "mean",
                "suppressed": False, "value": 4.0, "n": 40, "significant": False, "delta": None}

    result = {"model": "m", "period": {"label": "2025-Q4"}, "comparison": None, "empty": False, "index": node("index", "cx"),
              "touchpoints": [node("touchpoint", "web", "buy"), node("touchpoint", "shop"), node("touchpoint", "app", "buy")],
              "teams": [node("team", "shop_team", "shop"), node("team", "web_team", "web")]}
    names = [line.split("  CSAT")[0].rstrip() for line in _table({**result, "journeys": [node("journey", "buy")]}).splitlines()[2:]]
    assert names == ["  Buy", "    Web", "      Web_Team", "    App", "    Shop", "      Shop_Team"]
    flat = {**result, "journeys": [], "touchpoints": [{**t, "parent": None} for t in result["touchpoints"]]}
    names = [line.split("  CSAT")[0].rstrip() for line in _table(flat).splitlines()[2:]]
    assert names == ["  Web", "  Shop", "  App", "    Shop_Team", "    Web_Team"]
