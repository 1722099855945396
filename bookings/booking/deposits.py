"""
Paying a deposit: a booking that owes one is a hold (bookings.booking.services) until the
provider says the money is taken. This module starts a checkout, reads what comes back (the
patient's browser returning, the provider's notification, a status inquiry: each checked by the
provider's module first, bookings.payments), and decides what a payment means:

- paid while the hold holds: the booking is confirmed, with one message that is also the receipt;
- paid after the hold lapsed by itself: booked if the time is still free, refunded if not;
- paid twice for one hold (two tabs), or for a time let go or cancelled: the extra is refunded;
- a forged, altered, replayed or wrong-amount answer confirms nothing and is logged.

Each is decided under the payment's row lock, then the slot's, then the booking's
(services.lock_hold), so the same answer arriving by two roads at once (the redirect and the
webhook) is acted on once. Refunds and the status inquiry run in the worker (`run_refunds`,
`payments_inquire`), never in a request. A request calls a provider only for what the patient or
the desk asked for there and then, and never under a lock: the checkout (Pay), a return that must
be read by asking the provider (Safepay's), and `reconcile`, the desk's check of a day's takings
against the providers' own records, which reads and changes nothing.
"""

import dataclasses
import datetime as dt
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from bookings.booking import money, services, waitlist
from bookings.errors import BookingError, InvalidTransition
from bookings.messaging import events
from bookings.models import (
    Booking,
    BookingStatus,
    DepositStatus,
    MoneyKind,
    Payment,
    PaymentStatus,
)
from bookings.payments import base
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from bookings.signals import announce_schedule_changed, refund_due
from bookings.timeutils import day_bounds

logger = logging.getLogger("bookings.payments")

# JazzCash takes up to 20 characters of letters and digits for its reference; ours: "AW" and 12 more.
REFERENCE_PREFIX = "AW"
REFERENCE_LENGTH = 12
# A checkout nobody has heard of for this long is asked after (a lost callback); after the second
# bound it is left alone: the provider's own checkout expired long before.
INQUIRE_AFTER = dt.timedelta(minutes=3)
INQUIRE_UNTIL = dt.timedelta(days=2)
# Checkout attempts one booking may start: a patient retrying a declined wallet needs a few; a
# script with the booking's link could otherwise write payment rows (and call Safepay) without end.
MAX_CHECKOUTS_PER_BOOKING = 10
# A refund asked of the provider with no answer written after this long was never answered (the worker died).
REFUND_ANSWER_WAIT = dt.timedelta(minutes=10)
# A refund the provider keeps refusing is left for the desk (the payments list shows it) after this many tries.
MAX_REFUND_ATTEMPTS = 5


class PaymentRefused(BookingError):
    code = "payment"


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(services.REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def providers() -> list[base.Provider]:
    """The providers a patient may pay through (none: nobody is asked for a deposit)."""
    return base.configured()


def pay_refusal(booking: Booking, *, now: dt.datetime) -> str | None:
    """
    Return why the patient can't pay this booking's deposit now, or None if they can: it must be
    held for it, and its time still to be had. A time gone off sale since it was held (a
    closure, leave, blocked) can't be booked with the money (hold_confirm would refund it), so
    it is said before any is taken; the time rules are those of when it was held, as hold_confirm's.
    """
    if booking.deposit_status != DepositStatus.OWED or booking.status != BookingStatus.HELD:
        return gettext("Nothing is owed for this booking.")
    if not availability.holds(booking, now):
        return gettext(
            "The time was held for a few minutes for the deposit and has been released. Please choose a time again."
        )
    # While it holds, the one-per-slot constraint lets no other booking hold its time: only the slot is asked.
    return availability.refusal(
        booking.slot, channel=Channel.ONLINE, now=booking.created_at, exclude_booking=booking, active_bookings=[booking]
    )


# Where a booking held for its deposit stands, for its page (hold_state).
PAY, OFF_SALE, NO_PROVIDER, RELEASED = "pay", "off_sale", "no_provider", "released"


def hold_state(booking: Booking, *, now: dt.datetime) -> tuple[str | None, str | None]:
    """
    Return where a booking held for its deposit stands, and the reason for OFF_SALE: PAY (held,
    payable), OFF_SALE (held, but its time has gone off sale since), NO_PROVIDER (held, and no
    provider to pay through), RELEASED (the hold ended, or was let go); (None, None) for any
    other booking. The one reading of it: the booking's page only shows it.
    """
    if not booking.deposit_pkr or booking.status not in (BookingStatus.HELD, BookingStatus.LAPSED):
        return None, None
    if booking.status == BookingStatus.LAPSED or not availability.holds(booking, now):
        return RELEASED, None
    refusal = pay_refusal(booking, now=now)
    if refusal:
        return OFF_SALE, refusal
    return (PAY, None) if providers() else (NO_PROVIDER, None)


def checkout_start(*, booking: Booking, provider_name: str, return_url: str, now: dt.datetime | None = None):
    """
    Start paying the deposit of a held booking through `provider_name`: a payment row with a new
    reference of ours, then the provider's hosted checkout for it (which may call the provider,
    so outside any lock). Return (payment, base.Checkout). Each tap on Pay is its own attempt:
    two taps give two checkouts, and if both were paid the second is refunded.
    """
    now = now or timezone.now()
    try:
        provider = base.get(provider_name)
    except KeyError:
        raise PaymentRefused(gettext("Choose how to pay.")) from None
    if not provider.configured():
        raise PaymentRefused(gettext("Choose how to pay."))
    with transaction.atomic():
        booking = services.lock_booking(booking)
        refusal = pay_refusal(booking, now=now)
        if refusal:
            raise PaymentRefused(refusal)
        if booking.payments.count() >= MAX_CHECKOUTS_PER_BOOKING:
            raise PaymentRefused(
                gettext("That is too many tries to pay. Please call us on %(phone)s and we will help.")
                % {"phone": settings.ASPIRE_PHONE_DISPLAY}
            )
        payment = Payment.objects.create(
            booking=booking, provider=provider.name, reference=new_reference(), amount_pkr=booking.deposit_pkr
        )
    # In plain English letters whatever the patient's language: JazzCash's page takes nothing else.
    description = f"Aspire Wellness deposit, booking {booking.reference}"
    try:
        checkout = provider.checkout(
            reference=payment.reference, amount_paisa=base.to_paisa(payment.amount_pkr), description=description,
            return_url=return_url, language=booking.language, expires_at=booking.held_until,
        )  # fmt: skip
    except base.PaymentError as exc:
        logger.warning("Checkout for %s at %s failed: %s", payment.reference, provider.name, exc)
        payment.status, payment.last_error = PaymentStatus.FAILED, str(exc)[:300]
        payment._change_reason = "The checkout could not be started"
        payment.save(update_fields=["status", "last_error", "updated_at"])
        raise PaymentRefused(
            gettext("%(provider)s can't be reached just now. Please try again in a minute.")
            % {"provider": provider.label}
        ) from exc
    if checkout.provider_ref:
        payment.provider_ref = checkout.provider_ref[:64]
        payment._change_reason = "The provider's reference, from the checkout"
        payment.save(update_fields=["provider_ref", "updated_at"])
    return payment, checkout


def lock_payment(reference: str) -> Payment | None:
    """Lock the payment with our `reference` and read it afresh: two answers about it are acted on in turn."""
    return Payment.objects.select_for_update().filter(reference=reference).first()


def settle(*, outcome: base.Outcome, provider_name: str, how: str, now: dt.datetime | None = None) -> Payment | None:
    """
    Act on what a provider says of a payment (its signature already checked): `how` it came
    ("return", "notification", "inquiry") is for the log. Safe to call any number of times with
    the same outcome: a payment is taken once. Return the payment, or None for a reference we
    never gave out (or gave out for another provider).
    """
    now = now or timezone.now()
    with transaction.atomic():
        payment = lock_payment(outcome.reference)
        if payment is None or payment.provider != provider_name:
            logger.warning("%s %s names a payment we never started: %s", provider_name, how, outcome.reference)
            return None
        if outcome.provider_ref and payment.provider_ref and outcome.provider_ref[:64] != payment.provider_ref:
            # Safepay's tracker is known from the checkout: an answer about another one is not about this payment.
            logger.warning("%s %s for %s names another transaction %s", provider_name, how, payment.reference,
                           outcome.provider_ref)  # fmt: skip
            return payment
        if outcome.state == base.Outcome.PENDING:
            return payment
        if outcome.state == base.Outcome.PAID and outcome.amount_paisa != base.to_paisa(payment.amount_pkr):
            logger.warning("%s %s for %s reports %s paisa, not %s: nothing is confirmed", provider_name, how,
                           payment.reference, outcome.amount_paisa, base.to_paisa(payment.amount_pkr))  # fmt: skip
            payment.last_error = f"Amount reported: {outcome.amount_paisa} paisa"
            payment._change_reason = "An answer for another amount: nothing confirmed"
            payment.save(update_fields=["last_error", "updated_at"])
            return payment
        if payment.status not in (PaymentStatus.STARTED, PaymentStatus.FAILED):
            if outcome.state == base.Outcome.PAID:
                logger.info("%s %s for %s again: already %s", provider_name, how, payment.reference, payment.status)
            return payment
        if outcome.state == base.Outcome.FAILED:
            if payment.status == PaymentStatus.STARTED:
                payment.status = PaymentStatus.FAILED
                payment.last_error = outcome.detail[:300]
                payment.save(update_fields=["status", "last_error", "updated_at"])
            return payment
        _taken(payment, provider_ref=outcome.provider_ref, how=how, now=now)
        return payment


# What a payment came to, for the page the patient's browser returns to (bookings.pages.payments).
BOOKED, FAILED, REFUNDED, WAITING = "booked", "failed", "refunded", "waiting"


def what_it_came_to(payment: Payment) -> str:
    """
    Say what a settled payment came to: BOOKED (it is the booking's deposit: a payment that can't
    be one is refunded at once, so a taken one still "paid" always is, whatever the booking has
    done since), REFUNDED (on its way back or back), FAILED, or WAITING (nothing heard yet).
    """
    if payment.status == PaymentStatus.PAID:
        return BOOKED
    if payment.status in (PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDING, PaymentStatus.REFUNDED):
        return REFUNDED
    return FAILED if payment.status == PaymentStatus.FAILED else WAITING


def _taken(payment: Payment, *, provider_ref: str, how: str, now: dt.datetime) -> None:
    """The money is taken: record it, then book the time with it, or refund it if it can't be."""
    payment.status = PaymentStatus.PAID
    payment.provider_ref = payment.provider_ref or provider_ref[:64]
    payment.paid_at = now
    payment._change_reason = f"Paid ({how})"
    payment.save(update_fields=["status", "provider_ref", "paid_at", "updated_at"])
    booking = services.lock_hold(payment.booking)
    money.record(booking=booking, payment=payment, kind=MoneyKind.PAID, amount_pkr=payment.amount_pkr, now=now,
                 note=f"{payment.provider} {payment.provider_ref}".strip())  # fmt: skip
    if booking.deposit_status != DepositStatus.OWED:
        # A second payment for one hold (two tabs), or one for a booking already paid for or waived.
        money.refund_due(payment=payment, now=now, note="Paid twice: the deposit was already settled")
        return
    held = booking.status == BookingStatus.HELD and availability.holds(booking, now)
    # A hold that ended by itself while the patient was paying (not one they let go) is booked if it still can be.
    lapsed_by_time = (
        booking.status in (BookingStatus.HELD, BookingStatus.LAPSED)
        and booking.held_until <= now
        and booking.cancelled_at is None  # let go (services.hold_release), even if its time has since run out
    )
    if held or lapsed_by_time:
        booking.deposit_status = DepositStatus.PAID
        try:
            confirmed, first_visit = services.hold_confirm(hold=booking, now=now)
        except BookingError as exc:
            booking.deposit_status = DepositStatus.OWED
            logger.info("Paid for %s, which can't be booked now (%s): refunding", booking.reference, exc)
            money.refund_due(payment=payment, booking=booking, now=now, note=f"Paid, but the time can't be had: {exc}")
            if booking.status == BookingStatus.HELD:
                services.hold_release(hold=booking, now=now)  # held on for nothing otherwise
            return
        waitlist.waitlist_booked(booking=confirmed, first_visit=first_visit)
        if lapsed_by_time:
            announce_schedule_changed()  # the time is taken again
        return
    money.refund_due(payment=payment, booking=booking, now=now, note="Paid for a time that was let go")


def waive_refusal(booking: Booking, *, now: dt.datetime) -> str | None:
    """Return why the desk can't waive `booking`'s deposit now, or None if it can (deposit_waive's rule)."""
    if booking.deposit_status != DepositStatus.OWED or booking.status != BookingStatus.HELD:
        return "Only a deposit still owed on a held time can be waived."
    if not availability.holds(booking, now):
        return "This hold has ended and its time is back on sale."
    return None


@transaction.atomic
def deposit_waive(*, booking: Booking, by: AbstractBaseUser, note: str, now: dt.datetime | None = None) -> Booking:
    """
    The desk books a held time without its deposit (who and why recorded): the booking is
    confirmed as any other. Refused once the hold has ended.
    """
    now = now or timezone.now()
    if not note.strip():
        raise InvalidTransition("Say why the deposit is waived.")
    booking = services.lock_hold(booking)
    refusal = waive_refusal(booking, now=now)
    if refusal:
        raise InvalidTransition(refusal)
    booking.deposit_status = DepositStatus.WAIVED
    money.record(booking=booking, kind=MoneyKind.WAIVED, amount_pkr=booking.deposit_pkr, now=now, by=by, note=note)
    confirmed, first_visit = services.hold_confirm(hold=booking, now=now)
    return waitlist.waitlist_booked(booking=confirmed, first_visit=first_visit)


# The worker's side ----------------------------------------------------------------------------------


def refunds_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """
    Ask the providers for every refund that is due, one payment at a time, and tell the patient
    once each is done. A payment is marked "refunding" (under its lock, so two workers never take
    the same one) before its provider is asked, and the provider is asked outside any transaction:
    a slow provider then holds no lock (on SQLite, the whole database), and a failure after the
    provider has paid out can't roll the payment back to "due" for the next run to pay again. A
    refusal (or any other failure of that one refund) puts it back to "due" with the error, to be
    tried by the next run, up to MAX_REFUND_ATTEMPTS; one never answered stays "refunding" for the
    desk. One payment's failure never keeps the others from being asked.
    """
    done = failed = 0
    due = Payment.objects.filter(status=PaymentStatus.REFUND_DUE, refund_attempts__lt=MAX_REFUND_ATTEMPTS)
    for pk in list(due.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            payment = Payment.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if payment is None or payment.status != PaymentStatus.REFUND_DUE:
                continue
            payment.status = PaymentStatus.REFUNDING
            payment.refund_attempts += 1
            payment._change_reason = "Refund asked of the provider"
            payment.save(update_fields=["status", "refund_attempts", "updated_at"])
        try:
            refund_ref = _provider_of(payment).refund(
                reference=payment.reference, provider_ref=payment.provider_ref,
                amount_paisa=base.to_paisa(payment.amount_pkr),
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - any failure is this refund's alone: the others go on
            (logger.warning if isinstance(exc, base.PaymentError) else logger.exception)(
                "Refund of %s at %s refused: %s", payment.reference, payment.provider, exc
            )
            payment.status = PaymentStatus.REFUND_DUE
            payment.last_error = str(exc)[:300]
            payment._change_reason = "Refund refused by the provider"
            payment.save(update_fields=["status", "last_error", "updated_at"])
            failed += 1
            continue
        try:
            with transaction.atomic():
                _refunded(payment, refund_ref=refund_ref, now=now or timezone.now())
        except Exception:  # noqa: BLE001 - paid out but not written down: it stays "refunding", for the desk
            logger.exception("Refund of %s made (%s) but not recorded", payment.reference, refund_ref)
            failed += 1
            continue
        done += 1
    return {"refunded": done, "failed": failed}


def _provider_of(payment: Payment) -> base.Provider:
    """
    Return the payment's provider; PaymentError for one taken out of base.PROVIDERS since (its
    refund is refused like any other, and left for the desk: it holds up no other payment's).
    """
    try:
        return base.get(payment.provider)
    except KeyError:
        raise base.PaymentError(f"this site no longer speaks to {payment.provider}") from None


def _refunded(payment: Payment, *, refund_ref: str, now: dt.datetime) -> None:
    payment.status = PaymentStatus.REFUNDED
    payment.refund_ref = (refund_ref or "")[:64]
    payment.refunded_at = now
    payment.save(update_fields=["status", "refund_ref", "refunded_at", "updated_at"])
    booking = services.lock_booking(payment.booking)
    money.record(booking=booking, payment=payment, kind=MoneyKind.REFUNDED, amount_pkr=payment.amount_pkr, now=now,
                 note=f"{payment.provider} {payment.refund_ref}".strip())  # fmt: skip
    # Only the refund of the deposit's own payment (the first taken) refunds the deposit: a second
    # payment's (two tabs) may go back first, while the deposit's is still due or refused.
    deposit = money.deposit_payment(booking)
    if booking.deposit_status == DepositStatus.REFUND_DUE and (deposit is None or deposit.pk == payment.pk):
        money.set_status(booking, DepositStatus.REFUNDED)
    events.deposit_refunded(booking=Booking.objects.with_related().get(pk=booking.pk), amount_pkr=payment.amount_pkr)


def refund_retry(*, payment: Payment, by: AbstractBaseUser, now: dt.datetime) -> Payment:
    """
    Give a refund the provider kept refusing (MAX_REFUND_ATTEMPTS times: the payments list's
    "refunds stuck") to the worker again, from no attempts, and wake it. No money moves, so no
    ledger row: the payment's history records who asked, when and why. Refused for any other payment.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        stuck = payment.status == PaymentStatus.REFUND_DUE and payment.refund_attempts >= MAX_REFUND_ATTEMPTS
        if not (stuck or payment.status == PaymentStatus.REFUNDING):
            raise InvalidTransition("Only a refund the provider refused, or never answered, can be tried again.")
        # A refund never answered is tried again only on the desk's word (who has seen on the provider's
        # dashboard that it was not made): asked twice, a provider might pay it twice.
        payment.status = PaymentStatus.REFUND_DUE
        payment.refund_attempts = 0
        # django-simple-history reads these three from the instance: its history row says who, when and why.
        payment._history_user = by if by.is_authenticated else None
        payment._history_date = now
        payment._change_reason = f"Refund to be tried again (refused {MAX_REFUND_ATTEMPTS} times)"
        payment.save(update_fields=["status", "refund_attempts", "updated_at"])
        transaction.on_commit(run_refunds.enqueue)
    return payment


@task()
def run_refunds() -> dict[str, int]:
    """The worker's task, woken when a refund falls due (and by the periodic job)."""
    return refunds_run()


def _on_refund_due(**kwargs) -> None:
    run_refunds.enqueue()  # already after the commit (bookings.signals.announce_refund_due)


refund_due.connect(_on_refund_due, weak=False, dispatch_uid="deposits:refund_due")


def payments_inquire(*, now: dt.datetime | None = None) -> dict[str, int]:
    """
    Ask the providers what became of each checkout nobody has heard of (the patient closed the
    tab, the callback was lost): a paid one is acted on as if its callback had come.
    """
    now = now or timezone.now()
    asked = settled = 0
    quiet = Payment.objects.filter(
        status=PaymentStatus.STARTED, created_at__lte=now - INQUIRE_AFTER, created_at__gte=now - INQUIRE_UNTIL
    )
    for payment in list(quiet.order_by("pk")):
        try:
            provider = _provider_of(payment)
        except base.PaymentError as exc:
            logger.warning("Status inquiry for %s skipped: %s", payment.reference, exc)
            continue
        if not provider.configured():
            continue
        asked += 1
        try:
            outcome = provider.inquire(reference=payment.reference, provider_ref=payment.provider_ref)
        except base.PaymentError as exc:
            logger.warning("Status inquiry for %s at %s failed: %s", payment.reference, payment.provider, exc)
            continue
        if outcome.reference != payment.reference:
            logger.warning("Status inquiry for %s answered about %s", payment.reference, outcome.reference)
            continue
        settle(outcome=outcome, provider_name=payment.provider, how="inquiry", now=now)
        settled += outcome.state != base.Outcome.PENDING
    return {"asked": asked, "settled": settled}


# The day's takings, reconciled ------------------------------------------------------------------------

# A provider that fails this many inquiries in a row is asked no more that day: each failure can
# cost base.TIMEOUT, and a page must answer before the server gives up on it.
MAX_FAILURES_IN_A_ROW = 2


@dataclasses.dataclass(frozen=True)
class ReconciledRow:
    """
    One payment taken or refunded on the day (`taken`, `refunded`: on that day), as our books
    hold it, beside what the provider's status inquiry says of it (`provider_state`, one of
    base.Outcome's states, and `provider_amount_paisa`; empty when it could not be asked), and
    the `verdict`: AGREES, NOT_PAID (the provider's records do not show it paid), AMOUNT_DIFFERS
    or UNREACHABLE (the provider could not be asked, or refused to answer). `detail` is the
    provider's own code or the error, for whoever follows it up.
    """

    AGREES = "agrees"
    NOT_PAID = "not_paid"
    AMOUNT_DIFFERS = "amount_differs"
    UNREACHABLE = "unreachable"

    provider: str
    provider_label: str
    booking_reference: str
    patient_name: str
    reference: str
    provider_ref: str
    amount_pkr: int
    status: str  # our PaymentStatus
    taken: bool
    refunded: bool
    provider_state: str
    provider_amount_paisa: int | None
    verdict: str
    detail: str = ""
    at: dt.datetime | None = None  # when its money moved that day (the refund's time, if both)

    @property
    def agrees(self) -> bool:
        return self.verdict == self.AGREES


def reconcile(*, day: dt.date, clinic_ids: list[int] | tuple[int, ...]) -> list[ReconciledRow]:
    """
    Return every payment taken (paid_at) or refunded (refunded_at) on the Karachi `day` for a
    session at `clinic_ids`, each beside what its provider's status inquiry says of it: the
    disagreements first, then in the order their money moved. Read in one query; then one
    inquiry per payment, in the request: they are few (a busy day is some 70 sessions, six
    therapists' full days of 45 minutes at every branch, and only the online bookings that owe
    a deposit pay one: a few dozen payments at most, each inquiry well under a second). A
    provider that fails MAX_FAILURES_IN_A_ROW inquiries in a row is not asked about the rest.

    The inquiry says whether the money was taken, and for how much; it says nothing of refunds
    (base.Outcome has no such state, and Safepay reports a refunded tracker as paid), so a
    refunded payment agrees when the provider says it was paid, for our amount. Nothing is
    changed here, whatever a provider says: the worker's `payments_inquire` acts on lost
    callbacks; a disagreement is for the desk to follow up.
    """
    start, end = day_bounds(day)
    payments = list(
        Payment.objects.filter(
            Q(paid_at__gte=start, paid_at__lt=end) | Q(refunded_at__gte=start, refunded_at__lt=end),
            booking__slot__clinic_id__in=list(clinic_ids),
        )
        .select_related("booking__patient")
        .order_by("paid_at", "pk")
    )
    failures: dict[str, int] = {}
    rows = []
    for payment in payments:
        taken = payment.paid_at is not None and start <= payment.paid_at < end
        refunded = payment.refunded_at is not None and start <= payment.refunded_at < end
        row = {
            "provider": payment.provider,
            "booking_reference": payment.booking.reference,
            "patient_name": payment.booking.patient.name or payment.booking.name,
            "reference": payment.reference,
            "provider_ref": payment.provider_ref,
            "amount_pkr": payment.amount_pkr,
            "status": payment.status,
            "taken": taken,
            "refunded": refunded,
            "at": payment.refunded_at if refunded else payment.paid_at,
        }
        rows.append(ReconciledRow(**row, **_ask(payment, failures)))
    return sorted(rows, key=lambda row: (row.agrees, row.at, row.reference))


def _ask(payment: Payment, failures: dict[str, int]) -> dict:
    """What the payment's provider says of it, and the verdict; `failures` counts each provider's in a row."""
    unknown = {"provider_state": "", "provider_amount_paisa": None, "verdict": ReconciledRow.UNREACHABLE}
    try:
        provider = _provider_of(payment)
    except base.PaymentError as exc:
        return {**unknown, "provider_label": payment.provider, "detail": str(exc)}
    label = {"provider_label": provider.label}
    if not provider.configured():
        return {**unknown, **label, "detail": "not set up on this site"}
    if failures.get(provider.name, 0) >= MAX_FAILURES_IN_A_ROW:
        return {**unknown, **label, "detail": f"not asked after {MAX_FAILURES_IN_A_ROW} failures in a row"}
    try:
        outcome = provider.inquire(reference=payment.reference, provider_ref=payment.provider_ref)
    except base.PaymentError as exc:
        logger.warning("Reconciling %s: the status inquiry at %s failed: %s", payment.reference, provider.name, exc)
        failures[provider.name] = failures.get(provider.name, 0) + 1
        return {**unknown, **label, "detail": str(exc)[:300]}
    failures[provider.name] = 0
    # A provider with no payment to speak of says 0 (JazzCash's 109, Safepay's not found): no amount, not PKR 0.
    amount = outcome.amount_paisa if outcome.amount_paisa or outcome.state == base.Outcome.PAID else None
    said = {**label, "provider_state": outcome.state, "provider_amount_paisa": amount}
    if outcome.reference != payment.reference:
        return {**said, "verdict": ReconciledRow.NOT_PAID, "detail": f"Answered about {outcome.reference}"}
    if outcome.state != base.Outcome.PAID:
        return {**said, "verdict": ReconciledRow.NOT_PAID, "detail": outcome.detail}
    if outcome.amount_paisa != base.to_paisa(payment.amount_pkr):
        return {**said, "verdict": ReconciledRow.AMOUNT_DIFFERS, "detail": outcome.detail}
    return {**said, "verdict": ReconciledRow.AGREES, "detail": outcome.detail}
