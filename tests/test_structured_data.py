"""
The JSON-LD of every public page says only what schema.org defines and gives what Google's
rich results ask for.
"""

import datetime as dt
from urllib.parse import urlsplit

import pytest

from bookings.models import Clinic, Physiotherapist
from bookings.pages.structured_data import opening_hours_specification
from tests.html import parse
from tests.public_site import build_public_site, public_urls

pytestmark = pytest.mark.django_db

# The schema.org types the site uses and the properties schema.org defines for each (its own
# and those it inherits), written out conservatively: only properties we are sure of, so a
# property on the wrong type (`offers` on a MedicalTherapy) fails here. From the definitions at
# https://schema.org/<Type>, e.g. https://schema.org/MedicalClinic, https://schema.org/Person.
THING = {"name", "alternateName", "description", "url", "image", "sameAs", "identifier"}  # https://schema.org/Thing
CREATIVE_WORK = THING | {  # https://schema.org/CreativeWork
    "about", "mainEntity", "inLanguage", "text", "author", "publisher", "headline", "datePublished", "dateModified",
}  # fmt: skip
WEB_PAGE = CREATIVE_WORK | {"breadcrumb", "lastReviewed", "reviewedBy", "primaryImageOfPage"}  # /WebPage
PLACE = THING | {"address", "geo", "telephone", "openingHoursSpecification", "hasMap", "containedInPlace"}
ORGANIZATION = THING | {  # https://schema.org/Organization
    "address", "telephone", "email", "logo", "areaServed", "department", "subOrganization", "parentOrganization",
    "makesOffer", "contactPoint",
}  # fmt: skip
LOCAL_BUSINESS = ORGANIZATION | PLACE | {"openingHours", "priceRange", "currenciesAccepted", "paymentAccepted"}
MEDICAL_ORGANIZATION = ORGANIZATION | {"medicalSpecialty", "isAcceptingNewPatients"}
MEDICAL_ENTITY = THING | {"relevantSpecialty", "medicineSystem", "recognizingAuthority", "guideline", "code", "study"}
MEDICAL_PROCEDURE = MEDICAL_ENTITY | {"bodyLocation", "howPerformed", "preparation", "followup", "procedureType"}
PERSON = THING | {  # https://schema.org/Person
    "jobTitle", "worksFor", "affiliation", "honorificPrefix", "honorificSuffix", "gender", "knowsAbout",
    "knowsLanguage", "hasOccupation", "hasCredential", "workLocation",
}  # fmt: skip
ALLOWED = {
    "MedicalWebPage": WEB_PAGE,  # https://schema.org/MedicalWebPage
    "FAQPage": WEB_PAGE,  # https://schema.org/FAQPage
    "Question": CREATIVE_WORK | {"acceptedAnswer", "suggestedAnswer", "answerCount"},  # https://schema.org/Question
    "Answer": CREATIVE_WORK,  # https://schema.org/Answer
    "MedicalOrganization": MEDICAL_ORGANIZATION,  # https://schema.org/MedicalOrganization
    # A MedicalBusiness (a LocalBusiness) and a MedicalOrganization: https://schema.org/MedicalClinic
    "MedicalClinic": LOCAL_BUSINESS | MEDICAL_ORGANIZATION | {"availableService"},
    # https://schema.org/MedicalTherapy (via TherapeuticProcedure, MedicalProcedure, MedicalEntity): no `offers`
    "MedicalTherapy": MEDICAL_PROCEDURE | {"contraindication", "seriousAdverseOutcome", "adverseOutcome"},
    "MedicalCondition": MEDICAL_ENTITY | {"possibleTreatment", "associatedAnatomy", "signOrSymptom", "riskFactor"},
    "Service": THING | {"serviceType", "provider", "areaServed", "offers", "category", "audience"},  # /Service
    "Offer": THING | {"price", "priceCurrency", "availability", "itemOffered", "seller", "category", "areaServed"},
    "Person": PERSON,
    "EducationalOccupationalCredential": CREATIVE_WORK | {"credentialCategory", "educationalLevel", "recognizedBy"},
    "PostalAddress": THING | {"streetAddress", "addressLocality", "addressRegion", "addressCountry", "postalCode"},
    "GeoCoordinates": THING | {"latitude", "longitude"},  # https://schema.org/GeoCoordinates
    "City": PLACE,  # https://schema.org/City
    "OpeningHoursSpecification": THING | {"dayOfWeek", "opens", "closes", "validFrom", "validThrough"},
}
# Properties whose values are members of a schema.org enumeration, and the members.
SPECIALTIES = {  # https://schema.org/MedicalSpecialty ("PhysicalTherapy" is not one)
    "Physiotherapy", "Musculoskeletal", "PrimaryCare", "Neurologic", "Rheumatologic",
}  # fmt: skip
WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAYS = {*WEEK, "PublicHolidays"}  # https://schema.org/DayOfWeek
ENUMERATIONS = {
    "medicalSpecialty": SPECIALTIES,
    "relevantSpecialty": SPECIALTIES,
    "dayOfWeek": DAYS,
    "gender": {"Male", "Female"},  # https://schema.org/GenderType
}
# What Google's rich results ask for of each type (developers.google.com/search/docs/appearance/structured-data):
# a local business needs its name and address, each opening-hours row its days and times.
REQUIRED = {
    "MedicalClinic": {"name", "address", "url", "telephone"},
    "MedicalOrganization": {"name", "url"},
    "PostalAddress": {"streetAddress", "addressLocality", "addressCountry"},
    "GeoCoordinates": {"latitude", "longitude"},
    "OpeningHoursSpecification": {"dayOfWeek", "opens", "closes"},
    "FAQPage": {"mainEntity"},
    "Question": {"name", "acceptedAnswer"},
    "Answer": {"text"},
    "Offer": {"price", "priceCurrency"},
    "Person": {"name", "jobTitle", "worksFor", "url"},
    "MedicalWebPage": {"name", "url"},
}
URL_PROPERTIES = {"url", "image", "logo", "sameAs"}


def nodes(data, path="$"):
    """Yield (path, node) for every typed object in a JSON-LD value, depth first."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield from nodes(item, f"{path}[{i}]")
    elif isinstance(data, dict):
        if "@type" in data:
            yield path, data
        for key, value in data.items():
            yield from nodes(value, f"{path}.{key}")


def problems(block: dict) -> list[str]:
    """Return what schema.org or Google's rich results would refuse in one JSON-LD block."""
    found = []
    if block.get("@context") != "https://schema.org":
        found.append(f"$: @context {block.get('@context')!r}")
    for path, node in nodes(block):
        kind = node["@type"]
        if kind not in ALLOWED:
            found.append(f"{path}: type {kind!r} is not in the table")
            continue
        for key, value in node.items():
            if key.startswith("@"):
                continue
            if key not in ALLOWED[kind]:
                found.append(f"{path}: {kind} has no property {key!r}")
            values = value if isinstance(value, list) else [value]
            if key in ENUMERATIONS:
                members = {f"https://schema.org/{member}" for member in ENUMERATIONS[key]}
                found += [f"{path}.{key}: {v!r} is not a schema.org member" for v in values if v not in members]
            if key in URL_PROPERTIES:
                found += [f"{path}.{key}: {v!r} is not an absolute URL" for v in values if urlsplit(v).scheme != "http"]
            if key in {"opens", "closes"}:
                found += [f"{path}.{key}: {v!r} is not hh:mm" for v in values if not _is_clock(v)]
        missing = REQUIRED.get(kind, set()) - {key for key, value in node.items() if value not in ("", [], None)}
        found += [f"{path}: {kind} lacks {key!r}" for key in sorted(missing)]
    return found


def _is_clock(value) -> bool:
    try:
        return dt.time.fromisoformat(value).strftime("%H:%M") == value
    except (TypeError, ValueError):
        return False


@pytest.fixture
def site(client):
    pages = build_public_site()
    return {name: (path, parse(client.get(path))) for name, path in public_urls(pages).items()}


def test_every_json_ld_block_on_every_public_page_is_valid(site):
    found = []
    for path, page in site.values():
        found += [f"{path}: {problem}" for block in page.json_ld for problem in problems(block)]
    assert found == []


def test_the_check_finds_what_schema_org_refuses():
    """The check above earns trust only if it fails on what the site used to say."""
    old_treatment = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": "Dry needling",
        "url": "http://testserver/dry-needling/",
        "about": {"@type": "MedicalTherapy", "name": "Dry needling", "offers": []},
    }
    old_home = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": "Aspire Wellness",
        "url": "http://testserver/",
        "telephone": "+923095885076",
        "medicalSpecialty": "PhysicalTherapy",
    }
    assert problems(old_treatment) == ["$.about: MedicalTherapy has no property 'offers'"]
    assert problems(old_home) == [
        "$.medicalSpecialty: 'PhysicalTherapy' is not a schema.org member",
        "$: MedicalClinic lacks 'address'",
    ]


def json_ld_of(site, name, kind):
    [block] = [block for block in site[name][1].json_ld if block["@type"] == kind]
    return block


@pytest.mark.parametrize("language", ["", "ur-"])
def test_the_home_page_names_the_business_and_each_clinic_with_its_address(site, language):
    business = json_ld_of(site, f"{language}home", "MedicalOrganization")
    assert business["medicalSpecialty"] == "https://schema.org/Physiotherapy"
    [clinic] = business["subOrganization"]
    assert clinic["@type"] == "MedicalClinic" and clinic["address"]["addressLocality"]
    assert clinic["url"].endswith("/clinics/clifton/")


def test_a_clinic_has_its_image_and_opening_hours(site):
    clinic = json_ld_of(site, "clinic", "MedicalClinic")
    assert clinic["image"].startswith("http://testserver/")
    assert clinic["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [f"https://schema.org/{day}" for day in WEEK[:6]],
            "opens": "10:00",
            "closes": "20:00",
        }
    ]


def test_the_treatment_offers_its_fees_as_a_service_not_on_the_therapy(site):
    page = json_ld_of(site, "dry-needling", "MedicalWebPage")
    assert "offers" not in page["about"]
    assert page["mainEntity"]["@type"] == "Service"
    offers = page["mainEntity"]["offers"]
    assert "First visit: assessment and dry needling" in [offer["name"] for offer in offers]
    assert all(offer["priceCurrency"] == "PKR" and offer["price"].isdigit() for offer in offers)


@pytest.mark.parametrize("language", ["", "/ur"])
def test_a_therapist_page_describes_the_therapist(client, language):
    pages = build_public_site()
    Physiotherapist.objects.filter(slug="sana-malik").update(
        photo="physiotherapists/sana.jpg", photo_width=800, photo_height=1000
    )
    page = parse(client.get(language + pages["physio"]))
    [person] = [block for block in page.json_ld if block["@type"] == "Person"]
    assert problems(person) == []
    assert person["name"] == "Dr. Sana Malik"
    assert person["url"] == f"http://testserver{language}/physiotherapists/sana-malik/"
    assert person["image"].startswith("http://testserver/") and "sana" in person["image"]
    [clinic] = person["worksFor"]
    assert clinic["@type"] == "MedicalClinic" and clinic["url"] == f"http://testserver{language}/clinics/clifton/"


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("Monday to Saturday: 10:00 to 20:00\nSunday: closed", [(WEEK[:6], "10:00", "20:00")]),
        (
            "Monday to Saturday: 11:00 to 21:00\nSunday: 12:00 to 18:00",
            [(WEEK[:6], "11:00", "21:00"), (WEEK[6:], "12:00", "18:00")],
        ),
        ("Mon–Sat: 10:00–20:00", [(WEEK[:6], "10:00", "20:00")]),
        ("Mon to Sat, 9.30 to 19:00", [(WEEK[:6], "09:30", "19:00")]),
        ("Sat - Mon: 10:00 - 14:00", [(["Saturday", "Sunday", "Monday"], "10:00", "14:00")]),
        ("Tues: 10:00 to 13:00\nOpen on Eid: call us first\nM: 10:00 to 12:00", [(["Tuesday"], "10:00", "13:00")]),
        ("", []),
    ],
)  # fmt: skip
def test_opening_hours_are_read_off_the_lines_the_page_shows(text, rows):
    """A line that does not say days and times is left out of the JSON-LD, never guessed at."""
    clinic = Clinic(opening_hours=text)
    assert [
        ([day.removeprefix("https://schema.org/") for day in row["dayOfWeek"]], row["opens"], row["closes"])
        for row in opening_hours_specification(clinic)
    ] == rows
