from django.apps import AppConfig


class BookingsConfig(AppConfig):
    """Clinics, physiotherapists, schedules, slots and bookings."""

    name = "bookings"
    verbose_name = "Bookings"
