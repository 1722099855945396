from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


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
