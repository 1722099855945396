"""
Front-desk logins: clinic managers create receptionists and assign their clinics.

A manager may hand out exactly what the Receptionist group grants, for the clinics
they choose, and nothing more: the logins made here are staff, in that group only,
never superusers; and the logins a manager may change are only those whose powers all
come from that group, so no password reset here reaches a more powerful account.
"""

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from bookings.models import Clinic

RECEPTIONIST_GROUP = "Receptionist"


class NotAReceptionistLogin(Exception):
    """The login has powers beyond the Receptionist group's: only a superuser may change it."""


def receptionist_logins() -> QuerySet[User]:
    """
    Return the logins a clinic manager may change: in the Receptionist group and no
    other, with no permissions of their own, not superusers. Deactivated ones too,
    to be turned back on.
    """
    others = Group.objects.exclude(name=RECEPTIONIST_GROUP)
    return (
        User.objects.filter(groups__name=RECEPTIONIST_GROUP, is_superuser=False)
        .exclude(groups__in=others)
        .exclude(user_permissions__isnull=False)
    )


def desk_staff() -> QuerySet[User]:
    """Return the logins a clinic's front desk can be given to: active staff who are not superusers."""
    return User.objects.filter(is_staff=True, is_active=True, is_superuser=False).order_by("username")


def set_full_name(*, user: User, full_name: str) -> None:
    """Split a full name over auth's first and last name, the family name last, so get_full_name() gives it back."""
    words = full_name.split()
    user.first_name = " ".join(words[:-1]) if len(words) > 1 else " ".join(words)
    user.last_name = words[-1] if len(words) > 1 else ""


@transaction.atomic
def receptionist_save(*, user: User, clinics: Iterable[Clinic], password: str | None = None) -> User:
    """
    Save a receptionist's login and the clinics whose desk they run: staff, in the
    Receptionist group, never a superuser. Set `password` if given (validated by the
    form against AUTH_PASSWORD_VALIDATORS). Refuse a login that has other powers.
    """
    if user.pk is not None and not receptionist_logins().filter(pk=user.pk).exists():
        raise NotAReceptionistLogin(f"{user.get_username()} is not a receptionist's login.")
    user.is_staff = True
    user.is_superuser = False
    if password:
        user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=RECEPTIONIST_GROUP))
    user.desk_clinics.set(list(clinics))
    return user


def receptionists_deactivate(*, logins: QuerySet[User]) -> int:
    """Stop receptionists' logins working (their sessions end with it); return how many were active."""
    return receptionist_logins().filter(pk__in=logins.values("pk"), is_active=True).update(is_active=False)


SECOND_FACTOR_RESET = "Reset the second factor: a new one is set up at the next sign-in."


@transaction.atomic
def receptionists_reset_second_factor(*, logins: QuerySet[User], by: User) -> int:
    """
    Take away the second factor of receptionists who lost theirs (a new phone, lost recovery
    codes): their passkeys, authenticator apps and recovery codes. A session that passed with
    one of them no longer does; at the next sign-in, after the password, they set up a new one.
    Recorded in the admin's log under the manager's name. Return how many logins were reset.
    """
    users = list(receptionist_logins().filter(pk__in=logins.values("pk")))
    for device_model in (TOTPDevice, StaticDevice, WebAuthnCredential):
        device_model.objects.filter(user__in=users).delete()
    if users:
        LogEntry.objects.log_actions(
            user_id=by.pk, queryset=users, action_flag=CHANGE, change_message=SECOND_FACTOR_RESET
        )
    return len(users)
