"""Use cases shared by the CLI and the pages: open the database, pick the model, load files and
the demo, compute the pyramid as JSON. Each function is one user-visible action."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

from . import pyramid as pyramid_mod
from . import queries, store, tables
from .db import Database
from .model import Model, load_model
from .period import comparison_note
from .view import ViewState

DEMO_MODEL = Path(__file__).resolve().parent / "models" / "demo.yaml"
DEMO_RESPONSES = int(os.environ.get("CX_DEMO_RESPONSES", "200000"))


class ServiceError(RuntimeError):
    pass


def open_db(path=None, *, read_only: bool = False) -> Database:
    return Database(path, read_only=read_only)


def model_path_for(db: Database, explicit: str | os.PathLike | None = None, cur=None) -> Path:
    """--model, else $CX_MODEL, else the model the database was loaded with, else the demo model."""
    return chosen_model_path(db.meta("model_path", cur), explicit)


def chosen_model_path(stored: str | None, explicit: str | os.PathLike | None = None) -> Path:
    chosen = explicit or os.environ.get("CX_MODEL") or stored
    return Path(chosen) if chosen else DEMO_MODEL


def model_pinned(explicit: str | os.PathLike | None = None) -> bool:
    """A model named by --model or $CX_MODEL is read from its file as it is: versions edited in
    the app (cxdata.model_versions) apply to the model the database uses when none is named."""
    return bool(explicit or os.environ.get("CX_MODEL"))


def load_model_for(db: Database, explicit=None) -> Model:
    from . import model_versions

    path = model_path_for(db, explicit)
    if not model_pinned(explicit):
        edited = model_versions.latest(db.cursor(), path)
        if edited is not None:
            return model_versions.model_of(edited, path)
    return load_model(path)


def remember_model(db: Database, path) -> None:
    with db.transaction() as cur:
        db.set_meta(cur, "model_path", str(Path(path).resolve()))


def touchpoint_aliases(model: Model) -> dict[str, str]:
    return {label: t.key for t in model.touchpoints for label in (t.key, t.name, *t.aliases)}


def segment_aliases(model: Model) -> dict[str, dict[str, str]]:
    """Per segment, the texts an export may use -> the value stored (`Segment.stored_values`)."""
    return {seg.key: table for seg in model.segments if (table := seg.stored_values())}


def saved_mappings(db: Database, model_path: Path | None = None) -> list:
    """Mappings confirmed in this database, then those shipped beside the model (`mappings/`)."""
    from .ingest.engine import load_mappings
    from .ingest.mapping import Mapping

    out = [Mapping.from_json(text) for (text,) in db.cursor().execute(
        "SELECT mapping::VARCHAR FROM mappings ORDER BY saved_at DESC").fetchall()]
    folder = (model_path or model_path_for(db)).parent / "mappings"
    if folder.is_dir():
        out += load_mappings(folder)
    return out


def save_mapping(db: Database, mapping) -> None:
    with db.transaction() as cur:
        cur.execute("DELETE FROM mappings WHERE fingerprint = ?", [mapping.fingerprint])
        cur.execute("INSERT INTO mappings (fingerprint, source, mapping) VALUES (?, ?, ?)",
                    [mapping.fingerprint, mapping.source, mapping.to_json()])


def limits():
    from .ingest.limits import Limits

    mb = os.environ.get("CX_MAX_UPLOAD_MB")
    return Limits(max_bytes=int(float(mb) * 2**20)) if mb else Limits()


def inspect_file(db: Database, model: Model, path: Path, *, encoding: str | None = None, sheet: str | None = None,
                 name: str | None = None):
    from dataclasses import replace

    from .ingest import engine

    in_use = [r[0] for r in db.cursor().execute(
        "SELECT name FROM sources WHERE source_id IN (SELECT DISTINCT source_id FROM responses)").fetchall()]
    ins = engine.inspect(path, encoding=encoding, sheet=sheet, saved_mappings=saved_mappings(db),
                         touchpoint_aliases=touchpoint_aliases(model), segment_aliases=segment_aliases(model),
                         limits=limits(), name=name, sources_in_use=in_use)
    from .ingest.mapping import SCALES

    mapping = on_model_scales(ins.mapping, model)

    def scale(spec) -> tuple[float, float] | None:
        return tuple(spec.scale) if spec.scale else SCALES.get(spec.role)

    # The scale a rating was guessed to have gives way to the model's: say which, not the guess;
    # and only where they differ (a note per rating read on its usual scale buried the notes that
    # mattered, found by an audit), one line per scale.
    changed = [(spec.label or k, scale(spec)) for k, spec in mapping.columns.items()
               if (old := ins.mapping.columns.get(k)) is None or (spec != old and scale(spec) != scale(old))]
    if not changed:
        return replace(ins, mapping=mapping)
    guessed = {f"'{label}': answers run from" for label, _ in changed}
    by_scale: dict[tuple, list[str]] = {}
    for label, bounds in changed:
        by_scale.setdefault(bounds, []).append(f"'{label}'")
    notes = [f"{', '.join(labels)}: read on the model's scale, {lo:g} to {hi:g}; an answer outside it is not counted"
             for (lo, hi), labels in by_scale.items()]
    return replace(ins, mapping=mapping,
                   warnings=[w for w in ins.warnings if not any(w.startswith(g) for g in guessed)] + notes)


def apply_inspection(db: Database, inspection, mapping=None, *, file_name: str | None = None,
                     model: Model | None = None, allow_losses: bool = False) -> dict:
    """Normalise an inspected file with its (confirmed) mapping and store it in one transaction.
    With the model, the receipt also names the touchpoints and teams of the file that the model
    does not have: their responses are stored, but have no tile of their own. A file that would take
    from many stored responses what they have (store.many_losses) raises store.LossError, nothing
    stored, unless `allow_losses`: the Upload page asks, the command line wants --allow-losses."""
    from dataclasses import replace

    from .ingest import engine

    mapping = mapping or inspection.mapping
    if model is not None:
        mapping = on_model_scales(mapping, model)
    result = engine.normalise(inspection, mapping, scales=measure_scales(model) if model is not None else None)
    path = inspection.path
    # Labels a code page wrote '?' in: a stored response keeps its own, other rows are rejected.
    settled = store.settle_lost_labels(db, result.table, result.lost_labels, mapping.encoding or inspection.encoding)
    table = settled.table
    outside = outside_model(table, model) if model is not None else []
    # Read before the file is stored: afterwards its own answers are among those already there.
    pooled = joins_pooled_index(db, table, model) if model is not None else []
    shared = ids_stored_elsewhere(db, table, mapping.source, inspection.layout_name) \
        if mapping.keys_with("response_id") else []
    receipt = store.Receipt(
        file_name=file_name or path.name, rows_read=result.rows_read, rejected=sorted(list(result.rejects) + settled.rejected),
        excluded=list(result.excluded), duplicates=list(result.duplicates),
        warnings=list(result.warnings) + settled.warnings + outside + pooled
        + [shared_ids_text(mapping.source, name, n) for name, n in shared],
        skipped=list(getattr(result, "skipped", [])), labels_kept=settled.kept,
    )
    receipt.invalid_values = [list(v) for v in result.invalid_values]  # type: ignore[attr-defined]
    digest = _sha256(path)
    kept = _keep_original(db, path, digest)
    store.apply(db, table, receipt, upload={
        "file_name": receipt.file_name, "sha256": digest, "size_bytes": path.stat().st_size, "stored_path": str(kept),
        "layout": inspection.layout_name, "encoding": inspection.encoding,
    }, theme_patterns=theme_patterns(model), allow_losses=allow_losses)
    # A column of the export that the mapping does not name was never confirmed (a new question,
    # loaded unattended without it): saved, the mapping would pass the export off as known, and the
    # next load would not ask about it either.
    unconfirmed = [k for k in inspection.new_columns if k not in mapping.columns]
    if mapping.fingerprint and not unconfirmed:
        if mapping.dayfirst is None and result.dayfirst is not None:
            # The order this export's dates settled (23/11/2026) holds for the next export of the
            # survey, whose dates may all be ambiguous (01/12/2026 ... 12/12/2026).
            mapping = replace(mapping, dayfirst=result.dayfirst)
        if mapping.numeric_codes is None:
            mapping = replace(mapping, numeric_codes=inspection.layout.numeric_codes)
        save_mapping(db, mapping)
    labels = {c.key: c.label or c.key for c in inspection.columns}
    out = {"file": receipt.file_name, "status": "loaded", "layout": inspection.layout_name,
           "encoding": inspection.encoding, "source": mapping.source, "mapping": inspection.mapping_origin,
           **receipt.to_dict(),
           # The export's columns its saved mapping did not know, and what became of them here.
           "new_columns": [{"column": labels.get(k, k), "loaded_as": _role_of(mapping.columns.get(k)),
                            "suggested": _role_of(inspection.suggested.columns.get(k))}
                           for k in inspection.new_columns],
           "ids_stored_under": [{"source": name, "response_ids": n} for name, n in shared]}
    out["invalid_values"] = receipt.invalid_values  # type: ignore[attr-defined]
    # Stored answers that some tile will not show (no answer time, a touchpoint, team or measure the
    # model does not have): the receipt's warnings say which; the page does not call that a success.
    if receipt.updated:
        # Which responses changed, and how: read back from the versions the merge replaced.
        out["updated_responses"] = [list(r) for r in store.updated_responses(db.cursor(), receipt.upload_id)]
    out["unseen"] = bool(getattr(result, "untimed", 0) or outside)
    out["undated"] = int(getattr(result, "untimed", 0))  # responses stored without an answer time
    if model is not None and (detail := not_counted_detail(table, model)):
        out["not_counted"] = detail
    out["counted"] = counted_responses(table, model) if model is not None else out["added"] + out["updated"]
    return out


ROW_CELLS_LISTED = 10_000  # rows of a receipt whose original cells are kept for its download


def row_cells(inspection, lines) -> tuple[list[str], dict[int, list[str]]]:
    """(header, {line: cells as text}) of the file's rows `lines` (the receipt's rejected, excluded
    and skipped rows), the first ROW_CELLS_LISTED of them: so the rows a receipt lists can be fixed
    and loaded again, not only looked up (found by a review: its CSV had the line and the reason
    alone). A row the reader could not split (a CSV record with more or fewer values than the header)
    is split again as it is written, its extra values after the header's columns."""
    import numpy as np

    from .ingest._arrow import flat
    from .ingest.layouts import dedupe_names

    raw, layout = inspection.raw, inspection.layout
    header = dedupe_names([c.label or c.key for c in layout.columns])
    wanted = sorted({int(n) for n in lines})[:ROW_CELLS_LISTED]
    if not wanted:
        return header, {}
    numbers = flat(raw.row_numbers).cast("int64").to_numpy(zero_copy_only=False)
    at = np.searchsorted(numbers, wanted)  # row numbers rise through the file
    found = [(line, int(i)) for line, i in zip(wanted, at) if i < len(numbers) and numbers[i] == line]
    out: dict[int, list[str]] = {}
    if found:
        rows = raw.table.take([i for _, i in found])
        cols = [rows.column(c.index).to_pylist() if c.index < rows.num_columns else [None] * len(found)
                for c in layout.columns]
        for j, (line, _) in enumerate(found):
            out[line] = ["" if col[j] is None else str(col[j]) for col in cols]
    missing = [line for line in wanted if line not in out]
    if missing and raw.format == "csv" and raw.encoding and raw.delimiter:
        out.update(_records_as_written(inspection.path, raw.encoding, raw.delimiter, missing, len(header)))
    return header, out


def with_cells(table, cells: tuple[list[str], dict[int, list[str]]] | None, line: str = "line in file"):
    """The receipt's rows (a frame with a column `line`) followed by each row's original cells, as
    text: the file's header names them (after the receipt's own columns, renamed where they clash);
    values past the header's columns are 'extra 1', 'extra 2'..."""
    import pandas as pd

    from .ingest.layouts import dedupe_names

    if not cells or not cells[1]:
        return table
    header, rows = cells
    width = max([len(header)] + [len(r) for r in rows.values()])
    names = dedupe_names(list(table.columns) + header + [f"extra {i + 1}" for i in range(width - len(header))])
    mine = names[len(table.columns):]
    blank = [""] * width
    values = [(rows.get(int(n)) or blank) + [""] * (width - len(rows.get(int(n)) or blank)) for n in table[line]]
    return pd.concat([table.reset_index(drop=True), pd.DataFrame(values, columns=mine, dtype="string")], axis=1)


def _records_as_written(path: Path, encoding: str, delimiter: str, lines: list[int], width: int) -> dict[int, list[str]]:
    """The CSV records `lines` (record numbers, as the reader counts them) split as written."""
    import csv

    want, out = set(lines), {}
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            number = 0
            for record in reader:
                if number == 0 and len(record) == 1 and record[0].strip().lower().startswith("sep="):
                    continue  # Excel's 'sep=' line is no record
                number += 1
                if number in want:
                    out[number] = record + [""] * (width - len(record))
                if number >= lines[-1]:
                    break
    except (OSError, csv.Error, UnicodeError, LookupError):
        pass  # the receipt's line and reason stand alone
    return out


def _role_of(spec) -> str:
    if spec is None or spec.role == "ignore":
        return "ignore"
    return spec.role + "".join(f" {v}" for v in (spec.measure, spec.segment, spec.touchpoint) if v)


# Response ids this short and all digits are running numbers, which any two sheets share.
RUNNING_NUMBER = 4
SHARED_IDS_SAMPLE = 1000


def ids_stored_elsewhere(db: Database, table, source: str, layout: str) -> list[tuple[str, int]]:
    """(source, response ids) of the other sources that hold this file's response ids, from an
    export of the same layout, most first; [] unless `source` holds no response yet. A file loaded
    as a new source whose ids another holds is most likely that survey's export, taken for another
    survey, its responses now stored twice (found by a review: a Google Form with its columns in
    another order, every case of Close the loop listed twice)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cur = db.cursor()
    if cur.execute("SELECT count(*) FROM (SELECT 1 FROM responses WHERE source_id IN "
                   "(SELECT source_id FROM sources WHERE name = ?) LIMIT 1)", [source]).fetchall()[0][0]:
        return []
    ids = pc.unique(table["source_response_id"].cast(pa.string()).combine_chunks())
    running = pc.and_(pc.utf8_is_digit(ids), pc.less_equal(pc.utf8_length(ids), RUNNING_NUMBER))
    ids = ids.filter(pc.invert(pc.fill_null(running, True)))
    if not len(ids):
        return []
    from .ingest.recognise import PLAIN_HEADER

    # (a tool's export with its columns in another order reads as a plain sheet)
    layouts = sorted(PLAIN_HEADER) if layout in PLAIN_HEADER else [layout]
    query = """SELECT s.name, count(*) FROM responses r JOIN sources s USING (source_id)
               WHERE r.upload_id IN (SELECT upload_id FROM uploads WHERE list_contains(?, layout))
                 AND s.name <> ? AND r.source_response_id IN (SELECT id FROM file_ids)
               GROUP BY s.name ORDER BY 2 DESC, 1"""
    # A sample over the whole file first (an export's overlap with the last is at its start or its
    # end): a new survey's ids are found nowhere, and a million of them need not be looked up.
    spread = ids.take(pa.array(range(0, len(ids), max(1, len(ids) // SHARED_IDS_SAMPLE)), pa.int64()))
    for sample in (spread, ids):
        cur.register("file_ids", pa.table({"id": sample}))
        try:
            found = [(name, int(n)) for name, n in cur.execute(query, [layouts, source]).fetchall()]
        finally:
            cur.unregister("file_ids")
        if not found or len(sample) == len(ids):
            return found
    return found


SHARED_IDS = "of its response ids are already stored under the source"


def shared_ids_text(source: str, other: str, n: int) -> str:
    return (f"{n:,} {SHARED_IDS} '{other}', loaded from the same kind of export: this is likely the same survey, "
            f"now stored twice (as '{source}' too). If so, remove this upload in the upload history and load the file "
            f"under the source '{other}'.")


def counted_responses(table, model: Model) -> int:
    """Responses of canonical `table` with an answer that some tile of `model` counts: a measure a
    KPI uses, from a source the KPI counts, given at a touchpoint or team or to the index's own
    measure. None, and a file would replace the demo with an empty dashboard (found by an audit)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not {"metric", "value"} <= set(table.column_names) or not table.num_rows:
        return 0
    metric = table["metric"].cast(pa.string())
    source = table["source"].cast(pa.string()) if "source" in table.column_names else pa.nulls(table.num_rows, pa.string())
    # At a touchpoint or team the model has (a team's answers count at its touchpoint), and timed:
    # an untimed answer counts in no period (found by a review).
    placed = pc.or_(*[_known(table[c].cast(pa.string()), c, model) if c in table.column_names
                      else pa.array([False] * table.num_rows) for c in ("touchpoint", "team")])
    timed = pc.is_valid(table["responded_at"]) if "responded_at" in table.column_names \
        else pa.array([False] * table.num_rows)
    index = model.index.kpi
    # One test per (measure, sources, at a node or the index), not per KPI: a model's 80 KPIs over a
    # million answers cost an ingest half a second.
    kinds: dict[tuple, set] = {}
    for k in model.kpis():
        if k.stat != "composite":
            kinds.setdefault((tuple(sorted(k.sources)), k is not index), set()).add(k.measure)
    counted = pa.scalar(False)
    for (sources, at_node), measures in kinds.items():
        mine = pc.is_in(metric, value_set=pa.array(sorted(measures), pa.string()))
        if sources:
            mine = pc.and_(mine, pc.is_in(source, value_set=pa.array(list(sources), pa.string())))
        if at_node:
            mine = pc.and_(mine, placed)
        counted = pc.or_(counted, mine)
    mask = pc.fill_null(pc.and_(pc.and_(counted, pc.is_valid(table["value"])), timed), False)
    if "rid" in table.column_names and table["rid"].null_count == 0:
        # The engine's integer index of (source, response id): counting it is a fraction of the
        # cost of hashing the id strings again, and an id two sources share is two responses.
        import numpy as np

        rids = table["rid"].filter(mask).to_numpy()
        return int(np.count_nonzero(np.bincount(rids))) if len(rids) else 0
    ids = pc.binary_join_element_wise(pc.fill_null(source, ""), table["source_response_id"].cast(pa.string()), "\x1f")
    return len(pc.unique(ids.filter(mask)))


def on_model_scales(mapping, model: Model):
    """The mapping with each rating or number that feeds a measure of the model read on the
    model's scale: an answer outside it is rejected, as one of a CSAT column is (found by an
    audit: a 'csat' rating assumed to run 1-7 put a 7 into a 1-5 CSAT tile)."""
    from dataclasses import replace

    from .ingest.mapping import SCALES

    columns = dict(mapping.columns)
    for k, spec in columns.items():
        typed = spec.role in SCALES  # csat, ces, nps...: their usual scale, unless the model's differs
        measure = model.measures.get(mapping.measure_of(k)) if typed or spec.role in ("rating", "number") else None
        if measure is not None:
            columns[k] = replace(spec, role=spec.role if typed else "rating",
                                 scale=[float(measure.scale[0]), float(measure.scale[1])])
    return replace(mapping, columns=columns)


def measure_scales(model: Model) -> dict[str, tuple[float, float]]:
    """Each measure's scale in the model: a long file's answers outside it are refused, as a wide
    file's are through `on_model_scales` (a model edit may have narrowed a scale)."""
    return {key: (float(m.scale[0]), float(m.scale[1])) for key, m in model.measures.items()}


def ingest_file(db: Database, model: Model, path: Path, *, encoding: str | None = None, sheet: str | None = None,
                dayfirst: bool | None = None, timezone: str | None = None, source: str | None = None,
                allow_losses: bool = False) -> dict:
    """Load one file (any supported export); its receipt as a dict with status 'loaded' or 'refused'.
    `dayfirst` and `timezone` settle what the file cannot say (as the Upload page asks them);
    `source` names the survey the responses are stored under, as the page's mapping step does
    ('Google Forms' is stored as google_forms). A file that would take from many stored responses
    what they have is refused (code 'losses') unless `allow_losses`, which the page asks."""
    try:
        return _ingest_file(db, model, path, encoding=encoding, sheet=sheet, dayfirst=dayfirst, timezone=timezone,
                            source=source, allow_losses=allow_losses)
    finally:
        release_memory()  # the file's tables are gone with _ingest_file's frame


def _ingest_file(db: Database, model: Model, path: Path, *, encoding: str | None, sheet: str | None,
                 dayfirst: bool | None, timezone: str | None, source: str | None = None,
                 allow_losses: bool = False) -> dict:
    from dataclasses import replace

    from .ingest import engine
    from .ingest.errors import IngestError
    from .ingest.mapping import MappingError, source_name

    base = {"file": str(path)}
    if not path.exists():
        return {**base, "status": "refused", "error": "file not found"}
    try:
        inspection = inspect_file(db, model, path, encoding=encoding, sheet=sheet)
        mapping = inspection.mapping
        if dayfirst is not None:
            mapping = replace(mapping, dayfirst=dayfirst)
        if timezone is not None:
            mapping = replace(mapping, timezone=timezone)
        if source is not None:
            mapping = replace(mapping, source=source_name(source))
        receipt = apply_inspection(db, inspection, mapping, file_name=path.name, model=model,
                                   allow_losses=allow_losses)
        # What the Upload page shows before loading (the sheet read, a scale assumed): here, with
        # nobody to show it to first, on the receipt.
        asked = engine.advice(inspection, timezone_set=timezone is not None, dates_set=dayfirst is not None,
                              source_set=source is not None)
        return {**receipt, "warnings": asked + [w for w in receipt.get("warnings", []) if w not in asked],
                "file": str(path)}
    except store.LossError as exc:
        return {**base, "status": "refused", "error": str(exc), "code": "losses", "losses": exc.losses,
                "updated": exc.updated}
    except (IngestError, MappingError, store.InputError) as exc:
        return {**base, "status": "refused", "error": getattr(exc, "message", None) or str(exc),
                **({"code": exc.code} if isinstance(exc, IngestError) else {})}
    except OSError as exc:
        return {**base, "status": "refused", "error": f"could not read the file: {exc.strerror or exc}"}


def release_memory() -> None:
    """Give the memory a file's columns held back to the system. Arrow's allocator keeps freed
    blocks for reuse: a server that read a 1M-row upload stayed 450 MB larger until it read the
    next one. Call it once nothing refers to the file's tables any more."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


# How many names of unknown touchpoints or teams a message lists (the receipt and the page alike).
NAMES_LISTED = 8
NOT_IN_TILES = {
    "touchpoint": "They are stored, and totals such as the index include them, but no touchpoint tile counts them "
                  "until the model lists the touchpoint (or the name as one of its aliases).",
    "team": "They are stored, and their touchpoint's tile includes them, but no team tile counts them until "
            "the model lists the team (or the name as one of its aliases).",
    "team_alone": "They are stored, and totals such as the index include them, but no touchpoint or team tile counts "
                  "them until the model lists the team (or the name as one of its aliases), or the file says their "
                  "touchpoint.",
}


def outside_model(table, model: Model) -> list[str]:
    """One warning per level for the touchpoint and team labels of canonical `table` that `model`
    cannot resolve, and one for known teams named at another touchpoint than their own, with the
    number of responses naming each. Only the distinct labels are resolved; responses are counted
    only when some label is unknown or misplaced."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for level in ("touchpoint", "team"):
        if level not in table.column_names:
            continue
        # Plain strings: chunks of dictionary arrays with different dictionaries cannot be grouped.
        labels_col = table[level].cast(pa.string())
        labels = [v for v in pc.unique(labels_col).to_pylist() if v is not None and not model.resolve(level, v)]
        if not labels:
            continue
        unknown = pc.is_in(labels_col, value_set=pa.array(labels, pa.string()))
        ids = table["source_response_id"].cast(pa.string())
        if level == "touchpoint" and "team" in table.column_names:
            # Such answers that name a team of the model count at the team's touchpoint (Catalog.home).
            homed = pc.and_(unknown, _known(table["team"].cast(pa.string()), "team", model))
            counts = _counts_by(labels_col, ids, homed)
            if counts:
                out.append(f"Responses naming a touchpoint the model does not have, and a team it has: "
                           f"{named_counts(counts)}. They count in their team's tile and at its touchpoint.")
            unknown = pc.and_(unknown, pc.invert(homed))
        if level == "team":
            # An unknown team counts at its response's touchpoint only where the response names one
            # the model has; without, in no tile but the totals (found with a Porsline export whose
            # 'which unit helped you' column named the call centre and the chat: told otherwise).
            placed = (_known(table["touchpoint"].cast(pa.string()), "touchpoint", model)
                      if "touchpoint" in table.column_names else pa.array([False] * len(table)))
            homeless = pc.and_(unknown, pc.invert(placed))
            counts = _counts_by(labels_col, ids, homeless)
            if counts:
                out.append(f"Responses naming a team the model does not have, and no touchpoint it has: "
                           f"{named_counts(counts)}. {NOT_IN_TILES['team_alone']}")
            unknown = pc.and_(unknown, placed)
        counts = _counts_by(labels_col, ids, unknown)
        if counts:
            out.append(f"Responses naming a {level} the model does not have: {named_counts(counts)}. {NOT_IN_TILES[level]}")
    elsewhere = _teams_elsewhere(table, model)
    if elsewhere:
        out.append(f"Responses naming a team at a touchpoint the model does not give it: {named_counts(elsewhere)}. "
                   "They count in that touchpoint's tile, but not in the team's.")
    unused = _unused_measures(table, model)
    if unused:
        used = ", ".join(sorted(_kpi_measures(model)))
        out.append(f"Answers to a measure that no KPI of the model uses: {named_counts(unused)}. They are stored, "
                   f"and no tile shows them. If the question is one the model measures ({used}), give its column "
                   "that measure in the mapping; otherwise ask whoever maintains the model (the Model page) for a KPI "
                   "on it.")
    for measure, source, sources, n in _other_sources(table, model):
        # In the user's words: what is stored, what counts it, and who can change that (found by a
        # review: "add 'ragged_rows' to the sources of the KPIs on nps in the model" meant nothing to
        # a non-technical user). The model's terms are in `not_counted_detail`, for the command line.
        names = [k.name for k in _kpis_on(model, measure)]
        kpis = f"the KPI{'' if len(names) == 1 else 's'} " + _names([f"'{k}'" for k in names])
        out.append(f"These answers are stored, but no KPI of the pyramid counts them yet: "
                   f"{_measure_names([(measure, n)], model)[0][0]} from '{source}' ({n:,} response{'' if n == 1 else 's'}). "
                   f"{kpis[0].upper() + kpis[1:]} count{'s' if len(names) == 1 else ''} only the answers of the sources "
                   f"{_names([f'{x!r}' for x in sources])}. If these answers belong there, ask whoever maintains the "
                   f"model (the Model page) to add the source '{source}' to {kpis}.")
    unplaced = _unplaced(table, model)
    if unplaced:
        out.append(f"Answers that name no touchpoint or team: {named_counts(_measure_names(unplaced, model))}. "
                   "Only touchpoint and team tiles use these measures, so no tile counts them (a relationship "
                   "survey's overall questions are often such answers). If the file has a column that says where "
                   "the customer was (a store, a channel), map it as the touchpoint.")
    return out


def joins_pooled_index(db: Database, table, model: Model) -> list[str]:
    """A warning per survey source of canonical `table` whose answers join an index that counts
    every source's (no `sources:`) for the first time, while other surveys' answers make it up:
    a transactional survey that also asks the NPS question moves the top of the pyramid, and the
    receipt said nothing of it (found by a review: the demo's index went from +28.3 to +17.8).
    Not for a source that answered the index before (its next export), nor for the first survey
    stored (it is what the index is made of)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    index = model.index.kpi
    if index.stat == "composite" or index.sources or not table.num_rows \
            or not {"metric", "value", "source", "responded_at"} <= set(table.column_names):
        return []
    # As the index counts them: a valid answer to its measure, timed (an untimed one is in no period).
    counted = pc.fill_null(pc.and_(pc.and_(pc.equal(table["metric"].cast(pa.string()), index.measure),
                                           pc.is_valid(table["value"])), pc.is_valid(table["responded_at"])), False)
    rows = pa.table({"source": table["source"].cast(pa.string()),
                     "id": table["source_response_id"].cast(pa.string())}).filter(counted)
    if not rows.num_rows:
        return []
    stored = {name for (name,) in db.cursor().execute(
        """SELECT s.name FROM sources s WHERE s.source_id IN (
               SELECT DISTINCT r.source_id FROM answers a JOIN responses r USING (response_key)
               WHERE a.measure IN (SELECT code FROM labels WHERE dim = 'measure' AND label = ?))""",
        [index.measure]).fetchall()}
    out = []
    for r in sorted(rows.group_by("source").aggregate([("id", "count_distinct")]).to_pylist(),
                    key=lambda r: (-r["id_count_distinct"], r["source"] or "")):
        if r["source"] is None or r["source"] in stored or not stored - {r["source"]}:
            continue
        n = r["id_count_distinct"]
        out.append(f"This file's {n:,} answer{'' if n == 1 else 's'} to {_measure_names([(index.measure, n)], model)[0][0]} "
                   f"from '{r['source']}' count in the {model.index.name}, beside the other surveys' answers: the "
                   "model's index counts every survey that asks its question. If this survey should not count there, "
                   "ask whoever maintains the model (the Model page) to name the surveys the index counts.")
    return out


def _kpis_on(model: Model, measure: str) -> list:
    """The KPIs of `measure`, once each (a KPI that several nodes share is one KPI to the user)."""
    seen: dict[str, object] = {}
    for k in model.kpis():
        if k.stat != "composite" and k.measure == measure:
            seen.setdefault(k.name, k)
    return list(seen.values())


def _names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def not_counted_detail(table, model: Model) -> list[dict]:
    """The answers stored under a source no KPI of their measure counts, in the model's terms (the
    KPIs' keys and their `sources:`): for `ingest --json`, where the receipt's words are the user's."""
    return [{"measure": measure, "source": source, "responses": n, "counted_sources": sources,
             "kpis": sorted({k.key for k in _kpis_on(model, measure)}),
             "fix": f"add '{source}' to the sources: of the KPIs on {measure} in the model"}
            for measure, source, sources, n in _other_sources(table, model)]


def _known(labels, level: str, model: Model):
    """Mask of `labels` (Arrow strings) that `model` resolves at `level`; nulls are not known."""
    import pyarrow as pa
    import pyarrow.compute as pc

    known = [v for v in pc.unique(labels).to_pylist() if v is not None and model.resolve(level, v)]
    return pc.fill_null(pc.is_in(labels, value_set=pa.array(known, pa.string())), False)


def _counts_by(labels, ids, mask) -> list[tuple[str, int]]:
    """(label, distinct responses) of the rows in `mask`, most first."""
    import pyarrow as pa

    rows = pa.table({"label": labels, "id": ids}).filter(mask)
    return sorted(((r["label"], r["id_count_distinct"]) for r in rows.group_by("label").aggregate(
        [("id", "count_distinct")]).to_pylist()), key=lambda r: (-r[1], r[0]))


def _other_sources(table, model: Model) -> list[tuple[str, str, list[str], int]]:
    """(measure, source, the sources the model counts it from, responses) for answers to a measure
    every KPI of which counts only other survey sources (found by an audit: a LimeSurvey NPS
    loaded beside a relationship index of Qualtrics and SurveyMonkey answers, and the receipt
    said nothing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not {"metric", "value", "source"} <= set(table.column_names) or not table.num_rows:
        return []
    kpis: dict[str, list] = {}
    for k in model.kpis():
        if k.stat != "composite":
            kpis.setdefault(k.measure, []).append(k)
    narrowed = {m: sorted({s for k in ks for s in k.sources}) for m, ks in kpis.items() if all(k.sources for k in ks)}
    if not narrowed:
        return []
    rows = pa.table({"metric": table["metric"].cast(pa.string()), "source": table["source"].cast(pa.string()),
                     "id": table["source_response_id"].cast(pa.string())}).filter(
        pc.and_(pc.is_valid(table["value"]), pc.is_in(table["metric"].cast(pa.string()),
                                                       value_set=pa.array(list(narrowed), pa.string()))))
    out = []
    for r in rows.group_by(["metric", "source"]).aggregate([("id", "count_distinct")]).to_pylist():
        allowed = narrowed[r["metric"]]
        if r["source"] is not None and r["source"] not in allowed:
            out.append((r["metric"], r["source"], allowed, r["id_count_distinct"]))
    return sorted(out, key=lambda r: (-r[3], r[0], r[1]))


def _kpi_measures(model: Model) -> set[str]:
    return {k.measure for k in model.kpis() if k.stat != "composite"}


def _measure_names(counts: list[tuple[str, int]], model: Model) -> list[tuple[str, int]]:
    """A measure's name from the model where it has one ('Effort (ces)'), else its key."""
    def name(key: str) -> str:
        m = model.measures.get(key)
        if m is None or not m.name or key.lower() in m.name.lower():
            return m.name if m is not None and m.name else key
        return f"{m.name} ({key})"
    return [(name(k), n) for k, n in counts]


def _unused_measures(table, model: Model) -> list[tuple[str, int]]:
    """(measure, responses), most first, of scored answers to measures no KPI of the model uses (a
    Zendesk 'csat_good' under a model of 1-5 CSAT): stored, and shown in no tile."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "metric" not in table.column_names or "value" not in table.column_names or not table.num_rows:
        return []
    metric = table["metric"].cast(pa.string())
    used = _kpi_measures(model)
    unused = [m for m in pc.unique(metric).to_pylist() if m is not None and m not in used]
    if not unused:
        return []
    rows = pa.table({"metric": metric, "id": table["source_response_id"].cast(pa.string())}).filter(
        pc.and_(pc.is_valid(table["value"]), pc.is_in(metric, value_set=pa.array(unused, pa.string()))))
    counts = rows.group_by("metric").aggregate([("id", "count_distinct")]).to_pylist()
    return sorted(((r["metric"], r["id_count_distinct"]) for r in counts), key=lambda r: (-r[1], r[0]))


def _unplaced(table, model: Model) -> list[tuple[str, int]]:
    """(measure, responses), most first, of answers with neither touchpoint nor team, of measures
    only touchpoint and team KPIs use (an index of a composite uses none itself): such answers are
    stored, and show in no tile."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "metric" not in table.column_names or not table.num_rows:
        return []
    index = model.index.kpi
    own = set() if index.stat == "composite" else {index.measure}
    node_measures = {k.measure for node in (*model.touchpoints, *model.teams, *model.journeys) for k in node.kpis} - own
    if not node_measures:
        return []
    nowhere = pc.and_(
        *(pc.is_null(table[col].cast(pa.string())) if col in table.column_names else pa.scalar(True)
          for col in ("touchpoint", "team")))
    metric = table["metric"].cast(pa.string())
    rows = pa.table({"metric": metric, "id": table["source_response_id"].cast(pa.string())}).filter(
        pc.and_(pc.fill_null(nowhere, False), pc.is_in(metric, value_set=pa.array(sorted(node_measures), pa.string()))))
    if not rows.num_rows:
        return []
    counts = rows.group_by("metric").aggregate([("id", "count_distinct")]).to_pylist()
    return sorted(((r["metric"], r["id_count_distinct"]) for r in counts), key=lambda r: (-r[1], r[0]))


def _teams_elsewhere(table, model: Model) -> list[tuple[str, int]]:
    """('team at touchpoint', responses), most first, for known teams named at a known touchpoint
    that is not their own (queries.Catalog.home says where such answers count)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "team" not in table.column_names or "touchpoint" not in table.column_names:
        return []
    tps, teams = table["touchpoint"].cast(pa.string()), table["team"].cast(pa.string())
    pairs = pa.table({"tp": tps, "team": teams}).filter(pc.and_(pc.is_valid(tps), pc.is_valid(teams)))
    ids = table["source_response_id"].cast(pa.string())
    counts = []
    for row in pairs.group_by(["tp", "team"]).aggregate([]).to_pylist():
        team, tp = model.resolve("team", row["team"]), model.resolve("touchpoint", row["tp"])
        if team and tp and model.team(team).touchpoint != tp:
            mask = pc.and_(pc.equal(teams, row["team"]), pc.equal(tps, row["tp"]))
            counts.append((f"{model.team(team).name} at {model.touchpoint(tp).name}", len(pc.unique(pc.filter(ids, mask)))))
    return sorted(counts, key=lambda r: (-r[1], r[0]))


def named_counts(counts) -> str:
    """'A' (3), 'B' (1) and 2 more: the first NAMES_LISTED of (name, responses) pairs."""
    from .bidi import isolated

    # A right-to-left name isolated: otherwise an Arabic name and the count after it trade places.
    shown = ", ".join(f"'{isolated(name)}' ({n:,})" for name, n in counts[:NAMES_LISTED])
    return shown + (f" and {len(counts) - NAMES_LISTED} more" if len(counts) > NAMES_LISTED else "")


def _keep_original(db: Database, path: Path, digest: str) -> Path:
    """The uploaded file as received, stored once by content hash beside the database."""
    folder = db.path.parent / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{path.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(path, target)
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def theme_patterns(model: Model | None) -> list[str] | None:
    """The search patterns of the model's themes, whose comments' themes an upload keeps
    (cxdata.theme_flags); None without a model or themes."""
    from .themes import patterns_of

    return patterns_of(model) if model is not None and model.themes else None


def load_demo(db: Database, responses: int | None = None) -> int:
    """Fill an empty database with the deterministic demo data (DEMO_RESPONSES responses unless
    told otherwise) and mark it as demo data."""
    from . import demo

    total = 0
    # Its comments' themes kept as an upload's are, so the first team view lists its themes without
    # searching every comment first (cost within the noise of the load: 50k responses, 2 pairs).
    patterns = theme_patterns(load_model(demo.demo_model_path()))
    if patterns:
        from . import theme_flags

        theme_flags.ensure_set(db, db.cursor(), theme_flags.fingerprint(patterns), len(patterns), wait=5.0)
    for batch in demo.generate(responses or DEMO_RESPONSES):
        receipt = store.apply(db, batch, store.Receipt(file_name="demo data", rows_read=len(batch)),
                              upload={"file_name": "demo data", "layout": "demo"}, theme_patterns=patterns)
        total += receipt.added
    with db.transaction() as cur:
        db.set_meta(cur, "demo", "true")
        if not db.meta("model_path", cur):
            db.set_meta(cur, "model_path", str(demo.demo_model_path()))
    from . import demo_invitations, demo_loop

    demo_loop.add_history(db, load_model_for(db))
    demo_invitations.add_invitations(db)
    return total


_DEMO_LOCK = threading.Lock()


def demo_loading() -> bool:
    """The demo is being loaded (in several transactions: responses, then its flag, cases and
    invitations): a page that reads the database now would show it half-loaded."""
    return _DEMO_LOCK.locked()


def ensure_demo(db: Database, responses: int | None = None) -> bool:
    """Load the demo into a new database (no responses, no upload ever); True if it did. Two
    sessions opening a fresh server at once load it once: the second waits, then finds it there
    (found by a new user's walk: both loaded it, and every demo case was listed twice)."""
    with _DEMO_LOCK:
        if not db.is_new() or not demo_fits(db):
            return False
        load_demo(db, responses)
        return True


def demo_fits(db: Database, cur=None) -> bool:
    """Whether the model in use is the demo's. The demo's touchpoints, teams and segments are
    those of its own model: under another (named by $CX_MODEL) its figures filled tiles they do
    not belong to, and the index read "no data" (found by a new user's walk)."""
    return model_path_for(db, cur=cur).resolve() == DEMO_MODEL.resolve()


def is_demo(db: Database, cur=None) -> bool:
    return db.state(cur).demo


def check_filter_values(db: Database, model: Model, view: ViewState, cat: queries.Catalog | None = None,
                        *, strict: bool = False, extra: dict[str, list[str]] | None = None) -> tuple[ViewState, list[str]]:
    """`view` with its filter values matched to the stored ones (ViewState.with_known_values);
    `extra`: more values a page's data has (an invitation list's segments)."""
    cat = cat or queries.catalog(db.cursor(), model)
    return view.with_known_values(merged_values(cat.values_by_segment(model), extra), model, strict=strict)


def merged_values(known: dict[str, list[str]], extra: dict[str, list[str]] | None) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in known.items()}
    for dim, values in (extra or {}).items():
        have = out.setdefault(dim, [])
        have += [v for v in values if v not in have]
    return out


def pyramid_json(db: Database, model: Model, view: ViewState, cat: queries.Catalog | None = None,
                 now=None) -> dict:
    """The pyramid as JSON, and the Closed loop tiles of its nodes' team views (`drill.closed_loops`,
    their cases counted at `now`, by default the present); `cat` saves reading the catalog again
    when the caller has it."""
    from . import drill, loop

    cur = db.cursor()
    cat = cat or queries.catalog(cur, model)
    p = pyramid_mod.build(cur, model, cat, view)
    records = tables.pyramid_records(p)
    index = next(r for r in records if r["level"] == "index")
    closed = drill.closed_loops(cur, model, cat, view, p, now or loop.utc_now())
    return {
        "model": model.name,
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "period": {"from": p.period.start.isoformat(), "to": p.period.last_day.isoformat(), "label": p.period.label()},
        "comparison": ({"from": p.previous.start.isoformat(), "to": p.previous.last_day.isoformat(), "label": p.previous.label()}
                       if p.previous else None),
        "comparison_note": comparison_note(p.period, view.compare, view.period),
        "filters": {k: list(v) for k, v in view.filters},
        "empty": p.empty,
        "index": index,
        # (a model without journeys has none: the key stays, so a script need not test for it)
        "journeys": [r for r in records if r["level"] == "journey"],
        "touchpoints": [r for r in records if r["level"] == "touchpoint"],
        "teams": [r for r in records if r["level"] == "team"],
        # (apart from the KPIs: their n counts cases, and their change compares at the same age)
        "closed_loop": [{**tables.kpi_record(node, closed[node.level, node.key]),
                         "compared_with": tables.compared_with(closed[node.level, node.key])}
                        for node in (p.index, *p.touchpoints, *p.teams) if (node.level, node.key) in closed],
    }


def drivers_json(db: Database, model: Model, view: ViewState, outcome: str | None = None, by: str | None = None,
                 cat: queries.Catalog | None = None) -> dict:
    """The key drivers of `outcome` (default: the index's measure) as JSON, per value of segment
    `by` too. Hidden figures are null."""
    from . import drivers

    cur = db.cursor()
    cat = cat or queries.catalog(cur, model)
    choices = drivers.outcome_choices(model, cat)
    if outcome is None:
        if not choices:
            raise ServiceError("No answers are stored for any measure of this model.")
        outcome = choices[0]
    elif outcome not in model.measures:
        raise ServiceError(f"Unknown measure {outcome!r}: the model's measures are {', '.join(model.measures)}.")
    if by is not None and model.segment(by) is None:
        raise ServiceError(f"Unknown segment {by!r}: the model's segments are {', '.join(s.key for s in model.segments)}.")
    vd = drivers.of_view(cur, model, cat, view, outcome, by)
    current, _ = pyramid_mod.periods_for(view, cat)

    def analysis(a) -> dict:
        hidden = a.status in ("hidden", "no_data")
        frame = tables.drivers_frame(a, segment=a is not vd.overall).drop(columns=["order"])
        return {"segment": a.segment, "responses": None if a.status == "hidden" else a.n, "status": a.status,
                "r_squared": a.r2, "r_squared_ci": [a.r2_low, a.r2_high] if a.r2 is not None else None,
                "notes": list(a.notes),
                "drivers": [] if hidden else frame.astype(object).where(frame.notna(), None).to_dict(orient="records")}

    return {
        "model": model.name,
        "outcome": {"key": outcome, "name": model.measures[outcome].name},
        "period": {"from": current.start.isoformat(), "to": current.last_day.isoformat(), "label": current.label()},
        "filters": {k: list(v) for k, v in view.filters},
        "all": analysis(vd.overall),
        "by": by,
        "segments": [analysis(a) for a in vd.segments],
    }


def _r3(x: float | None) -> float | None:
    """A percentage to three decimals: a Wilson bound of 4.3e-17 is 0."""
    return None if x is None else round(x, 3) + 0.0


def loop_json(db: Database, model: Model, view: ViewState, *, which: str = "open", unrouted: bool = False,
              limit: int = 500, now=None, cat: queries.Catalog | None = None) -> dict:
    """Closing the loop as JSON: the view's cases in all and per owner, and the queue `which`."""
    from . import loop

    cur = db.cursor()
    cat = cat or queries.catalog(cur, model)
    current, _ = pyramid_mod.periods_for(view, cat)
    now = now or loop.utc_now()
    everyone, per = loop.closure(cur, model, cat, view, current, now=now, unrouted=unrouted)
    cases = loop.queue(cur, model, cat, view, current, which=which, now=now, unrouted=unrouted, limit=limit)
    total = everyone.shown_count(which)

    def figures(c) -> dict:
        # A hidden owner's (loop.closure) keeps its cases still to work; its total, its resolved
        # and every figure of how they were handled are null, as on the page.
        shown = c.shown
        return {"owner": None if c.owner == "*" else c.owner, "name": c.name, "cases": c.cases if shown else None,
                "new": c.new, "contacted": c.contacted, "resolved": c.resolved if shown else None, "open": c.open,
                "overdue": c.overdue, "contacted_in_time": c.in_time if shown else None, "due": c.due if shown else None,
                "median_hours_to_contact": c.hours_to_contact if shown else None,
                "closure_rate": _r3(c.rate.value) if shown else None,
                "closure_rate_ci": [_r3(c.rate.ci_low), _r3(c.rate.ci_high)] if c.cases and shown else None,
                "suppressed": c.status == "hidden", "low_n": c.status == "low_n", "target": model.loop.target,
                "target_status": c.target_status}

    def when(v):
        return None if v is None or v != v else v.isoformat() + "Z"  # NaT != NaT

    rows = [{"source": r.source, "response_id": r.source_response_id, "responded_at": when(r.responded_at),
             "measure": r.measure, "value": r.value, "owner": r.owner, "status": r.status, "overdue": bool(r.overdue),
             "customer_id": r.customer_id if isinstance(r.customer_id, str) else None,
             "comment": r.comment if isinstance(r.comment, str) else None,
             "note": r.note if isinstance(r.note, str) else None, "updated_at": when(r.updated_at),
             "updated_by": r.updated_by if isinstance(r.updated_by, str) else None}
            for r in cases.itertuples()]
    return {
        "model": model.name,
        "period": {"from": current.start.isoformat(), "to": current.last_day.isoformat(), "label": current.label()},
        "filters": {k: list(v) for k, v in view.filters},
        "rules": [{"measure": r.measure, "from": r.low, "to": r.high} for r in model.loop.rules],
        "respond_within_days": model.loop.respond_within_days,
        "all": figures(everyone),
        "owners": [figures(c) for c in per],
        "cases": {"list": which, "total": total, "rows": rows},
    }


def load_invitations(db: Database, model: Model, path: Path, *, source: str | None = None, file_name: str | None = None,
                     encoding: str | None = None, sheet: str | None = None, dayfirst: bool | None = None,
                     timezone: str | None = None) -> dict:
    """An invitation list in (cxdata.invitations): its receipt, or a refusal, as for an export."""
    from . import invitations
    from .ingest.errors import IngestError

    try:
        receipt = invitations.load(db, model, path, source=source, file_name=file_name, encoding=encoding, sheet=sheet,
                                   dayfirst=dayfirst, timezone=timezone or "UTC")
    except invitations.InvitationError as exc:
        return {"file": file_name or Path(path).name, "status": "refused", "error": str(exc)}
    except IngestError as exc:
        return {"file": file_name or Path(path).name, "status": "refused", "error": str(exc), "code": exc.code}
    except OSError as exc:
        return {"file": file_name or Path(path).name, "status": "refused",
                "error": f"could not read the file: {exc.strerror or exc}"}
    return {"file": receipt.file_name, **receipt.to_dict()}


def rates_json(db: Database, model: Model, view: ViewState, cat: queries.Catalog | None = None) -> dict:
    """Response rates of the invitations sent in the view's period, as JSON; hidden figures are null."""
    from . import invitations

    cur = db.cursor()
    cat = cat or queries.catalog(cur, model)
    current = invitations.period_for(cur, view, cat)
    rates = invitations.rates(cur, model, view, current)

    def rate(r) -> dict:
        shown = r.status != "hidden"
        return {"dimension": r.dimension, "value": r.value, "invited": r.invited if shown else None,
                "responded": r.responded if shown else None, "rate": r.rate.value,
                "ci": [r.rate.ci_low, r.rate.ci_high] if r.rate.value is not None else None,
                "rest_rate": r.rest_rate, "ratio": r.ratio, "z": r.z, "significant": r.significant,
                "low_n": r.status == "low_n", "suppressed": not shown}

    return {
        "model": model.name,
        "period": {"from": current.start.isoformat(), "to": current.last_day.isoformat(), "label": current.label()},
        "filters": {k: list(v) for k, v in view.filters},
        "window_days": model.invitations.window_days,
        "dimensions": {dim: invitations.dimension_name(model, dim) for dim in rates.by},
        "all": rate(rates.overall),
        "by": {dim: [rate(r) for r in rows] for dim, rows in rates.by.items()},
        "silent": [rate(r) for r in rates.silent()],
    }


def remove_demo(db: Database) -> int:
    """Remove the demo data (its uploads) so the user's own exports stand alone."""
    rows = db.cursor().execute("SELECT upload_id FROM uploads WHERE layout = 'demo' AND removed_at IS NULL").fetchall()
    removed = 0
    for (upload_id,) in rows:
        try:
            r = store.remove_upload(db, upload_id)
        except store.InputError:
            # Another session replacing the demo at the same moment removed it first: done.
            gone = db.cursor().execute("SELECT removed_at IS NOT NULL FROM uploads WHERE upload_id = ?",
                                       [upload_id]).fetchall()
            if gone and gone[0][0]:
                continue
            raise
        removed += r.deleted + r.restored
    with db.transaction() as cur:
        db.set_meta(cur, "demo", None)
    return removed


def upload_history(db: Database):
    """Every upload, newest first, with its receipt counts and `holds`: the responses it holds now
    and the earlier versions it replaced, what removing it would undo. An upload that brought
    nothing new holds responses once an earlier one that brought them is removed (they pass to it)."""
    return db.cursor().execute(
        """WITH held AS (SELECT upload_id, count(*) AS n FROM responses GROUP BY ALL
                         UNION ALL SELECT replaced_by, count(*) FROM replaced_responses GROUP BY ALL
                         UNION ALL SELECT upload_id, count(*) FROM invitation_holds GROUP BY ALL)
           SELECT u.upload_id, file_name AS file, strftime(uploaded_at, '%Y-%m-%d %H:%M') AS uploaded, layout,
                  encoding, rows_read, added, updated, unchanged, rejected, excluded,
                  strftime(removed_at, '%Y-%m-%d %H:%M') AS removed,
                  coalesce((SELECT sum(n) FROM held WHERE held.upload_id = u.upload_id), 0)::BIGINT AS holds
           FROM uploads u ORDER BY u.upload_id DESC"""
    ).df()
