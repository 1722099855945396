"""
A patient's rights over their data, and how long it is kept.

- `patient_export`: everything held about one patient, as JSON-ready data.
- `patient_erase`: anonymise a patient, their bookings and every earlier version
  of those bookings. No booking is deleted: times, clinics, therapists, session
  types and statuses stay, so the clinic's counts stay right. The phone number
  goes too once nobody else books with it.
- `contact_export`, `contact_erase`: the same for a phone number and everyone it
  books for (a household's shared phone).
- `retention_apply`: what the daily job does (settings ASPIRE_RETAIN_*).

Staff exports and erasures are recorded in the admin's log (who, when, what),
with the patient named by number only.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from bookings.booking import screening
from bookings.booking.services import new_manage_token
from bookings.models import (
    Booking,
    BookingStatus,
    Contact,
    HandledInbound,
    Patient,
    RateLimitCounter,
    SafetyScreening,
)

EXPORT_FORMAT = "aspire-patient-data"
EXPORT_VERSION = 2  # 2: the phone number and how it is reached are the contact's, apart from the person

# What an erased name reads; phone, email and notes become empty.
ERASED_NAME = "Erased"
_ERASED_VALUES = {"name": ERASED_NAME, "phone": "", "email": "", "notes": ""}
_ANONYMOUS = models.Q(**_ERASED_VALUES)


class ErasureRefused(Exception):
    """An erase was refused; the message is fit to show a manager."""


# Export ------------------------------------------------------------------


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _phone(value) -> str | None:
    return value.as_e164 if value else None


def _booking_fields(booking) -> dict[str, Any]:
    """The fields a booking and each of its history rows share (not the manage token: a key, not data)."""
    slot = booking.slot
    return {
        "reference": booking.reference,
        "status": booking.status,
        "source": booking.source,
        "clinic": slot.clinic.name,
        "clinic_address": slot.clinic.address,
        "therapist": slot.physiotherapist.name,
        "session_type": booking.session_type.name,
        "starts_at": _when(slot.starts_at),
        "ends_at": _when(slot.ends_at),
        "name": booking.name,
        "phone": _phone(booking.phone),
        "email": booking.email,
        "notes": booking.notes,
        "consent": booking.consent,
        "booked_at": _when(booking.created_at),
        "last_changed_at": _when(booking.updated_at),
        "cancelled_at": _when(booking.cancelled_at),
        "attended_at": _when(booking.attended_at),
        "no_show_at": _when(booking.no_show_at),
        "reminder_sent_at": _when(booking.reminder_sent_at),
        "aftercare_sent_at": _when(booking.aftercare_sent_at),
        # The deposit asked and where it stands (no payment detail: the site keeps none beyond a reference).
        "deposit_pkr": booking.deposit_pkr,
        "deposit_status": booking.deposit_status,
    }


def _export_patient(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.pk,
        "name": patient.name,
        "relation": patient.relation,
        "email": patient.email,
        "notes": patient.notes,
        "first_seen_at": _when(patient.created_at),
        "no_shows_reset_at": _when(patient.no_shows_forgiven_at),
        "erased_at": _when(patient.erased_at),
    }


def _export_bookings(patient: Patient) -> list[dict[str, Any]]:
    bookings = Booking.objects.filter(patient=patient).with_related().order_by("slot__starts_at", "pk")
    return [_booking_fields(booking) for booking in bookings]


_HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def _export_contact(contact: Contact) -> dict[str, Any]:
    """A phone number and how it asked to be reached (not the others it books for)."""
    return {
        "phone": _phone(contact.phone),
        "reach_by": contact.contact_channel,
        "agreed_to_messages_at": _when(contact.contact_opt_in_at),
        "agreed_where": contact.contact_opt_in_source,
        "stopped_messages_at": _when(contact.messages_stopped_at),
        "first_seen_at": _when(contact.created_at),
    }


def _export_booking_history(patient: Patient) -> list[dict[str, Any]]:
    # By booking, not by the history rows' own patient: a row written before a booking
    # was moved to this patient is still about this booking.
    rows = (
        Booking.history.model.objects.filter(id__in=Booking.objects.filter(patient=patient).values("pk"))
        .select_related("slot__clinic", "slot__physiotherapist", "session_type")
        .order_by("history_date", "history_id")
    )
    return [
        {
            "changed_at": _when(row.history_date),
            "change": _HISTORY_TYPES.get(row.history_type, row.history_type),
            "by_staff": row.history_user_id is not None,
            "reason": row.history_change_reason or "",
            **_booking_fields(row),
        }
        for row in rows
    ]


def _phone_counters(phone_e164: str):
    # Counter keys are "<what>:<phone>:<window>" (bookings.pages.views, bookings.pages.ratelimit); the colon
    # keeps +92300123456 from matching +923001234567.
    return RateLimitCounter.objects.filter(key__contains=f"{phone_e164}:")


def _export_rate_limit_counters(patient: Patient) -> list[dict[str, Any]]:
    if not patient.contact.phone:
        return []
    counters = _phone_counters(patient.contact.phone.as_e164).order_by("key")
    return [{"key": c.key, "count": c.count, "expires_at": _when(c.expires_at)} for c in counters]


def _export_safety_screenings(patient: Patient) -> list[dict[str, Any]]:
    rows = SafetyScreening.objects.filter(booking__patient=patient).select_related("booking").order_by("pk")
    return [
        {
            "booking": row.booking.reference,
            "answers": [
                {"question": question, "answer": answer} for question, answer in screening.readable(row.answers)
            ],
            "first_visit": row.first_visit,
            "talk_before_needling": row.needs_talk,
            "consent_version": row.consent_version,
            "consented_at": _when(row.consented_at),
            "consent_given_by_guardian": row.guardian_name,
        }
        for row in rows
    ]


# One function per kind of data held about a patient: a new kind (the messages sent
# to them) is one more function here.
EXPORT_SECTIONS: dict[str, Callable[[Patient], Any]] = {
    "patient": _export_patient,
    "phone_number": lambda patient: _export_contact(patient.contact),
    "bookings": _export_bookings,
    "booking_history": _export_booking_history,
    "rate_limit_counters": _export_rate_limit_counters,
    "safety_screenings": _export_safety_screenings,
}


def patient_export(*, patient: Patient, by: AbstractBaseUser | None, now: dt.datetime | None = None) -> dict:
    """
    Return everything held about `patient`, ready for json.dumps. With `by` (the staff
    member), record the export in the admin's log: it releases the data.
    """
    now = now or timezone.now()
    data = {
        "export": {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "created_at": _when(now)},
        **{name: section(patient) for name, section in EXPORT_SECTIONS.items()},
    }
    if by is not None:
        _record(patient_id=patient.pk, by=by, message="Exported personal data (JSON file).")
    return data


def contact_export(*, contact: Contact, by: AbstractBaseUser | None, now: dt.datetime | None = None) -> dict:
    """
    Return everything held about a phone number and each person it books for (each as
    patient_export gives it), ready for json.dumps. With `by`, record the export.
    """
    now = now or timezone.now()
    people = contact.people.select_related("contact").order_by("pk")
    data = {
        "export": {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "created_at": _when(now)},
        "phone_number": {"id": contact.pk, **_export_contact(contact)},
        "people": [
            {name: section(person) for name, section in EXPORT_SECTIONS.items() if name != "phone_number"}
            for person in people
        ],
    }
    if by is not None:
        _record_contact(contact_id=contact.pk, by=by, message="Exported personal data (JSON file).")
    return data


def export_filename(record: Patient | Contact, *, now: dt.datetime | None = None) -> str:
    """Name the file by the record's number and the date: never by name or phone."""
    kind = "patient" if isinstance(record, Patient) else "phone-number"
    return f"{kind}-{record.pk}-{timezone.localtime(now or timezone.now()):%Y-%m-%d}.json"


# Erase -------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    patient_id: int
    erased_at: dt.datetime
    bookings: int  # bookings whose personal data was erased by this call
    history_rows: int  # earlier versions of those bookings
    rate_limit_counters: int
    number_erased: bool  # nobody else books with the number: it went too


def upcoming_bookings(*, patient: Patient, now: dt.datetime | None = None):
    """Return the patient's confirmed bookings that are still to come."""
    return Booking.objects.filter(
        patient=patient, status=BookingStatus.CONFIRMED, slot__starts_at__gt=now or timezone.now()
    ).select_related("slot")


def _refusal(patient: Patient, now: dt.datetime) -> str | None:
    # Refused, not cancelled on the way: cancelling frees the slot and tells the patient, a
    # decision of its own that reception should take (and talk over) first, and a message sent
    # after the erase would have no number left to go to.
    upcoming = list(upcoming_bookings(patient=patient, now=now).order_by("slot__starts_at"))
    if not upcoming:
        return None
    listed = ", ".join(
        f"{booking.reference} ({timezone.localtime(booking.slot.starts_at):%d %b %Y %H:%M})" for booking in upcoming
    )
    return (
        f"Patient #{patient.pk} still has {len(upcoming)} upcoming booking(s): {listed}. "
        "Cancel them first (the patient is told), then erase."
    )


def erase_refusal(*, patient: Patient, now: dt.datetime | None = None) -> str | None:
    """Return why `patient` can't be erased now, or None."""
    return _refusal(patient, now or timezone.now())


def _anonymise_bookings(bookings, *, by: AbstractBaseUser | None, reason: str, now: dt.datetime) -> tuple[int, int]:
    """
    Erase the personal data of `bookings` (a queryset) and of every earlier version of
    them, record the change in each booking's history, and turn their admin log entries'
    titles into numbers. Give each a new manage token, so the links the patient was sent
    stop working. Return (bookings changed, earlier versions changed).
    """
    # Locked first: a second run at the same moment waits here, then finds them erased.
    changed = list(bookings.exclude(_ANONYMOUS).order_by().select_for_update(of=("self",)))
    booking_ids = bookings.values("pk")
    # The safety answers are health data: they go entirely, with the consent record they came with.
    SafetyScreening.objects.filter(booking__in=booking_ids).delete()
    history_rows = Booking.history.model.objects.filter(id__in=booking_ids).exclude(_ANONYMOUS).update(**_ERASED_VALUES)
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Booking),
        object_id__in=bookings.annotate(pk_text=Cast("pk", models.TextField())).values("pk_text"),
    ).update(object_repr=Concat(models.Value("Booking #"), "object_id"))
    for booking in changed:
        for field, value in _ERASED_VALUES.items():
            setattr(booking, field, value)
        booking.manage_token = new_manage_token()
        booking.updated_at = now
    bulk_update_with_history(
        changed,
        Booking,
        [*_ERASED_VALUES, "manage_token", "updated_at"],
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
        default_date=now,
    )
    return len(changed), history_rows


def _record(*, patient_id: int, by: AbstractBaseUser, message: str) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient_id),
        object_repr=f"Patient #{patient_id}",
        action_flag=CHANGE,
        change_message=message,
    )


def _record_contact(*, contact_id: int, by: AbstractBaseUser, message: str) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact_id),
        object_repr=f"Phone number #{contact_id}",
        action_flag=CHANGE,
        change_message=message,
    )


@transaction.atomic
def patient_erase(*, patient: Patient, by: AbstractBaseUser | None, now: dt.datetime | None = None) -> Erasure:
    """
    Anonymise `patient`: their name, email and notes, those of each of their bookings
    (the phone they were booked with too) and of every earlier version of those bookings,
    their admin log titles. Once nobody else books with their number, erase the number
    as well, with the rate-limit counters naming it. Keep every booking and its status.
    Refuse (ErasureRefused) while a booking is still to come. Safe to call twice. With
    `by`, record the erase in the admin's log.
    """
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=patient.contact_id)  # the household's lock
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    refusal = _refusal(patient, now)
    if refusal:
        raise ErasureRefused(refusal)
    erased_at = patient.erased_at or now
    Patient.objects.filter(pk=patient.pk).update(name=ERASED_NAME, email="", notes="", erased_at=erased_at)
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Patient), object_id=str(patient.pk)).update(
        object_repr=f"Patient #{patient.pk}"
    )
    n_bookings, history_rows = _anonymise_bookings(
        Booking.objects.filter(patient=patient), by=by, reason="Personal data erased", now=now
    )
    counters, number_erased = 0, False
    if contact.phone and not contact.people.filter(erased_at__isnull=True).exists():
        counters = _phone_counters(contact.phone.as_e164).delete()[0]
        Contact.objects.filter(pk=contact.pk).update(phone=None, erased_at=now)
        number_erased = True
    if by is not None:
        _record(
            patient_id=patient.pk,
            by=by,
            message=(
                f"Erased personal data: {n_bookings} booking(s) and {history_rows} earlier version(s) of them; "
                f"the bookings are kept.{' The phone number was erased too.' if number_erased else ''}"
            ),
        )
    return Erasure(
        patient_id=patient.pk,
        erased_at=erased_at,
        bookings=n_bookings,
        history_rows=history_rows,
        rate_limit_counters=counters,
        number_erased=number_erased,
    )


def contact_erase_refusal(*, contact: Contact, now: dt.datetime | None = None) -> str | None:
    """Return why the number can't be erased now (someone it books for has a session to come), or None."""
    now = now or timezone.now()
    refusals = [_refusal(person, now) for person in contact.people.filter(erased_at__isnull=True).order_by("pk")]
    return " ".join(r for r in refusals if r) or None


@transaction.atomic
def contact_erase(*, contact: Contact, by: AbstractBaseUser | None, now: dt.datetime | None = None) -> list[Erasure]:
    """
    Erase a phone number and everyone it books for (each as patient_erase does), all or
    nothing: refused while anyone of them has a session to come. With `by`, recorded.
    """
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    refusal = contact_erase_refusal(contact=contact, now=now)
    if refusal:
        raise ErasureRefused(refusal)
    erasures = [
        patient_erase(patient=person, by=by, now=now)
        for person in contact.people.filter(erased_at__isnull=True).order_by("pk")
    ]
    if contact.phone:  # a number nobody booked with, or whose people were all erased before
        _phone_counters(contact.phone.as_e164).delete()
        Contact.objects.filter(pk=contact.pk).update(phone=None, erased_at=now)
    if by is not None:
        _record_contact(
            contact_id=contact.pk, by=by, message=f"Erased the number and the personal data of {len(erasures)} people."
        )
    return erasures


# Retention ---------------------------------------------------------------


@dataclass(frozen=True)
class RetentionSummary:
    cancelled_bookings: int = 0  # cancelled bookings whose personal data was erased
    inactive_patients: int = 0  # patients erased for want of a session in years
    history_rows: int = 0  # earlier versions of bookings erased, for either reason
    login_records: int = 0  # django-axes rows deleted
    rate_limit_counters: int = 0  # counters past their window, deleted
    handled_inbound: int = 0  # provider ids of patients' messages past the time they are redelivered

    def __str__(self) -> str:
        return (
            f"Erased the personal data of {self.cancelled_bookings} old cancelled booking(s) and of "
            f"{self.inactive_patients} inactive patient(s) ({self.history_rows} earlier booking version(s)); "
            f"deleted {self.login_records} old login record(s), {self.rate_limit_counters} expired "
            f"rate-limit counter(s) and {self.handled_inbound} old handled message id(s)."
        )


# Meta redelivers a webhook for up to 7 days, Twilio within minutes: a month later nobody sends
# the id again. The rows hold no number or text, so they are kept for this long whatever the settings say.
HANDLED_INBOUND_KEPT = dt.timedelta(days=30)


def _cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days > 0 else None


def _erase_inactive_patients(*, cutoff: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    patients = (
        Patient.objects.filter(erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(bookings__slot__starts_at__gte=cutoff)
        .only("pk")
    )
    erased, history_rows = 0, 0
    for patient in patients:
        try:
            erasure = patient_erase(patient=patient, by=None, now=now)
        except ErasureRefused:  # booked again since the query above: not inactive after all
            continue
        erased += 1
        history_rows += erasure.history_rows
    return erased, history_rows


def retention_apply(*, now: dt.datetime | None = None) -> RetentionSummary:
    """
    Erase or delete what is past its keeping time (settings ASPIRE_RETAIN_*):
    cancelled bookings' personal data, patients with no session in years, staff
    login records, expired rate-limit counters, old ids of handled messages. Touch only what is past its time;
    safe to run twice or at once.
    """
    now = now or timezone.now()
    cancelled, history_rows, inactive, login_records = 0, 0, 0, 0

    cutoff = _cutoff(now, settings.ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS)
    if cutoff:
        days = settings.ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS
        with transaction.atomic():
            cancelled, history_rows = _anonymise_bookings(
                Booking.objects.filter(status=BookingStatus.CANCELLED, slot__starts_at__lt=cutoff).exclude(_ANONYMOUS),
                by=None,
                reason=f"Retention: cancelled, session over {days} days ago",
                now=now,
            )

    cutoff = _cutoff(now, settings.ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS)
    if cutoff:
        inactive, inactive_history_rows = _erase_inactive_patients(cutoff=cutoff, now=now)
        history_rows += inactive_history_rows

    cutoff = _cutoff(now, settings.ASPIRE_RETAIN_LOGIN_LOG_DAYS)
    if cutoff:
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            _, deleted = model.objects.filter(attempt_time__lt=cutoff).delete()
            login_records += deleted.get(model._meta.label, 0)

    _, deleted = RateLimitCounter.objects.filter(expires_at__lt=now).delete()
    handled, _ = HandledInbound.objects.filter(handled_at__lt=now - HANDLED_INBOUND_KEPT).delete()
    return RetentionSummary(
        cancelled_bookings=cancelled,
        inactive_patients=inactive,
        history_rows=history_rows,
        login_records=login_records,
        rate_limit_counters=deleted.get(RateLimitCounter._meta.label, 0),
        handled_inbound=handled,
    )
