"""
The webhooks never fail on what is signed: every item of a payload is checked for its shape,
an odd one is skipped (and logged, without the patient's number) while the good ones beside
it are applied, and the answer is 200 for anything signed, 403 for anything unsigned. Deep
nesting and huge bodies are refused before they are parsed.
"""

import json
import logging

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bookings.messaging import webhooks
from bookings.models import Message
from tests import standin as s
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

PHONE = "+923123344556"
WA_FROM = PHONE.lstrip("+")


def post_whatsapp(client, body: bytes, secret="wa-app-secret"):
    return client.post(
        "/webhooks/whatsapp/", body, content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=s.whatsapp_signature(body, secret),
    )  # fmt: skip


def value(**value) -> dict:
    """A webhook whose one change carries `value` as given (any shape)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def text_message(body="hello", **extra) -> dict:
    return {
        "from": WA_FROM,
        "id": "wamid.IN1",
        "timestamp": "1800000400",
        "type": "text",
        "text": {"body": body},
        **extra,
    }


def status(wamid="wamid.OUT1", state="read", **extra) -> dict:
    return {"id": wamid, "status": state, "timestamp": "1800000300", "recipient_id": WA_FROM, **extra}


# Each is signed by Meta's secret; every one was a 500 (or worse) on the code before this test.
HOSTILE = {
    "entry is a string": {"entry": "x"},
    "changes is a number": {"entry": [{"changes": 5}]},
    "an entry is a number": {"entry": [5]},
    "a change is a list": {"entry": [{"changes": [[]]}]},
    "value is a string": {"entry": [{"changes": [{"field": "messages", "value": "x"}]}]},
    "statuses is a string": value(statuses="x"),
    "a string inside statuses": value(statuses=["wamid.A"]),
    "errors is a string": value(statuses=[status(state="failed", errors="boom")]),
    "an error is a number": value(statuses=[status(state="failed", errors=[5])]),
    "an error code of 5000 digits": value(statuses=[status(state="failed", errors=[{"code": "9" * 5000}])]),
    "a status id is a list": value(statuses=[status(wamid=["x"])]),
    "messages is a dict": value(messages={"a": 1}),
    "a number inside messages": value(messages=[5]),
    "button is a string": value(messages=[text_message(type="button", button="str")]),
    "a button payload is a number": value(messages=[text_message(type="button", button={"payload": 5, "text": 1})]),
    "text is a string": value(messages=[text_message(text="STOP")]),
    "a text body is a list": value(messages=[text_message(text={"body": ["STOP"]})]),
    "interactive reply is a string": value(
        messages=[text_message(type="interactive", interactive={"button_reply": "x"})]
    ),
    "interactive is a list": value(messages=[text_message(type="interactive", interactive=[1])]),
    "context is a string": value(messages=[text_message(context="x")]),
    "from is a dict": value(messages=[text_message(**{"from": {"a": 1}})]),
    "from is not a phone number": value(messages=[text_message(**{"from": "not-a-number"}, text={"body": "STOP"})]),
    "a timestamp is a dict": value(statuses=[status(timestamp={"a": 1})], messages=[text_message(timestamp=[1])]),
    "a NUL in a message id": value(messages=[text_message(id="wamid.\x00")]),
    "a NUL in a button payload": value(
        messages=[text_message(type="button", button={"payload": "confirm:\x00", "text": "Confirm"})]
    ),
}

HOSTILE_BODIES = {
    **{name: json.dumps(payload).encode() for name, payload in HOSTILE.items()},
    "100,000 nested [": b"[" * 100_000,
    '100,000 nested {"a":': b'{"a":' * 100_000,
    "1,000 levels inside entry": b'{"entry":' + b"[" * 1000 + b"]" * 1000 + b"}",
    "a list": b"[]",
    "null": b"null",
    "a string": b'"x"',
    "empty": b"",
    "not UTF-8": b"\xff\xfe{",
    "an integer of 5000 digits": b'{"entry": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_signed_body_of_any_shape_is_answered_200(client, providers, body):
    assert post_whatsapp(client, body).status_code == 200


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_an_unsigned_body_of_any_shape_is_refused(client, providers, body):
    assert post_whatsapp(client, body, secret="not-the-secret").status_code == 403


def test_one_odd_item_does_not_lose_the_good_statuses_beside_it(client, providers):
    good = [BookingFactory() for _ in range(2)]
    messages = [
        Message.objects.create(booking=b, audience="patient", channel="whatsapp", recipient=PHONE, kind="confirmed",
                               status="sent", provider_message_id=f"wamid.OUT{i}")
        for i, b in enumerate(good)
    ]  # fmt: skip
    payload = value(
        statuses=[status("wamid.OUT0", "read"), "wamid.ODD", status("wamid.OUT1", "delivered", errors="boom")]
    )
    payload["entry"].insert(0, {"changes": 5})  # an odd entry before the good one
    assert post_whatsapp(client, json.dumps(payload).encode()).status_code == 200
    assert [Message.objects.get(pk=m.pk).status for m in messages] == ["read", "delivered"]


def test_a_skipped_item_is_logged_by_where_it_was_never_by_its_number(client, providers, caplog):
    payload = value(messages=[text_message(**{"from": "92312334455x"}), text_message(type="button", button="str")])
    with caplog.at_level(logging.WARNING, logger="bookings.messaging.webhooks"):
        post_whatsapp(client, json.dumps(payload).encode())
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "entry[0].changes[0].value.messages[0]" in logged and "messages[1]" in logged
    assert "92312334455" not in logged


def test_a_body_over_the_size_cap_is_refused_before_it_is_read(client, providers):
    body = b'{"entry": "' + b"x" * webhooks.MAX_BODY_BYTES + b'"}'
    assert post_whatsapp(client, body).status_code == 413


def test_a_body_meta_may_send_under_the_cap_is_taken(client, providers):
    # Meta's payloads may be up to 3 MB; Django's own cap on a body (2.5 MB) would refuse one.
    body = json.dumps(value(statuses=[status(f"wamid.{i:08}") for i in range(26_000)])).encode()
    assert 2_500_000 < len(body) < webhooks.MAX_BODY_BYTES
    assert post_whatsapp(client, body).status_code == 200


@pytest.mark.parametrize(
    ("body", "deeper"),
    [
        (b"[" * 100_000, True),
        (b"[" * 33 + b"]" * 33, True),
        (b"[" * 32 + b"]" * 32, False),
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[["}', False),  # brackets in a string don't count
        (json.dumps(value(statuses=[status(errors=[{"error_data": {"details": "x"}}])])).encode(), False),
    ],
)
def test_nesting_is_measured_without_parsing(body, deeper):
    assert webhooks.nesting_over(body, webhooks.MAX_NESTING) is deeper


# --- any shape at all ---------------------------------------------------------------------------

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def maybe(good):
    """A field as Meta sends it, or anything else in its place."""
    return st.one_of(st.just(good), ANY_JSON)


META_LIKE = st.fixed_dictionaries(
    {
        "entry": st.lists(st.fixed_dictionaries({
            "changes": st.lists(st.fixed_dictionaries({
                "field": maybe("messages"),
                "value": st.fixed_dictionaries({}, optional={
                    "statuses": st.lists(st.fixed_dictionaries({
                        "id": maybe("wamid.OUT0"), "status": maybe("failed"), "timestamp": maybe("1800000300"),
                        "errors": maybe([{"code": 131026}]),
                    }) | ANY_JSON, max_size=3),
                    "messages": st.lists(st.fixed_dictionaries({
                        "from": maybe(WA_FROM), "id": maybe("wamid.IN1"), "timestamp": maybe("1800000400"),
                        "type": maybe("button") | st.sampled_from(["text", "interactive"]),
                        "text": maybe({"body": "STOP"}), "button": maybe({"payload": "change:AB12CD", "text": "x"}),
                        "interactive": maybe({"button_reply": {"id": "confirm:AB12CD", "title": "x"}}),
                        "context": maybe({"id": "wamid.OUT0"}),
                    }) | ANY_JSON, max_size=3),
                }),
            }) | ANY_JSON, max_size=2),
        }) | ANY_JSON, max_size=2),
    }
)  # fmt: skip


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=ANY_JSON)
def test_any_signed_json_is_answered_200(client, providers, payload):
    assert post_whatsapp(client, json.dumps(payload).encode()).status_code == 200


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=META_LIKE)
def test_any_signed_payload_shaped_almost_like_metas_is_answered_200(client, providers, payload):
    assert post_whatsapp(client, json.dumps(payload).encode()).status_code == 200


# --- Twilio ---------------------------------------------------------------------------------------


def post_twilio(client, params):
    signature = s.twilio_signature("http://testserver/webhooks/twilio/", params, "twilio-auth-token")
    return client.post("/webhooks/twilio/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)


TWILIO_ODD = {
    "nothing": {},
    "an error code of 5000 digits": {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "9" * 5000},
    "an error code in other digits": {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "١٢٣"},
    "an unknown status": {"MessageSid": "SM1", "MessageStatus": "exploded"},
    "a reply from no number": {"MessageSid": "SM2", "SmsStatus": "received", "Body": "STOP"},
    "a reply from a non-number": {"MessageSid": "SM2", "SmsStatus": "received", "From": "garbage", "Body": "STOP"},
    "a NUL in the sid": {"MessageSid": "SM\x00", "SmsStatus": "received", "From": PHONE, "Body": "STOP"},
    "a sid of 10,000 characters": {
        "MessageSid": "SM" + "a" * 10_000,
        "SmsStatus": "received",
        "From": PHONE,
        "Body": "x",
    },
}


@pytest.mark.parametrize("params", TWILIO_ODD.values(), ids=TWILIO_ODD.keys())
def test_an_odd_signed_twilio_form_is_answered_200(client, providers, params):
    assert post_twilio(client, params).status_code == 200


def test_twilio_items_of_the_wrong_shape_are_not_handed_over():
    for params in TWILIO_ODD.values():
        statuses, replies = webhooks.parse_twilio(params)
        assert all(e.error_code is None or e.error_code < 2**31 for e in statuses)
        assert all("\x00" not in e.provider_id and len(e.provider_id) <= 128 for e in statuses + replies)
        assert all(e.from_e164 == PHONE for e in replies)
