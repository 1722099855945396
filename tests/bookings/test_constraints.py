"""The database itself refuses what must never be: on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bookings.models import Booking, BookingStatus, Slot, WeeklyAvailability
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_second_active_booking_for_a_slot_is_refused_even_by_bulk_create():
    first = BookingFactory()
    second = BookingFactory.build(slot=first.slot, session_type=first.session_type, patient=first.patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.bulk_create([second])
    assert Booking.objects.filter(slot=first.slot).count() == 1


@pytest.mark.parametrize("status", [BookingStatus.ATTENDED, BookingStatus.NO_SHOW])
def test_attended_and_no_show_bookings_still_hold_their_slot(status):
    first = BookingFactory(status=status)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(slot=first.slot)


def test_cancelled_bookings_free_the_slot():
    first = BookingFactory(status=BookingStatus.CANCELLED)
    BookingFactory(slot=first.slot, status=BookingStatus.CANCELLED)
    BookingFactory(slot=first.slot)  # a new active booking is fine
    assert Booking.objects.filter(slot=first.slot).count() == 3


def test_reactivating_a_cancelled_booking_on_a_taken_slot_is_refused():
    cancelled = BookingFactory(status=BookingStatus.CANCELLED)
    BookingFactory(slot=cancelled.slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=cancelled.pk).update(status=BookingStatus.CONFIRMED)


def test_slot_must_end_after_it_starts():
    slot = SlotFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(ends_at=slot.starts_at)


def test_one_slot_per_therapist_and_start():
    slot = SlotFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotFactory(physiotherapist=slot.physiotherapist, starts_at=slot.starts_at)


def test_overlapping_slot_fails_validation_everywhere():
    slot = SlotFactory()
    overlapping = SlotFactory.build(
        physiotherapist=slot.physiotherapist,
        clinic=slot.clinic,
        starts_at=slot.starts_at + dt.timedelta(minutes=15),
        ends_at=slot.ends_at + dt.timedelta(minutes=15),
    )
    with pytest.raises(ValidationError) as info:
        overlapping.full_clean()
    assert "overlaps" in str(info.value)


@pytest.mark.postgres
def test_overlapping_slot_is_refused_by_postgres_exclusion_constraint():
    slot = SlotFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotFactory(
            physiotherapist=slot.physiotherapist,
            clinic=slot.clinic,
            starts_at=slot.starts_at + dt.timedelta(minutes=15),
            ends_at=slot.ends_at + dt.timedelta(minutes=15),
        )


def availability(**kwargs):
    defaults = {
        "weekday": 0,
        "start_time": dt.time(10),
        "end_time": dt.time(14),
        "slot_minutes": 45,
        "valid_from": dt.date(2026, 1, 1),
    }
    return WeeklyAvailability(**{**defaults, **kwargs})


def test_therapist_cannot_work_at_two_clinics_at_overlapping_times():
    therapist = PhysiotherapistFactory()
    availability(physiotherapist=therapist, clinic=ClinicFactory()).save()
    clash = availability(
        physiotherapist=therapist, clinic=ClinicFactory(), start_time=dt.time(13), end_time=dt.time(17)
    )
    with pytest.raises(ValidationError) as info:
        clash.full_clean()
    assert "two places at once" in str(info.value)


def test_non_overlapping_availability_is_fine():
    therapist = PhysiotherapistFactory()
    availability(physiotherapist=therapist, clinic=ClinicFactory()).save()
    availability(
        physiotherapist=therapist, clinic=ClinicFactory(), start_time=dt.time(14), end_time=dt.time(18)
    ).full_clean()
    availability(physiotherapist=therapist, clinic=ClinicFactory(), weekday=1).full_clean()
    availability(
        physiotherapist=therapist,
        clinic=ClinicFactory(),
        valid_from=dt.date(2025, 1, 1),
        valid_until=dt.date(2025, 12, 31),
    ).full_clean()


@pytest.mark.postgres
def test_overlapping_availability_is_refused_by_postgres():
    therapist = PhysiotherapistFactory()
    availability(physiotherapist=therapist, clinic=ClinicFactory()).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        availability(
            physiotherapist=therapist, clinic=ClinicFactory(), start_time=dt.time(13), end_time=dt.time(17)
        ).save()


def test_availability_must_end_after_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        availability(
            physiotherapist=PhysiotherapistFactory(),
            clinic=ClinicFactory(),
            start_time=dt.time(14),
            end_time=dt.time(10),
        ).save()
