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
from django.db.models import Exists, JSONField, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext

from bookings.booking import money, screening, together
from bookings.booking.patients import (
    check_patient_can_book,
    lock_patient,
    opt_in,
    patient_get_or_create_counted,
    person_name,
)
from bookings.errors import BookingError, InvalidTransition, SessionTypeNotOffered, SlotUnavailable, TooLateToChange
from bookings.messaging import events
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSource,
    BookingStatus,
    CancelReason,
    DepositStatus,
    SafetyScreening,
    SessionType,
    SessionTypeQuerySet,
    Slot,
    WaitlistEntry,
)
from bookings.payments import rules as deposit_rules
from bookings.phones import normalize_phone
from bookings.schedule import availability, free_times
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
    return booking.status == BookingStatus.CONFIRMED and not booking.inside_cutoff(now)


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


def lock_slot(slot_id: int, *, channel: Channel, now: dt.datetime, session_type_id: int | None = None) -> Slot:
    """
    Lock the slot's own row (not its clinic's or therapist's: bookings of other times
    at the clinic go on in parallel) and read it with what the availability policy asks
    of a booking through `channel` at `now`, and whether it has active bookings
    (`has_bookings`, for slot_bookings): a free time is one statement, not two. With
    `session_type_id`, the active session type of that id is read in the same statement
    (`session_type`, None if there is none: see booked_session_type).
    """
    slots = availability.with_flags(Slot.objects.select_for_update(of=("self",)), channel=channel, now=now)
    active = Booking.objects.filter(slot=OuterRef("pk"), status__in=ACTIVE_STATUSES)
    slots = slots.select_related("clinic", "physiotherapist").annotate(has_bookings=Exists(active))
    if session_type_id is not None:
        row = JSONObject(**{field.attname: field.attname for field in SessionType._meta.concrete_fields})
        # A plain queryset: modeltranslation's manager adds its fields to values(), and a subquery has one column.
        chosen = SessionTypeQuerySet(SessionType).active().filter(pk=session_type_id).values(row=row)
        slots = slots.annotate(session_type_row=Subquery(chosen, output_field=JSONField()))
    try:
        return slots.get(pk=slot_id)
    except Slot.DoesNotExist:
        raise SlotUnavailable(gettext("That time no longer exists.")) from None


def booked_session_type(slot: Slot) -> SessionType:
    """
    The session type lock_slot read with the slot (a posted choice's id: bookings.pages.forms.
    SessionTypeChoice), as a SessionType; raise SessionTypeNotOffered if there is no active one
    of that id (switched off since the form was drawn, or never one).
    """
    row = slot.session_type_row
    if row is None:
        raise SessionTypeNotOffered(gettext("Choose a session."))
    fields = SessionType._meta.concrete_fields
    return SessionType.from_db(
        slot._state.db, [f.attname for f in fields], [f.to_python(row[f.attname]) for f in fields]
    )


def slot_bookings(slot: Slot) -> list[Booking]:
    """
    The active bookings (ended holds too) of a slot that lock_slot has locked: none read for a slot
    it found without any (a free time, the usual case), otherwise read now, under the lock.

    On PostgreSQL a statement that waited for a row lock sees the other tables as they were when it
    began, so `has_bookings` may miss what the transaction it waited for did to this time. Only a
    booking it made can be missed, and that booking makes ours break the one-active-per-slot
    constraint: the insert is refused (SlotUnavailable, as when SQLite's lockless race loses) and
    book_online gives a form sent twice the booking its first sending made. A slot with bookings
    is read afresh here, so what it holds (a hold that ended, the same form's booking) is exact.
    """
    if not getattr(slot, "has_bookings", True):
        return []
    return list(slot.bookings.filter(status__in=ACTIVE_STATUSES))


def lock_slots(slot_ids: list[int]) -> None:
    """Lock several slots' rows, in the order given (callers sort them: two such locks can't deadlock)."""
    list(Slot.objects.select_for_update(of=("self",)).filter(pk__in=slot_ids).order_by("pk").values_list("pk"))


def book_online(
    *,
    slot_id: int,
    session_type: SessionType | int,
    name: str,
    phone: str,
    email: str = "",
    notes: str = "",
    consent: bool = False,
    form_key: str = "",
    contact_channel: str = "",
    language: str = settings.LANGUAGE_CODE,
    screening_answers: dict[str, bool] | None = None,
    relation: str = "",
    guardian_name: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """
    Book a slot for a patient on the site, by the online rules (notice, window, the limits
    per number), and queue its confirmation. Raise SlotUnavailable if the time can't be
    had, TooManyBookings past a limit, PatientBusy if the patient is elsewhere then.
    `session_type` may be its id (the form's choice): read with the slot, SessionTypeNotOffered
    if no active one has it.

    `form_key` is the one-time key of the form the booking came from: the same form
    sent twice (a double click, a resent POST) gets the booking it already made. Only
    the browser that drew the form knows its key; a phone number alone never leads
    to anyone's booking.

    `screening_answers` (the online form's safety questions, {} if left blank) are kept
    with the consent version agreed to, and whether this is the person's first visit. The
    person is `name` under the number `phone` (one phone may book for a household);
    `relation` says who they are to it, and for a child `guardian_name` who answered and
    agreed for them.
    """
    try:
        with transaction.atomic():
            booking, made = _book(
                slot_id=slot_id, channel=Channel.ONLINE, now=now or timezone.now(), form_key=form_key,
                contact_channel=contact_channel, screening_answers=screening_answers, relation=relation,
                guardian_name=guardian_name,
                session_type=session_type, name=name, phone=phone, email=email, notes=notes, consent=consent,
                source=BookingSource.ONLINE, language=language, deposit=True,
            )  # fmt: skip
            if made and booking.status == BookingStatus.CONFIRMED:
                events.booking_confirmed(booking=booking)
            return booking
    except BookingError:
        # The same form sent twice at once: the second waited for the slot's lock, missed the first's
        # booking (slot_bookings says why) and was refused (the person busy then, or the constraint).
        # It gets the booking the first made, as it would have found it. Inside a caller's transaction
        # nothing can be read now (PostgreSQL has aborted it).
        if form_key and not transaction.get_connection().in_atomic_block:
            mine = Booking.objects.filter(slot_id=slot_id, form_key=form_key, status__in=ACTIVE_STATUSES).first()
            if mine is not None:
                return mine
        raise


@transaction.atomic
def book_at_desk(
    *,
    slot_id: int,
    session_type: SessionType,
    name: str,
    phone: str,
    email: str = "",
    notes: str = "",
    consent: bool = False,
    source: str = BookingSource.PHONE,
    text: bool | None = None,
    created_by: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """
    Book a slot for a caller or a walk-in (`source`) at the front desk: any time until
    the slot ends, without the online limits; the patient is still never in two places at
    once. Queue the confirmation: by text message only if `text` (by default, for a caller
    and not for a walk-in, who is told at the desk), by email where one is given; the
    booking's history records which. Raise as book_online.
    """
    if text is None:
        text = source != BookingSource.WALK_IN
    booking, _ = _book(
        slot_id=slot_id, channel=Channel.STAFF, now=now or timezone.now(),
        session_type=session_type, name=name, phone=phone, email=email, notes=notes, consent=consent,
        source=source, created_by=created_by if created_by and created_by.is_authenticated else None,
        change_reason=DESK_TEXTED if text else DESK_NOT_TEXTED,
    )  # fmt: skip
    events.booking_confirmed(booking=booking, text=text)
    return booking


# The reasons a desk booking's first history entry gives: whether the patient was texted.
DESK_TEXTED = "Booked at the desk; confirmation texted"
DESK_NOT_TEXTED = "Booked at the desk; no text (told at the desk)"


@transaction.atomic
def hold_for_waitlist(
    *, entry: WaitlistEntry, slot_id: int, language: str, held_until: dt.datetime, now: dt.datetime
) -> Booking:
    """
    Hold a slot for a patient on the waitlist until `held_until`, by the online rules, as a
    booking in status "held" that the one-per-slot constraint counts, and queue the offer
    with its link. The patient claims it (bookings.booking.waitlist) or it lapses.
    """
    # For the person by their name now (the desk may have corrected it), not as the entry kept it.
    hold, _ = _book(
        slot_id=slot_id, channel=Channel.ONLINE, now=now,
        session_type=entry.session_type, name=entry.patient.name, phone=entry.phone, email=entry.email, consent=True,
        source=BookingSource.ONLINE, language=language, status=BookingStatus.HELD, held_until=held_until,
        waitlist_entry=entry,
    )  # fmt: skip
    events.waitlist_offer(booking=hold)
    announce_schedule_changed()
    return hold


def _book(
    *,
    slot_id: int,
    channel: Channel,
    now: dt.datetime,
    phone: str,
    form_key: str = "",
    contact_channel: str = "",
    screening_answers: dict[str, bool] | None = None,
    relation: str = "",
    guardian_name: str = "",
    change_reason: str | None = None,
    deposit: bool = False,
    **fields,
) -> tuple[Booking, bool]:
    """
    The booking, whoever makes it: lock the slot, let its ended holds lapse, re-check it with
    the availability policy for `channel`, lock the patient and check them (busy then; online,
    the limits), write. `fields` are the Booking's own. With `deposit` (a patient booking
    online), a deposit the clinic asks of this person makes it a hold until paid. Return the
    booking and whether it is new (False: the same form sent again, which gets the booking it made).
    """
    # A posted choice is its id: the session type is read with the slot (no statement of its own).
    chosen_id = None if isinstance(fields["session_type"], SessionType) else fields["session_type"]
    slot = lock_slot(slot_id, channel=channel, now=now, session_type_id=chosen_id)
    if chosen_id is not None:
        fields["session_type"] = booked_session_type(slot)
    e164 = normalize_phone(phone)
    active = _lapse_ended_holds(slot_bookings(slot), now=now)
    if form_key:
        for mine in active:
            if mine.form_key == form_key:
                return mine, False
    check_slot_free(slot, now=now, channel=channel, active_bookings=active)
    # The opt-in is written with the number's row, in one statement; a refusal below rolls both back.
    agreed = opt_in(channel=contact_channel, source=fields["source"], now=now) if contact_channel else None
    # The person's upsert counts what the limits count (under the number's lock its upsert took).
    patient, counted = patient_get_or_create_counted(
        phone=e164, name=fields["name"], email=fields.get("email", ""), relation=relation, changes=agreed,
        slot=slot, now=now,
    )  # fmt: skip
    counts = check_patient_can_book(
        patient=patient, slot=slot, now=now, online=channel == Channel.ONLINE, counts=counted
    )
    if deposit:
        fields.update(_deposit_hold(slot=slot, session_type=fields["session_type"], counts=counts, now=now))
    booking = Booking(
        reference=new_reference(),
        manage_token=new_manage_token(),
        form_key=form_key,
        slot=slot,
        patient=patient,
        phone=patient.contact.phone,
        **{**fields, "name": person_name(fields["name"])},
    )
    booking._change_reason = change_reason  # django-simple-history's reason for this first entry
    try:
        # No savepoint of its own: a refusal leaves the entry point, and its atomic() rolls back.
        # Its first history entry is made as ever, and written with its screening below.
        with together.history_held() as owed:
            booking.save()
    except IntegrityError as exc:
        # The database's partial unique constraint: another request booked the slot
        # between our check and our insert (SQLite has no row locks).
        logger.info("Booking refused by the database for slot %s: %s", slot.pk, exc)
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    if booking.status == BookingStatus.HELD:
        free_times.held(slot_id=slot.pk, until=booking.held_until)
    else:
        free_times.taken(slot_id=slot.pk)
    if screening_answers is not None:
        owed.append(
            SafetyScreening(
                booking=booking,
                answers=screening_answers,
                first_visit=not counts["attended"],
                needs_talk=screening.needs_talk(screening_answers),
                consent_version=screening.CONSENT_VERSION,
                consented_at=now,
                guardian_name=person_name(guardian_name),
            )
        )
    together.write(owed)  # on PostgreSQL one statement
    return booking, True


def _deposit_hold(*, slot: Slot, session_type: SessionType, counts: dict[str, int], now: dt.datetime) -> dict:
    """The fields that make a booking a hold for its deposit, if the clinic asks this person for one."""
    amount = deposit_rules.deposit_for(
        clinic_id=slot.clinic_id, session_type=session_type, first_visit=not counts["attended"],
        no_shows=counts["no_shows"],
    )  # fmt: skip
    if not amount:
        return {}
    return {
        "status": BookingStatus.HELD,
        "held_until": now + dt.timedelta(minutes=settings.ASPIRE_DEPOSIT_HOLD_MINUTES),
        "deposit_pkr": amount,
        "deposit_status": DepositStatus.OWED,
    }


def booking_join_course(*, booking: Booking, course_id: int) -> None:
    """Count `booking` as a session of the course (bookings.booking.courses), with its history entry."""
    booking.course_id = course_id
    booking.save(update_fields=["course", "updated_at"])


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
    Of a locked slot's active bookings, let the holds (waitlist offers, unpaid deposits) that have ended lapse (the
    database's one-per-slot rule still counts them until then) and return the others.
    Nothing is written unless a hold has ended.
    """
    ended = [b for b in active if b.status == BookingStatus.HELD and not availability.holds(b, now)]
    for hold in ended:
        _lapse(hold)
    return [b for b in active if b not in ended]


def _lapse(hold: Booking) -> None:
    hold.status = BookingStatus.LAPSED
    hold.save(update_fields=["status", "updated_at"])  # saved one by one: each leaves its history entry
    # Its row in the table of free times needs nothing: a hold that has ended is free from its end already.


def hold_confirm(*, hold: Booking, now: dt.datetime) -> tuple[Booking, bool]:
    """
    Make a hold (locked by the caller: a waitlist offer, or a booking whose deposit has come;
    one that lapsed while its payment was on the way too) the patient's confirmed booking, by
    the online rules (the time rules as they were when it was held, for one still holding): the
    time may have gone off sale or to someone else, and the patient may be elsewhere by now.
    Queue the confirmation (its deposit_status, set by the caller, is saved with it). Return
    the booking (read with its slot, clinic and therapist) and whether it is the patient's
    first visit.
    """
    # A hold still holding met the online time rules (notice, window) when it was made: they are
    # those of then, or a time held 2 h 05 min ahead and paid for 10 minutes later would be refused.
    rules_at = hold.created_at if availability.holds(hold, now) else now
    slot = lock_slot(hold.slot_id, channel=Channel.ONLINE, now=rules_at)
    others = slot.bookings.filter(status__in=ACTIVE_STATUSES).exclude(pk=hold.pk)
    active = _lapse_ended_holds(list(others), now=now)
    check_slot_free(slot, now=rules_at, channel=Channel.ONLINE, exclude_booking=hold, active_bookings=active)
    patient = lock_patient(hold.patient_id)
    counts = check_patient_can_book(patient=patient, slot=slot, now=now, online=True, exclude_booking=hold)
    hold.status = BookingStatus.CONFIRMED
    try:
        with transaction.atomic():  # a lapsed hold re-enters the one-per-slot rule: the database has the last word
            hold.save(update_fields=["status", "deposit_status", "updated_at"])
    except IntegrityError as exc:
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    free_times.taken(slot_id=slot.pk)
    booking = Booking.objects.with_related().get(pk=hold.pk)
    events.booking_confirmed(booking=booking)
    return booking, not counts["attended"]


def hold_ask_deposit(*, hold: Booking, now: dt.datetime) -> bool:
    """
    Before a waitlist hold (locked by the caller) is booked, ask the deposit the clinic asks of
    this person, as of any online booking: the hold then waits for it, for at least the
    deposit's hold time. Return whether one is owed.
    """
    slot = lock_slot(hold.slot_id, channel=Channel.ONLINE, now=now)
    patient = lock_patient(hold.patient_id)
    counts = check_patient_can_book(patient=patient, slot=slot, now=now, online=True, exclude_booking=hold)
    fields = _deposit_hold(slot=slot, session_type=hold.session_type, counts=counts, now=now)
    if not fields:
        return False
    hold.deposit_pkr, hold.deposit_status = fields["deposit_pkr"], fields["deposit_status"]
    hold.held_until = max(hold.held_until, fields["held_until"])
    hold.save(update_fields=["deposit_pkr", "deposit_status", "held_until", "updated_at"])
    free_times.held(slot_id=hold.slot_id, until=hold.held_until)
    return True


def hold_release(*, hold: Booking, now: dt.datetime | None = None) -> None:
    """
    Let a hold (locked by the caller) go at once: the time passes to the next patient waiting.
    When it was let go is kept (`cancelled_at`): a payment that lands after the hold would have
    ended is then not taken for a hold that ended by itself (bookings.booking.deposits books those).
    """
    hold.status = BookingStatus.LAPSED
    hold.cancelled_at = now or timezone.now()
    hold.save(update_fields=["status", "cancelled_at", "updated_at"])
    free_times.released(slot_id=hold.slot_id)
    announce_schedule_changed()


@transaction.atomic
def holds_lapse(*, now: dt.datetime | None = None) -> int:
    """Let every hold that has ended (a waitlist offer, an unpaid deposit) lapse, each with its history entry.

    Return how many.
    """
    now = now or timezone.now()
    ended = Booking.objects.select_for_update(skip_locked=True).filter(status=BookingStatus.HELD, held_until__lte=now)
    ended = list(ended)
    for hold in ended:
        _lapse(hold)
    if ended:
        announce_schedule_changed()
    return len(ended)


def lock_booking(booking: Booking) -> Booking:
    """
    Lock the booking's own row, then read it afresh with its slot. Locking through a
    join would not do: when another change commits first, PostgreSQL re-checks the
    join against the slot row it had already read, drops the booking from the result
    and the second change fails with DoesNotExist instead of seeing the new state.
    """
    Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk").get()
    return Booking.objects.select_related("slot", "session_type").get(pk=booking.pk)


def lock_hold(booking: Booking) -> Booking:
    """
    Lock a hold that is about to be confirmed: its slot's row first, then its own, in the order
    a new booking of that time locks them (the slot, then the ended holds it lets lapse). Locking
    the booking first would let a payment for a lapsing hold and a walk-in booked into its time
    deadlock (seen on PostgreSQL: tests/bookings/test_deposit_race.py).
    """
    slot_id = Booking.objects.values_list("slot_id", flat=True).get(pk=booking.pk)
    lock_slots([slot_id])
    return lock_booking(booking)


def can_cancel(booking: Booking) -> bool:
    """Return whether the desk may cancel `booking` (a patient online only until the cut-off: patient_can_change)."""
    return booking.status == BookingStatus.CONFIRMED


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
    if not can_cancel(booking):
        raise InvalidTransition(
            f"Only a confirmed booking can be cancelled; this one is {booking.get_status_display().lower()}."
        )
    if reason and reason not in CancelReason.values:
        raise BookingError("Choose why the booking is cancelled.")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    free_times.refresh(slots=Q(pk=booking.slot_id))  # free again, if it is still on sale
    money.on_cancel(booking=booking, reason=reason, now=now)
    events.booking_cancelled(booking=booking, by_patient=by_patient)
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
    already = booking.status == BookingStatus.ATTENDED
    booking.status = BookingStatus.ATTENDED
    booking.attended_at = now
    booking.fee_pkr = booking.session_type.price_pkr  # the fee of the day, kept: the reports' revenue
    booking.save(update_fields=["status", "attended_at", "fee_pkr", "updated_at"])
    if not already:  # a second press (a stale page, a double tap) counts no deposit twice in the ledger
        money.on_attended(booking=booking, now=now)
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
    money.on_no_show(booking=booking, now=now)
    return booking


def can_move(booking: Booking) -> bool:
    """Return whether the desk may move `booking` to another time (a patient online only until the cut-off)."""
    return booking.status == BookingStatus.CONFIRMED


@transaction.atomic
def booking_move(
    *, booking: Booking, new_slot_id: int, by_patient: bool = False, now: dt.datetime | None = None
) -> Booking:
    """Move a confirmed booking to another free slot, keeping its reference and token."""
    now = now or timezone.now()
    booking = lock_booking(booking)
    if by_patient:
        _check_patient_can_change(booking, now)
    if not can_move(booking):
        raise InvalidTransition(gettext("Only a confirmed booking can be moved."))
    if booking.slot_id == new_slot_id:
        return booking
    channel = Channel.ONLINE if by_patient else Channel.STAFF
    new_slot = lock_slot(new_slot_id, channel=channel, now=now)
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
    active = _lapse_ended_holds(slot_bookings(new_slot), now=now)
    check_slot_free(new_slot, now=now, channel=channel, exclude_booking=booking, active_bookings=active)
    patient = lock_patient(booking.patient_id)
    check_patient_can_book(patient=patient, slot=new_slot, now=now, online=False, exclude_booking=booking)
    previous_start, previous_slot_id = booking.slot.starts_at, booking.slot_id
    booking.slot = new_slot
    # The new time is not the one the patient was told can't go ahead: a late cancellation of it
    # is theirs again (money.on_cancel keeps the deposit), and a new clash is told afresh.
    booking.move_offered_at = None
    try:
        booking.save(update_fields=["slot", "move_offered_at", "updated_at"])
    except IntegrityError as exc:  # as in booking_create: the atomic() of this function rolls back
        raise SlotUnavailable(gettext("That time was just taken.")) from exc
    free_times.taken(slot_id=new_slot.pk)
    free_times.refresh(slots=Q(pk=previous_slot_id))
    events.booking_moved(booking=booking, by_patient=by_patient, previous_start=previous_start)
    announce_schedule_changed()  # its old time is free: the waitlist hears of it
    return booking
