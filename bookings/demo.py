"""
Demo data for `make run`: invented, plausible for Karachi, marked as demo.
Every function here is idempotent: running seed_demo twice changes nothing.
"""

from bookings.models import Clinic

DEMO_CLINICS = [
    {
        "slug": "clifton",
        "name": "Clifton",
        "area": "Clifton",
        "address": "Plot 14-C, Block 5, Khayaban-e-Roomi, Clifton",
        "phone": "+922135871240",
        "email": "clifton@aspirewellness.example",
        "latitude": "24.815600",
        "longitude": "67.030300",
        "opening_hours": "Monday to Saturday: 10:00 to 20:00\nSunday: closed",
    },
    {
        "slug": "dha-phase-6",
        "name": "DHA Phase 6",
        "area": "DHA Phase 6",
        "address": "32-C, Bukhari Commercial Lane 6, DHA Phase 6",
        "phone": "+922135243318",
        "email": "dha@aspirewellness.example",
        "latitude": "24.797700",
        "longitude": "67.060800",
        "opening_hours": "Monday to Saturday: 11:00 to 21:00\nSunday: 12:00 to 18:00",
    },
    {
        "slug": "gulshan-e-iqbal",
        "name": "Gulshan-e-Iqbal",
        "area": "Gulshan-e-Iqbal",
        "address": "B-127, Block 13-D, near Maskan Chowrangi, Gulshan-e-Iqbal",
        "phone": "+922134987162",
        "email": "gulshan@aspirewellness.example",
        "latitude": "24.921900",
        "longitude": "67.094100",
        "opening_hours": "Monday to Saturday: 10:00 to 20:00\nSunday: closed",
    },
    {
        "slug": "pechs",
        "name": "PECHS",
        "area": "PECHS",
        "address": "45-A, Block 2, off Tariq Road, PECHS",
        "phone": "+922134531907",
        "email": "pechs@aspirewellness.example",
        "latitude": "24.871500",
        "longitude": "67.061900",
        "opening_hours": "Monday to Saturday: 10:00 to 19:00\nSunday: closed",
    },
]


def seed_clinics() -> list[Clinic]:
    clinics = []
    for spec in DEMO_CLINICS:
        clinic, _ = Clinic.objects.get_or_create(slug=spec["slug"], defaults={**spec, "is_demo": True})
        clinics.append(clinic)
    return clinics
