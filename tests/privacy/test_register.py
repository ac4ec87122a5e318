"""The register of personal data (core/personal_data.py) stays complete and true.

Every concrete model of our apps is read, simple_history's `Historical<Model>` tables
included (a field of a history table is covered when its model's field is): a field whose
name or verbose name (English or French) looks like data about a person must sit in an
Entry of REGISTER or in NOT_PERSONAL with the reason it is not. No database is needed.
"""

import re
from collections.abc import Iterable

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.utils import translation

from core.personal_data import NOT_PERSONAL, REGISTER, Basis

PROJECT_APPS = ("core", "accounts", "communes", "sectors", "cooperatives", "diagnostics",
                "reports", "operations", "privacy", "offline")

LOOKS_PERSONAL = re.compile(
    r"person|first_?name|last_?name|full_?name|surname|(?:^|_|\b)name(?:_|\b|$)|\bnoms?\b"
    r"|pr[ée]nom|contact|phone|t[ée]l[ée]phone|mobile|whatsapp|e_?-?mail|courriel|address"
    r"|adresse|birth|naissance|id_card|\bcni\b|passport|signature",
    re.IGNORECASE)

# Entries whose model another branch is building: each must still be missing (the test
# below fails once it lands, asking to remove it from here so its fields are checked).
PENDING: dict[str, str] = {}  # entries whose model has not landed yet, with the reason

REGISTERED = {f"{e.model}.{name}" for e in REGISTER for name in e.fields}


def _base_model(model: type[models.Model]) -> type[models.Model]:
    """The model a simple_history table copies (`instance_type`), or the model itself."""
    return getattr(model, "instance_type", model)


def _verbose_names(field: models.Field) -> tuple[str, ...]:
    names = []
    for language in ("en", "fr"):
        with translation.override(language):
            names.append(str(getattr(field, "verbose_name", "")))
    return tuple(names)


def unregistered(model_classes: Iterable[type[models.Model]]) -> list[str]:
    """Labels ("app.Model.field") of the fields that look personal and are in neither
    REGISTER nor NOT_PERSONAL; a history table's field is named by its model's label."""
    found = []
    for model in model_classes:
        base = _base_model(model)._meta.label
        for field in model._meta.concrete_fields:
            label = f"{base}.{field.name}"
            texts = (field.name, *_verbose_names(field))
            if (any(LOOKS_PERSONAL.search(text) for text in texts)
                    and label not in REGISTERED and label not in NOT_PERSONAL):
                found.append(label)
    return sorted(set(found))


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def test_it_registers_every_field_that_looks_personal():
    missing = unregistered(project_models())
    assert not missing, (
        f"{', '.join(missing)}: looks like personal data. Add it to an Entry of REGISTER in "
        "core/personal_data.py (purpose, legal basis, readers, retention), or to NOT_PERSONAL "
        "there with the reason it holds no data about a person.")


def test_it_reads_the_history_tables_too():
    history = [m for m in project_models() if m is not _base_model(m)]
    labels = {m._meta.label for m in history}
    assert {"cooperatives.HistoricalOrganisation", "cooperatives.HistoricalBureauMember",
            "diagnostics.HistoricalDiagnosticActor"} <= labels


@isolate_apps("privacy")
def test_it_reports_a_new_field_that_looks_personal():
    class Owner(models.Model):
        owner_phone = models.CharField(max_length=20)
        reach = models.CharField("date of birth", max_length=20)
        members_total = models.PositiveIntegerField()

        class Meta:
            app_label = "privacy"

        def __str__(self):
            return self.owner_phone

    assert unregistered([Owner]) == ["privacy.Owner.owner_phone", "privacy.Owner.reach"]


def test_it_covers_a_history_field_through_its_model():
    history = apps.get_model("cooperatives", "HistoricalOrganisation")
    assert "contact_phone" in {f.name for f in history._meta.concrete_fields}
    assert unregistered([history]) == []


@pytest.mark.parametrize("entry", REGISTER, ids=lambda e: e.code)
def test_it_names_existing_models_and_fields(entry):
    if entry.code in PENDING:
        with pytest.raises(LookupError):
            apps.get_model(entry.model)
        return
    model = apps.get_model(entry.model)
    for name in entry.fields:
        model._meta.get_field(name)  # FieldDoesNotExist names the field
    for copy in entry.copies:
        app_model, name = copy.rsplit(".", 1)
        apps.get_model(app_model)._meta.get_field(name)


@pytest.mark.parametrize("entry", REGISTER, ids=lambda e: e.code)
def test_it_keeps_history_where_the_entry_says(entry):
    if entry.code in PENDING:
        return
    app_label, name = entry.model.split(".")
    history = f"Historical{name}" in {m.__name__ for m in apps.get_app_config(
        app_label).get_models()}
    assert history == entry.history


def test_it_gives_each_entry_a_unique_code_usable_as_an_anchor():
    codes = [e.code for e in REGISTER]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z_]*", code) for code in codes)


@pytest.mark.parametrize("entry", REGISTER, ids=lambda e: e.code)
def test_it_gives_each_entry_a_valid_basis_and_a_reason_to_refuse(entry):
    assert entry.basis in Basis.values
    assert entry.fields and entry.category and entry.purpose and entry.readers
    assert entry.retention
    assert bool(entry.refusal) == (not entry.erasable)


def test_it_names_only_existing_fields_as_not_personal():
    for label in NOT_PERSONAL:
        app_model, name = label.rsplit(".", 1)
        apps.get_model(app_model)._meta.get_field(name)
        assert label not in REGISTERED, f"{label} is both registered and not personal"
