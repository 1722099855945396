"""
PostgreSQL only: exclusion constraints that SQLite cannot express. They make
overlapping slots of one therapist, and overlapping weekly availability of one
therapist (at any clinic), impossible in the database itself. On SQLite the
same rules are checked by the models' clean() and by slots_generate().
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE bookings_slot ADD CONSTRAINT slot_no_overlap_per_therapist
    EXCLUDE USING gist (physiotherapist_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    """,
    """
    ALTER TABLE bookings_weeklyavailability ADD CONSTRAINT availability_no_overlap_per_therapist
    EXCLUDE USING gist (
        physiotherapist_id WITH =,
        weekday WITH =,
        tsrange(DATE '2000-01-01' + start_time, DATE '2000-01-01' + end_time) WITH &&,
        daterange(valid_from, valid_until, '[]') WITH &&
    )
    """,
]
BACKWARD = [
    "ALTER TABLE bookings_weeklyavailability DROP CONSTRAINT IF EXISTS availability_no_overlap_per_therapist",
    "ALTER TABLE bookings_slot DROP CONSTRAINT IF EXISTS slot_no_overlap_per_therapist",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_schedule_slots_bookings")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
