"""The Urdu catalogue is complete, compiled, and every patient-facing template string goes through it.

When this fails after new strings were added: run `make messages`, translate the entries listed
here in locale/ur/LC_MESSAGES/django.po (and clear any "fuzzy" flag), then `make messages` again.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
import pytest

from tests.conftest import missing

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "ur" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# The templates patients see (pages, error pages, emails, text messages); reception's admin stays English.
PATIENT_TEMPLATES = sorted(
    path
    for pattern in (
        "templates/*.html",
        "templates/includes/*.html",
        "*/templates/bookings/**/*",
        "*/templates/content/**/*",
    )
    for path in ROOT.glob(pattern)
    if path.is_file()
    and ".venv" not in path.parts
    and not path.name.startswith("reception.")
    and "email" not in path.parts
    and "sms" not in path.parts
)
# Words that stay as they are in both languages: the brand, and product names.
UNTRANSLATED_WORDS = {"Aspire", "Wellness", "WhatsApp", "Google", "Calendar", "ics"}


def _entry_name(entry: polib.POEntry) -> str:
    where = ", ".join(path for path, _line in entry.occurrences)
    return f"{entry.msgid!r} ({where})"


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = polib.pofile(str(PO))
    problems = [f"untranslated: {_entry_name(e)}" for e in po.untranslated_entries()]
    problems += [f"fuzzy: {_entry_name(e)}" for e in po.fuzzy_entries()]
    problems += [
        f"plural form missing: {_entry_name(e)}" for e in po if e.msgid_plural and not all(e.msgstr_plural.values())
    ]
    assert not problems, "Run `make messages` and translate:\n" + "\n".join(problems)


def test_translations_keep_their_placeholders_and_markup():
    """A translation with a lost %(name)s or a broken link shows the patient a wrong page, or none."""
    placeholder = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
    tag = re.compile(r"</?[a-z]+")
    problems = []
    for entry in polib.pofile(str(PO)).translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            if sorted(set(placeholder.findall(translation))) != sorted(set(placeholder.findall(entry.msgid))):
                problems.append(f"placeholders differ: {entry.msgid!r}")
            if sorted(tag.findall(translation)) != sorted(tag.findall(entry.msgid)):
                problems.append(f"markup differs: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_its_source():
    """The committed .mo (what the site reads) says exactly what the .po says: run `make messages` after editing."""
    source = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.pofile(str(PO)).translated_entries()}
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(MO)) if e.msgid}
    assert compiled == source


def _untranslated_text(source: str) -> list[str]:
    """Return the words of `source` that a patient would read and that no translation tag wraps."""
    text = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    text = re.sub(r"{% comment %}.*?{% endcomment %}", " ", text, flags=re.S)
    text = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", " ", text, flags=re.S)
    text = re.sub(r"{% blocktrans .*?{% endblocktrans %}", " ", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    # Attributes a patient reads or hears (screen readers) must be translated too; other attributes are code.
    spoken = re.findall(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text) + " " + " ".join(spoken)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    return [word for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", text) if word not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("path", PATIENT_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_patient_template_has_no_string_outside_translate(path):
    words = _untranslated_text(path.read_text())
    assert not words, f"{path.relative_to(ROOT)}: text outside {{% translate %}}: {' '.join(words)}"


def test_catalogue_holds_every_string_the_code_marks():
    """
    A string marked in code or a template but never extracted is English on every Urdu page,
    and the checks above can't see it: extract afresh (makemessages, as `make messages` does,
    in a copy of the project) and compare with the committed catalogue.
    """
    if shutil.which("msgmerge") is None:
        missing("GNU gettext (msgmerge, for makemessages)")
    copy = Path(tempfile.mkdtemp()) / "project"
    skip = shutil.ignore_patterns(".git", ".venv", "staticfiles", "var", "node_modules", "*.pyc", "__pycache__")
    shutil.copytree(ROOT, copy, ignore=skip)
    makefile = (ROOT / "Makefile").read_text()
    ignores = re.findall(r"--ignore '([^']+)'", makefile)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "ur", "--no-obsolete", "--add-location", "file"]
        + [arg for pattern in ignores for arg in ("--ignore", pattern)],
        cwd=copy,
        check=True,
        capture_output=True,
    )

    def keys(path):
        return {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}

    fresh, committed = keys(copy / "locale/ur/LC_MESSAGES/django.po"), keys(PO)
    shutil.rmtree(copy.parent)
    assert fresh - committed == set(), "Run `make messages` and translate the new entries"
    assert committed - fresh == set(), "Run `make messages`: these are no longer used"
