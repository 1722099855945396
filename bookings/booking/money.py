"""
What becomes of a booking's deposit when the booking changes: the one place those rules are
written. Each change is a row of the ledger (MoneyEvent: who, when, why) and the booking's
`deposit_status`; a refund is only marked due here, in the caller's transaction, and the
worker asks the provider for it (bookings.booking.deposits.refunds_run), so a slow provider
never slows a cancellation.

- The patient cancels before the cut-off, or the clinic cancels (leave, a closure, a time the
  patient was told can't go ahead): refunded by itself.
- A cancellation inside the cut-off, or a no-show: the clinic keeps it; the desk can refund.
- Attended: it counts towards the fee (the desk takes the rest).

The booking services call these under the booking's lock; bookings.booking.deposits (the
payment's side) calls them too.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from bookings.errors import InvalidTransition
from bookings.models import (
    PATIENT_CANCEL_REASONS,
    Booking,
    CancelReason,
    DepositStatus,
    MoneyEvent,
    MoneyKind,
    Payment,
    PaymentStatus,
)
from bookings.signals import announce_refund_due

# The ledger's row says a refund was the desk's with this before the desk's reason; the desk's form
# takes no longer a reason than fits after it (MoneyEvent.note holds 300 characters).
DESK_REFUND_NOTE = "Refunded by the desk: "
DESK_NOTE_MAX_LENGTH = MoneyEvent._meta.get_field("note").max_length - len(DESK_REFUND_NOTE)


def record(
    *,
    booking: Booking,
    kind: str,
    amount_pkr: int,
    now: dt.datetime,
    payment: Payment | None = None,
    by: AbstractBaseUser | None = None,
    note: str = "",
) -> MoneyEvent:
    """Write one row of the ledger."""
    by = by if by is not None and by.is_authenticated else None
    return MoneyEvent.objects.create(
        booking=booking, payment=payment, kind=kind, amount_pkr=amount_pkr, at=now, by=by, note=note[:300]
    )


def set_status(booking: Booking, status: str) -> None:
    """Keep the booking's deposit state, with its history entry."""
    if booking.deposit_status != status:
        booking.deposit_status = status
        booking.save(update_fields=["deposit_status", "updated_at"])


# The states of a payment whose money was taken (whatever has become of it since).
TAKEN = [PaymentStatus.PAID, PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDING, PaymentStatus.REFUNDED]


def deposit_payment(booking: Booking) -> Payment | None:
    """Return the payment the booking's deposit was paid with (the first that was taken), locked."""
    return (
        Payment.objects.select_for_update().filter(booking=booking, status__in=TAKEN).order_by("paid_at", "pk").first()
    )


def refund_due(
    *,
    payment: Payment,
    now: dt.datetime,
    booking: Booking | None = None,
    by: AbstractBaseUser | None = None,
    note: str = "",
) -> None:
    """
    Mark a taken payment for refunding in full and wake the worker that asks the provider.
    With `booking`, the payment is that booking's deposit, which shows "refund on its way".
    """
    if payment.status != PaymentStatus.PAID:
        return
    payment.status = PaymentStatus.REFUND_DUE
    payment._change_reason = note[:100] or "Refund due"
    payment.save(update_fields=["status", "updated_at"])
    if booking is not None:
        set_status(booking, DepositStatus.REFUND_DUE)
    record(
        booking=payment.booking, payment=payment, kind=MoneyKind.REFUND_DUE, amount_pkr=payment.amount_pkr,
        now=now, by=by, note=note,
    )  # fmt: skip
    announce_refund_due()  # the worker that asks the provider hears of it once this commits


def _keep(booking: Booking, *, now: dt.datetime, note: str) -> None:
    set_status(booking, DepositStatus.KEPT)
    record(booking=booking, kind=MoneyKind.KEPT, amount_pkr=booking.deposit_pkr, now=now, note=note)


def on_cancel(*, booking: Booking, reason: str, now: dt.datetime) -> None:
    """
    A paid deposit when its booking is cancelled: refunded if the clinic cancelled (or the patient
    had been told their time can't go ahead), or the patient cancelled before the cut-off; kept if
    the patient cancelled inside it.
    """
    if booking.deposit_status != DepositStatus.PAID:
        return
    patients_doing = reason in PATIENT_CANCEL_REASONS or reason in ("", CancelReason.OTHER)
    late = booking.inside_cutoff(now)
    if patients_doing and late and booking.move_offered_at is None:
        _keep(booking, now=now, note="Cancelled inside the cut-off")
        return
    payment = deposit_payment(booking)
    if payment is not None:
        refund_due(payment=payment, booking=booking, now=now, note="Cancelled: " + (reason or "by the patient"))


def on_no_show(*, booking: Booking, now: dt.datetime) -> None:
    if booking.deposit_status == DepositStatus.PAID:
        _keep(booking, now=now, note="No-show")


def on_attended(*, booking: Booking, now: dt.datetime) -> None:
    """
    A deposit counts towards the fee. A no-show corrected to attended undoes its keeping first, as
    a row of its own (the ledger's rows are never changed), so what the clinic kept adds up.
    """
    if booking.deposit_status == DepositStatus.KEPT:
        record(booking=booking, kind=MoneyKind.KEPT_UNDONE, amount_pkr=booking.deposit_pkr, now=now)
    if booking.deposit_status in (DepositStatus.PAID, DepositStatus.KEPT):
        set_status(booking, DepositStatus.PAID)
        record(booking=booking, kind=MoneyKind.COUNTED, amount_pkr=booking.deposit_pkr, now=now)


def desk_refund_refusal(booking: Booking) -> str | None:
    """Return why the desk can't refund `booking`'s deposit, or None if it can (desk_refund's rule): kept, or paid."""
    if booking.deposit_status not in (DepositStatus.KEPT, DepositStatus.PAID):
        return "Only a deposit that was paid and not yet refunded can be refunded."
    return None


@transaction.atomic
def desk_refund(*, booking: Booking, by: AbstractBaseUser, note: str, now: dt.datetime) -> None:
    """The desk refunds a deposit the clinic kept (or paid, as a kindness): who and why are recorded."""
    # The desk calls this from a page (no caller's lock): the deposit's state is read afresh under the
    # booking's lock, or a page left open would "refund" a deposit already on its way back, saying nothing.
    Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk").get()
    booking = Booking.objects.get(pk=booking.pk)
    refusal = desk_refund_refusal(booking)
    if refusal:
        raise InvalidTransition(refusal)
    if len(note) > DESK_NOTE_MAX_LENGTH:
        raise InvalidTransition(f"Say why in at most {DESK_NOTE_MAX_LENGTH} characters.")
    payment = deposit_payment(booking)
    if payment is None:
        raise InvalidTransition("This deposit has no payment to refund.")
    refund_due(payment=payment, booking=booking, by=by, note=DESK_REFUND_NOTE + note, now=now)
