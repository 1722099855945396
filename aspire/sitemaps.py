"""What the site's sitemaps share."""

from django.contrib.sitemaps import Sitemap

from aspire.templatetags.aspire_tags import hreflang


class BilingualSitemap(Sitemap):
    """Each page in English and in Urdu, each naming the other (hreflang), English the default."""

    i18n = True
    alternates = True
    x_default = True

    def get_urls(self, page=1, site=None, protocol=None):
        """Name each alternate as the pages' head does: hreflang "en" and "ur", not Django's "en-gb"."""
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            for alternate in url.get("alternates", []):
                if alternate["lang_code"] != "x-default":
                    alternate["lang_code"] = hreflang(alternate["lang_code"])
        return urls
