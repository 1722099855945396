#!/usr/bin/env bash
# `make run`'s server: the site on http://127.0.0.1:8000 and, beside it, the worker that
# delivers the outbox's messages (in development they print to this terminal, with phone
# numbers and links redacted). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# A thread for each queue (each message channel has one); it does not reload: restart after changing it.
$BIN/python manage.py run_worker --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM
$BIN/python manage.py runserver 127.0.0.1:8000
