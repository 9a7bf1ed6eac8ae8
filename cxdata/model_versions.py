"""The pyramid model's versions edited in the app, kept in the database beside the data they describe.

The model file (the one the data was loaded with, or the demo's) is version 0. Each save adds the
whole YAML text as the next version of that file, with who saved it, when and why; the newest
version is the model every page, export and command reads, until another file is loaded
(`--model`), whose own versions start again. Restoring an old version saves its text once more,
so the history only grows and every figure ever shown can be traced to the text that defined it.
A text is checked by `model.parse_model` (and by the caller's `check`, e.g. the access file still
naming the model's teams) before it is stored: an invalid model is never saved.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .model import Model, ModelError, parse_model

MAX_TEXT = 1_000_000  # characters: a model is a few kilobytes; this bounds what a form can store
MAX_NOTE = 500
MAX_NAME = 200


class VersionError(ValueError):
    """A save that cannot be made (nothing changed, a text too long...), in plain words."""


class VersionConflict(VersionError):
    """The model in use changed after the text an edit started from: saving would silently undo it."""

    def __init__(self, newer: "Version"):
        self.newer = newer
        who = f" by {newer.saved_by}" if newer.saved_by else ""
        when = f" at {newer.saved_at.strftime('%H:%M UTC on %d %b %Y')}" if newer.saved_at else ""
        super().__init__(f"The model in use changed while this text was edited (version {newer.version}{who}{when}): "
                         "nothing was saved, so as not to undo it.")


@dataclass(frozen=True)
class Version:
    version: int  # 0: the file itself
    saved_at: datetime | None
    saved_by: str | None
    note: str | None
    text: str


def file_version(base: str | Path) -> Version:
    """The model file as it is on disk: version 0."""
    return Version(0, None, None, None, Path(base).read_text(encoding="utf-8"))


# The time as seconds since the epoch: DuckDB hands a TIMESTAMPTZ to Python through pytz, which
# the app does not otherwise need.
_COLUMNS = "version, epoch(saved_at), saved_by, note, text"


def _version(row) -> Version:
    number, seconds, by, note, text = row
    return Version(number, datetime.fromtimestamp(seconds, timezone.utc) if seconds is not None else None, by, note,
                   text)


def latest(cur, base: str | Path) -> Version | None:
    rows = cur.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE base = ? ORDER BY version DESC LIMIT 1",
                       [str(base)]).fetchall()
    return _version(rows[0]) if rows else None


def get(cur, base: str | Path, version: int) -> Version | None:
    if version == 0:
        try:
            return file_version(base)
        except (OSError, UnicodeDecodeError):
            return None
    rows = cur.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE base = ? AND version = ?",
                       [str(base), int(version)]).fetchall()
    return _version(rows[0]) if rows else None


def history(cur, base: str | Path) -> list[Version]:
    """Every version saved of the model file, the newest first (the file itself not included)."""
    rows = cur.execute(f"SELECT {_COLUMNS} FROM model_versions WHERE base = ? ORDER BY version DESC",
                       [str(base)]).fetchall()
    return [_version(r) for r in rows]


def current(cur, base: str | Path) -> Version:
    """The version in use: the newest saved, else the file."""
    return latest(cur, base) or file_version(base)


def model_of(version: Version, base: str | Path) -> Model:
    source = str(base) if version.version == 0 else f"{base} (version {version.version}, edited in the app)"
    return parse_model(version.text, source=source)


def check(text: str, base: str | Path) -> Model:
    """The model a text defines; ModelError naming every problem by its key otherwise."""
    if len(text) > MAX_TEXT:
        raise VersionError(f"The model is {len(text):,} characters long; a model of up to {MAX_TEXT:,} can be saved.")
    return parse_model(text, source=f"{base} (edited)", strict=True)


def save(db, base: str | Path, text: str, *, by: str | None = None, note: str | None = None,
         check_model: Callable[[Model], None] | None = None, now: datetime | None = None,
         based_on: str | None = None) -> int:
    """Store `text` as the next version of the model file `base` and return its number. Refused
    (nothing stored): an invalid model (ModelError), one `check_model` refuses (it raises), a text
    the same as the version in use, or (VersionConflict) an edit `based_on` a text that is no
    longer the model in use: two people editing at once would otherwise each undo the other's
    change without seeing it. The database's model becomes `base` if it had none."""
    text = text.replace("\r\n", "\n")
    model = check(text, base)
    if check_model is not None:
        check_model(model)
    note = (note or "").strip()[:MAX_NOTE] or None
    by = (by or "").strip()[:MAX_NAME] or None
    now = now or datetime.now(timezone.utc)
    with db.transaction() as cur:
        if db.meta("model_path", cur) is None:
            db.set_meta(cur, "model_path", str(base))
        in_use = latest(cur, base)
        if in_use is None:
            try:
                in_use = file_version(base)
            except (OSError, UnicodeDecodeError):
                in_use = None
        if based_on is not None and in_use is not None and in_use.text != based_on:
            raise VersionConflict(in_use)
        if in_use is not None and in_use.text == text:
            # (also what a second click of Save meets: the first saved this text)
            raise VersionError(f"Nothing changed: the text is the model in use (version {in_use.version}"
                               + (f", saved by {in_use.saved_by}" if in_use.saved_by else "") + ").")
        number = (in_use.version if in_use is not None else 0) + 1
        cur.execute("INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?)", [str(base), number, now, by, note, text])
    return number


def diff(old: str, new: str, old_name: str = "in use", new_name: str = "edited") -> str:
    """A unified diff of two model texts ('' when they are the same)."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_name, tofile=new_name, n=2))


__all__ = ["ModelError", "Version", "VersionConflict", "VersionError", "check", "current", "diff", "file_version",
           "get", "history", "latest", "model_of", "save"]
