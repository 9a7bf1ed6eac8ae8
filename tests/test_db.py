import duckdb
import pytest

from cxdata import demo, pyramid, queries, store
from cxdata.db import SCHEMA_VERSION, Database, StorageError
from cxdata.model import load_model
from cxdata.view import ViewState

MODEL = load_model(demo.demo_model_path())


def figures(db):
    cur = db.cursor()
    return pyramid.build(cur, MODEL, queries.catalog(cur, MODEL), ViewState(period="all"))


def written_by(tmp_path, version: str, rollups_like: str, *statements: str):
    """A database as an earlier schema version left it: its rollup tables matching `rollups_like`
    dropped, `statements` run. Returns its path and the figures it held."""
    path = tmp_path / "cx.duckdb"
    db = Database(path)
    store.apply(db, next(demo.generate(3000)))
    before = figures(db)
    cur = db.cursor()
    for (name,) in cur.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE ?", [rollups_like]).fetchall():
        cur.execute(f'DROP TABLE "{name}"')
    for statement in statements:
        cur.execute(statement)
    cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
    db.close()
    return path, before


def test_schema_1_database_is_upgraded_in_place(tmp_path):
    # Schema 1: no day column, no attr_hash, no rollups.
    path, before = written_by(tmp_path, "1", "rollup%", "ALTER TABLE answers DROP COLUMN day",
                              "ALTER TABLE responses DROP COLUMN attr_hash", "ALTER TABLE responses DROP COLUMN id_hash",
                              "DROP TABLE replaced_responses", "DROP TABLE replaced_answers")
    with pytest.raises(StorageError, match="Open it once for writing"):
        Database(path, read_only=True)
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    assert figures(upgraded) == before
    upgraded.close()


def test_schema_2_database_gains_month_rollups(tmp_path):
    path, before = written_by(tmp_path, "2", "rollup$%")
    upgraded = Database(path)
    cur = upgraded.cursor()
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    month = cur.execute('SELECT sum(n) FROM "rollup$month$region$tier"').fetchall()[0][0]
    assert month == cur.execute("SELECT count(*) FROM answers").fetchall()[0][0]
    assert figures(upgraded) == before
    upgraded.close()


def test_schema_3_database_gains_the_id_hash_and_recognises_what_it_holds(tmp_path):
    path, before = written_by(tmp_path, "3", "no rollup dropped", "ALTER TABLE responses DROP COLUMN id_hash",
                              "ALTER TABLE replaced_responses DROP COLUMN id_hash")
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    cur = upgraded.cursor()
    assert cur.execute("SELECT count(*) FROM responses WHERE id_hash IS NULL").fetchall()[0][0] == 0
    receipt = store.apply(upgraded, next(demo.generate(3000)))  # the same responses again
    assert (receipt.added, receipt.updated) == (0, 0) and receipt.unchanged == 3000
    assert figures(upgraded) == before
    upgraded.close()


def test_schema_4_database_gains_the_tables_of_closing_the_loop(tmp_path):
    path, before = written_by(tmp_path, "4", "no rollup dropped", "DROP TABLE cases", "DROP TABLE case_events")
    with pytest.raises(StorageError, match="Open it once for writing"):
        Database(path, read_only=True)
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION == "10"
    cur = upgraded.cursor()
    assert cur.execute("SELECT count(*) FROM cases").fetchall() == [(0,)]
    assert cur.execute("SELECT count(*) FROM case_events").fetchall() == [(0,)]
    assert figures(upgraded) == before
    upgraded.close()


def test_unknown_future_schema_is_refused(tmp_path):
    path = tmp_path / "cx.duckdb"
    db = Database(path)
    with db.transaction() as cur:
        cur.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(StorageError, match="cannot read"):
        Database(path)


def test_writes_bump_the_data_version(tmp_path):
    db = Database(tmp_path / "cx.duckdb")
    v = db.data_version()
    store.apply(db, next(demo.generate(100)))
    assert db.data_version() == v + 1


def test_id_hashes_are_recomputed_when_another_duckdb_version_opens_the_database(tmp_path):
    # Found by an independent review: DuckDB's hash() changed its values between releases, and
    # uploads find stored responses by the stored hash; a stale one turned re-uploads into new
    # responses. Here the stored hashes are as another version left them.
    from cxdata.db import ID_HASH_ENGINE

    path = tmp_path / "cx.duckdb"
    db = Database(path)
    batch = next(demo.generate(300))
    store.apply(db, batch)
    assert db.meta(ID_HASH_ENGINE) == duckdb.__version__
    with db.transaction() as cur:
        cur.execute("UPDATE responses SET id_hash = xor(id_hash, 1::UBIGINT)")
        Database.set_meta(cur, ID_HASH_ENGINE, "0.9.0")
    db.close()
    db = Database(path)
    receipt = store.apply(db, batch)
    assert (receipt.added, receipt.updated, receipt.unchanged) == (0, 0, 300)
    assert db.meta(ID_HASH_ENGINE) == duckdb.__version__
    db.close()


def test_freed_memory_is_returned_to_the_system_in_the_background(tmp_path):
    # Without it the server kept the allocations of a large upload's merge (some 450 MB for 1M rows).
    db = Database(tmp_path / "cx.duckdb")
    assert db.cursor().execute("SELECT current_setting('allocator_background_threads')").fetchall() == [(True,)]
    db.close()


def test_schema_5_database_gains_the_models_versions(tmp_path):
    path, before = written_by(tmp_path, "5", "no rollup dropped", "DROP TABLE model_versions")
    with pytest.raises(StorageError, match="Open it once for writing"):
        Database(path, read_only=True)
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    assert upgraded.cursor().execute("SELECT count(*) FROM model_versions").fetchall() == [(0,)]
    assert upgraded.state().model_version is None
    assert figures(upgraded) == before


def test_schema_6_database_learns_which_measures_a_response_answers_more_than_once(tmp_path):
    path, before = written_by(tmp_path, "6", "no rollup dropped", "ALTER TABLE uploads DROP COLUMN repeats")
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    # the relationship survey's satisfaction with each touchpoint it asks about
    assert queries.catalog(upgraded.cursor(), MODEL).repeats == {"tp_sat": most_tp_sat(upgraded.cursor())}
    assert figures(upgraded) == before
    upgraded.close()


def most_tp_sat(cur) -> int:
    """The most touchpoints one stored response rates (the demo's relationship survey)."""
    return cur.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM answers a JOIN labels l ON l.dim = 'measure' "
                       "AND l.code = a.measure AND l.label = 'tp_sat' GROUP BY a.response_key)").fetchall()[0][0]


def test_schema_7_database_learns_how_many_times_a_response_answers_a_measure(tmp_path):
    path, before = written_by(tmp_path, "7", "no rollup dropped", "ALTER TABLE uploads DROP COLUMN repeat_most")
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    cur = upgraded.cursor()
    assert most_tp_sat(cur) > 1 and queries.catalog(cur, MODEL).repeats == {"tp_sat": most_tp_sat(cur)}
    assert figures(upgraded) == before
    upgraded.close()


def test_schema_8_database_gains_the_tables_of_the_comments_themes(tmp_path):
    path, before = written_by(tmp_path, "8", "no rollup dropped", "DROP TABLE comment_themes", "DROP TABLE theme_sets")
    with pytest.raises(StorageError, match="Open it once for writing"):
        Database(path, read_only=True)
    upgraded = Database(path)
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    cur = upgraded.cursor()
    assert cur.execute("SELECT (SELECT count(*) FROM comment_themes), (SELECT count(*) FROM theme_sets)").fetchall() == [(0, 0)]
    assert figures(upgraded) == before
    upgraded.close()


def test_the_measures_answered_more_than_once_follow_the_uploads(tmp_path):
    db = Database(tmp_path / "cx.duckdb")
    receipt = store.apply(db, next(demo.generate(500)))
    assert queries.catalog(db.cursor(), MODEL).repeats == {"tp_sat": most_tp_sat(db.cursor())}
    store.remove_upload(db, receipt.upload_id)
    assert queries.catalog(db.cursor(), MODEL).repeats == {}
    code = db.cursor().execute("SELECT code FROM labels WHERE dim = 'measure' AND label = 'tp_sat'").fetchall()[0][0]
    with db.transaction() as cur:
        # the most of any upload; one that names the measure but not how often leaves that in doubt
        cur.execute("INSERT INTO uploads (upload_id, file_name, repeats, repeat_most) VALUES "
                    "(97, 'a.csv', [?], [3]), (98, 'b.csv', [?], [4])", [code, code])
    assert queries.catalog(db.cursor(), MODEL).repeats == {"tp_sat": 4}
    with db.transaction() as cur:
        cur.execute("UPDATE uploads SET repeat_most = NULL WHERE upload_id = 97")
    assert queries.catalog(db.cursor(), MODEL).repeats == {"tp_sat": None}
    # an upload that does not say (written before it was recorded) leaves every measure in doubt
    with db.transaction() as cur:
        cur.execute("INSERT INTO uploads (upload_id, file_name) VALUES (99, 'old.csv')")
    assert queries.catalog(db.cursor(), MODEL).repeats is None
    db.close()


def test_schema_8_database_finds_each_invitation_s_first_answer(tmp_path):
    from datetime import date

    from cxdata import invitations, service
    from cxdata.period import Period

    path = tmp_path / "cx.duckdb"
    db = service.open_db(path)
    service.load_demo(db, 3000)  # the demo's relationship survey, and its invitation list
    model = service.load_model_for(db)
    every = Period(date(2000, 1, 1), date(2100, 1, 1))
    cur = db.cursor()
    kept = "SELECT invitation_id, epoch_us(first_response_at) FROM invitations ORDER BY invitation_id"
    firsts, before = cur.execute(kept).fetchall(), invitations.rates(cur, model, ViewState(period="all"), every)
    assert 0 < before.overall.responded < before.overall.invited
    assert 0 < sum(f is not None for _, f in firsts) < len(firsts)
    cur.execute("ALTER TABLE invitations DROP COLUMN first_response_at")
    cur.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(StorageError, match="Open it once for writing"):
        Database(path, read_only=True)
    upgraded = Database(path)
    cur = upgraded.cursor()
    assert upgraded.meta("schema_version") == SCHEMA_VERSION
    assert cur.execute(kept).fetchall() == firsts
    assert invitations.rates(cur, model, ViewState(period="all"), every) == before
    upgraded.close()
