"""Pakistani phone numbers in every usual spelling, to one E.164 form."""

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext
from phonenumbers import PhoneNumberType


class InvalidPhone(ValueError):
    pass


# What can take a text or WhatsApp message. Pakistani numbers say which they are; some
# countries' numbers don't (the US and Canada), so FIXED_LINE_OR_MOBILE counts abroad only.
MOBILE_TYPES = {PhoneNumberType.MOBILE}
MOBILE_TYPES_ABROAD = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    text = str(raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhone(gettext("Enter a phone number, for example 0309-5885076."))
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(gettext("Enter a valid phone number, for example 0309-5885076.")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(gettext("Enter a valid phone number, for example 0309-5885076."))
    if number.extension:
        # E.164 has no room for it: it would be dropped without a word.
        raise InvalidPhone(gettext("Enter the number without an extension."))
    return number


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str) -> str:
    """Return `raw` as E.164 (+923095885076), or raise InvalidPhone."""
    return _e164(_parse(raw))


def normalize_mobile(raw: str) -> str:
    """
    Return `raw` as E.164 if it is a mobile number, or raise InvalidPhone saying why not.
    Confirmations and reminders go by text or WhatsApp, which a landline, a UAN or a
    toll-free number can't receive. A mobile from abroad is accepted: WhatsApp reaches it.
    """
    number = _parse(raw)
    home = phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION
    if phonenumbers.number_type(number) not in (MOBILE_TYPES if home else MOBILE_TYPES_ABROAD):
        raise InvalidPhone(
            gettext(
                "That is not a mobile number. Enter a mobile number, so that we can send your confirmation by "
                "WhatsApp or text message, for example 0309-5885076."
            )
        )
    return _e164(number)


def try_normalize_phone(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None
