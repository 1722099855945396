"""The therapist filter on a phone (320 and 375 px), in English and Urdu: every choice reads whole."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.timeutils import at
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each option's text against the room its select leaves for text (its width less padding and arrow).
CUT_OPTIONS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const select of document.querySelectorAll(".filter-bar select")) {
    const style = getComputedStyle(select);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const option of select.options) {
      const width = canvas.measureText(option.text).width;
      if (width > room) cut.push(`${select.id}: "${option.text}" needs ${Math.ceil(width)} px of ${room}`);
    }
  }
  return cut;
}"""


@pytest.fixture
def slots():
    SessionTypeFactory()
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    day = timezone.localdate() + dt.timedelta(days=2)
    for hour, name, gender in ((11, "Dr. Ayesha Siddiqui", "female"), (12, "Dr. Hamza Qureshi", "male")):
        therapist = PhysiotherapistFactory(name=name, gender=gender)
        SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=at(day, dt.time(hour)))
    return day


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("prefix", ["", "/ur"])
@pytest.mark.parametrize("path", ["/book/", "/book/clifton/"])
def test_the_filters_choices_are_never_cut_short_on_a_phone(live_server, browser, slots, width, prefix, path):
    """At 375 px the filter read "Female therapi"."""
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{prefix}{path}?date={slots.isoformat()}")
        assert page.locator(".filter-bar select").count() == 2
        assert page.evaluate(CUT_OPTIONS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
