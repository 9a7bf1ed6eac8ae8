"""The measurement pyramid for one view: index, touchpoints and teams with their KPI results.

Turns the per-cell counts of `queries.cells` into values, intervals, changes, suppression and
target status. Every figure shown by a tile, a chart, the CLI or an export comes from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from . import stats
from .stats import fewest_respondents
from .model import KPI, Model, label_key, value_range
from .period import Period, comparison_of, resolve
from .queries import Catalog, cells
from .view import ViewState

Cells = dict[tuple, stats.Moments]  # (period, level, node key, segment label or None, measure) -> moments


@dataclass(frozen=True)
class KpiResult:
    kpi: KPI
    current: stats.Estimate
    previous: stats.Estimate | None
    change: stats.Change | None
    status: str  # 'ok' | 'low_n' | 'hidden' | 'no_data'
    previous_status: str | None
    target_status: str | None  # 'met' | 'near' (target inside the interval) | 'missed' | None
    compared: str | None = None  # what the change compares, in words, where not simply the period before's figures

    @property
    def shown(self) -> bool:
        return self.status not in ("hidden", "no_data")

    @property
    def delta_shown(self) -> bool:
        return self.shown and self.previous_status in ("ok", "low_n") and self.change is not None

    @property
    def shown_delta(self) -> float | None:
        """The change on screen and in every table: the shown value minus the shown previous one."""
        if not self.delta_shown or self.change.delta is None or self.previous is None:
            return None
        if self.current.value is None or self.previous.value is None:
            return None
        return stats.shown_change(self.current.value, self.previous.value, self.kpi.stat)


@dataclass(frozen=True)
class NodeResult:
    level: str  # 'index' | 'journey' | 'touchpoint' | 'team'
    key: str
    name: str
    kpis: tuple[KpiResult, ...]
    parent: str | None = None
    weight: float | None = None

    @property
    def headline(self) -> KpiResult:
        return self.kpis[0]

    def kpi(self, key: str) -> KpiResult | None:
        return next((k for k in self.kpis if k.kpi.key == key), None)


@dataclass(frozen=True)
class Pyramid:
    index: NodeResult
    touchpoints: tuple[NodeResult, ...]
    teams: tuple[NodeResult, ...]
    period: Period
    previous: Period | None
    as_of: date | None
    problems: tuple[str, ...] = field(default=())
    journeys: tuple[NodeResult, ...] = ()

    def touchpoint(self, key: str) -> NodeResult | None:
        return next((t for t in self.touchpoints if t.key == key), None)

    def journey(self, key: str) -> NodeResult | None:
        return next((j for j in self.journeys if j.key == key), None)

    def touchpoints_of(self, journey: str) -> tuple[NodeResult, ...]:
        return tuple(t for t in self.touchpoints if t.parent == journey)

    def team(self, key: str) -> NodeResult | None:
        return next((t for t in self.teams if t.key == key), None)

    def teams_of(self, tp: str) -> tuple[NodeResult, ...]:
        return tuple(t for t in self.teams if t.parent == tp)

    @property
    def empty(self) -> bool:
        """No KPI of any node has an answer in the period: not only the headlines, since a view
        (one survey source, say) may hold only a touchpoint's second KPI."""
        return all(k.current.n == 0 for node in (self.index, *self.journeys, *self.touchpoints, *self.teams)
                   for k in node.kpis)


def level_kpi(nodes) -> str | None:
    """The KPI a row of nodes is compared on: the first KPI (in model order) that some of them
    show, so a level rated only in, say, a relationship survey still shows its numbers, and every
    node of the row shows the same KPI. A KPI whose only answers are hidden (three at one store)
    comes after one the row shows: its chart read "no data" down the row above tiles with figures."""
    order = list(dict.fromkeys(k.kpi.key for n in nodes for k in n.kpis))
    for shown in (("ok", "low_n"), ("ok", "low_n", "hidden")):
        for key in order:
            if any((k := n.kpi(key)) is not None and k.status in shown for n in nodes):
                return key
    return order[0] if order else None


def level_first(nodes, level_key: str | None) -> KpiResult | None:
    """The first result of the row's KPI (its name and range title the row): from the first node
    that has the KPI, which need not be the first node (a team measured on another KPI only)."""
    return next((k for n in nodes if (k := n.kpi(level_key)) is not None), None) if level_key else None


def tile_kpi(node: NodeResult, level_key: str | None) -> KpiResult:
    """The KPI a node's tile shows in a row compared on `level_key`: that KPI, unless the node
    has no answers for it and has some for another of its KPIs (a team measured only on
    resolution in a row of CSAT tiles), which then shows rather than a "no data" that hides them."""
    own = node.kpi(level_key) if level_key else None
    if own is not None and own.status != "no_data":
        return own
    return next((k for k in node.kpis if k.status != "no_data"), own or node.headline)


def chosen_kpi(node: NodeResult, key: str | None) -> KpiResult:
    """The KPI of `node` a view shows: the one the link names, if the node has it, else the one
    its tile shows (tile_kpi: its first with answers)."""
    return (node.kpi(key) if key else None) or tile_kpi(node, None)


def comments_withheld(node: NodeResult, k: KpiResult) -> bool:
    """The comments behind `k` of `node` would give away what a tile hides: `k` is hidden, or it
    has no answers while another KPI of the node is hidden (the comments listed would then be
    those of the hidden tile's few responses)."""
    return k.status == "hidden" or (k.status == "no_data" and any(x.status == "hidden" for x in node.kpis))


def periods_for(view: ViewState, cat: Catalog) -> tuple[Period, Period | None]:
    as_of = cat.as_of or date.today()
    current = resolve(view.period, as_of, cat.first, view.start, view.end)
    return current, comparison_of(view.period, current, view.compare)


NOT_SET = "(not set)"  # the segment of the answers with no value for a dimension


def collect(rows, cat: Catalog, seg_labels: dict[int, str] | None = None) -> Cells:
    """Sum raw cell rows by model node (several data labels may map to one node)."""
    measure_key = {code: key for key, code in cat.measures.items()}
    out: Cells = {}
    for period, level, node, seg, measure, n, s1, s2, hi, lo in rows:
        if level == "touchpoint":  # a key where no stored label names the node (Catalog.home)
            key = node if isinstance(node, str) else cat.touchpoints.get(node)
        elif level == "team":
            key = cat.teams.get(node)
        else:
            key = "all"
        if key is None or measure not in measure_key:
            continue
        seg_label = seg_labels.get(seg, NOT_SET) if seg_labels is not None else None
        k = (period, level, key, seg_label, measure_key[measure])
        m = stats.Moments(int(n), float(s1 or 0), float(s2 or 0), int(hi or 0), int(lo or 0))
        old = out.get(k)  # several data labels can map to one node
        out[k] = m if old is None else old + m
    return out


def narrowed_view(view: ViewState, sources: tuple[str, ...]) -> ViewState:
    """The view restricted to a KPI's survey sources, within any source filter the view has
    (an empty intersection matches nothing)."""
    # compared as filters compare values (case and letter variants folded): a model's 'Qualtrics'
    # within the stored 'qualtrics' chosen in the sidebar
    chosen = {label_key(s) for s in view.filter_map.get("source", sources)}
    allowed = [s for s in sources if label_key(s) in chosen]
    return view.with_filters({**view.filter_map, "source": allowed or ["\x00 none"]})


def fetch(cur, model: Model, cat: Catalog, view: ViewState, periods: list[Period], by: str | None = None,
          totals: bool = False) -> Cells:
    """All cells the model's KPIs read: one scan for the plain measures, and one per set of
    sources that KPIs are narrowed to (answered through the 'source' segment). With `by` and
    `totals`, the cells without the split come from the same scans."""
    labels = cat.segment_labels(by) if by else None

    def scan(v: ViewState, measures=None) -> Cells:
        if by and totals:
            whole, split = cells(cur, model, cat, v, periods, by=by, measures=measures, totals=True)
            return {**collect(whole, cat), **collect(split, cat, labels)}
        return collect(cells(cur, model, cat, v, periods, by=by, measures=measures), cat, labels)

    data = scan(view)
    narrowed: dict[tuple[str, ...], set[str]] = {}
    for k in model.kpis():
        if k.sources and k.stat != "composite":
            narrowed.setdefault(k.sources, set()).add(k.measure)
    for sources, measures in narrowed.items():
        for (period, level, key, seg, measure), m in scan(narrowed_view(view, sources), sorted(measures)).items():
            data[(period, level, key, seg, f"{measure}@{'+'.join(sources)}")] = m
    return with_journeys(model, data)


def with_journeys(model: Model, data: Cells) -> Cells:
    """`data` with the cells of every journey: the sums of its touchpoints' cells. Every answer
    has one touchpoint and a touchpoint one journey, so the sum counts each answer once, and a
    journey's figures are exactly those of its touchpoints' answers pooled."""
    if not model.journeys:
        return data
    home = {tp: j.key for j in model.journeys for tp in j.touchpoints}
    out = dict(data)
    for (period, level, key, seg, cell), m in data.items():
        if level == "touchpoint" and key in home:
            k = (period, "journey", home[key], seg, cell)
            old = out.get(k)
            out[k] = m if old is None else old + m
    return out


def build(cur, model: Model, cat: Catalog, view: ViewState) -> Pyramid:
    current, previous = periods_for(view, cat)
    periods = [current] + ([previous] if previous else [])
    return assemble(model, fetch(cur, model, cat, view, periods), current, previous, cat.as_of, repeats=cat.repeats)


def rules_of(model: Model) -> stats.Suppression:
    return stats.Suppression(model.thresholds.privacy_min_n, model.thresholds.reliability_min_n)


def assemble(model: Model, data: Cells, current: Period, previous: Period | None, as_of: date | None,
             seg: str | None = None, hidden: set[tuple] | None = None,
             repeats: Mapping[str, int | None] | None = None) -> Pyramid:
    """The pyramid of `data`. `repeats`: the measures a response may answer more than once
    (`Catalog.repeats`; None: any)."""
    rules = rules_of(model)
    if hidden is None:
        hidden = suppressed_cells(data, partitions(model, [seg], previous is not None), rules, repeats)

    def respondents(period: int, level: str, key: str, cell: str, n: int) -> int:
        """What the reliability flag reads: the fewest respondents the answers can come from (see
        suppressed_cells)."""
        most = most_answers(level, cell, repeats)
        if most == 1:
            return n
        tps = model.journey(key).touchpoints if level == "journey" else [t.key for t in model.touchpoints]
        return fewest_respondents(n, most, (m.n for t in tps if (m := data.get((period, "touchpoint", t, seg, cell)))))

    def result(level: str, key: str, kpi: KPI) -> KpiResult:
        cur_m = data.get((0, level, key, seg, kpi.cell), stats.Moments())
        prev_m = data.get((1, level, key, seg, kpi.cell)) if previous else None
        if cur_m.n == 0:
            status = "no_data"
        elif (0, level, key, seg, kpi.cell) in hidden:
            status = "hidden"
        else:
            status = stats.cell_status(respondents(0, level, key, kpi.cell, cur_m.n), rules)
        est = stats.estimate(kpi.stat, cur_m)
        prev_est = stats.estimate(kpi.stat, prev_m) if prev_m is not None else None
        prev_status = None
        if previous:
            pn = prev_m.n if prev_m else 0
            prev_status = ("no_data" if pn == 0 else "hidden" if (1, level, key, seg, kpi.cell) in hidden
                           else stats.cell_status(respondents(1, level, key, kpi.cell, pn), rules))
        change = (stats.change(kpi.stat, cur_m, prev_m, estimates=(est, prev_est))
                  if prev_m is not None and prev_m.n else None)
        lo, hi = kpi_range(model, kpi)
        est = stats.bounded(est, lo, hi)
        prev_est = stats.bounded(prev_est, lo, hi) if prev_est is not None else None
        return KpiResult(kpi, est, prev_est, change, status, prev_status, target_status(est, kpi, model))

    tps = tuple(
        NodeResult("touchpoint", t.key, t.name, tuple(result("touchpoint", t.key, k) for k in t.kpis), weight=t.weight,
                   parent=(j.key if (j := model.journey_of(t.key)) else None))
        for t in model.touchpoints
    )
    journeys = tuple(NodeResult("journey", j.key, j.name, tuple(result("journey", j.key, k) for k in j.kpis))
                     for j in model.journeys)
    teams = tuple(
        NodeResult("team", t.key, t.name, tuple(result("team", t.key, k) for k in t.kpis), parent=t.touchpoint)
        for t in model.teams
    )
    if model.index.kpi.stat == "composite":
        index_kpi = _composite(model, tps, rules)
    else:
        index_kpi = result("all", "all", model.index.kpi)
    index = NodeResult("index", "index", model.index.name, (index_kpi,))
    return Pyramid(index, tps, teams, current, previous, as_of, journeys=journeys)


def target_status(est: stats.Estimate, kpi: KPI, model: Model) -> str | None:
    if kpi.target is None or est.value is None:
        return None
    measure = model.measures.get(kpi.measure)
    better_high = measure.higher_is_better if measure else True
    # Judged on the value as shown: "4.20 · target 4.20 · near target" (4.196) read as a contradiction.
    shown = stats.shown(est.value, kpi.stat)
    met = shown >= kpi.target if better_high else shown <= kpi.target
    if met:
        return "met"
    if est.ci_low is not None and est.ci_high is not None and est.ci_low <= kpi.target <= est.ci_high:
        return "near"
    return "missed"


def _composite(model: Model, tps: tuple[NodeResult, ...], rules) -> KpiResult:
    """Weighted mean of the touchpoints' headline KPIs on a 0-100 scale (hidden touchpoints excluded).
    The earlier period's index is taken over the touchpoints the current one has: one without a
    figure now (hidden for too few responses, or none) left in the earlier index alone made up
    most of a change (found by an audit)."""
    def parts(which: str):
        # One part per weighted touchpoint; no value where it is hidden or empty in that period.
        out = []
        for t in tps:
            if not t.weight:
                continue
            h = t.headline
            est = h.current if which == "current" else h.previous
            visible = h.shown if which == "current" else h.previous_status in ("ok", "low_n") and h.shown
            if est is None or est.value is None or not visible:
                est = stats.Estimate(h.kpi.stat, 0, None)
            out.append((t.weight, est, kpi_range(model, h.kpi)))
        return out

    cur = stats.composite(parts("current"))
    has_prev = any(t.headline.previous is not None for t in tps)
    prev = stats.composite(parts("previous")) if has_prev else None
    change = stats.composite_change(parts("current"), parts("previous")) if has_prev else None
    kpi = model.index.kpi
    weighted = [t.headline for t in tps if t.weight]

    def status_of(est, answered: bool) -> str:
        # No value: hidden if some weighted touchpoint has answers it hides, else there is no data.
        if est.value is not None:
            return stats.cell_status(est.n, rules)
        return "hidden" if answered else "no_data"

    status = status_of(cur, any(h.current is not None and h.current.n > 0 for h in weighted))
    prev_status = None if prev is None else status_of(
        prev, any(h.previous is not None and h.previous.n > 0 for h in weighted if h.shown))
    return KpiResult(kpi, cur, prev, change, status, prev_status, target_status(cur, kpi, model))


def kpi_range(model: Model, kpi: KPI) -> tuple[float, float]:
    """The range a KPI's value can take: its natural axis on charts and its span in a composite
    (a composite index itself, which has no measure, runs from 0 to 100)."""
    measure = model.measures.get(kpi.measure)
    return value_range(kpi.stat, measure.scale if measure else None)


def partitions(model: Model, segs: list[str | None], has_previous: bool, split: bool = False) -> list[tuple[tuple, list[tuple]]]:
    """The (parent cell, child cells) partitions one view shows: subtracting visible children
    from a visible parent must never reveal a hidden child.

    A journey's cell splits into its touchpoints' cells (exactly: it is their sum); a
    touchpoint's cell of a measure splits into its teams' cells (plus answers with no team);
    a plain-measure index splits into the touchpoints' cells of its measure, and into the
    journeys' that show it with the touchpoints in none of those; in a split view, every node's
    total splits into its segment cells."""
    out = []
    periods = (0, 1) if has_previous else (0,)
    index = model.index.kpi
    # The journeys' row is a second partition of the index: a journey shown adds up the touchpoints
    # the first one hid, and the index minus the row gave back the few answers of no touchpoint
    # that they protected (found by an audit).
    rows = [j for j in model.journeys if any(k.cell == index.cell for k in j.kpis)]
    loose = [t.key for t in model.touchpoints if not any(t.key in j.touchpoints for j in rows)]
    for period in periods:
        for seg in segs:
            if index.stat != "composite":
                out.append(((period, "all", "all", seg, index.cell),
                            [(period, "touchpoint", t.key, seg, index.cell) for t in model.touchpoints]))
                if rows:
                    out.append(((period, "all", "all", seg, index.cell),
                                [(period, "journey", j.key, seg, index.cell) for j in rows]
                                + [(period, "touchpoint", t, seg, index.cell) for t in loose]))
            for j in model.journeys:
                for measure in {k.cell for k in j.kpis}:  # (a cell no journey tile shows is no visible parent)
                    out.append(((period, "journey", j.key, seg, measure),
                                [(period, "touchpoint", t, seg, measure) for t in j.touchpoints]))
            for tp in model.touchpoints:
                teams = model.teams_of(tp.key)
                for measure in {k.cell for k in tp.kpis} | {k.cell for t in teams for k in t.kpis}:
                    out.append(((period, "touchpoint", tp.key, seg, measure),
                                [(period, "team", t.key, seg, measure) for t in teams]))
        if split:
            nodes = [("all", "all", index.cell)] if index.stat != "composite" else []
            nodes += [("touchpoint", t.key, k.cell) for t in model.touchpoints for k in t.kpis]
            nodes += [("team", t.key, k.cell) for t in model.teams for k in t.kpis]
            nodes += [("journey", j.key, k.cell) for j in model.journeys for k in j.kpis]
            for level, key, measure in dict.fromkeys(nodes):
                out.append(((period, level, key, None, measure),
                            [(period, level, key, seg, measure) for seg in segs if seg is not None]))
    return out


def suppressed_cells(data: Cells, parts, rules, repeats: Mapping[str, int | None] | None = None) -> set[tuple]:
    """Primary suppression (0 < n < privacy threshold), then complementary suppression over all
    partitions until nothing changes, because hiding a cell in one partition can expose another.

    A cell hidden in one partition to protect another cell there must not be the one hidden cell
    of a second partition, whose parent minus its shown cells would give it back, and with it the
    cell it protects (a team x segment split: a team's lone hidden 'he' cell of 6, hidden to
    protect its sister team's 'he' cell of 1, came back from the team's row and gave the 1 away;
    found by a differential audit). So no partition with a shown parent and nothing outside its
    cells keeps a single hidden cell: the smallest shown one joins it, or, where every other cell
    is empty, the parent, which is that cell's number. Partitions can also be combined (two rows'
    totals minus two columns' give a cell back, found in review): a hidden cell under the
    threshold that the shown cells still determine (`_determined`) takes one more cell with it,
    until none is. `repeats`: as for `assemble`."""
    def n(cell) -> int:
        m = data.get(cell)
        return m.n if m else 0

    # The index's or a journey's n counts answers: a relationship survey's response rating three
    # touchpoints counts three times (found in review: two customers read as n = 6; three customers'
    # six answers showed as the index's n). What the threshold reads is the fewest respondents they
    # can come from (fewest_respondents).
    touchpoints_of = {parent: children for parent, children in parts
                      if parent[1] in POOLING and children and all(c[1] == "touchpoint" for c in children)}

    def people(cell) -> int:
        most = _most(cell, repeats)
        return n(cell) if most == 1 else fewest_respondents(n(cell), most, map(n, touchpoints_of.get(cell, ())))

    k = rules.privacy_min_n
    hidden = {cell for cell in data if 0 < people(cell) < k}
    while True:
        _complement(parts, hidden, n, rules, repeats, people)
        across = _across_segments(parts, hidden, n, people, k, repeats)
        if across:
            hidden |= across
            continue
        exposed = _determined(parts, hidden, n, lambda c: 0 < people(c) < k)
        if not exposed:
            return hidden
        cell = min(exposed, key=repr)  # (cells hold None: ordered by their text, deterministically)
        beside = _nearest_shown(parts, hidden, n, cell)
        if beside is None:
            return hidden
        hidden.add(beside)


# The levels whose cells pool answers of several touchpoints, which one response may all give.
POOLING = ("all", "journey")


def _pooled(parent, children, repeats=None) -> bool:
    """A partition of the index or a journey into touchpoints (or journeys), whose answers may
    come from the same respondents: its hidden rest holds at least its largest hidden part's
    respondents, not their sum (found by an audit: three customers' six answers at two hidden
    touchpoints came back as the journey minus the third). Not where no response answers the
    measure twice (a transactional CSAT): each answer is another customer's, and a journey of 58
    of them was flagged as unreliable for its largest touchpoint's 20."""
    return (parent[1] in POOLING and bool(children) and children[0][1] in ("touchpoint", "journey")
            and repeated(parent[4], repeats))


def repeated(cell: str, repeats) -> bool:
    """Whether a response may answer the measure of `cell` ('csat', or 'csat@source') more than once."""
    return repeats is None or cell.split("@", 1)[0] in repeats


def most_answers(level: str, cell: str, repeats) -> int | None:
    """How many of the answers a cell of `level` counts one response can give at most: one at a
    touchpoint or team, and wherever no response gives the measure twice; at the index or a
    journey, as many as a response gives (`Catalog.repeats`), None where that is not known."""
    if level not in POOLING or not repeated(cell, repeats):
        return 1
    return repeats.get(cell.split("@", 1)[0]) if isinstance(repeats, Mapping) else None


def in_answers(rules: stats.Suppression, most: int | None) -> stats.Suppression:
    """The thresholds in answers that keep `rules` in respondents where one gives at most `most`
    answers (None: as many as may be): fewer than (t - 1) x most + 1 answers may be fewer than t
    respondents. For a count with no touchpoints beside it to bound it (a trend's buckets)."""
    if most == 1:
        return rules
    if most is None:
        return stats.Suppression(10 ** 18, 10 ** 18)
    return stats.Suppression(*((t - 1) * most + 1 if t > 0 else 0 for t in (rules.privacy_min_n, rules.reliability_min_n)))


def _most(cell: tuple, repeats) -> int | None:
    """most_answers of a cell (period, level, key, segment, measure)."""
    return most_answers(cell[1], cell[4], repeats) if len(cell) == 5 and cell[1] in POOLING else 1


def _across_segments(parts, hidden: set, n, people, k: int, repeats=None) -> set:
    """Parent cells of a split to hide so that no partition's unknown part, taken over the
    segments, gives a small group back. A node's partition (a touchpoint into its teams and the
    answers of none, the index into its touchpoints and the answers of none) is shown whole and
    per segment. For segments T whose parent is shown, the rows shown whole and in each of T (R:
    the others, with the answers in no child) are known in the whole and in each of T: the whole's
    minus T's is R's answers in the other segments, which must be nobody or at least `k`
    respondents (found by an audit: a store's 46 answers with its team's 40, beside North's 25
    with the team's 20, gave back the one answer of no team in the South and East, each protected
    on its own). Read for T all such segments, each alone and all but one; where one gives a small
    group back, the smallest parent of its T goes and the caller's rules run again."""
    families: dict = {}
    for parent, children in parts:
        if len(parent) == 5 and children and all(len(c) == 5 and c[3] == parent[3] for c in children):
            key = (parent[0], parent[1], parent[2], parent[4], tuple((c[1], c[2]) for c in children))
            families.setdefault(key, {})[parent[3]] = (parent, children)
    out = set()
    for family in families.values():
        if None not in family or len(family) < 2:
            continue
        top, kids = family[None]
        if top in hidden or not n(top):
            continue
        members = [m for seg, m in family.items() if seg is not None]
        most = _most(top, repeats)

        def unseen(children) -> set[int]:
            return {i for i, c in enumerate(children) if c in hidden and n(c) > 0}

        def unknown(parent, children, rows) -> tuple[int, int]:
            """Answers of `rows` and of no child under `parent`, and the fewest respondents they can be."""
            rest = n(parent) - sum(n(c) for c in children)
            answers = sum(n(children[i]) for i in rows) + rest
            if answers <= 0:
                return 0, 0
            if _pooled(parent, children, repeats):
                return answers, max(max((people(children[i]) for i in rows), default=0), fewest_respondents(answers, most))
            return answers, sum(people(children[i]) for i in rows) + fewest_respondents(rest, most)

        shown = [j for j, (parent, _) in enumerate(members) if parent not in hidden and n(parent) > 0]
        if not shown:
            continue
        choices = {tuple(shown)} | {(j,) for j in shown} | {tuple(x for x in shown if x != j) for j in shown}
        for known in sorted((c for c in choices if c), key=lambda c: (-len(c), c)):
            rows = unseen(kids).union(*(unseen(members[j][1]) for j in known))
            whole, _ = unknown(top, kids, rows)
            answers, fewest, found = 0, 0, 0
            for j, (parent, children) in enumerate(members):
                a, least = unknown(parent, children, rows)
                found += a
                if j not in known:
                    answers, fewest = answers + a, fewest + least
            elsewhere = max(whole - found, 0)  # answers in no segment of the split
            if answers + elsewhere > 0 and fewest + fewest_respondents(elsewhere, most) < k:
                out.add(min((members[j][0] for j in known), key=lambda c: (n(c), repr(c))))
                break
    return out


def _nearest_shown(parts, hidden: set, n, cell):
    """The smallest shown cell with answers in the partitions of `cell`; where those are hidden
    whole, in the partitions their hidden cells lead on to (the equations that pin `cell`)."""
    reached, frontier, seen = {cell}, {cell}, set()
    while frontier:
        layer = [i for i, (p, ch) in enumerate(parts) if i not in seen and any(c in frontier for c in (p, *ch))]
        seen.update(layer)
        cells = [c for i in layer for c in (parts[i][0], *parts[i][1])]
        shown = [c for c in cells if c not in hidden and n(c) > 0]
        if shown:
            return min(shown, key=lambda c: (n(c), repr(c)))
        frontier = {c for c in cells if c in hidden} - reached
        reached |= frontier
    return None


def _complement(parts, hidden: set, n, rules, repeats=None, people=None) -> None:
    """Each partition's own rule (stats.suppress_partition) and the single-hidden-cell rule, over
    all partitions until nothing changes; adds to `hidden`. `people(cell)`: the fewest
    respondents a cell's answers come from (n, but for the pooled answers of the index or a
    journey see suppressed_cells)."""
    people = people or n
    changed = True
    while changed:
        changed = False
        for parent, children in parts:
            kids = {c: n(c) for c in children}
            if not any(kids.values()):
                continue
            most = _most(parent, repeats)
            rest = n(parent) - sum(kids.values())  # answers in no child, as few respondents as they can be
            if _pooled(parent, children, repeats):
                # The touchpoints (or journeys) may share respondents: what the hidden ones and the
                # rest add up to is bounded in respondents, not summed (see stats.suppress_partition).
                add = stats.suppress_partition(
                    n(parent), {c: people(c) for c in children}, rules,
                    shown=[c for c in children if c not in hidden], parent_hidden=parent in hidden,
                    overlapping=True, answers=kids, most=most,
                )
            else:
                # The segments of the index hold other respondents each, but each of them counts a
                # respondent once per touchpoint rated: what their hidden ones add up to must reach the
                # threshold in respondents (found by an audit: two segments of 3 customers' 6 answers,
                # hidden, came back as the journey minus the one shown).
                units = {c: people(c) for c in children}
                add = stats.suppress_partition(
                    fewest_respondents(rest, most) + sum(units.values()), units, rules,
                    shown=[c for c in children if c not in hidden], parent_hidden=parent in hidden,
                )
            hid = {c for c in children if kids[c] > 0 and (c in hidden or c in add)}
            if len(hid) == 1 and parent not in hidden and n(parent) == sum(kids.values()):
                shown = [(kids[c], c) for c in children if kids[c] > 0 and c not in hid]
                if shown:
                    add = set(add) | {min(shown)[1]}
                else:  # the one cell with answers is its parent's number: the parent goes too
                    hidden.add(parent)
                    changed = True
            new = {c for c in add if kids[c] > 0} - hidden
            if new:
                hidden |= new
                changed = True


def _determined(parts, hidden: set, n, small) -> set:
    """Hidden cells under the threshold (`small(cell)`) whose n the shown cells determine, however many
    partitions' sums a viewer combines. Each partition with nothing outside its cells says
    parent = sum of children: with the shown cells moved to the known side, an equation over the
    hidden ones. A hidden cell is determined when every solution gives it the same n: its
    coordinate is zero in every vector of the equations' null space. Partitions that share no
    cell, even through others (another period or measure), are solved apart."""
    if not any(small(c) for c in hidden):
        return set()  # (most views: nothing under the threshold, nothing to solve on the page's path)
    import numpy as np

    owner: dict = {}  # union-find over partitions, joined by the cells they share

    def root(i: int) -> int:
        while owner.get(i, i) != i:
            i = owner[i]
        return i

    first: dict = {}
    for i, (parent, children) in enumerate(parts):
        for c in (parent, *children):
            j = first.setdefault(c, i)
            if root(j) != root(i):
                owner[root(i)] = root(j)
    groups: dict[int, list] = {}
    for i, part in enumerate(parts):
        groups.setdefault(root(i), []).append(part)
    out = set()
    for group in groups.values():
        unknown = list(dict.fromkeys(c for p, ch in group for c in (p, *ch) if c in hidden and n(c) > 0))
        if not any(small(c) for c in unknown):
            continue
        index = {c: i for i, c in enumerate(unknown)}
        rows = []
        for parent, children in group:
            if n(parent) != sum(n(c) for c in children):
                continue  # answers in no child: an unknown of its own, which the equation cannot pin
            row = np.zeros(len(unknown))
            for c, sign in ((parent, -1.0), *((c, 1.0) for c in children)):
                if c in index:
                    row[index[c]] += sign
            if row.any():
                rows.append(row)
        if not rows:
            continue
        _, sv, vt = np.linalg.svd(np.array(rows))
        rank = int((sv > 1e-9 * max(len(rows), len(unknown)) * (sv[0] if sv.size else 0)).sum())
        free = vt[rank:]
        for c, i in index.items():
            if small(c) and (free.shape[0] == 0 or float(np.abs(free[:, i]).max()) < 1e-9):
                out.add(c)
    return out
