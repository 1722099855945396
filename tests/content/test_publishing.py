"""Only what staff published (and patients agreed to) reaches the site."""

import pytest

from content.models import FAQ, Condition, Testimonial
from tests.factories import ConditionFactory, FAQFactory, TestimonialFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


def test_unpublished_faq_is_on_neither_the_page_nor_its_json_ld(client):
    FAQFactory(question="Is this a secret draft?", is_published=False)
    response = client.get("/faq/")
    assert "secret draft" not in response.content.decode()


def test_faq_group_with_only_unpublished_questions_is_hidden(client):
    faq = FAQFactory(question="Draft question?", is_published=False)
    assert faq.category.name not in parse(client.get("/faq/")).text


def test_published_faq_appears_in_page_and_json_ld(client):
    FAQFactory(question="Can I bring a friend?", answer="Yes, **of course**.")
    page = parse(client.get("/faq/"))
    assert "Can I bring a friend?" in page.text
    assert {"@type": "Answer", "text": "Yes, of course."} in [
        q["acceptedAnswer"] for q in page.json_ld[0]["mainEntity"]
    ]


def test_testimonial_without_consent_never_shows(client):
    sciatica = Condition.objects.get(slug="sciatica")
    TestimonialFactory(quote="Please do not publish me.", condition=sciatica, consent_to_publish=False)
    assert "do not publish me" not in client.get("/").content.decode()
    assert "do not publish me" not in client.get("/conditions/sciatica/").content.decode()


def test_withdrawing_consent_removes_a_testimonial(client):
    Testimonial.objects.update(consent_to_publish=False)
    page = parse(client.get("/"))
    assert "What our patients said" not in page.text


def test_unpublished_condition_is_gone_from_list_page_and_sitemap(client):
    Condition.objects.filter(slug="tmj").update(is_published=False)
    assert "/conditions/tmj/" not in parse(client.get("/conditions/")).links()
    assert client.get("/conditions/tmj/").status_code == 404
    assert "/conditions/tmj/" not in client.get("/sitemap.xml").content.decode()


def test_new_condition_gets_a_page(client):
    ConditionFactory(name="Tennis elbow", slug="tennis-elbow", muscles="the wrist extensors")
    assert "The wrist extensors." in parse(client.get("/conditions/tennis-elbow/")).text


def test_shipped_content_is_what_the_issue_asks_for():
    assert Condition.objects.published().count() >= 8
    assert FAQ.objects.published().count() >= 10
    assert Testimonial.objects.published().count() >= 3
