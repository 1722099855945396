"""
Deposit rules in the admin: clinic managers set them (as they set weekly hours and closures);
receptionists see their clinics' rules, to tell a caller why they were asked, and change none.
Payments and the ledger need no permission of their own: they are read with the booking's.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Clinic manager": ["view_depositrule", "add_depositrule", "change_depositrule", "delete_depositrule"],
    "Receptionist": ["view_depositrule"],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need these now.
    app_config = apps.get_app_config("bookings")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="bookings", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="bookings", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("bookings", "0031_deposits")]

    operations = [migrations.RunPython(grant, revoke)]
