import datetime as dt
from urllib.parse import quote_plus

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from bookings.timeutils import day_bounds, desk_day


class ClinicQuerySet(models.QuerySet):
    def active(self):
        """Return the clinics patients can see and book at."""
        return self.filter(is_active=True)


class Clinic(models.Model):
    """A branch of Aspire Wellness in Karachi."""

    name = models.CharField("name", max_length=120, unique=True)
    slug = models.SlugField(
        "slug",
        max_length=80,
        unique=True,
        help_text="Used in the clinic's address on the site, e.g. /clinics/clifton/.",
    )
    area = models.CharField("area of Karachi", max_length=80, help_text="e.g. Clifton, DHA Phase 6, Gulshan-e-Iqbal.")
    address = models.TextField("street address", max_length=500)
    phone = PhoneNumberField("phone", blank=True, help_text="The branch's own line, if it has one.")
    email = models.EmailField(
        "reception email", blank=True, help_text="Reception is told here of online bookings and cancellations."
    )
    map_url = models.URLField("map link", blank=True, help_text="A Google Maps link to the entrance.")
    latitude = models.DecimalField("latitude", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("longitude", max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.TextField(
        "opening hours", blank=True, help_text="One line per day or range of days, e.g. “Mon–Sat: 10:00–20:00”."
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive clinics disappear from the site and can't be booked."
    )
    is_demo = models.BooleanField(
        "demo data", default=False, help_text="Invented for the demo by seed_demo; not a real branch."
    )
    front_desk = models.ManyToManyField(
        "auth.User",
        blank=True,
        related_name="desk_clinics",
        verbose_name="receptionists",
        help_text="The receptionists who run this clinic's desk: they see and change only their clinics' "
        "schedule, bookings and patients.",
    )

    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "clinic"
        verbose_name_plural = "clinics"
        permissions = [("view_all_clinics", "Can see and run every clinic's desk")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("bookings:clinic_detail", kwargs={"slug": self.slug})

    @property
    def opening_hours_lines(self) -> list[str]:
        return [line.strip() for line in self.opening_hours.splitlines() if line.strip()]

    @property
    def directions_url(self) -> str:
        """Return the map link, or one made from the coordinates or the address."""
        if self.map_url:
            return self.map_url

        if self.latitude is not None and self.longitude is not None:
            return f"https://www.google.com/maps/search/?api=1&query={self.latitude},{self.longitude}"
        return f"https://www.google.com/maps/search/?api=1&query={quote_plus(f'{self.address}, Karachi')}"


def in_language(path: str) -> Coalesce:
    """
    Return a translated field read through a relation ("physiotherapist__name") in the current
    language, or in English where it has none: what django-modeltranslation's attribute gives a
    model's own field, for `values_list()`, which reads the column as it is.
    """
    here = build_localized_fieldname(path, get_language() or settings.LANGUAGE_CODE)
    english = build_localized_fieldname(path, settings.MODELTRANSLATION_DEFAULT_LANGUAGE)
    return Coalesce(NullIf(here, models.Value("")), english, output_field=models.CharField())


def format_pkr(amount: int) -> str:
    """Return an amount of rupees as a patient reads it: “PKR 6,000”."""
    return gettext("PKR %(amount)s") % {"amount": f"{amount:,}"}


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class PhysiotherapistQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Physiotherapist(models.Model):
    name = models.CharField("name", max_length=120)
    slug = models.SlugField("slug", max_length=80, unique=True)
    credentials = models.CharField(
        "credentials", max_length=200, help_text="e.g. “DPT, certified in dry needling (IMS)”."
    )
    bio = models.TextField("about", blank=True, max_length=2000)
    gender = models.CharField(
        "gender",
        max_length=10,
        choices=Gender.choices,
        help_text="Many patients ask for a therapist of their own gender; they can filter by it when booking.",
    )
    photo = models.ImageField(
        "photo",
        upload_to="physiotherapists/",
        blank=True,
        width_field="photo_width",
        height_field="photo_height",
        help_text="Optional. A portrait at least 640 pixels wide; smaller copies for phones are made on save.",
    )
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    is_active = models.BooleanField("active", default=True, help_text="Inactive therapists can't be booked.")
    is_demo = models.BooleanField("demo data", default=False)

    objects = PhysiotherapistQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "physiotherapist"
        verbose_name_plural = "physiotherapists"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("bookings:physio_detail", kwargs={"slug": self.slug})


class SessionTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_next_session(self, previous: "SessionType") -> "SessionType":
        """Return the type a next session is booked as: the active follow-up type, else `previous`."""
        return self.active().filter(is_follow_up=True).order_by("order", "pk").first() or previous


class SessionType(models.Model):
    name = models.CharField("name", max_length=120, unique=True)
    short_name = models.CharField(
        "short name", max_length=30, blank=True, help_text="For the schedule and lists, e.g. “First visit”."
    )
    description = models.CharField("description", max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField("duration (minutes)", default=45)
    price_pkr = models.PositiveIntegerField("price (PKR)")
    order = models.PositiveSmallIntegerField("order", default=0)
    is_active = models.BooleanField("active", default=True)
    is_follow_up = models.BooleanField(
        "for next sessions",
        default=False,
        help_text="Booked when a patient books their next session or reception books a course "
        "(e.g. “Follow-up dry needling”).",
    )

    objects = SessionTypeQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "session type"
        verbose_name_plural = "session types"
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="sessiontype_duration_positive")
        ]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name

    @property
    def fee(self) -> str:
        """The fee as patients read it: “PKR 6,000”."""
        return format_pkr(self.price_pkr)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailabilityQuerySet(models.QuerySet):
    def overlapping(self, availability: "WeeklyAvailability"):
        """Return the other availability of the same therapist that overlaps in weekday, hours and dates."""
        qs = self.filter(
            physiotherapist_id=availability.physiotherapist_id,
            weekday=availability.weekday,
            start_time__lt=availability.end_time,
            end_time__gt=availability.start_time,
        ).exclude(pk=availability.pk)
        qs = qs.filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=availability.valid_from))
        if availability.valid_until:
            qs = qs.filter(valid_from__lte=availability.valid_until)
        return qs


class WeeklyAvailability(models.Model):
    """A therapist works at a clinic on a weekday between two times, cut into slots."""

    physiotherapist = models.ForeignKey(
        Physiotherapist, on_delete=models.CASCADE, related_name="availabilities", verbose_name="physiotherapist"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="availabilities", verbose_name="clinic")
    weekday = models.PositiveSmallIntegerField("weekday", choices=Weekday.choices)
    start_time = models.TimeField("from")
    end_time = models.TimeField("until")
    slot_minutes = models.PositiveSmallIntegerField(
        "slot length (minutes)", default=45, help_text="The working hours are cut into slots of this length."
    )
    valid_from = models.DateField("valid from")
    valid_until = models.DateField("valid until", null=True, blank=True, help_text="Empty: until further notice.")

    objects = WeeklyAvailabilityQuerySet.as_manager()

    class Meta:
        ordering = ["physiotherapist", "weekday", "start_time"]
        verbose_name = "weekly availability"
        verbose_name_plural = "weekly availability"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="availability_end_after_start"
            ),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=5), name="availability_slot_minutes_min"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="availability_valid_range",
            ),
        ]

    def __str__(self):
        hours = f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        return f"{self.physiotherapist} at {self.clinic}, {self.get_weekday_display()} {hours}"

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end must be after the start."}, code="end_before_start")
        if not (self.physiotherapist_id and self.start_time and self.end_time and self.valid_from):
            return
        clash = WeeklyAvailability.objects.overlapping(self).first()
        if clash:
            raise ValidationError(
                f"{self.physiotherapist} already works then: {clash}. A therapist can't be in two places at once.",
                code="availability_overlap",
            )


class TimeOff(models.Model):
    """A therapist's leave: no slot is offered inside it."""

    physiotherapist = models.ForeignKey(
        Physiotherapist, on_delete=models.CASCADE, related_name="time_off", verbose_name="physiotherapist"
    )
    starts_at = models.DateTimeField("from")
    ends_at = models.DateTimeField("until")
    reason = models.CharField("reason", max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="timeoff_end_after_start"
            )
        ]

    def __str__(self):
        return f"{self.physiotherapist}: {self.span()}"

    def span(self) -> str:
        """Return the leave's times in Karachi, as the desk's pages show them (the stored times are UTC)."""
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        if start.date() == end.date():
            return f"{desk_day(start)}, {start:%H:%M}–{end:%H:%M}"
        return f"{desk_day(start)}, {start:%H:%M} – {desk_day(end)}, {end:%H:%M}"


class ClinicClosure(models.Model):
    """Days one or more clinics are closed (public holidays, Eid): no slot is offered."""

    clinics = models.ManyToManyField(
        Clinic, related_name="closures", verbose_name="clinics", help_text="A public holiday closes them all."
    )
    start_date = models.DateField("first day closed")
    end_date = models.DateField("last day closed")
    reason = models.CharField("reason", max_length=200, help_text="e.g. “Eid ul-Fitr”.")

    history = HistoricalRecords(m2m_fields=[clinics])

    class Meta:
        ordering = ["-start_date"]
        verbose_name = "clinic closure"
        verbose_name_plural = "clinic closures"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="closure_end_not_before_start"
            )
        ]

    def __str__(self):
        return f"Closed {self.start_date:%d %b} – {self.end_date:%d %b %Y}: {self.reason}"


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")
    # A time kept for a patient until `held_until`: offered from the waitlist (bookings.booking.waitlist),
    # or booked online with a deposit still to pay (bookings.booking.deposits).
    HELD = "held", _("Held")
    LAPSED = "lapsed", _("Offer not taken")


# A booking in any of these holds its slot; cancelling frees it, and a hold frees it when it lapses
# (the availability policy offers a time again as soon as its hold's `held_until` has passed).
ACTIVE_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.HELD]


class CancelReason(models.TextChoices):
    PATIENT_ASKED = "patient_asked", "Patient asked"
    PATIENT_UNWELL = "patient_unwell", "Patient unwell"
    THERAPIST_AWAY = "therapist_away", "Therapist unavailable"
    CLINIC_CLOSED = "clinic_closed", "Clinic closed"
    MISTAKE = "mistake", "Booked by mistake"
    OTHER = "other", "Other"


class DepositStatus(models.TextChoices):
    NONE = "", _("No deposit")
    OWED = "owed", _("Deposit owed")
    PAID = "paid", _("Deposit paid")
    WAIVED = "waived", _("Deposit waived")
    KEPT = "kept", _("Deposit kept")  # a late cancellation or a no-show: the clinic keeps it
    REFUND_DUE = "refund_due", _("Refund on its way")
    REFUNDED = "refunded", _("Deposit refunded")


# Who a cancellation is down to, by its reason: the patient's own, or the clinic's (leave, a closure).
# The reports count them by these; a deposit is refunded when the clinic cancels (bookings.booking.money).
PATIENT_CANCEL_REASONS = [CancelReason.PATIENT_ASKED, CancelReason.PATIENT_UNWELL]
CLINIC_CANCEL_REASONS = [CancelReason.THERAPIST_AWAY, CancelReason.CLINIC_CLOSED]


class BookingSource(models.TextChoices):
    ONLINE = "online", "Online"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"


class SlotQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(starts_at__gt=now or timezone.now())

    def on_day(self, day):
        """Return the slots that start on `day` in Karachi time."""
        start, end = day_bounds(day)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def overlapping(self, *, physiotherapist_id, starts_at, ends_at):
        return self.filter(physiotherapist_id=physiotherapist_id, starts_at__lt=ends_at, ends_at__gt=starts_at)


class Slot(models.Model):
    """One bookable period of one therapist at one clinic."""

    physiotherapist = models.ForeignKey(
        Physiotherapist, on_delete=models.PROTECT, related_name="slots", verbose_name="physiotherapist"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="slots", verbose_name="clinic")
    starts_at = models.DateTimeField("starts", db_index=True)
    ends_at = models.DateTimeField("ends")
    is_blocked = models.BooleanField(
        "blocked", default=False, help_text="A blocked slot is not offered to patients (a meeting, a break, a repair)."
    )
    block_reason = models.CharField("why blocked", max_length=200, blank=True)
    created_at = models.DateTimeField("created", auto_now_add=True)

    # Edits are recorded; the slots that generation makes in bulk are not (they are made, not changed).
    history = HistoricalRecords()
    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "physiotherapist__name"]
        verbose_name = "slot"
        verbose_name_plural = "slots"
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_end_after_start"),
            models.UniqueConstraint(fields=["physiotherapist", "starts_at"], name="slot_unique_therapist_start"),
            # On PostgreSQL, migration 0003 adds an exclusion constraint against overlapping slots.
        ]
        indexes = [models.Index(fields=["clinic", "starts_at"], name="slot_clinic_start_idx")]

    def __str__(self):
        start = timezone.localtime(self.starts_at)
        return f"{desk_day(start)}, {start:%H:%M}, {self.physiotherapist} ({self.clinic})"

    def clean(self):
        if self.starts_at and self.ends_at:
            if self.ends_at <= self.starts_at:
                raise ValidationError({"ends_at": "The end must be after the start."}, code="end_before_start")
            if self.physiotherapist_id:
                clash = (
                    Slot.objects.overlapping(
                        physiotherapist_id=self.physiotherapist_id, starts_at=self.starts_at, ends_at=self.ends_at
                    )
                    .exclude(pk=self.pk)
                    .first()
                )
                if clash:
                    raise ValidationError(
                        f"This overlaps another slot of the same therapist: {clash}.", code="slot_overlap"
                    )


class FreeTime(models.Model):
    """
    A slot on sale and not booked for good: the availability policy's answer, stored, so the public
    pages, the waitlist and the next-session offer read it off an index instead of asking the policy's
    subqueries afresh. Kept by bookings.schedule.free_times in the transaction of every change that
    frees or takes a time; never edited by hand.
    """

    slot = models.OneToOneField(
        Slot, on_delete=models.CASCADE, primary_key=True, related_name="free_time", verbose_name="slot"
    )
    # Copies of the slot's, for the reads' indexes (a slot's place and time never change while it has a row
    # that matters: the schedule services refresh it when they do).
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+", db_index=False)
    physiotherapist = models.ForeignKey(Physiotherapist, on_delete=models.CASCADE, related_name="+", db_index=False)
    starts_at = models.DateTimeField("starts", db_index=True)
    free_from = models.DateTimeField(
        "free from",
        null=True,
        blank=True,
        help_text="Empty: free. Otherwise the end of the hold (waitlist offer, deposit) keeping it: free again then.",
    )

    class Meta:
        verbose_name = "free time"
        verbose_name_plural = "free times"
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="freetime_clinic_start_idx"),
            models.Index(fields=["physiotherapist", "starts_at"], name="freetime_therapist_start_idx"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}, slot {self.slot_id}"


class Contact(models.Model):
    """
    A phone number that books: one person's own, or a household's shared phone (a mother
    booking herself and her son, a son booking for his father). How the number is reached
    (WhatsApp or text, the opt-in, STOP) belongs here; everything about a person (their
    name, bookings, screening, no-shows) belongs to each Patient under it.
    """

    # Null only once erased (see the constraint): NULLs don't clash, so the number is free for a new contact.
    phone = PhoneNumberField(
        "phone", unique=True, null=True, help_text="Stored as +92…; any usual spelling is accepted."
    )
    contact_channel = models.CharField(
        "reach by",
        max_length=10,
        choices=[("whatsapp", "WhatsApp"), ("sms", "Text message")],
        default="whatsapp",
        help_text="How the number asked to get confirmations and reminders (text messages where WhatsApp fails).",
    )
    contact_opt_in_at = models.DateTimeField("agreed to messages at", null=True, blank=True)
    contact_opt_in_source = models.CharField(
        "agreed where", max_length=20, blank=True, help_text="The online booking form, or the front desk."
    )
    messages_stopped_at = models.DateTimeField(
        "stopped messages at",
        null=True,
        blank=True,
        help_text="The number sent STOP: no WhatsApp or text message goes to it but answers to its own.",
    )
    created_at = models.DateTimeField("first seen", auto_now_add=True)
    erased_at = models.DateTimeField(
        "number erased at",
        null=True,
        blank=True,
        editable=False,
        help_text="The number was erased then, with every person who booked with it.",
    )

    class Meta:
        verbose_name = "phone number"
        verbose_name_plural = "phone numbers"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=False) | (models.Q(phone__isnull=False) & ~models.Q(phone="")),
                name="contact_phone_unless_erased",
                violation_error_message="A phone number is needed.",
            )
        ]

    def __str__(self):
        return self.phone.as_national if self.phone else f"Erased number #{self.pk}"


class Relation(models.TextChoices):
    """Whom the session is for, as the person booking with the number said."""

    SELF = "self", "The number's own"
    CHILD = "child", "A child (under 18)"
    OTHER = "other", "Someone else (a parent, a relative)"


class Patient(models.Model):
    """
    A person who comes for sessions, under the phone number that books for them (a
    Contact). One number may book for several people; each has their own name, bookings,
    screening, consent and no-show count, and is told apart from the others by name.
    """

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="people", verbose_name="phone number")
    name = models.CharField("name", max_length=120)
    relation = models.CharField(
        "who they are",
        max_length=10,
        choices=Relation.choices,
        blank=True,
        help_text="As said when booking online; blank where the desk booked them.",
    )
    email = models.EmailField("email", blank=True)
    notes = models.TextField("notes", blank=True, max_length=4000, help_text="For staff only.")
    no_shows_forgiven_at = models.DateTimeField(
        "no-shows reset at",
        null=True,
        blank=True,
        editable=False,
        help_text="Reception reset the no-show count then: only no-shows after it count against booking online.",
    )
    created_at = models.DateTimeField("first seen", auto_now_add=True)
    erased_at = models.DateTimeField(
        "personal data erased at",
        null=True,
        blank=True,
        editable=False,
        help_text="Name, email and notes were erased then, here and in every booking; the bookings stay.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "patient"
        verbose_name_plural = "patients"
        permissions = [
            ("export_patient_data", "Can export everything held about a patient"),
            ("erase_patient_data", "Can erase a patient's personal data"),
        ]
        constraints = [
            # One person per name under a number: "Ali Khan" and "ali  khan" booking from one
            # phone are the same person (names are stored with their spaces collapsed).
            models.UniqueConstraint(
                Lower("name"),
                "contact",
                condition=models.Q(erased_at__isnull=True),
                name="patient_one_name_per_number",
                violation_error_message="This number already books for someone of this name.",
            )
        ]

    def __str__(self):
        if not self.contact.phone:
            return self.name
        return f"{self.name} ({self.contact.phone.as_national})"


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def with_related(self):
        return self.select_related("slot__clinic", "slot__physiotherapist", "session_type", "patient__contact")


class Booking(models.Model):
    reference = models.CharField("reference", max_length=12, unique=True, editable=False)
    manage_token = models.CharField("manage token", max_length=64, unique=True, editable=False)
    form_key = models.CharField(
        "form key",
        max_length=64,
        blank=True,
        editable=False,
        help_text="The one-time key of the online form it was booked from: the same form sent twice "
        "gets this booking back, and nobody else does.",
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name="slot")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, verbose_name="session type")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="bookings", verbose_name="patient")
    name = models.CharField("name as given", max_length=120)
    phone = PhoneNumberField("phone as given")
    email = models.EmailField("email as given", blank=True)
    notes = models.TextField("notes", blank=True, max_length=2000, help_text="What hurts, as the patient put it.")
    consent = models.BooleanField("read the safety information", default=False)
    status = models.CharField("status", max_length=12, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    source = models.CharField("source", max_length=10, choices=BookingSource.choices, default=BookingSource.ONLINE)
    created_at = models.DateTimeField("booked at", auto_now_add=True)
    updated_at = models.DateTimeField("last changed", auto_now=True)
    cancelled_at = models.DateTimeField("cancelled at", null=True, blank=True)
    cancel_reason = models.CharField("why cancelled", max_length=20, choices=CancelReason.choices, blank=True)
    checked_in_at = models.DateTimeField("arrived at", null=True, blank=True)
    patient_confirmed_at = models.DateTimeField(
        "confirmed by the patient at", null=True, blank=True, help_text="The patient tapped Confirm on the reminder."
    )
    attended_at = models.DateTimeField("marked attended at", null=True, blank=True)
    fee_pkr = models.PositiveIntegerField(
        "fee (PKR)",
        null=True,
        blank=True,
        editable=False,
        help_text="The session type's price on the day the session was marked attended: what it earned. "
        "A later change of price leaves it as it was.",
    )
    no_show_at = models.DateTimeField("marked no-show at", null=True, blank=True)
    reminder_sent_at = models.DateTimeField("reminder sent at", null=True, blank=True, editable=False)
    aftercare_sent_at = models.DateTimeField("aftercare sent at", null=True, blank=True, editable=False)
    move_offered_at = models.DateTimeField(
        "offered to move at",
        null=True,
        blank=True,
        editable=False,
        help_text="When the patient was told their time is affected (leave, a closure) and offered another.",
    )
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="booked by"
    )
    language = models.CharField(
        "language",
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The language of the page the patient booked on; every message to them is in it.",
    )
    course = models.ForeignKey(
        "Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name="course",
        help_text="The course of treatment this session belongs to (“session 2 of 4”).",
    )
    waitlist_entry = models.ForeignKey(
        "WaitlistEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name="offered from the waitlist",
    )
    held_until = models.DateTimeField(
        "held until",
        null=True,
        blank=True,
        editable=False,
        help_text="A time offered from the waitlist, or booked with a deposit still to pay, is kept for "
        "the patient until then.",
    )
    deposit_pkr = models.PositiveIntegerField(
        "deposit (PKR)",
        default=0,
        editable=False,
        help_text="The deposit asked for when it was booked online (0: none). It counts towards the fee.",
    )
    deposit_status = models.CharField(
        "deposit", max_length=10, choices=DepositStatus.choices, default=DepositStatus.NONE, blank=True, editable=False
    )

    history = HistoricalRecords(excluded_fields=["manage_token", "form_key"])
    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-slot__starts_at"]
        verbose_name = "booking"
        verbose_name_plural = "bookings"
        constraints = [
            # The invariant that matters most: a slot never has two active bookings.
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="booking_one_active_per_slot",
            ),
            # One open offer per waitlist entry: two matching runs at once can't both offer it a time.
            models.UniqueConstraint(
                fields=["waitlist_entry"],
                condition=models.Q(status="held"),
                name="booking_one_hold_per_waitlist_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(held_until__isnull=False),
                name="booking_hold_has_end",
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_status="") | models.Q(deposit_pkr__gt=0),
                name="booking_deposit_has_amount",
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.name}"

    def get_absolute_url(self):
        return reverse("bookings:manage", kwargs={"token": self.manage_token})

    # The booking's short link in a text message (/b/<code>, to its page): the token's first 12
    # characters, 72 bits, still beyond guessing; a text has no room for all 43.
    SHORT_CODE_LENGTH = 12

    @property
    def short_code(self) -> str:
        return self.manage_token[: self.SHORT_CODE_LENGTH]

    def get_short_url(self) -> str:
        return reverse("booking_short", kwargs={"code": self.short_code})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def inside_cutoff(self, now) -> bool:
        """Whether the session is less than the cut-off away (ASPIRE_CANCEL_CUTOFF_HOURS): too late to change online."""
        return self.slot.starts_at - now < dt.timedelta(hours=settings.ASPIRE_CANCEL_CUTOFF_HOURS)

    @property
    def owes_deposit(self) -> bool:
        """Whether this is a hold waiting for its deposit (it may have lapsed)."""
        return self.deposit_status == DepositStatus.OWED

    @property
    def deposit(self) -> str:
        """The deposit as patients read it: “PKR 1,000”."""
        return format_pkr(self.deposit_pkr)

    @property
    def rest_of_fee(self) -> str:
        """The fee less the deposit, as patients read it: what they pay at the clinic once the deposit is paid."""
        return format_pkr(max(self.session_type.price_pkr - self.deposit_pkr, 0))

    @property
    def to_pay_at_clinic(self) -> int:
        """What is left of the fee to pay at the desk: the deposit paid online counts towards it."""
        paid = self.deposit_pkr if self.deposit_status == DepositStatus.PAID else 0
        return max(self.session_type.price_pkr - paid, 0)


class MessageChannel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


class MessageAudience(models.TextChoices):
    PATIENT = "patient", "Patient"
    RECEPTION = "reception", "Reception"


class MessageQuerySet(models.QuerySet):
    def due(self, now):
        """Return the queued messages whose time has come and that no worker holds."""
        return self.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        )


class Message(models.Model):
    """
    One message to a patient or to reception: a row of the outbox, written in the same
    transaction as the change it reports, and delivered by the worker (bookings.messaging.outbox).
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="messages", verbose_name="booking")
    audience = models.CharField("to whom", max_length=10, choices=MessageAudience.choices)
    channel = models.CharField("channel", max_length=10, choices=MessageChannel.choices)
    recipient = models.CharField("to", max_length=254, help_text="A phone number (+92…) or an email address.")
    kind = models.CharField(
        "message", max_length=30, help_text="What it says: confirmed, moved, cancelled, reminder, aftercare…"
    )
    language = models.CharField("language", max_length=8, default="en")
    params = models.JSONField("parameters", default=dict, blank=True)
    status = models.CharField("status", max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    provider_message_id = models.CharField("provider's id", max_length=128, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField("attempts", default=0)
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    claimed_until = models.DateTimeField(
        "held by a worker until", null=True, blank=True, editable=False,
        help_text="A worker that dies while sending lets go of the message then.",
    )  # fmt: skip
    last_error = models.CharField("last error", max_length=500, blank=True)
    fallback_for = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fallback",
        verbose_name="in place of",
        help_text="The message this one replaces (a text message for a WhatsApp message that could not be delivered).",
    )
    created_at = models.DateTimeField("queued at", auto_now_add=True)
    sent_at = models.DateTimeField("sent at", null=True, blank=True)
    delivered_at = models.DateTimeField("delivered at", null=True, blank=True)
    read_at = models.DateTimeField("read at", null=True, blank=True)
    failed_at = models.DateTimeField("failed at", null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "message"
        verbose_name_plural = "messages"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_due_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display()} ({self.get_status_display().lower()})"

    def get_kind_display(self) -> str:
        return self.kind.replace("_", " ").capitalize()


class HandledInbound(models.Model):
    """
    A patient's message, by its provider's id, that has been acted on (a quick-reply tap, a
    STOP, a reply): written in the same transaction as the action, so the same message
    delivered again (Meta redelivers when an answer is slow) is not acted on twice, even by
    two requests at once (the unique constraint makes the second wait, then refuses it).
    Holds no number and no text; the retention job deletes rows once no provider redelivers
    them (bookings.booking.privacy).
    """

    channel = models.CharField("channel", max_length=10, choices=MessageChannel.choices)
    provider_id = models.CharField("provider's id", max_length=128)
    handled_at = models.DateTimeField("handled at", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-handled_at"]
        verbose_name = "handled inbound message"
        verbose_name_plural = "handled inbound messages"
        constraints = [
            models.UniqueConstraint(fields=["channel", "provider_id"], name="handled_inbound_once"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.provider_id}"


class RateLimitCounter(models.Model):
    """
    How many times one key (a client's address, a phone number) was counted in one
    window of time. Kept in the database every app server shares, and counted with
    one atomic statement, so concurrent requests can't slip past a limit.
    """

    key = models.CharField("key", max_length=200, primary_key=True)
    count = models.PositiveIntegerField("count", default=0)
    expires_at = models.DateTimeField("expires at", db_index=True)

    class Meta:
        verbose_name = "rate limit counter"

    def __str__(self):
        return f"{self.key}: {self.count}"


class Receptionist(User):
    """
    A front-desk login, as a clinic manager sees it: the page where managers create
    receptionists and assign their clinics (bookings/desk/staff.py holds the rules).
    """

    class Meta:
        proxy = True
        # The page answers to one permission of its own; auth's user permissions stay with superusers.
        default_permissions = ()
        permissions = [("manage_receptionists", "Can create receptionist logins and assign their clinics")]
        verbose_name = "receptionist login"
        verbose_name_plural = "receptionist logins"


class SafetyScreening(models.Model):
    """
    The safety questions a patient answered when booking online, and the consent they
    gave. Health data: shown only to the staff of the booking's clinic, never put in a
    message, exported and erased with the patient (bookings.booking.privacy).
    """

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="screening", verbose_name="booking")
    answers = models.JSONField(
        "answers", default=dict, blank=True, help_text="Each question's key (bookings.screening) and the yes/no given."
    )
    first_visit = models.BooleanField(
        "first visit", default=False, help_text="No attended session for this person before this booking."
    )
    needs_talk = models.BooleanField(
        "talk before needling",
        default=False,
        help_text="An answer rules needling out or needs a conversation: the physiotherapist talks it through first.",
    )
    consent_version = models.CharField("consent text version", max_length=20)
    consented_at = models.DateTimeField("agreed at")
    guardian_name = models.CharField(
        "consent given by",
        max_length=120,
        blank=True,
        help_text="For a child under 18: the parent or guardian who answered and agreed for them.",
    )

    class Meta:
        verbose_name = "safety screening"
        verbose_name_plural = "safety screenings"

    def __str__(self):
        return f"Screening of booking {self.booking_id}"

    @property
    def not_answered(self) -> bool:
        """A first visit booked without the questions answered: the desk asks them."""
        return self.first_visit and not self.answers


class Course(models.Model):
    """
    A course of treatment: sessions of one patient with one therapist, booked together at
    the desk (n sessions every k days) or one after another (“book your next session”).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses", verbose_name="patient")
    physiotherapist = models.ForeignKey(
        Physiotherapist, on_delete=models.PROTECT, related_name="courses", verbose_name="physiotherapist"
    )
    every_days = models.PositiveSmallIntegerField(
        "every (days)", null=True, blank=True, help_text="Booked at the desk as one session every so many days."
    )
    created_at = models.DateTimeField("started", auto_now_add=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="booked by"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "course of treatment"
        verbose_name_plural = "courses of treatment"

    def __str__(self):
        return f"{self.patient.name} with {self.physiotherapist.name}"


class PartOfDay(models.TextChoices):
    # The same parts as the day's times on the booking page (bookings.schedule.selectors.FreeTimes.on).
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning (before 12:00)")
    AFTERNOON = "afternoon", _("Afternoon (12:00–17:00)")
    EVENING = "evening", _("Evening (from 17:00)")


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self, *, today):
        """Return the entries still waiting for a time, whose last day has not passed, oldest first."""
        return self.filter(status=WaitlistStatus.WAITING, last_day__gte=today).order_by("created_at", "pk")


class WaitlistEntry(models.Model):
    """A patient asking to be told when a time frees at a clinic: which days, what part of the day, with whom."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="waitlist", verbose_name="clinic")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist", verbose_name="patient")
    name = models.CharField("name as given", max_length=120)
    phone = PhoneNumberField("phone as given")
    email = models.EmailField("email as given", blank=True)
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, verbose_name="session type")
    first_day = models.DateField("from")
    last_day = models.DateField("until", help_text="The entry expires after this day.")
    part_of_day = models.CharField("part of the day", max_length=10, choices=PartOfDay.choices, default="any")
    physiotherapist = models.ForeignKey(
        Physiotherapist,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="physiotherapist",
        help_text="Empty: any therapist (of the gender, if one is given).",
    )
    gender = models.CharField("therapist's gender", max_length=10, choices=Gender.choices, blank=True)
    language = models.CharField("language", max_length=8, default="en")
    status = models.CharField("status", max_length=10, choices=WaitlistStatus.choices, default="waiting")
    created_at = models.DateTimeField("joined", auto_now_add=True)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")), name="waitlist_last_day_not_before_first"
            )
        ]
        indexes = [models.Index(fields=["status", "last_day"], name="waitlist_status_idx")]

    def __str__(self):
        return f"{self.name}: {self.clinic}, {self.first_day:%d %b}–{self.last_day:%d %b}"


class DepositWhen(models.TextChoices):
    ALWAYS = "always", "Every online booking"
    FIRST_VISIT = "first_visit", "First visits only"
    AFTER_NO_SHOWS = "after_no_shows", "After earlier no-shows"


class DepositRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class DepositRule(models.Model):
    """
    A clinic's rule that a session type booked online is paid for in part (or in whole) at
    booking: the time is held until the deposit is paid (bookings.booking.deposits). The desk
    books without one. Which bookings owe it: bookings.payments.rules.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="deposit_rules", verbose_name="clinic")
    session_type = models.ForeignKey(
        SessionType, on_delete=models.CASCADE, related_name="deposit_rules", verbose_name="session type"
    )
    when = models.CharField("asked for", max_length=20, choices=DepositWhen.choices, default=DepositWhen.ALWAYS)
    no_shows = models.PositiveSmallIntegerField(
        "no-shows before it is asked",
        default=1,
        help_text="For “after earlier no-shows”: a patient with at least this many no-shows (since reception last "
        "reset their count) pays a deposit to book online.",
    )
    amount_pkr = models.PositiveIntegerField(
        "amount (PKR)",
        null=True,
        blank=True,
        help_text="In whole rupees. Empty: the whole fee.",
    )
    is_active = models.BooleanField("active", default=True)

    history = HistoricalRecords()
    objects = DepositRuleQuerySet.as_manager()

    class Meta:
        ordering = ["clinic__name", "session_type__order"]
        verbose_name = "deposit rule"
        verbose_name_plural = "deposit rules"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "session_type"], name="depositrule_one_per_clinic_and_type"),
            models.CheckConstraint(
                condition=models.Q(amount_pkr__isnull=True) | models.Q(amount_pkr__gt=0),
                name="depositrule_amount_positive",
            ),
        ]

    def __str__(self):
        return f"{self.clinic}: {self.session_type}"

    def clean(self):
        if self.amount_pkr and self.session_type_id and self.amount_pkr > self.session_type.price_pkr:
            raise ValidationError(
                {"amount_pkr": f"A deposit can't be more than the fee ({self.session_type.price_pkr:,} PKR)."},
                code="deposit_over_fee",
            )

    def amount_for(self, session_type: SessionType) -> int:
        return min(self.amount_pkr or session_type.price_pkr, session_type.price_pkr)

    @property
    def amount_display(self) -> str:
        """The deposit as patients read it: “PKR 1,000”."""
        return format_pkr(self.amount_for(self.session_type))


class PaymentStatus(models.TextChoices):
    STARTED = "started", "Checkout started"
    PAID = "paid", "Paid"
    FAILED = "failed", "Not paid"
    REFUND_DUE = "refund_due", "Refund due"
    # Asked of the provider, its answer not yet written: a worker that dies here leaves it for the desk
    # (the payments list's "stuck"), never asks twice by itself.
    REFUNDING = "refunding", "Refund asked of the provider"
    REFUNDED = "refunded", "Refunded"


class Payment(models.Model):
    """
    One attempt to pay a booking's deposit through a provider's hosted checkout. Only the
    provider's reference and the amount are kept: no card, wallet or account detail.
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments", verbose_name="booking")
    provider = models.CharField("provider", max_length=20)
    reference = models.CharField(
        "our reference", max_length=20, unique=True, editable=False, help_text="Sent to the provider with the payment."
    )
    provider_ref = models.CharField("provider's reference", max_length=64, blank=True, editable=False)
    amount_pkr = models.PositiveIntegerField("amount (PKR)", editable=False)
    status = models.CharField("status", max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.STARTED)
    refund_ref = models.CharField("provider's refund reference", max_length=64, blank=True, editable=False)
    refund_attempts = models.PositiveSmallIntegerField("refund attempts", default=0, editable=False)
    last_error = models.CharField("last error", max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField("started at", auto_now_add=True)
    paid_at = models.DateTimeField("paid at", null=True, blank=True, editable=False)
    refunded_at = models.DateTimeField("refunded at", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField("last changed", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "payment"
        verbose_name_plural = "payments"
        constraints = [models.CheckConstraint(condition=models.Q(amount_pkr__gt=0), name="payment_amount_positive")]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_idx")]

    def __str__(self):
        return f"{self.reference}: {self.amount_pkr:,} PKR by {self.provider} ({self.get_status_display().lower()})"


class MoneyKind(models.TextChoices):
    PAID = "paid", "Deposit paid online"
    REFUND_DUE = "refund_due", "Refund asked for"
    REFUNDED = "refunded", "Refunded"
    KEPT = "kept", "Kept (late cancellation or no-show)"
    KEPT_UNDONE = "kept_undone", "No longer kept (a no-show corrected to attended)"
    WAIVED = "waived", "Waived by the desk"
    COUNTED = "counted", "Counted towards the fee"


class MoneyEvent(models.Model):
    """
    The ledger: every movement of a deposit is one row, never changed: paid, refunded, kept,
    waived, counted towards the fee. Who did it (a person at the desk, or nobody: the site) and why.
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="money_events", verbose_name="booking")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events", verbose_name="payment"
    )
    kind = models.CharField("what", max_length=12, choices=MoneyKind.choices)
    amount_pkr = models.PositiveIntegerField("amount (PKR)")
    at = models.DateTimeField("when", default=timezone.now)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="by")
    note = models.CharField("why", max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "money event"
        verbose_name_plural = "money events"
        indexes = [models.Index(fields=["kind", "at"], name="moneyevent_kind_at_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount_pkr:,} PKR"
