"""The waitlist: a freed time is held for the earliest waiting patient, offered by message, and claimed once."""

import datetime as dt
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings import errors
from bookings.booking import patients, services, waitlist
from bookings.models import Booking, BookingStatus, Message, WaitlistEntry, WaitlistStatus
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from tests import race
from tests.factories import BookingFactory, SessionTypeFactory, SlotFactory
from tests.staff import sign_in


@pytest.fixture(autouse=True)
def messages_at_any_hour(settings):
    """Offers go out only in the message hours; these tests run at any hour (one below keeps the hours)."""
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 0, 24


def _join(slot, phone, name="Waiting Patient", **kwargs):
    day = timezone.localtime(slot.starts_at).date()
    return waitlist.waitlist_join(
        clinic=slot.clinic, name=name, phone=phone, session_type=SessionTypeFactory(),
        first_day=day, last_day=day, **kwargs,
    )  # fmt: skip


@pytest.fixture
def full_day(db):
    """A slot booked by someone, and two patients waiting for that day (A first)."""
    slot = SlotFactory()
    booking = BookingFactory(slot=slot)
    first = _join(slot, "03001112233", "Amna First")
    second = _join(slot, "03004445566", "Bilal Second")
    return slot, booking, first, second


def test_a_cancellation_offers_the_time_to_the_earliest_waiting_patient(full_day):
    slot, booking, first, second = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    result = waitlist.waitlist_run()
    assert result["offered"] == 1
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    assert hold.waitlist_entry == first and hold.name == "Amna First"
    assert hold.held_until - timezone.now() <= dt.timedelta(minutes=15)
    offer = Message.objects.get(booking=hold, kind="waitlist_offer")
    assert offer.params["held_until"] and offer.params["manage_path"] == hold.get_absolute_url()
    assert not second.offers.exists()


def test_the_cancel_itself_wakes_the_waitlist(full_day, django_capture_on_commit_callbacks):
    slot, booking, first, _ = full_day
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, reason="patient_asked")
    assert Booking.objects.get(slot=slot, status=BookingStatus.HELD).waitlist_entry == first


def test_a_held_time_is_not_bookable_by_anyone_else(full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    for channel in Channel:
        assert not availability.bookable(channel=channel).filter(pk=slot.pk).exists()
    with pytest.raises(errors.SlotUnavailable, match="held"):
        services.book_online(slot_id=slot.pk, session_type=SessionTypeFactory(), name="Other", phone="03009998877")
    with pytest.raises(errors.SlotUnavailable):
        services.book_at_desk(
            slot_id=slot.pk, session_type=SessionTypeFactory(), name="Desk", phone="03009998877", source="phone"
        )


def test_after_the_hold_ends_the_time_passes_to_the_next_patient(full_day):
    slot, booking, first, second = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    later = timezone.now() + dt.timedelta(minutes=16)
    # Once the hold has ended the time is on sale again, before any job has run.
    assert availability.bookable(channel=Channel.ONLINE, now=later).filter(pk=slot.pk).exists()
    result = waitlist.waitlist_run(now=later)
    assert result["lapsed"] == 1 and result["offered"] == 1
    assert Booking.objects.get(slot=slot, waitlist_entry=first).status == BookingStatus.LAPSED
    assert Booking.objects.get(slot=slot, status=BookingStatus.HELD).waitlist_entry == second
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitlistStatus.WAITING  # still waiting for another


def test_a_booking_after_the_hold_ended_lets_it_lapse(full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    later = timezone.now() + dt.timedelta(minutes=16)
    taken = services.book_online(
        slot_id=slot.pk, session_type=SessionTypeFactory(), name="Other", phone="03009998877", now=later
    )
    assert taken.status == BookingStatus.CONFIRMED
    assert Booking.objects.filter(slot=slot, status=BookingStatus.LAPSED).count() == 1


def test_claiming_books_the_held_time_once(full_day):
    slot, booking, first, _ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    claimed = waitlist.waitlist_claim(booking=hold)
    again = waitlist.waitlist_claim(booking=hold)
    assert claimed.pk == again.pk == hold.pk and claimed.status == BookingStatus.CONFIRMED
    assert Message.objects.filter(booking=hold, kind="confirmed", audience="patient", channel="sms").count() == 1
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitlistStatus.BOOKED


def test_a_claim_after_the_hold_ended_is_refused(full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    with pytest.raises(waitlist.OfferEnded):
        waitlist.waitlist_claim(booking=hold, now=timezone.now() + dt.timedelta(minutes=15, seconds=1))


def test_the_offer_page_books_with_one_tap(client, full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    page = client.get(hold.get_absolute_url())
    assert b"Book this time" in page.content and b"held" in page.content.lower()
    response = client.post(reverse("bookings:manage_claim", args=[hold.manage_token]), follow=True)
    assert b"Your session is booked" in response.content
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.CONFIRMED


def test_no_thanks_passes_the_time_on_at_once(client, full_day):
    slot, booking, first, second = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    client.post(reverse("bookings:manage_decline", args=[hold.manage_token]))
    waitlist.waitlist_run()
    assert Booking.objects.get(slot=slot, status=BookingStatus.HELD).waitlist_entry == second


def test_entries_match_part_of_day_and_therapist(db):
    slot = SlotFactory()
    BookingFactory(slot=slot)
    hour = timezone.localtime(slot.starts_at).hour
    other_part = "evening" if hour < 12 else "morning"
    entry = _join(slot, "03001112233", part_of_day=other_part)
    assert not waitlist.matching_slots(entry, now=timezone.now()).exists()
    other = _join(slot, "03004445566", physiotherapist=SlotFactory().physiotherapist)
    assert not waitlist.matching_slots(other, now=timezone.now()).exists()


def test_entries_expire_after_their_last_day(full_day):
    *_, first, second = full_day
    after = timezone.now() + dt.timedelta(days=60)
    assert waitlist.waitlist_run(now=after)["expired"] == 2
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {WaitlistStatus.EXPIRED}


def test_joining_twice_gives_one_entry_and_a_limit_per_phone(db):
    slot = SlotFactory()
    assert _join(slot, "03001112233").pk == _join(slot, "0300-1112233").pk
    for _i in range(waitlist.MAX_WAITING_PER_PHONE - 1):
        _join(SlotFactory(), "03001112233")
    with pytest.raises(waitlist.WaitlistError, match="at a time"):
        _join(SlotFactory(), "03001112233")


def test_joining_refuses_days_in_the_past(db):
    slot = SlotFactory()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(waitlist.WaitlistError):
        waitlist.waitlist_join(
            clinic=slot.clinic, name="A", phone="03001112233", session_type=SessionTypeFactory(),
            first_day=yesterday, last_day=yesterday,
        )  # fmt: skip


# Two claims at once (PostgreSQL, real connections) ------------------------------------------------------


def _claim_race(hold, threads=8):
    def claim():
        return waitlist.waitlist_claim(booking=Booking.objects.get(pk=hold.pk)).pk

    return race.run_together([claim] * threads, refusals=(errors.BookingError,))


@pytest.fixture
def held(transactional_db, monkeypatch):
    slot = SlotFactory()
    _join(slot, "03001112233")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    # Widen the window between the claim's check and its write, so the claims really overlap.
    check = patients.check_patient_can_book

    def slow(*args, **kwargs):
        counts = check(*args, **kwargs)
        time.sleep(0.05)
        return counts

    monkeypatch.setattr(services, "check_patient_can_book", slow)
    yield hold
    Message.objects.all().delete()
    Booking.objects.all().delete()


@pytest.mark.postgres
def test_two_claims_at_once_give_one_booking_and_one_confirmation(held):
    outcomes = _claim_race(held)
    assert [o for o in outcomes if o[0] != "ok"] == []
    assert {pk for _, pk in outcomes} == {held.pk}
    assert Booking.objects.filter(slot=held.slot, status=BookingStatus.CONFIRMED).count() == 1
    assert Message.objects.filter(booking=held, kind="confirmed", audience="patient", channel="sms").count() == 1


@pytest.mark.postgres
def test_control_without_the_lock_claims_twice(held, monkeypatch):
    """
    The same race without the booking's lock goes wrong: the claim is confirmed more than once, or
    (since a claim also writes the booking's one screening row) the losers hit its unique constraint
    and the patient gets an error page instead of their booking.
    """
    unlocked = lambda booking: Booking.objects.select_related("slot").get(pk=booking.pk)  # noqa: E731
    # A claim locks the hold slot first (services.lock_hold), then the booking: both go.
    monkeypatch.setattr(services, "lock_booking", unlocked)
    monkeypatch.setattr(services, "lock_hold", unlocked)
    outcomes = _claim_race(held)
    failed = [o for o in outcomes if o[0] == "error"]
    confirmations = Message.objects.filter(booking=held, kind="confirmed", audience="patient", channel="sms").count()
    assert confirmations > 1 or failed, (confirmations, outcomes)


# Reception's list -------------------------------------------------------------------------------------


def test_a_receptionist_sees_only_their_clinics_waitlist(db, client, django_assert_max_num_queries):
    from tests.bookings.conftest import staff_user

    mine, theirs = SlotFactory(), SlotFactory()
    user = staff_user("Receptionist", "desk-one")
    mine.clinic.front_desk.add(user)
    for i in range(8):
        _join(SlotFactory(clinic=mine.clinic), f"0300{2000000 + i}", f"Mine {i}")
    _join(theirs, "03007778899", "Not Mine")
    sign_in(client, user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:bookings_waitlistentry_changelist"))
    assert page.status_code == 200
    assert b"Mine 7" in page.content and b"Not Mine" not in page.content


# The public form --------------------------------------------------------------------------------------


def test_the_waitlist_form_puts_the_patient_on_the_list(client, db):
    slot = SlotFactory()
    session_type = SessionTypeFactory()
    day = timezone.localtime(slot.starts_at).date()
    url = reverse("bookings:waitlist_join", args=[slot.clinic.slug])
    assert client.get(url + f"?date={day}").status_code == 200
    response = client.post(url, {
        "name": "Sana", "phone": "0300-1112233", "first_day": day, "last_day": day + dt.timedelta(days=3),
        "part_of_day": "evening", "physio": "", "gender": "female", "session_type": session_type.pk, "consent": "on",
    })  # fmt: skip
    assert response.status_code == 200 and b"You are on the waitlist" in response.content
    entry = WaitlistEntry.objects.get()
    assert (entry.clinic, entry.part_of_day, entry.gender, entry.phone.as_e164) == (
        slot.clinic,
        "evening",
        "female",
        "+923001112233",
    )


def test_bad_input_on_the_waitlist_form_gets_a_clear_message_and_nothing_written(client, db):
    slot = SlotFactory()
    day = timezone.localtime(slot.starts_at).date()
    url = reverse("bookings:waitlist_join", args=[slot.clinic.slug])
    response = client.post(url, {
        "name": "Sana", "phone": "12", "first_day": day, "last_day": day - dt.timedelta(days=1),
        "part_of_day": "any", "session_type": SessionTypeFactory().pk,
    })  # fmt: skip
    assert response.status_code == 400
    assert b"before the first" in response.content and b"safety information" in response.content
    assert not WaitlistEntry.objects.exists()


def test_a_day_with_no_times_and_the_clinic_page_link_to_the_waitlist(client, db):
    slot = SlotFactory()
    BookingFactory(slot=slot)
    day = timezone.localtime(slot.starts_at).date()
    link = reverse("bookings:waitlist_join", args=[slot.clinic.slug]).encode()
    assert link in client.get(reverse("bookings:book_clinic", args=[slot.clinic.slug]) + f"?date={day}").content
    assert link in client.get(slot.clinic.get_absolute_url()).content


# Found by a hostile probe of the merged waitlist (each failed before its fix) -------------------------


def test_a_number_that_cant_book_online_cant_join_or_be_offered_a_time(full_day, settings):
    """A hold it could never claim would keep the time from everyone else for 15 minutes, again and again."""
    slot, booking, first, _ = full_day
    settings.ASPIRE_NO_SHOWS_BEFORE_CALL = 1
    BookingFactory(patient=first.patient, phone=first.patient.contact.phone, status=BookingStatus.NO_SHOW)
    with pytest.raises(errors.TooManyBookings):
        _join(SlotFactory(clinic=slot.clinic), "03001112233", "Amna First")
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    assert not first.offers.exists()  # skipped: the next patient waiting gets the time
    assert Booking.objects.get(slot=slot, status=BookingStatus.HELD).waitlist_entry != first


def test_an_entry_stops_after_three_offers_not_taken(db):
    """A number typed by someone else is not texted for every time that frees, for weeks."""
    first = SlotFactory()
    slots = [first] + [SlotFactory(clinic=first.clinic) for _ in range(4)]
    entry = waitlist.waitlist_join(
        clinic=slots[0].clinic, name="Not Reading", phone="03001112233", session_type=SessionTypeFactory(),
        first_day=timezone.localdate(), last_day=timezone.localdate() + dt.timedelta(days=55),
    )  # fmt: skip
    now = timezone.now()
    for _ in range(5):
        waitlist.waitlist_run(now=now)
        now += dt.timedelta(minutes=16)  # each hold lapses
    waitlist.waitlist_run(now=now)
    assert entry.offers.count() == waitlist.MAX_OFFERS_NOT_TAKEN
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


def test_a_claim_inside_leave_that_began_after_the_offer_is_refused(full_day):
    from bookings.models import TimeOff

    slot, booking, first, _ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    TimeOff.objects.create(physiotherapist=slot.physiotherapist, starts_at=slot.starts_at, ends_at=slot.ends_at)
    with pytest.raises(errors.SlotUnavailable, match="not working"):
        waitlist.waitlist_claim(booking=hold)
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.HELD


def test_only_times_still_bookable_when_the_hold_ends_are_offered(db, settings):
    """A time 2 h 5 min away, held 15 minutes, would be inside the 2-hour notice when claimed."""
    soon = SlotFactory(starts_at=timezone.now() + dt.timedelta(minutes=settings.ASPIRE_MIN_NOTICE_MINUTES + 5))
    _join(soon, "03001112233")
    assert waitlist.waitlist_run()["offered"] == 0


def test_an_urdu_patients_offer_and_booking_are_in_urdu(full_day):
    slot, booking, *_ = full_day
    day = timezone.localtime(slot.starts_at).date()
    entry = waitlist.waitlist_join(
        clinic=slot.clinic, name="Urdu Patient", phone="03007778899", session_type=SessionTypeFactory(),
        first_day=day, last_day=day, language="ur",
    )  # fmt: skip
    WaitlistEntry.objects.exclude(pk=entry.pk).update(status=WaitlistStatus.CANCELLED)
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    offer = Message.objects.get(booking=hold, kind="waitlist_offer")
    assert hold.language == "ur" and offer.language == "ur" and offer.params["manage_path"].startswith("/ur/")


def test_the_waitlist_form_keeps_the_pages_language(client, db):
    slot = SlotFactory()
    day = timezone.localtime(slot.starts_at).date()
    data = {
        "name": "Urdu Patient", "phone": "03007778899", "session_type": SessionTypeFactory().pk,
        "first_day": day.isoformat(), "last_day": day.isoformat(), "part_of_day": "any", "consent": "on",
    }  # fmt: skip
    client.post(f"/ur/waitlist/{slot.clinic.slug}/", data)
    assert WaitlistEntry.objects.get().language == "ur"
    assert (
        "Choose days from today on."
        not in client.post(
            f"/ur/waitlist/{slot.clinic.slug}/", {**data, "first_day": "2000-01-01", "last_day": "2000-01-02"}
        ).content.decode()
    )


def test_offers_wait_for_the_message_hours(full_day, settings):
    slot, booking, first, _ = full_day
    settings.ASPIRE_MESSAGE_HOURS_START, settings.ASPIRE_MESSAGE_HOURS_END = 9, 21
    services.booking_cancel(booking=booking, reason="patient_asked")
    night = timezone.localtime().replace(hour=3, minute=0) + dt.timedelta(days=0)
    assert waitlist.waitlist_run(now=night)["offered"] == 0
    morning = night.replace(hour=9, minute=5)
    assert waitlist.waitlist_run(now=morning)["offered"] == 1


def test_no_thanks_after_claiming_says_it_is_still_booked(client, full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = Booking.objects.get(slot=slot, status=BookingStatus.HELD)
    waitlist.waitlist_claim(booking=hold)
    response = client.post(reverse("bookings:manage_decline", args=[hold.manage_token]), follow=True)
    assert "This time is booked for you" in response.content.decode()
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.CONFIRMED


def test_a_claimed_first_visit_shows_the_safety_questions_unanswered(full_day):
    slot, booking, *_ = full_day
    services.booking_cancel(booking=booking, reason="patient_asked")
    waitlist.waitlist_run()
    hold = waitlist.waitlist_claim(booking=Booking.objects.get(slot=slot, status=BookingStatus.HELD))
    assert hold.screening.not_answered and hold.screening.consent_version


def test_the_waitlist_form_starts_with_the_first_session_type_chosen(client, db):
    first = SessionTypeFactory(name="First visit", order=0)
    SessionTypeFactory(name="Follow-up", order=1)
    html = client.get(f"/waitlist/{SlotFactory().clinic.slug}/").content.decode()
    chosen = re.findall(r'<input[^>]*name="session_type"[^>]*>', html)
    assert [tag for tag in chosen if "checked" in tag and f'value="{first.pk}"' in tag], chosen
