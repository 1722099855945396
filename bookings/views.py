from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from bookings.models import Clinic


@require_GET
def clinic_list(request):
    clinics = Clinic.objects.active()
    context = {
        "title": "Our clinics in Karachi | Aspire Wellness",
        "description": "Aspire Wellness physiotherapy clinics in Karachi: addresses, opening hours and directions.",
        "clinics": clinics,
    }
    return render(request, "bookings/clinic_list.html", context)


@require_GET
def clinic_detail(request, slug):
    clinic = get_object_or_404(Clinic.objects.active(), slug=slug)
    context = {
        "title": f"{clinic.name}: dry needling in {clinic.area}, Karachi | Aspire Wellness",
        "description": f"Dry needling and physiotherapy at {clinic.name}, {clinic.area}: address, hours, directions.",
        "clinic": clinic,
        "json_ld": clinic_json_ld(request, clinic),
    }
    return render(request, "bookings/clinic_detail.html", context)


@require_GET
def book_choose_clinic(request):
    clinics = Clinic.objects.active()
    context = {
        "title": "Book a dry needling session | Aspire Wellness",
        "description": "Choose an Aspire Wellness clinic in Karachi and book a dry needling session.",
        "clinics": clinics,
    }
    return render(request, "bookings/book_choose_clinic.html", context)


def clinic_json_ld(request, clinic: Clinic) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": f"Aspire Wellness, {clinic.name}",
        "url": request.build_absolute_uri(clinic.get_absolute_url()),
        "telephone": clinic.phone.as_e164 if clinic.phone else settings.ASPIRE_PHONE_E164,
        "medicalSpecialty": "PhysicalTherapy",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.address,
            "addressLocality": "Karachi",
            "addressRegion": "Sindh",
            "addressCountry": "PK",
        },
    }
    if clinic.latitude is not None and clinic.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(clinic.latitude),
            "longitude": float(clinic.longitude),
        }
    return data
