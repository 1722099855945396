"""
What patients and reception are told, and how each message reads.

The services call the `booking_*` functions inside their own transaction: each
writes the messages it owes into the outbox (bookings.outbox), so a message
exists exactly when the change it reports was committed, and no request renders
or sends anything. The worker renders each message with `render_email` or
`render_text` when it delivers it.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from bookings import channels, outbox
from bookings.models import Booking, BookingSource, Message, MessageAudience, MessageChannel

# Patients' messages are in the booking's language (rendered under it); reception's in the site's.
MESSAGES = {
    "confirmed": {
        "subject": _("Your dry needling session is booked: {when}"),
        "intro": _("Thank you, {first_name}. Your session is booked."),
    },
    "cancelled": {
        "subject": _("Your session on {when} is cancelled"),
        "intro": _("Your session has been cancelled. We hope to see you another time."),
    },
    "moved": {
        "subject": _("Your session has moved to {when}"),
        "intro": _("Your session has moved to a new time."),
    },
    "reminder": {
        "subject": _("Reminder: your session tomorrow at {time}"),
        "intro": _("A reminder of your dry needling session tomorrow."),
    },
    "offer_move": {
        "subject": _("Your session on {when} needs a new time"),
        "intro": _(
            "We are sorry: your session can't go ahead as booked, because the clinic is closed that day "
            "or your physiotherapist is away. Please choose a new time with the link below, or call us "
            "and we will find one with you."
        ),
    },
    "waitlist_offer": {
        "subject": _("A time has come free: {when}"),
        "intro": _(
            "Good news, {first_name}: a time you asked for has come free. It is held for you until "
            "{held_until}; after that it passes to the next person waiting."
        ),
    },
    "aftercare": {
        "subject": _("After your session: how to feel your best"),
        "intro": _("Thank you for coming in today. A few tips for the next day or two:"),
    },
}

# Reception hears of what patients do online; what the desk does itself it already knows.
RECEPTION_SUBJECTS = {"confirmed": "booking", "cancelled": "cancellation", "moved": "move"}


# Queued in the service's transaction -------------------------------------------------------------


def message_language(language: str) -> str:
    """The language code of a message (and of a WhatsApp template) for a Django language: "en-gb" -> "en"."""
    return language.split("-")[0]


def _params(booking: Booking, *, language: str = settings.LANGUAGE_CODE, **extra) -> dict:
    """
    What a message says, as it was when the change happened (no notes, nothing clinical), in
    `language`: the day's name, and the booking's page in that language.
    """
    start = timezone.localtime(booking.slot.starts_at)
    with translation.override(language):
        when = format_date(start, pgettext("a session's day and time in a message", "D d M, H:i"))
        manage_path = booking.get_absolute_url()
        fee = booking.session_type.fee
    return {
        "first_name": booking.name.split()[0] if booking.name.split() else "",
        "when": when,
        "time": f"{start:%H:%M}",
        "clinic": booking.slot.clinic.name,
        "therapist": booking.slot.physiotherapist.name,
        "reference": booking.reference,
        "fee": fee,  # as it was when booked: a later change of price doesn't rewrite it
        "manage_path": manage_path,
        "phone": settings.ASPIRE_PHONE_DISPLAY,
        "language": message_language(language),
        **extra,
    }


def _to_patient(booking: Booking, kind: str, **extra) -> None:
    """WhatsApp where it is set up (a text message where it isn't, or the number has none), and email if given."""
    params = _params(booking, language=booking.language, **extra)
    if booking.phone and booking.patient.messages_stopped_at is None:  # no number once erased, or after STOP
        wants_whatsapp = booking.patient.contact_channel != MessageChannel.SMS
        channel = MessageChannel.WHATSAPP if wants_whatsapp and channels.whatsapp_configured() else MessageChannel.SMS
        outbox.queue(booking=booking, audience=MessageAudience.PATIENT, channel=channel,
                     recipient=booking.phone.as_e164, kind=kind, params=params)  # fmt: skip
    if booking.email:
        outbox.queue(booking=booking, audience=MessageAudience.PATIENT, channel=MessageChannel.EMAIL,
                     recipient=booking.email, kind=kind, params=params)  # fmt: skip


def _to_reception(booking: Booking, kind: str, **extra) -> None:
    clinic = booking.slot.clinic
    if clinic.email:
        outbox.queue(booking=booking, audience=MessageAudience.RECEPTION, channel=MessageChannel.EMAIL,
                     recipient=clinic.email, kind=kind, params=_params(booking, **extra))  # fmt: skip


def booking_confirmed(*, booking: Booking) -> None:
    """Tell the patient (and, for an online booking, the reception)."""
    _to_patient(booking, "confirmed")
    if booking.source == BookingSource.ONLINE:
        _to_reception(booking, "confirmed")


def booking_cancelled(*, booking: Booking, by_patient: bool = False) -> None:
    _to_patient(booking, "cancelled")
    if by_patient:
        _to_reception(booking, "cancelled")


def booking_moved(*, booking: Booking, by_patient: bool = False, previous_start=None) -> None:
    _to_patient(booking, "moved")
    if by_patient:
        start = timezone.localtime(previous_start) if previous_start else None
        was = f"{start:%A} {start.day} {start:%B %Y, %H:%M}" if start else ""
        _to_reception(booking, "moved", previous=was)


def booking_reminder(*, booking: Booking) -> None:
    _to_patient(booking, "reminder")


def booking_offer_move(*, booking: Booking) -> None:
    _to_patient(booking, "offer_move")


def waitlist_offer(*, booking: Booking) -> None:
    """Offer a waitlist patient the time held for them, with the link that books it."""
    _to_patient(booking, "waitlist_offer", held_until=f"{timezone.localtime(booking.held_until):%H:%M}")


def booking_aftercare(*, booking: Booking) -> None:
    _to_patient(booking, "aftercare")


# Rendered by the worker ------------------------------------------------------------------------


def _context(message: Message) -> dict:
    booking = message.booking
    params = message.params
    words = {
        "when": params.get("when", ""),
        "time": params.get("time", ""),
        "first_name": params.get("first_name", ""),
        "held_until": params.get("held_until", ""),
    }
    return {
        "kind": message.kind,
        "booking": booking,
        "start": timezone.localtime(booking.slot.starts_at),
        "clinic": booking.slot.clinic,
        "therapist": booking.slot.physiotherapist,
        "manage_url": f"{settings.ASPIRE_SITE_URL}{params.get('manage_path', booking.get_absolute_url())}",
        "site_phone_display": settings.ASPIRE_PHONE_DISPLAY,
        "subject": MESSAGES[message.kind]["subject"].format(**words),
        "intro": MESSAGES[message.kind]["intro"].format(**words),
        "previous": params.get("previous", ""),
        "fee": params.get("fee", ""),
        "held_until": params.get("held_until", ""),
    }


def _language(message: Message) -> str:
    """The language a message is rendered in: the patient's booking's; reception's stay in the site's."""
    if message.audience == MessageAudience.PATIENT:
        return message.booking.language
    return settings.LANGUAGE_CODE


def render_text(message: Message) -> str:
    """The text message (SMS) of `message`."""
    with translation.override(_language(message)):
        return render_to_string("bookings/sms/patient.txt", _context(message)).strip()


def render_email(message: Message) -> tuple[str, str, str, bytes | None]:
    """Return the subject, text body, HTML body and calendar file (or None) of an email message."""
    from bookings.calendar import booking_ics

    with translation.override(_language(message)):
        return _render_email(message, booking_ics)


def _render_email(message: Message, booking_ics) -> tuple[str, str, str, bytes | None]:
    context = _context(message)
    if message.audience == MessageAudience.RECEPTION:
        start = context["start"]
        subject = f"Online {RECEPTION_SUBJECTS[message.kind]}: {start:%a %d %b %H:%M}, {message.booking.reference}"
        template = "bookings/email/reception"
        ics = None
    else:
        subject = context["subject"]
        template = "bookings/email/patient"
        ics = booking_ics(message.booking) if message.kind in {"confirmed", "moved"} else None
    return subject, render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context), ics
