"""Safety questions before the first needling: asked on the form, never blocking, seen only by the clinic's staff."""

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.booking import privacy, screening
from bookings.messaging import rendering
from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Booking, BookingStatus, Message, SafetyScreening
from tests.bookings.conftest import staff_user
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

E164 = "+923123344556"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    cache.clear()
    LocmemBackend.outbox.clear()
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton", slug="clifton")


@pytest.fixture
def slot(clinic):
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(), starts_at=start)


def answers(**yes):
    return {f"screen_{key}": "yes" if yes.get(key) else "no" for key in screening.KEYS}


def book(client, slot, session_type, **extra):
    data = {"name": "Ayesha Karim", "phone": "0312-3344556", "email": "ayesha@example.com",
            "session_type": session_type.pk, "consent": "on", **extra}  # fmt: skip
    return client.post(reverse("bookings:book_slot", args=[slot.pk]), data)


def test_the_form_asks_every_question_with_yes_and_no(client, slot):
    page = parse(client.get(reverse("bookings:book_slot", args=[slot.pk])))
    for question in screening.QUESTIONS:
        assert str(question.text) in page.text
        assert page.count("input", name=f"screen_{question.key}", type="radio") == 2
    assert "Safety questions" in page.text and "Only the clinic's staff see your answers" in page.text


def test_all_no_is_kept_with_the_consent_version_and_time(client, slot, session_type):
    before = timezone.now()
    response = book(client, slot, session_type, **answers())
    assert response.status_code == 302
    kept = SafetyScreening.objects.get()
    assert kept.answers == dict.fromkeys(screening.KEYS, False)
    assert kept.first_visit and not kept.needs_talk
    assert kept.consent_version == screening.CONSENT_VERSION and kept.consented_at >= before
    assert "talk your answers" not in parse(client.get(response["Location"])).text


def test_a_yes_books_all_the_same_and_says_the_physiotherapist_will_talk_it_through(client, slot, session_type):
    response = book(client, slot, session_type, **answers(pregnant=True, bleeding=True))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED and booking.screening.needs_talk
    text = parse(client.get(response["Location"])).text
    assert "Your physiotherapist will talk your answers to the safety questions through with you" in text


def test_half_answered_questions_are_a_clear_error_and_nothing_is_written(client, slot, session_type):
    partial = {k: v for k, v in answers().items() if k != "screen_diabetes"}
    response = book(client, slot, session_type, **partial)
    assert response.status_code == 400
    assert "Safety questions : Please answer every question, yes or no." in parse(response).text
    assert not Booking.objects.exists() and not SafetyScreening.objects.exists()


def test_first_visit_is_no_attended_session_for_the_person_before(client, clinic, slot, session_type):
    patient = PatientFactory(name="Ayesha Karim", phone=E164)
    BookingFactory(patient=patient, status=BookingStatus.CANCELLED)
    BookingFactory(patient=patient, status=BookingStatus.NO_SHOW, slot=SlotFactory(clinic=clinic))
    book(client, slot, session_type)
    assert SafetyScreening.objects.get().first_visit  # neither a cancellation nor a no-show is a visit

    BookingFactory(patient=patient, status=BookingStatus.ATTENDED, slot=SlotFactory(clinic=clinic))
    book(client, SlotFactory(clinic=clinic), session_type)
    assert not SafetyScreening.objects.latest("pk").first_visit


def test_the_answers_never_go_into_a_message(client, slot, session_type):
    book(client, slot, session_type, **answers(pregnant=True))
    texts = [m.body for m in mail.outbox] + [sms["body"] for sms in LocmemBackend.outbox]
    texts += [str(m.params) for m in Message.objects.all()]
    texts += [rendering.render_text(m) for m in Message.objects.all()]
    assert texts
    for text in texts:
        assert "pregnan" not in text.lower() and "talk" not in text.lower() and "safety question" not in text.lower()


def test_the_schedule_and_the_booking_show_a_badge_to_the_clinics_staff(client, slot, session_type):
    book(client, slot, session_type, **answers(implant=True))
    booking = Booking.objects.get()
    desk = staff_user("Receptionist", "desk-clifton")
    slot.clinic.front_desk.add(desk)
    sign_in(client, desk)
    day = timezone.localtime(slot.starts_at).date()
    schedule = parse(client.get(reverse("bookings_schedule"), {"clinic": slot.clinic_id, "date": day.isoformat()}))
    assert "Talk before needling" in schedule.text
    page = parse(client.get(reverse("admin:bookings_booking_change", args=[booking.pk])))
    assert "Talk before needling" in page.text and "pacemaker or another implant" in page.text
    assert f"Consent version {screening.CONSENT_VERSION}" in page.text


def test_a_first_visit_booked_without_answers_is_marked_for_the_desk(client, slot, session_type):
    book(client, slot, session_type)
    desk = staff_user("Receptionist", "desk-clifton")
    slot.clinic.front_desk.add(desk)
    sign_in(client, desk)
    day = timezone.localtime(slot.starts_at).date()
    schedule = parse(client.get(reverse("bookings_schedule"), {"clinic": slot.clinic_id, "date": day.isoformat()}))
    assert "Safety questions not answered" in schedule.text


def test_another_clinics_staff_never_see_the_answers(client, slot, session_type):
    book(client, slot, session_type, **answers(diabetes=True))
    booking = Booking.objects.get()
    other = staff_user("Receptionist", "desk-elsewhere")
    ClinicFactory(name="Gulshan").front_desk.add(other)
    sign_in(client, other)
    response = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert response.status_code in (302, 404)
    assert "diabetes" not in response.content.decode()


def test_export_holds_the_answers_and_erase_removes_them(client, slot, session_type):
    book(client, slot, session_type, **answers(metal_allergy=True))
    booking = Booking.objects.get()
    exported = privacy.patient_export(patient=booking.patient, by=None)["safety_screenings"]
    [row] = exported
    assert row["booking"] == booking.reference and row["talk_before_needling"]
    assert {"question": str(screening.QUESTIONS[4].text), "answer": "Yes"} in row["answers"]
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ATTENDED)
    booking.slot.__class__.objects.filter(pk=booking.slot_id).update(
        starts_at=timezone.now() - dt.timedelta(days=3), ends_at=timezone.now() - dt.timedelta(days=3, minutes=-45)
    )
    privacy.patient_erase(patient=booking.patient, by=None)
    assert not SafetyScreening.objects.exists()


def test_the_error_summary_names_the_consent_and_the_safety_questions_shortly(client, db):
    """Eleven lines of question and 'answer yes or no', and the consent's forty words, buried the rest."""
    from tests.factories import SessionTypeFactory, SlotFactory

    slot = SlotFactory()
    data = {"name": "", "phone": "0312 3344556", "session_type": SessionTypeFactory().pk, "screen_pregnant": "no"}
    html = client.post(f"/book/slot/{slot.pk}/", data).content.decode()
    summary = html.split('id="form-errors"')[1].split("</ul>")[0]
    assert summary.count("<li>") == 3, summary  # the name, the consent, the safety questions
    assert ">Consent</a>" in summary and ">Safety questions</a>: Please answer every question" in summary
    assert "Enter the name of the person coming." in summary
