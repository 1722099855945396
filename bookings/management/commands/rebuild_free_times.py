from django.core.management.base import BaseCommand
from django.db.models import Q

from bookings.schedule import free_times


class Command(BaseCommand):
    help = (
        "Make the table of free times again from the availability policy, for every slot still ahead: after "
        "a change written around the schedule services (a shell, a data fix, a restored backup). Safe to run "
        "at any time, twice or beside bookings (it locks the slots it rebuilds, as a booking does)."
    )

    def handle(self, *args, **options):
        written = free_times.refresh(slots=Q())
        self.stdout.write(f"{written} free times written.")
