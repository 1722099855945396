"""Checks that must pass before the site serves a single request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Refuse to serve without a secret key; management commands that need none are not stopped."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on reading an empty key
    except ImproperlyConfigured:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.") from None
