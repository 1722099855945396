"""
The periods a report covers, in Karachi days: this week, the last 4 weeks, this or last
month, or a range of days, each with the period it is compared with (the same number of
days just before it; the month before, for a month).
"""

import datetime as dt
from dataclasses import dataclass

from bookings.timeutils import day_bounds

# The longest range a report covers: a year, and a day for a leap year.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """The days `first` to `last` (both included)."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The aware start of the first day, in Karachi."""
        return day_bounds(self.first)[0]

    @property
    def end(self) -> dt.datetime:
        """The aware start of the day after the last: a period's times are start <= t < end."""
        return day_bounds(self.last)[1]

    def __str__(self) -> str:
        if self.first.year != self.last.year:
            return f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}"
        if self.first.month != self.last.month:
            return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"
        if self.first == self.last:
            return f"{self.first:%-d %b %Y}"
        return f"{self.first:%-d} – {self.last:%-d %b %Y}"


def _month(day: dt.date) -> Period:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first, following - dt.timedelta(days=1))


# What the period menu offers, in order: key, label.
CHOICES = [
    ("week", "This week"),
    ("4weeks", "Last 4 weeks"),
    ("month", "This month"),
    ("last_month", "Last month"),
    ("custom", "Custom range"),
]


def period_for(choice: str, *, today: dt.date, first: dt.date | None = None, last: dt.date | None = None) -> Period:
    """
    Return the period `choice` names on `today`: "week" Monday to Sunday of this week,
    "4weeks" the 28 days ending today, "month" and "last_month" whole months, "custom"
    `first` to `last` (at most MAX_DAYS; the caller checks them).
    """
    if choice == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return Period(monday, monday + dt.timedelta(days=6))
    if choice == "4weeks":
        return Period(today - dt.timedelta(days=27), today)
    if choice == "month":
        return _month(today)
    if choice == "last_month":
        return _month(today.replace(day=1) - dt.timedelta(days=1))
    if choice == "custom" and first and last:
        return Period(first, last)
    raise ValueError(f"No such period: {choice!r}")


def previous(period: Period) -> Period:
    """
    Return the period `period` is compared with: the month before a whole month, otherwise
    the same number of days just before it.
    """
    if period == _month(period.first):
        return _month(period.first - dt.timedelta(days=1))
    return Period(period.first - dt.timedelta(days=period.days), period.first - dt.timedelta(days=1))
