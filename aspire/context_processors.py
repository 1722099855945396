"""Context every page needs: the brand's name and booking line."""

from django.conf import settings


def site(request):
    phone = settings.ASPIRE_PHONE_E164
    return {
        "site_name": settings.ASPIRE_SITE_NAME,
        "site_phone_display": settings.ASPIRE_PHONE_DISPLAY,
        "site_phone_tel": f"tel:{phone}",
        "site_whatsapp_url": f"https://wa.me/{phone.lstrip('+')}",
    }
