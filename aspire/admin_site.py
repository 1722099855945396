"""Django's admin site, opened only to a session that passed the second factor
(aspire/second_factor.py), with every model's admin (ours and other apps') refusing
query strings that only a hand-typed URL sends, instead of answering 500.

Django's changelist takes a lookup on any field of the model from the query string,
whatever the page offers: `?name__regex=(` fails in PostgreSQL, `?created_at__year=99999`
in Python, both as a 500 (and `?password__startswith=` on users is an oracle). Here a
changelist filters only by its list filters and date hierarchy: anything else is 400.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.core.exceptions import BadRequest, FieldDoesNotExist, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path

from aspire import second_factor

# The lookups Django's own field list filters put in their links (exact choices, yes/no/unknown, date ranges).
FIELD_FILTER_LOOKUPS = frozenset({"exact", "isnull", "gte", "lt", "isempty"})


class BoundedChangeList(ChangeList):
    """A changelist whose date values at the ends of the calendar are wacky lookups, as Django's other bad values.

    A date hierarchy on 9999-12-31 (its next day) or on year 1 (in UTC, the year before) is beyond
    what Python's dates hold: OverflowError, where Django expects only ValueError.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            super().get_results(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class OfferedLookupsOnlyMixin:
    """Filter a changelist only by what its page offers; refuse any other lookup (400)."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def response_action(self, request, queryset):
        # Django filters by the ticked rows' ids as sent: a non-number was a ValueError (500).
        try:
            for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(pk)
        except ValidationError:
            raise BadRequest("The selected rows are not ids.") from None
        return super().response_action(request, queryset)

    def lookup_allowed(self, lookup, value, request):
        return super().lookup_allowed(lookup, value, request) and (
            self._offered_lookup(lookup, request) or self._popup_lookup(lookup, value)
        )

    def _offered_lookup(self, lookup: str, request) -> bool:
        hierarchy = self.date_hierarchy
        if hierarchy and lookup in {f"{hierarchy}__year", f"{hierarchy}__month", f"{hierarchy}__day"}:
            return True
        for list_filter in self.get_list_filter(request):
            if isinstance(list_filter, (tuple, list)):
                list_filter = list_filter[0]
            if not isinstance(list_filter, str):
                # A filter class (its own query parameter) or a model field.
                name = getattr(list_filter, "parameter_name", None) or getattr(list_filter, "name", None)
                if lookup == name:
                    return True
                if not hasattr(list_filter, "attname"):
                    continue
                list_filter = list_filter.name
            if lookup.startswith(f"{list_filter}__") and self._field_filter_lookup(list_filter, lookup):
                return True
        return False

    def _field_filter_lookup(self, path: str, lookup: str) -> bool:
        rest = lookup.removeprefix(f"{path}__")
        if rest in FIELD_FILTER_LOOKUPS:
            return True
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return False
        target = getattr(field, "target_field", None)
        return target is not None and rest == f"{target.name}__exact"

    def _popup_lookup(self, lookup: str, value) -> bool:
        # A related-object popup narrows the list by the foreign key's limit_choices_to (as Django allows).
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False


class HistoryMixin:
    """simple-history's pages for an id that is not a number (of the object, of the version): 404, not a 500."""

    def _ids_or_404(self, object_id, version_id=None) -> None:
        from simple_history.utils import get_history_model_for_model

        try:
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                get_history_model_for_model(self.model)._meta.pk.to_python(version_id)
        except ValidationError:
            raise Http404 from None

    def history_view(self, request, object_id, extra_context=None):
        self._ids_or_404(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._ids_or_404(object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class AdminSite(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and second_factor.passed(request)

    def login(self, request, extra_context=None):
        if request.method == "GET" and second_factor.awaiting(request):
            return HttpResponseRedirect(second_factor.step_url(request))  # it has "Not you? Sign out"
        response = super().login(request, extra_context)
        # The password was right: the second factor comes next, on its own page. (A wrong one shows
        # the form again, whoever else signed in at this computer before.)
        if response.status_code == 302 and second_factor.awaiting(request):
            return HttpResponseRedirect(second_factor.step_url(request))
        return response

    def get_urls(self):
        return [
            path("second-factor/", second_factor.second_factor, name="second_factor"),
            path("second-factor/recovery-codes/", second_factor.recovery_codes, name="second_factor_recovery"),
            *super().get_urls(),
        ]

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, OfferedLookupsOnlyMixin):
            mixins = [OfferedLookupsOnlyMixin]
            if hasattr(admin_class, "history_form_view"):
                mixins.insert(0, HistoryMixin)
            admin_class = type(admin_class.__name__, (*mixins, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)
