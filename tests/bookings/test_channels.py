"""The message providers, against a local stand-in of the Graph API, Twilio and an SMS gateway,
and the signed webhooks they call back."""

import json
import logging
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from bookings.messaging import channels
from bookings.messaging.channels import (
    ConsoleSMS,
    HttpGatewaySMS,
    InboundEvent,
    PermanentError,
    RetryableError,
    StatusEvent,
    TwilioSMS,
    WhatsAppCloud,
)
from tests import standin as s

NUMBER = "+923001234567"
PARAMS = {
    "first_name": "Ayesha",
    "when": "Tue 14 Oct, 17:30",
    "clinic": "Clifton",
    "therapist": "Sara Khan",
    "reference": "AB12CD",
    "fee": "PKR 6,000",
    "phone": "0309-5885076",
    "manage_path": "booking/tok123/",
}


def send_reminder(to=NUMBER, **kwargs):
    return WhatsAppCloud(**kwargs).send_template(
        to_e164=to, template="aspire_session_reminder", language="en", params=PARAMS
    )


# --- WhatsApp: what a send looks like ---------------------------------------------------------


def test_template_message_is_the_request_meta_documents(providers):
    wamid = send_reminder()

    request = providers.last()
    assert request.method == "POST"
    assert request.path == "/v23.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer wa-token"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": NUMBER,
        "type": "template",
        "template": {
            "name": "aspire_session_reminder",
            "language": {"code": "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ayesha"},
                        {"type": "text", "text": "Tue 14 Oct, 17:30"},
                        {"type": "text", "text": "Clifton"},
                        {"type": "text", "text": "Sara Khan"},
                        {"type": "text", "text": "AB12CD"},
                        {"type": "text", "text": "PKR 6,000"},
                        {"type": "text", "text": "0309-5885076"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "confirm:AB12CD"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [{"type": "payload", "payload": "change:AB12CD"}],
                },
            ],
        },
    }
    assert wamid.startswith("wamid.")


def test_confirmation_carries_the_booking_path_on_its_link_button(providers):
    WhatsAppCloud().send_template(to_e164=NUMBER, template="aspire_booking_confirmed", language="en", params=PARAMS)

    components = providers.last().json["template"]["components"]
    assert components[1] == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "booking/tok123/"}],
    }


def test_free_text_reply_is_a_text_message(providers):
    wamid = WhatsAppCloud().send_text(to_e164=NUMBER, body="Change or cancel here: https://x/booking/t/")

    assert providers.last().json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": NUMBER,
        "type": "text",
        "text": {"preview_url": False, "body": "Change or cancel here: https://x/booking/t/"},
    }
    assert wamid.startswith("wamid.")


def test_a_missing_param_sends_nothing(providers):
    with pytest.raises(ValueError):
        WhatsAppCloud().send_template(to_e164=NUMBER, template="aspire_aftercare", language="en", params={})
    assert providers.requests == []


def test_whatsapp_is_configured_only_with_a_token_and_a_phone_number_id(settings):
    settings.ASPIRE_WHATSAPP_TOKEN = "t"
    settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID = ""
    assert not channels.whatsapp_configured()
    settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID = "1"
    assert channels.whatsapp_configured()


# --- WhatsApp: errors, retryable or not --------------------------------------------------------


def test_not_on_whatsapp_is_permanent_and_says_so(providers):
    providers.fail(NUMBER, s.NOT_ON_WHATSAPP)
    with pytest.raises(PermanentError) as caught:
        send_reminder()
    assert caught.value.code == 131026
    assert caught.value.not_on_whatsapp


@pytest.mark.parametrize(("how", "code"), [(s.RATE_LIMIT, 130429), (s.PAIR_RATE_LIMIT, 131056)])
def test_rate_limits_are_retryable(providers, how, code):
    providers.fail(NUMBER, how)
    with pytest.raises(RetryableError) as caught:
        send_reminder()
    assert caught.value.code == code


def test_http_429_is_retryable(providers):
    providers.fail(NUMBER, s.TOO_MANY_REQUESTS)
    with pytest.raises(RetryableError) as caught:
        send_reminder()
    assert caught.value.status == 429


def test_a_5xx_without_a_json_answer_is_retryable(providers):
    providers.fail(NUMBER, s.SERVER_ERROR)
    with pytest.raises(RetryableError) as caught:
        send_reminder()
    assert caught.value.status == 500
    assert caught.value.code is None


def test_a_timeout_is_retryable(providers):
    providers.fail(NUMBER, s.SLOW)
    with pytest.raises(RetryableError, match="Timeout"):
        send_reminder(timeout=(1, 0.2))


def test_an_unreachable_api_is_retryable(providers):
    with pytest.raises(RetryableError, match="ConnectionError"):
        send_reminder(api_url="http://127.0.0.1:9")


def test_a_template_meta_does_not_know_is_permanent_and_not_a_fallback(providers):
    providers.fail(NUMBER, s.TEMPLATE_MISSING)
    with pytest.raises(PermanentError) as caught:
        send_reminder()
    assert caught.value.code == 132001
    assert not caught.value.not_on_whatsapp


# --- SMS ---------------------------------------------------------------------------------------


def test_twilio_gets_to_from_body_and_status_callback(providers):
    sid = TwilioSMS().send(to_e164=NUMBER, body="Aspire Wellness: hello")

    request = providers.last()
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
    assert request.form == {
        "To": NUMBER,
        "From": "+15005550006",
        "Body": "Aspire Wellness: hello",
        "StatusCallback": "https://aspirewellness.pk/webhooks/twilio/",
    }
    assert request.headers["authorization"].startswith("Basic ")
    assert sid.startswith("SM")


def test_twilio_messaging_service_sends_as_the_service(providers, settings):
    settings.ASPIRE_TWILIO_FROM = "MG" + "1" * 32
    TwilioSMS().send(to_e164=NUMBER, body="hello")
    assert providers.last().form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in providers.last().form


def test_twilio_invalid_number_is_permanent(providers):
    providers.fail(NUMBER, s.INVALID_NUMBER)
    with pytest.raises(PermanentError) as caught:
        TwilioSMS().send(to_e164=NUMBER, body="hello")
    assert caught.value.code == 21211


@pytest.mark.parametrize(("how", "status"), [(s.TOO_MANY_REQUESTS, 429), (s.SERVER_ERROR, 500)])
def test_twilio_rate_limit_and_5xx_are_retryable(providers, how, status):
    providers.fail(NUMBER, how)
    with pytest.raises(RetryableError) as caught:
        TwilioSMS().send(to_e164=NUMBER, body="hello")
    assert caught.value.status == status


def test_twilio_timeout_is_retryable(providers):
    providers.fail(NUMBER, s.SLOW)
    with pytest.raises(RetryableError):
        TwilioSMS(timeout=(1, 0.2)).send(to_e164=NUMBER, body="hello")


def test_gateway_post_carries_the_parameters_under_the_providers_names(providers):
    message_id = HttpGatewaySMS().send(to_e164=NUMBER, body="Aspire Wellness: hello")

    request = providers.last()
    assert (request.method, request.path) == ("POST", "/gateway/send")
    assert request.form == {
        "to": "923001234567",
        "message": "Aspire Wellness: hello",
        "sender": "ASPIRE",
        "api_key": "gateway-key",
    }
    assert message_id.startswith("gw-")


def test_gateway_get_puts_them_in_the_query_string(providers, settings):
    settings.ASPIRE_SMS_GATEWAY_METHOD = "GET"
    settings.ASPIRE_SMS_GATEWAY_TEXT_PARAM = "text"
    settings.ASPIRE_SMS_GATEWAY_NUMBER_FORMAT = "e164"
    HttpGatewaySMS().send(to_e164=NUMBER, body="hello")

    request = providers.last()
    assert request.method == "GET"
    assert request.query == {"to": NUMBER, "text": "hello", "sender": "ASPIRE", "api_key": "gateway-key"}


def test_gateway_national_format_is_the_zero_three_spelling():
    assert channels.format_number(NUMBER, "national") == "03001234567"
    with pytest.raises(PermanentError):
        channels.format_number("+447700900123", "national")


def test_gateway_200_without_a_message_id_is_permanent(providers, settings):
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = ""  # the id's presence is then the only test
    settings.ASPIRE_SMS_GATEWAY_KEY = "wrong-key"
    with pytest.raises(PermanentError, match="without a message id"):
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")


def test_gateway_200_with_an_error_in_the_body_is_a_failure_without_an_id_key(providers, settings):
    """With ASPIRE_SMS_GATEWAY_ID_KEY unset (the default) `200 {"status": "error"}` was recorded as sent."""
    settings.ASPIRE_SMS_GATEWAY_ID_KEY = ""
    settings.ASPIRE_SMS_GATEWAY_KEY = "wrong-key"
    with pytest.raises(PermanentError) as caught:
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")
    # What the test read, not the answer (which may echo the key or the number).
    assert str(caught.value) == "SMS gateway 200: 'status' is not 'ok'"


def test_gateway_success_is_read_at_a_dotted_path_and_compared_as_the_json_spells_it(providers, settings):
    settings.ASPIRE_SMS_GATEWAY_ID_KEY = ""
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = "data.message_id"
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE = "no such id"
    with pytest.raises(PermanentError, match="'data.message_id' is not 'no such id'"):
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")
    assert channels.gateway_success({"ok": True, "code": 200}, "ok", "true")
    assert channels.gateway_success({"ok": True, "code": 200}, "code", "200")
    assert not channels.gateway_success({"ok": "false"}, "ok", "true")
    assert not channels.gateway_success({}, "status", "ok")
    assert not channels.gateway_success(["status"], "status", "ok")


def test_gateway_200_that_is_not_json_is_a_failure_when_success_is_read_from_the_body(providers, settings):
    providers.fail(NUMBER, s.NOT_JSON)
    with pytest.raises(PermanentError, match="not JSON"):
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")


def test_gateway_that_passes_the_success_test_returns_its_id(providers):
    assert HttpGatewaySMS().send(to_e164=NUMBER, body="hello").startswith("gw-")


@pytest.mark.parametrize(
    ("how", "error"),
    [(s.INVALID_NUMBER, PermanentError), (s.TOO_MANY_REQUESTS, RetryableError), (s.SERVER_ERROR, RetryableError)],
)
def test_gateway_errors_map_like_the_others(providers, how, error):
    providers.fail(NUMBER, how)
    with pytest.raises(error):
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")


def test_gateway_error_does_not_repeat_the_answer_which_may_echo_the_key(providers):
    providers.fail(NUMBER, s.INVALID_NUMBER)
    with pytest.raises(PermanentError) as caught:
        HttpGatewaySMS().send(to_e164=NUMBER, body="hello")
    assert str(caught.value) == "SMS gateway 400"


def test_console_sms_goes_to_the_redacted_messaging_log(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="bookings.messaging"):
        message_id = ConsoleSMS().send(to_e164=NUMBER, body="hello")
    assert message_id.startswith("console-")
    assert caplog.records[-1].name == "bookings.messaging"
    assert "hello" in caplog.records[-1].getMessage()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("name", "cls"), [("twilio", TwilioSMS), ("gateway", HttpGatewaySMS), ("console", ConsoleSMS)])
def test_sms_channel_is_the_one_the_setting_names(providers, settings, name, cls):
    settings.ASPIRE_SMS_CHANNEL = name
    assert isinstance(channels.sms_channel(), cls)


def test_an_unknown_sms_channel_is_a_configuration_error(settings):
    settings.ASPIRE_SMS_CHANNEL = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        channels.sms_channel()


# --- Webhooks ----------------------------------------------------------------------------------


@pytest.fixture
def handed_over(monkeypatch):
    """What the webhooks hand to the outbox."""
    seen = {"statuses": [], "inbound": []}
    monkeypatch.setattr("bookings.messaging.inbound.apply_statuses", lambda events: seen["statuses"].extend(events))
    monkeypatch.setattr("bookings.messaging.inbound.handle_inbound", lambda events: seen["inbound"].extend(events))
    return seen


def post_whatsapp(client, payload, *, secret="wa-app-secret", signature=None):
    body = json.dumps(payload).encode()
    headers = {} if signature == "" else {"HTTP_X_HUB_SIGNATURE_256": signature or s.whatsapp_signature(body, secret)}
    return client.post("/webhooks/whatsapp/", data=body, content_type="application/json", **headers)


T0 = 1760450000


def at(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


def test_signed_statuses_are_parsed_in_payload_order(client, providers, handed_over):
    payload = s.whatsapp_webhook(
        statuses=[
            s.whatsapp_status("wamid.A", "read", timestamp=T0 + 20),
            s.whatsapp_status("wamid.A", "sent", timestamp=T0),
            s.whatsapp_status("wamid.A", "delivered", timestamp=T0 + 10),
            s.whatsapp_status("wamid.B", "failed", timestamp=T0 + 5, error=(131026, "Message undeliverable")),
        ]
    )
    response = post_whatsapp(client, payload)

    assert response.status_code == 200
    assert handed_over["statuses"] == [
        StatusEvent("wamid.A", "read", at(T0 + 20)),
        StatusEvent("wamid.A", "sent", at(T0)),
        StatusEvent("wamid.A", "delivered", at(T0 + 10)),
        StatusEvent("wamid.B", "failed", at(T0 + 5), error_code=131026),
    ]
    assert handed_over["statuses"][3].not_on_whatsapp
    assert handed_over["inbound"] == []


def test_inbound_text_is_parsed(client, providers, handed_over):
    message = {
        "from": "923001234567",
        "id": "wamid.IN1",
        "timestamp": str(T0),
        "type": "text",
        "text": {"body": "STOP"},
    }
    post_whatsapp(client, s.whatsapp_webhook(messages=[message]))

    assert handed_over["inbound"] == [InboundEvent(NUMBER, "STOP", None, at(T0), "wamid.IN1", "whatsapp")]


def test_quick_reply_tap_is_parsed_with_its_payload_and_the_message_it_answers(client, providers, handed_over):
    message = {
        "context": {"from": "923095885076", "id": "wamid.REMINDER"},
        "from": "923001234567",
        "id": "wamid.IN2",
        "timestamp": str(T0),
        "type": "button",
        "button": {"payload": "change:AB12CD", "text": "Change or cancel"},
    }
    post_whatsapp(client, s.whatsapp_webhook(messages=[message]))

    assert handed_over["inbound"] == [
        InboundEvent(
            NUMBER, "Change or cancel", "change:AB12CD", at(T0), "wamid.IN2", "whatsapp", reply_to="wamid.REMINDER"
        )
    ]


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "not-even-the-shape"])
def test_a_bad_or_missing_signature_is_refused_and_nothing_handed_over(client, providers, handed_over, signature):
    payload = s.whatsapp_webhook(statuses=[s.whatsapp_status("wamid.A", "read", timestamp=T0)])
    response = post_whatsapp(client, payload, signature=signature)

    assert response.status_code == 403
    assert handed_over == {"statuses": [], "inbound": []}


def test_a_body_signed_with_another_secret_is_refused(client, providers, handed_over):
    payload = s.whatsapp_webhook(statuses=[s.whatsapp_status("wamid.A", "read", timestamp=T0)])
    assert post_whatsapp(client, payload, secret="someone-elses").status_code == 403
    assert handed_over["statuses"] == []


def test_without_an_app_secret_every_post_is_refused(client, providers, settings, handed_over):
    settings.ASPIRE_WHATSAPP_APP_SECRET = ""
    payload = s.whatsapp_webhook(statuses=[s.whatsapp_status("wamid.A", "read", timestamp=T0)])
    assert post_whatsapp(client, payload, secret="").status_code == 403


def test_handshake_with_our_verify_token_echoes_the_challenge(client, providers):
    response = client.get(
        "/webhooks/whatsapp/",
        {"hub.mode": "subscribe", "hub.verify_token": "wa-verify-token", "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


def test_handshake_with_another_verify_token_is_refused(client, providers):
    response = client.get(
        "/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    )
    assert response.status_code == 403
    assert b"1158201444" not in response.content


TWILIO_STATUS = {
    "AccountSid": "AC" + "0" * 32,
    "ApiVersion": "2010-04-01",
    "From": "+15005550006",
    "MessageSid": "SM" + "a" * 32,
    "MessageStatus": "delivered",
    "SmsSid": "SM" + "a" * 32,
    "SmsStatus": "delivered",
    "To": NUMBER,
}


def post_twilio(client, params, *, url="http://testserver/webhooks/twilio/", token="twilio-auth-token", **extra):
    return client.post(
        "/webhooks/twilio/", data=params, HTTP_X_TWILIO_SIGNATURE=s.twilio_signature(url, params, token), **extra
    )


def test_twilio_status_callback_is_parsed(client, providers, handed_over):
    response = post_twilio(client, TWILIO_STATUS)

    assert response.status_code == 200
    [event] = handed_over["statuses"]
    assert (event.provider_id, event.status, event.error_code) == ("SM" + "a" * 32, "delivered", None)
    assert event.at.tzinfo is not None


def test_twilio_undelivered_is_a_failure_with_its_error_code(client, providers, handed_over):
    post_twilio(
        client, {**TWILIO_STATUS, "MessageStatus": "undelivered", "SmsStatus": "undelivered", "ErrorCode": "30003"}
    )

    [event] = handed_over["statuses"]
    assert (event.status, event.error_code) == ("failed", 30003)


def test_twilio_statuses_before_sent_are_not_handed_over(client, providers, handed_over):
    assert post_twilio(client, {**TWILIO_STATUS, "MessageStatus": "queued"}).status_code == 200
    assert handed_over["statuses"] == []


def test_twilio_incoming_sms_is_parsed(client, providers, handed_over):
    params = {
        "MessageSid": "SM" + "b" * 32,
        "SmsStatus": "received",
        "From": NUMBER,
        "To": "+15005550006",
        "Body": "STOP",
    }
    post_twilio(client, params)

    [event] = handed_over["inbound"]
    assert (event.from_e164, event.text, event.provider_id) == (NUMBER, "STOP", "SM" + "b" * 32)


def test_twilio_signature_is_checked_on_the_https_url_behind_nginx(client, providers, settings, handed_over):
    settings.ALLOWED_HOSTS = ["aspirewellness.pk"]
    response = post_twilio(
        client,
        TWILIO_STATUS,
        url="https://aspirewellness.pk/webhooks/twilio/",
        HTTP_HOST="aspirewellness.pk",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 200
    assert len(handed_over["statuses"]) == 1


def test_twilio_bad_signature_is_refused_and_nothing_handed_over(client, providers, handed_over):
    assert post_twilio(client, TWILIO_STATUS, token="someone-elses").status_code == 403
    assert client.post("/webhooks/twilio/", data=TWILIO_STATUS).status_code == 403
    assert handed_over["statuses"] == []


def test_twilio_signature_over_other_params_is_refused(client, providers, handed_over):
    signature = s.twilio_signature("http://testserver/webhooks/twilio/", TWILIO_STATUS, "twilio-auth-token")
    forged = {**TWILIO_STATUS, "MessageStatus": "failed"}
    assert client.post("/webhooks/twilio/", data=forged, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    assert handed_over["statuses"] == []


def test_webhooks_take_no_get_but_the_handshake(client, providers):
    assert client.get("/webhooks/twilio/").status_code == 405
    assert client.put("/webhooks/whatsapp/").status_code == 405
