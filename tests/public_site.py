"""Every public page of the site, built over one small but complete data set.

Shared by the HTML validation (tests/test_valid_html.py) and the browser checks
(tests/e2e/test_every_page.py), so both look at the same list.
"""

import datetime as dt

from django.utils import timezone

from bookings.models import WeeklyAvailability
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory


def build_public_site() -> dict[str, str]:
    """Create a clinic, a therapist, free and booked times; return {name: path} for every public page.

    Needs the shipped content (the `shipped_content` fixture or the migrations).
    """
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit")
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton", email="clifton@example.com")
    sana = PhysiotherapistFactory(name="Dr. Sana Malik", slug="sana-malik")
    day = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    free = SlotFactory(clinic=clinic, physiotherapist=sana, starts_at=day)
    SlotFactory(clinic=clinic, physiotherapist=sana, starts_at=day.replace(hour=17))
    booking = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=sana, starts_at=day.replace(hour=9)),
        manage_token="public-site-token",
    )
    token = booking.manage_token
    WeeklyAvailability.objects.create(
        physiotherapist=sana, clinic=clinic, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(18),
        valid_from=timezone.localdate(),
    )  # fmt: skip
    return {
        "home": "/",
        "dry-needling": "/dry-needling/",
        "conditions": "/conditions/",
        "condition": "/conditions/sciatica/",
        "faq": "/faq/",
        "clinics": "/clinics/",
        "clinic": "/clinics/clifton/",
        "book": "/book/",
        "team": "/physiotherapists/",
        "physio": "/physiotherapists/sana-malik/",
        "waitlist": "/waitlist/clifton/",
        "book-clinic": f"/book/clifton/?date={day:%Y-%m-%d}",
        "book-clinic-empty-day": f"/book/clifton/?date={day + dt.timedelta(days=1):%Y-%m-%d}",
        "book-slot": f"/book/slot/{free.pk}/",
        "book-slot-taken": f"/book/slot/{booking.slot_id}/",
        "booking": f"/booking/{token}/",
        "booking-cancel": f"/booking/{token}/cancel/",
        "booking-move": f"/booking/{token}/move/",
        "booking-move-confirm": f"/booking/{token}/move/{free.pk}/",
        "not-found": "/no-such-page/",
    }


def public_urls(pages: dict[str, str]) -> dict[str, str]:
    """Every public page in both languages, the booking day with each of its queries too."""
    day = pages["book-clinic"]
    more = {
        **pages,
        "book-clinic-physio": f"{day}&physio=sana-malik",
        "book-clinic-gender": f"{day}&gender=female&physio=sana-malik",
        "book-clinic-plain": day.partition("?")[0],
        "book-physio": "/book/?physio=sana-malik",
        "clinic-query": "/clinics/clifton/?utm_source=newsletter",
    }
    return {**more, **{f"ur-{name}": "/ur" + path for name, path in more.items()}}
