"""
What the schedule offers, read: the free times of a clinic's day (grouped by part of the
day, with the therapists to choose from), the next free day, the nearest free times to a
taken one, whether a clinic is closed on a day, and the team with where each works. The
lists read the table of free times (`free_times`: the availability policy's answer, kept by
the schedule services), which is read by the policy's online time rules; a single slot is
still asked of the policy itself when it is booked.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from bookings.models import (
    Clinic,
    ClinicClosure,
    Physiotherapist,
    Slot,
    Weekday,
    WeeklyAvailability,
    in_language,
)
from bookings.models import FreeTime as FreeTimeRow  # this module's FreeTime is a time as a patient's day shows it
from bookings.schedule import free_times as free_table
from bookings.timeutils import day_bounds, local_today


def _closures_on(*, clinic: Clinic, day: dt.date):
    return ClinicClosure.objects.filter(clinics=clinic, start_date__lte=day, end_date__gte=day)


def closed_because(*, clinic: Clinic, day: dt.date) -> str | None:
    """Return why a clinic with no slots on `day` is closed: a closure's reason, or that no one works that weekday."""
    return closed_on(clinic=clinic, days=[day])[day]


def closed_on(*, clinic: Clinic, days: list[dt.date]) -> dict[dt.date, str | None]:
    """
    Return, for each of `days` (on which the clinic has no slots), why the clinic is closed
    (as closed_because says it), or None. Two queries, however many days.
    """
    first, last = min(days), max(days)
    closures = list(ClinicClosure.objects.filter(clinics=clinic, start_date__lte=last, end_date__gte=first))
    hours = list(
        WeeklyAvailability.objects.filter(clinic=clinic, valid_from__lte=last)
        .exclude(valid_until__lt=first)
        .only("weekday", "valid_from", "valid_until")
        .order_by()
    )
    reasons = {}
    for day in days:
        closure = next((c for c in closures if c.start_date <= day <= c.end_date), None)
        works = any(
            h.weekday == day.weekday() and h.valid_from <= day and (h.valid_until is None or h.valid_until >= day)
            for h in hours
        )
        if closure:
            reasons[day] = f"Closed: {closure.reason}"
        elif not works:
            reasons[day] = f"Closed on {day:%A}s: no one works at {clinic.name} that day"
        else:
            reasons[day] = None
    return reasons


def clinic_closed_on(*, clinic: Clinic, day: dt.date) -> bool:
    """
    Return whether a patient should read that the clinic is closed on `day` rather than that it
    has no free time: a closure, or no slots that day and no one's weekly hours on that weekday.
    """
    start, end = day_bounds(day)
    if not Slot.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end).exists():
        return closed_because(clinic=clinic, day=day) is not None  # a closure, or no one's hours that weekday
    # Times that day: closed only by a closure (if all are taken, the waitlist is for this).
    return _closures_on(clinic=clinic, day=day).exists()


def _free(*, clinic=None, physio_slug: str = "", gender: str = "", now=None) -> QuerySet[FreeTimeRow]:
    """Return the table's rows a patient can book online now, optionally narrowed by clinic, therapist or gender."""
    rows = free_table.free(now=now)
    if clinic is not None:
        rows = rows.filter(clinic=clinic)
    if physio_slug:
        rows = rows.filter(physiotherapist__slug=physio_slug)
    if gender:
        rows = rows.filter(physiotherapist__gender=gender)
    return rows


def online_slots(*, clinic=None, physio_slug: str = "", gender: str = "", now=None) -> QuerySet[Slot]:
    """Return the slots a patient can book online now, optionally narrowed by clinic, therapist or gender."""
    return Slot.objects.filter(
        pk__in=_free(clinic=clinic, physio_slug=physio_slug, gender=gender, now=now).values("pk")
    )


def next_free_day(*, clinic, after: dt.date, physio_slug: str = "", gender: str = "", now=None) -> dt.date | None:
    """Return the first Karachi date after `after` with a bookable time, reading its first free time off the index."""
    rows = _free(clinic=clinic, physio_slug=physio_slug, gender=gender, now=now)
    first = rows.filter(starts_at__gte=day_bounds(after)[1]).order_by("starts_at").values_list("starts_at", flat=True)
    first = first.first()
    return timezone.localtime(first).date() if first else None


# Where a day's parts meet, in Karachi hours: the booking page groups its times so, and a waitlist
# entry asks for a part of the day so.
AFTERNOON_FROM, EVENING_FROM = 12, 17


class FreeTime(NamedTuple):
    """A bookable time as a patient's day shows it: the slot's id, its start in Karachi, the therapist.
    A tuple: a fortnight of them is made for every day page, and a frozen dataclass cost four times as much."""

    pk: int
    starts_at: dt.datetime
    therapist: str
    therapist_slug: str
    therapist_gender: str

    @property
    def label(self) -> str:
        return f"{self.starts_at:%H:%M}"


@dataclass(frozen=True)
class TherapistChoice:
    name: str
    slug: str
    gender: str = ""


@dataclass
class DayPart:
    name: str
    slots: list[FreeTime]


@dataclass
class FreeTimes:
    """A clinic's bookable times over a run of days, read in one query: which days have one, and each day's."""

    by_day: dict[dt.date, list[FreeTime]]

    @property
    def days(self) -> set[dt.date]:
        return set(self.by_day)

    def on(self, day: dt.date) -> list[DayPart]:
        """Return `day`'s times grouped into morning, afternoon and evening (parts with none left out)."""
        parts = [DayPart(gettext("Morning"), []), DayPart(gettext("Afternoon"), []), DayPart(gettext("Evening"), [])]
        for time in self.by_day.get(day, ()):
            hour = time.starts_at.hour
            parts[0 if hour < AFTERNOON_FROM else 1 if hour < EVENING_FROM else 2].slots.append(time)
        return [part for part in parts if part.slots]

    def therapists(self, *, gender: str = "") -> list[TherapistChoice]:
        """Return the therapists with at least one of these times (of `gender`, if given), by name."""
        found = {
            time.therapist_slug: TherapistChoice(time.therapist, time.therapist_slug, time.therapist_gender)
            for times in self.by_day.values()
            for time in times
            if not gender or time.therapist_gender == gender
        }
        return sorted(found.values(), key=lambda t: (t.name, t.slug))

    def only(self, *, physio_slug: str = "", gender: str = "") -> "FreeTimes":
        """Return the times with this therapist, or a therapist of this gender (either may be empty: any)."""
        if not (physio_slug or gender):
            return self
        by_day = {}
        for day, times in self.by_day.items():
            kept = [
                time
                for time in times
                if (not physio_slug or time.therapist_slug == physio_slug)
                and (not gender or time.therapist_gender == gender)
            ]
            if kept:
                by_day[day] = kept
        return FreeTimes(by_day)


def free_times(
    *, clinic, first: dt.date, last: dt.date, physio_slug: str = "", gender: str = "", now=None
) -> FreeTimes:
    """
    Return `clinic`'s bookable times from `first` to `last` (Karachi days), in one query.

    The day page shows a fortnight's strip (which days have a time), one day's
    times and the therapists to choose from: all three come from these rows, read
    as plain values, and its filters narrow them here (`FreeTimes.only`). Profiled
    on the benchmark's data (a year, 162,240 slots), the page's second availability
    query (the therapists with a time in the whole booking window) cost as much as
    this one, most of it in building the query in Python.
    """
    tz = timezone.get_current_timezone()
    rows = (
        _free(clinic=clinic, physio_slug=physio_slug, gender=gender, now=now)
        .filter(starts_at__gte=day_bounds(first)[0], starts_at__lt=day_bounds(last)[1])
        .order_by("starts_at", "physiotherapist__name")
        .values_list(
            "slot_id",
            "starts_at",
            in_language("physiotherapist__name"),
            "physiotherapist__slug",
            "physiotherapist__gender",
        )
    )
    by_day: dict[dt.date, list[FreeTime]] = {}
    for pk, starts_at, therapist, slug, therapist_gender in rows:
        local = starts_at.astimezone(tz)
        by_day.setdefault(local.date(), []).append(FreeTime(pk, local, therapist, slug, therapist_gender))
    return FreeTimes(by_day)


def free_times_on(*, clinic, day: dt.date, physio_slug: str = "", gender: str = "", now=None) -> list[DayPart]:
    """Return the day's bookable times grouped into morning, afternoon and evening, in one query."""
    return free_times(clinic=clinic, first=day, last=day, physio_slug=physio_slug, gender=gender, now=now).on(day)


def next_free_time_by_clinic(*, clinics, physio_slug: str = "", gender: str = "", now=None) -> dict[int, dt.datetime]:
    """
    Return the start of each clinic's next bookable slot, by clinic id, in one query.
    Each clinic's first free slot is looked up on its own (clinic, start) index,
    stopping at the first free one: the cost doesn't grow with the bookings.
    """
    first_free = (
        _free(physio_slug=physio_slug, gender=gender, now=now)
        .filter(clinic=OuterRef("pk"))
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    firsts = Clinic.objects.filter(pk__in=[clinic.pk for clinic in clinics]).annotate(first=Subquery(first_free))
    return {pk: first for pk, first in firsts.values_list("pk", "first") if first is not None}


def nearest_free_slots(*, slot: Slot, limit: int = 6, now=None) -> list[Slot]:
    """Return the bookable times closest to `slot` at the same clinic (any therapist), soonest first."""
    candidates = online_slots(clinic=slot.clinic, now=now).exclude(pk=slot.pk)
    after = list(candidates.filter(starts_at__gte=slot.starts_at).select_related("physiotherapist")[:limit])
    before = list(
        candidates.filter(starts_at__lt=slot.starts_at).select_related("physiotherapist").order_by("-starts_at")[:limit]
    )
    nearest = sorted(after + before, key=lambda s: abs((s.starts_at - slot.starts_at).total_seconds()))[:limit]
    return sorted(nearest, key=lambda s: s.starts_at)


def therapists_offered(*, clinic=None, gender: str = "", now=None) -> QuerySet[Physiotherapist]:
    """
    Return the therapists a patient can book online now (at `clinic`, of `gender`, if given):
    those with at least one bookable time, by name. One query: a therapist without one (no
    hours yet, on leave, fully booked) is not offered, whatever their weekly hours say.
    """
    rows = _free(clinic=clinic, now=now).filter(physiotherapist=OuterRef("pk"))
    therapists = Physiotherapist.objects.filter(Exists(rows))
    if gender:
        therapists = therapists.filter(gender=gender)
    return therapists.order_by("name")


@dataclass
class Workplace:
    clinic: Clinic
    weekdays: list[str]


def team(*, slug: str = "", now=None) -> list[Physiotherapist]:
    """
    Return the active therapists (or the one with `slug`), each with `.workplaces` (the
    clinics and weekdays of their current weekly hours) and `.next_free` (the start of
    their next time a patient can book online, or None). Three queries, whatever the size
    of the team or the schedule: the therapists (the first free time read off the slot
    index of the free times), their hours as plain values, and the clinics those are at, each made once (a
    clinic per hour row, with its phone number parsed, was 45% of the team page).
    """
    first_free = _free(now=now).filter(physiotherapist=OuterRef("pk")).order_by("starts_at").values("starts_at")[:1]
    therapists = Physiotherapist.objects.active().annotate(next_free=Subquery(first_free))
    if slug:
        therapists = therapists.filter(slug=slug)
    therapists = list(therapists)
    hours = set(
        WeeklyAvailability.objects.exclude(valid_until__lt=local_today())
        .filter(clinic__is_active=True, physiotherapist__in=[therapist.pk for therapist in therapists])
        .order_by()
        .values_list("physiotherapist_id", "clinic_id", "weekday")
    )
    clinics = Clinic.objects.in_bulk({clinic_id for _, clinic_id, _ in hours}) if hours else {}
    weekdays = dict(Weekday.choices)  # each name translated once a page, not once an hour row
    places: dict[int, dict[int, Workplace]] = {therapist.pk: {} for therapist in therapists}
    for therapist_id, clinic_id, weekday in sorted(hours, key=lambda row: (clinics[row[1]].name, row[2])):
        place = places[therapist_id].setdefault(clinic_id, Workplace(clinic=clinics[clinic_id], weekdays=[]))
        place.weekdays.append(str(weekdays[weekday]))
    for therapist in therapists:
        therapist.workplaces = list(places[therapist.pk].values())
    return therapists


class NextTime(NamedTuple):
    """A therapist's next bookable time as their page lists it: the slot's id, its start in Karachi, where."""

    pk: int
    starts_at: dt.datetime
    clinic_name: str


def next_free_slots_of(*, physiotherapist: Physiotherapist, limit: int = 6, now=None) -> list[NextTime]:
    """
    Return the therapist's next bookable times, at any of their clinics, soonest first: read off the
    table of free times as plain values (a slot and a clinic made per time, each clinic parsing its
    phone number, was a fifth of the therapist's page).
    """
    rows = _free(now=now).filter(physiotherapist=physiotherapist).order_by("starts_at")
    tz = timezone.get_current_timezone()
    return [
        NextTime(pk, starts_at.astimezone(tz), clinic_name)
        for pk, starts_at, clinic_name in rows.values_list("slot_id", "starts_at", in_language("clinic__name"))[:limit]
    ]
