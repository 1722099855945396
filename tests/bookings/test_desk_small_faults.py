"""
The front desk's small faults (issue 22): times in Karachi, a font with the Urdu letters, one way
of writing a day, free counts from now, and Move on the schedule.
"""

import datetime as dt

import pytest
from django.urls import reverse

from bookings.models import TimeOff
from bookings.timeutils import at, local_today
from tests.factories import PhysiotherapistFactory
from tests.html import parse

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("bookings_schedule")


def desk_day(day: dt.date) -> str:
    """The desk's one way of writing a day, spelled out here: "Tue 8 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


# Times in Karachi -------------------------------------------------------------------------------


def test_the_leave_pages_title_gives_the_leave_in_karachi_time(reception_client):
    day = local_today() + dt.timedelta(days=10)
    therapist = PhysiotherapistFactory(name="Dr. Sana Mirza")
    # A whole day's leave: midnight to 23:59 in Karachi is 19:00 to 18:59 the day before in UTC.
    leave = TimeOff.objects.create(
        physiotherapist=therapist, starts_at=at(day, dt.time(0)), ends_at=at(day, dt.time(23, 59)), reason="Wedding"
    )
    title = parse(reception_client.get(reverse("bookings_affected", args=["timeoff", leave.pk]))).title
    assert "19:00" not in title and "18:59" not in title
    assert f"Dr. Sana Mirza: {desk_day(day)}, 00:00–23:59" in title


def test_leave_over_several_days_names_both_days_in_karachi_time():
    day = local_today() + dt.timedelta(days=10)
    leave = TimeOff(
        physiotherapist=PhysiotherapistFactory(name="Dr. Sana Mirza"),
        starts_at=at(day, dt.time(0)),
        ends_at=at(day + dt.timedelta(days=2), dt.time(23, 59)),
    )
    assert str(leave) == f"Dr. Sana Mirza: {desk_day(day)}, 00:00 – {desk_day(day + dt.timedelta(days=2))}, 23:59"
