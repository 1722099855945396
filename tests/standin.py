"""
A local stand-in for Meta's Graph API (WhatsApp Cloud API), Twilio's REST API and a Pakistani
bulk-SMS gateway: a small threaded HTTP server on 127.0.0.1 that records every request and
answers as the providers document, success or a failure chosen per recipient number.

    standin.fail("+923001234567", NOT_ON_WHATSAPP)   # that number has no WhatsApp

Also: helpers that sign webhook calls the way Meta and Twilio do, and Meta's webhook payloads.
"""

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

GRAPH_VERSION = "v23.0"
GATEWAY_PATH = "/gateway/send"

# What a number can be made to do (standin.fail(number, ...)).
NOT_ON_WHATSAPP = "not_on_whatsapp"  # Meta 131026
RATE_LIMIT = "rate_limit"  # Meta 130429
PAIR_RATE_LIMIT = "pair_rate_limit"  # Meta 131056
TEMPLATE_MISSING = "template_missing"  # Meta 132001
INVALID_NUMBER = "invalid_number"  # Twilio 21211; the gateway's 400
SERVER_ERROR = "server_error"  # HTTP 500
TOO_MANY_REQUESTS = "too_many_requests"  # HTTP 429 (Meta code 4, Twilio 20429)
SLOW = "slow"  # answers after SLOW_SECONDS
NOT_JSON = "not_json"  # the gateway's 200 with a plain-text body
SLOW_SECONDS = 2.0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    json: dict | None = None
    form: dict = field(default_factory=dict)


def read_request(handler: BaseHTTPRequestHandler) -> Recorded:
    """
    What a stand-in received, as every stand-in here records it: the method, path, query, headers
    and body, with a JSON or form body read (a body that is not the JSON it says it is: json None).
    """
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    request = Recorded(
        method=handler.command,
        path=parts.path,
        query={k: v[0] for k, v in parse_qs(parts.query).items()},
        headers={k.lower(): v for k, v in handler.headers.items()},
        body=body,
    )
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            request.json = json.loads(body or b"null")
        except ValueError:
            request.json = None
    elif content_type.startswith("application/x-www-form-urlencoded"):
        request.form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    return request


def _meta_error(code: int, message: str, details: str) -> dict:
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AbCdEfGhIjKlMnOp",
        }
    }


def _twilio_error(code: int, status: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class StandIn:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.failures: dict[str, str] = {}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A slow answer's thread must not keep the test run from ending.
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for it, once per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/{GRAPH_VERSION}"

    @property
    def gateway_url(self) -> str:
        return self.url + GATEWAY_PATH

    def start(self) -> "StandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, number: str, how: str) -> None:
        """Make requests for `number` (E.164, or as the gateway spells it) fail as `how` says."""
        self.failures[number.lstrip("+")] = how

    def last(self) -> Recorded:
        return self.requests[-1]

    # --- answers ---

    def _failure(self, number: str | None) -> str | None:
        return self.failures.get((number or "").lstrip("+")) if number else None

    def answer_graph(self, request: Recorded) -> tuple[int, dict]:
        to = (request.json or {}).get("to")
        how = self._failure(to)
        if how == NOT_ON_WHATSAPP:
            return 400, _meta_error(131026, "Message undeliverable", "Unable to deliver message.")
        if how == RATE_LIMIT:
            return 400, _meta_error(
                130429,
                "Rate limit hit",
                "Message failed to send because there were too many messages sent from this phone number "
                "in a short period of time",
            )
        if how == PAIR_RATE_LIMIT:
            return 400, _meta_error(131056, "(Business Account, Consumer Account) pair rate limit hit", "Too many.")
        if how == TEMPLATE_MISSING:
            return 404, _meta_error(132001, "Template name does not exist in the translation", "template name")
        if how == TOO_MANY_REQUESTS:
            return 429, _meta_error(4, "Application request limit reached", "Too many calls")
        if how == SERVER_ERROR:
            return 500, {}
        digits = (to or "").lstrip("+")
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": digits}],
            "messages": [{"id": "wamid." + uuid.uuid4().hex.upper()}],
        }

    def answer_twilio(self, request: Recorded) -> tuple[int, dict]:
        to = request.form.get("To")
        how = self._failure(to)
        if how == INVALID_NUMBER:
            return 400, _twilio_error(21211, 400, f"Invalid 'To' Phone Number: {to}")
        if how == TOO_MANY_REQUESTS:
            return 429, _twilio_error(20429, 429, "Too Many Requests")
        if how == SERVER_ERROR:
            return 500, _twilio_error(20500, 500, "Internal Server Error")
        account = request.path.split("/")[3]
        sid = "SM" + uuid.uuid4().hex
        return 201, {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": request.form.get("Body"),
            "date_created": formatdate(usegmt=True),
            "date_sent": None,
            "date_updated": formatdate(usegmt=True),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": request.form.get("From"),
            "messaging_service_sid": request.form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def answer_gateway(self, request: Recorded) -> tuple[int, dict | bytes]:
        values = request.form or request.query
        to = values.get("to")
        how = self._failure(to)
        if how == INVALID_NUMBER:
            return 400, {"status": "error", "message": "Invalid number"}
        if how == TOO_MANY_REQUESTS:
            return 429, {"status": "error", "message": "Slow down"}
        if how == SERVER_ERROR:
            return 500, {}
        if how == NOT_JSON:
            return 200, b"Message queued"
        if values.get("api_key") != "gateway-key":
            # Like most of them: 200, with the error in the body.
            return 200, {"status": "error", "message": "Invalid API key"}
        return 200, {"status": "ok", "data": {"message_id": "gw-" + uuid.uuid4().hex[:12]}}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _handle(self):
                request = read_request(self)
                parts = urlsplit(self.path)
                with standin._lock:
                    standin.requests.append(request)
                number = (request.json or {}).get("to") or request.form.get("To") or request.form.get("to")
                if standin._failure(number or request.query.get("to")) == SLOW:
                    time.sleep(SLOW_SECONDS)
                if parts.path.startswith(f"/{GRAPH_VERSION}/"):
                    status, answer = standin.answer_graph(request)
                elif parts.path.startswith("/2010-04-01/Accounts/"):
                    status, answer = standin.answer_twilio(request)
                elif parts.path == GATEWAY_PATH:
                    status, answer = standin.answer_gateway(request)
                else:
                    status, answer = 404, {"error": "no such endpoint in the stand-in"}
                if isinstance(answer, bytes):
                    data, content_type = answer, "text/plain"
                elif status == 500 and not answer:
                    data, content_type = b"<html><body>Internal Server Error</body></html>", "text/html"
                else:
                    data, content_type = json.dumps(answer).encode(), "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _handle

        return Handler


# --- signing webhook calls as the providers do -----------------------------------------------


def whatsapp_signature(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header Meta sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def twilio_signature(url: str, params: dict, auth_token: str) -> str:
    """The X-Twilio-Signature header Twilio sends when it POSTs `params` to `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


def whatsapp_webhook(*, statuses=(), messages=(), phone_number_id: str = "106540352242922") -> dict:
    """A Cloud API `messages` webhook payload, as Meta documents it, carrying these statuses and messages."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "923095885076", "phone_number_id": phone_number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Patient"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_status(wamid: str, status: str, *, timestamp: int, recipient: str = "923001234567", error=None) -> dict:
    entry = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient}
    if status in {"sent", "delivered"}:
        entry["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "utility"}}
        entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    if error:
        code, title = error
        entry["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": title}},
        ]
    return entry
