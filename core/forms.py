"""Putting a service's ValidationError on an HTML form, the same way on every page."""

import hashlib
import html

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db.models import UniqueConstraint
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django_filters.widgets import BaseCSVWidget


def add_service_errors(form: forms.BaseForm, error: ValidationError, *, model=None) -> None:
    """Each message next to its field when the form has that field; above the form
    otherwise, prefixed with the field's label when it names one. `model` (default: the
    form's model) moves a conditional unique constraint's message next to its field."""
    model = model or getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        error = on_unique_fields(model, error)
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = name if name in form.fields else None
        for item in errors:
            form.add_error(target, item if target or name == NON_FIELD_ERRORS else
                           ValidationError(f"{_label(model, name)}: {' '.join(item.messages)}"))


def _label(model, name: str) -> str:
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except (AttributeError, FieldDoesNotExist):  # no model, or not its field: the raw name
        return name


def on_unique_fields(model, error: ValidationError) -> ValidationError:
    """Move a single-field unique constraint's message (which Django raises for the whole
    form when the constraint has a condition, like the RSC number's) next to its field."""
    fields = {str(c.get_violation_error_message()): c.fields[0]
              for c in model._meta.constraints
              if isinstance(c, UniqueConstraint) and len(c.fields) == 1}
    if not hasattr(error, "error_dict"):
        error = ValidationError({NON_FIELD_ERRORS: error.error_list})
    moved: dict[str, list] = {}
    for name, errors in error.error_dict.items():
        for item in errors:
            target = fields.get(str(item.message)) if name == NON_FIELD_ERRORS else None
            moved.setdefault(target or name, []).append(item)
    return ValidationError(moved)


class FastSelect(forms.Select):
    """The HTML of Django's `Select`, built in Python. A list's filter form holds hundreds of
    options (360 communes, 90 filières); Django renders each option through a template, which
    cost about 70 ms of every organisation list page at national size."""

    @property
    def choices(self):
        return self._choices

    @choices.setter
    def choices(self, value):
        # Given already normalised (a field's choices or the cached pairs of
        # `fast_selects`): kept as they are. Django's setter walks every option again on
        # each page (the list's 600 options: about 1.5 ms).
        self._choices = value

    def render(self, name, value, attrs=None, renderer=None):
        # Straight from the choices: Django's `optgroups` builds a dictionary of attributes
        # per option (about 10 ms for the list's 600 options). The options without a choice
        # are written once per list of choices (`_options`, by their texts), then the chosen
        # value's first option is marked, as Django's Select marks it.
        options = _options(self.choices)
        for text in dict.fromkeys(str(v) for v in self.format_value(value)):
            plain = f'<option value="{html.escape(text)}">'
            options = options.replace(plain, f'<option value="{html.escape(text)}" selected>', 1)
        start = format_html('<select name="{}"{}>', name,
                            flatatt(self.build_attrs(self.attrs, attrs)))
        return mark_safe(f"{start}{options}</select>")  # noqa: S308 (every value is escaped)


# Options written, by the texts of the choices: the list's selects show the same options on
# every page (360 communes, 90 filières), about 1 µs an option to write again. Bounded: the
# oldest entry goes when it is full.
_WRITTEN: dict[tuple, str] = {}
_WRITTEN_KEPT = 64


def _options(choices) -> str:
    """The options' HTML, none selected. Kept when the choices are a plain list without
    groups, under their texts as written (so True and 1, equal in Python, stay apart)."""
    key = None
    if type(choices) is list and not any(isinstance(label, (list, tuple))
                                         for _value, label in choices):
        key = tuple(("" if value is None else str(value), str(label))
                    for value, label in choices)
        written = _WRITTEN.get(key)
        if written is not None:
            return written
    parts = []
    for option_value, label in choices:
        if isinstance(label, (list, tuple)):
            parts.append(format_html('<optgroup label="{}">', option_value))
            parts.extend(_option(v, text) for v, text in label)
            parts.append("</optgroup>")
        else:
            parts.append(_option(option_value, label))
    written = "".join(parts)
    if key is not None:
        if len(_WRITTEN) >= _WRITTEN_KEPT:  # (pop: another thread may have dropped it)
            _WRITTEN.pop(next(iter(_WRITTEN), None), None)
        _WRITTEN[key] = written
    return written


def _option(value, label) -> str:
    # The standard library's escape, as Django's `escape` calls it, without that function's
    # lazy-string wrapper (about a third of this function's time).
    text = "" if value is None else str(value)
    return f'<option value="{html.escape(text)}">{html.escape(str(label))}</option>'


class FastCSVSelect(BaseCSVWidget, FastSelect):
    """django-filter's select of a comma-separated filter (the list's ordering), drawn by
    `FastSelect`: one value as that select, several as django-filter's text input."""


def _fast_type(widget: forms.Widget) -> type[forms.Select] | None:
    kind = type(widget)
    if kind is forms.Select:
        return FastSelect
    if kind.__bases__ == (BaseCSVWidget, forms.Select):  # django-filter's CSVSelect
        return FastCSVSelect
    return None


def fast_selects(form: forms.BaseForm, cache_many=None) -> None:
    """Give the form's single-choice selects the fast rendering (same HTML).

    `cache_many({key: compute})`: where the model choice fields' options (value, label) are
    kept between requests, all read at once (a reference list such as the communes changes
    rarely: its query and 360 model instances per page are then read once); each key holds
    its field's SQL and the language, so two querysets or languages never share options."""
    fields = {}
    for field in form.fields.values():
        fast = _fast_type(field.widget)
        if fast is not None:
            fields[field] = (fast, field.widget.choices)
    if cache_many is not None:
        keys = {field: "choices:" + hashlib.sha256("\x1f".join(
            (str(field.queryset.query), str(field.to_field_name), str(field.empty_label),
             get_language() or "")).encode()).hexdigest()
            for field in fields if isinstance(field, forms.ModelChoiceField)}
        options = cache_many({key: lambda field=field: [
            ("" if value == "" else str(value), str(label)) for value, label in field.choices]
            for field, key in keys.items()})
        for field, key in keys.items():
            fields[field] = (fields[field][0], options[key])
    for field, (fast, choices) in fields.items():
        widget = fast(attrs=field.widget.attrs, choices=choices)
        if fast is FastCSVSelect:
            widget.surrogate = field.widget.surrogate
        widget.is_required = field.widget.is_required
        field.widget = widget
