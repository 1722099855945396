"""
Each attended session keeps its fee (the price of its session type when it was marked
attended), so the owners' revenue doesn't move when a price changes. Sessions attended
before this field existed take their session type's price now: the best record there is.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fees_of_attended(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    SessionType = apps.get_model("bookings", "SessionType")
    price = SessionType.objects.filter(pk=OuterRef("session_type_id")).values("price_pkr")[:1]
    Booking.objects.filter(status="attended", fee_pkr__isnull=True).update(fee_pkr=Subquery(price))


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0029_household'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='fee_pkr',
            field=models.PositiveIntegerField(blank=True, editable=False, help_text="The session type's price on the day the session was marked attended: what it earned. A later change of price leaves it as it was.", null=True, verbose_name='fee (PKR)'),
        ),
        migrations.AddField(
            model_name='historicalbooking',
            name='fee_pkr',
            field=models.PositiveIntegerField(blank=True, editable=False, help_text="The session type's price on the day the session was marked attended: what it earned. A later change of price leaves it as it was.", null=True, verbose_name='fee (PKR)'),
        ),
        migrations.RunPython(fees_of_attended, migrations.RunPython.noop),
    ]
