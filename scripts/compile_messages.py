"""Compile every locale/*/LC_MESSAGES/django.po to its .mo, with polib: no GNU gettext needed.

The .mo files are committed, so `make run` and a deployment need nothing more; the test
tests/test_translations.py checks that each committed .mo says exactly what its .po says.
"""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compile_all() -> list[Path]:
    written = []
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(LOCALE.parent)}")
