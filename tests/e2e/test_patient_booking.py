"""A patient on a phone: from the home page to a booked session by clicking, then cancelling."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from bookings.models import Booking, BookingStatus
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]


@pytest.fixture
def free_slot():
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit")
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton", email="clifton@example.com")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)


def assert_fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways ({width} px)"


def book_by_clicking(page, base_url, artifacts, suffix, check_axe):
    page.goto(base_url + "/")
    page.get_by_role("link", name="Book a session").first.click()
    if check_axe:
        assert axe_violations(page, impacts=None) == []
    page.get_by_role("link", name="Choose a time at Clifton").click()
    page.screenshot(path=str(artifacts / f"flow-times-{suffix}.png"), full_page=True)
    assert_fits_the_phone(page)
    if check_axe:
        assert axe_violations(page, impacts=None) == []
    page.locator("a.time", has_text="Dr. Sana Malik").first.click()
    page.fill("#id_name", "Ayesha Karim")
    page.fill("#id_phone", "0312 3344556")
    page.fill("#id_email", "ayesha@example.com")
    page.check("#id_consent")
    page.screenshot(path=str(artifacts / f"flow-form-{suffix}.png"), full_page=True)
    assert_fits_the_phone(page)
    if check_axe:
        assert axe_violations(page, impacts=None) == []
    page.get_by_role("button", name="Book this session").click()
    page.wait_for_url("**/booking/**")
    page.screenshot(path=str(artifacts / f"flow-booked-{suffix}.png"), full_page=True)
    assert_fits_the_phone(page)
    assert "Your session is booked" in page.inner_text("main")
    if check_axe:
        assert axe_violations(page, impacts=None) == []


def cancel_by_clicking(page):
    page.get_by_role("link", name="Cancel this session").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    assert "Your session is cancelled" in page.inner_text("main")


def assert_time_is_free_again(page, base_url, slot):
    page.goto(f"{base_url}/book/clifton/?date={timezone.localtime(slot.starts_at):%Y-%m-%d}")
    assert page.locator(f"a[href='/book/slot/{slot.pk}/']").count() == 1


def test_phone_booking_with_javascript(live_server, browser, free_slot, artifacts, monkeypatch):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    book_by_clicking(page, live_server.url, artifacts, "js", check_axe=True)
    booking = Booking.objects.get()
    assert booking.slot == free_slot and booking.status == BookingStatus.CONFIRMED

    patient_mail = next(m for m in mail.outbox if m.to == ["ayesha@example.com"])
    assert booking.reference in patient_mail.body
    [event] = Calendar.from_ical(patient_mail.attachments[0][1]).walk("VEVENT")
    assert event.get("dtstart").dt == free_slot.starts_at
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (.ics)").click()
    with open(download.value.path(), "rb") as ics:
        [event] = Calendar.from_ical(ics.read()).walk("VEVENT")
    assert booking.reference in str(event.get("description"))

    cancel_by_clicking(page)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert_time_is_free_again(page, live_server.url, free_slot)
    context.close()


def test_phone_booking_without_javascript(live_server, browser, free_slot, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    book_by_clicking(page, live_server.url, artifacts, "nojs", check_axe=False)
    booking = Booking.objects.get()
    cancel_by_clicking(page)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert_time_is_free_again(page, live_server.url, free_slot)
    context.close()


def test_htmx_swaps_the_day_without_a_page_load(live_server, phone_page, free_slot):
    phone_page.goto(f"{live_server.url}/book/clifton/")
    phone_page.evaluate("window.__marker = 'still here'")
    day = timezone.localtime(free_slot.starts_at)
    phone_page.locator(f"a.day[href*='{day:%Y-%m-%d}']").click()
    phone_page.locator("a.time", has_text="Dr. Sana Malik").wait_for()
    assert phone_page.evaluate("window.__marker") == "still here"
    assert f"date={day:%Y-%m-%d}" in phone_page.url
