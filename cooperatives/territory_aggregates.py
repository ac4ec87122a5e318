"""The aggregates of project territories (`/api/v1/aggregates/?level=territory`): the
communes' rows folded into the active territories they are members of today."""

from collections import defaultdict

from django.utils import timezone

from .models import ProjectTerritory, TerritoryMembership
from .selectors import FIGURES, _sort_key


def territory_rows(commune_rows: list[dict], by: str) -> list[dict]:
    """Rows of `organisation_aggregates(..., level="commune", by=by)` summed per active
    project territory over its member communes of today (a commune in two territories counts
    in both; an organisation lies in one commune, so it counts once per territory). The
    territory's code stands in `pcode`; territories with no row give none. One query."""
    members = (TerritoryMembership.objects.current(timezone.localdate())
               .filter(territory__status=ProjectTerritory.Status.ACTIVE).order_by()
               .values_list("commune__pcode", "territory__code", "territory__name"))
    territories_of = defaultdict(list)
    for pcode, code, name in members:
        territories_of[pcode].append((code, name))
    totals: dict[tuple, dict] = {}
    for row in commune_rows:
        for code, name in territories_of.get(row["pcode"], ()):
            found = totals.setdefault((code, row["group"]), {
                "pcode": code, "name": name, "group": row["group"],
                "group_name": row["group_name"], **dict.fromkeys(FIGURES, 0)})
            for figure in FIGURES:
                found[figure] += row[figure]
    return sorted(totals.values(), key=_sort_key(by))
