"""
"Your session needs a new time" says which happened: the clinic is closed that day, or the
therapist is away (leave, or weekly hours that no longer cover the time), in English and Urdu,
by text message, WhatsApp and email. It said only "clinic closed or therapist away".
"""

import datetime as dt

import pytest
from django.urls import reverse

from bookings.booking import services
from bookings.messaging import outbox, rendering, whatsapp_templates
from bookings.messaging.local_channels import LocmemBackend
from bookings.models import ClinicClosure, Message, MessageChannel, Slot, TimeOff
from bookings.timeutils import at, local_today
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

DAY = local_today() + dt.timedelta(days=5)
SAYS = {
    ("closed", "en-gb"): "the clinic is closed on",
    ("away", "en-gb"): "Dr. Siddiqui is away on",
    ("closed", "ur"): "کو کلینک بند ہے",
    ("away", "ur"): "کو Dr. Siddiqui چھٹی پر ہیں",
}
NOT_SAYS = {"en-gb": "closed or", "ur": "بند ہے یا"}


def _booking(language, email=""):
    therapist = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui")
    slot = SlotFactory(physiotherapist=therapist, starts_at=at(DAY, dt.time(11)))
    return services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Sana Bibi", phone="0312-3344556", email=email,
        consent=True, language=language, now=at(DAY, dt.time(11)) - dt.timedelta(days=3),
    )  # fmt: skip


def _confirmation(booking):
    return rendering.render_text(Message.objects.get(booking=booking, kind="confirmed", channel=MessageChannel.SMS))


def _leave(booking, reason):
    if reason == "closed":
        closure = ClinicClosure.objects.create(reason="Quaid Day", start_date=DAY, end_date=DAY)
        closure.clinics.add(booking.slot.clinic)
        return reverse("bookings_affected", args=["closure", closure.pk])
    time_off = TimeOff.objects.create(
        physiotherapist=booking.slot.physiotherapist, starts_at=at(DAY, dt.time(9)), ends_at=at(DAY, dt.time(18)),
        reason="Family wedding",
    )  # fmt: skip
    return reverse("bookings_affected", args=["timeoff", time_off.pk])


@pytest.mark.parametrize("language", ["en-gb", "ur"])
@pytest.mark.parametrize("reason", ["closed", "away"])
def test_the_leave_notice_by_text_says_which_happened(reception_client, reason, language):
    booking = _booking(language)
    reception_client.post(_leave(booking, reason))
    LocmemBackend.outbox.clear()
    outbox.deliver_due()
    [sent] = [m["body"] for m in LocmemBackend.outbox if m["body"] != _confirmation(booking)]
    assert SAYS[(reason, language)] in sent, sent
    assert NOT_SAYS[language] not in sent
    assert rendering.short_url(booking) in sent


@pytest.mark.parametrize("language", ["en-gb", "ur"])
@pytest.mark.parametrize("reason", ["closed", "away"])
def test_the_leave_notice_by_email_says_which_happened(reception_client, reason, language):
    booking = _booking(language, email="sana@example.com")
    reception_client.post(_leave(booking, reason))
    message = Message.objects.get(booking=booking, kind="offer_move", channel=MessageChannel.EMAIL)
    assert message.params["reason"] == reason
    subject, text, html, ics = rendering.render_email(message)
    words = {
        ("closed", "en-gb"): "because the clinic is closed that day.",
        ("away", "en-gb"): "because Dr. Ayesha Siddiqui is away then.",
        ("closed", "ur"): "کیونکہ اس دن کلینک بند ہے۔",
        ("away", "ur"): "کیونکہ اس وقت Dr. Ayesha Siddiqui چھٹی پر ہیں۔",
    }[(reason, language)]
    assert words in text and NOT_SAYS[language] not in text


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("reason", ["closed", "away"])
def test_whatsapp_has_a_template_for_each_reason_in_each_language(reason, language):
    template = whatsapp_templates.template_for(kind="offer_move", language=language, reason=reason)
    english = whatsapp_templates.template_for(kind="offer_move", language="en", reason=reason)
    assert template.language == language and template.reason == reason and template.name == english.name
    assert template.params == english.params and template.link_param == english.link_param
    general = whatsapp_templates.template_for(kind="offer_move", language=language)
    assert template.name != general.name  # a new name: the approved one keeps its text at Meta
    body = whatsapp_templates.render_text(template, {
        "first_name": "Sana", "when": "Tue 8 Dec, 11:00", "clinic": "Clifton", "reference": "AB12CD",
        "therapist": "Dr. Ayesha Siddiqui", "phone": "0309-5885076", "manage_path": "booking/tok/",
    })  # fmt: skip
    says = {
        ("closed", "en"): "because the clinic is closed that day",
        ("away", "en"): "because Dr. Ayesha Siddiqui is away then",
        ("closed", "ur"): "کیونکہ اس دن کلینک بند ہے",
        ("away", "ur"): "کیونکہ اس وقت Dr. Ayesha Siddiqui چھٹی پر ہیں",
    }[(reason, language)]
    assert says in body and " or your physiotherapist" not in body and "بند ہے یا" not in body


def test_a_notice_queued_before_it_carried_a_reason_still_renders(reception_client):
    booking = _booking("en-gb")
    reception_client.post(_leave(booking, "away"))
    message = Message.objects.filter(kind="offer_move").first()
    message.params = {k: v for k, v in message.params.items() if k != "reason"}
    text = rendering.render_text(message)
    assert "can't go ahead" in text and "away" not in text


def test_a_therapists_shorter_week_tells_the_patient_the_therapist_is_away(reception_client):
    from tests.bookings.test_weekly_hours import MONDAY, WORKDAY, set_week  # reason: that module's week helpers

    therapist, clinic = PhysiotherapistFactory(name="Dr. Sana Malik"), ClinicFactory()
    set_week(therapist, clinic)
    saturday = Slot.objects.get(physiotherapist=therapist, starts_at=at(MONDAY + dt.timedelta(days=5), dt.time(10)))
    booking = BookingFactory(slot=saturday)
    set_week(therapist, clinic, dict.fromkeys(range(5), WORKDAY))  # no Saturdays any more
    reception_client.post(reverse("bookings_affected", args=["hours", therapist.pk]))
    message = Message.objects.get(booking=booking, kind="offer_move", channel=MessageChannel.SMS)
    assert message.params["reason"] == "away"
    assert "Dr. Malik is away on" in rendering.render_text(message)
