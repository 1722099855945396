"""What patients read about clinics, therapists and sessions, in English and Urdu (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from bookings.models import Clinic, Physiotherapist, SessionType


@register(Clinic)
class ClinicTranslation(TranslationOptions):
    fields = ("area", "address", "opening_hours")


@register(Physiotherapist)
class PhysiotherapistTranslation(TranslationOptions):
    fields = ("credentials", "bio")


@register(SessionType)
class SessionTypeTranslation(TranslationOptions):
    fields = ("name", "description")
