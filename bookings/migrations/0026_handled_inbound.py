"""The provider ids of patients' messages already acted on, so a redelivered one is not acted on again."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0025_moved_task_paths_and_follow_up_flag'),
    ]

    operations = [
        migrations.CreateModel(
            name='HandledInbound',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('whatsapp', 'WhatsApp'), ('sms', 'SMS'), ('email', 'Email')], max_length=10, verbose_name='channel')),
                ('provider_id', models.CharField(max_length=128, verbose_name="provider's id")),
                ('handled_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='handled at')),
            ],
            options={
                'verbose_name': 'handled inbound message',
                'verbose_name_plural': 'handled inbound messages',
                'ordering': ['-handled_at'],
                'constraints': [models.UniqueConstraint(fields=('channel', 'provider_id'), name='handled_inbound_once')],
            },
        ),
    ]
