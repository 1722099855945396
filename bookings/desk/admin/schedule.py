"""
The schedule in the admin: clinics, therapists, session types, weekly hours, leave, closures and
slots. Every save goes through the schedule's services.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import BooleanField, Prefetch, Q, Value
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from bookings import photos
from bookings.desk import selectors, staff
from bookings.desk.admin.common import (
    AffectedBookingsMixin,
    ClinicScopeMixin,
    DayFilter,
    ScopedHistoryMixin,
    ScopedRelatedFilter,
    ServiceRefusalsAsMessagesMixin,
)
from bookings.desk.forms import (
    ClosureForm,
    PhotoField,
    TimeOffForm,
)
from bookings.desk.views import slot_search_terms, week_summary, weekly_hours_url
from bookings.desk.widgets import TamperProofAutocompleteMixin
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Clinic,
    ClinicClosure,
    Physiotherapist,
    SessionType,
    Slot,
    TimeOff,
    WeeklyAvailability,
)
from bookings.schedule import availability, leave, places, slots
from bookings.schedule.availability import Channel
from bookings.timeutils import at, day_bounds, desk_day, local_today


@admin.register(Clinic)
class ClinicAdmin(TranslationAdmin):
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
        ("Front desk", {"fields": ["front_desk"]}),
    ]
    filter_horizontal = ["front_desk"]
    # A map link pasted without its scheme is Google's, over https (and Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        _tell_stranded(request, places.clinic_save(clinic=obj), f"{obj.name} is not active")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.clinics_for(request.user).values("pk"))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "front_desk":
            kwargs["queryset"] = staff.desk_staff()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _tell_stranded(request, bookings, why: str) -> None:
    """Tell reception which patients a therapist or clinic made inactive leaves without a place."""
    if bookings:
        listed = ", ".join(
            f"{b.reference} ({timezone.localtime(b.slot.starts_at):%a %d %b %H:%M})" for b in bookings[:10]
        )
        more = f" and {len(bookings) - 10} more" if len(bookings) > 10 else ""
        messages.warning(request, f"{why}: {len(bookings)} confirmed booking(s) ahead need moving: {listed}{more}.")


@admin.register(Physiotherapist)
class PhysiotherapistAdmin(TranslationAdmin):
    list_display = ["name", "gender", "credentials", "hours_links", "is_active", "is_demo"]
    list_filter = ["is_active", "gender", "is_demo"]
    search_fields = ["name", "credentials"]
    prepopulated_fields = {"slug": ["name"]}
    # The week is set on its own page (bookings_weekly_hours), which puts the times on sale at once.
    readonly_fields = ["weekly_hours"]
    actions = ["generate_slots"]
    formfield_overrides = {
        models.ImageField: {
            "form_class": PhotoField,
            "help_text": (
                "Optional. A portrait at least 640 pixels wide: a JPEG, PNG or WebP of at most "
                f"{photos.PIXEL_LIMITS}, and {photos.MAX_BYTES // 1024 // 1024} MB. "
                "It is stored upright and without what the camera recorded (such as where it was taken); "
                "smaller copies for phones are made on save."
            ),
        }
    }

    def save_model(self, request, obj, form, change):
        _tell_stranded(request, places.physiotherapist_save(physiotherapist=obj), f"{obj.name} is not active")
        if "photo" in form.changed_data:
            photos.photo_variants_make(physiotherapist=obj)

    def get_queryset(self, request):
        current = WeeklyAvailability.objects.exclude(valid_until__lt=local_today()).select_related("clinic")
        current = current.filter(clinic__in=selectors.clinics_for(request.user))
        can_set = request.user.has_perm("bookings.change_weeklyavailability")
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=selectors.physiotherapists_for(request.user).values("pk"))
            .prefetch_related(Prefetch("availabilities", queryset=current.order_by(), to_attr="current_hours"))
            # Whether the links to the week's page are for this user: the display methods see only the row.
            .annotate(can_set_hours=Value(can_set, output_field=BooleanField()))
        )

    @admin.display(description="weekly hours")
    def hours_links(self, therapist):
        clinics = sorted({row.clinic for row in therapist.current_hours}, key=lambda clinic: clinic.name)
        if not therapist.can_set_hours:
            return ", ".join(clinic.name for clinic in clinics) or "none"
        links = [
            format_html('<a href="{}">{}</a>', weekly_hours_url(therapist.pk, clinic.pk), clinic.name)
            for clinic in clinics
        ]
        links.append(
            format_html('<a href="{}">{}</a>', weekly_hours_url(therapist.pk), "+ clinic" if clinics else "Set")
        )
        return format_html_join(" · ", "{}", ((link,) for link in links))

    @admin.display(description="weekly hours")
    def weekly_hours(self, therapist):
        if therapist is None or therapist.pk is None:
            return "Save the therapist first; then set their week, clinic by clinic."
        rows = therapist.current_hours  # read with the therapist (get_queryset)
        lines = [
            format_html(
                '<div class="week-line"><strong>{}</strong>, {}: {} ({}-minute slots){}</div>',
                week["clinic"].name,
                week["dates"],
                "; ".join(week["days"]),
                ", ".join(str(n) for n in week["slot_minutes"]),
                format_html(
                    ' <a class="button" href="{}">Change the week</a>',
                    weekly_hours_url(therapist.pk, week["clinic"].pk),
                )
                if therapist.can_set_hours
                else "",
            )
            for week in week_summary(rows)
        ]
        add = ""
        if therapist.can_set_hours:
            label = "Add hours at another clinic" if lines else "Set the weekly hours"
            add = format_html('<a class="button" href="{}">{}</a>', weekly_hours_url(therapist.pk), label)
        if not lines:
            return format_html("<div>No hours yet: no patient can book {}. {}</div>", therapist.name, add)
        return format_html("{}<div>{}</div>", format_html_join("", "{}", ((line,) for line in lines)), add)

    @admin.action(description="Generate slots for the next 60 days", permissions=["generate_slots"])
    def generate_slots(self, request, queryset):
        created = slots.slots_generate(days=60, physiotherapists=queryset)
        self.message_user(
            request, f"Created {created} new slot(s); existing slots and bookings were left as they were."
        )

    def has_generate_slots_permission(self, request):
        return request.user.has_perm("bookings.add_slot")


@admin.register(SessionType)
class SessionTypeAdmin(TranslationAdmin):
    list_display = ["name", "duration_minutes", "price_pkr", "is_active", "order"]
    list_editable = ["order"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(ClinicScopeMixin, admin.ModelAdmin):
    """
    The rows of everyone's weeks, to look through. They are written by the weekly-hours
    page (hours.weekly_hours_set), which puts the times on sale and off at once; the
    admin's own add and change pages lead there.
    """

    list_display = ["physiotherapist", "clinic", "weekday", "hours", "dates"]
    list_filter = [("clinic", ScopedRelatedFilter), "weekday", ("physiotherapist", ScopedRelatedFilter)]
    list_select_related = ["physiotherapist", "clinic"]
    search_fields = ["physiotherapist__name", "clinic__name"]
    fields = [
        "physiotherapist", "clinic", "weekday", "start_time", "end_time", "slot_minutes", "valid_from", "valid_until",
        "week_link",
    ]  # fmt: skip
    readonly_fields = ["week_link"]

    @admin.display(description="hours", ordering="start_time")
    def hours(self, row):
        return f"{row.start_time:%H:%M}–{row.end_time:%H:%M} ({row.slot_minutes} min)"

    @admin.display(description="valid", ordering="valid_from")
    def dates(self, row):
        return (
            f"{desk_day(row.valid_from)} – {desk_day(row.valid_until)}"
            if row.valid_until
            else f"from {desk_day(row.valid_from)}"
        )

    def has_change_permission(self, request, obj=None):
        return False  # view only: the week is changed as a whole, on its own page

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not request.user.has_perm("bookings.add_weeklyavailability"):
            raise PermissionDenied
        therapist = request.GET.get("physiotherapist", "")
        if therapist.isdigit():
            return HttpResponseRedirect(weekly_hours_url(int(therapist)))
        return HttpResponseRedirect(reverse("admin:bookings_physiotherapist_changelist"))

    @admin.display(description="the whole week")
    def week_link(self, row):
        url = weekly_hours_url(row.physiotherapist_id, row.clinic_id)
        return format_html(
            '<a class="button" href="{}">Change {}\'s week at {}</a>', url, row.physiotherapist, row.clinic
        )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.availabilities_for(request.user).values("pk"))


@admin.register(TimeOff)
class TimeOffAdmin(
    AffectedBookingsMixin, ClinicScopeMixin, TamperProofAutocompleteMixin, ScopedHistoryMixin, SimpleHistoryAdmin
):
    form = TimeOffForm
    affected_kind = "timeoff"
    list_display = ["physiotherapist", "when", "reason"]
    list_filter = [("physiotherapist", ScopedRelatedFilter)]
    list_select_related = ["physiotherapist"]
    autocomplete_fields = ["physiotherapist"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.time_off_for(request.user).values("pk"))

    @admin.display(description="when", ordering="starts_at")
    def when(self, time_off):
        # In Karachi's time, as the leave's page titles it (the admin's own columns said "7 p.m.", "midnight").
        return time_off.span()

    def save_model(self, request, obj, form, change):
        obj.affected = leave.time_off_save(time_off=obj)

    def delete_model(self, request, obj):
        leave.time_off_delete(time_off=obj)

    def delete_queryset(self, request, queryset):
        for time_off in queryset:
            leave.time_off_delete(time_off=time_off)


@admin.register(ClinicClosure)
class ClinicClosureAdmin(AffectedBookingsMixin, ScopedHistoryMixin, SimpleHistoryAdmin):
    form = ClosureForm
    affected_kind = "closure"
    list_display = ["reason", "start_date", "end_date", "clinic_names"]
    list_filter = [("clinics", ScopedRelatedFilter)]
    filter_horizontal = ["clinics"]

    def get_queryset(self, request):
        closures = selectors.closures_for(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=closures).prefetch_related("clinics")

    @admin.display(description="clinics")
    def clinic_names(self, closure):
        return ", ".join(clinic.name for clinic in closure.clinics.all())

    def save_model(self, request, obj, form, change):
        obj.affected = leave.closure_save(closure=obj, clinics=form.cleaned_data["clinics"])

    def save_related(self, request, form, formsets, change):
        pass  # closure_save has set the clinics

    def delete_model(self, request, obj):
        leave.closure_delete(closure=obj)

    def delete_queryset(self, request, queryset):
        for closure in queryset:
            leave.closure_delete(closure=closure)


class SlotStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("free", "Free"), ("booked", "Booked"), ("blocked", "Blocked")]

    def queryset(self, request, queryset):
        # The availability policy's answers, as the state column shows them.
        if self.value() == "free":
            return queryset.filter(pk__in=availability.bookable(channel=Channel.STAFF).values("pk"))
        if self.value() == "booked":
            return queryset.filter(availability.taken(timezone.now()))
        if self.value() == "blocked":
            return queryset.filter(is_blocked=True)
        return queryset


@admin.register(Slot)
class SlotAdmin(ServiceRefusalsAsMessagesMixin, ClinicScopeMixin, ScopedHistoryMixin, SimpleHistoryAdmin):
    list_display = ["when", "physiotherapist", "clinic", "state"]
    list_filter = [
        DayFilter,
        SlotStateFilter,
        ("clinic", ScopedRelatedFilter),
        ("physiotherapist", ScopedRelatedFilter),
    ]
    list_select_related = ["physiotherapist", "clinic"]
    search_fields = ["physiotherapist__name", "clinic__name", "clinic__area"]
    date_hierarchy = "starts_at"
    actions = ["block", "unblock"]
    fields = ["physiotherapist", "clinic", "starts_at", "ends_at", "is_blocked", "block_reason"]
    list_per_page = 100

    def get_queryset(self, request):
        return availability.with_flags(
            super()
            .get_queryset(request)
            .filter(clinic__in=selectors.clinics_for(request.user))
            .annotate(taken=availability.taken(timezone.now())),
            channel=Channel.STAFF,
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.bookings.filter(status__in=ACTIVE_STATUSES).exists():
            # A booked time stays where it is: moving the patient is the booking's Move, which tells them.
            return ["physiotherapist", "clinic", "starts_at", "ends_at", "is_blocked"]
        return []

    def save_model(self, request, obj, form, change):
        slots.slot_save(slot=obj)

    @admin.display(description="time", ordering="starts_at")
    def when(self, slot):
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        return f"{desk_day(start)}, {start:%H:%M}–{end:%H:%M}"

    @admin.display(description="state")
    def state(self, slot):
        # The schedule's precedence (availability.slot_state); a list row needs no booking's name.
        booking = Booking(status=BookingStatus.CONFIRMED) if slot.taken else None
        state = availability.slot_state(slot, booking=booking, now=timezone.now())
        key = "booked" if booking else state.key
        label = "Booked" if booking else state.label
        return format_html('<span class="slot-state slot-{}">{}</span> {}', key, label, state.note)

    def get_search_results(self, request, queryset, search_term):
        """Search by day and time too: "tue 15:00", "5 dec", "tomorrow sana"."""
        days, times, words = slot_search_terms(search_term)
        queryset, may_have_duplicates = super().get_search_results(request, queryset, " ".join(words))
        if days:
            in_days = Q()
            for day in days:
                start, end = day_bounds(day)
                in_days |= Q(starts_at__gte=start, starts_at__lt=end)
            queryset = queryset.filter(in_days)
        if times:
            queryset = (
                queryset.filter(starts_at__in=[at(day, clock) for day in days for clock in times])
                if days
                else queryset.filter(starts_at__time__in=times)
            )
        if request.GET.get("model_name") == "booking" and request.GET.get("field_name") == "slot":
            # The desk's slot pickers offer only times the desk can book, soonest first.
            queryset = queryset.filter(pk__in=availability.bookable(channel=Channel.STAFF)).order_by("starts_at")
        return queryset, may_have_duplicates

    @admin.action(description="Block selected slots", permissions=["change"])
    def block(self, request, queryset):
        changed, skipped = slots.slots_set_blocked(
            slots=queryset, blocked=True, reason="Blocked by reception", by=request.user
        )
        self.message_user(request, f"Blocked {changed} slot(s).")
        if skipped:
            self.message_user(
                request,
                f"{len(skipped)} booked slot(s) were not blocked: cancel or move their bookings first.",
                messages.WARNING,
            )

    @admin.action(description="Unblock selected slots", permissions=["change"])
    def unblock(self, request, queryset):
        changed, _ = slots.slots_set_blocked(slots=queryset, blocked=False, by=request.user)
        self.message_user(request, f"Unblocked {changed} slot(s).")
