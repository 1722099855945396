"""The booking services: every entry point's rules, in one place."""

import datetime as dt

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from bookings import errors
from bookings.booking import patients, services
from bookings.models import Booking, BookingSource, BookingStatus, Contact, Patient
from bookings.schedule import slots
from tests.factories import BookingFactory, ClinicFactory, PatientFactory, PhysiotherapistFactory, SlotFactory

pytestmark = pytest.mark.django_db


def book(slot, session_type, source=BookingSource.PHONE, **kwargs):
    """Book as reception would (online rules are tested on their own below), or online with `source`."""
    details = {"name": "Sana Ahmed", "phone": "0309-5885076", "consent": True, **kwargs}
    if source == BookingSource.ONLINE:
        return services.book_online(slot_id=slot.pk, session_type=session_type, **details)
    return services.book_at_desk(slot_id=slot.pk, session_type=session_type, source=source, **details)


def test_create_books_a_free_slot(session_type):
    slot = SlotFactory()
    booking = book(slot, session_type, email="sana@example.com", source=BookingSource.ONLINE)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.slot == slot and booking.source == "online"
    assert booking.patient.contact.phone == "+923095885076"
    assert booking.patient.email == "sana@example.com"


def test_reference_is_short_unambiguous_and_not_sequential(session_type):
    references = [book(SlotFactory(), session_type).reference for _ in range(30)]
    assert len(set(references)) == 30
    for reference in references:
        assert len(reference) == 7
        assert not set(reference) & set("01OIL")
    assert references != sorted(references)


def test_manage_token_has_at_least_128_bits(session_type):
    booking = book(SlotFactory(), session_type)
    assert len(booking.manage_token) >= 43  # 32 random bytes in URL-safe base64
    assert booking.manage_token != book(SlotFactory(), session_type).manage_token


@pytest.mark.parametrize(
    "spelling", ["0309-5885076", "03095885076", "+92 309 5885076", "0092 309 5885076", "309 5885076"]
)
def test_patient_is_found_by_phone_in_any_spelling(session_type, spelling):
    first = book(SlotFactory(), session_type, phone="0309-5885076")
    again = book(SlotFactory(), session_type, phone=spelling)
    assert again.patient == first.patient
    assert Patient.objects.count() == 1


def test_a_number_added_by_a_racing_request_is_the_same_number(monkeypatch):
    """Between our look-up and our insert another request adds the same number: no error, one contact."""
    from django.db.models import QuerySet

    existing = PatientFactory(name="Sana Ahmed", phone="+923095885076", email="sana@example.com").contact
    monkeypatch.setattr(QuerySet, "first", lambda self: None)  # the look-up misses it
    contact = patients.contact_get_or_create(phone="+923095885076")
    assert contact.pk == existing.pk
    assert Contact.objects.count() == 1 and existing.people.get().name == "Sana Ahmed"


def statements_of(work) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        work()
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("known", ["new number", "new person on a known number", "known person"])
def test_the_number_and_the_person_are_each_one_upsert(known):
    if known != "new number":
        PatientFactory(name="Sana Ahmed" if known == "known person" else "Ali Ahmed", phone="+923095885076")
    agreed = patients.opt_in(channel="sms", source="online", now=timezone.now())
    statements = statements_of(
        lambda: patients.patient_get_or_create(
            phone="0309-5885076", name="sana  ahmed", email="s@example.com", relation="self", changes=agreed
        )  # fmt: skip
    )
    assert [sql.split(" (")[0] for sql in statements] == [
        'INSERT INTO "bookings_contact"',
        'INSERT INTO "bookings_patient"',
    ]


@pytest.mark.parametrize("known", ["new number", "new person on a known number", "known person"])
def test_the_persons_upsert_counts_what_the_limits_count(known, session_type):
    """What patient_get_or_create_counted reads in the person's upsert is what check_patient_can_book counts."""
    slot = SlotFactory()
    if known != "new number":
        sana = PatientFactory(name="Sana Ahmed", phone="+923095885076")
        brother = PatientFactory(name="Ali Ahmed", contact=sana.contact)
        BookingFactory(
            patient=sana,
            status=BookingStatus.ATTENDED,
            slot=SlotFactory(starts_at=timezone.now() - dt.timedelta(days=9)),
        )
        BookingFactory(patient=brother, slot=SlotFactory(starts_at=timezone.now() + dt.timedelta(days=4)))
        BookingFactory(patient=sana, slot=SlotFactory(starts_at=slot.starts_at, ends_at=slot.ends_at))
        if known == "new person on a known number":
            sana.name = "Zara Ahmed"
            sana.save()
    now = timezone.now()
    statements = []

    def upsert():
        statements.extend(statements_of(lambda: result.append(patients.patient_get_or_create_counted(
            phone="0309-5885076", name="sana ahmed", slot=slot, now=now))))  # fmt: skip

    result = []
    upsert()
    person, counted = result[0]
    household = Booking.objects.filter(patient__contact_id=person.contact_id)
    expected = household.aggregate(
        clashes=Count("pk", filter=Q(patient_id=person.pk) & patients.busy_during(
            starts_at=slot.starts_at, ends_at=slot.ends_at, now=now)),
        **patients._online_counts(person, now),
    )  # fmt: skip
    assert counted == expected
    assert len(statements) == 2  # the number's upsert, and the person's with the counts
    if known == "known person":
        assert counted["clashes"] == 1 and counted["attended"] == 1 and counted["number_upcoming"] == 2


def test_a_known_person_keeps_their_details_and_gains_an_email_and_relation_they_lacked():
    known = PatientFactory(name="Sana Ahmed", phone="+923095885076", email="", relation="", notes="Desk note")
    Contact.objects.filter(pk=known.contact_id).update(messages_stopped_at=timezone.now())
    person = patients.patient_get_or_create(phone="0309-5885076", name="SANA ahmed", email="s@example.com",
                                            relation="child")  # fmt: skip
    again = patients.patient_get_or_create(phone="0309-5885076", name="Sana Ahmed", email="other@example.com",
                                           relation="self")  # fmt: skip
    assert person.pk == again.pk == known.pk and Patient.objects.count() == 1
    assert (again.name, again.email, again.relation, again.notes) == (
        "Sana Ahmed",
        "s@example.com",
        "child",
        "Desk note",
    )
    assert again.contact.messages_stopped_at is not None  # the number as it is, STOP and all
    assert again.contact.phone == "+923095885076"


def test_a_number_says_how_it_was_last_asked_to_be_reached():
    PatientFactory(name="Sana Ahmed", phone="+923095885076", contact__contact_channel="whatsapp")
    now = timezone.now()
    contact = patients.contact_get_or_create(
        phone="+923095885076", changes=patients.opt_in(channel="sms", source="online", now=now)
    )
    assert (contact.contact_channel, contact.contact_opt_in_source, contact.contact_opt_in_at) == ("sms", "online", now)
    assert Contact.objects.get().contact_channel == "sms"


def test_taken_slot_raises_slot_unavailable(session_type):
    slot = SlotFactory()
    book(slot, session_type)
    with pytest.raises(errors.SlotUnavailable):
        book(slot, session_type, phone="0321-4455667")
    assert Booking.objects.filter(slot=slot).count() == 1


def test_blocked_past_or_inactive_slots_cannot_be_booked(session_type):
    with pytest.raises(errors.SlotUnavailable):
        book(SlotFactory(is_blocked=True), session_type)
    past = SlotFactory(starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now())
    with pytest.raises(errors.SlotUnavailable):
        book(past, session_type)
    with pytest.raises(errors.SlotUnavailable):
        book(SlotFactory(physiotherapist=PhysiotherapistFactory(is_active=False)), session_type)
    with pytest.raises(errors.SlotUnavailable):
        book(SlotFactory(clinic=ClinicFactory(is_active=False)), session_type)
    assert not Booking.objects.exists()


def test_missing_slot_raises_slot_unavailable(session_type):
    with pytest.raises(errors.SlotUnavailable):
        services.book_online(slot_id=999999, session_type=session_type, name="x", phone="03095885076")


def test_database_constraint_is_the_backstop(session_type, monkeypatch):
    """With the re-check switched off, the constraint still refuses, and the caller sees SlotUnavailable."""
    slot = SlotFactory()
    book(slot, session_type)
    monkeypatch.setattr(services, "check_slot_free", lambda *a, **k: None)
    with pytest.raises(errors.SlotUnavailable):
        book(slot, session_type, phone="0321-4455667")
    assert Booking.objects.filter(slot=slot).count() == 1


def test_a_free_time_is_locked_and_found_free_in_one_statement(session_type):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    slot = SlotFactory()
    with CaptureQueriesContext(connection) as queries:
        services.lock_slot(slot.pk, channel=services.Channel.ONLINE, now=timezone.now())
        assert services.slot_bookings(services.lock_slot(slot.pk, channel=services.Channel.ONLINE,
                                                        now=timezone.now())) == []  # fmt: skip
    assert len(queries) == 2  # each lock_slot, and slot_bookings nothing


def missed_bookings_of(monkeypatch):
    """Make lock_slot find no bookings however many there are: what a read that waited for the lock may see."""
    lock = services.lock_slot

    def waited(slot_id, **kwargs):
        slot = lock(slot_id, **kwargs)
        slot.has_bookings = False
        return slot

    monkeypatch.setattr(services, "lock_slot", waited)


@pytest.mark.django_db(transaction=True)
def test_a_booking_the_locked_read_missed_is_refused_by_the_constraint(session_type, monkeypatch):
    slot = SlotFactory()
    book(slot, session_type, source=BookingSource.ONLINE, form_key="first-form")
    missed_bookings_of(monkeypatch)
    with pytest.raises(errors.SlotUnavailable):
        book(slot, session_type, source=BookingSource.ONLINE, phone="0321-4455667", form_key="another-form")
    assert Booking.objects.filter(slot=slot).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_form_whose_booking_the_locked_read_missed_gets_that_booking(session_type, monkeypatch):
    slot = SlotFactory()
    first = book(slot, session_type, source=BookingSource.ONLINE, form_key="one-form")
    missed_bookings_of(monkeypatch)
    again = book(slot, session_type, source=BookingSource.ONLINE, form_key="one-form")
    assert again.pk == first.pk and Booking.objects.filter(slot=slot).count() == 1


def test_cancel_frees_the_slot(session_type):
    slot = SlotFactory()
    booking = services.booking_cancel(booking=book(slot, session_type))
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_at
    book(slot, session_type, phone="0321-4455667")


def test_cancel_twice_is_refused(session_type):
    booking = services.booking_cancel(booking=book(SlotFactory(), session_type))
    with pytest.raises(errors.InvalidTransition):
        services.booking_cancel(booking=booking)


def test_mark_attended_and_no_show(session_type):
    now = timezone.now()
    slot = SlotFactory(starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(minutes=35))
    booking = BookingFactory(slot=slot)
    booking = services.booking_mark_no_show(booking=booking)
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show_at
    booking = services.booking_mark_attended(booking=booking)  # corrects a mistaken no-show
    assert booking.status == BookingStatus.ATTENDED and booking.attended_at


def test_future_sessions_cannot_be_marked(session_type):
    booking = book(SlotFactory(starts_at=timezone.now() + dt.timedelta(days=2)), session_type)
    with pytest.raises(errors.InvalidTransition):
        services.booking_mark_attended(booking=booking)
    with pytest.raises(errors.InvalidTransition):
        services.booking_mark_no_show(booking=booking)


def test_no_show_only_once_the_session_started(session_type):
    now = timezone.now()
    later_today = SlotFactory(starts_at=now + dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=46))
    booking = BookingFactory(slot=later_today)
    if timezone.localtime(later_today.starts_at).date() == timezone.localdate():
        with pytest.raises(errors.InvalidTransition):
            services.booking_mark_no_show(booking=booking)


def test_cancelled_booking_cannot_be_marked(session_type):
    now = timezone.now()
    booking = BookingFactory(
        slot=SlotFactory(starts_at=now - dt.timedelta(hours=1), ends_at=now), status=BookingStatus.CANCELLED
    )
    with pytest.raises(errors.InvalidTransition):
        services.booking_mark_attended(booking=booking)


def test_move_to_a_free_slot_keeps_reference_and_frees_the_old_one(session_type):
    old, new = SlotFactory(), SlotFactory()
    booking = book(old, session_type)
    moved = services.booking_move(booking=booking, new_slot_id=new.pk)
    assert moved.slot == new and moved.reference == booking.reference
    book(old, session_type, phone="0321-4455667")


def test_move_to_a_taken_slot_is_refused(session_type):
    old, taken = SlotFactory(), SlotFactory()
    book(taken, session_type, phone="0321-4455667")
    booking = book(old, session_type)
    with pytest.raises(errors.SlotUnavailable):
        services.booking_move(booking=booking, new_slot_id=taken.pk)
    booking.refresh_from_db()
    assert booking.slot == old


def test_block_skips_booked_slots():
    free, booked = SlotFactory(), BookingFactory().slot
    changed, skipped = slots.slots_set_blocked(slots=[free, booked], blocked=True, reason="Meeting")
    assert changed == 1 and skipped == [booked]
    free.refresh_from_db()
    assert free.is_blocked and free.block_reason == "Meeting"
    slots.slots_set_blocked(slots=[free], blocked=False)
    free.refresh_from_db()
    assert not free.is_blocked


def test_every_change_to_a_booking_is_recorded(session_type):
    booking = book(SlotFactory(), session_type)
    services.booking_move(booking=booking, new_slot_id=SlotFactory().pk)
    services.booking_cancel(booking=booking)
    history = list(booking.history.order_by("history_date").values_list("history_type", "status"))
    assert history[0] == ("+", "confirmed")
    assert history[-1] == ("~", "cancelled")
    assert len(history) == 3
