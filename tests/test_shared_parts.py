"""What every page shares (header, navigation, footer) is made once per language and content generation."""

import datetime as dt
import re

import pytest
from django.test import override_settings

from aspire.templatetags import aspire_tags
from bookings.models import Clinic
from bookings.timeutils import local_today
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def footer(response) -> str:
    return response.content.decode().split('<footer class="site-footer">')[1]


def current_links(response) -> list[str]:
    return re.findall(r'<a class="site-nav-link" href="([^"]+)" aria-current="page">', response.content.decode())


def test_a_page_made_again_reads_no_clinic_for_its_footer(client, django_assert_num_queries):
    ClinicFactory(name="Clifton")
    client.get("/no-such-page/")
    with django_assert_num_queries(0):  # the test cache is in memory: the generation costs no query either
        again = client.get("/another-missing-page/")
    assert again.status_code == 404 and "Clifton" in footer(again)


def test_a_clinic_added_shows_in_the_footer_once_committed(client, committed):
    client.get("/no-such-page/")
    with committed():
        ClinicFactory(name="Bahadurabad")
    assert "Bahadurabad" in footer(client.get("/no-such-page/"))
    assert "Bahadurabad" in footer(client.get("/ur/no-such-page/"))


def test_a_clinic_closed_for_good_leaves_the_footer_once_committed(client, committed):
    clinic = ClinicFactory(name="Saddar")
    assert "Saddar" in footer(client.get("/no-such-page/"))
    clinic.is_active = False
    with committed():
        clinic.save()
    assert "Saddar" not in footer(client.get("/no-such-page/"))


def test_each_language_has_its_own_parts(client):
    english, urdu = client.get("/faq/"), client.get("/ur/faq/")
    assert "Our clinics in Karachi" in footer(english) and "Our clinics in Karachi" not in footer(urdu)
    assert 'href="/ur/faq/" aria-current="page"' in urdu.content.decode()


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", ["/"]),
        ("/dry-needling/", ["/dry-needling/"]),
        ("/conditions/", ["/conditions/"]),
        ("/clinics/", ["/clinics/"]),
        ("/physiotherapists/", ["/physiotherapists/"]),
        ("/faq/", ["/faq/"]),
        ("/book/", []),  # booking is not a section of the menu
        ("/no-such-page/", []),
        ("/ur/", ["/ur/"]),
    ],
)
def test_the_navigation_marks_only_its_own_section(client, path, current):
    client.get("/")  # the home page's navigation made first must not be served to the others
    assert current_links(client.get(path)) == current


def test_the_language_link_keeps_the_query_string_of_each_request(client):
    ClinicFactory(slug="clifton")
    days = [local_today() + dt.timedelta(days=n) for n in (3, 4)]
    first, second = (client.get(f"/book/clifton/?date={day}").content.decode() for day in days)
    assert f'href="http://testserver/ur/book/clifton/?date={days[0]}"' in first
    assert f'href="http://testserver/ur/book/clifton/?date={days[1]}"' in second


def test_a_flood_of_made_up_addresses_keeps_the_parts_bounded(client):
    for i in range(aspire_tags._SHARED_PARTS_MAX + 40):
        client.get(f"/missing-{i}/")
    assert len(aspire_tags._SHARED_PARTS) <= aspire_tags._SHARED_PARTS_MAX
    assert aspire_tags._language_versions.cache_info().currsize <= 1024


@override_settings(ASPIRE_PAGE_CACHE=False)
def test_with_the_page_cache_off_pages_are_made_afresh_and_still_follow_edits(client, committed):
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    assert "Clifton" in client.get("/clinics/").content.decode()
    Clinic.objects.filter(pk=clinic.pk).update(name="Clifton Block 5")  # no signal: a page cache would not see it
    assert "Clifton Block 5" in client.get("/clinics/clifton/").content.decode()  # made afresh
    with committed():
        Clinic.objects.get(pk=clinic.pk).save()
    assert "Clifton Block 5" in footer(client.get("/clinics/"))
