import pytest
from django.core.management import call_command

from bookings.models import Clinic
from tests.factories import ClinicFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


def test_clinic_page_gives_address_hours_directions_and_booking(client):
    clinic = ClinicFactory(
        name="Clifton",
        slug="clifton",
        area="Clifton",
        address="Plot 14-C, Block 5",
        latitude="24.8156",
        longitude="67.0303",
    )
    page = parse(client.get("/clinics/clifton/"))
    assert page.h1 == ["Clifton"]
    assert "Plot 14-C, Block 5" in page.text
    assert "Monday to Saturday: 10:00 to 20:00" in page.text
    assert "https://www.google.com/maps/search/?api=1&query=24.815600,67.030300" in page.links()
    assert "/book/" in page.links()
    [ld] = page.json_ld
    assert ld["@type"] == "MedicalClinic"
    assert ld["address"]["addressLocality"] == "Karachi"
    assert ld["geo"]["latitude"] == pytest.approx(24.8156)
    assert clinic.get_absolute_url() == "/clinics/clifton/"


def test_inactive_clinic_is_hidden_everywhere(client):
    ClinicFactory(name="Closed branch", slug="closed", is_active=False)
    assert client.get("/clinics/closed/").status_code == 404
    for path in ["/clinics/", "/", "/book/"]:
        assert "Closed branch" not in client.get(path).content.decode()


def test_clinic_list_shows_every_active_clinic(client):
    ClinicFactory(name="Clifton", area="Clifton")
    ClinicFactory(name="PECHS", area="PECHS")
    page = parse(client.get("/clinics/"))
    assert "Clifton" in page.text and "PECHS" in page.text
    assert "2 branches" in page.text


def test_seed_demo_is_idempotent_and_marks_demo_data(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    first = Clinic.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Clinic.objects.count() == first >= 3
    assert not Clinic.objects.filter(is_demo=False).exists()
