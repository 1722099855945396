from django.apps import AppConfig


class BookingsConfig(AppConfig):
    """Clinics, physiotherapists, schedules, slots and bookings."""

    name = "bookings"
    verbose_name = "Bookings"

    def ready(self):
        from bookings import checks  # noqa: F401 - registers the system checks
        from bookings.booking import deposits, waitlist  # noqa: F401 - listen for freed times and refunds due
