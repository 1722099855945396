#!/usr/bin/env bash
# `make bench`: a year of data in a throwaway PostgreSQL, served by gunicorn with the
# production settings, loaded with wrk. Prints figures (lines starting with BENCH).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-postgres.sh

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v pg_virtualenv >/dev/null || missing+=(postgresql postgresql-contrib)
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

# PostgreSQL's own log lines (and their tab-indented continuations) are noise here.
with_throwaway_postgres .venv/bin/python scripts/bench.py 2>&1 | grep --line-buffered -v $'UTC \\[\\|^\t'
