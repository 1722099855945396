"""The admin lives in bookings.desk.admin (a module per subject); Django's autodiscovery imports this one to find it."""

from bookings.desk import admin  # noqa: F401
