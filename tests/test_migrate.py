"""`manage.py migrate` alone gives a working site: it also makes what the cache backend needs."""

import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.production import production_env

ROOT = Path(__file__).resolve().parent.parent

CACHE_WORKS = """
from django.core.cache import cache

cache.set("page", "a cached page")
assert cache.get("page") == "a cached page"
"""


def superuser_connection():
    db = settings.DATABASES["default"]
    connection = psycopg.connect(
        host=db["HOST"] or "localhost", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or "",
        dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    return connection


@pytest.fixture
def fresh_sqlite(tmp_path):
    return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


@pytest.fixture
def fresh_postgres():
    db = settings.DATABASES["default"]
    name = f"aspire_fresh_{secrets.token_hex(4)}"
    admin = superuser_connection()
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        password = db["PASSWORD"] or ""
        yield f"postgres://{db['USER']}:{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.mark.parametrize("database", ["fresh_sqlite", pytest.param("fresh_postgres", marks=pytest.mark.postgres)])
def test_migrate_alone_gives_a_working_database_cache(database, request):
    """Every page view failed with `relation "aspire_cache" does not exist` until `createcachetable` was run."""
    env = production_env(DATABASE_URL=request.getfixturevalue(database))
    for args in (["migrate", "--noinput"], ["shell", "-c", CACHE_WORKS]):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_migrating_with_debug_on_then_serving_without_it_works(fresh_sqlite):
    """`make run` migrates with debug (a memory cache, no table); the same database served with debug off
    answered 503 to every page (`no such table: aspire_cache`)."""
    env = production_env(DATABASE_URL=fresh_sqlite)
    for args, extra in ((["migrate", "--noinput"], {"DJANGO_DEBUG": "1"}), (["shell", "-c", CACHE_WORKS], {})):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_migrate_makes_the_cache_table_when_the_settings_turn_to_a_database_cache():
    """The settings can change after the migrations ran (debug off, REDIS_URL dropped): the next migrate follows."""
    table = "aspire_test_migrate_cache"
    caches = {"default": {"BACKEND": "aspire.cache.DatabaseCache", "LOCATION": table}}
    assert table not in connection.introspection.table_names()
    with override_settings(CACHES=caches):
        call_command("migrate", verbosity=0)
        assert table in connection.introspection.table_names()
        call_command("migrate", verbosity=0)  # and again: already there, nothing to do
