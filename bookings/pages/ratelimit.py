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
    return hit_all({key: limit}, window_seconds=window_seconds)


def hit_all(limits: dict[str, int], *, window_seconds: int) -> bool:
    """
    Count one hit for each key in the current window, in one statement; return True while
    every key is within its limit. A booking counts its address and its phone number
    together: one round trip and one commit fewer than two hits.
    """
    window = int(time.time() // window_seconds)
    max_length = RateLimitCounter._meta.get_field("key").max_length
    expires_at = connection.ops.adapt_datetimefield_value(
        dt.datetime.fromtimestamp((window + 1) * window_seconds, tz=dt.UTC)
    )
    buckets = {}
    for key, limit in limits.items():
        bucket = f"{key}:{window}"
        if len(bucket) > max_length:
            bucket = f"sha256:{hashlib.sha256(bucket.encode()).hexdigest()}:{window}"
        buckets[bucket] = limit
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    values = ", ".join(["(%s, 1, %s)"] * len(buckets))
    params = [value for bucket in buckets for value in (bucket, expires_at)]
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) both count with one upsert and say the new counts.
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES {values} "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING key, count",
            params,
        )
        counts = dict(cursor.fetchall())
        if 1 in counts.values() and _purged.get(window_seconds) != window:  # a new window: forget those over
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(f"DELETE FROM {table} WHERE expires_at < %s", [now])  # noqa: S608
            _purged[window_seconds] = window
    return all(counts[bucket] <= limit for bucket, limit in buckets.items())
