"""
What patients and reception are told, by email and text message. Called after
the booking's transaction commits; a failure to send is logged and never
undoes or loses a booking.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from bookings.messaging import send_text

logger = logging.getLogger(__name__)

MESSAGES = {
    "confirmed": {
        "subject": "Your dry needling session is booked: {when}",
        "intro": "Thank you, {first_name}. Your session is booked.",
    },
    "cancelled": {
        "subject": "Your session on {when} is cancelled",
        "intro": "Your session has been cancelled. We hope to see you another time.",
    },
    "moved": {
        "subject": "Your session has moved to {when}",
        "intro": "Your session has moved to a new time.",
    },
    "reminder": {
        "subject": "Reminder: your session tomorrow at {time}",
        "intro": "A reminder of your dry needling session tomorrow.",
    },
    "offer_move": {
        "subject": "Your session on {when} needs a new time",
        "intro": (
            "We are sorry: your session can't go ahead as booked, because the clinic is closed that day "
            "or your physiotherapist is away. Please choose a new time with the link below, or call us "
            "and we will find one with you."
        ),
    },
    "aftercare": {
        "subject": "After your session: how to feel your best",
        "intro": "Thank you for coming in today. A few tips for the next day or two:",
    },
}


def _context(booking, kind: str) -> dict:
    start = timezone.localtime(booking.slot.starts_at)
    words = {"when": f"{start:%a %d %b, %H:%M}", "time": f"{start:%H:%M}", "first_name": booking.name.split()[0]}
    return {
        "kind": kind,
        "booking": booking,
        "start": start,
        "clinic": booking.slot.clinic,
        "therapist": booking.slot.physiotherapist,
        "manage_url": f"{settings.ASPIRE_SITE_URL}{booking.get_absolute_url()}",
        "site_phone_display": settings.ASPIRE_PHONE_DISPLAY,
        "subject": MESSAGES[kind]["subject"].format(**words),
        "intro": MESSAGES[kind]["intro"].format(**words),
    }


def _load(booking_id: int):
    from bookings.models import Booking

    return Booking.objects.with_related().get(pk=booking_id)


def _send_email(*, to: str, subject: str, template: str, context: dict, ics: bytes | None = None) -> bool:
    try:
        message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to])
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        if ics is not None:
            message.attach("aspire-session.ics", ics, "text/calendar")
        message.send()
    except Exception:
        logger.exception("Email %r could not be sent", template)
        return False
    return True


def notify_patient(booking, kind: str) -> None:
    """Tell the patient by email (if they gave one) and by text message."""
    from bookings.calendar import booking_ics

    context = _context(booking, kind)
    if booking.email:
        ics = booking_ics(booking) if kind in {"confirmed", "moved"} else None
        _send_email(
            to=booking.email, subject=context["subject"], template="bookings/email/patient", context=context, ics=ics
        )
    send_text(to=booking.phone.as_e164, body=render_to_string("bookings/sms/patient.txt", context).strip())


def notify_reception(booking, kind: str, previous_start=None) -> None:
    clinic = booking.slot.clinic
    if not clinic.email:
        return
    context = _context(booking, kind)
    context["previous_start"] = timezone.localtime(previous_start) if previous_start else None
    start = context["start"]
    what = {"confirmed": "booking", "cancelled": "cancellation", "moved": "move"}[kind]
    subject = f"Online {what}: {start:%a %d %b %H:%M}, {booking.reference}"
    _send_email(to=clinic.email, subject=subject, template="bookings/email/reception", context=context)


def booking_confirmed(*, booking_id: int, booking=None) -> None:
    """Tell the patient (and, for an online booking, the reception). `booking`, if given, comes
    with its slot, clinic, therapist, session type and patient loaded: no need to read it again."""
    booking = booking or _load(booking_id)
    notify_patient(booking, "confirmed")
    if booking.source == "online":
        notify_reception(booking, "confirmed")


def booking_cancelled(*, booking_id: int, by_patient: bool = False) -> None:
    booking = _load(booking_id)
    notify_patient(booking, "cancelled")
    if by_patient:
        notify_reception(booking, "cancelled")


def booking_moved(*, booking_id: int, by_patient: bool = False, previous_start=None) -> None:
    booking = _load(booking_id)
    notify_patient(booking, "moved")
    if by_patient:
        notify_reception(booking, "moved", previous_start=previous_start)


def booking_reminder(*, booking_id: int) -> None:
    notify_patient(_load(booking_id), "reminder")


def booking_offer_move(*, booking_id: int) -> None:
    notify_patient(_load(booking_id), "offer_move")


def booking_aftercare(*, booking_id: int) -> None:
    notify_patient(_load(booking_id), "aftercare")
