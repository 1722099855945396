"""Copy each translated field's English into its English column (title -> title_en_gb).

django-modeltranslation reads a field from the column of the page's language, falling back
to English's: until this copy the English columns are empty. Urdu stays empty (English shows)
until 0005 or staff fill it in.
"""

from django.db import migrations
from django.db.models import F

FIELDS = {
    "Page": ("title", "heading", "meta_description", "lead"),
    "PageSection": ("heading", "body"),
    "Condition": ("name", "summary", "meta_description", "muscles", "about", "how_it_helps"),
    "FAQCategory": ("name",),
    "FAQ": ("question", "answer"),
    "Testimonial": ("quote", "attribution"),
}


def copy_english(apps, schema_editor):
    for model_name, fields in FIELDS.items():
        model = apps.get_model("content", model_name)
        for field in fields:
            model.objects.filter(**{f"{field}_en_gb__isnull": True}).update(**{f"{field}_en_gb": F(field)})


class Migration(migrations.Migration):
    dependencies = [("content", "0003_translation_fields")]
    operations = [migrations.RunPython(copy_english, migrations.RunPython.noop)]
