"""Days and times in the clinics' time zone (Asia/Karachi)."""

import datetime as dt

from django.utils import timezone


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the aware start of `day` and of the next day, in the current time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def local_today() -> dt.date:
    return timezone.localdate()


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """Return `time` on `day` as an aware datetime in the current time zone."""
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())
