"""What the site's sitemaps share."""

from django.contrib.sitemaps import Sitemap


class BilingualSitemap(Sitemap):
    """Each page in English and in Urdu, each naming the other (hreflang), English the default."""

    i18n = True
    alternates = True
    x_default = True
