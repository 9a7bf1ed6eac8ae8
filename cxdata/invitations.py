"""Silent customers: the invitation lists surveys were sent to, and who of them answered.

An invitation list has one row per customer asked (customer id, when, by which survey source, in
which wave, with the customer's segments). A response answers an invitation when it comes from
the same source and customer, at or after the invitation and within the model's
`invitations.window_days`; it answers the latest such invitation only, so a customer invited
every quarter answers each wave once. The response rate (invitations answered / invitations
sent, Wilson interval) per segment value, against the rest of the list, shows who stays silent.

Invitations are stored as they are, segment values as text (no label codes: an invitation list
may name values no response has, and the responses' dictionary drops values no response holds).
Each load is an upload in the history (layout 'invitations') that holds the invitations its file
lists (`invitation_holds`); removing it (store.remove_upload) removes those no other upload holds.

Each invitation keeps the time of its first answer (`first_response_at`: the earliest response of
its source and customer at or after it and before the next invitation of theirs), which every
write keeps right for the (source, customer) pairs it touches (`take_answers`, `follow_answers`).
Whether it was answered within the window is then a comparison on the invitation itself, whatever
the window.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import stats
from .model import Model, label_key
from .period import Period
from .sql import dim_column
from .view import ViewState

LAYOUT = "invitations"
# Header words of the columns an invitation list must or may have (compared as upload keys;
# 'w:' a whole word). Customer ids and segments use the survey exports' own vocabulary.
TIME_WORDS = ["invited", "invitation", "w:sent", "send date", "date sent", "sent at", "w:distributed",
              "دعوت", "تاریخ ارسال", "ارسال", "الدعوة", "تاريخ الإرسال", "إرسال", "покана", "изпратен", "изпратено",
              "הזמנה", "נשלח", "einladung", "gesendet", "envoy", "invitación", "enviad", "приглаш", "отправлен"]
# A date column named no more precisely is the invitation's only when it is the file's one date column:
# 'Signup date' or 'Date of birth' beside it must not become the invitation date.
DATE_WORDS = ["w:date", "w:datum", "w:fecha", "w:تاریخ", "w:تاريخ", "w:дата", "w:תאריך", "timestamp"]
SOURCE_WORDS = ["survey tool", "w:tool", "w:survey", "w:source", "w:questionnaire", "نظرسنجی", "پرسشنامه", "ابزار",
                "الاستبيان", "أداة", "анкета", "проучване", "סקר", "umfrage", "w:enquête", "w:encuesta", "опрос"]
WAVE_WORDS = ["w:wave", "w:round", "w:موج", "w:دوره", "w:الموجة", "w:вълна", "w:גל", "w:welle", "w:vague", "w:ola"]
REJECT_SHOWN = 1000


class InvitationError(ValueError):
    """An invitation list that cannot be loaded; nothing was written. The message is for the user."""


@dataclass
class InvitationReceipt:
    file_name: str = ""
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # role or segment key -> header
    ignored: list[str] = field(default_factory=list)  # headers not stored
    warnings: list[str] = field(default_factory=list)
    upload_id: int | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rejected_count"] = len(self.rejected)
        d["status"] = "loaded"
        return d


# -- columns ---------------------------------------------------------------------------------

def recognise(headers: list[str], model: Model) -> tuple[dict[str, int], list[str]]:
    """{role or segment key: column} for 'customer_id', 'invited_at', 'source', 'wave' and the
    model's segments, from the header text; and the headers left over. The model's segment named
    'source' is the survey source itself."""
    found, left, _ = _recognise(headers, model)
    return found, left


def _recognise(headers: list[str], model: Model) -> tuple[dict[str, int], list[str], list[str]]:
    """recognise(), and the headers of the date columns named no more precisely than 'date'."""
    from .ingest._text import has_keyword, header_key, keyword
    from .ingest._vocab import ROLE_WORDS, SEGMENT_WORDS

    keys = [header_key(h) for h in headers]
    words = {"customer_id": dict(ROLE_WORDS)["customer_id"], "invited_at": TIME_WORDS, "source": SOURCE_WORDS,
             "wave": WAVE_WORDS}
    found: dict[str, int] = {}
    segs = [s for s in model.segments if s.key not in words]
    segments = {label_key(s.key): s.key for s in segs} | {label_key(s.name): s.key for s in segs}
    segments |= {label_key(s.name): "source" for s in model.segments if s.key == "source"}
    canonical = dict(SEGMENT_WORDS)
    for i, k in enumerate(keys):
        if not k:
            continue
        seg = segments.get(label_key(headers[i])) or segments.get(k) or segments.get(k.replace(" ", "_"))
        if seg is None:
            seg = next((s.key for s in segs if any(has_keyword(k, keyword(w)) for w in canonical.get(s.key, ()))), None)
        role = next((r for r, ws in words.items() if r not in found and any(has_keyword(k, keyword(w)) for w in ws)), None)
        # A role's own words win over a segment's ('Survey source' is the source, 'Customer tier' a segment).
        if role and not (seg and label_key(headers[i]) in segments):
            found[role] = i
        elif seg and seg not in found:
            found[seg] = i
    dates = [i for i, k in enumerate(keys) if k and i not in found.values()
             and any(has_keyword(k, keyword(w)) for w in DATE_WORDS)]
    if "invited_at" not in found and len(dates) == 1:
        found["invited_at"] = dates[0]
    left = [h for i, h in enumerate(headers) if i not in found.values() and str(h or "").strip()]
    return found, left, [headers[i] for i in dates if i not in found.values()]


def looks_like_invitations(headers: list[str], model: Model, *, answers: bool = False) -> bool:
    """A customer list to measure response rates with, rather than survey answers: a customer id
    and a column named as the invitation's date, and few others. `answers`: the survey-export
    engine found rating columns in the file, which an invitation list has none of."""
    from .ingest._text import has_keyword, header_key, keyword

    found, left = recognise(headers, model)
    named = "invited_at" in found and any(has_keyword(header_key(headers[found["invited_at"]]), keyword(w))
                                          for w in TIME_WORDS)
    return not answers and named and "customer_id" in found and len(left) <= max(3, len(found))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- loading ---------------------------------------------------------------------------------

def load(db, model: Model, path: str | Path, *, source: str | None = None, file_name: str | None = None,
         encoding: str | None = None, sheet: str | None = None, dayfirst: bool | None = None,
         timezone: str = "UTC") -> InvitationReceipt:
    """Read an invitation list and store it in one transaction: rows already stored (same source,
    customer and time) are unchanged or updated (with what the file says; what it leaves blank
    stays), the others added; rows without a customer, a readable time or a source are rejected
    with their row number. Every upload holds the invitations its file lists
    (`invitation_holds`): an invitation goes when the last upload holding it is removed."""
    from .ingest._arrow import clean
    from .ingest._csv import blank_tail
    from .ingest._dims import customer_id as customer_ids
    from .ingest.errors import IngestError
    from .ingest.read import read_raw
    from .ingest.values import parse_timestamps_detailed

    path = Path(path)
    try:
        raw = read_raw(path, encoding=encoding, sheet=sheet)
    except IngestError as exc:
        raise InvitationError(str(exc)) from None
    table = raw.table
    if table.num_rows < 2:
        raise InvitationError("The file has no rows under its header: there is no invitation to load.")
    headers = [_one_line(table.column(i)[0].as_py() or "") for i in range(table.num_columns)]
    found, left, dates = _recognise(headers, model)
    if len(left) > max(3, len(found)):
        raise InvitationError(f"{len(left)} of the file's columns are not an invitation list's ({', '.join(left[:5])}"
                              f"{', …' if len(left) > 5 else ''}): it looks like survey responses. Load it as a survey "
                              "export instead.")
    if "invited_at" not in found and len(dates) > 1:
        raise InvitationError(f"Several date columns ({', '.join(dates[:5])}) and none named as the invitation's: "
                              "name the column of the date each customer was invited 'invited_at'.")
    missing = [what for role, what in (("customer_id", "customer id"), ("invited_at", "invitation date"))
               if role not in found]
    if missing:
        raise InvitationError(f"No {' or '.join(missing)} column found (the header reads: "
                              f"{', '.join(h for h in headers if h)[:300]}). An invitation list needs a customer id "
                              "and the date each customer was invited.")
    if "source" not in found and not source:
        raise InvitationError("No survey source column (such as 'survey_tool') found: say which survey the "
                              "invitations were for.")
    body = table.slice(1)
    rows = raw.row_numbers.slice(1)
    n = body.num_rows
    # empty lines closing the file (an editor's or Excel's) are no rows of the list
    tail = set(blank_tail(raw.row_numbers, raw.problems))
    problems = [(row, why) for row, why in raw.problems if row not in tail]
    receipt = InvitationReceipt(file_name=file_name or path.name, rows_read=n + len(problems),
                                columns={k: headers[i] for k, i in found.items()}, ignored=left)
    # Customer ids as the survey exports' are stored (digits, case, spaces): so they meet.
    customer = customer_ids(clean(body.column(found["customer_id"])))
    times = parse_timestamps_detailed(body.column(found["invited_at"]), tz=timezone, dayfirst=dayfirst)
    src = clean(body.column(found["source"])) if "source" in found else pa.nulls(n, pa.string())
    if source:  # the source given for the list fills the cells that name none
        src = pc.fill_null(src, source)
    src = _source_names(db, src)
    wave = clean(body.column(found["wave"])) if "wave" in found else pa.nulls(n, pa.string())
    segs = {s.key: _segment_values(s, clean(body.column(found[s.key]))) for s in model.segments
            if s.key in found and s.key != "source"}
    reasons: list[str | None] = [None] * n
    for mask, reason in ((pc.is_null(customer), "no customer id"),
                         (times.unparseable, "the invitation date cannot be read"),
                         (pc.and_(pc.is_null(times.values), pc.invert(times.unparseable)), "no invitation date"),
                         (pc.is_null(src), "no survey source")):
        for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            reasons[i] = reasons[i] or reason
    keys: dict = {}
    for i, key in enumerate(zip((label_key(v) if v else v for v in src.to_pylist()), customer.to_pylist(),
                                times.values.to_pylist())):
        if reasons[i] is None:
            first = keys.setdefault(key, i)
            if first != i:
                reasons[i] = f"the same invitation as row {rows[first].as_py()}"
    receipt.rejected = sorted([(rows[i].as_py(), reasons[i]) for i, r in enumerate(reasons) if r]
                              + [(row, _one_line(why)) for row, why in problems])
    good = pa.array([r is None for r in reasons])
    staged = pa.table({"source": src, "customer_id": customer, "invited_at": times.values, "wave": wave,
                       **{f"seg_{k}": v for k, v in segs.items()}}).filter(good)
    if not staged.num_rows:
        raise InvitationError(f"None of the {n:,} rows is an invitation that can be stored (the first problem: row "
                              f"{receipt.rejected[0][0]}, {receipt.rejected[0][1]}).")
    given = (["wave"] if "wave" in found else []) + [dim_column(k) for k in segs]
    with db.transaction() as cur:
        add_segment_columns(cur, [*segs, *stored_dimensions(cur)])
        upload_id = cur.execute("SELECT coalesce(max(upload_id), 0) + 1 FROM uploads").fetchall()[0][0]
        cur.register("staged_invitations", staged)
        try:
            # Sources are compared as their names are spelt anywhere (case folded).
            cur.execute(
                """CREATE OR REPLACE TEMP TABLE matched AS
                   SELECT s.*, i.invitation_id FROM staged_invitations s LEFT JOIN invitations i
                     ON lower(i.source) = lower(s.source) AND i.customer_id = s.customer_id AND i.invited_at = s.invited_at""")
            differs = " OR ".join(f"(m.{c} IS NOT NULL AND m.{c} IS DISTINCT FROM i.{c})" for c in given) or "FALSE"
            unchanged, updated = cur.execute(
                f"""SELECT count(*) FILTER (WHERE NOT ({differs})), count(*) FILTER (WHERE {differs})
                    FROM matched m JOIN invitations i USING (invitation_id)""").fetchall()[0]
            if given:
                # The version a correction replaces is kept: removing the correction puts it back.
                kept = ", ".join(versioned_columns(cur))
                cur.execute(f"""INSERT INTO replaced_invitations (invitation_id, replaced_by, {kept})
                                SELECT i.invitation_id, ?, {', '.join(f'i.{c}' for c in versioned_columns(cur))}
                                FROM invitations i JOIN matched m USING (invitation_id) WHERE {differs}""", [upload_id])
                cur.execute(f"""UPDATE invitations i SET {', '.join(f'{c} = coalesce(m.{c}, i.{c})' for c in given)}
                                FROM matched m WHERE m.invitation_id = i.invitation_id AND ({differs})""")
            base = cur.execute("SELECT coalesce(max(invitation_id), 0) FROM invitations").fetchall()[0][0]
            cur.execute("""UPDATE matched SET invitation_id = ? + k.rn FROM (
                               SELECT source, customer_id, invited_at,
                                      row_number() OVER (ORDER BY invited_at, source, customer_id) AS rn
                               FROM matched WHERE invitation_id IS NULL) k
                           WHERE matched.invitation_id IS NULL AND matched.source = k.source
                             AND matched.customer_id = k.customer_id AND matched.invited_at = k.invited_at""", [base])
            cols = ", ".join(["source", "customer_id", "invited_at", "wave", *(dim_column(k) for k in segs)])
            cur.execute(f"""INSERT INTO invitations (invitation_id, upload_id, {cols})
                            SELECT invitation_id, ?, {cols} FROM matched WHERE invitation_id > ?""", [upload_id, base])
            cur.execute("INSERT INTO invitation_holds SELECT invitation_id, ? FROM matched", [upload_id])
            # A new invitation between an older one and its answer takes that answer over.
            follow_answers(cur, "SELECT lower(source), customer_id FROM matched WHERE invitation_id > ?", [base])
            cur.execute("DROP TABLE temp.matched")
        finally:
            cur.unregister("staged_invitations")
        receipt.unchanged, receipt.updated = int(unchanged), int(updated)
        receipt.added = staged.num_rows - receipt.unchanged - receipt.updated
        receipt.upload_id = upload_id
        if left:
            receipt.warnings.append(f"Not stored (not a segment of the model): {', '.join(left)}.")
        cur.execute(
            """INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, stored_path, layout, encoding, rows_read,
                                    added, updated, unchanged, rejected, excluded, receipt, repeats, repeat_most)
               VALUES (?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?, ?, 0, ?, [], [])""",
            [upload_id, receipt.file_name, path.stat().st_size, LAYOUT, raw.encoding, receipt.rows_read, receipt.added,
             receipt.updated, receipt.unchanged, len(receipt.rejected),
             json.dumps({**receipt.to_dict(), "rejected": receipt.rejected[:REJECT_SHOWN]}, ensure_ascii=False)])
    return receipt


def add_segment_columns(cur, keys: list[str]) -> None:
    """Columns for these segments in the invitations and in their replaced versions."""
    for k in keys:
        for table in ("invitations", "replaced_invitations"):
            cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {dim_column(k)} VARCHAR")


def versioned_columns(cur) -> list[str]:
    """The columns of an invitation a correction may change (its wave and segments), quoted."""
    return ["wave", *(dim_column(d) for d in stored_dimensions(cur))]


# The sources of the stored invitations, folded as responses are matched to them: a few distinct
# values (3 ms to find among 397k invitations), which spare an upload of a survey no list names
# every other look at the invitations.
_LISTED_SOURCES = "SELECT lower(source) FROM (SELECT DISTINCT source FROM invitations)"


# Each response (src, customer_id, responded_at; timed, of a customer) with the latest invitation of
# its source and customer at or before it. Matched on the strings themselves: a 64-bit hash of the
# pair, as the rates' join at query time used, matches every response of a migration in about half
# the time, but two customers sharing a hash would hide each other's invitation, and a write that
# touches one of them would not see it again for the other.
_ASOF = """(SELECT * FROM {responses} WHERE customer_id IS NOT NULL AND responded_at IS NOT NULL) r
           ASOF JOIN {invitations} i
             ON r.src = i.src AND r.customer_id = i.customer_id AND r.responded_at >= i.invited_at"""


def follow_answers(cur, pairs: str | None, params: list | None = None) -> None:
    """Find the first answer of each invitation (`first_response_at`) again for the (source,
    customer) pairs the SQL `pairs` selects (rows of a source's name lower-cased and a customer id;
    None: every invitation), inside a write that changed their invitations or responses in any way.

    An invitation's first answer is the earliest response of its source and customer at or after
    it and before their next invitation: each response goes to the latest invitation at or before
    it (an ASOF join: how the response rates always matched them; `load` takes a second invitation
    of a pair at the same time for the same one), and each invitation keeps the earliest of the
    responses it got. Untimed responses and those without a customer answer none. Only the pairs'
    invitations, and the responses of the pairs that have some, are read."""
    if pairs is None:
        scope = ""
        resp_scope = f"WHERE lower(s.name) IN ({_LISTED_SOURCES})"
    else:
        cur.execute(f"""CREATE OR REPLACE TEMP TABLE answer_pairs AS
                        SELECT DISTINCT p.src, p.customer_id FROM ({pairs}) p(src, customer_id)
                        WHERE p.customer_id IS NOT NULL AND p.src IN ({_LISTED_SOURCES})""", params or [])
        scope = "SEMI JOIN temp.answer_pairs p ON lower(i.source) = p.src AND i.customer_id = p.customer_id"
        resp_scope = ("SEMI JOIN (SELECT DISTINCT src, customer_id FROM temp.answer_invitations) p "
                      "ON lower(s.name) = p.src AND r.customer_id = p.customer_id")
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE answer_invitations AS
                    SELECT i.invitation_id, lower(i.source) AS src, i.customer_id, i.invited_at, i.first_response_at AS was
                    FROM invitations i {scope}""")
    if cur.execute("SELECT count(*) FROM temp.answer_invitations").fetchall()[0][0]:
        cur.execute(
            f"""UPDATE invitations SET first_response_at = f.first_at FROM (
                    WITH resp AS (
                        SELECT lower(s.name) AS src, r.customer_id, r.responded_at
                        FROM responses r JOIN sources s USING (source_id) {resp_scope}
                    ), firsts AS (
                        SELECT i.invitation_id, min(r.responded_at) AS first_at
                        FROM {_ASOF.format(responses="resp", invitations="temp.answer_invitations")}
                        GROUP BY i.invitation_id
                    )
                    SELECT i.invitation_id, firsts.first_at FROM temp.answer_invitations i LEFT JOIN firsts USING (invitation_id)
                    WHERE firsts.first_at IS DISTINCT FROM i.was
                ) f WHERE invitations.invitation_id = f.invitation_id""")
    cur.execute("DROP TABLE temp.answer_invitations")
    if pairs is not None:
        cur.execute("DROP TABLE temp.answer_pairs")


def take_answers(cur, responses: str, params: list | None = None) -> None:
    """Responses just added (the SQL `responses` gives their source's name lower-cased, customer id
    and time), inside their upload's transaction: each answers the latest invitation of its source
    and customer at or before it, whose first answer it becomes if it is the earlier. Adding
    responses changes no other invitation's first answer, so this reads the invitations of their
    customers and not their other responses (follow_answers does, for edits and removals)."""
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE taken_answers AS
                    SELECT r.src, r.customer_id, r.responded_at FROM ({responses}) r(src, customer_id, responded_at)
                    WHERE r.customer_id IS NOT NULL AND r.responded_at IS NOT NULL AND r.src IN ({_LISTED_SOURCES})""",
                params or [])
    if cur.execute("SELECT count(*) FROM temp.taken_answers").fetchall()[0][0]:
        cur.execute(
            f"""UPDATE invitations SET first_response_at = f.first_at FROM (
                   WITH inv AS (
                       SELECT i.invitation_id, lower(i.source) AS src, i.customer_id, i.invited_at FROM invitations i
                       SEMI JOIN (SELECT DISTINCT src, customer_id FROM temp.taken_answers) p
                         ON lower(i.source) = p.src AND i.customer_id = p.customer_id
                   )
                   SELECT i.invitation_id, min(r.responded_at) AS first_at
                   FROM {_ASOF.format(responses="temp.taken_answers", invitations="inv")}
                   GROUP BY i.invitation_id
               ) f WHERE invitations.invitation_id = f.invitation_id
                     AND (invitations.first_response_at IS NULL OR f.first_at < invitations.first_response_at)""")
    cur.execute("DROP TABLE temp.taken_answers")


def undo(cur, upload_id: int) -> tuple[int, int]:
    """Take an upload's invitation list away (inside its removal's transaction): the invitations
    no other upload holds go; those it corrected get back the version before (or, corrected again
    by a later list, that list now replaced the version before this one). Returns (gone, restored)."""
    u = [upload_id]
    add_segment_columns(cur, stored_dimensions(cur))  # (a database from before replaced versions were kept)
    only_here = ("invitation_id IN (SELECT invitation_id FROM invitation_holds WHERE upload_id = ?) "
                 "AND invitation_id NOT IN (SELECT invitation_id FROM invitation_holds WHERE upload_id <> ?)")
    gone = 0
    if cur.execute("SELECT count(*) FROM invitation_holds WHERE upload_id = ?", u).fetchall()[0][0]:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE undone_pairs AS SELECT DISTINCT lower(source) AS src, customer_id "
                    f"FROM invitations WHERE {only_here}", u + u)
        gone = len(cur.execute(f"DELETE FROM invitations WHERE {only_here} RETURNING 1", u + u).fetchall())
        # The answers of an invitation gone pass to the invitation of its customer before it, if any.
        follow_answers(cur, "SELECT src, customer_id FROM temp.undone_pairs")
        cur.execute("DROP TABLE temp.undone_pairs")
    cur.execute("DELETE FROM invitation_holds WHERE upload_id = ?", u)
    cur.execute("DELETE FROM replaced_invitations WHERE invitation_id NOT IN (SELECT invitation_id FROM invitations)")
    cols = versioned_columns(cur)
    later = ("EXISTS (SELECT 1 FROM replaced_invitations x WHERE x.invitation_id = r.invitation_id "
             "AND x.replaced_by > r.replaced_by)")
    cur.execute(
        f"""UPDATE replaced_invitations l SET {', '.join(f'{c} = r.{c}' for c in cols)}
            FROM replaced_invitations r
            WHERE r.replaced_by = ? AND l.invitation_id = r.invitation_id
              AND l.replaced_by = (SELECT min(x.replaced_by) FROM replaced_invitations x
                                   WHERE x.invitation_id = r.invitation_id AND x.replaced_by > r.replaced_by)""", u)
    restored = len(cur.execute(
        f"""UPDATE invitations i SET {', '.join(f'{c} = r.{c}' for c in cols)}
            FROM replaced_invitations r WHERE r.replaced_by = ? AND i.invitation_id = r.invitation_id AND NOT {later}
            RETURNING 1""", u).fetchall())
    cur.execute("DELETE FROM replaced_invitations WHERE replaced_by = ?", u)
    return gone, restored


def _source_names(db, src: pa.Array) -> pa.Array:
    """Source names as the stored responses, else the stored invitations, spell them ('Qualtrics'
    is the responses' 'qualtrics'): one survey is one group, whatever each file calls it."""
    from .ingest._arrow import map_distinct

    cur = db.cursor()
    stored = {label_key(name): name for (name,) in cur.execute("SELECT DISTINCT source FROM invitations").fetchall()}
    stored |= {label_key(name): name for (name,) in cur.execute("SELECT name FROM sources").fetchall()}
    return map_distinct(src, lambda v: stored.get(label_key(v), v), pa.string())


def _segment_values(seg, values: pa.Array) -> pa.Array:
    """A segment's texts as an upload stores them: the model's aliases name the value."""
    from .ingest._arrow import map_distinct
    from .ingest._text import key

    aliases = {key(text): value for text, value in seg.stored_values().items()}
    return map_distinct(values, lambda v: aliases.get(key(v), v), pa.string())


# -- figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """The response rate of one group of invitations (a segment value, or all of them)."""

    dimension: str | None  # 'source', 'wave', a segment key; None for all
    value: str | None
    invited: int
    responded: int
    rate: stats.Estimate  # percent, Wilson interval
    status: str  # 'ok' | 'low_n' | 'hidden' (fewer invitations than the privacy threshold) | 'no_data' (none)
    rest_rate: float | None = None  # the rest of the list's rate, percent
    z: float | None = None  # two-proportion z against the rest
    significant: bool = False  # different from the rest at 95%

    @property
    def ratio(self) -> float | None:
        """This group's rate over the rest's: below 1, it answers less."""
        if self.rate.value is None or not self.rest_rate:
            return None
        return self.rate.value / self.rest_rate


@dataclass(frozen=True)
class Rates:
    overall: Rate
    by: dict[str, list[Rate]]  # dimension -> its values' rates, in the model's order
    dimensions: tuple[str, ...]

    def silent(self) -> list[Rate]:
        """The values that answer significantly less than the rest of the list, least first."""
        rows = [r for rs in self.by.values() for r in rs if r.status != "hidden" and r.significant
                and r.rest_rate is not None and r.rate.value < r.rest_rate]
        return sorted(rows, key=lambda r: (r.rate.value, r.dimension, r.value))


def dimension_name(model: Model, dim: str) -> str:
    if dim == "source":
        return "Survey source"
    if dim == "wave":
        return "Wave"
    seg = model.segment(dim)
    return seg.name if seg else dim


def value_label(model: Model, dim: str, value: str) -> str:
    seg = model.segment(dim)
    return seg.label(value) if seg else value


def stored_dimensions(cur) -> list[str]:
    """The segment keys the stored invitations carry."""
    cols = [d[0] for d in cur.execute("SELECT * FROM invitations LIMIT 0").description]
    return [c[4:] for c in cols if c.startswith("seg_")]


def period_for(cur, view: ViewState, cat) -> Period:
    """The invitations' period of a view: the pyramid's, except that all time spans the
    invitations too (a wave sent after the last response stored is still part of it)."""
    from .pyramid import periods_for

    current, _ = periods_for(view, cat)
    if view.period != "all":
        return current
    first, last = cur.execute("SELECT min(invited_at)::DATE, max(invited_at)::DATE FROM invitations").fetchall()[0]
    if first is None:
        return current
    from datetime import timedelta

    return Period(min(current.start, first), max(current.end, last + timedelta(days=1)))


def values_by_segment(cur, model: Model) -> dict[str, list[str]]:
    """The segment values the stored invitations hold (what a filter of the Response rates page
    can select), the source under the model's segment of that name."""
    dims = stored_dimensions(cur)
    out = {}
    for seg in model.segments:
        col = "source" if seg.key == "source" else dim_column(seg.key) if seg.key in dims else None
        if col:
            out[seg.key] = [v for (v,) in cur.execute(f"SELECT DISTINCT {col} FROM invitations WHERE {col} IS NOT NULL "
                                                      "ORDER BY 1").fetchall()]
    return out


def holds(cur) -> int:
    return cur.execute("SELECT count(*) FROM invitations").fetchall()[0][0]


def _filter(cur, view: ViewState, dims: list[str]) -> tuple[str, list]:
    """The view's segment filters on the invitations' text values, compared as labels are."""
    parts, params = [], []
    for dim, values in view.filters:
        if dim != "source" and dim not in dims:
            parts.append("FALSE")
            continue
        # The model's segment of the survey source is the list's own source column.
        col = "source" if dim == "source" else dim_column(dim)
        stored = [v for (v,) in cur.execute(f"SELECT DISTINCT {col} FROM invitations WHERE {col} IS NOT NULL").fetchall()]
        wanted = {label_key(v) for v in values}
        match = [v for v in stored if label_key(v) in wanted]
        parts.append(f"{col} IN ({', '.join('?' * len(match))})" if match else "FALSE")
        params += match
    return " AND ".join(parts) or "TRUE", params


def rates(cur, model: Model, view: ViewState, period: Period, *, window_days: float | None = None) -> Rates:
    """Response rates of the invitations sent in `period` (and the view's segment filters): in
    all, and per survey source, wave and segment value, each against the rest of the list."""
    from .queries import ts

    window = float(window_days if window_days is not None else model.invitations.window_days)
    dims = stored_dimensions(cur)
    where, params = _filter(cur, view, dims)
    # A model's segment of the survey source is the list's source column again.
    order = list(dict.fromkeys(["source", "wave", *[s.key for s in model.segments if s.key in dims]]))
    cols = ["source" if d == "source" else "wave" if d == "wave" else dim_column(d) for d in order]
    # Each invitation keeps the time of its first answer (the first response of its source and
    # customer at or after it and before their next invitation: see follow_answers); it was
    # answered if that came at most the window after it. A date-only export's answer on the 30th
    # day is one (found by an audit). One grouping gives the total and every dimension.
    rows = cur.execute(
        f"""WITH invited AS (
                SELECT {', '.join(cols)},
                       first_response_at <= invited_at + to_microseconds(CAST(? * 86400e6 AS BIGINT)) AS responded
                FROM invitations
                WHERE invited_at >= ? AND invited_at < ? AND {where}
            )
            SELECT grouping({', '.join(cols)}) AS g, {', '.join(cols)}, count(*), count(*) FILTER (WHERE responded)
            FROM invited GROUP BY GROUPING SETS ((), {', '.join(f'({c})' for c in cols)})""",
        [window, ts(period.start), ts(period.end), *params]).fetchall()
    return from_groups(model, order, rows)


def from_groups(model: Model, order: list[str], rows) -> Rates:
    """The rates from the grouping's rows (grouping bits, a value per dimension of `order`, the
    invited and the answered), the total and each dimension's values."""
    everything = (1 << len(order)) - 1
    total, answered = next(((n, k) for g, *rest in rows if g == everything for n, k in [rest[-2:]]), (0, 0))
    overall = _rate(model, None, None, total, answered)
    by: dict[str, list[Rate]] = {}
    rules = stats.Suppression(model.thresholds.privacy_min_n, model.thresholds.reliability_min_n)
    for i, dim in enumerate(order):
        bit = everything & ~(1 << (len(order) - 1 - i))
        values = [(row[1 + i], row[-2], row[-1]) for row in rows if row[0] == bit and row[1 + i] is not None]
        if not values:
            continue
        # As the pyramid's cells: a value of few invitations is hidden, and so is the next
        # smallest where the total less the shown ones would give it away.
        hidden = stats.suppress_partition(total, {v: n for v, n, _ in values}, rules)
        by[dim] = [_rate(model, dim, v, n, k, total, answered, hide=v in hidden)
                   for v, n, k in sorted(values, key=_order(model, dim))]
    return Rates(overall, by, tuple(by))


def _order(model: Model, dim: str):
    seg = model.segment(dim)
    order = {label_key(v): i for i, v in enumerate(seg.order)} if seg else {}
    return lambda row: (order.get(label_key(row[0]), len(order)), str(row[0]).casefold())


def _rate(model: Model, dim, value, n, k, total: int | None = None, answered: int | None = None, *,
          hide: bool = False) -> Rate:
    est = stats.proportion(stats.Moments(n=int(n), hi=int(k)), "yes_rate")
    status = stats.cell_status(int(n), stats.Suppression(model.thresholds.privacy_min_n, model.thresholds.reliability_min_n))
    status = "no_data" if not n else "hidden" if hide else status
    rest_rate = z = None
    significant = False
    if total is not None and total - n > 0:
        rn, rk = total - n, answered - k
        rest_rate = 100.0 * rk / rn
        pooled = (k + rk) / total
        se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rn)) if n and 0 < pooled < 1 else 0.0
        if se > 0:
            z = (k / n - rk / rn) / se
            significant = abs(z) >= stats.z_for(0.95)
    if status == "hidden":
        est = stats.Estimate("yes_rate", 0, None)
        rest_rate, z, significant = None, None, False
    return Rate(dim, value, int(n) if status != "hidden" else 0, int(k) if status != "hidden" else 0, est, status,
                rest_rate, z, significant)
