"""A clinic manager sets a therapist's week in Chromium on a 1366 px laptop: one form, nothing off the screen."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings.models import Slot, WeeklyAvailability
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clinic-Manager-Pass-2026"
LAPTOP = 1366


@pytest.fixture
def laptop_page(browser):
    context = browser.new_context(viewport={"width": LAPTOP, "height": 768})
    yield context.new_page()
    context.close()


def assert_fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP, f"{what} scrolls sideways at {LAPTOP} px ({width} px)"


def test_manager_sets_a_monday_to_saturday_week_with_lunch(live_server, laptop_page, staff_groups, artifacts):
    manager = get_user_model().objects.create_user(username="sadia", password=PASSWORD, is_staff=True)
    manager.groups.add(Group.objects.get(name="Clinic manager"))
    clinic = ClinicFactory(name="Clifton")
    therapist = PhysiotherapistFactory(name="Dr. Mahnoor Farooq")
    page = laptop_page

    sign_in_browser(page, live_server.url, "sadia", PASSWORD)
    page.goto(live_server.url + reverse("admin:bookings_physiotherapist_change", args=[therapist.pk]))
    page.get_by_role("link", name="Set the weekly hours").click()
    page.get_by_role("link", name="Add hours at Clifton").click()
    for day in range(6):
        page.check(f"#id_works_{day}")
        page.fill(f"#id_start_{day}", "10:00")
        page.fill(f"#id_end_{day}", "19:00")
        page.fill(f"#id_break_start_{day}", "13:00")
        page.fill(f"#id_break_end_{day}", "14:00")
    page.screenshot(path=str(artifacts / "admin-weekly-hours.png"), full_page=True)
    assert_fits(page, "the weekly hours form")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the week").click()

    assert "Saved Dr. Mahnoor Farooq's week at Clifton" in page.inner_text("ul.messagelist")
    assert WeeklyAvailability.objects.filter(physiotherapist=therapist, clinic=clinic).count() == 12
    assert Slot.objects.filter(physiotherapist=therapist).exists()
    assert "Mon–Sat 10:00–13:00, 14:00–19:00" in page.inner_text("#content-main")
    page.screenshot(path=str(artifacts / "admin-therapist-with-week.png"), full_page=True)
    assert_fits(page, "the therapist's page")

    page.goto(live_server.url + reverse("admin:bookings_weeklyavailability_changelist"))
    assert_fits(page, "the weekly availability list")
