"""The team pages: who the physiotherapists are, where and when they work, and their next free times."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from bookings import photos
from bookings.models import WeeklyAvailability
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()


def works(therapist, clinic, weekday, **kwargs):
    return WeeklyAvailability.objects.create(
        physiotherapist=therapist, clinic=clinic, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17),
        valid_from=timezone.localdate() - dt.timedelta(days=30), **kwargs,
    )  # fmt: skip


def in_days(days, hour=10):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)


@pytest.fixture
def sana():
    clifton = ClinicFactory(name="Clifton", slug="clifton")
    dha = ClinicFactory(name="DHA", slug="dha")
    sana = PhysiotherapistFactory(
        name="Dr. Sana Malik",
        slug="sana-malik",
        gender="female",
        credentials="DPT, certified in dry needling",
        bio="Sports injuries and neck pain.",
    )
    works(sana, clifton, 0)
    works(sana, clifton, 2)
    works(sana, dha, 5)
    works(sana, dha, 6, valid_until=timezone.localdate() - dt.timedelta(days=1))  # ended: not shown
    return sana


def test_the_list_shows_each_active_therapist_with_clinics_days_and_next_free_time(client, sana):
    PhysiotherapistFactory(name="Dr. Gone", is_active=False)
    taken = SlotFactory(physiotherapist=sana, clinic=sana.availabilities.first().clinic, starts_at=in_days(2))
    BookingFactory(slot=taken)
    SlotFactory(physiotherapist=sana, clinic=taken.clinic, starts_at=in_days(3), is_blocked=True)
    SlotFactory(physiotherapist=sana, clinic=taken.clinic, starts_at=in_days(4))
    page = parse(client.get("/physiotherapists/"))
    assert "Dr. Sana Malik" in page.text and "Dr. Gone" not in page.text
    assert "DPT, certified in dry needling · Female" in page.text
    assert "Clifton: Monday, Wednesday" in page.text and "DHA: Saturday" in page.text and "Sunday" not in page.text
    # The taken and the blocked times are not free: the availability policy says the next is in four days.
    assert f"Next free time: {in_days(4):%a %-d %b, %H:%M}" in page.text
    assert "/book/clifton/?physio=sana-malik" in page.links() and "/book/dha/?physio=sana-malik" in page.links()
    assert "/physiotherapists/sana-malik/" in page.links()


def test_a_therapist_without_a_free_time_says_to_call(client, sana):
    assert "No free time online just now" in parse(client.get("/physiotherapists/")).text


def test_the_profile_lists_the_next_free_times_each_one_tap_from_the_form(client, sana):
    clinic = sana.availabilities.first().clinic
    slots = [SlotFactory(physiotherapist=sana, clinic=clinic, starts_at=in_days(d)) for d in (2, 3)]
    BookingFactory(slot=SlotFactory(physiotherapist=sana, clinic=clinic, starts_at=in_days(1)))
    page = parse(client.get("/physiotherapists/sana-malik/"))
    assert page.h1 == ["Dr. Sana Malik"]
    assert "Sports injuries and neck pain." in page.text and "Female" in page.text
    booked = [link for link in page.links() if link.startswith("/book/slot/")]
    assert booked == [f"/book/slot/{slot.pk}/" for slot in slots]
    assert "/book/clifton/?physio=sana-malik" in page.links()


def test_an_unknown_or_inactive_therapist_is_404(client):
    PhysiotherapistFactory(slug="gone", is_active=False)
    assert client.get("/physiotherapists/gone/").status_code == 404
    assert client.get("/physiotherapists/nobody/").status_code == 404


def test_the_team_is_in_the_sitemap_and_the_nav(client, sana):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/physiotherapists/sana-malik/" in sitemap and "/physiotherapists/</loc>" in sitemap
    assert "/physiotherapists/" in parse(client.get("/")).links()


@pytest.mark.parametrize(("path", "budget"), [("/physiotherapists/", 4), ("/physiotherapists/sana-malik/", 5)])
def test_team_pages_query_budget_is_pinned_and_flat(client, sana, path, budget):
    """therapists with their first free time; their hours; their clinics; the footer's clinics (made once a generation:
    the cache is cleared before each count); (profile) the next times."""

    def count():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _ in range(8):
        other = PhysiotherapistFactory()
        clinic = ClinicFactory()
        works(other, clinic, 1)
        works(other, clinic, 3)
        for day in range(1, 6):
            BookingFactory(slot=SlotFactory(physiotherapist=other, clinic=clinic, starts_at=in_days(day, 9)))
            SlotFactory(physiotherapist=other, clinic=clinic, starts_at=in_days(day, 11))
            SlotFactory(physiotherapist=sana, clinic=clinic, starts_at=in_days(day, 9 + _ % 8))
    assert count() == small <= budget


# Photos -------------------------------------------------------------------------------------


def jpeg(width, height, orientation=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), "teal")
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return tmp_path


def test_saving_a_photo_in_the_admin_makes_phone_sized_copies(admin_client, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    therapist = PhysiotherapistFactory(slug="sana-malik")
    upload = SimpleUploadedFile("sana.jpg", jpeg(1200, 1500), content_type="image/jpeg")
    data = {"name_en_gb": therapist.name, "slug": therapist.slug, "credentials_en_gb": "DPT", "gender": "female",
            "is_active": "on", "photo": upload}  # fmt: skip
    response = admin_client.post(f"/admin/bookings/physiotherapist/{therapist.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    therapist.refresh_from_db()
    assert (therapist.photo_width, therapist.photo_height) == (1200, 1500)
    sizes = {}
    for url, width in photos.variants(therapist):
        with Image.open(media / url.removeprefix("/media/")) as copy:
            sizes[width] = copy.size
    assert sizes == {160: (160, 200), 320: (320, 400), 640: (640, 800)}


def test_a_sideways_phone_photo_is_turned_upright_and_loses_its_exif(media):
    from django.core.files.base import ContentFile

    therapist = PhysiotherapistFactory()
    therapist.photo.save("side.jpg", ContentFile(jpeg(400, 300, orientation=6)))  # stored 400x300, shown 300x400
    photos.photo_variants_make(physiotherapist=therapist)
    assert (therapist.photo_width, therapist.photo_height) == (300, 400)
    url, width = photos.variants(therapist)[-1]
    with Image.open(media / url.removeprefix("/media/")) as copy:
        assert copy.size == (300, 400) and not copy.getexif().get(0x0112)
    assert [w for _, w in photos.variants(therapist)] == [160, 300]


def test_the_profile_serves_the_photo_with_srcset_size_and_lazy_loading(client, media, sana):
    from django.core.files.base import ContentFile

    sana.photo.save("sana.jpg", ContentFile(jpeg(800, 1000)))
    photos.photo_variants_make(physiotherapist=sana)
    html = client.get("/physiotherapists/sana-malik/").content.decode()
    assert 'srcset="/media/physiotherapists/sana-160w.jpg 160w, /media/physiotherapists/sana-320w.jpg 320w, ' in html
    assert 'width="800" height="1000"' in html and 'loading="lazy"' in html and 'alt="Dr. Sana Malik"' in html
    import tempfile
    from pathlib import Path

    from tests.test_valid_html import validate

    with tempfile.TemporaryDirectory() as workdir:
        list_html = client.get("/physiotherapists/").content.decode()
        assert validate({"profile-with-photo": html, "team-with-photo": list_html}, Path(workdir)) == []


@override_settings(ASPIRE_PAGE_CACHE=False)
def test_a_card_made_once_follows_its_next_free_time_and_its_content(client, django_capture_on_commit_callbacks):
    """Each card is kept per language, content generation and next free time (aspire_tags.shared_part)."""
    clinic = ClinicFactory(name="Clifton")
    therapist = PhysiotherapistFactory(name="Dr. Hina Shah")
    works(therapist, clinic, in_days(3).weekday())
    first = SlotFactory(physiotherapist=therapist, clinic=clinic, starts_at=in_days(3, 10))
    SlotFactory(physiotherapist=therapist, clinic=clinic, starts_at=in_days(3, 11))
    assert "10:00" in client.get("/physiotherapists/").content.decode()
    BookingFactory(slot=first)  # the first free time taken: the card now names the next one
    page = client.get("/physiotherapists/").content.decode()
    assert "11:00" in page and "10:00" not in page
    therapist.credentials = "DPT, MSc sports physiotherapy"
    with django_capture_on_commit_callbacks(execute=True):
        therapist.save()
    assert "MSc sports physiotherapy" in client.get("/physiotherapists/").content.decode()
