"""The territory and the taxonomy a page of organisations names, shared by every list page.

An organisation on a list shows its commune (with its department and region) and its
filières (with their sector and ministry). Joined to each row, these few hundred reference
rows were built again for every organisation of every page: an API page of 50 organisations
built about 400 such instances (Filiere, Sector, Ministry, Commune, Department, Region) from
joined columns. Here they are read once per process, and kept while the reference data's
stamp (`freshness.REFERENCE`, renewed by every change to a region, department, commune,
ministry, sector or filière) is unchanged; `attach` hands them to a page's organisations.

The instances are shared between requests: readers must not change them (list pages and
serializers only read their names and codes). Communes are read without their outline.
"""

from collections import defaultdict
from dataclasses import dataclass

from communes.models import Commune
from sectors.models import Filiere

from . import freshness
from .models import Organisation, OrganisationFiliere


@dataclass(frozen=True)
class Reference:
    communes: dict[int, Commune]
    filieres: dict[int, Filiere]


_kept: tuple[str, Reference] | None = None


def reference() -> Reference:
    """Every commune (department and region loaded, outline deferred) and filière (sector
    and ministry loaded), by id: read again when the reference stamp changed, and on every
    call when the cache cannot be reached (no stamp to trust)."""
    global _kept
    stamp = freshness.reference_stamp()
    if stamp is not None and _kept is not None and _kept[0] == stamp:
        return _kept[1]
    read = Reference(communes=_communes(), filieres=_filieres())
    if stamp is not None:
        _kept = (stamp, read)
    return read


def _communes(ids=None) -> dict[int, Commune]:
    communes = Commune.objects.select_related("department__region").defer("boundary")
    if ids is not None:
        communes = communes.filter(pk__in=ids)
    return {c.pk: c for c in communes}


def _filieres(ids=None) -> dict[int, Filiere]:
    filieres = Filiere.objects.select_related("sector__ministry")
    if ids is not None:
        filieres = filieres.filter(pk__in=ids)
    return {f.pk: f for f in filieres}


def attach(organisations, *, filieres_to: str | None = None) -> None:
    """Give each organisation its commune and primary filière from `reference()` (as
    `select_related` would), and with `filieres_to`, the list of its filières sorted by code
    under that attribute (as a `Prefetch(to_attr=...)` would; one query). A commune or
    filière created since the reference was read is read for this page alone.
    `organisations`: a list, or a page (whose rows are then read into its list)."""
    organisations = list(organisations)
    if not organisations:
        return
    read = reference()
    communes, filieres = read.communes, read.filieres
    memberships: dict[int, list[int]] = defaultdict(list)
    if filieres_to is not None:
        pairs = OrganisationFiliere.objects.filter(
            organisation_id__in=[o.pk for o in organisations]).values_list(
            "organisation_id", "filiere_id")
        for organisation_id, filiere_id in pairs:
            memberships[organisation_id].append(filiere_id)
    missing_communes = {o.commune_id for o in organisations} - communes.keys()
    missing_filieres = ({o.primary_filiere_id for o in organisations}
                        | {f for ids in memberships.values() for f in ids}) - filieres.keys()
    if missing_communes:
        communes = {**communes, **_communes(missing_communes)}
    if missing_filieres:
        filieres = {**filieres, **_filieres(missing_filieres)}
    commune_field = Organisation._meta.get_field("commune")
    filiere_field = Organisation._meta.get_field("primary_filiere")
    for organisation in organisations:
        commune_field.set_cached_value(organisation, communes[organisation.commune_id])
        filiere_field.set_cached_value(organisation, filieres[organisation.primary_filiere_id])
        if filieres_to is not None:
            setattr(organisation, filieres_to, sorted(
                (filieres[f] for f in memberships[organisation.pk]), key=lambda f: f.code))
