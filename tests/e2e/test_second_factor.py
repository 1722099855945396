"""
A receptionist's first and second sign-in in Chromium, with an authenticator app and with a
passkey (Chromium's virtual authenticator, driven over the DevTools protocol).
"""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tests.e2e.a11y import axe_violations
from tests.staff import code_for_key, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-Pass-2026"


@pytest.fixture
def sana(staff_groups):
    return staff_login("sana", PASSWORD)


def password_step(page, base_url):
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", "sana")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.parametrize("width", [375, 1366])
def test_a_first_sign_in_sets_up_an_authenticator_app(browser, live_server, sana, artifacts, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    password_step(page, live_server.url)
    page.wait_for_selector("text=Set up your second factor")
    qr = page.locator(".second-factor-qr svg").bounding_box()
    assert qr and qr["width"] >= 150 and qr["height"] >= 150, (qr, page.inner_html(".second-factor-qr")[:300])
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling on a phone
    page.screenshot(path=str(artifacts / f"second-factor-set-up-{width}.png"), full_page=True)
    assert axe_violations(page) == []

    # She scans the code; the test reads the key beside it, as typing it into the app would.
    key = page.inner_text(".second-factor-secret")
    assert not TOTPDevice.objects.exists()  # stored once a code confirms it
    page.fill("#id_code", "000000")
    page.click("input[type=submit][value=Confirm]")
    assert "That code is not right" in page.inner_text(".errorlist")
    assert axe_violations(page) == []
    page.fill("#id_code", code_for_key(key))
    page.click("input[type=submit][value=Confirm]")
    codes = page.locator(".second-factor-codes code").all_inner_texts()
    assert len(codes) == 10
    assert axe_violations(page) == []
    page.click("#second-factor-continue")
    assert page.locator("#user-tools").is_visible() and "Clinics, bookings and site content" in page.title()

    # The next day: the password, then the app's code.
    context.clear_cookies()
    password_step(page, live_server.url)
    page.wait_for_selector("text=Prove it's you")
    assert axe_violations(page) == []
    page.fill("#id_code", codes[0])  # or a recovery code, once
    page.click("input[type=submit][value=Continue]")
    assert page.locator("#user-tools").is_visible()
    context.close()


def test_a_passkey_is_added_at_the_first_sign_in_and_used_at_the_next(browser, live_server, sana, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")  # a secure context without TLS
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    password_step(page, live_server.url)
    page.click("#passkey-register-button")
    # Registered: the page carries on by itself to her recovery codes.
    page.wait_for_selector(".second-factor-codes")
    assert WebAuthnCredential.objects.filter(user=sana).count() == 1
    page.click("#second-factor-continue")
    assert page.locator("#user-tools").is_visible()

    context.clear_cookies()
    password_step(page, live_server.url)
    page.wait_for_selector("text=Prove it's you")
    page.click("#passkey-verification-button")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.wait_for_selector("#user-tools")
    assert "Clinics, bookings and site content" in page.title()
    context.close()
