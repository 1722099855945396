#!/usr/bin/env bash
# `make bench`: a year of data in a throwaway PostgreSQL, served by gunicorn with the
# production settings, loaded with wrk. Prints figures (lines starting with BENCH).
#
# BENCH_DATABASE_URL=postgres://user:password@host:port/name uses a database on a server
# that is already running instead of pg_virtualenv's single "regress" cluster (which two
# runs at once, or a run beside `make test`, would share). That database is DROPPED and
# made again: name one that holds nothing else (the role needs CREATEDB, or to own it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-postgres.sh

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -n "${BENCH_DATABASE_URL:-}" ] || command -v pg_virtualenv >/dev/null || missing+=(postgresql postgresql-contrib)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> Installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "make bench needs: ${missing[*]} (Debian packages)" >&2
        exit 1
    fi
fi

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    echo "==> Making the benchmark's database again: ${BENCH_DATABASE_URL%%@*}@... (${BENCH_DATABASE_URL##*/})"
    BENCH_DATABASE_URL="$BENCH_DATABASE_URL" .venv/bin/python - <<'PY'
import os
import urllib.parse

import psycopg
from psycopg import sql

url = urllib.parse.urlsplit(os.environ["BENCH_DATABASE_URL"])
name = url.path.lstrip("/")
server = psycopg.connect(
    host=url.hostname, port=url.port or 5432, user=urllib.parse.unquote(url.username or ""),
    password=urllib.parse.unquote(url.password or ""), dbname="postgres", autocommit=True,
)
with server.cursor() as cursor:
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
server.close()
PY
    DATABASE_URL="$BENCH_DATABASE_URL" .venv/bin/python scripts/bench.py
    exit
fi

# PostgreSQL's own log lines (and their tab-indented continuations) are noise here.
with_throwaway_postgres .venv/bin/python scripts/bench.py 2>&1 | grep --line-buffered -v $'UTC \\[\\|^\t'
