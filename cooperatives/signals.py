"""The registry's signals and its own receivers.

`organisations_bulk_changed` is sent inside a bulk write's transaction (an import, a
merge) once organisations were written in bulk (no `post_save` for those rows): listeners
refresh what depends on the communes' registries. The receivers here renew the freshness
stamps (cooperatives.freshness) on every write to organisations, their filières, roles,
accounts and reference data, and mark the open-data files stale (tasks.open_data_changed);
upper apps connect their own receivers.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal

from communes.models import Commune, Department, Region
from communes.signals import territory_bulk_changed
from sectors.models import Filiere, Ministry, Sector

from . import summaries
from .freshness import renew, renew_roles
from .models import (
    Organisation,
    OrganisationFiliere,
    ProjectTerritory,
    RoleAssignment,
    TerritoryMembership,
)

organisations_bulk_changed = Signal()  # kwargs: commune_ids


def _pcodes(commune_ids: Iterable[int]) -> list[str]:
    ids = {c for c in commune_ids if c}
    return list(Commune.objects.filter(pk__in=ids).values_list("pcode", flat=True)) if ids else []


def remember_old_commune(sender, instance, raw=False, **kwargs) -> None:
    """Before an organisation is saved: its stored commune, in case the save moves it."""
    if raw or instance.pk is None:
        return
    instance._freshness_old_commune = (sender.objects.filter(pk=instance.pk)
                                       .values_list("commune_id", flat=True).first())


def _open_data_changed() -> None:
    from .tasks import open_data_changed  # imports the open-data modules, which read models

    open_data_changed()


def _changed(pcodes: list[str]) -> None:
    """These communes' figures changed: their aggregates' summaries are out of date (marked
    in the writing transaction) and their cached figures retired."""
    summaries.mark_pcodes(pcodes)
    _open_data_changed()
    renew(pcodes)


def _organisations_created() -> None:
    from .tasks import organisations_created

    organisations_created()


def on_organisation_change(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    if kwargs.get("created"):
        _organisations_created()
    _changed(_pcodes([instance.commune_id, getattr(instance, "_freshness_old_commune", None)]))


def on_filiere_change(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    _changed(_pcodes(Organisation.objects.filter(pk=instance.organisation_id)
                     .values_list("commune_id", flat=True)))


def on_bulk_change(sender, commune_ids, **kwargs) -> None:
    _organisations_created()  # an import's new organisations
    _changed(_pcodes(commune_ids))
    renew_roles()  # a merge hands the dropped organisation's representatives to the kept one


def on_roles_change(sender, raw=False, **kwargs) -> None:
    if not raw:
        renew_roles()


def on_reference_change(sender, raw=False, **kwargs) -> None:
    if not raw:
        summaries.mark_all()  # a filière may have moved to another sector or ministry
        _open_data_changed()
        renew(reference=True)


def on_project_territory_change(sender, raw=False, **kwargs) -> None:
    """Territory aggregates (level=territory) read the members of active territories."""
    if not raw:
        renew()


def connect() -> None:
    """Connect the freshness receivers (called by CooperativesConfig.ready)."""
    uid = "freshness"
    pre_save.connect(remember_old_commune, sender=Organisation, dispatch_uid=f"{uid}-pre")
    for signal in (post_save, post_delete):
        signal.connect(on_organisation_change, sender=Organisation, dispatch_uid=f"{uid}-org")
        signal.connect(on_filiere_change, sender=OrganisationFiliere,
                       dispatch_uid=f"{uid}-filiere")
        for model in (RoleAssignment, get_user_model()):
            signal.connect(on_roles_change, sender=model, dispatch_uid=f"{uid}-{model.__name__}")
        for model in (Region, Department, Commune, Ministry, Sector, Filiere):
            signal.connect(on_reference_change, sender=model,
                           dispatch_uid=f"{uid}-{model.__name__}")
        for model in (ProjectTerritory, TerritoryMembership):
            signal.connect(on_project_territory_change, sender=model,
                           dispatch_uid=f"{uid}-{model.__name__}")
    organisations_bulk_changed.connect(on_bulk_change, dispatch_uid=f"{uid}-bulk")
    territory_bulk_changed.connect(on_reference_change, dispatch_uid=f"{uid}-territory")
