"""
One message out: rendered (bookings.messaging.rendering) and handed to its channel. A refusal
that won't change is a PermanentFailure; anything else may pass, and the outbox retries it.
"""

import smtplib

from django.core.mail import EmailMultiAlternatives

from bookings.messaging import channels, rendering, whatsapp_templates
from bookings.models import Message, MessageChannel


class PermanentFailure(Exception):
    """A channel refused the message for good (no such number or address): no retry."""


class NotOnWhatsApp(PermanentFailure):
    """The number has no WhatsApp: the message goes once as a text message instead."""


# Free-form WhatsApp answers to a patient's own message (inside the 24-hour window): no template.
ANSWERS = rendering.ANSWERS


def send(message: Message) -> str:
    """Render and send one message by its channel; return the provider's id for it, if any."""
    if message.channel == MessageChannel.EMAIL:
        subject, text, html, attachment = rendering.render_email(message)
        email = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[message.recipient],
            reply_to=[rendering.email_reply_to(message)],
            headers=rendering.email_headers(message),
        )
        email.attach_alternative(html, "text/html")
        if attachment is not None:
            email.attach(*attachment)
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"The mail server refused the address: {exc}") from exc
        return ""
    try:
        if message.channel == MessageChannel.SMS:
            return channels.sms_channel().send(to_e164=message.recipient, body=rendering.render_text(message))
        if message.channel == MessageChannel.WHATSAPP:
            whatsapp = channels.WhatsAppCloud()
            if message.kind in ANSWERS:
                return whatsapp.send_text(to_e164=message.recipient, body=message.params["text"])
            template = whatsapp_templates.template_for(
                kind=message.kind, language=message.language, reason=message.params.get("reason", "")
            )
            # A message queued before its template carried the fee still goes: the booking's fee fills it in.
            params = message.params if "fee" in message.params else {**message.params, "fee": _fee(message)}
            return whatsapp.send_template(
                to_e164=message.recipient, template=template.name, language=template.language, params=params
            )
    except channels.PermanentError as exc:
        if exc.not_on_whatsapp:
            raise NotOnWhatsApp(str(exc)) from exc
        raise PermanentFailure(str(exc)) from exc
    raise PermanentFailure(f"No channel {message.channel!r} is set up.")


def _fee(message: Message) -> str:
    return message.booking.session_type.fee if message.booking_id else ""
