"""
The messages that state a deposit's amounts (issue 24): a booking confirmed after its deposit was
paid gets one message that is both confirmation and receipt (kind "confirmed_paid": the deposit
received and what is left to pay at the clinic), by each of its channels, in the patient's
language; an unpaid booking's confirmation says nothing of deposits; a refund tells the patient
the amount, and reception nothing.
"""

import pytest

from bookings.messaging import events, rendering, whatsapp_templates
from bookings.models import BookingSource, DepositStatus, Message, MessageAudience, MessageChannel
from tests.factories import BookingFactory, ClinicFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

# A deposit of 2,000 on a fee of 6,000: 4,000 left to pay at the clinic, as the patient reads them.
AMOUNTS = {"en-gb": ("PKR 2,000", "PKR 4,000"), "ur": ("2,000 روپے", "4,000 روپے")}
REFUND = {"en-gb": "PKR 2,000", "ur": "2,000 روپے"}
# The word for a deposit in each language (the Urdu message says it in Urdu, not in English).
DEPOSIT = {"en-gb": "deposit", "ur": "ڈپازٹ"}
# Words that name a deposit, in each language: an unpaid booking's confirmation has none.
DEPOSIT_WORDS = ["deposit", "ڈپازٹ", "PKR 2,000", "2,000 روپے"]


@pytest.fixture
def whatsapp(settings):
    settings.ASPIRE_WHATSAPP_TOKEN = "wa-token"
    settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID = "1234567890"


def booking(*, language: str, paid: bool = True):
    """An online booking with a phone and an email, at a clinic that has an email; its deposit paid if `paid`."""
    return BookingFactory(
        slot=SlotFactory(clinic=ClinicFactory(email="clifton@example.com")),
        session_type=SessionTypeFactory(name="First visit: assessment and dry needling", price_pkr=6000),
        name="Ayesha Karim",
        email="ayesha@example.com",
        source=BookingSource.ONLINE,
        language=language,
        deposit_pkr=2000 if paid else 0,
        deposit_status=DepositStatus.PAID if paid else DepositStatus.NONE,
    )


def patient_messages(booking) -> dict[str, list[Message]]:
    found = {}
    for message in Message.objects.filter(booking=booking, audience=MessageAudience.PATIENT).order_by("pk"):
        found.setdefault(message.channel, []).append(message)
    return found


def whatsapp_text(message: Message) -> str:
    template = whatsapp_templates.template_for(kind=message.kind, language=message.language)
    return whatsapp_templates.render_text(template, message.params)


def email_texts(message: Message) -> tuple[str, str, str, tuple | None]:
    return rendering.render_email(message)


@pytest.mark.parametrize("language", AMOUNTS)
def test_a_paid_booking_gets_one_confirmed_paid_message_by_text_and_one_by_email(language):
    paid = booking(language=language)
    events.booking_confirmed(booking=paid)
    kinds = {channel: [m.kind for m in messages] for channel, messages in patient_messages(paid).items()}
    assert kinds == {MessageChannel.SMS: ["confirmed_paid"], MessageChannel.EMAIL: ["confirmed_paid"]}


@pytest.mark.parametrize("language", AMOUNTS)
def test_a_paid_booking_gets_one_confirmed_paid_message_on_whatsapp(whatsapp, language):
    paid = booking(language=language)
    events.booking_confirmed(booking=paid)
    kinds = {channel: [m.kind for m in messages] for channel, messages in patient_messages(paid).items()}
    assert kinds == {MessageChannel.WHATSAPP: ["confirmed_paid"], MessageChannel.EMAIL: ["confirmed_paid"]}


@pytest.mark.parametrize("language", AMOUNTS)
def test_the_confirmed_paid_text_message_states_the_deposit_and_what_is_left_to_pay(language):
    paid = booking(language=language)
    events.booking_confirmed(booking=paid)
    [sms] = patient_messages(paid)[MessageChannel.SMS]
    text = rendering.render_text(sms)
    deposit, to_pay = AMOUNTS[language]
    assert deposit in text and to_pay in text and DEPOSIT[language] in text.lower(), text
    assert rendering.short_url(paid) in text


@pytest.mark.parametrize("language", AMOUNTS)
def test_the_confirmed_paid_whatsapp_message_states_both_amounts_the_reference_and_the_link(whatsapp, language):
    paid = booking(language=language)
    events.booking_confirmed(booking=paid)
    [message] = patient_messages(paid)[MessageChannel.WHATSAPP]
    deposit, to_pay = AMOUNTS[language]
    assert (message.params["deposit"], message.params["to_pay"]) == (deposit, to_pay)
    text = whatsapp_text(message)
    assert deposit in text and to_pay in text and paid.reference in text and DEPOSIT[language] in text.lower(), text
    assert paid.get_absolute_url().lstrip("/") in text


@pytest.mark.parametrize("language", AMOUNTS)
def test_the_confirmed_paid_email_states_both_amounts_and_carries_the_calendar_file(language):
    paid = booking(language=language)
    events.booking_confirmed(booking=paid)
    [email] = patient_messages(paid)[MessageChannel.EMAIL]
    subject, text, html, attachment = email_texts(email)
    deposit, to_pay = AMOUNTS[language]
    for body in (subject + text, html):
        assert deposit in body and to_pay in body and paid.reference in body and DEPOSIT[language] in body.lower()
    assert attachment is not None and attachment[2] == "text/calendar; method=REQUEST"


@pytest.mark.parametrize("language", AMOUNTS)
def test_an_unpaid_booking_still_gets_confirmed_with_no_word_of_a_deposit(whatsapp, language):
    unpaid = booking(language=language, paid=False)
    events.booking_confirmed(booking=unpaid)
    messages = patient_messages(unpaid)
    assert {channel: [m.kind for m in found] for channel, found in messages.items()} == {
        MessageChannel.WHATSAPP: ["confirmed"],
        MessageChannel.EMAIL: ["confirmed"],
    }
    [message], [email] = messages[MessageChannel.WHATSAPP], messages[MessageChannel.EMAIL]
    subject, text, html, _attachment = email_texts(email)
    read = "\n".join([rendering.render_text(message), whatsapp_text(message), subject, text, html])
    assert not [word for word in DEPOSIT_WORDS if word.lower() in read.lower()]


def test_reception_is_told_the_deposit_of_a_paid_online_booking_was_paid():
    paid = booking(language="ur")
    events.booking_confirmed(booking=paid)
    [email] = Message.objects.filter(booking=paid, audience=MessageAudience.RECEPTION)
    subject, text, html, attachment = email_texts(email)
    assert subject.startswith("Online booking: ")
    for body in (text, html):  # reception's stay in English
        assert "Deposit paid online: PKR 2,000" in body and "PKR 4,000" in body, body
    assert attachment is None


def test_reception_hears_no_deposit_of_an_unpaid_online_booking():
    unpaid = booking(language="en-gb", paid=False)
    events.booking_confirmed(booking=unpaid)
    [email] = Message.objects.filter(booking=unpaid, audience=MessageAudience.RECEPTION)
    subject, text, html, _attachment = email_texts(email)
    assert "deposit" not in (text + html).lower()


def refunded(*, language: str):
    refund = booking(language=language)
    refund.deposit_status = DepositStatus.REFUNDED
    refund.status = "cancelled"
    refund.save()
    events.deposit_refunded(booking=refund, amount_pkr=2000)
    return refund


@pytest.mark.parametrize("language", REFUND)
def test_a_refund_text_message_states_the_amount(language):
    refund = refunded(language=language)
    [sms] = patient_messages(refund)[MessageChannel.SMS]
    assert sms.kind == "deposit_refunded"
    text = rendering.render_text(sms)
    assert REFUND[language] in text and refund.reference in text and DEPOSIT[language] in text.lower(), text


@pytest.mark.parametrize("language", REFUND)
def test_a_refund_whatsapp_message_states_the_amount_and_says_where_it_went(whatsapp, language):
    refund = refunded(language=language)
    [message] = patient_messages(refund)[MessageChannel.WHATSAPP]
    text = whatsapp_text(message)
    assert REFUND[language] in text and refund.reference in text and message.params["when"] in text, text
    assert ("wallet or card" if language == "en-gb" else "والیٹ یا کارڈ") in text


@pytest.mark.parametrize("language", REFUND)
def test_a_refund_email_states_the_amount_and_carries_no_calendar_file(language):
    refund = refunded(language=language)
    [email] = patient_messages(refund)[MessageChannel.EMAIL]
    subject, text, html, attachment = email_texts(email)
    for body in (subject + text, html):
        assert REFUND[language] in body and refund.reference in body and DEPOSIT[language] in body.lower(), body
    assert attachment is None


def test_a_refund_says_it_can_take_a_few_working_days_and_promises_no_number_of_them():
    refund = refunded(language="en-gb")
    [sms], [email] = patient_messages(refund)[MessageChannel.SMS], patient_messages(refund)[MessageChannel.EMAIL]
    for text in (rendering.render_text(sms), email_texts(email)[1]):
        assert "a few working days" in text, text


def test_a_refund_goes_to_no_reception():
    refund = refunded(language="en-gb")
    assert not Message.objects.filter(booking=refund, audience=MessageAudience.RECEPTION).exists()
