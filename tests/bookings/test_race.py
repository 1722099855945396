"""
Many patients, one slot, at the same moment: real concurrent connections
released together by a barrier. Exactly one wins; the rest are told the slot
was taken; nothing else goes wrong. The control switches off the lock and the
constraint and shows that the test can fail.
"""

import time

import pytest
from django.db import connection

from bookings import errors
from bookings.booking import services
from bookings.messaging import dispatch
from bookings.models import Booking, Message
from tests.factories import SessionTypeFactory, SlotFactory

THREADS = 20


def patients_racing(race, slot, session_type, threads=THREADS):
    """`threads` patients booking `slot` at once: ("ok", reference) or ("SlotUnavailable", why) each."""

    def patient(i):
        return lambda: (
            services.book_online(
                slot_id=slot.pk, session_type=session_type, name=f"Patient {i}", phone=f"+92300{5550000 + i}"
            ).reference
        )

    return race([patient(i) for i in range(threads)], refusals=(errors.SlotUnavailable,))


@pytest.fixture
def widened_window(monkeypatch):
    """Sleep between the re-check and the insert, so that racers really overlap."""
    check = services.check_slot_free

    def slow_check(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(services, "check_slot_free", slow_check)


@pytest.mark.django_db(transaction=True)
def test_twenty_patients_one_slot_exactly_one_booking(widened_window, race):
    slot, session_type = SlotFactory(), SessionTypeFactory()
    outcomes = patients_racing(race, slot, session_type)
    kinds = [kind for kind, _ in outcomes]
    assert [o for o in outcomes if o[0] == "error"] == []
    assert kinds.count("ok") == 1
    assert kinds.count("SlotUnavailable") == THREADS - 1
    assert Booking.objects.filter(slot=slot).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_lock_and_constraint_double_books(widened_window, monkeypatch, race):
    """The same race with the lock and the constraint off: more than one booking. The test above can fail."""
    from bookings.models import Slot

    monkeypatch.setattr(
        services,
        "lock_slot",
        lambda slot_id, **kwargs: Slot.objects.select_related("clinic", "physiotherapist").get(pk=slot_id),
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX booking_one_active_per_slot")
    try:
        slot, session_type = SlotFactory(), SessionTypeFactory()
        outcomes = patients_racing(race, slot, session_type)
        assert [o for o in outcomes if o[0] == "error"] == []
        assert Booking.objects.filter(slot=slot).count() > 1
    finally:
        Message.objects.all().delete()  # their bookings' messages, which protect them
        Booking.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNIQUE INDEX booking_one_active_per_slot ON bookings_booking (slot_id) "
                "WHERE status IN ('confirmed', 'attended', 'no_show', 'held')"
            )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_constraint_alone_holds_the_race_without_the_lock(widened_window, monkeypatch, race):
    """With only the lock off, the database constraint still lets exactly one through."""
    from bookings.models import Slot

    monkeypatch.setattr(
        services,
        "lock_slot",
        lambda slot_id, **kwargs: Slot.objects.select_related("clinic", "physiotherapist").get(pk=slot_id),
    )
    slot, session_type = SlotFactory(), SessionTypeFactory()
    outcomes = patients_racing(race, slot, session_type)
    kinds = [kind for kind, _ in outcomes]
    assert [o for o in outcomes if o[0] == "error"] == []
    assert kinds.count("ok") == 1 and kinds.count("SlotUnavailable") == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reminder_runs_send_each_reminder_once(settings, race):
    """Four send_reminders runs at once over ten bookings: ten messages, not forty."""
    import datetime as dt

    from django.utils import timezone

    from bookings.messaging.local_channels import LocmemBackend
    from tests.factories import BookingFactory

    LocmemBackend.outbox.clear()
    tomorrow = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10)))
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 0, 24  # whatever the hour now
    for i in range(10):
        BookingFactory(slot=SlotFactory(starts_at=tomorrow + dt.timedelta(minutes=45 * i)))
    Booking.objects.update(created_at=timezone.now() - dt.timedelta(days=3))
    outcomes = race([dispatch.reminders_send] * 4)
    assert sum(sent for _, sent in outcomes) == 10
    assert len(LocmemBackend.outbox) == 10
    assert len({m["to"] for m in LocmemBackend.outbox}) == 10
