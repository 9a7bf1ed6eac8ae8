"""Every sample export, normalised to canonical rows, reproduces the figures of truth.json.

Each file runs twice: with the suggestion alone (what a first-time upload gets) and with the
mapping a user confirmed once (examples/zelvora/mappings). Figures the suggestion cannot name
(Persian/Bulgarian/Arabic team and region labels, a store -> region table) are compared as
anonymous groups in 'suggested' mode and by name in 'saved' mode. Expected numbers are
recomputed from the canonical table with DuckDB, never copied from the mapping.
"""

from __future__ import annotations

import functools
import time

import duckdb
import pyarrow as pa
import pytest

from cxdata.ingest.engine import inspect, load_mappings, normalise
from cxdata.ingest.errors import IngestError
from cxdata.ingest.mapping import ColumnSpec, Mapping
from cxdata.ingest.normalise import SKIPPED_EMPTY, normalise as normalise_raw
from cxdata.ingest.read import RawTable

from tests.conftest import ALIASES, MAPPINGS, SAMPLES, TRUTH
EMOTIONS = {5.0: "Delighted", 4.0: "Happy", 3.0: "Neutral", 2.0: "Frustrated", 1.0: "Angry"}
MODES = ("suggested", "saved")


@functools.cache
def run(name: str, mode: str):
    saved = load_mappings(MAPPINGS) if mode == "saved" else ()
    ins = inspect(SAMPLES / name, saved_mappings=saved, touchpoint_aliases=ALIASES)
    assert ins.mapping_origin == mode
    return ins, normalise(ins)


def close(got: float, want: float, decimals: int) -> None:
    """`got` (unrounded) rounds to `want` at `decimals` places (either rounding mode)."""
    assert got is not None and abs(got - want) <= 0.5 * 10 ** -decimals + 1e-9, (got, want)


def q(table: pa.Table, sql: str, *params):
    con = duckdb.connect()
    con.register("t", table)
    return con.execute(sql, list(params)).fetchall()


QUARTER = "strftime(responded_at AT TIME ZONE 'UTC', '%Y') || '-Q' || quarter(responded_at AT TIME ZONE 'UTC')"


def nps_of(table, where="TRUE", group=None):
    g = f"{group}," if group else ""
    rows = q(table, f"""SELECT {g} count(*), count(*) FILTER (value >= 9),
        count(*) FILTER (value BETWEEN 7 AND 8), count(*) FILTER (value <= 6)
        FROM t WHERE metric = 'nps' AND {where} {'GROUP BY ALL' if group else ''}""")
    out = {}
    for r in rows:
        k, (n, p, pa_, d) = (r[0], r[1:]) if group else (None, r)
        out[k] = {"n": n, "promoters": p, "passives": pa_, "detractors": d,
                  "nps": 100 * (p - d) / n if n else None}
    return out if group else out[None]


def check_nps(got: dict, want: dict) -> None:
    assert {k: got[k] for k in ("n", "promoters", "passives", "detractors")} == \
        {k: want[k] for k in ("n", "promoters", "passives", "detractors")}
    if want.get("nps") is not None:
        close(got["nps"], want["nps"], 1)


def mean_of(table, metric, where="TRUE", group=None):
    g = f"{group}," if group else ""
    rows = q(table, f"SELECT {g} count(value), avg(value), avg((value >= 4)::INT) FROM t "
                    f"WHERE metric = ? AND {where} {'GROUP BY ALL' if group else ''}", metric)
    if group:
        return {r[0]: {"n": r[1], "mean": r[2], "top2": r[3]} for r in rows}
    return {"n": rows[0][0], "mean": rows[0][1], "top2": rows[0][2]}


def check_means(got: dict, want: dict, key="mean", scale=1.0, decimals=3) -> None:
    assert set(got) == set(want), (sorted(got), sorted(want))
    for k, w in want.items():
        assert got[k]["n"] == w["n"], k
        close(got[k]["mean"] * scale, w[key], decimals)


def check_anonymous(got: dict, want: dict, key="mean", scale=1.0) -> None:
    """Same groups with other labels (e.g. Persian names before the user maps them)."""
    g = sorted((v["n"], round(v["mean"] * scale, 3)) for v in got.values())
    w = sorted((v["n"], round(v[key], 3)) for v in want.values())
    assert len(g) == len(w)
    for (gn, gm), (wn, wm) in zip(g, w):
        assert gn == wn
        close(gm, wm, 3 if key == "mean" else 1)


# --- relationship surveys ---------------------------------------------------------------------

RELATIONSHIP = ["qualtrics_relationship.csv", "surveymonkey_relationship.xlsx",
                "porsline_relationship.xlsx", "variants/qualtrics_relationship_numeric.csv",
                "variants/qualtrics_relationship_legacy_format.csv"]
# segment dimensions whose *labels* only the saved mapping translates
UNNAMED_IN_SUGGESTION = {"porsline_relationship.xlsx": {"region", "tier"}}


def tp_not_applicable(ins, r) -> dict[str, int]:
    cols = ins.mapping.columns
    return {cols[k].touchpoint: n for k, n in r.not_applicable.items()
            if cols[k].measure == "tp_sat"}


def excluded_kinds(excluded) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, why in excluded:
        kind = "preview" if "Preview" in why else "test" if "Test" in why else why
        out[kind] = out.get(kind, 0) + 1
    return out


def check_relationship_counts(t, truth, rows_read, responses, excluded):
    assert rows_read == truth["rows_in_file"]
    assert excluded_kinds(excluded) == truth["excluded_rows"]
    assert responses == truth["valid_responses"]
    finished = q(t, "SELECT count(DISTINCT source_response_id) FROM t WHERE metric = 'csat'")[0][0]
    assert finished == truth["finished_responses"]
    assert responses - finished == truth["partial_responses_nps_only"]
    check_nps(nps_of(t), truth["nps"])
    done = "source_response_id IN (SELECT source_response_id FROM t WHERE metric = 'csat')"
    check_nps(nps_of(t, done), truth["nps_finished_only"])
    waves = nps_of(t, group=QUARTER)
    assert set(waves) == set(truth["nps_by"]["wave"])
    for wave, want in truth["nps_by"]["wave"].items():
        check_nps(waves[wave], want)


def check_relationship_segments(t, truth, unnamed=frozenset()) -> int:
    checked = 0
    for dim, groups in truth["nps_by"].items():
        if dim == "wave" or dim not in t.column_names:
            continue
        got = nps_of(t, group=dim)
        if dim in unnamed:
            assert sorted(g["n"] for g in got.values()) == sorted(g["n"] for g in groups.values())
        else:
            assert set(got) == set(groups), dim
            for value, want in groups.items():
                check_nps(got[value], want)
        checked += 1
    return checked


def check_lowest_segment(t, low, with_next=True):
    """The segment with the lowest NPS (n >= 150), its z against the rest, and the runner-up."""
    found = []
    for dim in ("tier", "tenure_band", "language", "region"):
        if dim in t.column_names:
            found += [(g["nps"], dim, v) for v, g in nps_of(t, group=dim).items()
                      if v is not None and g["n"] >= 150]
    found.sort()
    assert (found[0][1], found[0][2]) == (low["dimension"], low["value"])
    inside = nps_of(t, f"{low['dimension']} = '{low['value']}'")
    rest = nps_of(t, f"{low['dimension']} IS DISTINCT FROM '{low['value']}'")
    assert (inside["n"], rest["n"]) == (low["n"], low["rest_n"])
    close(inside["nps"], low["nps"], 1)
    close(rest["nps"], low["rest_nps"], 1)
    assert abs(inside["nps"] - rest["nps"] - low["difference"]) <= 0.1
    var = [(g["promoters"] / g["n"], g["detractors"] / g["n"], g["n"]) for g in (inside, rest)]
    se = sum((p + d - (p - d) ** 2) / n for p, d, n in var) ** 0.5
    close((inside["nps"] - rest["nps"]) / 100 / se, low["z"], 2)
    if with_next:
        nxt = low["next_lowest_segment"]
        assert (found[1][1], found[1][2]) == (nxt["dimension"], nxt["value"])
        close(found[1][0], nxt["nps"], 1)


def check_tp_measures(t, truth, not_applicable):
    want_tp = truth["touchpoint_satisfaction_1to5"]
    check_means(mean_of(t, "tp_sat", group="touchpoint"), want_tp)
    assert not_applicable == {k: v["not_applicable"] for k, v in want_tp.items()}
    check_means({"x": mean_of(t, "csat")}, {"x": truth["overall_satisfaction_1to5"]})
    check_means({"x": mean_of(t, "ces")}, {"x": truth["ces_1to7"]})
    emotions = dict(q(t, "SELECT value, count(*) FROM t WHERE metric = 'emotion' GROUP BY 1"))
    assert {EMOTIONS[v]: n for v, n in emotions.items()} == truth["emotion_counts"]
    goal = mean_of(t, "goal_achieved")
    assert goal["n"] == truth["goal_achieved_yes"]["n"]
    close(100 * goal["mean"], truth["goal_achieved_yes"]["pct"], 1)
    comments = q(t, "SELECT count(*), count(DISTINCT source_response_id), count(value) "
                    "FROM t WHERE metric = 'comment'")[0]
    assert comments == (truth["comments"]["non_empty"], truth["comments"]["non_empty"], 0)


TOUCHPOINTS = list(TRUTH["reference"]["touchpoints"])


def check_key_drivers(t, drivers):
    """Pearson r (pairwise) and standardized OLS betas (N/A -> group mean) of touchpoint
    satisfaction on NPS among finished responses, overall and per tier: the pairing of
    answers to responses survives normalisation."""
    import numpy as np

    cols = ", ".join(f"max(value) FILTER (metric = 'tp_sat' AND touchpoint = '{tp}')"
                     for tp in TOUCHPOINTS)
    rows = q(t, f"""SELECT any_value(tier), max(value) FILTER (metric = 'nps'), {cols}
                   FROM t GROUP BY source_response_id
                   HAVING count(*) FILTER (metric = 'csat') > 0""")
    for grp, d in drivers.items():
        sel = [r for r in rows if grp == "ALL" or r[0] == grp]
        assert len(sel) == d["n"], grp
        y = np.array([r[1] for r in sel], float)
        x = np.array([[np.nan if v is None else v for v in r[2:]] for r in sel], float)
        rs = {}
        for j, tp in enumerate(TOUCHPOINTS):
            ok = ~np.isnan(x[:, j])
            assert ok.sum() == d["by_touchpoint"][tp]["n"], (grp, tp)
            rs[tp] = np.corrcoef(x[ok, j], y[ok])[0, 1]
            close(rs[tp], d["by_touchpoint"][tp]["r"], 3)
        x = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
        xs, ys = (x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std()
        beta = np.linalg.lstsq(np.c_[np.ones(len(xs)), xs], ys, rcond=None)[0][1:]
        for j, tp in enumerate(TOUCHPOINTS):
            close(beta[j], d["by_touchpoint"][tp]["ols_beta"], 3)
        assert sorted(rs, key=lambda k: -rs[k]) == d["ranking_by_r"]
        assert TOUCHPOINTS[int(np.argmax(beta))] == d["top_driver_by_ols_beta"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", RELATIONSHIP)
def test_relationship_counts(name, mode):
    truth = TRUTH["files"][name]["metrics"]
    ins, r = run(name, mode)
    t = r.table
    check_relationship_counts(t, truth, r.rows_read, r.responses, r.excluded)
    assert r.rejects == [] and r.duplicates == []
    assert r.rows_read == r.responses + len(r.excluded) + len(r.rejects)
    if "wave" in t.column_names:
        assert q(t, f"SELECT count(*) FROM t WHERE wave IS DISTINCT FROM {QUARTER}")[0][0] == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", RELATIONSHIP)
def test_relationship_segments(name, mode):
    truth = TRUTH["files"][name]["metrics"]
    _, r = run(name, mode)
    unnamed = UNNAMED_IN_SUGGESTION.get(name, set()) if mode == "suggested" else set()
    # the legacy export has no language column; everything else has all four
    assert check_relationship_segments(r.table, truth, unnamed) == (3 if "legacy" in name else 4)
    if not unnamed:
        # without a language column the runner-up of the legacy export cannot be searched
        check_lowest_segment(r.table, truth["lowest_nps_segment"], with_next="legacy" not in name)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", RELATIONSHIP)
def test_relationship_measures(name, mode):
    ins, r = run(name, mode)
    check_tp_measures(r.table, TRUTH["files"][name]["metrics"], tp_not_applicable(ins, r))


@pytest.mark.parametrize("name", RELATIONSHIP)
def test_relationship_key_drivers(name):
    _, r = run(name, "saved")
    check_key_drivers(r.table, TRUTH["files"][name]["metrics"]["key_drivers"])


def test_combined_relationship_and_pyramid_index():
    """The three relationship programmes together (saved mappings): the pyramid's apex."""
    truth = TRUTH["combined_relationship"]
    runs = [run(n, "saved") for n in RELATIONSHIP[:3]]
    t = pa.concat_tables([r.table for _, r in runs], promote_options="default")
    # the combined figures count valid rows only (preview/test rows are already gone)
    responses = sum(r.responses for _, r in runs)
    assert sum(r.rows_read - len(r.excluded) for _, r in runs) == responses
    check_relationship_counts(t, truth, responses, responses, [])
    assert check_relationship_segments(t, truth) == 4
    check_lowest_segment(t, truth["lowest_nps_segment"])
    na: dict[str, int] = {}
    for ins, r in runs:
        for tp, n in tp_not_applicable(ins, r).items():
            na[tp] = na.get(tp, 0) + n
    check_tp_measures(t, truth, na)
    check_key_drivers(t, truth["key_drivers"])
    pyramid = TRUTH["pyramid"]
    check_nps(nps_of(t), pyramid["index"])
    got = mean_of(t, "tp_sat", group="touchpoint")
    check_means(got, {tp: v["relationship_satisfaction_1to5"]
                      for tp, v in pyramid["touchpoints"].items()})


def test_pyramid_transactional_levels():
    pyramid = TRUTH["pyramid"]
    _, r = run("transactional_canonical.parquet", "saved")
    t = r.table
    check_means(mean_of(t, "csat", group="touchpoint"),
                {tp: v["transactional_csat_1to5_parquet"] for tp, v in pyramid["touchpoints"].items()})
    teams = mean_of(t, "csat", group="team")
    by_quarter = mean_of(t, "csat", group=f"team || '|' || {QUARTER}")
    for team, want in pyramid["teams"].items():
        check_means({team: teams[team]}, {team: want["csat_all_quarters"]})
        for quarter, w in want["csat_by_quarter"].items():
            check_means({0: by_quarter[f"{team}|{quarter}"]}, {0: w})
    tps = dict(q(t, "SELECT DISTINCT team, touchpoint FROM t WHERE team IS NOT NULL"))
    assert {team: tps[team] for team in pyramid["teams"]} == \
        {team: v["touchpoint"] for team, v in pyramid["teams"].items()}


# --- transactional exports ------------------------------------------------------------------------

TRANSACTIONAL = ["google_forms_transactional.csv", "typeform_transactional.csv",
                 "bg_partner_transactional_cp1251.csv", "ar_ivr_transactional_cp1256.csv",
                 "transactional_canonical.parquet"]
# groupings whose labels only the confirmed mapping provides (or cannot exist without it)
NEEDS_MAPPING = {
    # every row is a store visit; region and team come from the store answer
    "google_forms_transactional.csv": {"touchpoint", "team", "region"},
    "bg_partner_transactional_cp1251.csv": {"team", "region"},  # Bulgarian labels
    "ar_ivr_transactional_cp1256.csv": {"team", "region"},  # Arabic labels
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", TRANSACTIONAL)
def test_transactional(name, mode):
    truth = TRUTH["files"][name]["metrics"]
    ins, r = run(name, mode)
    t = r.table
    assert r.responses == truth["responses"]
    assert r.rejects == [] and r.duplicates == []
    if "rows_in_file" in truth:
        assert r.rows_read == truth["rows_in_file"]
    if "partial_rows_without_answers" in truth:
        # Typeform says which rows were never submitted: excluded as such, answers or not
        assert [w for _, w in r.excluded] == ["not submitted (Typeform partial response): 'partial'"] \
            * truth["partial_rows_without_answers"]
    if "rows_long_format" in truth:
        assert t.num_rows == truth["rows_long_format"]
    csat = mean_of(t, "csat")
    assert csat["n"] == truth["csat_mean_1to5"]["n"] == truth["csat_top2box_pct"]["n"]
    close(csat["mean"], truth["csat_mean_1to5"]["mean"], 3)
    close(100 * csat["top2"], truth["csat_top2box_pct"]["pct"], 1)
    check_means({"x": mean_of(t, "ces")}, {"x": truth["ces_mean_1to7"]})
    resolved = mean_of(t, "resolved")
    assert resolved["n"] == truth["resolved_pct"]["n"]
    close(100 * resolved["mean"], truth["resolved_pct"]["pct"], 1)
    check_nps(nps_of(t), truth["nps"])
    assert q(t, "SELECT count(*) FROM t WHERE metric = 'comment'")[0][0] == \
        truth["comments"]["non_empty"]
    skip = NEEDS_MAPPING.get(name, set()) if mode == "suggested" else set()
    groups = {"touchpoint": "csat_mean_by_touchpoint", "team": "csat_mean_by_team",
              "region": "csat_mean_by_region", QUARTER: "csat_mean_by_quarter"}
    for col, key in groups.items():
        if col in skip and col not in t.column_names:
            continue
        got = mean_of(t, "csat", group=col)
        if col in skip:
            if col in t.column_names and q(t, f"SELECT count({col}) FROM t")[0][0]:
                check_anonymous(got, truth[key])
            continue
        check_means(got, truth[key])
    if "team" not in skip:
        check_team_change(t, "csat", truth["team_change_last_vs_prev_quarter_csat_mean"])
    if not skip:
        check_team_change(t, "csat", truth["team_x_region_change_last_vs_prev_quarter_csat_mean"],
                          by_region=True)


def check_team_change(t, metric, want: list, by_region=False, scale=1.0):
    last, prev = TRUTH["calendar"]["last_quarter"], TRUTH["calendar"]["previous_quarter"]
    keys = "team, region" if by_region else "team"
    rows = q(t, f"""SELECT {keys}, avg(value) FILTER (qt = ?), avg(value) FILTER (qt = ?),
                 count(value) FILTER (qt = ?), count(value) FILTER (qt = ?),
                 var_samp(value) FILTER (qt = ?), var_samp(value) FILTER (qt = ?)
                 FROM (SELECT *, {QUARTER} AS qt FROM t WHERE metric = ?) GROUP BY ALL""",
             prev, last, prev, last, prev, last, metric)
    got = {r[:-6]: r[-6:] for r in rows}
    for w in want:
        k = (w["team"], w["region"]) if by_region else (w["team"],)
        p, l_, n_p, n_l, v_p, v_l = got[k]
        assert (n_p, n_l) == (w["n_prev"], w["n_last"]), k
        close(p * scale, w["prev"], 3)
        close(l_ * scale, w["last"], 3)
        close((l_ - p) * scale, w["delta"], 3)
        close((l_ - p) / (v_p / n_p + v_l / n_l) ** 0.5, w["z"], 2)  # Welch z


@pytest.mark.parametrize("mode", MODES)
def test_bg_partner_amounts(mode):
    truth = TRUTH["files"]["bg_partner_transactional_cp1251.csv"]["metrics"]
    ins, r = run("bg_partner_transactional_cp1251.csv", mode)
    names = {c.measure for c in ins.mapping.columns.values() if c.role == "number"}
    wait, order = (("wait_minutes", "order_value_bgn") if mode == "saved" else
                   ("vreme_za_izchakvane_min", "stoynost_na_porachkata_lv"))
    assert names == {wait, order}
    w = mean_of(r.table, wait)
    assert w["n"] == truth["wait_minutes"]["n"]
    close(w["mean"], truth["wait_minutes"]["mean"], 3)
    n, total, mean = q(r.table, "SELECT count(value), sum(value), avg(value) FROM t "
                                "WHERE metric = ?", order)[0]
    assert n == truth["order_value_bgn"]["n"]
    close(total, truth["order_value_bgn"]["sum"], 2)
    close(mean, truth["order_value_bgn"]["mean"], 3)


@pytest.mark.parametrize("mode", MODES)
def test_zendesk(mode):
    truth = TRUTH["files"]["zendesk_csat.csv"]["metrics"]
    _, r = run("zendesk_csat.csv", mode)
    t = r.table
    assert (r.rows_read, r.responses) == (truth["rows_in_file"], truth["responses"])
    assert len(r.excluded) == truth["offered_not_answered_rows"]
    assert {w for _, w in r.excluded} == {"survey offered, not answered: 'Offered'"}
    good = mean_of(t, "csat_good")
    assert good["n"] == truth["csat_good_pct"]["n"]
    close(100 * good["mean"], truth["csat_good_pct"]["pct"], 1)
    for col, key in (("team", "csat_good_pct_by_team"), (QUARTER, "csat_good_pct_by_quarter"),
                     ("touchpoint", "csat_good_pct_by_touchpoint")):
        check_means(mean_of(t, "csat_good", group=col), truth[key], key="pct", scale=100,
                    decimals=1)
    check_team_change(t, "csat_good", truth["team_change_last_vs_prev_quarter_csat_good_pct_points"],
                      scale=100)
    assert nps_of(t)["n"] == truth["nps"]["n"] == 0
    assert q(t, "SELECT count(*) FROM t WHERE metric = 'comment'")[0][0] == \
        truth["comments"]["non_empty"]


def test_canonical_extras():
    truth = TRUTH["files"]["transactional_canonical.parquet"]["metrics"]
    _, r = run("transactional_canonical.parquet", "suggested")
    t = r.table
    by_source = dict(q(t, "SELECT source, count(DISTINCT source_response_id) FROM t GROUP BY 1"))
    assert by_source == truth["responses_by_source"]
    good = mean_of(t, "csat_good")
    assert good["n"] == truth["csat_good_pct_zendesk_rows"]["n"]
    close(100 * good["mean"], truth["csat_good_pct_zendesk_rows"]["pct"], 1)
    sat = q(t, "SELECT count(*), avg(CASE WHEN metric = 'csat' THEN (value >= 4)::INT "
               "ELSE value END) FROM t WHERE metric IN ('csat', 'csat_good')")[0]
    assert sat[0] == truth["csat_satisfied_pct_all_sources"]["n"]
    close(100 * sat[1], truth["csat_satisfied_pct_all_sources"]["pct"], 1)
    agents = mean_of(t, "csat", group="agent_id || '|' || agent_name || '|' || team")
    for want in truth["csat_mean_by_agent"]:
        got = agents[f"{want['agent_id']}|{want['agent_name']}|{want['team']}"]
        assert got["n"] == want["n"]
        close(got["mean"], want["mean"], 3)


def test_canonical_table_shape():
    _, r = run("qualtrics_relationship.csv", "suggested")
    t = r.table
    assert t.schema.field("responded_at").type == pa.timestamp("us", tz="UTC")
    assert t.column_names[:12] == ["source", "source_response_id", "responded_at",
                                   "customer_id", "touchpoint", "team", "agent_id",
                                   "agent_name", "metric", "value", "value_text", "row_number"]
    assert {"region", "tier", "tenure_band", "language"} <= set(t.column_names)
    # one row per (response, measure, touchpoint)
    assert q(t, "SELECT count(*) FROM (SELECT source_response_id, metric, touchpoint FROM t "
                "GROUP BY ALL HAVING count(*) > 1)")[0][0] == 0
    # comments are verbatim, including planted markup
    raw = q(t, "SELECT value_text FROM t WHERE metric = 'comment' AND value_text LIKE '%<%'")
    assert raw, "the planted HTML comment must survive untouched"


def test_record_numbers_point_back_to_the_file():
    _, r = run("qualtrics_relationship.csv", "suggested")
    first = q(r.table, "SELECT min(row_number) FROM t")[0][0]
    assert first == 9  # 3 header rows + 5 preview/test rows come first
    assert sorted(rn for rn, _ in r.excluded) == [4, 5, 6, 7, 8]


# --- bad files at this layer ---------------------------------------------------------------------

def test_duplicate_columns_use_the_first_nps():
    ins, r = run("bad/duplicate_columns.csv", "suggested")
    assert any("'NPS' (column 2)" in w for w in ins.warnings)
    assert dict(q(r.table, "SELECT source_response_id, value FROM t WHERE metric = 'nps'")) == \
        {"D-1": 9.0, "D-2": 6.0, "D-3": 10.0}
    comments = q(r.table, "SELECT metric, value_text FROM t WHERE metric LIKE 'comment%' "
                          "ORDER BY source_response_id, metric")
    assert ("comment", "first comment") in comments and ("comment_2", "second comment") in comments


def test_out_of_range_scores_are_never_counted():
    bad = TRUTH["bad_inputs"]["out_of_range_scores.csv"]
    _, r = run("bad/out_of_range_scores.csv", "suggested")
    t = r.table
    check_nps(nps_of(t), bad["valid_nps_after_normalisation"])
    ids = sorted(x[0] for x in q(t, "SELECT source_response_id FROM t WHERE metric = 'nps'"))
    assert ids == bad["valid_nps_ids"]
    nps_invalid = {v for _, col, v, _ in r.invalid_values if col == "nps"}
    # Row 17 (NaN, NaN) is rejected as a whole: its reason names both values, and it is listed
    # once (an audit found it three times in the receipt).
    assert nps_invalid == {"11", "-1", "ten", "7.5", "1e1", "2147483648"}
    assert r.invalid_counts == {"nps": 6, "csat": 2}
    assert {v for _, col, v, _ in r.invalid_values if col == "csat"} == {"6", "0"}
    assert 17 not in {rn for rn, *_ in r.invalid_values}
    assert r.not_applicable == {"nps": 1}  # 'N/A' is missing, not invalid
    assert [rn for rn, _ in r.rejects] == [17]  # OOR-16: NaN / NaN, nothing valid
    assert r.rejects[0][1] == "no valid answer: nps 'NaN' not a number; csat 'NaN' not a number"
    assert r.rows_read == r.responses + len(r.rejects) + len(r.excluded) == 18
    assert any("6 value(s) of 'nps'" in w for w in r.warnings)


def test_sql_injection_headers_load_as_plain_names():
    _, r = run("bad/sql_injection_header.csv", "suggested")
    check_nps(nps_of(r.table), TRUTH["bad_inputs"]["sql_injection_header.csv"]["nps_if_loaded"])
    for name in r.table.column_names:
        assert name.replace("_", "").isalnum() and name.isascii()


def test_qualtrics_duplicate_response_ids_keep_the_latest():
    bad = TRUTH["bad_inputs"]["qualtrics_duplicate_response_ids.csv"]
    _, r = run("bad/qualtrics_duplicate_response_ids.csv", "suggested")
    assert r.rows_read == bad["rows"]
    assert r.responses == bad["unique_response_ids"]
    check_nps(nps_of(r.table), bad["nps_keep_latest"])
    dup_ids = {d[0] for d in r.duplicates}
    conflicting = {c["response_id"]: c for c in bad["conflicting_duplicates"]}
    assert set(bad["identical_duplicates"]) | set(conflicting) == dup_ids
    assert all(len(rows) == 2 and "latest answer time" in why for _, rows, why in r.duplicates)
    kept = dict(q(r.table, "SELECT source_response_id, value FROM t WHERE metric = 'nps'"))
    for rid, c in conflicting.items():
        assert kept[rid] == c["nps_second (later RecordedDate)"]
    assert r.rows_read == r.responses + len(r.excluded) + sum(len(d[1]) - 1 for d in r.duplicates)


def test_reexport_carries_the_edited_answers():
    bad = TRUTH["bad_inputs"]["qualtrics_relationship_reexport.csv"]
    _, r = run("bad/qualtrics_relationship_reexport.csv", "saved")
    assert r.rows_read == bad["rows"]
    rows = q(r.table, "SELECT source_response_id, metric, value, value_text FROM t "
                      "WHERE metric IN ('nps', 'comment')")
    got = {}
    for rid, metric, value, text in rows:
        got.setdefault(rid, {})[metric] = value if metric == "nps" else text
    for edit in bad["edited_rows"]:
        after = edit["after"]
        assert got[edit["response_id"]]["nps"] == after["nps"]
        assert got[edit["response_id"]].get("comment") == after["comment"]


@pytest.mark.parametrize("name", ["bad/header_only.csv", "bad/qualtrics_header_only.csv"])
def test_header_only_files_give_zero_responses(name):
    ins, r = run(name, "suggested")
    assert (r.rows_read, r.responses, r.table.num_rows) == (0, 0, 0)
    assert r.rejects == [] and r.excluded == []
    assert ins.preview.empty


def test_ragged_rows_are_rejected_with_the_readers_reason():
    _, r = run("bad/ragged_rows.csv", "suggested")
    assert q(r.table, "SELECT DISTINCT source_response_id FROM t") == [("RG-1",)]
    # truth.json: data lines 2-6 reported; the empty one as skipped, not as a row that was rejected
    # (found by a review: "rejected row ... so it was skipped")
    assert [rn for rn, _ in r.rejects] == [3, 4, 5, 7] and all(why.startswith("could not be read") for _, why in r.rejects)
    assert r.skipped == [(6, SKIPPED_EMPTY)] and r.excluded == []
    assert r.rows_read == r.responses + len(r.rejects) + len(r.excluded) + len(r.skipped)


@pytest.mark.parametrize("name, code", [
    ("bad/empty.csv", "empty"), ("bad/bom_only.csv", "empty"), ("bad/png_renamed.csv", "binary"),
    ("bad/binary_garbage.csv", "not_text"), ("bad/wide_50k_columns.csv", "too_many_columns"),
    ("bad/zip_bomb.xlsx", "zip_bomb"),
])
def test_unreadable_files_are_refused_by_inspect(name, code):
    with pytest.raises(IngestError) as e:
        inspect(SAMPLES / name)
    assert e.value.code == code


# --- accounting on hand-made tables ---------------------------------------------------------------

def _raw(rows):
    from tests.test_ingest_layouts import raw_from_rows

    return raw_from_rows(rows)


def test_every_record_is_accounted_for():
    rows = [["id", "when", "nps", "csat", "status", "comment"],
            ["a", "2025-01-01 10:00:00", "9", "5", "ok", ""],
            ["b", "2025-01-01 11:00:00", "", "", "ok", ""],  # no answers
            ["c", "2025-01-01 12:00:00", "99", "", "ok", ""],  # only an invalid answer
            ["d", "2025-01-01 13:00:00", "5", "3", "test", ""],  # excluded by rule
            ["a", "2025-01-02 10:00:00", "3", "", "ok", "changed my mind"],  # later duplicate
            ["", "", "7", "", "ok", ""]]  # no id: identified by its row
    m = Mapping.from_dict({
        "source": "hand", "columns": {
            "id": {"role": "response_id"}, "when": {"role": "timestamp"},
            "nps": {"role": "nps"}, "csat": {"role": "csat"},
            "status": {"role": "ignore"}, "comment": {"role": "comment"}},
        "exclude": [{"column": "status", "values": ["test"], "reason": "test row"}]})
    r = normalise_raw(_raw(rows), m)
    assert r.rows_read == 6
    assert r.excluded == [(3, "no answers"), (5, "test row: 'test'")]
    assert r.rejects == [(4, "no valid answer: nps '99' outside the scale 0-10")]
    assert r.duplicates == [("a", [2, 6], "kept row 6 (latest answer time)")]
    assert r.responses == 2
    got = sorted(q(r.table, "SELECT source_response_id, metric, value, value_text FROM t"))
    assert got == [("a", "comment", None, "changed my mind"), ("a", "nps", 3.0, None),
                   ("row-7", "nps", 7.0, None)]


def test_value_maps_touchpoints_and_segments_from_the_mapping():
    rows = [["id", "channel", "sat", "store"],
            ["1", "Web", "Great", "Vanak"],
            ["2", "وب سايت", "Bad", "Vanak"],
            ["3", "Shop", "n/a", "Croydon"]]
    m = Mapping(source="s", columns={
        "id": ColumnSpec("response_id"),
        "channel": ColumnSpec("touchpoint", value_map={"Shop": "store"}),
        "sat": ColumnSpec("csat", value_map={"Great": 5, "Bad": 1, "n/a": None}),
        "store": ColumnSpec("segment", segment="store",
                            derive={"region": {"Vanak": "Tehran", "Croydon": "London"}})})
    r = normalise_raw(_raw(rows), m, touchpoint_aliases={"Web": "website", "وب‌سایت": "website"})
    got = sorted(q(r.table, "SELECT source_response_id, touchpoint, value, store, region FROM t"))
    assert got == [("1", "website", 5.0, "Vanak", "Tehran"), ("2", "website", 1.0, "Vanak", "Tehran")]
    # an all-N/A record is no response, so its N/A is not counted either
    assert r.excluded == [(4, "no answers")] and r.not_applicable == {}


def test_model_segment_aliases_apply_to_saved_mappings_after_their_value_maps():
    # A mapping saved before the model learned an alias has no value map for it: the alias
    # still applies; a value map the user saved wins over it.
    rows = [["id", "tier", "csat"], ["1", "أفراد", "5"], ["2", "Потребител", "4"], ["3", "VIP", "3"],
            ["4", "Gold", "2"]]
    m = Mapping(source="s", columns={
        "id": ColumnSpec("response_id"), "csat": ColumnSpec("csat"),
        "tier": ColumnSpec("segment", segment="tier", value_map={"Потребител": "Retail"})})
    aliases = {"tier": {"أفراد": "Consumer", "Потребител": "Consumer", "vip": "VIP"}}
    r = normalise_raw(_raw(rows), m, segment_aliases=aliases)
    assert sorted(q(r.table, "SELECT source_response_id, tier FROM t")) == [
        ("1", "Consumer"), ("2", "Retail"), ("3", "VIP"), ("4", "Gold")]
    # a value map's output follows the model: 'Retail' renamed 'Consumer' since the mapping was saved
    r = normalise_raw(_raw(rows), m, segment_aliases={"tier": {**aliases["tier"], "Retail": "Consumer"}})
    assert sorted(q(r.table, "SELECT source_response_id, tier FROM t"))[1] == ("2", "Consumer")
    # aliases of another segment do not apply
    r = normalise_raw(_raw(rows), m, segment_aliases={"region": aliases["tier"]})
    assert sorted(q(r.table, "SELECT tier FROM t")) == [("Gold",), ("Retail",), ("VIP",), ("أفراد",)]


def test_responses_without_an_answer_time_are_announced():
    # Typeform's partial responses have an empty submit date: kept, and said to count in no period
    rows = [["id", "submitted", "nps"], ["a", "2025-01-02 10:00:00", "9"], ["b", "", "7"],
            ["c", "", ""]]
    m = Mapping.from_dict({"source": "s", "columns": {
        "id": {"role": "response_id"}, "submitted": {"role": "timestamp"}, "nps": {"role": "nps"}}})
    r = normalise_raw(_raw(rows), m)
    assert r.responses == 2
    assert [w for w in r.warnings if "no answer time" in w] == [
        "1 response(s) have no answer time in 'submitted': they are stored, but no period counts "
        "them. Map another date column (a start date) as the answer time if they should count."]


def test_a_file_without_an_answer_time_is_announced():
    from cxdata.ingest._suggest import suggest_mapping
    from cxdata.ingest.layouts import detect_layout

    raw = _raw([["id", "nps"], ["a", "9"], ["b", "4"]])
    m, warnings, _ = suggest_mapping(raw, detect_layout(raw), source="s")
    assert any(w.startswith("No column looks like the date of each response") for w in warnings)
    r = normalise_raw(raw, m)
    assert r.responses == 2 and any(
        w.startswith("No column of the file is mapped as the answer time: its 2 response(s)") for w in r.warnings)


def test_persian_digits_and_jalali_dates():
    rows = [["شناسه پاسخ‌دهنده", "زمان ثبت پاسخ", "مدت پاسخگویی", "امتیاز پیشنهاد (0-10)"],
            ["۱۲", "۱۴۰۳/۰۱/۰۱ ۱۰:۰۰", "۰۲:۱۰", "۹"],
            ["۱۳", "۱۴۰۳/۰۶/۳۱ ۲۳:۳۰", "۰۱:۰۰", "٨"]]
    raw = _raw(rows)
    from cxdata.ingest._suggest import suggest_mapping
    from cxdata.ingest.layouts import detect_layout

    m, _, _ = suggest_mapping(raw, detect_layout(raw), source="p")
    assert (m.layout, m.calendar, m.timezone) == ("porsline", "jalali", "Asia/Tehran")
    r = normalise_raw(raw, m)
    got = q(r.table, "SELECT source_response_id, value, strftime(responded_at, '%Y-%m-%d %H:%M') "
                     "FROM t ORDER BY 1")
    # 1403/01/01 10:00 Tehran (+03:30) = 2024-03-20 06:30 UTC
    assert got == [("12", 9.0, "2024-03-20 06:30"), ("13", 8.0, "2024-09-21 20:00")]


# --- speed ---------------------------------------------------------------------------------------

def test_a_million_rows_normalise_in_about_a_second():
    n = 1_000_000
    import pyarrow.compute as pc

    base = pa.array(range(n), pa.int64())

    def s(a):
        return pc.cast(a, pa.string())

    cols = {
        "c0": s(base),
        "c1": pc.binary_join_element_wise(
            pa.repeat(pa.scalar("2025-0"), n), s(pc.add(pc.bit_wise_and(base, 7), 1)),
            pa.repeat(pa.scalar("-1"), n), s(pc.add(pc.bit_wise_and(base, 7), 1)),
            pa.repeat(pa.scalar(" 10:00:00"), n), ""),
        "c2": s(pc.bit_wise_and(base, 7)),  # nps 0-7 ... plus 8-10 below
        "c3": s(pc.add(pc.bit_wise_and(base, 3), 1)),  # csat
        "c4": s(pc.add(pc.bit_wise_and(base, 3), 2)),  # ces
        "c5": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "Yes", "No"),
        "c6": pc.if_else(pc.equal(pc.bit_wise_and(base, 3), 0), "Very satisfied", "Not applicable"),
        "c7": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "Tehran", "Dubai"),
        "c8": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "SMB", "VIP"),
        "c9": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "English", "Persian"),
        "c10": pc.if_else(pc.equal(pc.bit_wise_and(base, 7), 0), "Some long comment text", None),
        "c11": pc.binary_join_element_wise(pa.repeat(pa.scalar("ZC"), n), s(base), ""),
        "c12": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "Team A", "Team B"),
        "c13": pc.if_else(pc.equal(pc.bit_wise_and(base, 1), 0), "Website", "Store"),
        "c14": s(pc.bit_wise_and(base, 63)),
    }
    header = ["id", "when", "nps", "csat", "ces", "resolved", "tp", "region", "tier", "language",
              "comment", "customer", "team", "touchpoint", "minutes"]
    table = pa.table(cols)
    head = pa.table({c: pa.array([h], pa.string()) for c, h in zip(cols, header)})
    raw = RawTable(pa.concat_tables([head, table]), pa.array(range(1, n + 2), pa.int64()),
                   "csv", "utf-8", ",", None)
    m = Mapping(source="big", columns={
        "id": ColumnSpec("response_id"), "when": ColumnSpec("timestamp"),
        "nps": ColumnSpec("nps"), "csat": ColumnSpec("csat"), "ces": ColumnSpec("ces"),
        "resolved": ColumnSpec("yes_no", measure="resolved"),
        "tp": ColumnSpec("csat", measure="tp_sat", touchpoint="website",
                         value_map={"Very satisfied": 5, "Not applicable": None}),
        "region": ColumnSpec("segment", segment="region"),
        "tier": ColumnSpec("segment", segment="tier"),
        "language": ColumnSpec("segment", segment="language"),
        "comment": ColumnSpec("comment"), "customer": ColumnSpec("customer_id"),
        "team": ColumnSpec("team"), "touchpoint": ColumnSpec("touchpoint"),
        "minutes": ColumnSpec("number", measure="wait_minutes")})
    best, cpu = float("inf"), float("inf")
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        r = normalise_raw(raw, m, touchpoint_aliases={"Website": "website", "Store": "store"})
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    print(f"\n1M rows x 15 columns normalised in {best:.2f} s wall, {cpu:.2f} s CPU (all "
          f"threads) -> {r.table.num_rows:,} rows")
    assert r.responses == n
    assert r.table.num_rows == n * 5 + n // 4 + n // 8
    # about a second of wall time on an idle 2-core laptop; CPU time does not depend on what
    # else the machine is doing, so that is what the test holds to
    assert cpu < 5.0


def test_canonical_long_csv_is_checked_against_known_scales(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("source,source_response_id,responded_at,metric,value,value_text,region,quarter\n"
                 "web,1,2025-01-01T10:00:00Z,nps,9,,Tehran,2025-Q1\n"
                 "web,1,2025-01-01T10:00:00Z,csat,11,,Tehran,2025-Q1\n"
                 "web,2,2025-01-02T10:00:00Z,comment,,<b>hi</b>,Dubai,2025-Q1\n"
                 "web,2,2025-01-02T10:00:00Z,comment,,again,Dubai,2025-Q1\n"
                 ",3,2025-01-02T10:00:00Z,wait_minutes,\"4.5\",,Dubai,2025-Q1\n",
                 encoding="utf-8")
    ins = inspect(p)
    assert ins.layout_name == "canonical"
    assert ins.mapping.columns["quarter"].role == "ignore"  # derived from the time downstream
    r = normalise(ins)
    assert r.rows_read == 5 and r.responses == 3
    assert r.rejects == [(3, "csat '11' is not a whole number within 1-5")]
    assert r.duplicates == [("2", [4, 5], "kept row 5 (last row in the file)")]
    got = q(r.table, "SELECT source, source_response_id, metric, value, value_text, region "
                     "FROM t ORDER BY row_number")
    assert got == [("web", "1", "nps", 9.0, None, "Tehran"),
                   ("web", "2", "comment", None, "again", "Dubai"),
                   ("long", "3", "wait_minutes", 4.5, None, "Dubai")]


def test_invitation_response_rates_join_on_customer_and_wave():
    """Customer ids and answer times survive normalisation well enough to find who answered."""
    truth = TRUTH["files"]["invitations.csv"]["metrics"]
    runs = [run(n, "saved") for n in RELATIONSHIP[:3]]
    t = pa.concat_tables([r.table for _, r in runs], promote_options="default")
    con = duckdb.connect()
    con.register("t", t)
    inv = con.read_csv(str(SAMPLES / "invitations.csv"), all_varchar=True).arrow()
    con.register("inv", inv.read_all() if hasattr(inv, "read_all") else inv)
    con.execute(f"""CREATE TEMP TABLE joined AS
        WITH resp AS (SELECT DISTINCT source, customer_id, {QUARTER} AS wave FROM t)
        SELECT i.*, r.customer_id IS NOT NULL AS responded FROM inv i LEFT JOIN resp r
        ON r.source = i.survey_tool AND r.customer_id = i.customer_id AND r.wave = i.wave""")
    total, responded = con.execute("SELECT count(*), sum(responded::INT) FROM joined").fetchone()
    assert (total, responded) == (truth["invitations"], truth["responded"])
    for dim in ("survey_tool", "tier", "tenure_band", "language", "region", "channel", "wave"):
        got = {k: (n, r) for k, n, r in con.execute(
            f"SELECT {dim}, count(*), sum(responded::INT) FROM joined GROUP BY 1").fetchall()}
        want = truth[f"response_rate_pct_by_{dim}"]
        assert got == {k: (v["invited"], v["responded"]) for k, v in want.items()}, dim


@pytest.mark.parametrize("enabled", [False, True])
def test_persian_letters_only_when_enabled(enabled):
    arabic_yeh = "\u062a\u0647\u0631\u0627\u0646 \u06af\u0644\u06cc"  # Persian text...
    arabic_yeh = arabic_yeh.replace("\u06cc", "\u064a")  # ...typed with an Arabic Yeh
    rows = [["id", "nps", "city", "comment"], ["1", "9", arabic_yeh, arabic_yeh],
            ["2", "8", "مدينة عربية", "تعليق عربي"]]
    m = Mapping(source="p", normalise_persian=enabled, columns={
        "id": ColumnSpec("response_id"), "nps": ColumnSpec("nps"),
        "city": ColumnSpec("segment", segment="city"), "comment": ColumnSpec("comment")})
    r = normalise_raw(_raw(rows), m)
    cities = [c for (c,) in q(r.table, "SELECT city FROM t WHERE metric = 'nps' ORDER BY 1")]
    comment = q(r.table, "SELECT value_text FROM t WHERE metric = 'comment' AND "
                         "source_response_id = '1'")[0][0]
    fixed = arabic_yeh.replace("\u064a", "\u06cc")
    assert comment == (fixed if enabled else arabic_yeh)
    assert (fixed if enabled else arabic_yeh) in cities
    assert "مدينة عربية" in cities  # Arabic text is never touched


@pytest.mark.parametrize("rows, responses, duplicates", [
    # one source, every (response, metric, touchpoint) once: the fast path, nothing dropped
    (["web,1,nps,9,", "web,1,csat,4,", "web,2,nps,7,"], 2, []),
    # the same id in two sources is two responses
    (["web,1,nps,9,", "app,1,nps,3,"], 2, []),
    # one metric per touchpoint of a response is not a duplicate
    (["web,1,csat,4,billing", "web,1,csat,2,delivery"], 1, []),
    # the same (response, metric, touchpoint) twice, no row rejected: the last row wins
    (["web,1,csat,4,billing", "web,1,csat,2,billing", "web,2,csat,5,"], 2, [("1", [2, 3], "kept row 3 (last row in the file)")]),
    # an empty touchpoint is a touchpoint too
    (["web,1,nps,9,", "web,1,nps,8,"], 1, [("1", [2, 3], "kept row 3 (last row in the file)")]),
])
def test_canonical_duplicates_and_response_index(tmp_path, rows, responses, duplicates):
    p = tmp_path / "long.csv"
    p.write_text("source,source_response_id,metric,value,touchpoint\n" + "\n".join(rows) + "\n", encoding="utf-8")
    r = normalise(inspect(p))
    assert r.responses == responses
    assert r.duplicates == duplicates
    t = r.table.to_pylist()
    assert len(t) == len(rows) - sum(len(d[1]) - 1 for d in duplicates)
    # the response index the store reuses: one integer per (source, response id)
    per_key = {}
    for row in t:
        per_key.setdefault((row["source"], row["source_response_id"]), set()).add(row["rid"])
    assert all(len(v) == 1 for v in per_key.values())
    assert len({next(iter(v)) for v in per_key.values()}) == len(per_key) == responses


_BODY = "".join(f"T{i},2025-06-{i + 1:02d},{'Sales' if i % 2 else 'Media'},{i % 5 + 1}\n" for i in range(12))


@pytest.mark.parametrize("tail, excluded, responses", [
    # a report's totals and a sheet's statistics under the data (found by an audit: stored as responses)
    ("Total,,,36\n", [(14, "a summary row ('Total'), not a response")], 12),
    ("Median,,,3\n,,,\nMode,,,4\n", [(14, "a summary row ('Median'), not a response"),
                                     (16, "a summary row ('Mode'), not a response")], 12),
    (",,Gesamt,3.1\n", [(14, "a summary row ('Gesamt'), not a response")], 12),
    # the word in the date column (a sheet whose first column is the date; found by an audit)
    (",Durchschnitt,,3.0\n", [(14, "a summary row ('Durchschnitt'), not a response")], 12),
    # a word that is a value of its column above is an answer: the department 'Media'
    ("T99,2025-06-20,Media,4\n", [], 13),
    # only the closing rows: a 'Total' before other responses is one of them
    ("Total,2025-06-21,Sales,2\nT100,2025-06-22,Sales,5\n", [], 14),
])
def test_summary_rows_closing_a_sheet_are_excluded(tmp_path, tail, excluded, responses):
    p = tmp_path / "report.csv"
    p.write_text("Ticket ID,Date,Department,Satisfaction (1-5)\n" + _BODY + tail, encoding="utf-8")
    r = normalise(inspect(p))
    assert r.responses == responses
    assert [e for e in r.excluded if "summary" in e[1]] == excluded


@pytest.mark.parametrize("tail, gaps", [
    # found with a home-made sheet saved as CSV: the empty row above its 'Average' was rejected as a
    # row that could not be read, while the 'Average' itself was left out
    ("\nAverage,,,3.0\n", [14]),
    (",,,\nAverage,,,3.0\n", [14]),
    ("\n\nTotal,,,36\n", [14, 15]),
    ("Median,,,3\n,,,\nMode,,,4\n", [15]),
    ("\nMedian,,,3\n\nMode,,,4\n\n", [14, 16]),  # and the one closing the file, as always
])
def test_empty_lines_by_the_totals_closing_a_sheet_are_no_rows(tmp_path, tail, gaps):
    p = tmp_path / "report.csv"
    p.write_text("Ticket ID,Date,Department,Satisfaction (1-5)\n" + _BODY + tail, encoding="utf-8", newline="")
    ins = inspect(p)
    r = normalise(ins)
    assert (r.responses, r.rejects) == (12, [])
    assert [rn for rn, why in r.excluded if "empty line by the totals" in why] == gaps
    assert r.rows_read == r.responses + len(r.excluded)
    assert not [w for w in ins.warnings if "could not be read" in w]


def test_an_empty_line_among_the_responses_is_listed_as_skipped(tmp_path):
    # a record broken in two leaves one, so it is listed, by line; but as skipped, not as a
    # rejected row: nothing in it was refused (found by a review). The gap above the totals is no row.
    body = _BODY.splitlines(keepends=True)
    p = tmp_path / "report.csv"
    p.write_text("Ticket ID,Date,Department,Satisfaction (1-5)\n" + "".join(body[:6]) + "\n" + "".join(body[6:])
                 + "Average,,,3.0\n", encoding="utf-8", newline="")
    ins = inspect(p)
    r = normalise(ins)
    assert r.rejects == [] and r.skipped == [(8, SKIPPED_EMPTY)] and r.responses == 12
    assert not [w for w in ins.warnings if "could not be read" in w]


@pytest.mark.parametrize("tail", ["\n\n", "\r\n\r\n", ",,,\n\n"])
def test_blank_lines_are_listed_as_no_responses_not_as_rejected_rows(tmp_path, tail):
    # Excel and text editors leave blank lines at the end of a saved CSV: the receipt listed them
    # as rows that "could not be read", and the preview warned that they would be rejected.
    p = tmp_path / "report.csv"
    p.write_text("Ticket ID,Date,Department,Satisfaction (1-5)\n" + _BODY + tail, encoding="utf-8", newline="")
    ins = inspect(p)
    r = normalise(ins)
    assert (r.responses, r.rejects) == (12, [])
    assert r.excluded == [(14, "an empty line at the end of the file, not a response"),
                          (15, "an empty line at the end of the file, not a response")]
    assert r.rows_read == r.responses + len(r.excluded)
    assert not [w for w in ins.warnings if "could not be read" in w]


@pytest.mark.parametrize("above", [
    "Satisfaction log\n\n",  # found by an audit: one empty line under the title, warned as a row to reject
    "Satisfaction log\n\n\n",  # two: the second rejected as a row that "could not be read"
    "Satisfaction log\n,,,\n,,,\n,,,\n",  # Excel's empty rows, delimiters only
    "Satisfaction log - Q1,,,\nExported 2025-02-01,,,\n\n\n",
])
def test_empty_lines_between_a_title_and_the_header_are_no_rows(tmp_path, above):
    p = tmp_path / "report.csv"
    p.write_text(above + "Ticket ID,Date,Department,Satisfaction (1-5)\n" + _BODY, encoding="utf-8", newline="")
    ins = inspect(p)
    r = normalise(ins)
    assert (r.responses, r.rejects, r.excluded, r.rows_read) == (12, [], [], 12)
    assert not [w for w in ins.warnings if "could not be read" in w]


def test_surveymonkey_other_please_specify_names_the_answer(tmp_path):
    """Found by an audit: the text typed under "Other (please specify)" was dropped, and the
    responses that chose Other had no touchpoint and no region."""
    p = tmp_path / "sm.csv"
    p.write_text(
        "Respondent ID,Collector ID,End Date,How likely is it that you would recommend us?,Touchpoint,,Region,\n"
        ",,,Response,Response,Other (please specify),Response,Sonstiges (bitte angeben)\n"
        "11,9,01/02/2025 15:13:59,4,Billing,,Tehran,\n"
        "12,9,01/03/2025 15:13:59,7,,Phone support line,,Karaj\n"
        "13,9,01/04/2025 15:13:59,9,Website,,Dubai,\n", encoding="utf-8")
    ins = inspect(p, touchpoint_aliases=ALIASES)
    assert ins.layout_name == "surveymonkey"
    tp = next(s for s in ins.mapping.columns.values() if s.role == "touchpoint")
    assert tp.other == "Touchpoint_2"
    assert not any("Several columns look like touchpoint" in w for w in ins.warnings)
    rows = {r["source_response_id"]: r for r in normalise(ins).table.to_pylist()}
    assert rows["12"]["touchpoint"] == "Phone support line" and rows["12"]["region"] == "Karaj"
    assert rows["11"]["touchpoint"] == "billing" and rows["11"]["region"] == "Tehran"


def test_unreadable_answer_times_are_said_before_loading(tmp_path):
    """Found by an audit: the Upload page said nothing of times it could not read until the
    responses were stored without them."""
    p = tmp_path / "t.csv"
    p.write_text("Response ID,Submitted at,How likely are you to recommend us?\n"
                 + "".join(f"R{i},2025-01-{i + 1:02d} 10:00,9\n" for i in range(6))
                 + "R9,3 de abril de 2025,7\n", encoding="utf-8")
    ins = inspect(p)
    said = [w for w in ins.warnings if "cannot be read" in w]
    assert len(said) == 1 and "1 of the first 7" in said[0] and "'3 de abril de 2025'" in said[0]
    assert sum(w.startswith("1 answer time(s) could not be read") for w in normalise(ins).warnings) == 1


@pytest.mark.parametrize("last", [
    "Average,2025-06-25,Branch 1\n",  # a rating's label, and a dated row (found in review: excluded)
    "Average,,Branch 1\n",            # a rating's label
])
def test_an_answer_that_reads_like_a_summary_word_is_kept(tmp_path, last):
    labels = ["Excellent", "Good", "Good", "Poor", "Excellent", "Good"]
    p = tmp_path / "r.csv"
    p.write_text("How would you rate our service?,Date,Branch\n"
                 + "".join(f"{labels[i % 6]},2025-06-{i + 1:02d},Branch {i % 3}\n" for i in range(20)) + last,
                 encoding="utf-8")
    r = normalise(inspect(p))
    assert r.responses == 21 and not [e for e in r.excluded if "summary" in e[1]]


@pytest.mark.parametrize("sample, header_rows", [("typeform_transactional.csv", 1), ("qualtrics_relationship.csv", 3)])
def test_a_header_repeated_among_the_rows_is_no_response(tmp_path, sample, header_rows):
    """Found by an audit: two downloads pasted into one file stored the second's header as a
    response (touchpoint 'touchpoint', team 'team'), and its 'Submit Date' as an unreadable time."""
    lines = (SAMPLES / sample).read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header, body = lines[:header_rows], lines[header_rows:header_rows + 40]
    p = tmp_path / sample
    p.write_text("".join(header + body[:20] + header + body[20:]), encoding="utf-8")
    r = normalise(inspect(p, saved_mappings=load_mappings(MAPPINGS), touchpoint_aliases=ALIASES))
    first = header_rows + 21  # the row number of the repeated header's first line
    assert [e for e in r.excluded if "header" in e[1]] == [
        (first + i, "a repeated header row (two exports pasted into one file?), not a response")
        for i in range(header_rows)]
    alone = tmp_path / f"alone_{sample}"
    alone.write_text("".join(header + body), encoding="utf-8")
    once = normalise(inspect(alone, saved_mappings=load_mappings(MAPPINGS), touchpoint_aliases=ALIASES))
    assert r.responses == once.responses and r.table.num_rows == once.table.num_rows
    assert not [w for w in r.warnings if "could not be read" in w]
    assert {x for x in r.table.column("touchpoint").to_pylist()} == {x for x in once.table.column("touchpoint").to_pylist()}


def _damaged_ids(tmp_path, ids, refused) -> str | None:
    """Load an export of one NPS answer per id: None where it loads (every distinct id a response),
    else the message of its refusal, which must be for its damaged ids."""
    p = tmp_path / "export.csv"
    p.write_text("Respondent ID,Date,How likely are you to recommend us?\n"
                 + "".join(f"{i},2025-01-{n + 1:02d} 10:00,9\n" for n, i in enumerate(ids)), encoding="utf-8")
    ins = inspect(p)
    if not refused:
        assert normalise(ins).responses == len(set(ids))
        return None
    with pytest.raises(IngestError) as e:
        normalise(ins)
    assert e.value.code == "damaged_ids" and "'Respondent ID'" in e.value.message
    return e.value.message


@pytest.mark.parametrize("ids, refused", [
    (["1.14E+11", "1.14E+11", "1.15E+11"], True),   # Excel's rounding of 12-digit ids (found by an audit)
    (["1.14e11", "1.14e11", "114000000001", "114000000002", "11400000003"], True),  # some rounded, alike
    (["114012345678", "114012345679", "114012345680"], False),
    (["1.5", "2.25", "E+11"], False),               # not numbers in scientific notation
    (["1.2345E+3", "1.2346E+3", "1.2347E+3"], False),  # all their digits shown: nothing lost
    (["a3f09c1d", "3e141592", "0b77e2aa"], False),  # hexadecimal ids, one of them shaped like a number (found in review)
])
def test_ids_rounded_by_a_spreadsheet_refuse_the_file(tmp_path, ids, refused):
    message = _damaged_ids(tmp_path, ids, refused)
    assert message is None or "Excel" in message


@pytest.mark.parametrize("ids, refused", [
    (["?????"] * 8, True),  # a code page without Persian digits (found by a review: 2,857 rows became one)
    (["?????"] * 6 + ["R_7", "R_8"], True),  # most rows share one id
    (["R_1", "R_2", "R_3"] * 3, False),  # one export pasted three times: a row of each kept
    (["?????"] * 4 + [f"R_{i}" for i in range(10)], False),  # a few rows that lost their id, among many
])
def test_ids_most_rows_share_refuse_the_file(tmp_path, ids, refused):
    message = _damaged_ids(tmp_path, ids, refused)
    assert message is None or ("'?????'" in message and "Question marks" in message)


def test_a_long_files_rows_of_one_response_are_no_shared_ids(tmp_path):
    """The canonical layout gives a response one row per measure and touchpoint: many rows of one
    id are its answers. Only many rows sharing the id, measure and touchpoint are damage."""
    metrics = ["nps", "csat", "ces", "resolved", "emotion"]
    good = tmp_path / "long.csv"
    good.write_text("source,source_response_id,metric,value,touchpoint\n"
                    + "".join(f"web,{r},{m},1,{tp}\n" for r in (1, 2) for m in metrics for tp in ("store", "web")),
                    encoding="utf-8")
    assert normalise(inspect(good)).responses == 2
    bad = tmp_path / "damaged.csv"
    bad.write_text("source,source_response_id,metric,value,touchpoint\n"
                   + "".join(f"web,????,nps,{i % 11},\n" for i in range(12)), encoding="utf-8")
    with pytest.raises(IngestError) as e:
        normalise(inspect(bad))
    assert e.value.code == "damaged_ids" and "12 of 12 rows (one per answer)" in e.value.message


def test_a_respondent_who_ticked_every_option_is_no_repeated_header(tmp_path):
    """Found in review: a SurveyMonkey multiple choice's second header row holds the option
    labels, and so does the row of a respondent who ticked them all."""
    import csv

    opts = ["Phone", "Email", "Chat", "App"]
    p = tmp_path / "sm.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Respondent ID", "Collector ID", "Start Date", "End Date",
                    "Which channels did you use to contact us?", "", "", "",
                    "How likely are you to recommend us to a friend?"])
        w.writerow(["", "", "", "", *opts, "Response"])
        for i in range(30):
            ticked = opts if i % 10 == 0 else [o if (i >> j) & 1 else "" for j, o in enumerate(opts)]
            w.writerow([11400000000 + i, 430000000, f"01/{i % 28 + 1:02d}/2025 10:00:00 AM",
                        f"01/{i % 28 + 1:02d}/2025 10:05:00 AM", *ticked, i % 11])
    ins = inspect(p)
    assert ins.layout_name == "surveymonkey"
    r = normalise(ins)
    assert r.responses == 30 and not [e for e in r.excluded if "header" in e[1]]


LABELLED = "Response ID,Date,Team,Language,CSAT\n1,2025-03-01,{team},{language},5\n2,2025-03-02,Team A,English,4\n"


@pytest.mark.parametrize("team, language, encoding, lost", [
    # Found by a review: Hebrew saved in Windows-1256, which has none of its letters.
    ("צוות צפון", "עברית", "cp1256", {"team": ("Team", {"???? ????": ()}), "language": ("Language", {"?????": ("ar", "fa", "he", "ru")})}),
    ("فروش تلفنی", "English", "cp1256", {"team": ("Team", {"فروش تلفن?": ()})}),  # Persian yeh alone lost
    ("צוות צפון", "עברית", "utf-8", {}),
    ("Team ??", "English", "utf-16", {}),  # saved as Unicode: its question marks are its own
    ("?", "English", "cp1256", {}),  # a '?' for "unknown"
    ("Why?", "English", "cp1256", {}),
])
def test_labels_a_code_page_wrote_question_marks_in_are_found(tmp_path, team, language, encoding, lost):
    p = tmp_path / "export.csv"
    p.write_bytes(LABELLED.format(team=team, language=language).encode(encoding, errors="replace"))
    assert normalise(inspect(p)).lost_labels == lost


def test_a_label_with_question_marks_in_a_file_with_letters_beyond_ascii_in_utf8_is_its_own(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text(LABELLED.format(team="???? ????", language="עברית"), encoding="utf-8")
    assert normalise(inspect(p)).lost_labels == {}


def test_a_long_files_touchpoints_that_became_one_are_no_duplicates(tmp_path):
    """Two Hebrew touchpoints of a response both '????' in a file re-saved in Windows-1256: its two
    answers are not one answer given twice (found by a review: one was dropped as a duplicate);
    the store settles them (store.settle_lost_labels)."""
    p = tmp_path / "long.csv"
    p.write_bytes(("source,source_response_id,responded_at,touchpoint,metric,value\n"
                   + "".join(f"web,{r},2025-03-0{r},{tp},csat,{v}\n" for r in (1, 2) for tp, v in (("מוקד", 4), ("סניף", 5))))
                  .encode("cp1256", errors="replace"))
    r = normalise(inspect(p))
    assert (r.table.num_rows, r.duplicates, r.lost_labels) == (4, [], {"touchpoint": ("touchpoint", {"????": ()})})
