"""
What the bookings services announce. A service sends `schedule_changed` once its
transaction commits, whatever it wrote and however (save, update, bulk_create);
whoever keeps a copy of what patients are offered (the page cache) listens here,
and the domain never imports it.
"""

from django.db import transaction
from django.dispatch import Signal

schedule_changed = Signal()


def announce_schedule_changed() -> None:
    """Send `schedule_changed` when the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: schedule_changed.send(sender=None))
