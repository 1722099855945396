"""Staff write Markdown; nothing they type can script a page."""

import pytest

from content.markdown import render_markdown
from content.models import Page
from tests.factories import FAQFactory
from tests.html import parse

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="position:fixed" onclick="alert(1)">styled</p>',
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_renderer_drops_script(text):
    html = render_markdown(text).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onclick" not in html and "onload" not in html
    assert "<iframe" not in html and "style=" not in html and "<svg" not in html


def test_markdown_keeps_the_formatting_staff_need():
    html = render_markdown("**bold** and *soft*\n\n- one\n- two\n\n[call](tel:+923095885076)")
    assert "<strong>bold</strong>" in html and "<em>soft</em>" in html
    assert "<li>one</li>" in html
    assert 'href="tel:+923095885076"' in html


def test_hostile_faq_answer_is_inert_on_the_page(client):
    FAQFactory(question="Hostile?", answer="\n\n".join(HOSTILE))
    body = client.get("/faq/").content.decode()
    assert "alert(" not in body
    assert "<script>alert" not in body and "onerror=" not in body


def test_hostile_question_cannot_close_the_json_ld_script(client):
    FAQFactory(question="Is </script><script>alert(1)</script> safe?")
    response = client.get("/faq/")
    body = response.content.decode()
    assert "</script><script>alert(1)" not in body
    questions = [q["name"] for q in parse(response).json_ld[0]["mainEntity"]]
    assert "Is </script><script>alert(1)</script> safe?" in questions


def test_hostile_page_lead_is_escaped(client):
    Page.objects.filter(key=Page.HOME).update(lead="<script>alert(1)</script>")
    body = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
