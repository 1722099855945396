"""Settings come from the environment, and refuse to run production without a secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(args: list[str], **env) -> subprocess.CompletedProcess:
    """Run Python in the project with none of this process's Django settings in its environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False
    )


def load_settings(**env) -> subprocess.CompletedProcess:
    code = (
        "import json, aspire.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'db': s.DATABASES['default'], "
        "'tz': s.TIME_ZONE, 'use_tz': s.USE_TZ, 'email': s.EMAIL_BACKEND}, default=str))"
    )
    return run_python(["-c", code], **env)


@pytest.mark.parametrize("entry_point", ["aspire.wsgi", "aspire.asgi"])
def test_production_without_a_secret_key_refuses_to_start(entry_point):
    result = run_python(["-c", f"import {entry_point}"])
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_server_starts_with_a_secret_key():
    result = run_python(["-c", "import aspire.wsgi"], DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [["makemigrations", "--check", "--dry-run"], ["check"]])
def test_management_commands_that_need_no_secret_run_without_one(command):
    """A plain `manage.py makemigrations --check` failed with AppRegistryNotReady when settings raised."""
    result = run_python(["manage.py", *command])
    assert result.returncode == 0, result.stderr


def test_production_settings_from_the_environment():
    import json

    result = load_settings(
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="aspire.example, www.aspire.example",
        DATABASE_URL="postgres://u:p@db.internal:5432/aspire",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["debug"] is False
    assert settings["hosts"] == ["aspire.example", "www.aspire.example"]
    assert settings["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings["db"]["HOST"] == "db.internal"
    assert settings["db"]["CONN_MAX_AGE"] > 0 and settings["db"]["CONN_HEALTH_CHECKS"] is True
    assert settings["tz"] == "Asia/Karachi" and settings["use_tz"] is True
    assert settings["email"] == "django.core.mail.backends.filebased.EmailBackend"


def test_embedded_sqlite_uses_immediate_transactions_wal_and_a_busy_timeout():
    import json

    result = load_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)["db"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
