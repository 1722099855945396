"""
A course of treatment: most patients come two to six times, a few days apart. After a
session is attended the patient is offered their next one with the same therapist, 3 to
10 days later, one tap per time; the sessions of one patient with one therapist are
linked as a Course, so each booking's page says "session 2 of 4". Moving or cancelling
one session is the usual service and leaves the others alone.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from bookings import selectors, services
from bookings.models import Booking, BookingStatus, Course, SessionType, Slot
from bookings.timeutils import day_bounds

NEXT_SESSION_DAYS = (3, 10)  # the next session, counted in days after the one attended


def next_session_offered(booking: Booking) -> bool:
    """Return whether `booking`'s page offers the next session: it was attended, and the patient still has a phone."""
    return booking.status == BookingStatus.ATTENDED and bool(booking.phone)


def next_session_times(booking: Booking, *, now: dt.datetime | None = None, limit: int = 6) -> list[Slot]:
    """Return the first free times with the same therapist 3 to 10 days after `booking`, soonest first."""
    day = timezone.localtime(booking.slot.starts_at).date()
    first, last = (day + dt.timedelta(days=n) for n in NEXT_SESSION_DAYS)
    slots = selectors.online_slots(now=now).filter(
        physiotherapist_id=booking.slot.physiotherapist_id,
        starts_at__gte=day_bounds(first)[0],
        starts_at__lt=day_bounds(last)[1],
    )
    return list(slots.select_related("clinic").order_by("starts_at")[:limit])


def course_position(booking: Booking) -> tuple[int, int] | None:
    """Return (n, of) for "session n of of" among the course's sessions not cancelled, or None outside a course."""
    if booking.course_id is None:
        return None
    counted = Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW])
    counts = Booking.objects.filter(counted, course_id=booking.course_id).aggregate(
        of=Count("pk"), before=Count("pk", filter=Q(slot__starts_at__lte=booking.slot.starts_at))
    )
    return (counts["before"], counts["of"]) if counts["of"] else None


@transaction.atomic
def next_session_book(*, booking: Booking, slot_id: int, now: dt.datetime | None = None) -> Booking:
    """
    Book the patient's next session at `slot_id`, with the details of the attended `booking`
    (no retyping), by the online rules. Both join one course. The same tap sent twice
    gives the same booking.
    """
    now = now or timezone.now()
    booking = services._lock_booking(booking)  # one next session at a time from one page
    if not next_session_offered(booking):
        raise services.InvalidTransition("A next session can be booked from a session once it is attended.")
    if not any(slot.pk == slot_id for slot in next_session_times(booking, now=now, limit=1000)):
        raise services.SlotUnavailable("That time is no longer free.")
    new = services.booking_create(
        slot_id=slot_id,
        session_type=SessionType.objects.for_next_session(booking.session_type),
        name=booking.name,
        phone=booking.phone.as_e164,
        email=booking.email,
        consent=True,
        form_key=f"next:{booking.pk}",
        now=now,
    )
    course_id = booking.course_id
    if course_id is None:
        course_id = Course.objects.create(
            patient_id=booking.patient_id, physiotherapist_id=booking.slot.physiotherapist_id
        ).pk
        Booking.objects.filter(pk=booking.pk).update(course_id=course_id)
    Booking.objects.filter(pk=new.pk).update(course_id=course_id)
    new.course_id = course_id
    return new
