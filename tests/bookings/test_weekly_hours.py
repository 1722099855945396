"""A therapist's week as people think of it: one form, one service, times on sale at once."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.errors import ScheduleRefused
from bookings.models import Booking, BookingStatus, Slot, TimeOff, WeeklyAvailability
from bookings.schedule import availability, hours, leave
from bookings.schedule.availability import Channel
from bookings.schedule.hours import DayHours
from bookings.timeutils import at
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)
NOW = at(MONDAY, dt.time(8))  # a Monday morning, before the day's first time
T = dt.time
WORKDAY = DayHours(T(10), T(19), T(13), T(14))  # 10:00-13:00 and 14:00-19:00
MON_TO_SAT = dict.fromkeys(range(6), WORKDAY)


@pytest.fixture
def therapist():
    return PhysiotherapistFactory(name="Dr. Sana Malik")


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton", slug="clifton")


def set_week(therapist, clinic, days=None, *, valid_from=MONDAY, valid_until=None, slot_minutes=60, now=NOW):
    return hours.weekly_hours_set(
        physiotherapist=therapist,
        clinic=clinic,
        days=MON_TO_SAT if days is None else days,
        slot_minutes=slot_minutes,
        valid_from=valid_from,
        valid_until=valid_until,
        now=now,
    )


def local_starts(slots):
    return sorted(timezone.localtime(slot.starts_at) for slot in slots)


# The service ------------------------------------------------------------------------------------


def test_a_monday_to_saturday_week_with_lunch_is_twelve_rows_from_one_call(therapist, clinic):
    result = set_week(therapist, clinic)
    rows = WeeklyAvailability.objects.filter(physiotherapist=therapist, clinic=clinic)
    assert rows.count() == 12 == len(result.hours)
    assert set(rows.filter(weekday=0).values_list("start_time", "end_time")) == {(T(10), T(13)), (T(14), T(19))}
    assert not rows.filter(weekday=6).exists()
    assert set(rows.values_list("valid_from", "valid_until")) == {(MONDAY, None)}


def test_the_times_are_on_sale_at_once_for_the_booking_window(therapist, clinic):
    result = set_week(therapist, clinic)
    slots = Slot.objects.filter(physiotherapist=therapist)
    monday = local_starts(slots.filter(starts_at__lt=at(MONDAY + dt.timedelta(days=1), T(0))))
    assert [s.time() for s in monday] == [T(10), T(11), T(12), T(14), T(15), T(16), T(17), T(18)]
    last_day = max(local_starts(slots)).date()
    assert last_day >= MONDAY + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS - 1)
    assert not any(start.weekday() == 6 for start in local_starts(slots))  # Sundays off
    assert result.slots_created == slots.count()
    assert availability.bookable(channel=Channel.ONLINE, now=NOW).filter(physiotherapist=therapist).exists()


def test_changing_the_week_end_dates_the_old_rows_and_leaves_the_past_alone(therapist, clinic):
    set_week(therapist, clinic, valid_from=MONDAY - dt.timedelta(days=28), now=NOW - dt.timedelta(days=28))
    past = list(Slot.objects.filter(physiotherapist=therapist, starts_at__lt=NOW).values_list("pk", "starts_at"))
    assert past
    change = MONDAY + dt.timedelta(days=7)
    set_week(therapist, clinic, {0: DayHours(T(9), T(12))}, valid_from=change)

    old = WeeklyAvailability.objects.filter(physiotherapist=therapist, valid_from=MONDAY - dt.timedelta(days=28))
    assert old.count() == 12
    assert set(old.values_list("valid_until", flat=True)) == {change - dt.timedelta(days=1)}
    new = WeeklyAvailability.objects.get(physiotherapist=therapist, valid_from=change)
    assert (new.weekday, new.start_time, new.end_time, new.valid_until) == (0, T(9), T(12), None)
    assert list(Slot.objects.filter(pk__in=[pk for pk, _ in past]).values_list("pk", "starts_at")) == past
    # The week before the change still has its Saturday; the one after has only Monday mornings.
    before = local_starts(Slot.objects.filter(starts_at__gte=NOW, starts_at__lt=at(change, T(0))))
    after = local_starts(Slot.objects.filter(starts_at__gte=at(change, T(0))))
    assert {s.weekday() for s in before} == set(range(6))
    assert {s.weekday() for s in after} == {0} and {s.time() for s in after} == {T(9), T(10), T(11)}


def test_hours_set_to_start_later_replace_hours_set_to_start_later_still(therapist, clinic):
    set_week(therapist, clinic, valid_from=MONDAY + dt.timedelta(days=14))
    set_week(therapist, clinic, {2: WORKDAY}, valid_from=MONDAY + dt.timedelta(days=7))
    rows = WeeklyAvailability.objects.filter(physiotherapist=therapist)
    assert set(rows.values_list("weekday", "valid_from")) == {(2, MONDAY + dt.timedelta(days=7))}


def test_hours_for_a_while_give_way_to_the_usual_week_after(therapist, clinic):
    set_week(therapist, clinic)
    ramadan = (MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=13))
    set_week(
        therapist, clinic, dict.fromkeys(range(6), DayHours(T(9), T(13))), valid_from=ramadan[0], valid_until=ramadan[1]
    )

    def day_times(day):
        return [s.time() for s in local_starts(Slot.objects.filter(starts_at__date=day))]

    assert day_times(MONDAY)[-1] == T(18)
    assert day_times(ramadan[0]) == [T(9), T(10), T(11), T(12)]
    assert day_times(ramadan[1] - dt.timedelta(days=1)) == [T(9), T(10), T(11), T(12)]  # Saturday
    assert day_times(ramadan[1] + dt.timedelta(days=1))[-1] == T(18)  # the Monday after: the usual week again
    resumed = WeeklyAvailability.objects.filter(valid_from=ramadan[1] + dt.timedelta(days=1))
    assert resumed.count() == 12 and set(resumed.values_list("valid_until", flat=True)) == {None}


def test_a_clash_with_hours_at_another_clinic_is_refused_and_nothing_is_written(therapist, clinic):
    dha = ClinicFactory(name="DHA Phase 6")
    set_week(therapist, dha, {5: DayHours(T(16), T(20))})
    before = (WeeklyAvailability.objects.count(), Slot.objects.count())
    with pytest.raises(ScheduleRefused) as refusal:
        set_week(therapist, clinic)
    message = str(refusal.value)
    assert "DHA Phase 6" in message and "Saturday" in message and "16:00–20:00" in message
    assert (WeeklyAvailability.objects.count(), Slot.objects.count()) == before


def test_hours_at_another_clinic_at_other_times_are_fine(therapist, clinic):
    set_week(therapist, ClinicFactory(), {6: WORKDAY})
    set_week(therapist, clinic)
    assert WeeklyAvailability.objects.filter(physiotherapist=therapist).count() == 14


def test_free_times_outside_the_new_week_are_taken_off_sale(therapist, clinic):
    set_week(therapist, clinic)
    saturdays = Slot.objects.filter(physiotherapist=therapist, starts_at__week_day=7)  # Django: 7 is Saturday
    assert saturdays.exists()
    result = set_week(therapist, clinic, dict.fromkeys(range(5), WORKDAY))
    assert not saturdays.exists()
    assert result.slots_removed > 0 and result.affected == []


def test_booked_times_outside_the_new_week_are_kept_and_reported(therapist, clinic):
    set_week(therapist, clinic)
    saturday = Slot.objects.filter(starts_at=at(MONDAY + dt.timedelta(days=5), T(10))).get()
    booking = BookingFactory(slot=saturday)
    result = set_week(therapist, clinic, dict.fromkeys(range(5), WORKDAY))
    assert Slot.objects.filter(pk=saturday.pk).exists()
    assert result.affected == [booking]
    assert list(hours.bookings_outside_hours(physiotherapist=therapist, since=NOW)) == [booking]


def test_a_free_time_a_cancelled_booking_keeps_is_blocked_not_deleted(therapist, clinic):
    set_week(therapist, clinic)
    saturday = Slot.objects.filter(starts_at=at(MONDAY + dt.timedelta(days=5), T(10))).get()
    BookingFactory(slot=saturday, status=BookingStatus.CANCELLED)
    set_week(therapist, clinic, dict.fromkeys(range(5), WORKDAY))
    saturday.refresh_from_db()
    assert saturday.is_blocked and "weekly hours" in saturday.block_reason
    assert not availability.bookable(channel=Channel.ONLINE, now=NOW).filter(pk=saturday.pk).exists()


def test_a_new_slot_length_recuts_the_free_times_around_the_booked_ones(therapist, clinic):
    set_week(therapist, clinic, slot_minutes=60)
    booked = Slot.objects.get(starts_at=at(MONDAY, T(11)))
    BookingFactory(slot=booked)
    set_week(therapist, clinic, slot_minutes=30)
    monday = Slot.objects.filter(starts_at__date=MONDAY, starts_at__lt=at(MONDAY, T(13)))
    assert [s.time() for s in local_starts(monday)] == [T(10), T(10, 30), T(11), T(12), T(12, 30)]
    assert Slot.objects.get(starts_at=at(MONDAY, T(11))).pk == booked.pk


def test_saving_the_same_week_twice_changes_nothing(therapist, clinic):
    set_week(therapist, clinic)
    rows = sorted(WeeklyAvailability.objects.values_list("pk", "weekday", "start_time", "valid_from", "valid_until"))
    slots = sorted(Slot.objects.values_list("pk", flat=True))
    result = set_week(therapist, clinic)
    assert (result.slots_created, result.slots_removed, result.affected) == (0, 0, [])
    assert (
        sorted(WeeklyAvailability.objects.values_list("pk", "weekday", "start_time", "valid_from", "valid_until"))
        == rows
    )
    assert sorted(Slot.objects.values_list("pk", flat=True)) == slots


def test_no_working_day_ends_the_therapists_hours_at_the_clinic(therapist, clinic):
    set_week(therapist, clinic)
    set_week(therapist, clinic, {}, valid_from=MONDAY + dt.timedelta(days=7))
    assert not Slot.objects.filter(starts_at__gte=at(MONDAY + dt.timedelta(days=7), T(0))).exists()
    assert Slot.objects.filter(starts_at__date=MONDAY).exists()


def test_time_off_is_still_kept_free_of_new_times(therapist, clinic):
    TimeOff.objects.create(
        physiotherapist=therapist, starts_at=at(MONDAY, T(0)), ends_at=at(MONDAY + dt.timedelta(days=1), T(0))
    )
    set_week(therapist, clinic)
    assert not Slot.objects.filter(starts_at__date=MONDAY).exists()
    assert Slot.objects.filter(starts_at__date=MONDAY + dt.timedelta(days=1)).exists()


def test_the_past_is_not_changed(therapist, clinic):
    with pytest.raises(ScheduleRefused, match="today at the earliest"):
        set_week(therapist, clinic, valid_from=MONDAY - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        (DayHours(T(14), T(10)), "end", "end after it starts"),
        (DayHours(T(10), T(19), T(9), T(10)), "break_start", "inside the working day"),
        (DayHours(T(10), T(19), T(13), T(20)), "break_start", "inside the working day"),
        (DayHours(T(10), T(19), T(14), T(13)), "break_end", "break must end after"),
        (DayHours(T(10), T(19), T(13), None), "break_end", "break's start and end"),
        (DayHours(T(10), T(10, 30)), "end", "shorter than one 45-minute slot"),
    ],
)
def test_hours_that_make_no_sense_are_refused(therapist, clinic, hours, field, message):
    assert hours.problem(slot_minutes=45)[0] == field
    with pytest.raises(ScheduleRefused, match=message):
        set_week(therapist, clinic, {0: hours}, slot_minutes=45)
    assert not WeeklyAvailability.objects.exists()


# The page ---------------------------------------------------------------------------------------


def hours_url(therapist, clinic=None):
    url = reverse("bookings_weekly_hours", args=[therapist.pk])
    return f"{url}?clinic={clinic.pk}" if clinic else url


def week_form(valid_from=None, slot_minutes=45, **days):
    """The posted form: days as mon=("10:00", "19:00", "13:00", "14:00") and so on."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data = {"slot_minutes": slot_minutes, "valid_from": (valid_from or timezone.localdate()).isoformat()}
    for name, times in days.items():
        n = names.index(name)
        data[f"works_{n}"] = "on"
        for part, value in zip(["start", "end", "break_start", "break_end"], times, strict=False):
            data[f"{part}_{n}"] = value
    return data


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def test_the_form_starts_today_from_the_current_week(manager_client, therapist, clinic):
    today = timezone.localdate()
    set_week(therapist, clinic, valid_from=today, now=timezone.now())
    page = parse(manager_client.get(hours_url(therapist, clinic)))
    values = {a.get("name"): a.get("value") for tag, a in page.tags if tag == "input"}
    checked = {a.get("name") for tag, a in page.tags if tag == "input" and "checked" in a}
    assert values["valid_from"] == today.isoformat()
    assert (values["start_0"], values["break_start_0"], values["break_end_0"], values["end_0"]) == (
        "10:00", "13:00", "14:00", "19:00",
    )  # fmt: skip
    assert values["slot_minutes"] == "60"
    assert {f"works_{n}" for n in range(6)} <= checked and "works_6" not in checked


def test_a_new_therapists_form_starts_today_too(manager_client, therapist, clinic):
    page = parse(manager_client.get(hours_url(therapist, clinic)))
    values = {a.get("name"): a.get("value") for tag, a in page.tags if tag == "input"}
    assert values["valid_from"] == timezone.localdate().isoformat()


def test_manager_sets_a_week_and_its_times_are_on_sale(manager_client, therapist, clinic):
    day = ("10:00", "19:00", "13:00", "14:00")
    response = manager_client.post(
        hours_url(therapist, clinic), week_form(mon=day, tue=day, wed=day, thu=day, fri=day, sat=day)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:bookings_physiotherapist_change", args=[therapist.pk])
    assert WeeklyAvailability.objects.filter(physiotherapist=therapist).count() == 12
    assert availability.bookable(channel=Channel.ONLINE).filter(physiotherapist=therapist).exists()


def test_receptionist_may_not_set_weekly_hours(reception_client, therapist, clinic):
    assert reception_client.get(hours_url(therapist, clinic)).status_code == 403
    assert reception_client.post(hours_url(therapist, clinic), week_form(mon=("10:00", "13:00"))).status_code == 403
    assert not WeeklyAvailability.objects.exists()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (week_form(mon=("14:00", "10:00")), "end_0", "end after it starts"),
        (week_form(tue=("10:00", "19:00", "09:00", "10:30")), "break_start_1", "inside the working day"),
        (week_form(wed=("10:00", "19:00", "13:00")), "break_end_2", "break&#x27;s start and end"),
        (week_form(thu=("", "19:00")), "start_3", "enter when the day starts"),
        (week_form(fri=("10:00", "25:00")), "end_4", "Enter a valid time"),
        (week_form(valid_from=dt.date(2020, 1, 1), sat=("10:00", "13:00")), "valid_from", "today at the earliest"),
        (week_form(mon=("10:00", "13:00"), slot_minutes=0), "slot_minutes", "greater than or equal to 5"),
    ],
)
def test_hours_that_make_no_sense_are_form_errors(manager_client, therapist, clinic, form, field, message):
    response = manager_client.post(hours_url(therapist, clinic), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "errornote" in body and message in body
    assert response.context["form"].errors[field]
    assert not WeeklyAvailability.objects.exists()


def test_a_clash_is_a_form_error_not_a_server_error(manager_client, therapist, clinic):
    set_week(
        therapist,
        ClinicFactory(name="Gulshan"),
        {0: DayHours(T(9), T(11))},
        valid_from=timezone.localdate(),
        now=timezone.now(),
    )
    response = manager_client.post(hours_url(therapist, clinic), week_form(mon=("10:00", "13:00")))
    assert response.status_code == 400
    assert "already works at Gulshan on Mondays 09:00–11:00" in response.content.decode()


def test_bookings_outside_the_new_hours_lead_to_the_affected_page(manager_client, therapist, clinic):
    today = timezone.localdate()
    set_week(therapist, clinic, dict.fromkeys(range(7), DayHours(T(10), T(19))), valid_from=today, now=timezone.now())
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    booking = BookingFactory(slot=Slot.objects.get(starts_at=at(saturday, T(15))), name="Ayesha Khan")
    day = ("10:00", "19:00")
    response = manager_client.post(
        hours_url(therapist, clinic), week_form(mon=day, tue=day, wed=day, thu=day, fri=day), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("bookings_affected", args=["hours", therapist.pk])
    body = response.content.decode()
    assert "Ayesha Khan" in body and "1 booking(s) fall outside the new hours" in body
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_without_a_clinic_the_page_asks_which(manager_client, therapist, clinic):
    set_week(therapist, clinic, valid_from=timezone.localdate(), now=timezone.now())
    other = ClinicFactory(name="Bahadurabad")
    page = parse(manager_client.get(hours_url(therapist)))
    assert hours_url(therapist, clinic) in page.links() and hours_url(therapist, other) in page.links()
    assert "Change the week at Clifton" in page.text and "Add hours at Bahadurabad" in page.text


@pytest.mark.parametrize("value", [":", "1; DROP TABLE", "9" * 40, "-1", "１２"])
def test_a_tampered_clinic_is_the_clinic_chooser(manager_client, therapist, value):
    response = manager_client.get(reverse("bookings_weekly_hours", args=[therapist.pk]), {"clinic": value})
    assert response.status_code == 200 and "Choose the clinic" in response.content.decode()


def test_the_therapist_page_shows_the_week_and_links_to_each_clinics_week(manager_client, therapist, clinic):
    set_week(therapist, clinic, valid_from=timezone.localdate(), now=timezone.now())
    page = parse(manager_client.get(reverse("admin:bookings_physiotherapist_change", args=[therapist.pk])))
    assert "Mon–Sat 10:00–13:00, 14:00–19:00" in page.text
    assert hours_url(therapist, clinic) in page.links()
    assert hours_url(therapist) in page.links() and "Add hours at another clinic" in page.text
    listing = parse(manager_client.get(reverse("admin:bookings_physiotherapist_changelist")))
    assert hours_url(therapist, clinic) in listing.links()


def test_the_receptionist_sees_the_week_without_the_links(reception_client, therapist, clinic):
    set_week(therapist, clinic, valid_from=timezone.localdate(), now=timezone.now())
    page = parse(reception_client.get(reverse("admin:bookings_physiotherapist_change", args=[therapist.pk])))
    assert "Mon–Sat 10:00–13:00, 14:00–19:00" in page.text
    assert hours_url(therapist, clinic) not in page.links()


def test_the_rows_list_leads_to_the_week_and_its_add_page_too(manager_client, therapist, clinic):
    set_week(therapist, clinic, valid_from=timezone.localdate(), now=timezone.now())
    row = WeeklyAvailability.objects.first()
    listing = manager_client.get(reverse("admin:bookings_weeklyavailability_changelist"))
    assert len(listing.context["cl"].list_display) <= 6  # fits a laptop's screen
    page = parse(manager_client.get(reverse("admin:bookings_weeklyavailability_change", args=[row.pk])))
    assert hours_url(therapist, clinic) in page.links()
    add = manager_client.get(reverse("admin:bookings_weeklyavailability_add"), {"physiotherapist": therapist.pk})
    assert add["Location"] == hours_url(therapist)


def test_therapist_list_query_count_is_flat(manager_client, clinic):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(reverse("admin:bookings_physiotherapist_changelist")).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            WeeklyAvailability.objects.create(
                physiotherapist=PhysiotherapistFactory(), clinic=clinic, weekday=0,
                start_time=T(10), end_time=T(12), valid_from=MONDAY,
            )  # fmt: skip

    add(2)
    small = count()
    add(10)
    assert count() == small <= 14


# What patients are offered ----------------------------------------------------------------------


def public_pages(clinic):
    return ["/book/", f"/book/{clinic.slug}/", f"/clinics/{clinic.slug}/"]


def test_a_therapist_with_no_bookable_time_is_not_offered(client, clinic):
    # Within the clinic page's fortnight: it offers the therapists with a time in the days it shows.
    soon = timezone.now() + dt.timedelta(days=2)
    bookable = SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Bookable"), starts_at=soon)
    bookable = bookable.physiotherapist
    # Weekly hours but no slot yet (the old way: hours typed in, slots not yet made).
    no_slots = PhysiotherapistFactory(name="Dr. Not Yet")
    WeeklyAvailability.objects.create(
        physiotherapist=no_slots, clinic=clinic, weekday=0, start_time=T(10), end_time=T(12), valid_from=MONDAY
    )
    # Every time taken, or on leave.
    full = BookingFactory(slot=SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Full")))
    away = SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Away"))
    leave.time_off_save(
        time_off=TimeOff(physiotherapist=away.physiotherapist, starts_at=away.starts_at, ends_at=away.ends_at)
    )
    for path in public_pages(clinic):
        text = client.get(path).content.decode()
        assert bookable.name in text, path
        for name in ["Dr. Not Yet", full.slot.physiotherapist.name, "Dr. Away"]:
            assert name not in text, (path, name)


def test_a_therapist_is_offered_at_the_clinics_where_they_have_a_time(client, clinic):
    elsewhere = SlotFactory(physiotherapist=PhysiotherapistFactory(name="Dr. Elsewhere"))
    assert "Dr. Elsewhere" in client.get("/book/").content.decode()
    assert "Dr. Elsewhere" not in client.get(f"/book/{clinic.slug}/").content.decode()
    assert elsewhere.clinic != clinic


def test_a_new_therapists_name_and_times_appear_together(client, clinic, therapist, django_capture_on_commit_callbacks):
    for path in public_pages(clinic):
        assert therapist.name not in client.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        set_week(
            therapist, clinic, dict.fromkeys(range(7), WORKDAY), valid_from=timezone.localdate(), now=timezone.now()
        )
    for path in public_pages(clinic):
        assert therapist.name in client.get(path).content.decode(), path


@pytest.mark.parametrize("page", [0, 1, 2])
def test_the_therapist_lists_cost_the_same_whoever_works(client, clinic, page):
    path = public_pages(clinic)[page]

    def count():
        cache.clear()  # the page made afresh, not the page cache's copy
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            slot = SlotFactory(clinic=clinic)
            SlotFactory(clinic=clinic, physiotherapist=slot.physiotherapist)
            BookingFactory(slot=slot)

    add(2)
    small = count()
    add(12)
    assert count() == small <= 10


# Two managers at once ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_managers_giving_one_therapist_clashing_hours_at_once_get_one_week_and_one_refusal():
    from tests.bookings.test_race_changes import run_together

    therapist, clifton, dha = PhysiotherapistFactory(), ClinicFactory(), ClinicFactory()
    today = timezone.localdate()

    def at_clinic(clinic):
        return lambda: set_week(therapist, clinic, {0: WORKDAY}, valid_from=today, now=timezone.now()).slots_created

    outcomes = run_together([at_clinic(clifton), at_clinic(dha)])
    assert sorted(kind for kind, _ in outcomes) == ["ScheduleRefused", "ok"], outcomes
    assert WeeklyAvailability.objects.values("clinic").distinct().count() == 1
    assert Slot.objects.values("clinic").distinct().count() == 1
