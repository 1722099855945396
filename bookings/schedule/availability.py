"""
The one availability policy: whether a slot can be booked now, through a channel
(a patient online, or the front desk), and why not; the queryset of the slots
that can; and what state the schedule shows a slot in.

Public pages, the booking services, the admin's slot picker and the schedule all
ask here, so what a patient is offered, what the desk sees and what a booking
may take never disagree. The conditions are written once, as query expressions:
the queryset filters on them, and a single slot's refusal reads the same
expressions back as annotations.

A slot is taken while it has an active booking; a time held for a patient on the
waitlist (bookings.waitlist) is taken until its hold ends, for every channel.

A slot is off sale while it is blocked by reception, inside its therapist's time
off, inside a closure of its clinic, or while the therapist or clinic is inactive.
Nothing is copied onto the slot when leave or a closure is entered: entering it is
what takes the slot off sale, in the same transaction, and removing it puts the
slot back.
"""

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, ClinicClosure, Slot, TimeOff


class Channel(StrEnum):
    ONLINE = "online"  # a patient on the public site: minimum notice and booking window apply
    STAFF = "staff"  # the front desk: any time until the slot ends (a walk-in into the running hour)


def booking_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return the earliest and latest start a patient may book online (minimum notice, booking window)."""
    earliest = now + dt.timedelta(minutes=settings.ASPIRE_MIN_NOTICE_MINUTES)
    latest = now + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS)
    return earliest, latest


# The conditions, each once -------------------------------------------------------------------


def holds_slot(now: dt.datetime) -> Q:
    """The bookings that hold their slot at `now`: the active ones, but a waitlist hold only until it ends."""
    return Q(status__in=ACTIVE_STATUSES) & (~Q(status=BookingStatus.HELD) | Q(held_until__gt=now))


def holds(booking: Booking, now: dt.datetime) -> bool:
    """Return whether `booking` holds its slot at `now` (as `holds_slot`, for a booking already read)."""
    return booking.status in ACTIVE_STATUSES and (booking.status != BookingStatus.HELD or booking.held_until > now)


def _taken(now: dt.datetime) -> Exists:
    return Exists(Booking.objects.filter(holds_slot(now), slot=OuterRef("pk")))


def _time_off():
    return TimeOff.objects.filter(
        physiotherapist=OuterRef("physiotherapist"),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    )


def _closures():
    # The slot's day in Karachi; the wrapper tells TruncDate what the outer column is.
    starts_at = ExpressionWrapper(OuterRef("starts_at"), output_field=DateTimeField())
    day = TruncDate(starts_at, tzinfo=timezone.get_current_timezone())
    return ClinicClosure.objects.filter(clinics=OuterRef("clinic"), start_date__lte=day, end_date__gte=day)


_ON_SALE = Q(is_blocked=False, physiotherapist__is_active=True, clinic__is_active=True)


def _in_time(channel: Channel, now: dt.datetime) -> Q:
    if channel == Channel.ONLINE:
        earliest, latest = booking_window(now)
        return Q(starts_at__gte=earliest, starts_at__lte=latest)
    return Q(ends_at__gt=now)


@functools.cache
def _on_sale(timezone_name: str) -> QuerySet[Slot]:
    """
    The conditions that don't depend on the time, resolved once per process: building
    their subqueries was half the Python cost of a day of free times (1.5 ms of CPU a
    query for three on the benchmark's machine, against 0.1 ms to copy them). Never
    evaluated itself (its result would be kept): `bookable` returns a filtered copy.
    One per time zone, as a closure's days are read in the current one. Whether a
    slot is taken depends on the time (a waitlist hold ends), so `bookable` adds it.
    """
    return Slot.objects.filter(_ON_SALE, ~Exists(_time_off()), ~Exists(_closures()))


def bookable(*, channel: Channel, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Return the slots that can be booked now through `channel`."""
    now = now or timezone.now()
    return _on_sale(timezone.get_current_timezone_name()).filter(_in_time(channel, now), ~_taken(now))


def with_flags(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    """Annotate each slot with why it may be off sale: `time_off_reason` and `closure_reason` (None if not)."""
    return slots.annotate(
        time_off_reason=Subquery(_time_off().values("reason")[:1]),
        closure_reason=Subquery(_closures().values("reason")[:1]),
    )


# One slot ----------------------------------------------------------------------------------


def refusal(
    slot: Slot,
    *,
    channel: Channel,
    now: dt.datetime | None = None,
    exclude_booking: Booking | None = None,
    active_bookings: list[Booking] | None = None,
) -> str | None:
    """
    Return why `slot` can't be booked now through `channel`, or None if it can. The
    message is fit to show a patient or a receptionist. `active_bookings`, if given,
    are the slot's active bookings, already read; `exclude_booking` is the booking
    being moved (its own slot doesn't count as taken by it). A waitlist hold that
    has ended doesn't count either: the service booking the slot lets it lapse.
    """
    now = now or timezone.now()
    if not hasattr(slot, "closure_reason"):
        flags = with_flags(Slot.objects.filter(pk=slot.pk)).values("time_off_reason", "closure_reason").first() or {}
        slot.time_off_reason, slot.closure_reason = flags.get("time_off_reason"), flags.get("closure_reason")
    if slot.is_blocked or not (slot.physiotherapist.is_active and slot.clinic.is_active):
        return gettext("That time is not available.")
    if slot.closure_reason is not None:
        return gettext("The clinic is closed that day (%(reason)s).") % {"reason": slot.closure_reason}
    if slot.time_off_reason is not None:
        return gettext("%(name)s is not working at that time.") % {"name": slot.physiotherapist.name}
    if channel == Channel.ONLINE:
        earliest, latest = booking_window(now)
        if slot.starts_at <= now:
            return gettext("That time has already passed.")
        if slot.starts_at < earliest:
            return gettext("Online bookings need at least %(hours)s hours' notice.") % {
                "hours": f"{settings.ASPIRE_MIN_NOTICE_MINUTES / 60:g}"
            }
        if slot.starts_at > latest:
            return gettext("Online bookings open %(days)s days ahead.") % {"days": settings.ASPIRE_BOOKING_WINDOW_DAYS}
    elif slot.ends_at <= now:
        return gettext("That time has already passed.")
    if active_bookings is None:
        active_bookings = list(slot.bookings.filter(status__in=ACTIVE_STATUSES).only("pk", "status", "held_until"))
    holding = [booking for booking in active_bookings if holds(booking, now)]
    if any(exclude_booking is None or booking.pk != exclude_booking.pk for booking in holding):
        if any(booking.status == BookingStatus.HELD for booking in holding):
            return gettext("That time is held for a patient on the waitlist for a few minutes.")
        return gettext("That time was just taken.")
    return None


# What the schedule shows -------------------------------------------------------------------


@dataclass(frozen=True)
class SlotState:
    """A slot as the front desk sees it: one word for its colour, and what can be done with it."""

    key: str  # free, booked, held, attended, no_show, blocked, time_off, closed, past
    label: str
    note: str = ""  # the reason: why blocked, whose leave, which holiday
    can_book: bool = False  # the desk may book it now
    affected: bool = False  # an active booking inside leave or a closure: reception should move it


def slot_state(slot: Slot, *, booking: Booking | None, now: dt.datetime) -> SlotState:
    """
    Return the state of a slot (loaded through `with_flags`) with its active `booking`.
    One precedence for every screen: a booking shows first, flagged if its time is now
    off sale; then a closure, leave, a block; then whether the desk can still book it.
    """
    closure, time_off = slot.closure_reason, slot.time_off_reason
    if closure is not None:
        off = SlotState("closed", "Closed", closure)
    elif time_off is not None:
        off = SlotState("time_off", "Therapist away", time_off)
    elif slot.is_blocked:
        off = SlotState("blocked", "Blocked", slot.block_reason)
    else:
        off = None
    if booking is not None and not holds(booking, now):
        booking = None  # a waitlist hold that has ended: the time is free again
    if booking is not None:
        key = {"confirmed": "booked"}.get(booking.status, booking.status)
        affected = off is not None and booking.status == "confirmed"
        return SlotState(key, booking.get_status_display(), off.note if affected else "", affected=affected)
    if off is not None:
        return off
    if slot.ends_at <= now:
        return SlotState("past", "Free")
    return SlotState("free", "Free", can_book=True)
