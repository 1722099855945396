"""What patients read about clinics, therapists and sessions, in English and Urdu (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from bookings.models import Clinic, Physiotherapist, SessionType


@register(Clinic)
class ClinicTranslation(TranslationOptions):
    fields = ("name", "area", "address", "opening_hours")
    # A clinic with no Urdu name yet stores none (NULL), not "": names are unique, and two blanks would clash.
    empty_values = {"name": None}


@register(Physiotherapist)
class PhysiotherapistTranslation(TranslationOptions):
    fields = ("name", "credentials", "bio")


@register(SessionType)
class SessionTypeTranslation(TranslationOptions):
    fields = ("name", "description")
