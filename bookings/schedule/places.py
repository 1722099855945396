"""
Clinics and therapists as the schedule sees them: whether each is active decides whether
its times are offered at all (the availability policy reads the flags). Saving one that
opens or closes, joins or leaves, announces it, so the page cache and the waitlist hear of
it, and returns the confirmed bookings still ahead that it leaves without a place, for
reception to move.
"""

from django.db import transaction
from django.utils import timezone

from bookings.models import Booking, BookingStatus, Clinic, Physiotherapist
from bookings.signals import announce_schedule_changed


def _was_active(model, pk: int | None) -> bool | None:
    return model.objects.filter(pk=pk).values_list("is_active", flat=True).first() if pk else None


def _stranded(**where) -> list[Booking]:
    """The confirmed bookings from now on matching `where`: the patients to move."""
    upcoming = Booking.objects.filter(status=BookingStatus.CONFIRMED, slot__starts_at__gte=timezone.now(), **where)
    return list(upcoming.with_related().order_by("slot__starts_at"))


@transaction.atomic
def physiotherapist_save(*, physiotherapist: Physiotherapist) -> list[Booking]:
    """Save a therapist; if they stopped working, return their confirmed bookings ahead."""
    was_active = _was_active(Physiotherapist, physiotherapist.pk)
    physiotherapist.save()
    if was_active != physiotherapist.is_active:
        announce_schedule_changed()
    return [] if physiotherapist.is_active else _stranded(slot__physiotherapist=physiotherapist)


@transaction.atomic
def clinic_save(*, clinic: Clinic) -> list[Booking]:
    """Save a clinic; if it closed, return its confirmed bookings ahead."""
    was_active = _was_active(Clinic, clinic.pk)
    clinic.save()
    if was_active != clinic.is_active:
        announce_schedule_changed()
    return [] if clinic.is_active else _stranded(slot__clinic=clinic)
