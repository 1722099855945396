"""Text-message backends for the worker's tests. The killed-run test's writes messages to the
file backend's file, and before the Nth it leaves a marker file and stalls, so the test can
kill the process in the middle of a send, at a known point; the database-restart test's takes
a while over each, so that the database goes away in the middle of a run."""

import os
import time
from pathlib import Path

from bookings.messaging.local_channels import FileBackend


class StallingFileBackend(FileBackend):
    def send(self, *, to_e164, body):
        path = Path(os.environ["ASPIRE_SMS_FILE_PATH"])
        stall_at = int(os.environ.get("STALL_AT_MESSAGE", "0"))
        written = len(path.read_text().splitlines()) if path.exists() else 0
        if stall_at and written + 1 == stall_at:
            Path(str(path) + ".stalled").touch()
            time.sleep(120)  # killed here
        return super().send(to_e164=to_e164, body=body)


class SlowFileBackend(FileBackend):
    """The file backend, taking SEND_SECONDS over each message (a gateway's round trip)."""

    def send(self, *, to_e164, body):
        time.sleep(float(os.environ.get("SEND_SECONDS", "0.2")))
        return super().send(to_e164=to_e164, body=body)
