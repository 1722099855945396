"""Receptionists and clinic managers see their clinics' waitlists and change an entry's status."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_waitlistentry", "change_waitlistentry"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("bookings")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ("Receptionist", "Clinic manager"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=["Receptionist", "Clinic manager"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("bookings", "0023_course_waitlist")]

    operations = [migrations.RunPython(grant, revoke)]
