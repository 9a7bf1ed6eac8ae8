"""cxdata.model_versions: the model's versions edited in the app, and which model every reader gets."""

from datetime import datetime, timezone

import pytest

from cxdata import model_versions, service
from cxdata.db import Database
from cxdata.model import ModelError
from tests.conftest import ROOT

DEMO_MODEL = ROOT / "cxdata" / "models" / "demo.yaml"
TEXT = DEMO_MODEL.read_text(encoding="utf-8")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("CX_MODEL", raising=False)
    base = tmp_path / "model.yaml"
    base.write_text(TEXT, encoding="utf-8")
    d = Database(tmp_path / "cx.duckdb")
    service.remember_model(d, base)
    yield d
    d.close()


def base_of(db):
    return service.model_path_for(db)


def test_a_saved_version_is_the_model_every_reader_gets(db):
    base = base_of(db)
    assert model_versions.current(db.cursor(), base).version == 0 and db.state().model_version is None
    edited = TEXT.replace("name: Zelvora CX", "name: Zelvora CX 2027", 1)
    assert edited != TEXT
    assert model_versions.save(db, base, edited, by="Lena", note="renamed", now=NOW) == 1
    assert db.state().model_version == 1
    v = model_versions.current(db.cursor(), base)
    assert (v.version, v.saved_at, v.saved_by, v.note, v.text) == (1, NOW, "Lena", "renamed", edited)
    assert service.load_model_for(db).name == "Zelvora CX 2027"
    # The file itself is untouched: version 0.
    assert base.read_text(encoding="utf-8") == TEXT and model_versions.get(db.cursor(), base, 0).text == TEXT


def test_a_model_named_by_cx_model_or_model_is_read_from_its_file(db, monkeypatch):
    base = base_of(db)
    model_versions.save(db, base, TEXT.replace("name: Zelvora CX", "name: Edited", 1))
    assert service.load_model_for(db).name == "Edited"
    assert service.load_model_for(db, base).name == "Zelvora CX"  # --model
    monkeypatch.setenv("CX_MODEL", str(base))
    assert service.load_model_for(db).name == "Zelvora CX" and service.model_pinned()


def test_versions_belong_to_their_model_file(db, tmp_path):
    base = base_of(db)
    model_versions.save(db, base, TEXT.replace("name: Zelvora CX", "name: Edited", 1))
    other = tmp_path / "other.yaml"
    other.write_text(TEXT.replace("name: Zelvora CX", "name: Other", 1), encoding="utf-8")
    service.remember_model(db, other)  # an ingest with --model other.yaml
    assert service.load_model_for(db).name == "Other" and db.state().model_version is None
    service.remember_model(db, base)
    assert service.load_model_for(db).name == "Edited" and db.state().model_version == 1


@pytest.mark.parametrize("text, problem", [
    ("name: x\n", "measures: is missing"),
    ("index: [\n", "not valid YAML"),
    (TEXT.replace("stat: nps, measure", "stat: net_promoter, measure", 1), "index.kpi.stat"),
])
def test_an_invalid_model_is_never_saved(db, text, problem):
    base = base_of(db)
    version = db.data_version()
    with pytest.raises(ModelError) as err:
        model_versions.save(db, base, text)
    assert any(problem in p for p in err.value.problems), err.value.problems
    assert model_versions.history(db.cursor(), base) == [] and db.data_version() == version


def test_the_same_text_again_is_refused(db):
    base = base_of(db)
    with pytest.raises(model_versions.VersionError, match="Nothing changed"):
        model_versions.save(db, base, TEXT)
    with pytest.raises(model_versions.VersionError, match="Nothing changed"):  # Windows line ends are the same text
        model_versions.save(db, base, TEXT.replace("\n", "\r\n"))
    model_versions.save(db, base, TEXT + "# a comment\n")
    with pytest.raises(model_versions.VersionError, match="Nothing changed"):
        model_versions.save(db, base, TEXT + "# a comment\n")


def test_restoring_saves_the_old_text_as_a_new_version(db):
    base = base_of(db)
    first = TEXT.replace("name: Zelvora CX", "name: First", 1)
    model_versions.save(db, base, first)
    model_versions.save(db, base, TEXT.replace("name: Zelvora CX", "name: Second", 1))
    old = model_versions.get(db.cursor(), base, 1)
    assert model_versions.save(db, base, old.text, note="restored version 1") == 3
    assert [v.version for v in model_versions.history(db.cursor(), base)] == [3, 2, 1]
    assert service.load_model_for(db).name == "First"
    assert model_versions.get(db.cursor(), base, 7) is None


def test_an_edit_started_from_an_older_text_is_refused_not_saved_over_the_newer(db):
    base = base_of(db)
    assert model_versions.save(db, base, TEXT + "# Sara\n", by="sara", note="hers", based_on=TEXT, now=NOW) == 1
    with pytest.raises(model_versions.VersionConflict) as conflict:
        model_versions.save(db, base, TEXT + "# Omid\n", by="omid", based_on=TEXT)
    assert conflict.value.newer.version == 1
    assert str(conflict.value) == ("The model in use changed while this text was edited (version 1 by sara at 09:30 "
                                   "UTC on 24 Nov 2026): nothing was saved, so as not to undo it.")
    assert [v.version for v in model_versions.history(db.cursor(), base)] == [1]
    # Edited on top of version 1 (its text included), the save goes through.
    assert model_versions.save(db, base, TEXT + "# Sara\n# Omid\n", by="omid", based_on=TEXT + "# Sara\n") == 2
    # The same text again under a new number (a restore) undoes nothing: an edit of it saves.
    model_versions.save(db, base, TEXT + "# Sara\n", note="restored version 1")
    assert model_versions.save(db, base, TEXT + "# Sara\n# Ana\n", based_on=TEXT + "# Sara\n") == 4
    # Without `based_on` (the command line saves a file as it is) the newest is simply replaced.
    assert model_versions.save(db, base, TEXT + "# CLI\n") == 5


def test_an_edit_of_another_model_file_is_refused(db, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(TEXT.replace("name: Zelvora CX", "name: Other Co", 1), encoding="utf-8")
    with pytest.raises(model_versions.VersionConflict):
        model_versions.save(db, other, TEXT + "# edited from the first file\n", based_on=TEXT)
    assert model_versions.history(db.cursor(), other) == []


def test_a_check_of_the_caller_can_refuse_a_save(db):
    def no_fewer_teams(model):
        raise ModelError("the access file", ["people[0].teams: no team 'cc_europe' in the model"])

    with pytest.raises(ModelError, match="cc_europe"):
        model_versions.save(db, base_of(db), TEXT + "# x\n", check_model=no_fewer_teams)
    assert model_versions.history(db.cursor(), base_of(db)) == []


def test_a_text_too_long_is_refused(db):
    with pytest.raises(model_versions.VersionError, match="characters long"):
        model_versions.save(db, base_of(db), TEXT + "#" * model_versions.MAX_TEXT)


def test_a_note_and_a_name_are_trimmed_and_bounded(db):
    model_versions.save(db, base_of(db), TEXT + "# x\n", by="  " + "n" * 500, note="  ")
    v = model_versions.current(db.cursor(), base_of(db))
    assert v.saved_by == "n" * model_versions.MAX_NAME and v.note is None


def test_diff_shows_what_changed():
    assert model_versions.diff("a\nb\n", "a\nb\n") == ""
    changes = model_versions.diff("target: 80\n", "target: 85\n", "version 1", "version 2")
    assert "-target: 80" in changes and "+target: 85" in changes and "--- version 1" in changes


def test_an_edit_with_a_target_out_of_range_is_refused_by_key_and_an_older_such_version_still_loads(db):
    base = base_of(db)
    bad = TEXT.replace("kpi: {key: nps, name: NPS, stat: nps, measure: nps, target: 30,",
                       "kpi: {key: nps, name: NPS, stat: nps, measure: nps, target: 300,", 1)
    assert bad != TEXT
    with pytest.raises(ModelError) as err:
        model_versions.save(db, base, bad, by="Lena", now=NOW)
    assert any(p.startswith("index.kpi.target: 300 is outside the range -100 to 100") for p in err.value.problems)
    assert model_versions.history(db.cursor(), base) == [] and db.state().model_version is None
    # One stored before the check existed is still the model every reader gets.
    db.cursor().execute("INSERT INTO model_versions VALUES (?, 1, ?, 'Lena', NULL, ?)", [str(base), NOW, bad])
    assert service.load_model_for(db).index.kpi.target == 300
