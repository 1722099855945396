import datetime as dt

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from bookings.models import ClinicClosure, Slot, TimeOff, WeeklyAvailability
from bookings.schedule import slots
from bookings.timeutils import at
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def therapist():
    therapist = PhysiotherapistFactory()
    WeeklyAvailability.objects.create(
        physiotherapist=therapist,
        clinic=ClinicFactory(),
        weekday=0,
        start_time=dt.time(10),
        end_time=dt.time(13),
        slot_minutes=45,
        valid_from=dt.date(2029, 1, 1),
    )
    return therapist


def test_weekly_availability_becomes_slots(therapist):
    created = slots.slots_generate(start_date=MONDAY, days=14)
    # 10:00-13:00 in 45-minute slots: 10:00, 10:45, 11:30, 12:15 on two Mondays.
    assert created == 8
    starts = sorted(Slot.objects.values_list("starts_at", flat=True))
    assert starts[0] == at(MONDAY, dt.time(10))
    assert starts[3] == at(MONDAY, dt.time(12, 15))
    assert starts[4] == at(MONDAY + dt.timedelta(days=7), dt.time(10))
    assert str(starts[0].astimezone(dt.UTC).time()) == "05:00:00"  # Karachi is UTC+5


def test_generation_is_idempotent(therapist):
    assert slots.slots_generate(start_date=MONDAY, days=14) == 8
    assert slots.slots_generate(start_date=MONDAY, days=14) == 0
    assert Slot.objects.count() == 8


def test_time_off_and_closures_are_skipped(therapist):
    TimeOff.objects.create(
        physiotherapist=therapist, starts_at=at(MONDAY, dt.time(10, 30)), ends_at=at(MONDAY, dt.time(11, 30))
    )
    closure = ClinicClosure.objects.create(
        start_date=MONDAY + dt.timedelta(days=7), end_date=MONDAY + dt.timedelta(days=7), reason="Eid"
    )
    closure.clinics.add(therapist.availabilities.get().clinic)
    slots.slots_generate(start_date=MONDAY, days=14)
    starts = sorted(Slot.objects.values_list("starts_at", flat=True))
    assert starts == [at(MONDAY, dt.time(11, 30)), at(MONDAY, dt.time(12, 15))]


def test_generation_never_touches_booked_or_blocked_slots(therapist):
    slots.slots_generate(start_date=MONDAY, days=7)
    booking = BookingFactory(slot=Slot.objects.earliest("starts_at"))
    WeeklyAvailability.objects.update(slot_minutes=60)  # a changed schedule
    slots.slots_generate(start_date=MONDAY, days=7)
    assert Slot.objects.filter(pk=booking.slot_id).exists()
    # The new 60-minute cut never overlaps the existing 45-minute slots.
    made = list(Slot.objects.order_by("starts_at"))
    assert all(a.ends_at <= b.starts_at for a, b in zip(made, made[1:], strict=False))


def test_inactive_therapist_gets_no_slots(therapist):
    therapist.is_active = False
    therapist.save()
    assert slots.slots_generate(start_date=MONDAY, days=14) == 0


def test_management_command(therapist, capsys):
    call_command("generate_slots", "--days", "14", "--start", MONDAY.isoformat())
    assert "Created 8 slots" in capsys.readouterr().out
    call_command("generate_slots", "--days", "14", "--start", MONDAY.isoformat())
    assert "Created 0 slots" in capsys.readouterr().out


BASE = dt.datetime(2030, 1, 7, tzinfo=dt.UTC)
periods = st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 600)), max_size=40)


@given(busy=periods, candidates=periods)
def test_overlap_index_agrees_with_checking_every_period(busy, candidates):
    """The sorted index slot generation uses answers as scanning every period would."""
    index = slots._Periods()
    spans = []
    for start, length in busy:
        begin, end = BASE + dt.timedelta(minutes=start), BASE + dt.timedelta(minutes=start + length)
        index.add(begin, end)
        spans.append((begin, end))
    for start, length in candidates:
        begin, end = BASE + dt.timedelta(minutes=start), BASE + dt.timedelta(minutes=start + length)
        assert index.overlaps(begin, end) == any(s < end and begin < e for s, e in spans)
