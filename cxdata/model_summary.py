"""The pyramid model in tables, as the Model page shows it: what each level measures, its targets
and weights, who owns what, and the rules every tile obeys."""

from __future__ import annotations

from .model import KPI, Model

STAT_NAMES = {"nps": "NPS", "top_box": "top-box %", "mean": "mean", "yes_rate": "yes-rate %",
              "composite": "composite 0–100"}


def kpi_text(k: KPI, model: Model) -> str:
    """'CSAT (top-box % of Satisfaction 1–5), target 80'."""
    measure = model.measures.get(k.measure)
    of = "the touchpoints' first KPIs, weighted" if k.stat == "composite" else (
        f"{measure.name} {measure.scale[0]:g}–{measure.scale[1]:g}" if measure else k.measure)
    text = f"{k.name} ({STAT_NAMES.get(k.stat, k.stat)} of {of}"
    if k.sources:
        text += f", {' + '.join(k.sources)} only"
    return text + ")" + (f", target {k.target:g}" if k.target is not None else "")


def frames(model: Model) -> dict[str, "object"]:
    """Index, journeys, touchpoints, teams, segments and rules as data frames (one row per node)."""
    import pandas as pd

    index = pd.DataFrame([{"Index": model.index.name, "KPI": kpi_text(model.index.kpi, model)}])
    touchpoints = pd.DataFrame([{
        "Touchpoint": t.name, "Key": t.key, "Weight": t.weight,
        "KPIs": "; ".join(kpi_text(k, model) for k in t.kpis), "Teams": len(model.teams_of(t.key)),
        "Also called": ", ".join(t.aliases),
    } for t in model.touchpoints])
    journeys = pd.DataFrame([{
        "Journey": j.name, "Key": j.key,
        "Touchpoints": ", ".join(model.touchpoint(t).name for t in j.touchpoints),
        "KPIs": "; ".join(kpi_text(k, model) for k in j.kpis),
    } for j in model.journeys], columns=["Journey", "Key", "Touchpoints", "KPIs"])
    teams = pd.DataFrame([{
        "Team": t.name, "Key": t.key,
        "Touchpoint": (model.touchpoint(t.touchpoint).name if model.touchpoint(t.touchpoint) else t.touchpoint),
        "KPIs": "; ".join(kpi_text(k, model) for k in t.kpis), "Also called": ", ".join(t.aliases),
    } for t in model.teams])
    segments = pd.DataFrame([{"Segment": s.name, "Key": s.key, "Values in order": ", ".join(s.order)}
                             for s in model.segments])
    rules = pd.DataFrame([
        {"Rule": "Hidden below (responses)", "Value": f"{model.thresholds.privacy_min_n:,}"},
        {"Rule": "Flagged as few below (responses)", "Value": f"{model.thresholds.reliability_min_n:,}"},
        {"Rule": "A case is overdue after (days)", "Value": f"{model.loop.respond_within_days:g}"},
        {"Rule": "Closure rate target (%)", "Value": "—" if model.loop.target is None else f"{model.loop.target:g}"},
        {"Rule": "A response answers an invitation within (days)", "Value": f"{model.invitations.window_days:g}"},
    ])
    return {"index": index, "journeys": journeys, "touchpoints": touchpoints, "teams": teams, "segments": segments,
            "rules": rules}
