"""
Two data fixes that came with the layout of bookings/ in parts:

- Tasks already queued keep the dotted path of their function; the worker's two tasks
  moved (bookings.outbox -> bookings.messaging.outbox, bookings.waitlist ->
  bookings.booking.waitlist), so queued ones are pointed at the new paths (a delayed
  retry or a hold's end would otherwise fail with ModuleNotFoundError).
- The booking page tells a first visit to expect an assessment by the session type's
  is_follow_up flag (it compared the short name "First visit" before); the demo's
  follow-up type was made without the flag, so it is set where the demo's type exists.
"""

from django.db import migrations

MOVED = {
    "bookings.outbox.deliver_messages": "bookings.messaging.outbox.deliver_messages",
    "bookings.waitlist.run_waitlist": "bookings.booking.waitlist.run_waitlist",
}


def _repoint(apps, moves):
    tasks = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in moves.items():
        tasks.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _repoint(apps, MOVED)
    SessionType = apps.get_model("bookings", "SessionType")
    SessionType.objects.filter(name="Follow-up dry needling", is_follow_up=False).update(is_follow_up=True)


def backwards(apps, schema_editor):
    _repoint(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0024_course_waitlist_permissions"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
