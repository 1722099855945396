"""
The two staff roles, with exactly the permissions each job needs.

- Receptionist: runs the day. Books, moves, cancels, marks attended and
  no-show (change booking), blocks and unblocks slots (change slot), sees and
  updates patients; reads clinics, therapists, schedules and time off.
  No users, groups or site content.
- Clinic manager: everything a receptionist does, plus the schedule itself
  (therapists, availability, time off, closures, slots, session types,
  clinics) and the site content. Still no users or groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECEPTIONIST = {
    "bookings": {
        "booking": ["view", "add", "change"],
        "historicalbooking": ["view"],
        "slot": ["view", "change"],
        "patient": ["view", "add", "change"],
        "clinic": ["view"],
        "physiotherapist": ["view"],
        "sessiontype": ["view"],
        "weeklyavailability": ["view"],
        "timeoff": ["view"],
        "clinicclosure": ["view"],
    },
}
ALL = ["view", "add", "change", "delete"]
MANAGER = {
    "bookings": {
        **RECEPTIONIST["bookings"],
        "slot": ALL,
        "clinic": ["view", "add", "change"],
        "physiotherapist": ["view", "add", "change"],
        "sessiontype": ["view", "add", "change"],
        "weeklyavailability": ALL,
        "timeoff": ALL,
        "clinicclosure": ALL,
    },
    "content": dict.fromkeys(["page", "pagesection", "condition", "faqcategory", "faq", "testimonial"], ALL),
}
GROUPS = {"Receptionist": RECEPTIONIST, "Clinic manager": MANAGER}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, spec in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in spec.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_postgres_exclusion_constraints"),
        ("content", "0002_initial_content"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
