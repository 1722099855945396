"""
A local stand-in for Safepay: a small threaded HTTP server on 127.0.0.1 that speaks the parts of
Safepay's API the site calls and serves the hosted checkout page the patient's browser sees, checking
credentials and signatures the way Safepay does, and keeping its own books of what was paid and refunded.

    def test_a_paid_deposit(safepay_standin):
        checkout = Safepay().checkout(...)
        method, url, data = safepay_standin.pay(checkout)   # what the browser brings back
        body, headers = safepay_standin.notification(checkout_reference)

Where each shape comes from (the same sources as bookings/payments/safepay.py):
- POST /order/v1/init {client, amount (rupees), currency, environment} -> data.token, the tracker:
  getsafepay/safepay-node src/resources/payments.ts, getsafepay/safepay-python resources/payments.py, and
  Safepay's integration gist (gist.github.com/ziyadparekh/adc07113246b039b126c806cef9ad4a6) for the answer.
- GET /checkout/pay?beacon&cancel_url&env&order_id&redirect_url&source&webhooks: safepay-python
  resources/checkout.py. The page is not signed: the tracker Safepay handed out is what it trusts.
- The way back: a POST of tracker, token, reference, order_id and sig = HMAC-SHA256(secret key, tracker)
  to redirect_url (safepay-node src/resources/verify.ts reads request.body; safepay-php README
  "$_POST['sig']"; safepay-magento-2-plugin Controller/Payment/Response.php reads those five); a cancel
  sends the browser to cancel_url with nothing added (the Magento plugin's Cancel controller reads none).
- GET /reporter/api/v1/payments/{tracker} and POST /order/payments/v3/{tracker}/refund, with the secret
  key in X-SFPY-MERCHANT-SECRET: getsafepay/node-core src/resources/Reporter/Payments.ts,
  Order/Cancel.ts and RequestSender.ts; getsafepay/sfpy-php lib/Service/ReporterService.php and
  OrderService.php. Their answers' fields (data.tracker.state, purchase_totals.quote_amount in paisa) are
  not in the SDKs, which type them `any`: they follow public integrations of the reporter API.
- The webhook: body {"data": {...}} with X-SFPY-Signature = hex HMAC-SHA512(webhook secret, the compact
  JSON of `data`): getsafepay/safepay-docs webhooks/02-webhooks-payload.md, whose sample payloads
  (payment:created, error:occurred) this copies.
"""

import dataclasses
import hashlib
import hmac
import html
import json
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.standin import Recorded, read_request

API_KEY = "sec_00000000-0000-4000-8000-00000000aaaa"
SECRET_KEY = "standin-v1-secret-d928d9b1d9e487957c6658be"
WEBHOOK_SECRET = "standin-webhook-secret-be0001c975bbfd4f"

STARTED = "TRACKER_STARTED"
ENDED = "TRACKER_ENDED"  # paid: the money is captured
CANCELLED = "TRACKER_CANCELLED"  # declined and closed: it never will be paid
REFUNDED = "TRACKER_REFUNDED"
PARTIAL_REFUND = "TRACKER_PARTIAL_REFUND"


@dataclasses.dataclass
class Tracker:
    """One payment in the stand-in's books."""

    token: str
    amount_paisa: int  # what the merchant asked for at init
    environment: str
    state: str = STARTED
    paid_paisa: int = 0
    refunded_paisa: int = 0
    order_id: str = ""
    source: str = ""
    redirect_url: str = ""
    cancel_url: str = ""
    reference: str = ""  # Safepay's own reference for the charge, handed back with the payment


def sign_tracker(tracker: str, secret_key: str = SECRET_KEY) -> str:
    """The `sig` Safepay sends back with the patient: hex HMAC-SHA256 of the tracker, keyed with the secret key."""
    return hmac.new(secret_key.encode(), tracker.encode(), hashlib.sha256).hexdigest()


def sign_webhook(data: dict, webhook_secret: str = WEBHOOK_SECRET) -> str:
    """The X-SFPY-Signature of a webhook whose body's `data` is `data`: hex HMAC-SHA512 of its compact JSON."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(webhook_secret.encode(), payload, hashlib.sha512).hexdigest()


def rupees(paisa: int) -> str:
    """Spell an amount as Safepay's webhooks do: rupees, as a string ("150", "1500.5")."""
    return str(Decimal(paisa) / 100)


def _envelope(data, *errors: str) -> dict:
    return {"data": data, "status": {"errors": list(errors), "message": "error" if errors else "success"}}


class SafepayStandIn:
    def __init__(self, *, api_key: str = API_KEY, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET):
        self.api_key = api_key
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.requests: list[Recorded] = []
        self.refunds: list[tuple[str, int]] = []
        self.trackers: dict[str, Tracker] = {}
        self._failing = 0
        self._stall = 0.0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def checkout_url(self) -> str:
        return self.url + "/checkout"

    def start(self) -> "SafepayStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests steer ---

    def fail_next(self, n: int = 1) -> None:
        """Make the next `n` API calls (not the checkout page) answer 500."""
        self._failing += n

    def stall_next(self, seconds: float) -> None:
        """Make the next API call wait `seconds` before answering (a timeout test)."""
        self._stall = seconds

    def forget(self, reference: str) -> None:
        """Lose every record of our payment `reference`: an inquiry about it answers "not found"."""
        with self._lock:
            for token in [t.token for t in self.trackers.values() if t.order_id == reference]:
                del self.trackers[token]

    def tracker_for(self, reference: str) -> Tracker:
        matches = [t for t in self.trackers.values() if t.order_id == reference]
        assert matches, f"no payment for {reference!r} reached the checkout page"
        return matches[-1]

    # --- what the patient does ---

    def pay(self, checkout, *, state: str = "paid", amount_paisa: int | None = None) -> tuple[str, str, dict]:
        """
        Do on the hosted page what the patient does for `checkout` (a base.Checkout): open it, then pay
        ("paid"), or have the card declined ("failed"); return what the browser then brings to the site.
        """
        assert checkout.method == "GET", checkout
        page = requests.get(checkout.url, timeout=5)
        assert page.status_code == 200, page.text
        token = parse_qs(urlsplit(checkout.url).query)["beacon"][0]
        with self._lock:
            tracker = self.trackers[token]
            if state == "paid":
                tracker.state = ENDED
                tracker.paid_paisa = tracker.amount_paisa if amount_paisa is None else amount_paisa
            elif state == "failed":
                tracker.state = CANCELLED
            else:
                raise ValueError(f"state is 'paid' or 'failed', not {state!r}")
        return "POST", tracker.redirect_url, self.return_fields(tracker)

    def return_fields(self, tracker: Tracker) -> dict:
        """The fields Safepay's page POSTs to redirect_url when the patient comes back."""
        return {
            "tracker": tracker.token,
            "token": tracker.token,
            "reference": tracker.reference,
            "order_id": tracker.order_id,
            "sig": sign_tracker(tracker.token, self.secret_key),
        }

    def notification(self, reference: str, *, state: str = "paid") -> tuple[bytes, dict]:
        """The body and headers of Safepay's webhook about our payment `reference`, signed as Safepay signs it."""
        tracker = self.tracker_for(reference)
        metadata = {"order_id": tracker.order_id, "source": tracker.source}
        if state == "paid":
            paid = tracker.paid_paisa or tracker.amount_paisa
            fee = paid * 3 // 100
            notification = {
                "tracker": tracker.token,
                "reference": tracker.reference,
                "intent": "CYBERSOURCE",
                "fee": rupees(fee),
                "net": rupees(paid - fee),
                "user": "patient@example.com",
                "state": "PAID",
                "amount": rupees(paid),
                "currency": "PKR",
                "metadata": metadata,
            }
            kind = "payment:created"
        elif state == "failed":
            notification = {
                "tracker": tracker.token,
                "intent": "CYBERSOURCE",
                "message": "55 : Incorrect OTP",
                "metadata": metadata,
            }
            kind = "error:occurred"
        elif state == "refunded":
            notification = {
                "tracker": tracker.token,
                "intent": "CYBERSOURCE",
                "user": "patient@example.com",
                "state": "REFUNDED",
                "amount": rupees(tracker.refunded_paisa or tracker.paid_paisa),
                "balance": "0",
                "currency": "PKR",
                "metadata": metadata,
            }
            kind = "refund:created"
        else:
            raise ValueError(f"state is 'paid', 'failed' or 'refunded', not {state!r}")
        data = {
            "token": uuid.uuid4().hex[:20].upper(),
            "client_id": self.api_key,
            "type": kind,
            "endpoint": "https://aspire.example/payments/safepay/notify/",
            "notification": notification,
            "delivery_attempts": 1,
            "resource": "notification",
            "next_attempt_at": "2026-12-07T09:05:33Z",
            "created_at": "2026-12-07T09:05:34Z",
        }
        # Safepay's servers are Node: the body is JSON.stringify's compact form.
        body = json.dumps({"data": data}, separators=(",", ":"), ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json", "X-SFPY-Signature": sign_webhook(data, self.webhook_secret)}

    # --- answers ---

    def _init(self, request: Recorded) -> tuple[int, dict]:
        value = request.json or {}
        if value.get("client") != self.api_key:
            return 401, _envelope(None, "invalid client")
        amount = value.get("amount")
        if not isinstance(amount, int | float) or amount <= 0:
            return 400, _envelope(None, "amount must be greater than 0")
        if value.get("currency") != "PKR" or value.get("environment") not in {"sandbox", "production"}:
            return 400, _envelope(None, "invalid currency or environment")
        token = f"track_{uuid.uuid4()}"
        paisa = int(Decimal(str(amount)) * 100)
        with self._lock:
            self.trackers[token] = Tracker(token=token, amount_paisa=paisa, environment=value["environment"])
        return 200, _envelope(
            {
                "token": token,
                "client": self.api_key,
                "environment": value["environment"],
                "state": STARTED,
                "state_reason": "",
                "amount": amount,
                "currency": "PKR",
            }
        )

    def _authorised(self, request: Recorded) -> bool:
        given = request.headers.get("x-sfpy-merchant-secret", "")
        return hmac.compare_digest(given.encode(), self.secret_key.encode())

    def _tracker_answer(self, tracker: Tracker) -> dict:
        shown = tracker.paid_paisa if tracker.state != STARTED and tracker.paid_paisa else tracker.amount_paisa
        return {
            "token": tracker.token,
            "client": self.api_key,
            "environment": tracker.environment,
            "state": tracker.state,
            "metadata": {"order_id": tracker.order_id, "source": tracker.source} if tracker.order_id else {},
            "purchase_totals": {"quote_amount": {"amount": shown, "currency": "PKR"}},
        }

    def _reporter(self, request: Recorded, token: str) -> tuple[int, dict]:
        if not self._authorised(request):
            return 401, _envelope(None, "unauthorized")
        tracker = self.trackers.get(token)
        if tracker is None:
            return 404, _envelope(None, "tracker not found")
        return 200, _envelope({"tracker": self._tracker_answer(tracker)})

    def _refund(self, request: Recorded, token: str) -> tuple[int, dict]:
        if not self._authorised(request):
            return 401, _envelope(None, "unauthorized")
        with self._lock:
            tracker = self.trackers.get(token)
            if tracker is None:
                return 404, _envelope(None, "tracker not found")
            amount = (request.json or {}).get("amount")
            if tracker.state not in {ENDED, PARTIAL_REFUND}:
                return 400, _envelope(None, f"tracker is {tracker.state}: nothing to refund")
            if not isinstance(amount, int) or not 0 < amount <= tracker.paid_paisa - tracker.refunded_paisa:
                return 400, _envelope(None, "invalid refund amount")
            tracker.refunded_paisa += amount
            tracker.state = REFUNDED if tracker.refunded_paisa == tracker.paid_paisa else PARTIAL_REFUND
            self.refunds.append((tracker.order_id, amount))
            refund = {"token": f"refund_{uuid.uuid4()}", "tracker": token, "amount": amount, "currency": "PKR"}
        return 200, _envelope({"refund": refund, "tracker": self._tracker_answer(tracker)})

    def _checkout_page(self, request: Recorded) -> tuple[int, str]:
        query = request.query
        tracker = self.trackers.get(query.get("beacon", ""))
        missing = [k for k in ("beacon", "env", "order_id", "redirect_url", "cancel_url") if not query.get(k)]
        if tracker is None or missing or query["env"] != tracker.environment:
            return 400, _page("Safepay: this payment link is not valid", "<p>Invalid or expired checkout.</p>")
        with self._lock:
            tracker.order_id = query["order_id"]
            tracker.source = query.get("source", "custom")
            tracker.redirect_url = query["redirect_url"]
            tracker.cancel_url = query["cancel_url"]
            tracker.reference = tracker.reference or str(100000 + len(self.trackers))
        amount = html.escape(rupees(tracker.amount_paisa))
        beacon = html.escape(tracker.token)
        return 200, _page(
            "Safepay Checkout",
            f'<p>Pay <strong id="amount">PKR {amount}</strong> for order {html.escape(tracker.order_id)}</p>'
            f'<form method="post" action="/checkout/pay/decide">'
            f'<input type="hidden" name="beacon" value="{beacon}">'
            '<button type="submit" name="decision" value="pay">Pay</button> '
            '<button type="submit" name="decision" value="cancel">Cancel</button></form>',
        )

    def _decide(self, request: Recorded) -> tuple[int, str, dict]:
        """The page's buttons: pay sends the signed fields back to redirect_url, cancel goes to cancel_url."""
        tracker = self.trackers.get(request.form.get("beacon", ""))
        if tracker is None or not tracker.redirect_url:
            return 400, _page("Safepay: this payment link is not valid", "<p>Invalid checkout.</p>"), {}
        if request.form.get("decision") == "cancel":
            return 302, "", {"Location": tracker.cancel_url}
        with self._lock:
            tracker.state = ENDED
            tracker.paid_paisa = tracker.amount_paisa
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in self.return_fields(tracker).items()
        )
        return (
            200,
            _page(
                "Safepay: payment received",
                f'<form id="back" method="post" action="{html.escape(tracker.redirect_url)}">{inputs}'
                '<button type="submit">Return to the merchant</button></form>'
                '<script>document.getElementById("back").submit()</script>',
            ),
            {},
        )

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _send(self, status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _handle(self):
                request = read_request(self)
                parts = urlsplit(self.path)
                with standin._lock:
                    standin.requests.append(request)
                path, method = parts.path, self.command
                if path.startswith("/checkout/"):
                    if method == "GET" and path == "/checkout/pay":
                        status, page = standin._checkout_page(request)
                        return self._send(status, page.encode(), "text/html; charset=utf-8")
                    if method == "POST" and path == "/checkout/pay/decide":
                        status, page, headers = standin._decide(request)
                        return self._send(status, page.encode(), "text/html; charset=utf-8", headers)
                    return self._send(404, b"Not found", "text/plain")
                with standin._lock:
                    failing, standin._failing = standin._failing > 0, max(standin._failing - 1, 0)
                    stall, standin._stall = standin._stall, 0.0
                if stall:
                    time.sleep(stall)
                if failing:
                    return self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
                if method == "POST" and path == "/order/v1/init":
                    status, answer = standin._init(request)
                elif method == "GET" and path.startswith("/reporter/api/v1/payments/"):
                    status, answer = standin._reporter(request, path.rsplit("/", 1)[1])
                elif method == "POST" and path.startswith("/order/payments/v3/") and path.endswith("/refund"):
                    status, answer = standin._refund(request, path.split("/")[4])
                else:
                    status, answer = 404, _envelope(None, "no such endpoint in the stand-in")
                self._send(status, json.dumps(answer).encode(), "application/json")

            do_GET = do_POST = _handle

        return Handler


def _page(title: str, content: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )


@pytest.fixture
def safepay_standin(settings):
    """A Safepay stand-in, with the site's Safepay settings pointed at it and filled with its test credentials."""
    standin = SafepayStandIn().start()
    settings.ASPIRE_SAFEPAY_URL = standin.url
    settings.ASPIRE_SAFEPAY_CHECKOUT_URL = standin.checkout_url
    settings.ASPIRE_SAFEPAY_API_KEY = standin.api_key
    settings.ASPIRE_SAFEPAY_SECRET_KEY = standin.secret_key
    settings.ASPIRE_SAFEPAY_WEBHOOK_SECRET = standin.webhook_secret
    settings.ASPIRE_SAFEPAY_ENVIRONMENT = "sandbox"
    yield standin
    standin.stop()
