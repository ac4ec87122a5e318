"""Choice labels read from a dictionary kept per field and language.

Django's `get_FOO_display()` rebuilds a dictionary of the field's choices on every call,
hashing each lazy label (a translation per choice): an organisation list of 50 rows calls it
150 times, about 3 ms of the page. `ChoiceLabels` gives a model the same method from a
dictionary built once per field and language."""

from django.db import models
from django.utils.translation import get_language

_LABELS: dict[tuple[models.Field, str | None], dict] = {}


def choice_labels(field: models.Field) -> dict:
    """{stored value: label as text in the active language} of a field with choices."""
    key = (field, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in field.flatchoices}
    return labels


class ChoiceLabels(models.Model):
    """A model whose `get_FOO_display()` reads `choice_labels` (same text as Django's: the
    label of the stored value, or the value itself when it is not one of the choices)."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            return choice_labels(field).get(value, value)
        except TypeError:  # a value that cannot be a dictionary key: Django's own way
            return super()._get_FIELD_display(field)
