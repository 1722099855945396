from django.contrib.sitemaps import Sitemap

from bookings.models import Clinic, Physiotherapist


class ClinicSitemap(Sitemap):
    changefreq = "monthly"
    # Each page in English and in Urdu, each naming the other (hreflang), English the default.
    i18n = True
    alternates = True
    x_default = True
    priority = 0.6

    def items(self):
        return Clinic.objects.active()


class PhysiotherapistSitemap(Sitemap):
    changefreq = "weekly"
    i18n = True
    alternates = True
    x_default = True
    priority = 0.6

    def items(self):
        return Physiotherapist.objects.active()
