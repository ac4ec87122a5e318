"""After a change in a commune commits, queue that commune's two reports (coalesced).

The lower apps never import this one: this app listens to their models' signals (connected
from ReportsConfig.ready)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from cooperatives.models import CooperationLink, Organisation
from cooperatives.signals import organisations_bulk_changed
from diagnostics.models import DiagnosticEntry, Intervention, TerritorialDiagnostic
from support.models import Enrolment, Programme

from .tasks import queue_commune_reports


def _queue(commune_ids) -> None:
    for commune_id in sorted({c for c in commune_ids if c}):
        transaction.on_commit(lambda c=commune_id: queue_commune_reports(c))


def _communes_of(instance) -> list[int]:
    if isinstance(instance, Organisation | Intervention | TerritorialDiagnostic):
        return [instance.commune_id]
    if isinstance(instance, CooperationLink):
        return list(Organisation.objects.filter(pk__in=[instance.source_id, instance.target_id])
                    .values_list("commune_id", flat=True))
    if isinstance(instance, Programme):
        return list(instance.communes.values_list("pk", flat=True)) if instance.pk else []
    if isinstance(instance, Enrolment):
        return list(Organisation.objects.filter(pk=instance.organisation_id)
                    .values_list("commune_id", flat=True))
    if isinstance(instance, DiagnosticEntry):
        return list(TerritorialDiagnostic.objects.filter(pk=instance.diagnostic_id)
                    .values_list("commune_id", flat=True))
    return []


def on_change(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _queue(_communes_of(instance))


def on_programme_communes(sender, instance, action, pk_set=None, reverse=False, **kwargs):
    """A programme covering more or fewer communes changes the figures of those communes."""
    if action in ("post_add", "post_remove") and not reverse and pk_set:
        _queue(pk_set)


def on_bulk_change(sender, commune_ids, **kwargs) -> None:
    """Imports and merges write in bulk (no post_save): refresh their communes too."""
    _queue(commune_ids)


def connect() -> None:
    organisations_bulk_changed.connect(on_bulk_change, dispatch_uid="reports-bulk-change")
    for model in (Organisation, CooperationLink, TerritorialDiagnostic, DiagnosticEntry,
                  Intervention, Programme, Enrolment):
        post_save.connect(on_change, sender=model, dispatch_uid=f"reports-save-{model.__name__}")
        post_delete.connect(on_change, sender=model,
                            dispatch_uid=f"reports-delete-{model.__name__}")
    m2m_changed.connect(on_change, sender=Intervention.beneficiaries.through,
                        dispatch_uid="reports-beneficiaries")
    m2m_changed.connect(on_programme_communes, sender=Programme.communes.through,
                        dispatch_uid="reports-programme-communes")
