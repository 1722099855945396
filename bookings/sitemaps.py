from django.contrib.sitemaps import Sitemap

from bookings.models import Clinic


class ClinicSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Clinic.objects.active()
