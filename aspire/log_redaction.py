"""Keep patients' phone numbers, email addresses and booking links out of the logs.

Logs are read by more people (hosting, support) and kept longer than bookings,
and an exception's text can carry what the failing call was given: an SMTP
refusal names the address, an SMS gateway's error the number. Every log line
goes through this formatter, traceback included.
"""

import logging
import re

_PATTERNS = [
    # Email addresses.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # Pakistani mobile numbers in the usual spellings (0309-5885076, +92 309 5885076,
    # 923095885076) and any international number written with a +.
    (re.compile(r"(?<![\w+])(?:\+?92|0)[\s-]?3\d{2}[\s-]?\d{7}(?!\d)"), "[phone]"),
    (re.compile(r"\+\d[\d\s-]{8,16}\d"), "[phone]"),
    # A booking's manage link is the key to cancel it.
    (re.compile(r"(?<!bookings)/booking/[^/\s\"']+"), "/booking/[token]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
