import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bookings import demo
from bookings.schedule import slots
from bookings.timeutils import local_today


class Command(BaseCommand):
    help = (
        "Load demo clinics, therapists, session types, weekly schedules, slots for the next 30 days, "
        "a picture of a real fortnight of bookings and the demo staff logins. Safe to run again: it adds "
        "only what is missing. Refuses without DJANGO_DEBUG unless given --allow-production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with debug off (a staging site): its staff logins have published passwords.",
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, **options):
        # The demo's staff logins have their passwords in the README: on a real site they would
        # open every patient's phone number to anyone who has read it.
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates staff logins whose passwords are published in the README, so it runs only "
                "with DJANGO_DEBUG=1 (as `make run` sets). To load the demo on a site without debug anyway "
                "(a staging copy), pass --allow-production."
            )
        clinics = demo.seed_clinics()
        therapists = demo.seed_therapists(clinics)
        session_types = demo.seed_session_types()
        created = slots.slots_generate(start_date=local_today() - dt.timedelta(days=7), days=37)
        bookings = demo.seed_bookings(session_types)
        logins = demo.seed_staff(clinics)
        summary = f"{len(clinics)} clinics, {len(therapists)} therapists, {created} new slots, {bookings} bookings"
        self.stdout.write(f"Demo data: {summary}.")
        for role, username, password in logins:
            self.stdout.write(
                # The address `make run` serves (ASPIRE_SITE_URL follows its PORT).
                self.style.SUCCESS(
                    f"{role}: {settings.ASPIRE_SITE_URL}/admin/  username {username}  password {password}"
                )
            )
