"""
A course of treatment: most patients come two to six times, a few days apart. After a
session is attended the patient is offered their next one with the same therapist, 3 to
10 days later, one tap per time; the sessions of one patient with one therapist are
linked as a Course, so each booking's page says "session 2 of 4". Moving or cancelling
one session is the usual service and leaves the others alone.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from bookings import errors
from bookings.booking import patients, services
from bookings.models import ACTIVE_STATUSES, Booking, BookingSource, BookingStatus, Course, SessionType, Slot
from bookings.phones import try_normalize_phone
from bookings.schedule import availability, selectors
from bookings.schedule.availability import Channel
from bookings.timeutils import at, day_bounds

NEXT_SESSION_DAYS = (3, 10)  # the next session, counted in days after the one attended
NEXT_TIMES_PER_DAY = 2  # the times offered spread over days: a patient who can't come that day sees another
COURSE_GAP_DAYS = 28  # earlier sessions at most this far apart belong to the course a next session starts
# The sessions a course counts: those not cancelled (nor a waitlist's hold).
COUNTED_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]


def next_session_offered(booking: Booking) -> bool:
    """Return whether `booking`'s page offers the next session: it was attended, and the patient still has a phone."""
    return booking.status == BookingStatus.ATTENDED and bool(booking.phone)


def _next_session_slots(booking: Booking, *, now: dt.datetime | None = None):
    """Return the free times with the same therapist 3 to 10 days after `booking` (the online rules)."""
    day = timezone.localtime(booking.slot.starts_at).date()
    first, last = (day + dt.timedelta(days=n) for n in NEXT_SESSION_DAYS)
    return selectors.online_slots(now=now).filter(
        physiotherapist_id=booking.slot.physiotherapist_id,
        starts_at__gte=day_bounds(first)[0],
        starts_at__lt=day_bounds(last)[1],
    )


def next_session_times(booking: Booking, *, now: dt.datetime | None = None, limit: int = 6) -> list[Slot]:
    """
    Return `limit` free times with the same therapist 3 to 10 days after `booking`, soonest
    first and spread over days: at most two a day, the nearest days first, then (too few days
    free) the other times of those days. One query: a therapist's week of times is a few dozen.
    """
    slots = list(_next_session_slots(booking, now=now).select_related("clinic").order_by("starts_at"))
    per_day: dict[dt.date, int] = {}
    spread, rest = [], []
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        per_day[day] = per_day.get(day, 0) + 1
        (spread if per_day[day] <= NEXT_TIMES_PER_DAY else rest).append(slot)
    chosen = spread[:limit] + rest[: max(0, limit - len(spread))]
    return sorted(chosen, key=lambda slot: slot.starts_at)


def course_position(booking: Booking) -> tuple[int, int] | None:
    """Return (n, of) for "session n of of" among the course's sessions not cancelled, or None outside a course."""
    if booking.course_id is None:
        return None
    counted = Q(status__in=COUNTED_STATUSES)
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
    booking = services.lock_booking(booking)  # one next session at a time from one page
    if not next_session_offered(booking):
        raise errors.InvalidTransition(gettext("A next session can be booked from a session once it is attended."))
    form_key = f"next:{booking.pk}"
    repeat = Booking.objects.filter(form_key=form_key, slot_id=slot_id, status__in=ACTIVE_STATUSES).first()
    if repeat is not None:
        return repeat  # the same tap again (a double tap): the booking it made, not "no longer free"
    if not _next_session_slots(booking, now=now).filter(pk=slot_id).exists():
        raise errors.SlotUnavailable(gettext("That time is no longer free."))
    new = services.book_online(
        slot_id=slot_id,
        session_type=SessionType.objects.for_next_session(booking.session_type),
        name=booking.patient.name,  # the person's name now: the desk may have corrected it since
        phone=booking.phone.as_e164,
        email=booking.email,
        consent=True,
        form_key=form_key,
        language=booking.language,
        now=now,
    )
    course_id = booking.course_id
    if course_id is None:
        course_id = Course.objects.create(
            patient_id=booking.patient_id, physiotherapist_id=booking.slot.physiotherapist_id
        ).pk
        for session in [*_earlier_sessions(booking), booking]:
            services.booking_join_course(booking=session, course_id=course_id)
    services.booking_join_course(booking=new, course_id=course_id)
    return new


def _earlier_sessions(booking: Booking) -> list[Booking]:
    """
    Return the patient's sessions with the same therapist before `booking` that no course holds,
    back to a gap of more than COURSE_GAP_DAYS: they were booked one by one, and the course
    the next session starts counts them ("session 3 of 3", not "2 of 2" after two attended).
    """
    candidates = (
        Booking.objects.filter(
            patient_id=booking.patient_id,
            slot__physiotherapist_id=booking.slot.physiotherapist_id,
            slot__starts_at__lt=booking.slot.starts_at,
            status__in=COUNTED_STATUSES,
            course__isnull=True,
        )
        .select_related("slot")
        .order_by("-slot__starts_at")
    )
    earlier, after = [], booking.slot.starts_at
    for session in candidates:
        if after - session.slot.starts_at > dt.timedelta(days=COURSE_GAP_DAYS):
            break
        earlier.append(session)
        after = session.slot.starts_at
    return earlier


# A course booked at the desk in one go ----------------------------------------------------------------


class CourseClash(errors.BookingError):
    code = "course_clash"


@dataclass
class PlannedSession:
    """One session of a planned course: its time, the slot there (if any), and why it can't be booked (if so)."""

    number: int
    starts_at: dt.datetime
    slot: Slot | None
    problem: str | None


def course_plan(
    *,
    first_slot: Slot,
    sessions: int,
    every_days: int,
    phone: str = "",
    name: str = "",
    now: dt.datetime | None = None,
) -> list[PlannedSession]:
    """
    Return the course of `sessions` sessions every `every_days` days from `first_slot`, with the
    same therapist at the same clinic and time of day, each with what would stop it being booked
    by the desk now: no slot then, the availability policy's refusal, or the patient (`name` under `phone`)
    already busy then. Two queries, whatever the number of sessions.
    """
    now = now or timezone.now()
    start = timezone.localtime(first_slot.starts_at)
    times = [
        at(start.date() + dt.timedelta(days=i * every_days), start.time().replace(tzinfo=None)) for i in range(sessions)
    ]
    slots = availability.with_flags(
        Slot.objects.filter(physiotherapist_id=first_slot.physiotherapist_id, starts_at__in=times),
        channel=Channel.STAFF,
        now=now,
    ).select_related("clinic", "physiotherapist")
    e164 = try_normalize_phone(phone) if phone else None
    if e164 and name:
        mine = Booking.objects.filter(
            patients.busy_during(starts_at=OuterRef("starts_at"), ends_at=OuterRef("ends_at"), now=now),
            patient__in=patients.the_person(phone=e164, name=name),
        )
        slots = slots.annotate(patient_busy=Exists(mine))
    slots = {slot.starts_at: slot for slot in slots.prefetch_related(_active_bookings())}
    plan = []
    for number, when in enumerate(times, start=1):
        slot = slots.get(when)
        if slot is None or slot.clinic_id != first_slot.clinic_id:
            problem = f"{first_slot.physiotherapist.name} has no time at {start:%H:%M} here that day."
        else:
            problem = availability.refusal(slot, channel=Channel.STAFF, now=now, active_bookings=slot.active)
            if problem is None and getattr(slot, "patient_busy", False):
                problem = "The patient already has a session at that time."
        plan.append(PlannedSession(number, when, slot, problem))
    return plan


def _active_bookings():
    return Prefetch("bookings", queryset=Booking.objects.filter(status__in=ACTIVE_STATUSES), to_attr="active")


@transaction.atomic
def course_book(
    *,
    first_slot: Slot,
    sessions: int,
    every_days: int,
    session_type: SessionType,
    name: str,
    phone: str,
    email: str = "",
    notes: str = "",
    consent: bool = False,
    source: str = BookingSource.PHONE,
    text: bool | None = None,
    created_by=None,
    now: dt.datetime | None = None,
) -> Course:
    """
    Book a whole course at the desk, all or nothing: lock every session's slot (in one order,
    so two desks booking overlapping courses can't deadlock), re-check, book each. If any
    session can't be booked, nothing is, and CourseClash says which. `text` as book_at_desk.
    """
    now = now or timezone.now()
    if not 2 <= sessions <= 12 or not 1 <= every_days <= 28:
        raise errors.BookingError("A course is 2 to 12 sessions, every 1 to 28 days.")
    plan = course_plan(first_slot=first_slot, sessions=sessions, every_days=every_days, phone=phone, name=name, now=now)
    missing = [p for p in plan if p.slot is None]
    if missing:
        raise CourseClash(_clashes(missing))
    services.lock_slots(sorted(p.slot.pk for p in plan))
    course = Course.objects.create(
        patient=patients.patient_get_or_create(phone=phone, name=name, email=email),
        physiotherapist_id=first_slot.physiotherapist_id, every_days=every_days,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )  # fmt: skip
    refused = []
    for planned in plan:
        try:
            with transaction.atomic():
                booking = services.book_at_desk(
                    slot_id=planned.slot.pk, session_type=session_type, name=name, phone=phone, email=email,
                    notes=notes, consent=consent, source=source, text=text, created_by=created_by, now=now,
                )  # fmt: skip
        except errors.BookingError as exc:
            planned.problem = str(exc)
            refused.append(planned)
            continue
        services.booking_join_course(booking=booking, course_id=course.pk)
    if refused:
        raise CourseClash(_clashes(refused))  # the atomic() of this function undoes every session
    return course


def _clashes(planned: list[PlannedSession]) -> str:
    return "Nothing was booked. " + " ".join(
        f"Session {p.number} ({timezone.localtime(p.starts_at):%a %d %b %H:%M}): {p.problem}" for p in planned
    )
