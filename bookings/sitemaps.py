from django.contrib.sitemaps import Sitemap

from bookings.models import Clinic, Physiotherapist


class ClinicSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Clinic.objects.active()


class PhysiotherapistSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Physiotherapist.objects.active()
