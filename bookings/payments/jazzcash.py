"""
JazzCash's hosted checkout ("Page Redirection", pp_Version 1.1): the patient's browser posts a
signed form to JazzCash's merchant form page, chooses a wallet or a card there, and comes back
to our return URL with JazzCash's signed answer. A lost answer is recovered with the Status
Inquiry API; a refund goes through the wallet or the card refund API.

Where each rule comes from (named below by these tags):
- [hash] JazzCash Sandbox Documentation v4.2, Features > Hashing Scheme
  (sandbox.jazzcash.com.pk/SandboxDocumentation/v4.2/features.html; the same text with its
  worked example is mirrored in github.com/alihamasdev/jazzcash-docs, features/hashing-scheme.mdx).
- [post] the same documentation, HTTP POST (Page Redirection): the form's fields, and the
  merchant form page's path. Field rules: pp_Description up to 200 characters without
  <>\\*=%/:'|"{} (v4.2 API References); pp_TxnType optional, pp_TxnRefNo and pp_BillReference up
  to 20 letters and digits, pp_Language EN: JazzCash's "Payment Gateway Integration Guide for
  Merchants v4.2" (payments.jazzcash.com.pk/SandboxDocumentation/Content/documentation/), read
  through the summary in github.com/aamiralidev/pk-payments readme.md, not the PDF itself.
- [codes] the same documentation, Resources > Response Codes: 000 and 121 "Completed", 124
  "Pending" (an over-the-counter voucher not yet paid), 157 "Transaction is pending (for Mwallet
  and MIGS)", 109 "Transaction does not exist", everything else a failure of that attempt.
- [ipn] the same documentation, Features > IPN Web Hook: JazzCash's notification calls a SOAP
  status-update service the merchant exposes (for vouchers), whose message JazzCash does not
  publish; so this site takes no JazzCash notification (see read_notification).
- [api] Status Inquiry POST /ApplicationAPI/API/PaymentInquiry/Inquire (JSON: pp_TxnRefNo,
  pp_MerchantID, pp_Password, pp_SecureHash; answer pp_ResponseCode, pp_PaymentResponseCode,
  pp_Status), wallet refund POST /ApplicationAPI/API/Purchase/domwalletrefundtransaction (adds
  pp_Amount, pp_TxnCurrency, pp_MerchantMPIN) and card refund POST /ApplicationAPI/API/authorize/Refund
  (the same without the MPIN). The library holds no JazzCash page that shows these bodies in
  full: the paths and fields are those the published SDKs and merchant integrations send
  (github.com/itxSaaad/jazzcash-sdk-node src/modules/card.js and its README; the merchant
  configurations that carry MOBILE_REFUND_POST_URL / CARD_REFUND_POST_URL).
"""

import hashlib
import hmac
import re
import zoneinfo
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone

from bookings.payments import base

CHECKOUT_PATH = "/CustomerPortal/transactionmanagement/merchantform/"  # [post]
INQUIRY_PATH = "/ApplicationAPI/API/PaymentInquiry/Inquire"  # [api]
WALLET_REFUND_PATH = "/ApplicationAPI/API/Purchase/domwalletrefundtransaction"  # [api]
CARD_REFUND_PATH = "/ApplicationAPI/API/authorize/Refund"  # [api]

# JazzCash reads pp_TxnDateTime and pp_TxnExpiryDateTime as Pakistan time ([post]: "use Pakistan
# Time Zone GMT+5" in its sample code), yyyyMMddHHmmss.
KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
STAMP = "%Y%m%d%H%M%S"

PAID_CODES = {"000", "121"}  # [codes]
PENDING_CODES = {"124", "157"}  # [codes]
NOT_FOUND = "109"  # [codes]
PAID_STATUSES = {"completed"}  # pp_Status of an inquiry, as [codes] names the states
PENDING_STATUSES = {"pending"}
# The instruments the patient can pick on the hosted page: the wallet, cards (MPAY; MIGS in
# older merchant set-ups) and the over-the-counter voucher (OTC), which has no refund API here.
CARD_TYPES = {"MPAY", "MIGS"}
VOUCHER_TYPES = {"OTC"}

REFERENCE = re.compile(r"[A-Za-z0-9]{1,20}")  # [post]
# pp_Description: JazzCash refuses any of <>\*=%/:'|"{} ([post]); and anything outside printable
# ASCII would reach the hash through JazzCash's ISO-8859-1 step ([hash]) differently from ours.
DESCRIPTION_DROPS = re.compile(r"""[<>\\*=%/:'|"{}]|[^\x20-\x7e]""")


def secure_hash(fields: dict, *, salt: str) -> str:
    """
    Return pp_SecureHash for `fields` as JazzCash computes it ([hash]): the values of the
    non-empty fields whose names begin with "pp" (so pp_ and ppmpf_; not pp_SecureHash), in the
    ASCII order of their names, joined by "&" after the integrity salt, HMAC-SHA256 keyed with
    the salt, in hexadecimal (upper case, as JazzCash sends it).
    """
    # [hash] says "all PP fields"; JazzCash's sample PHP that merchants copy (its "Your Merchant
    # from transaction Credentials" form, e.g. github.com/aakilarosegethub/apnafund public/jazz.php)
    # and the published SDKs leave the empty ones out, since the page posts them back empty.
    values = [
        str(fields[name])
        for name in sorted(fields)
        if name.lower().startswith("pp") and name != "pp_SecureHash" and fields[name] not in ("", None)
    ]
    message = "&".join([salt, *values])
    return hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


class JazzCash(base.Provider):
    name = "jazzcash"
    label = "JazzCash"

    # --- settings ---

    @property
    def _url(self) -> str:
        return settings.ASPIRE_JAZZCASH_URL.rstrip("/")

    @property
    def _salt(self) -> str:
        return settings.ASPIRE_JAZZCASH_INTEGRITY_SALT

    def configured(self) -> bool:
        """Return whether the merchant id, password and integrity salt are set (refunds also need the MPIN)."""
        return bool(
            settings.ASPIRE_JAZZCASH_MERCHANT_ID
            and settings.ASPIRE_JAZZCASH_PASSWORD
            and settings.ASPIRE_JAZZCASH_INTEGRITY_SALT
        )

    def form_origins(self) -> list[str]:
        """Return the origin of JazzCash's address: the checkout form posts there."""
        parts = urlsplit(self._url)
        return [f"{parts.scheme}://{parts.netloc}"]

    # --- checkout and return ---

    def checkout(
        self, *, reference: str, amount_paisa: int, description: str, return_url: str, language: str, expires_at
    ) -> base.Checkout:
        """
        Return the signed Page Redirection form for our payment `reference`. `language` is not
        passed on: JazzCash's page speaks English only (pp_Language "EN", [post]).
        """
        if not REFERENCE.fullmatch(reference):
            raise ValueError(f"JazzCash takes a reference of 1 to 20 letters and digits, not {reference!r}")
        if amount_paisa <= 0:
            raise ValueError("JazzCash takes a positive amount")
        fields = {
            "pp_Version": "1.1",
            # Empty: the hosted page lets the patient choose a wallet or a card ([post]: optional).
            "pp_TxnType": "",
            "pp_Language": "EN",
            "pp_MerchantID": settings.ASPIRE_JAZZCASH_MERCHANT_ID,
            "pp_SubMerchantID": "",
            # JazzCash's page redirection takes the merchant password in the form itself ([post]);
            # the integrity salt, which never leaves the server, is what makes the form unforgeable.
            "pp_Password": settings.ASPIRE_JAZZCASH_PASSWORD,
            "pp_BankID": "",
            "pp_ProductID": "",
            "pp_TxnRefNo": reference,
            "pp_Amount": str(amount_paisa),
            "pp_TxnCurrency": "PKR",
            "pp_TxnDateTime": timezone.now().astimezone(KARACHI).strftime(STAMP),
            "pp_BillReference": reference,
            "pp_Description": _description(description, fallback=reference),
            "pp_TxnExpiryDateTime": expires_at.astimezone(KARACHI).strftime(STAMP),
            "pp_ReturnURL": return_url,
            "ppmpf_1": "",
            "ppmpf_2": "",
            "ppmpf_3": "",
            "ppmpf_4": "",
            "ppmpf_5": "",
        }
        fields["pp_SecureHash"] = secure_hash(fields, salt=self._salt)
        return base.Checkout(url=self._url + CHECKOUT_PATH, method="POST", fields=fields)

    def read_return(self, data: dict[str, str]) -> base.Outcome:
        """Check and read the pp_ fields JazzCash's page posts to pp_ReturnURL."""
        fields = dict(data.items())  # a QueryDict too: its last value per name
        reference = str(fields.get("pp_TxnRefNo", ""))
        self._check(fields, what="return", reference=reference)
        if fields.get("pp_MerchantID") != settings.ASPIRE_JAZZCASH_MERCHANT_ID:
            base.logger.warning("JazzCash return for %s names another merchant: refused", reference)
            raise base.SignatureError("JazzCash's answer is for another merchant")
        code = str(fields.get("pp_ResponseCode", ""))
        return base.Outcome(
            reference=reference,
            provider_ref=_retrieval_ref(fields),
            amount_paisa=_amount(fields),
            state=_state(code),
            detail=code,
        )

    def read_notification(self, *, body: bytes, headers: dict[str, str]) -> base.Outcome | None:
        """
        Refuse it: JazzCash's IPN ([ipn]) is a SOAP call whose message JazzCash does not publish,
        so nothing arriving here can be checked. The return and the Status Inquiry carry the outcome.
        """
        base.logger.warning("JazzCash notification refused: this site takes none from JazzCash")
        raise base.SignatureError("JazzCash sends no notification this site can check")

    # --- the APIs ---

    def inquire(self, *, reference: str, provider_ref: str) -> base.Outcome:
        """
        Ask the Status Inquiry API about our payment `reference`. JazzCash's 109 ("Transaction does
        not exist") reads as PENDING: until pp_TxnExpiryDateTime the patient may still submit the
        form, so the payment may yet be made; the unpaid hold lapses on its own clock.
        """
        answer = self._inquiry(reference)
        code = answer["code"]
        return base.Outcome(
            reference=reference,
            provider_ref=_retrieval_ref(answer["fields"]) or provider_ref,
            amount_paisa=_amount(answer["fields"], default=0),
            state=answer["state"],
            detail=code,
        )

    def refund(self, *, reference: str, provider_ref: str, amount_paisa: int) -> str:
        """
        Refund `amount_paisa` of our paid payment `reference` and return JazzCash's reference for
        the refund. Which API depends on how the patient paid, which we keep nowhere: the Status
        Inquiry says (pp_TxnType), and confirms the payment is there and paid before we ask.
        """
        answer = self._inquiry(reference)
        if answer["state"] != base.Outcome.PAID:
            base.logger.warning(
                "JazzCash refund of %s refused: the payment is not paid (%s)", reference, answer["code"]
            )
            raise base.PaymentError(f"JazzCash has no paid payment {reference} ({answer['code']})")
        txn_type = str(answer["fields"].get("pp_TxnType") or "").upper()
        if txn_type in VOUCHER_TYPES:
            base.logger.warning("JazzCash refund of %s refused: a voucher payment has no refund API", reference)
            raise base.PaymentError(f"JazzCash voucher payment {reference} is refunded by hand")
        body = {
            "pp_TxnRefNo": reference,
            "pp_Amount": str(amount_paisa),
            "pp_TxnCurrency": "PKR",
            "pp_MerchantID": settings.ASPIRE_JAZZCASH_MERCHANT_ID,
            "pp_Password": settings.ASPIRE_JAZZCASH_PASSWORD,
        }
        if txn_type in CARD_TYPES:
            path = CARD_REFUND_PATH
        else:
            # The wallet is what most patients pay with, and the inquiry may not name the type.
            path = WALLET_REFUND_PATH
            if not settings.ASPIRE_JAZZCASH_MPIN:
                raise base.PaymentError("JazzCash wallet refunds need ASPIRE_JAZZCASH_MPIN")
            body["pp_MerchantMPIN"] = settings.ASPIRE_JAZZCASH_MPIN
        body["pp_SecureHash"] = secure_hash(body, salt=self._salt)
        fields = self._post(path, body, reference=reference, what="refund")
        code = str(fields.get("pp_ResponseCode", ""))
        if code != "000":
            base.logger.warning("JazzCash refund of %s refused: %s", reference, code)
            raise base.PaymentError(f"JazzCash refused the refund of {reference} ({code})")
        return _retrieval_ref(fields) or reference

    # --- helpers ---

    def _inquiry(self, reference: str) -> dict:
        """Return the Status Inquiry's answer: its signed fields, the payment's code and its state."""
        body = {
            "pp_TxnRefNo": reference,
            "pp_MerchantID": settings.ASPIRE_JAZZCASH_MERCHANT_ID,
            "pp_Password": settings.ASPIRE_JAZZCASH_PASSWORD,
        }
        body["pp_SecureHash"] = secure_hash(body, salt=self._salt)
        fields = self._post(INQUIRY_PATH, body, reference=reference, what="inquiry")
        code = str(fields.get("pp_ResponseCode", ""))
        if code == NOT_FOUND:
            return {"fields": fields, "code": code, "state": base.Outcome.PENDING}
        if code == "000":
            # The inquiry itself worked; the payment's own code and status follow.
            payment_code = str(fields.get("pp_PaymentResponseCode") or "")
            status = str(fields.get("pp_Status") or "").lower()
            if payment_code:
                return {"fields": fields, "code": payment_code, "state": _state(payment_code)}
            if status in PAID_STATUSES:
                return {"fields": fields, "code": code, "state": base.Outcome.PAID}
            if status in PENDING_STATUSES or not status:
                return {"fields": fields, "code": code, "state": base.Outcome.PENDING}
            return {"fields": fields, "code": code, "state": base.Outcome.FAILED}
        # Older answers put the payment's code in pp_ResponseCode itself (sources disagree): a
        # paid or pending code reads as such; any other may be the inquiry refused (101 bad
        # credentials, 110 a bad value, 115 a bad hash), not the payment failing, so ask again later.
        if code in PAID_CODES | PENDING_CODES:
            return {"fields": fields, "code": code, "state": _state(code)}
        base.logger.warning("JazzCash inquiry of %s refused: %s", reference, code)
        raise base.PaymentError(f"JazzCash refused the inquiry of {reference} ({code})")

    def _post(self, path: str, body: dict, *, reference: str, what: str) -> dict:
        """POST `body` as JSON to JazzCash's API and return its answer, its hash checked if it carries one."""
        try:
            response = requests.post(self._url + path, json=body, timeout=base.TIMEOUT)
        except requests.RequestException as exc:
            raise base.PaymentError(f"JazzCash {what}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise base.PaymentError(f"JazzCash {what}: HTTP {response.status_code}")
        if response.status_code != 200:
            base.logger.warning("JazzCash %s of %s refused: HTTP %s", what, reference, response.status_code)
            raise base.PaymentError(f"JazzCash {what}: HTTP {response.status_code}")
        try:
            fields = response.json()
        except ValueError:
            raise base.PaymentError(f"JazzCash {what}: the answer is not JSON") from None
        if not isinstance(fields, dict):
            raise base.PaymentError(f"JazzCash {what}: the answer is not a JSON object")
        # JazzCash signs its API answers when hashing is on for the merchant ([hash]: "recommended
        # but not mandatory"); an answer that carries a hash must carry the right one.
        if fields.get("pp_SecureHash"):
            self._check(fields, what=what, reference=reference)
        return fields

    def _check(self, fields: dict, *, what: str, reference: str) -> None:
        """Raise SignatureError unless `fields` carry JazzCash's pp_SecureHash over them (either case)."""
        given = fields.get("pp_SecureHash")
        expected = secure_hash(fields, salt=self._salt)
        if not isinstance(given, str) or not given or not hmac.compare_digest(given.upper(), expected):
            base.logger.warning("JazzCash %s for %s has a bad or missing pp_SecureHash: refused", what, reference)
            raise base.SignatureError(f"JazzCash's {what} is not signed with our integrity salt")


def _state(code: str) -> str:
    if code in PAID_CODES:
        return base.Outcome.PAID
    if code in PENDING_CODES:
        return base.Outcome.PENDING
    return base.Outcome.FAILED


def _amount(fields: dict, *, default: int | None = None) -> int:
    """Return pp_Amount in paisa; `default` when it is absent (the inquiry may not carry it)."""
    value = str(fields.get("pp_Amount") or "")
    if value.isdigit():
        return int(value)
    if default is not None and not value:
        return default
    raise base.PaymentError(f"JazzCash's answer has no usable pp_Amount ({value!r})")


def _retrieval_ref(fields: dict) -> str:
    # JazzCash spells it pp_RetreivalReferenceNo in its answers; some of its answers are seen
    # spelled correctly, so either is read.
    return str(fields.get("pp_RetreivalReferenceNo") or fields.get("pp_RetrievalReferenceNo") or "")


def _description(text: str, *, fallback: str) -> str:
    cleaned = " ".join(DESCRIPTION_DROPS.sub("", text).split())[:200]
    return cleaned or fallback
