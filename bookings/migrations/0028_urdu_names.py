"""
Clinics and therapists get an Urdu name beside the English one (name_ur), so an Urdu page says
"کلفٹن" where it said "Clifton" beside an address in Urdu; each existing name is copied into its
English column (name -> name_en_gb), as 0019 did for the other translated fields: until then
django-modeltranslation would read an empty English name.
"""

from django.db import migrations, models
from django.db.models import F


def copy_english(apps, schema_editor):
    for model_name in ("Clinic", "Physiotherapist"):
        model = apps.get_model("bookings", model_name)
        model.objects.filter(name_en_gb__isnull=True).update(name_en_gb=F("name"))


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0027_photos'),
    ]

    operations = [
        migrations.AddField(
            model_name='clinic',
            name='name_en_gb',
            field=models.CharField(max_length=120, null=True, unique=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='clinic',
            name='name_ur',
            field=models.CharField(max_length=120, null=True, unique=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='physiotherapist',
            name='name_en_gb',
            field=models.CharField(max_length=120, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='physiotherapist',
            name='name_ur',
            field=models.CharField(max_length=120, null=True, verbose_name='name'),
        ),
        migrations.RunPython(copy_english, migrations.RunPython.noop),
    ]
