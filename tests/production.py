"""The environment of a process that runs the site's production settings on the test's database."""

import os
import secrets
import urllib.parse

from django.db import connection


def database_url() -> str:
    """The test database (PostgreSQL or the SQLite file) as a DATABASE_URL."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = urllib.parse.quote(s["PASSWORD"] or "", safe="")
    return f"postgres://{s['USER']}:{password}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ASPIRE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "aspire.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # nginx's job; test requests say X-Forwarded-Proto: https
            "DATABASE_URL": database_url(),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "ASPIRE_SMS_CHANNEL": "bookings.messaging.local_channels.LocmemBackend",
        }
    )
    env.update(extra)
    return env
