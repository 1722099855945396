import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

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


def test_behind_nginx_the_address_nginx_appended_is_the_client(rf, settings):
    from aspire.client_ip import client_ip

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # the first entry is the client's to forge
    settings.TRUSTED_PROXIES = []
    assert client_ip(request) == "127.0.0.1"


def test_the_header_is_walked_from_the_right_past_every_trusted_proxy(rf, settings):
    from aspire.client_ip import client_ip

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]  # a load balancer's network, and nginx on the machine
    request = rf.get("/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.1.2.3")
    assert client_ip(request) == "203.0.113.7"
    # Only proxies: the farthest one is all we know.
    assert client_ip(rf.get("/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="10.1.2.3")) == "10.1.2.3"
    # No header, or one no proxy of ours wrote: the proxy that sent the request.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.4.4.4")) == "10.4.4.4"
    assert client_ip(rf.get("/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="not an address, 10.1.2.3")) == "10.1.2.3"


def test_a_forged_header_sent_straight_to_gunicorn_is_ignored(client, settings):
    """Behind nginx, a client that reaches gunicorn directly must not pick its address for each guess."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="198.51.100.9", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    response = attempt(client, "the-right-Pass-1", ip="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_behind_nginx_two_clinics_are_counted_apart(client, settings):
    """Every request comes from nginx; the lockout must still tell PCs apart."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    clinic_pc = attempt(client, "the-right-Pass-1", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert clinic_pc.status_code == 302


def test_a_garbage_header_from_behind_nginx_counts_against_nginx_not_a_server_error(settings):
    """axes stores the address as an inet: what is not an address never reaches it."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(raise_request_exception=False)
    response = attempt(client, "guess", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="garbage")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_a_username_longer_than_axes_stores_still_counts_towards_the_lockout(settings):
    """axes writes the username into 255 characters: a longer one was a 500 on PostgreSQL, and counted nothing."""
    client = Client(raise_request_exception=False)
    long_name = "a" * 300
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/admin/login/", {"username": long_name, "password": "guess"}, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": long_name + "b", "password": "x"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429  # each counted under its first 255 characters
    assert AccessAttempt.objects.get().username == "a" * 255


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_staff_land_on_the_admin_after_signing_in_with_an_unsafe_next_address(client, next_url):
    """It was /accounts/profile/, a page that does not exist. The second factor comes between, and drops it too."""
    from tests.staff import app_for, code_of

    amna = get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    device = app_for(amna)
    response = client.post(f"/admin/login/?next={next_url}", {"username": "amna", "password": "the-right-Pass-1"})
    assert response.status_code == 302 and response["Location"] == "/admin/second-factor/"
    response = client.post(f"/admin/second-factor/?next={next_url}", {"code": code_of(device), "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_retired_proxy_count_setting_stops_the_server_with_what_to_set_instead():
    from tests.test_settings import run_python

    result = run_python(["-c", "import aspire.settings"], DJANGO_SECRET_KEY="x" * 50, DJANGO_PROXY_COUNT="1")
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES" in result.stderr


def test_a_trusted_proxy_that_is_not_an_address_stops_the_server():
    from tests.test_settings import run_python

    result = run_python(["-c", "import aspire.settings"], DJANGO_SECRET_KEY="x" * 50, DJANGO_TRUSTED_PROXIES="nginx")
    assert result.returncode != 0
    assert "'nginx' is not an address or network" in result.stderr


def test_a_guesser_spread_over_many_addresses_meets_a_limit_on_the_username(client, settings):
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    per_address = settings.AXES_FAILURE_LIMIT - 1  # each address stays under its own lock
    addresses = [f"198.51.100.{i}" for i in range(settings.ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT // per_address + 1)]
    for ip in addresses:
        for _ in range(per_address):
            attempt(client, "guess", ip=ip)
    # Before: 5 tries per address per 15 minutes, however many addresses; the next address
    # was let in at once with the right password.
    assert attempt(client, "the-right-Pass-1", ip="192.0.2.50").status_code == 429
    assert AccessAttempt.objects.filter(username="amna").count() == len(addresses) + 1


def test_the_username_limit_is_higher_than_the_address_one_so_one_stranger_cannot_lock_a_receptionist_out(
    client, settings
):
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    assert settings.ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT >= 4 * settings.AXES_FAILURE_LIMIT
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess", ip="198.51.100.9")
    assert attempt(client, "the-right-Pass-1", ip="203.0.113.7").status_code == 302


def test_one_stranger_hammering_from_one_address_does_not_lock_the_username_everywhere(client, settings):
    """Axes counts every try of a locked address, so 25 from one address passed the username's 20."""
    get_user_model().objects.create_user(username="amna", password="the-right-Pass-1", is_staff=True)
    for _ in range(settings.ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT + 5):
        attempt(client, "guess", ip="198.51.100.9")
    assert attempt(client, "the-right-Pass-1", ip="198.51.100.9").status_code == 429  # that address: locked
    assert attempt(client, "the-right-Pass-1", ip="203.0.113.7").status_code == 302  # the clinic's PC: in
