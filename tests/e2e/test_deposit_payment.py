"""
A patient on a phone pays a deposit (issue 24), at 375 px, in English and Urdu, with JavaScript
and without: they book a time through the booking form, read the deposit's amount and what
becomes of it on a late cancellation or a no-show, press Pay, pay on the JazzCash stand-in's
hosted page (tests/jazzcash_standin.py), come back, and see their session booked with the
deposit paid and the rest to pay at the clinic. The pages fit the phone, axe finds nothing
serious on them, and a double tap on Pay takes the money once.
"""

import datetime as dt
import html
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import Error as PlaywrightError

from bookings.models import (
    Booking,
    BookingStatus,
    DepositRule,
    DepositStatus,
    MoneyEvent,
    MoneyKind,
    Payment,
    PaymentStatus,
    format_pkr,
)
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.jazzcash_standin import CHECKOUT_PATH

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]

PRICE_PKR, DEPOSIT_PKR = 4500, 1000
LANGUAGES = pytest.mark.parametrize(
    ("language", "prefix"), [(settings.LANGUAGE_CODE, ""), ("ur", "/ur")], ids=["en", "ur"]
)
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def words(language: str, text: str, **params) -> str:
    """Return the page's words for the catalogue's `text` in `language`, as the browser reads them (no tags)."""
    with translation.override(language):
        translated = translation.gettext(text)
        if params:
            translated %= {name: str(value() if callable(value) else value) for name, value in params.items()}
    return html.unescape(re.sub(r"<[^>]+>", "", translated))


def pkr(amount: int):
    """Return an amount as the page writes it in the language `words` makes active (format_pkr is translated)."""
    return lambda: format_pkr(amount)


@pytest.fixture
def deposit_time(live_server, settings, jazzcash_standin):
    """
    A first visit at Clifton in two days, whose clinic asks a deposit of PKR 1,000 of its PKR 4,500,
    JazzCash (the stand-in) set up, and the site's own address the live server's, so that the
    provider sends the browser back to it.
    """
    settings.ASPIRE_SITE_URL = live_server.url
    session_type = SessionTypeFactory(
        name="First visit: assessment and dry needling", short_name="First visit", price_pkr=PRICE_PKR
    )
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton", email="clifton@example.com")
    DepositRule.objects.create(clinic=clinic, session_type=session_type, amount_pkr=DEPOSIT_PKR)
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)


def phone_context(browser, *, javascript: bool):
    return browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=1, is_mobile=True, java_script_enabled=javascript
    )


def watch_for_error_pages(page) -> list[str]:
    """Collect every page the browser is shown with an error status (4xx, 5xx), to assert there were none."""
    shown = []
    page.on(
        "response",
        lambda response: (
            response.request.is_navigation_request()
            and response.status >= 400
            and shown.append(f"{response.status} {response.url}")
        ),
    )
    return shown


def check(page, *, javascript: bool, axe: bool = True) -> None:
    """The page fits the phone and axe finds nothing serious or critical on it (both need JavaScript in the browser)."""
    if not javascript:
        # page.evaluate waits forever where scripts are off, and axe is a script: the run with
        # JavaScript checks the same pages.
        return
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways ({width} px)"
    if axe:
        assert axe_violations(page) == [], page.url


def book(page, base: str, language: str, slot) -> Booking:
    """Book `slot` through the booking form, as a patient does, and land on the booking's page."""
    page.goto(f"{base}/book/clifton/?date={timezone.localtime(slot.starts_at):%Y-%m-%d}")
    page.locator("a.time", has_text="Dr. Sana Malik").first.click()
    page.fill("#id_name", "Ayesha Karim")
    page.fill("#id_phone", "0312 3344556")
    page.check("#id_consent")
    with page.expect_navigation():
        page.get_by_role("button", name=words(language, "Book this session")).click()
    assert "/booking/" in page.url, f"not booked: {page.inner_text('main')[:600]}"
    return Booking.objects.get(manage_token=page.url.rstrip("/").rsplit("/", 1)[-1])


def pay_button(page, language: str):
    return page.get_by_role(
        "button", name=words(language, "Pay <bdi>%(amount)s</bdi> with %(provider)s", amount=pkr(DEPOSIT_PKR),
                             provider="JazzCash"),
    )  # fmt: skip


def assert_the_deposit_is_explained(page, language: str) -> None:
    """Before paying, the page says the amount, what it counts towards, and what late cancelling or no-show costs."""
    main = page.inner_text("main")
    assert words(language, "Almost done: pay the deposit below to book this time.") in main
    assert words(language, "Pay the deposit to book this time") in main
    hours = settings.ASPIRE_CANCEL_CUTOFF_HOURS
    counts = "It counts towards your fee of <bdi>%(fee)s</bdi>: at the clinic you pay <bdi>%(rest)s</bdi>."
    assert words(language, counts, fee=pkr(PRICE_PKR), rest=pkr(PRICE_PKR - DEPOSIT_PKR)) in main
    late = "Cancel less than %(hours)s hours before, or miss the session, and the clinic keeps it."
    assert words(language, late, hours=hours) in main
    assert pay_button(page, language).is_visible()


def pay_at_the_standin(page, standin, language: str, *, javascript: bool) -> None:
    """From the pay_redirect page to JazzCash's page (sent on by checkout.js, or by the patient), Pay, and back."""
    if not javascript:
        page.wait_for_url("**/booking/*/pay/")
        assert words(language, "On to the payment page") in page.inner_text("main")
        page.get_by_role("button", name=words(language, "Continue to %(provider)s", provider="JazzCash")).click()
    # JazzCash's hosted checkout (Page Redirection 1.1), whose path and page tests/jazzcash_standin.py plays.
    page.wait_for_url(f"{standin.url}{CHECKOUT_PATH}")
    assert "Amount: PKR 1,000.00" in page.inner_text("body")
    page.get_by_role("button", name="Pay", exact=True).click()
    if not javascript:
        # JazzCash's page posts the answer back by a script; without one the patient presses the button.
        page.get_by_role("button", name="Return to the merchant").click()


def assert_booked_and_paid(page, language: str, booking: Booking) -> None:
    page.wait_for_url(f"**/booking/{booking.manage_token}/")
    main = page.inner_text("main")
    assert words(language, "Thank you: your deposit is paid and your session is booked.") in main
    paid = "<bdi>%(amount)s</bdi> paid · <bdi>%(rest)s</bdi> to pay at the clinic"
    assert words(language, paid, amount=pkr(DEPOSIT_PKR), rest=pkr(PRICE_PKR - DEPOSIT_PKR)) in main
    assert words(language, "Confirmed") in page.locator("dl.summary-list").inner_text()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.deposit_status == DepositStatus.PAID


@LANGUAGES
@JAVASCRIPT
def test_a_patient_pays_the_deposit_and_is_booked(
    live_server, browser, deposit_time, jazzcash_standin, artifacts, language, prefix, javascript
):
    context = phone_context(browser, javascript=javascript)
    page = context.new_page()
    errors = watch_for_error_pages(page)
    shot = f"deposit-{language}-{'js' if javascript else 'nojs'}"

    booking = book(page, live_server.url + prefix, language, deposit_time)
    assert booking.status == BookingStatus.HELD and booking.language == language
    assert_the_deposit_is_explained(page, language)
    check(page, javascript=javascript, axe=False)  # axe: test_the_pay_pages_fit_the_phone_and_pass_axe
    page.screenshot(path=str(artifacts / f"{shot}-1-booking.png"), full_page=True)

    pay_button(page, language).click()
    if not javascript:
        page.screenshot(path=str(artifacts / f"{shot}-2-pay-redirect.png"), full_page=True)
    pay_at_the_standin(page, jazzcash_standin, language, javascript=javascript)

    assert_booked_and_paid(page, language, booking)
    check(page, javascript=javascript)
    page.screenshot(path=str(artifacts / f"{shot}-3-paid.png"), full_page=True)
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
    [payment] = Payment.objects.all()
    assert payment.status == PaymentStatus.PAID and payment.booking == booking and payment.amount_pkr == DEPOSIT_PKR
    assert errors == []
    context.close()


@LANGUAGES
def test_the_pay_pages_fit_the_phone_and_pass_axe(live_server, browser, deposit_time, artifacts, language, prefix):
    context = phone_context(browser, javascript=True)
    page = context.new_page()
    book(page, live_server.url + prefix, language, deposit_time)
    check(page, javascript=True)  # the booking's page with its Pay button

    # checkout.js sends the pay_redirect page on at once; without it the page stays, as a patient
    # without JavaScript sees it, for axe to read (which needs JavaScript in the browser).
    page.route("**/js/checkout.js", lambda route: route.abort())
    pay_button(page, language).click()
    page.wait_for_url("**/pay/")
    assert words(language, "On to the payment page") in page.inner_text("main")
    check(page, javascript=True)
    page.screenshot(path=str(artifacts / f"deposit-{language}-pay-redirect.png"), full_page=True)
    context.close()


def tap_twice(page, button) -> list[str]:
    """
    Tap `button` twice, 120 ms apart, on a slow phone network, as an impatient thumb does; return
    the addresses the taps posted to. Locator.click waits for the navigation it starts, so its
    second tap would land on the next page; the mouse's does not wait, and the latency (Chrome
    DevTools Protocol, Network.emulateNetworkConditions) keeps the page up between the taps.
    """
    posted = []
    page.on("request", lambda request: request.method == "POST" and posted.append(request.url))
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    # The protocol's parameters: latency in ms from request to response headers; -1 leaves throughput unthrottled.
    slow = {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1}
    network.send("Network.emulateNetworkConditions", slow)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(120)
    page.mouse.click(x, y)
    try:
        page.wait_for_url("**/pay/", wait_until="commit")
    except PlaywrightError:  # the first tap's navigation, cut off by the second (seen in CI): wait for the second's
        page.wait_for_url("**/pay/", wait_until="commit")
    network.send("Network.emulateNetworkConditions", {**slow, "latency": 0})
    return posted


@JAVASCRIPT
def test_a_double_tap_on_pay_takes_one_payment(live_server, browser, deposit_time, jazzcash_standin, javascript):
    context = phone_context(browser, javascript=javascript)
    page = context.new_page()
    errors = watch_for_error_pages(page)
    booking = book(page, live_server.url, settings.LANGUAGE_CODE, deposit_time)

    posted = tap_twice(page, pay_button(page, settings.LANGUAGE_CODE))
    assert [url.rsplit("/", 2)[-2] for url in posted[:2]] == ["pay", "pay"]  # both taps reached the site
    pay_at_the_standin(page, jazzcash_standin, settings.LANGUAGE_CODE, javascript=javascript)

    assert_booked_and_paid(page, settings.LANGUAGE_CODE, booking)
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
    assert not Payment.objects.exclude(status__in=[PaymentStatus.PAID, PaymentStatus.STARTED]).exists()
    assert MoneyEvent.objects.filter(kind=MoneyKind.PAID).count() == 1
    assert errors == []
    context.close()
