"""seed_demo: refused on a real site, and a picture of a real fortnight where it runs."""

import io
import itertools
from collections import defaultdict

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from bookings.models import Booking, Clinic, Patient, Slot

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug(settings):
    """Its staff logins' passwords are in the README: on a real site anyone who read it could sign in."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists() and not Clinic.objects.exists() and not Booking.objects.exists()


def test_seed_demo_runs_without_debug_when_allowed(seeded, settings):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out)
    assert "Demo data: 4 clinics" in out.getvalue() and "username reception" in out.getvalue()


@pytest.fixture(scope="module")
def demo_fortnight(django_db_setup, django_db_blocker):
    """The demo, seeded once for this module (it takes seconds) and rolled back after it."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        call_command("seed_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_fortnight, db):
    """Each test in a savepoint of its own inside the module's seeded transaction."""


def test_no_demo_patient_is_in_two_places_at_once(seeded):
    """The demo had one patient booked in two clinics at the same time."""
    sessions = defaultdict(list)
    for phone, starts_at, ends_at in Booking.objects.active().values_list(
        "patient__contact__phone", "slot__starts_at", "slot__ends_at"
    ):
        sessions[str(phone)].append((starts_at, ends_at))
    assert len(sessions) > 50
    for phone, times in sessions.items():
        times.sort()
        for (_, earlier_end), (later_start, _) in itertools.pairwise(times):
            assert later_start >= earlier_end, f"{phone} has two sessions at once"
        days = [timezone.localtime(start).date() for start, _ in times]
        assert len(days) == len(set(days)), f"{phone} has two sessions on one day"


def test_each_demo_patient_keeps_to_one_clinic(seeded):
    clinics = Booking.objects.values("patient").annotate(n=Count("slot__clinic", distinct=True))
    assert {row["n"] for row in clinics} == {1}


def test_demo_is_a_picture_of_a_real_fortnight(seeded):
    now, today = timezone.now(), timezone.localdate()
    bookings = list(Booking.objects.select_related("slot"))
    past = [b for b in bookings if b.slot.ends_at <= now]
    coming = [b for b in bookings if b.slot.starts_at > now]
    assert {b.status for b in past} == {"attended", "no_show", "cancelled"}
    assert {b.status for b in coming} == {"confirmed", "cancelled"}
    assert sum(b.status == "attended" for b in past) > 5 * sum(b.status == "no_show" for b in past)
    if Slot.objects.on_day(today).exists():  # the desk's day has patients (not on a Sunday: the clinics are shut)
        assert any(timezone.localtime(b.slot.starts_at).date() == today for b in bookings)
    assert {b.source for b in bookings} == {"online", "phone", "walk_in"}
    assert all(b.slot.starts_at <= now for b in bookings if b.source == "walk_in")
    assert all(b.created_at <= b.slot.starts_at for b in bookings)
    first_visits = sum(b.session_type.short_name == "First visit" for b in bookings)
    assert 0 < first_visits < len(bookings) / 3  # most patients are part way through a course


def test_seed_demo_twice_adds_nothing(seeded):
    counts = [model.objects.count() for model in (Booking, Patient, Slot, User)]
    call_command("seed_demo", verbosity=0)
    assert [model.objects.count() for model in (Booking, Patient, Slot, User)] == counts
