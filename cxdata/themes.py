"""What the comments behind a number talk about, by the model's themes (late delivery, prices,
friendly staff): how many comments name each, and the KPI of the responses that wrote about it
against the rest's, so a manager sees which subject goes with the worst scores.

A comment is about a theme when it uses one of the theme's words (cxdata.search.any_word, in any
language the model lists them in). The figures are those of the comments the view lists: the
same period, node, segments, search and score band, and the same responses left out. Under a
score band the themes are counted and not compared (`NOT_COMPARED`): every comment listed gave a
score of that band, so the KPI of a theme's and of the others' says nothing of the theme.

Each comment's themes are found once and kept (cxdata.theme_flags): the table is a grouping of
those bits over the comments listed. The comments a view lists without them (all of them after
the themes changed, the versions a removal brought back, those of an upload that kept none) are
searched alone and their themes kept on the way, when the database can be written (`db`). On a
database opened read-only with most of them missing, the table is the search per theme of every
comment listed that it always was (`searched`), which gives the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Mapping

from . import queries, search, stats, theme_flags
from .drill import periods_for, score_bands
from .model import KPI, Model, Theme
from .queries import Catalog
from .view import ViewState


@dataclass(frozen=True)
class ThemeResult:
    theme: Theme
    comments: int  # comments about it
    share: float | None  # of the comments listed, in %
    about: stats.Estimate | None  # the KPI among the responses whose comment is about it; None: hidden
    rest: stats.Estimate | None  # ...among the other commenting responses; None: hidden
    change: stats.Change | None  # about - rest, with its test
    status: str  # 'ok' | 'low_n' | 'hidden' | 'no_data' (of the two figures together) | NOT_COMPARED
    worse: bool | None  # the theme goes with a significantly worse KPI (None: no verdict)
    listed: int = 0  # the comments of the view on every subject: the whole `share` is of


NOT_COMPARED = "not_compared"  # the status of every theme under a score band: counted only


def of_view(cur, model: Model, cat: Catalog, view: ViewState, *, level: str, node: str | None, kpi: KPI,
            hidden_segments: Mapping[str, Iterable[str]] | None = None, db=None,
            searched: bool = False) -> list[ThemeResult]:
    """Every theme of the model for the comments `drill.comments_frame` lists under `view` (the
    theme the view is narrowed to, if any, aside), most talked about first.

    From the themes kept of each comment, those missing found and kept first when `db` (the
    cxdata.db.Database of `cur`) can be written; with `searched`, or whenever some comment listed
    has none kept and none can be written, by a search per theme of every comment listed."""
    if not model.themes or kpi.stat not in stats.STATS or kpi.measure not in model.measures:
        return []
    current, _ = periods_for(view, cat)
    patterns = patterns_of(model)
    args = dict(level=level, node=node, score_measure=kpi.measure, withheld=hidden_segments)
    view = replace(view, theme=None)
    # With only one band's scores listed, a top-box share, a yes-rate or an NPS is the same on both
    # sides by construction (0.0% against 0.0% among the bottom box, found by review), and a mean
    # held within the band says little of a theme: the themes are counted, not compared.
    banded = view.scores in dict(score_bands(model, kpi))
    rows = None if searched else _kept(cur, db, model, cat, view, current, patterns, args)
    if rows is None:
        rows = queries.theme_cells(cur, model, cat, view, current, patterns=patterns, **args)
    total_comments, *total = rows[-1]
    total_m = stats.Moments.from_sums(*total)
    rules = stats.Suppression(model.thresholds.privacy_min_n, model.thresholds.reliability_min_n)
    measure = model.measures[kpi.measure]
    out = []
    for theme, (comments, *sums) in zip(model.themes, rows):
        about_m = stats.Moments.from_sums(*sums)
        rest_m = total_m - about_m
        # Both sides or neither: a theme's figure shown beside the rest's would give a hidden
        # side away by subtraction from another theme's two (they add up to the same whole).
        status = _worst(stats.cell_status(about_m.n, rules), stats.cell_status(rest_m.n, rules))
        if about_m.n == 0:
            status = "no_data"
        if banded:
            status = NOT_COMPARED
        about = rest = change = worse = None
        if status in ("ok", "low_n"):
            about, rest = stats.estimate(kpi.stat, about_m), stats.estimate(kpi.stat, rest_m)
            change = stats.change(kpi.stat, about_m, rest_m, estimates=(about, rest))
            if change.significant and change.delta:
                worse = (change.delta < 0) == measure.higher_is_better
        out.append(ThemeResult(theme, int(comments or 0),
                               100.0 * comments / total_comments if total_comments else None,
                               about, rest, change, status, worse, int(total_comments or 0)))
    return sorted(out, key=lambda r: -r.comments)


def patterns_of(model: Model) -> list[str]:
    """The search pattern of each of the model's themes, in order: what a comment's themes (and
    their fingerprint, cxdata.theme_flags) are found with."""
    return [search.any_word(t.words) for t in model.themes]


def _kept(cur, db, model: Model, cat: Catalog, view: ViewState, period, patterns: list[str], args: dict):
    """`queries.theme_cells` from the themes kept (cxdata.theme_flags), those of the comments
    listed without them searched alone and kept on the way (if the writes' lock is free); None
    for the search of every comment instead: a set of themes no view has counted that cannot be
    made now (read-only, an upload holding the writes), most comments without themes on a database
    that cannot keep them, a comment edited meanwhile."""
    fp = theme_flags.fingerprint(patterns)
    set_id = theme_flags.set_of(cur, fp)
    writable = db is not None and not db.read_only
    if set_id is None and (not writable or (set_id := theme_flags.ensure_set(db, cur, fp, len(patterns))) is None):
        return None
    got = queries.theme_groups(cur, model, cat, view, period, set_id=set_id, **args)
    if got.twice:
        return None
    groups = got.groups
    if got.unkept:
        # (none but after an edit of the themes, a removal, or an upload that kept none)
        if not writable and 2 * len(got.unkept) > len(got.unkept) + sum(g[1] for g in groups):
            return None  # (the search of them all is then the quicker)
        found = queries.comment_themes(cur, got.unkept, patterns)
        if found.num_rows < len(got.unkept):  # an upload edited some meanwhile: their new texts are not counted
            return None
        groups = _with(groups, got.unkept, found, model.measures[args["score_measure"]])
        if groups is None:
            return None
        if writable:
            theme_flags.fill(db, cur, set_id, found)  # (if it cannot now, a later view finds them again)
    return queries.theme_cells_of(groups, len(patterns))


def _with(groups: list[tuple], unkept: list[tuple], found, measure) -> list[tuple] | None:
    """`groups` (queries.ThemeGroups) with the comments `unkept`, each in the group of the themes
    found in it (`found`: queries.comment_themes); None if some has none found."""
    import numpy as np

    keys = np.array([u[0] for u in unkept], dtype=np.int64)
    scores = np.array([u[2] for u in unkept], dtype=np.float64)  # (None: NaN)
    found_keys = found["response_key"].to_numpy()
    order = np.argsort(found_keys)
    at = np.minimum(np.searchsorted(found_keys[order], keys), len(order) - 1)
    if not len(order) or not np.array_equal(found_keys[order][at], keys):
        return None
    flags = found["flags"].to_numpy()[order][at]
    out = {g[0]: list(g[1:]) for g in groups}
    scored = ~np.isnan(scores)
    for bits in np.unique(flags).tolist():
        these = flags == bits
        s = scores[these & scored]
        g = out.setdefault(bits, [0, 0, None, None, 0, 0])
        g[0] += int(these.sum())
        if len(s):
            g[1] += len(s)
            g[2] = (g[2] or 0.0) + float(s.sum())
            g[3] = (g[3] or 0.0) + float((s * s).sum())
            g[4] += int((s >= measure.top_box).sum())
            g[5] += int((s <= measure.bottom_box).sum())
    return sorted(((b, *g) for b, g in out.items()), key=lambda g: g[0])


def talked_about(results: list[ThemeResult]) -> tuple[list[ThemeResult], list[str]]:
    """The themes some comment listed is about, in order, and the names of those none is: a row
    of noughts and dashes per theme unnamed only pushed the others down (found by review)."""
    return [r for r in results if r.comments], [r.theme.name for r in results if not r.comments]


def none_about(names: list[str]) -> str:
    """The line that says which of the model's themes no comment listed is about ('' for none).
    (Semicolons between them: a theme's name may hold a comma or an 'or', 'Friendly, patient staff'.)"""
    if not names:
        return ""
    return f"No comment listed is about {'this theme' if len(names) == 1 else 'these themes'}: {'; '.join(names)}."


def compared(results: list[ThemeResult]) -> bool:
    """Whether the table sets each theme's KPI against the others' (not under a score band)."""
    return not any(r.status == NOT_COMPARED for r in results)


def not_compared_note(kpi: KPI, band: str) -> str:
    """Why the themes of the comments of one score band (`band`, as drill.score_bands names it) are
    counted and not compared, for the line under their table."""
    why = (f"a mean of {kpi.name} held within one band says little of a theme" if kpi.stat == "mean"
           else f"{kpi.name} would read the same for a theme and for the others by construction")
    return (f"Every comment listed came with a score of {band}: their themes are counted, not compared, as {why}. "
            "Choose all scores above to compare them.")


def _difference(r: ThemeResult, kpi: KPI) -> float | None:
    """About it minus the others, as the two values shown give it."""
    if r.about is None or r.rest is None or r.about.value is None or r.rest.value is None:
        return None
    return stats.shown_change(r.about.value, r.rest.value, kpi.stat)


def _shown(e: stats.Estimate | None, kpi: KPI) -> float | None:
    return None if e is None or e.value is None else stats.shown(e.value, kpi.stat)


def _verdict(r: ThemeResult) -> str:
    if r.status == "hidden":
        return "hidden (few answers)"
    if r.status in ("no_data", NOT_COMPARED):
        return ""
    words = ("significantly worse" if r.worse else "significantly better" if r.worse is False
             else "no significant difference")
    return words + (" · few answers" if r.status == "low_n" else "")


def _share(r: ThemeResult) -> float | None:
    return None if r.share is None else stats.round_half_up(r.share, 1)  # as the table's %.1f shows it


def frame(results: list[ThemeResult], kpi: KPI, model=None):
    """The themes as the page's table shows them: the KPI's values as its tiles write them, a
    mean's columns named with its scale ('Effort (CES) /7, about it': 4.10 alone said nothing of
    whether it was good; found by review) when the model is given. Under a score band, the counts
    and shares alone (`compared`)."""
    import pandas as pd

    from .formats import delta_text, kpi_title, stat_text

    name = kpi_title(kpi, model) if model is not None else kpi.name

    def diff(r: ThemeResult) -> str:
        d = _difference(r, kpi)
        return "" if d is None else delta_text(d, kpi.stat)

    counts = {"Theme": [r.theme.name for r in results], "Comments": [r.comments for r in results],
              "Share": [r.share for r in results]}
    if not compared(results):
        return pd.DataFrame(counts)
    return pd.DataFrame({
        **counts,
        f"{name}, about it": [stat_text(r.about.value if r.about else None, kpi.stat) for r in results],
        f"{name}, the others": [stat_text(r.rest.value if r.rest else None, kpi.stat) for r in results],
        "Difference": [diff(r) for r in results],
        "Verdict": [_verdict(r) for r in results],
    })


def export_frame(results: list[ThemeResult], kpi: KPI):
    """The themes' table for a spreadsheet: its figures numbers, not the screen's text ('-40.2
    pts' is no number to sort or sum, and a CSV guarded it as a formula), rounded as the screen
    shows them, their units in the columns' names: a share of answers in %, its differences in
    percentage points, an NPS's in points, a mean's on its scale. Blank where the screen has a dash.
    Under a score band, the counts and shares alone."""
    import pandas as pd

    value = "" if kpi.stat in ("mean", "nps") else "_pct"
    points = "" if kpi.stat == "mean" else "_pts"
    counts = {"theme": [r.theme.name for r in results], "comments": [r.comments for r in results],
              "share_pct": pd.array([_share(r) for r in results], dtype="Float64")}
    if not compared(results):  # (as the table shows them: counted, not compared)
        return pd.DataFrame(counts)
    return pd.DataFrame({
        **counts,
        "kpi": kpi.name,
        f"about_it{value}": pd.array([_shown(r.about, kpi) for r in results], dtype="Float64"),
        f"the_others{value}": pd.array([_shown(r.rest, kpi) for r in results], dtype="Float64"),
        f"difference{points}": pd.array([_difference(r, kpi) for r in results], dtype="Float64"),
        "verdict": [_verdict(r) for r in results],
    }, columns=["theme", "comments", "share_pct", "kpi", f"about_it{value}", f"the_others{value}",
                f"difference{points}", "verdict"])


def _worst(a: str, b: str) -> str:
    order = ("hidden", "low_n", "ok")
    return min(a, b, key=order.index)


__all__ = ["NOT_COMPARED", "ThemeResult", "compared", "export_frame", "frame", "none_about", "not_compared_note",
           "of_view", "talked_about"]
