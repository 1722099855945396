"""Each public page costs a fixed number of queries, however much content there is."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ClinicFactory, ConditionFactory, FAQCategoryFactory, FAQFactory, TestimonialFactory

pytestmark = pytest.mark.django_db

# Page -> pinned query budget (sessions/auth are not touched for anonymous visitors).
BUDGETS = {
    "/": 5,  # page, sections, conditions, testimonials, clinics (shared with the footer)
    "/dry-needling/": 4,  # page, sections, clinics (footer), session types (the fees)
    "/conditions/": 2,
    "/conditions/sciatica/": 4,
    "/faq/": 3,
    "/clinics/": 1,  # the clinics, shared with the footer
    "/clinics/clifton/": 3,  # clinic, its therapists, footer
    "/book/": 4,  # clinics, next free time per clinic (one query), therapists, footer
    "/sitemap.xml": 6,  # count and page of items for each of the three model sitemaps
}


def grow_content(times: int):
    for _ in range(times):
        ClinicFactory()
        condition = ConditionFactory()
        TestimonialFactory(condition=condition)
        FAQFactory.create_batch(3, category=FAQCategoryFactory())


def count_queries(client, path) -> int:
    """The queries of making the page, not of serving it from the page cache (tests/test_page_cache.py)."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def in_language(path: str, prefix: str) -> str:
    """The page in English (no prefix) or Urdu ("/ur"); the sitemap is one for both."""
    return path if path == "/sitemap.xml" else prefix + path


@pytest.mark.parametrize("prefix", ["", "/ur"], ids=["en", "ur"])
@pytest.mark.parametrize("path", BUDGETS)
def test_query_count_is_pinned_and_flat(client, path, prefix):
    ClinicFactory(slug="clifton")
    grow_content(3)
    small = count_queries(client, in_language(path, prefix))
    grow_content(30)
    large = count_queries(client, in_language(path, prefix))
    assert large == small, f"{prefix}{path}: {small} queries with little content, {large} with ten times more"
    assert large <= BUDGETS[path], f"{prefix}{path}: {large} queries, budget {BUDGETS[path]} (both languages)"
