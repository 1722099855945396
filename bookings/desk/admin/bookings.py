"""
Bookings, patients, their messages and the waitlist in the admin: the desk's lists, actions
(attended, no-show, cancel, CSV) and a patient's history, export and erasure.
"""

import csv
import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from bookings import errors
from bookings.booking import patients, privacy, screening, services
from bookings.desk import selectors
from bookings.desk.admin.common import (
    BookingRecordsMixin,
    DayFilter,
    PhoneSearchMixin,
    PrivateTitlesMixin,
    ScopedHistoryMixin,
    ScopedRelatedFilter,
    spreadsheet_safe,
)
from bookings.desk.admin.deposits import BookingDepositMixin
from bookings.desk.forms import (
    BookingEditForm,
    CancelForm,
    PatientForm,
)
from bookings.desk.widgets import TamperProofAutocompleteMixin
from bookings.models import (
    Booking,
    BookingStatus,
    Message,
    Patient,
    SafetyScreening,
    WaitlistEntry,
)
from bookings.timeutils import desk_day, local_today


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _int_or_none(object_id: str) -> int | None:
    try:
        return int(unquote(object_id))
    except ValueError:
        return None


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
        start = timezone.localtime(booking.slot.starts_at)
        return f"{desk_day(start)}, {start:%H:%M}"


def household_html(*, patient_id: int | None, visible) -> str:
    """
    The other people the patient's phone number books for (of the `visible` patients: what
    this desk may see), each with their upcoming sessions: a family on one phone, told
    apart by name. One query, from the patient's id alone.
    """
    if patient_id is None:
        return ""
    others = (
        visible.filter(contact__people__pk=patient_id, erased_at__isnull=True)
        .exclude(pk=patient_id)
        .annotate(
            upcoming=Count(
                "bookings",
                filter=Q(bookings__status=BookingStatus.CONFIRMED, bookings__slot__starts_at__gt=timezone.now()),
            )
        )
        .order_by("name")
    )
    rows = format_html_join(
        ", ",
        '<a href="{}">{}</a>{} ({} upcoming)',
        (
            (
                reverse("admin:bookings_patient_change", args=[other.pk]),
                other.name,
                f", {other.get_relation_display().lower()}" if other.relation else "",
                other.upcoming,
            )
            for other in others
        ),
    )
    return rows or "Nobody else books with this number."


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
    list_select_related = ["contact"]
    search_fields = ["name", "email"]
    phone_search_field = "contact__phone"
    readonly_fields = ["phone_display", "relation", "created_at", "no_shows"]
    fields = ["name", "phone_display", "relation", "email", "notes", "no_shows", "created_at"]
    inlines = [BookingInline]
    form = PatientForm

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

    @admin.display(description="phone", ordering="contact__phone")
    def phone_display(self, patient):
        return patient.contact.phone.as_national if patient.contact.phone else ""

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
            "household": household_html(
                patient_id=_int_or_none(object_id), visible=selectors.patients_for(request.user)
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/export/", view(self.export_view), name="bookings_patient_export"),
            path("<path:object_id>/erase/", view(self.erase_view), name="bookings_patient_erase"),
            path(
                "<path:object_id>/export-number/", view(self.export_number_view), name="bookings_patient_export_number"
            ),
            path("<path:object_id>/erase-number/", view(self.erase_number_view), name="bookings_patient_erase_number"),
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
            return _json_download(privacy.patient_export(patient=patient, by=request.user), filename)
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
            "n_others": patient.contact.people.filter(erased_at__isnull=True).exclude(pk=patient.pk).count(),
        }
        return TemplateResponse(request, "admin/bookings/patient/erase_confirmation.html", context)

    def export_number_view(self, request, object_id):
        """The export of the patient's phone number and everyone it books for (a household's own data)."""
        patient = self._privacy_patient(request, object_id, "bookings.export_patient_data")
        contact = patient.contact
        filename = privacy.export_filename(contact)
        if request.method == "POST":
            return _json_download(privacy.contact_export(contact=contact, by=request.user), filename)
        context = {
            **self._privacy_context(request, patient, f"Export the data of phone number #{contact.pk}"),
            "contact": contact,
            "filename": filename,
            "n_people": contact.people.count(),
        }
        return TemplateResponse(request, "admin/bookings/patient/number_export_confirmation.html", context)

    def erase_number_view(self, request, object_id):
        """Erase the patient's phone number and everyone it books for, all or nothing."""
        patient = self._privacy_patient(request, object_id, "bookings.erase_patient_data")
        contact = patient.contact
        if request.method == "POST":
            try:
                erasures = privacy.contact_erase(contact=contact, by=request.user)
            except privacy.ErasureRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                f"Erased phone number #{contact.pk} and the personal data of {len(erasures)} people it booked for. "
                "The bookings are kept.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:bookings_patient_change", args=[patient.pk]))
        people = list(contact.people.filter(erased_at__isnull=True).order_by("pk"))
        context = {
            **self._privacy_context(request, patient, f"Erase phone number #{contact.pk}"),
            "contact": contact,
            "people": people,
            "n_people": len(people),
            "refusal": privacy.contact_erase_refusal(contact=contact),
        }
        return TemplateResponse(request, "admin/bookings/patient/number_erase_confirmation.html", context)

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
class MessageAdmin(BookingRecordsMixin, admin.ModelAdmin):
    """The outbox, read-only: failed messages are the patients to call."""

    list_display = ["created_at", "booking_link", "audience", "channel", "kind", "status", "attempts", "last_error"]
    list_filter = ["status", "channel", "audience", "kind"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference"]
    date_hierarchy = "created_at"
    list_per_page = 100

    @admin.display(description="booking", ordering="booking__reference")
    def booking_link(self, message):
        url = reverse("admin:bookings_booking_change", args=[message.booking_id])
        return format_html('<a href="{}">{}</a>', url, message.booking.reference)


@admin.register(Booking)
class BookingAdmin(
    BookingDepositMixin,
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
        "reference", "status", "when_moved", "session_type", "source", "patient_link", "name", "phone", "same_phone",
        "consent",
        "created_at", "created_by", "checked_in_at", "cancelled_at", "cancel_reason", "attended_at", "no_show_at",
        "move_offered_at", "patient_confirmed_at", "message_states", "patient_no_shows", "safety_screening",
        *BookingDepositMixin.deposit_fields,
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["reference", "status", "when_moved", "session_type", "source"]}),
        ("Fee and deposit", {"fields": BookingDepositMixin.deposit_fields}),
        (
            "Patient",
            {
                "fields": [
                    "patient_link",
                    "name",
                    "phone",
                    "same_phone",
                    "email",
                    "notes",
                    "consent",
                    "patient_no_shows",
                ]  # fmt: skip
            },
        ),
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
        start, slot = timezone.localtime(booking.slot.starts_at), booking.slot
        text = f"{desk_day(start)}, {start:%H:%M} with {slot.physiotherapist.name} at {slot.clinic.name}"
        if not services.can_move(booking):
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
        consent = f"Consent version {answers.consent_version}, agreed {desk_day(agreed)}, {agreed:%H:%M}"
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

    @admin.display(description="same phone")
    def same_phone(self, booking):
        """The household: who else this number books for, of the patients of this booking's clinic."""
        at_this_clinic = Booking.objects.filter(slot__clinic_id=booking.slot.clinic_id).values("patient_id")
        return household_html(patient_id=booking.patient_id, visible=Patient.objects.filter(pk__in=at_this_clinic))

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
