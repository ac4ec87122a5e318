"""Each commune's validated PCD diagnostic: entries by sector, project ideas, actors and
territorial resources."""

import math
import random
from collections import Counter
from datetime import date, timedelta

from communes.models import Commune
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    Level,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)

from .names import LAST_NAMES, REGION_AREA, de
from .texts import (
    ACTORS_TEMPLATES,
    ENTRY_TEXTS,
    GENERIC_TEXTS,
    NGOS,
    RESOURCE_TEXTS,
    SECTOR_WEIGHTS,
)
from .world import Builder, World, draw_moment


class DiagnosticBuilder(Builder):
    def __init__(self, world: World):
        super().__init__(world)
        self.validated = set(TerritorialDiagnostic.objects.validated()
                             .filter(commune__in=world.communes).values_list("commune_id", "year"))

    def add_diagnostic(self, commune: Commune, entries: int) -> None:
        """A validated PCD diagnostic of 2024 or 2025, with its entries, ideas, actors and
        resources (none when the commune already has a validated one that year)."""
        rng = self.rng("diagnostic", commune.pcode)
        year = rng.choice((2024, 2025))
        if (commune.pk, year) in self.validated:
            return
        diagnostic = self.take_id(TerritorialDiagnostic)
        validated = draw_moment(rng, date(year, 3, 1), date(year, 12, 15))
        self.sink.add(TerritorialDiagnostic, (
            diagnostic, commune.pk, year, TerritorialDiagnostic.Source.PCD,
            TerritorialDiagnostic.Status.VALIDATED, validated,
            validated - timedelta(days=rng.randint(20, 120))))
        needs = self.add_entries(rng, commune, diagnostic, entries)
        self.add_ideas(rng, diagnostic, year, needs)
        self.add_actors(rng, commune, diagnostic)
        self.add_resources(rng, commune, diagnostic)

    def entry_sectors(self, rng: random.Random, commune: Commune, count: int) -> Counter:
        """How many entries each sector gets: a weighted sample of sectors, each at least one."""
        region = commune.department.region.pcode
        zone = {self.tax.filiere_sector[f] for f in self.tax.zone(region)[0]}
        sectors = sorted(self.tax.sector_code)
        weight = {s: SECTOR_WEIGHTS.get(self.tax.sector_code[s], 1) * (2 if s in zone else 1)
                  for s in sectors}
        wanted = min(len(sectors), max(3, round(count / 4.5)), count)
        chosen = sorted(sorted(sectors, key=lambda s: -rng.random() ** (1 / weight[s]))[:wanted])
        counts = Counter(chosen)
        counts.update(rng.choices(chosen, [weight[s] for s in chosen], k=count - len(chosen)))
        return counts

    def add_entries(self, rng, commune: Commune, diagnostic: int, count: int) -> list[tuple]:
        needs = []
        for sector, n in sorted(self.entry_sectors(rng, commune, count).items()):
            for rank in range(1, n + 1):
                place = self.locality(rng, commune)
                problem, potential, need = self.entry_text(rng, commune, sector, place)
                level = (Level.INSTITUTION
                         if self.tax.sector_code[sector] == "institution_communale"
                         else Level.URBAN if rng.random() < 0.2 else Level.VILLAGE)
                place = "" if level == Level.INSTITUTION else place
                self.sink.add(DiagnosticEntry, (self.take_id(DiagnosticEntry), diagnostic, sector,
                                                level, place, problem, potential, need, rank))
                needs.append((sector, need, place, rank))
        return needs

    def entry_text(self, rng, commune: Commune, sector: int, place: str) -> tuple[str, str, str]:
        code = self.tax.sector_code[sector]
        problems, potentials, needs = ENTRY_TEXTS.get(code, GENERIC_TEXTS)
        filiere = self.sector_filiere(rng, commune, sector)
        name = (self.tax.filiere_name[filiere] if filiere else self.tax.sector_name[sector]).lower()
        actors = self.actors(filiere) if filiere else "acteurs du secteur"
        values = {"loc": place, "s": self.tax.sector_name[sector].lower(), "f": name,
                  "de_f": de(name), "actors": actors, "Actors": actors[:1].upper() + actors[1:]}
        return tuple(rng.choice(texts).format(**values) for texts in (problems, potentials, needs))

    def sector_filiere(self, rng, commune: Commune, sector: int) -> int | None:
        """A filière of the sector present in the commune, else of the zone, else any."""
        box = self.boxes.get(commune.pk)
        zone = self.tax.zone(commune.department.region.pcode)[0]
        of_sector = self.tax.sector_filieres.get(sector, [])
        for pool in ([f for f in of_sector if box and box.by_filiere.get(f)],
                     [f for f in of_sector if f in zone], of_sector):
            if pool:
                return rng.choice(pool)
        return None

    def add_ideas(self, rng, diagnostic: int, year: int, needs: list[tuple]) -> None:
        top = [n for n in needs if n[3] <= 2] or needs
        for rank, (sector, need, place, _) in enumerate(
                rng.sample(top, min(len(top), rng.randint(3, 8))), start=1):
            cost = round(min(2e9, math.exp(rng.gauss(17.2, 0.9))), -5)
            status = rng.choices(list(ProjectIdea.Status.values), (50, 25, 15, 5, 5))[0]
            self.sink.add(ProjectIdea, (self.take_id(ProjectIdea), diagnostic, sector, need[:200],
                                        place, int(cost), rank, year + rng.randint(1, 3), status))

    def add_actors(self, rng, commune: Commune, diagnostic: int) -> None:
        sectors = {code: pk for pk, code in self.tax.sector_code.items()}
        region = commune.department.region.pcode
        for kind, name, sector, role in rng.sample(ACTORS_TEMPLATES, rng.randint(4, 9)):
            values = {"commune": de(commune.name_fr), "loc": de(self.locality(rng, commune)),
                      "last": rng.choice(LAST_NAMES[REGION_AREA.get(region, "beti")]),
                      "ngo": rng.choice(NGOS)}
            self.sink.add(DiagnosticActor, (self.take_id(DiagnosticActor), diagnostic,
                                            name.format(**values), kind, sectors.get(sector),
                                            role))

    def add_resources(self, rng, commune: Commune, diagnostic: int) -> None:
        for kind, texts in RESOURCE_TEXTS.items():
            for text in rng.sample(texts, rng.randint(1, 2)):
                self.sink.add(TerritorialResource, (
                    self.take_id(TerritorialResource), diagnostic, kind,
                    text.format(loc=self.locality(rng, commune))))
