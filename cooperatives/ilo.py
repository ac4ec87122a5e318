"""Statistics of cooperatives by the ILO guidelines (20th ICLS, 2018): one table of
cooperatives, membership and work per commune, department, region or the country.

The definitions, and how each figure maps to the guidelines, are in docs/ilo-statistics.md.
In short: the cooperatives counted are the active primary cooperatives (SCOOPS and COOP-CA
under the OHADA uniform act); unions and federations (whose members are cooperatives, not
people) and GICs, associations and other forms are left out. One grouped SQL query whatever
the level; units with no such cooperative give no row.
"""

import hashlib

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import freshness
from .models import PRIMARY_COOPERATIVE_FORMS, MemberInterest, OrganisationStatus
from .permissions import scope_of
from .selectors import organisations_aggregated_for

LEVELS = ("commune", "department", "region", "country")
INTERESTS = tuple(MemberInterest.values)
# Per unit: the cooperatives, by type by member interest (the recorded ones, and those whose
# type is not recorded), their members by sex and age group, and the work in them.
FIGURES = ("cooperatives", *INTERESTS, "interest_not_recorded", "members", "women", "men",
           "under_35", "aged_35_and_over", "employees", "worker_members", "producer_members")
COLUMNS = ("pcode", "name", *FIGURES)
COUNTRY = {"pcode": "CM", "name_fr": "Cameroun", "name_en": "Cameroon"}
_UNIT_PATH = {"commune": "commune", "department": "commune__department",
              "region": "commune__department__region"}


def ilo_cooperatives(queryset: QuerySet) -> QuerySet:
    """The organisations the ILO table counts: active SCOOPS and COOP-CA."""
    return queryset.filter(legal_form__in=PRIMARY_COOPERATIVE_FORMS,
                           status=OrganisationStatus.ACTIVE)


def ilo_statistics(queryset: QuerySet, *, level: str) -> list[dict]:
    """The ILO table of the organisations of `queryset` (already scoped to what the caller may
    aggregate): one row per unit of `level` (commune, department, region: P-code and name;
    country: one row, CM, over the whole queryset), sorted by P-code. Counts of
    cooperatives and sums of their current member and work figures (people)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r} is not supported")
    rows = ilo_cooperatives(queryset).order_by()
    figures = _figures()
    if level == "country":
        found = rows.aggregate(**figures)
        return [_shape(COUNTRY, found)] if found["cooperatives"] else []
    unit = _UNIT_PATH[level]
    grouped = rows.values(f"{unit}__pcode", f"{unit}__name_fr", f"{unit}__name_en").annotate(
        **figures)
    shaped = [_shape({"pcode": row[f"{unit}__pcode"], "name_fr": row[f"{unit}__name_fr"],
                      "name_en": row[f"{unit}__name_en"]}, row) for row in grouped]
    return sorted(shaped, key=lambda row: row["pcode"])


def ilo_statistics_for(user, level: str) -> list[dict]:
    """`ilo_statistics` of what the user may aggregate (the aggregates' scope: the country
    for admins and analysts, else the communes they read), from the cache while no
    organisation changed: what the API and the page show."""
    ids = scope_of(user).readable_commune_ids
    scope = "country" if ids is None else tuple(sorted(ids))
    key = "ilo:" + hashlib.blake2b(repr((scope, level, get_language())).encode(),
                                   digest_size=16).hexdigest()
    organisations = organisations_aggregated_for(user)
    return freshness.cached(key, [freshness.NATIONAL],
                            lambda: ilo_statistics(organisations, level=level))


def _figures() -> dict:
    counts = {interest: Count("id", filter=Q(member_interest=interest))
              for interest in INTERESTS}
    return {"cooperatives": Count("id"), **counts,
            "members": Sum("members_total"), "women": Sum("members_women"),
            "under_35": Sum("members_youth"), "employees": Sum("employees"),
            "worker_members": Sum("worker_members"),
            "producer_members": Sum("producer_members")}


def _shape(unit: dict, row: dict) -> dict:
    english = get_language() == "en"
    values = {name: row.get(name) or 0 for name in FIGURES}
    values["interest_not_recorded"] = values["cooperatives"] - sum(
        values[interest] for interest in INTERESTS)
    values["men"] = values["members"] - values["women"]
    values["aged_35_and_over"] = values["members"] - values["under_35"]
    name = unit["name_en"] if english and unit["name_en"] else unit["name_fr"]
    return {"pcode": unit["pcode"], "name": name, **values}


def figure_labels() -> list[str]:
    """The figures' column headings, in FIGURES order (the page)."""
    interests = dict(MemberInterest.choices)
    labels = {"cooperatives": _("Cooperatives"), **interests,
              "interest_not_recorded": _("Type not recorded"), "members": _("Members"),
              "women": _("Women"), "men": _("Men"), "under_35": _("Under 35"),
              "aged_35_and_over": _("35 and over"), "employees": _("Employees"),
              "worker_members": _("Worker-members"),
              "producer_members": _("Producer-members")}
    return [str(labels[name]) for name in FIGURES]
