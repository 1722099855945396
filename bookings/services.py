"""
Everything that changes the state of bookings and slots. The public booking
form, the admin and the management commands all call these functions, so each
rule is written once. A service raises a BookingError subclass for a refusal
and never returns an HTTP response.
"""

import bisect
import datetime as dt
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext

from bookings import availability, notifications, screening
from bookings.availability import Channel
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSource,
    BookingStatus,
    CancelReason,
    Clinic,
    ClinicClosure,
    Patient,
    Physiotherapist,
    SafetyScreening,
    SessionType,
    Slot,
    TimeOff,
    Weekday,
    WeeklyAvailability,
)
from bookings.phones import normalize_phone
from bookings.signals import announce_schedule_changed
from bookings.timeutils import at, day_bounds, local_today

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a reference read out over the phone can't be misheard as another.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 7  # 31**7 ≈ 2.75e10 references


class BookingError(Exception):
    """A booking action was refused; the message is fit to show a patient or receptionist."""

    code = "booking_error"


class SlotUnavailable(BookingError):
    code = "slot_unavailable"


class InvalidTransition(BookingError):
    code = "invalid_transition"


class TooManyBookings(BookingError):
    code = "too_many_bookings"


class TooLateToChange(BookingError):
    code = "too_late"


class PatientBusy(BookingError):
    code = "patient_busy"


def _check_slot_free(
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


def _too_many_bookings(clinic: Clinic) -> TooManyBookings:
    # One answer for every reason a number can't book online (the upcoming-session limit, too many
    # no-shows): whoever types someone else's number learns no more than that the limit exists.
    limit = settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE
    phone = clinic.phone.as_national if clinic.phone else settings.ASPIRE_PHONE_DISPLAY
    return TooManyBookings(
        gettext(
            "One phone number can hold %(limit)s upcoming sessions booked online, and some numbers book "
            "by phone only. To book this time, please call Aspire Wellness %(clinic)s on %(phone)s."
        )
        % {"limit": limit, "clinic": clinic.name, "phone": phone}
    )


def _patient_busy() -> PatientBusy:
    return PatientBusy(
        gettext(
            "This phone number already has a session booked at an overlapping time. One person can be in "
            "one place at a time: choose another time, or change the other booking first."
        )
    )


def _overlapping(slot: Slot, now: dt.datetime) -> Q:
    # A waitlist hold that has ended doesn't put its patient anywhere.
    return availability.holds_slot(now) & Q(slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at)


def _check_patient_can_book(
    *, patient: Patient, slot: Slot, now: dt.datetime, online: bool, exclude_booking: Booking | None = None
) -> dict[str, int]:
    """
    Refuse a new booking that would put the patient in two places at once, or (online) past
    the number of upcoming sessions one phone number may hold. Both are counted in one query,
    under the patient's row lock that the caller holds, so simultaneous bookings of one number
    are counted one after another and can't all slip through.
    """
    mine = Booking.objects.filter(patient=patient)
    if exclude_booking is not None:  # a waitlist hold being claimed doesn't clash with itself
        mine = mine.exclude(pk=exclude_booking.pk)
    counts = mine.aggregate(clashes=Count("pk", filter=_overlapping(slot, now)), **_online_counts(patient, now))
    if counts["clashes"]:
        raise _patient_busy()
    if online and _over_online_limits(counts):
        raise _too_many_bookings(slot.clinic)
    return counts


def _online_counts(patient: Patient, now: dt.datetime) -> dict[str, Count]:
    """What the online limits count of a patient's bookings (aggregates, to read in one query)."""
    return {
        "upcoming": Count("pk", filter=Q(status=BookingStatus.CONFIRMED, slot__starts_at__gt=now)),
        "no_shows": Count("pk", filter=_counted_no_shows(patient)),
        "attended": Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
    }


def _over_online_limits(counts: dict[str, int]) -> bool:
    """The rule: a number holding the most upcoming sessions, or with too many no-shows, books by calling."""
    return (
        counts["upcoming"] >= settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE
        or counts["no_shows"] >= settings.ASPIRE_NO_SHOWS_BEFORE_CALL
    )


def check_patient_may_book_online(*, patient: Patient, clinic: Clinic, now: dt.datetime) -> None:
    """Raise TooManyBookings if the patient can't book online now (before any time is chosen: the waitlist)."""
    if _over_online_limits(Booking.objects.filter(patient=patient).aggregate(**_online_counts(patient, now))):
        raise _too_many_bookings(clinic)


def _counted_no_shows(patient: Patient) -> Q:
    """The patient's no-shows that count against booking online: those since reception last reset the count."""
    if patient.no_shows_forgiven_at is None:
        return Q(status=BookingStatus.NO_SHOW)
    return Q(status=BookingStatus.NO_SHOW, no_show_at__gt=patient.no_shows_forgiven_at)


def patient_no_show_count(*, patient: Patient) -> int:
    """Return how many no-shows count against the patient booking online (what reception sees)."""
    return Booking.objects.filter(_counted_no_shows(patient), patient=patient).count()


@transaction.atomic
def patient_reset_no_shows(*, patient: Patient, by: AbstractBaseUser, now: dt.datetime | None = None) -> int:
    """
    Forgive the patient's no-shows so far: they can book online again. Recorded in the admin
    log with who did it and how many were forgiven. Return that number.
    """
    now = now or timezone.now()
    patient = _lock_patient(patient.pk)
    forgiven = patient_no_show_count(patient=patient)
    Patient.objects.filter(pk=patient.pk).update(no_shows_forgiven_at=now)
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=f"Patient #{patient.pk}",
        action_flag=CHANGE,
        change_message=f"Reset the no-show count ({forgiven} forgiven): the number can book online again.",
    )
    return forgiven


def _opt_in(*, channel: str, source: str, now: dt.datetime) -> dict:
    """How the patient asked to be reached, and when and where they agreed to messages: the Patient fields."""
    if channel not in ("whatsapp", "sms"):
        raise BookingError(gettext("Choose WhatsApp or text message."))
    return {"contact_channel": channel, "contact_opt_in_at": now, "contact_opt_in_source": source}


def _lock_patient(patient_id: int) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient_id)


def _check_patient_free(
    *, patient: Patient, slot: Slot, now: dt.datetime, exclude_booking: Booking | None = None
) -> None:
    """
    Refuse a booking that would put one person in two places at once: an active booking
    of theirs overlapping `slot`, with any therapist at any clinic. The caller holds the
    patient's row lock, so two simultaneous bookings of one number can't both pass.
    """
    clash = Booking.objects.filter(_overlapping(slot, now), patient=patient)
    if exclude_booking is not None:
        clash = clash.exclude(pk=exclude_booking.pk)
    if clash.exists():
        raise _patient_busy()


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


def patient_get_or_create(*, phone: str, name: str, email: str = "", changes: dict | None = None) -> Patient:
    """
    Return the patient with this phone number (any spelling), creating them if new, and
    hold their row locked until the transaction ends: what is counted per person (the
    online limit) is then counted by one request at a time, whoever is booking. `changes`
    (Patient fields, such as their opt-in) are written in the same statement.
    """
    e164 = normalize_phone(phone)
    changes = dict(changes or {})
    patient = Patient.objects.select_for_update().filter(phone=e164).first()
    if patient is None:
        # One statement and no savepoint: a racing request that has just added the same
        # number makes this an update of its row (to the same phone), not an error. The
        # upsert leaves the row locked too (PostgreSQL locks the row it inserts or updates).
        patient = Patient(phone=e164, name=name.strip(), email=email, **changes)
        Patient.objects.bulk_create(
            [patient], update_conflicts=True, unique_fields=["phone"], update_fields=["phone", *changes]
        )
        return patient
    if email and not patient.email:
        changes["email"] = email
    if changes:
        for field, value in changes.items():
            setattr(patient, field, value)
        Patient.objects.filter(pk=patient.pk).update(**changes)
    return patient


def _lock_slot(slot_id: int) -> Slot:
    """
    Lock the slot's own row (not its clinic's or therapist's: bookings of other times
    at the clinic go on in parallel) and read it with what the availability policy asks.
    """
    slots = availability.with_flags(Slot.objects.select_for_update(of=("self",)))
    try:
        return slots.select_related("clinic", "physiotherapist").get(pk=slot_id)
    except Slot.DoesNotExist:
        raise SlotUnavailable(gettext("That time no longer exists.")) from None


def _lock_slots(slot_ids: list[int]) -> None:
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
    slot = _lock_slot(slot_id)
    e164 = normalize_phone(phone)
    active = _lapse_ended_holds(list(slot.bookings.filter(status__in=ACTIVE_STATUSES)), now=now)
    if form_key:
        for mine in active:
            if mine.form_key == form_key:
                return mine
    online = source == BookingSource.ONLINE and apply_online_rules
    _check_slot_free(slot, now=now, channel=Channel.ONLINE if online else Channel.STAFF, active_bookings=active)
    # The opt-in is written with the patient's row, in one statement; a refusal below rolls both back.
    opt_in = _opt_in(channel=contact_channel, source=source, now=now) if contact_channel else None
    patient = patient_get_or_create(phone=e164, name=name, email=email, changes=opt_in)
    counts = _check_patient_can_book(patient=patient, slot=slot, now=now, online=online)
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


def _lock_booking(booking: Booking) -> Booking:
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
    booking = _lock_booking(booking)
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
    booking = _lock_booking(booking)
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
    booking = _lock_booking(booking)
    _check_can_mark(booking, now=now)
    booking.status = BookingStatus.ATTENDED
    booking.attended_at = now
    booking.save(update_fields=["status", "attended_at", "updated_at"])
    return booking


@transaction.atomic
def booking_mark_no_show(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """Record that the patient did not come; only once the session has started."""
    now = now or timezone.now()
    booking = _lock_booking(booking)
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
    booking = _lock_booking(booking)
    if by_patient:
        _check_patient_can_change(booking, now)
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(gettext("Only a confirmed booking can be moved."))
    if booking.slot_id == new_slot_id:
        return booking
    new_slot = _lock_slot(new_slot_id)
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
    _check_slot_free(new_slot, now=now, channel=channel, exclude_booking=booking, active_bookings=active)
    _check_patient_free(patient=_lock_patient(booking.patient_id), slot=new_slot, now=now, exclude_booking=booking)
    previous_start = booking.slot.starts_at
    booking.slot = new_slot
    try:
        booking.save(update_fields=["slot", "updated_at"])
    except IntegrityError as exc:  # as in booking_create: the atomic() of this function rolls back
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    notifications.booking_moved(booking=booking, by_patient=by_patient, previous_start=previous_start)
    announce_schedule_changed()  # its old time is free: the waitlist hears of it
    return booking


@transaction.atomic
def slots_set_blocked(*, slots: Iterable[Slot], blocked: bool, reason: str = "") -> tuple[int, list[Slot]]:
    """Block or unblock slots. A slot with an active booking is never blocked: return it in the skipped list."""
    ids = [slot.pk for slot in slots]
    locked = list(Slot.objects.select_for_update().filter(pk__in=ids))
    skipped = []
    changed = 0
    if blocked:
        booked_ids = set(
            Booking.objects.filter(slot_id__in=ids, status__in=ACTIVE_STATUSES).values_list("slot_id", flat=True)
        )
        skipped = [slot for slot in locked if slot.pk in booked_ids]
        targets = [slot.pk for slot in locked if slot.pk not in booked_ids]
        changed = Slot.objects.filter(pk__in=targets).update(is_blocked=True, block_reason=reason)
    else:
        changed = Slot.objects.filter(pk__in=ids).update(is_blocked=False, block_reason="")
    announce_schedule_changed()
    return changed, skipped


class ScheduleRefused(BookingError):
    code = "schedule_refused"


SLOT_PLACE_FIELDS = ("physiotherapist_id", "clinic_id", "starts_at", "ends_at")


@transaction.atomic
def slot_save(*, slot: Slot) -> Slot:
    """
    Save a new or edited slot. A slot with an active booking keeps its time, therapist
    and clinic (moving the patient is booking_move, which tells them) and can't be
    blocked; a slot never overlaps another of the same therapist.
    """
    if slot.pk:
        current = Slot.objects.select_for_update().get(pk=slot.pk)
        booked = current.bookings.filter(status__in=ACTIVE_STATUSES).exists()
        moved = any(getattr(current, name) != getattr(slot, name) for name in SLOT_PLACE_FIELDS)
        if booked and moved:
            raise ScheduleRefused(
                "This time is booked: its time, therapist and clinic can't change. Move the booking instead."
            )
        if booked and slot.is_blocked and not current.is_blocked:
            raise ScheduleRefused("This time is booked and can't be blocked: cancel or move the booking first.")
    clash = Slot.objects.overlapping(
        physiotherapist_id=slot.physiotherapist_id, starts_at=slot.starts_at, ends_at=slot.ends_at
    ).exclude(pk=slot.pk)
    if clash.exists():
        raise ScheduleRefused(f"This overlaps another slot of the same therapist: {clash.first()}.")
    if not slot.is_blocked:
        slot.block_reason = ""
    slot.save()
    announce_schedule_changed()  # a new or unblocked time: the waitlist hears of it
    return slot


def bookings_inside(*, time_off: TimeOff | None = None, closure: ClinicClosure | None = None):
    """Return the confirmed bookings whose time lies inside `time_off` or `closure`: the patients to move."""
    bookings = Booking.objects.filter(status=BookingStatus.CONFIRMED).with_related().order_by("slot__starts_at")
    if time_off is not None:
        return bookings.filter(
            slot__physiotherapist_id=time_off.physiotherapist_id,
            slot__starts_at__lt=time_off.ends_at,
            slot__ends_at__gt=time_off.starts_at,
        )
    start, _ = day_bounds(closure.start_date)
    _, end = day_bounds(closure.end_date)
    return bookings.filter(slot__clinic__in=closure.clinics.all(), slot__starts_at__gte=start, slot__starts_at__lt=end)


@transaction.atomic
def time_off_save(*, time_off: TimeOff) -> list[Booking]:
    """
    Save a therapist's leave. From the commit on, no time inside it is offered (the
    availability policy reads leave directly); return the confirmed bookings inside
    it, which reception should move.
    """
    time_off.save()
    announce_schedule_changed()  # an edit that shortens leave frees times
    return list(bookings_inside(time_off=time_off))


@transaction.atomic
def time_off_delete(*, time_off: TimeOff) -> None:
    """Remove leave: its free times are offered again."""
    time_off.delete()
    announce_schedule_changed()


@transaction.atomic
def closure_save(*, closure: ClinicClosure, clinics: Iterable[Clinic]) -> list[Booking]:
    """Save a closure of one or more clinics; return the confirmed bookings inside it (as time_off_save)."""
    closure.save()
    closure.clinics.set(list(clinics))
    announce_schedule_changed()  # an edit that shortens a closure frees times
    return list(bookings_inside(closure=closure))


@transaction.atomic
def closure_delete(*, closure: ClinicClosure) -> None:
    closure.delete()
    announce_schedule_changed()


def bookings_offer_move(*, bookings: Iterable[Booking], now: dt.datetime | None = None) -> int:
    """
    Tell each patient their time is affected (leave, a closure) and offer to move,
    with their booking link; once per booking, however often reception presses.
    """
    now = now or timezone.now()
    ids = [booking.pk for booking in bookings]
    due = Booking.objects.filter(pk__in=ids, status=BookingStatus.CONFIRMED)
    return _send_once(due, field="move_offered_at", now=now, send=notifications.booking_offer_move)


class _Periods:
    """
    One therapist's busy periods, kept sorted by start, so that asking whether a new
    period overlaps any of them looks at its neighbours only, not at every period: a
    year of slots is then made in one pass instead of a quadratic one.
    """

    def __init__(self) -> None:
        self.starts: list[dt.datetime] = []
        self.ends: list[dt.datetime] = []
        self.longest = dt.timedelta(0)

    def add(self, start: dt.datetime, end: dt.datetime) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        self.longest = max(self.longest, end - start)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        # A period that overlaps [start, end) began after start - longest and before end.
        i = bisect.bisect_right(self.starts, start - self.longest)
        while i < len(self.starts) and self.starts[i] < end:
            if self.ends[i] > start:
                return True
            i += 1
        return False


def slots_generate(
    *,
    start_date: dt.date | None = None,
    days: int = 60,
    physiotherapists: Iterable[Physiotherapist] | None = None,
) -> int:
    """
    Create the slots that weekly availability describes, from `start_date` for
    `days` days, skipping time off and clinic closures. Never duplicates a slot,
    never changes or deletes an existing one; safe to run twice or concurrently
    (the unique and exclusion constraints turn a racing duplicate into a no-op).
    Return how many slots were created.
    """
    start_date = start_date or local_today()
    end_date = start_date + dt.timedelta(days=days)
    availabilities = WeeklyAvailability.objects.filter(valid_from__lt=end_date).exclude(valid_until__lt=start_date)
    availabilities = availabilities.filter(physiotherapist__is_active=True, clinic__is_active=True)
    if physiotherapists is not None:
        availabilities = availabilities.filter(physiotherapist__in=list(physiotherapists))
    availabilities = list(availabilities)
    if not availabilities:
        return 0
    therapist_ids = {a.physiotherapist_id for a in availabilities}
    window_start, window_end = at(start_date, dt.time.min), at(end_date, dt.time.min)

    time_off: dict[int, _Periods] = defaultdict(_Periods)
    for off in TimeOff.objects.filter(
        physiotherapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ):
        time_off[off.physiotherapist_id].add(off.starts_at, off.ends_at)
    closed: set[tuple[int, dt.date]] = set()
    for clinic_id, first, last in ClinicClosure.objects.filter(
        start_date__lt=end_date, end_date__gte=start_date
    ).values_list("clinics", "start_date", "end_date"):
        day = first
        while day <= last:
            closed.add((clinic_id, day))
            day += dt.timedelta(days=1)
    existing: dict[int, _Periods] = defaultdict(_Periods)
    for physio_id, starts_at, ends_at in Slot.objects.filter(
        physiotherapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("physiotherapist_id", "starts_at", "ends_at"):
        existing[physio_id].add(starts_at, ends_at)

    new_slots = []
    day = start_date
    while day < end_date:
        for hours in availabilities:
            if hours.weekday != day.weekday() or (hours.clinic_id, day) in closed:
                continue
            if day < hours.valid_from or (hours.valid_until and day > hours.valid_until):
                continue
            length = dt.timedelta(minutes=hours.slot_minutes)
            start, close = at(day, hours.start_time), at(day, hours.end_time)
            while start + length <= close:
                end = start + length
                physio = hours.physiotherapist_id
                if not time_off[physio].overlaps(start, end) and not existing[physio].overlaps(start, end):
                    new_slots.append(
                        Slot(physiotherapist_id=physio, clinic_id=hours.clinic_id, starts_at=start, ends_at=end)
                    )
                    existing[physio].add(start, end)
                start = end
        day += dt.timedelta(days=1)
    before = Slot.objects.filter(physiotherapist_id__in=therapist_ids).count()
    Slot.objects.bulk_create(new_slots, batch_size=500, ignore_conflicts=True)
    announce_schedule_changed()
    return Slot.objects.filter(physiotherapist_id__in=therapist_ids).count() - before


# A therapist's week ----------------------------------------------------------------------------


def _minutes(clock: dt.time) -> int:
    return clock.hour * 60 + clock.minute


@dataclass(frozen=True)
class DayHours:
    """One weekday of a therapist's week as people say it: from `start` to `end`, with an optional break."""

    start: dt.time
    end: dt.time
    break_start: dt.time | None = None
    break_end: dt.time | None = None

    def periods(self) -> list[tuple[dt.time, dt.time]]:
        """Return the working periods: one, or two either side of the break."""
        if self.break_start is None or self.break_end is None:
            return [(self.start, self.end)]
        return [(self.start, self.break_start), (self.break_end, self.end)]

    def problem(self, *, slot_minutes: int) -> tuple[str, str] | None:
        """Return what is wrong with these hours as (the field at fault, a message), or None."""
        if self.end <= self.start:
            return "end", "The day must end after it starts."
        if (self.break_start is None) != (self.break_end is None):
            return ("break_end" if self.break_end is None else "break_start"), "Give the break's start and end."
        if self.break_start is not None:
            if self.break_end <= self.break_start:
                return "break_end", "The break must end after it starts."
            if not self.start < self.break_start or not self.break_end < self.end:
                return "break_start", "The break must lie inside the working day."
        for start, end in self.periods():
            if _minutes(end) - _minutes(start) < slot_minutes:
                return "end", f"{start:%H:%M}–{end:%H:%M} is shorter than one {slot_minutes}-minute slot."
        return None


@dataclass
class WeeklyHoursResult:
    """What saving a week did: its rows, the times offered and taken off sale, the bookings to move."""

    hours: list[WeeklyAvailability]
    slots_created: int
    slots_removed: int  # free times outside the new hours, deleted (or blocked, if a cancelled booking keeps them)
    affected: list[Booking]  # confirmed bookings outside the new hours


def _same_hours(a: WeeklyAvailability, b: WeeklyAvailability) -> bool:
    fields = ("weekday", "start_time", "end_time", "slot_minutes")
    return all(getattr(a, name) == getattr(b, name) for name in fields)


def _dates_overlap(row: WeeklyAvailability, first: dt.date, last: dt.date | None) -> bool:
    return (row.valid_until is None or row.valid_until >= first) and (last is None or row.valid_from <= last)


def _validity(row: WeeklyAvailability) -> str:
    until = f" until {row.valid_until:%d %b %Y}" if row.valid_until else ""
    return f"from {row.valid_from:%d %b %Y}{until}"


def _check_week(*, days: Mapping[int, DayHours], slot_minutes: int, valid_from, valid_until, today) -> None:
    if valid_from < today:
        raise ScheduleRefused("New hours can start today at the earliest: past days keep the hours they had.")
    if valid_until is not None and valid_until < valid_from:
        raise ScheduleRefused("The last day of the new hours can't be before the first.")
    if slot_minutes < 5:
        raise ScheduleRefused("A slot is at least 5 minutes long.")
    for weekday, hours in days.items():
        if weekday not in Weekday.values:
            raise ScheduleRefused(f"There is no weekday {weekday}.")
        problem = hours.problem(slot_minutes=slot_minutes)
        if problem:
            raise ScheduleRefused(f"{Weekday(weekday).label}: {problem[1]}")


def _hours_on(hours: list[WeeklyAvailability], day: dt.date) -> list[WeeklyAvailability]:
    return [h for h in hours if h.weekday == day.weekday() and _dates_overlap(h, day, day)]


def _covers(hours: list[WeeklyAvailability], slot: Slot, *, on_grid: bool) -> bool:
    """
    Return whether the week's `hours` cover `slot`: it lies inside a working period
    of its day, and, if `on_grid`, it is exactly one of the slots that period is cut
    into (the times slots_generate would make).
    """
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    if end.date() != start.date() and end.time() != dt.time.min:
        return False
    first, last = _minutes(start.time()), _minutes(end.time()) or 24 * 60
    for h in _hours_on(hours, start.date()):
        if not _minutes(h.start_time) <= first < last <= _minutes(h.end_time):
            continue
        if not on_grid:
            return True
        if last - first == h.slot_minutes and (first - _minutes(h.start_time)) % h.slot_minutes == 0:
            return True
    return False


def bookings_outside_hours(
    *,
    physiotherapist: Physiotherapist,
    clinic: Clinic | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
):
    """
    Return the confirmed bookings with `physiotherapist` (at `clinic`, if given) from
    `since` (now) whose time lies outside their weekly hours at that clinic: the
    patients reception should move after the hours changed.
    """
    since = since or timezone.now()
    bookings = Booking.objects.filter(
        status=BookingStatus.CONFIRMED, slot__physiotherapist=physiotherapist, slot__starts_at__gte=since
    ).select_related("slot")
    if clinic is not None:
        bookings = bookings.filter(slot__clinic=clinic)
    if until is not None:
        bookings = bookings.filter(slot__starts_at__lt=until)
    hours: dict[int, list[WeeklyAvailability]] = defaultdict(list)
    for row in WeeklyAvailability.objects.filter(physiotherapist=physiotherapist).exclude(
        valid_until__lt=timezone.localtime(since).date()
    ):
        hours[row.clinic_id].append(row)
    outside = [b.pk for b in bookings if not _covers(hours[b.slot.clinic_id], b.slot, on_grid=False)]
    return Booking.objects.filter(pk__in=outside).with_related().order_by("slot__starts_at")


def _take_off_sale_outside(
    *, physiotherapist: Physiotherapist, clinic: Clinic, hours: list[WeeklyAvailability], since, until
) -> int:
    """
    Take the free times of `physiotherapist` at `clinic` between `since` and `until`
    that the week's `hours` no longer make off sale: delete them, or block those a
    cancelled booking keeps (its record stays). A free time inside the hours but off
    their grid (the slot length changed) is deleted too, so the new cut can be made;
    a blocked one inside the hours stays blocked. Booked times are never touched.
    Return how many were taken off sale.
    """
    slots = Slot.objects.select_for_update(of=("self",)).filter(
        physiotherapist=physiotherapist, clinic=clinic, starts_at__gte=since
    )
    if until is not None:
        slots = slots.filter(starts_at__lt=until)
    # Locked first, then read: a booking being made of one of them has committed or waits for us.
    slots = list(slots.order_by())
    booked = defaultdict(set)
    bookings = Booking.objects.filter(
        slot__physiotherapist=physiotherapist, slot__clinic=clinic, slot__starts_at__gte=since
    )
    if until is not None:
        bookings = bookings.filter(slot__starts_at__lt=until)
    for slot_id, status in bookings.values_list("slot_id", "status"):
        booked[slot_id].add(status)
    to_delete, to_block = [], []
    for slot in slots:
        statuses = booked[slot.pk]
        if statuses & set(ACTIVE_STATUSES) or _covers(hours, slot, on_grid=True):
            continue
        inside = _covers(hours, slot, on_grid=False)
        if not statuses and not (slot.is_blocked and inside):
            to_delete.append(slot.pk)
        elif statuses and not inside and not slot.is_blocked:
            to_block.append(slot.pk)
    if to_delete:
        Slot.objects.filter(pk__in=to_delete).delete()
    if to_block:
        reason = f"Outside {physiotherapist.name}'s weekly hours"
        Slot.objects.filter(pk__in=to_block).update(is_blocked=True, block_reason=reason[:200])
    return len(to_delete) + len(to_block)


@transaction.atomic
def weekly_hours_set(
    *,
    physiotherapist: Physiotherapist,
    clinic: Clinic,
    days: Mapping[int, DayHours],
    slot_minutes: int,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> WeeklyHoursResult:
    """
    Set a therapist's week at one clinic from `valid_from` (to `valid_until`, or
    until further notice): `days` maps each working weekday (0 is Monday) to its
    hours; a day not in it is a day off. Earlier hours end the day before (past days
    are never changed); hours set for a while only (`valid_until`) give way to the
    earlier ones again afterwards. Refuse hours that clash with the therapist's
    hours at another clinic.

    The times are on sale at once: slots are made for the booking window, and free
    times the new week no longer covers are taken off sale. Booked times stay;
    the confirmed ones outside the new hours come back in `affected`, for reception
    to move. Saving the same week twice changes nothing.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    _check_week(days=days, slot_minutes=slot_minutes, valid_from=valid_from, valid_until=valid_until, today=today)
    # One change to a therapist's hours at a time: the clash check below then sees every other.
    list(Physiotherapist.objects.select_for_update().filter(pk=physiotherapist.pk).values_list("pk"))
    wanted = [
        WeeklyAvailability(
            physiotherapist=physiotherapist,
            clinic=clinic,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        for weekday, hours in sorted(days.items())
        for start, end in hours.periods()
    ]
    current = WeeklyAvailability.objects.select_for_update(of=("self",)).filter(physiotherapist=physiotherapist)
    current = [row for row in current.select_related("clinic") if _dates_overlap(row, valid_from, valid_until)]
    for row in current:
        if row.clinic_id == clinic.pk:
            continue
        for new in wanted:
            if new.weekday == row.weekday and new.start_time < row.end_time and row.start_time < new.end_time:
                raise ScheduleRefused(
                    f"{physiotherapist.name} already works at {row.clinic.name} on {row.get_weekday_display()}s "
                    f"{row.start_time:%H:%M}–{row.end_time:%H:%M} ({_validity(row)}), which overlaps "
                    f"{new.start_time:%H:%M}–{new.end_time:%H:%M} here. A therapist can't be in two places at "
                    f"once: change those hours first, or choose other times."
                )
    kept = []
    try:
        for row in current:
            if row.clinic_id != clinic.pk:
                continue
            same = next((new for new in wanted if _same_hours(new, row)), None)
            if same is not None and row.valid_from <= valid_from and row.valid_until == valid_until:
                wanted.remove(same)  # already says so: left as it is
                kept.append(row)
                continue
            if valid_until is not None and (row.valid_until is None or row.valid_until > valid_until):
                # Hours for a while only: the earlier week resumes the day after.
                tail = WeeklyAvailability(
                    physiotherapist_id=row.physiotherapist_id,
                    clinic_id=row.clinic_id,
                    weekday=row.weekday,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    slot_minutes=row.slot_minutes,
                    valid_from=valid_until + dt.timedelta(days=1),
                    valid_until=row.valid_until,
                )
            else:
                tail = None
            if row.valid_from < valid_from:
                row.valid_until = valid_from - dt.timedelta(days=1)
                row.save(update_fields=["valid_until"])
            else:
                row.delete()
            if tail is not None:
                tail.save()
        for new in wanted:
            new.save()
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a clash written around the lock
        raise ScheduleRefused(f"These hours clash with {physiotherapist.name}'s other hours.") from exc

    hours = list(WeeklyAvailability.objects.filter(physiotherapist=physiotherapist, clinic=clinic))
    since = max(now, at(valid_from, dt.time.min))
    until = at(valid_until + dt.timedelta(days=1), dt.time.min) if valid_until else None
    removed = _take_off_sale_outside(
        physiotherapist=physiotherapist, clinic=clinic, hours=hours, since=since, until=until
    )
    # One day more than the window: its last day's times are on sale until the evening before.
    created = slots_generate(
        start_date=today, days=settings.ASPIRE_BOOKING_WINDOW_DAYS + 1, physiotherapists=[physiotherapist]
    )
    announce_schedule_changed()
    affected = bookings_outside_hours(physiotherapist=physiotherapist, clinic=clinic, since=since, until=until)
    in_effect = sorted(kept + wanted, key=lambda row: (row.weekday, row.start_time))
    return WeeklyHoursResult(hours=in_effect, slots_created=created, slots_removed=removed, affected=list(affected))


def _send_once(due, *, field: str, now: dt.datetime, send) -> int:
    """
    Queue one message per booking in `due` and record it in `field`, in one transaction
    per booking: the outbox row and the mark commit together, so a message is owed
    exactly once however many runs overlap or die. A second run at the same moment skips
    a booking another run holds (SKIP LOCKED; SQLite's IMMEDIATE transactions make it
    wait, then it sees the mark). Return how many were queued.
    """
    sent = 0
    for booking_id in list(due.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True)):
        with transaction.atomic():
            still_due = (
                Booking.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=booking_id, **{f"{field}__isnull": True})
                .with_related()
            )
            booking = still_due.first()
            if booking is None:
                continue  # another run has it, or has sent it
            send(booking=booking)
            Booking.objects.filter(pk=booking_id).update(**{field: now})
            sent += 1
    return sent


def within_message_hours(now: dt.datetime) -> bool:
    """Return whether `now` is a humane hour (Karachi time) to send a patient a message they didn't ask for."""
    return settings.ASPIRE_MESSAGE_HOURS_START <= timezone.localtime(now).hour < settings.ASPIRE_MESSAGE_HOURS_END


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """
    Remind each confirmed booking of tomorrow (Karachi time) once, during message hours.
    A booking made less than a day before its session has just had its confirmation and
    gets no separate reminder.
    """
    now = now or timezone.now()
    if not within_message_hours(now):
        return 0
    start, end = day_bounds(timezone.localtime(now).date() + dt.timedelta(days=1))
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        slot__starts_at__gte=start,
        slot__starts_at__lt=end,
        created_at__lte=F("slot__starts_at") - dt.timedelta(days=1),
    )
    return _send_once(due, field="reminder_sent_at", now=now, send=notifications.booking_reminder)


def aftercare_send(*, now: dt.datetime | None = None) -> int:
    """Send aftercare once, during message hours, to each attended booking whose session ended in the last day."""
    now = now or timezone.now()
    if not within_message_hours(now):
        return 0
    due = Booking.objects.filter(
        status=BookingStatus.ATTENDED, slot__ends_at__lte=now, slot__ends_at__gt=now - dt.timedelta(days=1)
    )
    return _send_once(due, field="aftercare_sent_at", now=now, send=notifications.booking_aftercare)
