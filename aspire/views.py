"""Site-wide views that belong to no app: liveness, robots.txt, error pages."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """Answer 200 when the app and its database answer, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /booking/",
        "Disallow: /book/slot/",
        "Disallow: /ur/booking/",
        "Disallow: /ur/book/slot/",
        f"Sitemap: {request.build_absolute_uri(reverse('django.contrib.sitemaps.views.sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request, exception):
    context = {"title": _("Page not found | Aspire Wellness"), "description": _("This page could not be found.")}
    return render(request, "404.html", context, status=404)


def bad_request(request, exception=None):
    # Django's own 400 view reads the CSRF token, which reads the form: a form Django
    # cannot decode (a charset other than UTF-8) raised again there, and became a 500.
    # Like the 500 page, this one needs no database.
    from django.template import loader

    response = HttpResponse(loader.get_template("400.html").render({}), status=400)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, status: int = 500):
    # No context processors that touch the database: the database may be why we are here.
    from django.template import loader

    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=status)
