"""
What comes back: delivery statuses from the providers (applied once, in order of progress),
and what patients send ("Confirm" on a reminder, "Change or cancel", STOP). Handed over by
bookings.messaging.webhooks as plain events.
"""

import logging
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from bookings.messaging import channels, whatsapp_templates
from bookings.messaging.channels import InboundEvent, StatusEvent
from bookings.messaging.outbox import fall_back_to_text, queue
from bookings.messaging.rendering import message_language
from bookings.models import (
    Booking,
    Contact,
    HandledInbound,
    Message,
    MessageAudience,
    MessageChannel,
    MessageStatus,
)

logger = logging.getLogger(__name__)

PROGRESS = {MessageStatus.SENT: 1, MessageStatus.DELIVERED: 2, MessageStatus.READ: 3}


STATUS_TIME = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}


@transaction.atomic
def apply_statuses(events: list[StatusEvent]) -> None:
    """
    Apply delivery statuses to the messages they name. Each is applied once and a message
    never goes back (read stays read when a late "delivered" arrives), whatever order the
    provider sends them in; a WhatsApp message the number can't receive falls back to one
    text message (one, however often the failure is reported: fallback_for is unique). So a
    status delivered again changes nothing, and no record of handled statuses is kept.
    """
    for event in events:
        message = Message.objects.select_for_update().filter(provider_message_id=event.provider_id).first()
        if message is None:
            continue
        changes = {}
        field = STATUS_TIME[event.status]
        if getattr(message, field) is None:
            changes[field] = event.at
        if event.status == "failed":
            if message.status != MessageStatus.FAILED and PROGRESS.get(message.status, 0) < PROGRESS["delivered"]:
                changes.update(status=MessageStatus.FAILED, last_error=f"Provider error {event.error_code}")
                if event.not_on_whatsapp:
                    fall_back_to_text(message)
        elif PROGRESS[event.status] > PROGRESS.get(message.status, 0) and message.status != MessageStatus.FAILED:
            changes["status"] = event.status
        if changes:
            Message.objects.filter(pk=message.pk).update(**changes)


def first_handling(event: InboundEvent) -> bool:
    """
    Record that this message of the patient's is being acted on, in the caller's transaction;
    False if it has been already (the provider delivered it again). A redelivery racing the
    first waits on the unique row until the first commits, then is refused here.
    """
    try:
        with transaction.atomic():
            HandledInbound.objects.create(channel=event.channel, provider_id=event.provider_id)
    except IntegrityError:
        # Not the id itself: a WhatsApp message id carries the sender's number (base64 inside "wamid.").
        logger.info("An inbound %s message delivered again: handled once already", event.channel)
        return False
    return True


# The words that stop messages, each matched against a patient's whole message once both are
# normalised (normalise_words: case, spaces, punctuation, Arabic letter forms): "stop" stops,
# "stop by at 5?" does not. English as Twilio and carriers take it; Urdu, and Urdu in Latin
# letters as most patients in Karachi type it. Left out on purpose:
# - "cancel": a patient answering a reminder with it means the session (reception calls them);
#   on SMS, Twilio takes it as an opt-out itself and says so (OptOutType), which stops them here too;
# - "end", "quit": not what a patient here writes to mean it, and ordinary words in a chat;
# - "ruko" / "رکو": "wait" as often as "stop"; "nahi chahiye" ("don't want"): a reply to an offer.
STOP_WORDS = frozenset(
    {
        "stop", "stop all", "unsubscribe", "opt out",
        "بند", "بند کرو", "بند کریں", "بند کر دو", "بند کر دیں", "بند کر دیجیے",
        "میسج بند کرو", "میسج بند کریں", "پیغام بند کرو", "پیغام بند کریں", "پیغامات بند کریں",
        "مت بھیجو", "مت بھیجیں", "میسج مت بھیجو", "میسج مت بھیجیں",
        "band", "bund", "band karo", "band kro", "band kar do", "band kr do", "band karen", "band karein",
        "band kar dein", "bund karo", "msg band karo", "message band karo", "messages band karo",
        "sms band karo", "mat bhejo", "mat bhejein", "mat bhejen", "msg mat bhejo", "message mat bhejo",
    }
)  # fmt: skip

# Arabic letters that Urdu writes with its own forms (an Arabic keyboard types these).
_URDU_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})


def normalise_words(text: str) -> str:
    """
    Return `text` as opt-out words are compared: letters folded (NFKC, case, Urdu letter forms),
    marks, joiners and tatweel dropped, punctuation and symbols (emoji) made spaces, and then
    every space removed, so that "Band karo!" and "bandkaro" match, as "بند کرو" and "بندکرو" do.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_URDU_LETTERS)
    kept = []
    for char in folded:
        category = unicodedata.category(char)
        if category[0] in "PSZ" or char.isspace():
            kept.append(" ")
        elif category not in {"Mn", "Cf", "Lm"}:
            kept.append(char)
    return "".join("".join(kept).split())


_STOP_KEYS = frozenset(normalise_words(word) for word in STOP_WORDS)


def is_opt_out(text: str) -> bool:
    """Whether a patient's message is one of the STOP_WORDS (the whole message, normalised)."""
    return bool(text) and normalise_words(text) in _STOP_KEYS


@transaction.atomic
def handle_inbound(events: list[InboundEvent]) -> None:
    """
    Act on what patients send, each message once however often it is delivered: "Confirm"
    on a reminder records that they are coming; "Change or cancel" answers with their
    booking's link; STOP (STOP_WORDS) stops every message to the number but answers to
    their own. An answer goes back by the road the message came (WhatsApp or SMS), in the
    language of the patient's booking.
    """
    for event in events:
        if not first_handling(event):
            continue
        if event.opted_out_by_provider or is_opt_out(event.text):
            Contact.objects.filter(phone=event.from_e164, messages_stopped_at__isnull=True).update(
                messages_stopped_at=event.at
            )
            if not event.opted_out_by_provider:  # else the provider has answered, and would refuse ours
                latest = Booking.objects.filter(patient__contact__phone=event.from_e164).order_by("-created_at").first()
                _answer(event, "stop_ack", latest, stop_text)
            continue
        if not event.button_payload:
            continue
        action, reference = whatsapp_templates.parse_button_payload(event.button_payload)
        booking = Booking.objects.filter(reference=reference, patient__contact__phone=event.from_e164).first()
        if booking is None:
            continue
        if action == "confirm" and booking.patient_confirmed_at is None:
            booking.patient_confirmed_at = event.at
            booking.save(update_fields=["patient_confirmed_at", "updated_at"])  # with its history entry
        elif action == "change":
            _answer(event, "manage_link", booking, manage_link_text)


def stop_text(booking: Booking) -> str:
    return gettext("You will get no more messages from Aspire Wellness. To book, call {phone}.").format(
        phone=settings.ASPIRE_PHONE_DISPLAY
    )


def manage_link_text(booking: Booking) -> str:
    # Under the booking's language, so the link is that language's page (/ur/booking/... for Urdu).
    link = f"{settings.ASPIRE_SITE_URL}{booking.get_absolute_url()}"
    return gettext("To change or cancel your session ({reference}): {link}").format(
        reference=booking.reference, link=link
    )


def _answer(event: InboundEvent, kind: str, booking: Booking | None, words: Callable[[Booking], str]) -> None:
    """
    Queue the answer to a patient's own message (allowed even after STOP) by the road it came:
    on WhatsApp, free text inside the 24-hour window the message opened; by SMS, a text (a
    WhatsApp answer to an SMS would be outside any window, refused by Meta with 131047). The
    words are the booking's language.
    """
    if booking is None or (event.channel == MessageChannel.WHATSAPP and not channels.whatsapp_configured()):
        return
    with translation.override(booking.language):
        text = words(booking)
    queue(booking=booking, audience=MessageAudience.PATIENT, channel=event.channel, recipient=event.from_e164,
          kind=kind, params={"text": text, "language": message_language(booking.language)})  # fmt: skip
