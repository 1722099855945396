import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.staff import sign_in


def staff_user(group_name: str, username: str):
    user = get_user_model().objects.create_user(username=username, password="x-unused-x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def receptionist(db):
    """A receptionist who covers every branch's desk (tests/bookings/test_staff_scope.py has one clinic's)."""
    from django.contrib.auth.models import Permission

    user = staff_user("Receptionist", "receptionist")
    user.user_permissions.add(Permission.objects.get(codename="view_all_clinics"))
    return user


@pytest.fixture
def manager(db):
    return staff_user("Clinic manager", "clinic-manager")


@pytest.fixture
def reception_client(client, receptionist):
    sign_in(client, receptionist)
    return client


@pytest.fixture
def session_type(db):
    from tests.factories import SessionTypeFactory

    return SessionTypeFactory()
