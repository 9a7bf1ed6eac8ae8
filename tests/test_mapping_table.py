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
    assert list(rows.columns) == mapping_table.COLUMNS[1:]
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
