"""Time zones as a user chooses one: the zone in hand first, then the usual ones, then all."""

from __future__ import annotations

from zoneinfo import available_timezones

TIMEZONES = ["UTC", "Asia/Tehran", "Asia/Dubai", "Asia/Riyadh", "Asia/Jerusalem", "Europe/Sofia", "Europe/London",
             "Europe/Berlin", "Europe/Istanbul", "America/New_York", "America/Chicago", "America/Los_Angeles",
             "Asia/Kolkata", "Asia/Singapore", "Australia/Sydney"]


def zone_choices(current: str, browser: str | None) -> list[str]:
    """The mapping's zone, this browser's, the usual ones, then every other zone (a team in Tokyo
    could not choose its own: found by review)."""
    every = available_timezones()
    first = [z for z in (current, browser, *TIMEZONES) if z and (z in every or z == "UTC")]
    return list(dict.fromkeys(first + sorted(every - set(first))))
