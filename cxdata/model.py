"""The pyramid model: a YAML file turned into small typed, immutable objects.

The model is data, not code: which measure each KPI uses, which statistic, targets,
weights, owners and segment dimensions all come from the file. Validation collects every
problem with the dotted path of its key, so a user can fix a file in one pass.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STATS = ("nps", "top_box", "mean", "yes_rate")
INDEX_STATS = STATS + ("composite",)


def value_range(stat: str, scale: tuple[float, float] | None) -> tuple[float, float]:
    """The range a KPI's value can take: an NPS -100 to 100; a share, and a composite index
    (rescaled), 0 to 100; a mean its measure's scale."""
    if stat == "nps":
        return (-100.0, 100.0)
    if stat in ("top_box", "yes_rate", "composite") or scale is None:
        return (0.0, 100.0)
    return (float(scale[0]), float(scale[1]))


_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ModelError(ValueError):
    """A model file that cannot be used; `problems` lists 'key.path: what is wrong'."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The pyramid model {source} is not valid:\n{lines}")


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    scale: tuple[float, float]
    top_box: float  # lowest value counted in the top box (NPS promoters, CSAT 4-5, yes)
    bottom_box: float  # highest value counted in the bottom box (NPS detractors)
    higher_is_better: bool = True


@dataclass(frozen=True)
class KPI:
    key: str
    name: str
    stat: str
    measure: str
    target: float | None = None
    sources: tuple[str, ...] = ()  # only answers of these survey sources count (empty: all)

    def with_target(self, target: float | None) -> KPI:
        return KPI(self.key, self.name, self.stat, self.measure, target, self.sources)

    @property
    def cell(self) -> str:
        """The key of the cells this KPI reads: its measure, narrowed to its sources if any."""
        return f"{self.measure}@{'+'.join(self.sources)}" if self.sources else self.measure


@dataclass(frozen=True)
class Touchpoint:
    key: str
    name: str
    aliases: tuple[str, ...]
    weight: float
    kpis: tuple[KPI, ...]


@dataclass(frozen=True)
class Journey:
    """A stage of the customer's journey (find, buy, get help...) grouping touchpoints. Its KPIs
    pool the answers given at its touchpoints: its CSAT is the share of satisfied answers among
    all of theirs, with the interval of that pooled count."""

    key: str
    name: str
    touchpoints: tuple[str, ...]
    kpis: tuple[KPI, ...]
    aliases: tuple[str, ...] = ()  # (none: no data names a journey; kept for the checks all nodes share)


@dataclass(frozen=True)
class Theme:
    """A subject comments talk about (late delivery, prices), found by its words in any language:
    a comment is about the theme when it uses one of them (cxdata.themes)."""

    key: str
    name: str
    words: tuple[str, ...]


# A theme's words are searched in every comment of a view: enough for a subject's spellings in a
# few languages, few enough that counting them stays quick at millions of comments.
MAX_THEMES = 30
MAX_THEME_WORDS = 60
MAX_WORD_CHARS = 60


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    touchpoint: str
    aliases: tuple[str, ...]
    kpis: tuple[KPI, ...]


@dataclass(frozen=True)
class Segment:
    key: str
    name: str
    order: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # (value in the data, text shown), for coded values
    # (text an export may use, the value stored): 'أفراد' and 'مشتری عادی' are stored as
    # 'Consumer', so exports in several languages fill one segment value, not one per language.
    aliases: tuple[tuple[str, str], ...] = ()

    def label(self, value: str) -> str:
        """How a value of this segment is shown: its display text, else the value itself."""
        return dict(self.labels).get(value, value)

    def stored_values(self) -> dict[str, str]:
        """Texts an export may use -> the value stored: the aliases, and the values the aliases and
        `order` name (so 'consumer' is stored as the model spells it; an `order` listing 'Sofia'
        and 'SOFIA' imposes neither)."""
        from .ingest._text import key

        values = [*(value for _, value in self.aliases), *self.order]
        spellings: dict[str, set[str]] = {}
        for v in values:
            spellings.setdefault(key(v), set()).add(v)
        return {**{v: v for v in values if len(spellings[key(v)]) == 1}, **dict(self.aliases)}


@dataclass(frozen=True)
class Thresholds:
    privacy_min_n: int = 5
    reliability_min_n: int = 30


@dataclass(frozen=True)
class LoopRule:
    """Answers of `measure` from `low` to `high` (inclusive) open a case."""

    measure: str
    low: float
    high: float


@dataclass(frozen=True)
class Loop:
    """Closing the loop (cxdata.loop): which answers open a case, and the service level."""

    rules: tuple[LoopRule, ...] = ()
    respond_within_days: float = 2.0  # a new case older than this is overdue
    target: float | None = None  # % of cases resolved that teams aim for


@dataclass(frozen=True)
class Invitations:
    """Response rates (cxdata.invitations): how long after its invitation a response answers it."""

    window_days: float = 30.0


@dataclass(frozen=True)
class Index:
    name: str
    kpi: KPI  # stat 'composite' means: weighted touchpoint headline KPIs, rescaled to 0-100


@dataclass(frozen=True)
class Model:
    name: str
    measures: dict[str, Measure]
    index: Index
    touchpoints: tuple[Touchpoint, ...]
    teams: tuple[Team, ...]
    segments: tuple[Segment, ...]
    thresholds: Thresholds
    source: str = ""
    loop: Loop = Loop()
    invitations: Invitations = Invitations()
    _labels: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    digest: str = ""  # of the model's text: what caches key on, so an edited file is never served stale
    journeys: tuple[Journey, ...] = ()  # optional level between the index and the touchpoints
    themes: tuple[Theme, ...] = ()  # optional subjects of the comments

    def theme(self, key: str) -> Theme | None:
        return next((t for t in self.themes if t.key == key), None)

    def journey(self, key: str) -> Journey | None:
        return next((j for j in self.journeys if j.key == key), None)

    def journey_of(self, touchpoint_key: str) -> Journey | None:
        return next((j for j in self.journeys if touchpoint_key in j.touchpoints), None)

    def touchpoint(self, key: str) -> Touchpoint | None:
        return next((t for t in self.touchpoints if t.key == key), None)

    def team(self, key: str) -> Team | None:
        return next((t for t in self.teams if t.key == key), None)

    def teams_of(self, touchpoint_key: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if t.touchpoint == touchpoint_key)

    def segment(self, key: str) -> Segment | None:
        return next((s for s in self.segments if s.key == key), None)

    def source_label(self, source):
        """A survey source as shown: the label the model's `source` segment gives it, if any."""
        seg = self.segment("source")
        return seg.label(source) if seg is not None and isinstance(source, str) else source

    def resolve(self, level: str, label: str | None) -> str | None:
        """Map a label found in the data (key, display name or alias, any language) to a node key."""
        if label is None:
            return None
        return self._labels.get(level, {}).get(label_key(label))

    def kpis(self) -> list[KPI]:
        return [self.index.kpi] + [k for node in self.touchpoints + self.teams + self.journeys for k in node.kpis]

    def measures_used(self) -> tuple[str, ...]:
        keys = {self.index.kpi.measure} if self.index.kpi.stat != "composite" else set()
        for node in self.touchpoints + self.teams + self.journeys:
            keys.update(k.measure for k in node.kpis)
        return tuple(sorted(keys))

    def narrowed_to(self, kpi_keys) -> Model:
        """The model with only the KPIs a view shows, for views that show a few of many.

        Kept per node: every KPI reading the same cells as one of `kpi_keys` (suppression works
        per cell, so a cell's partitions and thus its hidden/shown decisions stay exactly those
        of the whole model), the index, and under a composite index the touchpoints' headline
        KPIs it is built from. Nodes stay, possibly with no KPIs."""
        keys = {kpi_keys} if isinstance(kpi_keys, str) else set(kpi_keys)
        cells = {k.cell for k in self.kpis() if k.key in keys}
        if self.index.kpi.stat == "composite":
            cells |= {t.kpis[0].cell for t in self.touchpoints if t.kpis}
        else:
            cells.add(self.index.kpi.cell)

        def keep(kpis: tuple[KPI, ...]) -> tuple[KPI, ...]:
            return tuple(k for k in kpis if k.cell in cells)

        return dataclasses.replace(
            self,
            touchpoints=tuple(dataclasses.replace(t, kpis=keep(t.kpis)) for t in self.touchpoints),
            teams=tuple(dataclasses.replace(t, kpis=keep(t.kpis)) for t in self.teams),
            journeys=tuple(dataclasses.replace(j, kpis=keep(j.kpis)) for j in self.journeys),
        )


def _short(value: Any) -> str:
    """A value for a problem's message, bounded: a YAML alias bomb expands to gigabytes of text."""
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'mapping'}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def label_key(label: str) -> str:
    """Comparison form of a label: case, width, spacing and Arabic/Persian letter variants folded."""
    text = unicodedata.normalize("NFKC", str(label)).casefold()
    text = text.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")
    text = text.replace("\u200c", " ").replace("\u200f", "").replace("\u200e", "")
    return " ".join(text.split())


def load_model(path: str | Path) -> Model:
    return parse_model(model_text(path), source=str(path))


def model_text(path: str | Path) -> str:
    """A model file's text; what a cache of its model keys on, since a file's time can stay the
    same when its text changes (`cp -p`, a deployment that keeps times)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(str(path), ["file: not found"]) from None
    except UnicodeDecodeError:
        raise ModelError(str(path), ["file: not UTF-8 text"]) from None


# libyaml's parser (in PyYAML's wheels) with the safe constructor: the same objects as
# yaml.safe_load, parsed about 15x faster; the model is read on the first page of a fresh server.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_model(text: str, source: str = "<text>", *, strict: bool = False) -> Model:
    """`strict`: also the checks an edit must pass (`_Parser.strict`)."""
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise ModelError(source, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    try:
        model = _Parser(source, strict).model(raw)
    except TypeError:
        # A list or mapping where a name belongs, met by a lookup before its own check (found by an audit).
        raise ModelError(source, ["file: a list or mapping stands where a name or number belongs (check the keys "
                                  "that name measures, touchpoints and teams)"]) from None
    return dataclasses.replace(model, digest=hashlib.sha256(text.encode()).hexdigest()[:16])


class _Parser:
    def __init__(self, source: str, strict: bool = False):
        self.source = source
        self.problems: list[str] = []
        # Checks added after versions were saved in the app: an edit must pass them, but a stored
        # version (or file) from before them still loads, or every page, the Model page that would
        # fix it included, would fail on it.
        self.strict = strict

    def fail(self, path: str, msg: str) -> None:
        self.problems.append(f"{path}: {msg}")

    def mapping(self, value: Any, path: str, required: bool = True) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of keys to values" if value is not None else "is missing")
            return {}
        return value

    def seq(self, value: Any, path: str, required: bool = True) -> list:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list" if value is not None else "is missing")
            return []
        return value

    def key(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _KEY_RE.match(value):
            self.fail(path, "must be a lowercase identifier (letters, digits, '_', starting with a letter)")
            return value if isinstance(value, str) else "?"
        return value

    def text(self, value: Any, path: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty text")
            return value if isinstance(value, str) else "?"
        return value.strip()

    def number(self, value: Any, path: str, default: float | None = None) -> float | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number, not {_short(value)}")
            return default
        if self.strict and not math.isfinite(value):  # YAML's .nan and .inf: a weight or target no figure can use
            self.fail(path, f"must be a finite number, not {value}")
            return default
        return float(value)

    def target(self, value: Any, path: str, kpi: KPI, measures: dict[str, Measure]) -> float | None:
        """A KPI's target, within what the KPI can reach: the targets table refuses the rest, and
        a tile would read 'below target' for ever."""
        target = self.number(value, path)
        if self.strict and target is not None and (kpi.stat == "composite" or kpi.measure in measures):
            measure = measures.get(kpi.measure)
            lo, hi = value_range(kpi.stat, measure.scale if measure else None)
            if not lo <= target <= hi:
                why = ("an NPS" if kpi.stat == "nps" else "the scale of " + repr(kpi.measure) if kpi.stat == "mean"
                       else "a composite index" if kpi.stat == "composite" else "a percentage")
                self.fail(path, f"{target:g} is outside the range {lo:g} to {hi:g} ({why})")
                return None
        return target

    def unknown(self, data: dict, allowed: set[str], path: str) -> None:
        for k in data:
            if k not in allowed:
                self.fail(f"{path}.{k}" if path else str(k), f"unknown key (allowed: {', '.join(sorted(allowed))})")

    # -- sections -------------------------------------------------------------------------
    def model(self, raw: Any) -> Model:
        root = self.mapping(raw, "(top level)")
        if not isinstance(raw, dict):  # not a model file at all: each section "missing" would say nothing more
            raise ModelError(self.source, self.problems)
        self.unknown(root, {"version", "name", "measures", "index", "defaults", "touchpoints", "teams", "segments", "thresholds", "loop", "invitations", "journeys", "themes"}, "")
        if root and root.get("version", 1) != 1:
            self.fail("version", f"unsupported version {root.get('version')!r} (this app reads version 1)")
        name = self.text(root.get("name"), "name", default="CX")
        measures = self.measures(root.get("measures"))
        defaults = self.mapping(root.get("defaults"), "defaults", required=False)
        self.unknown(defaults, {"touchpoint_kpis", "team_kpis"}, "defaults")
        tp_default = self.kpis(defaults.get("touchpoint_kpis"), "defaults.touchpoint_kpis", measures, required=False)
        team_default = self.kpis(defaults.get("team_kpis"), "defaults.team_kpis", measures, required=False)
        touchpoints = self.touchpoints(root.get("touchpoints"), measures, tp_default)
        teams = self.teams(root.get("teams"), measures, team_default, {t.key: t for t in touchpoints})
        index = self.index(root.get("index"), measures, touchpoints)
        journeys = self.journeys(root.get("journeys"), measures, tp_default, touchpoints)
        themes = self.themes(root.get("themes"))
        segments = self.segments(root.get("segments"), journeys=bool(journeys), themes=bool(themes))
        thresholds = self.thresholds(root.get("thresholds"))
        loop = self.loop(root.get("loop"), measures, index, teams)
        invitations = self.invitations(root.get("invitations"))
        if self.problems:
            raise ModelError(self.source, self.problems)
        labels = {"touchpoint": _merge_labels(touchpoints), "team": _merge_labels(teams)}
        return Model(name, measures, index, tuple(touchpoints), tuple(teams), tuple(segments), thresholds, self.source,
                     loop, invitations, labels, journeys=tuple(journeys), themes=tuple(themes))

    def measures(self, raw: Any) -> dict[str, Measure]:
        out: dict[str, Measure] = {}
        for key, spec in self.mapping(raw, "measures").items():
            path = f"measures.{key}"
            self.key(key, path)
            spec = self.mapping(spec, path)
            self.unknown(spec, {"name", "scale", "top_box", "bottom_box", "higher_is_better"}, path)
            scale = spec.get("scale")
            if (
                not isinstance(scale, list)
                or len(scale) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scale)
                or (self.strict and not all(math.isfinite(v) for v in scale))
                or scale[0] >= scale[1]
            ):
                self.fail(f"{path}.scale", "must be [lowest, highest] numbers, lowest first, e.g. [1, 5]")
                scale = [0, 1]
            lo, hi = float(scale[0]), float(scale[1])
            top_default, bottom_default = _box_defaults(lo, hi)
            top = self.number(spec.get("top_box"), f"{path}.top_box", top_default)
            bottom = self.number(spec.get("bottom_box"), f"{path}.bottom_box", bottom_default)
            if top is not None and not lo <= top <= hi:
                self.fail(f"{path}.top_box", f"{top:g} is outside the scale [{lo:g}, {hi:g}]")
            if bottom is not None and not lo <= bottom <= hi:
                self.fail(f"{path}.bottom_box", f"{bottom:g} is outside the scale [{lo:g}, {hi:g}]")
            better = spec.get("higher_is_better", True)
            if not isinstance(better, bool):
                self.fail(f"{path}.higher_is_better", "must be true or false")
                better = True
            out[key] = Measure(key, self.text(spec.get("name"), f"{path}.name", default=key), (lo, hi), top, bottom, better)
        if not out and "measures" not in {p.split(":")[0] for p in self.problems}:
            self.fail("measures", "must define at least one measure")
        return out

    def kpi(self, raw: Any, path: str, measures: dict[str, Measure], stats=STATS) -> KPI | None:
        spec = self.mapping(raw, path)
        if not spec:
            return None
        self.unknown(spec, {"key", "name", "stat", "measure", "target", "sources"}, path)
        stat = spec.get("stat")
        if stat not in stats:
            self.fail(f"{path}.stat", f"{stat!r} is not one of: {', '.join(stats)}")
        measure = spec.get("measure")
        if stat != "composite":
            if measure not in measures:
                known = ", ".join(sorted(measures)) or "none defined"
                self.fail(f"{path}.measure", f"{measure!r} is not a measure defined under 'measures' ({known})")
            elif stat == "nps" and measures[measure].scale != (0.0, 10.0):
                self.fail(f"{path}.stat", f"NPS needs a 0-10 measure; {measure!r} has scale {list(measures[measure].scale)}")
        key = spec.get("key", measure if isinstance(measure, str) else stat)
        self.key(key, f"{path}.key")
        name = self.text(spec.get("name"), f"{path}.name", default=str(key))
        sources = self.aliases(spec.get("sources"), f"{path}.sources")
        kpi = KPI(str(key), name, str(stat), str(measure or ""), None, tuple(sorted(sources)))
        return kpi.with_target(self.target(spec.get("target"), f"{path}.target", kpi, measures))

    def kpis(self, raw: Any, path: str, measures, required: bool = True) -> tuple[KPI, ...]:
        items = self.seq(raw, path, required=required)
        out = [k for i, item in enumerate(items) if (k := self.kpi(item, f"{path}[{i}]", measures))]
        seen: set[str] = set()
        for i, k in enumerate(out):
            if k.key in seen:
                self.fail(f"{path}[{i}].key", f"KPI key {k.key!r} is used twice")
            seen.add(k.key)
        return tuple(out)

    def node_kpis(self, spec: dict, path: str, measures, default: tuple[KPI, ...]) -> tuple[KPI, ...]:
        kpis = self.kpis(spec["kpis"], f"{path}.kpis", measures) if "kpis" in spec else default
        if not kpis:
            self.fail(f"{path}.kpis", "no KPIs: list them here or under defaults")
        targets = self.mapping(spec.get("targets"), f"{path}.targets", required=False)
        by_key = {k.key: k for k in kpis}
        for k, v in targets.items():
            if k not in by_key:
                self.fail(f"{path}.targets.{k}", f"no KPI with key {k!r} (KPIs: {', '.join(by_key)})")
            else:
                by_key[k] = by_key[k].with_target(self.target(v, f"{path}.targets.{k}", by_key[k], measures))
        return tuple(by_key.values())

    def aliases(self, raw: Any, path: str) -> tuple[str, ...]:
        items = self.seq(raw, path, required=False)
        for i, a in enumerate(items):
            if not isinstance(a, (str, int)) or not str(a).strip():
                self.fail(f"{path}[{i}]", "must be a non-empty text")
        return tuple(str(a).strip() for a in items)

    def touchpoints(self, raw: Any, measures, default) -> list[Touchpoint]:
        out: list[Touchpoint] = []
        for i, spec in enumerate(self.seq(raw, "touchpoints")):
            path = f"touchpoints[{i}]"
            spec = self.mapping(spec, path)
            if not spec:
                continue
            self.unknown(spec, {"key", "name", "aliases", "weight", "kpis", "targets"}, path)
            key = self.key(spec.get("key"), f"{path}.key")
            weight = self.number(spec.get("weight"), f"{path}.weight", 1.0)
            if weight is not None and weight < 0:
                self.fail(f"{path}.weight", "must not be negative")
            out.append(
                Touchpoint(
                    key,
                    self.text(spec.get("name"), f"{path}.name", default=key),
                    self.aliases(spec.get("aliases"), f"{path}.aliases"),
                    float(weight or 0.0),
                    self.node_kpis(spec, path, measures, default),
                )
            )
        self.unique(out, "touchpoints")
        return out

    def teams(self, raw: Any, measures, default, owners: dict[str, Touchpoint]) -> list[Team]:
        """Teams without KPIs of their own take defaults.team_kpis, else their touchpoint's KPIs."""
        out: list[Team] = []
        for i, spec in enumerate(self.seq(raw, "teams", required=False)):
            path = f"teams[{i}]"
            spec = self.mapping(spec, path)
            if not spec:
                continue
            self.unknown(spec, {"key", "name", "touchpoint", "aliases", "kpis", "targets"}, path)
            key = self.key(spec.get("key"), f"{path}.key")
            owner = spec.get("touchpoint")
            if owner not in owners:
                self.fail(f"{path}.touchpoint", f"{owner!r} is not a touchpoint key ({', '.join(sorted(owners))})")
            inherited = default or (owners[owner].kpis if owner in owners else ())
            out.append(
                Team(
                    key,
                    self.text(spec.get("name"), f"{path}.name", default=key),
                    str(owner),
                    self.aliases(spec.get("aliases"), f"{path}.aliases"),
                    self.node_kpis(spec, path, measures, inherited),
                )
            )
        self.unique(out, "teams")
        return out

    def journeys(self, raw: Any, measures, default, touchpoints: list[Touchpoint]) -> list[Journey]:
        """Journeys without KPIs of their own take defaults.touchpoint_kpis, else their first
        touchpoint's. A touchpoint belongs to one journey at most: a journey's figures pool its
        touchpoints' answers, and one answer counted in two journeys would make them overlap."""
        out: list[Journey] = []
        owner: dict[str, str] = {}
        known = {t.key: t for t in touchpoints}
        for i, spec in enumerate(self.seq(raw, "journeys", required=False)):
            path = f"journeys[{i}]"
            spec = self.mapping(spec, path)
            if not spec:
                continue
            self.unknown(spec, {"key", "name", "touchpoints", "kpis", "targets"}, path)
            key = self.key(spec.get("key"), f"{path}.key")
            members = self.seq(spec.get("touchpoints"), f"{path}.touchpoints")
            if "touchpoints" in spec and isinstance(members, list) and not members:
                self.fail(f"{path}.touchpoints", "must list at least one touchpoint key")
            keys: list[str] = []
            for j, tp in enumerate(members):
                if tp not in known:
                    self.fail(f"{path}.touchpoints[{j}]", f"{_short(tp)} is not a touchpoint key "
                                                          f"({', '.join(known)})")
                elif tp in owner:
                    self.fail(f"{path}.touchpoints[{j}]", f"{tp!r} is already in the journey {owner[tp]!r}: "
                                                          "a touchpoint belongs to one journey")
                else:
                    owner[tp] = str(key)
                    keys.append(tp)
            inherited = default or (known[keys[0]].kpis if keys else ())
            # (no touchpoint to take KPIs from is the problem already said)
            kpis = self.node_kpis(spec, path, measures, inherited) if inherited or "kpis" in spec or keys else ()
            out.append(Journey(key, self.text(spec.get("name"), f"{path}.name", default=str(key)), tuple(keys), kpis))
        self.unique(out, "journeys")
        return out

    def unique(self, nodes, path: str) -> None:
        seen: dict[str, int] = {}
        labels: dict[str, str] = {}
        for i, node in enumerate(nodes):
            if node.key in seen:
                self.fail(f"{path}[{i}].key", f"{node.key!r} is already used by {path}[{seen[node.key]}]")
            seen[node.key] = i
            for label in (node.key, node.name, *node.aliases):
                k = label_key(label)
                if labels.get(k, node.key) != node.key:
                    self.fail(f"{path}[{i}]", f"label {label!r} also names {labels[k]!r}: data labels must be unambiguous")
                labels[k] = node.key

    def index(self, raw: Any, measures, touchpoints: list[Touchpoint]) -> Index:
        spec = self.mapping(raw, "index")
        self.unknown(spec, {"name", "kpi"}, "index")
        kpi = self.kpi(spec.get("kpi"), "index.kpi", measures, stats=INDEX_STATS)
        if kpi and kpi.stat == "composite" and not any(t.weight > 0 for t in touchpoints):
            self.fail("index.kpi.stat", "a composite index needs at least one touchpoint with a positive weight")
        return Index(self.text(spec.get("name"), "index.name", default="CX index"), kpi or KPI("index", "Index", "nps", ""))

    def themes(self, raw: Any) -> list[Theme]:
        from .search import meaningful

        out: list[Theme] = []
        items = self.seq(raw, "themes", required=False)
        if len(items) > MAX_THEMES:
            self.fail("themes", f"lists {len(items)} themes; a model may have up to {MAX_THEMES}")
        for i, spec in enumerate(items[:MAX_THEMES]):
            path = f"themes[{i}]"
            spec = self.mapping(spec, path)
            if not spec:
                continue
            self.unknown(spec, {"key", "name", "words"}, path)
            key = self.key(spec.get("key"), f"{path}.key")
            words = self.aliases(spec.get("words"), f"{path}.words")
            if not words:
                self.fail(f"{path}.words", "must list at least one word or phrase that comments about it use")
            elif len(words) > MAX_THEME_WORDS:
                self.fail(f"{path}.words", f"lists {len(words)} words; a theme may have up to {MAX_THEME_WORDS}")
            for j, w in enumerate(words):
                if len(w) > MAX_WORD_CHARS:
                    self.fail(f"{path}.words[{j}]", f"is {len(w)} characters long; up to {MAX_WORD_CHARS}")
                elif not meaningful(w):  # marks alone would match every comment
                    self.fail(f"{path}.words[{j}]", "has no letter or digit to search for")
            out.append(Theme(key, self.text(spec.get("name"), f"{path}.name", default=str(key)), words))
        seen: dict[str, int] = {}
        for i, t in enumerate(out):
            if t.key in seen:
                self.fail(f"themes[{i}].key", f"{t.key!r} is already used by themes[{seen[t.key]}]")
            seen.setdefault(t.key, i)
        return out

    def segments(self, raw: Any, journeys: bool = False, themes: bool = False) -> list[Segment]:
        out: list[Segment] = []
        for i, spec in enumerate(self.seq(raw, "segments", required=False)):
            path = f"segments[{i}]"
            spec = self.mapping(spec, path)
            if not spec:
                continue
            self.unknown(spec, {"key", "name", "order", "labels", "aliases"}, path)
            key = self.key(spec.get("key"), f"{path}.key")
            from .view import RESERVED  # (view imports this module)

            if key in {"touchpoint", "team", "agent", "measure"}:
                self.fail(f"{path}.key", f"{key!r} is reserved for the pyramid itself")
            elif key in RESERVED and (key != "journey" or journeys) and (key != "theme" or themes):
                # (without journeys or themes, a segment may be called so)
                # A filter on it could not be told from the view's own part of a link (?period=...).
                self.fail(f"{path}.key", f"{key!r} is a word the app's links use for the view itself; "
                                         "name the segment otherwise")
            order = self.aliases(spec.get("order"), f"{path}.order")
            labels = self.mapping(spec.get("labels"), f"{path}.labels", required=False)
            for value, text in labels.items():
                if not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
                    self.fail(f"{path}.labels.{value}", "must be a non-empty text")
            texts = [str(t).strip() for t in labels.values()]
            if len(set(texts)) != len(texts):
                self.fail(f"{path}.labels", "two values have the same label: they could not be told apart")
            out.append(Segment(key, self.text(spec.get("name"), f"{path}.name", default=key), order,
                               tuple((str(v).strip(), str(t).strip()) for v, t in labels.items()),
                               self.segment_aliases(spec.get("aliases"), f"{path}.aliases", order)))
        if len({s.key for s in out}) != len(out):
            self.fail("segments", "a segment key is listed twice")
        return out

    def segment_aliases(self, raw: Any, path: str, order: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """`{stored value: [text in an export, ...]}` -> (alias, value) pairs. Texts are compared
        as an upload compares them (case, punctuation and letter variants folded): an alias that
        two values claim, that is another value of the segment, or two values that an upload could
        not tell apart, could not be resolved."""
        from .ingest._text import key as upload_key

        spec = self.mapping(raw, path, required=False)
        values: dict[str, str] = {}
        for value in spec:
            if isinstance(value, bool) or value is None:
                # YAML reads unquoted no/yes/on/off/null as booleans or nothing
                self.fail(path, f"{_short(value)} is not a text: write the segment value in quotes")
                continue
            text = str(value).strip()
            other = values.setdefault(upload_key(text), text)
            if not text:
                self.fail(path, "a segment value must be a non-empty text")
            elif other != text:
                self.fail(path, f"{other!r} and {text!r} would be the same value to an upload")
        for text in order:
            values.setdefault(upload_key(text), text)
        out: dict[str, tuple[str, str]] = {}
        for value, items in spec.items():
            if isinstance(value, bool) or value is None:
                continue
            value = str(value).strip()
            for alias in self.aliases(items, f"{path}.{value}"):
                k = upload_key(alias)
                other = out.get(k, (None, value))[1]
                if other != value:
                    self.fail(f"{path}.{value}", f"{alias!r} is also an alias of {other!r}")
                elif values.get(k, value) != value:
                    self.fail(f"{path}.{value}", f"{alias!r} is the segment value {values[k]!r} itself")
                out[k] = (alias, value)
        return tuple(out.values())

    def thresholds(self, raw: Any) -> Thresholds:
        spec = self.mapping(raw, "thresholds", required=False)
        self.unknown(spec, {"privacy_min_n", "reliability_min_n"}, "thresholds")
        values = {}
        for key, default in (("privacy_min_n", 5), ("reliability_min_n", 30)):
            v = spec.get(key, default)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                self.fail(f"thresholds.{key}", "must be a whole number of at least 1")
                v = default
            values[key] = v
        if values["reliability_min_n"] < values["privacy_min_n"]:
            self.fail("thresholds.reliability_min_n", "must not be below privacy_min_n")
        return Thresholds(**values)


    def invitations(self, raw: Any) -> Invitations:
        """`invitations:`: how long after its invitation a response counts as its answer."""
        spec = self.mapping(raw, "invitations", required=False)
        self.unknown(spec, {"window_days"}, "invitations")
        days = self.number(spec.get("window_days"), "invitations.window_days", 30.0)
        if days is not None and not 0 < days <= 366:
            self.fail("invitations.window_days", "must be more than 0 and at most 366 (days)")
        return Invitations(float(days or 30.0))

    def loop(self, raw: Any, measures: dict[str, Measure], index: Index, teams: list[Team]) -> Loop:
        """`loop:`; without it, a case opens for a bad answer to the index's measure (NPS
        detractors) or to any team's headline measure (CSAT 1-2)."""
        spec = self.mapping(raw, "loop", required=False)
        self.unknown(spec, {"rules", "respond_within_days", "target"}, "loop")
        if "rules" in spec:
            rules = []
            for i, rule in enumerate(self.seq(spec["rules"], "loop.rules")):
                path = f"loop.rules[{i}]"
                rule = self.mapping(rule, path)
                self.unknown(rule, {"measure", "at_most", "at_least"}, path)
                key = rule.get("measure")
                if key not in measures:
                    self.fail(f"{path}.measure", f"{key!r} is not a measure ({', '.join(sorted(measures))})")
                    continue
                m = measures[key]
                if "at_most" in rule and "at_least" in rule:
                    self.fail(path, "give at_most or at_least, not both")
                    continue
                at_most, at_least = self.number(rule.get("at_most"), f"{path}.at_most"), \
                    self.number(rule.get("at_least"), f"{path}.at_least")
                for bound, name in ((at_most, "at_most"), (at_least, "at_least")):
                    if bound is not None and not m.scale[0] <= bound <= m.scale[1]:
                        self.fail(f"{path}.{name}", f"{bound:g} is outside the scale {list(m.scale)} of {key!r}")
                rules.append(_bad_answers(m, at_most, at_least))
            if not rules and not any(p.startswith("loop.rules") for p in self.problems):
                self.fail("loop.rules", "must list at least one rule (a measure and the answers that open a case)")
            seen = [r.measure for r in rules]
            if len(set(seen)) != len(seen):
                self.fail("loop.rules", "a measure is listed twice")
        else:
            keys = [index.kpi.measure] if index.kpi.stat != "composite" else []
            keys += [t.kpis[0].measure for t in teams if t.kpis]
            rules = [_bad_answers(measures[k], None, None) for k in dict.fromkeys(keys) if k in measures]
        days = self.number(spec.get("respond_within_days"), "loop.respond_within_days", 2.0)
        if days is not None and not 0 < days <= 365:
            self.fail("loop.respond_within_days", "must be more than 0 and at most 365 (days)")
        target = self.number(spec.get("target"), "loop.target")
        if target is not None and not 0 <= target <= 100:
            self.fail("loop.target", "must be a percentage from 0 to 100")
        return Loop(tuple(rules), float(days or 2.0), target)


def _bad_answers(m: Measure, at_most: float | None, at_least: float | None) -> LoopRule:
    """The answers that open a case: those given, else the measure's bad box (the bottom box, or
    the top box of a measure where lower is better)."""
    lo, hi = m.scale
    if at_most is not None:
        return LoopRule(m.key, lo, at_most)
    if at_least is not None:
        return LoopRule(m.key, at_least, hi)
    return LoopRule(m.key, lo, m.bottom_box) if m.higher_is_better else LoopRule(m.key, m.top_box, hi)


def _box_defaults(lo: float, hi: float) -> tuple[float, float]:
    # Conventional boxes: NPS 9-10 / 0-6; a yes/no 1 / 0; otherwise top-2 and bottom-2 box.
    if (lo, hi) == (0.0, 10.0):
        return 9.0, 6.0
    if hi - lo <= 1:
        return hi, lo
    return hi - 1, lo + 1


def _merge_labels(nodes) -> dict[str, str]:
    return {label_key(label): node.key for node in nodes for label in (node.key, node.name, *node.aliases)}
