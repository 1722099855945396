"""
A person is not a phone number: a Contact is the number (and how it is reached), each
Patient a person under it. Every existing patient becomes one person under their own
number, with the number's channel, opt-in and STOP moved to the contact, nothing lost.
"""

import django.db.models.deletion
import django.db.models.functions.text
import phonenumber_field.modelfields
from django.db import migrations, models

MOVED = ("contact_channel", "contact_opt_in_at", "contact_opt_in_source", "messages_stopped_at")


def patients_into_contacts(apps, schema_editor):
    Patient = apps.get_model("bookings", "Patient")
    Contact = apps.get_model("bookings", "Contact")
    patients = list(Patient.objects.order_by("pk"))
    for start in range(0, len(patients), 500):
        batch = patients[start : start + 500]
        contacts = [
            Contact(
                phone=patient.phone,
                created_at=patient.created_at,
                erased_at=patient.erased_at if not patient.phone else None,
                **{field: getattr(patient, field) for field in MOVED},
            )
            for patient in batch
        ]
        Contact.objects.bulk_create(contacts)  # each gets its id back (PostgreSQL, and SQLite 3.35+)
        for patient, contact in zip(batch, contacts, strict=True):
            patient.contact_id = contact.pk
            patient.relation = "self"
        Patient.objects.bulk_update(batch, ["contact", "relation"])
    # auto_now_add set created_at to now on insert: give each contact its patient's date back.
    for patient in Patient.objects.only("contact_id", "created_at").iterator():
        Contact.objects.filter(pk=patient.contact_id).update(created_at=patient.created_at)


def contacts_into_patients(apps, schema_editor):
    Patient = apps.get_model("bookings", "Patient")
    for patient in Patient.objects.select_related("contact").order_by("contact_id", "pk"):
        first = not Patient.objects.filter(contact_id=patient.contact_id, pk__lt=patient.pk).exists()
        patient.phone = patient.contact.phone if first else None  # the number was unique per patient
        for field in MOVED:
            setattr(patient, field, getattr(patient.contact, field))
        patient.save()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0028_urdu_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="Contact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "phone",
                    phonenumber_field.modelfields.PhoneNumberField(
                        help_text="Stored as +92…; any usual spelling is accepted.",
                        max_length=128,
                        null=True,
                        region=None,
                        unique=True,
                        verbose_name="phone",
                    ),
                ),
                (
                    "contact_channel",
                    models.CharField(
                        choices=[("whatsapp", "WhatsApp"), ("sms", "Text message")],
                        default="whatsapp",
                        help_text="How the number asked to get confirmations and reminders (text messages where WhatsApp fails).",
                        max_length=10,
                        verbose_name="reach by",
                    ),
                ),
                ("contact_opt_in_at", models.DateTimeField(blank=True, null=True, verbose_name="agreed to messages at")),
                (
                    "contact_opt_in_source",
                    models.CharField(
                        blank=True,
                        help_text="The online booking form, or the front desk.",
                        max_length=20,
                        verbose_name="agreed where",
                    ),
                ),
                (
                    "messages_stopped_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The number sent STOP: no WhatsApp or text message goes to it but answers to its own.",
                        null=True,
                        verbose_name="stopped messages at",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="first seen")),
                (
                    "erased_at",
                    models.DateTimeField(
                        blank=True,
                        editable=False,
                        help_text="The number was erased then, with every person who booked with it.",
                        null=True,
                        verbose_name="number erased at",
                    ),
                ),
            ],
            options={
                "verbose_name": "phone number",
                "verbose_name_plural": "phone numbers",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("erased_at__isnull", False),
                            models.Q(("phone__isnull", False), models.Q(("phone", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="contact_phone_unless_erased",
                        violation_error_message="A phone number is needed.",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="patient",
            name="contact",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="people",
                to="bookings.contact",
                verbose_name="phone number",
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="relation",
            field=models.CharField(
                blank=True,
                choices=[
                    ("self", "The number's own"),
                    ("child", "A child (under 18)"),
                    ("other", "Someone else (a parent, a relative)"),
                ],
                help_text="As said when booking online; blank where the desk booked them.",
                max_length=10,
                verbose_name="who they are",
            ),
        ),
        migrations.RunPython(patients_into_contacts, contacts_into_patients),
        migrations.AlterField(
            model_name="patient",
            name="contact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="people",
                to="bookings.contact",
                verbose_name="phone number",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="patient",
            name="patient_phone_unless_erased",
        ),
        migrations.RemoveField(model_name="patient", name="phone"),
        migrations.RemoveField(model_name="patient", name="contact_channel"),
        migrations.RemoveField(model_name="patient", name="contact_opt_in_at"),
        migrations.RemoveField(model_name="patient", name="contact_opt_in_source"),
        migrations.RemoveField(model_name="patient", name="messages_stopped_at"),
        migrations.AlterField(
            model_name="patient",
            name="erased_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Name, email and notes were erased then, here and in every booking; the bookings stay.",
                null=True,
                verbose_name="personal data erased at",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("contact"),
                condition=models.Q(("erased_at__isnull", True)),
                name="patient_one_name_per_number",
                violation_error_message="This number already books for someone of this name.",
            ),
        ),
        migrations.AddField(
            model_name="safetyscreening",
            name="guardian_name",
            field=models.CharField(
                blank=True,
                help_text="For a child under 18: the parent or guardian who answered and agreed for them.",
                max_length=120,
                verbose_name="consent given by",
            ),
        ),
        migrations.AlterField(
            model_name="safetyscreening",
            name="first_visit",
            field=models.BooleanField(
                default=False,
                help_text="No attended session for this person before this booking.",
                verbose_name="first visit",
            ),
        ),
    ]
