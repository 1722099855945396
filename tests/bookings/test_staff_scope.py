"""Staff per clinic: a receptionist sees and changes only their clinics' desk; a clinic manager sees all
and makes receptionists' logins."""

import csv
import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingStatus, ClinicClosure, Slot, TimeOff, WeeklyAvailability
from bookings.timeutils import at, local_today
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse
from tests.staff import code_for_key, sign_in

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("bookings_schedule")
BOOKINGS = reverse("admin:bookings_booking_changelist")
PATIENTS = reverse("admin:bookings_patient_changelist")
SLOTS = reverse("admin:bookings_slot_changelist")
TIME_OFF = reverse("admin:bookings_timeoff_changelist")
DESK_ADD = reverse("bookings_booking_add")
LOOKUP = reverse("bookings_patient_lookup")
AUTOCOMPLETE = reverse("admin:autocomplete")
LOGINS = reverse("admin:bookings_receptionist_changelist")
LOGIN_ADD = reverse("admin:bookings_receptionist_add")
B_WORDS = ["Gulshan", "Zarmina", "Bilal", "BBB001"]  # what only clinic B's desk may read


def works_at(therapist, clinic, weekday=0):
    WeeklyAvailability.objects.create(
        physiotherapist=therapist,
        clinic=clinic,
        weekday=weekday,
        start_time=dt.time(10),
        end_time=dt.time(18),
        valid_from=local_today(),
    )


@pytest.fixture
def world(db, session_type):
    """Two clinics, each with its therapist, a booked and a free time tomorrow, and its own patient."""
    day = local_today() + dt.timedelta(days=1)
    a = ClinicFactory(name="Clifton Branch")
    b = ClinicFactory(name="Gulshan Branch")
    ta = PhysiotherapistFactory(name="Dr. Amna Clifton")
    tb = PhysiotherapistFactory(name="Dr. Bilal Gulshan")
    works_at(ta, a)
    works_at(tb, b)

    def slot(clinic, therapist, hour):
        start = at(day, dt.time(hour))
        return SlotFactory(
            clinic=clinic, physiotherapist=therapist, starts_at=start, ends_at=start + dt.timedelta(minutes=45)
        )

    pa = PatientFactory(name="Asma Ayesha", phone="+923001110001")
    pb = PatientFactory(name="Zarmina Bibi", phone="+923002220002")
    ba = BookingFactory(slot=slot(a, ta, 10), patient=pa, reference="AAA001", session_type=session_type)
    bb = BookingFactory(slot=slot(b, tb, 10), patient=pb, reference="BBB001", session_type=session_type)
    return SimpleNamespace(
        day=day, a=a, b=b, ta=ta, tb=tb, pa=pa, pb=pb, ba=ba, bb=bb,
        free_a=slot(a, ta, 11), free_b=slot(b, tb, 11), session_type=session_type,
    )  # fmt: skip


@pytest.fixture
def desk_a(world):
    user = staff_user("Receptionist", "desk-a")
    world.a.front_desk.add(user)
    return user


@pytest.fixture
def a_client(client, desk_a):
    sign_in(client, desk_a)
    return client


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def text(response) -> str:
    return parse(response).text


def shows_nothing_of_b(page: str) -> bool:
    return not any(word in page for word in B_WORDS)


# The schedule -------------------------------------------------------------------------------


def test_schedule_offers_only_the_receptionists_clinics(a_client, world):
    options = [attrs.get("value") for tag, attrs in parse(a_client.get(SCHEDULE)).tags if tag == "option"]
    assert options == [str(world.a.pk)]


def test_schedule_shows_the_receptionists_clinic_day(a_client, world):
    page = text(a_client.get(SCHEDULE, {"clinic": world.a.pk, "date": world.day.isoformat()}))
    assert "Asma Ayesha" in page and shows_nothing_of_b(page)


def test_schedule_with_another_clinics_id_shows_nothing_of_it(a_client, world):
    response = a_client.get(SCHEDULE, {"clinic": world.b.pk, "date": world.day.isoformat()})
    assert response.status_code == 200
    assert shows_nothing_of_b(text(response))


def test_schedule_search_finds_no_booking_of_another_clinic(a_client, world):
    page = text(a_client.get(SCHEDULE, {"q": "Zarmina"}))
    assert "No booking matches" in page and "BBB001" not in page


def test_one_click_action_on_another_clinics_booking_is_404(a_client, world):
    url = reverse("bookings_schedule_act", args=[world.bb.pk])
    assert a_client.post(url, {"action": "check_in"}).status_code == 404
    world.bb.refresh_from_db()
    assert world.bb.checked_in_at is None


def test_one_click_action_on_own_booking_works(a_client, world):
    a_client.post(reverse("bookings_schedule_act", args=[world.ba.pk]), {"action": "cancel", "reason": "mistake"})
    world.ba.refresh_from_db()
    assert world.ba.status == BookingStatus.CANCELLED


# The booking list, pages, history, actions and CSV -------------------------------------------


def test_booking_list_shows_only_the_receptionists_clinic(a_client, world):
    page = text(a_client.get(BOOKINGS, {"day": "all"}))
    assert "AAA001" in page and shows_nothing_of_b(page)


def test_booking_list_filters_name_only_the_receptionists_clinics_and_therapists(a_client, world):
    page = text(a_client.get(BOOKINGS, {"day": "all"}))
    assert "Clifton Branch" in page and "Dr. Amna Clifton" in page
    assert "Gulshan" not in page


def test_booking_list_filtered_to_another_clinic_is_empty(a_client, world):
    page = text(a_client.get(BOOKINGS, {"day": "all", "slot__clinic__id__exact": world.b.pk}))
    assert shows_nothing_of_b(page)


def test_booking_page_of_another_clinic_is_as_missing(a_client, world):
    response = a_client.get(reverse("admin:bookings_booking_change", args=[world.bb.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert a_client.get(reverse("admin:bookings_booking_change", args=[world.ba.pk])).status_code == 200


def test_booking_changes_posted_to_another_clinics_booking_are_not_saved(a_client, world):
    a_client.post(reverse("admin:bookings_booking_change", args=[world.bb.pk]), {"email": "", "notes": "hacked"})
    world.bb.refresh_from_db()
    assert world.bb.notes != "hacked"


def test_booking_history_of_another_clinic_is_404(a_client, world):
    world.bb.notes = "changed"
    world.bb.save()  # a second version, so the history page has something to fall back on
    assert a_client.get(reverse("admin:bookings_booking_history", args=[world.bb.pk])).status_code == 404
    assert a_client.get(reverse("admin:bookings_booking_history", args=[world.ba.pk])).status_code == 200


def test_a_booking_version_of_another_clinic_is_404(a_client, world):
    version = world.bb.history.first()
    url = reverse("admin:bookings_booking_simple_history", args=[world.bb.pk, version.history_id])
    assert a_client.get(url).status_code == 404
    own = world.ba.history.first()
    assert (
        a_client.get(reverse("admin:bookings_booking_simple_history", args=[world.ba.pk, own.history_id])).status_code
        == 200
    )


def test_a_booking_version_page_saves_nothing_posted(a_client, world):
    """simple_history saved a posted version page (a revert of the whole row) for anyone who could view it."""
    version = world.ba.history.first()
    world.ba.status = BookingStatus.CANCELLED
    world.ba.save()
    url = reverse("admin:bookings_booking_simple_history", args=[world.ba.pk, version.history_id])
    assert a_client.post(url, {"email": "", "notes": "reverted"}).status_code == 405
    world.ba.refresh_from_db()
    assert world.ba.status == BookingStatus.CANCELLED and world.ba.notes != "reverted"


def test_history_of_a_deleted_object_is_for_managers_only(client, desk_a, manager, world):
    time_off = TimeOff.objects.create(
        physiotherapist=world.ta, starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(hours=1)
    )
    url = reverse("admin:bookings_timeoff_history", args=[time_off.pk])
    time_off.delete()
    sign_in(client, desk_a)
    assert client.get(url).status_code == 404
    sign_in(client, manager)
    assert client.get(url).status_code == 200


def post_action(client, name, bookings, **extra):
    return client.post(BOOKINGS + "?day=all", {"action": name, "_selected_action": [b.pk for b in bookings], **extra})


def test_cancel_action_leaves_another_clinics_booking_alone(a_client, world):
    post_action(a_client, "cancel", [world.ba, world.bb], reason="mistake")
    world.ba.refresh_from_db()
    world.bb.refresh_from_db()
    assert world.ba.status == BookingStatus.CANCELLED and world.bb.status == BookingStatus.CONFIRMED


def test_csv_export_holds_only_the_receptionists_bookings(a_client, world):
    response = post_action(a_client, "export_csv", [world.ba, world.bb])
    rows = list(csv.reader(response.content.decode().splitlines()))
    assert [row[0] for row in rows[1:]] == ["AAA001"]


# Patients -------------------------------------------------------------------------------------


def test_patient_list_shows_only_the_receptionists_patients(a_client, world):
    page = text(a_client.get(PATIENTS))
    assert "Asma Ayesha" in page and shows_nothing_of_b(page)


def test_patient_page_of_another_clinic_is_as_missing(a_client, world):
    response = a_client.get(reverse("admin:bookings_patient_change", args=[world.pb.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_patient_changes_posted_to_another_clinics_patient_are_not_saved(a_client, world):
    a_client.post(
        reverse("admin:bookings_patient_change", args=[world.pb.pk]),
        {"name": "Renamed", "phone": "+923002220002", "email": "", "notes": ""},
    )
    world.pb.refresh_from_db()
    assert world.pb.name == "Zarmina Bibi"


def test_patient_history_of_another_clinic_is_as_missing(a_client, world):
    response = a_client.get(reverse("admin:bookings_patient_history", args=[world.pb.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_a_patient_of_both_clinics_shows_only_this_desks_bookings(a_client, world):
    BookingFactory(slot=world.free_b, patient=world.pa, reference="BBB001X")
    page = text(a_client.get(reverse("admin:bookings_patient_change", args=[world.pa.pk])))
    assert "AAA001" in page and "BBB001X" not in page and "Gulshan" not in page


def test_a_patient_of_both_clinics_counts_only_this_desks_bookings(a_client, world):
    BookingFactory(slot=world.free_b, patient=world.pa)
    html = a_client.get(PATIENTS).content.decode()
    assert '<td class="field-booking_count">1</td>' in html


# Autocomplete ---------------------------------------------------------------------------------


def autocomplete(client, model_name, field_name, term=""):
    response = client.get(
        AUTOCOMPLETE, {"app_label": "bookings", "model_name": model_name, "field_name": field_name, "term": term}
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_slot_autocomplete_offers_only_the_receptionists_slots(a_client, world):
    found = autocomplete(a_client, "booking", "slot")
    assert found and all("Clifton Branch" in label for label in found)


def test_slot_autocomplete_by_the_other_clinics_name_finds_nothing(a_client, world):
    assert autocomplete(a_client, "booking", "slot", "Gulshan") == []


def test_therapist_autocomplete_for_leave_offers_only_the_receptionists_therapists(a_client, world):
    assert autocomplete(a_client, "timeoff", "physiotherapist") == ["Dr. Amna Clifton"]


def test_clinic_autocomplete_offers_only_the_receptionists_clinics(a_client, world):
    assert autocomplete(a_client, "weeklyavailability", "clinic") == ["Clifton Branch"]


# The desk's own forms ------------------------------------------------------------------------


def desk_booking(world, slot, **extra):
    return {
        "slot": slot.pk,
        "session_type": world.session_type.pk,
        "source": "phone",
        "phone": "0300-1234567",
        "name": "New Caller",
        **extra,
    }


def test_desk_booking_of_another_clinics_slot_is_a_form_error(a_client, world):
    response = a_client.post(DESK_ADD, desk_booking(world, world.free_b))
    assert response.status_code == 400
    assert "Select a valid choice" in text(response) and shows_nothing_of_b(text(response))
    assert not world.free_b.bookings.exists()


def test_desk_booking_of_own_clinics_slot_works(a_client, world):
    assert a_client.post(DESK_ADD, desk_booking(world, world.free_a)).status_code == 302
    assert world.free_a.bookings.get().name == "New Caller"


def test_desk_booking_does_not_fill_in_a_name_known_only_at_another_clinic(a_client, world):
    response = a_client.post(DESK_ADD, desk_booking(world, world.free_a, phone="0300-2220002", name=""))
    assert response.status_code == 400
    assert "Enter the patient's name." in text(response) and "Zarmina" not in text(response)
    assert not world.free_a.bookings.exists()


def test_desk_booking_fills_in_a_name_known_at_this_clinic(a_client, world):
    a_client.post(DESK_ADD, desk_booking(world, world.free_a, phone="0300-1110001", name=""))
    assert world.free_a.bookings.get().name == "Asma Ayesha"


def test_moving_to_another_clinics_slot_is_a_form_error(a_client, world):
    response = a_client.post(reverse("bookings_booking_move", args=[world.ba.pk]), {"slot": world.free_b.pk})
    assert response.status_code == 400 and "Select a valid choice" in text(response)
    world.ba.refresh_from_db()
    assert world.ba.slot.clinic == world.a


def test_moving_another_clinics_booking_is_404(a_client, world):
    url = reverse("bookings_booking_move", args=[world.bb.pk])
    assert a_client.get(url).status_code == 404
    assert a_client.post(url, {"slot": world.free_b.pk}).status_code == 404


def test_patient_lookup_does_not_reveal_a_name_known_only_at_another_clinic(a_client, world):
    assert a_client.get(LOOKUP, {"phone": "0300-2220002"}).json() == {"name": "", "names": []}
    assert a_client.get(LOOKUP, {"phone": "0300-1110001"}).json() == {"name": "Asma Ayesha", "names": ["Asma Ayesha"]}


# Leave, closures and the bookings they affect -------------------------------------------------


def leave(therapist, world):
    start = at(world.day, dt.time(9))
    return TimeOff.objects.create(physiotherapist=therapist, starts_at=start, ends_at=start + dt.timedelta(hours=4))


def test_affected_bookings_of_another_clinics_leave_is_404(a_client, world):
    assert a_client.get(reverse("bookings_affected", args=["timeoff", leave(world.tb, world).pk])).status_code == 404


def test_affected_bookings_of_another_clinics_closure_is_404(a_client, world):
    closure = ClinicClosure.objects.create(start_date=world.day, end_date=world.day, reason="Water main")
    closure.clinics.set([world.b])
    assert a_client.get(reverse("bookings_affected", args=["closure", closure.pk])).status_code == 404


def test_affected_bookings_of_a_closure_of_both_lists_only_this_desks(a_client, world):
    closure = ClinicClosure.objects.create(start_date=world.day, end_date=world.day, reason="Eid")
    closure.clinics.set([world.a, world.b])
    page = text(a_client.get(reverse("bookings_affected", args=["closure", closure.pk])))
    assert "Asma Ayesha" in page and "Zarmina" not in page


def test_leave_list_shows_only_the_receptionists_therapists(a_client, world):
    leave(world.ta, world)
    leave(world.tb, world)
    page = text(a_client.get(TIME_OFF))
    assert "Dr. Amna Clifton" in page and "Bilal" not in page


def test_leave_for_another_clinics_therapist_is_a_form_error(a_client, world):
    response = a_client.post(
        reverse("admin:bookings_timeoff_add"),
        {"physiotherapist": world.tb.pk, "starts_at_0": world.day.isoformat(), "starts_at_1": "09:00",
         "ends_at_0": world.day.isoformat(), "ends_at_1": "13:00", "reason": "Leave"},
    )  # fmt: skip
    assert response.status_code == 200 and "Select a valid choice" in text(response)
    assert not TimeOff.objects.exists()


def test_leave_for_own_therapist_is_saved_and_tells_of_this_desks_bookings(a_client, world):
    response = a_client.post(
        reverse("admin:bookings_timeoff_add"),
        {"physiotherapist": world.ta.pk, "starts_at_0": world.day.isoformat(), "starts_at_1": "09:00",
         "ends_at_0": world.day.isoformat(), "ends_at_1": "13:00", "reason": "Leave"},
    )  # fmt: skip
    time_off = TimeOff.objects.get()
    assert response.url == reverse("bookings_affected", args=["timeoff", time_off.pk])


def test_leave_of_a_therapist_at_both_clinics_counts_only_this_desks_bookings(a_client, world):
    works_at(world.ta, world.b, weekday=1)  # one place at a time (PostgreSQL's exclusion constraint)
    shared = SlotFactory(clinic=world.b, physiotherapist=world.ta, starts_at=at(world.day, dt.time(12)))
    BookingFactory(slot=shared, patient=world.pb)
    response = a_client.post(
        reverse("admin:bookings_timeoff_add"),
        {"physiotherapist": world.ta.pk, "starts_at_0": world.day.isoformat(), "starts_at_1": "09:00",
         "ends_at_0": world.day.isoformat(), "ends_at_1": "13:00", "reason": "Leave"},
        follow=True,
    )  # fmt: skip
    page = text(response)
    assert "Saved. 1 booking(s) fall inside it" in page and "Zarmina" not in page


def test_leave_of_another_clinics_therapist_is_as_missing(a_client, world):
    response = a_client.get(reverse("admin:bookings_timeoff_change", args=[leave(world.tb, world).pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_leave_form_offers_only_the_receptionists_therapists(client, world):
    # Without autocomplete the choices are the form's own: a plain select must not list the others either.
    from bookings.desk.admin.schedule import TimeOffAdmin

    desk = staff_user("Receptionist", "desk-plain")
    world.a.front_desk.add(desk)
    request = SimpleNamespace(user=desk)
    field = TimeOffAdmin(TimeOff, None).formfield_for_foreignkey(TimeOff._meta.get_field("physiotherapist"), request)
    assert list(field.queryset) == [world.ta]


# Slots ----------------------------------------------------------------------------------------


def test_slot_list_shows_only_the_receptionists_slots(a_client, world):
    page = text(a_client.get(SLOTS))
    assert "Dr. Amna Clifton" in page and "Gulshan" not in page and "Bilal" not in page


def test_slot_page_of_another_clinic_is_as_missing(a_client, world):
    response = a_client.get(reverse("admin:bookings_slot_change", args=[world.free_b.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_slot_history_of_another_clinic_is_404(a_client, world):
    assert a_client.get(reverse("admin:bookings_slot_history", args=[world.free_b.pk])).status_code == 404


def test_block_action_leaves_another_clinics_slot_alone(a_client, world):
    a_client.post(SLOTS, {"action": "block", "_selected_action": [world.free_a.pk, world.free_b.pk]})
    assert list(Slot.objects.filter(is_blocked=True)) == [world.free_a]


def test_a_slot_cannot_be_moved_to_another_clinic(a_client, world):
    start = timezone.localtime(world.free_a.starts_at)
    end = timezone.localtime(world.free_a.ends_at)
    response = a_client.post(
        reverse("admin:bookings_slot_change", args=[world.free_a.pk]),
        {"physiotherapist": world.ta.pk, "clinic": world.b.pk, "starts_at_0": f"{start:%Y-%m-%d}",
         "starts_at_1": f"{start:%H:%M}", "ends_at_0": f"{end:%Y-%m-%d}", "ends_at_1": f"{end:%H:%M}",
         "block_reason": ""},
    )  # fmt: skip
    assert response.status_code == 200 and "Select a valid choice" in text(response)
    world.free_a.refresh_from_db()
    assert world.free_a.clinic == world.a


# Clinics, therapists, their hours and closures -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "admin:bookings_clinic_changelist",
        "admin:bookings_physiotherapist_changelist",
        "admin:bookings_weeklyavailability_changelist",
    ],
)
def test_setup_lists_show_only_the_receptionists_clinic(a_client, world, url):
    page = text(a_client.get(reverse(url)))
    assert "Clifton" in page and "Gulshan" not in page and "Bilal" not in page


def test_closure_list_shows_only_closures_of_the_receptionists_clinics(a_client, world):
    ClinicClosure.objects.create(start_date=world.day, end_date=world.day, reason="Water main").clinics.set([world.b])
    ClinicClosure.objects.create(start_date=world.day, end_date=world.day, reason="Painting").clinics.set([world.a])
    page = text(a_client.get(reverse("admin:bookings_clinicclosure_changelist")))
    assert "Painting" in page and "Water main" not in page


# Two clinics, a manager, none ------------------------------------------------------------------


def test_a_receptionist_of_both_clinics_sees_both(client, world):
    desk = staff_user("Receptionist", "desk-both")
    desk.desk_clinics.set([world.a, world.b])
    sign_in(client, desk)
    page = text(client.get(BOOKINGS, {"day": "all"}))
    assert "AAA001" in page and "BBB001" in page
    options = [attrs.get("value") for tag, attrs in parse(client.get(SCHEDULE)).tags if tag == "option"]
    assert sorted(options) == sorted([str(world.a.pk), str(world.b.pk)])


def test_a_manager_sees_every_clinic(manager_client, world):
    page = text(manager_client.get(BOOKINGS, {"day": "all"}))
    assert "AAA001" in page and "BBB001" in page
    assert "Zarmina" in text(manager_client.get(PATIENTS))
    assert manager_client.get(reverse("admin:bookings_booking_history", args=[world.bb.pk])).status_code == 200


@pytest.fixture
def desk_none_client(client, world):
    sign_in(client, staff_user("Receptionist", "desk-none"))
    return client


def test_a_receptionist_with_no_clinic_sees_an_empty_schedule(desk_none_client):
    response = desk_none_client.get(SCHEDULE)
    assert response.status_code == 200
    assert "No clinic's desk is assigned to you yet" in text(response)


def test_a_receptionist_with_no_clinic_sees_no_other_clinic_by_id(desk_none_client, world):
    response = desk_none_client.get(SCHEDULE, {"clinic": world.a.pk, "date": world.day.isoformat()})
    assert response.status_code == 200 and "Asma Ayesha" not in text(response)


@pytest.mark.parametrize("url", [BOOKINGS + "?day=all", PATIENTS, SLOTS, TIME_OFF, DESK_ADD])
def test_a_receptionist_with_no_clinic_sees_empty_lists(desk_none_client, world, url):
    response = desk_none_client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Asma" not in page and "Zarmina" not in page and "Amna" not in page


def test_a_receptionist_with_no_clinic_finds_no_slot(desk_none_client, world):
    assert autocomplete(desk_none_client, "booking", "slot") == []


# Receptionist logins ---------------------------------------------------------------------------


def new_login(world, **extra):
    return {
        "username": "sana.desk",
        "full_name": "Sana Tariq Khan",
        "password1": "fresh-lemon-tea-42",
        "password2": "fresh-lemon-tea-42",
        "clinics": [world.a.pk],
        **extra,
    }


def test_a_receptionist_cannot_open_the_logins_page(a_client):
    assert a_client.get(LOGINS).status_code == 403
    assert a_client.get(LOGIN_ADD).status_code == 403


def test_a_manager_creates_a_receptionist_login(manager_client, world):
    response = manager_client.post(LOGIN_ADD, new_login(world))
    assert response.status_code == 302
    user = User.objects.get(username="sana.desk")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Receptionist"]
    assert list(user.desk_clinics.all()) == [world.a]
    assert user.get_full_name() == "Sana Tariq Khan"


def test_a_new_receptionist_signs_in_and_sees_only_their_clinic(client, manager, world):
    sign_in(client, manager)
    client.post(LOGIN_ADD, new_login(world))
    client.logout()
    signed_in = client.post(
        reverse("admin:login") + "?next=/admin/", {"username": "sana.desk", "password": "fresh-lemon-tea-42"}
    )
    # Her first sign-in: the password, then she sets up her authenticator app before any page opens.
    assert signed_in.status_code == 302 and signed_in.url == "/admin/second-factor/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302
    set_up = client.get(signed_in.url).content.decode()
    assert "Set up your second factor" in set_up
    key = re.search(r'class="second-factor-secret">([A-Z2-7 ]+)<', set_up).group(1)
    codes = client.post(signed_in.url, {"code": code_for_key(key), "next": "/admin/"}, follow=True)
    assert "Your recovery codes" in text(codes)
    assert client.get("/admin/").status_code == 200
    page = text(client.get(SCHEDULE, {"clinic": world.a.pk, "date": world.day.isoformat()}))
    assert "Asma Ayesha" in page and shows_nothing_of_b(page)


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890123", "sana.desk-1"],
    ids=["short", "common", "numeric", "like-username"],
)
def test_a_password_the_validators_refuse_is_a_form_error(manager_client, world, password):
    response = manager_client.post(LOGIN_ADD, new_login(world, password1=password, password2=password))
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not User.objects.filter(username="sana.desk").exists()


def test_a_new_login_cannot_be_made_a_superuser_or_a_manager(manager_client, world):
    manager_group = Group.objects.get(name="Clinic manager")
    manager_client.post(LOGIN_ADD, new_login(world, is_superuser="on", groups=[manager_group.pk]))
    user = User.objects.get(username="sana.desk")
    assert not user.is_superuser and not user.groups.filter(name="Clinic manager").exists()


def test_a_manager_changes_a_receptionists_clinics_and_deactivates_the_login(manager_client, desk_a, world):
    url = reverse("admin:bookings_receptionist_change", args=[desk_a.pk])
    assert manager_client.get(url).status_code == 200
    response = manager_client.post(
        url, {"username": "desk-a", "full_name": "Desk A", "clinics": [world.b.pk], "password1": "", "password2": ""}
    )
    assert response.status_code == 302
    desk_a.refresh_from_db()
    assert list(desk_a.desk_clinics.all()) == [world.b] and not desk_a.is_active


def test_a_manager_sets_a_new_password_for_a_receptionist(client, manager, desk_a, world):
    sign_in(client, manager)
    client.post(
        reverse("admin:bookings_receptionist_change", args=[desk_a.pk]),
        {"username": "desk-a", "full_name": "Desk A", "is_active": "on", "clinics": [world.a.pk],
         "password1": "river-stone-path-7", "password2": "river-stone-path-7"},
    )  # fmt: skip
    desk_a.refresh_from_db()
    assert desk_a.check_password("river-stone-path-7")


def test_deactivating_a_login_ends_its_session(client, manager_client, desk_a):
    from django.test import Client

    desk = Client()
    sign_in(desk, desk_a)
    manager_client.post(LOGINS, {"action": "deactivate", "_selected_action": [desk_a.pk]})
    desk_a.refresh_from_db()
    assert not desk_a.is_active
    assert desk.get(SCHEDULE).status_code == 302  # back to the login page


@pytest.mark.parametrize("who", ["manager", "admin_user", "receptionist"])
def test_the_logins_page_refuses_logins_with_more_than_the_receptionists_powers(manager_client, request, who):
    """A manager, a superuser, and a receptionist given a permission of their own are not the page's to change."""
    other = request.getfixturevalue(who)
    url = reverse("admin:bookings_receptionist_change", args=[other.pk])
    assert manager_client.get(url).status_code == 302  # as a missing object: back to the admin's index
    manager_client.post(url, {"username": other.username, "full_name": "X Y", "password1": "owned-by-me-123",
                              "password2": "owned-by-me-123"})  # fmt: skip
    other.refresh_from_db()
    assert other.is_active and not other.check_password("owned-by-me-123")
    assert manager_client.get(LOGINS).context["cl"].result_count == 0


def test_a_manager_still_cannot_open_auths_user_and_group_pages(manager_client):
    assert manager_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert manager_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_logins_list_query_count_is_flat(manager_client, world):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert manager_client.get(LOGINS).status_code == 200
        return len(ctx.captured_queries)

    staff_user("Receptionist", "desk-1").desk_clinics.set([world.a])
    small = count()
    for n in range(2, 12):
        staff_user("Receptionist", f"desk-{n}").desk_clinics.set([world.a, world.b])
    assert count() == small <= 10  # 9 before the second factor: its device, read once a request


def test_front_desk_choices_are_active_staff_only(manager_client, desk_a, world):
    User.objects.create_user(username="not-staff", password="x-unused-x")
    User.objects.create_user(username="gone-staff", password="x-unused-x", is_staff=True, is_active=False)
    User.objects.create_superuser(username="the-root", password="x-unused-x")
    page = parse(manager_client.get(reverse("admin:bookings_clinic_change", args=[world.a.pk])))
    choices = {attrs.get("value") for tag, attrs in page.tags if tag == "option"}
    names = set(
        User.objects.filter(pk__in=[int(c) for c in choices if c and c.isdigit()]).values_list("username", flat=True)
    )
    assert "desk-a" in names and not names & {"not-staff", "gone-staff", "the-root"}
