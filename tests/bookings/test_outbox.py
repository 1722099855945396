"""
The outbox: messages are rows written with the change they report, and only the
worker renders and sends them; retries for what may pass, a final failure for
what won't, each message sent once however many workers run.
"""

import datetime as dt
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from bookings.booking import services
from bookings.messaging import outbox
from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Booking, Message
from tests.factories import BookingFactory, ClinicFactory, SessionTypeFactory, SlotFactory

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}


@pytest.fixture(autouse=True)
def clean_outboxes():
    LocmemBackend.outbox.clear()


def book(slot, **extra):
    return services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha Karim", phone="0312-3344556", **extra
    )


@pytest.mark.django_db(transaction=True)
def test_a_booking_and_its_messages_commit_together_or_not_at_all():
    slot = SlotFactory(clinic=ClinicFactory(email="clifton@example.com"))
    with pytest.raises(RuntimeError), transaction.atomic():
        book(slot, email="a@example.com")
        assert Message.objects.count() == 3  # text and email to the patient, email to reception
        raise RuntimeError("the request fails after the booking")
    assert not Booking.objects.exists() and not Message.objects.exists()
    assert not LocmemBackend.outbox and not mail.outbox


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_booking_request_renders_and_sends_nothing(client, monkeypatch):
    """With the real queue, the POST only writes rows; the worker finds them and sends."""
    from django_tasks_db.models import DBTaskResult

    def no_sending_in_a_request(*args, **kwargs):
        raise AssertionError("a request sent a message")

    monkeypatch.setattr(outbox, "send", no_sending_in_a_request)
    slot = SlotFactory(clinic=ClinicFactory(email="clifton@example.com"))
    data = {"name": "Ayesha Karim", "phone": "0312-3344556", "email": "a@example.com", "consent": "on"}
    data["session_type"] = SessionTypeFactory().pk
    assert client.post(reverse("bookings:book_slot", args=[slot.pk]), data).status_code == 302
    assert Message.objects.filter(status="queued").count() == 3
    assert not DBTaskResult.objects.exists()  # the messages' rows are the wake-up: no task row of their own

    monkeypatch.undo()
    assert outbox.deliver_due() == 3
    assert Message.objects.filter(status="sent").count() == 3
    assert len(LocmemBackend.outbox) == 1 and len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_booking_post_writes_each_message_and_no_task_in_a_pinned_number_of_statements(client, monkeypatch):
    """Three messages (text and email to the patient, email to reception), and no task row to wake a worker."""
    from django.test.utils import CaptureQueriesContext

    from bookings.pages import ratelimit

    # The first count of a new window forgets the windows that are over, once per process: start
    # from a process that has not yet, so the budget is the same whatever test ran before.
    monkeypatch.setattr(ratelimit, "_purged", {})

    clinic = ClinicFactory(email="clifton@example.com")
    session_type = SessionTypeFactory()
    slots = [SlotFactory(clinic=clinic, starts_at=timezone.now() + dt.timedelta(days=2, hours=i)) for i in range(2)]
    data = {"name": "Ayesha Karim", "phone": "0312-3344556", "email": "a@example.com", "consent": "on"}

    def post(slot):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                reverse("bookings:book_slot", args=[slot.pk]), {**data, "session_type": session_type.pk}
            )
        assert response.status_code == 302
        return [query["sql"] for query in ctx.captured_queries]

    # A new patient, then the same one again (19 and 17 statements when each message woke the worker;
    # one more since the booking keeps the consent version its patient agreed to, in its screening row;
    # one more since each channel has its queue: a run for the text, one for the two emails;
    # a new patient two more and a returning one one more since a person is not a phone number:
    # the number's row (locked, or added) and then the person of that name under it; two fewer since
    # the channels' workers find the messages in the outbox: no task row for the text and the emails;
    # one fewer since a free time is locked and found free in one statement; the number and the
    # person one upsert each: two fewer for a new patient, one fewer for a returning one; one fewer
    # since the session type is read with the slot, not by the form; one fewer since the person's
    # upsert counts what the limits count; on PostgreSQL one fewer since the first history entry
    # and the screening are one statement; one more since the booked time leaves the table of free
    # times, one DELETE: issue 25's decision 2 budgets it).
    fewer = 1 if connection.vendor == "postgresql" else 0
    for statements, budget in ((post(slots[0]), 14 - fewer), (post(slots[1]), 13 - fewer)):
        assert not [sql for sql in statements if "django_tasks_database_dbtaskresult" in sql]
        assert sum(sql.startswith("INSERT") and '"bookings_message"' in sql for sql in statements) == 3
        assert len(statements) == budget, "\n".join(sql[:200] for sql in statements)


@pytest.mark.django_db
def test_a_network_failure_is_retried_with_backoff_then_fails_for_good(monkeypatch):
    booking = BookingFactory()
    message = outbox.queue(
        booking=booking, audience="patient", channel="sms", recipient="+923001234567", kind="reminder", params={}
    )

    def down(self, **kwargs):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(LocmemBackend, "send", down)
    now = timezone.now()
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(now=now)
        message.refresh_from_db()
        if message.status == "failed":
            break
        waits.append(message.next_attempt_at - now)
        assert outbox.deliver_due(now=now) == 0  # not before its time
        now = message.next_attempt_at
    assert waits == outbox.BACKOFF
    assert message.status == "failed" and message.attempts == outbox.MAX_ATTEMPTS
    assert "gateway unreachable" in message.last_error


@pytest.mark.django_db
def test_an_address_the_server_refuses_fails_at_once(monkeypatch):
    booking = BookingFactory(email="nobody@example.com")

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.com": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    message = outbox.queue(
        booking=booking, audience="patient", channel="email", recipient=booking.email, kind="confirmed", params={}
    )
    outbox.deliver_due(now=timezone.now())
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1 and "refused" in message.last_error


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)  # queued, not sent at once: the workers below send them
def test_two_workers_at_once_send_each_message_once(race):
    bookings = [BookingFactory() for _ in range(12)]
    for booking in bookings:
        outbox.queue(
            booking=booking, audience="patient", channel="sms", recipient=booking.phone.as_e164, kind="reminder",
            params={},
        )  # fmt: skip
    outcomes = race([outbox.deliver_due] * 3)
    assert sum(sent for _, sent in outcomes) == 12
    assert sorted(m["to"] for m in LocmemBackend.outbox) == sorted(b.phone.as_e164 for b in bookings)


@pytest.mark.django_db
def test_a_claimed_message_is_left_alone_until_the_claim_runs_out(settings):
    booking = BookingFactory()
    message = outbox.queue(
        booking=booking, audience="patient", channel="sms", recipient="+923001234567", kind="reminder", params={}
    )
    now = timezone.now()
    assert outbox._claim(message.pk, now)  # a worker took it, then died
    assert outbox.deliver_due(now=now + dt.timedelta(seconds=5)) == 0
    later = now + dt.timedelta(seconds=settings.ASPIRE_MESSAGE_CLAIM_SECONDS + 1)
    assert outbox.deliver_due(now=later) == 1


@pytest.mark.django_db
def test_no_message_carries_the_patients_notes():
    booking = BookingFactory(notes="Lower back pain since the accident", email="a@example.com")
    booking.slot.clinic.email = "clinic@example.com"
    booking.slot.clinic.save()
    from bookings.messaging import events

    events.booking_confirmed(booking=booking)
    for message in Message.objects.all():
        assert "accident" not in str(message.params)
    outbox.deliver_due(now=timezone.now())
    assert all("accident" not in m["body"] for m in LocmemBackend.outbox)
    assert len(mail.outbox) == 2  # the patient's and reception's
    assert all("accident" not in m.body and "accident" not in m.alternatives[0][0] for m in mail.outbox)


@pytest.mark.django_db
def test_the_booking_page_shows_its_messages_and_reception_lists_the_failed(reception_client, monkeypatch):
    booking = BookingFactory()
    ok = outbox.queue(booking=booking, audience="patient", channel="sms", recipient="+923001234567", kind="confirmed",
                      params={})  # fmt: skip
    outbox.deliver_due(now=timezone.now())
    failed = outbox.queue(booking=booking, audience="patient", channel="email", recipient="x@example.com",
                          kind="reminder", params={})  # fmt: skip
    Message.objects.filter(pk=failed.pk).update(status="failed", last_error="No such user")
    page = reception_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "Sent" in page and "Failed" in page and "No such user" in page
    listing = reception_client.get(reverse("admin:bookings_message_changelist"), {"status__exact": "failed"})
    assert booking.reference in listing.content.decode()
    assert ok.pk != failed.pk


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_dead_workers_claim_is_left_to_run_out_and_the_next_look_after_it_sends_the_message(settings):
    """A worker that lost the database (or died) after claiming a message: the next run can't send it
    yet and enqueues nothing (the channel's worker looks again every interval); once the claim runs
    out, a run sends it."""
    from django_tasks_db.models import DBTaskResult

    message = outbox.queue(
        booking=BookingFactory(), audience="patient", channel="sms", recipient="+923001234567", kind="reminder",
        params={},
    )  # fmt: skip
    now = timezone.now()
    assert outbox._claim(message.pk, now)
    assert outbox.deliver_due(channel="sms") == 0
    assert not DBTaskResult.objects.exists()
    later = now + dt.timedelta(seconds=settings.ASPIRE_MESSAGE_CLAIM_SECONDS + 1)
    assert outbox.deliver_due(channel="sms", now=later) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_run_queued_before_each_channel_had_its_queue_sends_every_channels_messages():
    from django_tasks_db.models import DBTaskResult

    booking = BookingFactory(email="a@example.com")
    for channel, recipient in (("sms", booking.phone.as_e164), ("email", booking.email)):
        outbox.queue(booking=booking, audience="patient", channel=channel, recipient=recipient, kind="reminder",
                     params={})  # fmt: skip
    assert outbox.deliver_messages.call() == 2  # as the default queue's worker runs it, with no channel
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_channels_worker_sends_a_message_committed_while_it_waits():
    """The outbox's row is the wake-up: the worker (outbox.poll, a thread of `manage.py run_worker`) finds
    a message committed after it started, within its interval, and no task row is written for it."""
    import threading
    import time

    from django_tasks_db.models import DBTaskResult

    running = threading.Event()
    running.set()

    def work():
        try:
            outbox.poll(channel="sms", interval=0.05, running=running.is_set, pause=time.sleep)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        time.sleep(0.2)  # it has looked, found nothing, and waits
        booking = BookingFactory()
        with transaction.atomic():
            outbox.queue(booking=booking, audience="patient", channel="sms", recipient=booking.phone.as_e164,
                         kind="reminder", params={})  # fmt: skip
        deadline = time.monotonic() + 10
        while not LocmemBackend.outbox and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        running.clear()
        worker.join(timeout=10)
    assert [m["to"] for m in LocmemBackend.outbox] == [booking.phone.as_e164]
    assert not DBTaskResult.objects.exists()
