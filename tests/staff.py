"""
Signing staff in, the way the site requires: the password, then a second factor.

Whenever debug is off (the tests' settings too) the admin opens only to a session that passed
a second factor (aspire/second_factor.py). Tests never turn that off: they sign in as a
receptionist would, with a real device.

- `sign_in(client, user)`: for Django's test client. It does the password step with
  force_login, gives the login an authenticator app (a TOTP device), checks a code the app
  would show against it, and marks the session as having passed with that device just now, as
  aspire.second_factor.mark_passed does after a correct code.
- `sign_in_browser(page, base_url, username, password)`: for Playwright. It types the
  password and then the app's current code into the real pages.
"""

import base64
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from aspire.second_factor import PASSED_AT_SESSION_KEY


def staff_login(username: str, password: str, group: str = "Receptionist"):
    """A staff login in one of the shipped groups (the staff_groups fixture makes them)."""
    user = get_user_model().objects.create_user(username=username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def app_for(user) -> TOTPDevice:
    """A confirmed authenticator app for this login (a new one each time, so no code is reused)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_of(device: TOTPDevice) -> str:
    """The 6 digits the app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def code_for_key(shown_key: str) -> str:
    """The 6 digits an app shows now for the key the set-up page shows (base32, in groups of 4)."""
    return f"{totp(base64.b32decode(shown_key.replace(' ', ''))):06d}"


def sign_in(client, user):
    """Sign a staff login in with its password and a verified second factor; return the client."""
    client.force_login(user)
    device = app_for(user)
    assert device.verify_token(code_of(device)), "the app's own code must verify"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[PASSED_AT_SESSION_KEY] = time.time()
    session.save()
    return client


def sign_in_browser(page, base_url: str, username: str, password: str, *, next_path: str = "/admin/") -> None:
    """Sign in through the login page and the second factor's page, as a receptionist does."""
    user = get_user_model().objects.get(username=username)
    device = app_for(user)
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.fill("#id_code", code_of(device))
    page.click("input[type=submit][value=Continue]")
