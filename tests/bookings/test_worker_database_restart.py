"""
The worker outlasts the database: PostgreSQL stops under `manage.py run_worker` in the
middle of a run of text messages and starts again; the worker waits for it, carries on
by itself, and sends every message exactly once (the code waits for as long as it takes
between runs, and up to ten minutes inside one: the test's outage is a few seconds).
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from bookings.messaging import outbox
from bookings.models import Message
from tests.conftest import missing
from tests.factories import BookingFactory, PatientFactory
from tests.production import production_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
WORKER = ("run_worker", "--no-startup-delay", "--interval", "0.1")  # as `make worker` runs it
OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "6"))  # 60 passes too, but takes a minute more
BEFORE, AFTER = 20, 10


def queue_texts(first: int, count: int) -> None:
    for i in range(first, first + count):
        booking = BookingFactory(patient=PatientFactory(phone=f"+92304{5550000 + i}"))
        outbox.queue(
            booking=booking, audience="patient", channel="sms", recipient=booking.phone.as_e164, kind="reminder",
            params={},
        )  # fmt: skip


def wait_for(condition, worker, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, f"the worker exited ({worker.returncode}) {what}:\n{worker.stdout.read()}"
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}})
def test_the_worker_outlasts_a_database_restart_and_sends_each_message_once(tmp_path):
    pg_ctl = os.environ.get("ASPIRE_PG_CTL")  # e.g. "pg_ctlcluster 15 regress", set by scripts/test.sh
    if not pg_ctl:
        missing("ASPIRE_PG_CTL (a command to stop and start the test PostgreSQL)")
    sent_file = tmp_path / "sms.jsonl"
    env = production_env(
        ASPIRE_SMS_CHANNEL="tests.stalling_sms.SlowFileBackend",
        ASPIRE_SMS_FILE_PATH=str(sent_file),
        SEND_SECONDS="0.2",  # 20 messages take 4 s: the database goes away in the middle
    )

    def sent_lines() -> list[str]:
        return sent_file.read_text().splitlines() if sent_file.exists() else []

    queue_texts(0, BEFORE)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", *WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: len(sent_lines()) >= 3, worker, "the worker never started sending")
        quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "timeout": 60}
        subprocess.run([*shlex.split(pg_ctl), "stop", "-m", "fast"], **quiet)
        try:
            sent_when_it_stopped = len(sent_lines())
            time.sleep(OUTAGE_SECONDS)
            exited = worker.poll()
        finally:
            # No pipes for the server: it would hold them open, and run() would wait for it.
            subprocess.run([*shlex.split(pg_ctl), "start"], **quiet)
            connection.close()  # this process's own connection died with the server
        assert exited is None, f"the worker exited while the database was away:\n{worker.stdout.read()}"

        queue_texts(BEFORE, AFTER)  # and new messages go as before
        wait_for(
            lambda: not Message.objects.filter(status="queued").exists(), worker, "messages are still queued"
        )  # fmt: skip
        assert worker.poll() is None
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)

    recipients = Counter(json.loads(line)["to"] for line in sent_lines())
    waits = [line for line in output.splitlines() if "can't be reached" in line]
    print(f"{sent_when_it_stopped} sent when the database stopped for {OUTAGE_SECONDS} s; {len(recipients)} in all")
    print("\n".join(waits))
    assert sent_when_it_stopped < BEFORE, "the database stopped after the run: the test proved nothing"
    assert waits, output
    assert len(recipients) == BEFORE + AFTER and set(recipients.values()) == {1}, recipients  # none lost, none twice
    assert Message.objects.filter(status="sent").count() == BEFORE + AFTER
    assert worker.returncode == 0, output  # stopped by the signal, as systemd stops it
