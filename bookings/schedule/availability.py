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
waitlist (bookings.booking.waitlist) is taken until its hold ends, for every channel.

A slot is off sale while it is blocked by reception, inside its therapist's time
off, inside a closure of its clinic, or while the therapist or clinic is inactive.
Nothing is copied onto the slot when leave or a closure is entered: entering it is
what takes the slot off sale, in the same transaction, and removing it puts the
slot back.

The lists patients are shown (bookings.schedule.selectors, the waitlist's matches, the next-session
offer) read this policy's answer stored: the table of free times (bookings.schedule.free_times),
filled by `on_sale` and the active bookings, read by `out_of_time`. A booking still asks `refusal`.
"""

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import BooleanField, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, ClinicClosure, Gender, Slot, TimeOff


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
    """The bookings that hold their slot at `now`: the active ones, a hold (waitlist, deposit) only until it ends."""
    return Q(status__in=ACTIVE_STATUSES) & (~Q(status=BookingStatus.HELD) | Q(held_until__gt=now))


def holds(booking: Booking, now: dt.datetime) -> bool:
    """Return whether `booking` holds its slot at `now` (as `holds_slot`, for a booking already read)."""
    return booking.status in ACTIVE_STATUSES and (booking.status != BookingStatus.HELD or booking.held_until > now)


def taken(now: dt.datetime) -> Exists:
    """True of a slot that a booking holds at `now` (`holds_slot`): booked, or held (waitlist, deposit)."""
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


_INACTIVE = Q(physiotherapist__is_active=False) | Q(clinic__is_active=False)


def _off_sale() -> dict[str, Q | Exists]:
    """Why a slot is off sale whatever the time: each a condition true of the slots it takes off sale."""
    return {
        "blocked": Q(is_blocked=True),
        "inactive": _INACTIVE,
        "closed": Exists(_closures()),
        "time_off": Exists(_time_off()),
    }


def on_offer(*, now: dt.datetime) -> Q:
    """
    True of a slot that is or was offered, as the owners' reports count offered time: not
    blocked, inside no leave and no closure, and, while still ahead, of an active therapist
    at an active clinic (a past slot of a therapist who has since left was offered when it
    passed). Whether it is taken, and the booking window, don't enter: a booked time was
    offered too.
    """
    return (
        Q(is_blocked=False)
        & ~Exists(_closures())
        & ~Exists(_time_off())
        & ~(_INACTIVE & Q(ends_at__gt=now))
    )


def _out_of_time(channel: Channel, now: dt.datetime) -> dict[str, Q]:
    """Why a slot can't be booked through `channel` at `now`: too late, too soon, too far ahead."""
    if channel == Channel.ONLINE:
        earliest, latest = booking_window(now)
        return {
            "passed": Q(starts_at__lte=now),
            "short_notice": Q(starts_at__lt=earliest),
            "too_far_ahead": Q(starts_at__gt=latest),
        }
    return {"passed": Q(ends_at__lte=now)}


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
    return Slot.objects.exclude(functools.reduce(operator.or_, _off_sale().values()))


def on_sale() -> QuerySet[Slot]:
    """Return the slots on sale whatever the time (not blocked, inactive, closed or on leave), taken or not."""
    return _on_sale(timezone.get_current_timezone_name()).all()


def out_of_time(*, channel: Channel, now: dt.datetime) -> Q:
    """True of a slot (or a row with its `starts_at`, `ends_at`) too late, too soon or too far ahead for `channel`."""
    return functools.reduce(operator.or_, _out_of_time(channel, now).values())


def bookable(*, channel: Channel, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Return the slots that can be booked now through `channel`: none of the refusals below is true of them."""
    now = now or timezone.now()
    return on_sale().exclude(out_of_time(channel=channel, now=now)).exclude(taken(now))


def with_flags(slots: QuerySet[Slot], *, channel: Channel | None = None, now: dt.datetime | None = None):
    """
    Annotate each slot with `bookable`'s refusals, to read back one by one: `inactive`, the
    reasons given for leave and closures (`time_off_reason`, `closure_reason`, None if none;
    being blocked is the slot's own field), and, for a `channel`, `<channel>_<reason>` for
    each reason its time can't be booked through it at `now` (`online_passed`, `staff_passed`,
    ...). `refusal` and `slot_state` read them.
    """
    flags = {"inactive": ExpressionWrapper(_INACTIVE, output_field=BooleanField())}
    if channel is not None:
        for key, condition in _out_of_time(channel, now or timezone.now()).items():
            flags[f"{channel}_{key}"] = ExpressionWrapper(condition, output_field=BooleanField())
    return slots.annotate(
        **flags,
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
    Return why `slot` can't be booked now through `channel`, or None if it can: the first
    of `bookable`'s conditions that is true of it, as a message fit to show a patient or a
    receptionist. The slot is read through `with_flags` for this channel and time (once
    here, if it wasn't). `active_bookings`, if given, are the slot's active bookings, already
    read (under its lock); `exclude_booking` is the booking being moved (its own slot doesn't
    count as taken by it). A waitlist hold that has ended doesn't count either: the service
    booking the slot lets it lapse.
    """
    now = now or timezone.now()
    late = {key: f"{channel}_{key}" for key in _out_of_time(channel, now)}
    if not all(hasattr(slot, name) for name in late.values()):
        flags = with_flags(Slot.objects.filter(pk=slot.pk), channel=channel, now=now)
        values = flags.values("inactive", "time_off_reason", "closure_reason", *late.values()).first()
        if values is None:
            return gettext("That time no longer exists.")
        for name, value in values.items():
            setattr(slot, name, value)
    if slot.is_blocked or slot.inactive:
        return gettext("That time is not available.")
    if slot.closure_reason is not None:
        return gettext("The clinic is closed that day (%(reason)s).") % {"reason": slot.closure_reason}
    if slot.time_off_reason is not None:
        # Urdu's verb follows the therapist's gender ("ہوں گی" for a woman): one string a gender.
        if slot.physiotherapist.gender == Gender.FEMALE:
            away = pgettext("female", "%(name)s is not working at that time.")
        else:
            away = pgettext("male", "%(name)s is not working at that time.")
        return away % {"name": slot.physiotherapist.name}
    if getattr(slot, late["passed"]):
        return gettext("That time has already passed.")
    if "short_notice" in late and getattr(slot, late["short_notice"]):
        return gettext("Online bookings need at least %(hours)s hours' notice.") % {
            "hours": f"{settings.ASPIRE_MIN_NOTICE_MINUTES / 60:g}"
        }
    if "too_far_ahead" in late and getattr(slot, late["too_far_ahead"]):
        return gettext("Online bookings open %(days)s days ahead.") % {"days": settings.ASPIRE_BOOKING_WINDOW_DAYS}
    if active_bookings is None:
        active_bookings = list(slot.bookings.filter(holds_slot(now)).only("pk", "status", "held_until"))
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

    key: str  # free, booked, held, attended, no_show, inactive, blocked, time_off, closed, past
    label: str
    note: str = ""  # the reason: why blocked, whose leave, which holiday
    can_book: bool = False  # the desk may book it now
    affected: bool = False  # an active booking inside leave or a closure: reception should move it
    walk_in: bool = False  # the desk books it now as a walk-in: its time has begun


def slot_state(slot: Slot, *, booking: Booking | None, now: dt.datetime) -> SlotState:
    """
    Return the state of a slot (loaded through `with_flags` for the staff channel) with its
    active `booking`.
    One precedence for every screen: a booking shows first, flagged if its time is now
    off sale; then an inactive therapist or clinic, a closure, leave, a block; then
    whether the desk can still book it.
    """
    closure, time_off = slot.closure_reason, slot.time_off_reason
    if slot.inactive:
        off = SlotState("inactive", "Not offered", "The therapist or the clinic is not active")
    elif closure is not None:
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
    if slot.staff_passed:  # the desk's own refusal: a time over is past booking, even as a walk-in
        return SlotState("past", "Free")
    return SlotState("free", "Free", can_book=True, walk_in=slot.starts_at <= now)
