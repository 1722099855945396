"""
Django's database cache, with `set` written as one statement.

Django's own DatabaseCache.set costs five: it counts the table's rows (to cull),
then, in a transaction of its own, reads the key and updates or inserts it. The
page cache (aspire/page_cache.py) sets a key on every booking (the availability
generation) and on every page it makes, so here `set` is a single upsert
(`INSERT … ON CONFLICT DO UPDATE`, PostgreSQL and SQLite 3.24+), and the rows are
counted, and the table culled as Django does, on one set in CULL_EVERY per process.
The table may then hold up to CULL_EVERY rows past MAX_ENTRIES per app process
between two counts: harmless. Inside a transaction, and on other databases, `set`
is Django's own.

A database without the cache table (`manage.py createcachetable` or `migrate` not run
with these settings) does not take the site down: outside a transaction the cache
misses, every page is made afresh, and the log says why, once per process. Any other
database error (the database away) is raised as it was: the 503 of aspire.middleware.
"""

import base64
import datetime as dt
import functools
import itertools
import logging
import pickle

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router
from django.utils import timezone

CULL_EVERY = 50

logger = logging.getLogger("aspire.cache")

# The tables this process has said are missing: one line each, not one a request.
_told_missing: set[tuple[str, str]] = set()


def _missing_table_misses(fallback):
    """Answer `fallback` (a miss, nothing stored) instead of failing while the cache table is missing."""

    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except DatabaseError:
                if not self._table_is_missing():
                    raise
                return fallback

        return guarded

    return decorate


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table, params):
        super().__init__(table, params)
        self._sets = itertools.count()

    def _table_is_missing(self) -> bool:
        db = router.db_for_read(self.cache_model_class)
        connection = connections[db]
        if connection.in_atomic_block:
            # PostgreSQL has aborted the transaction: the caller's work is lost either way.
            return False
        try:
            missing = self._table not in connection.introspection.table_names()
        except DatabaseError:
            return False  # the database itself is away
        if missing and (db, self._table) not in _told_missing:
            _told_missing.add((db, self._table))
            logger.error(
                "The cache table %r is missing from database %r: pages are served uncached until "
                "`manage.py createcachetable` (or `manage.py migrate`) makes it.",
                self._table,
                db,
            )
        return missing

    get_many = _missing_table_misses({})(DjangoDatabaseCache.get_many)
    add = _missing_table_misses(False)(DjangoDatabaseCache.add)
    touch = _missing_table_misses(False)(DjangoDatabaseCache.touch)
    has_key = _missing_table_misses(False)(DjangoDatabaseCache.has_key)
    clear = _missing_table_misses(None)(DjangoDatabaseCache.clear)
    _base_delete_many = _missing_table_misses(False)(DjangoDatabaseCache._base_delete_many)

    @_missing_table_misses(None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in ("postgresql", "sqlite") or connection.in_atomic_block:
            return super().set(key, value, timeout, version)
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        expires = dt.datetime.max if timeout is None else dt.datetime.fromtimestamp(timeout, tz=dt.UTC)
        value = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            if next(self._sets) % CULL_EVERY == 0:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - the table name is ours
                rows = cursor.fetchone()[0]
                if rows > self._max_entries:
                    self._cull(db, cursor, timezone.now().replace(microsecond=0), rows)
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
                "ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                [key, value, connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))],
            )
