"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from aspire.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aspire.settings")

require_secret_key()  # before building the application, which would trip over an empty key less clearly
application = get_asgi_application()
