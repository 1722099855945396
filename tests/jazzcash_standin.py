"""
A local stand-in for JazzCash's payment gateway: the hosted checkout page ("Page
Redirection", pp_Version 1.1) a patient's browser posts our form to, the Status Inquiry API
and the two refund APIs (mobile wallet, card). A small threaded HTTP server on 127.0.0.1 that
checks the merchant's credentials and pp_SecureHash on everything it receives, as JazzCash
does, and keeps its own books: which of our references were paid, for how much, how (wallet
or card), and which were refunded.

    method, url, data = jazzcash_standin.pay(checkout)          # the patient pays
    method, url, data = jazzcash_standin.pay(checkout, state="failed")

The hash is computed here from JazzCash's published rule (Sandbox Documentation v4.2,
Features > Hashing Scheme), independently of bookings/payments/jazzcash.py, so that a mistake
there shows here. The answer codes are JazzCash's (Sandbox Documentation, Resources > Response
Codes). JazzCash documents no server-to-server notification this checkout sends in a format
it publishes (its IPN is a SOAP service for vouchers, whose message is not public), so
`notification()` raises NotImplementedError.
"""

import dataclasses
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.standin import Recorded, read_request

MERCHANT_ID = "MC10437"
PASSWORD = "z2x0w9v8u1"
INTEGRITY_SALT = "8t4s1r3q2p"
MPIN = "1234"

CHECKOUT_PATH = "/CustomerPortal/transactionmanagement/merchantform/"
# Where the hosted page's Pay and Cancel buttons post: the stand-in's own, not a JazzCash path.
DECIDE_PATH = "/CustomerPortal/transactionmanagement/standin/decide/"
INQUIRY_PATH = "/ApplicationAPI/API/PaymentInquiry/Inquire"
WALLET_REFUND_PATH = "/ApplicationAPI/API/Purchase/domwalletrefundtransaction"
CARD_REFUND_PATH = "/ApplicationAPI/API/authorize/Refund"

# JazzCash's response codes and messages (Resources > Response Codes).
MESSAGES = {
    "000": "Thank you for Using JazzCash, your transaction was successful.",
    "101": "Invalid merchant credentials.",
    "109": "Transaction does not exist",
    "110": "Invalid value for pp_Amount.",
    "112": "Transaction Cancelled by User.",
    "115": "Invalid hash received.",
    "121": "Transaction has been marked confirmed by Merchant.",
    "132": "Sorry! The selected transaction cannot be refunded",
    "157": "Transaction is pending.",
}
# What a payment's state reads as: the code the browser brings back, and the code and pp_Status
# the inquiry gives (an inquiry of a completed payment answers 121, as JazzCash's do).
RETURN_CODES = {"paid": "000", "failed": "112", "pending": "157"}
INQUIRY_CODES = {"paid": ("121", "Completed"), "failed": ("112", "Failed"), "pending": ("157", "Pending")}
CHECKOUT_FIELDS = (
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
    "pp_BillReference",
    "pp_Description",
    "pp_TxnExpiryDateTime",
    "pp_ReturnURL",
    "pp_SecureHash",
    "ppmpf_1",
    "ppmpf_2",
    "ppmpf_3",
    "ppmpf_4",
    "ppmpf_5",
)


def jazzcash_hash(fields: dict, salt: str = INTEGRITY_SALT) -> str:
    """pp_SecureHash as JazzCash computes it: HMAC-SHA256(salt, salt&v1&v2...) over the non-empty pp fields."""
    values = [
        str(fields[name])
        for name in sorted(fields)
        if name.lower().startswith("pp") and name != "pp_SecureHash" and fields[name] not in ("", None)
    ]
    return hmac.new(salt.encode(), "&".join([salt, *values]).encode(), hashlib.sha256).hexdigest().upper()


def signed(fields: dict) -> dict:
    return {**fields, "pp_SecureHash": jazzcash_hash(fields)}


def hash_is_good(fields: dict) -> bool:
    given = fields.get("pp_SecureHash")
    return isinstance(given, str) and hmac.compare_digest(given.upper(), jazzcash_hash(fields))


@dataclasses.dataclass
class Transaction:
    """One of our references, as JazzCash's books hold it."""

    reference: str
    amount_paisa: int
    return_url: str
    request: dict
    state: str = "pending"  # pending | paid | failed
    txn_type: str = "MWALLET"
    retrieval_ref: str = ""
    refunded: bool = False


@dataclasses.dataclass
class Form:
    action: str
    fields: dict
    buttons: list


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form is None:
            self.form = Form(action=attrs.get("action", ""), fields={}, buttons=[])
        elif tag == "input" and self.form is not None and attrs.get("name"):
            self.form.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self.form is not None:
            self.form.buttons.append("")

    def handle_data(self, data):
        if self.form is not None and self.form.buttons and self.lasttag == "button" and data.strip():
            self.form.buttons[-1] += data.strip()


def form_of(page: str) -> Form:
    """Read the first form of an HTML page: its action, its hidden fields and its buttons' labels."""
    reader = _FormReader()
    reader.feed(page)
    assert reader.form is not None, "no form on the page"
    return reader.form


class JazzCashStandIn:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.refunds: list[tuple[str, int]] = []
        self.books: dict[str, Transaction] = {}
        self._sessions: dict[str, str] = {}  # the hosted page's session token -> our reference
        self._failures = 0
        self._tamper = 0
        self._slow = 0.0
        self._rrn = itertools.count(int(time.time()) % 10**6 * 10**6)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "JazzCashStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests ask of it ---

    def fail_next(self, n: int = 1) -> None:
        """Make the next `n` API calls (inquiry, refunds) answer 500."""
        self._failures += n

    def tamper_next(self) -> None:
        """Make the next API answer carry a hash that does not match its fields."""
        self._tamper += 1

    def slow_next(self, *, seconds: float) -> None:
        """Make the next API call wait `seconds` before answering."""
        self._slow = seconds

    def forget(self, reference: str) -> None:
        """JazzCash has no record of `reference`: an inquiry answers 109 (Transaction does not exist)."""
        self.books.pop(reference, None)

    def pay(self, checkout, *, state: str = "paid", amount_paisa: int | None = None, txn_type: str = "MWALLET"):
        """
        Do what the patient does on the hosted page for `checkout` (a base.Checkout): land on it
        (its signature checked), then pay ("paid"), cancel ("failed") or leave the payment
        "pending" (a wallet payment awaiting the patient's approval). Return what the browser
        then posts to the return URL: ("POST", pp_ReturnURL, the signed response fields).
        """
        assert checkout.method == "POST" and urlsplit(checkout.url).path == CHECKOUT_PATH, checkout
        error = self._land(dict(checkout.fields))
        assert error is None, error
        return (
            "POST",
            checkout.fields["pp_ReturnURL"],
            self._decide(checkout.fields["pp_TxnRefNo"], state, amount_paisa=amount_paisa, txn_type=txn_type),
        )

    def notification(self, reference: str, *, state: str = "paid") -> tuple[bytes, dict]:
        """JazzCash sends no notification of this checkout in a published format: see the module's docstring."""
        raise NotImplementedError("JazzCash's IPN (a SOAP service for vouchers) has no published message format")

    # --- the hosted page ---

    def _land(self, fields: dict) -> str | None:
        """Check a checkout form as the hosted page does and open a transaction; return an error, or None."""
        if fields.get("pp_MerchantID") != MERCHANT_ID or fields.get("pp_Password") != PASSWORD:
            return "101"
        if not hash_is_good(fields):
            return "115"
        reference = fields.get("pp_TxnRefNo", "")
        if not re.fullmatch(r"[A-Za-z0-9]{1,20}", reference):
            return "110"
        if not re.fullmatch(r"[0-9]+", fields.get("pp_Amount", "")) or fields.get("pp_TxnCurrency") != "PKR":
            return "110"
        if fields.get("pp_Version") != "1.1" or not fields.get("pp_ReturnURL"):
            return "110"
        for stamp in ("pp_TxnDateTime", "pp_TxnExpiryDateTime"):
            if not re.fullmatch(r"[0-9]{14}", fields.get(stamp, "")):
                return "110"
        with self._lock:
            self.books.setdefault(
                reference,
                Transaction(
                    reference=reference,
                    amount_paisa=int(fields["pp_Amount"]),
                    return_url=fields["pp_ReturnURL"],
                    request=fields,
                ),
            )
        return None

    def _decide(self, reference: str, state: str, *, amount_paisa: int | None = None, txn_type: str = "MWALLET"):
        assert state in RETURN_CODES, state
        with self._lock:
            txn = self.books[reference]
            txn.state = state
            txn.txn_type = txn_type
            if amount_paisa is not None:
                txn.amount_paisa = amount_paisa
            txn.retrieval_ref = f"{next(self._rrn):012d}"
        request = txn.request
        code = RETURN_CODES[state]
        # The fields JazzCash posts back to pp_ReturnURL; empty ones travel empty and stay out of the hash.
        return signed(
            {
                "pp_Amount": str(txn.amount_paisa),
                "pp_AuthCode": f"{secrets.randbelow(10**6):06d}" if state == "paid" else "",
                "pp_BankID": "",
                "pp_BillReference": request.get("pp_BillReference", ""),
                "pp_Language": "EN",
                "pp_MerchantID": MERCHANT_ID,
                "pp_ResponseCode": code,
                "pp_ResponseMessage": MESSAGES[code],
                "pp_RetreivalReferenceNo": txn.retrieval_ref,
                "pp_SubMerchantID": "",
                "pp_TxnCurrency": "PKR",
                "pp_TxnDateTime": request.get("pp_TxnDateTime", ""),
                "pp_TxnRefNo": reference,
                "pp_TxnType": txn_type,
                "pp_Version": "1.1",
                "ppmpf_1": request.get("ppmpf_1", ""),
                "ppmpf_2": "",
                "ppmpf_3": "",
                "ppmpf_4": "",
                "ppmpf_5": "",
            }
        )

    def _checkout_page(self, fields: dict) -> tuple[int, str]:
        error = self._land(fields)
        if error:
            return 400, _page("Payment error", f"<p>{html.escape(error)}: {html.escape(MESSAGES.get(error, ''))}</p>")
        session = secrets.token_urlsafe(12)
        self._sessions[session] = fields["pp_TxnRefNo"]
        amount = int(fields["pp_Amount"])
        body = (
            f"<p>Merchant {html.escape(MERCHANT_ID)}</p>"
            f"<p>{html.escape(fields.get('pp_Description', ''))}</p>"
            f"<p>Amount: PKR {amount // 100:,}.{amount % 100:02d}</p>"
            f'<form method="post" action="{DECIDE_PATH}">'
            f'<input type="hidden" name="session" value="{session}">'
            '<button type="submit" name="decision" value="pay">Pay</button> '
            '<button type="submit" name="decision" value="cancel">Cancel</button>'
            "</form>"
        )
        return 200, _page("JazzCash", body)

    def _decide_page(self, form: dict) -> tuple[int, str]:
        reference = self._sessions.pop(form.get("session", ""), None)
        if reference is None or form.get("decision") not in {"pay", "cancel"}:
            return 400, _page("Payment error", "<p>This payment session has ended.</p>")
        data = self._decide(reference, "paid" if form["decision"] == "pay" else "failed")
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in data.items()
        )
        body = (
            f'<form id="back" method="post" action="{html.escape(self.books[reference].return_url)}">{inputs}'
            '<button type="submit">Return to the merchant</button></form>'
            '<script>document.getElementById("back").submit();</script>'
        )
        return 200, _page("Returning to the merchant", body)

    # --- the APIs ---

    def _api(self, path: str, body: dict) -> dict:
        if body.get("pp_MerchantID") != MERCHANT_ID or body.get("pp_Password") != PASSWORD:
            return {"pp_ResponseCode": "101", "pp_ResponseMessage": MESSAGES["101"]}
        if not hash_is_good(body):
            return {"pp_ResponseCode": "115", "pp_ResponseMessage": MESSAGES["115"]}
        txn = self.books.get(body.get("pp_TxnRefNo", ""))
        if path == INQUIRY_PATH:
            return self._inquiry(txn)
        return self._refund(path, txn, body)

    def _inquiry(self, txn: Transaction | None) -> dict:
        if txn is None:
            return signed({"pp_ResponseCode": "109", "pp_ResponseMessage": MESSAGES["109"]})
        code, status = INQUIRY_CODES[txn.state]
        return signed(
            {
                "pp_ResponseCode": "000",
                "pp_ResponseMessage": "Successful",
                "pp_PaymentResponseCode": code,
                "pp_PaymentResponseMessage": MESSAGES[code],
                "pp_Status": status,
                "pp_TxnRefNo": txn.reference,
                "pp_Amount": str(txn.amount_paisa),
                "pp_TxnType": txn.txn_type if txn.state != "pending" else "",
                "pp_RetreivalReferenceNo": txn.retrieval_ref,
                "pp_AuthCode": "",
                "pp_SettlementExpiry": None,
            }
        )

    def _refund(self, path: str, txn: Transaction | None, body: dict) -> dict:
        if txn is None:
            return signed({"pp_ResponseCode": "109", "pp_ResponseMessage": MESSAGES["109"]})
        wallet = path == WALLET_REFUND_PATH
        if wallet and body.get("pp_MerchantMPIN") != MPIN:
            return signed({"pp_ResponseCode": "101", "pp_ResponseMessage": MESSAGES["101"]})
        amount = body.get("pp_Amount", "")
        if not re.fullmatch(r"[0-9]+", amount) or int(amount) > txn.amount_paisa or body.get("pp_TxnCurrency") != "PKR":
            return signed({"pp_ResponseCode": "110", "pp_ResponseMessage": MESSAGES["110"]})
        if txn.state != "paid" or txn.refunded or (txn.txn_type == "MWALLET") != wallet:
            return signed({"pp_ResponseCode": "132", "pp_ResponseMessage": MESSAGES["132"]})
        with self._lock:
            txn.refunded = True
            self.refunds.append((txn.reference, int(amount)))
        return signed(
            {
                "pp_ResponseCode": "000",
                "pp_ResponseMessage": MESSAGES["000"],
                "pp_TxnRefNo": txn.reference,
                "pp_RetreivalReferenceNo": f"{next(self._rrn):012d}",
            }
        )

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _answer(self, status: int, content_type: str, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_POST(self):
                request = read_request(self)
                path = request.path
                with standin._lock:
                    standin.requests.append(request)

                if path == CHECKOUT_PATH:
                    status, page = standin._checkout_page(request.form)
                    return self._answer(status, "text/html; charset=utf-8", page.encode())
                if path == DECIDE_PATH:
                    status, page = standin._decide_page(request.form)
                    return self._answer(status, "text/html; charset=utf-8", page.encode())
                if path not in {INQUIRY_PATH, WALLET_REFUND_PATH, CARD_REFUND_PATH}:
                    return self._answer(404, "text/html", b"<html><body>Not Found</body></html>")

                with standin._lock:
                    slow, standin._slow = standin._slow, 0.0
                    fail = standin._failures > 0
                    standin._failures -= fail
                    tamper = standin._tamper > 0 and not fail
                    standin._tamper -= tamper
                if slow:
                    time.sleep(slow)
                if fail:
                    return self._answer(500, "text/html", b"<html><body>Internal Server Error</body></html>")
                if not isinstance(request.json, dict):
                    return self._answer(400, "application/json", b'{"Message":"The request is invalid."}')
                answer = standin._api(path, request.json)
                if tamper:
                    answer = {**answer, "pp_ResponseMessage": answer.get("pp_ResponseMessage", "") + "!"}
                return self._answer(200, "application/json; charset=utf-8", json.dumps(answer).encode())

        return Handler


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


@pytest.fixture
def jazzcash_standin(settings):
    """Start the JazzCash stand-in, point the site's JazzCash settings at it, and stop it afterwards."""
    server = JazzCashStandIn().start()
    settings.ASPIRE_JAZZCASH_URL = server.url
    settings.ASPIRE_JAZZCASH_MERCHANT_ID = MERCHANT_ID
    settings.ASPIRE_JAZZCASH_PASSWORD = PASSWORD
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = INTEGRITY_SALT
    settings.ASPIRE_JAZZCASH_MPIN = MPIN
    yield server
    server.stop()
