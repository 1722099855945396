"""
The README's backups, done for real on the test's PostgreSQL: scripts/backup.sh and scripts/restore.sh,
run as the README runs them (as the superuser), on a database the app's own role migrated and filled.
"""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.production import production_env

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent

FILL = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from tests.factories import BookingFactory

BookingFactory.create_batch(3)
User.objects.create_user("reception", password="a long enough password", is_staff=True)
session = SessionStore()
session["_auth_user_id"] = "1"
session.create()
cache.set("page", "a cached page")
"""

CACHE_WORKS = """
from django.core.cache import cache
cache.set("after-restore", 42)
assert cache.get("after-restore") == 42
"""


class Cluster:
    """The test's PostgreSQL as its superuser: psql-like queries and the environment for the client programs."""

    def __init__(self):
        db = settings.DATABASES["default"]
        self.host, self.port = db["HOST"] or "localhost", str(db["PORT"] or 5432)
        self.user, self.password = db["USER"], db["PASSWORD"] or ""
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PG")},
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": "postgres",
        }

    def query(self, sql: str, params=(), *, database: str = "postgres") -> list[tuple]:
        # Parameters bound on the client: CREATE ROLE ... PASSWORD takes no server-side parameter.
        connection = psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=database,
            cursor_factory=psycopg.ClientCursor,
        )  # fmt: skip
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True, check=False)

    def row_counts(self, database: str) -> dict[str, int]:
        tables = self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database=database)
        return {t: self.query(f'SELECT COUNT(*) FROM "{t}"', database=database)[0][0] for (t,) in tables}


def as_app(role: str, password: str, database: str, cluster: Cluster, *args: str) -> subprocess.CompletedProcess:
    """Run manage.py with the production settings, connected as the app's role."""
    url = f"postgres://{role}:{password}@{cluster.host}:{cluster.port}/{database}"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Set up as the README does, fill, back up, restore; yield what the tests look at; drop it all."""
    cluster = Cluster()
    role, password = f"aspire_backup_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    live, restored = f"{role}_live", f"{role}_restored"
    backups = tmp_path_factory.mktemp("backups") / "aspire"
    cluster.query(f"CREATE ROLE {role} LOGIN PASSWORD %s", [password])
    try:
        ok(cluster.run("createdb", "--owner", role, live))
        cluster.query("CREATE EXTENSION IF NOT EXISTS btree_gist", database=live)
        ok(as_app(role, password, live, cluster, "migrate", "--noinput"))
        ok(as_app(role, password, live, cluster, "shell", "-c", FILL))
        dump = Path(ok(cluster.run("scripts/backup.sh", live, str(backups))).stdout.strip())
        ok(cluster.run("scripts/restore.sh", str(dump), restored, role))
        yield {
            "cluster": cluster,
            "role": role,
            "password": password,
            "live": live,
            "restored": restored,
            "dump": dump,
            "live_counts": cluster.row_counts(live),
            "restored_counts": cluster.row_counts(restored),
        }
    finally:
        for database in (restored, live):
            cluster.query(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cluster.query(f"DROP ROLE IF EXISTS {role}")


def test_dump_is_readable_by_its_owner_only(round_trip):
    dump = round_trip["dump"]
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
    assert not list(dump.parent.glob("*.partial"))


def test_restore_keeps_every_row_but_sessions(round_trip):
    live, restored = round_trip["live_counts"], round_trip["restored_counts"]
    assert live["django_session"] == 1 and live["bookings_booking"] == 3 and live["auth_user"] == 1
    assert restored["django_session"] == 0
    del live["django_session"], restored["django_session"]
    del live["aspire_cache"]  # not dumped: migrate makes it again (next test)
    assert restored == live


def test_restored_database_and_all_in_it_belong_to_the_app_role(round_trip):
    cluster, role, restored = round_trip["cluster"], round_trip["role"], round_trip["restored"]
    [(owner,)] = cluster.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [restored])
    assert owner == role
    others = cluster.query(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s",
        [role],
        database=restored,
    )
    assert others == []


def test_app_role_migrates_the_restored_database_and_gets_a_working_cache(round_trip):
    """The old README's restore (a database owned by postgres) failed here: no right to create a table."""
    r = round_trip
    ok(as_app(r["role"], r["password"], r["restored"], r["cluster"], "migrate", "--noinput"))
    assert r["cluster"].query("SELECT to_regclass('aspire_cache') IS NOT NULL", database=r["restored"]) == [(True,)]
    ok(as_app(r["role"], r["password"], r["restored"], r["cluster"], "shell", "-c", CACHE_WORKS))
