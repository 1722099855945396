"""An email says where it comes from and where answers go: a Message-ID of the site's own domain,
a Reply-To of the clinic (or the site), and the language it is written in."""

import datetime as dt

import pytest
from django.core import mail

from bookings.booking import services
from bookings.messaging import sending
from bookings.models import Message, MessageAudience, MessageChannel
from bookings.timeutils import at, local_today
from tests.factories import ClinicFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db


def sent_emails(*, language="en-gb", clinic="Clifton", clinic_email="clifton@example.com", days=3):
    """Book online with an email, send the booking's emails; return {audience: the sent email}."""
    slot = SlotFactory(
        clinic=ClinicFactory(name=clinic, email=clinic_email),
        starts_at=at(local_today() + dt.timedelta(days=days), dt.time(11)),
    )
    booking = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha Karim", phone="0312-3344556",
        email="ayesha@example.com", language=language,
    )  # fmt: skip
    sent = {}
    for message in Message.objects.filter(booking=booking, channel=MessageChannel.EMAIL):
        mail.outbox.clear()
        sending.send(message)
        [sent[message.audience]] = mail.outbox
    return sent


def test_message_id_is_of_the_sites_domain_not_localhost(settings):
    settings.ASPIRE_SITE_URL = "https://aspirewellness.pk"
    for email in sent_emails().values():
        message_id = email.message()["Message-ID"]
        assert message_id.startswith("<") and message_id.endswith("@aspirewellness.pk>"), message_id


def test_a_patient_answers_the_clinic_and_reception_the_site(settings):
    settings.ASPIRE_REPLY_TO_EMAIL = "Aspire Wellness <hello@aspirewellness.pk>"
    sent = sent_emails()
    assert sent[MessageAudience.PATIENT].message()["Reply-To"] == "Aspire Wellness Clifton <clifton@example.com>"
    assert sent[MessageAudience.RECEPTION].message()["Reply-To"] == "Aspire Wellness <hello@aspirewellness.pk>"


def test_a_patient_of_a_clinic_without_an_address_answers_the_site(settings):
    settings.ASPIRE_REPLY_TO_EMAIL = "Aspire Wellness <hello@aspirewellness.pk>"
    sent = sent_emails(clinic_email="")
    assert sent[MessageAudience.PATIENT].message()["Reply-To"] == "Aspire Wellness <hello@aspirewellness.pk>"


def test_an_email_says_its_language():
    """Urdu emails had no Content-Language, so a mail client could not pick its reading direction or voice."""
    sent = sent_emails(language="ur")
    assert sent[MessageAudience.PATIENT].message()["Content-Language"] == "ur"
    assert sent[MessageAudience.RECEPTION].message()["Content-Language"] == "en"  # reception's stay English
    english = sent_emails(language="en-gb", clinic="Saddar", days=4)[MessageAudience.PATIENT]
    assert english.message()["Content-Language"] == "en"
