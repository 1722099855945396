from django.core.management.base import BaseCommand

from bookings.booking import waitlist
from bookings.messaging import dispatch, outbox


class Command(BaseCommand):
    help = (
        "Queue reminders of tomorrow's sessions and aftercare after today's attended ones (between "
        "09:00 and 21:00), and wake the worker for whatever is due in the outbox. Each message is owed "
        "once per booking: safe to run every few minutes, and concurrently."
    )

    def handle(self, *args, **options):
        reminded = dispatch.reminders_send()
        aftercare = dispatch.aftercare_send()
        # The waitlist's safety net: holds that ended pass on, entries past their last day expire.
        run = waitlist.waitlist_run()
        # Also a safety net: whatever is due in the outbox (a wake lost to a crash) goes now.
        outbox.wake_worker()
        if options["verbosity"] == 0 and not (reminded or aftercare or any(run.values())):
            return  # `make run` runs this every minute: a line only when something happened
        self.stdout.write(
            f"Queued {reminded} reminders and {aftercare} aftercare messages; "
            f"{run['offered']} waitlist offers, {run['lapsed']} lapsed, {run['expired']} entries expired."
        )
