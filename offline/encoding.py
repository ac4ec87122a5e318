"""Forms in the browser's POST encoding, and their values compared the way the form reads
them (docs/offline-sync.md): "12.5" and "12.50" are the same number, a filière list in
another order the same set."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import QueryDict

EMPTY = "—"


def query_dict(values: dict) -> QueryDict:
    """An outbox item's `values` (field -> string, or list of strings) as a POST body."""
    data = QueryDict(mutable=True)
    for name, value in values.items():
        if value is None:
            continue
        data.setlist(str(name), [str(v) for v in value] if isinstance(value, list)
                     else [str(value)])
    return data


def well_formed(values) -> bool:
    """A dict of strings (or numbers, or lists of them), as a form posts."""
    scalar = (str, int, float, type(None))
    return isinstance(values, dict) and all(
        isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(x, scalar) for x in v))
        for v in values.values())


def _multiple(field: forms.Field) -> bool:
    return bool(getattr(field.widget, "allow_multiple_selected", False))


def encode(form: forms.BaseForm) -> dict:
    """The unbound form's values as the browser would post them: strings, lists for
    multi-valued fields, unchecked boxes left out."""
    encoded = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                encoded[name] = "on"
        elif _multiple(field):
            encoded[name] = [str(v) for v in value or []]
        elif value is None:
            encoded[name] = ""
        else:
            shown = field.widget.format_value(value)
            encoded[name] = "" if shown is None else str(shown[0] if isinstance(shown, list)
                                                         and shown else shown)
    return encoded


def _raw(field: forms.Field, name: str, values: dict):
    return field.widget.value_from_datadict(query_dict({name: values.get(name)}), {}, name)


def normalised(form: forms.BaseForm, name: str, values: dict):
    """The field's value after its own clean(), comparable with ==; a value the field refuses
    is compared as typed."""
    field = form.fields[name]
    raw = _raw(field, name, values)
    try:
        value = field.clean(raw)
    except ValidationError:
        return ("raw", str(raw).strip())
    if isinstance(value, QuerySet):
        return frozenset(obj.pk for obj in value)
    if isinstance(value, Model):
        return value.pk
    if value in ("", None):
        return None
    return value


def changed_fields(form: forms.BaseForm, before: dict, after: dict) -> list[str]:
    """The form's fields whose value differs between the two encodings."""
    return [name for name in form.fields
            if normalised(form, name, before) != normalised(form, name, after)]


def shown(form: forms.BaseForm, name: str, values: dict) -> str:
    """The field's value as a person reads it (choice labels, names), for the conflict page."""
    field = form.fields[name]
    try:
        value = field.clean(_raw(field, name, values))
    except ValidationError:
        value = values.get(name)
    if isinstance(value, QuerySet):
        return ", ".join(str(obj) for obj in value) or EMPTY
    if value in ("", None, []):
        return EMPTY
    if isinstance(value, Model):
        return str(value)
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        labels = {str(k): v for k, v in field.choices if not isinstance(v, (list, tuple))}
        return str(labels.get(str(value), value))
    if isinstance(value, bool):
        return "✓" if value else EMPTY
    return str(value)
