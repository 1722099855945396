"""
How each message reads, in the patient's language (reception's stay in the site's): the
words of each kind, the text message, the email with its calendar file. The worker renders
a message when it delivers it.
"""

from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import make_msgid
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from bookings import calendar
from bookings.models import BookingStatus, Message, MessageAudience
from bookings.timeutils import desk_day

# Patients' messages are in the booking's language (rendered under it); reception's in the site's.
MESSAGES = {
    "confirmed": {
        "subject": _("Your dry needling session is booked: {when}"),
        "intro": _("Thank you, {first_name}. Your session is booked."),
    },
    # The confirmation of a booking whose deposit is paid, and its receipt: one message, not two.
    "confirmed_paid": {
        "subject": _("Your dry needling session is booked: {when}"),
        "intro": _("Thank you, {first_name}. Your session is booked and we have received your deposit of {deposit}."),
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
    # No number of days: a wallet's or a bank's, not ours, and a promise broken costs a call.
    "deposit_refunded": {
        "subject": _("Your deposit for {when} has been refunded"),
        "intro": _(
            "Your deposit of {amount} for your session on {when} has been refunded to the wallet or card "
            "you paid with. It can take a few working days to show in your account."
        ),
    },
}


# "Your session needs a new time" says which happened (params["reason"]); a message queued before it
# said keeps the intro above, which names both.
OFFER_MOVE_INTROS = {
    "closed": _(
        "We are sorry: your session can't go ahead as booked, because the clinic is closed that day. "
        "Please choose a new time with the link below, or call us and we will find one with you."
    ),
    "away": _(
        "We are sorry: your session can't go ahead as booked, because {therapist} is away then. "
        "Please choose a new time with the link below, or call us and we will find one with you."
    ),
}


# Answers to a patient's own message (their words are written when it is queued, in the
# booking's language, into params["text"]): free-form on WhatsApp, the same text by SMS.
ANSWERS = {"manage_link", "stop_ack"}


# Reception hears of what patients do online; what the desk does itself it already knows.
RECEPTION_SUBJECTS = {"confirmed": "booking", "confirmed_paid": "booking", "cancelled": "cancellation", "moved": "move"}


def message_language(language: str) -> str:
    """The language code of a message (and of a WhatsApp template) for a Django language: "en-gb" -> "en"."""
    return language.split("-")[0]


def _context(message: Message) -> dict:
    booking = message.booking
    params = message.params
    words = {
        "when": params.get("when", ""),
        "time": params.get("time", ""),
        "first_name": params.get("first_name", ""),
        "held_until": params.get("held_until", ""),
        "therapist": booking.slot.physiotherapist.name,
        "deposit": params.get("deposit", ""),
        "amount": params.get("amount", ""),
    }
    intro = MESSAGES[message.kind]["intro"]
    if message.kind == "offer_move" and params.get("reason") in OFFER_MOVE_INTROS:
        intro = OFFER_MOVE_INTROS[params["reason"]]
    return {
        "kind": message.kind,
        "booking": booking,
        "start": timezone.localtime(booking.slot.starts_at),
        "clinic": booking.slot.clinic,
        "therapist": booking.slot.physiotherapist,
        "manage_url": f"{settings.ASPIRE_SITE_URL}{params.get('manage_path', booking.get_absolute_url())}",
        "site_phone_display": settings.ASPIRE_PHONE_DISPLAY,
        "subject": MESSAGES[message.kind]["subject"].format(**words),
        "intro": intro.format(**words),
        "previous": params.get("previous", ""),
        "fee": params.get("fee", ""),
        "held_until": params.get("held_until", ""),
        # The amounts of a deposit's messages, as written when queued in the message's language.
        "deposit": params.get("deposit", ""),
        "to_pay": params.get("to_pay", ""),
        "amount": params.get("amount", ""),
    }


# A text message names the clinic and the therapist in at most this many characters (cut at a word,
# the therapist as title and surname: "Dr. Siddiqui"), so the longest names still leave the time,
# the fee and the link one segment (English) or two (Urdu).
SMS_CLINIC_CHARS = 16
SMS_THERAPIST_CHARS = 12
_TITLES = {"dr", "dr.", "ڈاکٹر", "mr.", "ms.", "mrs.", "prof."}


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word where it can be (no "…": not in GSM-7)."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip(" ,-")


def sms_therapist(name: str) -> str:
    """
    A therapist as a text message names them: "Dr. Ayesha Siddiqui" as "Dr. Siddiqui", and by the
    surname alone where title and surname are too long.
    """
    words = name.split()
    if len(words) > 2 and words[0].lower() in _TITLES:
        words = [words[0], words[-1]]
    short = " ".join(words)
    if len(short) > SMS_THERAPIST_CHARS and len(words) > 1 and words[0].lower() in _TITLES:
        short = words[-1]
    return _cut(short, SMS_THERAPIST_CHARS)


def sms_clinic(name: str) -> str:
    return _cut(" ".join(name.split()), SMS_CLINIC_CHARS)


def short_url(booking) -> str:
    """
    The booking's short link for a text message: its page, where the clinic's address and
    directions are, with the site's address as phones show it ("aspirewellness.pk/b/..."; they
    make a link of a bare domain, and "https://" would cost 8 of 160 characters).
    """
    site = settings.ASPIRE_SITE_URL.removeprefix("https://")
    return f"{site}{booking.get_short_url()}"


def _language(message: Message) -> str:
    """The language a message is rendered in: the patient's booking's; reception's stay in the site's."""
    if message.audience == MessageAudience.PATIENT:
        return message.booking.language
    return settings.LANGUAGE_CODE


# Handsets whose fonts and text layout predate Unicode 6.3 show the bidi isolates (U+2066 to U+2069)
# as boxes. A left-to-right mark (Unicode 1.1) before a number or code keeps it in order after Urdu
# letters (without it "0309-5885076" shows as "5885076-0309"), and costs one character of the 70 an
# Urdu SMS has, not two. Emails keep the isolates (and HTML <bdi>): mail clients show them.
_SMS_BIDI = str.maketrans({"\u2066": "\u200e", "\u2067": "\u200f", "\u2068": None, "\u2069": None})


# GSM 03.38: the characters a text message carries in 7 bits (160 to a message, 153 to each part of a
# longer one), and those of its extension table, which take two of those places each. One character
# outside both ("’", "…", any Urdu letter) sends the whole text as UCS-2: 70 to a message, 67 to a part.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Return how many text messages (segments) `text` is sent as: GSM-7 if every character allows it, else UCS-2."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        length, single, part = sum(2 if c in GSM7_EXTENSION else 1 for c in text), 160, 153
    else:
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else -(-length // part)


def render_text(message: Message) -> str:
    """The text message (SMS) of `message`."""
    if message.kind in ANSWERS:
        return message.params["text"]
    booking = message.booking
    with translation.override(_language(message)):
        context = {
            **_context(message),
            "sms_clinic": sms_clinic(booking.slot.clinic.name),
            "sms_therapist": sms_therapist(booking.slot.physiotherapist.name),
            "short_url": short_url(booking),
            "reason": message.params.get("reason", ""),
        }
        text = render_to_string("bookings/sms/patient.txt", context)
    # The template has a line per kind of message; a text is one line.
    return "".join(text.splitlines()).strip().translate(_SMS_BIDI)


# An attachment as EmailMessage.attach takes it: file name, content, MIME type.
Attachment = tuple[str, bytes, str]


def render_email(message: Message) -> tuple[str, str, str, Attachment | None]:
    """Return the subject, text body, HTML body and calendar file (or None) of an email message."""
    with translation.override(_language(message)):
        return _render_email(message)


def calendar_file(message: Message) -> Attachment | None:
    """
    The calendar file a patient's email carries: a REQUEST with the booked or moved time, a
    CANCEL with a cancellation (bookings.calendar says why). Its MIME type names the method,
    as iMIP (RFC 6047) asks: mail apps offer to add, move or remove the event by it.
    """
    booking = message.booking
    if message.kind == "cancelled":
        method = calendar.CANCEL
    elif message.kind in {"confirmed", "confirmed_paid", "moved"} and booking.status != BookingStatus.CANCELLED:
        method = calendar.REQUEST
    else:  # a confirmation rendered after the booking was cancelled (its own email brings the CANCEL), a refund
        return None
    ics = calendar.booking_ics(booking, method=method, attendee=message.recipient)
    return "aspire-session.ics", ics, f"text/calendar; method={method}"


def _render_email(message: Message) -> tuple[str, str, str, Attachment | None]:
    context = _context(message)
    if message.audience == MessageAudience.RECEPTION:
        start, reference = context["start"], message.booking.reference
        subject = f"Online {RECEPTION_SUBJECTS[message.kind]}: {desk_day(start)}, {start:%H:%M}, {reference}"
        template = "bookings/email/reception"
        attachment = None
    else:
        subject = context["subject"]
        template = "bookings/email/patient"
        attachment = calendar_file(message)
    text, html = render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)
    return subject, text, html, attachment


def email_headers(message: Message) -> dict[str, str]:
    """
    The headers of an email message beyond From, To and Subject: a Message-ID of the site's own
    domain (Django's default names the machine, "@localhost", which spam filters mark down) and
    the language it is written in (Content-Language: "ur" or "en").
    """
    return {
        "Message-ID": make_msgid(idstring=f"message-{message.pk}", domain=urlsplit(settings.ASPIRE_SITE_URL).hostname),
        "Content-Language": message_language(_language(message)),
    }


def email_reply_to(message: Message) -> str:
    """Where answers to an email go: a patient's to their clinic's reception, the rest to the site's address."""
    clinic = message.booking.slot.clinic
    if message.audience == MessageAudience.PATIENT and clinic.email:
        with translation.override(_language(message)):  # the clinic as the email itself names it
            return formataddr((f"Aspire Wellness {clinic.name}", clinic.email))
    return settings.ASPIRE_REPLY_TO_EMAIL
