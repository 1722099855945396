"""
Text-message channels for tests and staging, beside the real ones in bookings.messaging.channels
(Twilio, an HTTP gateway, the console). ASPIRE_SMS_CHANNEL may name one of these by its
class path; each has the channels' `send(*, to_e164, body) -> id`.
"""

import json
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class FileBackend:
    """Append each message as a JSON line to ASPIRE_SMS_FILE_PATH (tests, staging)."""

    _lock = threading.Lock()

    def send(self, *, to_e164: str, body: str) -> str:
        path = Path(settings.ASPIRE_SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to_e164, "body": body, "at": timezone.now().isoformat()}, ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        return f"file-{uuid.uuid4().hex}"


class LocmemBackend:
    """Keep messages in `outbox` (unit tests)."""

    outbox: list[dict] = []

    def send(self, *, to_e164: str, body: str) -> str:
        LocmemBackend.outbox.append({"to": to_e164, "body": body})
        return f"locmem-{len(LocmemBackend.outbox)}"
