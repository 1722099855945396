"""Admin widgets that hold against tampered form data."""

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections


class TamperProofAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up as a key when it redraws the
    form: a posted `slot=":"` raised ValueError and `slot=99…9` OverflowError on SQLite, both
    500s (found by tests/bookings/test_hostile_input.py). Values that can't be a key are
    dropped; the field's own error still says what is wrong."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [item for item in value if self._could_be_a_key(item)], attr)

    def _could_be_a_key(self, item) -> bool:
        key = self.field.remote_field.model._meta.pk
        try:
            number = key.to_python(item)
        except (ValidationError, ValueError, TypeError):
            return False
        low, high = connections[self.db or DEFAULT_DB_ALIAS].ops.integer_field_range(key.get_internal_type())
        return low is None or low <= number <= high


class TamperProofAutocompleteMixin:
    """Use the widget above for every autocomplete field of a ModelAdmin or inline."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TamperProofAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
