"""
The front desk's side of deposits (issue 24): the rules in the admin, a booking's deposit,
payments and ledger on its page, waiving and refunding a deposit with a reason, the schedule's
badge, and the payments list with its refunds stuck. The provider is the in-process fake
(tests/fake_payments.py).
"""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.booking import deposits, services
from bookings.models import (
    Booking,
    BookingStatus,
    DepositRule,
    DepositStatus,
    DepositWhen,
    MoneyEvent,
    MoneyKind,
    Payment,
    PaymentStatus,
)
from tests.bookings.conftest import staff_user
from tests.bookings.test_deposits import book, pay, rule
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

FEE = 4500
RULES = reverse("admin:bookings_depositrule_changelist")
RULE_ADD = reverse("admin:bookings_depositrule_add")
PAYMENTS = reverse("admin:bookings_payment_changelist")
SCHEDULE = reverse("bookings_schedule")
WEEK = reverse("bookings_schedule_week")


def booking_page(booking: Booking) -> str:
    return reverse("admin:bookings_booking_change", args=[booking.pk])


def waive_url(booking: Booking) -> str:
    return reverse("admin:bookings_booking_waive_deposit", args=[booking.pk])


def refund_url(booking: Booking) -> str:
    return reverse("admin:bookings_booking_refund_deposit", args=[booking.pk])


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def slot(db):
    return SlotFactory()


@pytest.fixture
def session_type(db):
    return SessionTypeFactory(price_pkr=FEE)


@pytest.fixture
def hold(slot, session_type, fake_provider):
    """A booking made online that is held for its deposit of PKR 1,000."""
    rule(slot, session_type)
    return book(slot, session_type)


@pytest.fixture
def paid_booking(hold):
    pay(hold)
    hold.refresh_from_db()
    return hold


@pytest.fixture
def kept_booking(paid_booking):
    """Cancelled by the patient inside the cut-off: the clinic keeps the deposit."""
    late = paid_booking.slot.starts_at - dt.timedelta(hours=2)
    services.booking_cancel(booking=paid_booking, reason="patient_asked", now=late)
    paid_booking.refresh_from_db()
    return paid_booking


@pytest.fixture
def manager_client(client, manager):
    return sign_in(client, manager)


@pytest.fixture
def other_desk_client(client, db):
    """A receptionist of another clinic only."""
    desk = staff_user("Receptionist", "other-branch")
    ClinicFactory(name="Other Branch").front_desk.add(desk)
    return sign_in(client, desk)


def rule_form(clinic, session_type, **overrides) -> dict:
    return {
        "clinic": clinic.pk, "session_type": session_type.pk, "when": DepositWhen.ALWAYS, "no_shows": 1,
        "amount_pkr": 1000, "is_active": "on", **overrides,
    }  # fmt: skip


# The rules in the admin ------------------------------------------------------------------------------


def test_a_manager_adds_a_rule(manager_client, slot, session_type, fake_provider):
    response = manager_client.post(RULE_ADD, rule_form(slot.clinic, session_type))
    assert response.status_code == 302
    saved = DepositRule.objects.get()
    assert (saved.clinic, saved.session_type, saved.amount_pkr, saved.is_active) == (
        slot.clinic, session_type, 1000, True,
    )  # fmt: skip


def test_an_active_rule_is_refused_while_no_provider_is_set_up(manager_client, slot, session_type):
    response = manager_client.post(RULE_ADD, rule_form(slot.clinic, session_type))
    assert response.status_code == 200 and not DepositRule.objects.exists()
    assert "Set up JazzCash or Safepay first (README, Deposits): until then patients can't pay, so nobody is asked" in (
        parse(response).text
    )


def test_an_inactive_rule_is_saved_while_no_provider_is_set_up(manager_client, slot, session_type):
    data = rule_form(slot.clinic, session_type)
    del data["is_active"]
    assert manager_client.post(RULE_ADD, data).status_code == 302
    assert DepositRule.objects.get().is_active is False


def test_a_deposit_above_the_fee_is_a_form_error(manager_client, slot, session_type, fake_provider):
    response = manager_client.post(RULE_ADD, rule_form(slot.clinic, session_type, amount_pkr=FEE + 1))
    assert response.status_code == 200 and not DepositRule.objects.exists()
    assert "A deposit can't be more than the fee (4,500 PKR)." in parse(response).text


def test_the_rule_list_shows_the_amount_or_the_whole_fee(manager_client, slot, session_type, fake_provider):
    rule(slot, session_type, amount_pkr=None)
    rule(slot, SessionTypeFactory(name="First visit", price_pkr=6000), when=DepositWhen.AFTER_NO_SHOWS, no_shows=2)
    text = parse(manager_client.get(RULES)).text
    assert "Whole fee" in text and "PKR 1,000" in text
    assert "After earlier no-shows" in text and "Every online booking" in text


def test_a_receptionist_sees_only_their_clinics_rules_and_changes_none(client, session_type, fake_provider):
    own, other = SlotFactory(clinic=ClinicFactory(name="Own Branch")), SlotFactory(clinic=ClinicFactory(name="Far"))
    desk = staff_user("Receptionist", "own-branch")
    own.clinic.front_desk.add(desk)
    sign_in(client, desk)
    mine, theirs = rule(own, session_type), rule(other, session_type)
    text = parse(client.get(RULES)).text
    assert "Own Branch" in text and "Far" not in text
    assert client.get(RULE_ADD).status_code == 403
    page = client.get(reverse("admin:bookings_depositrule_change", args=[mine.pk]))
    assert page.status_code == 200 and 'name="amount_pkr"' not in page.content.decode()  # view only
    assert client.get(reverse("admin:bookings_depositrule_change", args=[theirs.pk])).status_code == 302  # as missing


def test_the_groups_get_the_rules_permissions(manager, receptionist):
    assert manager.has_perms(["bookings.add_depositrule", "bookings.change_depositrule", "bookings.view_depositrule"])
    assert receptionist.has_perm("bookings.view_depositrule")
    assert not receptionist.has_perm("bookings.change_depositrule")


def test_the_rule_list_queries_stay_flat(manager_client, fake_provider):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(RULES).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int):
        for _ in range(n):
            rule(SlotFactory(), SessionTypeFactory(name=f"Type {DepositRule.objects.count()}", price_pkr=FEE))

    add(2)
    small = count()
    add(20)
    # As measured: session, user, second factor, the user's and group's permissions, the clinic and
    # session type filters' choices, the counts (filtered and in all), the rows with their clinic and type.
    assert count() == small <= 10


# The booking's page ---------------------------------------------------------------------------------


def test_the_booking_page_shows_the_deposit_and_what_is_left_to_pay(manager_client, paid_booking):
    text = parse(manager_client.get(booking_page(paid_booking))).text
    assert "PKR 1,000: Deposit paid" in text
    assert "PKR 3,500" in text  # the fee less the deposit


def test_a_booking_without_a_deposit_pays_the_whole_fee_at_the_desk(manager_client, session_type):
    text = parse(manager_client.get(booking_page(BookingFactory(session_type=session_type)))).text
    assert "No deposit" in text and "PKR 4,500" in text


def test_the_booking_page_lists_its_payments_and_nothing_about_them_is_editable(manager_client, paid_booking):
    payment = Payment.objects.get(booking=paid_booking)
    response = manager_client.get(booking_page(paid_booking))
    text = parse(response).text
    assert payment.reference in text and payment.provider_ref in text and "Paid" in text
    assert "provider_ref" not in response.content.decode() and "refund_attempts" not in response.content.decode()


def test_the_booking_page_lists_the_money_events_newest_last_with_who_and_why(manager_client, kept_booking, manager):
    after_kept = kept_booking.slot.starts_at - dt.timedelta(hours=1)
    deposits.money.desk_refund(booking=kept_booking, by=manager, note="Hospital letter", now=after_kept)
    text = parse(manager_client.get(booking_page(kept_booking))).text
    order = [text.index(kind.label) for kind in (MoneyKind.PAID, MoneyKind.KEPT, MoneyKind.REFUND_DUE)]
    assert order == sorted(order)
    assert "Refunded by the desk: Hospital letter" in text and "clinic-manager" in text


def test_the_booking_pages_queries_do_not_grow_with_its_payments_and_events(manager_client, hold, manager):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(booking_page(hold)).status_code == 200
        return len(ctx.captured_queries)

    def attempts(n: int):
        for _ in range(n):
            payment, _ = deposits.checkout_start(booking=hold, provider_name="fake", return_url="https://x/r")
            deposits.money.record(booking=hold, payment=payment, kind=MoneyKind.WAIVED, amount_pkr=1, by=manager,
                                  now=timezone.now(), note="A row of the ledger")  # fmt: skip

    attempts(1)
    count()  # the first visit reads the content types once (Django caches them for the process)
    small = count()
    attempts(deposits.MAX_CHECKOUTS_PER_BOOKING - 1)  # as many as one booking may start
    assert count() == small


# Waiving a deposit ---------------------------------------------------------------------------------


def test_waiving_is_offered_only_for_a_booking_held_for_its_deposit(manager_client, hold):
    assert waive_url(hold) in manager_client.get(booking_page(hold)).content.decode()
    pay(hold)
    assert waive_url(hold) not in manager_client.get(booking_page(hold)).content.decode()


def test_the_waive_page_asks_why_in_a_form_with_csrf_and_changes_nothing(manager_client, hold):
    response = manager_client.get(waive_url(hold))
    body = response.content.decode()
    assert response.status_code == 200 and 'method="post"' in body and "csrfmiddlewaretoken" in body
    assert hold.reference in body and 'name="note"' in body
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD


def test_waiving_with_a_reason_confirms_the_booking_with_who_and_why(manager_client, hold, manager):
    response = manager_client.post(waive_url(hold), {"note": "Known patient, pays at the desk"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.WAIVED
    event = MoneyEvent.objects.get(booking=hold)
    assert (event.kind, event.by, event.note) == (MoneyKind.WAIVED, manager, "Known patient, pays at the desk")


def test_waiving_without_a_reason_is_refused(manager_client, hold):
    response = manager_client.post(waive_url(hold), {"note": "   "})
    assert response.status_code == 400
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD and not MoneyEvent.objects.exists()


def test_waiving_a_hold_that_has_ended_shows_the_services_refusal(manager_client, hold):
    Booking.objects.filter(pk=hold.pk).update(held_until=timezone.now() - dt.timedelta(minutes=1))
    response = manager_client.post(waive_url(hold), {"note": "Called to say they can't pay online"})
    assert response.status_code == 302
    assert "Sana Tariq: This hold has ended and its time is back on sale." in message_texts(response)
    hold.refresh_from_db()
    assert hold.deposit_status == DepositStatus.OWED


def test_after_waiving_on_the_schedule_the_desk_is_back_on_its_day(manager_client, hold):
    day = day_of(hold)
    response = manager_client.post(waive_url(hold), {"note": "Pays at the desk", "next": day})
    assert response.url == day


def test_a_next_to_another_host_is_not_followed(manager_client, hold):
    response = manager_client.post(waive_url(hold), {"note": "Pays at the desk", "next": "https://evil.example/"})
    assert response.url == booking_page(hold)


def test_the_waive_post_without_a_csrf_token_is_refused(manager, hold):
    client = sign_in(Client(enforce_csrf_checks=True), manager)
    assert client.post(waive_url(hold), {"note": "No token"}).status_code == 403
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD


# Refunding a deposit -----------------------------------------------------------------------------


def test_refunding_is_offered_for_a_kept_or_paid_deposit_only(manager_client, hold):
    assert refund_url(hold) not in manager_client.get(booking_page(hold)).content.decode()
    pay(hold)
    assert refund_url(hold) in manager_client.get(booking_page(hold)).content.decode()


def test_refunding_a_kept_deposit_marks_it_due_with_who_and_why(manager_client, kept_booking, manager):
    response = manager_client.post(refund_url(kept_booking), {"note": "Hospital letter"})
    assert response.status_code == 302
    kept_booking.refresh_from_db()
    assert kept_booking.deposit_status == DepositStatus.REFUND_DUE
    event = MoneyEvent.objects.get(booking=kept_booking, kind=MoneyKind.REFUND_DUE)
    assert event.by == manager and event.note == "Refunded by the desk: Hospital letter"


def test_refunding_without_a_reason_is_refused(manager_client, kept_booking):
    assert manager_client.post(refund_url(kept_booking), {"note": ""}).status_code == 400
    kept_booking.refresh_from_db()
    assert kept_booking.deposit_status == DepositStatus.KEPT


def test_refunding_a_deposit_already_on_its_way_back_shows_the_services_refusal(manager_client, kept_booking, manager):
    deposits.money.desk_refund(booking=kept_booking, by=manager, note="First", now=timezone.now())
    response = manager_client.post(refund_url(kept_booking), {"note": "Again"})
    assert "Sana Tariq: Only a deposit that was paid and not yet refunded can be refunded." in message_texts(response)
    assert MoneyEvent.objects.filter(booking=kept_booking, kind=MoneyKind.REFUND_DUE).count() == 1


# Who may ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [waive_url, refund_url])
def test_a_receptionist_of_another_clinic_gets_404_for_a_booking_not_theirs(other_desk_client, kept_booking, url):
    assert other_desk_client.get(url(kept_booking)).status_code == 404
    assert other_desk_client.post(url(kept_booking), {"note": "Not mine"}).status_code == 404
    kept_booking.refresh_from_db()
    assert kept_booking.deposit_status == DepositStatus.KEPT


def test_staff_without_change_booking_get_403(client, hold):
    from django.contrib.auth.models import Permission

    desk = staff_user("Receptionist", "read-only-desk")
    desk.user_permissions.add(Permission.objects.get(codename="view_all_clinics"))
    desk.groups.first().permissions.remove(Permission.objects.get(codename="change_booking"))
    sign_in(client, desk)
    assert client.get(waive_url(hold)).status_code == 403
    assert client.post(waive_url(hold), {"note": "Not allowed"}).status_code == 403
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD


# The schedule's badge ------------------------------------------------------------------------------


def deposit_booking(*, status: str, deposit_status: str, **kwargs) -> Booking:
    return BookingFactory(
        status=status, deposit_status=deposit_status, deposit_pkr=1000,
        session_type=SessionTypeFactory(price_pkr=FEE), **kwargs,
    )  # fmt: skip


def day_of(booking: Booking) -> str:
    clinic, day = booking.slot.clinic_id, timezone.localtime(booking.slot.starts_at).date()
    return f"{SCHEDULE}?clinic={clinic}&date={day.isoformat()}"


@pytest.mark.parametrize(
    ("status", "deposit_status", "badge"),
    [
        (BookingStatus.CONFIRMED, DepositStatus.PAID, "Deposit paid · to pay: PKR 3,500"),
        (BookingStatus.ATTENDED, DepositStatus.PAID, "Deposit paid · counted: PKR 3,500 was to pay at the desk"),
        (BookingStatus.NO_SHOW, DepositStatus.KEPT, "Deposit kept"),
        (BookingStatus.NO_SHOW, DepositStatus.REFUND_DUE, "Refund due"),
        (BookingStatus.NO_SHOW, DepositStatus.REFUNDED, "Refunded"),
        (BookingStatus.CONFIRMED, DepositStatus.WAIVED, "Waived"),
    ],
)
def test_the_day_schedule_shows_the_deposit_state_as_text(reception_client, status, deposit_status, badge):
    booking = deposit_booking(status=status, deposit_status=deposit_status)
    page = parse(reception_client.get(day_of(booking)))
    assert badge in page.text
    assert page.count("span", **{"class": f"cell-mark cell-deposit cell-deposit-{deposit_status}"}) == 1


def test_a_time_held_for_its_deposit_reads_as_held_for_the_patient_until_its_end(reception_client):
    held_until = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=12)
    booking = deposit_booking(status=BookingStatus.HELD, deposit_status=DepositStatus.OWED, held_until=held_until)
    response = reception_client.get(day_of(booking))
    text = parse(response).text
    assert booking.name in text and f"Deposit owed · held until {timezone.localtime(held_until):%H:%M}" in text
    assert 'class="cell-held' in response.content.decode() and "+ Book" not in text


def test_a_booking_without_a_deposit_has_no_badge(reception_client):
    booking = BookingFactory()
    assert "cell-deposit" not in reception_client.get(day_of(booking)).content.decode()


def test_the_week_schedule_shows_the_deposit_badge(reception_client):
    booking = deposit_booking(status=BookingStatus.CONFIRMED, deposit_status=DepositStatus.PAID)
    clinic, day = booking.slot.clinic_id, timezone.localtime(booking.slot.starts_at).date()
    text = parse(reception_client.get(WEEK, {"clinic": clinic, "date": day.isoformat()})).text
    assert "Deposit paid · to pay: PKR 3,500" in text


def test_the_schedule_offers_the_waiver_on_a_time_held_for_its_deposit(reception_client):
    held_until = timezone.now() + dt.timedelta(minutes=12)
    held = deposit_booking(status=BookingStatus.HELD, deposit_status=DepositStatus.OWED, held_until=held_until)
    body = reception_client.get(day_of(held)).content.decode()
    assert waive_url(held) in body


# The payments list ------------------------------------------------------------------------------------


@pytest.fixture
def stuck(paid_booking, fake_provider):
    """A refund the provider refused every time: left for the desk."""
    services.booking_cancel(booking=paid_booking, by_patient=True)
    fake_provider.refuse_refunds = True
    for _ in range(deposits.MAX_REFUND_ATTEMPTS):
        deposits.refunds_run()
    fake_provider.refuse_refunds = False
    return Payment.objects.get(booking=paid_booking)


def test_the_payments_list_filters_by_provider_and_status(manager_client, paid_booking, stuck):
    other = BookingFactory()
    Payment.objects.create(booking=other, provider="jazzcash", reference="AWJAZZ00000001", amount_pkr=500)
    by_provider = parse(manager_client.get(PAYMENTS, {"provider": "fake"})).text
    assert stuck.reference in by_provider and "AWJAZZ00000001" not in by_provider
    by_status = parse(manager_client.get(PAYMENTS, {"status__exact": PaymentStatus.STARTED})).text
    assert "AWJAZZ00000001" in by_status and stuck.reference not in by_status


def test_refunds_stuck_lists_only_refunds_the_provider_kept_refusing(manager_client, stuck):
    due = BookingFactory()
    Payment.objects.create(
        booking=due, provider="fake", reference="AWDUE000000001", amount_pkr=500, status=PaymentStatus.REFUND_DUE
    )
    text = parse(manager_client.get(PAYMENTS, {"refund": "stuck"})).text
    assert stuck.reference in text and "AWDUE000000001" not in text


def test_the_payments_list_is_read_only(manager_client, stuck):
    assert manager_client.get(reverse("admin:bookings_payment_add")).status_code == 403
    assert manager_client.get(reverse("admin:bookings_payment_delete", args=[stuck.pk])).status_code == 403
    page = manager_client.get(reverse("admin:bookings_payment_change", args=[stuck.pk]))
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()


def test_a_receptionist_sees_only_their_clinics_payments(other_desk_client, stuck):
    assert stuck.reference not in parse(other_desk_client.get(PAYMENTS)).text


def test_try_the_refund_again_lets_the_worker_refund_it(
    manager_client, stuck, fake_provider, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            PAYMENTS + "?refund=stuck", {"action": "refund_retry", "_selected_action": [stuck.pk]}, follow=True
        )
    assert response.status_code == 200
    stuck.refresh_from_db()
    # The worker is woken at once (the tests' tasks run immediately) and the provider now agrees.
    assert stuck.status == PaymentStatus.REFUNDED
    assert fake_provider.refunds == [(stuck.reference, 100000)]
    retried = stuck.history.filter(history_change_reason__startswith="Refund to be tried again").get()
    assert retried.history_user == manager and retried.refund_attempts == 0


def test_refund_retry_is_a_history_entry_not_a_money_event(stuck, manager):
    events = MoneyEvent.objects.count()
    deposits.refund_retry(payment=stuck, by=manager, now=timezone.now())
    stuck.refresh_from_db()
    assert stuck.refund_attempts == 0 and stuck.status == PaymentStatus.REFUND_DUE
    assert MoneyEvent.objects.count() == events
    assert stuck.history.first().history_change_reason.startswith("Refund to be tried again")


def test_refund_retry_refuses_a_refund_that_is_not_stuck(paid_booking, manager):
    from bookings.errors import InvalidTransition

    payment = Payment.objects.get(booking=paid_booking)
    with pytest.raises(InvalidTransition):
        deposits.refund_retry(payment=payment, by=manager, now=timezone.now())


def test_refund_retry_query_budget(stuck, manager, django_assert_max_num_queries):
    # Lock and read the payment, save it, write its history entry (and the savepoint around them).
    with django_assert_max_num_queries(5):
        deposits.refund_retry(payment=stuck, by=manager, now=timezone.now())


def test_the_payments_list_queries_stay_flat(manager_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(PAYMENTS).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int):
        for _ in range(n):
            booking = BookingFactory(slot=SlotFactory(physiotherapist=PhysiotherapistFactory()))
            Payment.objects.create(
                booking=booking, provider="fake", reference=deposits.new_reference(), amount_pkr=1000
            )

    add(2)
    small = count()
    add(20)
    # As measured: session, user, second factor, the user's and group's permissions, the counts
    # (filtered and in all), the rows with their booking and clinic, the date hierarchy's span and days.
    assert count() == small <= 10


# Valid HTML -----------------------------------------------------------------------------------------


def test_the_deposit_pages_are_valid_html(manager_client, stuck, tmp_path):
    from tests.test_valid_html import validate

    until = timezone.now() + dt.timedelta(minutes=12)
    hold = deposit_booking(status=BookingStatus.HELD, deposit_status=DepositStatus.OWED, held_until=until)

    documents = {
        "day-with-a-hold": manager_client.get(day_of(hold)),
        "held-booking": manager_client.get(booking_page(hold)),
        "refunded-booking": manager_client.get(booking_page(stuck.booking)),
        "waive": manager_client.get(waive_url(hold)),
        "waive-refused": manager_client.post(waive_url(hold), {"note": ""}),
        "payments": manager_client.get(PAYMENTS),
        "rules": manager_client.get(RULES),
    }
    assert validate({name: response.content.decode() for name, response in documents.items()}, tmp_path) == []


def test_an_attended_sessions_badge_says_the_deposit_was_counted():
    from bookings.desk.selectors import deposit_badge
    from tests.factories import BookingFactory, SessionTypeFactory

    booking = BookingFactory(status="attended", deposit_pkr=1000, deposit_status="paid",
                             session_type=SessionTypeFactory(price_pkr=4500))  # fmt: skip
    assert deposit_badge(booking).note == "counted: PKR 3,500 was to pay at the desk"
