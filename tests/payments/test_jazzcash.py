"""
JazzCash's hosted checkout (bookings/payments/jazzcash.py) against its stand-in
(tests/jazzcash_standin.py), which checks every signature the way JazzCash documents it.
"""

import datetime
import hashlib
import hmac
import logging
import zoneinfo
from urllib.parse import urlsplit

import pytest
import requests

from bookings.payments import base
from bookings.payments.jazzcash import JazzCash, secure_hash
from tests import jazzcash_standin as standin_module

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
RETURN_URL = "http://testserver/payments/jazzcash/return/"


def checkout(provider: JazzCash, *, reference="AW7K2M9QX4TR", amount_paisa=150_000, expires_at=None):
    return provider.checkout(
        reference=reference,
        amount_paisa=amount_paisa,
        description="Deposit for a first visit",
        return_url=RETURN_URL,
        language="en",
        expires_at=expires_at or datetime.datetime(2026, 12, 8, 10, 15, 0, tzinfo=datetime.UTC),
    )


def resign(fields: dict, salt: str = standin_module.INTEGRITY_SALT) -> dict:
    return {**fields, "pp_SecureHash": secure_hash(fields, salt=salt)}


# --- the signature -------------------------------------------------------------------------


def test_secure_hash_matches_the_worked_example_in_jazzcashs_hashing_scheme():
    # JazzCash Sandbox Documentation v4.2, Features > Hashing Scheme: shared secret 0F5DD14AE2,
    # pp_MerchantID MER123, pp_OrderInfo A48cvE28, pp_Amount 2995 give this hash (lower case there).
    fields = {"pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28", "pp_Amount": "2995"}
    assert secure_hash(fields, salt="0F5DD14AE2") == (
        "C7689CDA7474EB1ADCD343FD0C0B676BAD0BA66361CC46DB589BDB0DA4C1C867"
    )


def test_secure_hash_leaves_out_empty_fields_fields_not_named_pp_and_the_hash_itself():
    fields = {"pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28", "pp_Amount": "2995"}
    padded = {**fields, "pp_BankID": "", "ppmpf_1": "", "pp_SecureHash": "X", "csrfmiddlewaretoken": "abc"}
    assert secure_hash(padded, salt="0F5DD14AE2") == secure_hash(fields, salt="0F5DD14AE2")


def test_secure_hash_sorts_ppmpf_fields_after_pp_fields_in_ascii_order():
    # "pp_" < "ppmpf_" because "_" (0x5F) sorts before "m" (0x6D).
    fields = {"ppmpf_1": "b", "pp_Amount": "a"}
    expected = hmac.new(b"salt", b"salt&a&b", hashlib.sha256).hexdigest().upper()
    assert secure_hash(fields, salt="salt") == expected


# --- settings ------------------------------------------------------------------------------


def test_configured_needs_the_merchant_id_password_and_integrity_salt(settings):
    settings.ASPIRE_JAZZCASH_MERCHANT_ID = "MC1"
    settings.ASPIRE_JAZZCASH_PASSWORD = "pw"
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = ""
    assert not JazzCash().configured()
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = "salt"
    assert JazzCash().configured()


def test_the_provider_is_listed_under_its_name():
    provider = base.get("jazzcash")
    assert isinstance(provider, JazzCash)
    assert (provider.name, provider.label) == ("jazzcash", "JazzCash")


def test_form_origins_is_the_url_settings_origin(settings):
    settings.ASPIRE_JAZZCASH_URL = "https://sandbox.jazzcash.com.pk"
    assert JazzCash().form_origins() == ["https://sandbox.jazzcash.com.pk"]


# --- checkout ------------------------------------------------------------------------------


def test_checkout_posts_a_form_to_the_merchantform_page(jazzcash_standin):
    result = checkout(JazzCash())
    assert result.method == "POST"
    assert result.url == jazzcash_standin.url + "/CustomerPortal/transactionmanagement/merchantform/"


def test_checkout_fields_are_the_documented_page_redirection_fields(jazzcash_standin):
    fields = checkout(JazzCash(), expires_at=datetime.datetime(2026, 12, 8, 10, 15, 0, tzinfo=datetime.UTC)).fields
    assert set(fields) == {
        "pp_Version",
        "pp_TxnType",
        "pp_Language",
        "pp_MerchantID",
        "pp_SubMerchantID",
        "pp_Password",
        "pp_BankID",
        "pp_ProductID",
        "pp_TxnRefNo",
        "pp_Amount",
        "pp_TxnCurrency",
        "pp_TxnDateTime",
        "pp_TxnExpiryDateTime",
        "pp_BillReference",
        "pp_Description",
        "pp_ReturnURL",
        "ppmpf_1",
        "ppmpf_2",
        "ppmpf_3",
        "ppmpf_4",
        "ppmpf_5",
        "pp_SecureHash",
    }
    assert fields["pp_Version"] == "1.1"
    assert fields["pp_TxnType"] == ""
    assert fields["pp_Language"] == "EN"
    assert fields["pp_MerchantID"] == standin_module.MERCHANT_ID
    assert fields["pp_Password"] == standin_module.PASSWORD
    assert fields["pp_TxnRefNo"] == "AW7K2M9QX4TR"
    assert fields["pp_BillReference"] == "AW7K2M9QX4TR"
    assert fields["pp_Amount"] == "150000"
    assert fields["pp_TxnCurrency"] == "PKR"
    assert fields["pp_ReturnURL"] == RETURN_URL
    # 10:15 UTC is 15:15 in Karachi.
    assert fields["pp_TxnExpiryDateTime"] == "20261208151500"


def test_checkout_stamps_the_transaction_with_karachi_time(jazzcash_standin):
    before = datetime.datetime.now(KARACHI).replace(microsecond=0)
    stamp = checkout(JazzCash()).fields["pp_TxnDateTime"]
    after = datetime.datetime.now(KARACHI)
    at = datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=KARACHI)
    assert before <= at <= after


def test_checkout_signature_is_accepted_by_the_hosted_page(jazzcash_standin):
    result = checkout(JazzCash())
    page = requests.post(result.url, data=result.fields, timeout=5)
    assert page.status_code == 200
    assert "PKR 1,500.00" in page.text


def test_checkout_keeps_only_the_characters_jazzcash_accepts_in_the_description(jazzcash_standin):
    result = JazzCash().checkout(
        reference="AW7K2M9QX4TR",
        amount_paisa=150_000,
        description='Deposit: "first" visit <DHA> 50% off | ڈیپازٹ',
        return_url=RETURN_URL,
        language="ur",
        expires_at=datetime.datetime(2026, 12, 8, 10, 15, tzinfo=datetime.UTC),
    )
    assert result.fields["pp_Description"] == "Deposit first visit DHA 50 off"
    assert result.fields["pp_Language"] == "EN"
    assert requests.post(result.url, data=result.fields, timeout=5).status_code == 200


def test_checkout_refuses_a_reference_jazzcash_would_not_take(jazzcash_standin):
    with pytest.raises(ValueError):
        checkout(JazzCash(), reference="AW7K-2M9")
    with pytest.raises(ValueError):
        checkout(JazzCash(), reference="A" * 21)


def test_the_hosted_page_refuses_a_checkout_with_a_bad_hash(jazzcash_standin):
    result = checkout(JazzCash())
    forged = {**result.fields, "pp_Amount": "100"}
    page = requests.post(result.url, data=forged, timeout=5)
    assert page.status_code == 400


# --- the patient comes back ----------------------------------------------------------------


def test_a_paid_return_reads_as_paid_with_the_reference_amount_and_retrieval_reference(jazzcash_standin):
    provider = JazzCash()
    method, url, data = jazzcash_standin.pay(checkout(provider))
    assert (method, url) == ("POST", RETURN_URL)
    outcome = provider.read_return(data)
    assert outcome.state == base.Outcome.PAID
    assert outcome.reference == "AW7K2M9QX4TR"
    assert outcome.amount_paisa == 150_000
    assert outcome.provider_ref == data["pp_RetreivalReferenceNo"] != ""
    assert outcome.detail == "000"


def test_a_return_with_a_signature_in_lower_case_is_accepted(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    data["pp_SecureHash"] = data["pp_SecureHash"].lower()
    assert provider.read_return(data).state == base.Outcome.PAID


def test_a_wrong_amount_is_reported_as_paid(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider), amount_paisa=100)
    assert provider.read_return(data).amount_paisa == 100


def test_a_cancelled_return_reads_as_failed(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider), state="failed")
    outcome = provider.read_return(data)
    assert outcome.state == base.Outcome.FAILED
    assert outcome.detail == "112"


def test_a_pending_return_reads_as_pending(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider), state="pending")
    assert provider.read_return(data).state == base.Outcome.PENDING


@pytest.mark.parametrize(
    ("code", "state"), [("121", "paid"), ("124", "pending"), ("157", "pending"), ("129", "failed")]
)
def test_return_codes_map_as_jazzcash_documents(jazzcash_standin, code, state):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    assert provider.read_return(resign({**data, "pp_ResponseCode": code})).state == state


def test_a_forged_return_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_SecureHash": "0" * 64})


def test_a_return_with_an_altered_amount_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_Amount": "100"})


def test_a_return_with_an_altered_reference_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_TxnRefNo": "ZZZZZZZZZZZZ"})


def test_a_return_with_an_altered_response_code_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider), state="failed")
    with pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_ResponseCode": "000"})


def test_a_return_without_a_signature_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    del data["pp_SecureHash"]
    with pytest.raises(base.SignatureError):
        provider.read_return(data)


def test_a_return_with_an_empty_signature_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_SecureHash": ""})


def test_a_return_signed_with_another_salt_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return(resign(data, salt="another-salt"))


def test_a_return_for_another_merchant_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with pytest.raises(base.SignatureError):
        provider.read_return(resign({**data, "pp_MerchantID": "MC00000"}))


def test_a_refused_return_is_logged_with_the_reference_and_no_secret(jazzcash_standin, caplog):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    with caplog.at_level(logging.WARNING, logger="bookings.payments"), pytest.raises(base.SignatureError):
        provider.read_return({**data, "pp_Amount": "100"})
    assert "AW7K2M9QX4TR" in caplog.text
    assert standin_module.INTEGRITY_SALT not in caplog.text
    assert standin_module.PASSWORD not in caplog.text


# --- notifications -------------------------------------------------------------------------


def test_the_stand_in_has_no_notification_because_jazzcash_publishes_none_for_this_checkout(jazzcash_standin):
    with pytest.raises(NotImplementedError):
        jazzcash_standin.notification("AW7K2M9QX4TR")


def test_a_notification_is_refused(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    body = "&".join(f"{k}={v}" for k, v in data.items()).encode()
    with pytest.raises(base.SignatureError):
        provider.read_notification(body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})


# --- status inquiry ------------------------------------------------------------------------


def test_inquire_answers_paid_for_a_paid_payment(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    outcome = provider.inquire(reference="AW7K2M9QX4TR", provider_ref="")
    assert outcome.state == base.Outcome.PAID
    assert outcome.amount_paisa == 150_000
    assert outcome.provider_ref == data["pp_RetreivalReferenceNo"]


def test_inquire_answers_failed_for_a_cancelled_payment(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider), state="failed")
    assert provider.inquire(reference="AW7K2M9QX4TR", provider_ref="").state == base.Outcome.FAILED


def test_inquire_answers_pending_while_the_patient_is_still_on_the_page(jazzcash_standin):
    provider = JazzCash()
    result = checkout(provider)
    requests.post(result.url, data=result.fields, timeout=5)
    assert provider.inquire(reference="AW7K2M9QX4TR", provider_ref="").state == base.Outcome.PENDING


def test_inquire_answers_pending_when_jazzcash_has_no_such_transaction(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    jazzcash_standin.forget("AW7K2M9QX4TR")
    outcome = provider.inquire(reference="AW7K2M9QX4TR", provider_ref="")
    assert (outcome.state, outcome.detail) == (base.Outcome.PENDING, "109")


def test_inquire_sends_the_documented_signed_fields(jazzcash_standin):
    JazzCash().inquire(reference="AW7K2M9QX4TR", provider_ref="")
    sent = jazzcash_standin.requests[-1]
    assert sent.path == "/ApplicationAPI/API/PaymentInquiry/Inquire"
    assert set(sent.json) == {"pp_TxnRefNo", "pp_MerchantID", "pp_Password", "pp_SecureHash"}


def test_inquire_refuses_an_answer_with_a_bad_signature(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    jazzcash_standin.tamper_next()
    with pytest.raises(base.SignatureError):
        provider.inquire(reference="AW7K2M9QX4TR", provider_ref="")


def test_inquire_with_wrong_credentials_raises_payment_error(jazzcash_standin, settings):
    settings.ASPIRE_JAZZCASH_PASSWORD = "wrong"
    with pytest.raises(base.PaymentError):
        JazzCash().inquire(reference="AW7K2M9QX4TR", provider_ref="")


def test_inquire_raises_payment_error_on_a_500(jazzcash_standin):
    jazzcash_standin.fail_next()
    with pytest.raises(base.PaymentError):
        JazzCash().inquire(reference="AW7K2M9QX4TR", provider_ref="")


def test_inquire_raises_payment_error_when_jazzcash_cannot_be_reached(settings):
    settings.ASPIRE_JAZZCASH_MERCHANT_ID = "MC1"
    settings.ASPIRE_JAZZCASH_PASSWORD = "pw"
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = "salt"
    settings.ASPIRE_JAZZCASH_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    with pytest.raises(base.PaymentError):
        JazzCash().inquire(reference="AW7K2M9QX4TR", provider_ref="")


def test_inquire_raises_payment_error_on_a_timeout(jazzcash_standin, monkeypatch):
    monkeypatch.setattr(base, "TIMEOUT", 0.2)
    jazzcash_standin.slow_next(seconds=1.0)
    with pytest.raises(base.PaymentError):
        JazzCash().inquire(reference="AW7K2M9QX4TR", provider_ref="")


# --- refunds -------------------------------------------------------------------------------


def test_refund_of_a_wallet_payment_is_recorded_by_jazzcash(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider))
    refund_ref = provider.refund(
        reference="AW7K2M9QX4TR", provider_ref=data["pp_RetreivalReferenceNo"], amount_paisa=150_000
    )
    assert refund_ref
    assert jazzcash_standin.refunds == [("AW7K2M9QX4TR", 150_000)]
    assert jazzcash_standin.requests[-1].path == "/ApplicationAPI/API/Purchase/domwalletrefundtransaction"
    assert jazzcash_standin.requests[-1].json["pp_MerchantMPIN"] == standin_module.MPIN


def test_refund_of_a_card_payment_uses_the_card_refund_api(jazzcash_standin):
    provider = JazzCash()
    _, _, data = jazzcash_standin.pay(checkout(provider), txn_type="MPAY")
    provider.refund(reference="AW7K2M9QX4TR", provider_ref=data["pp_RetreivalReferenceNo"], amount_paisa=150_000)
    assert jazzcash_standin.refunds == [("AW7K2M9QX4TR", 150_000)]
    assert jazzcash_standin.requests[-1].path == "/ApplicationAPI/API/authorize/Refund"
    assert "pp_MerchantMPIN" not in jazzcash_standin.requests[-1].json


def test_refund_of_an_unknown_payment_raises_payment_error(jazzcash_standin):
    with pytest.raises(base.PaymentError):
        JazzCash().refund(reference="NEVERPAID123", provider_ref="", amount_paisa=150_000)
    assert jazzcash_standin.refunds == []


def test_refund_of_a_failed_payment_raises_payment_error(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider), state="failed")
    with pytest.raises(base.PaymentError):
        provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    assert jazzcash_standin.refunds == []


def test_a_second_refund_is_refused(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    with pytest.raises(base.PaymentError):
        provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    assert jazzcash_standin.refunds == [("AW7K2M9QX4TR", 150_000)]


def test_a_wallet_refund_without_the_mpin_raises_payment_error_before_asking(jazzcash_standin, settings):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    settings.ASPIRE_JAZZCASH_MPIN = ""
    with pytest.raises(base.PaymentError):
        provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    assert not any(r.path.endswith("refundtransaction") for r in jazzcash_standin.requests)


def test_a_refused_refund_is_logged_with_the_reference(jazzcash_standin, settings, caplog):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    settings.ASPIRE_JAZZCASH_MPIN = "9999"
    with caplog.at_level(logging.WARNING, logger="bookings.payments"), pytest.raises(base.PaymentError):
        provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    assert "AW7K2M9QX4TR" in caplog.text
    assert "9999" not in caplog.text


def test_refund_raises_payment_error_on_a_500(jazzcash_standin):
    provider = JazzCash()
    jazzcash_standin.pay(checkout(provider))
    jazzcash_standin.fail_next(2)
    with pytest.raises(base.PaymentError):
        provider.refund(reference="AW7K2M9QX4TR", provider_ref="", amount_paisa=150_000)
    assert jazzcash_standin.refunds == []


# --- the stand-in itself ---------------------------------------------------------------------


def test_the_hosted_page_pay_button_sends_the_browser_back_with_a_signed_form(jazzcash_standin):
    provider = JazzCash()
    result = checkout(provider)
    page = requests.post(result.url, data=result.fields, timeout=5)
    decide = standin_module.form_of(page.text)
    assert decide.buttons == ["Pay", "Cancel"]
    back = requests.post(jazzcash_standin.url + decide.action, data={**decide.fields, "decision": "pay"}, timeout=5)
    returned = standin_module.form_of(back.text)
    assert returned.action == RETURN_URL
    assert returned.buttons == ["Return to the merchant"]
    assert provider.read_return(returned.fields).state == base.Outcome.PAID


def test_the_hosted_page_cancel_button_returns_a_failed_payment(jazzcash_standin):
    provider = JazzCash()
    result = checkout(provider)
    page = requests.post(result.url, data=result.fields, timeout=5)
    decide = standin_module.form_of(page.text)
    back = requests.post(jazzcash_standin.url + decide.action, data={**decide.fields, "decision": "cancel"}, timeout=5)
    assert provider.read_return(standin_module.form_of(back.text).fields).state == base.Outcome.FAILED


def test_the_fixture_points_the_settings_at_the_stand_in(jazzcash_standin, settings):
    assert urlsplit(settings.ASPIRE_JAZZCASH_URL).hostname == "127.0.0.1"
    assert JazzCash().configured()
