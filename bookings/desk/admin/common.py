"""
What the desk's admin pages share: scoping to the clinics a member of staff runs, service
refusals shown as messages, day and phone search, CSV cells safe from formula injection.
"""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from bookings import errors
from bookings.desk import selectors
from bookings.models import (
    Clinic,
    Patient,
    Physiotherapist,
    Slot,
)
from bookings.phones import try_normalize_phone
from bookings.timeutils import day_bounds, local_today

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


class BookingRecordsMixin:
    """
    A read-only list of what the site wrote about bookings (the outbox's messages, the deposits'
    payments): seen with view_booking, for the bookings of the user's own clinics, never added,
    changed or deleted by hand.
    """

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
