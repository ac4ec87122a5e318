"""Reads for the diagnostic and intervention pages and the API, each with a fixed number of
queries whatever the amount of data."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Prefetch, QuerySet
from django.utils.translation import gettext as _

from cooperatives.models import Organisation, OrganisationFiliere, OrganisationStatus
from sectors.models import Filiere, Ministry, Sector

from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from .permissions import PERSON_ACTOR_KINDS


@dataclass(frozen=True)
class OrganisationRef:
    id: int
    name: str
    acronym: str


@dataclass
class SectorNeeds:
    """A sector's needs in one diagnostic, beside the commune's active organisations that
    work in the sector (through any of their filières)."""

    sector: Sector
    entries: list[DiagnosticEntry]
    organisations: list[OrganisationRef]

    @property
    def ministry(self) -> Ministry:
        return self.sector.ministry

    @property
    def unmet(self) -> bool:
        """No active organisation of the commune works in the sector."""
        return not self.organisations


def needs_by_sector(diagnostic: TerritorialDiagnostic) -> list[SectorNeeds]:
    """The diagnostic's entries grouped by sector (sector code order, then priority rank),
    each group with the commune's organisations whose status is active now and that have at
    least one filière of the sector, ordered by name. Two queries."""
    entries = list(DiagnosticEntry.objects.filter(diagnostic=diagnostic)
                   .select_related("sector__ministry")
                   .order_by("sector__code", "priority_rank", "pk"))
    if not entries:
        return []
    by_sector: dict[int, SectorNeeds] = {}
    for entry in entries:
        group = by_sector.setdefault(entry.sector_id, SectorNeeds(entry.sector, [], []))
        group.entries.append(entry)
    rows = (OrganisationFiliere.objects
            .filter(organisation__commune_id=diagnostic.commune_id,
                    organisation__status=OrganisationStatus.ACTIVE,
                    filiere__sector_id__in=by_sector)
            .order_by("organisation__name", "organisation_id")
            .values_list("filiere__sector_id", "organisation_id", "organisation__name",
                         "organisation__acronym"))
    seen: set[tuple[int, int]] = set()
    for sector_id, org_id, name, acronym in rows:
        if (sector_id, org_id) not in seen:  # two filières of one sector: listed once
            seen.add((sector_id, org_id))
            by_sector[sector_id].organisations.append(OrganisationRef(org_id, name, acronym))
    return list(by_sector.values())


def diagnostic_rows(diagnostic: TerritorialDiagnostic, show_people: bool) -> dict[str, list]:
    """Project ideas, actors and resources of the diagnostic, with their sectors. Each actor
    gets `shown_name`: None when it may name a person the reader may not see. Three
    queries."""
    actors = list(DiagnosticActor.objects.filter(diagnostic=diagnostic).select_related("sector"))
    for actor in actors:
        hidden = not show_people and actor.kind in PERSON_ACTOR_KINDS
        actor.shown_name = None if hidden else actor.name
    return {
        "ideas": list(ProjectIdea.objects.filter(diagnostic=diagnostic).select_related("sector")),
        "actors": actors,
        "resources": list(TerritorialResource.objects.filter(diagnostic=diagnostic)),
    }


def diagnostics_for_api(queryset: QuerySet) -> QuerySet:
    """Diagnostics with their rows prefetched: one query per relation, whatever the page
    size."""
    return queryset.select_related("commune").prefetch_related(
        Prefetch("entries", DiagnosticEntry.objects.select_related("sector__ministry")),
        Prefetch("project_ideas", ProjectIdea.objects.select_related("sector")),
        Prefetch("actors", DiagnosticActor.objects.select_related("sector")),
        "resources")


def interventions_for_list(queryset: QuerySet) -> QuerySet:
    """Interventions with their ministry, commune, filière, sector and beneficiaries (names
    only) loaded in a fixed number of queries."""
    return queryset.select_related("ministry", "commune", "filiere", "sector").prefetch_related(
        Prefetch("beneficiaries", Organisation.objects.only("id", "name", "acronym")
                 .order_by("name", "id")))


# ---------------------------------------------------------------------------------------
# History: who changed what, from django-simple-history rows.


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass
class Change:
    when: datetime
    user: str | None  # None when unknown or hidden from the reader
    action: str  # "created", "changed" or "deleted"
    kind: str
    label: str
    fields: list[FieldChange] = field(default_factory=list)


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_FIELDS = {
    TerritorialDiagnostic: ("year", "source", "status", "validated_at"),
    DiagnosticEntry: ("sector", "level", "locality", "problem", "potentials", "need",
                      "priority_rank"),
    ProjectIdea: ("sector", "title", "locality", "cost_estimate", "rank", "year", "status"),
    DiagnosticActor: ("name", "kind", "sector", "role"),
    TerritorialResource: ("kind", "description"),
    Intervention: ("ministry", "programme", "filiere", "sector", "start_date", "end_date",
                   "budget"),
}
RELATED = {"sector": Sector, "filiere": Filiere, "ministry": Ministry}


def diagnostic_history(diagnostic: TerritorialDiagnostic, *, show_people: bool,
                       limit: int = 200) -> list[Change]:
    """Changes to the diagnostic and its rows, newest first (at most `limit`). Six queries."""
    records = list(diagnostic.history.select_related("history_user"))
    for model in (DiagnosticEntry, ProjectIdea, DiagnosticActor, TerritorialResource):
        records += model.history.filter(diagnostic_id=diagnostic.pk).select_related(
            "history_user")
    return _changes(records, show_people=show_people)[:limit]


def intervention_history(intervention: Intervention, *, show_people: bool,
                         limit: int = 200) -> list[Change]:
    """Changes to the intervention, beneficiaries included, newest first. Five queries."""
    records = list(intervention.history.select_related("history_user")
                   .prefetch_related("historicalintervention_beneficiaries_set"))
    changes = _changes(records, show_people=show_people)
    _add_beneficiary_changes(records, changes)
    return changes[:limit]


def _changes(records: list, *, show_people: bool) -> list[Change]:
    """One change per record, newest first; sorts `records` oldest first."""
    records.sort(key=lambda r: (r.history_date, r.history_id))
    names = _related_names(records)
    previous: dict[tuple[type, int], object] = {}
    changes = []
    for record in records:
        model = record.instance_type
        key = (model, record.id)
        changes.append(_change(record, previous.get(key), names, show_people))
        previous[key] = record
    changes.reverse()
    return changes


def _related_names(records: list) -> dict[str, dict[int, str]]:
    """Names of the sectors, filières and ministries the records point to: one query each."""
    ids: dict[str, set[int]] = defaultdict(set)
    for record in records:
        for name in RELATED:
            value = getattr(record, f"{name}_id", None)
            if value is not None:
                ids[name].add(value)
    return {name: {pk: str(obj.acronym if name == "ministry" else obj.name)
                   for pk, obj in RELATED[name].objects.in_bulk(list(values)).items()}
            for name, values in ids.items()}


def _change(record, before, names: dict, show_people: bool) -> Change:
    model = record.instance_type
    hide_name = (model is DiagnosticActor and not show_people
                 and record.kind in PERSON_ACTOR_KINDS)
    fields = []
    if record.history_type != "-":
        for name in HISTORY_FIELDS[model]:
            if name == "name" and hide_name:
                continue
            old = _display(model, name, before, names) if before is not None else None
            new = _display(model, name, record, names)
            if old != new and not (before is None and new in (None, "")):
                fields.append(FieldChange(str(model._meta.get_field(name).verbose_name),
                                          old, new))
    user = record.history_user.display_name if (show_people and record.history_user) else None
    return Change(when=record.history_date, user=user, action=ACTIONS[record.history_type],
                  kind=str(model._meta.verbose_name), label=_label(record, hide_name),
                  fields=fields)


def _display(model, name: str, record, names: dict):
    if name in RELATED:
        value = getattr(record, f"{name}_id")
        return names.get(name, {}).get(value, value)
    value = getattr(record, name)
    choices = dict(model._meta.get_field(name).flatchoices)
    return str(choices.get(value, value)) if choices and value is not None else value


def _label(record, hide_name: bool) -> str:
    model = record.instance_type
    if model is DiagnosticEntry:
        return f"#{record.priority_rank} {record.need[:80]}"
    if model is ProjectIdea:
        return record.title
    if model is DiagnosticActor:
        kind = dict(DiagnosticActor.Kind.choices).get(record.kind, record.kind)
        return str(kind) if hide_name else record.name
    if model is TerritorialResource:
        return record.description[:80]
    if model is Intervention:
        return record.programme
    return _("Diagnostic %(year)s") % {"year": record.year}


def _add_beneficiary_changes(records: list, changes: list[Change]) -> None:
    """Beneficiary sets compared between consecutive records (names: one query)."""
    sets = [frozenset(row.organisation_id
                      for row in record.historicalintervention_beneficiaries_set.all())
            for record in records]  # oldest first, like `records`
    ids = set().union(*sets) if sets else set()
    names = {o.pk: o.name for o in Organisation.objects.filter(pk__in=ids).only("id", "name")}
    label = str(Intervention._meta.get_field("beneficiaries").verbose_name)
    for index, change in enumerate(reversed(changes)):
        before = sets[index - 1] if index else frozenset()
        if sets[index] != before:
            change.fields.append(FieldChange(
                label, ", ".join(sorted(names.get(i, str(i)) for i in before)) or None,
                ", ".join(sorted(names.get(i, str(i)) for i in sets[index])) or None))


def latest_validated_years(commune_ids: Iterable[int]) -> dict[int, int]:
    """{commune id: the year of its latest validated diagnostic} for these communes, in one
    grouped query (handed to cooperatives.scorecards at start-up)."""
    rows = (TerritorialDiagnostic.objects.validated().filter(commune_id__in=list(commune_ids))
            .values("commune_id").annotate(year=Max("year")).order_by())
    return {row["commune_id"]: row["year"] for row in rows}


@dataclass
class PublicNeeds:
    """A commune's latest validated diagnostic (None when it has none) and its priority
    needs (rank 1 to 3) grouped by sector, in sector code order then rank."""

    diagnostic: TerritorialDiagnostic | None
    by_sector: list[tuple[Sector, list[DiagnosticEntry]]]


def public_priority_needs(commune_id: int) -> PublicNeeds:
    """What the public commune page shows of the diagnostics: the sector, its ministry, the
    rank and the need of each priority entry of the latest validated diagnostic (drafts are
    never shown; no actor, no person). Two queries."""
    diagnostic = (TerritorialDiagnostic.objects.validated().filter(commune_id=commune_id)
                  .order_by("-year", "-id").only("id", "year", "source").first())
    if diagnostic is None:
        return PublicNeeds(None, [])
    entries = (DiagnosticEntry.objects.filter(diagnostic=diagnostic, priority_rank__lte=3)
               .select_related("sector__ministry").order_by("sector__code", "priority_rank", "pk"))
    groups: dict[int, tuple[Sector, list[DiagnosticEntry]]] = {}
    for entry in entries:
        groups.setdefault(entry.sector_id, (entry.sector, []))[1].append(entry)
    return PublicNeeds(diagnostic, list(groups.values()))
