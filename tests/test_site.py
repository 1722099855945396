"""Site-wide endpoints: sitemap, robots.txt, health check and error pages."""

from unittest import mock
from xml.etree import ElementTree

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from aspire.views import server_error
from content.models import Condition
from tests.factories import ClinicFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


def test_sitemap_lists_every_public_page(client):
    ClinicFactory(slug="clifton")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {loc.text for loc in ElementTree.fromstring(response.content).findall("s:url/s:loc", ns)}
    expected = {"/", "/dry-needling/", "/conditions/", "/faq/", "/clinics/", "/book/", "/clinics/clifton/"}
    expected |= {condition.get_absolute_url() for condition in Condition.objects.published()}
    assert {f"http://testserver{path}" for path in expected} <= locations


def test_robots_txt_points_to_the_sitemap_and_keeps_private_pages_out(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /admin/" in body and "Disallow: /booking/" in body


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_answered_before_the_rest_of_the_middleware(client, django_assert_num_queries, settings):
    """The load balancer asks by address over plain HTTP; the check is one `SELECT 1` and nothing else."""
    settings.SECURE_SSL_REDIRECT = True
    with django_assert_num_queries(1):
        response = client.get("/healthz", HTTP_HOST="10.0.0.11:8000")  # not in ALLOWED_HOSTS
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
    assert not response.cookies and "Content-Security-Policy" not in response
    assert client.post("/healthz").status_code == 405
    assert client.get("/healthz/x", HTTP_HOST="10.0.0.11:8000").status_code == 400  # anything else: the whole stack


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("aspire.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_404_page_is_friendly(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = parse(response)
    assert len(page.h1) == 1
    assert "tel:+923095885076" in page.links()


def test_500_page_renders_without_the_database():
    request = RequestFactory().get("/")
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError):
        response = server_error(request)
    assert response.status_code == 500
    page = parse(response.content.decode())
    assert page.h1 == ["Sorry, something went wrong on our side"]
    assert "0309-5885076" in page.text


def test_static_files_come_from_the_app_not_a_cdn(client):
    body = client.get("/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "cdn" not in body.lower()


def test_a_database_outage_is_a_503_with_retry_after_not_a_500(client):
    with mock.patch("content.views.selectors.page_get", side_effect=OperationalError("server closed the connection")):
        response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Please try again in a minute" in response.content.decode()


def test_head_requests_are_answered(client):
    """Uptime monitors and link checkers ask with HEAD."""
    for path in ("/", "/faq/", "/clinics/", "/book/", "/healthz"):
        assert client.head(path).status_code == 200, path
