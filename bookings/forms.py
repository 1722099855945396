"""Forms staff use in the admin. They call the services, so the rules are the public site's too."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from bookings import services
from bookings.models import Booking, BookingSource, Slot
from bookings.phones import InvalidPhone, normalize_phone


def clean_person_name(raw: str) -> str:
    """One line of printable text: runs of spaces, tabs and newlines become one space."""
    name = " ".join(raw.split())
    if not name or not name.isprintable():
        raise ValidationError("Enter the name, in letters.", code="invalid_name")
    return name


def slot_error(exc: services.BookingError) -> ValidationError:
    """Show a refused booking or move on the slot field, where the receptionist picks another time."""
    return ValidationError({"slot": f"{exc} Choose another time."}, code=exc.code)


class AdminBookingAddForm(forms.ModelForm):
    """A booking for a caller or a walk-in: any free, future, unblocked slot; the patient found by phone."""

    phone = forms.CharField(
        label="Phone", max_length=32, help_text="Any spelling: 0309-5885076, 03095885076, +92 309 5885076."
    )
    source = forms.ChoiceField(
        label="Source", choices=[(BookingSource.PHONE, "Phone"), (BookingSource.WALK_IN, "Walk-in")], initial="phone"
    )

    class Meta:
        model = Booking
        fields = ["slot", "session_type", "name", "phone", "email", "notes", "consent", "source"]
        labels = {"name": "Patient's name", "email": "Email (optional)", "consent": "Told about the safety information"}

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self.fields["name"].max_length = 120

    def clean_name(self):
        return clean_person_name(self.cleaned_data["name"])

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        slot: Slot = cleaned["slot"]
        try:
            # Booking here, inside the admin's transaction, turns a lost race into a form error.
            self.instance = services.booking_create(
                slot_id=slot.pk,
                session_type=cleaned["session_type"],
                name=cleaned["name"],
                phone=cleaned["phone"],
                email=cleaned.get("email", ""),
                notes=cleaned.get("notes", ""),
                consent=cleaned.get("consent", False),
                source=cleaned["source"],
                created_by=getattr(self.request, "user", None),
            )
        except services.BookingError as exc:
            raise slot_error(exc) from None
        return cleaned

    def _post_clean(self):
        # The service has built and saved the instance; nothing for ModelForm to copy onto it.
        pass

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.instance


class AdminBookingChangeForm(forms.ModelForm):
    """Change notes or contact email; moving to another slot goes through the service."""

    class Meta:
        model = Booking
        fields = ["slot", "email", "notes"]

    def clean(self):
        cleaned = super().clean()
        new_slot = cleaned.get("slot")
        if new_slot and "slot" in self.changed_data:
            try:
                services.booking_move(booking=self.instance, new_slot_id=new_slot.pk)
            except services.BookingError as exc:
                raise slot_error(exc) from None
        return cleaned


class ScheduleForm(forms.Form):
    # A day of the schedule has a day before and after it (the page links to both), and
    # its times in UTC: so not the first or last day Python's dates hold.
    FIRST_DAY = dt.date.min + dt.timedelta(days=1)
    LAST_DAY = dt.date.max - dt.timedelta(days=1)

    clinic = forms.ModelChoiceField(queryset=None, empty_label=None)
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )

    def __init__(self, *args, **kwargs):
        from bookings.models import Clinic

        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = Clinic.objects.active()


class PatientBookingForm(forms.Form):
    """What a patient tells us when booking online."""

    name = forms.CharField(label="Your name", max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label="Mobile number",
        max_length=32,
        help_text="We send your confirmation and a reminder here. For example 0309-5885076.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        max_length=254,
        help_text="For a confirmation with a calendar file.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    session_type = forms.ModelChoiceField(
        label="Session",
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a session."},
    )
    notes = forms.CharField(
        label="What hurts? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A line or two helps your physiotherapist prepare.",
    )
    consent = forms.BooleanField(
        label="I have read the safety information and agree to be assessed for dry needling.",
        error_messages={"required": "Please confirm you have read the safety information."},
    )
    # A field people don't see and bots fill in.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        from bookings.models import SessionType

        super().__init__(*args, **kwargs)
        session_types = SessionType.objects.active()
        self.fields["session_type"].queryset = session_types
        # Looked up only when a blank form is drawn (not for a posted one, nor a cached blank one).
        self.fields["session_type"].initial = lambda: session_types.values_list("pk", flat=True).first()

    def clean_name(self):
        return clean_person_name(self.cleaned_data["name"])

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from None

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        return "".join(c for c in notes if c in "\n\t" or ord(c) >= 32).strip()

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))
