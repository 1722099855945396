"""gunicorn's settings for production (`make serve`): `gunicorn -c python:aspire.gunicorn_conf aspire.wsgi`.

Each can be changed from the environment: GUNICORN_BIND, WEB_CONCURRENCY,
GUNICORN_THREADS, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS.
"""

import os

from gunicorn.glogging import Logger

from aspire.log_redaction import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Django views block on the database: 2 processes per core plus one keeps the CPU busy.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a leak in any library stays bounded), not all at once.
max_requests = 5000
max_requests_jitter = 500
# Trust X-Forwarded-Proto only from nginx on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
# The path without its query string: a receptionist's admin search for a phone
# number is a GET with the number in `?q=`. No referrer for the same reason.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class RedactingLogger(Logger):
    """Access lines without booking tokens (the key to someone's booking) or phone numbers in paths."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger
