from django.core.management.base import BaseCommand

from bookings import services


class Command(BaseCommand):
    help = (
        "Remind patients of tomorrow's sessions and send aftercare after today's attended ones. "
        "Each message goes once per booking: safe to run every few minutes, and concurrently."
    )

    def handle(self, *args, **options):
        reminded = services.reminders_send()
        aftercare = services.aftercare_send()
        self.stdout.write(f"Sent {reminded} reminders and {aftercare} aftercare messages.")
