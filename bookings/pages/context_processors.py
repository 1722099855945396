def clinics(request):
    """
    Give every page the active clinics, as one lazy queryset: the footer lists
    them, and pages that list them too (home, /clinics/) iterate the same
    queryset, so a page fetches them once, and only if it shows them.
    """
    from bookings.models import Clinic

    return {"active_clinics": Clinic.objects.active()}
