"""`manage.py rebuild_free_times`: the table made again after a change written around the services."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import FreeTime, Slot
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from tests.factories import SlotFactory

pytestmark = pytest.mark.django_db


def test_a_slot_blocked_around_the_services_leaves_the_table_once_rebuilt():
    start = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    blocked, kept = SlotFactory(starts_at=start), SlotFactory(starts_at=start + dt.timedelta(hours=1))
    Slot.objects.filter(pk=blocked.pk).update(is_blocked=True)  # a data fix that sends no signal
    assert FreeTime.objects.filter(slot=blocked).exists()  # the table still offers it
    out = StringIO()
    call_command("rebuild_free_times", stdout=out)
    assert set(FreeTime.objects.values_list("slot_id", flat=True)) == {kept.pk}
    assert set(availability.bookable(channel=Channel.ONLINE).values_list("pk", flat=True)) == {kept.pk}
    assert out.getvalue() == "1 free times written.\n"
