"""Pakistani phone numbers in every usual spelling, to one E.164 form."""

import phonenumbers
from django.conf import settings


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return `raw` as E.164 (+923095885076), or raise InvalidPhone."""
    text = str(raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhone("Enter a phone number, for example 0309-5885076.")
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("Enter a valid phone number, for example 0309-5885076.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Enter a valid phone number, for example 0309-5885076.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None
