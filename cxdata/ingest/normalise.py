"""A wide export + its Mapping -> canonical long rows, with every record accounted for.

One output row per (response, measure[, touchpoint]); a missing answer gives no row; a
comment is metric 'comment' (or 'comment_<question>') with its verbatim text in value_text.
Each record of the file ends in exactly one place: a response (its rows in the table), a
duplicate of a kept response, an excluded row (preview/test/'Offered'/no answers) or a
rejected row (with the reason). Everything is columnar: per-value Python runs only on
distinct values, so a million-row export takes about a second.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping as TMapping, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._aliases import TouchpointResolver
from ._csv import BLANK_TAIL, REASON_EMPTY, blank_before_summary, blank_tail, header_end
from ._arrow import any_true, clean, flat, indices, map_distinct, plain
from ._dims import customer_id, derived, dimension, identifier, vocabulary
from ._measures import measure_values
from ._text import key
from .errors import IngestError
from .layouts import Layout, layout_named
from .mapping import MEASURE_ROLES, OTHER_ROLES, Mapping

TS_TYPE = pa.timestamp("us", tz="UTC")
BASE_SCHEMA = pa.schema([
    ("source", pa.string()), ("source_response_id", pa.string()), ("responded_at", TS_TYPE),
    ("customer_id", pa.string()), ("touchpoint", pa.string()), ("team", pa.string()),
    ("agent_id", pa.string()), ("agent_name", pa.string()), ("metric", pa.string()),
    ("value", pa.float64()), ("value_text", pa.string()), ("row_number", pa.int64()),
])
INVALID_LIST_CAP = 1000  # per column; counts are always complete
NO_ANSWER_COLUMN = (
    "No column of this file is taken as an answer, neither a score (a 0-10 recommendation, a 1-5 "
    "satisfaction, a yes/no, a rating) nor a comment, so it holds nothing to load. In the mapping, give the "
    "column that holds the customers' answers its role; where its answers are words, say what each is worth.")
_WORKERS = max(2, min(8, os.cpu_count() or 2))


_ROUNDED_ID = re.compile(r"^[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$")


def _loses_digits(text: str) -> bool:
    """'1.14E+11' stands for a whole number of more digits than it shows: a rounded id."""
    mantissa, exponent = re.split("[eE]", text)
    return int(exponent.lstrip("+")) > len(mantissa.partition(".")[2])


class LostLabels(NamedTuple):
    """Values of a label column that hold '?' where letters were (text.lost_letters), in a file
    whose code page may have written them (text.may_have_lost_letters)."""

    column: str  # the column of the file, as its header names it
    values: dict[str, tuple[str, ...]]  # {value: the values it may stand for (text.may_stand_for)}


# The canonical columns that hold labels (besides the segments): stored as codes of a dictionary.
LABEL_COLUMNS = ("touchpoint", "team", "agent_id", "agent_name")


@dataclass
class Normalised:
    table: pa.Table
    rows_read: int
    rejects: list[tuple[int, str]]
    excluded: list[tuple[int, str]]
    duplicates: list[tuple[str, list[int], str]]
    responses: int
    source: str
    warnings: list[str]
    # (row_number, column, raw value, reason) of answers that were not counted
    invalid_values: list[tuple[int, str, str, str]] = field(default_factory=list)
    invalid_counts: dict[str, int] = field(default_factory=dict)  # column -> values dropped
    # column -> 'Not applicable' answers among the kept responses (missing, not scores)
    not_applicable: dict[str, int] = field(default_factory=dict)
    # the day/month order the answer times were read in (None: the file had no such dates)
    dayfirst: bool | None = None
    untimed: int = 0  # responses stored without an answer time: no period counts them
    # (row_number, reason) of the empty lines between rows: no response and nothing to fix in
    # them, but listed, since a record broken in two by a stray line break leaves one
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # {canonical column: LostLabels}: labels a code page wrote '?' in (store.settle_lost_labels)
    lost_labels: dict[str, LostLabels] = field(default_factory=dict)


def lost_labels(raw: Any, columns: TMapping[str, pa.Array], names: TMapping[str, str],
                vocabularies: TMapping[str, TMapping[str, str]] | None = None) -> dict[str, LostLabels]:
    """{canonical column: LostLabels} of the label `columns` (canonical name -> values) whose
    values hold '?' where letters were, when `raw` may have been saved in a code page that
    cannot hold them; `names` are the file's names of the columns, `vocabularies` the texts each
    column's mapping knows the value of (_dims.vocabulary). Only distinct values are read, and
    the file's text only when some value looks so."""
    from .text import lost_letters, may_have_lost_letters, may_stand_for

    found = {c: v for c, arr in columns.items() if arr is not None and (v := lost_letters(arr))}
    if not found or not may_have_lost_letters(raw):
        return {}
    order = list(names)  # the file's order of its columns, for the receipt
    found = dict(sorted(found.items(), key=lambda cv: order.index(cv[0]) if cv[0] in order else len(order)))
    vocabularies = vocabularies or {}
    return {c: LostLabels(names.get(c, c), {v: () for v in values}
                          | may_stand_for(values, dict(vocabularies.get(c) or {}), raw.encoding))
            for c, values in found.items()}


def empty_table(segments: list[str] = ()) -> pa.Table:
    schema = BASE_SCHEMA
    for s in segments:
        schema = schema.append(pa.field(s, pa.string()))
    return schema.empty_table()


def normalise(raw: Any, mapping: Mapping, *, layout: Layout | None = None,
              touchpoint_aliases: TMapping[str, str] | None = None,
              segment_aliases: TMapping[str, TMapping[str, str]] | None = None,
              scales: TMapping[str, tuple[float, float]] | None = None) -> Normalised:
    """`segment_aliases` (segment -> {text: value}, from the model) apply after a column's value
    map, so an alias added to the model also serves exports whose mapping was saved before.
    `scales` (measure -> the model's scale) bound a long file's values (a wide file's columns
    carry theirs in the mapping)."""
    mapping.validate()
    if mapping.layout == "canonical":
        from ._canonical import normalise_canonical
        return normalise_canonical(raw, mapping, segment_aliases, scales)
    layout = layout or layout_named(raw, mapping.layout, mapping.header_rows)
    return _Run(raw, mapping, layout, TouchpointResolver(touchpoint_aliases), segment_aliases or {}).run()


def _has_time_of_day(text: pa.Array) -> bool:
    """Some answer time is written with a time of day other than midnight (or is an Excel serial
    with a fraction): submission times, not dates. Read off the text, so a dates-only sheet is
    known as one in every export, whatever its dates have in common."""
    text = pc.unique(text)
    if pc.any(pc.fill_null(pc.match_substring_regex(text, r"^\d{5}\.\d+$"), False)).as_py():
        return True
    clock = pc.extract_regex(text, r"(?P<h>\d{1,2}):(?P<m>\d\d)")
    minutes = pc.add(pc.multiply(pc.cast(pc.struct_field(clock, "h"), pa.int32()), 60),
                     pc.cast(pc.struct_field(clock, "m"), pa.int32()))
    return bool(pc.any(pc.fill_null(pc.not_equal(minutes, 0), False)).as_py())


_SUMMARY_TAIL = 20  # closing rows looked at for a summary
SKIPPED_EMPTY = ("an empty line between the rows, skipped (if a response was broken in two by a line break, "
                 "its rest is in the rows around it)")
BLANK_ABOVE_SUMMARY = "an empty line by the totals closing the sheet, not a response"


def summary_count(raw: Any, mapping: Mapping, layout: Layout) -> int:
    """How many rows close the table as its summary ('Average', 'Total', blank ones between), as
    loading will find them with `mapping`: for the preview's word on the empty lines above."""
    run = _Run(raw, mapping, layout, TouchpointResolver(None), {})
    run._summary_rows()
    return run._summary_count


class _Run:
    def __init__(self, raw: Any, mapping: Mapping, layout: Layout,
                 resolver: TouchpointResolver, segment_aliases: TMapping[str, TMapping[str, str]]):
        self.raw, self.m, self.layout, self.resolver = raw, mapping, layout, resolver
        self.segment_aliases = segment_aliases
        hdr = min(mapping.header_rows, raw.table.num_rows)
        self.data = raw.table.slice(hdr)
        self._summary_count = 0  # rows closing the table as its summary (_summary_rows)
        self.rownum = flat(raw.row_numbers).slice(hdr).cast(pa.int64())
        self.n = self.data.num_rows
        self.warnings: list[str] = []
        self.dayfirst: bool | None = None
        self.ts_text: pa.Array | None = None  # the answer times as written
        self.ts_unread: pa.Array | None = None  # times written but not understood
        self.ts_format = ""
        self.cols: dict[str, pa.Array] = {}
        self.index = index = {c.key: c.index for c in layout.columns}  # mapping key -> raw column
        for k, spec in mapping.columns.items():
            if spec.role == "ignore" and not any(r.column == k for r in mapping.exclude):
                continue
            i = index.get(k)
            if i is None or i >= self.data.num_columns:
                if spec.role != "ignore":
                    self.warnings.append(f"Column '{spec.label or k}' of the mapping is not in "
                                         "this file; its answers are missing.")
                continue
            self.cols[k] = flat(self.data.column(i))
        for k, spec in mapping.columns.items():
            i = index.get(spec.other) if spec.other and spec.role in OTHER_ROLES else None
            if k in self.cols and i is not None and i < self.data.num_columns:
                self.cols[k] = pc.coalesce(clean(self.cols[k]), clean(self.data.column(i)))

    # --- pieces ------------------------------------------------------------------------------
    def _exclusions(self) -> tuple[pa.Array, pa.Array]:
        """(excluded mask, reason per row: the rule's reason and the value that matched)."""
        reason = pa.nulls(self.n, pa.string())
        for rule in self.m.exclude:
            arr = self.cols.get(rule.column)
            if arr is None:
                continue
            wanted = {key(v) for v in rule.values}
            why = map_distinct(arr, lambda v, r=rule.reason, w=wanted: f"{r}: '{v}'"
                               if key(v) in w else None, pa.string())
            reason = pc.coalesce(reason, why)
        return pc.is_valid(reason), reason

    def _summary_rows(self) -> tuple[pa.Array, pa.Array]:
        """(mask, reason) of the rows closing the sheet that are a summary ('Total', 'Median'):
        from the end, rows without an answer time whose first filled cell is such a word, blank
        rows between them."""
        from ._vocab import SUMMARY_ROWS

        names = self.data.column_names

        def raw_names(roles) -> set[str]:
            return {names[self.index[k]] for k, spec in self.m.columns.items()
                    if spec.role in roles and self.index.get(k, len(names)) < len(names)}

        measures, times = raw_names(MEASURE_ROLES), raw_names(("timestamp",))
        start = max(0, self.n - _SUMMARY_TAIL)
        found: dict[int, str] = {}
        for i, row in reversed(list(enumerate(self.data.slice(start).to_pylist(), start))):
            cells = [(c, str(v).strip()) for c, v in row.items() if v is not None and str(v).strip()]
            if not cells:
                continue
            col, word = cells[0]
            # Not an answer ('Average' is a rating's label; found in review), not a dated row, and
            # a word its column holds nowhere else ('Media' among the departments above is one).
            # (The word may stand in the date column, a sheet's first: 'Durchschnitt' under 'Datum'.)
            if (key(word) not in SUMMARY_ROWS or col in measures or any(c in times for c, _ in cells[1:])
                    or self._occurrences(col, row[col]) > 1):
                break
            found[i] = f"a summary row ('{word}'), not a response"
        # how many rows close the table as its summary, blank ones between included
        self._summary_count = self.n - min(found) if found else 0
        reason = pa.array([found.get(i) for i in range(self.n)], pa.string()) if found \
            else pa.nulls(self.n, pa.string())
        return pc.is_valid(reason), reason

    def _repeated_headers(self) -> tuple[pa.Array, pa.Array]:
        """(mask, reason) of the rows that repeat one of the file's header rows: two downloads
        pasted into one file carry the second's header in the middle (found by an audit: stored
        as a response with touchpoint 'touchpoint')."""
        hdr = self.raw.table.num_rows - self.n
        none = pa.repeat(pa.scalar(False), self.n), pa.nulls(self.n, pa.string())
        if not hdr or not self.n:
            return none
        found = np.zeros(self.n, dtype=bool)
        names = self.data.column_names
        for header in self.raw.table.slice(0, hdr).to_pylist():
            cells = [(c, str(v).strip()) for c, v in header.items() if v is not None and str(v).strip()]
            if len(cells) < 2:
                continue
            # Only the rows that repeat the first header cell are compared further.
            first, text = cells[0]
            col = clean(flat(self.data.column(names.index(first))))
            candidates = indices(pc.fill_null(pc.equal(col, text), False))
            if not len(candidates):
                continue
            # The whole row as the header has it, empty cells too: a respondent who ticked every
            # option of a multiple choice repeats its labels, not the header (found in review).
            # Column by column over the candidates, which can be most rows (that option's ticks).
            same = np.ones(len(candidates), dtype=bool)
            for c, v in header.items():
                cell = clean(flat(self.data.column(names.index(c))).take(candidates))
                text = str(v).strip() if v is not None else ""
                ok = pc.is_null(cell) if not text else pc.fill_null(pc.equal(cell, text), False)
                same &= ok.to_numpy(zero_copy_only=False)
                if not same.any():
                    break
            found[candidates.to_numpy(zero_copy_only=False)[same]] = True
        if not found.any():
            return none
        reason = pa.array(np.where(found, "a repeated header row (two exports pasted into one file?), "
                                          "not a response", None), pa.string())
        return pa.array(found), reason

    def _occurrences(self, column: str, value) -> int:
        arr = flat(self.data.column(column))
        return int(pc.sum(pc.fill_null(pc.equal(arr, pa.scalar(value, arr.type)), False)).as_py() or 0)

    def _reader_problems(self) -> tuple[pa.Array, dict[int, str]]:
        probs: dict[int, str] = {}
        for rn, why in getattr(self.raw, "problems", None) or []:
            probs.setdefault(int(rn), str(why))
        if not probs:
            return pa.repeat(pa.scalar(False), self.n), probs
        return pc.is_in(self.rownum, value_set=pa.array(list(probs), pa.int64())), probs

    def _timestamps(self) -> pa.Array:
        ts_keys = [k for k in self.m.keys_with("timestamp") if k in self.cols]
        if not ts_keys:
            return pa.nulls(self.n, TS_TYPE)
        arr = clean(self.cols[ts_keys[0]])
        time_keys = [k for k in self.m.keys_with("time") if k in self.cols]
        if time_keys:
            t = clean(self.cols[time_keys[0]])
            joined = pc.binary_join_element_wise(arr, t, " ")
            arr = pc.coalesce(joined, arr)
        from .values import parse_timestamps_detailed

        r = parse_timestamps_detailed(arr, tz=self.m.timezone or "UTC", dayfirst=self.m.dayfirst,
                                      calendar=self.m.calendar)
        parsed, fmt, self.dayfirst = r.values, r.description, r.dayfirst
        self.ts_text = arr
        parsed = flat(parsed) if isinstance(parsed, (pa.Array, pa.ChunkedArray)) \
            else pa.array(parsed, TS_TYPE)
        if parsed.type != TS_TYPE:
            parsed = parsed.cast(TS_TYPE)
        # Said once the rows that are no responses (a repeated header's 'Submit Date') are known.
        self.ts_unread = pc.and_(pc.is_valid(arr), pc.is_null(parsed))
        self.ts_format = fmt
        return parsed

    def _ids(self) -> tuple[pa.Array, bool]:
        keys = [k for k in self.m.keys_with("response_id") if k in self.cols]
        if keys:
            return identifier(clean(self.cols[keys[0]])), True
        return pa.nulls(self.n, pa.string()), False

    def _dim_tasks(self) -> list[tuple[str, str, Any]]:
        """(bucket, target column, thunk) for every descriptive column and derivation."""
        tasks: list[tuple[str, str, Any]] = []
        for k, spec in self.m.columns.items():
            if k not in self.cols:
                continue
            arr = self.cols[k]
            role = spec.role
            if role == "customer_id":
                tasks.append(("fixed", "customer_id", lambda a=arr: customer_id(clean(a))))
            elif role == "touchpoint":
                tasks.append(("fixed", "touchpoint",
                              lambda a=arr, s=spec: dimension(a, s, resolver=self.resolver)))
            elif role == "team":
                tasks.append(("fixed", "team", lambda a=arr, s=spec: dimension(a, s)))
            elif role == "agent":
                tasks.append(("fixed", spec.field or "agent_name",
                              lambda a=arr, s=spec: dimension(a, s)))
            elif role == "segment":
                seg = spec.segment or "segment"
                tasks.append(("segment", seg,
                              lambda a=arr, s=spec, g=seg: dimension(a, s, canon=g,
                                                                     aliases=self.segment_aliases.get(g))))
            for target, table in (spec.derive or {}).items():
                bucket = "fixed" if target in BASE_SCHEMA.names else "segment"
                tasks.append((bucket, target, lambda a=arr, t=table: derived(a, t)))
        return tasks

    def _collect_dims(self, done: list[tuple[str, str, pa.Array]]):
        fixed: dict[str, pa.Array] = {}
        segments: dict[str, pa.Array] = {}
        for bucket, target, col in done:  # earlier columns win, later ones fill gaps
            d = fixed if bucket == "fixed" else segments
            d[target] = pc.coalesce(plain(d[target]), plain(col)) if target in d else col
        for target, value in self.m.constants.items():
            const = pa.repeat(pa.scalar(str(value)), self.n)
            d = fixed if target in BASE_SCHEMA.names else segments
            d[target] = pc.coalesce(plain(d[target]), const) if target in d else const
        return fixed, segments

    # --- the whole file ------------------------------------------------------------------------
    def run(self) -> Normalised:
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            return self._run(pool)

    def _run(self, pool: ThreadPoolExecutor) -> Normalised:
        m, n = self.m, self.n
        # Independent column work runs in parallel: arrow kernels release the GIL.
        f_ids = pool.submit(self._ids)
        f_ts = pool.submit(self._timestamps)
        measure_keys = [k for k, spec in m.columns.items()
                        if k in self.cols and spec.role in MEASURE_ROLES]
        f_measures = [pool.submit(measure_values, self.cols[k], m.columns[k], m.decimal_comma)
                      for k in measure_keys]
        dim_tasks = self._dim_tasks()
        f_dims = [pool.submit(thunk) for _, _, thunk in dim_tasks]
        comments = [(k, m.measure_of(k), spec, self.cols[k]) for k, spec in m.columns.items()
                    if spec.role == "comment" and k in self.cols]
        if n and not measure_keys and not comments:
            # Every row would be 'no answers': a green receipt that loaded nothing. (A file of
            # headers alone has nothing to lose: it loads its zero responses.)
            raise IngestError("no_answers", NO_ANSWER_COLUMN)
        f_comments = {k: pool.submit(lambda a=arr: pc.fill_null(pc.is_valid(clean(a)), False))
                      for k, _, _, arr in comments}
        excluded_mask, excl_reason = self._exclusions()
        for extra_mask, extra_reason in (self._summary_rows(), self._repeated_headers()):
            if pc.any(extra_mask).as_py():
                excl_reason = pc.coalesce(excl_reason, extra_reason)
                excluded_mask = pc.or_(excluded_mask, extra_mask)
        bad_mask, problems = self._reader_problems()

        measures = [(k, m.measure_of(k), m.columns[k], f.result())
                    for k, f in zip(measure_keys, f_measures)]
        comment_ok = {k: f.result() for k, f in f_comments.items()}
        valid_any = any_true([pc.is_valid(mv.values) for *_, mv in measures]
                             + list(comment_ok.values()), n)
        invalid_any = any_true([mv.invalid for *_, mv in measures], n)
        active = pc.and_(pc.invert(excluded_mask), pc.invert(bad_mask))
        rejected = pc.and_(active, pc.and_(pc.invert(valid_any), invalid_any))
        empty = pc.and_(active, pc.and_(pc.invert(valid_any), pc.invert(invalid_any)))
        kept = pc.and_(active, valid_any)
        # A rejected row's reason names its values already: the receipt lists it once.
        invalid_values, invalid_counts = self._invalid(measures, pc.or_(excluded_mask, rejected))

        (ids, has_ids), responded_at = f_ids.result(), f_ts.result()
        if has_ids:
            self._refuse_rounded_ids(ids, kept)
            self._refuse_shared_ids(ids, kept)
        if not has_ids:
            ids = self._synthetic_ids(responded_at)
        if pc.any(pc.and_(kept, pc.is_null(ids))).as_py():
            ids = pc.coalesce(ids, pc.binary_join_element_wise(
                pa.repeat(pa.scalar("row-"), n), self.rownum.cast(pa.string()), ""))
            self.warnings.append("Some rows have no response id; they are identified by "
                                 "their row number.")
        kept, duplicates = self._dedupe(kept, ids, responded_at)
        if self.ts_unread is not None and (bad := int(pc.sum(pc.and_(kept, self.ts_unread)).as_py() or 0)):
            self.warnings.append(f"{bad} answer time(s) could not be read; those responses are kept "
                                 f"without a time. Times read as: {self.ts_format}.")
        ts_keys = [k for k in m.keys_with("timestamp") if k in self.cols]
        untimed = int(pc.sum(pc.and_(kept, pc.is_null(responded_at))).as_py() or 0)
        if untimed and ts_keys:
            # Typeform's partial responses, for one, have no submit date.
            label = m.columns[ts_keys[0]].label or ts_keys[0]
            self.warnings.append(
                f"{untimed} response(s) have no answer time in '{label}': they are stored, but no "
                "period counts them. Map another date column (a start date) as the answer time "
                "if they should count.")
        elif untimed:
            self.warnings.append(
                f"No column of the file is mapped as the answer time: its {untimed} response(s) are "
                "stored, but no period counts them, so no tile shows them. Map the column that holds "
                "the date of each response as the timestamp.")

        not_applicable = {k: int(pc.sum(pc.and_(kept, mv.na)).as_py() or 0)
                          for k, _, _, mv in measures}
        # empty lines closing the file: listed as no responses, not as rows that could not be read
        tail = set(blank_tail(self.raw.row_numbers, problems.items()))
        gap = set(blank_before_summary(self.raw.row_numbers, problems.items(), self._summary_count))
        tail |= gap
        top = header_end(self.raw.row_numbers, m.header_rows)
        # An empty line has nothing to reject: listed as skipped (found by a review: listed as a
        # rejected row whose reason said it was skipped).
        skipped = [(rn, SKIPPED_EMPTY) for rn, why in sorted(problems.items())
                   if why == REASON_EMPTY and rn not in tail and rn > top]
        rejects = self._reject_list(rejected, measures, {rn: why for rn, why in problems.items()
                                                         if rn not in tail and why != REASON_EMPTY})
        excluded = self._listed(excluded_mask, excl_reason)
        excluded += [(rn, "no answers") for rn in self.rownum.filter(empty).to_pylist()]
        excluded += [(rn, BLANK_ABOVE_SUMMARY if rn in gap else BLANK_TAIL) for rn in sorted(tail) if rn > top]
        excluded.sort()
        fixed, segments = self._collect_dims(
            [(b, t, self._persian(f.result())) for (b, t, _), f in zip(dim_tasks, f_dims)])
        lost = self._lost_labels(fixed, segments)
        if m.normalise_persian:
            comments = [(k, name, spec, self._persian(arr)) for k, name, spec, arr in comments]
        table = self._long(pool, kept, ids, responded_at, fixed, segments, measures, comments,
                           comment_ok)
        in_table = set(self.rownum.to_pylist()) if problems else set()
        rows_read = n + sum(1 for rn in problems if rn not in in_table and rn > top)
        return Normalised(table=table, rows_read=rows_read, rejects=rejects, excluded=excluded,
                          duplicates=duplicates, responses=int(pc.sum(kept).as_py() or 0),
                          source=m.source, warnings=self.warnings,
                          invalid_values=invalid_values, invalid_counts=invalid_counts,
                          not_applicable={k: v for k, v in not_applicable.items() if v},
                          dayfirst=self.dayfirst, untimed=untimed, skipped=skipped, lost_labels=lost)

    def _lost_labels(self, fixed: dict[str, pa.Array], segments: dict[str, pa.Array]) -> dict[str, LostLabels]:
        """The labels of this file that a code page wrote '?' in (`lost_labels`), each column named
        as the file's header has it, with what its mapping knows of the values it may stand for."""
        columns = {**{c: fixed[c] for c in LABEL_COLUMNS if c in fixed}, **segments}
        names: dict[str, str] = {}
        vocabularies: dict[str, dict[str, str]] = {}
        for k, spec in self.m.columns.items():
            if k not in self.cols:
                continue
            targets = {"touchpoint": ["touchpoint"], "team": ["team"], "agent": [spec.field or "agent_name"],
                       "segment": [spec.segment or "segment"]}.get(spec.role, [])
            for target in targets + list(spec.derive or {}):
                names.setdefault(target, spec.label or k)
                vocab = vocabularies.setdefault(target, {})
                if target in (spec.derive or {}):
                    vocab.update({t: v for t, v in spec.derive[target].items() if v is not None})
                else:
                    seg = target if spec.role == "segment" else None
                    vocab.update(vocabulary(spec, canon=seg, resolver=self.resolver if spec.role == "touchpoint" else None,
                                            aliases=self.segment_aliases.get(seg) if seg else None))
        return lost_labels(self.raw, columns, names, vocabularies)

    def _persian(self, arr: pa.Array) -> pa.Array:
        """Persian letter forms, only when the mapping asks for it and only in Persian text."""
        text = arr.type == pa.string() or pa.types.is_dictionary(arr.type)
        if not (self.m.normalise_persian and text):
            return arr
        from .text import normalise_persian

        if pa.types.is_dictionary(arr.type):
            return pa.DictionaryArray.from_arrays(arr.indices,
                                                  normalise_persian(arr.dictionary))
        return normalise_persian(arr)

    def _invalid(self, measures, skipped):
        """Answers that were not counted in rows that were loaded (`skipped`: rows excluded or
        rejected, whose own line in the receipt says why)."""
        values: list[tuple[int, str, str, str]] = []
        counts: dict[str, int] = {}
        for k, _, spec, mv in measures:
            bad_idx = indices(pc.and_(mv.invalid, pc.invert(skipped)))
            if len(bad_idx) == 0:
                continue
            counts[k] = len(bad_idx)
            first = bad_idx[:INVALID_LIST_CAP]
            raw_vals = [v.strip() for v in self.cols[k].take(first).to_pylist()]
            label = spec.label or k
            values.extend((rn, label, v, mv.reasons.get(v, "invalid"))
                          for rn, v in zip(self.rownum.take(first).to_pylist(), raw_vals))
            self.warnings.append(f"{len(bad_idx)} value(s) of '{label}' were not counted "
                                 "(not a valid answer on its scale).")
        return values, counts

    def _refuse_rounded_ids(self, ids: pa.Array, kept: pa.Array) -> None:
        """Long numeric ids that a spreadsheet rounded to a few digits ('1.14E+11': Excel opening a
        SurveyMonkey CSV and saving it again) make different responses one: loaded, thousands of
        rows would collapse into a handful of 'duplicates' (found by an audit)."""
        rounded = pc.fill_null(pc.match_substring_regex(ids, _ROUNDED_ID.pattern), False)
        found = ids.filter(pc.and_(kept, rounded))
        # A spreadsheet rounds the column's long numbers, which then share ids; a lone '3e141592'
        # among hexadecimal ids is an id (found in review: it refused the file).
        if not len(found) or (len(found) * 2 < (pc.sum(kept).as_py() or 0)
                              and pc.count_distinct(found).as_py() == len(found)):
            return
        examples = [v for v in pc.unique(found).to_pylist() if _loses_digits(v)][:2]
        if not examples:
            return
        keys = [k for k in self.m.keys_with("response_id") if k in self.cols]
        label = self.m.columns[keys[0]].label or keys[0]
        raise IngestError(
            "damaged_ids",
            f"The response ids in '{label}' have been rounded to numbers such as "
            f"{' and '.join(examples)}, as Excel does when it opens a CSV file and saves it again: "
            f"{len(found):,} rows now share a few ids, so their responses cannot be told apart or merged "
            "with those stored. Upload the file as the survey tool exported it (or, in Excel, make the "
            "column text before saving). Nothing was loaded.")

    def _refuse_shared_ids(self, ids: pa.Array, kept: pa.Array) -> None:
        """Ids that most rows share, in a file of one row per response: the id column no longer
        tells responses apart (found by a review: a Porsline export saved in a code page without
        Persian digits made every id '?????', and 2,857 rows collapsed into one response). Ids
        rounded by Excel are the same damage, said in their own words (_refuse_rounded_ids)."""
        kid = pc.drop_null(ids.filter(kept))
        if len(kid) < 2 or _surely_unique(kid):
            return
        keys = [k for k in self.m.keys_with("response_id") if k in self.cols]
        refuse_shared_ids(pc.value_counts(kid), len(kid), self.m.columns[keys[0]].label or keys[0])

    def _synthetic_ids(self, responded_at: pa.Array) -> pa.Array:
        """No id column: an id that re-uploading the same or a later export gives the same
        response again (row numbers would shift). Where the answer times carry a time of day
        (Google Forms' timestamps to the second), the time alone: a later export with an answer
        corrected in the sheet then updates that response instead of adding it again. With dates
        only, a hash of the date and every mapped cell. Either way rows alike in it are told apart
        by their order ('-2', '-3'): two customers who answered the same on the same day are two
        responses, not a duplicate. Mappings saved before the time alone was used (version 1) keep
        the hash of the time and cells, so their surveys' stored responses keep their ids."""
        import duckdb

        if pc.all(pc.is_null(responded_at)).as_py():
            self.warnings.append("The file has neither a response id nor an answer time: rows "
                                 "are identified by their row number, so re-uploading an "
                                 "overlapping export would add them again.")
            return pa.nulls(self.n, pa.string())
        cols = {f"c{i}": clean(a) for i, a in enumerate(self.cols.values())}
        cols["ts"] = responded_at
        cols["i"] = pa.array(np.arange(self.n, dtype=np.int64))
        t = pa.table(cols)
        cells = "concat_ws(chr(31), ts::VARCHAR, " + ", ".join(
            f"coalesce(c{i}, '')" for i in range(len(cols) - 2)) + ")"
        by_time = self.m.version >= 2 and self.ts_text is not None and _has_time_of_day(self.ts_text)
        key = f"CASE WHEN ts IS NOT NULL THEN 't' || ts::VARCHAR ELSE {cells} END" if by_time else cells
        con = duckdb.connect()
        try:
            # ts::VARCHAR is written in the session's time zone: UTC, so that the same file gets
            # the same ids on any machine.
            con.execute("SET TimeZone = 'UTC'")
            con.register("t", t)
            out = con.sql(f"""
                SELECT 'h-' || left(md5(key), 16) || CASE WHEN k > 1 THEN '-' || k ELSE '' END AS id
                FROM (SELECT i, key, row_number() OVER (PARTITION BY key ORDER BY i) AS k
                      FROM (SELECT i, {key} AS key FROM t))
                ORDER BY i""").to_arrow_table()
        finally:
            con.close()
        return flat(out.column("id"))

    def _dedupe(self, kept: pa.Array, ids: pa.Array, ts: pa.Array):
        """Keep one row per response id: the latest answer time, else the last row."""
        kid = ids.filter(kept)
        if len(kid) < 2 or _surely_unique(kid):
            return kept, []
        # sorting beats hashing for a million distinct strings
        ordered = kid.take(pc.sort_indices(kid))
        same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
        if not pc.any(same).as_py():
            return kept, []
        dup_vals = pc.unique(ordered.slice(1).filter(same))
        sel = indices(pc.and_(kept, pc.is_in(ids, value_set=dup_vals)))
        groups: dict[str, list[tuple[Any, int]]] = {}
        for i, rid, t in zip(sel.to_pylist(), ids.take(sel).to_pylist(),
                             ts.take(sel).to_pylist()):
            groups.setdefault(rid, []).append((t, i))
        drop, report = [], []
        rn = self.rownum
        for rid, rows in groups.items():
            has_t = all(t is not None for t, _ in rows)
            winner = max(rows, key=lambda r: (r[0] is not None, r[0] or 0, r[1])) if has_t \
                else max(rows, key=lambda r: r[1])
            numbers = [rn[i].as_py() for _, i in sorted(rows, key=lambda r: r[1])]
            why = "latest answer time" if has_t else "last row in the file"
            report.append((rid, numbers, f"kept row {rn[winner[1]].as_py()} ({why})"))
            drop.extend(i for _, i in rows if i != winner[1])
        self.warnings.append(f"{len(groups)} response id(s) appear more than once; one row "
                             "of each was kept.")
        drop_mask = pc.is_in(pa.array(range(self.n), pa.int64()),
                             value_set=pa.array(drop, pa.int64()))
        return pc.and_(kept, pc.invert(drop_mask)), sorted(report, key=lambda r: r[1][0])

    def _listed(self, mask: pa.Array, reason: pa.Array) -> list[tuple[int, str]]:
        idx = indices(mask)
        return list(zip(self.rownum.take(idx).to_pylist(), reason.take(idx).to_pylist()))

    def _reject_list(self, rejected, measures, problems) -> list[tuple[int, str]]:
        top = header_end(self.raw.row_numbers, self.m.header_rows)
        out = [(rn, f"could not be read: {why}") for rn, why in problems.items() if rn > top]
        idx = indices(rejected)
        if len(idx):
            parts: list[list[str]] = [[] for _ in range(len(idx))]
            for k, _, spec, mv in measures:
                inv = mv.invalid.take(idx).to_pylist()
                vals = self.cols[k].take(idx).to_pylist()
                for j, (bad, v) in enumerate(zip(inv, vals)):
                    if bad:
                        v = v.strip()
                        parts[j].append(f"{spec.label or k} '{v}' {mv.reasons.get(v, 'invalid')}")
            for rn, p in zip(self.rownum.take(idx).to_pylist(), parts):
                out.append((rn, "no valid answer: " + "; ".join(p)))
        return sorted(out)

    def _long(self, pool, kept, ids, ts, fixed, segments, measures, comments,
              comment_ok) -> pa.Table:
        pieces_idx, metric, value, text, tps = [], [], [], [], []
        for k, name, spec, mv in measures:
            idx = indices(pc.and_(kept, pc.is_valid(mv.values)))
            pieces_idx.append(idx)
            metric.append((name, len(idx)))
            value.append(mv.values.take(idx))
            text.append(pa.nulls(len(idx), pa.string()))
            tps.append((spec.touchpoint, idx))
        for k, name, spec, arr in comments:
            idx = indices(pc.and_(kept, comment_ok[k]))
            pieces_idx.append(idx)
            metric.append((name, len(idx)))
            value.append(pa.nulls(len(idx), pa.float64()))
            src = arr if arr.type == pa.string() else arr.cast(pa.string())
            text.append(src.take(idx))  # verbatim: never trimmed or cleaned
            tps.append((spec.touchpoint, idx))
        if not pieces_idx:
            return empty_table(sorted(segments))
        row = pa.concat_arrays(pieces_idx)
        total = len(row)
        base_tp = fixed.get("touchpoint")
        if any(tp for tp, _ in tps) or base_tp is None:
            touchpoint = pa.concat_arrays([
                pa.repeat(pa.scalar(tp, pa.string()), len(idx)) if tp or base_tp is None
                else _as_str(base_tp.take(idx)) for tp, idx in tps])
        else:
            touchpoint = pool.submit(_take_str, base_tp, row)
        per_row = {"source_response_id": ids, "responded_at": ts,
                   "customer_id": fixed.get("customer_id"), "team": fixed.get("team"),
                   "agent_id": fixed.get("agent_id"), "agent_name": fixed.get("agent_name"),
                   "row_number": self.rownum, **{f"seg:{k}": v for k, v in segments.items()}}
        futures = {name: pool.submit(_take if name in ("responded_at", "row_number")
                                     else _take_str, arr, row)
                   for name, arr in per_row.items()}
        cols = {
            "source": pa.repeat(pa.scalar(self.m.source), total),
            "source_response_id": futures["source_response_id"].result(),
            "responded_at": futures["responded_at"].result(),
            "customer_id": futures["customer_id"].result(),
            "touchpoint": _as_str(touchpoint.result() if hasattr(touchpoint, "result")
                                  else touchpoint),
            "team": futures["team"].result(),
            "agent_id": futures["agent_id"].result(),
            "agent_name": futures["agent_name"].result(),
            "metric": _runs(metric),
            "value": pa.concat_arrays(value),
            "value_text": pa.concat_arrays(text),
            "row_number": futures["row_number"].result(),
        }
        table = pa.table(cols, schema=BASE_SCHEMA)
        for seg in sorted(segments):
            table = table.append_column(pa.field(seg, pa.string()),
                                        _as_str(futures[f"seg:{seg}"].result()))
        return table


def _runs(parts: list[tuple[str, int]]) -> pa.Array:
    """'nps' x n1, 'csat' x n2, ... as one string array, built straight from buffers."""
    import numpy as np

    sizes = [len(name.encode()) for name, _ in parts]
    lengths = np.repeat(np.array(sizes, np.int64), [c for _, c in parts])
    offsets = np.zeros(len(lengths) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join(name.encode() * c for name, c in parts)
    return pa.StringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(data))


# How many rows one id may carry before it stands for no response: an export pasted into one
# file three times carries each of its ids three times, and keeping one row of each is right.
SHARED_ID_ROWS = 3


def refuse_shared_ids(counts: pa.StructArray, rows: int, label: str, per: str = " with answers") -> None:
    """Refuse a file whose ids cannot tell its responses apart: more than half of its `rows` carry
    an id that more than SHARED_ID_ROWS rows carry. `counts`: pc.value_counts of the ids (or of
    the keys a response has one row of: a long file's id, measure and touchpoint, `per` says so).
    Such a file, loaded, would collapse into a handful of responses, each a mix of strangers'
    answers, and replace the stored responses that share those ids."""
    n = counts.field("counts").to_numpy(zero_copy_only=False)
    crowded = n > SHARED_ID_ROWS
    shared = int(n[crowded].sum())
    if not shared or shared * 2 <= rows:
        return
    order = np.argsort(-n[crowded], kind="stable")
    values = counts.field("values").filter(pa.array(crowded))
    if isinstance(values, pa.StructArray):  # a long file's keys: their id
        values = values.field(0)
    examples = [str(v) for v in values.take(pa.array(order[:2])).to_pylist()]
    many = int(crowded.sum())
    lost = any("?" in v or "\ufffd" in v for v in examples)
    raise IngestError(
        "damaged_ids",
        f"The response ids in '{label}' can no longer tell the responses apart: {shared:,} of "
        f"{rows:,} rows{per} share {'one id' if many == 1 else f'{many:,} ids'}, such as "
        + " and ".join(f"'{v}'" for v in examples) + ". "
        + ("Question marks stand where the ids had letters or digits, as when a file is saved in an encoding "
           "that cannot write them (Persian or Arabic digits saved as 'ANSI' text). " if lost else "")
        + "Loaded, those rows would collapse into a few responses, each mixing different customers' answers. "
        "Upload the file as the survey tool exported it, or map another column as the response id. Nothing was "
        "loaded.")


def _surely_unique(ids: pa.Array) -> bool:
    """Cheap proof of uniqueness for numeric ids (most tools number their responses): distinct
    integers imply distinct strings; anything else needs the full check."""
    try:
        as_int = pc.cast(ids, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return pc.count_distinct(as_int).as_py() == len(ids)


def _take(arr: pa.Array | None, row: pa.Array) -> pa.Array:
    return pa.nulls(len(row), pa.string()) if arr is None else arr.take(row)



def _as_str(a: pa.Array) -> pa.Array:
    return a if a.type == pa.string() else a.cast(pa.string())


def _take_str(arr: pa.Array | None, row: pa.Array) -> pa.Array:
    return _as_str(_take(arr, row))
