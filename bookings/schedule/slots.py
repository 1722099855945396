"""
Slots: made from weekly hours for the booking window (idempotently, safe to run twice or
at once), saved one by one at the desk, blocked and unblocked in bulk. A booked slot keeps
its time, therapist and clinic; it is never blocked.
"""

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from bookings.errors import ScheduleRefused
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    ClinicClosure,
    Physiotherapist,
    Slot,
    TimeOff,
    WeeklyAvailability,
)
from bookings.schedule import availability, free_times
from bookings.signals import announce_schedule_changed
from bookings.timeutils import at, local_today


@transaction.atomic
def slots_set_blocked(
    *, slots: Iterable[Slot], blocked: bool, reason: str = "", by: AbstractBaseUser | None = None
) -> tuple[int, list[Slot]]:
    """
    Block or unblock slots, each with its history entry (who, when). A slot that a booking
    holds is never blocked: return it in the skipped list.
    """
    ids = [slot.pk for slot in slots]
    locked = list(Slot.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    skipped = []
    if blocked:
        held = Booking.objects.filter(availability.holds_slot(timezone.now()), slot_id__in=ids)
        booked_ids = set(held.values_list("slot_id", flat=True))
        skipped = [slot for slot in locked if slot.pk in booked_ids]
        targets = [slot for slot in locked if slot.pk not in booked_ids]
    else:
        targets = locked
    slots_mark_blocked(targets, blocked=blocked, reason=reason, by=by)
    announce_schedule_changed()
    return len(targets), skipped


def slots_mark_blocked(
    slots: list[Slot], *, blocked: bool, reason: str = "", by: AbstractBaseUser | None = None
) -> None:
    """Write the block (or its end) on locked `slots` in bulk, with a history entry for each."""
    for slot in slots:
        slot.is_blocked, slot.block_reason = blocked, reason if blocked else ""
    bulk_update_with_history(slots, Slot, ["is_blocked", "block_reason"], batch_size=500, default_user=by)
    if slots:
        free_times.refresh(slots=Q(pk__in=[slot.pk for slot in slots]))


SLOT_PLACE_FIELDS = ("physiotherapist_id", "clinic_id", "starts_at", "ends_at")


@transaction.atomic
def slot_save(*, slot: Slot) -> Slot:
    """
    Save a new or edited slot. A slot with an active booking keeps its time, therapist
    and clinic (moving the patient is booking_move, which tells them) and can't be
    blocked; a slot never overlaps another of the same therapist.
    """
    if slot.pk:
        current = Slot.objects.select_for_update().get(pk=slot.pk)
        booked = current.bookings.filter(status__in=ACTIVE_STATUSES).exists()
        moved = any(getattr(current, name) != getattr(slot, name) for name in SLOT_PLACE_FIELDS)
        if booked and moved:
            raise ScheduleRefused(
                "This time is booked: its time, therapist and clinic can't change. Move the booking instead."
            )
        if booked and slot.is_blocked and not current.is_blocked:
            raise ScheduleRefused("This time is booked and can't be blocked: cancel or move the booking first.")
    clash = Slot.objects.overlapping(
        physiotherapist_id=slot.physiotherapist_id, starts_at=slot.starts_at, ends_at=slot.ends_at
    ).exclude(pk=slot.pk)
    if clash.exists():
        raise ScheduleRefused(f"This overlaps another slot of the same therapist: {clash.first()}.")
    if not slot.is_blocked:
        slot.block_reason = ""
    slot.save()
    free_times.refresh(slots=Q(pk=slot.pk))
    announce_schedule_changed()  # a new or unblocked time: the waitlist hears of it
    return slot


class _Periods:
    """
    One therapist's busy periods, kept sorted by start, so that asking whether a new
    period overlaps any of them looks at its neighbours only, not at every period: a
    year of slots is then made in one pass instead of a quadratic one.
    """

    def __init__(self) -> None:
        self.starts: list[dt.datetime] = []
        self.ends: list[dt.datetime] = []
        self.longest = dt.timedelta(0)

    def add(self, start: dt.datetime, end: dt.datetime) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        self.longest = max(self.longest, end - start)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        # A period that overlaps [start, end) began after start - longest and before end.
        i = bisect.bisect_right(self.starts, start - self.longest)
        while i < len(self.starts) and self.starts[i] < end:
            if self.ends[i] > start:
                return True
            i += 1
        return False


def slots_generate(
    *,
    start_date: dt.date | None = None,
    days: int = 60,
    physiotherapists: Iterable[Physiotherapist] | None = None,
) -> int:
    """
    Create the slots that weekly availability describes, from `start_date` for
    `days` days, skipping time off and clinic closures. Never duplicates a slot,
    never changes or deletes an existing one; safe to run twice or concurrently
    (the unique and exclusion constraints turn a racing duplicate into a no-op).
    Return how many slots were created.
    """
    start_date = start_date or local_today()
    end_date = start_date + dt.timedelta(days=days)
    availabilities = WeeklyAvailability.objects.filter(valid_from__lt=end_date).exclude(valid_until__lt=start_date)
    availabilities = availabilities.filter(physiotherapist__is_active=True, clinic__is_active=True)
    if physiotherapists is not None:
        availabilities = availabilities.filter(physiotherapist__in=list(physiotherapists))
    availabilities = list(availabilities)
    if not availabilities:
        return 0
    therapist_ids = {a.physiotherapist_id for a in availabilities}
    window_start, window_end = at(start_date, dt.time.min), at(end_date, dt.time.min)

    time_off: dict[int, _Periods] = defaultdict(_Periods)
    for off in TimeOff.objects.filter(
        physiotherapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ):
        time_off[off.physiotherapist_id].add(off.starts_at, off.ends_at)
    closed: set[tuple[int, dt.date]] = set()
    for clinic_id, first, last in ClinicClosure.objects.filter(
        start_date__lt=end_date, end_date__gte=start_date
    ).values_list("clinics", "start_date", "end_date"):
        day = first
        while day <= last:
            closed.add((clinic_id, day))
            day += dt.timedelta(days=1)
    existing: dict[int, _Periods] = defaultdict(_Periods)
    for physio_id, starts_at, ends_at in Slot.objects.filter(
        physiotherapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("physiotherapist_id", "starts_at", "ends_at"):
        existing[physio_id].add(starts_at, ends_at)

    new_slots = []
    day = start_date
    while day < end_date:
        for hours in availabilities:
            if hours.weekday != day.weekday() or (hours.clinic_id, day) in closed:
                continue
            if day < hours.valid_from or (hours.valid_until and day > hours.valid_until):
                continue
            length = dt.timedelta(minutes=hours.slot_minutes)
            start, close = at(day, hours.start_time), at(day, hours.end_time)
            while start + length <= close:
                end = start + length
                physio = hours.physiotherapist_id
                if not time_off[physio].overlaps(start, end) and not existing[physio].overlaps(start, end):
                    new_slots.append(
                        Slot(physiotherapist_id=physio, clinic_id=hours.clinic_id, starts_at=start, ends_at=end)
                    )
                    existing[physio].add(start, end)
                start = end
        day += dt.timedelta(days=1)
    made_since = timezone.now()  # bulk_create with ignore_conflicts gives no ids: the new slots are those made since
    with transaction.atomic():
        before = Slot.objects.filter(physiotherapist_id__in=therapist_ids).count()
        Slot.objects.bulk_create(new_slots, batch_size=500, ignore_conflicts=True)
        free_times.refresh(slots=Q(physiotherapist_id__in=therapist_ids, created_at__gte=made_since))
        announce_schedule_changed()
        return Slot.objects.filter(physiotherapist_id__in=therapist_ids).count() - before
