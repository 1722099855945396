"""The page cache: pages everyone sees alike come from the cache, and never outlive a change."""

import datetime as dt

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from aspire import page_cache
from bookings.booking import services
from bookings.models import Booking, Clinic, Slot
from bookings.schedule import slots
from content.models import Condition, Page
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a write leaves for its commit (the test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def day_page():
    """A clinic's day with one free time; return (path, slot)."""
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    slot = SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(), starts_at=start)
    return f"/book/clifton/?date={start:%Y-%m-%d}", slot


def test_a_page_seen_twice_is_made_once(client, django_assert_num_queries):
    first = client.get("/")
    with django_assert_num_queries(0):  # the test cache is in memory: no query at all
        again = client.get("/")
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]  # headers are made fresh


def test_made_up_query_parameters_share_the_page(client, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/?utm_source=instagram&fbclid=x").status_code == 200


def test_an_edit_shows_at_once(client, committed):
    client.get("/")
    page = Page.objects.get(key=Page.HOME)
    page.heading = "Dry needling that gets you moving again"
    with committed():
        page.save()
    assert "Dry needling that gets you moving again" in client.get("/").content.decode()

    condition = Condition.objects.get(slug="sciatica")
    client.get("/conditions/")
    condition.is_published = False
    with committed():
        condition.save()
    assert "/conditions/sciatica/" not in client.get("/conditions/").content.decode()
    assert client.get("/conditions/sciatica/").status_code == 404


def test_nothing_changes_before_the_commit(client):
    """A page made before the edit commits may hold the old text: it must not outlive the commit."""
    client.get("/")
    page = Page.objects.get(key=Page.HOME)
    page.heading = "Dry needling that gets you moving again"
    page.save()  # not committed yet: the old page is still the one to serve
    assert "Dry needling that gets you moving again" not in client.get("/").content.decode()


def test_a_clinic_renamed_is_renamed_on_every_page(client, committed):
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    client.get("/")
    client.get("/clinics/clifton/")
    with committed():
        Clinic.objects.filter(pk=clinic.pk).update(name="Clifton Block 5")  # no signal: say so
        page_cache.changed(page_cache.CONTENT)
    assert "Clifton Block 5" in client.get("/").content.decode()  # the footer lists clinics
    assert "Clifton Block 5" in client.get("/clinics/clifton/").content.decode()


def test_a_booked_time_leaves_the_day_at_once(client, day_page, committed):
    path, slot = day_page
    assert f"/book/slot/{slot.pk}/" in client.get(path).content.decode()
    with committed():
        BookingFactory(slot=slot)
    assert f"/book/slot/{slot.pk}/" not in client.get(path).content.decode()
    with committed():
        services.booking_cancel(booking=Booking.objects.get(slot=slot))  # a booking is cancelled, never deleted
    assert f"/book/slot/{slot.pk}/" in client.get(path).content.decode()


def test_a_blocked_time_leaves_the_day_at_once(client, day_page, committed):
    """Blocking writes with update(), which sends no signal: the service says so itself."""
    path, slot = day_page
    client.get(path)
    with committed():
        slots.slots_set_blocked(slots=[slot], blocked=True, reason="Staff meeting")
    assert f"/book/slot/{slot.pk}/" not in client.get(path).content.decode()


def test_generated_slots_show_at_once(client, day_page, committed):
    """Slot generation writes with bulk_create, which sends no signal."""
    path, slot = day_page
    from bookings.models import WeeklyAvailability

    client.get(path)
    day = timezone.localtime(slot.starts_at).date()
    WeeklyAvailability.objects.create(
        physiotherapist=slot.physiotherapist,
        clinic=slot.clinic,
        weekday=day.weekday(),
        start_time=dt.time(15),
        end_time=dt.time(16),
        slot_minutes=60,
        valid_from=day,
    )
    with committed():
        assert slots.slots_generate(start_date=day, days=1) == 1
    new = Slot.objects.exclude(pk=slot.pk).get()
    assert f"/book/slot/{new.pk}/" in client.get(path).content.decode()


def test_the_day_page_and_its_htmx_fragment_are_kept_apart(client, day_page):
    path, _ = day_page
    full = client.get(path).content.decode()
    fragment = client.get(path, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in fragment
    assert "<html" in client.get(path).content.decode()


def test_filters_are_part_of_the_key_and_unknown_ones_are_not(client, day_page, django_assert_max_num_queries):
    path, slot = day_page
    other = "female" if slot.physiotherapist.gender == "male" else "male"
    assert f"/book/slot/{slot.pk}/" in client.get(path).content.decode()
    assert f"/book/slot/{slot.pk}/" not in client.get(f"{path}&gender={other}").content.decode()
    client.get(f"{path}&physio=no-such-therapist")
    with django_assert_max_num_queries(1):  # the unknown therapist is looked up, then dropped: same page
        assert f"/book/slot/{slot.pk}/" in client.get(f"{path}&physio=someone-else").content.decode()


def test_private_responses_are_never_stored():
    """A response that sets a cookie, used a CSP nonce or read the session is for one visitor only."""
    factory = RequestFactory()
    made = []

    def render_with(private):
        def render():
            made.append(1)
            response = HttpResponse("page")
            private(request, response)
            return response

        return render

    cases = {
        "cookie": lambda request, response: response.set_cookie("csrftoken", "secret"),
        "nonce": lambda request, response: setattr(request, "_csp_nonce", "abc"),
        "session": lambda request, response: setattr(request, "session", type("S", (), {"accessed": True})()),
        "not 200": lambda request, response: setattr(response, "status_code", 404),
    }
    for name, private in cases.items():
        made.clear()
        for _ in range(2):
            request = factory.get(f"/{name.replace(' ', '-')}/")
            page_cache.cached_response(request, render_with(private), depends_on=(page_cache.CONTENT,), timeout=60)
        assert len(made) == 2, name


def test_posts_are_never_served_from_the_cache(client, day_page):
    _, slot = day_page
    session_type = SessionTypeFactory()
    path = f"/book/slot/{slot.pk}/"
    response = client.post(
        path,
        {
            "name": "Ayesha Karim",
            "phone": "0312-3344556",
            "session_type": session_type.pk,
            "consent": "on",
            "website": "",
        },
    )
    assert response.status_code == 302 and Booking.objects.filter(slot=slot).exists()


@pytest.mark.django_db(transaction=True)
def test_a_patients_booking_leaves_the_day_once_committed(client):
    """Through the real endpoint, with real commits: the next visitor no longer sees the time."""
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    slot = SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(), starts_at=start)
    path = f"/book/clifton/?date={start:%Y-%m-%d}"
    assert f"/book/slot/{slot.pk}/" in client.get(path).content.decode()
    response = client.post(
        f"/book/slot/{slot.pk}/",
        {"name": "Ayesha Karim", "phone": "0312-3344556", "session_type": SessionTypeFactory().pk, "consent": "on"},
    )
    assert response.status_code == 302
    assert f"/book/slot/{slot.pk}/" not in client.get(path).content.decode()


def test_the_blank_booking_form_is_drawn_once_per_change_of_session_types(client, day_page, committed):
    _, slot = day_page
    with committed():
        session_type = SessionTypeFactory(name="Follow-up dry needling")
    path = f"/book/slot/{slot.pk}/"
    first = client.get(path).content.decode()
    assert "Follow-up dry needling" in first and "csrfmiddlewaretoken" in first
    again = client.get(path).content.decode()
    assert again.count("csrfmiddlewaretoken") == 1  # the token is never part of the cached fields
    with committed():
        session_type.name = "Follow-up session"
        session_type.save()
    assert "Follow-up session" in client.get(path).content.decode()
    # A posted form with mistakes shows what this patient typed, never a cached blank form.
    typed = client.post(path, {"name": "Ayesha Karim", "phone": "12", "session_type": session_type.pk})
    assert typed.status_code == 400 and 'value="Ayesha Karim"' in typed.content.decode()


def test_a_page_from_the_database_cache_costs_one_query(transactional_db, client, day_page):
    """Production keeps pages in a database table: a page served from it is one read, of the page and
    its generations together, on the clinic list and on a clinic's day."""
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    path, _ = day_page
    table = "aspire_test_page_cache"
    with override_settings(CACHES={"default": {"BACKEND": "aspire.cache.DatabaseCache", "LOCATION": table}}):
        call_command("createcachetable", verbosity=0)
        try:
            for address in ("/clinics/", path):
                first = client.get(address)
                with CaptureQueriesContext(connection) as queries:
                    again = client.get(address)
                assert again.content == first.content
                assert len(queries) == 1, [q["sql"] for q in queries]
            page_cache.changed(page_cache.AVAILABILITY)  # outside a transaction: at once
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            assert len(queries) > 1  # made again: a changed generation is never served the old page
        finally:
            caches["default"].clear()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {table}")
