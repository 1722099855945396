"""
The desk's week (/admin/bookings/schedule/week/): a clinic's or one therapist's week, days across and
times down, in the day's states and wording, with the day's actions; moving a booking to another day
from it; who may see it; its query budget; its HTML.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.desk import selectors
from bookings.models import BookingStatus, ClinicClosure, DepositStatus, TimeOff, WeeklyAvailability
from bookings.timeutils import at, local_today
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

WEEK = reverse("bookings_schedule_week")
SCHEDULE = reverse("bookings_schedule")


def move_url(booking) -> str:
    return reverse("bookings_booking_move", args=[booking.pk])


@pytest.fixture
def week(db):
    """
    Next week at one clinic (Monday to Sunday): on Monday a booked 10:00 (Sana) and a free 11:00, on
    Tuesday a cancelled 10:00, on Wednesday 10:00 inside the therapist's leave, Thursday closed for Eid
    (no times), Friday to Sunday no one's hours. A second therapist has a booked Tuesday 11:00 (Zara).
    """
    monday = selectors.week_start(local_today()) + dt.timedelta(days=7)
    clinic = ClinicFactory(name="Clifton")
    ayesha = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui")
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi", gender="male")
    for therapist in (ayesha, hamza):
        for weekday in range(4):
            WeeklyAvailability.objects.create(
                physiotherapist=therapist, clinic=clinic, weekday=weekday, start_time=dt.time(10),
                end_time=dt.time(12), valid_from=monday - dt.timedelta(days=30),
            )  # fmt: skip

    def slot(day: int, hour: int, therapist=ayesha):
        return SlotFactory(
            clinic=clinic, physiotherapist=therapist, starts_at=at(monday + dt.timedelta(days=day), dt.time(hour))
        )

    booked = BookingFactory(slot=slot(0, 10), patient=PatientFactory(name="Sana Khan"))
    free = slot(0, 11)
    cancelled = BookingFactory(
        slot=slot(1, 10), patient=PatientFactory(name="Nadia Cancelled"), status=BookingStatus.CANCELLED
    )
    away = slot(2, 10)
    TimeOff.objects.create(
        physiotherapist=ayesha,
        starts_at=at(monday + dt.timedelta(days=2), dt.time(0)),
        ends_at=at(monday + dt.timedelta(days=3), dt.time(0)),
        reason="Conference",
    )
    closure = ClinicClosure.objects.create(
        start_date=monday + dt.timedelta(days=3), end_date=monday + dt.timedelta(days=3), reason="Eid"
    )
    closure.clinics.add(clinic)
    hamzas = BookingFactory(slot=slot(1, 11, hamza), patient=PatientFactory(name="Zara Hamza"))
    return SimpleNamespace(
        monday=monday, clinic=clinic, ayesha=ayesha, hamza=hamza, booked=booked, free=free,
        cancelled=cancelled, away=away, hamzas=hamzas,
    )  # fmt: skip


def cell(schedule, day: int, hour: int) -> list:
    row = next(row for row in schedule.rows if row.time == dt.time(hour))
    return row.cells[day]


# What the week holds ----------------------------------------------------------------------------


def test_the_clinic_week_has_each_time_in_its_days_column_in_the_days_states(week):
    schedule = selectors.clinic_week_schedule(clinic=week.clinic, day=week.monday + dt.timedelta(days=4))
    assert schedule.first_day == week.monday
    assert [d.day for d in schedule.days] == [week.monday + dt.timedelta(days=i) for i in range(7)]
    assert [row.time for row in schedule.rows] == [dt.time(10), dt.time(11)]
    [booked] = cell(schedule, 0, 10)
    assert booked.booking.name == "Sana Khan" and (booked.state.key, booked.state.label) == ("booked", "Confirmed")
    [free] = cell(schedule, 0, 11)
    assert free.booking is None and free.state.key == "free" and free.state.can_book
    [cancelled] = cell(schedule, 1, 10)  # a cancelled booking leaves its time free
    assert cancelled.booking is None and cancelled.state.key == "free"
    [away] = cell(schedule, 2, 10)
    assert (away.state.key, away.state.label, away.state.note) == ("time_off", "Therapist away", "Conference")
    [hamzas] = cell(schedule, 1, 11)
    assert hamzas.booking.name == "Zara Hamza"
    assert [d.closed for d in schedule.days[3:]] == [
        "Closed: Eid",
        f"Closed on Fridays: no one works at {week.clinic.name} that day",
        f"Closed on Saturdays: no one works at {week.clinic.name} that day",
        f"Closed on Sundays: no one works at {week.clinic.name} that day",
    ]
    assert [d.closed for d in schedule.days[:3]] == [None, None, None]
    assert schedule.therapist is None and schedule.therapists == [week.ayesha, week.hamza]


def test_a_therapists_week_holds_only_their_times(week):
    schedule = selectors.clinic_week_schedule(clinic=week.clinic, day=week.monday, therapist_id=week.hamza.pk)
    assert schedule.therapist == week.hamza
    assert [slot for row in schedule.rows for cells in row.cells for slot in cells] == [week.hamzas.slot]


def test_the_week_page_shows_the_days_wording_and_actions(reception_client, week):
    response = reception_client.get(WEEK, {"clinic": week.clinic.pk, "date": week.monday.isoformat()})
    assert response.status_code == 200
    page = parse(response)
    assert "Sana Khan" in page.text and "Confirmed" in page.text and week.booked.reference in page.text
    assert "Nadia Cancelled" not in page.text  # her time shows free
    assert "Therapist away" in page.text and "Conference" in page.text and "Closed: Eid" in page.text
    links = page.links()
    assert f"{reverse('bookings_booking_add')}?slot={week.free.pk}&source=phone" in links
    assert f"{move_url(week.booked)}?from=week" in links
    assert page.count("form", method="post", action=reverse("bookings_schedule_act", args=[week.booked.pk])) == 1
    # Each day's heading opens that day; the weeks before and after; the therapists' weeks.
    for i in range(7):
        day = (week.monday + dt.timedelta(days=i)).isoformat()
        assert f"{SCHEDULE}?clinic={week.clinic.pk}&date={day}" in links
    before = (week.monday - dt.timedelta(days=7)).isoformat()
    after = (week.monday + dt.timedelta(days=7)).isoformat()
    assert f"{WEEK}?clinic={week.clinic.pk}&date={before}" in links
    assert f"{WEEK}?clinic={week.clinic.pk}&date={after}" in links
    assert f"{WEEK}?clinic={week.clinic.pk}&date={week.monday.isoformat()}&physio={week.hamza.pk}" in links


def test_a_therapists_week_page_shows_only_theirs_and_links_back_to_everyones(reception_client, week):
    params = {"clinic": week.clinic.pk, "date": week.monday.isoformat(), "physio": week.hamza.pk}
    page = parse(reception_client.get(WEEK, params))
    assert "Zara Hamza" in page.text and "Sana Khan" not in page.text
    assert f"{WEEK}?clinic={week.clinic.pk}&date={week.monday.isoformat()}" in page.links()
    assert f"{move_url(week.hamzas)}?from=week&physio={week.hamza.pk}" in page.links()


def test_any_day_opens_its_monday_to_sunday_week_and_the_day_links_to_its_week(reception_client, week):
    sunday = week.monday + dt.timedelta(days=6)
    page = parse(reception_client.get(WEEK, {"clinic": week.clinic.pk, "date": sunday.isoformat()}))
    assert "Sana Khan" in page.text
    day = parse(reception_client.get(SCHEDULE, {"clinic": week.clinic.pk, "date": sunday.isoformat()}))
    assert f"{WEEK}?clinic={week.clinic.pk}&date={week.monday.isoformat()}" in day.links()


def test_a_cancel_on_the_week_comes_back_to_the_week(reception_client, week):
    here = f"{WEEK}?clinic={week.clinic.pk}&date={week.monday.isoformat()}"
    response = reception_client.post(
        reverse("bookings_schedule_act", args=[week.booked.pk]), {"action": "cancel", "reason": "other", "next": here}
    )
    assert response.status_code == 302 and response["Location"] == here
    week.booked.refresh_from_db()
    assert week.booked.status == BookingStatus.CANCELLED


# Moving a booking to another day from the week ---------------------------------------------------


def test_the_move_page_shows_another_days_free_times_and_moves_there_back_to_its_week(reception_client, week):
    wednesday_next = week.monday + dt.timedelta(days=9)
    later = SlotFactory(clinic=week.clinic, physiotherapist=week.ayesha, starts_at=at(wednesday_next, dt.time(10)))
    page = parse(reception_client.get(move_url(week.booked), {"from": "week"}))
    # The booking's own day first, with the days either side.
    assert f"Free times on {week.monday:%a} {week.monday.day} {week.monday:%b %Y}" in page.text
    tuesday = (week.monday + dt.timedelta(days=1)).isoformat()
    assert f"?from=week&clinic={week.clinic.pk}&date={tuesday}" in page.links()
    other_day = reception_client.get(move_url(week.booked), {"from": "week", "date": wednesday_next.isoformat()})
    page = parse(other_day)
    assert page.count("button", name="slot", value=str(later.pk)) == 1
    response = reception_client.post(
        f"{move_url(week.booked)}?from=week&date={wednesday_next.isoformat()}", {"slot": later.pk}
    )
    week_after = (week.monday + dt.timedelta(days=7)).isoformat()
    assert response.status_code == 302
    assert response["Location"] == f"{WEEK}?clinic={week.clinic.pk}&date={week_after}"
    week.booked.refresh_from_db()
    assert week.booked.slot == later
    moved = parse(reception_client.get(response["Location"]))
    assert "Sana Khan" in moved.text


def test_the_move_page_offers_only_free_times(reception_client, week):
    page = parse(reception_client.get(move_url(week.hamzas), {"date": week.monday.isoformat()}))
    offered = {int(attrs["value"]) for tag, attrs in page.tags if tag == "button" and attrs.get("name") == "slot"}
    assert offered == {week.free.pk}  # not Sana's booked 10:00


# Who may ----------------------------------------------------------------------------------------


@pytest.fixture
def one_branch_desk(client, week):
    other = ClinicFactory(name="Gulshan")
    desk = staff_user("Receptionist", "gulshan-desk")
    other.front_desk.add(desk)
    sign_in(client, desk)
    return SimpleNamespace(client=client, clinic=other)


def test_a_receptionist_of_another_clinic_cannot_open_this_clinics_week(one_branch_desk, week):
    client = one_branch_desk.client
    params = {"clinic": week.clinic.pk, "date": week.monday.isoformat()}
    assert client.get(WEEK, params).status_code == 404
    assert client.get(WEEK, {**params, "physio": week.ayesha.pk}).status_code == 404
    assert client.get(move_url(week.booked)).status_code == 404
    own = client.get(WEEK, {"date": week.monday.isoformat()})  # their own clinic's week, without the other's
    assert own.status_code == 200 and "Sana Khan" not in own.content.decode()


def test_a_therapist_who_does_not_work_at_the_clinic_is_not_found(reception_client, week):
    stranger = PhysiotherapistFactory(name="Dr. Elsewhere")
    params = {"clinic": week.clinic.pk, "date": week.monday.isoformat(), "physio": stranger.pk}
    assert reception_client.get(WEEK, params).status_code == 404
    assert reception_client.get(WEEK, {**params, "physio": "x"}).status_code == 404


def test_a_tampered_date_shows_today_s_week(reception_client, week):
    for date in ("not-a-day", "0001-01-01", "9999-12-31"):
        assert reception_client.get(WEEK, {"clinic": week.clinic.pk, "date": date}).status_code == 200


# The query budget -------------------------------------------------------------------------------


def test_the_weeks_queries_stay_flat_from_1x_to_5x_bookings_and_slots(reception_client):
    """Every state on every day, for several therapists: the page's queries don't grow with any."""
    monday = selectors.week_start(local_today()) + dt.timedelta(days=7)
    clinic = ClinicFactory()
    therapists = [PhysiotherapistFactory() for _ in range(4)]
    TimeOff.objects.create(
        physiotherapist=therapists[0], starts_at=at(monday, dt.time(15)), ends_at=at(monday, dt.time(20))
    )

    def fill(per_day: int, offset: int):
        for t, therapist in enumerate(therapists):
            for d in range(6):
                for i in range(offset, offset + per_day):
                    starts = at(monday + dt.timedelta(days=d), dt.time(9)) + dt.timedelta(minutes=45 * i)
                    slot = SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=starts)
                    state = (i + t + d) % 5
                    if state == 1:
                        slot.is_blocked = True
                        slot.save()
                    elif state >= 2:
                        status = BookingStatus.CANCELLED if state == 4 else BookingStatus.CONFIRMED
                        # Deposits too (issue 24): every third such time paid for, or held for its deposit.
                        deposit = {0: DepositStatus.PAID, 1: DepositStatus.OWED}.get(i % 3, "")
                        held = deposit == DepositStatus.OWED and status == BookingStatus.CONFIRMED
                        BookingFactory(
                            slot=slot,
                            status=BookingStatus.HELD if held else status,
                            held_until=timezone.now() + dt.timedelta(minutes=15) if held else None,
                            deposit_status=deposit if status == BookingStatus.CONFIRMED else "",
                            deposit_pkr=1000 if deposit and status == BookingStatus.CONFIRMED else 0,
                            patient=PatientFactory(name=f"Week {t}-{d}-{i}"),
                        )

    def count(**extra) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = reception_client.get(WEEK, {"clinic": clinic.pk, "date": monday.isoformat(), **extra})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    fill(2, 0)
    count()  # the first visit remembers the desk's clinic in the session
    small, small_one = count(), count(physio=therapists[0].pk)
    fill(8, 2)  # 5x the times and bookings
    big, big_one = count(), count(physio=therapists[0].pk)
    # As measured: session, user, the second factor's device, the user's and the group's permissions,
    # the clinics, the therapists, the slots, their bookings, the bookings' reminders, and why the
    # Sunday has no times (closures, hours).
    assert big == small and big_one == small_one
    assert small <= 12 and small_one <= 12


# Valid HTML -------------------------------------------------------------------------------------


def test_the_week_and_the_move_page_are_valid_html(reception_client, week, tmp_path):
    from tests.test_valid_html import validate

    documents = {
        "week": reception_client.get(WEEK, {"clinic": week.clinic.pk, "date": week.monday.isoformat()}),
        "therapist-week": reception_client.get(
            WEEK, {"clinic": week.clinic.pk, "date": week.monday.isoformat(), "physio": week.ayesha.pk}
        ),
        "move": reception_client.get(move_url(week.booked), {"from": "week"}),
        "day": reception_client.get(SCHEDULE, {"clinic": week.clinic.pk, "date": week.monday.isoformat()}),
    }
    assert validate({name: response.content.decode() for name, response in documents.items()}, tmp_path) == []
