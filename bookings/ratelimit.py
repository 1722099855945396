"""
A fixed-window rate limit, counted in the database: one atomic statement per hit,
the same for every app server, with no second system to run (see RateLimitCounter).
"""

import datetime as dt
import hashlib
import time

from django.db import connection
from django.utils import timezone

from bookings.models import RateLimitCounter

# The last window (per window length) in which this process forgot the windows that are
# over: once is enough, not once per new key.
_purged: dict[int, int] = {}


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key` in the current window; return True while it is within `limit`."""
    window = int(time.time() // window_seconds)
    bucket = f"{key}:{window}"
    if len(bucket) > RateLimitCounter._meta.get_field("key").max_length:
        bucket = f"sha256:{hashlib.sha256(bucket.encode()).hexdigest()}:{window}"
    expires_at = dt.datetime.fromtimestamp((window + 1) * window_seconds, tz=dt.UTC)
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) both count with one upsert and say the new count.
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(expires_at)],
        )
        count = cursor.fetchone()[0]
        if count == 1 and _purged.get(window_seconds) != window:  # a new window: forget those that are over
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(f"DELETE FROM {table} WHERE expires_at < %s", [now])  # noqa: S608
            _purged[window_seconds] = window
    return count <= limit
