"""Production settings and the browser-facing defences: HTTPS, CSP, headers, sessions,
staff passwords, and patient data kept out of logs, URLs and page titles."""

import json
import logging
import secrets

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.checks import run_checks
from django.core.exceptions import ValidationError

from aspire.log_redaction import RedactingFormatter
from tests.factories import BookingFactory, PatientFactory
from tests.html import parse
from tests.public_site import build_public_site
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "aspirewellness.pk",
    "ASPIRE_WHATSAPP_TOKEN": "wa-token",
    "ASPIRE_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("channel", ["console", "bookings.messaging.local_channels.FileBackend"])
def test_production_refuses_to_send_texts_to_the_console(channel):
    """Without WhatsApp or a real SMS channel, patients would get nothing: check --deploy says so."""
    env = {**PRODUCTION_ENV, "ASPIRE_WHATSAPP_TOKEN": "", "ASPIRE_SMS_CHANNEL": channel}
    result = run_python(["manage.py", "check", "--deploy"], **env)
    assert result.returncode != 0 and "bookings.E001" in result.stderr
    sms = run_python(["manage.py", "check", "--deploy"], **{**env, "ASPIRE_SMS_CHANNEL": "twilio"})
    assert "bookings.E001" not in sms.stderr


def deploy_errors(check_id: str) -> list:
    return [m for m in run_checks(include_deployment_checks=True) if m.id == check_id]


def test_check_deploy_refuses_an_http_gateway_whose_success_test_is_not_set(settings):
    """A gateway answering `200 {"status": "error"}` was taken for sent, and check --deploy didn't ask how to tell."""
    settings.ASPIRE_SMS_CHANNEL = "gateway"
    settings.ASPIRE_SMS_GATEWAY_URL = "https://sms.example.pk/api/send"
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = ""
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE = ""
    assert len(deploy_errors("bookings.E002")) == 1
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = "status"
    assert len(deploy_errors("bookings.E002")) == 1  # a field without the value it must hold
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE = "ok"
    assert deploy_errors("bookings.E002") == []
    settings.ASPIRE_SMS_CHANNEL = "twilio"
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = ""
    assert deploy_errors("bookings.E002") == []  # not the gateway: nothing to ask


def test_check_deploy_is_clean_with_a_gateway_whose_success_test_is_set():
    env = {
        **PRODUCTION_ENV,
        "ASPIRE_SMS_CHANNEL": "gateway",
        "ASPIRE_SMS_GATEWAY_URL": "https://sms.example.pk/api/send",
        "ASPIRE_SMS_GATEWAY_SUCCESS_FIELD": "status",
        "ASPIRE_SMS_GATEWAY_SUCCESS_VALUE": "ok",
    }
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stderr


def test_production_settings_behind_a_tls_proxy_and_with_several_servers():
    code = (
        "import json, aspire.settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.CACHES['default']['BACKEND'], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]))"
    )
    behind_nginx = run_python(["-c", code], **PRODUCTION_ENV, DJANGO_SECURE_SSL_REDIRECT="0")
    assert behind_nginx.returncode == 0, behind_nginx.stderr
    assert json.loads(behind_nginx.stdout) == [
        False,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        "aspire.cache.DatabaseCache",
        True,
        True,
        365 * 24 * 3600,
    ]
    with_redis = run_python(["-c", code], **PRODUCTION_ENV, REDIS_URL="redis://cache.internal:6379/0")
    assert "django.core.cache.backends.redis.RedisCache" in with_redis.stdout


def test_plain_http_is_redirected_to_https_and_https_gets_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/faq/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/faq/"
    # nginx terminates TLS and says so in X-Forwarded-Proto.
    secure = client.get("/faq/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # The load balancer's health check speaks plain HTTP.
    assert client.get("/healthz").status_code == 200


def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # no inline anything
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_the_only_scripts_are_files_of_this_site(client):
    """No inline script or style anywhere, and no nonce that would let one run: htmx is a file of this site."""
    for name, path in build_public_site().items():
        response = client.get(path)
        page = parse(response.content.decode())
        assert "nonce-" not in response["Content-Security-Policy"], name
        for tag, attrs in page.tags:
            assert "style" not in attrs, (name, tag, attrs)
            assert tag != "style", name
            assert not any(attr.startswith("on") for attr in attrs), (name, tag, attrs)
            if tag == "script" and attrs.get("type") != "application/ld+json":  # JSON-LD is data, never run
                assert attrs.get("src", "").startswith("/static/"), (name, attrs)
                assert "nonce" not in attrs, (name, attrs)
        if name == "book-clinic":
            assert any(tag == "script" and "htmx" in attrs["src"] for tag, attrs in page.tags)


def test_staff_sessions_end_with_the_browser_and_after_a_working_day(client, admin_user, settings):
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "password"})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"] and cookie["secure"]
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 10 * 3600


@pytest.mark.parametrize("password", ["aspire123", "password1234", "12345678901", "reception"])
def test_weak_staff_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_admin_refuses_a_weak_password_for_a_new_receptionist(admin_client):
    from django.contrib.auth import get_user_model

    response = admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newdesk", "password1": "clinic123", "password2": "clinic123", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="newdesk").exists()


def test_patient_names_and_phones_stay_out_of_admin_page_titles(admin_client):
    patient = PatientFactory(name="Ayesha Karim", phone="+923123344556", email="ayesha@example.com")
    booking = BookingFactory(patient=patient)
    pages = [
        f"/admin/bookings/patient/{patient.pk}/change/",
        f"/admin/bookings/patient/{patient.pk}/history/",
        f"/admin/bookings/booking/{booking.pk}/change/",
        f"/admin/bookings/booking/{booking.pk}/history/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        title = parse(response.content.decode()).title
        assert "Ayesha" not in title and "3344556" not in title and "ayesha@" not in title, (url, title)
        assert "#" in title
    # The page itself still says who it is.
    assert "Ayesha Karim" in admin_client.get(pages[0]).content.decode()


def test_patient_data_stays_out_of_public_titles_and_urls(client):
    from bookings.models import SessionType

    pages = build_public_site()
    response = client.post(
        pages["book-slot"],
        {
            "name": "Ayesha Karim",
            "phone": "0312 3344556",
            "email": "ayesha@example.com",
            "session_type": SessionType.objects.first().pk,
            "consent": "on",
        },
        follow=True,
    )
    final_url = response.redirect_chain[-1][0]
    assert "3344556" not in final_url and "ayesha" not in final_url.lower()
    title = parse(response.content.decode()).title
    assert "Ayesha" not in title and "3344556" not in title
    assert "Your session is booked" in response.content.decode()


def test_log_lines_never_carry_phones_emails_or_booking_links():
    formatter = RedactingFormatter("%(levelname)s %(message)s")
    try:
        raise RuntimeError("gateway refused +923123344556 and 0312-3344556 for ayesha.k@example.com")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "Not Found: %s", ("/booking/Zq3xY-secret/",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "3344556" not in line and "ayesha" not in line and "Zq3xY" not in line
    assert "[phone]" in line and "[email]" in line and "/booking/[token]" in line
    # Dates, times and ids are left alone.
    assert (
        RedactingFormatter("%(message)s").format(
            logging.LogRecord("x", logging.INFO, __file__, 1, "slot 1234567 at 2026-11-24 10:00", (), None)
        )
        == "slot 1234567 at 2026-11-24 10:00"
    )


def test_every_log_handler_redacts(settings):
    for handler in settings.LOGGING["handlers"].values():
        formatter = settings.LOGGING["formatters"][handler["formatter"]]
        assert formatter["()"] == "aspire.log_redaction.RedactingFormatter"


def test_gunicorn_access_log_has_no_query_string_and_no_booking_token():
    from aspire import gunicorn_conf

    assert "%(q)s" not in gunicorn_conf.access_log_format and "%(r)s" not in gunicorn_conf.access_log_format
    assert "%(f)s" not in gunicorn_conf.access_log_format
    assert gunicorn_conf.logger_class.__name__ == "RedactingLogger"


def test_check_deploy_refuses_a_deposit_rule_without_a_payment_provider(db, settings):
    """With no provider, a rule asks nobody for anything: the clinic would think deposits are taken."""
    from bookings.models import DepositRule
    from tests.factories import ClinicFactory, SessionTypeFactory

    assert deploy_errors("bookings.E003") == []
    rule = DepositRule.objects.create(clinic=ClinicFactory(), session_type=SessionTypeFactory(), amount_pkr=1000)
    assert len(deploy_errors("bookings.E003")) == 1
    settings.ASPIRE_JAZZCASH_MERCHANT_ID, settings.ASPIRE_JAZZCASH_PASSWORD = "MC1", "pw"
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = "salt"
    assert deploy_errors("bookings.E003") == []
    settings.ASPIRE_JAZZCASH_INTEGRITY_SALT = ""
    rule.is_active = False
    rule.save()
    assert deploy_errors("bookings.E003") == []  # an inactive rule asks nothing


def test_check_deploy_refuses_a_provider_set_up_by_half(settings):
    settings.ASPIRE_SAFEPAY_API_KEY = "sec_key"
    assert len(deploy_errors("bookings.E004")) == 1
    settings.ASPIRE_SAFEPAY_API_KEY = ""
    assert deploy_errors("bookings.E004") == []
