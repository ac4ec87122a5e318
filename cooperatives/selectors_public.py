"""Reads behind the public pages: organisation counts per commune, no personal data."""

from django.db.models import Count, Prefetch

from communes.models import Commune, Department, Region

from .models import Organisation


def organisation_counts_by_commune() -> dict[int, int]:
    """Number of organisations (any status) per commune id, in one grouped query."""
    rows = Organisation.objects.values("commune_id").annotate(n=Count("id")).order_by()
    return {row["commune_id"]: row["n"] for row in rows}


def territory_tree() -> list[dict]:
    """Regions > departments > communes with organisation counts, for the home page.

    Two queries whatever the size of the country: the territory and one grouped count."""
    counts = organisation_counts_by_commune()
    points = Prefetch("communes", queryset=Commune.objects.defer("boundary"))  # no polygons
    regions = Region.objects.prefetch_related(
        Prefetch("departments", queryset=Department.objects.prefetch_related(points))
    ).order_by("pcode")
    tree = []
    for region in regions:
        departments = []
        for department in sorted(region.departments.all(), key=lambda d: d.pcode):
            communes = [{"commune": c, "organisations": counts.get(c.id, 0)}
                        for c in sorted(department.communes.all(), key=lambda c: c.pcode)]
            departments.append({"department": department, "communes": communes,
                                "organisations": sum(c["organisations"] for c in communes)})
        tree.append({"region": region, "departments": departments,
                     "organisations": sum(d["organisations"] for d in departments)})
    return tree
