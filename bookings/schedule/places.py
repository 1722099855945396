"""
Clinics and therapists as the schedule sees them: whether each is active decides whether
its times are offered at all (the availability policy reads the flags). Saving one that
opens or closes, joins or leaves, announces it, so the page cache and the waitlist hear of
it, and returns the confirmed bookings still ahead that it leaves without a place, for
reception to move.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bookings.models import Booking, BookingStatus, Clinic, Physiotherapist
from bookings.schedule import free_times
from bookings.signals import announce_schedule_changed


def _save(place: Clinic | Physiotherapist, **stranded) -> list[Booking]:
    """Save `place`, announce a change of its active flag, and return what its closing strands."""
    was_active = type(place).objects.filter(pk=place.pk).values_list("is_active", flat=True).first()
    place.save()
    if was_active != place.is_active:
        field = "clinic" if isinstance(place, Clinic) else "physiotherapist"
        free_times.refresh(slots=Q(**{field: place}))
        announce_schedule_changed()
    if place.is_active:
        return []
    upcoming = Booking.objects.filter(status=BookingStatus.CONFIRMED, slot__starts_at__gte=timezone.now(), **stranded)
    return list(upcoming.with_related().order_by("slot__starts_at"))


@transaction.atomic
def physiotherapist_save(*, physiotherapist: Physiotherapist) -> list[Booking]:
    """Save a therapist; if they stopped working, return their confirmed bookings ahead."""
    return _save(physiotherapist, slot__physiotherapist=physiotherapist)


@transaction.atomic
def clinic_save(*, clinic: Clinic) -> list[Booking]:
    """Save a clinic; if it closed, return its confirmed bookings ahead."""
    return _save(clinic, slot__clinic=clinic)
