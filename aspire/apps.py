from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def create_cache_tables(*, using: str, verbosity: int = 1, **kwargs) -> None:
    """
    Create the table of every database cache in settings.CACHES that is not there yet, and the
    production cache's table (settings.ASPIRE_CACHE_TABLE) whatever these settings use: `make run`
    migrates with debug on (a memory cache), and the same database served with debug off needs it.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))
    call_command("createcachetable", settings.ASPIRE_CACHE_TABLE, database=using, verbosity=max(verbosity - 1, 0))


class AspireConfig(AppConfig):
    """The project package as an app: site-wide static files and template tags."""

    name = "aspire"
    verbose_name = "Aspire"

    def ready(self):
        from aspire import page_cache

        page_cache.connect_signals()
        # Every `migrate`, not a migration: which cache tables a site needs follows its
        # settings (debug, REDIS_URL), which can change after the migrations have run.
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="aspire.create_cache_tables")


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site (aspire/admin_site.py), made once the apps are loaded."""

    default = False  # named in full in INSTALLED_APPS; "aspire" itself is AspireConfig
    default_site = "aspire.admin_site.AdminSite"
