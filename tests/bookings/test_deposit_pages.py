"""
Paying a deposit through the site's pages, against the JazzCash and Safepay stand-ins (which
check every signature as the providers do): the booking form, the booking's page with its
policy and Pay button, the checkout page, the return, the webhook, and what a forged,
altered or replayed answer does (nothing, logged).
"""

import html
import logging
import re

import pytest
from django.urls import reverse

from bookings.booking import deposits, services
from bookings.models import Booking, BookingStatus, DepositRule, DepositStatus, MoneyEvent, PaymentStatus
from bookings.payments import base
from tests.factories import SessionTypeFactory, SlotFactory


@pytest.fixture
def slot(db):
    return SlotFactory()


@pytest.fixture
def session_type(db):
    return SessionTypeFactory(price_pkr=4500)


@pytest.fixture
def hold(slot, session_type, jazzcash_standin):
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    return services.book_online(slot_id=slot.pk, session_type=session_type, name="Sana Tariq", phone="03001234567",
                                consent=True)  # fmt: skip


def checkout_of(page: str) -> base.Checkout:
    """The checkout form the pay page sends on to the provider, read as the browser would."""
    form = re.search(r'<form method="(\w+)" action="([^"]+)" data-checkout>(.*?)</form>', page, re.S)
    assert form, "no checkout form on the page"
    fields = {html.unescape(n): html.unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form[3])}
    return base.Checkout(url=html.unescape(form[2]), method=form[1].upper(), fields=fields)


def start_paying(client, booking, provider="jazzcash"):
    return client.post(reverse("bookings:manage_pay", args=[booking.manage_token]), {"provider": provider})


def test_the_booking_form_leads_to_the_deposit_not_a_confirmation(client, slot, session_type, jazzcash_standin):
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    from tests.bookings.test_booking_flow import form_data  # the booking form as a patient fills it

    response = client.post(reverse("bookings:book_slot", args=[slot.pk]), form_data(session_type), follow=True)
    booking = Booking.objects.get(slot=slot)
    assert booking.status == BookingStatus.HELD and booking.deposit_status == DepositStatus.OWED
    page = response.content.decode()
    assert "pay the deposit below" in page
    assert "Pay <bdi>PKR 1,000</bdi> with JazzCash" in page
    assert "at the clinic you pay <bdi>PKR 3,500</bdi>" in page
    assert "the clinic keeps it" in page  # the policy, before paying
    assert jazzcash_standin.url in response.headers["Content-Security-Policy"]


def test_paying_with_jazzcash_books_the_session(client, hold, jazzcash_standin):
    response = start_paying(client, hold)
    assert response.status_code == 200
    assert jazzcash_standin.url in response.headers["Content-Security-Policy"]  # the form may go there
    checkout = checkout_of(response.content.decode())
    assert checkout.url == jazzcash_standin.url + "/CustomerPortal/transactionmanagement/merchantform/"
    assert checkout.fields["pp_Amount"] == "100000"
    method, url, data = jazzcash_standin.pay(checkout)
    assert url.endswith(reverse("bookings:payment_return", args=["jazzcash"]))
    response = client.post(reverse("bookings:payment_return", args=["jazzcash"]), data, follow=True)
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.deposit_status == DepositStatus.PAID
    page = response.content.decode()
    assert "your deposit is paid and your session is booked" in page
    assert "<bdi>PKR 1,000</bdi> paid · <bdi>PKR 3,500</bdi> to pay at the clinic" in page


def test_a_replayed_return_changes_nothing(client, hold, jazzcash_standin):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    for _ in range(2):
        client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    assert MoneyEvent.objects.filter(booking=hold).count() == 1
    assert hold.messages.filter(audience="patient").count() == hold.messages.filter(audience="patient").count()


@pytest.mark.parametrize(
    "field, value", [("pp_Amount", "100"), ("pp_TxnRefNo", "AWSOMEONEELSE1"), ("pp_ResponseCode", "000")]
)
def test_an_altered_return_confirms_nothing_and_is_logged(client, hold, jazzcash_standin, caplog, field, value):
    _, _, data = jazzcash_standin.pay(
        checkout_of(start_paying(client, hold).content.decode()),
        state="failed" if field == "pp_ResponseCode" else "paid",
    )
    data[field] = value
    with caplog.at_level(logging.WARNING, logger="bookings.payments"):
        response = client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    assert response.status_code == 400
    assert "couldn't confirm this payment" in response.content.decode()
    assert "return refused" in caplog.text
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD and not MoneyEvent.objects.exists()


def test_a_forged_return_signed_with_another_salt_confirms_nothing(client, hold, jazzcash_standin):
    from bookings.payments import jazzcash

    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    data["pp_SecureHash"] = jazzcash.secure_hash(data, salt="not-the-salt")
    assert client.post(reverse("bookings:payment_return", args=["jazzcash"]), data).status_code == 400
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD


def test_a_cancelled_payment_leaves_the_time_held_to_try_again(client, hold, jazzcash_standin):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()), state="failed")
    response = client.post(reverse("bookings:payment_return", args=["jazzcash"]), data, follow=True)
    assert "payment didn&#x27;t go through" in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == BookingStatus.HELD
    assert "Pay <bdi>PKR 1,000</bdi> with JazzCash" in response.content.decode()


def test_a_lost_return_is_recovered_by_the_status_inquiry(client, hold, jazzcash_standin):
    import datetime as dt

    from django.utils import timezone

    jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))  # the browser never comes back
    assert deposits.payments_inquire(now=timezone.now() + dt.timedelta(minutes=5)) == {"asked": 1, "settled": 1}
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED


def test_a_clinic_cancellation_is_refunded_through_jazzcash(client, hold, jazzcash_standin):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    services.booking_cancel(booking=hold, reason="clinic_closed")
    assert deposits.refunds_run() == {"refunded": 1, "failed": 0}
    payment = hold.payments.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert jazzcash_standin.refunds == [(payment.reference, 100000)]


def test_paying_on_a_tampered_token_or_unknown_provider_is_refused(client, hold, jazzcash_standin):
    assert client.post(reverse("bookings:manage_pay", args=["x" * 43]), {"provider": "jazzcash"}).status_code == 404
    assert start_paying(client, hold, provider="paypal").status_code == 404
    assert client.post(reverse("bookings:payment_return", args=["paypal"]), {}).status_code == 404


def test_the_pay_button_needs_the_csrf_token(hold, jazzcash_standin):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("bookings:manage_pay", args=[hold.manage_token]), {"provider": "jazzcash"}
    )
    assert response.status_code == 403 and not hold.payments.exists()


def test_a_time_released_before_paying_says_so_and_offers_no_pay_button(client, hold):
    import datetime as dt

    from django.utils import timezone

    services.holds_lapse(now=timezone.now() + dt.timedelta(minutes=16))
    page = client.get(hold.get_absolute_url()).content.decode()
    assert "This time was released" in page and "with JazzCash" not in page
    response = start_paying(client, hold)
    assert response.status_code == 302 and not hold.payments.exists()


# Safepay --------------------------------------------------------------------------------------------------


@pytest.fixture
def safepay_hold(slot, session_type, safepay_standin):
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    return services.book_online(slot_id=slot.pk, session_type=session_type, name="Sana Tariq", phone="03001234567",
                                consent=True)  # fmt: skip


def safepay_checkout(client, booking):
    response = start_paying(client, booking, provider="safepay")
    assert response.status_code == 302
    return base.Checkout(url=response["Location"], method="GET", provider_ref=booking.payments.get().provider_ref)


def test_paying_with_safepay_books_the_session(client, safepay_hold, safepay_standin):
    checkout = safepay_checkout(client, safepay_hold)
    method, url, data = safepay_standin.pay(checkout)
    path = reverse("bookings:payment_return", args=["safepay"])
    response = client.post(path, data) if method == "POST" else client.get(path, data)
    assert response.status_code == 302
    safepay_hold.refresh_from_db()
    assert safepay_hold.status == BookingStatus.CONFIRMED


def test_a_safepay_webhook_books_the_session_once_and_a_forged_one_nothing(client, safepay_hold, safepay_standin):
    checkout = safepay_checkout(client, safepay_hold)
    safepay_standin.pay(checkout)  # the browser never comes back; the webhook does
    payment = safepay_hold.payments.get()
    body, headers = safepay_standin.notification(payment.reference)
    path = reverse("bookings:payment_notification", args=["safepay"])
    forged = {**headers, "X-SFPY-Signature": "0" * 128}
    assert client.post(path, body, content_type="application/json", headers=forged).status_code == 400
    safepay_hold.refresh_from_db()
    assert safepay_hold.status == BookingStatus.HELD
    for _ in range(2):
        assert client.post(path, body, content_type="application/json", headers=headers).status_code == 200
    safepay_hold.refresh_from_db()
    assert safepay_hold.status == BookingStatus.CONFIRMED
    assert MoneyEvent.objects.filter(booking=safepay_hold).count() == 1


# What it costs ------------------------------------------------------------------------------------------


def test_the_booking_page_with_a_deposit_has_a_pinned_budget(client, hold, jazzcash_standin, django_assert_num_queries):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    # The booking with its slot, clinic, therapist, type and screening; its course; while its deposit is
    # owed, whether its time can still be had (a closure or leave since it was held). The footer's clinics
    # were a third, before the footer was made once per generation (aspire_tags.shared_part).
    with django_assert_num_queries(2):
        client.get(hold.get_absolute_url())
    client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    with django_assert_num_queries(1):
        assert "paid" in client.get(hold.get_absolute_url()).content.decode()


def test_without_a_provider_a_booking_reads_no_deposit_rule(client, slot, session_type):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.bookings.test_booking_flow import form_data

    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("bookings:book_slot", args=[slot.pk]), form_data(session_type))
    assert Booking.objects.get(slot=slot).status == BookingStatus.CONFIRMED
    assert not [q for q in queries if "bookings_depositrule" in q["sql"]]


# What the patient reads before and after -------------------------------------------------------------


def test_the_booking_form_says_the_clinics_deposit_before_booking(client, slot, session_type, jazzcash_standin):
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000, when="first_visit")
    page = client.get(reverse("bookings:book_slot", args=[slot.pk])).content.decode()
    assert "a first visit pays a deposit of <bdi>PKR 1,000</bdi> online when booking" in page


def test_without_a_provider_the_booking_form_says_nothing_of_deposits(client, slot, session_type):
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    assert "deposit" not in client.get(reverse("bookings:book_slot", args=[slot.pk])).content.decode()


def test_a_held_booking_reads_as_waiting_for_its_deposit_and_nothing_else(client, hold):
    page = client.get(hold.get_absolute_url()).content.decode()
    assert "Waiting for your deposit" in page
    assert "After your session" not in page and "Language of your messages" not in page


def test_cancelling_a_paid_booking_says_the_deposit_comes_back(client, hold, jazzcash_standin):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    assert "If you cancel, your deposit of <bdi>PKR 1,000</bdi> is refunded" in client.get(
        hold.get_absolute_url()
    ).content.decode()
    page = client.get(reverse("bookings:manage_cancel", args=[hold.manage_token])).content.decode()
    assert "Your deposit of <bdi>PKR 1,000</bdi> is refunded to the wallet or card you paid with." in page


def test_a_return_opened_again_after_the_session_says_it_was_paid_not_refunded(client, hold, jazzcash_standin):
    _, _, data = jazzcash_standin.pay(checkout_of(start_paying(client, hold).content.decode()))
    client.post(reverse("bookings:payment_return", args=["jazzcash"]), data)
    services.booking_mark_attended(booking=hold, now=hold.slot.starts_at)
    page = client.post(reverse("bookings:payment_return", args=["jazzcash"]), data, follow=True).content.decode()
    assert "your deposit is paid" in page and "refunded" not in page
