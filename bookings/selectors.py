"""What the bookings pages read."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch

from bookings.models import ACTIVE_STATUSES, Booking, Clinic, Physiotherapist, Slot


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
    counts: dict[str, int]


def clinic_day_schedule(*, clinic: Clinic, day: dt.date) -> DaySchedule:
    """
    Return one clinic's day as a grid: therapists across, start times down.
    Each slot carries `.booking` (its active booking, or None). Two queries,
    whatever the number of slots and bookings.
    """
    active = Prefetch(
        "bookings",
        queryset=Booking.objects.filter(status__in=ACTIVE_STATUSES).select_related("patient", "session_type"),
        to_attr="active_bookings",
    )
    slots = list(
        Slot.objects.filter(clinic=clinic).on_day(day).select_related("physiotherapist").prefetch_related(active)
    )
    therapists = sorted({slot.physiotherapist for slot in slots}, key=lambda p: p.name)
    column = {therapist.pk: i for i, therapist in enumerate(therapists)}
    rows: dict[dt.datetime, ScheduleRow] = {}
    counts = {"free": 0, "booked": 0, "attended": 0, "no_show": 0, "blocked": 0}
    for slot in slots:
        slot.booking = slot.active_bookings[0] if slot.active_bookings else None
        if slot.booking:
            key = {"confirmed": "booked"}.get(slot.booking.status, slot.booking.status)
        else:
            key = "blocked" if slot.is_blocked else "free"
        slot.state = key
        counts[key] += 1
        row = rows.setdefault(slot.starts_at, ScheduleRow(time=slot.starts_at, cells=[None] * len(therapists)))
        row.cells[column[slot.physiotherapist_id]] = slot
    return DaySchedule(
        clinic=clinic, day=day, therapists=therapists, rows=[rows[t] for t in sorted(rows)], counts=counts
    )
