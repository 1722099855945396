"""
What each booking event owes whom. The services call these functions inside their own
transaction: each writes the messages it owes into the outbox, so a message exists exactly
when the change it reports was committed, and no request renders or sends anything.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.translation import pgettext

from bookings.messaging import channels, outbox
from bookings.messaging.rendering import message_language
from bookings.models import Booking, BookingSource, DepositStatus, MessageAudience, MessageChannel, format_pkr
from bookings.timeutils import desk_day


def _params(
    booking: Booking, *, language: str = settings.LANGUAGE_CODE, amounts: dict[str, int] | None = None, **extra
) -> dict:
    """
    What a message says, as it was when the change happened (no notes, nothing clinical), in
    `language`: the day's name, the clinic's and the therapist's, the booking's page and each of
    `amounts` (rupees, by param name) as that language writes money ("PKR 2,000", "2,000 روپے").
    """
    start = timezone.localtime(booking.slot.starts_at)
    with translation.override(language):
        when = format_date(start, pgettext("a session's day and time in a message", "D d M, H:i"))
        manage_path = booking.get_absolute_url()
        fee = booking.session_type.fee
        # The clinic and the therapist by their names in that language (the Urdu ones where given).
        clinic, therapist = booking.slot.clinic.name, booking.slot.physiotherapist.name
        money = {name: format_pkr(amount) for name, amount in (amounts or {}).items()}
    return {
        "first_name": booking.name.split()[0] if booking.name.split() else "",
        "when": when,
        "time": f"{start:%H:%M}",
        "clinic": clinic,
        "therapist": therapist,
        "reference": booking.reference,
        "fee": fee,  # as it was when booked: a later change of price doesn't rewrite it
        "manage_path": manage_path,
        "phone": settings.ASPIRE_PHONE_DISPLAY,
        "language": message_language(language),
        **money,
        **extra,
    }


def _to_patient(booking: Booking, kind: str, *, text: bool = True, **extra) -> None:
    """
    WhatsApp where it is set up (a text message where it isn't, or the number has none), and email
    if given; with `text` False, the email only.
    """
    params = _params(booking, language=booking.language, **extra)
    contact = booking.patient.contact
    if text and booking.phone and contact.messages_stopped_at is None:  # no number once erased, or after STOP
        wants_whatsapp = contact.contact_channel != MessageChannel.SMS
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


def booking_confirmed(*, booking: Booking, text: bool = True) -> None:
    """
    Tell the patient (by text message too unless `text` is False) and, for an online booking, the
    reception. A booking whose deposit is paid gets one message that is its receipt too ("confirmed_paid":
    the deposit received and what is left to pay at the clinic), not a confirmation and then a receipt:
    each WhatsApp message is paid for.
    """
    if booking.deposit_status == DepositStatus.PAID:
        kind, amounts = "confirmed_paid", {"deposit": booking.deposit_pkr, "to_pay": booking.to_pay_at_clinic}
    else:
        kind, amounts = "confirmed", {}
    _to_patient(booking, kind, text=text, amounts=amounts)
    if booking.source == BookingSource.ONLINE:
        _to_reception(booking, kind, amounts=amounts)


def booking_cancelled(*, booking: Booking, by_patient: bool = False) -> None:
    _to_patient(booking, "cancelled")
    if by_patient:
        _to_reception(booking, "cancelled")


def booking_moved(*, booking: Booking, by_patient: bool = False, previous_start=None) -> None:
    _to_patient(booking, "moved")
    if by_patient:
        start = timezone.localtime(previous_start) if previous_start else None
        was = f"{desk_day(start)}, {start:%H:%M}" if start else ""  # as the desk writes a day
        _to_reception(booking, "moved", previous=was)


def booking_reminder(*, booking: Booking) -> None:
    _to_patient(booking, "reminder")


def booking_offer_move(*, booking: Booking, reason: str) -> None:
    """Tell the patient why their time can't go ahead (`reason`: "closed", the clinic; "away", the therapist)."""
    _to_patient(booking, "offer_move", reason=reason)


def waitlist_offer(*, booking: Booking) -> None:
    """Offer a waitlist patient the time held for them, with the link that books it."""
    _to_patient(booking, "waitlist_offer", held_until=f"{timezone.localtime(booking.held_until):%H:%M}")


def booking_aftercare(*, booking: Booking) -> None:
    _to_patient(booking, "aftercare")


def deposit_refunded(*, booking: Booking, amount_pkr: int) -> None:
    """
    Tell the patient `amount_pkr` of their deposit is refunded to the wallet or card it was paid
    from. Reception is not told: a refund follows a cancellation, which the desk made or heard of.
    """
    _to_patient(booking, "deposit_refunded", amounts={"amount": amount_pkr})
