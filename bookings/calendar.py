"""
A booking as an iCalendar event (RFC 5545), and as a Google Calendar link, in the booking's language.

Which iTIP method (RFC 5546) each file carries, and why:

- The download on the booking's page is a PUBLISH: a file the patient imports into their own
  calendar, with no invitation to answer; every app imports it (an app given a REQUEST by
  download, outside an email, may offer to "accept" or ignore it). RFC 5546 (3.2.1) asks a
  PUBLISH for an ORGANIZER and no ATTENDEE.
- The confirmation and move emails carry a REQUEST (3.2.2): the ORGANIZER and the patient as
  its one ATTENDEE. Mail apps (Gmail, Outlook, Apple Mail) keep a REQUEST as a scheduled event
  tied to its UID, so a later REQUEST with a higher SEQUENCE moves it and a CANCEL removes it;
  an imported PUBLISH is the patient's own copy that a CANCEL may not touch. The patient booked
  the time themselves: the attendee has accepted and no answer is asked (PARTSTAT=ACCEPTED,
  RSVP=FALSE), so reception gets no "Accepted:" emails.
- The cancellation email carries a CANCEL (3.2.5): the same UID, ORGANIZER and ATTENDEE,
  SEQUENCE raised, STATUS:CANCELLED, and no alarm (a CANCEL may not carry one).

The ORGANIZER is the address the emails come from (DEFAULT_FROM_EMAIL), named for the clinic: an
app checks that an update or a cancellation comes from the event's organizer (RFC 6047, 3), and
the organizer must stay the same in every version of the event. The clinic's own address is the
emails' Reply-To.
"""

import datetime as dt
from email.utils import parseaddr
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress

from bookings.models import Booking, BookingStatus

PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"

# Long enough to get there across Karachi's traffic; the text reminder came the day before.
ALARM_BEFORE = dt.timedelta(hours=2)


def _details(booking: Booking) -> str:
    # No link to the booking page: its address is the key to the booking, and a calendar
    # event travels to calendar providers and to whoever the calendar is shared with.
    return _(
        "Booking reference %(reference)s. With %(therapist)s.\n"
        "To cancel or change, use the link in your confirmation message or call %(phone)s."
    ) % {
        "reference": booking.reference,
        "therapist": booking.slot.physiotherapist.name,
        "phone": settings.ASPIRE_PHONE_DISPLAY,
    }


def _summary(booking: Booking) -> str:
    return _("%(session)s, Aspire Wellness %(clinic)s") % {
        "session": booking.session_type.name,
        "clinic": booking.slot.clinic.name,
    }


def _location(booking: Booking) -> str:
    clinic = booking.slot.clinic
    return _("Aspire Wellness %(clinic)s, %(address)s, Karachi") % {"clinic": clinic.name, "address": clinic.address}


def sequence(booking: Booking) -> int:
    """
    Return how many times the booking's event has changed since it was first sent (its
    SEQUENCE): once for each move (a new slot in the booking's history) and once when it was
    cancelled. Derived from the history every save leaves, so no counter is kept.
    """
    slots = list(booking.history.order_by("history_date", "history_id").values_list("slot_id", flat=True))
    moves = sum(1 for before, after in zip(slots, slots[1:], strict=False) if before != after)
    return moves + (booking.status == BookingStatus.CANCELLED)


def organizer(booking: Booking) -> vCalAddress:
    """The event's ORGANIZER: the address the site's emails come from, named for the booking's clinic."""
    address = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    address.params["CN"] = f"Aspire Wellness {booking.slot.clinic.name}"
    return address


def _attendee(booking: Booking, email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params.update({"CN": booking.name, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"})
    return address


def _text(event, name: str, value: str, language: str) -> None:
    event.add(name, value, parameters={"LANGUAGE": language})


def booking_ics(
    booking: Booking, *, method: str = PUBLISH, attendee: str = "", now: dt.datetime | None = None
) -> bytes:
    """
    Return `booking` as an iCalendar file with `method` (PUBLISH, REQUEST or CANCEL; see the
    module's docstring), in the booking's language. A REQUEST and a CANCEL name `attendee`
    (the patient's email address) as the event's one attendee.
    """
    if method not in (PUBLISH, REQUEST, CANCEL):
        raise ValueError(f"No iCalendar method {method!r} here.")
    if method != PUBLISH and not attendee:
        raise ValueError(f"A {method} names its attendee.")
    with translation.override(booking.language):
        language = translation.get_language()
        calendar = Calendar()
        calendar.add("prodid", "-//Aspire Wellness//Bookings//EN")
        calendar.add("version", "2.0")
        calendar.add("method", method)
        event = Event()
        event.add("uid", f"booking-{booking.reference}@aspirewellness")
        # With a method, DTSTAMP is when this file was made (RFC 5545, 3.8.7.2); the change itself
        # is told by SEQUENCE, which apps compare first, and LAST-MODIFIED.
        event.add("dtstamp", now or timezone.now())
        event.add("created", booking.created_at)
        event.add("last-modified", booking.updated_at)
        event.add("sequence", sequence(booking))
        event.add("organizer", organizer(booking))
        if method != PUBLISH:
            event.add("attendee", _attendee(booking, attendee))
        event.add("dtstart", booking.slot.starts_at)
        event.add("dtend", booking.slot.ends_at)
        _text(event, "summary", _summary(booking), language)
        _text(event, "location", _location(booking), language)
        _text(event, "description", _details(booking), language)
        cancelled = method == CANCEL or booking.status == BookingStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if not cancelled:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", -ALARM_BEFORE)
            _text(
                alarm,
                "description",
                _("Your session at Aspire Wellness %(clinic)s starts in 2 hours.")
                % {"clinic": booking.slot.clinic.name},
                language,
            )
            event.add_component(alarm)
        calendar.add_component(event)
        # The times name the zone (TZID=Asia/Karachi): RFC 5545 wants its VTIMEZONE in the file.
        calendar.add_missing_timezones()
        return calendar.to_ical()


def google_calendar_url(booking: Booking) -> str:
    """Return a link that opens Google Calendar's new event filled in with `booking`, in the booking's language."""
    fmt = "%Y%m%dT%H%M%SZ"
    start = booking.slot.starts_at.astimezone(dt.UTC).strftime(fmt)
    end = booking.slot.ends_at.astimezone(dt.UTC).strftime(fmt)
    with translation.override(booking.language):
        query = urlencode(
            {
                "action": "TEMPLATE",
                "text": _summary(booking),
                "dates": f"{start}/{end}",
                "details": _details(booking),
                "location": _location(booking),
                "ctz": "Asia/Karachi",
            }
        )
    return f"https://calendar.google.com/calendar/render?{query}"
