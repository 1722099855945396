"""
Settings for the test suite: the real settings, with what makes tests fast
and isolated changed, each for a reason.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")

from aspire.settings import *  # noqa: E402,F403
from aspire.settings import DATABASES  # noqa: E402

# Hashing passwords at full strength makes each login in a test take ~0.3 s.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests read sent mail from django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Pages render without running collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that threads in race and browser tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}  # noqa: F405

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
(BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Text messages are kept in bookings.messaging.local_channels.LocmemBackend.outbox.
ASPIRE_SMS_CHANNEL = "bookings.messaging.local_channels.LocmemBackend"
ASPIRE_SITE_URL = "http://testserver"

# The test client and the live server speak plain HTTP; production redirects to
# HTTPS (tests/test_security.py checks the production settings themselves).
SECURE_SSL_REDIRECT = False

# Tasks run at once, in the test's process, when they are enqueued (after the commit):
# what a worker would do a moment later. tests/bookings/test_outbox.py runs the real
# database queue and db_worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}  # noqa: F405
