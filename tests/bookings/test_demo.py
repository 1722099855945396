"""seed_demo: refused on a real site, and a picture of a real fortnight where it runs."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from bookings.models import Booking, Clinic

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug(settings):
    """Its staff logins' passwords are in the README: on a real site anyone who read it could sign in."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists() and not Clinic.objects.exists() and not Booking.objects.exists()


def test_seed_demo_runs_without_debug_when_allowed(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--allow-production", verbosity=0)
    assert User.objects.filter(username="reception").exists()
