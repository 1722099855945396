"""WSGI entry point, used by gunicorn (`gunicorn aspire.wsgi`) and runserver."""

import os

from django.core.wsgi import get_wsgi_application

from aspire.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire.settings")

require_secret_key()  # before building the application, which would trip over an empty key less clearly
application = get_wsgi_application()
