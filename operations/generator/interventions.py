"""Ministries' interventions in each commune and the organisations they reach."""

import math
from datetime import date, timedelta

from communes.models import Commune
from cooperatives.models import OrganisationStatus
from diagnostics.models import Intervention

from .names import de
from .texts import PROGRAMMES
from .world import Box, Builder, draw_day, draw_moment

BENEFICIARY = Intervention.beneficiaries.through


class InterventionBuilder(Builder):
    def add_interventions(self, commune: Commune, count: int) -> None:
        """Ministries' actions dated to overlap 2024-2026, each by the ministry supervising its
        filière's (or its own) sector, reaching some of the commune's organisations."""
        rng, box = self.rng("interventions", commune.pcode), self.boxes[commune.pk]
        by_sector: dict[int, list[int]] = {}
        for filiere, positions in box.by_filiere.items():
            by_sector.setdefault(self.tax.filiere_sector[filiere], []).extend(positions)
        for _ in range(count):
            filiere, sector = self.intervention_target(rng, commune, box)
            start = draw_day(rng, date(2023, 1, 1), date(2026, 9, 30))
            end = None if rng.random() < 0.12 else start + timedelta(days=rng.randint(180, 1460))
            if end is not None and end < date(2024, 1, 1):
                end = draw_day(rng, date(2024, 1, 1), date(2024, 12, 31))
            budget = int(round(min(2e9, max(1e6, math.exp(rng.gauss(16.8, 1.0)))), -5))
            intervention = self.take_id(Intervention)
            self.sink.add(Intervention, (
                intervention, self.tax.sector_ministry[sector], commune.pk,
                self.programme(rng, commune, sector, filiere), filiere, sector, start, end, budget,
                draw_moment(rng)))
            self.add_beneficiaries(rng, box, intervention, box.by_filiere.get(filiere)
                                   or by_sector.get(sector, []))

    def intervention_target(self, rng, commune: Commune, box: Box) -> tuple[int | None, int]:
        draw = rng.random()
        if draw < 0.75 and box.ids:
            filiere = rng.choice(box.filieres[rng.randrange(len(box.ids))])
        elif draw < 0.88:
            filiere = self.zone_filiere(rng, commune.department.region.pcode)
        else:
            return None, rng.choice(sorted(self.tax.sector_code))
        return filiere, self.tax.filiere_sector[filiere]

    def programme(self, rng, commune: Commune, sector: int, filiere: int | None) -> str:
        acronym = self.tax.ministry_acronym[self.tax.sector_ministry[sector]]
        subject = (self.tax.filiere_name[filiere] if filiere else self.tax.sector_name[sector])
        templates = PROGRAMMES.get(acronym, []) if filiere else []
        template = rng.choice(templates or [f"Programme {acronym} d'appui : {{f}} {{commune}}"])
        return template.format(f=subject.lower(), commune=de(commune.name_fr))[:200]

    def add_beneficiaries(self, rng, box: Box, intervention: int, pool: list[int]) -> None:
        pool = sorted({p for p in pool if box.statuses[p] != OrganisationStatus.DISSOLVED})
        wanted = rng.choices(range(9), (6, 14, 16, 16, 14, 12, 10, 7, 5))[0]
        for position in rng.sample(pool, min(wanted, len(pool))):
            self.sink.add(BENEFICIARY, (self.take_id(BENEFICIARY), intervention,
                                        box.ids[position]))
