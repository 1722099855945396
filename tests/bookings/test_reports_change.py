"""The Reports page's "Change" column reads in the unit of its row: hours for hours offered and booked."""

import csv
import datetime as dt

import pytest
from django.urls import reverse

from bookings.timeutils import at, local_today
from tests.factories import BookingFactory, ClinicFactory, SlotFactory
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def utilisation_rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def test_the_change_in_hours_is_in_hours_on_the_page_and_in_the_csv(client, manager):
    slot = SlotFactory(
        clinic=ClinicFactory(name="Clifton"), starts_at=at(local_today() - dt.timedelta(days=3), dt.time(10))
    )
    slot.ends_at = slot.starts_at + dt.timedelta(minutes=90)
    slot.save()
    BookingFactory(slot=slot, status="attended")
    sign_in(client, manager)

    rows = {
        row[0]: row
        for row in utilisation_rows(client.get(reverse("bookings_reports") + "?csv=utilisation").content.decode())
    }
    assert rows["Hours offered"][1:] == ["1.5", "0.0", "1.5"]  # was 90: the change in minutes
    html = client.get(reverse("bookings_reports")).content.decode()
    assert "<td>+1.5</td>" in html and "<td>+90</td>" not in html
