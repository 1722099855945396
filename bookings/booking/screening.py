"""
The safety questions a physiotherapist asks before the first dry needling, and the
consent text, versioned: a booking keeps the version its patient agreed to.

Every "yes" is something to talk through before any needle is used (some rule
needling out in that area or altogether; the physiotherapist decides, face to face).
A "yes" never blocks the booking.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bookings.models import Gender

# Change the version whenever the consent text changes: bookings keep the one agreed to.
CONSENT_VERSION = "2026-11"
CONSENT_TEXT = _(
    "I have read the safety information and agree to be assessed for dry needling. I understand my "
    "physiotherapist will check my answers with me before any needling."
)
# The same text as the patient reads it beside their time: Urdu's verb follows the therapist's gender
# ("دیکھیں گی" for a woman). The English, and so the version agreed to, is the one above.
CONSENT_TEXTS = {
    Gender.FEMALE: pgettext_lazy(
        "female",
        "I have read the safety information and agree to be assessed for dry needling. I understand my "
        "physiotherapist will check my answers with me before any needling.",
    ),
    Gender.MALE: pgettext_lazy(
        "male",
        "I have read the safety information and agree to be assessed for dry needling. I understand my "
        "physiotherapist will check my answers with me before any needling.",
    ),
}


@dataclass(frozen=True)
class Question:
    key: str
    text: Promise


QUESTIONS = (
    Question("needle_fear", _("Are you very afraid of needles, or have you fainted at an injection or blood test?")),
    Question("pregnant", _("Are you pregnant, or could you be?")),
    Question("bleeding", _("Do you take blood thinners (such as warfarin) or have a bleeding disorder?")),
    Question("implant", _("Do you have a pacemaker or another implant, such as a metal plate or joint?")),
    Question("metal_allergy", _("Are you allergic to metal, such as nickel?")),
    Question("lymphoedema", _("Do you have lymphoedema (swelling), or have you had lymph nodes removed?")),
    Question("diabetes", _("Do you have diabetes?")),
    Question("immunity", _("Is your immune system weakened, by an illness or by medicines?")),
    Question("infection", _("Do you have an infection, a rash or a wound where you feel the pain?")),
    Question("past_reaction", _("Have you had a bad reaction to needling or to an injection before?")),
    Question("recent_surgery", _("Have you had an operation in the last three months?")),
)
KEYS = tuple(q.key for q in QUESTIONS)


def needs_talk(answers: dict[str, bool]) -> bool:
    """Return whether any answer is one to talk through before needling."""
    return any(answers.get(key) for key in KEYS)


def readable(answers: dict[str, bool]) -> list[tuple[str, str]]:
    """Return (question, "Yes"/"No") for each answered question, in the order asked."""
    return [(str(q.text), "Yes" if answers[q.key] else "No") for q in QUESTIONS if q.key in answers]
