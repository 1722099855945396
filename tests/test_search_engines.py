"""
What search engines read of every public page's address: a canonical address and hreflang
alternates ("en", "ur", x-default) that agree with each other, query string or not.
"""

from urllib.parse import urlsplit

import pytest

from tests.html import parse
from tests.public_site import build_public_site, public_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(client):
    pages = build_public_site()
    return {name: (path, parse(client.get(path))) for name, path in public_urls(pages).items()}


def head_links(page) -> tuple[list[str], dict[str, str]]:
    """Return the page's canonical addresses and its hreflang alternates in the head."""
    canonical = [a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "canonical"]
    alternates = {}
    for tag, attrs in page.tags:
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            assert attrs["hreflang"] not in alternates, f"hreflang {attrs['hreflang']} twice"
            alternates[attrs["hreflang"]] = attrs["href"]
    return canonical, alternates


def test_hreflang_names_the_language_only_and_agrees_with_the_canonical_on_every_url(site):
    wrong = []
    for name, (path, page) in site.items():
        canonical, alternates = head_links(page)
        if name.removeprefix("ur-") == "not-found":
            # A missing page is no page: it names no canonical and no alternate.
            if canonical or alternates:
                wrong.append(f"{path}: a 404 with {canonical} {alternates}")
            continue
        if set(alternates) != {"en", "ur", "x-default"}:
            wrong.append(f"{path}: hreflang {sorted(alternates)}")
            continue
        language = "ur" if path.startswith("/ur/") else "en"
        if canonical != [alternates[language]]:
            wrong.append(f"{path}: canonical {canonical}, hreflang {language} {alternates[language]}")
        if alternates["x-default"] != alternates["en"]:
            wrong.append(f"{path}: x-default {alternates['x-default']}, en {alternates['en']}")
        if any(urlsplit(url).query for url in [*canonical, *alternates.values()]):
            wrong.append(f"{path}: a query in {canonical} {alternates}")
    assert wrong == []


def test_the_alternates_name_each_other_both_ways(client, site):
    """The Urdu alternate of an English page is a page whose English alternate is that English page."""
    for name, (path, page) in site.items():
        if name.startswith("ur-") or name == "not-found":
            continue
        _, alternates = head_links(page)
        _, theirs = head_links(site[f"ur-{name}"][1])
        assert theirs == alternates, path


def test_the_language_switch_still_keeps_the_query(site):
    path, page = site["book-clinic-physio"]
    [switch] = [a["href"] for t, a in page.tags if t == "a" and "lang-switch" in a.get("class", "")]
    assert switch == f"http://testserver/ur{path}"


def test_the_sitemap_says_en_and_ur(client):
    build_public_site()
    xml = client.get("/sitemap.xml").content.decode()
    assert 'hreflang="en" href="http://testserver/clinics/clifton/"' in xml
    assert 'hreflang="ur" href="http://testserver/ur/clinics/clifton/"' in xml
    assert 'hreflang="en-gb"' not in xml
