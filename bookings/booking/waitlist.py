"""
The waitlist: a patient asks to be told when a time frees at a clinic (which days, what
part of the day, a therapist or a therapist's gender). When a matching time frees, the
earliest waiting patient is offered it: the time is held for them, as a booking in status
"held" that the one-per-slot constraint counts, for ASPIRE_WAITLIST_HOLD_MINUTES, and a
message with the booking's link is queued in the same transaction. The link's page books
it with one tap (`waitlist_claim`); when the hold ends unclaimed it lapses and the time
passes to the next waiting patient.

Every service that frees a time announces it (bookings.signals.schedule_changed); the
matching run listens there, runs again when a hold ends (a task deferred to that moment)
and from the periodic `send_reminders` job, so a lost wake-up only delays an offer.
"""

import datetime as dt
import threading

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from bookings import errors
from bookings.booking import patients, screening, services
from bookings.messaging import dispatch
from bookings.models import (
    Booking,
    BookingStatus,
    Clinic,
    DepositStatus,
    PartOfDay,
    Physiotherapist,
    SafetyScreening,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)
from bookings.schedule import selectors
from bookings.signals import schedule_changed
from bookings.timeutils import day_bounds

MAX_WAITING_PER_PHONE = 3
# Offers an entry may let lapse before it ends: a number typed by someone else, or a patient who
# no longer reads their messages, is not texted for every time that frees for weeks.
MAX_OFFERS_NOT_TAKEN = 3


class WaitlistError(errors.BookingError):
    code = "waitlist"


class OfferEnded(errors.BookingError):
    code = "offer_ended"


def hold_minutes() -> int:
    return settings.ASPIRE_WAITLIST_HOLD_MINUTES


# Joining ------------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_join(
    *,
    clinic: Clinic,
    name: str,
    phone: str,
    session_type: SessionType,
    first_day: dt.date,
    last_day: dt.date,
    part_of_day: str = PartOfDay.ANY,
    physiotherapist: Physiotherapist | None = None,
    gender: str = "",
    email: str = "",
    language: str = settings.LANGUAGE_CODE,
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """
    Put a patient on a clinic's waitlist for the days from `first_day` to `last_day`.
    The same request sent twice gives the same entry; one phone number waits for at most
    MAX_WAITING_PER_PHONE lists at a time, and only a number that may book online may wait
    (an offer it could not take would keep the time from everyone else).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if first_day < today:
        raise WaitlistError(gettext("Choose days from today on."))
    if last_day < first_day:
        raise WaitlistError(gettext("The last day can't be before the first."))
    if last_day > today + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS):
        raise WaitlistError(
            gettext("Times are offered up to %(days)s days ahead.") % {"days": settings.ASPIRE_BOOKING_WINDOW_DAYS}
        )
    patient = patients.patient_get_or_create(phone=phone, name=name, email=email)  # locked: counted one at a time
    patients.check_patient_may_book_online(patient=patient, clinic=clinic, now=now)
    # What a number waits for is counted for everyone it books for: one phone, one count.
    waiting = WaitlistEntry.objects.waiting(today=today).filter(patient__contact_id=patient.contact_id)
    same = waiting.filter(
        patient=patient, clinic=clinic, first_day=first_day, last_day=last_day, part_of_day=part_of_day,
        physiotherapist=physiotherapist, gender=gender,
    ).first()  # fmt: skip
    if same is not None:
        return same
    if waiting.count() >= MAX_WAITING_PER_PHONE:
        raise WaitlistError(
            gettext("One phone number can wait for %(count)s lists at a time. Please call us on %(phone)s.")
            % {"count": MAX_WAITING_PER_PHONE, "phone": settings.ASPIRE_PHONE_DISPLAY}
        )
    entry = WaitlistEntry.objects.create(
        clinic=clinic, patient=patient, name=patient.name, phone=patient.contact.phone, email=email,
        session_type=session_type, first_day=first_day, last_day=last_day, part_of_day=part_of_day,
        physiotherapist=physiotherapist, gender="" if physiotherapist else gender, language=_language(language),
    )  # fmt: skip
    wake()  # a time may be free already
    return entry


def _language(language: str) -> str:
    """One of the site's languages (an entry made before they were checked may say "en")."""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# Matching -------------------------------------------------------------------------------------------


def _part(part_of_day: str) -> Q:
    # Karachi hours (the lookups use the current time zone), as the booking page groups a day.
    afternoon, evening = selectors.AFTERNOON_FROM, selectors.EVENING_FROM
    return {
        PartOfDay.MORNING: Q(starts_at__hour__lt=afternoon),
        PartOfDay.AFTERNOON: Q(starts_at__hour__gte=afternoon, starts_at__hour__lt=evening),
        PartOfDay.EVENING: Q(starts_at__hour__gte=evening),
    }.get(part_of_day, Q())


def matching_slots(entry: WaitlistEntry, *, now: dt.datetime):
    """
    Return the times that `entry` may be offered now, soonest first: bookable online (the
    availability policy) and still so when the hold ends, in its days, part of the day and
    therapist or gender, never offered to it before, and not overlapping a session the
    patient already has.
    """
    claimable = now + dt.timedelta(minutes=settings.ASPIRE_MIN_NOTICE_MINUTES + hold_minutes())
    slots = selectors.online_slots(now=now).filter(
        _part(entry.part_of_day),
        clinic_id=entry.clinic_id,
        starts_at__gte=max(claimable, day_bounds(entry.first_day)[0]),
        starts_at__lt=day_bounds(entry.last_day)[1],
    )
    if entry.physiotherapist_id:
        slots = slots.filter(physiotherapist_id=entry.physiotherapist_id)
    elif entry.gender:
        slots = slots.filter(physiotherapist__gender=entry.gender)
    offered = Booking.objects.filter(waitlist_entry=entry, slot=OuterRef("pk"))
    busy = Booking.objects.filter(
        patients.busy_during(starts_at=OuterRef("starts_at"), ends_at=OuterRef("ends_at"), now=now),
        patient_id=entry.patient_id,
    )
    return slots.exclude(Exists(offered)).exclude(Exists(busy)).order_by("starts_at")


def _offer_to(entry_id: int, *, now: dt.datetime) -> Booking | None:
    """Hold the earliest matching time for one waiting entry and queue its message; return the hold."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(pk=entry_id, status=WaitlistStatus.WAITING)
            .select_related("patient")
            .first()
        )
        if entry is None or entry.offers.filter(status=BookingStatus.HELD).exists():
            return None  # another run has it, or it holds a time already (until that lapses)
        if entry.offers.filter(status=BookingStatus.LAPSED).count() >= MAX_OFFERS_NOT_TAKEN:
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.EXPIRED)
            return None
        for slot_id in matching_slots(entry, now=now).values_list("pk", flat=True)[:5]:
            try:
                hold = services.hold_for_waitlist(
                    entry=entry, slot_id=slot_id, language=_language(entry.language),
                    held_until=now + dt.timedelta(minutes=hold_minutes()), now=now,
                )  # fmt: skip
            except errors.TooManyBookings:
                return None  # they couldn't take it; it may change (a session attended, the count reset)
            except errors.BookingError:
                continue  # taken, or off sale, since it was read; or the patient is busy then
            wake(at=hold.held_until)  # then it passes on, if not taken
            return hold
    return None


_running = threading.local()


def waitlist_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """
    Expire the entries whose last day has passed, let ended holds lapse, and offer each
    waiting entry (the earliest first) the first time that matches it. Safe to run twice or
    concurrently: an entry is offered one time at a time (a lock, and a unique constraint on
    its open hold), and a time is held once (the one-per-slot constraint). Offers go out only
    in the message hours (ASPIRE_MESSAGE_HOURS_*): a time held for a sleeping patient would
    lapse before they read of it; the first run of the morning (the periodic job) offers it.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    expired = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, last_day__lt=today).update(
        status=WaitlistStatus.EXPIRED
    )
    lapsed = services.holds_lapse(now=now)
    offered = 0
    if not dispatch.within_message_hours(now):
        return {"expired": expired, "lapsed": lapsed, "offered": offered}
    open_hold = Booking.objects.filter(waitlist_entry=OuterRef("pk"), status=BookingStatus.HELD)
    waiting = WaitlistEntry.objects.waiting(today=today).exclude(Exists(open_hold)).values_list("pk", flat=True)
    _running.active = True
    try:
        for entry_id in list(waiting):
            offered += _offer_to(entry_id, now=now) is not None
    finally:
        _running.active = False
    return {"expired": expired, "lapsed": lapsed, "offered": offered}


@task()
def run_waitlist() -> dict[str, int]:
    """The worker's task: one matching run."""
    return waitlist_run()


def wake(*, at: dt.datetime | None = None) -> None:
    """Enqueue a matching run once the current transaction commits (at `at`, if the backend can wait)."""
    run = run_waitlist
    if at is not None:
        if not run.get_backend().supports_defer:
            return  # a backend that runs tasks at once can't wait: the periodic job passes it on
        run = run.using(run_after=at)
    transaction.on_commit(run.enqueue)


def _on_schedule_changed(**kwargs) -> None:
    # Already after the commit. A run's own offers announce too: the run in progress covers them.
    if not getattr(_running, "active", False):
        run_waitlist.enqueue()


schedule_changed.connect(_on_schedule_changed, weak=False, dispatch_uid="waitlist:schedule")


# Claiming ---------------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_claim(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """
    Book the time held for a waitlist patient: the hold becomes their confirmed booking.
    Under the booking's lock, so two claims at once give one booking and one confirmation
    (the second finds it booked and gets it back), and a claim and the hold's end can't
    both win.
    """
    now = now or timezone.now()
    booking = services.lock_hold(booking)  # slot first, as every booking of its time locks them
    if booking.status == BookingStatus.CONFIRMED and booking.waitlist_entry_id:
        return booking  # claimed already (a double tap, a second device)
    if booking.status != BookingStatus.HELD or booking.held_until <= now:
        raise OfferEnded(
            gettext(
                "This time was held for you for a few minutes and has passed to the next person waiting. "
                "You stay on the waitlist: we will send you the next time that comes free."
            )
        )
    if booking.deposit_status == DepositStatus.OWED or services.hold_ask_deposit(hold=booking, now=now):
        return booking  # held on while the deposit is paid (bookings.booking.deposits); its page offers the payment
    booking, first_visit = services.hold_confirm(hold=booking, now=now)
    return waitlist_booked(booking=booking, first_visit=first_visit)


def waitlist_booked(*, booking: Booking, first_visit: bool) -> Booking:
    """
    Close the waitlist entry a hold just confirmed came from (claimed with a tap, or paid for),
    with the consent it gave on joining.
    """
    if booking.waitlist_entry_id is None:
        return booking
    entry = WaitlistEntry.objects.get(pk=booking.waitlist_entry_id)
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.BOOKED)
    # The consent was given when joining the list, in the booking form's words; the safety questions
    # are asked at the desk (the schedule shows "not answered" for a first visit).
    SafetyScreening.objects.create(
        booking=booking, answers={}, first_visit=first_visit, needs_talk=False,
        consent_version=screening.CONSENT_VERSION, consented_at=entry.created_at,
    )  # fmt: skip
    return booking


@transaction.atomic
def waitlist_decline(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """Let a held time go at once (the patient tapped "No thanks"): it passes to the next patient waiting."""
    booking = services.lock_booking(booking)
    if booking.status == BookingStatus.CONFIRMED:
        # Claimed already (on another device): "No thanks" now would leave a booking the patient thinks is gone.
        raise errors.InvalidTransition(gettext("This time is booked for you. To let it go, cancel it on this page."))
    if booking.status == BookingStatus.HELD:
        services.hold_release(hold=booking, now=now)
    return booking
