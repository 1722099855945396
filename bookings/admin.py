"""The admin lives in bookings.desk.admin; Django's admin autodiscovery imports this module to find it."""

from bookings.desk import admin  # noqa: F401
