from aspire.sitemaps import BilingualSitemap
from bookings.models import Clinic, Physiotherapist


class ClinicSitemap(BilingualSitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Clinic.objects.active()


class PhysiotherapistSitemap(BilingualSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Physiotherapist.objects.active()
