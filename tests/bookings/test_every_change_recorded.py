"""
Every state change goes through a service that announces it and leaves a record, bulk ones
too: a blocked range, holds that lapse, a therapist or clinic made inactive.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.booking import waitlist
from bookings.models import Booking, BookingStatus, Slot, TimeOff
from bookings.schedule import availability, places
from bookings.schedule.availability import Channel
from bookings.signals import schedule_changed
from tests.factories import BookingFactory, PhysiotherapistFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    heard = []

    def listen(**kwargs):
        heard.append(kwargs)

    schedule_changed.connect(listen, dispatch_uid="test:announced")
    yield heard
    schedule_changed.disconnect(dispatch_uid="test:announced")


def test_blocking_a_range_in_the_admin_leaves_a_history_entry_for_each_slot(reception_client, receptionist):
    slots = [SlotFactory() for _ in range(3)]
    response = reception_client.post(
        reverse("admin:bookings_slot_changelist"),
        {"action": "block", "_selected_action": [slot.pk for slot in slots]},
    )
    assert response.status_code == 302
    for slot in slots:
        latest = slot.history.latest()
        assert latest.is_blocked and latest.history_type == "~" and latest.history_user == receptionist


def test_a_lapsed_waitlist_hold_leaves_a_history_entry(settings):
    slot = SlotFactory()
    hold = BookingFactory(slot=slot, status=BookingStatus.HELD, held_until=timezone.now() - dt.timedelta(minutes=1))
    waitlist.waitlist_run()
    hold.refresh_from_db()
    assert hold.status == BookingStatus.LAPSED
    assert hold.history.latest().status == BookingStatus.LAPSED


def test_a_therapist_who_leaves_is_announced_and_their_patients_are_listed(
    announced, django_capture_on_commit_callbacks
):
    therapist = PhysiotherapistFactory()
    ahead = BookingFactory(slot=SlotFactory(physiotherapist=therapist, starts_at=timezone.now() + dt.timedelta(days=2)))
    free = SlotFactory(physiotherapist=therapist, starts_at=timezone.now() + dt.timedelta(days=3))
    therapist.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        stranded = places.physiotherapist_save(physiotherapist=therapist)
    assert stranded == [ahead] and len(announced) == 1
    assert not availability.bookable(channel=Channel.STAFF).filter(pk=free.pk).exists()
    free = availability.with_flags(Slot.objects.filter(pk=free.pk)).get()
    assert availability.slot_state(free, booking=None, now=timezone.now()).key == "inactive"


def test_saving_a_therapist_without_a_change_of_flag_announces_nothing(announced, django_capture_on_commit_callbacks):
    therapist = PhysiotherapistFactory()
    therapist.bio = "New words"
    with django_capture_on_commit_callbacks(execute=True):
        assert places.physiotherapist_save(physiotherapist=therapist) == []
    assert announced == []


def test_the_admins_free_filter_agrees_with_the_state_column(reception_client):
    away = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2))
    free = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2, hours=2))
    TimeOff.objects.create(
        physiotherapist=away.physiotherapist, starts_at=away.starts_at, ends_at=away.ends_at, reason="Leave"
    )
    page = reception_client.get(reverse("admin:bookings_slot_changelist"), {"state": "free"}).content.decode()
    assert f"/admin/bookings/slot/{free.pk}/change/" in page
    assert f"/admin/bookings/slot/{away.pk}/change/" not in page  # its state column says "Therapist away"


def test_an_ended_hold_is_free_in_the_admin_as_on_the_schedule(reception_client):
    slot = SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2))
    BookingFactory(slot=slot, status=BookingStatus.HELD, held_until=timezone.now() - dt.timedelta(minutes=1))
    booked = reception_client.get(reverse("admin:bookings_slot_changelist"), {"state": "booked"}).content.decode()
    assert f"/admin/bookings/slot/{slot.pk}/change/" not in booked
    assert Booking.objects.filter(slot=slot, status=BookingStatus.HELD).exists()  # a read lapses nothing
