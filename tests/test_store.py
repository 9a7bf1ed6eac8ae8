from datetime import datetime, timezone

import pyarrow as pa
import pytest

from cxdata import store
from cxdata.db import Database


def canonical(rows, extra=None):
    cols = {k: [r[i] for r in rows] for i, k in enumerate(["source", "source_response_id", "metric", "value", "value_text"])}
    n = len(rows)
    # All rows of one response share its time, as in real canonical data.
    cols["responded_at"] = [datetime(2025, 1, 1 + int(r[1]) % 28, tzinfo=timezone.utc) for r in rows]
    cols["touchpoint"] = ["web"] * n
    cols.update(extra or {})
    return pa.table(cols)


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "cx.duckdb")
    yield d
    d.close()


@pytest.fixture(params=["added", "rebuilt"])
def rollup_upkeep(request, monkeypatch):
    """Every write keeps the rollups by adding its changes, or by rebuilding the months it touched."""
    from cxdata import rollups

    monkeypatch.setattr(rollups, "INCREMENTAL_MAX_SHARE", float("inf") if request.param == "added" else 0.0)
    return request.param


def snapshot(db):
    cur = db.cursor()
    return (cur.execute("SELECT * EXCLUDE (responded_at), responded_at::VARCHAR FROM responses ORDER BY response_key").fetchall(),
            cur.execute("SELECT * EXCLUDE (responded_at), responded_at::VARCHAR FROM answers ORDER BY response_key, measure").fetchall(),
            cur.execute("SELECT * FROM labels ORDER BY dim, code").fetchall())


def test_add_update_unchanged(db):
    first = canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 3.0, None), ("s", "2", "comment", None, "slow")])
    r = store.apply(db, first)
    assert (r.added, r.updated, r.unchanged) == (2, 0, 0)
    v1 = db.data_version()
    again = store.apply(db, first)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    # Response 2 edited, 3 new, 1 absent from the new export (kept).
    second = canonical([("s", "2", "csat", 1.0, None), ("s", "2", "comment", None, "slow"), ("s", "3", "csat", 4.0, None)])
    r = store.apply(db, second)
    assert (r.added, r.updated, r.unchanged) == (1, 1, 0)
    cur = db.cursor()
    assert cur.execute("SELECT count(*) FROM responses").fetchone()[0] == 3
    assert cur.execute(
        "SELECT a.value FROM answers a JOIN responses r USING (response_key) WHERE r.source_response_id = '2'"
    ).fetchall() == [(1.0,)]
    assert db.data_version() > v1


@pytest.mark.parametrize("first, second, outcome", [
    # Found by a differential test: in the XOR of the rows' hashes two identical rows cancel out,
    # and a response re-sent with both copies edited alike read as unchanged.
    ([5.0, 5.0], [1.0, 1.0], (0, 1, 0)),
    ([5.0, 5.0], [5.0, 5.0], (0, 0, 1)),
    ([5.0, 5.0], [5.0], (0, 1, 0)),
    ([5.0, 4.0], [4.0, 5.0], (0, 0, 1)),
])
def test_a_response_repeating_a_row_is_compared_whole(db, first, second, outcome):
    store.apply(db, canonical([("s", "1", "csat", v, None) for v in first]))
    r = store.apply(db, canonical([("s", "1", "csat", v, None) for v in second]))
    assert (r.added, r.updated, r.unchanged) == outcome
    assert sorted(v for (v,) in db.cursor().execute("SELECT value FROM answers").fetchall()) == sorted(second)


def test_a_response_moved_to_another_day_is_an_edit(db):
    def on(day):
        return pa.table({"source": ["s", "s"], "source_response_id": ["1", "1"], "metric": ["csat", "nps"],
                         "value": [4.0, 9.0], "value_text": [None, None],
                         "responded_at": [datetime(2025, 1, day, tzinfo=timezone.utc)] * 2, "touchpoint": ["web"] * 2})

    store.apply(db, on(5))
    r = store.apply(db, on(20))  # two answers: the time's share of their hashes used to cancel out
    assert (r.added, r.updated, r.unchanged) == (0, 1, 0)
    assert db.cursor().execute("SELECT DISTINCT day::VARCHAR FROM answers").fetchall() == [("2025-01-20",)]


def test_same_id_in_another_source_is_another_response(db):
    r = store.apply(db, canonical([("a", "1", "csat", 5.0, None), ("b", "1", "csat", 4.0, None)]))
    assert r.added == 2


def test_reordered_reexport_is_unchanged(db):
    rows = [("s", "1", "csat", 5.0, None), ("s", "1", "ces", 6.0, None)]
    store.apply(db, canonical(rows))
    r = store.apply(db, canonical(rows[::-1]))
    assert r.unchanged == 1


def test_failed_apply_changes_nothing(db, monkeypatch):
    store.apply(db, canonical([("s", "1", "csat", 5.0, None)]))
    before, version = snapshot(db), db.data_version()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_merge", boom)
    with pytest.raises(RuntimeError):
        store.apply(db, canonical([("s", "2", "csat", 1.0, None)], {"region": ["North"]}))
    assert snapshot(db) == before and db.data_version() == version


@pytest.mark.parametrize("stage", ["apply", "remove"])
def test_a_database_error_midway_surfaces_as_itself_and_changes_nothing(db, monkeypatch, stage):
    # Found by an independent review: after DuckDB aborted the transaction, the clean-up's DROP
    # statements failed in turn, and the caller saw "transaction is aborted" instead of the cause.
    import duckdb

    from cxdata import rollups

    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None)]))
    before, version = snapshot(db), db.data_version()
    monkeypatch.setattr(rollups, "apply_changes", lambda cur, changes: cur.execute("SELECT CAST('x' AS INTEGER)"))
    with pytest.raises(duckdb.ConversionException):
        if stage == "apply":
            store.apply(db, canonical([("s", "1", "csat", 2.0, None), ("s", "2", "csat", 4.0, None)]))
        else:
            store.remove_upload(db, first.upload_id)
    assert snapshot(db) == before and db.data_version() == version
    monkeypatch.undo()
    assert store.apply(db, canonical([("s", "2", "csat", 4.0, None)])).added == 1  # the cursor's next write works


@pytest.mark.parametrize("bad", ['x"; DROP TABLE answers; --', "Region", "a b"])
def test_segment_names_must_be_identifiers(db, bad):
    with pytest.raises(store.InputError, match="cannot be a segment"):
        store.apply(db, canonical([("s", "1", "csat", 5.0, None)], {bad: ["x"]}))
    assert db.cursor().execute("SELECT count(*) FROM answers").fetchone()[0] == 0


def test_hostile_text_is_stored_verbatim(db):
    text = "<img src=x onerror=alert(1)> '; DROP TABLE responses; -- \u202eRTL\n=HYPERLINK(\"x\")"
    store.apply(db, canonical([("s", "1", "comment", None, text), ("s", "1", "csat", 2.0, None)],
                              {"region": ["Robert'); DROP TABLE labels;--"] * 2}))
    cur = db.cursor()
    assert cur.execute("SELECT comment FROM responses").fetchone()[0] == text
    assert "Robert'); DROP TABLE labels;--" in db.labels("seg_region").values()


def test_missing_columns_are_refused(db):
    with pytest.raises(store.InputError, match="missing column"):
        store.apply(db, pa.table({"source": ["s"]}))


def test_descriptive_only_differences_are_not_edits(db):
    rows = [("s", "1", "csat", 5.0, None), ("s", "2", "csat", 3.0, None)]
    store.apply(db, canonical(rows, {"channel": ["email", "sms"]}))
    r = store.apply(db, canonical(rows, {"channel": ["anonymous", "sms"]}))
    assert (r.added, r.updated, r.unchanged) == (0, 0, 2)
    assert any("descriptive fields" in w for w in r.warnings)
    assert sorted(db.labels("seg_channel").values()) == ["anonymous", "email", "sms"]
    stored = db.cursor().execute(
        "SELECT l.label FROM responses r JOIN labels l ON l.dim = 'seg_channel' AND l.code = r.seg_channel "
        "WHERE r.source_response_id = '1'").fetchall()
    assert stored == [("email",)]


@pytest.mark.parametrize("rid", [
    None,  # computed by the store
    pa.array([7, 7, 3, 9], pa.int64()),  # handed over by the ingest engine: any integers, one per response
    pa.array(["x", "x", "y", "z"]),  # not an index (a column of that name from elsewhere): recomputed
    pa.array([1, None, 2, 3], pa.int64()),  # incomplete: recomputed
])
def test_response_index_handed_over_or_computed(tmp_path, rid):
    rows = [("a", "1", "csat", 5.0, None), ("a", "1", "ces", 2.0, None), ("a", "2", "csat", 4.0, None),
            ("b", "1", "csat", 1.0, None)]
    want = Database(tmp_path / "want.duckdb")
    got = Database(tmp_path / "got.duckdb")
    try:
        store.apply(want, canonical(rows))
        table = canonical(rows)
        r = store.apply(got, table if rid is None else table.append_column("rid", rid))
        assert (r.added, r.responses) == (3, 3)
        assert snapshot(got) == snapshot(want)
    finally:
        want.close()
        got.close()


def segment_values(db, dim="region"):
    return sorted(db.labels("seg_" + dim).values())


def test_removing_an_upload_forgets_the_segment_values_only_it_had(db):
    # The filters offer the stored values of each segment: a value whose responses are all gone
    # would select nothing.
    store.apply(db, canonical([("a", "1", "csat", 5.0, None), ("a", "2", "csat", 4.0, None)], {"region": ["North", "South"]}))
    second = store.apply(db, canonical([("b", "1", "csat", 3.0, None), ("b", "2", "csat", 2.0, None)], {"region": ["South", "West"]}))
    assert segment_values(db) == ["North", "South", "West"]
    store.remove_upload(db, second.upload_id)
    assert segment_values(db) == ["North", "South"]
    assert segment_values(db, "source") == ["a"]


def test_an_edit_that_moves_the_last_response_of_a_segment_value_forgets_it(db):
    store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 4.0, None)], {"region": ["North", "South"]}))
    r = store.apply(db, canonical([("s", "1", "csat", 2.0, None)], {"region": ["East"]}))
    assert (r.added, r.updated) == (0, 1)
    assert segment_values(db) == ["East", "South"]  # South: response 2 still has it
    store.apply(db, canonical([("s", "2", "csat", 1.0, None)], {"region": ["East"]}))
    assert segment_values(db) == ["East"]


def test_a_value_an_answer_still_holds_is_kept_and_a_dropped_code_is_never_given_again(db):
    # A canonical file may give one response's rows different segment values: the response
    # keeps one, its answers keep their own, and the rollups count the answers'.
    store.apply(db, canonical([("a", "1", "csat", 5.0, None), ("a", "1", "nps", 9.0, None)], {"region": ["North", "South"]}))
    second = store.apply(db, canonical([("b", "2", "csat", 3.0, None)], {"region": ["South"]}))
    third = store.apply(db, canonical([("c", "3", "csat", 2.0, None)], {"region": ["West"]}))
    store.remove_upload(db, second.upload_id)
    assert segment_values(db) == ["North", "South", "West"]  # response 1's NPS answer is in South
    codes = {label: code for code, label in db.labels("seg_region").items()}
    store.remove_upload(db, third.upload_id)
    assert segment_values(db) == ["North", "South"]
    store.apply(db, canonical([("d", "4", "csat", 4.0, None)], {"region": ["Zed"]}))
    zed = {label: code for code, label in db.labels("seg_region").items()}["Zed"]
    assert zed not in codes.values(), "West's code went to Zed"
    cur = db.cursor()
    assert cur.execute('SELECT count(*) FROM answers WHERE "seg_region" = ?', [zed]).fetchone()[0] == 1


def test_an_edit_from_a_file_without_a_segment_forgets_the_values_only_the_old_rows_had(db):
    store.apply(db, canonical([("s", "1", "csat", 5.0, None)], {"region": ["North"], "tier": ["Gold"]}))
    store.apply(db, canonical([("s", "1", "csat", 1.0, None)], {"region": ["North"]}))  # no tier column
    assert segment_values(db) == ["North"] and segment_values(db, "tier") == []


# --------------------------------------------------------------------------- removing an upload undoes it

def responses_now(db) -> dict[str, tuple]:
    """source response id -> (upload id, answers as (measure label, value), comment)."""
    cur = db.cursor()
    rows = cur.execute(
        """SELECT r.source_response_id, r.upload_id, r.comment,
                  list((m.label, a.value) ORDER BY m.label) FILTER (WHERE a.value IS NOT NULL)
           FROM responses r LEFT JOIN answers a USING (response_key)
           LEFT JOIN labels m ON m.dim = 'measure' AND m.code = a.measure
           GROUP BY ALL""").fetchall()
    return {rid: (up, tuple(tuple(x.values()) if isinstance(x, dict) else tuple(x) for x in (ans or [])), comment)
            for rid, up, comment, ans in rows}


def test_removing_an_upload_puts_back_what_it_replaced(db, rollup_upkeep):
    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 4.0, None),
                                       ("s", "2", "comment", None, "fine")]))
    before = responses_now(db)
    edit = store.apply(db, canonical([("s", "2", "csat", 1.0, None), ("s", "3", "csat", 2.0, None)]))
    assert (edit.added, edit.updated) == (1, 1)
    removal = store.remove_upload(db, edit.upload_id)
    assert removal == store.Removal(deleted=1, restored=1)
    assert responses_now(db) == before  # response 2 back with upload 1's answers and comment
    assert snapshot_rollups(db) == built_afresh(db)
    # Removing the first upload now removes both of its responses.
    assert store.remove_upload(db, first.upload_id) == store.Removal(deleted=2, restored=0)
    assert responses_now(db) == {}


def test_removing_an_upload_whose_edit_was_edited_again(db, rollup_upkeep):
    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 4.0, None)]))
    second = store.apply(db, canonical([("s", "1", "csat", 3.0, None)]))
    third = store.apply(db, canonical([("s", "1", "csat", 2.0, None)]))
    # Without the second upload the third replaced the first's version: removing the third then
    # brings back the first's.
    assert store.remove_upload(db, second.upload_id) == store.Removal(0, 0)
    assert responses_now(db)["1"] == (third.upload_id, (("csat", 2.0),), None)
    assert store.remove_upload(db, third.upload_id) == store.Removal(0, 1)
    assert responses_now(db)["1"] == (first.upload_id, (("csat", 5.0),), None)
    # An upload that added a response a later one edited: removing the first leaves the edit, and
    # removing the edit then leaves nothing.
    fourth = store.apply(db, canonical([("t", "9", "csat", 4.0, None)]))
    fifth = store.apply(db, canonical([("t", "9", "csat", 1.0, None)]))
    assert store.remove_upload(db, fourth.upload_id) == store.Removal(0, 0)
    assert responses_now(db)["9"] == (fifth.upload_id, (("csat", 1.0),), None)
    assert store.remove_upload(db, fifth.upload_id) == store.Removal(1, 0)
    assert "9" not in responses_now(db)
    cur = db.cursor()
    assert cur.execute("SELECT count(*) FROM replaced_responses").fetchone()[0] == 0
    assert cur.execute("SELECT count(*) FROM replaced_answers").fetchone()[0] == 0
    assert snapshot_rollups(db) == built_afresh(db)


def test_a_segment_value_only_a_replaced_version_holds_comes_back_with_it(db):
    store.apply(db, canonical([("s", "1", "csat", 5.0, None)], {"region": ["North"]}))
    edit = store.apply(db, canonical([("s", "1", "csat", 1.0, None)], {"region": ["South"]}))
    assert segment_values(db) == ["South"]  # the filters stop offering North
    codes = {label: code for code, label in db.labels("seg_region").items()}
    store.remove_upload(db, edit.upload_id)
    assert segment_values(db) == ["North"]
    assert codes["South"] not in db.labels("seg_region")
    cur = db.cursor()
    assert cur.execute("SELECT l.label FROM answers a JOIN labels l ON l.dim = 'seg_region' AND l.code = a.seg_region"
                       ).fetchall() == [("North",)]


def test_a_value_a_replaced_version_holds_keeps_its_code_when_a_new_upload_brings_it(db):
    store.apply(db, canonical([("s", "1", "csat", 5.0, None)], {"region": ["North"]}))
    north = {label: code for code, label in db.labels("seg_region").items()}["North"]
    edit = store.apply(db, canonical([("s", "1", "csat", 1.0, None)], {"region": ["South"]}))
    store.apply(db, canonical([("t", "7", "csat", 3.0, None)], {"region": ["North"]}))
    assert db.labels("seg_region")[north] == "North"  # one code for North, not a second one
    store.remove_upload(db, edit.upload_id)
    assert sorted(db.labels("seg_region").items()) == [(north, "North")]
    cur = db.cursor()
    assert cur.execute("SELECT count(*) FROM answers WHERE seg_region = ?", [north]).fetchone()[0] == 2


def snapshot_rollups(db, cur=None):
    from cxdata import rollups

    cur = cur or db.cursor()
    return {r.name: cur.execute(f"SELECT * FROM {r.table} ORDER BY ALL").fetchall()
            for r in rollups.existing(cur, rollups.stored_dims(cur))}


def built_afresh(db):
    """Every rollup dropped and built again from the answers, in a transaction rolled back afterwards."""
    from cxdata import rollups

    cur = db.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        for r in rollups.existing(cur, rollups.stored_dims(cur)):
            cur.execute(f"DROP TABLE {r.table}")
        rollups.ensure(cur, rollups.stored_dims(cur))
        return snapshot_rollups(db, cur)
    finally:
        cur.execute("ROLLBACK")


def test_a_response_another_upload_brought_unchanged_stays_when_the_first_is_removed(db):
    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None)]))
    again = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 3.0, None)]))
    assert (again.added, again.unchanged) == (1, 1)
    assert store.remove_upload(db, first.upload_id) == store.Removal(deleted=0, restored=0, kept=1)
    assert responses_now(db) == {"1": (again.upload_id, (("csat", 5.0),), None), "2": (again.upload_id, (("csat", 3.0),), None)}
    assert store.remove_upload(db, again.upload_id) == store.Removal(deleted=2, restored=0)
    assert responses_now(db) == {}


def test_an_edit_another_upload_brought_again_outlives_the_edit(db, rollup_upkeep):
    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None)]))
    edit = store.apply(db, canonical([("s", "1", "csat", 1.0, None)]))
    same = store.apply(db, canonical([("s", "1", "csat", 1.0, None)]))
    assert same.unchanged == 1
    # As if the edit had never come: the third upload edited the first's version.
    assert store.remove_upload(db, edit.upload_id) == store.Removal(0, 0, kept=1)
    assert responses_now(db)["1"] == (same.upload_id, (("csat", 1.0),), None)
    assert store.remove_upload(db, same.upload_id) == store.Removal(0, 1)
    assert responses_now(db)["1"] == (first.upload_id, (("csat", 5.0),), None)
    assert snapshot_rollups(db) == built_afresh(db)


def test_responses_whose_id_hashes_collide_stay_apart(db, monkeypatch):
    # Uploads find stored responses by a 64-bit hash of (source, id) first; the ids decide.
    monkeypatch.setattr(store, "id_hash", lambda source, rid: "CAST(42 AS UBIGINT)")
    first = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 4.0, None)]))
    again = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "2", "csat", 2.0, None),
                                       ("t", "1", "csat", 3.0, None)]))
    assert (first.added, again.added, again.updated, again.unchanged) == (2, 1, 1, 1)
    stored = db.cursor().execute(
        """SELECT s.name, r.source_response_id, a.value FROM responses r JOIN sources s USING (source_id)
           JOIN answers a USING (response_key) ORDER BY ALL""").fetchall()
    assert stored == [("s", "1", 5.0), ("s", "2", 2.0), ("t", "1", 3.0)]



def test_untimed_answers_keep_their_own_rollup_rows_through_edits_and_removals(db, rollup_upkeep):
    # Found by an independent review: merged on `day = day`, an untimed answer (day NULL) never
    # found its row, and each edit left a +1 and a -1 row behind.
    def rows(value):  # one response without a time, one with
        jan = datetime(2025, 1, 5, tzinfo=timezone.utc)
        return pa.table({"source": ["s", "s"], "source_response_id": ["u1", "d1"], "metric": ["csat", "csat"],
                         "value": [value, value], "touchpoint": ["web", "web"],
                         "responded_at": pa.array([None, jan], pa.timestamp("us", tz="UTC"))})
    store.apply(db, canonical([("s", str(i), "csat", 4.0, None) for i in range(10)]))
    store.apply(db, rows(5.0))
    edits = [store.apply(db, rows(v)) for v in (4.0, 3.0)]
    assert snapshot_rollups(db) == built_afresh(db)
    assert db.cursor().execute("SELECT n, value FROM rollup WHERE day IS NULL").fetchall() == [(1, 3.0)]
    store.remove_upload(db, edits[-1].upload_id)
    assert snapshot_rollups(db) == built_afresh(db)
    assert db.cursor().execute("SELECT n, value FROM rollup WHERE day IS NULL").fetchall() == [(1, 4.0)]


def test_spellings_of_a_stored_value_share_its_code(db):
    """Found by an audit: 'tehran' and the Arabic-letter 'كرج' were stored beside 'Tehran' and
    the Persian 'کرج', so a filter or a split on one missed the other's answers."""
    first = canonical([("Qualtrics", "1", "csat", 5.0, None), ("Qualtrics", "2", "csat", 3.0, None)],
                      {"region": ["Tehran", "\u06a9\u0631\u062c"]})
    store.apply(db, first)
    # Later uploads spell them differently (case, Arabic Kaf, an extra space); 'Sofia' is new.
    second = canonical([("qualtrics", "3", "csat", 4.0, None), ("QUALTRICS", "4", "csat", 2.0, None),
                        ("qualtrics", "5", "csat", 1.0, None), ("qualtrics", "6", "csat", 1.0, None)],
                       {"region": ["tehran", "\u0643\u0631\u062c", "TEHRAN", "Sofia"]})
    r = store.apply(db, second)
    assert r.added == 4
    cur = db.cursor()
    assert cur.execute("SELECT label FROM labels WHERE dim = 'seg_region' ORDER BY code").fetchall() == [
        ("Tehran",), ("\u06a9\u0631\u062c",), ("Sofia",)]
    assert cur.execute("SELECT name FROM sources").fetchall() == [("Qualtrics",)]
    by_region = dict(cur.execute(
        "SELECT l.label, count(*) FROM answers a JOIN labels l ON l.dim = 'seg_region' AND l.code = a.seg_region "
        "GROUP BY 1").fetchall())
    assert by_region == {"Tehran": 3, "\u06a9\u0631\u062c": 2, "Sofia": 1}
    # The same response under another spelling of its source is the same response.
    again = store.apply(db, canonical([("QUALTRICS", "1", "csat", 5.0, None)], {"region": ["TEHRAN"]}))
    assert (again.added, again.unchanged) == (0, 1)


def test_an_update_that_takes_away_a_team_says_so(db):
    """Found by an audit: the same survey read with another mapping replaced every response with
    one that had no team, and the receipt said only 'updated'."""
    rows = [("s", "1", "csat", 5.0, None), ("s", "2", "csat", 3.0, None)]
    store.apply(db, canonical(rows, {"team": ["cc_north", "cc_south"]}))
    edited = [("s", "1", "csat", 4.0, None), ("s", "2", "csat", 3.0, None)]
    r = store.apply(db, canonical(edited, {"team": ["cc_north", "cc_south"]}))
    assert r.updated == 1 and not [w for w in r.warnings if "lost" in w]  # an edit of the answer alone
    r = store.apply(db, canonical(rows, {"team": [None, None]}))
    assert r.updated == 2
    assert [w for w in r.warnings if w.startswith("Updated responses lost what they had: the team of 2.")]


def test_an_update_that_would_take_from_many_responses_what_they_have_is_refused_unless_allowed(db):
    """Found by a review: a file read with another mapping took the team of every stored response,
    and said so only after the fact. Refused whole, nothing stored, where asked to."""
    n = 40
    rows = [("s", str(i), m, 4.0, None) for i in range(n) for m in ("csat", "ces")]
    rows += [("s", str(i), "comment", None, "fine") for i in range(n)]
    store.apply(db, canonical(rows, {"team": ["cc_north"] * len(rows)}))
    before = snapshot(db)
    # every response loses its comment, and each of the first ten its CES answer
    less = [r for r in rows if r[2] != "comment" and not (r[2] == "ces" and int(r[1]) < 10)]
    with pytest.raises(store.LossError) as refused:
        store.apply(db, canonical(less, {"team": ["cc_north"] * len(less)}), allow_losses=False)
    assert (refused.value.losses, refused.value.updated) == ({"answers": 10, "comment": 40}, 40)
    assert "an answer of 10, the comment of 40 (of 40 responses it updates)" in str(refused.value)
    assert snapshot(db) == before
    # a response or two of a re-export, edited in the survey tool since, is no reason to ask
    one = [r for r in rows if not (r[1] == "3" and r[2] == "comment")]
    r = store.apply(db, canonical(one, {"team": ["cc_north"] * len(one)}), allow_losses=False)
    assert r.updated == 1 and any(w.startswith("Updated responses lost what they had: the comment of 1.") for w in r.warnings)
    r = store.apply(db, canonical(less, {"team": ["cc_north"] * len(less)}), allow_losses=True)
    assert r.updated == 40 and any("an answer of 10, the comment of 39" in w for w in r.warnings)


@pytest.mark.parametrize("rows, found", [
    # (response, measure code, value): the measures some response answers twice, and how often at most
    ([(0, 1, 5.0), (1, 1, 4.0), (2, 2, 3.0)], ([], [])),
    ([(0, 1, 5.0), (0, 1, 4.0), (1, 1, 3.0), (1, 1, 2.0), (1, 1, 1.0), (1, 2, 3.0)], ([1], [3])),
    ([(0, 3, 5.0), (0, 3, 4.0), (0, 1, 2.0), (0, 1, 1.0)], ([1, 3], [2, 2])),
    # an answer without a value, or without a measure, is no answer
    ([(0, 1, 5.0), (0, 1, None), (0, None, 3.0)], ([], [])),
    ([], ([], [])),
])
def test_the_measures_a_response_answers_more_than_once_and_how_often(rows, found):
    table = pa.table({store.RESPONSE_INDEX: pa.array([r[0] for r in rows], pa.int64()),
                      "c_measure": pa.array([r[1] for r in rows], pa.int32()),
                      "value": pa.array([r[2] for r in rows], pa.float64())})
    assert store._repeated_measures(table) == found


HEBREW = "שירות מצוין"
FAMILY = "family \U0001F468\u200d\U0001F469\u200d\U0001F467"  # one emoji of three people joined


@pytest.mark.parametrize("stored, came, kept", [
    # Found by a review: a UTF-8 export opened in Excel and saved in a legacy code page, which writes
    # '?' for each character it cannot hold, overwrote the good comments it had stored.
    (HEBREW, HEBREW.encode("cp1256", "replace").decode("cp1256"), True),  # '????? ?????'
    ("Много добре!", "Много добре!".encode("cp1252", "replace").decode("cp1252"), True),
    ("خیلی خوب بود", "خیلی خوب بود".encode("cp1256", "replace").decode("cp1256"), True),  # its ی alone lost
    ("great \U0001F600 thanks", "great ? thanks", True),  # an emoji: one '?' per character
    ("great \U0001F600 thanks", "great ?? thanks", True),  # ... per UTF-16 unit
    (FAMILY, "family ?", True),  # ... per character as the reader sees one
    (FAMILY, FAMILY.encode("cp1256", "replace").decode("cp1256"), True),  # the joiner kept: cp1256 has it
    # real edits
    ("Fixed in a day", "Fixed in a day?", False),
    ("ok", "??", False),  # an encoding loses no ASCII
    ("שלום שלום", "שלום ????", False),  # a letter kept in one place is not lost in another
    ("שירות מצוין מאוד", "????? ?????", False),  # shorter: an edit, whatever it lost
    ("great \U0001F600 thanks", "great ??? thanks", False),
    (HEBREW, HEBREW, None),  # identical
])
def test_a_comment_that_lost_characters_to_an_encoding_is_kept_as_stored(db, stored, came, kept):
    answers = [("s", "1", "csat", 5.0, None), ("s", "2", "csat", 3.0, None), ("s", "2", "comment", None, "slow")]
    store.apply(db, canonical(answers + [("s", "1", "comment", None, stored)]))
    before = snapshot(db)
    r = store.apply(db, canonical(answers + [("s", "1", "comment", None, came)]))
    comment = db.cursor().execute("SELECT comment FROM responses WHERE source_response_id = '1'").fetchone()[0]
    said = [w for w in r.warnings if "kept as stored" in w]
    assert (r.updated, r.unchanged, comment, r.comments_kept) == ((0, 2, stored, 1) if kept else
                                                                 (int(kept is False), 2 - int(kept is False), came, 0))
    assert said == (["1 comment kept as stored: this file had lost some of its characters to a text encoding that "
                     "cannot hold them, which wrote '?' in their place."] if kept else [])
    if kept:
        assert snapshot(db) == before


def test_an_edit_of_a_response_whose_comment_lost_characters_keeps_the_comment(db):
    """Its answers update; its comment stays, and the file it came in, or the original edited alike,
    then read as unchanged."""
    first = canonical([("s", "1", "csat", 5.0, None), ("s", "1", "comment", None, HEBREW)])
    store.apply(db, first)
    damaged = canonical([("s", "1", "csat", 2.0, None), ("s", "1", "comment", None, "????? ?????")])
    r = store.apply(db, damaged, upload={"encoding": "cp1256"})
    assert (r.updated, r.unchanged, r.comments_kept) == (1, 0, 1)
    assert r.warnings == ["1 comment kept as stored: this file had lost some of its characters to its text encoding, "
                          "Windows-1256 (Arabic, Persian), which wrote '?' in their place."]
    cur = db.cursor()
    assert cur.execute("SELECT comment FROM responses").fetchall() == [(HEBREW,)]
    assert cur.execute("SELECT value FROM answers").fetchall() == [(2.0,)]
    assert store.updated_responses(cur, r.upload_id) == [("s", "1", "csat at web", "5", "2")]  # not the comment
    again = store.apply(db, damaged)
    original = store.apply(db, canonical([("s", "1", "csat", 2.0, None), ("s", "1", "comment", None, HEBREW)]))
    assert (again.unchanged, again.comments_kept, original.unchanged, original.comments_kept) == (1, 1, 1, 0)


@pytest.mark.parametrize("comment, encoding, said", [
    ("????? ?????", "cp1256", True),  # Hebrew, all of it lost
    ("خ?ل? خوب", "cp1256", True),  # letters lost inside a word
    ("????? ?????", "utf-8", False),  # no encoding of this file did it: nothing to say of the file
    ("????? ?????", None, False),
    ("Why??? Nobody called back ???", "cp1252", False),  # a customer's own question marks
    ("???", "cp1252", False),
    ("Refund: https://example.com/help?id=3", "cp1251", False),  # a link's query
])
def test_new_comments_that_look_lost_to_the_files_encoding_are_said(db, comment, encoding, said):
    r = store.apply(db, canonical([("s", "1", "csat", 5.0, None), ("s", "1", "comment", None, comment)]),
                    upload={"encoding": encoding})
    assert db.cursor().execute("SELECT comment FROM responses").fetchall() == [(comment,)]  # stored as it came
    found = [w for w in r.warnings if "question marks" in w]
    assert bool(found) == said
    if said:
        assert found[0].startswith("1 comment of this file has question marks where its letters should be")


TEAM = "צוות צפון"  # a Hebrew team name; Windows-1256 has no Hebrew: '???? ????'
CP1256 = "Windows-1256 (Arabic, Persian)"



def _responses(column, labels, csat=5.0, rows=(2, 3)):
    """Canonical rows of responses '1' and '2' (a csat each), `labels` their values of `column`."""
    table = canonical([("s", str(i + 1), "csat", csat, None) for i in range(len(labels))],
                      {"row_number": list(rows[:len(labels)])})
    return table.append_column(column, pa.array(labels, pa.string())) if column not in table.column_names \
        else table.set_column(table.schema.get_field_index(column), column, pa.array(labels, pa.string()))


@pytest.mark.parametrize("stored, came, may_be, kept", [
    # Found by a review: an export re-saved from Excel in Windows-1256 turned Hebrew teams into '?'.
    (TEAM, "???? ????", (), True),
    ("شیراز", "ش?راز", (), True),  # Windows-1256 holds Arabic letters, not Persian yeh
    ("Team A", "????", (), False),  # ASCII is never lost: another team, its name lost
    ("צוות צפון ב", "???? ????", (), False),  # a letter less: another team
    ("he", "?????", ("ar", "he"), True),  # 'עברית', which the mapping stores as 'he'
    ("he", "?????", ("fa",), False),
    (None, "???? ????", (), False),  # a new response: nothing tells what it was
    ("???? ????", "???? ????", (), True),  # stored so by an earlier version: nothing changes
])
def test_a_label_that_lost_its_letters_keeps_the_stored_one_or_its_row_is_rejected(db, stored, came, may_be, kept):
    if stored is not None:
        store.apply(db, _responses("team", [stored, "Team B"]))
    before = snapshot(db)
    table = _responses("team", [came, "Team B"])
    settled = store.settle_lost_labels(db, table, {"team": ("Team", {came: may_be})}, "cp1256")
    assert settled.table["team"].to_pylist() == ([stored, "Team B"] if kept else ["Team B"])
    assert settled.kept == int(kept)
    assert settled.rejected == ([] if kept else [(2, f"Team '{came}': question marks where letters were, lost to the file's "
                                                     f"text encoding, {CP1256}. Loaded as it is, it would be a new value of "
                                                     "its column: load the file saved as CSV UTF-8.")])
    said = " ".join(settled.warnings)
    assert ("1 stored response kept its 'Team' as stored" in said) == kept
    assert ("1 row not loaded (listed below): its 'Team' has question marks" in said) != kept
    assert ("1 of them is a response stored already, which stays as stored" in said) == (not kept and stored is not None)
    r = store.apply(db, settled.table)
    assert (r.added, r.updated, r.unchanged) == ((0, 0, 2) if kept else (int(stored is None), 0, int(stored is not None)))
    if stored is not None:
        assert snapshot(db)[0] == before[0]  # as stored: nothing updated
    assert {label for (label,) in db.cursor().execute("SELECT label FROM labels").fetchall() if "?" in label} <= {stored}


@pytest.mark.parametrize("column, name", [("touchpoint", "Channel"), ("team", "Team"), ("agent_id", "Agent"),
                                          ("region", "Region")])
def test_each_label_column_keeps_its_stored_label(db, column, name):
    store.apply(db, _responses(column, [TEAM, "B"]))
    settled = store.settle_lost_labels(db, _responses(column, ["???? ????", "B"]), {column: (name, {"???? ????": ()})})
    assert (settled.table[column].to_pylist(), settled.rejected, settled.kept) == ([TEAM, "B"], [], 1)
    assert settled.warnings == [f"1 stored response kept its '{name}' as stored: this file had lost letters of it to a "
                                "text encoding that cannot hold them, which wrote '?' in their place."]
    assert store.apply(db, settled.table).unchanged == 2


def test_a_long_files_response_is_rejected_whole_where_two_of_its_labels_became_one(db):
    """Two touchpoints of four Hebrew letters both came as '????': the file no longer tells which
    answer was given where. A touchpoint of ASCII beside one of them leaves one to keep."""
    def rows(a, b):
        return canonical([("s", "1", "csat", 5.0, None), ("s", "1", "csat", 4.0, None)],
                         {"touchpoint": [a, b], "row_number": [2, 3]})

    store.apply(db, rows("מוקד", "סניף"))
    store.apply(db, rows("web", "סניף").set_column(1, "source_response_id", pa.array(["2", "2"])))
    lost = {"touchpoint": ("touchpoint", {"????": ()})}
    both = store.settle_lost_labels(db, rows("????", "????"), lost)
    assert (both.table.num_rows, [r for r, _ in both.rejected], both.kept) == (0, [2, 3], 0)
    one = store.settle_lost_labels(db, rows("web", "????").set_column(1, "source_response_id", pa.array(["2", "2"])), lost)
    assert (one.table["touchpoint"].to_pylist(), one.rejected, one.kept) == (["web", "סניף"], [], 1)


@pytest.mark.parametrize("agent_id, named, rejected", [
    (None, False, False),  # a name without an id is not stored
    ("a7", True, False),  # the agent's stored name stays whatever the file says
    ("a7", False, True),  # a new agent: stored, its name would be '????'
])
def test_an_agents_name_that_lost_its_letters_is_rejected_only_where_it_would_be_stored(db, agent_id, named, rejected):
    if named:
        store.apply(db, canonical([("s", "9", "csat", 5.0, None)], {"agent_id": ["a7"], "agent_name": ["דנה"]}))
    table = canonical([("s", "1", "csat", 5.0, None)], {"agent_id": pa.array([agent_id], pa.string()),
                                                      "agent_name": ["???"], "row_number": [2]})
    settled = store.settle_lost_labels(db, table, {"agent_name": ("Agent", {"???": ()})})
    assert ([r for r, _ in settled.rejected], settled.table.num_rows) == (([2], 0) if rejected else ([], 1))


def test_labels_without_lost_values_in_the_file_are_not_read(db):
    table = _responses("team", ["Team A", "Team B"])
    settled = store.settle_lost_labels(db, table, {"team": ("Team", {"???? ????": ()})})
    assert settled == (table, [], 0, []) and store.settle_lost_labels(db, table, {}) == (table, [], 0, [])
