#!/usr/bin/env bash
# `make run`'s server: the site on http://127.0.0.1:$PORT (8000 unless PORT says otherwise) and,
# beside it, the worker that delivers the outbox's messages (in development they print to this
# terminal, with phone numbers and links redacted) and the reminder job (`manage.py send_reminders`
# every REMINDER_SECONDS, 60 unless said: tomorrow's reminders, aftercare, the waitlist's holds), as
# cron runs it in production. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
REMINDER_SECONDS="${REMINDER_SECONDS:-60}"
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "PORT must be a number, not '$PORT'" >&2; exit 2; }
[[ "$REMINDER_SECONDS" =~ ^[0-9]+$ ]] || { echo "REMINDER_SECONDS must be a number of seconds" >&2; exit 2; }
# Links in the messages lead to this server (unless ASPIRE_SITE_URL says another address).
export ASPIRE_SITE_URL="${ASPIRE_SITE_URL:-http://127.0.0.1:$PORT}"

# A thread for each queue (each message channel has one); it does not reload: restart after changing it.
$BIN/python manage.py run_worker --interval 1 &
worker=$!

remind() {
    # Background jobs of a script ignore Ctrl-C's SIGINT: the trap below ends this loop with SIGTERM,
    # and this one ends its sleep with it (a `wait` is cut short by a trapped signal; a sleep is not).
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    nap=
    while true; do
        # --verbosity 0: a line only when something was queued, not one a minute.
        $BIN/python manage.py send_reminders --verbosity 0 || echo "send_reminders failed; again in ${REMINDER_SECONDS}s" >&2
        sleep "$REMINDER_SECONDS" &
        nap=$!
        wait "$nap"
    done
}
remind &
reminders=$!

stop() {
    kill "$worker" "$reminders" 2>/dev/null || true
    wait "$worker" "$reminders" 2>/dev/null || true
}
trap stop EXIT INT TERM
$BIN/python manage.py runserver "127.0.0.1:$PORT"
