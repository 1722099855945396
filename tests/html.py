"""Read what a page says, the way a browser or a search engine would."""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    tags: list[tuple[str, dict]] = field(default_factory=list)
    title: str = ""
    h1: list[str] = field(default_factory=list)
    json_ld: list = field(default_factory=list)
    text: str = ""

    def meta(self, key: str) -> str | None:
        for tag, attrs in self.tags:
            if tag == "meta" and (attrs.get("name") == key or attrs.get("property") == key):
                return attrs.get("content")
        return None

    def count(self, tag: str, **attrs) -> int:
        return sum(1 for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items()))

    def links(self) -> list[str]:
        return [a.get("href", "") for t, a in self.tags if t == "a"]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._buf: list[str] = []
        self._text: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.page.tags.append((tag, attrs))
        if tag in {"title", "h1"}:
            self._stack.append(tag)
            self._buf = []
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self._buf = []

    def handle_endtag(self, tag):
        if self._in_ld and tag == "script":
            self.page.json_ld.append(json.loads("".join(self._buf)))
            self._in_ld = False
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
            value = " ".join("".join(self._buf).split())
            if tag == "title":
                self.page.title = value
            else:
                self.page.h1.append(value)

    def handle_data(self, data):
        if self._stack or self._in_ld:
            self._buf.append(data)
        if not self._in_ld:
            self._text.append(data)

    def close(self):
        super().close()
        self.page.text = " ".join(" ".join(self._text).split())


def parse(response_or_html) -> Page:
    html = response_or_html if isinstance(response_or_html, str) else response_or_html.content.decode()
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page
