"""Support programmes around the cooperatives and the organisations they enrol.

Per region of the selected communes: a MINADER training programme for agricultural
cooperatives, REMCESS's accompaniment of the RELESS, a development partner's grant scheme and
(where the taxonomy has it) a MINEPIA equipment programme, each covering part of the region's
communes; per commune, sometimes, the commune's own territorial convention. Each programme
enrols a few active or dormant organisations of every commune it covers (preferring those of
its ministry's filières), so every enrolled organisation's commune is covered, as the
service keeps it."""

from datetime import date, timedelta

from communes.models import Commune
from cooperatives.models import OrganisationStatus
from support.models import Enrolment, Programme

from .world import LAST_DAY, Box, Builder, draw_day, draw_moment

PROGRAMME_COMMUNE = Programme.communes.through
KIND = Programme.Kind
OUTCOME = Enrolment.Outcome
PARTNERS = ("FIDA", "AFD", "Union européenne", "GIZ", "Banque mondiale")
# (owner, kind, name template, share of the region's communes covered, organisations per commune)
REGIONAL = (
    ("MINADER", KIND.TRAINING, "Formation des coopératives agricoles ({region})", 0.6, (1, 4)),
    ("REMCESS", KIND.TECHNICAL, "Accompagnement des RELESS ({region})", 0.5, (1, 3)),
    ("partner", KIND.FINANCE, "Fonds d'appui aux coopératives ({region})", 0.3, (1, 2)),
    ("MINEPIA", KIND.EQUIPMENT, "Équipement des coopératives d'éleveurs ({region})", 0.3,
     (0, 2)),
)
CONVENTION_SHARE = 0.35


class SupportBuilder(Builder):
    def add_programmes(self, communes: list[Commune]) -> None:
        """The regional programmes, then the communes' conventions (see the module)."""
        by_region: dict[str, list[Commune]] = {}
        for commune in communes:
            by_region.setdefault(commune.department.region.pcode, []).append(commune)
        ministries = {acronym: pk for pk, acronym in self.tax.ministry_acronym.items()}
        for region, members in sorted(by_region.items()):
            rng = self.rng("support", region)
            name = members[0].department.region.name_fr
            for owner, kind, template, share, per_commune in REGIONAL:
                if owner.startswith("MIN") and owner not in ministries:
                    continue
                covered = rng.sample(members, max(1, round(len(members) * share)))
                self.add_programme(rng, owner, ministries.get(owner), None, kind,
                                   template.format(region=name), covered, per_commune)
        for commune in communes:
            rng = self.rng("support", commune.pcode)
            if rng.random() < CONVENTION_SHARE:
                self.add_programme(rng, "commune", None, commune, KIND.CONVENTION,
                                   f"Convention territoriale ESS de {commune.name_fr}",
                                   [commune], (2, 6))

    def add_programme(self, rng, owner: str, ministry: int | None, commune: Commune | None,
                      kind: str, name: str, covered: list[Commune],
                      per_commune: tuple[int, int]) -> None:
        start = draw_day(rng, date(2023, 1, 1), date(2025, 6, 30))
        end = None if rng.random() < 0.25 else start + timedelta(days=rng.randint(365, 1460))
        owner_type = ("ministry" if ministry else "commune" if commune else "partner")
        partner = "" if owner_type != "partner" else (
            owner if owner == "REMCESS" else rng.choice(PARTNERS))
        pk = self.take_id(Programme)
        budget = rng.randint(5, 400) * 1_000_000 if owner_type != "commune" else (
            rng.randint(2, 30) * 1_000_000)
        self.sink.add(Programme, (pk, name[:200], owner_type, ministry,
                                  commune.pk if commune else None, partner, kind, start, end,
                                  budget, "", draw_moment(rng)))
        for place in sorted(covered, key=lambda c: c.pcode):
            self.sink.add(PROGRAMME_COMMUNE, (self.take_id(PROGRAMME_COMMUNE), pk, place.pk))
            self.add_enrolments(rng, pk, ministry, start, end, self.boxes[place.pk],
                                rng.randint(*per_commune))

    def add_enrolments(self, rng, programme: int, ministry: int | None, start: date,
                       end: date | None, box: Box, wanted: int) -> None:
        alive = [i for i, status in enumerate(box.statuses)
                 if status in (OrganisationStatus.ACTIVE, OrganisationStatus.DORMANT)]
        own = [i for i in alive if ministry is not None and any(
            self.tax.sector_ministry[self.tax.filiere_sector[f]] == ministry
            for f in box.filieres[i])]
        pool = own if len(own) >= wanted else alive
        last = min(end or LAST_DAY, LAST_DAY)
        for position in rng.sample(pool, min(wanted, len(pool))):
            enrolled = draw_day(rng, start, max(start, last - timedelta(days=60)))
            outcome = rng.choices((OUTCOME.ONGOING, OUTCOME.COMPLETED, OUTCOME.DROPPED),
                                  (5, 4, 1))[0]
            left = None if outcome == OUTCOME.ONGOING else min(
                last, enrolled + timedelta(days=rng.randint(30, 365)))
            note = {OUTCOME.COMPLETED: f"{rng.randint(3, 25)} membres formés ou équipés",
                    OUTCOME.DROPPED: "Abandon en cours de programme"}.get(outcome, "")
            self.sink.add(Enrolment, (self.take_id(Enrolment), programme, box.ids[position],
                                      enrolled, left, outcome, note, draw_moment(rng)))
