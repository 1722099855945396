from django.db import models
from django.urls import reverse
from phonenumber_field.modelfields import PhoneNumberField


class ClinicQuerySet(models.QuerySet):
    def active(self):
        """Return the clinics patients can see and book at."""
        return self.filter(is_active=True)


class Clinic(models.Model):
    """A branch of Aspire Wellness in Karachi."""

    name = models.CharField("name", max_length=120, unique=True)
    slug = models.SlugField(
        "slug",
        max_length=80,
        unique=True,
        help_text="Used in the clinic's address on the site, e.g. /clinics/clifton/.",
    )
    area = models.CharField("area of Karachi", max_length=80, help_text="e.g. Clifton, DHA Phase 6, Gulshan-e-Iqbal.")
    address = models.TextField("street address", max_length=500)
    phone = PhoneNumberField("phone", blank=True, help_text="The branch's own line, if it has one.")
    email = models.EmailField(
        "reception email", blank=True, help_text="Reception is told here of online bookings and cancellations."
    )
    map_url = models.URLField("map link", blank=True, help_text="A Google Maps link to the entrance.")
    latitude = models.DecimalField("latitude", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("longitude", max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.TextField(
        "opening hours", blank=True, help_text="One line per day or range of days, e.g. “Mon–Sat: 10:00–20:00”."
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive clinics disappear from the site and can't be booked."
    )
    is_demo = models.BooleanField(
        "demo data", default=False, help_text="Invented for the demo by seed_demo; not a real branch."
    )

    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "clinic"
        verbose_name_plural = "clinics"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("bookings:clinic_detail", kwargs={"slug": self.slug})

    @property
    def opening_hours_lines(self) -> list[str]:
        return [line.strip() for line in self.opening_hours.splitlines() if line.strip()]

    @property
    def directions_url(self) -> str:
        """Return the map link, or one made from the coordinates or the address."""
        if self.map_url:
            return self.map_url
        from urllib.parse import quote_plus

        if self.latitude is not None and self.longitude is not None:
            return f"https://www.google.com/maps/search/?api=1&query={self.latitude},{self.longitude}"
        return f"https://www.google.com/maps/search/?api=1&query={quote_plus(f'{self.address}, Karachi')}"
