"""
The page the deposit's Pay button leads to (bookings/templates/bookings/pay_redirect.html), as a
patient reads it: it is the answer to a POST, so what its links lead to must be a page a GET
can open.
"""

import re

import pytest
from django.urls import reverse

from bookings.booking import services
from bookings.models import DepositRule
from tests.factories import SessionTypeFactory, SlotFactory


@pytest.fixture
def hold(db, jazzcash_standin):
    slot, session_type = SlotFactory(), SessionTypeFactory(price_pkr=4500)
    DepositRule.objects.create(clinic=slot.clinic, session_type=session_type, amount_pkr=1000)
    return services.book_online(slot_id=slot.pk, session_type=session_type, name="Sana Tariq", phone="03001234567",
                                consent=True)  # fmt: skip


def language_switch_of(page: str) -> str:
    [href] = re.findall(r'<a class="site-nav-link lang-switch" href="([^"]+)"', page)
    return href


def test_the_language_switch_on_the_pay_page_leads_to_the_booking_in_the_other_language(client, hold):
    page = client.post(reverse("bookings:manage_pay", args=[hold.manage_token]), {"provider": "jazzcash"})
    href = language_switch_of(page.content.decode())
    assert href == f"http://testserver/ur/booking/{hold.manage_token}/"  # not the pay address, which only takes a POST
    assert client.get(href).status_code == 200
