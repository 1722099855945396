"""
A therapist's weekly hours at a clinic, set as people say them (days, start and end, a
break), from a day on: the rows, the times they put on sale and take off, and the booked
times left outside them.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.errors import ScheduleRefused
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Clinic,
    Physiotherapist,
    Slot,
    Weekday,
    WeeklyAvailability,
)
from bookings.schedule.slots import slots_generate, slots_mark_blocked
from bookings.signals import announce_schedule_changed
from bookings.timeutils import at


def _minutes(clock: dt.time) -> int:
    return clock.hour * 60 + clock.minute


@dataclass(frozen=True)
class DayHours:
    """One weekday of a therapist's week as people say it: from `start` to `end`, with an optional break."""

    start: dt.time
    end: dt.time
    break_start: dt.time | None = None
    break_end: dt.time | None = None

    def periods(self) -> list[tuple[dt.time, dt.time]]:
        """Return the working periods: one, or two either side of the break."""
        if self.break_start is None or self.break_end is None:
            return [(self.start, self.end)]
        return [(self.start, self.break_start), (self.break_end, self.end)]

    def problem(self, *, slot_minutes: int) -> tuple[str, str] | None:
        """Return what is wrong with these hours as (the field at fault, a message), or None."""
        if self.end <= self.start:
            return "end", "The day must end after it starts."
        if (self.break_start is None) != (self.break_end is None):
            return ("break_end" if self.break_end is None else "break_start"), "Give the break's start and end."
        if self.break_start is not None:
            if self.break_end <= self.break_start:
                return "break_end", "The break must end after it starts."
            if not self.start < self.break_start or not self.break_end < self.end:
                return "break_start", "The break must lie inside the working day."
        for start, end in self.periods():
            if _minutes(end) - _minutes(start) < slot_minutes:
                return "end", f"{start:%H:%M}–{end:%H:%M} is shorter than one {slot_minutes}-minute slot."
        return None


@dataclass
class WeeklyHoursResult:
    """What saving a week did: its rows, the times offered and taken off sale, the bookings to move."""

    hours: list[WeeklyAvailability]
    slots_created: int
    slots_removed: int  # free times outside the new hours, deleted (or blocked, if a cancelled booking keeps them)
    affected: list[Booking]  # confirmed bookings outside the new hours


def _same_hours(a: WeeklyAvailability, b: WeeklyAvailability) -> bool:
    fields = ("weekday", "start_time", "end_time", "slot_minutes")
    return all(getattr(a, name) == getattr(b, name) for name in fields)


def _dates_overlap(row: WeeklyAvailability, first: dt.date, last: dt.date | None) -> bool:
    return (row.valid_until is None or row.valid_until >= first) and (last is None or row.valid_from <= last)


def _validity(row: WeeklyAvailability) -> str:
    until = f" until {row.valid_until:%d %b %Y}" if row.valid_until else ""
    return f"from {row.valid_from:%d %b %Y}{until}"


def _check_week(*, days: Mapping[int, DayHours], slot_minutes: int, valid_from, valid_until, today) -> None:
    if valid_from < today:
        raise ScheduleRefused("New hours can start today at the earliest: past days keep the hours they had.")
    if valid_until is not None and valid_until < valid_from:
        raise ScheduleRefused("The last day of the new hours can't be before the first.")
    if slot_minutes < 5:
        raise ScheduleRefused("A slot is at least 5 minutes long.")
    for weekday, hours in days.items():
        if weekday not in Weekday.values:
            raise ScheduleRefused(f"There is no weekday {weekday}.")
        problem = hours.problem(slot_minutes=slot_minutes)
        if problem:
            raise ScheduleRefused(f"{Weekday(weekday).label}: {problem[1]}")


def _hours_on(hours: list[WeeklyAvailability], day: dt.date) -> list[WeeklyAvailability]:
    return [h for h in hours if h.weekday == day.weekday() and _dates_overlap(h, day, day)]


def _covers(hours: list[WeeklyAvailability], slot: Slot, *, on_grid: bool) -> bool:
    """
    Return whether the week's `hours` cover `slot`: it lies inside a working period
    of its day, and, if `on_grid`, it is exactly one of the slots that period is cut
    into (the times slots_generate would make).
    """
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    if end.date() != start.date() and end.time() != dt.time.min:
        return False
    first, last = _minutes(start.time()), _minutes(end.time()) or 24 * 60
    for h in _hours_on(hours, start.date()):
        if not _minutes(h.start_time) <= first < last <= _minutes(h.end_time):
            continue
        if not on_grid:
            return True
        if last - first == h.slot_minutes and (first - _minutes(h.start_time)) % h.slot_minutes == 0:
            return True
    return False


def bookings_outside_hours(
    *,
    physiotherapist: Physiotherapist,
    clinic: Clinic | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
):
    """
    Return the confirmed bookings with `physiotherapist` (at `clinic`, if given) from
    `since` (now) whose time lies outside their weekly hours at that clinic: the
    patients reception should move after the hours changed.
    """
    since = since or timezone.now()
    bookings = Booking.objects.filter(
        status=BookingStatus.CONFIRMED, slot__physiotherapist=physiotherapist, slot__starts_at__gte=since
    ).select_related("slot")
    if clinic is not None:
        bookings = bookings.filter(slot__clinic=clinic)
    if until is not None:
        bookings = bookings.filter(slot__starts_at__lt=until)
    hours: dict[int, list[WeeklyAvailability]] = defaultdict(list)
    for row in WeeklyAvailability.objects.filter(physiotherapist=physiotherapist).exclude(
        valid_until__lt=timezone.localtime(since).date()
    ):
        hours[row.clinic_id].append(row)
    outside = [b.pk for b in bookings if not _covers(hours[b.slot.clinic_id], b.slot, on_grid=False)]
    return Booking.objects.filter(pk__in=outside).with_related().order_by("slot__starts_at")


def _take_off_sale_outside(
    *, physiotherapist: Physiotherapist, clinic: Clinic, hours: list[WeeklyAvailability], since, until
) -> int:
    """
    Take the free times of `physiotherapist` at `clinic` between `since` and `until`
    that the week's `hours` no longer make off sale: delete them, or block those a
    cancelled booking keeps (its record stays). A free time inside the hours but off
    their grid (the slot length changed) is deleted too, so the new cut can be made;
    a blocked one inside the hours stays blocked. Booked times are never touched.
    Return how many were taken off sale.
    """
    slots = Slot.objects.select_for_update(of=("self",)).filter(
        physiotherapist=physiotherapist, clinic=clinic, starts_at__gte=since
    )
    if until is not None:
        slots = slots.filter(starts_at__lt=until)
    # Locked first, then read: a booking being made of one of them has committed or waits for us.
    slots = list(slots.order_by())
    booked = defaultdict(set)
    bookings = Booking.objects.filter(
        slot__physiotherapist=physiotherapist, slot__clinic=clinic, slot__starts_at__gte=since
    )
    if until is not None:
        bookings = bookings.filter(slot__starts_at__lt=until)
    for slot_id, status in bookings.values_list("slot_id", "status"):
        booked[slot_id].add(status)
    to_delete, to_block = [], []
    for slot in slots:
        statuses = booked[slot.pk]
        if statuses & set(ACTIVE_STATUSES) or _covers(hours, slot, on_grid=True):
            continue
        inside = _covers(hours, slot, on_grid=False)
        if not statuses and not (slot.is_blocked and inside):
            to_delete.append(slot.pk)
        elif statuses and not inside and not slot.is_blocked:
            to_block.append(slot.pk)
    if to_delete:
        Slot.objects.filter(pk__in=to_delete).delete()
    if to_block:
        reason = f"Outside {physiotherapist.name}'s weekly hours"
        slots_mark_blocked([slot for slot in slots if slot.pk in set(to_block)], blocked=True, reason=reason[:200])
    return len(to_delete) + len(to_block)


@transaction.atomic
def weekly_hours_set(
    *,
    physiotherapist: Physiotherapist,
    clinic: Clinic,
    days: Mapping[int, DayHours],
    slot_minutes: int,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> WeeklyHoursResult:
    """
    Set a therapist's week at one clinic from `valid_from` (to `valid_until`, or
    until further notice): `days` maps each working weekday (0 is Monday) to its
    hours; a day not in it is a day off. Earlier hours end the day before (past days
    are never changed); hours set for a while only (`valid_until`) give way to the
    earlier ones again afterwards. Refuse hours that clash with the therapist's
    hours at another clinic.

    The times are on sale at once: slots are made for the booking window, and free
    times the new week no longer covers are taken off sale. Booked times stay;
    the confirmed ones outside the new hours come back in `affected`, for reception
    to move. Saving the same week twice changes nothing.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    _check_week(days=days, slot_minutes=slot_minutes, valid_from=valid_from, valid_until=valid_until, today=today)
    # One change to a therapist's hours at a time: the clash check below then sees every other.
    list(Physiotherapist.objects.select_for_update().filter(pk=physiotherapist.pk).values_list("pk"))
    wanted = [
        WeeklyAvailability(
            physiotherapist=physiotherapist,
            clinic=clinic,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        for weekday, hours in sorted(days.items())
        for start, end in hours.periods()
    ]
    current = WeeklyAvailability.objects.select_for_update(of=("self",)).filter(physiotherapist=physiotherapist)
    current = [row for row in current.select_related("clinic") if _dates_overlap(row, valid_from, valid_until)]
    for row in current:
        if row.clinic_id == clinic.pk:
            continue
        for new in wanted:
            if new.weekday == row.weekday and new.start_time < row.end_time and row.start_time < new.end_time:
                raise ScheduleRefused(
                    f"{physiotherapist.name} already works at {row.clinic.name} on {row.get_weekday_display()}s "
                    f"{row.start_time:%H:%M}–{row.end_time:%H:%M} ({_validity(row)}), which overlaps "
                    f"{new.start_time:%H:%M}–{new.end_time:%H:%M} here. A therapist can't be in two places at "
                    f"once: change those hours first, or choose other times."
                )
    kept = []
    try:
        for row in current:
            if row.clinic_id != clinic.pk:
                continue
            same = next((new for new in wanted if _same_hours(new, row)), None)
            if same is not None and row.valid_from <= valid_from and row.valid_until == valid_until:
                wanted.remove(same)  # already says so: left as it is
                kept.append(row)
                continue
            if valid_until is not None and (row.valid_until is None or row.valid_until > valid_until):
                # Hours for a while only: the earlier week resumes the day after.
                tail = WeeklyAvailability(
                    physiotherapist_id=row.physiotherapist_id,
                    clinic_id=row.clinic_id,
                    weekday=row.weekday,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    slot_minutes=row.slot_minutes,
                    valid_from=valid_until + dt.timedelta(days=1),
                    valid_until=row.valid_until,
                )
            else:
                tail = None
            if row.valid_from < valid_from:
                row.valid_until = valid_from - dt.timedelta(days=1)
                row.save(update_fields=["valid_until"])
            else:
                row.delete()
            if tail is not None:
                tail.save()
        for new in wanted:
            new.save()
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a clash written around the lock
        raise ScheduleRefused(f"These hours clash with {physiotherapist.name}'s other hours.") from exc

    hours = list(WeeklyAvailability.objects.filter(physiotherapist=physiotherapist, clinic=clinic))
    since = max(now, at(valid_from, dt.time.min))
    until = at(valid_until + dt.timedelta(days=1), dt.time.min) if valid_until else None
    removed = _take_off_sale_outside(
        physiotherapist=physiotherapist, clinic=clinic, hours=hours, since=since, until=until
    )
    # One day more than the window: its last day's times are on sale until the evening before.
    created = slots_generate(
        start_date=today, days=settings.ASPIRE_BOOKING_WINDOW_DAYS + 1, physiotherapists=[physiotherapist]
    )
    announce_schedule_changed()
    affected = bookings_outside_hours(physiotherapist=physiotherapist, clinic=clinic, since=since, until=until)
    in_effect = sorted(kept + wanted, key=lambda row: (row.weekday, row.start_time))
    return WeeklyHoursResult(hours=in_effect, slots_created=created, slots_removed=removed, affected=list(affected))
