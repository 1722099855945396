"""What the layout of bookings/ in parts must not break: tasks queued before it, and what the pages say."""

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from bookings.booking import waitlist
from bookings.messaging import outbox
from tests.conftest import rerun_data_migration
from tests.factories import BookingFactory, SessionTypeFactory

pytestmark = pytest.mark.django_db

MIGRATION = "bookings.migrations.0025_moved_task_paths_and_follow_up_flag"


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_tasks_queued_under_the_old_paths_are_pointed_at_the_new_ones():
    for task, old in ((outbox.deliver_messages, "bookings.outbox"), (waitlist.run_waitlist, "bookings.waitlist")):
        result = task.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(task_path=f"{old}.{task.func.__name__}")
    rerun_data_migration(MIGRATION, "forwards")
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {"bookings.messaging.outbox.deliver_messages", "bookings.booking.waitlist.run_waitlist"}
    assert all(row.task for row in DBTaskResult.objects.all())  # each imports again


@pytest.mark.parametrize(("follow_up", "says_assessment"), [(False, True), (True, False)])
def test_only_a_first_visit_is_told_to_expect_an_assessment(client, follow_up, says_assessment):
    booking = BookingFactory(session_type=SessionTypeFactory(is_follow_up=follow_up))
    page = client.get(booking.get_absolute_url()).content.decode()
    assert ("for your assessment" in page) is says_assessment
