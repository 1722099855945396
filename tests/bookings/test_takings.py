"""
The day's takings reconciled (bookings.booking.deposits.reconcile and the desk's Takings page):
every payment taken or refunded on a Karachi day, our totals, and what the provider's own
records say of each, against the JazzCash stand-in (which keeps its own books) and the
in-process fake provider (where only the queries are counted).
"""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.booking import deposits, money, services
from bookings.booking.deposits import ReconciledRow
from bookings.models import DepositRule, Payment, PaymentStatus
from bookings.payments import jazzcash
from bookings.timeutils import at, local_today
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, SessionTypeFactory, SlotFactory
from tests.jazzcash_standin import INQUIRY_PATH
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

TODAY = "?day={:%Y-%m-%d}"


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton")


@pytest.fixture
def session_type():
    return SessionTypeFactory(price_pkr=4500)


@pytest.fixture
def pay(clinic, session_type, jazzcash_standin):
    """Book a session online at `clinic` and pay its PKR 1,000 deposit through JazzCash; return the payment."""
    phones = iter(range(1_000_000))

    def pay(*, at_clinic=None, name="Sana Tariq"):
        where = at_clinic or clinic
        DepositRule.objects.get_or_create(clinic=where, session_type=session_type, defaults={"amount_pkr": 1000})
        booking = services.book_online(slot_id=SlotFactory(clinic=where).pk, session_type=session_type, name=name,
                                       phone=f"0300{1_200_000 + next(phones)}", consent=True)  # fmt: skip
        payment, checkout = deposits.checkout_start(
            booking=booking, provider_name="jazzcash", return_url="https://aspire.example/payments/return/jazzcash/"
        )
        _, _, data = jazzcash_standin.pay(checkout)
        deposits.settle(outcome=jazzcash.JazzCash().read_return(data), provider_name="jazzcash", how="return")
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PAID
        return payment

    return pay


def refund(payment, manager):
    """The desk refunds the deposit and the worker asks JazzCash for it."""
    money.desk_refund(booking=payment.booking, by=manager, note="A kindness", now=timezone.now())
    assert deposits.refunds_run() == {"refunded": 1, "failed": 0}
    payment.refresh_from_db()


def verdicts(rows: list[ReconciledRow]) -> dict[str, str]:
    return {row.reference: row.verdict for row in rows}


def page(client, query=""):
    return client.get(reverse("bookings_takings") + query)


# What the provider's records say -----------------------------------------------------------------------


def test_every_payment_agrees_with_jazzcash_and_the_page_says_so_with_the_totals(client, manager, clinic, pay):
    first, second = pay(), pay(name="Imran Ali")
    refund(second, manager)
    rows = deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    assert verdicts(rows) == {first.reference: "agrees", second.reference: "agrees"}
    html = page(sign_in(client, manager), TODAY.format(local_today())).content.decode()
    assert "All 2 payments agree with JazzCash’s records: PKR 2,000 taken, PKR 1,000 refunded." in html
    assert "Our books: taken PKR 2,000 · refunded PKR 1,000 · net PKR 1,000" in html
    for cell in [first.booking.reference, "Sana Tariq", "Imran Ali", first.reference, first.provider_ref]:
        assert cell in html


def test_a_payment_jazzcash_has_no_record_of_is_not_paid_and_listed_first(
    client, manager, clinic, pay, jazzcash_standin
):
    kept, forgotten = pay(), pay(name="Imran Ali")
    jazzcash_standin.forget(forgotten.reference)
    rows = deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    assert [(row.reference, row.verdict) for row in rows] == [
        (forgotten.reference, "not_paid"),  # the disagreement first, though it was paid second
        (kept.reference, "agrees"),
    ]
    assert (rows[0].provider_state, rows[0].provider_amount_paisa) == ("pending", None)  # 109: no amount to speak of
    html = page(sign_in(client, manager), TODAY.format(local_today())).content.decode()
    assert "1 of 2 payments disagrees with JazzCash’s records: they are listed first." in html
    assert "JazzCash says not paid (109)" in html


def test_an_amount_that_differs_is_marked_with_what_jazzcash_says(clinic, pay, jazzcash_standin):
    payment = pay()
    jazzcash_standin.books[payment.reference].amount_paisa = 50_000  # JazzCash's books say PKR 500
    [row] = deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    assert (row.verdict, row.provider_amount_paisa, row.amount_pkr) == ("amount_differs", 50_000, 1000)


def test_jazzcash_unreachable_for_one_inquiry_marks_that_row_only(clinic, pay, jazzcash_standin):
    first, second = pay(), pay(name="Imran Ali")
    jazzcash_standin.fail_next(1)  # the first inquiry answers 500
    rows = deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    assert verdicts(rows) == {first.reference: "unreachable", second.reference: "agrees"}


def test_jazzcash_down_is_asked_twice_and_no_more(clinic, pay, jazzcash_standin):
    """A provider that is down would cost every row its timeout: after two failures in a row it is left alone."""
    payments = [pay(name=name) for name in ["Sana Tariq", "Imran Ali", "Hina Shah", "Omar Farooq"]]
    asked_before = sum(r.path == INQUIRY_PATH for r in jazzcash_standin.requests)
    jazzcash_standin.fail_next(100)
    rows = deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    assert set(verdicts(rows).values()) == {"unreachable"} and len(rows) == len(payments)
    assert sum(r.path == INQUIRY_PATH for r in jazzcash_standin.requests) - asked_before == 2


def test_a_payment_reconciled_changes_nothing_of_ours(clinic, pay, jazzcash_standin):
    payment = pay()
    jazzcash_standin.forget(payment.reference)
    deposits.reconcile(day=local_today(), clinic_ids=[clinic.pk])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID  # a page of figures: the desk decides what to do


# Which payments are the day's --------------------------------------------------------------------------


def a_payment(*, clinic, paid_at, refunded_at=None, name="Sana Tariq", provider="fake", amount_pkr=1000):
    """A payment written directly (for the fake provider, whose books are FakeProvider.paid)."""
    booking = BookingFactory(slot=SlotFactory(clinic=clinic), patient=PatientFactory(name=name))
    return Payment.objects.create(
        booking=booking, provider=provider, reference=deposits.new_reference(), amount_pkr=amount_pkr,
        provider_ref="T-1", status=PaymentStatus.REFUNDED if refunded_at else PaymentStatus.PAID,
        paid_at=paid_at, refunded_at=refunded_at,
    )  # fmt: skip


def test_the_day_is_karachi_s_and_a_refund_of_an_earlier_payment_counts_on_its_own_day(clinic, fake_provider):
    day = dt.date(2026, 11, 3)
    before = a_payment(clinic=clinic, paid_at=at(day, dt.time(0)) - dt.timedelta(minutes=1))  # 23:59 the day before
    first = a_payment(clinic=clinic, paid_at=at(day, dt.time(0)))
    last = a_payment(clinic=clinic, paid_at=at(day, dt.time(23, 59)))
    refunded = a_payment(
        clinic=clinic, paid_at=at(day, dt.time(9)) - dt.timedelta(days=2), refunded_at=at(day, dt.time(9))
    )
    after = a_payment(clinic=clinic, paid_at=at(day, dt.time(0)) + dt.timedelta(days=1))
    rows = {row.reference: row for row in deposits.reconcile(day=day, clinic_ids=[clinic.pk])}
    assert set(rows) == {first.reference, last.reference, refunded.reference}
    assert before.reference not in rows and after.reference not in rows
    assert (rows[refunded.reference].taken, rows[refunded.reference].refunded) == (False, True)
    assert (rows[first.reference].taken, rows[first.reference].refunded) == (True, False)


def test_a_receptionist_of_another_clinic_sees_none_of_its_rows(client, clinic, fake_provider):
    saddar = ClinicFactory(name="Saddar")
    today = local_today()
    a_payment(clinic=clinic, paid_at=timezone.now(), name="Clifton Patient")
    a_payment(clinic=saddar, paid_at=timezone.now(), name="Saddar Patient")
    desk = staff_user("Receptionist", "saddar-desk")
    saddar.front_desk.add(desk)
    sign_in(client, desk)
    html = page(client, TODAY.format(today)).content.decode()
    assert "Saddar Patient" in html and "Clifton Patient" not in html
    assert "Clifton Patient" not in page(client, TODAY.format(today) + "&csv=fake").content.decode()
    assert page(client, TODAY.format(today) + f"&clinic={clinic.pk}").status_code == 404


def test_the_page_costs_as_many_queries_with_ten_times_the_payments(client, manager, clinic, fake_provider):
    sign_in(client, manager)
    query = TODAY.format(local_today())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page(client, query).status_code == 200
        return len(captured)

    a_payment(clinic=clinic, paid_at=timezone.now())
    queries()  # the first request warms what is read once per process
    once = queries()
    for n in range(9):
        a_payment(clinic=clinic, paid_at=timezone.now(), name=f"Patient {n}")
    assert queries() == once
    # 7: 6 for the request (the session, the user, their authenticator app, their own and their
    # groups' permissions, the clinics for the menu) and 1 for the day's payments with their bookings and patients.
    assert once == 7


def test_the_rows_download_as_a_csv_with_a_formula_like_name_as_text(client, manager, clinic, fake_provider):
    payment = a_payment(clinic=clinic, paid_at=timezone.now(), name='=HYPERLINK("http://evil.example","x")')
    fake_provider.paid[payment.reference] = 100_000
    response = page(sign_in(client, manager), TODAY.format(local_today()) + "&csv=fake")
    assert response["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:3] == ["Booking", "Patient", "Our reference"]
    assert row[1] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[header.index("Amount")] == "1000" and row[-1] == "Agrees"


def test_a_day_without_payments_says_so(client, manager, clinic):
    html = page(sign_in(client, manager), "?day=2026-11-03").content.decode()
    assert "No deposit was taken or refunded online on Tue 3 Nov 2026." in html


# What a hand or a script might type ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "Choose a day between 2000 and 2099."),  # the day before it is not a date
        ("9999-12-31", "Choose a day between 2000 and 2099."),  # nor the day after it
        ("garbage", "Enter a valid date."),
        ("2026-13-01", "Enter a valid date."),
        ("<script>", "Enter a valid date."),
    ],
)
def test_a_hostile_day_gives_a_message_not_a_500(client, manager, clinic, day, message):
    response = page(sign_in(client, manager), f"?day={day}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert "<script>" not in html.split("</h1>", 1)[1]
    assert page(client, f"?day={day}&csv=jazzcash").status_code == 200  # the page and its message, no file


@pytest.mark.parametrize("query", ["?clinic=abc", "?clinic=99999", "?csv=passwords"])
def test_an_unknown_clinic_or_provider_is_not_found(client, manager, clinic, query):
    assert page(sign_in(client, manager), query).status_code == 404


def test_anyone_not_signed_in_is_sent_to_the_login(client):
    response = page(client)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_staff_who_may_not_see_bookings_are_refused(client):
    """A login in no group: no permission at all."""
    nobody = get_user_model().objects.create_user(username="nobody", password="x-unused-x", is_staff=True)
    assert page(sign_in(client, nobody)).status_code == 403
