"""Reads behind the public pages (home, public commune page, open data): aggregate figures
of registered organisations, the RELESS's offices, never a person's name or contact.

"Registered organisations" has one definition, `Organisation.objects.registered()` (every
status but dissolved); every public figure below counts them, so the home page's total, the
sum of its territory tree, the public commune pages and the open-data figures agree."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from communes.models import Commune, Department, Region
from communes.search import CommuneIndex, CommunePick, commune_index, pick_commune, search_communes
from sectors.models import Filiere

from . import freshness
from .models import (
    BureauMember,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    Reless,
)

# Per commune: registered organisations, the active ones, their members, women and members
# under 35 (summed over active organisations), and registered RELESS members.
FIGURES = ("organisations", "active", "members", "women", "youth", "reless_members")


def figures_by_commune() -> dict[int, dict[str, int]]:
    """FIGURES per commune id (communes without any registered organisation are absent), in
    one grouped query."""
    active = Q(status=OrganisationStatus.ACTIVE)
    rows = (Organisation.objects.registered().values("commune_id")
            .annotate(organisations=Count("id"), active=Count("id", filter=active),
                      members=Sum("members_total", filter=active),
                      women=Sum("members_women", filter=active),
                      youth=Sum("members_youth", filter=active),
                      reless_members=Count("id", filter=Q(reless_member_since__isnull=False)))
            .order_by())
    return {r["commune_id"]: {k: r[k] or 0 for k in FIGURES} for r in rows}


def sum_figures(rows: list[dict]) -> dict[str, int]:
    """FIGURES summed over rows that carry them."""
    return {k: sum(row[k] for row in rows) for k in FIGURES}


def territory_tree() -> list[dict]:
    """Regions > departments > communes, each with its FIGURES, by P-code.

    Two queries whatever the size of the country: the territory and one grouped count."""
    figures = figures_by_commune()
    zero = dict.fromkeys(FIGURES, 0)
    points = Prefetch("communes", queryset=Commune.objects.defer("boundary"))  # no polygons
    regions = Region.objects.prefetch_related(
        Prefetch("departments", queryset=Department.objects.prefetch_related(points))
    ).order_by("pcode")
    tree = []
    for region in regions:
        departments = []
        for department in sorted(region.departments.all(), key=lambda d: d.pcode):
            communes = [{"commune": c, **figures.get(c.id, zero)}
                        for c in sorted(department.communes.all(), key=lambda c: c.pcode)]
            departments.append({"department": department, "communes": communes,
                                **sum_figures(communes)})
        tree.append({"region": region, "departments": departments, **sum_figures(departments)})
    return tree


def national_figures(tree: list[dict]) -> dict[str, int]:
    """The country's FIGURES from the territory tree, with the number of regions, communes
    and communes that have at least one registered organisation."""
    communes = [c for r in tree for d in r["departments"] for c in d["communes"]]
    return {**sum_figures(tree), "regions": len(tree), "communes": len(communes),
            "communes_with_organisations": sum(1 for c in communes if c["organisations"])}


# The public commune page -------------------------------------------------------------------------

@dataclass
class CommunePublicFigures:
    """One commune's public figures: FIGURES, registered organisations by filière (any of
    their filières, so an organisation counts once in each of its filières) and by legal
    form, and its RELESS with the offices of its current bureau (office and organisation,
    never the person)."""

    figures: dict[str, int]
    by_filiere: list[tuple[Filiere, int]]
    by_legal_form: list[tuple[str, int]]
    reless: Reless | None
    offices: list[tuple[str, str]]  # (office label, organisation name or "")


def commune_public_figures(commune: Commune) -> CommunePublicFigures:
    """Five queries: the figures, by filière, by legal form, the RELESS, its bureau."""
    registered = Organisation.objects.registered().in_commune(commune)
    active = Q(status=OrganisationStatus.ACTIVE)
    row = registered.aggregate(
        organisations=Count("id"), active=Count("id", filter=active),
        members=Sum("members_total", filter=active), women=Sum("members_women", filter=active),
        youth=Sum("members_youth", filter=active),
        reless_members=Count("id", filter=Q(reless_member_since__isnull=False)))
    return CommunePublicFigures(
        figures={k: row[k] or 0 for k in FIGURES},
        by_filiere=_by_filiere(commune), by_legal_form=_by_legal_form(registered),
        reless=(reless := Reless.objects.filter(commune=commune).first()),
        offices=_current_offices(reless))


def _by_filiere(commune: Commune) -> list[tuple[Filiere, int]]:
    rows = (OrganisationFiliere.objects
            .filter(organisation__in=Organisation.objects.registered().in_commune(commune))
            .values("filiere_id").annotate(n=Count("organisation_id", distinct=True))
            .order_by())
    counts = {r["filiere_id"]: r["n"] for r in rows}
    filieres = Filiere.objects.filter(pk__in=counts) if counts else []
    return sorted(((f, counts[f.pk]) for f in filieres), key=lambda p: (-p[1], p[0].name))


def _by_legal_form(registered) -> list[tuple[str, int]]:
    rows = registered.values("legal_form").annotate(n=Count("id")).order_by()
    counts = {r["legal_form"]: r["n"] for r in rows}
    return [(label, counts[value]) for value, label in LegalForm.choices if value in counts]


def _current_offices(reless: Reless | None) -> list[tuple[str, str]]:
    """The bureau's offices whose mandate runs today or later, in office order; only the
    office's title and the organisation's name are read (no person's name)."""
    if reless is None:
        return []
    today = timezone.localdate()
    rows = (BureauMember.objects.filter(reless=reless)
            .filter(Q(mandate_end__isnull=True) | Q(mandate_end__gte=today))
            .values_list("office", "organisation__name"))
    order = {value: i for i, (value, _label) in enumerate(BureauMember.Office.choices)}
    labels = dict(BureauMember.Office.choices)
    return [(labels[office], name or "") for office, name in
            sorted(rows, key=lambda r: (order.get(r[0], len(order)), r[1] or ""))]


# The commune search ------------------------------------------------------------------------------

def cached_commune_index() -> CommuneIndex:
    """The 360 communes' search index (communes.search), cached until the reference data
    change (the freshness reference stamp): no query on a warm hit."""
    return freshness.cached("communes:search-index:v1", [], commune_index)


def find_communes(text: str, limit: int = 20) -> list:
    """Communes whose name matches `text` (communes.search.search_communes) over the cached
    index: what the home page's search and the analysts' pickers call."""
    return search_communes(text, limit, index=cached_commune_index())



def pick_commune_by_name(text: str) -> CommunePick:
    """A commune field typed by name (communes.search.pick_commune) over the cached index:
    the analysts' pickers and filters call it."""
    return pick_commune(text, index=cached_commune_index())


def commune_names() -> list[str]:
    """Every commune's name in the active language, sorted (the pickers' <datalist>)."""
    return sorted({m.name for m in cached_commune_index()}, key=str.casefold)
