"""The receptionists' admin: what the front desk sees and does."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingStatus, Slot
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:bookings_booking_changelist")
ADD = reverse("bookings_booking_add")
SCHEDULE = reverse("bookings_schedule")


def today_at(hour, minute=0):
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0)


# Permissions --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        CHANGELIST,
        ADD,
        SCHEDULE,
        reverse("admin:bookings_slot_changelist"),
        reverse("admin:bookings_patient_changelist"),
        reverse("admin:bookings_patient_add"),
        reverse("admin:bookings_physiotherapist_changelist"),
        reverse("admin:bookings_weeklyavailability_changelist"),
    ],
)
def test_receptionist_can_open_what_the_job_needs(reception_client, url):
    assert reception_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:content_faq_changelist"),
        reverse("admin:content_page_changelist"),
        reverse("admin:bookings_physiotherapist_add"),
        reverse("admin:bookings_weeklyavailability_add"),
        reverse("admin:bookings_clinic_add"),
    ],
)
def test_receptionist_cannot_touch_users_content_or_the_schedule_setup(reception_client, url):
    assert reception_client.get(url).status_code == 403


def test_receptionist_cannot_delete_bookings_or_slots(receptionist):
    assert not receptionist.has_perm("bookings.delete_booking")
    assert not receptionist.has_perm("bookings.delete_slot")
    assert receptionist.has_perm("bookings.change_slot")  # block and unblock


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:content_faq_changelist"),
        reverse("admin:bookings_physiotherapist_add"),
        reverse("admin:bookings_weeklyavailability_changelist"),  # the week itself: tests/bookings/test_weekly_hours.py
        reverse("admin:bookings_timeoff_add"),
        reverse("admin:bookings_clinicclosure_add"),
    ],
)
def test_manager_runs_the_schedule_and_content(client, manager, url):
    sign_in(client, manager)
    assert client.get(url).status_code == 200


def test_manager_cannot_manage_users(client, manager):
    sign_in(client, manager)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_nobody_deletes_a_booking(client, admin_user):
    sign_in(client, admin_user)
    booking = BookingFactory()
    assert client.get(reverse("admin:bookings_booking_delete", args=[booking.pk])).status_code == 403


# Schedule -----------------------------------------------------------------


def test_schedule_shows_the_day_therapists_across_times_down(reception_client):
    clinic = ClinicFactory(name="Clifton")
    a, b = PhysiotherapistFactory(name="Dr. Ayesha"), PhysiotherapistFactory(name="Dr. Bilal")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(10)))
    free = SlotFactory(clinic=clinic, physiotherapist=a, starts_at=start, ends_at=start + dt.timedelta(minutes=45))
    booked = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=b, starts_at=start, ends_at=start + dt.timedelta(minutes=45)),
        name="Zainab Hussain",
    )
    blocked = SlotFactory(
        clinic=clinic,
        physiotherapist=a,
        starts_at=start + dt.timedelta(hours=1),
        is_blocked=True,
        block_reason="Meeting",
    )
    SlotFactory(clinic=ClinicFactory(), starts_at=start)  # another clinic: not shown

    response = reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": tomorrow.isoformat()})
    body = response.content.decode()
    page = parse(response)
    start = body.index('<table class="schedule-grid">')
    grid = parse(body[start : body.index("</table>", start)])
    assert grid.count("th", scope="col") == 3  # Time, Dr. Ayesha, Dr. Bilal
    assert "Zainab Hussain" in page.text and booked.session_type.name in page.text
    assert reverse("admin:bookings_booking_change", args=[booked.pk]) in page.links()
    assert f"{ADD}?slot={free.pk}&source=phone" in page.links()
    assert "Meeting" in body and reverse("admin:bookings_slot_change", args=[blocked.pk]) in page.links()
    assert "1 free" in page.text and "1 booked" in page.text and "1 off" in page.text
    assert "Dr. Ayesha (Female)" in page.text


def test_schedule_shows_attended_and_no_show(reception_client):
    clinic = ClinicFactory()
    now = timezone.now()
    BookingFactory(
        slot=SlotFactory(clinic=clinic, starts_at=now - dt.timedelta(hours=3)), status=BookingStatus.ATTENDED
    )
    BookingFactory(slot=SlotFactory(clinic=clinic, starts_at=now - dt.timedelta(hours=2)), status=BookingStatus.NO_SHOW)
    body = reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": timezone.localdate().isoformat()})
    text = parse(body).text
    if timezone.localtime(now - dt.timedelta(hours=3)).date() == timezone.localdate():
        assert "1 attended" in text and "1 no-show" in text


def test_schedule_has_previous_and_next_day(reception_client):
    clinic = ClinicFactory()
    day = dt.date(2030, 3, 10)
    links = parse(reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()})).links()
    assert f"{SCHEDULE}?clinic={clinic.pk}&date=2030-03-09" in links
    assert f"{SCHEDULE}?clinic={clinic.pk}&date=2030-03-11" in links


def test_schedule_queries_do_not_grow_with_the_day(reception_client):
    clinic = ClinicFactory()
    therapists = [PhysiotherapistFactory() for _ in range(8)]
    day = timezone.localdate() + dt.timedelta(days=1)

    def fill(slots_per_therapist, offset):
        for therapist in therapists:
            for i in range(slots_per_therapist):
                start = timezone.make_aware(dt.datetime.combine(day, dt.time(8))) + dt.timedelta(
                    minutes=45 * (offset + i)
                )
                slot = SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=start)
                if i % 2:
                    BookingFactory(slot=slot)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()}).status_code == 200
        return len(ctx.captured_queries)

    fill(2, 0)
    count()  # the first visit remembers the desk's clinic in the session
    small = count()
    fill(10, 2)
    assert count() == small <= 9  # 8 before the second factor: its device, read once a request


# Booking list -------------------------------------------------------------


def test_booking_list_opens_on_upcoming_and_filters_by_day(reception_client):
    past = BookingFactory(slot=SlotFactory(starts_at=timezone.now() - dt.timedelta(days=2)), name="Past Patient")
    upcoming = BookingFactory(name="Upcoming Patient")
    text = parse(reception_client.get(CHANGELIST)).text
    assert "Upcoming Patient" in text and "Past Patient" not in text
    text = parse(reception_client.get(CHANGELIST, {"day": "all"})).text
    assert "Upcoming Patient" in text and "Past Patient" in text
    assert past and upcoming


@pytest.mark.parametrize("query", ["0309-5885076", "03095885076", "+92 309 5885076", "REF7ABC", "Sana"])
def test_booking_search_by_reference_name_or_phone_in_any_spelling(reception_client, query):
    patient = PatientFactory(name="Sana Ahmed", phone="+923095885076")
    BookingFactory(patient=patient, name="Sana Ahmed", phone="+923095885076", reference="REF7ABC")
    BookingFactory(name="Someone Else")
    text = parse(reception_client.get(CHANGELIST, {"q": query, "day": "all"})).text
    assert "Sana Ahmed" in text and "Someone Else" not in text


def test_booking_list_query_count_is_flat(reception_client):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reception_client.get(CHANGELIST, {"day": "all"}).status_code == 200
        return len(ctx.captured_queries)

    BookingFactory.create_batch(3)
    small = count()
    BookingFactory.create_batch(30)
    assert count() == small <= 14


@pytest.mark.parametrize(
    "url",
    [
        "admin:bookings_slot_changelist",
        "admin:bookings_patient_changelist",
        "admin:bookings_physiotherapist_changelist",
    ],
)
def test_other_admin_lists_query_count_is_flat(client, manager, url):
    sign_in(client, manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url)).status_code == 200
        return len(ctx.captured_queries)

    BookingFactory.create_batch(3)
    small = count()
    BookingFactory.create_batch(30)
    assert count() == small <= 14


def action(client, name, bookings):
    return client.post(
        CHANGELIST + "?day=all",
        {"action": name, "_selected_action": [b.pk for b in bookings]},
        follow=True,
    )


def test_mark_attended_action_calls_the_service(reception_client):
    now = timezone.now()
    booking = BookingFactory(
        slot=SlotFactory(starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(minutes=40))
    )
    future = BookingFactory(slot=SlotFactory(starts_at=now + dt.timedelta(days=3)))
    response = action(reception_client, "mark_attended", [booking, future])
    booking.refresh_from_db()
    future.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED
    assert future.status == BookingStatus.CONFIRMED
    text = parse(response).text
    assert "Marked attended: 1 booking(s)." in text and "can't be marked yet" in text


def test_no_show_and_cancel_actions(reception_client):
    now = timezone.now()
    late = BookingFactory(
        slot=SlotFactory(starts_at=now - dt.timedelta(minutes=20), ends_at=now + dt.timedelta(minutes=25))
    )
    upcoming = BookingFactory()
    action(reception_client, "mark_no_show", [late])
    asked = action(reception_client, "cancel", [upcoming])
    assert "Why" in asked.content.decode()  # the reason first
    upcoming.refresh_from_db()
    assert upcoming.status == BookingStatus.CONFIRMED
    reception_client.post(
        CHANGELIST, {"action": "cancel", "_selected_action": [upcoming.pk], "reason": "patient_unwell"}
    )
    late.refresh_from_db()
    upcoming.refresh_from_db()
    assert late.status == BookingStatus.NO_SHOW
    assert upcoming.status == BookingStatus.CANCELLED and upcoming.cancel_reason == "patient_unwell"


def test_csv_export_of_selected_bookings(reception_client):
    booking = BookingFactory(name="=HYPERLINK(evil)")
    response = action(reception_client, "export_csv", [booking])
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("reference,date,time,clinic,therapist")
    assert booking.reference in lines[1]
    assert "'=HYPERLINK(evil)" in lines[1]


def test_csv_export_leaves_empty_cells_empty(reception_client):
    import csv

    booking = BookingFactory(email="")
    response = action(reception_client, "export_csv", [booking])
    header, row = csv.reader(response.content.decode().splitlines())
    assert row[header.index("email")] == ""
    assert not any(cell == "'" for cell in row)


@pytest.mark.parametrize("cell", ["=1+1", "+92300", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(cell):
    from bookings.desk.admin.common import spreadsheet_safe

    assert spreadsheet_safe(cell) == f"'{cell}"


# Adding a booking for a caller -------------------------------------------


def add_form_data(slot, session_type, **overrides):
    data = {
        "slot": slot.pk,
        "session_type": session_type.pk,
        "source": "phone",
        "phone": "0309 5885076",
        "name": "Caller Khan",
        "email": "",
        "notes": "Neck pain",
        "consent": "on",
    }
    return {**data, **overrides}


def test_receptionist_books_a_free_slot_for_a_caller(reception_client, receptionist, session_type):
    slot = SlotFactory()
    response = reception_client.post(ADD, add_form_data(slot, session_type))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.slot == slot and booking.source == "phone" and booking.created_by == receptionist
    assert booking.patient.contact.phone == "+923095885076"
    assert booking.history.get().history_user == receptionist


def test_add_form_prefills_the_slot_from_the_schedule(reception_client):
    slot = SlotFactory()
    response = reception_client.get(ADD, {"slot": slot.pk, "source": "phone"})
    assert f'<option value="{slot.pk}" selected>' in response.content.decode()


def test_the_admins_own_add_page_leads_to_the_desk_form(reception_client):
    slot = SlotFactory()
    response = reception_client.get(reverse("admin:bookings_booking_add"), {"slot": slot.pk})
    assert response.status_code == 302 and response["Location"] == f"{ADD}?slot={slot.pk}"


def test_after_a_desk_booking_the_desk_is_back_on_that_days_schedule(reception_client, session_type):
    slot = SlotFactory()
    response = reception_client.post(ADD, add_form_data(slot, session_type))
    day = timezone.localtime(slot.starts_at).date()
    assert response["Location"] == f"{SCHEDULE}?clinic={slot.clinic_id}&date={day.isoformat()}"


def test_booking_a_taken_slot_is_a_form_error_not_a_server_error(reception_client, session_type):
    taken = BookingFactory().slot
    response = reception_client.post(ADD, add_form_data(taken, session_type))
    assert response.status_code == 400
    assert "That time was just taken." in response.content.decode()
    assert Booking.objects.filter(slot=taken).count() == 1


def test_bad_phone_is_a_form_error(reception_client, session_type):
    response = reception_client.post(ADD, add_form_data(SlotFactory(), session_type, phone="12345"))
    assert response.status_code == 400
    assert "Enter a valid phone number" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_returning_patients_name_fills_in_from_their_phone(reception_client, session_type):
    PatientFactory(name="Sana Ahmed", phone="+923095885076")
    lookup = reception_client.get(reverse("bookings_patient_lookup"), {"phone": "0309 5885076"})
    assert lookup.json() == {"name": "Sana Ahmed", "names": ["Sana Ahmed"]}
    assert reception_client.get(reverse("bookings_patient_lookup"), {"phone": "0300 0000000"}).json() == {
        "name": "",
        "names": [],
    }
    # Without JavaScript, a blank name is filled in by the server.
    reception_client.post(ADD, add_form_data(SlotFactory(), session_type, name=""))
    assert Booking.objects.get().name == "Sana Ahmed"


def test_a_new_patient_needs_a_name(reception_client, session_type):
    response = reception_client.post(ADD, add_form_data(SlotFactory(), session_type, name="", phone="0311 2223334"))
    assert response.status_code == 400 and "Enter the patient&#x27;s name." in response.content.decode()


def test_a_walk_in_can_be_booked_into_the_time_now_running(reception_client, session_type):
    now = timezone.now()
    running = SlotFactory(starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(minutes=35))
    response = reception_client.post(ADD, add_form_data(running, session_type, source="walk_in"))
    assert response.status_code == 302
    assert Booking.objects.get().slot == running
    ended = SlotFactory(starts_at=now - dt.timedelta(minutes=50), ends_at=now - dt.timedelta(minutes=5))
    response = reception_client.post(ADD, add_form_data(ended, session_type, source="walk_in", phone="03111234567"))
    assert response.status_code == 400 and "already passed" in response.content.decode()


def test_slot_picker_offers_only_free_future_unblocked_slots(reception_client):
    free = SlotFactory()
    BookingFactory(slot=SlotFactory(physiotherapist=free.physiotherapist))
    SlotFactory(physiotherapist=free.physiotherapist, is_blocked=True)
    SlotFactory(physiotherapist=free.physiotherapist, starts_at=timezone.now() - dt.timedelta(hours=2))
    response = reception_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "bookings", "model_name": "booking", "field_name": "slot", "term": ""},
    )
    ids = [int(result["id"]) for result in response.json()["results"]]
    assert ids == [free.pk]


def move_url(booking):
    return reverse("bookings_booking_move", args=[booking.pk])


def test_moving_a_booking_to_a_taken_slot_is_a_form_error(reception_client):
    booking = BookingFactory()
    taken = BookingFactory().slot
    response = reception_client.post(move_url(booking), {"slot": taken.pk})
    assert response.status_code == 400
    assert "That time was just taken" in response.content.decode()
    booking.refresh_from_db()
    assert booking.slot != taken


def test_moving_a_booking_in_the_admin(reception_client):
    booking = BookingFactory()
    new_slot = SlotFactory()
    change = parse(reception_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])))
    assert move_url(booking) in change.links()
    response = reception_client.post(move_url(booking), {"slot": new_slot.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == new_slot


def test_the_booking_page_offers_no_way_into_the_patients_own_page(reception_client):
    """Opening the manage link would let the desk act as the patient (a cancel recorded as online)."""
    booking = BookingFactory()
    response = reception_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "View on site" not in body
    assert booking.manage_token not in body and "/admin/r/" not in body


def test_the_booking_form_edits_notes_but_never_the_time(reception_client):
    booking = BookingFactory()
    other = SlotFactory()
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    reception_client.post(url, {"slot": other.pk, "email": "", "notes": "called to say she is late"})
    booking.refresh_from_db()
    assert booking.notes == "called to say she is late" and booking.slot != other


def test_moving_a_booking_in_the_admin_is_one_write_and_one_history_record(reception_client):
    booking = BookingFactory()
    new_slot = SlotFactory()
    reception_client.post(move_url(booking), {"slot": new_slot.pk})
    assert list(booking.history.order_by("history_date").values_list("history_type", "slot_id")) == [
        ("+", booking.slot_id),
        ("~", new_slot.pk),
    ]


def test_booking_history_is_visible_from_the_booking(reception_client, session_type):
    reception_client.post(ADD, add_form_data(SlotFactory(), session_type))
    booking = Booking.objects.get()
    response = reception_client.get(reverse("admin:bookings_booking_history", args=[booking.pk]))
    assert response.status_code == 200
    assert "receptionist" in response.content.decode()


# Slots and patients --------------------------------------------------------


def test_block_and_unblock_actions(reception_client):
    free = SlotFactory()
    booked = BookingFactory().slot
    url = reverse("admin:bookings_slot_changelist")
    response = reception_client.post(url, {"action": "block", "_selected_action": [free.pk, booked.pk]}, follow=True)
    assert "1 booked slot(s) were not blocked" in response.content.decode()
    assert Slot.objects.get(pk=free.pk).is_blocked and not Slot.objects.get(pk=booked.pk).is_blocked
    reception_client.post(url, {"action": "unblock", "_selected_action": [free.pk]})
    assert not Slot.objects.get(pk=free.pk).is_blocked


def test_slot_list_filters_free_and_booked(reception_client):
    free = SlotFactory()
    booked = BookingFactory().slot
    url = reverse("admin:bookings_slot_changelist")
    free_ids = {
        int(a["value"])
        for t, a in parse(reception_client.get(url, {"state": "free"})).tags
        if a.get("name") == "_selected_action"
    }
    booked_ids = {
        int(a["value"])
        for t, a in parse(reception_client.get(url, {"state": "booked"})).tags
        if a.get("name") == "_selected_action"
    }
    assert free_ids == {free.pk} and booked_ids == {booked.pk}


def test_patient_page_lists_all_bookings_newest_first(reception_client):
    patient = PatientFactory(name="Zainab Hussain")
    older = BookingFactory(patient=patient, slot=SlotFactory(starts_at=timezone.now() + dt.timedelta(days=1)))
    newer = BookingFactory(patient=patient, slot=SlotFactory(starts_at=timezone.now() + dt.timedelta(days=5)))
    body = reception_client.get(reverse("admin:bookings_patient_change", args=[patient.pk])).content.decode()
    assert body.index(newer.reference) < body.index(older.reference)


def test_generate_slots_action_for_chosen_therapists(client, manager):
    from bookings.models import WeeklyAvailability

    sign_in(client, manager)
    therapist = PhysiotherapistFactory()
    WeeklyAvailability.objects.create(
        physiotherapist=therapist, clinic=ClinicFactory(), weekday=timezone.localdate().weekday(),
        start_time=dt.time(10), end_time=dt.time(11, 30), valid_from=timezone.localdate(),
    )  # fmt: skip
    response = client.post(
        reverse("admin:bookings_physiotherapist_changelist"),
        {"action": "generate_slots", "_selected_action": [therapist.pk]},
        follow=True,
    )
    assert Slot.objects.filter(physiotherapist=therapist).count() >= 2 * 8
    assert "new slot(s)" in response.content.decode()
