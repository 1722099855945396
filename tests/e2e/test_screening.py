"""A first-time patient on a phone answers the safety questions, says yes to one, and is still booked."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.booking import screening
from bookings.models import Booking, BookingStatus
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]


@pytest.fixture
def free_slot():
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit", price_pkr=6000)
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton")
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_screening_on_a_phone(live_server, browser, free_slot, artifacts, javascript):
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/book/slot/{free_slot.pk}/")
        assert "PKR 6,000" in page.inner_text("main")
        page.fill("#id_name", "Ayesha Karim")
        page.fill("#id_phone", "0312 3344556")
        for question in screening.QUESTIONS:
            answer = "Yes" if question.key == "pregnant" else "No"
            page.get_by_role("group", name=str(question.text)).get_by_label(answer, exact=True).check()
        page.check("#id_consent")
        page.screenshot(path=str(artifacts / f"screening-form-{'js' if javascript else 'nojs'}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if javascript:
            assert axe_violations(page) == []
        page.get_by_role("button", name="Book this session").click()
        page.wait_for_url("**/booking/**")
        main = page.inner_text("main")
        assert "Your session is booked" in main and "will talk your answers" in main
        if javascript:
            assert axe_violations(page) == []
        booking = Booking.objects.get()
        assert booking.status == BookingStatus.CONFIRMED
        assert booking.screening.needs_talk and booking.screening.answers["pregnant"] is True
    finally:
        context.close()
