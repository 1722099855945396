"""
The message providers: WhatsApp's Cloud API, and SMS through Twilio, a plain HTTP gateway
(the shape of Pakistani bulk-SMS providers) or the log (development).

Each send either returns the provider's message id or raises a ChannelError saying whether
trying again later can help (RetryableError: the network, a timeout, a 5xx, a rate limit) or
not (PermanentError, with the provider's code: not on WhatsApp, an invalid number, a template
Meta refuses). The outbox worker decides what to do next; nothing here retries or touches
the database.

What the providers report later (delivery statuses, replies) arrives at bookings.messaging.webhooks
and is handed over as the events defined here.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from bookings.messaging import whatsapp_templates

logger = logging.getLogger("bookings.messaging")

# (connect, read) seconds: a provider that doesn't answer must not hold a worker for long.
TIMEOUT = (3, 10)


class ChannelError(Exception):
    """A message was not accepted by its provider. `code` is the provider's error code, if it gave one."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class RetryableError(ChannelError):
    """Trying again later may work: a network error, a timeout, a 5xx, a rate limit."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None, retry_after=None):
        super().__init__(message, code=code, status=status)
        # Seconds the provider asked us to wait (a Retry-After header), if it said.
        self.retry_after: float | None = retry_after


class PermanentError(ChannelError):
    """Trying again will fail the same way: a bad number, a refused template, a rejected request."""

    @property
    def not_on_whatsapp(self) -> bool:
        """The number has no WhatsApp account: send the message by SMS instead."""
        return self.code == WHATSAPP_NOT_ON_WHATSAPP


# Meta's error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
WHATSAPP_NOT_ON_WHATSAPP = 131026  # "Message undeliverable": no WhatsApp account, or an old app
WHATSAPP_RETRYABLE_CODES = {
    1,  # API Unknown (possible server error)
    2,  # API Service: temporary downtime or overload
    4,  # API Too Many Calls: the app's rate limit
    80007,  # the WhatsApp Business Account's rate limit
    130429,  # Cloud API throughput reached
    131000,  # "Something went wrong"
    131016,  # service unavailable
    131056,  # pair rate limit: too many messages to this one number
}


def whatsapp_error_is_retryable(code: int | None) -> bool:
    """Whether a Meta error code (from a send or from a failed status's webhook) may pass if tried later."""
    return code in WHATSAPP_RETRYABLE_CODES


@dataclass(frozen=True)
class StatusEvent:
    """A provider's report on a message we sent: sent, delivered, read or failed."""

    provider_id: str
    status: str  # "sent" | "delivered" | "read" | "failed"
    at: datetime  # aware
    error_code: int | None = None

    @property
    def not_on_whatsapp(self) -> bool:
        # Meta usually reports this one here, after accepting the send, rather than refusing the send.
        return self.status == "failed" and self.error_code == WHATSAPP_NOT_ON_WHATSAPP


@dataclass(frozen=True)
class InboundEvent:
    """A message from a patient: text, or a tap on a quick reply (`button_payload`)."""

    from_e164: str
    text: str
    button_payload: str | None
    at: datetime  # aware
    provider_id: str
    # The road it came by, and so the road an answer goes back by: "whatsapp" or "sms".
    channel: str
    # The provider id of our message this one answers (WhatsApp gives it for button taps).
    reply_to: str | None = None
    # The provider took it as an opt-out itself (Twilio's OptOutType=STOP) and has answered it.
    opted_out_by_provider: bool = False


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _network_error(provider: str, exc: Exception) -> ChannelError:
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return RetryableError(f"{provider}: {type(exc).__name__}")
    # A malformed URL or the like: a setting to fix, not something time cures.
    return PermanentError(f"{provider}: {type(exc).__name__}: {exc}")


# --- WhatsApp --------------------------------------------------------------------------------


def whatsapp_configured() -> bool:
    """Whether WhatsApp can be used to send (token and phone number id set)."""
    return bool(settings.ASPIRE_WHATSAPP_TOKEN and settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID)


class WhatsAppCloud:
    """Meta's WhatsApp Cloud API over plain HTTP: POST {API_URL}/{PHONE_NUMBER_ID}/messages."""

    def __init__(self, *, api_url=None, phone_number_id=None, token=None, timeout=TIMEOUT):
        self.api_url = (api_url or settings.ASPIRE_WHATSAPP_API_URL).rstrip("/")
        self.phone_number_id = phone_number_id or settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID
        self.token = token or settings.ASPIRE_WHATSAPP_TOKEN
        self.timeout = timeout
        if not (self.token and self.phone_number_id):
            raise ImproperlyConfigured("WhatsApp needs ASPIRE_WHATSAPP_TOKEN and ASPIRE_WHATSAPP_PHONE_NUMBER_ID.")
        self.session = requests.Session()

    def send_template(self, *, to_e164: str, template: str, language: str, params: dict) -> str:
        """
        Send an approved template to a patient and return its message id (wamid...). Raise
        RetryableError or PermanentError; ValueError (before sending) if a param is missing.
        """
        entry = whatsapp_templates.get_template(template, language)
        return self._post(
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to_e164,
                "type": "template",
                "template": {
                    "name": entry.name,
                    "language": {"code": entry.language},
                    "components": whatsapp_templates.components(entry, params),
                },
            }
        )

    def send_text(self, *, to_e164: str, body: str, preview_url: bool = False) -> str:
        """
        Send free text and return its message id. Meta delivers it only within 24 hours of the
        patient's last message to us (code 131047 otherwise, a PermanentError): for answers to replies.
        """
        return self._post(
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to_e164,
                "type": "text",
                "text": {"preview_url": preview_url, "body": body},
            }
        )

    def _post(self, payload: dict) -> str:
        url = f"{self.api_url}/{self.phone_number_id}/messages"
        try:
            response = self.session.post(
                url, json=payload, headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise _network_error("WhatsApp", exc) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code == 200:
            try:
                return data["messages"][0]["id"]
            except (KeyError, IndexError, TypeError):
                # Meta may have sent it: trying again could send it twice.
                raise PermanentError("WhatsApp answered 200 without a message id", status=200) from None
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        code = error.get("code")
        code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
        error_data = error.get("error_data")
        details = error_data.get("details") if isinstance(error_data, dict) else None
        message = f"WhatsApp {response.status_code}: {error.get('message') or response.reason}"
        if details:
            message += f" ({details})"
        if whatsapp_error_is_retryable(code) or response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(message, code=code, status=response.status_code, retry_after=_retry_after(response))
        raise PermanentError(message, code=code, status=response.status_code)


# --- SMS -------------------------------------------------------------------------------------


class TwilioSMS:
    """SMS through Twilio's REST API (the `twilio` package); delivery reports come to /webhooks/twilio/."""

    # Twilio's error codes (twilio.com/docs/api/errors).
    RETRYABLE_CODES = {20429, 20500, 20503}  # too many requests, internal error, service unavailable

    def __init__(self, *, timeout=TIMEOUT):
        # Imported here, not at the top: importing twilio.rest takes 0.18 s of every process's start
        # (python -X importtime), and only a site that sends through Twilio needs it.
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not (settings.ASPIRE_TWILIO_ACCOUNT_SID and settings.ASPIRE_TWILIO_AUTH_TOKEN):
            raise ImproperlyConfigured("Twilio needs ASPIRE_TWILIO_ACCOUNT_SID and ASPIRE_TWILIO_AUTH_TOKEN.")
        http_client = TwilioHttpClient()
        # It hands its timeout to requests as it is, so a (connect, read) pair works; its constructor
        # only checks a number, hence set afterwards.
        http_client.timeout = timeout
        self.client = Client(
            settings.ASPIRE_TWILIO_ACCOUNT_SID, settings.ASPIRE_TWILIO_AUTH_TOKEN, http_client=http_client
        )
        if settings.ASPIRE_TWILIO_API_URL:
            # The REST domain's address (a stand-in in tests); the client builds every Messages URL on it.
            self.client.api.base_url = settings.ASPIRE_TWILIO_API_URL.rstrip("/")

    def send(self, *, to_e164: str, body: str) -> str:
        """Send an SMS and return Twilio's message SID. Raise RetryableError or PermanentError."""
        from twilio.base.exceptions import TwilioException, TwilioRestException  # as in __init__: start-up time

        sender = settings.ASPIRE_TWILIO_FROM
        # A Messaging Service (MG...) picks the sender itself.
        origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        callback = settings.ASPIRE_TWILIO_STATUS_CALLBACK or None
        try:
            message = self.client.messages.create(to=to_e164, body=body, status_callback=callback, **origin)
        except TwilioRestException as exc:
            text = f"Twilio {exc.status}: {exc.msg}"
            if exc.status == 429 or exc.status >= 500 or exc.code in self.RETRYABLE_CODES:
                raise RetryableError(text, code=exc.code, status=exc.status) from exc
            # 21211 invalid 'To', 21614 not a mobile, 21610 the patient sent STOP, 21408 region not enabled...
            raise PermanentError(text, code=exc.code, status=exc.status) from exc
        except requests.RequestException as exc:
            raise _network_error("Twilio", exc) from exc
        except TwilioException as exc:
            raise PermanentError(f"Twilio: {exc}") from exc
        return message.sid


def format_number(e164: str, number_format: str) -> str:
    """Spell an E.164 number the way an SMS gateway wants it: e164 (+92...), digits (92...) or national (03...)."""
    if number_format == "e164":
        return e164
    if number_format == "digits":
        return e164.lstrip("+")
    if number_format == "national":
        if not e164.startswith("+92"):
            raise PermanentError("The SMS gateway takes Pakistani numbers only (national format)")
        return "0" + e164[3:]
    raise ImproperlyConfigured(f"ASPIRE_SMS_GATEWAY_NUMBER_FORMAT: {number_format!r} is not e164, digits or national.")


def dotted_get(data, path: str):
    """Return data["a"]["b"][0]... for "a.b.0", or None where the answer has no such thing."""
    for key in path.split("."):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def gateway_success(answer, field: str, value: str) -> bool:
    """
    Whether a gateway's JSON answer holds `value` at the dotted path `field`, compared as JSON spells
    it: "ok" matches "ok", "true" matches true, "200" matches 200 or "200".
    """
    found = dotted_get(answer, field)
    if found is None:
        return False
    return (found if isinstance(found, str) else json.dumps(found)) == value


class HttpGatewaySMS:
    """
    SMS through a plain HTTP gateway, as most Pakistani bulk-SMS providers offer: a URL taking
    the number, the text, a sender (mask) and an API key as query or form parameters whose
    names the provider chooses (settings ASPIRE_SMS_GATEWAY_*).
    """

    def __init__(self, *, timeout=TIMEOUT):
        if not settings.ASPIRE_SMS_GATEWAY_URL:
            raise ImproperlyConfigured("The SMS gateway needs ASPIRE_SMS_GATEWAY_URL.")
        self.method = settings.ASPIRE_SMS_GATEWAY_METHOD.upper()
        if self.method not in {"GET", "POST"}:
            raise ImproperlyConfigured("ASPIRE_SMS_GATEWAY_METHOD is GET or POST.")
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, *, to_e164: str, body: str) -> str | None:
        """
        Send an SMS and return the gateway's message id (None if ASPIRE_SMS_GATEWAY_ID_KEY is not set).
        Raise RetryableError or PermanentError; a 200 whose answer fails the success test
        (ASPIRE_SMS_GATEWAY_SUCCESS_FIELD and _VALUE) or lacks the id is a PermanentError.
        """
        params = {
            settings.ASPIRE_SMS_GATEWAY_TO_PARAM: format_number(to_e164, settings.ASPIRE_SMS_GATEWAY_NUMBER_FORMAT),
            settings.ASPIRE_SMS_GATEWAY_TEXT_PARAM: body,
        }
        if settings.ASPIRE_SMS_GATEWAY_SENDER_PARAM:
            params[settings.ASPIRE_SMS_GATEWAY_SENDER_PARAM] = settings.ASPIRE_SMS_GATEWAY_SENDER
        if settings.ASPIRE_SMS_GATEWAY_KEY_PARAM:
            params[settings.ASPIRE_SMS_GATEWAY_KEY_PARAM] = settings.ASPIRE_SMS_GATEWAY_KEY
        where = "params" if self.method == "GET" else "data"
        try:
            response = self.session.request(
                self.method, settings.ASPIRE_SMS_GATEWAY_URL, timeout=self.timeout, **{where: params}
            )
        except requests.RequestException as exc:
            raise _network_error("SMS gateway", exc) from exc
        # The answer may echo the number or the key: only the status goes in the error.
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(
                f"SMS gateway {response.status_code}", status=response.status_code, retry_after=_retry_after(response)
            )
        if response.status_code >= 400:
            raise PermanentError(f"SMS gateway {response.status_code}", status=response.status_code)
        # Most gateways answer 200 whatever happened, with the outcome in the body. A body that fails the
        # test is a refusal (a wrong key or mask, no credit left, a number it won't take): permanent, since
        # the same request will be refused again, and a retry of a message it did take would send it twice.
        field, value, id_key = (
            settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD,
            settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE,
            settings.ASPIRE_SMS_GATEWAY_ID_KEY,
        )
        if not (field or id_key):
            return None
        try:
            answer = response.json()
        except ValueError:
            raise PermanentError(f"SMS gateway {response.status_code}: the answer is not JSON") from None
        if field and not gateway_success(answer, field, value):
            raise PermanentError(f"SMS gateway {response.status_code}: {field!r} is not {value!r}")
        if not id_key:
            return None
        message_id = dotted_get(answer, id_key)
        if message_id in (None, ""):
            # What it was is in the gateway's dashboard.
            raise PermanentError(f"SMS gateway {response.status_code} without a message id at {id_key!r}")
        return str(message_id)


class ConsoleSMS:
    """Development: write each SMS to the log (the redacting formatter hides the number)."""

    def send(self, *, to_e164: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        logger.info("SMS %s to %s:\n%s", message_id, to_e164, body)
        return message_id


SMS_CHANNELS = {"twilio": TwilioSMS, "gateway": HttpGatewaySMS, "console": ConsoleSMS}


def sms_channel() -> TwilioSMS | HttpGatewaySMS | ConsoleSMS:
    """Return the SMS channel ASPIRE_SMS_CHANNEL names: twilio, gateway, console, or a class's path."""
    name = settings.ASPIRE_SMS_CHANNEL
    channel = SMS_CHANNELS.get(name) or (import_string(name) if "." in name else None)
    if channel is None:
        raise ImproperlyConfigured(
            f"ASPIRE_SMS_CHANNEL: {settings.ASPIRE_SMS_CHANNEL!r} is not one of {', '.join(SMS_CHANNELS)}."
        )
    return channel()
