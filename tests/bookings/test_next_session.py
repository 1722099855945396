"""After an attended session its page offers the next one with the same therapist; a course says "session n of m"."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import errors
from bookings.booking import courses, services
from bookings.models import Booking, BookingStatus, SessionType
from tests.factories import BookingFactory, SessionTypeFactory, SlotFactory


@pytest.fixture
def attended(db):
    """A session attended yesterday, and its therapist's times 1, 4, 8 and 12 days after it."""
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    slot = SlotFactory(starts_at=start, ends_at=start + dt.timedelta(minutes=45))
    booking = BookingFactory(slot=slot, status=BookingStatus.ATTENDED, email="p@example.com")
    times = {
        days: SlotFactory(
            physiotherapist=slot.physiotherapist, clinic=slot.clinic,
            starts_at=start + dt.timedelta(days=days), ends_at=start + dt.timedelta(days=days, minutes=45),
        )
        for days in (1, 4, 8, 12)
    }  # fmt: skip
    return booking, times


def test_the_page_offers_times_three_to_ten_days_later_soonest_first(client, attended):
    booking, times = attended
    page = client.get(booking.get_absolute_url())
    assert b"Book your next session" in page.content
    offered = [slot.pk for slot in courses.next_session_times(booking)]
    assert offered == [times[4].pk, times[8].pk]
    assert reverse("bookings:manage_next", args=[booking.manage_token, times[4].pk]).encode() in page.content
    assert reverse("bookings:manage_next", args=[booking.manage_token, times[12].pk]).encode() not in page.content


def test_a_confirmed_session_offers_no_next_one(client, db):
    booking = BookingFactory()
    assert b"Book your next session" not in client.get(booking.get_absolute_url()).content


def test_one_tap_books_it_with_the_same_details_as_a_follow_up(client, attended):
    booking, times = attended
    follow_up = SessionTypeFactory(name="Follow-up", is_follow_up=True)
    response = client.post(reverse("bookings:manage_next", args=[booking.manage_token, times[4].pk]))
    new = Booking.objects.get(slot=times[4])
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert (new.name, new.phone, new.email, new.patient) == (
        booking.name,
        booking.phone,
        booking.email,
        booking.patient,
    )
    assert new.session_type == follow_up and new.status == BookingStatus.CONFIRMED
    # A second tap gives the same booking back.
    client.post(reverse("bookings:manage_next", args=[booking.manage_token, times[4].pk]))
    assert Booking.objects.filter(slot=times[4]).count() == 1


def test_both_sessions_join_one_course_and_the_page_says_session_2_of_2(client, attended):
    booking, times = attended
    new = courses.next_session_book(booking=booking, slot_id=times[8].pk)
    booking.refresh_from_db()
    assert booking.course_id == new.course_id is not None
    assert courses.course_position(new) == (2, 2) and courses.course_position(booking) == (1, 2)
    assert b"Session 2 of 2" in client.get(new.get_absolute_url()).content


def test_a_time_outside_the_window_is_refused(attended):
    booking, times = attended
    with pytest.raises(errors.SlotUnavailable):
        courses.next_session_book(booking=booking, slot_id=times[12].pk)


def test_moving_one_session_of_a_course_leaves_the_others(attended):
    booking, times = attended
    new = courses.next_session_book(booking=booking, slot_id=times[4].pk)
    services.booking_move(booking=new, new_slot_id=times[8].pk)
    booking.refresh_from_db()
    assert booking.slot_id != times[8].pk and booking.status == BookingStatus.ATTENDED
    assert Booking.objects.get(pk=new.pk).course_id == booking.course_id


def test_the_manage_page_query_budget_does_not_grow_with_the_course(client, attended, django_assert_max_num_queries):
    booking, times = attended
    new = courses.next_session_book(booking=booking, slot_id=times[4].pk)
    for days in range(20, 30):
        slot = SlotFactory(physiotherapist=booking.slot.physiotherapist, clinic=booking.slot.clinic,
                           starts_at=booking.slot.starts_at + dt.timedelta(days=days),
                           ends_at=booking.slot.ends_at + dt.timedelta(days=days))  # fmt: skip
        BookingFactory(slot=slot, patient=booking.patient, course_id=booking.course_id)
    for page in (booking, new):
        with django_assert_max_num_queries(8):
            assert client.get(page.get_absolute_url()).status_code == 200


def test_follow_up_type_falls_back_to_the_previous_one(db):
    first = SessionTypeFactory(name="First visit")
    assert SessionType.objects.for_next_session(first) == first


def test_a_second_tap_goes_to_the_booking_it_made_not_an_error(client, attended):
    """The browser shows the last answer: a double tap must not say "no longer free" for a booked time."""
    booking, times = attended
    url = reverse("bookings:manage_next", args=[booking.manage_token, times[4].pk])
    client.post(url)
    again = client.post(url)
    new = Booking.objects.get(slot=times[4])
    assert again.status_code == 302 and again["Location"] == new.get_absolute_url()


def test_the_next_session_keeps_the_patients_language(client, attended):
    from bookings.models import Message

    booking, times = attended
    Booking.objects.filter(pk=booking.pk).update(language="ur")
    booking.refresh_from_db()
    new = courses.next_session_book(booking=booking, slot_id=times[4].pk)
    assert new.language == "ur"
    assert {m.language for m in Message.objects.filter(booking=new, audience="patient")} == {"ur"}
