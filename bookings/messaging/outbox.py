"""
The outbox: every message to a patient or to reception is a row (bookings.models.Message)
written in the same transaction as the change it reports, and a worker delivers it.

A request only writes rows; `deliver_messages` (a django-tasks task, run by
`manage.py run_worker`) renders and sends them, so a slow or dead gateway never slows
or breaks a booking. Each message is claimed with one conditional UPDATE, sent outside
any transaction (a database lock is never held while a gateway thinks), and its outcome
recorded with another. A worker killed while sending lets go of its claim after
ASPIRE_MESSAGE_CLAIM_SECONDS and the next run sends the message then: a duplicate is possible only in
the instant between the provider's acceptance and the outcome's commit.

Retries, with backoff, are for failures that may pass (a network error, a timeout, a
5xx, a rate limit); a refusal that won't change (an address that doesn't exist) is
final at once and shows as failed.

Each channel has its own worker (`manage.py run_worker` runs one thread per channel:
whatsapp, sms, email), so a mail server that never answers holds back the emails only.
The outbox's rows are the wake-up: each channel's worker looks for due messages in them
every `--interval` (1 s), as django-tasks-db's worker looks for tasks, so a booking writes
no task row of its own (one statement and one row fewer per message: issue 25). Where the
tasks run at once in the process that enqueues them (the test settings), a delivery run is
still enqueued once the transaction commits. A run that loses the database waits for it (for
up to DATABASE_PATIENCE) and carries on where it was: an outcome is never lost to an outage,
so a message that was sent is not sent again.
"""

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.db.models import F, Min
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from bookings.messaging.sending import ANSWERS, NotOnWhatsApp, PermanentFailure, send
from bookings.models import Booking, Message, MessageChannel, MessageStatus

logger = logging.getLogger(__name__)


# After the first try fails: 30 s, 2 min, 10 min, 30 min, 2 h; then it has failed.
BACKOFF = [dt.timedelta(seconds=s) for s in (30, 120, 600, 1800, 7200)]


MAX_ATTEMPTS = len(BACKOFF) + 1


def queue(
    *,
    booking: Booking,
    audience: str,
    channel: str,
    recipient: str,
    kind: str,
    params: dict,
    fallback_for: Message | None = None,
) -> Message:
    """Write one message into the outbox; the worker is woken once the transaction commits."""
    message = Message.objects.create(
        booking=booking,
        fallback_for=fallback_for,
        audience=audience,
        channel=channel,
        recipient=recipient,
        kind=kind,
        language=params.get("language", "en"),
        params=params,
        next_attempt_at=timezone.now(),
    )
    wake_worker(channel=channel)
    return message


def worker_polls() -> bool:
    """
    Whether the channels' workers find their due messages in the outbox themselves (`manage.py
    run_worker` with the tasks in the database, as in production and `make run`): then nothing
    is enqueued to wake them.
    """
    return isinstance(deliver_messages.get_backend(), DatabaseBackend)


def wake_worker(*, channel: str | None = None, at: dt.datetime | None = None) -> None:
    """
    Where no worker polls the outbox (worker_polls), enqueue a delivery run on the channel's
    queue (every channel's, without one) once the current transaction commits, at `at` if
    given; once per channel and transaction: one run sends every message of its channel that
    the transaction wrote.
    """
    if worker_polls():
        return  # the message's row is the wake-up: its channel's worker finds it within --interval
    if at is not None and not deliver_messages.get_backend().supports_defer:
        return  # a backend that runs tasks at once can't wait: the next run sends it
    pending = transaction.get_connection().run_on_commit
    for name in [channel] if channel else MessageChannel.values:
        if not any(_wakes(callback, name, at) for _, callback, _ in pending):
            transaction.on_commit(functools.partial(_enqueue, name, at))


def _wakes(callback, channel: str, at: dt.datetime | None) -> bool:
    """Whether an on-commit callback is already this channel's wake-up (at the same time)."""
    return isinstance(callback, functools.partial) and callback.func is _enqueue and callback.args == (channel, at)


def _enqueue(channel: str, at: dt.datetime | None) -> None:
    deliver_messages.using(queue_name=channel, run_after=at).enqueue(channel)


@task()
def deliver_messages(channel: str = "") -> int:
    """
    Deliver every due message of the channel (the task wake_worker enqueues where no worker polls,
    and a run left in a queue from before the workers polled); return how many were sent. Without
    a channel (a run queued before each channel had its queue), every channel's.
    """
    if not channel:
        return sum(_patiently(deliver_due, channel=name) for name in MessageChannel.values)
    return _patiently(deliver_due, channel=channel)


def poll(*, channel: str, interval: float, running: Callable[[], bool], pause: Callable[[float], object]) -> None:
    """
    Be the channel's worker (`manage.py run_worker` runs one thread per channel) while `running()`:
    send its due messages, then `pause(interval)` and look again. A message a change has just
    committed, a retry whose time has come and a dead worker's claim that has run out are all
    found by the same query on the outbox (Message.objects.due, on the index of status and next
    attempt). A database that went away is waited for (1 s, doubling to 10 s), for as long as it
    takes: a message being sent when it went keeps its outcome (_record waits too).
    """
    wait = 1.0
    while running():
        close_old_connections()  # as django-tasks-db's worker does between runs: CONN_MAX_AGE and health checks
        try:
            deliver_due(channel=channel)
        except (OperationalError, InterfaceError) as exc:
            logger.warning("The database can't be reached (%s); trying again in %.0f s", type(exc).__name__, wait)
            connections.close_all()  # this thread's: the next query connects afresh
            pause(wait)
            wait = min(wait * 2, 10.0)
            continue
        wait = 1.0
        pause(interval)


# How long a run waits for a database that went away before it gives up (and fails).
DATABASE_PATIENCE = dt.timedelta(minutes=10)


def _patiently(work, **kwargs):
    """
    Do `work`; while the database can't be reached, wait (1 s, doubling to 10 s) and do it again,
    for up to DATABASE_PATIENCE. The work must be safe to do again (each step here is).
    """
    give_up = time.monotonic() + DATABASE_PATIENCE.total_seconds()
    pause = 1.0
    while True:
        try:
            return work(**kwargs)
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() + pause > give_up:
                raise
            logger.warning("The database can't be reached (%s); trying again in %.0f s", type(exc).__name__, pause)
            connections.close_all()  # this thread's: the next query connects afresh
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


def deliver_due(*, channel: str | None = None, now: dt.datetime | None = None) -> int:
    """
    Send each due message (of the channel, or of all) once; schedule the next run for the
    earliest retry, or for when a dead worker's claim runs out. Return how many were sent.
    """
    sent = 0
    messages = Message.objects.filter(channel=channel) if channel else Message.objects.all()
    while True:
        now_ = now or timezone.now()
        ids = list(messages.due(now_).order_by("next_attempt_at").values_list("pk", flat=True)[:50])
        if not ids:
            break
        for message_id in ids:
            sent += _deliver_one(message_id, now=now_)
        if now is not None:
            break  # a test's fixed clock: one pass
    if worker_polls():
        return sent  # the channel's worker looks again in a moment: no run to schedule
    free_at = Greatest("next_attempt_at", Coalesce("claimed_until", F("next_attempt_at")))
    waiting = messages.filter(status=MessageStatus.QUEUED)
    later = waiting.aggregate(first=Min(free_at))["first"]
    if later is not None and later > (now or timezone.now()):
        wake_worker(channel=channel, at=later)
    return sent


def _claim(message_id: int, now: dt.datetime) -> bool:
    """Take the message for this worker for a while: one UPDATE, so two workers can't both take it."""
    claimed = Message.objects.due(now).filter(pk=message_id)
    return bool(claimed.update(claimed_until=now + dt.timedelta(seconds=settings.ASPIRE_MESSAGE_CLAIM_SECONDS)))


def _deliver_one(message_id: int, *, now: dt.datetime) -> int:
    if not _claim(message_id, now):
        return 0  # another worker has it, or it is done
    message = Message.objects.select_related(
        "booking__slot__clinic", "booking__slot__physiotherapist", "booking__session_type"
    ).get(pk=message_id)
    attempts = message.attempts + 1
    try:
        provider_id = send(message)
    except PermanentFailure as exc:
        _record(message, attempts=attempts, status=MessageStatus.FAILED, failed_at=now, last_error=str(exc)[:500])
        logger.warning("Message %s failed for good: %s", message.pk, exc)
        if isinstance(exc, NotOnWhatsApp):
            with transaction.atomic():
                fall_back_to_text(message)
        return 0
    except Exception as exc:  # noqa: BLE001 - any other failure may pass: retry, then give up
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempts >= MAX_ATTEMPTS:
            _record(message, attempts=attempts, status=MessageStatus.FAILED, failed_at=now, last_error=error)
            logger.warning("Message %s failed after %s attempts: %s", message.pk, attempts, error)
        else:
            _record(message, attempts=attempts, next_attempt_at=now + BACKOFF[attempts - 1], last_error=error)
            logger.info("Message %s will be tried again: %s", message.pk, error)
        return 0
    _record(message, attempts=attempts, status=MessageStatus.SENT, sent_at=now, provider_message_id=provider_id or "")
    return 1


def _record(message: Message, **fields) -> None:
    """Write the outcome, waiting out an outage: a sent message left unrecorded would be sent again."""
    _patiently(Message.objects.filter(pk=message.pk).update, claimed_until=None, **fields)


def fall_back_to_text(message: Message) -> Message | None:
    """Queue the one text message that stands in for a WhatsApp message the number can't receive."""
    if message.channel != MessageChannel.WHATSAPP or message.kind in ANSWERS:
        return None
    try:
        with transaction.atomic():
            return queue(
                booking=message.booking, audience=message.audience, channel=MessageChannel.SMS,
                recipient=message.recipient, kind=message.kind, params=message.params, fallback_for=message,
            )  # fmt: skip
    except IntegrityError:
        return None  # already queued: one fallback per message, however often the failure is reported
