"""On a 375 px phone: booking the next session with one tap, and claiming a time held from the waitlist."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.booking import services, waitlist
from bookings.models import Booking, BookingStatus
from tests.e2e.a11y import axe_violations
from tests.factories import BookingFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways ({width} px)"


def test_next_session_with_one_tap(live_server, phone_page, artifacts):
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    attended = BookingFactory(
        slot=SlotFactory(starts_at=start, ends_at=start + dt.timedelta(minutes=45)), status=BookingStatus.ATTENDED
    )
    nxt = start + dt.timedelta(days=5)
    SlotFactory(physiotherapist=attended.slot.physiotherapist, clinic=attended.slot.clinic,
                starts_at=nxt, ends_at=nxt + dt.timedelta(minutes=45))  # fmt: skip
    page = phone_page
    page.goto(live_server.url + attended.get_absolute_url())
    _fits(page)
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts / "next-session-offer.png"), full_page=True)
    page.locator("#next-heading ~ ul button").first.click()
    page.wait_for_url("**/booking/**")
    assert "Your next session is booked" in page.inner_text("main")
    assert "session 2 of 2" in page.inner_text("main").lower()
    _fits(page)
    assert axe_violations(page) == []


def test_claiming_a_waitlist_offer(live_server, phone_page, artifacts, settings):
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 0, 24  # offers go out at any hour here
    slot = SlotFactory()
    taken = BookingFactory(slot=slot)
    day = timezone.localtime(slot.starts_at).date()
    waitlist.waitlist_join(clinic=slot.clinic, name="Waiting Patient", phone="03001112233",
                           session_type=SessionTypeFactory(), first_day=day, last_day=day)  # fmt: skip
    services.booking_cancel(booking=taken, reason="patient_asked")
    waitlist.waitlist_run(now=timezone.now())
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    page = phone_page
    page.goto(live_server.url + hold.get_absolute_url())
    _fits(page)
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts / "waitlist-offer.png"), full_page=True)
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url("**/booking/**")
    assert "Your session is booked" in page.inner_text("main")
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.CONFIRMED
