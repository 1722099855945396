"""
What the front desk reads: one clinic's day as a grid, which clinics (and so which slots,
bookings, patients and hours) each member of staff sees, and the search by reference, name
or phone.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Clinic,
    ClinicClosure,
    DepositStatus,
    Message,
    MessageAudience,
    Patient,
    Physiotherapist,
    Slot,
    TimeOff,
    WeeklyAvailability,
    format_pkr,
)
from bookings.phones import try_normalize_phone
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from bookings.schedule.selectors import closed_because, closed_on
from bookings.timeutils import day_bounds


@dataclass
class ScheduleRow:
    time: dt.datetime
    cells: list[Slot | None] = field(default_factory=list)


@dataclass
class DaySchedule:
    clinic: Clinic
    day: dt.date
    therapists: list[Physiotherapist]
    rows: list[ScheduleRow]
    counts: dict[str, int]  # slots by state key; "free" only those still ahead (see clinic_day_schedule)
    closed: str | None = None  # why the clinic is closed that day: a closure's reason, or "No one works on Sundays"


@dataclass(frozen=True)
class DepositBadge:
    """A booking's deposit as the schedule shows it: words, not a colour alone."""

    key: str  # the booking's deposit_status: owed, paid, kept, refund_due, refunded, waived
    label: str
    note: str = ""  # until when the time is held for it, or what is left to pay at the desk


DEPOSIT_LABELS = {
    DepositStatus.OWED: "Deposit owed",
    DepositStatus.PAID: "Deposit paid",
    DepositStatus.KEPT: "Deposit kept",
    DepositStatus.REFUND_DUE: "Refund due",
    DepositStatus.REFUNDED: "Refunded",
    DepositStatus.WAIVED: "Waived",
}


def deposit_badge(booking: Booking) -> DepositBadge | None:
    """
    Return the badge of `booking`'s deposit (None: it had none), from the booking's own row and
    its session type (no query): a time held for it says until when, a paid one what is left to pay.
    """
    label = DEPOSIT_LABELS.get(booking.deposit_status)
    if label is None:
        return None
    note = ""
    if booking.deposit_status == DepositStatus.OWED and booking.held_until is not None:
        note = f"held until {timezone.localtime(booking.held_until):%H:%M}"
    elif booking.deposit_status == DepositStatus.PAID and booking.status == BookingStatus.ATTENDED:
        note = f"counted: {format_pkr(booking.to_pay_at_clinic)} was to pay at the desk"
    elif booking.deposit_status == DepositStatus.PAID:
        note = f"to pay: {format_pkr(booking.to_pay_at_clinic)}"
    return DepositBadge(key=booking.deposit_status, label=label, note=note)


def _read_slots(slots: QuerySet[Slot], *, now: dt.datetime) -> list[Slot]:
    """
    Read `slots` for the desk's grids, each with `.booking` (its active booking, or None,
    with `.reminder`, its latest reminder, and `.deposit_badge`) and `.state` (the availability policy's
    SlotState). Three queries, whatever the number of slots and bookings.
    """
    reminders = Prefetch(
        "messages",
        queryset=Message.objects.filter(kind="reminder", audience=MessageAudience.PATIENT).order_by("-created_at"),
        to_attr="reminders",
    )
    active = Prefetch(
        "bookings",
        queryset=Booking.objects.filter(status__in=ACTIVE_STATUSES)
        .select_related("patient", "session_type", "screening")
        .prefetch_related(reminders),
        to_attr="active_bookings",
    )
    slots = availability.with_flags(slots, channel=Channel.STAFF, now=now)
    slots = list(slots.select_related("physiotherapist").prefetch_related(active))
    for slot in slots:
        # A waitlist hold that has ended doesn't hold the slot: the desk sees the time free.
        slot.booking = next((b for b in slot.active_bookings if availability.holds(b, now)), None)
        if slot.booking is not None:  # the latest reminder's state: delivered, read, failed (call them)
            slot.booking.reminder = slot.booking.reminders[0] if slot.booking.reminders else None
            slot.booking.deposit_badge = deposit_badge(slot.booking)
        slot.state = availability.slot_state(slot, booking=slot.booking, now=now)
    return slots


def clinic_day_schedule(*, clinic: Clinic, day: dt.date, now: dt.datetime | None = None) -> DaySchedule:
    """
    Return one clinic's day as a grid: therapists across, start times down. Each slot
    carries `.booking` (its active booking, or None) and `.state` (the availability
    policy's SlotState). Four queries, whatever the number of slots and bookings.
    """
    now = now or timezone.now()
    slots = _read_slots(Slot.objects.filter(clinic=clinic).on_day(day), now=now)
    therapists = sorted({slot.physiotherapist for slot in slots}, key=lambda p: p.name)
    column = {therapist.pk: i for i, therapist in enumerate(therapists)}
    rows: dict[dt.datetime, ScheduleRow] = {}
    # "free" counts the free times still ahead; a free time already begun (bookable as a walk-in) is
    # counted apart, as "walk_in", and one that is over as "past".
    keys = [
        "free",
        "walk_in",
        "booked",
        "held",
        "attended",
        "no_show",
        "inactive",
        "blocked",
        "time_off",
        "closed",
        "past",
    ]
    counts = dict.fromkeys(keys, 0)
    for slot in slots:
        counts["walk_in" if slot.state.walk_in else slot.state.key] += 1
        row = rows.setdefault(slot.starts_at, ScheduleRow(time=slot.starts_at, cells=[None] * len(therapists)))
        row.cells[column[slot.physiotherapist_id]] = slot
    return DaySchedule(
        clinic=clinic,
        day=day,
        therapists=therapists,
        rows=[rows[t] for t in sorted(rows)],
        counts=counts,
        closed=None if slots else closed_because(clinic=clinic, day=day),
    )


def week_start(day: dt.date) -> dt.date:
    """Return the Monday of `day`'s week: the desk's week runs Monday to Sunday."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class WeekDay:
    day: dt.date
    closed: str | None = None  # why a day with no times is closed (closed_because), else None
    slots: int = 0  # how many times it has


@dataclass
class WeekRow:
    time: dt.time  # a time of day, Karachi's
    cells: list[list[Slot]] = field(default_factory=list)  # one list a day: the times starting then


@dataclass
class WeekSchedule:
    clinic: Clinic
    first_day: dt.date  # a Monday
    days: list[WeekDay]
    rows: list[WeekRow]
    therapist: Physiotherapist | None = None  # one therapist's week at the clinic, or None: everyone's
    therapists: list[Physiotherapist] = field(default_factory=list)  # who works at the clinic, to switch to


def clinic_week_schedule(
    *, clinic: Clinic, day: dt.date, therapist_id: int | None = None, now: dt.datetime | None = None
) -> WeekSchedule:
    """
    Return the week (Monday to Sunday) holding `day` at one clinic, everyone's or that of one
    therapist who works there (`therapist_id`; Physiotherapist.DoesNotExist for one who
    doesn't): days across, times of day down, each cell the slots that start then, read as
    the day's grid reads them (`.booking`, `.state`), and the therapists who work at the
    clinic that week or after, to switch to. At most six queries, whatever the number of
    slots and bookings.
    """
    now = now or timezone.now()
    first = week_start(day)
    days = [first + dt.timedelta(days=i) for i in range(7)]
    start, _ = day_bounds(first)
    _, end = day_bounds(days[-1])
    slots = Slot.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    working = Q(availabilities__clinic=clinic) & ~Q(availabilities__valid_until__lt=first)
    therapists = list(
        Physiotherapist.objects.filter(working | Q(pk__in=slots.values("physiotherapist_id")))
        .distinct()
        .order_by("name")
    )
    therapist = None
    if therapist_id is not None:
        therapist = next((t for t in therapists if t.pk == therapist_id), None)
        if therapist is None:
            raise Physiotherapist.DoesNotExist(f"Therapist {therapist_id} does not work at {clinic.name}.")
        slots = slots.filter(physiotherapist=therapist)
    slots = _read_slots(slots, now=now)
    week_days = [WeekDay(day=d) for d in days]
    rows: dict[dt.time, WeekRow] = {}
    for slot in slots:
        local = timezone.localtime(slot.starts_at)
        index = (local.date() - first).days
        row = rows.setdefault(local.time(), WeekRow(time=local.time(), cells=[[] for _ in days]))
        row.cells[index].append(slot)  # in the slots' order: by therapist's name
        week_days[index].slots += 1
    empty = [d.day for d in week_days if not d.slots]
    if empty:
        reasons = closed_on(clinic=clinic, days=empty)
        for week_day in week_days:
            week_day.closed = reasons.get(week_day.day)
    return WeekSchedule(
        clinic=clinic,
        first_day=first,
        days=week_days,
        rows=[rows[t] for t in sorted(rows)],
        therapist=therapist,
        therapists=therapists,
    )


def sees_all_clinics(user) -> bool:
    """Return whether `user` runs every clinic's desk (a clinic manager), not only those assigned to them."""
    return user.is_superuser or user.has_perm("bookings.view_all_clinics")


def clinics_for(user) -> QuerySet[Clinic]:
    """
    Return the clinics whose desk `user` runs: every clinic for a clinic manager, the
    clinics they are assigned to for a receptionist (none until a manager assigns one).
    Everything else a member of staff may see is read through this one rule.
    """
    if sees_all_clinics(user):
        return Clinic.objects.all()
    return Clinic.objects.filter(front_desk=user)


def bookings_for(user) -> QuerySet[Booking]:
    return Booking.objects.filter(slot__clinic__in=clinics_for(user))


def slots_for(user) -> QuerySet[Slot]:
    return Slot.objects.filter(clinic__in=clinics_for(user)).select_related("clinic", "physiotherapist")


def patients_for(user) -> QuerySet[Patient]:
    """Return the patients `user` may see: those with a booking at one of their clinics (everyone, for a manager)."""
    if sees_all_clinics(user):
        return Patient.objects.all()
    return Patient.objects.filter(pk__in=bookings_for(user).values("patient_id"))


def household_names(patients, phone: str) -> list[str]:
    """The names of the people (of `patients`, those the desk may see) the number books for, at most 10."""
    people = patients.filter(contact__phone=phone, erased_at__isnull=True).order_by("name")
    return list(people.values_list("name", flat=True)[:10])


def physiotherapists_for(user) -> QuerySet[Physiotherapist]:
    """Return the therapists `user` may see and enter leave for: those who work at one of their clinics."""
    if sees_all_clinics(user):
        return Physiotherapist.objects.all()
    return Physiotherapist.objects.filter(pk__in=availabilities_for(user).values("physiotherapist_id"))


def availabilities_for(user) -> QuerySet[WeeklyAvailability]:
    return WeeklyAvailability.objects.filter(clinic__in=clinics_for(user))


def time_off_for(user) -> QuerySet[TimeOff]:
    """Return the leave `user` may see and change: that of the therapists who work at their clinics."""
    return TimeOff.objects.filter(physiotherapist__in=physiotherapists_for(user))


def closures_for(user) -> QuerySet[ClinicClosure]:
    """Return the closures of at least one of `user`'s clinics."""
    if sees_all_clinics(user):
        return ClinicClosure.objects.all()
    closed = ClinicClosure.clinics.through.objects.filter(clinic__in=clinics_for(user))
    return ClinicClosure.objects.filter(pk__in=closed.values("clinicclosure_id"))


def bookings_search(query: str, *, user=None, limit: int = 20) -> list[Booking]:
    """
    Find bookings by reference, name, or phone: in any spelling, or its last 4 or more
    digits. Upcoming first, then the most recent past ones.
    """
    query = query.strip()
    digits = "".join(c for c in query if c.isdigit())
    match = Q(reference__iexact=query) | Q(name__icontains=query) | Q(patient__name__icontains=query)
    e164 = try_normalize_phone(query)
    if e164:
        match |= Q(phone=e164)
    elif len(digits) >= 4 and len(digits) == len(query.replace(" ", "").replace("-", "")):
        match |= Q(phone__endswith=digits)
    bookings = (bookings_for(user) if user is not None else Booking.objects.all()).filter(match).with_related()
    now = timezone.now()
    upcoming = list(bookings.filter(slot__starts_at__gte=now).order_by("slot__starts_at")[:limit])
    past = list(bookings.filter(slot__starts_at__lt=now).order_by("-slot__starts_at")[: limit - len(upcoming)])
    return upcoming + past
