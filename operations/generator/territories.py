"""A handful of project territories over the generated communes (issue 19): a cocoa basin
across communes of two regions where cocoa is grown, an intercommunal syndicate of
neighbouring communes of one department, a value chain of the main filière of another
region, and a basin proposed by a CTD agent and still waiting for its partner's confirmation.

Read from the organisations just written (ordered queries) and drawn from a stream of the
seed: the same seed gives the same territories. Written with their history rows."""

import datetime
import random
from collections import defaultdict

from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from communes.models import Commune, haversine_km
from cooperatives.models import Organisation, ProjectTerritory, TerritoryMembership
from sectors.models import Filiere

COCOA = "cacao"


def add_territories(communes: list[Commune], seed: int) -> int:
    """Create the territories over `communes`; how many were created."""
    rng = random.Random(f"{seed}:territories")
    plans = [p for p in (_cocoa_basin(communes), _syndicate(communes),
                         _value_chain(communes), _proposed_basin(communes)) if p]
    taken = set(ProjectTerritory.objects.filter(code__in=[p[0] for p in plans])
                .values_list("code", flat=True))  # an earlier run over other communes
    plans = [p for p in plans if p[0] not in taken]
    territories, memberships = [], []
    for code, name, purpose, filiere, members, proposed in plans:
        start = datetime.date(rng.choice((2022, 2023, 2024)), rng.randint(1, 12), 1)
        territory = ProjectTerritory(
            code=code, name=name, purpose=purpose, filiere=filiere,
            status=ProjectTerritory.Status.PROPOSED if proposed
            else ProjectTerritory.Status.ACTIVE,
            created_at=timezone.make_aware(datetime.datetime.combine(start, datetime.time(9))))
        territories.append(territory)
        for i, commune in enumerate(members):
            confirmed = not proposed or i == 0  # a proposal waits for its other members
            memberships.append((territory, TerritoryMembership(
                commune=commune, start=start,
                confirmed_at=territory.created_at if confirmed else None)))
    bulk_create_with_history(territories, ProjectTerritory)
    by_code = dict(ProjectTerritory.objects.filter(code__in=[t.code for t in territories])
                   .values_list("code", "pk"))
    for territory, membership in memberships:
        membership.territory_id = by_code[territory.code]
    bulk_create_with_history([m for _, m in memberships], TerritoryMembership)
    return len(territories)


def _counts(communes: list[Commune], code: str) -> dict[int, int]:
    """Active organisations of the filière per commune."""
    rows = (Organisation.objects.filter(commune__in=communes, status="active",
                                        filieres__code=code)
            .order_by().values("commune_id").annotate(n=Count("id", distinct=True)))
    return {row["commune_id"]: row["n"] for row in rows}


def _cocoa_basin(communes: list[Commune]):
    counts = _counts(communes, COCOA)
    ranked = sorted((c for c in communes if counts.get(c.pk)),
                    key=lambda c: (-counts[c.pk], c.pcode))
    best_by_region = {}
    for commune in ranked:
        best_by_region.setdefault(commune.department.region_id, commune)
    members = list(best_by_region.values())[:2]
    members += [c for c in ranked if c not in members][:4 - len(members)]
    if len(members) < 2:
        return None
    cocoa = Filiere.objects.filter(code=COCOA).first()
    return ("bassin-cacao", "Bassin cacaoyer " + " – ".join(c.name_fr for c in members[:2]),
            ProjectTerritory.Purpose.VALUE_CHAIN, cocoa, sorted(members, key=lambda c: c.pcode),
            False)


def _nearest(commune: Commune, others: list[Commune], n: int) -> list[Commune]:
    located = [c for c in others if c.latitude is not None and c.pk != commune.pk]
    if commune.latitude is None:
        return located[:n]
    return sorted(located, key=lambda c: (haversine_km(
        commune.latitude, commune.longitude, c.latitude, c.longitude), c.pcode))[:n]


def _syndicate(communes: list[Commune]):
    by_department = defaultdict(list)
    for commune in communes:
        by_department[commune.department_id].append(commune)
    group = max(by_department.values(), key=lambda cs: (len(cs), -cs[0].department_id))
    if len(group) < 2:
        return None
    members = [group[0], *_nearest(group[0], group, 2)]
    department = group[0].department
    return (f"syndicat-{department.pcode.lower()}",
            f"Syndicat intercommunal du {department.name_fr}", ProjectTerritory.Purpose.SYNDICATE,
            None, sorted(members, key=lambda c: c.pcode), False)


def _value_chain(communes: list[Commune]):
    """The most common filière (cocoa aside) of the region with most communes after the
    cocoa basin's: its three communes with most such organisations."""
    regions = sorted({c.department.region for c in communes}, key=lambda r: r.pcode)
    if len(regions) < 2:
        return None
    region = regions[-1]
    inside = [c for c in communes if c.department.region_id == region.pk]
    top = (Organisation.objects.filter(commune__in=inside, status="active")
           .exclude(primary_filiere__code=COCOA).order_by()
           .values("primary_filiere_id").annotate(n=Count("id"))
           .order_by("-n", "primary_filiere_id").first())
    if top is None:
        return None
    filiere = Filiere.objects.get(pk=top["primary_filiere_id"])
    counts = _counts(inside, filiere.code)
    members = sorted((c for c in inside if counts.get(c.pk)),
                     key=lambda c: (-counts[c.pk], c.pcode))[:3]
    if len(members) < 2:
        return None
    return (f"filiere-{filiere.code}-{region.pcode.lower()}".replace("_", "-"),
            f"Filière {filiere.name_fr} – {region.name_fr}", ProjectTerritory.Purpose.VALUE_CHAIN,
            filiere, sorted(members, key=lambda c: c.pcode), False)


def _proposed_basin(communes: list[Commune]):
    """Two neighbouring communes of different departments: a proposal waiting."""
    first = communes[0]
    other = _nearest(first, [c for c in communes if c.department_id != first.department_id], 1)
    if not other:
        return None
    return ("bassin-versant", f"Bassin versant {first.name_fr} – {other[0].name_fr}",
            ProjectTerritory.Purpose.BASIN, None, [first, other[0]], True)
