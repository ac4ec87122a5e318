"""Every write to diagnostics and interventions goes through here.

The HTML views, the API and the importer call these functions, so the rules live once. Each
checks the user's rights (PermissionDenied), validates with the model rules (full_clean, whose
messages are translated) and runs in one transaction; history rows record who made the change.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from communes.models import Commune
from cooperatives.models import Organisation
from cooperatives.permissions import can_write_commune
from sectors.models import Ministry

from .locks import only_year, refuse_if_locked
from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from .permissions import can_record_intervention

EDIT_REFUSED = gettext_lazy(
    "This diagnostic is validated and can no longer be changed. Start next year's diagnostic "
    "from it instead.")

# The fields of each diagnostic row a user may set (never `diagnostic` or `id`).
ROW_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    DiagnosticEntry: ("sector", "level", "locality", "problem", "potentials", "need",
                      "priority_rank"),
    ProjectIdea: ("sector", "title", "locality", "cost_estimate", "rank", "year", "status"),
    DiagnosticActor: ("name", "kind", "sector", "role"),
    TerritorialResource: ("kind", "description"),
}
DIAGNOSTIC_FIELDS = ("year", "source")
INTERVENTION_FIELDS = ("ministry", "programme", "filiere", "sector", "start_date", "end_date",
                       "budget")


def _assign(obj: models.Model, fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(obj, name, value)


def _save(obj: models.Model, user) -> None:
    obj._history_user = user
    obj.full_clean()
    obj.save()


def _check_writer(user, diagnostic: TerritorialDiagnostic) -> None:
    if not can_write_commune(user, diagnostic.commune_id):
        raise PermissionDenied


def _locked_status(diagnostic: TerritorialDiagnostic) -> str | None:
    """The diagnostic's status, read while locking its row until the transaction ends (so a
    concurrent validation and edit wait for each other)."""
    return (TerritorialDiagnostic.objects.select_for_update().filter(pk=diagnostic.pk)
            .values_list("status", flat=True).first())


def diagnostic_lock_for_edit(*, user, diagnostic: TerritorialDiagnostic) -> None:
    """Check the user may change the diagnostic and that it is still a draft. Call inside a
    transaction. A diagnostic of a year handed in for sign-off is refused first, saying why."""
    _check_writer(user, diagnostic)
    refuse_if_locked(diagnostic.commune_id, _stored_year(diagnostic))
    if _locked_status(diagnostic) != TerritorialDiagnostic.Status.DRAFT:
        raise ValidationError(EDIT_REFUSED, code="validated")


def _stored_year(diagnostic: TerritorialDiagnostic) -> int:
    return (TerritorialDiagnostic.objects.filter(pk=diagnostic.pk)
            .values_list("year", flat=True).first() or diagnostic.year)


def _check_year_free(diagnostic: TerritorialDiagnostic) -> None:
    taken = (TerritorialDiagnostic.objects.filter(commune_id=diagnostic.commune_id,
                                                  year=diagnostic.year)
             .exclude(pk=diagnostic.pk).exists())
    if taken:
        raise ValidationError({"year": _("This commune already has a diagnostic for %(year)s.")
                               % {"year": diagnostic.year}})


@transaction.atomic
def diagnostic_create(*, user, commune: Commune, year: int,
                      source: str = TerritorialDiagnostic.Source.PCD) -> TerritorialDiagnostic:
    """Start a draft diagnostic for the commune and year (one diagnostic per year)."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    refuse_if_locked(commune.pk, year)
    diagnostic = TerritorialDiagnostic(commune=commune, year=year, source=source)
    _check_year_free(diagnostic)
    _save(diagnostic, user)
    return diagnostic


@transaction.atomic
def diagnostic_update(*, user, diagnostic: TerritorialDiagnostic,
                      **fields) -> TerritorialDiagnostic:
    """Change a draft's year or source."""
    diagnostic_lock_for_edit(user=user, diagnostic=diagnostic)
    _assign(diagnostic, fields, DIAGNOSTIC_FIELDS)
    refuse_if_locked(diagnostic.commune_id, diagnostic.year)
    _check_year_free(diagnostic)
    _save(diagnostic, user)
    return diagnostic


@transaction.atomic
def diagnostic_validate(*, user, diagnostic: TerritorialDiagnostic) -> TerritorialDiagnostic:
    """A CTD agent (or an admin) validates a draft; from then on it feeds the reports and can
    no longer be changed."""
    _check_writer(user, diagnostic)
    refuse_if_locked(diagnostic.commune_id, diagnostic.year)
    if _locked_status(diagnostic) != TerritorialDiagnostic.Status.DRAFT:
        raise ValidationError(_("This diagnostic is already validated."), code="validated")
    if not diagnostic.entries.exists():
        raise ValidationError(_("A diagnostic needs at least one need before it is validated."),
                              code="empty")
    diagnostic.status = TerritorialDiagnostic.Status.VALIDATED
    diagnostic.validated_by = user
    diagnostic.validated_at = timezone.now()
    _save(diagnostic, user)
    return diagnostic


@transaction.atomic
def diagnostic_copy_to_year(*, user, diagnostic: TerritorialDiagnostic, year: int,
                            source: str | None = None) -> TerritorialDiagnostic:
    """Start the commune's diagnostic for `year` as a draft copy of `diagnostic`: its entries,
    project ideas, actors and resources."""
    _check_writer(user, diagnostic)
    refuse_if_locked(diagnostic.commune_id, year)
    copy = TerritorialDiagnostic(commune_id=diagnostic.commune_id, year=year,
                                 source=source or diagnostic.source)
    _check_year_free(copy)
    _save(copy, user)
    for model, fields in ROW_FIELDS.items():
        attnames = [model._meta.get_field(name).attname for name in fields]
        rows = [model(diagnostic=copy, **{a: getattr(row, a) for a in attnames})
                for row in model.objects.filter(diagnostic=diagnostic).order_by("pk")]
        if rows:
            bulk_create_with_history(rows, model, default_user=user)
    return copy


@transaction.atomic
def diagnostic_row_add(*, user, diagnostic: TerritorialDiagnostic, model: type[models.Model],
                       **fields) -> models.Model:
    """Add a row (entry, project idea, actor, resource) to a draft diagnostic."""
    diagnostic_lock_for_edit(user=user, diagnostic=diagnostic)
    row = model(diagnostic=diagnostic)
    _assign(row, fields, ROW_FIELDS[model])
    _save(row, user)
    return row


@transaction.atomic
def diagnostic_row_update(*, user, row: models.Model, **fields) -> models.Model:
    """Change a row of a draft diagnostic."""
    diagnostic_lock_for_edit(user=user, diagnostic=row.diagnostic)
    _assign(row, fields, ROW_FIELDS[type(row)])
    _save(row, user)
    return row


@transaction.atomic
def diagnostic_row_delete(*, user, row: models.Model) -> None:
    """Remove a row from a draft diagnostic (the history keeps it)."""
    diagnostic_lock_for_edit(user=user, diagnostic=row.diagnostic)
    row._history_user = user
    row.delete()


def diagnostic_entry_add(*, user, diagnostic: TerritorialDiagnostic, **fields) -> DiagnosticEntry:
    """Add a need on the PCD grid (sector, level, locality, problem, potentials, need, rank)."""
    return diagnostic_row_add(user=user, diagnostic=diagnostic, model=DiagnosticEntry, **fields)


def diagnostic_entry_update(*, user, entry: DiagnosticEntry, **fields) -> DiagnosticEntry:
    """Change a need of a draft diagnostic."""
    return diagnostic_row_update(user=user, row=entry, **fields)


def diagnostic_entry_delete(*, user, entry: DiagnosticEntry) -> None:
    """Remove a need from a draft diagnostic."""
    diagnostic_row_delete(user=user, row=entry)


@transaction.atomic
def diagnostic_entries_bulk_add(*, user, diagnostic: TerritorialDiagnostic,
                                entries: list[DiagnosticEntry]) -> int:
    """Write entries already validated one by one (by the importer) in one go."""
    diagnostic_lock_for_edit(user=user, diagnostic=diagnostic)
    for entry in entries:
        entry.diagnostic = diagnostic
    bulk_create_with_history(entries, DiagnosticEntry, batch_size=1000, default_user=user)
    return len(entries)


def _subject_errors(intervention: Intervention) -> dict:
    """Filière or sector (at least one); the filière's sector fills or must match the sector."""
    if intervention.filiere_id is None and intervention.sector_id is None:
        return {"sector": [_("Give a filière or a sector.")]}
    if intervention.filiere_id is not None:
        filiere_sector = intervention.filiere.sector_id
        if intervention.sector_id is None:
            intervention.sector_id = filiere_sector
        elif intervention.sector_id != filiere_sector:
            return {"filiere": [_("This filière belongs to another sector than the one "
                                  "given.")]}
    return {}


def _beneficiary_ids(commune_id: int, beneficiaries: Iterable) -> tuple[list[int], dict]:
    ids = sorted({getattr(b, "pk", b) for b in beneficiaries})
    found = set(Organisation.objects.filter(pk__in=ids, commune_id=commune_id)
                .values_list("pk", flat=True))
    strangers = [str(i) for i in ids if i not in found]
    if strangers:
        return ids, {"beneficiaries": [
            _("Beneficiaries must be organisations of the commune; these are not: %(ids)s.")
            % {"ids": ", ".join(strangers)}]}
    return ids, {}


def _clean_intervention(intervention: Intervention, beneficiaries: Iterable | None) -> list[int]:
    """All the intervention's errors at once, or the beneficiary ids to set."""
    errors = _subject_errors(intervention)
    ids: list[int] = []
    if beneficiaries is not None:
        ids, more = _beneficiary_ids(intervention.commune_id, beneficiaries)
        errors.update(more)
    try:
        intervention.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return ids


@transaction.atomic
def intervention_record(*, user, ministry: Ministry, commune: Commune, programme: str,
                        start_date: datetime.date, filiere=None, sector=None,
                        end_date: datetime.date | None = None, budget: int = 0,
                        beneficiaries: Iterable = ()) -> Intervention:
    """Record a ministry's intervention in a commune: analysts their own ministry's anywhere,
    CTD agents any ministry's in their commune. Beneficiaries are organisations (or ids) of
    the commune."""
    if not can_record_intervention(user, commune.pk, ministry.pk):
        raise PermissionDenied
    refuse_if_locked(commune.pk, only_year(start_date, end_date))
    intervention = Intervention(ministry=ministry, commune=commune, programme=programme,
                                filiere=filiere, sector=sector, start_date=start_date,
                                end_date=end_date, budget=budget, recorded_by=user)
    ids = _clean_intervention(intervention, beneficiaries)
    intervention._history_user = user
    intervention.save()
    if ids:
        intervention.beneficiaries.set(ids)  # one more history row, with the beneficiaries
    return intervention


@transaction.atomic
def intervention_update(*, user, intervention: Intervention, beneficiaries: Iterable | None = None,
                        **fields) -> Intervention:
    """Change an intervention (not its commune); the user must be allowed both before and
    after the change (an analyst cannot hand it to another ministry)."""
    stored = Intervention.objects.filter(pk=intervention.pk).values(
        "commune_id", "ministry_id", "start_date", "end_date").get()
    if not can_record_intervention(user, stored["commune_id"], stored["ministry_id"]):
        raise PermissionDenied
    refuse_if_locked(stored["commune_id"], only_year(stored["start_date"], stored["end_date"]))
    _assign(intervention, fields, INTERVENTION_FIELDS)
    if not can_record_intervention(user, intervention.commune_id, intervention.ministry_id):
        raise PermissionDenied
    refuse_if_locked(intervention.commune_id,
                     only_year(intervention.start_date, intervention.end_date))
    ids = _clean_intervention(intervention, beneficiaries)
    if beneficiaries is not None:
        # Set the beneficiaries without history rows of their own, so the save below records
        # the whole change as one row.
        intervention.skip_history_when_saving = True
        try:
            intervention.beneficiaries.set(ids)
        finally:
            del intervention.skip_history_when_saving
    intervention._history_user = user
    intervention.save()
    return intervention
