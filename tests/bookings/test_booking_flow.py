"""What a patient does: choose, book, confirm, manage. Every step, rule, message and bad input."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from bookings.messaging.local_channels import LocmemBackend
from bookings.models import Booking, BookingStatus, Slot
from bookings.timeutils import at
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_outboxes(monkeypatch):
    LocmemBackend.outbox.clear()
    from django.core.cache import cache

    cache.clear()
    # These tests run inside one transaction that never commits: run on-commit work at once.
    # test_messages_wait_for_the_commit checks the real order.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton", slug="clifton", email="clifton@example.com")


@pytest.fixture
def slot(clinic, session_type):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana Malik"), starts_at=start)


def form_data(session_type_, **overrides):
    data = {
        "name": "Ayesha Karim",
        "phone": "0312-3344556",
        "email": "ayesha@example.com",
        "session_type": session_type_.pk,
        "notes": "Stiff neck",
        "consent": "on",
        "website": "",
    }
    return {**data, **overrides}


def book_url(slot):
    return reverse("bookings:book_slot", args=[slot.pk])


# Choosing -------------------------------------------------------------------


def test_choose_clinic_shows_each_clinics_next_free_time(client, slot):
    page = parse(client.get("/book/"))
    assert "Clifton" in page.text
    assert f"Next free time: {timezone.localtime(slot.starts_at):%a} " in page.text
    assert f"/book/clifton/?date={timezone.localtime(slot.starts_at):%Y-%m-%d}" in page.links()


def test_choose_clinic_filters_by_therapist_gender(client, slot):
    assert "Next free time" in parse(client.get("/book/", {"gender": "female"})).text
    assert "No free times online" in parse(client.get("/book/", {"gender": "male"})).text


def test_clinic_day_shows_free_times_grouped_with_therapist(client, slot):
    day = timezone.localtime(slot.starts_at).date()
    page = parse(client.get("/book/clifton/", {"date": day.isoformat()}))
    assert book_url(slot) in page.links()
    assert "Dr. Sana Malik" in page.text
    part = (
        "Morning"
        if timezone.localtime(slot.starts_at).hour < 12
        else "Afternoon"
        if timezone.localtime(slot.starts_at).hour < 17
        else "Evening"
    )
    assert part in page.text


def test_day_strip_starts_today(client, slot):
    page = parse(client.get("/book/clifton/"))
    assert "Today" in page.text
    assert f"?date={timezone.localdate():%Y-%m-%d}" in page.links()


def test_empty_day_points_to_the_next_free_day(client, slot):
    # Today is a working day at the clinic, with its one time already taken.
    BookingFactory(slot=SlotFactory(clinic=slot.clinic, starts_at=timezone.now() + dt.timedelta(minutes=5)))
    page = parse(client.get("/book/clifton/", {"date": timezone.localdate().isoformat()}))
    day = timezone.localtime(slot.starts_at).date()
    assert "No free times on" in page.text and "Tell me when a time frees" in page.text
    assert f"?date={day:%Y-%m-%d}" in page.links()


def test_a_day_the_clinic_is_closed_says_so_and_offers_no_waitlist(client, slot):
    """A closed Sunday is not a fully booked day: no one should wait for a time on it."""
    page = parse(client.get("/book/clifton/", {"date": timezone.localdate().isoformat()}))
    day = timezone.localtime(slot.starts_at).date()
    assert "Aspire Wellness Clifton is closed on" in page.text and "No free times" not in page.text
    assert "Tell me when a time frees" not in page.text
    assert f"?date={day:%Y-%m-%d}" in page.links()  # still: the next free day


def test_the_next_free_day_may_lie_beyond_the_days_shown(client, clinic):
    """The strip shows two weeks; a clinic booked up until week four still offers its next free day."""
    later = SlotFactory(clinic=clinic, starts_at=timezone.now() + dt.timedelta(days=25))
    BookingFactory(slot=SlotFactory(clinic=clinic, starts_at=later.starts_at - dt.timedelta(days=1)))
    page = parse(client.get("/book/clifton/", {"date": timezone.localdate().isoformat()}))
    assert f"?date={timezone.localtime(later.starts_at):%Y-%m-%d}" in page.links()


def test_taken_blocked_and_too_soon_times_are_not_offered(client, clinic):
    now = timezone.now()
    taken = BookingFactory(slot=SlotFactory(clinic=clinic, starts_at=now + dt.timedelta(days=1))).slot
    blocked = SlotFactory(clinic=clinic, starts_at=now + dt.timedelta(days=1, hours=1), is_blocked=True)
    too_soon = SlotFactory(clinic=clinic, starts_at=now + dt.timedelta(minutes=30))
    for day in {timezone.localtime(s.starts_at).date() for s in (taken, blocked, too_soon)}:
        links = parse(client.get("/book/clifton/", {"date": day.isoformat()})).links()
        for slot in (taken, blocked, too_soon):
            assert book_url(slot) not in links


def test_htmx_gets_the_fragment(client, slot):
    response = client.get("/book/clifton/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'id="day-times"' in body


def test_back_to_a_day_htmx_no_longer_holds_gets_the_whole_page(client, slot):
    """
    htmx keeps the last 10 days it swapped in; going Back further, it asks the server for the
    page (HX-Request and HX-History-Restore-Request) and puts the answer in place of the whole
    <body>: a fragment there left the patient a page with no header, menu or footer.
    """
    htmx = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    body = client.get("/book/clifton/", headers=htmx).content.decode()
    assert "<html" in body and 'class="site-header"' in body and 'id="day-times"' in body
    assert "<html" not in client.get("/book/clifton/", headers={"HX-Request": "true"}).content.decode()


@pytest.mark.parametrize(
    "params", [{"date": "not-a-date"}, {"date": "1999-01-01"}, {"physio": "nobody"}, {"gender": "x"}]
)
def test_bad_filters_fall_back_to_sensible_defaults(client, slot, params):
    assert client.get("/book/clifton/", params).status_code == 200


def test_unknown_clinic_is_404(client):
    assert client.get("/book/nowhere/").status_code == 404


def test_day_of_times_query_count_is_flat(client, clinic):
    therapists = [PhysiotherapistFactory() for _ in range(4)]
    day = timezone.localdate() + dt.timedelta(days=3)

    def fill(n, offset):
        for therapist in therapists:
            for i in range(n):
                start = timezone.make_aware(dt.datetime.combine(day, dt.time(8))) + dt.timedelta(
                    minutes=45 * (offset + i)
                )
                slot = SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=start)
                if i % 3 == 0:
                    BookingFactory(slot=slot)

    def count():
        from django.core.cache import cache

        cache.clear()  # the page made afresh, not the page cache's copy
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/book/clifton/", {"date": day.isoformat()}).status_code == 200
        return len(ctx.captured_queries)

    fill(2, 0)
    small = count()
    fill(20, 2)
    # The clinic, its fortnight of free times (the strip, the day and the therapists in one), the footer.
    assert count() == small == 3


def test_day_fragment_costs_two_queries_whatever_the_bookings(client, clinic, django_assert_num_queries):
    # One day's times from 09:00 (they once ran on from now, past midnight after 15:45 in Karachi, and the
    # day asked for then held one booked time: the page looked for the next free day, with more queries).
    day = timezone.localdate() + dt.timedelta(days=2)
    for i in range(12):
        slot = SlotFactory(clinic=clinic, starts_at=at(day, dt.time(9)) + dt.timedelta(minutes=45 * i))
        if i % 2:
            BookingFactory(slot=slot)
    with django_assert_num_queries(2):  # the clinic and its fortnight of free times
        response = client.get("/book/clifton/", {"date": day.isoformat()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="day-times"' in response.content.decode()


def therapist_choices(response) -> list[str]:
    body = response.content.decode()
    select = body[body.index('name="physio"') : body.index("</select>", body.index('name="physio"'))]
    return [name for name in re.findall(r"<option [^>]*>([^<]*)</option>", select) if name != "Any therapist"]


def test_the_therapists_to_choose_are_those_with_a_time_in_the_days_shown(client, clinic):
    now = timezone.now()
    soon = SlotFactory(
        clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Soon"), starts_at=now + dt.timedelta(days=2)
    )
    later = SlotFactory(
        clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Later"), starts_at=now + dt.timedelta(days=30)
    )
    today = client.get("/book/clifton/")
    assert therapist_choices(today) == ["Dr. Soon"]
    # The strip moves with the chosen day, and the choice with it.
    month = client.get("/book/clifton/", {"date": timezone.localtime(later.starts_at).date().isoformat()})
    assert therapist_choices(month) == ["Dr. Later"]
    # Filtered by a therapist with no time in these days: still chosen, and the strip is empty.
    chosen = client.get("/book/clifton/", {"physio": later.physiotherapist.slug})
    assert "selected>Dr. Later</option>" in chosen.content.decode()
    assert book_url(soon) not in parse(chosen).links()


def test_the_filters_narrow_the_day_and_its_strip_and_the_links_keep_them(client, clinic):
    day = timezone.localdate() + dt.timedelta(days=2)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))  # both times on that day in Karachi
    sana = SlotFactory(
        clinic=clinic, physiotherapist=PhysiotherapistFactory(name="Dr. Sana", gender="female"), starts_at=start
    )
    omar = SlotFactory(
        clinic=clinic,
        physiotherapist=PhysiotherapistFactory(name="Dr. Omar", gender="male"),
        starts_at=start + dt.timedelta(hours=1),
    )
    day = day.isoformat()
    for params, shown, hidden in [
        ({"gender": "female"}, sana, omar),
        ({"gender": "male"}, omar, sana),
        ({"physio": omar.physiotherapist.slug}, omar, sana),
    ]:
        page = parse(client.get("/book/clifton/", {"date": day, **params}))
        assert book_url(shown) in page.links() and book_url(hidden) not in page.links(), params
        key, value = next(iter(params.items()))
        assert f"?date={day}&{key}={value}" in page.links(), params


# Booking ----------------------------------------------------------------------


def test_form_shows_time_clinic_and_therapist(client, slot):
    page = parse(client.get(book_url(slot)))
    assert "Dr. Sana Malik" in page.text and "Clifton" in page.text
    assert page.count("input", name="consent") == 1


def test_booking_redirects_to_the_manage_page_and_tells_everyone(client, slot, session_type):
    response = client.post(book_url(slot), form_data(session_type))
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    assert booking.source == "online" and booking.consent and booking.patient.contact.phone.as_e164 == "+923123344556"
    patient_mail, reception_mail = sorted(mail.outbox, key=lambda m: m.to[0])
    assert patient_mail.to == ["ayesha@example.com"]
    assert booking.reference in patient_mail.body and booking.get_absolute_url() in patient_mail.body
    assert patient_mail.alternatives[0][1] == "text/html"
    ics = Calendar.from_ical(patient_mail.attachments[0][1])
    assert [e.get("dtstart").dt for e in ics.walk("VEVENT")] == [slot.starts_at]
    assert reception_mail.to == ["clifton@example.com"] and booking.reference in reception_mail.subject
    [sms] = LocmemBackend.outbox
    # The text links to the booking's page (its reference is there and in the email: a text has no room).
    assert sms["to"] == "+923123344556" and booking.get_short_url() in sms["body"]


def test_booking_without_email_still_sends_a_text(client, slot, session_type):
    client.post(book_url(slot), form_data(session_type, email=""))
    assert [m.to for m in mail.outbox] == [["clifton@example.com"]]
    assert len(LocmemBackend.outbox) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Enter a valid phone number"),
        ("phone", "021-35871234", "That is not a mobile number"),
        ("phone", "0800-12345", "That is not a mobile number"),
        ("phone", "042-111-111-111", "That is not a mobile number"),
        ("phone", "0309-5885076 ext. 12", "without an extension"),
        ("phone", "", "Enter your mobile number"),
        ("name", "", "Enter the name of the person coming"),
        ("name", "x" * 500, "at most 120 characters"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("consent", "", "Please confirm you have read the safety information"),
        ("session_type", "999999", "Choose a session"),
        ("notes", "y" * 5000, "at most 1000 characters"),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_written(client, slot, session_type, field, value, message):
    response = client.post(book_url(slot), form_data(session_type, **{field: value}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please check the form" in body and message in body
    assert not Booking.objects.exists() and not mail.outbox and not LocmemBackend.outbox


@pytest.mark.parametrize("spelling", ["0312-3344556", "03123344556", "+92 312 3344556", "0092 312 3344556"])
def test_phone_in_any_usual_spelling(client, slot, session_type, spelling):
    assert client.post(book_url(slot), form_data(session_type, phone=spelling)).status_code == 302
    assert Booking.objects.get().phone.as_e164 == "+923123344556"


def test_a_second_booking_at_an_overlapping_time_is_a_form_error(client, slot, session_type):
    """One person, one place: the patient is told on the form, not given a server error."""
    overlapping = SlotFactory(clinic=slot.clinic, starts_at=slot.starts_at + dt.timedelta(minutes=15))
    client.post(book_url(slot), form_data(session_type))
    response = client.post(book_url(overlapping), form_data(session_type))
    assert response.status_code == 400
    assert "already has a session booked at an overlapping time" in response.content.decode()
    assert Booking.objects.count() == 1


def test_a_mobile_from_abroad_is_accepted(client, slot, session_type):
    """WhatsApp reaches a visitor's UAE mobile; the number is kept as given."""
    assert client.post(book_url(slot), form_data(session_type, phone="+971 50 123 4567")).status_code == 302
    assert Booking.objects.get().phone.as_e164 == "+971501234567"


def test_hostile_strings_are_stored_as_text_and_escaped(client, slot, session_type):
    response = client.post(book_url(slot), form_data(session_type, notes="\x00 null"))
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()
    client.post(book_url(slot), form_data(session_type, name="<script>alert(1)</script>", notes="\x07<b>hi</b>"))
    booking = Booking.objects.get()
    assert booking.notes == "<b>hi</b>"
    body = client.get(booking.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body


def test_taken_slot_shows_the_nearest_free_times(client, slot, session_type):
    other = SlotFactory(clinic=slot.clinic, starts_at=slot.starts_at + dt.timedelta(hours=1))
    BookingFactory(slot=slot)
    response = client.post(book_url(slot), form_data(session_type))
    assert response.status_code == 409
    page = parse(response)
    assert "no longer available" in page.text and "just taken" in page.text
    assert book_url(other) in page.links()
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("kind", ["blocked", "past", "too_soon", "too_far"])
def test_unbookable_slot_shows_alternatives_instead_of_the_form(client, clinic, kind):
    now = timezone.now()
    starts = {
        "blocked": now + dt.timedelta(days=1),
        "past": now - dt.timedelta(hours=3),
        "too_soon": now + dt.timedelta(minutes=30),
        "too_far": now + dt.timedelta(days=90),
    }[kind]
    bad = SlotFactory(clinic=clinic, starts_at=starts, is_blocked=kind == "blocked")
    good = SlotFactory(clinic=clinic, starts_at=now + dt.timedelta(days=2))
    page = parse(client.get(book_url(bad)))
    assert "no longer available" in page.text
    assert page.count("input", name="consent") == 0
    assert book_url(good) in page.links()


def test_tampered_slot_id_is_404(client):
    assert client.get("/book/slot/99999999/").status_code == 404
    assert client.get("/book/slot/abc/").status_code == 404


def drawn_form_key(client, slot) -> str:
    """The one-time key of the form the page draws for this slot."""
    [key] = [attrs["value"] for tag, attrs in parse(client.get(book_url(slot))).tags if attrs.get("name") == "form_key"]
    return key


def test_double_submit_makes_one_booking(client, slot, session_type):
    key = drawn_form_key(client, slot)
    first = client.post(book_url(slot), form_data(session_type, form_key=key))
    second = client.post(book_url(slot), form_data(session_type, form_key=key))
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1


def test_every_drawn_form_has_its_own_key(client, slot):
    assert drawn_form_key(client, slot) != drawn_form_key(client, slot)


def test_a_phone_number_alone_never_leads_to_the_booking(client, slot, session_type):
    """A stranger who knows a patient's number and posts it for the patient's time is told it is taken, as anyone is."""
    key = drawn_form_key(client, slot)
    client.post(book_url(slot), form_data(session_type, form_key=key))
    booking = Booking.objects.get()
    stranger = Client()
    with_patients_phone = stranger.post(book_url(slot), form_data(session_type, name="Stranger"))
    with_own_phone = stranger.post(book_url(slot), form_data(session_type, name="Stranger", phone="0333-1112223"))
    with_a_guessed_key = stranger.post(book_url(slot), form_data(session_type, form_key="guess"))
    for response in (with_patients_phone, with_own_phone, with_a_guessed_key):
        assert response.status_code == 409
        assert booking.manage_token not in response.content.decode() and not response.has_header("Location")
    # The page says nothing about whose booking it is: the same for the patient's number as for another.
    assert parse(with_patients_phone).text == parse(with_own_phone).text
    assert Booking.objects.count() == 1


def test_missing_csrf_is_refused(slot, session_type):
    response = Client(enforce_csrf_checks=True).post(book_url(slot), form_data(session_type))
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_honeypot_books_nothing(client, slot, session_type):
    response = client.post(book_url(slot), form_data(session_type, website="http://spam.example"))
    assert response.status_code == 200
    assert not Booking.objects.exists()


def test_rate_limit_per_address(client, slot, session_type, settings):
    settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR = 3
    for _ in range(3):
        client.post(book_url(slot), form_data(session_type, phone="12"))
    response = client.post(book_url(slot), form_data(session_type))
    assert response.status_code == 429
    assert "try again a little later" in response.content.decode()
    assert not Booking.objects.exists()


def test_rate_limit_per_phone(client, clinic, session_type, settings):
    settings.ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR = 2
    settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR = 100
    slots = [SlotFactory(clinic=clinic) for _ in range(3)]
    codes = [
        client.post(book_url(s), form_data(session_type), REMOTE_ADDR=f"10.0.0.{i}").status_code
        for i, s in enumerate(slots)
    ]
    assert codes == [302, 302, 429]


def test_at_most_n_upcoming_bookings_per_phone(client, clinic, session_type, settings):
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = 2
    slots = [SlotFactory(clinic=clinic) for _ in range(3)]
    assert [client.post(book_url(s), form_data(session_type)).status_code for s in slots[:2]] == [302, 302]
    response = client.post(book_url(slots[2]), form_data(session_type))
    assert response.status_code == 400
    assert "one phone number 2 for everyone it books for" in response.content.decode()
    assert "please call Aspire Wellness Clifton" in response.content.decode()
    # The number to call is one tap away (it was plain text in the message).
    call = r'<a class="btn btn-primary" href="tel:[^"]+">Call Aspire Wellness Clifton</a>'
    assert re.search(call, response.content.decode())


def test_a_failing_email_never_loses_the_booking(client, slot, session_type, monkeypatch):
    from bookings.models import Message

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    response = client.post(book_url(slot), form_data(session_type))
    assert response.status_code == 302
    assert Booking.objects.filter(slot=slot, status=BookingStatus.CONFIRMED).exists()
    # The emails wait in the outbox for another try; the text message went.
    emails = Message.objects.filter(channel="email")
    assert emails.count() == 2 and all(m.status == "queued" and m.attempts == 1 for m in emails)
    assert "SMTP is down" in emails.first().last_error
    assert Message.objects.get(channel="sms").status == "sent"


def test_a_failing_text_backend_never_loses_the_booking(client, slot, session_type, settings):
    from bookings.models import Message

    settings.ASPIRE_SMS_CHANNEL = "bookings.messaging.NoSuchBackend"
    assert client.post(book_url(slot), form_data(session_type)).status_code == 302
    assert Booking.objects.exists()
    text = Message.objects.get(channel="sms")
    assert text.status == "queued" and text.attempts == 1 and "NoSuchBackend" in text.last_error


def test_file_text_backend_writes_one_line_per_message(client, slot, session_type, settings, tmp_path):
    import json

    settings.ASPIRE_SMS_CHANNEL = "bookings.messaging.local_channels.FileBackend"
    settings.ASPIRE_SMS_FILE_PATH = str(tmp_path / "sms.log")
    client.post(book_url(slot), form_data(session_type))
    [line] = (tmp_path / "sms.log").read_text().splitlines()
    assert json.loads(line)["to"] == "+923123344556"


# Managing ---------------------------------------------------------------------


@pytest.fixture
def booked(client, slot, session_type):
    client.post(book_url(slot), form_data(session_type))
    mail.outbox.clear()
    LocmemBackend.outbox.clear()
    return Booking.objects.get()


def test_manage_page_has_everything_a_patient_needs(client, booked):
    page = parse(client.get(booked.get_absolute_url()))
    assert booked.reference in page.text and "Dr. Sana Malik" in page.text
    assert "How to prepare" in page.text and "After your session" in page.text
    links = page.links()
    assert reverse("bookings:manage_ics", args=[booked.manage_token]) in links
    assert any(link.startswith("https://calendar.google.com/calendar/render?") for link in links)
    assert reverse("bookings:manage_cancel", args=[booked.manage_token]) in links
    assert reverse("bookings:manage_move", args=[booked.manage_token]) in links


def test_ics_is_a_valid_calendar_event(client, booked):
    response = client.get(reverse("bookings:manage_ics", args=[booked.manage_token]))
    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.get("dtstart").dt == booked.slot.starts_at
    assert "Clifton" in str(event.get("location"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_calendar_events_never_carry_the_key_to_the_booking(client, booked):
    """A calendar provider (or whoever the calendar is shared with) must not be able to cancel the session."""
    from urllib.parse import parse_qs, urlsplit

    page = parse(client.get(booked.get_absolute_url()))
    [google] = [link for link in page.links() if link.startswith("https://calendar.google.com/")]
    assert booked.manage_token not in google
    assert booked.reference in parse_qs(urlsplit(google).query)["details"][0]
    ics = client.get(reverse("bookings:manage_ics", args=[booked.manage_token])).content.decode()
    assert booked.manage_token not in ics.replace("\r\n ", "")


@pytest.mark.parametrize("token", ["x", "not-a-real-token-at-all", "a" * 300])
def test_tampered_token_is_404(client, booked, token):
    assert client.get(f"/booking/{token}/").status_code == 404
    assert client.get(f"/booking/{token}/calendar.ics").status_code == 404
    assert client.post(f"/booking/{token}/cancel/").status_code == 404


def test_cancel_asks_first_then_frees_the_time(client, booked):
    url = reverse("bookings:manage_cancel", args=[booked.manage_token])
    assert "Yes, cancel it" in client.get(url).content.decode()
    booked.refresh_from_db()
    assert booked.status == BookingStatus.CONFIRMED  # a GET changes nothing
    response = client.post(url, follow=True)
    booked.refresh_from_db()
    assert booked.status == BookingStatus.CANCELLED
    assert "Your session is cancelled" in response.content.decode()
    assert (
        book_url(booked.slot)
        in parse(
            client.get("/book/clifton/", {"date": f"{timezone.localtime(booked.slot.starts_at):%Y-%m-%d}"})
        ).links()
    )
    assert {m.to[0] for m in mail.outbox} == {"ayesha@example.com", "clifton@example.com"}
    assert "cancelled" in LocmemBackend.outbox[0]["body"]


def test_after_the_cutoff_the_page_says_to_call(client, booked):
    Slot.objects.filter(pk=booked.slot_id).update(
        starts_at=timezone.now() + dt.timedelta(hours=3), ends_at=timezone.now() + dt.timedelta(hours=4)
    )
    page = parse(client.get(booked.get_absolute_url()))
    assert "can't be changed online" in page.text and "0309-5885076" in page.text
    client.post(reverse("bookings:manage_cancel", args=[booked.manage_token]))
    booked.refresh_from_db()
    assert booked.status == BookingStatus.CONFIRMED


def test_move_to_another_free_time(client, booked):
    new = SlotFactory(
        clinic=booked.slot.clinic,
        physiotherapist=booked.slot.physiotherapist,  # the move page shows the patient's therapist first
        starts_at=booked.slot.starts_at + dt.timedelta(hours=2),
    )
    page = parse(
        client.get(
            reverse("bookings:manage_move", args=[booked.manage_token]),
            {"date": f"{timezone.localtime(new.starts_at):%Y-%m-%d}"},
        )
    )
    assert reverse("bookings:manage_move_to", args=[booked.manage_token, new.pk]) in page.links()  # it asks first
    client.post(reverse("bookings:manage_move_to", args=[booked.manage_token, new.pk]))
    booked.refresh_from_db()
    assert booked.slot == new
    assert "moved" in mail.outbox[0].subject
    assert mail.outbox[0].attachments


def test_reception_is_told_when_a_patient_moves_online(client, booked):
    old_start = timezone.localtime(booked.slot.starts_at)
    new = SlotFactory(clinic=booked.slot.clinic, starts_at=booked.slot.starts_at + dt.timedelta(hours=2))
    client.post(reverse("bookings:manage_move_to", args=[booked.manage_token, new.pk]))
    [to_reception] = [m for m in mail.outbox if m.to == ["clifton@example.com"]]
    assert to_reception.subject.startswith("Online move:") and booked.reference in to_reception.subject
    assert "Moved online by the patient" in to_reception.body
    # The desk's one way of writing a day ("Tue 8 Dec 2026"), as in the schedule and the subject.
    assert f"Was: {old_start:%a} {old_start.day} {old_start:%b %Y, %H:%M}" in to_reception.body


def test_a_patient_cannot_move_to_another_clinic(client, booked):
    """The move page offers the same clinic's times; a hand-made POST for another clinic's is refused as well."""
    elsewhere = SlotFactory(clinic=ClinicFactory(), starts_at=booked.slot.starts_at + dt.timedelta(hours=2))
    response = client.post(reverse("bookings:manage_move_to", args=[booked.manage_token, elsewhere.pk]), follow=True)
    assert "only to another time at the same clinic" in response.content.decode()
    old = booked.slot
    booked.refresh_from_db()
    assert booked.slot == old and not mail.outbox


def test_move_to_a_taken_time_says_so(client, booked):
    taken = BookingFactory(slot=SlotFactory(clinic=booked.slot.clinic)).slot
    response = client.post(reverse("bookings:manage_move_to", args=[booked.manage_token, taken.pk]), follow=True)
    assert "just taken" in response.content.decode()
    old = booked.slot
    booked.refresh_from_db()
    assert booked.slot == old


def test_get_never_sends_a_message(client, booked):
    client.get(booked.get_absolute_url())
    client.get(reverse("bookings:manage_ics", args=[booked.manage_token]))
    assert not mail.outbox and not LocmemBackend.outbox


# Reminders --------------------------------------------------------------------


@pytest.fixture
def any_hour(settings):
    """Message hours around the clock, for tests that run the command at whatever time it is."""
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 0, 24


def booked_days_ahead(booking, days=3):
    """Make `booking` one that was made `days` before its session (factories make it now)."""
    Booking.objects.filter(pk=booking.pk).update(created_at=booking.slot.starts_at - dt.timedelta(days=days))
    return booking


def at_local(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_reminders_go_once_to_tomorrows_sessions(session_type, any_hour):
    from django.core.management import call_command

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    start = at_local(tomorrow, 11)
    due = booked_days_ahead(BookingFactory(slot=SlotFactory(starts_at=start), email="a@example.com"))
    booked_days_ahead(BookingFactory(slot=SlotFactory(starts_at=start + dt.timedelta(days=1))))  # not yet
    BookingFactory(slot=SlotFactory(starts_at=start + dt.timedelta(hours=1)), status=BookingStatus.CANCELLED)
    call_command("send_reminders")
    call_command("send_reminders")
    assert [m["to"] for m in LocmemBackend.outbox] == [due.phone.as_e164]
    assert "tomorrow" in LocmemBackend.outbox[0]["body"]
    assert len(mail.outbox) == 1 and "Reminder" in mail.outbox[0].subject


@pytest.mark.parametrize(("hour", "minute", "sent"), [(0, 5, 0), (8, 59, 0), (9, 0, 1), (20, 59, 1), (21, 0, 0)])
def test_reminders_go_out_only_between_nine_and_nine(session_type, hour, minute, sent):
    """Not just after midnight: the day-before reminder waits for 09:00 and stops at 21:00, Karachi time."""
    from bookings.messaging import dispatch

    today = timezone.localdate()
    booked_days_ahead(BookingFactory(slot=SlotFactory(starts_at=at_local(today + dt.timedelta(days=1), 23))))
    assert dispatch.reminders_send(now=at_local(today, hour, minute)) == sent


def test_a_booking_made_less_than_a_day_ahead_gets_no_separate_reminder(session_type):
    from bookings.messaging import dispatch

    today = timezone.localdate()
    late = BookingFactory(slot=SlotFactory(starts_at=at_local(today + dt.timedelta(days=1), 10)))
    Booking.objects.filter(pk=late.pk).update(created_at=at_local(today, 12))  # 22 hours before
    early = booked_days_ahead(BookingFactory(slot=SlotFactory(starts_at=at_local(today + dt.timedelta(days=1), 11))))
    assert dispatch.reminders_send(now=at_local(today, 18)) == 1
    assert [m["to"] for m in LocmemBackend.outbox] == [early.phone.as_e164]


def test_aftercare_waits_for_message_hours(session_type):
    from bookings.messaging import dispatch

    today = timezone.localdate()
    BookingFactory(
        slot=SlotFactory(starts_at=at_local(today, 20), ends_at=at_local(today, 20, 45)), status=BookingStatus.ATTENDED
    )
    assert dispatch.aftercare_send(now=at_local(today, 21, 30)) == 0
    assert dispatch.aftercare_send(now=at_local(today + dt.timedelta(days=1), 9)) == 1


def test_aftercare_goes_once_after_an_attended_session(session_type, any_hour):
    from bookings.messaging import dispatch

    now = timezone.now()
    attended = BookingFactory(
        slot=SlotFactory(starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(hours=1)),
        status=BookingStatus.ATTENDED,
    )
    BookingFactory(
        slot=SlotFactory(starts_at=now - dt.timedelta(hours=4), ends_at=now - dt.timedelta(hours=3)),
        status=BookingStatus.NO_SHOW,
    )
    assert dispatch.aftercare_send() == 1
    assert dispatch.aftercare_send() == 0
    assert [m["to"] for m in LocmemBackend.outbox] == [attended.phone.as_e164]


@pytest.mark.django_db(transaction=True)
def test_messages_wait_for_the_commit(monkeypatch):
    """Nothing is sent for a booking whose transaction rolls back; everything after one that commits."""
    from django.db import transaction

    from bookings.booking import services

    monkeypatch.undo()
    LocmemBackend.outbox.clear()
    session_type = SessionTypeFactory()
    slot = SlotFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.book_online(slot_id=slot.pk, session_type=session_type, name="A", phone="03123344556")
        raise RuntimeError("something later in the request failed")
    assert not Booking.objects.exists() and LocmemBackend.outbox == []
    with transaction.atomic():
        services.book_online(slot_id=slot.pk, session_type=session_type, name="A", phone="03123344556")
        assert LocmemBackend.outbox == []
    assert len(LocmemBackend.outbox) == 1


def test_a_cancelled_bookings_page_offers_another_time_not_aftercare(client, db):
    booking = BookingFactory(status=BookingStatus.CANCELLED)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert "Book another time" in html and booking.slot.clinic.slug in html
    assert "After your session" not in html and "Language of your messages" not in html


def test_the_move_page_offers_the_patients_own_therapist_first(client, db):
    """A patient who chose a therapist was moved to another with one tap: the list mixed everyone."""
    day = timezone.localdate() + dt.timedelta(days=2)  # at 10:00, so that the later times fall on the same day
    booking = BookingFactory(slot=SlotFactory(starts_at=at(day, dt.time(10))))
    mine = SlotFactory(clinic=booking.slot.clinic, physiotherapist=booking.slot.physiotherapist,
                       starts_at=booking.slot.starts_at + dt.timedelta(hours=1))  # fmt: skip
    other = SlotFactory(clinic=booking.slot.clinic, starts_at=booking.slot.starts_at + dt.timedelta(hours=2))
    url = reverse("bookings:manage_move", args=[booking.manage_token])
    html = client.get(url, {"date": day.isoformat()}).content.decode()
    mine_url = reverse("bookings:manage_move_to", args=[booking.manage_token, mine.pk])
    other_url = reverse("bookings:manage_move_to", args=[booking.manage_token, other.pk])
    assert mine_url in html and other_url not in html
    html = client.get(url, {"date": day.isoformat(), "therapists": "all"}).content.decode()
    assert mine_url in html and other_url in html


def test_the_booking_page_says_where_the_messages_go(client, db):
    booking = BookingFactory(phone="+923123344556")
    assert "0312 3344556" in client.get(booking.get_absolute_url()).content.decode()
