"""
The providers' webhooks: delivery statuses and patients' replies, each request signed.

A view checks the signature, turns the payload into plain events (bookings.messaging.channels.StatusEvent,
InboundEvent), hands them to the outbox and answers 200 at once. A request without a valid
signature is answered 403 and nothing is handed over.
"""

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bookings.messaging import inbound
from bookings.messaging.channels import InboundEvent, StatusEvent

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


def _whatsapp_inbound(message: dict) -> InboundEvent:
    kind = message.get("type")
    text, payload = "", None
    if kind == "text":
        text = (message.get("text") or {}).get("body", "")
    elif kind == "button":  # a template's quick reply
        button = message.get("button") or {}
        text, payload = button.get("text", ""), button.get("payload")
    elif kind == "interactive":  # a reply button or list row of a free-form message
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        text, payload = reply.get("title", ""), reply.get("id")
    return InboundEvent(
        from_e164="+" + str(message.get("from", "")).lstrip("+"),
        text=text,
        button_payload=payload,
        at=_at(message.get("timestamp")),
        provider_id=str(message.get("id", "")),
        reply_to=(message.get("context") or {}).get("id"),
    )


def parse_whatsapp(payload: dict) -> tuple[list[StatusEvent], list[InboundEvent]]:
    """Return the statuses and the patients' messages in a Cloud API `messages` webhook, in payload order."""
    statuses, replies = [], []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            for status in value.get("statuses") or []:
                if status.get("status") not in WHATSAPP_STATUSES or not status.get("id"):
                    continue
                errors = status.get("errors") or [{}]
                code = errors[0].get("code")
                statuses.append(
                    StatusEvent(
                        provider_id=status["id"],
                        status=status["status"],
                        at=_at(status.get("timestamp")),
                        error_code=int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
                    )
                )
            for message in value.get("messages") or []:
                if message.get("from") and message.get("id"):
                    replies.append(_whatsapp_inbound(message))
    return statuses, replies


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _whatsapp_handshake(request)
    if not whatsapp_signature_valid(
        body=request.body,
        header=request.headers.get("X-Hub-Signature-256", ""),
        app_secret=settings.ASPIRE_WHATSAPP_APP_SECRET,
    ):
        return HttpResponseForbidden("Bad signature", content_type="text/plain")
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        # Signed, so Meta's; a 4xx would have it sent again and again for days.
        logger.warning("WhatsApp webhook: a signed body that is not a JSON object")
        return HttpResponse("OK", content_type="text/plain")
    statuses, replies = parse_whatsapp(payload)
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
    """Return the status (a status callback) or the patient's message (an incoming SMS) in Twilio's form."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    # Twilio says when nothing happened: the time we hear of it is the best there is.
    now = timezone.now()
    if not sid:
        return [], []
    if status == "received":
        return [], [
            InboundEvent(
                from_e164=form.get("From", ""), text=form.get("Body", ""), button_payload=None, at=now, provider_id=sid
            )
        ]
    if status in TWILIO_STATUSES:
        code = form.get("ErrorCode", "")
        error_code = int(code) if code.isdigit() else None
        return [StatusEvent(provider_id=sid, status=TWILIO_STATUSES[status], at=now, error_code=error_code)], []
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
