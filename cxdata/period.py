"""Reporting periods: presets relative to the latest response, custom ranges, comparison periods.

Presets are anchored on the date of the latest response ("as of"), not on today's date: survey
data arrives in batches, and "latest quarter" must mean the latest quarter that has data.
Periods are half-open [start, end) in calendar dates (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PRESETS = {
    "latest_month": "Latest month",
    "latest_quarter": "Latest quarter",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "last_12_months": "Last 12 months",
    "year_to_date": "Year to date",
    "all": "All time",
    "custom": "Custom range",
}
COMPARISONS = {"previous": "Previous period", "year": "Same period last year", "none": "No comparison"}
GRAINS = {"week": "Week", "month": "Month", "quarter": "Quarter"}
# How the app writes a day, a month and a quarter, in strftime's directives (d3's, in the charts,
# read them alike; %q, a quarter's number, is d3's alone). One set for captions, period labels,
# axes and tooltips: a trend's axis said "Q4 2024" beside a caption saying "2026-Q3".
DAY_FORMAT = "%d %b %Y"      # 03 Jul 2026
MONTH_FORMAT = "%b %Y"       # Jul 2026
QUARTER_FORMAT = "%Y-Q%q"    # 2026-Q3


def quarter_label(d: date) -> str:
    """The quarter of `d` as QUARTER_FORMAT writes it: 2026-Q3."""
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def label(self) -> str:
        s, e = self.start, self.last_day
        if s.day == 1 and self.end.day == 1:
            months = (self.end.year - s.year) * 12 + self.end.month - s.month
            if months == 3 and (s.month - 1) % 3 == 0:
                return quarter_label(s)
            if months == 1:
                return s.strftime(MONTH_FORMAT)
        return f"{day_label(s)} – {day_label(e)}"


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1) if d.day == 1 else _clamp_day(d.year + y, m + 1, d.day)


def _clamp_day(y: int, m: int, day: int) -> date:
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return date(y, m, min(day, (nxt - timedelta(days=1)).day))


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def resolve(preset: str, as_of: date, first: date | None = None, start: date | None = None, end: date | None = None) -> Period:
    """The current period for a preset; `end` for custom ranges is inclusive, as users type it."""
    nxt = as_of + timedelta(days=1)
    if preset == "latest_month":
        s = month_start(as_of)
        return Period(s, add_months(s, 1))
    if preset == "latest_quarter":
        s = quarter_start(as_of)
        return Period(s, add_months(s, 3))
    if preset == "last_30_days":
        return Period(nxt - timedelta(days=30), nxt)
    if preset == "last_90_days":
        return Period(nxt - timedelta(days=90), nxt)
    if preset == "last_12_months":
        if nxt.day == 1:
            return Period(add_months(nxt, -12), nxt)
        # The 12 months up to 28 February 2024 start on 1 March 2023: there is no 29 February
        # 2023 to start on, and 28 February would make them a year and a day.
        start = add_months(nxt, -12)
        return Period(start if start.day == nxt.day else start + timedelta(days=1), nxt)
    if preset == "year_to_date":
        return Period(date(as_of.year, 1, 1), nxt)
    if preset == "all":
        return Period(first or as_of, nxt)
    if preset == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs both a start and an end date")
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        return Period(start, end + timedelta(days=1))
    raise ValueError(f"unknown period {preset!r} (known: {', '.join(PRESETS)})")


def comparison(current: Period, mode: str) -> Period | None:
    """The period to compare with: the one just before (same length, or the previous calendar
    month/quarter when the current period is one), or the same dates a year earlier. None when
    that would overlap the current period (a range longer than a year against the year before):
    the two would share responses, which the change's test assumes independent, and the shared
    ones would let a hidden group be found by subtracting one period's figures from the other's."""
    if mode == "none":
        return None
    if mode == "year":
        year_back = Period(_year_back(current.start), _year_back_end(current))
        return None if year_back.end > current.start else year_back
    if mode != "previous":
        raise ValueError(f"unknown comparison {mode!r} (known: {', '.join(COMPARISONS)})")
    s, e = current.start, current.end
    if s.day == 1 and e.day == 1:
        months = (e.year - s.year) * 12 + e.month - s.month
        return Period(add_months(s, -months), s)
    return Period(s - timedelta(days=current.days), s)


def comparison_of(preset: str, current: Period, mode: str) -> Period | None:
    """`comparison` for a period chosen by `preset`: the period before a year to date is the same
    dates a year earlier (January to September against January to September, not against the
    nine months before, April to December), as CX reviews compare a year so far."""
    if preset == "all":
        return None
    if preset == "year_to_date" and mode == "previous":
        mode = "year"
    return comparison(current, mode)


def comparison_note(current: Period, mode: str, preset: str = "custom") -> str | None:
    """Why a comparison that was asked for is not shown, in words for the page (all time has
    nothing before it: no note)."""
    if preset != "all" and mode != "none" and comparison_of(preset, current, mode) is None:
        return ("No comparison: the same dates a year earlier overlap this period, which is longer than a "
                "year. Choose a range of a year or less, or compare with the previous period.")
    return None


def _year_back_end(current: Period) -> date:
    """The exclusive end of the same dates a year earlier. Whole months map to whole months
    (February 2025 against all of February 2024, its 29th included); otherwise the last day maps
    back, so a range ending on 28 February 2024 ends on 28 February 2023 too (the day after the
    last, 29 February, would map to 28 February and leave that day out)."""
    if current.end.day == 1 and current.start.day == 1:
        return _year_back(current.end)
    return _year_back(current.last_day) + timedelta(days=1)


def _year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def day_label(d: date | None) -> str:
    """A day as every caption writes it: 03 Jul 2026 (a period's ends and 'data as of' alike)."""
    return "—" if d is None else d.strftime(DAY_FORMAT)
