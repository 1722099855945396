"""
The front desk's forms in the admin. They only validate; the admin calls the services with
what they cleaned, so a form never writes.
"""

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.auth.forms import SetPasswordMixin, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from bookings import photos
from bookings.booking import money
from bookings.booking.patients import clean_person_name
from bookings.desk import selectors
from bookings.desk.staff import set_full_name
from bookings.desk.widgets import TamperProofAutocompleteSelect
from bookings.models import (
    Booking,
    BookingSource,
    CancelReason,
    Clinic,
    ClinicClosure,
    DepositRule,
    Patient,
    SessionType,
    Slot,
    TimeOff,
    Weekday,
)
from bookings.payments import base as payment_providers
from bookings.phones import InvalidPhone, normalize_phone
from bookings.schedule.hours import DayHours


class PhotoField(forms.ImageField):
    """A therapist's photo, cleaned by photos.photo_clean: the form's value is the re-encoded file to store."""

    def to_python(self, data):
        # FileField's checks only, not ImageField's: that opens the file and verify()s it, which decodes
        # nothing (a truncated JPEG passes) and runs before the pixel limit; photo_clean does both, in order.
        upload = forms.FileField.to_python(self, data)
        return None if upload is None else photos.photo_clean(upload)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "accept" in attrs:  # ImageField's image/*: a picker offers what the form would refuse
            attrs["accept"] = ",".join(f"image/{kind.lower()}" for kind in photos.MAX_PIXELS)
        return attrs


def slot_field(**kwargs) -> forms.ModelChoiceField:
    """A slot picker that searches by day, time, therapist or clinic (SlotAdmin.get_search_results)."""
    widget = TamperProofAutocompleteSelect(Booking._meta.get_field("slot"), admin.site)
    return forms.ModelChoiceField(
        queryset=Slot.objects.select_related("clinic", "physiotherapist"),
        widget=widget,
        help_text="Type a day (“tue”, “5 dec”, “tomorrow”), a time (“15:00”), a therapist or a clinic.",
        **kwargs,
    )


class DeskBookingForm(forms.Form):
    """A booking for a caller or a walk-in: any time the desk may book; the patient found by phone."""

    slot = slot_field(label="Time")
    session_type = forms.ModelChoiceField(label="Session", queryset=None, empty_label=None)
    source = forms.ChoiceField(
        label="Source", choices=[(BookingSource.PHONE, "Phone"), (BookingSource.WALK_IN, "Walk-in")], initial="phone"
    )
    # Whether the patient gets the booking by text message (WhatsApp or SMS): by default a caller
    # does and a walk-in, told at the desk, doesn't. A choice, not a box: a box ticked for a phone
    # booking would stay ticked when the desk switches the source to walk-in (no script runs here).
    text = forms.TypedChoiceField(
        label="Text the booking",
        choices=[("", "Phone booking: yes; walk-in: no"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        help_text="By WhatsApp or SMS. An email goes wherever one is given.",
    )
    phone = forms.CharField(
        label="Phone", max_length=32, help_text="Any spelling: 0309-5885076, 03095885076, +92 309 5885076."
    )
    name = forms.CharField(
        label="Patient's name",
        max_length=120,
        required=False,
        help_text="Filled in for a returning patient from their phone number.",
    )
    email = forms.EmailField(label="Email (optional)", required=False, max_length=254)
    notes = forms.CharField(label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.BooleanField(label="Told about the safety information", required=False)

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        # The patients whose name may fill in a blank one: the desk's own (selectors.patients_for), so a
        # number known only at another clinic doesn't put that clinic's name for it on this desk's schedule.
        self.patients = patients
        self.fields["session_type"].queryset = SessionType.objects.active()
        self.fields["phone"].widget.attrs.update({"data-patient-lookup": "1", "autocomplete": "off"})

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from None

    def clean_name(self):
        raw = self.cleaned_data["name"]
        return clean_person_name(raw) if raw.strip() else ""

    def clean(self):
        cleaned = super().clean()
        if "phone" in cleaned and not cleaned.get("name") and "name" not in self.errors:
            known = selectors.household_names(self.patients, cleaned["phone"])
            if len(known) == 1:
                cleaned["name"] = known[0]
            elif known:  # a family's phone: which of them is coming is the desk's to ask
                error = f"This number books for {len(known)} people ({', '.join(known)}): enter who is coming."
                self.add_error("name", ValidationError(error, code="which_person"))
            else:
                self.add_error("name", ValidationError("Enter the patient's name.", code="required"))
        return cleaned


class DeskCourseForm(DeskBookingForm):
    """A course booked in one go: the first session's time, how many sessions, and how many days apart."""

    sessions = forms.IntegerField(label="Sessions", min_value=2, max_value=12, initial=4)
    every_days = forms.IntegerField(
        label="Every (days)", min_value=1, max_value=28, initial=7,
        help_text="The same therapist, clinic and time of day each time.",
    )  # fmt: skip

    field_order = [
        "slot", "sessions", "every_days", "session_type", "source", "text", "phone", "name", "email", "notes",
    ]  # fmt: skip


class BookingMoveForm(forms.Form):
    """Move a booking to another time; the patient is told."""

    # The search's select starts with no option (the script fills it): a required one would be invalid HTML.
    use_required_attribute = False

    slot = slot_field(label="New time")


class BookingEditForm(forms.ModelForm):
    """What the desk changes on a booking in place: email and notes. Time and status have their own actions."""

    class Meta:
        model = Booking
        fields = ["email", "notes"]


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label="Why", choices=[("", "Why?"), *CancelReason.choices])


class DepositRuleForm(forms.ModelForm):
    """
    A clinic's deposit rule. An active rule with no provider set up would ask nothing (nobody
    can pay: bookings.payments.rules), so it is refused rather than saved to look in force; an
    amount above the fee is the model's own refusal, shown on its field.
    """

    NO_PROVIDER = (
        "Set up JazzCash or Safepay first (README, Deposits): until then patients can't pay, so nobody is asked."
    )

    class Meta:
        model = DepositRule
        fields = ["clinic", "session_type", "is_active", "when", "no_shows", "amount_pkr"]
        help_texts = {
            "is_active": "Patients booking this session type online at this clinic are asked for the deposit, "
            "and their time is held for a few minutes until it is paid. The desk books without one.",
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_active") and not payment_providers.configured():
            self.add_error("is_active", ValidationError(self.NO_PROVIDER, code="no_provider"))
        return cleaned


class DepositNoteForm(forms.Form):
    """Why the desk waives or refunds a deposit: recorded in the ledger with who did it."""

    note = forms.CharField(
        label="Why",
        # What fits the ledger's note after "Refunded by the desk: " (one length for waiving too).
        max_length=money.DESK_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": "Say why: it is recorded with your name."},
    )


class TimeOffForm(forms.ModelForm):
    class Meta:
        model = TimeOff
        fields = ["physiotherapist", "starts_at", "ends_at", "reason"]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", ValidationError("The end must be after the start.", code="end_before_start"))
        return cleaned


class ClosureForm(forms.ModelForm):
    """One closure for several clinics, or all of them (a public holiday)."""

    all_clinics = forms.BooleanField(label="All clinics", required=False, help_text="A public holiday: every branch.")

    class Meta:
        model = ClinicClosure
        fields = ["reason", "start_date", "end_date", "all_clinics", "clinics"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinics"].required = False
        self.fields["clinics"].queryset = Clinic.objects.active()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("all_clinics"):
            cleaned["clinics"] = list(Clinic.objects.active())
        if not cleaned.get("clinics") and "clinics" not in self.errors:
            self.add_error("clinics", ValidationError("Choose the clinics that close, or tick all clinics."))
        first, last = cleaned.get("start_date"), cleaned.get("end_date")
        if first and last and last < first:
            self.add_error("end_date", ValidationError("The last day can't be before the first."))
        return cleaned


class ScheduleForm(forms.Form):
    """Which clinic's day: the clinics come as a list the view has read, so the form reads none again."""

    # A day of the schedule has a day before and after it (the page links to both), and
    # its times in UTC: so not the first or last day Python's dates hold.
    FIRST_DAY = dt.date.min + dt.timedelta(days=1)
    LAST_DAY = dt.date.max - dt.timedelta(days=1)

    clinic = forms.TypedChoiceField(coerce=int)
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinics = {clinic.pk: clinic for clinic in clinics}
        self.fields["clinic"].choices = [(clinic.pk, clinic.name) for clinic in clinics]
        if isinstance(self.initial.get("clinic"), Clinic):
            self.initial["clinic"] = self.initial["clinic"].pk

    def clean_clinic(self):
        return self.clinics[self.cleaned_data["clinic"]]


class ReceptionistFieldsMixin(forms.Form):
    """A receptionist's name and clinics; the admin saves them through bookings.desk.staff.receptionist_save."""

    full_name = forms.CharField(label="Full name", max_length=150)
    clinics = forms.ModelMultipleChoiceField(
        label="Clinics",
        queryset=Clinic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The clinics whose desk they run: they see and change only these clinics' schedule, bookings "
        "and patients. None: they see nothing until you choose one.",
    )

    def clean_full_name(self):
        return clean_person_name(self.cleaned_data["full_name"])

    def _post_clean(self):
        if "full_name" in self.cleaned_data:
            # Before the password validators compare the password with the person's name.
            set_full_name(user=self.instance, full_name=self.cleaned_data["full_name"])
        super()._post_clean()


class ReceptionistCreateForm(ReceptionistFieldsMixin, UserCreationForm):
    """A new front-desk login: a username, the person's name, a password the validators pass, and their clinics."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username"]


class ReceptionistChangeForm(SetPasswordMixin, ReceptionistFieldsMixin, forms.ModelForm):
    """A receptionist's name, clinics, whether the login works, and a new password if they forgot theirs."""

    password1, password2 = SetPasswordMixin.create_password_fields(label1="New password", label2="New password again")

    class Meta:
        model = User
        fields = ["username", "is_active"]
        labels = {"is_active": "Can sign in"}
        help_texts = {"is_active": "Untick when they leave: the login stops working; their bookings keep their name."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            self.fields[name].required = False
        self.fields["password1"].help_text = "Leave empty to keep their password. " + self.fields["password1"].help_text
        if self.instance.pk:
            self.initial.setdefault("full_name", self.instance.get_full_name())
            self.initial.setdefault("clinics", list(self.instance.desk_clinics.values_list("pk", flat=True)))

    def clean(self):
        self.validate_passwords()
        if self.cleaned_data.get("password1") and not self.cleaned_data.get("password2"):
            self.add_error("password2", ValidationError("Enter the new password again.", code="required"))
        return super().clean()

    def _post_clean(self):
        super()._post_clean()
        self.validate_password_for_user(self.instance)


class WeeklyHoursForm(forms.Form):
    """
    A therapist's week at one clinic as people say it: for each day, whether they work,
    from when to when, and a break. The service (services.weekly_hours_set) writes it.
    """

    PARTS = ("start", "end", "break_start", "break_end")

    slot_minutes = forms.IntegerField(
        label="Slot length (minutes)",
        min_value=5,
        max_value=480,
        initial=45,
        help_text="Each period is cut into slots of this length.",
    )
    valid_from = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first day of these hours. Days before it keep the hours they had.",
    )
    valid_until = forms.DateField(
        label="Until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: until further notice. For hours that last a while only (Ramadan), the last day: "
        "the usual week comes back the day after.",
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["valid_from"].initial = today
        self.weekdays = Weekday
        for weekday in Weekday:
            self.fields[f"works_{weekday.value}"] = forms.BooleanField(label=f"{weekday.label}: works", required=False)
            for part in self.PARTS:
                label = f"{weekday.label}: {part.replace('_', ' ')}"
                widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
                self.fields[f"{part}_{weekday.value}"] = forms.TimeField(label=label, required=False, widget=widget)

    def day_rows(self) -> list[dict]:
        """Return each weekday's fields, a table row each: its label, `works`, and its four `times`."""
        return [
            {
                "label": weekday.label,
                "works": self[f"works_{weekday.value}"],
                "times": [self[f"{part}_{weekday.value}"] for part in self.PARTS],
            }
            for weekday in self.weekdays
        ]

    def settings_fields(self):
        """Return the fields that apply to the whole week."""
        return [self["slot_minutes"], self["valid_from"], self["valid_until"]]

    def clean_valid_from(self):
        valid_from = self.cleaned_data["valid_from"]
        if valid_from < self.today:
            raise ValidationError(
                "New hours can start today at the earliest: past days keep the hours they had.", code="past"
            )
        return valid_from

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("valid_from"), cleaned.get("valid_until")
        if first and last and last < first:
            self.add_error(
                "valid_until", ValidationError("The last day can't be before the first.", code="until_before_from")
            )
        slot_minutes = cleaned.get("slot_minutes")
        days = {}
        for weekday in self.weekdays:
            n = weekday.value
            if not cleaned.get(f"works_{n}"):
                continue
            missing = [p for p in ("start", "end") if cleaned.get(f"{p}_{n}") is None and f"{p}_{n}" not in self.errors]
            for part in missing:
                self.add_error(
                    f"{part}_{n}", ValidationError(f"{weekday.label}: enter when the day {part}s.", code="required")
                )
            if missing or any(f"{p}_{n}" in self.errors for p in self.PARTS):
                continue
            hours = DayHours(*(cleaned.get(f"{p}_{n}") for p in self.PARTS))
            problem = hours.problem(slot_minutes=slot_minutes or 5)
            if problem:
                self.add_error(f"{problem[0]}_{n}", ValidationError(f"{weekday.label}: {problem[1]}", code="bad_hours"))
                continue
            days[n] = hours
        cleaned["days"] = days
        return cleaned


class PatientForm(forms.ModelForm):
    """
    A patient's page: their name as the booking forms clean it (spaces collapsed), and not the
    name of another person on the same number. The constraint patient_one_name_per_number is on
    the name and the number, and the number is no field here, so the admin's own check skips it.
    """

    class Meta:
        model = Patient
        fields = ["name", "email", "notes"]

    def clean_name(self):
        name = clean_person_name(self.cleaned_data["name"])
        if self.instance.contact_id is not None:
            try:
                Patient(pk=self.instance.pk, contact_id=self.instance.contact_id, name=name).validate_constraints()
            except ValidationError as exc:
                raise ValidationError(exc.messages, code="name_taken") from None
        return name
