"""get_FOO_display() from core.choices: the same text as Django's own, in both languages."""

import pytest
from django.db import models
from django.utils import translation

from cooperatives.models import Organisation
from core.choices import ChoiceLabels

CHOICE_FIELDS = [f for f in Organisation._meta.concrete_fields if f.choices]


def test_the_organisation_model_reads_the_kept_labels():
    assert issubclass(Organisation, ChoiceLabels)
    assert {f.name for f in CHOICE_FIELDS} >= {"legal_form", "status",
                                               "last_verification_outcome"}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("field", CHOICE_FIELDS, ids=lambda f: f.name)
def test_every_choice_reads_as_django_writes_it(field, language):
    with translation.override(language):
        for value, _label in field.flatchoices:
            organisation = Organisation(**{field.attname: value})
            ours = getattr(organisation, f"get_{field.name}_display")()
            assert ours == models.Model._get_FIELD_display(organisation, field)
            assert type(ours) is str


def test_labels_follow_the_language_and_unknown_values_read_as_themselves():
    organisation = Organisation(legal_form="scoops", status="not-a-status")
    with translation.override("en"):
        english = organisation.get_legal_form_display()
    with translation.override("fr"):
        french = organisation.get_legal_form_display()
        assert organisation.get_status_display() == "not-a-status"
    assert english != french
    assert english == "SCOOPS (simplified cooperative)"
