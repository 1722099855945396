"""
A therapist's leave and a clinic's closures. Saving either takes the free times inside it
off sale in the same transaction (the availability policy reads leave and closures
directly) and returns the confirmed bookings inside it, for reception to move.
"""

from collections.abc import Iterable

from django.db import transaction

from bookings.models import (
    Booking,
    BookingStatus,
    Clinic,
    ClinicClosure,
    TimeOff,
)
from bookings.signals import announce_schedule_changed
from bookings.timeutils import day_bounds


def bookings_inside(*, time_off: TimeOff | None = None, closure: ClinicClosure | None = None):
    """Return the confirmed bookings whose time lies inside `time_off` or `closure`: the patients to move."""
    bookings = Booking.objects.filter(status=BookingStatus.CONFIRMED).with_related().order_by("slot__starts_at")
    if time_off is not None:
        return bookings.filter(
            slot__physiotherapist_id=time_off.physiotherapist_id,
            slot__starts_at__lt=time_off.ends_at,
            slot__ends_at__gt=time_off.starts_at,
        )
    start, _ = day_bounds(closure.start_date)
    _, end = day_bounds(closure.end_date)
    return bookings.filter(slot__clinic__in=closure.clinics.all(), slot__starts_at__gte=start, slot__starts_at__lt=end)


@transaction.atomic
def time_off_save(*, time_off: TimeOff) -> list[Booking]:
    """
    Save a therapist's leave. From the commit on, no time inside it is offered (the
    availability policy reads leave directly); return the confirmed bookings inside
    it, which reception should move.
    """
    time_off.save()
    announce_schedule_changed()  # an edit that shortens leave frees times
    return list(bookings_inside(time_off=time_off))


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    """Remove leave: its free times are offered again."""
    time_off.delete()
    announce_schedule_changed()


@transaction.atomic
def closure_save(*, closure: ClinicClosure, clinics: Iterable[Clinic]) -> list[Booking]:
    """Save a closure of one or more clinics; return the confirmed bookings inside it (as time_off_save)."""
    closure.save()
    closure.clinics.set(list(clinics))
    announce_schedule_changed()  # an edit that shortens a closure frees times
    return list(bookings_inside(closure=closure))


@transaction.atomic
def closure_delete(*, closure: ClinicClosure) -> None:
    closure.delete()
    announce_schedule_changed()
