"""The view state: everything that defines what a screen shows, as a small immutable value.

It round-trips through URL query parameters, so every view can be bookmarked and shared.
Hostile or unknown values are rejected here, once, with a message per problem; the pages
and the CLI never see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Mapping

from .model import Model, label_key
from .period import COMPARISONS, GRAINS, PRESETS, Period
from .search import meaningful

# Query parameter names that are not segment dimensions.
RESERVED = {"period", "from", "to", "compare", "split", "journey", "tp", "team", "grain", "q", "scores", "present", "kpi",
            "outcome", "cases", "unrouted", "theme"}
# The slides of presentation mode, in story order (see `story`).
PRESENT_STEPS = ("index", "journey", "touchpoint", "team", "comments")
# Comments by the score given with them: the bottom box (NPS detractors), between, the top box.
SCORE_BANDS = ("low", "middle", "high")
# The cases a Close the loop queue lists (cxdata.loop); open (new or contacted) by default.
QUEUES = ("open", "new", "overdue", "contacted", "resolved", "all")
# What a page reads beyond the view every page shares (period, comparison, filters, split, grain
# and drill path): its own controls, which mean something else on another page or nothing (a team's
# comment search on the Segments page). See `ViewState.opened_on`.
PAGE_CONTROLS = {"team": ("kpi", "search", "scores", "theme"), "segments": ("kpi",), "drivers": ("outcome",)}
# The controls chosen for one node (`drill` leaves them behind): another node's view has no use for them.
NODE_CONTROLS = ("kpi", "search", "scores", "theme")
_CONTROLS = ("kpi", "search", "scores", "theme", "outcome", "cases", "unrouted", "present")
# The URL's names of the fields whose names differ.
PARAM_OF = {"search": "q", "start": "from", "end": "to"}
MAX_VALUES = 50
MAX_VALUE_CHARS = 200
# Custom ranges stay well inside the calendar: the comparison period, a year or a range's length
# earlier, must still be a date (0001-01-01 to 9999-12-31 would overflow it).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class ViewError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))  # each problem is a sentence


@dataclass(frozen=True)
class ViewState:
    period: str = "latest_quarter"
    start: date | None = None  # custom range, inclusive
    end: date | None = None
    compare: str = "previous"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ((dim, (values...)), ...) sorted by dim
    split: str | None = None
    tp: str | None = None
    team: str | None = None
    journey: str | None = None  # the journey whose touchpoints the pyramid lists (with a touchpoint: none, its own)
    grain: str = "month"
    search: str = ""
    scores: str | None = None  # one of SCORE_BANDS: only comments with such a score
    theme: str | None = None  # a theme of the model (cxdata.themes): only comments about it
    kpi: str | None = None
    present: str | None = None  # one of PRESENT_STEPS: the slide of presentation mode shown
    outcome: str | None = None  # the measure whose key drivers are shown (default: the index's)
    cases: str | None = None  # one of QUEUES: the cases the Close the loop queue lists (default: open)
    unrouted: bool = False  # Close the loop: the cases no team or touchpoint owns
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)

    def pinned(self, shown: Period) -> ViewState:
        """The view with the dates it shows (`shown`, its current period) in place of a preset that
        follows the data: a link to 'latest quarter' showed another quarter once newer answers were
        uploaded (found by an audit). It compares as the preset did: a year to date with the same
        dates a year earlier, all time with nothing."""
        if self.period == "custom":
            return self
        compare = self.compare
        if self.period == "year_to_date" and compare == "previous":
            compare = "year"
        if self.period == "all":
            compare = "none"
        return replace(self, period="custom", start=shown.start, end=shown.last_day, compare=compare)

    def with_filters(self, filters: Mapping[str, Iterable[str]]) -> ViewState:
        clean = tuple(sorted((k, tuple(v)) for k, v in filters.items() if v))
        return replace(self, filters=clean)

    def with_known_values(self, known: Mapping[str, Iterable[str]], model: Model,
                          *, strict: bool = False) -> tuple[ViewState, list[str]]:
        """The filters checked against the values the data has (`known`: dimension -> values): a
        value written in another case becomes the stored one; a value the data does not have is
        dropped, with a problem that names it (a filter on it would select nothing, while the
        sidebar, which offers only stored values, would show no filter at all)."""
        problems, filters = [], {}
        for dim, values in self.filters:
            stored = list(known.get(dim, ()))
            by_key: dict[str, str] = {}
            for v in stored:
                by_key.setdefault(label_key(v), v)
            seg = model.segment(dim)
            # The model's other names of a value (an alias in Persian or Bulgarian) name it in a
            # link too, as they do in an upload.
            alias = {label_key(text): to for text, to in (seg.stored_values() if seg else {}).items()}
            # ...and so does the text the app shows for a coded value ('Persian' for 'fa': found
            # by an audit, a link written from the screen was refused).
            for value, text in (seg.labels if seg else ()):
                alias.setdefault(label_key(text), value)
            kept = []
            for value in values:
                match = value if value in stored else by_key.get(label_key(value))
                if match is None and label_key(value) in alias:
                    match = by_key.get(label_key(alias[label_key(value)]))
                if match is None:
                    shown = value if len(value) <= 60 else value[:59] + "…"
                    # (the command line stops there; a page goes on without it, and says so)
                    problems.append(f"Unknown value {shown!r} for {seg.name if seg else dim}: the data has no such "
                                    "value" + ("." if strict else "; the filter ignores it."))
                elif match not in kept:
                    kept.append(match)
            filters[dim] = kept
        return self.with_filters(filters), problems

    def drill(self, tp: str | None = None, team: str | None = None) -> ViewState:
        """Another node: the filters and the period stay; the KPI (of a team view or a heatmap), the
        comment search, the score filter and the theme chosen for one node do not follow to another."""
        if (tp, team) == (self.tp, self.team) and self.journey is None:
            return self
        return replace(self, tp=tp, team=team, journey=None, kpi=None, search="", scores=None, theme=None, unrouted=False)

    @property
    def node(self) -> tuple[str | None, str | None, str | None]:
        """The node of the pyramid the view is at: (journey, touchpoint, team)."""
        return self.journey, self.tp, self.team

    def opened_on(self, page: str | None, left: ViewState | None = None) -> ViewState:
        """This view as `page` opens it from a link that names no view of its own (the sidebar's
        page links carry no query string), and as the app's links to `page` say it. The period,
        comparison, filters, split, grain and drill path stay; other pages' controls do not follow
        (PAGE_CONTROLS); `page`'s own come back as they were when it was `left`, those of one node
        (NODE_CONTROLS) only at the same node. Found in review: a team view's search, score band
        and KPI were lost on a round trip through the sidebar's Segments; another team's must not
        turn up in their place."""
        view = replace(self, **{k: getattr(_DEFAULT, k) for k in _CONTROLS})
        if left is None:
            return view
        kept = [k for k in PAGE_CONTROLS.get(page, ()) if k not in NODE_CONTROLS or left.node == view.node]
        return replace(view, **{k: getattr(left, k) for k in kept})

    def into_journey(self, journey: str | None) -> ViewState:
        """The pyramid narrowed to one journey's touchpoints (None: every journey's)."""
        return replace(self.drill(None), journey=journey)

    def journey_of(self, model: Model) -> str | None:
        """The journey the view is in: the one it names, else its touchpoint's."""
        if self.journey:
            return self.journey
        j = model.journey_of(self.tp) if self.tp else None
        return j.key if j else None

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the defaults, so URLs stay short and readable."""
        default = ViewState()
        params: dict[str, str | list[str]] = {}
        if self.period != default.period:
            params["period"] = self.period
        if self.period == "custom":
            params["from"] = self.start.isoformat() if self.start else ""
            params["to"] = self.end.isoformat() if self.end else ""
        if self.compare != default.compare:
            params["compare"] = self.compare
        for key in ("split", "journey", "tp", "team", "kpi", "present", "outcome", "cases"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        if self.unrouted:
            params["unrouted"] = "1"
        if self.grain != default.grain:
            params["grain"] = self.grain
        if self.search:
            params["q"] = self.search
        if self.scores:
            params["scores"] = self.scores
        if self.theme:
            params["theme"] = self.theme
        for dim, values in self.filters:
            params[dim] = list(values) if len(values) > 1 else values[0]
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]], model: Model, *, strict: bool = False) -> tuple[ViewState, list[str]]:
        """Parse URL parameters. Returns the view and the problems found (each bad part is dropped);
        with strict=True they raise ViewError instead, without what a page would show in their place."""
        problems: list[str] = []

        def report(problem: str, fallback: str = "") -> None:
            # What the page does instead is news to a reader of the page; the command line
            # (strict) stops, so it only says what was wrong.
            problems.append(problem + (f"; {fallback}" if fallback and not strict else "") + ".")

        def quoted(value: str) -> str:
            # Problems repeat what the link said; a long crafted value must not fill the page.
            return repr(value if len(value) <= 60 else value[:59] + "…")

        def one(key: str) -> str | None:
            v = params.get(key)
            if isinstance(v, (list, tuple)):
                if len({str(x) for x in v}) > 1:
                    report(f"The link gives {key} more than once", f"using the last, {quoted(str(v[-1]))}")
                v = v[-1] if v else None
            return None if v is None else str(v)

        kw: dict = {}
        period = one("period")
        dated = params.get("from") is not None or params.get("to") is not None
        if period is None and dated:
            period = "custom"  # a link with dates and no period means those dates
        elif dated and period != "custom":
            report(f"The dates 'from' and 'to' apply to a custom period, not to {quoted(period)}", "ignored them")
        if period is not None:
            if period in PRESETS:
                kw["period"] = period
            else:
                # (the command line has no list to choose from: it names the presets)
                report(f"Unknown period {quoted(period)}"
                       + (f" (one of {', '.join(k for k in PRESETS if k != 'custom')}; or --from and --to)" if strict else ""),
                       "showing the latest quarter")
        if kw.get("period") == "custom":
            try:
                kw["start"] = date.fromisoformat(one("from") or "")
                kw["end"] = date.fromisoformat(one("to") or "")
                if not FIRST_DAY <= kw["start"] <= kw["end"] <= LAST_DAY:
                    raise ValueError
            except ValueError:
                report(f"The custom period needs valid 'from' and 'to' dates (YYYY-MM-DD, from before to, between "
                       f"{FIRST_DAY.year} and {LAST_DAY.year})", "showing the latest quarter")
                kw.pop("start", None), kw.pop("end", None)
                kw["period"] = "latest_quarter"
        def choice(key: str, valid, problem: str, fallback: str = "") -> None:
            value = one(key)
            if value is None:
                return
            if valid(value):
                kw[key] = value
            else:
                report(problem.format(value=quoted(value)), fallback)

        choice("compare", COMPARISONS.__contains__, "Unknown comparison {value}", "comparing with the previous period")
        choice("grain", GRAINS.__contains__, "Unknown trend grain {value}", "using months")
        choice("split", model.segment, "Cannot split by {value}: it is not a segment of this model")
        choice("scores", SCORE_BANDS.__contains__, "Unknown score filter {value}", "showing comments of every score")
        if model.themes:  # (else it may be a segment's filter)
            choice("theme", model.theme, "Unknown theme {value}", "showing comments on every subject")
        choice("outcome", model.measures.__contains__, "Unknown measure {value} to find the drivers of",
               "showing the drivers of the index")
        choice("cases", QUEUES.__contains__, "Unknown list of cases {value}", "showing the open cases")
        unrouted = one("unrouted")
        if unrouted is not None:
            if unrouted.lower() in ("1", "true", "yes", "on"):
                kw["unrouted"] = True
            elif unrouted.lower() not in ("", "0", "false", "no", "off"):
                report(f"Unknown value {quoted(unrouted)} for unrouted (use 1)", "showing every owner's cases")
        tp, team = one("tp"), one("team")
        if team is not None:
            t = model.team(team)
            if t is None:
                report(f"Unknown team {quoted(team)}")
            else:
                kw["team"] = team
                if tp is not None and tp != t.touchpoint:
                    report(f"The team {quoted(team)} belongs to the touchpoint {quoted(t.touchpoint)}, "
                           f"not {quoted(tp)}: shown there")
                tp = t.touchpoint
        if tp is not None:
            if model.touchpoint(tp):
                kw["tp"] = tp
            else:
                report(f"Unknown touchpoint {quoted(tp)}")
        journey = one("journey") if model.journeys else None  # (else it may be a segment's filter)
        if journey is not None:
            j = model.journey(journey)
            if j is None:
                report(f"Unknown journey {quoted(journey)}")
            elif "tp" in kw:  # a touchpoint names its journey itself
                if kw["tp"] not in j.touchpoints:
                    report(f"The touchpoint {quoted(kw['tp'])} is not in the journey {quoted(journey)}: "
                           "shown in its own")
            else:
                kw["journey"] = journey
        present = one("present")
        if present is not None:
            if present in PRESENT_STEPS:
                kw["present"] = present
            elif present.lower() in ("", "1", "true", "yes", "on"):  # ?present=1: start the story
                kw["present"] = PRESENT_STEPS[0]
            else:  # still a presentation: the link asked for one
                report(f"Unknown presentation slide {quoted(present)}", "starting at the index")
                kw["present"] = PRESENT_STEPS[0]
        kpi = one("kpi")
        if kpi is not None:
            if len(kpi) <= 64 and kpi.replace("_", "").isalnum():
                kw["kpi"] = kpi
            else:
                report("Ignored an invalid KPI in the link")
        q = one("q")
        if q and meaningful(q):  # marks or spaces alone search for nothing
            kw["search"] = q.strip()[:MAX_VALUE_CHARS]
        filters: dict[str, tuple[str, ...]] = {}
        for key, raw in params.items():
            if key in RESERVED and not (key == "journey" and not model.journeys) and not (key == "theme" and not model.themes):
                continue
            if not model.segment(key):
                report(f"Unknown filter {quoted(key)}: this model has no such segment (segments: "
                       f"{', '.join(s.key for s in model.segments) or 'none'})")
                continue
            values = [str(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw]) if str(v) != ""]
            if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_CHARS for v in values):
                report(f"Too many or too long values for filter {quoted(key)}")
                continue
            if values:
                filters[key] = tuple(dict.fromkeys(values))
        view = cls(**kw).with_filters(filters)
        if strict and problems:
            raise ViewError(problems)
        return view, problems


_DEFAULT = ViewState()
