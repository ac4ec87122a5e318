"""Both reports for a project territory taken as a level (docs/project-territories.md).

The members are the communes whose membership covers the report's day (today for the
current year, 31 December for a past year). Cooperation reads the territory's graph as one
place (`cooperation.cooperation_for_group`); convergence sums the member communes' figures
per ministry (`convergence.convergence_for_communes`), organisations counted once, and
judges each ministry's state on the sums."""

import datetime

from django.db.models import Count

from communes.models import Commune
from cooperatives.models import ProjectTerritory, TerritoryMembership
from diagnostics.models import Intervention
from sectors.models import Ministry, Sector

from .convergence import FIGURES, STATES, cell_state, convergence_for_communes
from .cooperation import cooperation_for_group, fraction


def territory_members(territory: ProjectTerritory, day: datetime.date) -> list[tuple[int, str]]:
    """(id, P-code) of the territory's member communes on `day`, by P-code."""
    return list(Commune.objects.filter(pk__in=TerritoryMembership.objects.current(day).filter(
        territory=territory).values("commune_id")).order_by("pcode").values_list("pk", "pcode"))


def _header(territory: ProjectTerritory, members: list[tuple[int, str]]) -> dict:
    return {"territory": territory.code, "name": territory.name,
            "communes": [pcode for _, pcode in members]}


def territory_cooperation(territory: ProjectTerritory, *, on: datetime.date, registry) -> dict:
    """The territory's cooperation report on `on` (see `cooperation_for_group`)."""
    members = territory_members(territory, on)
    report = cooperation_for_group([pk for pk, _ in members], on=on, registry=registry)
    return {**_header(territory, members), **report}


def territory_convergence(territory: ProjectTerritory, *, year: int, on: datetime.date,
                          registry) -> dict:
    """The territory's convergence report for `year`.

    `ministries`: per acronym, the figures of the commune reports summed over the members
    (`organisations`, `members`, `women`, `youth`, `needs`, `priority_needs`,
    `interventions`), except `beneficiaries`: distinct organisations reached by the
    ministry's interventions of the year in any member commune (counted once); `state` by the
    commune rule on those sums. `states`, `score` as for a commune. `diagnostics`: the
    selected diagnostic of each member (P-code -> `{"id", "year"}` or null). `unmet_needs`:
    the members' unmet priority needs whose sector has no active organisation in any member
    commune, each with its `commune`.
    """
    members = territory_members(territory, on)
    ids = [pk for pk, _ in members]
    reports = convergence_for_communes(ids, year=year, registry=registry)
    acronyms = list(Ministry.objects.order_by("acronym").values_list("acronym", flat=True))
    reached = _beneficiaries(ids, year)
    ministries = {}
    for acronym in acronyms:
        cells = [r["ministries"][acronym] for r in reports.values()]
        row = {name: sum(cell[name] for cell in cells) for name in FIGURES}
        row["beneficiaries"] = reached.get(acronym, 0)
        row["state"] = cell_state(needs=row["needs"], organisations=row["organisations"],
                                  interventions=row["interventions"])
        ministries[acronym] = row
    states = {s: sum(1 for row in ministries.values() if row["state"] == s) for s in STATES}
    with_needs = sum(1 for row in ministries.values() if row["needs"])
    return {
        **_header(territory, members), "year": year, "on": on.isoformat(),
        "diagnostics": {r["commune"]: r["diagnostic"] for r in reports.values()},
        "ministries": ministries, "states": states,
        "score": fraction(states["converging"], with_needs),
        "unmet_needs": _unmet_in_territory(reports, ids, registry),
    }


def _beneficiaries(commune_ids: list[int], year: int) -> dict[str, int]:
    """Ministry acronym -> distinct organisations reached by its interventions overlapping
    `year` in the communes."""
    selected = Intervention.objects.overlapping_year(year).filter(commune_id__in=commune_ids)
    rows = (Intervention.beneficiaries.through.objects
            .filter(intervention__in=selected.values("id")).order_by()
            .values("intervention__ministry__acronym")
            .annotate(n=Count("organisation_id", distinct=True)))
    return {row["intervention__ministry__acronym"]: row["n"] for row in rows}


def _unmet_in_territory(reports: dict[int, dict], ids: list[int], registry) -> list[dict]:
    unmet = [dict(need, commune=r["commune"]) for r in reports.values()
             for need in r["unmet_needs"]]
    if not unmet:
        return []
    sector_ids = dict(Sector.objects.filter(code__in={u["sector"] for u in unmet})
                      .values_list("code", "pk"))
    present = registry.sector_presence(set(sector_ids.values()), ids)
    return sorted((u for u in unmet if not present.get(sector_ids[u["sector"]])),
                  key=lambda u: (u["priority_rank"], u["sector"], u["commune"], u["entry"]))
