"""
The patient's side of paying a deposit: the Pay button (a checkout started, the browser sent
on to the provider's hosted page), the page the provider sends the browser back to, and the
provider's server-to-server notification. What an answer means is decided by
bookings.booking.deposits; each answer's signature is checked by the provider's module first,
and one that fails is logged and acted on in no way.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bookings import errors
from bookings.booking import deposits
from bookings.pages.views import allow_forms_to, booking_or_404
from bookings.payments import base

logger = logging.getLogger("bookings.payments")

MAX_NOTIFICATION_BYTES = 64 * 1024  # a provider's notification is a few hundred bytes


def provider_or_404(name: str) -> base.Provider:
    try:
        provider = base.get(name)
    except KeyError:
        raise Http404 from None
    if not provider.configured():
        raise Http404
    return provider


def return_url(provider: base.Provider) -> str:
    return settings.ASPIRE_SITE_URL + reverse("bookings:payment_return", kwargs={"provider": provider.name})


@never_cache
@require_POST
def manage_pay(request, token: str):
    """Start a checkout for the held booking's deposit and send the browser to the provider."""
    booking = booking_or_404(token)
    provider = provider_or_404(request.POST.get("provider", "")[:20])
    try:
        payment, checkout = deposits.checkout_start(
            booking=booking, provider_name=provider.name, return_url=return_url(provider)
        )
    except errors.BookingError as exc:
        messages.error(request, str(exc))
        return redirect(booking)
    if checkout.method == "GET":
        return allow_forms_to(redirect(checkout.url), [provider])
    context = {
        "title": _("Paying the deposit | Aspire Wellness"),
        "description": _("On to the payment page."),
        "booking": booking,
        "provider": provider,
        "checkout": checkout,
        "payment": payment,
        "language_versions_of": booking.get_absolute_url(),  # this address takes only a POST
    }
    return allow_forms_to(render(request, "bookings/pay_redirect.html", context), [provider])


@csrf_exempt  # the provider's page posts here from its own site; its signature, not a cookie, vouches for it
@never_cache
@require_http_methods(["GET", "POST"])
def payment_return(request, provider: str):
    """Where the provider sends the patient's browser back: read it, act on it, show their booking."""
    provider = provider_or_404(provider)
    data = {key: value[:2000] for key, value in (request.POST if request.method == "POST" else request.GET).items()}
    try:
        outcome = provider.read_return(data)
    except base.SignatureError as exc:
        logger.warning("%s return refused: %s", provider.name, exc)
        return _not_confirmed(request, status=400)
    except base.PaymentError as exc:  # a provider whose return is read by asking its API, which failed
        logger.warning("%s return could not be read: %s", provider.name, exc)
        return _not_confirmed(request, status=502)
    payment = deposits.settle(outcome=outcome, provider_name=provider.name, how="return")
    if payment is None:
        return _not_confirmed(request, status=400)
    booking = payment.booking
    came_to = deposits.what_it_came_to(payment)
    if came_to == deposits.BOOKED:
        messages.success(request, _("Thank you: your deposit is paid and your session is booked."))
    elif came_to == deposits.FAILED:
        messages.error(request, _("The payment didn't go through. Nothing was taken; you can try again."))
    elif came_to == deposits.REFUNDED:
        messages.warning(request, _("This payment could not be used for the booking, so it will be refunded."))
    else:
        messages.info(request, _("We are waiting to hear from %(provider)s. This page will show it once they tell us.")
                      % {"provider": provider.label})  # fmt: skip
    return redirect(booking)


def _not_confirmed(request, *, status: int):
    context = {
        "title": _("Payment not confirmed | Aspire Wellness"),
        "description": _("This payment could not be confirmed."),
    }
    return render(request, "bookings/payment_unconfirmed.html", context, status=status)


@csrf_exempt  # server to server: the provider's signature vouches for it
@require_POST
def payment_notification(request, provider: str):
    """The provider's own notification (webhook, IPN) of a payment."""
    provider = provider_or_404(provider)
    if len(request.body) > MAX_NOTIFICATION_BYTES:
        return HttpResponse(status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        outcome = provider.read_notification(body=request.body, headers=headers)
    except base.SignatureError as exc:
        logger.warning("%s notification refused: %s", provider.name, exc)
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    except base.PaymentError as exc:
        logger.warning("%s notification could not be read: %s", provider.name, exc)
        return HttpResponse("unreadable", status=400, content_type="text/plain")
    if outcome is not None:
        deposits.settle(outcome=outcome, provider_name=provider.name, how="notification")
    status, content_type, body = provider.notification_answer(outcome)
    return HttpResponse(body, status=status, content_type=content_type)
