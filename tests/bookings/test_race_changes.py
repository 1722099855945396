"""
Races other than many patients for one slot, with real concurrent connections
released together by a barrier: the same form sent twice at once, two changes to
one booking at once, and one phone number booking several times at once. Each
PostgreSQL race keeps a control that shows the test can fail without the lock.
"""

import time

import pytest

from bookings import errors
from bookings.booking import patients, services
from bookings.models import Booking, BookingStatus, Patient
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from tests import race
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, SessionTypeFactory, SlotFactory


def run_together(jobs):
    """Run each job at once on its own connection (tests/race.py); a refusal is (its class name, message)."""
    return race.run_together(jobs, refusals=(errors.BookingError,))


def failures(outcomes):
    return [o for o in outcomes if o[0] == "error"]


# The same form sent twice at once ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_once_gives_one_booking_to_both():
    slot, session_type = SlotFactory(), SessionTypeFactory()

    def submit():
        booking = services.book_online(
            slot_id=slot.pk, session_type=session_type, name="Ayesha", phone="0312-3344556", form_key="k" * 32
        )
        return booking.reference

    outcomes = run_together([submit] * 6)
    assert failures(outcomes) == []
    assert {kind for kind, _ in outcomes} == {"ok"}
    assert len({reference for _, reference in outcomes}) == 1
    assert Booking.objects.count() == 1


# Two changes to one booking at once ---------------------------------------------------------

LOCK_HELD_SECONDS = 0.2


@pytest.fixture
def slow_booking_lock(monkeypatch):
    """Hold each booking's lock a moment, so the second change really waits for the first to commit."""
    lock = services.lock_booking

    def held(booking):
        locked = lock(booking)
        time.sleep(LOCK_HELD_SECONDS)
        return locked

    monkeypatch.setattr(services, "lock_booking", held)


def _moves_and_cancels():
    clinic = ClinicFactory()
    booking = BookingFactory(slot=SlotFactory(clinic=clinic))
    a = SlotFactory(clinic=clinic, physiotherapist=booking.slot.physiotherapist)
    b = SlotFactory(clinic=clinic, physiotherapist=booking.slot.physiotherapist)

    def move_to(slot):
        return lambda: services.booking_move(booking=booking, new_slot_id=slot.pk, by_patient=True).slot_id

    def cancel():
        return services.booking_cancel(booking=booking, by_patient=True).status

    return booking, a, b, move_to, cancel


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_move_moves_once(slow_booking_lock):
    booking, a, _, move_to, _ = _moves_and_cancels()
    outcomes = run_together([move_to(a), move_to(a)])
    assert outcomes == [("ok", a.pk), ("ok", a.pk)]
    booking.refresh_from_db()
    assert booking.slot_id == a.pk and booking.history.filter(slot_id=a.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_moving_to_two_times_end_in_one_of_them(slow_booking_lock):
    booking, a, b, move_to, _ = _moves_and_cancels()
    outcomes = run_together([move_to(a), move_to(b)])
    assert failures(outcomes) == [] and {kind for kind, _ in outcomes} == {"ok"}
    booking.refresh_from_db()
    assert booking.slot_id in (a.pk, b.pk)
    assert availability.bookable(channel=Channel.STAFF).filter(pk__in=[a.pk, b.pk]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_a_move_is_never_lost_behind_an_error(slow_booking_lock):
    booking, a, _, move_to, cancel = _moves_and_cancels()
    outcomes = run_together([move_to(a), cancel])
    assert failures(outcomes) == []
    booking.refresh_from_db()
    if booking.status == BookingStatus.CANCELLED:
        assert outcomes[1] == ("ok", BookingStatus.CANCELLED)
    else:  # the cancel went first: the move was refused with the ordinary message
        assert outcomes[0][0] == "InvalidTransition"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_locking_through_the_join_loses_the_second_change(monkeypatch):
    """The old lock (booking joined to its slot) makes the second of two moves fail with DoesNotExist."""

    def lock_through_join(booking):
        locked = Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)
        time.sleep(LOCK_HELD_SECONDS)
        return locked

    monkeypatch.setattr(services, "lock_booking", lock_through_join)
    booking, a, b, move_to, _ = _moves_and_cancels()
    outcomes = run_together([move_to(a), move_to(b)])
    assert any("DoesNotExist" in value for kind, value in failures(outcomes))


# One phone number booking several times at once --------------------------------------------

LIMIT = 3
ATTEMPTS = 8


@pytest.fixture
def slow_phone_limit(monkeypatch, settings):
    """Pause between counting a number's bookings and writing the new one, so racers overlap."""
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = LIMIT
    check = patients.check_patient_can_book

    def slow_check(**kwargs):
        counts = check(**kwargs)
        time.sleep(0.05)
        return counts  # the booking reads them (first visit, no-shows: bookings.payments.rules)

    monkeypatch.setattr(services, "check_patient_can_book", slow_check)


def _book_each(slots, phone):
    session_type = SessionTypeFactory()

    def book(slot):
        return lambda: (
            services.book_online(slot_id=slot.pk, session_type=session_type, name="Same Person", phone=phone).reference
        )

    return [book(slot) for slot in slots]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("returning", [False, True], ids=["new number", "returning patient"])
def test_simultaneous_bookings_of_one_number_stop_at_the_limit(slow_phone_limit, returning):
    phone = "+923214455667"
    if returning:
        PatientFactory(phone=phone, name="Same Person")
    slots = [SlotFactory() for _ in range(ATTEMPTS)]
    outcomes = run_together(_book_each(slots, phone))
    assert failures(outcomes) == []
    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("ok") == LIMIT and kinds.count("TooManyBookings") == ATTEMPTS - LIMIT
    assert Booking.objects.filter(patient__contact__phone=phone).count() == LIMIT
    assert Patient.objects.filter(contact__phone=phone).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_patient_lock_the_limit_is_beaten(slow_phone_limit, monkeypatch):
    """Counting without holding the patient's row lets simultaneous bookings all pass the limit."""
    phone = "+923214455667"
    patient = PatientFactory(phone=phone, name="Same Person")
    # The person without the number's lock, and counted by check_patient_can_book afresh (no counts).
    monkeypatch.setattr(
        services, "patient_get_or_create_counted", lambda **kwargs: (Patient.objects.get(pk=patient.pk), None)
    )
    slots = [SlotFactory() for _ in range(ATTEMPTS)]
    outcomes = run_together(_book_each(slots, phone))
    assert failures(outcomes) == []
    assert Booking.objects.filter(patient=patient).count() > LIMIT
