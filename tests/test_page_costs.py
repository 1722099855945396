"""scripts/page_costs.py, which `make bench` runs: it asks every public page and gives each a ratio."""

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import ClinicFactory, PhysiotherapistFactory, SlotFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import page_costs  # noqa: E402

pytestmark = pytest.mark.django_db


def test_every_public_page_is_measured_against_robots_txt():
    clinic, therapist = ClinicFactory(), PhysiotherapistFactory()
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    SlotFactory(clinic=clinic, physiotherapist=therapist, starts_at=start)
    rows = page_costs.measure(runs=1)
    assert [row["page"] for row in rows][:2] == ["robots.txt", "404"]
    measured = {row["page"] for row in rows}
    assert {"home", "clinic_day", "clinic_day_fragment", "team", "therapist", "booking_form"} <= measured
    assert all(row["ratio"] > 0 and row["ceiling"] in (1, 5, 10, 15) for row in rows)
    lines = []
    page_costs.report(rows, lambda name, **figures: lines.append((name, figures)))
    assert len(lines) == len(rows) and all(name == "page_cost" for name, _ in lines)
