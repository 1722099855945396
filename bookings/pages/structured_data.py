"""
What the public pages tell search engines in JSON-LD (schema.org): the business and its
clinics, a clinic's hours, a therapist. Built from what the page has already fetched, so it
costs no query; tests/test_structured_data.py checks every block against schema.org.
"""

import re

from django.conf import settings
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from bookings import photos
from bookings.models import Clinic, Physiotherapist, Weekday

SCHEMA = "https://schema.org"
# https://schema.org/Physiotherapy, a member of the MedicalSpecialty enumeration ("PhysicalTherapy" is none).
PHYSIOTHERAPY = f"{SCHEMA}/Physiotherapy"
KARACHI = {"@type": "City", "name": "Karachi"}

_DAYS = {day.name.lower(): day.value for day in Weekday}  # the English names, whatever language the page is in
_DAY = r"[A-Za-z]{3,9}\.?"
_CLOCK = r"\d{1,2}[:.]\d{2}"
_TO = r"\s*(?:to|until|-|–|—)\s*"
# "Monday to Saturday: 10:00 to 20:00", "Mon–Sat: 10:00–20:00", "Mon to Sat, 10:00 to 20:00", "Sunday: closed".
_HOURS_LINE = re.compile(
    rf"^(?P<first>{_DAY})(?:{_TO}(?P<last>{_DAY}))?\s*[:,]?\s*"
    rf"(?:(?P<closed>closed)|(?P<opens>{_CLOCK}){_TO}(?P<closes>{_CLOCK}))$",
    re.IGNORECASE,
)


def _weekday(word: str) -> int | None:
    """Return the weekday a word names ("Mon", "Tues", "Saturday"), or None."""
    word = word.rstrip(".").lower()
    matches = [day for name, day in _DAYS.items() if len(word) >= 3 and name.startswith(word)]
    return matches[0] if len(matches) == 1 else None


def _clock(text: str) -> str:
    hours, minutes = re.split(r"[:.]", text)
    return f"{int(hours):02d}:{minutes}"


def opening_hours_specification(clinic: Clinic) -> list[dict]:
    """
    Return the clinic's opening hours, as its page shows them, as schema.org
    OpeningHoursSpecification rows. They are read from the English text reception writes
    (one line per day or range of days); a line that says something else ("Eid: see our
    page") is left out rather than guessed at, and a closed day needs no row.
    """
    text = getattr(clinic, build_localized_fieldname("opening_hours", settings.LANGUAGE_CODE)) or ""
    rows = []
    for line in text.splitlines():
        match = _HOURS_LINE.match(line.strip())
        if not match or match["closed"]:
            continue
        first, last = _weekday(match["first"]), _weekday(match["last"] or match["first"])
        if first is None or last is None:
            continue
        days = [(first + step) % 7 for step in range((last - first) % 7 + 1)]
        rows.append(
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": [f"{SCHEMA}/{Weekday(day).name.capitalize()}" for day in days],
                "opens": _clock(match["opens"]),
                "closes": _clock(match["closes"]),
            }
        )
    return rows


def _site_image(request) -> str:
    return request.build_absolute_uri(static("img/og-image.png"))


def _names(thing) -> tuple[str, str]:
    """
    Return a clinic's or therapist's English name and its other language's (Urdu) one, or "".

    A block names its clinic or therapist in English on the English and the Urdu pages alike: the
    same @id (one clinic, one therapist) with one name, the one on the sign and in the business's
    listings; the Urdu one is its alternateName, so a search in Urdu letters finds it too.
    """
    english = getattr(thing, build_localized_fieldname("name", settings.LANGUAGE_CODE)) or thing.name
    others = [getattr(thing, build_localized_fieldname("name", code), "") for code, _ in settings.LANGUAGES]
    other = next((name for name in others if name and name != english), "")
    return english, other


def clinic_node(request, clinic: Clinic) -> dict:
    """Return a clinic as a MedicalClinic, as other blocks name it: who, where, how to call."""
    url = request.build_absolute_uri(clinic.get_absolute_url())
    with translation.override(settings.LANGUAGE_CODE):  # one clinic, one id, on the English and the Urdu pages
        identity = request.build_absolute_uri(clinic.get_absolute_url())
    name, urdu = _names(clinic)
    return {
        "@type": "MedicalClinic",
        "@id": f"{identity}#clinic",
        "name": f"{settings.ASPIRE_SITE_NAME}, {name}",
        **({"alternateName": f"{settings.ASPIRE_SITE_NAME}، {urdu}"} if urdu else {}),
        "url": url,
        "telephone": clinic.phone.as_e164 if clinic.phone else settings.ASPIRE_PHONE_E164,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.address,
            "addressLocality": "Karachi",
            "addressRegion": "Sindh",
            "addressCountry": "PK",
        },
    }


def clinic_json_ld(request, clinic: Clinic) -> dict:
    """Return the clinic's page's JSON-LD: a MedicalClinic (a LocalBusiness) with its hours, image and place."""
    data = {"@context": SCHEMA, **clinic_node(request, clinic)}
    # The brand's picture, the one every page shares: a clinic has no photo of its own yet.
    data["image"] = _site_image(request)
    data["medicalSpecialty"] = PHYSIOTHERAPY
    data["parentOrganization"] = organization_ref(request)
    if clinic.latitude is not None and clinic.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(clinic.latitude),
            "longitude": float(clinic.longitude),
        }
    hours = opening_hours_specification(clinic)
    if hours:
        data["openingHoursSpecification"] = hours
    return data


def organization_ref(request) -> dict:
    """Return the brand as other blocks name it (the home page describes it in full)."""
    home = request.build_absolute_uri("/")
    return {
        "@type": "MedicalOrganization",
        "@id": f"{home}#organization",
        "name": settings.ASPIRE_SITE_NAME,
        "url": home,
    }


def organization_json_ld(request, *, description: str, clinics: list[Clinic]) -> dict:
    """
    Return the home page's JSON-LD: the brand as a MedicalOrganization with each clinic,
    and its address, as a branch. The brand is not itself a LocalBusiness: it has no
    address of its own, its clinics do (Google asks a local business for one).
    """
    return {
        "@context": SCHEMA,
        **organization_ref(request),
        "description": description,
        "image": _site_image(request),
        "telephone": settings.ASPIRE_PHONE_E164,
        "medicalSpecialty": PHYSIOTHERAPY,
        "areaServed": KARACHI,
        "subOrganization": [clinic_node(request, clinic) for clinic in clinics],
    }


def therapist_json_ld(request, therapist: Physiotherapist) -> dict:
    """
    Return a therapist's page's JSON-LD: a Person with their job and the clinics they work at
    (`therapist.workplaces`, from selectors.team).

    A Person, not a Physician: schema.org's Physician (and IndividualPhysician) is a medical
    doctor or a doctor's practice, and a physiotherapist, even a "Dr." with a DPT, is neither;
    Person's jobTitle and worksFor say what they are and where.
    """
    name, urdu = _names(therapist)
    data = {
        "@context": SCHEMA,
        "@type": "Person",
        "name": name,
        **({"alternateName": urdu} if urdu else {}),
        "url": request.build_absolute_uri(therapist.get_absolute_url()),
        "jobTitle": _("Physiotherapist"),
        "worksFor": [clinic_node(request, place.clinic) for place in therapist.workplaces],
        "knowsAbout": _("Dry needling"),
    }
    if therapist.credentials:  # "DPT, certified in dry needling": what they trained in, as the page says it
        data["hasCredential"] = {"@type": "EducationalOccupationalCredential", "name": therapist.credentials}
    if therapist.gender in {"female", "male"}:
        data["gender"] = f"{SCHEMA}/{therapist.gender.capitalize()}"
    if therapist.bio:
        data["description"] = therapist.bio
    variants = photos.variants(therapist)
    if variants:
        data["image"] = request.build_absolute_uri(variants[-1][0])
    return data
