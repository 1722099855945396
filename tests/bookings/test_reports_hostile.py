"""The Reports page given what a hand or a script might type into its address: a clear message or a 404, never a 500."""

import pytest
from django.urls import reverse

from tests.factories import ClinicFactory
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, manager):
    ClinicFactory(name="Clifton")
    sign_in(client, manager)
    return lambda query="": client.get(reverse("bookings_reports") + query)


@pytest.mark.parametrize(
    "query",
    [
        "?period=custom&first=0001-01-01&last=0001-01-05",  # its previous period would be before year 1: was a 500
        "?period=custom&first=9999-12-25&last=9999-12-31",  # the day after would be past year 9999: was a 500
    ],
)
def test_a_range_at_the_end_of_the_calendar_is_refused_with_a_message(page, query):
    response = page(query)
    assert response.status_code == 200
    assert "Choose days between 2000 and 2099." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=custom&first=2026-13-01&last=x", "Enter a valid date."),
        ("?period=custom&first=2026-11-08&last=2026-11-01", "The last day is before the first."),
        ("?period=custom&first=2025-01-01&last=2026-06-30", "A report covers at most 366 days."),
        ("?period=custom", "A custom range needs its first and last day."),
        ("?period=<script>", "Select a valid choice."),
    ],
)
def test_a_bad_period_says_why_and_shows_the_last_four_weeks(page, query, message):
    html = page(query).content.decode()
    assert message in html
    assert "The last 4 weeks are shown." in html
    assert "<script>" not in html.split("</h1>", 1)[1]


@pytest.mark.parametrize("query", ["?clinic=abc", "?clinic=99999", "?physio=1'--", "?physio=99999", "?csv=passwords"])
def test_an_unknown_clinic_therapist_or_table_is_not_found(page, query):
    assert page(query).status_code == 404


def test_anyone_not_signed_in_is_sent_to_the_login(client):
    response = client.get(reverse("bookings_reports"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_csv_keeps_a_fall_as_a_number_and_a_formula_like_name_as_text(client, manager):
    """A change of -1 came out as '-1 (text to a spreadsheet) under the formula guard; a name's guard stays."""
    import csv
    import datetime as dt
    import io

    from bookings.models import BookingStatus
    from bookings.reports import periods
    from bookings.timeutils import at, local_today
    from tests.factories import BookingFactory, PhysiotherapistFactory, SlotFactory

    clinic = ClinicFactory(name='=HYPERLINK("http://x")')
    before = periods.previous(periods.period_for("4weeks", today=local_today()))
    start = at(before.first, dt.time(10))
    BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(), starts_at=start,
                         ends_at=start + dt.timedelta(minutes=45)),
        status=BookingStatus.CANCELLED,
    )  # fmt: skip
    sign_in(client, manager)
    sessions = list(csv.reader(io.StringIO(client.get(reverse("bookings_reports") + "?csv=sessions").content.decode())))
    assert sessions[1] == ["Booked", "0", "1", "-1"]
    clinics = client.get(
        reverse("bookings_reports")
        + f"?period=custom&first={before.first}&last={before.last}&csv=utilisation_clinics"
    )
    assert list(csv.reader(io.StringIO(clinics.content.decode())))[1][0] == '\'=HYPERLINK("http://x")'
