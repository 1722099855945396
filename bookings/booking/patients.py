"""
Patients and the phone numbers that book for them. A number (Contact) may book for
several people, a household sharing one phone; each person (Patient) is told apart by
name. The number's row is locked while a booking made with it is written, so that what
is counted per person and per number is counted one request at a time. The rules about a
person are here, once: whether they are busy at a time, the online limits (upcoming
sessions and no-shows, per person and per number), the no-show count reception resets,
how the number agreed to be reached.
"""

import datetime as dt

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bookings.errors import BookingError, PatientBusy, TooManyBookings
from bookings.models import (
    Booking,
    BookingStatus,
    Clinic,
    Contact,
    DepositStatus,
    Patient,
    Slot,
)
from bookings.phones import normalize_phone
from bookings.schedule import availability


def clean_person_name(raw: str) -> str:
    """One line of printable text: runs of spaces, tabs and newlines become one space."""
    name = " ".join(raw.split())
    if not name or not name.isprintable():
        raise ValidationError(_("Enter the name, in letters."), code="invalid_name")
    return name


def _too_many_bookings(clinic: Clinic) -> TooManyBookings:
    # One answer for every reason a number can't book online (the upcoming-session limit, too many
    # no-shows): whoever types someone else's number learns no more than that the limit exists.
    phone = clinic.phone.as_national if clinic.phone else settings.ASPIRE_PHONE_DISPLAY
    return TooManyBookings(
        gettext(
            "One person can hold %(person)s upcoming sessions booked online, and one phone number %(number)s "
            "for everyone it books for; some numbers book by phone only. To book this time, please call "
            "Aspire Wellness %(clinic)s on %(phone)s."
        )
        % {
            "person": settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON,
            "number": settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE,
            "clinic": clinic.name,
            "phone": phone,
        }
    )


def _patient_busy() -> PatientBusy:
    return PatientBusy(
        gettext(
            "This person already has a session booked at an overlapping time. One person can be in "
            "one place at a time: choose another time, or change the other booking first."
        )
    )


def busy_during(*, starts_at, ends_at, now: dt.datetime) -> Q:
    """
    The bookings that put their patient somewhere between `starts_at` and `ends_at` (datetimes,
    or OuterRefs to a slot's): those holding their slot at `now` (a waitlist hold only until it
    ends) that overlap that time. The one rule of "the patient is busy then", for the booking
    services, the waitlist's matching and a course's preview.
    """
    return availability.holds_slot(now) & Q(slot__starts_at__lt=ends_at, slot__ends_at__gt=starts_at)


def check_patient_can_book(
    *,
    patient: Patient,
    slot: Slot,
    now: dt.datetime,
    online: bool,
    exclude_booking: Booking | None = None,
    counts: dict[str, int] | None = None,
) -> dict[str, int]:
    """
    Refuse a new booking that would put the patient in two places at once, or (online) past
    the limits per person and per phone number. All is counted in one query, under the
    number's row lock that the caller holds, so simultaneous bookings with one number are
    counted one after another and can't all slip through; or the caller passes the `counts`
    patient_get_or_create_counted read so. The patient's household (the other people their
    number books for) is never "busy" for them.
    """
    if counts is None:
        household = Booking.objects.filter(patient__contact_id=patient.contact_id)
        if exclude_booking is not None:  # a waitlist hold being claimed doesn't clash with itself
            household = household.exclude(pk=exclude_booking.pk)
        conditions = _conditions(Q(patient_id=patient.pk), slot=slot, now=now)
        counts = household.aggregate(**{name: Count("pk", filter=q) for name, q in conditions.items()})
    if counts["clashes"]:
        raise _patient_busy()
    if online and _over_online_limits(counts):
        raise _too_many_bookings(slot.clinic)
    return counts


# A no-show counts against booking online until reception resets its patient's count.
_COUNTED_NO_SHOW = Q(status=BookingStatus.NO_SHOW) & (
    Q(patient__no_shows_forgiven_at__isnull=True) | Q(no_show_at__gt=F("patient__no_shows_forgiven_at"))
)
_UPCOMING = Q(status=BookingStatus.CONFIRMED)
# A time held for its deposit counts as booked while it holds: unpaid holds can't hoard times either.
_DEPOSIT_HOLD = Q(status=BookingStatus.HELD, deposit_status=DepositStatus.OWED)


def _online_conditions(person: Q, now: dt.datetime) -> dict[str, Q]:
    """
    What the online limits count of the bookings made with the patient's number: the person's
    own (`person`, a condition on a booking), and the whole number's.
    """
    upcoming = (_UPCOMING | (_DEPOSIT_HOLD & Q(held_until__gt=now))) & Q(slot__starts_at__gt=now)
    return {
        "upcoming": person & upcoming,
        "no_shows": person & _COUNTED_NO_SHOW,
        "attended": person & Q(status=BookingStatus.ATTENDED),
        "number_upcoming": upcoming,
        "number_no_shows": _COUNTED_NO_SHOW,
    }


def _conditions(person: Q, *, slot: Slot, now: dt.datetime) -> dict[str, Q]:
    """Everything check_patient_can_book counts for booking `slot`: the person's clashes, and the online limits."""
    clashes = person & busy_during(starts_at=slot.starts_at, ends_at=slot.ends_at, now=now)
    return {"clashes": clashes, **_online_conditions(person, now)}


def _online_counts(patient: Patient, now: dt.datetime) -> dict[str, Count]:
    """The online limits' counts (aggregates, to read in one query) of the bookings made with the patient's number."""
    return {name: Count("pk", filter=q) for name, q in _online_conditions(Q(patient_id=patient.pk), now).items()}


def _over_online_limits(counts: dict[str, int]) -> bool:
    """
    The rule: a person holding the most upcoming sessions, or with too many no-shows, books by
    calling; so does a number past its household's limits (a stranger can't hoard times by
    typing new names, nor a no-show book on under another).
    """
    return (
        counts["upcoming"] >= settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON
        or counts["no_shows"] >= settings.ASPIRE_NO_SHOWS_BEFORE_CALL
        or counts["number_upcoming"] >= settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE
        or counts["number_no_shows"] >= settings.ASPIRE_NO_SHOWS_BEFORE_CALL_PER_PHONE
    )


def check_patient_may_book_online(*, patient: Patient, clinic: Clinic, now: dt.datetime) -> None:
    """Raise TooManyBookings if the patient can't book online now (before any time is chosen: the waitlist)."""
    household = Booking.objects.filter(patient__contact_id=patient.contact_id)
    if _over_online_limits(household.aggregate(**_online_counts(patient, now))):
        raise _too_many_bookings(clinic)


def patient_no_show_count(*, patient: Patient) -> int:
    """Return how many no-shows count against the patient booking online (what reception sees)."""
    return Booking.objects.filter(_COUNTED_NO_SHOW, patient=patient).count()


@transaction.atomic
def patient_reset_no_shows(*, patient: Patient, by: AbstractBaseUser, now: dt.datetime | None = None) -> int:
    """
    Forgive the patient's no-shows so far: they can book online again. Recorded in the admin
    log with who did it and how many were forgiven. Return that number.
    """
    now = now or timezone.now()
    patient = lock_patient(patient.pk)
    forgiven = patient_no_show_count(patient=patient)
    Patient.objects.filter(pk=patient.pk).update(no_shows_forgiven_at=now)
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=f"Patient #{patient.pk}",
        action_flag=CHANGE,
        change_message=f"Reset the no-show count ({forgiven} forgiven): the patient can book online again.",
    )
    return forgiven


def opt_in(*, channel: str, source: str, now: dt.datetime) -> dict:
    """How the number asked to be reached, and when and where it agreed to messages: the Contact fields."""
    if channel not in ("whatsapp", "sms"):
        raise BookingError(gettext("Choose WhatsApp or text message."))
    return {"contact_channel": channel, "contact_opt_in_at": now, "contact_opt_in_source": source}


def lock_patient(patient_id: int) -> Patient:
    """Lock the patient's number (what the limits are counted under) and return the patient."""
    patient = Patient.objects.select_related("contact").get(pk=patient_id)
    Contact.objects.select_for_update().filter(pk=patient.contact_id).values_list("pk").get()
    return patient


def person_name(raw: str) -> str:
    """A name as a person is told apart by under their number: spaces collapsed (case is kept, and ignored)."""
    return " ".join(raw.split())


def the_person(*, phone: str, name: str):
    """
    The patient (at most one) of this name under this number (in E.164): how a person is told
    apart. Names are compared as the constraint patient_one_name_per_number compares them, by
    the database's LOWER(): iexact (UPPER() on PostgreSQL) folds some letters otherwise (İ, K).
    """
    return Patient.objects.alias(lower_name=Lower("name")).filter(
        contact__phone=phone, erased_at__isnull=True, lower_name=Lower(Value(person_name(name)))
    )


def _upsert(model, *, values: dict, conflict: str, update: str, also: tuple[str, list] = ("", [])):
    """
    Insert a row of `model` with `values` or, where it clashes with the unique index `conflict`
    (its SQL target), `update` the row there (SQL assignments); return the row as it now stands, in
    one statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, PostgreSQL and SQLite 3.35+). On
    PostgreSQL the row is locked until the transaction ends, whichever it was, and a racing request
    inserting the same key waits for this one and then updates its row. `also` is more to return
    (SQL of named columns, after a comma, and its parameters): attributes of the row returned.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    row = model(**values)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    params = [field.get_db_prep_save(field.pre_save(row, add=True), connection) for field in fields]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    returning = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608 - our names
        f"ON CONFLICT {conflict} DO UPDATE SET {update} RETURNING {returning}{also[0]}"
    )
    [stored] = model.objects.raw(sql, [*params, *also[1]])  # raw(): Django's converters make the columns Python values
    return stored


def contact_get_or_create(*, phone: str, changes: dict | None = None) -> Contact:
    """
    Return the contact of this phone number (in E.164), creating it if new, and hold its row
    locked until the transaction ends. `changes` (Contact fields, such as its opt-in) are
    written in the same statement: the number in one upsert, new or known.
    """
    changes = dict(changes or {})
    quote = transaction.get_connection().ops.quote_name
    column = {field: quote(Contact._meta.get_field(field).column) for field in ["phone", *changes]}
    return _upsert(
        Contact,
        values={"phone": phone, **changes},
        conflict=f"({column['phone']})",
        # Setting the phone to itself when nothing changes: the row is still written, so locked.
        update=", ".join(f"{name} = excluded.{name}" for name in column.values()),
    )


def patient_get_or_create(
    *, phone: str, name: str, email: str = "", relation: str = "", changes: dict | None = None
) -> Patient:
    """
    Return the person of this name under this phone number (any spelling of either), creating
    the number and the person if new, with the number's row locked until the transaction ends:
    what is counted per person and per number (the online limits) is then counted by one
    request at a time, whoever is booking. `changes` are the number's (its opt-in); `relation`
    is who the person is to the number, and `email` theirs, each kept once said (a known
    person's are not overwritten). The number and the person are one upsert each.
    """
    patient, _ = _person(phone=phone, name=name, email=email, relation=relation, changes=changes)
    return patient


def patient_get_or_create_counted(
    *,
    phone: str,
    name: str,
    email: str = "",
    relation: str = "",
    changes: dict | None = None,
    slot: Slot,
    now: dt.datetime,
) -> tuple[Patient, dict[str, int]]:
    """
    patient_get_or_create, and what check_patient_can_book counts for booking `slot` at `now`
    (to pass it as its `counts`), read in the person's upsert: one statement fewer. Counted under
    the number's lock as check_patient_can_book counts (the number's upsert, the statement before,
    has taken it; the person's begins after, so it sees every booking made with the number).
    """
    return _person(phone=phone, name=name, email=email, relation=relation, changes=changes, slot=slot, now=now)


def _counted(
    *, contact: Contact, phone: str, name: str, slot: Slot, now: dt.datetime
) -> tuple[tuple[str, list], list[str]]:
    """
    check_patient_can_book's counts as columns to return: the ORM writes them once, as one row
    of COUNT ... FILTER (WHERE ...) aggregates (compiling one query per count cost 4 ms of CPU a
    booking), and each column takes its count from that row. The person is told by their name
    under the number (the_person): a person the upsert adds has no id until it returns, nor bookings.
    """
    quote = transaction.get_connection().ops.quote_name
    person = Q(patient__in=the_person(phone=phone, name=name))
    counts = {
        column: Count("pk", filter=condition) for column, condition in _conditions(person, slot=slot, now=now).items()
    }
    household = Booking.objects.filter(patient__contact_id=contact.pk).order_by()
    row = household.values(household=Value(1)).annotate(**counts).values(*counts)  # one group: the number's
    sql, row_params = row.query.sql_with_params()
    columns = "".join(
        f", (SELECT counted.{quote(column)} FROM ({sql}) counted) AS {quote(column)}"  # noqa: S608 - the ORM's SQL
        for column in counts
    )
    return (columns, list(row_params) * len(counts)), list(counts)


def _person(
    *,
    phone: str,
    name: str,
    email: str,
    relation: str,
    changes: dict | None,
    slot: Slot | None = None,
    now: dt.datetime | None = None,
) -> tuple[Patient, dict[str, int] | None]:
    e164 = normalize_phone(phone)
    contact = contact_get_or_create(phone=e164, changes=changes)
    also, counted = (
        (("", []), []) if slot is None else _counted(contact=contact, phone=e164, name=name, slot=slot, now=now)
    )
    # Under the number's lock: nobody else adds a person to it meanwhile. The person is told apart
    # by the constraint patient_one_name_per_number itself (the database's LOWER() of the name, as
    # the_person compares), so the upsert meets a racing request's person once that has committed.
    quote = transaction.get_connection().ops.quote_name
    table, name_, contact_, erased, email_, relation_ = (
        quote(n) for n in (Patient._meta.db_table, "name", "contact_id", "erased_at", "email", "relation")
    )
    patient = _upsert(
        Patient,
        values={"contact": contact, "name": person_name(name), "email": email, "relation": relation},
        conflict=f"(LOWER({name_}), {contact_}) WHERE {erased} IS NULL",
        update=", ".join(
            f"{column} = CASE WHEN {table}.{column} = '' THEN excluded.{column} ELSE {table}.{column} END"
            for column in (email_, relation_)
        ),
        also=also,
    )
    patient.contact = contact
    if slot is None:
        return patient, None
    return patient, {column: patient.__dict__.pop(column) or 0 for column in counted}
