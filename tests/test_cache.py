"""aspire.cache.DatabaseCache: Django's database cache with a write in one statement."""

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from aspire import cache as aspire_cache

TABLE = "aspire_test_cache"


@pytest.fixture
def db_cache(transactional_db):
    """A cache table of its own, outside any transaction (where the one-statement write applies)."""
    settings = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "db": {"BACKEND": "aspire.cache.DatabaseCache", "LOCATION": TABLE, "OPTIONS": {"MAX_ENTRIES": 10}},
    }
    with override_settings(CACHES=settings):
        call_command("createcachetable", database="default", verbosity=0)
        try:
            yield caches["db"]
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {TABLE}")


def rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


def test_set_is_one_statement_and_reads_back(db_cache):
    db_cache.set("warm", 1)  # the first set of a process counts the rows
    with CaptureQueriesContext(connection) as queries:
        db_cache.set("k", {"a": [1, "ü"]}, timeout=None)
        db_cache.set("k", "again", timeout=60)
    assert len(queries) == 2
    assert db_cache.get("k") == "again"
    assert db_cache.get_many(["k", "warm", "missing"]) == {"k": "again", "warm": 1}


def test_an_expired_value_is_not_returned(db_cache):
    db_cache.set("gone", "x", timeout=-1)
    db_cache.set("kept", "y", timeout=None)
    assert db_cache.get("gone") is None and db_cache.get("kept") == "y"


def test_the_table_is_culled_as_djangos_is(db_cache, monkeypatch):
    monkeypatch.setattr(aspire_cache, "CULL_EVERY", 1)
    for i in range(40):
        db_cache.set(f"key-{i}", i)
    assert rows() <= 11  # MAX_ENTRIES, plus the one just written
    assert db_cache.get("key-39") == 39


def test_inside_a_transaction_it_is_djangos_set(db_cache):
    with transaction.atomic():
        db_cache.set("k", "in a transaction")
        db_cache.set("k", "twice")
    assert db_cache.get("k") == "twice"
    assert db_cache.add("k", "not added") is False


def test_a_site_whose_cache_table_is_missing_serves_its_pages_and_says_why_once(transactional_db, client, caplog):
    """With debug off and no cache table every page was a 503, with only "OperationalError" in the log."""
    missing = {"default": {"BACKEND": "aspire.cache.DatabaseCache", "LOCATION": "aspire_no_such_cache"}}
    with override_settings(CACHES=missing), caplog.at_level("WARNING"):
        assert [client.get(path).status_code for path in ("/faq/", "/clinics/", "/faq/")] == [200, 200, 200]
    lines = [r.getMessage() for r in caplog.records if "aspire_no_such_cache" in r.getMessage()]
    assert lines == [
        "The cache table 'aspire_no_such_cache' is missing from database 'default': pages are served "
        "uncached until `manage.py createcachetable` (or `manage.py migrate`) makes it."
    ]
    assert not [r for r in caplog.records if r.getMessage().startswith("Database unavailable")]


def test_a_database_that_is_away_is_not_taken_for_a_missing_table(db_cache, monkeypatch):
    """Only a missing table is served around: the database going away still fails (the middleware's 503)."""
    from django.db import OperationalError

    def away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch, pytest.raises(OperationalError):
        patch.setattr(connection, "cursor", away)
        db_cache.get("k")
