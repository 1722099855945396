"""Copy each translated field's English into its English column (address -> address_en_gb).

django-modeltranslation reads a field from the column of the page's language, falling back
to English's: until this copy the English columns are empty.
"""

from django.db import migrations
from django.db.models import F

FIELDS = {
    "Clinic": ("area", "address", "opening_hours"),
    "Physiotherapist": ("credentials", "bio"),
    "SessionType": ("name", "description"),
}


def copy_english(apps, schema_editor):
    for model_name, fields in FIELDS.items():
        model = apps.get_model("bookings", model_name)
        for field in fields:
            model.objects.filter(**{f"{field}_en_gb__isnull": True}).update(**{f"{field}_en_gb": F(field)})


class Migration(migrations.Migration):
    dependencies = [("bookings", "0018_translation_fields")]
    operations = [migrations.RunPython(copy_english, migrations.RunPython.noop)]
