"""The client's address, the one rule for login throttling (axes) and booking rate limits.

Without a proxy, X-Forwarded-For is whatever the client typed, so only the
socket's address counts. Behind nginx (DJANGO_PROXY_COUNT=1), every request
comes from nginx's address, and the real client is the entry nginx appended:
the last one. With N proxies in a row, it is the Nth from the end; anything
before it is the client's to forge.
"""

from django.conf import settings


def client_ip(request) -> str | None:
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None  # None, not a made-up string: axes stores it as an inet
