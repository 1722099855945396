import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from content.markdown import render_markdown

register = template.Library()

# Same escapes as Django's json_script: "</script>" in staff text can't close the tag.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter(name="markdown")
def markdown_filter(text):
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3


@register.simple_tag
def json_ld(data):
    """Render a dict as a JSON-LD script block."""
    payload = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
