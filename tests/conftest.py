import os
from pathlib import Path

import pytest
from django.db import connection

from tests.fake_payments import fake_provider  # noqa: F401 (fixtures for any test of deposits)
from tests.jazzcash_standin import jazzcash_standin  # noqa: F401
from tests.safepay_standin import safepay_standin  # noqa: F401

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("ASPIRE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    """Deselect PostgreSQL-only tests on SQLite: the PostgreSQL pass of `make test` runs them."""
    if connection.vendor == "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def missing(what: str):
    """Fail in CI (a green run means everything ran); skip on a developer's machine."""
    if IN_CI:
        pytest.fail(f"{what} is missing, and CI may not skip it")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which
    # Django takes for async code; the test's ORM calls here are ordinary sync ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=1, is_mobile=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def rerun_data_migration(module: str, function: str) -> None:
    """Run a data migration's function again (they are idempotent) with the current models."""
    import importlib

    from django.apps import apps

    getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def shipped_content(transactional_db):
    """Put back the content the data migration ships, which a transactional test's flush removes."""
    rerun_data_migration("content.migrations.0002_initial_content", "add_content")


@pytest.fixture
def staff_groups(transactional_db):
    """Put back the staff groups the migration creates, which a transactional test's flush removes."""
    rerun_data_migration("bookings.migrations.0004_staff_groups", "create_groups")
    rerun_data_migration("bookings.migrations.0010_front_desk", "grant")
    rerun_data_migration("bookings.migrations.0012_privacy_permissions", "grant")
    rerun_data_migration("bookings.migrations.0014_receptionist_logins", "grant")
    rerun_data_migration("bookings.migrations.0032_deposit_rule_permissions", "grant")


@pytest.fixture(autouse=True)
def _site_language():
    """
    Each test starts in the site's language: a request to an Urdu page leaves Urdu active in
    the thread (LocaleMiddleware activates, nothing deactivates), and a later test's
    reverse() would then give /ur/ addresses.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits count in the cache; one test's posts must not count against the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def standin():
    """A local stand-in for the Graph API, Twilio and an SMS gateway (tests/standin.py)."""
    from tests.standin import StandIn

    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def providers(settings, standin):
    """The message providers' settings, pointing at the stand-in."""
    settings.ASPIRE_WHATSAPP_API_URL = standin.graph_url
    settings.ASPIRE_WHATSAPP_TOKEN = "wa-token"
    settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    settings.ASPIRE_WHATSAPP_APP_SECRET = "wa-app-secret"
    settings.ASPIRE_WHATSAPP_VERIFY_TOKEN = "wa-verify-token"
    settings.ASPIRE_TWILIO_API_URL = standin.url
    settings.ASPIRE_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.ASPIRE_TWILIO_AUTH_TOKEN = "twilio-auth-token"
    settings.ASPIRE_TWILIO_FROM = "+15005550006"
    settings.ASPIRE_TWILIO_STATUS_CALLBACK = "https://aspirewellness.pk/webhooks/twilio/"
    settings.ASPIRE_SMS_GATEWAY_URL = standin.gateway_url
    settings.ASPIRE_SMS_GATEWAY_KEY = "gateway-key"
    settings.ASPIRE_SMS_GATEWAY_SENDER = "ASPIRE"
    settings.ASPIRE_SMS_GATEWAY_ID_KEY = "data.message_id"
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = "status"
    settings.ASPIRE_SMS_GATEWAY_SUCCESS_VALUE = "ok"
    return standin


@pytest.fixture
def race():
    """Run jobs at once on real connections: `race(jobs, refusals=(...))` (tests/race.py)."""
    from tests.race import run_together

    return run_together


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's superuser client, signed in with a second factor as every staff login is (tests/staff.py)."""
    from tests.staff import sign_in  # here: it imports django-otp's models, ready only once Django is set up

    return sign_in(client, admin_user)
