"""System checks of the bookings app's setup (run by `manage.py check`, and at every start)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from bookings.messaging.channels import whatsapp_configured
from bookings.models import DepositRule
from bookings.payments import base

# Channels that reach a patient's phone; the others (the console, bookings.messaging's file and
# memory channels) are for development and tests.
REAL_SMS_CHANNELS = {"twilio", "gateway"}


@register(Tags.security, deploy=True)
def patients_can_be_reached(app_configs, **kwargs):
    """
    In production a patient who gives only a phone number (most of them) must get their
    confirmation: refuse a site whose messages would go to the server's console.
    """
    if settings.DEBUG or whatsapp_configured() or settings.ASPIRE_SMS_CHANNEL in REAL_SMS_CHANNELS:
        return []
    return [
        Error(
            f"No real text-message channel: WhatsApp is not set up and ASPIRE_SMS_CHANNEL is "
            f"{settings.ASPIRE_SMS_CHANNEL!r}, so confirmations and reminders would reach no patient.",
            hint="Set ASPIRE_WHATSAPP_TOKEN and ASPIRE_WHATSAPP_PHONE_NUMBER_ID, or ASPIRE_SMS_CHANNEL=twilio "
            "or gateway with its settings (README, Messages).",
            id="bookings.E001",
        )
    ]


@register(Tags.security, deploy=True)
def sms_gateway_reads_success(app_configs, **kwargs):
    """
    Most bulk-SMS gateways answer 200 to everything, a wrong API key included, with the outcome in
    the body: without a success test every refused message would be recorded as sent.
    """
    if settings.ASPIRE_SMS_CHANNEL != "gateway":
        return []
    if settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD and settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE:
        return []
    return [
        Error(
            "The SMS gateway has no success test: an answer of 200 with an error in its body "
            "(an invalid API key, no credit) would be taken for a sent message.",
            hint="Set ASPIRE_SMS_GATEWAY_SUCCESS_FIELD and ASPIRE_SMS_GATEWAY_SUCCESS_VALUE to the field of the "
            'gateway\'s JSON answer and the value it documents for success (e.g. "status" and "ok"; README, Messages).',
            id="bookings.E002",
        )
    ]


@register(Tags.security, deploy=True)
def deposits_can_be_paid(app_configs, **kwargs):
    """
    A deposit rule with no provider to pay it through asks nobody for anything (bookings.payments.rules):
    the clinic would believe deposits are taken while none is. Refuse it, and a provider set up by half.
    """
    errors = []
    for name in base.PROVIDERS:
        provider = base.get(name)
        prefix = f"ASPIRE_{name.upper()}_"
        given = [key for key in dir(settings) if key.startswith(prefix) and getattr(settings, key)]
        if not provider.configured() and any(not key.endswith(("_URL", "_ENVIRONMENT")) for key in given):
            errors.append(
                Error(
                    f"{provider.label} is set up by half: {', '.join(sorted(given))} given, but not all it needs.",
                    hint=f"Fill in every {prefix}* setting (README, Deposits), or none.",
                    id="bookings.E004",
                )
            )
    if base.configured():
        return errors
    try:
        rules = list(DepositRule.objects.active().select_related("clinic", "session_type")[:3])
    except DatabaseError:  # not migrated yet: there is no rule to refuse
        return errors
    if rules:
        names = "; ".join(str(rule) for rule in rules)
        errors.append(
            Error(
                f"Deposit rules are active ({names}) but no payment provider is set up, so nobody is asked "
                "for a deposit.",
                hint="Set up JazzCash or Safepay (README, Deposits), or turn the rules off in the admin.",
                id="bookings.E003",
            )
        )
    return errors
