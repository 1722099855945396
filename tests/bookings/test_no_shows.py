"""After N no-shows a number books by calling the clinic; reception sees the count and can reset it."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.booking import patients, services
from bookings.models import BookingStatus, Patient
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, SessionTypeFactory, SlotFactory
from tests.html import parse

pytestmark = pytest.mark.django_db

PHONE = "0312-3344556"
E164 = "+923123344556"


@pytest.fixture(autouse=True)
def _no_messages_wait(monkeypatch):
    cache.clear()
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton", slug="clifton", phone="+922135871234")


def no_show(patient, *, days_ago=3, at=None):
    start = timezone.now() - dt.timedelta(days=days_ago)
    return BookingFactory(
        patient=patient,
        slot=SlotFactory(starts_at=start, ends_at=start + dt.timedelta(minutes=45)),
        status=BookingStatus.NO_SHOW,
        no_show_at=at or start + dt.timedelta(minutes=15),
    )


def refusal(response) -> str:
    """The form's error box, as the patient reads it."""
    html = response.content.decode()
    start = html.index('id="form-errors"')
    return parse(html[start : html.index("</div>", start)]).text


def book(client, clinic, phone=PHONE):
    slot = SlotFactory(clinic=clinic)
    data = {"name": "Ayesha Karim", "phone": phone, "session_type": SessionTypeFactory().pk, "consent": "on"}
    return client.post(reverse("bookings:book_slot", args=[slot.pk]), data)


def test_a_number_with_fewer_no_shows_than_the_limit_books_online(client, clinic, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 2
    no_show(PatientFactory(name="Ayesha Karim", phone=E164))
    assert book(client, clinic).status_code == 302


def test_after_n_no_shows_a_number_is_told_to_call_the_clinic(client, clinic, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 2
    patient = PatientFactory(name="Ayesha Karim", phone=E164)
    no_show(patient, days_ago=10)
    no_show(patient, days_ago=3)
    response = book(client, clinic)
    assert response.status_code == 400
    assert "please call Aspire Wellness Clifton on (021) 35871234" in refusal(response)
    assert patient.bookings.filter(status=BookingStatus.CONFIRMED).count() == 0


def test_the_refusal_reads_exactly_as_the_upcoming_limit_does(client, clinic, settings):
    """No oracle: a stranger typing a number can't tell no-shows from a full diary."""
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 1
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = 1
    no_show(PatientFactory(name="Ayesha Karim", phone=E164))
    by_no_shows = refusal(book(client, clinic))
    other = "0321-7654321"
    assert book(client, clinic, phone=other).status_code == 302
    cache.clear()
    by_limit = refusal(book(client, clinic, phone=other))
    assert by_no_shows == by_limit


def test_the_front_desk_can_still_book_a_number_with_no_shows(clinic, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 1
    no_show(PatientFactory(name="Ayesha Karim", phone=E164))
    booking = services.book_at_desk(
        slot_id=SlotFactory(clinic=clinic).pk, session_type=SessionTypeFactory(), name="A", phone=E164, source="phone"
    )
    assert booking.status == BookingStatus.CONFIRMED


def test_reception_sees_the_count_on_the_booking_and_the_patient(reception_client, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 2
    patient = PatientFactory(name="Ayesha Karim", phone=E164)
    no_show(patient, days_ago=10)
    booking = no_show(patient, days_ago=3)
    text = parse(reception_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))).text
    assert "2 (books by phone only) · Reset" in text
    text = parse(reception_client.get(reverse("admin:bookings_patient_change", args=[patient.pk]))).text
    assert "2 (books by phone only) · Reset" in text


def test_reset_is_confirmed_recorded_and_lets_the_number_book_again(client, reception_client, receptionist, clinic,
                                                                     settings):  # fmt: skip
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 2
    patient = PatientFactory(name="Ayesha Karim", phone=E164)
    no_show(patient, days_ago=10)
    no_show(patient, days_ago=3)
    url = reverse("admin:bookings_patient_reset_no_shows", args=[patient.pk])
    asked = parse(reception_client.get(url)).text
    assert "2 no-shows counted against booking online" in asked
    patient.refresh_from_db()
    assert patient.no_shows_forgiven_at is None  # a GET changes nothing

    response = reception_client.post(url)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.no_shows_forgiven_at is not None
    assert patients.patient_no_show_count(patient=patient) == 0
    [entry] = LogEntry.objects.filter(object_id=str(patient.pk))
    assert entry.user == receptionist and "2 forgiven" in entry.change_message
    reception_client.logout()
    assert book(client, clinic).status_code == 302


def test_no_shows_after_a_reset_count_again(clinic, settings):
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 1
    patient = PatientFactory(name="Ayesha Karim", phone=E164)
    no_show(patient, days_ago=10)
    Patient.objects.filter(pk=patient.pk).update(no_shows_forgiven_at=timezone.now() - dt.timedelta(days=5))
    patient.refresh_from_db()
    assert patients.patient_no_show_count(patient=patient) == 0
    no_show(patient, days_ago=2)
    assert patients.patient_no_show_count(patient=patient) == 1


def test_reset_needs_a_login_that_may_change_patients(client, db):
    patient = PatientFactory()
    url = reverse("admin:bookings_patient_reset_no_shows", args=[patient.pk])
    assert client.post(url).status_code == 302  # to the login page
    patient.refresh_from_db()
    assert patient.no_shows_forgiven_at is None
