"""
Patients, as reception knows them: one row per phone number, locked while a booking of
theirs is made so that what is counted per person is counted one request at a time. The
rules about a person are here, once: whether they are busy at a time, the online limits
(upcoming sessions, no-shows), the no-show count reception resets, how they agreed to be
reached.
"""

import datetime as dt

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bookings.errors import BookingError, PatientBusy, TooManyBookings
from bookings.models import (
    Booking,
    BookingStatus,
    Clinic,
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


def busy_during(*, starts_at, ends_at, now: dt.datetime) -> Q:
    """
    The bookings that put their patient somewhere between `starts_at` and `ends_at` (datetimes,
    or OuterRefs to a slot's): those holding their slot at `now` (a waitlist hold only until it
    ends) that overlap that time. The one rule of "the patient is busy then", for the booking
    services, the waitlist's matching and a course's preview.
    """
    return availability.holds_slot(now) & Q(slot__starts_at__lt=ends_at, slot__ends_at__gt=starts_at)


def check_patient_can_book(
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
    counts = mine.aggregate(
        clashes=Count("pk", filter=busy_during(starts_at=slot.starts_at, ends_at=slot.ends_at, now=now)),
        **_online_counts(patient, now),
    )
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
    patient = lock_patient(patient.pk)
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


def opt_in(*, channel: str, source: str, now: dt.datetime) -> dict:
    """How the patient asked to be reached, and when and where they agreed to messages: the Patient fields."""
    if channel not in ("whatsapp", "sms"):
        raise BookingError(gettext("Choose WhatsApp or text message."))
    return {"contact_channel": channel, "contact_opt_in_at": now, "contact_opt_in_source": source}


def lock_patient(patient_id: int) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient_id)


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
