"""
The booking's calendar file, downloaded and in its emails: PUBLISH, REQUEST and CANCEL that
calendar apps take (RFC 5545 and 5546), read by icalendar and by tests/ical_strict.py, a second
reader written apart from it; a move raises SEQUENCE, a cancellation removes the event, an
alarm reminds, and an Urdu booking's file is in Urdu.
"""

import datetime as dt
import re
from email.utils import parseaddr
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from bookings.booking import services
from bookings.calendar import google_calendar_url
from bookings.timeutils import at
from tests import ical_strict
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

URDU_LETTERS = re.compile("[\u0621-\u064a\u0671-\u06d3]")  # letters, not the Urdu comma
ENGLISH_WORDS = {"Booking reference", "With", "To cancel", "Karachi", "starts in"}


@pytest.fixture(autouse=True)
def run_on_commit_at_once(monkeypatch):
    # One transaction that never commits: run on-commit work (the worker, so the emails) at once.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def clinic():
    return ClinicFactory(
        name="Clifton",
        slug="clifton",
        email="clifton@example.com",
        address="Plot 14-C, Block 5",
        address_ur="پلاٹ 14-C، بلاک 5",
    )


@pytest.fixture
def slots(clinic):
    SessionTypeFactory(name_ur="فالو اپ ڈرائی نیڈلنگ")  # the one book() books
    therapist = PhysiotherapistFactory(name="Dr. Sana Malik")
    day = dt.date.today() + dt.timedelta(days=5)
    return [SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=at(day, dt.time(h))) for h in (10, 11, 12)]


def book(slot, language="en-gb"):
    mail.outbox.clear()
    return services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha Karim", phone="0312-3344556",
        email="ayesha@example.com", language=language,
    )  # fmt: skip


def patient_calendar(outbox=None):
    """The calendar file of the one email to the patient in the outbox: (MIME type, content)."""
    [email] = [m for m in (outbox or mail.outbox) if m.to == ["ayesha@example.com"]]
    [(filename, content, mimetype)] = email.attachments
    assert filename.endswith(".ics")
    return mimetype, content.encode() if isinstance(content, str) else content


def both_read(data: bytes):
    """Read `data` with icalendar and with the strict reader; return (icalendar's event, the strict reader's)."""
    strict = ical_strict.read(data)
    [event] = Calendar.from_ical(data).walk("VEVENT")
    [strict_event] = strict.walk("VEVENT")
    assert str(event["uid"]) == strict_event.get("UID").value
    assert int(event.get("sequence", 0)) == int(strict_event.get("SEQUENCE").value)
    assert str(event["summary"]) == strict_event.get("SUMMARY").text
    return event, strict_event, strict


def download(client, booking) -> bytes:
    return client.get(reverse("bookings:manage_ics", args=[booking.manage_token])).content


@pytest.mark.parametrize("language", ["en-gb", "ur"])
def test_every_file_a_patient_gets_passes_both_readers(client, slots, language):
    booking = book(slots[0], language)
    files = {"confirmation email": patient_calendar()[1], "download": download(client, booking)}
    mail.outbox.clear()
    services.booking_move(booking=booking, new_slot_id=slots[1].pk)
    files["move email"] = patient_calendar()[1]
    mail.outbox.clear()
    services.booking_cancel(booking=booking)
    files["cancellation email"] = patient_calendar()[1]
    files["download after cancelling"] = download(client, booking)
    methods = {}
    for what, data in files.items():
        try:
            _event, _strict_event, strict = both_read(data)
        except ical_strict.Invalid as exc:
            pytest.fail(f"{what}: {exc}")
        methods[what] = strict.get("METHOD").value
    assert methods == {
        "confirmation email": "REQUEST",
        "download": "PUBLISH",
        "move email": "REQUEST",
        "cancellation email": "CANCEL",
        "download after cancelling": "PUBLISH",
    }


def test_the_strict_reader_refuses_what_the_old_file_lacked():
    """A control: the file as it was (PUBLISH with no ORGANIZER, a TZID with no VTIMEZONE) fails the strict reader."""
    old = (
        b"BEGIN:VCALENDAR\r\nPRODID:-//Aspire Wellness//Bookings//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n"
        b"BEGIN:VEVENT\r\nUID:booking-X@aspirewellness\r\nSUMMARY:First visit\r\n"
        b"DTSTART;TZID=Asia/Karachi:20261208T100000\r\nDTSTAMP:20261207T100000Z\r\n"
        b"LOCATION:Aspire Wellness Clifton, Plot 14\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(ical_strict.Invalid) as refused:
        ical_strict.read(old)
    problems = str(refused.value)
    assert "ORGANIZER appears 0 times (METHOD:PUBLISH" in problems
    assert "TZID=Asia/Karachi with no VTIMEZONE" in problems
    assert "unescaped ';' or ','" in problems


def test_the_confirmation_email_invites_the_patient_who_has_already_accepted(slots, settings):
    book(slots[0])
    mimetype, data = patient_calendar()
    assert mimetype == "text/calendar; method=REQUEST"  # iMIP: mail apps act on the method the MIME type names
    _event, event, _calendar = both_read(data)
    organizer = event.get("ORGANIZER")
    assert organizer.value == f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"  # who the email comes from
    assert organizer.params["CN"] == "Aspire Wellness Clifton"
    [attendee] = event.all("ATTENDEE")
    assert attendee.value == "mailto:ayesha@example.com"
    assert attendee.params["PARTSTAT"] == "ACCEPTED" and attendee.params["RSVP"] == "FALSE"


def test_each_move_raises_the_sequence_and_keeps_the_uid(slots):
    booking = book(slots[0])
    first, _strict, _cal = both_read(patient_calendar()[1])
    assert int(first.get("sequence", 0)) == 0
    sequences, uids = [], set()
    for slot in (slots[1], slots[2]):
        mail.outbox.clear()
        services.booking_move(booking=booking, new_slot_id=slot.pk)
        moved, _strict, _cal = both_read(patient_calendar()[1])
        sequences.append(int(moved["sequence"]))
        uids.add(str(moved["uid"]))
        assert moved["dtstart"].dt == slot.starts_at
    assert sequences == [1, 2]
    assert uids == {str(first["uid"])}


def test_the_cancellation_email_carries_a_cancel_of_the_same_event(slots):
    booking = book(slots[0])
    booked, _strict, _cal = both_read(patient_calendar()[1])
    services.booking_move(booking=booking, new_slot_id=slots[1].pk)
    mail.outbox.clear()
    services.booking_cancel(booking=booking, by_patient=True)
    mimetype, data = patient_calendar()
    assert mimetype == "text/calendar; method=CANCEL"
    cancel, strict_event, calendar = both_read(data)
    assert calendar.get("METHOD").value == "CANCEL"
    assert str(cancel["uid"]) == str(booked["uid"])
    assert int(cancel["sequence"]) == 2  # booked 0, moved 1, cancelled 2
    assert str(cancel["status"]) == "CANCELLED"
    assert strict_event.get("ATTENDEE").value == "mailto:ayesha@example.com"
    assert not cancel.walk("VALARM")


def test_the_event_has_a_reminder_two_hours_before(client, slots):
    booking = book(slots[0])
    for data in (patient_calendar()[1], download(client, booking)):
        event, _strict_event, _cal = both_read(data)
        [alarm] = event.walk("VALARM")
        assert str(alarm["action"]) == "DISPLAY"
        assert alarm["trigger"].dt == -dt.timedelta(hours=2)
        assert "Clifton" in str(alarm["description"]) and "2 hours" in str(alarm["description"])


def test_an_urdu_booking_s_calendar_file_and_google_link_are_in_urdu(client, slots):
    booking = book(slots[0], "ur")
    for data in (patient_calendar()[1], download(client, booking)):
        event, strict_event, _cal = both_read(data)
        [alarm] = event.walk("VALARM")
        texts = {
            "summary": strict_event.get("SUMMARY"),
            "description": strict_event.get("DESCRIPTION"),
            "location": strict_event.get("LOCATION"),
            "alarm": ical_strict.read(data).walk("VALARM")[0].get("DESCRIPTION"),
        }
        for what, prop in texts.items():
            assert URDU_LETTERS.search(prop.text), (what, prop.text)
            assert not [w for w in ENGLISH_WORDS if w in prop.text], (what, prop.text)
            assert prop.params.get("LANGUAGE") == "ur", what
        assert "کراچی" in texts["location"].text and "،" in texts["location"].text
        assert "فالو اپ ڈرائی نیڈلنگ" in texts["summary"].text
        assert booking.reference in texts["description"].text
        assert str(alarm["description"]) == texts["alarm"].text
    query = parse_qs(urlsplit(google_calendar_url(booking)).query)
    for part in ("text", "details", "location"):
        assert URDU_LETTERS.search(query[part][0]), part
        assert not [w for w in ENGLISH_WORDS if w in query[part][0]], part


def test_an_english_booking_s_file_stays_english_on_an_urdu_page(client, slots):
    """The file follows the booking's language, as its messages do, not the page it is downloaded from."""
    booking = book(slots[0], "en-gb")
    data = client.get(reverse("bookings:manage_ics", args=[booking.manage_token]), HTTP_ACCEPT_LANGUAGE="ur").content
    _event, strict_event, _cal = both_read(data)
    assert strict_event.get("LOCATION").text == "Aspire Wellness Clifton, Plot 14-C, Block 5, Karachi"
    assert not URDU_LETTERS.search(strict_event.get("DESCRIPTION").text)
