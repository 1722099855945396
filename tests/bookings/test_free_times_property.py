"""
The table of free times against the availability policy: random sequences of every write that
frees or takes a time, on a small schedule (two clinics, two therapists, a three-day booking
window; the second clinic asks a deposit online, so a booking there is a hold until paid), and
of the clock moving on, and after each step the table's free set at `now` is the policy's bookable set.
Runs on SQLite and on PostgreSQL alike.
"""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.booking import services, waitlist
from bookings.errors import BookingError, ScheduleRefused
from bookings.models import (
    Booking,
    BookingStatus,
    ClinicClosure,
    DepositRule,
    DepositStatus,
    Slot,
    TimeOff,
    WaitlistEntry,
)
from bookings.schedule import availability, free_times, hours, leave, places, slots
from bookings.schedule.availability import Channel
from tests.factories import ClinicFactory, PatientFactory, PhysiotherapistFactory, SessionTypeFactory
from tests.fake_payments import fake_provider  # noqa: F401 (a fixture)

WEEK = range(7)
STEPS = [
    "book_online",
    "book_at_desk",
    "cancel",
    "move",
    "hold",
    "claim",
    "pay",
    "release",
    "lapse",
    "later",
    "block",
    "unblock",
    "leave_add",
    "leave_remove",
    "closure_add",
    "closure_remove",
    "therapist_toggle",
    "clinic_toggle",
    "hours",
    "generate",
]
# Some steps more often than the rest: most need a booking, a hold or leave made first.
WEIGHTED = [*STEPS, *["book_online", "hold"] * 2, "later", "cancel", "move", "claim", "pay", "pay"]
WEIGHTED += [*["leave_add", "leave_remove"] * 2, "closure_remove"]
# A step, and two numbers it picks its slot, booking, therapist or span with.
step = st.tuples(st.sampled_from(WEIGHTED), st.integers(0, 1000), st.integers(0, 1000))


def _table_free(now: dt.datetime) -> set[int]:
    return set(free_times.free(now=now).values_list("slot_id", flat=True))


def _policy_free(now: dt.datetime) -> set[int]:
    return set(availability.bookable(channel=Channel.ONLINE, now=now).values_list("pk", flat=True))


class Schedule:
    """The small schedule a sequence plays on, and each step as the services make it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.today = timezone.localtime(now).date()
        self.clinics = [ClinicFactory(), ClinicFactory()]
        self.therapists = [PhysiotherapistFactory(gender="female"), PhysiotherapistFactory(gender="male")]
        self.session_type = SessionTypeFactory()
        DepositRule.objects.create(clinic=self.clinics[1], session_type=self.session_type, amount_pkr=500)
        self.phones = itertools.count(1)
        for therapist, clinic in zip(self.therapists, self.clinics, strict=True):
            self.set_hours(therapist, clinic, start=9, end=12)

    def set_hours(self, therapist, clinic, *, start: int, end: int, slot_minutes: int = 60) -> None:
        days = {weekday: hours.DayHours(dt.time(start), dt.time(end)) for weekday in WEEK}
        hours.weekly_hours_set(
            physiotherapist=therapist, clinic=clinic, days=days, slot_minutes=slot_minutes,
            valid_from=self.today, now=self.now,
        )  # fmt: skip

    def pick(self, items: list, n: int):
        return items[n % len(items)] if items else None

    def slot(self, n: int) -> Slot | None:
        """Mostly a time a patient could book now (where a stale row would show), else any time ahead."""
        slots = Slot.objects.filter(starts_at__gt=self.now).order_by("pk")
        if n % 4:
            slots = slots.filter(pk__in=availability.bookable(channel=Channel.ONLINE, now=self.now).values("pk"))
        return self.pick(list(slots), n // 4)

    def booking(self, n: int, *, status: str) -> Booking | None:
        return self.pick(list(Booking.objects.filter(status=status).order_by("pk")), n)

    def person(self) -> dict:
        return {"name": "Patient", "phone": f"+92300{next(self.phones):07d}"}

    def run(self, name: str, a: int, b: int) -> None:
        try:
            with transaction.atomic():  # a refused step leaves nothing behind, as its entry point's atomic()
                getattr(self, name)(a, b)
        except (BookingError, ScheduleRefused):
            pass

    def book_online(self, a, b):
        if slot := self.slot(a):
            services.book_online(slot_id=slot.pk, session_type=self.session_type, consent=True, now=self.now,
                                 **self.person())  # fmt: skip

    def book_at_desk(self, a, b):
        if slot := self.slot(a):
            services.book_at_desk(slot_id=slot.pk, session_type=self.session_type, now=self.now, **self.person())

    def cancel(self, a, b):
        if booking := self.booking(a, status=BookingStatus.CONFIRMED):
            services.booking_cancel(booking=booking, now=self.now)

    def move(self, a, b):
        booking, slot = self.booking(a, status=BookingStatus.CONFIRMED), self.slot(b)
        if booking and slot:
            services.booking_move(booking=booking, new_slot_id=slot.pk, now=self.now)

    def hold(self, a, b):
        if slot := self.slot(a):
            person = self.person()
            entry = WaitlistEntry.objects.create(
                clinic_id=slot.clinic_id, patient=PatientFactory(phone=person["phone"]), name=person["name"],
                phone=person["phone"], session_type=self.session_type, first_day=self.today,
                last_day=self.today + dt.timedelta(days=5),
            )  # fmt: skip
            services.hold_for_waitlist(
                entry=entry, slot_id=slot.pk, language="en", now=self.now,
                held_until=self.now + dt.timedelta(minutes=5 + b % 30),
            )  # fmt: skip

    def claim(self, a, b):  # a waitlist offer taken: booked, or held on for its deposit
        holds = Booking.objects.filter(status=BookingStatus.HELD, waitlist_entry__isnull=False).order_by("pk")
        if hold := self.pick(list(holds), a):
            waitlist.waitlist_claim(booking=hold, now=self.now)

    def pay(self, a, b):  # a deposit paid: the hold is booked (or refused, if its time went)
        holds = Booking.objects.filter(status=BookingStatus.HELD, deposit_status=DepositStatus.OWED).order_by("pk")
        if hold := self.pick(list(holds), a):
            hold = services.lock_hold(hold)
            hold.deposit_status = DepositStatus.PAID
            services.hold_confirm(hold=hold, now=self.now)

    def release(self, a, b):  # "No thanks" to an offer, or a deposit hold let go
        if hold := self.booking(a, status=BookingStatus.HELD):
            if hold.waitlist_entry_id and b % 2:
                waitlist.waitlist_decline(booking=hold, now=self.now)
            else:
                services.hold_release(hold=services.lock_hold(hold), now=self.now)

    def lapse(self, a, b):
        services.holds_lapse(now=self.now)

    def later(self, a, b):
        # Holds end by themselves (a booked one must not come free then); times run out of notice.
        self.now += dt.timedelta(minutes=1 + a % 40) if b % 3 else dt.timedelta(hours=1 + a % 3)

    def block(self, a, b):
        if slot := self.slot(a):
            slots.slots_set_blocked(slots=[slot], blocked=True, reason="Meeting")

    def unblock(self, a, b):
        blocked = list(Slot.objects.filter(is_blocked=True).order_by("pk"))
        if slot := self.pick(blocked, a):
            slots.slots_set_blocked(slots=[slot], blocked=False)

    def leave_add(self, a, b):
        if slot := self.slot(a):
            starts_at = slot.starts_at - dt.timedelta(minutes=30 * (b % 3))
            ends_at = slot.ends_at + dt.timedelta(hours=b % 5)
            leave.time_off_save(
                time_off=TimeOff(physiotherapist_id=slot.physiotherapist_id, starts_at=starts_at, ends_at=ends_at)
            )

    def leave_remove(self, a, b):
        if time_off := self.pick(list(TimeOff.objects.order_by("pk")), a):
            if b % 2:
                leave.time_off_delete(time_off=time_off)
            else:  # moved a day on: the edit frees the times it covered, and takes the new ones
                time_off.starts_at += dt.timedelta(days=1)
                time_off.ends_at += dt.timedelta(days=1)
                leave.time_off_save(time_off=time_off)

    def closure_add(self, a, b):
        day = self.today + dt.timedelta(days=a % 4)
        clinics = self.clinics if b % 3 == 0 else [self.pick(self.clinics, b)]
        leave.closure_save(closure=ClinicClosure(start_date=day, end_date=day, reason="Holiday"), clinics=clinics)

    def closure_remove(self, a, b):
        if closure := self.pick(list(ClinicClosure.objects.order_by("pk")), a):
            if b % 2:
                leave.closure_delete(closure=closure)
            else:  # moved to the next day, and to one clinic: the edit frees the day it closed
                closure.start_date = closure.end_date = closure.start_date + dt.timedelta(days=1)
                leave.closure_save(closure=closure, clinics=[self.pick(self.clinics, a)])

    def therapist_toggle(self, a, b):
        therapist = self.pick(self.therapists, a)
        therapist.refresh_from_db()
        therapist.is_active = not therapist.is_active
        places.physiotherapist_save(physiotherapist=therapist)

    def clinic_toggle(self, a, b):
        clinic = self.pick(self.clinics, a)
        clinic.refresh_from_db()
        clinic.is_active = not clinic.is_active
        places.clinic_save(clinic=clinic)

    def hours(self, a, b):
        therapist = self.pick(self.therapists, a)
        clinic = self.pick(self.clinics, a)  # each therapist keeps to one clinic: no clash to refuse
        self.set_hours(therapist, clinic, start=8 + b % 3, end=11 + b % 3, slot_minutes=(30, 60)[a % 2])

    def generate(self, a, b):
        slots.slots_generate(start_date=self.today, days=1 + a % 5)


@pytest.mark.django_db
@override_settings(ASPIRE_BOOKING_WINDOW_DAYS=3)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=10, max_size=25))
def test_the_table_of_free_times_is_the_policys_answer_after_every_write(steps, fake_provider):  # noqa: F811
    with transaction.atomic():  # each sequence starts afresh: its schedule is rolled back at the end
        schedule = Schedule(timezone.now())
        assert _table_free(schedule.now) == _policy_free(schedule.now)
        for name, a, b in steps:
            schedule.run(name, a, b)
            assert _table_free(schedule.now) == _policy_free(schedule.now), (name, a, b)
        transaction.set_rollback(True)
