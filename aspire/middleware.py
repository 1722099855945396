"""Site-wide middleware."""

import logging

from django.db import InterfaceError, OperationalError

from aspire.views import bad_request, healthz, server_error

logger = logging.getLogger(__name__)


class HealthCheckMiddleware:
    """Answer the load balancer's `GET /healthz` before the rest of the stack.

    The check asks only whether this process and its database answer; the site's
    middleware (security headers, CSP, sessions, CSRF, messages, history, login
    throttling) has nothing to add to that and cost it about a third of its rate
    (measured in `make bench` against a bare Django view). First in MIDDLEWARE, so
    it also needs no host name or HTTPS: a load balancer asks by address over HTTP.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)


class RejectNulMiddleware:
    """Answer 400 to a request with a NUL character in it, before anything looks it up.

    PostgreSQL cannot store or compare text holding NUL (psycopg refuses the query), so a
    NUL in a booking link, a filter, a cookie, a form field or a header that axes records
    was a 500 wherever it reached a query. No page takes one legitimately. A few substring
    checks per request; cookies and the form are parsed only where they may hide one
    (Django parses them anyway for the session and the CSRF check).

    Other control characters are let through: both databases store them, and the forms
    that need printable text (names, phone numbers) refuse them with a form error.

    Form data is checked on the staff side only. There, axes records a failed login's
    form before any form field sees it. A patient's booking form refuses a NUL as a
    form error like any other bad input (Django's text fields do), so the patient keeps
    what they typed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        query = meta.get("QUERY_STRING", "")
        if (
            "\x00" in request.path_info
            or "%00" in query  # the only escaped spelling of NUL in a query string
            or "\x00" in query
            or "\x00" in meta.get("HTTP_USER_AGENT", "")  # axes records these two with a failed login
            or "\x00" in meta.get("HTTP_ACCEPT", "")
            or _cookies_hold_nul(request)
            or (request.method == "POST" and request.path_info.startswith("/admin/") and _form_holds_nul(request))
        ):
            return bad_request(request)
        return self.get_response(request)


def _cookies_hold_nul(request) -> bool:
    raw = request.META.get("HTTP_COOKIE", "")
    # A quoted cookie value may spell NUL as the escape \000, which the parser decodes.
    if "\x00" not in raw and "\\" not in raw:
        return False
    return any("\x00" in name or "\x00" in value for name, value in request.COOKIES.items())


def _form_holds_nul(request) -> bool:
    return any("\x00" in name or any("\x00" in value for value in values) for name, values in request.POST.lists())


class DatabaseUnavailableMiddleware:
    """While the database is away (a restart, a failover), answer 503 with Retry-After.

    The page is the error page that needs no database; the next request opens a
    new connection (CONN_HEALTH_CHECKS), so the site comes back by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("Database unavailable (%s) for %s %s", type(exception).__name__, request.method, request.path)
        response = server_error(request, status=503)
        response["Retry-After"] = "5"
        return response
