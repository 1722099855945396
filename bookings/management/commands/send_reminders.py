from django.core.management.base import BaseCommand

from bookings.booking import deposits, waitlist
from bookings.messaging import dispatch, outbox


class Command(BaseCommand):
    help = (
        "Queue reminders of tomorrow's sessions and aftercare after today's attended ones (between "
        "09:00 and 21:00), and wake the worker for whatever is due in the outbox. Each message is owed "
        "once per booking: safe to run every few minutes, and concurrently. Also: the waitlist's run, and "
        "the deposits' safety nets (a checkout nobody heard back about is asked after; refunds due are made)."
    )

    def handle(self, *args, **options):
        reminded = dispatch.reminders_send()
        aftercare = dispatch.aftercare_send()
        # The waitlist's safety net: holds that ended pass on, entries past their last day expire.
        run = waitlist.waitlist_run()
        # Deposits: a lost callback is recovered by the status inquiry; a refund refused before is tried again.
        inquired = deposits.payments_inquire()
        refunds = deposits.refunds_run()
        # Also a safety net: whatever is due in the outbox (a wake lost to a crash) goes now.
        outbox.wake_worker()
        busy = reminded or aftercare or any(run.values()) or inquired["settled"] or any(refunds.values())
        if options["verbosity"] == 0 and not busy:
            return  # `make run` runs this every minute: a line only when something happened
        self.stdout.write(
            f"Queued {reminded} reminders and {aftercare} aftercare messages; "
            f"{run['offered']} waitlist offers, {run['lapsed']} lapsed, {run['expired']} entries expired; "
            f"{inquired['settled']} of {inquired['asked']} quiet payments settled, "
            f"{refunds['refunded']} refunds made, {refunds['failed']} refused."
        )
