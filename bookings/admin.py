import csv
import datetime as dt

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from bookings import services
from bookings.admin_widgets import TamperProofAutocompleteMixin
from bookings.forms import AdminBookingAddForm, AdminBookingChangeForm
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Clinic,
    ClinicClosure,
    Patient,
    Physiotherapist,
    SessionType,
    Slot,
    TimeOff,
    WeeklyAvailability,
)
from bookings.phones import try_normalize_phone
from bookings.timeutils import day_bounds, local_today


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "phone", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["name", "area", "address"]
    prepopulated_fields = {"slug": ["name"]}
    # Map links are https; and Django 5.2's default of http is deprecated (a warning, an error in tests).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "slug", "area", "is_active", "is_demo"]}),
        ("Contact", {"fields": ["address", "phone", "email", "opening_hours"]}),
        ("Map", {"fields": ["map_url", "latitude", "longitude"]}),
    ]


class WeeklyAvailabilityInline(TamperProofAutocompleteMixin, admin.TabularInline):
    model = WeeklyAvailability
    extra = 0
    fields = ["clinic", "weekday", "start_time", "end_time", "slot_minutes", "valid_from", "valid_until"]
    autocomplete_fields = ["clinic"]


@admin.register(Physiotherapist)
class PhysiotherapistAdmin(admin.ModelAdmin):
    list_display = ["name", "gender", "credentials", "is_active", "is_demo"]
    list_filter = ["is_active", "gender", "is_demo"]
    search_fields = ["name", "credentials"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WeeklyAvailabilityInline]
    actions = ["generate_slots"]

    @admin.action(description="Generate slots for the next 60 days", permissions=["generate_slots"])
    def generate_slots(self, request, queryset):
        created = services.slots_generate(days=60, physiotherapists=queryset)
        self.message_user(
            request, f"Created {created} new slot(s); existing slots and bookings were left as they were."
        )

    def has_generate_slots_permission(self, request):
        return request.user.has_perm("bookings.add_slot")


@admin.register(SessionType)
class SessionTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_minutes", "price_pkr", "is_active", "order"]
    list_editable = ["order"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(TamperProofAutocompleteMixin, admin.ModelAdmin):
    list_display = [
        "physiotherapist",
        "clinic",
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["clinic", "weekday", "physiotherapist"]
    list_select_related = ["physiotherapist", "clinic"]
    autocomplete_fields = ["physiotherapist", "clinic"]


@admin.register(TimeOff)
class TimeOffAdmin(TamperProofAutocompleteMixin, admin.ModelAdmin):
    list_display = ["physiotherapist", "starts_at", "ends_at", "reason"]
    list_filter = ["physiotherapist"]
    list_select_related = ["physiotherapist"]
    autocomplete_fields = ["physiotherapist"]


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["clinic", "start_date", "end_date", "reason"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]


class DayFilter(admin.SimpleListFilter):
    """When the session is: today, tomorrow, upcoming or past (Karachi time)."""

    title = "day"
    parameter_name = "day"
    field = "starts_at"

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("tomorrow", "Tomorrow"), ("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        today = local_today()
        field = self.field
        if self.value() == "today":
            start, end = day_bounds(today)
        elif self.value() == "tomorrow":
            start, end = day_bounds(today + dt.timedelta(days=1))
        elif self.value() == "upcoming":
            return queryset.filter(**{f"{field}__gte": timezone.now()})
        elif self.value() == "past":
            return queryset.filter(**{f"{field}__lt": timezone.now()})
        else:
            return queryset
        return queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})


class BookingDayFilter(DayFilter):
    """The booking list opens on what is coming up; "All" is one click away."""

    field = "slot__starts_at"

    def lookups(self, request, model_admin):
        return [
            ("upcoming", "Upcoming"),
            ("today", "Today"),
            ("tomorrow", "Tomorrow"),
            ("past", "Past"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or "upcoming"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class SlotStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("free", "Free"), ("booked", "Booked"), ("blocked", "Blocked")]

    def queryset(self, request, queryset):
        if self.value() == "free":
            return queryset.free()
        if self.value() == "booked":
            return queryset.with_active_booking()
        if self.value() == "blocked":
            return queryset.filter(is_blocked=True)
        return queryset


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["when", "physiotherapist", "clinic", "state"]
    list_filter = [DayFilter, SlotStateFilter, "clinic", "physiotherapist"]
    list_select_related = ["physiotherapist", "clinic"]
    search_fields = ["physiotherapist__name", "clinic__name", "clinic__area"]
    date_hierarchy = "starts_at"
    actions = ["block", "unblock"]
    fields = ["physiotherapist", "clinic", "starts_at", "ends_at", "is_blocked", "block_reason"]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(active_bookings=Count("bookings", filter=Q(bookings__status__in=ACTIVE_STATUSES)))
        )

    @admin.display(description="time", ordering="starts_at")
    def when(self, slot):
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        return f"{start:%a %d %b %Y, %H:%M}–{end:%H:%M}"

    @admin.display(description="state")
    def state(self, slot):
        if slot.is_blocked:
            return format_html('<span class="slot-state slot-blocked">Blocked</span> {}', slot.block_reason)
        if slot.active_bookings:
            return mark_safe('<span class="slot-state slot-booked">Booked</span>')
        return mark_safe('<span class="slot-state slot-free">Free</span>')

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "booking" and request.GET.get("field_name") == "slot":
            # The booking form's slot picker offers only times that can be booked.
            queryset = queryset.bookable().order_by("starts_at")
        return queryset, may_have_duplicates

    @admin.action(description="Block selected slots", permissions=["change"])
    def block(self, request, queryset):
        changed, skipped = services.slots_set_blocked(slots=queryset, blocked=True, reason="Blocked by reception")
        self.message_user(request, f"Blocked {changed} slot(s).")
        if skipped:
            self.message_user(
                request,
                f"{len(skipped)} booked slot(s) were not blocked: cancel or move their bookings first.",
                messages.WARNING,
            )

    @admin.action(description="Unblock selected slots", permissions=["change"])
    def unblock(self, request, queryset):
        changed, _ = services.slots_set_blocked(slots=queryset, blocked=False)
        self.message_user(request, f"Unblocked {changed} slot(s).")


class PhoneSearchMixin:
    """Search also finds rows whose phone is the search term in any usual spelling (0309-…, +92 …)."""

    phone_search_field = "phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        e164 = try_normalize_phone(search_term) if search_term else None
        if e164:
            results = results | queryset.filter(**{self.phone_search_field: e164})
        return results, may_have_duplicates


class BookingSlotColumnsMixin:
    """The clinic and therapist of a booking's slot, for the booking list and a patient's bookings."""

    @admin.display(description="clinic", ordering="slot__clinic__name")
    def clinic(self, booking):
        return booking.slot.clinic.name

    @admin.display(description="therapist", ordering="slot__physiotherapist__name")
    def physiotherapist(self, booking):
        return booking.slot.physiotherapist.name


class BookingInline(BookingSlotColumnsMixin, admin.TabularInline):
    model = Booking
    fk_name = "patient"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["reference", "when", "clinic", "physiotherapist", "session_type", "status", "source"]
    readonly_fields = fields
    ordering = ["-slot__starts_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="time")
    def when(self, booking):
        return f"{timezone.localtime(booking.slot.starts_at):%a %d %b %Y, %H:%M}"


class PrivateTitlesMixin:
    """Name a patient's record in page titles by its number, never by name or phone.

    Titles land in the tab bar and the browser history of a shared front-desk PC;
    the page itself still shows who it is.
    """

    def _private_label(self, object_id) -> str:
        return f"{self.opts.verbose_name.capitalize()} #{object_id}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": self._private_label(object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "title": f"Change history: {self._private_label(object_id)}"}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        extra_context = {**(extra_context or {}), "title": f"Version of {self._private_label(object_id)}"}
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Patient)
class PatientAdmin(PrivateTitlesMixin, PhoneSearchMixin, admin.ModelAdmin):
    list_display = ["name", "phone_display", "email", "booking_count", "sessions_attended", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at"]
    fields = ["name", "phone", "email", "notes", "created_at"]
    inlines = [BookingInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_bookings=Count("bookings"),
                n_attended=Count("bookings", filter=Q(bookings__status=BookingStatus.ATTENDED)),
            )
        )

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, patient):
        return patient.phone.as_national if patient.phone else ""

    @admin.display(description="bookings", ordering="n_bookings")
    def booking_count(self, patient):
        return patient.n_bookings

    @admin.display(description="sessions attended", ordering="n_attended")
    def sessions_attended(self, patient):
        return patient.n_attended


@admin.register(Booking)
class BookingAdmin(
    TamperProofAutocompleteMixin, PrivateTitlesMixin, PhoneSearchMixin, BookingSlotColumnsMixin, SimpleHistoryAdmin
):
    list_display = [
        "when",
        "clinic",
        "physiotherapist",
        "reference",
        "patient_name",
        "phone_display",
        "session",
        "status_badge",
        "source",
    ]
    list_display_links = ["when", "reference"]
    list_filter = [BookingDayFilter, "status", "slot__clinic", "slot__physiotherapist", "source"]
    list_select_related = ["slot__clinic", "slot__physiotherapist", "session_type"]
    search_fields = ["reference", "name", "patient__name"]
    autocomplete_fields = ["slot"]
    actions = ["mark_attended", "mark_no_show", "cancel", "export_csv"]
    list_per_page = 50
    ordering = ["slot__starts_at"]
    history_list_display = ["status", "slot"]

    readonly_change_fields = [
        "reference", "status", "source", "patient_link", "name", "phone", "session_type", "consent",
        "created_at", "created_by", "cancelled_at", "attended_at", "no_show_at",
    ]  # fmt: skip

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AdminBookingAddForm
            form = super().get_form(request, obj, change=change, **kwargs)

            class RequestBoundForm(form):
                def __init__(self, *args, **kw):
                    super().__init__(*args, request=request, **kw)

            return RequestBoundForm
        kwargs["form"] = AdminBookingChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                ("When", {"fields": ["slot", "session_type", "source"]}),
                ("Patient", {"fields": ["phone", "name", "email", "notes", "consent"]}),
            ]
        return [
            (None, {"fields": ["reference", "status", "slot", "session_type", "source"]}),
            ("Patient", {"fields": ["patient_link", "name", "phone", "email", "notes", "consent"]}),
            ("Record", {"fields": ["created_at", "created_by", "cancelled_at", "attended_at", "no_show_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_change_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        # A booking is cancelled, never deleted: the record stays.
        return False

    def save_model(self, request, obj, form, change):
        # The form's clean() already went through the services: booking_create on add,
        # booking_move for a new slot. Save only what else changed, so a move is one
        # write and one history record.
        if not change:
            return
        fields = [name for name in form.changed_data if name != "slot"]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("source", "phone")
        return initial

    @admin.display(description="time", ordering="slot__starts_at")
    def when(self, booking):
        start = timezone.localtime(booking.slot.starts_at)
        return format_html(
            '<span class="nowrap">{}</span> <span class="nowrap">{}</span>', f"{start:%a %d %b}", f"{start:%H:%M}"
        )

    @admin.display(description="session", ordering="session_type__name")
    def session(self, booking):
        return booking.session_type.label

    @admin.display(description="patient", ordering="name")
    def patient_name(self, booking):
        return booking.name

    @admin.display(description="phone")
    def phone_display(self, booking):
        return booking.phone.as_national if booking.phone else ""

    @admin.display(description="status", ordering="status")
    def status_badge(self, booking):
        return format_html('<span class="status status-{}">{}</span>', booking.status, booking.get_status_display())

    @admin.display(description="patient")
    def patient_link(self, booking):
        url = reverse("admin:bookings_patient_change", args=[booking.patient_id])
        return format_html('<a href="{}">{}</a>', url, booking.patient)

    def _apply(self, request, queryset, service, done):
        ok, refused = 0, []
        for booking in queryset.select_related("slot"):
            try:
                service(booking=booking)
                ok += 1
            except services.BookingError as exc:
                refused.append(f"{booking.reference}: {exc}")
        if ok:
            self.message_user(request, f"{done} {ok} booking(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Mark selected as attended", permissions=["change"])
    def mark_attended(self, request, queryset):
        self._apply(request, queryset, services.booking_mark_attended, "Marked attended:")

    @admin.action(description="Mark selected as no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._apply(request, queryset, services.booking_mark_no_show, "Marked no-show:")

    @admin.action(description="Cancel selected bookings", permissions=["change"])
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.booking_cancel, "Cancelled")

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bookings-{local_today():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "reference",
                "date",
                "time",
                "clinic",
                "therapist",
                "name",
                "phone",
                "email",
                "session type",
                "status",
                "source",
            ]
        )
        for b in queryset.with_related().order_by("slot__starts_at"):
            start = timezone.localtime(b.slot.starts_at)
            row = [
                b.reference, f"{start:%Y-%m-%d}", f"{start:%H:%M}", b.slot.clinic.name, b.slot.physiotherapist.name,
                b.name, str(b.phone), b.email, b.session_type.name, b.get_status_display(), b.get_source_display(),
            ]  # fmt: skip
            # Cells starting with = + - @ are formulas to a spreadsheet: neutralise them.
            writer.writerow([f"'{cell}" if str(cell)[:1] in "=+-@" else cell for cell in row])
        return response
