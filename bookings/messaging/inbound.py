"""
What comes back: delivery statuses from the providers (applied once, in order of progress),
and what patients send ("Confirm" on a reminder, "Change or cancel", STOP). Handed over by
bookings.messaging.webhooks as plain events.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from bookings.messaging import channels, whatsapp_templates
from bookings.messaging.channels import InboundEvent, StatusEvent
from bookings.messaging.outbox import fall_back_to_text, queue
from bookings.models import (
    Booking,
    HandledInbound,
    Message,
    MessageAudience,
    MessageChannel,
    MessageStatus,
    Patient,
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


@transaction.atomic
def handle_inbound(events: list[InboundEvent]) -> None:
    """
    Act on what patients send, each message once however often it is delivered: "Confirm"
    on a reminder records that they are coming; "Change or cancel" answers with their
    booking's link; STOP stops every message to the number but answers to their own.
    """
    for event in events:
        if not first_handling(event):
            continue
        text = (event.text or "").strip().upper()
        if text in {"STOP", "UNSUBSCRIBE", "STOP ALL"}:
            Patient.objects.filter(phone=event.from_e164, messages_stopped_at__isnull=True).update(
                messages_stopped_at=event.at
            )
            _answer(event, "stop_ack", "You will get no more messages from Aspire Wellness. To book, call "
                    f"{settings.ASPIRE_PHONE_DISPLAY}.")  # fmt: skip
            continue
        if not event.button_payload:
            continue
        action, reference = whatsapp_templates.parse_button_payload(event.button_payload)
        booking = Booking.objects.filter(reference=reference, patient__phone=event.from_e164).first()
        if booking is None:
            continue
        if action == "confirm" and booking.patient_confirmed_at is None:
            booking.patient_confirmed_at = event.at
            booking.save(update_fields=["patient_confirmed_at", "updated_at"])  # with its history entry
        elif action == "change":
            link = f"{settings.ASPIRE_SITE_URL}{booking.get_absolute_url()}"
            _answer(event, "manage_link", f"To change or cancel your session ({booking.reference}): {link}", booking)


def _answer(event: InboundEvent, kind: str, text: str, booking: Booking | None = None) -> None:
    """Queue a WhatsApp answer to the patient's own message (allowed even after STOP)."""
    booking = booking or Booking.objects.filter(patient__phone=event.from_e164).order_by("-created_at").first()
    if booking is None or not channels.whatsapp_configured():
        return
    queue(booking=booking, audience=MessageAudience.PATIENT, channel=MessageChannel.WHATSAPP,
          recipient=event.from_e164, kind=kind, params={"text": text})  # fmt: skip
