"""
Clinic managers create receptionists' logins and choose their clinics (bookings/staff.py):
a page of its own (a proxy of auth's User) behind a permission of its own, granted to the
"Clinic manager" group. Auth's own user and group pages stay with superusers.
"""

import django.contrib.auth.models
from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["manage_receptionists"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs this one now.
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
        ("auth", "0012_alter_user_first_name_max_length"),
        ("bookings", "0013_outbox"),
    ]

    operations = [
        migrations.CreateModel(
            name="Receptionist",
            fields=[],
            options={
                "verbose_name": "receptionist login",
                "verbose_name_plural": "receptionist logins",
                "permissions": [("manage_receptionists", "Can create receptionist logins and assign their clinics")],
                "proxy": True,
                "default_permissions": (),
                "indexes": [],
                "constraints": [],
            },
            bases=("auth.user",),
            managers=[
                ("objects", django.contrib.auth.models.UserManager()),
            ],
        ),
        migrations.RunPython(grant, revoke),
    ]
