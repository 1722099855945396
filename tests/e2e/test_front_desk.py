"""A receptionist's morning in Chromium: log in, open today's schedule, book a caller, mark a patient attended."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from tests.e2e.a11y import axe_violations
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-Pass-2026"


@pytest.fixture
def front_desk(staff_groups):
    user = get_user_model().objects.create_user(username="amna", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Receptionist"))
    return user


def test_receptionist_books_a_caller_and_marks_a_patient_attended(live_server, desktop_page, front_desk, artifacts):
    now = timezone.now().replace(second=0, microsecond=0)
    clinic = ClinicFactory(name="Clifton")
    ayesha, hamza = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui"), PhysiotherapistFactory(name="Dr. Hamza Qureshi")
    SessionTypeFactory(name="Follow-up dry needling")
    arrived = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=hamza, starts_at=now - dt.timedelta(minutes=5)),
        name="Zainab Hussain",
    )
    free = SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=now + dt.timedelta(minutes=30))
    clinic.front_desk.add(front_desk)  # Amna runs Clifton's desk
    page = desktop_page

    sign_in_browser(page, live_server.url, "amna", PASSWORD)
    page.get_by_role("link", name="Today's schedule").click()
    if timezone.localtime(free.starts_at).date() != timezone.localdate():
        page.get_by_role("link", name="Next day ›").click()  # just before midnight in Karachi
    page.screenshot(path=str(artifacts / "admin-schedule.png"), full_page=True)
    assert "Zainab Hussain" in page.inner_text(".schedule-grid")

    # A caller wants the free time with Dr. Ayesha.
    page.locator(".cell-free a", has_text="with Dr. Ayesha Siddiqui").first.click()
    page.select_option("#id_session_type", label="Follow-up dry needling")
    page.fill("#id_phone", "0321 4455667")
    page.fill("#id_name", "Ali Raza")
    page.check("#id_consent")
    page.click("input[type=submit][value=Book]")
    assert "Booked Ali Raza" in page.inner_text("ul.messagelist")
    booking = Booking.objects.get(slot=free)
    assert (
        booking.name == "Ali Raza"
        and booking.source == "phone"
        and booking.patient.contact.phone.as_e164 == "+923214455667"
    )
    # Back on that day's schedule, with the new booking in the grid.
    assert "Ali Raza" in page.inner_text(".schedule-grid")

    # Zainab has arrived: one click on the schedule.
    page.screenshot(path=str(artifacts / "admin-schedule-booked.png"), full_page=True)
    page.locator("td", has_text="Zainab Hussain").get_by_role("button", name="Attended").click()
    assert "Zainab Hussain: attended." in page.inner_text("ul.messagelist")
    arrived.refresh_from_db()
    assert arrived.status == BookingStatus.ATTENDED
    assert axe_violations(page, impacts=("critical",)) == []
