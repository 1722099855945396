"""English at the addresses it always had, Urdu under /ur/, right to left, with a switch on every page."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from aspire import page_cache
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/dry-needling/", "/conditions/", "/faq/", "/clinics/", "/book/"]


def test_english_addresses_are_unchanged():
    with translation.override("en-gb"):
        assert reverse("content:home") == "/"
        assert reverse("bookings:book_clinic", args=["clifton"]) == "/book/clifton/"
        assert reverse("bookings:manage", args=["tok"]) == "/booking/tok/"
    with translation.override("ur"):
        assert reverse("content:home") == "/ur/"
        assert reverse("bookings:book_clinic", args=["clifton"]) == "/ur/book/clifton/"
        assert reverse("bookings:manage", args=["tok"]) == "/ur/booking/tok/"


@pytest.mark.parametrize("path", PAGES)
def test_urdu_page_is_right_to_left_with_its_font(client, path):
    html = client.get("/ur" + path).content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html and "css/urdu.css" in html
    assert "bootstrap/bootstrap.min.css" not in html


@pytest.mark.parametrize("path", PAGES)
def test_english_page_is_left_to_right_without_the_urdu_font(client, path):
    response = client.get(path)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "urdu.css" not in html and "bootstrap.rtl" not in html
    assert response["Content-Language"] == "en-gb"


def test_admin_stays_english_whatever_the_browser_asks(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ur")
    assert response["Content-Language"] == "en-gb"


def test_language_switch_keeps_the_page_and_its_query(client):
    ClinicFactory(slug="clifton")
    html = client.get("/book/clifton/?date=2030-01-02").content.decode()
    assert re.search(r'<a class="[^"]*lang-switch" href="http://testserver/ur/book/clifton/\?date=2030-01-02"', html)
    html = client.get("/ur/book/clifton/?date=2030-01-02").content.decode()
    assert re.search(r'<a class="[^"]*lang-switch" href="http://testserver/book/clifton/\?date=2030-01-02"', html)


@pytest.mark.parametrize("path", ["/conditions/sciatica/", "/ur/conditions/sciatica/"])
def test_hreflang_alternates_point_both_ways(client, path):
    html = client.get(path).content.decode()
    assert '<link rel="alternate" hreflang="en" href="http://testserver/conditions/sciatica/">' in html
    assert '<link rel="alternate" hreflang="ur" href="http://testserver/ur/conditions/sciatica/">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/conditions/sciatica/">' in html
    assert f'<link rel="canonical" href="http://testserver{path}">' in html


def test_urdu_font_is_one_small_woff2_with_swap():
    from pathlib import Path

    static = Path(__file__).resolve().parent.parent / "aspire" / "static"
    css = (static / "css" / "urdu.css").read_text()
    assert css.count("@font-face") == 1 and "font-display: swap" in css
    font = static / "vendor" / "noto-naskh-arabic" / "noto-naskh-arabic-arabic-400-normal.woff2"
    assert font.read_bytes()[:4] == b"wOF2"
    assert font.stat().st_size < 60_000


def test_sitemap_lists_both_languages_with_alternates(client):
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/ur/conditions/sciatica/</loc>" in xml
    assert "<loc>http://testserver/conditions/sciatica/</loc>" in xml
    assert 'hreflang="ur" href="http://testserver/ur/conditions/sciatica/"' in xml
    assert 'hreflang="x-default" href="http://testserver/conditions/sciatica/"' in xml


def test_the_team_is_in_the_sitemap_in_both_languages(client):
    from tests.factories import PhysiotherapistFactory

    PhysiotherapistFactory(name="Dr. Sana Malik", slug="sana-malik")
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/physiotherapists/sana-malik/</loc>" in xml
    assert 'hreflang="ur" href="http://testserver/ur/physiotherapists/sana-malik/"' in xml


def test_robots_keeps_the_urdu_private_pages_out_too(client):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /ur/booking/" in body and "Disallow: /ur/book/slot/" in body


def test_urdu_pages_read_in_urdu_with_latin_digits_in_bdi(client):
    html = client.get("/ur/").content.decode()
    assert "سیشن بُک کریں" in html and ">Book a session</a>" not in html
    assert "<bdi>0309-5885076</bdi>" in html


def _slot():
    import datetime as dt

    from django.utils import timezone

    from tests.factories import PhysiotherapistFactory, SessionTypeFactory, SlotFactory

    SessionTypeFactory()
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    return SlotFactory(clinic=ClinicFactory(slug="clifton"), physiotherapist=PhysiotherapistFactory(), starts_at=start)


def test_urdu_day_of_times_names_the_parts_of_the_day_in_urdu(client):
    from django.utils import timezone

    start = timezone.localtime(_slot().starts_at)
    part = "صبح" if start.hour < 12 else "دوپہر" if start.hour < 17 else "شام"
    html = client.get(f"/ur/book/clifton/?date={start:%Y-%m-%d}").content.decode()
    assert f'<h3 class="day-part-name">{part}</h3>' in html
    assert not {"Morning", "Afternoon", "Evening"} & set(re.findall(r"[A-Z][a-z]+", html))


def test_urdu_booking_form_and_its_errors_are_in_urdu(client):
    slot = _slot()
    html = client.get(f"/ur/book/slot/{slot.pk}/").content.decode()
    assert "موبائل نمبر" in html and "یہ سیشن بُک کریں" in html
    response = client.post(f"/ur/book/slot/{slot.pk}/", {"name": "", "phone": "12", "consent": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "یہ خانہ بھرنا ضروری ہے۔" in html  # Django's own "This field is required.", from our catalogue
    assert "درست فون نمبر لکھیں" in html
    assert "براہِ کرم تصدیق کریں کہ آپ نے حفاظتی معلومات پڑھ لی ہیں۔" in html


def test_blank_booking_form_is_cached_once_per_language(client):
    slot = _slot()
    assert "Mobile number" in client.get(f"/book/slot/{slot.pk}/").content.decode()
    assert "موبائل نمبر" in client.get(f"/ur/book/slot/{slot.pk}/").content.decode()
    assert "Mobile number" in client.get(f"/book/slot/{slot.pk}/").content.decode()


def test_urdu_dates_are_urdu_words_with_latin_digits(client):
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    day = dt.date(2030, 1, 5)  # a Saturday
    with translation.override("ur"):
        assert Template('{{ d|date:"l j F Y" }}').render(Context({"d": day})) == "ہفتہ 5 جنوری 2030"
        assert Template('{{ d|date:"SHORT_DATE_FORMAT" }}').render(Context({"d": day})) == "05/01/2030"
        assert Template("{{ t|time }}").render(Context({"t": dt.time(15, 30)})) == "15:30"


def test_shipped_content_has_its_urdu_and_missing_urdu_falls_back_to_english(
    client, django_capture_on_commit_callbacks
):
    html = client.get("/ur/").content.decode()
    assert "کراچی میں فزیوتھراپسٹ کے ہاتھوں ڈرائی نیڈلنگ" in html  # the page's heading, from the database
    assert "<title>کراچی میں ڈرائی نیڈلنگ فزیوتھراپی | Aspire Wellness</title>" in html
    assert "ٹرگر پوائنٹ ڈرائی نیڈلنگ" in html and "trigger point dry needling" not in html  # a section body
    from content.models import PageSection

    with django_capture_on_commit_callbacks(execute=True):
        PageSection.objects.filter(page__key="home", anchor="what-is-dry-needling").update(body_ur="")
        page_cache.changed(page_cache.CONTENT)  # update() sends no signal
    html = client.get("/ur/").content.decode()
    assert "trigger point dry needling" in html  # a section body with no Urdu: its English
    english = client.get("/").content.decode()
    assert "Dry needling by physiotherapists in Karachi" in english and "کراچی" not in english.split("<footer")[0]


def test_every_shipped_long_text_has_its_urdu(client):
    from content.models import FAQ, Condition, PageSection, Testimonial

    assert not PageSection.objects.filter(body_ur__in=["", None]).exists()
    assert not Condition.objects.filter(about_ur__in=["", None]).exists()
    assert not Condition.objects.filter(how_it_helps_ur__in=["", None]).exists()
    assert not FAQ.objects.filter(answer_ur__in=["", None]).exists()
    assert not Testimonial.objects.filter(quote_ur__in=["", None]).exists()
    faq = client.get("/ur/faq/").content.decode()
    assert 'href="/ur/book/"' in faq  # the Urdu answer links to the Urdu booking page


def test_urdu_condition_page_has_its_own_title_and_description(client):
    html = client.get("/ur/conditions/sciatica/").content.decode()
    assert "<h1>عرق النساء (سائٹیکا)</h1>" in html
    assert "<title>عرق النساء (سائٹیکا): کراچی میں ڈرائی نیڈلنگ | Aspire Wellness</title>" in html
    assert 'name="description" content="کولہے سے ٹانگ تک' in html


def test_staff_edit_urdu_beside_english_in_the_admin(admin_client):
    from content.models import Condition

    condition = Condition.objects.get(slug="sciatica")
    html = admin_client.get(f"/admin/content/condition/{condition.pk}/change/").content.decode()
    assert 'name="name_en_gb"' in html and 'name="name_ur"' in html
    assert 'name="about_en_gb"' in html and 'name="about_ur"' in html


# Found by a patient's trial of the Urdu pages on a phone -------------------------------------------------


def test_urdu_addresses_keep_plot_numbers_left_to_right(client):
    """In a right-to-left line "14-C" showed as "C-14": a driver goes to the wrong plot."""
    ClinicFactory(
        slug="clifton", name="Clifton", area="Clifton", address="Plot 14-C, Block 5", address_ur="پلاٹ 14-C، بلاک 5"
    )
    html = client.get("/ur/clinics/clifton/").content.decode()
    assert "\u206614-C\u2069" in html
    assert "\u2066" not in client.get("/clinics/clifton/").content.decode()  # left to right needs none


def test_an_urdu_phone_field_reads_left_to_right(client):
    slot = _slot()
    html = client.get(f"/ur/book/slot/{slot.pk}/").content.decode()
    assert re.search(r'<input[^>]*name="phone"[^>]*dir="ltr"', html)
    assert "\u20660309-5885076\u2069" in html  # the example under it, isolated too


def test_a_clinic_named_for_its_area_is_not_named_twice(client):
    ClinicFactory(slug="clifton", name="Clifton", area="Clifton", address="Plot 14-C, Khayaban-e-Roomi, Clifton")
    for path in ("/book/", "/clinics/", "/book/clifton/"):
        main = client.get(path).content.decode().split("<main")[1].split("</main>")[0]
        assert "Clifton, Clifton" not in main and '<p class="clinic-area">Clifton</p>' not in main


def test_a_therapists_working_days_are_urdu_on_urdu_pages(client):
    import datetime as dt

    from bookings.models import WeeklyAvailability
    from tests.factories import PhysiotherapistFactory

    therapist = PhysiotherapistFactory(slug="sana-malik")
    WeeklyAvailability.objects.create(
        physiotherapist=therapist, clinic=ClinicFactory(), weekday=0, start_time=dt.time(10), end_time=dt.time(13),
        valid_from=dt.date(2026, 1, 1),
    )  # fmt: skip
    html = client.get("/ur/physiotherapists/sana-malik/").content.decode()
    assert "پیر" in html and "Monday" not in html
