from django.urls import reverse

from aspire.sitemaps import BilingualSitemap
from content.models import Condition


class StaticPageSitemap(BilingualSitemap):
    changefreq = "monthly"

    def items(self):
        return [
            ("content:home", 1.0),
            ("content:dry_needling", 0.9),
            ("content:condition_list", 0.8),
            ("content:faq", 0.7),
            ("bookings:clinic_list", 0.7),
            ("bookings:physio_list", 0.7),
            ("bookings:book", 0.9),
        ]

    def location(self, item):
        return reverse(item[0])

    def priority(self, item):
        return item[1]


class ConditionSitemap(BilingualSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Condition.objects.published()
