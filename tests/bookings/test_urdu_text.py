"""
What a patient reads in Urdu is in one script and Urdu's punctuation, on every public page and in
every message: a clinic or therapist with an Urdu name is named in Urdu ("کلفٹن", not "Clifton",
beside an address in Urdu), a list or a date is joined with the Urdu comma "،" (U+060C), not ",",
and a verb about the therapist agrees with the therapist's gender.
"""

import datetime as dt
import re
from email.header import decode_header, make_header
from email.utils import getaddresses
from pprint import pformat

import pytest
from django.utils import translation

from bookings.booking import services
from bookings.messaging import dispatch, events, inbound, rendering, whatsapp_templates
from bookings.models import Clinic, DepositStatus, Message, MessageChannel, Physiotherapist, SessionType, Slot
from bookings.timeutils import at, local_today
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory
from tests.html import parse
from tests.public_site import build_public_site, public_urls

pytestmark = pytest.mark.django_db

# What may keep a Latin comma in an Urdu line: an address, a number ("6,000"), a link.
_NOT_WORDS = re.compile(r"(https?://|www\.|aspirewellness\.pk/|mailto:)\S+|\S+@\S+")
# A Latin comma anywhere but between two digits ("PKR 6,000").
LATIN_COMMA = re.compile(r"(?<!\d),|,(?!\d)")


def latin_commas(text: str) -> list[str]:
    """Each Latin comma in `text` outside links, addresses and numbers, with a little of what is around it."""
    text = _NOT_WORDS.sub(" ", text)
    return [text[max(0, m.start() - 25) : m.end() + 25] for m in LATIN_COMMA.finditer(text)]


def english_names(text: str, names) -> list[str]:
    return [name for name in names if name.lower() in text.lower()]


# Every public page ----------------------------------------------------------------------------


@pytest.fixture
def urdu_site():
    pages = build_public_site()
    Clinic.objects.filter(slug="clifton").update(
        name_ur="کلفٹن", area_ur="کلفٹن", address_ur="پلاٹ 14-C، بلاک 5، خیابانِ رومی، کلفٹن"
    )
    Physiotherapist.objects.filter(slug="sana-malik").update(
        name_ur="ڈاکٹر ثنا ملک", credentials_ur="DPT، ڈرائی نیڈلنگ کی سند یافتہ"
    )
    first_visit = SessionType.objects.filter(name_ur__isnull=True, name__startswith="First visit")
    first_visit.update(name_ur="پہلا وزٹ: معائنہ اور ڈرائی نیڈلنگ")
    return pages


def _urdu_pages(client, pages) -> dict[str, str]:
    texts = {}
    for name, path in public_urls(pages).items():
        if name.startswith("ur-"):
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            texts[path] = parse(response).text
    return texts


def test_no_urdu_page_writes_a_latin_comma(client, urdu_site):
    """'Aspire Wellness Clifton, پلاٹ 14-C', 'منگل 8 دسمبر, 10:00': Urdu's comma is '،'."""
    found = {path: hits for path, text in _urdu_pages(client, urdu_site).items() if (hits := latin_commas(text))}
    assert not found, pformat(found)


def test_no_urdu_page_names_a_clinic_or_therapist_in_english_where_an_urdu_name_is_given(client, urdu_site):
    """'Clifton میں وقت چنیں' beside an address that says 'کلفٹن'."""
    found = {
        path: hits
        for path, text in _urdu_pages(client, urdu_site).items()
        if (hits := english_names(text, ["Clifton", "Sana Malik"]))
    }
    assert not found, pformat(found)
    english = parse(client.get("/clinics/clifton/")).text
    assert "Clifton" in english and "کلفٹن" not in english and "ثنا" not in english


def test_a_name_with_no_urdu_form_falls_back_to_english(client):
    build_public_site()
    text = parse(client.get("/ur/clinics/clifton/")).text
    assert "Clifton" in text and "Dr. Sana Malik" in text


# Every message ---------------------------------------------------------------------------------


HER = {"name": "Dr. Ayesha Siddiqui", "name_ur": "ڈاکٹر عائشہ صدیقی", "gender": "female", "slug": "ayesha"}
HIM = {"name": "Dr. Hamza Qureshi", "name_ur": "ڈاکٹر حمزہ قریشی", "gender": "male", "slug": "hamza"}


def _book(therapist: dict, language: str):
    """Book `therapist` (at Clifton, made once) in `language`, on a day of the therapist's own."""
    clinic = Clinic.objects.filter(slug="clifton").first() or ClinicFactory(
        name="Clifton", name_ur="کلفٹن", slug="clifton", area="Clifton", area_ur="کلفٹن",
        address="Plot 14-C, Block 5, Khayaban-e-Roomi, Clifton", address_ur="پلاٹ 14-C، بلاک 5، خیابانِ رومی، کلفٹن",
        email="clifton@example.com",
    )  # fmt: skip
    session_type = SessionType.objects.filter(name="Follow-up dry needling").first() or SessionTypeFactory(
        name="Follow-up dry needling", name_ur="فالو اپ ڈرائی نیڈلنگ", price_pkr=6000
    )
    physio = PhysiotherapistFactory(**therapist)
    day = local_today() + dt.timedelta(days=10 + Slot.objects.count())
    start = at(day, dt.time(10))
    end = start + dt.timedelta(minutes=45)
    slot = Slot.objects.create(clinic=clinic, physiotherapist=physio, starts_at=start, ends_at=end)
    return services.book_online(
        slot_id=slot.pk, session_type=session_type, name="Zainab Hussain", phone="0300-2145789",
        email="zainab@example.com", consent=True, language=language, now=start - dt.timedelta(days=3),
    )  # fmt: skip


def _html_text(html: str) -> str:
    return parse(html).text


def _ics_text(ics: bytes) -> str:
    # Unfold the lines (RFC 5545, 3.1) and drop the escapes of "," and ";" (3.3.11).
    return ics.decode().replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def every_message(booking) -> dict[str, str]:
    """Every message the booking's patient can get, by every channel: {"kind/channel": text}."""
    Message.objects.filter(booking=booking).delete()
    events.booking_confirmed(booking=booking)
    events.booking_moved(booking=booking)
    events.booking_reminder(booking=booking)
    events.booking_aftercare(booking=booking)
    for reason in dispatch.MOVE_REASONS:
        events.booking_offer_move(booking=booking, reason=reason)
    booking.held_until = booking.slot.starts_at - dt.timedelta(hours=20)
    events.waitlist_offer(booking=booking)
    booking.deposit_pkr, booking.deposit_status = 2000, DepositStatus.PAID
    events.booking_confirmed(booking=booking)  # confirmed_paid: the confirmation that is a receipt too
    events.booking_cancelled(booking=booking)
    events.deposit_refunded(booking=booking, amount_pkr=2000)
    texts = {}
    for message in Message.objects.filter(booking=booking, audience="patient").order_by("pk"):
        kind = message.kind if message.kind != "offer_move" else f"offer_move:{message.params['reason']}"
        if message.channel == MessageChannel.SMS:
            texts[f"{kind}/sms"] = rendering.render_text(message)
            template = whatsapp_templates.template_for(
                kind=message.kind, language=message.language, reason=message.params.get("reason", "")
            )
            texts[f"{kind}/whatsapp"] = whatsapp_templates.render_text(template, message.params, with_buttons=True)
        else:
            subject, text, html, attachment = rendering.render_email(message)
            texts[f"{kind}/email subject"] = subject
            texts[f"{kind}/email"] = text
            texts[f"{kind}/email html"] = _html_text(html)
            if attachment:
                texts[f"{kind}/ics"] = _ics_text(attachment[1])
    with translation.override(booking.language):
        texts["manage_link/sms"] = inbound.manage_link_text(booking)
        texts["stop_ack/sms"] = inbound.stop_text(booking)
    return texts


@pytest.mark.parametrize("therapist", [HER, HIM], ids=["female", "male"])
def test_no_urdu_message_writes_a_latin_comma(therapist):
    texts = every_message(_book(therapist, "ur"))
    assert {"confirmed/sms", "confirmed/whatsapp", "confirmed/email", "confirmed/ics", "cancelled/ics"} <= set(texts)
    assert {"confirmed_paid/sms", "confirmed_paid/email", "confirmed_paid/ics", "deposit_refunded/email"} <= set(texts)
    found = {kind: hits for kind, text in texts.items() if (hits := latin_commas(text))}
    assert not found, pformat(found)


@pytest.mark.parametrize("therapist", [HER, HIM], ids=["female", "male"])
def test_urdu_messages_name_the_clinic_and_therapist_in_urdu(therapist):
    """The WhatsApp template's parameters, the text, the email and its calendar file alike."""
    texts = every_message(_book(therapist, "ur"))
    english = [therapist["name"], therapist["name"].split()[-1], "Clifton"]
    found = {kind: hits for kind, text in texts.items() if (hits := english_names(text, english))}
    assert not found, pformat(found)
    surname = therapist["name_ur"].split()[-1]
    for kind in ("confirmed/sms", "confirmed/whatsapp", "confirmed/email", "confirmed/ics", "reminder/whatsapp"):
        assert surname in texts[kind] and "کلفٹن" in texts[kind], kind


def test_english_messages_keep_the_english_names():
    texts = every_message(_book(HER, "en-gb"))
    for kind in ("confirmed/sms", "confirmed/whatsapp", "confirmed/email", "confirmed/ics"):
        assert "Siddiqui" in texts[kind] and "Clifton" in texts[kind], kind
    assert not [kind for kind, text in texts.items() if re.search("[\u0600-\u06ff]", text)]


# Urdu's verbs follow the therapist's gender, in messages too --------------------------------------

# A verb's ending that shows its subject's gender: "ہوں گی" / "ہوں گے", "کریں گی" / "کریں گے".
FEMININE = re.compile(r"(ہوں|کریں|سکیں|رہیں|دیں|لیں|دیکھیں) گی")
MASCULINE = re.compile(r"(ہوں|کریں|سکیں|رہیں|دیں|لیں|دیکھیں) گے")
# The verbs whose subject is not the therapist: "ہم آپ کی مدد کریں گے" (we), "ہم ... طے کر لیں گے".
NOT_THE_THERAPIST = re.compile(r"ہم [^۔]*? گے|ہو گی|آؤں گا / آؤں گی")


def _therapist_verbs(text: str) -> tuple[list[str], list[str]]:
    text = NOT_THE_THERAPIST.sub(" ", text)
    return FEMININE.findall(text), MASCULINE.findall(text)


def test_every_urdu_message_naming_a_therapist_agrees_with_her_or_his_gender():
    """'Dr. Ayesha Siddiqui موجود نہیں ہوں گے' for a woman: the verb ignored who she is."""
    hers, his = every_message(_book(HER, "ur")), every_message(_book(HIM, "ur"))
    wrong = {}
    for kind, text in hers.items():
        feminine, masculine = _therapist_verbs(text)
        if masculine:
            wrong[f"female {kind}"] = masculine
    for kind, text in his.items():
        feminine, masculine = _therapist_verbs(text)
        if feminine:
            wrong[f"male {kind}"] = feminine
    assert not wrong, pformat(wrong)


def test_json_ld_names_a_clinic_and_therapist_in_english_and_in_urdu_as_its_alternate_name(client, urdu_site):
    """One @id, one name on both languages' pages (the one on the sign); the Urdu one beside it."""
    for prefix in ("", "/ur"):
        [clinic] = [b for b in parse(client.get(f"{prefix}/clinics/clifton/")).json_ld if b["@type"] == "MedicalClinic"]
        assert clinic["name"] == "Aspire Wellness, Clifton"
        assert clinic["alternateName"] == "Aspire Wellness، کلفٹن"
        blocks = parse(client.get(f"{prefix}/physiotherapists/sana-malik/")).json_ld
        [person] = [b for b in blocks if b["@type"] == "Person"]
        assert (person["name"], person["alternateName"]) == ("Dr. Sana Malik", "ڈاکٹر ثنا ملک")


@pytest.mark.parametrize("therapist", [HER, HIM], ids=["female", "male"])
def test_the_urdu_booking_form_and_its_consent_speak_of_the_therapist_by_gender(client, therapist):
    """The consent ('میرے فزیوتھراپسٹ میرے جوابات دیکھیں گے') kept one gender for both."""
    booking = _book(therapist, "ur")
    start = booking.slot.starts_at + dt.timedelta(days=1)  # a free time of the same therapist, the day after
    slot = Slot.objects.create(
        clinic=booking.slot.clinic, physiotherapist=booking.slot.physiotherapist, starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
    )  # fmt: skip
    text = parse(client.get(f"/ur/book/slot/{slot.pk}/")).text
    feminine, masculine = _therapist_verbs(text)
    if therapist["gender"] == "female":
        assert "دیکھیں گی" in text and not masculine, masculine
    else:
        assert "دیکھیں گے" in text and not feminine, feminine


def test_an_urdu_email_is_answered_to_the_clinic_by_its_urdu_name():
    booking = _book(HER, "ur")
    events.booking_confirmed(booking=booking)
    message = Message.objects.filter(booking=booking, channel=MessageChannel.EMAIL, audience="patient").last()
    [(name, address)] = getaddresses([rendering.email_reply_to(message)])
    assert str(make_header(decode_header(name))) == "Aspire Wellness کلفٹن" and address == "clifton@example.com"
