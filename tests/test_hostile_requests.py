"""Whatever a stranger or a member of staff puts in an address, a cookie or a form, the site answers
with a page or a refusal (400 or 404), never a server error, and writes nothing.

Several of these were 500s on PostgreSQL only (it refuses text holding NUL): run on both databases.
"""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from bookings.models import Booking, Patient, Slot
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def lenient_client(**kwargs) -> Client:
    """A client that returns a server error as a response, as a browser would see it, instead of raising."""
    return Client(raise_request_exception=False, **kwargs)


@pytest.fixture
def booking(db):
    return BookingFactory()


@pytest.fixture
def staff_client(admin_user):
    client = lenient_client()
    sign_in(client, admin_user)
    return client


def counts() -> tuple[int, ...]:
    return (Booking.objects.count(), Patient.objects.count(), Slot.objects.count(), AccessAttempt.objects.count())


# --- NUL: refused before any lookup ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/booking/%00/",
        "/booking/%00/calendar.ics",
        "/booking/%00/cancel/",
        "/booking/%00/move/",
        "/booking/abc%00def/move/1/",
        "/book/?physio=%00",
        "/book/{clinic}/?physio=%00",
        "/book/{clinic}/?%00=1",
        "/clinics/%00/",
        "/faq/?q=a%00",
    ],
)
def test_a_nul_in_a_public_address_is_a_bad_request(url):
    clinic = ClinicFactory()
    response = lenient_client().get(url.format(clinic=clinic.slug))
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert "We could not read that request" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/bookings/booking/?status__exact=%00",
        "/admin/autocomplete/?term=%00&app_label=bookings&model_name=booking&field_name=slot",
        "/admin/bookings/booking/?q=%00",
        "/admin/bookings/booking/%00/change/",
        "/admin/bookings/schedule/?date=%00",
    ],
)
def test_a_nul_in_an_admin_address_is_a_bad_request(staff_client, url):
    assert staff_client.get(url).status_code == 400


@pytest.mark.parametrize(
    "cookie",
    [
        "sessionid=abcdefghij\x00klmnopqrst",
        'sessionid="abcdefghij\\000klmnopqrst"',  # the quoted escape the cookie parser decodes to NUL
        "csrftoken=\x00",
        "a\x00b=1",
    ],
)
def test_a_nul_in_a_cookie_is_a_bad_request(cookie):
    assert lenient_client().get("/admin/login/", HTTP_COOKIE=cookie).status_code == 400


def test_a_nul_in_a_booking_form_is_refused_and_books_nothing(booking):
    slot = SlotFactory()
    before = counts()
    form = {"name": "Ayesha\x00", "phone": "0309-5885076", "session_type": booking.session_type_id, "consent": "on"}
    response = lenient_client().post(f"/book/slot/{slot.pk}/", form)
    assert response.status_code == 400
    assert counts() == before
    # The patient gets the form back with a message, and keeps what they typed.
    body = response.content.decode()
    assert "Null characters are not allowed" in body and "0309-5885076" in body


def test_a_nul_in_the_admin_login_form_is_refused_and_records_nothing():
    before = counts()
    response = lenient_client().post("/admin/login/", {"username": "amna\x00", "password": "guess"})
    assert response.status_code == 400 and counts() == before


@pytest.mark.parametrize("header", ["HTTP_USER_AGENT", "HTTP_ACCEPT"])
def test_a_nul_in_a_header_axes_records_is_refused_and_records_nothing(header):
    before = counts()
    response = lenient_client().post("/admin/login/", {"username": "amna", "password": "guess"}, **{header: "x\x00"})
    assert response.status_code == 400
    assert counts() == before


def test_other_control_characters_reach_the_page(booking):
    """Both databases store them, so they are let through: the page answers as for any unknown value."""
    client = lenient_client()
    assert client.get("/book/?physio=%01%1b%0d%0a").status_code == 200
    assert client.get("/booking/%01%7f/").status_code == 404


# --- Forms Django cannot decode -------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-16", "latin-1"])
@pytest.mark.parametrize("url", ["/admin/login/", "/book/slot/1/"])
def test_a_form_in_another_charset_with_its_own_csrf_cookie_is_a_bad_request(url, charset):
    client = lenient_client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    body = f"csrfmiddlewaretoken={'a' * 32}&username=amna&password=guess".encode(charset)
    before = counts()
    response = client.generic("POST", url, body, content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 400
    assert counts() == before


# --- Every URL of the site, with hostile values -----------------------------------------------------

HOSTILE = [
    "\x00",
    "x" * 3000,
    "(",
    "9" * 30,
    "-1",
    "1e309",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "\x01\x1b\r\n",
    "١٢",
    "a b/c",
]
# Query parameters the site's views or Django's admin read.
QUERY_PARAMETERS = [
    "date",
    "physio",
    "gender",
    "clinic",
    "next",
    "q",
    "o",
    "p",
    "e",
    "all",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "_changelist_filters",
    "_popup",
    "_to_field",
    "_facets",
    "created_at__year",
    "name__regex",
    "status__exact",
    "starts_at__year",
    "starts_at__month",
    "id__gte",
]
PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>|\((?:\?P<(\w+)>)?[^()]*\)")


def url_templates(patterns=None, prefix=""):
    """Yield (template, names, pattern) for every URL pattern: the route with {} where each parameter goes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            route = route.removeprefix("^").removesuffix("$")
        names = [a or b for a, b in PLACEHOLDER.findall(route)]
        template = prefix + PLACEHOLDER.sub("{}", route.replace("{", "{{").replace("}", "}}"))
        if isinstance(pattern, URLResolver):
            for inner, inner_names, inner_pattern in url_templates(pattern.url_patterns, template):
                yield inner, names + inner_names, inner_pattern
        else:
            assert isinstance(pattern, URLPattern)
            yield template, names, pattern


def valid_value(name: str, template: str, objects: dict) -> str:
    """A value for a parameter that finds something, so that another parameter's hostile value is reached."""
    if name in ("object_id", ""):  # an admin object, in a path or an unnamed group
        for model, model_admin in site._registry.items():
            if template.startswith(f"/admin/{model._meta.app_label}/{model._meta.model_name}/"):
                first = model_admin.model._default_manager.order_by("pk").first()
                return str(first.pk) if first else "1"
    return objects.get(name, "1")


def hostile_urls(objects: dict):
    """Yield (url, the hostile values to try in its query parameters): each URL with valid values, then hostile ones.

    An object's pages (change, delete, history) read few query parameters: a few values are enough there.
    """
    for template, names, _ in url_templates():
        template = "/" + template
        valid = [valid_value(name, template, objects) for name in names]
        yield template.format(*valid), tuple(HOSTILE[:3] if names else HOSTILE)
        for position in range(len(names)):
            for value in HOSTILE:
                values = list(valid)
                values[position] = value
                yield template.format(*values), ()


def walk(client: Client, objects: dict, *, admin: bool) -> list[tuple[str, dict, int]]:
    """GET every URL (the admin's only if `admin`), and each with every query parameter hostile; return the 500s."""
    failures = []
    for url, query_values in dict.fromkeys(hostile_urls(objects)):
        if url.startswith("/admin/") != admin:
            continue
        queries = [{}]
        if not url.endswith(("/logout/", "/healthz")):
            queries += [dict.fromkeys(QUERY_PARAMETERS, value) for value in query_values]
        for query in queries:
            response = client.get(url, query)
            if response.status_code >= 500:
                failures.append((url, query, response.status_code))
    return failures


@pytest.fixture
def site_objects(booking):
    physio = PhysiotherapistFactory()
    return {
        "token": booking.manage_token,
        "slot_id": str(SlotFactory(clinic=booking.slot.clinic, physiotherapist=physio).pk),
        "slug": booking.slot.clinic.slug,
        "clinic_slug": booking.slot.clinic.slug,
        "app_label": "bookings",
        "content_type_id": "1",
        "url": "x",
    }


def test_no_public_url_answers_a_server_error(site_objects, admin_user):
    anonymous, staff = lenient_client(), lenient_client()
    sign_in(staff, admin_user)
    before = counts()
    assert walk(anonymous, site_objects, admin=False) == []
    assert walk(staff, site_objects, admin=False) == []
    assert counts() == before


def test_no_admin_url_answers_a_server_error(site_objects, staff_client):
    before = counts()
    assert walk(staff_client, site_objects, admin=True) == []
    assert walk(lenient_client(), site_objects, admin=True) == []  # to anyone not signed in: the login page
    assert counts() == before
