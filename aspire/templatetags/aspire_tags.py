import re

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_bidi

from bookings import timeutils

register = template.Library()


@register.filter
def desk_day(value):
    """Write a day as the front desk does everywhere ("Tue 8 Dec 2026"): bookings.timeutils.DESK_DAY_FORMAT."""
    return timeutils.desk_day(value) if value else ""


@register.filter
def day_time(value):
    """Write a time with its day as a patient's page does ("Thu 10 Dec, 11:00"): bookings.timeutils.day_time."""
    return timeutils.day_time(value) if value else ""


@register.simple_tag
def list_separator():
    """What joins a list's items or an address's parts in the page's language: ", ", in Urdu "، "."""
    return timeutils.list_separator()


@register.simple_tag(takes_context=True)
def nav_link(context, url_name, label, exact=False):
    """Render a main-navigation link, marked aria-current on its own section."""
    url = reverse(url_name)
    path = context["request"].path
    current = path == url if exact else path.startswith(url)
    if current:
        return format_html('<a class="site-nav-link" href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a class="site-nav-link" href="{}">{}</a>', url, label)


@register.simple_tag(takes_context=True)
def absolute_url(context, path=None):
    """Return this page's address (or `path`) as an absolute URL, without the query string."""
    request = context["request"]
    return request.build_absolute_uri(path if path is not None else request.path)


def hreflang(code: str) -> str:
    """Return the hreflang of one of the site's languages: the language alone ("en-gb" -> "en").

    The English pages are for Karachi, not for the United Kingdom, whatever spelling Django's
    "en-gb" stands for; a region in hreflang would tell search engines otherwise.
    """
    return code.partition("-")[0]


@register.simple_tag(takes_context=True)
def language_versions(context):
    """Return (language code, hreflang, name, URL, canonical URL, is current) for this page in each language.

    The URL keeps the query string (a chosen day or therapist), so the language switch leaves
    the visitor where they were; the canonical URL drops it, as the page's canonical link does,
    so the hreflang alternates name the same addresses the canonical does. A page no pattern
    resolves (a 404) links to itself. A page that answers a POST and has no address of its own
    (the deposit's pay page) names in `language_versions_of` the page a GET can open instead:
    the same POST address in another language would answer 405.
    """
    request = context["request"]
    current = get_language()
    instead = context.get("language_versions_of")
    here, canonical = (instead, instead) if instead else (request.get_full_path(), request.path)
    return [
        (
            code,
            hreflang(code),
            name,
            request.build_absolute_uri(translate_url(here, code)),
            request.build_absolute_uri(translate_url(canonical, code)),
            code == current,
        )
        for code, name in settings.LANGUAGES
    ]


# A run of Latin letters and digits joined by hyphens or slashes: a plot number ("14-C"), a phone
# number ("0309-5885076"), a block ("5/A").
_CODE = re.compile(r"\b[0-9A-Za-z]+(?:[-/][0-9A-Za-z]+)+\b")


@register.filter
def isolate_codes(text):
    """
    Keep each code in `text` in its own left-to-right order: in an Urdu (right-to-left) line the
    bidi algorithm shows "14-C" as "C-14", and a driver goes to the wrong plot. The Unicode
    isolates (U+2066 ... U+2069) work in HTML and in a plain-text email or SMS alike. Left-to-right
    text needs none, and gets none.
    """
    if not get_language_bidi():
        return text
    return _CODE.sub(lambda m: f"\u2066{m.group(0)}\u2069", str(text))
