"""Who the client is, for login throttling (axes) and booking rate limits: one rule.

The address: without a proxy, X-Forwarded-For is whatever the client typed, so only
the socket's address counts. Behind nginx, every request comes from nginx, and the
header is read only then: when the socket's address is one of DJANGO_TRUSTED_PROXIES.
Each proxy appends the address it was sent the request from, so walking the header
from the right past our own proxies, the first address that is not one of them is
the client; anything left of it is the client's to forge. A gunicorn reached directly,
past nginx, sees the client's own address as the socket's, and ignores the header.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None  # None, not a made-up string: axes stores it as an inet
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or remote is None:
        return remote
    hop = _address(remote)
    if hop is None or not any(hop in network for network in networks):
        return remote
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            # Not written by a proxy of ours: the last hop we trust is all we know.
            break
        hop = address
        if not any(hop in network for network in networks):
            break
    return str(hop)


def login_username(request, credentials: dict | None = None) -> str | None:
    """Return the username of a sign-in attempt as axes records it: cut to its column's 255 characters.

    No account has a username that long (Django's are at most 150), so the cut never
    joins a real user's count to another's; a guesser's long names still count, each
    under its first 255 characters, against the same address.
    """
    username = credentials.get("username") if credentials else request.POST.get("username")
    return username[:255] if isinstance(username, str) else username
