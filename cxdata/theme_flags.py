"""Each comment's themes, kept: a bit per theme of the model, found once per comment text and
read by every themes' table after it (cxdata.themes) instead of a search per theme of every
comment the view lists.

A row of `comment_themes` holds the themes of one comment as a set of the model's themes finds
them: (set, response key, hash of the comment's text, bit i set when the comment is about the
set's theme i). A set (`theme_sets`) is known by the fingerprint of its themes' search patterns
(cxdata.search.any_word, in the model's order): whatever changes what a theme finds (its words, a
language's rules in cxdata.search, the themes' order) gives a new set, whose rows are found
again; the two newest sets are kept, so undoing a model edit costs no search.

A row is right whenever it exists: it describes the comment text its hash names, under the
response it was written for, whatever the response has become since. An upload's edit gives the
response another text, which no row names until its themes are found again, and a row left by
a version gone is never read (an upload deletes the rows of the responses it edits or removes,
which keeps the table to the comments stored). So the rows can be written by the read path, from
any snapshot, outside the upload's transaction: `fill` writes those a view found missing in its
own short transaction, which leaves the data version (and every cached result) alone. An upload
keeps those of the comments it brings (`keep_upload`), so the first view after it searches
nothing; the read path still finds what no upload kept (a model edit, a removal's versions back).
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pyarrow as pa

FORMAT = "1"  # of a set's fingerprint: another way of keeping the bits gives every set a new one
KEPT_SETS = 2  # the sets whose rows are kept: the newest and the one before


def fingerprint(patterns: list[str]) -> str:
    """The key of a set of themes: their search patterns in order, which is all the bits depend on."""
    return hashlib.sha256(json.dumps([FORMAT, list(patterns)], ensure_ascii=True).encode()).hexdigest()


def set_of(cur, fp: str) -> int | None:
    """The id of the set with fingerprint `fp`, None if no set has it (yet)."""
    rows = cur.execute("SELECT max(set_id) FROM theme_sets WHERE fingerprint = ?", [fp]).fetchall()
    return rows[0][0]


def ensure_set(db, cur, fp: str, themes: int, *, wait: float = 0.25) -> int | None:
    """The id of the set with fingerprint `fp`, made if there is none (the sets before the last
    KEPT_SETS going with their rows); None when it cannot be written (a database opened
    read-only, or an upload holding the writes' lock longer than `wait` seconds)."""
    with db.derived(cur, wait=wait) as w:
        if w is None:
            return set_of(cur, fp)
        found = set_of(w, fp)
        if found is not None:
            return found
        # Ids only grow: the newest set is always kept, so an id is never given twice, and a row
        # written for a set dropped meanwhile can never be read as another's.
        new = w.execute("SELECT coalesce(max(set_id), 0) + 1 FROM theme_sets").fetchall()[0][0]
        w.execute("INSERT INTO theme_sets VALUES (?, ?, ?)", [new, fp, themes])
        w.execute(f"DELETE FROM theme_sets WHERE set_id NOT IN (SELECT set_id FROM theme_sets ORDER BY set_id DESC "
                  f"LIMIT {KEPT_SETS})")
        w.execute("DELETE FROM comment_themes WHERE set_id NOT IN (SELECT set_id FROM theme_sets)")
        return new


def fill(db, cur, set_id: int, found: pa.Table, *, wait: float = 0.25) -> int | None:
    """Keep the flags of `found` (response_key, comment_hash, flags: queries.comment_themes),
    those another session has not kept meanwhile, if the set is still kept. Returns the rows
    written; None when none could be (read-only, the lock busy, a conflict, the set dropped): the
    reader then searches."""
    if not found.num_rows:
        return 0
    try:
        return _insert(db, cur, set_id, found, wait)
    except duckdb.TransactionException:  # a conflict with another transaction: nothing was written
        return None


def _insert(db, cur, set_id: int, found: pa.Table, wait: float) -> int | None:
    with db.derived(cur, wait=wait) as w:
        if w is None:
            return None
        if not w.execute("SELECT count(*) FROM theme_sets WHERE set_id = ?", [set_id]).fetchall()[0][0]:
            return None
        w.register("found_themes", found)
        try:
            # The lock makes this the only writer: what it does not find here, no one else writes
            # before its commit, so no comment gets two rows (which a count would read twice).
            return w.execute(
                """INSERT INTO comment_themes
                   SELECT ?, n.response_key, n.comment_hash, n.flags FROM found_themes n
                   WHERE NOT EXISTS (SELECT 1 FROM comment_themes f WHERE f.set_id = ?
                                     AND f.response_key = n.response_key AND f.comment_hash = n.comment_hash)""",
                [set_id, set_id]).fetchall()[0][0]
        finally:
            w.unregister("found_themes")
    return None


def keep_upload(cur, upload_id: int, patterns: list[str]) -> int:
    """In an upload's transaction: keep the themes of the comments it added or edited, for the
    set of `patterns` (the model's in use), if some view has counted that set (else there is
    nothing to keep up yet). The first view after the upload then searches nothing. Returns the
    rows written."""
    set_id = set_of(cur, fingerprint(patterns)) if patterns else None
    if set_id is None:
        return 0
    bits = " | ".join(f"(regexp_matches(r.comment, ?)::INTEGER << {i})" for i in range(len(patterns)))
    return cur.execute(
        f"""INSERT INTO comment_themes
            WITH new AS MATERIALIZED (
                SELECT n.* FROM (SELECT response_key, hash(comment) AS comment_hash, comment FROM responses
                                 WHERE upload_id = ? AND comment IS NOT NULL) n
                ANTI JOIN (SELECT response_key, comment_hash FROM comment_themes WHERE set_id = ?) f
                ON f.response_key = n.response_key AND f.comment_hash = n.comment_hash)
            SELECT ?, r.response_key, r.comment_hash, {bits} FROM new r""",
        [upload_id, set_id, set_id, *patterns]).fetchall()[0][0]


def forget(cur, keys_sql: str, params: list | None = None) -> None:
    """Drop the rows of the responses `keys_sql` selects (in a write that edits or removes them)."""
    cur.execute(f"DELETE FROM comment_themes WHERE response_key IN ({keys_sql})", params or [])


__all__ = ["fill", "fingerprint", "forget", "ensure_set", "keep_upload", "set_of", "FORMAT", "KEPT_SETS"]

