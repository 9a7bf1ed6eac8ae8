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


def stat_text(k: KPI, model: Model) -> str:
    """What a KPI computes, in words: 'top-box % (4–5)', 'mean', 'NPS (9–10 less 0–6)'."""
    m = model.measures.get(k.measure)
    words = STAT_NAMES.get(k.stat, k.stat)
    if m is None:
        return words
    if k.stat in ("top_box", "yes_rate") and m.top_box != m.scale[1]:
        return f"{words} ({m.top_box:g}–{m.scale[1]:g})"
    if k.stat == "nps":
        return f"{words} ({m.top_box:g}–{m.scale[1]:g} less {m.scale[0]:g}–{m.bottom_box:g})"
    return words


def kpis_frame(model: Model):
    """Every KPI the model defines, once: its name (a mean's with its scale, as its column below
    and its tile write it), what it computes, of which question on which scale, and the sources it
    is narrowed to. The nodes' tables then say per node which it shows and at what target."""
    import pandas as pd

    from .formats import kpi_title

    rows, seen = [], set()
    for k in model.kpis():
        if k.stat == "composite" or k.with_target(None) in seen:
            continue
        seen.add(k.with_target(None))
        m = model.measures.get(k.measure)
        rows.append({"KPI": kpi_title(k, model), "Key": k.key, "Statistic": stat_text(k, model),
                     "Question": m.name if m else k.measure,
                     "Scale": f"{m.scale[0]:g}–{m.scale[1]:g}" if m else "",
                     "Surveys": " + ".join(model.source_label(s) for s in k.sources) or "all"})
    return pd.DataFrame(rows, columns=["KPI", "Key", "Statistic", "Question", "Scale", "Surveys"])


def _kpi_columns(model: Model, nodes) -> dict[str, tuple[str, KPI]]:
    """KPI key -> (its column's name, its first definition), in the order the nodes list them; a
    mean's name with its scale ('Effort (CES) /7'), as its tile writes the value."""
    from .formats import kpi_title

    first: dict[str, KPI] = {}
    for node in nodes:
        for k in node.kpis:
            first.setdefault(k.key, k)
    names = {key: kpi_title(k, model) for key, k in first.items()}
    twice = {n for n in names.values() if list(names.values()).count(n) > 1}
    return {key: (f"{n} ({key})" if n in twice else n, first[key]) for key, n in names.items()}


def _kpi_cell(model: Model, node, key: str, first: KPI) -> str:
    """A node's cell under a KPI's column: its target ('80'), '✓' where it shows the KPI without a
    target, blank where it does not show it; the KPI in words where this node defines
    the key otherwise than the column's first node. A line of every KPI in words per node ('CSAT
    (top-box % of Satisfaction 1–5), target 80; CSAT mean (mean o…') was cut at any width (found
    in a review)."""
    k = next((k for k in node.kpis if k.key == key), None)
    if k is None:
        return ""
    if k.with_target(None) != first.with_target(None):
        return kpi_text(k, model)
    return f"{k.target:g}" if k.target is not None else "✓"


def headline(nodes) -> str | None:
    """The name of the headline KPI (its tile's and bars' first) all `nodes` share; None where they differ."""
    names = {n.kpis[0].name for n in nodes if n.kpis}
    return next(iter(names)) if len(names) == 1 else None


def frames(model: Model) -> dict[str, "object"]:
    """Index, KPIs, journeys, touchpoints (and their other names), teams, segments and rules as data
    frames (one row per node). A node's KPIs are columns, one per KPI, saying its target; what each KPI is, the KPIs
    frame says once."""
    import pandas as pd

    from .formats import kpi_title

    k = model.index.kpi
    index = pd.DataFrame([{"Index": model.index.name, "KPI": kpi_title(k, model),
                           "Statistic": "composite 0–100 of the touchpoints' first KPIs, weighted" if k.stat == "composite"
                           else stat_text(k, model),
                           "Target": "—" if k.target is None else f"{k.target:g}"}])

    def table(nodes, first: list[tuple[str, object]], last: list[tuple[str, object]]):
        kpi_cols = _kpi_columns(model, nodes)
        # A column of the headline KPI only where the nodes' differ (one for all: the page says it once).
        head = ["Headline KPI"] if headline(nodes) is None and nodes else []
        fixed = {c for c, _ in first + last} | set(head)
        named = {key: name if name not in fixed else f"{name} (KPI)" for key, (name, _) in kpi_cols.items()}
        rows = []
        for node in nodes:
            row = {c: f(node) for c, f in first}
            if head:
                row["Headline KPI"] = node.kpis[0].name if node.kpis else ""
            row.update({named[key]: _kpi_cell(model, node, key, d) for key, (_, d) in kpi_cols.items()})
            row.update({c: f(node) for c, f in last})
            rows.append(row)
        return pd.DataFrame(rows, columns=[c for c, _ in first] + head + [*named.values()] + [c for c, _ in last])

    tp_name = lambda key: model.touchpoint(key).name if model.touchpoint(key) else key  # noqa: E731
    journeys = table(model.journeys, [("Journey", lambda j: j.name), ("Key", lambda j: j.key),
                                      ("Touchpoints", lambda j: ", ".join(tp_name(t) for t in j.touchpoints))], [])
    touchpoints = table(model.touchpoints, [("Touchpoint", lambda t: t.name), ("Key", lambda t: t.key),
                                            ("Weight", lambda t: t.weight)],
                        [("Teams", lambda t: len(model.teams_of(t.key)))])
    # A touchpoint's other names (in several scripts, often eight or more) in a table of their own:
    # as the last of a row of KPI columns they ran off the table at 1400 px.
    touchpoint_names = pd.DataFrame([{"Touchpoint": t.name, "Also called": ", ".join(t.aliases)}
                                     for t in model.touchpoints], columns=["Touchpoint", "Also called"])
    teams = table(model.teams, [("Team", lambda t: t.name), ("Key", lambda t: t.key),
                                ("Touchpoint", lambda t: tp_name(t.touchpoint))],
                  [("Also called", lambda t: ", ".join(t.aliases))])
    # Coded values by the names the model gives them ('English', not 'en'), as every page shows them.
    segments = pd.DataFrame([{"Segment": s.name, "Key": s.key, "Values in order": ", ".join(s.label(v) for v in s.order)}
                             for s in model.segments])
    rules = pd.DataFrame([
        {"Rule": "Hidden below (responses)", "Value": f"{model.thresholds.privacy_min_n:,}"},
        {"Rule": "Flagged as few below (responses)", "Value": f"{model.thresholds.reliability_min_n:,}"},
        {"Rule": "A case is overdue after (days)", "Value": f"{model.loop.respond_within_days:g}"},
        {"Rule": "Closure rate target (%)", "Value": "—" if model.loop.target is None else f"{model.loop.target:g}"},
        {"Rule": "A response answers an invitation within (days)", "Value": f"{model.invitations.window_days:g}"},
    ])
    return {"index": index, "kpis": kpis_frame(model), "journeys": journeys, "touchpoints": touchpoints,
            "touchpoint_names": touchpoint_names, "teams": teams, "segments": segments, "rules": rules}


def in_use_text(name: str, version: int | None, *, saved: str = "", by: str | None = None, note: str | None = None,
                pinned: bool = False) -> str:
    """What the Model page says of the model in use: its name and version, when and by whom it was
    saved; not where its file lies on the server (a path such as /srv/cx/models/demo.yaml told every
    reader about the server and nothing about the model: found in a review)."""
    if version:
        return (f"{name} · version {version}, saved {saved}" + (f" by {by}" if by else "")
                + (f": “{note}”" if note else "") + ".")
    return f"{name} · as its file has it" + (", read as it is (CX_MODEL)." if pinned else
                                             ": no version has been edited in the app.")
