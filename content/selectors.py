"""What the content pages read."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from content.models import FAQ, Condition, FAQCategory, Page, PageSection, Testimonial


def page_get(*, key: str) -> Page:
    """Return a page with its sections, in two queries."""
    sections = Prefetch("sections", queryset=PageSection.objects.order_by("order", "id"))
    return get_object_or_404(Page.objects.prefetch_related(sections), key=key)


def faq_groups() -> list[FAQCategory]:
    """Return the FAQ groups that have published questions, each with them as `.published_faqs`."""
    faqs = Prefetch("faqs", queryset=FAQ.objects.published().order_by("order", "id"), to_attr="published_faqs")
    groups = FAQCategory.objects.prefetch_related(faqs)
    return [group for group in groups if group.published_faqs]


def testimonials_published(*, condition: Condition | None = None, limit: int | None = None):
    testimonials = Testimonial.objects.published()
    if condition is not None:
        testimonials = testimonials.filter(condition=condition)
    return testimonials[:limit] if limit else testimonials


def conditions_published():
    return Condition.objects.published()


def condition_cards():
    """Return the published conditions with what a card of one shows (a third less to build than whole rows)."""
    return conditions_published().only("slug", "name", "summary")
