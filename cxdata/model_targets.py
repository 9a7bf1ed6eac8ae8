"""The model's targets as a table, and a target changed in the model's text in place.

Targets are the model's most edited values (a new year, a team's goal), and editing them should
not need YAML. The Model page lists every target here and writes a changed one into the text,
which is then checked and saved like any edit (`model_versions`), so a version's diff shows exactly
the targets changed: the text is edited where the value stands, its comments, layout and anchors
untouched (a YAML round trip would re-indent the whole file).

Where a target goes: the index's and the closing rate's stand in their own KPI; a touchpoint's or
team's is written as an override under the node's `targets:` (its KPI list may be shared with
other nodes through a YAML anchor, or be the defaults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import yaml

from .model import Model, ModelError, parse_model
from .pyramid import kpi_range

INDEX, LOOP = "index", "loop"


@dataclass(frozen=True)
class TargetRow:
    level: str  # 'index' | 'touchpoint' | 'team' | 'loop'
    node: str  # node key ('index', 'loop' for those)
    node_name: str
    kpi: str  # KPI key ('closure' for the loop)
    kpi_name: str
    target: float | None
    low: float  # the range a target can take
    high: float


def rows(model: Model) -> list[TargetRow]:
    """Every target the model can hold, set or not: the index, each touchpoint's and team's KPIs,
    the closing rate."""
    out = [TargetRow(INDEX, INDEX, model.index.name, model.index.kpi.key, model.index.kpi.name,
                     model.index.kpi.target, *kpi_range(model, model.index.kpi))]
    for level, nodes in (("touchpoint", model.touchpoints), ("team", model.teams)):
        for node in nodes:
            out += [TargetRow(level, node.key, node.name, k.key, k.name, k.target, *kpi_range(model, k))
                    for k in node.kpis]
    if model.loop.rules:
        out.append(TargetRow(LOOP, LOOP, "Close the loop", "closure", "Closure rate (%)", model.loop.target, 0.0, 100.0))
    return out


class TargetError(ValueError):
    """A target that cannot be written (out of range, the text not YAML); the message says which."""


def number_text(v: float | None) -> str:
    if v is None:
        return "null"
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def with_targets(text: str, changes: dict[tuple[str, str, str], float | None]) -> str:
    """`text` with the targets of `changes` ((level, node, kpi) -> value, None: no target) written
    in, nothing else changed. TargetError when a value is out of its KPI's range, or the text is
    not a model these targets belong to."""
    try:
        model = parse_model(text, source="the edited text")
    except ModelError as exc:
        raise TargetError("The text has problems; fix them (Check lists them) before changing targets.") from exc
    known = {(r.level, r.node, r.kpi): r for r in rows(model)}
    for key, value in changes.items():
        row = known.get(key)
        if row is None:
            raise TargetError(f"No KPI {key[2]!r} at {key[0]} {key[1]!r} in the model.")
        if value is not None and (not math.isfinite(value) or not row.low <= value <= row.high):
            raise TargetError(f"{row.node_name} · {row.kpi_name}: a target from {number_text(row.low)} to "
                              f"{number_text(row.high)}, not {value:g}.")
    edits = _Edits(text)
    root = yaml.compose(text)
    per_node: dict[tuple[str, str], dict[str, float | None]] = {}
    for (level, node, kpi), value in changes.items():
        if known[(level, node, kpi)].target != value:
            per_node.setdefault((level, node), {})[kpi] = value
    for (level, node), values in per_node.items():
        if level == INDEX:
            edits.set(_value(_value(root, "index"), "kpi"), "target", values[model.index.kpi.key])
        elif level == LOOP:
            loop = _value(root, "loop")
            if loop is None:  # the section is optional: without its rules, the default ones stay
                edits.insert(root, "loop", f"{{target: {number_text(values['closure'])}}}")
            elif not isinstance(loop, yaml.MappingNode):  # `loop:` left empty
                edits.replace(loop, f"{{target: {number_text(values['closure'])}}}")
            else:
                edits.set(loop, "target", values["closure"])
        else:
            spec = next(n for n in _value(root, "touchpoints" if level == "touchpoint" else "teams").value
                        if _scalar(_value(n, "key")) == node)
            targets = _value(spec, "targets")
            pairs = ", ".join(f"{k}: {number_text(v)}" for k, v in values.items())
            if targets is None:
                edits.insert(spec, "targets", f"{{{pairs}}}")
            elif not isinstance(targets, yaml.MappingNode):  # `targets:` left empty
                edits.replace(targets, f"{{{pairs}}}")
            else:
                for kpi, value in values.items():
                    edits.set(targets, kpi, value)
    return edits.apply()


def _value(mapping, key: str):
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


class _Edits:
    """Replacements and insertions at character offsets of the text, applied from the end."""

    def __init__(self, text: str):
        self.text = text
        self.edits: list[tuple[int, int, str]] = []

    def set(self, mapping, key: str, value: float | None) -> None:
        """`key: value` in `mapping`: the value replaced where it stands, else the pair added."""
        node = _value(mapping, key)
        if node is not None:
            self.edits.append((node.start_mark.index, node.end_mark.index, number_text(value)))
        else:
            self.insert(mapping, key, number_text(value))

    def replace(self, node, new: str) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        self.edits.append((start, end, (" " if start == end and not self.text[start - 1:start].isspace() else "") + new))

    def insert(self, mapping, key: str, value_text: str) -> None:
        text = self.text
        if mapping.flow_style:
            close = text.rindex("}", mapping.start_mark.index, mapping.end_mark.index)
            pair = f"{key}: {value_text}"
            self.edits.append((close, close, (", " if mapping.value else "") + pair))
            return
        first_key, _ = mapping.value[0]
        _, last_value = mapping.value[-1]
        # After the line the mapping's last value ends on (a block value's end mark may lie on the
        # next line, after its indentation).
        end = last_value.end_mark.index
        while end > last_value.start_mark.index and text[end - 1] in " \t\r\n":
            end -= 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        self.edits.append((line_end, line_end, "\n" + " " * first_key.start_mark.column + f"{key}: {value_text}"))

    def apply(self) -> str:
        text = self.text
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text


__all__ = ["TargetError", "TargetRow", "rows", "with_targets"]
