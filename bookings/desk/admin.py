import csv
import datetime as dt
import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import BooleanField, Count, Prefetch, Q, Value
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from bookings import errors, photos
from bookings.booking import patients, privacy, screening, services
from bookings.desk import selectors, staff
from bookings.desk.forms import (
    BookingEditForm,
    CancelForm,
    ClosureForm,
    ReceptionistChangeForm,
    ReceptionistCreateForm,
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
    Message,
    Patient,
    Physiotherapist,
    Receptionist,
    SafetyScreening,
    SessionType,
    Slot,
    TimeOff,
    WaitlistEntry,
    WeeklyAvailability,
)
from bookings.phones import try_normalize_phone
from bookings.schedule import availability, leave, places, slots
from bookings.schedule.availability import Channel
from bookings.timeutils import at, day_bounds, local_today

# A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell) -> str:
    """Return the cell as text that a spreadsheet shows as text, never runs as a formula."""
    text = str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class ServiceRefusalsAsMessagesMixin:
    """
    A save that a service refuses (a booking made a moment ago, a clash) comes back to the
    same form with the service's message, not a server error. The admin's own transaction
    around the form rolls back whatever the refused save had begun.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except errors.BookingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# What a member of staff may pick in a form or filter a list by follows the rule of what they
# see (bookings/desk/selectors.py): a receptionist is offered only their clinics' own.
SCOPES = {
    Clinic: selectors.clinics_for,
    Physiotherapist: selectors.physiotherapists_for,
    Slot: selectors.slots_for,
    Patient: selectors.patients_for,
}


class ClinicScopeMixin:
    """
    A form's clinics, therapists, slots and patients are the user's own: a posted id of
    another clinic's is a form error, as one that doesn't exist. (The admin would offer
    every row: it reads a choice's list from the related model, not its admin's get_queryset.)
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = SCOPES.get(db_field.remote_field.model)
        if scope is not None and "queryset" not in kwargs:
            kwargs["queryset"] = scope(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scope = SCOPES.get(db_field.remote_field.model)
        if scope is not None and "queryset" not in kwargs:
            kwargs["queryset"] = scope(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A list's filter by clinic or therapist that names only the user's own."""

    def field_choices(self, field, request, model_admin):
        scope = SCOPES.get(field.related_model)
        if scope is None:
            return super().field_choices(field, request, model_admin)
        return [(obj.pk, str(obj)) for obj in scope(request.user)]


class ScopedHistoryMixin:
    """
    django-simple-history's pages look an object's history up without the admin's
    get_queryset (the version page checks nothing; the history page falls back to the
    latest version of an object it can't find), and a version page saves what is posted
    to it, even for a user with view permission only. Here both answer only for objects
    the user's get_queryset holds (a deleted object's history: only for those who see
    every clinic), and a version page is only ever shown: revert is off in the settings.
    """

    def history_view(self, request, object_id, extra_context=None):
        self._404_unless_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        self._404_unless_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _404_unless_in_scope(self, request, object_id):
        if self.get_object(request, unquote(object_id)) is not None:
            return
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        if not selectors.sees_all_clinics(request.user):
            raise Http404(f"No {self.opts.verbose_name} #{object_id}.")


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
            f"{row.valid_from:%d %b %Y} – {row.valid_until:%d %b %Y}"
            if row.valid_until
            else f"from {row.valid_from:%d %b %Y}"
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


class AffectedBookingsMixin:
    """Leave and closures save through their service; then the desk sees the bookings inside, to move them."""

    affected_kind = ""

    def response_add(self, request, obj, post_url_continue=None):
        return self._to_affected(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._to_affected(request, obj) or super().response_change(request, obj)

    def _to_affected(self, request, obj):
        if not getattr(obj, "affected", None):
            return None
        # Leave of a therapist who also works elsewhere: this desk hears only of its own clinics' bookings.
        mine = selectors.bookings_for(request.user).filter(pk__in=[booking.pk for booking in obj.affected]).count()
        if not mine:
            return None
        self.message_user(
            request,
            f"Saved. {mine} booking(s) fall inside it: tell the patients and move them.",
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("bookings_affected", args=[self.affected_kind, obj.pk]))


@admin.register(TimeOff)
class TimeOffAdmin(
    AffectedBookingsMixin, ClinicScopeMixin, TamperProofAutocompleteMixin, ScopedHistoryMixin, SimpleHistoryAdmin
):
    form = TimeOffForm
    affected_kind = "timeoff"
    list_display = ["physiotherapist", "starts_at", "ends_at", "reason"]
    list_filter = [("physiotherapist", ScopedRelatedFilter)]
    list_select_related = ["physiotherapist"]
    autocomplete_fields = ["physiotherapist"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.time_off_for(request.user).values("pk"))

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
        return f"{start:%a %d %b %Y, %H:%M}–{end:%H:%M}"

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


class PhoneSearchMixin:
    """Search also finds rows whose phone is the search term in any usual spelling (0309-…, +92 …)."""

    phone_search_field = "phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        e164 = try_normalize_phone(search_term) if search_term else None
        digits = "".join(c for c in search_term if c.isdigit())
        if e164:
            results = results | queryset.filter(**{self.phone_search_field: e164})
        elif len(digits) >= 4 and not search_term.strip(" -0123456789"):
            # The last digits a caller reads out: "5076".
            results = results | queryset.filter(**{f"{self.phone_search_field}__endswith": digits})
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
        # A patient of two clinics: each desk sees its own bookings of theirs.
        return super().get_queryset(request).filter(slot__clinic__in=selectors.clinics_for(request.user)).with_related()

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


def no_shows_html(patient: Patient) -> str:
    """The no-shows counted against a patient booking online, whether they block it, and the reset link."""
    count = patients.patient_no_show_count(patient=patient)
    limit = settings.ASPIRE_NO_SHOWS_BEFORE_CALL
    if not count:
        return "None"
    url = reverse("admin:bookings_patient_reset_no_shows", args=[patient.pk])
    state = "books by phone only" if count >= limit else f"online booking stops at {limit}"
    return format_html('<strong class="no-show-count">{}</strong> ({}) · <a href="{}">Reset</a>', count, state, url)


@admin.register(Patient)
class PatientAdmin(PrivateTitlesMixin, PhoneSearchMixin, admin.ModelAdmin):
    list_display = ["name", "phone_display", "email", "booking_count", "sessions_attended", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at", "no_shows"]
    fields = ["name", "phone", "email", "notes", "no_shows", "created_at"]
    inlines = [BookingInline]

    def get_queryset(self, request):
        # The counts are of this desk's bookings, as the patient's page lists them.
        mine = Q(bookings__slot__clinic__in=selectors.clinics_for(request.user))
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=selectors.patients_for(request.user).values("pk"))
            .annotate(
                n_bookings=Count("bookings", filter=mine),
                n_attended=Count("bookings", filter=mine & Q(bookings__status=BookingStatus.ATTENDED)),
            )
        )

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, patient):
        return patient.phone.as_national if patient.phone else ""

    def get_fields(self, request, obj=None):
        return [*self.fields, "erased_at"] if obj and obj.erased_at else self.fields

    def get_readonly_fields(self, request, obj=None):
        # An erased record stays erased: nobody types the person back in.
        return self.get_fields(request, obj) if obj and obj.erased_at else self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export_patient_data": request.user.has_perm("bookings.export_patient_data"),
            "can_erase_patient_data": request.user.has_perm("bookings.erase_patient_data"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/export/", view(self.export_view), name="bookings_patient_export"),
            path("<path:object_id>/erase/", view(self.erase_view), name="bookings_patient_erase"),
            path(
                "<path:object_id>/reset-no-shows/",
                view(self.reset_no_shows_view),
                name="bookings_patient_reset_no_shows",
            ),
            *super().get_urls(),
        ]

    def _privacy_patient(self, request, object_id, permission):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        patient = self.get_object(request, unquote(object_id))
        if patient is None:
            raise Http404(f"No patient #{object_id}.")
        return patient

    def _privacy_context(self, request, patient, title):
        bookings = Booking.objects.filter(patient=patient)
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "patient": patient,
            "title": title,
            "n_bookings": bookings.count(),
            "n_history": Booking.history.model.objects.filter(id__in=bookings.values("pk")).count(),
        }

    def export_view(self, request, object_id):
        """Show what an export holds; on POST, send it as a file and record that it was sent."""
        patient = self._privacy_patient(request, object_id, "bookings.export_patient_data")
        filename = privacy.export_filename(patient)
        if request.method == "POST":
            data = privacy.patient_export(patient=patient, by=request.user)
            response = HttpResponse(
                json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = {
            **self._privacy_context(request, patient, f"Export the data of patient #{patient.pk}"),
            "filename": filename,
            "n_counters": len(privacy.EXPORT_SECTIONS["rate_limit_counters"](patient)),
        }
        return TemplateResponse(request, "admin/bookings/patient/export_confirmation.html", context)

    def erase_view(self, request, object_id):
        """Say exactly what an erase does (or why it can't be done yet); on POST, erase."""
        patient = self._privacy_patient(request, object_id, "bookings.erase_patient_data")
        change_url = reverse("admin:bookings_patient_change", args=[patient.pk])
        if request.method == "POST":
            try:
                erasure = privacy.patient_erase(patient=patient, by=request.user)
            except privacy.ErasureRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                f"Erased the personal data of patient #{patient.pk} and of {erasure.bookings} booking(s) "
                f"({erasure.history_rows} earlier version(s)). The bookings are kept.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self._privacy_context(request, patient, f"Erase the personal data of patient #{patient.pk}"),
            "refusal": None if patient.erased_at else privacy.erase_refusal(patient=patient),
        }
        return TemplateResponse(request, "admin/bookings/patient/erase_confirmation.html", context)

    def reset_no_shows_view(self, request, object_id):
        """Show the count and what a reset does; on POST, reset it (recorded in the admin log)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        patient = self.get_object(request, unquote(object_id))
        if patient is None:
            raise Http404(f"No patient #{object_id}.")
        if request.method == "POST":
            forgiven = patients.patient_reset_no_shows(patient=patient, by=request.user)
            self.message_user(
                request, f"Reset: {forgiven} no-show(s) forgiven. This number can book online again.", messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:bookings_patient_change", args=[patient.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "patient": patient,
            "title": f"Reset the no-shows of patient #{patient.pk}",
            "no_shows": patients.patient_no_show_count(patient=patient),
            "limit": settings.ASPIRE_NO_SHOWS_BEFORE_CALL,
        }
        return TemplateResponse(request, "admin/bookings/patient/reset_no_shows.html", context)

    @admin.display(description="no-shows")
    def no_shows(self, patient):
        return no_shows_html(patient)

    @admin.display(description="bookings", ordering="n_bookings")
    def booking_count(self, patient):
        return patient.n_bookings

    @admin.display(description="sessions attended", ordering="n_attended")
    def sessions_attended(self, patient):
        return patient.n_attended


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: failed messages are the patients to call."""

    list_display = ["created_at", "booking_link", "audience", "channel", "kind", "status", "attempts", "last_error"]
    list_filter = ["status", "channel", "audience", "kind"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference"]
    date_hierarchy = "created_at"
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).filter(booking__slot__clinic__in=selectors.clinics_for(request.user))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bookings.view_booking")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="booking", ordering="booking__reference")
    def booking_link(self, message):
        url = reverse("admin:bookings_booking_change", args=[message.booking_id])
        return format_html('<a href="{}">{}</a>', url, message.booking.reference)


@admin.register(Booking)
class BookingAdmin(
    TamperProofAutocompleteMixin,
    PrivateTitlesMixin,
    PhoneSearchMixin,
    BookingSlotColumnsMixin,
    ScopedHistoryMixin,
    SimpleHistoryAdmin,
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
    list_filter = [
        BookingDayFilter,
        "status",
        ("slot__clinic", ScopedRelatedFilter),
        ("slot__physiotherapist", ScopedRelatedFilter),
        "source",
    ]
    list_select_related = ["slot__clinic", "slot__physiotherapist", "session_type"]
    search_fields = ["reference", "name", "patient__name"]
    actions = ["mark_attended", "mark_no_show", "cancel", "export_csv"]
    list_per_page = 50
    ordering = ["slot__starts_at"]
    history_list_display = ["status", "slot"]
    # The booking's "site" page is the patient's own manage page: a receptionist who opened it would act
    # as the patient (cancel or move with no desk reason, recorded as online). The desk has its own forms.
    view_on_site = False

    form = BookingEditForm
    readonly_fields = [
        "reference", "status", "when_moved", "session_type", "source", "patient_link", "name", "phone", "consent",
        "created_at", "created_by", "checked_in_at", "cancelled_at", "cancel_reason", "attended_at", "no_show_at",
        "move_offered_at", "patient_confirmed_at", "message_states", "patient_no_shows", "safety_screening",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["reference", "status", "when_moved", "session_type", "source"]}),
        ("Patient", {"fields": ["patient_link", "name", "phone", "email", "notes", "consent", "patient_no_shows"]}),
        ("Safety questions", {"fields": ["safety_screening"]}),
        ("Messages", {"fields": ["patient_confirmed_at", "message_states"]}),
        (
            "Record",
            {
                "fields": [
                    "created_at",
                    "created_by",
                    "checked_in_at",
                    "cancelled_at",
                    "cancel_reason",
                    "attended_at",
                    "no_show_at",
                    "move_offered_at",
                ]  # fmt: skip
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(slot__clinic__in=selectors.clinics_for(request.user))

    def add_view(self, request, form_url="", extra_context=None):
        # Booking a caller is the desk's own form, which calls the booking service.
        query = request.GET.urlencode()
        return HttpResponseRedirect(reverse("bookings_booking_add") + (f"?{query}" if query else ""))

    def has_delete_permission(self, request, obj=None):
        # A booking is cancelled, never deleted: the record stays.
        return False

    @admin.display(description="sent")
    def message_states(self, booking):
        """Each message this booking sent and how far it got: who was told what, and who to call."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{timezone.localtime(m.created_at):%d %b %H:%M}",
                    m.get_kind_display(),
                    f"{m.get_channel_display()} to {m.get_audience_display().lower()}",
                    m.get_status_display(),
                    m.last_error,
                )
                for m in booking.messages.order_by("created_at")
            ),
        )
        if not rows:
            return "None yet."
        return format_html(
            '<table class="booking-messages"><thead><tr><th scope="col">Queued</th><th scope="col">Message</th>'
            '<th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Error</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="time")
    def when_moved(self, booking):
        start = timezone.localtime(booking.slot.starts_at)
        text = f"{start:%a %d %b %Y, %H:%M} with {booking.slot.physiotherapist.name} at {booking.slot.clinic.name}"
        if booking.status != BookingStatus.CONFIRMED:
            return text
        return format_html('{} · <a href="{}">Move</a>', text, reverse("bookings_booking_move", args=[booking.pk]))

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

    @admin.display(description="answers")
    def safety_screening(self, booking):
        """The safety answers (health data: this page is only for the staff of the booking's clinic)."""
        try:
            answers = booking.screening
        except SafetyScreening.DoesNotExist:
            return "Not asked (booked by the desk, or before the questions were online)."
        summary = (
            "Talk before needling: a “yes” below."
            if answers.needs_talk
            else "Not answered: ask them at the desk before needling."
            if answers.not_answered
            else "All “no”."
        )
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", screening.readable(answers.answers))
        agreed = timezone.localtime(answers.consented_at)
        consent = f"Consent version {answers.consent_version}, agreed {agreed:%d %b %Y %H:%M}"
        first = "First visit." if answers.first_visit else "Has attended before."
        return format_html(
            '<p class="screening-summary"><strong>{}</strong> {} {}.</p><table class="screening-answers">{}</table>',
            summary,
            first,
            consent,
            rows,
        )

    @admin.display(description="no-shows")
    def patient_no_shows(self, booking):
        return no_shows_html(booking.patient)

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
            except errors.BookingError as exc:
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
        """Ask why first (a page of its own), then cancel each with that reason."""

        form = CancelForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda *, booking: services.booking_cancel(booking=booking, reason=reason),
                "Cancelled",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel bookings",
            "bookings": queryset.with_related(),
            "form": form,
            "opts": self.opts,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/bookings/cancel_bookings.html", context)

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
            writer.writerow([spreadsheet_safe(cell) for cell in row])
        return response


@admin.register(Receptionist)
class ReceptionistAdmin(admin.ModelAdmin):
    """Clinic managers create front-desk logins and choose their clinics (the rules: bookings/desk/staff.py)."""

    form = ReceptionistChangeForm
    add_form = ReceptionistCreateForm
    list_display = ["username", "full_name", "clinic_names", "is_active", "last_login"]
    list_filter = ["is_active", "desk_clinics"]
    search_fields = ["username", "first_name", "last_name"]
    ordering = ["username"]
    actions = ["deactivate"]
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


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    """Each clinic's waitlist, as its desk sees it: who waits for which days, and what they were offered."""

    list_display = ["name", "phone_display", "clinic", "days", "part_of_day", "wants", "status", "created_at"]
    list_filter = ["status", ("clinic", ScopedRelatedFilter), "part_of_day"]
    list_select_related = ["clinic", "physiotherapist"]
    search_fields = ["name", "phone"]
    date_hierarchy = "first_day"
    readonly_fields = [f.name for f in WaitlistEntry._meta.fields if f.name not in ("status",)]
    fields = [
        "clinic", "name", "phone", "email", "session_type", "first_day", "last_day", "part_of_day",
        "physiotherapist", "gender", "status", "created_at",
    ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).filter(clinic__in=selectors.clinics_for(request.user))

    def has_add_permission(self, request):
        return False  # patients join on the site; the desk books a caller straight away

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, obj):
        return obj.phone.as_national if obj.phone else ""

    @admin.display(description="days", ordering="first_day")
    def days(self, obj):
        if obj.first_day == obj.last_day:
            return f"{obj.first_day:%a %d %b}"
        return f"{obj.first_day:%d %b} – {obj.last_day:%d %b}"

    @admin.display(description="with")
    def wants(self, obj):
        if obj.physiotherapist_id:
            return obj.physiotherapist.name
        return obj.get_gender_display() + " therapist" if obj.gender else "Anyone"
