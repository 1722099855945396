"""
The patients' forms: booking a time (with the safety questions) and joining a waitlist.
They only validate; the views call the services with what they cleaned.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bookings.booking import screening
from bookings.booking.patients import clean_person_name
from bookings.models import Gender, PartOfDay, Physiotherapist, Relation, SessionType
from bookings.phones import InvalidPhone, normalize_mobile


def honeypot_field() -> forms.CharField:
    """
    Return a field people don't see and bots fill in: off the screen and hidden from screen
    readers by its wrapper (aria-hidden), out of the tab order, never autofilled; its label in
    the page's language and without a colon, for whoever meets it all the same.
    """
    return forms.CharField(
        required=False,
        label=_("Leave this empty"),
        label_suffix="",
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class ErrorSummaryMixin:
    """The patient forms' summary of what to fix, above the form."""

    def error_summary(self) -> list[tuple[str, str, str]]:
        """
        Return (field id, short name, message) for the summary above the form: the safety
        questions as one line (eleven lines of question and "answer yes or no" buried the rest),
        and the consent by a short name rather than its whole text.
        """
        lines, screening_unanswered = [], None
        for field in self:
            for error in field.errors:
                if field.name.startswith("screen_"):  # radio buttons: the first one's id (a radio's label has none)
                    screening_unanswered = screening_unanswered or f"{field.auto_id}_0"
                elif field.name == "consent":
                    lines.append((field.id_for_label, _("Consent"), error))
                else:
                    lines.append((field.id_for_label or f"{field.auto_id}_0", field.label, error))
        if screening_unanswered:
            lines.append((screening_unanswered, _("Safety questions"), _("Please answer every question, yes or no.")))
        return lines


class PatientForm(ErrorSummaryMixin, forms.Form):
    """What every patient form asks first, with the same checks and words: a name and a mobile number."""

    phone_help = ""  # what the number is for, under it

    name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your name.")},
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        error_messages={"required": _("Enter your mobile number.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}),  # never flipped
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = self.phone_help

    def clean_name(self):
        return clean_person_name(self.cleaned_data["name"])

    def clean_phone(self):
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from None


# Urdu's verb follows the therapist's gender ("کر سکیں گی" for a woman): one string a gender.
NOTES_HELP = {
    Gender.FEMALE: pgettext_lazy("female", "A line or two helps your physiotherapist prepare."),
    Gender.MALE: pgettext_lazy("male", "A line or two helps your physiotherapist prepare."),
}


class SessionTypeChoice(forms.ModelChoiceField):
    """
    The session types to choose from, drawn as ModelChoiceField draws them; a posted choice is only
    its id, read with the time it books (bookings.booking.services.lock_slot), not in a statement of
    its own. An id of no active session type is refused there (SessionTypeNotOffered).
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            pk = int(str(value))
        except ValueError:
            pk = 0
        if not 0 < pk < 2**63:  # an id the database could hold: no overflow reaches a query
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return pk


class PatientBookingForm(PatientForm):
    """What a patient tells us when booking online (for themselves, or for someone who shares their phone)."""

    phone_help = _("We send your confirmation and a reminder here. For example 0309-5885076.")

    for_whom = forms.ChoiceField(
        label=_("Who is the session for?"),
        choices=[
            (Relation.SELF, _("Me")),
            (Relation.CHILD, _("My child (under 18)")),
            (Relation.OTHER, _("Someone else, such as a parent")),
        ],
        initial=Relation.SELF,
        required=False,  # the form comes with "Me" chosen; a post without the field means the same
        widget=forms.RadioSelect,
        help_text=_("One phone can book for the family: each person has their own bookings and answers."),
    )
    name = forms.CharField(
        label=_("Name of the person coming"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter the name of the person coming.")},
    )
    guardian_name = forms.CharField(
        label=_("Your name, as their parent or guardian (for a child)"),
        required=False,
        max_length=120,
        help_text=_("For someone under 18, a parent or guardian answers the questions and agrees for them."),
    )

    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        help_text=_("For a confirmation with a calendar file."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    session_type = SessionTypeChoice(
        label=_("Session"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a session.")},
    )
    contact_channel = forms.ChoiceField(
        label=_("How should we send your confirmation and reminder?"),
        choices=[("whatsapp", "WhatsApp"), ("sms", _("Text message (SMS)"))],
        initial="whatsapp",
        required=False,  # the form comes with WhatsApp chosen; a post without the field means the same
        widget=forms.RadioSelect,
        help_text=_("To the mobile number above. Nothing about your health is ever in a message."),
    )
    notes = forms.CharField(
        label=_("What hurts? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTES_HELP[Gender.MALE],  # until for_therapist() says whose time it is
    )
    consent = forms.BooleanField(
        label=screening.CONSENT_TEXT,  # versioned: the booking keeps screening.CONSENT_VERSION
        error_messages={"required": _("Please confirm you have read the safety information.")},
    )
    # The form's one-time key (drawn afresh for every form, never cached): sending the same
    # form twice gives the booking it made, and only to the browser holding the form.
    form_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    website = honeypot_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        session_types = SessionType.objects.active()
        self.fields["session_type"].queryset = session_types
        # The fee is part of the choice: a patient sees what a session costs before booking it.
        self.fields["session_type"].label_from_instance = lambda st: f"{st.name} · {st.fee}"
        # Looked up only when a blank form is drawn (not for a posted one, nor a cached blank one).
        self.fields["session_type"].initial = lambda: session_types.values_list("pk", flat=True).first()
        for question in screening.QUESTIONS:
            self.fields[f"screen_{question.key}"] = forms.TypedChoiceField(
                label=question.text,
                choices=[("yes", _("Yes")), ("no", _("No"))],
                coerce=lambda value: value == "yes",
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def for_therapist(self, physiotherapist) -> None:
        """Speak of the time's therapist by their gender (Urdu's verbs follow it)."""
        self.fields["notes"].help_text = NOTES_HELP.get(physiotherapist.gender, NOTES_HELP[Gender.MALE])
        self.fields["consent"].label = screening.CONSENT_TEXTS.get(physiotherapist.gender, screening.CONSENT_TEXT)

    def screening_fields(self):
        return [self[f"screen_{key}"] for key in screening.KEYS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("for_whom") == Relation.CHILD:
            if not cleaned.get("guardian_name") and "guardian_name" not in self.errors:
                self.add_error(
                    "guardian_name",
                    ValidationError(_("Enter your name, as the child's parent or guardian."), code="guardian"),
                )
        else:
            cleaned["guardian_name"] = ""  # only a child's booking is agreed to by someone else
        answered = [key for key in screening.KEYS if cleaned.get(f"screen_{key}") is not None]
        if answered and len(answered) < len(screening.KEYS):
            for key in screening.KEYS:
                if cleaned.get(f"screen_{key}") is None:
                    self.add_error(f"screen_{key}", _("Please answer yes or no."))
        return cleaned

    def screening_answers(self) -> dict[str, bool]:
        """Return the safety answers given ({} if the patient left them all blank)."""
        return {
            key: self.cleaned_data[f"screen_{key}"]
            for key in screening.KEYS
            if self.cleaned_data.get(f"screen_{key}") is not None
        }

    def clean_contact_channel(self):
        return self.cleaned_data["contact_channel"] or "whatsapp"

    def clean_for_whom(self):
        return self.cleaned_data["for_whom"] or Relation.SELF

    def clean_guardian_name(self):
        raw = self.cleaned_data["guardian_name"]
        return clean_person_name(raw) if raw.strip() else ""

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        return "".join(c for c in notes if c in "\n\t" or ord(c) >= 32).strip()

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class WaitlistForm(PatientForm):
    """What a patient tells us to be told when a time frees at a clinic."""

    phone_help = _("We send the free time here. For example 0309-5885076.")

    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    last_day = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    part_of_day = forms.ChoiceField(label=_("Part of the day"), widget=forms.RadioSelect, initial="any")
    physio = forms.ChoiceField(label=_("Physiotherapist"), required=False)
    gender = forms.ChoiceField(label=_("Or a therapist who is"), required=False)
    session_type = forms.ModelChoiceField(label=_("Session"), queryset=None, empty_label=None, widget=forms.RadioSelect)
    consent = forms.BooleanField(
        label=screening.CONSENT_TEXT,  # the same versioned text as the booking form's: a claimed time keeps it
        error_messages={"required": _("Please confirm you have read the safety information.")},
    )
    website = honeypot_field()

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session_type"].queryset = session_types = SessionType.objects.active()
        # As on the booking form, the first session type is chosen (most who wait are new patients).
        self.fields["session_type"].initial = lambda: session_types.values_list("pk", flat=True).first()
        self.fields["part_of_day"].choices = PartOfDay.choices
        therapists = Physiotherapist.objects.active().filter(availabilities__clinic=clinic).distinct()
        self.therapists = {t.slug: t for t in therapists}
        self.fields["physio"].choices = [("", _("Anyone"))] + [(t.slug, t.name) for t in self.therapists.values()]
        self.fields["gender"].choices = [("", _("Either"))] + list(Gender.choices)

    def clean_physio(self):
        slug = self.cleaned_data["physio"]
        return self.therapists.get(slug)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", ValidationError(_("The last day can't be before the first."), code="order"))
        return cleaned

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))
