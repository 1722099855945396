"""
Each channel has its own queue and its own worker thread (`manage.py run_worker`, what
`make worker` and `make run` start): a mail server that accepts and never answers holds
back the emails only, while WhatsApp (its Graph API failing for some numbers) and text
messages go at once.
"""

import datetime as dt
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from bookings.messaging import events
from bookings.models import Message
from tests.factories import BookingFactory, PatientFactory, SlotFactory
from tests.production import production_env
from tests.standin import SERVER_ERROR

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
# What `make worker` runs (the Makefile and scripts/run-dev.sh say the same).
WORKER = ["run_worker", "--no-startup-delay", "--interval", "0.1"]
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "whatsapp", "sms", "email"]}
}


class SilentSMTP:
    """A mail server that accepts connections and never says a word (no greeting, no answer)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)  # held open, never written to

    def close(self):
        for conn in self.connections:
            conn.close()
        self.sock.close()


@override_settings(TASKS=DATABASE_TASKS)
def test_a_silent_mail_server_holds_back_no_whatsapp_or_text_message(settings, providers, tmp_path):
    settings.ASPIRE_SMS_CHANNEL = "bookings.messaging.local_channels.LocmemBackend"
    smtp = SilentSMTP()
    tomorrow = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(9)))
    # 12 on WhatsApp, the first 3 with an email too (queued between their WhatsApp messages, as a
    # booking writes them), then 6 who asked for text messages.
    for i in range(18):
        patient = PatientFactory(
            phone=f"+92303{5550000 + i}", contact__contact_channel="sms" if i >= 12 else "whatsapp"
        )
        booking = BookingFactory(
            slot=SlotFactory(starts_at=tomorrow + dt.timedelta(minutes=30 * i)),
            patient=patient,
            source="phone",  # no email to reception: only the patient's messages
            email=f"patient{i}@example.com" if i < 3 else "",
        )
        events.booking_confirmed(booking=booking)
        if i % 3 == 2 and i < 12:
            providers.fail(patient.contact.phone.as_e164, SERVER_ERROR)  # Graph answers 500 for 4 of them
    whatsapp = Message.objects.filter(channel="whatsapp")
    emails = Message.objects.filter(channel="email")
    texts = Message.objects.filter(channel="sms")
    assert (whatsapp.count(), emails.count(), texts.count()) == (12, 3, 6)

    env = production_env(
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        ASPIRE_WHATSAPP_API_URL=providers.graph_url,
        ASPIRE_WHATSAPP_TOKEN="wa-token",
        ASPIRE_WHATSAPP_PHONE_NUMBER_ID="106540352242922",
        ASPIRE_SMS_CHANNEL="bookings.messaging.local_channels.FileBackend",
        ASPIRE_SMS_FILE_PATH=str(tmp_path / "sms.jsonl"),
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", *WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        start = time.monotonic()
        deadline = start + 90  # generous: the assertion below is about order, not speed
        while whatsapp.filter(attempts=0).exists() or texts.filter(attempts=0).exists():
            assert worker.poll() is None, worker.stdout.read().decode()
            assert time.monotonic() < deadline, "WhatsApp and text messages still untried"
            time.sleep(0.1)
        waited = time.monotonic() - start
        emails_tried = emails.filter(attempts__gt=0).count()
        print(f"WhatsApp and SMS all tried {waited:.1f} s after the worker started; {emails_tried} of 3 emails tried")
        assert whatsapp.filter(status="sent").count() == 8
        assert whatsapp.filter(status="queued", attempts=1).count() == 4  # Graph's 500: tried again later
        assert texts.filter(status="sent").count() == 6
        # ...while the mail server still holds the emails (10 s each): one worker sending every channel in
        # turn had tried all 3 first, as they were queued among the WhatsApp messages.
        assert emails_tried < 3, "the emails went first and held back the other channels"
    finally:
        worker.kill()
        worker.wait(timeout=30)
        smtp.close()
