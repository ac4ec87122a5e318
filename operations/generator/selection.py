"""What a scale fills: the scales, the demo departments, the selected communes and how much
each commune gets (the plan)."""

from dataclasses import dataclass

from communes.models import Commune, Department


class DatasetError(Exception):
    """The dataset cannot be generated as asked (unknown commune, no taxonomy...)."""


@dataclass(frozen=True)
class Scale:
    organisations: int
    links: int
    entries: int
    interventions: int
    per_commune: bool  # figures per selected commune; else totals spread over the selection
    min_organisations: int  # "each RELESS with at least about 30 cooperatives" (DOMAIN.md)


SCALES = {
    "tiny": Scale(30, 75, 20, 5, per_commune=True, min_organisations=20),
    "demo": Scale(75, 200, 40, 12, per_commune=True, min_organisations=30),
    "national": Scale(200_000, 1_000_000, 50_000, 20_000, per_commune=False,
                      min_organisations=60),
}

# Demo departments: the first of Centre (forest), Ouest (highlands), Extrême-Nord (Sahel).
DEMO_REGIONS = ("CM002", "CM008", "CM004")


def demo_departments() -> list[Department]:
    """The demo departments: the first (by P-code) of each DEMO_REGIONS region, completed with
    the first departments of the country to three."""
    with_communes = Department.objects.filter(communes__isnull=False).distinct().order_by("pcode")
    chosen = [d for region in DEMO_REGIONS
              if (d := with_communes.filter(region__pcode=region).first()) is not None]
    for department in with_communes:
        if len(chosen) >= 3:
            break
        if department not in chosen:
            chosen.append(department)
    return chosen


def select_communes(scale: str, pcodes: list[str] | None = None) -> list[Commune]:
    """The communes a scale fills: the given P-codes; else every commune (national), the
    communes of the demo departments (demo) or the first commune of the first two (tiny)."""
    communes = Commune.objects.select_related("department__region").order_by("pcode")
    if pcodes:
        found = list(communes.filter(pcode__in=pcodes))
        missing = sorted(set(pcodes) - {c.pcode for c in found})
        if missing:
            raise DatasetError(f"Unknown commune P-code(s): {', '.join(missing)}.")
        return found
    if scale == "national":
        return list(communes)
    in_demo = list(communes.filter(department__in=demo_departments()))
    if scale == "demo":
        return in_demo
    firsts = {}
    for commune in in_demo:
        firsts.setdefault(commune.department_id, commune)
    ordered = list(firsts.values()) + [c for c in in_demo if c not in firsts.values()]
    return sorted(ordered[:2], key=lambda c: c.pcode)


def allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` in integer parts proportional to `weights`, each at least `minimum`
    (largest remainders, ties by position)."""
    minimum = min(minimum, total // max(1, len(weights)))
    rest = total - minimum * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[:rest - sum(counts)]:
        counts[i] += 1
    return [minimum + c for c in counts]



@dataclass
class Plan:
    """How much each selected commune gets."""

    organisations: list[int]
    links: list[int]
    entries: list[int]
    interventions: list[int]
