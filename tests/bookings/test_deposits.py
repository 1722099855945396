"""
Deposits (bookings.booking.deposits, .money, bookings.payments.rules): who owes one, the hold
while it is paid, what a payment, a late payment, a second payment, a cancellation, a no-show
and the desk do with it. The provider here is in-process (tests/fake_payments.py); the
providers' signatures and APIs are tested against their stand-ins.
"""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from bookings import errors
from bookings.booking import deposits, services, waitlist
from bookings.models import (
    Booking,
    BookingStatus,
    DepositRule,
    DepositStatus,
    DepositWhen,
    Message,
    MoneyEvent,
    MoneyKind,
    Payment,
    PaymentStatus,
)
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from tests.factories import BookingFactory, PatientFactory, SessionTypeFactory, SlotFactory
from tests.fake_payments import paid

FEE = 4500


@pytest.fixture
def slot(db):
    return SlotFactory()


@pytest.fixture
def session_type(db):
    return SessionTypeFactory(price_pkr=FEE)


def rule(slot, session_type, *, when=DepositWhen.ALWAYS, amount_pkr=1000, **kwargs):
    return DepositRule.objects.create(
        clinic=slot.clinic, session_type=session_type, when=when, amount_pkr=amount_pkr, **kwargs
    )


def book(slot, session_type, *, phone="03001234567", name="Sana Tariq", now=None, **kwargs):
    return services.book_online(
        slot_id=slot.pk, session_type=session_type, name=name, phone=phone, consent=True, now=now, **kwargs
    )


def pay(booking, *, amount_paisa=None, state="paid", now=None):
    """Start a checkout and settle it as the provider would report it; return the payment."""
    payment, _ = deposits.checkout_start(booking=booking, provider_name="fake", return_url="https://x/r", now=now)
    amount = base_paisa(payment) if amount_paisa is None else amount_paisa
    deposits.settle(outcome=paid(payment.reference, amount, state), provider_name="fake", how="return", now=now)
    payment.refresh_from_db()
    return payment


def base_paisa(payment):
    return payment.amount_pkr * 100


def kinds(booking):
    return list(MoneyEvent.objects.filter(booking=booking).order_by("pk").values_list("kind", flat=True))


# Who owes one ------------------------------------------------------------------------------------------


def test_without_a_rule_an_online_booking_is_confirmed_as_before(slot, session_type, fake_provider):
    booking = book(slot, session_type)
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_status == DepositStatus.NONE
    assert booking.deposit_pkr == 0


def test_without_a_provider_a_rule_asks_nothing(slot, session_type):
    rule(slot, session_type)
    booking = book(slot, session_type)
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_pkr == 0


def test_a_deposit_makes_the_booking_a_hold_that_takes_the_time_and_sends_nothing(slot, session_type, fake_provider):
    rule(slot, session_type)
    now = timezone.now()
    booking = book(slot, session_type, now=now)
    assert booking.status == BookingStatus.HELD and booking.deposit_status == DepositStatus.OWED
    assert booking.deposit_pkr == 1000
    assert booking.held_until == now + dt.timedelta(minutes=15)
    assert not Message.objects.filter(booking=booking).exists()  # the confirmation waits for the money
    for channel in Channel:
        assert not availability.bookable(channel=channel).filter(pk=slot.pk).exists()
    with pytest.raises(errors.SlotUnavailable):
        book(slot, session_type, phone="03009998877", name="Other Patient")


def test_a_rule_without_an_amount_asks_the_whole_fee(slot, session_type, fake_provider):
    rule(slot, session_type, amount_pkr=None)
    assert book(slot, session_type).deposit_pkr == FEE


def test_a_rule_of_another_clinic_or_session_type_asks_nothing(slot, session_type, fake_provider):
    rule(SlotFactory(), session_type)
    rule(slot, SessionTypeFactory(name="First visit", price_pkr=6000))
    assert book(slot, session_type).deposit_pkr == 0


def test_an_inactive_rule_asks_nothing(slot, session_type, fake_provider):
    rule(slot, session_type, is_active=False)
    assert book(slot, session_type).deposit_pkr == 0


def test_first_visits_only_asks_a_new_patient_and_not_one_who_came_before(slot, session_type, fake_provider):
    rule(slot, session_type, when=DepositWhen.FIRST_VISIT)
    regular = PatientFactory(phone="+923001112233", name="Regular Patient")
    BookingFactory(
        patient=regular, status="attended", slot=SlotFactory(starts_at=timezone.now() - dt.timedelta(days=7))
    )
    assert book(slot, session_type, phone="03001112233", name="Regular Patient").deposit_pkr == 0
    assert book(SlotFactory(clinic=slot.clinic), session_type, phone="03005556677", name="New Patient").deposit_pkr


def test_after_no_shows_asks_only_a_patient_with_that_many(slot, session_type, fake_provider):
    rule(slot, session_type, when=DepositWhen.AFTER_NO_SHOWS, no_shows=1)
    missed = PatientFactory(phone="+923001112233", name="Missed Once")
    BookingFactory(patient=missed, status="no_show", no_show_at=timezone.now() - dt.timedelta(days=3),
                   slot=SlotFactory(starts_at=timezone.now() - dt.timedelta(days=3)))  # fmt: skip
    assert book(slot, session_type, phone="03001112233", name="Missed Once").deposit_pkr == 1000
    assert book(SlotFactory(clinic=slot.clinic), session_type, phone="03005556677", name="Always Came").deposit_pkr == 0


def test_the_desk_books_without_a_deposit(slot, session_type, fake_provider):
    rule(slot, session_type)
    booking = services.book_at_desk(slot_id=slot.pk, session_type=session_type, name="Caller", phone="03001234567")
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_pkr == 0


def test_unpaid_holds_count_against_the_online_limit(slot, session_type, fake_provider, settings):
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON = 2
    rule(slot, session_type)
    book(slot, session_type)
    book(SlotFactory(clinic=slot.clinic), session_type)
    with pytest.raises(errors.TooManyBookings):
        book(SlotFactory(clinic=slot.clinic), session_type)


def test_the_same_form_sent_twice_gets_the_same_hold(slot, session_type, fake_provider):
    rule(slot, session_type)
    first = book(slot, session_type, form_key="k" * 32)
    assert book(slot, session_type, form_key="k" * 32) == first


# Paying -----------------------------------------------------------------------------------------------


@pytest.fixture
def hold(slot, session_type, fake_provider):
    rule(slot, session_type)
    return book(slot, session_type)


def test_a_payment_confirms_the_booking_once_with_one_confirmation(hold, fake_provider):
    payment = pay(hold)
    hold.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.provider_ref == f"T-{payment.reference}"
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert kinds(hold) == [MoneyKind.PAID]
    confirmations = Message.objects.filter(booking=hold, audience="patient").count()
    assert confirmations == 1
    # The same answer again (the webhook after the redirect, a replay): nothing more.
    deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="notification")
    assert kinds(hold) == [MoneyKind.PAID]
    assert Message.objects.filter(booking=hold, audience="patient").count() == confirmations


def test_the_checkout_is_for_the_deposit_in_paisa_with_our_reference(hold, fake_provider):
    payment, checkout = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    assert fake_provider.checkouts == [
        {"reference": payment.reference, "amount_paisa": 100000, "return_url": "https://x/r"}
    ]
    assert payment.reference.startswith("AW") and len(payment.reference) == 14 and payment.reference.isalnum()
    assert checkout.url == "https://pay.example/checkout"


def test_a_wrong_amount_confirms_nothing_and_is_logged(hold, caplog):
    with caplog.at_level(logging.WARNING, logger="bookings.payments"):
        payment = pay(hold, amount_paisa=100)
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD and payment.status == PaymentStatus.STARTED
    assert not kinds(hold)
    assert "not 100000" in caplog.text


def test_an_unknown_reference_confirms_nothing_and_is_logged(hold, caplog):
    with caplog.at_level(logging.WARNING, logger="bookings.payments"):
        assert deposits.settle(outcome=paid("AWNOTOURS0000", 100000), provider_name="fake", how="return") is None
    assert "never started" in caplog.text
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD


def test_a_declined_payment_leaves_the_hold_to_try_again(hold):
    payment = pay(hold, state="failed")
    hold.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and hold.status == BookingStatus.HELD
    assert deposits.hold_state(hold, now=timezone.now()) == (deposits.PAY, None)
    assert pay(hold).status == PaymentStatus.PAID


def test_an_unpaid_hold_lapses_and_the_time_goes_back_on_sale(hold, slot, session_type):
    later = hold.held_until + dt.timedelta(seconds=1)
    assert services.holds_lapse(now=later) == 1
    hold.refresh_from_db()
    assert hold.status == BookingStatus.LAPSED
    assert availability.bookable(channel=Channel.ONLINE, now=later).filter(pk=slot.pk).exists()
    with pytest.raises(deposits.PaymentRefused):
        deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r", now=later)


def test_a_payment_after_the_hold_lapsed_books_the_time_if_it_is_still_free(hold, fake_provider):
    payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    later = hold.held_until + dt.timedelta(minutes=1)
    services.holds_lapse(now=later)
    deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="return", now=later)
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert not fake_provider.refunds


def test_a_payment_after_the_time_went_to_someone_else_is_refunded_not_booked(hold, slot, session_type, fake_provider):
    payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    later = hold.held_until + dt.timedelta(minutes=1)
    other = services.book_at_desk(slot_id=slot.pk, session_type=session_type, name="Walk In", phone="03009998877",
                                  now=later)  # fmt: skip
    deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="return", now=later)
    hold.refresh_from_db()
    payment.refresh_from_db()
    assert hold.status == BookingStatus.LAPSED and hold.deposit_status == DepositStatus.REFUND_DUE
    assert payment.status == PaymentStatus.REFUND_DUE
    assert Booking.objects.filter(slot=slot, status__in=["confirmed", "held"]).get() == other
    assert deposits.refunds_run() == {"refunded": 1, "failed": 0}
    payment.refresh_from_db()
    hold.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refund_ref == f"RF-{payment.reference}"
    assert fake_provider.refunds == [(payment.reference, 100000)]
    assert hold.deposit_status == DepositStatus.REFUNDED
    assert kinds(hold) == [MoneyKind.PAID, MoneyKind.REFUND_DUE, MoneyKind.REFUNDED]
    assert Message.objects.filter(booking=hold, kind="deposit_refunded").exists()
    assert deposits.refunds_run() == {"refunded": 0, "failed": 0}  # done once


def test_a_payment_inside_the_hold_confirms_a_time_booked_just_past_the_minimum_notice(
    session_type, fake_provider, settings
):
    """The notice was met when the time was held: paying ten minutes later is not "too short notice"."""
    now = timezone.now()
    slot = SlotFactory(starts_at=now + dt.timedelta(minutes=settings.ASPIRE_MIN_NOTICE_MINUTES + 5))
    rule(slot, session_type)
    hold = book(slot, session_type, now=now)
    payment = pay(hold, now=now + dt.timedelta(minutes=10))
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert payment.status == PaymentStatus.PAID


def test_two_payments_for_one_hold_book_once_and_refund_the_second(hold, fake_provider):
    first, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    second, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    for payment in (first, second):
        deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="return")
    first.refresh_from_db()
    second.refresh_from_db()
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    assert (first.status, second.status) == (PaymentStatus.PAID, PaymentStatus.REFUND_DUE)
    deposits.refunds_run()
    assert fake_provider.refunds == [(second.reference, 100000)]
    hold.refresh_from_db()
    assert hold.deposit_status == DepositStatus.PAID  # the booking's own deposit is untouched


def test_a_payment_for_a_time_the_patient_let_go_is_refunded(hold):
    payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    waitlist.waitlist_decline(booking=hold)
    deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="return")
    hold.refresh_from_db()
    assert hold.status == BookingStatus.LAPSED and hold.deposit_status == DepositStatus.REFUND_DUE


def test_a_refund_the_provider_refuses_is_tried_again_and_then_left_for_the_desk(hold, fake_provider):
    pay(hold)
    services.booking_cancel(booking=hold, by_patient=True)
    fake_provider.refuse_refunds = True
    for _ in range(deposits.MAX_REFUND_ATTEMPTS + 2):
        deposits.refunds_run()
    payment = Payment.objects.get(booking=hold)
    assert payment.status == PaymentStatus.REFUND_DUE
    assert payment.refund_attempts == deposits.MAX_REFUND_ATTEMPTS and payment.last_error == "refused"


def test_a_lost_callback_is_recovered_by_the_status_inquiry(hold, fake_provider):
    payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    soon = timezone.now() + dt.timedelta(minutes=1)
    assert deposits.payments_inquire(now=soon) == {"asked": 0, "settled": 0}  # too soon to ask
    fake_provider.paid[payment.reference] = 100000
    later = timezone.now() + dt.timedelta(minutes=5)
    assert deposits.payments_inquire(now=later) == {"asked": 1, "settled": 1}
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED
    assert deposits.payments_inquire(now=later) == {"asked": 0, "settled": 0}


# What becomes of it ----------------------------------------------------------------------------------


@pytest.fixture
def paid_booking(hold):
    pay(hold)
    hold.refresh_from_db()
    return hold


def test_a_patient_cancelling_before_the_cut_off_is_refunded(paid_booking):
    services.booking_cancel(booking=paid_booking, by_patient=True)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.REFUND_DUE


def test_a_cancellation_inside_the_cut_off_keeps_the_deposit(paid_booking):
    late = paid_booking.slot.starts_at - dt.timedelta(hours=2)
    services.booking_cancel(booking=paid_booking, reason="patient_asked", now=late)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.KEPT
    assert kinds(paid_booking) == [MoneyKind.PAID, MoneyKind.KEPT]


@pytest.mark.parametrize("reason", ["clinic_closed", "therapist_away"])
def test_a_cancellation_by_the_clinic_refunds_it_even_on_the_day(paid_booking, reason):
    late = paid_booking.slot.starts_at - dt.timedelta(hours=1)
    services.booking_cancel(booking=paid_booking, reason=reason, now=late)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.REFUND_DUE


def test_a_patient_told_their_time_cant_go_ahead_is_refunded_whenever_it_is_cancelled(paid_booking):
    Booking.objects.filter(pk=paid_booking.pk).update(move_offered_at=timezone.now())
    late = paid_booking.slot.starts_at - dt.timedelta(hours=1)
    services.booking_cancel(booking=paid_booking, reason="patient_asked", now=late)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.REFUND_DUE


def test_a_no_show_keeps_it_and_attending_counts_it_towards_the_fee(paid_booking):
    after = paid_booking.slot.starts_at + dt.timedelta(minutes=10)
    services.booking_mark_no_show(booking=paid_booking, now=after)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.KEPT
    services.booking_mark_attended(booking=paid_booking, now=after)  # the desk corrects it: they came
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.PAID
    assert kinds(paid_booking) == [MoneyKind.PAID, MoneyKind.KEPT, MoneyKind.KEPT_UNDONE, MoneyKind.COUNTED]
    assert paid_booking.to_pay_at_clinic == FEE - 1000


def test_the_desk_can_refund_a_kept_deposit_with_who_and_why(paid_booking, manager):
    late = paid_booking.slot.starts_at - dt.timedelta(hours=2)
    services.booking_cancel(booking=paid_booking, reason="patient_unwell", now=late)
    deposits.money.desk_refund(booking=paid_booking, by=manager, note="Hospital letter", now=late)
    event = MoneyEvent.objects.get(booking=paid_booking, kind=MoneyKind.REFUND_DUE)
    assert event.by == manager and "Hospital letter" in event.note
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.REFUND_DUE


def test_a_desk_refund_reads_the_deposit_afresh_under_its_lock(paid_booking, manager):
    """A page left open (or two clicks at once) holds a stale booking: the second refund is refused, not silent."""
    late = paid_booking.slot.starts_at - dt.timedelta(hours=2)
    services.booking_cancel(booking=paid_booking, reason="patient_asked", now=late)
    stale = Booking.objects.get(pk=paid_booking.pk)
    deposits.money.desk_refund(booking=paid_booking, by=manager, note="First", now=late)
    with pytest.raises(errors.InvalidTransition):
        deposits.money.desk_refund(booking=stale, by=manager, note="Second", now=late)
    assert kinds(paid_booking) == [MoneyKind.PAID, MoneyKind.KEPT, MoneyKind.REFUND_DUE]


def test_the_desk_can_waive_a_deposit_with_who_and_why(hold, manager):
    booking = deposits.deposit_waive(booking=hold, by=manager, note="Known patient, pays at the desk")
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_status == DepositStatus.WAIVED
    event = MoneyEvent.objects.get(booking=hold)
    assert (event.kind, event.by, event.amount_pkr) == (MoneyKind.WAIVED, manager, 1000)
    assert Message.objects.filter(booking=hold, audience="patient").exists()
    with pytest.raises(errors.InvalidTransition):
        deposits.deposit_waive(booking=hold, by=manager, note="again")


def test_the_desk_can_waive_a_hold_on_a_time_booked_just_past_the_minimum_notice(
    session_type, fake_provider, manager, settings
):
    now = timezone.now()
    slot = SlotFactory(starts_at=now + dt.timedelta(minutes=settings.ASPIRE_MIN_NOTICE_MINUTES + 5))
    rule(slot, session_type)
    hold = book(slot, session_type, now=now)
    booking = deposits.deposit_waive(
        booking=hold, by=manager, note="Can't pay online", now=now + dt.timedelta(minutes=10)
    )
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_status == DepositStatus.WAIVED


def test_a_waiver_needs_a_reason(hold, manager):
    with pytest.raises(errors.InvalidTransition, match="why"):
        deposits.deposit_waive(booking=hold, by=manager, note="  ")


# The waitlist --------------------------------------------------------------------------------------------


def test_a_waitlist_offer_that_owes_a_deposit_is_booked_by_paying(slot, session_type, fake_provider, settings):
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 0, 24
    rule(slot, session_type)
    taken = BookingFactory(slot=slot, session_type=session_type)
    day = timezone.localtime(slot.starts_at).date()
    entry = waitlist.waitlist_join(clinic=slot.clinic, name="Waiting Patient", phone="03001112233",
                                   session_type=session_type, first_day=day, last_day=day)  # fmt: skip
    services.booking_cancel(booking=taken, reason="patient_asked")
    waitlist.waitlist_run()
    offer = Booking.objects.get(waitlist_entry=entry, status=BookingStatus.HELD)
    claimed = waitlist.waitlist_claim(booking=offer)
    assert claimed.status == BookingStatus.HELD and claimed.deposit_status == DepositStatus.OWED
    pay(claimed)
    claimed.refresh_from_db()
    entry.refresh_from_db()
    assert claimed.status == BookingStatus.CONFIRMED and entry.status == "booked"
    assert claimed.screening.consent_version


def test_one_booking_starts_a_limited_number_of_checkouts(hold):
    for _ in range(deposits.MAX_CHECKOUTS_PER_BOOKING):
        deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    with pytest.raises(deposits.PaymentRefused, match="too many tries"):
        deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    assert Payment.objects.filter(booking=hold).count() == deposits.MAX_CHECKOUTS_PER_BOOKING


def test_a_payment_inside_the_hold_books_a_time_that_has_since_come_inside_the_notice(
    session_type, fake_provider, settings
):
    """Held 2 h 5 min ahead and paid 10 minutes later: the notice was met when the time was had."""
    settings.ASPIRE_MIN_NOTICE_MINUTES = 120
    now = timezone.now()
    slot = SlotFactory(starts_at=now + dt.timedelta(minutes=125), ends_at=now + dt.timedelta(minutes=170))
    rule(slot, session_type)
    booking = book(slot, session_type, now=now)
    payment = pay(booking, now=now + dt.timedelta(minutes=10))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.PAID


def test_a_payment_for_a_time_closed_while_held_is_refunded_and_the_hold_let_go(hold, slot):
    from bookings.models import ClinicClosure
    from bookings.schedule import leave

    payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
    day = timezone.localtime(slot.starts_at).date()
    leave.closure_save(closure=ClinicClosure(start_date=day, end_date=day, reason="Eid"), clinics=[slot.clinic])
    deposits.settle(outcome=paid(payment.reference, 100000), provider_name="fake", how="return")
    hold.refresh_from_db()
    payment.refresh_from_db()
    assert hold.status == BookingStatus.LAPSED
    assert payment.status in (PaymentStatus.REFUND_DUE, PaymentStatus.REFUNDED)
    assert "closed" in MoneyEvent.objects.get(booking=hold, kind=MoneyKind.REFUND_DUE).note


# The refund worker (from the review) --------------------------------------------------------------------


@pytest.fixture
def refund_due(hold):
    pay(hold)
    hold.refresh_from_db()
    services.booking_cancel(booking=hold, by_patient=True)
    return Payment.objects.get(booking=hold)


def test_a_failure_after_the_provider_refunded_never_refunds_twice(refund_due, fake_provider, monkeypatch):
    from bookings.messaging import events

    def broken(**kwargs):
        raise RuntimeError("the message could not be queued")

    monkeypatch.setattr(events, "deposit_refunded", broken)
    assert deposits.refunds_run() == {"refunded": 0, "failed": 1}
    monkeypatch.undo()
    deposits.refunds_run()
    refund_due.refresh_from_db()
    assert len(fake_provider.refunds) == 1  # paid out once
    assert refund_due.status == PaymentStatus.REFUNDING  # left for the desk, who can see it was made


def test_an_unexpected_error_of_one_refund_is_counted_and_the_next_is_still_asked(
    refund_due, fake_provider, monkeypatch, slot, session_type
):
    other = book(SlotFactory(clinic=slot.clinic), session_type, phone="03005556677", name="Other Patient")
    pay(other)
    other.refresh_from_db()
    services.booking_cancel(booking=other, by_patient=True)
    calls = []

    def odd_then_fine(**kwargs):
        calls.append(kwargs["reference"])
        if len(calls) == 1:
            raise AttributeError("'str' object has no attribute 'get'")  # a provider's JSON of an odd shape
        return "RF-2"

    monkeypatch.setattr(fake_provider, "refund", lambda self, **kwargs: odd_then_fine(**kwargs))
    assert deposits.refunds_run() == {"refunded": 1, "failed": 1}
    refund_due.refresh_from_db()
    assert refund_due.status == PaymentStatus.REFUND_DUE and refund_due.refund_attempts == 1
    assert "attribute" in refund_due.last_error


def test_the_desk_gives_a_refund_never_answered_back_to_the_worker(refund_due, fake_provider, manager):
    Payment.objects.filter(pk=refund_due.pk).update(status=PaymentStatus.REFUNDING)
    deposits.refund_retry(payment=refund_due, by=manager, now=timezone.now())
    assert deposits.refunds_run() == {"refunded": 1, "failed": 0}
    assert len(fake_provider.refunds) == 1


def test_a_refund_falling_due_wakes_the_worker_once_it_commits(paid_booking, fake_provider,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=paid_booking, by_patient=True)
    paid_booking.refresh_from_db()
    assert paid_booking.deposit_status == DepositStatus.REFUNDED  # the test settings run tasks at once
    assert len(fake_provider.refunds) == 1
