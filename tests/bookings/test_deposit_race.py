"""
Races of a deposit, with real concurrent connections released together (tests/race.py): the
same payment reported twice at once (the redirect and the webhook), two payments for one hold,
a payment arriving while the hold lapses and another patient books the time, and a double tap
on Pay. The window is widened on purpose (each booking's lock held a moment); the PostgreSQL
control shows the payment's lock is what keeps the first race honest.
"""

import datetime as dt
import time

import pytest
from django.utils import timezone

from bookings import errors
from bookings.booking import deposits, services
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    DepositRule,
    DepositStatus,
    Message,
    MoneyEvent,
    MoneyKind,
    Payment,
    PaymentStatus,
)
from tests import race
from tests.factories import SessionTypeFactory, SlotFactory
from tests.fake_payments import paid

LOCK_HELD_SECONDS = 0.2
pytestmark = pytest.mark.django_db(transaction=True)


def run_together(jobs):
    return race.run_together(jobs, refusals=(errors.BookingError,))


def failures(outcomes):
    return [o for o in outcomes if o[0] == "error"]


@pytest.fixture
def slow_booking_lock(monkeypatch):
    """Hold each booking's lock a moment, so a second answer really arrives while the first is acted on."""
    lock = services.lock_booking

    def held(booking):
        locked = lock(booking)
        time.sleep(LOCK_HELD_SECONDS)
        return locked

    monkeypatch.setattr(services, "lock_booking", held)


@pytest.fixture
def hold(fake_provider):
    slot, session_type = SlotFactory(), SessionTypeFactory(price_pkr=4500)
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    return services.book_online(slot_id=slot.pk, session_type=session_type, name="Sana Tariq", phone="03001234567",
                                consent=True)  # fmt: skip


def start(booking):
    payment, _ = deposits.checkout_start(booking=booking, provider_name="fake", return_url="https://x/r")
    return payment


def settle_job(payment, how, now=None):
    return lambda: deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how=how,
                                   now=now).status  # fmt: skip


def test_the_same_payment_reported_twice_at_once_is_taken_once(hold, slow_booking_lock):
    payment = start(hold)
    outcomes = run_together([settle_job(payment, "return"), settle_job(payment, "notification")])
    assert failures(outcomes) == []
    assert MoneyEvent.objects.filter(kind=MoneyKind.PAID).count() == 1
    assert Message.objects.filter(booking=hold, audience="patient").count() == 1
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID


@pytest.mark.postgres
def test_control_without_the_payment_lock_the_payment_is_taken_twice(hold, slow_booking_lock, monkeypatch):
    monkeypatch.setattr(deposits, "lock_payment", lambda reference: Payment.objects.filter(reference=reference).first())
    payment = start(hold)
    run_together([settle_job(payment, "return"), settle_job(payment, "notification")])
    assert MoneyEvent.objects.filter(kind=MoneyKind.PAID).count() == 2


def test_two_payments_for_one_hold_at_once_book_it_once_and_refund_the_other(hold, slow_booking_lock):
    first, second = start(hold), start(hold)
    outcomes = run_together([settle_job(first, "return"), settle_job(second, "return")])
    assert failures(outcomes) == []
    assert sorted(status for _, status in outcomes) == [PaymentStatus.PAID, PaymentStatus.REFUND_DUE]
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert Booking.objects.filter(slot=hold.slot, status__in=ACTIVE_STATUSES).count() == 1


def test_a_payment_while_the_hold_lapses_ends_booked_or_refunded_never_both(hold, slow_booking_lock):
    payment = start(hold)
    after = hold.held_until + dt.timedelta(seconds=5)
    slot_id, session_type = hold.slot_id, hold.session_type

    def walk_in():
        return services.book_at_desk(slot_id=slot_id, session_type=session_type, name="Walk In",
                                     phone="03009998877", now=after).reference  # fmt: skip

    lapse = lambda: services.holds_lapse(now=after)  # noqa: E731
    outcomes = run_together([settle_job(payment, "return", now=after), lapse, walk_in])
    assert failures(outcomes) == []
    hold.refresh_from_db()
    payment.refresh_from_db()
    active = list(Booking.objects.filter(slot_id=slot_id, status__in=ACTIVE_STATUSES))
    assert len(active) == 1  # the time is had once
    if active[0] == hold:
        assert hold.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.PAID
    else:
        # Refunded at once where the tasks run at once (the test settings), due otherwise.
        assert hold.status == BookingStatus.LAPSED
        assert payment.status in (PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDED)
        assert hold.deposit_status in (DepositStatus.REFUND_DUE, DepositStatus.REFUNDED)


def test_a_payment_during_the_lapse_with_the_time_still_free_books_it(hold, slow_booking_lock):
    payment = start(hold)
    after = hold.held_until + dt.timedelta(seconds=5)
    outcomes = run_together([settle_job(payment, "return", now=after), lambda: services.holds_lapse(now=after)])
    assert failures(outcomes) == []
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert not Payment.objects.filter(status=PaymentStatus.REFUND_DUE).exists()


def test_a_double_tap_on_pay_gives_two_checkouts_and_no_error(hold):
    outcomes = run_together([lambda: start(hold).reference, lambda: start(hold).reference])
    assert failures(outcomes) == [] and {kind for kind, _ in outcomes} == {"ok"}
    assert Payment.objects.filter(booking=hold, status=PaymentStatus.STARTED).count() == 2
    assert timezone.now() < Booking.objects.get(pk=hold.pk).held_until  # the hold is untouched
