from django.contrib import admin

from bookings.models import Clinic


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "phone", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["name", "area", "address"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "area", "is_active", "is_demo"]}),
        ("Contact", {"fields": ["address", "phone", "email", "opening_hours"]}),
        ("Map", {"fields": ["map_url", "latitude", "longitude"]}),
    ]
