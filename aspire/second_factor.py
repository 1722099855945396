"""
Staff's second factor: after the password, a passkey or a code from an authenticator app.

Receptionists read patients' health answers, so whenever debug is off
(settings.ASPIRE_STAFF_SECOND_FACTOR) the admin lets a login in only once its session has
passed a second factor (AdminSite.has_permission in aspire/admin_site.py):

- the first time, the login sets one up here: a passkey (django-otp-webauthn: the phone's or the
  computer's screen lock, or a security key) or an authenticator app (django-otp's TOTP, from a QR
  code), and is given 10 recovery codes (django-otp's static tokens), each good once;
- every time after, it passes one of them (or a recovery code) before any admin page opens.

An app's secret is made for the one session that sets it up and kept in that session until a code
confirms it: a secret shown to someone else (who had the password) is never the one stored.
Passing the factor gives the session a new key, as signing in does. Adding a passkey or making
new recovery codes asks for a factor passed in the last few minutes (FRESH_SECONDS).

django-otp keeps which device a session passed (request.user.is_verified()); a factor taken away
(a manager's reset: bookings/desk/staff.py) ends that at once. django-otp throttles wrong codes
per device (each wrong one doubles the wait), and the password step is throttled by django-axes
(aspire/login_throttle.py). With debug on (`make run`), the factor is offered, not required.
"""

import base64
import functools
import logging
import time

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.i18n import JavaScriptCatalog
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.models import ThrottlingMixin
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp_webauthn import exceptions as passkey_exceptions
from django_otp_webauthn import views as passkey_views
from django_otp_webauthn.models import WebAuthnCredential

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# How recently the factor must have been passed to add a passkey or make new recovery codes: a
# session left open on a front-desk computer can't be used to give someone a lasting way in.
FRESH_SECONDS = 5 * 60

_SETUP_KEY = "second_factor_setup_key"  # the app secret this session is setting up
PASSED_AT_SESSION_KEY = "second_factor_passed_at"  # when this session last passed the factor (time.time())
_NEW_CODES = "second_factor_new_codes"  # recovery codes just made, shown once by the next page


def required() -> bool:
    return settings.ASPIRE_STAFF_SECOND_FACTOR


def passed(request: HttpRequest) -> bool:
    """Whether this session may open the admin as far as the second factor goes."""
    if not required():
        return True
    is_verified = getattr(request.user, "is_verified", None)  # a user just logged in has no OTP wrapper yet
    return bool(is_verified and is_verified())


def awaiting(request: HttpRequest) -> bool:
    """Whether an active staff login signed in with its password and still owes the second factor."""
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff and not passed(request)


def fresh(request: HttpRequest) -> bool:
    """Whether this session passed the factor in the last FRESH_SECONDS (or owes none and has none)."""
    if not user_has_device(request.user):
        return True
    return time.time() - request.session.get(PASSED_AT_SESSION_KEY, 0) < FRESH_SECONDS


def mark_passed(request: HttpRequest, device) -> None:
    """The session passed the factor with this device: record it and give the session a new key."""
    otp_login(request, device)
    request.session.cycle_key()  # a session key planted before the factor is worth nothing after it
    rotate_token(request)
    request.session[PASSED_AT_SESSION_KEY] = time.time()


def step_url(request: HttpRequest) -> str:
    """The second factor's page, carrying on to where the login was going."""
    return _with_next(request, reverse("admin:second_factor"))


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if safe else ""


def _with_next(request: HttpRequest, url: str) -> str:
    next_url = _next_url(request)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def _done(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(_next_url(request) or reverse("admin:index"))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )

    def clean_code(self) -> str:
        # Recovery codes are lower case, and people copy them with spaces or dashes.
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


def recovery_codes_make(user: AbstractBaseUser) -> list[str]:
    """Give the login 10 new recovery codes, each good once; the ones before stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    logger.info("Second factor: new recovery codes for login %s", user.pk)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _wait_left(user: AbstractBaseUser) -> bool:
    """Whether every device that can take a typed code is inside the wait its last wrong code earned."""
    devices = [device for device in devices_for_user(user) if isinstance(device, ThrottlingMixin)]
    return bool(devices) and all(not device.verify_is_allowed()[0] for device in devices)


def _signed_in_staff_page(view):
    """A page of the second factor: for an active staff login that gave its password; never cached."""

    @sensitive_post_parameters("code")
    @csrf_protect
    @never_cache
    @functools.wraps(view)
    def page(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request)
        return view(request)

    return page


@_signed_in_staff_page
def second_factor(request: HttpRequest) -> HttpResponse:
    """Pass the second factor (a login that has one) or set one up (a login that has none)."""
    user = request.user
    if request.method == "POST" and "sign_out" in request.POST:
        logout(request)  # "Not you?": the next person at this computer signs in with their own password
        return redirect(reverse("admin:login"))
    if request.user.is_verified():
        if not StaticDevice.objects.filter(user=user).exists():
            return HttpResponseRedirect(_with_next(request, reverse("admin:second_factor_recovery")))
        return _done(request)
    if user_has_device(user):
        return _verify(request, user)
    return _set_up(request, user)


def _verify(request: HttpRequest, user) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if form.is_valid() and _pass_with_code(request, user, form):
        return _done(request)
    return _page(request, "admin/second_factor/verify.html", form=form, **_devices_context(user))


def _pass_with_code(request: HttpRequest, user, form: CodeForm) -> bool:
    """Pass the factor with the typed code, or put on the form why not."""
    waiting = _wait_left(user)
    device = None if waiting else match_token(user, form.cleaned_data["code"])
    if device is not None:
        mark_passed(request, device)
        if isinstance(device, StaticDevice):
            messages.warning(
                request,
                f"You used a recovery code: {recovery_codes_left(user)} left. "
                "Make new ones from “Second factor” at the top of the page if few are left.",
            )
        return True
    logger.warning("Second factor: a wrong code for login %s (its password was right)", user.pk)
    if waiting:
        form.add_error("code", "Too many wrong codes: wait a few minutes, then type the newest code.")
    else:
        form.add_error("code", "That code is not right, or it has expired. Try the newest one.")
    return False


def _devices_context(user) -> dict:
    devices = list(devices_for_user(user))
    return {
        "has_passkey": any(isinstance(device, WebAuthnCredential) for device in devices),
        "has_app": any(isinstance(device, TOTPDevice) for device in devices),
    }


def _set_up(request: HttpRequest, user) -> HttpResponse:
    key = request.session.get(_SETUP_KEY) or default_key()
    request.session[_SETUP_KEY] = key
    app = TOTPDevice(user=user, name=APP_DEVICE_NAME, key=key, confirmed=True)  # stored once a code confirms it
    form = CodeForm(request.POST or None)
    if form.is_valid():
        totp = TOTP(app.bin_key, app.step, app.t0, app.digits, app.drift)
        totp.time = time.time()
        code = form.cleaned_data["code"]
        if code.isdigit() and totp.verify(int(code), app.tolerance):
            app.last_t = totp.t()  # this code can't be used again to sign in
            app.save()
            del request.session[_SETUP_KEY]
            logger.info("Second factor: login %s set up an authenticator app", user.pk)
            mark_passed(request, app)
            return _show_new_codes(request, recovery_codes_make(user), first=True)
        form.add_error(
            "code", "That code is not right. Check the app shows “Aspire Wellness” and type its newest code."
        )
    return _page(
        request, "admin/second_factor/set_up.html", form=form, qr_svg=_qr_svg(app.config_url), secret=_spaced(app)
    )


def _qr_svg(config_url: str) -> str:
    import segno  # here: only this page draws a QR code, and importing segno takes 48 ms at every start

    svg = segno.make(config_url, error="m").svg_inline(scale=5, omitsize=True, dark="#000", light="#fff")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def _spaced(app: TOTPDevice) -> str:
    """The app's key as a person types it: base32 (what the QR code carries), in groups of 4."""
    secret = base64.b32encode(app.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@_signed_in_staff_page
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A login's own second factor: what it signs in with, a passkey to add, new recovery codes."""
    user = request.user
    if required() and not request.user.is_verified():
        return HttpResponseRedirect(step_url(request))
    new_codes = request.session.pop(_NEW_CODES, None)
    if new_codes:  # made by the request before: shown now, once
        return _page(
            request, "admin/second_factor/recovery_codes.html", codes=new_codes["codes"], first=new_codes["first"]
        )
    if not StaticDevice.objects.filter(user=user).exists():
        return _show_new_codes(request, recovery_codes_make(user), first=True)
    form = CodeForm(request.POST if "code" in request.POST else None)
    if form.is_valid() and _pass_with_code(request, user, form):  # "Confirm it's you", to change the factor
        return HttpResponseRedirect(request.path)
    if request.method == "POST" and "make_codes" in request.POST:
        if not fresh(request):
            raise PermissionDenied("Confirm it's you with your second factor first.")
        return _show_new_codes(request, recovery_codes_make(user), first=False)
    return _page(request, "admin/second_factor/manage.html", form=form, **_manage_context(request))


def _manage_context(request: HttpRequest) -> dict:
    user = request.user
    return {
        **_devices_context(user),
        "codes_left": recovery_codes_left(user),
        "devices": [device for device in devices_for_user(user) if not isinstance(device, StaticDevice)],
        "fresh": fresh(request),
    }


def _show_new_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponseRedirect:
    """Show new recovery codes on the next page (a reload then shows them no more, and re-sends nothing)."""
    request.session[_NEW_CODES] = {"codes": codes, "first": first}
    return HttpResponseRedirect(_with_next(request, reverse("admin:second_factor_recovery")))


def redirect_to_login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('admin:login')}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Second factor",
        "next_url": _next_url(request),
        "required": required(),
        **context,
    }
    return render(request, template, context)


# --- Passkeys: django-otp-webauthn's ceremonies, with our rules ---------------------------------


class BeginPasskeyRegistration(passkey_views.BeginCredentialRegistrationView):
    """A login that has a factor adds a passkey only having passed it in the last few minutes."""

    def check_can_register(self):
        super().check_can_register()
        if not fresh(self.request):
            raise passkey_exceptions.NotVerified(detail="Confirm it's you with your second factor first.")


class CompletePasskeyRegistration(passkey_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        was_verified = self.request.user.is_verified()
        response = super().post(*args, **kwargs)
        logger.info("Second factor: login %s added a passkey", self.request.user.pk)
        # The library signs an unverified session in with the new passkey (otp_login), so the
        # login's otp_device is that passkey: the first factor, just set up.
        if not was_verified and self.request.user.is_verified():
            mark_passed(self.request, self.request.user.otp_device)
        return response


class CompletePasskeyAuthentication(passkey_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        user = super().complete_auth(device)
        mark_passed(self.request, device)
        return user


passkey_urls = (
    [
        path("registration/begin/", BeginPasskeyRegistration.as_view(), name="credential-registration-begin"),
        path("registration/complete/", CompletePasskeyRegistration.as_view(), name="credential-registration-complete"),
        path(
            "authentication/begin/",
            passkey_views.BeginCredentialAuthenticationView.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            CompletePasskeyAuthentication.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)
