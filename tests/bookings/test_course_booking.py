"""Reception books a course in one go: n sessions every k days, same therapist and time, all or nothing."""

import datetime as dt
import time

import pytest
from django.db import connection
from django.utils import timezone

from bookings.booking import courses, services
from bookings.models import Booking, BookingStatus, Course, Message
from bookings.timeutils import at
from tests import race
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory


def _week_of_slots(physio, clinic, first_day, weeks=6, hour=10):
    slots = []
    for i in range(weeks * 7):
        start = at(first_day + dt.timedelta(days=i), dt.time(hour))
        slots.append(
            SlotFactory(
                physiotherapist=physio, clinic=clinic, starts_at=start, ends_at=start + dt.timedelta(minutes=45)
            )
        )
    return slots


@pytest.fixture
def daily(db):
    physio, clinic = PhysiotherapistFactory(), ClinicFactory()
    return _week_of_slots(physio, clinic, timezone.localdate() + dt.timedelta(days=1))


def _book(slots, first=0, sessions=4, every=7, phone="03001234567"):
    return courses.course_book(
        first_slot=slots[first], sessions=sessions, every_days=every, session_type=SessionTypeFactory(),
        name="Course Patient", phone=phone,
    )  # fmt: skip


def test_a_course_books_every_session_at_the_same_time(daily):
    course = _book(daily)
    bookings = list(course.bookings.order_by("slot__starts_at"))
    assert [b.slot_id for b in bookings] == [daily[i].pk for i in (0, 7, 14, 21)]
    assert all(b.status == BookingStatus.CONFIRMED for b in bookings)
    assert courses.course_position(bookings[1]) == (2, 4)


def test_one_clash_books_nothing_and_says_which(daily):
    BookingFactory(slot=daily[14])
    with pytest.raises(courses.CourseClash, match="Session 3"):
        _book(daily)
    assert not Course.objects.exists()
    assert Booking.objects.count() == 1


def test_the_preview_shows_the_clashes_before_saving(daily, django_assert_max_num_queries):
    BookingFactory(slot=daily[7])
    with django_assert_max_num_queries(4):
        plan = courses.course_plan(first_slot=daily[0], sessions=8, every_days=7)
    problems = {p.number: p.problem for p in plan}
    assert problems[2] and problems[1] is None
    assert "no time" in problems[8]  # beyond the slots made
    assert Booking.objects.count() == 1  # a preview writes nothing


def test_the_preview_shows_when_the_patient_is_busy(daily):
    other = SlotFactory(starts_at=daily[7].starts_at, ends_at=daily[7].ends_at)
    BookingFactory(slot=other, patient__phone="+923001234567", patient__name="Sana Ahmed")
    plan = courses.course_plan(first_slot=daily[0], sessions=3, every_days=7, phone="0300-1234567", name="sana  ahmed")
    assert "already has a session" in plan[1].problem
    # Her son on the same phone is free then: a household is not one person.
    plan = courses.course_plan(first_slot=daily[0], sessions=3, every_days=7, phone="0300-1234567", name="Ali Ahmed")
    assert plan[1].problem is None


def test_an_ended_waitlist_hold_does_not_make_the_patient_busy(daily):
    other = SlotFactory(starts_at=daily[7].starts_at, ends_at=daily[7].ends_at)
    ended = timezone.now() - dt.timedelta(minutes=1)
    BookingFactory(slot=other, patient__contact__phone="+923001234567", status=BookingStatus.HELD, held_until=ended)
    plan = courses.course_plan(first_slot=daily[0], sessions=3, every_days=7, phone="0300-1234567")
    assert plan[1].problem is None


def test_moving_one_session_leaves_the_others(daily):
    course = _book(daily)
    second = course.bookings.order_by("slot__starts_at")[1]
    services.booking_move(booking=second, new_slot_id=daily[8].pk)
    assert sorted(course.bookings.values_list("slot_id", flat=True)) == sorted(daily[i].pk for i in (0, 8, 14, 21))


# Two desks booking overlapping courses at once (PostgreSQL, real connections) -------------------------------


def _race(slots, monkeypatch, widen=True):
    if widen:
        check = services.check_slot_free

        def slow(*args, **kwargs):
            check(*args, **kwargs)
            time.sleep(0.05)

        monkeypatch.setattr(services, "check_slot_free", slow)

    def desk(first, phone):
        return lambda: _book(slots, first=first, sessions=4, every=7, phone=phone).pk

    # Course A: days 0, 7, 14, 21; course B: days 7, 14, 21, 28. Three sessions in common.
    return race.run_together([desk(0, "03001110001"), desk(7, "03001110002")], refusals=(courses.CourseClash,))


@pytest.fixture
def race_slots(transactional_db):
    physio, clinic = PhysiotherapistFactory(), ClinicFactory()
    yield _week_of_slots(physio, clinic, timezone.localdate() + dt.timedelta(days=1), weeks=5)
    Message.objects.all().delete()
    Booking.objects.all().delete()


@pytest.mark.postgres
def test_two_overlapping_courses_at_once_one_is_booked_whole_the_other_not_at_all(race_slots, monkeypatch):
    outcomes = _race(race_slots, monkeypatch)
    assert race.kinds(outcomes) == ["CourseClash", "ok"]
    assert Course.objects.count() == 1
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 4


@pytest.mark.postgres
def test_control_without_the_locks_and_constraint_double_books(race_slots, monkeypatch):
    """
    The same race with the slot locks and the one-per-slot constraint off: shared times are booked twice.
    The booked time's DELETE from the table of free times is off too: it takes the row's lock, which
    alone lines up two courses sharing a time (the second waits for the first to commit, then finds
    its bookings).
    """
    from bookings.models import Slot
    from bookings.schedule import free_times

    monkeypatch.setattr(
        services,
        "lock_slot",
        lambda slot_id, **kwargs: Slot.objects.select_related("clinic", "physiotherapist").get(pk=slot_id),
    )
    monkeypatch.setattr(services, "lock_slots", lambda slot_ids: None)
    monkeypatch.setattr(free_times, "taken", lambda **kwargs: None)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX booking_one_active_per_slot")
    try:
        outcomes = _race(race_slots, monkeypatch)
        assert [o for o in outcomes if o[0] == "error"] == []
        assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() > 4
    finally:
        Message.objects.all().delete()
        Booking.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNIQUE INDEX booking_one_active_per_slot ON bookings_booking (slot_id) "
                "WHERE status IN ('confirmed', 'attended', 'no_show', 'held')"
            )


def test_the_desk_previews_the_course_then_books_it(reception_client, daily):
    from django.urls import reverse

    from tests.factories import SessionTypeFactory as STF

    BookingFactory(slot=daily[14])
    data = {
        "slot": daily[0].pk, "sessions": 4, "every_days": 7, "session_type": STF().pk, "source": "phone",
        "phone": "0300-1234567", "name": "Course Caller", "preview": "1",
    }  # fmt: skip
    url = reverse("bookings_course_add")
    page = reception_client.post(url, data)
    assert page.status_code == 200 and b"Clash:" in page.content and b"Book all" not in page.content
    assert Booking.objects.count() == 1  # the preview saved nothing
    data["every_days"] = 6
    page = reception_client.post(url, data)
    assert b"Book all 4 sessions" in page.content
    response = reception_client.post(url, {**data, "book": "1"})
    assert response.status_code == 302
    assert Course.objects.get().bookings.count() == 4
