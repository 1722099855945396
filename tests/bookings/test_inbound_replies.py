"""
What patients send back, through the signed webhooks: each message is acted on once however
often the provider delivers it (Meta redelivers when an answer is slow), even when the
deliveries race; an answer goes back by the road the patient used, in their language, with
the link in that language; opt-out words in English, Urdu and Roman Urdu stop messages.
"""

import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from bookings.booking import services
from bookings.messaging import inbound, outbox
from bookings.models import Booking, Contact, HandledInbound, Message
from tests import standin as s
from tests.factories import SessionTypeFactory, SlotFactory

PHONE = "+923123344556"


@pytest.fixture
def whatsapp(providers, settings):
    settings.ASPIRE_SMS_CHANNEL = "twilio"
    return providers


def book(phone=PHONE, **extra) -> Booking:
    return services.book_online(
        slot_id=SlotFactory().pk, session_type=SessionTypeFactory(), name="Ayesha Karim", phone=phone, **extra
    )


def post_whatsapp(client, payload):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/whatsapp/", body, content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=s.whatsapp_signature(body, "wa-app-secret"),
    )  # fmt: skip


def post_twilio(client, params):
    signature = s.twilio_signature("http://testserver/webhooks/twilio/", params, "twilio-auth-token")
    return client.post("/webhooks/twilio/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def tap(booking, action="change", wamid="wamid.TAP1") -> dict:
    return s.whatsapp_webhook(
        messages=[{
            "from": PHONE.lstrip("+"), "id": wamid, "timestamp": "1800000400", "type": "button",
            "button": {"payload": f"{action}:{booking.reference}", "text": "Change or cancel"},
        }]
    )  # fmt: skip


def whatsapp_text(text, wamid="wamid.TEXT1") -> dict:
    return s.whatsapp_webhook(
        messages=[{"from": PHONE.lstrip("+"), "id": wamid, "timestamp": "1800000400", "type": "text",
                   "text": {"body": text}}]
    )  # fmt: skip


def sms(text, sid="SM" + "c" * 32, **extra) -> dict:
    return {"MessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "From": PHONE, "To": "+15005550006",
            "Body": text, **extra}  # fmt: skip


def answers(kind=None):
    found = Message.objects.filter(kind__in=[kind] if kind else ["manage_link", "stop_ack"])
    return list(found.order_by("pk"))


# --- once, however often it is delivered ---------------------------------------------------------


@pytest.mark.django_db
def test_the_same_button_tap_delivered_six_times_is_answered_once(whatsapp, client):
    booking = book()
    for _ in range(6):
        assert post_whatsapp(client, tap(booking)).status_code == 200
    assert len(answers("manage_link")) == 1


@pytest.mark.django_db
def test_the_same_tap_twice_in_one_batch_is_answered_once(whatsapp, client):
    booking = book()
    payload = tap(booking)
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"] *= 2
    post_whatsapp(client, payload)
    assert len(answers("manage_link")) == 1


@pytest.mark.django_db
def test_a_new_tap_on_the_same_button_is_answered_again(whatsapp, client):
    booking = book()
    post_whatsapp(client, tap(booking, wamid="wamid.TAP1"))
    post_whatsapp(client, tap(booking, wamid="wamid.TAP2"))  # the patient tapped again: a new message
    assert len(answers("manage_link")) == 2


@pytest.mark.django_db
def test_a_whatsapp_stop_delivered_again_is_acknowledged_once(whatsapp, client):
    book()
    for _ in range(3):
        post_whatsapp(client, whatsapp_text("STOP"))
    assert len(answers("stop_ack")) == 1


@pytest.mark.django_db
def test_an_sms_stop_delivered_again_is_acknowledged_once(whatsapp, client):
    book()
    for _ in range(3):
        assert post_twilio(client, sms("STOP")).status_code == 200
    assert len(answers("stop_ack")) == 1


@pytest.mark.django_db
def test_a_whatsapp_and_an_sms_message_with_the_same_id_are_two_messages(whatsapp, client):
    book()
    post_whatsapp(client, whatsapp_text("STOP", wamid="SAME1"))
    post_twilio(client, sms("STOP", sid="SAME1"))
    assert HandledInbound.objects.filter(provider_id="SAME1").count() == 2


@pytest.mark.django_db
def test_a_failed_status_reported_six_times_falls_back_once(whatsapp, client):
    booking = book()
    outbox.deliver_due(now=timezone.now())
    message = Message.objects.get(booking=booking, channel="whatsapp")
    failed = s.whatsapp_status(message.provider_message_id, "failed", timestamp=5, error=(131026, "Undeliverable"))
    post_whatsapp(client, s.whatsapp_webhook(statuses=[failed] * 3))
    for _ in range(5):
        post_whatsapp(client, s.whatsapp_webhook(statuses=[failed]))
    assert Message.objects.filter(fallback_for=message).count() == 1


# --- once, when the deliveries race ----------------------------------------------------------------


@pytest.fixture
def slow_answer(monkeypatch):
    """Hold each handling open a moment after it has looked, so that racers overlap."""
    real = inbound.queue

    def slow(**kwargs):
        time.sleep(0.05)
        return real(**kwargs)

    monkeypatch.setattr(inbound, "queue", slow)


def six_redeliveries(booking):
    body = json.dumps(tap(booking, wamid="wamid.RACE")).encode()
    signature = s.whatsapp_signature(body, "wa-app-secret")

    def redeliver():
        response = Client().post(
            "/webhooks/whatsapp/", body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
        )
        return response.status_code

    return [redeliver] * 6


@pytest.mark.django_db(transaction=True)
def test_six_redeliveries_at_once_are_answered_once(whatsapp, race, slow_answer):
    booking = book()
    outcomes = race(six_redeliveries(booking))
    assert outcomes == [("ok", 200)] * 6
    assert len(answers("manage_link")) == 1


@pytest.mark.django_db(transaction=True)
def test_control_without_the_record_of_handled_ids_redeliveries_are_answered_again(
    whatsapp, race, slow_answer, monkeypatch
):
    monkeypatch.setattr(inbound, "first_handling", lambda event: True)
    booking = book()
    race(six_redeliveries(booking))
    assert len(answers("manage_link")) > 1


@pytest.mark.django_db
def test_the_record_holds_no_number_and_retention_deletes_it_after_a_month(whatsapp, client):
    from bookings.booking import privacy

    book()
    post_whatsapp(client, whatsapp_text("STOP"))
    [handled] = HandledInbound.objects.all()
    assert PHONE.lstrip("+") not in str(handled.__dict__)
    privacy.retention_apply(now=handled.handled_at + privacy.HANDLED_INBOUND_KEPT)
    assert HandledInbound.objects.exists()
    summary = privacy.retention_apply(now=handled.handled_at + privacy.HANDLED_INBOUND_KEPT * 2)
    assert summary.handled_inbound == 1 and not HandledInbound.objects.exists()
    assert Contact.objects.get(phone=PHONE).messages_stopped_at is not None


# --- back by the road the patient used, in their language ------------------------------------------


def graph_texts(standin):
    sent = [r.json for r in standin.requests if r.path.endswith("/messages")]
    return [m["text"]["body"] for m in sent if m["type"] == "text"]


def twilio_bodies(standin):
    return [r.form["Body"] for r in standin.requests if "Messages.json" in r.path]


@pytest.mark.django_db
def test_an_sms_stop_is_acknowledged_by_sms_not_on_whatsapp(whatsapp, client):
    book()
    outbox.deliver_due(now=timezone.now())
    post_twilio(client, sms("STOP"))
    [ack] = answers("stop_ack")
    assert (ack.channel, ack.recipient) == ("sms", PHONE)
    outbox.deliver_due(now=timezone.now())
    assert "no more messages" in twilio_bodies(whatsapp)[-1]
    assert not graph_texts(whatsapp)  # no free-form WhatsApp text, which Meta refuses outside 24 hours (131047)


@pytest.mark.django_db
def test_a_whatsapp_stop_is_acknowledged_on_whatsapp(whatsapp, client):
    book()
    post_whatsapp(client, whatsapp_text("STOP"))
    outbox.deliver_due(now=timezone.now())
    assert [a.channel for a in answers("stop_ack")] == ["whatsapp"]
    assert "no more messages" in graph_texts(whatsapp)[-1] and not twilio_bodies(whatsapp)[1:]


@pytest.mark.django_db
def test_an_urdu_patients_change_tap_is_answered_in_urdu_with_the_urdu_link(whatsapp, client):
    booking = book(language="ur")
    post_whatsapp(client, tap(booking))
    outbox.deliver_due(now=timezone.now())
    [answer] = answers("manage_link")
    assert answer.language == "ur"
    text = graph_texts(whatsapp)[-1]
    assert f"http://testserver/ur/booking/{booking.manage_token}/" in text
    assert "بدلنے یا منسوخ" in text and "To change" not in text


@pytest.mark.django_db
def test_an_english_patients_change_tap_keeps_the_english_link(whatsapp, client):
    booking = book()
    post_whatsapp(client, tap(booking))
    outbox.deliver_due(now=timezone.now())
    text = graph_texts(whatsapp)[-1]
    assert f"http://testserver/booking/{booking.manage_token}/" in text and text.startswith("To change")


@pytest.mark.django_db
def test_an_urdu_patients_sms_stop_is_acknowledged_by_sms_in_urdu(whatsapp, client):
    book(language="ur")
    post_twilio(client, sms("بند کرو"))
    outbox.deliver_due(now=timezone.now())
    assert "کوئی پیغام نہیں" in twilio_bodies(whatsapp)[-1]


@pytest.mark.django_db
def test_an_opt_out_twilio_handled_itself_is_recorded_and_not_answered_twice(whatsapp, client):
    # Twilio answers its own opt-out words (CANCEL among them) and refuses our SMS after (21610).
    book()
    post_twilio(client, sms("CANCEL", OptOutType="STOP"))
    assert Contact.objects.get(phone=PHONE).messages_stopped_at is not None
    assert not answers("stop_ack")


# --- the opt-out words -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop! ", "STOP ALL", "stopall", "Unsubscribe", "opt out",
     "بند", "بند کرو", "بند کریں", "بند کر دو", "بندکردیں", "میسج بند کریں", "مت بھیجو", "بند كرو۔",
     "band", "Band karo", "band kro", "BAND KAR DO", "bund karo", "msg band karo", "mat bhejo"],
)  # fmt: skip
def test_opt_out_words_in_english_urdu_and_roman_urdu_stop_messages(whatsapp, client, text):
    book()
    post_whatsapp(client, whatsapp_text(text))
    assert Contact.objects.get(phone=PHONE).messages_stopped_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["ok", "OK!", "cancel", "Cancel my booking", "yes", "thanks", "ruko", "stop by at 5?", "band baja", "جی"]
)
def test_ordinary_words_do_not_stop_messages(whatsapp, client, text):
    book()
    post_whatsapp(client, whatsapp_text(text))
    assert Contact.objects.get(phone=PHONE).messages_stopped_at is None


def test_the_opt_out_words_are_matched_after_normalising_case_space_punctuation_and_letter_forms():
    assert inbound.is_opt_out("  sToP  !!") and inbound.is_opt_out("بند\u200cکرو") and inbound.is_opt_out("بند كرو")
    assert not inbound.is_opt_out("") and not inbound.is_opt_out("stopp")
