from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from bookings import demo

DEMO_RECEPTIONIST = ("reception", "aspire-demo-2026")


class Command(BaseCommand):
    help = "Load the demo clinics, therapists, slots and bookings, and a demo receptionist login. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        clinics = demo.seed_clinics()
        self.stdout.write(f"Demo clinics: {len(clinics)}")
        username, password = DEMO_RECEPTIONIST
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True, "first_name": "Demo", "last_name": "Receptionist"}
        )
        if created:
            user.set_password(password)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo receptionist: http://127.0.0.1:8000/admin/  username {username!r}  password {password!r}"
            )
        )
