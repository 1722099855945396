"""What a patient trips on in the public pages, in English and Urdu (issue 22): one test a fault."""

import datetime as dt
import re
from pathlib import Path

import polib
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from bookings.booking import courses, screening
from bookings.models import Booking, BookingStatus, SessionType, Slot, TimeOff
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from bookings.timeutils import at
from tests.factories import (
    BookingFactory,
    ClinicFactory,
    PatientFactory,
    PhysiotherapistFactory,
    SessionTypeFactory,
    SlotFactory,
)
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


# The booking's own page -------------------------------------------------------


def test_the_booking_page_says_whom_the_session_is_for(client):
    """A patient opening a link from the family phone saw no name: whose session is this?"""
    booking = BookingFactory(patient=PatientFactory(name="Bilal <b>Ahmed</b>"), name="Bilal <b>Ahmed</b>")
    response = client.get(booking.get_absolute_url())
    html = response.content.decode()
    assert "Bilal &lt;b&gt;Ahmed&lt;/b&gt;" in html and "<b>Ahmed</b>" not in html  # escaped, as text
    page = parse(response)
    assert "Patient Bilal <b>Ahmed</b>" in page.text  # the summary's first line
    assert "no-store" in response["Cache-Control"]  # a name only on the token's own page, never cached


# Urdu's verbs follow the therapist's gender ------------------------------------

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "locale" / "ur" / "LC_MESSAGES" / "django.po"
# A verb's ending that shows its subject's gender: "ہوں گے" / "ہوں گی", "کریں گے" / "کریں گی", "رہے" / "رہی".
MASCULINE = re.compile(r"(گے|رہے|سکتے|کرتے)(?=[\s۔،:)]|$)")
FEMININE = re.compile(r"(گی|رہی|سکتی|کرتی)(?=[\s۔،:)]|$)")
# The page strings that speak of the patient's own therapist, known by then (the booking's, or the time's).
GENDERED_PAGE_STRINGS = {
    "%(name)s is not working at that time.",
    "A line or two helps your physiotherapist prepare.",
    "Your physiotherapist will talk your answers to the safety questions through with you before any needling.",
    "First session with us? Please answer these before your first needling. A “yes” doesn't stop you booking: "
    "your physiotherapist will talk it through with you first. Only the clinic's staff see your answers; "
    "they are never sent in a message.",
}
# Entries with a gendered verb near "therapist" that are not about the patient's own, known therapist:
# the versioned consent (any therapist), general advice, verbs whose subject is something else ("the booking
# can't", "therapists work"), and a message's text (bookings/messaging/: its texts are reworked apart).
NOT_ABOUT_A_KNOWN_THERAPIST = {
    "I have read the safety information and agree to be assessed for dry needling. I understand my "
    "physiotherapist will check my answers with me before any needling.",
    "Most patients need two to six sessions, combined with exercises your physiotherapist shows you. "
    '<a href="%(dry_needling_url)s#your-session">What happens in a session</a>.',
    "Every session is with a qualified physiotherapist trained in dry needling. Choose who you see, and a "
    "female or male therapist if you prefer.",
    "Meet the Aspire Wellness physiotherapists in Karachi: their training, where and when they work, "
    "and their next free times for dry needling.",
    "The information on this site is general and is not a substitute for a consultation with a qualified "
    "physiotherapist or doctor. Your physiotherapist assesses you before any treatment.",
    "%(date)s at <bdi>%(time)s</bdi> with %(name)s can't be booked.",
}
MESSAGE_SOURCES = [
    *(ROOT / "bookings" / "messaging").glob("*.py"),
    *(ROOT / "bookings" / "templates" / "bookings" / "email").iterdir(),
    *(ROOT / "bookings" / "templates" / "bookings" / "sms").iterdir(),
]


def _catalogue():
    return [entry for entry in polib.pofile(str(PO)) if not entry.obsolete]


def _is_a_message(entry) -> bool:
    return any(entry.msgid[:50] in path.read_text() for path in MESSAGE_SOURCES)


def test_every_string_naming_a_therapist_has_a_feminine_and_a_masculine_urdu_form():
    """'Dr. Ayesha Siddiqui موجود نہیں ہوں گے': the verb ignored that she is a woman."""
    by_context = {}
    for entry in _catalogue():
        if entry.msgctxt in {"female", "male"}:
            by_context.setdefault(entry.msgid, {})[entry.msgctxt] = entry.msgstr
    assert set(by_context) >= GENDERED_PAGE_STRINGS, "each needs a 'female' and a 'male' entry"
    for msgid, forms in by_context.items():
        assert set(forms) == {"female", "male"}, msgid
        # The patient ("آپ بُک کر سکتے ہیں") keeps the polite masculine: count the therapist's verbs.
        female, male = forms["female"], forms["male"]
        assert len(FEMININE.findall(female)) > len(FEMININE.findall(male)), (msgid, female)
        assert len(MASCULINE.findall(male)) > len(MASCULINE.findall(female)), (msgid, male)


def test_no_page_string_about_a_therapist_keeps_one_gender_for_both():
    """A new string about the patient's therapist with a gendered verb needs the two contexts too."""
    therapist = re.compile(r"therapist|physio|%\((name|therapist)\)s", re.IGNORECASE)
    one_form = [
        entry.msgid
        for entry in _catalogue()
        if entry.msgctxt is None
        and therapist.search(entry.msgid)
        and (MASCULINE.search(entry.msgstr) or FEMININE.search(entry.msgstr))
        and entry.msgid not in NOT_ABOUT_A_KNOWN_THERAPIST
        and not _is_a_message(entry)
    ]
    assert one_form == []


@pytest.fixture
def urdu_slots():
    SessionTypeFactory()
    clinic = ClinicFactory(slug="clifton")
    day = timezone.localdate() + dt.timedelta(days=3)
    her = PhysiotherapistFactory(name="Dr. Ayesha Siddiqui", gender="female")
    him = PhysiotherapistFactory(name="Dr. Hamza Qureshi", gender="male")
    return {
        "female": SlotFactory(clinic=clinic, physiotherapist=her, starts_at=at(day, dt.time(11))),
        "male": SlotFactory(clinic=clinic, physiotherapist=him, starts_at=at(day, dt.time(12))),
    }


@pytest.mark.parametrize("gender, verb", [("female", "گی"), ("male", "گے")])
def test_the_urdu_booking_form_speaks_of_the_therapist_by_gender(client, urdu_slots, gender, verb):
    for other in urdu_slots.values():  # the blank form is cached: draw the other one first
        client.get(f"/ur/book/slot/{other.pk}/")
    text = parse(client.get(f"/ur/book/slot/{urdu_slots[gender].pk}/")).text
    assert f"تیاری کر سکیں {verb}" in text and f"بات کریں {verb}" in text


@pytest.mark.parametrize("gender, verb", [("female", "گی"), ("male", "گے")])
def test_the_urdu_booking_page_speaks_of_the_therapist_by_gender(client, urdu_slots, gender, verb):
    data = {
        "name": "Ayesha Karim", "phone": "0312-3344556", "consent": "on", "contact_channel": "sms",
        "session_type": SessionType.objects.first().pk,
        **{f"screen_{key}": "no" for key in screening.KEYS}, f"screen_{screening.KEYS[0]}": "yes",
    }  # fmt: skip
    response = client.post(f"/ur/book/slot/{urdu_slots[gender].pk}/", data, follow=True)
    text = parse(response).text
    assert f"حفاظت کے سوالوں کے آپ کے جوابات پر آپ سے بات کریں {verb}" in text  # the page's note


@pytest.mark.parametrize("gender, verb", [("female", "گی"), ("male", "گے")])
def test_an_away_therapist_is_away_by_gender_in_urdu(urdu_slots, gender, verb):
    slot = urdu_slots[gender]
    TimeOff.objects.create(
        physiotherapist=slot.physiotherapist,
        starts_at=slot.starts_at - dt.timedelta(hours=1),
        ends_at=slot.starts_at + dt.timedelta(hours=1),
    )
    slot = Slot.objects.select_related("clinic", "physiotherapist").get(pk=slot.pk)
    with translation.override("ur"):
        assert (
            availability.refusal(slot, channel=Channel.ONLINE)
            == f"{slot.physiotherapist.name} اس وقت موجود نہیں ہوں {verb}۔"
        )
    with translation.override("en"):
        assert (
            availability.refusal(slot, channel=Channel.ONLINE)
            == f"{slot.physiotherapist.name} is not working at that time."
        )


# The gender filter -----------------------------------------------------------


def _therapist_options(html) -> list[str]:
    select = re.search(r'<select[^>]*id="physio".*?</select>', html, re.DOTALL)[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


@pytest.mark.parametrize("path", ["/book/", "/book/clifton/"])
def test_a_female_therapist_chosen_leaves_only_women_to_choose_from(client, urdu_slots, path):
    """With "Female therapist" chosen, the therapist list still offered Dr. Hamza Qureshi."""
    day = timezone.localtime(urdu_slots["female"].starts_at).date().isoformat()
    html = client.get(path, {"gender": "female", "date": day}).content.decode()
    assert _therapist_options(html) == ["Any therapist", "Dr. Ayesha Siddiqui"]
    html = client.get(path, {"gender": "male", "date": day}).content.decode()
    assert _therapist_options(html) == ["Any therapist", "Dr. Hamza Qureshi"]
    html = client.get(path, {"date": day}).content.decode()
    assert _therapist_options(html) == ["Any therapist", "Dr. Ayesha Siddiqui", "Dr. Hamza Qureshi"]


def test_a_therapist_of_the_other_gender_is_not_kept_chosen(client, urdu_slots):
    """A link with ?physio= a man and ?gender=female showed no time at all, and no sign why."""
    day = timezone.localtime(urdu_slots["female"].starts_at).date().isoformat()
    him = urdu_slots["male"].physiotherapist.slug
    html = client.get("/book/clifton/", {"gender": "female", "physio": him, "date": day}).content.decode()
    assert f"/book/slot/{urdu_slots['female'].pk}/" in html
    assert "selected>Dr. Hamza" not in html


# The confirmation ---------------------------------------------------------------


def test_the_confirmation_gives_the_safety_note_once(client, urdu_slots):
    """The page after booking said twice that the therapist will talk the answers through: a message and a note."""
    data = {
        "name": "Ayesha Karim", "phone": "0312-3344556", "consent": "on", "contact_channel": "sms",
        "session_type": SessionType.objects.first().pk,
        **{f"screen_{key}": "no" for key in screening.KEYS}, f"screen_{screening.KEYS[0]}": "yes",
    }  # fmt: skip
    text = parse(client.post(f"/book/slot/{urdu_slots['female'].pk}/", data, follow=True)).text
    assert "Your session is booked" in text
    assert text.count("will talk your answers") == 1
    text = parse(client.get(Booking.objects.get().get_absolute_url())).text  # and when opened again
    assert text.count("will talk your answers") == 1


# The next session -----------------------------------------------------------------


def _attended(patient, therapist, clinic, day):
    slot = SlotFactory(physiotherapist=therapist, clinic=clinic, starts_at=at(day, dt.time(10)))
    return BookingFactory(slot=slot, patient=patient, status=BookingStatus.ATTENDED)


def test_a_third_session_after_two_attended_ones_is_session_3_of_3(client):
    """The two attended sessions were booked one by one (no course yet): the third said "Session 2 of 2"."""
    today = timezone.localdate()
    patient, therapist, clinic = PatientFactory(), PhysiotherapistFactory(), ClinicFactory()
    first = _attended(patient, therapist, clinic, today - dt.timedelta(days=9))
    second = _attended(patient, therapist, clinic, today - dt.timedelta(days=2))
    _attended(patient, therapist, clinic, today - dt.timedelta(days=400))  # last year's: another course
    _attended(patient, PhysiotherapistFactory(), clinic, today - dt.timedelta(days=5))  # another therapist's
    free = SlotFactory(
        physiotherapist=therapist, clinic=clinic, starts_at=at(today + dt.timedelta(days=2), dt.time(11))
    )
    third = courses.next_session_book(booking=second, slot_id=free.pk)
    assert courses.course_position(third) == (3, 3)
    assert [
        courses.course_position(b) for b in Booking.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
    ] == [
        (1, 3),
        (2, 3),
    ]
    assert "Session 3 of 3" in parse(client.get(third.get_absolute_url())).text


def test_the_next_times_offered_spread_over_days_nearest_first(client, django_assert_max_num_queries):
    """All six times offered after a session fell on one day (the soonest six)."""
    today = timezone.localdate()
    booking = _attended(PatientFactory(), PhysiotherapistFactory(), ClinicFactory(), today - dt.timedelta(days=1))
    therapist, clinic = booking.slot.physiotherapist, booking.slot.clinic
    free = {}
    for days, hours in ((3, range(9, 18)), (4, range(9, 12)), (5, [15]), (6, range(9, 18)), (7, range(9, 18))):
        day = today + dt.timedelta(days=days)
        for hour in hours:
            free[(days, hour)] = SlotFactory(physiotherapist=therapist, clinic=clinic, starts_at=at(day, dt.time(hour)))
    offered = courses.next_session_times(booking)
    assert [slot.pk for slot in offered] == [
        free[key].pk for key in ((3, 9), (3, 10), (4, 9), (4, 10), (5, 15), (6, 9))
    ]
    with django_assert_max_num_queries(8):  # the page's budget (test_next_session), however many times there are
        page = client.get(booking.get_absolute_url())
    assert page.content.count(b'action="/booking/') >= 6


def test_with_one_free_day_the_next_times_are_that_days(db):
    today = timezone.localdate()
    booking = _attended(PatientFactory(), PhysiotherapistFactory(), ClinicFactory(), today - dt.timedelta(days=1))
    day = today + dt.timedelta(days=4)
    slots = [
        SlotFactory(
            physiotherapist=booking.slot.physiotherapist, clinic=booking.slot.clinic, starts_at=at(day, dt.time(h))
        )
        for h in range(9, 17)
    ]
    assert [slot.pk for slot in courses.next_session_times(booking)] == [slot.pk for slot in slots[:6]]


# The honeypot -----------------------------------------------------------------------


def _honeypot(html) -> str:
    [field] = re.findall(r'<div class="hp-field"[^>]*>.*?</div>', html, re.DOTALL)
    return field


@pytest.mark.parametrize("page", ["booking", "waitlist"])
def test_the_honeypot_is_in_the_pages_language_and_hidden_from_everyone(client, urdu_slots, page):
    """The waitlist's honeypot said "Leave this empty:" in English on an Urdu page (and a Latin colon on both)."""
    url = f"/ur/book/slot/{urdu_slots['female'].pk}/" if page == "booking" else "/ur/waitlist/clifton/"
    field = _honeypot(client.get(url).content.decode())
    assert '<label for="id_website">اسے خالی چھوڑ دیں</label>' in field
    assert 'aria-hidden="true"' in field and 'tabindex="-1"' in field and 'autocomplete="off"' in field
    english = _honeypot(client.get(url.removeprefix("/ur")).content.decode())
    assert '<label for="id_website">Leave this empty</label>' in english


def test_a_filled_honeypot_on_the_waitlist_joins_nothing(client, urdu_slots):
    from bookings.models import WaitlistEntry

    data = {"name": "Bot", "phone": "0312-3344556", "consent": "on", "website": "http://spam.example"}
    assert client.post("/waitlist/clifton/", data).status_code == 200
    assert not WaitlistEntry.objects.exists()


# Moving a booking -------------------------------------------------------------------


@pytest.fixture
def to_move(db):
    """A booking at 10:00 in 3 days, and its therapist's free time at 15:00 the day after."""
    SessionTypeFactory()
    today = timezone.localdate()
    clinic, therapist = ClinicFactory(slug="clifton"), PhysiotherapistFactory(name="Dr. Ayesha Siddiqui")
    booking = BookingFactory(
        slot=SlotFactory(
            clinic=clinic, physiotherapist=therapist, starts_at=at(today + dt.timedelta(days=3), dt.time(10))
        )
    )
    free = SlotFactory(
        clinic=clinic, physiotherapist=therapist, starts_at=at(today + dt.timedelta(days=4), dt.time(15))
    )
    return booking, free


def test_a_move_asks_first_showing_the_old_and_the_new_time(client, to_move, django_assert_max_num_queries):
    """Moving happened on the first tap, with no confirmation."""
    booking, free = to_move
    day = timezone.localtime(free.starts_at).date()
    move_page = client.get(reverse("bookings:manage_move", args=[booking.manage_token]), {"date": day.isoformat()})
    confirm_url = reverse("bookings:manage_move_to", args=[booking.manage_token, free.pk])
    page = parse(move_page)
    assert confirm_url in page.links()  # a link to the question, not a form that moves
    assert page.count("form", action=confirm_url) == 0
    with django_assert_max_num_queries(5):  # the booking, the time, its state, the session
        confirm = client.get(confirm_url)
    assert "no-store" in confirm["Cache-Control"]
    text = parse(confirm).text
    old, new = (timezone.localtime(s.starts_at) for s in (booking.slot, free))
    assert f"{old:%A} {old.day} {old:%B}, 10:00" in text and f"{new:%A} {new.day} {new:%B}, 15:00" in text
    assert parse(confirm).count("form", action=confirm_url) == 1 and "Yes, move it" in text
    booking.refresh_from_db()
    assert booking.slot_id != free.pk  # asking changes nothing
    response = client.post(confirm_url, follow=True)
    booking.refresh_from_db()
    assert booking.slot_id == free.pk and "Your session has moved" in response.content.decode()


def test_asking_to_move_to_a_time_no_longer_free_goes_back_to_the_times(client, to_move):
    booking, free = to_move
    BookingFactory(slot=free)
    response = client.get(reverse("bookings:manage_move_to", args=[booking.manage_token, free.pk]), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("bookings:manage_move", args=[booking.manage_token]))
    assert "just taken" in response.content.decode()


def test_the_move_page_has_the_booking_pages_day_strip_and_date(client, to_move, django_assert_max_num_queries):
    """The move page went day by day, with no day strip or date as booking has."""
    booking, free = to_move
    day = timezone.localtime(free.starts_at).date()
    url = reverse("bookings:manage_move", args=[booking.manage_token])
    with django_assert_max_num_queries(3):  # the booking, the strip's times, the session
        page = parse(client.get(url, {"date": day.isoformat(), "therapists": "all"}))
    strip = [link for link in page.links() if link.startswith("?date=")]
    today = timezone.localdate()
    assert strip[:14] == [f"?date={today + dt.timedelta(days=i)}&therapists=all" for i in range(14)]
    assert page.count("a", **{"aria-current": "date"}) == 1
    assert f"{day:%A} {day.day} {day:%B}" in page.text  # the day's date, as a heading
    assert page.count("nav", **{"class": "day-strip"}) == 1
