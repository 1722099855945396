"""A small fixed-window rate limit on the cache (shared between workers when the cache is)."""

import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; return True if it is within `limit` per window."""
    bucket = f"ratelimit:{key}:{int(time.time() // window_seconds)}"
    cache.add(bucket, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(bucket)
    except ValueError:
        cache.set(bucket, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit

