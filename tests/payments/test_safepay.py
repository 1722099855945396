"""
Safepay (bookings/payments/safepay.py) against its stand-in (tests/safepay_standin.py): the hosted
checkout, the patient's way back, the webhook, the status inquiry and the refund, each signature
checked the way Safepay's documentation and official SDKs check it.
"""

import datetime
import json
import logging
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.conf import settings

from bookings.payments import base
from bookings.payments.base import Outcome, PaymentError, SignatureError
from bookings.payments.safepay import Safepay, cancel_marker, tracker_signature, webhook_signature
from tests.html import parse
from tests.safepay_standin import CANCELLED, ENDED, sign_tracker, sign_webhook

RETURN_URL = "https://aspire.example/payments/safepay/return/AW7K2M9QX4TR/"


def start(*, reference="AW7K2M9QX4TR", amount_paisa=150000, return_url=RETURN_URL) -> base.Checkout:
    return Safepay().checkout(
        reference=reference,
        amount_paisa=amount_paisa,
        description="Deposit for a first visit",
        return_url=return_url,
        language="en",
        expires_at=datetime.datetime(2026, 12, 8, 10, 15, tzinfo=datetime.UTC),
    )


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- test vectors from Safepay's official SDKs ---


def test_the_return_signature_matches_the_node_sdks_test_vector():
    # getsafepay/safepay-node test/fixtures/verify.ts: tracker "1234", v1Secret "bar" (test/fixtures/config.ts).
    assert tracker_signature(tracker="1234", secret_key="bar") == (
        "530fdbcf1bf498aff65e42faff0791c366b0794dbe2e7bc1681ba1837b0c7a25"
    )


def test_the_return_signature_matches_the_python_sdks_test_vector():
    # getsafepay/safepay-python tests/constants.py: TOKEN, TEST_V1_SECRET_KEY and TEST_SIGNATURE.
    assert tracker_signature(
        tracker="track_9511f95d-2c77-4fc7-9474-0dcca462f09a",
        secret_key="d928d9b1d9e487957c6658be637621bbb104d64b6b436e86714c2ff3712bd825",
    ) == ("50f339f5d9a28ece5f72a5dc208972fe468d3898427a54b6ed7df9be7c406b09")


NODE_WEBHOOK_DATA = {
    # getsafepay/safepay-node test/fixtures/verify.ts, webhookBody.data, signed with webhookSecret "foo".
    "client_id": "sec_55ca6960-e2ea-4643-b0cf-7cd65a4d3112",
    "created_at": "2021-09-29T12:00:40Z",
    "endpoint": "http://127.0.0.1:9000",
    "notification": {
        "amount": "150",
        "currency": "PKR",
        "fee": "4.92",
        "intent": "PAYFAST",
        "metadata": {"order_id": "XG102312", "source": "shopify"},
        "net": "145.08",
        "state": "PAID",
        "tracker": "tracker_c5a5apsbcv41om3fg0u0",
        "user": "johndoe@gmail.com",
    },
    "token": "C5A5APSBCV41R2QF2MHG",
    "type": "payment:created",
    "updated_at": "2021-09-29T12:00:40Z",
}
NODE_WEBHOOK_SIGNATURE = (
    "ba4c442df5067b679f55919ebc282cb113e376d5a5e5d9c6655647d734823da7"
    "5a4371759f921bce40963cb90505ed1f8c0405cb78257fd605d259d452a1a7c7"
)


def test_the_webhook_signature_matches_the_node_sdks_test_vector():
    assert webhook_signature(data=NODE_WEBHOOK_DATA, webhook_secret="foo") == NODE_WEBHOOK_SIGNATURE


def test_the_sdks_sample_webhook_reads_as_paid(settings):
    settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET = "foo"
    body = json.dumps({"data": NODE_WEBHOOK_DATA}, separators=(",", ":")).encode()

    outcome = Safepay().read_notification(body=body, headers={"X-SFPY-Signature": NODE_WEBHOOK_SIGNATURE})

    assert outcome == Outcome(
        reference="XG102312",
        provider_ref="tracker_c5a5apsbcv41om3fg0u0",
        amount_paisa=15000,
        state=Outcome.PAID,
        detail="PAID",
    )


def test_the_standins_signatures_match_the_sdks_test_vectors():
    assert sign_tracker("1234", "bar") == "530fdbcf1bf498aff65e42faff0791c366b0794dbe2e7bc1681ba1837b0c7a25"
    assert sign_webhook(NODE_WEBHOOK_DATA, "foo") == NODE_WEBHOOK_SIGNATURE


# --- settings ---


def test_it_is_configured_once_the_key_the_secret_and_the_webhook_secret_are_set(settings):
    settings.ASPIRE_SAFEPAY_API_KEY = "sec_x"
    settings.ASPIRE_SAFEPAY_SECRET_KEY = "secret"
    settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET = ""
    assert not Safepay().configured()
    settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET = "hook"
    assert Safepay().configured()


def test_the_form_origin_is_the_checkout_pages(settings):
    settings.ASPIRE_SAFEPAY_CHECKOUT_URL = "https://getsafepay.com/checkout"
    assert Safepay().form_origins() == ["https://getsafepay.com"]


def test_it_is_one_of_the_providers():
    assert isinstance(base.get("safepay"), Safepay)


# --- checkout ---


def test_checkout_creates_a_tracker_for_the_amount_in_rupees_with_the_api_key(safepay_standin):
    start(amount_paisa=150050)

    init = safepay_standin.requests[0]
    assert (init.method, init.path) == ("POST", "/order/v1/init")
    assert init.json == {
        "client": safepay_standin.api_key,
        "amount": 1500.5,
        "currency": "PKR",
        "environment": "sandbox",
    }


def test_checkout_links_to_the_hosted_page_with_the_documented_parameters(safepay_standin):
    checkout = start()

    assert checkout.method == "GET"
    assert checkout.fields == {}
    assert checkout.url.startswith(safepay_standin.checkout_url + "/pay?")
    params = query(checkout.url)
    assert params["beacon"] == checkout.provider_ref
    assert checkout.provider_ref.startswith("track_")
    assert params["env"] == "sandbox"
    assert params["order_id"] == "AW7K2M9QX4TR"
    assert params["redirect_url"] == RETURN_URL
    assert params["source"] == "custom"
    assert params["webhooks"] == "true"
    marker = cancel_marker(reference="AW7K2M9QX4TR", secret_key=settings.ASPIRE_SAFEPAY_SECRET_KEY)
    assert query(params["cancel_url"]) == {"cancelled": marker, "order_id": "AW7K2M9QX4TR"}


def test_the_hosted_page_opens_for_the_checkout_and_shows_the_amount(safepay_standin):
    page = requests.get(start(amount_paisa=150000).url, timeout=5)

    assert page.status_code == 200
    assert "PKR 1500" in page.text
    assert ">Pay</button>" in page.text and ">Cancel</button>" in page.text


def test_the_hosted_page_refuses_a_tracker_safepay_never_handed_out(safepay_standin):
    url = start().url.replace("beacon=track_", "beacon=track_0")

    assert requests.get(url, timeout=5).status_code == 400


def test_a_checkout_safepay_refuses_raises_a_payment_error(safepay_standin, settings):
    settings.ASPIRE_SAFEPAY_API_KEY = "sec_someone-else"

    with pytest.raises(PaymentError):
        start()


# --- the hosted page's buttons ---


def test_the_pay_button_sends_the_browser_back_with_the_signed_fields(safepay_standin):
    checkout = start()
    requests.get(checkout.url, timeout=5)

    page = requests.post(
        safepay_standin.checkout_url + "/pay/decide",
        data={"beacon": checkout.provider_ref, "decision": "pay"},
        timeout=5,
    )

    assert page.status_code == 200
    assert f'action="{RETURN_URL}"' in page.text
    assert f'name="sig" value="{sign_tracker(checkout.provider_ref)}"' in page.text
    assert "Return to the merchant</button>" in page.text
    assert safepay_standin.tracker_for("AW7K2M9QX4TR").state == ENDED


def test_the_cancel_button_sends_the_browser_to_the_cancel_url(safepay_standin):
    checkout = start()
    requests.get(checkout.url, timeout=5)

    answer = requests.post(
        safepay_standin.checkout_url + "/pay/decide",
        data={"beacon": checkout.provider_ref, "decision": "cancel"},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 302
    assert answer.headers["Location"] == query(checkout.url)["cancel_url"]


def form_of(page) -> tuple[str, str, dict[str, str]]:
    """Return (method, action, hidden fields) of the one form on `page`, as a browser without JavaScript reads it."""
    tags = parse(page.text).tags
    [form] = [attrs for tag, attrs in tags if tag == "form"]
    hidden = {a["name"]: a.get("value", "") for t, a in tags if t == "input" and a.get("type") == "hidden"}
    return form["method"].upper(), form["action"], hidden


def test_a_patient_without_javascript_pays_through_the_pages_forms_alone(safepay_standin):
    checkout = start(amount_paisa=150000)
    page = requests.get(checkout.url, timeout=5)
    method, action, fields = form_of(page)

    back = requests.request(method, urljoin(checkout.url, action), data={**fields, "decision": "pay"}, timeout=5)
    method, action, fields = form_of(back)

    assert (method, action) == ("POST", RETURN_URL)
    outcome = Safepay().read_return(fields)
    assert (outcome.state, outcome.amount_paisa, outcome.reference) == (Outcome.PAID, 150000, "AW7K2M9QX4TR")


# --- the patient's way back ---


def test_a_genuine_return_reads_as_paid_with_the_amount_safepay_took(safepay_standin):
    checkout = start(amount_paisa=150000)
    method, url, data = safepay_standin.pay(checkout)

    outcome = Safepay().read_return(data)

    assert (method, url) == ("POST", RETURN_URL)
    assert outcome == Outcome(
        reference="AW7K2M9QX4TR",
        provider_ref=checkout.provider_ref,
        amount_paisa=150000,
        state=Outcome.PAID,
        detail=ENDED,
    )


def test_a_return_of_a_payment_of_another_amount_reports_the_amount_paid(safepay_standin):
    # The way back states no amount: the inquiry behind read_return says what was taken.
    _, _, data = safepay_standin.pay(start(amount_paisa=150000), amount_paisa=100)

    assert Safepay().read_return(data).amount_paisa == 100


def test_a_declined_return_reads_as_failed(safepay_standin):
    _, _, data = safepay_standin.pay(start(), state="failed")

    outcome = Safepay().read_return(data)

    assert (outcome.state, outcome.detail) == (Outcome.FAILED, CANCELLED)


def test_a_cancel_changes_nothing(safepay_standin):
    checkout = start()

    outcome = Safepay().read_return(query(query(checkout.url)["cancel_url"]))

    assert outcome == Outcome(
        reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=0, state=Outcome.PENDING, detail="cancelled"
    )


def test_a_return_with_a_forged_signature_is_refused(safepay_standin):
    _, _, data = safepay_standin.pay(start())

    with pytest.raises(SignatureError):
        Safepay().read_return({**data, "sig": "0" * 64})


def test_a_return_with_an_altered_tracker_is_refused(safepay_standin):
    _, _, data = safepay_standin.pay(start())
    other = start(reference="BX8L3N0RY5US")

    with pytest.raises(SignatureError):
        Safepay().read_return({**data, "tracker": other.provider_ref})


def test_a_return_with_an_altered_reference_is_refused(safepay_standin):
    _, _, data = safepay_standin.pay(start())

    with pytest.raises(SignatureError):
        Safepay().read_return({**data, "order_id": "BX8L3N0RY5US"})


def test_a_return_without_a_signature_is_refused(safepay_standin):
    _, _, data = safepay_standin.pay(start())
    del data["sig"]

    with pytest.raises(SignatureError):
        Safepay().read_return(data)


def test_a_return_signed_with_another_secret_is_refused(safepay_standin):
    _, _, data = safepay_standin.pay(start())

    with pytest.raises(SignatureError):
        Safepay().read_return({**data, "sig": sign_tracker(data["tracker"], "another-merchants-secret")})


def test_a_refused_return_is_logged_with_the_reference_and_no_secret(safepay_standin, caplog):
    _, _, data = safepay_standin.pay(start())

    with caplog.at_level(logging.WARNING, logger="bookings.payments"), pytest.raises(SignatureError):
        Safepay().read_return({**data, "sig": "0" * 64})

    assert "AW7K2M9QX4TR" in caplog.text
    assert safepay_standin.secret_key not in caplog.text
    assert data["sig"] not in caplog.text


# --- the webhook ---


def test_a_payment_webhook_reads_as_paid(safepay_standin):
    checkout = start(amount_paisa=150000)
    safepay_standin.pay(checkout)
    body, headers = safepay_standin.notification("AW7K2M9QX4TR")

    outcome = Safepay().read_notification(body=body, headers=headers)

    assert outcome == Outcome(
        reference="AW7K2M9QX4TR",
        provider_ref=checkout.provider_ref,
        amount_paisa=150000,
        state=Outcome.PAID,
        detail="PAID",
    )


def test_the_webhook_signature_header_is_read_whatever_its_case(safepay_standin):
    safepay_standin.pay(start())
    body, headers = safepay_standin.notification("AW7K2M9QX4TR")

    lowered = {k.lower(): v for k, v in headers.items()}

    assert Safepay().read_notification(body=body, headers=lowered).state == Outcome.PAID


def test_a_webhook_with_an_altered_amount_is_refused(safepay_standin):
    safepay_standin.pay(start(amount_paisa=150000))
    body, headers = safepay_standin.notification("AW7K2M9QX4TR")

    with pytest.raises(SignatureError):
        Safepay().read_notification(body=body.replace(b'"amount":"1500"', b'"amount":"1"'), headers=headers)


def test_a_webhook_with_an_altered_reference_is_refused(safepay_standin):
    safepay_standin.pay(start())
    body, headers = safepay_standin.notification("AW7K2M9QX4TR")

    with pytest.raises(SignatureError):
        Safepay().read_notification(body=body.replace(b"AW7K2M9QX4TR", b"BX8L3N0RY5US"), headers=headers)


def test_a_webhook_without_a_signature_is_refused(safepay_standin):
    safepay_standin.pay(start())
    body, _ = safepay_standin.notification("AW7K2M9QX4TR")

    with pytest.raises(SignatureError):
        Safepay().read_notification(body=body, headers={"Content-Type": "application/json"})


def test_a_webhook_signed_with_another_secret_is_refused(safepay_standin):
    safepay_standin.pay(start())
    body, headers = safepay_standin.notification("AW7K2M9QX4TR")
    forged = sign_webhook(json.loads(body)["data"], "another-merchants-webhook-secret")

    with pytest.raises(SignatureError):
        Safepay().read_notification(body=body, headers={**headers, "X-SFPY-Signature": forged})


def test_a_webhook_that_is_not_json_is_refused(safepay_standin):
    with pytest.raises(SignatureError):
        Safepay().read_notification(body=b"<xml/>", headers={"X-SFPY-Signature": "0" * 128})


def test_an_error_webhook_is_not_acted_on(safepay_standin):
    # error:occurred reports a failed attempt ("55 : Incorrect OTP"); the patient may try again on the page.
    safepay_standin.pay(start(), state="failed")
    body, headers = safepay_standin.notification("AW7K2M9QX4TR", state="failed")

    assert Safepay().read_notification(body=body, headers=headers) is None


def test_a_refund_webhook_is_not_acted_on(safepay_standin):
    checkout = start()
    safepay_standin.pay(checkout)
    Safepay().refund(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref, amount_paisa=150000)
    body, headers = safepay_standin.notification("AW7K2M9QX4TR", state="refunded")

    assert Safepay().read_notification(body=body, headers=headers) is None


# --- the status inquiry ---


def test_an_inquiry_about_a_paid_payment_reads_as_paid(safepay_standin):
    checkout = start(amount_paisa=150000)
    safepay_standin.pay(checkout)

    outcome = Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)

    assert (outcome.state, outcome.amount_paisa, outcome.reference) == (Outcome.PAID, 150000, "AW7K2M9QX4TR")


def test_an_inquiry_sends_the_secret_key_as_documented(safepay_standin):
    checkout = start()

    Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)

    inquiry = safepay_standin.requests[-1]
    assert (inquiry.method, inquiry.path) == ("GET", f"/reporter/api/v1/payments/{checkout.provider_ref}")
    assert inquiry.headers["x-sfpy-merchant-secret"] == safepay_standin.secret_key


def test_an_inquiry_about_a_declined_payment_reads_as_failed(safepay_standin):
    checkout = start()
    safepay_standin.pay(checkout, state="failed")

    outcome = Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)

    assert outcome.state == Outcome.FAILED


def test_an_inquiry_about_an_unpaid_payment_reads_as_pending(safepay_standin):
    checkout = start()
    requests.get(checkout.url, timeout=5)

    outcome = Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)

    assert (outcome.state, outcome.detail) == (Outcome.PENDING, "TRACKER_STARTED")


def test_an_inquiry_about_a_payment_safepay_has_no_record_of_reads_as_pending(safepay_standin):
    # Safepay itself handed out the tracker at checkout, so "not found" says nothing of whether the
    # patient paid (another environment, a lagging replica): the unpaid hold lapses by itself.
    checkout = start()
    requests.get(checkout.url, timeout=5)
    safepay_standin.forget("AW7K2M9QX4TR")

    outcome = Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)

    assert (outcome.state, outcome.detail) == (Outcome.PENDING, "not_found")


def test_an_inquiry_with_a_wrong_secret_raises_a_payment_error(safepay_standin, settings):
    checkout = start()
    settings.ASPIRE_SAFEPAY_SECRET_KEY = "not-the-secret"

    with pytest.raises(PaymentError):
        Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)


# --- refunds ---


def test_a_refund_is_made_and_recorded_by_safepay(safepay_standin):
    checkout = start(amount_paisa=150000)
    safepay_standin.pay(checkout)

    refund_ref = Safepay().refund(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref, amount_paisa=150000)

    assert refund_ref.startswith("refund_")
    assert safepay_standin.refunds == [("AW7K2M9QX4TR", 150000)]
    request = safepay_standin.requests[-1]
    assert request.path == f"/order/payments/v3/{checkout.provider_ref}/refund"
    assert request.json == {"amount": 150000}


def test_a_refund_of_a_payment_safepay_does_not_know_raises_a_payment_error(safepay_standin):
    with pytest.raises(PaymentError):
        Safepay().refund(
            reference="AW7K2M9QX4TR", provider_ref="track_00000000-0000-0000-0000-000000000000", amount_paisa=100
        )


def test_a_refund_of_an_unpaid_payment_raises_a_payment_error(safepay_standin):
    checkout = start()

    with pytest.raises(PaymentError):
        Safepay().refund(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref, amount_paisa=150000)
    assert safepay_standin.refunds == []


# --- failures of the network and of Safepay ---


def test_a_server_error_at_checkout_raises_a_payment_error(safepay_standin):
    safepay_standin.fail_next()

    with pytest.raises(PaymentError):
        start()


def test_a_server_error_at_inquiry_raises_a_payment_error(safepay_standin):
    checkout = start()
    safepay_standin.fail_next()

    with pytest.raises(PaymentError):
        Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)


def test_a_server_error_behind_a_return_raises_a_payment_error_not_a_signature_error(safepay_standin):
    _, _, data = safepay_standin.pay(start())
    safepay_standin.fail_next()

    with pytest.raises(PaymentError) as raised:
        Safepay().read_return(data)
    assert not isinstance(raised.value, SignatureError)


def test_a_timeout_raises_a_payment_error(safepay_standin, monkeypatch):
    checkout = start()
    monkeypatch.setattr(base, "TIMEOUT", 0.2)
    safepay_standin.stall_next(1.0)

    with pytest.raises(PaymentError):
        Safepay().inquire(reference="AW7K2M9QX4TR", provider_ref=checkout.provider_ref)


def test_an_unreachable_safepay_raises_a_payment_error(settings):
    settings.ASPIRE_SAFEPAY_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    settings.ASPIRE_SAFEPAY_API_KEY = "sec_x"

    with pytest.raises(PaymentError):
        start()
