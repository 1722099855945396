"""
Staff sign in with a second factor (aspire/second_factor.py): set up at the first sign-in,
required at every one after, with recovery codes, and reset by a clinic manager.
"""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.staff import app_for, code_for_key, code_of, sign_in, staff_login

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-Pass-1"
STEP = "/admin/second-factor/"


@pytest.fixture
def amna(staff_groups):
    return staff_login("amna", PASSWORD)


def password_step(client, next_url="/admin/"):
    return client.post(f"/admin/login/?next={next_url}", {"username": "amna", "password": PASSWORD})


def a_moment_later(user) -> None:
    """The seconds a person takes to type the next code: the wait a wrong code earned is over."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)


def text(response) -> str:
    return response.content.decode()


def test_the_password_alone_opens_no_admin_page(client, amna):
    """Before: the password opened every page, screening answers included."""
    response = password_step(client, "/admin/bookings/booking/")
    assert response.status_code == 302 and response["Location"] == f"{STEP}?next=%2Fadmin%2Fbookings%2Fbooking%2F"
    for url in ["/admin/", "/admin/bookings/booking/", "/admin/bookings/schedule/", "/admin/bookings/patient/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        # Back to the login page, which sends a signed-in login straight on to its second factor.
        assert client.get(response["Location"])["Location"].startswith(STEP)


def shown_key(response) -> str:
    return re.search(r'class="second-factor-secret">([A-Z2-7 ]+)<', text(response)).group(1)


def shown_codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", text(response))


def test_the_first_sign_in_sets_up_an_authenticator_app_and_gives_recovery_codes(client, amna):
    password_step(client)
    page = client.get(f"{STEP}?next=/admin/bookings/booking/")
    body = text(page)
    assert page.status_code == 200 and "Set up your second factor" in body
    assert '<svg role="img"' in body and "Add a passkey" in body  # the QR code to scan; the passkey button
    key = shown_key(page)
    assert shown_key(client.get(STEP)) == key  # a reload shows the same secret
    assert not TOTPDevice.objects.exists()  # stored only once a code confirms it

    wrong = client.post(STEP, {"code": "000000", "next": "/admin/bookings/booking/"})
    assert wrong.status_code == 200 and "That code is not right" in text(wrong)
    assert client.get("/admin/").status_code == 302

    done = client.post(STEP, {"code": code_for_key(key), "next": "/admin/bookings/booking/"})
    assert done.status_code == 302  # the codes are shown by the next page, so a reload re-sends nothing
    shown = client.get(done["Location"])
    codes = shown_codes(shown)
    assert "Your recovery codes" in text(shown) and len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/admin/bookings/booking/"' in text(shown)  # then on to where she was going
    assert shown_codes(client.get(done["Location"])) == []  # shown once
    assert client.get("/admin/bookings/booking/").status_code == 200
    app = TOTPDevice.objects.get(user=amna)
    assert app.confirmed and key.replace(" ", "") in app.config_url


def test_a_secret_seen_by_another_session_is_never_the_one_stored(amna):
    """Before: the set-up page showed every session the same unconfirmed secret, so someone with the
    password could copy it first and hold codes to the app the receptionist confirmed later."""
    thief, desk = Client(), Client()
    password_step(thief)
    stolen = shown_key(thief.get(STEP))
    password_step(desk)
    hers = shown_key(desk.get(STEP))
    assert hers != stolen
    assert desk.post(STEP, {"code": code_for_key(hers)}).status_code == 302
    thief.logout()
    password_step(thief)
    refused = thief.post(STEP, {"code": code_for_key(stolen)})
    assert refused.status_code == 200 and "not right" in text(refused)
    assert thief.get("/admin/").status_code == 302


def test_passing_the_factor_gives_the_session_a_new_key(client, amna):
    app = app_for(amna)
    password_step(client)
    before = client.session.session_key
    assert client.post(STEP, {"code": code_of(app)}).status_code == 302
    assert client.session.session_key != before  # a key planted before the factor is worth nothing after


def test_a_half_signed_in_session_can_sign_out_for_the_next_person(client, amna, staff_groups):
    app_for(amna)
    password_step(client)
    page = text(client.get(STEP))
    assert "Not amna?" in page and 'name="sign_out"' in page
    response = client.post(STEP, {"sign_out": "1"})
    assert response["Location"] == "/admin/login/"
    assert "_auth_user_id" not in client.session
    # And a wrong password typed at that computer shows the login form again, not someone's factor.
    password_step(client)
    wrong = client.post("/admin/login/?next=/admin/", {"username": "amna", "password": "nope"})
    assert wrong.status_code == 200 and "Please enter the correct username" in text(wrong)


def test_every_sign_in_after_asks_for_the_factor_and_a_recovery_code_works_once(client, amna):
    app = app_for(amna)
    sign_in(client, amna)
    codes = shown_codes(client.get(f"{STEP}recovery-codes/", follow=True))
    assert len(codes) == 10
    client.logout()

    password_step(client)
    page = client.get(f"{STEP}?next=/admin/")
    assert "Prove it's you" in text(page) and "Set up" not in text(page)
    assert client.post(STEP, {"code": codes[0].upper()[:4] + "-" + codes[0][4:], "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=amna).count() == 9
    client.logout()

    password_step(client)
    again = client.post(STEP, {"code": codes[0], "next": "/admin/"})
    assert again.status_code == 200 and "not right" in text(again)  # each code once
    a_moment_later(amna)
    assert client.post(STEP, {"code": code_of(app), "next": "/admin/"}).status_code == 302


def test_guessing_codes_is_slowed_by_the_device(client, amna):
    app = app_for(amna)
    password_step(client)
    for _ in range(3):
        client.post(STEP, {"code": "123456"})
    refused = client.post(STEP, {"code": code_of(app)})  # right, but inside the wait the wrong ones earned
    assert refused.status_code == 200 and "Too many wrong codes" in text(refused)
    assert client.get("/admin/").status_code == 302


def test_the_second_factor_page_does_not_follow_an_outside_next(client, amna):
    app = app_for(amna)
    password_step(client)
    response = client.post(
        f"{STEP}?next=https://evil.example/", {"code": code_of(app), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_a_passkey_cannot_be_added_by_a_session_that_owes_the_factor(client, amna):
    """Else the password alone would let a thief add their own passkey and pass with it."""
    app_for(amna)
    password_step(client)
    response = client.post("/admin/passkeys/registration/begin/", content_type="application/json", data={})
    assert response.status_code == 403


def test_a_passkey_ceremony_begins_for_a_login_setting_up_its_first_factor(client, amna):
    password_step(client)
    response = client.post("/admin/passkeys/registration/begin/", content_type="application/json", data={})
    assert response.status_code == 200
    options = response.json()
    assert options["rp"]["id"] == "localhost" and options["user"]["name"] == "amna"


def test_a_manager_resets_a_receptionists_factor_in_the_log_and_her_session_loses_its_pass(client, amna, staff_groups):
    manager = staff_login("sadia", PASSWORD, "Clinic manager")
    desk = sign_in(client, amna)
    assert desk.get("/admin/").status_code == 200

    office = sign_in(Client(), manager)
    response = office.post(
        "/admin/bookings/receptionist/",
        {"action": "reset_second_factor", "_selected_action": [amna.pk]},
        follow=True,
    )
    assert "Reset the second factor of 1 login(s)" in text(response)
    assert not TOTPDevice.objects.filter(user=amna).exists()
    entry = LogEntry.objects.get(object_id=str(amna.pk))
    assert entry.user == manager and "second factor" in entry.get_change_message()
    # Her open session passed with a device that is gone: the next page asks again (set up anew).
    assert desk.get("/admin/").status_code == 302
    assert "Set up your second factor" in text(desk.get(STEP))


def test_a_manager_cannot_reset_a_managers_or_a_superusers_factor(client, admin_user, staff_groups):
    manager = staff_login("sadia", PASSWORD, "Clinic manager")
    app_for(admin_user)
    from bookings.desk import staff

    assert staff.receptionists_reset_second_factor(logins=get_user_model().objects.all(), by=manager) == 0
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    assert not LogEntry.objects.exists()


def test_with_debug_on_the_password_opens_the_admin_for_the_demo_logins(client, amna, settings):
    settings.ASPIRE_STAFF_SECOND_FACTOR = False  # what DEBUG=1 (`make run`) gives; production has no switch
    response = password_step(client)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_production_settings_require_the_factor_and_have_no_switch_for_it():
    from tests.test_settings import run_python

    script = "import aspire.settings as s; print(s.ASPIRE_STAFF_SECOND_FACTOR)"
    off = run_python(["-c", script], DJANGO_SECRET_KEY="x" * 50, ASPIRE_STAFF_SECOND_FACTOR="0")
    assert off.stdout.strip() == "True", off.stderr
    debug = run_python(["-c", script], DJANGO_DEBUG="1", ASPIRE_STAFF_SECOND_FACTOR="1")
    assert debug.stdout.strip() == "False", debug.stderr


def test_a_login_sees_its_factor_and_makes_new_recovery_codes_from_its_user_links(client, amna):
    sign_in(client, amna)
    first = shown_codes(client.get(f"{STEP}recovery-codes/", follow=True))
    page = text(client.get("/admin/"))
    assert 'href="/admin/second-factor/recovery-codes/">Second factor</a>' in page
    manage = text(client.get(f"{STEP}recovery-codes/"))
    assert "Your second factor" in manage and "Authenticator app" in manage and "10 unused recovery codes" in manage
    assert "<code>" not in manage  # the codes are shown once, when made
    fresh = shown_codes(client.post(f"{STEP}recovery-codes/", {"make_codes": "1"}, follow=True))
    assert len(fresh) == 10 and not set(fresh) & set(first)
    assert set(StaticToken.objects.filter(device__user=amna).values_list("token", flat=True)) == set(fresh)


def test_changing_the_factor_asks_for_it_again_after_a_few_minutes(client, amna, monkeypatch):
    """A session left open at the desk can't be used to add a passkey or print new codes."""
    from aspire import second_factor

    sign_in(client, amna)
    client.get(f"{STEP}recovery-codes/", follow=True)
    app = app_for(amna)
    later = second_factor.time.time() + second_factor.FRESH_SECONDS + 1
    monkeypatch.setattr(second_factor.time, "time", lambda: later)
    manage = text(client.get(f"{STEP}recovery-codes/"))
    assert "Confirm it's you" in manage and "Make 10 new codes" not in manage
    assert client.post(f"{STEP}recovery-codes/", {"make_codes": "1"}).status_code == 403
    begin = client.post("/admin/passkeys/registration/begin/", content_type="application/json", data={})
    assert begin.status_code == 403
    monkeypatch.undo()
    assert client.post(f"{STEP}recovery-codes/", {"code": code_of(app)}).status_code == 302
    assert "Make 10 new codes" in text(client.get(f"{STEP}recovery-codes/"))
    assert (
        client.post("/admin/passkeys/registration/begin/", content_type="application/json", data={}).status_code == 200
    )


def test_the_recovery_codes_page_opens_only_after_the_factor(client, amna):
    app_for(amna)
    password_step(client)
    response = client.get(f"{STEP}recovery-codes/")
    assert response.status_code == 302 and response["Location"].startswith(STEP)
    assert client.post(f"{STEP}recovery-codes/").status_code == 302
    assert not StaticToken.objects.exists()


def test_the_second_factor_pages_are_valid_html(client, amna, tmp_path):
    from tests.test_valid_html import validate

    password_step(client)
    documents = {"set-up": text(client.get(STEP))}
    documents["set-up-error"] = text(client.post(STEP, {"code": "1"}))
    shown = client.post(STEP, {"code": code_for_key(shown_key(client.get(STEP)))}, follow=True)
    documents["recovery-codes"] = text(shown)
    documents["manage"] = text(client.get(f"{STEP}recovery-codes/"))
    client.logout()
    password_step(client)
    documents["verify"] = text(client.get(STEP))
    assert validate(documents, tmp_path) == []
