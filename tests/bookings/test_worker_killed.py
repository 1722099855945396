"""
The outbox with its real worker: `send_reminders` queues, `manage.py run_worker` (the
django-tasks-db worker, a thread for each queue, production settings) delivers. A worker killed in the middle
of a batch loses nothing, and the next one sends each message exactly once.
"""

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from bookings.models import Booking, Message
from tests.factories import BookingFactory, PatientFactory, SlotFactory
from tests.production import production_env

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 24
WORKER = ("run_worker", "--no-startup-delay", "--interval", "0.1")  # as `make worker` runs it


def manage(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def finish(process, timeout=120) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def test_a_killed_worker_and_the_next_one_send_each_message_exactly_once(tmp_path):
    tomorrow = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(9)))
    for i in range(BOOKINGS):
        BookingFactory(
            slot=SlotFactory(starts_at=tomorrow + dt.timedelta(minutes=30 * i)),
            patient=PatientFactory(phone=f"+92302{5550000 + i}"),
        )
    Booking.objects.update(created_at=timezone.now() - dt.timedelta(days=3))  # booked well ahead
    outbox = tmp_path / "sms.jsonl"
    env = production_env(
        ASPIRE_MESSAGE_HOURS_START="0",  # whatever the hour the test runs at
        ASPIRE_MESSAGE_HOURS_END="24",
        ASPIRE_MESSAGE_CLAIM_SECONDS="2",  # a dead worker's message is free again after 2 s
        ASPIRE_SMS_CHANNEL="tests.stalling_sms.StallingFileBackend",
        ASPIRE_SMS_FILE_PATH=str(outbox),
        STALL_AT_MESSAGE=str(BOOKINGS // 2),
    )

    # The request side (here the cron job) only writes rows: nothing is sent yet.
    assert f"Queued {BOOKINGS} reminders" in finish(manage(env, "send_reminders"))
    assert Message.objects.filter(status="queued").count() == BOOKINGS and not outbox.exists()

    worker = manage(env, *WORKER)
    marker = Path(str(outbox) + ".stalled")
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert worker.poll() is None, worker.stdout.read()
        assert time.monotonic() < deadline, "the worker never reached the middle"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)  # in the middle of sending message 12
    worker.wait(timeout=30)
    sent_before_kill = len(outbox.read_text().splitlines())
    assert sent_before_kill == BOOKINGS // 2 - 1
    assert Message.objects.filter(status="sent").count() == sent_before_kill

    time.sleep(2.5)  # the dead worker's claim runs out
    env.pop("STALL_AT_MESSAGE")
    finish(manage(env, "send_reminders"))  # queues nothing new, and wakes the worker
    worker = manage(env, *WORKER)
    deadline = time.monotonic() + 60
    while Message.objects.filter(status="queued").exists():
        assert worker.poll() is None, worker.stdout.read()
        assert time.monotonic() < deadline, "the next worker did not send the rest"
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    finish(worker)

    recipients = Counter(json.loads(line)["to"] for line in outbox.read_text().splitlines())
    assert len(recipients) == BOOKINGS and set(recipients.values()) == {1}, recipients
    assert Message.objects.filter(status="sent").count() == BOOKINGS
