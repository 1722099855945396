#!/usr/bin/env bash
# The whole suite: checks, lint, pytest on SQLite, then pytest on a throwaway
# PostgreSQL. With CI=true a missing PostgreSQL, Chromium or Java is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-postgres.sh
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=aspire.settings_test
CI="${CI:-false}"

have_postgres() { command -v pg_virtualenv >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
have_chromium() { [ -x "${ASPIRE_CHROMIUM:-/usr/bin/chromium}" ]; }
# The Nu HTML checker (tests/test_valid_html.py) is a Java program.
have_java() { command -v java >/dev/null; }
# makemessages (tests/test_translations.py extracts the strings afresh) needs GNU gettext.
have_gettext() { command -v msgmerge >/dev/null; }

missing=()
have_postgres || missing+=(postgresql postgresql-contrib)
have_chromium || missing+=(chromium)
have_java || missing+=(default-jre-headless)
have_gettext || missing+=(gettext)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> Installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    elif [ "$CI" = true ]; then
        echo "CI: missing ${missing[*]} and not root to install them." >&2
        exit 1
    else
        echo "WARNING: missing ${missing[*]}; the tests that need them will be skipped." >&2
    fi
fi
export ASPIRE_CHROMIUM="${ASPIRE_CHROMIUM:-/usr/bin/chromium}"

echo "==> Django checks"
$BIN/python manage.py check --fail-level WARNING
$BIN/python manage.py makemigrations --check --dry-run
echo "==> ruff"
$BIN/ruff check .

echo "==> pytest on SQLite"
unset DATABASE_URL
$BIN/pytest "$@"

if have_postgres; then
    echo "==> pytest on PostgreSQL (throwaway cluster from pg_virtualenv)"
    with_throwaway_postgres $BIN/pytest "$@"
elif [ "$CI" = true ]; then
    echo "CI: PostgreSQL is missing; the PostgreSQL run cannot be skipped." >&2
    exit 1
else
    echo "WARNING: PostgreSQL not found; the PostgreSQL run was skipped." >&2
fi
