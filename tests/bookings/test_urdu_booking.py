"""A booking made on an Urdu page keeps Urdu: its page, and every message to the patient; reception's stay English."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from bookings.booking import services
from bookings.messaging import rendering
from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Booking, Message, MessageAudience
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_outboxes(monkeypatch):
    LocmemBackend.outbox.clear()
    from django.core.cache import cache

    cache.clear()
    # One transaction that never commits: run on-commit work (the worker) at once, as test_booking_flow does.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def slot():
    SessionTypeFactory()
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    return SlotFactory(
        clinic=ClinicFactory(name="Clifton", slug="clifton", email="clifton@example.com"),
        physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"),
        starts_at=start,
    )


def book(client, slot, prefix="/ur", **extra):
    data = {
        "name": "Ayesha Karim",
        "phone": "0312-3344556",
        "email": "ayesha@example.com",
        "session_type": SessionTypeFactory._meta.model.objects.first().pk,
        "consent": "on",
        "contact_channel": "sms",
        **extra,
    }
    return client.post(f"{prefix}/book/slot/{slot.pk}/", data)


def test_booking_on_an_urdu_page_is_kept_in_urdu_and_opens_its_urdu_page(client, slot):
    response = book(client, slot)
    booking = Booking.objects.get()
    assert booking.language == "ur"
    assert response.status_code == 302 and response["Location"] == f"/ur/booking/{booking.manage_token}/"
    html = client.get(response["Location"]).content.decode()
    assert "آپ کا سیشن بُک ہو گیا ہے۔" in html  # the flash message, in Urdu
    assert f"<bdi>{booking.reference}</bdi>" in html


def test_booking_on_an_english_page_stays_english(client, slot):
    book(client, slot, prefix="")
    assert Booking.objects.get().language == "en-gb"
    [sms] = LocmemBackend.outbox
    assert sms["body"].startswith("Aspire Wellness: booked ")


def test_urdu_confirmation_by_sms_and_email_is_in_urdu_and_reception_email_stays_english(client, slot):
    book(client, slot)
    booking = Booking.objects.get()
    [sms] = LocmemBackend.outbox
    assert "بکنگ کنفرم" in sms["body"] and booking.get_short_url() in sms["body"]
    # The short link opens the booking's Urdu page.
    assert client.get(booking.get_short_url())["Location"] == f"/ur/booking/{booking.manage_token}/"
    patient_mail, reception_mail = sorted(mail.outbox, key=lambda m: m.to[0])
    assert patient_mail.subject.startswith("آپ کا ڈرائی نیڈلنگ سیشن بُک ہو گیا ہے: ")
    assert "شکریہ Ayesha، آپ کا سیشن بُک ہو گیا ہے۔" in patient_mail.body
    assert "(کراچی کے وقت کے مطابق)" in patient_mail.body
    html = patient_mail.alternatives[0][0]
    assert '<html lang="ur" dir="rtl">' in html and "بکنگ دیکھیں، منسوخ کریں یا وقت بدلیں" in html
    assert reception_mail.subject.startswith("Online booking: ")
    assert "New online booking" in reception_mail.body
    languages = dict(Message.objects.values_list("audience", "language").distinct())
    assert languages == {MessageAudience.PATIENT: "ur", MessageAudience.RECEPTION: "en"}


def test_urdu_message_dates_are_urdu_words_with_latin_digits(slot):
    booking = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha", phone="0312-3344556", language="ur"
    )
    message = Message.objects.filter(booking=booking, audience=MessageAudience.PATIENT).first()
    start = timezone.localtime(slot.starts_at)
    weekday = ["پیر", "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ", "اتوار"][start.weekday()]
    assert message.params["when"].startswith(f"{weekday} {start.day} ")
    assert message.params["when"].endswith("، 11:00")
    assert message.params["manage_path"] == f"/ur/booking/{booking.manage_token}/"
    assert message.params["language"] == "ur"


def test_urdu_whatsapp_confirmation_uses_the_urdu_template(providers, slot, client):
    book(client, slot, contact_channel="whatsapp", email="")
    request = next(r for r in providers.requests if r.json and r.json.get("type") == "template")
    assert request.json["template"]["name"] == "aspire_booking_confirmed"
    assert request.json["template"]["language"] == {"code": "ur"}
    booking = Booking.objects.get()
    url_button = request.json["template"]["components"][-1]
    assert (
        url_button["sub_type"] == "url" and url_button["parameters"][0]["text"] == f"ur/booking/{booking.manage_token}/"
    )


def test_patient_changes_the_language_of_their_messages_on_the_manage_page(client, slot):
    book(client, slot, prefix="")
    booking = Booking.objects.get()
    assert 'name="language"' in client.get(booking.get_absolute_url()).content.decode()
    response = client.post(f"/booking/{booking.manage_token}/language/", {"language": "ur"})
    assert response.status_code == 302 and response["Location"] == f"/ur/booking/{booking.manage_token}/"
    booking.refresh_from_db()
    assert booking.language == "ur"
    assert "آپ کو تصدیق اور یاد دہانی اردو میں ملے گی۔" in client.get(response["Location"]).content.decode()
    LocmemBackend.outbox.clear()
    client.post(f"/ur/booking/{booking.manage_token}/cancel/")
    [sms] = LocmemBackend.outbox
    assert "منسوخ ہو گیا ہے" in sms["body"]


def test_an_unknown_language_is_refused_and_changes_nothing(client, slot):
    book(client, slot, prefix="")
    booking = Booking.objects.get()
    client.post(f"/booking/{booking.manage_token}/language/", {"language": "fr"})
    booking.refresh_from_db()
    assert booking.language == "en-gb"


def test_changing_the_language_is_a_post_only(client, slot):
    book(client, slot, prefix="")
    booking = Booking.objects.get()
    assert client.get(f"/booking/{booking.manage_token}/language/").status_code == 405


def test_message_language_of_a_django_language():
    assert rendering.message_language("en-gb") == "en" and rendering.message_language("ur") == "ur"


def test_demo_clinics_and_session_types_read_in_urdu_on_urdu_pages(client):
    from bookings import demo

    demo.seed_clinics()
    demo.seed_session_types()
    html = client.get("/ur/clinics/clifton/").content.decode()
    assert "خیابانِ رومی" in html and "پیر تا ہفتہ: 10:00 سے 20:00" in html
    assert "Khayaban-e-Roomi" in client.get("/clinics/clifton/").content.decode()


def test_demo_therapists_credentials_read_in_urdu_on_urdu_pages(client):
    from bookings import demo

    demo.seed_therapists(demo.seed_clinics())
    html = client.get("/ur/physiotherapists/ayesha-siddiqui/").content.decode()
    assert "ضیاء الدین یونیورسٹی" in html and "Ziauddin University" not in html


def test_every_patient_emails_subject_and_intro_goes_through_the_catalogue():
    """The waitlist offer's were plain strings: an Urdu patient's offer email came with an English subject."""
    from django.utils import translation
    from django.utils.functional import Promise

    for kind, words in rendering.MESSAGES.items():
        for part in ("subject", "intro"):
            assert isinstance(words[part], Promise), (kind, part)
            with translation.override("en-gb"):
                english = str(words[part])
            with translation.override("ur"):
                assert str(words[part]) != english, (kind, part)  # translated


def test_urdu_sms_keeps_numbers_left_to_right_without_isolates_that_handsets_show_as_boxes(slot, settings):
    """Urdu SMS wrapped the phone number in U+2066 ... U+2069, which handsets without Unicode 6.3 show as boxes."""
    booking = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha", phone="0312-3344556", language="ur"
    )
    services.booking_cancel(booking=booking)  # the cancellation's text carries the phone number
    messages = Message.objects.filter(booking=booking, audience=MessageAudience.PATIENT, channel="sms")
    texts = [rendering.render_text(m) for m in messages.filter(kind="cancelled")]
    assert texts
    for text in texts:
        assert not set(text) & {"\u2066", "\u2067", "\u2068", "\u2069"}, text
        # A left-to-right mark before the number: after Urdu letters "0309-5885076" would show as "5885076-0309".
        assert f"\u200e{settings.ASPIRE_PHONE_DISPLAY}" in text


def test_urdu_email_keeps_its_isolates_which_mail_clients_show(slot):
    booking = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha", phone="0312-3344556",
        email="ayesha@example.com", language="ur",
    )  # fmt: skip
    message = Message.objects.get(booking=booking, audience=MessageAudience.PATIENT, channel="email")
    subject, text, html, ics = rendering.render_email(message)
    assert "\u20660309-5885076\u2069" in text and "<bdi>0309-5885076</bdi>" in html
