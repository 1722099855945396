"""
What the bookings services announce. A service sends `schedule_changed` once its
transaction commits, whatever it wrote and however (save, update, bulk_create);
whoever keeps a copy of what patients are offered (the page cache) listens here,
and the domain never imports it.
"""

from django.db import transaction
from django.dispatch import Signal

schedule_changed = Signal()
# A refund fell due (bookings.booking.money): the worker that asks the provider for it listens
# (bookings.booking.deposits), so the rules of a deposit never import the payments' worker.
refund_due = Signal()


def announce_schedule_changed() -> None:
    """Send `schedule_changed` when the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: schedule_changed.send(sender=None))


def announce_refund_due() -> None:
    """Send `refund_due` when the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: refund_due.send(sender=None))
