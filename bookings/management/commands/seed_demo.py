from django.core.management.base import BaseCommand
from django.db import transaction

from bookings import demo, services


class Command(BaseCommand):
    help = (
        "Load demo clinics, therapists, session types, weekly schedules, slots for the next 30 days, "
        "bookings in mixed states and the demo staff logins. Safe to run again: it adds only what is missing."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        import datetime as dt

        from bookings.timeutils import local_today

        clinics = demo.seed_clinics()
        therapists = demo.seed_therapists(clinics)
        session_types = demo.seed_session_types()
        created = services.slots_generate(start_date=local_today() - dt.timedelta(days=7), days=37)
        bookings = demo.seed_bookings(session_types)
        logins = demo.seed_staff()
        summary = f"{len(clinics)} clinics, {len(therapists)} therapists, {created} new slots, {bookings} bookings"
        self.stdout.write(f"Demo data: {summary}.")
        for role, username, password in logins:
            self.stdout.write(
                self.style.SUCCESS(f"{role}: http://127.0.0.1:8000/admin/  username {username}  password {password}")
            )
