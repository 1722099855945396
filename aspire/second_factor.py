"""
Staff's second factor: after the password, a passkey or a code from an authenticator app.

Receptionists read patients' health answers, so whenever debug is off
(settings.ASPIRE_STAFF_SECOND_FACTOR) the admin lets a login in only once its session has
passed a second factor (AdminSite.has_permission in aspire/admin_site.py):

- the first time, the login sets one up here: a passkey (django-otp-webauthn: the phone's or the
  computer's screen lock, or a security key) or an authenticator app (django-otp's TOTP, from a QR
  code), and is given 10 recovery codes (django-otp's static tokens), each good once;
- every time after, it passes one of them (or a recovery code) before any admin page opens.

django-otp keeps which device a session passed (request.user.is_verified()); a factor taken away
(a manager's reset: bookings/desk/staff.py) ends that at once. django-otp throttles wrong codes
per device (each wrong one doubles the wait), and the password step is throttled by django-axes
(aspire/login_throttle.py). With debug on (`make run`), the factor is offered, not required.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


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


def step_url(request: HttpRequest) -> str:
    """The second factor's page, carrying on to where the login was going."""
    url = reverse("admin:second_factor")
    next_url = _next_url(request)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if safe else ""


def _done(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(_next_url(request) or reverse("admin:index"))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )

    def clean_code(self) -> str:
        # Recovery codes are lower case, and people copy them with spaces or dashes.
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


def app_device_being_set_up(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator app this login is setting up: the same secret until the first code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def recovery_codes_make(user: AbstractBaseUser) -> list[str]:
    """Give the login 10 new recovery codes, each good once; the ones before stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _throttled(user: AbstractBaseUser) -> bool:
    devices = [device for device in devices_for_user(user) if hasattr(device, "verify_is_allowed")]
    return bool(devices) and all(not device.verify_is_allowed()[0] for device in devices)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    """Pass the second factor (a login that has one) or set one up (a login that has none)."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request)
    if request.user.is_verified():
        if not recovery_codes_left(user) and not StaticDevice.objects.filter(user=user).exists():
            return HttpResponseRedirect(_with_next(request, reverse("admin:second_factor_recovery")))
        return _done(request)
    if user_has_device(user):
        return _verify(request, user)
    return _set_up(request, user)


def _verify(request: HttpRequest, user) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if form.is_valid():
        waiting = _throttled(user)  # every device still inside the wait its last wrong code earned
        device = None if waiting else match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You used a recovery code: {left} left. Make new ones from “Second factor” if few are left.",
                )
            return _done(request)
        if waiting:
            form.add_error("code", "Too many wrong codes. Wait a minute, then try the newest code.")
        else:
            form.add_error("code", "That code is not right, or it has expired. Try the newest one.")
    has_passkey = any(isinstance(device, WebAuthnCredential) for device in devices_for_user(user))
    return _page(request, "admin/second_factor/verify.html", form=form, has_passkey=has_passkey)


def _set_up(request: HttpRequest, user) -> HttpResponse:
    device = app_device_being_set_up(user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error("code", "Too many wrong codes. Wait a minute, then try the newest code.")
        elif device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return _recovery_codes_page(request, recovery_codes_make(user), first=True)
        else:
            form.add_error(
                "code", "That code is not right. Check the app shows “Aspire Wellness” and type its newest code."
            )
    config_url = device.config_url
    return _page(
        request,
        "admin/second_factor/set_up.html",
        form=form,
        qr_svg=_qr_svg(config_url),
        secret=_spaced(config_url),
    )


def _qr_svg(config_url: str) -> str:
    import segno  # here: only this page draws a QR code, and importing segno takes 48 ms at every start

    return segno.make(config_url, error="m").svg_inline(
        scale=5, omitsize=True, dark="#000", light="#fff", title="QR code to scan"
    )


def _spaced(config_url: str) -> str:
    secret = config_url.split("secret=", 1)[1].split("&", 1)[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@csrf_protect
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A login's recovery codes: made once the factor is set up, and made anew on request."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request)
    if required() and not request.user.is_verified():
        return HttpResponseRedirect(step_url(request))
    if request.method == "POST":
        return _recovery_codes_page(request, recovery_codes_make(user), first=False)
    if not StaticDevice.objects.filter(user=user).exists():
        return _recovery_codes_page(request, recovery_codes_make(user), first=True)
    devices = [device for device in devices_for_user(user) if not isinstance(device, StaticDevice)]
    return _page(request, "admin/second_factor/manage.html", codes_left=recovery_codes_left(user), devices=devices)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    return _page(
        request, "admin/second_factor/recovery_codes.html", codes=codes, first=first, next_url=_next_url(request)
    )


def _with_next(request: HttpRequest, url: str) -> str:
    next_url = _next_url(request)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


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
