"""
Safepay (cards and wallets, getsafepay.com): a hosted checkout, a signed way back, signed webhooks,
a status inquiry and a refund API. Nothing here touches the database (base.py says why).

The flow, and where each name comes from:
- checkout: POST {URL}/order/v1/init {client: API key, amount: rupees, currency, environment} answers
  data.token, the "tracker" (getsafepay/safepay-node src/resources/payments.ts, getsafepay/safepay-python
  resources/payments.py; the answer's shape from Safepay's integration guide,
  gist.github.com/ziyadparekh/adc07113246b039b126c806cef9ad4a6). The patient's browser then GETs
  {CHECKOUT_URL}/pay?beacon=<tracker>&cancel_url&env&order_id&redirect_url&source&webhooks
  (safepay-python resources/checkout.py, whose tests pin that URL; safepay-node src/utils/builder.ts).
- the way back: Safepay's page POSTs tracker, token, reference, order_id and sig to redirect_url, sig
  being hex HMAC-SHA256 of the tracker keyed with the secret key (safepay-node src/resources/verify.ts,
  safepay-python resources/verify.py, safepay-php src/Verify.php; safepay-magento-2-plugin
  Controller/Payment/Response.php reads the five fields). The sig covers the tracker only, so the
  amount and our order id come from the inquiry, never from the browser.
- a cancel: Safepay sends the browser to cancel_url with nothing added (the Magento plugin's Cancel
  controller reads no field), so the cancel URL carries our own marker (cancel_marker) and changes nothing.
- the webhook: X-SFPY-Signature = hex HMAC-SHA512 of the compact JSON of the body's `data`, keyed with
  the webhook secret; events payment:created, refund:created, error:occurred; amounts in rupees
  (getsafepay/safepay-docs webhooks/01-webhooks-intro.md and 02-webhooks-payload.md; the same check in
  safepay-node, safepay-python and safepay-php Verify.webhook).
- inquiry and refund: GET {URL}/reporter/api/v1/payments/{tracker} and POST
  {URL}/order/payments/v3/{tracker}/refund with the secret key in X-SFPY-MERCHANT-SECRET
  (getsafepay/node-core src/resources/Reporter/Payments.ts, Order/Cancel.ts, RequestSender.ts;
  getsafepay/sfpy-php lib/Service/ReporterService.php, OrderService.php). The SDKs type these answers
  `any`; the fields read here (data.tracker.state, purchase_totals.quote_amount.amount in paisa, the
  TRACKER_* states) are those public integrations of the reporter API read.
"""

import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings

from bookings.payments import base
from bookings.payments.base import Checkout, Outcome, PaymentError, SignatureError, logger

# What a tracker's state means for our payment. TRACKER_ENDED is a captured payment; a refunded one was
# paid all the same (refunding is our own act, recorded on our side).
PAID_STATES = {"TRACKER_ENDED", "TRACKER_REFUNDED", "TRACKER_PARTIAL_REFUND"}
# Closed without the money taken: it never will be paid.
FAILED_STATES = {"TRACKER_CANCELLED", "TRACKER_EXPIRED", "TRACKER_FAILED", "TRACKER_VOIDED", "TRACKER_REVERSED"}
# Anything else (TRACKER_STARTED, TRACKER_ENROLLED, TRACKER_AUTHORIZED, a state new to us) is not known yet.

# The marker our cancel URL carries (Safepay adds nothing to it): ours (cancel_marker); it only ever says PENDING.
CANCELLED = "cancelled"


def tracker_signature(*, tracker: str, secret_key: str) -> str:
    """Return the `sig` Safepay sends back with the patient: hex HMAC-SHA256 of the tracker with the secret key."""
    return hmac.new(secret_key.encode(), tracker.encode(), hashlib.sha256).hexdigest()


def cancel_marker(*, reference: str, secret_key: str) -> str:
    """
    Return the value of the marker our cancel URL carries for our payment `reference`: hex HMAC-SHA256
    of "cancel:" and the reference, keyed with the secret key. Safepay adds nothing to the cancel URL
    (see above), so this is ours, not Safepay's: only a cancel URL this site gave out reads as one.
    """
    return hmac.new(secret_key.encode(), f"cancel:{reference}".encode(), hashlib.sha256).hexdigest()


def webhook_signature(*, data: dict, webhook_secret: str) -> str:
    """Return the X-SFPY-Signature of a webhook whose body's `data` is `data`: hex HMAC-SHA512 of its compact JSON."""
    # Safepay's servers sign JSON.stringify(data): compact, keys in the order sent, slashes and
    # non-ASCII as they are (json.loads keeps the order; safepay-python's own check is this one).
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(webhook_secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


class Refused(PaymentError):
    """Safepay answered, and said no: `status` is its HTTP status (404: it has no such tracker)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _paisa_from_rupees(value) -> int:
    """Read an amount in rupees ("150", "1500.5", 150) as paisa; PaymentError for anything else."""
    try:
        paisa = Decimal(str(value)) * 100
    except InvalidOperation as error:
        raise PaymentError(f"Safepay sent an amount that is not a number: {value!r}") from error
    if paisa != paisa.to_integral_value():
        raise PaymentError(f"Safepay sent an amount finer than a paisa: {value!r}")
    return int(paisa)


class Safepay(base.Provider):
    name = "safepay"
    label = "Safepay"

    def configured(self) -> bool:
        """Return whether the API key, the secret key and the webhook secret are all set."""
        return bool(
            settings.ASPIRE_SAFEPAY_API_KEY
            and settings.ASPIRE_SAFEPAY_SECRET_KEY
            and settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET
        )

    def form_origins(self) -> list[str]:
        """Return the hosted checkout page's origin."""
        parts = urlsplit(settings.ASPIRE_SAFEPAY_CHECKOUT_URL)
        return [f"{parts.scheme}://{parts.netloc}"]

    # --- talking to the API ---

    def _call(self, method: str, path: str, *, reference: str, body: dict | None = None, secret: bool = False) -> dict:
        """
        Call Safepay's API and return its answer's `data`; PaymentError for the network, a 5xx, an answer
        that is not Safepay's JSON, or a refusal (a 4xx or a non-empty status.errors), logged with `reference`.
        """
        headers = {"Accept": "application/json"}
        if secret:
            headers["X-SFPY-MERCHANT-SECRET"] = settings.ASPIRE_SAFEPAY_SECRET_KEY
        try:
            response = requests.request(
                method, settings.ASPIRE_SAFEPAY_URL + path, json=body, headers=headers, timeout=base.TIMEOUT
            )
        except requests.RequestException as error:
            raise PaymentError(f"Safepay could not be reached: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise PaymentError(f"Safepay answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise PaymentError(f"Safepay answered {response.status_code} without JSON") from error
        errors = (answer.get("status") or {}).get("errors") if isinstance(answer, dict) else None
        if response.status_code >= 400 or errors or not isinstance(answer, dict):
            logger.warning(
                "Safepay refused %s %s for payment %s: HTTP %s %s",
                method,
                path,
                reference,
                response.status_code,
                errors,
            )
            raise Refused(
                f"Safepay refused the request: HTTP {response.status_code} {errors}", status=response.status_code
            )
        data = answer.get("data") or {}
        if not isinstance(data, dict):
            raise PaymentError(f"Safepay answered {path} without a data object")
        return data

    # --- the interface ---

    def checkout(
        self, *, reference: str, amount_paisa: int, description: str, return_url: str, language: str, expires_at
    ) -> Checkout:
        """
        Create Safepay's tracker for our payment and return the link to its hosted page. Safepay's page
        takes no description, language or expiry: the site's own hold decides when the attempt lapses.
        """
        # v1 init takes rupees (the integration guide's "amount": 1000.00 for PKR 1,000).
        rupees = amount_paisa // 100 if amount_paisa % 100 == 0 else amount_paisa / 100
        data = self._call(
            "POST",
            "/order/v1/init",
            reference=reference,
            body={
                "client": settings.ASPIRE_SAFEPAY_API_KEY,
                "amount": rupees,
                "currency": "PKR",
                "environment": settings.ASPIRE_SAFEPAY_ENVIRONMENT,
            },
        )
        tracker = data.get("token")
        if not isinstance(tracker, str) or not tracker:
            raise PaymentError(f"Safepay's init for payment {reference} gave no tracker")
        params = {
            "beacon": tracker,
            "cancel_url": _with_query(
                return_url,
                {
                    CANCELLED: cancel_marker(reference=reference, secret_key=settings.ASPIRE_SAFEPAY_SECRET_KEY),
                    "order_id": reference,
                },
            ),
            "env": settings.ASPIRE_SAFEPAY_ENVIRONMENT,
            "order_id": reference,
            "redirect_url": return_url,
            "source": "custom",
            # Ask Safepay to send its webhooks for this payment (safepay-node's `webhooks` option).
            "webhooks": "true",
        }
        url = f"{settings.ASPIRE_SAFEPAY_CHECKOUT_URL}/pay?{urlencode(params)}"
        return Checkout(url=url, method="GET", fields={}, provider_ref=tracker)

    def read_return(self, data: dict[str, str]) -> Outcome:
        """
        Check the sig of what Safepay's page posts back, then ask Safepay what became of the payment: the
        way back names neither the amount nor a signed order id. A cancel (our own marker, cancel_marker) is PENDING.
        """
        reference = data.get("order_id", "")
        if CANCELLED in data and "sig" not in data:
            # Our own marker, keyed with the secret key: a payment's reference alone (on Safepay's
            # dashboard, in the checkout's address) must not lead anyone to the booking's page.
            expected = cancel_marker(reference=reference, secret_key=settings.ASPIRE_SAFEPAY_SECRET_KEY)
            if not _same(data[CANCELLED], expected):
                logger.warning("Safepay cancel for payment %r refused: not a cancel URL we gave out", reference)
                raise SignatureError("Safepay's cancel does not carry our marker")
            return Outcome(
                reference=reference, provider_ref="", amount_paisa=0, state=Outcome.PENDING, detail=CANCELLED
            )
        tracker, sig = data.get("tracker", ""), data.get("sig", "")
        expected = tracker_signature(tracker=tracker, secret_key=settings.ASPIRE_SAFEPAY_SECRET_KEY)
        if not tracker or not sig or not _same(sig, expected):
            logger.warning("Safepay return for payment %r refused: a missing or wrong sig", reference)
            raise SignatureError("Safepay's return is not signed with our secret key")
        outcome = self.inquire(reference=reference, provider_ref=tracker)
        if outcome.reference != reference:
            # The sig covers the tracker alone: a genuine tracker under another order id is someone's replay.
            logger.warning("Safepay return for payment %r refused: its tracker is for another order", reference)
            raise SignatureError("Safepay's return names another order than its tracker's")
        return outcome

    def read_notification(self, *, body: bytes, headers: dict[str, str]) -> Outcome | None:
        """Check a webhook's X-SFPY-Signature and read a captured payment; None for refunds and errors."""
        given = next((v for k, v in headers.items() if k.lower() == "x-sfpy-signature"), "")
        try:
            data = json.loads(body)["data"]
        except (ValueError, KeyError, TypeError):
            logger.warning("Safepay webhook refused: its body is not Safepay's JSON")
            raise SignatureError("Safepay's webhook body is not JSON with a data object") from None
        if not isinstance(data, dict):
            logger.warning("Safepay webhook refused: its data is not an object")
            raise SignatureError("Safepay's webhook body is not JSON with a data object")
        # Anyone can post here: a part of the wrong shape is read as absent (and its signature
        # then fails), not followed into an AttributeError, a 500.
        notification = data.get("notification")
        notification = notification if isinstance(notification, dict) else {}
        metadata = notification.get("metadata")
        reference = str(metadata.get("order_id", "")) if isinstance(metadata, dict) else ""
        expected = webhook_signature(data=data, webhook_secret=settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET)
        if not given or not _same(given, expected):
            logger.warning("Safepay webhook for payment %r refused: a missing or wrong signature", reference)
            raise SignatureError("Safepay's webhook is not signed with our webhook secret")
        # A refund's notice comes as refund:created, or (the docs' own sample) as payment:created with a
        # refunded state; error:occurred is one failed try ("55 : Incorrect OTP") the patient may follow
        # with another on the same page. Only a captured payment is acted on.
        if data.get("type") != "payment:created" or notification.get("state") != "PAID":
            return None
        return Outcome(
            reference=reference,
            provider_ref=str(notification.get("tracker", "")),
            amount_paisa=_paisa_from_rupees(notification.get("amount")),
            state=Outcome.PAID,
            detail="PAID",
        )

    def inquire(self, *, reference: str, provider_ref: str) -> Outcome:
        """
        Ask Safepay's reporter about the tracker. "Not found" is PENDING, not FAILED: Safepay itself
        handed out the tracker at checkout, so its absence says nothing of whether the patient paid.
        """
        try:
            data = self._call("GET", f"/reporter/api/v1/payments/{provider_ref}", reference=reference, secret=True)
        except Refused as error:
            if error.status == 404:
                return Outcome(
                    reference=reference,
                    provider_ref=provider_ref,
                    amount_paisa=0,
                    state=Outcome.PENDING,
                    detail="not_found",
                )
            raise
        tracker = data.get("tracker") if isinstance(data.get("tracker"), dict) else data
        state = str(tracker.get("state", ""))
        amount = ((tracker.get("purchase_totals") or {}).get("quote_amount") or {}).get("amount", 0)
        if not isinstance(amount, int):
            raise PaymentError(f"Safepay's reporter gave payment {reference} an amount that is not paisa: {amount!r}")
        metadata = tracker.get("metadata") or {}
        # The tracker learns our order id when the patient opens the page: until then it has none.
        order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
        if state in PAID_STATES:
            verdict = Outcome.PAID
        elif state in FAILED_STATES:
            verdict = Outcome.FAILED
        else:
            verdict = Outcome.PENDING
        return Outcome(
            reference=str(order_id) if order_id else reference,
            provider_ref=provider_ref,
            amount_paisa=amount,
            state=verdict,
            detail=state,
        )

    def refund(self, *, reference: str, provider_ref: str, amount_paisa: int) -> str:
        """Refund `amount_paisa` of the tracker's payment; return Safepay's refund token (or the tracker)."""
        # v3 amounts are in paisa ("in the lowest denomination", sfpy-php README and checkout example).
        data = self._call(
            "POST",
            f"/order/payments/v3/{provider_ref}/refund",
            reference=reference,
            body={"amount": amount_paisa},
            secret=True,
        )
        refund = data.get("refund") if isinstance(data.get("refund"), dict) else data
        return str(refund.get("token") or provider_ref)


def _with_query(url: str, params: dict[str, str]) -> str:
    """Add `params` to `url`'s query, keeping what it already has."""
    parts = urlsplit(url)
    extra = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
