"""The Reports page: its queries do not grow with the data, its CSVs, and who sees which clinics."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import MoneyEvent
from bookings.timeutils import at, local_today
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

TABLES = [
    "sessions",
    "utilisation_clinics",
    "utilisation_therapists",
    "hours",
    "revenue",
    "deposits",
    "patients",
    "dropoff",
    "sources",
    "lead_times",
    "messages",
    "waitlist",
    "weekly",
]


@pytest.fixture
def clinics():
    return ClinicFactory(name="Clifton"), ClinicFactory(name="Saddar")


def a_copy_of_the_data(clinics, n: int, *, therapist_name: str | None = None) -> None:
    """One copy of a small clinic's month: at each clinic a therapist of its own with sessions in the
    last 4 weeks (attended, no-show, cancelled, not marked), one before them, and one still to come."""
    today = local_today()
    session_type = SessionTypeFactory(price_pkr=4500)
    for clinic in clinics:
        therapist = PhysiotherapistFactory(name=therapist_name or f"Dr. {clinic.name} {n}")
        for days_ago, status in [
            (40, "attended"),
            (20, "attended"),
            (13, "no_show"),
            (6, "cancelled"),
            (1, "confirmed"),
        ]:
            start = at(today - dt.timedelta(days=days_ago), dt.time(10 + n % 8))
            BookingFactory(
                slot=SlotFactory(
                    clinic=clinic, physiotherapist=therapist, starts_at=start, ends_at=start + dt.timedelta(minutes=45)
                ),
                session_type=session_type,
                status=status,
                cancel_reason="patient_asked" if status == "cancelled" else "",
            )
        start = at(today + dt.timedelta(days=3), dt.time(10 + n % 8))
        BookingFactory(
            slot=SlotFactory(
                clinic=clinic, physiotherapist=therapist, starts_at=start, ends_at=start + dt.timedelta(minutes=45)
            ),
            session_type=session_type,
        )


def queries_of_the_page(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("bookings_reports")).status_code == 200
    return len(queries)


def test_the_page_costs_as_many_queries_with_ten_times_the_data(
    client, manager, clinics, django_assert_max_num_queries
):
    a_copy_of_the_data(clinics, 0)
    sign_in(client, manager)
    queries_of_the_page(client)  # the first request warms what is read once per process (content types...)
    once = queries_of_the_page(client)
    for n in range(1, 10):
        a_copy_of_the_data(clinics, n)
    assert queries_of_the_page(client) == once
    # The page's budget, 38: 7 for the request (the session, the user, their authenticator app,
    # their own and their groups' permissions, the clinics and the therapists for the menus) and
    # 31 for bookings.desk.reports.build: this period and the one before for sessions, revenue,
    # deposits, cohort, courses, per clinic (the total is their sum), per therapist, sources, lead
    # times, reminders (1 each) and patients and the waitlist (2 each); the hours of the week, the
    # messages and the weekly chart for this period only.
    with django_assert_max_num_queries(38):
        client.get(reverse("bookings_reports"))


@pytest.mark.parametrize("table", TABLES)
def test_each_table_downloads_as_a_csv_with_its_header(client, manager, clinics, table):
    a_copy_of_the_data(clinics, 0)
    response = sign_in(client, manager).get(reverse("bookings_reports") + f"?csv={table}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows and rows[0] and all(rows[0])  # a header row, every column named


def test_a_cell_that_a_spreadsheet_would_run_is_quoted(client, manager, clinics):
    a_copy_of_the_data(clinics, 0, therapist_name='=HYPERLINK("http://evil.example","x")')
    response = sign_in(client, manager).get(reverse("bookings_reports") + "?csv=utilisation_therapists")
    names = [row[0] for row in csv.reader(io.StringIO(response.content.decode()))][1:]
    assert names and all(name.startswith("'=HYPERLINK(") for name in names)


def sessions_booked(response) -> str:
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.content.decode()))}
    return rows["Booked"][1]


def test_a_receptionist_sees_only_their_clinics(client, clinics):
    clifton, saddar = clinics
    a_copy_of_the_data(clinics, 0)
    desk = staff_user("Receptionist", "clifton-desk")
    clifton.front_desk.add(desk)
    sign_in(client, desk)
    page = reverse("bookings_reports")
    assert client.get(page + f"?clinic={saddar.pk}").status_code == 404
    html = client.get(page).content.decode()
    assert "Clifton" in html and "Saddar" not in html
    # 4 booked in the last 4 weeks at Clifton (attended, no-show, cancelled, not marked); Saddar's not counted.
    assert sessions_booked(client.get(page + "?csv=sessions")) == "4"
    assert sessions_booked(client.get(page + f"?csv=sessions&clinic={clifton.pk}")) == "4"


def test_the_deposits_table_shows_what_was_paid_online_beside_the_period_before(client, manager, clinics):
    clifton, _ = clinics
    booking = BookingFactory(slot=SlotFactory(clinic=clifton))
    for kind, amount, days_ago in [("paid", 1000, 2), ("paid", 1500, 3), ("refunded", 1000, 1), ("paid", 800, 30)]:
        MoneyEvent.objects.create(
            booking=booking, kind=kind, amount_pkr=amount, at=timezone.now() - dt.timedelta(days=days_ago)
        )
    sign_in(client, manager)
    html = client.get(reverse("bookings_reports")).content.decode()
    assert "<caption>Deposits paid online</caption>" in html
    assert "counted from the ledger by when the money moved" in html  # the definition beside it
    rows = {
        row[0]: row[1:]
        for row in csv.reader(io.StringIO(client.get(reverse("bookings_reports") + "?csv=deposits").content.decode()))
    }
    assert rows["Paid online"] == ["2", "1", "1"]  # 2 and 3 days ago; 30 days ago is the period before
    assert rows["Paid online (PKR)"] == ["2500", "800", "1700"]
    assert rows["Net taken online (PKR)"] == ["1500", "800", "700"]  # 2,500 less the 1,000 refunded


def test_the_reports_page_links_to_the_day_s_takings(client, manager, clinics):
    html = sign_in(client, manager).get(reverse("bookings_reports")).content.decode()
    assert f'href="{reverse("bookings_takings")}?day={local_today():%Y-%m-%d}"' in html


def test_a_manager_sees_every_clinic(client, manager, clinics):
    a_copy_of_the_data(clinics, 0)
    assert sessions_booked(sign_in(client, manager).get(reverse("bookings_reports") + "?csv=sessions")) == "8"


def test_anyone_not_signed_in_is_sent_to_the_login(client):
    response = client.get(reverse("bookings_reports"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
