"""Many patients post the same slot to the live server at once: one booking, the rest see "just taken"."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bookings.models import Booking
from tests.factories import SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATIENTS = 12


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_many_patients_one_slot_over_http(live_server, settings, race):
    settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR = 1000
    # The live server speaks plain http, over which urllib (rightly) won't send a Secure cookie.
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = False
    slot, session_type = SlotFactory(), SessionTypeFactory()
    url = f"{live_server.url}/book/slot/{slot.pk}/"

    def patient(i):
        """Draw the form (each patient their own session), then return the job that posts it."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        page = opener.open(url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "name": f"Patient {i}",
                "phone": f"+92300{7770000 + i}",
                "session_type": session_type.pk,
                "consent": "on",
            }
        ).encode()

        def post():
            try:
                response = opener.open(urllib.request.Request(url, data=data, headers={"Referer": url}), timeout=60)
                return response.status, response.read().decode()
            except urllib.error.HTTPError as err:
                return err.code, err.read().decode()

        return post

    outcomes = race([patient(i) for i in range(PATIENTS)])
    assert [o for o in outcomes if o[0] != "ok"] == []
    results = [value for _, value in outcomes]

    codes = sorted(code for code, _ in results)
    assert len(results) == PATIENTS
    assert codes.count(302) == 1, codes
    assert codes.count(409) == PATIENTS - 1, codes
    assert all("no longer available" in body for code, body in results if code == 409)
    assert Booking.objects.filter(slot=slot).count() == 1
