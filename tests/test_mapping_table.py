"""The Upload page's mapping table: one row per column, and the user's edits back into a Mapping."""

import pytest

from cxdata import mapping_table
from cxdata.ingest.engine import inspect
from cxdata.ingest.mapping import ColumnSpec, Mapping, MappingError
from tests.conftest import ALIASES, SAMPLES


@pytest.mark.parametrize("value_map, expected", [
    (None, ""),
    ({}, ""),
    ({"Very satisfied": 5, "N/A": None}, "Very satisfied → 5; N/A → no answer"),
    ({"VIP": "VIP", "أفراد": "Consumer"}, "أفراد → Consumer"),  # identities say nothing
    ({str(i): i * 10 for i in range(1, 7)}, "1 → 10; 2 → 20; 3 → 30; 4 → 40; … 2 more"),
])
def test_stored_as(value_map, expected):
    assert _plain(mapping_table.stored_as(value_map)) == expected


def _plain(text: str) -> str:
    return text.translate({0x200E: None, 0x2067: None, 0x2069: None})


def test_stored_as_reads_left_to_right_around_right_to_left_labels():
    # The grid turns a cell right to left when its first letter is, which reverses the arrow.
    assert mapping_table.stored_as({"دبي": "Dubai"}) == "\u200e\u2067دبي\u2069 → Dubai"


def test_rows_show_roles_and_translations_of_an_export():
    from cxdata.model import load_model
    from cxdata.service import segment_aliases
    from tests.conftest import ZELVORA_MODEL

    ins = inspect(SAMPLES / "ar_ivr_transactional_cp1256.csv", touchpoint_aliases=ALIASES,
                  segment_aliases=segment_aliases(load_model(ZELVORA_MODEL)))
    rows = mapping_table.mapping_rows(ins).set_index("column")
    assert list(rows.columns) == [c for c in mapping_table.COLUMNS if c != "column"]
    assert mapping_table.COLUMNS[:2] == ["header", "column"]  # the question first, its code second
    tier = rows.loc["فئة العميل"]
    assert (tier["role"], tier["segment"]) == ("segment", "tier")
    assert "أفراد → Consumer" in _plain(tier["stored as"])


def test_edits_change_roles_and_keep_value_maps_of_unchanged_roles():
    m = Mapping(source="s", columns={
        "id": ColumnSpec("response_id", label="id"),
        "sat": ColumnSpec("csat", label="sat", measure="csat", value_map={"Great": 5}),
        "tier": ColumnSpec("segment", label="tier", segment="tier", value_map={"أفراد": "Consumer"})})
    edited = mapping_table.pd.DataFrame([
        {"column": "id", "role": "response_id", "measure": "", "touchpoint": "", "segment": ""},
        {"column": "sat", "role": "csat", "measure": "csat", "touchpoint": "", "segment": ""},
        {"column": "tier", "role": "segment", "measure": "", "touchpoint": "", "segment": "customer_tier"}])
    new = mapping_table.apply_edits(m, edited, source=" new ")
    assert new.source == "new"
    assert new.columns["sat"].value_map == {"Great": 5}
    assert (new.columns["tier"].segment, new.columns["tier"].value_map) == ("customer_tier", {"أفراد": "Consumer"})
    edited.loc[1, "role"] = "ignore"
    assert mapping_table.apply_edits(m, edited).columns["sat"].role == "ignore"
    edited.loc[2, "segment"] = "Customer tier!"  # not a key: refused with a message naming the column
    with pytest.raises(MappingError, match="column 'tier': segment key 'Customer tier!'"):
        mapping_table.apply_edits(m, edited)


@pytest.mark.parametrize("role, other", [("team", "tp_other"), ("segment", "tp_other"), ("comment", None)])
def test_a_changed_role_keeps_what_was_typed_under_other_where_it_names_the_answer(role, other):
    # found in review: a touchpoint made a team lost its "Other (please specify)" column
    m = Mapping(source="s", columns={"tp": ColumnSpec("touchpoint", label="Touchpoint", other="tp_other"),
                                     "tp_other": ColumnSpec("ignore", label="Touchpoint")})
    edited = mapping_table.pd.DataFrame([
        {"column": "tp", "role": role, "measure": "", "touchpoint": "", "segment": "store" if role == "segment" else ""},
        {"column": "tp_other", "role": "ignore", "measure": "", "touchpoint": "", "segment": ""}])
    assert mapping_table.apply_edits(m, edited).columns["tp"].other == other


@pytest.mark.parametrize("measure_cell, stored", [("happy", None), ("", None), ("store_csat", "store_csat")])
def test_a_rating_made_csat_measures_csat_unless_named(measure_cell, stored):
    # found by an audit: the rating's own name stayed, and no CSAT tile showed its answers
    m = Mapping(source="s", columns={"id": ColumnSpec("response_id", label="id"),
                                     "happy": ColumnSpec("rating", label="Happy?", measure="happy", scale=[1.0, 5.0])})
    edited = mapping_table.pd.DataFrame([
        {"column": "id", "role": "response_id", "measure": "", "touchpoint": "", "segment": ""},
        {"column": "happy", "role": "csat", "measure": measure_cell, "touchpoint": "", "segment": ""}])
    new = mapping_table.apply_edits(m, edited)
    assert new.columns["happy"].measure == stored and new.measure_of("happy") == (stored or "csat")


def _effort_mapping(value_map=None, role="ces"):
    return Mapping(source="s", columns={
        "id": ColumnSpec("response_id", label="id"),
        "QID13": ColumnSpec(role, label="How much effort did you personally have to put forth?", value_map=value_map)})


def _edit(m, role, stored):
    return mapping_table.apply_edits(m, mapping_table.pd.DataFrame([
        {"column": "id", "role": "response_id", "measure": "", "touchpoint": "", "segment": "", "stored as": ""},
        {"column": "QID13", "role": role, "measure": "", "touchpoint": "", "segment": "", "stored as": stored}]))


def test_an_answers_value_is_set_in_stored_as():
    """Found by a review: 'stored as' was read-only, so an answer label the vocabulary did not know
    could be given no value, and every such answer was "not counted"."""
    m = _effort_mapping({"Very low effort": 7.0, "Low effort": 6.0})
    shown = mapping_table.stored_as(m.columns["QID13"].value_map)
    assert _plain(shown) == "Very low effort → 7; Low effort → 6"  # whole numbers without '.0'
    assert _edit(m, "ces", shown).columns["QID13"].value_map == {"Very low effort": 7.0, "Low effort": 6.0}
    new = _edit(m, "ces", shown + "; Kinda meh → 4 ; N/A → no answer").columns["QID13"].value_map
    assert new == {"Very low effort": 7.0, "Low effort": 6.0, "Kinda meh": 4.0, "N/A": None}
    assert _edit(m, "ces", "Very low effort = 7").columns["QID13"].value_map == {"Very low effort": 7.0}
    with pytest.raises(MappingError, match="'Kinda meh' is given 'four', not a number"):
        _edit(m, "ces", "Kinda meh → four")
    with pytest.raises(MappingError, match="label → value"):
        _edit(m, "ces", "Kinda meh")


def test_a_column_made_ces_takes_the_values_written_for_it():
    m = _effort_mapping({"Very high effort": "Very high effort"}, role="segment")
    new = _edit(m, "ces", "Neither → 4").columns["QID13"]
    assert (new.role, new.value_map) == ("ces", {"Neither": 4.0})
    assert _edit(m, "ces", "").columns["QID13"].value_map is None  # nothing written: the role's own labels


def test_stored_as_keeps_the_values_it_only_counted():
    vm = {str(i): float(i) * 10 for i in range(1, 7)}
    m = _effort_mapping(vm, role="rating")
    m.columns["QID13"].scale = [0.0, 100.0]
    new = _edit(m, "rating", "1 → 15; 2 → 20").columns["QID13"].value_map
    assert new == {"1": 15.0, "2": 20.0, "5": 50.0, "6": 60.0}  # 3 and 4 taken out; 5 and 6, counted, stay
