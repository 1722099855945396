"""The schedule's one-click actions (arrived, attended, no-show, cancel with a reason) and its query budget."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingStatus, CancelReason, DepositStatus, TimeOff
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("bookings_schedule")


def act_url(booking: Booking) -> str:
    return reverse("bookings_schedule_act", args=[booking.pk])


def its_schedule(booking: Booking) -> str:
    day = timezone.localtime(booking.slot.starts_at).date()
    return f"{SCHEDULE}?clinic={booking.slot.clinic_id}&date={day.isoformat()}"


def started_booking(minutes_ago: int = 5, **kwargs) -> Booking:
    """A confirmed booking whose session began a few minutes ago (or starts later, if negative)."""
    starts_at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=minutes_ago)
    return BookingFactory(slot=SlotFactory(starts_at=starts_at), **kwargs)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def post(client, booking: Booking, **data):
    return client.post(act_url(booking), {"next": its_schedule(booking), **data})


# The actions ----------------------------------------------------------------------------------


def test_arrived_is_one_post_and_back_to_the_same_day(reception_client):
    booking = started_booking()
    response = post(reception_client, booking, action="check_in")
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.checked_in_at is not None and booking.status == BookingStatus.CONFIRMED
    assert message_texts(response) == [f"{booking.name} has arrived."]


def test_attended_is_one_post_and_back_to_the_same_day(reception_client):
    booking = started_booking()
    response = post(reception_client, booking, action="attended")
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and booking.attended_at is not None
    assert message_texts(response) == [f"{booking.name}: attended."]


def test_no_show_is_one_post_and_back_to_the_same_day(reception_client):
    booking = started_booking()
    response = post(reception_client, booking, action="no_show")
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show_at is not None
    assert message_texts(response) == [f"{booking.name}: no-show."]


def test_cancel_with_a_reason_is_one_post_and_back_to_the_same_day(reception_client):
    booking = started_booking(minutes_ago=-120)
    response = post(reception_client, booking, action="cancel", reason=CancelReason.PATIENT_UNWELL)
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancel_reason == CancelReason.PATIENT_UNWELL
    assert message_texts(response) == [f"{booking.name}: cancelled. The time is free again."]


def test_cancel_without_a_reason_is_refused_with_a_message(reception_client):
    booking = started_booking(minutes_ago=-120)
    response = post(reception_client, booking, action="cancel", reason="")
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert message_texts(response) == [f"{booking.name}: choose why the booking is cancelled."]


def test_no_show_before_the_session_starts_is_the_services_refusal_as_a_message(reception_client):
    booking = started_booking(minutes_ago=-60)
    response = post(reception_client, booking, action="no_show")
    assert response.status_code == 302 and response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    # An hour ahead is tomorrow when the desk works past 23:00: then the earlier refusal answers.
    later_day = timezone.localtime(booking.slot.starts_at).date() != timezone.localdate()
    refusal = (
        "A session on a later day can't be marked yet."
        if later_day
        else "A session can be marked as a no-show only once it has started."
    )
    assert message_texts(response) == [f"{booking.name}: {refusal}"]


def test_arrived_for_another_days_session_is_refused_with_a_message(reception_client):
    booking = BookingFactory(slot=SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2)))
    response = post(reception_client, booking, action="check_in")
    assert response["Location"] == its_schedule(booking)
    booking.refresh_from_db()
    assert booking.checked_in_at is None
    assert message_texts(response) == [f"{booking.name}: Only today's sessions can be checked in."]


def test_an_unknown_action_is_not_found(reception_client):
    booking = started_booking()
    assert post(reception_client, booking, action="delete").status_code == 404


# Where it goes back to --------------------------------------------------------------------------


def test_without_next_it_goes_back_to_the_bookings_own_day(reception_client):
    booking = started_booking()
    response = reception_client.post(act_url(booking), {"action": "attended"})
    assert response["Location"] == its_schedule(booking)


def test_next_on_this_site_is_followed(reception_client):
    booking = started_booking()
    elsewhere = f"{SCHEDULE}?clinic={booking.slot.clinic_id}&date=2030-01-02&q=0300"
    response = reception_client.post(act_url(booking), {"action": "attended", "next": elsewhere})
    assert response["Location"] == elsewhere


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/admin/", "//evil.example/admin/", "http://testserver.evil.example/", "/\\evil.example"],
)
def test_next_to_another_host_is_not_followed(reception_client, target):
    booking = started_booking()
    response = reception_client.post(act_url(booking), {"action": "attended", "next": target})
    assert response["Location"] == its_schedule(booking)


# Who may ---------------------------------------------------------------------------------------


def test_a_get_changes_nothing(reception_client):
    booking = started_booking()
    response = reception_client.get(act_url(booking), {"action": "attended"})
    assert response.status_code == 405
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_receptionist_without_change_booking_is_refused(client, receptionist):
    receptionist.groups.get().permissions.remove(Permission.objects.get(codename="change_booking"))
    sign_in(client, receptionist)
    booking = started_booking()
    assert post(client, booking, action="attended").status_code == 403
    assert post(client, booking, action="cancel", reason=CancelReason.OTHER).status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_receptionist_without_change_booking_sees_no_buttons(client, receptionist):
    receptionist.groups.get().permissions.remove(Permission.objects.get(codename="change_booking"))
    sign_in(client, receptionist)
    booking = started_booking()
    day = timezone.localtime(booking.slot.starts_at).date()
    body = client.get(SCHEDULE, {"clinic": booking.slot.clinic_id, "date": day.isoformat()}).content.decode()
    assert booking.name in body and act_url(booking) not in body


def test_a_receptionist_cannot_act_on_another_clinics_booking(client):
    own, other = ClinicFactory(), ClinicFactory()
    desk = staff_user("Receptionist", "one-branch")
    own.front_desk.add(desk)
    sign_in(client, desk)
    booking = BookingFactory(slot=SlotFactory(clinic=other))
    assert post(client, booking, action="attended").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# The query budget -------------------------------------------------------------------------------


def test_schedule_queries_stay_flat_from_1x_to_30x_with_every_state_and_a_search(reception_client):
    """Every state a booking can be in, deposits owed, paid and kept, a therapist's leave over half the day
    (flagged bookings), blocked slots, the buttons each booking gets, and search results: the page's queries
    don't grow with any."""
    clinic = ClinicFactory()
    therapists = [PhysiotherapistFactory() for _ in range(8)]
    day = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(0, 15)))
    TimeOff.objects.create(
        physiotherapist=therapists[0], starts_at=start + dt.timedelta(hours=12), ends_at=start + dt.timedelta(hours=23)
    )
    now = timezone.now()

    def fill(slots_per_therapist, offset):
        for t, therapist in enumerate(therapists):
            for i in range(offset, offset + slots_per_therapist):
                slot = SlotFactory(
                    clinic=clinic, physiotherapist=therapist, starts_at=start + dt.timedelta(minutes=45 * i)
                )
                state = (i + t) % 7
                if state == 0:
                    continue  # free
                if state == 1:
                    slot.is_blocked, slot.block_reason = True, "Room being cleaned"
                    slot.save()
                    continue
                status = {5: BookingStatus.ATTENDED, 6: BookingStatus.NO_SHOW}.get(state, BookingStatus.CONFIRMED)
                # Deposits too (issue 24): paid, kept, and every other time with notes held for its deposit.
                deposit = {3: DepositStatus.PAID, 5: DepositStatus.PAID, 6: DepositStatus.KEPT}.get(state, "")
                held = state == 4 and i % 2 == 1
                BookingFactory(
                    slot=slot,
                    status=BookingStatus.HELD if held else status,
                    held_until=now + dt.timedelta(minutes=15) if held else None,
                    deposit_status=DepositStatus.OWED if held else deposit,
                    deposit_pkr=1000 if held or deposit else 0,
                    patient=PatientFactory(name=f"Desk Patient {t}-{i}"),
                    checked_in_at=now if state == 3 else None,
                    notes="Left shoulder." if state == 4 else "",
                )
                if state == 2:  # a cancelled booking leaves the time free, and is found by the search
                    Booking.objects.filter(slot=slot).update(status=BookingStatus.CANCELLED)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat(), "q": "Desk Pat"})
            assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    fill(1, 0)
    count()  # the first visit remembers the desk's clinic in the session
    small, _ = count()
    fill(29, 1)
    big, body = count()
    # One fewer at 30x when the day's upcoming matches fill the search's list and its
    # second query (the most recent past ones) is not needed. The tenth is the bookings'
    # reminders (one prefetch, for the marks of delivered, read or failed); the eleventh the
    # session's second factor (django-otp reads its device once a request, so a reset ends it at once).
    assert big <= small <= 11
    assert "cell-affected" in body and "cell-time_off" in body and "cell-blocked" in body
    assert "cell-attended" in body and "cell-no_show" in body and "cell-notes" in body
    assert (
        'value="check_in"' in body and 'value="attended"' in body and "cell-cancel" in body and "schedule-found" in body
    )
    assert "cell-deposit-owed" in body and "cell-deposit-paid" in body and "cell-deposit-kept" in body
