"""The front desk's pages given addresses nobody clicks: a refusal (400, 404) or the form's error, never a 500."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import BookingFactory, ClinicFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("bookings_schedule")


@pytest.fixture
def staff(admin_user):
    client = Client(raise_request_exception=False)
    sign_in(client, admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/bookings/booking/?created_at__year=99999",
        "/admin/bookings/clinic/?name__regex=(",
        "/admin/bookings/booking/?name__iregex=[",
        "/admin/bookings/slot/?starts_at__day__gt=40",
        "/admin/auth/user/?username__regex=(",
        "/admin/axes/accessattempt/?username__regex=(",
    ],
)
def test_a_lookup_the_list_does_not_offer_is_a_bad_request(staff, url):
    assert staff.get(url).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"status__exact": "confirmed"},
        {"slot__clinic__id__exact": "1"},
        {"slot__physiotherapist__id__exact": "1"},
        {"source__exact": "phone"},
        {"day": "all"},
    ],
)
def test_the_filters_the_booking_list_offers_still_filter(staff, query):
    BookingFactory()
    assert staff.get("/admin/bookings/booking/", query).status_code == 200


def test_every_filter_link_of_every_list_still_works(staff):
    """The links the filter sidebars and the date hierarchy make are the lookups that stay allowed."""
    BookingFactory()
    lists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in __import__("django.contrib.admin", fromlist=["site"]).site._registry
    ]
    checked = 0
    for url in lists:
        page = parse(staff.get(url))
        for link in page.links():
            if link.startswith("?") and "__" in link or link.startswith("?day=") or link.startswith("?state="):
                response = staff.get(url + link)
                assert response.status_code == 200, (url, link, response.status_code)
                checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "query",
    [
        "starts_at__year=1",
        "starts_at__year=9999",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
        "starts_at__year=99999",
    ],
)
def test_the_slot_list_at_the_ends_of_the_calendar_is_a_list_or_a_wacky_lookup_not_a_server_error(staff, query):
    SlotFactory()
    response = staff.get(f"/admin/bookings/slot/?{query}")
    # Django's answer to values it cannot filter by is the list again, without them, marked ?e=1.
    assert response.status_code == 200 or (response.status_code == 302 and response["Location"].endswith("?e=1"))


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "tomorrow"])
def test_a_schedule_day_the_calendar_cannot_show_is_a_form_error(staff, day):
    clinic = ClinicFactory()
    response = staff.get(SCHEDULE, {"clinic": clinic.pk, "date": day})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="errornote"' in body and "Showing today" in body


@pytest.mark.parametrize(
    ("day", "hidden"), [(dt.date.min + dt.timedelta(days=1), "prev"), (dt.date(9999, 12, 30), "next")]
)
def test_the_first_and_last_days_the_schedule_shows_have_no_link_beyond_them(staff, day, hidden):
    clinic = ClinicFactory()
    response = staff.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()})
    assert response.status_code == 200
    assert f'rel="{hidden}"' not in response.content.decode()
    assert "errornote" not in response.content.decode()


@pytest.mark.parametrize(
    "path", ["{pk}/history/abc/", "{pk}/history/1.5/", "abc/history/1/", "abc/history/", "x%20y/history/"]
)
def test_a_change_history_address_with_ids_that_are_not_numbers_is_not_found(staff, path):
    booking = BookingFactory()
    response = staff.get("/admin/bookings/booking/" + path.format(pk=booking.pk))
    assert response.status_code == 404


def test_a_change_history_version_still_opens(staff):
    booking = BookingFactory()
    version = booking.history.latest()
    response = staff.get(f"/admin/bookings/booking/{booking.pk}/history/{version.history_id}/")
    assert response.status_code == 200


@pytest.mark.parametrize("selected", ["abc", "1.5", "9" * 30 + "x"])
def test_an_action_on_rows_whose_ids_are_not_numbers_is_a_bad_request(staff, selected):
    booking = BookingFactory()
    data = {"action": "mark_attended", "_selected_action": [str(booking.pk), selected], "index": "0"}
    assert staff.post("/admin/bookings/booking/", data).status_code == 400
    booking.refresh_from_db()
    assert booking.status == "confirmed"
