"""Every public page: it answers, carries its facts, and is well-formed for people and search engines."""

import pytest
from django.urls import reverse

from tests.html import parse

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/dry-needling/",
    "/conditions/",
    "/conditions/sciatica/",
    "/faq/",
    "/clinics/",
    "/book/",
]


@pytest.fixture
def clinic():
    from tests.factories import ClinicFactory

    return ClinicFactory(name="Clifton", slug="clifton", area="Clifton")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_is_well_formed(client, clinic, path):
    response = client.get(path)
    assert response.status_code == 200
    page = parse(response)
    assert len(page.h1) == 1, page.h1
    assert page.title and page.title.endswith("Aspire Wellness")
    description = page.meta("description")
    assert description and 50 <= len(description) <= 170
    assert page.meta("og:title") == page.title
    assert page.meta("og:description") == description
    assert page.meta("og:url").startswith("http://testserver/")
    assert page.count("a", href="#main", **{"class": "skip-link"}) == 1
    assert page.count("main", id="main") == 1
    assert page.count("header") == 1 and page.count("footer") == 1 and page.count("nav") >= 1
    # The footer: phone, clinics and the medical disclaimer.
    assert "tel:+923095885076" in page.links()
    assert clinic.get_absolute_url() in page.links()
    assert "not a substitute for a consultation" in page.text


def test_every_page_has_its_own_title_and_description(client, clinic):
    pages = [parse(client.get(path)) for path in PUBLIC_PAGES + ["/conditions/tmj/", "/clinics/clifton/"]]
    titles = [page.title for page in pages]
    descriptions = [page.meta("description") for page in pages]
    assert len(set(titles)) == len(titles)
    assert len(set(descriptions)) == len(descriptions)


def test_home_tells_a_patient_what_dry_needling_is_and_how_to_book(client, clinic):
    page = parse(client.get("/"))
    assert "trigger point" in page.text
    assert "acupuncture" in page.text
    assert "Sciatica" in page.text and "Plantar fasciitis" in page.text
    assert "My sciatica had me limping" in page.text  # a testimonial
    assert "Clifton" in page.text
    links = page.links()
    assert reverse("bookings:book") in links
    assert "tel:+923095885076" in links
    assert "https://wa.me/923095885076" in links
    assert "0309-5885076" in page.text
    [ld] = page.json_ld
    assert ld["@type"] == "MedicalOrganization" and ld["telephone"] == "+923095885076"


def test_treatment_page_covers_what_a_patient_asks_before_a_first_session(client):
    page = parse(client.get("/dry-needling/"))
    for fact in [
        "acupuncture",
        "Qi",
        "trigger point",
        "twitch",
        "intramuscular stimulation",
        "Before.",
        "During.",
        "After.",
        "between two and six sessions",
        "24 to 48 hours",
        "sterile and used once only",
        "Drink plenty of water",
    ]:
        assert fact in page.text, fact
    for anchor in ["vs-acupuncture", "how-it-works", "benefits", "your-session", "how-many-sessions", "safety"]:
        assert f"#{anchor}" in page.links()
    [ld] = page.json_ld
    assert ld["@type"] == "MedicalWebPage" and ld["about"]["@type"] == "MedicalTherapy"


CONDITIONS = {
    "sciatica": "piriformis",
    "shoulder-and-neck-pain": "levator scapulae",
    "tight-hamstrings-and-calves": "hamstrings",
    "plantar-fasciitis": "small muscles of the foot",
    "tmj": "masseter",
    "chronic-back-pain": "quadratus lumborum",
    "tension-headaches-and-migraines": "suboccipitals",
    "myofascial-pain-syndrome": "trigger points",
}


def test_conditions_page_lists_every_condition(client):
    links = parse(client.get("/conditions/")).links()
    for slug in CONDITIONS:
        assert f"/conditions/{slug}/" in links


@pytest.mark.parametrize(("slug", "muscle"), CONDITIONS.items())
def test_condition_page_names_the_muscles_and_links_to_booking(client, slug, muscle):
    response = client.get(f"/conditions/{slug}/")
    assert response.status_code == 200
    page = parse(response)
    assert len(page.h1) == 1
    assert muscle.lower() in page.text.lower()
    assert "How dry needling helps" in page.text
    assert reverse("bookings:book") in page.links()
    [ld] = page.json_ld
    assert ld["about"]["@type"] == "MedicalCondition"


def test_condition_page_shows_its_own_testimonials(client):
    assert "My sciatica had me limping" in parse(client.get("/conditions/sciatica/")).text
    assert "My sciatica had me limping" not in parse(client.get("/conditions/tmj/")).text


def test_unknown_condition_is_a_friendly_404(client):
    response = client.get("/conditions/no-such-thing/")
    assert response.status_code == 404
    page = parse(response)
    assert page.h1 == ["We couldn't find that page"]
    assert reverse("bookings:book") in page.links()


def test_faq_answers_at_least_ten_questions_in_groups_without_javascript(client):
    page = parse(client.get("/faq/"))
    questions = page.count("details")
    assert questions >= 10
    assert page.count("summary") == questions
    assert page.count("section", **{"class": "faq-group"}) >= 3
    for question in ["Does it hurt?", "How is it different from acupuncture?", "Does it replace physiotherapy?"]:
        assert question in page.text
    [ld] = page.json_ld
    assert ld["@type"] == "FAQPage"
    assert len(ld["mainEntity"]) == questions
    first = ld["mainEntity"][0]
    assert first["@type"] == "Question" and first["acceptedAnswer"]["text"]
    assert "<" not in first["acceptedAnswer"]["text"]
