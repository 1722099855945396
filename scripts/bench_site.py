"""
The benchmark's two yardsticks, each served by its own gunicorn beside the site (scripts/bench.py):

- BENCH_SITE=bare: one bare Django view (`SELECT 1`, as /healthz does) with no middleware at all,
  on the same settings, database and gunicorn: what /healthz is compared with;
- BENCH_SITE=uncached: the site itself with the page cache off (ASPIRE_PAGE_CACHE), so every page is
  made afresh: what the page cache (aspire/page_cache.py) saves, measured rather than guessed.

gunicorn loads it as its settings (DJANGO_SETTINGS_MODULE=bench_site, --pythonpath scripts).
"""

import os

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from aspire.settings import *  # noqa: F403

if os.environ.get("BENCH_SITE") == "bare":
    MIDDLEWARE = []
    ROOT_URLCONF = "bench_site"
else:
    ASPIRE_PAGE_CACHE = False


def bare(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": "ok"})


urlpatterns = [path("bare", bare)]
