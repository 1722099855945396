"""
Messages owed by the clock or by the desk rather than by a change: the reminder the day
before, aftercare the day of, and "your time needs moving" after leave or a closure. Each
goes once per booking, however often the job runs or reception presses, and only in the
message hours when no one asked for it.
"""

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bookings.messaging import events
from bookings.models import (
    Booking,
    BookingStatus,
)
from bookings.timeutils import day_bounds

# Why a booked time can't go ahead, as the message tells the patient: the clinic is closed that day,
# or their therapist is away then (leave, or weekly hours that no longer cover it).
MOVE_REASONS = ("closed", "away")


def bookings_offer_move(*, bookings: Iterable[Booking], reason: str, now: dt.datetime | None = None) -> int:
    """
    Tell each patient their time is affected, and why (`reason`, one of MOVE_REASONS), and
    offer to move, with their booking link; once per booking, however often reception presses.
    """
    if reason not in MOVE_REASONS:
        raise ValueError(f"Unknown reason {reason!r}: one of {MOVE_REASONS}")
    now = now or timezone.now()
    ids = [booking.pk for booking in bookings]
    due = Booking.objects.filter(pk__in=ids, status=BookingStatus.CONFIRMED)
    send = partial(events.booking_offer_move, reason=reason)
    return _send_once(due, field="move_offered_at", now=now, send=send)


def _send_once(due, *, field: str, now: dt.datetime, send) -> int:
    """
    Queue one message per booking in `due` and record it in `field`, in one transaction
    per booking: the outbox row and the mark commit together, so a message is owed
    exactly once however many runs overlap or die. A second run at the same moment skips
    a booking another run holds (SKIP LOCKED; SQLite's IMMEDIATE transactions make it
    wait, then it sees the mark). Return how many were queued.
    """
    sent = 0
    for booking_id in list(due.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True)):
        with transaction.atomic():
            still_due = (
                Booking.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=booking_id, **{f"{field}__isnull": True})
                .with_related()
            )
            booking = still_due.first()
            if booking is None:
                continue  # another run has it, or has sent it
            send(booking=booking)
            Booking.objects.filter(pk=booking_id).update(**{field: now})
            sent += 1
    return sent


def within_message_hours(now: dt.datetime) -> bool:
    """Return whether `now` is a humane hour (Karachi time) to send a patient a message they didn't ask for."""
    return settings.ASPIRE_MESSAGE_HOURS_START <= timezone.localtime(now).hour < settings.ASPIRE_MESSAGE_HOURS_END


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """
    Remind each confirmed booking of tomorrow (Karachi time) once, during message hours.
    A booking made less than a day before its session has just had its confirmation and
    gets no separate reminder.
    """
    now = now or timezone.now()
    if not within_message_hours(now):
        return 0
    start, end = day_bounds(timezone.localtime(now).date() + dt.timedelta(days=1))
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        slot__starts_at__gte=start,
        slot__starts_at__lt=end,
        created_at__lte=F("slot__starts_at") - dt.timedelta(days=1),
    )
    return _send_once(due, field="reminder_sent_at", now=now, send=events.booking_reminder)


def aftercare_send(*, now: dt.datetime | None = None) -> int:
    """Send aftercare once, during message hours, to each attended booking whose session ended in the last day."""
    now = now or timezone.now()
    if not within_message_hours(now):
        return 0
    due = Booking.objects.filter(
        status=BookingStatus.ATTENDED, slot__ends_at__lte=now, slot__ends_at__gt=now - dt.timedelta(days=1)
    )
    return _send_once(due, field="aftercare_sent_at", now=now, send=events.booking_aftercare)
