def clinics(request):
    """Give every page the active clinics (for the footer), fetched only if used."""
    from bookings.models import Clinic

    return {"footer_clinics": Clinic.objects.active().only("name", "slug", "area")}
