"""
An Urdu name on the front desk's schedule, on screen and printed, is drawn in Chromium from one font
that has all its letters: the Noto Naskh Arabic the site ships (Chromium reports which fonts drew a
node's glyphs). The machine's own fonts lack ہ (DejaVu Sans has the other letters), which showed a
box and broke the word's joins: "فاطم□".
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bookings.timeutils import at, local_today
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, SlotFactory
from tests.staff import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "front-desk-Pass-2026"


def fonts_drawing(page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew `selector`'s text with, and how many glyphs each drew."""
    page.evaluate("document.fonts.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def test_an_urdu_name_on_the_schedule_is_drawn_from_one_font_with_every_letter(
    live_server, staff_groups, browser, artifacts
):
    user = get_user_model().objects.create_user(username="amna", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Receptionist"))
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    clinic.front_desk.add(user)
    day = local_today() + dt.timedelta(days=1)
    BookingFactory(
        slot=SlotFactory(clinic=clinic, starts_at=at(day, dt.time(10))), patient=PatientFactory(name="فاطمہ")
    )
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        sign_in_browser(page, live_server.url, "amna", PASSWORD)
        page.wait_for_selector("#user-tools")
        page.goto(f"{live_server.url}/admin/bookings/schedule/?clinic={clinic.pk}&date={day.isoformat()}")
        name = ".schedule-grid td.cell-booked strong"
        assert page.inner_text(name) == "فاطمہ"
        assert set(fonts_drawing(page, name)) == {"Noto Naskh Arabic"}
        page.emulate_media(media="print")
        assert set(fonts_drawing(page, name)) == {"Noto Naskh Arabic"}
        page.screenshot(path=str(artifacts / "desk-urdu-name-print.png"), full_page=True)
    finally:
        context.close()
