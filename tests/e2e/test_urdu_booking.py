"""A patient on a phone books in Urdu, by clicking, with JavaScript and without: the pages are right
to left and fit, axe finds nothing, and the booking and its confirmation are in Urdu."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from bookings.models import Booking
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]


@pytest.fixture
def free_slot():
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit")
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton", email="clifton@example.com")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)


def check_page(page, javascript):
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ur"
    if not javascript:
        # page.evaluate waits forever where scripts are off, and axe is a script: the run with
        # JavaScript checks the same pages' width and accessibility.
        return
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways ({width} px)"
    assert axe_violations(page, impacts=None) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_phone_booking_in_urdu(live_server, browser, free_slot, artifacts, javascript):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="اردو").first.click()
    page.wait_for_url("**/ur/")
    check_page(page, javascript)
    page.get_by_role("link", name="سیشن بُک کریں").first.click()
    check_page(page, javascript)
    page.get_by_role("link", name="وقت چنیں (Clifton)").click()
    check_page(page, javascript)
    page.screenshot(path=str(artifacts / f"urdu-times-{javascript}.png"), full_page=True)
    page.locator("a.time", has_text="Dr. Sana Malik").first.click()
    page.fill("#id_name", "Ayesha Karim")
    page.fill("#id_phone", "0312 3344556")
    page.fill("#id_email", "ayesha@example.com")
    page.check("#id_consent")
    check_page(page, javascript)
    page.screenshot(path=str(artifacts / f"urdu-form-{javascript}.png"), full_page=True)
    page.get_by_role("button", name="یہ سیشن بُک کریں").click()
    page.wait_for_url("**/ur/booking/**")
    check_page(page, javascript)
    page.screenshot(path=str(artifacts / f"urdu-booked-{javascript}.png"), full_page=True)
    assert "آپ کا سیشن بُک ہو گیا ہے۔" in page.inner_text("main")
    booking = Booking.objects.get()
    assert booking.language == "ur" and booking.slot == free_slot
    patient_mail = next(m for m in mail.outbox if m.to == ["ayesha@example.com"])
    assert patient_mail.subject.startswith("آپ کا ڈرائی نیڈلنگ سیشن بُک ہو گیا ہے")
    assert f"/ur/booking/{booking.manage_token}/" in patient_mail.body
    context.close()
