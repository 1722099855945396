"""System checks of the bookings app's setup (run by `manage.py check`, and at every start)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from bookings.messaging.channels import whatsapp_configured

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
