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
        # per option (about 10 ms for the list's 600 options).
        chosen = {str(v) for v in self.format_value(value)}
        parts = [format_html('<select name="{}"{}>', name,
                             flatatt(self.build_attrs(self.attrs, attrs)))]
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(self._option(v, text, chosen) for v, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, label, chosen))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)

    def _option(self, value, label, chosen: set[str]) -> str:
        text = "" if value is None else str(value)
        selected = ""
        if text in chosen:  # the first option of a value only, as Django's Select
            chosen.discard(text)
            selected = " selected"
        # The standard library's escape, as Django's `escape` calls it, without that
        # function's lazy-string wrapper (about a third of this method's time).
        return f'<option value="{html.escape(text)}"{selected}>{html.escape(str(label))}</option>'


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


def fast_selects(form: forms.BaseForm, cache=None) -> None:
    """Give the form's single-choice selects the fast rendering (same HTML).

    `cache(key, compute)`: where a model choice field's options (value, label) are kept
    between requests (a reference list such as the communes changes rarely: its query and
    360 model instances per page are then read once); the key holds the field's SQL and the
    language, so two querysets or languages never share options."""
    for field in form.fields.values():
        fast = _fast_type(field.widget)
        if fast is None:
            continue
        choices = field.widget.choices
        if cache is not None and isinstance(field, forms.ModelChoiceField):
            key = "choices:" + hashlib.sha256("\x1f".join(
                (str(field.queryset.query), str(field.to_field_name), str(field.empty_label),
                 get_language() or "")).encode()).hexdigest()
            choices = cache(key, lambda field=field: [
                ("" if value == "" else str(value), str(label))
                for value, label in field.choices])
        widget = fast(attrs=field.widget.attrs, choices=choices)
        if fast is FastCSVSelect:
            widget.surrogate = field.widget.surrogate
        widget.is_required = field.widget.is_required
        field.widget = widget
