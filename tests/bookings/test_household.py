"""
A person is not a phone number (issue 22): one phone books for a household, each person
with their own name, bookings, screening, consent, no-show count and "busy then"; the
limits per number still stop a stranger hoarding times. Each test failed before the
Contact/Patient split (the second person's booking was refused as "busy then", or counted
against the first person's limit, screening and no-shows).
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from bookings import errors
from bookings.booking import patients, privacy, services
from bookings.messaging import inbound
from bookings.messaging.channels import InboundEvent
from bookings.models import Booking, BookingStatus, Contact, Message, Patient, SafetyScreening
from bookings.timeutils import at, local_today
from tests import race
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, SessionTypeFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

PHONE = "0312-3344556"
E164 = "+923123344556"


def slot_at(clinic, day_offset: int, hour: int, **kwargs):
    starts = at(local_today() + dt.timedelta(days=day_offset), dt.time(hour))
    return SlotFactory(clinic=clinic, starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), **kwargs)


def book(name, slot, session_type, **kwargs):
    return services.book_online(slot_id=slot.pk, session_type=session_type, name=name, phone=PHONE, **kwargs)


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton")


@pytest.fixture
def session_type():
    return SessionTypeFactory()


def test_a_mother_and_her_son_book_the_same_hour_from_one_phone(clinic, session_type):
    mother = book("Sana Ahmed", slot_at(clinic, 3, 10), session_type)
    son = book("Ali Ahmed", slot_at(clinic, 3, 10), session_type)  # another therapist's slot, the same hour
    assert mother.patient != son.patient
    assert mother.patient.contact == son.patient.contact
    assert (Contact.objects.count(), Patient.objects.count()) == (1, 2)


def test_the_same_name_typed_another_way_is_the_same_person(clinic, session_type):
    book("Sana Ahmed", slot_at(clinic, 3, 10), session_type)
    with pytest.raises(errors.PatientBusy):
        book("  sana   AHMED ", slot_at(clinic, 3, 10), session_type)
    assert Patient.objects.count() == 1


def test_the_limits_are_a_persons_and_a_households(clinic, session_type, settings):
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON = 2
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = 3
    book("Sana Ahmed", slot_at(clinic, 3, 9), session_type)
    book("Sana Ahmed", slot_at(clinic, 3, 11), session_type)
    with pytest.raises(errors.TooManyBookings):
        book("Sana Ahmed", slot_at(clinic, 3, 13), session_type)  # her own two
    book("Ali Ahmed", slot_at(clinic, 4, 9), session_type)  # her son still can: the number holds 3
    with pytest.raises(errors.TooManyBookings):
        book("Bilal Ahmed", slot_at(clinic, 4, 11), session_type)  # a stranger typing new names stops here
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 3


def no_show(patient, days_ago):
    slot = SlotFactory(starts_at=at(local_today() - dt.timedelta(days=days_ago), dt.time(10)))
    return BookingFactory(patient=patient, slot=slot, status=BookingStatus.NO_SHOW, no_show_at=slot.ends_at)


def test_no_shows_are_a_persons_and_a_new_name_is_no_way_round(clinic, session_type, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 2
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL_PER_PHONE = 3
    father = PatientFactory(name="Tariq Ahmed", phone=E164)
    no_show(father, 10)
    no_show(father, 5)
    with pytest.raises(errors.TooManyBookings):
        book("Tariq Ahmed", slot_at(clinic, 3, 10), session_type)
    son = book("Ali Ahmed", slot_at(clinic, 3, 10), session_type)  # his son's record is his own
    assert patients.patient_no_show_count(patient=son.patient) == 0
    no_show(son.patient, 2)
    with pytest.raises(errors.TooManyBookings):  # 3 on the number: "Tariq A." gets no fresh start
        book("Tariq A.", slot_at(clinic, 4, 10), session_type)


def test_first_visit_and_screening_are_each_persons(clinic, session_type):
    mother = PatientFactory(name="Sana Ahmed", phone=E164)
    BookingFactory(patient=mother, status=BookingStatus.ATTENDED, slot=slot_at(clinic, -7, 10))
    book("Ali Ahmed", slot_at(clinic, 3, 10), session_type, screening_answers={})
    book("Sana Ahmed", slot_at(clinic, 3, 12), session_type, screening_answers={})
    by_name = {s.booking.name: s.first_visit for s in SafetyScreening.objects.select_related("booking")}
    assert by_name == {"Ali Ahmed": True, "Sana Ahmed": False}


def form(session_type, **extra):
    return {"name": "Ali Ahmed", "phone": PHONE, "session_type": session_type.pk, "consent": "on", **extra}


def test_a_child_is_booked_with_a_parents_consent(client, clinic, session_type):
    slot = slot_at(clinic, 3, 10)
    url = reverse("bookings:book_slot", args=[slot.pk])
    response = client.post(url, form(session_type, for_whom="child"))
    assert response.status_code == 400
    assert "Enter your name, as the child&#x27;s parent or guardian." in response.content.decode()
    assert not Booking.objects.exists()

    response = client.post(url, form(session_type, for_whom="child", guardian_name="Sana  Ahmed"))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.patient.relation == "child"
    assert booking.screening.guardian_name == "Sana Ahmed"


def test_a_guardian_is_kept_only_for_a_child(client, clinic, session_type):
    slot = slot_at(clinic, 3, 10)
    client.post(reverse("bookings:book_slot", args=[slot.pk]), form(session_type, guardian_name="Someone"))
    booking = Booking.objects.get()
    assert (booking.patient.relation, booking.screening.guardian_name) == ("self", "")


def test_the_booking_form_asks_whom_the_session_is_for(client, clinic):
    page = parse(client.get(reverse("bookings:book_slot", args=[slot_at(clinic, 3, 10).pk])))
    assert "Who is the session for?" in page.text and "Name of the person coming" in page.text
    assert "My child (under 18)" in page.text


def test_stop_from_the_number_stops_messages_for_everyone_on_it(clinic, session_type):
    book("Sana Ahmed", slot_at(clinic, 3, 10), session_type)
    stop = InboundEvent(
        from_e164=E164, text="STOP", button_payload=None, at=dt.datetime.now(dt.UTC), provider_id="m1", channel="sms"
    )
    inbound.handle_inbound([stop])
    assert Contact.objects.get(phone=E164).messages_stopped_at is not None
    before = Message.objects.filter(audience="patient").exclude(channel="email").count()
    book("Ali Ahmed", slot_at(clinic, 3, 12), session_type)
    assert Message.objects.filter(audience="patient").exclude(channel="email").count() == before


# Privacy: per person and per number ---------------------------------------------------------------


def household(clinic):
    mother = PatientFactory(name="Sana Ahmed", phone=E164, notes="Neck")
    son = PatientFactory(name="Ali Ahmed", phone=E164, notes="Knee")
    for person in (mother, son):
        BookingFactory(patient=person, status=BookingStatus.ATTENDED, slot=slot_at(clinic, -7, 10))
    return mother, son


def test_erasing_one_person_keeps_the_number_for_the_others(clinic, manager):
    mother, son = household(clinic)
    erasure = privacy.patient_erase(patient=son, by=manager)
    assert not erasure.number_erased
    assert Contact.objects.get().phone == E164
    mother.refresh_from_db()
    assert (mother.name, mother.notes) == ("Sana Ahmed", "Neck")
    assert not Booking.objects.filter(name="Ali Ahmed").exists()

    assert privacy.patient_erase(patient=mother, by=manager).number_erased  # the last one takes the number
    assert Contact.objects.get().phone is None


def test_erasing_a_number_erases_everyone_on_it_or_nobody(clinic, session_type, manager):
    mother, son = household(clinic)
    upcoming = book("Ali Ahmed", slot_at(clinic, 3, 10), session_type)
    with pytest.raises(privacy.ErasureRefused):
        privacy.contact_erase(contact=mother.contact, by=manager)
    assert Patient.objects.filter(erased_at__isnull=True).count() == 2  # nothing half done
    services.booking_cancel(booking=upcoming, reason="patient_asked")
    assert len(privacy.contact_erase(contact=mother.contact, by=manager)) == 2
    assert not Patient.objects.filter(erased_at__isnull=True).exists()
    assert Contact.objects.get().phone is None


def test_a_persons_export_holds_only_their_own_and_the_numbers_holds_everyone(clinic):
    mother, son = household(clinic)
    own = json.dumps(privacy.patient_export(patient=son, by=None), ensure_ascii=False)
    assert "Ali Ahmed" in own and "Knee" in own and E164 in own
    assert "Sana Ahmed" not in own and "Neck" not in own
    everyone = privacy.contact_export(contact=son.contact, by=None)
    assert sorted(p["patient"]["name"] for p in everyone["people"]) == ["Ali Ahmed", "Sana Ahmed"]
    assert everyone["phone_number"]["phone"] == E164


# The desk --------------------------------------------------------------------------------------------


def test_the_desk_sees_the_household_on_a_booking_and_a_patient(manager_client, clinic):
    mother, son = household(clinic)
    booking = son.bookings.get()
    text = parse(manager_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))).text
    assert "Same phone" in text and "Sana Ahmed" in text
    text = parse(manager_client.get(reverse("admin:bookings_patient_change", args=[mother.pk]))).text
    assert "Ali Ahmed (0 upcoming)" in text


def test_a_blank_name_on_a_family_phone_asks_who_is_coming(manager_client, clinic, session_type):
    household(clinic)
    lookup = manager_client.get(reverse("bookings_patient_lookup"), {"phone": PHONE}).json()
    assert lookup == {"name": "", "names": ["Ali Ahmed", "Sana Ahmed"]}
    slot = slot_at(clinic, 0, 23)
    data = {"slot": slot.pk, "session_type": session_type.pk, "source": "phone", "text": "no", "phone": PHONE}
    response = manager_client.post("/admin/bookings/desk/book/", data)
    assert "This number books for 2 people (Ali Ahmed, Sana Ahmed): enter who is coming." in parse(response).text
    assert not Booking.objects.filter(slot=slot).exists()


# Existing data, and a race -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_existing_patient_becomes_one_person_under_their_number():
    executor = MigrationExecutor(connection)
    before, after = [("bookings", "0028_urdu_names")], [("bookings", "0029_household")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    stopped = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    OldPatient = old.get_model("bookings", "Patient")
    OldPatient.objects.create(name="Sana", phone="+923001112233", contact_channel="sms", messages_stopped_at=stopped)
    OldPatient.objects.create(name="Erased", phone=None, erased_at=stopped)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    people = new.get_model("bookings", "Patient").objects.select_related("contact").order_by("pk")
    assert [(p.name, p.relation, p.contact.phone.as_e164 if p.contact.phone else "") for p in people] == [
        ("Sana", "self", "+923001112233"),
        ("Erased", "self", ""),
    ]
    sana, erased = people
    assert (sana.contact.contact_channel, sana.contact.messages_stopped_at) == ("sms", stopped)
    assert erased.contact.erased_at == stopped
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_two_people_booking_at_once_from_a_new_number_are_both_booked_under_one_number():
    clinic, session_type = ClinicFactory(), SessionTypeFactory()
    slots = [slot_at(clinic, 3, 10), slot_at(clinic, 3, 10)]
    names = ["Sana Ahmed", "Ali Ahmed"]
    jobs = [
        (lambda slot=slot, name=name: book(name, slot, session_type).reference)
        for slot, name in zip(slots, names, strict=True)
    ]
    outcomes = race.run_together(jobs, refusals=(errors.BookingError,))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    assert (Contact.objects.count(), Patient.objects.count()) == (1, 2)
