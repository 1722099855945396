import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def attempt(client, password, ip="203.0.113.7", **headers):
    return client.post(
        "/admin/login/?next=/admin/", {"username": "amna", "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_admin_login_locks_after_repeated_wrong_passwords(client, settings):
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "guess").status_code == 200  # the form again, with its error
    assert attempt(client, "guess").status_code == 429  # the limit: locked
    response = attempt(client, "the-right-Pass-1")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_lockout_is_per_username_and_address_so_the_front_desk_keeps_working(client, settings):
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="198.51.100.9")  # an attacker elsewhere
    response = attempt(client, "the-right-Pass-1", ip="203.0.113.7")  # the clinic's PC
    assert response.status_code == 302


def test_forged_forwarded_for_header_does_not_reset_the_count(client, settings):
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert attempt(client, "the-right-Pass-1", ip="198.51.100.9").status_code == 429


def test_behind_one_proxy_the_address_nginx_appended_is_the_client(rf, settings):
    from aspire.client_ip import client_ip

    settings.PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # the first entry is the client's to forge
    settings.PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"


def test_behind_nginx_two_clinics_are_counted_apart(client, settings):
    """With DJANGO_PROXY_COUNT=1 every request comes from nginx; the lockout must still tell PCs apart."""
    settings.PROXY_COUNT = 1
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    clinic_pc = attempt(client, "the-right-Pass-1", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert clinic_pc.status_code == 302
