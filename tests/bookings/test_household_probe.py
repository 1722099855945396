"""
Probing the household split (issue 22 item 1): a person is not a phone number. What an
attacker or a busy receptionist might send, and where one phone's several people meet.
"""

import datetime as dt

import pytest
from django.db import connection

from bookings.booking import patients
from bookings.timeutils import at, local_today
from tests.factories import ClinicFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

PHONE = "0312-3344556"
E164 = "+923123344556"


def slot_at(clinic, day_offset: int, hour: int, **kwargs):
    starts = at(local_today() + dt.timedelta(days=day_offset), dt.time(hour))
    return SlotFactory(clinic=clinic, starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), **kwargs)


@pytest.fixture
def clinic():
    return ClinicFactory(name="Clifton")


@pytest.fixture
def session_type():
    return SessionTypeFactory()


@pytest.mark.parametrize(
    "first, second",
    [
        ("İlhan Khan", "ilhan khan"),  # Turkish dotted capital I: PostgreSQL's LOWER() makes it i, UPPER() keeps it
        ("\u212aamran", "kamran"),  # the Kelvin sign: a k to LOWER(), not a K to UPPER()
    ],
)
def test_names_one_under_the_constraint_are_one_person(first, second):
    # The constraint (patient_one_name_per_number) tells people apart by LOWER(name); looking them
    # up by iexact (UPPER() on PostgreSQL) missed the first, and the insert was a 500. Failed on
    # PostgreSQL before (IntegrityError); SQLite folds ASCII only and passed.
    with_first = patients.patient_get_or_create(phone=PHONE, name=first)
    with_second = patients.patient_get_or_create(phone=PHONE, name=second)
    if connection.vendor == "postgresql":  # SQLite's LOWER() folds ASCII only: two people there
        assert with_second.pk == with_first.pk


@pytest.mark.parametrize("first, second", [("Straße", "STRASSE"), ("Σana", "σana"), ("Zoë", "ZOË"), ("Ali", "Ali.")])
def test_names_any_database_may_fold_either_way_book_without_an_error(first, second):
    with_first = patients.patient_get_or_create(phone=PHONE, name=first)
    with_second = patients.patient_get_or_create(phone=PHONE, name=second)
    assert with_first.contact_id == with_second.contact_id
