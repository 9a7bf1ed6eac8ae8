"""The demo generator: exact sizes, canonical schema, determinism, and the planted stories."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from cxdata import demo

SCALES = {"nps": (0, 10), "tp_sat": (1, 5), "effort": (1, 7), "csat": (1, 5), "ces": (1, 7), "resolved": (0, 1)}
SERVICE = {"call_center", "chat", "billing"}
AGENT_TOUCHPOINTS = {"store", "call_center", "chat", "delivery"}


def _table(n: int, **kw) -> pa.Table:
    return pa.concat_tables(list(demo.generate(n, **kw)))


def _responses(t: pa.Table) -> int:
    return len(set(zip(t.column("source").to_pylist(), t.column("source_response_id").to_pylist())))


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    # Large enough that every planted effect is far outside sampling noise.
    df = _table(200_000).to_pandas()
    df["quarter"] = df.responded_at.dt.year.astype(str) + "-Q" + df.responded_at.dt.quarter.astype(str)
    return df


@pytest.fixture(scope="module")
def model() -> dict:
    return yaml.safe_load(demo.demo_model_path().read_text(encoding="utf-8"))


def _distinct(values: pd.Series) -> set:
    return set(values.dropna().unique())


def _nps(values: pd.Series) -> float:
    return 100 * ((values >= 9).mean() - (values <= 6).mean())


# -- size, schema, determinism ------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 999, 20_000, 70_001])
def test_exact_number_of_responses(n):
    assert _responses(_table(n)) == n


def test_zero_responses_yields_nothing():
    assert list(demo.generate(0)) == []


def test_schema_is_canonical():
    for batch in demo.generate(5_000, batch_size=2_000):
        assert batch.schema.equals(demo.SCHEMA, check_metadata=False)
    assert demo.SCHEMA.names == [
        "source", "source_response_id", "responded_at", "customer_id", "region", "tier", "tenure_band",
        "language", "channel", "touchpoint", "team", "agent_id", "agent_name", "metric", "value", "value_text",
    ]
    assert demo.SCHEMA.field("responded_at").type == pa.timestamp("us", tz="UTC")
    assert demo.SCHEMA.field("value").type == pa.float64()


def test_deterministic_and_seed_dependent(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert demo.write_parquet(a, 30_000, seed=3) == demo.write_parquet(b, 30_000, seed=3)
    assert a.read_bytes() == b.read_bytes()
    assert _table(30_000, seed=3).equals(_table(30_000, seed=3))
    assert not _table(30_000, seed=3).equals(_table(30_000, seed=4))


def test_output_does_not_depend_on_batch_size():
    # 40_000 does not divide the internal chunk size, so chunks straddle batches.
    assert _table(150_000, batch_size=40_000).equals(_table(150_000))


def test_batches_never_split_a_response():
    seen: set[str] = set()
    batches = list(demo.generate(150_000, batch_size=40_000))
    assert [_responses(b) for b in batches] == [40_000, 40_000, 40_000, 30_000]
    for batch in batches:
        ids = batch.column("source_response_id").to_numpy(zero_copy_only=False)
        # A response's rows are consecutive: each id starts exactly one run.
        starts = np.concatenate([[True], ids[1:] != ids[:-1]])
        assert starts.sum() == len(set(ids))
        assert seen.isdisjoint(ids)
        seen.update(ids)


def test_write_parquet_streams_all_rows(tmp_path):
    path = tmp_path / "demo.parquet"
    rows = demo.write_parquet(path, 5_000, batch_size=1_500)
    written = pq.read_table(path)
    assert rows == written.num_rows
    assert written.schema.equals(demo.SCHEMA, check_metadata=False)
    assert written.equals(_table(5_000))


def test_arguments_are_validated():
    with pytest.raises(ValueError):
        list(demo.generate(-1))
    with pytest.raises(ValueError):
        list(demo.generate(10, batch_size=0))
    with pytest.raises(ValueError):
        list(demo.generate(10, seed=-1))
    with pytest.raises(ValueError):
        list(demo.generate(10, start=date(2025, 1, 1), end=date(2024, 1, 1)))


def test_no_streamlit_import():
    assert "streamlit" not in Path(demo.__file__).read_text(encoding="utf-8")


# -- content rules ---------------------------------------------------------------------------------
def test_scores_are_integers_within_their_scales(big):
    for metric, (lo, hi) in SCALES.items():
        v = big.loc[big.metric == metric, "value"]
        assert len(v) > 0, metric
        assert v.notna().all() and v.between(lo, hi).all() and (v == v.round()).all(), metric
    assert _distinct(big.metric) == set(SCALES) | {"comment"}
    comments = big[big.metric == "comment"]
    assert comments.value.isna().all() and comments.value_text.notna().all()
    assert big.loc[big.metric != "comment", "value_text"].isna().all()


def test_row_structure(big):
    rel = big.source == "relationship_survey"
    tr = ~rel
    assert _distinct(big.loc[tr, "source"]) == set(demo.CHANNELS)
    assert (big.loc[tr, "source"] == big.loc[tr, "channel"]).all()
    # Relationship survey: no team; touchpoint only on tp_sat rows.
    r = big[rel]
    assert _distinct(r.metric) == {"nps", "tp_sat", "effort", "comment"}
    assert r.team.isna().all() and r.agent_id.isna().all()
    assert r.loc[r.metric == "tp_sat", "touchpoint"].notna().all()
    assert r.loc[r.metric != "tp_sat", "touchpoint"].isna().all()
    assert not r.duplicated(["source_response_id", "metric", "touchpoint"]).any()
    # Transactional: one touchpoint and team per response; resolved only for service touchpoints.
    t = big[tr]
    assert _distinct(t.metric) == {"csat", "ces", "resolved", "comment"}
    assert t.touchpoint.notna().all() and t.team.notna().all()
    assert (t.groupby("source_response_id")[["touchpoint", "team", "agent_id"]].nunique(dropna=False) == 1).all().all()
    assert _distinct(t.loc[t.metric == "resolved", "touchpoint"]) == SERVICE
    assert _distinct(t.loc[t.agent_id.notna(), "touchpoint"]) == AGENT_TOUCHPOINTS
    assert _distinct(t.loc[t.agent_id.isna(), "touchpoint"]) == set(demo.TOUCHPOINTS) - AGENT_TOUCHPOINTS
    assert (t.agent_id.isna() == t.agent_name.isna()).all()
    assert 50 <= big.agent_id.nunique() <= 70
    assert (big.groupby("agent_id").agent_name.nunique() == 1).all()
    # Every response has all segments.
    for col in ("customer_id", "region", "tier", "tenure_band", "language", "channel"):
        assert big[col].notna().all(), col
    share_rel = rel.groupby(big.source_response_id).first().mean()
    assert 0.12 < share_rel < 0.18


def test_segments_are_realistic(big):
    assert _distinct(big.tier) == {"Consumer", "SMB", "Enterprise", "VIP"}
    assert _distinct(big.tenure_band) == {"0-6m", "6-24m", "2-5y", "5y+"}
    assert _distinct(big.language) == {"en", "fa", "ar", "he", "bg"}
    assert 6 <= big.region.nunique() <= 8
    # Language follows region.
    lang = big.groupby("region").language.agg(lambda s: s.value_counts().idxmax())
    assert lang["Tehran"] == "fa" and lang["Sofia"] == "bg" and lang["London"] == "en"
    # A customer keeps their region, tier and language across responses.
    assert (big.groupby("customer_id")[["region", "tier", "language"]].nunique() == 1).all().all()
    assert big.customer_id.nunique() < big.source_response_id.nunique()


def test_timestamps(big):
    ts = big.responded_at
    assert str(ts.dt.tz) == "UTC"
    assert ts.min() >= pd.Timestamp(demo.DEMO_START, tz="UTC")
    assert ts.max() < pd.Timestamp(demo.DEMO_END, tz="UTC") + pd.Timedelta(days=1)
    # Response ids follow time.
    assert ts.is_monotonic_increasing
    first = _table(3_000, start=date(2025, 1, 1), end=date(2025, 3, 31)).column("responded_at").to_pandas()
    assert first.min() >= pd.Timestamp("2025-01-01", tz="UTC") and first.max() < pd.Timestamp("2025-04-01", tz="UTC")


def test_volume_pattern(big):
    per_response = big.drop_duplicates("source_response_id")
    weekday = per_response.responded_at.dt.day_of_week
    days = per_response.responded_at.dt.normalize()
    daily = per_response.groupby([days, weekday]).size().groupby(level=1).mean()
    assert daily.loc[[0, 1, 2, 3]].min() > daily.loc[[5, 6]].max()
    by_year = per_response.groupby(per_response.responded_at < pd.Timestamp("2025-10-01", tz="UTC")).size()
    assert by_year[False] > 1.1 * by_year[True]  # volume grows


# -- the model file ----------------------------------------------------------------------------------
def test_model_file_matches_the_data(big, model):
    assert demo.demo_model_path().name == "demo.yaml"
    tps = {t["key"]: {t["key"], t["name"], *t.get("aliases", [])} for t in model["touchpoints"]}
    teams = {t["key"]: {t["key"], t["name"], *t.get("aliases", [])} for t in model["teams"]}
    team_tp = {t["key"]: t["touchpoint"] for t in model["teams"]}
    tp_label = {label: key for key, labels in tps.items() for label in labels}
    team_label = {label: key for key, labels in teams.items() for label in labels}
    assert _distinct(big.touchpoint.dropna()) <= set(tp_label)
    assert _distinct(big.team.dropna()) <= set(team_label)
    assert set(team_tp.values()) == set(tps) and 15 <= len(teams) <= 20
    pairs = big[["team", "touchpoint"]].dropna().drop_duplicates()
    for team, tp in pairs.itertuples(index=False):
        assert team_tp[team_label[team]] == tp_label[tp], team
    # Every metric with a value is a measure, and every KPI uses a defined measure.
    measures = model["measures"]
    assert _distinct(big.metric) - {"comment"} <= set(measures)
    for metric, (lo, hi) in SCALES.items():
        assert measures[metric]["scale"] == [lo, hi]
    kpis = [model["index"]["kpi"], *model["defaults"]["touchpoint_kpis"], *model["defaults"]["team_kpis"]]
    kpis += [k for node in model["touchpoints"] + model["teams"] for k in node.get("kpis", [])]
    for k in kpis:
        assert k["stat"] in {"nps", "top_box", "mean", "yes_rate"} and k["measure"] in measures
    assert {s["key"] for s in model["segments"]} == {"region", "tier", "tenure_band", "language", "channel", "source"}
    for seg in model["segments"]:
        if "order" in seg:  # an order must name every value, or values would vanish from splits
            assert _distinct(big[seg["key"]]) <= set(seg["order"]), seg["key"]


# -- planted effects -----------------------------------------------------------------------------------
def test_dip_team_has_the_largest_drop_in_the_last_quarter(big):
    csat = big[big.metric == "csat"]
    means = csat.pivot_table(index="team", columns="quarter", values="value", aggfunc="mean")
    change = (means["2026-Q3"] - means["2026-Q2"]).sort_values()
    assert change.index[0] == demo.DIP_TEAM
    assert change.iloc[0] < -0.5
    assert change.iloc[1] > -0.25  # nobody else comes close
    # The drop is concentrated in Tehran.
    dip = csat[csat.team == demo.DIP_TEAM].pivot_table(index="region", columns="quarter", values="value", aggfunc="mean")
    by_region = dip["2026-Q3"] - dip["2026-Q2"]
    assert by_region["Tehran"] < by_region["Isfahan"]


def test_dip_team_comments_talk_about_delays(big):
    c = big[(big.metric == "comment") & (big.team == demo.DIP_TEAM) & (big.quarter == "2026-Q3")]
    rated = big[(big.metric == "csat") & big.source_response_id.isin(c.source_response_id)]
    unhappy = c[c.source_response_id.isin(rated.loc[rated.value <= 2, "source_response_id"])]
    assert len(unhappy) > 50
    en = unhappy[unhappy.language == "en"].value_text
    delay_words = ("late", "postponed", "time slot", "where my order")
    assert en.map(lambda s: any(w in s for w in delay_words) or "<" in s or "=" in s or "\n" in s).all()


def test_smb_customers_are_less_satisfied(big):
    nps = big[big.metric == "nps"]
    smb = _nps(nps.loc[nps.tier == "SMB", "value"])
    rest = _nps(nps.loc[nps.tier != "SMB", "value"])
    assert smb < rest - 30
    by_tier = nps.groupby("tier").value.apply(_nps)
    assert by_tier.idxmin() == "SMB"
    csat = big[big.metric == "csat"].groupby("tier").value.mean()
    assert csat.idxmin() == "SMB"


def test_mobile_app_trends_up(big):
    app = big[(big.metric == "csat") & (big.touchpoint == demo.TREND_TOUCHPOINT)]
    means = app.groupby("quarter").value.mean()
    assert means.iloc[-1] - means.iloc[0] > 0.25
    assert np.corrcoef(np.arange(len(means)), means.to_numpy())[0, 1] > 0.9


def test_index_nps_is_plausible(big):
    assert 10 < _nps(big.loc[big.metric == "nps", "value"]) < 40


def test_comments_in_every_language(big):
    c = big[big.metric == "comment"]
    scripts = {"fa": "\u0600-\u06ff", "ar": "\u0600-\u06ff", "he": "\u0590-\u05ff", "bg": "\u0400-\u04ff", "en": "a-zA-Z"}
    for lang, script in scripts.items():
        texts = c.loc[c.language == lang, "value_text"]
        assert len(texts) > 100, lang
        assert texts.str.contains(f"[{script}]").mean() > 0.95, lang
    # Sentiment follows the score.
    csat = big.loc[big.metric == "csat", ["source_response_id", "value"]].rename(columns={"value": "csat"})
    en = c.drop(columns="value").merge(csat, on="source_response_id")
    en = en[en.language == "en"]
    assert en.loc[en.csat == 5, "value_text"].str.contains("disappointed|wasted|frustrating").mean() < 0.02
    assert en.loc[en.csat == 1, "value_text"].str.contains("thank you|Very happy|Excellent").mean() < 0.02


def test_hostile_comments_are_present_verbatim(big):
    texts = big.loc[big.metric == "comment", "value_text"]
    assert texts.str.contains("<img src=x onerror=alert(1)>", regex=False).any()
    assert texts.str.contains("<b>", regex=False).any()
    assert texts.str.startswith("=HYPERLINK(").any()
    assert texts.str.contains("\n", regex=False).any()
    assert texts.str.len().max() > 1000


# -- speed (reported, not asserted) -------------------------------------------------------------------
def test_time_to_generate_one_million():
    t0 = time.perf_counter()
    rows = sum(b.num_rows for b in demo.generate(1_000_000))
    seconds = time.perf_counter() - t0
    print(f"\ndemo.generate(1_000_000): {rows:,} rows in {seconds:.1f} s")
    assert rows > 2_000_000
