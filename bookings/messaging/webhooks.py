"""
The providers' webhooks: delivery statuses and patients' replies, each request signed.

A view checks the signature, turns the payload into plain events (bookings.messaging.channels.StatusEvent,
InboundEvent), hands them to the outbox and answers 200 at once. A request without a valid
signature is answered 403 and nothing is handed over.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bookings.messaging import inbound
from bookings.messaging.channels import InboundEvent, StatusEvent
from bookings.models import MessageChannel
from bookings.phones import InvalidPhone, normalize_phone

logger = logging.getLogger(__name__)

WHATSAPP_STATUSES = {"sent", "delivered", "read", "failed"}
# Twilio's message statuses (twilio.com/docs/messaging/api/message-resource#message-status-values):
# the ones before "sent" say nothing the outbox needs; "undelivered" is a failure like "failed".
TWILIO_STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
}


# --- WhatsApp --------------------------------------------------------------------------------


def whatsapp_signature_valid(*, body: bytes, header: str, app_secret: str) -> bool:
    """Whether X-Hub-Signature-256 is "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    if not app_secret or not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


def _at(timestamp) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


# What a payload may hold, checked before anything of it reaches a query: a provider's id is short
# printable ASCII (PostgreSQL refuses a NUL; Message.provider_message_id holds 128), an error code
# a few digits, a patient's text or button payload a bounded string without NUL.
PROVIDER_ID = re.compile(r"[\x21-\x7e]{1,128}")
ERROR_CODE = re.compile(r"[0-9]{1,9}")
TEXT_MAX_CHARS = 4096


def _id(value) -> str | None:
    return value if isinstance(value, str) and PROVIDER_ID.fullmatch(value) else None


def _code(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value) if 0 <= value < 10**9 else ""
    return int(value) if isinstance(value, str) and ERROR_CODE.fullmatch(value) else None


def _text(value) -> str | None:
    if not isinstance(value, str):
        return None
    return value[:TEXT_MAX_CHARS].replace("\x00", "")


def _phone(value) -> str | None:
    """The sender's number as E.164, or None if it is not a phone number (never logged: it may be one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > 32:
        return None
    try:
        return normalize_phone("+" + value.removeprefix("+"))
    except InvalidPhone:
        return None


class Shape:
    """
    Walk a provider's payload, taking only the items of the shape it documents: `items` yields
    the dicts of a list; anything else in their place is noted in `skipped` by where it was
    (entry[0].changes[1]...), never by what it held, for one log line per request.
    """

    def __init__(self):
        self.skipped: list[str] = []

    def skip(self, where: str) -> None:
        self.skipped.append(where)

    def items(self, value, where: str) -> Iterator[tuple[dict, str]]:
        if value is None:
            return
        if not isinstance(value, list):
            self.skip(where)
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield item, f"{where}[{index}]"
            else:
                self.skip(f"{where}[{index}]")

    def mapping(self, value, where: str) -> dict:
        """The dict at `where`; an empty one if it is absent or (noted) something else."""
        if isinstance(value, dict):
            return value
        if value is not None:
            self.skip(where)
        return {}

    def log(self, provider: str) -> None:
        if self.skipped:
            logger.warning(
                "%s webhook: skipped %s item(s) not of the documented shape: %s%s",
                provider, len(self.skipped), ", ".join(self.skipped[:10]), "..." if len(self.skipped) > 10 else "",
            )  # fmt: skip


def _whatsapp_status(status: dict, where: str, shape: Shape) -> StatusEvent | None:
    provider_id, state = _id(status.get("id")), status.get("status")
    if not isinstance(state, str):
        shape.skip(where)
        return None
    if state not in WHATSAPP_STATUSES:
        return None  # "deleted", "warning"...: nothing the outbox follows
    if provider_id is None:
        shape.skip(where)
        return None
    code = None
    errors = status.get("errors")
    if errors is not None:
        # A failure whose error can't be read is still a failure: applied without its code.
        first = next(shape.items(errors, f"{where}.errors"), ({}, ""))[0]
        code = _code(first.get("code"))
    return StatusEvent(provider_id=provider_id, status=state, at=_at(status.get("timestamp")), error_code=code)


def _whatsapp_inbound(message: dict, where: str, shape: Shape) -> InboundEvent | None:
    sender, provider_id = _phone(message.get("from")), _id(message.get("id"))
    if sender is None or provider_id is None:
        shape.skip(where)
        return None
    kind = message.get("type")
    text, payload = "", None
    if kind == "text":  # a patient's own words
        text = _text(shape.mapping(message.get("text"), f"{where}.text").get("body"))
    elif kind == "button":  # a template's quick reply
        button = shape.mapping(message.get("button"), f"{where}.button")
        text, payload = _text(button.get("text", "")), _text(button.get("payload"))
    elif kind == "interactive":  # a reply button or list row of a free-form message
        interactive = shape.mapping(message.get("interactive"), f"{where}.interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        reply = shape.mapping(reply, f"{where}.interactive.reply")
        text, payload = _text(reply.get("title", "")), _text(reply.get("id"))
    if text is None or (kind in ("button", "interactive") and payload is None):
        shape.skip(where)
        return None
    context = shape.mapping(message.get("context"), f"{where}.context")
    return InboundEvent(
        from_e164=sender,
        text=text,
        button_payload=payload,
        at=_at(message.get("timestamp")),
        provider_id=provider_id,
        channel=MessageChannel.WHATSAPP,
        reply_to=_id(context.get("id")),
    )


def parse_whatsapp(payload: dict, shape: Shape | None = None) -> tuple[list[StatusEvent], list[InboundEvent]]:
    """
    Return the statuses and the patients' messages in a Cloud API `messages` webhook, in payload
    order. An item not of the shape Meta documents is left out (and noted in `shape`); the
    others are all returned.
    """
    shape = shape or Shape()
    statuses, replies = [], []
    for entry, at in shape.items(payload.get("entry"), "entry"):
        for change, where in shape.items(entry.get("changes"), f"{at}.changes"):
            if change.get("field") != "messages":
                continue
            value = shape.mapping(change.get("value"), f"{where}.value")
            for status, place in shape.items(value.get("statuses"), f"{where}.value.statuses"):
                if event := _whatsapp_status(status, place, shape):
                    statuses.append(event)
            for message, place in shape.items(value.get("messages"), f"{where}.value.messages"):
                if event := _whatsapp_inbound(message, place, shape):
                    replies.append(event)
    return statuses, replies


# Meta: a webhook's payload is at most 3 MB. Read no more than that, and before the signature
# is checked (the HMAC costs a pass over the body).
MAX_BODY_BYTES = 3 * 1024 * 1024
# Meta's `messages` payloads nest 7 deep (entry, changes, value, statuses, errors, error_data).
MAX_NESTING = 32

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_ALL_BUT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_over(body: bytes, limit: int) -> bool:
    """
    Whether the JSON in `body` nests deeper than `limit` (or its brackets don't pair, which is
    not JSON either), found without recursion and before parsing: json.loads recurses once per
    level, and 100,000 `[` were a RecursionError. The strings are dropped, then the brackets'
    innermost pairs removed one level at a time, `limit` times at most.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _ALL_BUT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        inner = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(inner) == len(brackets):
            return True  # no pair left to remove: the brackets don't pair
        brackets = inner
    return bool(brackets)


def _read_body(request: HttpRequest) -> bytes | None:
    """The request's body, or None if it is over MAX_BODY_BYTES (told by its length, or found reading)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    # Read here rather than through request.body, whose cap (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB)
    # is below what Meta may send.
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _whatsapp_handshake(request)
    body = _read_body(request)
    if body is None:
        return HttpResponse("Too large", status=413, content_type="text/plain")
    if not whatsapp_signature_valid(
        body=body,
        header=request.headers.get("X-Hub-Signature-256", ""),
        app_secret=settings.ASPIRE_WHATSAPP_APP_SECRET,
    ):
        return HttpResponseForbidden("Bad signature", content_type="text/plain")
    # Signed, so Meta's: whatever it holds, the answer is 200 (a 4xx or 5xx would have it sent
    # again and again for days), and what can't be read is logged.
    payload = None
    if nesting_over(body, MAX_NESTING):
        logger.warning("WhatsApp webhook: a signed body nested over %s deep", MAX_NESTING)
        return HttpResponse("OK", content_type="text/plain")
    with contextlib.suppress(ValueError):  # not JSON, not UTF-8, or a number too long for int()
        payload = json.loads(body)
    if not isinstance(payload, dict):
        logger.warning("WhatsApp webhook: a signed body that is not a JSON object")
        return HttpResponse("OK", content_type="text/plain")
    shape = Shape()
    statuses, replies = parse_whatsapp(payload, shape)
    shape.log("WhatsApp")
    _hand_over(statuses, replies)
    return HttpResponse("OK", content_type="text/plain")


def _whatsapp_handshake(request: HttpRequest) -> HttpResponse:
    """Answer Meta's check when the webhook is set up: echo hub.challenge if hub.verify_token is ours."""
    expected = settings.ASPIRE_WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") == "subscribe"
        and expected
        and hmac.compare_digest(given.encode(), expected.encode())
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponseForbidden("Bad verify token", content_type="text/plain")


# --- Twilio ----------------------------------------------------------------------------------


def twilio_signature_valid(request: HttpRequest) -> bool:
    """
    Whether X-Twilio-Signature signs this request with our auth token. Twilio signs the URL it
    called; build_absolute_uri() gives it back behind nginx (scheme from SECURE_PROXY_SSL_HEADER,
    host from the Host header nginx passes on).
    """
    from twilio.request_validator import RequestValidator  # here: the twilio package slows every start (channels)

    token = settings.ASPIRE_TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(request.build_absolute_uri(), request.POST, signature)


def parse_twilio(form) -> tuple[list[StatusEvent], list[InboundEvent]]:
    """
    Return the status (a status callback) or the patient's message (an incoming SMS) in Twilio's
    form; nothing for a form not of the shape Twilio documents (logged, without the number).
    """
    sid = _id(form.get("MessageSid") or form.get("SmsSid") or "")
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    # Twilio says when nothing happened: the time we hear of it is the best there is.
    now = timezone.now()
    if sid is None:
        if status:
            logger.warning("Twilio webhook: a %r form without a readable message sid", status[:20])
        return [], []
    if status == "received":
        sender, text = _phone(form.get("From", "")), _text(form.get("Body", ""))
        if sender is None:
            logger.warning("Twilio webhook: skipped message %s, not from a phone number", sid)
            return [], []
        opted_out = form.get("OptOutType", "").upper() == "STOP"
        return [], [
            InboundEvent(
                from_e164=sender, text=text, button_payload=None, at=now, provider_id=sid,
                channel=MessageChannel.SMS, opted_out_by_provider=opted_out,
            )
        ]  # fmt: skip
    if status in TWILIO_STATUSES:
        code = _code(form.get("ErrorCode", ""))
        return [StatusEvent(provider_id=sid, status=TWILIO_STATUSES[status], at=now, error_code=code)], []
    return [], []


@csrf_exempt
@require_POST
def twilio(request: HttpRequest) -> HttpResponse:
    if not twilio_signature_valid(request):
        return HttpResponseForbidden("Bad signature", content_type="text/plain")
    statuses, replies = parse_twilio(request.POST)
    _hand_over(statuses, replies)
    # An empty TwiML answer: for an incoming SMS it means "no reply" (any reply goes through the outbox).
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml")


def _hand_over(statuses: list[StatusEvent], replies: list[InboundEvent]) -> None:
    if statuses:
        inbound.apply_statuses(statuses)
    if replies:
        inbound.handle_inbound(replies)
