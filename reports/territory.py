"""The country's communes with their department and region, and the region / department
filter of the national pages."""

from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import get_language

from communes.models import Commune


class Place(NamedTuple):
    """A commune with its department and region, names in the active language."""

    pcode: str
    name: str
    department: str
    department_name: str
    region: str
    region_name: str


@dataclass
class Territory:
    """Every commune (no boundary) with its department and region, and the GET filter."""

    communes: list[Place]
    regions: list[tuple[str, str]]
    departments: list[tuple[str, str]]
    region: str = ""
    department: str = ""

    @property
    def selected(self) -> list[Place]:
        if self.department:
            return [c for c in self.communes if c.department == self.department]
        if self.region:
            return [c for c in self.communes if c.region == self.region]
        return self.communes


def _name(french: str, english: str, lang: str) -> str:
    """NamedPlace.name without instances: English when asked for and known, else French."""
    return english if lang == "en" and english else french


def territory(params=None) -> Territory:
    """The country's communes in one query, filtered by `region` / `department` GET values.

    Unknown values are ignored; a department outside the chosen region is dropped. Plain
    tuples rather than model instances: the national pages list every commune."""
    lang = get_language()
    rows = Commune.objects.order_by("department__region__pcode", "department__pcode",
                                    "pcode").values_list(
        "pcode", "name_fr", "name_en", "department__pcode", "department__name_fr",
        "department__name_en", "department__region__pcode", "department__region__name_fr",
        "department__region__name_en")
    communes = [Place(r[0], _name(r[1], r[2], lang), r[3], _name(r[4], r[5], lang), r[6],
                      _name(r[7], r[8], lang)) for r in rows]
    regions = {c.region: c.region_name for c in communes}
    params = params or {}
    region = params.get("region", "") if params.get("region") in regions else ""
    departments = {c.department: c.department_name for c in communes
                   if not region or c.region == region}
    department = params.get("department", "")
    if department not in departments:
        department = ""
    return Territory(communes=communes, regions=list(regions.items()),
                     departments=list(departments.items()), region=region,
                     department=department)

