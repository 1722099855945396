"""A booking as an iCalendar event, and as a Google Calendar link."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from icalendar import Calendar, Event

from bookings.models import Booking


def _details(booking: Booking) -> str:
    # No link to the booking page: its address is the key to the booking, and a calendar
    # event travels to calendar providers and to whoever the calendar is shared with.
    return (
        f"Booking reference {booking.reference}. With {booking.slot.physiotherapist.name}.\n"
        f"To cancel or change, use the link in your confirmation message or call {settings.ASPIRE_PHONE_DISPLAY}."
    )


def _location(booking: Booking) -> str:
    clinic = booking.slot.clinic
    return f"Aspire Wellness {clinic.name}, {clinic.address}, Karachi"


def booking_ics(booking: Booking) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Aspire Wellness//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.reference}@aspirewellness")
    event.add("summary", f"{booking.session_type.label} (dry needling), Aspire Wellness")
    event.add("dtstart", booking.slot.starts_at)
    event.add("dtend", booking.slot.ends_at)
    event.add("dtstamp", booking.updated_at)
    event.add("location", _location(booking))
    event.add("description", _details(booking))
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def google_calendar_url(booking: Booking) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    start = booking.slot.starts_at.astimezone(dt.UTC).strftime(fmt)
    end = booking.slot.ends_at.astimezone(dt.UTC).strftime(fmt)
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": f"{booking.session_type.label}, Aspire Wellness",
            "dates": f"{start}/{end}",
            "details": _details(booking),
            "location": _location(booking),
            "ctz": "Asia/Karachi",
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"
