"""
English dates and times as the front desk writes them (the admin is English): one way of writing a
day, "Tue 8 Dec 2026" (bookings.timeutils.DESK_DAY_FORMAT), and the 24-hour clock. Django's en_GB
formats wrote "8 Dec 2026, 7 p.m." and "midnight" in the admin's columns and read-only fields.
Only these are set; everything else (input formats, the first day of the week) stays Django's en_GB.
No patient page uses a default format: theirs name their own.
"""

from bookings.timeutils import DESK_DAY_FORMAT

DATE_FORMAT = DESK_DAY_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = f"{DESK_DAY_FORMAT}, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
