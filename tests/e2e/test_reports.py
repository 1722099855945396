"""
The Reports page in Chromium, at a front desk's screen (1366x800) and a phone's (375x740):
a clinic manager sees every clinic, a receptionist only the one they are assigned to (the
other clinic is not in the menu and its sessions are not in the figures). A chart is drawn
and fits the width without the page scrolling sideways, choosing "This month" shows this
month, a table's "Download CSV" gives a CSV headed by the table's columns, and axe finds
nothing serious or critical.
"""

import csv
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bookings.models import BookingStatus, CancelReason
from bookings.reports import periods
from bookings.timeutils import at, local_today
from tests.e2e.a11y import axe_violations
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "reports-Pass-2026"
SERIOUS = ("serious", "critical")
SCREENS = {"desk": {"width": 1366, "height": 800}, "phone": {"width": 375, "height": 740}}
STATUSES = (BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)


@pytest.fixture
def two_clinics():
    """A few weeks of past sessions at Clifton (7) and Gulshan (5): attended, no-shows and cancelled."""
    today = local_today()
    seeded = {}
    for name, days_ago in (("Clifton", (2, 5, 9, 12, 16, 19, 23)), ("Gulshan", (3, 8, 13, 17, 22))):
        clinic = ClinicFactory(name=name, slug=name.lower())
        therapist = PhysiotherapistFactory(name=f"Dr. {name} Therapist")
        days = []
        for n, ago in enumerate(days_ago):
            day = today - dt.timedelta(days=ago)
            starts = at(day, dt.time(10))
            status = STATUSES[n % 3]
            cancelled = status == BookingStatus.CANCELLED
            BookingFactory(
                slot=SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=starts),
                status=status,
                cancel_reason=CancelReason.PATIENT_ASKED if cancelled else "",
                cancelled_at=starts - dt.timedelta(days=2) if cancelled else None,
            )
            days.append(day)
        seeded[name] = (clinic, days)
    return seeded


def booked_in(days: list[dt.date], period: periods.Period) -> int:
    return sum(period.first <= day <= period.last for day in days)


def open_reports(browser, live_server, screen: str, role: str, two_clinics):
    """A member of staff signed in the documented way, on the Reports page at the given screen size."""
    group = "Clinic manager" if role == "manager" else "Receptionist"
    user = get_user_model().objects.create_user(username=role, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if role == "receptionist":
        two_clinics["Clifton"][0].front_desk.add(user)
    context = browser.new_context(viewport=SCREENS[screen], accept_downloads=True)
    page = context.new_page()
    sign_in_browser(page, live_server.url, role, PASSWORD)
    page.wait_for_selector("#user-tools")
    page.goto(f"{live_server.url}/admin/bookings/reports/")
    return context, page


def headline(page, what: str) -> str:
    return page.locator(".report-headlines p", has_text=what).locator(".headline").inner_text().strip()


def assert_fits(page, screen: str) -> None:
    width = SCREENS[screen]["width"]
    chart = page.locator("svg[role=img]").first
    assert chart.is_visible()
    # The chart's box fits the screen; the chart inside it never shrinks its labels below 10 px
    # (on a phone it scrolls sideways inside its box, and the page does not).
    box = page.locator(".chart-scroll").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    label = chart.locator("text.chart-label").first.bounding_box()
    assert label["height"] >= 10, f"a chart's label is {label['height']:.1f} px tall at {width}px"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways at {width}px: {scroll_width}px wide"


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("role", ["manager", "receptionist"])
def test_reports_page_shows_only_the_users_clinics_and_works_at_both_widths(
    live_server, staff_groups, browser, two_clinics, artifacts, screen, role
):
    context, page = open_reports(browser, live_server, screen, role, two_clinics)
    try:
        assert page.locator("h1").inner_text() == "Reports"
        page.screenshot(path=str(artifacts / f"reports-{role}-{screen}.png"), full_page=True)

        # The clinic menu lists exactly the user's clinics; a receptionist's figures leave the other out.
        mine = ["Clifton", "Gulshan"] if role == "manager" else ["Clifton"]
        options = [text.strip() for text in page.locator("#id_clinic option").all_inner_texts()]
        assert options == ["All your clinics", *mine]
        if role == "receptionist":
            assert "Gulshan" not in page.inner_text("#content-main")
        today = local_today()
        four_weeks = periods.period_for("4weeks", today=today)
        expected = sum(booked_in(two_clinics[name][1], four_weeks) for name in mine)
        assert expected > 0
        assert headline(page, "sessions booked") == str(expected)
        assert str(four_weeks) in page.inner_text(".report-period")

        assert_fits(page, screen)
        assert axe_violations(page, impacts=SERIOUS) == []

        # "This month" shows this month.
        month = periods.period_for("month", today=today)
        page.select_option("#id_period", label="This month")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**period=month**")
        assert str(month) in page.inner_text(".report-period")
        assert page.locator("#id_period option:checked").inner_text().strip() == "This month"
        expected = sum(booked_in(two_clinics[name][1], month) for name in mine)
        assert headline(page, "sessions booked") == str(expected)
        assert_fits(page, screen)

        # A table's CSV is headed by the table's columns (their text, not as the admin's CSS shows them: uppercase).
        table = page.locator("section[aria-labelledby=h-sessions] > .report-table").first
        columns = [text.strip() for text in table.locator("thead th").all_text_contents()]
        with page.expect_download() as download:
            table.get_by_role("link", name="Download CSV").click()
        path = download.value.path()
        assert download.value.suggested_filename.endswith(".csv")
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == columns
        assert len(rows) > 1
        assert axe_violations(page, impacts=SERIOUS) == []
    finally:
        context.close()
