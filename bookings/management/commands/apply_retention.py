from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.booking import privacy


class Command(BaseCommand):
    help = (
        "Erase or delete personal data past its keeping time (settings ASPIRE_RETAIN_*): old cancelled bookings' "
        "names and numbers, patients with no session in years, old staff login records. Bookings are never "
        "deleted. Safe to run daily from cron, twice, or concurrently."
    )

    def handle(self, *args, **options):
        summary = privacy.retention_apply()
        self.stdout.write(str(summary))
        kept = [
            name
            for name in (
                "ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS",
                "ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS",
                "ASPIRE_RETAIN_LOGIN_LOG_DAYS",
            )
            if getattr(settings, name) <= 0
        ]
        if kept:
            self.stdout.write(f"Kept without limit (set to 0): {', '.join(kept)}.")
