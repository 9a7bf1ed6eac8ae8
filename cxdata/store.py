"""Apply canonical responses to the database: one transaction, merge by (source, response id), a receipt.

Input is the canonical long format (one row per response x measure; see CANONICAL_COLUMNS).
A response already stored with identical content is left alone, one whose content changed is
replaced under the same key, a new one is added; a comment that differs from the stored one only
by characters a legacy code page wrote as '?' (the export re-saved from Excel) keeps the stored
text. Categorical values are stored as integer codes through the `labels` dictionary, because
grouping and filtering on small integers is what keeps the pyramid query fast at millions of rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import pyarrow as pa

from . import rollups, theme_flags
from .db import Database, id_hash
from .sql import dim_column, quote_ident, scratch

CANONICAL_COLUMNS = (
    "source", "source_response_id", "responded_at", "customer_id", "touchpoint", "team",
    "agent_id", "agent_name", "metric", "value", "value_text",
)
# Columns that may accompany canonical data but are not segments: bookkeeping or derived from time.
RESPONSE_INDEX = "rid"
NOT_SEGMENTS = {"row_number", "response_id", "quarter", "wave", RESPONSE_INDEX}
COMMENT = "comment"
_SEG_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass
class Receipt:
    """What happened to every row of one file."""

    file_name: str = ""
    rows_read: int = 0
    responses: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    excluded: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    upload_id: int | None = None
    skipped: list[tuple[int, str]] = field(default_factory=list)  # empty lines between the rows
    comments_kept: int = 0  # stored comments this file brought with characters lost to its encoding
    labels_kept: int = 0  # stored responses whose labels this file brought with letters lost (settle_lost_labels)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rejected_count"] = len(self.rejected)
        d["excluded_count"] = len(self.excluded)
        d["skipped_count"] = len(self.skipped)
        return d


class InputError(ValueError):
    """Canonical data that cannot be stored; nothing was written."""


def segment_columns(table: pa.Table) -> list[str]:
    return [c for c in table.column_names if c not in CANONICAL_COLUMNS and c not in NOT_SEGMENTS]


def check_canonical(table: pa.Table) -> None:
    missing = [c for c in ("source", "source_response_id", "metric", "value") if c not in table.column_names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} of the canonical format")
    for col in segment_columns(table):
        if not _SEG_KEY.match(col):
            raise InputError(f"column {col!r} cannot be a segment: use lowercase letters, digits and '_'")


def _conform(table: pa.Table) -> pa.Table:
    """Add absent optional columns as nulls and cast to the storage types."""
    types = {
        "source": pa.string(), "source_response_id": pa.string(), "responded_at": pa.timestamp("us", tz="UTC"),
        "customer_id": pa.string(), "touchpoint": pa.string(), "team": pa.string(), "agent_id": pa.string(),
        "agent_name": pa.string(), "metric": pa.string(), "value": pa.float64(), "value_text": pa.string(),
    }
    cols, names = [], []
    for name, typ in types.items():
        if name in table.column_names:
            col = table[name]
            cols.append(col if col.type == typ else col.cast(typ))
        else:
            cols.append(pa.nulls(len(table), typ))
        names.append(name)
    for name in segment_columns(table):
        col = table[name]
        cols.append(col if col.type == pa.string() else col.cast(pa.string()))
        names.append(name)
    return pa.Table.from_arrays(cols, names=names)


def response_index(source: pa.Array | pa.ChunkedArray, ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An integer per (source, response id): grouping and joining a response's rows on it is far
    cheaper than on the id strings. Hashing a million id strings is the expensive part, so the
    ingest engine computes it once per file and hands it over, and it hashes the ids alone when
    there is one source."""
    import pyarrow.compute as pc

    ids = pc.fill_null(ids, "")
    if pc.count_distinct(source, mode="all").as_py() > 1:
        ids = pc.binary_join_element_wise(pc.fill_null(source, ""), ids, "\x1f")
    enc = pc.dictionary_encode(ids)
    enc = enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc
    return enc.indices.cast(pa.int64())


def _with_response_index(table: pa.Table, given: pa.Table) -> pa.Table:
    """`table` with its response index: the one the ingest engine handed over (column `rid` of
    `given`, computed from the same columns), else computed here."""
    if RESPONSE_INDEX in given.column_names:
        rid = given[RESPONSE_INDEX]
        if rid.type == pa.int64() and rid.null_count == 0:
            return table.append_column(RESPONSE_INDEX, rid)
    return table.append_column(RESPONSE_INDEX, response_index(table["source"], table["source_response_id"]))


def apply(db: Database, table: pa.Table, receipt: Receipt | None = None, *, upload: dict | None = None,
          theme_patterns: list[str] | None = None, allow_losses: bool = True) -> Receipt:
    """Merge `table` into storage atomically and return the receipt (counts per response). With
    `theme_patterns` (the search patterns of the model's themes, cxdata.search.any_word), the
    themes of the comments it adds or edits are kept too (cxdata.theme_flags.keep_upload). Without
    `allow_losses`, a file that would take from many stored responses their touchpoint, team, time,
    answers or comment (`many_losses`) raises LossError, and nothing is stored."""
    check_canonical(table)
    receipt = receipt or Receipt()
    incoming = _with_response_index(_conform(table), table)
    segs = segment_columns(incoming) + ["source"]
    with db.transaction() as cur, scratch(cur, tables=["stage", "stored", "left_answers", "kept_comments"],
                                          views=["answer_changes"], registered=["incoming"]):
        db.ensure_segment_dims(cur, segs)
        incoming = _encode(cur, incoming, segs)
        cur.register("incoming", incoming)
        *counts, kept_attrs, kept_comments = _merge(cur, segs, upload_id := _next_id(cur, "uploads", "upload_id"))
        # The measures a response of this file answers more than once (a relationship survey's
        # satisfaction with each touchpoint): a journey pooling such answers counts some customers
        # several times, and its privacy and reliability rules must read it so (pyramid.assemble).
        repeats, repeat_most = _repeated_measures(incoming)
        if counts[1]:
            losses = _losses(cur, upload_id)
            if not allow_losses and many_losses(losses, counts[1]):
                # Raised inside the transaction: nothing of the file is stored.
                raise LossError(f"Loading this file would take from stored responses what they have: "
                                f"{losses_text(losses)} (of {counts[1]:,} responses it updates). A survey tool's "
                                "new export does not take these away: the file is probably read with another "
                                "mapping than the survey's before.", losses, counts[1])
            receipt.warnings.extend(_lost_on_update(losses))
        if kept_attrs:
            receipt.warnings.append(
                f"{kept_attrs} unchanged response(s) differ only in descriptive fields (such as channel or "
                "customer details, e.g. an anonymised export); their answers are the same, so the stored "
                "values were kept.")
        encoding = (upload or {}).get("encoding")
        if kept_comments:
            receipt.comments_kept = kept_comments
            receipt.warnings.append(_kept_comments_text(kept_comments, encoding))
        if counts[0] or counts[1]:
            receipt.warnings.extend(_lost_comments_text(cur, encoding))
        if theme_patterns and (counts[0] or counts[1]):
            theme_flags.keep_upload(cur, upload_id, theme_patterns)
        cur.execute(
            "INSERT INTO agent_names SELECT DISTINCT agent_id, agent_name FROM incoming i "
            "WHERE agent_id IS NOT NULL AND agent_name IS NOT NULL "
            "AND agent_id NOT IN (SELECT agent_id FROM agent_names)"
        )
        receipt.added, receipt.updated, receipt.unchanged = counts
        receipt.responses = sum(counts)
        receipt.upload_id = upload_id
        up = upload or {}
        cur.execute(
            "INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, stored_path, layout, encoding, rows_read, "
            "added, updated, unchanged, rejected, excluded, receipt, repeats, repeat_most) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                upload_id, receipt.file_name or up.get("file_name"), up.get("sha256"), up.get("size_bytes"),
                up.get("stored_path"), up.get("layout"), up.get("encoding"), receipt.rows_read,
                receipt.added, receipt.updated, receipt.unchanged, len(receipt.rejected), len(receipt.excluded),
                json.dumps(receipt.to_dict(), ensure_ascii=False, default=str), repeats, repeat_most,
            ],
        )
    return receipt


def _repeated_measures(table: pa.Table) -> tuple[list[int], list[int]]:
    """Codes of the measures some response of `table` answers more than once, and the most
    answers of each one response gives, found on one integer per answer: a sort of a million of
    them takes a third of DuckDB's grouping of the registered table."""
    import numpy as np
    import pyarrow.compute as pc

    answered = pc.and_(pc.is_valid(table["c_measure"]), pc.is_valid(table["value"]))
    measure = pc.filter(table["c_measure"], answered).to_numpy().astype(np.int64)
    if not len(measure):
        return [], []
    width = int(measure.max()) + 1
    keys, times = np.unique(pc.filter(table[RESPONSE_INDEX], answered).to_numpy() * width + measure, return_counts=True)
    most = np.zeros(width, dtype=np.int64)
    np.maximum.at(most, keys[times > 1] % width, times[times > 1])
    codes = np.flatnonzero(most)
    return codes.tolist(), most[codes].tolist()


def _next_id(cur, table: str, col: str) -> int:
    return cur.execute(f"SELECT coalesce(max({quote_ident(col)}), 0) + 1 FROM {quote_ident(table)}").fetchall()[0][0]


def _encode(cur, table: pa.Table, segs: list[str]) -> pa.Table:
    """Add an integer code column c_<name> for every categorical column, inserting unseen values
    into the dictionary (`labels`, `sources`). Arrow's dictionary encoding finds the distinct
    values, so SQL only ever sees the few distinct strings, not every row's."""
    import pyarrow.compute as pc

    dims = [("source", "source", "c_source_id"), ("measure", "metric", "c_measure"), ("touchpoint", "touchpoint", "c_touchpoint"),
            ("team", "team", "c_team"), ("agent", "agent_id", "c_agent")] + [("seg_" + k, k, "c_seg_" + k) for k in segs]
    for dim, col, alias in dims:
        enc = pc.dictionary_encode(table[col].combine_chunks())
        values = enc.dictionary
        if dim == "measure":  # comments are text, not a measure: they get no code
            values = pc.filter(values, pc.not_equal(values, COMMENT))
            spelt = {}
        else:
            values, spelt = _new_spellings(cur, dim, values)
        cur.register("new_values", pa.table({"label": values}))
        try:
            if dim == "source":
                cur.execute(
                    """INSERT INTO sources (source_id, name)
                       SELECT (SELECT coalesce(max(source_id), 0) FROM sources) + row_number() OVER (ORDER BY label), label
                       FROM new_values WHERE label NOT IN (SELECT name FROM sources)""")
                rows = cur.execute("SELECT name, source_id FROM sources").fetchall()
            else:
                # A value only a replaced version held comes back with its code (see _forget_unused).
                revived = "FROM replaced_labels WHERE dim = ? AND label IN (SELECT label FROM new_values)"
                cur.execute(f"INSERT INTO labels SELECT dim, code, label {revived}", [dim])
                cur.execute(f"DELETE {revived}", [dim])
                cur.execute(
                    """INSERT INTO labels (dim, code, label)
                       SELECT ?, greatest((SELECT coalesce(max(code), 0) FROM labels WHERE dim = ?), ?)
                                 + row_number() OVER (ORDER BY label), label
                       FROM new_values WHERE label NOT IN (SELECT label FROM labels WHERE dim = ?)""",
                    [dim, dim, _high_water(cur, dim), dim])
                rows = cur.execute("SELECT label, code FROM labels WHERE dim = ?", [dim]).fetchall()
        finally:
            cur.unregister("new_values")
        code_of = dict(rows)
        dictionary_codes = pa.array([code_of.get(spelt.get(v, v)) for v in enc.dictionary.to_pylist()], pa.int32())
        table = table.append_column(alias, pc.take(dictionary_codes, enc.indices))
    return table


def _new_spellings(cur, dim: str, values: pa.Array) -> tuple[pa.Array, dict[str, str]]:
    """The values to add to the dictionary of `dim`, and {value: stored label} for values that
    are another spelling of a stored (or an earlier new) label: case, width, spacing and the
    Arabic/Persian forms of Kaf and Yeh folded (`model.label_key`). 'tehran' and 'كرج' then get
    the codes of 'Tehran' and 'کرج', so a filter, a split and a KPI's sources see one value."""
    from .model import label_key

    if dim == "source":
        stored = cur.execute("SELECT name FROM sources ORDER BY source_id").fetchall()
    else:
        stored = cur.execute("SELECT label FROM labels WHERE dim = ? ORDER BY code", [dim]).fetchall()
    exact = {label for (label,) in stored}
    first: dict[str, str] = {}
    for (label,) in stored:
        first.setdefault(label_key(label), label)
    spelt, fresh = {}, []
    for v in sorted(v for v in values.to_pylist() if v is not None):
        if v in exact:
            continue
        k = label_key(v)
        if k in first:
            spelt[v] = first[k]
        else:
            first[k] = v
            fresh.append(v)
    return pa.array(fresh, pa.string()), spelt


# What an update may take away from a stored response, as the receipt names it.
LOSSES = ("touchpoint", "team", "answer time", "answers", "comment")
# Losses an upload is refused for unless allowed (`apply(allow_losses=...)`): at least LOSS_FLOOR
# responses, and LOSS_SHARE of those the file updates. A survey tool's re-export takes a team or
# an answer from a response or two that were edited; a file read with another mapping than the
# survey's takes them from all (found by a review: every Google Forms response lost its team).
LOSS_FLOOR = 5
LOSS_SHARE = 0.02


class LossError(InputError):
    """An upload that would take from many stored responses what they have; nothing was written.
    `losses`: {what: responses} (LOSSES), `updated`: the responses the file would update."""

    def __init__(self, message: str, losses: dict[str, int], updated: int):
        super().__init__(message)
        self.losses, self.updated = losses, updated


def _losses(cur, upload_id: int) -> dict[str, int]:
    """{what: responses} of what the responses this upload updated had and lost: a touchpoint, a
    team, an answer time, the answer to a measure, a comment. A survey tool's re-export never takes
    them away; the same survey loaded with another mapping (the rules that gave them unused) does
    (found by an audit: every store of a Google Form lost its team, silently)."""
    lost = cur.execute(
        """SELECT count(*) FILTER (WHERE o.touchpoint IS NOT NULL AND n.touchpoint IS NULL),
                  count(*) FILTER (WHERE o.team IS NOT NULL AND n.team IS NULL),
                  count(*) FILTER (WHERE o.responded_at IS NOT NULL AND n.responded_at IS NULL),
                  -- (the answers of the responses updated only: a million-response store is not read)
                  (SELECT count(DISTINCT response_key) FROM (
                       SELECT response_key, measure FROM replaced_answers WHERE replaced_by = ?
                       EXCEPT SELECT response_key, measure FROM answers WHERE response_key IN
                           (SELECT response_key FROM replaced_responses WHERE replaced_by = ?))),
                  count(*) FILTER (WHERE o.comment IS NOT NULL AND n.comment IS NULL)
           FROM replaced_responses o JOIN responses n ON n.response_key = o.response_key
           WHERE o.replaced_by = ?""", [upload_id, upload_id, upload_id]).fetchall()[0]
    return {what: int(n) for what, n in zip(LOSSES, lost) if n}


def losses_text(losses: dict[str, int]) -> str:
    """'the team of 3,224, an answer of 12' (an answer to some measure it had)."""
    return ", ".join(f"an answer of {n:,}" if what == "answers" else f"the {what} of {n:,}" for what, n in losses.items())


def _lost_on_update(losses: dict[str, int]) -> list[str]:
    if not losses:
        return []
    return [f"Updated responses lost what they had: {losses_text(losses)}. A survey tool's new export does not take "
            "these away, so this file was probably read with another mapping than before. If so, remove this upload "
            "in the upload history: the stored versions come back."]


def _encoding_label(encoding: str | None) -> str | None:
    """The name people know a file's legacy code page by; None for Unicode (or no text encoding):
    those hold every character, so they lose none."""
    from .ingest.text import ENCODING_LABELS

    if not encoding or encoding.lower().replace("_", "-").startswith("utf"):
        return None
    return ENCODING_LABELS.get(encoding, encoding)


def _kept_comments_text(n: int, encoding: str | None) -> str:
    label = _encoding_label(encoding)
    return (f"{n:,} comment{'s' if n != 1 else ''} kept as stored: this file had lost some of {'their' if n != 1 else 'its'} "
            "characters to " + (f"its text encoding, {label}," if label else "a text encoding that cannot hold them,")
            + " which wrote '?' in their place.")


def _lost_comments_text(cur, encoding: str | None) -> list[str]:
    """A warning of the comments this upload stores, in a file of a legacy code page, that hold '?'
    where letters were: inside a word of other letters than ASCII ('خ?ل?'; a link's 'page?id=' is
    none) or as two words or more ('????? ?????'). A customer writes '???' now and then, never so.
    Nothing tells what the letters were: they are stored as they came, and the survey tool's own
    export, loaded later, puts them right (an edit)."""
    label = _encoding_label(encoding)
    if not label:
        return []
    n = cur.execute(
        r"""SELECT count(*) FROM stage WHERE outcome <> 'unchanged' AND contains(comment, '?')
            AND (regexp_matches(comment, '[^\x00-\x7F\PL]\?+\pL|\pL\?+[^\x00-\x7F\PL]')
                 OR len(list_filter(regexp_split_to_array(comment, '\s+'),
                                    lambda w: regexp_full_match(w, '\?\?+[[:punct:]]*'))) >= 2)""").fetchall()[0][0]
    if not n:
        return []
    one = n == 1
    return [f"{n:,} comment{'' if one else 's'} of this file {'has' if one else 'have'} question marks where "
            f"{'its' if one else 'their'} letters should be, as when text is saved in an encoding that cannot hold "
            f"them, like this file's {label}. {'It is' if one else 'They are'} stored as {'it' if one else 'they'} "
            "came: the file does not tell what was there. Loading the survey tool's own export (UTF-8) puts the "
            "text right."]


class Settled(NamedTuple):
    """A file's rows once its labels that a code page wrote '?' in are settled (settle_lost_labels)."""

    table: pa.Table  # the rows to store: a stored label kept, the responses rejected taken out
    rejected: list[tuple[int, str]]  # (row, reason) of the rows taken out
    kept: int  # stored responses that kept a label of theirs
    warnings: list[str]


# The label columns other than segments (normalise.LABEL_COLUMNS).
_LABEL_COLUMNS = ("touchpoint", "team", "agent_id", "agent_name")


def settle_lost_labels(db: Database, table: pa.Table, lost: dict | None, encoding: str | None = None) -> Settled:
    """Settle the labels of canonical `table` that hold '?' where letters were, lost to the code
    page its file was saved in (`lost`: {column: (the file's name of it, {value: the values it may
    stand for})}, ingest's Normalised.lost_labels). Stored, '???? ????' would be a team of its own,
    splitting a team's responses across two names (found by a review: an export re-saved from Excel
    in Windows-1256 turned every Hebrew team, region and language into question marks).
    A response stored already whose label is the value with letters lost (the rule comments keep
    theirs by, `_lost_to_encoding`), or a value the mapping knows it may stand for, keeps its label:
    the row brings it. Any other response with such a value is rejected, its rows listed with the
    reason: nothing tells what the letters were. Only the rows holding such values are read; the
    stored labels are read for their responses alone."""
    import numpy as np
    import pyarrow.compute as pc

    cols = [c for c, (_, values) in (lost or {}).items() if values and c in table.column_names]
    if not cols or not table.num_rows or not {"source", "source_response_id"} <= set(table.column_names):
        return Settled(table, [], 0, [])  # (rows without their response's id are refused by `apply`)
    # Each (column, value) is known by its number, the rows and stored labels by theirs: the SQL
    # below groups and joins integers, and reads text only once per distinct value and label.
    keys = [(c, v) for c in cols for v in lost[c][1]]
    key_of = {k: i for i, k in enumerate(keys)}
    found = []
    for c in cols:
        values = pa.array(list(lost[c][1]), pa.string())
        where = pc.index_in(table[c].combine_chunks().cast(pa.string()), value_set=values)
        pos = np.flatnonzero(pc.is_valid(where).to_numpy(zero_copy_only=False))
        if len(pos):
            first = key_of[(c, values[0].as_py())]
            index = where.take(pa.array(pos)).to_numpy(zero_copy_only=False)
            found.append((pos, index.astype(np.int32) + first))
    if not found:
        return Settled(table, [], 0, [])
    pos = pa.array(np.concatenate([p for p, _ in found]), pa.int64())
    rid = table[RESPONSE_INDEX].combine_chunks() if RESPONSE_INDEX in table.column_names \
        else response_index(table["source"], table["source_response_id"])
    agent = table["agent_id"].combine_chunks().cast(pa.string()) if "agent_id" in table.column_names \
        else pa.nulls(table.num_rows, pa.string())
    lost_rows = pa.table({"pos": pos, "rid": rid.take(pos), "key": np.concatenate([k for _, k in found]),
                          "source": table["source"].combine_chunks().take(pos),
                          "source_response_id": table["source_response_id"].combine_chunks().take(pos),
                          "agent_id": agent.take(pos)})
    lost_keys = pa.table({"key": pa.array(range(len(keys)), pa.int32()), "col": [c for c, _ in keys],
                          "came": [v for _, v in keys]})
    may_be = [(key_of[(c, came)], label) for c in cols for came, labels in lost[c][1].items() for label in labels]
    maybe = pa.table({"key": pa.array([k for k, _ in may_be], pa.int32()),
                      "label": pa.array([t for _, t in may_be], pa.string())})
    cur = db.cursor()
    names = pc.unique(lost_rows["source"]).drop_null()
    _, spelt = _new_spellings(cur, "source", names)  # 'Qualtrics' is the source stored as 'qualtrics'
    sources = pa.table({"name": names, "stored": pa.array([spelt.get(v, v) for v in names.to_pylist()], pa.string())})
    stored_dims = set(rollups.stored_dims(cur))
    with scratch(cur, tables=["lost_found", "lost_stored", "lost_same", "lost_kept", "lost_refused"],
                 registered=["lost_rows", "lost_keys", "lost_maybe", "lost_sources"]):
        for name, t in (("lost_rows", lost_rows), ("lost_keys", lost_keys), ("lost_maybe", maybe),
                        ("lost_sources", sources)):
            cur.register(name, t)
        cur.execute(
            f"""CREATE TEMP TABLE lost_found AS
                WITH ids AS (SELECT rid, any_value(source) AS source, any_value(source_response_id) AS source_response_id
                             FROM lost_rows GROUP BY rid)
                SELECT f.*, r.response_key FROM (SELECT DISTINCT rid, key, agent_id FROM lost_rows) f JOIN ids l USING (rid)
                LEFT JOIN lost_sources n ON n.name = l.source LEFT JOIN sources s ON s.name = n.stored
                LEFT JOIN responses r ON r.id_hash = {id_hash('s.source_id', 'l.source_response_id')}
                      AND r.source_id = s.source_id AND r.source_response_id = l.source_response_id""")
        # The labels each stored response holds in the column, on itself or on an answer. (An
        # agent's name is not one: it is stored once, with a new agent's id, `apply`.)
        held, params = [], []
        for c in cols:
            where = ("agent", "agent") if c == "agent_id" else (c, c) if c in ("touchpoint", "team") \
                else ("seg_" + c, dim_column(c)) if c not in _LABEL_COLUMNS and c in stored_dims else None
            if where is None:
                continue
            dim, column = where
            mine = "key IN (SELECT key FROM lost_keys WHERE col = ?)"
            found_here = f"SELECT response_key FROM lost_found WHERE {mine}"
            held.append(f"""SELECT f.rid, f.key, h.code, ? AS dim FROM lost_found f
                            JOIN (SELECT response_key, {column} AS code FROM responses WHERE response_key IN ({found_here})
                                  UNION SELECT response_key, {column} FROM answers WHERE response_key IN ({found_here})) h
                            USING (response_key) WHERE f.{mine} AND h.code IS NOT NULL""")
            params += [dim, c, c, c]
        cur.execute("CREATE TEMP TABLE lost_stored AS " + (" UNION ALL ".join(held) if held else
                    "SELECT NULL::BIGINT AS rid, NULL::INTEGER AS key, NULL::INTEGER AS code, NULL::VARCHAR AS dim LIMIT 0"),
                    params)
        # The stored labels each value is, with letters lost, by the comments' rule or as the
        # mapping knows it may stand for; decided once per distinct value and label. (A label
        # stored so before, the same as the file's, changes nothing either.)
        cur.execute(
            f"""CREATE TEMP TABLE lost_same AS
                WITH labels_came AS MATERIALIZED (
                    SELECT DISTINCT s.key, s.code, l.label AS stored, k.came
                    FROM (SELECT DISTINCT key, code, dim FROM lost_stored) s
                    JOIN labels l ON l.dim = s.dim AND l.code = s.code JOIN lost_keys k USING (key))
                SELECT key, code, stored FROM labels_came
                SEMI JOIN ({_lost_to_encoding('SELECT stored, came FROM labels_came')}) USING (stored, came)
                UNION SELECT key, code, stored FROM labels_came l SEMI JOIN lost_maybe m ON m.key = l.key AND m.label = l.stored
                UNION SELECT key, code, stored FROM labels_came WHERE stored = came""")
        # A response keeps the one stored label its value is; none where several are (two teams of
        # four Hebrew letters each, both '????').
        cur.execute("""CREATE TEMP TABLE lost_kept AS
                       SELECT rid, key, min(code) AS code FROM lost_stored SEMI JOIN lost_same USING (key, code)
                       GROUP BY rid, key HAVING min(code) = max(code)""")
        # A response is rejected for a value it does not keep, but for an agent's name that is not
        # stored (no agent id, or one stored with its name already).
        cur.execute(
            """CREATE TEMP TABLE lost_refused AS
               SELECT DISTINCT f.rid, f.key, f.response_key IS NOT NULL AS is_stored FROM lost_found f
               JOIN lost_keys k USING (key) ANTI JOIN lost_kept USING (rid, key)
               WHERE NOT (k.col = 'agent_name' AND (f.agent_id IS NULL OR f.agent_id IN (SELECT agent_id FROM agent_names)))""")
        refused = [(r, *keys[k], is_stored) for r, k, is_stored in
                   cur.execute("SELECT rid, key, is_stored FROM lost_refused ORDER BY rid, key").fetchall()]
        out_rids = pa.array(sorted({r for r, *_ in refused}), pa.int64())
        kept, kept_keys = cur.execute("""SELECT count(DISTINCT rid), list(DISTINCT key) FROM lost_kept
                                         WHERE rid NOT IN (SELECT rid FROM lost_refused)""").fetchall()[0]
        columns = {c: table[c].combine_chunks() for c in cols}
        kept_rows = cur.sql("""SELECT pos, k.key, s.stored FROM lost_rows JOIN lost_kept k USING (rid, key)
                               JOIN lost_same s USING (key, code) ORDER BY pos""").to_arrow_table()
        for c in cols:
            mine = pa.array([key_of[(c, v)] for v in lost[c][1]], pa.int32())
            rows = kept_rows.filter(pc.is_in(kept_rows["key"], value_set=mine))
            if rows.num_rows:
                mask = np.zeros(len(columns[c]), dtype=bool)
                mask[rows["pos"].to_numpy()] = True
                columns[c] = pc.replace_with_mask(columns[c].cast(pa.string()), pa.array(mask),
                                                  rows["stored"].combine_chunks().cast(pa.string()))
    for c, values in columns.items():
        table = table.set_column(table.schema.get_field_index(c), c, values)
    rejected: list[tuple[int, str]] = []
    if len(out_rids):
        gone = pc.is_in(rid, value_set=out_rids)
        rows = table["row_number"].combine_chunks() if "row_number" in table.column_names \
            else pa.array(np.arange(1, table.num_rows + 1))
        # One entry per row of the file (a wide file's response is one row, many rows of the table).
        rows, first = np.unique(rows.filter(gone).to_numpy(zero_copy_only=False), return_index=True)
        whose = rid.filter(gone).to_numpy()[first]
        lost_of: dict[int, list[tuple[str, str]]] = {}
        for r, c, came, _ in refused:
            lost_of.setdefault(r, []).append((c, came))
        said: dict[tuple, str] = {}
        for row, r in zip(rows.tolist(), whose.tolist()):
            what = tuple(lost_of[r])
            if what not in said:
                said[what] = _lost_label_reason(what, lost, encoding)
            rejected.append((row, said[what]))
        table = table.filter(pc.invert(gone))
    warnings = []
    if rejected:
        warnings.append(_lost_labels_text(len(rejected), refused, lost, encoding))
    if kept:
        warnings.append(_kept_labels_text(kept, [lost[c][0] for c in cols if c in {keys[k][0] for k in kept_keys}], encoding))
    return Settled(table, rejected, kept, warnings)


def _names(names: list[str]) -> str:
    """'Team', 'Team and Region', 'Team, Region and Language'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lost_label_reason(what: tuple[tuple[str, str], ...], lost: dict, encoding: str | None) -> str:
    """Why a row is rejected for its labels that lost their letters: "Team '???? ????': ..."."""
    label = _encoding_label(encoding)
    one = len(what) == 1
    return (", ".join(f"{lost[c][0]} '{came}'" for c, came in what) + ": question marks where letters were, lost to "
            + (f"the file's text encoding, {label}" if label else "a text encoding that cannot hold them")
            + f". Loaded as {'it is' if one else 'they are'}, {'it' if one else 'each'} would be a new value of "
            + ("its column" if one else "their columns") + ": load the file saved as CSV UTF-8.")


def _lost_labels_text(rows: int, refused: list[tuple], lost: dict, encoding: str | None) -> str:
    label = _encoding_label(encoding)
    columns = _names([f"'{lost[c][0]}'" for c in lost if c in {c for _, c, _, _ in refused}])
    stored = len({r for r, _, _, is_stored in refused if is_stored})
    one = rows == 1
    return (f"{rows:,} row{'' if one else 's'} not loaded (listed below): {'its' if one else 'their'} {columns} "
            f"{'has' if one and ' and ' not in columns else 'have'} question marks where letters were, such as "
            f"'{refused[0][2]}': "
            + (f"this file's text encoding, {label}, cannot hold those letters" if label else
               "the file was saved in a text encoding that cannot hold those letters (Excel's 'CSV' rather than "
               "'CSV UTF-8')")
            + " and wrote '?' for them. Loaded as they are, they would be new teams or values beside the ones they "
            "stand for, splitting their responses across two names. "
            + (f"{stored:,} of them {'is a response' if stored == 1 else 'are responses'} stored already, which "
               f"{'stays' if stored == 1 else 'stay'} as stored. " if stored else "")
            + "Save the file as 'CSV UTF-8' (in Excel: File > Save As), or download it again from the survey tool, "
            "and load that: these rows load then.")


def _kept_labels_text(n: int, columns: list[str], encoding: str | None) -> str:
    label = _encoding_label(encoding)
    return (f"{n:,} stored response{'s' if n != 1 else ''} kept {'their' if n != 1 else 'its'} "
            + _names([f"'{c}'" for c in columns]) + " as stored: this file had lost letters of "
            + ("them" if n != 1 or len(columns) > 1 else "it") + " to "
            + (f"its text encoding, {label}," if label else "a text encoding that cannot hold them,")
            + " which wrote '?' in their place.")


def many_losses(losses: dict[str, int], updated: int) -> bool:
    most = max(losses.values(), default=0)
    return most >= LOSS_FLOOR and most >= LOSS_SHARE * updated


_ANSWERS_HASHED = "c_measure, value, value_text, c_touchpoint, c_team, c_agent, responded_at"
# A response's content, from its rows in `incoming` grouped by response, order-independent (a
# re-export in another row order is unchanged). In the XOR two identical rows cancel out: a
# response repeating a row, re-sent with both copies edited alike, read as unchanged (found by a
# differential test). Such a response is hashed by the sum of its rows' hashes instead.
_CONTENT_HASH = f"""CASE WHEN count(DISTINCT hash({_ANSWERS_HASHED})) = count(*)
                        THEN hash(bit_xor(hash({_ANSWERS_HASHED})), count(*))
                        ELSE hash(sum(hash({_ANSWERS_HASHED})), count(*)) END"""
# A response of `stage` against its stored version `r`. The time is compared as well: in the XOR of
# the rows' hashes, a time that all of an even number of rows share cancels out (a response moved to
# another day kept its hash).
_OUTCOME = """CASE WHEN r.content_hash = stage.content_hash AND r.responded_at IS NOT DISTINCT FROM stage.responded_at
                   THEN 'unchanged' ELSE 'updated' END"""


def _merge(cur, segs: list[str], upload_id: int) -> tuple[int, int, int, int, int]:
    if cur.execute("SELECT count(*) FROM incoming WHERE source IS NULL OR source_response_id IS NULL").fetchall()[0][0]:
        raise InputError("some rows have no source or response id")
    seg_aliases = [quote_ident("c_seg_" + k) for k in segs]
    seg_any = "".join(f", any_value({a}) AS {a}" for a in seg_aliases)
    attrs_hashed = ", ".join(["customer_id"] + seg_aliases)
    # One row per response: its attributes and two order-independent hashes (a re-export in
    # another row order is unchanged). An edit is a change of the answers; descriptive fields
    # (segments, customer id) that differ while the answers do not are left as stored, because
    # a later export may be anonymised or recoded, which is not an edit of the response.
    cur.execute(
        f"""CREATE TEMP TABLE stage AS
            SELECT rid, any_value(c_source_id) AS source_id, any_value(source_response_id) AS source_response_id,
                   {id_hash('any_value(c_source_id)', 'any_value(source_response_id)')} AS id_hash,
                   min(responded_at) AS responded_at, any_value(customer_id) AS customer_id,
                   max(value_text) FILTER (WHERE metric = '{COMMENT}') AS comment,
                   CASE WHEN min(c_touchpoint) = max(c_touchpoint) THEN min(c_touchpoint) END AS touchpoint,
                   CASE WHEN min(c_team) = max(c_team) THEN min(c_team) END AS team,
                   CASE WHEN min(c_agent) = max(c_agent) THEN min(c_agent) END AS agent
                   {seg_any},
                   {_CONTENT_HASH} AS content_hash,
                   hash(any_value(hash({attrs_hashed}))) AS attr_hash,
                   NULL::BIGINT AS old_key, NULL::VARCHAR AS outcome, NULL::BIGINT AS response_key,
                   NULL::BOOLEAN AS attrs_differ
            FROM incoming GROUP BY rid"""
    )
    # The stored versions of these responses, found by the integer hash of their ids; the ids
    # themselves are compared only on the rows the hash found (comparing them in the join read
    # every stored id: 0.4 s at 10M responses, against 0.07 s).
    cur.execute(
        """CREATE TEMP TABLE stored AS
           SELECT s.rid, r.response_key, r.content_hash, r.responded_at, r.attr_hash,
                  r.source_id = s.source_id AND r.source_response_id = s.source_response_id AS same_id
           FROM responses r JOIN stage s ON r.id_hash = s.id_hash"""
    )
    cur.execute(
        f"""UPDATE stage SET old_key = r.response_key, outcome = {_OUTCOME},
                  attrs_differ = r.attr_hash IS DISTINCT FROM stage.attr_hash
           FROM stored r WHERE r.rid = stage.rid AND r.same_id"""
    )
    cur.execute("UPDATE stage SET outcome = 'added' WHERE outcome IS NULL")
    kept_comments = _keep_comments_lost_to_encoding(cur)
    # A response this file brings unchanged is this upload's too: removing the upload that first
    # brought it must leave it (remove_upload hands it over).
    cur.execute("""INSERT INTO resupplied SELECT r.response_key, r.upload_id, ? FROM stage
                   JOIN responses r ON r.response_key = stage.old_key WHERE stage.outcome = 'unchanged'""", [upload_id])
    added, updated, unchanged, kept_attrs = cur.execute(
        "SELECT count(*) FILTER (outcome = 'added'), count(*) FILTER (outcome = 'updated'), "
        "count(*) FILTER (outcome = 'unchanged'), count(*) FILTER (outcome = 'unchanged' AND attrs_differ) FROM stage"
    ).fetchall()[0]
    # New keys continue after every key ever used, including those of responses replaced below.
    base = cur.execute("SELECT coalesce(max(response_key), 0) FROM responses").fetchall()[0][0]
    # What the rollups must lose: the answers of the versions replaced (read before they go).
    changed = rollups.change_columns(cur)
    cur.execute(f"CREATE TEMP TABLE left_answers AS SELECT -1::TINYINT AS sign, {changed} FROM answers WHERE "
                + ("response_key IN (SELECT old_key FROM stage WHERE outcome = 'updated')" if updated else "false"))
    if updated:
        replaced = "SELECT old_key FROM stage WHERE outcome = 'updated'"
        # Every stored dimension: the new rows of a dimension this file lacks hold none of its values.
        was = _segment_codes(cur, replaced, [], rollups.stored_dims(cur))
        # The versions replaced are kept: removing this upload puts them back (remove_upload).
        for table in ("responses", "answers"):
            cur.execute(f"INSERT INTO replaced_{table} BY NAME SELECT *, ? AS replaced_by FROM {table} "
                        f"WHERE response_key IN ({replaced})", [upload_id])
        cur.execute(f"DELETE FROM answers WHERE response_key IN ({replaced})")
        cur.execute(f"DELETE FROM responses WHERE response_key IN ({replaced})")
        # Their comments' themes (cxdata.theme_flags): found again for the new text when a page needs them.
        theme_flags.forget(cur, replaced)
    cur.execute("UPDATE stage SET response_key = old_key WHERE outcome = 'updated'")
    cur.execute(
        """UPDATE stage SET response_key = ? + k.rn FROM (
               SELECT rid, row_number() OVER (ORDER BY responded_at, rid) AS rn FROM stage WHERE outcome = 'added') k
           WHERE stage.rid = k.rid""",
        [base],
    )
    seg_cols = "".join(f", {dim_column(k)}" for k in segs)
    seg_vals = "".join(f", {a}" for a in seg_aliases)
    cur.execute(
        f"""INSERT INTO responses (response_key, source_id, source_response_id, upload_id, responded_at, customer_id,
                                   comment, touchpoint, team, agent, content_hash, attr_hash, id_hash{seg_cols})
            SELECT response_key, source_id, source_response_id, ?, responded_at, customer_id, comment,
                   touchpoint, team, agent, content_hash, attr_hash, id_hash{seg_vals}
            FROM stage WHERE outcome <> 'unchanged'""",
        [upload_id],
    )
    if added:
        _link_cases(cur)
    _follow_invitations(cur, upload_id, added, updated)
    seg_rows = "".join(f", i.{a}" for a in seg_aliases)
    new_answers = ("FROM incoming i JOIN stage st USING (rid) "
                   "WHERE st.outcome <> 'unchanged' AND i.c_measure IS NOT NULL AND i.value IS NOT NULL")
    cur.execute(
        f"""INSERT INTO answers (response_key, responded_at, day, measure, value, touchpoint, team, agent{seg_cols})
            SELECT st.response_key, i.responded_at, i.responded_at::DATE, i.c_measure, i.value, i.c_touchpoint, i.c_team, i.c_agent{seg_rows}
            {new_answers}"""
    )
    # Each answer on its own day: a long-format file may give one response's rows different times.
    # Stored dimensions this file lacks: its answers hold none of their values.
    added_segs = "".join(f", i.{quote_ident('c_seg_' + k)} AS {dim_column(k)}" if k in segs else f", NULL::INTEGER AS {dim_column(k)}"
                         for k in rollups.stored_dims(cur))
    cur.execute(f"""CREATE TEMP VIEW answer_changes AS SELECT * FROM left_answers UNION ALL
                    SELECT 1::TINYINT, i.responded_at::DATE, i.c_measure, i.c_touchpoint, i.c_team, i.value{added_segs} {new_answers}""")
    rollups.apply_changes(cur, "answer_changes")
    if updated:
        # The values the file brings again are in use; an edit rarely changes segments, so this
        # usually leaves nothing to check.
        if segs:
            present = cur.execute(
                "SELECT " + ", ".join(f"list(DISTINCT {a})" for a in seg_aliases) + " FROM incoming").fetchall()[0]
            for key, codes in zip(segs, present):
                was.get(key, set()).difference_update(codes or [])
        _forget_unused(cur, was)
    return added, updated, unchanged, kept_attrs, kept_comments


def _lost_to_encoding(pairs: str) -> str:
    """SQL of the distinct (stored, came) of the query `pairs` in which `came` is the text `stored`
    with characters an encoder of a legacy code page wrote as '?': a comment or a label of an
    export re-saved from Excel in Windows-1256 ('שירות מצוין' as '????? ?????')."""
    unit = r"'([\x{10000}-\x{10FFFF}])', '\1\1', 'g'"  # a character beyond the BMP is two UTF-16 units

    def graphemes(text: str) -> str:
        return f"list_transform(range(1, length_grapheme({text}) + 1), lambda i: substring_grapheme({text}, i, 1))"

    # An encoder of a legacy code page (Windows-1256, -1251, -1252, ...) writes '?' for each
    # character it cannot hold: none of them ASCII, which every code page holds, and every occurrence
    # (one it holds is kept wherever it stands). A '?' more, a letter less, a '?' for an ASCII letter
    # is an edit. Encoders write one '?' per character (most), per UTF-16 unit (an emoji as '??', as
    # some Windows programs do) or per character as a reader sees one (joined emoji as one '?'): the
    # text comes as long as the stored one, longer or shorter, so each text is tried one way.
    return f"""
        WITH pairs AS MATERIALIZED (SELECT DISTINCT stored, came FROM ({pairs}) WHERE stored <> came AND contains(came, '?')),
            -- The stored text with each character as often as the encoder writes '?' for it.
            units AS (SELECT *, stored AS units FROM pairs WHERE length(came) = length(stored)
                      UNION ALL SELECT *, regexp_replace(stored, {unit}) FROM pairs WHERE length(came) > length(stored)),
            -- The characters that `came` has nowhere; materialised, or DuckDB computes them once per use.
            gone AS MATERIALIZED (SELECT *, translate(units, came, '') AS gone FROM units WHERE length(units) = length(came))
        SELECT stored, came FROM gone
        WHERE gone <> '' AND NOT regexp_matches(gone, '[[:ascii:]]')
          AND translate(units, gone, repeat('?', length(gone))) = came
        UNION ALL
        SELECT stored, came FROM (
            SELECT *, {graphemes('stored')} AS was, {graphemes('came')} AS now FROM pairs
            WHERE length(came) < length(stored) AND length_grapheme(came) = length_grapheme(stored))
        WHERE list_bool_and(list_transform(was, lambda g, i: g = now[i] OR (now[i] = '?' AND regexp_matches(g, '[^[:ascii:]]'))))
          AND NOT list_has_any(list_filter(was, lambda g, i: g <> now[i]), list_filter(was, lambda g, i: g = now[i]))"""


def _keep_comments_lost_to_encoding(cur) -> int:
    """Keep the stored text of the comments that this file brings with characters lost to its
    encoding (an export re-saved from Excel in a legacy code page overwrote good Hebrew with
    '????? ?????', found by a review). Such a response is hashed as if the file had brought the
    stored text: unchanged unless an answer was edited too (then updated, its comment as stored),
    and the same file or the original loaded next compare alike. Only the responses the merge found
    changed are read, and of those the ones whose comment differs. Returns the comments kept."""
    cur.execute(
        f"""CREATE TEMP TABLE kept_comments AS
            WITH differ AS MATERIALIZED (
                SELECT s.rid, r.comment AS stored, s.comment AS came FROM stage s JOIN responses r ON r.response_key = s.old_key
                WHERE s.outcome = 'updated' AND s.comment <> r.comment AND contains(s.comment, '?'))
            SELECT rid, stored, came FROM differ JOIN ({_lost_to_encoding('SELECT stored, came FROM differ')}) USING (stored, came)""")
    kept = cur.execute("SELECT count(*) FROM kept_comments").fetchall()[0][0]
    if kept:
        cur.execute(
            f"""UPDATE stage SET comment = k.stored, content_hash = h.content_hash
                FROM kept_comments k JOIN (
                    SELECT rid, {_CONTENT_HASH} AS content_hash FROM (
                        SELECT i.* REPLACE (CASE WHEN i.metric = '{COMMENT}' AND i.value_text = k.came
                                                 THEN k.stored ELSE i.value_text END AS value_text)
                        FROM incoming i JOIN kept_comments k USING (rid))
                    GROUP BY rid) h USING (rid)
                WHERE stage.rid = k.rid""")
        cur.execute(f"""UPDATE stage SET outcome = {_OUTCOME} FROM stored r
                        WHERE r.rid = stage.rid AND r.same_id AND stage.rid IN (SELECT rid FROM kept_comments)""")
    return kept


UPDATES_LISTED = 1000  # the changes an upload's receipt lists (its count of updated responses is complete)


def updated_responses(cur, upload_id: int, limit: int = UPDATES_LISTED) -> list[tuple]:
    """(source, response id, field, before, after) of what `upload_id` changed in the responses it
    updated: each answer (a measure, at its touchpoint), the comment, the answer time and the team,
    the first `limit` of them by response. Read from what the merge keeps anyway, the versions it
    replaced (`replaced_*`, for removing the upload) beside the stored ones, so a load pays for it
    only when it updated something (found by a review: "Updated 3", and no word of which or how)."""
    def shown(col: str) -> str:  # a score as the screen writes it: 9, not 9.0
        return f"CASE WHEN {col} = round({col}) THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END"

    return cur.execute(
        f"""WITH old_r AS (SELECT * FROM replaced_responses WHERE replaced_by = $id),
                 new_r AS (SELECT * FROM responses WHERE response_key IN (SELECT response_key FROM old_r)),
                 lab AS (SELECT dim, code, any_value(label) AS label
                         FROM (SELECT * FROM labels UNION ALL SELECT * FROM replaced_labels)
                         WHERE dim IN ('measure', 'touchpoint', 'team') GROUP BY ALL),
                 old_a AS (SELECT response_key, measure, coalesce(touchpoint, -1) AS tp,
                                  string_agg({shown('value')}, ' | ' ORDER BY value) AS v
                           FROM replaced_answers WHERE replaced_by = $id GROUP BY ALL),
                 new_a AS (SELECT response_key, measure, coalesce(touchpoint, -1) AS tp,
                                  string_agg({shown('value')}, ' | ' ORDER BY value) AS v
                           FROM answers WHERE response_key IN (SELECT response_key FROM old_r) GROUP BY ALL),
                 answers_changed AS (
                     SELECT coalesce(o.response_key, n.response_key) AS response_key,
                            m.label || CASE WHEN coalesce(o.tp, n.tp) >= 0 THEN ' at ' || coalesce(t.label, '?') ELSE '' END AS field,
                            o.v AS before, n.v AS after
                     FROM old_a o FULL JOIN new_a n ON o.response_key = n.response_key AND o.measure = n.measure AND o.tp = n.tp
                     LEFT JOIN lab m ON m.dim = 'measure' AND m.code = coalesce(o.measure, n.measure)
                     LEFT JOIN lab t ON t.dim = 'touchpoint' AND t.code = coalesce(o.tp, n.tp)
                     WHERE o.v IS DISTINCT FROM n.v),
                 changed AS (
                     SELECT * FROM answers_changed
                     UNION ALL SELECT response_key, 'comment', o.comment, n.comment
                               FROM old_r o JOIN new_r n USING (response_key) WHERE o.comment IS DISTINCT FROM n.comment
                     UNION ALL SELECT response_key, 'answer time (UTC)', strftime(o.responded_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S'),
                                      strftime(n.responded_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S')
                               FROM old_r o JOIN new_r n USING (response_key) WHERE o.responded_at IS DISTINCT FROM n.responded_at
                     UNION ALL SELECT response_key, 'team', bt.label, nt.label
                               FROM old_r o JOIN new_r n USING (response_key)
                               LEFT JOIN lab bt ON bt.dim = 'team' AND bt.code = o.team
                               LEFT JOIN lab nt ON nt.dim = 'team' AND nt.code = n.team
                               WHERE o.team IS DISTINCT FROM n.team)
            SELECT s.name, r.source_response_id, c.field, c.before, c.after
            FROM changed c JOIN old_r r USING (response_key) JOIN sources s ON s.source_id = r.source_id
            ORDER BY s.name, r.source_response_id, c.field LIMIT $limit""",
        {"id": upload_id, "limit": limit}).fetchall()


def _segment_codes(cur, keys_sql: str, params: list, segs: list[str]) -> dict[str, set[int]]:
    """The segment value codes the responses `keys_sql` selects hold, on the response or on any of
    its answers (a canonical file may give one response's rows different values), read before
    they are deleted."""
    if not segs:
        return {}
    cols = [dim_column(k) for k in segs]
    lists = ", ".join(f"list(DISTINCT {c})" for c in cols)
    held = ", ".join(cols)
    row = cur.execute(
        f"""SELECT {lists} FROM (SELECT {held} FROM responses WHERE response_key IN ({keys_sql})
                                  UNION ALL SELECT {held} FROM answers WHERE response_key IN ({keys_sql}))""",
        params + params).fetchall()[0]
    return {k: {c for c in codes if c is not None} for k, codes in zip(segs, row) if codes}


def _forget_unused(cur, candidates: dict[str, set[int]]) -> None:
    """Drop the candidate segment values that no stored response or answer holds any more (their
    responses were removed or edited), so that the filters stop offering values that select
    nothing. One statement per dimension. A dropped value's code is never given again (a
    reader's catalog from before the write must not name another value with it): the highest
    code a dimension has given is kept in `meta`."""
    for key, codes in candidates.items():
        if not codes:
            continue
        col, dim, codes = dim_column(key), "seg_" + key, sorted(codes)
        gone = cur.execute(
            f"""DELETE FROM labels WHERE dim = ? AND code = ANY(?)
                  AND code NOT IN (SELECT {col} FROM responses WHERE {col} = ANY(?))
                  AND code NOT IN (SELECT {col} FROM answers WHERE {col} = ANY(?))
                RETURNING code, label""", [dim, codes, codes, codes]).fetchall()
        # A value a replaced version still holds waits in `replaced_labels` for that version to
        # come back (remove_upload) or for a new upload to bring the value again (_encode).
        if gone:
            cur.executemany("INSERT INTO replaced_labels VALUES (?, ?, ?)", [(dim, code, label) for code, label in gone])
        cur.execute(
            f"""DELETE FROM replaced_labels WHERE dim = ? AND code = ANY(?)
                  AND code NOT IN (SELECT {col} FROM replaced_responses WHERE {col} = ANY(?))
                  AND code NOT IN (SELECT {col} FROM replaced_answers WHERE {col} = ANY(?))""", [dim, codes, codes, codes])
        gone = [code for code, _ in gone]
        if gone:
            Database.set_meta(cur, _HIGH_WATER + dim, str(max(gone + [_high_water(cur, dim)])))


_HIGH_WATER = "label_high_water:"  # meta key: the highest code a dictionary dimension has given


def _high_water(cur, dim: str) -> int:
    rows = cur.execute("SELECT value FROM meta WHERE key = ?", [_HIGH_WATER + dim]).fetchall()
    return int(rows[0][0]) if rows else 0


class Removal(NamedTuple):
    deleted: int  # responses the upload had added: gone
    restored: int  # responses the upload had edited: back to the version it replaced
    kept: int = 0  # responses a remaining upload also brought, unchanged: they stay, now its
    invitations: int = 0  # invitations of an invitation list's upload: gone
    invitations_restored: int = 0  # invitations it corrected: back to the version before


def remove_upload(db: Database, upload_id: int) -> Removal:
    """Undo an upload: the responses it added are deleted, and those it edited go back to the
    version it replaced (kept in `replaced_*`). Responses a later upload replaced in turn stay with
    that upload, which now counts as having replaced the version before this one. A version that
    another remaining upload brought again unchanged (`resupplied`) is not undone: it passes to the
    earliest such upload. The upload stays in the history, marked removed."""
    with db.transaction() as cur, scratch(cur, tables=["gone", "later", "answer_changes", "moved"]):
        row = cur.execute("SELECT removed_at IS NOT NULL FROM uploads WHERE upload_id = ?", [upload_id]).fetchall()
        if not row:
            raise InputError(f"there is no upload {upload_id}")
        if row[0][0]:
            raise InputError(f"upload {upload_id} was already removed")
        u = [upload_id]
        # An invitation list's upload holds invitations, not responses (cxdata.invitations).
        from .invitations import undo

        invited, corrected = undo(cur, upload_id)
        kept = _hand_over(cur, upload_id)
        cur.execute("CREATE TEMP TABLE gone AS SELECT response_key FROM responses WHERE upload_id = ?", u)
        # The customers whose responses go or change back: their invitations find their first answer again.
        cur.execute("""CREATE TEMP TABLE moved AS SELECT lower(s.name) AS src, r.customer_id
                       FROM responses r JOIN sources s USING (source_id) WHERE r.upload_id = ?""", u)
        # This upload's versions that a later upload replaced: (response, the later upload).
        cur.execute("CREATE TEMP TABLE later AS SELECT response_key, replaced_by FROM replaced_responses WHERE upload_id = ?", u)
        back = "SELECT response_key FROM replaced_responses WHERE replaced_by = ? AND response_key IN (SELECT response_key FROM gone)"
        # What the rollups lose (this upload's answers) and get back (the versions it replaced).
        changed = rollups.change_columns(cur)
        cur.execute(
            f"""CREATE TEMP TABLE answer_changes AS
                SELECT -1::TINYINT AS sign, {changed} FROM answers WHERE response_key IN (SELECT response_key FROM gone)
                UNION ALL SELECT 1::TINYINT, {changed} FROM replaced_answers WHERE replaced_by = ? AND response_key IN ({back})""", u + u)
        removed, restored = cur.execute(f"SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM ({back}))", u).fetchall()[0]
        dims = db.segment_dims(cur)
        was = _segment_codes(cur, "SELECT response_key FROM gone", [], dims)
        for key, codes in _replaced_codes(cur, upload_id, dims).items():
            was.setdefault(key, set()).update(codes)
        cur.execute("DELETE FROM answers WHERE response_key IN (SELECT response_key FROM gone)")
        cur.execute("DELETE FROM responses WHERE upload_id = ?", u)
        theme_flags.forget(cur, "SELECT response_key FROM gone")
        for table in ("responses", "answers"):
            cur.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_{table} "
                        f"WHERE replaced_by = ? AND response_key IN (SELECT response_key FROM gone)", u)
            cur.execute(f"DELETE FROM replaced_{table} WHERE replaced_by = ? AND response_key IN (SELECT response_key FROM gone)", u)
        for key in dims:
            col = dim_column(key)
            back_codes = (f"SELECT {col} FROM responses WHERE response_key IN (SELECT response_key FROM gone) "
                          f"UNION SELECT {col} FROM answers WHERE response_key IN (SELECT response_key FROM gone)")
            cur.execute(f"INSERT INTO labels SELECT * FROM replaced_labels WHERE dim = ? AND code IN ({back_codes})", ["seg_" + key])
            cur.execute(f"DELETE FROM replaced_labels WHERE dim = ? AND code IN ({back_codes})", ["seg_" + key])
        # This upload's replaced versions go, and the versions before them take their place.
        cur.execute("DELETE FROM replaced_answers a USING later l WHERE a.response_key = l.response_key AND a.replaced_by = l.replaced_by")
        cur.execute("DELETE FROM replaced_responses WHERE upload_id = ?", u)
        for table in ("responses", "answers"):
            cur.execute(f"UPDATE replaced_{table} SET replaced_by = l.replaced_by FROM later l "
                        f"WHERE replaced_{table}.replaced_by = ? AND replaced_{table}.response_key = l.response_key", u)
        cur.execute("DELETE FROM resupplied WHERE upload_id = ? OR owner = ?", u + u)
        cur.execute("UPDATE uploads SET removed_at = now() WHERE upload_id = ?", u)
        rollups.apply_changes(cur, "answer_changes")
        _forget_unused(cur, was)
        from .invitations import follow_answers

        follow_answers(cur, "SELECT src, customer_id FROM moved UNION ALL SELECT lower(s.name), r.customer_id "
                            "FROM responses r JOIN sources s USING (source_id) "
                            "WHERE r.response_key IN (SELECT response_key FROM gone)")
        # The cases of the responses gone for good wait, unlinked, for their response to come back.
        cur.execute("""UPDATE cases SET response_key = NULL WHERE response_key IN (SELECT response_key FROM gone)
                       AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_key = cases.response_key)""")
    return Removal(removed - restored, restored, kept, invited, corrected)


def _link_cases(cur) -> None:
    """Cases (cxdata.loop) are known by their response's source and id, and found by its key: a
    response added again (its upload removed, then loaded again) gets a new key, which its case
    follows. Only cases left without a response are looked at, so an upload into a programme with
    many cases costs nothing here."""
    cur.execute("""UPDATE cases SET response_key = s.response_key FROM stage s
                   WHERE cases.response_key IS NULL AND s.outcome = 'added'
                     AND cases.source_id = s.source_id AND cases.source_response_id = s.source_response_id""")


def _follow_invitations(cur, upload_id: int, added: int, updated: int) -> None:
    """The invitations of the customers whose responses this upload added or edited find their
    first answer again (cxdata.invitations): an added response answers the invitation before it,
    if it is the earlier; an edit may change a response's customer or time, so the customers of
    the edited responses, as they were and as they are, have all their responses matched again."""
    from .invitations import follow_answers, take_answers

    if added:
        take_answers(cur, "SELECT lower(s.name), st.customer_id, st.responded_at FROM stage st "
                          "JOIN sources s USING (source_id) WHERE st.outcome = 'added'")
    if updated:
        follow_answers(cur, "SELECT lower(s.name), st.customer_id FROM stage st JOIN sources s USING (source_id) "
                            "WHERE st.outcome = 'updated' UNION ALL SELECT lower(s.name), o.customer_id "
                            "FROM replaced_responses o JOIN sources s USING (source_id) WHERE o.replaced_by = ?",
                       [upload_id])


def _hand_over(cur, upload_id: int) -> int:
    """Pass the versions `upload_id` owns, current or replaced, that a remaining upload brought
    again unchanged, to the earliest such upload (it would own them had `upload_id` never been
    loaded); the versions they replaced now count as replaced by it. Returns the current
    responses handed over."""
    u = [upload_id]
    with scratch(cur, tables=["heirs"]):
        cur.execute("""CREATE TEMP TABLE heirs AS SELECT response_key, min(upload_id) AS heir FROM resupplied
                       WHERE owner = ? AND upload_id <> ? GROUP BY response_key""", u + u)
        kept = cur.execute("SELECT count(*) FROM responses r JOIN heirs h USING (response_key) WHERE r.upload_id = ?",
                           u).fetchall()[0][0]
        for table, column in (("responses", "upload_id"), ("replaced_responses", "upload_id"),
                              ("replaced_responses", "replaced_by"), ("replaced_answers", "replaced_by"),
                              ("resupplied", "owner")):
            cur.execute(f"UPDATE {table} SET {column} = h.heir FROM heirs h "
                        f"WHERE {table}.response_key = h.response_key AND {table}.{column} = ?", u)
        # The heir's record of bringing the version again is now its ownership.
        cur.execute("DELETE FROM resupplied WHERE owner = upload_id")
    return kept


def _replaced_codes(cur, upload_id: int, segs: list[str]) -> dict[str, set[int]]:
    """The segment codes the replaced versions that came from `upload_id` hold (read before a
    removal deletes them)."""
    if not segs:
        return {}
    cols = [dim_column(k) for k in segs]
    lists = ", ".join(f"list(DISTINCT {c})" for c in cols)
    held, held_a = ", ".join(cols), ", ".join(f"a.{c}" for c in cols)
    row = cur.execute(
        f"""SELECT {lists} FROM (
                SELECT {held} FROM replaced_responses WHERE upload_id = ?
                UNION ALL SELECT {held_a} FROM replaced_answers a JOIN replaced_responses r
                    ON a.response_key = r.response_key AND a.replaced_by = r.replaced_by WHERE r.upload_id = ?)""",
        [upload_id, upload_id]).fetchall()[0]
    return {k: {c for c in codes if c is not None} for k, codes in zip(segs, row) if codes}
