"""
Whole-page cache for the public pages every visitor sees alike.

A page is kept in the shared cache (so every app server uses it) under its
address, with the *generations* of what it showed. A generation is a random token
that changes, once the transaction commits, whenever a row it depends on is
saved or deleted; a page made before the change is then never served again (the
next visitor's page replaces it), without anyone having to find and delete it:

- CONTENT: the site's pages, conditions, FAQs and testimonials, and the clinics,
  therapists and session types they name;
- AVAILABILITY: slots, bookings, leave and closures, what the booking pages show
  as free. A bulk write sends no model signal: the bookings services announce
  those (bookings.signals.schedule_changed) and the page cache listens here too.

A timeout bounds whatever slips past. Only a plain 200 response that
sets no cookie, used no CSP nonce and read no session is stored, so nothing private (a CSRF
token, a session, a nonce) is ever handed to a second visitor.
"""

import hashlib
import secrets
from collections.abc import Callable, Hashable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

CONTENT = "content"
AVAILABILITY = "availability"

# What each generation follows: saving or deleting one of these models changes it.
FOLLOWS = {
    CONTENT: [
        "content.Page",
        "content.PageSection",
        "content.Condition",
        "content.FAQCategory",
        "content.FAQ",
        "content.Testimonial",
        "bookings.Clinic",
        "bookings.Physiotherapist",
        "bookings.SessionType",
        "bookings.WeeklyAvailability",
    ],
    # Bulk writes of these send no model signal: the bookings services announce them
    # (bookings.signals.schedule_changed), and the page cache listens to that too.
    AVAILABILITY: ["bookings.Slot", "bookings.Booking", "bookings.TimeOff", "bookings.ClinicClosure"],
}

CONTENT_TIMEOUT = 10 * 60
AVAILABILITY_TIMEOUT = 60  # also how late a time that has just passed the minimum notice may still show


def _generation_key(name: str) -> str:
    return f"page-generation:{name}"


def changed(*names: str) -> None:
    """
    Make the pages that depend on `names` stale once the current transaction commits
    (at once outside a transaction). Not before: a page made in between would read
    the old rows and could be stored under the new generation.
    """
    transaction.on_commit(
        lambda: cache.set_many({_generation_key(name): secrets.token_hex(6) for name in names}, timeout=None)
    )


def _generations(names: tuple[str, ...], found: dict) -> str:
    """The tokens of `names` as `found` holds them; a missing one (first use, or evicted) is made and
    stored: a fresh token can't match a page stored under an old one."""
    keys = [_generation_key(name) for name in names]
    missing = {key: secrets.token_hex(6) for key in keys if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
    return ".".join(found.get(key) or missing[key] for key in keys)


def generation(name: str) -> str:
    """The current token of one generation: a key part for a fragment that changes with it."""
    key = _generation_key(name)
    return _generations((name,), cache.get_many([key]))


def content_generation(request: HttpRequest | None) -> str:
    """
    The CONTENT generation this request sees: read once a request (the page cache has read it
    already when it made the page), so every part made once per generation costs it no query.
    """
    found = getattr(request, "_content_generation", None)
    if found is None:
        found = generation(CONTENT)
        if request is not None:
            request._content_generation = found
    return found


def cached_response(
    request: HttpRequest,
    render: Callable[[], HttpResponse],
    *,
    depends_on: tuple[str, ...],
    timeout: int,
    vary: tuple[Hashable, ...] = (),
) -> HttpResponse:
    """
    Return the page `render()` makes for this address and `vary`, from the cache when
    it is there for the current generations of `depends_on`. The query string is not
    part of the key: a view that reads it passes the values it accepted in `vary`, so
    made-up parameters (?utm_source=...) share one entry and can't fill the cache.

    A page is stored under its address with the generations it was made for, and read
    in the same round trip as the current generations: one query a page served from
    the database cache (it was two, a read of the generations and then of the page
    under them: 0.48x of /healthz for a clinic's day in `make bench`).
    """
    if request.method not in ("GET", "HEAD"):
        return render()
    address = repr((request.scheme, request.get_host(), request.path, vary))
    key = f"page:{hashlib.sha256(address.encode()).hexdigest()}"
    serve_stored = settings.ASPIRE_PAGE_CACHE
    found = cache.get_many([*(_generation_key(name) for name in depends_on), *([key] if serve_stored else [])])
    generations = _generations(depends_on, found)
    if CONTENT in depends_on:  # the shared parts of the page (aspire_tags.shared_part) need no read of their own
        request._content_generation = generations.split(".")[depends_on.index(CONTENT)]
    if not serve_stored:
        return render()
    stored = found.get(key)
    if stored is not None and stored[0] == generations:
        _, content, content_type = stored
        return HttpResponse(content, content_type=content_type)
    response = render()
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and getattr(request, "_csp_nonce", None) is None  # a nonce is for one response only
        and not getattr(getattr(request, "session", None), "accessed", False)
    ):
        cache.set(key, (generations, response.content, response["Content-Type"]), timeout)
    return response


def shared_page(*depends_on: str, timeout: int = CONTENT_TIMEOUT):
    """Decorate a view whose page is the same for everyone and ignores the query string."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            return cached_response(
                request,
                lambda: view(request, *args, **kwargs),
                depends_on=depends_on,
                timeout=timeout,
                vary=(tuple(args), tuple(sorted(kwargs.items()))),
            )

        return wrapper

    return decorator


def connect_signals() -> None:
    """Follow the models in FOLLOWS and the schedule's announcements (called from AspireConfig.ready)."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    from bookings.signals import schedule_changed

    # Already sent on commit: the generation changes at once.
    schedule_changed.connect(
        lambda **kwargs: cache.set(_generation_key(AVAILABILITY), secrets.token_hex(6), timeout=None),
        weak=False,
        dispatch_uid="page-cache:schedule",
    )

    for name, models in FOLLOWS.items():

        def receiver(sender, name=name, **kwargs):
            changed(name)

        for label in models:
            model = apps.get_model(label)
            post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"page-cache:{name}:{label}")
            post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"page-cache:{name}:{label}:d")
