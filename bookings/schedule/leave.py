"""
A therapist's leave and a clinic's closures. Saving either takes the free times inside it
off sale in the same transaction (the availability policy reads leave and closures
directly) and returns the confirmed bookings inside it, for reception to move.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from bookings.models import (
    Booking,
    BookingStatus,
    Clinic,
    ClinicClosure,
    Slot,
    TimeOff,
)
from bookings.schedule import free_times
from bookings.signals import announce_schedule_changed
from bookings.timeutils import day_bounds


def _slots_in_time_off(*rows: TimeOff) -> Q:
    """The slots that overlap any of `rows` (leave as it was and as it is, for an edit)."""
    slots = Q(pk__in=[])
    for row in rows:
        slots |= Q(physiotherapist_id=row.physiotherapist_id, starts_at__lt=row.ends_at, ends_at__gt=row.starts_at)
    return slots


def _slots_in_closure(*spans: tuple[Iterable[int], dt.date, dt.date]) -> Q:
    """The slots of the clinics on the days of each of `spans` (clinic ids, or a query of them; first day, last day)."""
    slots = Q(pk__in=[])
    for clinic_ids, first, last in spans:
        slots |= Q(clinic_id__in=clinic_ids, starts_at__gte=day_bounds(first)[0], starts_at__lt=day_bounds(last)[1])
    return slots


def bookings_inside(*, time_off: TimeOff | None = None, closure: ClinicClosure | None = None):
    """Return the confirmed bookings whose time lies inside `time_off` or `closure`: the patients to move."""
    bookings = Booking.objects.filter(status=BookingStatus.CONFIRMED).with_related().order_by("slot__starts_at")
    if time_off is not None:
        inside = _slots_in_time_off(time_off)
    else:
        inside = _slots_in_closure((closure.clinics.values("pk"), closure.start_date, closure.end_date))
    return bookings.filter(slot__in=Slot.objects.filter(inside))


@transaction.atomic
def time_off_save(*, time_off: TimeOff) -> list[Booking]:
    """
    Save a therapist's leave. From the commit on, no time inside it is offered (the
    availability policy reads leave directly); return the confirmed bookings inside
    it, which reception should move.
    """
    before = TimeOff.objects.filter(pk=time_off.pk).first() if time_off.pk else None
    time_off.save()
    free_times.refresh(slots=_slots_in_time_off(*filter(None, [before, time_off])))
    announce_schedule_changed()  # an edit that shortens leave frees times
    return list(bookings_inside(time_off=time_off))


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    """Remove leave: its free times are offered again."""
    slots = _slots_in_time_off(time_off)
    time_off.delete()
    free_times.refresh(slots=slots)
    announce_schedule_changed()


@transaction.atomic
def closure_save(*, closure: ClinicClosure, clinics: Iterable[Clinic]) -> list[Booking]:
    """Save a closure of one or more clinics; return the confirmed bookings inside it (as time_off_save)."""
    before = None
    if closure.pk:
        old = ClinicClosure.objects.filter(pk=closure.pk).first()
        if old is not None:
            before = (list(old.clinics.values_list("pk", flat=True)), old.start_date, old.end_date)
    closure.save()
    clinics = list(clinics)
    closure.clinics.set(clinics)
    now = ([clinic.pk for clinic in clinics], closure.start_date, closure.end_date)
    free_times.refresh(slots=_slots_in_closure(*filter(None, [before, now])))
    announce_schedule_changed()  # an edit that shortens a closure frees times
    return list(bookings_inside(closure=closure))


@transaction.atomic
def closure_delete(*, closure: ClinicClosure) -> None:
    slots = _slots_in_closure(
        (list(closure.clinics.values_list("pk", flat=True)), closure.start_date, closure.end_date)
    )
    closure.delete()
    free_times.refresh(slots=slots)
    announce_schedule_changed()
