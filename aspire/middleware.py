"""Site-wide middleware."""

import logging

from django.db import InterfaceError, OperationalError

from aspire.views import server_error

logger = logging.getLogger(__name__)


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
