"""cxdata.theme_flags: the themes' table from each comment's themes kept is the one the search per
theme gives (`themes.of_view(searched=True)`), table-driven over the demo model's themes and random
comments in its five languages, through an upload that edits comments, a removal, model edits, a
database opened read-only, and the races the read path's writes must survive."""

import random
import threading
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxdata import demo, queries, store, theme_flags, themes
from cxdata.db import Database
from cxdata.model import Theme, load_model
from cxdata.pyramid import periods_for
from cxdata.view import ViewState

MODEL = load_model(demo.demo_model_path())

# Around the themes' words: what the languages join to a word's front, marks and letter forms a
# search folds, words that hold a theme's word inside them and must not count, and plain filler.
_ARABIC_FRONT = ["", "", "و", "ف", "ب", "ك", "ل", "س", "ال", "لل", "وال", "بال", "می‌", "نمی", "غیر", "م"]
_HEBREW_FRONT = ["", "", "ו", "ה", "ב", "כ", "ל", "מ", "ש", "וש", "ושב", "א"]
_HEBREW_POINTS = [chr(c) for c in (0x05B0, 0x05B4, 0x05B7, 0x05B8, 0x05BC, 0x05C1, 0x0591)]
_ARABIC_MARKS = ["\u064e", "\u0650", "\u0651", "\u0640", "\u200c"]
_FORMS = {"ی": "يى", "ک": "ك", "ا": "أإ", "ه": "ة", "و": "ؤ"}
_DECOYS = ["chocolate", "Slate", "lately", "PRICES", "Ratewait", "مدیر", "غیرمنتظره", "چوپوشش", "חור", "שלחור",
           "неприятно", "Закъснява", "отлагане", "priced", "xrefund", "مستاء", "الآن", "בסדר", "12", "٤٥", "۴۵"]
_FILLER = ["good", "ok", "the", "service", "خوب", "بود", "جيد", "جدا", "טוב", "מאוד", "добре", "много", "!", "?"]
_SEPARATORS = [" ", " ", ", ", ". ", "\u200c", "", "\n", " - ", "،"]


def _vary(word: str, rnd: random.Random) -> str:
    """A theme's word as a comment may write it."""
    first = next((ch for ch in word if not ch.isspace()), "")
    if "\u0600" <= first <= "\u06ff":
        letters = []
        for ch in word:
            ch = rnd.choice(_FORMS[ch]) if ch in _FORMS and rnd.random() < 0.3 else ch
            letters.append(ch + (rnd.choice(_ARABIC_MARKS) if ch.isalpha() and rnd.random() < 0.15 else ""))
        return rnd.choice(_ARABIC_FRONT) + "".join(letters) + rnd.choice(["", "", "ها", "ام", "ی", "ة"])
    if "\u0590" <= first <= "\u05ff":
        pointed = "".join(ch + (rnd.choice(_HEBREW_POINTS) if ch.isalpha() and rnd.random() < 0.3 else "") for ch in word)
        return rnd.choice(_HEBREW_FRONT) + pointed + rnd.choice(["", "", "ים", "ות"])
    word = rnd.choice([word, word.upper(), word.title(), word])
    return rnd.choice(["", "", "", "x", "un", "re"]) + word + rnd.choice(["", "", "s", "ly", "ed", "ing"])


def random_comment(rnd: random.Random, words: list[str]) -> str:
    parts = []
    for _ in range(rnd.randint(1, 5)):
        kind = rnd.random()
        parts.append(_vary(rnd.choice(words), rnd) if kind < 0.45 else rnd.choice(_DECOYS) if kind < 0.65
                     else rnd.choice(_FILLER))
    out = parts[0]
    for p in parts[1:]:
        out += rnd.choice(_SEPARATORS) + p
    return out


WORDS = [w for t in MODEL.themes for w in t.words]


def with_comments(table: pa.Table, rnd: random.Random, share: float = 1.0, more: float = 0.0) -> pa.Table:
    """`table` (canonical rows) with a random comment in place of each of its comments' (a
    `share` of them), and one given to a `more` share of the responses without."""
    if more:
        has = set(pc.filter(table["source_response_id"], pc.equal(table["metric"], "comment")).to_pylist())
        _, first = pc.unique(table["source_response_id"]), {}
        for i, rid in enumerate(table["source_response_id"].to_pylist()):
            if rid not in has and rid not in first and rnd.random() < more:
                first[rid] = i
        extra = table.take(pa.array(sorted(first.values()), pa.int64()))
        n = extra.num_rows
        extra = extra.set_column(extra.column_names.index("metric"), "metric", pa.array(["comment"] * n))
        extra = extra.set_column(extra.column_names.index("value"), "value", pa.nulls(n, pa.float64()))
        extra = extra.set_column(extra.column_names.index("value_text"), "value_text", pa.array(["."] * n))
        table = pa.concat_tables([table, extra.cast(table.schema)])
    is_comment = pc.equal(table["metric"], "comment").to_pylist()
    texts = table["value_text"].to_pylist()
    for i, c in enumerate(is_comment):
        if c and rnd.random() < share:
            texts[i] = random_comment(rnd, WORDS)
    return table.set_column(table.column_names.index("value_text"), "value_text", pa.array(texts, pa.string()))


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    path = tmp_path_factory.mktemp("theme_flags") / "cx.duckdb"
    db = Database(path)
    rnd = random.Random(11)
    first = with_comments(next(demo.generate(3000, seed=5)), rnd, more=0.7)
    store.apply(db, first)
    yield db, first
    db.close()


TP = MODEL.touchpoints[0].key  # website
TEAM = MODEL.teams_of(TP)[0].key  # web_persian
DELIVERY = "delivery"
ALL = ViewState(period="all", compare="none")

# (name, level, node, how the view is narrowed, segments a split hides)
CASES = [
    ("index", "index", None, {}, None),
    ("index, a search", "index", None, {"search": "late"}, None),
    ("index, a Persian search", "index", None, {"search": "تاخیر"}, None),
    ("index, bottom box", "index", None, {"scores": "low"}, None),
    ("index, two languages", "index", None, {"filters": {"language": ["fa", "ar"]}}, None),
    ("index, a hidden region", "index", None, {}, {"region": {"Sofia"}}),
    ("touchpoint", "touchpoint", DELIVERY, {}, None),
    ("touchpoint, a search, top box", "touchpoint", DELIVERY, {"search": "delay", "scores": "high"}, None),
    ("touchpoint, a Hebrew search", "touchpoint", TP, {"search": "איחור"}, None),
    ("touchpoint, regions", "touchpoint", TP, {"filters": {"region": ["Tehran", "Dubai", "London"]}}, None),
    ("team", "team", TEAM, {}, None),
    ("team, middle band", "team", TEAM, {"scores": "mid"}, None),
    ("team, an Arabic search, a tier", "team", TEAM, {"search": "الانتظار", "filters": {"tier": ["Consumer"]}}, None),
    ("team, a Bulgarian search", "team", TEAM, {"search": "закъсн"}, {"language": {"en"}}),
]


def case_view(level, node, narrow):
    view = ALL
    if level == "touchpoint":
        view = view.drill(node)
    elif level == "team":
        view = view.drill(MODEL.team(node).touchpoint, node)
    if "filters" in narrow:
        view = view.with_filters(narrow["filters"])
    return replace(view, search=narrow.get("search", ""), scores=narrow.get("scores"))


def case_kpi(model, level, node):
    if level == "index":
        return model.index.kpi
    if level == "touchpoint":
        return model.touchpoint(node).kpis[0]
    return model.team(node).kpis[0]


def table(db, model, case, *, searched: bool, writable: bool = True, cur=None):
    _, level, node, narrow, hidden = case
    cur = cur or db.cursor()
    cat = queries.catalog(cur, model)
    return themes.of_view(cur, model, cat, case_view(level, node, narrow), level=level, node=node,
                          kpi=case_kpi(model, level, node), hidden_segments=hidden, searched=searched,
                          db=db if writable else None)


def _searched(*a, **k):
    raise AssertionError("searched, not read from the bits kept")


def check_all(db, model=MODEL, monkeypatch=None, *, fallback_ok: bool = False):
    """Every case: the table from the bits equals the search's (and the search is not run)."""
    expected = {c[0]: table(db, model, c, searched=True) for c in CASES}
    if monkeypatch is not None and not fallback_ok:
        monkeypatch.setattr(queries, "theme_cells", _searched)
    got = {c[0]: table(db, model, c, searched=False) for c in CASES}
    if monkeypatch is not None:
        monkeypatch.undo()
    for name, rows in expected.items():
        assert got[name] == rows, name
    return expected


def kept_rows(db) -> list[tuple]:
    return db.cursor().execute("SELECT set_id, response_key, comment_hash, flags FROM comment_themes").fetchall()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_bits_give_the_searchs_table(flagged, case, monkeypatch):
    db, _ = flagged
    searched = table(db, MODEL, case, searched=True)
    monkeypatch.setattr(queries, "theme_cells", _searched)  # the table must come from the bits
    cold = table(db, MODEL, case, searched=False)  # the view's comments without bits found and kept first
    warm = table(db, MODEL, case, searched=False)
    # the figures too, exactly: the scores are whole numbers, and any sum of them is exact
    assert cold == searched and warm == searched
    assert any(r.comments for r in searched)


def test_one_row_per_comment_of_the_current_texts(flagged):
    db, _ = flagged
    for c in CASES:
        table(db, MODEL, c, searched=False)
    cur = db.cursor()
    assert cur.execute("SELECT count(*) FROM (SELECT set_id, response_key, comment_hash FROM comment_themes "
                       "GROUP BY ALL HAVING count(*) > 1)").fetchall() == [(0,)]
    # every row names a stored comment's text, and its bits are the search's of it
    patterns = [themes.search.any_word(t.words) for t in MODEL.themes]
    bits = " | ".join(f"(regexp_matches(r.comment, ?)::INTEGER << {i})" for i in range(len(patterns)))
    wrong = cur.execute(f"""SELECT count(*) FILTER (WHERE r.response_key IS NULL), count(*) FILTER (WHERE f.flags <> {bits})
                            FROM comment_themes f LEFT JOIN responses r
                            ON r.response_key = f.response_key AND hash(r.comment) = f.comment_hash""", patterns).fetchall()
    assert wrong == [(0, 0)]
    assert cur.execute("SELECT count(*) FROM theme_sets").fetchall() == [(1,)]


def edited(first: pa.Table, rnd: random.Random, keep: float) -> pa.Table:
    """The responses of `first` with comments, a `keep` share of them with another comment."""
    has = set(pc.filter(first["source_response_id"], pc.equal(first["metric"], "comment")).to_pylist())
    ids = sorted(has)[::4]
    chosen = pc.is_in(first["source_response_id"], pa.array(ids))
    return with_comments(first.filter(chosen), rnd, share=keep)


def test_an_edit_a_removal_and_model_edits_keep_the_table_right(tmp_path, monkeypatch):
    db = Database(tmp_path / "cx.duckdb")
    rnd = random.Random(23)
    first = with_comments(next(demo.generate(2000, seed=9)), rnd, more=0.7)
    store.apply(db, first)
    check_all(db, monkeypatch=monkeypatch)
    before = {c[0]: table(db, MODEL, c, searched=True) for c in CASES}
    kept = len(kept_rows(db))

    # An upload that edits a quarter of the commented responses, about half of them their comment.
    edit = store.apply(db, edited(first, rnd, keep=0.5))
    assert edit.updated > 0
    cur = db.cursor()
    stale = cur.execute("""SELECT count(*) FROM comment_themes f JOIN responses r USING (response_key)
                           WHERE hash(r.comment) IS DISTINCT FROM f.comment_hash""").fetchall()[0][0]
    assert stale == 0 and len(kept_rows(db)) < kept  # the edited responses' rows went with the write
    after_edit = check_all(db, monkeypatch=monkeypatch)
    assert after_edit != before  # (the edit changed the comments' themes)

    # Its removal: the versions it replaced come back, and with them the table before it.
    store.remove_upload(db, edit.upload_id)
    assert check_all(db, monkeypatch=monkeypatch) == before

    # A model edit that changes a theme's words: a new set, found from the comments again.
    late = MODEL.theme("late_delivery")
    fewer = replace(MODEL, themes=tuple(replace(t, words=t.words[:3]) if t is late else t for t in MODEL.themes))
    changed = check_all(db, fewer, monkeypatch)
    assert changed["index"] != before["index"]
    assert cur.execute("SELECT count(*) FROM theme_sets").fetchall() == [(2,)]
    # ...its undo costs no search: the set before is kept
    check_all(db, MODEL, monkeypatch)
    # a third set drops the first's rows (the newest two are kept)
    more = replace(MODEL, themes=MODEL.themes + (Theme("ok", "Fine", ("ok", "خوب", "טוב")),))
    check_all(db, more, monkeypatch)
    assert [s for (s,) in cur.execute("SELECT DISTINCT set_id FROM comment_themes ORDER BY 1").fetchall()] == [2, 3]
    check_all(db, MODEL, monkeypatch)  # (set 1's fingerprint comes back as a new set: found again)

    # Removing the first upload: every comment gone, and every row with it.
    store.remove_upload(db, 1)
    assert kept_rows(db) == []
    assert all(r.comments == 0 for c in CASES for r in table(db, MODEL, c, searched=False))
    db.close()


def test_a_database_opened_read_only_reads_the_bits_or_searches(tmp_path, monkeypatch):
    path = tmp_path / "cx.duckdb"
    db = Database(path)
    rnd = random.Random(5)
    first = with_comments(next(demo.generate(1500, seed=3)), rnd, more=0.7)
    store.apply(db, first)
    for c in CASES[:6]:  # the index's cases: their comments' bits kept, the others' not
        table(db, MODEL, c, searched=False)
    store.apply(db, edited(first, rnd, keep=0.2))  # a few comments edited, by an upload that keeps none
    expected = {c[0]: table(db, MODEL, c, searched=True) for c in CASES}
    missing = db.cursor().execute(
        """SELECT count(*) FROM responses r ANTI JOIN comment_themes f
           ON f.response_key = r.response_key AND f.comment_hash = hash(r.comment)
           WHERE r.comment IS NOT NULL AND r.upload_id = 2""").fetchall()[0][0]
    assert missing > 0
    db.close()
    ro = Database(path, read_only=True)
    with pytest.raises(AssertionError, match="searched"):
        with monkeypatch.context() as m:
            m.setattr(queries, "theme_cells", _searched)
            table(ro, MODEL, CASES[6], searched=False)  # a touchpoint's comments: most without bits
    with monkeypatch.context() as m:
        # the index's: the few edited searched alone (none can be kept), the rest read from the bits
        m.setattr(queries, "theme_cells", _searched)
        for c in CASES[:6]:
            assert table(ro, MODEL, c, searched=False) == expected[c[0]], c[0]
    for c in CASES:  # the others by the search of every comment, the same
        assert table(ro, MODEL, c, searched=False) == expected[c[0]], c[0]
    assert len(kept_rows(ro)) == len(set(kept_rows(ro)))
    # another model's themes: no set of theirs, and none made
    late = MODEL.theme("late_delivery")
    other = replace(MODEL, themes=tuple(replace(t, words=t.words[:2]) if t is late else t for t in MODEL.themes))
    assert table(ro, other, CASES[0], searched=False) == table(ro, other, CASES[0], searched=True)
    assert ro.cursor().execute("SELECT count(*) FROM theme_sets").fetchall() == [(1,)]
    ro.close()


def test_bits_found_before_an_edit_and_kept_after_it_are_never_read_for_the_new_text(tmp_path):
    """A session finds the bits of a view's comments, an upload edits some of them meanwhile, and
    the session keeps what it found: the rows name the old texts, which no count reads."""
    db = Database(tmp_path / "cx.duckdb")
    rnd = random.Random(31)
    first = with_comments(next(demo.generate(1500, seed=4)), rnd, more=0.7)
    store.apply(db, first)
    case = CASES[0]
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    patterns = [themes.search.any_word(t.words) for t in MODEL.themes]
    set_id = theme_flags.ensure_set(db, cur, theme_flags.fingerprint(patterns), len(patterns))
    view = case_view(*case[1:4])
    period, _ = periods_for(view, cat)
    args = dict(level="index", node=None, score_measure=MODEL.index.kpi.measure, withheld=None)
    found = queries.comment_themes(cur, queries.theme_groups(cur, MODEL, cat, view, period, set_id=set_id, **args).unkept, patterns)
    assert found.num_rows > 0
    store.apply(db, edited(first, rnd, keep=1.0))  # the upload, between the search and the write
    assert theme_flags.fill(db, cur, set_id, found) == found.num_rows
    assert theme_flags.fill(db, cur, set_id, found) == 0  # (what is kept is not written twice)
    for c in CASES:
        assert table(db, MODEL, c, searched=False) == table(db, MODEL, c, searched=True), c[0]
    db.close()


def test_a_comment_kept_twice_or_a_busy_lock_falls_back_to_the_search(tmp_path):
    db = Database(tmp_path / "cx.duckdb")
    store.apply(db, with_comments(next(demo.generate(1500, seed=6)), random.Random(2), more=0.7))
    case = CASES[0]
    expected = table(db, MODEL, case, searched=True)
    # the writes' lock held (an upload under way): nothing kept, the search gives the table
    with db._write_lock:
        got = []
        t = threading.Thread(target=lambda: got.append(table(db, MODEL, case, searched=False)))
        t.start()
        t.join()
    assert got == [expected] and kept_rows(db) == []
    assert table(db, MODEL, case, searched=False) == expected and kept_rows(db)
    # a comment with two rows (which the lock prevents) would be counted twice: the search instead
    cur = db.cursor()
    cur.execute("INSERT INTO comment_themes SELECT * FROM comment_themes LIMIT 1")
    assert table(db, MODEL, case, searched=False) == expected
    # (and the table is read from the rows: each one wrong, so is the table)
    cur.execute("DELETE FROM comment_themes")
    assert table(db, MODEL, case, searched=False) == expected
    cur.execute("UPDATE comment_themes SET flags = xor(flags, 1)")
    assert table(db, MODEL, case, searched=False) != expected
    db.close()


def test_an_upload_keeps_the_themes_of_the_comments_it_brings(tmp_path, monkeypatch):
    from cxdata import service

    db = Database(tmp_path / "cx.duckdb")
    rnd = random.Random(41)
    patterns = service.theme_patterns(MODEL)
    store.apply(db, with_comments(next(demo.generate(1500, seed=8)), rnd, more=0.7), theme_patterns=patterns)
    assert kept_rows(db) == []  # no view has counted these themes yet: nothing to keep up
    for c in CASES:
        table(db, MODEL, c, searched=False)
    # the same responses, their comments new, and more responses: edited and added
    receipt = store.apply(db, with_comments(next(demo.generate(2000, seed=8)), rnd, more=0.7), theme_patterns=patterns)
    assert receipt.added and receipt.updated
    cur = db.cursor()
    assert cur.execute("""SELECT count(*) FROM responses r ANTI JOIN comment_themes f
                          ON f.response_key = r.response_key AND f.comment_hash = hash(r.comment)
                          WHERE r.upload_id = ? AND r.comment IS NOT NULL""", [receipt.upload_id]).fetchall() == [(0,)]
    # so the first tables after it search nothing
    monkeypatch.setattr(queries, "comment_themes", _searched)
    check_all(db, monkeypatch=monkeypatch)
    # another model's themes: the upload keeps none of theirs
    late = MODEL.theme("late_delivery")
    other = replace(MODEL, themes=tuple(replace(t, words=t.words[:2]) if t is late else t for t in MODEL.themes))
    before = len(kept_rows(db))
    store.apply(db, with_comments(next(demo.generate(2100, seed=8)), rnd, more=0.7),
                theme_patterns=service.theme_patterns(other))
    assert len(kept_rows(db)) <= before
    assert service.theme_patterns(replace(MODEL, themes=())) is None and service.theme_patterns(None) is None
    db.close()


def test_sessions_counting_at_once_keep_each_comment_once(tmp_path):
    """Several sessions, each on its own cursor of one connection, find the same comments' themes
    at once: each keeps what no other has kept, and every table is the search's."""
    db = Database(tmp_path / "cx.duckdb")
    store.apply(db, with_comments(next(demo.generate(1500, seed=12)), random.Random(3), more=0.7))
    expected = {c[0]: table(db, MODEL, c, searched=True) for c in CASES}
    got, errors = [], []

    def session(order):
        try:
            cur = db.cursor()
            for c in order:
                got.append((c[0], table(db, MODEL, c, searched=False, cur=cur)))
        except Exception as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(CASES[i:] + CASES[:i],)) for i in (0, 3, 7, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(got) == 4 * len(CASES) and all(rows == expected[name] for name, rows in got)
    assert db.cursor().execute("SELECT count(*) FROM (SELECT set_id, response_key, comment_hash FROM comment_themes "
                               "GROUP BY ALL HAVING count(*) > 1)").fetchall() == [(0,)]
    assert db.cursor().execute("SELECT count(*) FROM theme_sets").fetchall() == [(1,)]
    db.close()
