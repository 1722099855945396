"""
The front desk runs from the schedule, in Chromium at 1366x768: a clinic manager
closes a clinic for a day and enters a therapist's afternoon off, sees the
bookings inside each, tells those patients and offers to move them, and the
public booking page stops offering those times; a receptionist marks a patient
attended in one click and cancels another with a reason. axe checks the
schedule, the affected bookings and the desk's booking form.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Booking, BookingStatus, CancelReason, ClinicClosure, TimeOff
from tests.e2e.a11y import axe_violations
from tests.factories import (
    BookingFactory,
    ClinicFactory,
    PatientFactory,
    PhysiotherapistFactory,
    SessionTypeFactory,
    SlotFactory,
)
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-Pass-2026"
SERIOUS = ("serious", "critical")


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def desk(staff_groups, browser):
    """Log a member of staff in, in their own browser at a front desk's screen size."""
    contexts = []

    def log_in(username: str, group: str):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        contexts.append(context)
        page = context.new_page()
        return user, page

    yield log_in
    for context in contexts:
        context.close()


def sign_in(page, base_url: str, username: str) -> None:
    sign_in_browser(page, base_url, username, PASSWORD)
    page.wait_for_selector("#user-tools")


@pytest.fixture
def clifton():
    """A clinic with a closing day (one booking, free times) and a day with a booked afternoon."""
    SessionTypeFactory(name="Follow-up dry needling")
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    ayesha = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui", slug="ayesha")
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi", slug="hamza", gender="male")
    today = timezone.localdate()
    closing, leave = today + dt.timedelta(days=3), today + dt.timedelta(days=4)
    for hour in (10, 11, 12):
        SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=at(closing, hour))
    for hour in (11, 15, 16):
        SlotFactory(clinic=clinic, physiotherapist=hamza, starts_at=at(leave, hour))
    closed_booking = BookingFactory(
        slot=clinic.slots.get(starts_at=at(closing, 10)),
        patient=PatientFactory(name="Bilal Ahmed", phone="+923001112233"),
    )
    leave_booking = BookingFactory(
        slot=clinic.slots.get(starts_at=at(leave, 15)),
        patient=PatientFactory(name="Sara Khan", phone="+923004445566"),
    )
    return {
        "clinic": clinic,
        "ayesha": ayesha,
        "hamza": hamza,
        "closing": closing,
        "leave": leave,
        "closed_booking": closed_booking,
        "leave_booking": leave_booking,
    }


def public_times(page, base_url: str, day: dt.date) -> list[str]:
    page.goto(f"{base_url}/book/clifton/?date={day.isoformat()}")
    return [text.split("\n")[0].strip() for text in page.locator("a.time").all_inner_texts()]


def tell_and_check_sent(page, artifacts, name: str, booking: Booking) -> None:
    page.wait_for_url("**/desk/affected/**")
    assert booking.name in page.inner_text("#content-main table")
    page.screenshot(path=str(artifacts / f"desk-affected-{name}.png"), full_page=True)
    assert axe_violations(page, impacts=SERIOUS) == []
    LocmemBackend.outbox.clear()
    page.get_by_role("button", name="Tell 1 patient and offer to move").click()
    assert "Told 1 patient(s)" in page.inner_text("ul.messagelist")
    assert "Every patient here has been told." in page.inner_text("#content-main")
    assert [message["to"] for message in LocmemBackend.outbox] == [booking.phone.as_e164]
    body = LocmemBackend.outbox[0]["body"]
    assert "can't go ahead" in body and booking.get_short_url() in body


def test_manager_closes_a_day_and_enters_leave_then_tells_the_patients(live_server, desk, clifton, artifacts):
    manager, page = desk("sadia", "Clinic manager")
    closing, leave = clifton["closing"], clifton["leave"]
    assert public_times(page, live_server.url, closing) == ["10:00", "11:00", "12:00"][1:]  # 10:00 is booked
    assert public_times(page, live_server.url, leave) == ["11:00", "16:00"]
    sign_in(page, live_server.url, "sadia")

    # The clinic closes for a day that has a booking and free times.
    page.goto(live_server.url + "/admin/bookings/clinicclosure/add/")
    page.fill("#id_reason", "Water main repairs")
    page.fill("#id_start_date", closing.isoformat())
    page.fill("#id_end_date", closing.isoformat())
    page.select_option("#id_clinics_from", label="Clifton")
    page.click("#id_clinics_add")
    page.click("input[name=_save]")
    tell_and_check_sent(page, artifacts, "closure", clifton["closed_booking"])
    assert ClinicClosure.objects.get().clinics.get() == clifton["clinic"]

    # Dr. Hamza is away for the afternoon he has a booking in.
    page.goto(live_server.url + "/admin/bookings/timeoff/add/")
    page.locator("#id_physiotherapist + .select2").click()
    page.fill(".select2-search__field", "Hamza")
    page.locator(".select2-results__option", has_text="Dr. Hamza Qureshi").click()
    page.fill("#id_starts_at_0", leave.isoformat())
    page.fill("#id_starts_at_1", "14:00")
    page.fill("#id_ends_at_0", leave.isoformat())
    page.fill("#id_ends_at_1", "18:00")
    page.fill("#id_reason", "Family wedding")
    page.click("input[name=_save]")
    tell_and_check_sent(page, artifacts, "time-off", clifton["leave_booking"])
    assert TimeOff.objects.get().physiotherapist == clifton["hamza"]

    # Patients are no longer offered those times.
    assert public_times(page, live_server.url, closing) == []
    assert public_times(page, live_server.url, leave) == ["11:00"]

    # The schedule shows both bookings as needing a new time, and the closed and away cells.
    for day, flagged, off in ((closing, "Bilal Ahmed", ".cell-closed"), (leave, "Sara Khan", ".cell-time_off")):
        page.goto(f"{live_server.url}/admin/bookings/schedule/?clinic={clifton['clinic'].pk}&date={day.isoformat()}")
        assert flagged in page.inner_text(".cell-affected")
        assert "Needs a new time" in page.inner_text(".cell-affected")
        assert page.locator(off).count() >= 1
        page.screenshot(path=str(artifacts / f"desk-schedule-affected-{day.isoformat()}.png"), full_page=True)
        assert axe_violations(page, impacts=SERIOUS) == []


def test_receptionist_marks_attended_in_one_click_and_cancels_with_a_reason(live_server, desk, artifacts):
    receptionist, page = desk("amna", "Receptionist")
    SessionTypeFactory(name="Follow-up dry needling")
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    clinic.front_desk.add(receptionist)
    hamza, ayesha = PhysiotherapistFactory(name="Dr. Hamza Qureshi"), PhysiotherapistFactory(name="Dr. Ayesha Siddiqui")
    started = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    zainab = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=hamza, starts_at=started),
        patient=PatientFactory(name="Zainab Hussain"),
        notes="Left shoulder; prefers a female chaperone.",
    )
    imran = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=started),
        patient=PatientFactory(name="Imran Sheikh"),
    )
    SlotFactory(clinic=clinic, physiotherapist=ayesha, starts_at=started + dt.timedelta(hours=1))
    day = timezone.localtime(started).date()
    sign_in(page, live_server.url, "amna")
    page.goto(f"{live_server.url}/admin/bookings/schedule/?clinic={clinic.pk}&date={day.isoformat()}")
    page.screenshot(path=str(artifacts / "desk-schedule-before.png"), full_page=True)
    assert axe_violations(page, impacts=SERIOUS) == []

    zainab_cell = page.locator(".schedule-grid td", has_text="Zainab Hussain")
    zainab_cell.get_by_role("button", name="Attended").click()
    assert "Zainab Hussain: attended." in page.inner_text("ul.messagelist")
    assert "Attended" in page.locator(".schedule-grid td.cell-attended", has_text="Zainab Hussain").inner_text()
    zainab.refresh_from_db()
    assert zainab.status == BookingStatus.ATTENDED

    imran_cell = page.locator(".schedule-grid td", has_text="Imran Sheikh")
    imran_cell.locator("summary").click()
    imran_cell.get_by_label("Why cancel").select_option(label=CancelReason.PATIENT_ASKED.label)
    imran_cell.get_by_role("button", name="Cancel booking").click()
    assert "Imran Sheikh: cancelled." in page.inner_text("ul.messagelist")
    assert "Imran Sheikh" not in page.inner_text(".schedule-grid")
    imran = Booking.objects.get(pk=imran.pk)
    assert imran.status == BookingStatus.CANCELLED and imran.cancel_reason == CancelReason.PATIENT_ASKED
    page.screenshot(path=str(artifacts / "desk-schedule-after.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "desk-schedule-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # The freed time books a walk-in from the desk's form.
    page.locator(".cell-free a", has_text="Dr. Ayesha Siddiqui").first.click()
    page.wait_for_selector("#id_phone")
    page.screenshot(path=str(artifacts / "desk-booking-form.png"), full_page=True)
    assert axe_violations(page, impacts=SERIOUS) == []


def test_the_therapists_names_stay_in_view_down_a_long_day(live_server, desk):
    """A receptionist scrolling to the evening still sees whose column is whose."""
    receptionist, page = desk("sana", "Receptionist")
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    clinic.front_desk.add(receptionist)
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi")
    day = timezone.localdate() + dt.timedelta(days=1)
    for quarter in range(4 * 9):
        starts_at = at(day, 10) + dt.timedelta(minutes=15 * quarter)
        SlotFactory(
            clinic=clinic,
            physiotherapist=hamza,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=15),
        )
    sign_in(page, live_server.url, "sana")
    page.goto(f"{live_server.url}/admin/bookings/schedule/?clinic={clinic.pk}&date={day.isoformat()}")
    header = page.locator(".schedule-grid thead th", has_text="Dr. Hamza Qureshi")
    page.mouse.wheel(0, 1500)
    page.wait_for_function("window.scrollY > 1000")
    box = header.bounding_box()
    assert box is not None and 0 <= box["y"] < 100, box
