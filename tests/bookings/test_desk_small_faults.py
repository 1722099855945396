"""
The front desk's small faults (issue 22): times in Karachi, a font with the Urdu letters, one way
of writing a day, free counts from now, and Move on the schedule.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from bookings.booking import services
from bookings.desk.selectors import clinic_day_schedule
from bookings.messaging import rendering
from bookings.models import BookingStatus, ClinicClosure, Message, MessageAudience, Patient, TimeOff
from bookings.timeutils import at, local_today
from tests.factories import (
    BookingFactory,
    ClinicFactory,
    PatientFactory,
    PhysiotherapistFactory,
    SessionTypeFactory,
    SlotFactory,
)
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("bookings_schedule")


def desk_day(day: dt.date) -> str:
    """The desk's one way of writing a day, spelled out here: "Tue 8 Dec 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


# Times in Karachi -------------------------------------------------------------------------------


def test_the_leave_pages_title_gives_the_leave_in_karachi_time(reception_client):
    day = local_today() + dt.timedelta(days=10)
    therapist = PhysiotherapistFactory(name="Dr. Sana Mirza")
    # A whole day's leave: midnight to 23:59 in Karachi is 19:00 to 18:59 the day before in UTC.
    leave = TimeOff.objects.create(
        physiotherapist=therapist, starts_at=at(day, dt.time(0)), ends_at=at(day, dt.time(23, 59)), reason="Wedding"
    )
    title = parse(reception_client.get(reverse("bookings_affected", args=["timeoff", leave.pk]))).title
    assert "19:00" not in title and "18:59" not in title
    assert f"Dr. Sana Mirza: {desk_day(day)}, 00:00–23:59" in title


def test_leave_over_several_days_names_both_days_in_karachi_time():
    day = local_today() + dt.timedelta(days=10)
    leave = TimeOff(
        physiotherapist=PhysiotherapistFactory(name="Dr. Sana Mirza"),
        starts_at=at(day, dt.time(0)),
        ends_at=at(day + dt.timedelta(days=2), dt.time(23, 59)),
    )
    assert str(leave) == f"Dr. Sana Mirza: {desk_day(day)}, 00:00 – {desk_day(day + dt.timedelta(days=2))}, 23:59"


def test_the_leave_list_and_the_slot_list_give_times_in_karachi_and_days_as_the_desk_writes_them(client, manager):
    sign_in(client, manager)
    day = local_today() + dt.timedelta(days=10)
    therapist = PhysiotherapistFactory(name="Dr. Sana Mirza")
    TimeOff.objects.create(physiotherapist=therapist, starts_at=at(day, dt.time(0)), ends_at=at(day, dt.time(23, 59)))
    SlotFactory(physiotherapist=therapist, starts_at=at(day + dt.timedelta(days=1), dt.time(10)))
    leave_list = parse(client.get(reverse("admin:bookings_timeoff_changelist"))).text
    assert f"{desk_day(day)}, 00:00–23:59" in leave_list  # the admin's own columns said "midnight" and "11:59 p.m."
    slot_list = parse(client.get(reverse("admin:bookings_slot_changelist"))).text
    assert f"{desk_day(day + dt.timedelta(days=1))}, 10:00–10:45" in slot_list


def test_the_admins_own_columns_write_days_as_the_desk_does_on_the_24_hour_clock(client, manager):
    """Django's en_GB formats wrote "8 Dec 2026, 7 p.m." and "midnight" (aspire/formats/en_GB sets the desk's)."""
    sign_in(client, manager)
    day = local_today() + dt.timedelta(days=10)
    ClinicClosure.objects.create(start_date=day, end_date=day, reason="Iqbal Day")
    patient = PatientFactory(name="Zainab Hussain")
    Patient.objects.filter(pk=patient.pk).update(created_at=at(day - dt.timedelta(days=20), dt.time(19, 5)))
    closures = parse(client.get(reverse("admin:bookings_clinicclosure_changelist"))).text
    assert f"Iqbal Day {desk_day(day)} {desk_day(day)}" in closures
    patients = parse(client.get(reverse("admin:bookings_patient_changelist"))).text
    assert f"{desk_day(day - dt.timedelta(days=20))}, 19:05" in patients


# The admin's font -------------------------------------------------------------------------------


def admin_stylesheets(client) -> str:
    """The text of every project stylesheet an admin page links (the admin's own are Django's)."""
    page = parse(client.get(SCHEDULE))
    texts = []
    for tag, attrs in page.tags:
        if tag == "link" and attrs.get("rel") == "stylesheet" and "/static/css/" in attrs.get("href", ""):
            path = finders.find(attrs["href"].split("/static/", 1)[1])
            texts.append(Path(path).read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_the_admins_font_has_the_urdu_letters_from_a_file_of_the_sites_own(reception_client):
    """
    The admin's own fonts (Segoe UI, system-ui, Arial...) lack ہ on many machines, and a word whose
    letters come from two fonts loses its joins: "فاطم□". The Arabic-script letters come from the
    Noto Naskh Arabic the Urdu pages ship (only for those letters: its unicode-range), first in the
    admin's font list, so every letter of a name is from the one font.
    """
    css = admin_stylesheets(reception_client)
    face = re.search(r"@font-face\s*{[^}]*\"Noto Naskh Arabic\"[^}]*}", css)
    assert face, "no @font-face for Noto Naskh Arabic in the admin's stylesheets"
    src = re.search(r'url\("\.\./([^"]+)"\)', face.group(0)).group(1)
    assert finders.find(src), f"{src} is not among the static files"
    assert "U+0600-06FF" in face.group(0)  # ہ is U+06C1, ے U+06D2, ں U+06BA
    primary = re.search(r"html\[data-theme\][^{]*{[^}]*--font-family-primary:\s*([^;]+);", css)
    assert primary, "the admin's --font-family-primary is not set for every theme"
    assert primary.group(1).strip().startswith('"Noto Naskh Arabic"')


# One way of writing a day ---------------------------------------------------------------------------


def test_the_schedules_title_and_heading_write_the_day_the_same_way(reception_client):
    clinic = ClinicFactory(name="Clifton")
    day = local_today() + dt.timedelta(days=1)
    SlotFactory(clinic=clinic, starts_at=at(day, dt.time(10)))
    page = parse(reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()}))
    assert page.title.startswith(f"Schedule: Clifton, {desk_day(day)} |")
    heading = re.search(r'<h2 class="schedule-day">([^<]*)', reception_client.get(
        SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()}
    ).content.decode()).group(1)  # fmt: skip
    assert heading.strip() == f"Clifton · {desk_day(day)}"


def test_the_clinics_email_of_an_online_booking_writes_the_day_as_the_desk_does():
    day = local_today() + dt.timedelta(days=2)
    slot = SlotFactory(starts_at=at(day, dt.time(10)))
    booking = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Ayesha Khan", phone="0312-3344556", email=""
    )
    message = Message.objects.get(booking=booking, audience=MessageAudience.RECEPTION, channel="email")
    subject, text, html, _ = rendering.render_email(message)
    assert subject == f"Online booking: {desk_day(day)}, 10:00, {booking.reference}"
    assert f"When: {desk_day(day)}, 10:00" in text
    assert f"{desk_day(day)}, 10:00" in html


# Free counts from now -------------------------------------------------------------------------------


def test_free_counts_only_the_times_still_ahead_today():
    clinic, therapist = ClinicFactory(), PhysiotherapistFactory()
    day = local_today() + dt.timedelta(days=3)
    for hour in (9, 10, 11, 12, 13, 14):
        SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=at(day, dt.time(hour)))
    schedule = clinic_day_schedule(clinic=clinic, day=day, now=at(day, dt.time(12, 10)))
    # 9, 10 and 11 are over; 12:00 has begun (free for a walk-in, counted as that); 13 and 14 are ahead.
    assert schedule.counts["free"] == 2
    assert schedule.counts["walk_in"] == 1
    assert schedule.counts["past"] == 3


# Move on the schedule -------------------------------------------------------------------------------


def test_each_confirmed_booking_on_the_schedule_has_move_and_cancel(reception_client):
    clinic = ClinicFactory()
    day = local_today() + dt.timedelta(days=1)
    therapist = PhysiotherapistFactory()
    confirmed = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=at(day, dt.time(10)))
    )
    attended = BookingFactory(
        slot=SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=at(day, dt.time(11))),
        status=BookingStatus.ATTENDED,
    )
    response = reception_client.get(SCHEDULE, {"clinic": clinic.pk, "date": day.isoformat()})
    page = parse(response)
    assert reverse("bookings_booking_move", args=[confirmed.pk]) in page.links()
    # Tomorrow's booking has no one-click mark yet, and was shown with no actions at all: no Cancel either.
    assert f'id="reason-{confirmed.pk}"' in response.content.decode()
    assert reverse("bookings_booking_move", args=[attended.pk]) not in page.links()
