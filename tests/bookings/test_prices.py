"""Each session type's fee, in PKR, wherever a patient meets the session: page, form, booking, messages."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bookings.messaging import outbox, sending, whatsapp_templates
from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Message, format_pkr
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_outboxes(monkeypatch):
    LocmemBackend.outbox.clear()
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def first_visit():
    return SessionTypeFactory(name="First visit: assessment and dry needling", price_pkr=6000, duration_minutes=60)


@pytest.fixture
def slot():
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=ClinicFactory(email="desk@example.com"), physiotherapist=PhysiotherapistFactory(),
                       starts_at=start)  # fmt: skip


def book(client, slot, session_type):
    data = {"name": "Ayesha Karim", "phone": "0312-3344556", "email": "ayesha@example.com",
            "session_type": session_type.pk, "consent": "on", "website": ""}  # fmt: skip
    return client.post(reverse("bookings:book_slot", args=[slot.pk]), data)


def test_an_amount_reads_as_rupees_with_thousands_separated():
    assert format_pkr(6000) == "PKR 6,000"
    assert format_pkr(12500) == "PKR 12,500"
    assert format_pkr(0) == "PKR 0"


def test_the_treatment_page_lists_each_active_fee_with_an_offer(client, shipped_content, first_visit):
    SessionTypeFactory(name="Retired session", price_pkr=999, is_active=False)
    page = parse(client.get(reverse("content:dry_needling")))
    assert "First visit: assessment and dry needling PKR 6,000 (60 minutes)" in page.text  # name, then fee below it
    assert "999" not in page.text and "Retired session" not in page.text
    [data] = page.json_ld
    [offer] = data["mainEntity"]["offers"]
    assert offer == {
        "@type": "Offer",
        "name": "First visit: assessment and dry needling",
        "price": "6000",
        "priceCurrency": "PKR",
        "url": "http://testserver/book/",
    }


def test_the_booking_form_shows_the_fee_of_each_session(client, slot, first_visit):
    page = parse(client.get(reverse("bookings:book_slot", args=[slot.pk])))
    assert "First visit: assessment and dry needling · PKR 6,000" in page.text


def test_the_confirmation_and_manage_page_show_the_fee(client, slot, first_visit):
    response = book(client, slot, first_visit)
    page = parse(client.get(response["Location"]))
    assert "Fee PKR 6,000" in page.text


def test_the_messages_carry_the_fee_as_it_was_when_booked(client, slot, first_visit):
    book(client, slot, first_visit)
    first_visit.price_pkr = 7000
    first_visit.save()
    patient_mail = next(m for m in mail.outbox if m.to == ["ayesha@example.com"])
    assert "Fee: PKR 6,000" in patient_mail.body and "PKR 6,000" in patient_mail.alternatives[0][0]
    [sms] = LocmemBackend.outbox
    assert "fee PKR 6,000" in sms["body"]
    whatsapp = Message.objects.filter(kind="confirmed", audience="patient").first()
    assert whatsapp.params["fee"] == "PKR 6,000"


@pytest.mark.parametrize("kind", ["confirmed", "moved", "reminder"])
def test_the_whatsapp_templates_of_a_booked_session_name_the_fee(kind):
    template = whatsapp_templates.template_for(kind=kind, language="en")
    assert "fee" in template.params
    params = {name: f"<{name}>" for name in template.all_params}
    assert "Fee: <fee>" in whatsapp_templates.render_text(template, params)


def test_a_whatsapp_message_queued_before_the_fee_existed_still_sends(slot, first_visit, providers, settings):
    booking = BookingFactory(slot=slot, session_type=first_visit)
    params = {"first_name": "Old", "when": "Tue 14 Oct, 17:30", "clinic": "Clifton", "therapist": "Sara",
              "reference": "OLD123", "phone": "0309-5885076", "manage_path": "/booking/tok-old/"}  # fmt: skip
    message = outbox.queue(booking=booking, audience="patient", channel="whatsapp", recipient="+923001234567",
                           kind="confirmed", params=params)  # fmt: skip
    sending.send(message)
    body = providers.last().json["template"]["components"][0]["parameters"]
    assert {"type": "text", "text": "PKR 6,000"} in body
