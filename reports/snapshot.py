"""A closed year's registry snapshot: taken when the national admin closes the year, kept as
`FrozenRegistry` rows, read back for the year's aggregates and key figures.

The snapshot describes the commune's registry on the day its reports for the year describe
(`compute.report_date`: 31 December for a past year, today for the current one), from the same
source the reports read: the registry now for the current year, the audit history for a past
year (reports.registry_as_of). It holds the commune's organisations (status, members, legal
form, filières, union) and every link touching them as it stood, flagged `counted` when the
year's reports count it (the registry's own rule, `links` of the report registry).
"""

import datetime
from collections import defaultdict

from django.db.models import Q
from django.utils.translation import get_language

from communes.models import Commune
from cooperatives.history import historical_filieres_model
from cooperatives.models import (
    CooperationLink,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
)
from sectors.models import Filiere

from .registry import RegistryNow
from .registry_as_of import latest_records

ORGANISATION_FIELDS = ("id", "name", "legal_form", "status", "members_total", "members_women",
                       "members_youth", "employees", "primary_filiere_id", "parent_union_id")
LINK_FIELDS = ("id", "source_id", "target_id", "kind", "status", "start_date", "end_date")


def capture(commune: Commune, *, day: datetime.date, registry) -> dict:
    """The commune's organisations and links on `day` as `FrozenRegistry` fields
    (`registry`: the report registry of the year, whose counted links flag the links)."""
    past = not isinstance(registry, RegistryNow)
    organisations = _organisations_on(commune, day) if past else _organisations_now(commune)
    ids = [row["id"] for row in organisations]
    counted = {int(row[0]) for row in registry.links([commune.pk])}
    links = _links_on(ids, day) if past else _links_now(ids)
    return {"day": day,
            "organisations": organisations,
            "links": [{**link, "counted": link["id"] in counted} for link in links]}


def _organisation_row(row: dict, codes: list[str], filiere_codes: dict[int, str]) -> dict:
    return {"id": row["id"], "name": row["name"], "legal_form": row["legal_form"],
            "status": row["status"], "members": row["members_total"],
            "women": row["members_women"], "youth": row["members_youth"],
            "employees": row["employees"],
            "primary_filiere": filiere_codes.get(row["primary_filiere_id"]),
            "filieres": sorted(codes), "union": row["parent_union_id"]}


def _organisations_now(commune: Commune) -> list[dict]:
    rows = list(Organisation.objects.filter(commune=commune).order_by("id")
                .values(*ORGANISATION_FIELDS))
    codes = _filiere_codes()
    filieres = defaultdict(list)
    for organisation_id, filiere_id in OrganisationFiliere.objects.filter(
            organisation__commune=commune).values_list("organisation_id", "filiere_id"):
        filieres[organisation_id].append(codes[filiere_id])
    return [_organisation_row(row, filieres[row["id"]], codes) for row in rows]


def _organisations_on(commune: Commune, day: datetime.date) -> list[dict]:
    """The organisations seated in the commune at the end of `day` (audit history)."""
    ever = Organisation.history.filter(commune_id=commune.pk).values("id")
    records = [row for row in latest_records(Organisation.history.model, day, ever)
               .values(*ORGANISATION_FIELDS, "commune_id", "history_type", "history_id")
               if row["history_type"] != "-" and row["commune_id"] == commune.pk]
    codes = _filiere_codes()
    filieres = defaultdict(list)
    for history_id, filiere_id in historical_filieres_model().objects.filter(
            history_id__in=[row["history_id"] for row in records],
            filiere_id__isnull=False).values_list("history_id", "filiere_id"):
        filieres[history_id].append(codes[filiere_id])
    records.sort(key=lambda row: row["id"])
    return [_organisation_row(row, filieres[row["history_id"]], codes) for row in records]


def _link_row(row: dict) -> dict:
    return {"id": row["id"], "source": row["source_id"], "target": row["target_id"],
            "kind": row["kind"], "status": row["status"],
            "start": row["start_date"].isoformat() if row["start_date"] else None,
            "end": row["end_date"].isoformat() if row["end_date"] else None}


def _links_now(ids: list[int]) -> list[dict]:
    links = CooperationLink.objects.filter(Q(source_id__in=ids) | Q(target_id__in=ids))
    return [_link_row(row) for row in links.order_by("id").values(*LINK_FIELDS)]


def _links_on(ids: list[int], day: datetime.date) -> list[dict]:
    ever = CooperationLink.history.filter(Q(source_id__in=ids) | Q(target_id__in=ids)
                                          ).values("id")
    records = [row for row in latest_records(CooperationLink.history.model, day, ever)
               .values(*LINK_FIELDS, "history_type") if row["history_type"] != "-"]
    return [_link_row(row) for row in sorted(records, key=lambda row: row["id"])]


def _filiere_codes() -> dict[int, str]:
    return dict(Filiere.objects.values_list("id", "code"))


# Reading a snapshot ------------------------------------------------------------------------

FIGURES = ("organisations", "members", "women", "youth", "employees")


def key_figures(organisations: list[dict]) -> dict:
    """Active organisations and their members, women and youth."""
    active = [row for row in organisations if row["status"] == OrganisationStatus.ACTIVE]
    return {"organisations": len(active), "members": sum(row["members"] for row in active),
            "women": sum(row["women"] for row in active),
            "youth": sum(row["youth"] for row in active)}


def aggregates(organisations: list[dict], commune: Commune, by: str) -> list[dict]:
    """The commune's aggregate rows (cooperatives.selectors.organisation_aggregates' shape
    and rule: every organisation of the commune, once per group it matches) over the
    snapshot's organisations; groups named from today's taxonomy."""
    groups, names, order = _groups(by)
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in organisations:
        for group in {groups(row_group) for row_group in _row_groups(row, by)} - {None}:
            cell = figures[group]
            for i, value in enumerate((1, row["members"], row["women"], row["youth"],
                                       row["employees"])):
                cell[i] += value
    english = get_language() == "en"
    name = commune.name_en if english and commune.name_en else commune.name_fr
    return [{"pcode": commune.pcode, "name": name, "group": group, "group_name": names(group),
             **dict(zip(FIGURES, figures[group], strict=True))}
            for group in sorted(figures, key=order)]


def _row_groups(row: dict, by: str) -> list:
    return row["filieres"] if by in ("ministry", "sector", "filiere") else [row[by]]


def _groups(by: str):
    """(row value -> group code, group code -> name, sort key) for a grouping."""
    english = get_language() == "en"
    if by in ("legal_form", "status"):
        choices = LegalForm if by == "legal_form" else OrganisationStatus
        rank = {value: i for i, value in enumerate(choices.values)}
        return (lambda value: value), (lambda value: str(choices(value).label)), rank.get
    path = {"ministry": ("sector__ministry__acronym", "sector__ministry__name_fr",
                         "sector__ministry__name_en"),
            "sector": ("sector__code", "sector__name_fr", "sector__name_en"),
            "filiere": ("code", "name_fr", "name_en")}[by]
    group_of, name_of = {}, {}
    for code, group, name_fr, name_en in Filiere.objects.values_list("code", *path):
        group_of[code] = group
        name_of[group] = name_en if english and name_en else name_fr
    return group_of.get, name_of.get, (lambda group: group)
