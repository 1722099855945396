"""
What changes a booking: book (online, at the desk, a hold for the waitlist), cancel, move,
check in, mark attended or a no-show, set its language. The public pages, the admin and the
management commands all call these functions, so each rule is written once. A service
locks what is scarce (the slot's row, the patient's), re-checks with the availability
policy, writes, and queues the messages the change owes in the same transaction; it raises
a bookings.errors refusal and never returns an HTTP response.
"""

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from bookings.booking import screening
from bookings.booking.patients import (
    check_patient_can_book,
    check_patient_free,
    lock_patient,
    opt_in,
    patient_get_or_create,
)
from bookings.errors import BookingError, InvalidTransition, SlotUnavailable, TooLateToChange
from bookings.messaging import events as notifications
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSource,
    BookingStatus,
    CancelReason,
    SafetyScreening,
    SessionType,
    Slot,
)
from bookings.phones import normalize_phone
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from bookings.signals import announce_schedule_changed

logger = logging.getLogger(__name__)


# No 0/O, 1/I/L: a reference read out over the phone can't be misheard as another.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


REFERENCE_LENGTH = 7  # 31**7 ≈ 2.75e10 references


def check_slot_free(
    slot: Slot,
    *,
    now: dt.datetime,
    channel: Channel,
    exclude_booking: Booking | None = None,
    active_bookings: list[Booking] | None = None,
) -> None:
    """Raise SlotUnavailable with the availability policy's reason if `slot` can't be booked."""
    reason = availability.refusal(
        slot, channel=channel, now=now, exclude_booking=exclude_booking, active_bookings=active_bookings
    )
    if reason:
        raise SlotUnavailable(reason)


def patient_can_change(booking: Booking, *, now: dt.datetime | None = None) -> bool:
    """Return whether the patient may still cancel or move this booking online."""
    now = now or timezone.now()
    cutoff = dt.timedelta(hours=settings.ASPIRE_CANCEL_CUTOFF_HOURS)
    return booking.status == BookingStatus.CONFIRMED and booking.slot.starts_at - now >= cutoff


def _check_patient_can_change(booking: Booking, now: dt.datetime) -> None:
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(
            gettext("This booking is %(status)s.") % {"status": booking.get_status_display().lower()}
        )
    if not patient_can_change(booking, now=now):
        raise TooLateToChange(
            gettext(
                "It is less than %(hours)s hours to your session, so it can't be changed online. "
                "Please call us on %(phone)s."
            )
            % {"hours": settings.ASPIRE_CANCEL_CUTOFF_HOURS, "phone": settings.ASPIRE_PHONE_DISPLAY}
        )


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_manage_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def lock_slot(slot_id: int) -> Slot:
    """
    Lock the slot's own row (not its clinic's or therapist's: bookings of other times
    at the clinic go on in parallel) and read it with what the availability policy asks.
    """
    slots = availability.with_flags(Slot.objects.select_for_update(of=("self",)))
    try:
        return slots.select_related("clinic", "physiotherapist").get(pk=slot_id)
    except Slot.DoesNotExist:
        raise SlotUnavailable(gettext("That time no longer exists.")) from None


def lock_slots(slot_ids: list[int]) -> None:
    """Lock several slots' rows, in the order given (callers sort them: two such locks can't deadlock)."""
    list(Slot.objects.select_for_update(of=("self",)).filter(pk__in=slot_ids).order_by("pk").values_list("pk"))


@transaction.atomic
def booking_create(
    *,
    slot_id: int,
    session_type: SessionType,
    name: str,
    phone: str,
    email: str = "",
    notes: str = "",
    consent: bool = False,
    source: str = BookingSource.ONLINE,
    created_by: AbstractBaseUser | None = None,
    form_key: str = "",
    contact_channel: str = "",
    language: str = settings.LANGUAGE_CODE,
    now: dt.datetime | None = None,
    apply_online_rules: bool = True,
    notify: bool = True,
    screening_answers: dict[str, bool] | None = None,
    hold_until: dt.datetime | None = None,
    waitlist_entry=None,
) -> Booking:
    """
    Book a slot: lock it, re-check it is free, write. Raise SlotUnavailable if it
    is not, and TooManyBookings past the per-phone limit. Online bookings follow
    the online rules (notice, window, limit); staff bookings don't.

    With `hold_until`, the slot is held for a patient on the waitlist (`waitlist_entry`)
    until then, by the same rules (bookings.waitlist); the patient claims it or it lapses.

    `form_key` is the one-time key of the form the booking came from: the same form
    sent twice (a double click, a resent POST) gets the booking it already made. Only
    the browser that drew the form knows its key; a phone number alone never leads
    to anyone's booking.

    `screening_answers` (the online form's safety questions, {} if left blank) are kept
    with the consent version agreed to, and whether this is the number's first visit.
    """
    now = now or timezone.now()
    slot = lock_slot(slot_id)
    e164 = normalize_phone(phone)
    active = _lapse_ended_holds(list(slot.bookings.filter(status__in=ACTIVE_STATUSES)), now=now)
    if form_key:
        for mine in active:
            if mine.form_key == form_key:
                return mine
    online = source == BookingSource.ONLINE and apply_online_rules
    check_slot_free(slot, now=now, channel=Channel.ONLINE if online else Channel.STAFF, active_bookings=active)
    # The opt-in is written with the patient's row, in one statement; a refusal below rolls both back.
    agreed = opt_in(channel=contact_channel, source=source, now=now) if contact_channel else None
    patient = patient_get_or_create(phone=e164, name=name, email=email, changes=agreed)
    counts = check_patient_can_book(patient=patient, slot=slot, now=now, online=online)
    booking = Booking(
        reference=new_reference(),
        manage_token=new_manage_token(),
        form_key=form_key,
        slot=slot,
        session_type=session_type,
        patient=patient,
        name=name.strip(),
        phone=patient.phone,
        email=email,
        notes=notes,
        consent=consent,
        source=source,
        created_by=created_by if created_by and created_by.is_authenticated else None,
        language=language,
        status=BookingStatus.CONFIRMED if hold_until is None else BookingStatus.HELD,
        held_until=hold_until,
        waitlist_entry=waitlist_entry,
    )
    try:
        # No savepoint of its own: a refusal leaves this function, and its atomic() rolls back.
        booking.save()
    except IntegrityError as exc:
        # The database's partial unique constraint: another request booked the slot
        # between our check and our insert (SQLite has no row locks).
        logger.info("Booking refused by the database for slot %s: %s", slot.pk, exc)
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    if screening_answers is not None:
        SafetyScreening.objects.create(
            booking=booking,
            answers=screening_answers,
            first_visit=not counts["attended"],
            needs_talk=screening.needs_talk(screening_answers),
            consent_version=screening.CONSENT_VERSION,
            consented_at=now,
        )
    if notify:
        notifications.booking_confirmed(booking=booking)
    return booking


def booking_set_language(*, booking: Booking, language: str) -> Booking:
    """Keep the language the patient wants their messages in (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise BookingError(gettext("Choose English or Urdu."))
    if booking.language != language:
        booking.language = language
        booking.save(update_fields=["language", "updated_at"])
    return booking


def _lapse_ended_holds(active: list[Booking], *, now: dt.datetime) -> list[Booking]:
    """
    Of a locked slot's active bookings, let the waitlist holds that have ended lapse (the
    database's one-per-slot rule still counts them until then) and return the others.
    Nothing is written unless a hold has ended.
    """
    ended = [b.pk for b in active if b.status == BookingStatus.HELD and not availability.holds(b, now)]
    if ended:
        Booking.objects.filter(pk__in=ended, status=BookingStatus.HELD).update(status=BookingStatus.LAPSED)
    return [b for b in active if b.pk not in ended]


def lock_booking(booking: Booking) -> Booking:
    """
    Lock the booking's own row, then read it afresh with its slot. Locking through a
    join would not do: when another change commits first, PostgreSQL re-checks the
    join against the slot row it had already read, drops the booking from the result
    and the second change fails with DoesNotExist instead of seeing the new state.
    """
    Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk").get()
    return Booking.objects.select_related("slot").get(pk=booking.pk)


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by_patient: bool = False, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """
    Cancel a confirmed booking, freeing its slot. A patient may do so only until the
    cut-off; reception gives a reason from CancelReason (a patient's own cancellation
    is "patient asked").
    """
    now = now or timezone.now()
    booking = lock_booking(booking)
    if by_patient:
        _check_patient_can_change(booking, now)
        reason = CancelReason.PATIENT_ASKED
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(
            f"Only a confirmed booking can be cancelled; this one is {booking.get_status_display().lower()}."
        )
    if reason and reason not in CancelReason.values:
        raise BookingError("Choose why the booking is cancelled.")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    notifications.booking_cancelled(booking=booking, by_patient=by_patient)
    announce_schedule_changed()  # a time is free: the waitlist hears of it
    return booking


@transaction.atomic
def booking_check_in(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """Record that the patient has arrived for today's session (safe to press twice)."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(f"A {booking.get_status_display().lower()} booking can't be checked in.")
    if timezone.localtime(booking.slot.starts_at).date() != timezone.localtime(now).date():
        raise InvalidTransition("Only today's sessions can be checked in.")
    if booking.checked_in_at is None:
        booking.checked_in_at = now
        booking.save(update_fields=["checked_in_at", "updated_at"])
    return booking


def desk_actions(booking: Booking, *, now: dt.datetime) -> list[tuple[str, str]]:
    """
    Return the one-click actions the desk is offered for `booking` now, as (action, label),
    by the same rules the services below apply (cancel is offered for every confirmed one).
    """
    day, today = timezone.localtime(booking.slot.starts_at).date(), timezone.localtime(now).date()
    actions = []
    if booking.status == BookingStatus.CONFIRMED and day == today and booking.checked_in_at is None:
        actions.append(("check_in", "Arrived"))
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW) and day <= today:
        actions.append(("attended", "Attended"))
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED) and booking.slot.starts_at <= now:
        actions.append(("no_show", "No-show"))
    return actions


def _check_can_mark(booking: Booking, *, now: dt.datetime) -> None:
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        raise InvalidTransition(f"A {booking.get_status_display().lower()} booking can't be marked.")
    if timezone.localtime(booking.slot.starts_at).date() > timezone.localtime(now).date():
        raise InvalidTransition("A session on a later day can't be marked yet.")


@transaction.atomic
def booking_mark_attended(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """Record that the patient came (also corrects an earlier no-show)."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    _check_can_mark(booking, now=now)
    booking.status = BookingStatus.ATTENDED
    booking.attended_at = now
    booking.save(update_fields=["status", "attended_at", "updated_at"])
    return booking


@transaction.atomic
def booking_mark_no_show(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """Record that the patient did not come; only once the session has started."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    _check_can_mark(booking, now=now)
    if booking.slot.starts_at > now:
        raise InvalidTransition("A session can be marked as a no-show only once it has started.")
    booking.status = BookingStatus.NO_SHOW
    booking.no_show_at = now
    booking.save(update_fields=["status", "no_show_at", "updated_at"])
    return booking


@transaction.atomic
def booking_move(
    *, booking: Booking, new_slot_id: int, by_patient: bool = False, now: dt.datetime | None = None
) -> Booking:
    """Move a confirmed booking to another free slot, keeping its reference and token."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    if by_patient:
        _check_patient_can_change(booking, now)
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(gettext("Only a confirmed booking can be moved."))
    if booking.slot_id == new_slot_id:
        return booking
    new_slot = lock_slot(new_slot_id)
    if by_patient and new_slot.clinic_id != booking.slot.clinic_id:
        # Online, a session moves to another time at its own clinic (the move page offers
        # no other); a change of clinic goes through reception, who know both branches.
        raise SlotUnavailable(
            gettext(
                "Online, a session can move only to another time at the same clinic. To change clinic, "
                "please call us on %(phone)s."
            )
            % {"phone": settings.ASPIRE_PHONE_DISPLAY}
        )
    channel = Channel.ONLINE if by_patient else Channel.STAFF
    active = _lapse_ended_holds(list(new_slot.bookings.filter(status__in=ACTIVE_STATUSES)), now=now)
    check_slot_free(new_slot, now=now, channel=channel, exclude_booking=booking, active_bookings=active)
    check_patient_free(patient=lock_patient(booking.patient_id), slot=new_slot, now=now, exclude_booking=booking)
    previous_start = booking.slot.starts_at
    booking.slot = new_slot
    try:
        booking.save(update_fields=["slot", "updated_at"])
    except IntegrityError as exc:  # as in booking_create: the atomic() of this function rolls back
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    notifications.booking_moved(booking=booking, by_patient=by_patient, previous_start=previous_start)
    announce_schedule_changed()  # its old time is free: the waitlist hears of it
    return booking
