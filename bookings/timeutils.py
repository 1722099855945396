"""Days and times in the clinics' time zone (Asia/Karachi)."""

import datetime as dt

from django.utils import dateformat, timezone
from django.utils.translation import pgettext

# How the front desk writes a day, on every page and in the clinic's emails: "Tue 8 Dec 2026"
# (Django's date format; the admin is English). One format, so a day reads the same in a page's
# title, its heading and the email about it.
DESK_DAY_FORMAT = "D j M Y"


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


def desk_day(value: dt.date | dt.datetime) -> str:
    """Return `value` as the front desk writes a day ("Tue 8 Dec 2026"); a datetime's day is Karachi's."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return dateformat.format(value, DESK_DAY_FORMAT)


def day_time(value: dt.datetime) -> str:
    """
    Return a time as a patient's page writes it with its day, in Karachi: "Thu 10 Dec, 11:00", and
    in Urdu with Urdu's comma, "جمعرات 10 دسمبر، 11:00" (the format is translated, once, here).
    """
    return dateformat.format(timezone.localtime(value), pgettext("a day and its time on a page", "D j M, H:i"))


def list_separator() -> str:
    """Return what joins the items of a list, or the parts of an address, in the current language: ", " or "، "."""
    return pgettext("between the items of a list", ", ")
