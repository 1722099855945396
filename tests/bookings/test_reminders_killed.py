"""`send_reminders` killed half way and run again: every reminder goes exactly once."""

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

from bookings.models import Booking
from tests.factories import BookingFactory, PatientFactory, SlotFactory
from tests.production import production_env

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 24


def send_reminders(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_reminders"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_killed_run_and_its_rerun_send_each_reminder_exactly_once(tmp_path):
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
        ASPIRE_SMS_BACKEND="tests.stalling_sms.StallingFileBackend",
        ASPIRE_SMS_FILE_PATH=str(outbox),
        STALL_AT_MESSAGE=str(BOOKINGS // 2),
    )

    first = send_reminders(env)
    marker = Path(str(outbox) + ".stalled")
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert first.poll() is None, first.stdout.read()
        assert time.monotonic() < deadline, "the first run never reached the middle"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # in the middle of sending message 12
    first.wait(timeout=30)
    sent_before_kill = len(outbox.read_text().splitlines())
    assert sent_before_kill == BOOKINGS // 2 - 1
    assert Booking.objects.filter(reminder_sent_at__isnull=False).count() == sent_before_kill

    env.pop("STALL_AT_MESSAGE")
    rerun = send_reminders(env)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    assert f"Sent {BOOKINGS - sent_before_kill} reminders" in output

    recipients = Counter(json.loads(line)["to"] for line in outbox.read_text().splitlines())
    assert len(recipients) == BOOKINGS and set(recipients.values()) == {1}, recipients
    assert not Booking.objects.filter(reminder_sent_at__isnull=True).exists()
