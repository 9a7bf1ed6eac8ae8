from datetime import date

import pytest

from cxdata.period import Period, comparison, comparison_note, resolve

AS_OF = date(2025, 11, 14)


@pytest.mark.parametrize(
    "preset, start, end",
    [
        ("latest_month", date(2025, 11, 1), date(2025, 12, 1)),
        ("latest_quarter", date(2025, 10, 1), date(2026, 1, 1)),
        ("last_30_days", date(2025, 10, 16), date(2025, 11, 15)),
        ("last_90_days", date(2025, 8, 17), date(2025, 11, 15)),
        ("last_12_months", date(2024, 11, 15), date(2025, 11, 15)),
        ("year_to_date", date(2025, 1, 1), date(2025, 11, 15)),
        ("all", date(2024, 1, 1), date(2025, 11, 15)),
    ],
)
def test_presets(preset, start, end):
    assert resolve(preset, AS_OF, first=date(2024, 1, 1)) == Period(start, end)


@pytest.mark.parametrize("as_of, start", [
    (date(2024, 2, 28), date(2023, 3, 1)),  # found by an audit: started on 28 Feb, a year and a day
    (date(2024, 2, 29), date(2023, 3, 1)),
    (date(2025, 2, 28), date(2024, 3, 1)),  # twelve whole months, not from 29 Feb 2024
    (date(2024, 3, 31), date(2023, 4, 1)),
    (date(2024, 5, 15), date(2023, 5, 16)),
])
def test_the_last_12_months_are_a_year_long_around_29_february(as_of, start):
    p = resolve("last_12_months", as_of)
    assert p == Period(start, date.fromordinal(as_of.toordinal() + 1))
    assert p.days in (365, 366)
    assert comparison(p, "year") is not None


def test_custom_end_is_inclusive_and_validated():
    assert resolve("custom", AS_OF, start=date(2025, 1, 1), end=date(2025, 1, 31)) == Period(date(2025, 1, 1), date(2025, 2, 1))
    with pytest.raises(ValueError, match="before it starts"):
        resolve("custom", AS_OF, start=date(2025, 2, 1), end=date(2025, 1, 1))
    with pytest.raises(ValueError, match="unknown period"):
        resolve("fortnight", AS_OF)


@pytest.mark.parametrize(
    "current, mode, expected",
    [
        (Period(date(2025, 10, 1), date(2026, 1, 1)), "previous", Period(date(2025, 7, 1), date(2025, 10, 1))),
        (Period(date(2025, 3, 1), date(2025, 4, 1)), "previous", Period(date(2025, 2, 1), date(2025, 3, 1))),
        (Period(date(2025, 10, 16), date(2025, 11, 15)), "previous", Period(date(2025, 9, 16), date(2025, 10, 16))),
        (Period(date(2025, 10, 1), date(2026, 1, 1)), "year", Period(date(2024, 10, 1), date(2025, 1, 1))),
        (Period(date(2024, 2, 29), date(2024, 3, 1)), "year", Period(date(2023, 2, 28), date(2023, 3, 1))),
        # a range ending on 28 February of a leap year keeps 28 February of the year before
        (Period(date(2024, 2, 1), date(2024, 2, 29)), "year", Period(date(2023, 2, 1), date(2023, 3, 1))),
        (Period(date(2024, 1, 1), date(2024, 2, 29)), "year", Period(date(2023, 1, 1), date(2023, 3, 1))),
        # whole months map to whole months: February 2025 against all of February 2024
        (Period(date(2025, 2, 1), date(2025, 3, 1)), "year", Period(date(2024, 2, 1), date(2024, 3, 1))),
        # other ranges map day for day: 28 February 2025 back to 28 February 2024, not the 29th
        (Period(date(2025, 2, 10), date(2025, 3, 1)), "year", Period(date(2024, 2, 10), date(2024, 2, 29))),
        (Period(date(2025, 10, 1), date(2026, 1, 1)), "none", None),
        # a year back ending where the period starts: adjacent, not overlapping
        (Period(date(2024, 1, 1), date(2025, 1, 1)), "year", Period(date(2023, 1, 1), date(2024, 1, 1))),
        (Period(date(2024, 3, 1), date(2025, 3, 1)), "year", Period(date(2023, 3, 1), date(2024, 3, 1))),
        # longer than a year: the year back would overlap it
        (Period(date(2024, 1, 1), date(2025, 1, 2)), "year", None),
        (Period(date(2024, 1, 1), date(2026, 2, 1)), "year", None),
    ],
)
def test_comparison(current, mode, expected):
    assert comparison(current, mode) == expected
    assert (comparison_note(current, mode) is None) == (expected is not None or mode == "none")


def test_a_year_to_date_is_compared_with_the_same_dates_a_year_earlier():
    from cxdata.period import comparison_of

    ytd = resolve("year_to_date", date(2026, 9, 30))
    assert ytd == Period(date(2026, 1, 1), date(2026, 10, 1))
    assert comparison_of("year_to_date", ytd, "previous") == Period(date(2025, 1, 1), date(2025, 10, 1))
    assert comparison_of("year_to_date", ytd, "none") is None
    # other periods keep the one just before; all time has nothing before it
    q = resolve("latest_quarter", date(2026, 3, 31))
    assert comparison_of("latest_quarter", q, "previous") == Period(date(2025, 10, 1), date(2026, 1, 1))
    assert comparison_of("all", q, "previous") is None


@pytest.mark.parametrize(
    "period, label",
    [
        (Period(date(2025, 10, 1), date(2026, 1, 1)), "2025-Q4"),
        (Period(date(2025, 3, 1), date(2025, 4, 1)), "Mar 2025"),
        (Period(date(2025, 3, 5), date(2025, 3, 8)), "05 Mar 2025 – 07 Mar 2025"),
    ],
)
def test_labels(period, label):
    assert period.label() == label


def test_one_format_for_days_months_and_quarters():
    # The charts write their axes and tooltips with these (d3 reads the same directives): a trend
    # said "Q4 2024" beside captions saying "2026-Q3" (found in a review).
    from cxdata.period import DAY_FORMAT, MONTH_FORMAT, QUARTER_FORMAT, day_label, quarter_label

    assert day_label(date(2026, 7, 3)) == date(2026, 7, 3).strftime(DAY_FORMAT) == "03 Jul 2026"
    assert Period(date(2026, 7, 1), date(2026, 8, 1)).label() == date(2026, 7, 1).strftime(MONTH_FORMAT)
    assert [quarter_label(date(2026, m, 15)) for m in (1, 4, 9, 12)] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert QUARTER_FORMAT.replace("%Y", "2026").replace("%q", "3") == Period(date(2026, 7, 1), date(2026, 10, 1)).label()
