"""
A family on one phone, at 375 px, in English and Urdu (issue 22): a mother books for herself and
her child at the same hour, moves the child's session after confirming, and books her own next
session with one tap; axe finds nothing serious on any page on the way.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation

from bookings.models import Booking, BookingStatus, Contact, Patient, Relation
from bookings.timeutils import at
from tests.e2e.a11y import axe_violations
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]

MOTHER, CHILD = "Ayesha Karim", "Bilal Karim"
PHONE = "0312-3344556"


def t(language: str, text: str) -> str:
    """The page's words for `text` in `language` (the catalogue's), to find buttons and labels by."""
    with translation.override(language):
        return translation.gettext(text)


def check(page):
    """The page fits the phone and axe finds nothing serious or critical on it."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways ({width} px)"
    assert axe_violations(page) == [], page.url


@pytest.fixture
def family_times():
    """
    At Clifton: Dr. Sana Malik and Dr. Hamza Qureshi both free at 11:00 in two days (the booking
    day), an earlier free time tomorrow (so the clinic opens on another day than the one booked),
    Dr. Hamza's 15:00 the day after the booking day (the move), and Dr. Sana's 10:00 four days
    after it (the mother's next session).
    """
    SessionTypeFactory(name="First visit: assessment and dry needling", short_name="First visit")
    clinic = ClinicFactory(name="Clifton", slug="clifton", area="Clifton")
    sana = PhysiotherapistFactory(name="Dr. Sana Malik", gender="female")
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi", gender="male")
    day = timezone.localdate() + dt.timedelta(days=2)

    def free(therapist, days_after, hour):
        return SlotFactory(
            clinic=clinic, physiotherapist=therapist, starts_at=at(day + dt.timedelta(days=days_after), dt.time(hour))
        )

    free(sana, -1, 11)
    return {
        "day": day,
        "mother": free(sana, 0, 11),
        "child": free(hamza, 0, 11),
        "move": free(hamza, 1, 15),
        "next": free(sana, 4, 10),
    }


def pick_time(page, base, day, therapist):
    """From the clinics to the booking form: the clinic, then `day` in its day strip, then `therapist`'s 11:00."""
    page.goto(f"{base}/book/")
    page.locator("a.btn-primary[href*='/book/clifton/']").click()  # "Choose a time at Clifton"
    page.locator(f"nav.day-strip a[href^='?date={day.isoformat()}']").click()
    page.locator(f"nav.day-strip a[aria-current='date'][href^='?date={day.isoformat()}']").wait_for()
    page.locator("a.time", has_text=therapist).filter(has_text="11:00").click()
    page.locator("#id_name").wait_for()


def book(page, language, *, name, for_whom, guardian=""):
    page.get_by_label(t(language, for_whom), exact=True).check()
    page.fill("#id_name", name)
    if guardian:
        page.fill("#id_guardian_name", guardian)
    page.fill("#id_phone", PHONE)
    page.check("#id_consent")
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name=t(language, "Book this session")).click()
    assert "/booking/" in page.url, f"not booked: {page.inner_text('main')[:600]}"  # a refusal says why
    assert t(language, "Your session is booked. Your confirmation is on its way to your phone.") in page.inner_text(
        "main"
    )
    check(page)
    return Booking.objects.get(manage_token=page.url.rstrip("/").rsplit("/", 1)[-1])


def patient_shown(page) -> str:
    """The name the booking's summary gives as the patient's."""
    return page.locator("dl.summary-list dd").first.inner_text()


@pytest.mark.parametrize(("language", "prefix"), [(settings.LANGUAGE_CODE, ""), ("ur", "/ur")], ids=["en", "ur"])
def test_a_mother_books_for_herself_and_her_child_moves_it_and_books_her_next_session(
    live_server, phone_page, family_times, language, prefix
):
    page, times = phone_page, family_times
    base = live_server.url + prefix
    day = times["day"]

    # 1. The mother books for herself, then her child at the same hour with another therapist.
    pick_time(page, base, day, "Dr. Sana Malik")
    mothers = book(page, language, name=MOTHER, for_whom="Me")
    assert mothers.slot == times["mother"] and patient_shown(page) == MOTHER
    pick_time(page, base, day, "Dr. Hamza Qureshi")
    childs = book(page, language, name=CHILD, for_whom="My child (under 18)", guardian=MOTHER)
    assert childs.slot == times["child"] and patient_shown(page) == CHILD
    assert Contact.objects.count() == 1
    assert {(p.name, p.relation) for p in Patient.objects.all()} == {(MOTHER, Relation.SELF), (CHILD, Relation.CHILD)}
    assert childs.screening.guardian_name == MOTHER and mothers.screening.guardian_name == ""
    assert {mothers.language, childs.language} == {language}

    # 2. The child's session moves, after the question; the first tap moves nothing.
    page.get_by_role("link", name=t(language, "Move to another time")).click()
    page.wait_for_url("**/move/**")
    check(page)
    moved_day = day + dt.timedelta(days=1)
    page.locator(f"nav.day-strip a[href^='?date={moved_day.isoformat()}']").click()
    page.wait_for_url(f"**date={moved_day.isoformat()}**")
    page.locator("a.time", has_text="Dr. Hamza Qureshi").filter(has_text="15:00").click()
    page.wait_for_url(f"**/move/{times['move'].pk}/")
    assert t(language, "Move your session to this time?") in page.inner_text("main")
    childs.refresh_from_db()
    assert childs.slot == times["child"]  # asking moved nothing
    check(page)
    page.get_by_role("button", name=t(language, "Yes, move it")).click()
    page.wait_for_url(f"**/booking/{childs.manage_token}/")
    main = page.inner_text("main")
    assert t(language, "Your session has moved to the new time.") in main
    assert "15:00" in page.locator(".summary-when").inner_text() and patient_shown(page) == CHILD
    childs.refresh_from_db()
    assert childs.slot == times["move"]
    check(page)

    # 3. The mother came to her session (marked in the database: the desk can't mark a later day's yet),
    # and books her next one from its page with one tap.
    Booking.objects.filter(pk=mothers.pk).update(status=BookingStatus.ATTENDED, attended_at=timezone.now())
    page.goto(base + f"/booking/{mothers.manage_token}/")
    check(page)
    page.locator("#next-heading ~ ul button").first.click()
    page.wait_for_url("**/booking/**")
    assert t(language, "Your next session is booked. Your confirmation is on its way to your phone.") in (
        page.inner_text("main")
    )
    nxt = Booking.objects.get(manage_token=page.url.rstrip("/").rsplit("/", 1)[-1])
    assert nxt.slot == times["next"] and nxt.patient_id == mothers.patient_id and patient_shown(page) == MOTHER
    assert "10:00" in page.locator(".summary-when").inner_text()
    assert Contact.objects.count() == 1 and Patient.objects.count() == 2
    check(page)
