"""Closing the loop: the cases that unhappy answers open, their status, and how well teams close them.

A response opens a case when one of its answers falls in a rule of the model's `loop:` (by
default an NPS detractor, or a CSAT of 1-2 given to a team). The case goes to the team its
answer counts under on the pyramid, else to the touchpoint, else to nobody (a relationship
survey's NPS names neither: the CX team routes those by hand).

Cases are not stored until someone acts on one: a flagged response without a row in `cases` is
new. So every upload opens its cases at once, a removed upload takes its open cases with it, and
a programme of millions of responses stores only the cases people touched. A case is known by
its response's (source, response id), not by the storage's response key: a re-upload that edits
the response keeps its case, and an upload removed and loaded again finds its cases' history.

The queue identifies customers: it is a list to act on, not a statistic, so the minimum-n rules
of the tiles do not hide it. The figures of how cases are handled (the closure rate, the share
contacted in time, the time to first contact) are statistics and obey them as a tile does: an
owner's are hidden below the privacy threshold of cases, or with a smaller owner beside it
(`closure` decides over every owner of the period at once), and flagged below the reliability
threshold. Beside hidden figures only the counts of the cases still to work (open, new,
contacted, overdue) are shown, never the total or the resolved, whose difference is the rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from . import stats
from .model import Model
from .period import Period, day_label
from .queries import Catalog, Where, _in, catalog, segment_filter, ts
from .view import QUEUES, ViewState

STATUSES = ("new", "contacted", "resolved")
STATUS_NAMES = {"new": "New", "contacted": "Contacted", "resolved": "Resolved"}
QUEUE_NAMES = {"open": "Open", "new": "New", "overdue": "Overdue", "contacted": "Contacted", "resolved": "Resolved",
               "all": "All"}
UNROUTED = "unrouted"  # the owner of a case no team or touchpoint owns
MAX_NOTE = 2000
MAX_NAME = 100
MAX_PICK = 5000  # cases one update may change


class LoopError(ValueError):
    """An update that cannot be applied; nothing was written. The message is for the user."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- which responses are cases, and whose ------------------------------------------------------

def _rules_sql(model: Model, cat: Catalog) -> tuple[str, list, list[int]]:
    """SQL ranking an answer `a` by the first loop rule it meets (NULL: none), and the measure codes."""
    parts, params, codes = [], [], []
    for i, rule in enumerate(model.loop.rules):
        code = cat.measures.get(rule.measure)
        if code is None:
            continue
        parts.append("WHEN a.measure = ? AND a.value BETWEEN ? AND ? THEN ?")
        params += [code, rule.low, rule.high, i]
        codes.append(code)
    return (f"CASE {' '.join(parts)} END" if parts else "NULL"), params, codes


def _owner_sql(model: Model, cat: Catalog) -> tuple[str, list]:
    """SQL for the owner of an answer's (tp, team) label codes, 'team:<key>', 'touchpoint:<key>'
    or NULL: the node it counts under on the pyramid (the rules of Catalog.home), else nobody.
    Evaluated on the distinct pairs only: on every case, its two dozen branches cost a 10M-response
    quarter 0.1 s."""
    parts, params = [], []
    unknown = list(cat.unmapped.get("touchpoint", {}))
    for team in model.teams:
        codes = cat.codes("team", team.key)
        if not codes:
            continue
        tps = cat.codes("touchpoint", team.touchpoint)
        parts.append(f"WHEN {_in('team', codes)} AND (tp IS NULL OR {_in('tp', tps)} OR {_in('tp', unknown)}) THEN ?")
        params += [*codes, *tps, *unknown, f"team:{team.key}"]
    for tp in model.touchpoints:
        tps = cat.codes("touchpoint", tp.key)
        homed = [c for c, home in cat.team_home.items() if home == tp.key]
        parts.append(f"WHEN {_in('tp', tps)} OR ((tp IS NULL OR {_in('tp', unknown)}) AND {_in('team', homed)}) THEN ?")
        params += [*tps, *unknown, *homed, f"touchpoint:{tp.key}"]
    return (f"CASE {' '.join(parts)} END" if parts else "NULL::VARCHAR"), params


def rule_text(model: Model, rule) -> str:
    """'Likelihood to recommend 0-6': a rule in the words of the page."""
    m = model.measures[rule.measure]
    if tuple(m.scale) == (0.0, 1.0):
        return f"{m.name}: {'Yes' if rule.low >= m.top_box else 'No'}"
    if rule.low == rule.high:
        return f"{m.name} {rule.low:g}"
    return f"{m.name} {rule.low:g}–{rule.high:g}"


def duration_text(hours: float) -> str:
    """'45 min', '33 h', '4.2 days'."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.1f} days"


def owner_name(model: Model, owner: str | None) -> str:
    if not owner:
        return "Not routed"
    level, _, key = owner.partition(":")
    node = model.team(key) if level == "team" else model.touchpoint(key)
    return node.name if node else key


def _scope(model: Model, view: ViewState, unrouted: bool) -> tuple[str, list]:
    """The owners a view's queue covers: a team's, a touchpoint's and its teams', the unrouted."""
    if unrouted:
        return "owner IS NULL", []
    if view.team:
        return "owner = ?", [f"team:{view.team}"]
    if view.tp:
        owners = [f"touchpoint:{view.tp}", *(f"team:{t.key}" for t in model.teams_of(view.tp))]
        return _in("owner", owners), owners
    return "TRUE", []


# A case's status as it stood at a time (the parameter, twice): its row's where nothing changed
# it since, else its last change of status by then, from its history (none: it was new). A note or a
# routing alone leaves the status as it was, and its event holds none. Two changes in the same
# microsecond (a script's) have no order in the history: the further status counts.
_CASES_THEN = """
    SELECT c.response_key, c.team, c.note, c.contacted_at, c.resolved_at, c.updated_at, c.updated_by,
           CASE WHEN c.updated_at <= ? THEN c.status ELSE e.status END AS status
    FROM cases c LEFT JOIN (
        SELECT source_id, source_response_id,
               arg_max(status, (changed_at, status = 'resolved', status = 'contacted')) AS status
        FROM case_events WHERE status IS NOT NULL AND changed_at <= ?
        GROUP BY source_id, source_response_id
    ) e ON e.source_id = c.source_id AND e.source_response_id = c.source_response_id"""


def _cases_sql(model: Model, cat: Catalog, view: ViewState, period: Period, unrouted: bool = False,
               columns: str = "", only: str = "", as_of: datetime | None = None) -> tuple[str, list]:
    """A query of the view's cases: one row per flagged response of the period, its segments
    filtered, with the answer that flagged it (f.measure, f.value), its owner and its case row (c).
    `only`: SQL narrowing the answers read further (a fixed text, no values). `as_of`: the cases
    as they stood then: those opened by then, each with the status it had (its owner, note and
    times are today's)."""
    rank, rank_params, codes = _rules_sql(model, cat)
    owner, owner_params = _owner_sql(model, cat)
    teams = [t.key for t in model.teams]
    # Answers carry their response's segments: the filters apply to them, and no response is read.
    segs = segment_filter(Where(), view, cat, alias="a")
    scope, scope_params = _scope(model, view, unrouted)
    # One answer per response flags it: that of the first rule it meets, its lowest value, then
    # the first touchpoint and team (a relationship survey can rate several touchpoints badly).
    # Its time is the case's (a long file may time each answer), in the figures and the list alike.
    # A case routed by hand to a team the model has goes to that team.
    sql = f"""
        WITH hit AS (
            SELECT a.response_key, a.responded_at, {rank} AS rank, a.measure, a.value, a.touchpoint, a.team
            FROM answers a
            WHERE a.responded_at >= ? AND a.responded_at < ? AND {_in('a.measure', codes)} AND {segs.sql()}
              {f"AND {only}" if only else ""}
        ), f AS (
            SELECT response_key, arg_min(responded_at, (rank, value, touchpoint, team)) AS responded_at,
                   arg_min(measure, (rank, value, touchpoint, team)) AS measure,
                   min_by(value, (rank, value, touchpoint, team)) AS value,
                   arg_min(touchpoint, (rank, value, touchpoint, team)) AS tp,
                   arg_min(team, (rank, value, touchpoint, team)) AS team
            FROM hit WHERE rank IS NOT NULL GROUP BY response_key
        ), owners AS (
            SELECT tp, team, {owner} AS owner FROM (SELECT DISTINCT tp, team FROM f)
        ), cases_of_view AS (
            SELECT f.response_key, f.responded_at, f.measure, f.value, c.team AS routed_to, c.note, c.contacted_at,
                   c.resolved_at, c.updated_at, c.updated_by, coalesce(c.status, 'new') AS status,
                   CASE WHEN {_in('c.team', teams)} THEN 'team:' || c.team ELSE o.owner END AS owner{columns}
            FROM f JOIN owners o ON o.tp IS NOT DISTINCT FROM f.tp AND o.team IS NOT DISTINCT FROM f.team
            LEFT JOIN {"cases" if as_of is None else f"({_CASES_THEN})"} c ON c.response_key = f.response_key
        )
        SELECT * FROM cases_of_view WHERE {scope}{"" if as_of is None else " AND responded_at <= ?"}"""
    then = [] if as_of is None else [as_of, as_of]
    params = [*rank_params, ts(period.start), ts(period.end), *codes, *segs.params, *owner_params, *teams, *then,
              *scope_params, *([] if as_of is None else [as_of])]
    return sql, params


def _queue_filter(queue: str, now: datetime, days: float) -> tuple[str, list]:
    due = now - timedelta(days=days)
    return {
        "open": ("status <> 'resolved'", []),
        "new": ("status = 'new'", []),
        "overdue": ("status = 'new' AND responded_at < ?", [due]),
        "contacted": ("status = 'contacted'", []),
        "resolved": ("status = 'resolved'", []),
        "all": ("TRUE", []),
    }[queue]


# -- figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Closure:
    """How one owner (or all, owner None) handles its cases in a period."""

    owner: str | None  # 'team:<key>', 'touchpoint:<key>', None for the unrouted, '*' for all the view's cases
    name: str
    cases: int
    new: int
    contacted: int
    resolved: int
    overdue: int  # new and older than the model's respond_within_days
    in_time: int  # first contact within respond_within_days of the response
    due: int  # cases whose time to be contacted has passed, or that were contacted: those in_time is a share of
    # (a case set back to new keeps the time of its first contact in its history, but counts as not contacted)
    hours_to_contact: float | None  # median, over the contacted cases
    rate: stats.Estimate  # resolved / cases, Wilson interval, percent
    status: str  # 'ok' | 'low_n' (rate from few cases) | 'hidden' (see closure) | 'no_data'
    target_status: str | None  # None while hidden

    @property
    def open(self) -> int:
        return self.new + self.contacted

    @property
    def shown(self) -> bool:
        """Whether its figures may be shown: the rate, the share in time, the time to contact, the
        total and the resolved count (the open ones always may: see the module's docstring)."""
        return self.status in ("ok", "low_n")

    def count(self, which: str) -> int:
        """How many cases the list `which` (one of QUEUES) holds."""
        return {"open": self.open, "new": self.new, "overdue": self.overdue, "contacted": self.contacted,
                "resolved": self.resolved, "all": self.cases}[which]

    def shown_count(self, which: str) -> int | None:
        """count(which) where it may be said beside the figures: not the resolved or all cases of
        a hidden owner (None), whose difference from the open ones is its hidden rate."""
        return None if self.status == "hidden" and which in ("resolved", "all") else self.count(which)


def closure(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, now: datetime | None = None,
            unrouted: bool = False, as_of: datetime | None = None) -> tuple[Closure, list[Closure]]:
    """The view's cases in all, and per owner (teams in model order, touchpoints, the unrouted).
    `as_of`: the figures as they stood at that time (`now` then): the cases opened by then, each
    with the status it had then (see comparison_as_of). Each figure's status follows the tiles'
    minimum-n rules over every owner of the period and filters, whichever the view narrows to
    (hidden_cells)."""
    counted = _count(cur, model, cat, view, period, now=now, unrouted=unrouted, as_of=as_of)
    everyone = _closure(model, "*", *counted.scoped, hidden=_scope_cell(view, unrouted) in counted.hidden)
    order = [f"team:{t.key}" for t in model.teams] + [f"touchpoint:{t.key}" for t in model.touchpoints] + [None]
    inside = {o for o in order if o in counted.owners and _in_scope(model, view, unrouted, o)}
    return everyone, [_closure(model, o, *counted.owners[o], hidden=_owner_cell(o) in counted.hidden)
                      for o in order if o in inside]


def node_closures(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, now: datetime | None = None,
                  as_of: datetime | None = None) -> dict[str, Closure]:
    """The cases of the index ('*'), of every touchpoint with its teams ('touchpoint:<key>') and of
    every team ('team:<key>'): what `closure` of the view drilled to that node gives as its first,
    hidden alike, from one count instead of one per node (each count reads the whole period: one
    per team, a view of 19 teams took 8 seconds at 1M responses)."""
    counted = _count(cur, model, cat, view, period, now=now, as_of=as_of, touchpoints=True)
    out = {"*": _closure(model, "*", *counted.total, hidden=_ALL in counted.hidden)}
    for tp in model.touchpoints:
        out[f"touchpoint:{tp.key}"] = _closure(model, "*", *counted.touchpoints.get(tp.key, _NONE),
                                               hidden=_touchpoint_cell(tp.key) in counted.hidden)
    for team in model.teams:
        owner = f"team:{team.key}"
        out[owner] = _closure(model, "*", *counted.owners.get(owner, _NONE), hidden=_owner_cell(owner) in counted.hidden)
    return out


_NONE = (0, 0, 0, 0, 0, 0, 0, None)  # the figures of no case


@dataclass(frozen=True)
class _Counted:
    """The figures (Closure's, from `cases` on) of a period's cases: in all, of a view's owners, of
    each owner, of each touchpoint with its teams (by touchpoint key, where asked for), and the
    cells hidden_cells hides."""

    total: tuple
    scoped: tuple
    owners: dict
    touchpoints: dict
    hidden: set


def _count(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, now: datetime | None,
           unrouted: bool = False, as_of: datetime | None = None, touchpoints: bool = False) -> _Counted:
    now = as_of or now or utc_now()
    days = model.loop.respond_within_days
    # Every owner's cases are counted, whatever owner the view narrows to (the scan is the same:
    # the owner is known only at its end): what is hidden is decided over all of them, so that a
    # team's own view, its touchpoint's and everyone's hide the same (each alone, a hidden team
    # came back as its touchpoint's total less the teams another view showed).
    sql, params = _cases_sql(model, cat, replace(view, tp=None, team=None, unrouted=False), period, as_of=as_of)
    scope, scope_params = _scope(model, view, unrouted)
    # A touchpoint's cases are those its own view counts (_scope of it): its own and its teams'.
    whens, tp_params = [], []
    for tp in model.touchpoints if touchpoints else ():
        cond, owners = _scope(model, replace(view, tp=tp.key, team=None), False)
        whens.append(f"WHEN {cond} THEN ?")
        tp_params += [*owners, tp.key]
    tp_of = f"CASE {' '.join(whens)} END" if whens else "NULL::VARCHAR"
    rows = cur.execute(
        f"""SELECT grouping(owner), grouping(in_scope), {"grouping(tp_of)" if touchpoints else "1"}, owner, in_scope,
                   {"tp_of" if touchpoints else "NULL"}, count(*),
                   count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'contacted'),
                   count(*) FILTER (WHERE status = 'resolved'),
                   count(*) FILTER (WHERE status = 'new' AND responded_at < ?),
                   count(*) FILTER (WHERE status <> 'new' AND epoch(contacted_at) - epoch(responded_at) <= ?),
                   count(*) FILTER (WHERE status <> 'new' OR responded_at < ?),
                   median(epoch(contacted_at) - epoch(responded_at)) FILTER (WHERE status <> 'new') / 3600.0
            FROM (SELECT *, {scope} AS in_scope, {tp_of} AS tp_of FROM ({sql}))
            GROUP BY GROUPING SETS ((owner), (in_scope), {"(tp_of), " if touchpoints else ""}())""",
        [now - timedelta(days=days), days * 86400.0, now - timedelta(days=days), *scope_params, *tp_params,
         *params]).fetchall()
    owners, tps, total, scoped = {}, {}, _NONE, _NONE
    for by_owner, by_scope, by_tp, owner, in_scope, tp, *figures in rows:
        if not by_owner:
            owners[owner] = tuple(figures)
        elif not by_scope:
            scoped = tuple(figures) if in_scope else scoped
        elif not by_tp:
            if tp is not None:  # (not the unrouted cases')
                tps[tp] = tuple(figures)
        else:
            total = tuple(figures)
    hidden = hidden_cells(model, total[0], {owner: figures[0] for owner, figures in owners.items()})
    return _Counted(total, scoped, owners, tps, hidden)


def _in_scope(model: Model, view: ViewState, unrouted: bool, owner: str | None) -> bool:
    """Whether `owner`'s cases are of the view's owners (as _scope says in SQL)."""
    if unrouted:
        return owner is None
    if view.team:
        return owner == f"team:{view.team}"
    if view.tp:
        return owner == f"touchpoint:{view.tp}" or owner in {f"team:{t.key}" for t in model.teams_of(view.tp)}
    return True


# The cells of hidden_cells: every case of the period, an owner's, a touchpoint's with its teams'.
_ALL = ("cases", "*")


def _owner_cell(owner: str | None) -> tuple:
    return ("cases", owner or UNROUTED)


def _touchpoint_cell(tp: str) -> tuple:
    return ("cases", f"touchpoint:{tp}", "*")


def _scope_cell(view: ViewState, unrouted: bool) -> tuple:
    """The cell of the cases a view shows (as _scope narrows them)."""
    if unrouted:
        return _owner_cell(None)
    if view.team:
        return _owner_cell(f"team:{view.team}")
    return _touchpoint_cell(view.tp) if view.tp else _ALL


def hidden_cells(model: Model, total: int, owners: dict[str | None, int]) -> set[tuple]:
    """The cells of cases whose figures no view may show: fewer cases than the privacy threshold,
    or hidden with one so that no subtraction gives it back. `total`: the period's cases (with
    the view's filters), `owners`: each owner's (None: the unrouted). The Close the loop page
    shows the cases of every owner, of a touchpoint with its teams and of each owner, each with
    the owners it covers beside it; the team view the same totals: these are the pyramid's
    partitions of a parent into its children, which pyramid.suppressed_cells protects as it does
    the tiles' (primary suppression, then complementary over all the partitions at once)."""
    from .pyramid import rules_of, suppressed_cells

    ns = {_owner_cell(owner): n for owner, n in owners.items()}
    for tp in model.touchpoints:
        mine = [_owner_cell(f"touchpoint:{tp.key}"), *(_owner_cell(f"team:{t.key}") for t in model.teams_of(tp.key))]
        ns[_touchpoint_cell(tp.key)] = sum(ns.get(c, 0) for c in mine)
    ns[_ALL] = total
    each = [_owner_cell(f"team:{t.key}") for t in model.teams] + [_owner_cell(f"touchpoint:{t.key}")
                                                                 for t in model.touchpoints]
    # A touchpoint's own partition first: a small team is hidden with a sibling team where one will
    # do, as on the pyramid (first among every owner, it took the unrouted cases with it, and
    # then a whole touchpoint beside them).
    parts = [*((_touchpoint_cell(tp.key), [_owner_cell(f"touchpoint:{tp.key}"),
                                           *(_owner_cell(f"team:{t.key}") for t in model.teams_of(tp.key))])
               for tp in model.touchpoints),
             (_ALL, [*(_touchpoint_cell(t.key) for t in model.touchpoints), _owner_cell(None)]),
             (_ALL, [*each, _owner_cell(None)])]
    return suppressed_cells({cell: stats.Moments(n=int(n)) for cell, n in ns.items() if n}, parts, rules_of(model))


def _closure(model: Model, owner, cases, new, contacted, resolved, overdue, in_time, due, seconds, *,
             hidden: bool = False) -> Closure:
    """`hidden`: hidden with a smaller owner beside it (hidden_cells); fewer cases than the
    privacy threshold are hidden in any case."""
    from .pyramid import rules_of, target_status

    rate = stats.proportion(stats.Moments(n=cases, hi=resolved), "yes_rate")
    status = "no_data" if not cases else "hidden" if hidden else stats.cell_status(int(cases), rules_of(model))
    return Closure(owner, "All cases" if owner == "*" else owner_name(model, owner), int(cases), int(new), int(contacted),
                   int(resolved), int(overdue), int(in_time), int(due), None if seconds is None else float(seconds),
                   rate, status, target_status(rate, _kpi(model), model) if status in ("ok", "low_n") else None)


def comparison_as_of(current: Period, previous: Period, now: datetime) -> datetime:
    """When the comparison period stood where the current period stands `now`: as long after its
    end (or before it, while the current period runs) as `now` is after the current period's end.
    A case takes days or weeks to resolve: counted as they stand today, the cases of a period a
    quarter or a year back have had that much longer than this period's, and the change would
    favour the past. The end, not the start, lines the two up: what a case has had is the time
    since it was opened, and the current period's last cases are the youngest."""
    return now - (ts(current.end) - ts(previous.end))


def comparison_words(current: Period, previous: Period, now: datetime) -> str:
    """What the closure rate's change compares, as its tile says it: 'vs 2026-Q2 as of 25 Aug 2026
    (same age)'. Read at a glance under the tile (a sentence made the tile twice as tall as its
    row): COMPARED_HELP, its tooltip, and the README say why."""
    as_of = comparison_as_of(current, previous, now)
    return f"vs {previous.label()} as of {day_label(as_of.date())} (same age)"


COMPARED_HELP = ("The change is against the comparison period as it stood when it was as old as this period is "
                 "now (as long after its end as today is after this period's end; while this period runs, as far "
                 "into it), each case with the status it had then: counted as they stand today, its cases would "
                 "have had longer to be resolved.")


CLOSED_LOOP = "closed_loop"  # the key of the closure rate as a KPI


def _kpi(model: Model):
    """The closure rate as a KPI of the model: resolved cases, a share, against the loop's target."""
    from .model import KPI

    return KPI(CLOSED_LOOP, "Closed loop", "yes_rate", "", model.loop.target)


def closure_kpi(model: Model, current: Closure, previous: Closure | None, compared: str | None = None):
    """The closure rate as a team KPI (a pyramid.KpiResult): resolved cases of all cases, its
    Wilson interval, the change against the comparison period with its test, the target. Below
    the privacy threshold of cases it is hidden, as a tile of so few answers would be, and where
    `closure` hid it with a smaller owner beside it (its status).
    `previous`: the comparison period's figures as they stood at the same age (closure with
    as_of=comparison_as_of(...)), and `compared` the words saying so (comparison_words)."""
    from .pyramid import KpiResult, target_status

    kpi = _kpi(model)
    now_status, then_status = current.status, previous.status if previous is not None else None
    change = None
    if previous is not None and now_status in ("ok", "low_n") and then_status in ("ok", "low_n"):
        change = stats.change("yes_rate", stats.Moments(n=current.cases, hi=current.resolved),
                              stats.Moments(n=previous.cases, hi=previous.resolved),
                              estimates=(current.rate, previous.rate))
    shown = now_status in ("ok", "low_n")
    return KpiResult(kpi, current.rate, previous.rate if previous is not None else None, change, now_status,
                     then_status, target_status(current.rate, kpi, model) if shown else None,
                     compared if previous is not None else None)


def queue(cur, model: Model, cat: Catalog, view: ViewState, period: Period, *, which: str = "open",
          now: datetime | None = None, unrouted: bool = False, limit: int = 500) -> pd.DataFrame:
    """The cases to act on (at most `limit`): the oldest first while open (the longest wait at
    the top), the newest first otherwise. How many there are in all, `Closure.count` says (a
    count in the same query cost a 10M-response quarter a third of its time)."""
    if which not in QUEUES:
        raise ValueError(f"unknown queue {which!r}")
    now = now or utc_now()
    sql, params = _cases_sql(model, cat, view, period, unrouted)
    cond, cond_params = _queue_filter(which, now, model.loop.respond_within_days)
    order = "ASC" if which in ("open", "new", "overdue", "contacted") else "DESC"
    codes = {code: key for key, code in cat.measures.items()}
    # The page's cases first, then their customers and comments: carried through the sort, every
    # comment of the period cost a 10M-response quarter a third more.
    listed = cur.execute(
        f"""SELECT response_key, responded_at::TIMESTAMP AS responded_at, measure, value, owner, status, note,
                   contacted_at::TIMESTAMP AS contacted_at, resolved_at::TIMESTAMP AS resolved_at,
                   updated_at::TIMESTAMP AS updated_at, updated_by
            FROM ({sql}) q WHERE {cond}
            ORDER BY responded_at {order}, response_key LIMIT ?""", [*params, *cond_params, limit]).df()
    keys = [int(k) for k in listed["response_key"]]
    # Keys grow with the order responses were stored in: their range lets the scan skip the rest.
    about = cur.execute(
        f"""SELECT r.response_key, r.source_id, (SELECT name FROM sources s WHERE s.source_id = r.source_id) AS source,
                   r.source_response_id, r.customer_id, r.comment
            FROM responses r WHERE r.response_key BETWEEN ? AND ? AND r.response_key IN (SELECT unnest(?::BIGINT[]))""",
        [min(keys, default=0), max(keys, default=-1), keys]).df()
    frame = listed.merge(about, on="response_key", how="inner")
    frame = frame[["source_id", "source", "source_response_id", "responded_at", "measure", "value", "owner", "status",
                   "customer_id", "comment", "note", "contacted_at", "resolved_at", "updated_at", "updated_by"]]
    frame["measure"] = frame["measure"].map(codes)
    frame["owner"] = pd.Series([o if isinstance(o, str) else None for o in frame["owner"]], index=frame.index, dtype=object)
    due = now - timedelta(days=model.loop.respond_within_days)
    frame["overdue"] = (frame["status"] == "new") & (frame["responded_at"] < due)
    frame["age_days"] = (now - frame["responded_at"]).dt.total_seconds() / 86400.0
    return frame


def history(cur, refs: list[tuple[int, str]]) -> pd.DataFrame:
    """Every change of these cases, oldest first."""
    ids, rids = [r[0] for r in refs], [str(r[1]) for r in refs]
    return cur.execute(
        """SELECT e.source_id, e.source_response_id, e.changed_at::TIMESTAMP AS changed_at, e.changed_by, e.status,
                  e.team, e.note
           FROM case_events e JOIN (SELECT unnest(?::INTEGER[]) AS source_id, unnest(?::VARCHAR[]) AS source_response_id) p
             ON p.source_id = e.source_id AND p.source_response_id = e.source_response_id
           ORDER BY e.changed_at, e.source_id, e.source_response_id""", [ids, rids]).df()


# -- changes ---------------------------------------------------------------------------------

KEEP = object()  # `team` argument of update: leave each case's routing as it is


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes of another encoding passed on the command line
        return False
    return True


ALL_TIME = Period(date(1900, 1, 1), date(2200, 1, 1))


def _changed_us(t) -> int | None:
    """A case's `updated_at` as whole microseconds since the epoch (None: never changed)."""
    if t is None or pd.isna(t):
        return None
    t = pd.Timestamp(t)
    return (t.tz_localize("UTC") if t.tzinfo is None else t).value // 1000


def _check_unchanged(cur, last_changed: dict) -> None:
    """Refuse (LoopError) when a picked case was changed after the time the person saw."""
    stored = {(s, r): us for s, r, us in cur.execute(
        "SELECT p.source_id, p.source_response_id, epoch_us(c.updated_at) FROM picked p LEFT JOIN cases c "
        "ON c.source_id = p.source_id AND c.source_response_id = p.source_response_id").fetchall()}
    changed = sum(1 for ref, seen in last_changed.items() if stored.get((int(ref[0]), str(ref[1]))) != _changed_us(seen))
    if changed:
        raise LoopError(f"{changed:,} of these cases {'was' if changed == 1 else 'were'} changed by someone else "
                        "since you selected them: nothing was saved, so as not to undo that. Select them again.")


def _check_owners(cur, model: Model, teams: tuple[str, ...], view: ViewState, period: Period, picked: int) -> None:
    """Refuse (LoopError) unless every picked case is owned by one of `teams` now, as the list of
    `view` over `period` makes it (which answer opens a case, and so its owner, depends on them)."""
    cur.execute("CREATE OR REPLACE TEMP TABLE picked_keys AS SELECT r.response_key FROM picked p JOIN responses r "
                "ON r.source_id = p.source_id AND r.source_response_id = p.source_response_id")
    sql, params = _cases_sql(model, catalog(cur, model), replace(view, tp=None, team=None, unrouted=False), period,
                             only="a.response_key IN (SELECT response_key FROM temp.picked_keys)")
    owners = [f"team:{t}" for t in teams]
    owned = cur.execute(f"SELECT count(*) FROM ({sql}) WHERE {_in('owner', owners)}", [*params, *owners]).fetchall()[0][0]
    cur.execute("DROP TABLE temp.picked_keys")
    if owned != picked:
        others = picked - owned
        raise LoopError(f"{others:,} of these cases {'is' if others == 1 else 'are'} no longer your team's (routed "
                        "to another owner since the list was shown): nothing was changed. Reload the list.")


def update(db, model: Model, refs, *, status: str | None = None, team=KEEP, note: str | None = None,
           by: str | None = None, now: datetime | None = None, owned_by: tuple[str, ...] | None = None,
           view: ViewState | None = None, period: Period | None = None,
           last_changed: dict[tuple[int, str], datetime | None] | None = None) -> int:
    """Set the status, the team and/or a note of cases (refs: (source_id, response id) pairs), in
    one transaction, with an event per case for its history. `team` is a team key, or None to
    give the case back to the automatic routing. `owned_by` (a team member's teams): every case
    must be owned by one of these teams when the change is written, not just when it was listed
    (another person may have routed it elsewhere since), in the list of `view` over `period` (by
    default every answer ever given). `last_changed`: each case's `updated_at` as the person saw it
    (None: never changed): a case changed since by someone else is not overwritten unseen (the
    check is in the write's transaction). Returns the number of cases changed."""
    refs = list(dict.fromkeys((int(s), str(r)) for s, r in refs))
    if not refs:
        raise LoopError("Choose at least one case.")
    if len(refs) > MAX_PICK:
        raise LoopError(f"Change at most {MAX_PICK:,} cases at once.")
    if status is not None and status not in STATUSES:
        raise LoopError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
    if team is not KEEP and team is not None and model.team(team) is None:
        raise LoopError(f"Unknown team {team!r}.")
    note = None if note is None else note.strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise LoopError(f"The note is {len(note):,} characters long; keep it under {MAX_NOTE:,}.")
    by = (by or "").strip()[:MAX_NAME] or None
    if status is None and team is KEEP and note is None:
        raise LoopError("Nothing to change: choose a status, a team or write a note.")
    for text in (note, by, *(r for _, r in refs)):
        if text is not None and not _is_text(text):
            raise LoopError("A note, name or response id holds bytes that are not text: nothing was changed.")
    now = now or utc_now()
    ids, rids = [s for s, _ in refs], [r for _, r in refs]
    codes = dict(db.cursor().execute("SELECT label, code FROM labels WHERE dim = 'measure'").fetchall())
    rules = [(codes[r.measure], r.low, r.high) for r in model.loop.rules if r.measure in codes]
    rule = " OR ".join(["(a.measure = ? AND a.value BETWEEN ? AND ?)"] * len(rules)) or "FALSE"
    rule_params = [x for r in rules for x in r]
    with db.transaction() as cur:
        cur.execute("CREATE OR REPLACE TEMP TABLE picked AS SELECT unnest(?::INTEGER[]) AS source_id, "
                    "unnest(?::VARCHAR[]) AS source_response_id", [ids, rids])
        stored, cases = cur.execute(
            f"""SELECT count(r.response_key), count(r.response_key) FILTER (WHERE EXISTS (
                       SELECT 1 FROM answers a WHERE a.response_key = r.response_key AND ({rule})))
                FROM picked p LEFT JOIN responses r
                  ON r.source_id = p.source_id AND r.source_response_id = p.source_response_id""",
            rule_params).fetchall()[0]
        if stored != len(refs):
            raise LoopError(f"{len(refs) - stored:,} of these cases' responses are not stored (never uploaded, or "
                            "their upload was removed since): nothing was changed.")
        if cases != len(refs):
            raise LoopError(f"{len(refs) - cases:,} of these responses gave no answer that opens a case (the model's "
                            "loop rules): nothing was changed.")
        if owned_by is not None:
            _check_owners(cur, model, owned_by, view or ViewState(), period or ALL_TIME, len(refs))
        if last_changed is not None:
            _check_unchanged(cur, last_changed)
        new_status = "coalesce(?::VARCHAR, c.status, 'new')"
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE merged AS
                SELECT r.response_key, p.source_id, p.source_response_id, {new_status} AS status,
                       CASE WHEN ? THEN ?::VARCHAR ELSE c.team END AS team, coalesce(?::VARCHAR, c.note) AS note,
                       CASE WHEN {new_status} IN ('contacted', 'resolved') THEN coalesce(c.contacted_at, ?::TIMESTAMPTZ)
                            ELSE c.contacted_at END AS contacted_at,
                       CASE WHEN {new_status} <> 'resolved' THEN NULL
                            WHEN c.status = 'resolved' THEN c.resolved_at ELSE ?::TIMESTAMPTZ END AS resolved_at,
                       ?::TIMESTAMPTZ AS updated_at, ?::VARCHAR AS updated_by
                FROM picked p JOIN responses r ON r.source_id = p.source_id AND r.source_response_id = p.source_response_id
                LEFT JOIN cases c ON c.source_id = p.source_id AND c.source_response_id = p.source_response_id""",
            [status, team is not KEEP, None if team is KEEP else team, note, status, now, status, now, now, by])
        cur.execute("DELETE FROM cases c USING picked p WHERE c.source_id = p.source_id "
                    "AND c.source_response_id = p.source_response_id")
        cur.execute("INSERT INTO cases BY NAME SELECT * FROM merged")
        cur.execute("INSERT INTO case_events SELECT source_id, source_response_id, ?, ?, ?, ?, ? FROM picked",
                    [now, by, status, None if team is KEEP else (team or ""), note])
        cur.execute("DROP TABLE temp.picked")
        cur.execute("DROP TABLE temp.merged")
    return len(refs)
