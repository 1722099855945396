"""
Exporting and erasing a patient's personal data are for clinic managers only:
an export releases everything held about a person, and an erase can't be undone.
Receptionists keep what they had (0004).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["export_patient_data", "erase_patient_data"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("bookings")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Clinic manager")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Clinic manager"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0011_patient_erasure"),
        ("bookings", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
