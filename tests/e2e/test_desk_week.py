"""
A receptionist's week in Chromium at 1366x768: open the clinic's week from the day, move a booking
to a day of the next week from its Move (the move page's day of free times, no search typed), and see
it on the new time's week; then a therapist's week. axe checks the week and the move page; at 375 px
the week scrolls inside its own box and the page does not overflow.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bookings.desk.selectors import week_start
from bookings.models import Booking
from bookings.timeutils import at, desk_day, local_today
from tests.e2e.a11y import axe_violations
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-Pass-2026"
SERIOUS = ("serious", "critical")


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    yield context.new_page()
    context.close()


def test_receptionist_moves_a_booking_to_another_day_from_the_week(live_server, staff_groups, desk_page, artifacts):
    amna = get_user_model().objects.create_user(username="amna", password=PASSWORD, is_staff=True)
    amna.groups.add(Group.objects.get(name="Receptionist"))
    clinic = ClinicFactory(name="Clifton")
    clinic.front_desk.add(amna)
    ayesha = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui")
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi", gender="male")
    monday = week_start(local_today()) + dt.timedelta(days=7)
    thursday_after = monday + dt.timedelta(days=10)
    booking = BookingFactory(
        slot=SlotFactory(
            clinic=clinic, physiotherapist=ayesha, starts_at=at(monday + dt.timedelta(days=1), dt.time(10))
        ),
        patient=PatientFactory(name="Sana Khan"),
    )
    SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=at(monday + dt.timedelta(days=1), dt.time(11)))
    BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=hamza, starts_at=at(monday, dt.time(12))),
        patient=PatientFactory(name="Zara Hamza"),
    )
    later = SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=at(thursday_after, dt.time(15)))
    page = desk_page

    sign_in_browser(page, live_server.url, "amna", PASSWORD)
    page.get_by_role("link", name="Today's schedule").click()
    page.get_by_role("link", name="Week view").click()
    page.get_by_role("link", name="Next week ›").click()
    grid = page.inner_text(".week-grid")
    assert "Sana Khan" in grid and "Zara Hamza" in grid and desk_day(monday) in grid
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(artifacts / "desk-week.png"), full_page=True)
    assert axe_violations(page, impacts=SERIOUS) == []

    # Sana can't come on Tuesday: Move, the next week's Thursday, 15:00.
    page.locator(".week-slot", has_text="Sana Khan").get_by_role("link", name="Move").click()
    assert f"Free times on {desk_day(booking.slot.starts_at)}" in page.inner_text(".move-day")
    page.fill("#move-date", thursday_after.isoformat())
    page.get_by_role("button", name="Show").click()
    assert f"Free times on {desk_day(thursday_after)}" in page.inner_text(".move-day")
    assert axe_violations(page, impacts=SERIOUS) == []
    page.locator(".move-times").get_by_role("button", name="15:00").click()

    assert "Moved Sana Khan" in page.inner_text("ul.messagelist")
    assert f"week of {desk_day(week_start(thursday_after))}" in page.inner_text("h2.schedule-day")
    thursday = page.locator(".week-grid tbody tr", has_text="15:00").locator("td").nth(3)
    assert "Sana Khan" in thursday.inner_text()
    booking.refresh_from_db()
    assert booking.slot == later and Booking.objects.filter(slot=later).count() == 1

    # Dr. Hamza's week: his booking only.
    page.get_by_role("link", name="‹ Previous week").click()
    page.locator(".week-whose").get_by_role("link", name="Dr. Hamza Qureshi").click()
    grid = page.inner_text(".week-grid")
    assert "Zara Hamza" in grid and "Sana Khan" not in grid

    # On a phone the week scrolls inside its box; the page itself does not.
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator(".week-scroll")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    page.screenshot(path=str(artifacts / "desk-week-375.png"), full_page=True)
