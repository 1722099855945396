from bookings.models import Clinic


def clinics(request):
    """
    Give every page the active clinics, as one lazy queryset: the footer lists
    them, and pages that list them too (home, /clinics/) iterate the same
    queryset, so a page fetches them once, and only if it shows them.
    """
    return {"active_clinics": Clinic.objects.active()}
