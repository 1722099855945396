"""
Every report measure (bookings/reports/selectors.py) checked against a small data set counted
by hand from its docstring's definition: the hand count is written beside each assert.

The period is Mon 2 to Sun 8 Nov 2026 (Karachi), `now` is 20 Nov 2026 at noon unless a test says.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from bookings.booking import services
from bookings.booking.patients import patient_reset_no_shows
from bookings.models import Booking, ClinicClosure, Course, Message, TimeOff, WaitlistEntry
from bookings.reports import selectors
from bookings.reports.periods import Period, period_for, previous
from bookings.reports.selectors import Scope
from bookings.timeutils import at
from tests.factories import (
    BookingFactory,
    ClinicFactory,
    PatientFactory,
    PhysiotherapistFactory,
    SessionTypeFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date
P = Period(D(2026, 11, 2), D(2026, 11, 8))
NOW = at(D(2026, 11, 20), dt.time(12))
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def physio():
    return PhysiotherapistFactory()


@pytest.fixture
def scope(clinic):
    return Scope(clinic_ids=(clinic.pk,))


@pytest.fixture
def make_slot(clinic, physio):
    def make(day, hour, minute=0, minutes=45, **kwargs):
        starts = at(day, dt.time(hour, minute))
        kwargs.setdefault("clinic", clinic)
        kwargs.setdefault("physiotherapist", physio)
        return SlotFactory(starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes), **kwargs)

    return make


def book(slot, status="confirmed", created=None, **kwargs):
    if status == "held":
        kwargs.setdefault("held_until", slot.starts_at - HOUR)
    booking = BookingFactory(slot=slot, status=status, **kwargs)
    if created is not None:  # created_at is auto_now_add: set it afterwards
        Booking.objects.filter(pk=booking.pk).update(created_at=created)
    return booking


# Sessions ------------------------------------------------------------------------------------


def test_sessions_by_what_became_of_them(make_slot, scope):
    day = D(2026, 11, 3)
    book(make_slot(day, 9), "attended")
    book(make_slot(day, 10), "no_show")
    book(make_slot(day, 11))  # confirmed, passed, not marked
    book(make_slot(day, 12), "cancelled", cancel_reason="patient_asked", cancelled_at=at(D(2026, 11, 1), dt.time(9)))
    book(make_slot(day, 13), "cancelled", cancel_reason="patient_unwell", cancelled_at=at(D(2026, 11, 1), dt.time(9)))
    book(make_slot(day, 14), "cancelled", cancel_reason="clinic_closed", cancelled_at=at(D(2026, 11, 1), dt.time(9)))
    book(make_slot(day, 15), "cancelled", cancel_reason="mistake", cancelled_at=at(D(2026, 11, 1), dt.time(9)))
    book(make_slot(day, 16), "held")  # a waitlist's hold: not booked
    book(make_slot(day, 17), "lapsed")  # an offer not taken: not booked
    s = selectors.sessions(scope=scope, period=P, now=NOW)
    assert s.booked == 7  # 9,10,11,12,13,14,15 o'clock; not the hold (16) or the lapsed offer (17)
    assert s.attended == 1  # 9
    assert s.no_shows == 1  # 10
    assert s.not_marked == 1  # 11
    assert s.to_come == 0  # all before now
    assert s.cancelled_by_patient == 2  # 12 asked, 13 unwell
    assert s.cancelled_by_clinic == 1  # 14
    assert s.cancelled_other == 1  # 15 mistake
    assert s.cancelled == 4
    assert s.no_show_rate == 0.5  # 1 / (1 + 1)


def test_sessions_to_come_while_the_period_runs(make_slot, scope):
    book(make_slot(D(2026, 11, 3), 9))
    book(make_slot(D(2026, 11, 6), 9))
    s = selectors.sessions(scope=scope, period=P, now=at(D(2026, 11, 5), dt.time(12)))
    assert (s.to_come, s.not_marked) == (1, 1)  # 6 Nov ahead, 3 Nov passed unmarked


def test_a_booking_moved_across_the_edge_counts_where_it_is_now(make_slot, scope):
    booking = book(make_slot(D(2026, 11, 8), 10))
    later = make_slot(D(2026, 11, 9), 10)
    services.booking_move(booking=booking, new_slot_id=later.pk, now=at(D(2026, 11, 1), dt.time(9)))
    following = Period(D(2026, 11, 9), D(2026, 11, 15))
    assert selectors.sessions(scope=scope, period=P, now=NOW).booked == 0  # moved out of 2–8 Nov
    assert selectors.sessions(scope=scope, period=following, now=NOW).booked == 1  # into 9–15 Nov
    assert selectors.utilisation(scope=scope, period=P, now=NOW).booked_minutes == 0  # the old slot is free
    assert selectors.utilisation(scope=scope, period=following, now=NOW).booked_minutes == 45


def test_a_time_cancelled_and_booked_again(make_slot, scope):
    slot = make_slot(D(2026, 11, 4), 10, minutes=60)
    book(slot, "cancelled", cancel_reason="patient_asked", cancelled_at=at(D(2026, 11, 1), dt.time(9)))
    book(slot, "attended")
    s = selectors.sessions(scope=scope, period=P, now=NOW)
    assert (s.booked, s.cancelled, s.attended) == (2, 1, 1)  # two bookings on the one time, one cancelled
    use = selectors.utilisation(scope=scope, period=P, now=NOW)
    assert (use.offered_minutes, use.booked_minutes) == (60, 60)  # the slot's 60 minutes once


def test_a_forgiven_no_show_is_still_a_no_show(make_slot, scope):
    booking = book(make_slot(D(2026, 11, 4), 10), "no_show", no_show_at=at(D(2026, 11, 4), dt.time(11)))
    user = get_user_model().objects.create_user(username="desk", password="x-unused-x", is_staff=True)
    patient_reset_no_shows(patient=booking.patient, by=user, now=NOW)
    s = selectors.sessions(scope=scope, period=P, now=NOW)
    assert (s.no_shows, s.attended) == (1, 0)  # forgiven, still a no-show


def test_a_no_show_marked_attended_later_is_attended_and_paid(make_slot, scope):
    booking = book(make_slot(D(2026, 11, 4), 10), "no_show", no_show_at=at(D(2026, 11, 4), dt.time(11)))
    services.booking_mark_attended(booking=booking, now=at(D(2026, 11, 4), dt.time(12)))
    s = selectors.sessions(scope=scope, period=P, now=NOW)
    assert (s.no_shows, s.attended) == (0, 1)
    r = selectors.revenue(scope=scope, period=P)
    assert (r.pkr, r.sessions) == (4500, 1)  # the session type's 4,500 PKR


def test_late_cancellations(make_slot, scope):
    # ASPIRE_CANCEL_CUTOFF_HOURS is 12: "late" is cancelled by the patient less than 12 h before.
    late = make_slot(D(2026, 11, 5), 10)
    book(late, "cancelled", cancel_reason="patient_asked", cancelled_at=late.starts_at - 2 * HOUR)
    early = make_slot(D(2026, 11, 5), 11)
    book(early, "cancelled", cancel_reason="patient_asked", cancelled_at=early.starts_at - 48 * HOUR)
    closed = make_slot(D(2026, 11, 5), 12)
    book(closed, "cancelled", cancel_reason="clinic_closed", cancelled_at=closed.starts_at - 2 * HOUR)
    book(make_slot(D(2026, 11, 5), 13), "attended")
    s = selectors.sessions(scope=scope, period=P, now=NOW)
    assert s.late_cancellations == 1  # only the patient's 2 h before
    assert s.late_cancellation_rate == 0.25  # 1 of 4 booked


# Karachi days --------------------------------------------------------------------------------


def test_the_period_edges_are_karachi_days(make_slot, scope):
    book(make_slot(D(2026, 11, 1), 23, 30))  # 23:30 PKT the day before: out
    book(make_slot(D(2026, 11, 2), 0, 30))  # 00:30 PKT on the first day (19:30 UTC the day before): in
    book(make_slot(D(2026, 11, 8), 23, 30))  # 23:30 PKT on the last day (18:30 UTC): in
    book(make_slot(D(2026, 11, 9), 0, 30))  # 00:30 PKT the day after (19:30 UTC on the last day): out
    assert selectors.sessions(scope=scope, period=P, now=NOW).booked == 2  # 2 Nov 00:30 and 8 Nov 23:30


# Utilisation ---------------------------------------------------------------------------------


def test_a_therapist_who_left(make_slot, scope, physio):
    book(make_slot(D(2026, 11, 3), 10))  # 45 booked
    make_slot(D(2026, 11, 3), 11)  # 45 offered, free
    make_slot(D(2026, 11, 24), 10)  # ahead of now, free
    physio.is_active = False
    physio.save()
    use = selectors.utilisation(scope=scope, period=P, now=NOW)
    assert (use.offered_minutes, use.booked_minutes) == (90, 45)  # their past slots were offered
    [row] = selectors.utilisation_by(scope=scope, period=P, now=NOW, by="physiotherapist")
    assert (row.label, row.active, row.offered_minutes, row.booked_minutes) == (physio.name, False, 90, 45)
    ahead = Period(D(2026, 11, 23), D(2026, 11, 29))
    assert selectors.utilisation(scope=scope, period=ahead, now=NOW).offered_minutes == 0  # no longer on offer
    assert selectors.utilisation_by(scope=scope, period=ahead, now=NOW, by="physiotherapist") == []


def test_leave_closures_and_blocked_slots_take_offered_time_out(make_slot, scope, clinic, physio):
    make_slot(D(2026, 11, 3), 9)  # offered
    make_slot(D(2026, 11, 3), 10, is_blocked=True)  # blocked: out
    TimeOff.objects.create(
        physiotherapist=physio, starts_at=at(D(2026, 11, 4), dt.time(0)), ends_at=at(D(2026, 11, 5), dt.time(0))
    )
    make_slot(D(2026, 11, 4), 9)  # inside leave, free: out
    book(make_slot(D(2026, 11, 4), 10))  # inside leave but booked: offered and booked
    closure = ClinicClosure.objects.create(start_date=D(2026, 11, 6), end_date=D(2026, 11, 6), reason="Holiday")
    closure.clinics.add(clinic)
    make_slot(D(2026, 11, 6), 9)  # closed: out
    use = selectors.utilisation(scope=scope, period=P, now=NOW)
    assert (use.offered_minutes, use.booked_minutes) == (90, 45)  # 3 Nov 9:00 and 4 Nov 10:00; the latter booked


def test_utilisation_by_clinic_and_hour(make_slot, scope, clinic):
    book(make_slot(D(2026, 11, 2), 9))  # Monday 9:00, booked
    make_slot(D(2026, 11, 9 - 7), 10)  # Monday 10:00, free
    book(make_slot(D(2026, 11, 3), 9), "no_show")  # Tuesday 9:00: a no-show's time was taken
    [row] = selectors.utilisation_by(scope=scope, period=P, now=NOW, by="clinic")
    assert (row.label, row.offered_minutes, row.booked_minutes) == (clinic.name, 135, 90)
    hours = [
        (h.weekday, h.hour, h.use.offered_minutes, h.use.booked_minutes)
        for h in selectors.hours_of_week(scope=scope, period=P, now=NOW)
    ]
    assert hours == [(1, 9, 45, 45), (1, 10, 45, 0), (2, 9, 45, 45)]


# Scope ---------------------------------------------------------------------------------------


def test_scope_other_clinics_and_the_therapist_filter(make_slot, scope, clinic, physio):
    day = D(2026, 11, 3)
    book(make_slot(day, 9), "attended")
    other = PhysiotherapistFactory()
    book(make_slot(day, 9, physiotherapist=other), "attended")
    book(
        make_slot(day, 9, clinic=ClinicFactory(), physiotherapist=PhysiotherapistFactory()), "attended"
    )  # another clinic: never counted
    assert selectors.sessions(scope=scope, period=P, now=NOW).booked == 2  # this clinic's two therapists
    assert selectors.revenue(scope=scope, period=P).pkr == 9000  # 2 x 4,500
    mine = Scope(clinic_ids=(clinic.pk,), physiotherapist_id=physio.pk)
    assert selectors.sessions(scope=mine, period=P, now=NOW).booked == 1
    assert selectors.utilisation(scope=mine, period=P, now=NOW).offered_minutes == 45


# Revenue -------------------------------------------------------------------------------------


def test_revenue_keeps_the_fee_of_the_day(make_slot, scope):
    session_type = SessionTypeFactory(name="Assessment", price_pkr=5000)
    booking = book(make_slot(D(2026, 11, 4), 10), session_type=session_type)
    services.booking_mark_attended(booking=booking, now=at(D(2026, 11, 4), dt.time(11)))
    session_type.price_pkr = 6500
    session_type.save()
    book(make_slot(D(2026, 11, 5), 10), "attended", session_type=session_type)  # at the new price
    book(make_slot(D(2026, 11, 5), 11), "no_show", session_type=session_type)  # no fee
    r = selectors.revenue(scope=scope, period=P)
    assert (r.pkr, r.sessions, r.per_session) == (11500, 2, 5750)  # 5,000 (its day's) + 6,500


# Sources and lead times ----------------------------------------------------------------------


def test_sources(make_slot, scope, clinic, session_type):
    day = D(2026, 11, 4)
    book(make_slot(day, 9))  # online
    book(make_slot(day, 10), source="phone")
    book(make_slot(day, 11), source="walk_in")
    patient = PatientFactory()
    entry = WaitlistEntry.objects.create(
        clinic=clinic,
        patient=patient,
        name=patient.name,
        phone=patient.contact.phone,
        session_type=session_type,
        first_day=day,
        last_day=day,
    )
    book(make_slot(day, 12), waitlist_entry=entry, patient=patient)  # claimed from the waitlist
    earlier = book(make_slot(D(2026, 10, 28), 9), "attended")
    book(make_slot(day, 13), form_key=f"next:{earlier.pk}")  # the next-session tap
    book(make_slot(day, 14), "cancelled", source="phone", cancel_reason="mistake")  # cancelled still booked
    assert selectors.sources(scope=scope, period=P) == {
        "online": 1,
        "phone": 2,  # 10:00 and the cancelled 14:00
        "walk_in": 1,
        "waitlist": 1,
        "next_session": 1,
    }


def test_lead_time_buckets(make_slot, scope):
    def booked_ahead(hour, ahead):
        slot = make_slot(D(2026, 11, 5), hour)
        book(slot, created=slot.starts_at - ahead)

    booked_ahead(8, -dt.timedelta(minutes=10))  # walk-in booked after the start: same day
    booked_ahead(9, 23 * HOUR)  # same day
    booked_ahead(10, 24 * HOUR)  # exactly 24 h: 1–2 days
    booked_ahead(11, 71 * HOUR)  # 1–2 days
    booked_ahead(12, 72 * HOUR)  # exactly 3 days: 3–7 days
    booked_ahead(13, 10 * 24 * HOUR)  # 8–14 days
    booked_ahead(14, 20 * 24 * HOUR)  # 15–28 days
    booked_ahead(15, 40 * 24 * HOUR)  # more than 4 weeks
    assert selectors.lead_times(scope=scope, period=P) == {
        "same_day": 2,
        "days_1_2": 2,
        "days_3_7": 1,
        "weeks_1_2": 1,
        "weeks_2_4": 1,
        "later": 1,
    }


# Patients, cohort, courses -------------------------------------------------------------------


def test_patients_and_cohort(make_slot, scope):
    a, b, c, returning = PatientFactory(), PatientFactory(), PatientFactory(), PatientFactory()
    book(make_slot(D(2026, 11, 3), 9), "attended", patient=a)
    book(make_slot(D(2026, 11, 12), 9), "attended", patient=a)  # a's second visit, after the period
    book(make_slot(D(2026, 11, 4), 9), "attended", patient=b)
    book(make_slot(D(2026, 11, 25), 9), patient=b)  # b's next, confirmed, still to come
    book(make_slot(D(2026, 11, 5), 9), "attended", patient=c)  # c never came back
    book(make_slot(D(2026, 11, 5), 10), "cancelled", patient=c, cancel_reason="patient_asked")
    book(make_slot(D(2026, 10, 20), 9), "attended", patient=returning)  # first visit before the period
    book(make_slot(D(2026, 11, 6), 9), "attended", patient=returning)
    p = selectors.patients(scope=scope, period=P)
    assert (p.seen, p.new, p.returning) == (4, 3, 1)  # a, b, c new; the returning patient
    cohort = selectors.cohort(scope=scope, period=P, now=NOW)
    assert cohort.new == 3  # a, b, c
    assert cohort.booked_again == 2  # a (second visit), b (one to come)
    assert cohort.reached == {1: 3, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}  # only a attended a second


def test_courses(make_slot, scope, physio):
    now = at(D(2026, 11, 6), dt.time(12))

    def course(*sessions):
        patient = PatientFactory()
        made = Course.objects.create(patient=patient, physiotherapist=physio)
        for day, status in sessions:
            book(make_slot(D(2026, 11, day), 8 + Course.objects.count()), status, patient=patient, course=made)
        return made

    course((3, "attended"), (5, "attended"))  # ended and completed
    course((3, "attended"), (6, "no_show"))  # ended, not completed
    course((4, "attended"), (7, "confirmed"))  # a session still to come: not ended
    course((2, "attended"), (4, "attended"), (5, "cancelled"))  # last counted 4 Nov; patient cancelled: not completed
    Booking.objects.filter(status="cancelled").update(cancel_reason="patient_asked")
    c = selectors.courses(scope=scope, period=P, now=now)
    assert (c.ended, c.completed) == (3, 1)  # 1st, 2nd, 4th ended; only the 1st completed


# Messages, reminders, waitlist ---------------------------------------------------------------


def test_messages_per_channel(make_slot, scope):
    booking = book(make_slot(D(2026, 11, 10), 9))
    inside = at(D(2026, 11, 4), dt.time(10))

    def message(channel, status, audience="patient", created=inside):
        m = Message.objects.create(
            booking=booking, audience=audience, channel=channel, recipient="x", kind="confirmed", status=status
        )
        Message.objects.filter(pk=m.pk).update(created_at=created)

    for status in ["queued", "sent", "delivered", "read", "failed"]:
        message("whatsapp", status)
    message("sms", "delivered")
    message("whatsapp", "read", audience="reception")  # to reception: not counted
    message("whatsapp", "read", created=at(D(2026, 11, 9), dt.time(0, 30)))  # queued after the period
    rows = {
        m.channel: (m.queued, m.sent, m.delivered, m.read, m.failed, m.waiting)
        for m in selectors.messages(scope=scope, period=P)
    }
    assert rows == {
        "whatsapp": (5, 3, 2, 1, 1, 1),  # sent = sent+delivered+read; delivered = delivered+read
        "sms": (1, 1, 1, 0, 0, 0),
        "email": (0, 0, 0, 0, 0, 0),
    }


def test_reminders(make_slot, scope):
    sent = at(D(2026, 11, 3), dt.time(9))
    book(make_slot(D(2026, 11, 4), 9), reminder_sent_at=sent, patient_confirmed_at=sent + HOUR)
    book(make_slot(D(2026, 11, 4), 10), reminder_sent_at=sent)
    book(make_slot(D(2026, 11, 4), 11))
    r = selectors.reminders(scope=scope, period=P)
    assert (r.sent, r.confirmed, r.confirmation_rate) == (2, 1, 0.5)


def test_waitlist(make_slot, scope, clinic, session_type):
    inside = at(D(2026, 11, 4), dt.time(10))

    def entry(created):
        patient = PatientFactory()
        e = WaitlistEntry.objects.create(
            clinic=clinic,
            patient=patient,
            name=patient.name,
            phone=patient.contact.phone,
            session_type=session_type,
            first_day=D(2026, 11, 4),
            last_day=D(2026, 11, 20),
        )
        WaitlistEntry.objects.filter(pk=e.pk).update(created_at=created)
        return e

    e1, e2 = entry(inside), entry(inside)
    entry(at(D(2026, 10, 20), dt.time(10)))  # joined before the period
    book(make_slot(D(2026, 11, 10), 9), "held", waitlist_entry=e1, created=inside)
    book(make_slot(D(2026, 11, 10), 10), "lapsed", waitlist_entry=e1, created=inside)
    book(make_slot(D(2026, 11, 10), 11), "attended", waitlist_entry=e2, created=inside)  # claimed, since attended
    w = selectors.waitlist(scope=scope, period=P, now=inside + HOUR)  # the hold runs to 10 Nov 8:00
    assert (w.joined, w.offers, w.claimed, w.lapsed, w.open) == (2, 3, 1, 1, 1)
    assert w.claim_rate == 0.5  # 1 / (1 + 1)


# Weekly --------------------------------------------------------------------------------------


def test_weekly_has_every_week(make_slot, scope):
    three = Period(D(2026, 11, 2), D(2026, 11, 22))
    book(make_slot(D(2026, 11, 2), 0, 30), "attended")  # Monday 00:30 PKT, Sunday in UTC
    book(make_slot(D(2026, 11, 22), 23, 30), "no_show")  # Sunday 23:30 PKT
    book(make_slot(D(2026, 11, 20), 9), "cancelled", cancel_reason="mistake")
    rows = [
        (w.first_day, w.booked, w.attended, w.no_shows, w.cancelled)
        for w in selectors.weekly(scope=scope, period=three)
    ]
    assert rows == [
        (D(2026, 11, 2), 1, 1, 0, 0),
        (D(2026, 11, 9), 0, 0, 0, 0),  # a week with none
        (D(2026, 11, 16), 2, 0, 1, 1),
    ]


# Periods -------------------------------------------------------------------------------------


def test_period_for_each_choice():
    today = D(2026, 11, 18)  # a Wednesday
    assert period_for("week", today=today) == Period(D(2026, 11, 16), D(2026, 11, 22))
    assert period_for("4weeks", today=today) == Period(D(2026, 10, 22), D(2026, 11, 18))  # 28 days
    assert period_for("month", today=today) == Period(D(2026, 11, 1), D(2026, 11, 30))
    assert period_for("last_month", today=today) == Period(D(2026, 10, 1), D(2026, 10, 31))
    assert period_for("last_month", today=D(2026, 1, 5)) == Period(D(2025, 12, 1), D(2025, 12, 31))
    assert period_for("custom", today=today, first=D(2026, 9, 3), last=D(2026, 9, 9)) == Period(
        D(2026, 9, 3), D(2026, 9, 9)
    )
    with pytest.raises(ValueError):
        period_for("custom", today=today)
    with pytest.raises(ValueError):
        period_for("fortnight", today=today)


def test_previous_period():
    assert previous(Period(D(2026, 3, 1), D(2026, 3, 31))) == Period(D(2026, 2, 1), D(2026, 2, 28))  # the month before
    four = Period(D(2026, 10, 22), D(2026, 11, 18))
    assert previous(four) == Period(D(2026, 9, 24), D(2026, 10, 21))  # the 28 days before
    assert previous(four).days == 28
    assert previous(Period(D(2026, 11, 16), D(2026, 11, 22))) == Period(D(2026, 11, 9), D(2026, 11, 15))


def test_a_hold_whose_time_has_passed_is_lapsed_not_open(make_slot, scope, clinic, session_type):
    # The worker marks a hold lapsed a moment after held_until; until then it is no longer held for anyone.
    inside = at(D(2026, 11, 4), dt.time(10))
    patient = PatientFactory()
    entry = WaitlistEntry.objects.create(
        clinic=clinic,
        patient=patient,
        name=patient.name,
        phone=patient.contact.phone,
        session_type=session_type,
        first_day=D(2026, 11, 4),
        last_day=D(2026, 11, 20),
    )
    book(make_slot(D(2026, 11, 10), 9), "held", waitlist_entry=entry, created=inside, held_until=inside + HOUR)
    w = selectors.waitlist(scope=scope, period=P, now=NOW)
    assert (w.offers, w.open, w.lapsed) == (1, 0, 1)  # held until 4 Nov 11:00, now 20 Nov: not taken in time


def test_closures_and_hours_by_the_karachi_day(make_slot, scope, clinic):
    closure = ClinicClosure.objects.create(start_date=D(2026, 11, 3), end_date=D(2026, 11, 3), reason="Holiday")
    closure.clinics.add(clinic)
    make_slot(D(2026, 11, 3), 0, 30)  # 00:30 PKT on the closed day (2 Nov in UTC): out
    make_slot(D(2026, 11, 2), 23, 30)  # 23:30 PKT the day before (18:30 UTC): offered
    hours = [
        (h.weekday, h.hour, h.use.offered_minutes) for h in selectors.hours_of_week(scope=scope, period=P, now=NOW)
    ]
    assert hours == [(1, 23, 45)]  # Monday 23:00 Karachi only


def test_a_session_moved_later_was_booked_further_ahead(make_slot, scope):
    first = make_slot(D(2026, 11, 3), 10)
    booking = book(first, created=first.starts_at - 2 * HOUR)
    later = make_slot(D(2026, 11, 6), 10)
    services.booking_move(booking=booking, new_slot_id=later.pk, now=first.starts_at - HOUR)
    found = selectors.lead_times(scope=scope, period=P)
    assert (found["same_day"], found["days_3_7"]) == (0, 1)  # booked 3 days 2 h before its time now


def test_a_course_the_clinic_cancelled_a_session_of_is_still_completed(make_slot, scope, physio):
    patient = PatientFactory()
    made = Course.objects.create(patient=patient, physiotherapist=physio)
    book(make_slot(D(2026, 11, 3), 9), "attended", patient=patient, course=made)
    book(make_slot(D(2026, 11, 4), 9), "cancelled", patient=patient, course=made, cancel_reason="therapist_away")
    book(make_slot(D(2026, 11, 5), 9), "attended", patient=patient, course=made)
    c = selectors.courses(scope=scope, period=P, now=NOW)
    assert (c.ended, c.completed) == (1, 1)  # the clinic's cancellation is not the patient's


def test_a_second_session_missed_or_past_unmarked_is_not_booked_again(make_slot, scope):
    missed, unmarked = PatientFactory(), PatientFactory()
    book(make_slot(D(2026, 11, 3), 9), "attended", patient=missed)
    book(make_slot(D(2026, 11, 10), 9), "no_show", patient=missed)
    book(make_slot(D(2026, 11, 3), 10), "attended", patient=unmarked)
    book(make_slot(D(2026, 11, 10), 10), patient=unmarked)  # confirmed, passed before now, never marked
    cohort = selectors.cohort(scope=scope, period=P, now=NOW)
    assert (cohort.new, cohort.booked_again, cohort.reached[2]) == (2, 0, 0)
