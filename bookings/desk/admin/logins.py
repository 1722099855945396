"""
Receptionists' logins, made and given their clinics by clinic managers (the rules:
bookings/desk/staff.py).
"""

from django.contrib import admin, messages

from bookings.desk import staff
from bookings.desk.forms import (
    ReceptionistChangeForm,
    ReceptionistCreateForm,
)
from bookings.models import (
    Receptionist,
)


@admin.register(Receptionist)
class ReceptionistAdmin(admin.ModelAdmin):
    """Clinic managers create front-desk logins and choose their clinics (the rules: bookings/desk/staff.py)."""

    form = ReceptionistChangeForm
    add_form = ReceptionistCreateForm
    list_display = ["username", "full_name", "clinic_names", "is_active", "last_login"]
    list_filter = ["is_active", "desk_clinics"]
    search_fields = ["username", "first_name", "last_name"]
    ordering = ["username"]
    actions = ["deactivate", "reset_second_factor"]
    fieldsets = [
        (None, {"fields": ["username", "full_name", "is_active", "clinics"]}),
        ("A new password, if they forgot theirs", {"fields": ["password1", "password2"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "full_name", "password1", "password2", "clinics"]})]

    def get_queryset(self, request):
        logins = staff.receptionist_logins().values("pk")
        return super().get_queryset(request).filter(pk__in=logins).prefetch_related("desk_clinics")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bookings.manage_receptionists")

    def has_add_permission(self, request):
        return request.user.has_perm("bookings.manage_receptionists")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("bookings.manage_receptionists")

    def has_delete_permission(self, request, obj=None):
        # A login that booked and changed bookings is named in their history: deactivate it instead.
        return False

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        # The creation form has set the password already; a change sets one only if it was typed.
        password = form.cleaned_data.get("password1") if change else None
        staff.receptionist_save(user=obj, clinics=form.cleaned_data["clinics"], password=password)

    def save_related(self, request, form, formsets, change):
        pass  # receptionist_save has set the clinics

    @admin.display(description="full name", ordering="first_name")
    def full_name(self, login):
        return login.get_full_name()

    @admin.display(description="clinics")
    def clinic_names(self, login):
        return ", ".join(clinic.name for clinic in login.desk_clinics.all()) or "None yet"

    @admin.action(description="Deactivate selected logins", permissions=["change"])
    def deactivate(self, request, queryset):
        stopped = staff.receptionists_deactivate(logins=queryset)
        self.message_user(request, f"Deactivated {stopped} login(s): they can no longer sign in.", messages.SUCCESS)

    @admin.action(description="Reset the second factor of selected logins", permissions=["change"])
    def reset_second_factor(self, request, queryset):
        done = staff.receptionists_reset_second_factor(logins=queryset, by=request.user)
        self.message_user(
            request,
            f"Reset the second factor of {done} login(s): each sets up a new one at the next sign-in. "
            "If the password may be known too (a lost phone), give them a new one on their login's page first.",
            messages.SUCCESS,
        )
