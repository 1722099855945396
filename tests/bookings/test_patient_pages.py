"""What a patient trips on in the public pages, in English and Urdu (issue 22): one test a fault."""

import pytest
from django.core.cache import cache

from tests.factories import BookingFactory, PatientFactory
from tests.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


# The booking's own page -------------------------------------------------------


def test_the_booking_page_says_whom_the_session_is_for(client):
    """A patient opening a link from the family phone saw no name: whose session is this?"""
    booking = BookingFactory(patient=PatientFactory(name="Bilal <b>Ahmed</b>"), name="Bilal <b>Ahmed</b>")
    response = client.get(booking.get_absolute_url())
    html = response.content.decode()
    assert "Bilal &lt;b&gt;Ahmed&lt;/b&gt;" in html and "<b>Ahmed</b>" not in html  # escaped, as text
    page = parse(response)
    assert "Patient Bilal <b>Ahmed</b>" in page.text  # the summary's first line
    assert "no-store" in response["Cache-Control"]  # a name only on the token's own page, never cached
