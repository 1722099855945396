"""
`make run`'s server (scripts/run-dev.sh) on the port the environment gives, with the message worker
and the reminder job beside it: tomorrow's booking gets its reminder, delivered, while it runs, and
Ctrl-C stops all of it. The demo's printed logins follow the address.
"""

import datetime as dt
import io
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Booking, Message
from bookings.timeutils import at, local_today
from tests.factories import BookingFactory, SlotFactory
from tests.production import production_env

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(condition, timeout: float, what: str):
    """Poll `condition` until it is true (its value returned) or `timeout` seconds pass (a failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_make_runs_server_takes_its_port_from_the_environment_and_sends_reminders_beside_it(tmp_path):
    tomorrow = local_today() + dt.timedelta(days=1)
    booking = BookingFactory(slot=SlotFactory(starts_at=at(tomorrow, dt.time(11))))
    Booking.objects.update(created_at=timezone.now() - dt.timedelta(days=3))  # booked well ahead: it is reminded
    port = free_port()
    env = production_env(
        DJANGO_DEBUG="1",  # as `make run` sets
        PORT=str(port),
        REMINDER_SECONDS="1",
        ASPIRE_MESSAGE_HOURS_START="0",  # whatever the hour the test runs at
        ASPIRE_MESSAGE_HOURS_END="24",
    )
    log = (tmp_path / "run-dev.log").open("w")
    server = subprocess.Popen(
        ["bash", "scripts/run-dev.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, f"the site on port {port}")
        until(
            lambda: (
                Message.objects.filter(booking=booking, kind="reminder")
                .filter(status__in=["sent", "delivered", "read"])
                .first()
            ),
            60,
            "tomorrow's reminder queued by the reminder job and delivered by the worker",
        )
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        try:
            server.wait(timeout=30)
        finally:
            log.close()
    until(lambda: group_gone(server.pid), 30, "the worker and the reminder job stopped with the server")


def test_the_demos_printed_logins_are_at_the_sites_address(settings, db):
    settings.DEBUG = True
    settings.ASPIRE_SITE_URL = "http://127.0.0.1:8123"  # what `make run PORT=8123` gives
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8123/admin/  username reception" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_the_reminder_job_says_nothing_at_verbosity_0_when_nothing_was_due(db):
    out = io.StringIO()
    call_command("send_reminders", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    call_command("send_reminders", stdout=out)
    assert out.getvalue().startswith("Queued 0 reminders")
