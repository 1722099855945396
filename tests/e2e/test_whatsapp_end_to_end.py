"""
A booking reaches the patient's WhatsApp and the desk sees what happened: book in the
browser, the stand-in Graph API receives the confirmation, Meta's signed "delivered" and
"read" arrive, the booking's page in the admin shows read, the patient taps Confirm on
the reminder and the schedule shows it.
"""

import datetime as dt
import json

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from bookings.messaging import events, outbox
from bookings.models import Booking, Message
from tests import standin as s
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]
PASSWORD = "front-desk-Pass-2026"


def signed_webhook(live_server, payload):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": s.whatsapp_signature(body, "wa-app-secret")}
    return requests.post(f"{live_server.url}/webhooks/whatsapp/", data=body, headers=headers, timeout=10)


def test_book_in_the_browser_and_follow_the_message_to_read_and_confirmed(
    live_server, phone_page, desktop_page, providers, settings, staff_groups
):
    settings.ASPIRE_SMS_CHANNEL = "twilio"
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit")
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    slot = SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)

    # The patient books on their phone.
    page = phone_page
    page.goto(f"{live_server.url}/book/slot/{slot.pk}/")
    page.fill("#id_name", "Ayesha Karim")
    page.fill("#id_phone", "0312 3344556")
    page.check("#id_consent")
    page.get_by_role("button", name="Book this session").click()
    page.wait_for_url("**/booking/**")
    booking = Booking.objects.get()

    # The worker sent the confirmation as a WhatsApp template (tests run it when the booking commits).
    [request] = [r for r in providers.requests if r.path.endswith("/messages")]
    assert request.json["type"] == "template" and request.json["to"].lstrip("+") == "923123344556"
    message = Message.objects.get(booking=booking, channel="whatsapp")
    assert message.status == "sent"

    # Meta reports the message delivered, then read (sent out of order, as it may be).
    statuses = [
        s.whatsapp_status(message.provider_message_id, "read", timestamp=1_800_000_200, recipient="923123344556"),
        s.whatsapp_status(message.provider_message_id, "delivered", timestamp=1_800_000_100),
    ]
    assert signed_webhook(live_server, s.whatsapp_webhook(statuses=statuses)).status_code == 200

    # The desk sees it read.
    user = get_user_model().objects.create_user(username="amna", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Receptionist"))
    clinic.front_desk.add(user)
    desk = desktop_page
    sign_in_browser(desk, live_server.url, "amna", PASSWORD)
    desk.goto(f"{live_server.url}/admin/bookings/booking/{booking.pk}/change/")
    assert "Read" in desk.inner_text(".booking-messages")

    # The day before, the reminder goes out; the patient taps Confirm.
    events.booking_reminder(booking=booking)
    outbox.deliver_due()
    reply = {
        "from": "923123344556", "id": "wamid.IN1", "timestamp": "1800000400", "type": "button",
        "button": {"payload": f"confirm:{booking.reference}", "text": "Confirm"},
    }  # fmt: skip
    assert signed_webhook(live_server, s.whatsapp_webhook(messages=[reply])).status_code == 200
    desk.goto(f"{live_server.url}/admin/bookings/schedule/?clinic={clinic.pk}&date={start:%Y-%m-%d}")
    assert "Patient confirmed" in desk.inner_text(".schedule-grid")
