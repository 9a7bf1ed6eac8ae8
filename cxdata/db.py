"""All access to the DuckDB database: location, schema, cursors, transactions, the data version.

One database file per deployment (``CX_DB`` or ``data/cx.duckdb``). A process opens it once;
every session or thread works on its own cursor because a DuckDB connection shared between
threads is not safe. Every write runs inside :func:`transaction` and bumps the data version,
which is what caches key on, so no view can serve numbers from before an upload.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

import duckdb

from . import rollups
from .sql import dim_column, quote_ident

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "cx.duckdb"
SCHEMA_VERSION = "10"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS labels (dim VARCHAR NOT NULL, code INTEGER NOT NULL, label VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS replaced_labels (dim VARCHAR NOT NULL, code INTEGER NOT NULL, label VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS resupplied (response_key BIGINT NOT NULL, owner INTEGER NOT NULL, upload_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER NOT NULL, name VARCHAR NOT NULL, created_at TIMESTAMPTZ DEFAULT now());
CREATE TABLE IF NOT EXISTS mappings (
    fingerprint VARCHAR NOT NULL, source VARCHAR NOT NULL, mapping JSON NOT NULL, saved_at TIMESTAMPTZ DEFAULT now());
CREATE TABLE IF NOT EXISTS uploads (
    upload_id INTEGER NOT NULL, file_name VARCHAR, sha256 VARCHAR, size_bytes BIGINT, stored_path VARCHAR,
    layout VARCHAR, encoding VARCHAR, uploaded_at TIMESTAMPTZ DEFAULT now(), rows_read BIGINT,
    added BIGINT, updated BIGINT, unchanged BIGINT, rejected BIGINT, excluded BIGINT,
    removed_at TIMESTAMPTZ, receipt JSON, repeats INTEGER[], repeat_most INTEGER[]);
CREATE TABLE IF NOT EXISTS responses (
    response_key BIGINT NOT NULL, source_id INTEGER NOT NULL, source_response_id VARCHAR NOT NULL,
    upload_id INTEGER, responded_at TIMESTAMPTZ, customer_id VARCHAR, comment VARCHAR,
    touchpoint INTEGER, team INTEGER, agent INTEGER, content_hash UBIGINT, attr_hash UBIGINT, id_hash UBIGINT);
CREATE TABLE IF NOT EXISTS answers (
    response_key BIGINT NOT NULL, responded_at TIMESTAMPTZ, day DATE, measure INTEGER NOT NULL, value DOUBLE NOT NULL,
    touchpoint INTEGER, team INTEGER, agent INTEGER);
CREATE TABLE IF NOT EXISTS agent_names (agent_id VARCHAR NOT NULL, agent_name VARCHAR);
CREATE TABLE IF NOT EXISTS cases (
    response_key BIGINT, source_id INTEGER NOT NULL, source_response_id VARCHAR NOT NULL, status VARCHAR NOT NULL, team VARCHAR,
    note VARCHAR, contacted_at TIMESTAMPTZ, resolved_at TIMESTAMPTZ, updated_at TIMESTAMPTZ NOT NULL, updated_by VARCHAR);
CREATE TABLE IF NOT EXISTS invitations (
    invitation_id BIGINT NOT NULL, upload_id INTEGER NOT NULL, source VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
    invited_at TIMESTAMPTZ NOT NULL, wave VARCHAR, first_response_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS invitation_holds (invitation_id BIGINT NOT NULL, upload_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replaced_invitations (invitation_id BIGINT NOT NULL, replaced_by INTEGER NOT NULL, wave VARCHAR);
CREATE TABLE IF NOT EXISTS model_versions (
    base VARCHAR NOT NULL, version INTEGER NOT NULL, saved_at TIMESTAMPTZ NOT NULL, saved_by VARCHAR, note VARCHAR,
    text VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS case_events (
    source_id INTEGER NOT NULL, source_response_id VARCHAR NOT NULL, changed_at TIMESTAMPTZ NOT NULL, changed_by VARCHAR,
    status VARCHAR, team VARCHAR, note VARCHAR);
CREATE TABLE IF NOT EXISTS theme_sets (set_id INTEGER NOT NULL, fingerprint VARCHAR NOT NULL, themes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS comment_themes (
    set_id INTEGER NOT NULL, response_key BIGINT NOT NULL, comment_hash UBIGINT NOT NULL, flags INTEGER NOT NULL);
"""


def id_hash(source_id: str, response_id: str) -> str:
    """SQL for the hash of a response's (source, response id) that `responses.id_hash` holds, the
    same expression, with the same types, wherever a response is stored or looked up. DuckDB's
    hash() is fast (an MD5 instead cost a 1M-row ingest 0.2-1 s) but its values have changed
    between releases: the stored hashes are recomputed whenever the database is opened for
    writing by another DuckDB version (`_check_id_hashes`)."""
    return f"hash(CAST({source_id} AS INTEGER), CAST({response_id} AS VARCHAR))"


ID_HASH_ENGINE = "id_hash_engine"  # meta key: the DuckDB version that computed responses.id_hash


class State(NamedTuple):
    """What a page reads of the database's state before its queries, in one statement."""

    version: int  # bumped by every write: the key of every cached result
    model_path: str | None  # the model the data was loaded with
    demo: bool  # the data is the generated demo
    model_version: int | None = None  # the newest version of that model edited in the app (cxdata.model_versions)


class StorageError(RuntimeError):
    """The database cannot be opened or used; the message says why in plain words."""


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("CX_DB") or DEFAULT_DB)


class Database:
    """A DuckDB database file, opened once per process; hand out cursors, never the connection."""

    def __init__(self, path: str | os.PathLike | None = None, *, threads: int | None = None, read_only: bool = False):
        self.path = db_path(path)
        if read_only and not self.path.exists():
            raise StorageError(f"There is no database at {self.path}: load data first (python -m cxdata ingest FILE --db {self.path}).")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB's allocator keeps what a large write freed (the merge and rollup build of a big
        # upload) until the next allocation on the same thread: the server held 790 MB after a
        # 1M-row upload, 330 MB with the background threads returning it.
        config = {"allocator_background_threads": True, **({"threads": threads} if threads else {})}
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                # DuckDB lets one process hold a database file written to: not even a reader beside it.
                raise StorageError(
                    f"The database {self.path} is in use by another program (probably the running app), and "
                    "DuckDB lets no second program open it meanwhile, not even to read. Stop the app first, "
                    "or use the app itself (its Upload page loads files)."
                ) from None
            raise StorageError(f"Cannot open the database {self.path}: {exc}") from None
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self.writes = 0  # transactions committed through this object: a reader's memo of `state` is stale once it moves
        if read_only:
            version = self._schema_version(self.cursor())
            if version != SCHEMA_VERSION:
                raise StorageError(f"The database {self.path} has schema version {version}; this version of CX Pyramid "
                                   f"uses {SCHEMA_VERSION}. Open it once for writing (start the app, or run an ingest) to upgrade it.")
            return
        with self.transaction() as cur:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                cur.execute(statement)
            cur.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?), ('data_version', '0')", [SCHEMA_VERSION])
            self._migrate(cur)
            self._ensure_replaced(cur)
            self._check_id_hashes(cur)
            rollups.ensure(cur, self.segment_dims(cur))

    @staticmethod
    def _schema_version(cur) -> str | None:
        try:
            rows = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        except duckdb.CatalogException:
            return None
        return rows[0][0] if rows else None

    def _migrate(self, cur) -> None:
        """Bring a database written by an earlier version up to SCHEMA_VERSION, in the open transaction."""
        version = self._schema_version(cur)
        if version == "1":
            # 2: answers carry their UTC day (period filters, rollups); responses a hash of descriptive fields.
            cur.execute("ALTER TABLE answers ADD COLUMN IF NOT EXISTS day DATE")
            cur.execute("UPDATE answers SET day = responded_at::DATE")
            cur.execute("ALTER TABLE responses ADD COLUMN IF NOT EXISTS attr_hash UBIGINT")
            version = "2"
        if version == "2":
            # 3: month-grain rollups (of one dimension and of pairs), created by rollups.ensure below.
            version = "3"
        if version == "3":
            # 4: responses carry a hash of their (source, response id), which an upload matches
            # first; filled by _check_id_hashes.
            for table in ("responses", "replaced_responses"):
                if cur.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                               "AND table_name = ?", [table]).fetchall()[0][0]:
                    cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS id_hash UBIGINT")
            self.set_meta(cur, ID_HASH_ENGINE, None)  # whatever the meta says, the column is new: fill it
            version = "4"
        if version == "4":
            # 5: the cases of closing the loop (cxdata.loop) and the invitation lists of response
            # rates (cxdata.invitations), created by _SCHEMA above.
            version = "5"
        if version == "5":
            # 6: the model's versions edited in the app (cxdata.model_versions), created by _SCHEMA above.
            version = "6"
        if version == "6":
            # 7: each upload names the measures some response of it answers more than once (see
            # store.apply); found from the answers stored with version 8's below.
            cur.execute("ALTER TABLE uploads ADD COLUMN IF NOT EXISTS repeats INTEGER[]")
            version = "7"
        if version == "7":
            # 8: and how many times at most, which bounds the respondents behind a count of answers
            # (stats.fewest_respondents); both found here from the answers stored, current and replaced.
            cur.execute("ALTER TABLE uploads ADD COLUMN IF NOT EXISTS repeat_most INTEGER[]")
            found = ["SELECT r.upload_id, a.measure, count(*) AS times FROM answers a JOIN responses r USING (response_key) "
                     "GROUP BY r.upload_id, a.response_key, a.measure HAVING count(*) > 1"]
            if cur.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                           "AND table_name IN ('replaced_answers', 'replaced_responses')").fetchall()[0][0] == 2:
                found.append("SELECT r.upload_id, a.measure, count(*) AS times FROM replaced_answers a "
                             "JOIN replaced_responses r USING (response_key, replaced_by) "
                             "GROUP BY r.upload_id, a.response_key, a.replaced_by, a.measure HAVING count(*) > 1")
            cur.execute(f"""UPDATE uploads SET repeats = coalesce(found.measures, []), repeat_most = coalesce(found.most, [])
                            FROM (SELECT u.upload_id,
                                         list(x.measure ORDER BY x.measure) FILTER (WHERE x.measure IS NOT NULL) AS measures,
                                         list(x.most ORDER BY x.measure) FILTER (WHERE x.measure IS NOT NULL) AS most
                                  FROM uploads u LEFT JOIN (SELECT upload_id, measure, max(times) AS most
                                                            FROM ({' UNION ALL '.join(found)}) GROUP BY ALL) x USING (upload_id)
                                  GROUP BY u.upload_id) found
                            WHERE uploads.upload_id = found.upload_id""")
            version = "8"
        if version == "8":
            # 9: each invitation keeps the time of its first answer, which the response rates
            # compare with the window (cxdata.invitations.follow_answers), found here once.
            from .invitations import follow_answers

            cur.execute("ALTER TABLE invitations ADD COLUMN IF NOT EXISTS first_response_at TIMESTAMPTZ")
            follow_answers(cur, None)
            version = "9"
        if version == "9":
            # 10: each comment's themes, kept per set of the model's themes (cxdata.theme_flags),
            # created by _SCHEMA above and filled by the pages that count them.
            version = "10"
        if version != SCHEMA_VERSION:
            raise StorageError(f"The database {self.path} has schema version {version}, which this version of "
                               f"CX Pyramid ({SCHEMA_VERSION}) cannot read.")
        cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        # Periods and buckets are calendar dates in UTC, whatever the machine's zone.
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def transaction(self, cur: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a write atomically; writers queue on a lock so two uploads never interleave their checks."""
        cur = cur or self.cursor()
        with self._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            self.writes += 1

    @contextmanager
    def derived(self, cur: duckdb.DuckDBPyConnection | None = None, *,
                wait: float = -1) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A write of what the stored data already determines (each comment's themes,
        cxdata.theme_flags): its own short transaction, queued with the writes on their lock, that
        leaves the data version alone, so no cached result is dropped for it. Yields None on a
        database opened read-only, or when the lock is not had within `wait` seconds (an upload
        under way): the caller then does without."""
        if self.read_only or not self._write_lock.acquire(timeout=wait):
            yield None
            return
        try:
            cur = cur or self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        finally:
            self._write_lock.release()

    # -- small read helpers used everywhere ---------------------------------------------------
    def data_version(self, cur=None) -> int:
        cur = cur or self.cursor()
        return int(cur.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0])

    def state(self, cur=None) -> State:
        rows = dict((cur or self.cursor()).execute(
            """SELECT key, value FROM meta WHERE key IN ('data_version', 'model_path', 'demo')
               UNION ALL
               SELECT 'model_version', max(version)::VARCHAR FROM model_versions
               WHERE base = (SELECT value FROM meta WHERE key = 'model_path')""").fetchall())
        version = rows.get("model_version")
        return State(int(rows["data_version"]), rows.get("model_path"), rows.get("demo") == "true",
                     int(version) if version is not None else None)

    def meta(self, key: str, cur=None) -> str | None:
        rows = (cur or self.cursor()).execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    @staticmethod
    def set_meta(cur, key: str, value: str | None) -> None:
        cur.execute("DELETE FROM meta WHERE key = ?", [key])
        if value is not None:
            cur.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def is_empty(self, cur=None) -> bool:
        return (cur or self.cursor()).execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0

    def holds(self, cur=None) -> tuple[bool, bool]:
        """(any responses, any upload ever). No upload ever: a new database the demo may fill; one
        whose uploads were all removed stays empty."""
        row = (cur or self.cursor()).execute(
            "SELECT EXISTS (SELECT 1 FROM responses), EXISTS (SELECT 1 FROM uploads)").fetchall()[0]
        return bool(row[0]), bool(row[1])

    def is_new(self, cur=None) -> bool:
        return self.holds(cur) == (False, False)

    def segment_dims(self, cur=None) -> list[str]:
        """Segment dimensions present in storage (columns seg_<key> of `answers`)."""
        return rollups.stored_dims(cur or self.cursor())

    def ensure_segment_dims(self, cur, keys) -> None:
        present = set(self.segment_dims(cur))
        for key in keys:
            if key not in present:
                col = dim_column(key)
                for table in ("answers", "responses", "replaced_answers", "replaced_responses"):
                    cur.execute(f"ALTER TABLE {table} ADD COLUMN {col} INTEGER")
                present.add(key)

    def _check_id_hashes(self, cur) -> None:
        """Recompute the stored id hashes when they were computed by another DuckDB version than
        this one (or not at all): an upload finds stored responses by them, and a hash that
        changed would turn every re-upload into new responses."""
        if self.meta(ID_HASH_ENGINE, cur) == duckdb.__version__:
            return
        for table in ("responses", "replaced_responses"):
            cur.execute(f"UPDATE {table} SET id_hash = {id_hash('source_id', 'source_response_id')}")
        # Each comment's themes are found by the same hash of its text: another engine's would
        # match none of them, so they go, and are found again as the pages need them.
        cur.execute("DELETE FROM comment_themes")
        self.set_meta(cur, ID_HASH_ENGINE, duckdb.__version__)

    @staticmethod
    def _ensure_replaced(cur) -> None:
        """`replaced_responses` and `replaced_answers` keep the versions an upload's edits replaced,
        with the upload that replaced them (`replaced_by`), so removing that upload can put them
        back. Same columns as `responses` and `answers`, segment columns included."""
        for table in ("responses", "answers"):
            cur.execute(f"CREATE TABLE IF NOT EXISTS replaced_{table} AS "
                        f"SELECT *, NULL::INTEGER AS replaced_by FROM {table} WHERE FALSE")
            # Columns read from empty results: the catalog views (information_schema) cost tens of
            # milliseconds on every start. Segment columns are the only ones added later.
            have = {d[0] for d in cur.execute(f"SELECT * FROM replaced_{table} LIMIT 0").description}
            for (col, *_) in cur.execute(f"SELECT * FROM {table} LIMIT 0").description:
                if col not in have and col.startswith("seg_"):
                    cur.execute(f"ALTER TABLE replaced_{table} ADD COLUMN {quote_ident(col)} INTEGER")

    def labels(self, dim: str, cur=None) -> dict[int, str]:
        rows = (cur or self.cursor()).execute("SELECT code, label FROM labels WHERE dim = ?", [dim]).fetchall()
        return dict(rows)
