"""
How many text messages (segments) each SMS the outbox can send costs, in English and Urdu, with
the longest names of the demo data and longer realistic ones, at the site's real address.

An English confirmation or reminder fits one GSM-7 segment (160 characters); an Urdu one two UCS-2
segments (a concatenated text carries 67 characters a part, so 134 for two, not the 140 of two
single ones). The other kinds are held to the same limits.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import translation

from bookings import demo
from bookings.booking import services
from bookings.messaging import dispatch, events, inbound, rendering
from bookings.models import BookingSource, DepositStatus, Message, MessageChannel, Physiotherapist, Slot
from bookings.timeutils import at, local_today
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory

LANGUAGES = [code for code, _ in settings.LANGUAGES]
SITE_URL = "https://aspirewellness.pk"  # the production address (README): links are counted at full length
KINDS = [
    "confirmed",
    "cancelled",
    "moved",
    "reminder",
    "offer_move",
    "waitlist_offer",
    "aftercare",
    "confirmed_paid",
    "deposit_refunded",
]
# What each language's texts may cost: the confirmation and reminder by the issue; the rest held to it too.
MAX_SEGMENTS = {"en": 1, "ur": 2}


def test_sms_segments_counts_gsm7_and_ucs2_as_carriers_do():
    assert rendering.sms_segments("a" * 160) == 1
    assert rendering.sms_segments("a" * 161) == 2  # 153 a part once concatenated
    assert rendering.sms_segments("a" * 306) == 2
    assert rendering.sms_segments("a" * 307) == 3
    assert rendering.sms_segments("[" * 80) == 1  # the extension table takes two places a character
    assert rendering.sms_segments("[" * 81) == 2
    assert rendering.sms_segments("a" * 69 + "’") == 1  # one curly apostrophe: UCS-2, 70 a message
    assert rendering.sms_segments("a" * 70 + "’") == 2
    assert rendering.sms_segments("ا" * 134) == 2  # 67 a part
    assert rendering.sms_segments("ا" * 135) == 3


def _texts(booking) -> dict[str, str]:
    """Queue every kind of SMS for `booking` and return each one's text."""
    Message.objects.filter(booking=booking).delete()
    events.booking_confirmed(booking=booking)
    events.booking_moved(booking=booking)
    events.booking_reminder(booking=booking)
    events.booking_cancelled(booking=booking)
    events.booking_aftercare(booking=booking)
    for reason in dispatch.MOVE_REASONS:
        events.booking_offer_move(booking=booking, reason=reason)
    booking.held_until = booking.slot.starts_at - dt.timedelta(hours=20)
    events.waitlist_offer(booking=booking)
    # The deposit's messages at their longest: two five-figure amounts would need a fee of 20,000 or more.
    booking.deposit_pkr, booking.deposit_status = 2000, DepositStatus.PAID
    events.booking_confirmed(booking=booking)
    events.deposit_refunded(booking=booking, amount_pkr=10000)
    texts = {}
    for message in Message.objects.filter(booking=booking, channel=MessageChannel.SMS).order_by("pk"):
        key = message.kind if message.kind != "offer_move" else f"offer_move:{message.params['reason']}"
        texts[key] = rendering.render_text(message)
    with translation.override(booking.language):
        texts["manage_link"] = inbound.manage_link_text(booking)
        texts["stop_ack"] = inbound.stop_text(booking)
    return texts


def _booking(*, clinic, therapist, language, fee=12000):
    # The longest a date gets: a two-digit day of October (the longest month in Urdu, "اکتوبر").
    today = local_today()
    day = dt.date(today.year + (today >= dt.date(today.year, 10, 1)), 10, 28)
    start = at(day, dt.time(10))
    end = start + dt.timedelta(minutes=45)
    slot = Slot.objects.create(clinic=clinic, physiotherapist=therapist, starts_at=start, ends_at=end)
    session_type = SessionTypeFactory(name="First visit: assessment and dry needling", price_pkr=fee)
    return services.book_at_desk(
        slot_id=slot.pk, session_type=session_type, name="Muhammad Abdul Rehman Siddiqui", phone="0312-3344556",
        source=BookingSource.PHONE, now=start - dt.timedelta(days=30),
    ) if language == settings.LANGUAGE_CODE else services.book_online(
        slot_id=slot.pk, session_type=session_type, name="Muhammad Abdul Rehman Siddiqui", phone="0312-3344556",
        consent=True, language=language, now=start - dt.timedelta(days=3),
    )  # fmt: skip


def _worst_demo():
    clinics = demo.seed_clinics()
    demo.seed_therapists(clinics)
    clinic = max(clinics, key=lambda c: len(c.name))
    therapist = max(Physiotherapist.objects.all(), key=lambda p: len(p.name))
    return clinic, therapist


def _long_realistic():
    clinic = ClinicFactory(
        name="North Nazimabad Block H", slug="north-nazimabad-block-h", area="North Nazimabad",
        address="D-15, Block H, near Hydery Market, Shahrah-e-Sher Shah Suri, North Nazimabad",
    )  # fmt: skip
    therapist = PhysiotherapistFactory(name="Dr. Syeda Mahnoor Fatima Chaudhry", slug="syeda-mahnoor-fatima-chaudhry")
    return clinic, therapist


def _longest_allowed():
    clinic = ClinicFactory(name="C" * 120, slug="c" * 80, address="A" * 500)
    therapist = PhysiotherapistFactory(name="Dr. " + "T" * 116, slug="t" * 80)
    return clinic, therapist


CASES = {"demo": _worst_demo, "realistic": _long_realistic, "longest allowed": _longest_allowed}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", CASES)
def test_every_sms_fits_its_segments(settings, language, case):
    settings.ASPIRE_SITE_URL = SITE_URL
    clinic, therapist = CASES[case]()
    booking = _booking(clinic=clinic, therapist=therapist, language=language)
    texts = _texts(booking)
    assert set(texts) >= {*KINDS[:4], "offer_move:closed", "offer_move:away", *KINDS[5:]}
    limit = MAX_SEGMENTS[rendering.message_language(language)]
    over = {kind: (rendering.sms_segments(text), len(text), text) for kind, text in texts.items()}
    over = {kind: figures for kind, figures in over.items() if figures[0] > limit}
    assert not over, over


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_confirmation_and_a_reminder_say_where_with_a_short_link(settings, language):
    settings.ASPIRE_SITE_URL = SITE_URL
    clinic, therapist = _worst_demo()
    booking = _booking(clinic=clinic, therapist=therapist, language=language)
    texts = _texts(booking)
    with translation.override(language):  # the clinic by its name in the booking's language
        name = rendering.sms_clinic(clinic.name)
    for kind in ("confirmed", "reminder", "moved"):
        assert name in texts[kind]
        assert rendering.short_url(booking) in texts[kind], texts[kind]
    assert len(rendering.short_url(booking)) <= len(SITE_URL) + 16


@pytest.mark.django_db
def test_the_short_link_opens_the_booking_in_its_language(client):
    clinic, therapist = _worst_demo()
    booking = _booking(clinic=clinic, therapist=therapist, language="ur")
    response = client.get(booking.get_short_url())
    assert response.status_code == 302 and response["Location"] == f"/ur/booking/{booking.manage_token}/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_a_short_link_is_exact_to_the_letter(client):
    clinic, therapist = _worst_demo()
    booking = _booking(clinic=clinic, therapist=therapist, language=settings.LANGUAGE_CODE)
    code = booking.short_code
    other_case = code.swapcase() if code.swapcase() != code else None
    if other_case:  # SQLite's LIKE ignores case; the link must not
        assert client.get(f"/b/{other_case}").status_code == 404
    assert client.get(f"/b/{code[:-1]}").status_code == 404
    assert client.get(f"/b/{code}x").status_code == 404


def test_a_therapist_is_named_by_title_and_surname():
    assert rendering.sms_therapist("Dr. Ayesha Siddiqui") == "Dr. Siddiqui"
    assert rendering.sms_therapist("Dr. Syeda Mahnoor Fatima Chaudhry") == "Dr. Chaudhry"
    assert rendering.sms_therapist("Dr. Muhammad Abdurrehman") == "Abdurrehman"  # title and surname too long
    assert rendering.sms_therapist("Sana Malik") == "Sana Malik"
    assert len(rendering.sms_therapist("Dr. " + "T" * 116)) <= rendering.SMS_THERAPIST_CHARS
    assert rendering.sms_clinic("North Nazimabad Block H") == "North Nazimabad"
