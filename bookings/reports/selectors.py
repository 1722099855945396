"""
One selector per measure of the owners' reports. Each reads the database once (a few
read twice) whatever the amount of data, and its docstring is the measure's definition,
the one the Reports page shows beside it.

What every measure shares:
- A session belongs to the period its time lies in (in Karachi), wherever it was booked
  from and whenever; a session moved keeps its booking and counts where it is now.
- "Booked" sessions are bookings in any status but a waitlist's hold or an offer not
  taken: confirmed (still to come, or not marked yet), attended, no-show or cancelled.
  A time cancelled and booked again counts twice, once cancelled.
- Everything is within the `Scope`: the sessions at its clinics (with its therapist, if
  one is chosen). A patient's visits are counted there too: "new" is new to these clinics.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncWeek
from django.utils import timezone

from bookings.booking.courses import COUNTED_STATUSES
from bookings.models import (
    CLINIC_CANCEL_REASONS,
    PATIENT_CANCEL_REASONS,
    Booking,
    BookingSource,
    BookingStatus,
    Course,
    Message,
    MessageAudience,
    MessageChannel,
    MessageStatus,
    MoneyEvent,
    MoneyKind,
    Slot,
    WaitlistEntry,
)
from bookings.reports.periods import Period
from bookings.schedule import availability

# Every booking but a waitlist's hold and an offer not taken: the sessions a report counts as booked.
BOOKED_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED]
# The statuses that fill a time: it was booked (whether or not the patient came).
FILLED_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
PATIENT_REASONS = PATIENT_CANCEL_REASONS
CLINIC_REASONS = CLINIC_CANCEL_REASONS


@dataclass(frozen=True)
class Scope:
    """What a report looks at: the sessions at `clinic_ids`, with one therapist's only if `physiotherapist_id`."""

    clinic_ids: tuple[int, ...]
    physiotherapist_id: int | None = None

    def slots(self) -> QuerySet[Slot]:
        slots = Slot.objects.filter(clinic_id__in=self.clinic_ids)
        if self.physiotherapist_id is not None:
            slots = slots.filter(physiotherapist_id=self.physiotherapist_id)
        return slots

    def bookings(self) -> QuerySet[Booking]:
        bookings = Booking.objects.filter(slot__clinic_id__in=self.clinic_ids)
        if self.physiotherapist_id is not None:
            bookings = bookings.filter(slot__physiotherapist_id=self.physiotherapist_id)
        return bookings


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` as a fraction, None when there is no whole to speak of."""
    return part / whole if whole else None


def _in(period: Period, field: str = "slot__starts_at") -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _booked(scope: Scope, period: Period) -> QuerySet[Booking]:
    return scope.bookings().filter(_in(period), status__in=BOOKED_STATUSES)


# Sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    booked: int
    attended: int
    no_shows: int
    to_come: int  # confirmed, still ahead
    not_marked: int  # confirmed, started, neither attended nor no-show yet
    cancelled_by_patient: int
    cancelled_by_clinic: int
    cancelled_other: int  # booked by mistake, or another reason
    late_cancellations: int

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_patient + self.cancelled_by_clinic + self.cancelled_other

    @property
    def no_show_rate(self) -> float | None:
        """No-shows over the sessions that took place or should have: attended plus no-shows."""
        return rate(self.no_shows, self.attended + self.no_shows)

    @property
    def late_cancellation_rate(self) -> float | None:
        """Late cancellations over the sessions booked."""
        return rate(self.late_cancellations, self.booked)


def sessions(*, scope: Scope, period: Period, now: dt.datetime) -> Sessions:
    """
    The sessions booked in the period, by what became of them. A no-show the desk later
    marked attended is attended; a no-show forgiven (the patient may book online again)
    is still a no-show. Cancelled by the patient: "patient asked" or "patient unwell";
    by the clinic: "therapist unavailable" or "clinic closed". A late cancellation is
    the patient's, inside the cut-off (ASPIRE_CANCEL_CUTOFF_HOURS before the session),
    when online they could no longer cancel themselves.
    """
    cutoff = dt.timedelta(hours=settings.ASPIRE_CANCEL_CUTOFF_HOURS)
    cancelled = Q(status=BookingStatus.CANCELLED)
    by_patient = cancelled & Q(cancel_reason__in=PATIENT_REASONS)
    confirmed = Q(status=BookingStatus.CONFIRMED)
    counts = _booked(scope, period).aggregate(
        booked=Count("pk"),
        attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        to_come=Count("pk", filter=confirmed & Q(slot__starts_at__gt=now)),
        not_marked=Count("pk", filter=confirmed & Q(slot__starts_at__lte=now)),
        cancelled_by_patient=Count("pk", filter=by_patient),
        cancelled_by_clinic=Count("pk", filter=cancelled & Q(cancel_reason__in=CLINIC_REASONS)),
        cancelled_other=Count("pk", filter=cancelled & ~Q(cancel_reason__in=PATIENT_REASONS + CLINIC_REASONS)),
        late_cancellations=Count("pk", filter=by_patient & Q(cancelled_at__gt=F("slot__starts_at") - cutoff)),
    )
    return Sessions(**counts)


@dataclass(frozen=True)
class Week:
    first_day: dt.date  # its Monday
    booked: int
    attended: int
    no_shows: int
    cancelled: int

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_shows, self.attended + self.no_shows)


EMPTY_WEEK = {"booked": 0, "attended": 0, "no_shows": 0, "cancelled": 0}


def weekly(*, scope: Scope, period: Period) -> list[Week]:
    """
    The sessions booked in each week (Monday to Sunday) of the period, by what became of
    them, as `sessions` counts them; every week of the period, those with none too.
    """
    tz = timezone.get_current_timezone()
    rows = (
        _booked(scope, period)
        .annotate(week=TruncWeek("slot__starts_at", tzinfo=tz))
        .values("week")
        .annotate(
            booked=Count("pk"),
            attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
            no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
            cancelled=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
        )
        .order_by("week")
    )
    found = {timezone.localtime(row.pop("week")).date(): row for row in rows}
    monday = period.first - dt.timedelta(days=period.first.weekday())
    weeks = []
    while monday <= period.last:
        weeks.append(Week(first_day=monday, **found.get(monday, EMPTY_WEEK)))
        monday += dt.timedelta(days=7)
    return weeks


# Utilisation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """Minutes offered and booked; `label` names a therapist, clinic or hour, `active` whether it still works here."""

    offered_minutes: int
    booked_minutes: int
    label: str = ""
    active: bool = True

    @property
    def utilisation(self) -> float | None:
        return rate(self.booked_minutes, self.offered_minutes)


def _minutes(value: dt.timedelta | None) -> int:
    return round(value.total_seconds() / 60) if value else 0


def _offered_slots(scope: Scope, period: Period, now: dt.datetime) -> QuerySet[Slot]:
    """The scope's slots in the period that were offered (availability.on_offer) or are filled anyway."""
    filled = Exists(Booking.objects.filter(slot=OuterRef("pk"), status__in=FILLED_STATUSES))
    return (
        scope.slots()
        .filter(_in(period, "starts_at"))
        .annotate(filled=filled)
        .filter(availability.on_offer(now=now) | Q(filled=True))
    )


def _use_sums() -> dict:
    length = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    return {"offered": Sum(length), "booked": Sum(length, filter=Q(filled=True))}


def utilisation(*, scope: Scope, period: Period, now: dt.datetime) -> Use:
    """
    Booked minutes over offered minutes. Offered: the length of every slot in the period
    that was on offer (not blocked, inside no leave or closure; ahead, of a therapist and
    clinic still working) or that a booking fills anyway. Booked: those filled by a
    confirmed, attended or no-show booking (a no-show's time was taken from others too).
    """
    return total(utilisation_by(scope=scope, period=period, now=now, by="clinic"))


def total(uses: list[Use]) -> Use:
    """The `Use` of the scope's clinics together, from `utilisation_by(by="clinic")`: their slots are the scope's."""
    return Use(
        offered_minutes=sum(use.offered_minutes for use in uses), booked_minutes=sum(use.booked_minutes for use in uses)
    )


def utilisation_by(*, scope: Scope, period: Period, now: dt.datetime, by: str) -> list[Use]:
    """
    `utilisation` per therapist (`by="physiotherapist"`) or per clinic (`by="clinic"`), those
    with time offered in the period, busiest first. One who has left is shown while their
    slots fall in the period (`active` False).
    """
    assert by in ("physiotherapist", "clinic")
    rows = (
        _offered_slots(scope, period, now).values(f"{by}_id", f"{by}__name", f"{by}__is_active").annotate(**_use_sums())
    )
    uses = [
        Use(
            offered_minutes=_minutes(row["offered"]),
            booked_minutes=_minutes(row["booked"]),
            label=row[f"{by}__name"],
            active=row[f"{by}__is_active"],
        )
        for row in rows
    ]
    return sorted(uses, key=lambda use: (-(use.utilisation or 0), use.label))


@dataclass(frozen=True)
class HourOfWeek:
    weekday: int  # 1 Monday ... 7 Sunday
    hour: int  # 0-23, Karachi
    use: Use


def hours_of_week(*, scope: Scope, period: Period, now: dt.datetime) -> list[HourOfWeek]:
    """
    `utilisation` per hour of the week: each slot counted in the weekday and hour it
    starts in (Karachi), for every hour that had time offered in the period.
    """
    tz = timezone.get_current_timezone()
    rows = (
        _offered_slots(scope, period, now)
        .annotate(weekday=ExtractIsoWeekDay("starts_at", tzinfo=tz), hour=ExtractHour("starts_at", tzinfo=tz))
        .values("weekday", "hour")
        .annotate(**_use_sums())
        .order_by("weekday", "hour")
    )
    return [
        HourOfWeek(
            weekday=row["weekday"],
            hour=row["hour"],
            use=Use(offered_minutes=_minutes(row["offered"]), booked_minutes=_minutes(row["booked"])),
        )
        for row in rows
    ]


# Revenue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revenue:
    pkr: int
    sessions: int

    @property
    def per_session(self) -> int | None:
        return round(self.pkr / self.sessions) if self.sessions else None


def revenue(*, scope: Scope, period: Period) -> Revenue:
    """
    The fees of the sessions attended in the period, in PKR, each at the fee of its day
    (the price of its session type when it was marked attended, kept with the booking).
    """
    sums = (
        scope.bookings()
        .filter(_in(period), status=BookingStatus.ATTENDED)
        .aggregate(pkr=Coalesce(Sum("fee_pkr"), 0), sessions=Count("pk"))
    )
    return Revenue(**sums)


@dataclass(frozen=True)
class Deposits:
    paid: int
    paid_pkr: int
    refunded: int
    refunded_pkr: int
    kept: int
    kept_pkr: int
    waived: int

    @property
    def net_pkr(self) -> int:
        """What was taken online and stayed taken: paid less refunded."""
        return self.paid_pkr - self.refunded_pkr


def deposits(*, scope: Scope, period: Period) -> Deposits:
    """
    The deposits' money in the period, counted from the ledger by when it moved (not by the
    session's time): paid online (each payment taken; a deposit paid twice counts twice, and its
    second payment's refund below), refunded (the money back with the patient, not a refund
    still on its way), kept by the clinic (a late cancellation or a no-show, less the no-shows
    corrected to attended; one the desk later refunds is counted kept, then refunded), waived by
    the desk (no money). Net taken online: paid less refunded. Everything in PKR is in whole
    rupees; the sessions' at the scope's clinics.
    """
    mine = Q(booking__slot__clinic_id__in=scope.clinic_ids)
    if scope.physiotherapist_id is not None:
        mine &= Q(booking__slot__physiotherapist_id=scope.physiotherapist_id)
    kinds = {
        "paid": MoneyKind.PAID, "refunded": MoneyKind.REFUNDED, "kept": MoneyKind.KEPT, "undone": MoneyKind.KEPT_UNDONE,
    }  # fmt: skip
    sums = MoneyEvent.objects.filter(mine, _in(period, "at")).aggregate(
        **{key: Count("pk", filter=Q(kind=kind)) for key, kind in kinds.items()},
        **{f"{key}_pkr": Coalesce(Sum("amount_pkr", filter=Q(kind=kind)), 0) for key, kind in kinds.items()},
        waived=Count("pk", filter=Q(kind=MoneyKind.WAIVED)),
    )
    # A no-show corrected to attended: its keeping is undone by a row of its own.
    sums["kept"] -= sums.pop("undone")
    sums["kept_pkr"] -= sums.pop("undone_pkr")
    return Deposits(**sums)


# Patients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patients:
    seen: int
    new: int

    @property
    def returning(self) -> int:
        return self.seen - self.new


def _first_visits(scope: Scope) -> QuerySet:
    """Each patient's first attended session in the scope, ever: (patient_id, first)."""
    return (
        scope.bookings()
        .filter(status=BookingStatus.ATTENDED)
        .values("patient_id")
        .annotate(first=Min("slot__starts_at"))
        .order_by()
    )


def _seen(scope: Scope, period: Period) -> QuerySet:
    """The ids of the people who attended a session of the scope in the period."""
    return scope.bookings().filter(_in(period), status=BookingStatus.ATTENDED).values("patient_id").distinct()


def patients(*, scope: Scope, period: Period) -> Patients:
    """
    The people who attended a session in the period ("seen"): new if it was their first
    attended session in the scope, returning if they had attended one before.
    """
    seen = _seen(scope, period)
    # Only the people seen can be new: their history alone is read, not every patient's.
    new = _first_visits(scope).filter(patient_id__in=seen, first__gte=period.start, first__lt=period.end)
    return Patients(seen=seen.count(), new=new.count())


@dataclass(frozen=True)
class Cohort:
    """The patients whose first visit was in the period, and how far they have come since (to date)."""

    new: int
    booked_again: int  # attended a second session, or have one still to come
    reached: dict[int, int]  # visit number (1 to VISITS, the last meaning "or more") -> patients who attended it

    @property
    def conversion(self) -> float | None:
        return rate(self.booked_again, self.new)


VISITS = 6  # drop-off is shown for visits 1 to 6, the sixth meaning "six or more" (most courses are 2 to 6)


def cohort(*, scope: Scope, period: Period, now: dt.datetime) -> Cohort:
    """
    The new patients of the period (`patients`) followed to date. Visit 1 to 2
    conversion: those who attended a second session, or have one confirmed still to
    come, over the new. Drop-off: how many attended their 2nd, 3rd ... 6th or later
    session. Recent periods have had less time to come back.
    """
    attended = Q(status=BookingStatus.ATTENDED)
    people = (
        scope.bookings()
        .filter(patient_id__in=_seen(scope, period))  # the new are among those seen: read only their history
        .values("patient_id")
        .annotate(
            first=Min("slot__starts_at", filter=attended),
            visits=Count("pk", filter=attended),
            ahead=Count("pk", filter=Q(status=BookingStatus.CONFIRMED, slot__starts_at__gt=now)),
        )
        .filter(first__gte=period.start, first__lt=period.end)
        .order_by()
    )
    # A session still to come is after the first visit, which has passed.
    again = Q(visits__gte=2) | Q(ahead__gte=1)
    counts = people.aggregate(
        new=Count("patient_id"),
        booked_again=Count("patient_id", filter=again),
        **{f"v{n}": Count("patient_id", filter=Q(visits__gte=n)) for n in range(1, VISITS + 1)},
    )
    return Cohort(
        new=counts["new"],
        booked_again=counts["booked_again"],
        reached={n: counts[f"v{n}"] for n in range(1, VISITS + 1)},
    )


@dataclass(frozen=True)
class Courses:
    ended: int
    completed: int

    @property
    def completion(self) -> float | None:
        return rate(self.completed, self.ended)


def courses(*, scope: Scope, period: Period, now: dt.datetime) -> Courses:
    """
    The courses of treatment whose last session (not cancelled) lay in the period and has
    passed, with none still to come: ended. Completed: every session of it attended (none
    missed or left unmarked) and none cancelled by the patient. A course is the scope's if its sessions are.
    """
    mine = Q(bookings__slot__clinic_id__in=scope.clinic_ids)
    if scope.physiotherapist_id is not None:
        mine &= Q(bookings__slot__physiotherapist_id=scope.physiotherapist_id)
    counted = mine & Q(bookings__status__in=COUNTED_STATUSES)
    # Only the courses with a session in the period can have their last one there.
    touched = scope.bookings().filter(_in(period), course__isnull=False).values("course_id")
    rows = (
        Course.objects.filter(pk__in=touched)
        .annotate(
            last=Max("bookings__slot__starts_at", filter=counted),
            to_come=Count(
                "bookings",
                filter=mine & Q(bookings__status=BookingStatus.CONFIRMED, bookings__slot__starts_at__gt=now),
            ),
            # Missed, not marked, or cancelled by the patient: the course was not followed to its end.
            not_attended=Count(
                "bookings",
                filter=mine
                & (
                    Q(bookings__status__in=[BookingStatus.NO_SHOW, BookingStatus.CONFIRMED])
                    | Q(bookings__status=BookingStatus.CANCELLED, bookings__cancel_reason__in=PATIENT_REASONS)
                ),
            ),
        )
        .filter(last__gte=period.start, last__lt=min(period.end, now), to_come=0)
        .aggregate(ended=Count("pk"), completed=Count("pk", filter=Q(not_attended=0)))
    )
    return Courses(**rows)


# Where bookings come from -------------------------------------------------------------------

# Where a booking came from, as the reports tell them apart: the source it was booked
# through, but a waitlist's offer taken and the "book your next session" tap by themselves.
ORIGINS = [
    ("online", "Online"),
    ("phone", "Phone"),
    ("walk_in", "Walk-in"),
    ("waitlist", "Waitlist"),
    ("next_session", "Next-session tap"),
]


def sources(*, scope: Scope, period: Period) -> dict[str, int]:
    """
    The sessions booked in the period by where they came from (ORIGINS): the waitlist's
    offers the patient took; the "book your next session" taps on an attended session's
    page; the rest by their source (online, phone, walk-in). Every key is there.
    """
    origin = Case(
        When(waitlist_entry__isnull=False, then=Value("waitlist")),
        When(form_key__startswith="next:", then=Value("next_session")),
        When(source=BookingSource.PHONE, then=Value("phone")),
        When(source=BookingSource.WALK_IN, then=Value("walk_in")),
        default=Value("online"),
        output_field=CharField(),
    )
    rows = _booked(scope, period).annotate(origin=origin).values("origin").annotate(n=Count("pk")).order_by()
    found = {row["origin"]: row["n"] for row in rows}
    return {key: found.get(key, 0) for key, _ in ORIGINS}


# How far ahead people book: (key, label, at least, less than), in hours.
LEAD_TIMES = [
    ("same_day", "Less than a day", 0, 24),
    ("days_1_2", "1–2 days", 24, 72),
    ("days_3_7", "3–7 days", 72, 8 * 24),
    ("weeks_1_2", "8–14 days", 8 * 24, 15 * 24),
    ("weeks_2_4", "15–28 days", 15 * 24, 29 * 24),
    ("later", "More than 4 weeks", 29 * 24, None),
]


def lead_times(*, scope: Scope, period: Period) -> dict[str, int]:
    """
    The sessions booked in the period by how long before the session they were booked
    (from when the booking was made to the session's time now: a session moved later
    was booked further ahead). Walk-ins are in the first row. Every key is there.
    """
    counts = {}
    for key, _, least, less in LEAD_TIMES:
        ahead = Q(created_at__lte=F("slot__starts_at") - dt.timedelta(hours=least))
        if less is not None:
            ahead &= Q(created_at__gt=F("slot__starts_at") - dt.timedelta(hours=less))
        counts[key] = Count("pk", filter=ahead)
    counts["booked_after_start"] = Count("pk", filter=Q(created_at__gt=F("slot__starts_at")))
    found = _booked(scope, period).aggregate(**counts)
    found["same_day"] += found.pop("booked_after_start")  # a walk-in booked into the running hour
    return found


# Messages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelMessages:
    channel: str
    label: str
    queued: int  # all, whatever became of them
    sent: int  # handed to the provider (and perhaps delivered and read since)
    delivered: int  # delivered to the phone (and perhaps read)
    read: int
    failed: int
    waiting: int  # not sent yet: quiet hours, a retry


def messages(*, scope: Scope, period: Period) -> list[ChannelMessages]:
    """
    The messages to patients queued in the period about the scope's sessions, per channel,
    by how far each got: sent, delivered, read (each counting those that got further
    too), failed (after its retries; a WhatsApp one that fell back to SMS is failed, its
    SMS counted under SMS), and still waiting. Every channel is there.
    """
    progress = {
        "sent": [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ],
        "delivered": [MessageStatus.DELIVERED, MessageStatus.READ],
        "read": [MessageStatus.READ],
        "failed": [MessageStatus.FAILED],
        "waiting": [MessageStatus.QUEUED],
    }
    mine = Q(booking__slot__clinic_id__in=scope.clinic_ids)
    if scope.physiotherapist_id is not None:
        mine &= Q(booking__slot__physiotherapist_id=scope.physiotherapist_id)
    rows = (
        Message.objects.filter(mine, _in(period, "created_at"), audience=MessageAudience.PATIENT)
        .values("channel")
        .annotate(queued=Count("pk"), **{k: Count("pk", filter=Q(status__in=v)) for k, v in progress.items()})
        .order_by()
    )
    found = {row.pop("channel"): row for row in rows}
    empty = dict.fromkeys(["queued", *progress], 0)
    return [
        ChannelMessages(channel=channel, label=label, **found.get(channel, empty))
        for channel, label in MessageChannel.choices
    ]


@dataclass(frozen=True)
class Reminders:
    sent: int
    confirmed: int

    @property
    def confirmation_rate(self) -> float | None:
        return rate(self.confirmed, self.sent)


def reminders(*, scope: Scope, period: Period) -> Reminders:
    """The sessions booked in the period whose reminder was sent, and of those the ones the patient confirmed."""
    sent = Q(reminder_sent_at__isnull=False)
    return Reminders(
        **_booked(scope, period).aggregate(
            sent=Count("pk", filter=sent), confirmed=Count("pk", filter=sent & Q(patient_confirmed_at__isnull=False))
        )
    )


# The waitlist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waitlist:
    joined: int
    offers: int
    claimed: int
    lapsed: int
    open: int  # held for the patient now

    @property
    def claim_rate(self) -> float | None:
        return rate(self.claimed, self.claimed + self.lapsed)


def waitlist(*, scope: Scope, period: Period, now: dt.datetime | None = None) -> Waitlist:
    """
    Joined: the people who joined a waitlist of the scope's clinics in the period (asking
    for its therapist, if one is chosen). Offers: the times held for them, made in the
    period, by what became of each: claimed (booked, whatever happened to it since),
    lapsed (not taken in time, or declined) or still open.
    """
    now = now or timezone.now()
    # A hold whose time has passed was not taken in time, though the worker may not have marked it yet.
    open_hold = Q(status=BookingStatus.HELD, held_until__gt=now)
    lapsed = Q(status=BookingStatus.LAPSED) | Q(status=BookingStatus.HELD, held_until__lte=now)
    entries = WaitlistEntry.objects.filter(_in(period, "created_at"), clinic_id__in=scope.clinic_ids)
    if scope.physiotherapist_id is not None:
        entries = entries.filter(physiotherapist_id=scope.physiotherapist_id)
    offers = scope.bookings().filter(_in(period, "created_at"), waitlist_entry__isnull=False)
    counts = offers.aggregate(
        offers=Count("pk"),
        claimed=Count("pk", filter=Q(status__in=BOOKED_STATUSES)),
        lapsed=Count("pk", filter=lapsed),
        open=Count("pk", filter=open_hold),
    )
    return Waitlist(joined=entries.count(), **counts)
