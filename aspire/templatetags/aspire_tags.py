import functools
import re

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_bidi, gettext
from django.utils.translation import gettext_lazy as _

from aspire import page_cache
from bookings import timeutils

register = template.Library()

# What every page shares (the header, the navigation, the footer's clinics), made once per language and
# content generation in each process: base.html alone was two thirds of a page's templates (22 reverses, 72
# translations, the footer's query). Bounded: a generation's old parts are never asked for again.
_SHARED_PARTS: dict[tuple, str] = {}
_SHARED_PARTS_MAX = 256


class SharedPartNode(template.Node):
    def __init__(self, name: str, nodelist, keys: list):
        self.name, self.nodelist, self.keys = name, nodelist, keys

    def render(self, context):
        request = context.get("request")
        if request is None:  # an error page made without a request (and perhaps without a database)
            return self.nodelist.render(context)
        key = (
            self.origin.name,
            self.name,
            get_language(),
            page_cache.content_generation(request),
            *(k.resolve(context) for k in self.keys),
        )
        part = _SHARED_PARTS.get(key)
        if part is None:
            part = self.nodelist.render(context)
            if len(_SHARED_PARTS) >= _SHARED_PARTS_MAX:
                _SHARED_PARTS.clear()
            _SHARED_PARTS[key] = part
        return part


@register.tag
def shared_part(parser, token):
    """
    {% shared_part "name" [key ...] %}...{% endshared_part %}: render what is inside once per language,
    content generation (aspire.page_cache: it changes when a clinic, a therapist or a page is saved) and
    the keys given, and serve that to every request in this process. Only for what is the same for every
    visitor: no CSRF token, no nonce, nothing of the request's but the keys.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("shared_part needs a name")
    nodelist = parser.parse(("endshared_part",))
    parser.delete_first_token()
    return SharedPartNode(bits[1].strip("\"'"), nodelist, [parser.compile_filter(bit) for bit in bits[2:]])


# The main navigation: (URL name, label, whether only its own address is in it), in the order shown.
NAVIGATION = [
    ("content:home", _("Home"), True),
    ("content:dry_needling", _("Dry needling"), False),
    ("content:condition_list", _("Conditions"), False),
    ("bookings:clinic_list", _("Clinics"), False),
    ("bookings:physio_list", _("Team"), False),
    ("content:faq", _("FAQ"), False),
]


@functools.cache
def _navigation_urls(language: str) -> tuple[str, ...]:
    return tuple(reverse(name) for name, _label, _exact in NAVIGATION)


@register.simple_tag(takes_context=True)
def nav_section(context) -> int:
    """Return which entry of the main navigation this page is in (its index), or -1: shared_part's key."""
    path = context["request"].path
    for index, (url, (_name, _label, exact)) in enumerate(
        zip(_navigation_urls(get_language()), NAVIGATION, strict=True)
    ):
        if (path == url) if exact else path.startswith(url):
            return index
    return -1


@register.simple_tag
def main_navigation(section: int):
    """Render the main navigation's links, the one of `section` (nav_section) marked aria-current."""
    links = [
        format_html(
            '<li><a class="site-nav-link" href="{}"{}>{}</a></li>',
            url,
            mark_safe(' aria-current="page"') if i == section else "",
            label,
        )
        for i, (url, (_name, label, _exact)) in enumerate(
            zip(_navigation_urls(get_language()), NAVIGATION, strict=True)
        )
    ]
    return mark_safe("".join(links))  # noqa: S308 - each link made by format_html


@register.simple_tag
def time_links(times, link: str):
    """
    Render a day's free times (bookings.schedule.selectors.FreeTime) as the list's items, each a link to
    its booking form: in one join, not three template variables a time (a busy day has 40 and more).
    """
    return format_html_join(
        "\n",
        '<li><a class="time" href="{}{}/" data-hx-boost="false">'
        "<strong><bdi>{}</bdi></strong> <span>{}</span></a></li>",
        ((link, time.pk, time.label, time.therapist) for time in times),
    )


@register.simple_tag
def strip_days(strip, swap=False):
    """
    Render the fortnight's days (bookings.pages.views.StripDay) as the strip's items, each a link to its
    times (with `swap`, htmx swaps the day in): in one join, not eight template nodes a day.
    """
    empty = format_html(' <span class="visually-hidden">{}</span>', gettext("(no free times)"))
    return format_html_join(
        "\n",
        '<li><a class="day{}{}" href="{}"{}{}><span class="day-name">{}</span> <span class="day-num">{}</span> '
        '<span class="day-month">{}</span>{}</a></li>',
        (
            (
                " day-current" if day.current else "",
                "" if day.has_free else " day-empty",
                day.link,
                format_html(' data-hx-get="{}"', day.link) if swap else "",
                mark_safe(' aria-current="date"') if day.current else "",
                day.name,
                day.number,
                day.month,
                "" if day.has_free else empty,
            )
            for day in strip
        ),
    )


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
    instead = context.get("language_versions_of")
    here, canonical = (instead, instead) if instead else (request.get_full_path(), request.path)
    origin = request.build_absolute_uri("/")[:-1]
    return [
        (code, hreflang(code), name, origin + url, origin + canonical_url, current)
        for code, name, url, canonical_url, current in _language_versions(here, canonical, get_language())
    ]


@functools.lru_cache(maxsize=1024)
def _language_versions(here: str, canonical: str, language: str) -> tuple[tuple, ...]:
    """The paths of `here` and `canonical` in each language: translate_url resolves and reverses, 4 times a page."""
    return tuple(
        (code, name, translate_url(here, code), translate_url(canonical, code), code == language)
        for code, name in settings.LANGUAGES
    )


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
