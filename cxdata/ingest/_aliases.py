"""Touchpoint labels (in any language) -> touchpoint keys of the pyramid model."""

from __future__ import annotations

from typing import Mapping as TMapping

from ._text import key, parts

_STOP = frozenset({"the", "and", "of", "a", "an", "for", "with", "و", "با", "در", "من", "и", "на"})


def _tokens(k: str) -> set[str]:
    return {t for t in k.replace("/", " ").replace("-", " ").replace("_", " ").split()
            if t not in _STOP and (len(t) >= 3 or not t.isascii())}


class TouchpointResolver:
    """Exact match on letter/case-insensitive keys first; then one unambiguous word overlap.

    The word overlap catches tool wording such as 'Phone call (incoming)' -> call center or
    'app' -> mobile app; an overlap shared by two touchpoints resolves nothing.
    """

    def __init__(self, aliases: TMapping[str, str] | None):
        self.exact: dict[str, str] = {}
        for label, tp in (aliases or {}).items():
            self.exact[key(label)] = tp
            self.exact.setdefault(key(tp), tp)
            self.exact.setdefault(key(tp.replace("_", " ")), tp)
        self._tokens = [(_tokens(k), tp) for k, tp in self.exact.items()]

    def __bool__(self) -> bool:
        return bool(self.exact)

    def resolve(self, label: str) -> tuple[str | None, str]:
        for part in parts(label):
            tp = self.exact.get(key(part))
            if tp:
                return tp, "exact"
        best: dict[str, float] = {}
        for part in parts(label):
            mine = _tokens(key(part))
            if not mine:
                continue
            for toks, tp in self._tokens:
                common = mine & toks
                if common:
                    score = len(common) / len(mine | toks)
                    best[tp] = max(best.get(tp, 0.0), score)
        if not best:
            return None, ""
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None, ""
        return ranked[0][0], "fuzzy"
