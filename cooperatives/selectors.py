"""Reads that count organisations: the aggregates behind the API, the exports and the pages.

`organisation_aggregates` runs ONE grouped SQL query whatever the level and grouping, and shapes
its rows in Python. Its input is any queryset of organisations, already scoped to what the user
may see and filtered (`cooperatives.filters.OrganisationFilterSet`).
"""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import get_language

from .models import LegalForm, Organisation, OrganisationFiliere, OrganisationStatus
from .permissions import scope_of

LEVELS = ("region", "department", "commune")
GROUPINGS = ("ministry", "sector", "filiere", "legal_form", "status")
FIGURES = ("organisations", "members", "women", "youth", "employees")
COLUMNS = ("pcode", "name", "group", "group_name", *FIGURES)

# Path from an organisation to the territorial unit of each level.
_UNIT_PATH = {
    "region": "commune__department__region",
    "department": "commune__department",
    "commune": "commune",
}
# Path from an organisation's filière row to the group, and the group's code field.
_TAXONOMY_PATH = {
    "ministry": ("filiere__sector__ministry", "acronym"),
    "sector": ("filiere__sector", "code"),
    "filiere": ("filiere", "code"),
}
_CHOICES = {"legal_form": LegalForm, "status": OrganisationStatus}


def organisations_aggregated_for(user, queryset=None) -> QuerySet:
    """Organisations whose figures the user may read as aggregates.

    Admins and ministry analysts: the whole country. CTD agents: their communes.
    Representatives: the commune of their organisation (whose reports they read too).
    Anyone else: nothing."""
    qs = Organisation.objects.all() if queryset is None else queryset
    return scope_of(user).in_readable_communes(qs)


def organisation_aggregates(queryset: QuerySet, *, level: str, by: str) -> list[dict]:
    """Organisations and their figures per territorial unit and group, in one SQL query.

    `queryset`: the organisations to count (scoped and filtered). `level`: region, department
    or commune; each row names the unit by P-code and name. `by`: ministry, sector, filiere
    (a row per group code: acronym or code), legal_form or status (a row per value).
    Figures: `organisations` (count), `members`, `women`, `youth` (members under 35) and
    `employees` (sums of the organisations' current values).

    An organisation with several filières counts once in each filière it has, and once in each
    sector or ministry that at least one of its filières belongs to: the rows of one unit can
    add up to more than its organisations, never one organisation twice in a row.
    Units and groups with no organisation give no row. Rows are sorted by P-code, then group
    (codes alphabetically; legal forms and statuses in their declared order)."""
    if level not in LEVELS or by not in GROUPINGS:
        raise ValueError(f"level {level!r} or by {by!r} is not supported")
    if by in _TAXONOMY_PATH:
        rows, org = _taxonomy_rows(queryset, level, by), "organisation__"
    else:
        rows, org = queryset.order_by(), ""
    unit = org + _UNIT_PATH[level]
    group, group_names = _group_fields(by)
    values = rows.values(f"{unit}__pcode", f"{unit}__name_fr", f"{unit}__name_en", group,
                         *group_names)
    figures = values.annotate(
        organisations=Count(f"{org}id" if org else "id"),
        members=Sum(f"{org}members_total"),
        women=Sum(f"{org}members_women"),
        youth=Sum(f"{org}members_youth"),
        employees=Sum(f"{org}employees"),
    ).order_by()
    shaped = [_shape(row, unit, group, group_names, by) for row in figures]
    return sorted(shaped, key=_sort_key(by))


def _taxonomy_rows(queryset: QuerySet, level: str, by: str) -> QuerySet:
    """Filière rows of the organisations, one per (organisation, group): for a sector or a
    ministry, only the organisation's first filière (lowest id) within that group."""
    rows = OrganisationFiliere.objects.filter(organisation__in=queryset.values("pk"))
    path, _code = _TAXONOMY_PATH[by]
    if by != "filiere":
        earlier = OrganisationFiliere.objects.filter(
            Q(organisation_id=OuterRef("organisation_id")),
            Q(**{f"{path}_id": OuterRef(f"{path}_id")}),
            filiere_id__lt=OuterRef("filiere_id"),
        )
        rows = rows.filter(~Exists(earlier))
    return rows


def _group_fields(by: str) -> tuple[str, tuple[str, ...]]:
    if by in _TAXONOMY_PATH:
        path, code = _TAXONOMY_PATH[by]
        return f"{path}__{code}", (f"{path}__name_fr", f"{path}__name_en")
    return by, ()


def _shape(row: dict, unit: str, group: str, group_names: tuple[str, ...], by: str) -> dict:
    english = get_language() == "en"
    name_fr, name_en = row[f"{unit}__name_fr"], row[f"{unit}__name_en"]
    if group_names:
        group_name = row[group_names[1]] if english and row[group_names[1]] else row[
            group_names[0]]
    else:
        group_name = str(_CHOICES[by](row[group]).label)
    return {
        "pcode": row[f"{unit}__pcode"],
        "name": name_en if english and name_en else name_fr,
        "group": row[group],
        "group_name": group_name,
        **{figure: row[figure] or 0 for figure in FIGURES},
    }


def _sort_key(by: str):
    if by in _CHOICES:
        order = {value: rank for rank, value in enumerate(_CHOICES[by].values)}
        return lambda row: (row["pcode"], order.get(row["group"], len(order)), row["group"])
    return lambda row: (row["pcode"], row["group"])
