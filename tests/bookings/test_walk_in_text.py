"""
A walk-in standing at the desk got the booking's text too. The desk's booking form now asks:
by default a caller is texted and a walk-in is not; the desk can choose either way, and the
booking's history says which.
"""

import pytest
from django.urls import reverse

from bookings.booking import services
from bookings.models import Booking, Message, MessageChannel
from tests.factories import SlotFactory

pytestmark = pytest.mark.django_db

ADD = reverse("bookings_booking_add")
TEXTS = [MessageChannel.SMS, MessageChannel.WHATSAPP]


def _post(client, session_type, **overrides):
    slot = SlotFactory()
    data = {
        "slot": slot.pk, "session_type": session_type.pk, "source": "phone", "phone": "0309 5885076",
        "name": "Walk-in Khan", "email": "", "notes": "", "consent": "on", **overrides,
    }  # fmt: skip
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Booking.objects.get(slot=slot)


def _texts(booking):
    return Message.objects.filter(booking=booking, kind="confirmed", channel__in=TEXTS).count()


def test_a_walk_in_gets_no_text_unless_the_desk_asks(reception_client, session_type):
    booking = _post(reception_client, session_type, source="walk_in")
    assert _texts(booking) == 0
    assert booking.history.get().history_change_reason == services.DESK_NOT_TEXTED


def test_a_walk_in_is_texted_when_the_desk_asks(reception_client, session_type):
    booking = _post(reception_client, session_type, source="walk_in", text="yes")
    assert _texts(booking) == 1
    assert booking.history.get().history_change_reason == services.DESK_TEXTED


def test_a_caller_keeps_their_text_unless_the_desk_says_no(reception_client, session_type):
    called = _post(reception_client, session_type)
    assert _texts(called) == 1
    assert called.history.get().history_change_reason == services.DESK_TEXTED
    declined = _post(reception_client, session_type, phone="0312 3344556", text="no")
    assert _texts(declined) == 0
    assert declined.history.get().history_change_reason == services.DESK_NOT_TEXTED


def test_a_walk_in_who_gives_an_email_still_gets_the_email_with_its_calendar(reception_client, session_type):
    booking = _post(reception_client, session_type, source="walk_in", email="walkin@example.com")
    assert _texts(booking) == 0
    assert Message.objects.filter(booking=booking, kind="confirmed", channel=MessageChannel.EMAIL).count() == 1


def test_the_form_offers_the_choice_with_the_default_first(reception_client):
    page = reception_client.get(ADD).content.decode()
    assert 'name="text"' in page and "Phone booking: yes; walk-in: no" in page
