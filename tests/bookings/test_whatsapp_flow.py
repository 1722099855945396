"""
Messages on a patient's phone, end to end through the outbox and a local stand-in of
Meta's Graph API and Twilio (tests/standin.py): the template request, signed delivery
statuses in any order, the one text message for a number not on WhatsApp, retries,
quick replies, and STOP.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.booking import services
from bookings.messaging import outbox
from bookings.models import Booking, Message
from tests import standin as s
from tests.factories import SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db
PHONE = "+923123344556"


@pytest.fixture
def whatsapp(providers, settings):
    settings.ASPIRE_SMS_CHANNEL = "twilio"  # the fallback
    return providers


def book(phone=PHONE, **extra):
    return services.book_online(
        slot_id=SlotFactory().pk, session_type=SessionTypeFactory(), name="Ayesha Karim", phone=phone, **extra
    )


def deliver():
    return outbox.deliver_due(now=timezone.now())


def post_whatsapp(client, payload, secret="wa-app-secret"):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/whatsapp/", body, content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=s.whatsapp_signature(body, secret),
    )  # fmt: skip


def graph_requests(standin):
    return [r for r in standin.requests if r.path.endswith("/messages")]


def test_a_booking_confirmation_goes_by_whatsapp_template(whatsapp):
    booking = book()
    message = Message.objects.get(booking=booking, audience="patient")
    assert message.channel == "whatsapp" and message.status == "queued"
    deliver()
    [request] = graph_requests(whatsapp)
    assert request.json["to"].lstrip("+") == PHONE.lstrip("+") and request.json["type"] == "template"
    assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == "Bearer wa-token"
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id.startswith("wamid.")


def test_statuses_arrive_in_any_order_and_never_go_back(whatsapp, client):
    book()
    deliver()
    message = Message.objects.get(audience="patient")
    wamid = message.provider_message_id
    statuses = [
        s.whatsapp_status(wamid, "read", timestamp=1_800_000_300),
        s.whatsapp_status(wamid, "delivered", timestamp=1_800_000_200),
        s.whatsapp_status(wamid, "sent", timestamp=1_800_000_100),
        s.whatsapp_status(wamid, "read", timestamp=1_800_000_300),
    ]
    assert post_whatsapp(client, s.whatsapp_webhook(statuses=statuses)).status_code == 200
    message.refresh_from_db()
    assert message.status == "read" and message.delivered_at and message.read_at
    assert message.delivered_at < message.read_at


def test_a_bad_signature_changes_nothing(whatsapp, client):
    book()
    deliver()
    message = Message.objects.get(audience="patient")
    payload = s.whatsapp_webhook(statuses=[s.whatsapp_status(message.provider_message_id, "read", timestamp=1)])
    assert post_whatsapp(client, payload, secret="not-the-secret").status_code == 403
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_number_not_on_whatsapp_gets_exactly_one_text_message(whatsapp, client):
    whatsapp.fail(PHONE, s.NOT_ON_WHATSAPP)
    booking = book()
    deliver()
    deliver()
    failed = Message.objects.get(booking=booking, channel="whatsapp")
    text = Message.objects.get(booking=booking, channel="sms")
    assert failed.status == "failed" and text.fallback_for == failed and text.status == "sent"
    twilio = [r for r in whatsapp.requests if "Messages.json" in r.path]
    assert len(twilio) == 1 and twilio[0].form["To"] == PHONE


def test_a_late_not_on_whatsapp_report_also_falls_back_once(whatsapp, client):
    book()
    deliver()
    message = Message.objects.get(audience="patient")
    status = s.whatsapp_status(message.provider_message_id, "failed", timestamp=5, error=(131026, "Undeliverable"))
    post_whatsapp(client, s.whatsapp_webhook(statuses=[status]))
    post_whatsapp(client, s.whatsapp_webhook(statuses=[status]))  # reported twice
    deliver()
    assert Message.objects.filter(channel="sms", fallback_for=message).count() == 1
    assert Message.objects.get(pk=message.pk).status == "failed"


@pytest.mark.parametrize("how", [s.RATE_LIMIT, s.SERVER_ERROR])
def test_rate_limits_and_server_errors_are_tried_again(whatsapp, how):
    whatsapp.fail(PHONE, how)
    book()
    deliver()
    message = Message.objects.get(audience="patient")
    assert message.status == "queued" and message.attempts == 1 and message.next_attempt_at > timezone.now()
    assert not Message.objects.filter(channel="sms").exists()


def test_confirm_on_the_reminder_shows_on_the_schedule(whatsapp, client, reception_client):
    booking = book()
    reply = {
        "from": PHONE.lstrip("+"), "id": "wamid.IN1", "timestamp": "1800000400", "type": "button",
        "button": {"payload": f"confirm:{booking.reference}", "text": "Confirm"},
    }  # fmt: skip
    assert post_whatsapp(client, s.whatsapp_webhook(messages=[reply])).status_code == 200
    booking.refresh_from_db()
    assert booking.patient_confirmed_at is not None
    day = timezone.localtime(booking.slot.starts_at).date()
    page = reception_client.get(reverse("bookings_schedule"), {"clinic": booking.slot.clinic_id, "date": day})
    assert "Patient confirmed" in page.content.decode()


def test_change_or_cancel_answers_with_the_booking_link(whatsapp, client):
    booking = book()
    deliver()
    reply = {
        "from": PHONE.lstrip("+"), "id": "wamid.IN2", "timestamp": "1800000400", "type": "button",
        "button": {"payload": f"change:{booking.reference}", "text": "Change or cancel"},
    }  # fmt: skip
    post_whatsapp(client, s.whatsapp_webhook(messages=[reply]))
    deliver()
    answer = graph_requests(whatsapp)[-1].json
    assert answer["type"] == "text" and booking.manage_token in answer["text"]["body"]


def test_a_stranger_cannot_confirm_someone_elses_booking(whatsapp, client):
    booking = book()
    reply = {
        "from": "923339998877", "id": "wamid.IN3", "timestamp": "1800000400", "type": "button",
        "button": {"payload": f"confirm:{booking.reference}", "text": "Confirm"},
    }  # fmt: skip
    post_whatsapp(client, s.whatsapp_webhook(messages=[reply]))
    booking.refresh_from_db()
    assert booking.patient_confirmed_at is None


def test_stop_stops_every_message_but_answers(whatsapp, client):
    first = book()
    deliver()
    stop = {"from": PHONE.lstrip("+"), "id": "wamid.IN4", "timestamp": "1800000400", "type": "text",
            "text": {"body": "stop"}}  # fmt: skip
    post_whatsapp(client, s.whatsapp_webhook(messages=[stop]))
    deliver()
    assert "no more messages" in graph_requests(whatsapp)[-1].json["text"]["body"]
    sent_before = len(graph_requests(whatsapp))
    second = book()
    services.booking_cancel(booking=first, by_patient=False, reason="patient_asked")
    deliver()
    assert len(graph_requests(whatsapp)) == sent_before
    assert not Message.objects.filter(booking=second, channel__in=["whatsapp", "sms"]).exists()
    assert Booking.objects.filter(pk=second.pk).exists()


def test_the_patient_chooses_how_to_be_reached_and_the_opt_in_is_kept(whatsapp, client):
    slot = SlotFactory()
    data = {"name": "Ayesha Karim", "phone": "0312-3344556", "session_type": SessionTypeFactory().pk,
            "consent": "on", "contact_channel": "sms"}  # fmt: skip
    assert client.post(reverse("bookings:book_slot", args=[slot.pk]), data).status_code == 302
    booking = Booking.objects.get()
    patient = booking.patient
    assert patient.contact.contact_channel == "sms" and patient.contact.contact_opt_in_source == "online"
    assert patient.contact.contact_opt_in_at is not None
    # WhatsApp is set up, but the patient asked for text messages.
    assert Message.objects.get(booking=booking, audience="patient").channel == "sms"
