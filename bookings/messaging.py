"""
Text messages (SMS or WhatsApp) to patients, through a pluggable backend in
the style of Django's email backends. Most patients give a phone, not an email.
"""

import json
import logging
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class BaseBackend:
    def send(self, *, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Print messages (development)."""

    def send(self, *, to, body):
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n---\n")
        sys.stdout.flush()


class FileBackend(BaseBackend):
    """Append each message as a JSON line to ASPIRE_SMS_FILE_PATH (tests, staging)."""

    _lock = threading.Lock()

    def send(self, *, to, body):
        path = Path(settings.ASPIRE_SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "body": body, "at": timezone.now().isoformat()}, ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


class LocmemBackend(BaseBackend):
    """Keep messages in `outbox` (unit tests)."""

    outbox: list[dict] = []

    def send(self, *, to, body):
        LocmemBackend.outbox.append({"to": to, "body": body})


def send_text(*, to: str, body: str) -> bool:
    """Send a text message; log and return False on failure, never raise."""
    try:
        import_string(settings.ASPIRE_SMS_BACKEND)().send(to=to, body=body)
    except Exception:
        logger.exception("Text message to a patient could not be sent")
        return False
    return True
