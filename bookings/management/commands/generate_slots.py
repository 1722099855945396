import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from bookings.schedule import slots
from bookings.timeutils import local_today


class Command(BaseCommand):
    help = (
        "Create the slots that weekly availability describes for the coming days, skipping time off and "
        "closures. Never duplicates or deletes a slot; safe to run daily from cron, twice, or concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=60, help="How many days ahead (default 60).")
        parser.add_argument("--start", help="First day, YYYY-MM-DD (default today, Karachi time).")

    def handle(self, *args, days, start, **options):
        if days < 1 or days > 800:
            raise CommandError("--days must be between 1 and 800.")
        try:
            start_date = dt.date.fromisoformat(start) if start else local_today()
        except ValueError:
            raise CommandError("--start must be a date like 2026-12-01.") from None
        created = slots.slots_generate(start_date=start_date, days=days)
        self.stdout.write(f"Created {created} slots from {start_date} for {days} days.")
