from django.apps import AppConfig


class AspireConfig(AppConfig):
    """The project package as an app: site-wide static files and template tags."""

    name = "aspire"
    verbose_name = "Aspire"

    def ready(self):
        from aspire import page_cache

        page_cache.connect_signals()
