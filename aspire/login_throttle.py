"""
Staff login throttling: django-axes' database handler with a second limit, on the username
across every address.

Axes counts failures per username *and* address (AXES_LOCKOUT_PARAMETERS): a guesser locks only
their own address, not the front desk behind one clinic's IP. Alone, that let a guesser spread
over many addresses try 5 passwords per address per 15 minutes without end (100 addresses: 500
guesses). Axes compares every parameter it counts with one limit, so the username's own, higher
limit (ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT, 20 in 15 minutes) is this subclass: past it, the
username is refused from every address until the cool-off ends. Each address counts towards it
only up to its own limit (5), so locking a username out takes 4 addresses, not one stranger.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum, Value
from django.db.models.functions import Least


class LoginThrottle(AxesDatabaseHandler):
    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self._username_locked(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and self._username_locked(request, credentials):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page (429)

    def _username_locked(self, request, credentials: dict | None) -> bool:
        username = get_client_username(request, credentials)
        return username_failures(username, request) >= settings.ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT


def username_failures(username: str | None, request=None) -> int:
    """
    How many times this username failed to sign in within the cool-off, from every address, each
    address counted up to its own limit: axes goes on counting the tries of an address it has locked,
    and one stranger hammering from one address must not lock the receptionist out everywhere.
    """
    if not username:
        return 0
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=get_cool_off_threshold(request))
    per_address = Least("failures_since_start", Value(settings.AXES_FAILURE_LIMIT))
    return attempts.aggregate(failures=Sum(per_address))["failures"] or 0
