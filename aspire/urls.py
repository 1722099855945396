from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from aspire import second_factor, views
from bookings.messaging import webhooks
from bookings.pages import views as pages
from bookings.pages.sitemaps import ClinicSitemap, PhysiotherapistSitemap
from content.sitemaps import ConditionSitemap, StaticPageSitemap

sitemaps = {
    "pages": StaticPageSitemap,
    "conditions": ConditionSitemap,
    "clinics": ClinicSitemap,
    "physiotherapists": PhysiotherapistSitemap,
}

urlpatterns = [
    path("admin/bookings/", include("bookings.desk.urls")),
    # Passkeys' ceremonies (django-otp-webauthn's JSON views), for the admin's second factor.
    path("admin/passkeys/", include(second_factor.passkey_urls, namespace="otp_webauthn")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # Delivery statuses and replies from the message providers (signed; outside any language prefix).
    path("webhooks/whatsapp/", webhooks.whatsapp, name="webhook_whatsapp"),
    path("webhooks/twilio/", webhooks.twilio, name="webhook_twilio"),
    # A booking's short link in a text message: to its page in the booking's language (outside the prefixes).
    path("b/<str:code>", pages.booking_short_link, name="booking_short"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="django.contrib.sitemaps.views.sitemap"),
]

# The patient's pages: English at the addresses they always had, Urdu under /ur/.
urlpatterns += i18n_patterns(
    path("", include("bookings.pages.urls")),
    path("", include("content.urls")),
    prefix_default_language=False,
)

# Uploaded files (the physiotherapists' photos) in development; in production the web server serves MEDIA_ROOT.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "aspire.views.bad_request"
handler404 = "aspire.views.page_not_found"
handler500 = "aspire.views.server_error"

admin.site.site_header = "Aspire Wellness front desk"
admin.site.site_title = "Aspire admin"
admin.site.index_title = "Clinics, bookings and site content"
# The header carries the front desk's links; the list pages need the width.
admin.site.enable_nav_sidebar = False
